//===- Engine.cpp - The interpreter core: apply, rollback, drift ----------===//

#include "deployc/Interp/Engine.h"
#include "deployc/Interp/Age.h"
#include "deployc/Interp/OutputWriter.h"
#include "deployc/Sema/Value.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include <chrono>
#include <sodium.h>
#include <nlohmann/json.hpp>
#include <set>

using namespace deployc;
using namespace deployc::interp;
using json = nlohmann::ordered_json;

Target::~Target() = default;
RenderJournal::~RenderJournal() = default;

llvm::Error Target::rollout(const std::string &, llvm::raw_ostream &Log) {
  Log << "  delegated to the controller watching " << describe() << "\n";
  return llvm::Error::success();
}

llvm::Error Target::verify(const std::string &, llvm::raw_ostream &Log) {
  Log << "  delegated to the controller watching " << describe() << "\n";
  return llvm::Error::success();
}

llvm::Error Target::finalize(llvm::raw_ostream &) { return llvm::Error::success(); }

llvm::Error Target::restore(std::vector<emit::EmittedFile> Files, llvm::raw_ostream &) {
  return render(Files);
}

static llvm::Error failure(const std::string &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

namespace {

/// A folder a GitOps controller watches.
class DirectoryTarget : public Target {
public:
  explicit DirectoryTarget(std::string Path) : Path(std::move(Path)) {}
  std::string describe() const override { return "dir:" + Path; }
  bool takesManifests() const override { return true; }
  llvm::Error render(std::vector<emit::EmittedFile> &Files) override {
    auto W = AtomicDirectoryWriter::create(Path);
    if (!W)
      return W.takeError();
    if (Journal)
      if (auto Err = Journal->begin((*W)->plannedSwitch()))
        return Err;
    for (const emit::EmittedFile &F : Files)
      if (auto Err = (*W)->add(F))
        return Err;
    return (*W)->commit();
  }
  llvm::Expected<std::vector<DriftFinding>>
  findDrift(const std::vector<emit::EmittedFile> &AppliedFiles) override {
    auto Current = currentFiles();
    if (!Current)
      return Current.takeError();
    std::map<std::string, std::string> Applied;
    for (const emit::EmittedFile &F : AppliedFiles)
      Applied[F.Path] = F.Contents;
    std::vector<DriftFinding> Out;
    for (auto &[Path, Text] : Applied) {
      auto It = Current->find(Path);
      if (It == Current->end())
        Out.push_back({'-', Path, "config", "removed"});
      else if (It->second != Text)
        Out.push_back({'~', Path, "config", "changed by hand"});
    }
    for (auto &[Path, Text] : *Current)
      if (!Applied.count(Path))
        Out.push_back({'+', Path, "config", "not written by deployc"});
    return Out;
  }

private:
  llvm::Expected<std::map<std::string, std::string>> currentFiles() {
    std::map<std::string, std::string> Out;
    if (!llvm::sys::fs::is_directory(Path))
      return Out;
    std::error_code EC;
    for (llvm::sys::fs::recursive_directory_iterator It(Path, EC), End; It != End && !EC;
         It.increment(EC)) {
      if (llvm::sys::fs::is_directory(It->path()))
        continue;
      llvm::StringRef Rel = llvm::StringRef(It->path()).drop_front(Path.size());
      while (Rel.startswith("/"))
        Rel = Rel.drop_front();
      if (Rel == ".deployc-emit")
        continue;
      auto Buf = llvm::MemoryBuffer::getFile(It->path());
      if (!Buf)
        return failure("cannot read " + It->path());
      Out[Rel.str()] = (*Buf)->getBuffer().str();
    }
    if (EC)
      return failure("cannot list " + Path + ": " + EC.message());
    return Out;
  }

  std::string Path;
};

std::string filesJSON(const std::vector<emit::EmittedFile> &Files) {
  json J = json::object();
  for (const emit::EmittedFile &F : Files)
    J[F.Path] = F.Contents;
  return J.dump();
}

std::vector<emit::EmittedFile> filesFromJSON(const std::string &Text) {
  std::vector<emit::EmittedFile> Out;
  json J = json::parse(Text, nullptr, false);
  // A damaged state may hold anything: get<> would throw on a non-string.
  if (J.is_object())
    for (auto It = J.begin(); It != J.end(); ++It)
      if (It.value().is_string())
        Out.push_back({It.key(), It.value().get<std::string>()});
  return Out;
}

int64_t nowSeconds() { return parseISO8601(nowISO8601()); }

/// Writes a switch ahead into the state store as Env's pending switch, with
/// the revision to record if it is rolled forward.
class StateJournal : public RenderJournal {
public:
  StateJournal(StateStore &State, std::string Kind, const Revision &Rev)
      : State(State), Kind(std::move(Kind)), Rev(Rev) {}
  llvm::Error begin(const DirectorySwitch &S) override {
    PendingSwitch P;
    P.Env = Rev.Env;
    P.Kind = Kind;
    P.Target = Rev.Target;
    P.Dir = S.Target;
    P.Staged = S.Staged;
    P.Old = S.Old;
    P.Rev = Rev;
    return State.beginPending(P);
  }

private:
  StateStore &State;
  std::string Kind;
  const Revision &Rev;
};

/// Runs Render with T writing ahead into J.
llvm::Error withJournal(Target &T, RenderJournal &J, llvm::function_ref<llvm::Error()> Render) {
  T.setJournal(&J);
  llvm::Error Err = Render();
  T.setJournal(nullptr);
  return Err;
}

} // namespace

std::vector<emit::EmittedFile> interp::revisionFiles(const Revision &R) {
  return filesFromJSON(R.Files);
}

llvm::Expected<std::unique_ptr<Target>> interp::makeTarget(llvm::StringRef Spec) {
  if (Spec.consume_front("dir:") && !Spec.empty()) {
    llvm::SmallString<256> Abs(Spec);
    llvm::sys::fs::make_absolute(Abs);
    llvm::sys::path::remove_dots(Abs, true);
    return std::make_unique<DirectoryTarget>(std::string(Abs));
  }
  return failure("unknown target `" + Spec.str() +
                 "`; use `dir:PATH` (a folder a GitOps controller watches)");
}

bool interp::needsVault(const plan::Environment &Env) {
  for (const plan::Secret &S : Env.Secrets)
    if (S.BackendKind == "embedded")
      return true;
  return false;
}

std::vector<std::string> interp::rotationsDue(const plan::Environment &Env, Vault &V,
                                              const std::string &Now) {
  std::vector<std::string> Out;
  int64_t NowS = parseISO8601(Now);
  for (const plan::Secret &S : Env.Secrets) {
    if (S.BackendKind != "embedded" || !S.RotationEveryMs || *S.RotationEveryMs <= 0)
      continue;
    for (const SecretVersion &Ver : V.versions(Env.Name, S.Name))
      if (Ver.State == "active" &&
          parseISO8601(Ver.CreatedAt) + *S.RotationEveryMs / 1000 <= NowS)
        Out.push_back(S.Name);
  }
  return Out;
}

/// Values for a new version of S: generated components fresh, the others from
/// Previous (or their defaults). Missing ones are listed in Missing.
static std::map<std::string, std::string>
newVersionValues(const plan::Secret &S, const std::map<std::string, std::string> &Previous,
                 std::vector<std::string> &Missing) {
  std::map<std::string, std::string> Values;
  for (const plan::SecretComponent &C : S.Components) {
    if (C.Generated) {
      Values[C.Name] = generateSecretValue(C.Length, C.Charset);
      continue;
    }
    auto It = Previous.find(C.Name);
    if (It != Previous.end())
      Values[C.Name] = It->second;
    else if (C.Default)
      Values[C.Name] = *C.Default;
    else
      Missing.push_back(C.Name);
  }
  return Values;
}

/// Step 3 of the safety pattern: every embedded secret exists; due rotations
/// start their dual-write period; ended dual-write periods complete.
static llvm::Error ensureSecrets(Engine &E, const plan::Environment &Env,
                                 const plan::ExecutionPlan &Plan) {
  for (const plan::Secret &S : Env.Secrets) {
    if (S.BackendKind != "embedded") {
      E.Log << "  secret " << S.Name << ": managed by the " << S.BackendKind << " backend\n";
      continue;
    }
    if (!E.Secrets)
      return failure("internal: the vault is not open");
    std::vector<SecretVersion> Versions = E.Secrets->versions(Env.Name, S.Name);
    bool HasActive = false;
    for (const SecretVersion &V : Versions)
      HasActive |= V.State == "active";
    bool Due = std::find(Plan.RotationsDue.begin(), Plan.RotationsDue.end(), S.Name) !=
               Plan.RotationsDue.end();
    if (HasActive && !Due) {
      E.Log << "  secret " << S.Name << ": present\n";
      continue;
    }
    std::map<std::string, std::string> Previous;
    if (HasActive) {
      auto Old = E.Secrets->get(Env.Name, S.Name);
      if (!Old)
        return Old.takeError();
      Previous = std::move(*Old);
    }
    std::vector<std::string> Missing;
    std::map<std::string, std::string> Values = newVersionValues(S, Previous, Missing);
    if (!Missing.empty()) {
      std::string List;
      for (const std::string &M : Missing)
        List += (List.empty() ? "" : ", ") + M;
      return failure("secret `" + S.Name + "` in environment `" + Env.Name +
                     "` needs values for " + List +
                     " (they are not generated); set them with `deployc secrets set SPEC " +
                     S.Name + " COMPONENT=VALUE --env " + Env.Name + "`");
    }
    std::string DualUntil;
    if (HasActive && S.DualWriteMs && *S.DualWriteMs > 0)
      DualUntil = formatISO8601(nowSeconds() + *S.DualWriteMs / 1000);
    auto Version = E.Secrets->addVersion(Env.Name, S.Name, Values, DualUntil);
    if (!Version)
      return Version.takeError();
    E.State.audit(E.Actor, HasActive ? "secret.rotate" : "secret.generate", Env.Name, S.Name,
                  "version " + std::to_string(*Version) +
                      (DualUntil.empty() ? "" : ", dual-write until " + DualUntil));
    E.Log << "  secret " << S.Name << ": " << (HasActive ? "rotated to" : "created as")
          << " version " << *Version
          << (DualUntil.empty() ? "" : " (previous version valid until " + DualUntil + ")")
          << "\n";
  }
  if (E.Secrets)
    for (auto &[Secret, Version] : E.Secrets->completeRotations(Env.Name, nowISO8601())) {
      E.State.audit(E.Actor, "secret.archive", Env.Name, Secret,
                    "version " + std::to_string(Version) + " archived after dual-write");
      E.Log << "  secret " << Secret << ": version " << Version << " archived\n";
    }
  return llvm::Error::success();
}

/// With age recipients, the embedded secrets reach the cluster as Secrets in
/// a file encrypted to them, the only form in which their values leave the
/// vault; kubectl and kustomize skip it, the recipients decrypt it into the
/// cluster (docs/emit.md).
static llvm::Error addEncryptedSecrets(Engine &E, const plan::Environment &Env,
                                       std::vector<emit::EmittedFile> &Files) {
  if (Env.AgeRecipients.empty())
    return llvm::Error::success();
  emit::EmbeddedSecretValues Values;
  for (const plan::Secret &S : Env.Secrets) {
    if (S.BackendKind != "embedded")
      continue;
    if (!E.Secrets)
      return failure("internal: the vault is not open");
    auto V = E.Secrets->get(Env.Name, S.Name);
    if (!V)
      return V.takeError();
    Values[S.Name] = std::move(*V);
  }
  if (Values.empty())
    return llvm::Error::success();
  std::string Plain = emit::embeddedSecretsManifest(Env, Values);
  auto Encrypted = encryptForAge(Plain, Env.AgeRecipients);
  sodium_memzero(Plain.data(), Plain.size());
  for (auto &[Name, Components] : Values)
    for (auto &[Component, Value] : Components)
      sodium_memzero(Value.data(), Value.size());
  if (!Encrypted)
    return Encrypted.takeError();
  // Armored: the revision records the files as text.
  Files.push_back({"k8s/" + Env.Name + "/embedded-secrets.yaml.age", armorAge(*Encrypted)});
  return llvm::Error::success();
}

llvm::Expected<int64_t> interp::apply(Engine &E, const plan::Environment &Env,
                                      const plan::ExecutionPlan &Plan,
                                      std::vector<emit::EmittedFile> Files, Target &T) {
  if (auto Err = E.State.acquireLock(Env.Name, E.Actor))
    return std::move(Err);
  auto Started = std::chrono::steady_clock::now();
  Revision R;
  R.Env = Env.Name;
  R.Config = Plan.Config;
  R.Plan = plan::renderPlanJSON(Plan);
  R.Files = filesJSON(Files);
  R.Target = T.describe();
  R.Actor = E.Actor;
  R.StartedAt = nowISO8601();
  auto finish = [&](std::string Outcome, std::string Error) -> llvm::Expected<int64_t> {
    R.Outcome = std::move(Outcome);
    R.Error = std::move(Error);
    R.FinishedAt = nowISO8601();
    R.DurationMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - Started)
                       .count();
    auto Id = E.State.recordRevision(R);
    E.State.releaseLock(Env.Name);
    return Id;
  };
  auto failWith = [&](std::string Outcome, const std::string &Msg) -> llvm::Expected<int64_t> {
    auto Id = finish(std::move(Outcome), Msg);
    if (!Id)
      return Id.takeError();
    return failure(Msg);
  };

  // The state must not have moved since the plan was made.
  int64_t Latest = E.State.latestRevision(Env.Name);
  if (Latest != Plan.BaseRevision) {
    E.State.releaseLock(Env.Name);
    return failure("the state moved since the plan was made: it was made against revision " +
                   std::to_string(Plan.BaseRevision) + ", the newest is now " +
                   std::to_string(Latest) + "; make a new plan");
  }
  std::optional<Revision> RollbackPoint = E.State.lastSucceeded(Env.Name);

  // A failed rollout: back to the rollback point when the workload's strategy
  // rolls back automatically, the channels told, an incident recorded.
  auto rolloutFailed = [&](const std::string &Name, const std::string &Why) {
    const plan::Workload *W = Env.findWorkload(Name);
    bool Automatic = W && W->Strat.automaticRollback();
    std::string Action;
    if (Automatic) {
      std::vector<emit::EmittedFile> Back;
      if (RollbackPoint)
        Back = revisionFiles(*RollbackPoint);
      if (auto Err = T.restore(std::move(Back), E.Log))
        Action = "the automatic rollback failed too: " + llvm::toString(std::move(Err));
      else
        Action = RollbackPoint ? "rolled back to revision " + std::to_string(RollbackPoint->Id)
                               : "stopped (there is no earlier revision)";
    } else {
      Action = "left as it is (rollback = manual); run `deployc rollback --env " + Env.Name +
               "` or fix the spec and apply again";
    }
    E.Log << "  " << Action << "\n";
    if (!W || !W->Safe || W->Safe->IncidentLog)
      E.State.recordIncident({0, Env.Name, "", Name, Why, Action});
    std::vector<std::string> Names;
    if (W && W->Safe)
      Names = W->Safe->Notify;
    for (const std::string &N : Env.Notify)
      if (std::find(Names.begin(), Names.end(), N) == Names.end())
        Names.push_back(N);
    notifyChannels(Env.Channels, Names,
                   "deployc: the rollout of " + Name + " in environment " + Env.Name +
                       " failed: " + Why + "; " + Action,
                   E.Log);
    return failWith(Automatic ? "rolled_back" : "failed",
                    "the rollout of `" + Name + "` failed: " + Why + "; " + Action);
  };

  unsigned N = 0;
  bool SecretsDone = false;
  for (const plan::Step &S : Plan.Steps) {
    E.Log << "[" << ++N << "/" << Plan.Steps.size() << "] " << S.Kind << ": " << S.Description
          << "\n";
    E.Log.flush();
    // The test hook: DEPLOYC_CRASH_AT=KIND dies at the first step of that kind.
    crashPoint(S.Kind);
    if (S.Kind == "secret" && !SecretsDone) {
      SecretsDone = true;
      if (auto Err = ensureSecrets(E, Env, Plan))
        return failWith("failed", llvm::toString(std::move(Err)));
    } else if (S.Kind == "render") {
      // The render and the revision recorded by finish() are one recoverable
      // step: the switch is written ahead, finish() clears it.
      if (T.takesManifests()) {
        if (auto Err = addEncryptedSecrets(E, Env, Files))
          return failWith("failed", "cannot deliver the embedded secrets: " +
                                        llvm::toString(std::move(Err)));
        // The switch written ahead names every file the folder will hold.
        R.Files = filesJSON(Files);
      }
      StateJournal J(E.State, "apply", R);
      if (auto Err = withJournal(T, J, [&] { return T.render(Files); }))
        return failWith("failed", "rendering into " + T.describe() + " failed: " +
                                      llvm::toString(std::move(Err)) +
                                      " (the target was left as it was)");
      R.Files = filesJSON(Files);
      E.Log << "  rendered " << Files.size() << " files into " << T.describe() << "\n";
    } else if (S.Kind == "rollout" || S.Kind == "verify") {
      llvm::Error Err = S.Kind == "rollout" ? T.rollout(S.Target, E.Log)
                                            : T.verify(S.Target, E.Log);
      if (Err)
        return rolloutFailed(S.Target, llvm::toString(std::move(Err)));
    } else if (S.Kind == "finalize") {
      if (auto Err = T.finalize(E.Log))
        return failWith("failed", llvm::toString(std::move(Err)));
    }
  }
  return finish("succeeded", "");
}

