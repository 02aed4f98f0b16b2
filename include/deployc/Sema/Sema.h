//===- Sema.h - The front end's passes, in order -------------------*- C++ -*-===//
//
// runFrontEnd runs the passes listed in lib/Sema/Pipeline.cpp over the input
// files: load modules and imports, collect declarations, resolve names and check
// types, evaluate each environment, then validate in four stages (schema,
// reference, security, compatibility). Findings go to the DiagnosticEngine.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_SEMA_SEMA_H
#define DEPLOYC_SEMA_SEMA_H

#include "deployc/Sema/Program.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include <functional>
#include <memory>
#include <optional>

namespace deployc::sema {

/// The phases --stop-after can name, in pipeline order.
enum class Phase : uint8_t {
  Parse,
  Resolve,
  TypeCheck,
  Eval,
  Schema,
  Reference,
  Security,
  Compatibility,
  All = Compatibility
};

std::optional<Phase> lookupPhase(llvm::StringRef Name);
llvm::StringRef getPhaseName(Phase P);

struct FrontEndOptions {
  /// The stdlib directory on disk; empty: the copy embedded in the binary
  /// (deployc/Basic/EmbeddedStdlib.h).
  std::string StdlibPath;
  /// Evaluate only this environment (all when empty).
  std::string OnlyEnvironment;
  /// `--set NAME=VALUE` in order; later ones win.
  std::vector<std::pair<std::string, std::string>> Overrides;
  Phase StopAfter = Phase::All;
  /// What the caller reads from the Program afterwards. Whatever it does not
  /// read is freed as soon as no later pass needs it, so that less is held at
  /// once: with Values, the facts of type checking go after evaluation (emit
  /// lowers the values only); with Diagnostics, also each environment's values
  /// once it is validated (check), so one environment is held at a time.
  enum class Keep : uint8_t { Everything, Values, Diagnostics };
  Keep Keeps = Keep::Everything;
  /// Reads imported files; the language server passes one that prefers open
  /// editor buffers. Unset: the file system.
  std::function<std::optional<std::string>(llvm::StringRef Path)> ReadFile;
  /// Parses a file for the program, or returns a module parsed before (the
  /// language server reuses unchanged files). It must make the module's buffer
  /// known to SM and report the module's syntax errors to Diags. Unset: parse.
  std::function<ast::Module *(llvm::StringRef DisplayPath, std::string Text,
                              SourceManager &SM, DiagnosticEngine &Diags)>
      LoadModule;
};

/// Runs the front end. Inputs are file paths ("-" is stdin, already read into
/// the SourceManager as PreloadedFiles when given). Returns the program even
/// when there were errors, for tools that work on broken input.
std::unique_ptr<Program> runFrontEnd(SourceManager &SM, DiagnosticEngine &Diags,
                                     llvm::ArrayRef<FileID> InputFiles,
                                     const FrontEndOptions &Opts);

/// Individual passes (run in this order by runFrontEnd).
void loadImports(Program &P, const FrontEndOptions &Opts);
void collectDeclarations(Program &P);
void checkTypes(Program &P);
void parseOverrides(Program &P, const FrontEndOptions &Opts);
/// Evaluates the environments in order, calling OnEvaluated on each as soon as
/// it is complete (and before the next one starts).
void evaluateEnvironments(Program &P, const FrontEndOptions &Opts,
                          llvm::function_ref<void(EnvironmentModel &)> OnEvaluated);
/// The validation stages, each over one evaluated environment.
void runSchemaStage(Program &P, const EnvironmentModel &M);
/// The part of the reference stage that does not depend on an environment.
void checkUnusedDeclarations(Program &P);
void runReferenceStage(Program &P, const EnvironmentModel &M);
/// The part of the reference stage that compares the names declarations get
/// in the output (Kubernetes names, namespaces, folders); run by
/// runReferenceStage.
void checkOutputNames(Program &P, const EnvironmentModel &M);
void runSecurityStage(Program &P, const EnvironmentModel &M);
void runCompatibilityStage(Program &P, const EnvironmentModel &M);

/// The Kubernetes form of a declared name (RFC 1123 label): lower case, one
/// `-` for each run of other characters, at most 63 characters, never empty.
/// Folders and bake targets of builds and dev containers use it too.
std::string kubernetesName(llvm::StringRef Name);

/// The most pods a workload (of kind Kind, evaluated to W) runs at once:
/// its replicas, its autoscaling or pool maximum.
int64_t maxReplicas(ast::DeclKind Kind, const Value &W);

/// Whether a workload runs as a StatefulSet: a rolling service or worker
/// with storage and more than one pod. A ReadWriteOnce claim attaches to one
/// node, so the pods need a claim each (volumeClaimTemplates), not one shared.
bool runsAsStatefulSet(ast::DeclKind Kind, const Value &W);

} // namespace deployc::sema

#endif
