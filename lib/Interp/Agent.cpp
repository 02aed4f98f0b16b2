//===- Agent.cpp - The local engine's supervisor --------------------------===//
//
// Threads: the control server (one request at a time, under the state lock),
// the supervisor (reaps children, restarts crashed replicas with back-off,
// runs health checks), and one acceptor per proxy with a thread per client
// connection. Everything shared is guarded by one mutex; proxying itself runs
// outside it.
//
// Control operations (JSON lines):
//   ensure       {env, workload, revision, replicas, spec}: run `replicas`
//                replicas of a revision (starting or stopping the difference)
//   stop         {env, workload, revision, delay_ms?}: stop a revision's
//                replicas, now or after a delay (blue-green's scale-down delay)
//   set_weights  {env, workload, weights: {revision: percent}}
//   metrics      {env, workload}: per revision requests, errors, latencies
//   reset_metrics{env, workload}
//   status       {env?}: workloads, revisions, replicas, entry points
//   autoscale    {env, workload, scaling}: the scaling policy the agent applies
//   down         {env}: stop everything of env (the agent exits when idle)
//   shutdown     {}: stop everything and exit
//
//===----------------------------------------------------------------------===//

#include "deployc/Interp/Agent.h"
#include "deployc/Basic/Diagnostic.h"
#include "deployc/Interp/StateStore.h"
#include "deployc/Plan/ExecutionPlan.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/Path.h"
#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <sys/stat.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <random>
#include <dirent.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace deployc;
using namespace deployc::interp;
using json = nlohmann::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point T) {
  return std::chrono::duration<double, std::milli>(Clock::now() - T).count();
}

/// In a forked child, after its dup2s: closes every descriptor but 0, 1 and 2,
/// so that no workload inherits the control socket, a proxy's sockets, a
/// client's connection (which carries secrets) or the state store. Only
/// async-signal-safe calls: the parent has other threads.
void closeInheritedDescriptors() {
  // The agent ignores SIGPIPE, and an ignored signal survives exec: a
  // workload gets the default back, as any process started from a shell.
  ::signal(SIGPIPE, SIG_DFL);
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
    return;
  // Kernels before 5.9: walk /proc/self/fd with getdents64, again from the
  // start after each pass that closed something (closing changes the listing).
  int Dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (Dir < 0) {
    for (int Fd = 3; Fd < 65536; ++Fd)
      ::close(Fd);
    return;
  }
  for (bool Closed = true; Closed;) {
    Closed = false;
    ::lseek(Dir, 0, SEEK_SET);
    alignas(8) char Buf[4096];
    long N;
    while ((N = ::syscall(SYS_getdents64, Dir, Buf, sizeof(Buf))) > 0)
      for (long Off = 0; Off < N;) {
        auto *E = reinterpret_cast<struct dirent64 *>(Buf + Off);
        Off += E->d_reclen;
        int Fd = 0;
        bool Number = E->d_name[0] != 0;
        for (const char *C = E->d_name; *C; ++C)
          if (*C >= '0' && *C <= '9')
            Fd = Fd * 10 + (*C - '0');
          else
            Number = false;
        if (Number && Fd > 2 && Fd != Dir) {
          ::close(Fd);
          Closed = true;
        }
      }
  }
  ::close(Dir);
}

/// Writes all of Text to Fd (a pipe), giving up when the reader is gone.
void writeAll(int Fd, llvm::StringRef Text) {
  while (!Text.empty()) {
    ssize_t N = ::write(Fd, Text.data(), Text.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return;
    Text = Text.drop_front(N);
  }
}

/// Standard input from /dev/null and the output to Log (to /dev/null when
/// empty or unwritable), then nothing else open: the start of every process
/// the engine runs.
void setUpChildDescriptors(const char *Log) {
  int Null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int Out = Log ? ::open(Log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
  if (Out < 0)
    Out = Null;
  ::dup2(Null, 0);
  ::dup2(Out, 1);
  ::dup2(Out, 2);
  closeInheritedDescriptors();
}

/// Standard input from /dev/null, the output left as it is, nothing else.
void setUpInheritingOutput() {
  int Null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (Null >= 0)
    ::dup2(Null, 0);
  closeInheritedDescriptors();
}

/// A TCP socket that no child inherits, for Asio to use: Asio opens and
/// accepts without SOCK_CLOEXEC, and a fork in between would leak it.
int cloexecTcpSocket() { return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }

struct Probe {
  std::string Kind; // http_get, tcp, exec; empty: none
  std::string Path = "/";
  std::string PortName;
  std::vector<std::string> Command;
};

/// How to run one revision of a workload.
struct RunSpec {
  std::vector<std::string> Command; // argv
  std::string Workdir;
  std::map<std::string, std::string> Env;
  std::vector<std::string> Ports; // declared port names, in order
  Probe Liveness, Readiness;
  double PeriodMs = 1000, TimeoutMs = 1000, InitialDelayMs = 0;
  int FailureThreshold = 3, SuccessThreshold = 1;
  json SecretVersions = json::object(); ///< Reported back for drift.
  std::string DriftSeverity = "medium"; ///< Of a replica lost, for the metrics.

  static RunSpec fromJSON(const json &J) {
    RunSpec S;
    S.SecretVersions = J.value("secret_versions", json::object());
    S.DriftSeverity = J.value("drift_replicas", "medium");
    S.Command = J.value("command", std::vector<std::string>{});
    S.Workdir = J.value("workdir", "");
    const json EnvJ = J.value("env", json::object());
    for (auto &[K, V] : EnvJ.items())
      S.Env[K] = V.get<std::string>();
    S.Ports = J.value("ports", std::vector<std::string>{});
    auto probe = [](const json &P) {
      Probe X;
      if (!P.is_object())
        return X;
      X.Kind = P.value("kind", "");
      X.Path = P.value("path", "/");
      X.PortName = P.value("port", "");
      X.Command = P.value("command", std::vector<std::string>{});
      return X;
    };
    S.Liveness = probe(J.value("liveness", json()));
    S.Readiness = probe(J.value("readiness", json()));
    S.PeriodMs = J.value("period_ms", 1000.0);
    S.TimeoutMs = J.value("timeout_ms", 1000.0);
    S.InitialDelayMs = J.value("initial_delay_ms", 0.0);
    S.FailureThreshold = J.value("failure_threshold", 3);
    S.SuccessThreshold = J.value("success_threshold", 1);
    return S;
  }
};

struct Replica {
  int Index = 0;
  pid_t Pid = 0;
  std::map<std::string, int> Ports;
  std::string State = "pending"; // pending, starting, ready, unhealthy, crashed
  int Restarts = 0;
  int Failures = 0, Successes = 0; ///< Consecutive readiness results.
  int LivenessFailures = 0;        ///< Consecutive failed liveness checks.
  std::string EnvHash;  ///< Of the environment it was started with.
  std::string LastExit; ///< How it last ended, when it crashed.
  bool FailedLiveness = false; ///< Killed by the supervisor for its liveness checks.
  uint64_t CpuTicks = 0; ///< utime + stime at the last autoscaling look.
  Clock::time_point StartedAt, NextCheck, RestartAt;
  bool Stopping = false;
};

struct Metrics {
  uint64_t Requests = 0, Errors = 0;
  std::deque<double> Latencies; // the most recent requests, in ms
  Clock::time_point Since = Clock::now();
  void add(double Ms, bool Error) {
    ++Requests;
    Errors += Error;
    Latencies.push_back(Ms);
    if (Latencies.size() > 5000)
      Latencies.pop_front();
  }
  json toJSON() const {
    std::vector<double> L(Latencies.begin(), Latencies.end());
    std::sort(L.begin(), L.end());
    auto pct = [&](double P) {
      return L.empty() ? 0.0 : L[std::min(L.size() - 1, size_t(P / 100 * (L.size() - 1) + 0.5))];
    };
    double Secs = std::max(0.001, msSince(Since) / 1000);
    return {{"requests", Requests},
            {"errors", Errors},
            {"error_rate", Requests ? double(Errors) / Requests : 0.0},
            {"rps", Requests / Secs},
            {"latency_p50_ms", pct(50)},
            {"latency_p90_ms", pct(90)},
            {"latency_p95_ms", pct(95)},
            {"latency_p99_ms", pct(99)}};
  }
};

struct Revision {
  std::string Id;
  RunSpec Spec;
  int Desired = 0;
  std::vector<Replica> Replicas;
  Metrics M;
  std::optional<Clock::time_point> StopAt; ///< A delayed stop.
  json SpecJSON; ///< The `ensure` request's spec, replayed after a restart.
};

/// The scaling policy the agent applies to a workload's serving revision:
/// replica bounds, cpu and memory targets (from /proc), and scale-out events
/// on proxy metrics.
struct ScalingPolicy {
  int Min = 1, Max = 1;
  double CpuPercent = 0, MemoryPercent = 0; ///< 0: not a trigger.
  double CpuRequestMilli = 0, MemoryRequest = 0;
  std::vector<std::vector<json>> ScaleOutEvents; ///< Each: conditions, all must hold.
  double CooldownMs = 300'000, StabilizationMs = 300'000;
};

struct Proxy;

struct Workload {
  std::string Env, Name;
  std::map<std::string, Revision> Revisions;
  std::map<std::string, double> Weights; // revision -> percent
  std::map<std::string, std::unique_ptr<Proxy>> Proxies; // port name -> proxy
  std::optional<ScalingPolicy> Scaling;
  json ScalingJSON; ///< The `autoscale` request's policy, replayed after a restart.
  Clock::time_point LastScaled{};
  Clock::time_point LastLook = Clock::now();
  uint64_t RequestsAtLook = 0;
  /// Recommendations within the stabilization window (time, replicas).
  std::deque<std::pair<Clock::time_point, int>> Recommendations;
  std::string LastScaling; ///< Why the agent last changed the replica count.
};

class Agent;

struct Proxy {
  Agent &A;
  std::string Env, Workload, PortName;
  asio::io_context IO;
  tcp::acceptor Acceptor{IO};
  int Port = 0;
  std::thread Thread;
  std::atomic<bool> Stop{false};
  Proxy(Agent &A) : A(A) {}
  void start(int Wanted);
  void close() {
    Stop = true;
    // Wake the blocking accept with a connection of our own, then join.
    try {
      asio::io_context Wake;
      tcp::socket S(Wake);
      S.assign(tcp::v4(), cloexecTcpSocket());
      S.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), Port));
    } catch (...) {
    }
    if (Thread.joinable())
      Thread.join();
    beast::error_code EC;
    Acceptor.close(EC);
  }
};

