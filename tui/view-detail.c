/*
 * The task detail view: a task's stitched chain (chain_get) as a logical
 * async stack across threads, root first, hop by hop with the thread, the
 * context, the queue wait, the marshal and the waits of each hop; its blame
 * bar (blame_get); its error and whether anyone observed it; its
 * cancellation token's history (when the token was made, the parents it is
 * linked to, each cancel request with who made it, and whether and when
 * this task noticed); and what it caused (chain_caused).  The lines are
 * rebuilt while the task is not ended (live follow) and scroll with the
 * usual keys; t opens the timeline at the task's life on its thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "draw.h"
#include "view.h"
#include "weft/weft.h"

#define DETAIL_LINES 1024
#define DETAIL_TEXT 400
#define DETAIL_TOKENS 16   /* a token and the ancestors listed with it */
#define DETAIL_CANCELS 4   /* cancel requests listed per token */

static const char *const detail_status[] = {
#define X(up, low, doc) #low,
	WEFT_STATUS_MAP(X)
#undef X
};
static const char *const detail_ctx_kind[] = {
#define X(up, low, doc) #low,
	WEFT_CTX_KIND_MAP(X)
#undef X
};
static const char *const detail_wait_mode[] = {
#define X(up, low, doc) #low,
	WEFT_WAIT_MODE_MAP(X)
#undef X
};
#define DETAIL_NAME(tab, v) \
	((v) >= 0 && (size_t)(v) < sizeof(tab) / sizeof(tab[0]) ? tab[v] : "?")

static const enum term_role detail_blame_roles[BLAME_CATEGORY_COUNT] = {
	[BLAME_QUEUED] = ROLE_QUEUE_WAIT, [BLAME_RUNNING] = ROLE_RUNNING,
	[BLAME_BLOCKED] = ROLE_BLOCKED,   [BLAME_WAITING] = ROLE_WAITING,
	[BLAME_MARSHAL] = ROLE_MARSHAL,   [BLAME_UNTRACED] = ROLE_UNTRACED,
};
/* The bar's letter per category: meaning without colour. */
static const char detail_blame_chars[BLAME_CATEGORY_COUNT] = { 'q', 'R', 'B', 'w', 'm', '.' };

struct detail {
	struct {
		enum term_role role;
		char text[DETAIL_TEXT];
	} *line;
	int n, scroll;
	bool ended;
	struct blame b;
	bool have_blame;
};

