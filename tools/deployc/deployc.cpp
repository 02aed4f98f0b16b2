//===- deployc.cpp - The deployc command-line tool ------------------------===//
//
// Parses the command line with LLVM CommandLine subcommands and hands a
// DriverOptions to lib/Driver. Each command runs on a thread with a large stack:
// the front end recurses over the input, and deep input must give a diagnostic,
// never a stack overflow.
//
//===----------------------------------------------------------------------===//

#include "deployc/Basic/Memory.h"
#include "deployc/Driver/Driver.h"
#include "deployc/LSP/Server.h"
#include "Version.h"
#include <iostream>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"

using namespace llvm;
using namespace deployc;
using namespace deployc::driver;

static cl::OptionCategory DeploycCategory("deployc options");

static cl::SubCommand CheckCmd("check", "Parse, type-check and validate .deploy files");
static cl::SubCommand EvalCmd("eval", "Print the evaluated configuration of an environment as JSON");
static cl::SubCommand DumpASTCmd("dump-ast", "Print the syntax tree of .deploy files");
static cl::SubCommand EmitCmd("emit", "Emit Kubernetes manifests, Dockerfiles and dev containers");
static cl::SubCommand FmtCmd("fmt", "Format .deploy files in place (or check that they are formatted)");
static cl::SubCommand LspCmd("lsp", "Run the language server on stdin/stdout (LSP 3.17)");
static cl::SubCommand PlanCmd("plan", "Show what applying an environment would change");
static cl::SubCommand ApplyCmd("apply", "Apply an environment (on this machine by default) and record the revision");
static cl::SubCommand RollbackCmd("rollback", "Go back to an earlier revision");
static cl::SubCommand StatusCmd("status", "Show what runs on this machine");
static cl::SubCommand DownCmd("down", "Stop every process of an environment on this machine");
static cl::SubCommand AgentCmd("agent", "Run the local engine's agent (apply starts it)");
static cl::SubCommand DriftCmd("drift", "Find changes made by hand since the last apply");
static cl::SubCommand HistoryCmd("history", "List the revisions of an environment");
static cl::SubCommand ShowCmd("show", "Show one revision as JSON");
static cl::SubCommand UnlockCmd("unlock", "Remove an environment's lock left by a crashed process");
static cl::SubCommand AuditCmd("audit", "Print (or --verify) the hash-chained audit log");
static cl::SubCommand MetricsCmd("metrics", "Print deployment metrics (Prometheus text format)");
static cl::SubCommand BackupCmd("backup", "backup create|verify|restore SPEC --env NAME");
static cl::SubCommand SecretsCmd("secrets", "secrets set|get|list|rotate|history SPEC [SECRET ...]");
static cl::SubCommand ExplainCmd("explain", "Explain a diagnostic code, e.g. `deployc explain D2002`");

static cl::list<std::string> CheckInputs(cl::Positional, cl::desc("<file.deploy>..."),
                                         cl::OneOrMore, cl::sub(CheckCmd));
static cl::list<std::string> EvalInputs(cl::Positional, cl::desc("<file.deploy>..."),
                                        cl::OneOrMore, cl::sub(EvalCmd));
static cl::list<std::string> DumpInputs(cl::Positional, cl::desc("<file.deploy>..."),
                                        cl::OneOrMore, cl::sub(DumpASTCmd));
static cl::list<std::string> EmitInputs(cl::Positional, cl::desc("<file.deploy>..."),
                                        cl::OneOrMore, cl::sub(EmitCmd));
enum EmitTarget { EmitK8s, EmitDocker, EmitDevContainer, EmitAll };
static cl::opt<EmitTarget> EmitTargetOpt(
    "target", cl::desc("What to emit"), cl::init(EmitAll),
    cl::values(clEnumValN(EmitK8s, "k8s", "Kubernetes manifests"),
               clEnumValN(EmitDocker, "docker", "Dockerfiles and docker-bake.json"),
               clEnumValN(EmitDevContainer, "devcontainer", "dev containers and VS Code tasks"),
               clEnumValN(EmitAll, "all", "everything")),
    cl::sub(EmitCmd), cl::cat(DeploycCategory));
