// inbox: C conversations against a server's inbox profile (docs/events.md). Each conversation has
// one customer, who creates it and then sends `message:send` with an ack (acked once stored), and
// two staff watchers that `conversation:join` it; one more staff socket joins nothing and sees
// everything through the staff feed. Every staff socket is in the staff feed and the sender never
// gets its own message, so each acked message is expected exactly once at every staff socket.
//
// The content of a message is "<stamp> <conversation> xxx...": the stamp is the monotonic clock in
// ns when the message was due (scheduled time at a fixed rate, send time in a closed loop), so
// every recipient can time its delivery without a lookup; the ack is timed from the same stamp.
// Each recipient checks per conversation that seq goes up by exactly 1.
//
// With --ai-replies the content is a knowledge-base question instead (a stamp would lower the
// answer's confidence), there are no watchers, only the feed socket, and ai_replies.h times each
// AI reply from the customer's ack; in a closed loop a customer sends again on a reply, not an ack.
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>

#include "bench/loadgen/ai_replies.h"
#include "bench/loadgen/scenarios.h"
#include "bench/loadgen/tokens.h"

namespace ringcast::bench {
namespace {

// (staff socket, conversation) pairs whose seq is tracked, 8 bytes each: every staff socket sees
// every conversation through the feed, so 2 watchers per conversation grow this as 2C^2.
constexpr std::uint64_t max_tracked_pairs = std::uint64_t{32} << 20;
constexpr std::uint64_t create_ack_id = 1;      // a customer's conversation:create
constexpr std::uint64_t first_send_ack_id = 2;  // then its message:send calls
constexpr std::int64_t token_ttl_s = 86'400;

// Written by its customer's worker. `id` is set once, then `known` (release): other threads read
// the id only after seeing `known`.
struct conversation {
  std::string id;
  std::atomic<bool> known{false};
  // The customer's worker only.
  std::uint64_t base_ack = first_send_ack_id;  // ack id of pending.front()
  std::deque<std::int64_t> pending;            // by ack id - base_ack: the send's stamp, -1 once answered
  std::uint64_t acked = 0;                     // answered without an error (read after the run)
};

// What one staff socket saw of one conversation.
struct seq_track {
  std::uint32_t next = 0;  // seq expected next; 0 before the first
  std::uint32_t received = 0;
};

// Touched only by its worker's thread (and by the main thread after the run).
struct staff_socket {
  std::vector<std::uint32_t> watches;  // conversations it joins; none for a feed socket
  std::vector<std::uint32_t> waiting;  // of those, ids known before the session was ready
  std::uint32_t joined = 0;
  bool ready = false;
  bool prepared = false;
  bool failed = false;
  std::vector<seq_track> seqs;  // by conversation
  std::uint64_t gaps = 0;
  std::uint64_t duplicates = 0;  // a seq at or below one already seen: duplicated or out of order
  std::uint64_t misrouted = 0;   // content of one conversation under another conversationId
  std::uint64_t unparsed = 0;
};

class inbox_scenario;

struct fd_handler final : pollable {
  fd_handler(inbox_scenario& sc, unsigned worker, bool timer) : sc_(sc), worker_(worker), timer_(timer) {}
  void on_poll(std::uint32_t) noexcept override;
  inbox_scenario& sc_;
  unsigned worker_;
  bool timer_;
};

// One per worker thread. Counters are `counter`s where the main thread reads them during the run.
struct alignas(64) worker_side {
  worker_side(inbox_scenario& sc, unsigned index) : wake(sc, index, false), timer(sc, index, true) {}
  worker* w = nullptr;
  // Conversation ids handed over by other workers: (staff socket, conversation).
  std::mutex handed_lock;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> handed;
  int wake_fd = -1;
  int timer_fd = -1;
  fd_handler wake;
  fd_handler timer;
  std::vector<std::uint32_t> customers;       // session ids this worker owns
  std::vector<std::pair<std::uint32_t, session*>> sending;  // those with a conversation, at load start
  std::uint64_t scheduled = 0;                // sends due so far on this worker's schedule
  std::int64_t schedule_start = 0;
  double period_ns = 0;                       // between two sends of this worker
  latency_histogram ack_latency;
  std::map<std::string, std::uint64_t, std::less<>> errors;  // ack errors by code
  std::uint64_t unexpected_acks = 0;
  counter sent;       // message:send calls
  counter answered;   // their acks, errors included
  counter acked;      // acks without an error
  counter delivered;  // distinct message:new received by the staff sockets of this worker
  counter acked_measured;
  std::atomic<bool> stopped{false};
};

class inbox_scenario final : public load_scenario {
 public:
  inbox_scenario(const options& o, run_control& ctl)
      : opts_(o), ctl_(ctl), customers_(o.conversations),
        watchers_(o.ai_replies ? 0 : o.staff_pool ? o.staff_pool : 2 * o.conversations), staff_count_(watchers_ + 1),
        closed_loop_(o.rate <= 0), convs_(customers_), staff_(staff_count_) {
    if (o.ai_replies) ai_ = std::make_unique<ai_reply_tracker>(customers_, o.threads);
    if (std::uint64_t(staff_count_) * customers_ > max_tracked_pairs)
      throw std::runtime_error("too many staff sockets x conversations to track (" + std::to_string(staff_count_) +
                               " x " + std::to_string(customers_) + "); use fewer --conversations or a --staff-pool");
    for (std::uint32_t i = 0; i < customers_ && watchers_; ++i)
      for (std::uint32_t j : watchers_of(i)) staff_[j].watches.push_back(i);
    for (auto& st : staff_) st.seqs.resize(customers_);
    // Subs unique to this run: a customer's conversations and a sender's clientIds are its own.
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    char run[32];
    std::snprintf(run, sizeof(run), "%x%05x", unsigned(ts.tv_sec), unsigned(::getpid()) & 0xfffff);
    auth_.reserve(customers_ + staff_count_);
    for (std::uint32_t i = 0; i < customers_ + staff_count_; ++i) {
      const bool customer = i < customers_;
      const std::uint32_t n = customer ? i : i - customers_;
      const std::string sub = std::string(customer ? "load-c-" : "load-s-") + run + "-" + std::to_string(n);
      const std::string name = (customer ? "c" : "s") + std::to_string(n);
      auth_.push_back(R"({"token":")" + sign_token(o.jwt_secret, sub, customer ? "customer" : "staff", name, token_ttl_s) +
                      "\"}");
    }
    for (unsigned t = 0; t < o.threads; ++t) sides_.push_back(std::make_unique<worker_side>(*this, t));
  }
  ~inbox_scenario() override {
    for (auto& s : sides_) {
      if (s->wake_fd >= 0) ::close(s->wake_fd);
      if (s->timer_fd >= 0) ::close(s->timer_fd);
    }
  }

