#!/usr/bin/env bash
# tui-tmux: drives the real `weft tui` in a detached tmux session of 80x24
# and checks what is on the screen (capture-pane), TAP output, one scenario
# per function.  Stores are recorded from the examples with `weft record`.
#
#   tui-tmux.sh WEFT EXAMPLES_DIR SOURCE_DIR [SCENARIO...]
#
# A suite that cannot run (no tmux, no sqlite3, no LTTng session daemon)
# skips (exit 77) outside CI and fails under CI=true (tests/runner.h).
set -u
WEFT=$(realpath "$1") EXAMPLES=$(realpath "$2") SRC=$(realpath "$3")
shift 3
SOCK_BASE="weft-tui-test-$$" SOCKS=0
SOCK="$SOCK_BASE-0"
TMP=$(mktemp -d /tmp/weft-tui-test.XXXXXX)
N=0 FAILED=0 CUR_FAIL=0
SCENARIOS=(overview tasks_sort_filter paging findings_to_chain help hostile_names live_follow
	record_live record_tui attach_tui pool loss_on_every_view resize no_color no_args_and_help start_view quit_restores
	timeline_pool timeline_zoom timeline_ascii findings_to_timeline token_history mouse)

in_ci() { case "${CI:-}" in ""|0|false) return 1 ;; *) return 0 ;; esac; }
cleanup() {
	for i in $(seq 0 $SOCKS); do tmux -L "$SOCK_BASE-$i" kill-server >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT

cannot_run() {
	local why=$1 i=0
	echo "1..${#SCENARIOS[@]}"
	for s in "${SCENARIOS[@]}"; do
		i=$((i + 1))
		if in_ci; then echo "not ok $i $s # cannot run in CI: $why"; else echo "ok $i $s # SKIP $why"; fi
	done
	in_ci && exit 1
	exit 77
}

fail() { echo "# $*"; CUR_FAIL=1; }

# screen [-e]: the pane's text now
screen() { tmux -L "$SOCK" capture-pane -p "$@" -t t; }

# wait_for TEXT: until the screen shows TEXT (fixed string), 10 s at most
wait_for() {
	for _ in $(seq 100); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	fail "screen never showed '$1'; it showed:"
	screen | sed 's/^/#   /'
	return 1
}
# absent TEXT: the screen does not show TEXT (after the screen settled)
absent() {
	sleep 0.3
	if screen | grep -qF -- "$1"; then
		fail "screen shows '$1' but should not:"
		screen | sed 's/^/#   /'
	fi
}
keys() { tmux -L "$SOCK" send-keys -t t "$@"; sleep 0.2; }

# start STORE [ENV...]: `weft tui STORE` in a fresh 80x24 session; when it
# exits the pane prints EXITED:<status> and stays.
launch() {
	local db=$1
	shift
	# a server of its own per run: no race with the previous one's exit
	tmux -L "$SOCK" kill-server >/dev/null 2>&1
	SOCKS=$((SOCKS + 1))
	SOCK="$SOCK_BASE-$SOCKS"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 80 -y 24 -s t \
		"env LANG=C.UTF-8 LC_ALL=C.UTF-8 $* '$WEFT' tui '$db'; echo EXITED:\$?; sleep 600"
	tmux -L "$SOCK" set-option -t t remain-on-exit on >/dev/null
}
start() {
	launch "$@"
	wait_for " overview "
}

record() {
	local name=$1
	if ! "$WEFT" record -o "$TMP/$name.db" -- "$EXAMPLES/$name" >"$TMP/$name.log" 2>&1; then
		echo "# weft record $name failed:"
		sed 's/^/#   /' "$TMP/$name.log"
		return 1
	fi
}

# recorded NAME: records the example NAME once per run
recorded() {
	[ -s "$TMP/$1.db" ] || record "$1"
}

t_overview() {
	start "$DB"
	wait_for "events "
	wait_for "Findings"
	wait_for "error "
	wait_for "sync-over-async"   # the process
	wait_for "ui "               # its loop context
	keys Q
	wait_for "EXITED:0"
}

t_tasks_sort_filter() {
	start "$DB"
	keys Tab
	wait_for "sort: id asc"
	wait_for "on_open_clicked"
	wait_for "parse_file"
	keys s
	wait_for "sort: name asc"
	# by name ascending, on_open_clicked comes before parse_file
	local a b
	a=$(screen | grep -n on_open_clicked | head -1 | cut -d: -f1)
	b=$(screen | grep -n parse_file | head -1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || fail "name asc: on_open_clicked line $a, parse_file line $b"
	keys r
	wait_for "sort: name desc"
	a=$(screen | grep -n on_open_clicked | head -1 | cut -d: -f1)
	b=$(screen | grep -n parse_file | head -1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt "$b" ] || fail "name desc: on_open_clicked line $a, parse_file line $b"
	keys / ; keys -l "pars.*file" ; keys Enter
	wait_for "filter: pars.*file"
	wait_for "parse_file"
	absent "on_open_clicked"
	keys / ; keys C-u ; keys BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace
	keys -l "(" ; keys Enter
	wait_for "invalid regular expression"
	keys / ; keys BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace ; keys Enter
	wait_for "filter: (none)"
	wait_for "on_open_clicked"
	# state filter cycles: all -> created -> ... -> ended
	keys f
	wait_for "state: created"
	keys f f f
	wait_for "state: ended"
	# navigation: j moves the selection, Enter opens the detail of that row
	keys f f
	wait_for "state: all"
	keys g j
	keys Enter
	wait_for "Async stack"
	keys q
	wait_for "sort: name desc"
	keys Q
	wait_for "EXITED:0"
}

t_findings_to_chain() {
	start "$DB"
	keys Tab Tab
	wait_for "detector"
	wait_for "deadlock"
	# one root cause, one row: the blocking wait and the slow callback that
	# are the deadlocked wait are counted on its row, not listed again
	wait_for "+2 thread"
	absent "slow-callback"
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM findings WHERE attached_to IS NOT NULL')" -eq 2 ] ||
		fail "the deadlock store should hold 2 attached findings"
	# go to the deadlock finding (rows start on screen line 3), open its task
	local line
	line=$(screen | grep -n -F deadlock | head -1 | cut -d: -f1)
	[ -n "$line" ] || { fail "no deadlock finding on screen"; return; }
	keys g
	for _ in $(seq $((line - 3))); do keys j; done
	keys Enter
	wait_for "Async stack"
	wait_for "on_open_clicked"
	# the loop thread: the main thread, serving ctx ui (loop), blocked
	# waiting for parse_file, whose continuation is queued to ui
	wait_for "ctx ui (loop)"
	wait_for "waits (block) on thread"
	wait_for "for parse_file"
	wait_for "TIMED OUT"
	wait_for "Blame: wall"
	keys q
	wait_for "detector"
	keys Q
	wait_for "EXITED:0"
}

t_help() {
	start "$DB"
	keys '?'
	wait_for "Keys (weft tui)"
	wait_for "Tab"
	wait_for "this help"
	wait_for "filter rows by a regular expression"
	keys Escape
	wait_for "Findings"
	absent "Keys (weft tui)"
	keys Tab Tab Tab Tab Tab
	wait_for "Keys (weft tui)"
	keys BTab BTab BTab
	wait_for "detector"
	keys Q
	wait_for "EXITED:0"
}

t_hostile_names() {
	local h="$TMP/hostile.db" out
	cp "$DB" "$h"
	# parse_file's name: an OSC title change, a BEL, blink on, a C0 byte,
	# invalid UTF-8, then 200 bytes of text
	sqlite3 "$h" "UPDATE strings SET s = CAST(X'1b5d303b6576696c07' || X'1b5b356d' || 'BLINK' || X'01ff' || '$(printf 'x%.0s' $(seq 200))' AS TEXT) WHERE s = 'parse_file'" ||
		{ fail "sqlite3 update failed"; return; }
	start "$h"
	keys Tab
	wait_for 'sort: id asc'
	wait_for '\x1b]0;evil'
	keys / ; keys -l evil ; keys Enter
	wait_for "filter: evil"
	keys Enter
	wait_for "Async stack"
	wait_for '\x1b]0;evil\x07\x1b[5mBLINK\x01'
	out=$(screen -e)
	if printf '%s' "$out" | grep -q $'\e\]'; then fail "an OSC sequence reached the terminal"; fi
	if printf '%s' "$out" | grep -q $'\a'; then fail "a BEL reached the terminal"; fi
	if printf '%s' "$out" | grep -q $'\e\[5m'; then fail "blink reached the terminal"; fi
	# the 200 bytes of text are cut at the screen's width: nothing wraps
	# onto the next line
	case "$(row 3)" in "no error"*) ;; *) fail "line 3 after the long name: '$(row 3)'" ;; esac
	local title
	title=$(tmux -L "$SOCK" display-message -p -t t '#{pane_title}')
	case "$title" in *evil*) fail "the pane title was changed: $title" ;; esac
	keys Q
	wait_for "EXITED:0"
}

