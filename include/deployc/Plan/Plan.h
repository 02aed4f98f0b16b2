//===- Plan.h - The lowered resource model of one environment -----*- C++ -*-===//
//
// Lowering turns the evaluated configuration of one environment (Sema's Values)
// into plain structs with every default applied and every reference resolved:
// the only input back ends (Emit) and the interpreter read. Nothing here points
// back into the AST or the parse tree. Secret values are never present: a
// secret appears as a SecretRef (secret name + component).
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_PLAN_PLAN_H
#define DEPLOYC_PLAN_PLAN_H

#include "deployc/Basic/SourceManager.h"
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deployc::sema {
class Program;
struct EnvironmentModel;
} // namespace deployc::sema

namespace deployc::plan {

struct SecretRef {
  std::string Secret;    ///< The secret declaration's name.
  std::string Component; ///< A component or composed name (`url`).
  friend bool operator<(const SecretRef &A, const SecretRef &B) {
    return std::tie(A.Secret, A.Component) < std::tie(B.Secret, B.Component);
  }
  friend bool operator==(const SecretRef &A, const SecretRef &B) = default;
};

/// A string that may be assembled from literal text and secret components.
struct TextPart {
  std::string Literal;
  std::optional<SecretRef> Ref;
};
struct Text {
  std::vector<TextPart> Parts;
  static Text plain(std::string S) { return Text{{TextPart{std::move(S), std::nullopt}}}; }
  bool isPlain() const;
  std::string plainText() const;
  /// A single secret reference and nothing else.
  const SecretRef *soleRef() const;
};

struct EnvVar {
  std::string Name;
  Text Value;
};

/// Either an absolute count or a percentage (Kubernetes IntOrString).
struct IntOrPercent {
  bool IsPercent = false;
  double Value = 0;
  std::string str() const;
};

struct Probe {
  enum Kind { HttpGet, Tcp, Exec } K = HttpGet;
  std::string Path;
  int Port = 0;
  std::string PortName; ///< Set when the spec named a declared port.
  std::vector<std::string> Command;
};

struct HealthChecks {
  std::optional<Probe> Liveness, Readiness, Startup;
  int PeriodSeconds = 0, TimeoutSeconds = 0, FailureThreshold = 0,
      SuccessThreshold = 0, InitialDelaySeconds = 0;
};

struct Port {
  std::string Name;
  int Number = 0;
  std::string Protocol = "TCP"; ///< TCP or UDP (transport).
  std::string AppProtocol;      ///< http, grpc when declared.
  bool Expose = false;
};

struct Resources {
  int64_t CpuLimitMilli = 0, CpuRequestMilli = 0;
  int64_t MemoryLimit = 0, MemoryRequest = 0;
  std::string Priority; ///< best_effort, guaranteed, reserved or empty.
  std::string TierName; ///< The resource tier used, if any.
  bool empty() const { return !CpuLimitMilli && !MemoryLimit; }
};

struct Container {
  std::string Name, Image;
  std::vector<std::string> Command, Args;
  std::vector<EnvVar> Env;
  std::optional<Resources> Res;
  std::vector<Port> Ports;
};

struct Volume {
  std::string Name, Path, StorageClass;
  int64_t Size = 0;
};

struct ConfigFile {
  std::string Path, Content;
};

struct SecretFile {
  std::string Path;
  SecretRef Ref;
};

struct Condition {
  std::string Metric; ///< error_rate, latency_p99, cpu, queue_length, ...
  std::string Op;     ///< < <= > >= == !=
  double Threshold = 0; ///< Percent as 0..100, durations in milliseconds.
  std::string Display;  ///< As written, canonical: "1%", "300ms".
};

struct Strategy {
  enum Kind { Rolling, BlueGreen, Canary } K = Rolling;
  std::string Rollback; ///< automatic, manual or empty (manual).
  // Rolling.
  IntOrPercent MaxSurge{true, 25};
  IntOrPercent MaxUnavailable{false, 0};
  bool HealthCheckPerBatch = true;
  int64_t BatchPauseMs = 0;
  // Blue-green.
  bool AutoPromote = false;
  int64_t ScaleDownDelayMs = 30'000;
  int PreviewReplicas = 0;
  std::vector<Probe> Validate;
  // Canary.
  std::vector<double> Steps;
  int64_t StepPauseMs = 0;
  std::vector<Condition> Analysis;
  int64_t AnalysisIntervalMs = 60'000;
  int FailureLimit = 1;
  bool automaticRollback() const { return Rollback == "automatic"; }
};

struct Safety {
  std::vector<Probe> Prechecks;
  bool RollbackPoint = true;
  std::vector<std::string> Notify;
  bool IncidentLog = true;
};

struct QueueTrigger {
  std::string Queue, Broker;
  int PerReplica = 0;
  std::optional<Text> Connection;
};

struct ScheduleWindow {
  std::string Cron;
  int Min = 0;
  int64_t DurationMs = 3'600'000;
  std::string Timezone = "UTC";
};

struct EventTrigger {
  std::string Kind;   ///< queue_overflow, error_rate_spike, latency_degradation
  std::string Action; ///< scale_out, alert, rollback, pause_rollout
  std::string Queue;
  std::vector<Condition> Conditions;
  std::vector<std::string> Notify;
};

struct Autoscaling {
  int Min = 1, Max = 1;
  std::optional<double> CpuPercent, MemoryPercent, IoWaitPercent;
  std::vector<QueueTrigger> Queues;
  std::vector<ScheduleWindow> Schedules;
  std::vector<EventTrigger> Events;
  std::string Autoscaler; ///< hpa or keda, resolved from `auto`.
  int64_t CooldownMs = 300'000;
  int64_t StabilizationMs = 300'000;
  bool usesKeda() const { return Autoscaler == "keda"; }
};

struct Disruption {
  std::optional<IntOrPercent> MinAvailable, MaxUnavailable;
};

struct WorkerQueue {
  std::string Name, Broker, Delivery = "at_least_once", DeadLetter;
  int64_t AckTimeoutMs = 0;
  int Prefetch = 0;
  std::optional<Text> Connection;
  int PoolMin = 1, PoolMax = 1, PerReplica = 0;
};

struct JobSpec {
  std::string Schedule; ///< Cron; empty for a one-off job.
  int64_t TimeoutMs = 0;
  int Retries = 0;
  std::string Concurrency = "forbid", Restart = "on_failure";
};

struct LocalRun {
  std::vector<std::string> Command, Args;
  std::string Workdir;
  std::vector<EnvVar> Env;
};

/// A patch on emitted resources: `patch "Deployment" { ... }` (docs/emit.md).
struct Patch {
  std::string Kind;     ///< The resource kind targeted.
  std::string Target;   ///< Workload name; empty for environment-wide patches.
  std::string JSON;     ///< The patch body as a JSON merge patch.
  SourceRange Where;    ///< The `patch` entry, for diagnostics.
};

struct Workload {
  enum Kind { ServiceKind, WorkerKind, JobKind } K = ServiceKind;
  std::string Name;
  SourceRange Where; ///< The declaration's name, for diagnostics.
  std::string Image;
  std::string BuildName;
  std::vector<std::string> Command, Args;
  std::string Workdir;
  /// The pods call the Kubernetes API: their service account token is mounted.
  bool KubernetesApi = false;
  /// Runs as a StatefulSet (sema::runsAsStatefulSet), with MaxReplicas pods
  /// at most, each with claims of its own.
  bool Stateful = false;
  int MaxReplicas = 1;
  int Replicas = 1;
  Resources Res;
  std::vector<Port> Ports;
  HealthChecks Health;
  std::vector<EnvVar> Env;
  std::vector<ConfigFile> Configs;
  std::vector<SecretFile> SecretFiles;
  std::vector<Volume> Volumes;
  std::vector<Container> Init, Sidecars;
  Strategy Strat;
  std::optional<Safety> Safe;
  std::optional<Autoscaling> Scaling;
  std::optional<Disruption> Budget;
  std::optional<WorkerQueue> Queue;
  std::optional<JobSpec> Job;
  std::map<std::string, std::string> Labels;
  std::optional<LocalRun> Local;
  std::vector<Patch> Patches;

