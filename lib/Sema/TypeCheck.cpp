//===- TypeCheck.cpp - Name resolution and type checking ------------------===//
//
// Walks every declaration against its schema (Schema.cpp). Checking is
// bidirectional: the expected type of a field guides how its value is read, so
// `isolation = namespace` finds an enum member, `tier = validation` a tier,
// `http_get("/", http)` a port of the enclosing service, and `5m` is minutes for
// a duration but millicores for cpu. Results go to the Program's side tables;
// the evaluator trusts them.
//
// Errors never cascade: an expression that failed gets the Error type, which is
// assignable everywhere, and unknown fields are reported once with a suggestion.
//
//===----------------------------------------------------------------------===//

#include "deployc/Sema/Sema.h"
#include "llvm/ADT/STLExtras.h"

using namespace deployc;
using namespace deployc::sema;
using namespace deployc::ast;

namespace {

/// Names bound by the declaration being checked.
struct LocalScope {
  std::vector<std::string> Ports;
  std::vector<std::string> Components;
  bool InCompose = false;
  bool EnvAvailable = true;
};

bool isWorkload(DeclKind K) {
  return K == DeclKind::Service || K == DeclKind::Worker || K == DeclKind::Job;
}

/// The element type a single value is checked against when a list or range of
/// it is expected (`readers = orders`, `replicas = 5`).
const Type *elementHint(const Type *T) {
  while (T && (T->is(TypeKind::List) || T->is(TypeKind::Range)))
    T = T->Element;
  return T;
}

class TypeChecker {
public:
  explicit TypeChecker(Program &P) : P(P), Diags(P.Diags) {}

  void run() {
    P.ExprTypes.reserve(P.Ctx.getNumExprs());
    P.EntryFields.reserve(P.Ctx.getNumEntries());
    for (const ParamDecl *D : P.Params)
      declareParam(*D);
    // Secret types first: any body may use `secret.component`, wherever the
    // secret is declared.
    for (const BlockDecl *D : P.BlockDecls)
      if (D->Kind == DeclKind::Secret) {
        CurMod = P.getModule(D);
        checkSecretTypeName(*D);
      }
    for (const ParamDecl *D : P.Params)
      checkParam(*D);
    for (const BlockDecl *D : P.BlockDecls)
      checkDecl(*D);
  }

private:
  //===--------------------------------------------------------------------===//
  // Declarations
  //===--------------------------------------------------------------------===//

  void declareParam(const ParamDecl &D) {
    if (!D.Type)
      return;
    if (const Type *T = resolveTypeExpr(D.Type))
      P.ParamTypes[&D] = T;
    else
      P.ParamTypes[&D] = Type::get(TypeKind::Error);
  }

  void checkParam(const ParamDecl &D) {
    CurMod = P.getModule(&D);
    CurDecl = nullptr;
    Local = LocalScope();
    Local.EnvAvailable = false;
    FieldPath = "parameter `" + D.Name.Name + "`";
    auto It = P.ParamTypes.find(&D);
    if (!D.Default) {
      if (It == P.ParamTypes.end())
        P.ParamTypes[&D] = Type::get(TypeKind::String);
      return;
    }
    if (It != P.ParamTypes.end()) {
      check(*D.Default, It->second);
      return;
    }
    P.ParamTypes[&D] = synth(*D.Default);
  }

  const Type *resolveTypeExpr(const TypeExpr *T) {
    if (!T)
      return nullptr;
    if (auto *L = llvm::dyn_cast<ListType>(T)) {
      const Type *E = resolveTypeExpr(L->Element);
      return E ? Type::listOf(E) : nullptr;
    }
    auto *N = llvm::cast<NamedType>(T);
    if (const Type *Found = lookupNamedType(N->Name.Name))
      return Found;
    std::string Suggestion;
    std::string Hint = didYouMean(N->Name.Name, getNamedTypeNames(), &Suggestion);
    auto D = Diags.report(DiagID::UnknownType, N->Name.Range, {N->Name.Name, Hint});
    if (!Suggestion.empty())
      D.fixIt(N->Name.Range, Suggestion);
    return nullptr;
  }

  void checkDecl(const BlockDecl &D) {
    const BlockSchema *S = getDeclSchema(D.Kind);
    if (!S)
      return;
    CurMod = P.getModule(&D);
    CurDecl = &D;
    Local = LocalScope();
    Local.EnvAvailable = isWorkload(D.Kind) || D.Kind == DeclKind::Secret ||
                         D.Kind == DeclKind::Build || D.Kind == DeclKind::DevContainer;
    if (isWorkload(D.Kind))
      collectPorts(*D.Body);

    if (D.Kind != DeclKind::Secret && !D.TypeName.empty()) {
      SourceRange R = D.TypeName.front().Range.join(D.TypeName.back().Range);
      Diags.report(DiagID::UnexpectedDeclType, R,
                   {"`" + D.KindName.Name + "`", joinName(D.TypeName)});
    }
    if (D.Kind == DeclKind::SecretType)
      for (const FieldEntry *C : getSecretComponents(D))
        Local.Components.push_back(C->Label->Name);

    FieldPath.clear();
    checkBlock(*D.Body, *S, S->AllowsOverlays, /*InOverlay=*/false);
  }

  static std::string joinName(const std::vector<Ident> &Parts) {
    std::string S;
    for (const Ident &I : Parts)
      S += (S.empty() ? "" : ".") + I.Name;
    return S;
  }

  void collectPorts(const Block &B) {
    for (const Entry *E : B.Entries) {
      if (E->Key.Name == "port" && E->Label)
        Local.Ports.push_back(E->Label->Name);
      if (E->Key.Name == "on")
        if (auto *BE = llvm::dyn_cast<BlockEntry>(E))
          collectPorts(*BE->Body);
    }
  }

