//===- testsvc.cpp - An HTTP service the local engine's tests run ---------===//
//
// Listens on 127.0.0.1:$PORT and behaves as TESTSVC_MODE says:
//   healthy      200 everywhere (the default)
//   fail-health  /healthz and /ready answer 503, the rest 200
//   errors       TESTSVC_ERROR_RATE (0..1) of the other requests answer 500
//   slow         every request waits TESTSVC_DELAY_MS first
//   crash        exits at once with status 3
// Other paths answer `VERSION REVISION REPLICA` (TESTSVC_VERSION,
// DEPLOYC_REVISION, DEPLOYC_REPLICA) and, for /env/NAME, that variable.
//
//===----------------------------------------------------------------------===//

#include <utility> // Before Asio: its awaitable.hpp uses std::exchange.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

static std::string env(const char *Name, const char *Default = "") {
  const char *V = std::getenv(Name);
  return V ? V : Default;
}

static void serve(tcp::socket S) {
  std::string Mode = env("TESTSVC_MODE", "healthy");
  double ErrorRate = std::atof(env("TESTSVC_ERROR_RATE", "0").c_str());
  int DelayMs = std::atoi(env("TESTSVC_DELAY_MS", "0").c_str());
  thread_local std::mt19937 Rng{std::random_device()()};
  beast::flat_buffer Buf;
  for (;;) {
    http::request<http::string_body> Req;
    beast::error_code EC;
    http::read(S, Buf, Req, EC);
    if (EC)
      return;
    if (Mode == "slow")
      std::this_thread::sleep_for(std::chrono::milliseconds(DelayMs));
    std::string Target(Req.target());
    http::response<http::string_body> Res{http::status::ok, Req.version()};
    if (Target == "/healthz" || Target == "/ready") {
      if (Mode == "fail-health")
        Res.result(http::status::service_unavailable);
      Res.body() = Mode == "fail-health" ? "unhealthy\n" : "ok\n";
    } else if (Target.rfind("/env/", 0) == 0) {
      Res.body() = env(Target.substr(5).c_str()) + "\n";
    } else {
      if (Mode == "errors" && std::uniform_real_distribution<double>(0, 1)(Rng) < ErrorRate)
        Res.result(http::status::internal_server_error);
      Res.body() = env("TESTSVC_VERSION", "v0") + " " + env("DEPLOYC_REVISION") + " " +
                   env("DEPLOYC_REPLICA") + "\n";
    }
    Res.keep_alive(Req.keep_alive());
    Res.prepare_payload();
    http::write(S, Res, EC);
    if (EC || !Req.keep_alive())
      return;
  }
}

int main() {
  if (env("TESTSVC_MODE") == "crash")
    return 3;
  int Port = std::atoi(env("PORT", "0").c_str());
  asio::io_context IO;
  tcp::acceptor A(IO, tcp::endpoint(asio::ip::make_address("127.0.0.1"), Port));
  std::cout << "testsvc listening on " << A.local_endpoint().port() << std::endl;
  for (;;) {
    tcp::socket S(IO);
    beast::error_code EC;
    A.accept(S, EC);
    if (!EC)
      std::thread(serve, std::move(S)).detach();
  }
}