llvm::Error interp::repairInterrupted(StateStore &State, const std::string &Env,
                                      const std::string &Actor, llvm::raw_ostream &Log) {
  if (!State.pending(Env))
    return llvm::Error::success();
  // A live holder of the lock is the process still making the switch.
  if (llvm::Error Err = State.acquireLock(Env, Actor)) {
    llvm::consumeError(std::move(Err));
    return llvm::Error::success();
  }
  std::optional<PendingSwitch> P = State.pending(Env);
  if (!P) {
    State.releaseLock(Env);
    return llvm::Error::success();
  }
  std::string What = "the " + P->Kind + " of pid " + std::to_string(P->Pid) + " (started " +
                     P->Rev.StartedAt + ")";
  auto Forward = recoverDirectorySwitch({P->Dir, P->Staged, P->Old});
  if (!Forward) {
    State.releaseLock(Env);
    return failure("cannot repair " + What + " in " + P->Target + ", which was interrupted: " +
                   llvm::toString(Forward.takeError()) + "; fix that and run the command again");
  }
  // In place only when the folder holds exactly the files being switched in
  // (a render that failed and cleaned up after itself left the old ones).
  bool InPlace = *Forward;
  if (InPlace) {
    DirectoryTarget Folder(P->Dir);
    auto Drift = Folder.findDrift(revisionFiles(P->Rev));
    InPlace = Drift && Drift->empty();
    if (!Drift)
      llvm::consumeError(Drift.takeError());
  }
  if (InPlace && P->Kind != "reapply") {
    Revision R = P->Rev;
    R.Outcome = "succeeded";
    R.FinishedAt = nowISO8601();
    R.DurationMs = std::max<int64_t>(0, nowSeconds() - parseISO8601(R.StartedAt)) * 1000;
    auto Id = State.recordRevision(R);
    if (!Id) {
      State.releaseLock(Env);
      return Id.takeError();
    }
    State.audit(Actor, "repair", Env, P->Target,
                "rolled forward: " + What + " recorded as revision " + std::to_string(*Id));
    Log << "deployc: repaired environment `" << Env << "`: " << What << " was interrupted after "
        << P->Target << " took its files; recorded them as revision " << *Id << "\n";
  } else {
    std::string Detail = InPlace ? "rolled forward: " + What + " had applied its files again"
                                 : "rolled back: " + What + " had not switched the folder";
    State.clearPending(Env, Actor, Detail);
    Log << "deployc: repaired environment `" << Env << "`: " << What << " was interrupted "
        << (InPlace ? "after " + P->Target + " took its files again"
                    : "before " + P->Target + " took its files; put the folder back as it was")
        << "\n";
  }
  State.releaseLock(Env);
  return llvm::Error::success();
}

