/*
 * libweft-glib.so — traces an unmodified GLib/GIO program, loaded with
 * LD_PRELOAD (`weft record --probe glib -- CMD`).  It defines GLib's pool,
 * idle, invoke and source-attach entry points and GIO's GTask and
 * GCancellable calls, so that calls made through the PLT (by the program,
 * and by libgio into libglib) reach it first; each forwards to the real
 * function, found once per library with dlsym(RTLD_NEXT) — or, when the
 * library was dlopen'ed locally (a plugin of a host without GLib), through a
 * RTLD_NOLOAD handle of its soname.  It references no GLib symbol itself
 * (linked --no-undefined without GLib): nothing is left for the dynamic
 * linker to bind in a process whose GLib is not in the global scope.
 *
 * The model (DESIGN.md section 3, docs/probes.md):
 *   - each GThreadPool is a pool context "gthreadpool:<func>"; GIO's own
 *     pool (the one g_task_run_in_thread uses) is "gthreadpool:gtask";
 *   - each GMainContext is a loop context, the global default one "main";
 *   - a g_thread_pool_push is a task on its pool, seen starting and ending
 *     on its worker;
 *   - a GTask is one task: scheduled on the GTask pool by
 *     g_task_run_in_thread, ended by the program's g_task_return_* (the
 *     status: error, canceled for G_IO_ERROR_CANCELLED), its error observed
 *     by g_task_propagate_* or g_task_had_error; its callback is a
 *     continuation on the task's main context, marshaled from the pool;
 *   - each run of an idle callback (g_idle_add*, an idle GSource attached
 *     through g_source_attach) and of a g_main_context_invoke* function is
 *     a task on the main context it runs on;
 *   - a GCancellable is a token; g_cancellable_cancel its cancel_request;
 *     a task that sees it cancelled (g_cancellable_is_cancelled,
 *     g_cancellable_set_error_if_cancelled, g_task_return_error_if_cancelled)
 *     observes it.
 *
 * Callbacks are wrapped by passing GLib the probe's own function and a
 * "shim" holding the program's function and data, freed through the destroy
 * notify GLib calls anyway (or, for a GTask, a weak reference), so every
 * program callback runs with its own arguments on the same thread in the
 * same order.  The side tables are keyed by pointers in sharded tables whose
 * locks are never held across a program callback; nothing here aborts; with
 * no memory a call runs untraced.  While no session listens a call costs one
 * enable check (a pool item one atomic load) and goes straight to GLib with
 * the program's own callbacks.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "weft/weft.h"

/* ---- the real functions --------------------------------------------------- */

#define GLIB_MAP(X)                                                                          \
	X(g_thread_pool_new, GThreadPool *, (GFunc, gpointer, gint, gboolean, GError **))        \
	X(g_thread_pool_new_full, GThreadPool *,                                                 \
	  (GFunc, gpointer, GDestroyNotify, gint, gboolean, GError **))                          \
	X(g_thread_pool_push, gboolean, (GThreadPool *, gpointer, GError **))                    \
	X(g_thread_pool_free, void, (GThreadPool *, gboolean, gboolean))                         \
	X(g_thread_pool_set_max_threads, gboolean, (GThreadPool *, gint, GError **))             \
	X(g_idle_add_full, guint, (gint, GSourceFunc, gpointer, GDestroyNotify))                 \
	X(g_idle_add_once, guint, (GSourceOnceFunc, gpointer))                                   \
	X(g_main_context_invoke_full, void,                                                      \
	  (GMainContext *, gint, GSourceFunc, gpointer, GDestroyNotify))                         \
	X(g_source_attach, guint, (GSource *, GMainContext *))                                   \
	X(g_source_set_callback, void, (GSource *, GSourceFunc, gpointer, GDestroyNotify))       \
	X(g_source_get_context, GMainContext *, (GSource *))                                     \
	X(g_source_get_name, const char *, (GSource *))                                          \
	X(g_main_context_default, GMainContext *, (void))                                        \
	X(g_main_context_get_thread_default, GMainContext *, (void))                             \
	X(g_quark_to_string, const gchar *, (GQuark))                                            \
	X(g_error_new_valist, GError *, (GQuark, gint, const gchar *, va_list))

#define GIO_MAP(X)                                                                           \
	X(g_task_new, GTask *, (gpointer, GCancellable *, GAsyncReadyCallback, gpointer))        \
	X(g_task_set_name, void, (GTask *, const gchar *))                                       \
	X(g_task_get_name, const gchar *, (GTask *))                                             \
	X(g_task_get_context, GMainContext *, (GTask *))                                         \
	X(g_task_get_cancellable, GCancellable *, (GTask *))                                     \
	X(g_task_run_in_thread, void, (GTask *, GTaskThreadFunc))                                \
	X(g_task_run_in_thread_sync, void, (GTask *, GTaskThreadFunc))                           \
	X(g_task_return_error, void, (GTask *, GError *))                                        \
	X(g_task_return_pointer, void, (GTask *, gpointer, GDestroyNotify))                      \
	X(g_task_return_boolean, void, (GTask *, gboolean))                                      \
	X(g_task_return_int, void, (GTask *, gssize))                                            \
	X(g_task_return_value, void, (GTask *, GValue *))                                        \
	X(g_task_return_error_if_cancelled, gboolean, (GTask *))                                 \
	X(g_task_propagate_pointer, gpointer, (GTask *, GError **))                              \
	X(g_task_propagate_boolean, gboolean, (GTask *, GError **))                              \
	X(g_task_propagate_int, gssize, (GTask *, GError **))                                    \
	X(g_task_propagate_value, gboolean, (GTask *, GValue *, GError **))                      \
	X(g_task_had_error, gboolean, (GTask *))                                                 \
	X(g_async_result_get_user_data, gpointer, (GAsyncResult *))                              \
	X(g_cancellable_cancel, void, (GCancellable *))                                          \
	X(g_cancellable_is_cancelled, gboolean, (GCancellable *))                                \
	X(g_cancellable_set_error_if_cancelled, gboolean, (GCancellable *, GError **))           \
	X(g_io_error_quark, GQuark, (void))                                                      \
	X(g_object_weak_ref, void, (GObject *, GWeakNotify, gpointer))

#define FIELD(name, ret, params) ret(*name) params;
static struct {
	GLIB_MAP(FIELD)
	GIO_MAP(FIELD)
	const GSourceFuncs *idle_funcs;
} real;
#undef FIELD