int freePort() {
  asio::io_context IO;
  tcp::acceptor A(IO);
  beast::error_code EC;
  A.assign(tcp::v4(), cloexecTcpSocket(), EC);
  A.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), EC);
  return EC ? 0 : A.local_endpoint(EC).port();
}

/// The socket's folder: created 0700, and refused unless it is a folder of
/// this user that nobody else can enter (a stale one is tightened).
static bool makePrivateFolder(const std::string &Path) {
  if (::mkdir(Path.c_str(), 0700) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "deployc agent: cannot create %s: %s\n", Path.c_str(),
                 std::strerror(errno));
    return false;
  }
  struct stat St;
  if (::lstat(Path.c_str(), &St) != 0 || !S_ISDIR(St.st_mode) || St.st_uid != ::geteuid()) {
    std::fprintf(stderr, "deployc agent: %s is not a folder of uid %u; remove it\n",
                 Path.c_str(), unsigned(::geteuid()));
    return false;
  }
  if ((St.st_mode & 07777) != 0700 && ::chmod(Path.c_str(), 0700) != 0) {
    std::perror("deployc agent: cannot make the socket folder private");
    return false;
  }
  return true;
}

class Agent {
public:
  /// ToSupervisor receives the desired state after every change (-1: none);
  /// FromSupervisor holds what a killed predecessor ran (-1: a fresh start).
  Agent(std::string StatePath, int ToSupervisor, int FromSupervisor)
      : Dir(llvm::sys::path::parent_path(StatePath).str()), StatePath(std::move(StatePath)),
        ToSupervisor(ToSupervisor), FromSupervisor(FromSupervisor) {
    if (Dir.empty())
      Dir = ".";
  }

  int run() {
    std::string Sock = agentSocketPath(StatePath);
    std::string RunDir = llvm::sys::path::parent_path(Sock).str();
    if (!makePrivateFolder(RunDir))
      return 1;
    ::unlink(Sock.c_str());
    int Srv = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un Addr{};
    Addr.sun_family = AF_UNIX;
    if (Sock.size() >= sizeof(Addr.sun_path)) {
      std::fprintf(stderr, "deployc agent: socket path too long: %s\n", Sock.c_str());
      return 1;
    }
    std::strcpy(Addr.sun_path, Sock.c_str());
    // Requests carry secret values: only the owner may connect. The umask
    // makes the socket 0600 from the moment it exists (this thread is the
    // only one yet, so nothing else creates files meanwhile).
    mode_t OldMask = ::umask(0177);
    int Bound = ::bind(Srv, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr));
    ::umask(OldMask);
    if (Bound != 0 || ::chmod(Sock.c_str(), 0600) != 0 || ::listen(Srv, 16) != 0) {
      std::perror("deployc agent: cannot listen");
      return 1;
    }
    PidFile = agentPidPath(StatePath);
    writePidFile();
    loadProxyPorts();
    if (auto S = StateStore::open(StatePath))
      Store = std::move(*S);
    else
      std::fprintf(stderr, "deployc agent: %s\n", llvm::toString(S.takeError()).c_str());
    restoreFromSupervisor();
    std::thread Sup([this] { supervise(); });
    while (!Quit) {
      int C = ::accept4(Srv, nullptr, nullptr, SOCK_CLOEXEC);
      if (C < 0)
        continue;
      if (!fromOwner(C)) {
        ::close(C);
        continue;
      }
      std::thread([this, C] { client(C); }).detach();
    }
    ::close(Srv);
    ::unlink(Sock.c_str());
    ::unlink(PidFile.c_str());
    stopAll();
    Sup.join();
    return 0;
  }

  // Used by proxies.
  struct Pick {
    std::string Revision;
    int Port = 0;
  };
  std::optional<Pick> pick(const std::string &Env, const std::string &W,
                           const std::string &PortName) {
    std::lock_guard<std::mutex> G(Lock);
    Workload *WL = find(Env, W);
    if (!WL)
      return std::nullopt;
    // Weighted choice among revisions with a ready replica.
    std::vector<std::pair<std::string, double>> Choices;
    double Total = 0;
    for (auto &[Rev, Weight] : WL->Weights) {
      auto It = WL->Revisions.find(Rev);
      if (Weight <= 0 || It == WL->Revisions.end())
        continue;
      bool Ready = false;
      for (Replica &R : It->second.Replicas)
        Ready |= R.State == "ready";
      if (!Ready)
        continue;
      Choices.push_back({Rev, Weight});
      Total += Weight;
    }
    if (Choices.empty())
      return std::nullopt;
    std::uniform_real_distribution<double> D(0, Total);
    double X = D(Rng);
    std::string Chosen = Choices.back().first;
    for (auto &[Rev, Weight] : Choices) {
      if (X < Weight) {
        Chosen = Rev;
        break;
      }
      X -= Weight;
    }
    Revision &R = WL->Revisions[Chosen];
    std::vector<Replica *> Ready;
    for (Replica &Rep : R.Replicas)
      if (Rep.State == "ready")
        Ready.push_back(&Rep);
    Replica *Rep = Ready[RoundRobin++ % Ready.size()];
    return Pick{Chosen, Rep->Ports[PortName]};
  }

  void record(const std::string &Env, const std::string &W, const std::string &Rev, double Ms,
              bool Error) {
    std::lock_guard<std::mutex> G(Lock);
    if (Workload *WL = find(Env, W)) {
      auto It = WL->Revisions.find(Rev);
      if (It != WL->Revisions.end())
        It->second.M.add(Ms, Error);
    }
  }

