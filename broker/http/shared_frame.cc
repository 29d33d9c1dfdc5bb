#include "broker/http/shared_frame.h"

namespace ringcast::broker {

shared_frame make_shared_frame(protocol::opcode op, std::string_view prefix, std::string_view body) {
  const std::size_t len = prefix.size() + body.size();
  const std::size_t header = protocol::frame_header_size(len);
  shared_frame f{reactor::buffer_ref(header + len), std::uint8_t(header), op == protocol::opcode::binary};
  std::byte* out = f.buf->data();
  protocol::write_frame_header(out, op, len);
  f.buf->resize(header);
  f.buf->append(prefix.data(), prefix.size());
  f.buf->append(body.data(), body.size());
  return f;
}

}  // namespace ringcast::broker
