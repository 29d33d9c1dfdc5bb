#!/usr/bin/env bash
# build.sh DIR [cmake args...]: configures (once) and builds one configuration with Ninja.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
cmake --build "$dir" -j "${RINGCAST_JOBS:-2}"
