//===- Config.h - The evaluated configuration as JSON -------------*- C++ -*-===//
//
// What `deployc eval` prints and what the state store keeps for every applied
// revision: the merged configuration of an environment with secrets as
// references only (`{"secret": "db.url"}`), never values.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_PLAN_CONFIG_H
#define DEPLOYC_PLAN_CONFIG_H

#include "deployc/Sema/Program.h"
#include <string>

namespace deployc::plan {

/// The configuration of one environment as pretty JSON.
std::string evaluatedConfigJSON(const sema::Program &P, const sema::EnvironmentModel &M);

/// One environment when Only names it, else all under "environments".
std::string renderEvaluatedJSON(const sema::Program &P, llvm::StringRef Only);

} // namespace deployc::plan

#endif
