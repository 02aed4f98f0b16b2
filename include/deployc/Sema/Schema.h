//===- Schema.h - Which fields each block has, and their types ---*- C++ -*-===//
//
// The grammar only knows `kind name { key = value }`; the schema gives the words
// meaning. It is data, built once: the type checker walks blocks against it, the
// language server completes from it, and docs/language.md describes it. Each
// field has a type for the `key = value` form and/or a nested schema for the
// `key { ... }` form.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_SEMA_SCHEMA_H
#define DEPLOYC_SEMA_SCHEMA_H

#include "deployc/Sema/Type.h"
#include "llvm/ADT/ArrayRef.h"
#include <string>
#include <vector>

namespace deployc::sema {

enum FieldFlags : unsigned {
  FieldRequired = 1u << 0, ///< Schema stage reports it missing (D3001).
  FieldLabelled = 1u << 1, ///< Needs a name: `port http = 8080`, `queue "q" { }`.
  FieldRepeated = 1u << 2, ///< May appear more than once (labelled: once per label).
  FieldTyped = 1u << 3,    ///< Written `key NAME: TYPE [= default] [{ options }]`.
};

class BlockSchema;

/// Names and documentation in schemas are static text (literals in
/// Schema.cpp, KubernetesSchema.txt): the vocabulary is built by every
/// process that type-checks, and copying them was half of that.
struct FieldDef {
  llvm::StringRef Name;
  const Type *Ty = nullptr;           ///< For `key = value`; null if block-only.
  const BlockSchema *Block = nullptr; ///< For `key { ... }`; null if value-only.
  unsigned Flags = 0;
  llvm::StringRef Doc;

  bool isRequired() const { return Flags & FieldRequired; }
  bool isLabelled() const { return Flags & FieldLabelled; }
  bool isRepeated() const { return Flags & FieldRepeated; }
  bool isTyped() const { return Flags & FieldTyped; }
  /// The type a value of this field has, whichever form was written.
  const Type *valueType() const;
};

/// A comparison entry such as `error_rate < 1%` or `cpu > 80%`.
struct ConditionDef {
  llvm::StringRef Metric;
  const Type *Ty;
  llvm::StringRef Doc;
};

class BlockSchema {
public:
  std::string Name; ///< As in messages: "service", "canary strategy".
  llvm::StringRef Doc;
  std::vector<FieldDef> Fields;
  std::vector<ConditionDef> Conditions;
  /// Open blocks (env, labels, features) take any key with values of this type.
  const Type *OpenValue = nullptr;
  /// Whether `on TIER_OR_ENV { ... }` overrides are allowed at this level.
  bool AllowsOverlays = false;
  /// Open blocks may nest blocks of the same schema (Kubernetes patches).
  bool OpenBlocks = false;

  const FieldDef *findField(llvm::StringRef Name) const;
  const ConditionDef *findCondition(llvm::StringRef Metric) const;
  std::vector<std::string> getFieldNames() const;
  std::vector<std::string> getConditionNames() const;
};

/// The schema of a top-level declaration kind's body.
const BlockSchema *getDeclSchema(ast::DeclKind Kind);

/// The body schema of a constructor such as `canary { ... }`; null if Tag is
/// not a constructor of V.
const BlockSchema *getConstructorSchema(const VariantDef *V, llvm::StringRef Tag);

/// A built-in function: `http_get(path, port)`, `vault(path)`, `run(cmd)`.
struct BuiltinFunction {
  std::string Name;
  std::vector<std::pair<std::string, const Type *>> Params;
  const Type *Result;
  const BlockSchema *Options = nullptr; ///< Optional trailing `{ ... }`.
  std::string Doc;
};

const BuiltinFunction *lookupBuiltin(llvm::StringRef Name);
llvm::ArrayRef<BuiltinFunction> getBuiltins();
/// "http_get(path: string, port: port)"
std::string getBuiltinSignature(const BuiltinFunction &F);

/// The Kubernetes kinds a `patch "KIND" { ... }` may target.
const EnumDef &getPatchKindEnum();
/// The body schema of `patch "KIND" { ... }`: the fields of that Kubernetes
/// kind (without apiVersion, kind and status), typed from the API's
/// declarations; null for a kind deployc does not emit.
const BlockSchema *getPatchSchema(llvm::StringRef Kind);
/// The schema of the `key [LABEL] { ... }` body of field F: F's block, but for
/// `patch "KIND"` the patch schema of KIND.
const BlockSchema *getBodySchema(const FieldDef &F, llvm::StringRef Label);
/// The schema of a free-form part of a Kubernetes object: any key, any value.
const BlockSchema &getFreeFormPatchSchema();
/// The kinds of `event KIND { ... }` scaling triggers.
const EnumDef &getEventKindEnum();

/// Enumerations the checker needs by name.
const EnumDef &getTierRestrictionEnum();

} // namespace deployc::sema

#endif
