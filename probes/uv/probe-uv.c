/*
 * libweft-uv.so — traces an unmodified libuv program, loaded with LD_PRELOAD
 * (`weft record --probe uv -- CMD`).  It defines libuv's pool entry points
 * (uv_queue_work, the uv_fs_* requests, uv_getaddrinfo, uv_getnameinfo,
 * uv_random, uv_cancel, uv_run),
 * so that the program's calls reach it first; each forwards to the real
 * function of the shared libuv.so.1, found once with dlsym(RTLD_NEXT).
 *
 * The model (DESIGN.md section 3): libuv's one thread pool is a pool context
 * "uv-threadpool" of UV_THREADPOOL_SIZE workers (default 4); each uv_loop_t
 * is a loop context.  A request is a task submitted to the pool; the
 * callback libuv runs on the loop thread afterwards (after_work_cb, the fs or
 * getaddrinfo callback) is a continuation of it, marshaled to the loop.
 * uv_queue_work's work_cb is seen running on its worker (start/end); the
 * work of the other requests runs inside libuv and is not seen, so those
 * tasks end when their callback runs.  UV_ECANCELED is a cancellation, any
 * other negative result an error.  docs/probes.md says what is not seen.
 *
 * To wrap a callback the probe passes its own to libuv and keeps the
 * program's in a side table keyed by the request's pointer (req->data is the
 * program's); the public callback fields of the request are restored before
 * the program's callback runs.  No lock is held across a program's callback,
 * nothing here aborts, and every call returns what libuv returned.  While no
 * session listens, a call costs one enable check and goes straight to libuv
 * with the program's own callbacks.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "weft/weft.h"

/* ---- the real functions --------------------------------------------------- */

#define FS_MAP(X)                                                                   \
	X(open, (uv_loop_t *loop, uv_fs_t *req, const char *path, int flags, int mode, \
		 uv_fs_cb cb), (loop, req, path, flags, mode, CB))                     \
	X(close, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),           \
	  (loop, req, file, CB))                                                       \
	X(read, (uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[],   \
		 unsigned int nbufs, int64_t offset, uv_fs_cb cb),                     \
	  (loop, req, file, bufs, nbufs, offset, CB))                                  \
	X(write, (uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[],  \
		  unsigned int nbufs, int64_t offset, uv_fs_cb cb),                    \
	  (loop, req, file, bufs, nbufs, offset, CB))                                  \
	X(stat, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),        \
	  (loop, req, path, CB))                                                       \
	X(lstat, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),       \
	  (loop, req, path, CB))                                                       \
	X(fstat, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),           \
	  (loop, req, file, CB))                                                       \
	X(unlink, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),      \
	  (loop, req, path, CB))                                                       \
	X(mkdir, (uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,           \
		  uv_fs_cb cb), (loop, req, path, mode, CB))                           \
	X(rmdir, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),       \
	  (loop, req, path, CB))                                                       \
	X(rename, (uv_loop_t *loop, uv_fs_t *req, const char *path,                   \
		   const char *new_path, uv_fs_cb cb), (loop, req, path, new_path, CB)) \
	X(scandir, (uv_loop_t *loop, uv_fs_t *req, const char *path, int flags,        \
		    uv_fs_cb cb), (loop, req, path, flags, CB))                        \
	X(readlink, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),    \
	  (loop, req, path, CB))                                                       \
	X(realpath, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),    \
	  (loop, req, path, CB))                                                       \
	X(fsync, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),           \
	  (loop, req, file, CB))

typedef int (*queue_work_fn)(uv_loop_t *, uv_work_t *, uv_work_cb, uv_after_work_cb);
typedef int (*cancel_fn)(uv_req_t *);
typedef int (*run_fn)(uv_loop_t *, uv_run_mode);
typedef const char *(*err_name_fn)(int);
typedef int (*getnameinfo_fn)(uv_loop_t *, uv_getnameinfo_t *, uv_getnameinfo_cb,
			      const struct sockaddr *, int);
typedef int (*random_fn)(uv_loop_t *, uv_random_t *, void *, size_t, unsigned, uv_random_cb);
typedef int (*getaddrinfo_fn)(uv_loop_t *, uv_getaddrinfo_t *, uv_getaddrinfo_cb,
			      const char *, const char *, const struct addrinfo *);
