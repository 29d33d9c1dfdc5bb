# Shell pieces shared by the bench scripts; sourced (`. "$(dirname "$0")/common.sh"`), not run.
# Sets `here` (bench/), `root`, and the binaries and cores from the environment: RINGCAST_BIN,
# LOADGEN_BIN (default build/release/{server/ringcast,bench/ringcast-load}), SERVER_CORE /
# LOADGEN_CORE (default 0 / 1).
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
ringcast_bin=${RINGCAST_BIN:-$root/build/release/server/ringcast}
loadgen_bin=${LOADGEN_BIN:-$root/build/release/bench/ringcast-load}
server_core=${SERVER_CORE:-0}
loadgen_core=${LOADGEN_CORE:-1}

# Fails unless both binaries were built.
need_binaries() {
  local bin
  for bin in "$ringcast_bin" "$loadgen_bin"; do
    [[ -x $bin ]] || { echo "$(basename "$0"): $bin is missing; build with deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release" >&2; exit 2; }
  done
}

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# parse_run_options "$@": the options of the A/B scripts, --runs N (default 3), --out FILE and
# --only ringcast|node, into runs, out and servers; the arguments after them into rest=().
parse_run_options() {
  runs=3
  out=""
  servers=(ringcast node)
  while [[ $# -gt 0 ]]; do
    case $1 in
      --runs) runs=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --only)
        [[ $2 == ringcast || $2 == node ]] || { echo "$(basename "$0"): --only ringcast|node" >&2; exit 2; }
        servers=("$2"); shift 2 ;;
      *) break ;;
    esac
  done
  rest=("$@")
}

# with_default_durations: appends --duration 10 and --warmup 2 to load_flags unless they are set.
with_default_durations() {
  local f duration=0 warmup=0
  for f in "${load_flags[@]}"; do
    [[ $f == --duration ]] && duration=1
    [[ $f == --warmup ]] && warmup=1
  done
  ((duration)) || load_flags+=(--duration 10)
  ((warmup)) || load_flags+=(--warmup 2)
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
      echo "$(basename "$0"): machine still $((busy / 10))% busy; running anyway" >&2
      return 0
    fi
  done
}

# wait_listening PID LOG: prints the port of the "listening on 127.0.0.1:PORT" line the server
# with PID writes to LOG; fails if the server exits or 10 s pass first.
wait_listening() {
  local pid=$1 log=$2 port
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    [[ -n $port ]] && { echo "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

# start_pinned LOG COMMAND...: starts a server that listens on port 0 on server_core, its output
# in LOG; sets server_pid, server_port (from its "listening on" line) and server_log, or exits.
start_pinned() {
  server_log=$1
  shift
  : >"$server_log"
  taskset -c "$server_core" "$@" >"$server_log" 2>&1 &
  server_pid=$!
  server_port=$(wait_listening "$server_pid" "$server_log") && return 0
  echo "$(basename "$0"): $(basename "$1") did not start:" >&2
  cat "$server_log" >&2
  exit 1
}

# stop_pid PID: SIGTERM, SIGKILL after 5 s, and reaps it.
stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run_alternately GENERATOR_FLAGS...: `runs` rounds over `servers` (A B A B ...). Each run waits
# for a quiet machine, calls the script's start_server NAME (start_pinned with that server), runs ringcast-load pinned to loadgen_core with GENERATOR_FLAGS then load_flags,
# stops the server and appends the JSON line to $results (and to $out when set).
run_alternately() {
  local i which line
  for ((i = 1; i <= runs; i++)); do
    for which in "${servers[@]}"; do
      wait_quiet
      start_server "$which"
      line=$(taskset -c "$loadgen_core" timeout 600 "$loadgen_bin" --url "127.0.0.1:$server_port" "$@" \
        --server-pid "$server_pid" --label "$which" --json "${load_flags[@]}" || true)
      stop_pid "$server_pid"
      server_pid=""
      drop_run_database
      if [[ $line != \{* ]]; then
        echo "$(basename "$0"): run $i against $which produced no result; the server's last lines:" >&2
        tail -20 "$server_log" >&2
        continue
      fi
      echo "$line" >>"$results"
      [[ -n $out ]] && echo "$line" >>"$out"
      echo "run $i $which: $line" | cut -c1-400 >&2
    done
  done
}

# start_postgres NAME: a throw-away PostgreSQL cluster (deploy/local-postgres.sh) in a new
# directory work=/tmp/NAME.XXXXXX, stopped and removed at exit together with the server in
# server_pid. Sets work, pg_bin, pg_port, base_url and secret (a random JWT key for the run).
start_postgres() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$work"
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pg_port=$(free_port)
  server_pid=""
  trap stop_postgres EXIT
  base_url=$("$root/deploy/local-postgres.sh" start "$work/pg" "$pg_port")
}
stop_postgres() {
  stop_pid "$server_pid"
  "$root/deploy/local-postgres.sh" stop "$work/pg" || true
  rm -rf "$work"
}

# fresh_database NAME: drops and creates database NAME in that cluster and prints its URL, so no
# run pays for the rows and indexes of the ones before it. Then a checkpoint writes out what the
# run before left dirty, so no server's run pays for the writes of the one before it either.
# run_alternately drops the database when the run ends (drop_run_database), so autovacuum does
# not work through one server's tables during the other's run.
fresh_database() {
  local name=$1
  PGOPTIONS="-c client_min_messages=warning" "$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" -c "CHECKPOINT" >/dev/null
  echo "$name" >"$work/run_database"  # a file: this runs in a command substitution
  echo "${base_url%/*}/$name"
}
drop_run_database() {
  [[ -f ${work:-}/run_database ]] || return 0
  PGOPTIONS="-c client_min_messages=warning" "$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
    -c "DROP DATABASE IF EXISTS $(cat "$work/run_database") WITH (FORCE)" >/dev/null || true
  rm -f "$work/run_database"
}
