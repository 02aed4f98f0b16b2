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
  std::string StdlibPath;               ///< Resolved by the tool.
  bool Verify = false;                  ///< -verify: compare with expected- comments.
  std::string StopAfter;                ///< --stop-after=PHASE.
};

/// Where the stdlib is: --stdlib-path, else $DEPLOYC_STDLIB, else
/// <dir of the executable>/../share/deployc/stdlib.
std::string findStdlib(llvm::StringRef Explicit, llvm::StringRef Argv0,
                       void *MainAddr);

int runCheck(const DriverOptions &Opts, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
int runEval(const DriverOptions &Opts, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
int runDumpAST(const DriverOptions &Opts, llvm::raw_ostream &Out, llvm::raw_ostream &Err);
/// `deployc emit`: Targets is a mask of emit::Target; OutDir "-" prints the
/// Kubernetes YAML stream on stdout.
int runEmit(const DriverOptions &Opts, unsigned Targets, llvm::StringRef OutDir,
            llvm::raw_ostream &Out, llvm::raw_ostream &Err);
/// `deployc fmt`: rewrites files in place, or with Check only lists those that
/// would change (exit 1 when any would). "-" formats stdin to stdout.
int runFormat(const std::vector<std::string> &Inputs, bool Check, llvm::raw_ostream &Out,
              llvm::raw_ostream &Err);
int runExplain(llvm::StringRef Code, bool List, llvm::raw_ostream &Out,
               llvm::raw_ostream &Err);

} // namespace deployc::driver

#endif