t_quit_restores() {
	start "$DB"
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{alternate_on}')" = 1 ] || fail "not on the alternate screen while running"
	keys Tab
	wait_for "sort: id"
	keys q   # q on a top view quits
	wait_for "EXITED:0"
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{alternate_on}')" = 0 ] || fail "alternate screen still on after quit"
	absent " overview "
	# SIGTERM: the terminal is restored too, exit status 128+15
	start "$DB"
	local pp
	pp=$(tmux -L "$SOCK" display-message -p -t t '#{pane_pid}')
	kill -TERM "$(pgrep -P "$pp" | head -1)"
	wait_for "EXITED:143"
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{alternate_on}')" = 0 ] || fail "alternate screen still on after SIGTERM"
	# SIGINT (^C) and SIGSEGV (a crash): restored too, 128+signal
	start "$DB"
	keys C-c
	wait_for "EXITED:130"
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{alternate_on}')" = 0 ] || fail "alternate screen still on after SIGINT"
	start "$DB"
	pp=$(tmux -L "$SOCK" display-message -p -t t '#{pane_pid}')
	kill -SEGV "$(pgrep -P "$pp" | head -1)"
	wait_for "EXITED:139"
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{alternate_on}')" = 0 ] || fail "alternate screen still on after SIGSEGV"
	# a missing store: one line, non-zero, before touching the terminal
	local err rc
	err=$("$WEFT" tui "$TMP/nope.db" 2>&1 </dev/null)
	rc=$?
	[ $rc -eq 1 ] || fail "missing store: exit $rc"
	[ "$err" = "weft tui: Cannot open store: no such file: path=$TMP/nope.db" ] || fail "missing store: '$err'"
	echo "not a store" >"$TMP/bad.db"
	launch "$TMP/bad.db"
	wait_for "EXITED:1"
	wait_for "Cannot open trace store"
}

