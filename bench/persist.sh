#!/usr/bin/env bash
# Durable writes: ringcast (bench profile, 1 shard) against a throw-away PostgreSQL, group commit
# ("batched", the defaults) versus one transaction per message ("single": --db-batch-max 1
# --db-pipeline 1), alternately (A B A B ...), and prints acks/s and ack latency medians, the
# spread and the ratio batched/single.
#
#   bench/persist.sh                       # 3 runs each, 200 connections x 8 writes in flight
#   bench/persist.sh --runs 5 -- --clients 50 --window 2
#
# Environment: RINGCAST_BIN, LOADGEN_BIN (default build/release/{server/ringcast,bench/ringcast-load}).
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
runs=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: persist.sh [--runs N] [-- ringcast-load flags]" >&2; exit 2 ;;
  esac
done
load_flags=(--clients 200 --window 8 --duration 10 --warmup 2 "$@")
need_binaries

work=$(mktemp -d /tmp/ringcast-persist.XXXXXX)
chmod 755 "$work"
pg_port=$(free_port)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2>/dev/null || true
  "$root/deploy/local-postgres.sh" stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
url=$("$root/deploy/local-postgres.sh" start "$work/pg" "$pg_port")

run_one() {  # mode -> appends a JSON line to $work/$mode.jsonl
  local mode=$1 port flags=()
  [[ $mode == single ]] && flags=(--db-batch-max 1 --db-pipeline 1)
  port=$(free_port)
  : >"$work/server.log"
  "$ringcast_bin" --profile bench --shards 1 --address 127.0.0.1 --port "$port" --database-url "$url" \
    "${flags[@]}" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
  "$loadgen_bin" --url "127.0.0.1:$port" --scenario persist --server-pid "$server_pid" --label "$mode" --json \
    "${load_flags[@]}" >>"$work/$mode.jsonl"
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

for ((i = 0; i < runs; i++)); do
  run_one batched
  run_one single
done

python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
res = {}
for mode in ("batched", "single"):
    rows = [json.loads(l) for l in open(f"{work}/{mode}.jsonl")]
    res[mode] = rows
    acks = [r["acks_per_s"] for r in rows]
    p50 = [r["latency_us"]["p50"] / 1000 for r in rows]
    p99 = [r["latency_us"]["p99"] / 1000 for r in rows]
    print(f"{mode:8s} acks/s median {statistics.median(acks):10.0f} (min {min(acks):.0f}, max {max(acks):.0f})"
          f"   ack p50 {statistics.median(p50):8.1f} ms   p99 {statistics.median(p99):8.1f} ms   runs {len(rows)}")
b = statistics.median(r["acks_per_s"] for r in res["batched"])
s = statistics.median(r["acks_per_s"] for r in res["single"])
print(f"ratio batched/single acks/s: {b / s:.1f}x")
PY
