//===- Lower.cpp - From evaluated values to the resource model ------------===//
//
// Reads one EnvironmentModel and fills a plan::Environment, applying defaults
// the language documents: one replica, the tier's default resource tier, a cpu
// request of half the limit and a memory request equal to the limit, a rolling
// strategy, KEDA whenever a workload has queue, schedule or event triggers.
//
//===----------------------------------------------------------------------===//

#include "deployc/Plan/Plan.h"
#include "deployc/Sema/Program.h"
#include "deployc/Sema/Sema.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

using namespace deployc;
using namespace deployc::plan;
using sema::Value;
using VK = sema::Value::Kind;

bool Text::isPlain() const {
  return std::all_of(Parts.begin(), Parts.end(), [](const TextPart &P) { return !P.Ref; });
}

std::string Text::plainText() const {
  std::string S;
  for (const TextPart &P : Parts)
    if (!P.Ref)
      S += P.Literal;
  return S;
}

const SecretRef *Text::soleRef() const {
  const SecretRef *Found = nullptr;
  for (const TextPart &P : Parts) {
    if (P.Ref) {
      if (Found)
        return nullptr;
      Found = &*P.Ref;
    } else if (!P.Literal.empty()) {
      return nullptr;
    }
  }
  return Found;
}

std::string IntOrPercent::str() const {
  if (IsPercent)
    return sema::formatPercent(Value);
  return std::to_string(int64_t(Value));
}

std::vector<SecretRef> Workload::secretRefs() const {
  std::set<SecretRef> Refs;
  auto add = [&](const Text &T) {
    for (const TextPart &P : T.Parts)
      if (P.Ref)
        Refs.insert(*P.Ref);
  };
  for (const EnvVar &E : Env)
    add(E.Value);
  for (const SecretFile &F : SecretFiles)
    Refs.insert(F.Ref);
  for (const std::vector<Container> *Group : {&Init, &Sidecars})
    for (const Container &C : *Group)
      for (const EnvVar &E : C.Env)
        add(E.Value);
  if (Scaling)
    for (const QueueTrigger &Q : Scaling->Queues)
      if (Q.Connection)
        add(*Q.Connection);
  if (Queue && Queue->Connection)
    add(*Queue->Connection);
  return {Refs.begin(), Refs.end()};
}

const Secret *Environment::findSecret(const std::string &Name) const {
  for (const Secret &S : Secrets)
    if (S.Name == Name)
      return &S;
  return nullptr;
}

const Build *Environment::findBuild(const std::string &Name) const {
  for (const Build &B : Builds)
    if (B.Name == Name)
      return &B;
  return nullptr;
}

const Workload *Environment::findWorkload(const std::string &Name) const {
  for (const Workload &W : Workloads)
    if (W.Name == Name)
      return &W;
  return nullptr;
}

// One normalisation for emitting and for the check that no two names meet.
std::string plan::dnsName(const std::string &Name) { return sema::kubernetesName(Name); }

