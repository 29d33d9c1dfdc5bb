#!/usr/bin/env bash
# Measures and plots, with bench/compare.sh (ringcast 1 shard vs Node socket.io, A B A B ...):
#   bench/results/fanout_subscribers.png  deliveries/s against subscribers (100, 1,000, 10,000),
#                                         closed loop, median with min-max bars;
#   bench/results/fanout_latency.png      delivery latency p50/p99 against offered load
#                                         (fixed publish rates into 1,000 subscribers).
#
#   bench/plot.sh                 # measure (about 25 minutes with the defaults), then plot
#   bench/plot.sh --plot-only     # re-plot the JSON lines already in bench/results/
#
# Environment: RUNS (default 3), DURATION (10 s), WINDOW (64), RATES ("10 30 100 300 1000 3000"
# messages/s), NODE_MAX_RATE (300: Node is past saturation beyond it, its queues only grow), plus
# what compare.sh reads (RINGCAST_BIN, LOADGEN_BIN, ...).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${OUT_DIR:-$here/results}
runs=${RUNS:-3}
duration=${DURATION:-10}
window=${WINDOW:-64}
rates=${RATES:-"10 30 100 300 1000 3000"}
node_max_rate=${NODE_MAX_RATE:-300}
mkdir -p "$out"

if ! command -v gnuplot >/dev/null; then
  echo "plot.sh: installing gnuplot-nox" >&2
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y -q gnuplot-nox >/dev/null
  else sudo apt-get install -y -q gnuplot-nox >/dev/null; fi
fi

subs_json=$out/fanout_subscribers.jsonl
rates_json=$out/fanout_rates.jsonl
if [[ ${1:-} != --plot-only ]]; then
  : >"$subs_json"
  : >"$rates_json"
  for n in 100 1000 10000; do
    "$here/compare.sh" --runs "$runs" --out "$subs_json" fanout --clients "$n" --window "$window" --duration "$duration"
  done
  for r in $rates; do
    only=()
    (( r > node_max_rate )) && only=(--only ringcast)
    "$here/compare.sh" --runs "$runs" --out "$rates_json" "${only[@]}" fanout --clients 1000 --rate "$r" --duration "$duration"
  done
fi

# JSON lines -> gnuplot data files: one row per x value with the medians (and min, max).
node - "$subs_json" "$rates_json" "$out" <<'EOF'
const fs = require("fs");
const [subsFile, ratesFile, out] = process.argv.slice(2);
const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map(JSON.parse) : []);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const groups = (rows, key) => {
  const g = new Map();
  for (const r of rows) { const k = `${r.label} ${key(r)}`; if (!g.has(k)) g.set(k, []); g.get(k).push(r); }
  return g;
};
for (const label of ["ringcast", "node"]) {
  const subs = read(subsFile).filter((r) => r.label === label);
  const lines = [];
  for (const [k, rs] of groups(subs, (r) => r.subscribers)) {
    const xs = rs.map((r) => r.deliveries_per_s);
    lines.push([Number(k.split(" ")[1]), median(xs), Math.min(...xs), Math.max(...xs)]);
  }
  lines.sort((a, b) => a[0] - b[0]);
  fs.writeFileSync(`${out}/subscribers_${label}.dat`, lines.map((l) => l.join(" ")).join("\n") + "\n");

  const rates = read(ratesFile).filter((r) => r.label === label);
  const lat = [];
  for (const [, rs] of groups(rates, (r) => r.rate)) {
    const offered = rs[0].rate * rs[0].subscribers;
    const q = (p) => median(rs.map((r) => r.latency_us[p]) ) / 1000;  // milliseconds
    lat.push([offered, q("p50"), q("p90"), q("p99"), q("p999"), median(rs.map((r) => r.deliveries_per_s))]);
  }
  lat.sort((a, b) => a[0] - b[0]);
  fs.writeFileSync(`${out}/latency_${label}.dat`, lat.map((l) => l.join(" ")).join("\n") + "\n");
}
EOF

cd "$out"
gnuplot <<'EOF'
set terminal pngcairo size 900,560 font ",11"
set grid
set key top left

set output "fanout_subscribers.png"
set title "Fan-out, closed loop: deliveries/s by room size (1 core each, median and min-max)"
set logscale x
set xlabel "subscribers in the room"
set ylabel "deliveries per second (log scale)"
set logscale y
set format y "%.0s%c"
set xrange [50:20000]
set yrange [50000:20000000]
plot "subscribers_ringcast.dat" using 1:2:3:4 with yerrorlines lw 2 title "ringcast (1 shard)", \
     "subscribers_node.dat" using 1:2:3:4 with yerrorlines lw 2 title "Node socket.io 4.8"

set output "fanout_latency.png"
set title "Fan-out into 1,000 subscribers: delivery latency by offered load (medians)"
set logscale xy
set xlabel "offered deliveries per second (publish rate x 1,000)"
set ylabel "latency (ms)"
set format y "%g"
set format x "%.0s%c"
set xrange [*:*]
set yrange [*:*]
plot "latency_ringcast.dat" using 1:2 with linespoints lw 2 title "ringcast p50", \
     "latency_ringcast.dat" using 1:4 with linespoints lw 2 title "ringcast p99", \
     "latency_node.dat" using 1:2 with linespoints lw 2 dt 2 title "node p50", \
     "latency_node.dat" using 1:4 with linespoints lw 2 dt 2 title "node p99"
EOF
echo "plot.sh: wrote $out/fanout_subscribers.png and $out/fanout_latency.png" >&2
