//===- CommandLine.cpp - deployc's commands, options and their parser -----===//
//
// The table of commands and options, and a parser over it. Option syntax:
// `--name=value`, `--name value`, a single dash for any long name
// (`-Werror`, `-env=prod`), one-letter options with the value attached or
// separate (`-j2`, `-j 2`, `-o DIR`), `--` ending the options, `-` a file
// (stdin). Options and arguments mix in any order. `--help`/`-h` and
// `--version` work before or after a command.
//
//===----------------------------------------------------------------------===//

#include "CommandLine.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include <algorithm>

using namespace deployc;
using namespace deployc::cli;

namespace {

// Options shared by several commands. Each is declared once and listed in
// the commands that take it.
const OptionSpec EnvOpt{"env", "", ArgKind::Value, "NAME", "The environment (default for check, eval, emit: all)"};
const OptionSpec SetOpt{"set", "", ArgKind::List, "NAME=VALUE", "Override a parameter; repeatable"};
const OptionSpec WerrorOpt{"Werror", "", ArgKind::Flag, "", "Treat warnings as errors"};
const OptionSpec ErrorLimitOpt{"error-limit", "", ArgKind::Value, "N", "Stop after N errors (0: no limit; default 50)", {}, ValueType::Unsigned};
const OptionSpec ColorOpt{"color", "", ArgKind::Value, "WHEN", "Colour diagnostics (auto: on a terminal unless NO_COLOR is set)", {"auto", "always", "never"}};
const OptionSpec StdlibOpt{"stdlib", "", ArgKind::Value, "DIR",
                           "Read the standard library from this directory instead of the copy built in"};
/// The option's earlier name, kept for scripts that use it.
const OptionSpec StdlibPathOpt{"stdlib-path", "", ArgKind::Value, "DIR", "Alias for --stdlib",
                               {}, ValueType::Text, /*Hidden=*/true};
const OptionSpec CheckFormatOpt{"format", "", ArgKind::Value, "FORMAT", "Diagnostic format: text on stderr, json or sarif on stdout", {"text", "json", "sarif"}};
const OptionSpec VerifyOpt{"verify", "", ArgKind::Flag, "", "Check diagnostics against `expected-error` comments"};
const OptionSpec StopAfterOpt{"stop-after", "", ArgKind::Value, "PHASE", "Stop after a phase", {"parse", "resolve", "typecheck", "eval", "schema", "reference", "security", "compatibility"}};
const OptionSpec EmitTargetOpt{"target", "", ArgKind::Value, "WHAT", "What to emit", {"k8s", "docker", "devcontainer", "all"}};
const OptionSpec OutputOpt{"", "o", ArgKind::Value, "DIR", "Output directory, or - for a YAML stream on stdout (required)"};
const OptionSpec EmitFormatOpt{"format", "", ArgKind::Value, "FORMAT", "Kubernetes output as manifests (the default) or a Helm chart per environment", {"manifests", "helm"}};
const OptionSpec JobsOpt{"jobs", "j", ArgKind::Value, "N", "Threads that render workloads' manifests (0: one per core)", {}, ValueType::Unsigned};
const OptionSpec FmtCheckOpt{"check", "", ArgKind::Flag, "", "Write nothing; list files that would change, exit 1 if any"};
const OptionSpec FmtDiffOpt{"diff", "", ArgKind::Flag, "", "Write nothing; print the changes as a unified diff, exit 1 if any"};
const OptionSpec LitTestOpt{"lit-test", "", ArgKind::Flag, "", "Read ---separated messages without headers (tests)", {}, ValueType::Text, /*Hidden=*/true};
const OptionSpec StdioOpt{"stdio", "", ArgKind::Flag, "", "Talk over stdin/stdout (the default and only transport)"};
const OptionSpec PlanFormatOpt{"format", "", ArgKind::Value, "FORMAT", "Output format", {"text", "json"}};
const OptionSpec PlanOutOpt{"out", "", ArgKind::Value, "PLANFILE", "Also save the plan (JSON) to this file"};
const OptionSpec DetailedExitCodeOpt{"detailed-exitcode", "", ArgKind::Flag, "", "Exit 2 when there are changes (0: none, 1: errors)"};
const OptionSpec ApplyPlanOpt{"plan", "", ArgKind::Value, "PLANFILE", "Apply this saved plan"};
const OptionSpec StateOpt{"state", "", ArgKind::Value, "PATH", "The state store (default: .deployc/state.db beside the spec)"};
const OptionSpec ActorOpt{"actor", "", ArgKind::Value, "NAME", "Who acts (default: $DEPLOYC_ACTOR, $USER)"};
const OptionSpec VaultKeyFileOpt{"vault-key-file", "", ArgKind::Value, "PATH", "The vault key file (mode 0600)"};
const OptionSpec ApplyTargetOpt{"target", "", ArgKind::Value, "KIND:WHERE", "Where to apply: local (this machine, the default) or dir:PATH (a GitOps folder)"};
const OptionSpec RollbackToOpt{"to", "", ArgKind::Value, "REV", "The revision to roll back to", {}, ValueType::Integer};
const OptionSpec JSONOpt{"json", "", ArgKind::Flag, "", "Print JSON"};
const OptionSpec AuditVerifyOpt{"verify", "", ArgKind::Flag, "", "Check the hash chain"};
const OptionSpec BackupFromOpt{"from", "", ArgKind::Value, "DIR", "Restore from this backup folder"};
const OptionSpec ExplainListOpt{"list", "", ArgKind::Flag, "", "List every diagnostic code"};

// Accepted by every command and before any.
const OptionSpec HelpOpt{"help", "h", ArgKind::Flag, "", "Show this help"};
const OptionSpec VersionOpt{"version", "", ArgKind::Flag, "", "Show the version"};

} // namespace

