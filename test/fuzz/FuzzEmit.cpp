//===- FuzzEmit.cpp - libFuzzer target: lowering and every back end -------===//
//
// A spec that checks clean is lowered for each environment and emitted as
// Kubernetes manifests, Dockerfiles and dev containers, all in memory. Each
// Dockerfile must read back as the build it came from (checkDockerfile), so
// that a value which ends a line or adds a mount option is found, not only
// a crash. No two files of the program may share a path once case is folded
// (checkPathsDistinct: one would overwrite the other), and no quantity may
// reach a manifest negative (checkQuantities: an overflow check missed).
//
//===----------------------------------------------------------------------===//

#include "deployc/Emit/Emit.h"
#include "deployc/Parse/Parser.h"
#include "deployc/Plan/Config.h"
#include "deployc/Plan/Plan.h"
#include "deployc/Sema/Sema.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSwitch.h"
#include <cstdint>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

using namespace deployc;

namespace {

/// A broken property is a crash, so that libFuzzer keeps the input.
void require(bool Holds) {
  if (!Holds)
    __builtin_trap();
}

/// `K="v"` of an ENV line read as BuildKit reads it: `\` escapes `"`, `\` and
/// `$`; an unescaped `$` would expand, an unescaped `"` would end the value.
void requireEnv(llvm::StringRef Line, const std::pair<std::string, std::string> &Var) {
  require(Line.consume_front(Var.first + "=\"") && Line.consume_back("\""));
  std::string Value;
  for (size_t I = 0; I < Line.size(); ++I) {
    char C = Line[I];
    require(C != '"' && C != '$');
    if (C == '\\') {
      require(I + 1 < Line.size() && llvm::StringRef("\"\\$").contains(Line[I + 1]));
      C = Line[++I];
    }
    Value += C;
  }
  require(Value == Var.second);
}

/// `--mount=...` options and the command of a RUN line.
void requireRun(llvm::StringRef Line, const plan::RunStep &Step) {
  size_t Mounts = 0;
  while (Line.consume_front("--mount=")) {
    llvm::StringRef Options;
    std::tie(Options, Line) = Line.split(' ');
    llvm::SmallVector<llvm::StringRef, 6> Fields;
    Options.split(Fields, ',');
    for (llvm::StringRef F : Fields)
      require(F.contains('=') && !F.contains('"') && !F.contains('\''));
    size_t Expected = Mounts < Step.Caches.size()
                          ? 3 + !Step.Caches[Mounts].Id.empty()
                          : 4;
    require(Fields.size() == Expected);
    ++Mounts;
  }
  require(Mounts == Step.Caches.size() + Step.Secrets.size());
  // A heredoc in some Dockerfile parser, exec form included.
  require(!Line.contains("<<"));
  if (Line.startswith("[")) {
    nlohmann::json J = nlohmann::json::parse(Line.begin(), Line.end(), nullptr, false);
    require(J.is_array() && J.size() == 3 && J[0] == "/bin/sh" && J[1] == "-c" &&
            J[2] == Step.Command);
    return;
  }
  require(Line == Step.Command && !Line.startswith("-"));
}

/// One instruction a line, none continued or a heredoc; one FROM a stage,
/// one ENV a variable, one RUN a step, in the plan's order.
void checkDockerfile(const plan::Build &B, const std::string &Text) {
  std::vector<const std::pair<std::string, std::string> *> Env;
  std::vector<const plan::RunStep *> Steps;
  for (const plan::BuildStage &S : B.Stages) {
    for (const auto &V : S.Env)
      Env.push_back(&V);
    for (const std::vector<plan::RunStep> *List : {&S.System, &S.Install, &S.Build})
      for (const plan::RunStep &R : *List)
        Steps.push_back(&R);
  }
  size_t Froms = 0, Envs = 0, Runs = 0;
  llvm::SmallVector<llvm::StringRef, 32> Lines;
  llvm::StringRef(Text).split(Lines, '\n');
  for (llvm::StringRef Line : Lines) {
    if (Line.empty() || Line.startswith("#"))
      continue;
    require(!Line.endswith("\\"));
    llvm::StringRef Instruction, Rest;
    std::tie(Instruction, Rest) = Line.split(' ');
    bool Known = llvm::StringSwitch<bool>(Instruction)
                     .Cases("FROM", "WORKDIR", "ENV", "RUN", "COPY", "EXPOSE", true)
                     .Cases("USER", "ENTRYPOINT", "CMD", true)
                     .Default(false);
    require(Known);
    if (Instruction == "FROM") {
      ++Froms;
    } else if (Instruction == "ENV") {
      require(Envs < Env.size());
      requireEnv(Rest, *Env[Envs++]);
    } else if (Instruction == "COPY") {
      require(!Rest.contains("<<"));
    } else if (Instruction == "RUN") {
      require(Runs < Steps.size());
      requireRun(Rest, *Steps[Runs++]);
    }
  }
  require(Froms == B.Stages.size() && Envs == Env.size() && Runs == Steps.size());
}

/// Every emitted path, case folded, once in the program: what `check`
/// reports as D4009 and D7003 never reaches the writer.
void checkPathsDistinct(std::set<std::string> &Seen, const std::vector<emit::EmittedFile> &Files) {
  for (const emit::EmittedFile &File : Files)
    require(Seen.insert(llvm::StringRef(File.Path).lower()).second);
}

/// No quantity or count in a manifest is negative (`cpu: -9223372036854775808m`
/// was what an overflow looked like).
void checkQuantities(const std::vector<emit::EmittedFile> &Files) {
  static const char *const Keys[] = {"cpu", "memory", "storage", "ephemeral-storage",
                                     "replicas", "minReplicas", "maxReplicas"};
  for (const emit::EmittedFile &File : Files) {
    llvm::StringRef Rest = File.Contents;
    while (!Rest.empty()) {
      llvm::StringRef Line;
      std::tie(Line, Rest) = Rest.split('\n');
      Line = Line.ltrim(" -");
      for (const char *Key : Keys) {
        llvm::StringRef Value = Line;
        if (Value.consume_front(Key) && Value.consume_front(":"))
          require(!Value.ltrim(" \"'").startswith("-"));
      }
    }
  }
}

} // namespace

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
  std::set<std::string> Paths;
  for (const sema::EnvironmentModel &M : Prog->Environments) {
    plan::Environment Env = plan::lowerEnvironment(*Prog, M);
    (void)plan::evaluatedConfigJSON(*Prog, M);
    emit::SourceLocation Src;
    std::vector<emit::EmittedFile> Manifests = emit::emitKubernetes(Env, Diags, /*Threads=*/1);
    checkPathsDistinct(Paths, Manifests);
    checkQuantities(Manifests);
    std::vector<emit::EmittedFile> Docker = emit::emitDocker(Env, Src);
    for (const plan::Build &B : Env.Builds) {
      checkDockerfile(B, emit::renderDockerfile(B));
      std::string Ignore = "docker/" + plan::dnsName(B.Name) + "/Dockerfile.dockerignore";
      for (const emit::EmittedFile &File : Docker)
        if (File.Path == Ignore && !B.Ignore.empty())
          require(static_cast<size_t>(llvm::count(File.Contents, '\n')) == B.Ignore.size());
    }
    std::vector<emit::EmittedFile> DevContainers = emit::emitDevContainers(Env, Src);
    // Dockerfiles and dev containers are the program's, written once.
    if (&M == &Prog->Environments.front()) {
      checkPathsDistinct(Paths, Docker);
      checkPathsDistinct(Paths, DevContainers);
    }
  }
  return 0;
}
