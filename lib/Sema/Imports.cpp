//===- Imports.cpp - Load imported modules, collect declarations ----------===//
//
// Pass 1 (loadImports) follows `import` declarations depth-first from the
// inputs, parsing each module once and diagnosing missing modules, cycles and
// self-imports at the import. Pass 2 (collectDeclarations) builds the symbol
// table: declarations of user files are visible everywhere; stdlib names are
// visible only in modules that import them.
//
//===----------------------------------------------------------------------===//

#include "deployc/Parse/Parser.h"
#include "deployc/Sema/Sema.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <set>

using namespace deployc;
using namespace deployc::sema;
using namespace deployc::ast;

namespace {

std::string canonical(llvm::StringRef Path) {
  llvm::SmallString<256> Real;
  if (!llvm::sys::fs::real_path(Path, Real))
    return std::string(Real);
  llvm::SmallString<256> Abs(Path);
  llvm::sys::fs::make_absolute(Abs);
  llvm::sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  return std::string(Abs);
}

SourceRange importRange(const ImportDecl *I) {
  if (I->FilePathRange.isValid())
    return I->FilePathRange;
  SourceRange R = I->ModulePath.front().Range;
  for (const Ident &Seg : I->ModulePath)
    R = R.join(Seg.Range);
  return R;
}

class ImportLoader {
public:
  ImportLoader(Program &P, const FrontEndOptions &Opts) : P(P), Opts(Opts) {}

  void run() {
    // The inputs are already parsed; register them before following imports so
    // importing an input does not load it twice.
    std::vector<Module *> Inputs = P.Modules;
    for (Module *M : Inputs)
      ByPath[canonical(M->Path)] = M;
    for (Module *M : Inputs)
      visit(M);
  }

private:
  void visit(Module *M) {
    if (Done.count(M))
      return;
    Stack.push_back(M);
    for (ImportDecl *I : M->Imports) {
      Module *Target = resolve(M, I);
      if (!Target)
        continue;
      P.ImportTargets[I] = Target;
      if (Target == M) {
        P.Diags.report(DiagID::SelfImport, importRange(I), {displayName(M)});
        continue;
      }
      auto OnStack = std::find(Stack.begin(), Stack.end(), Target);
      if (OnStack != Stack.end()) {
        std::string Chain;
        for (auto It = OnStack; It != Stack.end(); ++It)
          Chain += "`" + displayName(*It) + "` imports ";
        Chain += "`" + displayName(Target) + "`";
        P.Diags.report(DiagID::ImportCycle, importRange(I), {Chain});
        continue;
      }
      visit(Target);
    }
    Stack.pop_back();
    Done.insert(M);
  }

  std::string displayName(const Module *M) const {
    if (!M->ModuleName.empty())
      return M->ModuleName;
    return llvm::sys::path::filename(M->Path).str();
  }

  Module *resolve(Module *From, ImportDecl *I) {
    std::string Path;
    std::string ModuleName;
    if (I->namesNothing()) {
      P.Diags.report(DiagID::EmptyImport, importRange(I));
      return nullptr;
    }
    if (I->isFileImport()) {
      llvm::SmallString<256> P(I->FilePath);
      if (!llvm::sys::path::is_absolute(P)) {
        P = llvm::sys::path::parent_path(From->Path);
        llvm::sys::path::append(P, I->FilePath);
      }
      llvm::sys::path::remove_dots(P, /*remove_dot_dot=*/true);
      Path = std::string(P);
    } else {
      if (I->ModulePath.front().Name != "std") {
        P.Diags.report(DiagID::ModulePathNotStd, importRange(I),
                       {I->getModuleName()});
        return nullptr;
      }
      llvm::SmallString<256> P(Opts.StdlibPath);
      for (size_t K = 1; K < I->ModulePath.size(); ++K)
        llvm::sys::path::append(P, I->ModulePath[K].Name);
      P += ".deploy";
      Path = std::string(P);
      ModuleName = I->getModuleName();
    }
    std::string Key = canonical(Path);
    if (auto It = ByPath.find(Key); It != ByPath.end())
      return It->second;

    std::optional<std::string> Contents;
    if (Opts.ReadFile) {
      Contents = Opts.ReadFile(Path);
    } else if (auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/true)) {
      Contents = (*Buf)->getBuffer().str();
    }
    if (!Contents) {
      std::string Shown = ModuleName.empty() ? I->FilePath : ModuleName;
      std::string Looked = Path;
      // `import std.tiers` names a module, not a declaration in one.
      if (!ModuleName.empty() && I->Names.size() == 1 && !I->Wildcard) {
        llvm::SmallString<256> Whole(llvm::sys::path::parent_path(Path));
        llvm::sys::path::append(Whole, llvm::sys::path::stem(Path));
        llvm::sys::path::append(Whole, I->Names.front().Name + ".deploy");
        llvm::SmallString<256> Sibling(llvm::sys::path::parent_path(Path));
        llvm::sys::path::append(Sibling, I->Names.front().Name + ".deploy");
        std::string Full = ModuleName + "." + I->Names.front().Name;
        if (llvm::sys::fs::exists(Sibling) || llvm::sys::fs::exists(Whole))
          Looked += "; `" + Full + "` is a module: write `import " + Full +
                    ".*` or `import " + Full + ".NAME`";
      }
      P.Diags.report(DiagID::ModuleNotFound, importRange(I), {Shown, Looked});
      return nullptr;
    }
    // Stdlib files print as <stdlib>/NAME.deploy: the same on every machine.
    std::string Shown = Path;
    if (!ModuleName.empty())
      Shown = "<stdlib>" + Path.substr(Opts.StdlibPath.size());
    Module *M;
    if (Opts.LoadModule) {
      M = Opts.LoadModule(Shown, std::move(*Contents), P.SM, P.Diags);
    } else {
      FileID F = P.SM.addBuffer(Shown, std::move(*Contents));
      int64_t Bad = parse::findInvalidUTF8(P.SM.getBuffer(F));
      if (Bad >= 0)
        P.Diags.report(DiagID::InvalidUTF8, {F, uint32_t(Bad), uint32_t(Bad + 1)},
                       {Path, std::to_string(Bad)});
      M = parse::parseModule(P.SM, F, P.Ctx, P.Diags);
    }
    FileID F = M->File;
    M->Path = Path;
    M->ModuleName = ModuleName;
    M->IsStdlib = !ModuleName.empty() || From->IsStdlib;
    if (!M->IsStdlib)
      P.UserFiles.push_back(F);
    P.Modules.push_back(M);
    ByPath[Key] = M;
    return M;
  }