# bulk DB N: adds N ended tasks bulk_000.. to a copy of the store's process 1
bulk() {
	sqlite3 "$1" "INSERT OR IGNORE INTO strings(s) SELECT printf('bulk_%03d', value) FROM generate_series(0, $2 - 1);
		INSERT INTO tasks(process, task, name, created_ns, scheduled_ns, started_ns, ended_ns, status, starts)
		SELECT 1, 100000 + value, (SELECT id FROM strings WHERE s = printf('bulk_%03d', value)),
		       value, value + 1, value + 2, value + 1000 * value, 0, 1
		FROM generate_series(0, $2 - 1)" || fail "sqlite3: cannot add tasks"
}

# row N: the text of screen line N (1-based)
row() { screen | sed -n "${1}p"; }

t_paging() {
	local p="$TMP/paging.db"
	cp "$DB" "$p"
	bulk "$p" 200
	start "$p"
	keys Tab
	wait_for "sort: id asc"
	# 80x24: tabs, info, header, 20 rows, status
	case "$(row 4)" in *on_open_clicked*) ;; *) fail "first row: $(row 4)" ;; esac
	case "$(row 23)" in *bulk_016*) ;; *) fail "last row of page 1: $(row 23)" ;; esac
	keys NPage
	wait_for "bulk_017"
	absent "on_open_clicked"
	case "$(row 4)" in *bulk_017*) ;; *) fail "first row of page 2: $(row 4)" ;; esac
	keys PPage
	wait_for "on_open_clicked"
	keys G
	wait_for "bulk_199"
	case "$(row 23)" in *bulk_199*) ;; *) fail "G: last row: $(row 23)" ;; esac
	# past the end: j on the last row stays there
	keys j j
	case "$(row 23)" in *bulk_199*) ;; *) fail "j past the end: $(row 23)" ;; esac
	keys g
	wait_for "on_open_clicked"
	# down past the page's bottom scrolls by one row
	for _ in $(seq 20); do keys Down; done
	case "$(row 4)" in *read_file*) ;; *) fail "scroll by one: first row $(row 4)" ;; esac
	case "$(row 23)" in *bulk_017*) ;; *) fail "scroll by one: last row $(row 23)" ;; esac
	keys k
	for _ in $(seq 19); do keys Up; done
	case "$(row 4)" in *on_open_clicked*) ;; *) fail "scroll back: first row $(row 4)" ;; esac
	# sort by total, longest first: bulk_199 (199 us) after the 1.5 s tasks and read_file
	keys l l l
	wait_for "sort: total desc"
	case "$(row 4)" in *on_open_clicked*|*parse_file*) ;; *) fail "total desc: first row $(row 4)" ;; esac
	case "$(row 7)" in *bulk_199*) ;; *) fail "total desc: fourth row $(row 7)" ;; esac
	keys Q
	wait_for "EXITED:0"
}

