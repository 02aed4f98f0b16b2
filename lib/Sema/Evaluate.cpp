//===- Evaluate.cpp - Evaluation of each environment ----------------------===//
//
// Turns checked declarations into Values, once per environment: parameters
// (defaults, then `--set`), the environment and its tier, then every other
// declaration with its overlays applied in layer order: base values, then
// `on TIER { }`, then `on ENVIRONMENT { }`. Types were checked already, so this
// pass only computes; what can still fail (division by zero, overflow, a
// parameter without a value) is diagnosed here and yields a Poison value that
// the validation stages skip.
//
//===----------------------------------------------------------------------===//

#include "deployc/Sema/Sema.h"
#include "llvm/ADT/StringExtras.h"
#include <set>

using namespace deployc;
using namespace deployc::sema;
using namespace deployc::ast;

namespace {

class Evaluator {
public:
  /// "; parameters are `a`, `b`", or that the spec declares none: an unknown
  /// --env or --set names the choices.
  static std::string listChoices(llvm::StringRef What, const std::vector<std::string> &Names) {
    if (Names.empty())
      return ("; the spec declares no " + What).str();
    std::string S = ("; " + What + " are ").str();
    for (size_t I = 0; I < Names.size(); ++I)
      S += (I ? ", `" : "`") + Names[I] + "`";
    return S;
  }

  Evaluator(Program &P, const FrontEndOptions &Opts) : P(P), Diags(P.Diags), Opts(Opts) {}

  void run(llvm::function_ref<void(EnvironmentModel &)> OnEvaluated) {
    evaluateParams();
    std::vector<const BlockDecl *> Envs = P.getDecls(DeclKind::Environment);
    if (!Opts.OnlyEnvironment.empty()) {
      auto It = std::find_if(Envs.begin(), Envs.end(), [&](const BlockDecl *D) {
        return D->Name.Name == Opts.OnlyEnvironment;
      });
      if (It == Envs.end()) {
        std::vector<std::string> Names;
        for (const BlockDecl *D : Envs)
          Names.push_back(D->Name.Name);
        std::string Hint = didYouMean(Opts.OnlyEnvironment, Names);
        if (Hint.empty())
          Hint = listChoices("environments", Names);
        Diags.report(DiagID::UnknownEnvironment, {}, {Opts.OnlyEnvironment, Hint});
        return;
      }
      Envs = {*It};
    }
    if (Envs.empty()) {
      // A library file without environments is still evaluated and validated.
      EnvironmentModel M;
      M.Name = "default";
      evaluateEnvironment(M);
      P.Environments.push_back(std::move(M));
      OnEvaluated(P.Environments.back());
      return;
    }
    for (const BlockDecl *E : Envs) {
      EnvironmentModel M;
      M.Name = E->Name.Name;
      M.Decl = E;
      evaluateEnvironment(M);
      P.Environments.push_back(std::move(M));
      OnEvaluated(P.Environments.back());
    }
  }

private:
  //===--------------------------------------------------------------------===//
  // Parameters
  //===--------------------------------------------------------------------===//

  void evaluateParams() {
    std::map<std::string, const ParamDecl *> ByName;
    for (const ParamDecl *D : P.Params)
      ByName[D->Name.Name] = D;
    std::vector<std::string> Names;
    for (auto &[N, D] : ByName)
      Names.push_back(N);
    for (auto &[Name, Text] : Opts.Overrides) {
      auto It = ByName.find(Name);
      if (It == ByName.end()) {
        std::string Hint = didYouMean(Name, Names);
        Diags.report(DiagID::UnknownParamOverride, {},
                     {Name, Hint.empty() ? listChoices("parameters", Names) : Hint});
        continue;
      }
      const Type *T = P.ParamTypes.lookup(It->second);
      std::string Problem;
      Value V = parseOverride(Text, T, Problem);
      if (!Problem.empty()) {
        Diags.report(DiagID::InvalidParamOverride, {}, {Name, Text, Problem});
        V = Value::poison();
      }
      Overridden[It->second] = V;
    }
    for (const ParamDecl *D : P.Params)
      paramValue(D);
  }

