#include "reactor/log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "reactor/shard.h"

namespace ringcast::reactor {
namespace {

std::atomic<log_level> threshold{log_level::info};

const char* label(log_level level) noexcept {
  switch (level) {
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO ";
    case log_level::warn: return "WARN ";
    case log_level::error: return "ERROR";
    case log_level::off: break;
  }
  return "";
}

}  // namespace

std::optional<log_level> parse_log_level(std::string_view name) noexcept {
  if (name == "debug") return log_level::debug;
  if (name == "info") return log_level::info;
  if (name == "warn") return log_level::warn;
  if (name == "error") return log_level::error;
  if (name == "off") return log_level::off;
  return std::nullopt;
}

void set_log_level(log_level level) noexcept { threshold.store(level, std::memory_order_relaxed); }

bool log_enabled(log_level level) noexcept {
  return level != log_level::off && level >= threshold.load(std::memory_order_relaxed);
}

void log(log_level level, const char* format, ...) noexcept {
  if (!log_enabled(level)) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char line[1024];
  int n = int(std::strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &utc));
  if (const shard* s = shard::current())
    n += std::snprintf(line + n, sizeof line - std::size_t(n), ".%03dZ %s shard %u: ", int(ms), label(level), s->id());
  else
    n += std::snprintf(line + n, sizeof line - std::size_t(n), ".%03dZ %s ", int(ms), label(level));
  va_list args;
  va_start(args, format);
  const int body = std::vsnprintf(line + n, sizeof line - std::size_t(n) - 1, format, args);
  va_end(args);
  n = body < 0 ? n : std::min<int>(n + body, int(sizeof line) - 2);
  line[n++] = '\n';
  // One write per line, so lines of different shards never interleave.
  std::fwrite(line, 1, std::size_t(n), stderr);
}

bool log_rate::allow(std::uint64_t& suppressed) noexcept {
  const std::int64_t second =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  std::int64_t seen = window_.load(std::memory_order_relaxed);
  if (seen != second && window_.compare_exchange_strong(seen, second, std::memory_order_relaxed))
    in_window_.store(0, std::memory_order_relaxed);
  if (in_window_.fetch_add(1, std::memory_order_relaxed) >= per_second_) {
    held_back_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  suppressed = held_back_.exchange(0, std::memory_order_relaxed);
  return true;
}

}  // namespace ringcast::reactor
