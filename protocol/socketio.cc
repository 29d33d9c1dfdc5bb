#include "protocol/socketio.h"

#include <array>
#include <boost/json/parse.hpp>
#include <cmath>
#include <limits>

namespace ringcast::protocol {
namespace {

// Event names the reference refuses because they have a meaning of their own on either side.
constexpr std::array<std::string_view, 6> reserved_events{
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// The attachment index a placeholder's "num" names, if it is an integer in [0, count).
bool placeholder_index(const boost::json::value& num, std::size_t count, std::size_t& index) noexcept {
  if (const auto* i = num.if_int64()) {
    if (*i < 0 || static_cast<std::uint64_t>(*i) >= count) return false;
    index = static_cast<std::size_t>(*i);
    return true;
  }
  if (const auto* u = num.if_uint64()) {
    if (*u >= count) return false;
    index = static_cast<std::size_t>(*u);
    return true;
  }
  if (const auto* d = num.if_double()) {
    // JSON.parse makes 1.0 and 1 the same number, so an integral double is a valid index.
    if (!(*d >= 0) || *d >= static_cast<double>(count) || std::floor(*d) != *d) return false;
    index = static_cast<std::size_t>(*d);
    return true;
  }
  return false;
}

// Walks the payload like the reference's reconstruction: a placeholder object is a leaf.
sio_error scan_placeholders(const boost::json::value& v, std::size_t count, char* used) noexcept {
  if (const auto* a = v.if_array()) {
    for (const auto& e : *a) {
      if (const auto r = scan_placeholders(e, count, used); r != sio_error::ok) return r;
    }
    return sio_error::ok;
  }
  const auto* o = v.if_object();
  if (o == nullptr) return sio_error::ok;
  if (const auto* flag = o->if_contains("_placeholder"); flag && flag->is_bool() && flag->get_bool()) {
    const auto* num = o->if_contains("num");
    std::size_t index = 0;
    if (num == nullptr || !placeholder_index(*num, count, index)) return sio_error::bad_placeholder;
    if (used != nullptr) used[index] = 1;
    return sio_error::ok;
  }
  for (const auto& kv : *o) {
    if (const auto r = scan_placeholders(kv.value(), count, used); r != sio_error::ok) return r;
  }
  return sio_error::ok;
}

}  // namespace

bool has_non_finite_number(const boost::json::value& v) noexcept {
  if (const auto* d = v.if_double()) return !std::isfinite(*d);
  if (const auto* a = v.if_array()) {
    for (const auto& e : *a) {
      if (has_non_finite_number(e)) return true;
    }
  } else if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (has_non_finite_number(kv.value())) return true;
    }
  }
  return false;
}

std::string_view to_string(sio_error e) noexcept {
  switch (e) {
    case sio_error::ok: return "ok";
    case sio_error::unknown_type: return "unknown packet type";
    case sio_error::illegal_attachments: return "illegal attachments";
    case sio_error::too_many_attachments: return "too many attachments";
    case sio_error::bad_namespace: return "bad namespace";
    case sio_error::bad_ack_id: return "bad ack id";
    case sio_error::invalid_json: return "invalid JSON";
    case sio_error::invalid_payload: return "invalid payload";
    case sio_error::bad_placeholder: return "bad placeholder";
    case sio_error::unused_attachment: return "unused attachment";
    case sio_error::unexpected_binary: return "binary data when no attachment is expected";
    case sio_error::unexpected_text: return "text data while attachments are expected";
  }
  return "unknown error";
}

bool is_reserved_event(std::string_view name) noexcept {
  for (const auto r : reserved_events) {
    if (r == name) return true;
  }
  return false;
}

bool is_payload_valid(sio_packet_type type, const boost::json::value& data) noexcept {
  switch (type) {
    case sio_packet_type::connect: return data.is_null() || data.is_object();
    case sio_packet_type::disconnect: return data.is_null();
    case sio_packet_type::connect_error: return data.is_string() || data.is_object();
    case sio_packet_type::event:
    case sio_packet_type::binary_event: {
      const auto* a = data.if_array();
      if (a == nullptr || a->empty()) return false;
      const auto& name = a->front();
      if (name.is_number()) return true;
      const auto* s = name.if_string();
      return s != nullptr && !is_reserved_event(std::string_view(*s));
    }
    case sio_packet_type::ack:
    case sio_packet_type::binary_ack: return data.is_array();
  }
  return false;
}