namespace {

std::string str(const Value &V, std::string Default = "") {
  if (V.is(VK::String) || V.is(VK::Enum) || V.is(VK::Ref))
    return V.toDisplayString();
  if (V.is(VK::Int))
    return std::to_string(V.getInt());
  return Default;
}

std::vector<std::string> strings(const Value &V) {
  std::vector<std::string> Out;
  for (const Value &E : V.getElements())
    Out.push_back(E.is(VK::String) || E.is(VK::Enum) || E.is(VK::Ref)
                      ? E.toDisplayString()
                      : E.toDisplayString());
  return Out;
}

int64_t millis(const Value &V, int64_t Default = 0) {
  return V.is(VK::Duration) ? V.getInt() : Default;
}

int seconds(const Value &V) { return V.is(VK::Duration) ? int(V.getInt() / 1000) : 0; }

int integer(const Value &V, int Default = 0) {
  return V.is(VK::Int) ? int(V.getInt()) : Default;
}

bool boolean(const Value &V, bool Default) { return V.is(VK::Bool) ? V.getBool() : Default; }

std::optional<IntOrPercent> intOrPercent(const Value &V) {
  if (V.is(VK::Int))
    return IntOrPercent{false, double(V.getInt())};
  if (V.is(VK::Percent))
    return IntOrPercent{true, V.getFloat()};
  return std::nullopt;
}

Text text(const Value &V) {
  Text T;
  if (V.is(VK::Secret)) {
    for (const Value::SecretPart &P : V.getSecretParts()) {
      if (P.Secret)
        T.Parts.push_back({"", SecretRef{P.Secret->Name.Name, P.Component}});
      else if (!P.Component.empty()) // A component inside a secret type's template.
        T.Parts.push_back({"", SecretRef{"", P.Component}});
      else
        T.Parts.push_back({P.Text, std::nullopt});
    }
    return T;
  }
  if (V.is(VK::Bool))
    return Text::plain(V.getBool() ? "true" : "false");
  return Text::plain(V.isAbsent() ? "" : V.toDisplayString());
}

std::vector<EnvVar> envVars(const Value &V) {
  std::vector<EnvVar> Out;
  for (const auto &[Name, Val] : V.getFields())
    Out.push_back({Name, text(Val)});
  return Out;
}

std::optional<Probe> probe(const Value &V) {
  if (!V.is(VK::Object))
    return std::nullopt;
  Probe P;
  const std::string &Tag = V.getTag();
  if (Tag == "http_get")
    P.K = Probe::HttpGet;
  else if (Tag == "tcp")
    P.K = Probe::Tcp;
  else if (Tag == "exec")
    P.K = Probe::Exec;
  else
    return std::nullopt;
  P.Path = str(V.get("path"));
  P.Port = integer(V.get("port"));
  P.PortName = str(V.get("port_name"));
  P.Command = strings(V.get("command"));
  return P;
}

std::vector<Probe> probes(const Value &V) {
  std::vector<Probe> Out;
  for (const Value &E : V.getElements())
    if (auto P = probe(E))
      Out.push_back(*P);
  return Out;
}

std::vector<Condition> conditions(const Value &Block) {
  std::vector<Condition> Out;
  for (const auto &[Name, V] : Block.getFields()) {
    if (!V.is(VK::Object) || !V.getField("op"))
      continue;
    const Value &T = V.get("value");
    Condition C;
    C.Metric = Name;
    C.Op = V.get("op").getString();
    C.Threshold = T.asNumber();
    C.Display = T.toDisplayString();
    Out.push_back(C);
  }
  return Out;
}

Resources resources(const sema::EnvironmentModel &M, const Value &R,
                    const std::string &DefaultTier) {
  Value Spec = R;
  Resources Out;
  if (R.is(VK::Ref)) {
    Out.TierName = R.getDecl()->Name.Name;
    if (const Value *T = M.find(R.getDecl()))
      Spec = *T;
  } else if (R.isAbsent() && !DefaultTier.empty()) {
    for (const sema::EvaluatedDecl &E : M.Decls)
      if (E.Decl->Kind == ast::DeclKind::ResourceTier && E.Decl->Name.Name == DefaultTier) {
        Spec = E.Val;
        Out.TierName = DefaultTier;
      }
  }
  if (!Spec.is(VK::Object))
    return Out;
  if (Spec.get("cpu").is(VK::Cpu))
    Out.CpuLimitMilli = Spec.get("cpu").getInt();
  if (Spec.get("memory").is(VK::Memory))
    Out.MemoryLimit = Spec.get("memory").getInt();
  // Requests default to half the cpu limit and all of the memory limit.
  Out.CpuRequestMilli = Spec.get("cpu_request").is(VK::Cpu) ? Spec.get("cpu_request").getInt()
                                                             : Out.CpuLimitMilli / 2;
  Out.MemoryRequest = Spec.get("memory_request").is(VK::Memory)
                          ? Spec.get("memory_request").getInt()
                          : Out.MemoryLimit;
  Out.Priority = str(Spec.get("priority"));
  return Out;
}

std::vector<Port> ports(const Value &V) {
  std::vector<Port> Out;
  for (const auto &[Name, P] : V.getFields()) {
    Port Pt;
    Pt.Name = Name;
    Pt.Number = integer(P.get("port"));
    std::string Proto = str(P.get("protocol"));
    if (Proto == "udp")
      Pt.Protocol = "UDP";
    else if (Proto == "http" || Proto == "grpc")
      Pt.AppProtocol = Proto;
    Pt.Expose = boolean(P.get("expose"), false);
    Out.push_back(Pt);
  }
  return Out;
}

Strategy strategy(const Value &V) {
  Strategy S;
  if (!V.is(VK::Object))
    return S;
  S.Rollback = str(V.get("rollback"));
  const std::string &Tag = V.getTag();
  if (Tag == "blue_green") {
    S.K = Strategy::BlueGreen;
    S.AutoPromote = boolean(V.get("auto_promote"), false);
    S.ScaleDownDelayMs = millis(V.get("scale_down_delay"), S.ScaleDownDelayMs);
    S.PreviewReplicas = integer(V.get("preview_replicas"));
    S.Validate = probes(V.get("validate"));
  } else if (Tag == "canary") {
    S.K = Strategy::Canary;
    for (const Value &W : V.get("steps").getElements())
      S.Steps.push_back(W.asNumber());
    S.StepPauseMs = millis(V.get("pause"));
    const Value &A = V.get("analysis");
    S.Analysis = conditions(A);
    S.AnalysisIntervalMs = millis(A.get("interval"), S.AnalysisIntervalMs);
    S.FailureLimit = integer(A.get("failure_limit"), S.FailureLimit);
  } else {
    S.K = Strategy::Rolling;
    if (auto B = intOrPercent(V.get("batch")))
      S.MaxSurge = *B;
    if (auto U = intOrPercent(V.get("max_unavailable")))
      S.MaxUnavailable = *U;
    S.HealthCheckPerBatch = boolean(V.get("health_check"), true);
    S.BatchPauseMs = millis(V.get("pause"));
  }
  return S;
}

std::optional<Autoscaling> autoscaling(const Value &V) {
  if (!V.is(VK::Object))
    return std::nullopt;
  Autoscaling A;
  const Value &R = V.get("replicas");
  if (R.is(VK::Range)) {
    A.Min = integer(R.getLow(), 1);
    A.Max = integer(R.getHigh(), A.Min);
  }
  for (const Condition &C : conditions(V)) {
    if (C.Metric == "cpu")
      A.CpuPercent = C.Threshold;
    else if (C.Metric == "memory")
      A.MemoryPercent = C.Threshold;
    else if (C.Metric == "io_wait")
      A.IoWaitPercent = C.Threshold;
  }
  for (const auto &[Name, Q] : V.get("queue").getFields()) {
    QueueTrigger T;
    T.Queue = Name;
    T.Broker = str(Q.get("broker"));
    T.PerReplica = integer(Q.get("per_replica"), 1);
    if (Q.getField("connection"))
      T.Connection = text(Q.get("connection"));
    A.Queues.push_back(T);
  }
  for (const auto &[Cron, S] : V.get("schedule").getFields()) {
    ScheduleWindow W;
    W.Cron = Cron;
    W.Min = integer(S.get("min"));
    W.DurationMs = millis(S.get("duration"), W.DurationMs);
    W.Timezone = str(S.get("timezone"), W.Timezone);
    A.Schedules.push_back(W);
  }
  for (const auto &[Kind, E] : V.get("event").getFields()) {
    EventTrigger T;
    T.Kind = Kind;
    T.Action = str(E.get("action"));
    T.Queue = str(E.get("queue"));
    T.Conditions = conditions(E);
    T.Notify = strings(E.get("notify"));
    A.Events.push_back(T);
  }
  std::string Kind = str(V.get("autoscaler"), "auto");
  // io_wait has no resource metric: KEDA reads it from Prometheus.
  bool NeedsKeda = !A.Queues.empty() || !A.Schedules.empty() || !A.Events.empty() ||
                   A.IoWaitPercent;
  A.Autoscaler = Kind == "auto" ? (NeedsKeda ? "keda" : "hpa") : Kind;
  A.CooldownMs = millis(V.get("cooldown"), A.CooldownMs);
  A.StabilizationMs = millis(V.get("stabilization"), A.StabilizationMs);
  return A;
}

Container container(const sema::EnvironmentModel &M, const std::string &Name,
                    const Value &V) {
  Container C;
  C.Name = Name;
  C.Image = str(V.get("image"));
  C.Command = strings(V.get("command"));
  C.Args = strings(V.get("args"));
  C.Env = envVars(V.get("env"));
  if (!V.get("resources").isAbsent())
    C.Res = resources(M, V.get("resources"), "");
  for (const auto &[PName, P] : V.get("port").getFields())
    C.Ports.push_back({PName, integer(P), "TCP", "", false});
  return C;
}

RunStep runStep(const Value &V) {
  RunStep R;
  if (V.is(VK::String)) {
    R.Command = V.getString();
    return R;
  }
  R.Command = str(V.get("command"));
  for (const auto &[Target, C] : V.get("cache").getFields())
    R.Caches.push_back({Target, str(C.get("sharing"), "locked"), str(C.get("id"))});
  for (const auto &[Id, S] : V.get("secret").getFields())
    R.Secrets.push_back({Id, str(S.get("target")), str(S.get("env")), text(S.get("value"))});
  return R;
}

std::vector<RunStep> runSteps(const Value &V) {
  std::vector<RunStep> Out;
  for (const Value &E : V.getElements())
    Out.push_back(runStep(E));
  return Out;
}

class Lowering {
public:
  Lowering(const sema::Program &P, const sema::EnvironmentModel &M,
           sema::EnvironmentModel *Consumed = nullptr)
      : P(P), M(M), Consumed(Consumed) {}

