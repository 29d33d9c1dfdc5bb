#include "protocol/http_parser.h"

#include <algorithm>
#include <limits>

namespace ringcast::protocol {

namespace {

using http_chars::is;

constexpr bool is_ws(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr unsigned hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>(ascii_lower(c) - 'a' + 10);
}

http_method method_from_name(std::string_view m) noexcept {
  struct entry {
    std::string_view name;
    http_method method;
  };
  static constexpr entry known[] = {
      {"GET", http_method::get},         {"HEAD", http_method::head},   {"POST", http_method::post},
      {"PUT", http_method::put},         {"DELETE", http_method::delete_}, {"OPTIONS", http_method::options},
      {"PATCH", http_method::patch},     {"CONNECT", http_method::connect}, {"TRACE", http_method::trace},
  };
  for (const entry& e : known)
    if (e.name == m) return e.method;
  return http_method::other;
}

// A URI scheme (RFC 3986 §3.1), to tell absolute-form from nonsense.
bool is_scheme(std::string_view s) noexcept {
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (s.empty() || !alpha(s[0])) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  return true;
}

}  // namespace

// One call of parse_request. Every scanning step either advances, stops for more input, or
// fails at a position fixed by the bytes before it, which is what makes results independent of
// how the input was split. Methods return false once result_ holds the outcome.
class request_parser {
 public:
  request_parser(std::string_view buf, const http_limits& limits, http_request& out) noexcept
      : buf_(buf), limits_(limits), out_(out) {}

  parse_result run() noexcept {
    out_.reset();
    set_budget(limits_.max_header_bytes, 431);
    if (!parse_request_line() || !split_target() || !parse_fields(true) || !finish_headers()) return result_;
    if (!(out_.chunked ? read_chunked_body() : read_fixed_body())) return result_;
    return {parse_status::complete, pos_, 0};
  }

 private:
  // Scanning stops at end_: the end of the buffer or, sooner, the end of the current budget
  // (the header section, or the chunk framing), past which the input is over_budget_status_.
  void set_budget(std::size_t bytes, int over_budget_status) noexcept {
    end_ = bytes < buf_.size() - pos_ ? pos_ + bytes : buf_.size();
    over_budget_status_ = over_budget_status;
  }

  bool stop() noexcept {
    if (end_ < buf_.size()) return fail(over_budget_status_);
    result_ = {parse_status::need_more, 0, 0};
    return false;
  }

  bool fail(int status) noexcept {
    result_ = {parse_status::error, 0, status};
    return false;
  }

  // Skips bytes of a class; true when a byte outside it is there to look at.
  bool skip(http_chars::char_class cls) noexcept {
    while (pos_ < end_ && is(buf_[pos_], cls)) ++pos_;
    return pos_ < end_ || stop();
  }

  bool skip_ws() noexcept {
    while (pos_ < end_ && is_ws(buf_[pos_])) ++pos_;
    return pos_ < end_ || stop();
  }

  bool expect(char c) noexcept {
    if (pos_ == end_) return stop();
    if (buf_[pos_] != c) return fail(400);
    ++pos_;
    return true;
  }

  // A bare CR or a bare LF fails here, which is the whole of the line-ending policy.
  bool expect_crlf() noexcept { return expect('\r') && expect('\n'); }

  std::string_view slice(std::size_t from) const noexcept { return buf_.substr(from, pos_ - from); }

  bool parse_request_line() noexcept {
    while (true) {
      if (pos_ == end_) return stop();
      if (buf_[pos_] != '\r') break;
      if (!expect_crlf()) return false;
    }
    std::size_t start = pos_;
    if (!skip(http_chars::tchar)) return false;
    if (pos_ == start) return fail(400);
    out_.method_name = slice(start);
    out_.method = method_from_name(out_.method_name);
    if (!expect(' ')) return false;
    start = pos_;
    if (!skip(http_chars::target_char)) return false;
    if (pos_ == start) return fail(400);
    out_.target = slice(start);
    if (!expect(' ')) return false;
    for (char c : std::string_view("HTTP/"))
      if (!expect(c)) return false;
    char digits[3];
    for (char& d : digits) {
      if (pos_ == end_) return stop();
      d = buf_[pos_++];
    }
    if (digits[0] < '0' || digits[0] > '9' || digits[1] != '.' || digits[2] < '0' || digits[2] > '9') return fail(400);
    if (digits[0] != '1') return fail(505);
    out_.version_minor = digits[2] == '0' ? 0 : 1;
    return expect_crlf();
  }

