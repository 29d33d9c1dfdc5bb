// GET/POST /conversations/{id}/messages, POST /conversations/{id}/read, GET /unread: the same
// inbox operations as message:history, message:send, message:read and unread:get.
#include "broker/rest/routes.h"

namespace ringcast::broker::rest {

using inbox::op_result;

void list_messages(rest_context& ctx, rest_request& r) {
  boost::json::object args = query_object(r.query, {"afterSeq", "beforeSeq", "limit"}, {});
  args["conversationId"] = r.params[0];
  ctx.ops.history(*r.who, args, inbox::access::check, [out = r.out](op_result res) { out->result(std::move(res)); });
}

void post_message(rest_context& ctx, rest_request& r) {
  boost::json::object args = r.body;
  args["conversationId"] = r.params[0];
  // The header names the send when the body does not; a body's clientId wins.
  if (!r.idempotency_key.empty() && (!args.contains("clientId") || args["clientId"].is_null()))
    args["clientId"] = r.idempotency_key;
  if (!args.contains("clientId"))
    return r.out->error(400, "bad_request", "a message needs a clientId or an Idempotency-Key header");
  ctx.ops.send(*r.who, args, inbox::access::check, {}, [out = r.out](op_result res) {
    // A retry gets the stored message back: 200, where the first send was 201.
    const auto* dup = res.value.if_contains("duplicate");
    const bool again = dup && dup->is_bool() && dup->as_bool();
    out->result(std::move(res), again ? 200 : 201);
  });
}

void mark_read(rest_context& ctx, rest_request& r) {
  boost::json::object args = r.body;
  args["conversationId"] = r.params[0];
  ctx.ops.watermark(*r.who, args, persistence::watermark_kind::read, inbox::access::check,
                    [out = r.out](op_result res) { out->result(std::move(res)); });
}

void get_unread(rest_context& ctx, rest_request& r) {
  ctx.ops.unread(*r.who, [out = r.out](op_result res) { out->result(std::move(res)); });
}

}  // namespace ringcast::broker::rest
