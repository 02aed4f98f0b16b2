//===- Driver.h - The deployc commands over the pipeline ----------*- C++ -*-===//
//
// The driver owns one compilation: it loads inputs, runs the phases listed in
// Pipeline.cpp up to the one a command needs, renders diagnostics and maps the
// outcome to an exit code. tools/deployc only parses the command line.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_DRIVER_DRIVER_H
#define DEPLOYC_DRIVER_DRIVER_H

#include "deployc/Basic/DiagnosticRendering.h"
#include "llvm/Support/raw_ostream.h"
#include <string>
#include <vector>

namespace deployc::driver {

/// Exit codes shared by all commands (docs/cli.md).
enum ExitCode : int {
  ExitSuccess = 0,
  ExitErrors = 1,
  ExitUsage = 2,
};

enum class ColorMode { Auto, Always, Never };

struct DriverOptions {
  std::vector<std::string> Inputs;
  std::string Environment;              ///< --env; empty means all.
  std::vector<std::string> Overrides;   ///< --set NAME=VALUE, in order.
  bool WarningsAsErrors = false;
  unsigned ErrorLimit = 50;
  DiagFormat Format = DiagFormat::Text;
  ColorMode Color = ColorMode::Auto;
  std::string StdlibPath;               ///< On-disk stdlib; empty: embedded.
  bool Verify = false;                  ///< -verify: compare with expected- comments.
  std::string StopAfter;                ///< --stop-after=PHASE.
  /// The process exits right after the command: leave the program to the
  /// operating system instead of freeing it node by node (clang's
  /// -disable-free).
  bool DisableFree = false;
  /// emit --jobs: threads rendering manifests; 0 means one per core.
  unsigned Jobs = 0;
};

/// The on-disk stdlib to use instead of the embedded one: --stdlib, else
/// $DEPLOYC_STDLIB; empty (the embedded copy) when neither is set.
std::string findStdlib(llvm::StringRef Explicit);

/// The stdlib installed beside the binary (<dir of the executable>/../
/// share/deployc/stdlib), empty when there is none. The language server
/// prefers it to the embedded copy: an editor can open its files when
/// going to a stdlib definition.
std::string findInstalledStdlib(llvm::StringRef Argv0, void *MainAddr);

/// `deployc check`: each file and folder of Opts.Inputs is checked in the
/// programs it belongs to (findPrograms in Inputs.h), each program once, and
/// their diagnostics are merged, identical ones printed once. With Verify the
/// inputs form one program, as given.
int runCheck(const DriverOptions &Opts, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
int runEval(const DriverOptions &Opts, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
int runDumpAST(const DriverOptions &Opts, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
/// `deployc emit`: Targets is a mask of emit::Target; OutDir "-" prints the
/// Kubernetes YAML stream on stdout.
int runEmit(const DriverOptions &Opts, unsigned Targets, llvm::StringRef OutDir,
            llvm::raw_ostream &Out, llvm::raw_ostream &Err);
/// `deployc emit --format=helm`: a Helm chart per environment under
/// OutDir/helm/SPEC-ENV, whose values are the spec's string parameters.
int runEmitHelm(const DriverOptions &Opts, llvm::StringRef OutDir, llvm::raw_ostream &Err);
/// `deployc fmt`: rewrites files in place, or with Check only lists those that
/// would change (exit 1 when any would), or with Diff prints the change as a
/// unified diff instead of the list. "-" formats stdin to stdout; a folder
/// means the .deploy files under it (see Inputs.h).
int runFormat(const std::vector<std::string> &Inputs, bool Check, bool Diff, ColorMode Color,
              llvm::raw_ostream &Out, llvm::raw_ostream &Err);
/// Options of the commands that use the state store and the vault.
struct StateOptions {
  std::string StatePath;    ///< --state; default .deployc/state.db beside the spec
  std::string Actor;        ///< --actor; default $DEPLOYC_ACTOR or $USER
  std::string VaultKeyFile; ///< --vault-key-file; default vault.key beside the vault
  std::string Target;       ///< --target local (default) or dir:PATH
  std::string DeploycPath;  ///< This executable: the local target starts its agent
};

enum class PlanFormat { Text, JSON };

int runPlan(const DriverOptions &Opts, const StateOptions &SO, PlanFormat Format,
            llvm::StringRef OutFile, bool DetailedExitCode, llvm::raw_ostream &Out,
            llvm::raw_ostream &Err);
int runApply(const DriverOptions &Opts, const StateOptions &SO, llvm::StringRef PlanFile,
             llvm::raw_ostream &Out, llvm::raw_ostream &Err);
int runRollback(const StateOptions &SO, llvm::StringRef Env, int64_t To, llvm::raw_ostream &Out,
                llvm::raw_ostream &Err);
int runDrift(const StateOptions &SO, llvm::StringRef Env, llvm::raw_ostream &Out,
             llvm::raw_ostream &Err);
/// What runs on this machine (the local target), as a table or JSON.
int runStatus(const StateOptions &SO, llvm::StringRef Env, bool JSON, llvm::raw_ostream &Out,
              llvm::raw_ostream &Err);
/// Stops every process of an environment on this machine.
int runDown(const StateOptions &SO, llvm::StringRef Env, llvm::raw_ostream &Out,
            llvm::raw_ostream &Err);
/// The agent of a state folder, in the foreground (started by apply).
int runAgent(const StateOptions &SO, llvm::raw_ostream &Err);
int runHistory(const StateOptions &SO, llvm::StringRef Env, llvm::raw_ostream &Out,
               llvm::raw_ostream &Err);
int runShow(const StateOptions &SO, int64_t Revision, llvm::raw_ostream &Out,
            llvm::raw_ostream &Err);
int runUnlock(const StateOptions &SO, llvm::StringRef Env, llvm::raw_ostream &Out,
              llvm::raw_ostream &Err);
int runAudit(const StateOptions &SO, bool Verify, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
int runMetrics(const StateOptions &SO, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
/// Action: create, verify or restore.
int runBackup(const DriverOptions &Opts, const StateOptions &SO, llvm::StringRef Action,
              llvm::StringRef From, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
/// Action: set, get, list, rotate or history; Args are the words after the spec.
int runSecrets(const DriverOptions &Opts, const StateOptions &SO, llvm::StringRef Action,
               const std::vector<std::string> &Args, llvm::raw_ostream &Out,
               llvm::raw_ostream &Err);

int runExplain(llvm::StringRef Code, bool List, llvm::raw_ostream &Out,
               llvm::raw_ostream &Err);

/// A value from the command line and what it is, e.g. {"`--env` value", "prod"}.
struct ArgumentText {
  std::string What;
  std::string Text;
};
/// Reports each value that is not valid UTF-8 (D0008) on Err: names and values
/// end up in JSON, YAML and the state store, which hold UTF-8 only. Returns
/// false when any is not.
bool checkArgumentsAreUTF8(const std::vector<ArgumentText> &Args, llvm::raw_ostream &Err);

/// Text with each byte that is not part of valid UTF-8 written as `\xHH`, so a
/// bad value can be shown in a diagnostic.
std::string escapeInvalidUTF8(llvm::StringRef Text);

} // namespace deployc::driver

#endif
