/*
 * The main loop of `weft tui` (view.h).  It owns the view stack: the top
 * views of TUI_VIEW_LIST (Tab cycles them, each keeps its position) and the
 * views opened above them (Enter -> detail; q/Esc closes).  Every 500 ms,
 * unless paused (Space), it asks the current view to re-read the store, so
 * a store that is being written shows its new rows (live follow).  The
 * screen: the tabs on the first line, the view, and a status line that
 * always shows loss when the store reports any.  The mouse, where there is
 * one (term.h): the wheel scrolls (UP / DOWN), a click on a tab opens it, a
 * click in a view goes to its click op, a double click is a click and Enter.
 * A top view reads the store
 * only when it is first shown, so the first screen costs one view's queries.
 *
 * Measuring: with WEFT_TUI_FRAME_LOG=PATH (a file or a FIFO; opened
 * non-blocking, never waited on) every finished frame appends one line
 * "frame NS KEYS VIEW": CLOCK_MONOTONIC nanoseconds after the screen was
 * written, the number of keys read before it, and the view drawn.
 * bench/bench-tui times the real binary through it.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "draw.h"
#include "store.h"
#include "term.h"
#include "view.h"

#define TUI_STACK_MAX 16
#define TUI_FOLLOW_MS 500

static const struct view_ops *const tui_tops[] = {
#define X(name) &view_##name##_ops,
	TUI_VIEW_LIST(X)
#undef X
};
#define TUI_NTOPS (sizeof tui_tops / sizeof tui_tops[0])

struct tui {
	struct store *st;
	const char *path;
	struct view *tops[TUI_NTOPS];
	size_t top;
	struct view *stack[TUI_STACK_MAX];
	size_t depth;
	bool paused, quit;
	char msg[256];
	int frame_fd;      /* WEFT_TUI_FRAME_LOG, -1 if unset */
	unsigned long keys; /* keys read so far */
	int64_t loss_events, loss_packets;
	int tab_x[TUI_NTOPS + TUI_STACK_MAX + 1]; /* tabs' first columns, as drawn */
};

struct store *tui_store(struct tui *t)
{
	return t->st;
}

sqlite3 *tui_db(struct tui *t)
{
	return store_db(t->st);
}

void tui_message(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof t->msg, fmt, ap);
	va_end(ap);
}

void tui_loss(struct tui *t, int64_t *events, int64_t *packets)
{
	*events = t->loss_events;
	*packets = t->loss_packets;
}

static struct view *tui_open(struct tui *t, const struct view_ops *ops, int64_t arg)
{
	struct view *v = calloc(1, sizeof *v);

	if (!v)
		return NULL;
	v->ops = ops;
	v->tui = t;
	v->arg = arg;
	v->rows = LINES > 2 ? LINES - 2 : 1;
	v->cols = COLS;
	if (ops->open(v) != 0) {
		free(v);
		return NULL;
	}
	return v;
}

static void tui_close(struct view *v)
{
	if (!v)
		return;
	if (v->ops->close)
		v->ops->close(v);
	free(v);
}

void tui_push(struct tui *t, const struct view_ops *ops, int64_t arg)
{
	struct view *v;

	if (t->depth == TUI_STACK_MAX) {
		tui_message(t, "Cannot open %s: too many views open", ops->name);
		return;
	}
	v = tui_open(t, ops, arg);
	if (v)
		t->stack[t->depth++] = v;
}

/* The current view; a top view is opened when first shown.  NULL only if
 * the first view cannot be opened (the message says why). */
static struct view *tui_current(struct tui *t)
{
	if (t->depth)
		return t->stack[t->depth - 1];
	if (!t->tops[t->top])
		t->tops[t->top] = tui_open(t, tui_tops[t->top], 0);
	return t->tops[t->top];
}

static void tui_pop_all(struct tui *t)
{
	while (t->depth)
		tui_close(t->stack[--t->depth]);
}

