//===- StateCommands.cpp - plan, apply, rollback, drift, state, secrets ---===//
//
// The commands over the state store and the vault. Each compiles the spec
// when it needs one (plan, apply, backup, secrets), opens the store next to
// the spec (or --state), and leaves the rest to lib/Interp.
//
//===----------------------------------------------------------------------===//

#include "Compilation.h"
#include "deployc/Basic/SourceManager.h"
#include "deployc/Emit/Emit.h"
#include "deployc/Interp/Agent.h"
#include "deployc/Interp/Engine.h"
#include "deployc/Interp/Local.h"
#include "deployc/Plan/Config.h"
#include "deployc/Plan/ExecutionPlan.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include <nlohmann/json.hpp>

using namespace deployc;
using namespace deployc::driver;
using json = nlohmann::ordered_json;

namespace {

std::string statePathFor(const StateOptions &SO, llvm::StringRef Spec) {
  llvm::SmallString<256> P;
  if (!SO.StatePath.empty()) {
    P = SO.StatePath;
  } else if (auto FromEnv = llvm::sys::Process::GetEnv("DEPLOYC_STATE");
             FromEnv && !FromEnv->empty()) {
    P = *FromEnv;
  } else {
    P = Spec.empty() ? "." : llvm::sys::path::parent_path(Spec);
    if (P.empty())
      P = ".";
    llvm::sys::path::append(P, ".deployc", "state.db");
  }
  // Absolute: the agent started from it outlives the caller's folder.
  llvm::sys::fs::make_absolute(P);
  llvm::sys::path::remove_dots(P, true);
  return std::string(P);
}

std::string vaultPathFor(const std::string &StatePath) {
  llvm::SmallString<256> P(llvm::sys::path::parent_path(StatePath));
  llvm::sys::path::append(P, "vault.db");
  return std::string(P);
}

std::string actorOf(const StateOptions &SO) {
  return SO.Actor.empty() ? interp::defaultActor() : SO.Actor;
}

int fail(llvm::raw_ostream &Err, const std::string &Msg, int Code = ExitErrors) {
  Err << "deployc: error: " << Msg << "\n";
  return Code;
}

/// A compiled spec and one lowered environment; prints diagnostics.
struct Compiled {
  std::unique_ptr<Compilation> C;
  const sema::EnvironmentModel *Model = nullptr;
  plan::Environment Env;
};

/// Code is ExitUsage for an unknown --env or a bad --set (and no other
/// error), as in check, eval and emit, unless UsageExitCode is false: `plan
/// --detailed-exitcode` says "changes" with 2, so errors there are all 1.
std::optional<Compiled> compileEnvironment(const DriverOptions &Opts, llvm::raw_ostream &Err,
                                           int &Code, bool UsageExitCode = true) {
  Compiled Out;
  Out.C = std::make_unique<Compilation>(Opts);
  bool Loaded = Out.C->loadInputs();
  if (!Out.C->runFrontEnd(sema::Phase::All, Err)) {
    Code = ExitUsage;
    return std::nullopt;
  }
  renderDiagnosticsText(Err, Out.C->SM, Out.C->Diags.getDiagnostics(), Out.C->useColor(Err));
  renderDiagnosticSummary(Err, Out.C->Diags.getNumErrors(), Out.C->Diags.getNumWarnings());
  if (!Loaded) {
    Code = ExitUsage;
    return std::nullopt;
  }
  if (Out.C->Diags.hasErrors()) {
    Code = UsageExitCode && Out.C->hasUsageErrors() ? ExitUsage : ExitErrors;
    return std::nullopt;
  }
  for (const sema::EnvironmentModel &M : Out.C->Prog->Environments)
    if (M.Name == Opts.Environment)
      Out.Model = &M;
  if (!Out.Model) {
    Code = ExitUsage;
    Err << "deployc: error: give the environment with --env NAME\n";
    return std::nullopt;
  }
  Out.Env = plan::lowerEnvironment(*Out.C->Prog, *Out.Model);
  return Out;
}

/// All artifacts of an environment, as `deployc emit` would write them for it.
std::vector<emit::EmittedFile> renderArtifacts(Compiled &CE, DiagnosticEngine &Diags) {
  emit::ClusterObjects Cluster;
  std::vector<emit::EmittedFile> Files =
      emit::emitKubernetes(CE.Env, Diags, /*Threads=*/0, &Cluster);
  for (emit::EmittedFile &F : Cluster.files({CE.Env.Name}))
    Files.push_back(std::move(F));
  emit::SourceLocation Src;
  for (emit::EmittedFile &F : emit::emitDocker(CE.Env, Src))
    Files.push_back(std::move(F));
  for (emit::EmittedFile &F : emit::emitDevContainers(CE.Env, Src))
    Files.push_back(std::move(F));
  return Files;
}

struct OpenState {
  std::unique_ptr<interp::StateStore> Store;
  std::unique_ptr<interp::Vault> Vault;
  std::string StatePath, VaultPath;
};

/// Prints why a vault did not open; a refused key is a usage error.
int vaultFailure(llvm::raw_ostream &Err, llvm::Error E) {
  int Code = ExitErrors;
  std::string Msg;
  llvm::handleAllErrors(std::move(E), [&](const llvm::ErrorInfoBase &Info) {
    if (Info.convertToErrorCode() == std::errc::invalid_argument)
      Code = ExitUsage;
    Msg = Info.message();
  });
  return fail(Err, Msg, Code);
}

/// Opens the store (and the vault when WithVault); on failure prints why and
/// sets Code when given.
std::optional<OpenState> openState(const StateOptions &SO, llvm::StringRef Spec, bool WithVault,
                                   llvm::raw_ostream &Err, int *Code = nullptr) {
  OpenState S;
  S.StatePath = statePathFor(SO, Spec);
  S.VaultPath = vaultPathFor(S.StatePath);
  // The vault first: a refused or wrong key must not create or touch the store.
  if (WithVault) {
    auto V = interp::Vault::open(S.VaultPath, SO.VaultKeyFile);
    if (!V) {
      int C = vaultFailure(Err, V.takeError());
      if (Code)
        *Code = C;
      return std::nullopt;
    }
    S.Vault = std::move(*V);
  }
  auto Store = interp::StateStore::open(S.StatePath);
  if (!Store) {
    int C = fail(Err, llvm::toString(Store.takeError()));
    if (Code)
      *Code = C;
    return std::nullopt;
  }
  S.Store = std::move(*Store);
  return S;
}

/// The vault beside the store, when there is one (rollback and drift on the
/// local target resolve the secrets the recorded run specs reference).
/// FailCode is 0, or the exit code when the vault exists and did not open.
std::unique_ptr<interp::Vault> openExistingVault(const StateOptions &SO, const OpenState &S,
                                                 llvm::raw_ostream &Err, int &FailCode) {
  FailCode = 0;
  if (!llvm::sys::fs::exists(S.VaultPath))
    return nullptr;
  auto V = interp::Vault::open(S.VaultPath, SO.VaultKeyFile);
  if (!V) {
    FailCode = vaultFailure(Err, V.takeError());
    return nullptr;
  }
  return std::move(*V);
}

/// Finishes a folder switch that a killed command left half-recorded for Env
/// (interp::repairInterrupted), printing what it did; false when it could not.
bool repairFirst(OpenState &S, const StateOptions &SO, llvm::StringRef Env,
                 llvm::raw_ostream &Err) {
  if (auto E = interp::repairInterrupted(*S.Store, Env.str(), actorOf(SO), Err)) {
    fail(Err, llvm::toString(std::move(E)));
    return false;
  }
  return true;
}

/// --target: `local` (the default) or `dir:PATH`.
llvm::Expected<std::unique_ptr<interp::Target>>
targetFor(const StateOptions &SO, const OpenState &S, llvm::StringRef Env, interp::Vault *V) {
  if (SO.Target.empty() || SO.Target == "local")
    return interp::makeLocalTarget({S.StatePath, SO.DeploycPath, Env.str(), V});
  return interp::makeTarget(SO.Target);
}

/// The channels and the drift notify list of a recorded configuration; false
/// (and nothing) when they are malformed. nlohmann throws on values of the
/// wrong type: a damaged state must not end the process, so they end here.
bool notificationsOf(const std::string &ConfigText, std::vector<plan::Channel> &Channels,
                     std::vector<std::string> &Notify) {
  try {
    json Config = json::parse(ConfigText, nullptr, false);
    if (!Config.is_object())
      return true;
    json ChannelsJ = Config.value("channels", json::object());
    for (auto &[Name, C] : ChannelsJ.items()) {
      plan::Channel Ch;
      Ch.Name = Name;
      Ch.Webhook = C.value("webhook", "");
      if (C.contains("command"))
        Ch.Command = C["command"].get<std::vector<std::string>>();
      Channels.push_back(Ch);
    }
    json Settings = Config.value("settings", json::object());
    json Drift = Settings.value("drift", json::object());
    for (const json *Src : {&Drift, &Settings})
      if (Src->contains("notify"))
        for (const json &N : (*Src)["notify"])
          Notify.push_back(N.get<std::string>());
  } catch (const json::exception &) {
    Channels.clear();
    Notify.clear();
    return false;
  }
  return true;
}

bool isLocal(const StateOptions &SO) { return SO.Target.empty() || SO.Target == "local"; }

plan::ExecutionPlan makePlan(Compiled &CE, OpenState &S) {
  std::string Config = plan::evaluatedConfigJSON(*CE.C->Prog, *CE.Model);
  int64_t Base = S.Store->latestRevision(CE.Env.Name);
  std::string Previous;
  if (auto Last = S.Store->lastSucceeded(CE.Env.Name))
    Previous = Last->Config;
  std::vector<std::string> Due;
  if (S.Vault)
    Due = interp::rotationsDue(CE.Env, *S.Vault, interp::nowISO8601());
  return plan::buildExecutionPlan(CE.Env, std::move(Config), Previous, Base, std::move(Due));
}

} // namespace

