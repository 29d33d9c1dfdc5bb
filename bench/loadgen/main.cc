// ringcast-load: connects the sessions, runs a scenario for warmup + duration, measures the
// server's and its own CPU over the measured window, and prints one JSON line (and a summary).
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <thread>

#include "bench/loadgen/options.h"
#include "bench/loadgen/proc_stats.h"
#include "bench/loadgen/scenarios.h"

namespace ringcast::bench {

void report::add(std::string_view key, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3f", std::isfinite(v) ? v : 0.0);
  add_raw(key, buf);
}
void report::add(std::string_view key, std::uint64_t v) { add_raw(key, std::to_string(v)); }
void report::add(std::string_view key, std::string_view v) {
  std::string quoted(1, '"');
  quoted.append(v).push_back('"');
  add_raw(key, quoted);
}
void report::add_raw(std::string_view key, std::string_view json_value) {
  json += ",\"";
  json += key;
  json += "\":";
  json += json_value;
}

bool take_number(std::string_view& s, std::uint64_t& out) noexcept {
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 19) v = v * 10 + std::uint64_t(s[i++] - '0');
  if (i == 0) return false;
  out = v;
  s.remove_prefix(i);
  return true;
}

void describe_load_mode(report& r, const options& o) {
  const bool closed_loop = o.rate <= 0;
  r.add("mode", closed_loop ? "closed-loop" : "fixed-rate");
  if (closed_loop) r.add("window", std::uint64_t(o.window));
  else r.add("rate", o.rate);
}

void describe_latency(report& r, const std::vector<std::unique_ptr<worker>>& ws, std::string_view what) {
  latency_histogram all;
  for (const auto& w : ws) all.merge(w->histogram);
  describe_latency(r, all, "latency_us", what);
}

void describe_latency(report& r, const latency_histogram& all, std::string_view key, std::string_view what) {
  const double us = 1e3;
  const double p50 = double(all.quantile(0.50)) / us, p90 = double(all.quantile(0.90)) / us,
               p99 = double(all.quantile(0.99)) / us, p999 = double(all.quantile(0.999)) / us,
               max = double(all.max()) / us, mean = all.mean() / us;
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "{\"count\":%llu,\"mean\":%.1f,\"min\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}",
                static_cast<unsigned long long>(all.count()), mean, double(all.min()) / us, p50, p90, p99, p999, max);
  r.add_raw(key, buf);
  std::snprintf(buf, sizeof(buf), "  %.*s latency (us): p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f  (n=%llu)\n",
                int(what.size()), what.data(), p50, p90, p99, p999, max, static_cast<unsigned long long>(all.count()));
  r.human += buf;
}

std::uint64_t load_scenario::progress(const std::vector<std::unique_ptr<worker>>& ws) const {
  std::uint64_t n = 0;
  for (const auto& w : ws) n += w->messages_total.get();
  return n;
}