static void tui_read_loss(struct tui *t)
{
	sqlite3_stmt *s = NULL;
	const char *sql = "SELECT coalesce(sum(CASE WHEN kind = 0 THEN count END), 0), "
			  "coalesce(sum(CASE WHEN kind = 1 THEN count END), 0) FROM loss";

	if (sqlite3_prepare_v2(tui_db(t), sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		t->loss_events = sqlite3_column_int64(s, 0);
		t->loss_packets = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
}

static void tui_draw_status(struct tui *t, const char *hint)
{
	int y = LINES - 1, x = 0;
	char buf[300];

	if (t->loss_events || t->loss_packets) {
		snprintf(buf, sizeof buf, " LOSS: %lld events discarded, %lld packets lost ",
			 (long long)t->loss_events, (long long)t->loss_packets);
		x += draw_text(y, x, COLS - x, ROLE_LOSS, buf, (size_t)-1);
		if (x >= COLS)
			return;
	}
	if (t->paused) {
		x += draw_text(y, x, COLS - x, ROLE_FINDING_WARNING, " PAUSED ", (size_t)-1);
	}
	snprintf(buf, sizeof buf, " %s", t->msg[0] ? t->msg : hint);
	draw_text(y, x, COLS - x, ROLE_STATUS, buf, (size_t)-1);
}

static void tui_frame_log(struct tui *t, const struct view *v)
{
	char line[128];
	struct timespec ts;
	int n;

	if (t->frame_fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof line, "frame %" PRId64 " %lu %s\n",
		     (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, t->keys, v->ops->name);
	if (write(t->frame_fd, line, (size_t)n) != n) {
		/* a full FIFO or a gone reader: the frame is not logged */
	}
}

static void tui_draw(struct tui *t, struct view *v)
{
	int x = 0;

	erase();
	for (size_t i = 0; i < TUI_NTOPS + TUI_STACK_MAX + 1; i++)
		t->tab_x[i] = COLS;
	for (size_t i = 0; i < TUI_NTOPS && x < COLS; i++) {
		char tab[64];

		t->tab_x[i] = x;
		snprintf(tab, sizeof tab, " %s ", tui_tops[i]->name);
		x += draw_text(0, x, COLS - x, i == t->top ? ROLE_TAB_ACTIVE : ROLE_TAB, tab,
			       (size_t)-1);
	}
	for (size_t i = 0; i < t->depth && x < COLS; i++) {
		char tab[64];

		t->tab_x[TUI_NTOPS + i] = x;
		snprintf(tab, sizeof tab, " > %s ", t->stack[i]->ops->name);
		x += draw_text(0, x, COLS - x,
			       i + 1 == t->depth ? ROLE_TAB_ACTIVE : ROLE_TAB, tab, (size_t)-1);
	}
	t->tab_x[TUI_NTOPS + t->depth] = x;
	if (x < COLS)
		draw_text(0, x, COLS - x, ROLE_TAB, "", 0);
	v->rows = LINES > 2 ? LINES - 2 : 1;
	v->cols = COLS;
	v->ops->draw(v, 1, v->rows, COLS);
	tui_draw_status(t, "?:help  Tab:views  Enter:open  /:filter  s:sort  q:back");
	refresh();
	tui_frame_log(t, v);
}

bool tui_prompt(struct tui *t, const char *label, char *buf, size_t len)
{
	size_t n = strlen(buf);
	bool ok = false;

	curs_set(1);
	for (;;) {
		char line[600];
		int ch;

		snprintf(line, sizeof line, "%s%s", label, buf);
		draw_text(LINES - 1, 0, COLS, ROLE_STATUS, line, (size_t)-1);
		refresh();
		ch = getch();
		if (term_quit_signal()) {
			t->quit = true;
			break;
		}
		term_poll_resize();
		if (ch == ERR)
			continue;
		if (ch == 27)
			break;
		if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
			ok = true;
			break;
		}
		if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
			/* remove one UTF-8 character */
			while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
				n--;
			if (n > 0)
				n--;
			buf[n] = '\0';
		} else if (ch >= 0x20 && ch < 0x100 && ch != 0x7f && n + 1 < len) {
			buf[n++] = (char)ch;
			buf[n] = '\0';
		}
	}
	curs_set(0);
	return ok;
}

static long tui_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* An action on the current view (open: the main loop opened it). */
static void tui_action(struct tui *t, enum key_action a)
{
	struct view *v = tui_current(t);

	if (!v || a == KEY_ACT_NONE)
		return;
	if (v->ops->key && v->ops->key(v, a))
		return;
	switch (a) {
	case KEY_ACT_BACK:
		if (t->depth)
			tui_close(t->stack[--t->depth]);
		else
			t->quit = true;
		break;
	case KEY_ACT_QUIT:
		t->quit = true;
		break;
	case KEY_ACT_NEXT_VIEW:
	case KEY_ACT_PREV_VIEW:
		tui_pop_all(t);
		t->top = (t->top + (a == KEY_ACT_NEXT_VIEW ? 1 : TUI_NTOPS - 1)) % TUI_NTOPS;
		if (t->tops[t->top] && t->tops[t->top]->ops->reload)
			t->tops[t->top]->ops->reload(t->tops[t->top]);
		break;
	case KEY_ACT_HELP:
		tui_push(t, &view_help_ops, 0);
		break;
	case KEY_ACT_PAUSE:
		t->paused = !t->paused;
		break;
	case KEY_ACT_REDRAW:
		clearok(curscr, TRUE);
		break;
	default:
		break;
	}
}

static void tui_key(struct tui *t, int ch)
{
	t->msg[0] = '\0';
	tui_action(t, keys_action(ch));
}

/* A click on the tab line: a top view's tab opens it, a stacked view's tab
 * closes the views above it. */
static void tui_click_tab(struct tui *t, int x)
{
	for (size_t i = 0; i < TUI_NTOPS + t->depth; i++) {
		if (x < t->tab_x[i] || x >= t->tab_x[i + 1])
			continue;
		if (i < TUI_NTOPS) {
			tui_pop_all(t);
			t->top = i;
			if (t->tops[i] && t->tops[i]->ops->reload)
				t->tops[i]->ops->reload(t->tops[i]);
		} else {
			while (t->depth > i - TUI_NTOPS + 1)
				tui_close(t->stack[--t->depth]);
		}
		return;
	}
}

static void tui_mouse(struct tui *t)
{
	struct term_mouse m;
	struct view *v = tui_current(t);

	if (!v || !term_mouse_read(&m))
		return;
	t->msg[0] = '\0';
	switch (m.kind) {
	case TERM_MOUSE_WHEEL_UP:
	case TERM_MOUSE_WHEEL_DOWN:
		for (int i = 0; i < 3; i++)
			tui_action(t, m.kind == TERM_MOUSE_WHEEL_UP ? KEY_ACT_UP : KEY_ACT_DOWN);
		break;
	case TERM_MOUSE_CLICK:
	case TERM_MOUSE_DOUBLE:
		if (m.y == 0)
			tui_click_tab(t, m.x);
		else if (m.y <= v->rows && v->ops->click && v->ops->click(v, m.y - 1, m.x) &&
			 m.kind == TERM_MOUSE_DOUBLE)
			tui_action(t, KEY_ACT_ENTER);
		break;
	}
}

int tui_view_index(const char *name)
{
	for (size_t i = 0; i < TUI_NTOPS; i++)
		if (!strcmp(tui_tops[i]->name, name))
			return (int)i;
	return -1;
}

const char *tui_view_names(void)
{
	static char names[128];

	if (!names[0])
		for (size_t i = 0; i < TUI_NTOPS; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				 i ? ", " : "", tui_tops[i]->name);
	return names;
}

int tui_main(const char *path, const char *view, char *err, size_t errlen)
{
	struct tui t = { .path = path, .frame_fd = -1 };
	const char *frames = getenv("WEFT_TUI_FRAME_LOG");
	char serr[512];
	long last = 0;
	int rc = 1, r;

	setlocale(LC_ALL, "");
	if (view && tui_view_index(view) < 0) {
		snprintf(err, errlen, "Cannot start the terminal browser: no such view: view=%s "
			 "(views: %s)", view, tui_view_names());
		return 2;
	}
	if (store_open(path, STORE_READONLY, &t.st, serr, sizeof serr) != 0) {
		snprintf(err, errlen, "%s", serr);
		return 1;
	}
	r = term_init();
	if (r != 0) {
		snprintf(err, errlen, "Cannot start the terminal browser: %s: path=%s",
			 r == -ENOTTY ? "standard input or output is not a terminal"
				      : "curses failed to start",
			 path);
		goto out;
	}
	if (frames && frames[0])
		t.frame_fd = open(frames, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC,
				  0644);
	timeout(100);
	tui_read_loss(&t);
	t.top = view ? (size_t)tui_view_index(view) : 0;
	if (!tui_current(&t)) {
		term_done();
		snprintf(err, errlen, "Cannot open the %s view: %s: path=%s", tui_tops[t.top]->name,
			 t.msg[0] ? t.msg : "cannot read the store", path);
		goto out;
	}
	last = tui_ms();
	for (size_t good = t.top; !t.quit;) {
		struct view *v;
		int ch;

		if (term_quit_signal())
			break;
		if (term_poll_resize())
			clearok(curscr, TRUE);
		v = tui_current(&t);
		if (!v) { /* a top view shown for the first time could not read the store */
			if (!t.msg[0])
				tui_message(&t, "Cannot open the %s view: cannot read the store",
					    tui_tops[t.top]->name);
			t.top = good; /* opened before, so never NULL */
			continue;
		}
		good = t.depth ? good : t.top;
		if (!t.paused && tui_ms() - last >= TUI_FOLLOW_MS) {
			tui_read_loss(&t);
			if (v->ops->reload)
				v->ops->reload(v);
			last = tui_ms();
		}
		tui_draw(&t, v);
		ch = getch();
		if (ch == KEY_MOUSE) {
			t.keys++;
			tui_mouse(&t);
		} else if (ch != ERR && ch != KEY_RESIZE) {
			t.keys++;
			tui_key(&t, ch);
		}
	}
	rc = 0;
out:
	tui_pop_all(&t);
	for (size_t i = 0; i < TUI_NTOPS; i++)
		tui_close(t.tops[i]);
	term_done();
	if (t.frame_fd >= 0)
		close(t.frame_fd);
	store_close(t.st);
	if (rc == 0 && term_quit_signal())
		rc = 128 + term_quit_signal();
	return rc;
}
