#include "protocol/permessage_deflate.h"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "protocol/http_header.h"

namespace ringcast::protocol {

namespace {

// ---- Sec-WebSocket-Extensions (RFC 6455 section 9.1):
//   extension-list = 1#( token *( ";" token [ "=" ( token / quoted-string ) ] ) )

struct ext_param {
  std::string_view name;
  bool has_value = false;
  // Unescaped value. Longer values than this fit no parameter we know, so they are only
  // marked too long rather than stored.
  std::array<char, 8> value{};
  std::size_t value_size = 0;
  bool value_too_long = false;

  std::string_view value_view() const noexcept { return {value.data(), value_size}; }
};

class ext_cursor {
 public:
  explicit ext_cursor(std::string_view s) noexcept : s_(s) {}

  bool at_end() const noexcept { return i_ == s_.size(); }
  char peek() const noexcept { return s_[i_]; }
  void advance() noexcept { ++i_; }
  void skip_ows() noexcept {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) ++i_;
  }

  std::string_view token() noexcept {
    const std::size_t start = i_;
    while (!at_end() && http_chars::is(peek(), http_chars::tchar)) ++i_;
    return s_.substr(start, i_ - start);
  }

  // After ';' and OWS. False on a syntax error.
  bool param(ext_param& p) noexcept {
    p.name = token();
    if (p.name.empty()) return false;
    skip_ows();
    if (at_end() || peek() != '=') return true;
    advance();
    skip_ows();
    p.has_value = true;
    if (!at_end() && peek() == '"') return quoted(p);
    const std::string_view v = token();
    if (v.empty()) return false;
    store(p, v);
    return true;
  }

 private:
  static void store(ext_param& p, std::string_view v) noexcept {
    for (char c : v) {
      if (p.value_size == p.value.size()) {
        p.value_too_long = true;
        return;
      }
      p.value[p.value_size++] = c;
    }
  }

  // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; RFC 6455 requires the unescaped
  // content to be a token, which is checked here so that callers see tokens only.
  bool quoted(ext_param& p) noexcept {
    advance();
    std::size_t count = 0;
    while (!at_end() && peek() != '"') {
      if (peek() == '\\') {
        advance();
        if (at_end()) return false;
      }
      if (!http_chars::is(peek(), http_chars::tchar)) return false;
      store(p, s_.substr(i_, 1));
      advance();
      ++count;
    }
    if (at_end() || count == 0) return false;
    advance();
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// 8..15 in decimal without leading zeros (RFC 7692 section 7.1.2.1).
std::optional<std::uint8_t> parse_window_bits(const ext_param& p) noexcept {
  if (p.value_too_long) return std::nullopt;
  const std::string_view v = p.value_view();
  if (v == "8" || v == "9") return static_cast<std::uint8_t>(v[0] - '0');
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return static_cast<std::uint8_t>(10 + v[1] - '0');
  return std::nullopt;
}

struct deflate_offer {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  std::optional<std::uint8_t> server_max_window_bits;
  bool client_max_window_bits = false;  // present, with or without a value
  std::optional<std::uint8_t> client_window_value;

  // False when the parameter makes the offer unacceptable.
  bool apply(const ext_param& p) noexcept {
    const auto flag = [&](bool& seen) {
      if (seen || p.has_value) return false;
      seen = true;
      return true;
    };
    if (ascii_iequals(p.name, "server_no_context_takeover")) return flag(server_no_context_takeover);
    if (ascii_iequals(p.name, "client_no_context_takeover")) return flag(client_no_context_takeover);
    if (ascii_iequals(p.name, "server_max_window_bits")) {
      if (server_max_window_bits || !p.has_value) return false;
      server_max_window_bits = parse_window_bits(p);
      return server_max_window_bits.has_value();
    }
    if (ascii_iequals(p.name, "client_max_window_bits")) {
      if (client_max_window_bits) return false;
      client_max_window_bits = true;
      if (!p.has_value) return true;
      client_window_value = parse_window_bits(p);
      return client_window_value.has_value();
    }
    return false;
  }

  std::optional<deflate_params> accept(const deflate_policy& policy) const noexcept {
    deflate_params out;
    out.server_max_window_bits = std::clamp<std::uint8_t>(policy.server_max_window_bits, 9, 15);
    if (server_max_window_bits) {
      // zlib's raw deflate has no 256-byte window, and a larger one would break the client.
      if (*server_max_window_bits < 9) return std::nullopt;
      out.server_max_window_bits = std::min(out.server_max_window_bits, *server_max_window_bits);
    }
    out.send_server_max_window_bits = server_max_window_bits.has_value() || out.server_max_window_bits < 15;
    if (client_max_window_bits) {
      out.client_max_window_bits = std::min(std::clamp<std::uint8_t>(policy.client_max_window_bits, 8, 15),
                                            client_window_value.value_or(15));
    }
    out.server_no_context_takeover = server_no_context_takeover || policy.server_no_context_takeover;
    out.client_no_context_takeover = client_no_context_takeover || policy.client_no_context_takeover;
    return out;
  }
};

constexpr std::array<std::byte, 4> sync_tail{std::byte{0x00}, std::byte{0x00}, std::byte{0xFF}, std::byte{0xFF}};

// Output grows in steps of at least this much; small messages rarely need a second step.
constexpr std::size_t min_output_step = 1024;

}  // namespace

std::optional<deflate_params> negotiate_permessage_deflate(std::string_view offers,
                                                           const deflate_policy& policy) noexcept {
  std::optional<deflate_params> chosen;
  ext_cursor c(offers);
  // The whole value is parsed even after a match, so a malformed header is refused whatever
  // its order.
  for (;;) {
    c.skip_ows();
    if (c.at_end()) return chosen;
    if (c.peek() == ',') {  // empty list elements are allowed (RFC 9110 section 5.6.1)
      c.advance();
      continue;
    }
    const std::string_view name = c.token();
    if (name.empty()) return std::nullopt;
    const bool ours = ascii_iequals(name, "permessage-deflate");
    bool acceptable = ours;
    deflate_offer offer;
    for (;;) {
      c.skip_ows();
      if (c.at_end() || c.peek() == ',') break;
      if (c.peek() != ';') return std::nullopt;
      c.advance();
      c.skip_ows();
      ext_param p;
      if (!c.param(p)) return std::nullopt;
      acceptable = acceptable && offer.apply(p);
    }
    if (acceptable && !chosen) chosen = offer.accept(policy);
  }
}

std::string format_deflate_response(const deflate_params& params) {
  std::string out = "permessage-deflate";
  if (params.server_no_context_takeover) out += "; server_no_context_takeover";
  if (params.client_no_context_takeover) out += "; client_no_context_takeover";
  if (params.send_server_max_window_bits) {
    out += "; server_max_window_bits=" + std::to_string(params.server_max_window_bits);
  }
  // Lowered only when the offer allowed it, so it is only ever sent when allowed.
  if (params.client_max_window_bits < 15) {
    out += "; client_max_window_bits=" + std::to_string(params.client_max_window_bits);
  }
  return out;
}

// ---- inflater

inflater::inflater(int window_bits, bool no_context_takeover) noexcept
    // A client's zlib cannot deflate with 8 bits either and uses 9; accepting 9 is harmless.
    : window_bits_(std::clamp(window_bits, 9, 15)), no_context_takeover_(no_context_takeover) {}

inflater::~inflater() {
  if (stream_) inflateEnd(stream_.get());
}

inflater::inflater(inflater&&) noexcept = default;

inflater& inflater::operator=(inflater&& other) noexcept {
  if (this != &other) {
    if (stream_) inflateEnd(stream_.get());
    stream_ = std::move(other.stream_);
    window_bits_ = other.window_bits_;
    no_context_takeover_ = other.no_context_takeover_;
  }
  return *this;
}

void inflater::reset() noexcept {
  if (stream_) inflateReset(stream_.get());
}

inflate_status inflater::inflate(std::string_view message, std::string& out, std::size_t max_size) noexcept {
  return inflate(std::as_bytes(std::span<const char>(message.data(), message.size())), out, max_size);
}

inflate_status inflater::inflate(std::span<const std::byte> message, std::string& out, std::size_t max_size) noexcept {
  if (message.size() > UINT32_MAX) return inflate_status::too_big;  // zlib counts in 32 bits
  if (!stream_) {
    stream_ = std::make_unique<z_stream>();
    if (inflateInit2(stream_.get(), -window_bits_) != Z_OK) {
      stream_.reset();
      return inflate_status::corrupt;
    }
  }
  z_stream& z = *stream_;
  const std::size_t start = out.size();
  // One byte past the cap tells "exactly max_size" from "more".
  const std::size_t limit = max_size == SIZE_MAX ? max_size : max_size + 1;
  std::size_t step = std::max(min_output_step, message.size() * 4);
  // True right after a BFINAL block ended the stream, until more input is read.
  bool ended = false;

  // RFC 7692 section 7.2.2: the sender removed the sync flush's empty stored block; put it back.
  for (const std::span<const std::byte> part : {message, std::span<const std::byte>(sync_tail)}) {
    // A message whose stream ended exactly at its last byte has no stored block to complete.
    if (ended) break;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(part.data()));
    z.avail_in = static_cast<uInt>(part.size());
    do {
      const std::size_t produced = out.size() - start;
      const std::size_t room = std::min({step, limit - produced, std::size_t{UINT32_MAX}});
      if (room == 0) return inflate_status::too_big;
      out.resize(start + produced + room);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + start + produced);
      z.avail_out = static_cast<uInt>(room);
      const uInt avail_before = z.avail_in;
      const int rc = ::inflate(&z, Z_SYNC_FLUSH);
      out.resize(out.size() - z.avail_out);
      step = std::min(step * 2, std::size_t{1} << 20);
      if (z.avail_in != avail_before) ended = false;
      if (rc == Z_STREAM_END) {
        // A sender may end a message with BFINAL (section 7.2.3.4). The stream then restarts,
        // keeping its window when context takeover is on, and whatever follows in the message
        // (usually the first byte of the empty stored block of section 7.2.1) is read by the
        // new stream: dropping it would accept bytes nobody decoded.
        std::array<Bytef, 1u << 15> window;
        uInt window_size = 0;
        if (!no_context_takeover_) inflateGetDictionary(&z, window.data(), &window_size);
        inflateReset(&z);
        if (window_size != 0) inflateSetDictionary(&z, window.data(), window_size);
        ended = true;
        continue;
      }
      if (rc == Z_BUF_ERROR && z.avail_out != 0) {
        // No progress with room to write: fine once the input is used up, else a broken stream.
        if (z.avail_in != 0) return inflate_status::corrupt;
        break;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) return inflate_status::corrupt;
    } while (z.avail_in != 0 || z.avail_out == 0);
  }
  if (out.size() - start > max_size) return inflate_status::too_big;
  if (no_context_takeover_) inflateReset(&z);
  return inflate_status::ok;
}

