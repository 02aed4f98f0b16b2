//===- KubernetesSchema.cpp - The fields `patch` blocks may set ------------===//
//
// `patch "Deployment" { spec { replicas = 3 } }` is checked like any block:
// against a BlockSchema per Kubernetes object type. They are built once, on
// first use, from KubernetesSchema.txt, a dump of the API declarations the
// conformance test validates emitted manifests with (see that file's header
// for the format), so a patch the checker accepts is one the API accepts.
//
//===----------------------------------------------------------------------===//

#include "deployc/Sema/Schema.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include <deque>
#include <map>

using namespace deployc;
using namespace deployc::sema;

namespace {

const char SchemaText[] =
#include "KubernetesSchema.inc"
    ;

class KubernetesSchemas {
public:
  KubernetesSchemas() {
    llvm::SmallVector<llvm::StringRef, 0> Lines;
    llvm::StringRef(SchemaText).split(Lines, '\n', -1, false);
    // Types are numbered in order; make them all first so fields can point
    // at types defined further down.
    for (llvm::StringRef L : Lines)
      if (L.consume_front("type ")) {
        Types.emplace_back().Name = L.split(' ').second.str();
      }
    BlockSchema *Cur = nullptr;
    for (llvm::StringRef L : Lines) {
      if (L.startswith("#"))
        continue;
      if (L.consume_front("kind ")) {
        auto [Kind, Expr] = L.split(' ');
        Kinds[Kind] = objectType(Expr.drop_front());
        continue;
      }
      if (L.consume_front("type ")) {
        unsigned Id = 0;
        L.split(' ').first.getAsInteger(10, Id);
        Cur = &Types[Id];
        continue;
      }
      auto [Name, Expr] = L.trim().split(' ');
      if (Cur)
        Cur->Fields.push_back(field(Name, Expr));
    }
    for (auto &E : Kinds) {
      Bodies.emplace_back(*E.getValue());
      Bodies.back().Name = "patch \"" + E.getKey().str() + "\"";
      E.getValue() = &Bodies.back();
    }
  }

  const BlockSchema *kind(llvm::StringRef Kind) const {
    auto It = Kinds.find(Kind);
    return It == Kinds.end() ? nullptr : It->second;
  }

private:
  const BlockSchema *objectType(llvm::StringRef Id) {
    unsigned N = 0;
    if (Id.getAsInteger(10, N) || N >= Types.size())
      return &getFreeFormPatchSchema();
    return &Types[N];
  }

  /// The type of a value written as EXPR (`s`, `@12`, `[@3]`, `{s}`, ...).
  const Type *typeOf(llvm::StringRef Expr) {
    switch (Expr.empty() ? 'a' : Expr.front()) {
    case 's': return Type::get(TypeKind::String);
    case 'n': return Type::get(TypeKind::Int);
    case 'b': return Type::get(TypeKind::Bool);
    case '@': return Type::objectOf(objectType(Expr.drop_front()));
    case '[': return Type::listOf(typeOf(Expr.drop_front().drop_back()));
    case '{': return Type::mapOf(typeOf(Expr.drop_front().drop_back()));
    default: return Type::get(TypeKind::Any); // `x` and `a`
    }
  }

  /// The schema of `key { ... }` for a field written as EXPR, if any.
  const BlockSchema *blockOf(llvm::StringRef Expr) {
    if (Expr.startswith("@"))
      return objectType(Expr.drop_front());
    if (Expr == "a")
      return &getFreeFormPatchSchema();
    if (Expr.startswith("{")) {
      BlockSchema &Open = OpenMaps[Expr.str()];
      if (!Open.OpenValue) {
        Open.Name = "map";
        Open.OpenValue = typeOf(Expr.drop_front().drop_back());
      }
      return &Open;
    }
    return nullptr;
  }

  FieldDef field(llvm::StringRef Name, llvm::StringRef Expr) {
    FieldDef F;
    F.Name = Name.str();
    F.Ty = typeOf(Expr);
    F.Block = blockOf(Expr);
    return F;
  }

  std::deque<BlockSchema> Types, Bodies;
  std::map<std::string, BlockSchema> OpenMaps;
  llvm::StringMap<const BlockSchema *> Kinds;
};

const KubernetesSchemas &schemas() {
  static const KubernetesSchemas S;
  return S;
}

} // namespace

const BlockSchema *sema::getPatchSchema(llvm::StringRef Kind) { return schemas().kind(Kind); }

const BlockSchema *sema::getBodySchema(const FieldDef &F, llvm::StringRef Label) {
  if (F.Name == "patch" && F.isLabelled())
    if (const BlockSchema *S = getPatchSchema(Label))
      return S;
  return F.Block;
}
