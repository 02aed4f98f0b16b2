//===- ExecutionPlan.cpp - What applying an environment will do -----------===//

#include "deployc/Plan/ExecutionPlan.h"
#include "deployc/Sema/Value.h"
#include "llvm/ADT/StringExtras.h"
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sodium.h>

using namespace deployc;
using namespace deployc::plan;
using json = nlohmann::ordered_json;

std::string plan::sha256Hex(llvm::StringRef Data) {
  unsigned char Hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(Hash, reinterpret_cast<const unsigned char *>(Data.data()), Data.size());
  return llvm::toHex(llvm::ArrayRef<uint8_t>(Hash, sizeof(Hash)), /*LowerCase=*/true);
}

bool ExecutionPlan::hasChanges() const {
  for (const ResourceChange &C : Changes)
    if (C.A != ResourceChange::Keep)
      return true;
  return !RotationsDue.empty();
}

unsigned ExecutionPlan::count(ResourceChange::Action A) const {
  unsigned N = 0;
  for (const ResourceChange &C : Changes)
    N += C.A == A;
  return N;
}

namespace {

/// The resources of a configuration: `service.orders` -> its JSON.
std::vector<std::pair<std::string, json>> resourcesOf(const json &Config) {
  std::vector<std::pair<std::string, json>> Out;
  if (!Config.is_object())
    return Out;
  static const std::pair<const char *, const char *> Kinds[] = {
      {"services", "service"}, {"workers", "worker"}, {"jobs", "job"},
      {"secrets", "secret"},   {"builds", "build"},   {"devcontainers", "devcontainer"},
      {"channels", "channel"}, {"features", "feature"}};
  if (Config.contains("settings"))
    Out.push_back({"environment", Config["settings"]});
  if (Config.contains("params") && !Config["params"].empty())
    Out.push_back({"params", Config["params"]});
  for (auto [Key, Kind] : Kinds)
    if (Config.contains(Key) && Config[Key].is_object())
      for (auto It = Config[Key].begin(); It != Config[Key].end(); ++It)
        Out.push_back({std::string(Kind) + "." + It.key(), It.value()});
  return Out;
}

bool isSecretRef(const json &V) {
  return V.is_object() && V.size() == 1 &&
         (V.contains("secret") || V.contains("secret_template"));
}

/// Leaves of a resource: `env.LOG_LEVEL` -> "\"warn\"".
void flatten(const json &V, const std::string &Path,
             std::vector<std::tuple<std::string, std::string, bool>> &Out) {
  if (isSecretRef(V)) {
    Out.emplace_back(Path, V.dump(), true);
    return;
  }
  if (V.is_object() && !V.empty()) {
    for (auto It = V.begin(); It != V.end(); ++It)
      flatten(It.value(), Path.empty() ? It.key() : Path + "." + It.key(), Out);
    return;
  }
  Out.emplace_back(Path, V.dump(), false);
}

} // namespace

std::vector<ResourceChange> plan::diffConfigurations(llvm::StringRef OldText,
                                                     llvm::StringRef NewText) {
  json Old = OldText.empty() ? json::object() : json::parse(OldText.str(), nullptr, false);
  json New = json::parse(NewText.str(), nullptr, false);
  auto OldR = resourcesOf(Old), NewR = resourcesOf(New);
  std::map<std::string, json> OldMap(OldR.begin(), OldR.end());
  std::vector<ResourceChange> Out;
  std::set<std::string> Seen;
  for (auto &[Name, Value] : NewR) {
    Seen.insert(Name);
    ResourceChange C;
    C.Resource = Name;
    std::vector<std::tuple<std::string, std::string, bool>> NewF, OldF;
    flatten(Value, "", NewF);
    auto It = OldMap.find(Name);
    if (It == OldMap.end()) {
      C.A = ResourceChange::Add;
      for (auto &[P, V, S] : NewF)
        C.Fields.push_back({P, "", V, S});
      Out.push_back(C);
      continue;
    }
    flatten(It->second, "", OldF);
    std::map<std::string, std::pair<std::string, bool>> OldFields;
    for (auto &[P, V, S] : OldF)
      OldFields[P] = {V, S};
    std::set<std::string> Present;
    for (auto &[P, V, S] : NewF) {
      Present.insert(P);
      auto O = OldFields.find(P);
      if (O == OldFields.end())
        C.Fields.push_back({P, "", V, S});
      else if (O->second.first != V)
        C.Fields.push_back({P, O->second.first, V, S || O->second.second});
    }
    for (auto &[P, V] : OldFields)
      if (!Present.count(P))
        C.Fields.push_back({P, V.first, "", V.second});
    C.A = C.Fields.empty() ? ResourceChange::Keep : ResourceChange::Change;
    Out.push_back(C);
  }
  for (auto &[Name, Value] : OldR)
    if (!Seen.count(Name)) {
      ResourceChange C;
      C.Resource = Name;
      C.A = ResourceChange::Remove;
      std::vector<std::tuple<std::string, std::string, bool>> OldF;
      flatten(Value, "", OldF);
      for (auto &[P, V, S] : OldF)
        C.Fields.push_back({P, V, "", S});
      Out.push_back(C);
    }
  return Out;
}

