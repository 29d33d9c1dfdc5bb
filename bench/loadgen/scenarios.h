#pragma once
// The load scenarios against a server's bench profile, and what each adds to the report.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/worker.h"

namespace ringcast::bench {

// Scenario results as "key":value JSON members, plus lines for the human summary.
struct report {
  std::string json;   // members without the braces, each preceded by a comma
  std::string human;  // ready-to-print lines

  void add(std::string_view key, double v);
  void add(std::string_view key, std::uint64_t v);
  void add(std::string_view key, std::string_view v);
  void add_raw(std::string_view key, std::string_view json_value);
};

// A scenario as the main thread drives it.
class load_scenario : public scenario {
 public:
  // Sessions to open; ids are 0..session_count()-1.
  virtual std::uint32_t session_count() const = 0;
  // Which worker owns a session.
  virtual unsigned owner(std::uint32_t id, unsigned threads) const { return id % threads; }
  // After the workers exist, before they start (timers, wake-ups).
  virtual void prepare(std::vector<std::unique_ptr<worker>>&) {}
  // While the load runs: replies received so far (deliveries, acks), for stall checks.
  virtual std::uint64_t progress(const std::vector<std::unique_ptr<worker>>& ws) const;
  // After the load stopped: whether every expected reply arrived (the main thread waits for it).
  virtual bool drained(const std::vector<std::unique_ptr<worker>>&) const { return true; }
  // Adds the scenario's figures; `seconds` is the measured window.
  virtual void describe(report& r, const std::vector<std::unique_ptr<worker>>& ws, double seconds) const = 0;
};

std::unique_ptr<load_scenario> make_fanout(const options& o, run_control& ctl);
// echo and persist: connections doing acknowledged requests in a closed loop.
std::unique_ptr<load_scenario> make_requests(const options& o, run_control& ctl);
std::unique_ptr<load_scenario> make_idle_conns(const options& o, run_control& ctl);
// inbox: customers sending durable messages into their conversations, staff watching (inbox.cc).
std::unique_ptr<load_scenario> make_inbox(const options& o, run_control& ctl);

// Parses the decimal number at the front of `s` (advancing it); false if there is none.
bool take_number(std::string_view& s, std::uint64_t& out) noexcept;
// "mode": "closed-loop" with "window" (--rate 0), or "fixed-rate" with "rate".
void describe_load_mode(report& r, const options& o);
// Sums the workers' latency histograms (after they stopped) and adds p50..max in microseconds.
void describe_latency(report& r, const std::vector<std::unique_ptr<worker>>& ws, std::string_view what);
// The same for one histogram, as the JSON member `key` (e.g. "ack_latency_us").
void describe_latency(report& r, const latency_histogram& h, std::string_view key, std::string_view what);

}  // namespace ringcast::bench
