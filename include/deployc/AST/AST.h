//===- AST.h - The .deploy syntax tree ----------------------------*- C++ -*-===//
//
// A tree AST built by lib/Parse from the ANTLR parse tree. Every node has a Kind
// (for isa/dyn_cast) and a byte-offset SourceRange. Nodes are owned by an
// ASTContext and referenced by plain pointers; they are immutable once built.
//
// The shape is generic on purpose: a BlockDecl is `kind name [: type] { entries }`
// and entries are assignments, nested blocks, conditions or typed fields. Which
// fields exist and what they mean is Sema's schema (lib/Sema/Schema.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_AST_AST_H
#define DEPLOYC_AST_AST_H

#include "deployc/Basic/SourceManager.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/StringSaver.h"
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace deployc::ast {

enum class DeclKind : uint8_t {
#define DECL_KIND(Name, Keyword, Description) Name,
#include "deployc/AST/DeclKinds.def"
  Unknown
};

/// The keyword that introduces a declaration kind ("service").
llvm::StringRef getDeclKindKeyword(DeclKind K);
/// The phrase used in messages ("worker pool").
llvm::StringRef getDeclKindDescription(DeclKind K);
/// DeclKind::Unknown when Keyword names no kind.
DeclKind lookupDeclKind(llvm::StringRef Keyword);
std::vector<std::string> getAllDeclKeywords();

/// A name as written, with where it was written.
struct Ident {
  std::string Name;
  SourceRange Range;
  bool IsString = false; ///< Written as a "string" (entry keys and labels).
  bool empty() const { return Name.empty(); }
};

enum class UnaryOp : uint8_t { Not, Negate };
enum class BinaryOp : uint8_t {
  Mul, Div, Add, Sub, Lt, Le, Gt, Ge, Eq, Ne, And, Or
};
llvm::StringRef getSpelling(UnaryOp Op);
llvm::StringRef getSpelling(BinaryOp Op);

class Node {
public:
  enum class NodeKind : uint8_t {
    // Declarations.
    ImportDecl, ParamDecl, BlockDecl,
    // Block and its entries.
    Block, AssignEntry, BlockEntry, ConditionEntry, FieldEntry,
    // Types.
    NamedType, ListType,
    // Expressions.
    IntLiteral, FloatLiteral, QuantityLiteral, BoolLiteral, StringLiteral,
    ListExpr, NameExpr, MemberExpr, CallExpr, ConstructorExpr, BlockExpr,
    UnaryExpr, BinaryExpr, RangeExpr, IfExpr, ErrorExpr,
    FirstDecl = ImportDecl, LastDecl = BlockDecl,
    FirstEntry = AssignEntry, LastEntry = FieldEntry,
    FirstType = NamedType, LastType = ListType,
    FirstExpr = IntLiteral, LastExpr = ErrorExpr,
  };

  virtual ~Node() = default;
  NodeKind getKind() const { return Kind; }
  SourceRange getRange() const { return Range; }
  void setRange(SourceRange R) { Range = R; }

protected:
  Node(NodeKind Kind, SourceRange Range) : Kind(Kind), Range(Range) {}

private:
  NodeKind Kind;
  SourceRange Range;
};

using NK = Node::NodeKind;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

class TypeExpr : public Node {
public:
  static bool classof(const Node *N) {
    return N->getKind() >= NK::FirstType && N->getKind() <= NK::LastType;
  }

protected:
  using Node::Node;
};

class NamedType : public TypeExpr {
public:
  NamedType(SourceRange R, Ident Name) : TypeExpr(NK::NamedType, R), Name(std::move(Name)) {}
  Ident Name;
  static bool classof(const Node *N) { return N->getKind() == NK::NamedType; }
};

class ListType : public TypeExpr {
public:
  ListType(SourceRange R, TypeExpr *Element) : TypeExpr(NK::ListType, R), Element(Element) {}
  TypeExpr *Element;
  static bool classof(const Node *N) { return N->getKind() == NK::ListType; }
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Block;

class Expr : public Node {
public:
  static bool classof(const Node *N) {
    return N->getKind() >= NK::FirstExpr && N->getKind() <= NK::LastExpr;
  }

protected:
  using Node::Node;
};

class IntLiteral : public Expr {
public:
  IntLiteral(SourceRange R, int64_t Value) : Expr(NK::IntLiteral, R), Value(Value) {}
  int64_t Value;
  static bool classof(const Node *N) { return N->getKind() == NK::IntLiteral; }
};

class FloatLiteral : public Expr {
public:
  FloatLiteral(SourceRange R, double Value) : Expr(NK::FloatLiteral, R), Value(Value) {}
  double Value;
  static bool classof(const Node *N) { return N->getKind() == NK::FloatLiteral; }
};

/// A number with a unit suffix: `30s`, `250m`, `1.5Gi`, `80%`. The unit is kept
/// as written; Sema interprets it against the expected type.
class QuantityLiteral : public Expr {
public:
  QuantityLiteral(SourceRange R, std::string Number, std::string Unit)
      : Expr(NK::QuantityLiteral, R), Number(std::move(Number)), Unit(std::move(Unit)) {}
  std::string Number; ///< Digits as written, underscores removed.
  std::string Unit;
  std::string getSpelling() const { return Number + Unit; }
  static bool classof(const Node *N) { return N->getKind() == NK::QuantityLiteral; }
};

class BoolLiteral : public Expr {
public:
  BoolLiteral(SourceRange R, bool Value) : Expr(NK::BoolLiteral, R), Value(Value) {}
  bool Value;
  static bool classof(const Node *N) { return N->getKind() == NK::BoolLiteral; }
};

/// A string literal; `${expr}` interpolations become Expr parts.
class StringLiteral : public Expr {
public:
  struct Part {
    std::string Text;      ///< Literal text (escapes decoded) when Interp is null.
    Expr *Interp = nullptr;
    SourceRange Range;
  };
  StringLiteral(SourceRange R, std::vector<Part> Parts, bool IsMultiline)
      : Expr(NK::StringLiteral, R), Parts(std::move(Parts)), IsMultiline(IsMultiline) {}
  std::vector<Part> Parts;
  bool IsMultiline;
  bool isPlain() const {
    return Parts.empty() || (Parts.size() == 1 && !Parts[0].Interp);
  }
  /// The text of a literal without interpolations.
  std::string getPlainText() const;
  static bool classof(const Node *N) { return N->getKind() == NK::StringLiteral; }
};

class ListExpr : public Expr {
public:
  ListExpr(SourceRange R, std::vector<Expr *> Elements)
      : Expr(NK::ListExpr, R), Elements(std::move(Elements)) {}
  std::vector<Expr *> Elements;
  static bool classof(const Node *N) { return N->getKind() == NK::ListExpr; }
};

class NameExpr : public Expr {
public:
  NameExpr(SourceRange R, Ident Name) : Expr(NK::NameExpr, R), Name(std::move(Name)) {}
  Ident Name;
  static bool classof(const Node *N) { return N->getKind() == NK::NameExpr; }
};

class MemberExpr : public Expr {
public:
  MemberExpr(SourceRange R, Expr *Base, Ident Member)
      : Expr(NK::MemberExpr, R), Base(Base), Member(std::move(Member)) {}
  Expr *Base;
  Ident Member;
  static bool classof(const Node *N) { return N->getKind() == NK::MemberExpr; }
};

/// `http_get("/healthz", http)`, optionally followed by an options block.
class CallExpr : public Expr {
public:
  CallExpr(SourceRange R, Ident Callee, std::vector<Expr *> Args, Block *Options)
      : Expr(NK::CallExpr, R), Callee(std::move(Callee)), Args(std::move(Args)),
        Options(Options) {}
  Ident Callee;
  std::vector<Expr *> Args;
  Block *Options;
  static bool classof(const Node *N) { return N->getKind() == NK::CallExpr; }
};

/// `canary { steps = [...] }`: a tagged block value.
class ConstructorExpr : public Expr {
public:
  ConstructorExpr(SourceRange R, Ident Name, Block *Body)
      : Expr(NK::ConstructorExpr, R), Name(std::move(Name)), Body(Body) {}
  Ident Name;
  Block *Body;
  static bool classof(const Node *N) { return N->getKind() == NK::ConstructorExpr; }
};

/// `{ key = value ... }` used as a value.
class BlockExpr : public Expr {
public:
  BlockExpr(SourceRange R, Block *Body) : Expr(NK::BlockExpr, R), Body(Body) {}
  Block *Body;
  static bool classof(const Node *N) { return N->getKind() == NK::BlockExpr; }
};

class UnaryExpr : public Expr {
public:
  UnaryExpr(SourceRange R, UnaryOp Op, Expr *Operand)
      : Expr(NK::UnaryExpr, R), Op(Op), Operand(Operand) {}
  UnaryOp Op;
  Expr *Operand;
  static bool classof(const Node *N) { return N->getKind() == NK::UnaryExpr; }
};

class BinaryExpr : public Expr {
public:
  BinaryExpr(SourceRange R, BinaryOp Op, SourceRange OpRange, Expr *LHS, Expr *RHS)
      : Expr(NK::BinaryExpr, R), Op(Op), OpRange(OpRange), LHS(LHS), RHS(RHS) {}
  BinaryOp Op;
  SourceRange OpRange;
  Expr *LHS;
  Expr *RHS;
  static bool classof(const Node *N) { return N->getKind() == NK::BinaryExpr; }
};

/// `2..20`
class RangeExpr : public Expr {
public:
  RangeExpr(SourceRange R, Expr *Low, Expr *High)
      : Expr(NK::RangeExpr, R), Low(Low), High(High) {}
  Expr *Low;
  Expr *High;
  static bool classof(const Node *N) { return N->getKind() == NK::RangeExpr; }
};

class IfExpr : public Expr {
public:
  IfExpr(SourceRange R, Expr *Cond, Expr *Then, Expr *Else)
      : Expr(NK::IfExpr, R), Cond(Cond), Then(Then), Else(Else) {}
  Expr *Cond;
  Expr *Then;
  Expr *Else;
  static bool classof(const Node *N) { return N->getKind() == NK::IfExpr; }
};

/// Stands in for an expression that failed to parse; already diagnosed, so
/// later phases stay silent about it.
class ErrorExpr : public Expr {
public:
  explicit ErrorExpr(SourceRange R) : Expr(NK::ErrorExpr, R) {}
  static bool classof(const Node *N) { return N->getKind() == NK::ErrorExpr; }
};

//===----------------------------------------------------------------------===//
// Blocks and entries
//===----------------------------------------------------------------------===//

class Entry;

class Block : public Node {
public:
  Block(SourceRange R, std::vector<Entry *> Entries)
      : Node(NK::Block, R), Entries(std::move(Entries)) {}
  std::vector<Entry *> Entries;
  static bool classof(const Node *N) { return N->getKind() == NK::Block; }
};

class Entry : public Node {
public:
  Ident Key;
  /// Null when the entry has none; owned by the ASTContext. Entries are the
  /// most numerous nodes, and few have a label or a doc comment.
  const Ident *Label;
  llvm::StringRef Doc; ///< `///` comments directly above the entry.
  static bool classof(const Node *N) {
    return N->getKind() >= NK::FirstEntry && N->getKind() <= NK::LastEntry;
  }

protected:
  Entry(NK Kind, SourceRange R, Ident Key, const Ident *Label)
      : Node(Kind, R), Key(std::move(Key)), Label(Label) {}
};

/// `key = value` or `key label = value` (`port http = 8080`).
class AssignEntry : public Entry {
public:
  AssignEntry(SourceRange R, Ident Key, const Ident *Label, Expr *Value)
      : Entry(NK::AssignEntry, R, std::move(Key), Label), Value(Value) {}
  Expr *Value;
  static bool classof(const Node *N) { return N->getKind() == NK::AssignEntry; }
};

/// `key { ... }` or `key label { ... }` (`queue "orders" { ... }`, `on prod { ... }`).
class BlockEntry : public Entry {
public:
  BlockEntry(SourceRange R, Ident Key, const Ident *Label, Block *Body)
      : Entry(NK::BlockEntry, R, std::move(Key), Label), Body(Body) {}
  Block *Body;
  static bool classof(const Node *N) { return N->getKind() == NK::BlockEntry; }
};

/// `error_rate < 1%`, `cpu > 80%`.
class ConditionEntry : public Entry {
public:
  ConditionEntry(SourceRange R, Ident Key, BinaryOp Op, SourceRange OpRange, Expr *Value)
      : Entry(NK::ConditionEntry, R, std::move(Key), nullptr), Op(Op),
        OpRange(OpRange), Value(Value) {}
  BinaryOp Op;
  SourceRange OpRange;
  Expr *Value;
  static bool classof(const Node *N) { return N->getKind() == NK::ConditionEntry; }
};

/// `component port: port = 5432 { ... }` in a secret type.
class FieldEntry : public Entry {
public:
  FieldEntry(SourceRange R, Ident Key, const Ident *Label, TypeExpr *Type, Expr *Default,
             Block *Options)
      : Entry(NK::FieldEntry, R, std::move(Key), Label), Type(Type),
        Default(Default), Options(Options) {}
  TypeExpr *Type;
  Expr *Default;
  Block *Options;
  static bool classof(const Node *N) { return N->getKind() == NK::FieldEntry; }
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

class Decl : public Node {
public:
  std::string Doc; ///< `///` comments directly above the declaration.
  static bool classof(const Node *N) {
    return N->getKind() >= NK::FirstDecl && N->getKind() <= NK::LastDecl;
  }

protected:
  using Node::Node;
};

/// `import std.tiers.*`, `import std.secrets.{a, b}`, `import "./common.deploy"`.
class ImportDecl : public Decl {
public:
  ImportDecl(SourceRange R) : Decl(NK::ImportDecl, R) {}
  /// For a file import: the path as written. Empty for module imports.
  std::string FilePath;
  SourceRange FilePathRange;
  /// For a module import: the module's segments (`std`, `tiers`).
  std::vector<Ident> ModulePath;
  /// `.*`: every public name of the module.
  bool Wildcard = false;
  /// Names picked from the module (`import std.secrets.database_credentials`).
  std::vector<Ident> Names;
  bool isFileImport() const { return FilePathRange.isValid(); }
  /// `import std` or `import ""`: nothing to import.
  bool namesNothing() const {
    return isFileImport() ? FilePath.empty() : (!Wildcard && Names.empty());
  }
  std::string getModuleName() const;
  static bool classof(const Node *N) { return N->getKind() == NK::ImportDecl; }
};

/// `param image_tag: string = "latest"`
class ParamDecl : public Decl {
public:
  ParamDecl(SourceRange R, Ident Name, TypeExpr *Type, Expr *Default)
      : Decl(NK::ParamDecl, R), Name(std::move(Name)), Type(Type), Default(Default) {}
  Ident Name;
  TypeExpr *Type;
  Expr *Default;
  static bool classof(const Node *N) { return N->getKind() == NK::ParamDecl; }
};

/// `service orders { ... }`, `secret db : database_credentials { ... }`.
class BlockDecl : public Decl {
public:
  BlockDecl(SourceRange R, Ident KindName, DeclKind Kind, Ident Name,
            std::vector<Ident> TypeName, Block *Body)
      : Decl(NK::BlockDecl, R), KindName(std::move(KindName)), Kind(Kind),
        Name(std::move(Name)), TypeName(std::move(TypeName)), Body(Body) {}
  Ident KindName;
  DeclKind Kind;
  Ident Name;
  std::vector<Ident> TypeName; ///< After `:`; empty when absent.
  Block *Body;
  static bool classof(const Node *N) { return N->getKind() == NK::BlockDecl; }
};

/// One parsed file.
struct Module {
  FileID File = 0;
  std::string Path;        ///< As opened (absolute or as given on the command line).
  std::string ModuleName;  ///< `std.tiers` for stdlib modules, else empty.
  bool IsStdlib = false;
  std::vector<ImportDecl *> Imports;
  std::vector<Decl *> Decls; ///< ParamDecl and BlockDecl in source order.
};

/// Owns every node and module. Not thread-safe; one per compilation.
class ASTContext {
public:
  template <typename T, typename... Args> T *create(Args &&...A) {
    if constexpr (std::is_base_of_v<Expr, T>)
      ++NumExprs;
    if constexpr (std::is_base_of_v<Entry, T>)
      ++NumEntries;
    return new (std::get<llvm::SpecificBumpPtrAllocator<T>>(Nodes).Allocate())
        T(std::forward<Args>(A)...);
  }
  /// How many expressions and entries this context and the ones it adopted
  /// hold: the passes that map each of them to something size their maps
  /// once instead of growing them.
  size_t getNumExprs() const {
    size_t N = NumExprs;
    for (const auto &A : Adopted)
      N += A->getNumExprs();
    return N;
  }
  size_t getNumEntries() const {
    size_t N = NumEntries;
    for (const auto &A : Adopted)
      N += A->getNumEntries();
    return N;
  }
  Module *createModule() {
    Modules.push_back(std::make_unique<Module>());
    return Modules.back().get();
  }
  /// An entry's label.
  const Ident *createLabel(Ident Label) {
    return new (std::get<llvm::SpecificBumpPtrAllocator<Ident>>(Nodes).Allocate())
        Ident(std::move(Label));
  }
  /// Keeps the nodes of Other (a file parsed with its own context on another
  /// thread) alive as long as this context.
  void adopt(std::unique_ptr<ASTContext> Other) { Adopted.push_back(std::move(Other)); }
  /// A copy of Text that lives as long as the context.
  llvm::StringRef save(llvm::StringRef Text) {
    return Text.empty() ? llvm::StringRef() : Saver.save(Text);
  }

private:
  // One arena per node class: nodes carry no allocation header and need no
  // owning pointer each (a large spec has a million of them), and they are
  // destroyed all at once with the context.
  std::tuple<llvm::SpecificBumpPtrAllocator<ImportDecl>,
             llvm::SpecificBumpPtrAllocator<ParamDecl>,
             llvm::SpecificBumpPtrAllocator<BlockDecl>, llvm::SpecificBumpPtrAllocator<Block>,
             llvm::SpecificBumpPtrAllocator<AssignEntry>,
             llvm::SpecificBumpPtrAllocator<BlockEntry>,
             llvm::SpecificBumpPtrAllocator<ConditionEntry>,
             llvm::SpecificBumpPtrAllocator<FieldEntry>,
             llvm::SpecificBumpPtrAllocator<NamedType>, llvm::SpecificBumpPtrAllocator<ListType>,
             llvm::SpecificBumpPtrAllocator<IntLiteral>,
             llvm::SpecificBumpPtrAllocator<FloatLiteral>,
             llvm::SpecificBumpPtrAllocator<QuantityLiteral>,
             llvm::SpecificBumpPtrAllocator<BoolLiteral>,
             llvm::SpecificBumpPtrAllocator<StringLiteral>,
             llvm::SpecificBumpPtrAllocator<ListExpr>, llvm::SpecificBumpPtrAllocator<NameExpr>,
             llvm::SpecificBumpPtrAllocator<MemberExpr>, llvm::SpecificBumpPtrAllocator<CallExpr>,
             llvm::SpecificBumpPtrAllocator<ConstructorExpr>,
             llvm::SpecificBumpPtrAllocator<BlockExpr>, llvm::SpecificBumpPtrAllocator<UnaryExpr>,
             llvm::SpecificBumpPtrAllocator<BinaryExpr>,
             llvm::SpecificBumpPtrAllocator<RangeExpr>, llvm::SpecificBumpPtrAllocator<IfExpr>,
             llvm::SpecificBumpPtrAllocator<ErrorExpr>, llvm::SpecificBumpPtrAllocator<Ident>>
      Nodes;
  llvm::BumpPtrAllocator Text;
  llvm::StringSaver Saver{Text};
  std::vector<std::unique_ptr<ASTContext>> Adopted;
  size_t NumExprs = 0;
  size_t NumEntries = 0;
  std::vector<std::unique_ptr<Module>> Modules;
};

} // namespace deployc::ast

#endif
