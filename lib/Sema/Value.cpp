//===- Value.cpp - Evaluated values ---------------------------------------===//

#include "deployc/Sema/Value.h"
#include "deployc/Basic/Diagnostic.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ErrorHandling.h"
#include <charconv>
#include <cmath>
#include <limits>

using namespace deployc;
using namespace deployc::sema;

Value::Payload &Value::mutablePayload() {
  if (!P)
    P = new Payload();
  else if (P->isShared())
    P = new Payload(*P);
  return *P;
}

Value Value::boolean(bool B, SourceRange R) {
  Value V(Kind::Bool, R);
  V.I = B;
  return V;
}

Value Value::integer(int64_t I, SourceRange R) {
  Value V(Kind::Int, R);
  V.I = I;
  return V;
}

Value Value::number(double F, SourceRange R) {
  Value V(Kind::Float, R);
  V.F = F;
  return V;
}

Value Value::string(std::string S, SourceRange R) {
  Value V(Kind::String, R);
  V.Text = std::move(S);
  return V;
}

Value Value::quantity(Kind K, int64_t Amount, SourceRange R) {
  Value V(K, R);
  V.I = Amount;
  return V;
}

Value Value::percent(double P, SourceRange R) {
  Value V(Kind::Percent, R);
  V.F = P;
  return V;
}

Value Value::enumMember(std::string Member, SourceRange R) {
  Value V(Kind::Enum, R);
  V.Text = std::move(Member);
  return V;
}

Value Value::ref(const ast::BlockDecl *D, SourceRange R) {
  Value V(Kind::Ref, R);
  V.Decl = D;
  V.Text = D->Name.Name;
  return V;
}

Value Value::secret(std::vector<SecretPart> Parts, SourceRange R) {
  Value V(Kind::Secret, R);
  V.mutablePayload().Parts = std::move(Parts);
  return V;
}

Value Value::list(std::vector<Value> Elements, SourceRange R) {
  Value V(Kind::List, R);
  V.mutablePayload().Elements = std::move(Elements);
  return V;
}

Value Value::range(Value Low, Value High, SourceRange R) {
  Value V(Kind::Range, R);
  auto &E = V.mutablePayload().Elements;
  E.push_back(std::move(Low));
  E.push_back(std::move(High));
  return V;
}

Value Value::object(std::string Tag, SourceRange R) {
  Value V(Kind::Object, R);
  V.mutablePayload().Tag = std::move(Tag);
  return V;
}

double Value::asNumber() const {
  switch (K) {
  case Kind::Float:
  case Kind::Percent:
    return F;
  default:
    return double(I);
  }
}

static const std::string EmptyString;

const std::string &Value::getTag() const { return P ? P->Tag : EmptyString; }

llvm::ArrayRef<Value::SecretPart> Value::getSecretParts() const {
  return P ? llvm::ArrayRef<SecretPart>(P->Parts) : llvm::ArrayRef<SecretPart>();
}

llvm::ArrayRef<Value> Value::getElements() const {
  return P ? llvm::ArrayRef<Value>(P->Elements) : llvm::ArrayRef<Value>();
}

llvm::ArrayRef<Value::Field> Value::getFields() const {
  return P ? llvm::ArrayRef<Field>(P->Fields) : llvm::ArrayRef<Field>();
}

const Value *Value::getField(llvm::StringRef Name) const {
  if (!P)
    return nullptr;
  for (const Field &F : P->Fields)
    if (F.first == Name)
      return &F.second;
  return nullptr;
}

const Value &Value::get(llvm::StringRef Name) const {
  static const Value Null = Value::null();
  const Value *V = getField(Name);
  return V ? *V : Null;
}

Value *Value::getMutableField(llvm::StringRef Name) {
  if (!getField(Name))
    return nullptr;
  for (Field &F : mutablePayload().Fields)
    if (F.first == Name)
      return &F.second;
  return nullptr;
}

void Value::reserveFields(size_t N) { mutablePayload().Fields.reserve(N); }

void Value::setField(llvm::StringRef Name, Value V) {
  auto &Fields = mutablePayload().Fields;
  for (Field &F : Fields)
    if (F.first == Name) {
      F.second = std::move(V);
      return;
    }
  Fields.emplace_back(Name.str(), std::move(V));
}

void Value::removeField(llvm::StringRef Name) {
  auto &Fields = mutablePayload().Fields;
  Fields.erase(std::remove_if(Fields.begin(), Fields.end(),
                              [&](const Field &F) { return F.first == Name; }),
               Fields.end());
}

void Value::append(Value V) { mutablePayload().Elements.push_back(std::move(V)); }

void Value::mergeFrom(const Value &Other) {
  for (const Field &F : Other.getFields()) {
    const Value *Mine = getField(F.first);
    if (Mine && Mine->is(Kind::Object) && F.second.is(Kind::Object) &&
        Mine->getTag().empty() && F.second.getTag().empty()) {
      Value Merged = *Mine;
      Merged.mergeFrom(F.second);
      setField(F.first, std::move(Merged));
      continue;
    }
    setField(F.first, F.second);
  }
}

