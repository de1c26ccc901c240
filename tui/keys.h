/*
 * keys.h — the one key table.  An action (enum key_action) is what a key
 * asks; the table binds keys to actions with the name and help text that the
 * help view prints.  Views and the main loop see actions, never key codes.
 */
#ifndef WEFT_TUI_KEYS_H
#define WEFT_TUI_KEYS_H

#include <stddef.h>

#define KEY_ACTION_MAP(X) \
	X(NONE, "") \
	X(UP, "move up one row") \
	X(DOWN, "move down one row") \
	X(LEFT, "previous column (tasks: sort by it; pool: context; timeline: time)") \
	X(RIGHT, "next column (tasks: sort by it; pool: context; timeline: time)") \
	X(TOP, "go to the first row") \
	X(BOTTOM, "go to the last row") \
	X(PAGE_UP, "one screen up") \
	X(PAGE_DOWN, "one screen down") \
	X(ENTER, "open the selected row (task detail)") \
	X(BACK, "close this view (quit from a top view)") \
	X(QUIT, "quit weft tui") \
	X(NEXT_VIEW, "next view (overview, tasks, findings, pool, timeline, help)") \
	X(PREV_VIEW, "previous view") \
	X(HELP, "this help") \
	X(SEARCH, "filter rows by a regular expression (empty: all)") \
	X(SORT, "sort by the next column") \
	X(REVERSE, "reverse the sort order") \
	X(STATE, "cycle the state filter (tasks)") \
	X(PAUSE, "pause / resume following the store") \
	X(REDRAW, "redraw the screen") \
	X(ZOOM_IN, "timeline: zoom in (half the span, around the cursor)") \
	X(ZOOM_OUT, "timeline: zoom out (twice the span)") \
	X(ZOOM_ALL, "timeline: show the whole trace") \
	X(PAN_LEFT, "timeline: pan half a screen back in time") \
	X(PAN_RIGHT, "timeline: pan half a screen forward in time") \
	X(TIMELINE, "open the timeline at this finding's or task's time and thread")
#define KEYS__X_ACT(name, help) KEY_ACT_##name,
enum key_action { KEY_ACTION_MAP(KEYS__X_ACT) KEY_ACT_COUNT };

struct key_binding {
	int key;                /* curses key code or character */
	const char *name;       /* as the help view shows it */
	enum key_action action;
};

extern const struct key_binding keys_table[];
extern const size_t keys_count;

/* The action bound to key code `key`, KEY_ACT_NONE if none. */
enum key_action keys_action(int key);
/* The help text of an action. */
const char *keys_help(enum key_action a);

#endif
