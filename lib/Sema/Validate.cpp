//===- Validate.cpp - The four validation stages --------------------------===//
//
// Validation runs over the evaluated configuration of each environment in four
// stages, in this order: schema (shape and ranges of values), reference (what
// refers to what), security (credentials, readers, tier demands) and
// compatibility (whether the parts work together in this environment). Each
// stage lists its checks in order in its run function. Findings on base values
// repeat per environment; the DiagnosticEngine keeps one of each.
//
//===----------------------------------------------------------------------===//

#include "deployc/Basic/AgeRecipient.h"
#include "deployc/Basic/HelperImages.h"
#include "deployc/Sema/Sema.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"
#include <array>
#include <cassert>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <set>

using namespace deployc;
using namespace deployc::sema;
using namespace deployc::ast;

namespace {

bool isWorkload(DeclKind K) {
  return K == DeclKind::Service || K == DeclKind::Worker || K == DeclKind::Job;
}

std::string describe(const BlockDecl *D) {
  return getDeclKindDescription(D->Kind).str() + " `" + D->Name.Name + "`";
}

/// Where to point for a value: its origin, else the declaration's name.
SourceRange at(const Value &V, const BlockDecl *D) {
  return V.getOrigin().isValid() ? V.getOrigin() : D->Name.Range;
}

using ValueVisitor = llvm::function_ref<void(const Value &, const std::string &)>;

void walkFrom(const Value &V, std::string &Path, ValueVisitor Fn) {
  Fn(V, Path);
  if (V.is(Value::Kind::Object)) {
    for (const auto &[Name, Child] : V.getFields()) {
      size_t Len = Path.size();
      if (Len)
        Path += '.';
      Path += Name;
      walkFrom(Child, Path, Fn);
      Path.resize(Len);
    }
  } else if (V.is(Value::Kind::List) || V.is(Value::Kind::Range)) {
    for (const Value &E : V.getElements())
      walkFrom(E, Path, Fn);
  }
}

/// Calls Fn on every value below V with a dotted path. One path buffer is
/// reused for the whole walk: this runs over every value of every environment.
void walk(const Value &V, const std::string &Prefix, ValueVisitor Fn) {
  std::string Path = Prefix;
  walkFrom(V, Path, Fn);
}

llvm::StringRef lastSegment(llvm::StringRef Path) {
  size_t Dot = Path.rfind('.');
  return Dot == llvm::StringRef::npos ? Path : Path.drop_front(Dot + 1);
}

/// The replicas a workload starts with and the least it may run with.
struct ReplicaBounds {
  std::optional<int64_t> Initial;
  std::optional<int64_t> Min;
  std::optional<int64_t> Max;
};

ReplicaBounds replicaBounds(const Value &W) {
  ReplicaBounds B;
  const Value &R = W.get("replicas");
  if (R.is(Value::Kind::Int))
    B.Initial = R.getInt();
  const Value &Range = W.get("scaling").get("replicas");
  // An inverted range is D3003's business; the checks built on bounds skip it.
  if (Range.is(Value::Kind::Range) && Range.getLow().is(Value::Kind::Int) &&
      Range.getHigh().is(Value::Kind::Int) &&
      Range.getLow().getInt() <= Range.getHigh().getInt()) {
    B.Min = Range.getLow().getInt();
    B.Max = Range.getHigh().getInt();
  }
  const Value &Pool = W.get("pool");
  if (!B.Min && Pool.get("min").is(Value::Kind::Int))
    B.Min = Pool.get("min").getInt();
  if (!B.Max && Pool.get("max").is(Value::Kind::Int))
    B.Max = Pool.get("max").getInt();
  if (!B.Min)
    B.Min = B.Initial ? *B.Initial : 1;
  if (!B.Initial)
    B.Initial = B.Min;
  return B;
}

//===----------------------------------------------------------------------===//
// Build and dev container fields: each value that lands in a Dockerfile
// instruction, a `--mount` option list, .dockerignore or a devcontainer.json
// mount string is checked here at its type, so that no value can end a line
// or add an option (issue 26). The emitters quote what may still be textual.
//===----------------------------------------------------------------------===//

bool isControl(char C) { return static_cast<unsigned char>(C) < 0x20 || C == 0x7f; }

/// A character as messages name it.
std::string describeChar(char C) {
  switch (C) {
  case '\n': return "a newline";
  case '\r': return "a carriage return";
  case '\t': return "a tab";
  case ' ': return "a space";
  case ',': return "a comma";
  case '"': return "a `\"`";
  case '\'': return "a `'`";
  case '\\': return "a `\\`";
  case '$': return "a `$`";
  case '`': return "a backtick";
  default: break;
  }
  if (isControl(C))
    return "the control character U+00" + llvm::utohexstr(static_cast<unsigned char>(C), false, 2);
  // One byte of a UTF-8 sequence is not text a message can show.
  if (static_cast<unsigned char>(C) >= 0x80)
    return "a non-ASCII character";
  return "`" + std::string(1, C) + "`";
}

/// A value as messages show it: control characters escaped, long ones cut, so
/// that a diagnostic about a newline is itself one line.
std::string shown(llvm::StringRef S) {
  size_t Keep = std::min<size_t>(S.size(), 60);
  // Cut between UTF-8 sequences, never inside one.
  while (Keep < S.size() && Keep > 0 && (static_cast<unsigned char>(S[Keep]) & 0xC0) == 0x80)
    --Keep;
  std::string Out;
  for (char C : S.take_front(Keep)) {
    if (C == '\n')
      Out += "\\n";
    else if (C == '\r')
      Out += "\\r";
    else if (C == '\t')
      Out += "\\t";
    else if (isControl(C))
      Out += "\\x" + llvm::utohexstr(static_cast<unsigned char>(C), false, 2);
    else
      Out += C;
  }
  if (Keep < S.size())
    Out += "...";
  return Out;
}

/// "a newline in `v`": what a check found, for the messages.
std::string foundIn(char C, llvm::StringRef S) { return describeChar(C) + " in `" + shown(S) + "`"; }

/// Why Ref is not a Docker image reference (distribution/reference grammar:
/// `[host[:port]/]path[:tag][@algorithm:hex]`), or "" when it is one.
std::string imageReferenceProblem(llvm::StringRef Ref) {
  static const llvm::Regex Component("^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*$");
  static const llvm::Regex Tag("^[A-Za-z0-9_][A-Za-z0-9_.-]*$");
  static const llvm::Regex Digest("^[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]+$");
  static const llvm::Regex Host("^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
                                "(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
                                "|\\[[0-9a-fA-F:]+\\])(:[0-9]+)?$");
  if (Ref.empty())
    return "an empty string";
  for (char C : Ref)
    if (isControl(C) || C == ' ')
      return foundIn(C, Ref);
  llvm::StringRef Name = Ref;
  size_t At = Ref.find('@');
  if (At != llvm::StringRef::npos) {
    llvm::StringRef D = Ref.drop_front(At + 1);
    Name = Ref.take_front(At);
    if (!Digest.match(D) || D.size() - D.find(':') - 1 < 32)
      return "digest `" + shown(D) + "`, not `algorithm:hex` with at least 32 hex digits";
  }
  size_t Slash = Name.rfind('/'), Colon = Name.rfind(':');
  if (Colon != llvm::StringRef::npos && (Slash == llvm::StringRef::npos || Colon > Slash)) {
    llvm::StringRef T = Name.drop_front(Colon + 1);
    Name = Name.take_front(Colon);
    if (!Tag.match(T) || T.size() > 128)
      return "tag `" + shown(T) +
             "`, not 1 to 128 letters, digits, `_`, `.` and `-` starting with a letter, digit or `_`";
  }
  if (Name.size() > 255)
    return "a name of " + std::to_string(Name.size()) + " characters, over the limit of 255";
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  Name.split(Parts, '/');
  size_t First = 0;
  // As distribution/reference splits: the first part names a registry when
  // it has a `.` or `:`, is `localhost`, or is not lower case.
  if (Parts.size() > 1 && (Parts[0].contains('.') || Parts[0].contains(':') ||
                           Parts[0] == "localhost" || Parts[0].lower() != Parts[0])) {
    if (!Host.match(Parts[0]))
      return "registry `" + shown(Parts[0]) + "`, not a host name or `[IPv6]` with an optional `:port`";
    First = 1;
  }
  for (llvm::StringRef P : llvm::makeArrayRef(Parts).drop_front(First)) {
    if (P.empty())
      return "an empty path component in `" + shown(Name) + "`";
    if (Component.match(P))
      continue;
    if (P.lower() != P)
      return "upper-case letters in `" + shown(P) + "`";
    return "path component `" + shown(P) +
           "`, not lower-case letters and digits separated by `.`, `_`, `__` or `-`";
  }
  return "";
}

/// Where a path is written, which decides what it cannot hold.
enum class PathUse {
  Quoted,     ///< `WORKDIR`, a devcontainer.json mount: the emitter quotes it.
  BuildMount, ///< A `RUN --mount=` option: a comma-separated list within a flag,
              ///< two layers of quoting deployc does not write.
};

bool breaks(PathUse U, char C) {
  if (U == PathUse::Quoted)
    return isControl(C);
  return isControl(C) || C == ' ' || C == ',' || C == '"' || C == '\'' || C == '\\' || C == '$';
}

const char *acceptedPath(PathUse U, bool Absolute) {
  if (U == PathUse::BuildMount)
    return "an absolute path without spaces, commas, quotes, `\\`, `$` or control characters";
  return Absolute ? "an absolute path without control characters"
                  : "a path without control characters";
}

/// Why Path cannot be written where U says (or is not absolute when it must
/// be), or "".
std::string pathProblem(llvm::StringRef Path, PathUse U, bool Absolute) {
  for (char C : Path)
    if (breaks(U, C))
      return foundIn(C, Path);
  if (Path.empty())
    return "an empty string";
  if (Absolute && !Path.startswith("/"))
    return "the relative path `" + shown(Path) + "`";
  return "";
}

/// The accepted forms of the names D3018 checks.
struct NameForm {
  const char *What;
  const char *Pattern;
  const char *Punctuation; ///< What Pattern admits besides letters and digits.
  const char *Accepted;
};
const NameForm UserForm{"user", "^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$",
                        "_.-:",
                        "a user name or uid of letters, digits, `_`, `.` and `-` (not starting "
                        "with `-` or `.`), optionally followed by `:group` of the same"};
const NameForm EnvNameForm{"environment variable name", "^[A-Za-z_][A-Za-z0-9_]*$", "_",
                           "letters, digits and `_`, not starting with a digit"};
const NameForm SecretIdForm{"build secret id", "^[A-Za-z0-9_.-]+$", "_.-",
                            "letters, digits, `_`, `.` and `-`"};
const NameForm CacheIdForm{"cache id", "^[A-Za-z0-9_.:/-]+$", "_.:/-",
                           "letters, digits, `_`, `.`, `:`, `/` and `-`"};

/// Why S is not a name of Form, or "": the first character the form does
/// not admit, else the whole value (a misplaced character).
std::string nameProblem(const NameForm &Form, llvm::StringRef S) {
  if (S.empty())
    return "an empty string";
  // Compiled once: this runs for every build of every environment.
  static const llvm::Regex User(UserForm.Pattern), EnvName(EnvNameForm.Pattern),
      SecretId(SecretIdForm.Pattern), CacheId(CacheIdForm.Pattern);
  const llvm::Regex &R = &Form == &UserForm      ? User
                         : &Form == &EnvNameForm ? EnvName
                         : &Form == &SecretIdForm ? SecretId
                                                  : CacheId;
  if (R.match(S))
    return "";
  for (char C : S)
    if (!llvm::isAlnum(C) && !llvm::StringRef(Form.Punctuation).contains(C))
      return foundIn(C, S);
  return "`" + shown(S) + "`";
}

/// Where a key or label was written: the entry whose value (or block) was
/// evaluated from Origin. Values remember where their text is, keys do not.
std::optional<SourceRange> keyRange(const Block *B, SourceRange Origin);

std::optional<SourceRange> keyRangeIn(const Expr *E, SourceRange Origin) {
  if (!E)
    return std::nullopt;
  if (auto *C = llvm::dyn_cast<CallExpr>(E)) {
    for (const Expr *A : C->Args)
      if (auto R = keyRangeIn(A, Origin))
        return R;
    return C->Options ? keyRange(C->Options, Origin) : std::nullopt;
  }
  if (auto *L = llvm::dyn_cast<ListExpr>(E)) {
    for (const Expr *El : L->Elements)
      if (auto R = keyRangeIn(El, Origin))
        return R;
    return std::nullopt;
  }
  if (auto *K = llvm::dyn_cast<ConstructorExpr>(E))
    return keyRange(K->Body, Origin);
  if (auto *BE = llvm::dyn_cast<BlockExpr>(E))
    return keyRange(BE->Body, Origin);
  if (auto *I = llvm::dyn_cast<IfExpr>(E)) {
    if (auto R = keyRangeIn(I->Then, Origin))
      return R;
    return keyRangeIn(I->Else, Origin);
  }
  return std::nullopt;
}

std::optional<SourceRange> keyRange(const Block *B, SourceRange Origin) {
  if (!B)
    return std::nullopt;
  for (const Entry *En : B->Entries) {
    SourceRange Key = En->Label ? En->Label->Range : En->Key.Range;
    if (En->getRange() == Origin)
      return Key;
    if (auto *A = llvm::dyn_cast<AssignEntry>(En)) {
      if (A->Value && A->Value->getRange() == Origin)
        return Key;
      if (auto R = keyRangeIn(A->Value, Origin))
        return R;
    } else if (auto *BE = llvm::dyn_cast<BlockEntry>(En)) {
      if (auto R = keyRange(BE->Body, Origin))
        return R;
    }
  }
  return std::nullopt;
}

class Validator {
public:
  explicit Validator(Program &P) : P(P), Diags(P.Diags) {}

