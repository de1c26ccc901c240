/*
 * The help view: every key, generated from the key table (keys.c), so it
 * cannot disagree with what the keys do.
 */
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "view.h"

static int help_open(struct view *v)
{
	v->priv = NULL;
	return 0;
}

static void help_draw(struct view *v, int y, int rows, int cols)
{
	int scroll = (int)v->arg, line = 0;

	draw_text(y, 0, cols, ROLE_HEADER, "Keys (weft tui)", (size_t)-1);
	for (int a = 1; a < KEY_ACT_COUNT; a++) {
		char names[128] = "";
		const char *last = NULL;

		for (size_t i = 0; i < keys_count; i++) {
			if (keys_table[i].action != (enum key_action)a)
				continue;
			if (last && strcmp(last, keys_table[i].name) == 0)
				continue;
			if (names[0])
				strncat(names, " ", sizeof names - strlen(names) - 1);
			strncat(names, keys_table[i].name, sizeof names - strlen(names) - 1);
			last = keys_table[i].name;
		}
		if (line++ < scroll)
			continue;
		if (line - scroll >= rows)
			break;
		draw_text(y + line - scroll, 0, 18, ROLE_FINDING_INFO, names, (size_t)-1);
		draw_text(y + line - scroll, 18, cols - 18, ROLE_NORMAL, keys_help((enum key_action)a),
			  (size_t)-1);
	}
}

static bool help_key(struct view *v, enum key_action a)
{
	if (a == KEY_ACT_DOWN && v->arg + 1 < KEY_ACT_COUNT - 1) {
		v->arg++;
		return true;
	}
	if (a == KEY_ACT_UP && v->arg > 0) {
		v->arg--;
		return true;
	}
	if (a == KEY_ACT_TOP) {
		v->arg = 0;
		return true;
	}
	return false;
}

const struct view_ops view_help_ops = {
	.name = "help",
	.open = help_open,
	.draw = help_draw,
	.key = help_key,
};
