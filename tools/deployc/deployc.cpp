//===- deployc.cpp - The deployc command-line tool ------------------------===//
//
// Parses the command line with the table of CommandLine.cpp and hands the
// options to lib/Driver. Each command runs on a thread with a large stack:
// the front end recurses over the input, and deep input must give a
// diagnostic, never a stack overflow.
//
//===----------------------------------------------------------------------===//

#include "CommandLine.h"
#include "Version.h"
#include "deployc/Basic/Memory.h"
#include "deployc/Driver/Driver.h"
#include "deployc/LSP/Server.h"
#include <csignal>
#include <iostream>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"

using namespace llvm;
using namespace deployc;
using namespace deployc::driver;

static void printVersion(raw_ostream &OS) {
  OS << "deployc " << tool::Version << " (commit " << tool::Commit << ")\n";
}

static ColorMode colorMode(const cli::ParsedCommandLine &L) {
  std::string C = L.get("color", "auto");
  return C == "always" ? ColorMode::Always : C == "never" ? ColorMode::Never : ColorMode::Auto;
}

/// Whether usage errors on stderr are coloured: as `--color=auto`, since the
/// command line that would say otherwise did not parse.
static bool colorUsageErrors() {
  auto NoColor = sys::Process::GetEnv("NO_COLOR");
  return errs().has_colors() && (!NoColor || NoColor->empty());
}

static unsigned toUnsigned(const std::string &S, unsigned Default) {
  unsigned N = Default;
  if (!S.empty())
    StringRef(S).getAsInteger(10, N);
  return N;
}

static int64_t toInteger(const std::string &S) {
  int64_t N = 0;
  StringRef(S).getAsInteger(10, N);
  return N;
}

static int runCommand(const cli::ParsedCommandLine &L, const char *Argv0) {
  StringRef Cmd = L.Command->Name;
  DriverOptions Opts;
  Opts.Inputs = L.Args;
  Opts.Environment = L.get("env");
  Opts.Overrides = L.getAll("set");
  Opts.WarningsAsErrors = L.flag("Werror");
  Opts.ErrorLimit = toUnsigned(L.get("error-limit"), 50);
  std::string Format = L.get("format", "text");
  Opts.Format = Format == "json" ? DiagFormat::JSON : Format == "sarif" ? DiagFormat::SARIF
                                                                        : DiagFormat::Text;
  Opts.Color = colorMode(L);
  Opts.Verify = L.flag("verify");
  Opts.StopAfter = L.get("stop-after");
  Opts.DisableFree = true;
  Opts.Jobs = toUnsigned(L.get("jobs"), 0);
  Opts.StdlibPath = findStdlib(L.get("stdlib", L.get("stdlib-path")));
  StateOptions SO{L.get("state"), L.get("actor"), L.get("vault-key-file"), L.get("target"),
                  sys::fs::getMainExecutable(Argv0, (void *)&printVersion)};
  std::string Env = L.get("env");

  if (Cmd == "check")
    return runCheck(Opts, outs(), errs());
  if (Cmd == "eval")
    return runEval(Opts, outs(), errs());
  if (Cmd == "emit") {
    if (L.get("format") == "helm") {
      if (L.get("o") == "-") {
        cli::printUsageError(errs(), "`--format=helm` writes a chart folder; give `-o DIR`",
                             colorUsageErrors());
        return ExitUsage;
      }
      return runEmitHelm(Opts, L.get("o"), errs());
    }
    std::string T = L.get("target", "all");
    unsigned Mask = T == "k8s" ? 1u : T == "docker" ? 2u : T == "devcontainer" ? 4u : 7u;
    return runEmit(Opts, Mask, L.get("o"), outs(), errs());
  }
  if (Cmd == "fmt")
    return runFormat(L.Args, L.flag("check"), L.flag("diff"), Opts.Color, outs(), errs());
  if (Cmd == "dump-ast")
    return runDumpAST(Opts, outs(), errs());
  if (Cmd == "explain") {
    if (L.Args.empty() && !L.flag("list")) {
      cli::printUsageError(errs(), "`explain` needs a code such as D2002, or --list",
                           colorUsageErrors());
      return ExitUsage;
    }
    return runExplain(L.Args.empty() ? "" : L.Args[0], L.flag("list"), outs(), errs());
  }
  if (Cmd == "lsp") {
    std::ios::sync_with_stdio(false);
    // Reading must not flush std::cout from the reader thread while
    // another thread writes a message: the transport serialises writes.
    std::cin.tie(nullptr);
    lsp::ServerOptions LO;
    LO.StdlibPath = Opts.StdlibPath.empty() ? findInstalledStdlib(Argv0, (void *)&printVersion)
                                            : Opts.StdlibPath;
    LO.LitTest = L.flag("lit-test");
    return lsp::runLanguageServer(std::cin, std::cout, LO);
  }
  if (Cmd == "plan") {
    PlanFormat PF = Format == "json" ? PlanFormat::JSON : PlanFormat::Text;
    return runPlan(Opts, SO, PF, L.get("out"), L.flag("detailed-exitcode"), outs(), errs());
  }
  if (Cmd == "apply")
    return runApply(Opts, SO, L.get("plan"), outs(), errs());
  if (Cmd == "rollback")
    return runRollback(SO, Env, toInteger(L.get("to")), outs(), errs());
  if (Cmd == "drift")
    return runDrift(SO, Env, outs(), errs());
  if (Cmd == "status")
    return runStatus(SO, Env, L.flag("json"), outs(), errs());
  if (Cmd == "down")
    return runDown(SO, Env, outs(), errs());
  if (Cmd == "agent")
    return runAgent(SO, errs());
  if (Cmd == "history")
    return runHistory(SO, Env, outs(), errs());
  if (Cmd == "show") {
    int64_t Rev = 0;
    if (StringRef(L.Args[0]).getAsInteger(10, Rev) || Rev <= 0) {
      cli::printUsageError(errs(), "`show` takes a revision number, not `" + L.Args[0] + "`",
                           colorUsageErrors());
      return ExitUsage;
    }
    return runShow(SO, Rev, outs(), errs());
  }
  if (Cmd == "unlock")
    return runUnlock(SO, Env, outs(), errs());
  if (Cmd == "audit")
    return runAudit(SO, L.flag("verify"), outs(), errs());
  if (Cmd == "metrics")
    return runMetrics(SO, outs(), errs());
  if (Cmd == "backup" || Cmd == "secrets") {
    Opts.Inputs = {L.Args[1]};
    std::vector<std::string> Rest(L.Args.begin() + 2, L.Args.end());
    return Cmd == "backup" ? runBackup(Opts, SO, L.Args[0], L.get("from"), outs(), errs())
                           : runSecrets(Opts, SO, L.Args[0], Rest, outs(), errs());
  }
  llvm_unreachable("a command of the table without a case here");
}

