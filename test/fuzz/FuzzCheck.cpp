//===- FuzzCheck.cpp - libFuzzer target: the whole check pipeline ---------===//
//
// Any bytes as a spec: every phase runs (with the stdlib), and a program
// without errors evaluates every environment.
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Parser.h"
#include "deployc/Sema/Sema.h"
#include <cstdint>

using namespace deployc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  Diags.setErrorLimit(0);
  std::string Text(reinterpret_cast<const char *>(Data), Size);
  FileID F = SM.addBuffer("/nonexistent/fuzz/main.deploy", Text);
  if (parse::findInvalidUTF8(SM.getBuffer(F)) >= 0)
    return 0; // The driver reports it before the front end runs.
  sema::FrontEndOptions Opts;
  Opts.StdlibPath = DEPLOYC_STDLIB_DIR;
  Opts.Overrides = {{"tag", "\"fuzz\""}};
  auto Prog = sema::runFrontEnd(SM, Diags, {F}, Opts);
  return 0;
}
