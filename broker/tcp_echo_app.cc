#include "broker/tcp_echo_app.h"

namespace ringcast::broker {
namespace {

class echo_handler final : public reactor::connection_handler {
 public:
  void on_data(reactor::connection& c, std::span<const std::byte> data) noexcept override { c.send(data); }
  void on_close(reactor::connection&, reactor::close_reason) noexcept override {}
};

class echo_app final : public reactor::shard_app {
 public:
  std::unique_ptr<reactor::connection_handler> on_accept(reactor::connection&) override {
    return std::make_unique<echo_handler>();
  }
};

}  // namespace

std::unique_ptr<reactor::shard_app> make_tcp_echo_app(reactor::shard&) { return std::make_unique<echo_app>(); }

}  // namespace ringcast::broker
