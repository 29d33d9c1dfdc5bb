#include "broker/rest/rest_api.h"

#include <strings.h>

#include <boost/json/parse.hpp>
#include <charconv>
#include <vector>

#include "broker/http/peer_address.h"
#include "broker/rest/routes.h"
#include "protocol/http_response.h"
#include "protocol/url.h"

namespace ringcast::broker::rest {
namespace {

constexpr std::string_view api_prefix = "/api/v1";
constexpr auto sweep_interval = std::chrono::seconds(60);

enum class auth : std::uint8_t { none, any, staff };

struct route {
  protocol::http_method method;
  std::string_view pattern;  // segments after /api/v1; "{}" matches one segment
  auth who;
  bool takes_body;
  void (*handler)(rest_context&, rest_request&);
};

using protocol::http_method;
constexpr route routes[] = {
    {http_method::get, "/conversations", auth::any, false, list_conversations},
    {http_method::post, "/conversations", auth::staff, true, create_conversation},
    {http_method::get, "/conversations/{}", auth::any, false, get_conversation},
    {http_method::patch, "/conversations/{}", auth::staff, true, update_conversation},
    {http_method::get, "/conversations/{}/messages", auth::any, false, list_messages},
    {http_method::post, "/conversations/{}/messages", auth::any, true, post_message},
    {http_method::post, "/conversations/{}/read", auth::any, true, mark_read},
    {http_method::get, "/unread", auth::any, false, get_unread},
    {http_method::post, "/widget/sessions", auth::none, true, create_widget_session},
    {http_method::post, "/realtime/subscribe", auth::any, true, realtime_subscribe},
    {http_method::get, "/knowledge", auth::staff, false, list_knowledge},
    {http_method::post, "/knowledge", auth::staff, true, create_knowledge},
    {http_method::put, "/knowledge/{}", auth::staff, true, replace_knowledge},
    {http_method::delete_, "/knowledge/{}", auth::staff, false, delete_knowledge},
    {http_method::get, "/metrics/summary", auth::staff, false, metrics_summary},
};

// Whether `path` fits `pattern`; the {} segments go to `params`.
bool matches(std::string_view pattern, std::string_view path, std::string (&params)[2]) {
  std::size_t n = 0;
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const auto pe = pattern.find('/'), se = path.find('/');
    const std::string_view pseg = pattern.substr(0, pe), seg = path.substr(0, se);
    if (pseg == "{}") {
      if (seg.empty() || n == 2) return false;
      params[n++] = std::string(seg);
    } else if (pseg != seg) {
      return false;
    }
    pattern = pe == std::string_view::npos ? std::string_view{} : pattern.substr(pe);
    path = se == std::string_view::npos ? std::string_view{} : path.substr(se);
  }
  return true;
}

std::string method_names(std::string_view path) {
  std::string out;
  for (const route& r : routes) {
    std::string params[2];
    if (!matches(r.pattern, path, params)) continue;
    if (!out.empty()) out += ", ";
    switch (r.method) {
      case http_method::get: out += "GET"; break;
      case http_method::post: out += "POST"; break;
      case http_method::put: out += "PUT"; break;
      case http_method::patch: out += "PATCH"; break;
      case http_method::delete_: out += "DELETE"; break;
      default: break;
    }
  }
  return out;
}

bool is_json(std::string_view type) {
  const auto semi = type.find(';');
  std::string_view media = type.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  constexpr std::string_view want = "application/json";
  if (media.size() != want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(media[i])) != want[i]) return false;
  return true;
}

}  // namespace

boost::json::object query_object(std::string_view query, std::initializer_list<std::string_view> numbers,
                                 std::initializer_list<std::string_view> booleans) {
  boost::json::object out;
  protocol::query_reader reader(query);
  std::string key, value;
  while (reader.next(key, value)) {
    if (out.contains(key)) continue;  // the first one counts
    bool done = false;
    for (auto n : numbers) {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (n == key && ec == std::errc() && end == value.data() + value.size()) {
        out[key] = v;
        done = true;
      }
    }
    for (auto b : booleans)
      if (b == key && (value == "true" || value == "false")) {
        out[key] = value == "true";
        done = true;
      }
    if (!done) out[key] = value;
  }
  return out;
}

