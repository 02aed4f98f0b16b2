//===- ASTDumper.cpp - Text dump of the syntax tree -----------------------===//

#include "deployc/AST/ASTDumper.h"
#include "llvm/Support/Format.h"

using namespace deployc;
using namespace deployc::ast;

namespace {

class Dumper {
public:
  Dumper(llvm::raw_ostream &OS, const SourceManager &SM, DumpOptions Opts)
      : OS(OS), SM(SM), Opts(Opts) {}

  void dumpModule(const Module &M) {
    OS << "Module " << M.Path;
    if (!M.ModuleName.empty())
      OS << " (" << M.ModuleName << ")";
    OS << '\n';
    ++Depth;
    for (const ImportDecl *I : M.Imports)
      dumpImport(*I);
    for (const Decl *D : M.Decls)
      dumpDecl(*D);
    --Depth;
  }

private:
  void line(llvm::StringRef Label, SourceRange R) {
    OS.indent(Depth * 2) << Label << ' ';
    range(R);
  }

  void range(SourceRange R) {
    if (!R.isValid()) {
      OS << "<invalid>";
      return;
    }
    LineCol B = SM.getLineCol(R.File, R.Begin);
    LineCol E = SM.getLineCol(R.File, R.End);
    OS << '<' << B.Line << ':' << B.Col << '-' << E.Line << ':' << E.Col << '>';
  }

  /// Where Id is written, in exhaustive dumps.
  void at(const Ident &Id) {
    if (!Opts.Exhaustive)
      return;
    OS << '@';
    range(Id.Range);
  }
  void at(SourceRange R) {
    if (!Opts.Exhaustive)
      return;
    OS << '@';
    range(R);
  }
  void doc(llvm::StringRef Doc) {
    if (!Opts.Exhaustive || Doc.empty())
      return;
    OS << " doc=";
    quote(OS, Doc);
  }

  static void quote(llvm::raw_ostream &OS, llvm::StringRef S) {
    OS << '"';
    OS.write_escaped(S);
    OS << '"';
  }

  void dumpImport(const ImportDecl &I) {
    line("ImportDecl", I.getRange());
    if (!I.FilePath.empty()) {
      OS << " file ";
      quote(OS, I.FilePath);
      at(I.FilePathRange);
    } else {
      OS << " module " << I.getModuleName();
      for (const Ident &Segment : I.ModulePath)
        at(Segment);
      if (I.Wildcard)
        OS << " *";
      for (const Ident &N : I.Names) {
        OS << " name=" << N.Name;
        at(N);
      }
    }
    OS << '\n';
  }

  void dumpDecl(const Decl &D) {
    if (auto *P = llvm::dyn_cast<ParamDecl>(&D)) {
      line("ParamDecl", P->getRange());
      OS << ' ' << P->Name.Name;
      at(P->Name);
      doc(P->Doc);
      OS << '\n';
      ++Depth;
      if (P->Type)
        dumpType(*P->Type);
      if (P->Default)
        dumpExpr(*P->Default);
      --Depth;
      return;
    }
    auto &B = llvm::cast<BlockDecl>(D);
    line("BlockDecl", B.getRange());
    OS << ' ' << B.KindName.Name;
    at(B.KindName);
    OS << ' ' << B.Name.Name;
    at(B.Name);
    if (!B.TypeName.empty()) {
      OS << " :";
      for (size_t I = 0; I < B.TypeName.size(); ++I) {
        OS << (I ? "." : " ") << B.TypeName[I].Name;
        at(B.TypeName[I]);
      }
    }
    if (!B.Doc.empty()) {
      OS << " doc=";
      quote(OS, B.Doc);
    }
    OS << '\n';
    ++Depth;
    dumpBlock(*B.Body);
    --Depth;
  }

  void dumpType(const TypeExpr &T) {
    if (auto *N = llvm::dyn_cast<NamedType>(&T)) {
      line("NamedType", N->getRange());
      OS << ' ' << N->Name.Name;
      at(N->Name);
      OS << '\n';
      return;
    }
    auto &L = llvm::cast<ListType>(T);
    line("ListType", L.getRange());
    OS << '\n';
    ++Depth;
    dumpType(*L.Element);
    --Depth;
  }

  void dumpBlock(const Block &B) {
    line("Block", B.getRange());
    OS << '\n';
    ++Depth;
    for (const Entry *E : B.Entries)
      dumpEntry(*E);
    --Depth;
  }

  void keyAndLabel(const Entry &E) {
    OS << ' ' << (E.Key.IsString ? "\"" + E.Key.Name + "\"" : E.Key.Name);
    at(E.Key);
    if (E.Label) {
      OS << " label="
         << (E.Label->IsString ? "\"" + E.Label->Name + "\"" : E.Label->Name);
      at(*E.Label);
    }
    doc(E.Doc);
  }

  void dumpEntry(const Entry &E) {
    switch (E.getKind()) {
    case NK::AssignEntry: {
      auto &A = llvm::cast<AssignEntry>(E);
      line("AssignEntry", A.getRange());
      keyAndLabel(A);
      OS << '\n';
      ++Depth;
      dumpExpr(*A.Value);
      --Depth;
      return;
    }
    case NK::BlockEntry: {
      auto &B = llvm::cast<BlockEntry>(E);
      line("BlockEntry", B.getRange());
      keyAndLabel(B);
      OS << '\n';
      ++Depth;
      dumpBlock(*B.Body);
      --Depth;
      return;
    }
    case NK::ConditionEntry: {
      auto &C = llvm::cast<ConditionEntry>(E);
      line("ConditionEntry", C.getRange());
      keyAndLabel(C);
      OS << " '" << getSpelling(C.Op) << "'";
      at(C.OpRange);
      OS << '\n';
      ++Depth;
      dumpExpr(*C.Value);
      --Depth;
      return;
    }
    case NK::FieldEntry: {
      auto &F = llvm::cast<FieldEntry>(E);
      line("FieldEntry", F.getRange());
      keyAndLabel(F);
      OS << '\n';
      ++Depth;
      dumpType(*F.Type);
      if (F.Default)
        dumpExpr(*F.Default);
      if (F.Options)
        dumpBlock(*F.Options);
      --Depth;
      return;
    }
    default:
      return;
    }
  }

