#include "broker/app/broker_app.h"
#include "broker/app/persist_event.h"
#include "broker/app/profiles.h"
#include "broker/app/reader_events.h"
#include "protocol/socketio.h"

namespace ringcast::broker {
namespace {

class bench_namespace final : public sio_namespace_handler {
 public:
  explicit bench_namespace(broker_app& app) : app_(app) {}

  void on_event(sio_socket& s, std::string_view event, const boost::json::array& args,
                const std::vector<std::string>& attachments, std::optional<std::uint64_t> ack_id) override {
    if (event == "join") {
      const bool joined = !args.empty() && args[0].is_string() && s.join(std::string(args[0].as_string()));
      if (!ack_id) return;
      if (joined) s.ack(*ack_id, {});
      else s.ack(*ack_id, {boost::json::object{{"error", boost::json::object{{"code", "limit"}, {"message", "cannot join that room"}}}}});
    } else if (event == "pub") {
      if (args.size() < 2 || !args[0].is_string()) return;
      publish(s, std::string(args[0].as_string()), args[1], attachments);
    } else if (event == "persist") {
      if (ack_id) handle_persist(app_, s, args, attachments, *ack_id);
    } else if (ack_id && handle_reader_event(app_, s, event, args, *ack_id)) {
    } else if (event == "echo") {
      if (ack_id) s.ack(*ack_id, args, attachments);
    }
  }

 private:
  broker_app& app_;

  // Encoded once: every recipient, on every shard, is sent the same bytes.
  static void publish(sio_socket& s, std::string room, const boost::json::value& data,
                      const std::vector<std::string>& attachments) {
    auto msg = std::make_shared<broadcast_message>();
    msg->nsp = s.nsp();
    msg->rooms.push_back(std::move(room));
    // The recovery offset is the event's last argument, in the one encoding every recipient shares.
    msg->offset = s.server().next_offset(s.nsp());
    boost::json::array args{data};
    if (!msg->offset.empty()) args.emplace_back(msg->offset);
    if (attachments.empty()) {
      std::string text;
      protocol::encode_event(text, s.nsp(), "msg", args);
      msg->frames.push_back(make_shared_frame(protocol::opcode::text, {}, text));
    } else {
      protocol::sio_packet p;
      p.type = protocol::sio_packet_type::binary_event;
      p.nsp = s.nsp();
      p.data = boost::json::array{"msg"};
      for (const auto& a : args) p.data.as_array().push_back(a);
      p.attachments = attachments;
      std::string text;
      if (protocol::encode_packet(text, p, true) != protocol::sio_error::ok) return;
      msg->frames.push_back(make_shared_frame(protocol::opcode::text, {}, text));
      for (const auto& a : attachments) msg->frames.push_back(make_shared_frame(protocol::opcode::binary, {}, a));
    }
    s.server().rooms().broadcast(std::move(msg));
  }
};

}  // namespace

// "/" has connection state recovery, as the reference bench server's connectionStateRecovery.
void install_bench_profile(broker_app& app) {
  app.sio().add_namespace("/", std::make_unique<bench_namespace>(app), true);
}

}  // namespace ringcast::broker
