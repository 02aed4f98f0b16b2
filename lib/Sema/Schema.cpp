//===- Schema.cpp - Which fields each block has, and their types ----------===//
//
// The language's vocabulary as data. docs/language.md documents the same
// fields; keep the two in step (test/Sema/schema-docs.test checks that every
// declaration field is mentioned there).
//
//===----------------------------------------------------------------------===//

#include "deployc/Sema/Schema.h"

using namespace deployc;
using namespace deployc::sema;
using ast::DeclKind;

const Type *FieldDef::valueType() const {
  if (Ty)
    return Ty;
  return Block ? Type::objectOf(Block) : Type::get(TypeKind::Error);
}

const FieldDef *BlockSchema::findField(llvm::StringRef N) const {
  for (const FieldDef &F : Fields)
    if (F.Name == N)
      return &F;
  return nullptr;
}

const ConditionDef *BlockSchema::findCondition(llvm::StringRef M) const {
  for (const ConditionDef &C : Conditions)
    if (C.Metric == M)
      return &C;
  return nullptr;
}

std::vector<std::string> BlockSchema::getFieldNames() const {
  std::vector<std::string> Out;
  for (const FieldDef &F : Fields)
    Out.push_back(F.Name.str());
  return Out;
}

std::vector<std::string> BlockSchema::getConditionNames() const {
  std::vector<std::string> Out;
  for (const ConditionDef &C : Conditions)
    Out.push_back(C.Metric.str());
  return Out;
}

namespace {

/// Fluent helper to fill a BlockSchema.
struct Fill {
  BlockSchema &S;
  Fill(BlockSchema &S, std::string Name, llvm::StringRef Doc = "") : S(S) {
    S.Name = std::move(Name);
    S.Doc = Doc;
  }
  Fill &value(llvm::StringRef Name, const Type *T, unsigned Flags = 0, llvm::StringRef Doc = "") {
    S.Fields.push_back({Name, T, nullptr, Flags, Doc});
    return *this;
  }
  Fill &block(llvm::StringRef Name, const BlockSchema &B, unsigned Flags = 0,
              llvm::StringRef Doc = "") {
    S.Fields.push_back({Name, nullptr, &B, Flags, Doc});
    return *this;
  }
  Fill &either(llvm::StringRef Name, const Type *T, const BlockSchema &B, unsigned Flags = 0,
               llvm::StringRef Doc = "") {
    S.Fields.push_back({Name, T, &B, Flags, Doc});
    return *this;
  }
  Fill &condition(llvm::StringRef Metric, const Type *T, llvm::StringRef Doc = "") {
    S.Conditions.push_back({Metric, T, Doc});
    return *this;
  }
  Fill &open(const Type *T) {
    S.OpenValue = T;
    return *this;
  }
  Fill &overlays() {
    S.AllowsOverlays = true;
    return *this;
  }
};

const Type *T(TypeKind K) { return Type::get(K); }
const Type *listOf(TypeKind K) { return Type::listOf(Type::get(K)); }

struct Vocabulary {
  // Enumerations.
  EnumDef Classification{"tier classification", {"sandbox", "pre_production", "production"}};
  EnumDef Restriction{"tier restriction",
                      {"synthetic_data_only", "experimental_features", "controlled_data",
                       "feature_gating", "full_audit", "change_control"}};
  EnumDef Priority{"priority class", {"best_effort", "guaranteed", "reserved"}};
  EnumDef Isolation{"network isolation", {"none", "namespace", "strict"}};
  EnumDef Routing{"traffic routing", {"none", "ingress", "mesh", "istio", "gateway_api", "alb"}};
  EnumDef PodSecurity{"pod security level", {"privileged", "baseline", "restricted"}};
  EnumDef Rollback{"rollback mode", {"automatic", "manual"}};
  EnumDef Broker{"message broker", {"rabbitmq", "kafka", "redis", "aws_sqs", "nats"}};
  EnumDef Delivery{"delivery guarantee", {"at_least_once", "at_most_once"}};
  EnumDef Sharing{"cache sharing mode", {"locked", "private", "shared"}};
  EnumDef DriftSeverity{"drift severity", {"info", "low", "medium", "high", "critical"}};
  EnumDef DriftAction{"drift action", {"report", "alert", "reapply"}};
  EnumDef Access{"secret access pattern", {"env", "file", "runtime"}};
  EnumDef FeatureStage{"feature stage", {"experimental", "beta", "stable"}};
  EnumDef Autoscaler{"autoscaler", {"auto", "hpa", "keda"}};
  EnumDef EventAction{"event action", {"scale_out", "alert", "rollback", "pause_rollout"}};
  EnumDef Concurrency{"concurrency policy", {"allow", "forbid", "replace"}};
  EnumDef Protocol{"protocol", {"tcp", "udp", "http", "grpc"}};
  EnumDef TaskGroup{"task group", {"build", "test", "run", "none"}};
  EnumDef Charset{"character set", {"alphanumeric", "ascii_printable", "hex", "base64"}};
  EnumDef Restart{"restart policy", {"never", "on_failure"}};
  EnumDef EventKind{"scaling event", {"queue_overflow", "error_rate_spike", "latency_degradation"}};
  EnumDef PatchKind{"Kubernetes kind deployc emits",
                    {"Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "PriorityClass",
                     "SecretStore", "ClusterSecretStore", "ExternalSecret", "Deployment",
                     "Rollout", "Service", "ConfigMap", "PersistentVolumeClaim",
                     "AnalysisTemplate", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                     "ScaledObject", "TriggerAuthentication", "Job", "CronJob"}};