  /// Secret references anywhere in the workload, sorted and unique.
  std::vector<SecretRef> secretRefs() const;
};

struct SecretComponent {
  std::string Name, Type;
  bool Generated = false;
  int Length = 32;
  std::string Charset = "alphanumeric";
  std::optional<std::string> Default;
};

struct Secret {
  std::string Name, TypeName;
  std::vector<SecretComponent> Components;
  /// Strings composed from components (`url`), as templates over this secret.
  std::map<std::string, Text> Composed;
  std::string BackendKind = "embedded"; ///< vault, distributed, platform, embedded
  std::string BackendPath;
  /// The `backend` value, or the declaration's name when it has none.
  SourceRange Where;
  std::optional<int64_t> RotationEveryMs, DualWriteMs, RefreshMs;
  std::vector<std::string> RotationNotify;
  std::vector<std::string> Readers, Operators;
  std::string Access = "env";
  std::string DataTier;
};

struct CacheMount {
  std::string Target, Sharing = "locked", Id;
};
struct BuildSecretMount {
  std::string Id, Target, Env;
  Text Value;
};
struct RunStep {
  std::string Command;
  std::vector<CacheMount> Caches;
  std::vector<BuildSecretMount> Secrets;
};

struct BuildStage {
  std::string Name, From, Workdir, User;
  std::vector<RunStep> System, Install, Build;
  std::vector<std::string> Manifests, Sources, Config;
  /// (stage, [(source, destination)]) in spec order.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> CopyFrom;
  std::vector<std::pair<std::string, std::string>> Env;
  std::vector<std::string> Entrypoint, Cmd;
  std::vector<int> Expose;
};

struct Build {
  std::string Name, Image, Target, Context = ".";
  std::vector<std::string> Platforms, Ignore;
  std::vector<BuildStage> Stages;
};

struct Task {
  std::string Name, Command, Group;
};

struct DevContainer {
  std::string Name, BuildName, Target, RemoteUser;
  std::vector<std::string> PostCreate, Extensions;
  std::vector<Task> Tasks;
  std::vector<int> ForwardPorts;
  std::vector<std::pair<std::string, std::string>> Mounts; ///< (target, source)
  std::vector<std::pair<std::string, std::string>> Env;
};

struct Channel {
  std::string Name, Webhook;
  std::vector<std::string> Command;
};

struct Allocation {
  int64_t CpuMilli = 0, Memory = 0, Storage = 0;
  int Pods = 0;
};

struct Environment {
  std::string Name, Namespace, Tier, Classification;
  std::vector<std::string> Restrictions, Regions;
  /// False for an environment that runs only on this machine.
  bool Cluster = true;
  std::optional<Allocation> Quota;
  std::string DefaultResourceTier;
  /// The default resource tier's size: what a container without resources gets.
  std::optional<Resources> DefaultResources;
  // Network and security.
  std::string Isolation = "namespace", Routing = "none", Domain;
  /// The Gateway HTTPRoutes attach to with `routing = gateway_api`.
  std::string GatewayNamespace, GatewayName;
  std::vector<std::string> Ingress, Egress;
  std::string PodSecurity = "baseline";
  bool RunAsNonRoot = true, ReadOnlyRoot = false;
  int64_t RunAsUser = 0; ///< 0 when the spec leaves it to the image.
  std::vector<std::string> AllowedRegistries;
  /// A mirror deployc's own helper images are pulled through, or empty.
  std::string HelperRegistry;
  /// The age recipients embedded secrets are delivered encrypted to.
  std::vector<std::string> AgeRecipients;
  // Monitoring.
  bool Prometheus = false;
  std::string PrometheusUrl = "http://prometheus.monitoring.svc:9090", Alerts;
  std::map<std::string, bool> Features;
  // Drift and backups.
  std::map<std::string, std::string> DriftSeverity; ///< field class -> severity
  std::map<std::string, std::string> DriftActions;  ///< severity -> action
  std::vector<std::string> DriftNotify;
  struct BackupPolicy {
    std::string Schedule;
    std::vector<std::string> Locations;
    bool Verify = true;
    int64_t RetentionMs = 0;
    std::string Credentials; ///< A secret's name, or empty.
    SourceRange Where;       ///< The `backup` block, for diagnostics.
  };
  std::optional<BackupPolicy> Backup;
  std::vector<std::string> Notify, Operators;

  std::vector<Workload> Workloads;
  std::vector<Secret> Secrets;
  std::vector<Build> Builds;
  std::vector<DevContainer> DevContainers;
  std::vector<Channel> Channels;
  std::vector<Patch> Patches; ///< Environment-wide.

  const Secret *findSecret(const std::string &Name) const;
  const Build *findBuild(const std::string &Name) const;
  const Workload *findWorkload(const std::string &Name) const;
};

/// Lowers one evaluated environment. The program must have no errors.
Environment lowerEnvironment(const sema::Program &P, const sema::EnvironmentModel &M);
/// The same for a caller that reads only the plan afterwards: each workload's
/// values are freed once it is lowered (no other declaration's lowering reads
/// them), so memory never holds the values and the plan of every workload at
/// once. M keeps its name and declarations.
Environment lowerEnvironment(const sema::Program &P, sema::EnvironmentModel &&M);

/// A Kubernetes-safe name: lower case, `-` for `_`, at most 63 characters.
std::string dnsName(const std::string &Name);

} // namespace deployc::plan

#endif