  void dumpExpr(const Expr &E) {
    switch (E.getKind()) {
    case NK::IntLiteral:
      line("IntLiteral", E.getRange());
      OS << ' ' << llvm::cast<IntLiteral>(E).Value << '\n';
      return;
    case NK::FloatLiteral:
      line("FloatLiteral", E.getRange());
      OS << ' ' << llvm::format("%g", llvm::cast<FloatLiteral>(E).Value) << '\n';
      return;
    case NK::QuantityLiteral: {
      auto &Q = llvm::cast<QuantityLiteral>(E);
      line("QuantityLiteral", E.getRange());
      OS << ' ' << Q.Number << " unit=" << Q.Unit << '\n';
      return;
    }
    case NK::BoolLiteral:
      line("BoolLiteral", E.getRange());
      OS << (llvm::cast<BoolLiteral>(E).Value ? " true" : " false") << '\n';
      return;
    case NK::StringLiteral: {
      auto &S = llvm::cast<StringLiteral>(E);
      line("StringLiteral", E.getRange());
      if (Opts.Exhaustive && S.IsMultiline)
        OS << " multiline";
      if (S.isPlain() && !Opts.Exhaustive) {
        OS << ' ';
        quote(OS, S.getPlainText());
        OS << '\n';
        return;
      }
      OS << '\n';
      ++Depth;
      for (const StringLiteral::Part &P : S.Parts) {
        if (P.Interp) {
          dumpExpr(*P.Interp);
        } else {
          line("Text", P.Range);
          OS << ' ';
          quote(OS, P.Text);
          OS << '\n';
        }
      }
      --Depth;
      return;
    }
    case NK::ListExpr: {
      line("ListExpr", E.getRange());
      OS << '\n';
      ++Depth;
      for (const Expr *El : llvm::cast<ListExpr>(E).Elements)
        dumpExpr(*El);
      --Depth;
      return;
    }
    case NK::NameExpr:
      line("NameExpr", E.getRange());
      OS << ' ' << llvm::cast<NameExpr>(E).Name.Name;
      at(llvm::cast<NameExpr>(E).Name);
      OS << '\n';
      return;
    case NK::MemberExpr: {
      auto &M = llvm::cast<MemberExpr>(E);
      line("MemberExpr", E.getRange());
      OS << " ." << M.Member.Name;
      at(M.Member);
      OS << '\n';
      ++Depth;
      dumpExpr(*M.Base);
      --Depth;
      return;
    }
    case NK::CallExpr: {
      auto &C = llvm::cast<CallExpr>(E);
      line("CallExpr", E.getRange());
      OS << ' ' << C.Callee.Name;
      at(C.Callee);
      OS << '\n';
      ++Depth;
      for (const Expr *A : C.Args)
        dumpExpr(*A);
      if (C.Options)
        dumpBlock(*C.Options);
      --Depth;
      return;
    }
    case NK::ConstructorExpr: {
      auto &C = llvm::cast<ConstructorExpr>(E);
      line("ConstructorExpr", E.getRange());
      OS << ' ' << C.Name.Name;
      at(C.Name);
      OS << '\n';
      ++Depth;
      dumpBlock(*C.Body);
      --Depth;
      return;
    }
    case NK::BlockExpr: {
      line("BlockExpr", E.getRange());
      OS << '\n';
      ++Depth;
      dumpBlock(*llvm::cast<BlockExpr>(E).Body);
      --Depth;
      return;
    }
    case NK::UnaryExpr: {
      auto &U = llvm::cast<UnaryExpr>(E);
      line("UnaryExpr", E.getRange());
      OS << " '" << getSpelling(U.Op) << "'\n";
      ++Depth;
      dumpExpr(*U.Operand);
      --Depth;
      return;
    }
    case NK::BinaryExpr: {
      auto &B = llvm::cast<BinaryExpr>(E);
      line("BinaryExpr", E.getRange());
      OS << " '" << getSpelling(B.Op) << "'";
      at(B.OpRange);
      OS << '\n';
      ++Depth;
      dumpExpr(*B.LHS);
      dumpExpr(*B.RHS);
      --Depth;
      return;
    }
    case NK::RangeExpr: {
      auto &R = llvm::cast<RangeExpr>(E);
      line("RangeExpr", E.getRange());
      OS << '\n';
      ++Depth;
      dumpExpr(*R.Low);
      dumpExpr(*R.High);
      --Depth;
      return;
    }
    case NK::IfExpr: {
      auto &I = llvm::cast<IfExpr>(E);
      line("IfExpr", E.getRange());
      OS << '\n';
      ++Depth;
      dumpExpr(*I.Cond);
      dumpExpr(*I.Then);
      dumpExpr(*I.Else);
      --Depth;
      return;
    }
    case NK::ErrorExpr:
      line("ErrorExpr", E.getRange());
      OS << '\n';
      return;
    default:
      return;
    }
  }

  llvm::raw_ostream &OS;
  const SourceManager &SM;
  DumpOptions Opts;
  unsigned Depth = 0;
};

} // namespace

void ast::dumpModule(llvm::raw_ostream &OS, const SourceManager &SM,
                     const Module &Mod, DumpOptions Opts) {
  Dumper(OS, SM, Opts).dumpModule(Mod);
}
