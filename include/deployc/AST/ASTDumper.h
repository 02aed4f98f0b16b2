//===- ASTDumper.h - Text dump of the syntax tree -----------------*- C++ -*-===//
#ifndef DEPLOYC_AST_ASTDUMPER_H
#define DEPLOYC_AST_ASTDUMPER_H

#include "deployc/AST/AST.h"
#include "llvm/Support/raw_ostream.h"

namespace deployc::ast {

struct DumpOptions {
  /// Also the range of every name and operator, the parts of every string and
  /// every doc comment: enough to tell any two different trees apart (the
  /// parsers are compared this way).
  bool Exhaustive = false;
};

/// Prints Mod as an indented tree with `<line:col-line:col>` ranges, like
/// `clang -ast-dump`. Deterministic; used by `deployc dump-ast` and tests.
void dumpModule(llvm::raw_ostream &OS, const SourceManager &SM, const Module &Mod,
                DumpOptions Opts = {});

} // namespace deployc::ast

#endif
