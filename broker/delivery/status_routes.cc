#include "broker/delivery/status_routes.h"

#include <memory>

#include "broker/delivery/status_callbacks.h"
#include "protocol/form_body.h"

namespace ringcast::broker::delivery {
namespace {

using channels::step_result;
using channels::webhook_call;

// The updates as one step of the call: done when their transaction is.
void apply_as_step(webhook_call& call, delivery_shard& part, std::vector<provider_status_update> updates) {
  if (updates.empty()) return;
  auto step = std::make_shared<reactor::unique_function<void(step_result)>>(call.step());
  const bool sent = part.apply(std::move(updates), [step](int moved) {
    (*step)(moved < 0 ? step_result::failed : step_result::accepted);
  });
  if (!sent) (*step)(step_result::failed);
}

void twilio_status(webhook_call& call, delivery_shard& part) {
  auto fields = channels::twilio_verified_form(call);
  if (!fields) return;
  auto update = parse_twilio_status([&](std::string_view name) -> std::optional<std::string> {
    const std::string* v = protocol::find_field(*fields, name);
    return v ? std::optional<std::string>(*v) : std::nullopt;
  });
  std::vector<provider_status_update> updates;
  if (update) updates.push_back(std::move(*update));
  apply_as_step(call, part, std::move(updates));
}

}  // namespace

void add_status_routes(channels::webhook_router& router, delivery_shard& part) {
  router.add_route(protocol::http_method::post, "/webhooks/twilio/status", webhook_provider::twilio,
                   [&part](webhook_call& call) { twilio_status(call, part); });
  router.hooks().whatsapp_status = [&part](webhook_call& call, const boost::json::object& status) {
    std::vector<provider_status_update> updates;
    if (auto u = parse_whatsapp_status(status)) updates.push_back(std::move(*u));
    apply_as_step(call, part, std::move(updates));
  };
  router.hooks().instagram_event = [&part](webhook_call& call, const boost::json::object& event) {
    apply_as_step(call, part, parse_instagram_event(event));
  };
}

}  // namespace ringcast::broker::delivery
