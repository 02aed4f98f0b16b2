//===- EmbeddedStdlib.cpp - The standard library compiled into deployc ----===//
//
// The table is generated from stdlib/ by cmake/EmbedStdlib.cmake, so the
// embedded copy and the source tree can never disagree.
//
//===----------------------------------------------------------------------===//

#include "deployc/Basic/EmbeddedStdlib.h"

using namespace deployc;

namespace {
const EmbeddedFile Files[] = {
#include "deployc/Basic/EmbeddedStdlib.inc"
};
} // namespace

llvm::ArrayRef<EmbeddedFile> deployc::getEmbeddedStdlib() { return Files; }

std::optional<llvm::StringRef> deployc::findEmbeddedStdlibFile(llvm::StringRef Path) {
  if (!Path.consume_front(EmbeddedStdlibRoot) || !Path.consume_front("/"))
    return std::nullopt;
  for (const EmbeddedFile &F : Files)
    if (F.Name == Path)
      return F.Text;
  return std::nullopt;
}
