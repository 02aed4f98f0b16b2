//===- OutputWriter.h - All-or-nothing output directories ---------*- C++ -*-===//
#ifndef DEPLOYC_INTERP_OUTPUTWRITER_H
#define DEPLOYC_INTERP_OUTPUTWRITER_H

#include "deployc/Emit/Emit.h"
#include "llvm/Support/Error.h"

namespace deployc::interp {

/// Replaces Dir with exactly Files. The files are written to a sibling
/// temporary directory which then takes Dir's place by rename, so on any
/// failure Dir is left as it was.
llvm::Error writeDirectoryAtomically(llvm::StringRef Dir,
                                     const std::vector<emit::EmittedFile> &Files);

} // namespace deployc::driver

#endif
