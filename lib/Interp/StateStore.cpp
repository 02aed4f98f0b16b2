//===- StateStore.cpp - The embedded state store (SQLite) -----------------===//

#include "deployc/Interp/StateStore.h"
#include "deployc/Plan/ExecutionPlan.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include <ctime>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

using namespace deployc;
using namespace deployc::interp;

std::string interp::formatISO8601(int64_t Seconds) {
  std::time_t T = Seconds;
  std::tm TM;
  gmtime_r(&T, &TM);
  char Buf[32];
  std::strftime(Buf, sizeof(Buf), "%Y-%m-%dT%H:%M:%SZ", &TM);
  return Buf;
}

int64_t interp::parseISO8601(llvm::StringRef Time) {
  std::tm TM{};
  std::string S = Time.str();
  if (!strptime(S.c_str(), "%Y-%m-%dT%H:%M:%SZ", &TM))
    return 0;
  return timegm(&TM);
}

std::string interp::nowISO8601() {
  if (auto Now = llvm::sys::Process::GetEnv("DEPLOYC_NOW"); Now && parseISO8601(*Now))
    return *Now;
  return formatISO8601(std::time(nullptr));
}

std::string interp::defaultActor() {
  for (const char *Var : {"DEPLOYC_ACTOR", "USER"})
    if (auto V = llvm::sys::Process::GetEnv(Var); V && !V->empty())
      return *V;
  return "unknown";
}

static std::string hostName() {
  char Buf[256] = {0};
  gethostname(Buf, sizeof(Buf) - 1);
  return Buf;
}

std::string LockInfo::describe() const {
  return Actor + " (pid " + std::to_string(Pid) + " on " + Host + ", since " + AcquiredAt + ")";
}

llvm::Error interp::execSQL(sqlite3 *DB, const char *SQL) {
  char *Err = nullptr;
  if (sqlite3_exec(DB, SQL, nullptr, nullptr, &Err) != SQLITE_OK) {
    std::string Msg = Err ? Err : "unknown SQLite error";
    sqlite3_free(Err);
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "state store: " + Msg);
  }
  return llvm::Error::success();
}

llvm::Error interp::backupDatabase(sqlite3 *DB, const std::string &Dest) {
  sqlite3 *To = nullptr;
  if (sqlite3_open(Dest.c_str(), &To) != SQLITE_OK) {
    sqlite3_close(To);
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "cannot create " + Dest);
  }
  sqlite3_backup *B = sqlite3_backup_init(To, "main", DB, "main");
  int RC = B ? sqlite3_backup_step(B, -1) : SQLITE_ERROR;
  if (B)
    sqlite3_backup_finish(B);
  std::string Msg = sqlite3_errmsg(To);
  sqlite3_close(To);
  if (RC != SQLITE_DONE)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "backup to " + Dest + " failed: " + Msg);
  return llvm::Error::success();
}

