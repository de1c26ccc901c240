/*
 * `weft chain [FILE] TASK [--pid PID] [--format text|json] [--blame]
 * [--caused]`: a task's logical async stack across threads, read from a
 * trace store (store/chain.h): from its root down to the task, hop by hop,
 * with the thread and context each ran on, how long it queued, ran, blocked
 * and waited, and the marshal hops; then (--blame) where its time went, and
 * (--caused) what it set off.  Read-only; every string from the trace is
 * sanitised before it is printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "chainfmt.h"
#include "cli.h"
#include "sanitize.h"
#include "store.h"

#define NAME_BUF SANITIZE_MAX(WEFT_STR_MAX)
#define MAX_CANDIDATES 20

static const char *const status_names[] = {
#define X(up, low, doc) #low,
	WEFT_STATUS_MAP(X)
#undef X
};
static const char *const ctx_kind_names[] = {
#define X(up, low, doc) #low,
	WEFT_CTX_KIND_MAP(X)
#undef X
};
static const char *const task_kind_names[] = {
#define X(up, low, doc) #low,
	WEFT_TASK_KIND_MAP(X)
#undef X
};
static const char *const wait_mode_names[] = {
#define X(up, low, doc) #low,
	WEFT_WAIT_MODE_MAP(X)
#undef X
};

static const char *enum_name(const char *const *names, int n, int v)
{
	return v >= 0 && v < n ? names[v] : "?";
}
#define ENUM_NAME(tab, v) enum_name(tab, (int)(sizeof(tab) / sizeof(tab[0])), v)

/* ---- finding the task ------------------------------------------------------- */

struct candidate {
	int64_t row;
	uint64_t id;
	int32_t pid;
	char name[NAME_BUF], site[NAME_BUF];
};

/* Runs a candidate query (columns: row, weft id, pid, name, site) and
 * returns the number of matches (up to MAX_CANDIDATES are kept), < 0 on
 * error. */
static int candidates(sqlite3 *db, const char *sql, const char *text, int64_t num, int pid,
		      struct candidate *c, int *total)
{
	sqlite3_stmt *s = NULL;
	int n = 0, rc;

	*total = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (text)
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, num);
	sqlite3_bind_int(s, 2, pid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n < MAX_CANDIDATES) {
			const char *nm = (const char *)sqlite3_column_text(s, 3);
			const char *si = (const char *)sqlite3_column_text(s, 4);

			c[n].row = sqlite3_column_int64(s, 0);
			c[n].id = (uint64_t)sqlite3_column_int64(s, 1);
			c[n].pid = sqlite3_column_int(s, 2);
			chainfmt_str(nm, "?", c[n].name, sizeof(c[n].name));
			chainfmt_str(si, "?", c[n].site, sizeof(c[n].site));
			n++;
		}
		(*total)++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? n : -EIO;
}

#define CAND_COLS "SELECT t.id, t.task, p.pid, n.s, si.s "
#define CAND_JOINS \
	"LEFT JOIN strings n ON n.id = t.name LEFT JOIN strings si ON si.id = t.site "

/* TASK -> tasks.id: "#ROW", a weft task id, or a name pattern (glob).
 * 0 with *row set, or an exit status after printing why. */