  bool split_target() noexcept {
    const std::string_view t = out_.target.substr(0, out_.target.find('#'));
    std::string_view rest = t;
    if (t.empty() || t.front() != '/') {
      const std::size_t sep = t.find("://");
      if (t == "*" && out_.method == http_method::options) {
        rest = t.substr(1);
      } else if (sep != std::string_view::npos && is_scheme(t.substr(0, sep))) {
        rest = t.substr(sep + 3);
        rest.remove_prefix(std::min(rest.find_first_of("/?"), rest.size()));
      } else if (out_.method == http_method::connect) {
        rest = t.substr(t.size());
      } else {
        return fail(400);
      }
    }
    const std::size_t q = rest.find('?');
    out_.path = rest.substr(0, q);
    out_.query = q == std::string_view::npos ? rest.substr(rest.size()) : rest.substr(q + 1);
    return true;
  }

  // Header fields (headers == true) or trailer fields, through the empty line that ends them.
  bool parse_fields(bool headers) noexcept {
    while (true) {
      if (pos_ == end_) return stop();
      if (buf_[pos_] == '\r') return expect_crlf();
      if (headers && out_.headers.size() >= limits_.max_header_count) return fail(431);
      const std::size_t start = pos_;
      // A line starting with whitespace (obs-fold) or any non-token byte fails here.
      if (!skip(http_chars::tchar)) return false;
      if (pos_ == start) return fail(400);
      const std::string_view name = slice(start);
      if (!expect(':')) return false;
      const std::size_t value_start = pos_;
      if (!skip(http_chars::field_char)) return false;
      const http_header_field field{name, trim_ows(slice(value_start))};
      if (!expect_crlf()) return false;
      if (headers) {
        out_.headers.push_back(field);
        if (!note_header(field)) return false;
      }
    }
  }

  bool note_header(const http_header_field& f) noexcept {
    switch (f.name.size()) {
      case 4:
        if (!ascii_iequals(f.name, "host")) break;
        if (host_seen_) return fail(400);
        host_seen_ = true;
        out_.host = f.value;
        break;
      case 7:
        if (ascii_iequals(f.name, "upgrade"))
          for_each_list_element(f.value, [&](std::string_view e) {
            upgrade_websocket_ = upgrade_websocket_ || ascii_iequals(e, "websocket");
            return true;
          });
        break;
      case 10:
        if (ascii_iequals(f.name, "connection"))
          for_each_list_element(f.value, [&](std::string_view e) {
            connection_close_ = connection_close_ || ascii_iequals(e, "close");
            connection_keep_alive_ = connection_keep_alive_ || ascii_iequals(e, "keep-alive");
            connection_upgrade_ = connection_upgrade_ || ascii_iequals(e, "upgrade");
            return true;
          });
        break;
      case 14:
        if (ascii_iequals(f.name, "content-length")) return note_content_length(f.value);
        break;
      case 17:
        if (ascii_iequals(f.name, "transfer-encoding")) {
          transfer_encoding_seen_ = true;
          for_each_list_element(f.value, [&](std::string_view e) {
            if (ascii_iequals(e, "chunked"))
              ++chunked_codings_;
            else
              unknown_coding_ = true;
            return true;
          });
        }
        break;
      default:
        break;
    }
    return true;
  }

  bool note_content_length(std::string_view value) noexcept {
    bool any = false;
    const bool valid = for_each_list_element(value, [&](std::string_view e) {
      std::uint64_t n = 0;
      for (char c : e) {
        if (c < '0' || c > '9') return false;
        const unsigned d = static_cast<unsigned>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
        n = n * 10 + d;
      }
      if (out_.content_length && *out_.content_length != n) return false;
      out_.content_length = n;
      any = true;
      return true;
    });
    return (valid && any) || fail(400);
  }

  bool finish_headers() noexcept {
    if (out_.version_minor == 1 && !host_seen_) return fail(400);
    if (transfer_encoding_seen_) {
      // RFC 9112 §6.1 and §6.3: each of these leaves the body length in doubt.
      if (out_.version_minor == 0 || out_.content_length) return fail(400);
      if (unknown_coding_) return fail(501);
      if (chunked_codings_ != 1) return fail(400);
      out_.chunked = true;
    }
    if (out_.content_length && *out_.content_length > limits_.max_body_bytes) return fail(413);
    out_.keep_alive = !connection_close_ && (out_.version_minor == 1 || connection_keep_alive_);
    // RFC 9110 §7.8: an Upgrade field in an HTTP/1.0 request is ignored.
    out_.upgrade_websocket = out_.version_minor == 1 && connection_upgrade_ && upgrade_websocket_;
    return true;
  }