rest_api::rest_api(reactor::shard& shard, inbox::inbox_shard& in, const inbox::inbox_config& inbox_cfg,
                   const rest_config& cfg, ai::ai_service* ai, const inbox::inbox_shards& peers, broker_stats& stats,
                   const protocol::cors_policy* cors)
    : shard_(shard), stats_(stats), cors_(cors), ctx_(in, inbox_cfg, cfg, ai, peers) {
  sweep_timer_ = shard_.timers().schedule_after(sweep_interval, [this] {
    ctx_.widget_limit.sweep(shard_.now());
    shard_.timers().rearm_after(sweep_timer_, sweep_interval);
  });
}

rest_api::~rest_api() { shard_.timers().cancel(sweep_timer_); }

http_outcome rest_api::handle(http_connection& hc, const protocol::http_request& req) {
  const std::string_view origin = req.find_header("Origin").value_or("");
  if (cors_ && req.method == http_method::options) {
    // A browser's preflight for a cross-origin call (the widget on a customer's site).
    std::string preflight;
    protocol::write_preflight_response(preflight, *cors_, origin,
                                       req.find_header("Access-Control-Request-Headers").value_or(""), req.keep_alive,
                                       "GET, POST, PUT, PATCH, DELETE");
    hc.conn().send(preflight);
    return http_outcome::done;
  }
  auto out = std::make_shared<exchange>(shard_, hc.conn().id(), req.keep_alive, stats_);
  if (cors_) {
    std::vector<protocol::http_header_field> fields;
    protocol::append_cors_headers(*cors_, origin, fields);
    out->add_headers(fields);
  }
  rest_request r;
  r.out = out;
  std::string_view path = req.path.substr(api_prefix.size());
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const route* found = nullptr;
  for (const route& candidate : routes)
    if (candidate.method == req.method && matches(candidate.pattern, path, r.params)) {
      found = &candidate;
      break;
    }
  auto finish = [&]() {
    if (auto early = out->release_early()) {
      hc.conn().send(*early);
      return http_outcome::done;
    }
    // Not answered yet: an asynchronous step will, through answer_held().
    return out->answered() ? http_outcome::done : http_outcome::hold;
  };
  if (!found) {
    const std::string allowed = method_names(path);
    if (allowed.empty()) out->error(404, "not_found", "no such route: " + std::string(req.path));
    else out->error(405, "method_not_allowed", "this route takes " + allowed, std::nullopt, "Allow: " + allowed);
    return finish();
  }
  if (found->who != auth::none) {
    std::string_view header = req.find_header("Authorization").value_or("");
    constexpr std::string_view scheme = "Bearer ";
    std::string_view token;
    if (header.size() > scheme.size() && strncasecmp(header.data(), scheme.data(), scheme.size()) == 0)
      token = header.substr(scheme.size());
    inbox::auth_result a = ctx_.inbox.verifier->verify(token, std::chrono::system_clock::now());
    if (!a.who) {
      out->error(401, inbox::to_string(token.empty() ? inbox::auth_error::missing_token : a.error),
                 token.empty() ? "send Authorization: Bearer <token>" : "the token was refused", std::nullopt,
                 "WWW-Authenticate: Bearer");
      return finish();
    }
    if (found->who == auth::staff && a.who->role != inbox::role::staff) {
      out->error(403, "forbidden", "staff only");
      return finish();
    }
    r.who = std::move(a.who);
    r.bearer = std::string(token);
  }
  const std::string_view body = req.body();
  if (found->takes_body && !body.empty()) {
    if (body.size() > ctx_.cfg.max_body_bytes) {
      out->error(413, "payload_too_large", "the body is larger than --rest-max-body bytes");
      return finish();
    }
    if (!is_json(req.find_header("Content-Type").value_or(""))) {
      out->error(415, "unsupported_media_type", "the body must be application/json");
      return finish();
    }
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) {
      out->error(400, "bad_request", ec ? "the body is not valid JSON" : "the body must be a JSON object");
      return finish();
    }
    r.body = std::move(v.as_object());
  }
  r.query = std::string(req.query);
  r.host = std::string(req.host);
  r.idempotency_key = std::string(req.find_header("Idempotency-Key").value_or(""));
  if (found->handler == create_widget_session) r.client_address = peer_address(hc.conn().fd());
  found->handler(ctx_, r);
  return finish();
}

}  // namespace ringcast::broker::rest
