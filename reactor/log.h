#pragma once
// Operator log: one line per event worth attention, on stderr, as
//   2026-11-29T03:40:00.123Z WARN  shard 1: database unreachable: ...
// (no shard part off the shard threads). Nothing per message above debug level; call sites that
// can fire per client use a log_rate so a flood of bad clients cannot flood the log.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ringcast::reactor {

enum class log_level : std::uint8_t { debug, info, warn, error, off };

std::optional<log_level> parse_log_level(std::string_view name) noexcept;
void set_log_level(log_level level) noexcept;
bool log_enabled(log_level level) noexcept;

void log(log_level level, const char* format, ...) noexcept __attribute__((format(printf, 2, 3)));

// At most `per_second` lines a second from one call site; the lines it holds back are counted and
// the next line that passes says how many. Keep one per call site (a function-local static).
class log_rate {
 public:
  explicit log_rate(unsigned per_second) noexcept : per_second_(per_second) {}
  // True when a line may be written now; `suppressed` is then how many were held back before it.
  bool allow(std::uint64_t& suppressed) noexcept;

 private:
  unsigned per_second_;
  std::atomic<std::int64_t> window_{0};  // the second (steady clock) being counted
  std::atomic<std::uint64_t> in_window_{0};
  std::atomic<std::uint64_t> held_back_{0};
};

}  // namespace ringcast::reactor
