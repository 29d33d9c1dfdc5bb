#!/usr/bin/env bash
# build.sh DIR [cmake args...]: configures (once) and builds one configuration with Ninja;
# RINGCAST_BUILD_TARGET=NAME builds only that target (default: everything).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
# The browser libraries the binary embeds (web/CMakeLists.txt), pinned in web/package-lock.json.
if [ ! "$root/web/node_modules/.package-lock.json" -nt "$root/web/package-lock.json" ]; then
  (cd "$root/web" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
fi
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
cmake --build "$dir" -j "${RINGCAST_JOBS:-2}" --target "${RINGCAST_BUILD_TARGET:-all}"
