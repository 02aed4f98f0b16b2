//===- Formatter.h - Canonical layout of .deploy files ------------*- C++ -*-===//
//
// `deployc fmt` and the language server's formatting. The layout comes from the
// syntax tree (one declaration or entry per line, two-space indentation, blank
// line groups kept, long lists wrapped one element per line); every token is
// printed with its original spelling, so formatting never changes a token, and
// comments are carried to the same place in the token stream.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_PARSE_FORMATTER_H
#define DEPLOYC_PARSE_FORMATTER_H

#include "deployc/AST/AST.h"
#include "deployc/Basic/Diagnostic.h"
#include <optional>
#include <string>

namespace deployc::parse {

struct FormatOptions {
  unsigned IndentWidth = 2;
  unsigned ColumnLimit = 100;
};

/// Formats File. Returns nullopt (after reporting to Diags) when the file has
/// syntax errors: a file that does not parse is never rewritten.
std::optional<std::string> formatFile(const SourceManager &SM, FileID File,
                                      DiagnosticEngine &Diags,
                                      const FormatOptions &Opts = FormatOptions());

} // namespace deployc::parse

#endif
