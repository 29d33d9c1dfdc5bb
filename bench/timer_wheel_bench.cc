// Timer wheel micro-benchmarks, each against 100,000 live background timers (a busy shard's
// heartbeats and presence timers), so cache misses on a large slab are part of the figure.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "reactor/timer_wheel.h"

namespace ringcast::reactor {
namespace {

using namespace std::chrono_literals;
using time_point = timer_wheel::time_point;

const time_point t0 = time_point{} + 1000h;
constexpr std::size_t background_count = 100'000;

// Spread over an hour and re-armed an hour ahead when they fire, so the population stays constant
// while a benchmark moves time forward and only ~30 of them fire per simulated second.
struct background {
  timer_wheel& wheel;
  std::vector<timer_id> ids;

  explicit background(timer_wheel& w) : wheel(w), ids(background_count) {
    std::mt19937_64 rng(1);
    for (std::size_t i = 0; i < background_count; ++i) {
      ids[i] = w.schedule_after(std::chrono::milliseconds(60'000 + rng() % 3'540'000),
                                [this, i] { wheel.rearm_after(ids[i], 1h); });
    }
  }
};

// Pre-drawn so the random generator stays out of the timed loop.
std::vector<std::chrono::milliseconds> delays(std::uint64_t lo_ms, std::uint64_t hi_ms) {
  std::mt19937_64 rng(2);
  std::vector<std::chrono::milliseconds> out(4096);
  for (auto& d : out) d = std::chrono::milliseconds(lo_ms + rng() % (hi_ms - lo_ms));
  return out;
}

// A typing or connect timeout that is cancelled before it fires: the common case.
void BM_schedule_cancel(benchmark::State& state) {
  timer_wheel w(t0);
  w.reserve(background_count + 1);
  background bg(w);
  const auto d = delays(1, 300'000);
  std::size_t i = 0;
  for (auto _ : state) {
    const timer_id id = w.schedule_after(d[i++ & 4095], [] {});
    benchmark::DoNotOptimize(id);
    w.cancel(id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_schedule_cancel);

// One timer scheduled 1 ms out and fired by a 1 ms advance: includes the per-tick cost.
void BM_schedule_fire(benchmark::State& state) {
  timer_wheel w(t0);
  w.reserve(background_count + 1);
  background bg(w);
  std::uint64_t fired = 0;
  time_point now = t0;
  for (auto _ : state) {
    w.schedule_after(1ms, [&fired] { ++fired; });
    now += 1ms;
    w.advance(now);
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_schedule_fire);

// Many timers spread over the next second, fired by 1 ms advances: per-timer cost with batching.
void BM_schedule_fire_spread(benchmark::State& state) {
  timer_wheel w(t0);
  background bg(w);
  const auto d = delays(1, 1000);
  std::uint64_t fired = 0;
  time_point now = t0;
  std::size_t i = 0;
  constexpr int batch = 1000;
  for (auto _ : state) {
    for (int k = 0; k < batch; ++k) w.schedule_after(d[i++ & 4095], [&fired] { ++fired; });
    for (int k = 0; k < 1000; ++k) {
      now += 1ms;
      w.advance(now);
    }
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_schedule_fire_spread);

// A heartbeat pushed back on every incoming packet: random live timers moved 20-30 s out.
void BM_rearm(benchmark::State& state) {
  timer_wheel w(t0);
  background bg(w);
  const auto d = delays(20'000, 30'000);
  std::mt19937_64 rng(3);
  std::vector<std::uint32_t> pick(65536);
  for (auto& p : pick) p = static_cast<std::uint32_t>(rng() % background_count);
  std::size_t i = 0;
  for (auto _ : state) {
    const bool ok = w.rearm_after(bg.ids[pick[i & 65535]], d[i & 4095]);
    benchmark::DoNotOptimize(ok);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_rearm);

// The cost of a loop iteration's advance when no timer is due.
void BM_advance_idle_tick(benchmark::State& state) {
  timer_wheel w(t0);
  background bg(w);
  time_point now = t0;
  for (auto _ : state) {
    now += 1ms;
    benchmark::DoNotOptimize(w.advance(now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_advance_idle_tick);

void BM_time_to_next(benchmark::State& state) {
  timer_wheel w(t0);
  background bg(w);
  for (auto _ : state) benchmark::DoNotOptimize(w.time_to_next(t0));
}
BENCHMARK(BM_time_to_next);

}  // namespace
}  // namespace ringcast::reactor
