//===- OutputNames.cpp - Declared names that meet in the output -----------===//
//
// The back ends normalise declared names into output names: Kubernetes names
// are lower case with `-` for every other character and at most 63
// characters, and Dockerfile folders, dev container folders and bake targets
// take the same form. Environments write their files into a folder named
// after them, which a case-insensitive file system (macOS, Windows) merges
// with any folder whose name differs only in case. Two declarations that
// meet in one output name would silently replace each other, so this check
// (part of the reference stage) reports every such meeting, at the later
// declaration with a note at the earlier one, for `check` and `emit` alike.
//
// The Kubernetes objects a workload emits are listed from its evaluated
// value, as lib/Emit/Kubernetes.cpp names them: keep the two in step.
//
//===----------------------------------------------------------------------===//

#include "deployc/Sema/Sema.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include <set>

using namespace deployc;
using namespace deployc::sema;
using namespace deployc::ast;

int64_t sema::maxReplicas(DeclKind Kind, const Value &W) {
  if (Kind == DeclKind::Job)
    return 1;
  const Value &Range = W.get("scaling").get("replicas");
  if (Range.is(Value::Kind::Range) && Range.getHigh().is(Value::Kind::Int))
    return Range.getHigh().getInt();
  const Value &PoolMax = W.get("pool").get("max");
  if (Kind == DeclKind::Worker && PoolMax.is(Value::Kind::Int))
    return PoolMax.getInt();
  const Value &Replicas = W.get("replicas");
  return Replicas.is(Value::Kind::Int) ? Replicas.getInt() : 1;
}

bool sema::runsAsStatefulSet(DeclKind Kind, const Value &W) {
  const Value &Strategy = W.get("strategy");
  bool Rolling = !Strategy.is(Value::Kind::Object) || Strategy.getTag() == "rolling";
  return Kind != DeclKind::Job && Rolling && !W.get("storage").getFields().empty() &&
         maxReplicas(Kind, W) > 1;
}

std::string sema::kubernetesName(llvm::StringRef Name) {
  std::string Out;
  for (char C : Name) {
    if (llvm::isAlnum(C))
      Out += llvm::toLower(C);
    else if (!Out.empty() && Out.back() != '-')
      Out += '-';
  }
  if (Out.size() > 63)
    Out.resize(63);
  while (!Out.empty() && Out.back() == '-')
    Out.pop_back();
  return Out.empty() ? "x" : Out;
}

namespace {

bool isWorkload(DeclKind K) {
  return K == DeclKind::Service || K == DeclKind::Worker || K == DeclKind::Job;
}

std::string describe(const BlockDecl *D) {
  return getDeclKindDescription(D->Kind).str() + " `" + D->Name.Name + "`";
}

/// Where an output name came from: what to call it and where to point.
struct Owner {
  std::string What;
  SourceRange Where;
  /// Claims of one owner never clash with each other (a workload's
  /// Deployment and Service share its name).
  const void *Id;
};

enum class Output { Kubernetes, Files };

/// Later and Earlier meet in the output name Shown.
void reportClash(DiagnosticEngine &Diags, Output In, const Owner &Later, const Owner &Earlier,
                 const std::string &Shown, const std::string &Consequence) {
  Diags
      .report(In == Output::Kubernetes ? DiagID::KubernetesNameClash : DiagID::OutputNameClash,
              Later.Where, {Later.What, Earlier.What, Shown, Consequence})
      .note(DiagID::NotePreviousDefinition, Earlier.Where);
}

/// Output names claimed so far, each by its first owner. A later owner of
/// a name is reported once per earlier owner it meets.
class Claims {
public:
  Claims(DiagnosticEngine &Diags, Output In) : Diags(Diags), In(In) {}

