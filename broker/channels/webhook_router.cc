#include "broker/channels/webhook_router.h"

#include "broker/channels/inbound_store.h"
#include "protocol/header_params.h"
#include "protocol/http_response.h"
#include "protocol/multipart.h"
#include "reactor/log.h"

namespace ringcast::broker::channels {

// What outlives the handler: the steps in flight and how to answer once they are done.
struct webhook_call::state {
  reactor::shard* shard;
  reactor::conn_id conn;
  http_connection* hc;  // while the request is not held: answers go straight out
  broker_stats* stats;
  webhook_provider provider;
  bool keep_alive;
  bool settled = false;  // the handler returned
  bool held = false;
  bool answered = false;
  unsigned pending = 0;
  bool failed = false, stored = false, duplicate = false;
  std::string success_type = "text/plain";
  std::string success_body;

  void answer(int status, webhook_outcome outcome, std::string_view content_type, std::string_view body) {
    if (answered) return;
    answered = true;
    broker_stats::bump(stats->webhook_requests[std::size_t(provider)][std::size_t(outcome)]);
    auto make = [&](bool alive) {
      std::vector<protocol::http_header_field> fields{{"Content-Type", content_type}};
      // A write that failed may succeed soon: the providers retry either way, this says when.
      if (status == 503) fields.push_back({"Retry-After", "1"});
      std::string out;
      protocol::write_response(out, status, fields, body, alive);
      return out;
    };
    if (hc) hc->conn().send(make(keep_alive));
    else if (held) answer_held(*shard, conn, make);
  }