  Environment run() {
    Environment E;
    E.Name = M.Name;
    lowerSettings(E);
    // A Workload is large: growing the vector by doubling wasted up to half.
    E.Workloads.reserve(llvm::count_if(M.Decls, [](const sema::EvaluatedDecl &D) {
      return D.Decl->Kind == ast::DeclKind::Service || D.Decl->Kind == ast::DeclKind::Worker ||
             D.Decl->Kind == ast::DeclKind::Job;
    }));
    for (const sema::EvaluatedDecl &D : M.Decls) {
      const ast::Module *Mod = P.getModule(D.Decl);
      if (Mod && Mod->IsStdlib)
        continue;
      switch (D.Decl->Kind) {
      case ast::DeclKind::Service:
      case ast::DeclKind::Worker:
      case ast::DeclKind::Job:
        E.Workloads.push_back(lowerWorkload(E, D));
        if (Consumed)
          Consumed->Decls[&D - M.Decls.data()].Val = Value();
        break;
      case ast::DeclKind::Secret:
        E.Secrets.push_back(lowerSecret(D));
        break;
      case ast::DeclKind::Build:
        E.Builds.push_back(lowerBuild(D));
        break;
      case ast::DeclKind::DevContainer:
        E.DevContainers.push_back(lowerDevContainer(D));
        break;
      case ast::DeclKind::Channel:
        E.Channels.push_back({D.Decl->Name.Name, str(D.Val.get("webhook")),
                              strings(D.Val.get("command"))});
        break;
      default:
        break;
      }
    }
    // Images of workloads built from source come from their build.
    for (Workload &W : E.Workloads)
      if (W.Image.empty() && !W.BuildName.empty())
        if (const Build *B = E.findBuild(W.BuildName))
          W.Image = B->Image.empty() ? dnsName(B->Name) + ":latest" : B->Image;
    return E;
  }

private:
  void lowerSettings(Environment &E) {
    const Value &Env = M.Env;
    E.Namespace = dnsName(str(Env.get("namespace"), M.Name));
    E.Tier = M.TierDecl ? M.TierDecl->Name.Name : "";
    E.Classification = str(M.Tier.get("classification"));
    E.Restrictions = strings(M.Tier.get("restrictions"));
    E.Regions = strings(Env.get("regions"));
    E.Cluster = boolean(Env.get("cluster"), true);
    const Value &Alloc = M.Tier.get("resources");
    if (Alloc.is(VK::Object)) {
      Allocation A;
      A.CpuMilli = Alloc.get("cpu").is(VK::Cpu) ? Alloc.get("cpu").getInt() : 0;
      A.Memory = Alloc.get("memory").is(VK::Memory) ? Alloc.get("memory").getInt() : 0;
      A.Storage = Alloc.get("storage").is(VK::Memory) ? Alloc.get("storage").getInt() : 0;
      A.Pods = integer(Alloc.get("pods"));
      E.Quota = A;
    }
    E.DefaultResourceTier = str(M.Tier.get("default_resources"));
    // Found once here, not by a search of every declaration per workload.
    DefaultResources = resources(M, Value(), E.DefaultResourceTier);
    if (!DefaultResources.empty())
      E.DefaultResources = DefaultResources;
    const Value &Net = Env.get("network");
    E.Isolation = str(Net.get("isolation"), E.Isolation);
    E.Routing = str(Net.get("routing"), E.Routing);
    E.Domain = str(Net.get("domain"));
    std::string Gateway = str(Net.get("gateway"));
    auto [GatewayNS, GatewayName] = llvm::StringRef(Gateway).split('/');
    E.GatewayNamespace = GatewayNS.str();
    E.GatewayName = GatewayName.str();
    E.Ingress = strings(Net.get("ingress"));
    E.Egress = strings(Net.get("egress"));
    const Value &Sec = Env.get("security");
    E.PodSecurity = str(Sec.get("pod_security"), E.PodSecurity);
    E.RunAsNonRoot = boolean(Sec.get("run_as_non_root"), true);
    E.ReadOnlyRoot = boolean(Sec.get("read_only_root"), false);
    E.RunAsUser = integer(Sec.get("run_as_user"));
    E.AllowedRegistries = strings(Sec.get("allowed_registries"));
    E.HelperRegistry = str(Sec.get("helper_registry"));
    E.AgeRecipients = strings(Sec.get("age_recipients"));
    const Value &Mon = Env.get("monitoring");
    E.Prometheus = boolean(Mon.get("prometheus"), false);
    E.PrometheusUrl = str(Mon.get("prometheus_url"), E.PrometheusUrl);
    E.Alerts = str(Mon.get("alerts"));
    for (const auto &[Name, On] : Env.get("features").getFields())
      E.Features[Name] = boolean(On, false);
    const Value &Drift = Env.get("drift");
    for (const auto &[Class, Sev] : Drift.get("severity").getFields())
      E.DriftSeverity[Class] = str(Sev);
    for (const auto &[Sev, Action] : Drift.get("actions").getFields())
      E.DriftActions[Sev] = str(Action);
    E.DriftNotify = strings(Drift.get("notify"));
    const Value &Backup = Env.get("backup");
    if (Backup.is(VK::Object)) {
      Environment::BackupPolicy B;
      B.Schedule = str(Backup.get("schedule"));
      B.Locations = strings(Backup.get("locations"));
      B.Verify = boolean(Backup.get("verify"), true);
      B.RetentionMs = millis(Backup.get("retention"));
      B.Credentials = str(Backup.get("credentials"));
      B.Where = Backup.getOrigin();
      E.Backup = B;
    }
    E.Notify = strings(Env.get("notify"));
    E.Operators = strings(Env.get("operators"));
    E.Patches = patches(Env.get("patch"), "");
  }