  /// Claims Name (of a kind of object, "" for any) for O. Shown describes
  /// the shared output name in the message; Consequence says what the
  /// meeting would do.
  void claim(const Owner &O, llvm::StringRef Kind, const std::string &Name,
             const std::string &Shown, const std::string &Consequence) {
    std::string Key = Kind.str() + '\0' + Name;
    auto [It, New] = Owners.try_emplace(Key, O);
    if (New || It->second.Id == O.Id)
      return;
    if (!Reported.insert({O.Id, It->second.Id}).second)
      return;
    reportClash(Diags, In, O, It->second, Shown, Consequence);
  }

private:
  DiagnosticEngine &Diags;
  Output In;
  llvm::StringMap<Owner> Owners;
  std::set<std::pair<const void *, const void *>> Reported;
};

const char *const Replaces = "so one would replace the other";
const char *const Rejected = "which Kubernetes rejects";

std::string kube(llvm::StringRef What, const std::string &Name) {
  return "the Kubernetes " + What.str() + " `" + Name + "`";
}

/// Whether an env block has a value that is not read from a secret: those
/// go into the container's env ConfigMap.
bool hasPlainEnv(const Value &Env) {
  for (const auto &[Name, V] : Env.getFields())
    if (!V.isAbsent() && !V.containsSecret())
      return true;
  return false;
}

class OutputNameChecker {
public:
  OutputNameChecker(Program &P, const EnvironmentModel &M) : P(P), M(M), Diags(P.Diags) {}

  void run() {
    checkNamespace();
    Claims Objects(Diags, Output::Kubernetes);
    Claims Build(Diags, Output::Files);
    for (const EvaluatedDecl &E : M.Decls) {
      const Module *Mod = P.getModule(E.Decl);
      if (!Mod || Mod->IsStdlib)
        continue;
      if (isWorkload(E.Decl->Kind)) {
        claimWorkloadObjects(Objects, E);
        checkPodNames(E);
        checkManifestFile(E);
      } else if (E.Decl->Kind == DeclKind::Secret) {
        Objects.claim({describe(E.Decl), E.Decl->Name.Range, E.Decl}, "Secret",
                      kubernetesName(E.Decl->Name.Name),
                      kube("Secret", kubernetesName(E.Decl->Name.Name)), Replaces);
      } else if (E.Decl->Kind == DeclKind::Build) {
        std::string Name = kubernetesName(E.Decl->Name.Name);
        Build.claim({describe(E.Decl), E.Decl->Name.Range, E.Decl}, "docker", Name,
                    "the folder `docker/" + Name + "` and the bake target `" + Name + "`",
                    "so one Dockerfile would overwrite the other");
        checkStageNames(E);
      } else if (E.Decl->Kind == DeclKind::DevContainer) {
        std::string Name = kubernetesName(E.Decl->Name.Name);
        Build.claim({describe(E.Decl), E.Decl->Name.Range, E.Decl}, "devcontainer", Name,
                    "the folder `.devcontainer/" + Name + "`",
                    "so one devcontainer.json would overwrite the other");
      }
    }
  }

private:
  /// Every environment's namespace, and its output folder, which
  /// case-insensitive file systems compare ignoring case. Environments are
  /// validated one at a time, so the names of earlier ones are kept in P.
  void checkNamespace() {
    if (!M.Decl)
      return;
    const Value &Set = M.Env.get("namespace");
    std::string Namespace = kubernetesName(Set.is(Value::Kind::String) ? Set.getString() : M.Name);
    SourceRange Where = M.Decl->Name.Range;
    auto [NS, NewNS] = P.EnvironmentNamespaces.try_emplace(Namespace, M.Decl);
    Owner Later{describe(M.Decl), Where, M.Decl};
    if (!NewNS && NS->second != M.Decl) {
      reportClash(Diags, Output::Kubernetes, Later,
                  {describe(NS->second), NS->second->Name.Range, NS->second},
                  kube("namespace", Namespace),
                  "so the objects of one would replace those of the other");
      return;
    }
    std::string Folder = llvm::StringRef(M.Name).lower();
    auto [F, NewFolder] = P.EnvironmentFolders.try_emplace(Folder, M.Decl);
    if (!NewFolder && F->second != M.Decl)
      reportClash(Diags, Output::Files, Later,
                  {describe(F->second), F->second->Name.Range, F->second},
                  "the output folder `k8s/" + Folder + "/` on a case-insensitive file system",
                  "so the files of one would overwrite those of the other");
  }

