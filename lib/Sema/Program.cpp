//===- Program.cpp - Everything the front end knows about a spec ----------===//

#include "deployc/Sema/Program.h"

using namespace deployc;
using namespace deployc::sema;
using namespace deployc::ast;

void EnvironmentModel::addDecl(const BlockDecl *D, Value V) {
  DeclIndex.try_emplace(D, Decls.size());
  Decls.push_back({D, std::move(V)});
}

const Value *EnvironmentModel::find(const BlockDecl *D) const {
  auto It = DeclIndex.find(D);
  return It == DeclIndex.end() ? nullptr : &Decls[It->second].Val;
}

void EnvironmentModel::dropValues() {
  Env = Value();
  Tier = Value();
  std::vector<EvaluatedDecl>().swap(Decls);
  decltype(DeclIndex)().swap(DeclIndex);
  Params.clear();
}

bool EnvironmentModel::tierHas(llvm::StringRef Restriction) const {
  for (const Value &R : Tier.get("restrictions").getElements())
    if (R.is(Value::Kind::Enum) && R.getEnum() == Restriction)
      return true;
  return false;
}

const Decl *Program::lookup(const Module *From, llvm::StringRef Name) const {
  if (From) {
    auto Scope = ModuleScopes.find(From);
    if (Scope != ModuleScopes.end()) {
      auto It = Scope->second.find(Name.str());
      if (It != Scope->second.end())
        return It->second;
    }
    if (From->IsStdlib)
      return nullptr;
  }
  auto It = UserSymbols.find(Name.str());
  return It == UserSymbols.end() ? nullptr : It->second;
}

std::vector<std::string> Program::getVisibleNames(const Module *From) const {
  std::vector<std::string> Out;
  if (From) {
    auto Scope = ModuleScopes.find(From);
    if (Scope != ModuleScopes.end())
      for (auto &[Name, D] : Scope->second)
        Out.push_back(Name);
    if (From->IsStdlib)
      return Out;
  }
  for (auto &[Name, D] : UserSymbols)
    Out.push_back(Name);
  return Out;
}

const Module *Program::getModule(const Decl *D) const {
  auto It = DeclModules.find(D);
  return It == DeclModules.end() ? nullptr : It->second;
}

std::vector<const BlockDecl *> Program::getDecls(DeclKind K) const {
  std::vector<const BlockDecl *> Out;
  for (const BlockDecl *D : BlockDecls)
    if (D->Kind == K)
      Out.push_back(D);
  return Out;
}

const Type *Program::getType(const Expr *E) const {
  auto It = ExprTypes.find(E);
  return It == ExprTypes.end() ? nullptr : It->second;
}

void Program::dropTypesEvaluationIgnores() {
  llvm::DenseMap<const Expr *, const Type *> Kept;
  for (const auto &[E, T] : ExprTypes)
    if ((T && T->isError()) || llvm::isa<QuantityLiteral, ConstructorExpr, BlockExpr>(E))
      Kept[E] = T;
  ExprTypes.swap(Kept);
}

void Program::dropTypeFacts() {
  // Swapping with empty maps frees their buckets (clear() keeps them).
  decltype(Resolutions)().swap(Resolutions);
  decltype(ExprTypes)().swap(ExprTypes);
  decltype(EntryFields)().swap(EntryFields);
}

std::vector<const FieldEntry *> sema::getSecretComponents(const BlockDecl &T) {
  std::vector<const FieldEntry *> Out;
  for (const Entry *E : T.Body->Entries)
    if (auto *F = llvm::dyn_cast<FieldEntry>(E))
      if (F->Key.Name == "component" && F->Label)
        Out.push_back(F);
  return Out;
}

std::vector<const AssignEntry *> sema::getSecretComposes(const BlockDecl &T) {
  std::vector<const AssignEntry *> Out;
  for (const Entry *E : T.Body->Entries)
    if (auto *A = llvm::dyn_cast<AssignEntry>(E))
      if (A->Key.Name == "compose" && A->Label)
        Out.push_back(A);
  return Out;
}
