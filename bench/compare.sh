#!/usr/bin/env bash
# Runs one ringcast-load scenario against ringcast (1 shard) and the Node socket.io peer,
# alternately (A B A B ...), each server on core 0 and the generator on core 1, and prints the
# medians, the spread (min-max) and the ratio ringcast/node.
#
#   bench/compare.sh fanout --clients 1000 --window 64          # closed loop
#   bench/compare.sh fanout --clients 1000 --rate 10            # latency at a fixed rate
#   bench/compare.sh echo --clients 100
#   bench/compare.sh conns --clients 19000
#
# Options before the scenario's flags: --runs N (default 3 per server), --out FILE (append every
# JSON result line), --only ringcast|node. Flags after the scenario go to ringcast-load as they are
# (--duration defaults to 10 s, --warmup to 2 s). Environment: RINGCAST_BIN, LOADGEN_BIN
# (default build/release/{server/ringcast,bench/ringcast-load}), RINGCAST_FLAGS (extra server
# flags), SERVER_CORE / LOADGEN_CORE (default 0 / 1), QUIET_WAIT / QUIET_PERMILLE (see wait_quiet).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
ringcast_bin=${RINGCAST_BIN:-$root/build/release/server/ringcast}
loadgen_bin=${LOADGEN_BIN:-$root/build/release/bench/ringcast-load}
peer_dir=$here/peers/node-socketio
server_core=${SERVER_CORE:-0}
loadgen_core=${LOADGEN_CORE:-1}

runs=3
out=""
only=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { sed -n '2,17p' "$0"; exit 2; }
scenario=$1; shift
load_flags=("$@")

for bin in "$ringcast_bin" "$loadgen_bin"; do
  [[ -x $bin ]] || { echo "compare.sh: $bin is missing; build with deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release" >&2; exit 2; }
done
if [[ ! -d $peer_dir/node_modules/socket.io ]]; then
  (cd "$peer_dir" && npm ci --no-audit --no-fund >/dev/null)
fi

has_flag() { local f; for f in "${load_flags[@]}"; do [[ $f == "$1" ]] && return 0; done; return 1; }
has_flag --duration || load_flags+=(--duration 10)
has_flag --warmup || load_flags+=(--warmup 2)

workdir=$(mktemp -d /tmp/ringcast-compare.XXXXXX)
server_pid=""
stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
trap 'stop_server; rm -rf "$workdir"' EXIT

# Starts a server on a free port (port 0) and sets server_pid and server_port from its log.
start_server() {
  local which=$1 log=$workdir/$1.log
  : >"$log"
  if [[ $which == ringcast ]]; then
    # shellcheck disable=SC2086
    taskset -c "$server_core" "$ringcast_bin" --profile bench --shards 1 --address 127.0.0.1 --port 0 \
      ${RINGCAST_FLAGS:-} >"$log" 2>&1 &
  else
    taskset -c "$server_core" node "$peer_dir/server.mjs" --address 127.0.0.1 --port 0 >"$log" 2>&1 &
  fi
  server_pid=$!
  for _ in $(seq 100); do
    server_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    [[ -n $server_port ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "compare.sh: $which did not start:" >&2
  cat "$log" >&2
  exit 1
}

# The machine is shared: before each run, wait (up to QUIET_WAIT seconds, default 120) for a
# second in which other processes leave both cores mostly idle, so runs are less disturbed.
busy_permille() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  # shellcheck disable=SC2086  # the two samples are split into their four numbers on purpose
  set -- $a $b
  echo $(( ($3 - $1) * 1000 / ($4 - $2 + 1) ))
}
wait_quiet() {
  local deadline=$((SECONDS + ${QUIET_WAIT:-120})) busy
  while :; do
    busy=$(busy_permille)
    (( busy < ${QUIET_PERMILLE:-150} )) && return 0
    if (( SECONDS >= deadline )); then
      echo "compare.sh: machine still $((busy / 10))% busy; running anyway" >&2
      return 0
    fi
  done
}

results=$workdir/results.jsonl
servers=(ringcast node)
[[ -n $only ]] && servers=("$only")
for ((i = 1; i <= runs; i++)); do
  for which in "${servers[@]}"; do
    wait_quiet
    start_server "$which"
    line=$(taskset -c "$loadgen_core" timeout 600 "$loadgen_bin" --url "127.0.0.1:$server_port" \
      --scenario "$scenario" --server-pid "$server_pid" --label "$which" --json "${load_flags[@]}" || true)
    stop_server
    if [[ $line != \{* ]]; then
      echo "compare.sh: run $i against $which produced no result" >&2
      continue
    fi
    echo "$line" >>"$results"
    [[ -n $out ]] && echo "$line" >>"$out"
    echo "run $i $which: $line" | cut -c1-400 >&2
  done
done

# Medians, spreads and ratios, per figure that the scenario reports.
node - "$results" "$scenario" <<'EOF'
const fs = require("fs");
const [file, scenario] = process.argv.slice(2);
const rows = fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const by = (label) => rows.filter((r) => r.label === label);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const figures = {
  fanout: [["deliveries_per_s", "deliveries/s"], ["latency_us.p50", "p50 us"], ["latency_us.p99", "p99 us"],
           ["latency_us.p999", "p99.9 us"], ["server_cpu_pct", "server cpu %"], ["generator_cpu_pct", "generator cpu %"]],
  echo: [["round_trips_per_s", "round trips/s"], ["latency_us.p50", "p50 us"], ["latency_us.p99", "p99 us"],
         ["server_cpu_pct", "server cpu %"], ["generator_cpu_pct", "generator cpu %"]],
  persist: [["acks_per_s", "acks/s"], ["latency_us.p50", "p50 us"], ["latency_us.p99", "p99 us"],
            ["server_cpu_pct", "server cpu %"]],
  conns: [["held", "connections held"], ["server_rss_per_connection_bytes", "server RSS bytes/conn"],
          ["server_rss_after_kib", "server RSS KiB"]],
}[scenario];
const get = (r, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), r);
const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));
const cell = (label, path) => {
  const xs = by(label).map((r) => get(r, path)).filter((v) => typeof v === "number");
  if (!xs.length) return { text: "-", med: NaN };
  return { text: `${fmt(median(xs))} [${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}]`, med: median(xs) };
};
const pad = (s, n) => String(s).padEnd(n);
console.log(`\n${scenario}: medians [min-max] over ${by("ringcast").length} ringcast and ${by("node").length} node runs`);
console.log(`${pad("figure", 24)}${pad("ringcast", 32)}${pad("node", 32)}ringcast/node`);
for (const [path, name] of figures) {
  const a = cell("ringcast", path), b = cell("node", path);
  const ratio = a.med / b.med;
  console.log(`${pad(name, 24)}${pad(a.text, 32)}${pad(b.text, 32)}${Number.isFinite(ratio) ? ratio.toFixed(2) + "x" : "-"}`);
}
const bad = rows.filter((r) => r.gaps || r.duplicates || r.reorderings || r.lost || r.failed || r.disconnects || r.stalled);
for (const r of bad)
  console.log(`WARNING ${r.label}: gaps ${r.gaps ?? 0} duplicates ${r.duplicates ?? 0} reorderings ${r.reorderings ?? 0} ` +
              `lost ${r.lost ?? 0} failed ${r.failed} disconnects ${r.disconnects} stalled ${r.stalled}`);
const sat = rows.filter((r) => r.generator_saturated);
if (sat.length) console.log(`generator saturated in ${sat.length} run(s): ${sat.map((r) => r.label).join(", ")}`);
EOF