std::string OptionSpec::spelling() const {
  return Name.empty() ? ("-" + Short).str() : ("--" + Name).str();
}

const std::vector<CommandSpec> &cli::getCommands() {
  static const std::vector<CommandSpec> Commands = {
      {"check", "Parse, type-check and validate the programs of .deploy files and folders",
       "FILE|DIR...", 1, ~0u,
       {&EnvOpt, &SetOpt, &WerrorOpt, &ErrorLimitOpt, &CheckFormatOpt, &ColorOpt, &VerifyOpt,
        &StdlibOpt, &StdlibPathOpt, &StopAfterOpt}},
      {"eval", "Print the evaluated configuration of an environment as JSON", "FILE...", 1, ~0u,
       {&EnvOpt, &SetOpt, &WerrorOpt, &ErrorLimitOpt, &ColorOpt, &StdlibOpt, &StdlibPathOpt}},
      {"emit", "Emit Kubernetes manifests, Dockerfiles and dev containers", "FILE...", 1, ~0u,
       {&OutputOpt, &EmitTargetOpt, &EmitFormatOpt, &JobsOpt, &EnvOpt, &SetOpt, &WerrorOpt, &ErrorLimitOpt,
        &ColorOpt, &StdlibOpt, &StdlibPathOpt},
       {&OutputOpt}},
      {"fmt", "Format .deploy files and folders in place (or check, or show the diff)",
       "FILE|DIR...|-", 1, ~0u, {&FmtCheckOpt, &FmtDiffOpt, &ColorOpt}},
      {"dump-ast", "Print the syntax tree of .deploy files", "FILE...", 1, ~0u,
       {&ErrorLimitOpt, &ColorOpt, &StdlibOpt, &StdlibPathOpt}},
      {"explain", "Explain a diagnostic code, e.g. `deployc explain D2002`", "CODE", 0, 1,
       {&ExplainListOpt}},
      {"lsp", "Run the language server on stdin/stdout (LSP 3.17)", "", 0, 0,
       {&StdlibOpt, &StdlibPathOpt, &StdioOpt, &LitTestOpt}},
      {"plan", "Show what applying an environment would change", "FILE...", 1, ~0u,
       {&EnvOpt, &SetOpt, &PlanFormatOpt, &PlanOutOpt, &DetailedExitCodeOpt, &StateOpt,
        &VaultKeyFileOpt}},
      {"apply", "Apply an environment (on this machine by default) and record the revision",
       "FILE...", 1, ~0u,
       {&EnvOpt, &SetOpt, &ApplyTargetOpt, &ApplyPlanOpt, &ActorOpt, &StateOpt,
        &VaultKeyFileOpt}},
      {"rollback", "Go back to an earlier revision", "", 0, 0,
       {&EnvOpt, &RollbackToOpt, &ApplyTargetOpt, &ActorOpt, &StateOpt, &VaultKeyFileOpt}},
      {"status", "Show what runs on this machine", "", 0, 0, {&EnvOpt, &JSONOpt, &StateOpt}},
      {"down", "Stop every process of an environment on this machine", "", 0, 0,
       {&EnvOpt, &ActorOpt, &StateOpt}},
      {"agent", "Run the local engine's agent (apply starts it)", "", 0, 0, {&StateOpt}},
      {"drift", "Find changes made by hand since the last apply", "", 0, 0,
       {&EnvOpt, &ApplyTargetOpt, &ActorOpt, &StateOpt, &VaultKeyFileOpt}},
      {"history", "List the revisions of an environment", "", 0, 0, {&EnvOpt, &StateOpt}},
      {"show", "Show one revision as JSON", "REV", 1, 1, {&StateOpt}},
      {"unlock", "Remove an environment's lock left by a crashed process", "", 0, 0,
       {&EnvOpt, &ActorOpt, &StateOpt}},
      {"audit", "Print (or --verify) the hash-chained audit log", "", 0, 0,
       {&AuditVerifyOpt, &StateOpt}},
      {"metrics", "Print deployment metrics (Prometheus text format)", "", 0, 0, {&StateOpt}},
      {"backup", "Create, verify or restore a backup of an environment",
       "create|verify|restore FILE", 2, 2,
       {&EnvOpt, &BackupFromOpt, &ActorOpt, &StateOpt, &VaultKeyFileOpt}},
      {"secrets", "Set, get, list, rotate secrets or show their history",
       "set|get|list|rotate|history FILE [SECRET [COMPONENT=VALUE|-|@FILE]...]", 2, ~0u,
       {&EnvOpt, &ActorOpt, &StateOpt, &VaultKeyFileOpt}},
      {"help", "Show the commands, or the options of one", "[COMMAND]", 0, 1, {}},
  };
  return Commands;
}

