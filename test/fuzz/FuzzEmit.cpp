//===- FuzzEmit.cpp - libFuzzer target: lowering and every back end -------===//
//
// A spec that checks clean is lowered for each environment and emitted as
// Kubernetes manifests, Dockerfiles and dev containers, all in memory.
//
//===----------------------------------------------------------------------===//

#include "deployc/Emit/Emit.h"
#include "deployc/Parse/Parser.h"
#include "deployc/Plan/Config.h"
#include "deployc/Plan/Plan.h"
#include "deployc/Sema/Sema.h"
#include <cstdint>

using namespace deployc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  std::string Text(reinterpret_cast<const char *>(Data), Size);
  FileID F = SM.addBuffer("/nonexistent/fuzz/main.deploy", Text);
  if (parse::findInvalidUTF8(SM.getBuffer(F)) >= 0)
    return 0;
  sema::FrontEndOptions Opts;
  Opts.StdlibPath = DEPLOYC_STDLIB_DIR;
  auto Prog = sema::runFrontEnd(SM, Diags, {F}, Opts);
  if (!Prog || Diags.hasErrors())
    return 0;
  for (const sema::EnvironmentModel &M : Prog->Environments) {
    plan::Environment Env = plan::lowerEnvironment(*Prog, M);
    (void)plan::evaluatedConfigJSON(*Prog, M);
    emit::SourceLocation Src;
    (void)emit::emitKubernetesStream(Env, Diags);
    (void)emit::emitDocker(Env, Src);
    (void)emit::emitDevContainers(Env, Src);
  }
  return 0;
}