int driver::runPlan(const DriverOptions &Opts, const StateOptions &SO, PlanFormat Format,
                    llvm::StringRef OutFile, bool DetailedExitCode, llvm::raw_ostream &Out,
                    llvm::raw_ostream &Err) {
  int Code = ExitSuccess;
  auto CE = compileEnvironment(Opts, Err, Code, /*UsageExitCode=*/!DetailedExitCode);
  if (!CE)
    return Code;
  Code = ExitErrors;
  auto S = openState(SO, Opts.Inputs.front(), interp::needsVault(CE->Env), Err, &Code);
  if (!S)
    return Code;
  if (!repairFirst(*S, SO, CE->Env.Name, Err))
    return ExitErrors;
  plan::ExecutionPlan P = makePlan(*CE, *S);
  Out << (Format == PlanFormat::JSON ? plan::renderPlanJSON(P) : plan::renderPlanText(P));
  if (!OutFile.empty()) {
    std::error_code EC;
    llvm::raw_fd_ostream OS(OutFile, EC);
    if (EC)
      return fail(Err, "cannot write " + OutFile.str() + ": " + EC.message(), ExitUsage);
    OS << plan::renderPlanJSON(P);
  }
  return DetailedExitCode && P.hasChanges() ? 2 : ExitSuccess;
}

