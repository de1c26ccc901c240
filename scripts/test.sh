#!/usr/bin/env bash
# The whole test suite, from a fresh clone on Debian 12 (as root):
#   installs packages (apt-get), starts lttng-sessiond if none is reachable,
#   builds twice (plain, and ASan+UBSan), and runs every CTest suite in both.
# Usage: scripts/test.sh [-R REGEX]   (extra arguments go to ctest)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh
scripts/sessiond.sh

status=0
for variant in plain asan; do
  dir=build-test-$variant
  opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  [ "$variant" = asan ] && opts+=(-DWEFT_SANITIZE=ON)
  echo "== $variant: configure + build ($dir)"
  cmake -S . -B "$dir" "${opts[@]}" >/dev/null
  cmake --build "$dir" -j "$jobs" -- --no-print-directory >/dev/null 2>"$dir.build.log" || {
    cat "$dir.build.log" >&2
    echo "Cannot build: $variant build failed: log=$dir.build.log" >&2
    exit 1
  }
  echo "== $variant: ctest"
  if ! (cd "$dir" && ctest --output-on-failure --timeout 600 "$@"); then
    status=1
  fi
done
exit $status