llvm::Expected<int64_t> interp::rollback(Engine &E, const std::string &Env, int64_t To,
                                         Target &T) {
  if (auto Err = E.State.acquireLock(Env, E.Actor))
    return std::move(Err);
  auto release = [&](llvm::Error Err) -> llvm::Expected<int64_t> {
    E.State.releaseLock(Env);
    return std::move(Err);
  };
  std::optional<Revision> Target;
  if (To) {
    Target = E.State.revision(To);
    if (!Target || Target->Env != Env)
      return release(failure("environment `" + Env + "` has no revision " + std::to_string(To)));
    if (Target->Outcome != "succeeded")
      return release(failure("revision " + std::to_string(To) + " did not succeed; roll back "
                             "to a revision that did (see `deployc history --env " + Env + "`)"));
    if (Target->Target != T.describe())
      return release(failure("revision " + std::to_string(To) + " was applied to " +
                             Target->Target + ", not " + T.describe() +
                             "; give that target with --target"));
  } else {
    // The newest successful revision on this target before the newest one.
    std::vector<Revision> H = E.State.history(Env);
    int Seen = 0;
    for (auto It = H.rbegin(); It != H.rend(); ++It)
      if (It->Outcome == "succeeded" && It->Target == T.describe() && ++Seen == 2) {
        Target = *It;
        break;
      }
    if (!Target)
      return release(failure("environment `" + Env +
                             "` has no earlier successful revision to roll back to"));
  }
  auto Started = std::chrono::steady_clock::now();
  Revision R;
  R.Env = Env;
  R.Kind = "rollback";
  R.Config = Target->Config;
  R.Plan = Target->Plan;
  R.Files = Target->Files;
  R.Target = T.describe();
  R.Actor = E.Actor;
  R.StartedAt = nowISO8601();
  R.RolledBackTo = Target->Id;
  StateJournal J(E.State, "rollback", R);
  llvm::Error RenderErr =
      withJournal(T, J, [&] { return T.restore(filesFromJSON(Target->Files), E.Log); });
  R.Outcome = RenderErr ? "failed" : "succeeded";
  if (RenderErr)
    R.Error = llvm::toString(std::move(RenderErr));
  R.FinishedAt = nowISO8601();
  R.DurationMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - Started)
                     .count();
  std::string Error = R.Error;
  auto Id = E.State.recordRevision(R);
  E.State.releaseLock(Env);
  if (!Id)
    return Id.takeError();
  if (!Error.empty())
    return failure("rollback failed: " + Error);
  E.Log << "rolled back `" << Env << "` to revision " << Target->Id << " as revision " << *Id
        << " in " << T.describe() << "\n";
  return *Id;
}