  void checkSecretTypeName(const BlockDecl &D) {
    if (D.TypeName.empty()) {
      Diags.report(DiagID::MissingSecretType, D.Name.Range, {D.Name.Name});
      return;
    }
    const Ident &Last = D.TypeName.back();
    SourceRange R = D.TypeName.front().Range.join(Last.Range);
    const Decl *Found = P.lookup(CurMod, Last.Name);
    auto *T = llvm::dyn_cast_or_null<BlockDecl>(Found);
    if (T && T->Kind == DeclKind::SecretType) {
      P.SecretTypes[&D] = T;
      ++P.UseCounts[T];
      return;
    }
    if (T) {
      Diags.report(DiagID::NotADeclarationOf, R,
                   {Last.Name, "a " + getDeclKindDescription(T->Kind).str(),
                    "a secret type"})
          .note(DiagID::NoteDeclaredHere, T->Name.Range, {Last.Name});
      return;
    }
    std::vector<std::string> Candidates;
    for (const std::string &N : P.getVisibleNames(CurMod))
      if (auto *C = llvm::dyn_cast_or_null<BlockDecl>(P.lookup(CurMod, N)))
        if (C->Kind == DeclKind::SecretType)
          Candidates.push_back(N);
    std::string Suggestion;
    std::string Hint = didYouMean(Last.Name, Candidates, &Suggestion);
    if (Hint.empty())
      Hint = "; secret types come from `import std.secrets.*` or a `secret_type` "
             "declaration";
    auto Diag = Diags.report(DiagID::UnknownType, R, {joinName(D.TypeName), Hint});
    if (!Suggestion.empty())
      Diag.fixIt(Last.Range, Suggestion);
  }

  //===--------------------------------------------------------------------===//
  // Blocks and entries
  //===--------------------------------------------------------------------===//

  void checkBlock(const Block &B, const BlockSchema &S, bool AllowOverlay,
                  bool InOverlay) {
    std::map<std::string, const Entry *> Seen;
    for (const Entry *E : B.Entries)
      checkEntry(*E, S, AllowOverlay, InOverlay, Seen);
  }

  std::string pathWith(llvm::StringRef Key) const {
    return FieldPath.empty() ? Key.str() : FieldPath + "." + Key.str();
  }

  bool noteDuplicate(const Entry &E, const std::string &Key,
                     std::map<std::string, const Entry *> &Seen, bool Labelled) {
    auto [It, Inserted] = Seen.emplace(Key, &E);
    if (Inserted)
      return false;
    if (Labelled)
      Diags.report(DiagID::DuplicateLabel, E.Label->Range,
                   {"`" + E.Key.Name + "`", E.Label->Name})
          .note(DiagID::NotePreviousDefinition, It->second->getRange());
    else
      Diags.report(DiagID::DuplicateField, E.Key.Range, {E.Key.Name})
          .note(DiagID::NotePreviousSet, It->second->Key.Range);
    return true;
  }

  void checkEntry(const Entry &E, const BlockSchema &S, bool AllowOverlay,
                  bool InOverlay, std::map<std::string, const Entry *> &Seen) {
    const std::string &Key = E.Key.Name;
    if (Key == "on" && !E.Key.IsString && !llvm::isa<ConditionEntry>(E) &&
        !S.findField("on")) {
      checkOverlay(E, S, AllowOverlay, InOverlay);
      return;
    }

    if (auto *C = llvm::dyn_cast<ConditionEntry>(&E)) {
      const ConditionDef *Def = S.findCondition(Key);
      if (!Def) {
        if (S.findField(Key)) {
          Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                       {Key, "is a field, not a metric; write `" + Key + " = ...`"});
          return;
        }
        std::vector<std::string> Names = S.getConditionNames();
        std::string Suggestion;
        std::string Hint = didYouMean(Key, Names, &Suggestion);
        if (Hint.empty() && !Names.empty())
          Hint = "; it can compare " + joinAlternatives(Names);
        auto Diag = Diags.report(DiagID::UnknownCondition, E.Key.Range,
                                 {Key, "`" + S.Name + "`", Hint});
        if (!Suggestion.empty())
          Diag.fixIt(E.Key.Range, Suggestion);
        return;
      }
      noteDuplicate(E, "?" + Key, Seen, false);
      std::string Saved = FieldPath;
      FieldPath = pathWith(Key);
      check(*C->Value, Def->Ty);
      FieldPath = Saved;
      return;
    }

