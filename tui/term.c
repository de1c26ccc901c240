/*
 * The terminal's owner (term.h): curses start and end, colour roles, and
 * the signal handlers.  Fatal signals (SIGSEGV, SIGABRT) restore the
 * terminal and re-raise with the default action, so a crash still dumps
 * core with a usable shell behind it; SIGINT and SIGTERM set a flag the main
 * loop polls (curses is not re-entrant) and it quits through term_done().
 * SIGWINCH is ours too (installed before initscr, so curses keeps out), and
 * term_poll_resize() applies it with resizeterm() from the main loop.
 */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "term.h"

static volatile sig_atomic_t term_active;
static volatile sig_atomic_t term_quit_sig;
static volatile sig_atomic_t term_winch;
static bool term_colour, term_is_utf8, term_mouse_enabled;

static const struct {
	short fg, bg;
	int mono;
} term_roles[ROLE_COUNT] = {
#define X(name, fg, bg, mono) { fg, bg, mono },
	TERM_ROLE_MAP(X)
#undef X
};

void term_done(void)
{
	if (!term_active)
		return;
	term_active = 0;
	endwin();
}

static void term_on_fatal(int sig)
{
	term_done();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void term_on_quit(int sig)
{
	term_quit_sig = sig;
}

static void term_on_winch(int sig)
{
	(void)sig;
	term_winch = 1;
}

static void term_handle(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL); /* no SA_RESTART: getch() returns at once */
}

#define TERM_MOUSE_MASK \
	(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED)

static void term_mouse_init(void)
{
	const char *m = getenv("WEFT_TUI_MOUSE");

	term_mouse_enabled = false;
	if (m && (strcmp(m, "0") == 0 || strcmp(m, "off") == 0 || strcmp(m, "no") == 0))
		return;
	term_mouse_enabled = mousemask(TERM_MOUSE_MASK, NULL) != 0;
}

int term_init(void)
{
	const char *nc = getenv("NO_COLOR");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	term_is_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	term_handle(SIGWINCH, term_on_winch);
	if (!initscr())
		return -EIO;
	term_active = 1;
	atexit(term_done);
	term_handle(SIGINT, term_on_quit);
	term_handle(SIGTERM, term_on_quit);
	term_handle(SIGSEGV, term_on_fatal);
	term_handle(SIGABRT, term_on_fatal);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	term_mouse_init();
	term_colour = has_colors() && !(nc && nc[0]);
	if (term_colour && start_color() == OK) {
		use_default_colors();
		for (int r = 1; r < ROLE_COUNT; r++)
			init_pair((short)r, term_roles[r].fg, term_roles[r].bg);
	} else {
		term_colour = false;
	}
	return 0;
}

int term_attr(enum term_role r)
{
	if (r <= ROLE_NORMAL || r >= ROLE_COUNT)
		return A_NORMAL;
	if (term_colour)
		return COLOR_PAIR(r) | (term_roles[r].mono & (A_BOLD | A_REVERSE));
	return term_roles[r].mono;
}

bool term_utf8(void)
{
	return term_is_utf8;
}

bool term_poll_resize(void)
{
	struct winsize ws;

	if (!term_winch)
		return false;
	term_winch = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	return true;
}

int term_quit_signal(void)
{
	return term_quit_sig;
}

bool term_mouse_on(void)
{
	return term_mouse_enabled;
}

bool term_mouse_read(struct term_mouse *m)
{
	MEVENT ev;

	if (!term_mouse_enabled || getmouse(&ev) != OK)
		return false;
	m->y = ev.y;
	m->x = ev.x;
	if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
		m->kind = TERM_MOUSE_DOUBLE;
	else if (ev.bstate & BUTTON1_CLICKED)
		m->kind = TERM_MOUSE_CLICK;
	else if (ev.bstate & BUTTON4_PRESSED)
		m->kind = TERM_MOUSE_WHEEL_UP;
	else if (ev.bstate & BUTTON5_PRESSED)
		m->kind = TERM_MOUSE_WHEEL_DOWN;
	else
		return false;
	return true;
}
