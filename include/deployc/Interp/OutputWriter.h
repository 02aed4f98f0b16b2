//===- OutputWriter.h - All-or-nothing output directories ---------*- C++ -*-===//
#ifndef DEPLOYC_INTERP_OUTPUTWRITER_H
#define DEPLOYC_INTERP_OUTPUTWRITER_H

#include "deployc/Emit/Emit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Error.h"
#include <memory>

namespace deployc::interp {

/// Replaces a directory with exactly the files added to it. The files go to a
/// sibling temporary directory, which takes the directory's place by rename on
/// commit(); without a successful commit the directory is left as it was and
/// the temporary one is removed.
class AtomicDirectoryWriter {
public:
  /// Fails when Dir may not be replaced: it exists, is not empty and was not
  /// written by deployc (a source tree must never be deleted).
  static llvm::Expected<std::unique_ptr<AtomicDirectoryWriter>> create(llvm::StringRef Dir);
  ~AtomicDirectoryWriter();

  llvm::Error add(const emit::EmittedFile &F);
  llvm::Error commit();

private:
  AtomicDirectoryWriter() = default;

  llvm::SmallString<256> Target, Parent, Temp;
  bool Done = false;
};

/// Replaces Dir with exactly Files (an AtomicDirectoryWriter in one call).
llvm::Error writeDirectoryAtomically(llvm::StringRef Dir,
                                     const std::vector<emit::EmittedFile> &Files);

} // namespace deployc::interp

#endif