static void dl(struct detail *d, enum term_role r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void dl(struct detail *d, enum term_role r, const char *fmt, ...)
{
	va_list ap;

	if (d->n == DETAIL_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(d->line[d->n].text, DETAIL_TEXT, fmt, ap);
	va_end(ap);
	d->line[d->n++].role = r;
}

static const char *S(const char *s)
{
	return s ? s : "?";
}

static void detail_hop(struct detail *d, const struct chain_hop *h, size_t i)
{
	const struct chain_task *t = &h->t;
	char q[32], run[32], b[32];

	dl(d, ROLE_HEADER, "#%zu %s (task %llu)  %s%s", i, S(t->name), (unsigned long long)t->id,
	   chain_relation_name(h->relation), i ? " the hop above" : "");
	dl(d, ROLE_NORMAL, "    thread %d %s   ctx %s (%s)   site %s", (int)t->tid, S(t->thread_name),
	   S(t->ctx_name), DETAIL_NAME(detail_ctx_kind, t->ctx_kind), S(t->site));
	dl(d, t->queue_ns > 0 ? ROLE_QUEUE_WAIT : ROLE_NORMAL, "    queued %s   ran %s%s   %s",
	   draw_duration(q, sizeof q, t->queue_ns), draw_duration(run, sizeof run, t->run_ns),
	   t->running ? " (running)" : "",
	   t->status >= 0 ? DETAIL_NAME(detail_status, t->status) : "not ended");
	if (t->marshal_from || t->marshal_to)
		dl(d, ROLE_MARSHAL, "    marshal %s -> %s", S(t->marshal_from_name), S(t->marshal_to_name));
	if (t->blocked_ns > 0)
		dl(d, ROLE_BLOCKED, "    blocked %s%s%s", draw_duration(b, sizeof b, t->blocked_ns),
		   t->nblocked ? " in " : "", t->nblocked ? S(t->blocked[0].reason) : "");
	for (size_t w = 0; w < t->nwaits; w++) {
		const struct chain_wait *cw = &t->waits[w];
		int64_t ns = cw->begin_ns != CHAIN_NONE && cw->end_ns != CHAIN_NONE
				     ? cw->end_ns - cw->begin_ns : -1;

		dl(d, ROLE_WAITING, "    waits (%s) on thread %d for %s (task %llu) %s%s%s",
		   DETAIL_NAME(detail_wait_mode, cw->mode), (int)t->tid, S(cw->awaited_name),
		   (unsigned long long)cw->awaited_id, draw_duration(b, sizeof b, ns),
		   cw->end_ns == CHAIN_NONE ? " still waiting" : "", cw->timed_out ? " TIMED OUT" : "");
	}
	if (t->nwaits_total > t->nwaits)
		dl(d, ROLE_DIM, "    ... %zu more waits", t->nwaits_total - t->nwaits);
}

static sqlite3_stmt *detail_q(struct view *v, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(tui_db(v->tui), sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	return s;
}

static const char *detail_col(sqlite3_stmt *s, int c, const char *none)
{
	const char *r = (const char *)sqlite3_column_text(s, c);

	return r ? r : none;
}

/* A token's name as shown: 'name', or (unnamed). */
static const char *detail_tname(sqlite3_stmt *s, int c, char *buf, size_t len)
{
	const char *n = (const char *)sqlite3_column_text(s, c);

	if (n)
		snprintf(buf, len, "'%s'", n);
	else
		snprintf(buf, len, "(unnamed)");
	return buf;
}

/* Who asked: the thread of a cancel request and the task running on it then
 * (the last task started there before it, if it had not ended). */
static void detail_requester(struct view *v, int64_t thread, int64_t ts, char *buf, size_t len)
{
	sqlite3_stmt *s = detail_q(v, "SELECT th.tid, t.task, n.s, coalesce(t.ended_ns, ?2) >= ?2 "
				   "FROM threads th LEFT JOIN tasks t ON t.id = (SELECT x.id FROM tasks x "
				   "WHERE x.started_thread = th.id AND x.started_ns <= ?2 "
				   "ORDER BY x.started_ns DESC LIMIT 1) "
				   "LEFT JOIN strings n ON n.id = t.name WHERE th.id = ?1", thread, ts);

	snprintf(buf, len, "an unknown thread");
	if (s && sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 1) != SQLITE_NULL && sqlite3_column_int(s, 3))
			snprintf(buf, len, "thread %lld in task %lld %s", (long long)sqlite3_column_int64(s, 0),
				 (long long)sqlite3_column_int64(s, 1), detail_col(s, 2, "?"));
		else
			snprintf(buf, len, "thread %lld (no task)",
				 (long long)sqlite3_column_int64(s, 0));
	}
	sqlite3_finalize(s);
}

/* The task's cancellation token: made when, linked to which parents (a
 * cancel of any ancestor cancels it), each request and who made it, and
 * whether this task observed it.  A task without a token whose parent has
 * one is the cancel-not-propagated shape: said so. */
static void detail_token(struct view *v, struct detail *d)
{
	sqlite3_stmt *s;
	int64_t tok[DETAIL_TOKENS], req_ns = CHAIN_NONE, ended = CHAIN_NONE, parent = 0;
	int depth[DETAIL_TOKENS], ntok = 0, status = -1;
	char tb[32], tb2[32], who[300], nm[300];

	s = detail_q(v, "SELECT token, parent, status, ended_ns FROM tasks WHERE id = ?1", v->arg, 0);
	if (s && sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
			tok[0] = sqlite3_column_int64(s, 0);
			depth[0] = 0;
			ntok = 1;
		}
		parent = sqlite3_column_int64(s, 1);
		status = sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 2);
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			ended = sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	if (ntok == 0) {
		s = detail_q(v, "SELECT p.task, n.s, tk.token, tk.name FROM tasks p JOIN tokens tk ON "
			     "tk.id = p.token LEFT JOIN strings n ON n.id = p.name WHERE p.id = ?1",
			     parent, 0);
		if (parent && s && sqlite3_step(s) == SQLITE_ROW)
			dl(d, ROLE_FINDING_WARNING, "Cancellation: no token, though its parent task %lld "
			   "%s carries token %lld %s: cancelling that does not reach this task",
			   (long long)sqlite3_column_int64(s, 0), detail_col(s, 1, "?"),
			   (long long)sqlite3_column_int64(s, 2), detail_tname(s, 3, nm, sizeof nm));
		sqlite3_finalize(s);
		return;
	}
	/* the token and its ancestors, breadth first, each once */
	for (int i = 0; i < ntok && ntok < DETAIL_TOKENS; i++) {
		s = detail_q(v, "SELECT parent FROM token_parents WHERE token = ?1 ORDER BY ord", tok[i], 0);
		while (s && sqlite3_step(s) == SQLITE_ROW && ntok < DETAIL_TOKENS) {
			int64_t p = sqlite3_column_int64(s, 0);
			bool seen = false;

			for (int j = 0; j < ntok; j++)
				seen = seen || tok[j] == p;
			if (!seen) {
				depth[ntok] = depth[i] + 1;
				tok[ntok++] = p;
			}
		}
		sqlite3_finalize(s);
	}
	for (int i = 0; i < ntok; i++) {
		s = detail_q(v, "SELECT token, name, created_ns FROM tokens WHERE id = ?1", tok[i], 0);
		if (s && sqlite3_step(s) == SQLITE_ROW) {
			const char *when = sqlite3_column_type(s, 2) == SQLITE_NULL ? "before the trace"
				: draw_time(tb, sizeof tb, sqlite3_column_int64(s, 2), 1000);

			if (i == 0)
				dl(d, ROLE_HEADER, "Cancellation: token %lld %s, created %s",
				   (long long)sqlite3_column_int64(s, 0), detail_tname(s, 1, nm, sizeof nm), when);
			else
				dl(d, ROLE_NORMAL, "  %*slinked to parent token %lld %s, created %s",
				   2 * (depth[i] - 1), "", (long long)sqlite3_column_int64(s, 0),
				   detail_tname(s, 1, nm, sizeof nm), when);
		}
		sqlite3_finalize(s);
		s = detail_q(v, "SELECT c.ts_ns, c.thread, r.s FROM cancellations c LEFT JOIN strings r "
			     "ON r.id = c.reason WHERE c.token = ?1 ORDER BY c.ts_ns LIMIT ?2", tok[i],
			     DETAIL_CANCELS);
		while (s && sqlite3_step(s) == SQLITE_ROW) {
			int64_t ts = sqlite3_column_int64(s, 0);

			if (req_ns == CHAIN_NONE || ts < req_ns)
				req_ns = ts;
			detail_requester(v, sqlite3_column_int64(s, 1), ts, who, sizeof who);
			dl(d, ROLE_FINDING_WARNING, "  %*scancel requested %s%s by %s: \"%s\"", 2 * depth[i], "",
			   draw_time(tb, sizeof tb, ts, 1000), i ? " (on this parent)" : "", who,
			   detail_col(s, 2, "no reason given"));
		}
		sqlite3_finalize(s);
	}
	if (ntok == DETAIL_TOKENS)
		dl(d, ROLE_DIM, "  ... more ancestor tokens not listed");
	if (req_ns == CHAIN_NONE) {
		dl(d, ROLE_NORMAL, "  no cancellation requested");
		return;
	}
	s = detail_q(v, "SELECT co.ts_ns, tk.token FROM cancel_observations co JOIN tokens tk ON "
		     "tk.id = co.token WHERE co.task = ?1 ORDER BY co.ts_ns LIMIT 1", v->arg, 0);
	if (s && sqlite3_step(s) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(s, 0);

		dl(d, ROLE_FINDING_INFO, "  observed by this task at %s (token %lld), %s after the "
		   "request%s%s", draw_time(tb, sizeof tb, ts, 1000),
		   (long long)sqlite3_column_int64(s, 1), draw_duration(tb2, sizeof tb2, ts - req_ns),
		   status >= 0 ? "; it ended " : "", status >= 0 ? DETAIL_NAME(detail_status, status) : "");
	} else if (ended != CHAIN_NONE && ended < req_ns) {
		dl(d, ROLE_NORMAL, "  the task had ended (%s) before the request",
		   DETAIL_NAME(detail_status, status));
	} else if (status == WEFT_STATUS_CANCELED) {
		dl(d, ROLE_FINDING_INFO, "  never observed by a check, but it ended canceled %s after "
		   "the request", draw_duration(tb2, sizeof tb2, ended - req_ns));
	} else if (ended != CHAIN_NONE) {
		dl(d, ROLE_FINDING_ERROR, "  NOT observed by this task: it ended %s %s after the request",
		   DETAIL_NAME(detail_status, status), draw_duration(tb2, sizeof tb2, ended - req_ns));
	} else {
		dl(d, ROLE_FINDING_ERROR, "  NOT observed by this task, which had not ended when the "
		   "trace stopped");
	}
	sqlite3_finalize(s);
}