  bool read_fixed_body() noexcept {
    const std::uint64_t length = out_.content_length.value_or(0);
    if (buf_.size() - pos_ < length) {
      result_ = {parse_status::need_more, 0, 0};
      return false;
    }
    out_.body_ = buf_.substr(pos_, static_cast<std::size_t>(length));
    pos_ += static_cast<std::size_t>(length);
    return true;
  }

  // Validate and find the end first, copy only once the whole body is there.
  bool read_chunked_body() noexcept {
    const std::size_t body_start = pos_;
    if (!walk_chunks(nullptr)) return false;
    const std::size_t body_end = pos_;
    pos_ = body_start;
    out_.decoded_body_.reserve(body_bytes_);
    body_bytes_ = 0;
    walk_chunks(&out_.decoded_body_);
    pos_ = body_end;
    return true;
  }

  bool walk_chunks(std::string* sink) noexcept {
    std::size_t framing_left = limits_.max_header_bytes;
    while (true) {
      std::size_t start = pos_;
      set_budget(framing_left, 413);
      std::uint64_t size = 0;
      if (!parse_chunk_size(size) || !skip_chunk_extensions() || !expect_crlf()) return false;
      framing_left -= pos_ - start;
      if (size == 0) break;
      end_ = buf_.size();
      if (buf_.size() - pos_ < size) return stop();
      if (sink) sink->append(buf_.substr(pos_, static_cast<std::size_t>(size)));
      pos_ += static_cast<std::size_t>(size);
      body_bytes_ += size;
      start = pos_;
      set_budget(framing_left, 413);
      if (!expect_crlf()) return false;
      framing_left -= pos_ - start;
    }
    set_budget(framing_left, 413);
    return parse_fields(false);
  }

  bool parse_chunk_size(std::uint64_t& size) noexcept {
    if (pos_ == end_) return stop();
    if (!is(buf_[pos_], http_chars::hex_digit)) return fail(400);
    const std::uint64_t room = limits_.max_body_bytes - body_bytes_;
    for (; pos_ < end_ && is(buf_[pos_], http_chars::hex_digit); ++pos_) {
      const unsigned v = hex_value(buf_[pos_]);
      if (size > room / 16 || v > room - size * 16) return fail(413);
      size = size * 16 + v;
    }
    return pos_ < end_ || stop();
  }

  // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), RFC 9112 §7.1.1.
  // Extensions are validated and ignored; whitespace not followed by ';' is malformed.
  bool skip_chunk_extensions() noexcept {
    while (true) {
      const std::size_t ws_start = pos_;
      if (!skip_ws()) return false;
      if (buf_[pos_] != ';') return pos_ == ws_start || fail(400);
      ++pos_;
      if (!skip_ws()) return false;
      const std::size_t name_start = pos_;
      if (!skip(http_chars::tchar)) return false;
      if (pos_ == name_start) return fail(400);
      const std::size_t after_name = pos_;
      if (!skip_ws()) return false;
      if (buf_[pos_] != '=') {
        pos_ = after_name;
        continue;
      }
      ++pos_;
      if (!skip_ws()) return false;
      if (buf_[pos_] == '"') {
        if (!skip_quoted_string()) return false;
      } else {
        const std::size_t value_start = pos_;
        if (!skip(http_chars::tchar)) return false;
        if (pos_ == value_start) return fail(400);
      }
    }
  }

  bool skip_quoted_string() noexcept {
    ++pos_;
    while (true) {
      if (pos_ == end_) return stop();
      const char c = buf_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (pos_ == end_) return stop();
        if (!is(buf_[pos_++], http_chars::field_char)) return fail(400);
      } else if (!is(c, http_chars::field_char)) {
        return fail(400);
      }
    }
  }

  std::string_view buf_;
  const http_limits& limits_;
  http_request& out_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  int over_budget_status_ = 431;
  parse_result result_;
  std::uint64_t body_bytes_ = 0;
  bool host_seen_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool connection_upgrade_ = false;
  bool upgrade_websocket_ = false;
  bool transfer_encoding_seen_ = false;
  bool unknown_coding_ = false;
  unsigned chunked_codings_ = 0;
};

void http_request::reset() noexcept {
  method = http_method::other;
  method_name = target = path = query = host = {};
  version_minor = 1;
  headers.clear();
  content_length.reset();
  chunked = keep_alive = upgrade_websocket = false;
  body_ = {};
  decoded_body_.clear();
}

std::optional<std::string_view> http_request::find_header(std::string_view name) const noexcept {
  for (const http_header_field& f : headers)
    if (ascii_iequals(f.name, name)) return f.value;
  return std::nullopt;
}

parse_result parse_request(std::string_view buffered, const http_limits& limits, http_request& out) noexcept {
  return request_parser(buffered, limits, out).run();
}

}  // namespace ringcast::protocol