  static std::vector<Patch> patches(const Value &V, const std::string &Target) {
    std::vector<Patch> Out;
    for (const auto &[Kind, Body] : V.getFields())
      Out.push_back({Kind, Target, patchJSON(Body).dump(), Body.getOrigin()});
    return Out;
  }

  static nlohmann::ordered_json patchJSON(const Value &V) {
    using json = nlohmann::ordered_json;
    switch (V.getKind()) {
    case VK::Object: {
      json O = json::object();
      for (const auto &[K, C] : V.getFields())
        O[K] = patchJSON(C);
      return O;
    }
    case VK::List: {
      json A = json::array();
      for (const Value &E : V.getElements())
        A.push_back(patchJSON(E));
      return A;
    }
    case VK::Bool: return V.getBool();
    case VK::Int: return V.getInt();
    case VK::Float: return V.getFloat();
    case VK::Null: case VK::Poison: return nullptr;
    default: return V.toDisplayString();
    }
  }

  Workload lowerWorkload(const Environment &E, const sema::EvaluatedDecl &D) {
    const Value &V = D.Val;
    Workload W;
    W.K = D.Decl->Kind == ast::DeclKind::Service  ? Workload::ServiceKind
          : D.Decl->Kind == ast::DeclKind::Worker ? Workload::WorkerKind
                                                  : Workload::JobKind;
    W.Name = D.Decl->Name.Name;
    W.Where = D.Decl->Name.Range;
    W.Image = str(V.get("image"));
    W.BuildName = str(V.get("build"));
    W.Command = strings(V.get("command"));
    W.Args = strings(V.get("args"));
    W.Workdir = str(V.get("workdir"));
    W.KubernetesApi = boolean(V.get("kubernetes_api"), false);
    W.Stateful = sema::runsAsStatefulSet(D.Decl->Kind, V);
    W.MaxReplicas = int(sema::maxReplicas(D.Decl->Kind, V));
    const Value &Res = V.get("resources");
    W.Res = Res.isAbsent() ? DefaultResources : resources(M, Res, "");
    W.Ports = ports(V.get("port"));
    const Value &H = V.get("health");
    W.Health.Liveness = probe(H.get("liveness"));
    W.Health.Readiness = probe(H.get("readiness"));
    W.Health.Startup = probe(H.get("startup"));
    W.Health.PeriodSeconds = seconds(H.get("period"));
    W.Health.TimeoutSeconds = seconds(H.get("timeout"));
    W.Health.FailureThreshold = integer(H.get("failure_threshold"));
    W.Health.SuccessThreshold = integer(H.get("success_threshold"));
    W.Health.InitialDelaySeconds = seconds(H.get("initial_delay"));
    // Probes naming a port follow that port's number in this environment.
    for (std::optional<Probe> *P : {&W.Health.Liveness, &W.Health.Readiness, &W.Health.Startup})
      if (*P && !(*P)->PortName.empty())
        for (const Port &Pt : W.Ports)
          if (Pt.Name == (*P)->PortName)
            (*P)->Port = Pt.Number;
    W.Env = envVars(V.get("env"));
    for (const auto &[Path, Content] : V.get("config").getFields())
      W.Configs.push_back({Path, str(Content)});
    for (const auto &[Path, S] : V.get("secret_file").getFields()) {
      Text T = text(S);
      if (const SecretRef *R = T.soleRef())
        W.SecretFiles.push_back({Path, *R});
    }
    for (const auto &[Name, S] : V.get("storage").getFields())
      W.Volumes.push_back({Name, str(S.get("path")), str(S.get("class")),
                           S.get("size").is(VK::Memory) ? S.get("size").getInt() : 0});
    for (const auto &[Name, C] : V.get("init").getFields())
      W.Init.push_back(container(M, Name, C));
    for (const auto &[Name, C] : V.get("sidecar").getFields())
      W.Sidecars.push_back(container(M, Name, C));
    W.Strat = strategy(V.get("strategy"));
    const Value &Safe = V.get("safety");
    if (Safe.is(VK::Object)) {
      Safety S;
      S.Prechecks = probes(Safe.get("prechecks"));
      S.RollbackPoint = boolean(Safe.get("rollback_point"), true);
      S.Notify = strings(Safe.get("notify"));
      S.IncidentLog = boolean(Safe.get("incident_log"), true);
      W.Safe = S;
    }
    W.Scaling = autoscaling(V.get("scaling"));
    const Value &Budget = V.get("disruption");
    if (Budget.is(VK::Object))
      W.Budget = Disruption{intOrPercent(Budget.get("min_available")),
                            intOrPercent(Budget.get("max_unavailable"))};
    for (const auto &[K, L] : V.get("labels").getFields())
      W.Labels[K] = str(L);
    const Value &Local = V.get("local");
    if (Local.is(VK::Object))
      W.Local = LocalRun{strings(Local.get("command")), strings(Local.get("args")),
                         str(Local.get("workdir")), envVars(Local.get("env"))};
    W.Patches = patches(V.get("patch"), W.Name);

    if (W.K == Workload::WorkerKind) {
      WorkerQueue Q;
      for (const auto &[Name, QV] : V.get("queue").getFields()) {
        Q.Name = Name;
        Q.Broker = str(QV.get("broker"));
        Q.Delivery = str(QV.get("delivery"), Q.Delivery);
        Q.AckTimeoutMs = millis(QV.get("ack_timeout"));
        Q.DeadLetter = str(QV.get("dead_letter"));
        Q.Prefetch = integer(QV.get("prefetch"));
        if (QV.getField("connection"))
          Q.Connection = text(QV.get("connection"));
      }
      const Value &Pool = V.get("pool");
      Q.PoolMin = integer(Pool.get("min"), 1);
      Q.PoolMax = integer(Pool.get("max"), Q.PoolMin);
      Q.PerReplica = integer(Pool.get("per_replica"), 10);
      W.Queue = Q;
      // A worker pool scales on its queues: KEDA triggers, the pool bounds.
      if (!W.Scaling) {
        Autoscaling A;
        A.Min = Q.PoolMin;
        A.Max = Q.PoolMax;
        for (const auto &[Name, QV] : V.get("queue").getFields()) {
          QueueTrigger T{Name, str(QV.get("broker")), Q.PerReplica, std::nullopt};
          if (QV.getField("connection"))
            T.Connection = text(QV.get("connection"));
          A.Queues.push_back(T);
        }
        A.Autoscaler = "keda";
        W.Scaling = A;
      }
    }
    if (W.K == Workload::JobKind) {
      JobSpec J;
      J.Schedule = str(V.get("schedule"));
      J.TimeoutMs = millis(V.get("timeout"));
      J.Retries = integer(V.get("retries"));
      J.Concurrency = str(V.get("concurrency"), J.Concurrency);
      J.Restart = str(V.get("restart"), J.Restart);
      W.Job = J;
    }
    W.Replicas = integer(V.get("replicas"), W.Scaling ? W.Scaling->Min : 1);
    if (W.Queue && !V.getField("replicas"))
      W.Replicas = W.Queue->PoolMin;
    return W;
  }

