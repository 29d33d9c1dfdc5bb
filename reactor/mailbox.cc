#include "reactor/mailbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

namespace ringcast::reactor {

mailbox_mesh::mailbox_mesh(unsigned shards, std::size_t ring_capacity)
    : shards_(shards), peers_(new peer_state[shards]) {
  rings_.reserve(std::size_t{shards} * shards);
  for (unsigned i = 0; i < shards * shards; ++i)
    rings_.push_back(std::make_unique<spsc_ring<shard_task>>(ring_capacity));
  for (unsigned i = 0; i < shards; ++i) {
    peers_[i].wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (peers_[i].wake_fd < 0) throw std::runtime_error("eventfd failed");
  }
}

mailbox_mesh::~mailbox_mesh() {
  for (unsigned i = 0; i < shards_; ++i)
    if (peers_[i].wake_fd >= 0) ::close(peers_[i].wake_fd);
}

void mailbox_mesh::request_stop(unsigned shard) noexcept {
  peers_[shard].stop_requested.store(true, std::memory_order_release);
  wake(shard);
}

void mailbox_mesh::wake(unsigned shard) noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(peers_[shard].wake_fd, &one, sizeof one);
}

void mailbox_mesh::post_from_thread(unsigned shard, shard_task t) {
  auto& p = peers_[shard];
  {
    std::lock_guard lock(p.thread_posts_lock);
    p.thread_posts.push_back(std::move(t));
    p.has_thread_posts.store(true, std::memory_order_release);
  }
  // The eventfd read is always armed on the shard: the write ends its wait, or its next one.
  wake(shard);
}

std::deque<shard_task> mailbox_mesh::take_thread_posts(unsigned shard) {
  auto& p = peers_[shard];
  std::deque<shard_task> out;
  if (!p.has_thread_posts.load(std::memory_order_acquire)) return out;
  std::lock_guard lock(p.thread_posts_lock);
  out.swap(p.thread_posts);
  p.has_thread_posts.store(false, std::memory_order_relaxed);
  return out;
}

mailbox_port::mailbox_port(mailbox_mesh& mesh, unsigned self, std::size_t overflow_limit)
    : mesh_(mesh), self_(self), deferred_(mesh.shards()), pushed_(mesh.shards(), 0), overflow_limit_(overflow_limit) {}

mailbox_port::outcome mailbox_port::post(unsigned target, shard_task&& t, bool guaranteed) {
  auto& kept = deferred_[target];
  if (kept.empty() && mesh_.ring(self_, target).try_push(t)) {
    pushed_[target] = 1;
    return outcome::queued;
  }
  if (!guaranteed && kept.size() >= overflow_limit_) return outcome::refused;
  kept.push_back(std::move(t));
  ++deferred_count_;
  return outcome::kept;
}

bool mailbox_port::prepare_sleep() noexcept {
  auto& me = mesh_.peer(self_);
  me.sleeping.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (unsigned from = 0; from < mesh_.shards(); ++from) {
    if (from != self_ && !mesh_.ring(from, self_).empty_approx()) {
      me.sleeping.store(false, std::memory_order_relaxed);
      return false;
    }
  }
  return true;
}

}  // namespace ringcast::reactor
