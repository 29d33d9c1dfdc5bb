#include "server/token_command.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "broker/inbox/identity.h"

namespace ringcast::server {
namespace {

constexpr const char* usage =
    "usage: ringcast token --sub ID --role customer|staff [--name NAME] [--ttl 1h] [--jwt-secret S]\n"
    "  prints an HS256 token for `io(url, {auth: {token}})`; the secret defaults to $RINGCAST_JWT_SECRET,\n"
    "  --jwt-issuer/--jwt-audience (or $RINGCAST_JWT_ISSUER/$RINGCAST_JWT_AUDIENCE) add iss/aud;\n"
    "  --ttl takes seconds or a number with s, m, h or d (default 1h)\n";

// "3600", "90s", "30m", "12h", "7d".
std::optional<std::chrono::seconds> parse_ttl(std::string_view v) {
  long n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || n <= 0) return std::nullopt;
  const std::string_view unit(end, std::size_t(v.data() + v.size() - end));
  long scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  if (scale == 0 || n > 10L * 365 * 86400 / scale) return std::nullopt;
  return std::chrono::seconds(n * scale);
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

int run_token_command(int argc, char** argv) {
  broker::inbox::jwt_config cfg;
  cfg.secret = env_or_empty("RINGCAST_JWT_SECRET");
  cfg.issuer = env_or_empty("RINGCAST_JWT_ISSUER");
  cfg.audience = env_or_empty("RINGCAST_JWT_AUDIENCE");
  broker::inbox::identity who;
  std::optional<std::string> role;
  std::chrono::seconds ttl = std::chrono::hours(1);
  for (int i = 2; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "ringcast token: %s needs a value\n%s", argv[i], usage);
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--sub") who.sub = value;
    else if (flag == "--role") role = value;
    else if (flag == "--name") who.name = value;
    else if (flag == "--jwt-secret") cfg.secret = value;
    else if (flag == "--jwt-issuer") cfg.issuer = value;
    else if (flag == "--jwt-audience") cfg.audience = value;
    else if (flag == "--ttl") {
      auto t = parse_ttl(value);
      if (!t) {
        std::fprintf(stderr, "ringcast token: invalid --ttl %s\n", value.c_str());
        return 2;
      }
      ttl = *t;
    } else {
      std::fprintf(stderr, "ringcast token: unknown flag %s\n%s", argv[i - 1], usage);
      return 2;
    }
  }
  if (who.sub.empty() || !role || (*role != "customer" && *role != "staff")) {
    std::fprintf(stderr, "ringcast token: --sub and --role customer|staff are required\n%s", usage);
    return 2;
  }
  who.role = *role == "staff" ? broker::inbox::role::staff : broker::inbox::role::customer;
  try {
    std::printf("%s\n", broker::inbox::issue_token(cfg, who, ttl, std::chrono::system_clock::now()).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringcast token: %s\n", e.what());
    return 2;
  }
  return 0;
}

}  // namespace ringcast::server
