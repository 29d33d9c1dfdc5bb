// Socket.IO v5 encoders: the general packet encoder and the broadcast fast path.

#include <algorithm>
#include <boost/json/serializer.hpp>
#include <cassert>

#include "protocol/json_string.h"
#include "protocol/socketio.h"

namespace ringcast::protocol {
namespace {

bool is_main_namespace(std::string_view nsp) noexcept { return nsp.empty() || nsp == "/"; }

// A namespace must start with '/' to be recognised and cannot hold the ',' that ends it on the wire.
bool is_namespace_encodable(std::string_view nsp) noexcept {
  return is_main_namespace(nsp) || (nsp.front() == '/' && nsp.find(',') == std::string_view::npos);
}

// Serializes through a stack buffer into `out`, so a broadcast frame needs no temporary string.
template <class T>
void append_json(std::string& out, const T& v) {
  boost::json::serializer sr;
  sr.reset(&v);
  char buf[1024];
  while (!sr.done()) out.append(sr.read(buf));
}

void append_event_head(std::string& out, std::string_view nsp, std::string_view event) {
  assert(is_namespace_encodable(nsp));
  assert(!is_reserved_event(event));
  out.append("42", 2);
  if (!is_main_namespace(nsp)) {
    out.append(nsp);
    out.push_back(',');
  }
  out.push_back('[');
  append_json_string(out, event);
}

bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

sio_error encode_packet(std::string& out, const sio_packet& p, bool eio_prefix) {
  const bool binary = is_binary_type(p.type);
  if (static_cast<unsigned>(p.type) > 6) return sio_error::unknown_type;
  if (!is_namespace_encodable(p.nsp)) return sio_error::bad_namespace;
  if (binary == p.attachments.empty()) return sio_error::illegal_attachments;
  if (p.id && *p.id > sio_max_ack_id) return sio_error::bad_ack_id;
  if (!is_payload_valid(p.type, p.data) || has_non_finite_number(p.data)) return sio_error::invalid_payload;
  if (binary) {
    if (const auto e = check_placeholders(p.data, p.attachments.size(), false); e != sio_error::ok) {
      return e;
    }
  }

  if (eio_prefix) out.push_back('4');
  out.push_back(static_cast<char>('0' + static_cast<int>(p.type)));
  if (binary) {
    append_json_uint(out, p.attachments.size());
    out.push_back('-');
  }
  if (!is_main_namespace(p.nsp)) {
    out.append(p.nsp);
    out.push_back(',');
  }
  if (p.id) append_json_uint(out, *p.id);
  // Valid payloads start with '[', '{' or '"', so they never run into the ack id digits.
  if (!p.data.is_null()) append_json(out, p.data);
  return sio_error::ok;
}

void encode_event(std::string& out, std::string_view nsp, std::string_view event,
                  const boost::json::array& args) {
  append_event_head(out, nsp, event);
  if (args.empty()) {
    out.push_back(']');
    return;
  }
  // The arguments serialize as '[a,b]'; their '[' becomes the ',' after the event name.
  const std::size_t open = out.size();
  append_json(out, args);
  out[open] = ',';
}

void encode_event(std::string& out, std::string_view nsp, std::string_view event,
                  std::string_view args_json_array) {
  while (!args_json_array.empty() && is_json_space(args_json_array.front())) args_json_array.remove_prefix(1);
  while (!args_json_array.empty() && is_json_space(args_json_array.back())) args_json_array.remove_suffix(1);
  assert(args_json_array.size() >= 2 && args_json_array.front() == '[' && args_json_array.back() == ']');
  out.reserve(out.size() + 8 + nsp.size() + event.size() + args_json_array.size());
  append_event_head(out, nsp, event);
  const bool array = args_json_array.size() >= 2 && args_json_array.front() == '[' &&
                     args_json_array.back() == ']';
  const auto inner = array ? args_json_array.substr(1, args_json_array.size() - 2) : std::string_view{};
  if (std::all_of(inner.begin(), inner.end(), is_json_space)) {
    out.push_back(']');
    return;
  }
  out.push_back(',');
  out.append(args_json_array.substr(1));
}

}  // namespace ringcast::protocol