  /// A workload's manifests go to `k8s/ENV/NAME.yaml`, beside the files the
  /// environment's own objects go to (Kubernetes.cpp: secrets.yaml,
  /// backup.yaml; 00-namespace.yaml cannot be a declaration's name); a
  /// workload named like one of those would overwrite it. Workloads among
  /// themselves meet in their Kubernetes name.
  void checkManifestFile(const EvaluatedDecl &E) {
    if (!M.Decl)
      return;
    std::string Name = kubernetesName(E.Decl->Name.Name);
    for (const char *Fixed : {"secrets", "backup"})
      if (Name == Fixed)
        reportClash(Diags, Output::Files, {describe(E.Decl), E.Decl->Name.Range, E.Decl},
                    {"the " + std::string(Fixed) + " objects of " + describe(M.Decl),
                     M.Decl->Name.Range, M.Decl},
                    "the file `k8s/" + M.Name + "/" + Name + ".yaml`",
                    "so one would overwrite the other");
  }

  /// The objects emitKubernetes builds for a workload, by kind and name.
  void claimWorkloadObjects(Claims &Objects, const EvaluatedDecl &E) {
    const Value &V = E.Val;
    const std::string &W = E.Decl->Name.Name;
    const std::string Name = kubernetesName(W);
    Owner O{describe(E.Decl), E.Decl->Name.Range, E.Decl};
    auto object = [&](llvm::StringRef Kind, const std::string &ObjectName) {
      Objects.claim(O, Kind, ObjectName, kube(Kind, ObjectName), Replaces);
    };
    // Its own name goes to every kind it emits (Deployment, Service, Ingress,
    // autoscaler, budget): two workloads with one name clash whatever they emit.
    Objects.claim(O, "", Name, kube("name", Name), Replaces);
    if (!V.get("config").getFields().empty())
      object("ConfigMap", Name + "-config");
    if (hasPlainEnv(V.get("env")))
      object("ConfigMap", kubernetesName(W + "-env"));
    for (const char *Group : {"init", "sidecar"})
      for (const auto &[C, CV] : V.get(Group).getFields())
        if (hasPlainEnv(CV.get("env")))
          object("ConfigMap", kubernetesName(W + "-" + C + "-env"));
    bool Stateful = runsAsStatefulSet(E.Decl->Kind, V);
    bool BacksUp = M.Env.get("backup").is(Value::Kind::Object);
    // A StatefulSet's claims are named by Kubernetes (`VOLUME-NAME-N`), and
    // each pod's are backed up by a job of its own.
    if (Stateful) {
      object("Service", Name + "-headless");
      if (BacksUp)
        for (int64_t I = 0, N = maxReplicas(E.Decl->Kind, V); I != N; ++I)
          object("CronJob", kubernetesName(W + "-backup-" + std::to_string(I)));
    } else {
      for (const auto &[Volume, VV] : V.get("storage").getFields()) {
        object("PersistentVolumeClaim", kubernetesName(W + "-" + Volume));
        if (BacksUp)
          object("CronJob", kubernetesName(W + "-backup"));
      }
    }
    if (E.Decl->Kind == DeclKind::Job) {
      if (V.get("schedule").is(Value::Kind::String))
        object("CronJob", Name);
      return;
    }
    const std::string &Strategy = V.get("strategy").getTag();
    // With the Gateway API, exposed HTTP ports after the first get HTTPRoutes
    // of their own, `NAME-PORT`.
    const Value &Routing = M.Env.get("network").get("routing");
    if (Routing.is(Value::Kind::Enum) && Routing.getEnum() == "gateway_api") {
      bool First = true;
      for (const auto &[Port, P] : V.get("port").getFields()) {
        const Value &Protocol = P.get("protocol");
        bool Http = !Protocol.is(Value::Kind::Enum) || Protocol.getEnum() == "tcp" ||
                    Protocol.getEnum() == "http";
        if (!P.get("expose").getBool() || !Http)
          continue;
        if (!First)
          object("HTTPRoute", kubernetesName(W + "-" + Port));
        First = false;
      }
    }
    if (!V.get("port").getFields().empty()) {
      object("Service", Name);
      if (Strategy == "canary")
        object("Service", Name + "-canary");
      if (Strategy == "blue_green")
        object("Service", Name + "-preview");
    }
    auto auth = [&](const std::string &Queue, const Value &Q) {
      if (!Q.get("connection").is(Value::Kind::Secret) && Q.get("broker").getEnum() != "aws_sqs")
        return;
      llvm::StringRef Last = llvm::StringRef(Queue).rsplit('/').second;
      std::string QueueName = kubernetesName(Last.empty() ? Queue : Last.str());
      object("TriggerAuthentication", kubernetesName(W + "-" + QueueName + "-auth"));
    };
    for (const auto &[Queue, Q] : V.get("scaling").get("queue").getFields())
      auth(Queue, Q);
    if (E.Decl->Kind == DeclKind::Worker && V.get("scaling").isNull())
      for (const auto &[Queue, Q] : V.get("queue").getFields())
        auth(Queue, Q);
  }

