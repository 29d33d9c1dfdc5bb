#include "broker/app/dev_login.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstring>
#include <exception>

#include "broker/http/peer_address.h"
#include "protocol/http_response.h"

namespace ringcast::broker {
namespace {

// A development staff session lasts a working day.
constexpr std::chrono::hours token_ttl{8};
constexpr std::size_t max_claim_bytes = 200;  // the token verifier's limit on sub and name

// 127.0.0.0/8, ::1, or ::ffff:127.x.x.x (peer_address gives the address in network order).
bool loopback_peer(int fd) {
  const std::string a = peer_address(fd);
  if (a.size() == 4) return std::uint8_t(a[0]) == 127;
  if (a.size() != 16) return false;
  const std::string_view v6(a);
  if (v6 == std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16)) return true;
  return v6.substr(0, 12) == std::string_view("\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) && std::uint8_t(a[12]) == 127;
}

void json_answer(std::string& out, int status, const boost::json::value& body, bool keep_alive) {
  const protocol::http_header_field fields[] = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
  protocol::write_response(out, status, fields, boost::json::serialize(body), keep_alive);
}

void error_answer(std::string& out, int status, std::string_view code, std::string_view message, bool keep_alive) {
  json_answer(out, status, {{"error", {{"code", code}, {"message", message}}}}, keep_alive);
}

// A claim from the body: absent gives `fallback`, anything but a string of 1 to 200 bytes is bad.
bool claim(const boost::json::object& body, std::string_view name, std::string_view fallback, std::string& out) {
  const boost::json::value* v = body.if_contains(name);
  if (!v || v->is_null()) {
    out = fallback;
    return true;
  }
  if (!v->is_string() || v->as_string().empty() || v->as_string().size() > max_claim_bytes) return false;
  out = v->as_string();
  return true;
}

}  // namespace

void answer_dev_token(const inbox::jwt_config& key, const protocol::http_request& req, int fd, std::string& out) {
  const bool keep = req.keep_alive;
  // A GET says the sign-in is there (the inbox page asks before it offers it); 404 without the flag.
  if (req.method == protocol::http_method::get || req.method == protocol::http_method::head) {
    const protocol::http_header_field fields[] = {{"Cache-Control", "no-store"}};
    protocol::write_response(out, 204, fields, {}, keep);
    return;
  }
  if (req.method != protocol::http_method::post) {
    const protocol::http_header_field fields[] = {{"Allow", "GET, HEAD, POST"}, {"Content-Type", "text/plain; charset=utf-8"}};
    protocol::write_response(out, 405, fields, "method not allowed\n", keep);
    return;
  }
  if (!loopback_peer(fd))
    return error_answer(out, 403, "forbidden", "development sign-in answers loopback clients only", keep);
  boost::json::object body;
  if (!req.body().empty()) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(req.body(), ec);
    if (ec || !v.is_object()) return error_answer(out, 400, "bad_request", "the body must be a JSON object", keep);
    body = std::move(v.as_object());
  }
  inbox::identity who;
  who.role = inbox::role::staff;
  if (!claim(body, "sub", "dev-staff", who.sub) || !claim(body, "name", "Support (dev)", who.name))
    return error_answer(out, 400, "bad_request", "sub and name must be strings of 1 to 200 bytes", keep);
  try {
    const std::string token = inbox::issue_token(key, who, token_ttl, std::chrono::system_clock::now());
    json_answer(out, 200, {{"token", token}, {"sub", who.sub}, {"name", who.name}, {"role", "staff"}}, keep);
  } catch (const std::exception& e) {
    error_answer(out, 500, "internal", e.what(), keep);
  }
}

}  // namespace ringcast::broker