  std::uint32_t session_count() const override { return customers_ + staff_count_; }

  // A conversation's customer and its own watchers share a worker, so the conversation id goes
  // from the create ack to the joins without crossing threads; pool sockets are spread.
  unsigned owner(std::uint32_t id, unsigned threads) const override {
    if (id < customers_) return id % threads;
    const std::uint32_t j = id - customers_;
    if (j < watchers_ && !opts_.staff_pool) return (j / 2) % threads;
    return j % threads;
  }

  void prepare(std::vector<std::unique_ptr<worker>>& ws) override {
    for (std::size_t t = 0; t < ws.size(); ++t) {
      worker_side& side = *sides_[t];
      side.w = ws[t].get();
      side.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      side.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
      if (side.wake_fd < 0 || side.timer_fd < 0) throw std::runtime_error("eventfd/timerfd failed");
      side.w->watch(side.wake_fd, side.wake);
      side.w->watch(side.timer_fd, side.timer);
    }
    for (std::uint32_t i = 0; i < customers_; ++i) sides_[owner(i, unsigned(ws.size()))]->customers.push_back(i);
  }

  std::string_view connect_data(const session& s) const override { return auth_[s.id()]; }

  void on_ready(worker& w, session& s) override {
    if (s.id() < customers_) {
      std::string& text = w.scratch();
      text.assign("2").append(std::to_string(create_ack_id));
      text.append(R"(["conversation:create",{"subject":"load )").append(std::to_string(s.id())).append("\"}]");
      s.send_packet(text);
      return;
    }
    staff_socket& st = staff_[s.id() - customers_];
    st.ready = true;
    for (std::uint32_t c : st.waiting) send_join(w, s, c);
    st.waiting.clear();
    if (st.watches.empty()) mark_prepared(st);
  }

