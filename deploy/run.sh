#!/usr/bin/env bash
# Installs dependencies, builds the Release binary, starts a local PostgreSQL under var/ (unless
# DATABASE_URL is set), makes a development token secret under var/ (unless RINGCAST_JWT_SECRET is
# set), loads the sample AI knowledge base deploy/knowledge.json (unless RINGCAST_AI_KNOWLEDGE is
# set), turns on the pages' development sign-in (--dev-login: a staff token for any loopback
# client; RINGCAST_DEV_LOGIN=off leaves it off), and runs the inbox in the foreground with any extra
# flags given (they win over these).
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

if [ -z "${RINGCAST_JWT_SECRET:-}" ] && [ -z "${RINGCAST_JWT_PUBLIC_KEY:-}" ]; then
  if [ ! -s var/jwt-secret ]; then
    mkdir -p var
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > var/jwt-secret)
    echo "run.sh: made a development token secret in var/jwt-secret (set RINGCAST_JWT_SECRET for your own)"
  fi
  RINGCAST_JWT_SECRET=$(cat var/jwt-secret)
  export RINGCAST_JWT_SECRET
  echo "run.sh: a client token: RINGCAST_JWT_SECRET=\$(cat var/jwt-secret) build/release/server/ringcast token --sub alice --role customer"
fi
if [ -z "${RINGCAST_AI_KNOWLEDGE:-}" ]; then
  RINGCAST_AI_KNOWLEDGE=$root/deploy/knowledge.json
  export RINGCAST_AI_KNOWLEDGE
  echo "run.sh: the AI answers from the sample knowledge base deploy/knowledge.json (set RINGCAST_AI_KNOWLEDGE for your own)"
fi
dev_login=(--dev-login)
if [ "${RINGCAST_DEV_LOGIN:-}" = off ]; then dev_login=(); fi
unset RINGCAST_DEV_LOGIN
echo "run.sh: the staff inbox is at http://127.0.0.1:3000/ (or your --port), the customer chat at /widget," \
  "the dashboard at /dashboard (docs/web.md)"
exec build/release/server/ringcast --profile inbox "${dev_login[@]}" "$@"
