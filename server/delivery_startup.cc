#include "server/delivery_startup.h"

#include <stdexcept>

#include "persistence/deliveries.h"
#include "persistence/pg_connection.h"
#include "reactor/log.h"

namespace ringcast::server {

std::shared_ptr<broker::delivery::delivery_service> make_delivery_service(
    const broker::delivery::delivery_settings& settings, PGconn* db, const std::string& database_url, unsigned shards) {
  using reactor::log_level;
  auto checked = [db](const persistence::query& q, const char* what) {
    auto r = persistence::run_blocking(db, q);
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      throw std::runtime_error(std::string(what) + ": " + (r ? PQresultErrorMessage(r.get()) : PQerrorMessage(db)));
    return r;
  };
  auto interrupted = checked(persistence::interrupt_sending_deliveries(), "failing interrupted deliveries");
  if (const int n = PQntuples(interrupted.get()); n > 0)
    reactor::log(log_level::warn, "%d deliveries were being sent when the broker stopped: failed as interrupted", n);
  auto open = persistence::parse_open_deliveries(checked(persistence::open_deliveries(), "reading open deliveries").get());
  if (!open) throw std::runtime_error("reading open deliveries: unexpected result");
  if (!open->empty()) reactor::log(log_level::info, "resuming %zu pending deliveries", open->size());
  auto service = std::make_shared<broker::delivery::delivery_service>(settings, database_url, shards);
  service->set_open(std::move(*open));
  const auto& p = settings.providers;
  reactor::log(log_level::info, "outbound delivery: %u threads, sms %s, whatsapp %s, instagram %s, email %s",
               settings.concurrency, p.twilio_account_sid.empty() ? "off" : "twilio",
               !p.whatsapp_token.empty() ? "cloud api" : (p.twilio_account_sid.empty() ? "off" : "twilio"),
               p.instagram_token.empty() ? "off" : "on", p.smtp_url.empty() ? "off" : "smtp");
  return service;
}

}  // namespace ringcast::server
