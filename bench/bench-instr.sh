#!/usr/bin/env bash
# bench-instr.sh — what tracing costs a reference-runtime pool task, counted in
# instructions (callgrind), so that the figure repeats on a noisy VM.
#
# Usage: bench/bench-instr.sh [BUILD_DIR] [N]     (defaults: build-rel, 20000)
#
# One LTTng session configured as bench.h's (per-UID buffers, 8 x 4 MiB
# sub-buffers, discard, contexts vpid/vtid/procname; weft:* and weft_bench:*)
# is started and stopped around four callgrind runs of bench-instr: N tasks
# and N bare events, each with the session recording ("on") and stopped
# ("off": every tracepoint disabled).  Per task, tracing costs
#   (weft_run_at[on] - weft_run_at[off] + rt_future_run_queued[on] -
#    rt_future_run_queued[off]) / N
# instructions (inclusive: the submitter's and the worker's side of a task);
# a bare event costs what main's loop of lttng_ust_tracepoint() calls costs
# more with the session on than off, per event (the tracepoint's inline
# enable check and RCU read side, and LTTng's generated probe).  Their quotient is
# instr_cost_in_bare_events, the instruction-count twin of bench-runtime's
# cost_in_bare_events (which also pays cache effects and the consumer).
# Needs valgrind, lttng, a reachable lttng-sessiond (scripts/sessiond.sh).
set -euo pipefail
build=${1:-build-rel}
n=${2:-20000}
prog=$build/bench/bench-instr
[ -x "$prog" ] || { echo "Cannot run bench-instr: $prog not built (cmake --build $build --target bench-instr)" >&2; exit 1; }
# callgrind_annotate splits a function's count by source file when it has
# debug info (inlined parts apart), which these sums cannot use.
if readelf -S "$prog" 2>/dev/null | grep -q '\.debug_info'; then
	echo "Cannot run bench-instr: $prog has debug info; use a Release build (cmake -DCMAKE_BUILD_TYPE=Release)" >&2
	exit 1
fi
command -v valgrind >/dev/null || { echo "Cannot run bench-instr: valgrind not installed" >&2; exit 1; }
command -v callgrind_annotate >/dev/null || { echo "Cannot run bench-instr: callgrind_annotate not installed" >&2; exit 1; }
lttng list >/dev/null 2>&1 || { echo "Cannot run bench-instr: no LTTng session daemon (scripts/sessiond.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/bench-instr.XXXXXX)
session=weft-bench-instr-$$
cleanup() { lttng destroy "$session" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
[ -n "${BENCH_INSTR_KEEP:-}" ] && { trap - EXIT; echo "bench: kept $tmp" >&2; }

lttng create "$session" --output="$tmp/trace" >/dev/null
lttng enable-channel -u -s "$session" --buffers-uid --subbuf-size=4M --num-subbuf=8 --discard ch >/dev/null
lttng add-context -u -s "$session" -c ch -t vpid -t vtid -t procname >/dev/null
lttng enable-event -u -s "$session" -c ch 'weft:*,weft_bench:*' >/dev/null

grind() { # MODE STATE
	valgrind --tool=callgrind --callgrind-out-file="$tmp/$2-$1.out" "$prog" "$1" "$n" \
		>"$tmp/$2-$1.log" 2>&1 || { cat "$tmp/$2-$1.log" >&2; echo "Cannot run bench-instr: valgrind $prog $1 $n failed" >&2; exit 1; }
}
incl() { # FILE FUNCTION: inclusive instructions of FUNCTION in FILE (0 if absent)
	(cd "$tmp" && callgrind_annotate --inclusive=yes "$1" 2>/dev/null) |
		awk -v f="$2" '!v && index($0, ":" f " [") && $2 ~ /^\(/ { v = $1; gsub(",", "", v) } END { print v + 0 }' |
		{ read -r v || v=0; echo "${v:-0}"; }
}

lttng start "$session" >/dev/null
grind tasks on
grind bare on
lttng stop "$session" >/dev/null
grind tasks off
grind bare off

bare_on=$(incl "$tmp/on-bare.out" main)
bare_off=$(incl "$tmp/off-bare.out" main)
bare=$((bare_on - bare_off))
sub_on=$(incl "$tmp/on-tasks.out" weft_run_at)
sub_off=$(incl "$tmp/off-tasks.out" weft_run_at)
wrk_on=$(incl "$tmp/on-tasks.out" rt_future_run_queued)
wrk_off=$(incl "$tmp/off-tasks.out" rt_future_run_queued)
submit=$(incl "$tmp/on-tasks.out" weft__task_submit)
next=$(incl "$tmp/on-tasks.out" weft__task_next)
[ "$bare" -gt 0 ] && [ "$sub_on" -gt 0 ] && [ "$wrk_on" -gt 0 ] ||
	{ echo "Cannot run bench-instr: a function is missing from the profiles (bare=$bare submit=$sub_on worker=$wrk_on; was the session recording?)" >&2; exit 1; }

awk -v n="$n" -v bare="$bare" -v so="$sub_on" -v sf="$sub_off" -v wo="$wrk_on" -v wf="$wrk_off" \
    -v ts="$submit" -v tn="$next" 'BEGIN {
	b = bare / n; s = (so - sf) / n; w = (wo - wf) / n
	printf "bench: instr_bare_event=%.0f\n", b
	printf "bench: instr_task_submit_event=%.0f\n", ts / n
	printf "bench: instr_task_next_event=%.0f\n", tn / n
	printf "bench: instr_submitter_per_task=%.0f\n", s
	printf "bench: instr_worker_per_task=%.0f\n", w
	printf "bench: instr_per_task=%.0f\n", s + w
	printf "bench: instr_cost_in_bare_events=%.2f\n", (s + w) / b
}'
