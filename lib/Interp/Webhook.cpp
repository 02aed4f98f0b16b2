//===- Webhook.cpp - POSTing a notification (Boost.Beast) -----------------===//
//
// Channels with a webhook get a JSON POST: `{"text": MESSAGE}`. Plain HTTP
// only (a notification proxy or a local service); the URL is http://host[:port]/path.
//
//===----------------------------------------------------------------------===//

#include "deployc/Interp/Engine.h"
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <regex>

using namespace deployc;
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

std::string interp::postWebhook(const std::string &URL, const std::string &Message) {
  static const std::regex Parts(R"(^http://([^/:]+)(?::(\d+))?(/.*)?$)");
  std::smatch M;
  if (!std::regex_match(URL, M, Parts))
    return "only http:// webhooks are supported";
  std::string Host = M[1], Port = M[2].matched ? M[2].str() : "80",
              Path = M[3].matched ? M[3].str() : "/";
  try {
    asio::io_context IO;
    asio::ip::tcp::resolver Resolver(IO);
    beast::tcp_stream Stream(IO);
    Stream.expires_after(std::chrono::seconds(10));
    Stream.connect(Resolver.resolve(Host, Port));
    http::request<http::string_body> Req{http::verb::post, Path, 11};
    Req.set(http::field::host, Host);
    Req.set(http::field::user_agent, "deployc");
    Req.set(http::field::content_type, "application/json");
    Req.body() = nlohmann::json{{"text", Message}}.dump();
    Req.prepare_payload();
    http::write(Stream, Req);
    beast::flat_buffer Buffer;
    http::response<http::string_body> Res;
    http::read(Stream, Buffer, Res);
    beast::error_code EC;
    Stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, EC);
    if (Res.result_int() >= 300)
      return "HTTP " + std::to_string(Res.result_int());
    return "";
  } catch (const std::exception &E) {
    return E.what();
  }
}
