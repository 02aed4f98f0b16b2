//===- LocalTarget.cpp - Rollouts on this machine through the agent -------===//
//
// The strategies, as the agent makes them real:
//  * direct (a first start, a rollback, a reapply): start the revision, wait
//    until it is ready, send it all traffic, stop the others;
//  * rolling: batches of `batch` new replicas (maxSurge), each waited for
//    when `health_check` is set, each followed by as many old ones stopped;
//    with no surge, `max_unavailable` old replicas go first. Traffic follows
//    the ready replica counts;
//  * blue-green: the green revision beside the blue one, its `validate`
//    probes run against a green replica, then the entry points switch and
//    blue is stopped after `scale_down_delay` (by the agent: apply returns);
//  * canary: per step the weight shifts, the pause runs, and the analysis
//    conditions are measured every `interval` against the canary's metrics
//    as the agent's proxies saw them; more than `failure_limit` failed
//    measurements abort.
// An abort sends all traffic back to the stable revision and stops the new
// one; the engine then restores the rollback point and records the incident.
//
//===----------------------------------------------------------------------===//

#include "deployc/Interp/Local.h"
#include "deployc/Interp/Agent.h"
#include "deployc/Sema/Value.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

using namespace deployc;
using namespace deployc::interp;
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

static llvm::Error failure(const std::string &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

//===----------------------------------------------------------------------===//
// Run specs
//===----------------------------------------------------------------------===//

namespace {

/// A Text as JSON: a string when it is plain, else its parts, secrets as
/// references. Composed secret strings are expanded into their components.
json textJSON(const plan::Text &T, const plan::Environment &Env) {
  if (T.isPlain())
    return T.plainText();
  json Parts = json::array();
  for (const plan::TextPart &P : T.Parts) {
    if (!P.Ref) {
      Parts.push_back({{"text", P.Literal}});
      continue;
    }
    const plan::Secret *S = Env.findSecret(P.Ref->Secret);
    auto Composed = S ? S->Composed.find(P.Ref->Component) : decltype(S->Composed.end())();
    if (S && Composed != S->Composed.end()) {
      for (const plan::TextPart &C : Composed->second.Parts)
        Parts.push_back(C.Ref ? json{{"secret", C.Ref->Secret}, {"component", C.Ref->Component}}
                              : json{{"text", C.Literal}});
      continue;
    }
    Parts.push_back({{"secret", P.Ref->Secret}, {"component", P.Ref->Component}});
  }
  return Parts;
}

std::string portName(const plan::Port &P) {
  return P.Name.empty() ? "port" + std::to_string(P.Number) : P.Name;
}

json probeJSON(const plan::Probe &P, const plan::Workload &W) {
  json J;
  switch (P.K) {
  case plan::Probe::HttpGet:
    J["kind"] = "http_get";
    J["path"] = P.Path.empty() ? "/" : P.Path;
    break;
  case plan::Probe::Tcp:
    J["kind"] = "tcp";
    break;
  case plan::Probe::Exec:
    J["kind"] = "exec";
    J["command"] = P.Command;
    return J;
  }
  std::string Port = P.PortName;
  for (const plan::Port &D : W.Ports)
    if (Port.empty() && D.Number == P.Port)
      Port = portName(D);
  J["port"] = Port;
  return J;
}

json conditionJSON(const plan::Condition &C) {
  return {{"metric", C.Metric}, {"op", C.Op}, {"threshold", C.Threshold}, {"display", C.Display}};
}

json strategyJSON(const plan::Strategy &S, const plan::Workload &W) {
  auto count = [](const plan::IntOrPercent &V) {
    return json{{"percent", V.IsPercent}, {"value", V.Value}};
  };
  json J{{"rollback", S.automaticRollback() ? "automatic" : "manual"}};
  switch (S.K) {
  case plan::Strategy::Rolling:
    J["kind"] = "rolling";
    J["batch"] = count(S.MaxSurge);
    J["max_unavailable"] = count(S.MaxUnavailable);
    J["health_check"] = S.HealthCheckPerBatch;
    J["pause_ms"] = S.BatchPauseMs;
    break;
  case plan::Strategy::BlueGreen: {
    J["kind"] = "blue_green";
    J["scale_down_delay_ms"] = S.ScaleDownDelayMs;
    J["preview_replicas"] = S.PreviewReplicas;
    json V = json::array();
    for (const plan::Probe &P : S.Validate)
      V.push_back(probeJSON(P, W));
    J["validate"] = V;
    break;
  }
  case plan::Strategy::Canary: {
    J["kind"] = "canary";
    J["steps"] = S.Steps;
    J["pause_ms"] = S.StepPauseMs;
    json A = json::array();
    for (const plan::Condition &C : S.Analysis)
      A.push_back(conditionJSON(C));
    J["analysis"] = A;
    J["interval_ms"] = S.AnalysisIntervalMs;
    J["failure_limit"] = S.FailureLimit;
    break;
  }
  }
  return J;
}

json scalingJSON(const plan::Workload &W) {
  if (!W.Scaling)
    return nullptr;
  const plan::Autoscaling &A = *W.Scaling;
  json J{{"min", A.Min},
         {"max", A.Max},
         {"cooldown_ms", A.CooldownMs},
         {"stabilization_ms", A.StabilizationMs}};
  if (A.CpuPercent)
    J["cpu_percent"] = *A.CpuPercent;
  if (A.MemoryPercent)
    J["memory_percent"] = *A.MemoryPercent;
  J["cpu_request_milli"] = W.Res.CpuRequestMilli ? W.Res.CpuRequestMilli : W.Res.CpuLimitMilli;
  J["memory_request"] = W.Res.MemoryRequest ? W.Res.MemoryRequest : W.Res.MemoryLimit;
  json Out = json::array();
  for (const plan::EventTrigger &E : A.Events)
    if (E.Action == "scale_out") {
      json Conds = json::array();
      for (const plan::Condition &C : E.Conditions)
        Conds.push_back(conditionJSON(C));
      Out.push_back(Conds);
    }
  J["scale_out"] = Out;
  return J;
}

} // namespace

llvm::Expected<std::vector<emit::EmittedFile>>
interp::localRunSpecs(const plan::Environment &Env, const std::string &SpecDir) {
  std::vector<emit::EmittedFile> Out;
  for (const plan::Workload &W : Env.Workloads) {
    if (!W.Local)
      continue;
    json J;
    J["workload"] = W.Name;
    J["kind"] = W.K == plan::Workload::ServiceKind  ? "service"
                : W.K == plan::Workload::WorkerKind ? "worker"
                                                    : "job";
    int Replicas = W.Replicas;
    if (W.Scaling)
      Replicas = std::clamp(Replicas, W.Scaling->Min, W.Scaling->Max);
    J["replicas"] = Replicas;
    std::vector<std::string> Command = W.Local->Command;
    Command.insert(Command.end(), W.Local->Args.begin(), W.Local->Args.end());
    J["command"] = Command;
    llvm::SmallString<256> Workdir(W.Local->Workdir.empty() ? SpecDir : W.Local->Workdir);
    if (!llvm::sys::path::is_absolute(Workdir)) {
      Workdir = SpecDir;
      llvm::sys::path::append(Workdir, W.Local->Workdir);
    }
    llvm::sys::fs::make_absolute(Workdir);
    llvm::sys::path::remove_dots(Workdir, true);
    J["workdir"] = std::string(Workdir);
    // The workload's environment, then the local block's on top.
    std::map<std::string, json> EnvVars;
    std::set<std::string> Secrets;
    auto addEnv = [&](const std::vector<plan::EnvVar> &Vars) -> llvm::Error {
      for (const plan::EnvVar &V : Vars) {
        for (const plan::TextPart &P : V.Value.Parts)
          if (P.Ref) {
            const plan::Secret *S = Env.findSecret(P.Ref->Secret);
            if (!S)
              return failure("`" + W.Name + "` uses the undeclared secret `" + P.Ref->Secret +
                             "`");
            if (!S->Readers.empty() &&
                std::find(S->Readers.begin(), S->Readers.end(), W.Name) == S->Readers.end())
              return failure("`" + W.Name + "` is not a reader of secret `" + S->Name +
                             "`; add it to the secret's `readers`");
            if (S->BackendKind != "embedded")
              return failure("secret `" + S->Name + "` lives in the " + S->BackendKind +
                             " backend; on this machine only the embedded vault is read (set "
                             "`" + V.Name + "` in `local { env { } }` instead)");
            Secrets.insert(S->Name);
          }
        EnvVars[V.Name] = textJSON(V.Value, Env);
      }
      return llvm::Error::success();
    };
    if (auto Err = addEnv(W.Env))
      return std::move(Err);
    if (auto Err = addEnv(W.Local->Env))
      return std::move(Err);
    json EnvJ = json::object();
    for (auto &[K, V] : EnvVars)
      EnvJ[K] = V;
    J["env"] = EnvJ;
    json SecretVersions = json::object();
    for (const std::string &S : Secrets)
      SecretVersions[S] = 0; // Pinned when rendered.
    J["secret_versions"] = SecretVersions;
    json Ports = json::array();
    for (const plan::Port &P : W.Ports)
      Ports.push_back(portName(P));
    J["ports"] = Ports;
    const plan::HealthChecks &H = W.Health;
    if (H.Liveness)
      J["liveness"] = probeJSON(*H.Liveness, W);
    if (H.Readiness)
      J["readiness"] = probeJSON(*H.Readiness, W);
    else if (H.Startup)
      J["readiness"] = probeJSON(*H.Startup, W);
    // Kubernetes probes every 10s by default; a developer's machine need not wait that long.
    J["period_ms"] = (H.PeriodSeconds ? H.PeriodSeconds : 1) * 1000;
    J["timeout_ms"] = (H.TimeoutSeconds ? H.TimeoutSeconds : 1) * 1000;
    J["initial_delay_ms"] = H.InitialDelaySeconds * 1000;
    J["failure_threshold"] = H.FailureThreshold ? H.FailureThreshold : 3;
    J["success_threshold"] = H.SuccessThreshold ? H.SuccessThreshold : 1;
    J["strategy"] = strategyJSON(W.Strat, W);
    J["scaling"] = scalingJSON(W);
    if (W.Job)
      J["job"] = {{"retries", W.Job->Retries},
                  {"timeout_ms", W.Job->TimeoutMs},
                  {"schedule", W.Job->Schedule}};
    auto Severity = [&](const char *Class) {
      auto It = Env.DriftSeverity.find(Class);
      return It == Env.DriftSeverity.end() ? std::string("medium") : It->second;
    };
    J["drift_replicas"] = Severity("replicas");
    J["notify"] = W.Safe ? W.Safe->Notify : std::vector<std::string>{};
    Out.push_back({"local/" + W.Name + ".json", J.dump(2) + "\n"});
  }
  return Out;
}

//===----------------------------------------------------------------------===//
// The target
//===----------------------------------------------------------------------===//

namespace {

std::string ms(double Ms) {
  char Buf[32];
  if (Ms >= 1000)
    std::snprintf(Buf, sizeof(Buf), "%.1fs", Ms / 1000);
  else
    std::snprintf(Buf, sizeof(Buf), "%.0fms", Ms);
  return Buf;
}

void sleepMs(double Ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(int64_t(Ms)));
}

int countOf(const json &V, int Of) {
  double N = V.value("value", 0.0);
  if (V.value("percent", false))
    return int(std::ceil(Of * N / 100 - 1e-9));
  return int(N);
}

class LocalTarget : public Target {
public:
  explicit LocalTarget(LocalOptions O) : O(std::move(O)) {}

  std::string describe() const override { return "local"; }

  llvm::Error render(std::vector<emit::EmittedFile> &Files) override {
    Specs.clear();
    for (emit::EmittedFile &F : Files) {
      json J = json::parse(F.Contents, nullptr, false);
      if (!J.is_object() || !J.contains("workload"))
        return failure(F.Path + " is not a local run spec");
      if (auto Err = pin(J))
        return Err;
      F.Contents = J.dump(2) + "\n";
      Specs[J["workload"].get<std::string>()] = J;
    }
    return connect();
  }

  llvm::Error rollout(const std::string &Name, llvm::raw_ostream &Log) override {
    auto It = Specs.find(Name);
    if (It == Specs.end()) {
      Log << "  `" << Name << "` has no `local` block: it does not run on this machine\n";
      return llvm::Error::success();
    }
    const json &Spec = It->second;
    if (Spec["kind"] == "job")
      return runJob(Spec, Log);
    auto State = workloadState(Name);
    if (!State)
      return State.takeError();
    std::string Target = Spec["revision"];
    std::string Stable = stableRevision(*State, Target);
    // Revisions of interrupted rollouts go first.
    const json RevisionsJ = State->value("revisions", json::object());
    for (auto &[Rev, R] : RevisionsJ.items())
      if (Rev != Target && Rev != Stable)
        if (auto Err = call({{"op", "stop"}, {"workload", Name}, {"revision", Rev}}).takeError())
          return Err;
    if (Stable.empty()) {
      Log << "  starting " << Target << " (nothing runs yet)\n";
      return direct(Spec, Log);
    }
    std::string Kind = Spec["strategy"].value("kind", "rolling");
    Log << "  " << Kind << " from " << Stable << " to " << Target << "\n";
    if (Kind == "canary")
      return canary(Spec, Stable, Log);
    if (Kind == "blue_green")
      return blueGreen(Spec, Stable, Log);
    return rolling(Spec, Stable, Log);
  }

  llvm::Error verify(const std::string &Name, llvm::raw_ostream &Log) override {
    auto It = Specs.find(Name);
    if (It == Specs.end() || It->second["kind"] == "job")
      return llvm::Error::success();
    const json &Spec = It->second;
    auto State = workloadState(Name);
    if (!State)
      return State.takeError();
    std::string Rev = Spec["revision"];
    int Ready = readyCount(*State, Rev);
    if (Ready < std::max(1, desired(*State, Rev)))
      return failure(std::to_string(Ready) + " of " + std::to_string(desired(*State, Rev)) +
                     " replicas of " + Rev + " are ready");
    json Weights = State->value("weights", json::object());
    if (!Spec["ports"].empty() && Weights.value(Rev, 0.0) < 100)
      return failure(Rev + " does not receive all traffic");
    Log << "  " << Ready << " replica(s) of " << Rev << " ready" << entryPoints(*State) << "\n";
    if (auto Err = call({{"op", "autoscale"}, {"workload", Name}, {"scaling", Spec["scaling"]}})
                       .takeError())
      return Err;
    return llvm::Error::success();
  }

  /// Workloads the steps did not roll out (unchanged, or stopped by hand)
  /// run their revision; workloads no longer declared stop.
  llvm::Error finalize(llvm::raw_ostream &Log) override {
    auto Status = call({{"op", "status"}});
    if (!Status)
      return Status.takeError();
    std::map<std::string, json> Running;
    for (const auto &W : (*Status)["workloads"])
      if (W["env"] == O.Env)
        Running[W["workload"]] = W;
    for (auto &[Name, Spec] : Specs) {
      if (Spec["kind"] == "job")
        continue;
      std::string Rev = Spec["revision"];
      auto It = Running.find(Name);
      bool Serving = It != Running.end() &&
                     It->second.value("weights", json::object()).value(Rev, 0.0) >= 100 - 1e-9;
      bool Others = false;
      if (It != Running.end())
        for (auto &[R, V] : It->second["revisions"].items())
          Others |= R != Rev && !V.contains("stopping_in_ms");
      if (Serving && !Others && readyCount(It->second, Rev) >= desired(It->second, Rev) &&
          desired(It->second, Rev) > 0)
        continue;
      Log << "  converging `" << Name << "` to " << Rev << "\n";
      if (auto Err = direct(Spec, Log))
        return Err;
      if (auto Err = verify(Name, Log))
        return Err;
    }
    for (auto &[Name, W] : Running)
      if (!Specs.count(Name)) {
        Log << "  stopping `" << Name << "` (no longer declared)\n";
        for (auto &[Rev, R] : W["revisions"].items())
          if (auto Err = call({{"op", "stop"}, {"workload", Name}, {"revision", Rev}}).takeError())
            return Err;
      }
    return llvm::Error::success();
  }

  llvm::Error restore(std::vector<emit::EmittedFile> Files, llvm::raw_ostream &Log) override {
    if (auto Err = render(Files))
      return Err;
    return finalize(Log);
  }

  llvm::Expected<std::vector<DriftFinding>>
  findDrift(const std::vector<emit::EmittedFile> &Applied) override {
    auto Status = localStatus(O.StatePath, O.Env);
    if (!Status)
      return Status.takeError();
    std::map<std::string, json> Running;
    if (Status->is_object())
      for (const auto &W : (*Status)["workloads"])
        Running[W["workload"]] = W;
    std::vector<DriftFinding> Out;
    std::set<std::string> Declared;
    for (const emit::EmittedFile &F : Applied) {
      json Spec = json::parse(F.Contents, nullptr, false);
      if (!Spec.is_object() || Spec["kind"] == "job")
        continue;
      std::string Name = Spec["workload"], Rev = Spec["revision"];
      Declared.insert(Name);
      auto It = Running.find(Name);
      if (It == Running.end()) {
        Out.push_back({'-', Name, "replicas", "not running; " + Rev + " was applied"});
        continue;
      }
      const json &W = It->second;
      std::string Serving = stableRevision(W, "");
      if (Serving != Rev) {
        Out.push_back({'~', Name, "image",
                       (Serving.empty() ? std::string("nothing") : Serving) +
                           " serves; " + Rev + " was applied"});
        continue;
      }
      const json &R = W["revisions"][Rev];
      int Running = 0;
      for (const json &Rep : R["replicas"])
        Running += Rep["state"] != "crashed" && Rep["state"] != "pending";
      int Desired = R.value("desired", 0);
      const json &Scaling = Spec["scaling"];
      bool InBounds = Scaling.is_object()
                          ? Desired >= Scaling.value("min", 0) && Desired <= Scaling.value("max", 0)
                          : Desired == Spec.value("replicas", 0);
      if (!InBounds || Running != Desired)
        Out.push_back({'~', Name, "replicas",
                       std::to_string(Running) + " running, " + std::to_string(Desired) +
                           " desired; " +
                           (Scaling.is_object()
                                ? std::to_string(Scaling.value("min", 0)) + ".." +
                                      std::to_string(Scaling.value("max", 0))
                                : std::to_string(Spec.value("replicas", 0))) +
                           " applied"});
      if (R["ports"] != Spec["ports"])
        Out.push_back({'~', Name, "ports",
                       "ports " + R["ports"].dump() + " run, " + Spec["ports"].dump() +
                           " applied"});
      if (R["secret_versions"] != Spec["secret_versions"])
        Out.push_back({'~', Name, "secrets",
                       "secret versions " + R["secret_versions"].dump() + " run, " +
                           Spec["secret_versions"].dump() + " applied"});
      auto Env = resolveEnv(Spec);
      if (!Env)
        return Env.takeError();
      std::string Want = envDigest(*Env);
      unsigned Differ = 0;
      for (const json &Rep : R["replicas"])
        Differ += !Rep.value("env_hash", "").empty() && Rep["env_hash"] != Want;
      if (Differ)
        Out.push_back({'~', Name, "env",
                       std::to_string(Differ) + " replica(s) run with another environment"});
    }
    for (auto &[Name, W] : Running)
      if (!Declared.count(Name))
        Out.push_back({'+', Name, "config", "runs, but the applied revision does not declare it"});
    return Out;
  }

private:
  //===------------------------------------------------------------------===//
  // The agent
  //===------------------------------------------------------------------===//

  llvm::Error connect() {
    if (Agent)
      return llvm::Error::success();
    auto C = AgentClient::connect(O.StatePath, O.DeploycPath);
    if (!C)
      return C.takeError();
    Agent.emplace(std::move(*C));
    return llvm::Error::success();
  }

  /// One request. When the agent dies under it, the error says so (D8001)
  /// and the connection is dropped: the next request (the rollback that
  /// follows a failed rollout, the next command) starts a new agent.
  llvm::Expected<nlohmann::json> call(nlohmann::json Request) {
    if (auto Err = connect())
      return std::move(Err);
    if (!Request.contains("env") && Request["op"] != "status")
      Request["env"] = O.Env;
    auto Reply = Agent->call(Request);
    if (!Reply && Agent->lost())
      Agent.reset();
    return Reply;
  }

  llvm::Expected<json> workloadState(const std::string &Name) {
    auto Status = call({{"op", "status"}, {"env", O.Env}});
    if (!Status)
      return Status.takeError();
    for (const auto &W : (*Status)["workloads"])
      if (W["workload"] == Name)
        return json::parse(W.dump());
    return json::object();
  }

  /// The revision serving most of the traffic (not Target when there is a
  /// choice); empty when nothing runs.
  static std::string stableRevision(const json &State, const std::string &Target) {
    std::string Best;
    double BestWeight = -1;
    json Weights = State.value("weights", json::object());
    const json RevisionsJ = State.value("revisions", json::object());
    for (auto &[Rev, R] : RevisionsJ.items()) {
      if (R.contains("stopping_in_ms"))
        continue;
      double W = Weights.value(Rev, 0.0);
      if (W > BestWeight || (W == BestWeight && Best == Target)) {
        Best = Rev;
        BestWeight = W;
      }
    }
    return Best;
  }

  static int readyCount(const json &State, const std::string &Rev) {
    int N = 0;
    const json Revs = State.value("revisions", json::object());
    if (Revs.contains(Rev))
      for (const json &R : Revs[Rev]["replicas"])
        N += R["state"] == "ready";
    return N;
  }

  static int desired(const json &State, const std::string &Rev) {
    const json Revs = State.value("revisions", json::object());
    return Revs.contains(Rev) ? Revs[Rev].value("desired", 0) : 0;
  }

  static std::string entryPoints(const json &State) {
    std::string Out;
    const json EntryPointsJ = State.value("entry_points", json::object());
    for (auto &[Port, Addr] : EntryPointsJ.items())
      Out += (Out.empty() ? "; " : ", ") + Port + " at " + Addr.get<std::string>();
    return Out;
  }

  //===------------------------------------------------------------------===//
  // Secrets
  //===------------------------------------------------------------------===//

  /// Pins the active version of each secret the spec reads (versions pinned
  /// already are kept: a rollback runs what it ran), then digests the spec.
  llvm::Error pin(json &Spec) {
    json &Versions = Spec["secret_versions"];
    for (auto &[Secret, V] : Versions.items()) {
      if (V.get<int64_t>() > 0)
        continue;
      if (!O.Secrets)
        return failure("`" + Spec["workload"].get<std::string>() + "` reads secret `" + Secret +
                       "`, but the vault is not open");
      for (const SecretVersion &SV : O.Secrets->versions(O.Env, Secret))
        if (SV.State == "active")
          V = SV.Version;
      if (V.get<int64_t>() == 0)
        return failure("secret `" + Secret + "` has no value in environment `" + O.Env + "`");
    }
    // A revision is what its processes see, as a pod template is: the replica
    // count, strategy and scaling are not part of it.
    json Digest = Spec;
    for (const char *K : {"revision", "replicas", "strategy", "scaling", "job", "drift_replicas",
                          "notify"})
      Digest.erase(K);
    Spec["revision"] = "r" + plan::sha256Hex(Digest.dump()).substr(0, 10);
    return llvm::Error::success();
  }

  llvm::Expected<std::map<std::string, std::string>> resolveEnv(const json &Spec) {
    std::map<std::string, std::string> Out;
    std::map<std::string, std::map<std::string, std::string>> Values;
    for (auto &[Name, V] : Spec["env"].items()) {
      if (V.is_string()) {
        Out[Name] = V;
        continue;
      }
      std::string Text;
      for (const json &P : V) {
        if (P.contains("text")) {
          Text += P["text"].get<std::string>();
          continue;
        }
        std::string Secret = P["secret"], Component = P["component"];
        if (!Values.count(Secret)) {
          if (!O.Secrets)
            return failure("the vault is needed to resolve secret `" + Secret + "`");
          int64_t Version = Spec["secret_versions"].value(Secret, int64_t(0));
          auto Got = O.Secrets->get(O.Env, Secret, Version);
          if (!Got)
            return Got.takeError();
          Values[Secret] = std::move(*Got);
        }
        auto It = Values[Secret].find(Component);
        if (It == Values[Secret].end())
          return failure("secret `" + Secret + "` has no component `" + Component + "`");
        Text += It->second;
      }
      Out[Name] = Text;
    }
    return Out;
  }

  /// As the agent digests a replica's environment (Agent::envHash).
  static std::string envDigest(const std::map<std::string, std::string> &Env) {
    std::string All;
    for (auto &[K, V] : Env)
      All += K + "=" + V + "\n";
    return plan::sha256Hex(All).substr(0, 16);
  }

  /// What the agent needs to run the spec's revision.
  llvm::Expected<json> agentSpec(const json &Spec) {
    auto Env = resolveEnv(Spec);
    if (!Env)
      return Env.takeError();
    json A{{"command", Spec["command"]},
           {"workdir", Spec["workdir"]},
           {"env", *Env},
           {"ports", Spec["ports"]},
           {"secret_versions", Spec["secret_versions"]},
           {"drift_replicas", Spec.value("drift_replicas", "medium")}};
    for (const char *K : {"liveness", "readiness", "period_ms", "timeout_ms", "initial_delay_ms",
                          "failure_threshold", "success_threshold"})
      if (Spec.contains(K))
        A[K] = Spec[K];
    return A;
  }

  //===------------------------------------------------------------------===//
  // Rollout building blocks
  //===------------------------------------------------------------------===//

  llvm::Error ensure(const json &Spec, const std::string &Rev, int Replicas) {
    json Req{{"op", "ensure"},
             {"workload", Spec["workload"]},
             {"revision", Rev},
             {"replicas", Replicas}};
    if (Rev == Spec["revision"]) {
      auto A = agentSpec(Spec);
      if (!A)
        return A.takeError();
      Req["spec"] = *A;
    }
    return call(Req).takeError();
  }

  llvm::Error setWeights(const json &Spec, json Weights) {
    return call({{"op", "set_weights"}, {"workload", Spec["workload"]}, {"weights", Weights}})
        .takeError();
  }

  llvm::Error stop(const json &Spec, const std::string &Rev, double DelayMs = 0) {
    return call({{"op", "stop"},
                 {"workload", Spec["workload"]},
                 {"revision", Rev},
                 {"delay_ms", DelayMs}})
        .takeError();
  }

  /// How long a replica may take to become ready: its initial delay, enough
  /// periods for the thresholds, and slack for a slow start.
  static double progressDeadlineMs(const json &Spec) {
    double Period = Spec.value("period_ms", 1000.0);
    return Spec.value("initial_delay_ms", 0.0) +
           Period * (Spec.value("failure_threshold", 3) + Spec.value("success_threshold", 1) + 2) +
           Spec.value("timeout_ms", 1000.0) + 20'000;
  }

  /// Waits until Count replicas of Rev are ready. Fails as soon as one fails
  /// its health checks or keeps crashing.
  llvm::Error waitReady(const json &Spec, const std::string &Rev, int Count) {
    auto Deadline = Clock::now() + std::chrono::milliseconds(int64_t(progressDeadlineMs(Spec)));
    std::string Name = Spec["workload"];
    for (;;) {
      auto State = workloadState(Name);
      if (!State)
        return State.takeError();
      const json Revs = State->value("revisions", json::object());
      if (!Revs.contains(Rev))
        return failure(Rev + " is not running");
      int Ready = 0;
      for (const json &R : Revs[Rev]["replicas"]) {
        Ready += R["state"] == "ready";
        if (R["state"] == "unhealthy" ||
            llvm::StringRef(R.value("last_exit", "")).contains("liveness"))
          return failure("replica " + std::to_string(R["index"].get<int>()) + " of " + Rev +
                         " fails its health checks (see " + logPath(Name, Rev, R["index"]) + ")");
        if (R.value("restarts", 0) >= 3)
          return failure("replica " + std::to_string(R["index"].get<int>()) + " of " + Rev +
                         " keeps crashing: " + R.value("last_exit", "") + " (see " +
                         logPath(Name, Rev, R["index"]) + ")");
      }
      if (Ready >= Count)
        return llvm::Error::success();
      if (Clock::now() > Deadline)
        return failure(std::to_string(Ready) + " of " + std::to_string(Count) +
                       " replicas of " + Rev + " became ready within " +
                       ms(progressDeadlineMs(Spec)));
      sleepMs(100);
    }
  }

  std::string logPath(const std::string &W, const std::string &Rev, const json &Index) {
    llvm::SmallString<256> P(llvm::sys::path::parent_path(O.StatePath));
    llvm::sys::path::append(P, "logs",
                            O.Env + "-" + W + "-" + Rev + "-" + std::to_string(Index.get<int>()) +
                                ".log");
    return std::string(P);
  }

  /// Gives up on Target: all traffic back to Stable, Target stopped (when
  /// the strategy rolls back automatically).
  llvm::Error abort(const json &Spec, const std::string &Stable, llvm::Error Why,
                    llvm::raw_ostream &Log) {
    // With the agent, the revisions are gone: nothing to shift or stop (a new
    // agent would start empty); the engine's rollback puts the stable one back.
    if (Why.isA<AgentStoppedError>())
      return Why;
    std::string Reason = llvm::toString(std::move(Why));
    std::string Target = Spec["revision"];
    if (!Stable.empty())
      if (auto Err = setWeights(Spec, {{Stable, 100}}))
        return Err;
    if (Spec["strategy"].value("rollback", "manual") == "automatic") {
      if (auto Err = stop(Spec, Target))
        return Err;
      Log << "  aborted: " << Reason << "; traffic back on " << Stable << ", " << Target
          << " stopped\n";
    } else {
      Log << "  aborted: " << Reason << "; traffic back on " << Stable << ", " << Target
          << " kept for inspection\n";
    }
    return failure(Reason);
  }

  llvm::Error direct(const json &Spec, llvm::raw_ostream &Log) {
    std::string Name = Spec["workload"], Target = Spec["revision"];
    auto State = workloadState(Name);
    if (!State)
      return State.takeError();
    int Replicas = Spec.value("replicas", 1);
    // An autoscaled revision keeps the count the agent chose within the bounds.
    const json &Scaling = Spec["scaling"];
    if (Scaling.is_object() && desired(*State, Target) >= Scaling.value("min", 0) &&
        desired(*State, Target) <= Scaling.value("max", 0) && desired(*State, Target) > 0)
      Replicas = desired(*State, Target);
    if (auto Err = ensure(Spec, Target, Replicas))
      return Err;
    if (auto Err = waitReady(Spec, Target, Replicas))
      return Err;
    if (auto Err = setWeights(Spec, {{Target, 100}}))
      return Err;
    const json RevisionsJ = State->value("revisions", json::object());
    for (auto &[Rev, R] : RevisionsJ.items())
      if (Rev != Target)
        if (auto Err = stop(Spec, Rev))
          return Err;
    Log << "  " << Replicas << " replica(s) of " << Target << " ready, serving all traffic\n";
    return llvm::Error::success();
  }

  llvm::Error rolling(const json &Spec, const std::string &Stable, llvm::raw_ostream &Log) {
    const json &S = Spec["strategy"];
    std::string Name = Spec["workload"], Target = Spec["revision"];
    int N = Spec.value("replicas", 1);
    auto State = workloadState(Name);
    if (!State)
      return State.takeError();
    int Old = desired(*State, Stable);
    int New = desired(*State, Target);
    int Surge = countOf(S["batch"], N);
    int Unavailable = countOf(S["max_unavailable"], N);
    bool Check = S.value("health_check", true);
    double PauseMs = S.value("pause_ms", 0.0);
    int Batch = std::max(1, Surge > 0 ? Surge : Unavailable);
    int OriginalOld = Old;
    unsigned Round = 0;
    auto scaleStable = [&]() -> llvm::Error {
      return Old > 0 ? ensure(Spec, Stable, Old) : stop(Spec, Stable);
    };
    while (New < N || Old > 0) {
      // Without surge, old replicas make room first (max_unavailable).
      if (Surge == 0) {
        Old -= std::min(Old, Batch);
        if (auto Err = scaleStable())
          return abort(Spec, Stable, std::move(Err), Log);
      }
      int Start = std::min(Batch, N - New);
      New += Start;
      if (auto Err = ensure(Spec, Target, New))
        return abort(Spec, Stable, std::move(Err), Log);
      if (Check || New >= N)
        if (auto Err = waitReady(Spec, Target, New)) {
          if (Old < OriginalOld)
            (void)ensure(Spec, Stable, OriginalOld);
          return abort(Spec, Stable, std::move(Err), Log);
        }
      if (Surge > 0) {
        Old -= New >= N ? Old : std::min(Old, Start);
        if (auto Err = scaleStable())
          return Err;
      }
      if (auto Err = setWeights(Spec, Old > 0 ? json{{Target, New}, {Stable, Old}}
                                              : json{{Target, 100}}))
        return Err;
      Log << "  batch " << ++Round << ": " << New << " new, " << Old << " old\n";
      Log.flush();
      if (PauseMs > 0 && (New < N || Old > 0))
        sleepMs(PauseMs);
    }
    return setWeights(Spec, {{Target, 100}});
  }

  llvm::Error blueGreen(const json &Spec, const std::string &Stable, llvm::raw_ostream &Log) {
    const json &S = Spec["strategy"];
    std::string Target = Spec["revision"];
    int N = Spec.value("replicas", 1);
    int Preview = S.value("preview_replicas", 0);
    int First = Preview > 0 ? std::min(Preview, N) : N;
    if (auto Err = ensure(Spec, Target, First))
      return abort(Spec, Stable, std::move(Err), Log);
    if (auto Err = waitReady(Spec, Target, First))
      return abort(Spec, Stable, std::move(Err), Log);
    Log << "  green " << Target << " ready beside blue " << Stable << "\n";
    for (const json &P : S.value("validate", json::array())) {
      if (auto Err = runValidation(Spec, Target, P))
        return abort(Spec, Stable, std::move(Err), Log);
      Log << "  validated: " << P.value("kind", "") << " " << P.value("path", "") << "\n";
    }
    if (First < N) {
      if (auto Err = ensure(Spec, Target, N))
        return abort(Spec, Stable, std::move(Err), Log);
      if (auto Err = waitReady(Spec, Target, N))
        return abort(Spec, Stable, std::move(Err), Log);
    }
    if (auto Err = setWeights(Spec, {{Target, 100}}))
      return Err;
    double Delay = S.value("scale_down_delay_ms", 30'000.0);
    if (auto Err = stop(Spec, Stable, Delay))
      return Err;
    Log << "  switched to " << Target << "; blue " << Stable << " stops in " << ms(Delay)
        << "\n";
    return llvm::Error::success();
  }

  /// A `validate` probe against one replica of Rev.
  llvm::Error runValidation(const json &Spec, const std::string &Rev, const json &P) {
    std::string Kind = P.value("kind", "");
    if (Kind == "exec") {
      std::vector<std::string> Cmd = P.value("command", std::vector<std::string>{});
      if (Cmd.empty())
        return failure("an exec validation has no command");
      int RC = runProcess(Cmd, nullptr, "", "", 30);
      return RC == 0 ? llvm::Error::success()
                     : failure("validation `" + Cmd.front() + "` exited with " +
                               std::to_string(RC));
    }
    auto State = workloadState(Spec["workload"]);
    if (!State)
      return State.takeError();
    int Port = 0;
    for (const json &R : (*State)["revisions"][Rev]["replicas"])
      if (R["state"] == "ready") {
        json Ports = R["ports"];
        std::string Name = P.value("port", "");
        Port = Ports.contains(Name) ? Ports[Name].get<int>()
                                    : (Ports.empty() ? 0 : Ports.begin()->get<int>());
        break;
      }
    if (!Port)
      return failure("no ready replica of " + Rev + " to validate");
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    try {
      asio::io_context IO;
      boost::beast::tcp_stream S(IO);
      S.expires_after(std::chrono::milliseconds(int64_t(Spec.value("timeout_ms", 1000.0))));
      S.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(Port)});
      if (Kind == "tcp")
        return llvm::Error::success();
      std::string Path = P.value("path", "/");
      http::request<http::empty_body> Req{http::verb::get, Path, 11};
      Req.set(http::field::host, "127.0.0.1");
      http::write(S, Req);
      boost::beast::flat_buffer B;
      http::response<http::string_body> Res;
      http::read(S, B, Res);
      if (Res.result_int() >= 200 && Res.result_int() < 400)
        return llvm::Error::success();
      return failure("validation GET " + Path + " answered " + std::to_string(Res.result_int()));
    } catch (const std::exception &E) {
      return failure(std::string("validation failed: ") + E.what());
    }
  }

  llvm::Error canary(const json &Spec, const std::string &Stable, llvm::raw_ostream &Log) {
    const json &S = Spec["strategy"];
    std::string Name = Spec["workload"], Target = Spec["revision"];
    int N = Spec.value("replicas", 1);
    double PauseMs = S.value("pause_ms", 0.0);
    double IntervalMs = std::max(100.0, S.value("interval_ms", 60'000.0));
    int FailureLimit = S.value("failure_limit", 1);
    json Analysis = S.value("analysis", json::array());
    int Failures = 0;
    for (const json &StepJ : S["steps"]) {
      double Weight = StepJ.get<double>();
      if (Weight >= 100)
        break;
      int Replicas = std::max(1, int(std::ceil(N * Weight / 100 - 1e-9)));
      if (auto Err = ensure(Spec, Target, Replicas))
        return abort(Spec, Stable, std::move(Err), Log);
      if (auto Err = waitReady(Spec, Target, Replicas))
        return abort(Spec, Stable, std::move(Err), Log);
      if (auto Err = call({{"op", "reset_metrics"}, {"workload", Name}}).takeError())
        return Err;
      if (auto Err = setWeights(Spec, {{Target, Weight}, {Stable, 100 - Weight}}))
        return Err;
      Log << "  step " << sema::formatPercent(Weight) << ": " << Replicas
          << " canary replica(s)\n";
      Log.flush();
      // Measure every interval during the pause, and once at its end.
      auto StepEnd = Clock::now() + std::chrono::milliseconds(int64_t(PauseMs));
      for (;;) {
        double Left =
            std::chrono::duration<double, std::milli>(StepEnd - Clock::now()).count();
        sleepMs(std::max(0.0, std::min(IntervalMs, Left)));
        if (!Analysis.empty()) {
          auto Verdict = measure(Spec, Target, Analysis);
          if (!Verdict)
            return Verdict.takeError();
          if (!Verdict->empty()) {
            ++Failures;
            Log << "  analysis failed (" << Failures << " failed measurement(s), failure_limit "
                << FailureLimit << "): " << *Verdict << "\n";
            if (Failures > FailureLimit)
              return abort(Spec, Stable, failure("canary analysis failed: " + *Verdict), Log);
          }
        }
        if (Clock::now() >= StepEnd)
          break;
      }
      if (auto Err = waitReady(Spec, Target, Replicas))
        return abort(Spec, Stable, std::move(Err), Log);
    }
    if (auto Err = ensure(Spec, Target, N))
      return abort(Spec, Stable, std::move(Err), Log);
    if (auto Err = waitReady(Spec, Target, N))
      return abort(Spec, Stable, std::move(Err), Log);
    if (auto Err = setWeights(Spec, {{Target, 100}}))
      return Err;
    if (auto Err = stop(Spec, Stable))
      return Err;
    Log << "  promoted " << Target << "\n";
    return llvm::Error::success();
  }

  /// The failed analysis conditions, as text; empty when all hold (or no
  /// request was measured: nothing to judge).
  llvm::Expected<std::string> measure(const json &Spec, const std::string &Rev,
                                      const json &Analysis) {
    auto M = call({{"op", "metrics"}, {"workload", Spec["workload"]}});
    if (!M)
      return M.takeError();
    json R = (*M)["revisions"].value(Rev, json::object());
    if (R.value("requests", 0) == 0)
      return std::string();
    std::string Failed;
    for (const json &C : Analysis) {
      std::string Metric = C["metric"];
      double V;
      if (Metric == "error_rate")
        V = R.value("error_rate", 0.0) * 100;
      else if (Metric == "success_rate")
        V = 100 - R.value("error_rate", 0.0) * 100;
      else if (R.contains(Metric + "_ms"))
        V = R[Metric + "_ms"].get<double>();
      else
        continue;
      double T = C["threshold"];
      std::string Op = C["op"];
      bool Holds = Op == "<"    ? V < T
                   : Op == "<=" ? V <= T
                   : Op == ">"  ? V > T
                   : Op == ">=" ? V >= T
                   : Op == "==" ? V == T
                                : V != T;
      if (Holds)
        continue;
      char Buf[64];
      std::snprintf(Buf, sizeof(Buf), "%.4g", V);
      Failed += (Failed.empty() ? "" : ", ") + Metric + " was " + Buf +
                (Metric.find("rate") != std::string::npos ? "%" : "ms") + ", wanted " + Op +
                " " + C.value("display", "");
    }
    return Failed;
  }

  /// A one-off job runs to completion, with its retries.
  llvm::Error runJob(const json &Spec, llvm::raw_ostream &Log) {
    std::string Name = Spec["workload"];
    if (!Spec["job"].value("schedule", "").empty()) {
      Log << "  `" << Name << "` is a scheduled job: not run on this machine\n";
      return llvm::Error::success();
    }
    auto Env = resolveEnv(Spec);
    if (!Env)
      return Env.takeError();
    std::vector<std::string> Cmd = Spec["command"];
    auto Program = llvm::sys::findProgramByName(Cmd.front());
    std::string Path = Program ? *Program : Cmd.front();
    if (!llvm::sys::path::is_absolute(Path) && llvm::StringRef(Path).contains('/')) {
      llvm::SmallString<256> P(Spec["workdir"].get<std::string>());
      llvm::sys::path::append(P, Path);
      Path = std::string(P);
    }
    std::vector<std::string> EnvStrings;
    for (char **E = environ; *E; ++E)
      if (!llvm::StringRef(*E).startswith("DEPLOYC_VAULT_KEY="))
        EnvStrings.push_back(*E);
    for (auto &[K, V] : *Env)
      EnvStrings.push_back(K + "=" + V);
    Cmd.front() = Path;
    std::string LogFile = logPath(Name, Spec["revision"], 0);
    llvm::sys::fs::create_directories(llvm::sys::path::parent_path(LogFile));
    int Retries = Spec["job"].value("retries", 0);
    unsigned Timeout = unsigned(Spec["job"].value("timeout_ms", 0) / 1000);
    int RC = -1;
    for (int Attempt = 0; Attempt <= Retries && RC != 0; ++Attempt)
      RC = runProcess(Cmd, &EnvStrings, LogFile, Spec["workdir"].get<std::string>(), Timeout);
    if (RC != 0)
      return failure("job `" + Name + "` failed (exit " + std::to_string(RC) + ") after " +
                     std::to_string(Retries + 1) + " attempt(s); see " + LogFile);
    Log << "  job `" << Name << "` completed\n";
    return llvm::Error::success();
  }

  LocalOptions O;
  std::map<std::string, json> Specs;
  std::optional<AgentClient> Agent;
};

} // namespace

std::unique_ptr<Target> interp::makeLocalTarget(const LocalOptions &O) {
  return std::make_unique<LocalTarget>(O);
}

llvm::Expected<nlohmann::json> interp::localStatus(const std::string &StatePath,
                                                   const std::string &Env) {
  auto C = AgentClient::connectRunning(StatePath);
  if (!C)
    return C.takeError();
  if (!*C)
    return nlohmann::json();
  nlohmann::json Req{{"op", "status"}};
  if (!Env.empty())
    Req["env"] = Env;
  return (*C)->call(Req);
}

llvm::Error interp::localDown(const std::string &StatePath, const std::string &Env,
                              llvm::raw_ostream &Log) {
  auto C = AgentClient::connectRunning(StatePath);
  std::string Why = "no agent for " + llvm::sys::path::parent_path(StatePath).str();
  if (!C) {
    // A killed agent took its processes with it: nothing is left to stop.
    if (auto Rest = llvm::handleErrors(C.takeError(), [&](const AgentStoppedError &E) {
          Why = "the agent (pid " + std::to_string(E.Pid) + ") was killed, and its processes "
                "with it";
          forgetStoppedAgent(StatePath);
        }))
      return Rest;
  }
  if (!C || !*C) {
    Log << "nothing runs: " << Why << "\n";
    return llvm::Error::success();
  }
  auto Status = (*C)->call({{"op", "status"}, {"env", Env}});
  if (!Status)
    return Status.takeError();
  std::vector<int> Pids;
  for (const auto &W : (*Status)["workloads"])
    for (const auto &[Rev, R] : W["revisions"].items())
      for (const auto &Rep : R["replicas"])
        if (Rep["pid"].get<int>() > 0)
          Pids.push_back(Rep["pid"]);
  auto Down = (*C)->call({{"op", "down"}, {"env", Env}});
  if (!Down)
    return Down.takeError();
  // The agent waited for its children; make sure before saying so.
  for (int I = 0; I < 50; ++I) {
    bool Alive = false;
    for (int Pid : Pids)
      Alive |= ::kill(Pid, 0) == 0;
    if (!Alive)
      break;
    sleepMs(100);
  }
  Log << "stopped " << Pids.size() << " process(es) of environment `" << Env << "`"
      << ((*Down).value("agent_exiting", false) ? "; the agent exits" : "") << "\n";
  return llvm::Error::success();
}