  void on_message(worker& w, session& s, std::string_view text, std::int64_t now) override {
    if (text.empty()) return;
    const bool message = text.starts_with(R"(2["message:new",)");
    if (s.id() < customers_) {
      if (text[0] == '3') on_customer_ack(w, s, text, now);
      else if (ai_ && message) on_ai_reply(w, s, text, now);
      return;
    }
    staff_socket& st = staff_[s.id() - customers_];
    if (message && ai_) ai_->on_feed_message(w.index(), text);
    else if (message) deliver(w, st, text, now);
    else if (text[0] == '3') on_join_ack(st, s, text);
  }

  void on_phase(worker& w, phase p) override {
    worker_side& side = *sides_[w.index()];
    if (p == phase::stop_load) {
      side.stopped.store(true, std::memory_order_release);
      return;
    }
    if (p != phase::load) return;
    for (std::uint32_t i : side.customers) {
      session* s = w.find(i);
      if (s && s->ready() && convs_[i].known.load(std::memory_order_acquire)) side.sending.emplace_back(i, s);
    }
    if (side.sending.empty()) return;
    if (closed_loop_) {
      for (auto [i, s] : side.sending)
        for (std::uint32_t n = 0; n < opts_.window; ++n) send(w, side, i, *s, w.refresh_clock());
      return;
    }
    // Each customer sends rate/C: this worker's customers take turns on one schedule.
    side.period_ns = 1e9 * double(customers_) / (opts_.rate * double(side.sending.size()));
    side.schedule_start = w.refresh_clock();
    arm(side, side.schedule_start);
  }