static int resolve(struct store *st, const char *arg, int pid, const char *path, int64_t *row)
{
	static const char by_row[] = CAND_COLS "FROM tasks t JOIN processes p ON p.id = t.process "
		CAND_JOINS "WHERE t.id = ?1 AND (?2 = 0 OR p.pid = ?2)";
	/* Through each process's (process, task) index: no scan of tasks. */
	static const char by_id[] = CAND_COLS "FROM processes p JOIN tasks t "
		"ON t.process = p.id AND t.task = ?1 " CAND_JOINS
		"WHERE ?2 = 0 OR p.pid = ?2 ORDER BY t.id";
	static const char by_name[] = CAND_COLS "FROM tasks t JOIN strings n ON n.id = t.name "
		"JOIN processes p ON p.id = t.process LEFT JOIN strings si ON si.id = t.site "
		"WHERE n.s GLOB ?1 AND (?2 = 0 OR p.pid = ?2) ORDER BY t.id";
	struct candidate *c = calloc(MAX_CANDIDATES, sizeof(*c));
	sqlite3 *db = store_db(st);
	uint64_t num = 0;
	bool is_num = false;
	int n, total, i, status = EXIT_FAIL;
	char shown[NAME_BUF];

	if (!c) {
		cli_error("chain", "Cannot find the task: out of memory: task=%s", arg);
		return EXIT_FAIL;
	}
	chainfmt_str(arg, "", shown, sizeof(shown));
	if (arg[0] == '#') {
		if (parse_uint(arg + 1, 1, INT64_MAX, &num) < 0) {
			cli_error("chain", "Cannot find the task: #ROW takes a tasks.id: task=%s",
				  shown);
			status = EXIT_USAGE;
			goto out;
		}
		n = candidates(db, by_row, NULL, (int64_t)num, pid, c, &total);
	} else if (parse_uint(arg, 0, UINT64_MAX, &num) == 0) {
		is_num = true;
		n = candidates(db, by_id, NULL, (int64_t)num, pid, c, &total);
	} else {
		n = candidates(db, by_name, arg, 0, pid, c, &total);
	}
	if (n < 0) {
		cli_error("chain", "Cannot find the task: %s: path=%s", sqlite3_errmsg(db), path);
		goto out;
	}
	if (total == 0) {
		const char *what = arg[0] == '#' ? "row id" : is_num ? "id" : "name";

		if (pid)
			cli_error("chain", "Cannot find the task: no task of pid %d has this %s: "
					   "task=%s", pid, what, shown);
		else
			cli_error("chain", "Cannot find the task: no task has this %s: task=%s",
				  what, shown);
		goto out;
	}
	if (total == 1) {
		*row = c[0].row;
		status = EXIT_OK;
		goto out;
	}
	if (is_num) {
		char list[1024];
		size_t len = 0;

		for (i = 0; i < n && len < sizeof(list) - 64; i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s#%lld (pid %d)",
						i ? ", " : "", (long long)c[i].row, (int)c[i].pid);
		cli_error("chain", "Cannot pick the task: task %s is in %d processes, give --pid: "
				   "candidates=%s%s", shown, total, list, total > n ? ", ..." : "");
		goto out;
	}
	cli_error("chain", "Cannot pick the task: %d tasks match, give one by id or #ROW: task=%s",
		  total, shown);
	for (i = 0; i < n; i++)
		printf("  #%-8lld task %-8" PRIu64 " pid %-7d %s  at %s\n", (long long)c[i].row,
		       c[i].id, (int)c[i].pid, c[i].name, c[i].site);
	if (total > n)
		printf("  ... and %d more\n", total - n);
out:
	free(c);
	return status;
}

/* ---- text ------------------------------------------------------------------- */

static void indent(int depth)
{
	int i;

	for (i = 0; i < (depth < 12 ? depth : 12); i++)
		fputs("  ", stdout);
}

/* "task 5 'parse_file' (#3)" */
static void print_label(const struct chain_task *t)
{
	char name[NAME_BUF];

	printf("task %" PRIu64 " '%s' (#%lld)", t->id, chainfmt_str(t->name, "?", name, sizeof(name)),
	       (long long)t->row);
}

static void print_where(const struct chain_task *t)
{
	char a[NAME_BUF], b[NAME_BUF];

	if (t->tid)
		printf("thread %d '%s'", (int)t->tid, chainfmt_str(t->thread_name, "", a, sizeof(a)));
	else
		printf("never started");
	if (t->ctx)
		printf(" on '%s' (%s)", chainfmt_str(t->ctx_name, "?", b, sizeof(b)),
		       ENUM_NAME(ctx_kind_names, t->ctx_kind));
}

static void print_times(const struct chain_task *t)
{
	char d[32], m[NAME_BUF];

	if (t->queue_ns >= 0)
		printf("queued %s", chainfmt_dur(t->queue_ns, d, sizeof(d)));
	else if (t->scheduled_ns != CHAIN_NONE)
		printf("queued (not started)");
	else
		printf("never queued");
	if (t->run_ns >= 0)
		printf(", ran %s%s", chainfmt_dur(t->run_ns, d, sizeof(d)),
		       t->running ? " so far" : "");
	if (t->status >= 0) {
		printf(", %s", ENUM_NAME(status_names, t->status));
		if (t->err)
			printf(" %lld", (long long)t->err);
		if (t->msg)
			printf(" '%s'", chainfmt_str(t->msg, "", m, sizeof(m)));
	} else if (t->started_ns != CHAIN_NONE) {
		printf(", still running");
	} else {
		printf(", not ended");
	}
}

