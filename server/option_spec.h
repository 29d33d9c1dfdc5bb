#pragma once
// One flag of `ringcast`: its name, environment variable, help and how it applies to the
// options, and the value parsers the flags share. Flag tables live in options.cc and the
// files it gathers (delivery_options.cc).
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace ringcast::server {

struct options;

struct option_spec {
  std::string_view flag;  // without the leading dashes
  std::string_view env;
  std::string_view value_name;  // empty: a switch that takes no value
  std::string_view help;
  std::function<bool(options&, std::string_view)> apply;
};

template <class T>
inline bool parse_number(std::string_view s, T& out, T min, T max) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

inline bool parse_ms(std::string_view s, std::chrono::milliseconds& out) {
  std::uint64_t v = 0;
  if (!parse_number<std::uint64_t>(s, v, 1, 86'400'000)) return false;
  out = std::chrono::milliseconds(v);
  return true;
}

}  // namespace ringcast::server
