#pragma once
// Reading typed fields out of a text-format PGresult. Internal to persistence/: the parsers in
// queries.h are the public face. Each getter returns false when the field does not parse, so a
// parser can reject a result that is not the shape it expects instead of guessing.
#include <libpq-fe.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringcast::persistence::fields {

// True when `res` holds rows with exactly `columns` columns.
inline bool has_shape(const PGresult* res, int columns) noexcept {
  return res != nullptr && PQresultStatus(res) == PGRES_TUPLES_OK && PQnfields(res) == columns;
}

inline std::string_view view(const PGresult* res, int row, int col) noexcept {
  return {PQgetvalue(res, row, col), static_cast<std::size_t>(PQgetlength(res, row, col))};
}

inline bool is_null(const PGresult* res, int row, int col) noexcept {
  return PQgetisnull(res, row, col) != 0;
}

inline bool get(const PGresult* res, int row, int col, std::string& out) {
  if (is_null(res, row, col)) return false;
  out.assign(view(res, row, col));
  return true;
}

inline bool get(const PGresult* res, int row, int col, std::optional<std::string>& out) {
  if (is_null(res, row, col))
    out.reset();
  else
    out.emplace(view(res, row, col));
  return true;
}

template <typename Int>
bool parse_int(std::string_view s, Int& out) noexcept {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

inline bool get(const PGresult* res, int row, int col, std::int64_t& out) noexcept {
  return !is_null(res, row, col) && parse_int(view(res, row, col), out);
}

inline bool get(const PGresult* res, int row, int col, std::optional<std::int64_t>& out) noexcept {
  out.reset();
  if (is_null(res, row, col)) return true;
  std::int64_t v = 0;
  if (!parse_int(view(res, row, col), v)) return false;
  out = v;
  return true;
}

inline bool get(const PGresult* res, int row, int col, int& out) noexcept {
  return !is_null(res, row, col) && parse_int(view(res, row, col), out);
}

inline bool get(const PGresult* res, int row, int col, std::optional<std::int32_t>& out) noexcept {
  out.reset();
  if (is_null(res, row, col)) return true;
  std::int32_t v = 0;
  if (!parse_int(view(res, row, col), v)) return false;
  out = v;
  return true;
}

inline bool get(const PGresult* res, int row, int col, bool& out) noexcept {
  auto s = view(res, row, col);
  if (is_null(res, row, col) || (s != "t" && s != "f")) return false;
  out = s == "t";
  return true;
}

// float4 text as PostgreSQL prints it: shortest round-trip digits, or NaN / Infinity.
inline bool get(const PGresult* res, int row, int col, std::optional<float>& out) noexcept {
  out.reset();
  if (is_null(res, row, col)) return true;
  auto s = view(res, row, col);
  if (s == "NaN") {
    out = __builtin_nanf("");
  } else if (s == "Infinity" || s == "-Infinity") {
    out = s[0] == '-' ? -__builtin_inff() : __builtin_inff();
  } else {
    float v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
    out = v;
  }
  return true;
}

}  // namespace ringcast::persistence::fields