static cl::opt<std::string> OutputDir("o", cl::desc("Output directory, or - for a YAML stream on stdout"),
                                      cl::value_desc("dir"), cl::Required, cl::sub(EmitCmd),
                                      cl::cat(DeploycCategory));
static cl::opt<unsigned> EmitJobs(
    "jobs", cl::desc("Threads that render workloads' manifests (0: one per core)"),
    cl::init(0), cl::value_desc("N"), cl::sub(EmitCmd), cl::cat(DeploycCategory));
static cl::alias EmitJobsShort("j", cl::desc("Alias for --jobs"), cl::aliasopt(EmitJobs),
                               cl::cat(DeploycCategory));
static cl::list<std::string> FmtInputs(cl::Positional, cl::desc("<file.deploy>... (- for stdin)"),
                                       cl::OneOrMore, cl::sub(FmtCmd));
static cl::opt<bool> FmtCheck("check", cl::desc("List files that would change; exit 1 if any"),
                              cl::sub(FmtCmd), cl::cat(DeploycCategory));
static cl::opt<bool> FmtDiff("diff", cl::desc("Print what would change as a unified diff; exit 1 if anything would"),
                             cl::sub(FmtCmd), cl::cat(DeploycCategory));
static cl::opt<bool> LspLitTest("lit-test",
                                cl::desc("Read ---separated messages without headers (tests)"),
                                cl::sub(LspCmd), cl::cat(DeploycCategory));
// Clients such as vscode-languageclient pass --stdio; stdio is the only transport.
static cl::opt<bool> LspStdio("stdio", cl::desc("Talk over stdin/stdout (the default)"),
                              cl::sub(LspCmd), cl::cat(DeploycCategory));
static cl::list<std::string> PlanInputs(cl::Positional, cl::desc("<file.deploy>..."),
                                        cl::OneOrMore, cl::sub(PlanCmd));
static cl::list<std::string> ApplyInputs(cl::Positional, cl::desc("<file.deploy>..."),
                                         cl::OneOrMore, cl::sub(ApplyCmd));
static cl::opt<PlanFormat> PlanFormatOpt(
    "format", cl::desc("Output format"), cl::init(PlanFormat::Text),
    cl::values(clEnumValN(PlanFormat::Text, "text", "like terraform plan"),
               clEnumValN(PlanFormat::JSON, "json", "JSON")),
    cl::sub(PlanCmd), cl::cat(DeploycCategory));
static cl::opt<std::string> PlanOut("out", cl::desc("Also save the plan (JSON) to this file"),
                                    cl::value_desc("planfile"), cl::sub(PlanCmd),
                                    cl::cat(DeploycCategory));
static cl::opt<bool> DetailedExitCode("detailed-exitcode",
                                      cl::desc("Exit 2 when there are changes (0: none, 1: errors)"),
                                      cl::sub(PlanCmd), cl::cat(DeploycCategory));
static cl::opt<std::string> ApplyPlan("plan", cl::desc("Apply this saved plan"),
                                      cl::value_desc("planfile"), cl::sub(ApplyCmd),
                                      cl::cat(DeploycCategory));
static cl::opt<std::string> StatePathOpt(
    "state", cl::desc("The state store (default: .deployc/state.db beside the spec)"),
    cl::value_desc("path"), cl::sub(PlanCmd), cl::sub(ApplyCmd), cl::sub(RollbackCmd),
    cl::sub(DriftCmd), cl::sub(StatusCmd), cl::sub(DownCmd), cl::sub(AgentCmd), cl::sub(HistoryCmd), cl::sub(ShowCmd), cl::sub(UnlockCmd),
    cl::sub(AuditCmd), cl::sub(MetricsCmd), cl::sub(BackupCmd), cl::sub(SecretsCmd),
    cl::cat(DeploycCategory));