  void on_fd(unsigned index, bool timer) noexcept {
    worker_side& side = *sides_[index];
    std::uint64_t v;
    if (timer) {
      while (::read(side.timer_fd, &v, sizeof(v)) > 0) {
      }
      return on_timer(side);
    }
    while (::read(side.wake_fd, &v, sizeof(v)) > 0) {
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>> handed;
    {
      std::lock_guard lock(side.handed_lock);
      handed.swap(side.handed);
    }
    for (auto [j, c] : handed) watcher_learns(*side.w, j, c);
  }

  bool drained(const std::vector<std::unique_ptr<worker>>&) const override {
    std::uint64_t sent = 0, answered = 0, acked = 0, delivered = 0;
    for (const auto& side : sides_) {
      if (!side->stopped.load(std::memory_order_acquire)) return false;
      sent += side->sent.get();
      answered += side->answered.get();
      acked += side->acked.get();
      delivered += side->delivered.get();
    }
    if (ai_) return answered >= sent && ai_->drained(staff_prepared_.load() > 0);
    return answered >= sent && delivered >= acked * staff_prepared_.load();
  }

  void describe(report& r, const std::vector<std::unique_ptr<worker>>& ws, double seconds) const override;

 private:
  std::array<std::uint32_t, 2> watchers_of(std::uint32_t c) const noexcept {
    if (!opts_.staff_pool) return {2 * c, 2 * c + 1};
    return {(2 * c) % watchers_, (2 * c + 1) % watchers_};
  }

  void mark_prepared(staff_socket& st) noexcept {
    if (st.prepared || st.failed) return;
    st.prepared = true;
    staff_prepared_.fetch_add(1);
    ctl_.prepared.fetch_add(1);
  }

  void fail_setup(std::uint32_t id, const char* what, std::string_view reply) noexcept {
    if (ctl_.failed.fetch_add(1) < 5)
      std::fprintf(stderr, "ringcast-load: session %u: %s refused: %.*s\n", id, what,
                   int(std::min<std::size_t>(reply.size(), 300)), reply.data());
  }

  void on_customer_ack(worker& w, session& s, std::string_view text, std::int64_t now) noexcept {
    std::string_view rest = text.substr(1);
    std::uint64_t ack = 0;
    if (!take_number(rest, ack)) return;
    if (ack == create_ack_id) return on_created(w, s, rest);
    on_send_ack(w, s, ack, rest, now);
  }

  // `[{"conversation":{"id":"<uuid>",...}}]`
  void on_created(worker& w, session& s, std::string_view reply) noexcept {
    const auto c = reply.find(R"("conversation":{)");
    const auto at = c == std::string_view::npos ? c : reply.find(R"("id":")", c);
    const auto end = at == std::string_view::npos ? at : reply.find('"', at + 6);
    if (end == std::string_view::npos || reply.find(R"("error":)") != std::string_view::npos)
      return fail_setup(s.id(), "conversation:create", reply);
    conversation& cv = convs_[s.id()];
    cv.id.assign(reply.substr(at + 6, end - at - 6));
    cv.known.store(true, std::memory_order_release);
    ctl_.prepared.fetch_add(1);
    if (!watchers_) return;
    const unsigned threads = unsigned(sides_.size());
    for (std::uint32_t j : watchers_of(s.id())) {
      worker_side& target = *sides_[owner(customers_ + j, threads)];
      if (&target == sides_[w.index()].get()) {
        watcher_learns(w, j, s.id());
        continue;
      }
      {
        std::lock_guard lock(target.handed_lock);
        target.handed.emplace_back(j, s.id());
      }
      const std::uint64_t one = 1;
      (void)!::write(target.wake_fd, &one, sizeof(one));
    }
  }

  void watcher_learns(worker& w, std::uint32_t j, std::uint32_t c) noexcept {
    staff_socket& st = staff_[j];
    session* s = w.find(customers_ + j);
    if (st.ready && s && s->ready()) send_join(w, *s, c);
    else st.waiting.push_back(c);
  }

  void send_join(worker& w, session& s, std::uint32_t c) noexcept {
    // The ack id names the conversation.
    std::string& text = w.scratch();
    text.assign("2").append(std::to_string(c + 1));
    text.append(R"(["conversation:join",{"conversationId":")").append(convs_[c].id).append("\"}]");
    s.send_packet(text);
  }

  void on_join_ack(staff_socket& st, session& s, std::string_view text) noexcept {
    if (st.prepared || st.failed) return;
    if (text.find(R"("error":)") != std::string_view::npos) {
      st.failed = true;
      return fail_setup(s.id(), "conversation:join", text);
    }
    if (++st.joined == st.watches.size()) mark_prepared(st);
  }

  void on_timer(worker_side& side) noexcept {
    worker& w = *side.w;
    if (!ctl_.is(phase::load) || side.sending.empty()) return;
    const std::int64_t now = w.refresh_clock();
    // Sends carry their scheduled time: a late generator or a slow ack shows as latency and
    // never moves the schedule (no coordinated omission).
    for (;;) {
      const std::int64_t due = side.schedule_start + std::int64_t(double(side.scheduled) * side.period_ns);
      if (due > now) return arm(side, due);
      auto [i, s] = side.sending[side.scheduled % side.sending.size()];
      ++side.scheduled;
      send(w, side, i, *s, due);
    }
  }

