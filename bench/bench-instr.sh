#!/usr/bin/env bash
# bench-instr.sh — what tracing costs a reference-runtime pool task, counted in
# instructions (callgrind), so that the figure repeats on a noisy VM.
#
# Usage: bench/bench-instr.sh [BUILD_DIR] [N]     (defaults: build-rel, 20000)
#
# Four callgrind runs of bench-instr: N tasks and N bare events, each with
# bench.h's session recording ("on") and stopped ("off": every tracepoint
# disabled); bench-instr opens and closes that session itself.  Per task,
# tracing costs
#   (weft_run_at[on] - weft_run_at[off] + rt_future_run_queued[on] -
#    rt_future_run_queued[off]) / N
# instructions (inclusive: the submitter's and the worker's side of a task);
# a bare event costs (bare_loop[on] - bare_loop[off]) / N: the tracepoint's
# inline enable check and RCU read side, and LTTng's generated probe.  Their
# quotient is instr_cost_in_bare_events, the instruction-count twin of
# bench-runtime's cost_in_bare_events (which also pays cache effects and the
# consumer).  The same runs give bytes_per_task / bytes_per_bare_event: what
# the consumer wrote, whose cost grows with bytes, not instructions.  Needs
# valgrind; starts lttng-sessiond if none runs (bench.h).
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

tmp=$(mktemp -d /tmp/bench-instr.XXXXXX)
if [ -n "${BENCH_INSTR_KEEP:-}" ]; then echo "bench: kept $tmp" >&2; else trap 'rm -rf "$tmp"' EXIT; fi

grind() { # MODE STATE
	valgrind --tool=callgrind --callgrind-out-file="$tmp/$2-$1.out" "$prog" "$1" "$n" "$2" \
		>"$tmp/$2-$1.log" 2>&1 || { cat "$tmp/$2-$1.log" >&2; echo "Cannot run bench-instr: valgrind $prog $1 $n $2 failed" >&2; exit 1; }
}
incl() { # FILE FUNCTION: inclusive instructions of FUNCTION in FILE (0 if absent)
	(cd "$tmp" && callgrind_annotate --inclusive=yes "$1" 2>/dev/null) |
		awk -v f="$2" '!v && index($0, ":" f " [") && $2 ~ /^\(/ { v = $1; gsub(",", "", v) } END { print v + 0 }' |
		{ read -r v || v=0; echo "${v:-0}"; }
}

grind tasks on
grind bare on
grind tasks off
grind bare off
grep -h "discarded" "$tmp"/*.log >&2 && { echo "Cannot run bench-instr: LTTng discarded events; the on counts are too low" >&2; exit 1; }

bare_on=$(incl "$tmp/on-bare.out" bare_loop)
bare_off=$(incl "$tmp/off-bare.out" bare_loop)
bare=$((bare_on - bare_off))
sub_on=$(incl "$tmp/on-tasks.out" weft_run_at)
sub_off=$(incl "$tmp/off-tasks.out" weft_run_at)
wrk_on=$(incl "$tmp/on-tasks.out" rt_future_run_queued)
wrk_off=$(incl "$tmp/off-tasks.out" rt_future_run_queued)
submit=$(incl "$tmp/on-tasks.out" weft__task_submit)
next=$(incl "$tmp/on-tasks.out" weft__task_next)
[ "$bare" -gt 0 ] && [ "$sub_on" -gt 0 ] && [ "$wrk_on" -gt 0 ] ||
	{ echo "Cannot run bench-instr: a function is missing from the profiles (bare=$bare submit=$sub_on worker=$wrk_on; was the session recording?)" >&2; exit 1; }

# Bytes the consumer wrote (event streams, packet headers and padding
# included): the part of the cost that instruction counts do not see.
bytes_of() { sed -n 's/^bench-instr: trace_bytes=\([0-9]*\)$/\1/p' "$tmp/on-$1.log"; }
tb=$(bytes_of tasks)
bb=$(bytes_of bare)
[ -n "$tb" ] && [ -n "$bb" ] && [ "$bb" -gt 0 ] ||
	{ echo "Cannot run bench-instr: no trace size in the on logs (tasks='$tb' bare='$bb')" >&2; exit 1; }

awk -v n="$n" -v bare="$bare" -v tb="$tb" -v bb="$bb" -v so="$sub_on" -v sf="$sub_off" -v wo="$wrk_on" -v wf="$wrk_off" \
    -v ts="$submit" -v tn="$next" 'BEGIN {
	b = bare / n; s = (so - sf) / n; w = (wo - wf) / n
	printf "bench: instr_bare_event=%.0f\n", b
	printf "bench: instr_task_submit_event=%.0f\n", ts / n
	printf "bench: instr_task_next_event=%.0f\n", tn / n
	printf "bench: instr_submitter_per_task=%.0f\n", s
	printf "bench: instr_worker_per_task=%.0f\n", w
	printf "bench: instr_per_task=%.0f\n", s + w
	printf "bench: instr_cost_in_bare_events=%.2f\n", (s + w) / b
	printf "bench: bytes_per_task=%.1f\n", tb / n
	printf "bench: bytes_per_bare_event=%.1f\n", bb / n
	printf "bench: bytes_in_bare_events=%.2f\n", tb / bb
}'