t_live_follow() {
	local l="$TMP/live.db"
	cp "$DB" "$l"
	start "$l"
	keys Tab
	wait_for "sort: id asc"
	absent "bulk_000"
	bulk "$l" 2
	wait_for "bulk_000"
	wait_for "bulk_001"
	# paused (Space): new rows do not appear until resumed
	keys Space
	wait_for "PAUSED"
	sqlite3 "$l" "INSERT INTO strings(s) VALUES('late_task');
		INSERT INTO tasks(process, task, name, starts) VALUES(1, 200000,
		(SELECT id FROM strings WHERE s = 'late_task'), 0)"
	sleep 1.2
	absent "late_task"
	keys Space
	wait_for "late_task"
	absent "PAUSED"
	keys Q
	wait_for "EXITED:0"
}

t_resize() {
	start "$DB"
	keys Tab
	wait_for "sort: id asc"
	tmux -L "$SOCK" resize-window -t t -x 100 -y 30
	sleep 0.5
	case "$(row 30)" in *"?:help"*) ;; *) fail "after resize to 100x30 the status line is not on line 30: '$(row 30)'" ;; esac
	tmux -L "$SOCK" resize-window -t t -x 60 -y 15
	sleep 0.5
	case "$(row 15)" in *"?:help"*) ;; *) fail "after resize to 60x15 the status line is not on line 15: '$(row 15)'" ;; esac
	case "$(row 2)" in "tasks  sort: id asc"*) ;; *) fail "after resize line 2: '$(row 2)'" ;; esac
	wait_for "parse_file"
	keys Q
	wait_for "EXITED:0"
}

t_no_color() {
	local out
	start "$DB"
	out=$(screen -e)
	printf '%s' "$out" | grep -q $'\e\[[0-9;]*3[0-7]m\|\e\[[0-9;]*4[0-7]m' || fail "no colour without NO_COLOR"
	keys Q
	wait_for "EXITED:0"
	start "$DB" NO_COLOR=1
	out=$(screen -e)
	if printf '%s' "$out" | grep -q $'\e\[[0-9;]*3[0-7]m\|\e\[[0-9;]*4[0-7]m'; then
		fail "colour with NO_COLOR=1:"
		printf '%s' "$out" | cat -v | sed 's/^/#   /' | head -5
	fi
	# meaning stays: the active tab is still marked (reverse)
	printf '%s' "$out" | head -1 | grep -q $'\e\[[0-9;]*7m' || fail "NO_COLOR: the active tab is not marked"
	keys Q
	wait_for "EXITED:0"
}

t_no_args_and_help() {
	local d="$TMP/cwd" out
	mkdir -p "$d"
	cp "$DB" "$d/weft.db"
	# `weft` alone in a directory with weft.db opens the browser on it
	SOCKS=$((SOCKS + 1))
	SOCK="$SOCK_BASE-$SOCKS"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 80 -y 24 -s t -c "$d" \
		"env LANG=C.UTF-8 '$WEFT'; echo EXITED:\$?; sleep 600"
	wait_for " overview "
	wait_for "sync-over-async"
	keys Q
	wait_for "EXITED:0"
	# ... and without one prints the usage, listing tui
	out=$(cd "$TMP" && "$WEFT" 2>&1)
	[ $? -eq 2 ] || fail "weft without weft.db: exit not 2"
	case "$out" in *"  tui "*) ;; *) fail "weft usage does not list tui: $out" ;; esac
	out=$("$WEFT" tui --help)
	[ $? -eq 0 ] || fail "weft tui --help: exit not 0"
	case "$out" in *"usage: weft tui [-v VIEW] [FILE]"*NO_COLOR*"Exit status"*) ;; *) fail "weft tui --help: $out" ;; esac
	out=$("$WEFT" tui --bogus 2>&1)
	[ $? -eq 2 ] || fail "weft tui --bogus: exit not 2"
}

# weft tui -v VIEW starts on that view (the demo opens on findings); an
# unknown view is a usage error naming the views
t_start_view() {
	local out
	SOCKS=$((SOCKS + 1))
	SOCK="$SOCK_BASE-$SOCKS"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 80 -y 24 -s t \
		"env LANG=C.UTF-8 '$WEFT' tui --view findings '$DB'; echo EXITED:\$?; sleep 600"
	wait_for "detector"
	wait_for "deadlock"
	absent "Processes (pid"
	keys BTab BTab
	wait_for "Processes (pid"
	keys Q
	wait_for "EXITED:0"
	out=$("$WEFT" tui -v nosuch "$DB" 2>&1)
	[ $? -eq 2 ] || fail "weft tui -v nosuch: exit not 2"
	case "$out" in *"no such view: view=nosuch"*findings*) ;; *) fail "weft tui -v nosuch: $out" ;; esac
}

