#!/usr/bin/env bash
# The demo, from a fresh clone on Debian 12 (as root): installs packages, builds
# weft, starts lttng-sessiond if needed, records every bundled failure-pattern
# example under a real LTTng session and prints what was recorded.
# Usage: scripts/demo.sh [EXAMPLE...]     (default: all examples)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh
scripts/sessiond.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" -- --no-print-directory >/dev/null

examples=("$@")
if [ ${#examples[@]} -eq 0 ]; then
  mapfile -t examples < <(sed -n 's/^ *X(\([a-z-]*\)).*/\1/p' examples/list.txt 2>/dev/null || true)
  [ ${#examples[@]} -gt 0 ] || mapfile -t examples < <(cd examples && ls *.c | sed 's/\.c$//')
fi

out=$(mktemp -d /tmp/weft-demo.XXXXXX)
session="weft-demo-$$"
cleanup() { lttng destroy "$session" >/dev/null 2>&1 || true; }
trap cleanup EXIT
lttng create "$session" --output="$out/trace" >/dev/null
lttng enable-channel -u --subbuf-size=4M --num-subbuf=8 weft >/dev/null
lttng enable-event -u -c weft 'weft:*' >/dev/null
lttng add-context -u -c weft -t vpid -t vtid -t procname >/dev/null
lttng start "$session" >/dev/null
for ex in "${examples[@]}"; do
  "$top/build/examples/$ex"
done
lttng stop "$session" >/dev/null
lttng destroy "$session" >/dev/null
trap - EXIT

echo
echo "Recorded into $out/trace; events per example (procname) and kind:"
babeltrace2 "$out/trace" |
  sed -n 's/.* weft:\([a-z_]*\): .*procname = "\([^"]*\)".*/\2 \1/p' |
  sort | uniq -c | awk '{ n[$2] += $1; k[$2] = k[$2] sprintf(" %s=%d", $3, $1) }
    END { for (p in n) printf "  %-26s %6d events:%s\n", p, n[p], k[p] }' | sort