std::string ParsedCommandLine::get(llvm::StringRef Option, llvm::StringRef Default) const {
  auto It = Values.find(Option);
  return It == Values.end() ? Default.str() : It->second.back();
}

std::vector<std::string> ParsedCommandLine::getAll(llvm::StringRef Option) const {
  auto It = Values.find(Option);
  return It == Values.end() ? std::vector<std::string>() : It->second;
}

bool ParsedCommandLine::flag(llvm::StringRef Option) const {
  auto It = Values.find(Option);
  return It != Values.end() && It->second.back() != "false";
}

/// Whether B is A with two neighbouring characters swapped (`--evn`,
/// `--env`): the commonest typing slip, which costs two plain edits.
static bool isAdjacentSwap(llvm::StringRef A, llvm::StringRef B) {
  if (A.size() != B.size())
    return false;
  size_t I = 0;
  while (I < A.size() && A[I] == B[I])
    ++I;
  return I + 1 < A.size() && A[I] == B[I + 1] && A[I + 1] == B[I] &&
         A.drop_front(I + 2) == B.drop_front(I + 2);
}

std::optional<std::string> cli::suggest(llvm::StringRef Word,
                                        const std::vector<std::string> &Candidates) {
  // A third of the word, at least one edit: `chek` -> `check`,
  // `--verison` -> `--version`, but not `--format` -> `--Werror`.
  unsigned Max = std::max<size_t>(1, Word.size() / 3);
  std::optional<std::string> Best;
  unsigned BestDistance = Max + 1;
  for (const std::string &C : Candidates) {
    unsigned D = Word.lower() == llvm::StringRef(C).lower() ? 0
                 : isAdjacentSwap(Word, C)                      ? 1
                     : Word.edit_distance(C, /*AllowReplacements=*/true, Max);
    if (D < BestDistance) {
      BestDistance = D;
      Best = C;
    }
  }
  return Best;
}