  /// `--set` values are plain text read by the parameter's type.
  Value parseOverride(llvm::StringRef Text, const Type *T, std::string &Problem) {
    SourceRange None;
    if (!T)
      return Value::string(Text.str(), None);
    switch (T->Kind) {
    case TypeKind::Int:
    case TypeKind::Port: {
      int64_t I;
      if (Text.getAsInteger(10, I)) {
        Problem = "expected an integer";
        return Value::poison();
      }
      return Value::integer(I, None);
    }
    case TypeKind::Float: {
      double F;
      if (Text.getAsDouble(F)) {
        Problem = "expected a number";
        return Value::poison();
      }
      return Value::number(F, None);
    }
    case TypeKind::Bool:
      if (Text == "true" || Text == "false")
        return Value::boolean(Text == "true", None);
      Problem = "expected `true` or `false`";
      return Value::poison();
    case TypeKind::Duration:
    case TypeKind::Cpu:
    case TypeKind::Memory:
    case TypeKind::Percent: {
      QuantityKind K = T->is(TypeKind::Duration) ? QuantityKind::Duration
                       : T->is(TypeKind::Cpu)    ? QuantityKind::Cpu
                       : T->is(TypeKind::Memory) ? QuantityKind::Memory
                                                 : QuantityKind::Percent;
      size_t Split = Text.find_if([](char C) { return !llvm::isDigit(C) && C != '.'; });
      llvm::StringRef Num = Text.take_front(Split), Unit = Text.drop_front(Num.size());
      if (K == QuantityKind::Cpu && Unit.empty()) {
        double Cores;
        if (!Num.getAsDouble(Cores))
          return Value::quantity(Value::Kind::Cpu, coresToMillicores(Cores), None);
      }
      if (auto Amount = parseQuantity(Num, Unit, K)) {
        if (K == QuantityKind::Percent)
          return Value::percent(*Amount / 1000.0, None);
        Value::Kind VK = K == QuantityKind::Duration ? Value::Kind::Duration
                         : K == QuantityKind::Cpu    ? Value::Kind::Cpu
                                                     : Value::Kind::Memory;
        return Value::quantity(VK, *Amount, None);
      }
      Problem = "expected " + T->describe();
      return Value::poison();
    }
    case TypeKind::List: {
      std::vector<Value> Items;
      llvm::SmallVector<llvm::StringRef, 8> Parts;
      Text.split(Parts, ',', -1, /*KeepEmpty=*/false);
      for (llvm::StringRef Part : Parts) {
        Value V = parseOverride(Part.trim(), T->Element, Problem);
        if (!Problem.empty())
          return Value::poison();
        Items.push_back(V);
      }
      return Value::list(std::move(Items), None);
    }
    default:
      return Value::string(Text.str(), None);
    }
  }

  Value paramValue(const ParamDecl *D) {
    if (auto It = Overridden.find(D); It != Overridden.end())
      return It->second;
    if (auto It = ParamValues.find(D); It != ParamValues.end())
      return It->second;
    if (InProgress.count(D)) {
      Diags.report(DiagID::ParamCycle, D->Name.Range,
                   {D->Name.Name, "its default refers back to it"});
      return Value::poison(D->Name.Range);
    }
    if (!D->Default) {
      Diags.report(DiagID::MissingParamValue, D->Name.Range, {D->Name.Name});
      return ParamValues[D] = Value::poison(D->Name.Range);
    }
    InProgress.insert(D);
    const BlockDecl *SavedDecl = CurDecl;
    CurDecl = nullptr;
    Value V = coerce(eval(*D->Default), P.ParamTypes.lookup(D));
    CurDecl = SavedDecl;
    InProgress.erase(D);
    return ParamValues[D] = V;
  }

  /// A diagnostic about the value used at Use also points at where the
  /// parameter's value was written: its default, or the `--set` giving it.
  void noteParamValue(const ParamDecl &D, const Value &V, SourceRange Use) {
    const std::string &Name = D.Name.Name;
    if (Overridden.count(&D)) {
      // Not the value itself: it may be a credential passed by mistake.
      Diags.addLocationNote(
          Use, {D.Name.Range,
                formatDiagMessage(getDiagInfo(DiagID::NoteParamSetOnCommandLine).Message, {Name})});
      return;
    }
    SourceRange Written = V.getOrigin().isValid() ? V.getOrigin() : D.Name.Range;
    Diags.addLocationNote(
        Use, {Written, formatDiagMessage(getDiagInfo(DiagID::NoteParamValueHere).Message, {Name})});
  }

