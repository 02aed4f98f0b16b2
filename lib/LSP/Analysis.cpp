//===- Analysis.cpp - One compilation of an open document -----------------===//
//
// Runs the front end over an open document and answers position queries from
// the Program it produces: what is under the cursor (a name and what it
// resolved to, an entry key and its schema field, a declaration), where it is
// declared, who refers to it, what may be written here.
//
//===----------------------------------------------------------------------===//

#include "Analysis.h"
#include "deployc/Basic/EmbeddedStdlib.h"
#include "deployc/Parse/Formatter.h"
#include "deployc/Parse/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <regex>

using namespace deployc;
using namespace deployc::lsp;
using namespace deployc::ast;
using sema::Resolution;

std::string lsp::uriFromPath(llvm::StringRef Path) {
  std::string Out = "file://";
  for (unsigned char C : Path) {
    if (llvm::isAlnum(C) || llvm::StringRef("/-._~").contains(C))
      Out += C;
    else
      Out += "%" + llvm::utohexstr(C, /*LowerCase=*/false, 2);
  }
  return Out;
}

std::string lsp::pathFromUri(llvm::StringRef Uri) {
  if (!Uri.consume_front("file://"))
    return Uri.str();
  std::string Out;
  for (size_t I = 0; I < Uri.size(); ++I) {
    if (Uri[I] == '%' && I + 2 < Uri.size()) {
      unsigned V;
      if (!Uri.substr(I + 1, 2).getAsInteger(16, V)) {
        Out += char(V);
        I += 2;
        continue;
      }
    }
    Out += Uri[I];
  }
  return Out;
}

namespace {

/// Schemas of nested blocks, following the schema table and the checker's
/// record of which field each entry is.
const sema::BlockSchema *bodySchema(const sema::Program &P, const Entry *E,
                                    const sema::BlockSchema *Enclosing) {
  if (E->Key.Name == "on")
    return Enclosing;
  const sema::FieldDef *F = P.EntryFields.lookup(E);
  if (F && F->Block)
    return F->Block;
  if (Enclosing && Enclosing->OpenBlocks)
    return Enclosing;
  return nullptr;
}

int symbolKind(DeclKind K) {
  switch (K) {
  case DeclKind::Service: case DeclKind::Worker: case DeclKind::Job: return 5; // Class
  case DeclKind::Environment: return 3;                                        // Namespace
  case DeclKind::Secret: return 20;                                            // Key
  case DeclKind::SecretType: return 23;                                        // Struct
  case DeclKind::Tier: return 10;                                              // Enum
  case DeclKind::ResourceTier: return 14;                                      // Constant
  case DeclKind::Build: return 2;                                              // Module
  case DeclKind::DevContainer: return 4;                                       // Package
  case DeclKind::Channel: return 24;                                           // Event
  case DeclKind::Feature: return 17;                                           // Boolean
  default: return 13;
  }
}

enum SemanticType {
  STKeyword, STType, STClass, STEnumMember, STProperty, STVariable, STParameter,
  STFunction, STString, STNumber, STComment, STOperator, STNamespace
};
enum SemanticModifier { SMDeclaration = 1, SMDocumentation = 2, SMDefaultLibrary = 4 };

} // namespace

json lsp::semanticTokensLegend() {
  return {{"tokenTypes", {"keyword", "type", "class", "enumMember", "property", "variable",
                          "parameter", "function", "string", "number", "comment", "operator",
                          "namespace"}},
          {"tokenModifiers", {"declaration", "documentation", "defaultLibrary"}}};
}

std::shared_ptr<ParseCache::ParsedFile> ParseCache::get(const std::string &Path,
                                                         const std::string &Text) {
  std::lock_guard<std::mutex> G(Lock);
  auto &Slot = Files[Path];
  if (Slot && Slot->Text == Text)
    return Slot;
  auto PF = std::make_shared<ParsedFile>();
  PF->Text = Text;
  FileID F = PF->SM.addBuffer(Path, Text);
  DiagnosticEngine D(PF->SM);
  int64_t Bad = parse::findInvalidUTF8(Text);
  if (Bad >= 0)
    D.report(DiagID::InvalidUTF8, {F, uint32_t(Bad), uint32_t(Bad + 1)},
             {Path, std::to_string(Bad)});
  PF->M = parse::parseModule(PF->SM, F, PF->Ctx, D);
  PF->Diags = D.getDiagnostics().vec();
  Slot = PF;
  return PF;
}

