//===- Imports.cpp - Load imported modules, collect declarations ----------===//
//
// Pass 1 (loadImports) follows `import` declarations depth-first from the
// inputs, parsing each module once and diagnosing missing modules, cycles and
// self-imports at the import. Pass 2 (collectDeclarations) builds the symbol
// table: declarations of user files are visible everywhere; stdlib names are
// visible only in modules that import them.
//
//===----------------------------------------------------------------------===//

#include "deployc/Basic/EmbeddedStdlib.h"
#include "deployc/Basic/Memory.h"
#include "deployc/Parse/Parser.h"
#include "deployc/Sema/Sema.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/thread.h"
#include <atomic>
#include <set>
#include <thread>

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
    parseImportsAhead(M);
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

  /// Where an import leads.
  struct Location {
    std::string Path;       ///< As resolved (shown in "looked in").
    std::string ModuleName; ///< `std.tiers`; empty for file imports.
    std::string Key;        ///< The canonical path: one module per file.
    std::string Shown;      ///< The name diagnostics print for the file.
  };

  /// Where I leads; null (reported when Report is set) when it names nothing
  /// importable.
  std::optional<Location> locate(Module *From, ImportDecl *I, bool Report) {
    Location L;
    if (I->namesNothing()) {
      if (Report)
        P.Diags.report(DiagID::EmptyImport, importRange(I));
      return std::nullopt;
    }
    if (I->isFileImport()) {
      llvm::SmallString<256> P(I->FilePath);
      if (!llvm::sys::path::is_absolute(P)) {
        P = llvm::sys::path::parent_path(From->Path);
        llvm::sys::path::append(P, I->FilePath);
      }
      llvm::sys::path::remove_dots(P, /*remove_dot_dot=*/true);
      L.Path = std::string(P);
    } else {
      if (I->ModulePath.front().Name != "std") {
        if (Report)
          P.Diags.report(DiagID::ModulePathNotStd, importRange(I), {I->getModuleName()});
        return std::nullopt;
      }
      llvm::SmallString<256> P(stdlibRoot());
      for (size_t K = 1; K < I->ModulePath.size(); ++K)
        llvm::sys::path::append(P, I->ModulePath[K].Name);
      P += ".deploy";
      L.Path = std::string(P);
      L.ModuleName = I->getModuleName();
    }
    L.Key = inEmbeddedStdlib(L.Path) ? L.Path : canonical(L.Path);
    // Stdlib files print as <stdlib>/NAME.deploy: the same on every machine.
    L.Shown = L.ModuleName.empty() ? L.Path
                                   : "<stdlib>" + L.Path.substr(stdlibRoot().size());
    return L;
  }

  Module *resolve(Module *From, ImportDecl *I) {
    std::optional<Location> L = locate(From, I, /*Report=*/true);
    if (!L)
      return nullptr;
    if (auto It = ByPath.find(L->Key); It != ByPath.end())
      return It->second;

    Module *M;
    if (auto It = Ahead.find(L->Key); It != Ahead.end()) {
      // Parsed ahead: its diagnostics come now, where parsing it would have.
      for (const Diagnostic &D : It->second.Diags->getDiagnostics())
        P.Diags.replay(D);
      M = It->second.M;
      P.Ctx.adopt(std::move(It->second.Ctx));
      Ahead.erase(It);
    } else {
      std::string Reason;
      std::optional<std::string> Contents = readFile(L->Path, Reason);
      if (!Contents) {
        if (Reason.empty())
          reportNotFound(*L, I);
        else
          P.Diags.report(DiagID::CannotReadFile, importRange(I), {L->Shown, Reason});
        return nullptr;
      }
      if (Opts.LoadModule) {
        M = Opts.LoadModule(L->Shown, std::move(*Contents), P.SM, P.Diags);
      } else {
        FileID F = P.SM.addBuffer(L->Shown, std::move(*Contents));
        M = parseFile(P.SM, F, L->Path, P.Ctx, P.Diags);
      }
    }
    FileID F = M->File;
    M->Path = L->Path;
    M->ModuleName = L->ModuleName;
    M->IsStdlib = !L->ModuleName.empty() || From->IsStdlib;
    if (!M->IsStdlib)
      P.UserFiles.push_back(F);
    P.Modules.push_back(M);
    ByPath[L->Key] = M;
    return M;
  }

  /// Where `import std.X` looks: the on-disk stdlib when one is given, else
  /// the copy embedded in the binary.
  llvm::StringRef stdlibRoot() const {
    if (Opts.StdlibPath.empty())
      return EmbeddedStdlibRoot;
    return Opts.StdlibPath;
  }

  /// Whether Path is read from the embedded stdlib, not the file system.
  bool inEmbeddedStdlib(llvm::StringRef Path) const {
    return Opts.StdlibPath.empty() && Path.startswith(EmbeddedStdlibRoot) &&
           Path.drop_front(EmbeddedStdlibRoot.size()).startswith("/");
  }

  bool exists(llvm::StringRef Path) const {
    if (inEmbeddedStdlib(Path))
      return findEmbeddedStdlibFile(Path).has_value();
    return llvm::sys::fs::exists(Path);
  }

  /// The text of the file at Path; nullopt when it cannot be read, with
  /// Reason empty when there is no such file and otherwise saying why (a
  /// FIFO, a device, a file over the size limit).
  std::optional<std::string> readFile(llvm::StringRef Path, std::string &Reason) const {
    if (inEmbeddedStdlib(Path)) {
      if (std::optional<llvm::StringRef> Text = findEmbeddedStdlibFile(Path))
        return Text->str();
      return std::nullopt;
    }
    if (Opts.ReadFile)
      return Opts.ReadFile(Path);
    llvm::Expected<std::string> Text = readInputFile(Path);
    if (Text)
      return std::move(*Text);
    llvm::handleAllErrors(Text.takeError(), [&](const llvm::ErrorInfoBase &E) {
      if (E.convertToErrorCode() != std::errc::no_such_file_or_directory)
        Reason = E.message();
    });
    return std::nullopt;
  }

  void reportNotFound(const Location &L, ImportDecl *I) {
    std::string Shown = L.ModuleName.empty() ? I->FilePath : L.ModuleName;
    std::string Looked = L.Path;
    // `import std.tiers` names a module, not a declaration in one.
    if (!L.ModuleName.empty() && I->Names.size() == 1 && !I->Wildcard) {
      llvm::SmallString<256> Whole(llvm::sys::path::parent_path(L.Path));
      llvm::sys::path::append(Whole, llvm::sys::path::stem(L.Path));
      llvm::sys::path::append(Whole, I->Names.front().Name + ".deploy");
      llvm::SmallString<256> Sibling(llvm::sys::path::parent_path(L.Path));
      llvm::sys::path::append(Sibling, I->Names.front().Name + ".deploy");
      std::string Full = L.ModuleName + "." + I->Names.front().Name;
      if (exists(Sibling) || exists(Whole))
        Looked += "; `" + Full + "` is a module: write `import " + Full + ".*` or `import " +
                  Full + ".NAME`";
    }
    P.Diags.report(DiagID::ModuleNotFound, importRange(I), {Shown, Looked});
  }

  static Module *parseFile(const SourceManager &SM, FileID F, llvm::StringRef Path,
                           ASTContext &Ctx, DiagnosticEngine &Diags) {
    int64_t Bad = parse::findInvalidUTF8(SM.getBuffer(F));
    if (Bad >= 0)
      Diags.report(DiagID::InvalidUTF8, {F, uint32_t(Bad), uint32_t(Bad + 1)},
                   {Path.str(), std::to_string(Bad)});
    return parse::parseModule(SM, F, Ctx, Diags);
  }

  /// A file parsed ahead of the walk, with its own context and diagnostics.
  struct ParsedAhead {
    std::unique_ptr<ASTContext> Ctx;
    std::unique_ptr<DiagnosticEngine> Diags;
    Module *M = nullptr;
  };

  /// Below this many bytes of imports, starting threads costs more than it saves.
  static constexpr uint64_t MinParallelBytes = 128 << 10;

  /// Parses the files M imports on all cores, before the depth-first walk
  /// reaches them (large specs split their services over many files). The
  /// walk then takes them in its own order, so modules, file order and
  /// diagnostics are those of parsing one file after the other. The language
  /// server's loader has its own cache and parses as before.
  void parseImportsAhead(Module *M) {
    if (Opts.LoadModule || Opts.ReadFile || std::thread::hardware_concurrency() < 2)
      return;
    std::vector<Location> Files;
    uint64_t Bytes = 0;
    for (ImportDecl *I : M->Imports) {
      std::optional<Location> L = locate(M, I, /*Report=*/false);
      if (!L || ByPath.count(L->Key) || Ahead.count(L->Key) ||
          llvm::any_of(Files, [&](const Location &F) { return F.Key == L->Key; }))
        continue;
      uint64_t Size;
      if (llvm::sys::fs::file_size(L->Path, Size))
        continue; // resolve() reports it
      Bytes += Size;
      Files.push_back(std::move(*L));
    }
    if (Files.size() < 2 || Bytes < MinParallelBytes)
      return;

    struct Job {
      FileID File;
      std::string Path, Key;
      ParsedAhead Result;
    };
    std::vector<Job> Jobs;
    for (Location &L : Files) {
      std::string Reason;
      std::optional<std::string> Contents = readFile(L.Path, Reason);
      if (!Contents)
        continue; // resolve() reports it
      FileID F = P.SM.addBuffer(L.Shown, std::move(*Contents));
      Jobs.push_back({F, L.Path, L.Key, {}});
    }
    // The SourceManager is only read from here until the threads are joined.
    std::atomic<size_t> Next{0};
    auto work = [&] {
      for (size_t J; (J = Next++) < Jobs.size();) {
        ParsedAhead &R = Jobs[J].Result;
        R.Ctx = std::make_unique<ASTContext>();
        R.Diags = std::make_unique<DiagnosticEngine>(P.SM);
        R.M = parseFile(P.SM, Jobs[J].File, Jobs[J].Path, *R.Ctx, *R.Diags);
      }
    };
    size_t Threads = std::min<size_t>(std::thread::hardware_concurrency(), Jobs.size());
    std::vector<llvm::thread> Workers;
    // A worker's arena holds the trees it parsed until the command ends, so
    // it wants huge pages when the command does (not in the language server).
    bool HugePages = threadWantsHugePages();
    for (size_t T = 1; T < Threads; ++T)
      Workers.emplace_back(llvm::Optional<unsigned>(ParseThreadStack), [&] {
        if (HugePages)
          adviseHugePagesForThreadHeap();
        work();
      });
    work();
    for (llvm::thread &W : Workers)
      W.join();
    for (Job &J : Jobs)
      Ahead.emplace(J.Key, std::move(J.Result));
  }

  /// The parser recurses over the input (bounded by MaxNestingDepth); the
  /// workers get a roomy stack, as the tool gives its main thread.
  static constexpr unsigned ParseThreadStack = 64u << 20;

  Program &P;
  const FrontEndOptions &Opts;
  std::map<std::string, Module *> ByPath;
  std::map<std::string, ParsedAhead> Ahead;
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
