//===- Engine.h - The interpreter core: apply, rollback, drift ----*- C++ -*-===//
//
// The engine executes an execution plan's steps through a Target. This file
// holds what every target shares: the lock, the safety pattern's steps, the
// secrets ensured or rotated in the vault, the revision recorded in one
// transaction, rollback to an earlier revision, drift against the last one,
// and backups of state and vault. Targets: this machine (`local`, Local.h),
// whose agent runs the workloads and whose rollouts the engine drives, and a
// GitOps folder (`dir:PATH`) that a controller such as Argo CD or Flux watches,
// whose switch is written ahead (RenderJournal) and repaired by the next
// command when a process dies in it (repairInterrupted).
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_INTERP_ENGINE_H
#define DEPLOYC_INTERP_ENGINE_H

#include "deployc/Emit/Emit.h"
#include "deployc/Interp/OutputWriter.h"
#include "deployc/Interp/StateStore.h"
#include "deployc/Interp/Vault.h"
#include "deployc/Plan/ExecutionPlan.h"
#include "llvm/Support/raw_ostream.h"

namespace deployc::interp {

/// One difference between an applied revision and what is there now.
struct DriftFinding {
  char Kind = '~';              ///< `~` changed, `+` added, `-` removed
  std::string Subject;          ///< A file, or a workload
  std::string Class = "config"; ///< The drift policy's field class: replicas,
                                ///< image, env, config, ports, secrets
  std::string Detail;           ///< What differs (never a secret value)
};

/// Where a target writes ahead a switch it is about to make (the state
/// store's pending record), so that a process killed between its renames can
/// be repaired by the next command.
class RenderJournal {
public:
  virtual ~RenderJournal();
  /// Called when S is chosen, before anything of it is renamed; an error
  /// stops the render before the target is touched.
  virtual llvm::Error begin(const DirectorySwitch &S) = 0;
};

/// Where an environment is applied.
class Target {
public:
  virtual ~Target();
  /// As given on the command line: `dir:/srv/gitops/prod`, `local`.
  virtual std::string describe() const = 0;
  /// Whether the target takes the Kubernetes manifests (a GitOps folder),
  /// which then carry the embedded secrets encrypted to the environment's
  /// age recipients.
  virtual bool takesManifests() const { return false; }
  /// Makes Files the whole content of the target, all or nothing. A target
  /// may complete Files first (the local one pins secret versions): what it
  /// leaves in Files is what the revision records.
  virtual llvm::Error render(std::vector<emit::EmittedFile> &Files) = 0;
  /// Rolls one workload out by its strategy; by default the controller
  /// watching the target does.
  virtual llvm::Error rollout(const std::string &Workload, llvm::raw_ostream &Log);
  /// Checks a rolled-out workload.
  virtual llvm::Error verify(const std::string &Workload, llvm::raw_ostream &Log);
  /// After the steps: what they did not touch matches the files too.
  virtual llvm::Error finalize(llvm::raw_ostream &Log);
  /// Puts a recorded revision's Files back at once, without a strategy
  /// (rollback, drift's reapply).
  virtual llvm::Error restore(std::vector<emit::EmittedFile> Files, llvm::raw_ostream &Log);
  /// Differences between what revision Applied recorded and what is there.
  virtual llvm::Expected<std::vector<DriftFinding>>
  findDrift(const std::vector<emit::EmittedFile> &Applied) = 0;
  /// The journal the next renders write ahead to (null: none). Targets whose
  /// render is one step (the local one) ignore it.
  void setJournal(RenderJournal *J) { Journal = J; }

protected:
  RenderJournal *Journal = nullptr;
};

/// `dir:PATH`; an error names the supported kinds (`local` is made with
/// makeLocalTarget, which needs more than a name).
llvm::Expected<std::unique_ptr<Target>> makeTarget(llvm::StringRef Spec);

/// The files a revision recorded.
std::vector<emit::EmittedFile> revisionFiles(const Revision &R);

struct Engine {
  StateStore &State;
  Vault *Secrets = nullptr; ///< Null when no secret needs the embedded vault.
  std::string Actor;
  llvm::raw_ostream &Log;
};

/// Embedded-backend secrets of Env whose rotation is due at Now.
std::vector<std::string> rotationsDue(const plan::Environment &Env, Vault &V,
                                      const std::string &Now);

/// Whether any secret of Env lives in the embedded vault.
bool needsVault(const plan::Environment &Env);

/// Applies Plan: lock, steps, render Files into T, roll out, record the
/// revision. When a rollout fails, the environment goes back to the rollback
/// point (the last successful revision) if its strategy rolls back
/// automatically, the declared channels are told and an incident recorded.
/// Returns the new revision's id.
llvm::Expected<int64_t> apply(Engine &E, const plan::Environment &Env,
                              const plan::ExecutionPlan &Plan,
                              std::vector<emit::EmittedFile> Files, Target &T);

/// Finishes what a killed apply, rollback or drift reapply on a folder target
/// left between its write-ahead record and its revision (see PendingSwitch):
/// when the folder already holds the new files, the revision is recorded
/// (rolled forward); otherwise the folder is put back as it was and the record
/// dropped (rolled back). Prints one line saying which to Log. Does nothing
/// when Env has no pending switch, or when a live process holds Env's lock
/// (that process is still working on it). Every command that reads or
/// changes Env's revisions or folder calls it first.
llvm::Error repairInterrupted(StateStore &State, const std::string &Env, const std::string &Actor,
                              llvm::raw_ostream &Log);

/// Re-renders revision To (0: the one before the last successful apply).
llvm::Expected<int64_t> rollback(Engine &E, const std::string &Env, int64_t To, Target &T);

struct DriftReport {
  int64_t Revision = 0;
  std::vector<DriftFinding> Findings;
  /// The highest severity of the findings' classes, and its action.
  std::string Severity = "medium", Action = "report";
  bool found() const { return !Findings.empty(); }
};

/// Compares T with the last successful revision of Env, classifies each
/// difference by the drift policy's severity for its field class, records
/// the findings and performs the action of the highest severity (report,
/// alert, reapply).
llvm::Expected<DriftReport> drift(Engine &E, const std::string &Env, Target &T,
                                  const std::vector<plan::Channel> &Channels,
                                  const std::vector<std::string> &Notify);

/// Sends Message to the channels named in Names (commands and webhooks).
void notifyChannels(const std::vector<plan::Channel> &Channels,
                    const std::vector<std::string> &Names, const std::string &Message,
                    llvm::raw_ostream &Log);

/// POSTs `{"text": Message}` to an http:// URL; returns "" or the error.
std::string postWebhook(const std::string &URL, const std::string &Message);

/// Backups of state and vault into each local location (a folder per backup
/// with a SHA-256 manifest). The vault is copied whenever it exists (no key
/// needed); when NeedVault (the environment keeps secrets in it) and it does
/// not exist, nothing is made.
llvm::Expected<std::vector<std::string>> createBackups(Engine &E, const std::string &Env,
                                                       const std::vector<std::string> &Locations,
                                                       const std::string &VaultPath,
                                                       bool NeedVault);
/// Re-reads the newest backup in each location and checks it: the manifest
/// lists the state store (and the vault when NeedVault), every listed file
/// matches its checksum and opens as the database it should be. Writes
/// nothing. A malformed manifest is an error, as any other damage.
llvm::Error verifyBackups(const std::vector<std::string> &Locations, bool NeedVault,
                          llvm::raw_ostream &Log);
/// Restores state and vault from the newest good backup (or From), checked
/// as verifyBackups does (the vault is needed too when one exists at
/// VaultPath). The current state and vault are first copied into a folder
/// `before-restore-TIMESTAMP` beside the store, a backup `--from` takes back;
/// then each file is replaced by rename. A refused restore changes nothing.
llvm::Error restoreBackup(const std::vector<std::string> &Locations, const std::string &From,
                          const std::string &StatePath, const std::string &VaultPath,
                          bool NeedVault, llvm::raw_ostream &Log);

} // namespace deployc::interp

#endif
