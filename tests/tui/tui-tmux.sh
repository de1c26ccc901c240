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
WEFT=$1 EXAMPLES=$2 SRC=$3
shift 3
SOCK_BASE="weft-tui-test-$$" SOCKS=0
SOCK="$SOCK_BASE-0"
TMP=$(mktemp -d /tmp/weft-tui-test.XXXXXX)
N=0 FAILED=0 CUR_FAIL=0
SCENARIOS=(overview tasks_sort_filter findings_to_chain help hostile_names quit_restores)

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
	keys q
	wait_for "Findings"
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
