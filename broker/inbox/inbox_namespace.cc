#include "broker/inbox/inbox_namespace.h"

#include <boost/json/object.hpp>

#include "broker/inbox/errors.h"
#include "reactor/log.h"

namespace ringcast::broker::inbox {
namespace {


class inbox_namespace final : public sio_namespace_handler {
 public:
  inbox_namespace(const inbox_config& cfg, broker_stats& stats) : cfg_(cfg), stats_(stats) {}

  std::optional<boost::json::object> admit(sio_socket& s) override {
    std::string_view token;
    if (const auto* auth = s.auth().if_object())
      if (const auto* t = auth->if_contains("token"); t && t->is_string()) token = t->as_string();
    auth_result r = cfg_.verifier->verify(token, std::chrono::system_clock::now());
    if (r.who) {
      s.user = std::move(*r.who);
      return std::nullopt;
    }
    broker_stats::bump(stats_.auth_failures[std::size_t(r.error)]);
    static reactor::log_rate rate(1);
    std::uint64_t held_back = 0;
    if (rate.allow(held_back))
      reactor::log(reactor::log_level::warn, "authentication failed: %.*s (%llu more since the last such line)",
                   int(to_string(r.error).size()), to_string(r.error).data(),
                   static_cast<unsigned long long>(held_back));
    return boost::json::object{{"message", "unauthorized"}, {"data", boost::json::object{{"code", to_string(r.error)}}}};
  }

  void on_connection(sio_socket& s) override {
    const identity& who = std::any_cast<const identity&>(s.user);
    s.join(identity_room(who));
    if (who.role == role::staff) s.join(std::string(staff_feed_room));
  }

  void on_event(sio_socket& s, std::string_view event, const boost::json::array&, const std::vector<std::string>&,
                std::optional<std::uint64_t> ack_id) override {
    refuse(s, ack_id, error_code::bad_request, "unknown event " + std::string(event));
  }

 private:
  void refuse(sio_socket& s, std::optional<std::uint64_t> ack_id, error_code code, std::string_view message) {
    broker_stats::bump(stats_.rejected_events[std::size_t(code)]);
    if (ack_id) s.ack(*ack_id, error_ack(code, message));
  }

  const inbox_config& cfg_;
  broker_stats& stats_;
};

}  // namespace

std::string identity_room(const identity& who) {
  std::string room = "user:";
  room += to_string(who.role);
  room += ':';
  room += who.sub;
  return room;
}

const identity* identity_of(const sio_socket& s) noexcept { return std::any_cast<identity>(&s.user); }

std::unique_ptr<sio_namespace_handler> make_inbox_namespace(const inbox_config& cfg, broker_stats& stats) {
  return std::make_unique<inbox_namespace>(cfg, stats);
}

}  // namespace ringcast::broker::inbox
