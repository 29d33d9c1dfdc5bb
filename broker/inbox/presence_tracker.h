#pragma once
// Presence per identity (user type + id), not per socket, on the shard that owns the identity:
// online at its first connection; away after `away_after` with no activity from any of its
// sockets, or when set so; offline only once its last socket has been gone for `grace`, so
// reloads, extra tabs and reconnects do not flap. Each change is reported once.
#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>

#include "persistence/watermarks.h"
#include "reactor/timer_wheel.h"

namespace ringcast::broker::inbox {

// The stored states, the same three.
using persistence::presence_status;
using persistence::to_string;

class presence_tracker {
 public:
  using duration = reactor::timer_wheel::duration;
  using wall_clock = std::chrono::system_clock;
  using notify_fn = std::function<void(const std::string& user_type, const std::string& user_id,
                                       presence_status status, wall_clock::time_point last_seen)>;

  presence_tracker(reactor::timer_wheel& timers, duration away_after, duration grace, notify_fn notify);
  ~presence_tracker();
  presence_tracker(const presence_tracker&) = delete;
  presence_tracker& operator=(const presence_tracker&) = delete;

  void connected(const std::string& user_type, const std::string& user_id);
  void disconnected(const std::string& user_type, const std::string& user_id);
  // Any event from one of the identity's sockets.
  void activity(const std::string& user_type, const std::string& user_id);
  // presence:set: an explicit away holds, through activity, until it is set online again.
  void set(const std::string& user_type, const std::string& user_id, presence_status status);

  presence_status status_of(const std::string& user_type, const std::string& user_id) const;
  std::size_t tracked() const noexcept { return people_.size(); }

 private:
  struct person {
    std::string user_type, user_id;
    unsigned sockets = 0;
    presence_status status = presence_status::offline;
    bool chose_away = false;
    wall_clock::time_point last_seen;
    reactor::timer_id away_timer, offline_timer;
  };
  static std::string key(const std::string& type, const std::string& id);
  person& find_or_add(const std::string& user_type, const std::string& user_id);
  void change(person& p, presence_status to);
  void restart_away_timer(person& p, const std::string& k);

  reactor::timer_wheel& timers_;
  duration away_after_, grace_;
  notify_fn notify_;
  std::unordered_map<std::string, person> people_;
};

}  // namespace ringcast::broker::inbox