void interp::notifyChannels(const std::vector<plan::Channel> &Channels,
                            const std::vector<std::string> &Names, const std::string &Message,
                            llvm::raw_ostream &Log) {
  for (const std::string &Name : Names)
    for (const plan::Channel &C : Channels) {
      if (C.Name != Name)
        continue;
      if (!C.Command.empty()) {
        auto Program = llvm::sys::findProgramByName(C.Command.front());
        std::string Path = Program ? *Program : C.Command.front();
        std::vector<llvm::StringRef> Args(C.Command.begin(), C.Command.end());
        Args.push_back(Message);
        std::string Err;
        int RC = llvm::sys::ExecuteAndWait(Path, Args, llvm::None, {}, /*SecondsToWait=*/30,
                                           0, &Err);
        Log << "  notified " << Name << " (command, exit " << RC << ")\n";
      }
      if (!C.Webhook.empty()) {
        std::string Err = postWebhook(C.Webhook, Message);
        Log << "  notified " << Name << " (webhook" << (Err.empty() ? "" : ": " + Err) << ")\n";
      }
    }
}

llvm::Expected<DriftReport> interp::drift(Engine &E, const std::string &Env, Target &T,
                                          const std::vector<plan::Channel> &Channels,
                                          const std::vector<std::string> &Notify) {
  std::optional<Revision> Last = E.State.lastSucceeded(Env);
  if (!Last)
    return failure("environment `" + Env + "` has never been applied; nothing to compare");
  if (Last->Target != T.describe())
    return failure("the last revision of `" + Env + "` (" + std::to_string(Last->Id) +
                   ") was applied to " + Last->Target + ", not " + T.describe() +
                   "; give that target with --target");
  auto Findings = T.findDrift(revisionFiles(*Last));
  if (!Findings)
    return Findings.takeError();
  DriftReport D;
  D.Revision = Last->Id;
  D.Findings = std::move(*Findings);
  // The drift policy of the applied configuration: a severity per field
  // class, and an action per severity; the highest severity found decides.
  // nlohmann throws on values of the wrong type: a damaged policy is the
  // default one (medium, report), not the end of the process.
  static const std::vector<std::string> Order{"info", "low", "medium", "high", "critical"};
  auto rank = [&](const std::string &S) {
    return std::find(Order.begin(), Order.end(), S) - Order.begin();
  };
  try {
    json Config = json::parse(Last->Config, nullptr, false);
    json Policy = Config.is_object() ? Config["settings"].value("drift", json::object()) : json();
    if (!Policy.is_object())
      Policy = json::object();
    json Severities = Policy.value("severity", json::object());
    int Highest = -1;
    for (const DriftFinding &F : D.Findings) {
      std::string Sev = Severities.value(F.Class, "medium");
      if (int(rank(Sev)) > Highest) {
        Highest = rank(Sev);
        D.Severity = Sev;
      }
    }
    D.Action = Policy.value("actions", json::object()).value(D.Severity, std::string("report"));
  } catch (const json::exception &) {
    D.Severity = "medium";
    D.Action = "report";
    E.Log << "  the drift policy recorded with revision " << Last->Id
          << " is malformed: severity medium, action report\n";
  }
  if (!D.found())
    return D;
  E.State.recordDrift(Env, D.Findings.size(), D.Severity);
  std::map<std::string, unsigned> PerClass;
  for (const DriftFinding &F : D.Findings)
    ++PerClass[F.Class];
  std::string Summary;
  for (auto &[Class, Count] : PerClass)
    Summary += (Summary.empty() ? "" : ", ") + std::to_string(Count) + " " + Class;
  E.State.audit(E.Actor, "drift", Env, T.describe(), Summary + "; " + D.Severity);
  if (D.Action == "alert") {
    std::string Msg = "deployc: drift in environment " + Env + " (" + T.describe() + "): " +
                      std::to_string(D.Findings.size()) + " difference(s) from revision " +
                      std::to_string(D.Revision) + " (" + Summary + "), severity " + D.Severity;
    notifyChannels(Channels, Notify, Msg, E.Log);
  } else if (D.Action == "reapply") {
    // Under the lock, as apply and rollback switch: a later command's repair
    // takes a free lock to mean that no switch is under way.
    if (auto Err = E.State.acquireLock(Env, E.Actor))
      return std::move(Err);
    StateJournal J(E.State, "reapply", *Last);
    llvm::Error Err = withJournal(T, J, [&] { return T.restore(revisionFiles(*Last), E.Log); });
    E.State.clearPending(Env, E.Actor, "");
    E.State.releaseLock(Env);
    if (Err)
      return std::move(Err);
    E.State.audit(E.Actor, "drift.reapply", Env, T.describe(),
                  "revision " + std::to_string(D.Revision) + " applied again");
    E.Log << "  applied revision " << D.Revision << " again to " << T.describe() << "\n";
  }
  return D;
}

