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
# flags), SERVER_CORE / LOADGEN_CORE (default 0 / 1), QUIET_WAIT / QUIET_PERMILLE (see bench/common.sh).
set -euo pipefail

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
peer_dir=$here/peers/node-socketio

parse_run_options "$@"
set -- "${rest[@]}"
[[ $# -ge 1 ]] || { sed -n '2,17p' "$0"; exit 2; }
scenario=$1; shift
load_flags=("$@")
need_binaries
if [[ ! -d $peer_dir/node_modules/socket.io ]]; then
  (cd "$peer_dir" && npm ci --no-audit --no-fund >/dev/null)
fi

with_default_durations

workdir=$(mktemp -d /tmp/ringcast-compare.XXXXXX)
server_pid=""
trap 'stop_pid "$server_pid"; rm -rf "$workdir"' EXIT

start_server() {
  if [[ $1 == ringcast ]]; then
    # shellcheck disable=SC2086
    start_pinned "$workdir/$1.log" "$ringcast_bin" --profile bench --shards 1 --address 127.0.0.1 --port 0 \
      ${RINGCAST_FLAGS:-}
  else
    start_pinned "$workdir/$1.log" node "$peer_dir/server.mjs" --address 127.0.0.1 --port 0
  fi
}

results=$workdir/results.jsonl
run_alternately --scenario "$scenario"

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
