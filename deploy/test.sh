#!/usr/bin/env bash
# Installs everything, builds the Release, the ASan+UBSan and the libFuzzer configurations, and runs
# every test of each with ctest. Servers the tests need are started by the tests on loopback.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./deploy/install-deps.sh || exit 1
# The client tests' packages, and the inbox bench peer's (node_inbox_peer.test.mjs runs it).
for dir in tests/clients bench/peers/node-inbox; do
  [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] || (cd "$dir" && npm ci --no-audit --no-fund) || exit 1
done
# The load tests hold thousands of sockets in one process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

./deploy/build.sh build/release -DCMAKE_BUILD_TYPE=Release || exit 1
./deploy/build.sh build/asan -DCMAKE_BUILD_TYPE=Debug -DRINGCAST_SANITIZE=ON || exit 1
CC=clang CXX=clang++ ./deploy/build.sh build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGCAST_FUZZ=ON || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
passed=0
failed=0
for config in release asan fuzz; do
  echo "=== ctest: $config ==="
  log=$(mktemp)
  (cd "build/$config" && ctest --output-on-failure --timeout 900) 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
  bad=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$summary")
  if [ -z "$summary" ]; then
    # No summary means ctest crashed or found no tests: both are failures.
    echo "ctest ran no test for $config (exit $rc)" >&2
    failed=$((failed + 1))
  else
    passed=$((passed + total - bad))
    failed=$((failed + bad))
  fi
  rm -f "$log"
done
echo "all configurations: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