// ---- deflater

deflater::deflater(int window_bits, bool no_context_takeover, int level, int mem_level) noexcept
    : window_bits_(std::clamp(window_bits, 9, 15)),
      no_context_takeover_(no_context_takeover),
      level_(level),
      mem_level_(mem_level) {}

deflater::~deflater() {
  if (stream_) deflateEnd(stream_.get());
}

deflater::deflater(deflater&&) noexcept = default;

deflater& deflater::operator=(deflater&& other) noexcept {
  if (this != &other) {
    if (stream_) deflateEnd(stream_.get());
    stream_ = std::move(other.stream_);
    window_bits_ = other.window_bits_;
    no_context_takeover_ = other.no_context_takeover_;
    level_ = other.level_;
    mem_level_ = other.mem_level_;
  }
  return *this;
}

bool deflater::deflate(std::string_view message, std::string& out) noexcept {
  if (message.size() > UINT32_MAX) return false;  // zlib counts in 32 bits
  if (!stream_) {
    stream_ = std::make_unique<z_stream>();
    if (deflateInit2(stream_.get(), level_, Z_DEFLATED, -window_bits_, mem_level_, Z_DEFAULT_STRATEGY) != Z_OK) {
      stream_.reset();
      return false;
    }
  }
  z_stream& z = *stream_;
  const std::size_t start = out.size();
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  z.avail_in = static_cast<uInt>(message.size());
  // deflateBound leaves out the empty stored block a sync flush appends; 16 bytes cover it.
  const std::size_t step = deflateBound(&z, static_cast<uLong>(message.size())) + 16;
  do {
    const std::size_t used = out.size();
    const std::size_t room = std::min(step, std::size_t{UINT32_MAX});
    out.resize(used + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(room);
    const int rc = ::deflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      out.resize(start);
      return false;
    }
  } while (z.avail_in != 0 || z.avail_out == 0);

  // A sync flush always ends with an empty stored block, 00 00 ff ff.
  if (out.size() - start < sync_tail.size()) {
    out.resize(start);
    return false;
  }
  out.resize(out.size() - sync_tail.size());
  if (no_context_takeover_) deflateReset(&z);
  return true;
}

}  // namespace ringcast::protocol
