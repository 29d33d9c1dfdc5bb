// The HTTP connection on a real shard with real sockets: requests pipelined behind a held request
// wait for it, are answered in order, and are handled only after the code that answered the held
// request has returned (never inside it: that code may be using objects the next request frees).
#include <gtest/gtest.h>

#include <string>

#include "broker/http/http_connection.h"
#include "protocol/http_response.h"
#include "reactor/server.h"
#include "tests/support/tcp.h"

namespace ringcast::broker {
namespace {

// "/hold" is held; "/release" answers the held request; anything else is answered with its path.
class holding_service final : public http_service {
 public:
  http_outcome handle(http_connection& hc, const protocol::http_request& req, std::string_view,
                      std::string_view) override {
    ++depth_;
    max_depth_ = std::max(max_depth_, depth_);
    http_outcome outcome = http_outcome::done;
    if (req.path == "/hold") {
      held_ = hc.conn().id();
      outcome = http_outcome::hold;
    } else {
      if (req.path == "/release") {
        reactor::connection* c = hc.conn().owner().find(held_);
        auto* held = c ? dynamic_cast<http_connection*>(c->handler()) : nullptr;
        if (held) held->finish_held(response("/hold", held->keep_alive()));
      }
      hc.conn().send(response(req.path, req.keep_alive));
    }
    --depth_;
    return outcome;
  }
  broker_stats& stats() noexcept override { return stats_; }
  int max_depth() const noexcept { return max_depth_; }

 private:
  static std::string response(std::string_view body, bool keep_alive) {
    std::string out;
    protocol::write_response(out, 200, {}, body, keep_alive);
    return out;
  }
  broker_stats stats_;
  reactor::conn_id held_{};
  int depth_ = 0;
  int max_depth_ = 0;
};

class http_app final : public reactor::shard_app {
 public:
  http_app(reactor::shard& s, http_services& services, holding_service& service) : services_(services) {
    services.set(s, &service);
  }
  std::unique_ptr<reactor::connection_handler> on_accept(reactor::connection& c) override {
    return std::make_unique<http_connection>(c, services_, limits_);
  }

 private:
  http_services& services_;
  protocol::http_limits limits_;
};

struct fixture {
  holding_service service;
  http_services services{1};
  reactor::server srv;

  fixture() : srv(config(), [this](reactor::shard& s) { return std::make_unique<http_app>(s, services, service); }) {
    srv.start();
  }
  ~fixture() {
    srv.stop();
    srv.join();
  }
  static reactor::server_config config() {
    reactor::server_config cfg;
    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.shards = 1;
    return cfg;
  }
};

// Reads until `done(received)` or EOF/timeout; returns what arrived.
template <class Pred>
std::string read_until(int fd, Pred done) {
  test::set_recv_timeout(fd, 5000);
  std::string got;
  char buf[4096];
  while (!done(got)) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, std::size_t(n));
  }
  return got;
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A round trip on a fresh connection: the shard has run past everything written before it.
void barrier(std::uint16_t port) {
  int fd = test::connect_tcp(port);
  const std::string req = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(test::write_all(fd, req.data(), req.size()));
  EXPECT_TRUE(ends_with(read_until(fd, [](const std::string& s) { return ends_with(s, "/ping"); }), "/ping"));
  ::close(fd);
}

TEST(http_connection, requests_behind_a_held_one_wait_and_run_after_the_answering_code_returns) {
  fixture f;
  int a = test::connect_tcp(f.srv.port());
  const std::string pipelined =
      "GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(test::write_all(a, pipelined.data(), pipelined.size()));
  barrier(f.srv.port());

  int b = test::connect_tcp(f.srv.port());
  const std::string release = "GET /release HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(test::write_all(b, release.data(), release.size()));
  EXPECT_TRUE(ends_with(read_until(b, [](const std::string& s) { return ends_with(s, "/release"); }), "/release"));

  const std::string got = read_until(a, [](const std::string& s) { return ends_with(s, "/b"); });
  const auto hold = got.find("\r\n\r\n/hold");
  const auto first = got.find("\r\n\r\n/a");
  const auto second = got.find("\r\n\r\n/b");
  ASSERT_NE(hold, std::string::npos) << got;
  ASSERT_NE(first, std::string::npos) << got;
  ASSERT_NE(second, std::string::npos) << got;
  EXPECT_LT(hold, first);
  EXPECT_LT(first, second);
  // "/a" was handled later in the loop iteration, not inside the handling of "/release".
  EXPECT_EQ(f.service.max_depth(), 1);
  ::close(a);
  ::close(b);
}

TEST(http_connection, a_held_request_that_closes_the_connection_is_answered_with_connection_close) {
  fixture f;
  int a = test::connect_tcp(f.srv.port());
  const std::string held = "GET /hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_TRUE(test::write_all(a, held.data(), held.size()));
  barrier(f.srv.port());
  int b = test::connect_tcp(f.srv.port());
  const std::string release = "GET /release HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(test::write_all(b, release.data(), release.size()));
  // Read to EOF: the server closes after the answer, and the answer says so.
  const std::string got = read_until(a, [](const std::string&) { return false; });
  EXPECT_TRUE(ends_with(got, "/hold")) << got;
  EXPECT_NE(got.find("\r\nConnection: close\r\n"), std::string::npos) << got;
  ::close(a);
  ::close(b);
}

}  // namespace
}  // namespace ringcast::broker
