//===- Type.cpp - Types of .deploy values ---------------------------------===//

#include "deployc/Sema/Type.h"
#include "deployc/Basic/Diagnostic.h"
#include "deployc/Sema/Schema.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include <array>
#include <deque>
#include <mutex>
#include <tuple>

using namespace deployc;
using namespace deployc::sema;

bool EnumDef::contains(llvm::StringRef M) const {
  return llvm::is_contained(Members, M);
}

bool VariantDef::contains(llvm::StringRef Tag) const {
  return llvm::is_contained(Tags, Tag);
}

namespace {
/// Interns types. The schema is built once; later lookups (parameter types)
/// may come from language-server threads, hence the lock.
struct TypeTable {
  std::mutex Lock;
  std::deque<Type> Storage;
  llvm::DenseMap<std::tuple<int, const void *, uint32_t>, const Type *> Index;

  const Type *intern(TypeKind K, const void *Key, uint32_t Mask,
                     void (*Fill)(Type &, const void *, uint32_t)) {
    std::lock_guard<std::mutex> G(Lock);
    auto It = Index.find({int(K), Key, Mask});
    if (It != Index.end())
      return It->second;
    Type &T = Storage.emplace_back();
    T.Kind = K;
    Fill(T, Key, Mask);
    Index[{int(K), Key, Mask}] = &T;
    return &T;
  }
};

TypeTable &table() {
  // Never destroyed, like the schemas whose types it holds: tearing them
  // down took 3% of a process checking a 300-line spec.
  static TypeTable *T = new TypeTable;
  return *T;
}
} // namespace

const Type *Type::get(TypeKind K) {
  // Asked for everywhere (every string field of every schema): made once,
  // then read without the table's lock.
  static const auto Plain = [] {
    std::array<const Type *, size_t(TypeKind::Variant) + 1> Types;
    for (size_t I = 0; I < Types.size(); ++I)
      Types[I] = table().intern(TypeKind(I), nullptr, 0, [](Type &, const void *, uint32_t) {});
    return Types;
  }();
  return Plain[size_t(K)];
}

const Type *Type::listOf(const Type *E) {
  return table().intern(TypeKind::List, E, 0, [](Type &T, const void *K, uint32_t) {
    T.Element = static_cast<const Type *>(K);
  });
}

const Type *Type::mapOf(const Type *E) {
  return table().intern(TypeKind::Map, E, 0, [](Type &T, const void *K, uint32_t) {
    T.Element = static_cast<const Type *>(K);
  });
}

const Type *Type::rangeOf(const Type *E) {
  return table().intern(TypeKind::Range, E, 0, [](Type &T, const void *K, uint32_t) {
    T.Element = static_cast<const Type *>(K);
  });
}

const Type *Type::enumOf(const EnumDef *E) {
  return table().intern(TypeKind::Enum, E, 0, [](Type &T, const void *K, uint32_t) {
    T.Enum = static_cast<const EnumDef *>(K);
  });
}

const Type *Type::declRefMask(uint32_t Mask) {
  return table().intern(TypeKind::DeclRef, nullptr, Mask,
                        [](Type &T, const void *, uint32_t M) { T.DeclKinds = M; });
}

const Type *Type::declRef(std::initializer_list<ast::DeclKind> Kinds) {
  uint32_t Mask = 0;
  for (ast::DeclKind K : Kinds)
    Mask |= 1u << unsigned(K);
  return declRefMask(Mask);
}

const Type *Type::objectOf(const BlockSchema *S) {
  return table().intern(TypeKind::Object, S, 0, [](Type &T, const void *K, uint32_t) {
    T.Schema = static_cast<const BlockSchema *>(K);
  });
}

const Type *Type::variantOf(const VariantDef *V) {
  return table().intern(TypeKind::Variant, V, 0, [](Type &T, const void *K, uint32_t) {
    T.Variant = static_cast<const VariantDef *>(K);
  });
}

bool Type::isNumeric() const {
  switch (Kind) {
  case TypeKind::Int: case TypeKind::Float: case TypeKind::Duration:
  case TypeKind::Cpu: case TypeKind::Memory: case TypeKind::Percent:
  case TypeKind::Port: case TypeKind::IntOrPercent:
    return true;
  default:
    return false;
  }
}