  //===--------------------------------------------------------------------===//
  // Declarations and overlays
  //===--------------------------------------------------------------------===//

  void evaluateEnvironment(EnvironmentModel &M) {
    Cur = &M;
    Cache.clear();
    for (const ParamDecl *D : P.Params)
      M.Params[D->Name.Name] = paramValue(D);
    if (M.Decl) {
      M.Env = declValue(M.Decl);
      M.Env.setField("name", Value::string(M.Name, M.Decl->Name.Range));
      const Value &TierRef = M.Env.get("tier");
      if (TierRef.is(Value::Kind::Ref)) {
        M.TierDecl = TierRef.getDecl();
        M.Tier = declValue(M.TierDecl);
      }
    } else {
      M.Env = Value::object("", {});
      M.Env.setField("name", Value::string(M.Name, {}));
    }
    for (const BlockDecl *D : P.BlockDecls)
      if (D->Kind != DeclKind::Environment)
        M.addDecl(D, declValue(D));
    Cur = nullptr;
  }

  /// The value of D in the current environment, overlays applied.
  Value declValue(const BlockDecl *D) {
    if (auto It = Cache.find(D); It != Cache.end())
      return It->second;
    if (Evaluating.count(D))
      return Value::poison(D->Name.Range);
    Evaluating.insert(D);
    const BlockDecl *Saved = CurDecl;
    CurDecl = D;
    const BlockSchema *S = getDeclSchema(D->Kind);
    Value V = Value::object("", D->getRange());
    if (D->Kind == DeclKind::Secret)
      if (auto It = P.SecretTypes.find(D); It != P.SecretTypes.end())
        V.setField("type", Value::ref(It->second, D->TypeName.back().Range));
    evalBlockInto(V, *D->Body, S);
    if (Cur) {
      // Layer order: tier overrides, then environment overrides.
      auto Overlays = P.Overlays.find(D);
      if (Overlays != P.Overlays.end()) {
        for (const Overlay &O : Overlays->second)
          if (O.Target == Cur->TierDecl && Cur->TierDecl)
            applyOverlay(V, O, S);
        for (const Overlay &O : Overlays->second)
          if (O.Target == Cur->Decl && Cur->Decl)
            applyOverlay(V, O, S);
      }
    }
    CurDecl = Saved;
    Evaluating.erase(D);
    return Cache[D] = V;
  }

  void applyOverlay(Value &V, const Overlay &O, const BlockSchema *S) {
    Value Layer = Value::object("", O.Entry->getRange());
    evalBlockInto(Layer, *O.Entry->Body, S);
    V.mergeFrom(Layer);
  }

  void place(Value &Obj, const Entry &E, const FieldDef *F, Value V) {
    const std::string &Key = E.Key.Name;
    // Groups and lists grow in place: a copy per entry would copy the whole
    // group each time.
    if (F && F->isLabelled() && E.Label) {
      Value *Group = Obj.getMutableField(Key);
      if (!Group || !Group->is(Value::Kind::Object)) {
        Obj.setField(Key, Value::object("", E.getRange()));
        Group = Obj.getMutableField(Key);
      }
      Group->setField(E.Label->Name, std::move(V));
      return;
    }
    if (F && F->isRepeated()) {
      Value *List = Obj.getMutableField(Key);
      if (!List || !List->is(Value::Kind::List)) {
        Obj.setField(Key, Value::list({}, E.getRange()));
        List = Obj.getMutableField(Key);
      }
      List->append(std::move(V));
      return;
    }
    Obj.setField(Key, std::move(V));
  }

