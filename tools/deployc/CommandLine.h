//===- CommandLine.h - deployc's commands, options and their parser -*- C++ -*-===//
//
// The command line is one table: every command with its arguments and every
// option with the commands that take it (CommandLine.cpp, getCommands). The
// parser, `deployc help` and shell completions all read that table, so a new
// option is one entry. Every usage error is one line on stderr,
//   deployc: error: unknown command `chek`; did you mean `check`?
// and exit code 2 (docs/cli.md, "Usage errors").
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_TOOLS_COMMANDLINE_H
#define DEPLOYC_TOOLS_COMMANDLINE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deployc::cli {

enum class ArgKind {
  Flag,  ///< `--verify`; also `--verify=true|false`
  Value, ///< `--env prod`, `--env=prod`; the last one given wins
  List,  ///< `--set A=1 --set B=2`: every one kept, in order
};

enum class ValueType { Text, Unsigned, Integer };

struct OptionSpec {
  llvm::StringRef Name;      ///< Long name without dashes; empty for short-only
  llvm::StringRef Short;     ///< One letter (`-j2`, `-j 2`), or empty
  ArgKind Kind;
  llvm::StringRef ValueName; ///< Shown in help: `NAME`
  llvm::StringRef Help;
  std::vector<llvm::StringRef> Choices = {}; ///< Allowed values; empty means any
  ValueType Type = ValueType::Text;
  bool Hidden = false;       ///< Left out of help (test-only options)

  /// `--name` or `-s`, as messages and help print it.
  std::string spelling() const;
};

struct CommandSpec {
  llvm::StringRef Name;
  llvm::StringRef Summary;  ///< One line, for `deployc help`
  llvm::StringRef ArgsHelp; ///< `FILE|DIR...`; empty when it takes none
  unsigned MinArgs = 0;
  unsigned MaxArgs = ~0u;
  std::vector<const OptionSpec *> Options;
  /// Options that must be given (emit's -o).
  std::vector<const OptionSpec *> Required = {};
};

/// Every command, in the order `deployc help` lists them.
const std::vector<CommandSpec> &getCommands();

/// A command line that parsed.
struct ParsedCommandLine {
  const CommandSpec *Command = nullptr;
  std::vector<std::string> Args;
  std::map<std::string, std::vector<std::string>, std::less<>> Values;

  bool has(llvm::StringRef Option) const { return Values.count(Option) != 0; }
  /// The last value of a Value option, or Default.
  std::string get(llvm::StringRef Option, llvm::StringRef Default = "") const;
  /// Every value of a List option.
  std::vector<std::string> getAll(llvm::StringRef Option) const;
  /// A flag: given (and not `=false`).
  bool flag(llvm::StringRef Option) const;
};

/// What main does after parsing.
struct ParseOutcome {
  enum Kind { Run, Help, Version, UsageError } Action = Run;
  ParsedCommandLine Line;
  const CommandSpec *HelpFor = nullptr; ///< For Help: a command, or null for all
  std::string Error;                    ///< For UsageError: the message, one line
};

/// Parses Args (without argv[0]). Never prints and never exits.
ParseOutcome parseCommandLine(const std::vector<std::string> &Args);

/// `deployc help`: one command per line after the header.
void printHelp(llvm::raw_ostream &OS);
/// `deployc help COMMAND`: usage line, then one option per line.
void printCommandHelp(llvm::raw_ostream &OS, const CommandSpec &Cmd);
/// `deployc: error: MESSAGE`, with `error:` in red when Color is set.
void printUsageError(llvm::raw_ostream &OS, llvm::StringRef Message, bool Color);

/// The close match for Word among Candidates, if any is close enough to be a
/// likely misspelling.
std::optional<std::string> suggest(llvm::StringRef Word,
                                   const std::vector<std::string> &Candidates);

} // namespace deployc::cli

#endif
