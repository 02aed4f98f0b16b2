//===- Kubernetes.cpp - Kubernetes manifests from the plan ----------------===//
//
// One function per mapping rule of docs/emit.md, each building ordered JSON
// documents: namespace and its guard rails, secrets through External Secrets,
// workloads (Deployment or Argo Rollout, Job, CronJob), their Services,
// ConfigMaps, disruption budgets and autoscalers (HPA or one KEDA
// ScaledObject, never both), backups. Patches from the spec are applied last
// as JSON merge patches.
//
//===----------------------------------------------------------------------===//

#include "YAMLWriter.h"
#include "deployc/Basic/HelperImages.h"
#include "deployc/Emit/Emit.h"
#include "deployc/Sema/Value.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/thread.h"
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

using namespace deployc;
using namespace deployc::emit;
using namespace deployc::plan;

namespace {

constexpr const char *ManagedBy = "deployc";

std::string cpuQuantity(int64_t Milli) { return sema::formatCpu(Milli); }
std::string memoryQuantity(int64_t Bytes) { return sema::formatMemory(Bytes); }

std::string durationString(int64_t Ms) { return sema::formatDuration(Ms); }

/// Shortest decimal text of a number: 0.5, 0.01, 300.
std::string number(double V) {
  char Buf[32];
  std::snprintf(Buf, sizeof(Buf), "%.10g", V);
  return Buf;
}

json intOrString(const IntOrPercent &V) {
  if (V.IsPercent)
    return sema::formatPercent(V.Value);
  return int64_t(V.Value);
}

/// Names of env vars that carry one secret component each.
std::string componentVar(const SecretRef &R) {
  std::string S = "DEPLOYC_SECRET_" + R.Secret + "_" + R.Component;
  for (char &C : S)
    C = llvm::isAlnum(C) ? llvm::toUpper(C) : '_';
  return S;
}

/// The image's tag as a label value (at most 63 characters of
/// [A-Za-z0-9._-], alphanumeric at both ends): `r/x:1.2` -> 1.2; an image
/// pinned only by digest gives the digest's first 12 hex digits.
std::string imageTag(const std::string &Image) {
  size_t At = Image.find('@');
  std::string Ref = Image.substr(0, At);
  size_t Slash = Ref.rfind('/');
  size_t Colon = Ref.rfind(':');
  std::string Tag;
  if (Colon != std::string::npos && (Slash == std::string::npos || Colon > Slash))
    Tag = Ref.substr(Colon + 1);
  else if (At != std::string::npos) {
    size_t Hex = Image.find(':', At); // sha256:HEX
    Tag = Image.substr((Hex == std::string::npos ? At : Hex) + 1, 12);
  }
  std::string Out;
  for (char C : Tag)
    if (llvm::isAlnum(C) || C == '.' || C == '_' || C == '-')
      Out += C;
  if (Out.size() > 63)
    Out.resize(63);
  while (!Out.empty() && !llvm::isAlnum(Out.back()))
    Out.pop_back();
  while (!Out.empty() && !llvm::isAlnum(Out.front()))
    Out.erase(Out.begin());
  return Out.empty() ? "latest" : Out;
}

class KubernetesEmitter {
public:
  KubernetesEmitter(const Environment &Env, DiagnosticEngine &Diags)
      : Env(Env), Diags(Diags), NS(Env.Namespace) {}

  using FileSink = llvm::function_ref<void(std::string Name, std::string YAML)>;

  /// Hands each file to Sink in output order, as soon as it is rendered: at
  /// 10,000 services, holding every document at once took a third of emit's
  /// peak memory. Workloads' files are built and rendered on Threads threads
  /// (0: one per core); everything that depends on the order (patch findings,
  /// diagnostics, writing) happens here, in workload order, so the output
  /// and the diagnostics are those of one thread.
  void run(FileSink Sink, unsigned Threads, ClusterObjects *Cluster) {
    std::vector<std::string> Files;
    auto emitFile = [&](std::string Name, std::string YAML) {
      Files.push_back(Name);
      Sink(std::move(Name), std::move(YAML));
    };
    auto finish = [&](std::string Name, std::vector<json> Docs, const char *Wave) {
      // Before the patches, which may set another wave.
      if (Wave)
        setSyncWave(Docs, Wave);
      applyPatches(Docs, Env.Patches, nullptr);
      if (Env.Backup)
        noteResources(Docs);
      if (Cluster) {
        std::vector<json> Kept;
        for (json &D : Docs) {
          if (isClusterScoped(D))
            addClusterObject(*Cluster, D);
          else
            Kept.push_back(std::move(D));
        }
        Docs = std::move(Kept);
      }
      std::string YAML = toYAMLStream(Docs);
      dropDocuments(Docs);
      if (!YAML.empty())
        emitFile(std::move(Name), std::move(YAML));
    };
    // Sorted first, so that `kubectl apply -f ENV/`, which applies a folder's
    // files in name order, creates the namespace before what lives in it.
    finish("00-namespace.yaml", namespaceDocs(), "-2");
    std::vector<json> SecretDocs = secretDocs();
    if (!SecretDocs.empty())
      finish("secrets.yaml", std::move(SecretDocs), "-1");
    emitWorkloads(emitFile, Threads);
    if (Env.Backup) {
      std::vector<json> Docs = backupDocs();
      if (!Docs.empty())
        finish("backup.yaml", std::move(Docs), nullptr);
    }
    reportUnusedPatches();
    Sink(KustomizationFile, kustomization(Files));
  }

  /// The Secrets of the embedded secrets with their values (each secret's
  /// components, and the strings composed from them).
  std::string embeddedSecrets(const EmbeddedSecretValues &Values) const {
    std::vector<json> Docs;
    for (const Secret &S : Env.Secrets) {
      auto It = Values.find(S.Name);
      if (!deliveredEncrypted(S) || It == Values.end())
        continue;
      json Data = json::object();
      for (const auto &[Component, Value] : It->second)
        Data[Component] = Value;
      for (const auto &[Name, Template] : S.Composed) {
        std::string Composed;
        for (const TextPart &P : Template.Parts)
          Composed += P.Ref ? It->second.count(P.Ref->Component) ? It->second.at(P.Ref->Component)
                                                                 : std::string()
                            : P.Literal;
        Data[Name] = Composed;
      }
      json D{{"apiVersion", "v1"}, {"kind", "Secret"}};
      D["metadata"] = metadata(dnsName(S.Name), nullptr, "secrets");
      D["type"] = "Opaque";
      D["stringData"] = std::move(Data);
      Docs.push_back(std::move(D));
    }
    setSyncWave(Docs, "-1");
    return toYAMLStream(Docs);
  }

private:
  /// The folder's kustomization: its files, in the order they were written.
  static std::string kustomization(const std::vector<std::string> &Files) {
    json K{{"apiVersion", "kustomize.config.k8s.io/v1beta1"}, {"kind", "Kustomization"}};
    K["resources"] = json::array();
    for (const std::string &F : Files)
      K["resources"].push_back(F);
    return toYAML(K);
  }

  static bool isClusterScoped(const json &Doc) {
    const std::string &Kind = Doc["kind"].get_ref<const std::string &>();
    return Kind == "PriorityClass" || Kind == "ClusterSecretStore";
  }

  void addClusterObject(ClusterObjects &Cluster, json &Doc);

  std::string helperImage(const char *Image) const {
    return helper_images::pulledFrom(Image, Env.HelperRegistry);
  }