  //===--------------------------------------------------------------------===//
  // Stage 1: schema
  //===--------------------------------------------------------------------===//

  void runSchema(const EnvironmentModel &M) {
    Env = &M;
    if (M.Decl)
      checkRequired(M.Env, *getDeclSchema(DeclKind::Environment), describe(M.Decl), M.Decl,
                    M.Decl->Name.Range);
    for (const EvaluatedDecl &E : M.Decls) {
      if (!isUserDecl(E.Decl))
        continue;
      checkRequired(E.Val, *getDeclSchema(E.Decl->Kind), describe(E.Decl), E.Decl,
                    E.Decl->Name.Range);
      checkImageOrBuild(E);
      checkScalarRanges(E);
      checkQuantityRanges(E);
      checkCanarySteps(E);
      checkRequestsAgainstLimits(E.Val, E.Decl);
      checkPortNumbers(E);
      checkCronLabels(E);
      checkBuildFields(E);
    }
    if (M.Decl) {
      checkScalarRanges({M.Decl, M.Env});
      checkQuantityRanges({M.Decl, M.Env});
    }
  }

  bool isUserFile(FileID F) {
    if (UserFiles.empty())
      for (const Module *M : P.Modules)
        if (!M->IsStdlib)
          UserFiles.insert(M->File);
    return UserFiles.count(F);
  }

  bool isUserDecl(const BlockDecl *D) const {
    const Module *M = P.getModule(D);
    return M && !M->IsStdlib;
  }

  void checkRequired(const Value &Obj, const BlockSchema &S, const std::string &What,
                     const BlockDecl *D, SourceRange Where) {
    if (!Obj.is(Value::Kind::Object))
      return;
    for (const FieldDef &F : S.Fields) {
      const Value *V = Obj.getField(F.Name);
      if (!V) {
        if (F.isRequired())
          Diags.report(DiagID::MissingRequiredField, Where, {What, F.Name.str()});
        continue;
      }
      if (V->isPoison())
        continue;
      if (F.isLabelled() && V->is(Value::Kind::Object)) {
        for (const auto &[Label, Child] : V->getFields())
          descend(Child, F, What + ", " + F.Name.str() + " `" + Label + "`", D);
        continue;
      }
      if (F.isRepeated() && V->is(Value::Kind::List)) {
        for (const Value &Child : V->getElements())
          descend(Child, F, What, D);
        continue;
      }
      descend(*V, F, What, D);
    }
  }

  void descend(const Value &V, const FieldDef &F, const std::string &What,
               const BlockDecl *D) {
    if (!V.is(Value::Kind::Object))
      return;
    if (!V.getTag().empty()) {
      const Type *T = F.valueType();
      if (T->is(TypeKind::Variant))
        if (const BlockSchema *S = getConstructorSchema(T->Variant, V.getTag()))
          checkRequired(V, *S, "`" + V.getTag() + "` " + F.Name.str() + " of " + What, D,
                        at(V, D));
      return;
    }
    if (F.Block)
      checkRequired(V, *F.Block, "`" + F.Name.str() + "` of " + What, D, at(V, D));
  }

  void checkImageOrBuild(const EvaluatedDecl &E) {
    if (!isWorkload(E.Decl->Kind))
      return;
    const Value *Image = E.Val.getField("image");
    const Value *Build = E.Val.getField("build");
    if (Image && Build)
      Diags.report(DiagID::ImageAndBuild, at(*Build, E.Decl),
                   {describe(E.Decl), "sets both `image` and `build`; remove one"})
          .note(DiagID::NotePreviousSet, Image->getOrigin());
    else if (!Image && !Build)
      Diags.report(DiagID::ImageAndBuild, E.Decl->Name.Range,
                   {describe(E.Decl), "has neither `image` nor `build`; set one of them"});
  }

  void checkScalarRanges(const EvaluatedDecl &E) {
    walk(E.Val, "", [&](const Value &V, const std::string &Path) {
      llvm::StringRef Field = lastSegment(Path);
      if (V.is(Value::Kind::Percent) && (V.getFloat() < 0 || V.getFloat() > 100))
        Diags.report(DiagID::PercentOutOfRange, at(V, E.Decl),
                     {Path, V.toDisplayString()});
      if (V.is(Value::Kind::Int) && V.getInt() < 0 &&
          (Field == "replicas" || Field == "failure_threshold" ||
           Field == "success_threshold" || Field == "retries" || Field == "min" ||
           Field == "max" || Field == "length" || Field == "preview_replicas" ||
           Field == "prefetch" || Field == "failure_limit" || Field == "pods"))
        Diags.report(DiagID::ValueOutOfRange, at(V, E.Decl),
                     {Path, "at least 0", V.toDisplayString()});
      if (V.is(Value::Kind::Int) && V.getInt() < 1 &&
          (Field == "per_replica" || Field == "run_as_user"))
        Diags.report(DiagID::ValueOutOfRange, at(V, E.Decl),
                     {Path, "at least 1", V.toDisplayString()});
      if (V.is(Value::Kind::Duration) && V.getInt() <= 0 &&
          (Field == "every" || Field == "period" || Field == "timeout" ||
           Field == "refresh" || Field == "interval" || Field == "check_every" ||
           Field == "scrape_interval"))
        Diags.report(DiagID::DurationNotPositive, at(V, E.Decl), {Path});
      if (V.is(Value::Kind::Duration) && V.getInt() < 0 &&
          !(Field == "every" || Field == "period" || Field == "timeout" ||
            Field == "refresh" || Field == "interval" || Field == "check_every" ||
            Field == "scrape_interval"))
        Diags.report(DiagID::ValueOutOfRange, at(V, E.Decl),
                     {Path, "zero or longer", V.toDisplayString()});
      if (V.is(Value::Kind::Range)) {
        const Value &Lo = V.getLow(), &Hi = V.getHigh();
        if (Lo.is(Value::Kind::Int) && Hi.is(Value::Kind::Int)) {
          if (Lo.getInt() < 0)
            Diags.report(DiagID::ValueOutOfRange, at(Lo, E.Decl),
                         {Path, "at least 0", Lo.toDisplayString()});
          if (Lo.getInt() > Hi.getInt())
            Diags.report(DiagID::RangeMinAboveMax, at(V, E.Decl),
                         {Lo.toDisplayString(), Hi.toDisplayString()});
        }
      }
      if (Field == "schedule" && V.is(Value::Kind::String))
        checkCron(V.getString(), at(V, E.Decl));
    });
    // Pools have two fields rather than a range.
    const Value &Pool = E.Val.get("pool");
    if (Pool.get("min").is(Value::Kind::Int) && Pool.get("max").is(Value::Kind::Int) &&
        Pool.get("min").getInt() > Pool.get("max").getInt())
      Diags.report(DiagID::RangeMinAboveMax, at(Pool.get("min"), E.Decl),
                   {Pool.get("min").toDisplayString(), Pool.get("max").toDisplayString()});
  }

