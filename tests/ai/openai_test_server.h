#pragma once
// A scripted chat-completions endpoint for the openai backend tests: plain POSIX sockets on
// 127.0.0.1 (port 0), one thread accepting and one per connection, replying by scenario. stop()
// (and the destructor) wakes every thread through an eventfd and joins them: no test sleeps to
// synchronise, and a hanging scenario ends when the test does.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/ai/openai_test_support.h"

namespace ringcast::ai::openai::test {

enum class scenario {
  answer,         // 200 with a completion whose content is answer_content(request body)
  status_500,     // 500 with an error object
  status_429,     // 429 with an error object
  status_401,     // 401 with an error object
  bad_json,       // 200 with a body that is not JSON
  hang,           // reads the request, never replies
  trickle,        // 200 with a declared body sent one byte every 50 ms
  huge_declared,  // 200 declaring a 2 MiB Content-Length
  huge_streamed,  // 200 without Content-Length, 2 MiB of body, then close
};

struct received_request {
  std::string request_line;  // "POST /v1/chat/completions HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The value of the first header called `name` (lower case), or "" when absent.
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return {};
  }
  bool has_header(const std::string& name) const {
    for (const auto& h : headers) {
      if (h.first == name) return true;
    }
    return false;
  }
};

class test_server {
 public:
  static constexpr const char* path = "/v1/chat/completions";
  static constexpr std::size_t huge_size = 2 << 20;

  explicit test_server(scenario s) : scenario_(s) {
    wake_ = ::eventfd(0, EFD_CLOEXEC);
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (wake_ < 0 || listen_ < 0) throw std::runtime_error("eventfd/socket failed");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(listen_, 16) != 0 ||
        ::getsockname(listen_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      throw std::runtime_error("bind/listen failed");
    }
    port_ = ntohs(sa.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~test_server() {
    stop();
    ::close(listen_);
    ::close(wake_);
  }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  void set_scenario(scenario s) {
    std::lock_guard<std::mutex> l(m_);
    scenario_ = s;
  }
  // The content of the `answer` scenario's message, from the request body (called on the
  // connection threads).
  void set_answer(std::function<std::string(const std::string& body)> f) {
    std::lock_guard<std::mutex> l(m_);
    answer_ = std::move(f);
  }

  std::vector<received_request> requests() {
    std::lock_guard<std::mutex> l(m_);
    return requests_;
  }
  std::size_t connections() {
    std::lock_guard<std::mutex> l(m_);
    return connections_;
  }
  // True once `n` requests were read completely.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(m_);
    return cv_.wait_for(l, timeout, [&] { return requests_.size() >= n; });
  }

  void stop() {
    if (stopping_.exchange(true)) return;
    std::uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);  // never read: stays readable for every poll
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> l(m_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  // Waits for `events` on `fd` for at most `timeout_ms` (-1: forever), or until the server stops.
  enum class ready { yes, timeout, stopping };
  ready wait(int fd, short events, int timeout_ms) {
    pollfd fds[2] = {{wake_, POLLIN, 0}, {fd, events, 0}};
    for (;;) {
      int n = ::poll(fds, 2, timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || fds[0].revents != 0) return ready::stopping;
      return n == 0 ? ready::timeout : ready::yes;
    }
  }

  void accept_loop() {
    while (wait(listen_, POLLIN, -1) == ready::yes) {
      int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> l(m_);
      ++connections_;
      threads_.emplace_back([this, fd] {
        serve(fd);
        ::close(fd);
      });
    }
  }

  // Reads one request into `out`; false on EOF, a malformed request or stop.
  bool read_request(int fd, std::string& buffer, received_request& out) {
    std::size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_some(fd, buffer)) return false;
    }
    std::string head = buffer.substr(0, header_end);
    buffer.erase(0, header_end + 4);
    std::size_t line_end = head.find("\r\n");
    out.request_line = head.substr(0, line_end);
    std::size_t content_length = 0;
    while (line_end != std::string::npos) {
      std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      std::size_t colon = line.find(':');
      if (colon == std::string::npos) return false;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      std::size_t value_start = line.find_first_not_of(' ', colon + 1);
      std::string value = value_start == std::string::npos ? std::string() : line.substr(value_start);
      if (name == "content-length") content_length = std::stoul(value);
      out.headers.emplace_back(std::move(name), std::move(value));
    }
    while (buffer.size() < content_length) {
      if (!read_some(fd, buffer)) return false;
    }
    out.body = buffer.substr(0, content_length);
    buffer.erase(0, content_length);
    return true;
  }