static void detail_read(struct view *v)
{
	struct detail *d = v->priv;
	struct store *st = tui_store(v->tui);
	struct chain c = { 0 };
	struct chain_tree tr = { 0 };
	char buf[32];
	int rc;

	d->n = 0;
	if (d->have_blame)
		blame_free(&d->b);
	d->have_blame = false;
	rc = chain_get(st, v->arg, &c);
	if (rc != 0 || c.nhops == 0) {
		dl(d, ROLE_FINDING_ERROR, "Cannot read the chain of task row %lld: %s",
		   (long long)v->arg, rc == -ENOENT ? "no such task" : store_errmsg(st));
		d->ended = true;
		chain_free(&c);
		return;
	}
	{
		const struct chain_task *t = &c.hops[c.nhops - 1].t;

		d->ended = t->status >= 0;
		dl(d, ROLE_TITLE, "task %llu %s  pid %d  %s", (unsigned long long)t->id, S(t->name),
		   (int)t->pid, t->status >= 0 ? DETAIL_NAME(detail_status, t->status) : "not ended");
		if (t->err)
			dl(d, ROLE_FINDING_ERROR, "error %lld: %s", (long long)t->err, S(t->msg));
		else
			dl(d, ROLE_NORMAL, "no error");
	}
	{
		sqlite3_stmt *s = NULL;

		if (sqlite3_prepare_v2(tui_db(v->tui),
				       "SELECT observed_ns IS NOT NULL, unobserved_ns IS NOT NULL, err "
				       "FROM tasks WHERE id = ?1", -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, v->arg);
			if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 2) != 0)
				dl(d, sqlite3_column_int(s, 0) ? ROLE_NORMAL : ROLE_FINDING_ERROR,
				   "error observed: %s%s", sqlite3_column_int(s, 0) ? "yes" : "no",
				   sqlite3_column_int(s, 1) ? " (released unread)" : "");
		}
		sqlite3_finalize(s);
	}
	detail_token(v, d);
	dl(d, ROLE_HEADER, "Async stack: %zu hop%s, root first%s%s", c.nhops, c.nhops == 1 ? "" : "s",
	   c.truncated ? " (cut at depth bound)" : "", c.cycle ? " (cycle)" : "");
	for (size_t i = 0; i < c.nhops; i++)
		detail_hop(d, &c.hops[i], i);
	chain_free(&c);

	if (blame_get(st, v->arg, &d->b) == 0) {
		d->have_blame = true;
		dl(d, ROLE_HEADER, "Blame: wall %s%s", draw_duration(buf, sizeof buf, d->b.wall_ns),
		   d->b.ended ? "" : " (so far)");
		dl(d, ROLE_NORMAL, "%s", "\x01"); /* the bar: drawn by detail_draw */
		for (size_t i = 0; i < d->b.nparts && i < 8; i++) {
			const struct blame_part *p = &d->b.parts[i];

			dl(d, detail_blame_roles[p->cat], "  %c %-9s %9s %5.1f%%  %s%s%s",
			   detail_blame_chars[p->cat], blame_category_name(p->cat),
			   draw_duration(buf, sizeof buf, p->ns),
			   d->b.wall_ns > 0 ? 100.0 * (double)p->ns / (double)d->b.wall_ns : 0.0,
			   p->ctx_name ? p->ctx_name : "", p->task_name ? " " : "",
			   p->task_name ? p->task_name : (p->reason_text ? p->reason_text : ""));
		}
	}
	if (chain_caused(st, v->arg, &tr) == 0) {
		dl(d, ROLE_HEADER, "Caused: %zu task%s%s", tr.n ? tr.n - 1 : 0, tr.n == 2 ? "" : "s",
		   tr.truncated ? " (cut)" : "");
		for (size_t i = 1; i < tr.n; i++) {
			const struct chain_node *nd = &tr.nodes[i];

			dl(d, ROLE_NORMAL, "  %*s%s (task %llu) %s  %s", nd->depth * 2, "", S(nd->t.name),
			   (unsigned long long)nd->t.id, chain_via_name(nd->via),
			   nd->t.status >= 0 ? DETAIL_NAME(detail_status, nd->t.status) : "not ended");
		}
		chain_tree_free(&tr);
	}
}