  static void arm(worker_side& side, std::int64_t at_ns) noexcept {
    itimerspec its{};
    its.it_value.tv_sec = at_ns / 1'000'000'000;
    its.it_value.tv_nsec = at_ns % 1'000'000'000;
    timerfd_settime(side.timer_fd, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  void send(worker& w, worker_side& side, std::uint32_t c, session& s, std::int64_t stamp) noexcept {
    if (!s.ready()) return;  // lost: counted as a disconnect
    conversation& cv = convs_[c];
    const std::uint64_t ack = cv.base_ack + cv.pending.size();
    char head[160];
    const int n = std::snprintf(head, sizeof(head), R"(2%llu["message:send",{"conversationId":"%s","clientId":"%u-%llu","content":")",
                                static_cast<unsigned long long>(ack), cv.id.c_str(), c, static_cast<unsigned long long>(ack));
    std::string& text = w.scratch();
    text.assign(head, std::size_t(n));
    const bool measuring = ctl_.measuring.load(std::memory_order_relaxed);
    if (ai_) {
      text.append(ai_question(c, ack - first_send_ack_id));
      ai_->on_sent(c, stamp, measuring);
    } else {
      char body[48];
      const int m = std::snprintf(body, sizeof(body), "%lld %u ", static_cast<long long>(stamp), c);
      text.append(body, std::size_t(m));
      if (opts_.payload > std::uint32_t(m)) text.append(opts_.payload - std::uint32_t(m), 'x');
    }
    text.append("\"}]");
    cv.pending.push_back(stamp);
    side.sent.bump();
    if (measuring) w.sent.bump();
    s.send_packet(text);
  }

  void on_send_ack(worker& w, session& s, std::uint64_t ack, std::string_view reply, std::int64_t now) noexcept {
    worker_side& side = *sides_[w.index()];
    conversation& cv = convs_[s.id()];
    const std::uint64_t at = ack - cv.base_ack;
    if (ack < cv.base_ack || at >= cv.pending.size() || cv.pending[at] < 0) {
      ++side.unexpected_acks;
      return;
    }
    const std::int64_t stamp = cv.pending[at];
    cv.pending[at] = -1;
    while (!cv.pending.empty() && cv.pending.front() < 0) {
      cv.pending.pop_front();
      ++cv.base_ack;
    }
    side.answered.bump();
    w.messages_total.bump();
    const auto e = reply.find(R"("error":)");
    if (ai_) {
      std::uint64_t seq = 0;
      const auto q = reply.find(R"("seq":)");
      std::string_view rest = q == std::string_view::npos ? std::string_view() : reply.substr(q + 6);
      if (e != std::string_view::npos || !take_number(rest, seq)) seq = 0;
      ai_->on_acked(w.index(), s.id(), ack - first_send_ack_id, seq, now);
    }
    if (e != std::string_view::npos) {
      // {"error":{"code":"unavailable","message":...}}
      std::string_view code = "?";
      if (const auto k = reply.find(R"("code":")", e); k != std::string_view::npos) {
        code = reply.substr(k + 8);
        code = code.substr(0, code.find('"'));
      }
      if (auto it = side.errors.find(code); it != side.errors.end()) ++it->second;
      else side.errors.emplace(code, 1);
    } else {
      side.acked.bump();
      ++cv.acked;
      if (ctl_.measuring.load(std::memory_order_relaxed)) {
        side.acked_measured.bump();
        side.ack_latency.record(now - stamp);
      }
    }
    if (closed_loop_ && !ai_ && ctl_.is(phase::load)) send(w, side, s.id(), s, w.refresh_clock());
  }

  void on_ai_reply(worker& w, session& s, std::string_view text, std::int64_t now) noexcept {
    const bool paired = ai_->on_customer_message(w, s.id(), text, now, ctl_.measuring.load(std::memory_order_relaxed));
    if (paired && closed_loop_ && ctl_.is(phase::load)) send(w, *sides_[w.index()], s.id(), s, w.refresh_clock());
  }

  // `2["message:new",{"id":...,"conversationId":"<uuid>","seq":N,...,"content":"<stamp> <c> xx",...},"<offset>"]`
  void deliver(worker& w, staff_socket& st, std::string_view text, std::int64_t now) noexcept {
    std::uint64_t stamp = 0, c = 0, seq = 0;
    const auto k = text.find(R"("content":")");
    std::string_view content = k == std::string_view::npos ? std::string_view() : text.substr(k + 11);
    const bool stamped = take_number(content, stamp) && content.starts_with(' ');
    if (stamped) content.remove_prefix(1);
    if (!stamped || !take_number(content, c) || c >= customers_) {
      ++st.unparsed;
      return;
    }
    const conversation& cv = convs_[c];
    if (!cv.known.load(std::memory_order_acquire) || !names(text, cv.id)) {
      ++st.misrouted;
      return;
    }
    const auto q = text.find(R"("seq":)");
    std::string_view rest = q == std::string_view::npos ? std::string_view() : text.substr(q + 6);
    if (!take_number(rest, seq)) {
      ++st.unparsed;
      return;
    }
    seq_track& t = st.seqs[c];
    if (t.next != 0 && seq < t.next) {
      ++st.duplicates;
      return;
    }
    if (t.next != 0) st.gaps += seq - t.next;
    t.next = std::uint32_t(seq + 1);
    ++t.received;
    worker_side& side = *sides_[w.index()];
    side.delivered.bump();
    w.messages_total.bump();
    if (ctl_.measuring.load(std::memory_order_relaxed)) {
      w.messages.bump();
      w.histogram.record(now - std::int64_t(stamp));
    }
  }

  // Whether the message's conversationId is `id`.
  static bool names(std::string_view text, std::string_view id) noexcept {
    constexpr std::string_view key = R"("conversationId":")";
    const auto at = text.find(key);
    if (at == std::string_view::npos) return false;
    const std::string_view value = text.substr(at + key.size());
    return value.size() > id.size() && value.substr(0, id.size()) == id && value[id.size()] == '"';
  }