sio_error check_placeholders(const boost::json::value& data, std::size_t attachment_count,
                             bool require_each_used) noexcept {
  std::vector<char> used(require_each_used ? attachment_count : 0, 0);
  if (const auto r = scan_placeholders(data, attachment_count, require_each_used ? used.data() : nullptr);
      r != sio_error::ok) {
    return r;
  }
  for (const char u : used) {
    if (u == 0) return sio_error::unused_attachment;
  }
  return sio_error::ok;
}

sio_decoder::sio_decoder(sio_decoder_options options) : options_(options) {}

void sio_decoder::reset() noexcept {
  pending_ = sio_packet{};
  expected_ = 0;
  error_ = sio_error::ok;
}

sio_status sio_decoder::fail(sio_error e) noexcept {
  error_ = e;
  expected_ = 0;
  pending_ = sio_packet{};
  return sio_status::error;
}

sio_status sio_decoder::feed_text(std::string_view text, sio_packet& out) noexcept {
  if (error_ != sio_error::ok) return sio_status::error;
  if (expected_ != 0) return fail(sio_error::unexpected_text);
  std::size_t attachments = 0;
  if (const auto e = parse_text(text, attachments); e != sio_error::ok) return fail(e);
  if (attachments != 0) {
    expected_ = attachments;
    return sio_status::need_attachment;
  }
  out = std::move(pending_);
  return sio_status::packet;
}

sio_status sio_decoder::feed_binary(std::string_view bytes, sio_packet& out) noexcept {
  if (error_ != sio_error::ok) return sio_status::error;
  if (expected_ == 0) return fail(sio_error::unexpected_binary);
  pending_.attachments.emplace_back(bytes);
  if (pending_.attachments.size() < expected_) return sio_status::need_attachment;
  if (const auto e = check_placeholders(pending_.data, expected_, options_.require_each_attachment_used);
      e != sio_error::ok) {
    return fail(e);
  }
  expected_ = 0;
  out = std::move(pending_);
  return sio_status::packet;
}

// Reads '<type>[<n>-][<nsp>,][<id>][<json>]' into pending_, in the reference decoder's order
// so that a packet with several faults reports the same one.
sio_error sio_decoder::parse_text(std::string_view s, std::size_t& attachments) noexcept {
  if (s.empty() || s[0] < '0' || s[0] > '6') return sio_error::unknown_type;
  auto& p = pending_;
  p.type = static_cast<sio_packet_type>(s[0] - '0');
  p.attachments.clear();
  std::size_t i = 1;

  attachments = 0;
  if (is_binary_type(p.type)) {
    const auto dash = s.find('-', i);
    if (dash == std::string_view::npos || dash == i) return sio_error::illegal_attachments;
    bool over = false;
    for (; i < dash; ++i) {
      if (!is_digit(s[i])) return sio_error::illegal_attachments;
      if (over) continue;
      if (attachments > (std::numeric_limits<std::size_t>::max() - 9) / 10) {
        over = true;
        continue;
      }
      attachments = attachments * 10 + static_cast<std::size_t>(s[i] - '0');
      over = attachments > options_.max_attachments;
    }
    if (!over && attachments == 0) return sio_error::illegal_attachments;
    if (over) return sio_error::too_many_attachments;
    i = dash + 1;
  }

  if (i < s.size() && s[i] == '/') {
    const auto comma = s.find(',', i);
    const auto end = comma == std::string_view::npos ? s.size() : comma;
    if (end - i > options_.max_namespace) return sio_error::bad_namespace;
    p.nsp.assign(s.substr(i, end - i));
    i = comma == std::string_view::npos ? s.size() : comma + 1;
  } else {
    p.nsp.assign(1, '/');
  }

  const std::size_t id_start = i;
  std::uint64_t id = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (i - id_start == 16) return sio_error::bad_ack_id;  // 2^53 - 1 has 16 digits
    id = id * 10 + static_cast<std::uint64_t>(s[i] - '0');
  }
  if (i == id_start) {
    p.id.reset();
  } else if (id > sio_max_ack_id) {
    return sio_error::bad_ack_id;
  } else {
    p.id = id;
  }

  p.data = nullptr;
  if (i < s.size()) {
    boost::json::parse_options po;
    po.max_depth = options_.max_depth;
    boost::system::error_code ec;
    p.data = boost::json::parse(s.substr(i), ec, {}, po);
    // 1e999 parses to infinity, which has no JSON form to forward: refuse it as not JSON.
    if (ec || has_non_finite_number(p.data)) return sio_error::invalid_json;
    // A literal null would read as "no payload"; no type accepts it anyway.
    if (p.data.is_null()) return sio_error::invalid_payload;
  }
  if (!is_payload_valid(p.type, p.data)) return sio_error::invalid_payload;
  return sio_error::ok;
}

}  // namespace ringcast::protocol