static int detail_open(struct view *v)
{
	struct detail *d = calloc(1, sizeof *d);

	if (!d)
		return -1;
	d->line = calloc(DETAIL_LINES, sizeof *d->line);
	if (!d->line) {
		free(d);
		return -1;
	}
	v->priv = d;
	detail_read(v);
	return 0;
}

static void detail_close(struct view *v)
{
	struct detail *d = v->priv;

	if (d->have_blame)
		blame_free(&d->b);
	free(d->line);
	free(d);
}

/* The blame bar: each part's share of the width, in its role and letter. */
static void detail_bar(struct detail *d, int y, int cols)
{
	int x = 2, width = cols - 4, used = 0;

	if (!d->have_blame || d->b.wall_ns <= 0 || width <= 0)
		return;
	draw_text(y, 0, 2, ROLE_NORMAL, " [", 2);
	for (size_t i = 0; i < d->b.nparts && used < width; i++) {
		const struct blame_part *p = &d->b.parts[i];
		int w = (int)((double)p->ns * width / (double)d->b.wall_ns + 0.5);

		if (w > width - used)
			w = width - used;
		draw_fill(y, x + used, w, detail_blame_roles[p->cat], detail_blame_chars[p->cat]);
		used += w;
	}
	draw_fill(y, x + used, width - used, ROLE_UNTRACED, ' ');
	draw_text(y, x + width, 1, ROLE_NORMAL, "]", 1);
}