  // Variants.
  VariantDef Strategy{"deployment strategy", {"rolling", "blue_green", "canary"}};
  VariantDef Probe{"health check", {"http_get", "tcp", "exec"}};
  VariantDef Backend{"secret backend", {"vault", "distributed", "platform", "embedded"}};
  VariantDef RunStep{"build step", {"run"}};

  // Block schemas; each filled in the constructor below.
  BlockSchema TierAllocation, Tier, ResourceTier, Resources, Network, Security,
      Monitoring, Features, DriftSeverities, DriftActions, Drift, Backup, Environment,
      ComponentOptions, SecretType, Rotation, Secret, Port, Health, EnvVars, Storage,
      Container, Rolling, BlueGreen, Canary, Analysis, Safety, ScalingQueue,
      ScalingSchedule, ScalingEvent, Scaling, Disruption, Labels, Local, Service,
      WorkerQueue, Pool, Worker, Job, CacheMount, SecretMount, RunOptions, CopyFrom,
      Stage, Build, Task, DevContainer, Channel, Feature, PatchBody, PatchTree;

  std::vector<BuiltinFunction> Builtins;

  Vocabulary() {
    const Type *Str = T(TypeKind::String);
    const Type *SecretStr = T(TypeKind::SecretString);
    const Type *Int = T(TypeKind::Int);
    const Type *Bool = T(TypeKind::Bool);
    const Type *Dur = T(TypeKind::Duration);
    const Type *Cpu = T(TypeKind::Cpu);
    const Type *Mem = T(TypeKind::Memory);
    const Type *Pct = T(TypeKind::Percent);
    const Type *PortT = T(TypeKind::Port);
    const Type *Cron = T(TypeKind::Cron);
    const Type *IntPct = T(TypeKind::IntOrPercent);
    const Type *Strs = listOf(TypeKind::String);
    auto E = [](const EnumDef &D) { return Type::enumOf(&D); };
    const Type *TierRef = Type::declRef({DeclKind::Tier});
    const Type *ChannelRefs = Type::listOf(Type::declRef({DeclKind::Channel}));
    const Type *Workloads = Type::listOf(
        Type::declRef({DeclKind::Service, DeclKind::Worker, DeclKind::Job}));
    const Type *ProbeT = Type::variantOf(&Probe);
    const Type *RunT = Type::variantOf(&RunStep);

    Fill(PatchTree, "patch", "").open(T(TypeKind::Any));
    PatchTree.OpenBlocks = true;
    Fill(PatchBody, "patch", "A JSON merge patch on emitted resources of one kind")
        .block("metadata", PatchTree)
        .block("spec", PatchTree)
        .block("data", PatchTree);

    Fill(TierAllocation, "resources", "What a tier may consume in one environment")
        .value("cpu", Cpu, 0, "total cpu of all workloads")
        .value("memory", Mem, 0, "total memory of all workloads")
        .value("pods", Int, 0, "maximum number of pods")
        .value("storage", Mem, 0, "total persistent storage");
    Fill(Tier, "tier", "An environment tier: what environments of it are for and may do")
        .value("classification", E(Classification), FieldRequired)
        .value("purpose", Str)
        .value("restrictions", Type::listOf(E(Restriction)))
        .block("resources", TierAllocation)
        .value("default_resources", Type::declRef({DeclKind::ResourceTier}))
        .value("max_replicas", Int, 0, "upper bound for any workload's replicas");
    Fill(ResourceTier, "resource_tier", "A named size: limits, requests and priority")
        .value("cpu", Cpu, FieldRequired, "cpu limit")
        .value("memory", Mem, FieldRequired, "memory limit")
        .value("cpu_request", Cpu, 0, "defaults to half the limit")
        .value("memory_request", Mem, 0, "defaults to the limit")
        .value("priority", E(Priority));
    Fill(Resources, "resources", "Explicit requests and limits")
        .value("cpu", Cpu, FieldRequired, "cpu limit")
        .value("memory", Mem, FieldRequired, "memory limit")
        .value("cpu_request", Cpu)
        .value("memory_request", Mem)
        .value("priority", E(Priority));

    Fill(Network, "network", "Network topology and isolation")
        .value("isolation", E(Isolation))
        .value("routing", E(Routing), 0, "how traffic is split between revisions")
        .value("ingress", Strs, 0, "sources allowed in")
        .value("egress", Strs, 0, "destinations allowed out, as host:port")
        .value("domain", Str)
        .value("gateway", Str, 0,
               "the Gateway API Gateway services attach to, `NAMESPACE/NAME`, for "
               "`routing = gateway_api`");
    Fill(Security, "security", "Security boundaries")
        .value("pod_security", E(PodSecurity))
        .value("run_as_non_root", Bool)
        .value("read_only_root", Bool)
        .value("run_as_user", Int, 0, "the user id containers run as")
        .value("allowed_registries", Strs)
        .value("age_recipients", Strs, 0,
               "age public keys (age1...) `apply --target dir:` encrypts embedded secrets to")
        .value("helper_registry", Str, 0,
               "a mirror deployc's helper images (restic, kubectl, curl) are pulled from");
    Fill(Monitoring, "monitoring", "Monitoring integration")
        .value("prometheus", Bool)
        .value("prometheus_url", Str)
        .value("alerts", Str, 0, "alert routing key or team")
        .value("dashboards", Bool)
        .value("scrape_interval", Dur);
    Fill(Features, "features", "Feature toggles: `name = true`").open(Bool);
    Fill(DriftSeverities, "drift", "")
        .value("replicas", E(DriftSeverity))
        .value("image", E(DriftSeverity))
        .value("env", E(DriftSeverity))
        .value("config", E(DriftSeverity))
        .value("ports", E(DriftSeverity))
        .value("secrets", E(DriftSeverity));
    Fill(DriftActions, "actions", "The action per severity")
        .value("info", E(DriftAction))
        .value("low", E(DriftAction))
        .value("medium", E(DriftAction))
        .value("high", E(DriftAction))
        .value("critical", E(DriftAction));
    Fill(Drift, "drift", "Drift policy: severity per field class and the action to take")
        .block("severity", DriftSeverities)
        .block("actions", DriftActions)
        .value("check_every", Dur)
        .value("notify", ChannelRefs);
    Fill(Backup, "backup", "Backups of state and vault")
        .value("schedule", Cron, FieldRequired)
        .value("locations", Strs, FieldRequired)
        .value("verify", Bool)
        .value("retention", Dur)
        .value("credentials", Type::declRef({DeclKind::Secret}), 0,
               "the secret holding the backup repository's password and the storage's keys");
    Fill(Environment, "environment", "A place workloads run")
        .value("tier", TierRef, FieldRequired)
        .value("regions", Strs)
        .value("namespace", Str)
        .value("cluster", Bool, 0,
               "`false`: runs only on this machine (`deployc apply`), and `emit` writes no "
               "Kubernetes manifests for it")
        .block("network", Network)
        .block("security", Security)
        .block("monitoring", Monitoring)
        .block("features", Features)
        .block("drift", Drift)
        .block("backup", Backup)
        .value("notify", ChannelRefs)
        .value("operators", Strs, 0, "people allowed to read secrets in this environment")
        .block("patch", PatchBody, FieldLabelled | FieldRepeated,
               "`patch \"NetworkPolicy\" { spec { ... } }` on every emitted resource of a kind");

    Fill(ComponentOptions, "component", "How a component is made")
        .value("generated", Bool, 0, "generated by the vault with a CSPRNG")
        .value("length", Int)
        .value("charset", E(Charset))
        .value("description", Str);
    Fill(SecretType, "secret_type", "The shape of a secret: components, rotation, access")
        .block("component", ComponentOptions, FieldLabelled | FieldRepeated | FieldTyped,
               "`component NAME: TYPE [= default] [{ options }]`")
        .value("compose", Str, FieldLabelled | FieldRepeated,
               "a string made from components: `compose url = \"...${host}...\"`")
        .value("rotation", Dur, 0, "default rotation interval")
        .value("access", E(Access))
        .value("description", Str);
    Fill(Rotation, "rotation", "Rotation schedule")
        .value("every", Dur, FieldRequired)
        .value("dual_write", Dur, 0, "both versions are valid for this long")
        .value("notify", ChannelRefs);
    Fill(Secret, "secret", "A secret: its type, backend, rotation and readers")
        .value("backend", Type::variantOf(&Backend))
        .block("rotation", Rotation)
        .value("readers", Workloads)
        .value("operators", Strs, 0, "people allowed to read the value")
        .value("refresh", Dur, 0, "how often readers re-read the value")
        .value("tier", TierRef, 0, "the tier whose data the secret protects")
        .value("description", Str)
        .overlays();

    Fill(Port, "port", "A named port")
        .value("port", PortT, FieldRequired)
        .value("protocol", E(Protocol))
        .value("expose", Bool, 0, "reachable from outside the environment");
    Fill(Health, "health", "Health checks")
        .value("liveness", ProbeT)
        .value("readiness", ProbeT)
        .value("startup", ProbeT)
        .value("period", Dur)
        .value("timeout", Dur)
        .value("failure_threshold", Int)
        .value("success_threshold", Int)
        .value("initial_delay", Dur);
    Fill(EnvVars, "env", "Environment variables; the one place secrets may flow").open(SecretStr);
    Fill(Labels, "labels", "").open(Str);
    Fill(Storage, "storage", "A persistent volume")
        .value("size", Mem, FieldRequired)
        .value("path", Str, FieldRequired)
        .value("class", Str);
    Fill(Container, "container", "An init container or sidecar")
        .value("image", Str, FieldRequired)
        .value("command", Strs)
        .value("args", Strs)
        .block("env", EnvVars)
        .either("resources", Type::declRef({DeclKind::ResourceTier}), Resources)
        .value("port", PortT, FieldLabelled | FieldRepeated);

    Fill(Analysis, "analysis", "Metric thresholds a canary step must meet")
        .value("interval", Dur)
        .value("failure_limit", Int)
        .condition("error_rate", Pct, "share of 5xx responses and failed connections")
        .condition("success_rate", Pct)
        .condition("latency_p50", Dur)
        .condition("latency_p90", Dur)
        .condition("latency_p95", Dur)
        .condition("latency_p99", Dur);
    Fill(Rolling, "rolling strategy", "Replace replicas in batches")
        .value("batch", IntPct, 0, "replicas started per batch (maxSurge)")
        .value("max_unavailable", IntPct)
        .value("health_check", Bool, 0, "verify health after each batch")
        .value("pause", Dur, 0, "wait between batches")
        .value("rollback", E(Rollback));
    Fill(BlueGreen, "blue_green strategy", "Start the new revision beside the old, then switch")
        .value("validate", Type::listOf(ProbeT), 0, "checks the green revision must pass")
        .value("auto_promote", Bool)
        .value("scale_down_delay", Dur)
        .value("preview_replicas", Int)
        .value("rollback", E(Rollback));
    Fill(Canary, "canary strategy", "Shift traffic in weighted steps with analysis")
        .value("steps", Type::listOf(Pct), FieldRequired)
        .value("pause", Dur)
        .block("analysis", Analysis)
        .value("rollback", E(Rollback));
    Fill(Safety, "safety", "The safety pattern around a rollout")
        .value("prechecks", Type::listOf(ProbeT), 0, "checks before anything changes")
        .value("rollback_point", Bool)
        .value("notify", ChannelRefs)
        .value("incident_log", Bool);

    Fill(ScalingQueue, "queue trigger", "Scale on queue length")
        .value("broker", E(Broker), FieldRequired)
        .value("per_replica", Int, FieldRequired, "target messages per replica")
        .value("connection", SecretStr, 0, "broker address; usually a secret");
    Fill(ScalingSchedule, "schedule window", "A minimum replica count during a cron window")
        .value("min", Int, FieldRequired)
        .value("duration", Dur)
        .value("timezone", Str);
    Fill(ScalingEvent, "scaling event", "A trigger and the action it takes")
        .value("action", E(EventAction), FieldRequired)
        .value("queue", Str)
        .value("notify", ChannelRefs)
        .condition("error_rate", Pct)
        .condition("latency_p50", Dur)
        .condition("latency_p95", Dur)
        .condition("latency_p99", Dur)
        .condition("queue_length", Int);
    Fill(Scaling, "scaling", "Autoscaling policy")
        .value("replicas", Type::rangeOf(Int), FieldRequired, "`min..max`")
        .value("autoscaler", E(Autoscaler))
        .value("cooldown", Dur)
        .value("stabilization", Dur)
        .condition("cpu", Pct, "average cpu utilisation")
        .condition("memory", Pct, "average memory utilisation")
        .condition("io_wait", Pct)
        .block("queue", ScalingQueue, FieldLabelled | FieldRepeated)
        .block("schedule", ScalingSchedule, FieldLabelled | FieldRepeated)
        .block("event", ScalingEvent, FieldLabelled | FieldRepeated);
    Fill(Disruption, "disruption", "Disruption budget")
        .value("min_available", IntPct)
        .value("max_unavailable", IntPct);
    Fill(Local, "local", "How the workload runs on this machine (deployc apply)")
        .value("command", Strs, FieldRequired)
        .value("args", Strs)
        .value("workdir", Str)
        .block("env", EnvVars);

    auto workloadCommon = [&](Fill &F) {
      F.value("image", Str, 0, "container image; or `build`")
          .value("build", Type::declRef({DeclKind::Build}))
          .value("command", Strs)
          .value("args", Strs)
          .value("workdir", Str)
          .either("resources", Type::declRef({DeclKind::ResourceTier}), Resources)
          .block("env", EnvVars)
          .value("config", Str, FieldLabelled | FieldRepeated,
                 "a config file: `config \"/etc/app.yaml\" = \"\"\"...\"\"\"`")
          .value("secret_file", SecretStr, FieldLabelled | FieldRepeated,
                 "a file holding a secret: `secret_file \"/run/tls.key\" = tls.private_key`")
          .block("storage", Storage, FieldLabelled | FieldRepeated)
          .block("init", Container, FieldLabelled | FieldRepeated)
          .block("sidecar", Container, FieldLabelled | FieldRepeated)
          .block("labels", Labels)
          .value("kubernetes_api", Bool, 0,
                 "the pods call the Kubernetes API, so their service account's token is mounted")
          .block("local", Local)
          .block("patch", PatchBody, FieldLabelled | FieldRepeated,
                 "`patch \"Deployment\" { spec { ... } }` on this workload's resources")
          .overlays();
    };
    {
      Fill F(Service, "service", "A long-running workload serving requests");
      workloadCommon(F);
      F.value("replicas", Int)
          .either("port", PortT, Port, FieldLabelled | FieldRepeated)
          .block("health", Health)
          .value("strategy", Type::variantOf(&Strategy))
          .block("safety", Safety)
          .block("scaling", Scaling)
          .block("disruption", Disruption);
    }
    Fill(WorkerQueue, "queue", "A durable queue the worker polls")
        .value("broker", E(Broker), FieldRequired)
        .value("delivery", E(Delivery))
        .value("ack_timeout", Dur)
        .value("dead_letter", Str)
        .value("prefetch", Int)
        .value("connection", SecretStr);
    Fill(Pool, "pool", "Worker pool bounds")
        .value("min", Int, FieldRequired)
        .value("max", Int, FieldRequired)
        .value("per_replica", Int, 0, "queue messages per worker before scaling out");
    {
      Fill F(Worker, "worker", "A pool of workers polling a durable queue");
      workloadCommon(F);
      F.block("queue", WorkerQueue, FieldLabelled | FieldRequired)
          .block("pool", Pool)
          .block("health", Health)
          .value("strategy", Type::variantOf(&Strategy))
          .block("safety", Safety)
          .block("disruption", Disruption);
    }
    {
      Fill F(Job, "job", "A one-off or scheduled task");
      workloadCommon(F);
      F.value("schedule", Cron, 0, "run on this cron schedule (else once)")
          .value("timeout", Dur)
          .value("retries", Int)
          .value("concurrency", E(Concurrency))
          .value("restart", E(Restart));
    }

    Fill(CacheMount, "cache", "A build cache mount")
        .value("sharing", E(Sharing))
        .value("id", Str);
    Fill(SecretMount, "secret", "A build secret mount; never a layer")
        .value("value", SecretStr, FieldRequired)
        .value("target", Str)
        .value("env", Str, 0, "expose as this environment variable instead of a file");
    Fill(RunOptions, "run", "Options of a build step")
        .block("cache", CacheMount, FieldLabelled | FieldRepeated)
        .block("secret", SecretMount, FieldLabelled | FieldRepeated);
    Fill(CopyFrom, "copy_from", "Artifacts copied from another stage: `\"src\" = \"dest\"`")
        .open(Str);
    Fill(Stage, "stage", "A build stage")
        .value("from", Str, FieldRequired, "base image")
        .value("workdir", Str)
        .value("system", Type::listOf(RunT), 0, "system dependency steps (first layer)")
        .value("manifests", Strs, 0, "dependency manifests copied before sources")
        .value("install", Type::listOf(RunT), 0, "language dependency steps")
        .value("sources", Strs, 0, "sources copied after dependencies")
        .value("build", Type::listOf(RunT))
        .block("copy_from", CopyFrom, FieldLabelled | FieldRepeated)
        .value("config", Strs, 0, "config files copied last")
        .block("env", Labels)
        .value("user", Str)
        .value("entrypoint", Strs)
        .value("cmd", Strs)
        .value("expose", Type::listOf(PortT));
    Fill(Build, "build", "A multi-stage container build")
        .block("stage", Stage, FieldLabelled | FieldRepeated | FieldRequired)
        .value("target", Str, 0, "the final stage (default: the last)")
        .value("platforms", Strs)
        .value("context", Str)
        .value("ignore", Strs, 0, "written to docker/<build>/Dockerfile.dockerignore")
        .value("image", Str, 0, "the image name this build produces");
    Fill(Task, "task", "An editor task")
        .value("command", Str, FieldRequired)
        .value("group", E(TaskGroup));
    Fill(DevContainer, "devcontainer", "A development container")
        .value("build", Type::declRef({DeclKind::Build}), FieldRequired)
        .value("target", Str, 0, "build stage to develop in")
        .value("post_create", Strs)
        .value("extensions", Strs)
        .block("task", Task, FieldLabelled | FieldRepeated)
        .value("forward_ports", Type::listOf(PortT))
        .value("mount", Str, FieldLabelled | FieldRepeated,
               "hot-reload mount: `mount \"/app/src\" = \"./src\"`")
        .value("remote_user", Str)
        .block("env", Labels);
    Fill(Channel, "channel", "Where notifications go")
        .value("webhook", Str)
        .value("command", Strs);
    Fill(Feature, "feature", "A feature toggle")
        .value("stage", E(FeatureStage), FieldRequired)
        .value("description", Str)
        .value("default", Bool);

    const Type *ProbeResult = ProbeT;
    const Type *BackendResult = Type::variantOf(&Backend);
    Builtins = {
        {"http_get", {{"path", Str}, {"port", PortT}}, ProbeResult, nullptr,
         "HTTP GET health check; healthy on 2xx/3xx"},
        {"tcp", {{"port", PortT}}, ProbeResult, nullptr, "TCP connect health check"},
        {"exec", {{"command", Strs}}, ProbeResult, nullptr,
         "runs a command in the container; healthy on exit code 0"},
        {"vault", {{"path", Str}}, BackendResult, nullptr, "a centralized vault (HashiCorp Vault KV path)"},
        {"distributed", {{"path", Str}}, BackendResult, nullptr, "a distributed store (etcd/Consul key)"},
        {"platform", {{"name", Str}}, BackendResult, nullptr,
         "the platform's native secret store (cloud secret manager)"},
        {"embedded", {}, BackendResult, nullptr, "deployc's embedded vault"},
        {"run", {{"command", Str}}, RunT, &RunOptions,
         "a build step: `run(\"npm ci\") { cache \"/root/.npm\" { sharing = locked } }`"},
        {"lower", {{"text", Str}}, Str, nullptr, "lower-cases a string"},
        {"upper", {{"text", Str}}, Str, nullptr, "upper-cases a string"},
        {"join", {{"items", Strs}, {"separator", Str}}, Str, nullptr,
         "joins strings with a separator"},
    };
  }
};

const Vocabulary &vocab() {
  static const Vocabulary *V = new Vocabulary; // never destroyed, as table() in Type.cpp
  return *V;
}

} // namespace

