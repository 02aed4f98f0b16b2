//===- AST.cpp - The .deploy syntax tree ----------------------------------===//

#include "deployc/AST/AST.h"
#include "llvm/Support/ErrorHandling.h"

using namespace deployc;
using namespace deployc::ast;

namespace {
struct DeclKindInfo {
  llvm::StringRef Keyword;
  llvm::StringRef Description;
};
const DeclKindInfo DeclKindTable[] = {
#define DECL_KIND(Name, Keyword, Description) {Keyword, Description},
#include "deployc/AST/DeclKinds.def"
    {"", "declaration"}};
} // namespace

llvm::StringRef ast::getDeclKindKeyword(DeclKind K) {
  return DeclKindTable[size_t(K)].Keyword;
}

llvm::StringRef ast::getDeclKindDescription(DeclKind K) {
  return DeclKindTable[size_t(K)].Description;
}

DeclKind ast::lookupDeclKind(llvm::StringRef Keyword) {
  for (size_t I = 0; I != size_t(DeclKind::Unknown); ++I)
    if (DeclKindTable[I].Keyword == Keyword)
      return DeclKind(I);
  return DeclKind::Unknown;
}

std::vector<std::string> ast::getAllDeclKeywords() {
  std::vector<std::string> Out;
  for (size_t I = 0; I != size_t(DeclKind::Unknown); ++I)
    Out.push_back(DeclKindTable[I].Keyword.str());
  return Out;
}

llvm::StringRef ast::getSpelling(UnaryOp Op) {
  switch (Op) {
  case UnaryOp::Not: return "!";
  case UnaryOp::Negate: return "-";
  }
  llvm_unreachable("bad unary op");
}

llvm::StringRef ast::getSpelling(BinaryOp Op) {
  switch (Op) {
  case BinaryOp::Mul: return "*";
  case BinaryOp::Div: return "/";
  case BinaryOp::Add: return "+";
  case BinaryOp::Sub: return "-";
  case BinaryOp::Lt: return "<";
  case BinaryOp::Le: return "<=";
  case BinaryOp::Gt: return ">";
  case BinaryOp::Ge: return ">=";
  case BinaryOp::Eq: return "==";
  case BinaryOp::Ne: return "!=";
  case BinaryOp::And: return "&&";
  case BinaryOp::Or: return "||";
  }
  llvm_unreachable("bad binary op");
}

std::string StringLiteral::getPlainText() const {
  std::string Out;
  for (const Part &P : Parts)
    if (!P.Interp)
      Out += P.Text;
  return Out;
}

std::string ImportDecl::getModuleName() const {
  std::string Out;
  for (const Ident &I : ModulePath) {
    if (!Out.empty())
      Out += '.';
    Out += I.Name;
  }
  return Out;
}