static cl::opt<std::string> ActorOpt("actor", cl::desc("Who acts (default: $DEPLOYC_ACTOR, $USER)"),
                                     cl::value_desc("name"), cl::sub(ApplyCmd), cl::sub(DownCmd),
                                     cl::sub(RollbackCmd), cl::sub(DriftCmd), cl::sub(UnlockCmd),
                                     cl::sub(BackupCmd), cl::sub(SecretsCmd),
                                     cl::cat(DeploycCategory));
static cl::opt<std::string> VaultKeyFile("vault-key-file",
                                         cl::desc("The vault key file (mode 0600)"),
                                         cl::value_desc("path"), cl::sub(PlanCmd),
                                         cl::sub(ApplyCmd), cl::sub(BackupCmd), cl::sub(RollbackCmd),
                                         cl::sub(DriftCmd),
                                         cl::sub(SecretsCmd), cl::cat(DeploycCategory));
static cl::opt<std::string> TargetOpt("target",
                                      cl::desc("Where to apply: local (this machine, the "
                                               "default) or dir:PATH (a GitOps folder)"),
                                      cl::value_desc("kind:where"), cl::sub(ApplyCmd),
                                      cl::sub(RollbackCmd), cl::sub(DriftCmd),
                                      cl::cat(DeploycCategory));
static cl::opt<std::string> StateEnv("env", cl::desc("The environment"), cl::value_desc("name"),
                                     cl::sub(PlanCmd), cl::sub(ApplyCmd), cl::sub(RollbackCmd),
                                     cl::sub(DriftCmd), cl::sub(HistoryCmd), cl::sub(UnlockCmd),
                                     cl::sub(StatusCmd), cl::sub(DownCmd),
                                     cl::sub(BackupCmd), cl::sub(SecretsCmd),
                                     cl::cat(DeploycCategory));
static cl::list<std::string> StateSets("set", cl::desc("Override a parameter: --set NAME=VALUE"),
                                       cl::value_desc("NAME=VALUE"), cl::sub(PlanCmd),
                                       cl::sub(ApplyCmd), cl::cat(DeploycCategory));
static cl::opt<int64_t> RollbackTo("to", cl::desc("The revision to roll back to"),
                                   cl::value_desc("rev"), cl::init(0), cl::sub(RollbackCmd),
                                   cl::cat(DeploycCategory));
static cl::opt<bool> StatusJSON("json", cl::desc("Print JSON"), cl::sub(StatusCmd),
                                cl::cat(DeploycCategory));
static cl::opt<int64_t> ShowRev(cl::Positional, cl::desc("<revision>"), cl::Required,
                                cl::sub(ShowCmd));
static cl::opt<bool> AuditVerify("verify", cl::desc("Check the hash chain"), cl::sub(AuditCmd),
                                 cl::cat(DeploycCategory));
static cl::list<std::string> BackupArgs(cl::Positional, cl::desc("create|verify|restore <spec>"),
                                        cl::OneOrMore, cl::sub(BackupCmd));
static cl::opt<std::string> BackupFrom("from", cl::desc("Restore from this backup folder"),
                                       cl::value_desc("dir"), cl::sub(BackupCmd),
                                       cl::cat(DeploycCategory));
static cl::list<std::string> SecretsArgs(cl::Positional,
                                         cl::desc("set|get|list|rotate|history <spec> [args]"),
                                         cl::OneOrMore, cl::sub(SecretsCmd));
static cl::opt<std::string> ExplainCode(cl::Positional, cl::desc("<code>"),
                                        cl::sub(ExplainCmd));
static cl::opt<bool> ExplainList("list", cl::desc("List every diagnostic code"),
                                 cl::sub(ExplainCmd));

