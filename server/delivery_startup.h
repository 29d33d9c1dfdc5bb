#pragma once
// Outbound delivery as the process starts (blocking libpq, before any shard runs): deliveries a
// crash left sending are failed as interrupted (they may have reached the customer: sending them
// again could deliver twice), and the pending ones are handed to the service, which queues them
// when it starts. Throws std::runtime_error with the reason.
#include <libpq-fe.h>

#include <memory>
#include <string>

#include "broker/delivery/delivery_service.h"

namespace ringcast::server {

std::shared_ptr<broker::delivery::delivery_service> make_delivery_service(
    const broker::delivery::delivery_settings& settings, PGconn* db, const std::string& database_url, unsigned shards);

}  // namespace ringcast::server
