// fanout: C subscribers join one room; one publisher connection publishes timestamped messages
// with a sequence number, at a fixed rate (a timer) or closed loop (at most W messages not yet
// delivered to every subscriber). Each subscriber checks its sequence for gaps, duplicates and
// reorderings; every delivery's latency is now - the publisher's stamp (same machine, same
// monotonic clock).
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "bench/loadgen/scenarios.h"

namespace ringcast::bench {
namespace {

// A subscriber's view of the sequence; touched only by its worker's thread.
struct subscriber_state {
  std::uint64_t next = 0;      // the sequence number expected next
  std::uint64_t received = 0;  // distinct messages received in order or after a gap
  std::uint64_t gaps = 0;      // messages skipped over when a later one arrived
  std::uint64_t duplicates = 0;
  std::uint64_t reorders = 0;  // arrived after a later one
  bool joined = false;
};

class fanout_scenario final : public load_scenario {
 public:
  fanout_scenario(const options& o, run_control& ctl)
      : opts_(o), ctl_(ctl), subs_(o.clients), publisher_(o.clients),
        closed_loop_(o.rate <= 0),
        remaining_(std::bit_ceil(std::max<std::size_t>(2 * std::size_t(o.window), 1024))),
        wake_(*this), timer_(*this) {
    // The publish text is `2["pub","<room>",{"s":N,"t":N,"p":"xx.."}]`; subscribers get
    // `42["msg",{...}]`, which the padding makes `payload` bytes long when the numbers take 6
    // (sequence) and 15 (nanosecond stamp) digits.
    const std::size_t fixed = std::strlen(R"(42["msg",{"s":,"t":,"p":""}])") + 6 + 15;
    padding_.assign(o.payload > fixed ? o.payload - fixed : 1, 'x');
  }
  ~fanout_scenario() override {
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (timer_fd_ >= 0) ::close(timer_fd_);
  }

  std::uint32_t session_count() const override { return opts_.clients + 1; }
  unsigned owner(std::uint32_t id, unsigned threads) const override { return id == publisher_ ? 0 : id % threads; }

  void prepare(std::vector<std::unique_ptr<worker>>& ws) override {
    publisher_worker_ = ws.front().get();
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    publisher_worker_->watch(wake_fd_, wake_);
    if (!closed_loop_) {
      timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
      publisher_worker_->watch(timer_fd_, timer_);
    }
  }

  void on_ready(worker& w, session& s) override {
    if (s.id() == publisher_) {
      ctl_.prepared.fetch_add(1);
      return;
    }
    // Ack id 0: the server answers `30[]` once the socket is in the room.
    std::string& text = w.scratch();
    text.assign(R"(20["join",")").append(opts_.room).append("\"]");
    s.send_packet(text);
  }

  void on_message(worker& w, session& s, std::string_view text, std::int64_t now) override {
    if (s.id() == publisher_ || text.empty()) return;
    subscriber_state& st = subs_[s.id()];
    if (text[0] == '2') return deliver(w, st, text, now);
    if (text[0] == '3' && !st.joined) {
      st.joined = true;
      joined_.fetch_add(1);
      ctl_.prepared.fetch_add(1);
    }
  }

  void on_phase(worker& w, phase p) override {
    if (&w != publisher_worker_ || p != phase::load) return;
    // Every subscriber that acked its join is in the room now; later ones are not counted.
    subscribers_ = joined_.load();
    pub_ = w.find(publisher_);
    if (!closed_loop_) {
      period_ns_ = std::int64_t(1e9 / opts_.rate);
      rate_start_ = w.refresh_clock();
      arm_timer(rate_start_);
    }
  }

  void on_idle(worker& w) override {
    if (closed_loop_ && &w == publisher_worker_) pump(w);
  }

  bool drained(const std::vector<std::unique_ptr<worker>>& ws) const override {
    std::uint64_t got = 0;
    for (const auto& w : ws) got += w->messages_total.get();
    return got >= published_.load() * subscribers_;
  }

  void describe(report& r, const std::vector<std::unique_ptr<worker>>& ws, double seconds) const override;

