//===- Local.h - The local target: this machine runs the environment -*- C++ -*-===//
//
// `deployc apply --target local` (the default) runs each workload that declares
// `local { command = [...] }` as supervised processes of the agent of the state
// folder (see Agent.h), and rolls new revisions out by their strategy for real:
// rolling batches, blue-green switches and weighted canary steps judged by the
// analysis thresholds against what the agent's proxies measure.
//
// What a revision records is one run spec per workload (`local/NAME.json`):
// command, environment with secrets as references and their versions pinned,
// ports, probes, strategy and scaling. Its `revision` field is a digest of the
// rest, so any change (a rotated secret included) is a new revision.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_INTERP_LOCAL_H
#define DEPLOYC_INTERP_LOCAL_H

#include "deployc/Interp/Engine.h"
#include <nlohmann/json.hpp>

namespace deployc::interp {

/// The run specs of Env's workloads that declare `local`, secrets as
/// references (versions are pinned when the target renders them). Relative
/// working folders are resolved against SpecDir.
llvm::Expected<std::vector<emit::EmittedFile>> localRunSpecs(const plan::Environment &Env,
                                                             const std::string &SpecDir);

struct LocalOptions {
  std::string StatePath;   ///< The state store; the agent lives beside it.
  std::string DeploycPath; ///< This executable, to start the agent.
  std::string Env;
  Vault *Secrets = nullptr; ///< To resolve secret references; may be null.
};

/// The target `local`.
std::unique_ptr<Target> makeLocalTarget(const LocalOptions &O);

/// What runs for Env (all environments when empty), from the agent; a null
/// json when no agent runs.
llvm::Expected<nlohmann::json> localStatus(const std::string &StatePath, const std::string &Env);

/// Stops everything of Env and waits until its processes are gone.
llvm::Error localDown(const std::string &StatePath, const std::string &Env,
                      llvm::raw_ostream &Log);

} // namespace deployc::interp

#endif
