//===- StateStore.h - The embedded state store (SQLite) -----------*- C++ -*-===//
//
// Everything deployc has done, in one SQLite file (`.deployc/state.db` by
// default): applied revisions with their configuration (secrets as references
// only), plan, rendered files, actor, times and outcome; one lock row per
// environment; a hash-chained audit log; drift findings; the write-ahead
// record of a folder switch in progress (PendingSwitch). Every change is one
// transaction, so killing the process at any point leaves either the old or
// the new state, never half of one.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_INTERP_STATESTORE_H
#define DEPLOYC_INTERP_STATESTORE_H

#include "llvm/Support/Error.h"
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace deployc::interp {

/// The current time as ISO 8601 UTC; DEPLOYC_NOW overrides it (tests).
std::string nowISO8601();
/// Seconds since the epoch of an ISO 8601 UTC time (0 if it is not one).
int64_t parseISO8601(llvm::StringRef Time);
std::string formatISO8601(int64_t Seconds);
/// Who is acting: --actor, else $DEPLOYC_ACTOR, else $USER, else "unknown".
std::string defaultActor();

struct Revision {
  int64_t Id = 0;
  std::string Env;
  std::string Kind = "apply"; ///< apply or rollback
  std::string Config;         ///< evaluatedConfigJSON: secrets as references
  std::string Plan;           ///< renderPlanJSON
  std::string Files;          ///< JSON object: path -> contents
  std::string Target;
  std::string Actor;
  std::string StartedAt, FinishedAt;
  int64_t DurationMs = 0;
  std::string Outcome;        ///< succeeded or failed
  std::string Error;
  int64_t RolledBackTo = 0;
};

struct LockInfo {
  std::string Env, Actor, Host, AcquiredAt;
  int64_t Pid = 0;
  std::string describe() const;
};

struct AuditEntry {
  int64_t Seq = 0;
  std::string At, Actor, Action, Env, Subject, Detail, Hash;
};

/// A rollout that failed (and what was done about it), or another event an
/// operator must hear about.
struct Incident {
  int64_t Id = 0;
  std::string Env, At, Workload, Summary, Action;
};

/// The write-ahead record of a folder target's switch in progress (at most
/// one per environment): written before the switch's first rename, removed in
/// the transaction that records its revision. One left behind means the
/// process was killed in between; see repairInterrupted (Engine.h).
struct PendingSwitch {
  std::string Env;
  std::string Kind; ///< apply, rollback, or reapply (drift: nothing to record)
  std::string Target;             ///< As described: `dir:PATH`
  std::string Dir, Staged, Old;   ///< The renames (DirectorySwitch)
  int64_t Pid = 0;
  std::string At;
  Revision Rev; ///< What is recorded when the switch is rolled forward
};

class StateStore {
public:
  /// Opens (creating if needed) the store at Path.
  static llvm::Expected<std::unique_ptr<StateStore>> open(const std::string &Path);
  ~StateStore();

  const std::string &getPath() const { return Path; }

  /// Takes the environment's lock. Fails at once, naming the holder, when a
  /// live process holds it; a lock left by a dead process on this host is
  /// taken over (and audited).
  llvm::Error acquireLock(const std::string &Env, const std::string &Actor);
  void releaseLock(const std::string &Env);
  std::optional<LockInfo> lockHolder(const std::string &Env);
  /// Removes a lock whatever its holder (`deployc unlock`); false if none.
  bool forceUnlock(const std::string &Env, const std::string &Actor);

  /// The newest revision of Env (0 if none), and the newest that succeeded.
  int64_t latestRevision(const std::string &Env);
  std::optional<Revision> lastSucceeded(const std::string &Env);
  std::optional<Revision> revision(int64_t Id);
  std::vector<Revision> history(const std::string &Env);
  /// Records R and its audit entry, and removes R.Env's pending switch, in
  /// one transaction; returns its id.
  llvm::Expected<int64_t> recordRevision(Revision R);

  /// Writes P as its environment's pending switch (replacing any).
  llvm::Error beginPending(const PendingSwitch &P);
  std::optional<PendingSwitch> pending(const std::string &Env);
  /// Removes Env's pending switch and audits Detail (unless empty), in one
  /// transaction.
  void clearPending(const std::string &Env, const std::string &Actor, const std::string &Detail);

  /// Appends to the hash-chained audit log.
  void audit(const std::string &Actor, const std::string &Action, const std::string &Env,
             const std::string &Subject, const std::string &Detail = "");
  std::vector<AuditEntry> auditLog();
  /// Recomputes the chain; returns the first entry that does not match
  /// (0 when the log is intact).
  int64_t verifyAudit(std::string &Why);

  void recordDrift(const std::string &Env, int64_t Findings, const std::string &Severity);
  /// Records I (and its audit entry).
  void recordIncident(const Incident &I);
  std::vector<Incident> incidents(const std::string &Env);
  /// Prometheus text exposition of the deployment metrics.
  std::string metricsText();

  /// Copies the database consistently (SQLite online backup) to Dest.
  llvm::Error backupTo(const std::string &Dest);

private:
  explicit StateStore(std::string Path) : Path(std::move(Path)) {}
  llvm::Error exec(const char *SQL);
  void appendAudit(const std::string &Actor, const std::string &Action, const std::string &Env,
                   const std::string &Subject, const std::string &Detail);

  std::string Path;
  sqlite3 *DB = nullptr;
};

/// Runs SQL that returns nothing on an open database (shared with the vault).
llvm::Error execSQL(sqlite3 *DB, const char *SQL);
/// Consistent copy of an open database to Dest (online backup API).
llvm::Error backupDatabase(sqlite3 *DB, const std::string &Dest);
/// Consistent copy of the database file Src to Dest, without opening it as a
/// store or a vault (no schema, no key: vault values stay encrypted). Src's
/// write-ahead log is folded into Src when this is its last connection.
llvm::Error copyDatabaseFile(const std::string &Src, const std::string &Dest);
/// Checks, without writing to it or beside it, that Path is an intact SQLite
/// database holding each of Tables.
llvm::Error checkDatabaseFile(const std::string &Path, const std::vector<std::string> &Tables);

} // namespace deployc::interp

#endif
