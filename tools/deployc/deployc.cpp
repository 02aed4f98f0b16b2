//===- deployc.cpp - The deployc command-line tool ------------------------===//
//
// Parses the command line with LLVM CommandLine subcommands and hands a
// DriverOptions to lib/Driver. Each command runs on a thread with a large stack:
// the front end recurses over the input, and deep input must give a diagnostic,
// never a stack overflow.
//
//===----------------------------------------------------------------------===//

#include "deployc/Driver/Driver.h"
#include "deployc/LSP/Server.h"
#include <iostream>
#include "llvm/Support/CommandLine.h"
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
static cl::list<std::string> FmtInputs(cl::Positional, cl::desc("<file.deploy>... (- for stdin)"),
                                       cl::OneOrMore, cl::sub(FmtCmd));
static cl::opt<bool> FmtCheck("check", cl::desc("List files that would change; exit 1 if any"),
                              cl::sub(FmtCmd), cl::cat(DeploycCategory));
static cl::opt<bool> LspLitTest("lit-test",
                                cl::desc("Read ---separated messages without headers (tests)"),
                                cl::sub(LspCmd), cl::cat(DeploycCategory));
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
    cl::sub(CheckCmd), cl::sub(EvalCmd), cl::sub(DumpASTCmd), cl::sub(EmitCmd),
    cl::cat(DeploycCategory));
static cl::opt<bool> Verify("verify",
                            cl::desc("Check diagnostics against `expected-error` comments"),
                            cl::sub(CheckCmd), cl::cat(DeploycCategory));
static cl::opt<std::string> StdlibPath("stdlib-path",
                                       cl::desc("Directory of the standard library"),
                                       cl::value_desc("dir"), cl::sub(CheckCmd),
                                       cl::sub(EvalCmd), cl::sub(DumpASTCmd),
                                       cl::sub(EmitCmd), cl::sub(LspCmd), cl::cat(DeploycCategory));
static cl::opt<std::string> StopAfter(
    "stop-after", cl::desc("Stop after a phase: parse, resolve, typecheck, eval, schema, "
                           "reference, security, compatibility"),
    cl::value_desc("phase"), cl::sub(CheckCmd), cl::cat(DeploycCategory));

static void printVersion(raw_ostream &OS) {
  OS << "deployc " << DEPLOYC_VERSION << "\n";
}

int main(int argc, char **argv) {
  InitLLVM X(argc, argv);
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
          "  deployc explain CODE           explain a diagnostic code\n",
          &errs()))
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
  Opts.StdlibPath = findStdlib(StdlibPath, argv[0], (void *)&printVersion);

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
    } else if (LspCmd) {
      std::ios::sync_with_stdio(false);
      lsp::ServerOptions LO;
      LO.StdlibPath = Opts.StdlibPath;
      LO.LitTest = LspLitTest;
      Result = lsp::runLanguageServer(std::cin, std::cout, LO);
    } else if (FmtCmd) {
      Result = runFormat(FmtInputs, FmtCheck, outs(), errs());
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
  llvm::thread Worker(llvm::Optional<unsigned>(512u << 20), Run);
  Worker.join();
  outs().flush();
  return Result;
}