  void evalBlockInto(Value &Obj, const Block &B, const BlockSchema *S) {
    // Most entries become a field of their own.
    Obj.reserveFields(Obj.getFields().size() + B.Entries.size());
    for (const Entry *E : B.Entries) {
      const FieldDef *F = P.EntryFields.lookup(E);
      switch (E->getKind()) {
      case NK::ConditionEntry: {
        auto *C = llvm::cast<ConditionEntry>(E);
        if (!S || !S->findCondition(C->Key.Name))
          break;
        Value Cond = Value::object("", C->getRange());
        Cond.setField("op", Value::string(getSpelling(C->Op).str(), C->OpRange));
        Cond.setField("value", eval(*C->Value));
        Obj.setField(C->Key.Name, std::move(Cond));
        break;
      }
      case NK::AssignEntry: {
        auto *A = llvm::cast<AssignEntry>(E);
        if (!F) {
          if (S && S->OpenValue && !A->Label)
            Obj.setField(A->Key.Name, coerce(eval(*A->Value), S->OpenValue));
          break;
        }
        if (!F->Ty)
          break;
        Value V = coerce(eval(*A->Value), F->Ty);
        // `port http = 8080` and `port http { port = 8080 }` mean the same.
        if (F->Block && F->Block->findField(F->Name) && !V.is(Value::Kind::Object)) {
          Value Wrapped = Value::object("", A->getRange());
          Wrapped.setField(F->Name, std::move(V));
          V = std::move(Wrapped);
        }
        place(Obj, *A, F, std::move(V));
        break;
      }
      case NK::BlockEntry: {
        auto *BE = llvm::cast<BlockEntry>(E);
        if (!F && S && S->OpenBlocks && !BE->Label) {
          Value Child = Value::object("", BE->getRange());
          evalBlockInto(Child, *BE->Body, S);
          Obj.setField(BE->Key.Name, std::move(Child));
          break;
        }
        if (!F || !F->Block)
          break;
        Value Child = Value::object("", BE->getRange());
        evalBlockInto(Child, *BE->Body, getBodySchema(*F, BE->Label ? BE->Label->Name : ""));
        place(Obj, *BE, F, std::move(Child));
        break;
      }
      case NK::FieldEntry: {
        auto *FE = llvm::cast<FieldEntry>(E);
        if (!F || !F->isTyped())
          break;
        Value Child = Value::object("", FE->getRange());
        Child.setField("type", Value::string(typeName(FE->Type), FE->Type->getRange()));
        if (FE->Default)
          Child.setField("default", eval(*FE->Default));
        if (FE->Options && F->Block)
          evalBlockInto(Child, *FE->Options, F->Block);
        place(Obj, *FE, F, std::move(Child));
        break;
      }
      default:
        break;
      }
    }
  }

  static std::string typeName(const TypeExpr *T) {
    if (auto *L = llvm::dyn_cast<ListType>(T))
      return "[" + typeName(L->Element) + "]";
    return llvm::cast<NamedType>(T)->Name.Name;
  }

