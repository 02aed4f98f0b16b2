//===- KubernetesSchema.cpp - The fields `patch` blocks may set ------------===//
//
// `patch "Deployment" { spec { replicas = 3 } }` is checked like any block:
// against a BlockSchema per Kubernetes object type. A kind's are built on
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
#include <mutex>
#include <vector>

using namespace deployc;
using namespace deployc::sema;

namespace {

const char SchemaText[] =
#include "KubernetesSchema.inc"
    ;

class KubernetesSchemas {
public:
  /// Indexes the text; a kind's types are built when it is first asked for.
  /// Most specs patch one or two kinds, whose types are a fraction of all
  /// (Service reaches 8 of 439; Rollout, the most, 164), and building them
  /// all took a fifth of checking a 300-line spec.
  KubernetesSchemas() {
    llvm::StringRef(SchemaText).split(Lines, '\n', -1, false);
    // Types are numbered in order; make them all (empty) first so that
    // fields can point at types defined further down.
    for (size_t I = 0; I < Lines.size(); ++I) {
      llvm::StringRef L = Lines[I];
      if (L.consume_front("type ")) {
        Types.emplace_back().Name = L.split(' ').second.str();
        TypeLines.push_back(I);
      } else if (L.consume_front("kind ")) {
        auto [Kind, Expr] = L.split(' ');
        KindTypes[Kind] = Expr.drop_front();
      }
    }
    Built.assign(Types.size(), false);
  }

  const BlockSchema *kind(llvm::StringRef Kind) {
    std::lock_guard<std::mutex> Guard(Lock);
    if (const BlockSchema *Body = Bodies.lookup(Kind))
      return Body;
    auto It = KindTypes.find(Kind);
    if (It == KindTypes.end())
      return nullptr;
    const BlockSchema *Type = objectType(It->second);
    buildPending();
    BlockSchema &Body = BodyStore.emplace_back(*Type);
    Body.Name = "patch \"" + Kind.str() + "\"";
    Bodies[Kind] = &Body;
    return &Body;
  }

private:
  /// Type Id, built (with every type it reaches) before kind() returns.
  const BlockSchema *objectType(llvm::StringRef Id) {
    unsigned N = 0;
    if (Id.getAsInteger(10, N) || N >= Types.size())
      return &getFreeFormPatchSchema();
    if (!Built[N]) {
      Built[N] = true;
      Pending.push_back(N);
    }
    return &Types[N];
  }

  void buildPending() {
    while (!Pending.empty()) {
      unsigned N = Pending.back();
      Pending.pop_back();
      for (size_t I = TypeLines[N] + 1; I < Lines.size() && Lines[I].startswith(" "); ++I) {
        auto [Name, Expr] = Lines[I].trim().split(' ');
        Types[N].Fields.push_back(field(Name, Expr));
      }
    }
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

  llvm::SmallVector<llvm::StringRef, 0> Lines;
  std::vector<size_t> TypeLines; ///< The line of each type's header.
  std::deque<BlockSchema> Types, BodyStore;
  std::vector<bool> Built;
  std::vector<unsigned> Pending;
  std::map<std::string, BlockSchema> OpenMaps;
  llvm::StringMap<llvm::StringRef> KindTypes;
  llvm::StringMap<const BlockSchema *> Bodies;
  /// Type checking may run on several threads (the language server's).
  std::mutex Lock;
};

KubernetesSchemas &schemas() {
  static KubernetesSchemas S;
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