namespace {

std::string quoteList(const std::vector<llvm::StringRef> &Words) {
  std::string S;
  for (size_t I = 0; I < Words.size(); ++I)
    S += (I ? ", `" : "`") + Words[I].str() + "`";
  return S;
}

class Parser {
public:
  explicit Parser(const std::vector<std::string> &Args) : Args(Args) {}

  ParseOutcome run() {
    size_t I = 0;
    // Before the command: only --help and --version.
    if (I < Args.size() && Args[I].size() > 1 && Args[I][0] == '-') {
      llvm::StringRef A = Args[I];
      llvm::StringRef Name = A.drop_while([](char C) { return C == '-'; });
      if (Name == "help" || A == "-h")
        return help(nullptr);
      if (Name == "version")
        return version();
      std::vector<std::string> Globals = {"--help", "--version"};
      std::string Msg = "unknown option `" + A.str() + "` before the command";
      if (auto S = suggest(A.split('=').first, Globals))
        Msg += "; did you mean `" + *S + "`?";
      else
        Msg += "; usage: deployc COMMAND [options] (see `deployc help`)";
      return error(Msg);
    }
    if (I == Args.size())
      return error("no command given; `deployc help` lists the commands");
    const CommandSpec *Cmd = findCommand(Args[I]);
    if (!Cmd) {
      std::vector<std::string> Names;
      for (const CommandSpec &C : getCommands())
        Names.push_back(C.Name.str());
      std::string Msg = "unknown command `" + Args[I] + "`";
      if (auto S = suggest(Args[I], Names))
        Msg += "; did you mean `" + *S + "`?";
      else
        Msg += "; `deployc help` lists the commands";
      return error(Msg);
    }
    Out.Line.Command = Cmd;
    ++I;
    bool OptionsEnded = false;
    for (; I < Args.size(); ++I) {
      llvm::StringRef A = Args[I];
      if (OptionsEnded || A == "-" || !A.startswith("-")) {
        Out.Line.Args.push_back(A.str());
        continue;
      }
      if (A == "--") {
        OptionsEnded = true;
        continue;
      }
      if (!option(*Cmd, I))
        return Out;
      if (Out.Action != ParseOutcome::Run)
        return Out;
    }
    return finish(*Cmd);
  }

private:
  static const CommandSpec *findCommand(llvm::StringRef Name) {
    for (const CommandSpec &C : getCommands())
      if (C.Name == Name)
        return &C;
    return nullptr;
  }

  ParseOutcome help(const CommandSpec *Cmd) {
    Out.Action = ParseOutcome::Help;
    Out.HelpFor = Cmd;
    return Out;
  }
  ParseOutcome version() {
    Out.Action = ParseOutcome::Version;
    return Out;
  }
  ParseOutcome error(std::string Message) {
    Out.Action = ParseOutcome::UsageError;
    Out.Error = std::move(Message);
    return Out;
  }

