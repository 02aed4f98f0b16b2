//===- Agent.h - The local engine's supervisor --------------------*- C++ -*-===//
//
// `deployc agent` runs workloads on this machine: one agent per state folder,
// started on demand, reachable over `agent/agent.sock` in that folder (a 0600
// socket in a 0700 folder; connections from other users are refused, and
// clients refuse an agent of another user). It starts replicas as child
// processes that inherit no descriptor but 0, 1 and 2 (they die with it:
// PR_SET_PDEATHSIG), restarts
// crashed ones with back-off, runs their health checks, and gives every port
// of every service a stable local entry point: a reverse proxy (Boost.Beast)
// that splits requests between revisions by weight and measures request rate,
// error rate and latency per revision. The `apply` process drives rollouts by
// sending it requests; the agent holds no deployment logic of its own.
//
// The control protocol is one JSON object per line in each direction:
//   {"op": "ensure", ...}, {"op": "set_weights", ...}, {"op": "status"}, ...
// (see Agent.cpp for each operation and its fields).
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_INTERP_AGENT_H
#define DEPLOYC_INTERP_AGENT_H

#include "llvm/Support/Error.h"
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace deployc::interp {

/// Runs the agent of the state store at StatePath in the foreground until it
/// has nothing left to run after a `down`, or is told to shut down. Returns
/// the exit code.
int runAgent(const std::string &StatePath);

/// Runs Argv (its program looked up in PATH) to completion as the engine
/// starts every process: standard input from /dev/null, output appended to
/// LogPath (left as it is when LogPath is empty), no other descriptor; with
/// Env (else this process's environment), in Workdir (else here). Returns
/// the exit status; -1 when it could not start, -2 when it was killed by a
/// signal or after TimeoutSeconds (0: no limit).
int runProcess(const std::vector<std::string> &Argv, const std::vector<std::string> *Env,
               const std::string &LogPath, const std::string &Workdir,
               unsigned TimeoutSeconds);

/// `agent/agent.sock` beside the state store.
std::string agentSocketPath(const std::string &StatePath);

/// `agent/agent.pid`: the running agent's pid, removed when it exits cleanly;
/// left behind, it tells the next command that the agent was killed.
std::string agentPidPath(const std::string &StatePath);

/// Removes what a killed agent left (its pid file and socket).
void forgetStoppedAgent(const std::string &StatePath);

/// The agent stopped unexpectedly (killed, crashed): while serving a request,
/// or since the last command (diagnostic D8001).
class AgentStoppedError : public llvm::ErrorInfo<AgentStoppedError> {
public:
  static char ID;
  AgentStoppedError(int Pid, std::string LogPath) : Pid(Pid), LogPath(std::move(LogPath)) {}
  void log(llvm::raw_ostream &OS) const override;
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }
  int Pid;
  std::string LogPath;
};

/// A connection to the agent of a state folder, starting it when needed.
class AgentClient {
public:
  /// Connects to the agent of the state store at StatePath, starting
  /// `DeploycPath agent` first when none answers. An agent of another user
  /// is refused (D8002) before anything is sent.
  static llvm::Expected<AgentClient> connect(const std::string &StatePath,
                                             const std::string &DeploycPath);
  /// Connects to the agent if one runs (nullopt when none does); one that
  /// was killed is an AgentStoppedError.
  static llvm::Expected<std::optional<AgentClient>> connectRunning(const std::string &StatePath);
  AgentClient(AgentClient &&) noexcept;
  AgentClient &operator=(AgentClient &&) noexcept;
  ~AgentClient();

  /// Sends one request and waits for its answer; an `error` answer is an
  /// Error, a connection that breaks an AgentStoppedError (then lost()).
  llvm::Expected<nlohmann::json> call(const nlohmann::json &Request);

  /// The connection broke: the agent is gone; connect again to restart it.
  bool lost() const { return Lost; }

private:
  AgentClient() = default;
  static llvm::Expected<std::optional<AgentClient>>
  open(const std::string &StatePath, const std::string &DeploycPath, bool Start);
  llvm::Error connectionLost();
  int Fd = -1;
  int ServerPid = 0; ///< From the peer credentials.
  bool Lost = false;
  std::string LogPath; ///< agent.log, named in the error when it is lost.
  std::string Buffer;
};

} // namespace deployc::interp

#endif
