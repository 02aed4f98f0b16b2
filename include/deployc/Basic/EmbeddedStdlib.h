//===- EmbeddedStdlib.h - The stdlib compiled into deployc ------*- C++ -*-===//
//
// stdlib/*.deploy is embedded at build time, so a copied or installed binary
// needs no files beside it. The front end reads these texts whenever no
// on-disk stdlib (--stdlib, $DEPLOYC_STDLIB) is given; their modules then
// have paths under EmbeddedStdlibRoot, which diagnostics print as they are.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_BASIC_EMBEDDEDSTDLIB_H
#define DEPLOYC_BASIC_EMBEDDEDSTDLIB_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <optional>

namespace deployc {

/// The directory embedded stdlib files appear in: `<stdlib>/tiers.deploy`.
/// Not a real directory, and never one on the file system's search path.
inline constexpr llvm::StringLiteral EmbeddedStdlibRoot = "<stdlib>";

struct EmbeddedFile {
  llvm::StringRef Name; ///< Relative to stdlib/, with `/` separators.
  llvm::StringRef Text;
};

/// Every embedded stdlib file, sorted by name. Static storage.
llvm::ArrayRef<EmbeddedFile> getEmbeddedStdlib();

/// The text of the embedded file at Path (`<stdlib>/NAME.deploy`); none when
/// Path is not under EmbeddedStdlibRoot or names no embedded file.
std::optional<llvm::StringRef> findEmbeddedStdlibFile(llvm::StringRef Path);

} // namespace deployc

#endif