int driver::runApply(const DriverOptions &Opts, const StateOptions &SO, llvm::StringRef PlanFile,
                     llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
  if (!isLocal(SO))
    if (auto T = interp::makeTarget(SO.Target); !T)
      return fail(Err, llvm::toString(T.takeError()), ExitUsage);
  int Code = ExitSuccess;
  auto CE = compileEnvironment(Opts, Err, Code);
  if (!CE)
    return Code;
  Code = ExitErrors;
  auto S = openState(SO, Opts.Inputs.front(), interp::needsVault(CE->Env), Err, &Code);
  if (!S)
    return Code;
  if (!repairFirst(*S, SO, CE->Env.Name, Err))
    return ExitErrors;
  plan::ExecutionPlan P = makePlan(*CE, *S);
  if (!PlanFile.empty()) {
    // Read as sources are: a FIFO, a device or a huge file is refused.
    llvm::Expected<std::string> Text = readInputFile(PlanFile);
    if (!Text)
      return fail(Err, "cannot read the plan " + PlanFile.str() + ": " +
                           llvm::toString(Text.takeError()),
                  ExitUsage);
    auto Saved = plan::parsePlanJSON(*Text);
    if (!Saved)
      return fail(Err, PlanFile.str() + " is not a deployc plan (or it was modified)", ExitUsage);
    if (Saved->Environment != CE->Env.Name)
      return fail(Err, "the plan is for environment `" + Saved->Environment + "`, not `" +
                           CE->Env.Name + "`");
    if (Saved->ConfigHash != P.ConfigHash)
      return fail(Err, "the spec changed since the plan was made; make a new plan");
    P = std::move(*Saved);
  }
  auto T = targetFor(SO, *S, CE->Env.Name, S->Vault.get());
  if (!T)
    return fail(Err, llvm::toString(T.takeError()), ExitUsage);
  std::vector<emit::EmittedFile> Files;
  if (isLocal(SO)) {
    llvm::SmallString<256> SpecDir(llvm::sys::path::parent_path(Opts.Inputs.front()));
    if (SpecDir.empty())
      SpecDir = ".";
    auto Specs = interp::localRunSpecs(CE->Env, std::string(SpecDir));
    if (!Specs)
      return fail(Err, llvm::toString(Specs.takeError()));
    if (Specs->empty())
      return fail(Err, "no workload of environment `" + CE->Env.Name +
                           "` declares how it runs on this machine (`local { command = [...] }`); "
                           "add one, or render for a GitOps controller with --target dir:PATH");
    Files = std::move(*Specs);
  } else {
    DiagnosticEngine &Diags = CE->C->Diags;
    reportEmbeddedSecrets(Diags, CE->Env, /*CanEncrypt=*/true);
    Files = renderArtifacts(*CE, Diags);
    if (Diags.hasErrors()) {
      renderDiagnosticsText(Err, CE->C->SM, Diags.getDiagnostics(), false);
      return ExitErrors;
    }
  }
  interp::Engine E{*S->Store, S->Vault.get(), actorOf(SO), Out};
  auto Rev = interp::apply(E, CE->Env, P, std::move(Files), **T);
  if (!Rev)
    return fail(Err, llvm::toString(Rev.takeError()));
  Out << "applied environment `" << CE->Env.Name << "` as revision " << *Rev << "\n";
  return ExitSuccess;
}