  /// Every cpu and memory amount is 0 or more, and every quantity and count
  /// at most getQuantityMax of its kind, so that lowering and the back ends
  /// never see a negative or overflowing amount. Negative durations and
  /// counts are checkScalarRanges' business, which knows the fields where
  /// zero is not enough.
  void checkQuantityRanges(const EvaluatedDecl &E) {
    walk(E.Val, "", [&](const Value &V, const std::string &Path) {
      // Patches are Kubernetes' own fields, each with its own range; port
      // numbers have theirs (D3006).
      llvm::StringRef Field = lastSegment(Path);
      if (Field == "port" || Field == "forward_ports" || Field == "expose")
        return;
      if (!isQuantityInRange(V) && !llvm::StringRef(Path).startswith("patch."))
        Diags.report(DiagID::ValueOutOfRange, at(V, E.Decl),
                     {Path, describeQuantityRange(V.getKind()), asWritten(V)});
    });
  }

  /// The value as the user wrote it, when it is a literal: `-1Gi` rather
  /// than `-1073741824`. A cpu amount from a parameter that did not fit in
  /// millicores was saturated, so its display would name a number nobody
  /// wrote.
  std::string asWritten(const Value &V) const {
    SourceRange R = V.getOrigin();
    llvm::StringRef Text = R.isValid() ? P.SM.getText(R) : "";
    llvm::StringRef Digits = Text.startswith("-") ? Text.drop_front() : Text;
    if (!Digits.empty() && llvm::isDigit(Digits.front()) && Text.size() <= 40)
      return Text.str();
    if (V.is(Value::Kind::Cpu) && V.getInt() == std::numeric_limits<int64_t>::max())
      return "more than " + formatCpu(V.getInt() / 1000 * 1000) + " cores";
    if (V.is(Value::Kind::Cpu) && V.getInt() == std::numeric_limits<int64_t>::min())
      return "less than " + formatCpu(V.getInt() / 1000 * 1000) + " cores";
    return V.toDisplayString();
  }

  void checkCanarySteps(const EvaluatedDecl &E) {
    const Value &S = E.Val.get("strategy");
    if (!S.is(Value::Kind::Object) || S.getTag() != "canary")
      return;
    const Value &Steps = S.get("steps");
    if (!Steps.is(Value::Kind::List))
      return;
    if (Steps.getElements().empty()) {
      Diags.report(DiagID::EmptyList, at(Steps, E.Decl), {"steps"});
      return;
    }
    const Value *Prev = nullptr;
    for (const Value &W : Steps.getElements()) {
      if (!W.is(Value::Kind::Percent))
        return;
      if (Prev && W.getFloat() <= Prev->getFloat())
        Diags.report(DiagID::CanaryWeightsNotIncreasing, at(W, E.Decl),
                     {W.toDisplayString(), Prev->toDisplayString()});
      Prev = &W;
    }
    if (Prev && Prev->getFloat() != 100)
      Diags.report(DiagID::CanaryLastWeightNot100, at(*Prev, E.Decl),
                   {Prev->toDisplayString()});
  }

  void checkRequestsAgainstLimits(const Value &V, const BlockDecl *D) {
    auto checkOne = [&](const Value &R) {
      const Value &Cpu = R.get("cpu"), &CpuReq = R.get("cpu_request");
      if (Cpu.is(Value::Kind::Cpu) && CpuReq.is(Value::Kind::Cpu) &&
          isQuantityInRange(Cpu) && isQuantityInRange(CpuReq) &&
          CpuReq.getInt() > Cpu.getInt())
        Diags.report(DiagID::CpuRequestAboveLimit, at(CpuReq, D),
                     {CpuReq.toDisplayString(), Cpu.toDisplayString()})
            .note(DiagID::NotePreviousSet, Cpu.getOrigin());
      const Value &Mem = R.get("memory"), &MemReq = R.get("memory_request");
      if (Mem.is(Value::Kind::Memory) && MemReq.is(Value::Kind::Memory) &&
          isQuantityInRange(Mem) && isQuantityInRange(MemReq) &&
          MemReq.getInt() != Mem.getInt())
        Diags.report(DiagID::MemoryRequestNotLimit, at(MemReq, D),
                     {MemReq.toDisplayString(), Mem.toDisplayString()});
    };
    if (D->Kind == DeclKind::ResourceTier) {
      checkOne(V);
      return;
    }
    const Value &R = V.get("resources");
    if (R.is(Value::Kind::Object))
      checkOne(R);
    for (const char *Group : {"init", "sidecar"})
      for (const auto &[Name, C] : V.get(Group).getFields())
        if (C.get("resources").is(Value::Kind::Object))
          checkOne(C.get("resources"));
  }

  void checkPortNumbers(const EvaluatedDecl &E) {
    std::map<int64_t, std::string> Seen;
    for (const auto &[Name, Port] : E.Val.get("port").getFields()) {
      const Value &N = Port.get("port");
      if (!N.is(Value::Kind::Int))
        continue;
      if (N.getInt() < 1 || N.getInt() > 65535)
        continue;
      auto [It, Inserted] = Seen.emplace(N.getInt(), Name);
      if (!Inserted)
        Diags.report(DiagID::DuplicatePortNumber, at(N, E.Decl),
                     {N.toDisplayString(), It->second, Name});
    }
    walk(E.Val, "", [&](const Value &V, const std::string &Path) {
      llvm::StringRef Field = lastSegment(Path);
      if (Field != "port" && Field != "forward_ports" && Field != "expose")
        return;
      if (V.is(Value::Kind::Int) && (V.getInt() < 1 || V.getInt() > 65535))
        Diags.report(DiagID::PortOutOfRange, at(V, E.Decl), {V.toDisplayString()});
    });
  }

  void checkCronLabels(const EvaluatedDecl &E) {
    if (E.Decl->Kind != DeclKind::Service && E.Decl->Kind != DeclKind::Worker)
      return;
    // `schedule "0 8 * * 1-5" { min = 10 }`: the cron is the label.
    std::function<void(const Block &)> Scan = [&](const Block &B) {
      for (const Entry *En : B.Entries) {
        auto *BE = llvm::dyn_cast<BlockEntry>(En);
        if (!BE)
          continue;
        if (BE->Key.Name == "scaling")
          for (const Entry *S : BE->Body->Entries)
            if (S->Key.Name == "schedule" && S->Label) {
              if (checkCron(S->Label->Name, S->Label->Range))
                checkScheduleWindow(E, S->Label->Name, S->Label->Range);
            }
        if (BE->Key.Name == "on")
          Scan(*BE->Body);
      }
    };
    Scan(*E.Decl->Body);
  }

  /// KEDA's cron trigger needs the window's end as a cron expression too:
  /// start + duration, which exists only for a fixed start minute and hour
  /// and a window shorter than a day.
  void checkScheduleWindow(const EvaluatedDecl &E, const std::string &Cron, SourceRange Where) {
    llvm::SmallVector<llvm::StringRef, 5> F;
    llvm::StringRef(Cron).split(F, ' ', -1, false);
    unsigned Minute, Hour;
    std::string Problem;
    if (F.size() != 5 || F[0].getAsInteger(10, Minute) || F[1].getAsInteger(10, Hour))
      Problem = "it must start at a fixed minute and hour, such as `0 8 * * 1-5`";
    const Value &Duration = E.Val.get("scaling").get("schedule").get(Cron).get("duration");
    if (Problem.empty() && Duration.is(Value::Kind::Duration) && Duration.getInt() >= 86'400'000)
      Problem = "it must be shorter than a day; use a window per day instead";
    if (!Problem.empty())
      Diags.report(DiagID::ScheduleWindowUnsupported, Where, {Cron, Problem});
  }

  /// Validates a five-field cron expression (or an @-macro).
  bool checkCron(const std::string &Text, SourceRange Where) {
    std::string Problem = cronProblem(Text);
    if (!Problem.empty())
      Diags.report(DiagID::InvalidCron, Where, {Text, Problem});
    return Problem.empty();
  }

