#include "reactor/tcp_echo_app.h"

namespace ringcast::reactor {
namespace {

class echo_handler final : public connection_handler {
 public:
  void on_data(connection& c, std::span<const std::byte> data) noexcept override { c.send(data); }
  void on_close(connection&, close_reason) noexcept override {}
};

class echo_app final : public shard_app {
 public:
  std::unique_ptr<connection_handler> on_accept(connection&) override {
    return std::make_unique<echo_handler>();
  }
};

}  // namespace

std::unique_ptr<shard_app> make_tcp_echo_app(shard&) { return std::make_unique<echo_app>(); }

}  // namespace ringcast::reactor