//===----------------------------------------------------------------------===//
// Backups
//===----------------------------------------------------------------------===//

static std::string fileSHA256(const std::string &Path) {
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  return Buf ? plan::sha256Hex((*Buf)->getBuffer()) : "";
}

static const char *const StateFile = "state.db";
static const char *const VaultFile = "vault.db";

/// The tables a copy must hold to be the state store or the vault.
static std::vector<std::string> tablesOf(llvm::StringRef Name) {
  if (Name == VaultFile)
    return {"meta", "versions", "vals"};
  return {"revisions", "locks", "audit"};
}

/// A time stamp usable in a file name.
static std::string fileStamp() {
  std::string Stamp = nowISO8601();
  for (char &C : Stamp)
    if (C == ':')
      C = '-';
  return Stamp;
}

static llvm::Error writeManifest(const std::string &Dir, const std::string &Env,
                                 const std::vector<std::string> &Names) {
  json Files = json::object();
  for (const std::string &Name : Names)
    Files[Name] = fileSHA256(Dir + "/" + Name);
  json Manifest{{"format", "deployc-backup/1"},
                {"environment", Env},
                {"created_at", nowISO8601()},
                {"files", Files}};
  std::error_code EC;
  llvm::raw_fd_ostream OS(Dir + "/manifest.json", EC);
  if (EC)
    return failure("cannot write the backup manifest in " + Dir + ": " + EC.message());
  OS << Manifest.dump(2) << "\n";
  OS.close();
  if (OS.has_error()) {
    OS.clear_error();
    return failure("cannot write the backup manifest in " + Dir);
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<std::string>>
interp::createBackups(Engine &E, const std::string &Env, const std::vector<std::string> &Locations,
                      const std::string &VaultPath, bool NeedVault) {
  bool HasVault = llvm::sys::fs::exists(VaultPath);
  if (NeedVault && !HasVault)
    return failure("environment `" + Env + "` keeps secrets in the vault, but there is no " +
                   VaultPath + " yet; set them with `deployc secrets set` or apply first");
  std::vector<std::string> Made;
  std::string Stamp = fileStamp();
  for (const std::string &Loc : Locations) {
    if (Loc.find("://") != std::string::npos) {
      E.Log << "  skipped " << Loc << ": only local folders are supported\n";
      continue;
    }
    llvm::SmallString<256> Dir(Loc);
    llvm::sys::path::append(Dir, "deployc-" + Env + "-" + Stamp);
    if (std::error_code EC = llvm::sys::fs::create_directories(Dir))
      return failure("cannot create " + std::string(Dir) + ": " + EC.message());
    std::vector<std::string> Names{StateFile};
    if (auto Err = E.State.backupTo(std::string(Dir) + "/" + StateFile))
      return std::move(Err);
    // The vault is copied as a database: no key needed, values stay sealed.
    if (HasVault) {
      if (auto Err = copyDatabaseFile(VaultPath, std::string(Dir) + "/" + VaultFile))
        return std::move(Err);
      Names.push_back(VaultFile);
    }
    if (auto Err = writeManifest(std::string(Dir), Env, Names))
      return std::move(Err);
    Made.push_back(std::string(Dir));
    E.State.audit(E.Actor, "backup.create", Env, std::string(Dir), "");
    E.Log << "  backup written to " << Dir << "\n";
  }
  return Made;
}

/// The newest backup folder in Loc (names sort by time).
static std::string newestBackup(const std::string &Loc) {
  std::string Best;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Loc, EC), End; It != End && !EC; It.increment(EC)) {
    llvm::StringRef Name = llvm::sys::path::filename(It->path());
    if (Name.startswith("deployc-") && llvm::sys::fs::exists(It->path() + "/manifest.json") &&
        It->path() > Best)
      Best = It->path();
  }
  return Best;
}

