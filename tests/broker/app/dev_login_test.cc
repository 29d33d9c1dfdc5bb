// POST /dev/token (--dev-login): a staff token the server's own verifier accepts, for loopback
// clients only; bad bodies and other methods refused.
#include "broker/app/dev_login.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <string>

namespace ringcast::broker {
namespace {

const inbox::jwt_config key{.secret = "dev-login-test-secret"};

// A connected TCP socket whose peer is 127.0.0.1 (the accepted end of a loopback connection).
struct loopback_pair {
  int listener = -1, client = -1, accepted = -1;
  loopback_pair() {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener, 1), 0);
    EXPECT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    accepted = ::accept(listener, nullptr, nullptr);
  }
  ~loopback_pair() {
    for (int fd : {listener, client, accepted}) if (fd >= 0) ::close(fd);
  }
};

struct answer {
  int status = 0;
  std::string body;
};

answer ask(std::string raw, int fd) {
  protocol::http_request req;
  const auto parsed = protocol::parse_request(raw, protocol::http_limits{}, req);
  EXPECT_EQ(parsed.status, protocol::parse_status::complete);
  std::string out;
  answer_dev_token(key, req, fd, out);
  answer a;
  a.status = std::stoi(out.substr(9, 3));
  if (auto at = out.find("\r\n\r\n"); at != std::string::npos) a.body = out.substr(at + 4);
  return a;
}

std::string post(std::string_view body) {
  return "POST /dev/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(dev_login, gives_loopback_clients_a_staff_token_the_verifier_accepts) {
  loopback_pair pair;
  const answer a = ask(post(R"({"sub":"sam","name":"Sam"})"), pair.accepted);
  ASSERT_EQ(a.status, 200) << a.body;
  const auto body = boost::json::parse(a.body).as_object();
  const inbox::token_verifier verifier(key);
  const auto result = verifier.verify(std::string(body.at("token").as_string()), std::chrono::system_clock::now());
  ASSERT_TRUE(result.who);
  EXPECT_EQ(result.who->sub, "sam");
  EXPECT_EQ(result.who->name, "Sam");
  EXPECT_EQ(result.who->role, inbox::role::staff);
}

TEST(dev_login, an_empty_body_gets_the_default_staff_identity) {
  loopback_pair pair;
  const answer a = ask(post(""), pair.accepted);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(boost::json::parse(a.body).at("sub").as_string(), "dev-staff");
}

TEST(dev_login, refuses_bad_bodies) {
  loopback_pair pair;
  for (std::string_view body : {"[1]", "{", R"({"sub":""})", R"({"sub":7})", R"({"name":{}})"}) {
    EXPECT_EQ(ask(post(body), pair.accepted).status, 400) << body;
  }
  const std::string long_sub = R"({"sub":")" + std::string(201, 'a') + R"("})";
  EXPECT_EQ(ask(post(long_sub), pair.accepted).status, 400);
}

TEST(dev_login, answers_only_loopback_clients) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_EQ(ask(post("{}"), fds[0]).status, 403);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(dev_login, get_says_it_is_there_and_other_methods_are_refused) {
  loopback_pair pair;
  EXPECT_EQ(ask("GET /dev/token HTTP/1.1\r\nHost: x\r\n\r\n", pair.accepted).status, 204);
  EXPECT_EQ(ask("PUT /dev/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", pair.accepted).status, 405);
}

}  // namespace
}  // namespace ringcast::broker
