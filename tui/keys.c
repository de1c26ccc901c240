/*
 * The key table (keys.h): keys htop, tig and tokio-console users know.
 */
#include <curses.h>

#include "keys.h"

#define CTRL(c) ((c) & 0x1f)

const struct key_binding keys_table[] = {
	{ KEY_UP, "Up", KEY_ACT_UP },
	{ 'k', "k", KEY_ACT_UP },
	{ KEY_DOWN, "Down", KEY_ACT_DOWN },
	{ 'j', "j", KEY_ACT_DOWN },
	{ KEY_LEFT, "Left", KEY_ACT_LEFT },
	{ 'h', "h", KEY_ACT_LEFT },
	{ KEY_RIGHT, "Right", KEY_ACT_RIGHT },
	{ 'l', "l", KEY_ACT_RIGHT },
	{ 'g', "g", KEY_ACT_TOP },
	{ KEY_HOME, "Home", KEY_ACT_TOP },
	{ 'G', "G", KEY_ACT_BOTTOM },
	{ KEY_END, "End", KEY_ACT_BOTTOM },
	{ KEY_PPAGE, "PgUp", KEY_ACT_PAGE_UP },
	{ CTRL('b'), "^B", KEY_ACT_PAGE_UP },
	{ KEY_NPAGE, "PgDn", KEY_ACT_PAGE_DOWN },
	{ CTRL('f'), "^F", KEY_ACT_PAGE_DOWN },
	{ '\r', "Enter", KEY_ACT_ENTER },
	{ '\n', "Enter", KEY_ACT_ENTER },
	{ KEY_ENTER, "Enter", KEY_ACT_ENTER },
	{ 'q', "q", KEY_ACT_BACK },
	{ 27, "Esc", KEY_ACT_BACK },
	{ 'Q', "Q", KEY_ACT_QUIT },
	{ '\t', "Tab", KEY_ACT_NEXT_VIEW },
	{ KEY_BTAB, "S-Tab", KEY_ACT_PREV_VIEW },
	{ '?', "?", KEY_ACT_HELP },
	{ KEY_F(1), "F1", KEY_ACT_HELP },
	{ '/', "/", KEY_ACT_SEARCH },
	{ 's', "s", KEY_ACT_SORT },
	{ 'r', "r", KEY_ACT_REVERSE },
	{ 'f', "f", KEY_ACT_STATE },
	{ ' ', "Space", KEY_ACT_PAUSE },
	{ CTRL('l'), "^L", KEY_ACT_REDRAW },
	{ '+', "+", KEY_ACT_ZOOM_IN },
	{ 'z', "z", KEY_ACT_ZOOM_IN },
	{ '-', "-", KEY_ACT_ZOOM_OUT },
	{ 'Z', "Z", KEY_ACT_ZOOM_OUT },
	{ '0', "0", KEY_ACT_ZOOM_ALL },
	{ '<', "<", KEY_ACT_PAN_LEFT },
	{ 'H', "H", KEY_ACT_PAN_LEFT },
	{ '>', ">", KEY_ACT_PAN_RIGHT },
	{ 'L', "L", KEY_ACT_PAN_RIGHT },
	{ 't', "t", KEY_ACT_TIMELINE },
};
const size_t keys_count = sizeof keys_table / sizeof keys_table[0];

static const char *const keys_helps[] = {
#define X(name, help) help,
	KEY_ACTION_MAP(X)
#undef X
};

enum key_action keys_action(int key)
{
	for (size_t i = 0; i < keys_count; i++)
		if (keys_table[i].key == key)
			return keys_table[i].action;
	return KEY_ACT_NONE;
}

const char *keys_help(enum key_action a)
{
	return a < KEY_ACT_COUNT ? keys_helps[a] : "";
}