  Secret lowerSecret(const sema::EvaluatedDecl &D) {
    const Value &V = D.Val;
    Secret S;
    S.Name = D.Decl->Name.Name;
    const Value &Type = V.get("type");
    if (Type.is(VK::Ref)) {
      S.TypeName = Type.getDecl()->Name.Name;
      if (const Value *T = M.find(Type.getDecl())) {
        for (const auto &[Name, C] : T->get("component").getFields()) {
          SecretComponent SC;
          SC.Name = Name;
          SC.Type = str(C.get("type"));
          SC.Generated = boolean(C.get("generated"), false);
          SC.Length = integer(C.get("length"), SC.Length);
          SC.Charset = str(C.get("charset"), SC.Charset);
          if (C.getField("default"))
            SC.Default = C.get("default").toDisplayString();
          S.Components.push_back(SC);
        }
        for (const auto &[Name, C] : T->get("compose").getFields())
          S.Composed[Name] = text(C);
        S.Access = str(T->get("access"), S.Access);
        if (T->get("rotation").is(VK::Duration))
          S.RotationEveryMs = T->get("rotation").getInt();
      }
    }
    // Template parts name components of whichever secret uses the type.
    for (auto &[Name, Tpl] : S.Composed)
      for (TextPart &P : Tpl.Parts)
        if (P.Ref && P.Ref->Secret.empty())
          P.Ref->Secret = S.Name;
    const Value &B = V.get("backend");
    S.Where = D.Decl->Name.Range;
    if (B.is(VK::Object)) {
      S.BackendKind = B.getTag();
      S.BackendPath = str(B.get("path"), str(B.get("name")));
      if (B.getOrigin().isValid())
        S.Where = B.getOrigin();
    }
    const Value &Rot = V.get("rotation");
    if (Rot.is(VK::Object)) {
      S.RotationEveryMs = millis(Rot.get("every"));
      if (Rot.get("dual_write").is(VK::Duration))
        S.DualWriteMs = Rot.get("dual_write").getInt();
      S.RotationNotify = strings(Rot.get("notify"));
    }
    if (V.get("refresh").is(VK::Duration))
      S.RefreshMs = V.get("refresh").getInt();
    S.Readers = strings(V.get("readers"));
    S.Operators = strings(V.get("operators"));
    S.DataTier = str(V.get("tier"));
    return S;
  }

