// Micro-benchmarks of the cross-shard mailbox ring (reactor/spsc_ring.h).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>

#include "reactor/spsc_ring.h"
#include "reactor/unique_function.h"

namespace {

using ringcast::reactor::spsc_ring;
using ringcast::reactor::unique_function;

// Spin briefly, then give the core away: the benchmark machine may have fewer free cores than
// threads, and a pure spin would then measure the scheduler instead of the ring.
void back_off(unsigned& failures) {
  if (++failures < 64) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    failures = 0;
    std::this_thread::yield();
  }
}

// One thread pushes then pops one item: the uncontended cost of the index protocol plus a move.
template <class T>
void bm_push_pop_pair(benchmark::State& state) {
  spsc_ring<T> ring(1024);
  T item{};
  if constexpr (std::is_same_v<T, unique_function<void()>>) item = [] {};
  for (auto _ : state) {
    if (!ring.try_push(item) || !ring.try_pop(item)) {
      state.SkipWithError("ring refused");
      break;
    }
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_push_pop_pair<std::uint64_t>);
BENCHMARK(bm_push_pop_pair<unique_function<void()>>);

// A producer thread pushes sequence numbers as fast as it can; the benchmark thread pops them
// one at a time (batched=0) or with consume() in batches of up to 256 (batched=1). Items/s is the
// throughput of one shard-to-shard mailbox.
void bm_cross_thread(benchmark::State& state) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  const bool batched = state.range(1) != 0;
  spsc_ring<std::uint64_t> ring(capacity);
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};

  // The producer waits for the timed loop so a large ring is not pre-filled for free.
  std::thread producer([&] {
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    std::uint64_t seq = 0;
    unsigned failures = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      std::uint64_t item = seq;
      if (ring.try_push(item)) {
        ++seq;
        failures = 0;
      } else {
        back_off(failures);
      }
    }
  });

  // Many times the largest capacity, so each timed iteration measures the steady state.
  constexpr std::uint64_t per_iteration = 1 << 20;
  std::uint64_t expected = 0;
  bool in_order = true;
  unsigned failures = 0;
  go.store(true, std::memory_order_release);
  for (auto _ : state) {
    const std::uint64_t target = expected + per_iteration;
    while (expected < target) {
      std::size_t n = 0;
      if (batched) {
        n = ring.consume([&](std::uint64_t&& v) { in_order &= v == expected++; }, 256);
      } else {
        std::uint64_t v;
        if (ring.try_pop(v)) {
          in_order &= v == expected++;
          n = 1;
        }
      }
      if (n == 0) {
        back_off(failures);
      } else {
        failures = 0;
      }
    }
  }
  stop.store(true, std::memory_order_relaxed);
  producer.join();
  if (!in_order) state.SkipWithError("items arrived out of order");
  state.SetItemsProcessed(static_cast<std::int64_t>(expected));
}
BENCHMARK(bm_cross_thread)
    ->ArgNames({"capacity", "batched"})
    ->Args({1024, 0})
    ->Args({1024, 1})
    ->Args({65536, 0})
    ->Args({65536, 1})
    ->UseRealTime();

}  // namespace