private:
  /// Peer credentials: only processes of the agent's own user may talk to it
  /// (the folder's mode already says so; this holds even if it changes).
  static bool fromOwner(int Fd) {
    ucred Cred{};
    socklen_t Len = sizeof(Cred);
    if (::getsockopt(Fd, SOL_SOCKET, SO_PEERCRED, &Cred, &Len) != 0) {
      std::perror("deployc agent: refused a connection: no peer credentials");
      return false;
    }
    if (Cred.uid == ::geteuid())
      return true;
    std::fprintf(stderr, "%s refused a connection from uid %u (pid %d): not the agent's user\n",
                 nowISO8601().c_str(), unsigned(Cred.uid), int(Cred.pid));
    return false;
  }

  /// The pid file tells a later command that this agent died without
  /// cleaning up (it is removed on a clean exit).
  void writePidFile() {
    std::string Tmp = PidFile + ".tmp";
    int Fd = ::open(Tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (Fd < 0)
      return;
    std::string Text = std::to_string(getpid()) + "\n";
    bool Written = ::write(Fd, Text.data(), Text.size()) == ssize_t(Text.size());
    ::close(Fd);
    if (Written)
      ::rename(Tmp.c_str(), PidFile.c_str());
    else
      ::unlink(Tmp.c_str());
  }

  Workload *find(const std::string &Env, const std::string &W) {
    auto It = Workloads.find(Env + "/" + W);
    return It == Workloads.end() ? nullptr : &It->second;
  }

  //===--------------------------------------------------------------------===//
  // The supervisor's copy of the desired state
  //===--------------------------------------------------------------------===//

  /// Sends the supervisor what runs now, as the requests that would start it
  /// again: one JSON line, the newest replacing the older. It holds secret
  /// values, so it goes through a pipe to the parent process only, never to
  /// a file. A revision waiting for a delayed stop is left out: its
  /// successor stops it early.
  void reportDesiredState() {
    if (ToSupervisor < 0)
      return;
    // One report at a time, written whole: a pipe interleaves writes over
    // PIPE_BUF, and an older state must not land after a newer one.
    std::lock_guard<std::mutex> Reporting(ReportLock);
    json Requests = json::array();
    {
      std::lock_guard<std::mutex> G(Lock);
      for (auto &[Key, W] : Workloads) {
        for (auto &[Id, Rev] : W.Revisions)
          if (!Rev.StopAt && !Rev.SpecJSON.is_null())
            Requests.push_back({{"op", "ensure"}, {"env", W.Env}, {"workload", W.Name},
                                {"revision", Id}, {"replicas", Rev.Desired},
                                {"spec", Rev.SpecJSON}});
        json Weights = json::object();
        for (auto &[Id, Weight] : W.Weights)
          Weights[Id] = Weight;
        Requests.push_back(
            {{"op", "set_weights"}, {"env", W.Env}, {"workload", W.Name}, {"weights", Weights}});
        if (!W.ScalingJSON.is_null())
          Requests.push_back({{"op", "autoscale"}, {"env", W.Env}, {"workload", W.Name},
                              {"scaling", W.ScalingJSON}});
      }
    }
    writeAll(ToSupervisor,
             Requests.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
  }

  /// Starts again what a killed predecessor ran, read from the supervisor:
  /// a line saying how it ended, then its last desired state.
  void restoreFromSupervisor() {
    if (FromSupervisor < 0)
      return;
    std::string Text;
    char Chunk[65536];
    for (ssize_t N; (N = ::read(FromSupervisor, Chunk, sizeof(Chunk))) != 0;) {
      if (N < 0 && errno == EINTR)
        continue;
      if (N < 0)
        break;
      Text.append(Chunk, N);
    }
    ::close(FromSupervisor);
    FromSupervisor = -1;
    llvm::StringRef Why, Rest;
    std::tie(Why, Rest) = llvm::StringRef(Text).split('\n');
    json Requests = json::parse(Rest, nullptr, false);
    if (!Requests.is_array())
      return;
    std::set<std::string> Envs;
    for (const json &R : Requests) {
      try {
        handle(R);
        Envs.insert(R.value("env", ""));
      } catch (const std::exception &E) {
        std::fprintf(stderr, "deployc agent: cannot restore %s: %s\n",
                     R.value("workload", "").c_str(), E.what());
      }
    }
    std::lock_guard<std::mutex> G(Lock);
    for (const std::string &Env : Envs)
      Events.push_back({"agent.restart", Env, "agent", Why.str() + "; its supervisor restarted it",
                        ""});
  }

  //===--------------------------------------------------------------------===//
  // Control
  //===--------------------------------------------------------------------===//

  void client(int Fd) {
    std::string Buf;
    char Chunk[4096];
    for (;;) {
      size_t NL;
      while ((NL = Buf.find('\n')) == std::string::npos) {
        ssize_t N = ::read(Fd, Chunk, sizeof(Chunk));
        if (N <= 0) {
          ::close(Fd);
          return;
        }
        Buf.append(Chunk, N);
      }
      std::string Line = Buf.substr(0, NL);
      Buf.erase(0, NL + 1);
      json Reply;
      try {
        json Request = json::parse(Line);
        Reply = handle(Request);
        std::string Op = Request.value("op", "");
        if (Op == "ensure" || Op == "stop" || Op == "set_weights" || Op == "autoscale" ||
            Op == "down")
          reportDesiredState();
      } catch (const std::exception &E) {
        Reply = {{"error", E.what()}};
      }
      std::string Out = Reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      if (::write(Fd, Out.data(), Out.size()) < 0) {
        ::close(Fd);
        return;
      }
      if (Quit) {
        ::close(Fd);
        // Wake the accept loop.
        int S = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un Addr{};
        Addr.sun_family = AF_UNIX;
        std::strcpy(Addr.sun_path, agentSocketPath(StatePath).c_str());
        ::connect(S, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr));
        ::close(S);
        return;
      }
    }
  }

  json handle(const json &R) {
    std::string Op = R.at("op");
    std::unique_lock<std::mutex> G(Lock);
    if (Op == "ping")
      return {{"ok", true}, {"pid", getpid()}, {"supervisor", getppid()}};
    if (Op == "status")
      return status(R.value("env", ""));
    if (Op == "shutdown") {
      Quit = true;
      return {{"ok", true}};
    }
    std::string Env = R.at("env");
    if (Op == "down") {
      std::vector<std::unique_ptr<Proxy>> Closing;
      for (auto It = Workloads.begin(); It != Workloads.end();) {
        if (It->second.Env != Env) {
          ++It;
          continue;
        }
        for (auto &[Id, Rev] : It->second.Revisions)
          stopReplicas(Rev, 0, std::chrono::milliseconds(0));
        for (auto &[P, Px] : It->second.Proxies)
          Closing.push_back(std::move(Px));
        It = Workloads.erase(It);
      }
      bool Idle = Workloads.empty();
      G.unlock();
      for (auto &P : Closing)
        P->close();
      waitForExit();
      if (Idle)
        Quit = true;
      return {{"ok", true}, {"agent_exiting", Idle}};
    }
    std::string Name = R.at("workload");
    Workload &W = Workloads[Env + "/" + Name];
    W.Env = Env;
    W.Name = Name;
    if (Op == "ensure") {
      std::string Id = R.at("revision");
      Revision &Rev = W.Revisions[Id];
      Rev.Id = Id;
      if (R.contains("spec")) {
        Rev.Spec = RunSpec::fromJSON(R["spec"]);
        Rev.SpecJSON = R["spec"];
        // Replicas started with another environment are replaced.
        std::string Hash = envHash(Rev.Spec.Env);
        for (Replica &Rep : Rev.Replicas)
          if (Rep.Pid > 0 && Rep.EnvHash != Hash) {
            Stopping.push_back({Rep.Pid, Clock::now() + DrainTime});
            Rep = Replica{Rep.Index};
          }
      }
      Rev.Desired = R.at("replicas");
      Rev.StopAt.reset();
      scale(W, Rev);
      // Entry points for the declared ports, created once per workload.
      for (const std::string &P : Rev.Spec.Ports)
        if (!W.Proxies.count(P)) {
          auto Px = std::make_unique<Proxy>(*this);
          Px->Env = Env;
          Px->Workload = Name;
          Px->PortName = P;
          int Wanted = ProxyPorts.value(Env + "/" + Name + "/" + P, 0);
          Px->start(Wanted);
          ProxyPorts[Env + "/" + Name + "/" + P] = Px->Port;
          saveProxyPorts();
          W.Proxies[P] = std::move(Px);
        }
      return {{"ok", true}};
    }
    if (Op == "stop") {
      std::string Id = R.at("revision");
      auto It = W.Revisions.find(Id);
      if (It != W.Revisions.end() && R.value("delay_ms", 0.0) > 0) {
        It->second.StopAt =
            Clock::now() + std::chrono::milliseconds(int64_t(R.value("delay_ms", 0.0)));
        return {{"ok", true}};
      }
      if (It != W.Revisions.end()) {
        It->second.Desired = 0;
        stopReplicas(It->second, 0);
        W.Revisions.erase(It);
        W.Weights.erase(Id);
      }
      return {{"ok", true}};
    }
    if (Op == "set_weights") {
      W.Weights.clear();
      for (auto &[Rev, Weight] : R.at("weights").items())
        W.Weights[Rev] = Weight.get<double>();
      return {{"ok", true}};
    }
    if (Op == "metrics") {
      json Out = json::object();
      for (auto &[Id, Rev] : W.Revisions)
        Out[Id] = Rev.M.toJSON();
      return {{"ok", true}, {"revisions", Out}};
    }
    if (Op == "autoscale") {
      const json &P = R.at("scaling");
      W.ScalingJSON = P;
      if (P.is_null()) {
        W.Scaling.reset();
        return {{"ok", true}};
      }
      ScalingPolicy SP;
      SP.Min = P.value("min", 1);
      SP.Max = P.value("max", SP.Min);
      SP.CpuPercent = P.value("cpu_percent", 0.0);
      SP.MemoryPercent = P.value("memory_percent", 0.0);
      SP.CpuRequestMilli = P.value("cpu_request_milli", 0.0);
      SP.MemoryRequest = P.value("memory_request", 0.0);
      SP.CooldownMs = P.value("cooldown_ms", 300'000.0);
      SP.StabilizationMs = P.value("stabilization_ms", 300'000.0);
      for (const json &E : P.value("scale_out", json::array()))
        SP.ScaleOutEvents.push_back(E.get<std::vector<json>>());
      W.Scaling = SP;
      return {{"ok", true}};
    }
    if (Op == "reset_metrics") {
      for (auto &[Id, Rev] : W.Revisions)
        Rev.M = Metrics();
      return {{"ok", true}};
    }
    throw std::runtime_error("unknown operation " + Op);
  }

  json status(const std::string &Env) {
    json Out = json::array();
    for (auto &[Key, W] : Workloads) {
      if (!Env.empty() && W.Env != Env)
        continue;
      json Revs = json::object();
      for (auto &[Id, Rev] : W.Revisions) {
        json Reps = json::array();
        for (Replica &R : Rev.Replicas) {
          json Ports = json::object();
          for (auto &[N, P] : R.Ports)
            Ports[N] = P;
          Reps.push_back({{"index", R.Index},
                          {"pid", R.Pid},
                          {"state", R.State},
                          {"restarts", R.Restarts},
                          {"last_exit", R.LastExit},
                          {"env_hash", R.EnvHash},
                          {"ports", Ports}});
        }
        json Entry{{"desired", Rev.Desired},
                   {"replicas", Reps},
                   {"command", Rev.Spec.Command},
                   {"ports", Rev.Spec.Ports},
                   {"secret_versions", Rev.Spec.SecretVersions}};
        if (Rev.StopAt)
          Entry["stopping_in_ms"] =
              std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                       *Rev.StopAt - Clock::now())
                                       .count());
        Revs[Id] = Entry;
      }
      json Entry = json::object();
      for (auto &[P, Px] : W.Proxies)
        Entry[P] = "127.0.0.1:" + std::to_string(Px->Port);
      json WJ{{"env", W.Env},
               {"workload", W.Name},
               {"weights", W.Weights},
               {"entry_points", Entry},
               {"revisions", Revs}};
      if (W.Scaling)
        WJ["scaling"] = {{"min", W.Scaling->Min},
                         {"max", W.Scaling->Max},
                         {"last_change", W.LastScaling}};
      Out.push_back(WJ);
    }
    return {{"ok", true}, {"pid", getpid()}, {"workloads", Out}};
  }

public:
  /// What `deployc drift` compares: a digest of a replica's declared
  /// environment, so that no value leaves the agent.
  static std::string envHash(const std::map<std::string, std::string> &Env) {
    std::string All;
    for (auto &[K, V] : Env)
      All += K + "=" + V + "\n";
    return plan::sha256Hex(All).substr(0, 16);
  }

private:

  //===--------------------------------------------------------------------===//
  // Processes
  //===--------------------------------------------------------------------===//

  void scale(Workload &, Revision &Rev) {
    while (int(Rev.Replicas.size()) < Rev.Desired) {
      // The supervisor thread starts it: PR_SET_PDEATHSIG follows the thread
      // that forked, and only that thread lives as long as the agent.
      Replica R;
      R.Index = Rev.Replicas.empty() ? 0 : Rev.Replicas.back().Index + 1;
      Rev.Replicas.push_back(R);
    }
    if (int(Rev.Replicas.size()) > Rev.Desired)
      stopReplicas(Rev, Rev.Desired);
  }

  /// What a replica's processes see: the agent's environment (without the
  /// vault key), the spec's env and the assigned ports.
  static std::vector<std::string> replicaEnvironment(const RunSpec &Spec, const Replica &R) {
    std::vector<std::string> EnvStrings;
    for (char **E = environ; *E; ++E)
      if (!llvm::StringRef(*E).startswith("DEPLOYC_VAULT_KEY="))
        EnvStrings.push_back(*E);
    for (auto &[K, V] : Spec.Env)
      EnvStrings.push_back(K + "=" + V);
    bool First = true;
    for (const std::string &P : Spec.Ports) {
      auto It = R.Ports.find(P);
      if (It == R.Ports.end())
        continue;
      std::string Upper = llvm::StringRef(P).upper();
      for (char &C : Upper)
        if (!llvm::isAlnum(C))
          C = '_';
      EnvStrings.push_back("PORT_" + Upper + "=" + std::to_string(It->second));
      if (First)
        EnvStrings.push_back("PORT=" + std::to_string(It->second));
      First = false;
    }
    return EnvStrings;
  }

  void spawn(Workload &W, Revision &Rev, Replica &R) {
    for (const std::string &P : Rev.Spec.Ports)
      R.Ports[P] = freePort();
    std::vector<std::string> EnvStrings = replicaEnvironment(Rev.Spec, R);
    EnvStrings.push_back("DEPLOYC_ENVIRONMENT=" + W.Env);
    EnvStrings.push_back("DEPLOYC_WORKLOAD=" + W.Name);
    EnvStrings.push_back("DEPLOYC_REVISION=" + Rev.Id);
    EnvStrings.push_back("DEPLOYC_REPLICA=" + std::to_string(R.Index));
    std::string Log = Dir + "/logs/" + W.Env + "-" + W.Name + "-" + Rev.Id + "-" +
                      std::to_string(R.Index) + ".log";
    llvm::sys::fs::create_directories(Dir + "/logs");
    // Everything the child needs is built before fork: other threads may hold
    // the allocator's lock at that moment.
    std::vector<char *> Argv, Envp;
    for (const std::string &A : Rev.Spec.Command)
      Argv.push_back(const_cast<char *>(A.c_str()));
    Argv.push_back(nullptr);
    for (const std::string &E : EnvStrings)
      Envp.push_back(const_cast<char *>(E.c_str()));
    Envp.push_back(nullptr);
    const char *Workdir = Rev.Spec.Workdir.empty() ? nullptr : Rev.Spec.Workdir.c_str();
    pid_t Parent = getpid();
    pid_t Pid = fork();
    if (Pid == 0) {
      // The replica dies with the agent: no orphans, even after kill -9.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != Parent)
        _exit(1);
      setpgid(0, 0);
      setUpChildDescriptors(Log.c_str());
      if (Workdir && chdir(Workdir) != 0)
        _exit(127);
      if (Argv[0])
        execvpe(Argv[0], Argv.data(), Envp.data());
      _exit(127);
    }
    R.Pid = Pid;
    R.EnvHash = envHash(Rev.Spec.Env);
    R.State = "starting";
    R.Failures = R.Successes = 0;
    R.LivenessFailures = 0;
    R.StartedAt = Clock::now();
    R.NextCheck = R.StartedAt + std::chrono::milliseconds(int64_t(Rev.Spec.InitialDelayMs));
  }

  /// Takes replicas out of rotation at once; they get SIGTERM after Drain
  /// (requests in flight finish), SIGKILL two seconds later.
  void stopReplicas(Revision &Rev, int Keep,
                    std::chrono::milliseconds Drain = std::chrono::milliseconds(500)) {
    while (int(Rev.Replicas.size()) > Keep) {
      Replica &R = Rev.Replicas.back();
      if (R.Pid > 0)
        Stopping.push_back({R.Pid, Clock::now() + Drain});
      Rev.Replicas.pop_back();
    }
    signalStopping();
  }

  void signalStopping() {
    auto Now = Clock::now();
    for (Stopped &S : Stopping) {
      if (!S.Termed && Now >= S.TermAt) {
        ::kill(-S.Pid, SIGTERM);
        ::kill(S.Pid, SIGTERM);
        S.Termed = true;
      } else if (S.Termed && Now >= S.TermAt + std::chrono::seconds(2)) {
        ::kill(-S.Pid, SIGKILL);
        ::kill(S.Pid, SIGKILL);
      }
    }
  }

  /// Reaps stopped processes, signalling them as they come due.
  void waitForExit() {
    for (int I = 0; I < 60; ++I) {
      reap();
      {
        std::lock_guard<std::mutex> G(Lock);
        if (Stopping.empty())
          return;
        signalStopping();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  void stopAll() {
    std::vector<std::unique_ptr<Proxy>> Closing;
    {
      std::lock_guard<std::mutex> G(Lock);
      for (auto &[K, W] : Workloads) {
        for (auto &[Id, Rev] : W.Revisions)
          stopReplicas(Rev, 0, std::chrono::milliseconds(0));
        for (auto &[P, Px] : W.Proxies)
          Closing.push_back(std::move(Px));
      }
      Workloads.clear();
    }
    for (auto &P : Closing)
      P->close();
    waitForExit();
  }

  void reap() {
    int Status;
    pid_t Pid;
    while ((Pid = waitpid(-1, &Status, WNOHANG)) > 0) {
      std::lock_guard<std::mutex> G(Lock);
      Stopping.erase(std::remove_if(Stopping.begin(), Stopping.end(),
                                    [&](const Stopped &S) { return S.Pid == Pid; }),
                     Stopping.end());
      for (auto &[K, W] : Workloads)
        for (auto &[Id, Rev] : W.Revisions)
          for (Replica &R : Rev.Replicas)
            if (R.Pid == Pid) {
              // Restart with back-off: 0.5s, 1s, 2s, ... up to 30s.
              R.Pid = 0;
              R.State = "crashed";
              R.LastExit = R.FailedLiveness ? "killed after failing its liveness checks"
                           : WIFSIGNALED(Status)
                               ? "killed by signal " + std::to_string(WTERMSIG(Status))
                               : "exited with status " + std::to_string(WEXITSTATUS(Status));
              R.FailedLiveness = false;
              double Delay = std::min(30000.0, 500.0 * (1 << std::min(R.Restarts, 6)));
              R.RestartAt = Clock::now() + std::chrono::milliseconds(int64_t(Delay));
              ++R.Restarts;
              Events.push_back({"replica.restart", W.Env, W.Name + "/" + Id + "/" + std::to_string(R.Index),
                                  R.LastExit + "; restart " + std::to_string(R.Restarts) +
                                      " in " + std::to_string(int(Delay)) + "ms",
                                  Rev.Spec.DriftSeverity});
            }
    }
  }

  //===--------------------------------------------------------------------===//
  // Supervision and health
  //===--------------------------------------------------------------------===//

  bool probe(const Probe &P, const Replica &R, const RunSpec &Spec, double TimeoutMs) {
    if (P.Kind.empty())
      return true;
    if (P.Kind == "exec") {
      if (P.Command.empty())
        return false;
      // Runs where and as the replica runs: its folder, its environment.
      std::vector<std::string> EnvStrings = replicaEnvironment(Spec, R);
      std::vector<char *> Argv, Envp;
      for (const std::string &A : P.Command)
        Argv.push_back(const_cast<char *>(A.c_str()));
      Argv.push_back(nullptr);
      for (const std::string &E : EnvStrings)
        Envp.push_back(const_cast<char *>(E.c_str()));
      Envp.push_back(nullptr);
      const char *Workdir = Spec.Workdir.empty() ? nullptr : Spec.Workdir.c_str();
      pid_t Pid = fork();
      if (Pid == 0) {
        setUpChildDescriptors(nullptr);
        if (Workdir && chdir(Workdir) != 0)
          _exit(127);
        execvpe(Argv[0], Argv.data(), Envp.data());
        _exit(127);
      }
      auto Start = Clock::now();
      int Status = 0;
      while (waitpid(Pid, &Status, WNOHANG) == 0) {
        if (msSince(Start) > TimeoutMs) {
          ::kill(Pid, SIGKILL);
          waitpid(Pid, &Status, 0);
          return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return WIFEXITED(Status) && WEXITSTATUS(Status) == 0;
    }
    auto It = R.Ports.find(P.PortName);
    int Port = It != R.Ports.end() ? It->second : (R.Ports.empty() ? 0 : R.Ports.begin()->second);
    if (!Port)
      return false;
    try {
      asio::io_context IO;
      beast::tcp_stream S(IO);
      S.socket().assign(tcp::v4(), cloexecTcpSocket());
      S.expires_after(std::chrono::milliseconds(int64_t(TimeoutMs)));
      S.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), Port));
      if (P.Kind == "tcp")
        return true;
      http::request<http::empty_body> Req{http::verb::get, P.Path, 11};
      Req.set(http::field::host, "127.0.0.1");
      http::write(S, Req);
      beast::flat_buffer B;
      http::response<http::string_body> Res;
      http::read(S, B, Res);
      return Res.result_int() >= 200 && Res.result_int() < 400;
    } catch (...) {
      return false;
    }
  }

  void supervise() {
    auto LastScalingLook = Clock::now();
    while (!Quit) {
      reap();
      housekeeping();
      flushEvents();
      if (msSince(LastScalingLook) >= 1000) {
        LastScalingLook = Clock::now();
        autoscale();
      }
      // Health checks: gather work under the lock, probe outside it.
      struct Check {
        std::string Key, Rev;
        int Index;
        Replica Copy;
        RunSpec Spec;
      };
      std::vector<Check> Work;
      {
        std::lock_guard<std::mutex> G(Lock);
        auto Now = Clock::now();
        for (auto &[K, W] : Workloads)
          for (auto &[Id, Rev] : W.Revisions)
            for (Replica &R : Rev.Replicas) {
              if (R.State == "pending" || (R.State == "crashed" && Now >= R.RestartAt)) {
                spawn(W, Rev, R);
                continue;
              }
              if (R.Pid > 0 && Now >= R.NextCheck) {
                R.NextCheck = Now + std::chrono::milliseconds(int64_t(Rev.Spec.PeriodMs));
                Work.push_back({K, Id, R.Index, R, Rev.Spec});
              }
            }
      }
      for (Check &C : Work) {
        bool Ready = probe(C.Spec.Readiness, C.Copy, C.Spec, C.Spec.TimeoutMs);
        bool Live = C.Spec.Liveness.Kind.empty()
                        ? true
                        : probe(C.Spec.Liveness, C.Copy, C.Spec, C.Spec.TimeoutMs);
        std::lock_guard<std::mutex> G(Lock);
        auto W = Workloads.find(C.Key);
        if (W == Workloads.end())
          continue;
        auto Rev = W->second.Revisions.find(C.Rev);
        if (Rev == W->second.Revisions.end())
          continue;
        for (Replica &R : Rev->second.Replicas) {
          if (R.Index != C.Index || R.Pid != C.Copy.Pid || R.Pid <= 0)
            continue;
          if (Ready) {
            R.Failures = 0;
            if (++R.Successes >= C.Spec.SuccessThreshold)
              R.State = "ready";
          } else {
            R.Successes = 0;
            if (++R.Failures >= C.Spec.FailureThreshold)
              R.State = "unhealthy";
          }
          // A replica failing liveness is restarted, whatever its readiness says.
          R.LivenessFailures = Live ? 0 : R.LivenessFailures + 1;
          if (R.LivenessFailures >= C.Spec.FailureThreshold) {
            R.FailedLiveness = true;
            ::kill(-R.Pid, SIGKILL);
            ::kill(R.Pid, SIGKILL);
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  /// Delayed stops that are due; SIGKILL for replicas that ignored SIGTERM.
  void housekeeping() {
    std::lock_guard<std::mutex> G(Lock);
    auto Now = Clock::now();
    for (auto &[K, W] : Workloads)
      for (auto It = W.Revisions.begin(); It != W.Revisions.end();) {
        if (It->second.StopAt && *It->second.StopAt <= Now) {
          stopReplicas(It->second, 0);
          W.Weights.erase(It->first);
          It = W.Revisions.erase(It);
        } else {
          ++It;
        }
      }
    signalStopping();
  }

  /// Events go to the state store. A crashed replica is also a drift finding:
  /// the agent saw fewer replicas than declared (and healed it).
  void flushEvents() {
    std::vector<Event> Pending;
    {
      std::lock_guard<std::mutex> G(Lock);
      Pending.swap(Events);
    }
    for (const Event &E : Pending) {
      std::fprintf(stderr, "%s %s %s of %s: %s\n", nowISO8601().c_str(), E.Action.c_str(),
                   E.Subject.c_str(), E.Env.c_str(), E.Detail.c_str());
      if (!Store)
        continue;
      Store->audit("deployc-agent", E.Action, E.Env, E.Subject, E.Detail);
      if (E.Action == "replica.restart")
        Store->recordDrift(E.Env, 1, E.Severity);
    }
  }

  //===--------------------------------------------------------------------===//
  // Autoscaling
  //===--------------------------------------------------------------------===//

  static uint64_t cpuTicks(pid_t Pid) {
    auto Buf = llvm::MemoryBuffer::getFileAsStream("/proc/" + std::to_string(Pid) + "/stat");
    if (!Buf)
      return 0;
    // Fields after the command (which may hold spaces) start after the last ')'.
    llvm::StringRef Rest = (*Buf)->getBuffer();
    Rest = Rest.substr(Rest.rfind(')') + 1);
    llvm::SmallVector<llvm::StringRef, 20> F;
    Rest.split(F, ' ', -1, false);
    // F[0] is the state (field 3); utime and stime are fields 14 and 15.
    uint64_t U = 0, S = 0;
    if (F.size() > 13 && !F[11].getAsInteger(10, U) && !F[12].getAsInteger(10, S))
      return U + S;
    return 0;
  }

  static double residentBytes(pid_t Pid) {
    auto Buf = llvm::MemoryBuffer::getFileAsStream("/proc/" + std::to_string(Pid) + "/statm");
    if (!Buf)
      return 0;
    llvm::SmallVector<llvm::StringRef, 4> F;
    (*Buf)->getBuffer().split(F, ' ', -1, false);
    uint64_t Pages = 0;
    if (F.size() > 1 && !F[1].getAsInteger(10, Pages))
      return double(Pages) * ::sysconf(_SC_PAGESIZE);
    return 0;
  }

  /// A metric of the window since the last look: error_rate (percent),
  /// latency_pNN (ms), request_rate (per second).
  static std::optional<double> windowMetric(const std::string &Name, const Metrics &M,
                                            uint64_t NewRequests, double Seconds) {
    if (Name == "request_rate")
      return NewRequests / std::max(0.001, Seconds);
    if (!NewRequests)
      return std::nullopt;
    size_t N = std::min<size_t>(NewRequests, M.Latencies.size());
    std::vector<double> L(M.Latencies.end() - N, M.Latencies.end());
    std::sort(L.begin(), L.end());
    if (Name == "error_rate" || Name == "success_rate") {
      // Errors are counted in total only; the window's share is the overall one.
      double Rate = M.Requests ? 100.0 * M.Errors / M.Requests : 0;
      return Name == "error_rate" ? Rate : 100 - Rate;
    }
    llvm::StringRef P(Name);
    unsigned Pct;
    if (L.empty() || !P.consume_front("latency_p") || P.getAsInteger(10, Pct))
      return std::nullopt;
    return L[std::min(L.size() - 1, size_t(Pct / 100.0 * (L.size() - 1) + 0.5))];
  }

  static bool holds(double V, const std::string &Op, double T) {
    if (Op == "<")
      return V < T;
    if (Op == "<=")
      return V <= T;
    if (Op == ">")
      return V > T;
    if (Op == ">=")
      return V >= T;
    if (Op == "==")
      return V == T;
    return V != T;
  }

  /// One look at every autoscaled workload that is not being rolled out:
  /// the HPA's rule (desired = ceil(current * observed / target)) for cpu and
  /// memory, one more replica while a scale-out event's conditions all hold,
  /// scale-down only to the highest recommendation of the stabilization
  /// window and not within the cooldown.
  void autoscale() {
    std::lock_guard<std::mutex> G(Lock);
    auto Now = Clock::now();
    long Tick = ::sysconf(_SC_CLK_TCK);
    for (auto &[K, W] : Workloads) {
      double Seconds = msSince(W.LastLook) / 1000;
      W.LastLook = Now;
      if (!W.Scaling || W.Revisions.size() != 1)
        continue;
      Revision &Rev = W.Revisions.begin()->second;
      const ScalingPolicy &P = *W.Scaling;
      uint64_t NewRequests = Rev.M.Requests >= W.RequestsAtLook ? Rev.M.Requests - W.RequestsAtLook
                                                                : Rev.M.Requests;
      W.RequestsAtLook = Rev.M.Requests;
      int Current = Rev.Desired;
      int Want = std::clamp(Current, P.Min, P.Max);
      std::string Why = Want != Current ? "outside the bounds " + std::to_string(P.Min) + ".." +
                                              std::to_string(P.Max)
                                        : "";
      bool AnyMetric = false;
      int Metric = P.Min;
      double CpuSum = 0, MemSum = 0;
      int Counted = 0;
      bool AllReady = true;
      for (Replica &R : Rev.Replicas) {
        AllReady &= R.State == "ready";
        if (R.Pid <= 0)
          continue;
        uint64_t T = cpuTicks(R.Pid);
        if (R.CpuTicks && T >= R.CpuTicks && Seconds > 0)
          CpuSum += double(T - R.CpuTicks) / Tick / Seconds * 1000; // millicores
        R.CpuTicks = T;
        MemSum += residentBytes(R.Pid);
        ++Counted;
      }
      auto ratio = [&](double Observed, double Target, const char *Name) {
        AnyMetric = true;
        int D = int(std::ceil(Current * Observed / Target - 1e-9));
        if (D > Metric) {
          Metric = D;
          char Buf[96];
          std::snprintf(Buf, sizeof(Buf), "%s at %.0f%% of the request (target %.0f%%)", Name,
                        Observed, Target);
          Why = Buf;
        }
      };
      if (Counted && P.CpuPercent > 0 && P.CpuRequestMilli > 0)
        ratio(CpuSum / Counted / P.CpuRequestMilli * 100, P.CpuPercent, "cpu");
      if (Counted && P.MemoryPercent > 0 && P.MemoryRequest > 0)
        ratio(MemSum / Counted / P.MemoryRequest * 100, P.MemoryPercent, "memory");
      int Recommended = AnyMetric ? Metric : Current;
      for (const std::vector<json> &Event : P.ScaleOutEvents) {
        bool All = !Event.empty();
        std::string Seen;
        for (const json &C : Event) {
          auto V = windowMetric(C.value("metric", ""), Rev.M, NewRequests, Seconds);
          All &= V && holds(*V, C.value("op", ">"), C.value("threshold", 0.0));
          if (V)
            Seen += (Seen.empty() ? "" : ", ") + C.value("metric", "") + " " +
                    std::to_string(int64_t(*V)) + " " + C.value("op", ">") + " " +
                    C.value("display", "");
        }
        if (All && Current + 1 > Recommended) {
          Recommended = Current + 1;
          Why = "scale-out event: " + Seen;
        }
      }
      Recommended = std::clamp(Recommended, P.Min, P.Max);
      W.Recommendations.push_back({Now, Recommended});
      while (!W.Recommendations.empty() &&
             msSince(W.Recommendations.front().first) > P.StabilizationMs)
        W.Recommendations.pop_front();
      if (Want == Current) {
        if (Recommended > Current && AllReady) {
          Want = Recommended;
        } else if (Recommended < Current && msSince(W.LastScaled) >= P.CooldownMs) {
          int Highest = 0;
          for (auto &[At, N] : W.Recommendations)
            Highest = std::max(Highest, N);
          Want = std::min(Current, Highest);
          Why = "load fell for the stabilization window";
        }
      }
      if (Want == Current)
        continue;
      Rev.Desired = Want;
      scale(W, Rev);
      W.LastScaled = Now;
      W.LastScaling = nowISO8601() + ": " + std::to_string(Current) + " -> " +
                      std::to_string(Want) + " (" + Why + ")";
      Events.push_back({"autoscale", W.Env, W.Name, W.LastScaling, ""});
    }
  }

  void loadProxyPorts() {
    auto Buf = llvm::MemoryBuffer::getFile(Dir + "/proxies.json");
    if (Buf)
      ProxyPorts = json::parse((*Buf)->getBuffer().str(), nullptr, false);
    if (!ProxyPorts.is_object())
      ProxyPorts = json::object();
  }

  void saveProxyPorts() {
    std::error_code EC;
    llvm::raw_fd_ostream OS(Dir + "/proxies.json", EC);
    if (!EC)
      OS << ProxyPorts.dump(2) << "\n";
  }

  std::string Dir, StatePath, PidFile;
  std::mutex Lock;
  std::map<std::string, Workload> Workloads;
  struct Stopped {
    pid_t Pid;
    Clock::time_point TermAt;
    bool Termed = false;
  };
  std::vector<Stopped> Stopping;
  static constexpr std::chrono::milliseconds DrainTime{500};
  struct Event {
    std::string Action, Env, Subject, Detail, Severity;
  };
  std::vector<Event> Events; ///< Not yet in the state store.
  std::unique_ptr<StateStore> Store;
  int ToSupervisor = -1, FromSupervisor = -1;
  std::mutex ReportLock; ///< Orders reportDesiredState's snapshots and writes.
  json ProxyPorts;
  std::atomic<bool> Quit{false};
  std::mt19937 Rng{std::random_device()()};
  unsigned RoundRobin = 0;
};

static void serveConnection(Agent &A, const std::string &Env, const std::string &Workload,
                            const std::string &PortName, tcp::socket Client);

void Proxy::start(int Wanted) {
  beast::error_code EC;
  tcp::endpoint EP(asio::ip::make_address("127.0.0.1"), Wanted);
  Acceptor.assign(EP.protocol(), cloexecTcpSocket(), EC);
  Acceptor.set_option(asio::socket_base::reuse_address(true), EC);
  Acceptor.bind(EP, EC);
  if (EC && Wanted) {
    // The remembered port is taken: take another one.
    EC = {};
    Acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), EC);
  }
  Acceptor.listen(asio::socket_base::max_listen_connections, EC);
  Port = Acceptor.local_endpoint(EC).port();
  Thread = std::thread([this] {
    while (!Stop) {
      // accept4, not Acceptor.accept: the connection must be close-on-exec
      // from its first moment, or a replica forked meanwhile inherits it.
      int Fd = ::accept4(Acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
      if (Fd < 0)
        continue;
      beast::error_code E;
      tcp::socket S(IO);
      S.assign(tcp::v4(), Fd, E);
      if (E) {
        ::close(Fd);
        continue;
      }
      if (Stop)
        break;
      // A session outlives nothing of the proxy but the agent (the process).
      std::thread([&Agent = A, Env = Env, W = Workload, P = PortName,
                   Sock = std::move(S)]() mutable {
        serveConnection(Agent, Env, W, P, std::move(Sock));
      }).detach();
    }
  });
}

static void serveConnection(Agent &A, const std::string &Env, const std::string &Workload,
                            const std::string &PortName, tcp::socket Client) {
  beast::flat_buffer Buf;
  for (;;) {
    http::request<http::string_body> Req;
    beast::error_code EC;
    http::read(Client, Buf, Req, EC);
    if (EC)
      return;
    bool KeepAlive = Req.keep_alive();
    auto Start = Clock::now();
    http::response<http::string_body> Res;
    std::string Revision;
    bool Failed = false;
    // A replica may go away between the pick and the connect: one retry on
    // another pick, as a mesh retries connect failures.
    for (int Attempt = 0; Attempt < 2; ++Attempt) {
      auto Backend = A.pick(Env, Workload, PortName);
      if (!Backend) {
        Res = http::response<http::string_body>(http::status::service_unavailable,
                                                Req.version());
        Res.body() = "deployc: no ready replica\n";
        Failed = true;
        break;
      }
      Revision = Backend->Revision;
      asio::io_context IO2;
      beast::tcp_stream Up(IO2);
      Up.expires_after(std::chrono::seconds(30));
      beast::error_code ConnectEC;
      Up.socket().assign(tcp::v4(), cloexecTcpSocket(), ConnectEC);
      if (!ConnectEC)
        Up.socket().connect(
          tcp::endpoint(asio::ip::make_address("127.0.0.1"), Backend->Port), ConnectEC);
      if (ConnectEC && Attempt == 0) {
        // Counted against the revision even though the client is served.
        A.record(Env, Workload, Revision, msSince(Start), /*Error=*/true);
        continue;
      }
      try {
        if (ConnectEC)
          throw beast::system_error(ConnectEC);
        Req.keep_alive(false);
        Req.prepare_payload();
        http::write(Up, Req);
        beast::flat_buffer UpBuf;
        http::read(Up, UpBuf, Res);
        Failed = Res.result_int() >= 500;
      } catch (...) {
        Res = http::response<http::string_body>(http::status::bad_gateway, Req.version());
        Res.body() = "deployc: the replica did not answer\n";
        Failed = true;
      }
      break;
    }
    if (!Revision.empty())
      A.record(Env, Workload, Revision, msSince(Start), Failed);
    Res.set("X-Deployc-Revision", Revision);
    Res.keep_alive(KeepAlive);
    Res.prepare_payload();
    http::write(Client, Res, EC);
    if (EC || !KeepAlive)
      return;
  }
}

} // namespace

int interp::runAgent(const std::string &StatePath) {
  signal(SIGPIPE, SIG_IGN);
  // One supervisor per state folder: a command that started a second one
  // while the first restarts its agent gets the first's agent.
  std::string RunDir = llvm::sys::path::parent_path(agentSocketPath(StatePath)).str();
  llvm::sys::fs::create_directories(llvm::sys::path::parent_path(RunDir));
  if (!makePrivateFolder(RunDir))
    return 1;
  std::string LockPath = RunDir + "/supervisor.lock";
  int LockFd = ::open(LockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  // A supervisor that is finishing (its agent stops its replicas after
  // `down`) holds the lock a little longer: wait for it before leaving.
  bool Locked = LockFd >= 0 && ::flock(LockFd, LOCK_EX | LOCK_NB) == 0;
  for (int I = 0; LockFd >= 0 && !Locked && I < 50; ++I) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Locked = ::flock(LockFd, LOCK_EX | LOCK_NB) == 0;
  }
  if (!Locked) {
    std::fprintf(stderr, "%s deployc agent: another supervisor serves %s; leaving\n",
                 nowISO8601().c_str(), RunDir.c_str());
    return 0;
  }
  // The supervisor restarts an agent that was killed or crashed, and hands
  // the new one what the old one ran (which only the agent's memory held:
  // the secret values are never on disk). A clean exit ends both.
  std::string Desired; // the agent's last report, without its line break
  std::string Why;     // how the previous agent ended; empty on the first start
  std::deque<Clock::time_point> Restarts;
  pid_t Supervisor = getpid();
  for (;;) {
    int Up[2], Down[2];
    if (::pipe2(Up, O_CLOEXEC) != 0 || ::pipe2(Down, O_CLOEXEC) != 0) {
      std::perror("deployc agent: cannot make the supervisor's pipes");
      return 1;
    }
    pid_t Pid = fork();
    if (Pid < 0) {
      std::perror("deployc agent: cannot start the agent");
      return 1;
    }
    if (Pid == 0) {
      // The agent, its replicas with it, dies with the supervisor.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != Supervisor)
        _exit(1);
      ::close(Up[0]);
      ::close(Down[1]);
      Agent A(StatePath, Up[1], Why.empty() ? (::close(Down[0]), -1) : Down[0]);
      _exit(A.run());
    }
    ::close(Up[1]);
    ::close(Down[0]);
    if (!Why.empty())
      writeAll(Down[1], Why + "\n" + Desired);
    ::close(Down[1]);
    // The agent's reports until it ends; the newest complete line counts.
    std::string Buffer;
    char Chunk[65536];
    for (ssize_t N; (N = ::read(Up[0], Chunk, sizeof(Chunk))) != 0;) {
      if (N < 0 && errno == EINTR)
        continue;
      if (N < 0)
        break;
      Buffer.append(Chunk, N);
      for (size_t NL; (NL = Buffer.find('\n')) != std::string::npos; Buffer.erase(0, NL + 1))
        Desired = Buffer.substr(0, NL);
    }
    ::close(Up[0]);
    int Status = 0;
    while (::waitpid(Pid, &Status, 0) < 0 && errno == EINTR)
      ;
    if (!WIFSIGNALED(Status))
      return WIFEXITED(Status) ? WEXITSTATUS(Status) : 1;
    Why = "the agent (pid " + std::to_string(Pid) + ") was killed by signal " +
          std::to_string(WTERMSIG(Status));
    // Five restarts within a minute: something kills it on purpose, or it
    // crashes on what it restores; stop, and let the next command say so.
    auto Now = Clock::now();
    Restarts.push_back(Now);
    while (!Restarts.empty() && Now - Restarts.front() > std::chrono::minutes(1))
      Restarts.pop_front();
    if (Restarts.size() > 5) {
      std::fprintf(stderr, "%s deployc agent: %s, the 6th time in a minute; not restarting it\n",
                   nowISO8601().c_str(), Why.c_str());
      return 1;
    }
    std::fprintf(stderr, "%s deployc agent: %s; restarting it\n", nowISO8601().c_str(),
                 Why.c_str());
    if (Restarts.size() > 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(250 << (Restarts.size() - 1)));
  }
}

/// The state folder: where the state store, agent.log and the agent's own
/// folder are.
static std::string stateFolder(const std::string &StatePath) {
  std::string Dir = llvm::sys::path::parent_path(StatePath).str();
  return Dir.empty() ? "." : Dir;
}

std::string interp::agentSocketPath(const std::string &StatePath) {
  llvm::SmallString<256> P(stateFolder(StatePath));
  llvm::sys::path::append(P, "agent", "agent.sock");
  return std::string(P);
}

std::string interp::agentPidPath(const std::string &StatePath) {
  llvm::SmallString<256> P(stateFolder(StatePath));
  llvm::sys::path::append(P, "agent", "agent.pid");
  return std::string(P);
}

char AgentStoppedError::ID;

void AgentStoppedError::log(llvm::raw_ostream &OS) const {
  const DiagInfo &Info = getDiagInfo(DiagID::AgentStoppedUnexpectedly);
  OS << "error[" << Info.Code << "]: "
     << formatDiagMessage(Info.Message, {std::to_string(Pid), LogPath});
}

/// Whether a supervisor serves the state folder (it holds the lock): its
/// agent is restarting, not stopped.
static bool supervisorAlive(const std::string &StatePath) {
  std::string LockPath =
      llvm::sys::path::parent_path(agentSocketPath(StatePath)).str() + "/supervisor.lock";
  int Fd = ::open(LockPath.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (Fd < 0)
    return false;
  bool Held = ::flock(Fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(Fd);
  return Held;
}

/// The pid of an agent that died without cleaning up after itself: its pid
/// file is there but the process is gone, and no supervisor is restarting
/// it. 0 when there is none.
static pid_t stoppedAgentPid(const std::string &StatePath) {
  if (supervisorAlive(StatePath))
    return 0;
  auto Buf = llvm::MemoryBuffer::getFile(agentPidPath(StatePath));
  if (!Buf)
    return 0;
  int Pid = 0;
  if (llvm::StringRef((*Buf)->getBuffer()).trim().getAsInteger(10, Pid) || Pid <= 0)
    return 0;
  // A zombie is dead too: the agent is a daemon, and whoever inherited it
  // (PID 1 in a container) may not reap it.
  auto Stat = llvm::MemoryBuffer::getFileAsStream("/proc/" + std::to_string(Pid) + "/stat");
  if (!Stat)
    return Pid;
  llvm::StringRef Rest = (*Stat)->getBuffer();
  Rest = Rest.substr(Rest.rfind(')') + 1).ltrim();
  return Rest.startswith("Z") || Rest.startswith("X") ? Pid : 0;
}

void interp::forgetStoppedAgent(const std::string &StatePath) {
  // A supervisor restarting its agent owns these files.
  if (supervisorAlive(StatePath))
    return;
  ::unlink(agentPidPath(StatePath).c_str());
  ::unlink(agentSocketPath(StatePath).c_str());
}

int interp::runProcess(const std::vector<std::string> &Argv,
                       const std::vector<std::string> *Env, const std::string &LogPath,
                       const std::string &Workdir, unsigned TimeoutSeconds) {
  if (Argv.empty())
    return -1;
  // Everything the child needs is built before fork.
  std::vector<char *> ArgvP, EnvP;
  for (const std::string &A : Argv)
    ArgvP.push_back(const_cast<char *>(A.c_str()));
  ArgvP.push_back(nullptr);
  if (Env) {
    for (const std::string &E : *Env)
      EnvP.push_back(const_cast<char *>(E.c_str()));
    EnvP.push_back(nullptr);
  }
  char **Envp = Env ? EnvP.data() : environ;
  pid_t Pid = fork();
  if (Pid < 0)
    return -1;
  if (Pid == 0) {
    if (LogPath.empty())
      setUpInheritingOutput();
    else
      setUpChildDescriptors(LogPath.c_str());
    if (!Workdir.empty() && chdir(Workdir.c_str()) != 0)
      _exit(127);
    execvpe(ArgvP[0], ArgvP.data(), Envp);
    _exit(127);
  }
  auto Start = Clock::now();
  int Status = 0;
  for (;;) {
    pid_t R = waitpid(Pid, &Status, WNOHANG);
    if (R == Pid)
      break;
    if (R < 0 && errno != EINTR)
      return -1;
    if (TimeoutSeconds && msSince(Start) > TimeoutSeconds * 1000.0) {
      ::kill(Pid, SIGKILL);
      waitpid(Pid, &Status, 0);
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFSIGNALED(Status))
    return -2;
  return WEXITSTATUS(Status);
}

//===----------------------------------------------------------------------===//
// Client
//===----------------------------------------------------------------------===//

static int connectSocket(const std::string &Path) {
  int Fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un Addr{};
  Addr.sun_family = AF_UNIX;
  if (Fd < 0 || Path.size() >= sizeof(Addr.sun_path)) {
    if (Fd >= 0)
      ::close(Fd);
    return -1;
  }
  std::strcpy(Addr.sun_path, Path.c_str());
  if (::connect(Fd, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr)) != 0) {
    ::close(Fd);
    return -1;
  }
  return Fd;
}

llvm::Expected<AgentClient> AgentClient::connect(const std::string &StatePath,
                                                 const std::string &DeploycPath) {
  auto C = open(StatePath, DeploycPath, /*Start=*/true);
  if (!C)
    return C.takeError();
  return std::move(**C);
}

llvm::Expected<std::optional<AgentClient>>
AgentClient::connectRunning(const std::string &StatePath) {
  return open(StatePath, "", /*Start=*/false);
}

llvm::Expected<std::optional<AgentClient>>
AgentClient::open(const std::string &StatePath, const std::string &DeploycPath, bool Start) {
  std::string Sock = agentSocketPath(StatePath);
  std::string StateDir = stateFolder(StatePath);
  std::string LogPath = StateDir + "/agent.log";
  int Fd = connectSocket(Sock);
  if (Fd < 0 && !Start)
    if (pid_t Stopped = stoppedAgentPid(StatePath))
      return llvm::make_error<AgentStoppedError>(Stopped, LogPath);
  if (Fd < 0 && Start) {
    llvm::sys::fs::create_directories(StateDir);
    pid_t Pid = fork();
    if (Pid == 0) {
      // A daemon: its own session, so the caller's terminal and exit do not
      // touch it; its output goes to agent.log in the state folder, and it
      // keeps none of the caller's descriptors (the vault, the state store).
      setsid();
      if (fork() != 0)
        _exit(0);
      setUpChildDescriptors(LogPath.c_str());
      execl(DeploycPath.c_str(), DeploycPath.c_str(), "agent", "--state", StatePath.c_str(),
            (char *)nullptr);
      _exit(127);
    }
    int Status;
    waitpid(Pid, &Status, 0);
    for (int I = 0; I < 100 && Fd < 0; ++I) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      Fd = connectSocket(Sock);
    }
  }
  if (Fd < 0 && !Start)
    return std::nullopt;
  if (Fd < 0)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the agent did not start; see " + LogPath);
  // Requests carry secret values: they go to an agent of this user only.
  ucred Cred{};
  socklen_t Len = sizeof(Cred);
  if (::getsockopt(Fd, SOL_SOCKET, SO_PEERCRED, &Cred, &Len) != 0 || Cred.uid != ::geteuid()) {
    ::close(Fd);
    const DiagInfo &Info = getDiagInfo(DiagID::AgentSocketNotOwned);
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "error[" + Info.Code.str() + "]: " +
            formatDiagMessage(Info.Message,
                              {Sock, std::to_string(Cred.uid), std::to_string(::geteuid()),
                               llvm::sys::path::parent_path(Sock).str()}));
  }
  AgentClient C;
  C.Fd = Fd;
  C.ServerPid = Cred.pid;
  C.LogPath = LogPath;
  return std::optional<AgentClient>(std::move(C));
}

AgentClient::AgentClient(AgentClient &&O) noexcept
    : Fd(O.Fd), ServerPid(O.ServerPid), Lost(O.Lost),
      LogPath(std::move(O.LogPath)), Buffer(std::move(O.Buffer)) {
  O.Fd = -1;
}

AgentClient &AgentClient::operator=(AgentClient &&O) noexcept {
  std::swap(Fd, O.Fd);
  std::swap(ServerPid, O.ServerPid);
  std::swap(Lost, O.Lost);
  std::swap(LogPath, O.LogPath);
  std::swap(Buffer, O.Buffer);
  return *this;
}

AgentClient::~AgentClient() {
  if (Fd >= 0)
    ::close(Fd);
}

llvm::Error AgentClient::connectionLost() {
  Lost = true;
  if (Fd >= 0)
    ::close(Fd);
  Fd = -1;
  return llvm::make_error<AgentStoppedError>(ServerPid, LogPath);
}

llvm::Expected<json> AgentClient::call(const json &Request) {
  if (Lost)
    return connectionLost();
  std::string Line = Request.dump() + "\n";
  // MSG_NOSIGNAL: a dead agent is an answer, not a SIGPIPE that ends us.
  for (size_t Sent = 0; Sent < Line.size();) {
    ssize_t N = ::send(Fd, Line.data() + Sent, Line.size() - Sent, MSG_NOSIGNAL);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return connectionLost();
    Sent += N;
  }
  char Chunk[65536];
  size_t NL;
  while ((NL = Buffer.find('\n')) == std::string::npos) {
    ssize_t N = ::read(Fd, Chunk, sizeof(Chunk));
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return connectionLost();
    Buffer.append(Chunk, N);
  }
  json Reply = json::parse(Buffer.substr(0, NL), nullptr, false);
  Buffer.erase(0, NL + 1);
  if (!Reply.is_object())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "bad answer from the agent");
  if (Reply.contains("error"))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "agent: " + Reply["error"].get<std::string>());
  return Reply;
}