    const FieldDef *F = S.findField(Key);
    if (!F && S.findCondition(Key) && llvm::isa<AssignEntry>(E)) {
      // `cpu = 80%`: a threshold needs its comparison.
      auto *A = llvm::cast<AssignEntry>(&E);
      std::string Value = P.SM.getText(A->Value->getRange()).str();
      Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                   {Key, "is a metric, not a field; compare it: write `" + Key + " > " +
                             Value + "` (or `<`, `>=`, `<=`)"});
      return;
    }
    if (!F) {
      if (S.OpenValue) {
        if (auto *A = llvm::dyn_cast<AssignEntry>(&E)) {
          if (A->Label) {
            Diags.report(DiagID::UnexpectedLabel, A->Label->Range,
                         {Key, A->Label->Name});
            return;
          }
          noteDuplicate(E, Key, Seen, false);
          std::string Saved = FieldPath;
          FieldPath = pathWith(Key);
          const Type *T = check(*A->Value, S.OpenValue);
          // `Any` accepts everything but a secret: patches are emitted as text.
          if (S.OpenValue->is(TypeKind::Any) && containsSecret(T))
            reportMismatch(*A->Value, T, Type::get(TypeKind::String));
          FieldPath = Saved;
          return;
        }
        auto *BE = llvm::dyn_cast<BlockEntry>(&E);
        if (BE && S.OpenBlocks && !BE->Label) {
          noteDuplicate(E, Key, Seen, false);
          std::string Saved = FieldPath;
          FieldPath = pathWith(Key);
          checkBlock(*BE->Body, S, false, InOverlay);
          FieldPath = Saved;
          return;
        }
        Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                     {Key, "is a value in `" + S.Name + "`; write `" + Key + " = ...`"});
        return;
      }
      std::vector<std::string> Names = S.getFieldNames();
      for (const std::string &C : S.getConditionNames())
        Names.push_back(C);
      std::string Suggestion;
      std::string Hint = didYouMean(Key, Names, &Suggestion);
      std::string Where = "`" + S.Name + "`";
      if (CurDecl && FieldPath.empty())
        Where = getDeclKindDescription(CurDecl->Kind).str() + " `" + CurDecl->Name.Name + "`";
      auto Diag = Diags.report(DiagID::UnknownField, E.Key.Range, {Key, Where, Hint});
      if (!Suggestion.empty())
        Diag.fixIt(E.Key.Range, Suggestion);
      return;
    }
    if (F->isLabelled() && !E.Label) {
      Diags.report(DiagID::MissingLabel, E.Key.Range, {Key});
      return;
    }
    if (!F->isLabelled() && E.Label) {
      Diags.report(DiagID::UnexpectedLabel, E.Label->Range, {Key, E.Label->Name});
      return;
    }
    if (F->Name == "event" && !getEventKindEnum().contains(E.Label->Name)) {
      std::string Suggestion;
      std::string Hint = didYouMean(E.Label->Name, getEventKindEnum().Members, &Suggestion);
      if (Hint.empty())
        Hint = "; expected one of " + joinAlternatives(getEventKindEnum().Members);
      auto D = Diags.report(DiagID::UnknownEnumMember, E.Label->Range,
                            {E.Label->Name, getEventKindEnum().Name, Hint});
      if (!Suggestion.empty())
        D.fixIt(E.Label->Range, Suggestion);
      return;
    }
    if (F->Name == "patch" && !getPatchKindEnum().contains(E.Label->Name)) {
      std::string Suggestion;
      std::string Hint = didYouMean(E.Label->Name, getPatchKindEnum().Members, &Suggestion);
      auto D = Diags.report(DiagID::UnknownEnumMember, E.Label->Range,
                            {E.Label->Name, getPatchKindEnum().Name, Hint});
      if (!Suggestion.empty())
        D.fixIt(E.Label->Range, "\"" + Suggestion + "\"");
      return;
    }
    // Only now: an entry whose label was rejected is left out of evaluation,
    // else its unchecked body would report "missing field" for what it holds.
    P.EntryFields[&E] = F;
    std::string DupKey = F->isLabelled() ? Key + "\x1f" + E.Label->Name : Key;
    if (!F->isRepeated() || F->isLabelled())
      if (noteDuplicate(E, DupKey, Seen, F->isLabelled())) {
        P.EntryFields.erase(&E); // The first one counts; this one is not checked.
        return;
      }

    std::string Saved = FieldPath;
    FieldPath = pathWith(F->isLabelled() ? Key + " " + E.Label->Name : Key);
    switch (E.getKind()) {
    case NK::AssignEntry: {
      auto &A = llvm::cast<AssignEntry>(E);
      if (F->isTyped()) {
        Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                     {Key, "needs a type: write `" + Key + " NAME: TYPE`"});
        break;
      }
      if (!F->Ty) {
        Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                     {Key, "is a block; write `" + Key + " { ... }`"});
        break;
      }
      bool Compose = CurDecl && CurDecl->Kind == DeclKind::SecretType && Key == "compose";
      Local.InCompose = Compose;
      const Type *T = check(*A.Value, Compose ? Type::get(TypeKind::SecretString) : F->Ty);
      Local.InCompose = false;
      // `Any` (free-form Kubernetes fields) accepts everything but a secret.
      if (F->Ty->is(TypeKind::Any) && containsSecret(T))
        reportMismatch(*A.Value, T, Type::get(TypeKind::String));
      break;
    }
    case NK::BlockEntry: {
      auto &B = llvm::cast<BlockEntry>(E);
      if (F->isTyped()) {
        Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                     {Key, "needs a type: write `" + Key + " NAME: TYPE { ... }`"});
        break;
      }
      if (!F->Block) {
        Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                     {Key, "takes a value; write `" + Key + " = ...`"});
        break;
      }
      checkBlock(*B.Body, *getBodySchema(*F, E.Label ? E.Label->Name : ""), false, InOverlay);
      break;
    }
    case NK::FieldEntry: {
      auto &FE = llvm::cast<FieldEntry>(E);
      if (!F->isTyped()) {
        Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                     {Key, "takes no type; write `" + Key + " = ...`"});
        break;
      }
      const Type *T = resolveTypeExpr(FE.Type);
      if (FE.Default)
        check(*FE.Default, T ? T : Type::get(TypeKind::Error));
      if (FE.Options && F->Block)
        checkBlock(*FE.Options, *F->Block, false, InOverlay);
      break;
    }
    default:
      break;
    }
    FieldPath = Saved;
  }


  void checkOverlay(const Entry &E, const BlockSchema &S, bool AllowOverlay,
                    bool InOverlay) {
    if (InOverlay) {
      Diags.report(DiagID::NestedOverlay, E.Key.Range);
      return;
    }
    if (!AllowOverlay) {
      Diags.report(DiagID::OverlayNotAllowed, E.Key.Range,
                   {"`" + S.Name + "` blocks"});
      return;
    }
    auto *B = llvm::dyn_cast<BlockEntry>(&E);
    if (!B) {
      Diags.report(DiagID::WrongEntryForm, E.Key.Range,
                   {"on", "overrides a tier or environment: write `on NAME { ... }`"});
      return;
    }
    if (!B->Label) {
      Diags.report(DiagID::MissingLabel, E.Key.Range, {"on"});
      return;
    }
    const Ident &Target = *B->Label;
    auto *D = llvm::dyn_cast_or_null<BlockDecl>(P.lookup(CurMod, Target.Name));
    if (!D || (D->Kind != DeclKind::Tier && D->Kind != DeclKind::Environment)) {
      std::vector<std::string> Candidates;
      for (const std::string &N : P.getVisibleNames(CurMod))
        if (auto *C = llvm::dyn_cast_or_null<BlockDecl>(P.lookup(CurMod, N)))
          if (C->Kind == DeclKind::Tier || C->Kind == DeclKind::Environment)
            Candidates.push_back(N);
      std::string Suggestion;
      std::string Hint = didYouMean(Target.Name, Candidates, &Suggestion);
      auto Diag = Diags.report(DiagID::UnknownOverlayTarget, Target.Range,
                               {Target.Name, Hint});
      if (!Suggestion.empty())
        Diag.fixIt(Target.Range, Suggestion);
    } else {
      ++P.UseCounts[D];
      P.Overlays[CurDecl].push_back({B, D});
    }
    std::string Saved = FieldPath;
    checkBlock(*B->Body, S, false, /*InOverlay=*/true);
    FieldPath = Saved;
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  const Type *record(const Expr &E, const Type *T) {
    P.ExprTypes[&E] = T;
    return T;
  }

  /// Checks E against Expected (null: no expectation) and returns its type.
  const Type *check(const Expr &E, const Type *Expected) {
    const Type *Actual = checkImpl(E, Expected);
    record(E, Actual);
    if (Expected && !isAssignable(Actual, Expected)) {
      reportMismatch(E, Actual, Expected);
      return record(E, Type::get(TypeKind::Error));
    }
    return Actual;
  }

  const Type *synth(const Expr &E) { return check(E, nullptr); }

  /// The first secret-typed sub-expression, to show where a secret came from.
  const Expr *findSecretSource(const Expr &E) {
    const Type *T = P.getType(&E);
    if (llvm::isa<MemberExpr>(E))
      return T && T->is(TypeKind::Secret) ? &E : nullptr;
    if (auto *S = llvm::dyn_cast<StringLiteral>(&E)) {
      for (const StringLiteral::Part &Part : S->Parts)
        if (Part.Interp)
          if (const Expr *Found = findSecretSource(*Part.Interp))
            return Found;
      return nullptr;
    }
    if (auto *L = llvm::dyn_cast<ListExpr>(&E)) {
      for (const Expr *El : L->Elements)
        if (const Expr *Found = findSecretSource(*El))
          return Found;
      return nullptr;
    }
    if (auto *I = llvm::dyn_cast<IfExpr>(&E)) {
      if (const Expr *Found = findSecretSource(*I->Then))
        return Found;
      return findSecretSource(*I->Else);
    }
    if (auto *B = llvm::dyn_cast<BinaryExpr>(&E)) {
      if (const Expr *Found = findSecretSource(*B->LHS))
        return Found;
      return findSecretSource(*B->RHS);
    }
    return T && T->is(TypeKind::Secret) ? &E : nullptr;
  }

  void reportMismatch(const Expr &E, const Type *Actual, const Type *Expected) {
    if (containsSecret(Actual)) {
      // A parameter's path already names it in backticks.
      std::string Where = llvm::StringRef(FieldPath).startswith("parameter ")
                              ? FieldPath
                              : "`" + FieldPath + "`";
      auto D = Diags.report(DiagID::SecretFlow, E.getRange(), {Where});
      if (const Expr *Src = findSecretSource(E))
        if (Src != &E)
          D.note(DiagID::NoteFlowsFrom, Src->getRange());
      return;
    }
    const Type *Hint = elementHint(Expected);
    auto Diag = Diags.report(DiagID::TypeMismatch, E.getRange(),
                             {Expected->describe(), describeFound(E, Actual)});
    // `isolation = "namespace"`: the member without quotes.
    if (Hint && Hint->is(TypeKind::Enum))
      if (auto *S = llvm::dyn_cast<StringLiteral>(&E))
        if (S->isPlain() && Hint->Enum->contains(S->getPlainText()))
          Diag.fixIt(E.getRange(), S->getPlainText());
  }

  std::string describeFound(const Expr &E, const Type *Actual) {
    if (auto *I = llvm::dyn_cast<IntLiteral>(&E))
      return "the integer `" + std::to_string(I->Value) + "`";
    if (auto *Q = llvm::dyn_cast<QuantityLiteral>(&E))
      return Actual->describe().substr(0, Actual->describe().find(" such as")) + " `" +
             Q->getSpelling() + "`";
    if (auto *S = llvm::dyn_cast<StringLiteral>(&E))
      if (S->isPlain() && S->getPlainText().size() <= 40)
        return "the string \"" + S->getPlainText() + "\"";
    return Actual->describe();
  }

  const Type *checkImpl(const Expr &E, const Type *Expected) {
    const Type *Hint = elementHint(Expected);
    switch (E.getKind()) {
    case NK::IntLiteral:
      return Type::get(TypeKind::Int);
    case NK::FloatLiteral:
      return Type::get(TypeKind::Float);
    case NK::BoolLiteral:
      return Type::get(TypeKind::Bool);
    case NK::QuantityLiteral:
      return checkQuantity(llvm::cast<QuantityLiteral>(E), Hint);
    case NK::StringLiteral:
      return checkString(llvm::cast<StringLiteral>(E));
    case NK::ListExpr: {
      auto &L = llvm::cast<ListExpr>(E);
      if (Expected && Expected->is(TypeKind::List)) {
        for (const Expr *El : L.Elements)
          check(*El, Expected->Element);
        return Expected;
      }
      const Type *ElT = nullptr;
      for (const Expr *El : L.Elements) {
        const Type *T = synth(*El);
        if (!ElT)
          ElT = T;
      }
      return Type::listOf(ElT ? ElT : Type::get(TypeKind::Any));
    }
    case NK::RangeExpr: {
      auto &R = llvm::cast<RangeExpr>(E);
      if (Expected && Expected->is(TypeKind::Range)) {
        check(*R.Low, Expected->Element);
        check(*R.High, Expected->Element);
        return Expected;
      }
      const Type *Lo = synth(*R.Low);
      // `1..2..3`: bounds are scalars (and nested ranges would make values
      // whose walk doubles at every level).
      if (Lo->is(TypeKind::Range)) {
        Diags.report(DiagID::TypeMismatch, R.Low->getRange(), {"a number", "a range"});
        return Type::get(TypeKind::Error);
      }
      check(*R.High, Lo);
      return Type::rangeOf(Lo);
    }
    case NK::NameExpr:
      return resolveName(llvm::cast<NameExpr>(E), Hint);
    case NK::MemberExpr:
      return checkMember(llvm::cast<MemberExpr>(E));
    case NK::CallExpr:
      return checkCall(llvm::cast<CallExpr>(E));
    case NK::ConstructorExpr:
      return checkConstructor(llvm::cast<ConstructorExpr>(E), Hint);
    case NK::BlockExpr: {
      auto &B = llvm::cast<BlockExpr>(E);
      if (Hint && Hint->is(TypeKind::Object)) {
        checkBlock(*B.Body, *Hint->Schema, false, false);
        return Hint;
      }
      // `[{ key = "pool"  operator = "Exists" }]` in a free-form part of a
      // Kubernetes patch.
      if (Hint && Hint->is(TypeKind::Any)) {
        const BlockSchema &Open = getFreeFormPatchSchema();
        checkBlock(*B.Body, Open, false, false);
        return Type::objectOf(&Open);
      }
      if (Hint && Hint->is(TypeKind::Map)) {
        BlockSchema Open;
        Open.Name = "block";
        Open.OpenValue = Hint->Element;
        checkBlock(*B.Body, Open, false, false);
        return Hint;
      }
      Diags.report(DiagID::TypeMismatch, E.getRange(),
                   {Expected ? Expected->describe() : "a value", "a block"});
      return Type::get(TypeKind::Error);
    }
    case NK::UnaryExpr: {
      auto &U = llvm::cast<UnaryExpr>(E);
      if (U.Op == UnaryOp::Not) {
        check(*U.Operand, Type::get(TypeKind::Bool));
        return Type::get(TypeKind::Bool);
      }
      // The unit of `-250m` is read as that of `250m` would be: millicores
      // for a cpu field, not minutes.
      const Type *T = quantityKindOf(Hint) ? check(*U.Operand, Hint) : synth(*U.Operand);
      if (!T->isError() && !T->isNumeric()) {
        Diags.report(DiagID::InvalidOperands, E.getRange(),
                     {"-", T->describe(), "nothing"});
        return Type::get(TypeKind::Error);
      }
      return T;
    }
    case NK::BinaryExpr:
      return checkBinary(llvm::cast<BinaryExpr>(E), Hint);
    case NK::IfExpr: {
      auto &I = llvm::cast<IfExpr>(E);
      check(*I.Cond, Type::get(TypeKind::Bool));
      const Type *T1 = check(*I.Then, Expected);
      const Type *T2 = check(*I.Else, Expected ? Expected : T1);
      if (containsSecret(T2) && !containsSecret(T1))
        return T2;
      return T1->isError() ? T2 : T1;
    }
    case NK::ErrorExpr:
      return Type::get(TypeKind::Error);
    default:
      return Type::get(TypeKind::Error);
    }
  }

  const Type *checkString(const StringLiteral &S) {
    bool Secret = false;
    for (const StringLiteral::Part &Part : S.Parts) {
      if (!Part.Interp)
        continue;
      const Type *T = synth(*Part.Interp);
      // `"${db}"`: a secret itself is not text; one of its components is.
      if (T->is(TypeKind::DeclRef) && T->acceptsDecl(DeclKind::Secret)) {
        if (auto *N = llvm::dyn_cast<NameExpr>(Part.Interp))
          if (auto *B = llvm::dyn_cast_or_null<BlockDecl>(P.Resolutions.lookup(N).Target))
            Diags.report(DiagID::SecretNeedsComponent, N->getRange(),
                         {B->Name.Name, componentList(B)});
        continue;
      }
      if (containsSecret(T)) {
        Secret = true;
        continue;
      }
      if (T->is(TypeKind::List) || T->is(TypeKind::Object) || T->is(TypeKind::Map) ||
          T->is(TypeKind::Variant) || T->is(TypeKind::Environment)) {
        Diags.report(DiagID::TypeMismatch, Part.Interp->getRange(),
                     {"a string, number or reference in `${...}`", T->describe()});
      }
    }
    return Type::get(Secret ? TypeKind::Secret : TypeKind::String);
  }

  static std::optional<QuantityKind> quantityKindOf(const Type *T) {
    if (!T)
      return std::nullopt;
    switch (T->Kind) {
    case TypeKind::Duration: return QuantityKind::Duration;
    case TypeKind::Cpu: return QuantityKind::Cpu;
    case TypeKind::Memory: return QuantityKind::Memory;
    case TypeKind::Percent:
    case TypeKind::IntOrPercent: return QuantityKind::Percent;
    default: return std::nullopt;
    }
  }

  static const Type *typeOfQuantity(QuantityKind K) {
    switch (K) {
    case QuantityKind::Duration: return Type::get(TypeKind::Duration);
    case QuantityKind::Cpu: return Type::get(TypeKind::Cpu);
    case QuantityKind::Memory: return Type::get(TypeKind::Memory);
    case QuantityKind::Percent: return Type::get(TypeKind::Percent);
    }
    return Type::get(TypeKind::Error);
  }

  /// Units to mention in messages; memory's decimal units exist but are rare.
  static std::string commonUnits(QuantityKind K) {
    if (K == QuantityKind::Memory)
      return "`Ki`, `Mi`, `Gi` or `Ti`";
    return getUnitList(K);
  }

  /// The unit the user most likely meant: `m`/`mb` for memory is `Mi`, `Mi`
  /// for a duration is `m`.
  static std::string suggestUnit(llvm::StringRef Unit, QuantityKind Target) {
    std::vector<std::string> Valid = getUnits(Target);
    if (Unit.empty())
      return "";
    std::string Upper = std::string(1, char(std::toupper(Unit[0]))) + "i";
    std::string Lower(1, char(std::tolower(Unit[0])));
    for (const std::string &Candidate : {Upper, Lower})
      if (llvm::is_contained(Valid, Candidate) && Candidate != Unit)
        return Candidate;
    std::string Suggestion;
    didYouMean(Unit, Valid, &Suggestion);
    return Suggestion;
  }

  /// A literal too large for 64 bits in its normalised unit is far outside
  /// its kind's range, which the message gives.
  const Type *reportQuantityTooLarge(const QuantityLiteral &Q, QuantityKind K) {
    Diags.report(DiagID::QuantityTooLarge, Q.getRange(),
                 {Q.getSpelling(), "a " + getQuantityKindName(K).str(), describeQuantityRange(K)});
    return Type::get(TypeKind::Error);
  }

  const Type *checkQuantity(const QuantityLiteral &Q, const Type *Hint) {
    std::optional<QuantityKind> Target = quantityKindOf(Hint);
    std::vector<QuantityKind> Kinds = getUnitKinds(Q.Unit);
    if (!Target) {
      if (Kinds.empty()) {
        Diags.report(DiagID::UnknownUnit, Q.getRange(),
                     {Q.Unit, Q.getSpelling(),
                      "units are durations (ms, s, m, h, d), cpu (m), memory (Ki, Mi, "
                      "Gi, Ti) and `%`"});
        return Type::get(TypeKind::Error);
      }
      if (!parseQuantity(Q.Number, Q.Unit, Kinds.front()))
        return reportQuantityTooLarge(Q, Kinds.front());
      return typeOfQuantity(Kinds.front());
    }
    bool Overflow = false;
    if (parseQuantity(Q.Number, Q.Unit, *Target, &Overflow))
      return Hint->is(TypeKind::IntOrPercent) ? Type::get(TypeKind::Percent)
                                              : typeOfQuantity(*Target);
    if (Overflow)
      return reportQuantityTooLarge(Q, *Target);
    std::string Suggestion = suggestUnit(Q.Unit, *Target);
    std::string Hint2 = Suggestion.empty() ? "" : "; did you mean `" + Suggestion + "`?";
    std::string Uses = getQuantityKindName(*Target).str();
    Uses[0] = std::toupper(Uses[0]);
    if (Kinds.empty()) {
      auto D = Diags.report(DiagID::UnknownUnit, Q.getRange(),
                            {Q.Unit, Q.getSpelling(),
                             getQuantityKindName(*Target).str() + " units are " +
                                 commonUnits(*Target) + Hint2});
      if (!Suggestion.empty())
        D.fixIt(Q.getRange(), Q.Number + Suggestion);
      return Type::get(TypeKind::Error);
    }
    std::string Meaning;
    if (Q.Unit == "m")
      Meaning = "`m` means minutes or millicores";
    else
      Meaning = "`" + Q.Unit + "` is a " + getQuantityKindName(Kinds.front()).str() + " unit";
    std::string Article = *Target == QuantityKind::Duration ? "a " : "a ";
    auto D = Diags.report(
        DiagID::WrongUnit, Q.getRange(),
        {Q.getSpelling(), Article + getQuantityKindName(*Target).str(),
         Meaning + "; a " + getQuantityKindName(*Target).str() + " uses " +
             commonUnits(*Target) +
             (Suggestion.empty() ? "" : " (did you mean `" + Q.Number + Suggestion + "`?)")});
    if (!Suggestion.empty())
      D.fixIt(Q.getRange(), Q.Number + Suggestion);
    return Type::get(TypeKind::Error);
  }

  const Type *resolveName(const NameExpr &N, const Type *Hint) {
    const std::string &Name = N.Name.Name;
    auto resolved = [&](Resolution R, const Type *T) {
      P.Resolutions[&N] = std::move(R);
      return T;
    };
    if (Hint && Hint->is(TypeKind::Port) && llvm::is_contained(Local.Ports, Name))
      return resolved({Resolution::Kind::Port, nullptr, Name}, Type::get(TypeKind::Port));
    if (Hint && Hint->is(TypeKind::Enum) && Hint->Enum->contains(Name))
      return resolved({Resolution::Kind::EnumMember, nullptr, Name}, Hint);
    if (Local.InCompose && llvm::is_contained(Local.Components, Name))
      return resolved({Resolution::Kind::Component, nullptr, Name},
                      Type::get(TypeKind::Secret));

    const Decl *D = P.lookup(CurMod, Name);
    if (!D && Name == "env") {
      if (!Local.EnvAvailable) {
        Diags.report(DiagID::UnknownName, N.getRange(),
                     {Name, "; `env` (the environment being evaluated) is not "
                            "available in this declaration"});
        return Type::get(TypeKind::Error);
      }
      return resolved({Resolution::Kind::Environment, nullptr, Name},
                      Type::get(TypeKind::Environment));
    }
    if (auto *Param = llvm::dyn_cast_or_null<ParamDecl>(D)) {
      ++P.UseCounts[Param];
      auto It = P.ParamTypes.find(Param);
      return resolved({Resolution::Kind::Param, Param, Name},
                      It != P.ParamTypes.end() ? It->second : Type::get(TypeKind::Any));
    }
    if (auto *B = llvm::dyn_cast_or_null<BlockDecl>(D)) {
      ++P.UseCounts[B];
      if (Hint && Hint->is(TypeKind::DeclRef) && !Hint->acceptsDecl(B->Kind)) {
        Diags.report(DiagID::NotADeclarationOf, N.getRange(),
                     {Name, "a " + getDeclKindDescription(B->Kind).str(),
                      Hint->describe()})
            .note(DiagID::NoteDeclaredHere, B->Name.Range, {Name});
        return Type::get(TypeKind::Error);
      }
      if (B->Kind == DeclKind::Secret && Hint && !Hint->is(TypeKind::DeclRef)) {
        Diags.report(DiagID::SecretNeedsComponent, N.getRange(),
                     {Name, componentList(B)});
        return Type::get(TypeKind::Error);
      }
      P.Resolutions[&N] = {Resolution::Kind::Decl, B, Name};
      return Type::declRef({B->Kind});
    }

    // Not found: suggest from what would have fit here.
    if (Hint && Hint->is(TypeKind::Enum)) {
      std::string Suggestion;
      std::string Hint2 = didYouMean(Name, Hint->Enum->Members, &Suggestion);
      if (Hint2.empty())
        Hint2 = "; expected one of " + joinAlternatives(Hint->Enum->Members);
      auto Diag = Diags.report(DiagID::UnknownEnumMember, N.getRange(),
                               {Name, Hint->Enum->Name, Hint2});
      if (!Suggestion.empty())
        Diag.fixIt(N.getRange(), Suggestion);
      return Type::get(TypeKind::Error);
    }
    std::vector<std::string> Candidates;
    if (Hint && Hint->is(TypeKind::Port))
      Candidates = Local.Ports;
    if (Local.InCompose)
      for (const std::string &C : Local.Components)
        Candidates.push_back(C);
    for (const std::string &V : P.getVisibleNames(CurMod)) {
      const Decl *C = P.lookup(CurMod, V);
      auto *CB = llvm::dyn_cast_or_null<BlockDecl>(C);
      if (Hint && Hint->is(TypeKind::DeclRef) && (!CB || !Hint->acceptsDecl(CB->Kind)))
        continue;
      Candidates.push_back(V);
    }
    std::string Suggestion;
    std::string Hint2 = didYouMean(Name, Candidates, &Suggestion);
    if (Hint2.empty() && Hint && Hint->is(TypeKind::Port) && !Local.Ports.empty())
      Hint2 = "; ports declared here: " + joinAlternatives(Local.Ports);
    // Only when std.tiers is not imported already.
    if (Hint2.empty() && Hint && Hint->is(TypeKind::DeclRef) &&
        Hint->acceptsDecl(DeclKind::Tier) && !P.lookup(CurMod, "operational"))
      Hint2 = "; the standard tiers come from `import std.tiers.*`";
    if (Hint2.empty() && Hint && Hint->is(TypeKind::DeclRef) &&
        Hint->acceptsDecl(DeclKind::ResourceTier) && !P.lookup(CurMod, "moderate"))
      Hint2 = "; the standard resource tiers come from `import std.tiers.*`";
    auto Diag = Diags.report(DiagID::UnknownName, N.getRange(), {Name, Hint2});
    if (!Suggestion.empty())
      Diag.fixIt(N.getRange(), Suggestion);
    return Type::get(TypeKind::Error);
  }

  std::string componentList(const BlockDecl *Secret) {
    auto It = P.SecretTypes.find(Secret);
    if (It == P.SecretTypes.end())
      return "(its type is unknown)";
    std::vector<std::string> Names;
    for (const FieldEntry *C : getSecretComponents(*It->second))
      Names.push_back(C->Label->Name);
    for (const AssignEntry *C : getSecretComposes(*It->second))
      Names.push_back(C->Label->Name);
    std::string S;
    for (size_t I = 0; I < Names.size(); ++I)
      S += (I ? ", " : "") + ("`" + Secret->Name.Name + "." + Names[I] + "`");
    return S;
  }

  const Type *memberNotFound(const MemberExpr &M, const std::string &What,
                             const std::vector<std::string> &Members) {
    std::string Suggestion;
    std::string Hint = didYouMean(M.Member.Name, Members, &Suggestion);
    if (Hint.empty() && !Members.empty() && Members.size() <= 8)
      Hint = "; it has " + joinAlternatives(Members);
    auto D = Diags.report(DiagID::UnknownMember, M.Member.Range, {What, M.Member.Name, Hint});
    if (!Suggestion.empty())
      D.fixIt(M.Member.Range, Suggestion);
    return Type::get(TypeKind::Error);
  }

  const Type *schemaMember(const MemberExpr &M, const BlockSchema &S,
                           const std::string &What, bool HasName) {
    if (HasName && M.Member.Name == "name")
      return Type::get(TypeKind::String);
    if (const FieldDef *F = S.findField(M.Member.Name))
      return F->valueType();
    std::vector<std::string> Names = S.getFieldNames();
    if (HasName)
      Names.insert(Names.begin(), "name");
    return memberNotFound(M, What, Names);
  }

  const Type *checkMember(const MemberExpr &M) {
    const Type *Base;
    // A secret alone is not a value, but `secret.component` is.
    if (auto *N = llvm::dyn_cast<NameExpr>(M.Base))
      Base = record(*N, resolveName(*N, Type::declRefMask(~0u)));
    else
      Base = synth(*M.Base);
    const std::string &Member = M.Member.Name;
    switch (Base->Kind) {
    case TypeKind::Error:
      return Base;
    case TypeKind::Environment:
      return schemaMember(M, *getDeclSchema(DeclKind::Environment), "`env`", true);
    case TypeKind::Object:
      if (Base->Schema->OpenValue && !Base->Schema->findField(Member))
        return Base->Schema->OpenValue;
      return schemaMember(M, *Base->Schema, "`" + Base->Schema->Name + "`", false);
    case TypeKind::Map:
      return Base->Element;
    case TypeKind::DeclRef: {
      const BlockDecl *D = nullptr;
      if (auto *N = llvm::dyn_cast<NameExpr>(M.Base)) {
        auto It = P.Resolutions.find(N);
        if (It != P.Resolutions.end())
          D = llvm::dyn_cast_or_null<BlockDecl>(It->second.Target);
      }
      if (!D) {
        // A reference reached through a field (`env.tier.purpose`).
        for (unsigned K = 0; K < unsigned(DeclKind::Unknown); ++K)
          if (Base->DeclKinds == (1u << K)) {
            const BlockSchema *S = getDeclSchema(DeclKind(K));
            return S ? schemaMember(M, *S, "a " + getDeclKindDescription(DeclKind(K)).str(),
                                    true)
                     : Type::get(TypeKind::Error);
          }
        return Type::get(TypeKind::Error);
      }
      std::string What = getDeclKindDescription(D->Kind).str() + " `" + D->Name.Name + "`";
      if (D->Kind == DeclKind::Secret) {
        auto It = P.SecretTypes.find(D);
        if (It == P.SecretTypes.end())
          return Type::get(TypeKind::Error);
        std::vector<std::string> Names;
        for (const FieldEntry *C : getSecretComponents(*It->second))
          Names.push_back(C->Label->Name);
        for (const AssignEntry *C : getSecretComposes(*It->second))
          Names.push_back(C->Label->Name);
        if (llvm::is_contained(Names, Member))
          return Type::get(TypeKind::Secret);
        return memberNotFound(M, What, Names);
      }
      if (isWorkload(D->Kind)) {
        if (Member == "name" || Member == "host")
          return Type::get(TypeKind::String);
        return memberNotFound(M, What, {"name", "host"});
      }
      const BlockSchema *S = getDeclSchema(D->Kind);
      return S ? schemaMember(M, *S, What, true) : Type::get(TypeKind::Error);
    }
    default:
      return memberNotFound(M, Base->describe(), {});
    }
  }

  const Type *checkCall(const CallExpr &C) {
    const BuiltinFunction *F = lookupBuiltin(C.Callee.Name);
    if (!F) {
      std::vector<std::string> Names;
      for (const BuiltinFunction &B : getBuiltins())
        Names.push_back(B.Name);
      std::string Suggestion;
      std::string Hint = didYouMean(C.Callee.Name, Names, &Suggestion);
      auto D = Diags.report(DiagID::UnknownFunction, C.Callee.Range, {C.Callee.Name, Hint});
      if (!Suggestion.empty())
        D.fixIt(C.Callee.Range, Suggestion);
      for (const Expr *A : C.Args)
        synth(*A);
      return Type::get(TypeKind::Error);
    }
    if (C.Args.size() != F->Params.size()) {
      std::string Takes = std::to_string(F->Params.size()) +
                          (F->Params.size() == 1 ? " argument" : " arguments");
      Diags.report(DiagID::WrongArgumentCount, C.getRange(),
                   {getBuiltinSignature(*F), Takes, std::to_string(C.Args.size())});
    }
    for (size_t I = 0; I < C.Args.size(); ++I)
      check(*C.Args[I], I < F->Params.size() ? F->Params[I].second : nullptr);
    if (C.Options) {
      if (F->Options)
        checkBlock(*C.Options, *F->Options, false, false);
      else
        Diags.report(DiagID::WrongEntryForm, C.Options->getRange(),
                     {C.Callee.Name, "takes no `{ ... }` options"});
    }
    return F->Result;
  }

  const Type *checkConstructor(const ConstructorExpr &C, const Type *Hint) {
    if (!Hint || !Hint->is(TypeKind::Variant)) {
      Diags.report(DiagID::TypeMismatch, C.getRange(),
                   {Hint ? Hint->describe() : "a value",
                    "a `" + C.Name.Name + " { ... }` block"});
      return Type::get(TypeKind::Error);
    }
    const VariantDef *V = Hint->Variant;
    if (!V->contains(C.Name.Name)) {
      std::string Suggestion;
      std::string H = didYouMean(C.Name.Name, V->Tags, &Suggestion);
      if (H.empty())
        H = "; expected one of " + joinAlternatives(V->Tags);
      auto D = Diags.report(DiagID::UnknownEnumMember, C.Name.Range,
                            {C.Name.Name, V->Name, H});
      if (!Suggestion.empty())
        D.fixIt(C.Name.Range, Suggestion);
      return Type::get(TypeKind::Error);
    }
    const BlockSchema *S = getConstructorSchema(V, C.Name.Name);
    if (!S) {
      const BuiltinFunction *F = lookupBuiltin(C.Name.Name);
      Diags.report(DiagID::WrongEntryForm, C.Name.Range,
                   {C.Name.Name, "takes arguments: write `" +
                                     (F ? getBuiltinSignature(*F) : C.Name.Name + "(...)") +
                                     "`"});
      return Type::get(TypeKind::Error);
    }
    std::string Saved = FieldPath;
    checkBlock(*C.Body, *S, false, false);
    FieldPath = Saved;
    return Hint;
  }

  const Type *checkBinary(const BinaryExpr &B, const Type *Hint) {
    switch (B.Op) {
    case BinaryOp::And:
    case BinaryOp::Or:
      check(*B.LHS, Type::get(TypeKind::Bool));
      check(*B.RHS, Type::get(TypeKind::Bool));
      return Type::get(TypeKind::Bool);
    case BinaryOp::Eq:
    case BinaryOp::Ne:
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge: {
      const Type *L = synth(*B.LHS);
      if (L->isError()) {
        synth(*B.RHS);
        return Type::get(TypeKind::Bool);
      }
      const Type *R = check(*B.RHS, L);
      bool Ordered = B.Op != BinaryOp::Eq && B.Op != BinaryOp::Ne;
      if (Ordered && !R->isError() && !L->isNumeric() && !L->is(TypeKind::String)) {
        Diags.report(DiagID::InvalidOperands, B.OpRange,
                     {getSpelling(B.Op).str(), L->describe(), R->describe()});
        return Type::get(TypeKind::Error);
      }
      if (containsSecret(L) || containsSecret(R)) {
        Diags.report(DiagID::SecretFlow, B.getRange(), {"a comparison"});
        return Type::get(TypeKind::Error);
      }
      return Type::get(TypeKind::Bool);
    }
    case BinaryOp::Add:
    case BinaryOp::Sub:
    case BinaryOp::Mul:
    case BinaryOp::Div: {
      const Type *L = check(*B.LHS, Hint && Hint->isNumeric() ? Hint : nullptr);
      bool LStringy = L->is(TypeKind::String) || L->is(TypeKind::Secret);
      const Type *R;
      // The right operand of `*` and `/` is a plain factor; of `+` on strings,
      // anything printable; otherwise the same kind as the left.
      if (B.Op == BinaryOp::Mul || B.Op == BinaryOp::Div ||
          (B.Op == BinaryOp::Add && LStringy))
        R = synth(*B.RHS);
      else
        R = check(*B.RHS, L->isError() ? nullptr : L);
      if (L->isError() || R->isError())
        return Type::get(TypeKind::Error);
      bool Stringy = LStringy || R->is(TypeKind::String) || R->is(TypeKind::Secret);
      if (B.Op == BinaryOp::Add && Stringy)
        return Type::get(containsSecret(L) || containsSecret(R) ? TypeKind::Secret
                                                                : TypeKind::String);
      if ((B.Op == BinaryOp::Mul || B.Op == BinaryOp::Div) && L->isNumeric() &&
          (R->is(TypeKind::Int) || R->is(TypeKind::Float))) {
        // An integer times a fraction is a fraction, not an integer.
        if (L->is(TypeKind::Int) && R->is(TypeKind::Float))
          return Type::get(TypeKind::Float);
        return L;
      }
      if (L->isNumeric() && isAssignable(R, L))
        return L;
      if (L->is(TypeKind::Int) && R->is(TypeKind::Float))
        return R;
      Diags.report(DiagID::InvalidOperands, B.OpRange,
                   {getSpelling(B.Op).str(), L->describe(), R->describe()});
      return Type::get(TypeKind::Error);
    }
    }
    return Type::get(TypeKind::Error);
  }

  Program &P;
  DiagnosticEngine &Diags;
  const Module *CurMod = nullptr;
  const BlockDecl *CurDecl = nullptr;
  LocalScope Local;
  std::string FieldPath;
};

} // namespace

void sema::checkTypes(Program &P) { TypeChecker(P).run(); }
