//===- FrontEndBench.cpp - Google Benchmark: lexer, parser, sema, emit ----===//
//
//   build/bin/deployc-bench [--benchmark_filter=...] [--spec-dir DIR]
//
// Inputs come from bench/gen.py (100 services unless --spec-dir names a
// folder it wrote): one 100-service file for the lexer and the parser, the
// whole program for the front end, and its prod environment for emit.
//
//===----------------------------------------------------------------------===//

#include "deployc/Emit/Emit.h"
#include "deployc/Parse/Parser.h"
#include "deployc/Plan/Plan.h"
#include "deployc/Sema/Sema.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <benchmark/benchmark.h>
#include <cstdlib>
#include <cstring>

using namespace deployc;

static std::string SpecDir;

static std::string readFile(const std::string &Path) {
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  if (!Buf) {
    std::fprintf(stderr, "deployc-bench: cannot read %s\n", Path.c_str());
    std::exit(2);
  }
  return (*Buf)->getBuffer().str();
}

static void BM_Lex(benchmark::State &S) {
  std::string Text = readFile(SpecDir + "/services/part-0.deploy");
  for (auto _ : S) {
    SourceManager SM;
    FileID F = SM.addBuffer("part-0.deploy", Text);
    benchmark::DoNotOptimize(parse::lexFile(SM, F));
  }
  S.SetBytesProcessed(int64_t(S.iterations()) * Text.size());
}
BENCHMARK(BM_Lex)->Unit(benchmark::kMillisecond);

static void BM_Parse(benchmark::State &S) {
  std::string Text = readFile(SpecDir + "/services/part-0.deploy");
  for (auto _ : S) {
    SourceManager SM;
    DiagnosticEngine Diags(SM);
    ast::ASTContext Ctx;
    FileID F = SM.addBuffer("part-0.deploy", Text);
    benchmark::DoNotOptimize(parse::parseModule(SM, F, Ctx, Diags));
  }
  S.SetBytesProcessed(int64_t(S.iterations()) * Text.size());
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond);

static std::unique_ptr<sema::Program> frontEnd(SourceManager &SM, DiagnosticEngine &Diags,
                                               const std::string &Env) {
  std::string Main = SpecDir + "/main.deploy";
  FileID F = SM.addBuffer(Main, readFile(Main));
  sema::FrontEndOptions Opts;
  Opts.StdlibPath = DEPLOYC_STDLIB_DIR;
  Opts.OnlyEnvironment = Env;
  return sema::runFrontEnd(SM, Diags, {F}, Opts);
}

static void BM_FrontEnd(benchmark::State &S) {
  for (auto _ : S) {
    SourceManager SM;
    DiagnosticEngine Diags(SM);
    auto P = frontEnd(SM, Diags, "");
    if (Diags.hasErrors())
      S.SkipWithError("the generated spec has errors");
    benchmark::DoNotOptimize(P);
  }
}
BENCHMARK(BM_FrontEnd)->Unit(benchmark::kMillisecond);

static void BM_Emit(benchmark::State &S) {
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  auto P = frontEnd(SM, Diags, "prod");
  const sema::EnvironmentModel *Prod = nullptr;
  for (const sema::EnvironmentModel &M : P->Environments)
    if (M.Name == "prod")
      Prod = &M;
  if (!Prod || Diags.hasErrors()) {
    S.SkipWithError("the generated spec has no clean prod environment");
    return;
  }
  for (auto _ : S) {
    plan::Environment Env = plan::lowerEnvironment(*P, *Prod);
    benchmark::DoNotOptimize(emit::emitKubernetesStream(Env, Diags));
  }
}
BENCHMARK(BM_Emit)->Unit(benchmark::kMillisecond);

int main(int argc, char **argv) {
  std::vector<char *> Args;
  for (int I = 0; I < argc; ++I) {
    if (!std::strcmp(argv[I], "--spec-dir") && I + 1 < argc) {
      SpecDir = argv[++I];
      continue;
    }
    Args.push_back(argv[I]);
  }
  if (SpecDir.empty()) {
    llvm::SmallString<128> Dir;
    llvm::sys::fs::createUniqueDirectory("deployc-bench", Dir);
    SpecDir = std::string(Dir);
    std::string Cmd = "python3 '" DEPLOYC_SOURCE_DIR "/bench/gen.py' 100 '" + SpecDir + "'";
    if (std::system(Cmd.c_str()) != 0)
      return 2;
  }
  int N = int(Args.size());
  benchmark::Initialize(&N, Args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