static std::string strategyName(const Strategy &S) {
  switch (S.K) {
  case Strategy::Rolling: return "rolling update";
  case Strategy::BlueGreen: return "blue-green";
  case Strategy::Canary: return "canary";
  }
  return "";
}

ExecutionPlan plan::buildExecutionPlan(const Environment &Env, std::string Config,
                                       llvm::StringRef PreviousConfig, int64_t BaseRevision,
                                       std::vector<std::string> RotationsDue) {
  ExecutionPlan P;
  P.Environment = Env.Name;
  P.BaseRevision = BaseRevision;
  P.ConfigHash = sha256Hex(Config);
  P.Changes = diffConfigurations(PreviousConfig, Config);
  P.Config = std::move(Config);
  P.RotationsDue = std::move(RotationsDue);

  std::set<std::string> Changed;
  for (const ResourceChange &C : P.Changes)
    if (C.A != ResourceChange::Keep)
      Changed.insert(C.Resource);
  auto add = [&](std::string Id, std::string Kind, std::string Target, std::string Desc,
                 std::vector<std::string> After) {
    P.Steps.push_back({std::move(Id), std::move(Kind), std::move(Target), std::move(Desc),
                       std::move(After)});
  };

  // 1. Pre-deployment checks: the spec validated, the declared prechecks.
  add("precheck.spec", "precheck", "", "the spec checks clean for environment `" + Env.Name + "`", {});
  std::vector<std::string> Prechecks{"precheck.spec"};
  for (const Workload &W : Env.Workloads)
    if (W.Safe && !W.Safe->Prechecks.empty()) {
      add("precheck." + W.Name, "precheck", W.Name,
          std::to_string(W.Safe->Prechecks.size()) + " declared precheck(s) of `" + W.Name + "`",
          {"precheck.spec"});
      Prechecks.push_back("precheck." + W.Name);
    }
  // 2. The rollback point everything can return to.
  add("rollback-point", "rollback-point", "",
      BaseRevision ? "record revision " + std::to_string(BaseRevision) + " as the rollback point"
                   : "no earlier revision: a failure leaves nothing applied",
      Prechecks);
  // 3. Secrets ensured, or rotated when due.
  std::vector<std::string> SecretSteps;
  for (const Secret &S : Env.Secrets) {
    bool Due = std::find(P.RotationsDue.begin(), P.RotationsDue.end(), S.Name) !=
               P.RotationsDue.end();
    std::string Desc;
    if (S.BackendKind == "embedded")
      Desc = Due ? "rotate `" + S.Name + "` in the embedded vault (dual-write " +
                       (S.DualWriteMs ? sema::formatDuration(*S.DualWriteMs) : std::string("none")) +
                       ")"
                 : "ensure `" + S.Name + "` exists in the embedded vault";
    else
      Desc = "`" + S.Name + "` is managed by the " + S.BackendKind + " backend";
    add("secret." + S.Name, "secret", S.Name, Desc, {"rollback-point"});
    SecretSteps.push_back("secret." + S.Name);
  }
  if (SecretSteps.empty())
    SecretSteps.push_back("rollback-point");
  // 4. Configuration rendered.
  add("render", "render", "", "render the environment for the target (manifests and Dockerfiles for a folder, run specs "
      "on this machine)",
      SecretSteps);
  // 5-6. Each workload rolled out by its strategy, then verified.
  std::vector<std::string> Verified;
  for (const Workload &W : Env.Workloads) {
    std::string Res = (W.K == Workload::ServiceKind  ? "service."
                       : W.K == Workload::WorkerKind ? "worker."
                                                     : "job.") +
                      W.Name;
    // Rotated secrets restart their readers.
    bool Restart = false;
    for (const SecretRef &R : W.secretRefs())
      if (std::find(P.RotationsDue.begin(), P.RotationsDue.end(), R.Secret) != P.RotationsDue.end())
        Restart = true;
    if (!Changed.count(Res) && !Restart)
      continue;
    std::string How = W.K == Workload::JobKind ? "run as a job" : strategyName(W.Strat);
    if (W.Strat.K == Strategy::Canary && !W.Strat.Steps.empty()) {
      How += " through";
      for (double S : W.Strat.Steps)
        How += " " + sema::formatPercent(S);
    }
    add("rollout." + W.Name, "rollout", W.Name,
        (Restart && !Changed.count(Res) ? "restart `" + W.Name + "` for a rotated secret ("
                                        : "roll out `" + W.Name + "` (") + How + ")",
        {"render"});
    add("verify." + W.Name, "verify", W.Name,
        "verify `" + W.Name + "` is healthy" +
            (W.Strat.automaticRollback() ? "; roll back automatically on failure" : ""),
        {"rollout." + W.Name});
    Verified.push_back("verify." + W.Name);
  }
  if (Verified.empty())
    Verified.push_back("render");
  // 7. Finalize: record the revision.
  add("finalize", "finalize", "", "record the new revision and release the lock", Verified);
  return P;
}