Analysis::Analysis(std::string Uri, std::string Text, int64_t Version,
                   const std::string &StdlibPath, const Overlay &Open,
                   const std::string &Environment, const std::string &Main,
                   ParseCache *Cache)
    : Uri(std::move(Uri)), MainUri(Main.empty() ? this->Uri : Main), Version(Version),
      EnvironmentName(Environment), StdlibPath(StdlibPath) {
  FileID MainFile;
  std::string FocusPath = pathFromUri(this->Uri);
  if (MainUri == this->Uri) {
    MainFile = SM.addBuffer(FocusPath, Text);
  } else {
    std::string MainPath = pathFromUri(MainUri);
    std::optional<std::string> MainText = Open ? Open(MainPath) : std::nullopt;
    if (!MainText) {
      if (auto Read = readInputFile(MainPath))
        MainText = std::move(*Read);
      else
        llvm::consumeError(Read.takeError());
    }
    MainFile = SM.addBuffer(MainPath, MainText.value_or(""));
  }
  sema::FrontEndOptions Opts;
  Opts.StdlibPath = StdlibPath;
  Opts.ReadFile = [&Open](llvm::StringRef Path) -> std::optional<std::string> {
    if (Open)
      if (auto T = Open(Path))
        return T;
    auto Read = readInputFile(Path);
    if (!Read) {
      llvm::consumeError(Read.takeError());
      return std::nullopt;
    }
    return std::move(*Read);
  };
  if (Cache)
    Opts.LoadModule = [this, Cache](llvm::StringRef Path, std::string Text,
                                    SourceManager &S, DiagnosticEngine &D) {
      std::shared_ptr<ParseCache::ParsedFile> PF = Cache->get(Path.str(), Text);
      S.adoptBuffer(PF->SM, PF->M->File);
      for (const Diagnostic &Diag : PF->Diags)
        D.replay(Diag);
      KeepAlive.push_back(PF);
      return PF->M;
    };
  Diags.setErrorLimit(200);
  Prog = sema::runFrontEnd(SM, Diags, {MainFile}, Opts);
  auto findFocus = [&] {
    for (const Module *M : Prog->Modules)
      if (!M->IsStdlib && M->Path == FocusPath)
        return M->File;
    return FileID(0);
  };
  Root = findFocus();
  if (!Root) {
    // The main file no longer imports this one: compile it on its own.
    MainUri = this->Uri;
    FileID F = SM.addBuffer(FocusPath, Text);
    Diags.clear();
    Prog = sema::runFrontEnd(SM, Diags, {F}, Opts);
    Root = findFocus();
    if (!Root)
      Root = F;
  }
}

std::vector<std::string> Analysis::loadedPaths() const {
  std::vector<std::string> Out;
  for (const Module *M : Prog->Modules)
    if (!M->IsStdlib)
      Out.push_back(M->Path);
  return Out;
}

std::string Analysis::uriOf(FileID F) const {
  if (F == Root)
    return Uri;
  for (const Module *M : Prog->Modules)
    if (M->File == F)
      return uriFromPath(M->Path);
  return uriFromPath(SM.getPath(F));
}

bool Analysis::isEmbeddedStdlib(FileID F) const {
  return StdlibPath.empty() && findEmbeddedStdlibFile(SM.getPath(F)).has_value();
}

json Analysis::range(SourceRange R) const {
  llvm::StringRef Text = SM.getBuffer(R.File);
  Position B = positionAt(Text, R.Begin), E = positionAt(Text, R.End);
  return {{"start", {{"line", B.Line}, {"character", B.Character}}},
          {"end", {{"line", E.Line}, {"character", E.Character}}}};
}

json Analysis::location(SourceRange R) const {
  return {{"uri", uriOf(R.File)}, {"range", range(R)}};
}

const sema::EnvironmentModel *Analysis::environment() const {
  for (const sema::EnvironmentModel &M : Prog->Environments)
    if (M.Name == EnvironmentName)
      return &M;
  return Prog->Environments.empty() ? nullptr : &Prog->Environments.front();
}

json Analysis::diagnostics() const {
  json List = json::array();
  for (const Diagnostic &D : Diags.getDiagnostics()) {
    if (D.Range.isValid() && D.Range.File != Root)
      continue;
    json J;
    J["range"] = D.Range.isValid() ? range(D.Range)
                                   : json{{"start", {{"line", 0}, {"character", 0}}},
                                          {"end", {{"line", 0}, {"character", 0}}}};
    J["severity"] = D.Sev == Severity::Error ? 1 : D.Sev == Severity::Warning ? 2 : 3;
    J["code"] = D.getCode().str();
    J["source"] = "deployc";
    J["message"] = D.Message;
    json Related = json::array();
    for (const DiagNote &N : D.Notes)
      if (N.Range.isValid() && !isEmbeddedStdlib(N.Range.File))
        Related.push_back({{"location", location(N.Range)}, {"message", N.Message}});
    if (!Related.empty())
      J["relatedInformation"] = Related;
    json Fixes = json::array();
    for (const FixIt &F : D.FixIts)
      if (F.Range.File == Root)
        Fixes.push_back({{"range", range(F.Range)}, {"newText", F.Replacement}});
    if (!Fixes.empty())
      J["data"] = {{"fixits", Fixes}};
    List.push_back(J);
  }
  return {{"uri", Uri}, {"version", Version}, {"diagnostics", List}};
}

//===----------------------------------------------------------------------===//
// What is under the cursor
//===----------------------------------------------------------------------===//

struct Analysis::Target {
  enum Kind { NameRef, MemberRef, DeclName, EntryKey, OverlayLabel, TypeName, CallName } K;
  SourceRange Range;
  const Decl *D = nullptr;           ///< Resolved or declared declaration.
  const Expr *E = nullptr;
  const Entry *En = nullptr;
  const sema::FieldDef *Field = nullptr;
  const BlockDecl *Owner = nullptr;  ///< The declaration the cursor is in.
  std::vector<std::string> Path;     ///< Keys from the owner to the entry.
};

