#!/usr/bin/env bash
# The AI reply benchmark: ringcast-load --scenario inbox --ai-replies against ringcast (--profile
# inbox, builtin backend, --ai-knowledge deploy/knowledge.json) on a throw-away PostgreSQL, at each
# of --rates customer messages/s (a fresh database per run). Customers ask knowledge-base questions;
# the generator times each ack (the commit) and each AI reply (message:new from the assistant on
# the customer's socket) from that ack and from the send. Prints medians [min-max] per rate.
#
#   bench/ai.sh                                  # 100, 1000 and 5000 msg/s, 3 runs each, 1 shard
#   bench/ai.sh --shards 2                       # 2 shards, server and generator not pinned
#   bench/ai.sh --rates "1000" --runs 1 --duration 5
#
# Options before ringcast-load's flags: --runs N (default 3 per rate), --out FILE (append every
# JSON result line), --rates "R1 R2 ..." (default "100 1000 5000"), --shards N (default 1: server
# on SERVER_CORE 0 and generator on LOADGEN_CORE 1; more shards run unpinned unless those are
# set), --per-conversation R (default 10: conversations = rate / R, at least 1, so each has about
# one question awaiting its reply). Other flags go to ringcast-load as they are (--duration
# defaults to 10 s, --warmup to 2 s). Environment: RINGCAST_BIN, LOADGEN_BIN, RINGCAST_FLAGS
# (extra server flags), QUIET_WAIT / QUIET_PERMILLE (see bench/common.sh).
set -euo pipefail

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

case ${1:-} in -h|--help) sed -n '2,19p' "$0"; exit 0 ;; esac
rates="100 1000 5000"
shards=1
per_conversation=10
args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --rates) rates=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --per-conversation) per_conversation=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
parse_run_options "${args[@]}"
load_flags=("${rest[@]}")
need_binaries
with_default_durations
if ((shards > 1)); then
  all_cores="0-$(($(nproc) - 1))"
  server_core=${SERVER_CORE:-$all_cores}
  loadgen_core=${LOADGEN_CORE:-$all_cores}
fi

start_postgres ringcast-ai

# NAME is ai_<rate>: the run's label and database.
start_server() {
  local url
  url=$(fresh_database "bench_$1")
  # shellcheck disable=SC2086
  start_pinned "$work/$1.log" "$ringcast_bin" --profile inbox --shards "$shards" --address 127.0.0.1 --port 0 \
    --database-url "$url" --jwt-secret "$secret" --ai-backend builtin --ai-knowledge "$root/deploy/knowledge.json" \
    ${RINGCAST_FLAGS:-}
}

results=$work/results.jsonl
: >"$results"
base_flags=("${load_flags[@]}")
for rate in $rates; do
  conversations=$(( rate / per_conversation > 0 ? rate / per_conversation : 1 ))
  servers=("ai_$rate")
  load_flags=("${base_flags[@]}")
  [[ " ${base_flags[*]} " == *" --conversations "* ]] || load_flags+=(--conversations "$conversations")
  run_alternately --scenario inbox --ai-replies --jwt-secret "$secret" --rate "$rate"
done

python3 - "$results" "$here" "$shards" <<'PY'
import sys
sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, sys.argv[2])
from summary import cell, load, warn
rows = load(sys.argv[1])
labels = list(dict.fromkeys(r["label"] for r in rows))
figures = [("acks_per_s", "durable msgs/s"), ("replies_per_s", "AI replies/s")]
for key, name in (("ack_latency_us", "send->ack"), ("reply_latency_us", "ack->reply"),
                  ("send_reply_latency_us", "send->reply")):
    for p in ("p50", "p99", "p999", "max"):
        figures.append((f"{key}.{p}", f"{name} {p} ms"))
figures += [("server_cpu_pct", "server cpu %"), ("generator_cpu_pct", "generator cpu %")]
print(f"\nAI replies, {sys.argv[3]} shard(s): medians [min-max] over the runs of each rate")
print(f"{'figure':22}" + "".join(f"{l:30}" for l in labels))
for path, name in figures:
    print(f"{name:22}" + "".join(f"{cell(rows, l, path)[0]:30}" for l in labels))
totals = ("replies_total", "replies_answered", "replies_handover", "replies_fallback", "replies_missing",
          "reply_duplicates", "escalated_conversations")
print(f"{'sums over the runs':22}" + "".join(
    f"{' '.join(str(sum(r.get(k, 0) for r in rows if r['label'] == l)) for k in totals):30}" for l in labels))
print("  (" + ", ".join(totals) + ")")
warn(rows, ("failed", "disconnects", "ack_errors", "unanswered", "unexpected_acks", "replies_handover", "replies_fallback",
            "replies_missing", "reply_duplicates", "replies_before_ack", "reply_seq_errors", "replies_unparsed",
            "feed_missing"))
PY
