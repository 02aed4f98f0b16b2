//===- Type.h - Types of .deploy values ---------------------------*- C++ -*-===//
//
// Types are interned and immutable; compare them by pointer. Scalar kinds carry
// their unit (durations, cpu, memory, percentages); Secret is the type of a value
// derived from a secret, and SecretString is the *target* type of the few places
// a secret may flow into (env vars, secret files, build secret mounts).
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_SEMA_TYPE_H
#define DEPLOYC_SEMA_TYPE_H

#include "deployc/AST/AST.h"
#include "llvm/ADT/StringRef.h"
#include <string>
#include <vector>

namespace deployc::sema {

class BlockSchema;

/// A closed set of identifiers: `isolation = namespace`.
struct EnumDef {
  std::string Name;        ///< As used in messages: "isolation mode".
  std::vector<std::string> Members;
  bool contains(llvm::StringRef M) const;
};

/// Tagged alternatives written as `tag { ... }` or `tag(args) { ... }`:
/// strategies, probes, secret backends, build steps.
struct VariantDef {
  std::string Name; ///< "deployment strategy"
  std::vector<std::string> Tags;
  bool contains(llvm::StringRef Tag) const;
};

enum class TypeKind : uint8_t {
  Error,        ///< Already diagnosed; assignable everywhere, silences cascades.
  Any,
  String,
  Secret,       ///< A value derived from a secret.
  SecretString, ///< Target only: a string that may be secret.
  Int,
  Float,
  Bool,
  Duration,
  Cpu,
  Memory,
  Percent,
  Port,
  Cron,
  IntOrPercent,
  Enum,
  DeclRef,      ///< A reference to a declaration of one of DeclKinds.
  Environment,  ///< `env`, the environment being evaluated.
  List,
  Map,          ///< Open block: any key, values of Element.
  Range,        ///< `2..20` of Element.
  Object,       ///< A block checked against Schema.
  Variant,      ///< A tagged object (`canary { ... }`). Last: Type::get counts on it.
};

class Type {
public:
  TypeKind Kind;
  const EnumDef *Enum = nullptr;
  uint32_t DeclKinds = 0; ///< Bit (1 << DeclKind) per accepted kind.
  const Type *Element = nullptr;
  const BlockSchema *Schema = nullptr;
  const VariantDef *Variant = nullptr;

  static const Type *get(TypeKind K);
  static const Type *listOf(const Type *Element);
  static const Type *mapOf(const Type *Element);
  static const Type *rangeOf(const Type *Element);
  static const Type *enumOf(const EnumDef *E);
  static const Type *declRef(std::initializer_list<ast::DeclKind> Kinds);
  static const Type *declRefMask(uint32_t Mask);
  static const Type *objectOf(const BlockSchema *S);
  static const Type *variantOf(const VariantDef *V);

  bool is(TypeKind K) const { return Kind == K; }
  bool isError() const { return Kind == TypeKind::Error; }
  bool isNumeric() const;
  bool acceptsDecl(ast::DeclKind K) const {
    return Kind == TypeKind::DeclRef && (DeclKinds & (1u << unsigned(K)));
  }
  /// "a duration", "a list of strings", "a service, worker pool or job".
  std::string describe() const;
  /// "strings", "durations": for "a list of ...".
  std::string describePlural() const;
};

/// Whether a value of type From may be used where To is expected. Error and Any
/// go everywhere; a single value is accepted where a list of it is expected.
bool isAssignable(const Type *From, const Type *To);

/// True when a value of type T contains a secret (directly or in elements).
bool containsSecret(const Type *T);

/// The name of a built-in scalar type as written in `param x: NAME`, or null.
const Type *lookupNamedType(llvm::StringRef Name);
std::vector<std::string> getNamedTypeNames();

} // namespace deployc::sema

#endif
