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
#include <map>
#include <memory>
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

/// The Kubernetes output folder, `k8s/`, beside `docker/` and `.devcontainer/`
/// so that a GitOps controller syncing it never reads a Dockerfile or a dev
/// container. Each environment has a folder of its own, `k8s/<env>/`, and
/// the cluster-scoped objects of all of them go once to `k8s/<ClusterFolder>`
/// (an environment name cannot contain `-`, so the two never meet).
constexpr const char *KubernetesFolder = "k8s";
constexpr const char *ClusterFolder = "cluster-scoped";
/// The name kustomize, Argo CD and Flux read a kustomization from, and that
/// `kubectl apply -f DIR` skips (it reads .yaml, .yml and .json files only),
/// so that both ways of applying a folder work.
constexpr const char *KustomizationFile = "Kustomization";

/// The cluster-scoped objects (PriorityClasses, ClusterSecretStores) of the
/// environments emitted into it, each kept once: environments share them. A
/// ClusterSecretStore is limited to the namespaces of the environments that
/// read it. Two environments that emit one object differently (a `patch`
/// changed it in one) are reported when the second one is added.
class ClusterObjects {
public:
  ClusterObjects();
  ~ClusterObjects();
  ClusterObjects(const ClusterObjects &) = delete;
  ClusterObjects &operator=(const ClusterObjects &) = delete;

  /// `k8s/cluster-scoped/` (its objects and kustomization; nothing when there
  /// are no objects) and `k8s/Kustomization`, which builds the cluster-scoped
  /// folder and every environment's folder in EnvNames.
  std::vector<EmittedFile> files(const std::vector<std::string> &EnvNames) const;

  /// The objects as one `---`-separated YAML stream.
  std::string stream() const;

  struct Impl;
  std::unique_ptr<Impl> I;
};

/// Kubernetes manifests for one environment, under `k8s/<env>/`, one file per
/// resource group (00-namespace.yaml, secrets.yaml, <workload>.yaml,
/// backup.yaml) and last the folder's Kustomization listing them. With
/// Cluster, cluster-scoped objects go there instead of into the files.
/// Patch errors are reported to Diags. Workloads' files are rendered on
/// Threads threads (0: one per core); files and diagnostics come out the same,
/// in the same order, whatever the number.
std::vector<EmittedFile> emitKubernetes(const plan::Environment &Env,
                                        DiagnosticEngine &Diags, unsigned Threads = 0,
                                        ClusterObjects *Cluster = nullptr);

/// The same files handed to Sink one by one, in order, as each is rendered,
/// so that a caller writing them out never holds them all. Sink runs on the
/// calling thread.
void emitKubernetes(const plan::Environment &Env, DiagnosticEngine &Diags,
                    llvm::function_ref<void(EmittedFile)> Sink, unsigned Threads = 0,
                    ClusterObjects *Cluster = nullptr);

/// Secret values by secret and component (or composed string).
using EmbeddedSecretValues = std::map<std::string, std::map<std::string, std::string>>;

/// The Secrets that deliver an environment's embedded secrets when it has
/// age recipients (`security { age_recipients }`), as a YAML stream with
/// their values: only ever to be encrypted (`apply --target dir:` writes it
/// as `k8s/ENV/embedded-secrets.yaml.age`).
std::string embeddedSecretsManifest(const plan::Environment &Env,
                                    const EmbeddedSecretValues &Values);

/// Whether F is a kustomization rather than manifests.
bool isKustomization(const EmittedFile &F);

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
