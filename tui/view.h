/*
 * view.h — a view is data plus a table of operations.  The main loop
 * (tui.c) holds a stack of views and calls these; it knows no view by name:
 * the top views it cycles with Tab are the TUI_VIEW_LIST below, and a view
 * opens another (Enter on a task) with tui_push().
 */
#ifndef WEFT_TUI_VIEW_H
#define WEFT_TUI_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "keys.h"

struct tui;
struct store;
struct view;

struct view_ops {
	const char *name; /* its tab / title */
	/* Reads what the view shows first; 0, or -errno (message with
	 * tui_message). v->arg is what tui_push gave. */
	int (*open)(struct view *v);
	void (*close)(struct view *v);
	/* Draws rows [y, y + rows) of cols columns, only through draw.h. */
	void (*draw)(struct view *v, int y, int rows, int cols);
	/* An action; true if the view handled it. */
	bool (*key)(struct view *v, enum key_action a);
	/* Re-reads from the store (live follow); NULL if the view is static. */
	void (*reload)(struct view *v);
	/* A mouse click at (y, x), y counted from the view's first row (its
	 * draw's y); true if the view used it.  NULL: the view ignores the
	 * mouse (the wheel still scrolls it with UP / DOWN). */
	bool (*click)(struct view *v, int y, int x);
};

struct view {
	const struct view_ops *ops;
	struct tui *tui;
	void *priv;
	int64_t arg;
	int rows, cols; /* of its last draw: a page */
};

/* The top views, in Tab order. */
#define TUI_VIEW_LIST(X) X(overview) X(tasks) X(findings) X(pool) X(timeline) X(help)
#define TUI__X_VIEW(name) extern const struct view_ops view_##name##_ops;
TUI_VIEW_LIST(TUI__X_VIEW)
/* Opened from other views with tui_push(.., tasks.id). */
extern const struct view_ops view_detail_ops;
/* The timeline opened at a place: arg tasks.id (> 0) shows that task's life
 * on the thread it ran on, -findings.id (< 0) the finding's time range on
 * its thread; 0 is the whole trace (the Tab view). */
#define TIMELINE_AT_TASK(id) ((int64_t)(id))
#define TIMELINE_AT_FINDING(id) (-(int64_t)(id))

struct store *tui_store(struct tui *t);
sqlite3 *tui_db(struct tui *t);
/* Opens `ops` above the current view, with v->arg = arg. */
void tui_push(struct tui *t, const struct view_ops *ops, int64_t arg);
/* A one-line message for the status line (until the next key). */
void tui_message(struct tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads a line on the status line after `label`; false if cancelled (Esc). */
bool tui_prompt(struct tui *t, const char *label, char *buf, size_t len);
/* Loss the store reports (discarded events, lost packets). */
void tui_loss(struct tui *t, int64_t *events, int64_t *packets);

/* `weft tui`: browses the store at path, starting on the top view named
 * `view` (NULL: the first, overview); returns 0, or an exit status (2: no
 * such view) with "Cannot ...: reason: key=value" in err (the terminal is
 * restored first). */
int tui_main(const char *path, const char *view, char *err, size_t errlen);
/* The index of the top view called name in Tab order, -1 if none. */
int tui_view_index(const char *name);
/* "overview, tasks, ...": the top views' names, for messages. */
const char *tui_view_names(void);

#endif