int driver::runRollback(const StateOptions &SO, llvm::StringRef Env, int64_t To,
                        llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
  if (Env.empty())
    return fail(Err, "give the environment with --env NAME", ExitUsage);
  if (!isLocal(SO))
    if (auto T = interp::makeTarget(SO.Target); !T)
      return fail(Err, llvm::toString(T.takeError()), ExitUsage);
  auto S = openState(SO, "", false, Err);
  if (!S)
    return ExitErrors;
  if (!repairFirst(*S, SO, Env, Err))
    return ExitErrors;
  int VaultFailed;
  auto V = openExistingVault(SO, *S, Err, VaultFailed);
  if (VaultFailed)
    return VaultFailed;
  auto T = targetFor(SO, *S, Env, V.get());
  if (!T)
    return fail(Err, llvm::toString(T.takeError()), ExitUsage);
  interp::Engine E{*S->Store, V.get(), actorOf(SO), Out};
  auto Rev = interp::rollback(E, Env.str(), To, **T);
  if (!Rev)
    return fail(Err, llvm::toString(Rev.takeError()));
  return ExitSuccess;
}

int driver::runDrift(const StateOptions &SO, llvm::StringRef Env, llvm::raw_ostream &Out,
                     llvm::raw_ostream &Err) {
  if (Env.empty())
    return fail(Err, "give the environment with --env NAME", ExitUsage);
  if (!isLocal(SO))
    if (auto T = interp::makeTarget(SO.Target); !T)
      return fail(Err, llvm::toString(T.takeError()), ExitUsage);
  auto S = openState(SO, "", false, Err);
  if (!S)
    return ExitErrors;
  if (!repairFirst(*S, SO, Env, Err))
    return ExitErrors;
  int VaultFailed;
  auto V = openExistingVault(SO, *S, Err, VaultFailed);
  if (VaultFailed)
    return VaultFailed;
  auto T = targetFor(SO, *S, Env, V.get());
  if (!T)
    return fail(Err, llvm::toString(T.takeError()), ExitUsage);
  // Channels and the notify list come from the applied configuration.
  std::vector<plan::Channel> Channels;
  std::vector<std::string> Notify;
  if (auto Last = S->Store->lastSucceeded(Env.str()))
    if (!notificationsOf(Last->Config, Channels, Notify))
      Err << "deployc: warning: the channels recorded with revision " << Last->Id
          << " are malformed; no channel is notified\n";
  interp::Engine E{*S->Store, V.get(), actorOf(SO), Out};
  auto D = interp::drift(E, Env.str(), **T, Channels, Notify);
  if (!D)
    return fail(Err, llvm::toString(D.takeError()));
  if (!D->found()) {
    Out << "no drift: " << (*T)->describe() << " matches revision " << D->Revision << "\n";
    return ExitSuccess;
  }
  Out << "drift in environment `" << Env << "` (" << (*T)->describe() << ") against revision "
      << D->Revision << ", severity " << D->Severity << ", action " << D->Action << ":\n";
  for (const interp::DriftFinding &F : D->Findings) {
    Out << "  " << F.Kind << " " << F.Subject << " (" << F.Detail;
    if (F.Class != "config")
      Out << "; " << F.Class;
    Out << ")\n";
  }
  return ExitErrors;
}