llvm::Error interp::copyDatabaseFile(const std::string &Src, const std::string &Dest) {
  sqlite3 *From = nullptr;
  if (sqlite3_open_v2(Src.c_str(), &From, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string Msg = sqlite3_errmsg(From);
    sqlite3_close(From);
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot open " + Src + ": " + Msg);
  }
  sqlite3_busy_timeout(From, 5000);
  llvm::Error Err = backupDatabase(From, Dest);
  sqlite3_close(From);
  return Err;
}

llvm::Error interp::checkDatabaseFile(const std::string &Path,
                                      const std::vector<std::string> &Tables) {
  // immutable=1: no lock, no -wal or -shm beside the file, nothing written.
  std::string URI = "file:";
  for (char C : Path) {
    if (llvm::isAlnum(C) || llvm::StringRef("/-_.~").contains(C)) {
      URI += C;
    } else {
      char Hex[4];
      std::snprintf(Hex, sizeof(Hex), "%%%02X", static_cast<unsigned char>(C));
      URI += Hex;
    }
  }
  URI += "?immutable=1";
  sqlite3 *DB = nullptr;
  auto bad = [&](const std::string &Why) {
    sqlite3_close(DB);
    return llvm::createStringError(llvm::inconvertibleErrorCode(), Path + " " + Why);
  };
  if (sqlite3_open_v2(URI.c_str(), &DB, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
      SQLITE_OK)
    return bad(std::string("does not open: ") + sqlite3_errmsg(DB));
  std::string Check;
  {
    sqlite3_stmt *S = nullptr;
    if (sqlite3_prepare_v2(DB, "PRAGMA quick_check", -1, &S, nullptr) != SQLITE_OK) {
      sqlite3_finalize(S);
      return bad(std::string("is not a SQLite database: ") + sqlite3_errmsg(DB));
    }
    if (sqlite3_step(S) == SQLITE_ROW && sqlite3_column_text(S, 0))
      Check = reinterpret_cast<const char *>(sqlite3_column_text(S, 0));
    sqlite3_finalize(S);
  }
  if (Check != "ok")
    return bad("is damaged (" + (Check.empty() ? std::string(sqlite3_errmsg(DB)) : Check) + ")");
  for (const std::string &Table : Tables) {
    sqlite3_stmt *S = nullptr;
    sqlite3_prepare_v2(DB, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1,
                       &S, nullptr);
    sqlite3_bind_text(S, 1, Table.c_str(), -1, SQLITE_TRANSIENT);
    bool Found = S && sqlite3_step(S) == SQLITE_ROW;
    sqlite3_finalize(S);
    if (!Found)
      return bad("has no table `" + Table + "`: it is not the database it should be");
  }
  sqlite3_close(DB);
  return llvm::Error::success();
}

namespace {

/// A prepared statement with positional binding; finalized on destruction.
class Stmt {
public:
  Stmt(sqlite3 *DB, const char *SQL) { sqlite3_prepare_v2(DB, SQL, -1, &S, nullptr); }
  ~Stmt() { sqlite3_finalize(S); }
  Stmt &bind(int I, const std::string &V) {
    sqlite3_bind_text(S, I, V.data(), V.size(), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt &bind(int I, int64_t V) {
    sqlite3_bind_int64(S, I, V);
    return *this;
  }
  bool step() { return S && sqlite3_step(S) == SQLITE_ROW; }
  int run() { return S ? sqlite3_step(S) : SQLITE_ERROR; }
  std::string text(int I) {
    const unsigned char *T = sqlite3_column_text(S, I);
    return T ? std::string(reinterpret_cast<const char *>(T), sqlite3_column_bytes(S, I)) : "";
  }
  int64_t integer(int I) { return sqlite3_column_int64(S, I); }

private:
  sqlite3_stmt *S = nullptr;
};

const char *Schema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE IF NOT EXISTS revisions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  env TEXT NOT NULL, kind TEXT NOT NULL, config TEXT NOT NULL, plan TEXT NOT NULL,
  files TEXT NOT NULL, target TEXT NOT NULL, actor TEXT NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT NOT NULL, duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL, error TEXT NOT NULL, rolled_back_to INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS revisions_env ON revisions(env, id);
CREATE TABLE IF NOT EXISTS locks(
  env TEXT PRIMARY KEY, actor TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
  acquired_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, env TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drift(
  id INTEGER PRIMARY KEY AUTOINCREMENT, env TEXT NOT NULL, at TEXT NOT NULL,
  findings INTEGER NOT NULL, severity TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending(
  env TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, dir TEXT NOT NULL,
  staged TEXT NOT NULL, old TEXT NOT NULL, pid INTEGER NOT NULL, at TEXT NOT NULL,
  config TEXT NOT NULL, plan TEXT NOT NULL, files TEXT NOT NULL, actor TEXT NOT NULL,
  started_at TEXT NOT NULL, rolled_back_to INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS incidents(
  id INTEGER PRIMARY KEY AUTOINCREMENT, env TEXT NOT NULL, at TEXT NOT NULL,
  workload TEXT NOT NULL, summary TEXT NOT NULL, action TEXT NOT NULL);
)sql";

std::string chainHash(const std::string &Prev, int64_t Seq, const AuditEntry &E) {
  std::string Data = Prev + "\n" + std::to_string(Seq) + "\n" + E.At + "\n" + E.Actor + "\n" +
                     E.Action + "\n" + E.Env + "\n" + E.Subject + "\n" + E.Detail;
  return plan::sha256Hex(Data);
}

} // namespace

llvm::Expected<std::unique_ptr<StateStore>> StateStore::open(const std::string &Path) {
  llvm::SmallString<256> Dir(llvm::sys::path::parent_path(Path));
  if (!Dir.empty())
    if (std::error_code EC = llvm::sys::fs::create_directories(Dir))
      return llvm::createStringError(EC, "cannot create " + std::string(Dir) + ": " +
                                             EC.message());
  std::unique_ptr<StateStore> S(new StateStore(Path));
  if (sqlite3_open(Path.c_str(), &S->DB) != SQLITE_OK)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot open the state store " + Path + ": " +
                                       sqlite3_errmsg(S->DB));
  sqlite3_busy_timeout(S->DB, 5000);
  if (auto E = S->exec(Schema))
    return std::move(E);
  return std::move(S);
}

StateStore::~StateStore() { sqlite3_close(DB); }

llvm::Error StateStore::exec(const char *SQL) { return execSQL(DB, SQL); }

llvm::Error StateStore::acquireLock(const std::string &Env, const std::string &Actor) {
  if (auto E = exec("BEGIN IMMEDIATE"))
    return E;
  std::optional<LockInfo> Held = lockHolder(Env);
  if (Held) {
    // A lock left by a process that no longer exists on this host is stale.
    bool Dead = Held->Host == hostName() && Held->Pid > 0 &&
                kill(pid_t(Held->Pid), 0) != 0 && errno == ESRCH;
    if (!Dead) {
      (void)exec("ROLLBACK");
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "environment `" + Env + "` is locked by " + Held->describe() +
              "; wait for it to finish, or run `deployc unlock --env " + Env +
              "` if that process crashed");
    }
    appendAudit(Actor, "lock.recovered", Env, Held->describe(), "");
  }
  Stmt(DB, "INSERT OR REPLACE INTO locks(env, actor, pid, host, acquired_at) VALUES(?,?,?,?,?)")
      .bind(1, Env)
      .bind(2, Actor)
      .bind(3, int64_t(getpid()))
      .bind(4, hostName())
      .bind(5, nowISO8601())
      .run();
  return exec("COMMIT");
}

void StateStore::releaseLock(const std::string &Env) {
  Stmt(DB, "DELETE FROM locks WHERE env = ? AND pid = ?").bind(1, Env).bind(2, int64_t(getpid())).run();
}

std::optional<LockInfo> StateStore::lockHolder(const std::string &Env) {
  Stmt S(DB, "SELECT env, actor, pid, host, acquired_at FROM locks WHERE env = ?");
  S.bind(1, Env);
  if (!S.step())
    return std::nullopt;
  LockInfo L;
  L.Env = S.text(0);
  L.Actor = S.text(1);
  L.Pid = S.integer(2);
  L.Host = S.text(3);
  L.AcquiredAt = S.text(4);
  return L;
}

bool StateStore::forceUnlock(const std::string &Env, const std::string &Actor) {
  std::optional<LockInfo> Held = lockHolder(Env);
  if (!Held)
    return false;
  if (exec("BEGIN IMMEDIATE"))
    return false;
  Stmt(DB, "DELETE FROM locks WHERE env = ?").bind(1, Env).run();
  appendAudit(Actor, "lock.removed", Env, Held->describe(), "");
  return !exec("COMMIT");
}

int64_t StateStore::latestRevision(const std::string &Env) {
  Stmt S(DB, "SELECT MAX(id) FROM revisions WHERE env = ?");
  S.bind(1, Env);
  return S.step() ? S.integer(0) : 0;
}

static const char *RevisionColumns =
    "id, env, kind, config, plan, files, target, actor, started_at, finished_at, "
    "duration_ms, outcome, error, rolled_back_to";


std::optional<Revision> StateStore::revision(int64_t Id) {
  std::string SQL = std::string("SELECT ") + RevisionColumns + " FROM revisions WHERE id = ?";
  Stmt S(DB, SQL.c_str());
  S.bind(1, Id);
  if (!S.step())
    return std::nullopt;
  Revision R;
  R.Id = S.integer(0);
  R.Env = S.text(1);
  R.Kind = S.text(2);
  R.Config = S.text(3);
  R.Plan = S.text(4);
  R.Files = S.text(5);
  R.Target = S.text(6);
  R.Actor = S.text(7);
  R.StartedAt = S.text(8);
  R.FinishedAt = S.text(9);
  R.DurationMs = S.integer(10);
  R.Outcome = S.text(11);
  R.Error = S.text(12);
  R.RolledBackTo = S.integer(13);
  return R;
}

std::optional<Revision> StateStore::lastSucceeded(const std::string &Env) {
  Stmt S(DB, "SELECT MAX(id) FROM revisions WHERE env = ? AND outcome = 'succeeded'");
  S.bind(1, Env);
  if (!S.step() || !S.integer(0))
    return std::nullopt;
  return revision(S.integer(0));
}

std::vector<Revision> StateStore::history(const std::string &Env) {
  std::vector<int64_t> Ids;
  {
    Stmt S(DB, "SELECT id FROM revisions WHERE env = ? ORDER BY id");
    S.bind(1, Env);
    while (S.step())
      Ids.push_back(S.integer(0));
  }
  std::vector<Revision> Out;
  for (int64_t Id : Ids)
    if (auto R = revision(Id))
      Out.push_back(std::move(*R));
  return Out;
}

llvm::Expected<int64_t> StateStore::recordRevision(Revision R) {
  if (auto E = exec("BEGIN IMMEDIATE"))
    return std::move(E);
  int RC = Stmt(DB, "INSERT INTO revisions(env, kind, config, plan, files, target, actor, "
                    "started_at, finished_at, duration_ms, outcome, error, rolled_back_to) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)")
               .bind(1, R.Env)
               .bind(2, R.Kind)
               .bind(3, R.Config)
               .bind(4, R.Plan)
               .bind(5, R.Files)
               .bind(6, R.Target)
               .bind(7, R.Actor)
               .bind(8, R.StartedAt)
               .bind(9, R.FinishedAt)
               .bind(10, R.DurationMs)
               .bind(11, R.Outcome)
               .bind(12, R.Error)
               .bind(13, R.RolledBackTo)
               .run();
  if (RC != SQLITE_DONE) {
    std::string Msg = sqlite3_errmsg(DB);
    (void)exec("ROLLBACK");
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "state store: " + Msg);
  }
  int64_t Id = sqlite3_last_insert_rowid(DB);
  Stmt(DB, "DELETE FROM pending WHERE env = ?").bind(1, R.Env).run();
  appendAudit(R.Actor, R.Kind == "rollback" ? "rollback" : "apply", R.Env,
              "revision " + std::to_string(Id),
              R.Outcome + (R.RolledBackTo ? " (to revision " + std::to_string(R.RolledBackTo) + ")"
                                          : std::string()));
  if (auto E = exec("COMMIT"))
    return std::move(E);
  return Id;
}

llvm::Error StateStore::beginPending(const PendingSwitch &P) {
  int RC = Stmt(DB, "INSERT OR REPLACE INTO pending(env, kind, target, dir, staged, old, pid, "
                    "at, config, plan, files, actor, started_at, rolled_back_to) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
               .bind(1, P.Env)
               .bind(2, P.Kind)
               .bind(3, P.Target)
               .bind(4, P.Dir)
               .bind(5, P.Staged)
               .bind(6, P.Old)
               .bind(7, int64_t(getpid()))
               .bind(8, nowISO8601())
               .bind(9, P.Rev.Config)
               .bind(10, P.Rev.Plan)
               .bind(11, P.Rev.Files)
               .bind(12, P.Rev.Actor)
               .bind(13, P.Rev.StartedAt)
               .bind(14, P.Rev.RolledBackTo)
               .run();
  if (RC != SQLITE_DONE)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   std::string("state store: ") + sqlite3_errmsg(DB));
  return llvm::Error::success();
}

std::optional<PendingSwitch> StateStore::pending(const std::string &Env) {
  Stmt S(DB, "SELECT env, kind, target, dir, staged, old, pid, at, config, plan, files, actor, "
             "started_at, rolled_back_to FROM pending WHERE env = ?");
  S.bind(1, Env);
  if (!S.step())
    return std::nullopt;
  PendingSwitch P;
  P.Env = S.text(0);
  P.Kind = S.text(1);
  P.Target = S.text(2);
  P.Dir = S.text(3);
  P.Staged = S.text(4);
  P.Old = S.text(5);
  P.Pid = S.integer(6);
  P.At = S.text(7);
  P.Rev.Env = P.Env;
  P.Rev.Kind = P.Kind == "rollback" ? "rollback" : "apply";
  P.Rev.Target = P.Target;
  P.Rev.Config = S.text(8);
  P.Rev.Plan = S.text(9);
  P.Rev.Files = S.text(10);
  P.Rev.Actor = S.text(11);
  P.Rev.StartedAt = S.text(12);
  P.Rev.RolledBackTo = S.integer(13);
  return P;
}

void StateStore::clearPending(const std::string &Env, const std::string &Actor,
                              const std::string &Detail) {
  if (exec("BEGIN IMMEDIATE"))
    return;
  Stmt(DB, "DELETE FROM pending WHERE env = ?").bind(1, Env).run();
  if (!Detail.empty())
    appendAudit(Actor, "repair", Env, "pending switch", Detail);
  (void)exec("COMMIT");
}

void StateStore::appendAudit(const std::string &Actor, const std::string &Action,
                             const std::string &Env, const std::string &Subject,
                             const std::string &Detail) {
  std::string Prev;
  int64_t Seq = 1;
  {
    Stmt S(DB, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (S.step()) {
      Seq = S.integer(0) + 1;
      Prev = S.text(1);
    }
  }
  AuditEntry E{Seq, nowISO8601(), Actor, Action, Env, Subject, Detail, ""};
  E.Hash = chainHash(Prev, Seq, E);
  Stmt(DB, "INSERT INTO audit(seq, at, actor, action, env, subject, detail, hash) "
           "VALUES(?,?,?,?,?,?,?,?)")
      .bind(1, Seq)
      .bind(2, E.At)
      .bind(3, E.Actor)
      .bind(4, E.Action)
      .bind(5, E.Env)
      .bind(6, E.Subject)
      .bind(7, E.Detail)
      .bind(8, E.Hash)
      .run();
}

void StateStore::audit(const std::string &Actor, const std::string &Action,
                       const std::string &Env, const std::string &Subject,
                       const std::string &Detail) {
  if (exec("BEGIN IMMEDIATE"))
    return;
  appendAudit(Actor, Action, Env, Subject, Detail);
  (void)exec("COMMIT");
}

std::vector<AuditEntry> StateStore::auditLog() {
  std::vector<AuditEntry> Out;
  Stmt S(DB, "SELECT seq, at, actor, action, env, subject, detail, hash FROM audit ORDER BY seq");
  while (S.step())
    Out.push_back({S.integer(0), S.text(1), S.text(2), S.text(3), S.text(4), S.text(5),
                   S.text(6), S.text(7)});
  return Out;
}

int64_t StateStore::verifyAudit(std::string &Why) {
  std::string Prev;
  int64_t Expected = 1;
  for (const AuditEntry &E : auditLog()) {
    if (E.Seq != Expected) {
      Why = "entry " + std::to_string(Expected) + " is missing";
      return Expected;
    }
    if (chainHash(Prev, E.Seq, E) != E.Hash) {
      Why = "entry " + std::to_string(E.Seq) + " (" + E.Action + " by " + E.Actor +
            ") does not match its hash: it or an earlier entry was changed";
      return E.Seq;
    }
    Prev = E.Hash;
    ++Expected;
  }
  return 0;
}

void StateStore::recordDrift(const std::string &Env, int64_t Findings,
                             const std::string &Severity) {
  Stmt(DB, "INSERT INTO drift(env, at, findings, severity) VALUES(?,?,?,?)")
      .bind(1, Env)
      .bind(2, nowISO8601())
      .bind(3, Findings)
      .bind(4, Severity)
      .run();
}

void StateStore::recordIncident(const Incident &I) {
  Stmt(DB, "INSERT INTO incidents(env, at, workload, summary, action) VALUES(?,?,?,?,?)")
      .bind(1, I.Env)
      .bind(2, I.At.empty() ? nowISO8601() : I.At)
      .bind(3, I.Workload)
      .bind(4, I.Summary)
      .bind(5, I.Action)
      .run();
  appendAudit("deployc", "incident", I.Env, I.Workload, I.Summary + "; " + I.Action);
}

std::vector<Incident> StateStore::incidents(const std::string &Env) {
  std::vector<Incident> Out;
  Stmt S(DB, "SELECT id, env, at, workload, summary, action FROM incidents WHERE env = ? "
             "ORDER BY id");
  S.bind(1, Env);
  while (S.step())
    Out.push_back({S.integer(0), S.text(1), S.text(2), S.text(3), S.text(4), S.text(5)});
  return Out;
}

std::string StateStore::metricsText() {
  std::string Out;
  auto header = [&](const char *Name, const char *Type, const char *Help) {
    Out += std::string("# HELP ") + Name + " " + Help + "\n# TYPE " + Name + " " + Type + "\n";
  };
  header("deployc_deployments_total", "counter", "Applies and rollbacks by environment and result.");
  {
    Stmt S(DB, "SELECT env, outcome, COUNT(*) FROM revisions GROUP BY env, outcome ORDER BY env, outcome");
    while (S.step())
      Out += "deployc_deployments_total{environment=\"" + S.text(0) + "\",result=\"" +
             S.text(1) + "\"} " + std::to_string(S.integer(2)) + "\n";
  }
  header("deployc_deployment_duration_seconds", "summary", "Duration of applies and rollbacks.");
  {
    Stmt S(DB, "SELECT env, SUM(duration_ms), COUNT(*) FROM revisions GROUP BY env ORDER BY env");
    while (S.step()) {
      char Sum[32];
      std::snprintf(Sum, sizeof(Sum), "%.3f", S.integer(1) / 1000.0);
      Out += "deployc_deployment_duration_seconds_sum{environment=\"" + S.text(0) + "\"} " +
             Sum + "\n";
      Out += "deployc_deployment_duration_seconds_count{environment=\"" + S.text(0) + "\"} " +
             std::to_string(S.integer(2)) + "\n";
    }
  }
  header("deployc_rollbacks_total", "counter", "Rollbacks by environment.");
  {
    Stmt S(DB, "SELECT env, COUNT(*) FROM revisions WHERE kind = 'rollback' GROUP BY env ORDER BY env");
    while (S.step())
      Out += "deployc_rollbacks_total{environment=\"" + S.text(0) + "\"} " +
             std::to_string(S.integer(1)) + "\n";
  }
  header("deployc_drift_findings_total", "counter", "Drift found by `deployc drift` or the agent.");
  {
    Stmt S(DB, "SELECT env, SUM(findings) FROM drift GROUP BY env ORDER BY env");
    while (S.step())
      Out += "deployc_drift_findings_total{environment=\"" + S.text(0) + "\"} " +
             std::to_string(S.integer(1)) + "\n";
  }
  header("deployc_incidents_total", "counter", "Failed rollouts and other incidents.");
  {
    Stmt S(DB, "SELECT env, COUNT(*) FROM incidents GROUP BY env ORDER BY env");
    while (S.step())
      Out += "deployc_incidents_total{environment=\"" + S.text(0) + "\"} " +
             std::to_string(S.integer(1)) + "\n";
  }
  header("deployc_last_revision", "gauge", "The newest revision of each environment.");
  {
    Stmt S(DB, "SELECT env, MAX(id) FROM revisions GROUP BY env ORDER BY env");
    while (S.step())
      Out += "deployc_last_revision{environment=\"" + S.text(0) + "\"} " +
             std::to_string(S.integer(1)) + "\n";
  }
  return Out;
}

llvm::Error StateStore::backupTo(const std::string &Dest) { return backupDatabase(DB, Dest); }