static cl::opt<std::string> EnvName("env", cl::desc("Environment to evaluate (default: all)"),
                                    cl::value_desc("name"), cl::sub(CheckCmd),
                                    cl::sub(EvalCmd), cl::sub(EmitCmd), cl::cat(DeploycCategory));
static cl::list<std::string> Sets("set", cl::desc("Override a parameter: --set NAME=VALUE"),
                                  cl::value_desc("NAME=VALUE"), cl::sub(CheckCmd),
                                  cl::sub(EvalCmd), cl::sub(EmitCmd), cl::cat(DeploycCategory));
static cl::opt<bool> Werror("Werror", cl::desc("Treat warnings as errors"),
                            cl::sub(CheckCmd), cl::sub(EvalCmd), cl::sub(EmitCmd), cl::cat(DeploycCategory));
static cl::opt<unsigned> ErrorLimit("error-limit",
                                    cl::desc("Stop after this many errors (0: no limit)"),
                                    cl::init(50), cl::sub(CheckCmd), cl::sub(EvalCmd),
                                    cl::sub(DumpASTCmd), cl::sub(EmitCmd), cl::cat(DeploycCategory));
static cl::opt<DiagFormat> Format(
    "format", cl::desc("Diagnostic output format"), cl::init(DiagFormat::Text),
    cl::values(clEnumValN(DiagFormat::Text, "text", "clang-style text on stderr"),
               clEnumValN(DiagFormat::JSON, "json", "JSON on stdout"),
               clEnumValN(DiagFormat::SARIF, "sarif", "SARIF 2.1.0 on stdout")),
    cl::sub(CheckCmd), cl::cat(DeploycCategory));
static cl::opt<driver::ColorMode> Color(
    "color", cl::desc("Colour diagnostics"), cl::init(driver::ColorMode::Auto),
    cl::values(clEnumValN(driver::ColorMode::Auto, "auto", "when stderr is a terminal"),
               clEnumValN(driver::ColorMode::Always, "always", "always"),
               clEnumValN(driver::ColorMode::Never, "never", "never")),
    cl::sub(CheckCmd), cl::sub(EvalCmd), cl::sub(DumpASTCmd), cl::sub(EmitCmd), cl::sub(FmtCmd),
    cl::cat(DeploycCategory));
static cl::opt<bool> Verify("verify",
                            cl::desc("Check diagnostics against `expected-error` comments"),
                            cl::sub(CheckCmd), cl::cat(DeploycCategory));
static cl::opt<std::string> StdlibPath("stdlib",
                                       cl::desc("Read the standard library from this directory "
                                                "instead of the copy built in"),
                                       cl::value_desc("dir"), cl::sub(CheckCmd),
                                       cl::sub(EvalCmd), cl::sub(DumpASTCmd),
                                       cl::sub(EmitCmd), cl::sub(LspCmd), cl::cat(DeploycCategory));
static cl::alias StdlibPathAlias("stdlib-path", cl::desc("Alias for --stdlib"),
                                 cl::aliasopt(StdlibPath), cl::cat(DeploycCategory));
static cl::opt<std::string> StopAfter(
    "stop-after", cl::desc("Stop after a phase: parse, resolve, typecheck, eval, schema, "
                           "reference, security, compatibility"),
    cl::value_desc("phase"), cl::sub(CheckCmd), cl::cat(DeploycCategory));

static void printVersion(raw_ostream &OS) {
  OS << "deployc " << tool::Version << " (commit " << tool::Commit << ")\n";
}