int driver::runStatus(const StateOptions &SO, llvm::StringRef Env, bool JSON,
                      llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
  std::string StatePath = statePathFor(SO, "");
  auto Status = interp::localStatus(StatePath, Env.str());
  if (!Status)
    return fail(Err, llvm::toString(Status.takeError()));
  json Workloads = Status->is_object() ? json::parse((*Status)["workloads"].dump()) : json::array();
  if (JSON) {
    Out << json{{"workloads", Workloads}}.dump(2, ' ', false, json::error_handler_t::replace)
        << "\n";
    return ExitSuccess;
  }
  if (Workloads.empty()) {
    Out << "nothing runs" << (Env.empty() ? "" : " for environment `" + Env.str() + "`")
        << " on this machine\n";
    return ExitSuccess;
  }
  Out << "ENV          WORKLOAD         REVISION     WEIGHT  READY  RESTARTS  ENTRY POINTS\n";
  for (const json &W : Workloads) {
    std::string Entry;
    for (auto &[Port, Addr] : W["entry_points"].items())
      Entry += (Entry.empty() ? "" : ", ") + Port + "=" + Addr.get<std::string>();
    for (auto &[Rev, R] : W["revisions"].items()) {
      int Ready = 0, Restarts = 0;
      for (const json &Rep : R["replicas"]) {
        Ready += Rep["state"] == "ready";
        Restarts += Rep["restarts"].get<int>();
      }
      double Weight = W["weights"].value(Rev, 0.0), Total = 0;
      for (auto &[K, V] : W["weights"].items())
        Total += V.get<double>();
      char Pct[16];
      std::snprintf(Pct, sizeof(Pct), "%.0f%%", Total > 0 ? 100 * Weight / Total : 0.0);
      std::string Note = R.contains("stopping_in_ms")
                             ? " (stops in " + std::to_string(R["stopping_in_ms"].get<int64_t>() / 1000) + "s)"
                             : "";
      Out << llvm::left_justify(W["env"].get<std::string>(), 12) << " "
          << llvm::left_justify(W["workload"].get<std::string>(), 16) << " "
          << llvm::left_justify(Rev, 12) << " " << llvm::left_justify(Pct, 7) << " "
          << llvm::left_justify(std::to_string(Ready) + "/" + std::to_string(R["desired"].get<int>()), 6)
          << " " << llvm::left_justify(std::to_string(Restarts), 9) << " " << Entry << Note << "\n";
    }
    if (W.contains("scaling") && !W["scaling"].value("last_change", "").empty())
      Out << "  autoscaled " << W["scaling"]["last_change"].get<std::string>() << "\n";
  }
  if (!Env.empty())
    if (auto S = openState(SO, "", false, Err))
      for (const interp::Incident &I : S->Store->incidents(Env.str()))
        Out << "incident " << I.Id << " at " << I.At << ": " << I.Workload << ": " << I.Summary
            << "; " << I.Action << "\n";
  return ExitSuccess;
}

int driver::runDown(const StateOptions &SO, llvm::StringRef Env, llvm::raw_ostream &Out,
                    llvm::raw_ostream &Err) {
  if (Env.empty())
    return fail(Err, "give the environment with --env NAME", ExitUsage);
  std::string StatePath = statePathFor(SO, "");
  if (auto E = interp::localDown(StatePath, Env.str(), Out))
    return fail(Err, llvm::toString(std::move(E)));
  if (llvm::sys::fs::exists(StatePath))
    if (auto S = openState(SO, "", false, Err))
      S->Store->audit(actorOf(SO), "down", Env.str(), "local", "");
  return ExitSuccess;
}

int driver::runAgent(const StateOptions &SO, llvm::raw_ostream &Err) {
  if (SO.StatePath.empty())
    return fail(Err, "give the state store with --state PATH", ExitUsage);
  return interp::runAgent(SO.StatePath);
}

int driver::runHistory(const StateOptions &SO, llvm::StringRef Env, llvm::raw_ostream &Out,
                       llvm::raw_ostream &Err) {
  if (Env.empty())
    return fail(Err, "give the environment with --env NAME", ExitUsage);
  auto S = openState(SO, "", false, Err);
  if (!S)
    return ExitErrors;
  if (!repairFirst(*S, SO, Env, Err))
    return ExitErrors;
  std::vector<interp::Revision> H = S->Store->history(Env.str());
  if (H.empty()) {
    Out << "environment `" << Env << "` has no revisions\n";
    return ExitSuccess;
  }
  Out << "REV  KIND      OUTCOME     STARTED               DURATION  ACTOR  TARGET\n";
  for (const interp::Revision &R : H) {
    Out << llvm::left_justify(std::to_string(R.Id), 4) << " " << llvm::left_justify(R.Kind, 9)
        << " " << llvm::left_justify(R.Outcome, 11) << " " << R.StartedAt << "  "
        << llvm::left_justify(std::to_string(R.DurationMs) + "ms", 8) << "  " << R.Actor << "  "
        << R.Target;
    if (R.RolledBackTo)
      Out << "  (to revision " << R.RolledBackTo << ")";
    if (!R.Error.empty())
      Out << "\n     error: " << R.Error;
    Out << "\n";
  }
  return ExitSuccess;
}

