//===- TextDiff.h - Unified diffs for `fmt --diff` -----------------*- C++ -*-===//
#ifndef DEPLOYC_LIB_DRIVER_TEXTDIFF_H
#define DEPLOYC_LIB_DRIVER_TEXTDIFF_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace deployc::driver {

/// Prints the change from Before to After as a unified diff (three lines of
/// context) with `--- Path` and `+++ Path` headers, which `patch -p0` and
/// `git apply -p0` accept. Prints nothing when the texts are equal.
void printUnifiedDiff(llvm::raw_ostream &OS, llvm::StringRef Path, llvm::StringRef Before,
                      llvm::StringRef After);

} // namespace deployc::driver

#endif