  /// Applies the implicit conversions the type checker allowed.
  Value coerce(Value V, const Type *T) {
    if (!T || V.isAbsent())
      return V;
    switch (T->Kind) {
    case TypeKind::Cpu:
      if (V.is(Value::Kind::Int) || V.is(Value::Kind::Float))
        return Value::quantity(Value::Kind::Cpu, coresToMillicores(V.asNumber()),
                               V.getOrigin());
      return V;
    case TypeKind::Float:
      if (V.is(Value::Kind::Int))
        return Value::number(double(V.getInt()), V.getOrigin());
      return V;
    case TypeKind::String:
      // `team = 3` in a label or a string field of a patch is the text "3".
      if (V.is(Value::Kind::Int) || V.is(Value::Kind::Float) || V.is(Value::Kind::Bool))
        return Value::string(V.toDisplayString(), V.getOrigin());
      return V;
    case TypeKind::Range:
      if (!V.is(Value::Kind::Range)) {
        // Once: nested range types would make two calls per level exponential.
        Value Bound = coerce(V, T->Element);
        return Value::range(Bound, Bound, V.getOrigin());
      }
      return Value::range(coerce(V.getLow(), T->Element), coerce(V.getHigh(), T->Element),
                          V.getOrigin());
    case TypeKind::List: {
      if (!V.is(Value::Kind::List))
        return Value::list({coerce(V, T->Element)}, V.getOrigin());
      std::vector<Value> Items;
      for (const Value &E : V.getElements())
        Items.push_back(coerce(E, T->Element));
      return Value::list(std::move(Items), V.getOrigin());
    }
    default:
      return V;
    }
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  Value eval(const Expr &E) {
    SourceRange R = E.getRange();
    const Type *T = P.getType(&E);
    if (T && T->isError())
      return Value::poison(R);
    switch (E.getKind()) {
    case NK::IntLiteral:
      return Value::integer(llvm::cast<IntLiteral>(E).Value, R);
    case NK::FloatLiteral:
      return Value::number(llvm::cast<FloatLiteral>(E).Value, R);
    case NK::BoolLiteral:
      return Value::boolean(llvm::cast<BoolLiteral>(E).Value, R);
    case NK::QuantityLiteral:
      return evalQuantity(llvm::cast<QuantityLiteral>(E), T);
    case NK::StringLiteral:
      return evalString(llvm::cast<StringLiteral>(E));
    case NK::ListExpr: {
      std::vector<Value> Items;
      for (const Expr *El : llvm::cast<ListExpr>(E).Elements)
        Items.push_back(eval(*El));
      return Value::list(std::move(Items), R);
    }
    case NK::RangeExpr: {
      auto &RE = llvm::cast<RangeExpr>(E);
      return Value::range(eval(*RE.Low), eval(*RE.High), R);
    }
    case NK::NameExpr:
      return evalName(llvm::cast<NameExpr>(E));
    case NK::MemberExpr:
      return evalMember(llvm::cast<MemberExpr>(E));
    case NK::CallExpr:
      return evalCall(llvm::cast<CallExpr>(E));
    case NK::ConstructorExpr: {
      auto &C = llvm::cast<ConstructorExpr>(E);
      Value V = Value::object(C.Name.Name, R);
      const BlockSchema *S =
          T && T->is(TypeKind::Variant) ? getConstructorSchema(T->Variant, C.Name.Name) : nullptr;
      evalBlockInto(V, *C.Body, S);
      return V;
    }
    case NK::BlockExpr: {
      Value V = Value::object("", R);
      const BlockSchema *S = T && T->is(TypeKind::Object) ? T->Schema : nullptr;
      BlockSchema Open;
      if (!S && T && T->is(TypeKind::Map)) {
        Open.OpenValue = T->Element;
        S = &Open;
      }
      evalBlockInto(V, *llvm::cast<BlockExpr>(E).Body, S);
      return V;
    }
    case NK::UnaryExpr: {
      auto &U = llvm::cast<UnaryExpr>(E);
      Value V = eval(*U.Operand);
      if (V.isAbsent())
        return Value::poison(R);
      if (U.Op == UnaryOp::Not)
        return Value::boolean(!V.getBool(), R);
      if (V.is(Value::Kind::Float) || V.is(Value::Kind::Percent)) {
        Value Out = V;
        return V.is(Value::Kind::Float) ? Value::number(-V.getFloat(), R)
                                        : Value::percent(-V.getFloat(), R);
      }
      return Value::quantity(V.getKind(), -V.getInt(), R);
    }
    case NK::BinaryExpr:
      return evalBinary(llvm::cast<BinaryExpr>(E));
    case NK::IfExpr: {
      auto &I = llvm::cast<IfExpr>(E);
      Value C = eval(*I.Cond);
      if (!C.is(Value::Kind::Bool))
        return Value::poison(R);
      return eval(C.getBool() ? *I.Then : *I.Else);
    }
    default:
      return Value::poison(R);
    }
  }

  Value evalQuantity(const QuantityLiteral &Q, const Type *T) {
    SourceRange R = Q.getRange();
    QuantityKind K;
    Value::Kind VK;
    switch (T ? T->Kind : TypeKind::Error) {
    case TypeKind::Duration: K = QuantityKind::Duration; VK = Value::Kind::Duration; break;
    case TypeKind::Cpu: K = QuantityKind::Cpu; VK = Value::Kind::Cpu; break;
    case TypeKind::Memory: K = QuantityKind::Memory; VK = Value::Kind::Memory; break;
    case TypeKind::Percent: K = QuantityKind::Percent; VK = Value::Kind::Percent; break;
    default: return Value::poison(R);
    }
    auto Amount = parseQuantity(Q.Number, Q.Unit, K);
    if (!Amount)
      return Value::poison(R);
    if (VK == Value::Kind::Percent)
      return Value::percent(*Amount / 1000.0, R);
    return Value::quantity(VK, *Amount, R);
  }

  Value evalString(const StringLiteral &S) {
    std::vector<Value::SecretPart> Parts;
    std::string Text;
    bool Secret = false;
    for (const StringLiteral::Part &Part : S.Parts) {
      if (!Part.Interp) {
        Text += Part.Text;
        continue;
      }
      Value V = eval(*Part.Interp);
      if (V.isPoison())
        return Value::poison(S.getRange());
      if (V.is(Value::Kind::Secret)) {
        Secret = true;
        if (!Text.empty())
          Parts.push_back({std::move(Text), nullptr, ""});
        Text.clear();
        for (const Value::SecretPart &SP : V.getSecretParts())
          Parts.push_back(SP);
        continue;
      }
      Text += V.toDisplayString();
    }
    if (!Secret)
      return Value::string(std::move(Text), S.getRange());
    if (!Text.empty())
      Parts.push_back({std::move(Text), nullptr, ""});
    return Value::secret(std::move(Parts), S.getRange());
  }

  Value evalName(const NameExpr &N) {
    SourceRange R = N.getRange();
    auto It = P.Resolutions.find(&N);
    if (It == P.Resolutions.end())
      return Value::poison(R);
    const Resolution &Res = It->second;
    switch (Res.K) {
    case Resolution::Kind::Param: {
      auto *D = llvm::cast<ParamDecl>(Res.Target);
      Value V = paramValue(D);
      noteParamValue(*D, V, R);
      V.setOrigin(R);
      return V;
    }
    case Resolution::Kind::Decl:
      return Value::ref(llvm::cast<BlockDecl>(Res.Target), R);
    case Resolution::Kind::EnumMember:
      return Value::enumMember(Res.Name.str(), R);
    case Resolution::Kind::Environment:
      return Cur ? Cur->Env : Value::poison(R);
    case Resolution::Kind::Port:
      return portNumber(Res.Name, R);
    case Resolution::Kind::Component:
      return Value::secret({{"", nullptr, Res.Name.str()}}, R);
    case Resolution::Kind::None:
      return Value::poison(R);
    }
    return Value::poison(R);
  }

  /// The number of the current workload's port `Name`, with the environment's
  /// overrides applied (the last layer that sets it wins).
  Value portNumber(llvm::StringRef Name, SourceRange R) {
    if (!CurDecl)
      return Value::poison(R);
    // `port http = http`, or two ports naming each other, has no number.
    if (llvm::is_contained(PortsInProgress, Name)) {
      Diags.report(DiagID::PortCycle, R, {Name.str()});
      return Value::poison(R);
    }
    PortsInProgress.push_back(Name.str());
    std::optional<Value> Found;
    auto number = [&](const Expr &E) {
      Value V = eval(E);
      Found = V.is(Value::Kind::Int) ? Value::integer(V.getInt(), R) : Value::poison(R);
    };
    auto scan = [&](const Block &B) {
      for (const Entry *E : B.Entries) {
        if (E->Key.Name != "port" || !E->Label || E->Label->Name != Name)
          continue;
        if (auto *A = llvm::dyn_cast<AssignEntry>(E))
          number(*A->Value);
        if (auto *BE = llvm::dyn_cast<BlockEntry>(E))
          for (const Entry *Inner : BE->Body->Entries)
            if (Inner->Key.Name == "port")
              if (auto *IA = llvm::dyn_cast<AssignEntry>(Inner))
                number(*IA->Value);
      }
    };
    scan(*CurDecl->Body);
    auto Overlays = P.Overlays.find(CurDecl);
    if (Cur && Overlays != P.Overlays.end()) {
      for (const Overlay &O : Overlays->second)
        if (Cur->TierDecl && O.Target == Cur->TierDecl)
          scan(*O.Entry->Body);
      for (const Overlay &O : Overlays->second)
        if (Cur->Decl && O.Target == Cur->Decl)
          scan(*O.Entry->Body);
    }
    PortsInProgress.pop_back();
    return Found ? *Found : Value::poison(R);
  }

  Value evalMember(const MemberExpr &M) {
    SourceRange R = M.getRange();
    Value Base = eval(*M.Base);
    const std::string &Member = M.Member.Name;
    if (Base.isAbsent())
      return Value::poison(R);
    if (Base.is(Value::Kind::Ref)) {
      const BlockDecl *D = Base.getDecl();
      if (D->Kind == DeclKind::Secret)
        return Value::secret({{"", D, Member}}, R);
      if (Member == "name" || Member == "host")
        return Value::string(D->Name.Name, R);
      Value DV = declValue(D);
      Value Out = DV.get(Member);
      Out.setOrigin(Out.isNull() ? R : Out.getOrigin());
      return Out;
    }
    if (Base.is(Value::Kind::Object))
      return Base.get(Member);
    return Value::poison(R);
  }

  Value evalCall(const CallExpr &C) {
    SourceRange R = C.getRange();
    const BuiltinFunction *F = lookupBuiltin(C.Callee.Name);
    if (!F || C.Args.size() != F->Params.size())
      return Value::poison(R);
    std::vector<Value> Args;
    for (const Expr *A : C.Args)
      Args.push_back(eval(*A));
    for (const Value &A : Args)
      if (A.isPoison())
        return Value::poison(R);
    const std::string &Name = F->Name;
    if (Name == "lower" || Name == "upper") {
      std::string S = Args[0].toDisplayString();
      return Value::string(Name == "lower" ? llvm::StringRef(S).lower()
                                           : llvm::StringRef(S).upper(),
                           R);
    }
    if (Name == "join") {
      std::string Out;
      for (const Value &E : Args[0].getElements()) {
        if (!Out.empty())
          Out += Args[1].getString();
        Out += E.toDisplayString();
      }
      return Value::string(Out, R);
    }
    Value Obj = Value::object(Name, R);
    for (size_t I = 0; I < Args.size(); ++I) {
      Value A = coerce(Args[I], F->Params[I].second);
      Obj.setField(F->Params[I].first, A);
      // Probes keep the port's name too: Kubernetes probes name ports.
      if (F->Params[I].first == "port")
        if (auto *N = llvm::dyn_cast<NameExpr>(C.Args[I])) {
          auto It = P.Resolutions.find(N);
          if (It != P.Resolutions.end() && It->second.K == Resolution::Kind::Port)
            Obj.setField("port_name", Value::string(It->second.Name.str(), N->getRange()));
        }
    }
    if (C.Options)
      evalBlockInto(Obj, *C.Options, F->Options);
    return Obj;
  }

  static bool equalValues(const Value &A, const Value &B) {
    if (A.is(Value::Kind::Ref) && B.is(Value::Kind::Ref))
      return A.getDecl() == B.getDecl();
    if (A.is(Value::Kind::String) || A.is(Value::Kind::Enum) || A.is(Value::Kind::Ref))
      return A.toDisplayString() == B.toDisplayString();
    if (A.is(Value::Kind::Bool) && B.is(Value::Kind::Bool))
      return A.getBool() == B.getBool();
    if (A.is(Value::Kind::List) && B.is(Value::Kind::List)) {
      if (A.getElements().size() != B.getElements().size())
        return false;
      for (size_t I = 0; I < A.getElements().size(); ++I)
        if (!equalValues(A.getElements()[I], B.getElements()[I]))
          return false;
      return true;
    }
    return A.asNumber() == B.asNumber();
  }

  Value evalBinary(const BinaryExpr &B) {
    SourceRange R = B.getRange();
    if (B.Op == BinaryOp::And || B.Op == BinaryOp::Or) {
      Value L = eval(*B.LHS);
      if (!L.is(Value::Kind::Bool))
        return Value::poison(R);
      if (L.getBool() == (B.Op == BinaryOp::Or))
        return Value::boolean(L.getBool(), R);
      Value Rv = eval(*B.RHS);
      return Rv.is(Value::Kind::Bool) ? Value::boolean(Rv.getBool(), R) : Value::poison(R);
    }
    Value L = eval(*B.LHS), Rv = eval(*B.RHS);
    if (L.isAbsent() || Rv.isAbsent())
      return Value::poison(R);
    switch (B.Op) {
    case BinaryOp::Eq:
      return Value::boolean(equalValues(L, Rv), R);
    case BinaryOp::Ne:
      return Value::boolean(!equalValues(L, Rv), R);
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge: {
      int Cmp;
      if (L.is(Value::Kind::String))
        Cmp = L.getString().compare(Rv.toDisplayString());
      else
        Cmp = L.asNumber() < Rv.asNumber() ? -1 : L.asNumber() > Rv.asNumber() ? 1 : 0;
      bool Result = B.Op == BinaryOp::Lt   ? Cmp < 0
                    : B.Op == BinaryOp::Le ? Cmp <= 0
                    : B.Op == BinaryOp::Gt ? Cmp > 0
                                           : Cmp >= 0;
      return Value::boolean(Result, R);
    }
    default:
      break;
    }
    // Arithmetic and concatenation.
    if (B.Op == BinaryOp::Add &&
        (L.is(Value::Kind::String) || L.is(Value::Kind::Secret) ||
         Rv.is(Value::Kind::String) || Rv.is(Value::Kind::Secret))) {
      if (!L.is(Value::Kind::Secret) && !Rv.is(Value::Kind::Secret))
        return Value::string(L.toDisplayString() + Rv.toDisplayString(), R);
      std::vector<Value::SecretPart> Parts;
      for (const Value *V : {&L, &Rv}) {
        if (V->is(Value::Kind::Secret))
          for (const Value::SecretPart &SP : V->getSecretParts())
            Parts.push_back(SP);
        else
          Parts.push_back({V->toDisplayString(), nullptr, ""});
      }
      return Value::secret(std::move(Parts), R);
    }
    bool Floaty = L.is(Value::Kind::Float) || L.is(Value::Kind::Percent) ||
                  Rv.is(Value::Kind::Float);
    if (Floaty) {
      double A = L.asNumber(), C = Rv.asNumber(), Out;
      switch (B.Op) {
      case BinaryOp::Add: Out = A + C; break;
      case BinaryOp::Sub: Out = A - C; break;
      case BinaryOp::Mul: Out = A * C; break;
      default:
        if (C == 0) {
          Diags.report(DiagID::DivisionByZero, B.RHS->getRange());
          return Value::poison(R);
        }
        Out = A / C;
      }
      if (L.is(Value::Kind::Percent))
        return Value::percent(Out, R);
      if (L.is(Value::Kind::Float) || Rv.is(Value::Kind::Float))
        if (!L.is(Value::Kind::Int) || !Rv.is(Value::Kind::Int))
          if (L.is(Value::Kind::Int) || L.is(Value::Kind::Float))
            return Value::number(Out, R);
      return Value::quantity(L.getKind(), int64_t(Out), R);
    }
    int64_t A = L.getInt(), C = Rv.getInt(), Out = 0;
    bool Overflow = false;
    switch (B.Op) {
    case BinaryOp::Add: Overflow = __builtin_add_overflow(A, C, &Out); break;
    case BinaryOp::Sub: Overflow = __builtin_sub_overflow(A, C, &Out); break;
    case BinaryOp::Mul: Overflow = __builtin_mul_overflow(A, C, &Out); break;
    default:
      if (C == 0) {
        Diags.report(DiagID::DivisionByZero, B.RHS->getRange());
        return Value::poison(R);
      }
      if (A == INT64_MIN && C == -1)
        Overflow = true;
      else
        Out = A / C;
    }
    if (Overflow) {
      Diags.report(DiagID::ArithmeticOverflow, R, {P.SM.getText(R).str()});
      return Value::poison(R);
    }
    return Value::quantity(L.getKind(), Out, R);
  }

  Program &P;
  DiagnosticEngine &Diags;
  const FrontEndOptions &Opts;
  EnvironmentModel *Cur = nullptr;
  const BlockDecl *CurDecl = nullptr;
  /// Ports whose number is being evaluated, to catch `port http = http`.
  llvm::SmallVector<std::string, 2> PortsInProgress;
  std::map<const ParamDecl *, Value> ParamValues;
  std::map<const ParamDecl *, Value> Overridden;
  std::set<const ParamDecl *> InProgress;
  std::map<const BlockDecl *, Value> Cache;
  std::set<const BlockDecl *> Evaluating;
};

} // namespace

void sema::evaluateEnvironments(Program &P, const FrontEndOptions &Opts,
                                llvm::function_ref<void(EnvironmentModel &)> OnEvaluated) {
  Evaluator(P, Opts).run(OnEvaluated);
}