bool Value::containsSecret() const {
  switch (K) {
  case Kind::Secret:
    return true;
  case Kind::List:
  case Kind::Range:
    for (const Value &E : getElements())
      if (E.containsSecret())
        return true;
    return false;
  case Kind::Object:
    for (const Field &F : getFields())
      if (F.second.containsSecret())
        return true;
    return false;
  default:
    return false;
  }
}

std::string Value::toDisplayString() const {
  switch (K) {
  case Kind::Null: return "null";
  case Kind::Poison: return "<error>";
  case Kind::Bool: return I ? "true" : "false";
  case Kind::Int: return std::to_string(I);
  case Kind::Float: {
    char Buf[32];
    std::snprintf(Buf, sizeof(Buf), "%.10g", F);
    return Buf;
  }
  case Kind::String: return Text;
  case Kind::Duration: return formatDuration(I);
  case Kind::Cpu: return formatCpu(I);
  case Kind::Memory: return formatMemory(I);
  case Kind::Percent: return formatPercent(F);
  case Kind::Enum: return Text;
  case Kind::Ref: return Text;
  case Kind::Secret: return "(sensitive)";
  case Kind::List: {
    std::string S = "[";
    bool First = true;
    for (const Value &E : getElements()) {
      if (!First)
        S += ", ";
      First = false;
      S += E.toDisplayString();
    }
    return S + "]";
  }
  case Kind::Range:
    return getLow().toDisplayString() + ".." + getHigh().toDisplayString();
  case Kind::Object:
    return getTag().empty() ? "{...}" : getTag() + " {...}";
  }
  llvm_unreachable("bad value kind");
}

//===----------------------------------------------------------------------===//
// Units
//===----------------------------------------------------------------------===//

