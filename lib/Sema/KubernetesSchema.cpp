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
    llvm::StringRef Text(SchemaText);
    // The kinds come first, one a line.
    size_t Pos = Text.find("\nkind ");
    while (Pos != llvm::StringRef::npos && Text.substr(Pos + 1).startswith("kind ")) {
      size_t End = Text.find('\n', Pos + 1);
      auto [Kind, Expr] = Text.slice(Pos + 6, End).split(' ');
      KindTypes[Kind] = Expr.drop_front();
      Pos = End;
    }
    // Then the types, numbered in order, each followed by its indented
    // fields, which only a built type reads.
    for (Pos = Text.find("\ntype ", Pos); Pos != llvm::StringRef::npos;
         Pos = Text.find("\ntype ", Pos + 1))
      TypeHeaders.push_back(Pos + 1);
    Types.resize(TypeHeaders.size());
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
    BlockSchema &Body = Store.emplace_back(*Type);
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
    if (!Types[N]) {
      // `type N Name`
      llvm::StringRef Header = headerLine(N);
      Types[N] = &Store.emplace_back();
      Types[N]->Name = Header.rsplit(' ').second.str();
      Pending.push_back(N);
    }
    return Types[N];
  }

  llvm::StringRef headerLine(unsigned N) const {
    llvm::StringRef Rest = llvm::StringRef(SchemaText).drop_front(TypeHeaders[N]);
    return Rest.take_until([](char C) { return C == '\n'; });
  }

  void buildPending() {
    while (!Pending.empty()) {
      unsigned N = Pending.back();
      Pending.pop_back();
      llvm::StringRef Rest = llvm::StringRef(SchemaText).drop_front(TypeHeaders[N]);
      Rest = Rest.split('\n').second;
      while (Rest.startswith(" ")) {
        auto [Line, Next] = Rest.split('\n');
        auto [Name, Expr] = Line.trim().split(' ');
        Types[N]->Fields.push_back(field(Name, Expr));
        Rest = Next;
      }
    }
  }

  /// The type of a value written as EXPR (`s`, `@12`, `[@3]`, `{s}`, ...).
  /// Remembered per spelling: most are spelled many times (`s`, `@21`).
  const Type *typeOf(llvm::StringRef Expr) {
    if (const Type *Known = ExprTypes.lookup(Expr))
      return Known;
    const Type *T = spelledType(Expr); // may add the element type's spelling
    ExprTypes[Expr] = T;
    return T;
  }

  const Type *spelledType(llvm::StringRef Expr) {
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

  std::vector<size_t> TypeHeaders;     ///< Where each type's header line starts.
  std::vector<BlockSchema *> Types;    ///< Each type once it is reached.
  std::deque<BlockSchema> Store;       ///< The types reached and the kinds' bodies.
  std::vector<unsigned> Pending;
  std::map<std::string, BlockSchema> OpenMaps;
  llvm::StringMap<llvm::StringRef> KindTypes;
  llvm::StringMap<const Type *> ExprTypes;
  llvm::StringMap<const BlockSchema *> Bodies;
  /// Type checking may run on several threads (the language server's).
  std::mutex Lock;
};

KubernetesSchemas &schemas() {
  static KubernetesSchemas *S = new KubernetesSchemas; // never destroyed, as table() in Type.cpp
  return *S;
}

} // namespace

const BlockSchema *sema::getPatchSchema(llvm::StringRef Kind) { return schemas().kind(Kind); }

const BlockSchema *sema::getBodySchema(const FieldDef &F, llvm::StringRef Label) {
  if (F.Name == "patch" && F.isLabelled())
    if (const BlockSchema *S = getPatchSchema(Label))
      return S;
  return F.Block;
}
