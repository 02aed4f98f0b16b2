//===- DiagnosticDocs.cpp - Long explanations for `deployc explain` -------===//
//
// The texts are the pages under docs/diagnostics/, embedded at build time so the
// documentation and `explain` can never disagree.
//
//===----------------------------------------------------------------------===//

#include "deployc/Basic/Diagnostic.h"

using namespace deployc;

namespace {
struct DocEntry {
  const char *Code;
  const char *Text;
};
const DocEntry Docs[] = {
#include "deployc/Basic/DiagnosticDocs.inc"
    {nullptr, nullptr}};
} // namespace

llvm::StringRef deployc::getDiagExplanation(llvm::StringRef Code) {
  for (const DocEntry *D = Docs; D->Code; ++D)
    if (Code.equals_insensitive(D->Code))
      return D->Text;
  return {};
}