static pthread_once_t glib_once = PTHREAD_ONCE_INIT, gio_once = PTHREAD_ONCE_INIT;

/* Whether `sym` lies in this library. */
static bool is_ours(const void *sym)
{
	Dl_info a, b;

	return sym && dladdr(sym, &a) && dladdr((const void *)&real, &b) &&
	       a.dli_fbase == b.dli_fbase;
}

/* The next definition of `name` after this library: the global scope first,
 * then the library `soname` if it is loaded at all (a plugin dlopen'ed
 * RTLD_LOCAL brings GLib in out of RTLD_NEXT's reach, yet its calls reach
 * the probe, which is in the global scope). */
static void *next_sym(const char *soname, const char *name)
{
	void *p = dlsym(RTLD_NEXT, name), *h;

	if (p && !is_ours(p))
		return p;
	h = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return NULL;
	p = dlsym(h, name);
	dlclose(h); /* NOLOAD: only drops the reference it took */
	return p && !is_ours(p) ? p : NULL;
}

static void glib_init(void)
{
#define RESOLVE(name, ret, params) \
	real.name = (ret(*) params)next_sym("libglib-2.0.so.0", #name);
	GLIB_MAP(RESOLVE)
#undef RESOLVE
	real.idle_funcs = next_sym("libglib-2.0.so.0", "g_idle_funcs");
}

static void gio_init(void)
{
#define RESOLVE(name, ret, params) \
	real.name = (ret(*) params)next_sym("libgio-2.0.so.0", #name);
	GIO_MAP(RESOLVE)
#undef RESOLVE
	if (!real.g_object_weak_ref)
		real.g_object_weak_ref = next_sym("libgobject-2.0.so.0", "g_object_weak_ref");
}

/* A call of library X can only come from code linked with X, so X is
 * loaded when its first wrapper runs: resolve then, not at load.  A GLib
 * wrapper that calls into GIO (a push on GIO's GTask pool) must make GIO
 * ready itself: a GIO program may never call one of the GIO wrappers at all
 * (GIO binds its calls into itself directly, and a Python program calls GIO
 * through pointers from g_module_symbol, not through the PLT). */
static inline void glib_ready(void)
{
	pthread_once(&glib_once, glib_init);
}

static inline void gio_ready(void)
{
	glib_ready();
	pthread_once(&gio_once, gio_init);
}

/* A wrapper whose real function is missing cannot forward: say so once. */
static void missing(const char *name)
{
	static int said;

	if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		fprintf(stderr, "weft: glib probe: cannot find GLib's %s: call dropped\n", name);
}
#define REAL(name, ...) \
	(real.name ? real.name(__VA_ARGS__) : (missing(#name), (__typeof__(real.name(__VA_ARGS__)))0))
#define REAL_VOID(name, ...)                  \
	do {                                  \
		if (real.name)                \
			real.name(__VA_ARGS__); \
		else                          \
			missing(#name);       \
	} while (0)

/* Whether a session listens: the one enable check of the disabled path. */
static inline bool probe_on(void)
{
	return WEFT_ENABLED(task_submit) || WEFT_ENABLED(task_new) || WEFT_ENABLED(task_end);
}

static int gio_tasks_unseen; /* GTasks made inside GIO: results not seen */
static int ever_on;

__attribute__((destructor)) static void probe_dtor(void)
{
	int n = __atomic_load_n(&gio_tasks_unseen, __ATOMIC_RELAXED);

	if (n && __atomic_load_n(&ever_on, __ATOMIC_RELAXED))
		fprintf(stderr,
			"weft: glib probe: %d GTask%s made inside GIO (g_file_*_async, ...): their "
			"g_task_return_* and g_task_propagate_* calls are not seen: recorded as ended "
			"ok, never observed (docs/probes.md)\n",
			n, n == 1 ? " was" : "s were");
}

/* The exported symbol at `fn` exactly, or NULL (a static function, or an
 * executable built without --export-dynamic). */
static const char *sym_name(const void *fn)
{
	Dl_info i;

	return fn && dladdr(fn, &i) && i.dli_sname && i.dli_saddr == fn ? i.dli_sname : NULL;
}

static bool in_libgio(const void *fn)
{
	Dl_info i;

	return fn && dladdr(fn, &i) && i.dli_fname && strstr(i.dli_fname, "libgio-2.0");
}

/* ---- a sharded table of nodes keyed by pointer --------------------------------- */

struct node {
	const void *key;
	struct node *next;
};

#define SHARDS 32
#define BUCKETS 64

struct ptab {
	pthread_mutex_t lock[SHARDS];
	struct node *b[SHARDS][BUCKETS];
};
#define PTAB_INIT { { [0 ... SHARDS - 1] = PTHREAD_MUTEX_INITIALIZER }, { { 0 } } }

static inline size_t ptr_hash(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p;

	h ^= h >> 17;
	h *= 0xed5ad4bbu;
	h ^= h >> 11;
	return (size_t)h;
}

static void ptab_put(struct ptab *t, struct node *n)
{
	size_t h = ptr_hash(n->key), s = h % SHARDS;
	struct node **b = &t->b[s][(h / SHARDS) % BUCKETS];

	pthread_mutex_lock(&t->lock[s]);
	n->next = *b;
	*b = n;
	pthread_mutex_unlock(&t->lock[s]);
}

/* The node of `key` (the oldest one if `oldest`: nodes go in at the head),
 * also matching `match` if given; removed if `take`.  NULL if none. */
static struct node *ptab_get(struct ptab *t, const void *key, bool take, bool oldest,
			     bool (*match)(const struct node *, const void *), const void *arg)
{
	size_t h = ptr_hash(key), s = h % SHARDS;
	struct node **pp, *n, **found = NULL;

	pthread_mutex_lock(&t->lock[s]);
	for (pp = &t->b[s][(h / SHARDS) % BUCKETS]; (n = *pp); pp = &n->next)
		if (n->key == key && (!match || match(n, arg))) {
			found = pp;
			if (!oldest)
				break;
		}
	n = found ? *found : NULL;
	if (n && take)
		*found = n->next;
	pthread_mutex_unlock(&t->lock[s]);
	return n;
}

static bool is_node(const struct node *n, const void *arg)
{
	return n == arg;
}

/* Removes exactly node n (if still in the table). */
static void ptab_remove(struct ptab *t, struct node *n)
{
	ptab_get(t, n->key, true, false, is_node, n);
}

/* ---- loop contexts: one per GMainContext --------------------------------------- */

#define MAX_LOOPS 16

static struct loop_slot {
	GMainContext *mc;
	uint64_t id;
	int state; /* 0 free, 1 being filled, 2 ready */
} loops[MAX_LOOPS];

/* The loop context of `mc` (NULL: the global default), announced on first
 * use; 0 beyond MAX_LOOPS contexts ("wherever"). */
static uint64_t loop_id(GMainContext *mc)
{
	GMainContext *def = REAL(g_main_context_default);

	if (!mc)
		mc = def;
	for (int i = 0; i < MAX_LOOPS; i++) {
		struct loop_slot *s = &loops[i];
		int st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE), expect = 0;

		if (st == 2) {
			if (s->mc == mc)
				return s->id;
			continue;
		}
		if (st == 0 && __atomic_compare_exchange_n(&s->state, &expect, 1, false,
							   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			char name[32];

			s->mc = mc;
			s->id = weft_id_new();
			if (mc == def)
				snprintf(name, sizeof name, "main");
			else
				snprintf(name, sizeof name, "gmaincontext-%d", i + 1);
			weft_context_new(s->id, WEFT_CTX_LOOP, name, 1);
			__atomic_store_n(&s->state, 2, __ATOMIC_RELEASE);
			return s->id;
		}
		while (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == 1)
			;
		if (s->mc == mc)
			return s->id;
	}
	return 0;
}

/* What this thread runs now (a pool or loop context, 0 none) and the loop
 * context it was last seen serving. */
static _Thread_local uint64_t tls_running, tls_loop, tls_pool;

static uint64_t here_ctx(void)
{
	return tls_running ? tls_running : tls_loop;
}

/* The thread dispatches for loop context ctx: it serves it from now on. */
static void loop_enter(uint64_t ctx)
{
	if (ctx && tls_loop != ctx) {
		if (tls_loop)
			weft_worker_state(tls_loop, WEFT_WORKER_STOP);
		weft_worker_state(ctx, WEFT_WORKER_START);
		tls_loop = ctx;
	}
}

/* ---- pool contexts: one per GThreadPool ------------------------------------------- */

/*
 * GLib calls pool->func(data, pool->user_data): the function has no pointer
 * to the pool.  So each traced pool gets its own trampoline, one of
 * MAX_POOLS generated below, which knows its slot; pool->user_data stays the
 * program's.  A slot is reused only after g_thread_pool_free(pool, _, TRUE)
 * returned (no worker can be in it any more); one freed without waiting is
 * retired.  Beyond MAX_POOLS pools a pool runs untraced.
 */
#define MAX_POOLS 64

static struct pool_slot {
	GThreadPool *pool;
	GFunc func;
	uint64_t ctx;
	int state; /* 0 free, 1 claimed, 2 live, 3 retired */
	int announced; /* 0 no, 1 being announced, 2 done */
	bool gtask; /* GIO's GTask pool: its items are GTasks */
	uint32_t workers, queued, busy;
	uint64_t last_sample;
	char name[96], task_name[80];
} pools[MAX_POOLS];

static uint64_t pool_ctx(struct pool_slot *s)
{
	int expect = 0;

	if (__atomic_load_n(&s->announced, __ATOMIC_ACQUIRE) == 2)
		return s->ctx;
	if (__atomic_compare_exchange_n(&s->announced, &expect, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		weft_context_new(s->ctx, WEFT_CTX_POOL, s->name,
				 __atomic_load_n(&s->workers, __ATOMIC_RELAXED));
		__atomic_store_n(&s->announced, 2, __ATOMIC_RELEASE);
		return s->ctx;
	}
	while (__atomic_load_n(&s->announced, __ATOMIC_ACQUIRE) != 2)
		;
	return s->ctx;
}

/* pool_sample on every change of (queued, busy, workers), coalesced with one
 * exchange (two threads at once may emit out of order: the last sample may
 * be one change stale until the next). */
static void pool_sample(struct pool_slot *s)
{
	uint64_t ctx = pool_ctx(s);
	uint32_t q = __atomic_load_n(&s->queued, __ATOMIC_RELAXED);
	uint32_t b = __atomic_load_n(&s->busy, __ATOMIC_RELAXED);
	uint32_t w = __atomic_load_n(&s->workers, __ATOMIC_RELAXED);
	uint64_t packed = (uint64_t)(q & 0xffffff) << 40 | (uint64_t)(b & 0xfffff) << 20 |
			  (w & 0xfffff);

	if (!WEFT_ENABLED(pool_sample))
		return;
	if (__atomic_exchange_n(&s->last_sample, packed, __ATOMIC_RELAXED) == packed)
		return;
	weft_pool_sample(ctx, q, b, w);
}

static void count(uint32_t *n, int delta)
{
	if (delta > 0)
		__atomic_add_fetch(n, (uint32_t)delta, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(n, (uint32_t)-delta, __ATOMIC_RELAXED);
}

/* GLib's max_threads: -1 is unbounded, recorded as 0 workers. */
static uint32_t workers_of(gint max_threads)
{
	return max_threads < 0 ? 0 : (uint32_t)max_threads;
}

static void pool_run(int k, gpointer data, gpointer user_data);

#define TRAMP(k) \
	static void pool_tramp_##k(gpointer d, gpointer u) { pool_run(k, d, u); }
#define T8(a) TRAMP(a##0) TRAMP(a##1) TRAMP(a##2) TRAMP(a##3) TRAMP(a##4) TRAMP(a##5) \
	TRAMP(a##6) TRAMP(a##7)
T8(0) T8(1) T8(2) T8(3) T8(4) T8(5) T8(6) T8(7)
#undef T8
#undef TRAMP
#define P8(a) pool_tramp_##a##0, pool_tramp_##a##1, pool_tramp_##a##2, pool_tramp_##a##3, \
	pool_tramp_##a##4, pool_tramp_##a##5, pool_tramp_##a##6, pool_tramp_##a##7,
static const GFunc pool_tramps[MAX_POOLS] = { P8(0) P8(1) P8(2) P8(3) P8(4) P8(5) P8(6) P8(7) };
#undef P8

/* A slot for a pool about to be made with `func`, or -1. */
static int pool_claim(GFunc func, gint max_threads)
{
	for (int k = 0; k < MAX_POOLS; k++) {
		struct pool_slot *s = &pools[k];
		int expect = 0;

		if (!__atomic_compare_exchange_n(&s->state, &expect, 1, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		const char *sym = sym_name((const void *)func);
		Dl_info i;

		s->func = func;
		s->ctx = weft_id_new();
		s->announced = 0;
		s->queued = s->busy = 0;
		s->last_sample = UINT64_MAX;
		s->workers = workers_of(max_threads);
		s->gtask = !sym && in_libgio((const void *)func);
		if (sym)
			snprintf(s->name, sizeof s->name, "gthreadpool:%s", sym);
		else if (s->gtask)
			snprintf(s->name, sizeof s->name, "gthreadpool:gtask");
		else if (dladdr((const void *)func, &i) && i.dli_fname)
			snprintf(s->name, sizeof s->name, "gthreadpool:%s+0x%lx",
				 strrchr(i.dli_fname, '/') ? strrchr(i.dli_fname, '/') + 1
							   : i.dli_fname,
				 (unsigned long)((uintptr_t)func - (uintptr_t)i.dli_fbase));
		else
			snprintf(s->name, sizeof s->name, "gthreadpool:%p", (void *)func);
		snprintf(s->task_name, sizeof s->task_name, "%s", sym ? sym : "g_thread_pool_push");
		return k;
	}
	return -1;
}

/* The slot of a traced pool, or NULL: its func is one of the trampolines. */
static struct pool_slot *pool_of(GThreadPool *pool)
{
	for (int k = 0; pool && k < MAX_POOLS; k++)
		if (pool->func == pool_tramps[k] &&
		    __atomic_load_n(&pools[k].state, __ATOMIC_ACQUIRE) == 2 && pools[k].pool == pool)
			return &pools[k];
	return NULL;
}

/* ---- GTasks and GCancellables ------------------------------------------------------- */

struct gt {
	struct node n; /* key: the GTask */
	uint64_t task, cont, token, parent, loop_ctx, pool;
	GAsyncReadyCallback cb;
	gpointer cb_data;
	const char *cb_name;
	int announced;   /* 0 no, 1 being announced, 2 done */
	bool threaded;   /* run in a thread: it ends when its thread func returns */
	bool internal;   /* made inside GIO: its callback is not wrapped */
	bool ended, cont_scheduled, observed;
	enum weft_status status;
	int32_t err;
	char name[96], msg[WEFT_STR_MAX];
};

struct tok {
	struct node n; /* key: the GCancellable */
	uint64_t id;
};

static struct ptab gts = PTAB_INIT, toks = PTAB_INIT;

static struct gt *gt_find(const void *task)
{
	return task ? (struct gt *)ptab_get(&gts, task, false, false, NULL, NULL) : NULL;
}

static void tok_gone(gpointer data, GObject *where)
{
	struct tok *t = data;

	(void)where;
	ptab_remove(&toks, &t->n);
	free(t);
}

/* The token of cancellable c (made, with a weak reference that forgets it
 * when c is finalized, if `make`), 0 if none. */
static uint64_t token_of(GCancellable *c, bool make)
{
	struct tok *t;

	if (!c)
		return 0;
	t = (struct tok *)ptab_get(&toks, c, false, false, NULL, NULL);
	if (t || !make || !real.g_object_weak_ref)
		return t ? t->id : 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return 0;
	t->n.key = c;
	t->id = weft_id_new();
	weft_token_new_named(t->id, 0, "GCancellable");
	ptab_put(&toks, &t->n);
	real.g_object_weak_ref((GObject *)c, tok_gone, t);
	return t->id;
}

/* The task's task_new (and its callback's continuation), emitted once,
 * late enough to carry the name g_task_set_name / g_task_set_source_tag
 * gave it right after g_task_new. */
static void gt_announce(struct gt *g)
{
	int expect = 0;

	if (__atomic_load_n(&g->announced, __ATOMIC_ACQUIRE) == 2)
		return;
	if (!__atomic_compare_exchange_n(&g->announced, &expect, 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&g->announced, __ATOMIC_ACQUIRE) != 2)
			;
		return;
	}
	weft_task_new_at(g->task, g->parent, g->token, WEFT_TASK_TASK, g->name, "");
	if (g->cont) {
		weft_task_new_at(g->cont, g->parent, 0, WEFT_TASK_CONTINUATION, g->cb_name, "");
		weft_continuation_add(g->task, g->cont, g->loop_ctx);
	}
	__atomic_store_n(&g->announced, 2, __ATOMIC_RELEASE);
}

/* The GTask was finalized (a weak reference): a failed task nobody
 * propagated is released unread. */
static void gt_gone(gpointer data, GObject *where)
{
	struct gt *g = data;

	(void)where;
	ptab_remove(&gts, &g->n);
	if (__atomic_load_n(&g->announced, __ATOMIC_ACQUIRE) == 2 && g->ended &&
	    g->status == WEFT_STATUS_ERROR && !g->observed)
		weft_error_unobserved(g->task, g->err, g->msg);
	free(g);
}

static struct gt *gt_new(const void *task, uint64_t parent)
{
	struct gt *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->n.key = task;
	g->task = weft_id_new();
	g->parent = parent;
	return g;
}

/* ---- pool items --------------------------------------------------------------------- */

struct item {
	struct node n; /* key: the data pushed */
	int slot;
	uint64_t task;
	struct gt *gt; /* a GTask of the GTask pool (alive while the item is) */
	bool ended;    /* ended by its completion, inside its thread function */
	enum weft_status status;
	int32_t err;
	char msg[WEFT_STR_MAX];
};

static struct ptab items = PTAB_INIT;
static _Thread_local struct item *tls_item; /* the item this thread runs */

static bool item_in_slot(const struct node *n, const void *arg)
{
	return ((const struct item *)n)->slot == *(const int *)arg;
}

static void item_end(struct item *it)
{
	if (it->ended)
		return;
	it->ended = true;
	weft_task_end(it->task, it->status, it->err, it->status == WEFT_STATUS_OK ? NULL : it->msg);
}

static void pool_run(int k, gpointer data, gpointer user_data)
{
	struct pool_slot *s = &pools[k];
	GFunc fn = s->func;
	struct item *it, *prev_item;
	uint64_t ctx, prev_task, prev_running;

	/* the disabled path: nothing traced is queued on this pool */
	if (!__atomic_load_n(&s->queued, __ATOMIC_RELAXED) ||
	    !(it = (struct item *)ptab_get(&items, data, true, true, item_in_slot, &k))) {
		fn(data, user_data);
		return;
	}
	ctx = pool_ctx(s);
	count(&s->queued, -1);
	count(&s->busy, 1);
	pool_sample(s);
	if (tls_pool != ctx) { /* GLib moves idle threads between pools */
		if (tls_pool)
			weft_worker_state(tls_pool, WEFT_WORKER_STOP);
		weft_worker_state(ctx, WEFT_WORKER_START);
		tls_pool = ctx;
	}
	weft_task_start(it->task, ctx);
	prev_task = weft_current_task();
	prev_running = tls_running;
	prev_item = tls_item;
	weft_set_current_task(it->task);
	tls_running = ctx;
	tls_item = it;
	fn(data, user_data); /* a GTask may be finalized in here: it->gt is dead after */
	tls_item = prev_item;
	tls_running = prev_running;
	weft_set_current_task(prev_task);
	item_end(it);
	count(&s->busy, -1);
	pool_sample(s);
	free(it);
}

/* ---- GThreadPool ---------------------------------------------------------------------- */

static GThreadPool *pool_make(GFunc func, gpointer user_data, GDestroyNotify item_free,
			      gint max_threads, gboolean exclusive, GError **error, bool full)
{
	int k = func ? pool_claim(func, max_threads) : -1;
	GFunc f = k >= 0 ? pool_tramps[k] : func;
	GThreadPool *p = full ? REAL(g_thread_pool_new_full, f, user_data, item_free, max_threads,
				     exclusive, error)
			      : REAL(g_thread_pool_new, f, user_data, max_threads, exclusive, error);

	if (k < 0)
		return p;
	if (!p) {
		__atomic_store_n(&pools[k].state, 0, __ATOMIC_RELEASE);
		return p;
	}
	pools[k].pool = p;
	__atomic_store_n(&pools[k].state, 2, __ATOMIC_RELEASE);
	return p;
}

GThreadPool *g_thread_pool_new(GFunc func, gpointer user_data, gint max_threads,
			       gboolean exclusive, GError **error)
{
	glib_ready();
	return pool_make(func, user_data, NULL, max_threads, exclusive, error, false);
}

GThreadPool *g_thread_pool_new_full(GFunc func, gpointer user_data, GDestroyNotify item_free_func,
				    gint max_threads, gboolean exclusive, GError **error)
{
	glib_ready();
	return pool_make(func, user_data, item_free_func, max_threads, exclusive, error, true);
}

/* An item of GIO's GTask pool: the GTask itself (its g_task_new seen, or
 * one GIO made internally, traced from here on). */
static struct gt *gtask_item(struct pool_slot *s, GTask *task)
{
	struct gt *g = gt_find(task);
	GMainContext *mc;
	const char *name;

	if (g)
		return g;
	gio_ready(); /* the pool's function is libgio's: it is loaded */
	g = gt_new(task, weft_current_task());
	if (!g || !real.g_object_weak_ref) {
		free(g);
		return NULL;
	}
	g->internal = true;
	name = REAL(g_task_get_name, task);
	snprintf(g->name, sizeof g->name, "%s", name ? name : "GTask (GIO)");
	g->token = token_of(REAL(g_task_get_cancellable, task), true);
	mc = REAL(g_task_get_context, task);
	g->loop_ctx = loop_id(mc);
	g->cont = weft_id_new();
	g->cb_name = "GAsyncReadyCallback";
	g->pool = pool_ctx(s);
	__atomic_add_fetch(&gio_tasks_unseen, 1, __ATOMIC_RELAXED);
	ptab_put(&gts, &g->n);
	real.g_object_weak_ref((GObject *)task, gt_gone, g);
	return g;
}

gboolean g_thread_pool_push(GThreadPool *pool, gpointer data, GError **error)
{
	struct pool_slot *s;
	struct item *it;

	glib_ready();
	if (!probe_on() || !(s = pool_of(pool)) || !(it = calloc(1, sizeof(*it))))
		return REAL(g_thread_pool_push, pool, data, error);
	__atomic_store_n(&ever_on, 1, __ATOMIC_RELAXED);
	it->n.key = data;
	it->slot = (int)(s - pools);
	if (s->gtask && data && (it->gt = gtask_item(s, data))) {
		struct gt *g = it->gt;

		it->task = g->task;
		g->threaded = true;
		g->pool = pool_ctx(s);
		if (g->internal) {
			__atomic_store_n(&g->announced, 2, __ATOMIC_RELEASE);
			weft_task_submit_at(g->task, g->parent, g->token, WEFT_TASK_TASK, g->pool,
					    g->name, "");
			weft_task_new_at(g->cont, g->task, 0, WEFT_TASK_CONTINUATION, g->cb_name, "");
			weft_continuation_add(g->task, g->cont, g->loop_ctx);
		} else {
			gt_announce(g);
			weft_task_schedule(g->task, g->pool);
		}
	} else {
		it->task = weft_id_new();
		weft_task_submit_at(it->task, weft_current_task(), 0, WEFT_TASK_TASK, pool_ctx(s),
				    s->task_name, "");
	}
	ptab_put(&items, &it->n);
	count(&s->queued, 1);
	pool_sample(s);
	/* GLib queues the item even when it cannot start a thread for it */
	return REAL(g_thread_pool_push, pool, data, error);
}

gboolean g_thread_pool_set_max_threads(GThreadPool *pool, gint max_threads, GError **error)
{
	struct pool_slot *s;
	gboolean r;

	glib_ready();
	r = REAL(g_thread_pool_set_max_threads, pool, max_threads, error);
	if ((s = pool_of(pool))) {
		__atomic_store_n(&s->workers, workers_of(max_threads), __ATOMIC_RELAXED);
		if (probe_on() && __atomic_load_n(&s->announced, __ATOMIC_ACQUIRE) == 2)
			pool_sample(s);
	}
	return r;
}

void g_thread_pool_free(GThreadPool *pool, gboolean immediate, gboolean wait_)
{
	struct pool_slot *s;

	glib_ready();
	s = pool_of(pool);
	REAL_VOID(g_thread_pool_free, pool, immediate, wait_);
	if (s) /* no worker is in the trampoline once GLib waited for them */
		__atomic_store_n(&s->state, wait_ ? 0 : 3, __ATOMIC_RELEASE);
}

/* ---- runs on a main context: idle callbacks, invoke, attached idle sources --------------- */

struct shim {
	struct node n; /* key: the GSource, while waiting for g_source_attach */
	GSourceFunc func;
	gpointer data;
	GDestroyNotify notify;
	uint64_t task, ctx;      /* the pending run (0 none) and where it runs */
	const char *name;
	struct gt *gt;           /* a GTask's completion source (GIO's complete_in_idle_cb) */
	uint64_t cont;           /* ... whose callback is this continuation (internal GTasks) */
	pthread_t caller;        /* g_main_context_invoke: who called it ... */
	bool invoking;           /* ... while it has not returned yet */
};

static struct ptab srcs = PTAB_INIT;

/* GLib calls this with the shim as data: the program's function runs. */
static gboolean src_tramp(gpointer data)
{
	struct shim *sh = data;
	uint64_t task = sh->task, prev = weft_current_task(), prev_running = tls_running;
	gboolean again;

	if (sh->gt) { /* a GTask's completion: its callback is the continuation */
		uint64_t cont = sh->cont;

		sh->cont = 0;
		if (cont) {
			loop_enter(sh->ctx);
			weft_task_start(cont, sh->ctx);
			weft_set_current_task(cont);
			tls_running = sh->ctx;
		}
		again = sh->func(sh->data);
		if (cont) {
			tls_running = prev_running;
			weft_set_current_task(prev);
			weft_task_end(cont, WEFT_STATUS_OK, 0, NULL);
		}
		return again;
	}
	if (!task)
		return sh->func(sh->data);
	sh->task = 0;
	if (sh->invoking && pthread_equal(sh->caller, pthread_self()))
		weft_annotate(task, "g_main_context_invoke", "ran inline");
	else
		loop_enter(sh->ctx);
	weft_task_start(task, sh->ctx);
	weft_set_current_task(task);
	tls_running = sh->ctx;
	again = sh->func(sh->data);
	tls_running = prev_running;
	weft_set_current_task(prev);
	weft_task_end(task, WEFT_STATUS_OK, 0, NULL);
	if (again) { /* G_SOURCE_CONTINUE: it runs again, a new run queued */
		sh->task = weft_id_new();
		weft_task_submit_at(sh->task, task, 0, WEFT_TASK_TASK, sh->ctx, sh->name, "");
	}
	return again;
}

/* GLib releases the callback data (the source was destroyed, or its
 * callback replaced): a run still queued will never happen. */
static void src_notify(gpointer data)
{
	struct shim *sh = data;

	ptab_remove(&srcs, &sh->n);
	if (sh->task)
		weft_task_end(sh->task, WEFT_STATUS_CANCELED, 0, "source removed before it ran");
	if (sh->notify)
		sh->notify(sh->data);
	free(sh);
}

static struct shim *shim_new(GSourceFunc func, gpointer data, GDestroyNotify notify,
			     const char *name)
{
	struct shim *sh = calloc(1, sizeof(*sh));

	if (!sh)
		return NULL;
	sh->func = func;
	sh->data = data;
	sh->notify = notify;
	sh->name = name;
	return sh;
}

/* A run queued on main context mc now, from whatever this thread runs. */
static void shim_queue(struct shim *sh, GMainContext *mc)
{
	uint64_t from = here_ctx();

	sh->ctx = loop_id(mc);
	sh->task = weft_id_new();
	weft_task_new_at(sh->task, weft_current_task(), 0, WEFT_TASK_TASK, sh->name, "");
	if (from && from != sh->ctx)
		weft_marshal(sh->task, from, sh->ctx);
	weft_task_schedule(sh->task, sh->ctx);
}

guint g_idle_add_full(gint priority, GSourceFunc function, gpointer data, GDestroyNotify notify)
{
	struct shim *sh;

	glib_ready();
	if (!function || !probe_on() || !(sh = shim_new(function, data, notify, "g_idle_add")))
		return REAL(g_idle_add_full, priority, function, data, notify);
	shim_queue(sh, NULL);
	return REAL(g_idle_add_full, priority, src_tramp, sh, src_notify);
}

guint g_idle_add(GSourceFunc function, gpointer data)
{
	/* GLib's g_idle_add is exactly this call */
	return g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, function, data, NULL);
}

struct once {
	GSourceOnceFunc func;
	gpointer data;
};

static gboolean once_run(gpointer data)
{
	const struct once *o = data;

	o->func(o->data);
	return G_SOURCE_REMOVE;
}

/* g_idle_add_once (2.74) is g_idle_add_full with a function run once. */
guint g_idle_add_once(GSourceOnceFunc function, gpointer data)
{
	struct once *o;

	glib_ready();
	if (!function || !probe_on() || !(o = malloc(sizeof(*o))))
		return REAL(g_idle_add_once, function, data);
	o->func = function;
	o->data = data;
	return g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, once_run, o, free);
}

void g_main_context_invoke_full(GMainContext *context, gint priority, GSourceFunc function,
				gpointer data, GDestroyNotify notify)
{
	struct shim *sh;

	glib_ready();
	if (!function || !probe_on() ||
	    !(sh = shim_new(function, data, notify, "g_main_context_invoke"))) {
		REAL_VOID(g_main_context_invoke_full, context, priority, function, data, notify);
		return;
	}
	shim_queue(sh, context);
	sh->caller = pthread_self();
	sh->invoking = true;
	REAL_VOID(g_main_context_invoke_full, context, priority, src_tramp, sh, src_notify);
	/* sh may be freed by now (it ran inline and is done): not touched again */
}

void g_main_context_invoke(GMainContext *context, GSourceFunc function, gpointer data)
{
	g_main_context_invoke_full(context, G_PRIORITY_DEFAULT, function, data, NULL);
}

/*
 * Sources set up by hand (g_idle_source_new, g_source_set_callback,
 * g_source_attach), by the program or by libgio: only idle sources, whose
 * callbacks GLib calls as GSourceFunc(data) — other kinds cast other
 * signatures to GSourceFunc.  A GTask's completion (GIO attaches an idle
 * source with the GTask as data, from the thread that completed it) marks
 * the task's end and its continuation's marshal to the task's context.
 */
void g_source_set_callback(GSource *source, GSourceFunc func, gpointer data,
			   GDestroyNotify notify)
{
	struct shim *sh;
	struct gt *g;

	glib_ready();
	if (!source || !func || !probe_on() || !real.idle_funcs ||
	    source->source_funcs != real.idle_funcs || !(sh = shim_new(func, data, notify, NULL))) {
		REAL_VOID(g_source_set_callback, source, func, data, notify);
		return;
	}
	if (in_libgio((const void *)func) && (g = gt_find(data)))
		sh->gt = g;
	sh->name = "GSource";
	sh->n.key = source;
	REAL_VOID(g_source_set_callback, source, src_tramp, sh, src_notify);
	if (REAL(g_source_get_context, source)) /* already attached: queued now */
		shim_queue(sh, REAL(g_source_get_context, source));
	else
		ptab_put(&srcs, &sh->n);
}

guint g_source_attach(GSource *source, GMainContext *context)
{
	struct shim *sh;
	const char *name;

	glib_ready();
	if (!source || !probe_on() ||
	    !(sh = (struct shim *)ptab_get(&srcs, source, true, false, NULL, NULL)))
		return REAL(g_source_attach, source, context);
	if (sh->gt) {
		struct gt *g = sh->gt; /* alive: the source holds the task */
		struct item *it = tls_item;

		sh->ctx = g->loop_ctx ? g->loop_ctx : loop_id(context);
		if (it && it->gt == g) /* completed from its thread function: it ends now */
			item_end(it);
		if (g->cont && !g->cont_scheduled) {
			g->cont_scheduled = true;
			if (g->pool)
				weft_marshal(g->cont, g->pool, sh->ctx);
			weft_task_schedule(g->cont, sh->ctx);
		}
		if (g->internal)
			sh->cont = g->cont; /* its callback runs inside this source */
		return REAL(g_source_attach, source, context);
	}
	shim_queue(sh, context);
	if ((name = REAL(g_source_get_name, source)))
		weft_annotate(sh->task, "g_source_get_name", name);
	return REAL(g_source_attach, source, context);
}

/* ---- GTask ---------------------------------------------------------------------------- */

/* GLib calls the program's GAsyncReadyCallback through this: the task's
 * continuation runs on the task's context. */
static void cb_tramp(GObject *source, GAsyncResult *res, gpointer data)
{
	struct gt *g = data; /* alive: GIO holds the task while calling back */
	GAsyncReadyCallback cb = g->cb;
	gpointer cb_data = g->cb_data;
	uint64_t cont = __atomic_load_n(&g->announced, __ATOMIC_ACQUIRE) == 2 ? g->cont : 0;
	uint64_t ctx = g->loop_ctx, prev = weft_current_task(), prev_running = tls_running;

	if (cont) {
		if (!g->cont_scheduled) { /* returned on its own context: not queued */
			g->cont_scheduled = true;
			weft_task_schedule(cont, ctx);
		}
		loop_enter(ctx);
		weft_task_start(cont, ctx);
		weft_set_current_task(cont);
		tls_running = ctx;
	}
	cb(source, res, cb_data);
	if (cont) {
		tls_running = prev_running;
		weft_set_current_task(prev);
		weft_task_end(cont, WEFT_STATUS_OK, 0, NULL);
	}
}

GTask *g_task_new(gpointer source_object, GCancellable *cancellable,
		  GAsyncReadyCallback callback, gpointer callback_data)
{
	struct gt *g;
	GTask *task;
	const char *sym;

	gio_ready();
	if (!probe_on() || !real.g_object_weak_ref || !(g = gt_new(NULL, weft_current_task())))
		return REAL(g_task_new, source_object, cancellable, callback, callback_data);
	__atomic_store_n(&ever_on, 1, __ATOMIC_RELAXED);
	sym = sym_name((const void *)callback);
	snprintf(g->name, sizeof g->name, "GTask %s", sym ? sym : "");
	if (!sym)
		g->name[5] = '\0';
	g->token = token_of(cancellable, true);
	g->loop_ctx = loop_id(REAL(g_main_context_get_thread_default));
	if (callback) {
		g->cb = callback;
		g->cb_data = callback_data;
		g->cont = weft_id_new();
		g->cb_name = sym ? sym : "GAsyncReadyCallback";
	}
	task = REAL(g_task_new, source_object, cancellable, callback ? cb_tramp : NULL,
		    callback ? (gpointer)g : callback_data);
	if (!task) {
		free(g);
		return task;
	}
	g->n.key = task;
	ptab_put(&gts, &g->n);
	real.g_object_weak_ref((GObject *)task, gt_gone, g);
	return task;
}

void g_task_set_name(GTask *task, const gchar *name)
{
	struct gt *g;

	gio_ready();
	if (name && probe_on() && (g = gt_find(task)) &&
	    __atomic_load_n(&g->announced, __ATOMIC_ACQUIRE) == 0)
		snprintf(g->name, sizeof g->name, "%s", name);
	REAL_VOID(g_task_set_name, task, name);
}

/* The GAsyncResult's user data is the program's, not the shim. */
gpointer g_async_result_get_user_data(GAsyncResult *res)
{
	gpointer r;
	struct gt *g;

	gio_ready();
	r = REAL(g_async_result_get_user_data, res);
	if (r && (g = gt_find(res)) && r == (gpointer)g && g->cb)
		return g->cb_data;
	return r;
}

void g_task_run_in_thread(GTask *task, GTaskThreadFunc task_func)
{
	struct gt *g;

	gio_ready();
	if ((g = gt_find(task))) {
		g->threaded = true;
		gt_announce(g);
	}
	REAL_VOID(g_task_run_in_thread, task, task_func);
}

/* Blocks its caller until the thread function returns; the callback (if
 * any) is never called. */
void g_task_run_in_thread_sync(GTask *task, GTaskThreadFunc task_func)
{
	struct gt *g;
	uint64_t me = weft_current_task(), id = 0, cont = 0;

	gio_ready();
	if ((g = gt_find(task))) {
		g->threaded = true;
		gt_announce(g);
		id = g->task;
		cont = g->cont;
		weft_wait_begin(me, id, WEFT_WAIT_BLOCK);
	}
	REAL_VOID(g_task_run_in_thread_sync, task, task_func);
	if (id) {
		weft_wait_end(me, id, 0);
		if (cont)
			weft_task_end(cont, WEFT_STATUS_CANCELED, 0,
				      "not called: g_task_run_in_thread_sync");
	}
}

/* The program returns a result: recorded on the task (and on its pool item
 * if its thread function returns it); a task not run in a thread ends now,
 * before GIO may call its callback back from inside the return. */
static void gt_return(GTask *task, enum weft_status st, int32_t err, const char *msg)
{
	struct gt *g;
	struct item *it = tls_item;

	if (!probe_on() || !(g = gt_find(task)))
		return;
	gt_announce(g);
	if (g->ended)
		return; /* GIO ignores a second return too (it warns) */
	g->status = st;
	g->err = err;
	snprintf(g->msg, sizeof g->msg, "%s", msg ? msg : "");
	if (g->threaded) {
		g->ended = true;
		if (it && it->gt == g) {
			it->status = st;
			it->err = err;
			memcpy(it->msg, g->msg, sizeof it->msg);
		}
		return; /* it ends when its thread function returns */
	}
	g->ended = true;
	weft_task_end(g->task, st, err, st == WEFT_STATUS_OK ? NULL : g->msg);
}

static void error_status(const GError *e, enum weft_status *st, int32_t *err, char *msg,
			 size_t len)
{
	GQuark io = real.g_io_error_quark ? real.g_io_error_quark() : 0;
	const char *dom = e ? REAL(g_quark_to_string, e->domain) : NULL;

	*st = e && io && e->domain == io && e->code == G_IO_ERROR_CANCELLED ? WEFT_STATUS_CANCELED
									    : WEFT_STATUS_ERROR;
	*err = e ? -(int32_t)e->code : -1;
	snprintf(msg, len, "%s: %s", dom ? dom : "?", e && e->message ? e->message : "");
}

void g_task_return_error(GTask *task, GError *error)
{
	gio_ready();
	if (probe_on()) {
		enum weft_status st;
		int32_t err;
		char msg[WEFT_STR_MAX];

		error_status(error, &st, &err, msg, sizeof msg);
		gt_return(task, st, err, msg);
	}
	REAL_VOID(g_task_return_error, task, error);
}

/* GIO's g_task_return_new_error is g_error_new_valist then g_task_return_error. */
void g_task_return_new_error(GTask *task, GQuark domain, gint code, const char *format, ...)
{
	GError *e;
	va_list ap;

	gio_ready();
	va_start(ap, format);
	e = REAL(g_error_new_valist, domain, code, format, ap);
	va_end(ap);
	g_task_return_error(task, e);
}

void g_task_return_pointer(GTask *task, gpointer result, GDestroyNotify result_destroy)
{
	gio_ready();
	gt_return(task, WEFT_STATUS_OK, 0, NULL);
	REAL_VOID(g_task_return_pointer, task, result, result_destroy);
}

void g_task_return_boolean(GTask *task, gboolean result)
{
	gio_ready();
	gt_return(task, WEFT_STATUS_OK, 0, NULL);
	REAL_VOID(g_task_return_boolean, task, result);
}

void g_task_return_int(GTask *task, gssize result)
{
	gio_ready();
	gt_return(task, WEFT_STATUS_OK, 0, NULL);
	REAL_VOID(g_task_return_int, task, result);
}

void g_task_return_value(GTask *task, GValue *result)
{
	gio_ready();
	gt_return(task, WEFT_STATUS_OK, 0, NULL);
	REAL_VOID(g_task_return_value, task, result);
}

gboolean g_task_return_error_if_cancelled(GTask *task)
{
	GCancellable *c;

	gio_ready();
	if (probe_on() && (c = REAL(g_task_get_cancellable, task)) &&
	    REAL(g_cancellable_is_cancelled, c)) {
		struct gt *g = gt_find(task);

		if (g) {
			gt_announce(g);
			if (g->token)
				weft_cancel_observe(g->token, g->task);
			gt_return(task, WEFT_STATUS_CANCELED, -G_IO_ERROR_CANCELLED,
				  "g-io-error-quark: Operation was cancelled");
		}
	}
	return REAL(g_task_return_error_if_cancelled, task);
}

/* The program reads the task's outcome: a failure is observed. */
static void gt_observe(GTask *task)
{
	struct gt *g;

	if (!probe_on() || !(g = gt_find(task)))
		return;
	gt_announce(g);
	if (g->ended && g->status != WEFT_STATUS_OK && !g->observed) {
		g->observed = true;
		weft_error_observe(g->task);
	}
}

gpointer g_task_propagate_pointer(GTask *task, GError **error)
{
	gio_ready();
	gt_observe(task);
	return REAL(g_task_propagate_pointer, task, error);
}

gboolean g_task_propagate_boolean(GTask *task, GError **error)
{
	gio_ready();
	gt_observe(task);
	return REAL(g_task_propagate_boolean, task, error);
}

gssize g_task_propagate_int(GTask *task, GError **error)
{
	gio_ready();
	gt_observe(task);
	return REAL(g_task_propagate_int, task, error);
}

gboolean g_task_propagate_value(GTask *task, GValue *value, GError **error)
{
	gio_ready();
	gt_observe(task);
	return REAL(g_task_propagate_value, task, value, error);
}

gboolean g_task_had_error(GTask *task)
{
	gboolean r;

	gio_ready();
	r = REAL(g_task_had_error, task);
	if (r)
		gt_observe(task);
	return r;
}

/* ---- GCancellable ------------------------------------------------------------------------- */

void g_cancellable_cancel(GCancellable *cancellable)
{
	uint64_t tok;

	gio_ready();
	if (cancellable && probe_on() && (tok = token_of(cancellable, true)))
		weft_cancel_request(tok, "g_cancellable_cancel"); /* before the handlers run */
	REAL_VOID(g_cancellable_cancel, cancellable);
}

/* A task that finds its token cancelled observes the cancellation (once
 * per task and token on a thread: programs poll this in loops). */
static void cancel_seen(GCancellable *c)
{
	static _Thread_local uint64_t last_tok, last_task;
	uint64_t tok, task = weft_current_task();

	if (!task || !probe_on() || !(tok = token_of(c, false)))
		return;
	if (tok == last_tok && task == last_task)
		return;
	last_tok = tok;
	last_task = task;
	weft_cancel_observe(tok, task);
}

gboolean g_cancellable_is_cancelled(GCancellable *cancellable)
{
	gboolean r;

	gio_ready();
	r = REAL(g_cancellable_is_cancelled, cancellable);
	if (r)
		cancel_seen(cancellable);
	return r;
}

gboolean g_cancellable_set_error_if_cancelled(GCancellable *cancellable, GError **error)
{
	gboolean r;

	gio_ready();
	r = REAL(g_cancellable_set_error_if_cancelled, cancellable, error);
	if (r)
		cancel_seen(cancellable);
	return r;
}