  const options& opts_;
  run_control& ctl_;
  const std::uint32_t customers_;
  const std::uint32_t watchers_;
  const std::uint32_t staff_count_;
  const bool closed_loop_;
  std::vector<conversation> convs_;
  std::vector<staff_socket> staff_;
  std::vector<std::string> auth_;  // CONNECT data by session id
  std::vector<std::unique_ptr<worker_side>> sides_;
  std::atomic<std::uint32_t> staff_prepared_{0};
  std::unique_ptr<ai_reply_tracker> ai_;  // --ai-replies
};

void fd_handler::on_poll(std::uint32_t) noexcept { sc_.on_fd(worker_, timer_); }

void inbox_scenario::describe(report& r, const std::vector<std::unique_ptr<worker>>& ws, double seconds) const {
  std::uint64_t sent = 0, answered = 0, acked = 0, acks = 0, unexpected = 0, sent_measured = 0, deliveries = 0;
  std::map<std::string, std::uint64_t, std::less<>> errors;
  latency_histogram ack_latency, delivery_latency;
  for (const auto& side : sides_) {
    sent += side->sent.get();
    answered += side->answered.get();
    acked += side->acked.get();
    acks += side->acked_measured.get();
    unexpected += side->unexpected_acks;
    ack_latency.merge(side->ack_latency);
    for (const auto& [code, n] : side->errors) errors[code] += n;
  }
  for (const auto& w : ws) {
    sent_measured += w->sent.get();
    deliveries += w->messages.get();
    delivery_latency.merge(w->histogram);
  }
  std::uint64_t created = 0, gaps = 0, dups = 0, misrouted = 0, unparsed = 0, missing = 0, staff = 0;
  for (const conversation& cv : convs_) created += cv.known.load() ? 1 : 0;
  for (const staff_socket& st : staff_) {
    gaps += st.gaps;
    dups += st.duplicates;
    misrouted += st.misrouted;
    unparsed += st.unparsed;
    if (!st.prepared) continue;
    ++staff;
    if (ai_) continue;  // the feed socket's messages are counted by ai_reply_tracker
    for (std::size_t c = 0; c < convs_.size(); ++c)
      if (convs_[c].acked > st.seqs[c].received) missing += convs_[c].acked - st.seqs[c].received;
  }
  std::uint64_t error_count = 0;
  std::string by_code = "{";
  for (const auto& [code, n] : errors) {
    error_count += n;
    if (by_code.size() > 1) by_code += ",";
    by_code += "\"" + code + "\":" + std::to_string(n);
  }
  by_code += "}";

  r.add("conversations", created);
  r.add("staff_sockets", staff);
  r.add("staff_pool", std::uint64_t(opts_.staff_pool));
  describe_load_mode(r, opts_);
  r.add("payload", std::uint64_t(opts_.payload));
  r.add("latency_from", closed_loop_ ? "send" : "schedule");
  r.add("sends_per_s", double(sent_measured) / seconds);
  r.add("acks", acks);
  r.add("acks_per_s", double(acks) / seconds);
  r.add("deliveries", deliveries);
  r.add("deliveries_per_s", double(deliveries) / seconds);
  r.add("sent_total", sent);
  r.add("acked_total", acked);
  r.add("unanswered", sent - std::min(sent, answered));
  r.add("ack_errors", error_count);
  r.add_raw("ack_errors_by_code", by_code);
  r.add("unexpected_acks", unexpected);
  r.add("expected_deliveries", ai_ ? 0 : acked * staff);
  r.add("missing_deliveries", missing);
  r.add("gaps", gaps);
  r.add("duplicates", dups);
  r.add("misrouted", misrouted);
  r.add("unparsed", unparsed);
  char line[640];
  std::snprintf(line, sizeof(line),
                "  %llu conversations, %llu staff sockets (%s), %s: %.0f durable messages/s acked, %.0f deliveries/s, "
                "%.0f sends/s\n"
                "  whole run: %llu sent, %llu acked, %llu unanswered, ack errors %llu %s; deliveries missing %llu of "
                "%llu, gaps %llu, duplicates/out of order %llu, misrouted %llu, unparsed %llu\n",
                static_cast<unsigned long long>(created), static_cast<unsigned long long>(staff),
                ai_ ? "the feed only"
                : opts_.staff_pool ? ("pool of " + std::to_string(opts_.staff_pool) + " + feed").c_str()
                                   : "2 per conversation + feed",
                closed_loop_ ? ("closed loop, " + std::to_string(opts_.window) + " in flight per customer").c_str()
                             : ("fixed rate " + std::to_string(std::llround(opts_.rate)) + " msg/s").c_str(),
                double(acks) / seconds, double(deliveries) / seconds, double(sent_measured) / seconds,
                static_cast<unsigned long long>(sent), static_cast<unsigned long long>(acked),
                static_cast<unsigned long long>(sent - std::min(sent, answered)),
                static_cast<unsigned long long>(error_count), by_code.c_str(), static_cast<unsigned long long>(missing),
                static_cast<unsigned long long>(ai_ ? 0 : acked * staff), static_cast<unsigned long long>(gaps),
                static_cast<unsigned long long>(dups), static_cast<unsigned long long>(misrouted),
                static_cast<unsigned long long>(unparsed));
  r.human += line;
  r.human += closed_loop_ ? "  latencies from each send\n" : "  latencies from each message's scheduled time\n";
  describe_latency(r, ack_latency, "ack_latency_us", "ack");
  if (ai_) ai_->describe(r, seconds, staff > 0);
  else describe_latency(r, delivery_latency, "delivery_latency_us", "delivery");
}

}  // namespace

std::unique_ptr<load_scenario> make_inbox(const options& o, run_control& ctl) {
  return std::make_unique<inbox_scenario>(o, ctl);
}

}  // namespace ringcast::bench
