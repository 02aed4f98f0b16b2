//===- OutputWriter.h - All-or-nothing output directories ---------*- C++ -*-===//
#ifndef DEPLOYC_INTERP_OUTPUTWRITER_H
#define DEPLOYC_INTERP_OUTPUTWRITER_H

#include "deployc/Emit/Emit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Error.h"
#include <memory>

namespace deployc::interp {

/// The renames of one AtomicDirectoryWriter::commit(), as a write-ahead
/// record keeps them: what is at Target steps aside to Old, then Staged takes
/// Target's place, then Old is removed.
struct DirectorySwitch {
  std::string Target, Staged, Old;
};

/// A test hook: kills the process with SIGKILL, as `kill -9` would, when the
/// environment variable DEPLOYC_CRASH_AT equals Point. The crash-safety tests
/// use it to die at a precise point (docs/state.md lists the points).
void crashPoint(llvm::StringRef Point);

/// Completes or undoes a commit() that a killed process left halfway, from
/// what is on disk: when Staged still exists it never took Target's place, so
/// Old (if Target is missing) goes back to Target, Staged is removed and the
/// result is false (rolled back); otherwise Old is removed and the result is
/// true (rolled forward: Target is the new folder).
llvm::Expected<bool> recoverDirectorySwitch(const DirectorySwitch &S);

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

  /// The renames commit() will make (the names are chosen in create()).
  DirectorySwitch plannedSwitch() const;
  llvm::Error add(const emit::EmittedFile &F);
  llvm::Error commit();

private:
  AtomicDirectoryWriter() = default;

  llvm::SmallString<256> Target, Parent, Temp, Old;
  bool Done = false;
};

/// Replaces Dir with exactly Files (an AtomicDirectoryWriter in one call).
llvm::Error writeDirectoryAtomically(llvm::StringRef Dir,
                                     const std::vector<emit::EmittedFile> &Files);

} // namespace deployc::interp

#endif
