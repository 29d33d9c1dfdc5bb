#!/usr/bin/env bash
# The inbox scenario (ringcast-load --scenario inbox) against ringcast (--profile inbox, 1 shard)
# and the Node peer (bench/peers/node-inbox: socket.io 4 + pg, an INSERT per message, then emit),
# both on one throw-away PostgreSQL, alternately (A B A B ...), each server on core 0 and the
# generator on core 1 (PostgreSQL is not pinned). Prints the medians, the spread (min-max) and the
# ratio ringcast/node of durable messages/s, deliveries/s and the ack and delivery latencies.
#
#   bench/inbox.sh --conversations 20 --rate 5000       # latency at a fixed rate
#   bench/inbox.sh --conversations 20 --rate 0          # saturation (closed loop, --window per customer)
#   bench/inbox.sh --only ringcast --runs 1 --conversations 20 --rate 1000 --duration 5
#
# Options before ringcast-load's flags: --runs N (default 3 per server), --out FILE (append every
# JSON result line), --only ringcast|node. Other flags go to ringcast-load as they are (--duration
# defaults to 10 s, --warmup to 2 s). Each run gets a fresh database. With --staff-pool, a pool
# socket joins about 2C/N conversations: raise ringcast's limit with
# RINGCAST_FLAGS="--max-joined-conversations N". Environment: RINGCAST_BIN, LOADGEN_BIN (default
# build/release/{server/ringcast,bench/ringcast-load}), RINGCAST_FLAGS (extra server flags),
# SERVER_CORE / LOADGEN_CORE (default 0 / 1), QUIET_WAIT / QUIET_PERMILLE (see bench/common.sh).
set -euo pipefail

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
peer_dir=$here/peers/node-inbox

case ${1:-} in -h|--help) sed -n '2,18p' "$0"; exit 0 ;; esac
parse_run_options "$@"
load_flags=("${rest[@]}")
need_binaries
if [[ ${servers[*]} == *node* && ! -d $peer_dir/node_modules ]]; then
  [[ -f $peer_dir/server.mjs ]] || { echo "inbox.sh: no Node peer in $peer_dir (use --only ringcast)" >&2; exit 2; }
  (cd "$peer_dir" && npm ci --no-audit --no-fund >/dev/null)
fi
with_default_durations

start_postgres ringcast-inbox

start_server() {
  local url
  url=$(fresh_database "bench_$1")
  if [[ $1 == ringcast ]]; then
    # AI replies off: the peer has none (they would double ringcast's messages).
    # shellcheck disable=SC2086
    start_pinned "$work/$1.log" "$ringcast_bin" --profile inbox --shards 1 --address 127.0.0.1 --port 0 \
      --database-url "$url" --jwt-secret "$secret" --ai-backend off ${RINGCAST_FLAGS:-}
  else
    start_pinned "$work/$1.log" node "$peer_dir/server.mjs" --address 127.0.0.1 --port 0 \
      --database-url "$url" --jwt-secret "$secret"
  fi
}

results=$work/results.jsonl
: >"$results"
run_alternately --scenario inbox --jwt-secret "$secret"

python3 - "$results" "$here" <<'PY'
import sys
sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, sys.argv[2])
from summary import cell, load, warn
rows = load(sys.argv[1])
figures = [("acks_per_s", "durable msgs/s"), ("deliveries_per_s", "deliveries/s")]
for kind in ("ack", "delivery"):
    for p in ("p50", "p99", "p999"):
        figures.append((f"{kind}_latency_us.{p}", f"{kind} {p} ms"))
figures += [("server_cpu_pct", "server cpu %"), ("generator_cpu_pct", "generator cpu %")]

count = lambda label: sum(1 for r in rows if r.get("label") == label)
print(f"\ninbox: medians [min-max] over {count('ringcast')} ringcast and {count('node')} node runs")
print(f"{'figure':22}{'ringcast':34}{'node':34}ringcast/node")
for path, name in figures:
    (a, am), (b, bm) = cell(rows, "ringcast", path), cell(rows, "node", path)
    ratio = f"{am / bm:.2f}x" if am is not None and bm else "-"
    print(f"{name:22}{a:34}{b:34}{ratio}")
warn(rows, ("failed", "disconnects", "ack_errors", "unanswered", "missing_deliveries", "gaps", "duplicates", "misrouted",
            "unparsed", "unexpected_acks"))
PY