const BlockSchema *sema::getDeclSchema(DeclKind Kind) {
  const Vocabulary &V = vocab();
  switch (Kind) {
  case DeclKind::Tier: return &V.Tier;
  case DeclKind::ResourceTier: return &V.ResourceTier;
  case DeclKind::Environment: return &V.Environment;
  case DeclKind::SecretType: return &V.SecretType;
  case DeclKind::Secret: return &V.Secret;
  case DeclKind::Service: return &V.Service;
  case DeclKind::Worker: return &V.Worker;
  case DeclKind::Job: return &V.Job;
  case DeclKind::Build: return &V.Build;
  case DeclKind::DevContainer: return &V.DevContainer;
  case DeclKind::Channel: return &V.Channel;
  case DeclKind::Feature: return &V.Feature;
  case DeclKind::Unknown: return nullptr;
  }
  return nullptr;
}

const BlockSchema *sema::getConstructorSchema(const VariantDef *Var, llvm::StringRef Tag) {
  const Vocabulary &V = vocab();
  if (Var == &V.Strategy) {
    if (Tag == "rolling") return &V.Rolling;
    if (Tag == "blue_green") return &V.BlueGreen;
    if (Tag == "canary") return &V.Canary;
  }
  return nullptr;
}

const BuiltinFunction *sema::lookupBuiltin(llvm::StringRef Name) {
  for (const BuiltinFunction &F : vocab().Builtins)
    if (F.Name == Name)
      return &F;
  return nullptr;
}

llvm::ArrayRef<BuiltinFunction> sema::getBuiltins() { return vocab().Builtins; }

std::string sema::getBuiltinSignature(const BuiltinFunction &F) {
  std::string S = F.Name + "(";
  for (size_t I = 0; I < F.Params.size(); ++I) {
    if (I)
      S += ", ";
    S += F.Params[I].first + ": ";
    const Type *PT = F.Params[I].second;
    switch (PT->Kind) {
    case TypeKind::String: S += "string"; break;
    case TypeKind::Port: S += "port"; break;
    case TypeKind::List: S += "[string]"; break;
    default: S += PT->describe(); break;
    }
  }
  return S + ")";
}

const EnumDef &sema::getTierRestrictionEnum() { return vocab().Restriction; }
const EnumDef &sema::getPatchKindEnum() { return vocab().PatchKind; }

const BlockSchema &sema::getFreeFormPatchSchema() { return vocab().PatchTree; }
const EnumDef &sema::getEventKindEnum() { return vocab().EventKind; }
