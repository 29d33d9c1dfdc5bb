#pragma once
// Plugs the providers' status callbacks into one shard's webhook router (broker/channels): the
// route POST /webhooks/twilio/status (its X-Twilio-Signature checked by the router's Twilio
// check), and the router's hooks for the statuses[] of WhatsApp webhooks and the delivery and
// read events of Instagram webhooks (their signatures checked before the hooks run). Each status
// is one step of the request: the router answers 200 once the row update committed (whether or
// not a row moved), 503 when the database could not take it (the provider retries).
#include "broker/channels/webhook_router.h"
#include "broker/delivery/delivery_shard.h"

namespace ringcast::broker::delivery {

// `part` must outlive the router's use of the routes (broker_app resets the router first).
void add_status_routes(channels::webhook_router& router, delivery_shard& part);

}  // namespace ringcast::broker::delivery
