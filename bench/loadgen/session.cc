// One client connection of the load generator: TCP connect, HTTP upgrade, WebSocket frames,
// Engine.IO open/ping/message packets and the Socket.IO CONNECT to "/".
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bench/loadgen/worker.h"
#include "protocol/base64.h"
#include "protocol/websocket_handshake.h"

namespace ringcast::bench {

using protocol::opcode;

namespace {
// Frames from the server are never masked; the decoder checks that and skips unmasking.
protocol::decoder_options client_decoder() {
  protocol::decoder_options o;
  o.side = protocol::role::client;
  o.max_message_size = std::size_t{16} << 20;
  return o;
}
// A server's 101 response is a few hundred bytes; more without the blank line is not HTTP.
constexpr std::size_t max_response_head = 16 * 1024;
}  // namespace

session::session(worker& w, std::uint32_t id) noexcept : worker_(w), id_(id), decoder_(client_decoder()) {}

session::~session() {
  if (fd_ >= 0) ::close(fd_);
}

void session::start(const sockaddr_in* source) noexcept {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail("socket");
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (source) {
    // The port is then chosen at connect() per (source, destination) pair instead of being
    // reserved at bind(), so each source address gives its own ~28k ephemeral ports.
    setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(source), sizeof(*source)) != 0) return fail("bind");
  }
  const auto& srv = worker_.opts().server;
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&srv), sizeof(srv)) != 0 && errno != EINPROGRESS)
    return fail("connect");
  state_ = state::connecting;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = static_cast<pollable*>(this);
  writable_armed_ = true;
  if (epoll_ctl(worker_.epoll_fd(), EPOLL_CTL_ADD, fd_, &ev) != 0) return fail("epoll_ctl");
}

void session::on_poll(std::uint32_t events) noexcept {
  if (state_ == state::connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail("connect refused");
    on_connected();
    return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable();
  if (state_ != state::closed && (events & EPOLLOUT)) flush();
}

void session::on_connected() noexcept {
  char raw[16];
  const protocol::mask_key a = worker_.next_mask(), b = worker_.next_mask(), c = worker_.next_mask(),
                           d = worker_.next_mask();
  std::memcpy(raw, a.data(), 4);
  std::memcpy(raw + 4, b.data(), 4);
  std::memcpy(raw + 8, c.data(), 4);
  std::memcpy(raw + 12, d.data(), 4);
  key_ = protocol::base64_encode(std::string_view(raw, sizeof(raw)));
  const options& o = worker_.opts();
  out_ += "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host_header +
          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key_ +
          "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  state_ = state::upgrading;
  want_writable(false);
  flush();
}

void session::on_readable() noexcept {
  std::span<std::byte> buf = worker_.recv_buffer();
  // Bounded so one busy connection cannot starve the others of this thread.
  for (int round = 0; round < 4 && state_ != state::closed; ++round) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n > 0) {
      worker_.refresh_clock();
      consume(buf.first(std::size_t(n)));
      // A short read means the socket is drained; level-triggered epoll reports what comes next.
      if (std::size_t(n) < buf.size()) return;
    } else if (n == 0) {
      return fail("closed by server");
    } else {
      if (errno == EAGAIN || errno == EINTR) return;
      return fail("recv error");
    }
  }
}

void session::consume(std::span<std::byte> bytes) noexcept {
  // Bytes left from the previous read (a partial frame) come first; the decoder needs one
  // contiguous run, so only then are the new bytes copied.
  std::span<std::byte> input = bytes;
  if (!pending_.empty()) {
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    input = pending_;
  }
  std::size_t used = 0;
  if (state_ == state::upgrading) used = parse_upgrade(input);
  if (state_ != state::upgrading && state_ != state::closed) used += decode_frames(input.subspan(used));
  if (state_ == state::closed) {
    pending_.clear();
    return;
  }
  if (input.data() == pending_.data()) {
    pending_.erase(pending_.begin(), pending_.begin() + std::ptrdiff_t(used));
  } else {
    pending_.assign(input.begin() + std::ptrdiff_t(used), input.end());
  }
  if (pending_.empty() && pending_.capacity() > 64 * 1024) pending_.shrink_to_fit();
}

std::size_t session::parse_upgrade(std::span<std::byte> bytes) noexcept {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const auto end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (text.size() > max_response_head) fail("oversized HTTP response");
    return 0;
  }
  const std::string_view head = text.substr(0, end + 2);
  if (head.substr(0, 12) != "HTTP/1.1 101") {
    fail("upgrade refused");
    return 0;
  }
  // Header names are case-insensitive; a lower-cased copy is cheap once per connection.
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  const auto at = lower.find("\r\nsec-websocket-accept:");
  if (at == std::string::npos) {
    fail("no Sec-WebSocket-Accept");
    return 0;
  }
  std::string_view value = head.substr(at + 23);
  value = value.substr(0, value.find("\r\n"));
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value != protocol::websocket_accept(key_)) {
    fail("bad Sec-WebSocket-Accept");
    return 0;
  }
  key_.clear();
  key_.shrink_to_fit();
  if (worker_.opts().protocol == wire_protocol::ws) became_ready();
  else state_ = state::opening;
  return end + 4;
}