 private:
  // Wakes the publisher when another thread completed a message (closed loop, threads > 1).
  struct wake_handler final : pollable {
    explicit wake_handler(fanout_scenario& f) : f_(f) {}
    void on_poll(std::uint32_t) noexcept override {
      std::uint64_t v;
      while (::read(f_.wake_fd_, &v, sizeof(v)) > 0) {
      }
    }
    fanout_scenario& f_;
  };
  struct timer_handler final : pollable {
    explicit timer_handler(fanout_scenario& f) : f_(f) {}
    void on_poll(std::uint32_t) noexcept override { f_.on_timer(); }
    fanout_scenario& f_;
  };

  void deliver(worker& w, subscriber_state& st, std::string_view text, std::int64_t now) noexcept {
    std::uint64_t seq = 0, stamp = 0;
    if (!parse_msg(text, seq, stamp)) {
      unparsed_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (seq >= st.next) {
      st.gaps += seq - st.next;
      st.next = seq + 1;
      ++st.received;
      if (closed_loop_) complete(w, seq);
    } else if (seq + 1 == st.next) {
      ++st.duplicates;
    } else {
      ++st.reorders;
    }
    w.messages_total.bump();
    if (ctl_.measuring.load(std::memory_order_relaxed)) {
      w.messages.bump();
      w.histogram.record(now - std::int64_t(stamp));
    }
  }

  // `2["msg",{"s":<seq>,"t":<stamp>,...` as both servers forward it; keys are searched for if a
  // server were to reorder them.
  static bool parse_msg(std::string_view text, std::uint64_t& seq, std::uint64_t& stamp) noexcept {
    constexpr std::string_view head = R"(2["msg",{"s":)";
    if (text.substr(0, head.size()) == head) {
      std::string_view rest = text.substr(head.size());
      if (take_number(rest, seq) && rest.substr(0, 5) == R"(,"t":)") {
        rest.remove_prefix(5);
        return take_number(rest, stamp);
      }
    }
    const auto s = text.find(R"("s":)");
    const auto t = text.find(R"("t":)");
    if (s == std::string_view::npos || t == std::string_view::npos) return false;
    std::string_view a = text.substr(s + 4), b = text.substr(t + 4);
    return take_number(a, seq) && take_number(b, stamp);
  }

  void complete(worker& w, std::uint64_t seq) noexcept {
    if (remaining_[seq & (remaining_.size() - 1)].fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    completed_.fetch_add(1, std::memory_order_acq_rel);
    if (&w != publisher_worker_) {
      const std::uint64_t one = 1;
      (void)!::write(wake_fd_, &one, sizeof(one));
    }
  }

  void pump(worker& w) noexcept {
    if (!pub_ || !pub_->ready() || !ctl_.is(phase::load) || subscribers_.load(std::memory_order_relaxed) == 0) return;
    while (published_.load(std::memory_order_relaxed) - completed_.load(std::memory_order_acquire) < opts_.window)
      publish(w, w.refresh_clock());
  }

  void on_timer() noexcept {
    std::uint64_t expirations;
    while (::read(timer_fd_, &expirations, sizeof(expirations)) > 0) {
    }
    worker& w = *publisher_worker_;
    if (!pub_ || !pub_->ready() || !ctl_.is(phase::load)) return;
    const std::int64_t now = w.refresh_clock();
    // Messages carry their scheduled time: if the generator falls behind, the delay shows as
    // latency instead of being hidden (no coordinated omission).
    for (;;) {
      const std::int64_t due = rate_start_ + std::int64_t(published_.load()) * period_ns_;
      if (due > now) return arm_timer(due);
      publish(w, due);
    }
  }

  void arm_timer(std::int64_t at_ns) noexcept {
    itimerspec its{};
    its.it_value.tv_sec = at_ns / 1'000'000'000;
    its.it_value.tv_nsec = at_ns % 1'000'000'000;
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  void publish(worker& w, std::int64_t stamp) noexcept {
    const std::uint64_t seq = published_.load(std::memory_order_relaxed);
    if (closed_loop_) remaining_[seq & (remaining_.size() - 1)].store(subscribers_.load(std::memory_order_relaxed), std::memory_order_release);
    char numbers[64];
    const int n = std::snprintf(numbers, sizeof(numbers), R"({"s":%llu,"t":%lld,"p":")",
                                static_cast<unsigned long long>(seq), static_cast<long long>(stamp));
    std::string& text = w.scratch();
    text.assign(R"(2["pub",")").append(opts_.room).append("\",").append(numbers, std::size_t(n));
    text.append(padding_).append("\"}]");
    // The count goes up before the bytes leave, so a fast reply never finds it behind.
    published_.store(seq + 1, std::memory_order_release);
    pub_->send_packet(text);
    if (ctl_.measuring.load(std::memory_order_relaxed)) w.sent.bump();
  }

  const options& opts_;
  run_control& ctl_;
  std::vector<subscriber_state> subs_;
  const std::uint32_t publisher_;
  const bool closed_loop_;
  std::vector<std::atomic<std::uint32_t>> remaining_;  // per in-flight message: subscribers yet to get it
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint32_t> joined_{0};
  mutable std::atomic<std::uint64_t> unparsed_{0};
  std::atomic<std::uint32_t> subscribers_{0};
  worker* publisher_worker_ = nullptr;
  session* pub_ = nullptr;
  std::string padding_;
  int wake_fd_ = -1;
  int timer_fd_ = -1;
  std::int64_t rate_start_ = 0;
  std::int64_t period_ns_ = 0;
  wake_handler wake_;
  timer_handler timer_;
};

void fanout_scenario::describe(report& r, const std::vector<std::unique_ptr<worker>>& ws, double seconds) const {
  std::uint64_t deliveries = 0, sent = 0;
  for (const auto& w : ws) {
    deliveries += w->messages.get();
    sent += w->sent.get();
  }
  std::uint64_t gaps = 0, dups = 0, reorders = 0, lost = 0, with_issues = 0;
  const std::uint64_t published = published_.load();
  for (const subscriber_state& st : subs_) {
    if (!st.joined) continue;
    const std::uint64_t missing = published > st.received ? published - st.received : 0;
    gaps += st.gaps;
    dups += st.duplicates;
    reorders += st.reorders;
    lost += missing;
    if (st.gaps || st.duplicates || st.reorders || missing) ++with_issues;
  }
  r.add("subscribers", std::uint64_t(subscribers_.load()));
  describe_load_mode(r, opts_);
  r.add("published", published);
  r.add("publishes_per_s", double(sent) / seconds);
  r.add("deliveries", deliveries);
  r.add("deliveries_per_s", double(deliveries) / seconds);
  r.add("gaps", gaps);
  r.add("duplicates", dups);
  r.add("reorderings", reorders);
  r.add("lost", lost);
  r.add("subscribers_with_issues", with_issues);
  r.add("unparsed", unparsed_.load());
  char line[512];
  std::snprintf(line, sizeof(line),
                "  %u subscribers, %s: %.0f deliveries/s, %.0f publishes/s (%llu published in all)\n"
                "  ordering: gaps %llu, duplicates %llu, reorderings %llu, lost %llu (subscribers affected: %llu)\n",
                subscribers_.load(), closed_loop_ ? ("closed loop, window " + std::to_string(opts_.window)).c_str()
                                           : ("fixed rate " + std::to_string(std::llround(opts_.rate)) + " msg/s").c_str(),
                double(deliveries) / seconds, double(sent) / seconds, static_cast<unsigned long long>(published),
                static_cast<unsigned long long>(gaps), static_cast<unsigned long long>(dups),
                static_cast<unsigned long long>(reorders), static_cast<unsigned long long>(lost),
                static_cast<unsigned long long>(with_issues));
  r.human += line;
  describe_latency(r, ws, "delivery");
}

}  // namespace

std::unique_ptr<load_scenario> make_fanout(const options& o, run_control& ctl) {
  return std::make_unique<fanout_scenario>(o, ctl);
}

}  // namespace ringcast::bench
