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

work=$(mktemp -d /tmp/ringcast-inbox.XXXXXX)
chmod 755 "$work"
secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_port=$(free_port)
server_pid=""
cleanup() {
  stop_pid "$server_pid"
  "$root/deploy/local-postgres.sh" stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
base_url=$("$root/deploy/local-postgres.sh" start "$work/pg" "$pg_port")

# A fresh database per run, so no run pays for the rows and indexes of the ones before it.
fresh_database() {
  local name=$1
  PGOPTIONS="-c client_min_messages=warning" "$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
  echo "${base_url%/*}/$name"
}

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

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
figures = [("acks_per_s", "durable msgs/s"), ("deliveries_per_s", "deliveries/s")]
for kind in ("ack", "delivery"):
    for p in ("p50", "p99", "p999"):
        figures.append((f"{kind}_latency_us.{p}", f"{kind} {p} ms"))
figures += [("server_cpu_pct", "server cpu %"), ("generator_cpu_pct", "generator cpu %")]

def get(r, path):
    for k in path.split("."):
        r = r.get(k) if isinstance(r, dict) else None
    return r

def cell(label, path):
    xs = [v for v in (get(r, path) for r in rows if r.get("label") == label) if isinstance(v, (int, float))]
    if "latency" in path:
        xs = [x / 1000 for x in xs]
    if not xs:
        return "-", None
    fmt = lambda v: f"{v:,.0f}" if v >= 100 else f"{v:.2f}"
    m = statistics.median(xs)
    return f"{fmt(m)} [{fmt(min(xs))}-{fmt(max(xs))}]", m

count = lambda label: sum(1 for r in rows if r.get("label") == label)
print(f"\ninbox: medians [min-max] over {count('ringcast')} ringcast and {count('node')} node runs")
print(f"{'figure':22}{'ringcast':34}{'node':34}ringcast/node")
for path, name in figures:
    (a, am), (b, bm) = cell("ringcast", path), cell("node", path)
    ratio = f"{am / bm:.2f}x" if am is not None and bm else "-"
    print(f"{name:22}{a:34}{b:34}{ratio}")
checks = ("failed", "disconnects", "ack_errors", "unanswered", "missing_deliveries", "gaps", "duplicates", "misrouted",
          "unparsed", "unexpected_acks")
for r in rows:
    bad = {k: r.get(k) for k in checks if r.get(k)}
    if bad or r.get("stalled"):
        print(f"WARNING {r.get('label')}: {bad} stalled {r.get('stalled')} errors {r.get('ack_errors_by_code')}")
sat = [r["label"] for r in rows if r.get("generator_saturated")]
if sat:
    print(f"generator saturated in {len(sat)} run(s): {', '.join(sat)}")
PY
