#pragma once
// CPU and memory readings for the report: the server's from /proc/<pid>, the generator's own from
// getrusage, so a run shows which side was the bottleneck.
#include <cstdint>
#include <optional>
#include <vector>

namespace ringcast::bench {

// User + system CPU seconds of process `pid` (all its threads), from /proc/<pid>/stat.
std::optional<double> process_cpu_seconds(int pid);
// VmRSS of process `pid` in KiB, from /proc/<pid>/status.
std::optional<std::uint64_t> process_rss_kib(int pid);
// User + system CPU seconds of this process.
double self_cpu_seconds();
// Cores this process may run on (its affinity mask, e.g. 1 under taskset -c 1).
unsigned usable_cores();
// Raises the soft RLIMIT_NOFILE to the hard limit; returns the resulting soft limit.
std::uint64_t raise_open_file_limit();
// Per core, busy and total jiffies from /proc/stat (busy counts softirq time, which loopback
// TCP spends outside any process's own CPU time).
struct core_times {
  std::uint64_t busy = 0;
  std::uint64_t total = 0;
};
std::vector<core_times> read_core_times();
// Seconds on the monotonic clock the latency stamps use.
double monotonic_seconds();

}  // namespace ringcast::bench