std::optional<Analysis::Target> Analysis::targetAt(size_t Offset) const {
  const Module *M = nullptr;
  for (const Module *Mod : Prog->Modules)
    if (Mod->File == Root)
      M = Mod;
  if (!M)
    return std::nullopt;
  auto in = [&](SourceRange R) { return R.Begin <= Offset && Offset <= R.End; };
  std::optional<Target> Found;
  const BlockDecl *Owner = nullptr;
  std::vector<std::string> Path;

  std::function<void(const Expr &)> walkExpr;
  std::function<void(const Block &)> walkBlock;
  walkExpr = [&](const Expr &E) {
    if (!in(E.getRange()))
      return;
    switch (E.getKind()) {
    case NK::NameExpr: {
      Target T{Target::NameRef, E.getRange()};
      T.E = &E;
      T.Owner = Owner;
      auto It = Prog->Resolutions.find(&E);
      if (It != Prog->Resolutions.end())
        T.D = It->second.Target;
      Found = T;
      return;
    }
    case NK::MemberExpr: {
      auto &Mem = llvm::cast<MemberExpr>(E);
      if (in(Mem.Member.Range)) {
        Target T{Target::MemberRef, Mem.Member.Range};
        T.E = &E;
        T.Owner = Owner;
        if (auto *N = llvm::dyn_cast<NameExpr>(Mem.Base))
          T.D = Prog->Resolutions.lookup(N).Target;
        Found = T;
        return;
      }
      walkExpr(*Mem.Base);
      return;
    }
    case NK::CallExpr: {
      auto &C = llvm::cast<CallExpr>(E);
      if (in(C.Callee.Range)) {
        Target T{Target::CallName, C.Callee.Range};
        T.E = &E;
        Found = T;
        return;
      }
      for (const Expr *A : C.Args)
        walkExpr(*A);
      if (C.Options)
        walkBlock(*C.Options);
      return;
    }
    case NK::ConstructorExpr:
      walkBlock(*llvm::cast<ConstructorExpr>(E).Body);
      return;
    case NK::BlockExpr:
      walkBlock(*llvm::cast<BlockExpr>(E).Body);
      return;
    case NK::StringLiteral:
      for (const StringLiteral::Part &Part : llvm::cast<StringLiteral>(E).Parts)
        if (Part.Interp)
          walkExpr(*Part.Interp);
      return;
    case NK::ListExpr:
      for (const Expr *El : llvm::cast<ListExpr>(E).Elements)
        walkExpr(*El);
      return;
    case NK::RangeExpr:
      walkExpr(*llvm::cast<RangeExpr>(E).Low);
      walkExpr(*llvm::cast<RangeExpr>(E).High);
      return;
    case NK::UnaryExpr:
      walkExpr(*llvm::cast<UnaryExpr>(E).Operand);
      return;
    case NK::BinaryExpr:
      walkExpr(*llvm::cast<BinaryExpr>(E).LHS);
      walkExpr(*llvm::cast<BinaryExpr>(E).RHS);
      return;
    case NK::IfExpr: {
      auto &I = llvm::cast<IfExpr>(E);
      walkExpr(*I.Cond);
      walkExpr(*I.Then);
      walkExpr(*I.Else);
      return;
    }
    default:
      return;
    }
  };
  walkBlock = [&](const Block &B) {
    for (const Entry *En : B.Entries) {
      if (!in(En->getRange()))
        continue;
      if (in(En->Key.Range)) {
        Target T{Target::EntryKey, En->Key.Range};
        T.En = En;
        T.Field = Prog->EntryFields.lookup(En);
        T.Owner = Owner;
        T.Path = Path;
        T.Path.push_back(En->Key.Name);
        if (En->Label && En->Key.Name != "on")
          T.Path.push_back(En->Label->Name);
        Found = T;
        return;
      }
      if (En->Label && in(En->Label->Range) && En->Key.Name == "on") {
        Target T{Target::OverlayLabel, En->Label->Range};
        T.D = Owner ? Prog->lookup(Prog->getModule(Owner), En->Label->Name) : nullptr;
        Found = T;
        return;
      }
      bool Pushed = En->Key.Name != "on";
      if (Pushed) {
        Path.push_back(En->Key.Name);
        if (En->Label)
          Path.push_back(En->Label->Name);
      }
      if (auto *A = llvm::dyn_cast<AssignEntry>(En))
        walkExpr(*A->Value);
      else if (auto *BE = llvm::dyn_cast<BlockEntry>(En))
        walkBlock(*BE->Body);
      else if (auto *C = llvm::dyn_cast<ConditionEntry>(En))
        walkExpr(*C->Value);
      else if (auto *F = llvm::dyn_cast<FieldEntry>(En)) {
        if (F->Default)
          walkExpr(*F->Default);
        if (F->Options)
          walkBlock(*F->Options);
      }
      if (Pushed) {
        Path.pop_back();
        if (En->Label)
          Path.pop_back();
      }
      return;
    }
  };

  for (const Decl *D : M->Decls) {
    if (!in(D->getRange()))
      continue;
    if (auto *B = llvm::dyn_cast<BlockDecl>(D)) {
      Owner = B;
      if (in(B->Name.Range)) {
        Target T{Target::DeclName, B->Name.Range};
        T.D = B;
        T.Owner = B;
        return T;
      }
      for (const Ident &I : B->TypeName)
        if (in(I.Range)) {
          Target T{Target::TypeName, I.Range};
          T.D = Prog->SecretTypes.lookup(B);
          return T;
        }
      walkBlock(*B->Body);
      return Found;
    }
    auto *Param = llvm::cast<ParamDecl>(D);
    if (in(Param->Name.Range)) {
      Target T{Target::DeclName, Param->Name.Range};
      T.D = Param;
      return T;
    }
    if (Param->Default)
      walkExpr(*Param->Default);
    return Found;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Hover
//===----------------------------------------------------------------------===//

static std::string declSignature(const Decl *D, const sema::Program &P) {
  if (auto *B = llvm::dyn_cast<BlockDecl>(D)) {
    std::string S = B->KindName.Name + " " + B->Name.Name;
    if (!B->TypeName.empty())
      S += " : " + B->TypeName.back().Name;
    return S;
  }
  auto *Param = llvm::cast<ParamDecl>(D);
  const sema::Type *T = P.ParamTypes.lookup(Param);
  return "param " + Param->Name.Name + (T ? ": " + T->describe() : "");
}

json Analysis::hover(Position Pos) const {
  size_t Offset = offsetAt(getText(), Pos);
  auto T = targetAt(Offset);
  if (!T)
    return nullptr;
  std::string Md;
  const sema::EnvironmentModel *Env = environment();
  auto valueLine = [&](const sema::Value &V) {
    if (V.isNull() || !Env)
      return std::string();
    return "\n\nIn environment `" + Env->Name + "`: `" + V.toDisplayString() + "`";
  };
  auto declDoc = [&](const Decl *D) {
    std::string S = "```deploy\n" + declSignature(D, *Prog) + "\n```";
    if (!D->Doc.empty())
      S += "\n\n" + D->Doc;
    const Module *M = Prog->getModule(D);
    if (M && M->IsStdlib)
      S += "\n\n*from `" + M->ModuleName + "`*";
    if (auto *Param = llvm::dyn_cast<ParamDecl>(D))
      if (Env) {
        auto It = Env->Params.find(Param->Name.Name);
        if (It != Env->Params.end())
          S += valueLine(It->second);
      }
    return S;
  };
  switch (T->K) {
  case Target::DeclName:
  case Target::TypeName:
  case Target::OverlayLabel:
    if (!T->D)
      return nullptr;
    Md = declDoc(T->D);
    break;
  case Target::NameRef: {
    auto It = Prog->Resolutions.find(T->E);
    if (It == Prog->Resolutions.end())
      return nullptr;
    const Resolution &R = It->second;
    const sema::Type *Ty = Prog->getType(T->E);
    switch (R.K) {
    case Resolution::Kind::Decl:
    case Resolution::Kind::Param:
      Md = declDoc(R.Target);
      break;
    case Resolution::Kind::EnumMember:
      Md = "`" + R.Name.str() + "`: " + (Ty ? Ty->describe() : "an enum member");
      break;
    case Resolution::Kind::Environment:
      Md = "`env`: the environment being evaluated" +
           (Env ? " (`" + Env->Name + "` in this editor)" : std::string());
      break;
    case Resolution::Kind::Port:
      Md = "port `" + R.Name.str() + "` of this workload";
      break;
    case Resolution::Kind::Component:
      Md = "component `" + R.Name.str() + "` of this secret type (a secret value)";
      break;
    default:
      return nullptr;
    }
    break;
  }
  case Target::MemberRef: {
    auto &Mem = llvm::cast<MemberExpr>(*T->E);
    const sema::Type *Ty = Prog->getType(T->E);
    if (auto *B = llvm::dyn_cast_or_null<BlockDecl>(T->D); B && B->Kind == DeclKind::Secret) {
      Md = "component `" + Mem.Member.Name + "` of secret `" + B->Name.Name +
           "`: a secret value (only env vars, secret files and build secret mounts may "
           "read it; its value is never shown)";
      break;
    }
    Md = "`" + Mem.Member.Name + "`" + (Ty ? ": " + Ty->describe() : "");
    break;
  }
  case Target::EntryKey: {
    const sema::FieldDef *F = T->Field;
    if (!F) {
      if (T->En && T->En->Key.Name == "on")
        Md = "`on NAME { ... }`: overrides for a tier or an environment";
      else
        return nullptr;
      break;
    }
    Md = "`" + F->Name.str() + "`: " + F->valueType()->describe();
    if (F->isRequired())
      Md += " (required)";
    if (!F->Doc.empty())
      Md += "\n\n" + F->Doc.str();
    if (T->Owner && Env)
      if (const sema::Value *V = Env->find(T->Owner)) {
        const sema::Value *Cur = V;
        for (const std::string &K : T->Path) {
          Cur = Cur->getField(K);
          if (!Cur)
            break;
        }
        // `port http = 8080` is stored as `port: {http: {port: 8080}}`.
        if (Cur && T->En->Label && llvm::isa<AssignEntry>(T->En))
          if (const sema::Value *Inner = Cur->getField(T->En->Key.Name))
            Cur = Inner;
        if (Cur)
          Md += valueLine(*Cur);
      }
    break;
  }
  case Target::CallName: {
    auto &C = llvm::cast<CallExpr>(*T->E);
    const sema::BuiltinFunction *F = sema::lookupBuiltin(C.Callee.Name);
    if (!F)
      return nullptr;
    Md = "```deploy\n" + sema::getBuiltinSignature(*F) + "\n```\n\n" + F->Doc;
    break;
  }
  }
  return {{"contents", {{"kind", "markdown"}, {"value", Md}}}, {"range", range(T->Range)}};
}

//===----------------------------------------------------------------------===//
// Definition, references, rename
//===----------------------------------------------------------------------===//

static const Ident *declName(const Decl *D) {
  if (auto *B = llvm::dyn_cast<BlockDecl>(D))
    return &B->Name;
  if (auto *P = llvm::dyn_cast<ParamDecl>(D))
    return &P->Name;
  return nullptr;
}

json Analysis::definition(Position Pos) const {
  auto T = targetAt(offsetAt(getText(), Pos));
  if (!T)
    return nullptr;
  if (T->K == Target::MemberRef) {
    auto *B = llvm::dyn_cast_or_null<BlockDecl>(T->D);
    if (B && B->Kind == DeclKind::Secret)
      if (const BlockDecl *Type = Prog->SecretTypes.lookup(B)) {
        const std::string &Member = llvm::cast<MemberExpr>(*T->E).Member.Name;
        for (const FieldEntry *C : sema::getSecretComponents(*Type))
          if (C->Label->Name == Member)
            return location(C->Label->Range);
        for (const AssignEntry *C : sema::getSecretComposes(*Type))
          if (C->Label->Name == Member)
            return location(C->Label->Range);
      }
    return nullptr;
  }
  if (T->K == Target::NameRef) {
    // A port name: its `port NAME = ...` entry in the enclosing workload.
    auto It = Prog->Resolutions.find(T->E);
    if (It != Prog->Resolutions.end() && It->second.K == Resolution::Kind::Port) {
      SourceRange At = T->E->getRange();
      for (const Module *M : Prog->Modules)
        for (const Decl *D : M->Decls) {
          auto *B = llvm::dyn_cast<BlockDecl>(D);
          SourceRange R = D->getRange();
          if (!B || R.File != At.File || At.Begin < R.Begin || At.End > R.End)
            continue;
          for (const Entry *E : B->Body->Entries)
            if (E->Key.Name == "port" && E->Label && E->Label->Name == It->second.Name)
              return location(E->Label->Range);
        }
      return nullptr;
    }
  }
  if (!T->D)
    return nullptr;
  // Hover still shows a declaration of the embedded stdlib.
  if (const Ident *N = declName(T->D); N && !isEmbeddedStdlib(N->Range.File))
    return location(N->Range);
  return nullptr;
}

std::vector<std::pair<FileID, SourceRange>> Analysis::referencesTo(const Decl *D) const {
  std::vector<std::pair<FileID, SourceRange>> Out;
  for (const auto &[E, R] : Prog->Resolutions)
    if (R.Target == D)
      Out.push_back({E->getRange().File, llvm::cast<NameExpr>(E)->Name.Range});
  for (const auto &[Owner, Overlays] : Prog->Overlays)
    for (const sema::Overlay &O : Overlays)
      if (O.Target == D)
        Out.push_back({O.Entry->Label->Range.File, O.Entry->Label->Range});
  for (const auto &[Secret, Type] : Prog->SecretTypes)
    if (Type == D)
      Out.push_back({Secret->TypeName.back().Range.File, Secret->TypeName.back().Range});
  std::sort(Out.begin(), Out.end(), [](const auto &A, const auto &B) {
    return std::tie(A.second.File, A.second.Begin) < std::tie(B.second.File, B.second.Begin);
  });
  return Out;
}

json Analysis::references(Position Pos, bool IncludeDeclaration) const {
  auto T = targetAt(offsetAt(getText(), Pos));
  if (!T || !T->D)
    return json::array();
  json Out = json::array();
  if (IncludeDeclaration)
    if (const Ident *N = declName(T->D); N && !isEmbeddedStdlib(N->Range.File))
      Out.push_back(location(N->Range));
  for (auto &[F, R] : referencesTo(T->D))
    if (!isEmbeddedStdlib(F))
      Out.push_back(location(R));
  return Out;
}

json Analysis::prepareRename(Position Pos) const {
  auto T = targetAt(offsetAt(getText(), Pos));
  if (!T || !T->D || (T->K != Target::NameRef && T->K != Target::DeclName &&
                      T->K != Target::OverlayLabel && T->K != Target::TypeName))
    return nullptr;
  const Module *M = Prog->getModule(T->D);
  if (!M || M->IsStdlib)
    return nullptr;
  return {{"range", range(T->Range)}, {"placeholder", SM.getText(T->Range).str()}};
}

json Analysis::rename(Position Pos, const std::string &NewName, std::string &Error) const {
  auto T = targetAt(offsetAt(getText(), Pos));
  if (!T || !T->D) {
    Error = "nothing to rename here";
    return nullptr;
  }
  const Module *M = Prog->getModule(T->D);
  if (!M || M->IsStdlib) {
    Error = "stdlib declarations cannot be renamed";
    return nullptr;
  }
  static const char *Reserved[] = {"import", "param", "if", "then", "else", "true", "false"};
  bool IsIdentifier = !NewName.empty() && !llvm::isDigit(NewName[0]) &&
                      llvm::all_of(NewName, [](char C) { return llvm::isAlnum(C) || C == '_'; });
  if (!IsIdentifier ||
      std::find(std::begin(Reserved), std::end(Reserved), NewName) != std::end(Reserved)) {
    Error = "`" + NewName + "` is not a valid name";
    return nullptr;
  }
  json Changes = json::object();
  auto add = [&](SourceRange R) {
    Changes[uriOf(R.File)].push_back({{"range", range(R)}, {"newText", NewName}});
  };
  add(declName(T->D)->Range);
  for (auto &[F, R] : referencesTo(T->D))
    add(R);
  return {{"changes", Changes}};
}

//===----------------------------------------------------------------------===//
// Completion
//===----------------------------------------------------------------------===//

namespace {

enum CompletionKind { CKFunction = 3, CKField = 5, CKVariable = 6, CKClass = 7, CKModule = 9,
                      CKProperty = 10, CKUnit = 11, CKValue = 12, CKKeyword = 14,
                      CKSnippet = 15, CKEnumMember = 20 };

json item(const std::string &Label, int Kind, const std::string &Detail = "",
          const std::string &Doc = "") {
  json J{{"label", Label}, {"kind", Kind}};
  if (!Detail.empty())
    J["detail"] = Detail;
  if (!Doc.empty())
    J["documentation"] = {{"kind", "markdown"}, {"value", Doc}};
  return J;
}

/// The innermost block holding Offset and its schema.
struct BlockAt {
  const Block *B = nullptr;
  const sema::BlockSchema *S = nullptr;
  const BlockDecl *Owner = nullptr;
  bool TopLevel = false; ///< The declaration's own body (overlays allowed).
};

} // namespace

json Analysis::completion(Position Pos) const {
  llvm::StringRef Text = getText();
  size_t Offset = offsetAt(Text, Pos);
  size_t LineStart = Text.rfind('\n', Offset ? Offset - 1 : 0);
  LineStart = LineStart == llvm::StringRef::npos || Offset == 0 ? 0 : LineStart + 1;
  if (LineStart > Offset)
    LineStart = Offset;
  // Only the end of a long line matters, and std::regex recurses per
  // character: it must never see an unbounded line.
  if (Offset - LineStart > 512)
    LineStart = Offset - 512;
  std::string Prefix = Text.slice(LineStart, Offset).str();
  json Items = json::array();

  // `import std.`: the stdlib modules.
  static const std::regex ImportStd(R"(^\s*import\s+std\.(\w*)$)");
  if (std::regex_search(Prefix, ImportStd)) {
    std::error_code EC;
    std::vector<std::string> Mods;
    if (StdlibPath.empty())
      for (const EmbeddedFile &F : getEmbeddedStdlib())
        if (!F.Name.contains('/'))
          Mods.push_back(llvm::sys::path::stem(F.Name).str());
    for (llvm::sys::fs::directory_iterator It(StdlibPath, EC), End; It != End && !EC;
         It.increment(EC))
      if (llvm::sys::path::extension(It->path()) == ".deploy")
        Mods.push_back(llvm::sys::path::stem(It->path()).str());
    std::sort(Mods.begin(), Mods.end());
    for (const std::string &M : Mods)
      Items.push_back(item(M, CKModule, "std." + M));
    return {{"isIncomplete", false}, {"items", Items}};
  }

  // Find the innermost block around the cursor, with its schema.
  BlockAt At;
  const Module *Mod = nullptr;
  for (const Module *M : Prog->Modules)
    if (M->File == Root)
      Mod = M;
  auto inside = [&](const Block &B) {
    return B.getRange().Begin < Offset && Offset < B.getRange().End;
  };
  std::function<void(const Block &, const sema::BlockSchema *, bool)> descend =
      [&](const Block &B, const sema::BlockSchema *S, bool Top) {
        At.B = &B;
        At.S = S;
        At.TopLevel = Top;
        for (const Entry *E : B.Entries) {
          if (auto *BE = llvm::dyn_cast<BlockEntry>(E)) {
            if (inside(*BE->Body))
              return descend(*BE->Body, bodySchema(*Prog, E, S), false);
          } else if (auto *A = llvm::dyn_cast<AssignEntry>(E)) {
            const Expr *V = A->Value;
            if (auto *C = llvm::dyn_cast<ConstructorExpr>(V); C && inside(*C->Body)) {
              const sema::Type *T = Prog->getType(C);
              return descend(*C->Body,
                             T && T->is(sema::TypeKind::Variant)
                                 ? sema::getConstructorSchema(T->Variant, C->Name.Name)
                                 : nullptr,
                             false);
            }
            if (auto *C = llvm::dyn_cast<CallExpr>(V); C && C->Options && inside(*C->Options)) {
              const sema::BuiltinFunction *F = sema::lookupBuiltin(C->Callee.Name);
              return descend(*C->Options, F ? F->Options : nullptr, false);
            }
          } else if (auto *F = llvm::dyn_cast<FieldEntry>(E)) {
            if (F->Options && inside(*F->Options))
              return descend(*F->Options, bodySchema(*Prog, E, S), false);
          }
        }
      };
  if (Mod)
    for (const Decl *D : Mod->Decls)
      if (auto *B = llvm::dyn_cast<BlockDecl>(D); B && inside(*B->Body)) {
        At.Owner = B;
        descend(*B->Body, sema::getDeclSchema(B->Kind), true);
      }

  // Outside any block: declarations.
  if (!At.B) {
    for (const std::string &K : getAllDeclKeywords())
      Items.push_back(item(K, CKKeyword, "declaration"));
    Items.push_back(item("import", CKKeyword));
    Items.push_back(item("param", CKKeyword));
    return {{"isIncomplete", false}, {"items", Items}};
  }

  // After `key =`: values of the field's type.
  static const std::regex ValuePos(R"re((?:^|\s|\{)([A-Za-z_]\w*|"[^"]*")(?:\s+[A-Za-z_]\w*|\s+"[^"]*")?\s*(=|<|<=|>|>=)\s*[\w.]*$)re");
  std::smatch Match;
  if (std::regex_search(Prefix, Match, ValuePos)) {
    std::string Key = Match[1];
    if (!Key.empty() && Key.front() == '"')
      Key = Key.substr(1, Key.size() - 2);
    const sema::Type *T = nullptr;
    if (At.S) {
      if (const sema::FieldDef *F = At.S->findField(Key))
        T = F->Ty;
      else if (const sema::ConditionDef *C = At.S->findCondition(Key))
        T = C->Ty;
      else if (At.S->OpenValue)
        T = At.S->OpenValue;
    }
    while (T && (T->is(sema::TypeKind::List) || T->is(sema::TypeKind::Range)))
      T = T->Element;
    if (T) {
      if (T->is(sema::TypeKind::Enum))
        for (const std::string &M : T->Enum->Members)
          Items.push_back(item(M, CKEnumMember, T->Enum->Name));
      if (T->is(sema::TypeKind::Bool)) {
        Items.push_back(item("true", CKValue));
        Items.push_back(item("false", CKValue));
      }
      if (T->is(sema::TypeKind::Variant))
        for (const std::string &Tag : T->Variant->Tags) {
          const sema::BuiltinFunction *F = sema::lookupBuiltin(Tag);
          Items.push_back(item(Tag, F ? CKFunction : CKClass,
                               F ? sema::getBuiltinSignature(*F) : T->Variant->Name,
                               F ? F->Doc : ""));
        }
      static const std::map<sema::TypeKind, std::vector<const char *>> Units = {
          {sema::TypeKind::Duration, {"30s", "5m", "1h", "30d", "300ms"}},
          {sema::TypeKind::Cpu, {"250m", "500m", "1", "2"}},
          {sema::TypeKind::Memory, {"256Mi", "512Mi", "1Gi", "4Gi"}},
          {sema::TypeKind::Percent, {"25%", "50%", "80%", "100%"}},
          {sema::TypeKind::IntOrPercent, {"1", "25%"}}};
      if (auto It = Units.find(T->Kind); It != Units.end())
        for (const char *U : It->second)
          Items.push_back(item(U, CKUnit, T->describe()));
    }
    // Declarations and parameters that fit.
    const Module *Scope = At.Owner ? Prog->getModule(At.Owner) : Mod;
    for (const std::string &Name : Prog->getVisibleNames(Scope)) {
      const Decl *D = Prog->lookup(Scope, Name);
      if (auto *B = llvm::dyn_cast_or_null<BlockDecl>(D)) {
        if (T && T->is(sema::TypeKind::DeclRef) && !T->acceptsDecl(B->Kind))
          continue;
        if (T && !T->is(sema::TypeKind::DeclRef) && B->Kind != DeclKind::Secret &&
            !T->is(sema::TypeKind::SecretString) && !T->is(sema::TypeKind::String))
          continue;
        Items.push_back(item(Name, CKClass, getDeclKindDescription(B->Kind).str(), B->Doc));
      } else if (auto *Param = llvm::dyn_cast_or_null<ParamDecl>(D)) {
        Items.push_back(item(Name, CKVariable, declSignature(Param, *Prog), Param->Doc));
      }
    }
    if (!T || T->is(sema::TypeKind::String) || T->is(sema::TypeKind::SecretString))
      Items.push_back(item("env", CKVariable, "the environment being evaluated"));
    return {{"isIncomplete", false}, {"items", Items}};
  }

  // At the start of an entry: the fields of this block.
  if (At.S) {
    for (const sema::FieldDef &F : At.S->Fields)
      Items.push_back(item(F.Name.str(), CKField, F.valueType()->describe() +
                                                      (F.isRequired() ? " (required)" : ""),
                           F.Doc.str()));
    for (const sema::ConditionDef &C : At.S->Conditions)
      Items.push_back(
          item(C.Metric.str(), CKProperty, "metric: " + C.Ty->describe(), C.Doc.str()));
    if (At.TopLevel && At.S->AllowsOverlays)
      Items.push_back(item("on", CKKeyword, "overrides for a tier or environment"));
  }
  return {{"isIncomplete", false}, {"items", Items}};
}

//===----------------------------------------------------------------------===//
// Outline, semantic tokens, formatting, signature help
//===----------------------------------------------------------------------===//

json Analysis::documentSymbols() const {
  json Out = json::array();
  for (const Module *M : Prog->Modules) {
    if (M->File != Root)
      continue;
    for (const Decl *D : M->Decls) {
      const Ident *N = declName(D);
      json S{{"name", N->Name},
             {"range", range(D->getRange())},
             {"selectionRange", range(N->Range)}};
      if (auto *B = llvm::dyn_cast<BlockDecl>(D)) {
        S["kind"] = symbolKind(B->Kind);
        S["detail"] = B->KindName.Name;
        json Children = json::array();
        for (const Entry *E : B->Body->Entries) {
          std::string Name = E->Key.Name + (E->Label ? " " + E->Label->Name : "");
          Children.push_back({{"name", Name},
                              {"kind", llvm::isa<BlockEntry>(E) ? 23 : 8},
                              {"range", range(E->getRange())},
                              {"selectionRange", range(E->Key.Range)}});
        }
        S["children"] = Children;
      } else {
        S["kind"] = 13;
        S["detail"] = "param";
      }
      Out.push_back(S);
    }
  }
  return Out;
}

json Analysis::semanticTokens() const {
  llvm::StringRef Text = getText();
  // What the syntax tree knows about identifier positions.
  std::map<uint32_t, std::pair<int, int>> Known;
  const Module *Mod = nullptr;
  for (const Module *M : Prog->Modules)
    if (M->File == Root)
      Mod = M;
  if (Mod) {
    for (const Decl *D : Mod->Decls) {
      if (auto *B = llvm::dyn_cast<BlockDecl>(D)) {
        Known[B->KindName.Range.Begin] = {STKeyword, 0};
        Known[B->Name.Range.Begin] = {STClass, SMDeclaration};
        for (const Ident &I : B->TypeName)
          Known[I.Range.Begin] = {STType, 0};
      } else if (auto *P = llvm::dyn_cast<ParamDecl>(D)) {
        Known[P->Name.Range.Begin] = {STParameter, SMDeclaration};
      }
    }
    for (const auto &[E, F] : Prog->EntryFields)
      if (E->Key.Range.File == Root)
        Known[E->Key.Range.Begin] = {STProperty, 0};
    for (const auto &[E, R] : Prog->Resolutions) {
      if (E->getRange().File != Root)
        continue;
      int Type = STVariable, Mods = 0;
      switch (R.K) {
      case Resolution::Kind::Decl: {
        Type = STClass;
        const Module *M = Prog->getModule(R.Target);
        if (M && M->IsStdlib)
          Mods = SMDefaultLibrary;
        break;
      }
      case Resolution::Kind::Param: Type = STParameter; break;
      case Resolution::Kind::EnumMember: Type = STEnumMember; break;
      case Resolution::Kind::Port: Type = STProperty; break;
      default: break;
      }
      Known[E->getRange().Begin] = {Type, Mods};
    }
  }
  json Data = json::array();
  Position Prev;
  PositionMapper Positions(Text);
  auto push = [&](uint32_t Begin, uint32_t End, int Type, int Mods) {
    // Tokens may not span lines: split multi-line strings and comments.
    while (Begin < End) {
      uint32_t LineEnd = Text.find('\n', Begin);
      if (LineEnd == llvm::StringRef::npos || LineEnd > End)
        LineEnd = End;
      if (LineEnd > Begin) {
        Position P = Positions.positionAt(Begin);
        int Length = Positions.positionAt(LineEnd).Character - P.Character;
        int DeltaLine = P.Line - Prev.Line;
        int DeltaChar = DeltaLine ? P.Character : P.Character - Prev.Character;
        Data.insert(Data.end(), {DeltaLine, DeltaChar, Length, Type, Mods});
        Prev = P;
      }
      Begin = LineEnd + 1;
    }
  };
  for (const parse::LexedToken &T : parse::lexFile(SM, Root)) {
    int Type = -1, Mods = 0;
    switch (T.Class) {
    case parse::TokenClass::Keyword: Type = STKeyword; break;
    case parse::TokenClass::String: Type = STString; break;
    case parse::TokenClass::Number:
    case parse::TokenClass::Quantity: Type = STNumber; break;
    case parse::TokenClass::Comment: Type = STComment; break;
    case parse::TokenClass::DocComment: Type = STComment; Mods = SMDocumentation; break;
    case parse::TokenClass::Operator: Type = STOperator; break;
    case parse::TokenClass::Identifier: {
      auto It = Known.find(T.Range.Begin);
      if (It != Known.end()) {
        Type = It->second.first;
        Mods = It->second.second;
      }
      break;
    }
    default:
      break;
    }
    if (Type >= 0)
      push(T.Range.Begin, T.Range.End, Type, Mods);
  }
  return {{"data", Data}};
}

json Analysis::formatting() const {
  SourceManager FSM;
  DiagnosticEngine FDiags(FSM);
  FileID F = FSM.addBuffer("format", getText().str());
  std::optional<std::string> Formatted = parse::formatFile(FSM, F, FDiags);
  if (!Formatted || *Formatted == getText())
    return json::array();
  Position End = positionAt(getText(), getText().size());
  return json::array({{{"range", {{"start", {{"line", 0}, {"character", 0}}},
                                  {"end", {{"line", End.Line}, {"character", End.Character}}}}},
                       {"newText", *Formatted}}});
}

json Analysis::signatureHelp(Position Pos) const {
  llvm::StringRef Text = getText();
  size_t Offset = offsetAt(Text, Pos);
  // Scan forward to the cursor, keeping a stack of open brackets, strings
  // (`"` or `"""`) and interpolations (`$`): a backward scan cannot tell an
  // opening quote from a closing one.
  struct Frame {
    char Kind;
    size_t Pos;
    int Commas;
  };
  std::vector<Frame> Stack;
  auto top = [&] { return Stack.empty() ? '\0' : Stack.back().Kind; };
  for (size_t I = 0; I < Offset; ++I) {
    char C = Text[I];
    char Next = I + 1 < Text.size() ? Text[I + 1] : '\0';
    if (top() == '"' || top() == 'T') {
      bool Triple = top() == 'T';
      if (C == '\\') {
        ++I;
      } else if (C == '$' && Next == '{') {
        Stack.push_back({'$', I, 0});
        ++I;
      } else if (!Triple && (C == '"' || C == '\n')) {
        Stack.pop_back();
      } else if (Triple && Text.substr(I).startswith("\"\"\"")) {
        Stack.pop_back();
        I += 2;
      }
      continue;
    }
    if (C == '/' && Next == '/') {
      I = std::min(Text.find('\n', I), Offset);
    } else if (C == '/' && Next == '*') {
      size_t End = Text.find("*/", I + 2);
      I = End == llvm::StringRef::npos ? Offset : End + 1;
    } else if (C == '"') {
      bool Triple = Text.substr(I).startswith("\"\"\"");
      Stack.push_back({Triple ? 'T' : '"', I, 0});
      if (Triple)
        I += 2;
    } else if (C == '(' || C == '[' || C == '{') {
      Stack.push_back({C, I, 0});
    } else if (C == ')' || C == ']' || C == '}') {
      char Open = C == ')' ? '(' : C == ']' ? '[' : '{';
      // Pop to the matching bracket; `}` also closes an interpolation.
      while (!Stack.empty() && top() != Open && !(C == '}' && top() == '$'))
        Stack.pop_back();
      if (!Stack.empty())
        Stack.pop_back();
    } else if (C == ',' && top() == '(') {
      ++Stack.back().Commas;
    }
  }
  // The innermost bracket around the cursor (strings inside it do not count).
  for (auto It = Stack.rbegin(); It != Stack.rend(); ++It) {
    if (It->Kind == '"' || It->Kind == 'T')
      continue;
    if (It->Kind != '(')
      return nullptr;
    int Commas = It->Commas;
    size_t End = It->Pos;
    size_t Begin = End;
    while (Begin > 0 && (llvm::isAlnum(Text[Begin - 1]) || Text[Begin - 1] == '_'))
      --Begin;
    const sema::BuiltinFunction *F = sema::lookupBuiltin(Text.slice(Begin, End));
    if (!F)
      return nullptr;
    std::string Label = sema::getBuiltinSignature(*F);
    json Params = json::array();
    size_t Cursor = Label.find('(') + 1;
    for (const auto &[Name, Type] : F->Params) {
      size_t Start = Label.find(Name + ":", Cursor);
      size_t Stop = Label.find_first_of(",)", Start);
      Params.push_back({{"label", {Start, Stop}}});
      Cursor = Stop;
    }
    return {{"signatures", json::array({{{"label", Label},
                                          {"documentation", F->Doc},
                                          {"parameters", Params}}})},
            {"activeSignature", 0},
            {"activeParameter", std::min<int>(Commas, std::max<int>(0, F->Params.size() - 1))}};
  }
  return nullptr;
}