int main(int argc, char **argv) {
  InitLLVM X(argc, argv);
#ifdef __GLIBC__
  // Grow heaps in large steps: a large emit otherwise spends a tenth of its
  // time in the kernel extending the heap a little at a time. A thread's heap
  // is then writable whole from the start (glibc's heaps are 64 MiB), so the
  // huge pages asked for it are not broken up at a moving boundary. Untouched
  // pages of the padding cost no memory.
  mallopt(M_TOP_PAD, 64 << 20);
#endif
  cl::SetVersionPrinter(printVersion);
  cl::HideUnrelatedOptions({&DeploycCategory});
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "deployc: compiler for .deploy specifications\n\n"
          "  deployc check FILE...          validate specs (exit 0 clean, 1 errors, 2 usage)\n"
          "  deployc eval FILE --env NAME   print the evaluated configuration as JSON\n"
          "  deployc emit FILE -o DIR       emit Kubernetes, Dockerfiles, dev containers\n"
          "  deployc fmt [--check] FILE...  format files in one canonical style\n"
          "  deployc lsp                    run the language server on stdio\n"
          "  deployc plan FILE --env NAME   show what apply would change\n"
          "  deployc apply FILE --env NAME  run it on this machine (or --target dir:PATH)\n"
          "  deployc status / down --env NAME\n"
          "  deployc explain CODE           explain a diagnostic code\n",
          &errs()))
    return ExitUsage;

  // Every name and value from the command line is UTF-8 before it reaches a
  // command; `--set` values are checked where they are read (D0005).
  std::vector<ArgumentText> Arguments;
  for (const std::vector<std::string> *Files :
       {&CheckInputs, &EvalInputs, &DumpInputs, &EmitInputs, &FmtInputs, &PlanInputs, &ApplyInputs})
    for (const std::string &F : *Files)
      Arguments.push_back({"file name", F});
  for (const std::vector<std::string> *Words : {&BackupArgs, &SecretsArgs})
    for (const std::string &W : *Words)
      Arguments.push_back({"argument", W});
  for (const std::vector<std::string> *List : {&Sets, &StateSets})
    for (const std::string &S : *List)
      Arguments.push_back({"`--set` name", S.substr(0, S.find('='))});
  Arguments.push_back({"argument", ExplainCode.getValue()});
  for (const cl::opt<std::string> *O :
       {&EnvName, &StateEnv, &OutputDir, &StdlibPath, &StopAfter, &StatePathOpt, &ActorOpt,
        &VaultKeyFile, &TargetOpt, &PlanOut, &ApplyPlan, &BackupFrom})
    Arguments.push_back(
        {(O->ArgStr.size() == 1 ? "`-" : "`--") + O->ArgStr.str() + "` value", O->getValue()});
  if (!checkArgumentsAreUTF8(Arguments, errs()))
    return ExitUsage;

  DriverOptions Opts;
  Opts.Environment = EnvName;
  Opts.Overrides = Sets;
  Opts.WarningsAsErrors = Werror;
  Opts.ErrorLimit = ErrorLimit;
  Opts.Format = Format;
  Opts.Color = Color;
  Opts.Verify = Verify;
  Opts.StopAfter = StopAfter;
  Opts.DisableFree = true;
  Opts.Jobs = EmitJobs;
  Opts.StdlibPath = findStdlib(StdlibPath);

  int Result = ExitUsage;
  auto Run = [&] {
    if (CheckCmd) {
      Opts.Inputs = CheckInputs;
      Result = runCheck(Opts, outs(), errs());
    } else if (EvalCmd) {
      Opts.Inputs = EvalInputs;
      Result = runEval(Opts, outs(), errs());
    } else if (EmitCmd) {
      Opts.Inputs = EmitInputs;
      unsigned Mask = EmitTargetOpt == EmitK8s      ? 1u
                      : EmitTargetOpt == EmitDocker ? 2u
                      : EmitTargetOpt == EmitDevContainer ? 4u
                                                          : 7u;
      Result = runEmit(Opts, Mask, OutputDir, outs(), errs());
    } else if (PlanCmd || ApplyCmd || RollbackCmd || DriftCmd || HistoryCmd || ShowCmd ||
               UnlockCmd || AuditCmd || MetricsCmd || BackupCmd || SecretsCmd || StatusCmd ||
               DownCmd || AgentCmd) {
      StateOptions SO{StatePathOpt, ActorOpt, VaultKeyFile, TargetOpt,
                      sys::fs::getMainExecutable(argv[0], (void *)&printVersion)};
      Opts.Environment = StateEnv;
      Opts.Overrides = StateSets;
      if (PlanCmd) {
        Opts.Inputs = PlanInputs;
        Result = runPlan(Opts, SO, PlanFormatOpt, PlanOut, DetailedExitCode, outs(), errs());
      } else if (ApplyCmd) {
        Opts.Inputs = ApplyInputs;
        Result = runApply(Opts, SO, ApplyPlan, outs(), errs());
      } else if (RollbackCmd) {
        Result = runRollback(SO, StateEnv, RollbackTo, outs(), errs());
      } else if (DriftCmd) {
        Result = runDrift(SO, StateEnv, outs(), errs());
      } else if (StatusCmd) {
        Result = runStatus(SO, StateEnv, StatusJSON, outs(), errs());
      } else if (DownCmd) {
        Result = runDown(SO, StateEnv, outs(), errs());
      } else if (AgentCmd) {
        Result = runAgent(SO, errs());
      } else if (HistoryCmd) {
        Result = runHistory(SO, StateEnv, outs(), errs());
      } else if (ShowCmd) {
        Result = runShow(SO, ShowRev, outs(), errs());
      } else if (UnlockCmd) {
        Result = runUnlock(SO, StateEnv, outs(), errs());
      } else if (AuditCmd) {
        Result = runAudit(SO, AuditVerify, outs(), errs());
      } else if (MetricsCmd) {
        Result = runMetrics(SO, outs(), errs());
      } else if (BackupCmd || SecretsCmd) {
        std::vector<std::string> Words = BackupCmd ? BackupArgs : SecretsArgs;
        if (Words.size() < 2) {
          errs() << "deployc: error: usage: deployc " << (BackupCmd ? "backup" : "secrets")
                 << " ACTION SPEC ...\n";
          Result = ExitUsage;
          return;
        }
        Opts.Inputs = {Words[1]};
        std::vector<std::string> Rest(Words.begin() + 2, Words.end());
        Result = BackupCmd ? runBackup(Opts, SO, Words[0], BackupFrom, outs(), errs())
                           : runSecrets(Opts, SO, Words[0], Rest, outs(), errs());
      }
    } else if (LspCmd) {
      std::ios::sync_with_stdio(false);
      // Reading must not flush std::cout from the reader thread while
      // another thread writes a message: the transport serialises writes.
      std::cin.tie(nullptr);
      lsp::ServerOptions LO;
      LO.StdlibPath = Opts.StdlibPath.empty()
                          ? findInstalledStdlib(argv[0], (void *)&printVersion)
                          : Opts.StdlibPath;
      LO.LitTest = LspLitTest;
      Result = lsp::runLanguageServer(std::cin, std::cout, LO);
    } else if (FmtCmd) {
      Result = runFormat(FmtInputs, FmtCheck, FmtDiff, Color, outs(), errs());
    } else if (DumpASTCmd) {
      Opts.Inputs = DumpInputs;
      Result = runDumpAST(Opts, outs(), errs());
    } else if (ExplainCmd) {
      if (ExplainCode.empty() && !ExplainList) {
        errs() << "deployc explain: give a code such as D2002, or --list\n";
        Result = ExitUsage;
        return;
      }
      Result = runExplain(ExplainCode, ExplainList, outs(), errs());
    } else {
      cl::PrintHelpMessage(/*Hidden=*/false, /*Categorized=*/true);
      Result = ExitUsage;
    }
  };
  // 512 MiB of address space; only the pages deep input touches are used.
  llvm::thread Worker(llvm::Optional<unsigned>(512u << 20), [&] {
    if (!LspCmd)
      adviseHugePagesForThreadHeap();
    Run();
  });
  Worker.join();
  outs().flush();
  return Result;
}