t_loss_on_every_view() {
	local l="$TMP/loss.db"
	cp "$DB" "$l"
	start "$l"
	absent "LOSS:"
	sqlite3 "$l" "INSERT INTO loss(session, chunk, kind, stream, count) VALUES
		(1, 'c', 0, 's', 42), (1, 'c', 1, 's', 3)" || fail "sqlite3: cannot add loss"
	wait_for "LOSS: 42 events discarded, 3 packets lost"
	wait_for "loss: 42 events discarded"
	keys Tab
	wait_for "sort: id"
	wait_for "LOSS: 42 events discarded"
	keys Enter
	wait_for "Async stack"
	wait_for "LOSS: 42 events discarded"
	keys q Tab
	wait_for "detector"
	wait_for "LOSS: 42 events discarded"
	keys '?'
	wait_for "Keys (weft tui)"
	wait_for "LOSS: 42 events discarded"
	keys Q
	wait_for "EXITED:0"
}

t_pool() {
	record pool-starvation || { fail "cannot record pool-starvation"; return; }
	start "$TMP/pool-starvation.db"
	keys Tab Tab Tab
	wait_for "pool io"
	# the first slice: 8 queued behind 4 busy of 4 workers, in a starvation window
	case "$(row 4)" in *" 8    4    4 "*BBBB*qqqq*STARVED*) ;; *) fail "pool first slice: '$(row 4)'" ;; esac
	# a slice without samples carries the numbers in effect (8 queued)
	case "$(row 12)" in *" 8    4    4 "*STARVED*) ;; *) fail "pool middle slice: '$(row 12)'" ;; esac
	# the last slice holds the last change before the workers stopped (7 queued)
	case "$(row 23)" in *" 7    4    4 "*) ;; *) fail "pool last slice: '$(row 23)'" ;; esac
	keys Q
	wait_for "EXITED:0"
	# a store without pool samples says so
	local e="$TMP/nopool.db"
	cp "$DB" "$e"
	sqlite3 "$e" "DELETE FROM pool_samples"
	start "$e"
	keys Tab Tab Tab
	wait_for "(no pool samples in this store)"
	keys Q
	wait_for "EXITED:0"
}

# live follow with the real recorder: the browser opens the store that
# `weft record` is writing and shows the tasks that arrive afterwards
t_record_live() {
	local l="$TMP/rec-live.db" rpid n1 n2
	[ -x "${SEQ_TASKS:-}" ] || { fail "SEQ_TASKS (tests/cli/seq-tasks) not given"; return; }
	"$WEFT" record -o "$l" --rotate 300ms -- "$SEQ_TASKS" 60 8 >"$TMP/rec-live.log" 2>&1 &
	rpid=$!
	for _ in $(seq 100); do
		[ -s "$l" ] && [ "$(sqlite3 "$l" 'SELECT count(*) FROM tasks' 2>/dev/null || echo 0)" -gt 0 ] && break
		sleep 0.1
	done
	start "$l"
	n1=$(screen | sed -n 's/.* tasks \([0-9][0-9]*\) .*/\1/p' | head -1)
	[ -n "$n1" ] || fail "no task count on the overview"
	sleep 2.5
	n2=$(screen | sed -n 's/.* tasks \([0-9][0-9]*\) .*/\1/p' | head -1)
	[ -n "$n2" ] && [ -n "$n1" ] && [ "$n2" -gt "$n1" ] || fail "tasks did not grow while recording: $n1 -> $n2"
	# newest first in the tasks view: the top id grows too
	keys Tab r
	wait_for "sort: id desc"
	n1=$(row 4 | awk '{ print $1 }')
	sleep 1.5
	n2=$(row 4 | awk '{ print $1 }')
	[ "$n2" -gt "$n1" ] 2>/dev/null || fail "tasks view did not follow: top id $n1 -> $n2"
	keys Q
	wait_for "EXITED:0"
	wait "$rpid" || fail "weft record failed: $(cat "$TMP/rec-live.log")"
}

# weft record --tui: the browser on the store being recorded; CMD's output
# and the summary after it closes; the exit status is CMD's
t_record_tui() {
	local l="$TMP/rec-tui.db" n1 n2
	[ -x "${SEQ_TASKS:-}" ] || { fail "SEQ_TASKS (tests/cli/seq-tasks) not given"; return; }
	SOCKS=$((SOCKS + 1))
	SOCK="$SOCK_BASE-$SOCKS"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 80 -y 24 -s t \
		"env LANG=C.UTF-8 '$WEFT' record --tui --rotate 300ms -o '$l' -- '$SEQ_TASKS' 30 10; echo EXITED:\$?; sleep 600"
	tmux -L "$SOCK" set-option -t t remain-on-exit on >/dev/null
	wait_for " overview "
	n1=$(screen | sed -n 's/.* tasks \([0-9][0-9]*\) .*/\1/p' | head -1)
	# seq-tasks runs 3 s: the count reaches 30 without a restart
	wait_for "tasks 30 "
	[ "${n1:-30}" -lt 30 ] || fail "the browser opened only after the recording: tasks $n1"
	sleep 1.5
	keys Q
	wait_for "EXITED:0"
	wait_for "weft record:"
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{alternate_on}')" = 0 ] || fail "alternate screen still on"
	[ "$(sqlite3 "$l" 'SELECT count(*) FROM tasks')" = 30 ] || fail "the store does not have the 30 tasks"
}

