//===- Agent.h - The local engine's supervisor --------------------*- C++ -*-===//
//
// `deployc agent` runs workloads on this machine: one agent per state folder,
// started on demand, reachable over `agent.sock` in that folder. It starts
// replicas as child processes (they die with it: PR_SET_PDEATHSIG), restarts
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
#include <string>

namespace deployc::interp {

/// Runs the agent of the state store at StatePath in the foreground until it
/// has nothing left to run after a `down`, or is told to shut down. Returns
/// the exit code.
int runAgent(const std::string &StatePath);

/// `agent.sock` beside the state store.
std::string agentSocketPath(const std::string &StatePath);

/// A connection to the agent of a state folder, starting it when needed.
class AgentClient {
public:
  /// Connects to the agent of the state store at StatePath, starting
  /// `DeploycPath agent` first when none answers (and Start is set).
  static llvm::Expected<AgentClient> connect(const std::string &StatePath,
                                             const std::string &DeploycPath,
                                             bool Start = true);
  AgentClient(AgentClient &&) noexcept;
  AgentClient &operator=(AgentClient &&) noexcept;
  ~AgentClient();

  /// Sends one request and waits for its answer; an `error` answer is an Error.
  llvm::Expected<nlohmann::json> call(const nlohmann::json &Request);

private:
  AgentClient() = default;
  int Fd = -1;
  std::string Buffer;
};

} // namespace deployc::interp

#endif
