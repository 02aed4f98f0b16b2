//===- ASTDumper.h - Text dump of the syntax tree -----------------*- C++ -*-===//
#ifndef DEPLOYC_AST_ASTDUMPER_H
#define DEPLOYC_AST_ASTDUMPER_H

#include "deployc/AST/AST.h"
#include "llvm/Support/raw_ostream.h"

namespace deployc::ast {

/// Prints Mod as an indented tree with `<line:col-line:col>` ranges, like
/// `clang -ast-dump`. Deterministic; used by `deployc dump-ast` and tests.
void dumpModule(llvm::raw_ostream &OS, const SourceManager &SM, const Module &Mod);

} // namespace deployc::ast

#endif