# weft attach PID --tui: the browser on the store of a running process;
# closing it detaches, and the process runs on
t_attach_tui() {
	local l="$TMP/attach-tui.db" tp n1
	[ -x "${SEQ_TASKS:-}" ] || { fail "SEQ_TASKS (tests/cli/seq-tasks) not given"; return; }
	"$SEQ_TASKS" 400 40 >/dev/null 2>&1 &   # 10 s
	tp=$!
	sleep 1
	SOCKS=$((SOCKS + 1))
	SOCK="$SOCK_BASE-$SOCKS"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 80 -y 24 -s t \
		"env LANG=C.UTF-8 '$WEFT' attach $tp --tui -o '$l'; echo EXITED:\$?; sleep 600"
	tmux -L "$SOCK" set-option -t t remain-on-exit on >/dev/null
	wait_for " overview "
	sleep 1
	n1=$(screen | sed -n 's/.* tasks \([0-9][0-9]*\) .*/\1/p' | head -1)
	sleep 2
	[ "$(screen | sed -n 's/.* tasks \([0-9][0-9]*\) .*/\1/p' | head -1)" -gt "${n1:-0}" ] 2>/dev/null ||
		fail "tasks did not grow while attached (from $n1)"
	keys Q
	wait_for "EXITED:"
	wait_for "weft attach:"
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{alternate_on}')" = 0 ] || fail "alternate screen still on"
	kill -0 "$tp" 2>/dev/null || fail "the attached process did not run on"
	kill "$tp" 2>/dev/null
	wait "$tp" 2>/dev/null
	[ "$(sqlite3 "$l" 'SELECT count(*) FROM tasks')" -gt 0 ] || fail "the store has no tasks"
}

# the timeline: Tab x4 from the overview
to_timeline() {
	keys Tab Tab Tab Tab
	wait_for "tid name"
}

# span: the window's span as the timeline's header shows it
span() { row 2 | sed -n 's/.*  span \([^ ]*\).*/\1/p'; }

t_timeline_pool() {
	local db="$TMP/pool-starvation.db" bars
	recorded pool-starvation || { fail "cannot record pool-starvation"; return; }
	start "$db"
	to_timeline
	wait_for "(all)"
	# the 4 workers of pool io: each a row whose buckets are its task runs,
	# blocked in read() (B) all along
	bars=$(screen | grep -cE '^ *[0-9]+ .{9} io +BBBBBBBBBBBBBBBBBBBBBBBBBBBBBB')
	[ "$bars" = 4 ] || fail "expected 4 worker rows with bars, got $bars"
	# the main thread's row is there too, not bound to the pool
	[ "$(screen | grep -cE '^ *[0-9]+ pool-star  +[ w]*$')" -ge 1 ] || fail "no main thread row"
	# the cursor (first bucket) on the first worker names its task
	keys j
	wait_for "storage_request ran"
	case "$(row 22)" in *"tid "*": task "*" storage_request ran "*) ;; *) fail "cursor line: '$(row 22)'" ;; esac
	case "$(row 23)" in "blocked "*" in read("*) ;; *) fail "cursor line 2: '$(row 23)'" ;; esac
	# Enter on the bar opens that task's detail
	keys Enter
	wait_for "> detail"
	wait_for "Async stack"
	case "$(row 2)" in "task "*" storage_request "*) ;; *) fail "detail title: '$(row 2)'" ;; esac
	keys q
	wait_for "tid name"
	# on the main thread's first bucket nothing runs: Enter says so
	keys k Enter
	wait_for "No task runs under the cursor"
	absent "> detail"
	keys Q
	wait_for "EXITED:0"
}

