#pragma once
// The channel webhooks under /webhooks/ on one shard: routes, the checks every provider shares,
// and the durable store of inbound messages. One instance per shard (owned by its broker_app),
// touched by that shard only.
//
// A request goes: route (404 for an unknown path or a provider whose secret is not set, 405 for
// another method) -> body limit (413) -> the route's handler, which checks the content type
// (415), the signature (403, before anything is stored) and the payload (400), then either
// answers at once or starts steps (the durable writes). The router holds the request until every
// step has finished and answers 200 (the route's success body) or 503 when one failed, so the
// provider retries. Each request is counted once by outcome: ringcast_webhook_requests_total.
//
// Status callbacks plug in with one function each: a route of their own
// (add_route(post, "/webhooks/twilio/status", twilio, f), where f starts with
// twilio_verified_form()), or a hook the WhatsApp and Instagram handlers call for each verified
// status they meet (channel_hooks).
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/channels/channel_config.h"
#include "broker/http/http_connection.h"
#include "broker/inbox/inbox_shard.h"
#include "protocol/form_body.h"
#include "protocol/http_parser.h"

namespace ringcast::broker::channels {

// A verified inbound message in the providers' common terms.
struct inbound_message {
  std::string channel;      // whatsapp | sms | instagram | email
  std::string external_id;  // the customer on the channel (E.164 phone, IGSID, lower-cased address)
  std::optional<std::string> customer_name;
  std::string provider_message_id;  // the idempotency key: stored as the message's clientId
  std::string content;
  std::optional<std::string> attachments_json;  // a JSON array, or none
  std::optional<std::string> subject;           // e-mail: of a conversation it opens
  std::vector<std::string> thread_refs;         // e-mail: In-Reply-To and References
  bool join_open = true;                        // false (e-mail): only a thread found joins one
};

// How one step of a request ended.
enum class step_result : std::uint8_t { stored, duplicate, accepted, failed };

class webhook_call;
using webhook_handler = std::function<void(webhook_call&)>;

// What the status side (outbound delivery) adds; unset hooks ignore what they would get. Each
// runs after the signature was verified; it may start steps on the call.
struct channel_hooks {
  // One element of a WhatsApp change's value.statuses[].
  std::function<void(webhook_call&, const boost::json::object& status)> whatsapp_status;
  // One Instagram entry[].messaging[] element with `read` or `delivery`.
  std::function<void(webhook_call&, const boost::json::object& event)> instagram_event;
};

class webhook_router;

// One webhook request being handled. The request and its body are valid during the handler
// only; steps copy what they need.
class webhook_call {
 public:
  const protocol::http_request& request() const noexcept { return *req_; }
  std::string_view body() const noexcept { return req_->body(); }
  webhook_provider provider() const noexcept { return provider_; }
  const channel_config& config() const noexcept;
  webhook_router& router() noexcept { return *router_; }

  // Answers now (at most once); later steps are then only counted.
  void answer(int status, webhook_outcome outcome, std::string_view content_type, std::string_view body);
  bool answered() const noexcept;
  // Shorthands for the refusals every provider shares.
  void refuse(int status, webhook_outcome outcome, std::string_view why);
  // The body of the 200 once every step succeeded (default: empty text/plain).
  void on_success(std::string content_type, std::string body);
  // Starts a step; run the function (on this shard) once its durable write is done.
  reactor::unique_function<void(step_result)> step();
  // Stores the messages in order, as one step.
  void store(std::vector<inbound_message> messages);

  // The request's media type ("application/json"), lower-cased, without parameters.
  std::string media_type() const;
  // The URL the request was sent to, as a signature covers it: --public-url (else "http://" and
  // Host) and the request-target.
  std::string signed_url() const;
  // The url-encoded or multipart form body; answers 415 (another type), 413 or 400 and returns
  // nullopt when it is not one.
  std::optional<std::vector<protocol::form_field>> form();

 private:
  friend class webhook_router;
  struct state;
  webhook_router* router_ = nullptr;
  const protocol::http_request* req_ = nullptr;
  webhook_provider provider_ = webhook_provider::twilio;
  std::shared_ptr<state> state_;
};

class webhook_router {
 public:
  webhook_router(reactor::shard& shard, const channel_config& cfg, inbox::inbox_shard& inbox, broker_stats& stats);

  // Every request whose path is under /webhooks/.
  http_outcome handle(http_connection& hc, const protocol::http_request& req);

  void add_route(protocol::http_method method, std::string path, webhook_provider provider, webhook_handler handler);
  channel_hooks& hooks() noexcept { return hooks_; }
  const channel_config& config() const noexcept { return cfg_; }
  inbox::inbox_shard& inbox() noexcept { return inbox_; }
  reactor::shard& shard() noexcept { return shard_; }
  broker_stats& stats() noexcept { return stats_; }

 private:
  struct route {
    protocol::http_method method;
    std::string path;
    webhook_provider provider;
    webhook_handler handler;
  };

  reactor::shard& shard_;
  const channel_config& cfg_;
  inbox::inbox_shard& inbox_;
  broker_stats& stats_;
  channel_hooks hooks_;
  std::vector<route> routes_;
};

// The provider routes (each in its own file).
void add_twilio_routes(webhook_router& r);
void add_whatsapp_routes(webhook_router& r);
void add_instagram_routes(webhook_router& r);
void add_email_routes(webhook_router& r);

// The form of a Twilio webhook whose X-Twilio-Signature (and AccountSid, when configured) is
// right; otherwise the call is answered (415, 413, 400, 403) and nullopt returned.
std::optional<std::vector<protocol::form_field>> twilio_verified_form(webhook_call& call);

}  // namespace ringcast::broker::channels