  /// Names inside one pod: its containers (the workload's own is named
  /// after it), their ports and its volumes.
  void checkPodNames(const EvaluatedDecl &E) {
    const Value &V = E.Val;
    std::string Of = " of " + describe(E.Decl);
    auto where = [&](const Value &X) {
      return X.getOrigin().isValid() ? X.getOrigin() : E.Decl->Name.Range;
    };
    Claims Containers(Diags, Output::Kubernetes);
    Containers.claim({describe(E.Decl), E.Decl->Name.Range, &V}, "",
                     kubernetesName(E.Decl->Name.Name),
                     kube("container name", kubernetesName(E.Decl->Name.Name)), Rejected);
    for (const char *Group : {"init", "sidecar"})
      for (const auto &[C, CV] : V.get(Group).getFields())
        Containers.claim({std::string(Group) + " container `" + C + "`" + Of, where(CV), &CV}, "",
                         kubernetesName(C), kube("container name", kubernetesName(C)), Rejected);
    Claims Ports(Diags, Output::Kubernetes);
    for (const auto &[Port, PV] : V.get("port").getFields())
      Ports.claim({"port `" + Port + "`" + Of, where(PV), &PV}, "", kubernetesName(Port),
                  kube("port name", kubernetesName(Port)), Rejected);
    Claims Volumes(Diags, Output::Kubernetes);
    for (const auto &[Volume, VV] : V.get("storage").getFields())
      Volumes.claim({"storage `" + Volume + "`" + Of, where(VV), &VV}, "", kubernetesName(Volume),
                    kube("volume name", kubernetesName(Volume)), Rejected);
  }

  /// Stages are named `FROM ... AS NAME` in the Dockerfile.
  void checkStageNames(const EvaluatedDecl &E) {
    Claims Stages(Diags, Output::Files);
    for (const auto &[Stage, SV] : E.Val.get("stage").getFields()) {
      std::string Name = kubernetesName(Stage);
      Stages.claim({"stage `" + Stage + "` of " + describe(E.Decl),
                    SV.getOrigin().isValid() ? SV.getOrigin() : E.Decl->Name.Range, &SV},
                   "", Name, "the Dockerfile stage `" + Name + "`",
                   "so `FROM ... AS " + Name + "` would name two stages");
    }
  }

  Program &P;
  const EnvironmentModel &M;
  DiagnosticEngine &Diags;
};

} // namespace

void sema::checkOutputNames(Program &P, const EnvironmentModel &M) {
  OutputNameChecker(P, M).run();
}