t_timeline_zoom() {
	local db="$TMP/pool-starvation.db" s0 s1 s2 h
	recorded pool-starvation || { fail "cannot record pool-starvation"; return; }
	start "$db"
	to_timeline
	wait_for "(all)"
	s0=$(span)
	keys +
	absent "(all)"
	s1=$(span)
	[ -n "$s1" ] && [ "$s1" != "$s0" ] || fail "+ did not change the span: '$s0' -> '$s1'"
	keys z
	s2=$(span)
	[ -n "$s2" ] && [ "$s2" != "$s1" ] || fail "z did not change the span: '$s1' -> '$s2'"
	# pan: the window's start moves, the span stays
	h=$(row 2 | cut -d' ' -f1)
	keys '>'
	[ "$(row 2 | cut -d' ' -f1)" != "$h" ] || fail "> did not pan: $(row 2)"
	[ "$(span)" = "$s2" ] || fail "> changed the span: $(span)"
	keys '<'
	[ "$(row 2 | cut -d' ' -f1)" = "$h" ] || fail "< did not pan back: $(row 2) (was $h)"
	# l past the right edge pans by a bucket
	for _ in $(seq 60); do keys l; done
	[ "$(row 2 | cut -d' ' -f1)" != "$h" ] || fail "l at the right edge did not pan"
	keys - -
	keys -
	wait_for "(all)"
	[ "$(span)" = "$s0" ] || fail "zoomed out: span $(span), not $s0"
	keys + + +
	absent "(all)"
	keys 0
	wait_for "(all)"
	keys Q
	wait_for "EXITED:0"
}

# without a UTF-8 locale the bars are ASCII (# for running) and nothing
# else than ASCII reaches the terminal; with one, full blocks
t_timeline_ascii() {
	local db="$TMP/healthy.db"
	recorded healthy || { fail "cannot record healthy"; return; }
	start "$db"
	to_timeline
	wait_for "█ run"
	screen | grep -qE ' pool +.*████' || fail "no running bar (█) on a pool worker"
	keys Q
	wait_for "EXITED:0"
	start "$db" LANG=C LC_ALL=C
	to_timeline
	wait_for "# run"
	screen | grep -qE ' pool +.*####' || fail "no ASCII running bar (#) on a pool worker"
	if screen | LC_ALL=C grep -q '[^ -~]'; then
		fail "non-ASCII on the screen of a C locale:"
		screen | LC_ALL=C grep '[^ -~]' | cat -v | sed 's/^/#   /'
	fi
	keys Q
	wait_for "EXITED:0"
}

t_findings_to_timeline() {
	local line tid
	tid=$(sqlite3 "$DB" "SELECT tid FROM thread_binding_summary WHERE ctx_name = 'ui' LIMIT 1")
	[ -n "$tid" ] || { fail "no loop thread in the store"; return; }
	start "$DB"
	keys Tab Tab
	wait_for "deadlock"
	line=$(screen | grep -n -F sync-over-async-deadlock | head -1 | cut -d: -f1)
	[ -n "$line" ] || { fail "no deadlock finding on screen"; return; }
	keys g
	for _ in $(seq $((line - 3))); do keys j; done
	keys t
	wait_for "> timeline"
	wait_for "tid name"
	# the loop thread's row: waiting (blocked in a wait) across the window
	screen | grep -qE "^ *$tid .{9} ui +wwwwwwwwwwwwwwwwwwww" || fail "loop thread $tid not shown waiting"
	# it is the selected row and the cursor is where the finding begins: in
	# on_open_clicked's wait for parse_file
	case "$(row 22)" in *"tid $tid: task "*" on_open_clicked "*) ;; *) fail "cursor line: '$(row 22)'" ;; esac
	case "$(row 23)" in "waiting "*" for task "*" parse_file"*) ;; *) fail "cursor line 2: '$(row 23)'" ;; esac
	# t from a task detail: the timeline at that task
	keys Enter
	wait_for "> detail"
	wait_for "Async stack"
	keys t
	wait_for "> detail  > timeli"
	case "$(row 22)" in *"tid $tid: task "*" on_open_clicked"*) ;; *) fail "timeline from detail: '$(row 22)'" ;; esac
	keys q q q
	wait_for "detector"
	keys Q
	wait_for "EXITED:0"
}

t_token_history() {
	local db="$TMP/cancel-ignored.db"
	recorded cancel-ignored || { fail "cannot record cancel-ignored"; return; }
	start "$db"
	keys Tab
	wait_for "export_report"
	keys Enter
	wait_for "Async stack"
	wait_for "Cancellation: token "
	wait_for "'export', created "
	wait_for 'cancel requested '
	wait_for '(no task): "user pressed Cancel"'
	wait_for "NOT observed by this task: it ended ok "
	# the request came after the token was made, and the task ended ~300 ms
	# after it
	local made req
	made=$(screen | sed -n "s/.*'export', created \([0-9.]*\)s.*/\1/p")
	req=$(screen | sed -n 's/.*cancel requested \([0-9.]*\)s.*/\1/p')
	awk -v m="$made" -v r="$req" 'BEGIN { exit !(m + 0 > 0 && r > m) }' || fail "token made $made, cancel requested $req"
	screen | grep -qE 'it ended ok [0-9.]+ms after the request' || fail "no 'ended ok ... after the request'"
	keys Q
	wait_for "EXITED:0"
	# a task with no token says nothing about cancellation
	start "$DB"
	keys Tab Enter
	wait_for "Async stack"
	absent "Cancellation:"
	keys Q
	wait_for "EXITED:0"
}