  Program &P;
  const FrontEndOptions &Opts;
  std::map<std::string, Module *> ByPath;
  std::vector<Module *> Stack;
  std::set<Module *> Done;
};

std::string declDescription(const Decl *D) {
  if (auto *B = llvm::dyn_cast<BlockDecl>(D))
    return getDeclKindDescription(B->Kind).str();
  return "parameter";
}

const Ident &declName(const Decl *D) {
  if (auto *B = llvm::dyn_cast<BlockDecl>(D))
    return B->Name;
  return llvm::cast<ParamDecl>(D)->Name;
}

} // namespace

void sema::loadImports(Program &P, const FrontEndOptions &Opts) {
  ImportLoader(P, Opts).run();
}

void sema::collectDeclarations(Program &P) {
  auto define = [&](std::map<std::string, const Decl *> &Scope, const Decl *D) {
    const Ident &Name = declName(D);
    auto [It, Inserted] = Scope.emplace(Name.Name, D);
    if (!Inserted && It->second != D)
      P.Diags.report(DiagID::DuplicateDecl, Name.Range, {declDescription(D), Name.Name})
          .note(DiagID::NotePreviousDefinition, declName(It->second).Range);
  };

  for (Module *M : P.Modules) {
    P.ModuleScopes[M];
    for (Decl *D : M->Decls) {
      P.DeclModules[D] = M;
      if (auto *B = llvm::dyn_cast<BlockDecl>(D)) {
        if (B->Kind == DeclKind::Unknown) {
          std::string Suggestion;
          std::string Hint =
              didYouMean(B->KindName.Name, getAllDeclKeywords(), &Suggestion);
          auto Diag = P.Diags.report(DiagID::UnknownDeclKind, B->KindName.Range,
                                     {B->KindName.Name, Hint});
          if (!Suggestion.empty())
            Diag.fixIt(B->KindName.Range, Suggestion);
          continue;
        }
        P.BlockDecls.push_back(B);
      } else if (auto *Param = llvm::dyn_cast<ParamDecl>(D)) {
        P.Params.push_back(Param);
      }
      define(M->IsStdlib ? P.ModuleScopes[M] : P.UserSymbols, D);
    }
  }

  for (Module *M : P.Modules) {
    for (ImportDecl *I : M->Imports) {
      auto It = P.ImportTargets.find(I);
      if (It == P.ImportTargets.end() || It->second == M)
        continue;
      const Module *Target = It->second;
      std::map<std::string, const Decl *> Exports;
      for (Decl *D : Target->Decls)
        if (!llvm::isa<BlockDecl>(D) || llvm::cast<BlockDecl>(D)->Kind != DeclKind::Unknown)
          Exports.emplace(declName(D).Name, D);
      std::vector<const Decl *> Picked;
      if (I->Wildcard || !I->FilePath.empty()) {
        for (auto &[Name, D] : Exports)
          Picked.push_back(D);
      } else {
        std::vector<std::string> Candidates;
        for (auto &[Name, D] : Exports)
          Candidates.push_back(Name);
        for (const Ident &N : I->Names) {
          auto E = Exports.find(N.Name);
          if (E == Exports.end()) {
            std::string Suggestion;
            std::string Hint = didYouMean(N.Name, Candidates, &Suggestion);
            auto Diag = P.Diags.report(DiagID::ImportedNameNotFound, N.Range,
                                       {Target->ModuleName.empty() ? Target->Path
                                                                   : Target->ModuleName,
                                        N.Name, Hint});
            if (!Suggestion.empty())
              Diag.fixIt(N.Range, Suggestion);
            continue;
          }
          Picked.push_back(E->second);
        }
      }
      // User files are visible everywhere already; only stdlib names are scoped.
      if (!Target->IsStdlib)
        continue;
      auto &Scope = P.ModuleScopes[M];
      for (const Decl *D : Picked) {
        const std::string &Name = declName(D).Name;
        if (!M->IsStdlib) {
          auto U = P.UserSymbols.find(Name);
          if (U != P.UserSymbols.end()) {
            P.Diags.report(DiagID::DuplicateDecl, declName(U->second).Range,
                           {declDescription(U->second), Name})
                .note(DiagID::NoteImportedFrom, importRange(I));
            continue;
          }
        }
        Scope.emplace(Name, D);
      }
    }
  }
}
