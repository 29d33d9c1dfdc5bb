#!/usr/bin/env bash
# Installs dependencies, builds the Release binary, starts a local PostgreSQL under var/ (unless
# DATABASE_URL is set), and runs ringcast in the foreground with any extra flags given.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./deploy/install-deps.sh
RINGCAST_BUILD_TARGET=ringcast ./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(./deploy/local-postgres.sh start var/postgres "${RINGCAST_PG_PORT:-55432}")
  export DATABASE_URL
  echo "run.sh: local PostgreSQL at $DATABASE_URL (stop it with: deploy/local-postgres.sh stop var/postgres)"
fi
exec build/release/server/ringcast "$@"