# mouse events as an xterm sends them (X10 encoding: ESC [ M, button+32,
# column+33, row+33, 0-based), written into the pane by send-keys -l
# mouse_ev BUTTON X Y: one event's bytes (button 0 press, 3 release, 65 wheel down)
mouse_ev() { printf '\033[M%b%b%b' "\\$(printf %o $(($1 + 32)))" "\\$(printf %o $(($2 + 33)))" "\\$(printf %o $(($3 + 33)))"; }
mouse() { tmux -L "$SOCK" send-keys -t t -l "$1"; sleep 0.5; }
click() { mouse "$(mouse_ev 0 "$1" "$2")$(mouse_ev 3 "$1" "$2")"; }
dclick() { mouse "$(mouse_ev 0 "$1" "$2")$(mouse_ev 3 "$1" "$2")$(mouse_ev 0 "$1" "$2")$(mouse_ev 3 "$1" "$2")"; }
wheel_down() { mouse "$(mouse_ev 65 "$1" "$2")"; }

t_mouse() {
	local name
	start "$DB"
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{mouse_any_flag}#{mouse_standard_flag}')" != 00 ] ||
		{ fail "the browser did not ask for mouse events"; return; }
	keys Tab
	wait_for "sort: id asc"
	# a click on screen line 6 (0-based 5: the third row) selects it, Enter
	# opens that row's task
	name=$(row 6 | awk '{ print $2 }')
	[ -n "$name" ] || { fail "no third row"; return; }
	click 3 5
	keys Enter
	wait_for "Async stack"
	case "$(row 2)" in "task "*" $name "*) ;; *) fail "after a click on '$name' the detail shows '$(row 2)'" ;; esac
	keys q
	# a click on a tab opens that view
	click 20 0
	wait_for "detector"
	click 10 0
	wait_for "sort: id asc"
	# a double click opens the row
	dclick 3 3
	wait_for "Async stack"
	case "$(row 2)" in "task "*" on_open_clicked "*) ;; *) fail "double click opened '$(row 2)'" ;; esac
	keys q
	# the wheel scrolls the selection (3 rows a notch)
	keys g
	wheel_down 3 5
	name=$(row 7 | awk '{ print $2 }')
	keys Enter
	wait_for "Async stack"
	case "$(row 2)" in "task "*" $name "*) ;; *) fail "after the wheel the detail shows '$(row 2)', not row 4 '$name'" ;; esac
	keys q
	# in the timeline a click selects a thread row and a time
	to_timeline_from_tasks
	click 40 4
	case "$(row 22)" in *"tid $(row 5 | awk '{ print $1 }'):"*) ;; *) fail "click on row 5: cursor line '$(row 22)'" ;; esac
	keys Q
	wait_for "EXITED:0"
	# WEFT_TUI_MOUSE=0: no mouse asked for, the keys still work
	start "$DB" WEFT_TUI_MOUSE=0
	[ "$(tmux -L "$SOCK" display-message -p -t t '#{mouse_any_flag}#{mouse_standard_flag}')" = 00 ] ||
		fail "WEFT_TUI_MOUSE=0 still asked for mouse events"
	keys Tab
	wait_for "sort: id asc"
	keys Q
	wait_for "EXITED:0"
}
to_timeline_from_tasks() {
	keys Tab Tab Tab
	wait_for "tid name"
}

command -v tmux >/dev/null || cannot_run "tmux not installed"
command -v sqlite3 >/dev/null || cannot_run "sqlite3 not installed"
"$SRC/scripts/sessiond.sh" >/dev/null 2>&1 || cannot_run "no LTTng session daemon (scripts/sessiond.sh failed)"
record sync-over-async-deadlock || { echo "1..1"; echo "not ok 1 record"; exit 1; }
DB="$TMP/sync-over-async-deadlock.db"

[ $# -gt 0 ] && SCENARIOS=("$@")
echo "1..${#SCENARIOS[@]}"
for s in "${SCENARIOS[@]}"; do
	N=$((N + 1))
	CUR_FAIL=0
	"t_$s"
	if [ $CUR_FAIL -eq 0 ]; then echo "ok $N $s"; else echo "not ok $N $s"; FAILED=1; fi
done
exit $FAILED