  /// Argo CD applies a lower wave first and waits until it is healthy: the
  /// namespace, its quota and default limits (which apply only to pods
  /// created after them) and the cluster-scoped objects pods name come before
  /// anything else, then the secret stores and ExternalSecrets, synced before
  /// the workloads that read their Secrets start.
  static void setSyncWave(std::vector<json> &Docs, const char *Wave) {
    for (json &D : Docs)
      D["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = Wave;
  }

private:
  /// One workload's file, rendered, with what the in-order steps need.
  struct WorkloadFile {
    std::string Name, YAML;
    /// Diagnostics from building the documents, then from patching them.
    std::vector<Diagnostic> BuildDiags, PatchDiags;
  };

  /// Builds, patches and renders W's file. Runs on a worker's own emitter,
  /// whose diagnostics engine is private to it.
  WorkloadFile renderWorkload(const Workload &W) {
    WorkloadFile F;
    F.Name = dnsName(W.Name) + ".yaml";
    std::vector<json> Docs = workloadDocs(W);
    F.BuildDiags = Diags.takeDiagnostics(0);
    applyPatches(Docs, W.Patches, &W);
    applyPatches(Docs, Env.Patches, nullptr);
    if (Env.Backup)
      noteResources(Docs);
    F.PatchDiags = Diags.takeDiagnostics(0);
    F.YAML = toYAMLStream(Docs);
    dropDocuments(Docs);
    return F;
  }

  /// Once a file is rendered: its documents go, and the next file reuses
  /// their memory.
  void dropDocuments(std::vector<json> &Docs) {
    Docs.clear();
    LastLabels = LabelSet();
    Arena.rewindIfUnused();
  }

  /// What a worker learnt that outlives its files.
  struct Findings {
    std::set<const Patch *> AppliedPatches, PendingEnvPatches;
    std::set<std::pair<std::string, std::string>> SnapshotKinds;
  };

  Findings takeFindings() {
    return {std::move(AppliedPatches), std::move(PendingEnvPatches), std::move(SnapshotKinds)};
  }

  void adopt(const Findings &F) {
    AppliedPatches.insert(F.AppliedPatches.begin(), F.AppliedPatches.end());
    PendingEnvPatches.insert(F.PendingEnvPatches.begin(), F.PendingEnvPatches.end());
    SnapshotKinds.insert(F.SnapshotKinds.begin(), F.SnapshotKinds.end());
  }

  void finishWorkload(const Workload &W, WorkloadFile F, FileSink Sink) {
    for (const Diagnostic &D : F.BuildDiags)
      Diags.replay(D);
    for (const Diagnostic &D : F.PatchDiags)
      Diags.replay(D);
    Sink(std::move(F.Name), std::move(F.YAML));
  }

  void emitWorkloads(FileSink Sink, unsigned Threads) {
    const std::vector<Workload> &Ws = Env.Workloads;
    if (Threads == 0)
      Threads = std::max(1u, std::thread::hardware_concurrency());
    // Below a few files per thread, starting threads costs more than it saves.
    if (Threads == 1 || Ws.size() < 4 * Threads) {
      DiagnosticEngine Private(Diags.getSourceManager());
      KubernetesEmitter Worker(Env, Private);
      for (const Workload &W : Ws)
        finishWorkload(W, Worker.renderWorkload(W), Sink);
      adopt(Worker.takeFindings());
      return;
    }
    // Workers take the next workload and leave its file in a ring of Window
    // slots; this thread takes the files in order. A worker waits while its
    // workload is a full ring ahead of the next one to write, which bounds
    // the files held at once.
    constexpr size_t Window = 64;
    std::vector<std::optional<WorkloadFile>> Ring(Window);
    std::mutex Lock;
    std::condition_variable Rendered, Written;
    size_t NextToTake = 0, NextToWrite = 0;
    std::vector<Findings> Found(Threads);
    auto work = [&](unsigned T) {
      DiagnosticEngine Private(Diags.getSourceManager());
      // Made here: its arena belongs to this thread.
      auto Worker = std::make_unique<KubernetesEmitter>(Env, Private);
      for (;;) {
        size_t I;
        {
          std::unique_lock<std::mutex> L(Lock);
          if (NextToTake == Ws.size())
            break;
          I = NextToTake++;
          Written.wait(L, [&] { return I < NextToWrite + Window; });
        }
        WorkloadFile F = Worker->renderWorkload(Ws[I]);
        {
          std::lock_guard<std::mutex> L(Lock);
          Ring[I % Window] = std::move(F);
        }
        Rendered.notify_all();
      }
      Found[T] = Worker->takeFindings();
    };
    std::vector<llvm::thread> Workers;
    for (unsigned T = 0; T < Threads; ++T)
      Workers.emplace_back(llvm::Optional<unsigned>(WorkerStack), work, T);
    for (size_t I = 0; I < Ws.size(); ++I) {
      WorkloadFile F;
      {
        std::unique_lock<std::mutex> L(Lock);
        Rendered.wait(L, [&] { return Ring[I % Window].has_value(); });
        F = std::move(*Ring[I % Window]);
        Ring[I % Window].reset();
        ++NextToWrite;
      }
      Written.notify_all();
      finishWorkload(Ws[I], std::move(F), Sink);
    }
    for (llvm::thread &W : Workers)
      W.join();
    for (const Findings &F : Found)
      adopt(F);
  }

  /// Rendering recurses over the documents, as deep as a patch nests.
  static constexpr unsigned WorkerStack = 64u << 20;

  //===--------------------------------------------------------------------===//
  // Metadata
  //===--------------------------------------------------------------------===//

  /// The labels of one of W's objects (or of the environment's, without W).
  /// Each workload's objects carry the same labels, so the last set is kept
  /// and copied: building them is a dozen long keys and lookups each time.
  const json &labels(const Workload *W, const std::string &Component = "") const {
    if (LastLabels.Valid && LastLabels.W == W && LastLabels.Component == Component)
      return LastLabels.Labels;
    json L = json::object();
    // deployc's own keys are distinct: append them without looking them up.
    auto &Entries = L.get_ref<json::object_t &>();
    auto add = [&](const char *Key, std::string Value) {
      Entries.emplace_back(Key, std::move(Value));
    };
    if (W) {
      add("app.kubernetes.io/name", dnsName(W->Name));
      add("app.kubernetes.io/instance", dnsName(W->Name + "-" + Env.Name));
      add("app.kubernetes.io/version", imageTag(W->Image));
      add("app.kubernetes.io/component",
          Component.empty() ? (W->K == Workload::ServiceKind  ? "service"
                               : W->K == Workload::WorkerKind ? "worker"
                                                              : "job")
                            : Component);
    } else if (!Component.empty()) {
      add("app.kubernetes.io/component", Component);
    }
    add("app.kubernetes.io/part-of", NS);
    add("app.kubernetes.io/managed-by", ManagedBy);
    add("deployc.io/environment", Env.Name);
    if (!Env.Tier.empty())
      add("deployc.io/tier", Env.Tier);
    // The selector's labels stay deployc's: a pod template that no longer
    // matches its selector is rejected.
    if (W)
      for (const auto &[K, V] : W->Labels)
        if (K != "app.kubernetes.io/name" && K != "app.kubernetes.io/instance")
          L[K] = V;
    LastLabels = {true, W, Component, std::move(L)};
    return LastLabels.Labels;
  }

  json metadata(const std::string &Name, const Workload *W,
                const std::string &Component = "", bool Namespaced = true) const {
    json M;
    M["name"] = Name;
    if (Namespaced)
      M["namespace"] = NS;
    if (Namespaced) {
      M["labels"] = labels(W, Component);
    } else {
      // Environments share cluster-scoped objects (the namespace aside):
      // labels naming one environment would flip with each one applied.
      M["labels"] = {{"app.kubernetes.io/component", Component},
                     {"app.kubernetes.io/managed-by", ManagedBy}};
    }
    return M;
  }

  json selector(const Workload &W) const {
    return json{{"app.kubernetes.io/name", dnsName(W.Name)},
                {"app.kubernetes.io/instance", dnsName(W.Name + "-" + Env.Name)}};
  }

  //===--------------------------------------------------------------------===//
  // Namespace, quota, limits, priorities, network policies
  //===--------------------------------------------------------------------===//

  std::vector<json> namespaceDocs() {
    std::vector<json> Docs;
    json Ns{{"apiVersion", "v1"}, {"kind", "Namespace"}};
    Ns["metadata"] = metadata(NS, nullptr);
    Ns["metadata"].erase("namespace");
    Ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = Env.PodSecurity;
    // SMI routing needs the workloads in the mesh: Linkerd injects its proxy.
    if (Env.Routing == "mesh")
      Ns["metadata"]["annotations"] = {{"linkerd.io/inject", "enabled"}};
    // Istio injects its proxy into pods of a namespace labelled so.
    if (Env.Routing == "istio")
      Ns["metadata"]["labels"]["istio-injection"] = "enabled";
    Docs.push_back(Ns);

    if (Env.Quota) {
      json Hard = json::object();
      if (Env.Quota->CpuMilli)
        Hard["limits.cpu"] = cpuQuantity(Env.Quota->CpuMilli);
      if (Env.Quota->Memory)
        Hard["limits.memory"] = memoryQuantity(Env.Quota->Memory);
      if (Env.Quota->Storage)
        Hard["requests.storage"] = memoryQuantity(Env.Quota->Storage);
      if (Env.Quota->Pods)
        Hard["pods"] = std::to_string(Env.Quota->Pods);
      json Q{{"apiVersion", "v1"}, {"kind", "ResourceQuota"}};
      Q["metadata"] = metadata("tier-allocation", nullptr, "quota");
      Q["spec"] = {{"hard", Hard}};
      Docs.push_back(Q);
    }
    // Containers without explicit resources get the tier's default size.
    if (const std::optional<Resources> &R = Env.DefaultResources) {
      json Limit{{"type", "Container"},
                 {"default", {{"cpu", cpuQuantity(R->CpuLimitMilli)},
                              {"memory", memoryQuantity(R->MemoryLimit)}}},
                 {"defaultRequest", {{"cpu", cpuQuantity(R->CpuRequestMilli)},
                                     {"memory", memoryQuantity(R->MemoryRequest)}}}};
      json L{{"apiVersion", "v1"}, {"kind", "LimitRange"}};
      L["metadata"] = metadata("tier-defaults", nullptr, "quota");
      L["spec"] = {{"limits", json::array({Limit})}};
      Docs.push_back(L);
    }

    std::set<std::string> Priorities;
    for (const Workload &W : Env.Workloads)
      if (!W.Res.Priority.empty())
        Priorities.insert(W.Res.Priority);
    for (const std::string &P : Priorities) {
      json PC{{"apiVersion", "scheduling.k8s.io/v1"}, {"kind", "PriorityClass"}};
      PC["metadata"] = metadata(priorityClassName(P), nullptr, "priority", false);
      PC["value"] = P == "reserved" ? 1000000 : P == "guaranteed" ? 100000 : 1000;
      PC["globalDefault"] = false;
      PC["preemptionPolicy"] = P == "best_effort" ? "Never" : "PreemptLowerPriority";
      PC["description"] = "deployc " + P + " workloads";
      Docs.push_back(PC);
    }

    for (json &P : networkPolicies())
      Docs.push_back(std::move(P));
    return Docs;
  }

  static std::string priorityClassName(const std::string &P) {
    return "deployc-" + dnsName(P);
  }

  json networkPolicy(const std::string &Name, json Spec) const {
    json N{{"apiVersion", "networking.k8s.io/v1"}, {"kind", "NetworkPolicy"}};
    N["metadata"] = metadata(Name, nullptr, "network");
    N["spec"] = std::move(Spec);
    return N;
  }

  static json namespaceSelector(const std::string &Namespace) {
    return {{"namespaceSelector",
             {{"matchLabels", {{"kubernetes.io/metadata.name", Namespace}}}}}};
  }

  std::vector<json> networkPolicies() const {
    std::vector<json> Docs;
    if (Env.Isolation == "none")
      return Docs;
    json All = json::object();
    Docs.push_back(networkPolicy(
        "default-deny", {{"podSelector", All}, {"policyTypes", {"Ingress", "Egress"}}}));
    json DnsPorts = json::array({{{"protocol", "UDP"}, {"port", 53}},
                                 {{"protocol", "TCP"}, {"port", 53}}});
    Docs.push_back(networkPolicy(
        "allow-dns",
        {{"podSelector", All},
         {"policyTypes", {"Egress"}},
         {"egress", json::array({{{"to", json::array({{{"namespaceSelector", All}}})},
                                  {"ports", DnsPorts}}})}}));
    if (Env.Isolation == "namespace") {
      json Same = json::array({{{"podSelector", All}}});
      Docs.push_back(networkPolicy("allow-same-namespace",
                                   {{"podSelector", All},
                                    {"policyTypes", {"Ingress", "Egress"}},
                                    {"ingress", json::array({{{"from", Same}}})},
                                    {"egress", json::array({{{"to", Same}}})}}));
    } else {
      // Strict: each workload accepts traffic on its own ports from this namespace.
      for (const Workload &W : Env.Workloads) {
        if (W.Ports.empty())
          continue;
        json Ports = json::array();
        for (const Port &P : W.Ports)
          Ports.push_back({{"protocol", P.Protocol}, {"port", P.Number}});
        Docs.push_back(networkPolicy(
            "allow-" + dnsName(W.Name),
            {{"podSelector", {{"matchLabels", selector(W)}}},
             {"policyTypes", {"Ingress"}},
             {"ingress", json::array({{{"from", json::array({{{"podSelector", All}}})},
                                       {"ports", Ports}}})}}));
      }
      json Egress = json::array({{{"to", json::array({{{"podSelector", All}}})}}});
      Docs.push_back(networkPolicy("allow-namespace-egress",
                                   {{"podSelector", All},
                                    {"policyTypes", {"Egress"}},
                                    {"egress", Egress}}));
    }
    // Declared egress destinations, by port (policies cannot name hosts).
    std::set<int> EgressPorts;
    for (const std::string &Dest : Env.Egress) {
      size_t Colon = Dest.rfind(':');
      int Port = 0;
      if (Colon != std::string::npos &&
          !llvm::StringRef(Dest).substr(Colon + 1).getAsInteger(10, Port))
        EgressPorts.insert(Port);
    }
    if (!EgressPorts.empty()) {
      json Ports = json::array();
      for (int P : EgressPorts)
        Ports.push_back({{"protocol", "TCP"}, {"port", P}});
      Docs.push_back(networkPolicy("allow-declared-egress",
                                   {{"podSelector", All},
                                    {"policyTypes", {"Egress"}},
                                    {"egress", json::array({{{"ports", Ports}}})}}));
    }
    // Prometheus scrapes the pods from its own namespace, the second label of
    // its Service's host name (prometheus.monitoring.svc).
    if (Env.Prometheus) {
      llvm::StringRef Host = llvm::StringRef(Env.PrometheusUrl).split("://").second;
      Host = Host.take_until([](char C) { return C == ':' || C == '/'; });
      llvm::StringRef Namespace = Host.split('.').second.split('.').first;
      if (!Namespace.empty())
        Docs.push_back(networkPolicy(
            "allow-prometheus",
            {{"podSelector", All},
             {"policyTypes", {"Ingress"}},
             {"ingress", json::array({{{"from", json::array({namespaceSelector(Namespace.str())})}}})}}));
    }
    // The mesh's proxies talk to its control plane (Linkerd for SMI, istiod).
    if (Env.Routing == "mesh" || Env.Routing == "istio")
      Docs.push_back(networkPolicy(
          "allow-mesh-control-plane",
          {{"podSelector", All},
           {"policyTypes", {"Egress"}},
           {"egress", json::array({{{"to", json::array({namespaceSelector(
                                        Env.Routing == "mesh" ? "linkerd" : "istio-system")})}}})}}));
    // Backup jobs reach their object stores and the Kubernetes API over HTTPS.
    if (Env.Backup)
      Docs.push_back(networkPolicy(
          "allow-backup-egress",
          {{"podSelector", {{"matchLabels", {{"app.kubernetes.io/component", "backup"}}}}},
           {"policyTypes", {"Egress"}},
           {"egress", json::array({{{"ports", json::array({{{"protocol", "TCP"}, {"port", 443}},
                                                           {{"protocol", "TCP"}, {"port", 6443}}})}}})}}));
    // Exposed ports accept traffic from anywhere (the ingress controller).
    for (const Workload &W : Env.Workloads) {
      json Ports = json::array();
      for (const Port &P : W.Ports)
        if (P.Expose)
          Ports.push_back({{"protocol", P.Protocol}, {"port", P.Number}});
      if (Ports.empty())
        continue;
      Docs.push_back(networkPolicy("allow-exposed-" + dnsName(W.Name),
                                   {{"podSelector", {{"matchLabels", selector(W)}}},
                                    {"policyTypes", {"Ingress"}},
                                    {"ingress", json::array({{{"ports", Ports}}})}}));
    }
    return Docs;
  }

  //===--------------------------------------------------------------------===//
  // Secrets
  //===--------------------------------------------------------------------===//

  /// The AWS region of the environment's platform services.
  std::string awsRegion() const {
    return Env.Regions.empty() ? "us-east-1" : Env.Regions.front();
  }

  /// Where External Secrets finds a secret: the store (its backend and, for
  /// Vault, the KV mount) and the key in it. `vault("kv/shop/db")` is key
  /// `shop/db` of the mount `kv`; a Vault path without a mount uses `kv`.
  struct SecretLocation {
    std::string Backend, Mount, Key;
  };
  static SecretLocation locate(const Secret &S) {
    std::string Key = S.BackendPath.empty() ? dnsName(S.Name) : S.BackendPath;
    if (S.BackendKind != "vault")
      return {S.BackendKind, "", Key};
    auto [Mount, Rest] = llvm::StringRef(Key).split('/');
    if (Rest.empty())
      return {S.BackendKind, "kv", Key};
    return {S.BackendKind, Mount.str(), Rest.str()};
  }

  /// The platform store is cluster-scoped, so environments in different
  /// regions need stores of their own: its name carries the region. Vault
  /// stores read one KV mount each.
  std::string storeName(const std::string &Backend, const std::string &Mount) const {
    if (Backend == "platform")
      return dnsName("deployc-platform-" + awsRegion());
    if (Backend == "vault")
      return dnsName("deployc-vault-" + Mount);
    return "deployc-" + dnsName(Backend);
  }

  /// The namespace the distributed store and the embedded vault are
  /// replicated into, where External Secrets reads them. (`emit` refuses
  /// embedded secrets, D7007: nothing fills that namespace yet. `apply
  /// --target dir:` still writes their stores.)
  static std::string remoteNamespace(const std::string &Backend) {
    return Backend == "embedded" ? "deployc-vault" : "deployc-distributed";
  }

  json secretStore(const std::string &Backend, const std::string &Mount) const {
    json Provider;
    std::string Kind = "SecretStore";
    if (Backend == "vault") {
      Provider["vault"] = {{"server", "http://vault.vault.svc:8200"},
                           {"path", Mount},
                           {"version", "v2"},
                           {"auth", {{"kubernetes", {{"mountPath", "kubernetes"},
                                                      {"role", NS}}}}}};
    } else if (Backend == "platform") {
      Kind = "ClusterSecretStore";
      Provider["aws"] = {{"service", "SecretsManager"},
                         {"region", awsRegion()}};
    } else {
      // The distributed store and deployc's embedded vault are replicated into
      // a namespace of their own; External Secrets reads them from there.
      Provider["kubernetes"] = {
          {"remoteNamespace", remoteNamespace(Backend)},
          // A namespaced store reads the CA from its own namespace: External
          // Secrets rejects a caProvider namespace on a SecretStore.
          {"server", {{"caProvider", {{"type", "ConfigMap"}, {"name", "kube-root-ca.crt"},
                                      {"key", "ca.crt"}}}}},
          {"auth", {{"serviceAccount", {{"name", "deployc-secrets"}}}}}};
    }
    json S{{"apiVersion", "external-secrets.io/v1beta1"}, {"kind", Kind}};
    S["metadata"] = metadata(storeName(Backend, Mount), nullptr, "secrets", Kind == "SecretStore");
    S["spec"] = {{"provider", Provider}};
    // A cluster-wide store would serve its secrets to any namespace that
    // names it: only the spec's own namespaces may read it.
    if (Kind == "ClusterSecretStore")
      S["spec"]["conditions"] = json::array({{{"namespaces", json::array({NS})}}});
    return S;
  }

  /// Lets the ServiceAccount deployc-secrets, which a Kubernetes-provider
  /// store authenticates as, read the secrets in the store's namespace.
  std::vector<json> replicatedStoreReader(const std::string &Backend) const {
    std::string Remote = remoteNamespace(Backend);
    std::string Reader = dnsName("deployc-secrets-" + NS);
    json Role{{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "Role"}};
    Role["metadata"] = metadata(Reader, nullptr, "secrets");
    Role["metadata"]["namespace"] = Remote;
    Role["rules"] = json::array({{{"apiGroups", json::array({""})},
                                  {"resources", json::array({"secrets"})},
                                  {"verbs", json::array({"get", "list", "watch"})}},
                                 {{"apiGroups", json::array({"authorization.k8s.io"})},
                                  {"resources", json::array({"selfsubjectrulesreviews"})},
                                  {"verbs", json::array({"create"})}}});
    json Binding{{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "RoleBinding"}};
    Binding["metadata"] = metadata(Reader, nullptr, "secrets");
    Binding["metadata"]["namespace"] = Remote;
    Binding["roleRef"] = {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", Reader}};
    Binding["subjects"] =
        json::array({{{"kind", "ServiceAccount"}, {"name", "deployc-secrets"}, {"namespace", NS}}});
    return {Role, Binding};
  }

  /// With age recipients, embedded secrets reach the cluster as Secrets in
  /// an encrypted file (embeddedSecretsFile), not through a store.
  bool deliveredEncrypted(const Secret &S) const {
    return S.BackendKind == "embedded" && !Env.AgeRecipients.empty();
  }

  std::vector<json> secretDocs() const {
    std::vector<json> Docs;
    std::set<std::pair<std::string, std::string>> Stores;
    for (const Secret &S : Env.Secrets)
      if (!deliveredEncrypted(S))
        Stores.insert({S.BackendKind, locate(S).Mount});
    bool HasAccount = false;
    for (const auto &[B, Mount] : Stores) {
      Docs.push_back(secretStore(B, Mount));
      if (B == "vault" || B == "platform")
        continue;
      if (!HasAccount) {
        json SA{{"apiVersion", "v1"}, {"kind", "ServiceAccount"}};
        SA["metadata"] = metadata("deployc-secrets", nullptr, "secrets");
        Docs.push_back(std::move(SA));
        HasAccount = true;
      }
      for (json &D : replicatedStoreReader(B))
        Docs.push_back(std::move(D));
    }
    for (const Secret &S : Env.Secrets) {
      if (deliveredEncrypted(S))
        continue;
      json E{{"apiVersion", "external-secrets.io/v1beta1"}, {"kind", "ExternalSecret"}};
      E["metadata"] = metadata(dnsName(S.Name), nullptr, "secrets");
      json Spec;
      Spec["refreshInterval"] = durationString(S.RefreshMs.value_or(3'600'000));
      SecretLocation Where = locate(S);
      Spec["secretStoreRef"] = {{"name", storeName(S.BackendKind, Where.Mount)},
                                {"kind", S.BackendKind == "platform" ? "ClusterSecretStore"
                                                                     : "SecretStore"}};
      json Target{{"name", dnsName(S.Name)}, {"creationPolicy", "Owner"}};
      // Composed strings (a broker URL) are assembled inside the cluster by
      // External Secrets' template engine, for consumers that need one key.
      if (!S.Composed.empty()) {
        json Data = json::object();
        for (const auto &[Name, Tpl] : S.Composed) {
          std::string T;
          for (const TextPart &P : Tpl.Parts)
            T += P.Ref ? "{{ ." + P.Ref->Component + " }}" : P.Literal;
          Data[Name] = T;
        }
        Target["template"] = {{"engineVersion", "v2"}, {"mergePolicy", "Merge"}, {"data", Data}};
      }
      Spec["target"] = Target;
      json Data = json::array();
      for (const SecretComponent &C : S.Components)
        Data.push_back({{"secretKey", C.Name},
                        {"remoteRef", {{"key", Where.Key}, {"property", C.Name}}}});
      Spec["data"] = Data;
      E["spec"] = Spec;
      Docs.push_back(E);
    }
    return Docs;
  }

  //===--------------------------------------------------------------------===//
  // Workloads
  //===--------------------------------------------------------------------===//

  /// A container's env, split the way a platform engineer would: plain values
  /// go into a ConfigMap read through envFrom (Data), secret components into
  /// secretKeyRef entries, and strings composed from secrets into $(VAR)
  /// entries over those (Entries). Kubernetes expands $(VAR) against envFrom
  /// variables too, so the split changes no value.
  struct ContainerEnv {
    json Data = json::object();
    json Entries = json::array();
  };

  ContainerEnv containerEnv(const std::vector<EnvVar> &Vars) const {
    ContainerEnv Out;
    json &Env = Out.Entries;
    std::set<std::string> Defined;
    auto defineRef = [&](const SecretRef &R) {
      std::string Var = componentVar(R);
      if (!Defined.insert(Var).second)
        return Var;
      Env.push_back({{"name", Var},
                     {"valueFrom", {{"secretKeyRef", {{"name", dnsName(R.Secret)},
                                                      {"key", R.Component}}}}}});
      return Var;
    };
    // Expand composed components of secret types into their templates first.
    auto expand = [&](const Text &T) {
      Text Out;
      for (const TextPart &P : T.Parts) {
        if (P.Ref)
          if (const Secret *S = this->Env.findSecret(P.Ref->Secret)) {
            auto It = S->Composed.find(P.Ref->Component);
            if (It != S->Composed.end()) {
              for (const TextPart &TP : It->second.Parts)
                Out.Parts.push_back(TP);
              continue;
            }
          }
        Out.Parts.push_back(P);
      }
      return Out;
    };
    for (const EnvVar &V : Vars) {
      Text T = expand(V.Value);
      if (T.isPlain()) {
        Out.Data[V.Name] = T.plainText();
        continue;
      }
      if (const SecretRef *R = T.soleRef()) {
        Env.push_back({{"name", V.Name},
                       {"valueFrom", {{"secretKeyRef", {{"name", dnsName(R->Secret)},
                                                        {"key", R->Component}}}}}});
        continue;
      }
      // Kubernetes expands $(VAR) in env values; $$ keeps a literal $.
      std::string Composed;
      for (const TextPart &P : T.Parts) {
        if (P.Ref) {
          Composed += "$(" + defineRef(*P.Ref) + ")";
          continue;
        }
        for (char C : P.Literal) {
          Composed += C;
          if (C == '$')
            Composed += '$';
        }
      }
      Env.push_back({{"name", V.Name}, {"value", Composed}});
    }
    return Out;
  }

  /// Sets a container's envFrom and env from Vars; plain values become the
  /// ConfigMap ConfigMapName, appended to ConfigMaps.
  void setContainerEnv(json &Container, const std::vector<EnvVar> &Vars,
                       const Workload &W, const std::string &ConfigMapName,
                       std::vector<json> &ConfigMaps) const {
    if (Vars.empty())
      return;
    ContainerEnv E = containerEnv(Vars);
    if (!E.Data.empty()) {
      Container["envFrom"] = json::array({{{"configMapRef", {{"name", ConfigMapName}}}}});
      json CM{{"apiVersion", "v1"}, {"kind", "ConfigMap"}};
      CM["metadata"] = metadata(ConfigMapName, &W);
      CM["data"] = std::move(E.Data);
      ConfigMaps.push_back(std::move(CM));
    }
    if (!E.Entries.empty())
      Container["env"] = std::move(E.Entries);
  }

  /// A digest of the workload's ConfigMaps, as a pod template annotation:
  /// Kubernetes does not restart pods when a ConfigMap they read changes, so
  /// a changed value must change the template to roll out.
  static std::string configChecksum(const std::vector<json> &ConfigMaps) {
    llvm::SHA256 Hash;
    for (const json &CM : ConfigMaps) {
      Hash.update(CM["metadata"]["name"].get_ref<const std::string &>());
      Hash.update(llvm::StringRef("\0", 1));
      Hash.update(CM["data"].dump());
      Hash.update(llvm::StringRef("\0", 1));
    }
    return llvm::toHex(Hash.final(), /*LowerCase=*/true);
  }

  static json resourcesJSON(const Resources &R) {
    json J = json::object();
    if (R.empty())
      return J;
    J["limits"] = {{"cpu", cpuQuantity(R.CpuLimitMilli)}, {"memory", memoryQuantity(R.MemoryLimit)}};
    J["requests"] = {{"cpu", cpuQuantity(R.CpuRequestMilli)},
                     {"memory", memoryQuantity(R.MemoryRequest)}};
    return J;
  }

  static json probeJSON(const Probe &P, const HealthChecks &H) {
    json J;
    json Port = P.PortName.empty() ? json(P.Port) : json(dnsName(P.PortName));
    switch (P.K) {
    case Probe::HttpGet:
      J["httpGet"] = {{"path", P.Path.empty() ? "/" : P.Path}, {"port", Port}};
      break;
    case Probe::Tcp:
      J["tcpSocket"] = {{"port", Port}};
      break;
    case Probe::Exec:
      J["exec"] = {{"command", P.Command}};
      break;
    }
    if (H.InitialDelaySeconds)
      J["initialDelaySeconds"] = H.InitialDelaySeconds;
    if (H.PeriodSeconds)
      J["periodSeconds"] = H.PeriodSeconds;
    if (H.TimeoutSeconds)
      J["timeoutSeconds"] = H.TimeoutSeconds;
    if (H.FailureThreshold)
      J["failureThreshold"] = H.FailureThreshold;
    if (H.SuccessThreshold)
      J["successThreshold"] = H.SuccessThreshold;
    return J;
  }

  /// The uid distroless images name `nonroot`.
  static constexpr int64_t NonRootUid = 65532;

  /// The pod security context of deployc's own pods (checks, backups).
  static json restrictedPodSecurity() {
    return {{"runAsNonRoot", true},
            {"runAsUser", NonRootUid},
            {"runAsGroup", NonRootUid},
            {"seccompProfile", {{"type", "RuntimeDefault"}}}};
  }

  /// The kubelet can check runAsNonRoot only against a numeric user, so pods
  /// get one: the spec's `run_as_user`, else the numeric `user` of the final
  /// stage of the workload's build, else 65532. fsGroup makes volumes
  /// writable by it.
  json podSecurity(const Workload &W) const {
    json S{{"runAsNonRoot", Env.RunAsNonRoot}};
    int64_t Uid = Env.RunAsUser;
    if (!Uid && Env.RunAsNonRoot) {
      Uid = NonRootUid;
      if (const Build *B = Env.findBuild(W.BuildName))
        for (const BuildStage &St : B->Stages)
          if (St.Name == B->Target) {
            int64_t Numeric = 0;
            if (!llvm::StringRef(St.User).split(':').first.getAsInteger(10, Numeric) &&
                Numeric > 0)
              Uid = Numeric;
          }
    }
    if (Uid) {
      S["runAsUser"] = Uid;
      S["runAsGroup"] = Uid;
      S["fsGroup"] = Uid;
    }
    S["seccompProfile"] = {{"type", "RuntimeDefault"}};
    return S;
  }

  json containerSecurity() const {
    json S{{"allowPrivilegeEscalation", false},
           {"readOnlyRootFilesystem", Env.ReadOnlyRoot},
           {"runAsNonRoot", Env.RunAsNonRoot},
           {"capabilities", {{"drop", {"ALL"}}}}};
    return S;
  }

  json sideContainer(const Container &C, const Workload &W,
                     std::vector<json> &ConfigMaps) const {
    json J;
    J["name"] = dnsName(C.Name);
    J["image"] = C.Image;
    if (!C.Command.empty())
      J["command"] = C.Command;
    if (!C.Args.empty())
      J["args"] = C.Args;
    setContainerEnv(J, C.Env, W, dnsName(W.Name + "-" + C.Name + "-env"), ConfigMaps);
    if (!C.Ports.empty()) {
      json Ports = json::array();
      for (const Port &P : C.Ports)
        Ports.push_back({{"name", dnsName(P.Name)}, {"containerPort", P.Number}});
      J["ports"] = Ports;
    }
    if (C.Res)
      J["resources"] = resourcesJSON(*C.Res);
    J["securityContext"] = containerSecurity();
    return J;
  }

  static std::string describe(const Workload &W) {
    const char *Kind = W.K == Workload::ServiceKind  ? "service"
                       : W.K == Workload::WorkerKind ? "worker"
                                                     : "job";
    return std::string(Kind) + " `" + W.Name + "`";
  }

  static std::string parentDir(const std::string &Path) {
    llvm::StringRef Dir = llvm::sys::path::parent_path(Path, llvm::sys::path::Style::posix);
    return Dir.empty() ? "/" : Dir.str();
  }
  static std::string baseName(const std::string &Path) {
    return llvm::sys::path::filename(Path, llvm::sys::path::Style::posix).str();
  }

  static std::string configKey(const std::string &Path) {
    std::string Key;
    for (char C : Path)
      Key += (llvm::isAlnum(C) || C == '.' || C == '-' || C == '_') ? C : '_';
    while (!Key.empty() && (Key.front() == '_' || Key.front() == '.'))
      Key.erase(Key.begin());
    return Key.empty() ? "file" : Key;
  }

  /// The pod template; the ConfigMaps holding its containers' plain env are
  /// appended to ConfigMaps.
  json podTemplate(const Workload &W, std::vector<json> &ConfigMaps) const {
    json Container;
    Container["name"] = dnsName(W.Name);
    Container["image"] = W.Image;
    // A tag-less or `latest` image is mutable: pull it at every start.
    Container["imagePullPolicy"] = imageTag(W.Image) == "latest" ? "Always" : "IfNotPresent";
    if (!W.Command.empty())
      Container["command"] = W.Command;
    if (!W.Args.empty())
      Container["args"] = W.Args;
    if (!W.Workdir.empty())
      Container["workingDir"] = W.Workdir;
    if (!W.Ports.empty()) {
      json Ports = json::array();
      for (const Port &P : W.Ports)
        Ports.push_back({{"name", dnsName(P.Name)},
                         {"containerPort", P.Number},
                         {"protocol", P.Protocol}});
      Container["ports"] = std::move(Ports);
    }
    setContainerEnv(Container, W.Env, W, dnsName(W.Name + "-env"), ConfigMaps);
    if (!W.Res.empty())
      Container["resources"] = resourcesJSON(W.Res);
    if (W.Health.Liveness)
      Container["livenessProbe"] = probeJSON(*W.Health.Liveness, W.Health);
    if (W.Health.Readiness)
      Container["readinessProbe"] = probeJSON(*W.Health.Readiness, W.Health);
    if (W.Health.Startup)
      Container["startupProbe"] = probeJSON(*W.Health.Startup, W.Health);

    json Mounts = json::array();
    json Volumes = json::array();
    // Secret files are mounted by directory, never through subPath: the
    // kubelet does not update subPath mounts, and a rotated value must reach
    // running pods. A config file in such a directory joins its volume.
    // Top-level directories (/run, /etc) hold the image's own files, and
    // /run/secrets holds the service-account credentials the kubelet mounts:
    // neither can be replaced, so a file there keeps a subPath mount.
    auto mountedAlone = [](const std::string &Dir) {
      return llvm::count(Dir, '/') < 2 || Dir == "/run/secrets" || Dir == "/var/run/secrets";
    };
    std::map<std::string, json> SecretDirs; // directory -> projected sources
    for (const SecretFile &F : W.SecretFiles)
      if (!mountedAlone(parentDir(F.Path)))
        SecretDirs[parentDir(F.Path)] = json::array();
    // Volumes cannot nest inside a read-only projected volume: a file below
    // a mounted directory joins that directory's volume, at its relative path.
    auto enclosing = [&](const std::string &Path) {
      for (auto It = SecretDirs.begin(); It != SecretDirs.end(); ++It)
        if (llvm::StringRef(Path).startswith(It->first + "/"))
          return It;
      return SecretDirs.end();
    };
    for (auto It = SecretDirs.begin(); It != SecretDirs.end();)
      It = enclosing(It->first) != SecretDirs.end() ? SecretDirs.erase(It) : std::next(It);
    int SingleFiles = 0;
    for (const SecretFile &F : W.SecretFiles) {
      std::string Name = dnsName(F.Ref.Secret);
      std::string Dir = parentDir(F.Path);
      json Item{{"key", F.Ref.Component}, {"path", baseName(F.Path)}};
      if (mountedAlone(Dir)) {
        const Secret *S = Env.findSecret(F.Ref.Secret);
        if (S && S->RotationEveryMs)
          Diags.report(DiagID::SecretFileNotRotated, W.Where,
                       {describe(W), F.Path, Dir, "/etc/secrets/" + baseName(F.Path)});
        std::string Vol = "secret-file-" + std::to_string(++SingleFiles);
        Volumes.push_back({{"name", Vol}, {"secret", {{"secretName", Name}, {"items", json::array({Item})}}}});
        Mounts.push_back({{"name", Vol}, {"mountPath", F.Path}, {"subPath", baseName(F.Path)},
                          {"readOnly", true}});
        continue;
      }
      auto Root = enclosing(F.Path);
      Item["path"] = F.Path.substr(Root->first.size() + 1);
      json &Sources = Root->second;
      auto Same = std::find_if(Sources.begin(), Sources.end(), [&](const json &Src) {
        return Src.contains("secret") && Src["secret"]["name"] == Name;
      });
      if (Same != Sources.end())
        (*Same)["secret"]["items"].push_back(std::move(Item));
      else
        Sources.push_back({{"secret", {{"name", Name}, {"items", json::array({Item})}}}});
    }
    bool ConfigVolume = false;
    for (const ConfigFile &F : W.Configs) {
      auto Dir = enclosing(F.Path);
      if (Dir == SecretDirs.end()) {
        Mounts.push_back({{"name", "config"},
                          {"mountPath", F.Path},
                          {"subPath", configKey(F.Path)},
                          {"readOnly", true}});
        ConfigVolume = true;
        continue;
      }
      Dir->second.push_back(
          {{"configMap", {{"name", dnsName(W.Name) + "-config"},
                          {"items", json::array({{{"key", configKey(F.Path)},
                                                  {"path", F.Path.substr(Dir->first.size() + 1)}}})}}}});
    }
    if (ConfigVolume)
      Volumes.push_back({{"name", "config"},
                         {"configMap", {{"name", dnsName(W.Name) + "-config"}}}});
    int DirIndex = 0;
    for (auto &[Dir, Sources] : SecretDirs) {
      std::string Vol = "secret-files-" + std::to_string(++DirIndex);
      Volumes.push_back({{"name", Vol}, {"projected", {{"sources", Sources}}}});
      Mounts.push_back({{"name", Vol}, {"mountPath", Dir}, {"readOnly", true}});
    }
    for (const Volume &V : W.Volumes) {
      Mounts.push_back({{"name", dnsName(V.Name)}, {"mountPath", V.Path}});
      Volumes.push_back({{"name", dnsName(V.Name)},
                         {"persistentVolumeClaim",
                          {{"claimName", dnsName(W.Name + "-" + V.Name)}}}});
    }
    if (!Mounts.empty())
      Container["volumeMounts"] = std::move(Mounts);
    Container["securityContext"] = containerSecurity();

    json Spec;
    if (!W.Init.empty()) {
      json Inits = json::array();
      for (const plan::Container &C : W.Init)
        Inits.push_back(sideContainer(C, W, ConfigMaps));
      Spec["initContainers"] = std::move(Inits);
    }
    json Containers = json::array({std::move(Container)});
    for (const plan::Container &C : W.Sidecars)
      Containers.push_back(sideContainer(C, W, ConfigMaps));
    Spec["containers"] = std::move(Containers);
    if (!Volumes.empty())
      Spec["volumes"] = std::move(Volumes);
    if (!W.Res.Priority.empty())
      Spec["priorityClassName"] = priorityClassName(W.Res.Priority);
    // A mounted token lets anyone who breaks into the pod act as its
    // service account; only pods that call the API get one.
    Spec["automountServiceAccountToken"] = W.KubernetesApi;
    Spec["securityContext"] = podSecurity(W);
    if (W.K == Workload::JobKind)
      Spec["restartPolicy"] = W.Job && W.Job->Restart == "never" ? "Never" : "OnFailure";

    return {{"metadata", {{"labels", labels(&W)}}}, {"spec", std::move(Spec)}};
  }

  json serviceDoc(const Workload &W, const std::string &Name,
                  const std::string &Component) const {
    json Ports = json::array();
    for (const Port &P : W.Ports) {
      json Pt{{"name", dnsName(P.Name)},
              {"port", P.Number},
              {"targetPort", dnsName(P.Name)},
              {"protocol", P.Protocol}};
      if (!P.AppProtocol.empty())
        Pt["appProtocol"] = P.AppProtocol;
      Ports.push_back(std::move(Pt));
    }
    json S{{"apiVersion", "v1"}, {"kind", "Service"}};
    S["metadata"] = metadata(Name, &W, Component);
    S["spec"] = {{"type", "ClusterIP"}, {"selector", selector(W)}, {"ports", std::move(Ports)}};
    return S;
  }

  std::vector<json> workloadDocs(const Workload &W) {
    std::vector<json> Docs;
    const std::string Name = dnsName(W.Name);

    std::vector<json> ConfigMaps;
    if (!W.Configs.empty()) {
      json Data = json::object();
      for (const ConfigFile &F : W.Configs)
        Data[configKey(F.Path)] = F.Content;
      json CM{{"apiVersion", "v1"}, {"kind", "ConfigMap"}};
      CM["metadata"] = metadata(Name + "-config", &W);
      CM["data"] = std::move(Data);
      ConfigMaps.push_back(std::move(CM));
    }
    json Template = podTemplate(W, ConfigMaps);
    if (!ConfigMaps.empty())
      Template["metadata"]["annotations"] = {
          {"deployc.io/config-checksum", configChecksum(ConfigMaps)}};
    for (json &CM : ConfigMaps)
      Docs.push_back(std::move(CM));
    // A StatefulSet's pods get claims of their own from its templates.
    if (!W.Stateful)
      for (const Volume &V : W.Volumes) {
        json PVC{{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}};
        PVC["metadata"] = metadata(dnsName(W.Name + "-" + V.Name), &W);
        PVC["spec"] = claimSpec(V);
        Docs.push_back(std::move(PVC));
      }

    if (W.K == Workload::JobKind) {
      Docs.push_back(jobDoc(W, std::move(Template)));
      return Docs;
    }

    bool IsRollout = W.Strat.K != Strategy::Rolling;
    json Workload;
    if (IsRollout) {
      Workload = {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Rollout"}};
    } else {
      Workload = {{"apiVersion", "apps/v1"}, {"kind", workloadKind(W)}};
    }
    Workload["metadata"] = metadata(Name, &W);
    json Spec;
    // An autoscaler owns the replica count: a count in the spec would reset
    // it at every apply.
    if (!W.Scaling)
      Spec["replicas"] = W.Replicas;
    Spec["revisionHistoryLimit"] = 10;
    Spec["selector"] = {{"matchLabels", selector(W)}};
    if (W.Stateful)
      statefulSpec(W, Spec, Template);
    Spec["template"] = std::move(Template);
    if (W.Stateful) {
      Spec["updateStrategy"] = {{"type", "RollingUpdate"}};
      if (W.Strat.BatchPauseMs)
        Spec["minReadySeconds"] = int(W.Strat.BatchPauseMs / 1000);
    } else if (!IsRollout && !W.Volumes.empty()) {
      // A ReadWriteOnce claim attaches to one node: a surge pod elsewhere
      // would wait for it forever.
      Spec["strategy"] = {{"type", "Recreate"}};
    } else if (!IsRollout) {
      Spec["strategy"] = {{"type", "RollingUpdate"},
                          {"rollingUpdate", {{"maxSurge", intOrString(W.Strat.MaxSurge)},
                                             {"maxUnavailable", intOrString(W.Strat.MaxUnavailable)}}}};
      if (W.Strat.BatchPauseMs)
        Spec["minReadySeconds"] = int(W.Strat.BatchPauseMs / 1000);
    } else if (W.Strat.K == Strategy::Canary) {
      Spec["strategy"] = {{"canary", canaryStrategy(W)}};
    } else {
      Spec["strategy"] = {{"blueGreen", blueGreenStrategy(W)}};
    }
    Workload["spec"] = std::move(Spec);
    Docs.push_back(std::move(Workload));

    if (W.Stateful)
      Docs.push_back(headlessServiceDoc(W));
    if (!W.Ports.empty()) {
      Docs.push_back(serviceDoc(W, Name, ""));
      if (W.Strat.K == Strategy::Canary)
        Docs.push_back(serviceDoc(W, Name + "-canary", "canary"));
      if (W.Strat.K == Strategy::BlueGreen)
        Docs.push_back(serviceDoc(W, Name + "-preview", "preview"));
    }
    if (hasIngress(W))
      Docs.push_back(ingressDoc(W));
    if (hasHttpRoutes(W))
      for (json &R : httpRouteDocs(W))
        Docs.push_back(std::move(R));
    if (W.Strat.K == Strategy::Canary && Env.Routing == "istio" && !W.Ports.empty())
      Docs.push_back(virtualServiceDoc(W));
    if (W.Strat.K == Strategy::Canary && !W.Strat.Analysis.empty())
      Docs.push_back(canaryAnalysis(W));
    if (W.Strat.K == Strategy::BlueGreen && !W.Strat.Validate.empty())
      Docs.push_back(blueGreenValidation(W));

    if (auto PDB = disruptionBudget(W))
      Docs.push_back(std::move(*PDB));
    if (W.Scaling) {
      if (W.Scaling->usesKeda()) {
        for (json &D : kedaDocs(W, IsRollout))
          Docs.push_back(std::move(D));
      } else {
        Docs.push_back(hpaDoc(W, IsRollout));
      }
    }
    return Docs;
  }

  static json claimSpec(const Volume &V) {
    json Spec{{"accessModes", {"ReadWriteOnce"}},
              {"resources", {{"requests", {{"storage", memoryQuantity(V.Size)}}}}}};
    if (!V.StorageClass.empty())
      Spec["storageClassName"] = V.StorageClass;
    return Spec;
  }

  static const char *workloadKind(const Workload &W) {
    return W.Stateful ? "StatefulSet" : "Deployment";
  }

  /// The StatefulSet's own fields: its headless Service, and a claim
  /// template per volume in place of the pod's shared claims, so that each
  /// pod gets `VOLUME-NAME-N` of its own.
  void statefulSpec(const Workload &W, json &Spec, json &Template) const {
    Spec["serviceName"] = dnsName(W.Name) + "-headless";
    json Claims = json::array();
    std::set<std::string> ClaimNames;
    for (const Volume &V : W.Volumes) {
      json Claim{{"metadata", {{"name", dnsName(V.Name)}, {"labels", labels(&W)}}},
                 {"spec", claimSpec(V)}};
      Claims.push_back(std::move(Claim));
      ClaimNames.insert(dnsName(V.Name));
    }
    Spec["volumeClaimTemplates"] = std::move(Claims);
    json &PodSpec = Template["spec"];
    if (!PodSpec.contains("volumes"))
      return;
    json Kept = json::array();
    for (json &Vol : PodSpec["volumes"])
      if (!Vol.contains("persistentVolumeClaim") || !ClaimNames.count(Vol["name"].get<std::string>()))
        Kept.push_back(std::move(Vol));
    if (Kept.empty())
      PodSpec.erase("volumes");
    else
      PodSpec["volumes"] = std::move(Kept);
  }

  /// The Service that gives a StatefulSet's pods their stable names
  /// (`NAME-0.NAME-headless`): no cluster IP, and its pods' addresses
  /// published before they are ready, so that peers can find each other
  /// while starting.
  json headlessServiceDoc(const Workload &W) const {
    json S{{"apiVersion", "v1"}, {"kind", "Service"}};
    S["metadata"] = metadata(dnsName(W.Name) + "-headless", &W);
    json Spec{{"clusterIP", "None"}, {"selector", selector(W)}, {"publishNotReadyAddresses", true}};
    json Ports = json::array();
    for (const Port &P : W.Ports)
      Ports.push_back({{"name", dnsName(P.Name)},
                       {"port", P.Number},
                       {"targetPort", dnsName(P.Name)},
                       {"protocol", P.Protocol}});
    if (!Ports.empty())
      Spec["ports"] = std::move(Ports);
    S["spec"] = std::move(Spec);
    return S;
  }

  /// Exposed ports are reachable from outside through an Ingress, which
  /// routes by host name: it needs the environment's domain.
  bool hasIngress(const Workload &W) const {
    return W.K == Workload::ServiceKind && !Env.Domain.empty() && Env.Routing != "gateway_api" &&
           llvm::any_of(W.Ports, isHttpIngressPort);
  }

  /// With `routing = gateway_api`, exposed HTTP ports are reached through
  /// HTTPRoutes on the environment's Gateway instead of an Ingress.
  bool hasHttpRoutes(const Workload &W) const {
    return W.K == Workload::ServiceKind && Env.Routing == "gateway_api" &&
           llvm::any_of(W.Ports, isHttpIngressPort);
  }

  /// Argo Rollouts sets the canary's weight on this route's backends.
  static const Port &firstHttpIngressPort(const Workload &W) {
    return *llvm::find_if(W.Ports, isHttpIngressPort);
  }

  /// An HTTPRoute per exposed HTTP port, named and with host names as the
  /// Ingress rules would be (`<workload>` and `<workload>.<domain>` for the
  /// first, `<workload>-<port>` for each other one). A canary service's
  /// first route carries both its Services, the canary's at weight 0, which
  /// the Argo Rollouts Gateway API plugin moves.
  std::vector<json> httpRouteDocs(const Workload &W) const {
    std::vector<json> Docs;
    bool Canary = W.Strat.K == Strategy::Canary;
    for (const Port &P : W.Ports) {
      if (!isHttpIngressPort(P))
        continue;
      std::string Name = dnsName(Docs.empty() ? W.Name : W.Name + "-" + P.Name);
      json Backends = json::array({{{"name", dnsName(W.Name)}, {"port", P.Number}}});
      if (Canary && Docs.empty()) {
        Backends[0]["weight"] = 100;
        Backends.push_back({{"name", dnsName(W.Name) + "-canary"}, {"port", P.Number}, {"weight", 0}});
      }
      json R{{"apiVersion", "gateway.networking.k8s.io/v1"}, {"kind", "HTTPRoute"}};
      R["metadata"] = metadata(Name, &W);
      json Spec;
      Spec["parentRefs"] =
          json::array({{{"name", Env.GatewayName}, {"namespace", Env.GatewayNamespace}}});
      if (!Env.Domain.empty())
        Spec["hostnames"] = json::array({Name + "." + Env.Domain});
      Spec["rules"] = json::array(
          {{{"matches", json::array({{{"path", {{"type", "PathPrefix"}, {"value", "/"}}}}})},
            {"backendRefs", std::move(Backends)}}});
      R["spec"] = std::move(Spec);
      Docs.push_back(std::move(R));
    }
    return Docs;
  }

  /// Istio splits a canary's traffic inside the mesh by the weights Argo
  /// Rollouts sets on this route, between the stable and canary Services
  /// (host-level splitting, so that the canary Service the analysis
  /// measures selects only canary pods).
  json virtualServiceDoc(const Workload &W) const {
    std::string Name = dnsName(W.Name);
    json Port{{"number", W.Ports.front().Number}};
    json Route = json::array({{{"destination", {{"host", Name}, {"port", Port}}}, {"weight", 100}},
                              {{"destination", {{"host", Name + "-canary"}, {"port", Port}}},
                               {"weight", 0}}});
    json V{{"apiVersion", "networking.istio.io/v1beta1"}, {"kind", "VirtualService"}};
    V["metadata"] = metadata(Name, &W);
    V["spec"] = {{"hosts", json::array({Name})},
                 {"http", json::array({{{"name", "primary"}, {"route", std::move(Route)}}})}};
    return V;
  }

  /// An Ingress routes HTTP: UDP, raw TCP and gRPC ports stay out of it.
  static bool isHttpIngressPort(const Port &P) {
    return P.Expose && P.Protocol == "TCP" && (P.AppProtocol.empty() || P.AppProtocol == "http");
  }

  /// `<workload>.<domain>` for the first exposed port, and
  /// `<workload>-<port>.<domain>` for each other one.
  json ingressDoc(const Workload &W) const {
    json Rules = json::array();
    for (const Port &P : W.Ports) {
      if (!isHttpIngressPort(P))
        continue;
      std::string Host = dnsName(Rules.empty() ? W.Name : W.Name + "-" + P.Name) + "." + Env.Domain;
      // With ALB, Argo Rollouts writes the canary's weighted forward into an
      // annotation named after the stable Service, which the first rule uses.
      bool Weighted = Env.Routing == "alb" && W.Strat.K == Strategy::Canary && Rules.empty();
      json Backend{{"service", {{"name", dnsName(W.Name)},
                                {"port", {{"name", Weighted ? "use-annotation" : dnsName(P.Name)}}}}}};
      Rules.push_back(
          {{"host", Host},
           {"http", {{"paths", json::array({{{"path", "/"}, {"pathType", "Prefix"},
                                             {"backend", Backend}}})}}}});
    }
    json I{{"apiVersion", "networking.k8s.io/v1"}, {"kind", "Ingress"}};
    I["metadata"] = metadata(dnsName(W.Name), &W);
    json Spec;
    std::vector<std::string> Ranges;
    for (const std::string &Source : Env.Ingress)
      if (Source.find('/') != std::string::npos)
        Ranges.push_back(Source);
    if (Env.Routing == "ingress") {
      // Argo Rollouts splits canary traffic through ingress-nginx, which
      // also enforces the declared sources.
      Spec["ingressClassName"] = "nginx";
      if (!Ranges.empty())
        I["metadata"]["annotations"] = {
            {"nginx.ingress.kubernetes.io/whitelist-source-range", llvm::join(Ranges, ",")}};
    } else if (Env.Routing == "alb") {
      // The AWS Load Balancer Controller: an internet-facing ALB sending
      // to pod IPs, so that weights apply per pod, not per node.
      Spec["ingressClassName"] = "alb";
      json Annotations{{"alb.ingress.kubernetes.io/scheme", "internet-facing"},
                       {"alb.ingress.kubernetes.io/target-type", "ip"}};
      if (!Ranges.empty())
        Annotations["alb.ingress.kubernetes.io/inbound-cidrs"] = llvm::join(Ranges, ",");
      I["metadata"]["annotations"] = std::move(Annotations);
    }
    Spec["rules"] = Rules;
    I["spec"] = Spec;
    return I;
  }

  json scaleTarget(const Workload &W, bool IsRollout) const {
    if (IsRollout)
      return {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Rollout"}, {"name", dnsName(W.Name)}};
    return {{"apiVersion", "apps/v1"}, {"kind", workloadKind(W)}, {"name", dnsName(W.Name)}};
  }

  json canaryStrategy(const Workload &W) const {
    json Steps = json::array();
    for (size_t I = 0; I < W.Strat.Steps.size(); ++I) {
      double Weight = W.Strat.Steps[I];
      if (Weight >= 100)
        break;
      Steps.push_back({{"setWeight", int(std::lround(Weight))}});
      if (W.Strat.StepPauseMs)
        Steps.push_back({{"pause", {{"duration", durationString(W.Strat.StepPauseMs)}}}});
      else
        Steps.push_back({{"pause", json::object()}});
    }
    json C;
    // Without ports there are no Services to split; replica counts alone
    // carry the weights.
    if (!W.Ports.empty()) {
      C["canaryService"] = dnsName(W.Name) + "-canary";
      C["stableService"] = dnsName(W.Name);
      // Argo Rollouts sets the weights on the mesh's SMI TrafficSplit, on a
      // canary copy of the workload's Ingress, on the ALB's forward action,
      // on the Istio VirtualService or on the HTTPRoute's backends.
      std::string Name = dnsName(W.Name);
      if (Env.Routing == "mesh")
        C["trafficRouting"] = {{"smi", json::object()}};
      else if (Env.Routing == "ingress" && hasIngress(W))
        C["trafficRouting"] = {{"nginx", {{"stableIngress", Name}}}};
      else if (Env.Routing == "alb" && hasIngress(W))
        C["trafficRouting"] = {{"alb", {{"ingress", Name},
                                        {"servicePort", firstHttpIngressPort(W).Number},
                                        {"rootService", Name}}}};
      else if (Env.Routing == "istio")
        C["trafficRouting"] = {
            {"istio", {{"virtualService", {{"name", Name}, {"routes", json::array({"primary"})}}}}}};
      else if (hasHttpRoutes(W))
        C["trafficRouting"] = {
            {"plugins", {{"argoproj-labs/gatewayAPI", {{"httpRoute", Name}, {"namespace", NS}}}}}};
    }
    C["maxSurge"] = "25%";
    C["maxUnavailable"] = 0;
    if (!W.Strat.Analysis.empty())
      C["analysis"] = {{"templates", json::array({{{"templateName", dnsName(W.Name) + "-analysis"}}})},
                       {"startingStep", 1}};
    C["steps"] = Steps;
    // Without automatic rollback a failed analysis pauses instead of aborting.
    if (!W.Strat.automaticRollback())
      C["abortScaleDownDelaySeconds"] = 0;
    return C;
  }

  json blueGreenStrategy(const Workload &W) const {
    json B;
    B["activeService"] = dnsName(W.Name);
    B["previewService"] = dnsName(W.Name) + "-preview";
    B["autoPromotionEnabled"] = W.Strat.AutoPromote;
    B["scaleDownDelaySeconds"] = int(W.Strat.ScaleDownDelayMs / 1000);
    if (W.Strat.PreviewReplicas)
      B["previewReplicaCount"] = W.Strat.PreviewReplicas;
    if (!W.Strat.Validate.empty())
      B["prePromotionAnalysis"] = {
          {"templates", json::array({{{"templateName", dnsName(W.Name) + "-validate"}}})}};
    return B;
  }

  /// The PromQL measuring a metric of the traffic through one Service: the
  /// canary Service for an analysis, the workload's own for a scaling event.
  std::string promQuery(const std::string &Service, const std::string &Metric) const {
    std::string Sel = "namespace=\"" + NS + "\",service=\"" + Service + "\"";
    // Without a single 5xx the error series does not exist: count it as 0.
    if (Metric == "error_rate")
      return "(sum(rate(http_requests_total{" + Sel + ",code=~\"5..\"}[2m])) or vector(0)) / "
             "sum(rate(http_requests_total{" + Sel + "}[2m]))";
    if (Metric == "success_rate")
      return "sum(rate(http_requests_total{" + Sel + ",code!~\"5..\"}[2m])) / "
             "sum(rate(http_requests_total{" + Sel + "}[2m]))";
    std::string Quantile = "0." + Metric.substr(Metric.find("_p") + 2);
    return "histogram_quantile(" + Quantile +
           ", sum(rate(http_request_duration_seconds_bucket{" + Sel + "}[2m])) by (le))";
  }

  /// The condition in the query's units: ratios for rates, seconds for latency.
  /// A canary that has served no requests yet gives no result, or NaN (0/0):
  /// no evidence of failure, so the measurement passes.
  static std::string successCondition(const Condition &C) {
    double Limit = C.Metric.find("rate") != std::string::npos ? C.Threshold / 100
                                                              : C.Threshold / 1000;
    return "len(result) == 0 || isNaN(result[0]) || result[0] " + C.Op + " " + number(Limit);
  }

  json canaryAnalysis(const Workload &W) const {
    json Metrics = json::array();
    for (const Condition &C : W.Strat.Analysis)
      Metrics.push_back(
          {{"name", dnsName(C.Metric)},
           {"interval", durationString(W.Strat.AnalysisIntervalMs)},
           {"failureLimit", W.Strat.FailureLimit},
           {"successCondition", successCondition(C)},
           {"provider", {{"prometheus", {{"address", Env.PrometheusUrl},
                                          {"query", promQuery(dnsName(W.Name) + "-canary", C.Metric)}}}}}});
    json A{{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "AnalysisTemplate"}};
    A["metadata"] = metadata(dnsName(W.Name) + "-analysis", &W, "analysis");
    A["spec"] = {{"metrics", Metrics}};
    return A;
  }

  json blueGreenValidation(const Workload &W) const {
    json Metrics = json::array();
    int I = 0;
    for (const Probe &P : W.Strat.Validate) {
      std::string Host = dnsName(W.Name) + "-preview." + NS + ".svc";
      json Container{{"name", "validate"}, {"image", helperImage(helper_images::Curl)}};
      if (P.K == Probe::HttpGet)
        Container["args"] = {"-fsS", "--max-time", "10",
                             "http://" + Host + ":" + std::to_string(P.Port) + P.Path};
      else if (P.K == Probe::Tcp)
        Container["args"] = {"-fsS", "--max-time", "10",
                             "telnet://" + Host + ":" + std::to_string(P.Port)};
      else
        Container = {{"name", "validate"}, {"image", W.Image}, {"command", P.Command}};
      // The check pod must pass the namespace's pod security level and its
      // quota like any other: small fixed resources, restricted context.
      Container["resources"] = {{"limits", {{"cpu", "100m"}, {"memory", "64Mi"}}},
                                {"requests", {{"cpu", "50m"}, {"memory", "64Mi"}}}};
      Container["securityContext"] = containerSecurity();
      json Pod{{"restartPolicy", "Never"},
               {"automountServiceAccountToken", false},
               {"securityContext", restrictedPodSecurity()},
               {"containers", json::array({Container})}};
      Metrics.push_back(
          {{"name", "validate-" + std::to_string(++I)},
           {"provider", {{"job", {{"spec", {{"backoffLimit", 0},
                                            {"template", {{"spec", Pod}}}}}}}}}});
    }
    json A{{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "AnalysisTemplate"}};
    A["metadata"] = metadata(dnsName(W.Name) + "-validate", &W, "analysis");
    A["spec"] = {{"metrics", Metrics}};
    return A;
  }

  std::optional<json> disruptionBudget(const Workload &W) const {
    json Spec{{"selector", {{"matchLabels", selector(W)}}}};
    if (W.Budget && W.Budget->MinAvailable)
      Spec["minAvailable"] = intOrString(*W.Budget->MinAvailable);
    else if (W.Budget && W.Budget->MaxUnavailable)
      Spec["maxUnavailable"] = intOrString(*W.Budget->MaxUnavailable);
    else if (W.K == Workload::WorkerKind ||
             (W.K == Workload::ServiceKind && W.Strat.K == Strategy::Rolling))
      // Rolling services and workers always get a budget: at most one
      // replica down at a time.
      Spec["maxUnavailable"] = 1;
    else
      return std::nullopt;
    json P{{"apiVersion", "policy/v1"}, {"kind", "PodDisruptionBudget"}};
    P["metadata"] = metadata(dnsName(W.Name), &W);
    P["spec"] = Spec;
    return P;
  }

  json hpaDoc(const Workload &W, bool IsRollout) const {
    const Autoscaling &A = *W.Scaling;
    json Metrics = json::array();
    auto resource = [&](const char *Name, double Percent) {
      json Target{{"type", "Utilization"}, {"averageUtilization", int(std::lround(Percent))}};
      json Resource{{"name", Name}, {"target", std::move(Target)}};
      Metrics.push_back({{"type", "Resource"}, {"resource", std::move(Resource)}});
    };
    if (A.CpuPercent)
      resource("cpu", *A.CpuPercent);
    if (A.MemoryPercent)
      resource("memory", *A.MemoryPercent);
    if (Metrics.empty())
      resource("cpu", 80);
    json H{{"apiVersion", "autoscaling/v2"}, {"kind", "HorizontalPodAutoscaler"}};
    H["metadata"] = metadata(dnsName(W.Name), &W);
    H["spec"] = {{"scaleTargetRef", scaleTarget(W, IsRollout)},
                 {"minReplicas", A.Min},
                 {"maxReplicas", A.Max},
                 {"metrics", std::move(Metrics)},
                 {"behavior",
                  {{"scaleUp", {{"stabilizationWindowSeconds", 0}}},
                   {"scaleDown", {{"stabilizationWindowSeconds", int(A.StabilizationMs / 1000)}}}}}};
    return H;
  }

  /// The KEDA trigger for one queue, and the secret key its connection uses.
  json queueTrigger(const Workload &W, const QueueTrigger &Q, const std::string &Value,
                    std::vector<json> &Auths) const {
    json Meta = json::object();
    std::string Type;
    std::string Param;
    if (Q.Broker == "rabbitmq") {
      Type = "rabbitmq";
      Meta = {{"protocol", "amqp"}, {"queueName", Q.Queue}, {"mode", "QueueLength"}, {"value", Value}};
      Param = "host";
    } else if (Q.Broker == "kafka") {
      Type = "kafka";
      Meta = {{"topic", Q.Queue}, {"consumerGroup", dnsName(W.Name)}, {"lagThreshold", Value}};
      Param = "bootstrapServers";
    } else if (Q.Broker == "redis") {
      Type = "redis";
      Meta = {{"listName", Q.Queue}, {"listLength", Value}};
      Param = "address";
    } else if (Q.Broker == "aws_sqs") {
      Type = "aws-sqs-queue";
      Meta = {{"queueURL", Q.Queue},
              {"queueLength", Value},
              {"awsRegion", awsRegion()}};
    } else {
      Type = "nats-jetstream";
      // `$G` is the global account of a server without accounts configured.
      Meta = {{"account", "$G"},
              {"stream", Q.Queue},
              {"consumer", dnsName(W.Name)},
              {"lagThreshold", Value}};
      Param = "natsServerMonitoringEndpoint";
    }
    json T{{"type", Type}, {"name", queueName(Q)}, {"metadata", Meta}};
    json AuthSpec;
    const SecretRef *R = Q.Connection ? Q.Connection->soleRef() : nullptr;
    if (Q.Broker == "aws_sqs")
      AuthSpec = awsAuthentication(R);
    else if (R)
      AuthSpec = {{"secretTargetRef", json::array({{{"parameter", Param},
                                                     {"name", dnsName(R->Secret)},
                                                     {"key", R->Component}}})}};
    else if (Q.Connection && Q.Connection->isPlain())
      T["metadata"][Param] = Q.Connection->plainText();
    if (!AuthSpec.is_null()) {
      std::string AuthName = dnsName(W.Name + "-" + queueName(Q) + "-auth");
      // One authentication per queue, however many triggers read it.
      if (std::none_of(Auths.begin(), Auths.end(), [&](const json &A) {
            return A["metadata"]["name"] == AuthName;
          })) {
        json Auth{{"apiVersion", "keda.sh/v1alpha1"}, {"kind", "TriggerAuthentication"}};
        Auth["metadata"] = metadata(AuthName, &W, "autoscaling");
        Auth["spec"] = std::move(AuthSpec);
        Auths.push_back(std::move(Auth));
      }
      T["authenticationRef"] = {{"name", AuthName}};
    }
    return T;
  }

  /// A queue's name in object names: an SQS queue is written as its URL,
  /// whose last segment is the queue's name.
  static std::string queueName(const QueueTrigger &Q) {
    llvm::StringRef Last = llvm::StringRef(Q.Queue).rsplit('/').second;
    return dnsName(Last.empty() ? Q.Queue : Last.str());
  }

  /// SQS needs a key pair: the components of the connection's secret whose
  /// names say which is the key id and which the secret key. Without both,
  /// KEDA uses the AWS role of the workload's service account (IRSA).
  json awsAuthentication(const SecretRef *R) const {
    std::string Id, Key;
    if (const Secret *S = R ? Env.findSecret(R->Secret) : nullptr)
      for (const SecretComponent &C : S->Components) {
        llvm::StringRef N(C.Name);
        if (N.contains("secret") && Key.empty())
          Key = C.Name;
        else if ((N.contains("key_id") || N.contains("access_key")) && Id.empty())
          Id = C.Name;
      }
    if (Id.empty() || Key.empty())
      return {{"podIdentity", {{"provider", "aws"}, {"identityOwner", "workload"}}}};
    std::string Name = dnsName(R->Secret);
    return {{"secretTargetRef",
             json::array({{{"parameter", "awsAccessKeyID"}, {"name", Name}, {"key", Id}},
                          {{"parameter", "awsSecretAccessKey"}, {"name", Name}, {"key", Key}}})}};
  }

  /// A day-of-week field moved one day on: `1-5` -> `2-6`, `5,6` -> `6,0`
  /// (`*` stays). Names and steps are left as written.
  static std::string nextWeekdays(llvm::StringRef Field) {
    if (Field == "*")
      return "*";
    llvm::SmallVector<llvm::StringRef, 4> Items;
    Field.split(Items, ',');
    std::string Out;
    for (llvm::StringRef Item : Items) {
      auto [From, To] = Item.split('-');
      unsigned A, B;
      if (From.getAsInteger(10, A) || (!To.empty() && To.getAsInteger(10, B)))
        return Field.str();
      auto next = [](unsigned D) { return std::to_string((D + 1) % 7); };
      std::string Shifted = next(A);
      // A range that would wrap past Saturday becomes two items.
      if (!To.empty())
        Shifted = B != 6 ? next(A) + "-" + next(B) : A == 0 ? "0-6" : next(A) + "-6,0";
      Out += (Out.empty() ? "" : ",") + Shifted;
    }
    return Out;
  }

  /// The end of a cron window: start + duration, when the start is a plain
  /// minute and hour.
  static std::string cronEnd(const std::string &Start, int64_t DurationMs) {
    llvm::SmallVector<llvm::StringRef, 5> F;
    llvm::StringRef(Start).split(F, ' ', -1, false);
    int Minute, Hour;
    if (F.size() != 5 || F[0].getAsInteger(10, Minute) || F[1].getAsInteger(10, Hour))
      return Start;
    int64_t Total = Hour * 60 + Minute + DurationMs / 60000;
    int EndHour = int((Total / 60) % 24), EndMinute = int(Total % 60);
    // A window past midnight ends on the next day of the week.
    std::string Days = Total >= 24 * 60 ? nextWeekdays(F[4]) : F[4].str();
    return std::to_string(EndMinute) + " " + std::to_string(EndHour) + " " + F[2].str() +
           " " + F[3].str() + " " + Days;
  }

  std::vector<json> kedaDocs(const Workload &W, bool IsRollout) const {
    const Autoscaling &A = *W.Scaling;
    std::vector<json> Auths;
    json Triggers = json::array();
    for (const QueueTrigger &Q : A.Queues)
      Triggers.push_back(queueTrigger(W, Q, std::to_string(Q.PerReplica), Auths));
    for (const ScheduleWindow &S : A.Schedules)
      Triggers.push_back({{"type", "cron"},
                          {"metadata", {{"timezone", S.Timezone},
                                        {"start", S.Cron},
                                        {"end", cronEnd(S.Cron, S.DurationMs)},
                                        {"desiredReplicas", std::to_string(S.Min)}}}});
    for (const EventTrigger &E : A.Events) {
      if (E.Action != "scale_out")
        continue; // Alerts and rollbacks are the engine's business (docs/emit.md).
      for (const Condition &C : E.Conditions) {
        if (C.Metric == "queue_length") {
          QueueTrigger Q{E.Queue.empty() ? dnsName(W.Name) : E.Queue, "rabbitmq",
                         int(C.Threshold), std::nullopt};
          for (const QueueTrigger &Known : A.Queues)
            if (Known.Queue == Q.Queue)
              Q = Known;
          json T = queueTrigger(W, Q, std::to_string(int(C.Threshold)), Auths);
          // Beside the queue's own trigger: KEDA needs distinct names.
          T["name"] = dnsName(queueName(Q) + "-" + E.Kind);
          Triggers.push_back(std::move(T));
          continue;
        }
        json Meta{{"serverAddress", Env.PrometheusUrl},
                  {"query", promQuery(dnsName(W.Name), C.Metric)},
                  {"threshold", number(C.Metric.find("rate") != std::string::npos
                                           ? C.Threshold / 100
                                           : C.Threshold / 1000)}};
        // A rate or a latency of the whole workload, not a per-pod quantity
        // to divide among replicas.
        Triggers.push_back({{"type", "prometheus"},
                            {"name", dnsName(E.Kind)},
                            {"metricType", "Value"},
                            {"metadata", Meta}});
      }
    }
    // Resource thresholds join the same ScaledObject: never an HPA beside it.
    if (A.CpuPercent)
      Triggers.push_back({{"type", "cpu"}, {"metricType", "Utilization"},
                          {"metadata", {{"value", std::to_string(int(std::lround(*A.CpuPercent)))}}}});
    if (A.MemoryPercent)
      Triggers.push_back({{"type", "memory"}, {"metricType", "Utilization"},
                          {"metadata", {{"value", std::to_string(int(std::lround(*A.MemoryPercent)))}}}});
    // The share of time the workload's containers stalled on I/O, from the
    // kubelet's pressure-stall metrics, averaged over its pods.
    if (A.IoWaitPercent) {
      std::string Sel = "namespace=\"" + NS + "\",container=\"" + dnsName(W.Name) + "\"";
      json Meta{{"serverAddress", Env.PrometheusUrl},
                {"query", "avg(rate(container_pressure_io_waiting_seconds_total{" + Sel + "}[2m]))"},
                {"threshold", number(*A.IoWaitPercent / 100)}};
      Triggers.push_back(
          {{"type", "prometheus"}, {"name", "io-wait"}, {"metricType", "Value"}, {"metadata", Meta}});
    }
    json S{{"apiVersion", "keda.sh/v1alpha1"}, {"kind", "ScaledObject"}};
    S["metadata"] = metadata(dnsName(W.Name), &W, "autoscaling");
    S["spec"] = {{"scaleTargetRef", scaleTarget(W, IsRollout)},
                 {"minReplicaCount", A.Min},
                 {"maxReplicaCount", A.Max},
                 {"cooldownPeriod", int(A.CooldownMs / 1000)},
                 {"advanced", {{"horizontalPodAutoscalerConfig",
                                {{"behavior", {{"scaleDown", {{"stabilizationWindowSeconds",
                                                               int(A.StabilizationMs / 1000)}}}}}}}}},
                 {"triggers", Triggers}};
    std::vector<json> Docs = std::move(Auths);
    Docs.push_back(S);
    return Docs;
  }

  json jobDoc(const Workload &W, json Template) const {
    const JobSpec Spec = W.Job.value_or(JobSpec());
    json JobSpecJ;
    JobSpecJ["backoffLimit"] = Spec.Retries;
    if (Spec.TimeoutMs)
      JobSpecJ["activeDeadlineSeconds"] = int(Spec.TimeoutMs / 1000);
    JobSpecJ["template"] = std::move(Template);
    if (Spec.Schedule.empty()) {
      json J{{"apiVersion", "batch/v1"}, {"kind", "Job"}};
      J["metadata"] = metadata(dnsName(W.Name), &W);
      J["spec"] = JobSpecJ;
      return J;
    }
    std::string Policy = Spec.Concurrency == "allow"     ? "Allow"
                         : Spec.Concurrency == "replace" ? "Replace"
                                                         : "Forbid";
    json C{{"apiVersion", "batch/v1"}, {"kind", "CronJob"}};
    C["metadata"] = metadata(dnsName(W.Name), &W);
    C["spec"] = {{"schedule", Spec.Schedule},
                 {"concurrencyPolicy", Policy},
                 {"successfulJobsHistoryLimit", 3},
                 {"failedJobsHistoryLimit", 3},
                 {"jobTemplate", {{"metadata", {{"labels", labels(&W)}}}, {"spec", JobSpecJ}}}};
    return C;
  }

  //===--------------------------------------------------------------------===//
  // Backups
  //===--------------------------------------------------------------------===//

  /// A location as a restic repository. Local folders are for `deployc
  /// backup` on the machine that has them; a pod cannot reach them.
  static std::optional<std::string> resticRepository(llvm::StringRef Location) {
    if (Location.consume_front("s3://"))
      return "s3:s3.amazonaws.com/" + Location.str();
    for (const char *Scheme : {"gs", "azure"})
      if (Location.consume_front(std::string(Scheme) + "://")) {
        auto [Bucket, Path] = Location.split('/');
        return std::string(Scheme) + ":" + Bucket.str() + ":/" + Path.str();
      }
    return std::nullopt;
  }

  /// Remembers the namespaced resources emitted, which the environment's
  /// backup snapshots.
  void noteResources(const std::vector<json> &Docs) {
    for (const json &D : Docs) {
      if (D.at("metadata").value("namespace", "") != NS)
        continue;
      std::string Api = D.value("apiVersion", "");
      size_t Slash = Api.find('/');
      std::string Group = Slash == std::string::npos ? "" : Api.substr(0, Slash);
      std::string Kind = llvm::StringRef(D.value("kind", "")).lower();
      std::string Plural = llvm::StringRef(Kind).endswith("y") ? Kind.substr(0, Kind.size() - 1) + "ies"
                           : llvm::StringRef(Kind).endswith("s") ? Kind + "es"
                                                                 : Kind + "s";
      SnapshotKinds.insert({Group, Plural});
    }
  }

  /// The environment's state in the cluster, backed up with restic to each
  /// object-store location: a snapshot of its objects (the spec recreates
  /// them, but not their live state: scaled replicas, rollout progress), and
  /// the data of each workload's volumes. Secrets are not snapshotted: they
  /// live in the secret store's backend.
  std::vector<json> backupDocs() {
    const Environment::BackupPolicy &B = *Env.Backup;
    std::vector<std::string> Repositories;
    for (const std::string &L : B.Locations)
      if (auto R = resticRepository(L))
        Repositories.push_back(*R);
    // Backups to local folders only are for `deployc backup` (local engines).
    if (Repositories.empty())
      return {};
    const Secret *Credentials = Env.findSecret(B.Credentials);
    if (!Credentials) {
      Diags.report(DiagID::BackupWithoutCredentials, B.Where, {Env.Name});
      return {};
    }
    std::vector<json> Docs;
    json SA{{"apiVersion", "v1"}, {"kind", "ServiceAccount"}};
    SA["metadata"] = metadata("deployc-backup", nullptr, "backup");
    Docs.push_back(std::move(SA));
    SnapshotKinds.insert({"", "serviceaccounts"});
    SnapshotKinds.insert({"rbac.authorization.k8s.io", "roles"});
    SnapshotKinds.insert({"rbac.authorization.k8s.io", "rolebindings"});
    SnapshotKinds.insert({"batch", "cronjobs"});
    json Rules = json::array();
    std::vector<std::string> Names;
    std::map<std::string, std::vector<std::string>> ByGroup;
    for (const auto &[Group, Plural] : SnapshotKinds) {
      ByGroup[Group].push_back(Plural);
      Names.push_back(Group.empty() ? Plural : Plural + "." + Group);
    }
    for (const auto &[Group, Plurals] : ByGroup)
      Rules.push_back({{"apiGroups", json::array({Group})},
                       {"resources", Plurals},
                       {"verbs", json::array({"get", "list"})}});
    json Role{{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "Role"}};
    Role["metadata"] = metadata("deployc-backup", nullptr, "backup");
    Role["rules"] = Rules;
    Docs.push_back(std::move(Role));
    json Binding{{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "RoleBinding"}};
    Binding["metadata"] = metadata("deployc-backup", nullptr, "backup");
    Binding["roleRef"] = {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"},
                          {"name", "deployc-backup"}};
    Binding["subjects"] =
        json::array({{{"kind", "ServiceAccount"}, {"name", "deployc-backup"}, {"namespace", NS}}});
    Docs.push_back(std::move(Binding));

    // The snapshot is taken by an init container into a scratch volume.
    json Snapshot{{"name", "snapshot"},
                  {"image", helperImage(helper_images::Kubectl)},
                  {"command", {"/bin/sh", "-c",
                               "kubectl get " + llvm::join(Names, ",") + " --namespace " + NS +
                                   " --output yaml > /backup/objects/objects.yaml"}},
                  {"env", json::array({{{"name", "HOME"}, {"value", "/tmp"}}})},
                  {"volumeMounts", json::array({{{"name", "objects"}, {"mountPath", "/backup/objects"}},
                                                {{"name", "tmp"}, {"mountPath", "/tmp"}}})},
                  {"resources", helperResources()},
                  {"securityContext", containerSecurity()}};
    json Pod{{"serviceAccountName", "deployc-backup"},
             {"securityContext", restrictedPodSecurity()},
             {"initContainers", json::array({Snapshot})},
             {"volumes", json::array({{{"name", "objects"}, {"emptyDir", json::object()}}})}};
    Docs.push_back(backupCronJob("deployc-backup", std::move(Pod),
                                 {{{"name", "objects"}, {"mountPath", "/backup/objects"},
                                   {"readOnly", true}}},
                                 Repositories, *Credentials));
    // A volume can be attached to one node only: each workload's data is
    // backed up by a job of its own, scheduled beside the workload's pods.
    // A StatefulSet's pods each have claims of their own, on their own
    // nodes: a job per pod, beside that pod.
    for (const Workload &W : Env.Workloads) {
      if (W.Volumes.empty())
        continue;
      if (!W.Stateful) {
        Docs.push_back(volumeBackupJob(W, dnsName(W.Name + "-backup"), selector(W),
                                       [&](const Volume &V) { return dnsName(W.Name + "-" + V.Name); },
                                       Repositories, *Credentials));
        continue;
      }
      for (int I = 0; I != W.MaxReplicas; ++I) {
        std::string Pod = dnsName(W.Name) + "-" + std::to_string(I);
        json Selector{{"statefulset.kubernetes.io/pod-name", Pod}};
        Docs.push_back(volumeBackupJob(W, dnsName(W.Name + "-backup-" + std::to_string(I)),
                                       Selector,
                                       [&](const Volume &V) { return dnsName(V.Name) + "-" + Pod; },
                                       Repositories, *Credentials));
      }
    }
    return Docs;
  }

  /// A job backing up W's claims (named by ClaimName) read-only, scheduled
  /// on the node of the pod Selector matches: a ReadWriteOnce volume
  /// attaches to one node.
  json volumeBackupJob(const Workload &W, const std::string &Name, const json &Selector,
                       llvm::function_ref<std::string(const Volume &)> ClaimName,
                       const std::vector<std::string> &Repositories, const Secret &Credentials) {
    json Volumes = json::array(), Mounts = json::array();
    for (const Volume &V : W.Volumes) {
      Volumes.push_back({{"name", dnsName(V.Name)},
                         {"persistentVolumeClaim", {{"claimName", ClaimName(V)}, {"readOnly", true}}}});
      Mounts.push_back({{"name", dnsName(V.Name)},
                        {"mountPath", "/backup/" + dnsName(V.Name)},
                        {"readOnly", true}});
    }
    json Affinity{{"podAffinity",
                   {{"requiredDuringSchedulingIgnoredDuringExecution",
                     json::array({{{"labelSelector", {{"matchLabels", Selector}}},
                                   {"topologyKey", "kubernetes.io/hostname"}}})}}}};
    json VolumePod{{"automountServiceAccountToken", false},
                   {"securityContext", podSecurity(W)},
                   {"affinity", Affinity},
                   {"volumes", Volumes}};
    return backupCronJob(Name, std::move(VolumePod), std::move(Mounts), Repositories, Credentials);
  }

  /// Small fixed resources for deployc's helper containers, which must fit
  /// the namespace's quota like any other.
  static json helperResources() {
    return {{"limits", {{"cpu", "500m"}, {"memory", "512Mi"}}},
            {"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}}};
  }

  /// A CronJob running restic over /backup: each repository is initialised on
  /// first use, then gets a snapshot, is pruned to the retention and checked.
  json backupCronJob(const std::string &Name, json Pod, json Mounts,
                     const std::vector<std::string> &Repositories, const Secret &Credentials) {
    const Environment::BackupPolicy &B = *Env.Backup;
    std::string Script = "set -eu\n"
                         "for repository in $DEPLOYC_BACKUP_REPOSITORIES; do\n"
                         "  export RESTIC_REPOSITORY=\"$repository\"\n"
                         "  restic cat config >/dev/null 2>&1 || restic init\n"
                         "  restic backup --host \"$DEPLOYC_BACKUP_HOST\" /backup\n";
    if (B.RetentionMs)
      Script += "  restic forget --host \"$DEPLOYC_BACKUP_HOST\" --keep-within " +
                std::to_string(std::max<int64_t>(1, (B.RetentionMs + 3'599'999) / 3'600'000)) +
                "h --prune\n";
    if (B.Verify)
      Script += "  restic check\n";
    Script += "done\n";
    json Vars = json::array({{{"name", "DEPLOYC_BACKUP_REPOSITORIES"},
                              {"value", llvm::join(Repositories, " ")}},
                             {{"name", "DEPLOYC_BACKUP_HOST"}, {"value", NS + "-" + Name}},
                             {{"name", "HOME"}, {"value", "/tmp"}}});
    for (const SecretComponent &C : Credentials.Components)
      Vars.push_back({{"name", llvm::StringRef(C.Name).upper()},
                      {"valueFrom", {{"secretKeyRef", {{"name", dnsName(Credentials.Name)},
                                                       {"key", C.Name}}}}}});
    Mounts.push_back({{"name", "tmp"}, {"mountPath", "/tmp"}});
    json Container{{"name", "backup"},
                   {"image", helperImage(helper_images::Restic)},
                   {"command", {"/bin/sh", "-c", Script}},
                   {"env", Vars},
                   {"volumeMounts", Mounts},
                   {"resources", helperResources()},
                   {"securityContext", containerSecurity()}};
    Pod["restartPolicy"] = "OnFailure";
    Pod["containers"] = json::array({Container});
    Pod["volumes"].push_back({{"name", "tmp"}, {"emptyDir", json::object()}});
    json C{{"apiVersion", "batch/v1"}, {"kind", "CronJob"}};
    // Not the workload's labels: its Service, budget and autoscaler select
    // pods by them.
    C["metadata"] = metadata(Name, nullptr, "backup");
    C["spec"] = {{"schedule", B.Schedule},
                 {"concurrencyPolicy", "Forbid"},
                 {"successfulJobsHistoryLimit", 3},
                 {"failedJobsHistoryLimit", 3},
                 {"jobTemplate", {{"spec", {{"backoffLimit", 2},
                                            {"template", {{"metadata", {{"labels", labels(nullptr, "backup")}}},
                                                          {"spec", Pod}}}}}}}};
    return C;
  }

  //===--------------------------------------------------------------------===//
  // Patches
  //===--------------------------------------------------------------------===//

  void applyPatches(std::vector<json> &Docs, const std::vector<Patch> &Patches,
                    const Workload *W) {
    for (const Patch &P : Patches) {
      json Body = json::parse(P.JSON, nullptr, false);
      bool Applied = false;
      for (json &D : Docs)
        if (D.value("kind", "") == P.Kind) {
          D.merge_patch(Body);
          Applied = true;
        }
      if (Applied)
        AppliedPatches.insert(&P);
      else if (W)
        checkTarget(P, Docs);
      else
        PendingEnvPatches.insert(&P);
    }
  }

  void checkTarget(const Patch &P, const std::vector<json> &Docs) {
    std::set<std::string> Kinds;
    for (const json &D : Docs)
      Kinds.insert(D.value("kind", ""));
    std::string List;
    for (const std::string &K : Kinds)
      List += (List.empty() ? "`" : ", `") + K + "`";
    Diags.report(DiagID::PatchTargetNotEmitted, P.Where,
                 {P.Kind, "`" + P.Target + "` in environment `" + Env.Name + "`",
                  List});
  }

  void reportUnusedPatches() {
    for (const Patch *P : PendingEnvPatches)
      if (!AppliedPatches.count(P))
        Diags.report(DiagID::PatchTargetNotEmitted, P->Where,
                     {P->Kind, "environment `" + Env.Name + "`", "none of that kind"});
  }

  /// First, so that it outlives every document the emitter holds.
  DocumentArena Arena;
  const Environment &Env;
  DiagnosticEngine &Diags;
  std::string NS;
  std::set<const Patch *> AppliedPatches, PendingEnvPatches;
  std::set<std::pair<std::string, std::string>> SnapshotKinds; ///< (group, plural)
  struct LabelSet {
    bool Valid = false;
    const Workload *W = nullptr;
    std::string Component;
    json Labels;
  };
  mutable LabelSet LastLabels;
};

} // namespace

struct ClusterObjects::Impl {
  /// An object as JSON text (documents live in an emitter's arena, which
  /// dies with it), without a store's namespace conditions, which are kept
  /// apart and merged.
  struct Object {
    std::string Text, Environment;
    /// The first environment's patch of the kind, if any.
    SourceRange Patched;
    std::set<std::string> Namespaces;
  };
  /// By kind and name: the order of the output.
  std::map<std::pair<std::string, std::string>, Object> Objects;

  std::vector<json> documents() const {
    std::vector<json> Docs;
    for (const auto &[Key, O] : Objects) {
      json D = json::parse(O.Text);
      if (!O.Namespaces.empty()) {
        json Names = json::array();
        for (const std::string &N : O.Namespaces)
          Names.push_back(N);
        D["spec"]["conditions"] = json::array({{{"namespaces", std::move(Names)}}});
      }
      Docs.push_back(std::move(D));
    }
    return Docs;
  }
};

void KubernetesEmitter::addClusterObject(ClusterObjects &Cluster, json &Doc) {
  std::set<std::string> Namespaces;
  if (Doc["kind"] == "ClusterSecretStore" && Doc["spec"].contains("conditions")) {
    for (const json &C : Doc["spec"]["conditions"])
      if (C.contains("namespaces") && C.size() == 1)
        for (const json &N : C["namespaces"])
          Namespaces.insert(N.get<std::string>());
    // Conditions a patch changed are compared whole, not merged.
    if (!Namespaces.empty())
      Doc["spec"].erase("conditions");
  }
  std::string Kind = Doc["kind"], Name = Doc["metadata"]["name"];
  // Only a patch makes environments' objects differ: point at it.
  SourceRange Patched;
  for (const Patch &P : Env.Patches)
    if (P.Kind == Kind) {
      Patched = P.Where;
      break;
    }
  auto [It, New] = Cluster.I->Objects.try_emplace(
      {Kind, Name}, ClusterObjects::Impl::Object{Doc.dump(), Env.Name, Patched, {}});
  ClusterObjects::Impl::Object &O = It->second;
  if (!New && O.Text != Doc.dump()) {
    Diags.report(DiagID::ClusterObjectDiffers, Patched.isValid() ? Patched : O.Patched,
                 {O.Environment, Env.Name, Kind, Name});
    return;
  }
  O.Namespaces.insert(Namespaces.begin(), Namespaces.end());
}

ClusterObjects::ClusterObjects() : I(std::make_unique<Impl>()) {}
ClusterObjects::~ClusterObjects() = default;

std::vector<EmittedFile> ClusterObjects::files(const std::vector<std::string> &EnvNames) const {
  std::vector<EmittedFile> Out;
  std::string Root = KubernetesFolder;
  json Top{{"apiVersion", "kustomize.config.k8s.io/v1beta1"}, {"kind", "Kustomization"}};
  Top["resources"] = json::array();
  if (!I->Objects.empty()) {
    std::string Folder = Root + "/" + ClusterFolder;
    Out.push_back({Folder + "/cluster-scoped.yaml", stream()});
    json K{{"apiVersion", "kustomize.config.k8s.io/v1beta1"}, {"kind", "Kustomization"}};
    K["resources"] = json::array({"cluster-scoped.yaml"});
    Out.push_back({Folder + "/" + KustomizationFile, toYAML(K)});
    Top["resources"].push_back(ClusterFolder);
  }
  for (const std::string &E : EnvNames)
    Top["resources"].push_back(E);
  Out.push_back({Root + "/" + KustomizationFile, toYAML(Top)});
  return Out;
}

std::string ClusterObjects::stream() const { return toYAMLStream(I->documents()); }

bool emit::isKustomization(const EmittedFile &F) {
  return llvm::sys::path::filename(F.Path) == KustomizationFile;
}

void emit::emitKubernetes(const Environment &Env, DiagnosticEngine &Diags,
                          llvm::function_ref<void(EmittedFile)> Sink, unsigned Threads,
                          ClusterObjects *Cluster) {
  std::string Folder = std::string(KubernetesFolder) + "/" + Env.Name + "/";
  KubernetesEmitter(Env, Diags).run(
      [&](std::string Name, std::string YAML) { Sink({Folder + Name, std::move(YAML)}); },
      Threads, Cluster);
}

std::vector<EmittedFile> emit::emitKubernetes(const Environment &Env, DiagnosticEngine &Diags,
                                              unsigned Threads, ClusterObjects *Cluster) {
  std::vector<EmittedFile> Out;
  emitKubernetes(Env, Diags, [&](EmittedFile F) { Out.push_back(std::move(F)); }, Threads,
                 Cluster);
  return Out;
}

std::string emit::embeddedSecretsManifest(const Environment &Env,
                                          const EmbeddedSecretValues &Values) {
  // Building Secrets reports nothing.
  SourceManager SM;
  DiagnosticEngine Diags(SM);
  return KubernetesEmitter(Env, Diags).embeddedSecrets(Values);
}

std::string emit::emitKubernetesStream(const Environment &Env, DiagnosticEngine &Diags) {
  std::string Out;
  KubernetesEmitter(Env, Diags).run(
      [&](std::string Name, std::string YAML) {
        if (Name != KustomizationFile)
          Out += YAML;
      },
      0, nullptr);
  return Out;
}