int driver::runShow(const StateOptions &SO, int64_t Rev, llvm::raw_ostream &Out,
                    llvm::raw_ostream &Err) {
  auto S = openState(SO, "", false, Err);
  if (!S)
    return ExitErrors;
  auto R = S->Store->revision(Rev);
  if (!R)
    return fail(Err, "there is no revision " + std::to_string(Rev));
  json Files = json::parse(R->Files, nullptr, false);
  json J{{"revision", R->Id},
         {"environment", R->Env},
         {"kind", R->Kind},
         {"outcome", R->Outcome},
         {"error", R->Error},
         {"actor", R->Actor},
         {"target", R->Target},
         {"started_at", R->StartedAt},
         {"finished_at", R->FinishedAt},
         {"duration_ms", R->DurationMs},
         {"rolled_back_to", R->RolledBackTo},
         {"files", json::array()},
         {"config", json::parse(R->Config, nullptr, false)},
         {"plan", json::parse(R->Plan, nullptr, false)}};
  if (Files.is_object())
    for (auto &[Path, Text] : Files.items())
      J["files"].push_back(Path);
  Out << J.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  return ExitSuccess;
}

int driver::runUnlock(const StateOptions &SO, llvm::StringRef Env, llvm::raw_ostream &Out,
                      llvm::raw_ostream &Err) {
  if (Env.empty())
    return fail(Err, "give the environment with --env NAME", ExitUsage);
  auto S = openState(SO, "", false, Err);
  if (!S)
    return ExitErrors;
  auto Held = S->Store->lockHolder(Env.str());
  if (!Held) {
    Out << "environment `" << Env << "` is not locked\n";
    return ExitSuccess;
  }
  S->Store->forceUnlock(Env.str(), actorOf(SO));
  Out << "removed the lock of environment `" << Env << "` held by " << Held->describe() << "\n";
  return ExitSuccess;
}

int driver::runAudit(const StateOptions &SO, bool Verify, llvm::raw_ostream &Out,
                     llvm::raw_ostream &Err) {
  auto S = openState(SO, "", false, Err);
  if (!S)
    return ExitErrors;
  if (Verify) {
    std::string Why;
    int64_t Bad = S->Store->verifyAudit(Why);
    if (Bad)
      return fail(Err, "the audit log was tampered with: " + Why);
    Out << "audit log intact: " << S->Store->auditLog().size() << " entries\n";
    return ExitSuccess;
  }
  for (const interp::AuditEntry &A : S->Store->auditLog())
    Out << A.Seq << "  " << A.At << "  " << A.Actor << "  " << A.Action << "  " << A.Env << "  "
        << A.Subject << (A.Detail.empty() ? "" : "  " + A.Detail) << "\n";
  return ExitSuccess;
}

int driver::runMetrics(const StateOptions &SO, llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
  auto S = openState(SO, "", false, Err);
  if (!S)
    return ExitErrors;
  Out << S->Store->metricsText();
  return ExitSuccess;
}

int driver::runBackup(const DriverOptions &Opts, const StateOptions &SO, llvm::StringRef Action,
                      llvm::StringRef From, llvm::raw_ostream &Out, llvm::raw_ostream &Err) {
  int Code = ExitSuccess;
  auto CE = compileEnvironment(Opts, Err, Code);
  if (!CE)
    return Code;
  if (!CE->Env.Backup || CE->Env.Backup->Locations.empty())
    return fail(Err, "environment `" + CE->Env.Name +
                         "` declares no backup locations: add `backup { schedule = \"...\"  "
                         "locations = [\"/path\"] }`");
  std::vector<std::string> Locations;
  for (const std::string &L : CE->Env.Backup->Locations) {
    // Relative locations are relative to the spec.
    if (L.find("://") == std::string::npos && !llvm::sys::path::is_absolute(L)) {
      llvm::SmallString<256> P(llvm::sys::path::parent_path(Opts.Inputs.front()));
      llvm::sys::path::append(P, L);
      Locations.push_back(std::string(P));
    } else {
      Locations.push_back(L);
    }
  }
  std::string StatePath = statePathFor(SO, Opts.Inputs.front());
  std::string VaultPath = vaultPathFor(StatePath);
  bool NeedVault = interp::needsVault(CE->Env);
  if (Action == "restore") {
    if (auto E = interp::restoreBackup(Locations, From.str(), StatePath, VaultPath, NeedVault,
                                       Out))
      return fail(Err, llvm::toString(std::move(E)));
    return ExitSuccess;
  }
  if (Action == "verify") {
    if (auto E = interp::verifyBackups(Locations,
                                       NeedVault || llvm::sys::fs::exists(VaultPath), Out))
      return fail(Err, llvm::toString(std::move(E)));
    Out << "backups verified\n";
    return ExitSuccess;
  }
  auto S = openState(SO, Opts.Inputs.front(), false, Err);
  if (!S)
    return ExitErrors;
  if (!repairFirst(*S, SO, CE->Env.Name, Err))
    return ExitErrors;
  interp::Engine E{*S->Store, nullptr, actorOf(SO), Out};
  auto Made = interp::createBackups(E, CE->Env.Name, Locations, VaultPath, NeedVault);
  if (!Made)
    return fail(Err, llvm::toString(Made.takeError()));
  if (Made->empty())
    return fail(Err, "no local backup location: only local folders are supported");
  return ExitSuccess;
}