namespace {

void sleep_for(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

struct cpu_sample {
  double wall = monotonic_seconds();
  double self = self_cpu_seconds();
  std::optional<double> server;
  std::vector<core_times> cores = read_core_times();
  explicit cpu_sample(int pid) : server(process_cpu_seconds(pid)) {}
};

int run(const options& o) {
  const std::uint64_t fd_limit = raise_open_file_limit();
  std::unique_ptr<load_scenario> sc;
  run_control ctl;
  switch (o.scenario) {
    case scenario_kind::fanout: sc = make_fanout(o, ctl); break;
    case scenario_kind::echo:
    case scenario_kind::persist: sc = make_requests(o, ctl); break;
    case scenario_kind::conns: sc = make_idle_conns(o, ctl); break;
    case scenario_kind::inbox: sc = make_inbox(o, ctl); break;
  }
  const std::uint32_t total = sc->session_count();
  if (total + 32 > fd_limit) {
    std::fprintf(stderr, "ringcast-load: %u connections need more open files than the limit (%llu)\n", total,
                 static_cast<unsigned long long>(fd_limit));
    return 2;
  }

  std::vector<std::unique_ptr<worker>> ws;
  for (unsigned i = 0; i < o.threads; ++i) ws.push_back(std::make_unique<worker>(i, o, *sc, ctl, total));
  for (std::uint32_t id = 0; id < total; ++id) ws[sc->owner(id, o.threads)]->add_session(id);
  sc->prepare(ws);

  const std::optional<std::uint64_t> rss_before = process_rss_kib(o.server_pid);
  const double t_start = monotonic_seconds();
  for (auto& w : ws) w->start();

  // Connect (and join, for fanout) everything before any load.
  double last_note = t_start;
  while (ctl.prepared.load() + ctl.failed.load() < total && monotonic_seconds() - t_start < o.connect_timeout_s) {
    sleep_for(0.02);
    if (!o.json_only && monotonic_seconds() - last_note > 5) {
      last_note = monotonic_seconds();
      std::fprintf(stderr, "ringcast-load: %u of %u sessions ready, %u failed\n", ctl.prepared.load(), total,
                   ctl.failed.load());
    }
  }
  const double setup_s = monotonic_seconds() - t_start;
  const std::uint32_t prepared = ctl.prepared.load();
  std::optional<std::uint64_t> rss_after;
  if (o.scenario == scenario_kind::conns) {
    sleep_for(o.settle_s);
    rss_after = process_rss_kib(o.server_pid);
  }

  ctl.phase.store(int(phase::load), std::memory_order_release);
  // A run in which nothing arrives for a while (a lost message stalls a closed loop; a dead
  // server stalls anything) ends early. Slow is not stalled: a slow server still delivers.
  std::uint64_t last_progress = sc->progress(ws);
  double last_change = monotonic_seconds();
  bool stalled = false;
  constexpr double stall_s = 10;
  auto wait = [&](double seconds) {
    const double until = monotonic_seconds() + seconds;
    while (!stalled && monotonic_seconds() < until) {
      sleep_for(std::min(0.05, std::max(0.0, until - monotonic_seconds())));
      const std::uint64_t p = sc->progress(ws);
      if (p != last_progress || o.scenario == scenario_kind::conns) {
        last_progress = p;
        last_change = monotonic_seconds();
      } else if (monotonic_seconds() - last_change > stall_s) {
        stalled = true;
        std::fprintf(stderr, "ringcast-load: nothing received for %.0f s, stopping the run\n", stall_s);
      }
    }
  };
  wait(o.warmup_s);
  const cpu_sample begin(o.server_pid);
  ctl.measuring.store(true);
  wait(o.duration_s);
  ctl.measuring.store(false);
  const cpu_sample end(o.server_pid);
  ctl.phase.store(int(phase::stop_load), std::memory_order_release);

  const double drain_until = monotonic_seconds() + o.drain_s;
  while (!sc->drained(ws) && monotonic_seconds() < drain_until) sleep_for(0.01);
  const std::uint32_t disconnects = ctl.disconnects.load();
  ctl.phase.store(int(phase::quit), std::memory_order_release);
  for (auto& w : ws) w->join();

  const double seconds = end.wall - begin.wall;
  const double gen_pct = 100.0 * (end.self - begin.self) / seconds;
  const unsigned cores = std::min<unsigned>(o.threads, usable_cores());
  // A spinning generator is always busy, so its CPU says nothing about saturation then.
  const bool saturated = !o.spin && gen_pct > 90.0 * cores;

  report r;
  r.add("tool", "ringcast-load");
  r.add("scenario", name_of(o.scenario));
  if (!o.label.empty()) r.add("label", o.label);
  r.add("url", o.url);
  r.add("protocol", o.protocol == wire_protocol::sio ? "socket.io" : "websocket");
  r.add("threads", std::uint64_t(o.threads));
  r.add("sessions", std::uint64_t(total));
  r.add("ready", std::uint64_t(prepared));
  r.add("failed", std::uint64_t(ctl.failed.load()));
  r.add("disconnects", std::uint64_t(disconnects));
  r.add("setup_s", setup_s);
  r.add("measured_s", seconds);
  r.add_raw("stalled", stalled ? "true" : "false");
  char line[512];
  std::snprintf(line, sizeof(line), "%s against %s (%s): %u of %u sessions ready in %.1f s, %u failed, %u lost\n",
                name_of(o.scenario), o.url.c_str(), o.label.empty() ? "server" : o.label.c_str(), prepared, total,
                setup_s, ctl.failed.load(), disconnects);
  r.human += line;
  sc->describe(r, ws, seconds);

  if (o.scenario == scenario_kind::conns) {
    const std::uint32_t held = prepared - std::min(prepared, disconnects);
    r.add("held", std::uint64_t(held));
    if (rss_before && rss_after) {
      const double per_conn = prepared ? double(*rss_after - std::min(*rss_after, *rss_before)) * 1024.0 / prepared : 0;
      r.add("server_rss_before_kib", *rss_before);
      r.add("server_rss_after_kib", *rss_after);
      r.add("server_rss_per_connection_bytes", per_conn);
      std::snprintf(line, sizeof(line), "  held %u idle connections; server RSS %llu -> %llu KiB: %.0f bytes per connection\n",
                    held, static_cast<unsigned long long>(*rss_before), static_cast<unsigned long long>(*rss_after),
                    per_conn);
    } else {
      std::snprintf(line, sizeof(line), "  held %u idle connections (give --server-pid for the server's RSS)\n", held);
    }
    r.human += line;
  }
  if (begin.server && end.server) {
    const double server_pct = 100.0 * (*end.server - *begin.server) / seconds;
    r.add("server_cpu_pct", server_pct);
    std::snprintf(line, sizeof(line), "  cpu: server %.0f%% of a core, generator %.0f%% of a core (%u usable)%s\n",
                  server_pct, gen_pct, cores, saturated ? "  -- generator saturated" : "");
  } else {
    std::snprintf(line, sizeof(line), "  cpu: generator %.0f%% of a core (%u usable)%s\n", gen_pct, cores,
                  saturated ? "  -- generator saturated" : "");
  }
  r.human += line;
  // Everything that ran on each core (other processes on a shared machine included).
  std::string busy = "[";
  for (std::size_t i = 0; i < begin.cores.size() && i < end.cores.size(); ++i) {
    const double total = double(end.cores[i].total - begin.cores[i].total);
    const double pct = total > 0 ? 100.0 * double(end.cores[i].busy - begin.cores[i].busy) / total : 0;
    char num[32];
    std::snprintf(num, sizeof(num), "%s%.1f", i ? "," : "", pct);
    busy += num;
    std::snprintf(line, sizeof(line), "%score %zu %.0f%%", i ? ", " : "  busy: ", i, pct);
    r.human += line;
  }
  busy += "]";
  if (busy.size() > 2) r.human += " (all processes, softirq included)\n";
  r.add_raw("core_busy_pct", busy);
  r.add("generator_cpu_pct", gen_pct);
  r.add("generator_cores", std::uint64_t(cores));
  r.add_raw("generator_saturated", o.spin ? "null" : saturated ? "true" : "false");
  if (o.spin) r.human += "  (generator spins: its CPU is 100% by design)\n";
  if (saturated) r.human += "generator saturated\n";

  if (!o.json_only) std::fputs(r.human.c_str(), stderr);
  std::printf("{%s}\n", r.json.c_str() + 1);
  std::fflush(stdout);
  return stalled ? 3 : 0;
}

}  // namespace
}  // namespace ringcast::bench

int main(int argc, char** argv) {
  std::string error;
  auto opts = ringcast::bench::parse_options(argc, argv, error);
  if (!opts) {
    const bool help = error.rfind("ringcast-load:", 0) == 0;
    std::fprintf(help ? stdout : stderr, "%s%s\n", help ? "" : "ringcast-load: ", error.c_str());
    return help ? 0 : 2;
  }
  signal(SIGPIPE, SIG_IGN);
  try {
    return ringcast::bench::run(*opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringcast-load: %s\n", e.what());
    return 1;
  }
}