static void print_hop_details(const struct chain_task *t, int depth)
{
	char a[NAME_BUF], b[NAME_BUF], d[32];
	size_t i;

	if (t->marshal_from || t->marshal_to) {
		indent(depth);
		printf("     marshal '%s' -> '%s'\n",
		       chainfmt_str(t->marshal_from_name, "?", a, sizeof(a)),
		       chainfmt_str(t->marshal_to_name, "?", b, sizeof(b)));
	}
	if (t->blocked_ns > 0) {
		indent(depth);
		printf("     blocked %s:", chainfmt_dur(t->blocked_ns, d, sizeof(d)));
		for (i = 0; i < t->nblocked; i++)
			printf("%s '%s' %s", i ? "," : "",
			       chainfmt_str(t->blocked[i].reason, "?", a, sizeof(a)),
			       chainfmt_dur(t->blocked[i].ns, d, sizeof(d)));
		putchar('\n');
	}
	for (i = 0; i < t->nwaits; i++) {
		const struct chain_wait *w = &t->waits[i];

		indent(depth);
		printf("     %s wait on task %" PRIu64 " '%s' (#%lld)",
		       ENUM_NAME(wait_mode_names, w->mode), w->awaited_id,
		       chainfmt_str(w->awaited_name, "?", a, sizeof(a)), (long long)w->awaited);
		if (w->begin_ns != CHAIN_NONE && w->end_ns != CHAIN_NONE)
			printf(" %s%s", chainfmt_dur(w->end_ns - w->begin_ns, d, sizeof(d)),
			       w->timed_out ? ", timed out" : "");
		else if (w->end_ns == CHAIN_NONE)
			printf(", still waiting");
		putchar('\n');
	}
	if (t->nwaits_total > t->nwaits) {
		indent(depth);
		printf("     ... and %zu more waits\n", t->nwaits_total - t->nwaits);
	}
}

static void print_chain_text(const struct chain *c)
{
	const struct chain_task *me = &c->hops[c->nhops - 1].t;
	char site[NAME_BUF];
	size_t i;

	print_label(me);
	printf(" in pid %d: %zu hop%s from %s\n", (int)me->pid, c->nhops, c->nhops == 1 ? "" : "s",
	       c->hops[0].relation == CHAIN_REL_ROOT ? "its root"
	       : c->cycle ? "where the chain loops (a cycle of edges)" : "the depth bound");
	for (i = 0; i < c->nhops; i++) {
		const struct chain_hop *h = &c->hops[i];
		int depth = (int)i;

		indent(depth);
		if (i == 0)
			printf("%s ", h->relation == CHAIN_REL_ROOT ? "root" : "...");
		else
			printf("└ %s ", chain_relation_name(h->relation));
		print_label(&h->t);
		printf(" %s", ENUM_NAME(task_kind_names, h->t.kind));
		if (h->t.token)
			printf(", token %" PRIu64, h->t.token);
		if (h->t.site)
			printf(" at %s", chainfmt_str(h->t.site, "", site, sizeof(site)));
		putchar('\n');
		indent(depth);
		fputs("     ", stdout);
		print_where(&h->t);
		fputs("; ", stdout);
		print_times(&h->t);
		putchar('\n');
		print_hop_details(&h->t, depth);
	}
}

