//===- Program.h - Everything the front end knows about a spec ---*- C++ -*-===//
//
// A Program is the front end's output: the loaded modules, the symbol table,
// what each name and entry resolved to, the type of each expression, and the
// evaluated configuration of every environment. Later phases (Plan, the LSP)
// read it; only the passes in lib/Sema write it.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_SEMA_PROGRAM_H
#define DEPLOYC_SEMA_PROGRAM_H

#include "deployc/AST/AST.h"
#include "deployc/Basic/Diagnostic.h"
#include "deployc/Sema/Schema.h"
#include "deployc/Sema/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"
#include <map>
#include <string>
#include <vector>

namespace deployc::sema {

/// What a name in an expression refers to.
struct Resolution {
  enum class Kind : uint8_t {
    None,
    Decl,        ///< Target is a BlockDecl.
    Param,       ///< Target is a ParamDecl.
    EnumMember,  ///< Name is the member.
    Environment, ///< `env`.
    Port,        ///< A port of the enclosing workload; Name is its label.
    Component,   ///< A component, inside a secret type's `compose`.
  };
  Kind K = Kind::None;
  const ast::Decl *Target = nullptr;
  /// The name as written: it points into the AST, which outlives this.
  llvm::StringRef Name;
};

/// An `on NAME { ... }` block and what NAME is.
struct Overlay {
  const ast::BlockEntry *Entry;
  const ast::BlockDecl *Target; ///< A tier or an environment.
};

/// One declaration evaluated in one environment.
struct EvaluatedDecl {
  const ast::BlockDecl *Decl;
  Value Val;
};

/// The fully merged configuration of one environment.
struct EnvironmentModel {
  std::string Name;
  const ast::BlockDecl *Decl = nullptr; ///< Null for the implicit `default`.
  Value Env;                            ///< The environment's own block.
  const ast::BlockDecl *TierDecl = nullptr;
  Value Tier;
  std::vector<EvaluatedDecl> Decls;     ///< Program order, environments excluded.
  std::map<std::string, Value> Params;

  /// Appends D's value to Decls; find() then answers for D in constant time
  /// (validation and lowering look a declaration up per workload).
  void addDecl(const ast::BlockDecl *D, Value V);
  const Value *find(const ast::BlockDecl *D) const;
  /// Whether the environment's tier lists Restriction.
  bool tierHas(llvm::StringRef Restriction) const;
  /// Frees the evaluated values (Name and Decl stay), once nothing reads them.
  void dropValues();

private:
  llvm::DenseMap<const ast::BlockDecl *, unsigned> DeclIndex; ///< Into Decls.
};

class Program {
public:
  Program(SourceManager &SM, DiagnosticEngine &Diags) : SM(SM), Diags(Diags) {}

  SourceManager &SM;
  DiagnosticEngine &Diags;
  ast::ASTContext Ctx;

  /// Every loaded module: the inputs first, then imports in load order.
  std::vector<ast::Module *> Modules;
  /// Files the user gave or imported by path (not the stdlib).
  std::vector<FileID> UserFiles;
  /// The module each import loaded (absent when it failed).
  llvm::DenseMap<const ast::ImportDecl *, const ast::Module *> ImportTargets;

  // Symbols (filled by collectDeclarations).
  /// Declarations of user modules, by name: visible everywhere.
  std::map<std::string, const ast::Decl *> UserSymbols;
  /// Names each module imported from the stdlib (or, for stdlib modules, its own).
  std::map<const ast::Module *, std::map<std::string, const ast::Decl *>> ModuleScopes;
  llvm::DenseMap<const ast::Decl *, const ast::Module *> DeclModules;
  /// Every block declaration of every module, in program order.
  std::vector<const ast::BlockDecl *> BlockDecls;
  std::vector<const ast::ParamDecl *> Params;

  const ast::Decl *lookup(const ast::Module *From, llvm::StringRef Name) const;
  std::vector<std::string> getVisibleNames(const ast::Module *From) const;
  const ast::Module *getModule(const ast::Decl *D) const;
  std::vector<const ast::BlockDecl *> getDecls(ast::DeclKind K) const;

  // Facts from type checking.
  llvm::DenseMap<const ast::Expr *, Resolution> Resolutions;
  llvm::DenseMap<const ast::Expr *, const Type *> ExprTypes;
  llvm::DenseMap<const ast::Entry *, const FieldDef *> EntryFields;
  llvm::DenseMap<const ast::ParamDecl *, const Type *> ParamTypes;
  llvm::DenseMap<const ast::BlockDecl *, std::vector<Overlay>> Overlays;
  /// secret -> its secret_type declaration.
  llvm::DenseMap<const ast::BlockDecl *, const ast::BlockDecl *> SecretTypes;
  /// Declarations referenced by name anywhere (for unused-secret warnings).
  llvm::DenseMap<const ast::Decl *, unsigned> UseCounts;

  const Type *getType(const ast::Expr *E) const;
  /// Frees the types evaluation does not read (it reads those of failed
  /// expressions, quantities, constructors and blocks), for callers that do
  /// not ask for the type of every expression afterwards.
  void dropTypesEvaluationIgnores();
  /// Frees what only evaluation reads (resolutions, types, entry fields),
  /// for callers that go on from the values alone.
  void dropTypeFacts();

  // Evaluation.
  /// `--set NAME=VALUE`, already parsed.
  std::map<std::string, const ast::Expr *> ParamOverrides;
  std::vector<EnvironmentModel> Environments;
  /// The namespace and the output folder (in lower case) of each environment
  /// validated so far, with the environment that claimed it first: the
  /// output name check compares each environment with the earlier ones.
  std::map<std::string, const ast::BlockDecl *> EnvironmentNamespaces, EnvironmentFolders;
};

/// Components a secret type declares (`component NAME: TYPE`), in order.
std::vector<const ast::FieldEntry *> getSecretComponents(const ast::BlockDecl &SecretType);
/// Strings a secret type composes (`compose NAME = "..."`), in order.
std::vector<const ast::AssignEntry *> getSecretComposes(const ast::BlockDecl &SecretType);

} // namespace deployc::sema

#endif