  static std::string cronProblem(llvm::StringRef Text) {
    static const char *Macros[] = {"@yearly", "@annually", "@monthly", "@weekly",
                                   "@daily", "@midnight", "@hourly"};
    if (Text.startswith("@")) {
      for (const char *M : Macros)
        if (Text == M)
          return "";
      return "unknown macro; use @hourly, @daily, @weekly, @monthly or @yearly";
    }
    llvm::SmallVector<llvm::StringRef, 8> Fields;
    Text.split(Fields, ' ', -1, /*KeepEmpty=*/false);
    if (Fields.size() != 5)
      return "expected 5 fields (minute hour day-of-month month day-of-week), found " +
             std::to_string(Fields.size());
    static const struct {
      const char *Name;
      int Min, Max;
    } Specs[] = {{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31},
                 {"month", 1, 12}, {"day of week", 0, 7}};
    static const char *Months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    static const char *Days[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
    for (unsigned I = 0; I < 5; ++I) {
      auto value = [&](llvm::StringRef Tok, int &Out) {
        if (!Tok.getAsInteger(10, Out))
          return Out >= Specs[I].Min && Out <= Specs[I].Max;
        std::string Up = Tok.upper();
        if (I == 3)
          for (int M = 0; M < 12; ++M)
            if (Up == Months[M]) {
              Out = M + 1;
              return true;
            }
        if (I == 4)
          for (int D = 0; D < 7; ++D)
            if (Up == Days[D]) {
              Out = D;
              return true;
            }
        return false;
      };
      llvm::SmallVector<llvm::StringRef, 4> Items;
      Fields[I].split(Items, ',');
      for (llvm::StringRef Item : Items) {
        llvm::StringRef Base = Item, Step;
        std::tie(Base, Step) = Item.split('/');
        if (Item.contains('/')) {
          int S;
          if (Step.getAsInteger(10, S) || S <= 0)
            return "bad step `" + Step.str() + "` in the " + Specs[I].Name + " field";
        }
        if (Base == "*")
          continue;
        llvm::StringRef Lo, Hi;
        std::tie(Lo, Hi) = Base.split('-');
        int A, B;
        if (!value(Lo, A))
          return "`" + Lo.str() + "` is not a valid " + Specs[I].Name + " (" +
                 std::to_string(Specs[I].Min) + "-" + std::to_string(Specs[I].Max) + ")";
        if (Base.contains('-')) {
          if (!value(Hi, B))
            return "`" + Hi.str() + "` is not a valid " + Specs[I].Name + " (" +
                   std::to_string(Specs[I].Min) + "-" + std::to_string(Specs[I].Max) + ")";
          if (A > B)
            return "range `" + Base.str() + "` in the " + Specs[I].Name +
                   " field runs backwards";
        }
      }
    }
    return "";
  }

  //===--------------------------------------------------------------------===//
  // Build and dev container fields at their types (issue 26)
  //===--------------------------------------------------------------------===//

  /// Every string of a build or dev container that a back end writes into a
  /// Dockerfile line, a mount option list or .dockerignore, at its type.
  void checkBuildFields(const EvaluatedDecl &E) {
    if (E.Decl->Kind == DeclKind::Build)
      checkBuild(E.Val, E.Decl);
    else if (E.Decl->Kind == DeclKind::DevContainer)
      checkDevContainerFields(E.Val, E.Decl);
  }

  /// Where a key or label (an env name, a cache path) was written.
  SourceRange atKey(const Value &Child, const BlockDecl *D) {
    if (auto R = keyRange(D->Body, Child.getOrigin()))
      return *R;
    return at(Child, D);
  }

  void checkBuild(const Value &B, const BlockDecl *D) {
    checkImageReference(B.get("image"), "image", "", D);
    for (const Value &Pattern : B.get("ignore").getElements())
      checkNoControl(Pattern, "ignore", "a .dockerignore line", D);
    std::vector<std::string> Earlier;
    for (const auto &[Stage, S] : B.get("stage").getFields()) {
      std::string Path = "stage." + Stage + ".";
      const Value &From = S.get("from");
      // A stage built on an earlier one is written as that stage's name.
      if (!From.is(Value::Kind::String) || !llvm::is_contained(Earlier, From.getString()))
        checkImageReference(From, Path + "from", ", or the name of an earlier stage", D);
      checkPath(S.get("workdir"), Path + "workdir", PathUse::Quoted, true, at(S.get("workdir"), D));
      checkName(S.get("user"), Path + "user", UserForm, at(S.get("user"), D));
      for (const auto &[Key, Val] : S.get("env").getFields()) {
        checkName(Value::string(Key, {}), Path + "env", EnvNameForm, atKey(Val, D));
        checkNoControl(Val, Path + "env." + Key, "a Dockerfile `ENV` line", D);
      }
      for (const char *Steps : {"system", "install", "build"})
        for (const Value &Step : S.get(Steps).getElements())
          checkRunMounts(Step, Path + Steps, D);
      Earlier.push_back(Stage);
    }
  }

  /// Cache and secret mounts become `--mount=type=...,target=...` options.
  void checkRunMounts(const Value &Step, const std::string &Path, const BlockDecl *D) {
    for (const auto &[Target, C] : Step.get("cache").getFields()) {
      checkPath(Value::string(Target, {}), Path + " cache", PathUse::BuildMount, true, atKey(C, D));
      checkName(C.get("id"), Path + " cache id", CacheIdForm, at(C.get("id"), D));
    }
    for (const auto &[Id, S] : Step.get("secret").getFields()) {
      checkName(Value::string(Id, {}), Path + " secret", SecretIdForm, atKey(S, D));
      checkPath(S.get("target"), Path + " secret target", PathUse::BuildMount, true,
                at(S.get("target"), D));
      checkName(S.get("env"), Path + " secret env", EnvNameForm, at(S.get("env"), D));
    }
  }

  void checkDevContainerFields(const Value &C, const BlockDecl *D) {
    checkName(C.get("remote_user"), "remote_user", UserForm, at(C.get("remote_user"), D));
    for (const auto &[Key, Val] : C.get("env").getFields())
      checkName(Value::string(Key, {}), "env", EnvNameForm, atKey(Val, D));
    for (const auto &[Target, Source] : C.get("mount").getFields()) {
      checkPath(Value::string(Target, {}), "mount", PathUse::Quoted, true, atKey(Source, D));
      checkPath(Source, "mount \"" + shown(Target) + "\"", PathUse::Quoted, false,
                at(Source, D));
    }
  }

  void checkImageReference(const Value &Ref, const std::string &Path, const char *Hint,
                           const BlockDecl *D) {
    if (!Ref.is(Value::Kind::String))
      return;
    std::string Problem = imageReferenceProblem(Ref.getString());
    if (!Problem.empty())
      Diags.report(DiagID::InvalidImageReference, at(Ref, D), {Path, Problem, Hint});
  }

  void checkPath(const Value &P, const std::string &Path, PathUse U, bool Absolute,
                 SourceRange Where) {
    if (!P.is(Value::Kind::String))
      return;
    std::string Problem = pathProblem(P.getString(), U, Absolute);
    if (!Problem.empty())
      Diags.report(DiagID::InvalidBuildPath, Where, {Path, acceptedPath(U, Absolute), Problem});
  }

  void checkName(const Value &N, const std::string &Path, const NameForm &Form,
                 SourceRange Where) {
    if (!N.is(Value::Kind::String))
      return;
    std::string Problem = nameProblem(Form, N.getString());
    if (!Problem.empty())
      Diags.report(DiagID::InvalidBuildName, Where, {Path, Form.What, Problem, Form.Accepted});
  }

  /// Carrier: what the value is written into, for the message.
  void checkNoControl(const Value &S, const std::string &Path, const char *Carrier,
                      const BlockDecl *D) {
    if (!S.is(Value::Kind::String))
      return;
    const std::string &Text = S.getString();
    auto It = llvm::find_if(Text, isControl);
    if (It != Text.end())
      Diags.report(DiagID::ControlCharacterInBuild, at(S, D),
                   {Path, describeChar(*It), Carrier});
  }

  //===--------------------------------------------------------------------===//
  // Stage 2: references
  //===--------------------------------------------------------------------===//

  void runReference(const EnvironmentModel &M) {
    Env = &M;
    checkFeatureToggles(M);
    for (const EvaluatedDecl &E : M.Decls) {
      if (!isUserDecl(E.Decl))
        continue;
      checkProbePorts(E);
      checkStageNames(E, M);
    }
  }

  void checkUnusedDeclarations() {
    checkUnusedSecrets();
    checkUnusedParams();
  }

  void checkUnusedSecrets() {
    for (const BlockDecl *D : P.getDecls(DeclKind::Secret))
      if (isUserDecl(D) && !P.UseCounts.lookup(D))
        Diags.report(DiagID::UnusedSecret, D->Name.Range, {D->Name.Name});
  }

  void checkUnusedParams() {
    for (const ParamDecl *D : P.Params) {
      const Module *M = P.getModule(D);
      if (M && !M->IsStdlib && !P.UseCounts.lookup(D))
        Diags.report(DiagID::UnusedParam, D->Name.Range, {D->Name.Name});
    }
  }

  void checkFeatureToggles(const EnvironmentModel &M) {
    if (!M.Decl)
      return;
    std::map<std::string, const BlockDecl *> Declared;
    for (const BlockDecl *F : P.getDecls(DeclKind::Feature))
      Declared[F->Name.Name] = F;
    if (Declared.empty() && !M.tierHas("feature_gating"))
      return;
    std::vector<std::string> Names;
    for (auto &[N, D] : Declared)
      Names.push_back(N);
    for (const auto &[Name, V] : M.Env.get("features").getFields()) {
      if (Declared.count(Name))
        continue;
      std::string Hint = didYouMean(Name, Names);
      if (Hint.empty())
        Hint = "; declare it with `feature " + Name + " { stage = experimental }`";
      SourceRange R = V.getOrigin();
      if (const Entry *E = findEntry(*M.Decl->Body, "features", Name))
        R = E->Key.Range;
      Diags.report(DiagID::UnknownFeature, R, {Name, Hint});
    }
  }

  static const Entry *findEntry(const Block &B, llvm::StringRef Block, llvm::StringRef Key) {
    for (const Entry *E : B.Entries)
      if (auto *BE = llvm::dyn_cast<BlockEntry>(E))
        if (BE->Key.Name == Block)
          for (const Entry *Inner : BE->Body->Entries)
            if (Inner->Key.Name == Key)
              return Inner;
    return nullptr;
  }

  void checkProbePorts(const EvaluatedDecl &E) {
    if (!isWorkload(E.Decl->Kind))
      return;
    std::set<int64_t> Declared;
    std::string Listing;
    for (const auto &[Name, Port] : E.Val.get("port").getFields())
      if (Port.get("port").is(Value::Kind::Int)) {
        Declared.insert(Port.get("port").getInt());
        Listing += (Listing.empty() ? "; declared: " : ", ") + Name + " (" +
                   Port.get("port").toDisplayString() + ")";
      }
    for (const char *Probe : {"liveness", "readiness", "startup"}) {
      const Value &V = E.Val.get("health").get(Probe);
      const Value &N = V.get("port");
      if (N.is(Value::Kind::Int) && !V.getField("port_name") && !Declared.count(N.getInt()))
        Diags.report(DiagID::UndeclaredPortNumber, at(N, E.Decl),
                     {describe(E.Decl), N.toDisplayString(), Listing});
    }
  }

  void checkStageNames(const EvaluatedDecl &E, const EnvironmentModel &M) {
    const BlockDecl *Build = nullptr;
    Value BuildVal;
    auto stageNames = [&](const Value &B) {
      std::vector<std::string> Names;
      for (const auto &[Name, S] : B.get("stage").getFields())
        Names.push_back(Name);
      return Names;
    };
    auto checkName = [&](const Value &Target, const std::vector<std::string> &Names,
                         SourceRange R) {
      if (!Target.is(Value::Kind::String) || llvm::is_contained(Names, Target.getString()))
        return;
      Diags.report(DiagID::UnknownStage, R,
                   {Build->Name.Name, Target.getString(),
                    didYouMean(Target.getString(), Names)});
    };
    if (E.Decl->Kind == DeclKind::Build) {
      Build = E.Decl;
      std::vector<std::string> Names = stageNames(E.Val);
      checkName(E.Val.get("target"), Names, at(E.Val.get("target"), E.Decl));
      std::vector<std::string> Earlier;
      for (const Entry *En : E.Decl->Body->Entries) {
        auto *BE = llvm::dyn_cast<BlockEntry>(En);
        if (!BE || BE->Key.Name != "stage" || !BE->Label)
          continue;
        const std::string &Stage = BE->Label->Name;
        for (const Entry *In : BE->Body->Entries) {
          if (In->Key.Name != "copy_from" || !In->Label)
            continue;
          const std::string &From = In->Label->Name;
          if (!llvm::is_contained(Names, From))
            checkName(Value::string(From, In->Label->Range), Names, In->Label->Range);
          else if (!llvm::is_contained(Earlier, From))
            Diags.report(DiagID::CopyFromLaterStage, In->Label->Range,
                         {Build->Name.Name, Stage,
                          From == Stage ? std::string("itself")
                                        : "`" + From + "`, which comes after it"});
        }
        Earlier.push_back(Stage);
      }
      return;
    }
    if (E.Decl->Kind == DeclKind::DevContainer) {
      const Value &B = E.Val.get("build");
      if (!B.is(Value::Kind::Ref))
        return;
      Build = B.getDecl();
      if (const Value *BV = M.find(Build))
        checkName(E.Val.get("target"), stageNames(*BV), at(E.Val.get("target"), E.Decl));
    }
  }

  //===--------------------------------------------------------------------===//
  // Stage 3: security
  //===--------------------------------------------------------------------===//

  void runSecurity(const EnvironmentModel &M) {
    Env = &M;
    for (const auto &[Name, V] : M.Params)
      scanForCredentials(V, Name, nullptr);
    if (M.Decl)
      scanForCredentials(M.Env, "", M.Decl);
    for (const EvaluatedDecl &E : M.Decls)
      if (isUserDecl(E.Decl))
        scanForCredentials(E.Val, "", E.Decl);
    for (const EvaluatedDecl &E : M.Decls)
      if (isUserDecl(E.Decl) && isWorkload(E.Decl->Kind)) {
        checkSecretReaders(E, M);
        checkImageRegistries(E, M);
        checkNonRootImage(E, M);
      }
    checkHelperImageRegistries(M);
    checkAgeRecipients(M);
    checkRestrictedNonRoot(M);
    if (M.tierHas("change_control"))
      checkChangeControl(M);
    if (M.tierHas("full_audit"))
      checkFullAudit(M);
  }

  struct CredentialPattern {
    const char *Regex;
    const char *What;
    /// Text every match contains, `|`-separated: the regex runs only on
    /// strings that hold one, which is rare among the strings users write.
    const char *Needles;
    /// A character every match contains besides, if any.
    char AlsoContains = 0;
  };

  static llvm::ArrayRef<CredentialPattern> credentialPatterns() {
    static const CredentialPattern Patterns[] = {
        {"-----BEGIN [A-Z ]*PRIVATE KEY-----", "a private key (PEM block)", "-----BEGIN "},
        {"-----BEGIN [A-Z ]+-----", "a PEM block", "-----BEGIN "},
        {"(^|[^A-Z0-9])(AKIA|ASIA)[0-9A-Z]{16}([^A-Z0-9]|$)", "an AWS access key id",
         "AKIA|ASIA"},
        {"gh[pousr]_[A-Za-z0-9]{36}", "a GitHub token", "ghp_|gho_|ghu_|ghs_|ghr_"},
        {"github_pat_[A-Za-z0-9_]{22,}", "a GitHub token", "github_pat_"},
        {"glpat-[A-Za-z0-9_-]{20}", "a GitLab token", "glpat-"},
        {"xox[abprs]-[A-Za-z0-9-]{10,}", "a Slack token", "xoxa-|xoxb-|xoxp-|xoxr-|xoxs-"},
        {"(sk|rk)_live_[A-Za-z0-9]{16,}", "a Stripe secret key", "sk_live_|rk_live_"},
        {"AIza[0-9A-Za-z_-]{35}", "a Google API key", "AIza"},
        {"npm_[A-Za-z0-9]{36}", "an npm token", "npm_"},
        {"eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]+", "a JSON web token",
         "eyJ"},
        {"[a-z][a-z0-9+.-]*://[^/:@ ]+:[^/@ ]{3,}@", "a URL with an embedded password", "://", '@'},
    };
    static_assert(std::size(Patterns) <= 32, "candidatePatterns returns a bit per pattern");
    return Patterns;
  }

  /// Every pattern's needles, ordered by first character, and where each
  /// first character's run of needles starts (plus one; 0 for none). Kept
  /// small: a table per character cost page faults on every start.
  struct NeedleIndex {
    std::vector<std::pair<llvm::StringRef, unsigned>> Needles;
    std::array<uint8_t, 256> FirstByChar{};
  };

  static const NeedleIndex &needleIndex() {
    static const NeedleIndex Index = [] {
      NeedleIndex X;
      llvm::ArrayRef<CredentialPattern> Patterns = credentialPatterns();
      for (unsigned I = 0; I < Patterns.size(); ++I) {
        llvm::SmallVector<llvm::StringRef, 5> Needles;
        llvm::StringRef(Patterns[I].Needles).split(Needles, '|');
        for (llvm::StringRef Needle : Needles)
          X.Needles.push_back({Needle, I});
      }
      llvm::stable_sort(X.Needles, [](const auto &A, const auto &B) {
        return A.first.front() < B.first.front();
      });
      assert(X.Needles.size() < 255 && "FirstByChar holds an index per character");
      for (size_t I = X.Needles.size(); I-- > 0;)
        X.FirstByChar[static_cast<unsigned char>(X.Needles[I].first.front())] = I + 1;
      return X;
    }();
    return Index;
  }

  /// The credential patterns (a bit each) whose needles S holds, found in one
  /// pass: this sees every string the user wrote.
  static uint32_t candidatePatterns(llvm::StringRef S) {
    const NeedleIndex &Index = needleIndex();
    uint32_t Found = 0;
    for (size_t I = 0, E = S.size(); I < E; ++I) {
      uint8_t First = Index.FirstByChar[static_cast<unsigned char>(S[I])];
      if (!First)
        continue;
      for (size_t N = First - 1; N < Index.Needles.size() && Index.Needles[N].first[0] == S[I];
           ++N)
        if (S.substr(I).startswith(Index.Needles[N].first))
          Found |= uint32_t(1) << Index.Needles[N].second;
    }
    return Found;
  }

  /// What the first credential pattern S matches looks like, if any.
  static const char *matchCredential(llvm::StringRef S) {
    uint32_t Candidates = candidatePatterns(S);
    llvm::ArrayRef<CredentialPattern> Patterns = credentialPatterns();
    for (unsigned I = 0; I < Patterns.size(); ++I)
      if (Patterns[I].AlsoContains && !S.contains(Patterns[I].AlsoContains))
        Candidates &= ~(uint32_t(1) << I);
    if (!Candidates)
      return nullptr;
    // Compiled when a string first holds a needle, which most specs never do.
    static const std::vector<llvm::Regex> Compiled = [] {
      std::vector<llvm::Regex> Out;
      for (const CredentialPattern &P : credentialPatterns())
        Out.emplace_back(P.Regex);
      return Out;
    }();
    for (unsigned I = 0; Candidates; ++I, Candidates >>= 1)
      if ((Candidates & 1) && Compiled[I].match(S))
        return Patterns[I].What;
    return nullptr;
  }

  static double entropy(llvm::StringRef S) {
    std::map<char, int> Counts;
    for (char C : S)
      ++Counts[C];
    double H = 0;
    for (auto &[C, N] : Counts) {
      double Pr = double(N) / S.size();
      H -= Pr * std::log2(Pr);
    }
    return H;
  }

  /// `topology.kubernetes.io/zone`, `kv/shop/db`: names and paths in lower
  /// case with dots or slashes. Hex and base64 credentials have neither.
  static bool looksLikeQualifiedName(llvm::StringRef S) {
    if (!S.contains('.') && !S.contains('/'))
      return false;
    return llvm::all_of(S, [](char C) {
      return (C >= 'a' && C <= 'z') || llvm::isDigit(C) || C == '.' || C == '/' || C == '-' ||
             C == '_';
    });
  }

  static bool nameLooksSecret(llvm::StringRef Name) {
    for (const char *Word : {"password", "passwd", "pwd", "secret", "token", "apikey",
                             "api_key", "private_key", "credential", "access_key",
                             "auth"})
      if (Name.contains_insensitive(Word))
        return true;
    return Name.endswith_insensitive("key") || Name.endswith_insensitive("_pass");
  }

  void scanForCredentials(const Value &Root, const std::string &Prefix,
                          const BlockDecl *D) {
    walk(Root, Prefix, [&](const Value &V, const std::string &Path) {
      if (!V.is(Value::Kind::String) || !V.getOrigin().isValid())
        return;
      // Only text the user wrote: a string that came from a literal in a user file.
      if (!isUserFile(V.getOrigin().File))
        return;
      llvm::StringRef S = V.getString();
      if (const char *What = matchCredential(S)) {
        Diags.report(DiagID::EmbeddedCredential, V.getOrigin(), {What});
        return;
      }
      llvm::StringRef Field = lastSegment(Path);
      // `component password: string = "..."`: the component names the value.
      if (Field == "default" && Path.size() > Field.size())
        Field = lastSegment(llvm::StringRef(Path).drop_back(Field.size() + 1));
      if (S.size() >= 8 && !S.contains(' ') && nameLooksSecret(Field) &&
          !looksLikeQualifiedName(S) && entropy(S) >= 3.0)
        Diags.report(DiagID::EmbeddedCredential, V.getOrigin(),
                     {"a credential in `" + Field.str() + "`"});
    });
  }

  /// The secrets a workload's value reads, each with where it is read.
  static void collectSecretReads(const Value &V,
                                 std::vector<std::pair<const BlockDecl *, SourceRange>> &Out) {
    walk(V, "", [&](const Value &X, const std::string &) {
      if (!X.is(Value::Kind::Secret))
        return;
      for (const Value::SecretPart &Part : X.getSecretParts())
        if (Part.Secret)
          Out.push_back({Part.Secret, X.getOrigin()});
    });
  }

  void checkSecretReaders(const EvaluatedDecl &W, const EnvironmentModel &M) {
    std::vector<std::pair<const BlockDecl *, SourceRange>> Reads;
    collectSecretReads(W.Val, Reads);
    std::set<const BlockDecl *> Reported;
    for (auto &[Secret, Where] : Reads) {
      const Value *SV = M.find(Secret);
      if (!SV || Reported.count(Secret))
        continue;
      const Value &Readers = SV->get("readers");
      bool Allowed = false;
      for (const Value &R : Readers.getElements())
        if (R.is(Value::Kind::Ref) && R.getDecl() == W.Decl)
          Allowed = true;
      if (Readers.isPoison())
        Allowed = true;
      if (!Allowed) {
        Reported.insert(Secret);
        auto D = Diags.report(DiagID::SecretReadByNonReader, Where,
                              {describe(W.Decl), Secret->Name.Name, W.Decl->Name.Name});
        if (Readers.getOrigin().isValid())
          D.note(DiagID::NoteReadersHere, Readers.getOrigin(), {Secret->Name.Name});
        else
          D.note(DiagID::NoteDeclaredHere, Secret->Name.Range, {Secret->Name.Name});
      }
      // Synthetic-data tiers may not read secrets of controlled-data tiers.
      const Value &Holds = SV->get("tier");
      if (M.tierHas("synthetic_data_only") && Holds.is(Value::Kind::Ref) &&
          Holds.getDecl() != M.TierDecl) {
        const Value *HeldTier = M.find(Holds.getDecl());
        bool Controlled = false;
        if (HeldTier)
          for (const Value &R : HeldTier->get("restrictions").getElements())
            if (R.is(Value::Kind::Enum) && R.getEnum() == "controlled_data")
              Controlled = true;
        if (Controlled && Reported.insert(Secret).second)
          Diags.report(DiagID::SyntheticTierReadsControlledSecret, Where,
                       {describe(W.Decl), Secret->Name.Name, Holds.getDecl()->Name.Name,
                        M.Name})
              .note(DiagID::NoteTierDeclaredHere, M.TierDecl->Name.Range,
                    {M.TierDecl->Name.Name});
      }
    }
  }

  /// The registry an image reference pulls from: its first segment when that
  /// names a host (with `.` or `:`, or `localhost`), else Docker Hub.
  static std::string imageRegistry(llvm::StringRef Image) {
    auto [First, Rest] = Image.split('/');
    if (!Rest.empty() && (First.contains('.') || First.contains(':') || First == "localhost"))
      return First.str();
    return "docker.io";
  }

  /// Whether Image comes from Allowed: a registry (`registry.example.com`)
  /// or a repository prefix in one (`registry.example.com/team`).
  static bool registryAllows(llvm::StringRef Image, llvm::StringRef Allowed) {
    Allowed = Allowed.rtrim('/');
    std::string Full = Image.str();
    if (imageRegistry(Image) == "docker.io" && !Image.startswith("docker.io/"))
      Full = "docker.io/" + Full;
    return llvm::StringRef(Full).startswith((Allowed + "/").str());
  }

  static bool imageAllowed(llvm::StringRef Image, const Value &Allowed) {
    for (const Value &A : Allowed.getElements())
      if (A.is(Value::Kind::String) && registryAllows(Image, A.getString()))
        return true;
    return false;
  }

  static std::string allowedListing(const Value &Allowed) {
    std::vector<std::string> Registries;
    for (const Value &A : Allowed.getElements())
      Registries.push_back(A.toDisplayString());
    return joinAlternatives(Registries);
  }

  void checkImageRegistries(const EvaluatedDecl &W, const EnvironmentModel &M) {
    const Value &Allowed = M.Env.get("security").get("allowed_registries");
    if (Allowed.getElements().empty())
      return;
    std::string Listing = allowedListing(Allowed);
    auto check = [&](const Value &Image, SourceRange Where) {
      if (!Image.is(Value::Kind::String))
        return;
      llvm::StringRef Ref = Image.getString();
      if (imageAllowed(Ref, Allowed))
        return;
      Diags.report(DiagID::ImageRegistryNotAllowed, Where,
                   {Ref.str(), describe(W.Decl), imageRegistry(Ref), M.Name, Listing})
          .note(DiagID::NoteAllowedRegistriesHere, Allowed.getOrigin(), {M.Name});
    };
    check(W.Val.get("image"), at(W.Val.get("image"), W.Decl));
    const Value &Build = W.Val.get("build");
    if (Build.is(Value::Kind::Ref))
      if (const Value *B = M.find(Build.getDecl()))
        check(B->get("image"), at(Build, W.Decl));
    for (const char *Kind : {"init", "sidecar"})
      for (const auto &[Name, C] : W.Val.get(Kind).getFields())
        check(C.get("image"), at(C.get("image"), W.Decl));
  }

  /// deployc's own pods run images the spec does not name (helper_images):
  /// they are held to allowed_registries too, through the environment's
  /// helper_registry, at what brings them in.
  void checkHelperImageRegistries(const EnvironmentModel &M) {
    const Value &Sec = M.Env.get("security");
    const Value &Allowed = Sec.get("allowed_registries");
    if (Allowed.getElements().empty() || !M.Decl)
      return;
    const Value &Mirror = Sec.get("helper_registry");
    std::string Registry = Mirror.is(Value::Kind::String) ? Mirror.getString() : "";
    std::string Listing = allowedListing(Allowed);
    auto check = [&](const char *Helper, const std::string &What, SourceRange Where) {
      std::string Image = helper_images::pulledFrom(Helper, Registry);
      if (imageAllowed(Image, Allowed))
        return;
      Diags.report(DiagID::HelperImageRegistryNotAllowed, Where,
                   {What, Image, imageRegistry(Image), M.Name, Listing})
          .note(DiagID::NoteAllowedRegistriesHere, Allowed.getOrigin(), {M.Name});
    };
    const Value &Backup = M.Env.get("backup");
    for (const Value &L : Backup.get("locations").getElements())
      if (L.is(Value::Kind::String) && helper_images::isObjectStore(L.getString())) {
        std::string Jobs = "the backup jobs of environment `" + M.Name + "`";
        check(helper_images::Restic, Jobs, at(Backup, M.Decl));
        check(helper_images::Kubectl, Jobs, at(Backup, M.Decl));
        break;
      }
    for (const EvaluatedDecl &E : M.Decls) {
      if (!isUserDecl(E.Decl) || !isWorkload(E.Decl->Kind))
        continue;
      const Value &Strategy = E.Val.get("strategy");
      if (!Strategy.is(Value::Kind::Object) || Strategy.getTag() != "blue_green")
        continue;
      for (const Value &P : Strategy.get("validate").getElements())
        if (P.is(Value::Kind::Object) && (P.getTag() == "http_get" || P.getTag() == "tcp")) {
          check(helper_images::Curl, "the blue-green checks of " + describe(E.Decl),
                at(P, E.Decl));
          break;
        }
    }
  }

  /// The keys embedded secrets are encrypted to must be keys, or the
  /// delivery fails only when `apply` gets there.
  void checkAgeRecipients(const EnvironmentModel &M) {
    if (!M.Decl)
      return;
    for (const Value &R : M.Env.get("security").get("age_recipients").getElements())
      if (R.is(Value::Kind::String) && !decodeAgeRecipient(R.getString()))
        Diags.report(DiagID::NotAnAgeRecipient, at(R, M.Decl), {R.getString()});
  }

  /// The restricted Pod Security level admits only pods that run as non-root.
  void checkRestrictedNonRoot(const EnvironmentModel &M) {
    const Value &Sec = M.Env.get("security");
    const Value &Level = Sec.get("pod_security");
    const Value &NonRoot = Sec.get("run_as_non_root");
    if (M.Decl && Level.is(Value::Kind::Enum) && Level.getEnum() == "restricted" &&
        NonRoot.is(Value::Kind::Bool) && !NonRoot.getBool())
      Diags.report(DiagID::RestrictedAllowsRoot, at(NonRoot, M.Decl), {M.Name})
          .note(DiagID::NotePreviousSet, Level.getOrigin());
  }

  /// Pods run as non-root by default: an image whose final stage sets the
  /// root user cannot start in them.
  void checkNonRootImage(const EvaluatedDecl &W, const EnvironmentModel &M) {
    const Value &Build = W.Val.get("build");
    const Value &NonRoot = M.Env.get("security").get("run_as_non_root");
    if (!Build.is(Value::Kind::Ref) || (NonRoot.is(Value::Kind::Bool) && !NonRoot.getBool()))
      return;
    const Value *B = M.find(Build.getDecl());
    if (!B)
      return;
    const auto &Stages = B->get("stage").getFields();
    if (Stages.empty())
      return;
    const Value &Target = B->get("target");
    const Value *Final = &Stages.back().second;
    for (const auto &[Name, S] : Stages)
      if (Target.is(Value::Kind::String) && Name == Target.getString())
        Final = &S;
    const Value &User = Final->get("user");
    if (!User.is(Value::Kind::String))
      return;
    llvm::StringRef Name = llvm::StringRef(User.getString()).split(':').first;
    if (Name == "root" || Name == "0")
      Diags.report(DiagID::ImageRunsAsRoot, at(User, Build.getDecl()),
                   {Build.getDecl()->Name.Name, User.getString(), M.Name});
  }

  /// Full audit needs metrics and a place for alerts to go.
  void checkFullAudit(const EnvironmentModel &M) {
    if (!M.Decl)
      return;
    const Value &Mon = M.Env.get("monitoring");
    std::string Missing;
    if (!Mon.get("prometheus").getBool())
      Missing = "metrics (`prometheus = true`)";
    else if (!Mon.get("alerts").is(Value::Kind::String))
      Missing = "alert routing (`alerts`)";
    if (Missing.empty())
      return;
    Diags.report(DiagID::AuditRequiresMonitoring, M.Decl->Name.Range,
                 {M.Name, Missing, M.TierDecl->Name.Name})
        .note(DiagID::NoteTierDeclaredHere, M.TierDecl->Name.Range, {M.TierDecl->Name.Name});
  }

  void checkChangeControl(const EnvironmentModel &M) {
    const std::string &Tier = M.TierDecl->Name.Name;
    for (const EvaluatedDecl &E : M.Decls) {
      if (!isUserDecl(E.Decl))
        continue;
      // A secret type's `rotation` interval is the default for its secrets.
      bool TypeRotates = false;
      if (const Value &T = E.Val.get("type"); T.is(Value::Kind::Ref))
        if (const Value *TV = M.find(T.getDecl()))
          TypeRotates = TV->get("rotation").is(Value::Kind::Duration);
      if (E.Decl->Kind == DeclKind::Secret && P.UseCounts.lookup(E.Decl) &&
          !E.Val.getField("rotation") && !TypeRotates)
        Diags.report(DiagID::RotationRequired, E.Decl->Name.Range, {E.Decl->Name.Name, Tier})
            .note(DiagID::NoteTierDeclaredHere, M.TierDecl->Name.Range, {Tier});
      if (E.Decl->Kind == DeclKind::Service) {
        for (const char *Probe : {"liveness", "readiness"})
          if (E.Val.get("health").get(Probe).isNull())
            Diags.report(DiagID::HealthChecksRequired, E.Decl->Name.Range,
                         {describe(E.Decl), Probe, Tier})
                .note(DiagID::NoteTierDeclaredHere, M.TierDecl->Name.Range, {Tier});
      }
      if (E.Decl->Kind == DeclKind::Service || E.Decl->Kind == DeclKind::Worker) {
        const Value &S = E.Val.get("strategy");
        const Value &Mode = S.get("rollback");
        if (S.isPoison() || Mode.isPoison())
          continue;
        if (!Mode.is(Value::Kind::Enum) || Mode.getEnum() != "automatic")
          Diags.report(DiagID::AutomaticRollbackRequired,
                       Mode.getOrigin().isValid() ? Mode.getOrigin() : E.Decl->Name.Range,
                       {describe(E.Decl), Tier})
              .note(DiagID::NoteTierDeclaredHere, M.TierDecl->Name.Range, {Tier});
      }
    }
  }

  //===--------------------------------------------------------------------===//
  // Stage 4: compatibility
  //===--------------------------------------------------------------------===//

  void runCompatibility(const EnvironmentModel &M) {
    Env = &M;
    checkExperimentalFeatures(M);
    checkTierAllocation(M);
    checkQuotaNeedsResources(M);
    checkGateway(M);
    for (const EvaluatedDecl &E : M.Decls) {
      if (!isUserDecl(E.Decl))
        continue;
      if (E.Decl->Kind == DeclKind::Secret)
        checkSecretTiming(E);
      if (E.Decl->Kind != DeclKind::Service && E.Decl->Kind != DeclKind::Worker)
        continue;
      checkCanaryEnvironment(E, M);
      checkBlueGreenPort(E);
      checkSharedStorage(E);
      checkAutoscaler(E);
      checkScaleToZero(E);
      checkDisruptionBudget(E);
      checkReplicasInRange(E);
      checkRollingUnavailability(E);
      checkTierMaxReplicas(E, M);
    }
  }

  void checkCanaryEnvironment(const EvaluatedDecl &E, const EnvironmentModel &M) {
    const Value &S = E.Val.get("strategy");
    if (!S.is(Value::Kind::Object) || S.getTag() != "canary" || !M.Decl)
      return;
    const Value &Analysis = S.get("analysis");
    bool HasConditions = false;
    for (const auto &[Name, V] : Analysis.getFields())
      if (V.is(Value::Kind::Object) && V.getField("op"))
        HasConditions = true;
    if (HasConditions && !M.Env.get("monitoring").get("prometheus").getBool())
      Diags.report(DiagID::CanaryNeedsMetrics, at(Analysis, E.Decl),
                   {describe(E.Decl), M.Name})
          .note(DiagID::NoteInEnvironment, M.Decl->Name.Range, {M.Name});
    const Value &Network = M.Env.get("network");
    const Value &Routing = Network.get("routing");
    if (!Routing.is(Value::Kind::Enum) || Routing.getEnum() == "none") {
      Diags.report(DiagID::CanaryWithoutTrafficRouting, at(S, E.Decl),
                   {M.Name, describe(E.Decl)})
          .note(DiagID::NoteInEnvironment, M.Decl->Name.Range, {M.Name});
      return;
    }
    llvm::StringRef Via = Routing.getEnum();
    if (Via != "ingress" && Via != "alb" && Via != "gateway_api")
      return;
    // The ingress controller or gateway can only split traffic that reaches
    // it: the service's Ingress needs an exposed port and a host name, its
    // HTTPRoute an exposed port.
    bool Exposed = false;
    for (const auto &[Name, P] : E.Val.get("port").getFields())
      if (P.get("expose").is(Value::Kind::Bool) && P.get("expose").getBool())
        Exposed = true;
    if (Exposed && (Via == "gateway_api" || Network.get("domain").is(Value::Kind::String)))
      return;
    Diags.report(DiagID::CanaryIngressCarriesNoTraffic, at(S, E.Decl),
                 {M.Name, describe(E.Decl), Exposed ? "has no host name" : "exposes no port",
                  Exposed ? "set `network { domain = \"example.com\" }` in the environment"
                          : "set `expose = true` on the port its clients use, or use "
                            "`routing = mesh` for traffic inside the cluster"})
        .note(DiagID::NoteInEnvironment, M.Decl->Name.Range, {M.Name});
  }

  /// HTTPRoutes name the Gateway they attach to, in another namespace.
  void checkGateway(const EnvironmentModel &M) {
    const Value &Network = M.Env.get("network");
    const Value &Routing = Network.get("routing");
    if (!M.Decl || !Routing.is(Value::Kind::Enum) || Routing.getEnum() != "gateway_api")
      return;
    const Value &Gateway = Network.get("gateway");
    if (Gateway.is(Value::Kind::String)) {
      auto [NS, Name] = llvm::StringRef(Gateway.getString()).split('/');
      if (!NS.empty() && !Name.empty() && !Name.contains('/'))
        return;
    }
    Diags.report(DiagID::GatewayRoutingWithoutGateway,
                 Gateway.is(Value::Kind::String) ? at(Gateway, M.Decl) : at(Routing, M.Decl),
                 {M.Name});
  }

  void checkBlueGreenPort(const EvaluatedDecl &E) {
    const Value &S = E.Val.get("strategy");
    if (!S.is(Value::Kind::Object) || S.getTag() != "blue_green")
      return;
    const Value &Ports = E.Val.get("port");
    if (Ports.is(Value::Kind::Object) && !Ports.getFields().empty())
      return;
    Diags.report(DiagID::BlueGreenWithoutPort, at(S, E.Decl), {describe(E.Decl)});
  }

  /// Argo Rollouts runs a canary or blue-green service as a ReplicaSet, whose
  /// pods share the workload's claims; a ReadWriteOnce claim attaches to one
  /// node, so a second pod elsewhere never starts. A rolling update runs it as
  /// a StatefulSet, with claims per pod.
  void checkSharedStorage(const EvaluatedDecl &E) {
    const Value &S = E.Val.get("strategy");
    if (!S.is(Value::Kind::Object) || S.getTag() == "rolling")
      return;
    const auto &Storage = E.Val.get("storage").getFields();
    int64_t Pods = maxReplicas(E.Decl->Kind, E.Val);
    if (Storage.empty() || Pods <= 1)
      return;
    Diags.report(DiagID::RolloutSharesStorage, at(S, E.Decl),
                 {describe(E.Decl), std::to_string(Pods), S.getTag(), Storage.front().first});
  }

  /// Only something outside the pods can wake a workload scaled to zero:
  /// a queue, a schedule or an event. cpu, memory and io_wait are measured
  /// on running pods (an HPA rejects `minReplicas: 0`, KEDA without such a
  /// trigger too).
  void checkScaleToZero(const EvaluatedDecl &E) {
    const Value &Scaling = E.Val.get("scaling");
    const Value &Range = Scaling.get("replicas");
    if (!Range.is(Value::Kind::Range) || !Range.getLow().is(Value::Kind::Int) ||
        Range.getLow().getInt() != 0)
      return;
    for (const char *T : {"queue", "schedule", "event"})
      if (Scaling.getField(T))
        return;
    Diags.report(DiagID::ScaleToZeroWithoutWakeUp, at(Range, E.Decl), {describe(E.Decl)});
  }

  void checkAutoscaler(const EvaluatedDecl &E) {
    const Value &Scaling = E.Val.get("scaling");
    const Value &Kind = Scaling.get("autoscaler");
    if (!Kind.is(Value::Kind::Enum) || Kind.getEnum() != "hpa")
      return;
    std::vector<std::string> Triggers;
    for (const char *T : {"io_wait", "queue", "schedule", "event"})
      if (Scaling.getField(T))
        Triggers.push_back(T);
    if (Triggers.empty())
      return;
    std::string List;
    for (size_t I = 0; I < Triggers.size(); ++I)
      List += (I ? (I + 1 == Triggers.size() ? " and " : ", ") : "") + Triggers[I];
    Diags.report(DiagID::AutoscalerCannotHandleTriggers, at(Kind, E.Decl),
                 {List, describe(E.Decl)});
  }

  void checkDisruptionBudget(const EvaluatedDecl &E) {
    const Value &Budget = E.Val.get("disruption");
    const Value &MinAvail = Budget.get("min_available");
    const Value &MaxUnavail = Budget.get("max_unavailable");
    ReplicaBounds B = replicaBounds(E.Val);
    if (MinAvail.is(Value::Kind::Int) && *B.Min > 0 && MinAvail.getInt() >= *B.Min)
      Diags.report(DiagID::DisruptionBudgetUnsatisfiable, at(MinAvail, E.Decl),
                   {describe(E.Decl), MinAvail.toDisplayString(), std::to_string(*B.Min)});
    if (MinAvail.is(Value::Kind::Percent) && MinAvail.getFloat() >= 100)
      Diags.report(DiagID::DisruptionBudgetUnsatisfiable, at(MinAvail, E.Decl),
                   {describe(E.Decl), "all", std::to_string(*B.Min)});
    if ((MaxUnavail.is(Value::Kind::Int) && MaxUnavail.getInt() == 0) ||
        (MaxUnavail.is(Value::Kind::Percent) && MaxUnavail.getFloat() == 0))
      Diags.report(DiagID::DisruptionBudgetUnsatisfiable, at(MaxUnavail, E.Decl),
                   {describe(E.Decl), "all", std::to_string(*B.Min)});
  }

  void checkReplicasInRange(const EvaluatedDecl &E) {
    const Value &R = E.Val.get("replicas");
    const Value &Range = E.Val.get("scaling").get("replicas");
    if (!R.is(Value::Kind::Int) || !Range.is(Value::Kind::Range) ||
        !Range.getLow().is(Value::Kind::Int) || !Range.getHigh().is(Value::Kind::Int))
      return;
    // Invalid counts and backwards ranges were reported by the schema stage.
    if (R.getInt() < 0 || Range.getLow().getInt() > Range.getHigh().getInt())
      return;
    if (R.getInt() < Range.getLow().getInt() || R.getInt() > Range.getHigh().getInt())
      Diags.report(DiagID::ReplicasOutsideScalingRange, at(R, E.Decl),
                   {describe(E.Decl), R.toDisplayString(), Range.toDisplayString()})
          .note(DiagID::NotePreviousSet, Range.getOrigin());
  }

  void checkRollingUnavailability(const EvaluatedDecl &E) {
    const Value &S = E.Val.get("strategy");
    if (!S.is(Value::Kind::Object) || S.getTag() != "rolling")
      return;
    const Value &MaxU = S.get("max_unavailable");
    ReplicaBounds B = replicaBounds(E.Val);
    bool All = (MaxU.is(Value::Kind::Int) && *B.Min > 0 && MaxU.getInt() >= *B.Min) ||
               (MaxU.is(Value::Kind::Percent) && MaxU.getFloat() >= 100);
    if (All)
      Diags.report(DiagID::MaxUnavailableTooHigh, at(MaxU, E.Decl),
                   {describe(E.Decl), MaxU.toDisplayString(), std::to_string(*B.Min)});
  }

  void checkTierMaxReplicas(const EvaluatedDecl &E, const EnvironmentModel &M) {
    const Value &Max = M.Tier.get("max_replicas");
    if (!Max.is(Value::Kind::Int) || !M.TierDecl)
      return;
    ReplicaBounds B = replicaBounds(E.Val);
    int64_t Most = std::max(B.Max.value_or(0), B.Initial.value_or(0));
    if (Most <= Max.getInt())
      return;
    const Value &Where = E.Val.get("scaling").get("replicas").isNull()
                             ? E.Val.get("replicas")
                             : E.Val.get("scaling").get("replicas");
    Diags.report(DiagID::TierMaxReplicasExceeded, at(Where, E.Decl),
                 {describe(E.Decl), std::to_string(Most), M.TierDecl->Name.Name,
                  Max.toDisplayString(), M.Name})
        .note(DiagID::NoteTierDeclaredHere, Max.getOrigin(), {M.TierDecl->Name.Name});
  }

  void checkSecretTiming(const EvaluatedDecl &E) {
    const Value &Rotation = E.Val.get("rotation");
    const Value &Every = Rotation.get("every");
    const Value &Dual = Rotation.get("dual_write");
    if (Every.is(Value::Kind::Duration) && Dual.is(Value::Kind::Duration) &&
        Dual.getInt() >= Every.getInt())
      Diags.report(DiagID::DualWriteNotShorterThanRotation, at(Dual, E.Decl),
                   {E.Decl->Name.Name, Every.toDisplayString(), Dual.toDisplayString()});
    const Value &Refresh = E.Val.get("refresh");
    const Value &Window = Dual.is(Value::Kind::Duration) ? Dual : Every;
    if (Refresh.is(Value::Kind::Duration) && Window.is(Value::Kind::Duration) &&
        Refresh.getInt() > Window.getInt())
      Diags.report(DiagID::RefreshExceedsDualWrite, at(Refresh, E.Decl),
                   {E.Decl->Name.Name, Refresh.toDisplayString(), Window.toDisplayString()});
  }

  void checkExperimentalFeatures(const EnvironmentModel &M) {
    if (!M.Decl || M.tierHas("experimental_features"))
      return;
    for (const auto &[Name, On] : M.Env.get("features").getFields()) {
      if (!On.is(Value::Kind::Bool) || !On.getBool())
        continue;
      for (const BlockDecl *F : P.getDecls(DeclKind::Feature)) {
        if (F->Name.Name != Name)
          continue;
        const Value *FV = M.find(F);
        if (FV && FV->get("stage").is(Value::Kind::Enum) &&
            FV->get("stage").getEnum() == "experimental")
          Diags.report(DiagID::ExperimentalFeatureNotAllowed, at(On, M.Decl),
                       {Name, M.TierDecl ? M.TierDecl->Name.Name : "?", M.Name})
              .note(DiagID::NoteDeclaredHere, F->Name.Range, {Name});
      }
    }
  }

  /// A quota on cpu or memory makes Kubernetes reject every container that
  /// declares no limits; the tier's default size would give them some.
  void checkQuotaNeedsResources(const EnvironmentModel &M) {
    const Value &Alloc = M.Tier.get("resources");
    if (!M.Decl || !M.TierDecl || !Alloc.is(Value::Kind::Object) ||
        (!Alloc.getField("cpu") && !Alloc.getField("memory")) ||
        M.Tier.get("default_resources").is(Value::Kind::Ref))
      return;
    for (const EvaluatedDecl &E : M.Decls) {
      if (!isUserDecl(E.Decl) || !isWorkload(E.Decl->Kind))
        continue;
      auto check = [&](const Value &Container, const std::string &What, SourceRange Where) {
        if (Container.get("resources").isNull())
          Diags.report(DiagID::QuotaNeedsResources, Where,
                       {What, M.TierDecl->Name.Name, M.Name})
              .note(DiagID::NoteTierDeclaredHere, M.TierDecl->Name.Range,
                    {M.TierDecl->Name.Name});
      };
      check(E.Val, describe(E.Decl), E.Decl->Name.Range);
      for (const char *Kind : {"init", "sidecar"})
        for (const auto &[Name, C] : E.Val.get(Kind).getFields())
          check(C, std::string(Kind) + " container `" + Name + "` of " + describe(E.Decl),
                at(C, E.Decl));
    }
  }

  void checkTierAllocation(const EnvironmentModel &M) {
    if (!M.Decl || !M.TierDecl)
      return;
    const Value &Alloc = M.Tier.get("resources");
    if (!Alloc.is(Value::Kind::Object))
      return;
    int64_t Cpu = 0, Mem = 0, Pods = 0;
    // Saturating: each amount is in range, but thousands of workloads of
    // many replicas each may still add up past 64 bits.
    auto add = [](int64_t &Sum, int64_t Replicas, int64_t Amount) {
      int64_t Product;
      if (__builtin_mul_overflow(Replicas, Amount, &Product) ||
          __builtin_add_overflow(Sum, Product, &Sum))
        Sum = std::numeric_limits<int64_t>::max();
    };
    for (const EvaluatedDecl &E : M.Decls) {
      if (!isUserDecl(E.Decl) || !isWorkload(E.Decl->Kind) || E.Decl->Kind == DeclKind::Job)
        continue;
      int64_t N = *replicaBounds(E.Val).Min;
      add(Pods, N, 1);
      Value R = E.Val.get("resources");
      // Without resources a workload gets the tier's default size when emitted.
      if (R.isNull() && M.Tier.get("default_resources").is(Value::Kind::Ref))
        R = M.Tier.get("default_resources");
      if (R.is(Value::Kind::Ref))
        if (const Value *RT = M.find(R.getDecl()))
          R = *RT;
      // Amounts out of range are reported by the schema stage alone.
      if (R.get("cpu").is(Value::Kind::Cpu) && isQuantityInRange(R.get("cpu")))
        add(Cpu, N, R.get("cpu").getInt());
      if (R.get("memory").is(Value::Kind::Memory) && isQuantityInRange(R.get("memory")))
        add(Mem, N, R.get("memory").getInt());
    }
    auto over = [&](const char *Field, int64_t Used, const std::string &Shown) {
      const Value &Limit = Alloc.get(Field);
      if ((!Limit.is(Value::Kind::Cpu) && !Limit.is(Value::Kind::Memory) &&
           !Limit.is(Value::Kind::Int)) ||
          !isQuantityInRange(Limit) || Limit.getInt() < 0)
        return;
      if (Used > Limit.getInt())
        Diags.report(DiagID::TierResourcesExceeded, M.Decl->Name.Range,
                     {M.Name, Shown, Field, M.TierDecl->Name.Name, Limit.toDisplayString()})
            .note(DiagID::NoteTierDeclaredHere, Limit.getOrigin(), {M.TierDecl->Name.Name});
    };
    over("cpu", Cpu, formatCpu(Cpu));
    over("memory", Mem, formatMemory(Mem));
    over("pods", Pods, std::to_string(Pods));
  }

private:
  Program &P;
  DiagnosticEngine &Diags;
  const EnvironmentModel *Env = nullptr;
  std::set<FileID> UserFiles;
};

} // namespace

void sema::runSchemaStage(Program &P, const EnvironmentModel &M) { Validator(P).runSchema(M); }
void sema::checkUnusedDeclarations(Program &P) { Validator(P).checkUnusedDeclarations(); }
void sema::runReferenceStage(Program &P, const EnvironmentModel &M) {
  Validator(P).runReference(M);
  checkOutputNames(P, M);
}
void sema::runSecurityStage(Program &P, const EnvironmentModel &M) {
  Validator(P).runSecurity(M);
}
void sema::runCompatibilityStage(Program &P, const EnvironmentModel &M) {
  Validator(P).runCompatibility(M);
}