#define FS_TYPEDEF(name, params, args) typedef int (*fs_##name##_fn) params;
FS_MAP(FS_TYPEDEF)
#undef FS_TYPEDEF

static struct {
	queue_work_fn queue_work;
	cancel_fn cancel;
	run_fn run;
	err_name_fn err_name;
	getaddrinfo_fn getaddrinfo;
	getnameinfo_fn getnameinfo;
	random_fn random;
#define FS_FIELD(name, params, args) fs_##name##_fn fs_##name;
	FS_MAP(FS_FIELD)
#undef FS_FIELD
} real;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool interposed; /* set once by probe_init: the real libuv was found */
static uint32_t pool_workers = 4;

/* Whether a session listens: the one enable check of the disabled path. */
static inline bool probe_on(void)
{
	return WEFT_ENABLED(task_submit) || WEFT_ENABLED(task_new) || WEFT_ENABLED(task_end);
}

static void *next_sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* libuv's own rule (src/threadpool.c): UV_THREADPOOL_SIZE, 0 counts as 1,
 * at most 1024; 4 by default. */
static uint32_t threadpool_size(void)
{
	const char *v = getenv("UV_THREADPOOL_SIZE");
	long n;

	if (!v || !*v)
		return 4;
	n = strtol(v, NULL, 10);
	if (n <= 0)
		return 1;
	return n > 1024 ? 1024 : (uint32_t)n;
}

/* Whether `sym` (an address) lies in this library: the definition the
 * program's calls reach, when it is ours. */
static bool is_ours(const void *sym)
{
	Dl_info a, b;

	return sym && dladdr(sym, &a) && dladdr((const void *)&interposed, &b) &&
	       a.dli_fbase == b.dli_fbase;
}

static void probe_init(void)
{
	void *first = dlsym(RTLD_DEFAULT, "uv_queue_work");

	real.queue_work = (queue_work_fn)next_sym("uv_queue_work");
	real.cancel = (cancel_fn)next_sym("uv_cancel");
	real.run = (run_fn)next_sym("uv_run");
	real.err_name = (err_name_fn)next_sym("uv_err_name");
	real.getaddrinfo = (getaddrinfo_fn)next_sym("uv_getaddrinfo");
	real.getnameinfo = (getnameinfo_fn)next_sym("uv_getnameinfo");
	real.random = (random_fn)next_sym("uv_random");
#define FS_RESOLVE(name, params, args) real.fs_##name = (fs_##name##_fn)next_sym("uv_fs_" #name);
	FS_MAP(FS_RESOLVE)
#undef FS_RESOLVE
	/* Interposed when the program's calls reach this library (nothing
	 * before it, such as a statically linked libuv in the executable,
	 * defines the symbols) and a shared libuv follows it. */
	interposed = real.queue_work && is_ours(first);
	if (!interposed)
		fputs("weft: probe loaded, libuv not interposed\n", stderr);
}

static inline void probe_ready(void)
{
	pthread_once(&init_once, probe_init);
}

__attribute__((constructor)) static void probe_ctor(void)
{
	probe_ready();
}

/* ---- contexts -------------------------------------------------------------- */

static uint64_t pool_ctx;
static int pool_announced; /* 0 none, 1 being announced, 2 done */

