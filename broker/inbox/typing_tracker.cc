#include "broker/inbox/typing_tracker.h"

namespace ringcast::broker::inbox {
namespace {
std::string person_key(const std::string& type, const std::string& id) {
  std::string k = type;
  k.push_back('\0');
  k += id;
  return k;
}
}  // namespace

typing_tracker::typing_tracker(reactor::timer_wheel& timers, duration ttl, notify_fn notify)
    : timers_(timers), ttl_(ttl), notify_(std::move(notify)) {}

typing_tracker::~typing_tracker() {
  for (auto& [conversation, ps] : conversations_)
    for (auto& [key, e] : ps) timers_.cancel(e.expiry);
}

void typing_tracker::start(const std::string& conversation, const typist& who) {
  people& ps = conversations_[conversation];
  const std::string key = person_key(who.user_type, who.user_id);
  auto [it, fresh] = ps.try_emplace(key);
  it->second.who = who;
  if (fresh) {
    ++active_;
    it->second.expiry = timers_.schedule_after(ttl_, [this, conversation, key] {
      auto c = conversations_.find(conversation);
      if (c == conversations_.end()) return;
      auto p = c->second.find(key);
      if (p == c->second.end()) return;
      const typist gone = std::move(p->second.who);
      c->second.erase(p);
      if (c->second.empty()) conversations_.erase(c);
      --active_;
      notify_(conversation, gone, false);
    });
  } else {
    timers_.rearm_after(it->second.expiry, ttl_);
  }
  notify_(conversation, it->second.who, true);
}

void typing_tracker::stop(const std::string& conversation, const std::string& user_type, const std::string& user_id) {
  auto c = conversations_.find(conversation);
  if (c == conversations_.end()) return;
  auto p = c->second.find(person_key(user_type, user_id));
  if (p == c->second.end()) return;
  timers_.cancel(p->second.expiry);
  const typist gone = std::move(p->second.who);
  c->second.erase(p);
  if (c->second.empty()) conversations_.erase(c);
  --active_;
  notify_(conversation, gone, false);
}

std::vector<typist> typing_tracker::typing_in(const std::string& conversation) const {
  std::vector<typist> out;
  if (auto c = conversations_.find(conversation); c != conversations_.end())
    for (const auto& [key, e] : c->second) out.push_back(e.who);
  return out;
}

}  // namespace ringcast::broker::inbox