static void print_blame_text(const struct blame *b)
{
	char d[32];
	size_t i;

	printf("\nblame: %s from creation to %s\n", chainfmt_dur(b->wall_ns, d, sizeof(d)),
	       b->ended ? "end" : "the end of the trace (still open)");
	for (i = 0; i < b->nparts; i++) {
		const struct blame_part *p = &b->parts[i];
		struct chainfmt_part fp = {
			blame_category_name(p->cat), p->ns, p->ctx_name, p->from_ctx_name,
			p->thread_name, p->task_name, p->reason_text, p->tid, p->task_id,
			p->task_kind,
		};
		char name[NAME_BUF];

		fputs("  ", stdout);
		chainfmt_part(stdout, &fp, b->wall_ns);
		if (p->cat != BLAME_WAITING && p->task && p->task != b->task)
			printf("  [task %" PRIu64 " '%s']", p->task_id,
			       chainfmt_str(p->task_name, "?", name, sizeof(name)));
		putchar('\n');
	}
	if (b->depth_cut)
		printf("  (a descent stopped at a cycle or the depth bound: shown as waiting)\n");
	printf("critical path, in time order (from creation):\n");
	for (i = 0; i < b->nsegs && i < 40; i++) {
		const struct blame_seg *s = &b->segs[i];
		const struct blame_part *p = &b->parts[s->part];

		struct chainfmt_part fp = {
			blame_category_name(p->cat), s->end_ns - s->begin_ns, p->ctx_name,
			p->from_ctx_name, p->thread_name, p->task_name, p->reason_text, p->tid,
			p->task_id, p->task_kind,
		};

		printf("  +%-10s ", chainfmt_dur(s->begin_ns - b->begin_ns, d, sizeof(d)));
		chainfmt_part(stdout, &fp, 0);
		printf("  [#%lld]\n", (long long)s->task);
	}
	if (b->nsegs > 40 || b->segs_truncated)
		printf("  ... %s more stretches\n", b->segs_truncated ? "many" : "");
}

static void print_caused_text(const struct chain_tree *t)
{
	size_t i;

	printf("\ncaused by it (%zu task%s%s):\n", t->n - 1, t->n == 2 ? "" : "s",
	       t->truncated ? ", cut at the bound" : "");
	for (i = 1; i < t->n; i++) {
		const struct chain_node *n = &t->nodes[i];

		indent(n->depth);
		printf("%s ", chain_via_name(n->via));
		print_label(&n->t);
		fputs(": ", stdout);
		print_where(&n->t);
		fputs("; ", stdout);
		print_times(&n->t);
		putchar('\n');
	}
}

/* ---- json ------------------------------------------------------------------- */

static void json_i64(const char *key, int64_t v, bool none_is_null)
{
	if (none_is_null && (v == CHAIN_NONE || v < 0))
		printf(", \"%s\": null", key);
	else
		printf(", \"%s\": %lld", key, (long long)v);
}

static void json_task(const struct chain_task *t)
{
	printf("{\"id\": %" PRIu64 ", \"row\": %lld, \"pid\": %d, \"name\": ", t->id,
	       (long long)t->row, (int)t->pid);
	chainfmt_json_str(stdout, t->name);
	fputs(", \"site\": ", stdout);
	chainfmt_json_str(stdout, t->site);
	printf(", \"kind\": \"%s\", \"status\": ", ENUM_NAME(task_kind_names, t->kind));
	if (t->status >= 0)
		printf("\"%s\"", ENUM_NAME(status_names, t->status));
	else
		fputs("null", stdout);
	printf(", \"err\": %lld, \"thread\": ", (long long)t->err);
	if (t->tid)
		printf("%d", (int)t->tid);
	else
		fputs("null", stdout);
	fputs(", \"thread_name\": ", stdout);
	chainfmt_json_str(stdout, t->thread_name);
	fputs(", \"ctx\": ", stdout);
	chainfmt_json_str(stdout, t->ctx ? (t->ctx_name ? t->ctx_name : "") : NULL);
	json_i64("created_ns", t->created_ns, true);
	json_i64("scheduled_ns", t->scheduled_ns, true);
	json_i64("started_ns", t->started_ns, true);
	json_i64("ended_ns", t->ended_ns, true);
	json_i64("queue_ns", t->queue_ns, true);
	json_i64("run_ns", t->run_ns, true);
}

static void print_chain_json(const struct chain *c)
{
	size_t i, j;

	fputs("\"chain\": [", stdout);
	for (i = 0; i < c->nhops; i++) {
		const struct chain_task *t = &c->hops[i].t;

		fputs(i ? ",\n  " : "\n  ", stdout);
		json_task(t);
		json_i64("blocked_ns", t->blocked_ns, false);
		json_i64("wait_ns", t->wait_block_ns + t->wait_async_ns, false);
		fputs(", \"marshal\": ", stdout);
		if (t->marshal_from || t->marshal_to) {
			fputs("{\"from\": ", stdout);
			chainfmt_json_str(stdout, t->marshal_from_name);
			fputs(", \"to\": ", stdout);
			chainfmt_json_str(stdout, t->marshal_to_name);
			fputc('}', stdout);
		} else {
			fputs("null", stdout);
		}
		fputs(", \"waits\": [", stdout);
		for (j = 0; j < t->nwaits; j++) {
			const struct chain_wait *w = &t->waits[j];

			printf("%s{\"awaited\": %" PRIu64 ", \"mode\": \"%s\"", j ? ", " : "",
			       w->awaited_id, ENUM_NAME(wait_mode_names, w->mode));
			json_i64("begin_ns", w->begin_ns, true);
			json_i64("end_ns", w->end_ns, true);
			printf(", \"timed_out\": %s}", w->timed_out ? "true" : "false");
		}
		printf("], \"relation\": \"%s\"}", chain_relation_name(c->hops[i].relation));
	}
	printf("], \"truncated\": %s, \"cycle\": %s", c->truncated ? "true" : "false",
	       c->cycle ? "true" : "false");
}