  /// Parses the option at Args[I] (advancing I past a separate value).
  /// Returns false after a usage error.
  bool option(const CommandSpec &Cmd, size_t &I) {
    llvm::StringRef A = Args[I];
    bool DoubleDash = A.startswith("--");
    llvm::StringRef Body = A.drop_front(DoubleDash ? 2 : 1);
    auto [Name, Attached] = Body.split('=');
    bool HasValue = Body.contains('=');
    std::vector<const OptionSpec *> Options = Cmd.Options;
    Options.push_back(&HelpOpt);
    Options.push_back(&VersionOpt);

    const OptionSpec *Spec = nullptr;
    for (const OptionSpec *O : Options)
      if (!O->Name.empty() && O->Name == Name)
        Spec = O;
    // `-j2`, `-j 2`, `-oDIR`: a one-letter option with a single dash.
    if (!Spec && !DoubleDash && !Body.empty()) {
      for (const OptionSpec *O : Options)
        if (!O->Short.empty() && O->Short == Body.take_front(1)) {
          Spec = O;
          Name = Body.take_front(1);
          Attached = Body.drop_front(1);
          // `-o=` gives an empty value, as `--env=` does.
          HasValue = Attached.consume_front("=") || !Attached.empty();
        }
    }
    if (!Spec) {
      std::vector<std::string> Spellings;
      for (const OptionSpec *O : Options)
        if (!O->Hidden)
          Spellings.push_back(O->spelling());
      std::string Word = A.split('=').first.str();
      std::string Msg = "unknown option `" + Word + "` for `" + Cmd.Name.str() + "`";
      std::string Dashed = DoubleDash ? Word : "-" + Word;
      if (auto S = suggest(Dashed, Spellings))
        Msg += "; did you mean `" + *S + "`?";
      else
        Msg += "; `deployc help " + Cmd.Name.str() + "` lists its options";
      error(Msg);
      return false;
    }
    if (Spec == &HelpOpt) {
      help(&Cmd);
      return true;
    }
    if (Spec == &VersionOpt) {
      version();
      return true;
    }
    std::string Shown = Spec->spelling();
    if (Spec->Kind == ArgKind::Flag) {
      if (HasValue && Attached != "true" && Attached != "false") {
        error("`" + Shown + "` takes no value, or `=true` or `=false`; got `" + Attached.str() +
              "`");
        return false;
      }
      Out.Line.Values[key(*Spec)].push_back(HasValue ? Attached.str() : "true");
      return true;
    }
    std::string Value;
    if (HasValue) {
      Value = Attached.str();
    } else if (I + 1 < Args.size()) {
      Value = Args[++I];
    } else {
      error("`" + Shown + "` needs a value: " + Shown + " " + Spec->ValueName.str());
      return false;
    }
    if (!Spec->Choices.empty() &&
        std::find(Spec->Choices.begin(), Spec->Choices.end(), Value) == Spec->Choices.end()) {
      std::vector<std::string> Choices(Spec->Choices.begin(), Spec->Choices.end());
      std::string Msg = "invalid value `" + Value + "` for `" + Shown + "`";
      if (auto S = suggest(Value, Choices))
        Msg += "; did you mean `" + *S + "`?";
      else
        Msg += "; choices are " + quoteList(Spec->Choices);
      error(Msg);
      return false;
    }
    if (Spec->Type != ValueType::Text) {
      llvm::StringRef V(Value);
      bool Bad = Spec->Type == ValueType::Unsigned ? V.empty() || !llvm::all_of(V, llvm::isDigit)
                                                   : !isInteger(V);
      uint64_t U;
      int64_t S;
      if (!Bad)
        Bad = Spec->Type == ValueType::Unsigned ? V.getAsInteger(10, U) || U > ~0u
                                                : V.getAsInteger(10, S);
      if (Bad) {
        error("invalid value `" + Value + "` for `" + Shown + "`: expected " +
              (Spec->Type == ValueType::Unsigned ? "a whole number such as 4"
                                                 : "a revision number such as 3"));
        return false;
      }
    }
    Out.Line.Values[key(*Spec)].push_back(Value);
    return true;
  }

  static bool isInteger(llvm::StringRef V) {
    V.consume_front("-");
    return !V.empty() && llvm::all_of(V, llvm::isDigit);
  }

  static std::string key(const OptionSpec &O) {
    return O.Name.empty() ? O.Short.str() : O.Name.str();
  }

