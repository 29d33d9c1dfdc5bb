#!/usr/bin/env bash
# A throw-away PostgreSQL cluster in a directory of ours, on loopback, owned by the `postgres` user
# when run as root (initdb refuses root).
#   local-postgres.sh start DIR PORT   -> prints the database URL on stdout
#   local-postgres.sh stop DIR
set -euo pipefail
cmd=${1:?usage: local-postgres.sh start DIR PORT | stop DIR}
dir=$(realpath -m "${2:?data directory}")
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

case "$cmd" in
  start)
    port=${3:?port}
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ ${#as_owner[@]} -gt 0 ] && chown postgres: "$dir"
      "${as_owner[@]}" "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --no-locale >"$dir.initdb.log" 2>&1 \
        || { cat "$dir.initdb.log" >&2; exit 1; }
    fi
    if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
    fi
    "${as_owner[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='ringcast'" postgres | grep -q 1 \
      || "${as_owner[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres ringcast
    echo "postgresql://postgres@127.0.0.1:$port/ringcast"
    ;;
  stop)
    if [ -f "$dir/postmaster.pid" ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    fi
    ;;
  *)
    echo "usage: local-postgres.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
