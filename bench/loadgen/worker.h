#pragma once
// The generator's threads. Each worker owns an epoll instance and a share of the client
// sessions; a session speaks HTTP upgrade -> WebSocket (client side, masked) -> Engine.IO v4 ->
// Socket.IO v5 (or stops at WebSocket for plain-WebSocket targets) and hands the scenario each
// Socket.IO packet as text. Nothing of a session is touched outside its worker's thread.
#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/loadgen/histogram.h"
#include "bench/loadgen/options.h"
#include "protocol/websocket_frame.h"

namespace ringcast::bench {

class worker;
class scenario;

// What the main thread tells the workers; they poll it once per loop iteration.
enum class phase : int { connect, load, stop_load, quit };

// Single-writer counter: the owning thread increments without a locked instruction; any thread
// may read it.
struct counter {
  std::atomic<std::uint64_t> v{0};
  void bump(std::uint64_t n = 1) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

// Shared by the main thread and every worker.
struct run_control {
  std::atomic<int> phase{int(phase::connect)};
  std::atomic<bool> measuring{false};
  std::atomic<std::uint32_t> prepared{0};     // sessions ready for the scenario (e.g. joined)
  std::atomic<std::uint32_t> failed{0};       // sessions that never became ready
  std::atomic<std::uint32_t> disconnects{0};  // ready sessions the server closed or reset
  bool is(enum phase p) const noexcept { return phase.load(std::memory_order_acquire) == int(p); }
};

// Something registered in a worker's epoll set.
class pollable {
 public:
  virtual ~pollable() = default;
  virtual void on_poll(std::uint32_t events) noexcept = 0;
};

class session final : public pollable {
 public:
  enum class state : std::uint8_t { idle, connecting, upgrading, opening, joining, ready, closed };

  session(worker& w, std::uint32_t id) noexcept;
  ~session() override;
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start(const sockaddr_in* source) noexcept;
  // Queues one WebSocket text message (masked); written at the end of the loop iteration.
  void send_text(std::string_view text);
  // Socket.IO packet text, e.g. `2["echo",1]`: sent as the Engine.IO message "4" + text.
  void send_packet(std::string_view sio_text);
  void close(const char* why) noexcept;
  // Writes what is queued; called by the worker for sessions marked dirty.
  void flush() noexcept;

  std::uint32_t id() const noexcept { return id_; }
  state current() const noexcept { return state_; }
  bool ready() const noexcept { return state_ == state::ready; }
  void on_poll(std::uint32_t events) noexcept override;

 private:
  friend class worker;
  void on_connected() noexcept;
  void on_readable() noexcept;
  void consume(std::span<std::byte> bytes) noexcept;
  std::size_t parse_upgrade(std::span<std::byte> bytes) noexcept;
  std::size_t decode_frames(std::span<std::byte> bytes) noexcept;
  void on_message(std::string_view text) noexcept;
  void became_ready() noexcept;
  void fail(const char* why) noexcept;
  void want_writable(bool on) noexcept;

  worker& worker_;
  std::uint32_t id_;
  int fd_ = -1;
  state state_ = state::idle;
  bool dirty_ = false;
  bool writable_armed_ = false;
  protocol::websocket_decoder decoder_;
  std::string key_;                // Sec-WebSocket-Key, until the 101 is checked
  std::vector<std::byte> pending_; // received bytes not consumed yet (a partial frame)
  std::string out_;
  std::size_t out_sent_ = 0;
};

class worker {
 public:
  // `sessions`: how many the whole run opens (it decides how many source addresses are used).
  worker(unsigned index, const options& opts, scenario& sc, run_control& ctl, std::uint32_t sessions);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Before start(): the sessions this worker owns, connected in this order.
  void add_session(std::uint32_t id);
  void start();
  void join();

  // ---- On the worker's thread. ----
  session* find(std::uint32_t id) noexcept;
  const std::vector<std::unique_ptr<session>>& sessions() const noexcept { return sessions_; }
  // Registers an extra descriptor (a timer, an eventfd) for EPOLLIN.
  void watch(int fd, pollable& p);
  void mark_dirty(session& s);
  // Monotonic nanoseconds, refreshed after each wait and each receive.
  std::int64_t now_ns() const noexcept { return now_; }
  std::int64_t refresh_clock() noexcept;
  protocol::mask_key next_mask() noexcept;
  std::string& scratch() noexcept { return scratch_; }
  std::span<std::byte> recv_buffer() noexcept { return recv_buffer_; }
  unsigned index() const noexcept { return index_; }
  const options& opts() const noexcept { return opts_; }
  scenario& scene() noexcept { return scenario_; }
  run_control& control() noexcept { return control_; }
  int epoll_fd() const noexcept { return epoll_fd_; }
  void handshake_finished() noexcept { --handshaking_; }

  // Results, read by the main thread after join() (the histogram) or at any time (counters).
  latency_histogram histogram;
  counter messages;        // scenario messages received (deliveries, acks) while measuring
  counter messages_total;  // the same, over the whole run
  counter sent;            // scenario requests sent while measuring

 private:
  void run() noexcept;
  void open_more() noexcept;
  sockaddr_in source_for(std::uint32_t id) const noexcept;

  unsigned index_;
  const options& opts_;
  scenario& scenario_;
  run_control& control_;
  int epoll_fd_ = -1;
  std::int64_t now_ = 0;
  std::uint64_t rng_;
  std::vector<std::unique_ptr<session>> sessions_;
  std::vector<std::uint32_t> ids_;
  std::size_t next_to_open_ = 0;
  std::uint32_t handshaking_ = 0;
  std::uint32_t sources_ = 1;
  std::vector<session*> dirty_;
  std::vector<std::byte> recv_buffer_;
  std::string scratch_;
  std::thread thread_;
};

// The scenario's side of a run, called on worker threads.
class scenario {
 public:
  virtual ~scenario() = default;
  // The session completed its handshake (Socket.IO CONNECT acknowledged, or WebSocket open).
  virtual void on_ready(worker& w, session& s) = 0;
  // The data of the session's Socket.IO CONNECT to "/", a JSON object such as {"token":"..."}
  // (the client's `auth`); empty for none.
  virtual std::string_view connect_data(const session&) const { return {}; }
  // A Socket.IO packet (the Engine.IO message's data, e.g. `2["msg",{...}]` or `31[]`), or a plain
  // WebSocket text message. `now` is when the bytes were read.
  virtual void on_message(worker& w, session& s, std::string_view text, std::int64_t now) = 0;
  // The worker saw the main thread move to phase `p`.
  virtual void on_phase(worker&, phase) {}
  // End of every loop iteration, before queued writes go out.
  virtual void on_idle(worker&) {}
};

}  // namespace ringcast::bench