/* The pool's id, announced (context_new) by the first traced request. */
static uint64_t pool_id(void)
{
	int expect = 0;

	if (__atomic_load_n(&pool_announced, __ATOMIC_ACQUIRE) == 2)
		return pool_ctx;
	if (__atomic_compare_exchange_n(&pool_announced, &expect, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		uint64_t id = weft_id_new();

		/* read when libuv reads it: at the pool's first request */
		__atomic_store_n(&pool_workers, threadpool_size(), __ATOMIC_RELAXED);
		weft_context_new(id, WEFT_CTX_POOL, "uv-threadpool", pool_workers);
		__atomic_store_n(&pool_ctx, id, __ATOMIC_RELAXED);
		__atomic_store_n(&pool_announced, 2, __ATOMIC_RELEASE);
		return id;
	}
	while (__atomic_load_n(&pool_announced, __ATOMIC_ACQUIRE) != 2)
		; /* another thread is between two stores */
	return pool_ctx;
}

#define MAX_LOOPS 16

static struct loop_slot {
	uv_loop_t *loop;
	uint64_t id;
	int state; /* 0 free, 1 being filled, 2 ready */
} loops[MAX_LOOPS];

/* The loop context of `loop` (announced on first use), 0 when more than
 * MAX_LOOPS loops were seen ("wherever"). */
static uint64_t loop_id(uv_loop_t *loop)
{
	for (int i = 0; i < MAX_LOOPS; i++) {
		struct loop_slot *s = &loops[i];
		int st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE), expect = 0;

		if (st == 2) {
			if (s->loop == loop)
				return s->id;
			continue;
		}
		if (st == 0 && __atomic_compare_exchange_n(&s->state, &expect, 1, false,
							   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			char name[32];

			s->loop = loop;
			s->id = weft_id_new();
			snprintf(name, sizeof name, "uv-loop-%d", i + 1);
			weft_context_new(s->id, WEFT_CTX_LOOP, name, 1);
			__atomic_store_n(&s->state, 2, __ATOMIC_RELEASE);
			return s->id;
		}
		while (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == 1)
			;
		if (s->loop == loop)
			return s->id;
	}
	return 0;
}

/* ---- pool numbers ------------------------------------------------------------ */

/* What the probe can count: work submitted and not started, work running,
 * other requests in flight (their queued/running split is not seen: they
 * fill idle workers first, as libuv's FIFO queue does). */
static uint32_t n_queued_work, n_busy_work, n_inflight;
static uint64_t last_sample = UINT64_MAX;

static void pool_sample(void)
{
	uint64_t ctx = pool_id(); /* first: it fixes pool_workers */
	uint32_t q = __atomic_load_n(&n_queued_work, __ATOMIC_RELAXED);
	uint32_t b = __atomic_load_n(&n_busy_work, __ATOMIC_RELAXED);
	uint32_t f = __atomic_load_n(&n_inflight, __ATOMIC_RELAXED);
	uint32_t idle = b < pool_workers ? pool_workers - b : 0;
	uint32_t busy = b + (f < idle ? f : idle), queued = q + (f > idle ? f - idle : 0);
	uint64_t packed = (uint64_t)queued << 32 | busy;

	if (!WEFT_ENABLED(pool_sample))
		return;
	if (__atomic_exchange_n(&last_sample, packed, __ATOMIC_RELAXED) == packed)
		return; /* coalesced: unchanged */
	weft_pool_sample(ctx, queued, busy, pool_workers);
}

static void count(uint32_t *n, int delta)
{
	if (delta > 0)
		__atomic_add_fetch(n, (uint32_t)delta, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(n, (uint32_t)-delta, __ATOMIC_RELAXED);
}

/* ---- the side table: request pointer -> what the probe keeps ----------------------- */

struct pend {
	const void *req;
	struct pend *next;
	uint64_t task, cont, loop_ctx;
	const char *name;
	union {
		struct {
			uv_work_cb work;
			uv_after_work_cb after;
		} w;
		uv_fs_cb fs;
		uv_getaddrinfo_cb gai;
		uv_getnameinfo_cb gni;
		uv_random_cb rnd;
	} cb;
	bool is_work, started;
};

#define SHARDS 64
#define BUCKETS 64

static struct shard {
	pthread_mutex_t lock;
	struct pend *b[BUCKETS];
} shards[SHARDS] = { [0 ... SHARDS - 1] = { PTHREAD_MUTEX_INITIALIZER, { 0 } } };

static inline size_t req_hash(const void *req)
{
	uint64_t h = (uint64_t)(uintptr_t)req;

	h ^= h >> 17;
	h *= 0xed5ad4bbu;
	h ^= h >> 11;
	return (size_t)h;
}

static void pend_insert(struct pend *p)
{
	size_t h = req_hash(p->req);
	struct shard *s = &shards[h % SHARDS];
	struct pend **b = &s->b[(h / SHARDS) % BUCKETS];

	pthread_mutex_lock(&s->lock);
	p->next = *b;
	*b = p;
	pthread_mutex_unlock(&s->lock);
}

/* The entry of req (removed from the table if `take`), or NULL. */
static struct pend *pend_find(const void *req, bool take)
{
	size_t h = req_hash(req);
	struct shard *s = &shards[h % SHARDS];
	struct pend **pp, *p;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->b[(h / SHARDS) % BUCKETS]; (p = *pp); pp = &p->next)
		if (p->req == req) {
			if (take)
				*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return p;
}

/* A traced request: a task on the pool and its callback's continuation on
 * the loop (none when cb_name is NULL: no callback).  NULL when not traced
 * (no session, no memory). */
static struct pend *pend_new(uv_loop_t *loop, const void *req, const char *name,
			     const char *cb_name)
{
	struct pend *p;
	uint64_t parent;

	if (!interposed || !probe_on())
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->req = req;
	p->name = name;
	p->task = weft_id_new();
	p->cont = cb_name ? weft_id_new() : 0;
	p->loop_ctx = loop_id(loop);
	parent = weft_current_task();
	weft_task_submit_at(p->task, parent, 0, WEFT_TASK_TASK, pool_id(), name, "");
	if (p->cont) {
		weft_task_new_at(p->cont, parent, 0, WEFT_TASK_CONTINUATION, cb_name, "");
		weft_continuation_add(p->task, p->cont, p->loop_ctx);
	}
	pend_insert(p);
	return p;
}

/* libuv refused the request (its callback will never run). */
static void pend_refused(struct pend *p, int rc)
{
	pend_find(p->req, true);
	weft_task_end(p->task, WEFT_STATUS_ERROR, rc, "refused by libuv");
	weft_error_observe(p->task); /* returned to the caller */
	if (p->cont)
		weft_task_end(p->cont, WEFT_STATUS_CANCELED, UV_ECANCELED, "never run");
	free(p);
}

/* libuv's name of an error ("ENOENT"); resolved like the rest, so that the
 * probe never needs libuv to load (a process without libuv stays inert). */
static const char *err_name(int err)
{
	return real.err_name ? real.err_name(err) : "";
}

static enum weft_status status_of(int64_t result)
{
	return result == UV_ECANCELED ? WEFT_STATUS_CANCELED
	       : result < 0	      ? WEFT_STATUS_ERROR
				      : WEFT_STATUS_OK;
}

/* On the loop thread, before the program's callback: the request's task
 * ends (unless seen ending on its worker) and its continuation starts.  A
 * failure handed to the callback counts as observed (docs/probes.md). */
static void cont_post(const struct pend *p)
{
	if (!p->cont)
		return;
	weft_marshal(p->cont, pool_id(), p->loop_ctx);
	weft_task_schedule(p->cont, p->loop_ctx);
}

/* `ended`: the task's end and its continuation's post were seen on the
 * worker (uv_queue_work), so the loop's delay shows as queue wait. */
static void cont_begin(const struct pend *p, int64_t result, bool ended)
{
	enum weft_status st = status_of(result);
	int32_t err = result < 0 ? (int32_t)result : 0;

	if (!ended)
		weft_task_end(p->task, st, err, st == WEFT_STATUS_OK ? NULL : err_name(err));
	if (st == WEFT_STATUS_ERROR)
		weft_error_observe(p->task);
	if (!ended)
		cont_post(p);
	if (p->cont)
		weft_task_start(p->cont, p->loop_ctx);
}

static void cont_end(uint64_t cont, uint64_t prev)
{
	if (cont)
		weft_task_end(cont, WEFT_STATUS_OK, 0, NULL);
	weft_set_current_task(prev);
}

/* ---- uv_queue_work ------------------------------------------------------------ */

static _Thread_local bool worker_bound;

static void work_wrap(uv_work_t *req)
{
	struct pend *p = pend_find(req, false);
	uint64_t prev = weft_current_task(), ctx = pool_id();
	uv_work_cb cb;

	if (!p)
		return; /* cannot happen: an entry lives until its after callback */
	cb = p->cb.w.work;
	req->work_cb = cb;
	p->started = true;
	count(&n_queued_work, -1);
	count(&n_busy_work, 1);
	pool_sample();
	if (!worker_bound) {
		worker_bound = true;
		weft_worker_state(ctx, WEFT_WORKER_START);
	}
	weft_task_start(p->task, ctx);
	weft_set_current_task(p->task);
	cb(req);
	weft_set_current_task(prev);
	weft_task_end(p->task, WEFT_STATUS_OK, 0, NULL);
	cont_post(p); /* libuv posts the after callback to the loop now */
	count(&n_busy_work, -1);
	pool_sample();
}

static void after_wrap(uv_work_t *req, int status)
{
	struct pend *p = pend_find(req, true);
	uint64_t prev = weft_current_task(), cont;
	uv_after_work_cb cb;

	if (!p)
		return; /* cannot happen */
	cb = p->cb.w.after;
	req->work_cb = p->cb.w.work;
	req->after_work_cb = cb;
	if (!p->started) { /* canceled while queued */
		count(&n_queued_work, -1);
		pool_sample();
	}
	cont_begin(p, status, p->started);
	cont = p->cont;
	free(p);
	weft_set_current_task(cont);
	if (cb)
		cb(req, status);
	cont_end(cont, prev);
}

int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
		  uv_after_work_cb after_work_cb)
{
	struct pend *p;
	int rc;

	probe_ready();
	if (!real.queue_work)
		return UV_ENOSYS; /* unreachable: without libuv nobody calls this */
	p = work_cb ? pend_new(loop, req, "uv_queue_work", after_work_cb ? "after_work_cb" : NULL)
		    : NULL;
	if (!p)
		return real.queue_work(loop, req, work_cb, after_work_cb);
	p->is_work = true;
	p->cb.w.work = work_cb;
	p->cb.w.after = after_work_cb;
	count(&n_queued_work, 1);
	pool_sample();
	rc = real.queue_work(loop, req, work_wrap, after_wrap);
	if (rc < 0) {
		count(&n_queued_work, -1);
		pool_sample();
		pend_refused(p, rc);
	}
	return rc;
}

/* ---- fs requests and getaddrinfo ---------------------------------------------------- */

static void fs_wrap(uv_fs_t *req)
{
	struct pend *p = pend_find(req, true);
	uint64_t prev = weft_current_task(), cont;
	uv_fs_cb cb;

	if (!p)
		return; /* cannot happen */
	cb = p->cb.fs;
	req->cb = cb;
	count(&n_inflight, -1);
	pool_sample();
	cont_begin(p, req->result, false);
	cont = p->cont;
	free(p);
	weft_set_current_task(cont);
	cb(req);
	cont_end(cont, prev);
}

/* An async request (cb != NULL) about to be submitted: NULL if not traced. */
static struct pend *req_begin(uv_loop_t *loop, const void *req, const char *name,
			      const char *cb_name)
{
	struct pend *p = pend_new(loop, req, name, cb_name);

	if (p) {
		count(&n_inflight, 1);
		pool_sample();
	}
	return p;
}

static void req_submitted(struct pend *p, int rc)
{
	if (!p || rc >= 0)
		return;
	count(&n_inflight, -1);
	pool_sample();
	pend_refused(p, rc);
}

#define CB (p ? fs_wrap : cb)
#define FS_WRAP(name, params, args)                                                  \
	int uv_fs_##name params                                                      \
	{                                                                            \
		struct pend *p = NULL;                                               \
		int rc;                                                              \
                                                                                     \
		probe_ready();                                                       \
		if (!real.fs_##name)                                                 \
			return UV_ENOSYS;                                            \
		if (cb) {                                                            \
			p = req_begin(loop, req, "uv_fs_" #name, "uv_fs_" #name " cb"); \
			if (p)                                                       \
				p->cb.fs = cb;                                       \
		}                                                                    \
		rc = real.fs_##name args;                                            \
		if (p && rc < 0)                                                     \
			req->cb = cb; /* libuv stored ours before refusing */        \
		req_submitted(p, rc);                                                \
		return rc;                                                           \
	}
FS_MAP(FS_WRAP)
#undef FS_WRAP
#undef CB

static void gai_wrap(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct pend *p = pend_find(req, true);
	uint64_t prev = weft_current_task(), cont;
	uv_getaddrinfo_cb cb;

	if (!p)
		return; /* cannot happen */
	cb = p->cb.gai;
	count(&n_inflight, -1);
	pool_sample();
	cont_begin(p, status, false);
	cont = p->cont;
	free(p);
	weft_set_current_task(cont);
	cb(req, status, res);
	cont_end(cont, prev);
}

int uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb,
		   const char *node, const char *service, const struct addrinfo *hints)
{
	struct pend *p = NULL;
	int rc;

	probe_ready();
	if (!real.getaddrinfo)
		return UV_ENOSYS;
	if (cb) {
		p = req_begin(loop, req, "uv_getaddrinfo", "uv_getaddrinfo cb");
		if (p)
			p->cb.gai = cb;
	}
	rc = real.getaddrinfo(loop, req, p ? gai_wrap : cb, node, service, hints);
	req_submitted(p, rc);
	return rc;
}

static void gni_wrap(uv_getnameinfo_t *req, int status, const char *host, const char *service)
{
	struct pend *p = pend_find(req, true);
	uint64_t prev = weft_current_task(), cont;
	uv_getnameinfo_cb cb;

	if (!p)
		return; /* cannot happen */
	cb = p->cb.gni;
	count(&n_inflight, -1);
	pool_sample();
	cont_begin(p, status, false);
	cont = p->cont;
	free(p);
	weft_set_current_task(cont);
	cb(req, status, host, service);
	cont_end(cont, prev);
}

int uv_getnameinfo(uv_loop_t *loop, uv_getnameinfo_t *req, uv_getnameinfo_cb cb,
		   const struct sockaddr *addr, int flags)
{
	struct pend *p = NULL;
	int rc;

	probe_ready();
	if (!real.getnameinfo)
		return UV_ENOSYS;
	if (cb) {
		p = req_begin(loop, req, "uv_getnameinfo", "uv_getnameinfo cb");
		if (p)
			p->cb.gni = cb;
	}
	rc = real.getnameinfo(loop, req, p ? gni_wrap : cb, addr, flags);
	req_submitted(p, rc);
	return rc;
}

static void rnd_wrap(uv_random_t *req, int status, void *buf, size_t len)
{
	struct pend *p = pend_find(req, true);
	uint64_t prev = weft_current_task(), cont;
	uv_random_cb cb;

	if (!p)
		return; /* cannot happen */
	cb = p->cb.rnd;
	count(&n_inflight, -1);
	pool_sample();
	cont_begin(p, status, false);
	cont = p->cont;
	free(p);
	weft_set_current_task(cont);
	cb(req, status, buf, len);
	cont_end(cont, prev);
}

int uv_random(uv_loop_t *loop, uv_random_t *req, void *buf, size_t buflen, unsigned flags,
	      uv_random_cb cb)
{
	struct pend *p = NULL;
	int rc;

	probe_ready();
	if (!real.random)
		return UV_ENOSYS;
	if (cb) {
		p = req_begin(loop, req, "uv_random", "uv_random cb");
		if (p)
			p->cb.rnd = cb;
	}
	rc = real.random(loop, req, buf, buflen, flags, p ? rnd_wrap : cb);
	req_submitted(p, rc);
	return rc;
}

/* ---- uv_cancel, uv_run --------------------------------------------------------------- */

/*
 * The request (a token named "uv_cancel", its cancel_request) and the
 * outcome: 0, the request will end canceled (cancel_observe by its task,
 * whose callback then sees UV_ECANCELED); UV_EBUSY, it is running or done
 * and goes on (an annotation, not a cancel_observe: libuv told the caller).
 */
int uv_cancel(uv_req_t *req)
{
	struct pend *p;
	uint64_t task = 0, token;
	int rc;

	probe_ready();
	if (!real.cancel)
		return UV_ENOSYS;
	if (!interposed || !probe_on() || !req)
		return real.cancel(req);
	p = pend_find(req, false);
	if (p)
		task = p->task; /* the entry lives until the loop thread, ours, frees it */
	rc = real.cancel(req);
	if (!task)
		return rc;
	token = weft_id_new();
	weft_token_new_named(token, 0, "uv_cancel");
	weft_cancel_request(token, "uv_cancel");
	if (rc == 0)
		weft_cancel_observe(token, task);
	else
		weft_annotate(task, "uv_cancel", err_name(rc));
	return rc;
}

static _Thread_local uv_loop_t *bound_loop;
static _Thread_local int run_depth;

/* The thread running a loop serves its context while uv_run runs (a
 * UV_RUN_DEFAULT run ends the binding; NOWAIT/ONCE runs, often repeated,
 * keep it). */
int uv_run(uv_loop_t *loop, uv_run_mode mode)
{
	uint64_t ctx = 0;
	int rc;

	probe_ready();
	if (!real.run)
		return 0;
	if (!interposed || !probe_on() || run_depth)
		return real.run(loop, mode);
	ctx = loop_id(loop);
	if (ctx && bound_loop != loop) {
		weft_worker_state(ctx, WEFT_WORKER_START);
		bound_loop = loop;
	}
	run_depth++;
	rc = real.run(loop, mode);
	run_depth--;
	if (ctx && mode == UV_RUN_DEFAULT && bound_loop == loop) {
		weft_worker_state(ctx, WEFT_WORKER_STOP);
		bound_loop = NULL;
	}
	return rc;
}
