//===- ExecutionPlan.h - What applying an environment will do -----*- C++ -*-===//
//
// An execution plan is an ordered graph of steps following the spec's safety
// pattern (pre-deployment checks, rollback point, secrets ensured or rotated,
// configuration rendered, each workload rolled out by its strategy, health
// verified, finalize) plus the difference between the configuration to apply
// and the last applied one, resource by resource and field by field. It is
// data: targets of the interpreter execute it, `deployc plan` prints it, and a
// saved plan is JSON.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_PLAN_EXECUTIONPLAN_H
#define DEPLOYC_PLAN_EXECUTIONPLAN_H

#include "deployc/Plan/Plan.h"
#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>
#include <vector>

namespace deployc::plan {

struct FieldChange {
  std::string Path;      ///< `env.LOG_LEVEL`, `scaling.replicas.max`
  std::string Old, New;  ///< Display text; empty when absent.
  bool Sensitive = false; ///< A secret reference: printed as (sensitive).
};

struct ResourceChange {
  enum Action { Add, Change, Remove, Keep };
  std::string Resource; ///< `service.orders`, `secret.orders_db`, `environment`
  Action A = Keep;
  std::vector<FieldChange> Fields;
};

struct Step {
  std::string Id;          ///< Unique, stable: `rollout.orders`
  std::string Kind;        ///< precheck, rollback-point, secret, render, rollout, verify, finalize
  std::string Target;      ///< The workload or secret, if any.
  std::string Description;
  std::vector<std::string> After; ///< Ids this step waits for.
};

struct ExecutionPlan {
  std::string Environment;
  int64_t BaseRevision = 0;   ///< The last applied revision the diff is against.
  std::string ConfigHash;     ///< SHA-256 of the configuration to apply.
  std::string Config;         ///< The configuration to apply (evaluatedConfigJSON).
  std::vector<Step> Steps;
  std::vector<ResourceChange> Changes;
  std::vector<std::string> RotationsDue; ///< Secrets whose rotation is due.

  bool hasChanges() const;
  unsigned count(ResourceChange::Action A) const;
};

/// Field-by-field difference of two configurations (evaluatedConfigJSON text;
/// an empty Old means nothing applied yet). Resources come in a stable order.
std::vector<ResourceChange> diffConfigurations(llvm::StringRef Old, llvm::StringRef New);

/// Builds the plan of Env. Config is evaluatedConfigJSON of the environment;
/// PreviousConfig that of revision BaseRevision (empty if none).
ExecutionPlan buildExecutionPlan(const Environment &Env, std::string Config,
                                 llvm::StringRef PreviousConfig, int64_t BaseRevision,
                                 std::vector<std::string> RotationsDue);

/// `terraform plan`-like text.
std::string renderPlanText(const ExecutionPlan &P);
std::string renderPlanJSON(const ExecutionPlan &P);
/// Reads a plan saved with --out; nullopt if it is not one.
std::optional<ExecutionPlan> parsePlanJSON(llvm::StringRef Text);

/// Hex SHA-256 (libsodium) of Data.
std::string sha256Hex(llvm::StringRef Data);

} // namespace deployc::plan

#endif
