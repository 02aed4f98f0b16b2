//===- Emit.h - Back ends over the lowered plan -------------------*- C++ -*-===//
//
// Back ends read plan::Environment only. Each returns files (relative path and
// contents) rather than writing them, so the driver can write all of them
// atomically, and tests can compare bytes. Output is deterministic: documents
// and keys come in a fixed order, and nothing depends on time or the machine.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_EMIT_EMIT_H
#define DEPLOYC_EMIT_EMIT_H

#include "deployc/Basic/Diagnostic.h"
#include "deployc/Plan/Plan.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include <string>
#include <vector>

namespace deployc::emit {

struct EmittedFile {
  std::string Path; ///< Relative to the output directory, `/`-separated.
  std::string Contents;
};

enum Target : unsigned {
  TargetKubernetes = 1u << 0,
  TargetDocker = 1u << 1,
  TargetDevContainer = 1u << 2,
  TargetAll = TargetKubernetes | TargetDocker | TargetDevContainer,
};

/// Kubernetes manifests for one environment, under `<env>/`, one file per
/// resource group (namespace.yaml, secrets.yaml, <workload>.yaml, backup.yaml).
/// Patch errors are reported to Diags. Workloads' files are rendered on
/// Threads threads (0: one per core); files and diagnostics come out the same,
/// in the same order, whatever the number.
std::vector<EmittedFile> emitKubernetes(const plan::Environment &Env,
                                        DiagnosticEngine &Diags, unsigned Threads = 0);

/// The same files handed to Sink one by one, in order, as each is rendered,
/// so that a caller writing them out never holds them all. Sink runs on the
/// calling thread.
void emitKubernetes(const plan::Environment &Env, DiagnosticEngine &Diags,
                    llvm::function_ref<void(EmittedFile)> Sink, unsigned Threads = 0);

/// All manifests of the environment as one `---`-separated YAML stream.
std::string emitKubernetesStream(const plan::Environment &Env, DiagnosticEngine &Diags);

/// Where the sources are, seen from the output folder: a build's `context` is
/// relative to the spec's folder, while the emitted files live in the output
/// folder. Empty means the same folder.
struct SourceLocation {
  std::string SpecDirFromOutput; ///< e.g. "../examples/api-build"
  std::string OutputFromSpecDir; ///< e.g. "../../out"
};

/// docker/<build>/Dockerfile, .dockerignore and docker-bake.json. Bake paths
/// are relative to the output folder (run `docker buildx bake` there).
std::vector<EmittedFile> emitDocker(const plan::Environment &Env, const SourceLocation &Src);

/// .devcontainer/<name>/devcontainer.json and .vscode/tasks.json.
std::vector<EmittedFile> emitDevContainers(const plan::Environment &Env,
                                           const SourceLocation &Src);

/// `a/b` joined with `c` ("." and empty parts dropped), `/`-separated.
std::string joinPath(llvm::StringRef A, llvm::StringRef B);

/// The Dockerfile of one build (used by emitDocker and its tests).
std::string renderDockerfile(const plan::Build &B);

} // namespace deployc::emit

#endif
