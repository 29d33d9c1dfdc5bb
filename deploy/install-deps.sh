#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the local PostgreSQL need.
# Idempotent; works as root on a fresh Debian 12 that has never run `apt-get update`.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  liburing-dev libboost-json1.81-dev libpq-dev libmimalloc-dev
  libbenchmark-dev libgtest-dev libgmock-dev zlib1g-dev libssl-dev libjwt-dev libcurl4-openssl-dev
  clang libclang-rt-14-dev
  postgresql postgresql-client
  python3-socketio python3-websocket python3-requests
  procps iproute2
  chromium
)
# Node.js (for the socket.io-client test clients): any node with npm will do; Debian's otherwise.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