  Build lowerBuild(const sema::EvaluatedDecl &D) {
    const Value &V = D.Val;
    Build B;
    B.Name = D.Decl->Name.Name;
    B.Image = str(V.get("image"));
    B.Context = str(V.get("context"), ".");
    B.Platforms = strings(V.get("platforms"));
    B.Ignore = strings(V.get("ignore"));
    for (const auto &[Name, S] : V.get("stage").getFields()) {
      BuildStage St;
      St.Name = Name;
      St.From = str(S.get("from"));
      St.Workdir = str(S.get("workdir"));
      St.User = str(S.get("user"));
      St.System = runSteps(S.get("system"));
      St.Install = runSteps(S.get("install"));
      St.Build = runSteps(S.get("build"));
      St.Manifests = strings(S.get("manifests"));
      St.Sources = strings(S.get("sources"));
      St.Config = strings(S.get("config"));
      for (const auto &[From, Files] : S.get("copy_from").getFields()) {
        std::vector<std::pair<std::string, std::string>> Pairs;
        for (const auto &[Src, Dst] : Files.getFields())
          Pairs.push_back({Src, str(Dst)});
        St.CopyFrom.push_back({From, Pairs});
      }
      for (const auto &[K, Val] : S.get("env").getFields())
        St.Env.push_back({K, str(Val)});
      St.Entrypoint = strings(S.get("entrypoint"));
      St.Cmd = strings(S.get("cmd"));
      for (const Value &P : S.get("expose").getElements())
        St.Expose.push_back(integer(P));
      B.Stages.push_back(St);
    }
    B.Target = str(V.get("target"), B.Stages.empty() ? "" : B.Stages.back().Name);
    return B;
  }

