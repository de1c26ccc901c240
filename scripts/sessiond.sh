#!/usr/bin/env bash
# Makes sure an LTTng session daemon is reachable (starts a root one if not).
# Prints what it did; exits non-zero with a one-line reason if it cannot.
set -euo pipefail
if lttng list >/dev/null 2>&1; then
  echo "sessiond: already running"
  exit 0
fi
lttng-sessiond --daemonize >/dev/null 2>&1 || true
for _ in $(seq 50); do
  if lttng list >/dev/null 2>&1; then
    echo "sessiond: started"
    exit 0
  fi
  sleep 0.1
done
echo "Cannot start lttng-sessiond: 'lttng list' still fails after 5 s" >&2
exit 1
