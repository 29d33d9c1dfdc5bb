// echo and persist: K connections each keep `window` acknowledged requests in flight (1 by
// default: send, wait for the ack, send again) and time every round trip. conns: connections
// that only connect and answer the server's pings, to measure what holding them costs.
#include <cstdio>
#include <cstring>

#include "bench/loadgen/scenarios.h"

namespace ringcast::bench {
namespace {

class request_scenario final : public load_scenario {
 public:
  request_scenario(const options& o, run_control& ctl)
      : opts_(o), ctl_(ctl), persist_(o.scenario == scenario_kind::persist),
        plain_ws_(o.protocol == wire_protocol::ws), conns_(o.clients) {
    for (auto& c : conns_) c.sent_at.assign(o.window, 0);
    data_.assign(o.payload, 'x');
  }

  std::uint32_t session_count() const override { return opts_.clients; }

  void on_ready(worker&, session&) override { ctl_.prepared.fetch_add(1); }

  void on_phase(worker& w, phase p) override {
    if (p != phase::load) return;
    for (const auto& s : w.sessions())
      if (s->ready())
        for (std::uint32_t i = 0; i < opts_.window; ++i) send_request(w, *s);
  }

  void on_message(worker& w, session& s, std::string_view text, std::int64_t now) override {
    std::uint64_t id = 0;
    if (plain_ws_) {
      // Our own request echoed: "<id> xxx...".
      if (!take_number(text, id)) return;
    } else {
      if (text.empty() || text[0] != '3') return;  // only acks matter here
      text.remove_prefix(1);
      if (!take_number(text, id)) return;
    }
    conn_state& c = conns_[s.id()];
    if (id < c.acked || id >= c.next_id) {
      unexpected_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    c.acked = id + 1;
    w.messages_total.bump();
    if (ctl_.measuring.load(std::memory_order_relaxed)) {
      // The server acks a refused write with {error}: counted, and timed like the others.
      if (persist_ && text.find(R"("error")") != std::string_view::npos) errors_.fetch_add(1, std::memory_order_relaxed);
      w.messages.bump();
      w.histogram.record(now - c.sent_at[id % opts_.window]);
    }
    if (ctl_.is(phase::load)) send_request(w, s);
  }

  bool drained(const std::vector<std::unique_ptr<worker>>&) const override { return true; }

  void describe(report& r, const std::vector<std::unique_ptr<worker>>& ws, double seconds) const override {
    std::uint64_t replies = 0;
    for (const auto& w : ws) replies += w->messages.get();
    const char* what = persist_ ? "acks" : "round_trips";
    r.add("connections", std::uint64_t(opts_.clients));
    r.add("in_flight_per_connection", std::uint64_t(opts_.window));
    r.add(what, replies);
    r.add(std::string(what) + "_per_s", double(replies) / seconds);
    r.add("unexpected_replies", unexpected_.load());
    if (persist_) r.add("errors", errors_.load());
    char line[256];
    std::snprintf(line, sizeof(line), "  %u connections x %u in flight: %.0f %s/s%s\n", opts_.clients, opts_.window,
                  double(replies) / seconds, persist_ ? "acks" : "round trips",
                  persist_ ? (", errors " + std::to_string(errors_.load())).c_str() : "");
    r.human += line;
    describe_latency(r, ws, persist_ ? "ack" : "round trip");
  }

 private:
  struct conn_state {
    std::uint64_t next_id = 1;  // ack ids start at 1 so a stray "30[]" is never taken for ours
    std::uint64_t acked = 1;
    std::vector<std::int64_t> sent_at;  // by id % window
  };

  void send_request(worker& w, session& s) noexcept {
    conn_state& c = conns_[s.id()];
    const std::uint64_t id = c.next_id++;
    std::string& text = w.scratch();
    char head[96];
    int n;
    if (plain_ws_) {
      n = std::snprintf(head, sizeof(head), "%llu ", static_cast<unsigned long long>(id));
      text.assign(head, std::size_t(n)).append(data_);
    } else if (persist_) {
      // A client id unique per connection and request, as a retrying client would send it.
      n = std::snprintf(head, sizeof(head),
                        R"(2%llu["persist",{"conversation":"bench-%u","clientId":"load-%u-%llu","content":")",
                        static_cast<unsigned long long>(id), s.id() % 100, s.id(), static_cast<unsigned long long>(id));
      text.assign(head, std::size_t(n)).append(data_).append("\"}]");
    } else {
      n = std::snprintf(head, sizeof(head), R"(2%llu["echo",")", static_cast<unsigned long long>(id));
      text.assign(head, std::size_t(n)).append(data_).append("\"]");
    }
    c.sent_at[id % opts_.window] = w.refresh_clock();
    if (plain_ws_) s.send_text(text);
    else s.send_packet(text);
    if (ctl_.measuring.load(std::memory_order_relaxed)) w.sent.bump();
  }

  const options& opts_;
  run_control& ctl_;
  const bool persist_;
  const bool plain_ws_;
  std::vector<conn_state> conns_;
  std::string data_;
  mutable std::atomic<std::uint64_t> unexpected_{0};
  mutable std::atomic<std::uint64_t> errors_{0};
};

class idle_scenario final : public load_scenario {
 public:
  idle_scenario(const options& o, run_control& ctl) : opts_(o), ctl_(ctl) {}
  std::uint32_t session_count() const override { return opts_.clients; }
  void on_ready(worker&, session&) override { ctl_.prepared.fetch_add(1); }
  void on_message(worker&, session&, std::string_view, std::int64_t) override {}
  void describe(report&, const std::vector<std::unique_ptr<worker>>&, double) const override {}

 private:
  const options& opts_;
  run_control& ctl_;
};

}  // namespace

std::unique_ptr<load_scenario> make_requests(const options& o, run_control& ctl) {
  return std::make_unique<request_scenario>(o, ctl);
}

std::unique_ptr<load_scenario> make_idle_conns(const options& o, run_control& ctl) {
  return std::make_unique<idle_scenario>(o, ctl);
}

}  // namespace ringcast::bench