/// The checksums a backup's manifest.json lists, by file name.
static llvm::Expected<std::map<std::string, std::string>> readManifest(const std::string &Dir) {
  auto Buf = llvm::MemoryBuffer::getFile(Dir + "/manifest.json");
  if (!Buf)
    return failure(Dir + ": no manifest.json");
  std::map<std::string, std::string> Files;
  std::string Problem;
  // nlohmann throws on malformed text and on values of the wrong type: this
  // is the one place a manifest is read, and its exceptions end here.
  try {
    json M = json::parse((*Buf)->getBuffer().str());
    if (!M.is_object() || !M.contains("format") || M["format"] != "deployc-backup/1")
      Problem = "it is not a deployc backup manifest (`format` is not \"deployc-backup/1\")";
    else if (!M.contains("files") || !M["files"].is_object())
      Problem = "`files` is not an object of file names and checksums";
    else
      for (auto &[Name, Hash] : M["files"].items()) {
        if (Name != StateFile && Name != VaultFile) {
          Problem = "it lists `" + Name + "`, which a backup does not hold";
          break;
        }
        if (!Hash.is_string() || Hash.get<std::string>().size() != 64 ||
            !llvm::all_of(Hash.get<std::string>(), llvm::isHexDigit)) {
          Problem = "the checksum of " + Name + " is not a SHA-256 in hex";
          break;
        }
        Files[Name] = Hash.get<std::string>();
      }
  } catch (const json::exception &Ex) {
    Problem = std::string("it is not valid JSON (") + Ex.what() + ")";
  }
  if (!Problem.empty())
    return failure(Dir + "/manifest.json is malformed: " + Problem);
  return Files;
}

