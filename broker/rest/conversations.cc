// GET/POST /conversations, GET/PATCH /conversations/{id}.
#include <algorithm>
#include <functional>
#include <thread>

#include "broker/inbox/payloads.h"
#include "broker/rest/routes.h"
#include "persistence/inbox_conversations.h"

namespace ringcast::broker::rest {
namespace {

using inbox::error_code;
using inbox::op_result;

bool e164(std::string_view phone) {
  if (phone.size() < 8 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
  return std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The customers row a new conversation on `channel` is for, the same one an inbound message on
// that channel finds: (email, lower(address)), (sms|whatsapp, E.164 phone), (website|
// instagram, externalId). An empty message means it is; otherwise what is missing or wrong.
std::string customer_of(const std::string& channel, const boost::json::object& c, persistence::customer_key& key,
                        persistence::customer_details& details) {
  bool wrong = false;
  auto email = inbox::string_field(c, "email", wrong);
  auto phone = inbox::string_field(c, "phone", wrong);
  auto name = inbox::string_field(c, "name", wrong);
  auto external = inbox::string_field(c, "externalId", wrong);
  if (wrong) return "customer.email, phone, name and externalId are strings";
  for (const auto* f : {&email, &phone, &name, &external})
    if (*f && ((*f)->empty() || (*f)->size() > inbox::max_id_bytes || !inbox::storable(**f)))
      return "customer fields are UTF-8 text of 1 to 200 bytes";
  if (email && (email->find('@') == std::string::npos || email->front() == '@' || email->back() == '@'))
    return "customer.email is not an e-mail address";
  if (phone && !e164(*phone)) return "customer.phone must be an E.164 number such as +15550100";
  details = {name, email, phone};
  key.channel = channel;
  if (channel == "email") {
    if (!email) return "an email conversation needs customer.email";
    key.external_id = *email;  // lower()ed by the statement
  } else if (channel == "sms" || channel == "whatsapp") {
    if (!phone) return "an " + channel + " conversation needs customer.phone";
    key.external_id = *phone;
  } else {
    if (!external) return "a " + channel + " conversation needs customer.externalId";
    key.external_id = *external;
  }
  return {};
}

std::string random_client_id() {
  // Per shard thread (no shared counter to race on), and the thread's id keeps two shards apart.
  thread_local std::uint64_t n = 0;
  return "rest-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "-" +
         std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + "-" + std::to_string(++n);
}

}  // namespace

void list_conversations(rest_context& ctx, rest_request& r) {
  boost::json::object args = query_object(r.query, {"limit"}, {"requiresHuman"});
  if (auto* a = args.if_contains("assigned"); a && a->is_string()) {
    const std::string v(a->as_string());
    if (v == "me") {
      args.erase("assigned");
      args["assignedToMe"] = true;
    } else if (v == "true" || v == "any" || v == "false" || v == "none") {
      args["assigned"] = v == "true" || v == "any";
    }
  }
  ctx.ops.list(*r.who, args, [out = r.out](op_result res) { out->result(std::move(res)); });
}

void get_conversation(rest_context& ctx, rest_request& r) {
  ctx.ops.get(*r.who, {{"conversationId", r.params[0]}}, [out = r.out](op_result res) { out->result(std::move(res)); });
}

void update_conversation(rest_context& ctx, rest_request& r) {
  boost::json::object args = r.body;
  if (auto* a = args.if_contains("assignee")) {
    // Moved out before the insert: adding a key may reallocate the object and leave `a` dangling.
    boost::json::value assignee = std::move(*a);
    args.erase("assignee");
    args["assignedStaffId"] = std::move(assignee);
  }
  args["conversationId"] = r.params[0];
  ctx.ops.update(*r.who, args, [out = r.out](op_result res) { out->result(std::move(res)); });
}

void create_conversation(rest_context& ctx, rest_request& r) {
  const boost::json::object& b = r.body;
  bool wrong = false;
  auto channel = inbox::string_field(b, "channel", wrong);
  auto subject = inbox::string_field(b, "subject", wrong);
  auto content = inbox::string_field(b, "content", wrong);
  auto client_id = inbox::string_field(b, "clientId", wrong);
  const auto* customer = b.if_contains("customer");
  if (wrong || !channel || !customer || !customer->is_object())
    return r.out->error(400, "bad_request",
                        "takes {customer: {email?, phone?, name?, externalId?}, channel, subject?, content?, clientId?}");
  if (!persistence::is_channel(*channel)) return r.out->error(400, "bad_request", "unknown channel");
  if (subject && (subject->size() > inbox::max_subject_bytes || !inbox::storable(*subject)))
    return r.out->error(400, "bad_request", "subject must be UTF-8 text of at most 500 bytes");
  persistence::customer_key key;
  persistence::customer_details details;
  if (auto why = customer_of(*channel, customer->as_object(), key, details); !why.empty())
    return r.out->error(400, "bad_request", why);
  if (content) {
    if (!client_id) client_id = r.idempotency_key.empty() ? random_client_id() : r.idempotency_key;
    if (auto e = ctx.ops.check_message(*content, *client_id)) return r.out->error(*e);
  }
  inbox::inbox_operations& ops = ctx.ops;
  // A retried request (the same clientId or Idempotency-Key for its first message) gets the
  // conversation the first one made, and that message as a duplicate.
  std::optional<persistence::first_message_key> first;
  if (content) first = persistence::first_message_key{std::string(inbox::to_string(r.who->role)), r.who->sub, *client_id};
  ops.run(persistence::open_conversation(key, details, *channel, subject, first), true,
          [out = r.out](op_result failed) { out->result(std::move(failed)); },
          [&ops, who = *r.who, content, client_id, out = r.out](const PGresult* res, inbox::op_done) {
            auto opened = persistence::parse_opened_conversation(res);
            if (!opened) return out->error(503, "unavailable", "the conversation was not created");
            const persistence::inbox_conversation c = opened->conversation;
            if (opened->created) ops.announce_new(c);
            const std::string location = "/api/v1/conversations/" + c.id;
            if (!content) return out->json(201, boost::json::object{{"conversation", inbox::conversation_json(c)}}, location);
            ops.send(who, {{"conversationId", c.id}, {"content", *content}, {"clientId", *client_id}},
                     inbox::access::known, {}, [c, out, location](op_result m) {
                       boost::json::object body{{"conversation", inbox::conversation_json(c)}};
                       // The conversation exists even when its first message was refused.
                       if (m.error)
                         body["error"] = boost::json::object{{"code", inbox::to_string(m.error->code)},
                                                             {"message", m.error->message}};
                       else body["message"] = std::move(m.value);
                       out->json(201, body, location);
                     });
          });
}

}  // namespace ringcast::broker::rest