namespace {
struct UnitDef {
  const char *Unit;
  QuantityKind Kind;
  double Factor; ///< To the normalised unit.
};
// Percent is normalised to thousandths of a percent so it fits an integer.
const UnitDef Units[] = {
    {"ms", QuantityKind::Duration, 1},
    {"s", QuantityKind::Duration, 1000},
    {"m", QuantityKind::Duration, 60'000},
    {"h", QuantityKind::Duration, 3'600'000},
    {"d", QuantityKind::Duration, 86'400'000},
    {"w", QuantityKind::Duration, 604'800'000},
    {"m", QuantityKind::Cpu, 1},
    {"Ki", QuantityKind::Memory, 1024.0},
    {"Mi", QuantityKind::Memory, 1024.0 * 1024},
    {"Gi", QuantityKind::Memory, 1024.0 * 1024 * 1024},
    {"Ti", QuantityKind::Memory, 1024.0 * 1024 * 1024 * 1024},
    {"k", QuantityKind::Memory, 1e3},
    {"M", QuantityKind::Memory, 1e6},
    {"G", QuantityKind::Memory, 1e9},
    {"T", QuantityKind::Memory, 1e12},
    {"%", QuantityKind::Percent, 1000},
};
} // namespace

/// Reads Number as StringRef::getAsDouble does (false on success). Quantity
/// literals are digits with at most one `.`: for those std::from_chars gives
/// the same correctly rounded double without APFloat's arbitrary-precision
/// path, which took a sixth of type checking. Anything else goes the slow way.
static bool getAsDouble(llvm::StringRef Number, double &N) {
  bool Plain = !Number.empty() && Number.count('.') <= 1 &&
               llvm::all_of(Number, [](char C) { return llvm::isDigit(C) || C == '.'; }) &&
               Number != ".";
  if (Plain) {
    auto [End, Ec] = std::from_chars(Number.begin(), Number.end(), N);
    if (Ec == std::errc() && End == Number.end())
      return false;
  }
  return Number.getAsDouble(N);
}

std::optional<int64_t> sema::parseQuantity(llvm::StringRef Number,
                                           llvm::StringRef Unit, QuantityKind Kind,
                                           bool *Overflow) {
  for (const UnitDef &U : Units) {
    if (U.Kind != Kind || Unit != U.Unit)
      continue;
    double N = 0;
    if (getAsDouble(Number, N))
      return std::nullopt;
    double Amount = std::round(N * U.Factor);
    if (Amount > double(std::numeric_limits<int64_t>::max() / 2)) {
      if (Overflow)
        *Overflow = true;
      return std::nullopt;
    }
    return int64_t(Amount);
  }
  return std::nullopt;
}

std::vector<QuantityKind> sema::getUnitKinds(llvm::StringRef Unit) {
  std::vector<QuantityKind> Out;
  for (const UnitDef &U : Units)
    if (Unit == U.Unit)
      Out.push_back(U.Kind);
  return Out;
}

std::vector<std::string> sema::getUnits(QuantityKind Kind) {
  std::vector<std::string> Out;
  for (const UnitDef &U : Units)
    if (U.Kind == Kind)
      Out.push_back(U.Unit);
  return Out;
}

std::string sema::getUnitList(QuantityKind Kind) {
  return joinAlternatives(getUnits(Kind));
}

llvm::StringRef sema::getQuantityKindName(QuantityKind Kind) {
  switch (Kind) {
  case QuantityKind::Duration: return "duration";
  case QuantityKind::Cpu: return "cpu quantity";
  case QuantityKind::Memory: return "memory quantity";
  case QuantityKind::Percent: return "percentage";
  }
  return "";
}

int64_t sema::getQuantityMax(Value::Kind K) {
  switch (K) {
  case Value::Kind::Cpu: return 1'000'000'000;                  // a million cores
  case Value::Kind::Memory: return int64_t(1) << 60;            // 1 EiB
  case Value::Kind::Duration: return int64_t(INT32_MAX) * 1000; // int32 seconds
  case Value::Kind::Int: return INT32_MAX;
  default: return std::numeric_limits<int64_t>::max();
  }
}

std::string sema::describeQuantityRange(Value::Kind K) {
  switch (K) {
  case Value::Kind::Cpu:
    return "between 0 and " + formatCpu(getQuantityMax(K)) + " cores (0 to " +
           std::to_string(getQuantityMax(K)) + "m)";
  case Value::Kind::Memory:
    return "between 0 and " + formatMemory(getQuantityMax(K)) + " (1 EiB)";
  case Value::Kind::Duration:
    return "at most " + formatDuration(getQuantityMax(K)) +
           " (about 68 years: Kubernetes counts seconds in 32 bits)";
  case Value::Kind::Int:
    return "at most " + std::to_string(getQuantityMax(K)) +
           " (Kubernetes keeps counts in 32 bits)";
  case Value::Kind::Percent: return "between 0% and 100%";
  default: return "";
  }
}

std::string sema::describeQuantityRange(QuantityKind K) {
  switch (K) {
  case QuantityKind::Duration: return describeQuantityRange(Value::Kind::Duration);
  case QuantityKind::Cpu: return describeQuantityRange(Value::Kind::Cpu);
  case QuantityKind::Memory: return describeQuantityRange(Value::Kind::Memory);
  case QuantityKind::Percent: return describeQuantityRange(Value::Kind::Percent);
  }
  return "";
}

bool sema::isQuantityInRange(const Value &V) {
  switch (V.getKind()) {
  case Value::Kind::Cpu:
  case Value::Kind::Memory:
    return V.getInt() >= 0 && V.getInt() <= getQuantityMax(V.getKind());
  case Value::Kind::Duration:
  case Value::Kind::Int:
    return V.getInt() <= getQuantityMax(V.getKind());
  default:
    return true;
  }
}

int64_t sema::coresToMillicores(double Cores) {
  double Milli = Cores * 1000;
  // 2^63 is exactly representable; anything at or beyond it does not convert.
  if (!(Milli < 9223372036854775808.0))
    return std::numeric_limits<int64_t>::max();
  if (Milli < -9223372036854775808.0)
    return std::numeric_limits<int64_t>::min();
  return int64_t(Milli);
}

std::string sema::formatDuration(int64_t Ms) {
  if (Ms == 0)
    return "0s";
  struct Step {
    int64_t Size;
    const char *Unit;
  };
  static const Step Steps[] = {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"},
                               {1000, "s"}, {1, "ms"}};
  for (const Step &S : Steps)
    if (Ms % S.Size == 0)
      return std::to_string(Ms / S.Size) + S.Unit;
  return std::to_string(Ms) + "ms";
}

std::string sema::formatCpu(int64_t Milli) {
  if (Milli % 1000 == 0)
    return std::to_string(Milli / 1000);
  return std::to_string(Milli) + "m";
}

std::string sema::formatMemory(int64_t Bytes) {
  static const struct {
    int64_t Size;
    const char *Unit;
  } Steps[] = {{1LL << 40, "Ti"}, {1LL << 30, "Gi"}, {1LL << 20, "Mi"}, {1LL << 10, "Ki"},
               {1'000'000'000'000LL, "T"}, {1'000'000'000LL, "G"}, {1'000'000LL, "M"},
               {1000, "k"}};
  if (Bytes == 0)
    return "0";
  for (const auto &S : Steps)
    if (Bytes % S.Size == 0)
      return std::to_string(Bytes / S.Size) + S.Unit;
  return std::to_string(Bytes);
}

std::string sema::formatPercent(double P) {
  std::string S = llvm::formatv("{0:F3}", P).str();
  while (S.find('.') != std::string::npos && (S.back() == '0' || S.back() == '.')) {
    bool Dot = S.back() == '.';
    S.pop_back();
    if (Dot)
      break;
  }
  return S + "%";
}
