#pragma once
// Who is typing in the conversations one shard owns (a conversation's owner shard orders its
// events, so its typing state lives there too). A start shows the typist to the others until a
// stop, or until `ttl` after the last start, when the tracker reports the stop itself. Typing is
// never stored. Rate limiting is the caller's (it answers the refused start).
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "reactor/timer_wheel.h"

namespace ringcast::broker::inbox {

struct typist {
  std::string user_type;  // customer, staff or ai
  std::string user_id;
  std::string name;       // may be empty
};

class typing_tracker {
 public:
  using duration = reactor::timer_wheel::duration;
  // Every change: typing true (with its expiry from now) on each start, false once on a stop or
  // an expiry.
  using notify_fn = std::function<void(const std::string& conversation, const typist& who, bool typing)>;

  typing_tracker(reactor::timer_wheel& timers, duration ttl, notify_fn notify);
  ~typing_tracker();
  typing_tracker(const typing_tracker&) = delete;
  typing_tracker& operator=(const typing_tracker&) = delete;

  void start(const std::string& conversation, const typist& who);
  // Reported only when `who` was typing (a stop, a sent message, a last socket leaving).
  void stop(const std::string& conversation, const std::string& user_type, const std::string& user_id);
  // Who is typing now, for a socket that joins.
  std::vector<typist> typing_in(const std::string& conversation) const;
  std::size_t active() const noexcept { return active_; }
  duration ttl() const noexcept { return ttl_; }

 private:
  struct entry {
    typist who;
    reactor::timer_id expiry;
  };
  using people = std::map<std::string, entry>;  // user_type + '\0' + user_id

  reactor::timer_wheel& timers_;
  duration ttl_;
  notify_fn notify_;
  std::map<std::string, people> conversations_;
  std::size_t active_ = 0;
};

}  // namespace ringcast::broker::inbox
