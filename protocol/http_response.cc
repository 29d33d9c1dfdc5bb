#include "protocol/http_response.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>

namespace ringcast::protocol {

namespace {

struct reason_entry {
  int status;
  std::string_view phrase;
};

constexpr reason_entry reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

[[maybe_unused]] bool valid_field(const http_header_field& f) noexcept {
  return is_token(f.name) && std::all_of(f.value.begin(), f.value.end(),
                                         [](char c) { return http_chars::is(c, http_chars::field_char); });
}

void append_field(std::string& out, std::string_view name, std::string_view value) noexcept {
  out.append(name).append(": ").append(value).append("\r\n");
}

bool is_token_list(std::string_view list) noexcept {
  std::size_t count = 0;
  return for_each_list_element(list, [&](std::string_view e) { return ++count, is_token(e); }) && count > 0;
}

// The CORS decision, shared by simple responses and preflights; at most three fields.
struct cors_fields {
  std::array<http_header_field, 3> fields;
  std::size_t count = 0;
  bool allowed = false;

  void add(std::string_view name, std::string_view value) noexcept { fields[count++] = {name, value}; }
};

cors_fields decide_cors(const cors_policy& policy, std::string_view origin) noexcept {
  cors_fields r;
  const auto& list = policy.allowed_origins;
  const bool any = std::find(list.begin(), list.end(), "*") != list.end();
  if (any && !policy.credentials) {
    r.add("Access-Control-Allow-Origin", "*");
    r.allowed = true;
    return r;
  }
  r.add("Vary", "Origin");
  if (origin.empty()) return r;
  r.allowed = std::find(list.begin(), list.end(), origin) != list.end() || (any && origin != "null");
  if (!r.allowed) return r;
  r.add("Access-Control-Allow-Origin", origin);
  if (policy.credentials) r.add("Access-Control-Allow-Credentials", "true");
  return r;
}

}  // namespace

std::string_view reason_phrase(int status) noexcept {
  const auto it = std::lower_bound(std::begin(reasons), std::end(reasons), status,
                                   [](const reason_entry& e, int s) { return e.status < s; });
  return it != std::end(reasons) && it->status == status ? it->phrase : std::string_view();
}

void write_response(std::string& out, int status, std::span<const http_header_field> headers,
                    std::string_view body, bool keep_alive) noexcept {
  write_response_head(out, status, headers, body.size(), keep_alive);
  const bool bodiless = status < 200 || status == 204 || status == 304;
  assert(!bodiless || body.empty());
  if (!bodiless) out.append(body);
}

void write_response_head(std::string& out, int status, std::span<const http_header_field> headers,
                         std::size_t body_size, bool keep_alive) noexcept {
  assert(status >= 100 && status <= 999);
  const bool bodiless = status < 200 || status == 204 || status == 304;
  const char code[3] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                        static_cast<char>('0' + status % 10)};
  out.append("HTTP/1.1 ").append(code, 3).append(" ").append(reason_phrase(status)).append("\r\n");
  for (const http_header_field& f : headers) {
    assert(valid_field(f));
    append_field(out, f.name, f.value);
  }
  if (!bodiless) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, body_size).ptr;
    append_field(out, "Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  if (!keep_alive) append_field(out, "Connection", "close");
  out.append("\r\n");
}

void write_error_response(std::string& out, int status) noexcept {
  const http_header_field type{"Content-Type", "text/plain; charset=utf-8"};
  write_response(out, status, std::span(&type, 1), reason_phrase(status), false);
}

void append_cors_headers(const cors_policy& policy, std::string_view origin, std::vector<http_header_field>& out) {
  const cors_fields r = decide_cors(policy, origin);
  out.insert(out.end(), r.fields.begin(), r.fields.begin() + static_cast<std::ptrdiff_t>(r.count));
}

void write_preflight_response(std::string& out, const cors_policy& policy, std::string_view origin,
                              std::string_view requested_headers, bool keep_alive,
                              std::string_view methods) noexcept {
  const cors_fields r = decide_cors(policy, origin);
  std::array<http_header_field, 8> fields;
  std::size_t n = 0;
  for (std::size_t i = 0; i < r.count; ++i) fields[n++] = r.fields[i];
  char age[24];
  if (r.allowed) {
    fields[n++] = {"Access-Control-Allow-Methods", methods};
    const std::string_view requested = trim_ows(requested_headers);
    if (is_token_list(requested)) {
      fields[n++] = {"Access-Control-Allow-Headers", requested};
      fields[n++] = {"Vary", "Access-Control-Request-Headers"};
    }
    if (policy.max_age_seconds != 0) {
      const auto end = std::to_chars(age, age + sizeof age, policy.max_age_seconds).ptr;
      fields[n++] = {"Access-Control-Max-Age", std::string_view(age, static_cast<std::size_t>(end - age))};
    }
  }
  write_response(out, 204, std::span(fields.data(), n), {}, keep_alive);
}

}  // namespace ringcast::protocol