/// Checks a backup folder: its manifest lists every expected file (the state
/// store, and the vault when NeedVault), each matches its checksum and opens
/// as the database it should be. Writes nothing.
static llvm::Error checkBackup(const std::string &Dir, bool NeedVault) {
  auto Files = readManifest(Dir);
  if (!Files)
    return Files.takeError();
  std::vector<std::string> Expected{StateFile};
  if (NeedVault)
    Expected.push_back(VaultFile);
  for (const std::string &Name : Expected)
    if (!Files->count(Name))
      return failure(Dir + ": the manifest does not list " + Name +
                     (Name == VaultFile ? " (the vault is part of this state: its secrets "
                                          "would be lost or mismatched)"
                                        : ""));
  for (auto &[Name, Hash] : *Files) {
    std::string Path = Dir + "/" + Name;
    std::string Actual = fileSHA256(Path);
    if (Actual.empty())
      return failure(Dir + ": " + Name + " is missing");
    if (Actual != Hash)
      return failure(Dir + ": " + Name + " does not match its checksum (damaged or changed)");
    if (auto Err = checkDatabaseFile(Path, tablesOf(Name)))
      return failure(Dir + ": " + llvm::toString(std::move(Err)));
  }
  return llvm::Error::success();
}

llvm::Error interp::verifyBackups(const std::vector<std::string> &Locations, bool NeedVault,
                                  llvm::raw_ostream &Log) {
  bool Any = false;
  for (const std::string &Loc : Locations) {
    if (Loc.find("://") != std::string::npos)
      continue;
    std::string Dir = newestBackup(Loc);
    if (Dir.empty())
      return failure("no backup in " + Loc);
    if (auto Err = checkBackup(Dir, NeedVault))
      return Err;
    Log << "  " << Dir << ": ok\n";
    Any = true;
  }
  if (!Any)
    return failure("no local backup location is declared");
  return llvm::Error::success();
}

