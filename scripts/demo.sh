#!/usr/bin/env bash
# The demo, from a fresh clone on Debian 12 (as root): installs packages, builds
# weft, starts lttng-sessiond if needed, records every bundled failure-pattern
# example with `weft record` into one trace store (demo.db, one session per
# example), shows the summaries, a few queries and the findings, and ends in
# the terminal browser on the findings (`weft tui -v findings demo.db`; q
# quits).  Without a terminal it prints the command instead.
# Usage: scripts/demo.sh [EXAMPLE...]     (default: all examples)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh
scripts/sessiond.sh
echo "== building (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" -- --no-print-directory >/dev/null

weft=$top/build/cli/weft
db=$top/demo.db
examples=("$@")
if [ ${#examples[@]} -eq 0 ]; then
  mapfile -t examples < <(sed -n '/^set(WEFT_EXAMPLES$/,/)/p' examples/CMakeLists.txt |
    tr ' ' '\n' | grep -E '^[a-z][a-z-]+$')
fi

rm -f "$db" "$db-wal" "$db-shm"
for ex in "${examples[@]}"; do
  echo
  echo "== weft record -o demo.db -- build/examples/$ex"
  "$weft" record -o "$db" -- "$top/build/examples/$ex"
done

q() { echo; echo "-- $1"; shift; "$weft" query "$db" "$@"; }
echo
echo "== what is in demo.db (weft query demo.db SQL; schema: docs/schema.md)"
q "tasks per recorded program" \
  "SELECT p.name AS program, count(t.id) AS tasks,
          sum(t.status = 1) AS failed, sum(t.unobserved_ns IS NOT NULL) AS unobserved
   FROM processes p LEFT JOIN tasks t ON t.process = p.id
   GROUP BY p.id ORDER BY p.id"
q "silent failures: failed tasks whose error nobody read" \
  "SELECT pid, name, site, err, msg FROM task_summary
   WHERE status = 'error' AND observed = 0 ORDER BY ended_ns LIMIT 8"
q "blocking waits longer than 50 ms, and whether they timed out" \
  "SELECT p.name AS program, a.name AS awaited, (w.end_ns - w.begin_ns) / 1000000 AS ms,
          w.timed_out
   FROM waits w JOIN tasks t ON t.id = w.awaited
   JOIN processes p ON p.id = t.process
   LEFT JOIN task_summary a ON a.id = w.awaited
   WHERE w.mode = 0 AND w.end_ns - w.begin_ns >= 50000000 ORDER BY ms DESC LIMIT 8"
q "longest queue waits (ms)" \
  "SELECT s.pid, s.name, s.ctx_name, s.queue_wait_ns / 1000000 AS queue_ms
   FROM task_summary s WHERE s.queue_wait_ns IS NOT NULL
   ORDER BY s.queue_wait_ns DESC LIMIT 8"
echo
echo "== weft report demo.db (the findings of every recording, by severity)"
"$weft" report "$db" || true
echo
echo "Try: build/cli/weft query demo.db \"SELECT * FROM task_summary LIMIT 20\""
echo "     build/cli/weft chain demo.db parse_file --blame"
if [ -t 0 ] && [ -t 1 ]; then
  echo
  echo "== weft tui -v findings demo.db (Enter: a finding's chain, Tab: views, ?: keys, q: quit)"
  sleep 2
  exec "$weft" tui -v findings "$db"
fi
echo "Browse it: build/cli/weft tui -v findings demo.db"
