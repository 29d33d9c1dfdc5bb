#include "broker/inbox/presence_tracker.h"

namespace ringcast::broker::inbox {

presence_tracker::presence_tracker(reactor::timer_wheel& timers, duration away_after, duration grace,
                                   notify_fn notify)
    : timers_(timers), away_after_(away_after), grace_(grace), notify_(std::move(notify)) {}

presence_tracker::~presence_tracker() {
  for (auto& [k, p] : people_) {
    timers_.cancel(p.away_timer);
    timers_.cancel(p.offline_timer);
  }
}

std::string presence_tracker::key(const std::string& type, const std::string& id) {
  std::string k = type;
  k.push_back('\0');
  k += id;
  return k;
}

presence_tracker::person& presence_tracker::find_or_add(const std::string& user_type, const std::string& user_id) {
  auto [it, fresh] = people_.try_emplace(key(user_type, user_id));
  if (fresh) {
    it->second.user_type = user_type;
    it->second.user_id = user_id;
  }
  return it->second;
}

void presence_tracker::change(person& p, presence_status to) {
  if (p.status == to) return;
  p.status = to;
  p.last_seen = wall_clock::now();
  notify_(p.user_type, p.user_id, to, p.last_seen);
}

void presence_tracker::restart_away_timer(person& p, const std::string& k) {
  if (timers_.rearm_after(p.away_timer, away_after_)) return;
  p.away_timer = timers_.schedule_after(away_after_, [this, k] {
    auto it = people_.find(k);
    if (it != people_.end() && it->second.status == presence_status::online) change(it->second, presence_status::away);
  });
}

void presence_tracker::connected(const std::string& user_type, const std::string& user_id) {
  const std::string k = key(user_type, user_id);
  person& p = find_or_add(user_type, user_id);
  ++p.sockets;
  timers_.cancel(p.offline_timer);
  if (p.status == presence_status::offline) change(p, p.chose_away ? presence_status::away : presence_status::online);
  restart_away_timer(p, k);
}

void presence_tracker::disconnected(const std::string& user_type, const std::string& user_id) {
  const std::string k = key(user_type, user_id);
  auto it = people_.find(k);
  if (it == people_.end() || it->second.sockets == 0) return;
  person& p = it->second;
  if (--p.sockets > 0) return;
  p.offline_timer = timers_.schedule_after(grace_, [this, k] {
    auto gone = people_.find(k);
    if (gone == people_.end() || gone->second.sockets > 0) return;
    timers_.cancel(gone->second.away_timer);
    change(gone->second, presence_status::offline);
    people_.erase(gone);
  });
}

void presence_tracker::activity(const std::string& user_type, const std::string& user_id) {
  const std::string k = key(user_type, user_id);
  auto it = people_.find(k);
  if (it == people_.end() || it->second.sockets == 0) return;
  person& p = it->second;
  p.last_seen = wall_clock::now();
  if (p.status == presence_status::away && !p.chose_away) change(p, presence_status::online);
  restart_away_timer(p, k);
}

void presence_tracker::set(const std::string& user_type, const std::string& user_id, presence_status status) {
  auto it = people_.find(key(user_type, user_id));
  if (it == people_.end() || it->second.sockets == 0 || status == presence_status::offline) return;
  person& p = it->second;
  p.chose_away = status == presence_status::away;
  change(p, status);
  if (status == presence_status::online) restart_away_timer(p, it->first);
}

presence_status presence_tracker::status_of(const std::string& user_type, const std::string& user_id) const {
  auto it = people_.find(key(user_type, user_id));
  return it == people_.end() ? presence_status::offline : it->second.status;
}

}  // namespace ringcast::broker::inbox
