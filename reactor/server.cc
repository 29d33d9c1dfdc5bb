#include "reactor/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <latch>
#include <stdexcept>

namespace ringcast::reactor {

namespace {

int open_listener(const std::string& address, std::uint16_t port, int backlog) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("not an IPv4 address: " + address);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, backlog) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " + err);
  }
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

void pin_to_core(unsigned shard) {
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (cores <= 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(shard % unsigned(cores), &set);
  ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
}

}  // namespace

server::server(server_config cfg, app_factory factory) : cfg_(std::move(cfg)), factory_(std::move(factory)) {
  unsigned n = cfg_.shards;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  // The first listener picks the port (when 0 was asked); the others join it through SO_REUSEPORT.
  port_ = cfg_.port;
  try {
    for (unsigned i = 0; i < n; ++i) {
      listen_fds_.push_back(open_listener(cfg_.address, port_, cfg_.backlog));
      if (i == 0) port_ = bound_port(listen_fds_[0]);
    }
  } catch (...) {
    for (int fd : listen_fds_) ::close(fd);
    throw;
  }
  for (unsigned i = 0; i < n; ++i) stats_.push_back(std::make_unique<shard_stats>());
  mesh_ = std::make_unique<mailbox_mesh>(n, cfg_.mailbox_capacity);
}

server::~server() {
  stop();
  join();
  for (int fd : listen_fds_)
    if (fd >= 0) ::close(fd);
}

void server::start() {
  const unsigned n = shard_count();
  // Every shard must have its ring (a MSG_RING target) before any shard may post to another.
  std::latch ready(n);
  std::vector<std::exception_ptr> errors(n);
  for (unsigned i = 0; i < n; ++i) {
    int fd = listen_fds_[i];
    listen_fds_[i] = -1;  // the shard owns it now
    threads_.emplace_back([this, i, fd, &ready, &errors] {
      if (cfg_.pin_threads) pin_to_core(i);
      std::unique_ptr<shard> s;
      try {
        s = std::make_unique<shard>(i, fd, cfg_.shard, *mesh_, *stats_[i]);
        s->set_app(factory_(*s));
        if (i == 0) ring_mode_ = s->ring_mode();
      } catch (...) {
        errors[i] = std::current_exception();
      }
      ready.count_down();
      if (!s) return;
      s->run();
      s.reset();
    });
  }
  ready.wait();
  for (auto& e : errors) {
    if (e) {
      stop();
      join();
      std::rethrow_exception(e);
    }
  }
}

void server::stop() noexcept {
  for (unsigned i = 0; i < shard_count(); ++i) mesh_->request_stop(i);
}

void server::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

std::uint64_t server::total(shard_stats::counter shard_stats::*field) const noexcept {
  std::uint64_t sum = 0;
  for (auto& s : stats_) sum += shard_stats::read((*s).*field);
  return sum;
}

std::uint64_t server::total_closed(close_reason why) const noexcept {
  std::uint64_t sum = 0;
  for (auto& s : stats_) sum += shard_stats::read(s->closed[std::size_t(why)]);
  return sum;
}

}  // namespace ringcast::reactor