static void detail_draw(struct view *v, int y, int rows, int cols)
{
	struct detail *d = v->priv;

	for (int i = 0; i < rows && d->scroll + i < d->n; i++) {
		int k = d->scroll + i;

		if (d->line[k].text[0] == '\x01' && d->line[k].text[1] == '\0')
			detail_bar(d, y + i, cols);
		else
			draw_text(y + i, 0, cols, d->line[k].role, d->line[k].text, (size_t)-1);
	}
}

static bool detail_key(struct view *v, enum key_action a)
{
	struct detail *d = v->priv;
	int page = v->rows > 1 ? v->rows - 1 : 1, max = d->n > 1 ? d->n - 1 : 0;

	switch (a) {
	case KEY_ACT_DOWN: d->scroll++; break;
	case KEY_ACT_UP: d->scroll--; break;
	case KEY_ACT_PAGE_DOWN: d->scroll += page; break;
	case KEY_ACT_PAGE_UP: d->scroll -= page; break;
	case KEY_ACT_TOP: d->scroll = 0; break;
	case KEY_ACT_BOTTOM: d->scroll = d->n - page; break;
	case KEY_ACT_TIMELINE:
		tui_push(v->tui, &view_timeline_ops, TIMELINE_AT_TASK(v->arg));
		return true;
	default: return false;
	}
	if (d->scroll > max)
		d->scroll = max;
	if (d->scroll < 0)
		d->scroll = 0;
	return true;
}

static void detail_refresh(struct view *v)
{
	struct detail *d = v->priv;

	if (!d->ended)
		detail_read(v);
}

const struct view_ops view_detail_ops = {
	.name = "detail",
	.open = detail_open,
	.close = detail_close,
	.draw = detail_draw,
	.key = detail_key,
	.reload = detail_refresh,
};