//===----------------------------------------------------------------------===//
// Secrets
//===----------------------------------------------------------------------===//

int driver::runSecrets(const DriverOptions &Opts, const StateOptions &SO, llvm::StringRef Action,
                       const std::vector<std::string> &Args, llvm::raw_ostream &Out,
                       llvm::raw_ostream &Err) {
  int Code = ExitSuccess;
  auto CE = compileEnvironment(Opts, Err, Code);
  if (!CE)
    return Code;
  Code = ExitErrors;
  auto S = openState(SO, Opts.Inputs.front(), true, Err, &Code);
  if (!S)
    return Code;
  const std::string Env = CE->Env.Name;
  std::string Actor = actorOf(SO);

  if (Action == "list") {
    Out << "SECRET               BACKEND      VERSION  STATE     CREATED\n";
    for (const plan::Secret &Sec : CE->Env.Secrets) {
      std::vector<interp::SecretVersion> Vs = S->Vault->versions(Env, Sec.Name);
      const interp::SecretVersion *Active = nullptr;
      for (const interp::SecretVersion &V : Vs)
        if (V.State == "active")
          Active = &V;
      Out << llvm::left_justify(Sec.Name, 20) << " " << llvm::left_justify(Sec.BackendKind, 12)
          << " " << llvm::left_justify(Active ? std::to_string(Active->Version) : "-", 8) << " "
          << llvm::left_justify(Active ? "active" : "missing", 9) << " "
          << (Active ? Active->CreatedAt : "") << "\n";
    }
    return ExitSuccess;
  }
  if (Args.empty())
    return fail(Err, "name the secret: deployc secrets " + Action.str() + " SPEC SECRET ...",
                ExitUsage);
  const plan::Secret *Sec = CE->Env.findSecret(Args[0]);
  if (!Sec)
    return fail(Err, "no secret `" + Args[0] + "` in environment `" + Env + "`", ExitUsage);
  if (Sec->BackendKind != "embedded")
    return fail(Err, "secret `" + Sec->Name + "` is kept by the " + Sec->BackendKind +
                         " backend, not the embedded vault", ExitUsage);

  if (Action == "history") {
    for (const interp::SecretVersion &V : S->Vault->versions(Env, Sec->Name))
      Out << "version " << V.Version << "  " << V.State << "  created " << V.CreatedAt
          << (V.DualUntil.empty() ? "" : "  valid until " + V.DualUntil)
          << (V.ArchivedAt.empty() ? "" : "  archived " + V.ArchivedAt) << "\n";
    return ExitSuccess;
  }

  if (Action == "get") {
    // Only readers (as service:NAME, worker:NAME, job:NAME) and operators.
    bool Allowed = false;
    for (const std::string &R : Sec->Readers)
      for (const char *Kind : {"service:", "worker:", "job:"})
        Allowed |= Actor == Kind + R;
    for (const std::string &O : Sec->Operators)
      Allowed |= Actor == O;
    for (const std::string &O : CE->Env.Operators)
      Allowed |= Actor == O;
    if (!Allowed) {
      S->Store->audit(Actor, "secret.read.denied", Env, Sec->Name, "");
      return fail(Err, "`" + Actor + "` may not read secret `" + Sec->Name +
                           "`: only its readers and the operators the spec grants may");
    }
    auto Values = S->Vault->get(Env, Sec->Name);
    if (!Values)
      return fail(Err, llvm::toString(Values.takeError()));
    S->Store->audit(Actor, "secret.read", Env, Sec->Name, Args.size() > 1 ? Args[1] : "");
    if (Args.size() > 1) {
      auto It = Values->find(Args[1]);
      if (It == Values->end())
        return fail(Err, "secret `" + Sec->Name + "` has no component `" + Args[1] + "`",
                    ExitUsage);
      Out << It->second << "\n";
      return ExitSuccess;
    }
    for (auto &[Name, Value] : *Values)
      Out << Name << "=" << Value << "\n";
    return ExitSuccess;
  }

  if (Action == "set") {
    std::map<std::string, std::string> Values;
    bool ReadStdin = false;
    for (size_t I = 1; I < Args.size(); ++I) {
      llvm::StringRef A = Args[I];
      auto [Name, Value] = A.split('=');
      if (!A.contains('='))
        return fail(Err, "write components as NAME=VALUE (NAME=- reads the value from stdin, "
                         "NAME=@FILE from a file)",
                    ExitUsage);
      const plan::SecretComponent *C = nullptr;
      for (const plan::SecretComponent &X : Sec->Components)
        if (X.Name == Name)
          C = &X;
      if (!C)
        return fail(Err, "secret type `" + Sec->TypeName + "` has no component `" + Name.str() +
                             "`", ExitUsage);
      // Values need not be on the command line (shell history, ps): `-`
      // reads stdin and `@FILE` a file, like Vault's CLI; `\@` starts a
      // literal `@`. One line break at the end is not part of the value.
      std::string V = Value.str();
      if (V == "-" || llvm::StringRef(V).startswith("@")) {
        if (V == "-" && ReadStdin)
          return fail(Err, "only one component can read stdin (`" + Name.str() + "=-`)",
                      ExitUsage);
        ReadStdin |= V == "-";
        auto In = V == "-" ? llvm::MemoryBuffer::getSTDIN()
                           : llvm::MemoryBuffer::getFile(V.substr(1), /*IsText=*/true);
        if (!In)
          return fail(Err, "cannot read the value of component `" + Name.str() + "` from " +
                               (V == "-" ? std::string("stdin") : "`" + V.substr(1) + "`") +
                               ": " + In.getError().message(),
                      ExitUsage);
        llvm::StringRef Text = (*In)->getBuffer();
        if (!Text.consume_back("\r\n"))
          Text.consume_back("\n");
        V = Text.str();
      } else if (llvm::StringRef(V).startswith("\\@")) {
        V = V.substr(1);
      }
      if (C->Type == "port" || C->Type == "int") {
        int64_t N;
        if (llvm::StringRef(V).getAsInteger(10, N) || (C->Type == "port" && (N < 1 || N > 65535)))
          return fail(Err, "component `" + C->Name + "` is a " + C->Type +
                               "; the value is not one", ExitUsage);
      }
      Values[Name.str()] = V;
    }
    if (Values.empty())
      return fail(Err, "give at least one NAME=VALUE", ExitUsage);
    bool HasActive = false;
    for (const interp::SecretVersion &V : S->Vault->versions(Env, Sec->Name))
      HasActive |= V.State == "active";
    if (HasActive) {
      if (auto E = S->Vault->setComponents(Env, Sec->Name, Values))
        return fail(Err, llvm::toString(std::move(E)));
    } else {
      // A first version: the given values, generated ones for the rest.
      for (const plan::SecretComponent &C : Sec->Components)
        if (!Values.count(C.Name) && C.Generated)
          Values[C.Name] = interp::generateSecretValue(C.Length, C.Charset);
        else if (!Values.count(C.Name) && C.Default)
          Values[C.Name] = *C.Default;
      auto V = S->Vault->addVersion(Env, Sec->Name, Values, "");
      if (!V)
        return fail(Err, llvm::toString(V.takeError()));
    }
    std::string Names;
    for (auto &[N, V] : Values)
      Names += (Names.empty() ? "" : ",") + N;
    S->Store->audit(Actor, "secret.write", Env, Sec->Name, Names);
    Out << "stored " << Values.size() << " component(s) of `" << Sec->Name << "` in `" << Env
        << "`\n";
    return ExitSuccess;
  }

  if (Action == "rotate") {
    auto Current = S->Vault->get(Env, Sec->Name);
    if (!Current)
      return fail(Err, llvm::toString(Current.takeError()));
    std::map<std::string, std::string> Values;
    for (const plan::SecretComponent &C : Sec->Components)
      Values[C.Name] = C.Generated ? interp::generateSecretValue(C.Length, C.Charset)
                                   : (*Current)[C.Name];
    std::string DualUntil;
    if (Sec->DualWriteMs && *Sec->DualWriteMs > 0)
      DualUntil = interp::formatISO8601(interp::parseISO8601(interp::nowISO8601()) +
                                        *Sec->DualWriteMs / 1000);
    auto V = S->Vault->addVersion(Env, Sec->Name, Values, DualUntil);
    if (!V)
      return fail(Err, llvm::toString(V.takeError()));
    S->Store->audit(Actor, "secret.rotate", Env, Sec->Name, "version " + std::to_string(*V));
    Out << "rotated `" << Sec->Name << "` to version " << *V;
    if (!DualUntil.empty())
      Out << "; the previous version stays valid until " << DualUntil;
    Out << "\nreaders to restart: ";
    for (size_t I = 0; I < Sec->Readers.size(); ++I)
      Out << (I ? ", " : "") << Sec->Readers[I];
    Out << "\n";
    return ExitSuccess;
  }
  return fail(Err, "unknown secrets action `" + Action.str() +
                       "`; use set, get, list, rotate or history", ExitUsage);
}
