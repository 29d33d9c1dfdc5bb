#include "broker/app/profiles.h"
#include "broker/http/ws_connection.h"

namespace ringcast::broker {
namespace {

// "/" and "/custom": greet with the handshake's auth; "/" also echoes "message" as
// "message-back" and acks "message-with-ack" with its own arguments.
class conformance_namespace final : public sio_namespace_handler {
 public:
  explicit conformance_namespace(bool echoes) : echoes_(echoes) {}
  void on_connection(sio_socket& s) override { s.emit("auth", boost::json::array{s.auth()}); }
  void on_event(sio_socket& s, std::string_view event, const boost::json::array& args,
                const std::vector<std::string>& attachments, std::optional<std::uint64_t> ack_id) override {
    if (!echoes_) return;
    if (event == "message") s.emit("message-back", args, attachments);
    else if (event == "message-with-ack" && ack_id) s.ack(*ack_id, args, attachments);
  }

 private:
  bool echoes_;
};

class engineio_echo final : public eio_listener {
 public:
  // A plain Engine.IO client has no handshake beyond the open packet.
  void on_eio_open(eio_session& s) override { s.established(); }
  void on_eio_message(eio_session& s, std::string_view data, bool binary) override { s.send_message(data, binary); }
  void on_eio_close(eio_session&, std::string_view) override {}
};

class ws_echo final : public ws_endpoint {
 public:
  void on_ws_message(ws_connection& ws, std::string_view data, bool binary) noexcept override {
    if (binary) ws.send_binary(data);
    else ws.send_text(data);
  }
  void on_ws_close(ws_connection&, reactor::close_reason) noexcept override {}
};

}  // namespace

void install_conformance_profile(sio_server& sio) {
  sio.add_namespace("/", std::make_unique<conformance_namespace>(true));
  sio.add_namespace("/custom", std::make_unique<conformance_namespace>(false));
}

std::unique_ptr<eio_listener> make_engineio_echo() { return std::make_unique<engineio_echo>(); }
std::unique_ptr<ws_endpoint> make_ws_echo() { return std::make_unique<ws_echo>(); }

}  // namespace ringcast::broker