std::size_t session::decode_frames(std::span<std::byte> bytes) noexcept {
  std::size_t used = 0;
  while (state_ != state::closed) {
    const protocol::decode_result r = decoder_.decode(bytes.subspan(used));
    switch (r.kind) {
      case protocol::frame_event::need_more:
        return used + r.consumed;
      case protocol::frame_event::text:
        on_message(r.text());
        break;
      case protocol::frame_event::binary:
        break;  // Socket.IO attachments: no bench event carries binary data
      case protocol::frame_event::ping: {
        std::string pong;
        protocol::append_masked_frame(pong, opcode::pong, r.text(), worker_.next_mask());
        out_ += pong;
        worker_.mark_dirty(*this);
        break;
      }
      case protocol::frame_event::pong:
        break;
      case protocol::frame_event::close:
        fail("WebSocket close from server");
        return used + r.consumed;
      case protocol::frame_event::error:
        fail("WebSocket protocol error");
        return used + r.consumed;
    }
    used += r.consumed;
  }
  return used;
}

void session::on_message(std::string_view text) noexcept {
  if (worker_.opts().protocol == wire_protocol::ws) {
    worker_.scene().on_message(worker_, *this, text, worker_.now_ns());
    return;
  }
  if (text.empty()) return fail("empty Engine.IO packet");
  switch (text[0]) {
    case '4':  // message
      if (state_ == state::ready) {
        worker_.scene().on_message(worker_, *this, text.substr(1), worker_.now_ns());
      } else if (state_ == state::joining) {
        // "40{...}" acknowledges our CONNECT to "/"; "44{...}" refuses it.
        if (text.substr(0, 2) == "40") {
          became_ready();
        } else {
          // "44{"message":"unauthorized","data":{"code":"invalid_token"}}": the reason is worth a line.
          if (worker_.control().failed.load(std::memory_order_relaxed) < 5)
            std::fprintf(stderr, "ringcast-load: session %u: CONNECT refused: %.*s\n", id_, int(std::min<std::size_t>(text.size(), 200)),
                         text.data());
          fail("Socket.IO connect refused");
        }
      }
      return;
    case '2':  // ping: the server closes sessions that do not answer within pingTimeout
      send_text(std::string("3").append(text.substr(1)));
      return;
    case '0':  // open
      if (state_ == state::opening) {
        state_ = state::joining;
        std::string connect("40");
        send_text(connect.append(worker_.scene().connect_data(*this)));
      }
      return;
    case '1':
      return fail("Engine.IO close from server");
    default:
      return;  // noop, or upgrade packets a WebSocket-only session never asked for
  }
}

void session::became_ready() noexcept {
  state_ = state::ready;
  worker_.handshake_finished();
  worker_.scene().on_ready(worker_, *this);
}

void session::send_text(std::string_view text) {
  protocol::append_masked_frame(out_, opcode::text, text, worker_.next_mask());
  worker_.mark_dirty(*this);
}

void session::send_packet(std::string_view sio_text) {
  // "4" + text framed in place: no temporary string per request.
  const std::size_t len = 1 + sio_text.size();
  const std::size_t start = out_.size();
  out_.resize(start + protocol::max_frame_header_size + len);
  auto* dst = reinterpret_cast<std::byte*>(out_.data() + start);
  const protocol::mask_key key = worker_.next_mask();
  const std::size_t header = protocol::write_masked_frame_header(dst, opcode::text, len, key);
  dst[header] = std::byte{'4'};
  std::memcpy(dst + header + 1, sio_text.data(), sio_text.size());
  protocol::apply_mask({dst + header, len}, key);
  out_.resize(start + header + len);
  worker_.mark_dirty(*this);
}

void session::flush() noexcept {
  if (state_ == state::closed || state_ == state::connecting) return;
  while (out_sent_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += std::size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return want_writable(true);
    } else {
      return fail("send error");
    }
  }
  out_.clear();
  out_sent_ = 0;
  if (out_.capacity() > 64 * 1024) out_.shrink_to_fit();
  want_writable(false);
}

void session::want_writable(bool on) noexcept {
  if (on == writable_armed_ || fd_ < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  ev.data.ptr = static_cast<pollable*>(this);
  epoll_ctl(worker_.epoll_fd(), EPOLL_CTL_MOD, fd_, &ev);
  writable_armed_ = on;
}

void session::close(const char* why) noexcept {
  (void)why;
  if (fd_ >= 0) {
    ::close(fd_);  // also removes it from the epoll set
    fd_ = -1;
  }
  state_ = state::closed;
  out_.clear();
  pending_.clear();
}

void session::fail(const char* why) noexcept {
  if (state_ == state::closed) return;
  const bool was_ready = state_ == state::ready;
  const bool quitting = worker_.control().is(phase::quit);
  if (was_ready) {
    if (!quitting) {
      worker_.control().disconnects.fetch_add(1, std::memory_order_relaxed);
      std::fprintf(stderr, "ringcast-load: session %u lost: %s\n", id_, why);
    }
  } else {
    worker_.handshake_finished();
    const auto failed = worker_.control().failed.fetch_add(1, std::memory_order_relaxed);
    // The first few failures say why; the rest are counted.
    if (failed < 5) std::fprintf(stderr, "ringcast-load: session %u failed: %s (errno %d)\n", id_, why, errno);
  }
  close(why);
}

}  // namespace ringcast::bench
