//===- Value.h - Evaluated values ---------------------------------*- C++ -*-===//
//
// The result of evaluating an expression in one environment. Quantities are
// normalised (milliseconds, millicores, bytes); every value remembers where it
// was written so validation can point at it. Secrets are never values: a Secret
// holds references to secret components (and literal text around them), which
// is all any later phase may see.
//
// Compound payloads are shared and copied on write, so overlaying an
// environment onto a service copies only the parts it changes.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_SEMA_VALUE_H
#define DEPLOYC_SEMA_VALUE_H

#include "deployc/AST/AST.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/IntrusiveRefCntPtr.h"
#include "llvm/ADT/StringRef.h"
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace deployc::sema {

class Value {
public:
  enum class Kind : uint8_t {
    Null,
    Poison,   ///< Evaluation failed and was diagnosed; checks skip it.
    Bool,
    Int,
    Float,
    String,
    Duration, ///< Milliseconds.
    Cpu,      ///< Millicores.
    Memory,   ///< Bytes.
    Percent,  ///< 0..100 (Float).
    Enum,     ///< Member name in Text.
    Ref,      ///< A declaration.
    Secret,   ///< Parts: literal text and secret component references.
    List,
    Range,    ///< Elements [low, high].
    Object,   ///< Ordered fields; Tag for `canary { }`, `vault(...)`.
  };

  /// One piece of a secret-derived string.
  struct SecretPart {
    std::string Text;                       ///< Literal text when Secret is null.
    const ast::BlockDecl *Secret = nullptr; ///< The secret declaration.
    std::string Component;                  ///< Its component (`url`, `credential`).
  };

  Value() = default;
  static Value null(SourceRange R = {}) { return Value(Kind::Null, R); }
  static Value poison(SourceRange R = {}) { return Value(Kind::Poison, R); }
  static Value boolean(bool B, SourceRange R);
  static Value integer(int64_t I, SourceRange R);
  static Value number(double F, SourceRange R);
  static Value string(std::string S, SourceRange R);
  static Value quantity(Kind K, int64_t Amount, SourceRange R);
  static Value percent(double P, SourceRange R);
  static Value enumMember(std::string Member, SourceRange R);
  static Value ref(const ast::BlockDecl *D, SourceRange R);
  static Value secret(std::vector<SecretPart> Parts, SourceRange R);
  static Value list(std::vector<Value> Elements, SourceRange R);
  static Value range(Value Low, Value High, SourceRange R);
  static Value object(std::string Tag, SourceRange R);

  Kind getKind() const { return K; }
  bool is(Kind Q) const { return K == Q; }
  bool isNull() const { return K == Kind::Null; }
  bool isPoison() const { return K == Kind::Poison; }
  /// Null or poison: nothing to check.
  bool isAbsent() const { return K == Kind::Null || K == Kind::Poison; }
  SourceRange getOrigin() const { return Origin; }
  void setOrigin(SourceRange R) { Origin = R; }

  bool getBool() const { return getInt() != 0; }
  /// Bool, Int and the quantities (0 for other kinds).
  int64_t getInt() const { return hasInt() ? I : 0; }
  /// Float and Percent (0 for other kinds).
  double getFloat() const { return hasFloat() ? F : 0; }
  /// Numeric value as a double (Int, Float, quantities, percent).
  double asNumber() const;
  const std::string &getString() const { return Text; }
  const std::string &getEnum() const { return Text; }
  const ast::BlockDecl *getDecl() const { return K == Kind::Ref ? Decl : nullptr; }
  const std::string &getTag() const;

  llvm::ArrayRef<SecretPart> getSecretParts() const;
  llvm::ArrayRef<Value> getElements() const;
  const Value &getLow() const { return getElements()[0]; }
  const Value &getHigh() const { return getElements()[1]; }

  // Objects.
  using Field = std::pair<std::string, Value>;
  llvm::ArrayRef<Field> getFields() const;
  const Value *getField(llvm::StringRef Name) const;
  /// The field or a null value.
  const Value &get(llvm::StringRef Name) const;
  /// The field to change in place (this object's payload is unshared
  /// first), or null.
  Value *getMutableField(llvm::StringRef Name);
  /// Sets or replaces a field, keeping the first position.
  void setField(llvm::StringRef Name, Value V);
  /// Room for N fields in all, so an object built field by field is
  /// allocated once and without slack.
  void reserveFields(size_t N);
  void removeField(llvm::StringRef Name);
  /// Appends to a list value.
  void append(Value V);
  /// Overlays Other onto this object: plain nested blocks merge field by field,
  /// everything else (values, tagged objects, lists) replaces.
  void mergeFrom(const Value &Other);

  /// True if the value or anything in it is secret-derived.
  bool containsSecret() const;

  /// Canonical text of a scalar ("5m", "256Mi", "250m", "25%", "true").
  std::string toDisplayString() const;

private:
  Value(Kind K, SourceRange R) : K(K), Origin(R) {}
  struct Payload;
  Payload &mutablePayload();
  bool hasFloat() const { return K == Kind::Float || K == Kind::Percent; }
  bool hasInt() const { return !hasFloat() && K != Kind::Ref; }

  // Laid out small: an evaluated environment of a large spec holds millions.
  Kind K = Kind::Null;
  SourceRange Origin;
  union {
    int64_t I = 0;             ///< Bool, Int and the quantities.
    double F;                  ///< Float and Percent.
    const ast::BlockDecl *Decl; ///< Ref.
  };
  std::string Text;
  llvm::IntrusiveRefCntPtr<Payload> P;
};

/// The shared part of lists, ranges, objects and secrets.
struct Value::Payload {
  Payload() = default;
  Payload(const Payload &Other)
      : Tag(Other.Tag), Elements(Other.Elements), Fields(Other.Fields), Parts(Other.Parts) {}
  Payload &operator=(const Payload &) = delete;

  void Retain() const { Refs.fetch_add(1, std::memory_order_relaxed); }
  void Release() const {
    if (Refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete this;
  }
  bool isShared() const { return Refs.load(std::memory_order_acquire) > 1; }

  std::string Tag;
  std::vector<Value> Elements;
  std::vector<Field> Fields;
  std::vector<SecretPart> Parts;

private:
  mutable std::atomic<unsigned> Refs{0};
};

/// Quantity kinds a unit can denote.
enum class QuantityKind : uint8_t { Duration, Cpu, Memory, Percent };

/// Parses `Number Unit` as Kind. Returns the normalised amount (ms, millicores,
/// bytes; percent as value*1000 to keep three decimals) or nullopt when the
/// unit does not belong to Kind. Overflow gives nullopt and sets *Overflow.
std::optional<int64_t> parseQuantity(llvm::StringRef Number, llvm::StringRef Unit,
                                     QuantityKind Kind, bool *Overflow = nullptr);
/// Which kinds a unit belongs to (`m`: duration and cpu).
std::vector<QuantityKind> getUnitKinds(llvm::StringRef Unit);
/// "ms, s, m, h, d" for messages.
std::string getUnitList(QuantityKind Kind);
std::vector<std::string> getUnits(QuantityKind Kind);
llvm::StringRef getQuantityKindName(QuantityKind Kind);

/// The largest amount a field of a quantity kind may hold, in its normalised
/// unit (Cpu, Memory, Duration; Int for counts). Chosen so that every later
/// conversion fits: a cpu or memory amount times any replica count stays in
/// 64 bits, and durations and counts fit the 32-bit fields Kubernetes keeps
/// them in (seconds, replicas, thresholds).
int64_t getQuantityMax(Value::Kind K);
/// The allowed range of K's fields as the user writes it ("between 0 and
/// 1000000 cores"), for diagnostics.
std::string describeQuantityRange(Value::Kind K);
std::string describeQuantityRange(QuantityKind K);
/// Whether V, a cpu, memory or duration amount or a count, is within the
/// range of its kind (any other value is).
bool isQuantityInRange(const Value &V);
/// Cores as millicores, saturated at the ends of int64: a value that large
/// is out of range, and the range check reports it.
int64_t coresToMillicores(double Cores);

std::string formatDuration(int64_t Millis);
std::string formatCpu(int64_t Millicores);
std::string formatMemory(int64_t Bytes);
std::string formatPercent(double Percent);

} // namespace deployc::sema

#endif
