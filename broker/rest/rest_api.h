#pragma once
// The REST API under /api/v1 (docs/rest.md, docs/openapi.yaml): JSON over HTTP/1.1 on the same
// shards as the Socket.IO inbox, with the same tokens (Authorization: Bearer <JWT>, checked by
// the inbox's token_verifier) and the same durability rule: 200/201 only once stored. One per
// shard, used on that shard only; the inbox operations it shares with the Socket.IO events are in
// broker/inbox/inbox_operations.h.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "broker/ai/ai_service.h"
#include "broker/http/http_connection.h"
#include "broker/inbox/inbox_namespace.h"
#include "broker/inbox/inbox_operations.h"
#include "broker/inbox/rate_limiter.h"
#include "broker/rest/rest_response.h"
#include "protocol/http_parser.h"
#include "protocol/http_response.h"

namespace ringcast::broker::rest {

struct rest_config {
  // A request body larger than this is refused with 413 (the HTTP parser's own limit, the larger
  // of --max-payload and --webhook-max-body-bytes, is the outer bound).
  std::size_t max_body_bytes = 256 * 1024;
  // POST /widget/sessions per client address and minute, counted on each shard.
  unsigned widget_sessions_per_minute = 10;
  std::chrono::seconds widget_token_ttl{24 * 3600};
  // Issues the widget's customer tokens: needs the HS256 secret (with a public key only, the
  // server cannot sign and the route answers 501).
  inbox::jwt_config jwt;
  // The scheme and host clients reach this broker at (--public-url), for the Socket.IO URL that
  // /realtime/subscribe hands out; empty: http:// and the request's Host.
  std::string public_url;
};

// Everything a route handler may use; one per shard.
struct rest_context {
  rest_context(inbox::inbox_shard& in, const inbox::inbox_config& inbox_cfg, const rest_config& cfg,
               ai::ai_service* ai, const inbox::inbox_shards& peers)
      : ops(in),
        inbox(inbox_cfg),
        cfg(cfg),
        ai(ai),
        peers(peers),
        widget_limit(cfg.widget_sessions_per_minute, std::chrono::minutes(1)) {}
  inbox::inbox_operations ops;
  const inbox::inbox_config& inbox;
  const rest_config& cfg;
  ai::ai_service* ai;  // null when the AI is off
  const inbox::inbox_shards& peers;
  inbox::rate_limiter widget_limit;
};

// A request as the handlers see it. Everything here is copied out of the connection's buffer: it
// stays valid across asynchronous steps.
struct rest_request {
  std::string params[2];                // the {id}s of the route's path, in order
  std::string query;                    // still percent-encoded
  boost::json::object body;             // {} for a request without a body
  std::optional<inbox::identity> who;   // set on authenticated routes
  std::string host;                     // the Host header
  std::string client_address;           // the peer's IP address as bytes
  std::string idempotency_key;          // the Idempotency-Key header, if any
  std::string bearer;                   // the token as sent, on authenticated routes
  exchange_ptr out;
};

class rest_api {
 public:
  // `cors`: the --cors-origin policy, null when CORS is off.
  rest_api(reactor::shard& shard, inbox::inbox_shard& in, const inbox::inbox_config& inbox_cfg, const rest_config& cfg,
           ai::ai_service* ai, const inbox::inbox_shards& peers, broker_stats& stats,
           const protocol::cors_policy* cors);
  ~rest_api();

  // A request whose path is under /api/v1/.
  http_outcome handle(http_connection& hc, const protocol::http_request& req);

  rest_context& context() noexcept { return ctx_; }

 private:
  reactor::shard& shard_;
  broker_stats& stats_;
  const protocol::cors_policy* cors_;
  rest_context ctx_;
  reactor::timer_id sweep_timer_{};
};

}  // namespace ringcast::broker::rest
