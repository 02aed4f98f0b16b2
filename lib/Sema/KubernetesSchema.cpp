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

const char SchemaChars[] =
#include "KubernetesSchema.inc"
    ;
const llvm::StringRef SchemaText(SchemaChars, sizeof(SchemaChars) - 1);

class KubernetesSchemas {
public:
  /// Indexes the text; a kind's types are built when it is first asked for.
  /// Most specs patch one or two kinds, whose types are a fraction of all
  /// (Service reaches 8 of 439; Rollout, the most, 164), and building them
  /// all took a fifth of checking a 300-line spec.
  KubernetesSchemas() {
    // The kinds come first, one a line: `kind Deployment @8`.
    size_t Pos = findLine(0, "kind ");
    for (; Pos != llvm::StringRef::npos && SchemaText.substr(Pos).startswith("kind ");
         Pos = lineAfter(Pos)) {
      auto [Kind, Expr] = line(Pos).drop_front(5).split(' ');
      KindTypes[Kind] = Expr.drop_front();
    }
    // Then the types, numbered in order, each followed by its indented
    // fields, which only a built type reads.
    for (Pos = findLine(Pos, "type "); Pos != llvm::StringRef::npos;
         Pos = findLine(lineAfter(Pos), "type "))
      TypeHeaders.push_back(Pos);
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
  // Lines are found with memchr, not by substring: LLVM's substring search
  // builds a table per call. Positions are where lines start, or npos.
  static llvm::StringRef line(size_t Pos) {
    return SchemaText.drop_front(Pos).split('\n').first;
  }

  static size_t lineAfter(size_t Pos) {
    size_t End = SchemaText.find('\n', Pos);
    return End == llvm::StringRef::npos || End + 1 == SchemaText.size() ? llvm::StringRef::npos
                                                                         : End + 1;
  }

  /// The first line from Pos on that starts with Prefix.
  static size_t findLine(size_t Pos, llvm::StringRef Prefix) {
    while (Pos != llvm::StringRef::npos && !SchemaText.substr(Pos).startswith(Prefix))
      Pos = lineAfter(Pos);
    return Pos;
  }

  /// Type Id, built (with every type it reaches) before kind() returns.
  const BlockSchema *objectType(llvm::StringRef Id) {
    unsigned N = 0;
    if (Id.getAsInteger(10, N) || N >= Types.size())
      return &getFreeFormPatchSchema();
    if (!Types[N]) {
      llvm::StringRef Header = line(TypeHeaders[N]); // `type N Name`
      Types[N] = &Store.emplace_back();
      Types[N]->Name = Header.substr(Header.rfind(' ') + 1).str();
      Pending.push_back(N);
    }
    return Types[N];
  }

  void buildPending() {
    while (!Pending.empty()) {
      unsigned N = Pending.back();
      Pending.pop_back();
      llvm::StringRef Rest = SchemaText.drop_front(TypeHeaders[N]);
      Rest = Rest.split('\n').second;
      while (Rest.startswith(" ")) {
        auto [Line, Next] = Rest.split('\n');
        auto [Name, Expr] = Line.ltrim(' ').split(' '); // `  name @12`
        Types[N]->Fields.push_back(field(Name, Expr));
        Rest = Next;
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
    F.Name = Name; // into SchemaText
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