  // Every step is done and the handler has returned: the outcome of the whole request.
  void finish() {
    if (pending != 0 || !settled || answered) return;
    if (failed) return answer(503, webhook_outcome::unavailable, "text/plain", "not stored; retry\n");
    const webhook_outcome o = stored      ? webhook_outcome::stored
                              : duplicate ? webhook_outcome::duplicate
                                          : webhook_outcome::accepted;
    answer(200, o, success_type, success_body);
  }
};

const channel_config& webhook_call::config() const noexcept { return router_->config(); }

void webhook_call::answer(int status, webhook_outcome outcome, std::string_view content_type, std::string_view body) {
  state_->answer(status, outcome, content_type, body);
}

bool webhook_call::answered() const noexcept { return state_->answered; }

void webhook_call::refuse(int status, webhook_outcome outcome, std::string_view why) {
  // A refused signature is most often a secret or --public-url set wrong: worth a (rate-limited) line.
  if (outcome == webhook_outcome::forbidden) {
    static reactor::log_rate rate(1);
    std::uint64_t held_back = 0;
    if (rate.allow(held_back))
      reactor::log(reactor::log_level::warn, "%s webhook refused: %.*s (%llu more since the last such line)",
                   to_string(provider_), int(why.size()), why.data(), static_cast<unsigned long long>(held_back));
  }
  answer(status, outcome, "text/plain", std::string(why) + "\n");
}

void webhook_call::on_success(std::string content_type, std::string body) {
  state_->success_type = std::move(content_type);
  state_->success_body = std::move(body);
}

reactor::unique_function<void(step_result)> webhook_call::step() {
  ++state_->pending;
  return [st = state_](step_result r) {
    --st->pending;
    st->failed |= r == step_result::failed;
    st->stored |= r == step_result::stored;
    st->duplicate |= r == step_result::duplicate;
    st->finish();
  };
}

void webhook_call::store(std::vector<inbound_message> messages) {
  const inbox::inbox_settings& settings = router_->inbox().settings();
  for (auto& m : messages) {
    if (!make_storable(m, settings.max_message_bytes))
      return refuse(400, webhook_outcome::malformed, "a message's ids or text are not storable");
  }
  if (messages.empty()) return;
  store_in_order(router_->inbox(), std::move(messages), step());
}

std::string webhook_call::media_type() const {
  const auto value = req_->find_header("Content-Type");
  if (!value) return {};
  auto parsed = protocol::parse_header_params(*value);
  return parsed ? parsed->value : std::string();
}

std::string webhook_call::signed_url() const {
  std::string url = config().public_url;
  if (url.empty()) url = "http://" + std::string(req_->host);
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += req_->target;
  return url;
}

std::optional<std::vector<protocol::form_field>> webhook_call::form() {
  const std::string type = media_type();
  protocol::form_limits limits;
  limits.max_bytes = config().max_body_bytes;
  std::vector<protocol::form_field> fields;
  if (type == "application/x-www-form-urlencoded") {
    switch (protocol::parse_urlencoded(body(), limits, fields)) {
      case protocol::form_status::ok: return fields;
      case protocol::form_status::too_large: refuse(413, webhook_outcome::too_large, "body too large"); break;
      case protocol::form_status::too_many_fields: refuse(400, webhook_outcome::malformed, "too many fields"); break;
    }
    return std::nullopt;
  }
  if (type == "multipart/form-data") {
    std::string storage;
    const std::string_view boundary =
        protocol::multipart_boundary(request().find_header("Content-Type").value_or(""), storage);
    if (boundary.empty()) {
      refuse(400, webhook_outcome::malformed, "multipart/form-data needs a boundary of 1 to 70 characters");
      return std::nullopt;
    }
    const auto r = protocol::parse_multipart(body(), boundary, limits, fields);
    if (r.status == protocol::multipart_status::complete) return fields;
    if (r.error == protocol::multipart_error::too_large) refuse(413, webhook_outcome::too_large, "body too large");
    else refuse(400, webhook_outcome::malformed, "malformed multipart/form-data body");
    return std::nullopt;
  }
  refuse(415, webhook_outcome::unsupported_type, "expected application/x-www-form-urlencoded or multipart/form-data");
  return std::nullopt;
}

webhook_router::webhook_router(reactor::shard& shard, const channel_config& cfg, inbox::inbox_shard& inbox,
                               broker_stats& stats)
    : shard_(shard), cfg_(cfg), inbox_(inbox), stats_(stats) {
  add_twilio_routes(*this);
  add_whatsapp_routes(*this);
  add_instagram_routes(*this);
  add_email_routes(*this);
}

void webhook_router::add_route(protocol::http_method method, std::string path, webhook_provider provider,
                               webhook_handler handler) {
  routes_.push_back({method, std::move(path), provider, std::move(handler)});
}

http_outcome webhook_router::handle(http_connection& hc, const protocol::http_request& req) {
  const route* found = nullptr;
  bool path_known = false;
  for (const route& r : routes_) {
    if (r.path != req.path) continue;
    path_known = true;
    if (r.method == req.method) found = &r;
  }
  auto plain = [&](int status, std::string_view body) {
    protocol::http_header_field type{"Content-Type", "text/plain"};
    std::string out;
    protocol::write_response(out, status, std::span(&type, 1), body, req.keep_alive);
    hc.conn().send(out);
    return http_outcome::done;
  };
  if (!path_known) return plain(404, "not found\n");
  if (!found) return plain(405, "method not allowed\n");
  webhook_call call;
  call.router_ = this;
  call.req_ = &req;
  call.provider_ = found->provider;
  call.state_ = std::make_shared<webhook_call::state>(
      webhook_call::state{&shard_, hc.conn().id(), &hc, &stats_, call.provider_, req.keep_alive});
  if (cfg_.webhook_secret(found->provider).empty()) {
    call.refuse(404, webhook_outcome::not_configured, "not found");
    return http_outcome::done;
  }
  if (req.body().size() > cfg_.max_body_bytes) {
    call.refuse(413, webhook_outcome::too_large, "body too large");
    return http_outcome::done;
  }
  found->handler(call);
  auto& st = *call.state_;
  st.settled = true;
  // Nothing asynchronous left (or the steps ended at once): the answer goes out now.
  st.finish();
  if (st.answered) return http_outcome::done;
  st.hc = nullptr;
  st.held = true;
  return http_outcome::hold;
}

}  // namespace ringcast::broker::channels