  DevContainer lowerDevContainer(const sema::EvaluatedDecl &D) {
    const Value &V = D.Val;
    DevContainer C;
    C.Name = D.Decl->Name.Name;
    C.BuildName = str(V.get("build"));
    C.Target = str(V.get("target"));
    C.RemoteUser = str(V.get("remote_user"));
    C.PostCreate = strings(V.get("post_create"));
    C.Extensions = strings(V.get("extensions"));
    for (const auto &[Name, T] : V.get("task").getFields())
      C.Tasks.push_back({Name, str(T.get("command")), str(T.get("group"), "none")});
    for (const Value &P : V.get("forward_ports").getElements())
      C.ForwardPorts.push_back(integer(P));
    for (const auto &[Target, Source] : V.get("mount").getFields())
      C.Mounts.push_back({Target, str(Source)});
    for (const auto &[K, Val] : V.get("env").getFields())
      C.Env.push_back({K, str(Val)});
    return C;
  }

  const sema::Program &P;
  const sema::EnvironmentModel &M;
  sema::EnvironmentModel *Consumed;
  /// What a workload without `resources` gets: its tier's `default_resources`.
  Resources DefaultResources;
};

} // namespace

Environment plan::lowerEnvironment(const sema::Program &P, const sema::EnvironmentModel &M) {
  return Lowering(P, M).run();
}

Environment plan::lowerEnvironment(const sema::Program &P, sema::EnvironmentModel &&M) {
  return Lowering(P, M, &M).run();
}