  bool read_some(int fd, std::string& buffer) {
    if (wait(fd, POLLIN, -1) != ready::yes) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, std::size_t(n));
    return true;
  }

  static std::string response(int status, const char* reason, const std::string& body) {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           body;
  }

  void serve(int fd) {
    std::string buffer;
    for (;;) {
      received_request r;
      if (!read_request(fd, buffer, r)) return;
      scenario s;
      std::function<std::string(const std::string&)> answer;
      {
        std::lock_guard<std::mutex> l(m_);
        s = scenario_;
        answer = answer_;
        requests_.push_back(r);
      }
      cv_.notify_all();
      const std::string error = R"({"error":{"message":"scripted failure","type":"server_error"}})";
      switch (s) {
        case scenario::answer: {
          std::string content =
              answer ? answer(r.body) : R"({"answer":"Hello!","confidence":0.9,"intent":"greeting","escalate":false})";
          if (!send_all(fd, response(200, "OK", completion_body(content)))) return;
          continue;  // keep-alive: the next request may come on this connection
        }
        case scenario::status_500:
          if (!send_all(fd, response(500, "Internal Server Error", error))) return;
          continue;
        case scenario::status_429:
          if (!send_all(fd, response(429, "Too Many Requests", error))) return;
          continue;
        case scenario::status_401:
          if (!send_all(fd, response(401, "Unauthorized", R"({"error":{"message":"Incorrect API key provided"}})"))) {
            return;
          }
          continue;
        case scenario::bad_json:
          if (!send_all(fd, response(200, "OK", "{\"choices\": [ not json"))) return;
          continue;
        case scenario::hang:
          // Until the client gives up (EOF) or the test ends.
          while (wait(fd, POLLIN, -1) == ready::yes) {
            char sink[4096];
            if (::recv(fd, sink, sizeof sink, 0) <= 0) return;
          }
          return;
        case scenario::trickle: {
          std::string full = response(200, "OK", completion_body(R"({"answer":"slow","confidence":1})"));
          std::size_t head = full.find("\r\n\r\n") + 4;
          if (!send_all(fd, full.substr(0, head))) return;
          for (std::size_t i = head; i < full.size(); ++i) {
            if (wait(-1, 0, 50) == ready::stopping) return;  // the pace between bytes (poll skips fd -1)
            if (!send_all(fd, full.substr(i, 1))) return;
          }
          return;
        }
        case scenario::huge_declared:
          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(huge_size) + "\r\n\r\n{\"choices\":[");
          return;
        case scenario::huge_streamed: {
          if (!send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")) return;
          const std::string block(64 * 1024, ' ');
          for (std::size_t sent = 0; sent < huge_size; sent += block.size()) {
            if (!send_all(fd, block)) return;  // the client aborted: the test's point
          }
          return;
        }
      }
    }
  }

  // Sends all of `s`; false when the client is gone or the server stops (a client that stops
  // reading cannot hold a connection thread past stop()).
  bool send_all(int fd, const std::string& s) {
    std::size_t sent = 0;
    while (sent < s.size()) {
      if (wait(fd, POLLOUT, -1) != ready::yes) return false;
      ssize_t n = ::send(fd, s.data() + sent, s.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return false;
      sent += std::size_t(n);
    }
    return true;
  }

  int wake_ = -1;
  int listen_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  std::mutex m_;
  std::condition_variable cv_;
  scenario scenario_;
  std::function<std::string(const std::string&)> answer_;
  std::vector<received_request> requests_;
  std::size_t connections_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace ringcast::ai::openai::test