  ParseOutcome finish(const CommandSpec &Cmd) {
    size_t N = Out.Line.Args.size();
    std::string Usage = "deployc " + Cmd.Name.str() + " " + Cmd.ArgsHelp.str();
    if (N < Cmd.MinArgs)
      return error("`" + Cmd.Name.str() + "` needs " +
                   (N ? "more arguments" : "an argument") + ": " + Usage);
    if (N > Cmd.MaxArgs)
      return error("unexpected argument `" + Out.Line.Args[Cmd.MaxArgs] + "` for `" +
                   Cmd.Name.str() + "`" +
                   (Cmd.ArgsHelp.empty() ? std::string(", which takes none")
                                         : "; usage: " + Usage));
    for (const OptionSpec *R : Cmd.Required)
      if (!Out.Line.has(key(*R)))
        return error("`" + Cmd.Name.str() + "` needs `" + R->spelling() + " " +
                     R->ValueName.str() + "`");
    if (Cmd.Name == "help" && N == 1) {
      const CommandSpec *Of = findCommand(Out.Line.Args[0]);
      if (!Of) {
        std::vector<std::string> Names;
        for (const CommandSpec &C : getCommands())
          Names.push_back(C.Name.str());
        std::string Msg = "unknown command `" + Out.Line.Args[0] + "`";
        if (auto S = suggest(Out.Line.Args[0], Names))
          Msg += "; did you mean `" + *S + "`?";
        return error(Msg);
      }
      return help(Of);
    }
    if (Cmd.Name == "help")
      return help(nullptr);
    return Out;
  }

  const std::vector<std::string> &Args;
  ParseOutcome Out;
};

std::string optionSynopsis(const OptionSpec &O) {
  std::string S;
  if (!O.Short.empty())
    S += "-" + O.Short.str();
  if (!O.Name.empty())
    S += (S.empty() ? "--" : ", --") + O.Name.str();
  if (O.Kind != ArgKind::Flag) {
    std::string V = O.ValueName.str();
    if (!O.Choices.empty()) {
      V.clear();
      for (llvm::StringRef C : O.Choices)
        V += (V.empty() ? "" : "|") + C.str();
    }
    S += " " + V;
  }
  return S;
}

} // namespace

ParseOutcome cli::parseCommandLine(const std::vector<std::string> &Args) {
  return Parser(Args).run();
}

void cli::printHelp(llvm::raw_ostream &OS) {
  OS << "deployc: compiler for .deploy specifications\n\n"
        "Usage: deployc COMMAND [options] [arguments]\n\n"
        "Commands:\n";
  for (const CommandSpec &C : getCommands())
    OS << "  " << llvm::left_justify(C.Name, 10) << "  " << C.Summary << "\n";
  OS << "\n`deployc help COMMAND` (or `deployc COMMAND --help`) shows the options of a "
        "command.\n";
}

void cli::printCommandHelp(llvm::raw_ostream &OS, const CommandSpec &Cmd) {
  OS << "Usage: deployc " << Cmd.Name << " [options]";
  if (!Cmd.ArgsHelp.empty())
    OS << " " << Cmd.ArgsHelp;
  OS << "\n\n" << Cmd.Summary << "\n";
  std::vector<const OptionSpec *> Shown;
  for (const OptionSpec *O : Cmd.Options)
    if (!O->Hidden)
      Shown.push_back(O);
  Shown.push_back(&HelpOpt);
  OS << "\nOptions:\n";
  for (const OptionSpec *O : Shown) {
    std::string Syn = optionSynopsis(*O);
    // One option per line, also when the synopsis is long: scripts read it.
    OS << "  " << llvm::left_justify(Syn, 30) << "  " << O->Help << "\n";
  }
}

void cli::printUsageError(llvm::raw_ostream &OS, llvm::StringRef Message, bool Color) {
  OS << "deployc: ";
  if (Color)
    OS.changeColor(llvm::raw_ostream::RED, /*Bold=*/true);
  OS << "error:";
  if (Color)
    OS.resetColor();
  OS << " " << Message << "\n";
}