static void print_blame_json(const struct blame *b)
{
	size_t i;

	printf(", \"wall_ns\": %lld, \"ended\": %s, \"blame\": [", (long long)b->wall_ns,
	       b->ended ? "true" : "false");
	for (i = 0; i < b->nparts; i++) {
		const struct blame_part *p = &b->parts[i];

		printf("%s\n  {\"category\": \"%s\", \"ns\": %lld, \"ctx\": ", i ? "," : "",
		       blame_category_name(p->cat), (long long)p->ns);
		chainfmt_json_str(stdout, p->ctx ? (p->ctx_name ? p->ctx_name : "") : NULL);
		fputs(", \"from_ctx\": ", stdout);
		chainfmt_json_str(stdout, p->from_ctx ? (p->from_ctx_name ? p->from_ctx_name : "")
					      : NULL);
		fputs(", \"thread\": ", stdout);
		if (p->tid)
			printf("%d", (int)p->tid);
		else
			fputs("null", stdout);
		fputs(", \"task\": ", stdout);
		if (p->task)
			printf("%" PRIu64, p->task_id);
		else
			fputs("null", stdout);
		fputs(", \"reason\": ", stdout);
		chainfmt_json_str(stdout, p->reason_text);
		fputc('}', stdout);
	}
	fputs("]", stdout);
}

static void print_caused_json(const struct chain_tree *t)
{
	size_t i;

	fputs(", \"caused\": [", stdout);
	for (i = 1; i < t->n; i++) {
		const struct chain_node *n = &t->nodes[i];

		fputs(i > 1 ? ",\n  " : "\n  ", stdout);
		json_task(&n->t);
		printf(", \"depth\": %d, \"cause\": %" PRIu64 ", \"via\": \"%s\"}", n->depth,
		       t->nodes[n->up].t.id, chain_via_name(n->via));
	}
	printf("], \"caused_truncated\": %s", t->truncated ? "true" : "false");
}

/* ---- the command ------------------------------------------------------------ */

