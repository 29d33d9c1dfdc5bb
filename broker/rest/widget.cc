// POST /widget/sessions (a website visitor becomes a customer with a token) and
// POST /realtime/subscribe (where and how to connect for live events).
#include <sys/random.h>

#include "broker/inbox/payloads.h"
#include "broker/inbox/room_names.h"
#include "broker/rest/routes.h"
#include "persistence/inbox_conversations.h"

namespace ringcast::broker::rest {
namespace {

using inbox::op_result;

// A fresh customer id: 128 random bits, so nobody can guess another visitor's.
std::optional<std::string> random_sub() {
  unsigned char bytes[16];
  if (getrandom(bytes, sizeof bytes, 0) != ssize_t(sizeof bytes)) return std::nullopt;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "visitor-";
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::optional<bool> flag(const boost::json::object& o, std::string_view key, bool& wrong) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool()) wrong = true;
  return v->is_bool() ? std::optional<bool>(v->as_bool()) : std::nullopt;
}

}  // namespace

void create_widget_session(rest_context& ctx, rest_request& r) {
  if (auto wait = ctx.widget_limit.take(r.client_address, ctx.ops.shard().shard().now()))
    return r.out->error(429, "rate_limited", "too many widget sessions from this address (--widget-sessions-per-minute)",
                        wait);
  if (ctx.cfg.jwt.secret.empty())
    return r.out->error(501, "not_implemented",
                        "widget sessions need --jwt-secret: with --jwt-public-key this server verifies tokens but cannot "
                        "issue them");
  bool wrong = false;
  auto name = inbox::string_field(r.body, "name", wrong);
  if (wrong || (name && (name->empty() || name->size() > inbox::max_id_bytes || !inbox::storable(*name))))
    return r.out->error(400, "bad_request", "takes {name?}: UTF-8 text of 1 to 200 bytes");
  auto sub = random_sub();
  if (!sub) return r.out->error(503, "unavailable", "no randomness for a customer id; retry");
  inbox::identity who{*sub, inbox::role::customer, name.value_or("")};
  ctx.ops.run(persistence::ensure_customer({"website", *sub}, {name, {}, {}}), true,
              [out = r.out](op_result failed) { out->result(std::move(failed)); },
              [&ctx, who, out = r.out](const PGresult*, inbox::op_done) {
                const auto now = std::chrono::system_clock::now();
                const std::string token = inbox::issue_token(ctx.cfg.jwt, who, ctx.cfg.widget_token_ttl, now);
                const auto expires = std::chrono::duration_cast<std::chrono::microseconds>(
                    (now + ctx.cfg.widget_token_ttl).time_since_epoch());
                out->json(201, boost::json::object{{"customerId", who.sub},
                                                   {"token", token},
                                                   {"expiresAt", inbox::iso_time(expires.count())}});
              });
}

void realtime_subscribe(rest_context& ctx, rest_request& r) {
  bool wrong = false;
  auto conversation = inbox::string_field(r.body, "conversationId", wrong);
  const bool presence = flag(r.body, "includePresence", wrong).value_or(true);
  const bool typing = flag(r.body, "includeTyping", wrong).value_or(true);
  const bool receipts = flag(r.body, "includeReadReceipts", wrong).value_or(true);
  if (wrong)
    return r.out->error(400, "bad_request",
                        "takes {conversationId?, includePresence?, includeTyping?, includeReadReceipts?} (booleans)");
  const inbox::identity who = *r.who;
  std::string base = ctx.cfg.public_url.empty() ? "http://" + r.host : ctx.cfg.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto answer = [who, presence, typing, receipts, base = std::move(base), out = r.out](
                    const persistence::inbox_conversation* c) {
    boost::json::array channels;
    if (c) {
      boost::json::array events{"message:new", "conversation:updated"};
      if (typing) events.emplace_back("typing");
      if (receipts) events.emplace_back("message:status");
      if (presence) events.emplace_back("presence");
      channels.push_back(boost::json::object{{"name", inbox::conversation_room(c->id)},
                                             {"type", "conversation"},
                                             {"events", std::move(events)},
                                             {"join", boost::json::object{{"event", "conversation:join"},
                                                                          {"payload", {{"conversationId", c->id}}}}}});
    }
    channels.push_back(boost::json::object{
        {"name", inbox::identity_room(who)}, {"type", "user"}, {"events", boost::json::array{"unread"}}});
    if (who.role == inbox::role::staff)
      channels.push_back(boost::json::object{
          {"name", std::string(inbox::staff_feed_room)},
          {"type", "staff"},
          {"events", boost::json::array{"conversation:new", "conversation:updated", "message:new", "presence", "escalation"}}});
    boost::json::object connection{{"url", base},
                                   {"path", "/socket.io/"},
                                   {"namespace", "/"},
                                   {"transports", boost::json::array{"websocket", "polling"}},
                                   {"auth", "the same token, as io(url, {auth: {token}})"}};
    boost::json::object data{
        {"channels", std::move(channels)},
        {"features", {{"presence", presence}, {"typing", typing}, {"readReceipts", receipts},
                      {"connectionStateRecovery", true}}},
        {"filters", {{"conversationId", c ? boost::json::value(c->id) : boost::json::value(nullptr)}}},
        {"connection", std::move(connection)}};
    out->json(200, boost::json::object{{"success", true},
                                       {"version", "v1"},
                                       {"timestamp", inbox::iso_time_now()},
                                       {"data", std::move(data)}});
  };
  if (!conversation) return answer(nullptr);
  // Authorized as a join would be: the conversation is read and the caller's access checked.
  ctx.ops.find_conversation(who, *conversation,
                            [answer, out = r.out](const persistence::inbox_conversation* c, op_result res) {
                              if (!c) return out->result(std::move(res));
                              answer(c);
                            });
}

}  // namespace ringcast::broker::rest
