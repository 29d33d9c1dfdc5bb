#include "bench/loadgen/worker.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

namespace ringcast::bench {

namespace {
// Connections per source address before the next 127.0.0.x is used: the default ephemeral port
// range (32768-60999) holds 28,232 ports per (source, destination) pair.
constexpr std::uint32_t connections_per_source = 28'000;
// One receive takes what the kernel has for a socket, up to this; large enough that a
// subscriber's backlog of small frames comes in one call.
constexpr std::size_t recv_buffer_bytes = 256 * 1024;
}  // namespace

worker::worker(unsigned index, const options& opts, scenario& sc, run_control& ctl, std::uint32_t sessions)
    : index_(index), opts_(opts), scenario_(sc), control_(ctl),
      rng_(0x9e3779b97f4a7c15ull * (index + 1) ^ std::uint64_t(::getpid())),
      recv_buffer_(recv_buffer_bytes) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::runtime_error("epoll_create1 failed");
  sources_ = opts.sources ? opts.sources : (sessions + connections_per_source - 1) / connections_per_source;
  // Other source addresses only exist on the loopback network.
  if ((ntohl(opts.server.sin_addr.s_addr) >> 24) != 127) sources_ = 1;
}

worker::~worker() {
  sessions_.clear();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void worker::add_session(std::uint32_t id) { ids_.push_back(id); }

void worker::start() {
  sessions_.reserve(ids_.size());
  thread_ = std::thread([this] { run(); });
}

void worker::join() {
  if (thread_.joinable()) thread_.join();
}

session* worker::find(std::uint32_t id) noexcept {
  // Sessions are created in ids_ order, so a binary search over the created prefix finds one.
  std::size_t lo = 0, hi = sessions_.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (sessions_[mid]->id() < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < sessions_.size() && sessions_[lo]->id() == id ? sessions_[lo].get() : nullptr;
}

void worker::watch(int fd, pollable& p) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &p;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) throw std::runtime_error("epoll_ctl failed");
}

void worker::mark_dirty(session& s) {
  if (s.dirty_) return;
  s.dirty_ = true;
  dirty_.push_back(&s);
}

std::int64_t worker::refresh_clock() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  now_ = std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  return now_;
}

protocol::mask_key worker::next_mask() noexcept {
  // xorshift64: masking only has to keep proxies from misreading client bytes; a load generator
  // needs no cryptographic key, and a fast one keeps the generator off the critical path.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  protocol::mask_key k;
  std::memcpy(k.data(), &rng_, k.size());
  return k;
}

sockaddr_in worker::source_for(std::uint32_t id) const noexcept {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl((127u << 24) | (1u + id % sources_));
  return a;
}

void worker::open_more() noexcept {
  while (next_to_open_ < ids_.size() && handshaking_ < opts_.handshakes_in_flight) {
    const std::uint32_t id = ids_[next_to_open_++];
    sessions_.push_back(std::make_unique<session>(*this, id));
    ++handshaking_;
    if (sources_ > 1) {
      const sockaddr_in src = source_for(id);
      sessions_.back()->start(&src);
    } else {
      sessions_.back()->start(nullptr);
    }
  }
}

void worker::run() noexcept {
  constexpr int max_events = 512;
  epoll_event events[max_events];
  int seen = -1;
  refresh_clock();
  for (;;) {
    const int p = control_.phase.load(std::memory_order_acquire);
    if (p != seen) {
      seen = p;
      if (p == int(phase::quit)) break;
      scenario_.on_phase(*this, phase(p));
    }
    if (p == int(phase::connect)) open_more();
    // Wake at least every few ms to see phase changes from the main thread.
    const int n = epoll_wait(epoll_fd_, events, max_events, dirty_.empty() && !opts_.spin ? 5 : 0);
    refresh_clock();
    for (int i = 0; i < n; ++i) static_cast<pollable*>(events[i].data.ptr)->on_poll(events[i].events);
    scenario_.on_idle(*this);
    // One write per session per iteration, carrying everything queued during it.
    for (std::size_t i = 0; i < dirty_.size(); ++i) {
      dirty_[i]->dirty_ = false;
      dirty_[i]->flush();
    }
    dirty_.clear();
  }
  for (auto& s : sessions_) s->close("quit");
}

}  // namespace ringcast::bench
