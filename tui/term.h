/*
 * term.h — the one module that owns the terminal.  term_init() starts curses
 * and installs the handlers that give the terminal back (SIGINT, SIGTERM,
 * SIGSEGV, SIGABRT) and notice resizes (SIGWINCH); term_done() is the only
 * caller of endwin() in weft.  Colours are roles: each role has a colour
 * pair and a monochrome attribute, so NO_COLOR (or a terminal without
 * colours) removes colour and keeps meaning (bold, reverse, underline).
 */
#ifndef WEFT_TUI_TERM_H
#define WEFT_TUI_TERM_H

#include <stdbool.h>

/* role, colour (fg, bg), monochrome attributes */
#define TERM_ROLE_MAP(X) \
	X(NORMAL, -1, -1, 0) \
	X(TITLE, COLOR_BLACK, COLOR_CYAN, A_REVERSE | A_BOLD) \
	X(TAB, COLOR_WHITE, -1, 0) \
	X(TAB_ACTIVE, COLOR_BLACK, COLOR_WHITE, A_REVERSE) \
	X(HEADER, COLOR_CYAN, -1, A_BOLD | A_UNDERLINE) \
	X(SELECTED, COLOR_BLACK, COLOR_YELLOW, A_REVERSE) \
	X(STATUS, COLOR_BLACK, COLOR_WHITE, A_REVERSE) \
	X(DIM, COLOR_BLUE, -1, A_DIM) \
	X(FINDING_ERROR, COLOR_RED, -1, A_BOLD) \
	X(FINDING_WARNING, COLOR_YELLOW, -1, A_BOLD) \
	X(FINDING_INFO, COLOR_GREEN, -1, 0) \
	X(LOSS, COLOR_WHITE, COLOR_RED, A_REVERSE | A_BOLD) \
	X(QUEUE_WAIT, COLOR_YELLOW, -1, A_UNDERLINE) \
	X(RUNNING, COLOR_GREEN, -1, A_BOLD) \
	X(BLOCKED, COLOR_RED, -1, A_REVERSE) \
	X(WAITING, COLOR_MAGENTA, -1, A_UNDERLINE) \
	X(MARSHAL, COLOR_CYAN, -1, 0) \
	X(UNTRACED, COLOR_BLUE, -1, A_DIM)
#define TERM__X_ROLE(name, fg, bg, mono) ROLE_##name,
enum term_role { TERM_ROLE_MAP(TERM__X_ROLE) ROLE_COUNT };

/* Starts curses on the controlling terminal (setlocale must have run).
 * Returns 0, or -ENOTTY (stdin/stdout not a terminal) / -EIO. */
int term_init(void);
/* Gives the terminal back (endwin).  Idempotent; also run at exit. */
void term_done(void);
/* The curses attributes of a role (colour pair or monochrome fallback). */
int term_attr(enum term_role r);
/* True when the terminal takes UTF-8 (locale codeset). */
bool term_utf8(void);
/* Applies a pending SIGWINCH (resizeterm); true if the size changed. */
bool term_poll_resize(void);
/* The signal (SIGINT/SIGTERM) that asked to quit, 0 if none. */
int term_quit_signal(void);

/* The mouse, where the terminal has one (curses mousemask): clicks and the
 * wheel arrive as KEY_MOUSE from getch().  WEFT_TUI_MOUSE=0 leaves the
 * mouse to the terminal (its own selection); a terminal without one simply
 * never sends KEY_MOUSE, and every key works the same either way. */
enum term_mouse_kind { TERM_MOUSE_CLICK, TERM_MOUSE_DOUBLE, TERM_MOUSE_WHEEL_UP, TERM_MOUSE_WHEEL_DOWN };
struct term_mouse {
	enum term_mouse_kind kind;
	int y, x; /* screen cell */
};
/* True if mouse events were asked for and the terminal accepted. */
bool term_mouse_on(void);
/* After getch() returned KEY_MOUSE: the event, false if it is none of ours. */
bool term_mouse_read(struct term_mouse *m);

#endif