/// Copies the live state store and vault (those that exist) into a new folder
/// beside the store, with a manifest, so that `backup restore --from` takes
/// it back. A live file that is not a database is copied byte for byte.
/// Returns "" when there is neither.
static llvm::Expected<std::string> keepAside(const std::string &StatePath,
                                             const std::string &VaultPath) {
  if (!llvm::sys::fs::exists(StatePath) && !llvm::sys::fs::exists(VaultPath))
    return "";
  llvm::SmallString<256> Base(llvm::sys::path::parent_path(StatePath));
  llvm::sys::path::append(Base, "before-restore-" + fileStamp());
  std::string Dir(Base);
  for (int N = 2; llvm::sys::fs::exists(Dir); ++N)
    Dir = std::string(Base) + "-" + std::to_string(N);
  if (std::error_code EC = llvm::sys::fs::create_directories(Dir))
    return failure("cannot create " + Dir + ": " + EC.message());
  std::vector<std::string> Names;
  for (auto [Name, Live] : {std::pair<const char *, std::string>{StateFile, StatePath},
                            {VaultFile, VaultPath}}) {
    if (!llvm::sys::fs::exists(Live))
      continue;
    std::string Copy = Dir + "/" + Name;
    if (auto Err = copyDatabaseFile(Live, Copy)) {
      llvm::consumeError(std::move(Err));
      llvm::sys::fs::remove(Copy);
      for (const char *Suffix : {"", "-wal"})
        if (llvm::sys::fs::exists(Live + Suffix))
          if (std::error_code EC = llvm::sys::fs::copy_file(Live + Suffix, Copy + Suffix))
            return failure("cannot keep " + Live + Suffix + " aside: " + EC.message());
    }
    Names.push_back(Name);
  }
  if (auto Err = writeManifest(Dir, "", Names))
    return std::move(Err);
  return Dir;
}

llvm::Error interp::restoreBackup(const std::vector<std::string> &Locations,
                                  const std::string &From, const std::string &StatePath,
                                  const std::string &VaultPath, bool NeedVault,
                                  llvm::raw_ostream &Log) {
  // A vault beside the state is part of it: a backup without one would pair
  // the restored state with a vault it was not made with.
  NeedVault |= llvm::sys::fs::exists(VaultPath);
  std::string Dir = From;
  if (Dir.empty())
    for (const std::string &Loc : Locations)
      if (Loc.find("://") == std::string::npos)
        if (std::string D = newestBackup(Loc); !D.empty()) {
          if (llvm::Error Err = checkBackup(D, NeedVault)) {
            llvm::consumeError(std::move(Err));
            continue;
          }
          Dir = D;
          break;
        }
  if (Dir.empty())
    return failure("no intact backup found in the declared locations; the current state and "
                   "vault were left as they are");
  if (auto Err = checkBackup(Dir, NeedVault))
    return failure("refusing to restore: " + llvm::toString(std::move(Err)) +
                   "; the current state and vault were left as they are");
  auto Listed = readManifest(Dir);
  if (!Listed)
    return Listed.takeError();

  // Stage every copy beside its destination first: what can fail slowly
  // fails before anything live is touched.
  llvm::sys::fs::create_directories(llvm::sys::path::parent_path(StatePath));
  struct Move {
    const char *Name;
    std::string Staged, Live;
    bool HadLive;
  };
  std::vector<Move> Moves;
  auto unstage = [&] {
    for (const Move &M : Moves)
      llvm::sys::fs::remove(M.Staged);
  };
  for (auto [Name, Live] : {std::pair<const char *, std::string>{StateFile, StatePath},
                            {VaultFile, VaultPath}}) {
    if (!Listed->count(Name))
      continue;
    Moves.push_back({Name, Live + ".restore-tmp", Live, llvm::sys::fs::exists(Live)});
    if (std::error_code EC = llvm::sys::fs::copy_file(Dir + "/" + Name, Moves.back().Staged)) {
      unstage();
      return failure("cannot copy " + Dir + "/" + Name + ": " + EC.message() +
                     "; the current state and vault were left as they are");
    }
  }
  // Copying the live files aside folds their write-ahead logs into them, so
  // none is left to be replayed onto the restored files.
  auto Aside = keepAside(StatePath, VaultPath);
  if (!Aside) {
    unstage();
    return Aside.takeError();
  }
  for (size_t I = 0; I < Moves.size(); ++I) {
    const Move &M = Moves[I];
    // The live database's write-ahead log goes first (it is kept aside): left
    // beside the restored file by a crash, it would be replayed onto it.
    llvm::sys::fs::remove(M.Live + "-wal");
    llvm::sys::fs::remove(M.Live + "-shm");
    if (std::error_code EC = llvm::sys::fs::rename(M.Staged, M.Live)) {
      // Put back what was already replaced: never half of a restore.
      for (size_t J = 0; J < I; ++J) {
        if (!Moves[J].HadLive)
          llvm::sys::fs::remove(Moves[J].Live);
        else if (llvm::sys::fs::copy_file(*Aside + "/" + Moves[J].Name, Moves[J].Staged) ||
                 llvm::sys::fs::rename(Moves[J].Staged, Moves[J].Live))
          return failure("cannot replace " + M.Live + " (" + EC.message() + ") nor put " +
                         Moves[J].Live + " back: copy it from " + *Aside);
      }
      unstage();
      return failure("cannot replace " + M.Live + ": " + EC.message() +
                     "; the state and vault were put back as they were" +
                     (Aside->empty() ? "" : " (also kept in " + *Aside + ")"));
    }
  }
  Log << "restored state and vault from " << Dir << "\n";
  if (!Aside->empty())
    Log << "the previous state and vault are kept in " << *Aside
        << " (undo with `deployc backup restore SPEC --env ENV --from " << *Aside << "`)\n";
  return llvm::Error::success();
}