int main(int argc, char **argv) {
  // LLVM's signal handlers take SIGXFSZ over and print a crash report on it.
  // A caller that ignores it (so that a file size limit makes write fail
  // with EFBIG) keeps it ignored, and gets a "cannot write" error instead.
  struct sigaction Xfsz {};
  ::sigaction(SIGXFSZ, nullptr, &Xfsz);
  InitLLVM X(argc, argv);
  if (Xfsz.sa_handler == SIG_IGN)
    ::signal(SIGXFSZ, SIG_IGN);
#ifdef __GLIBC__
  // Grow heaps in large steps: a large emit otherwise spends a tenth of its
  // time in the kernel extending the heap a little at a time. A thread's heap
  // is then writable whole from the start (glibc's heaps are 64 MiB), so the
  // huge pages asked for it are not broken up at a moving boundary. Untouched
  // pages of the padding cost no memory.
  mallopt(M_TOP_PAD, 64 << 20);
#endif
  std::vector<std::string> Args(argv + 1, argv + argc);
  if (Args.empty()) {
    cli::printHelp(errs());
    return ExitUsage;
  }
  cli::ParseOutcome P = cli::parseCommandLine(Args);
  switch (P.Action) {
  case cli::ParseOutcome::UsageError:
    cli::printUsageError(errs(), P.Error, colorUsageErrors());
    return ExitUsage;
  case cli::ParseOutcome::Version:
    printVersion(outs());
    return ExitSuccess;
  case cli::ParseOutcome::Help:
    if (P.HelpFor)
      cli::printCommandHelp(outs(), *P.HelpFor);
    else
      cli::printHelp(outs());
    return ExitSuccess;
  case cli::ParseOutcome::Run:
    break;
  }

  // Every name and value from the command line is UTF-8 before it reaches a
  // command; `--set` values are checked where they are read (D0005).
  std::vector<ArgumentText> Arguments;
  StringRef Cmd = P.Line.Command->Name;
  bool ArgsAreFiles = !(Cmd == "backup" || Cmd == "secrets" || Cmd == "explain" || Cmd == "show");
  for (const std::string &A : P.Line.Args)
    Arguments.push_back({ArgsAreFiles ? "file name" : "argument", A});
  for (const auto &[Name, Values] : P.Line.Values)
    for (const std::string &V : Values)
      Arguments.push_back(Name == "set" ? ArgumentText{"`--set` name", V.substr(0, V.find('='))}
                                        : ArgumentText{(Name.size() == 1 ? "`-" : "`--") + Name +
                                                           "` value",
                                                       V});
  if (!checkArgumentsAreUTF8(Arguments, errs()))
    return ExitUsage;

  bool IsLsp = P.Line.Command->Name == "lsp";
  int Result = ExitUsage;
  // 512 MiB of address space; only the pages deep input touches are used.
  llvm::thread Worker(llvm::Optional<unsigned>(512u << 20), [&] {
    if (!IsLsp)
      adviseHugePagesForThreadHeap();
    Result = runCommand(P.Line, argv[0]);
  });
  Worker.join();
  outs().flush();
  return Result;
}
