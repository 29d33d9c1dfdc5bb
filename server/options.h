#pragma once
// Command-line flags, each with an environment-variable equivalent; --help is generated from the
// same table, so a flag cannot exist without its documentation.
#include <optional>
#include <string>

#include "broker/ai/ai_settings.h"
#include "broker/app/broker_app.h"
#include "broker/delivery/delivery_settings.h"
#include "reactor/log.h"
#include "reactor/server.h"

namespace ringcast::server {

struct options {
  std::string profile = "inbox";
  reactor::server_config net;
  broker::app_config app;
  bool help = false;
  bool dev_login = false;         // POST /dev/token hands out staff tokens (development only)
  reactor::log_level log_level = reactor::log_level::info;
  broker::inbox::jwt_config jwt;  // the inbox profile's token verification (made at start)
  broker::ai::ai_settings ai;     // the inbox's AI auto-responder (made at start)
  broker::delivery::delivery_settings delivery;  // replies to channel customers (made at start)
};

// Parses argv (flags win over environment variables). On a bad flag or value returns nullopt and
// writes a one-line reason to `error`.
std::optional<options> parse_options(int argc, char** argv, std::string& error);
std::string usage();

}  // namespace ringcast::server