std::string Type::describe() const {
  switch (Kind) {
  case TypeKind::Error: return "an invalid value";
  case TypeKind::Any: return "any value";
  case TypeKind::String: return "a string";
  case TypeKind::Secret: return "a secret value";
  case TypeKind::SecretString: return "a string or secret value";
  case TypeKind::Int: return "an integer";
  case TypeKind::Float: return "a number";
  case TypeKind::Bool: return "a boolean";
  case TypeKind::Duration: return "a duration such as `30s`, `5m`, `1h` or `30d`";
  case TypeKind::Cpu: return "a cpu quantity such as `250m` or `2`";
  case TypeKind::Memory: return "a memory quantity such as `256Mi` or `1Gi`";
  case TypeKind::Percent: return "a percentage such as `25%`";
  case TypeKind::Port: return "a port number";
  case TypeKind::Cron: return "a cron expression such as \"0 8 * * 1-5\"";
  case TypeKind::IntOrPercent: return "an integer or a percentage";
  case TypeKind::Enum: return "a " + Enum->Name;
  case TypeKind::Environment: return "an environment";
  case TypeKind::DeclRef: {
    std::vector<std::string> Names;
    for (unsigned K = 0; K < unsigned(ast::DeclKind::Unknown); ++K)
      if (DeclKinds & (1u << K))
        Names.push_back(ast::getDeclKindDescription(ast::DeclKind(K)).str());
    return "a reference to a " + joinAlternatives(Names, /*Quote=*/false);
  }
  case TypeKind::List: return "a list of " + Element->describePlural();
  case TypeKind::Map: return "a block of " + Element->describePlural();
  case TypeKind::Range: return "a range such as `2..20`";
  case TypeKind::Object: return "a `" + Schema->Name + "` block";
  case TypeKind::Variant: {
    std::vector<std::string> Tags;
    for (const std::string &T : Variant->Tags)
      Tags.push_back("`" + T + "`");
    return "a " + Variant->Name + " (" + joinAlternatives(Tags, /*Quote=*/false) + ")";
  }
  }
  return "a value";
}

std::string Type::describePlural() const {
  switch (Kind) {
  case TypeKind::String: return "strings";
  case TypeKind::Secret: return "secret values";
  case TypeKind::SecretString: return "strings or secret values";
  case TypeKind::Int: return "integers";
  case TypeKind::Float: return "numbers";
  case TypeKind::Bool: return "booleans";
  case TypeKind::Duration: return "durations";
  case TypeKind::Cpu: return "cpu quantities";
  case TypeKind::Memory: return "memory quantities";
  case TypeKind::Percent: return "percentages";
  case TypeKind::Port: return "port numbers";
  case TypeKind::Enum: return Enum->Name + " values";
  case TypeKind::Variant: return Variant->Name + "s";
  case TypeKind::Any: return "values";
  default: return "elements (" + describe() + ")";
  }
}

bool sema::isAssignable(const Type *From, const Type *To) {
  if (!From || !To)
    return true;
  if (From == To || From->isError() || To->isError() ||
      From->is(TypeKind::Any) || To->is(TypeKind::Any))
    return true;
  switch (To->Kind) {
  case TypeKind::SecretString:
    return From->is(TypeKind::String) || From->is(TypeKind::Secret) ||
           From->isNumeric() || From->is(TypeKind::Bool) || From->is(TypeKind::Cron);
  case TypeKind::String:
    // Numbers and booleans print as strings (env values, labels).
    return From->is(TypeKind::Cron) || From->is(TypeKind::Int) ||
           From->is(TypeKind::Float) || From->is(TypeKind::Bool) ||
           From->is(TypeKind::Port);
  case TypeKind::Cron:
    return From->is(TypeKind::String);
  case TypeKind::Int:
    return From->is(TypeKind::Port);
  case TypeKind::Float:
    return From->is(TypeKind::Int);
  case TypeKind::Port:
    return From->is(TypeKind::Int);
  case TypeKind::Cpu:
    return From->is(TypeKind::Int) || From->is(TypeKind::Float);
  case TypeKind::IntOrPercent:
    return From->is(TypeKind::Int) || From->is(TypeKind::Percent);
  case TypeKind::DeclRef:
    return From->is(TypeKind::DeclRef) && (From->DeclKinds & ~To->DeclKinds) == 0;
  case TypeKind::Range:
    if (From->is(TypeKind::Range))
      return isAssignable(From->Element, To->Element);
    return isAssignable(From, To->Element);
  case TypeKind::List:
    if (From->is(TypeKind::List))
      return isAssignable(From->Element, To->Element);
    return isAssignable(From, To->Element);
  case TypeKind::Map:
    return From->is(TypeKind::Map) && isAssignable(From->Element, To->Element);
  default:
    return false;
  }
}

bool sema::containsSecret(const Type *T) {
  if (!T)
    return false;
  if (T->is(TypeKind::Secret))
    return true;
  if (T->is(TypeKind::List) || T->is(TypeKind::Map) || T->is(TypeKind::Range))
    return containsSecret(T->Element);
  return false;
}

namespace {
struct NamedTypeEntry {
  const char *Name;
  TypeKind Kind;
};
const NamedTypeEntry NamedTypes[] = {
    {"string", TypeKind::String},     {"int", TypeKind::Int},
    {"number", TypeKind::Float},      {"bool", TypeKind::Bool},
    {"duration", TypeKind::Duration}, {"cpu", TypeKind::Cpu},
    {"memory", TypeKind::Memory},     {"percent", TypeKind::Percent},
    {"port", TypeKind::Port},         {"cron", TypeKind::Cron},
};
} // namespace

const Type *sema::lookupNamedType(llvm::StringRef Name) {
  for (const NamedTypeEntry &E : NamedTypes)
    if (Name == E.Name)
      return Type::get(E.Kind);
  return nullptr;
}

std::vector<std::string> sema::getNamedTypeNames() {
  std::vector<std::string> Out;
  for (const NamedTypeEntry &E : NamedTypes)
    Out.push_back(E.Name);
  return Out;
}
