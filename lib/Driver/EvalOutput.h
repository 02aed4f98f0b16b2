//===- EvalOutput.h - `deployc eval` JSON -------------------------*- C++ -*-===//
#ifndef DEPLOYC_LIB_DRIVER_EVALOUTPUT_H
#define DEPLOYC_LIB_DRIVER_EVALOUTPUT_H

#include "deployc/Sema/Program.h"
#include <string>

namespace deployc::driver {

/// The evaluated configuration as JSON: one environment when Only names it,
/// else every environment under "environments". Secret values never appear;
/// secrets print as references (`{"secret": "db.url"}`).
std::string renderEvaluatedJSON(const sema::Program &P, llvm::StringRef Only);

} // namespace deployc::driver

#endif