static const char *actionSymbol(ResourceChange::Action A) {
  switch (A) {
  case ResourceChange::Add: return "+";
  case ResourceChange::Change: return "~";
  case ResourceChange::Remove: return "-";
  case ResourceChange::Keep: return " ";
  }
  return " ";
}

std::string plan::renderPlanText(const ExecutionPlan &P) {
  std::string Out = "deployc plan for environment `" + P.Environment + "`";
  Out += P.BaseRevision ? " (against revision " + std::to_string(P.BaseRevision) + ")\n\n"
                        : " (nothing applied yet)\n\n";
  for (const ResourceChange &C : P.Changes) {
    if (C.A == ResourceChange::Keep)
      continue;
    Out += std::string("  ") + actionSymbol(C.A) + " " + C.Resource + "\n";
    for (const FieldChange &F : C.Fields) {
      auto shown = [&](const std::string &V) { return F.Sensitive && !V.empty() ? std::string("(sensitive)") : V; };
      Out += "      ";
      if (C.A == ResourceChange::Change)
        Out += F.Old.empty() ? "+ " : F.New.empty() ? "- " : "~ ";
      Out += F.Path + ": ";
      if (C.A == ResourceChange::Change && !F.Old.empty() && !F.New.empty())
        Out += shown(F.Old) + " -> " + shown(F.New);
      else
        Out += shown(F.New.empty() ? F.Old : F.New);
      Out += "\n";
    }
  }
  for (const std::string &S : P.RotationsDue)
    Out += "  ~ secret." + S + "\n      rotation due: a new version will be generated\n";
  if (!P.hasChanges())
    Out += "  No changes. The environment matches the last applied revision.\n";
  Out += "\nSteps:\n";
  unsigned N = 0;
  for (const Step &S : P.Steps)
    Out += "  " + std::to_string(++N) + ". " + S.Kind + ": " + S.Description + "\n";
  Out += "\nPlan: " + std::to_string(P.count(ResourceChange::Add)) + " to add, " +
         std::to_string(P.count(ResourceChange::Change) + P.RotationsDue.size()) + " to change, " +
         std::to_string(P.count(ResourceChange::Remove)) + " to remove, " +
         std::to_string(P.count(ResourceChange::Keep)) + " unchanged.\n";
  return Out;
}

std::string plan::renderPlanJSON(const ExecutionPlan &P) {
  static const char *Actions[] = {"add", "change", "remove", "unchanged"};
  json Changes = json::array();
  for (const ResourceChange &C : P.Changes) {
    json Fields = json::array();
    for (const FieldChange &F : C.Fields) {
      json J{{"path", F.Path}, {"sensitive", F.Sensitive}};
      J["old"] = F.Old.empty() ? json(nullptr)
                 : F.Sensitive ? json("(sensitive)")
                               : json::parse(F.Old, nullptr, false);
      J["new"] = F.New.empty() ? json(nullptr)
                 : F.Sensitive ? json("(sensitive)")
                               : json::parse(F.New, nullptr, false);
      Fields.push_back(J);
    }
    Changes.push_back({{"resource", C.Resource}, {"action", Actions[C.A]}, {"fields", Fields}});
  }
  json Steps = json::array();
  for (const Step &S : P.Steps)
    Steps.push_back({{"id", S.Id}, {"kind", S.Kind}, {"target", S.Target},
                     {"description", S.Description}, {"after", S.After}});
  json J{{"format", "deployc-plan/1"},
         {"environment", P.Environment},
         {"base_revision", P.BaseRevision},
         {"config_sha256", P.ConfigHash},
         {"changes_present", P.hasChanges()},
         {"rotations_due", P.RotationsDue},
         {"changes", Changes},
         {"steps", Steps},
         {"config", json::parse(P.Config, nullptr, false)}};
  return J.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<ExecutionPlan> plan::parsePlanJSON(llvm::StringRef Text) {
  json J = json::parse(Text.str(), nullptr, false);
  if (!J.is_object() || J.value("format", "") != "deployc-plan/1")
    return std::nullopt;
  try {
    ExecutionPlan P;
    P.Environment = J.at("environment");
    P.BaseRevision = J.at("base_revision");
    P.ConfigHash = J.at("config_sha256");
    P.Config = J.at("config").dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    P.RotationsDue = J.at("rotations_due").get<std::vector<std::string>>();
    for (const json &S : J.at("steps"))
      P.Steps.push_back({S.at("id"), S.at("kind"), S.at("target"), S.at("description"),
                         S.at("after").get<std::vector<std::string>>()});
    // The config must be the one the plan was made for.
    if (sha256Hex(P.Config) != P.ConfigHash)
      return std::nullopt;
    return P;
  } catch (...) {
    return std::nullopt;
  }
}
