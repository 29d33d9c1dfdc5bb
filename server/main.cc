// ringcast: parses flags, starts the shards, waits for SIGINT/SIGTERM, drains, exits 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "broker/app/broker_app.h"
#include "broker/engineio/random_ids.h"
#include "reactor/tcp_echo_app.h"
#include "persistence/migrations.h"
#include "reactor/server.h"
#include "server/ai_startup.h"
#include "server/delivery_startup.h"
#include "server/options.h"
#include "server/token_command.h"

int main(int argc, char** argv) {
  using namespace ringcast;
  if (argc > 1 && std::string_view(argv[1]) == "token") return server::run_token_command(argc, argv);
  std::string error;
  auto opts = server::parse_options(argc, argv, error);
  if (!opts) {
    std::fprintf(stderr, "ringcast: %s\n", error.c_str());
    return 2;
  }
  if (opts->help) {
    std::fputs(server::usage().c_str(), stdout);
    return 0;
  }
  using reactor::log_level;
  reactor::set_log_level(opts->log_level);

  // Shard threads inherit this mask, so the signals reach only sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    // The shard count is fixed here so the metrics registry has one slot per shard.
    if (opts->net.shards == 0)
      opts->net.shards = std::clamp(std::thread::hardware_concurrency(), 1u, broker::max_shards);
    opts->app.metrics = std::make_shared<broker::metrics_registry>(opts->net.shards);
    opts->app.wiring = std::make_shared<broker::broker_wiring>(opts->net.shards);
    if (opts->profile == "inbox") {
      // Throws with the reason when the token keys are missing or unusable.
      opts->app.inbox.verifier = std::make_shared<const broker::inbox::token_verifier>(opts->jwt);
      // The REST API's widget sessions issue customer tokens with the same key (HS256 only).
      opts->app.rest.jwt = opts->jwt;
      if (opts->app.database_url.empty())
        throw std::runtime_error("the inbox stores every message: set --database-url (or DATABASE_URL)");
      reactor::log(log_level::info, "client tokens: %.*s", int(opts->app.inbox.verifier->algorithm().size()),
                   opts->app.inbox.verifier->algorithm().data());
      if (opts->dev_login) {
        if (opts->jwt.secret.empty()) throw std::runtime_error("--dev-login signs tokens with --jwt-secret: set it");
        opts->app.dev_login = std::make_shared<const broker::inbox::jwt_config>(opts->jwt);
        reactor::log(log_level::warn, "--dev-login: POST /dev/token gives loopback clients a staff token "
                                      "(development only)");
      }
    }
    if (!opts->app.database_url.empty()) {
      // Blocking is fine here: no shard runs yet.
      PGconn* db = PQconnectdb(opts->app.database_url.c_str());
      if (PQstatus(db) != CONNECTION_OK) {
        std::string why = PQerrorMessage(db);
        PQfinish(db);
        throw std::runtime_error("cannot reach the database: " + why);
      }
      try {
        persistence::apply_migrations(db);
        reactor::log(log_level::info, "database schema at version %d", persistence::schema_version(db));
        if (opts->profile == "inbox" && opts->ai.backend != "off") {
          opts->app.ai = server::make_ai_service(opts->ai, db, opts->app.database_url);
          opts->app.inbox.settings.ai_replies = true;
          opts->app.inbox.settings.urgent_words = opts->ai.urgent_words;
        }
        if (opts->profile == "inbox") {
          // The providers' credentials are the channels' (one flag each, shared with the webhooks).
          auto& providers = opts->delivery.providers;
          const auto& channels = opts->app.channels;
          providers.twilio_account_sid = channels.twilio_account_sid;
          providers.twilio_auth_token = channels.twilio_auth_token;
          providers.whatsapp_token = channels.whatsapp_token;
          providers.whatsapp_phone_number_id = channels.whatsapp_phone_number_id;
          providers.instagram_token = channels.instagram_token;
          opts->app.delivery =
              server::make_delivery_service(opts->delivery, db, opts->app.database_url, opts->net.shards);
        }
      } catch (...) {
        PQfinish(db);
        throw;
      }
      PQfinish(db);
    }
    reactor::app_factory factory;
    if (opts->profile == "tcp-echo") {
      factory = [](reactor::shard& s) { return reactor::make_tcp_echo_app(s); };
    } else {
      factory = [app = opts->app](reactor::shard& s) { return broker::make_broker_app(s, app); };
    }
    reactor::server srv(opts->net, factory);
    opts->app.metrics->attach(&srv);
    // The AI workers hand results to shards through the server's mesh: they stop before it goes.
    // So do the delivery threads (each records its current attempt before it ends).
    struct stop_workers {
      broker::ai::ai_service* ai;
      broker::delivery::delivery_service* delivery;
      ~stop_workers() {
        if (delivery) delivery->stop();
        if (ai) ai->stop();
      }
    } workers_guard{opts->app.ai.get(), opts->app.delivery.get()};
    auto post = [&srv](unsigned shard, reactor::shard_task t) { srv.post_from_thread(shard, std::move(t)); };
    if (opts->app.ai) {
      opts->app.ai->start(post);
      opts->app.metrics->attach(static_cast<const broker::ai::ai_service*>(opts->app.ai.get()));
    }
    if (opts->app.delivery) {
      opts->app.delivery->start(post);
      opts->app.metrics->attach(static_cast<const broker::delivery::delivery_service*>(opts->app.delivery.get()));
    }
    srv.start();
    // Tests and scripts wait for "listening on ADDRESS:PORT": printed whatever the log level.
    std::fprintf(stderr, "ringcast: profile %s listening on %s:%u with %u shards (io_uring %s)\n",
                 opts->profile.c_str(), opts->net.address.c_str(), unsigned(srv.port()), srv.shard_count(),
                 srv.ring_mode().c_str());
    int sig = 0;
    sigwait(&signals, &sig);
    reactor::log(log_level::info, "%s received, closing connections", sig == SIGINT ? "SIGINT" : "SIGTERM");
    srv.stop();
    srv.join();
    reactor::log(log_level::info, "stopped after %llu connections",
                 static_cast<unsigned long long>(srv.total(&reactor::shard_stats::accepted)));
  } catch (const std::exception& e) {
    reactor::log(log_level::error, "%s", e.what());
    return 1;
  }
  return 0;
}