static int chain_exec(int argc, char **argv)
{
	const char *pos[2], *path = "weft.db", *task_arg;
	bool json = false, want_blame = false, want_caused = false;
	struct chain c = { 0 };
	struct blame b = { 0 };
	struct chain_tree tree = { 0 };
	struct store *st = NULL;
	uint64_t pid = 0;
	int npos = 0, i, rc, status = EXIT_FAIL;
	int64_t row = 0;
	char err[1024];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--format") || !strcmp(a, "-f")) {
			if (!v || (strcmp(v, "text") && strcmp(v, "json"))) {
				cli_error("chain", "Cannot show the chain: --format takes text or "
						   "json: format=%s", v ? v : "");
				return EXIT_USAGE;
			}
			json = !strcmp(v, "json");
			i++;
		} else if (!strcmp(a, "--pid")) {
			if (!v || parse_uint(v, 1, INT32_MAX, &pid) < 0) {
				cli_error("chain", "Cannot show the chain: --pid takes a process id: "
						   "pid=%s", v ? v : "");
				return EXIT_USAGE;
			}
			i++;
		} else if (!strcmp(a, "--blame")) {
			want_blame = true;
		} else if (!strcmp(a, "--caused")) {
			want_caused = true;
		} else if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
			cli_error("chain", "Cannot show the chain: unknown option: option=%s", a);
			return EXIT_USAGE;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			cli_error("chain", "Cannot show the chain: too many arguments: extra=%s", a);
			return EXIT_USAGE;
		}
	}
	if (npos == 0) {
		cli_error("chain", "Cannot show the chain: which task? give TASK (an id, #ROW or "
				   "a name): see 'weft chain --help'");
		return EXIT_USAGE;
	}
	if (npos == 2)
		path = pos[0];
	task_arg = pos[npos - 1];
	if (access(path, F_OK) != 0) {
		cli_error("chain", "Cannot open trace store: no such file: path=%s", path);
		return EXIT_FAIL;
	}
	if (store_open(path, STORE_READONLY, &st, err, sizeof(err)) != 0) {
		cli_error("chain", "%s", err);
		return EXIT_FAIL;
	}
	status = resolve(st, task_arg, (int)pid, path, &row);
	if (status != EXIT_OK)
		goto out;
	status = EXIT_FAIL;
	rc = chain_get(st, row, &c);
	if (rc == 0 && want_blame)
		rc = blame_get(st, row, &b);
	if (rc == 0 && want_caused)
		rc = chain_caused(st, row, &tree);
	if (rc < 0) {
		cli_error("chain", "%s", store_errmsg(st));
		goto out;
	}
	if (json) {
		fputs("{\"task\": ", stdout);
		json_task(&c.hops[c.nhops - 1].t);
		fputs("}, ", stdout);
		print_chain_json(&c);
		if (want_blame)
			print_blame_json(&b);
		if (want_caused)
			print_caused_json(&tree);
		fputs("}\n", stdout);
	} else {
		print_chain_text(&c);
		if (want_blame)
			print_blame_text(&b);
		if (want_caused)
			print_caused_text(&tree);
	}
	status = EXIT_OK;
out:
	chain_free(&c);
	blame_free(&b);
	chain_tree_free(&tree);
	store_close(st);
	return status;
}

const struct cmd_entry cmd_chain_entry = {
	.name = "chain",
	.usage = "[FILE] TASK [--pid PID] [--format text|json] [--blame] [--caused]",
	.summary = "Show a task's async chain across threads, and where its time went.",
	.help = "Prints the logical async stack of TASK from FILE (default: weft.db): like a\n"
		"stack trace, but across threads and queues, from the chain's root down to\n"
		"TASK.  Each hop is a task, with the thread and context it ran on, how long\n"
		"it queued and ran, the synchronous calls it blocked in, the waits it made,\n"
		"a marshal hop into it, and how it hangs from the hop above:\n"
		"  created by        the hop above was running when it was created\n"
		"  continuation of   it ran after the hop above completed (for when_all the\n"
		"                    input that ended last, for when_any the first)\n"
		"  awaited by        the hop above waited for it (a task with no creator and\n"
		"                    no antecedent)\n"
		"The rule is the view task_causes of docs/schema.md, so SQL gives the same\n"
		"chain.  Only recorded edges are followed, never timestamps that line up.\n\n"
		"TASK is one of:\n"
		"  N          a weft task id (as in the trace); with --pid when several\n"
		"             processes have a task N\n"
		"  #ROW       a row id of table tasks (weft query, weft report --format json)\n"
		"  PATTERN    a task name, or a glob pattern ('parse_*'): if several tasks\n"
		"             match, they are listed (id, pid, site) and the exit status is 1\n\n"
		"Options:\n"
		"  --pid PID            only tasks of process PID\n"
		"  -f, --format FMT     text (default) or json: {\"task\", \"chain\": [{id, name,\n"
		"                       site, thread, ctx, queue_ns, run_ns, relation, ...}],\n"
		"                       \"blame\": [{category, ns, ctx, thread, task, reason}],\n"
		"                       \"caused\": [...]}\n"
		"  --blame              where TASK's time went, from its creation to its end\n"
		"                       (or the end of the trace): the critical path along the\n"
		"                       edges that released it, as parts that sum to the wall\n"
		"                       time: queued (on a context), running (on a thread),\n"
		"                       blocked (in a synchronous call), waiting (on a task),\n"
		"                       marshal (a hop between contexts), untraced\n"
		"  --caused             what TASK set off: its children, continuations and the\n"
		"                       tasks it awaited, as a tree (bounded: 512 tasks)\n\n"
		"Exit status: 0; 1 if the store or the task cannot be read, or TASK matches\n"
		"several tasks; 2 for bad arguments.\n",
	.exec = chain_exec,
};
