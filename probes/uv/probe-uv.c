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
#include <link.h>
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
	X(statfs, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),      \
	  (loop, req, path, CB))                                                       \
	X(unlink, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),      \
	  (loop, req, path, CB))                                                       \
	X(mkdir, (uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,           \
		  uv_fs_cb cb), (loop, req, path, mode, CB))                           \
	X(mkdtemp, (uv_loop_t *loop, uv_fs_t *req, const char *tpl, uv_fs_cb cb),      \
	  (loop, req, tpl, CB))                                                        \
	X(mkstemp, (uv_loop_t *loop, uv_fs_t *req, const char *tpl, uv_fs_cb cb),      \
	  (loop, req, tpl, CB))                                                        \
	X(rmdir, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),       \
	  (loop, req, path, CB))                                                       \
	X(rename, (uv_loop_t *loop, uv_fs_t *req, const char *path,                   \
		   const char *new_path, uv_fs_cb cb), (loop, req, path, new_path, CB)) \
	X(copyfile, (uv_loop_t *loop, uv_fs_t *req, const char *path,                 \
		     const char *new_path, int flags, uv_fs_cb cb),                    \
	  (loop, req, path, new_path, flags, CB))                                      \
	X(link, (uv_loop_t *loop, uv_fs_t *req, const char *path, const char *new_path, \
		 uv_fs_cb cb), (loop, req, path, new_path, CB))                        \
	X(symlink, (uv_loop_t *loop, uv_fs_t *req, const char *path,                  \
		    const char *new_path, int flags, uv_fs_cb cb),                     \
	  (loop, req, path, new_path, flags, CB))                                      \
	X(scandir, (uv_loop_t *loop, uv_fs_t *req, const char *path, int flags,        \
		    uv_fs_cb cb), (loop, req, path, flags, CB))                        \
	X(opendir, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),     \
	  (loop, req, path, CB))                                                       \
	X(readdir, (uv_loop_t *loop, uv_fs_t *req, uv_dir_t *dir, uv_fs_cb cb),        \
	  (loop, req, dir, CB))                                                        \
	X(closedir, (uv_loop_t *loop, uv_fs_t *req, uv_dir_t *dir, uv_fs_cb cb),       \
	  (loop, req, dir, CB))                                                        \
	X(readlink, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),    \
	  (loop, req, path, CB))                                                       \
	X(realpath, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb),    \
	  (loop, req, path, CB))                                                       \
	X(fsync, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),           \
	  (loop, req, file, CB))                                                       \
	X(fdatasync, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb),       \
	  (loop, req, file, CB))                                                       \
	X(ftruncate, (uv_loop_t *loop, uv_fs_t *req, uv_file file, int64_t offset,     \
		      uv_fs_cb cb), (loop, req, file, offset, CB))                     \
	X(sendfile, (uv_loop_t *loop, uv_fs_t *req, uv_file out_fd, uv_file in_fd,     \
		     int64_t in_offset, size_t length, uv_fs_cb cb),                   \
	  (loop, req, out_fd, in_fd, in_offset, length, CB))                           \
	X(access, (uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,          \
		   uv_fs_cb cb), (loop, req, path, mode, CB))                          \
	X(chmod, (uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,           \
		  uv_fs_cb cb), (loop, req, path, mode, CB))                           \
	X(fchmod, (uv_loop_t *loop, uv_fs_t *req, uv_file file, int mode,              \
		   uv_fs_cb cb), (loop, req, file, mode, CB))                          \
	X(utime, (uv_loop_t *loop, uv_fs_t *req, const char *path, double atime,       \
		  double mtime, uv_fs_cb cb), (loop, req, path, atime, mtime, CB))     \
	X(futime, (uv_loop_t *loop, uv_fs_t *req, uv_file file, double atime,          \
		   double mtime, uv_fs_cb cb), (loop, req, file, atime, mtime, CB))    \
	X(lutime, (uv_loop_t *loop, uv_fs_t *req, const char *path, double atime,      \
		   double mtime, uv_fs_cb cb), (loop, req, path, atime, mtime, CB))    \
	X(chown, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_uid_t uid,       \
		  uv_gid_t gid, uv_fs_cb cb), (loop, req, path, uid, gid, CB))         \
	X(fchown, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_uid_t uid,          \
		   uv_gid_t gid, uv_fs_cb cb), (loop, req, file, uid, gid, CB))        \
	X(lchown, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_uid_t uid,      \
		   uv_gid_t gid, uv_fs_cb cb), (loop, req, path, uid, gid, CB))

typedef int (*queue_work_fn)(uv_loop_t *, uv_work_t *, uv_work_cb, uv_after_work_cb);
typedef int (*cancel_fn)(uv_req_t *);
typedef int (*run_fn)(uv_loop_t *, uv_run_mode);
typedef const char *(*err_name_fn)(int);
typedef int (*getnameinfo_fn)(uv_loop_t *, uv_getnameinfo_t *, uv_getnameinfo_cb,
			      const struct sockaddr *, int);
typedef int (*random_fn)(uv_loop_t *, uv_random_t *, void *, size_t, unsigned, uv_random_cb);
typedef int (*getaddrinfo_fn)(uv_loop_t *, uv_getaddrinfo_t *, uv_getaddrinfo_cb,
			      const char *, const char *, const struct addrinfo *);
typedef int (*timer_start_fn)(uv_timer_t *, uv_timer_cb, uint64_t, uint64_t);
typedef int (*timer_stop_fn)(uv_timer_t *);
typedef int (*async_init_fn)(uv_loop_t *, uv_async_t *, uv_async_cb);
typedef int (*async_send_fn)(uv_async_t *);
typedef void (*close_fn)(uv_handle_t *, uv_close_cb);
typedef int (*is_active_fn)(const uv_handle_t *);
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
	timer_start_fn timer_start;
	timer_stop_fn timer_stop;
	async_init_fn async_init;
	async_send_fn async_send;
	close_fn close;
	is_active_fn is_active;
#define FS_FIELD(name, params, args) fs_##name##_fn fs_##name;
	FS_MAP(FS_FIELD)
#undef FS_FIELD
} real;

/*
 * Where libuv is.  probe_init (the constructor) decides at once when it can:
 * a libuv the program links is found with dlsym(RTLD_NEXT); an executable
 * that defines the symbols itself (libuv linked statically) is left alone.
 * A libuv that is not loaded yet (a Lua or Python module linking libuv,
 * opened later with dlopen, RTLD_LOCAL) is looked for again by the first
 * call that reaches the probe, by its soname: its caller has loaded it.
 */
enum { R_PENDING, R_INTERPOSED, R_INERT };
static int resolved = R_PENDING;
static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t pool_workers = 4;
/* libuv's executable text: a call whose return address lies in it is
 * libuv calling its own exported function (through the PLT). */
static uintptr_t uv_text_lo, uv_text_hi;

/* Whether a session listens: the one enable check of the disabled path. */
static inline bool probe_on(void)
{
	return WEFT_ENABLED(task_submit) || WEFT_ENABLED(task_new) || WEFT_ENABLED(task_end);
}

static inline bool interposed(void)
{
	return __atomic_load_n(&resolved, __ATOMIC_ACQUIRE) == R_INTERPOSED;
}

/* Whether the call returning to `ra` was made by libuv itself. */
static inline bool from_libuv(const void *ra)
{
	return (uintptr_t)ra - uv_text_lo < uv_text_hi - uv_text_lo;
}
#define CALLER_IS_LIBUV() from_libuv(__builtin_return_address(0))

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

	return sym && dladdr(sym, &a) && dladdr((const void *)&resolved, &b) &&
	       a.dli_fbase == b.dli_fbase;
}

/* dl_iterate_phdr: the executable segment holding `want` (libuv's text). */
static int text_of(struct dl_phdr_info *info, size_t size, void *want)
{
	uintptr_t w = (uintptr_t)want;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && w >= lo &&
		    w < lo + ph->p_memsz) {
			uv_text_lo = lo;
			uv_text_hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* The real functions from `h` (RTLD_NEXT or libuv's own handle). */
static void resolve_from(void *h)
{
	real.queue_work = (queue_work_fn)dlsym(h, "uv_queue_work");
	real.cancel = (cancel_fn)dlsym(h, "uv_cancel");
	real.run = (run_fn)dlsym(h, "uv_run");
	real.err_name = (err_name_fn)dlsym(h, "uv_err_name");
	real.getaddrinfo = (getaddrinfo_fn)dlsym(h, "uv_getaddrinfo");
	real.getnameinfo = (getnameinfo_fn)dlsym(h, "uv_getnameinfo");
	real.random = (random_fn)dlsym(h, "uv_random");
	real.timer_start = (timer_start_fn)dlsym(h, "uv_timer_start");
	real.timer_stop = (timer_stop_fn)dlsym(h, "uv_timer_stop");
	real.async_init = (async_init_fn)dlsym(h, "uv_async_init");
	real.async_send = (async_send_fn)dlsym(h, "uv_async_send");
	real.close = (close_fn)dlsym(h, "uv_close");
	real.is_active = (is_active_fn)dlsym(h, "uv_is_active");
#define FS_RESOLVE(name, params, args) real.fs_##name = (fs_##name##_fn)dlsym(h, "uv_fs_" #name);
	FS_MAP(FS_RESOLVE)
#undef FS_RESOLVE
}

static void probe_fork_child(void);
static void probe_fork_prepare(void);
static void probe_fork_parent(void);

/* One try; `last`: no later try will do better (a call reached the probe,
 * so its caller's libuv is loaded). */
static void probe_resolve(bool last)
{
	void *first, *h;

	pthread_mutex_lock(&resolve_lock);
	if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE) != R_PENDING)
		goto out;
	first = dlsym(RTLD_DEFAULT, "uv_queue_work");
	if (!is_ours(first)) { /* the executable defines libuv itself */
		__atomic_store_n(&resolved, R_INERT, __ATOMIC_RELEASE);
		fputs("weft: probe loaded, libuv not interposed\n", stderr);
		goto out;
	}
	if (dlsym(RTLD_NEXT, "uv_queue_work")) {
		resolve_from(RTLD_NEXT);
	} else if ((h = dlopen("libuv.so.1", RTLD_LAZY | RTLD_NOLOAD))) {
		resolve_from(h); /* kept open: the pointers stay valid */
	} else {
		if (last) {
			__atomic_store_n(&resolved, R_INERT, __ATOMIC_RELEASE);
			fputs("weft: probe loaded, libuv not interposed\n", stderr);
		}
		goto out;
	}
	if (!real.queue_work || !real.timer_start || !real.async_send || !real.close ||
	    !real.is_active || !dl_iterate_phdr(text_of, (void *)real.queue_work)) {
		__atomic_store_n(&resolved, R_INERT, __ATOMIC_RELEASE);
		fputs("weft: probe loaded, libuv not interposed\n", stderr);
		goto out;
	}
	pthread_atfork(probe_fork_prepare, probe_fork_parent, probe_fork_child);
	__atomic_store_n(&resolved, R_INTERPOSED, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&resolve_lock);
}

/* Before every call: libuv found (or given up on). */
static inline void probe_ready(void)
{
	if (__builtin_expect(__atomic_load_n(&resolved, __ATOMIC_ACQUIRE) == R_PENDING, 0))
		probe_resolve(true);
}

__attribute__((constructor)) static void probe_ctor(void)
{
	probe_resolve(false);
}

/* A process that never loaded libuv says so when it ends. */
__attribute__((destructor)) static void probe_dtor(void)
{
	if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE) == R_PENDING)
		fputs("weft: probe loaded, libuv not interposed\n", stderr);
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

/* ---- the loop thread's binding ------------------------------------------------------ */

static _Thread_local uint64_t bound_ctx; /* the loop context this thread serves */
static _Thread_local int run_depth;
static _Thread_local bool worker_bound;

/* A callback of a loop runs on the thread running it: that thread serves
 * the loop's context from now (also when uv_run began before the session,
 * or in a forked child). */
static void loop_bind(uint64_t ctx)
{
	if (ctx && bound_ctx != ctx) {
		weft_worker_state(ctx, WEFT_WORKER_START);
		bound_ctx = ctx;
	}
}

/* The context the calling thread serves: a loop, the pool, or 0. */
static uint64_t thread_ctx(void)
{
	if (bound_ctx)
		return bound_ctx;
	return worker_bound ? pool_id() : 0;
}

/* ---- the side table: request or handle pointer -> what the probe keeps ------------- */

enum pend_kind { P_WORK, P_FS, P_GAI, P_GNI, P_RND, P_TIMER, P_ASYNC, P_CLOSE };

struct pend {
	const void *key;
	struct pend *next;
	uint64_t task, cont, loop_ctx;
	uint64_t parent; /* timers: the task that started it (its runs' parent) */
	uint32_t sends;	 /* async: the sends the pending callback answers */
	enum pend_kind kind;
	union {
		struct {
			uv_work_cb work;
			uv_after_work_cb after;
		} w;
		uv_fs_cb fs;
		uv_getaddrinfo_cb gai;
		uv_getnameinfo_cb gni;
		uv_random_cb rnd;
		uv_timer_cb timer;
		uv_async_cb async;
		uv_close_cb close;
	} cb;
	bool started;
	bool stale; /* made before a fork, in the parent: no events in the child */
};

#define SHARDS 64
#define BUCKETS 64

static struct shard {
	pthread_mutex_t lock;
	struct pend *b[BUCKETS];
} shards[SHARDS] = { [0 ... SHARDS - 1] = { PTHREAD_MUTEX_INITIALIZER, { 0 } } };

/* Handles (timers, async) with an entry: uv_close looks only when some are. */
static uint32_t n_handles;

static inline size_t key_hash(const void *key)
{
	uint64_t h = (uint64_t)(uintptr_t)key;

	h ^= h >> 17;
	h *= 0xed5ad4bbu;
	h ^= h >> 11;
	return (size_t)h;
}

static inline struct shard *shard_of(const void *key)
{
	return &shards[key_hash(key) % SHARDS];
}

static inline struct pend **bucket_of(struct shard *s, const void *key)
{
	return &s->b[(key_hash(key) / SHARDS) % BUCKETS];
}

/* With s locked: the entry of key (unlinked if `take`), or NULL. */
static struct pend *pend_find_locked(struct shard *s, const void *key, bool take)
{
	struct pend **pp, *p;

	for (pp = bucket_of(s, key); (p = *pp); pp = &p->next)
		if (p->key == key) {
			if (take)
				*pp = p->next;
			break;
		}
	return p;
}

static void pend_insert(struct pend *p)
{
	struct shard *s = shard_of(p->key);
	struct pend **b = bucket_of(s, p->key);

	pthread_mutex_lock(&s->lock);
	p->next = *b;
	*b = p;
	pthread_mutex_unlock(&s->lock);
}

/* The entry of key (removed from the table if `take`), or NULL. */
static struct pend *pend_find(const void *key, bool take)
{
	struct shard *s = shard_of(key);
	struct pend *p;

	pthread_mutex_lock(&s->lock);
	p = pend_find_locked(s, key, take);
	pthread_mutex_unlock(&s->lock);
	return p;
}

/* A traced request: a task on the pool and its callback's continuation on
 * the loop (none when cb_name is NULL: no callback).  NULL when not traced
 * (no session, no memory). */
static struct pend *pend_new(uv_loop_t *loop, const void *req, enum pend_kind kind,
			     const char *name, const char *cb_name)
{
	struct pend *p;
	uint64_t parent;

	if (!interposed() || !probe_on())
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->key = req;
	p->kind = kind;
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
	pend_find(p->key, true);
	weft_task_end(p->task, WEFT_STATUS_ERROR, rc, "refused by libuv");
	weft_error_observe(p->task); /* returned to the caller */
	if (p->cont)
		weft_task_end(p->cont, WEFT_STATUS_CANCELED, UV_ECANCELED, "never run");
	free(p);
}

/* ---- fork ------------------------------------------------------------------------------ */

/*
 * A forked child is a new process: its own pool (libuv starts one in it),
 * its own contexts and counters.  The table is kept locked across fork()
 * so that the child gets it whole; in the child, entries made by the
 * parent become stale (their callbacks, if libuv ever runs them there, run
 * untraced) and handles keep their entries with no pending run.  The
 * child's lttng-ust needs liblttng-ust-fork.so preloaded (`weft record
 * --probe` does it).
 */
static void probe_fork_prepare(void)
{
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_lock(&shards[i].lock);
}

static void probe_fork_parent(void)
{
	for (int i = SHARDS - 1; i >= 0; i--)
		pthread_mutex_unlock(&shards[i].lock);
}

static void probe_fork_child(void)
{
	for (int i = 0; i < SHARDS; i++) {
		for (int j = 0; j < BUCKETS; j++)
			for (struct pend *p = shards[i].b[j]; p; p = p->next) {
				if (p->kind == P_TIMER || p->kind == P_ASYNC) {
					p->task = 0;
					p->parent = 0;
					p->sends = 0;
				} else {
					p->stale = true;
				}
			}
	}
	n_queued_work = n_busy_work = n_inflight = 0;
	last_sample = UINT64_MAX;
	pool_ctx = 0;
	pool_announced = 0;
	memset(loops, 0, sizeof loops);
	bound_ctx = 0;
	worker_bound = false;
	for (int i = SHARDS - 1; i >= 0; i--)
		pthread_mutex_unlock(&shards[i].lock);
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

	loop_bind(p->loop_ctx);
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

static void work_wrap(uv_work_t *req)
{
	struct pend *p = pend_find(req, false);
	uint64_t prev = weft_current_task(), ctx;
	uv_work_cb cb;

	if (!p)
		return; /* cannot happen: an entry lives until its after callback */
	cb = p->cb.w.work;
	req->work_cb = cb;
	if (p->stale) {
		cb(req);
		return;
	}
	ctx = pool_id();
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
	if (p->stale) {
		free(p);
		if (cb)
			cb(req, status);
		return;
	}
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
	p = work_cb && !CALLER_IS_LIBUV()
		    ? pend_new(loop, req, P_WORK, "uv_queue_work",
			       after_work_cb ? "after_work_cb" : NULL)
		    : NULL;
	if (!p)
		return real.queue_work(loop, req, work_cb, after_work_cb);
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

/* ---- fs requests, getaddrinfo, getnameinfo, random ---------------------------------------- */

static void fs_wrap(uv_fs_t *req)
{
	struct pend *p = pend_find(req, true);
	uint64_t prev = weft_current_task(), cont;
	uv_fs_cb cb;

	if (!p)
		return; /* cannot happen */
	cb = p->cb.fs;
	req->cb = cb;
	if (p->stale) {
		free(p);
		cb(req);
		return;
	}
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
static struct pend *req_begin(uv_loop_t *loop, const void *req, enum pend_kind kind,
			      const char *name, const char *cb_name)
{
	struct pend *p = pend_new(loop, req, kind, name, cb_name);

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

/* libuv's own calls (uv_fs_poll's stats, uv_fs_copyfile's opens, ...) go
 * straight through: the probe traces what the program asked for. */
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
		if (cb && !CALLER_IS_LIBUV()) {                                      \
			p = req_begin(loop, req, P_FS, "uv_fs_" #name,               \
				      "uv_fs_" #name " cb");                         \
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
	if (p->stale) {
		free(p);
		cb(req, status, res);
		return;
	}
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
	if (cb && !CALLER_IS_LIBUV()) {
		p = req_begin(loop, req, P_GAI, "uv_getaddrinfo", "uv_getaddrinfo cb");
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
	if (p->stale) {
		free(p);
		cb(req, status, host, service);
		return;
	}
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
	if (cb && !CALLER_IS_LIBUV()) {
		p = req_begin(loop, req, P_GNI, "uv_getnameinfo", "uv_getnameinfo cb");
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
	if (p->stale) {
		free(p);
		cb(req, status, buf, len);
		return;
	}
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
	if (cb && !CALLER_IS_LIBUV()) {
		p = req_begin(loop, req, P_RND, "uv_random", "uv_random cb");
		if (p)
			p->cb.rnd = cb;
	}
	rc = real.random(loop, req, buf, buflen, flags, p ? rnd_wrap : cb);
	req_submitted(p, rc);
	return rc;
}

/* ---- handles: timers, async, close ------------------------------------------------------ */

/*
 * A handle the program gave a callback to (uv_timer_start, uv_async_init)
 * while a session listened has an entry keyed by its pointer holding the
 * program's callback; libuv holds the probe's trampoline (timer_wrap,
 * async_wrap) in the handle's field until uv_close puts the program's back.
 * libuv itself never sees a callback of its own replaced: its internal
 * timers and async handles (uv_fs_poll's timer, the pool's wq_async) are
 * started by libuv, and calls from libuv's text pass straight through; so
 * does a trampoline handed back to uv_timer_start (uv_timer_again).
 */

/* A new handle entry; NULL without memory.  With s locked. */
static struct pend *handle_entry_locked(struct shard *s, const void *h, enum pend_kind kind)
{
	struct pend *p = pend_find_locked(s, h, false), **b;

	if (p) {
		p->kind = kind; /* a handle's memory reused without uv_close */
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->key = h;
	p->kind = kind;
	b = bucket_of(s, h);
	p->next = *b;
	*b = p;
	__atomic_add_fetch(&n_handles, 1, __ATOMIC_RELAXED);
	return p;
}

/* A run of a timer's callback that has not happened yet: a timer task. */
static uint64_t timer_task_new(uint64_t parent)
{
	uint64_t t = weft_id_new();

	weft_task_new_at(t, parent, 0, WEFT_TASK_TIMER, "uv_timer", "");
	return t;
}

static void timer_wrap(uv_timer_t *h)
{
	struct shard *s = shard_of(h);
	struct pend *p;
	uv_timer_cb cb;
	uint64_t task, parent, ctx = 0, prev = weft_current_task();
	bool on = probe_on();

	pthread_mutex_lock(&s->lock);
	p = pend_find_locked(s, h, false);
	if (!p || p->kind != P_TIMER) {
		pthread_mutex_unlock(&s->lock);
		return; /* cannot happen: the entry lives until uv_close */
	}
	cb = p->cb.timer;
	task = p->task;
	parent = p->parent;
	p->task = 0;
	pthread_mutex_unlock(&s->lock);
	if (on) {
		ctx = loop_id(h->loop);
		if (!task)
			task = timer_task_new(parent);
		loop_bind(ctx);
		weft_task_schedule(task, ctx); /* due now; its wait was the timeout */
		weft_task_start(task, ctx);
		weft_set_current_task(task);
	}
	cb(h);
	if (!on)
		return;
	weft_set_current_task(prev);
	weft_task_end(task, WEFT_STATUS_OK, 0, NULL);
	/* libuv rearmed a repeating timer before the callback: its next run
	 * (unless the callback stopped, restarted or closed it) */
	pthread_mutex_lock(&s->lock);
	p = pend_find_locked(s, h, false);
	if (p && p->kind == P_TIMER && !p->task && real.is_active((uv_handle_t *)h))
		p->task = timer_task_new(p->parent);
	pthread_mutex_unlock(&s->lock);
}

int uv_timer_start(uv_timer_t *h, uv_timer_cb cb, uint64_t timeout, uint64_t repeat)
{
	struct shard *s;
	struct pend *p;
	uint64_t old = 0;
	int rc;

	probe_ready();
	if (!real.timer_start)
		return UV_ENOSYS;
	if (!interposed() || !probe_on() || !cb || !h || cb == timer_wrap || CALLER_IS_LIBUV())
		return real.timer_start(h, cb, timeout, repeat);
	s = shard_of(h);
	pthread_mutex_lock(&s->lock);
	p = handle_entry_locked(s, h, P_TIMER);
	if (p) {
		old = p->task;
		p->cb.timer = cb;
		p->parent = weft_current_task();
		p->task = timer_task_new(p->parent);
	}
	pthread_mutex_unlock(&s->lock);
	if (!p)
		return real.timer_start(h, cb, timeout, repeat);
	if (old) /* restarted before it ran */
		weft_task_end(old, WEFT_STATUS_CANCELED, UV_ECANCELED, "uv_timer_start again");
	rc = real.timer_start(h, timer_wrap, timeout, repeat);
	if (rc < 0) {
		pthread_mutex_lock(&s->lock);
		old = p->task;
		p->task = 0;
		pthread_mutex_unlock(&s->lock);
		weft_task_end(old, WEFT_STATUS_ERROR, rc, "refused by libuv");
		weft_error_observe(old);
	}
	return rc;
}

/* The pending run of a timer or async handle ends canceled (`why`). */
static void handle_cancel_pending(uv_handle_t *h, const char *why)
{
	struct shard *s = shard_of(h);
	struct pend *p;
	uint64_t task = 0;

	pthread_mutex_lock(&s->lock);
	p = pend_find_locked(s, h, false);
	if (p && (p->kind == P_TIMER || p->kind == P_ASYNC)) {
		task = p->task;
		p->task = 0;
		p->sends = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (task)
		weft_task_end(task, WEFT_STATUS_CANCELED, UV_ECANCELED, why);
}

int uv_timer_stop(uv_timer_t *h)
{
	probe_ready();
	if (!real.timer_stop)
		return UV_ENOSYS;
	if (interposed() && probe_on() && h && __atomic_load_n(&n_handles, __ATOMIC_RELAXED) &&
	    !CALLER_IS_LIBUV())
		handle_cancel_pending((uv_handle_t *)h, "uv_timer_stop");
	return real.timer_stop(h);
}

static void async_wrap(uv_async_t *h)
{
	struct shard *s = shard_of(h);
	struct pend *p;
	uv_async_cb cb;
	uint64_t task, ctx, prev = weft_current_task();
	uint32_t sends;
	bool on = probe_on();

	pthread_mutex_lock(&s->lock);
	p = pend_find_locked(s, h, false);
	if (!p || p->kind != P_ASYNC) {
		pthread_mutex_unlock(&s->lock);
		return; /* cannot happen: the entry lives until uv_close */
	}
	cb = p->cb.async;
	task = p->task; /* libuv cleared its pending flag: later sends call again */
	sends = p->sends;
	p->task = 0;
	p->sends = 0;
	pthread_mutex_unlock(&s->lock);
	if (!on) {
		cb(h);
		return;
	}
	ctx = loop_id(h->loop);
	loop_bind(ctx);
	if (!task) { /* its send was not seen (made untraced, or raced) */
		task = weft_id_new();
		weft_task_new_at(task, 0, 0, WEFT_TASK_CONTINUATION, "uv_async cb", "");
		weft_task_schedule(task, ctx);
	}
	weft_task_start(task, ctx);
	if (sends > 1) {
		char v[48];

		snprintf(v, sizeof v, "%u sends, one callback", sends);
		weft_annotate(task, "coalesced", v);
	}
	weft_set_current_task(task);
	cb(h);
	weft_set_current_task(prev);
	weft_task_end(task, WEFT_STATUS_OK, 0, NULL);
}

int uv_async_init(uv_loop_t *loop, uv_async_t *h, uv_async_cb cb)
{
	struct shard *s;
	struct pend *p;
	int rc;

	probe_ready();
	if (!real.async_init)
		return UV_ENOSYS;
	if (!interposed() || !probe_on() || !cb || !h || cb == async_wrap || CALLER_IS_LIBUV())
		return real.async_init(loop, h, cb);
	s = shard_of(h);
	pthread_mutex_lock(&s->lock);
	p = handle_entry_locked(s, h, P_ASYNC);
	if (p) {
		p->cb.async = cb;
		p->task = 0;
		p->sends = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (!p)
		return real.async_init(loop, h, cb);
	rc = real.async_init(loop, h, async_wrap);
	if (rc < 0) {
		pthread_mutex_lock(&s->lock);
		p = pend_find_locked(s, h, true);
		pthread_mutex_unlock(&s->lock);
		if (p)
			__atomic_sub_fetch(&n_handles, 1, __ATOMIC_RELAXED);
		free(p);
	}
	return rc;
}

/*
 * Any thread: the first send since the callback last ran makes its task, a
 * continuation on the loop marshaled from the sender's context, a child of
 * the sender's task; later sends before the callback runs are coalesced
 * into it by libuv (counted, annotated on the run).  The events are emitted
 * under the shard lock, so that the loop thread cannot start the task
 * before it exists.
 */
int uv_async_send(uv_async_t *h)
{
	struct shard *s;
	struct pend *p;

	probe_ready();
	if (!real.async_send)
		return UV_ENOSYS;
	if (!interposed() || !probe_on() || !h || !__atomic_load_n(&n_handles, __ATOMIC_RELAXED) ||
	    CALLER_IS_LIBUV())
		return real.async_send(h);
	s = shard_of(h);
	pthread_mutex_lock(&s->lock);
	p = pend_find_locked(s, h, false);
	if (p && p->kind == P_ASYNC) {
		if (!p->task) {
			uint64_t ctx = loop_id(h->loop), from = thread_ctx();

			p->task = weft_id_new();
			weft_task_new_at(p->task, weft_current_task(), 0, WEFT_TASK_CONTINUATION,
					 "uv_async cb", "");
			if (from != ctx)
				weft_marshal(p->task, from, ctx);
			weft_task_schedule(p->task, ctx);
		}
		p->sends++;
	}
	pthread_mutex_unlock(&s->lock);
	return real.async_send(h);
}

static void close_wrap(uv_handle_t *h)
{
	struct pend *p = pend_find(h, true);
	uint64_t prev = weft_current_task(), cont, ctx;
	uv_close_cb cb;

	if (!p)
		return; /* cannot happen */
	__atomic_sub_fetch(&n_handles, 1, __ATOMIC_RELAXED);
	cb = p->cb.close;
	cont = p->stale ? 0 : p->cont;
	ctx = p->loop_ctx;
	free(p);
	h->close_cb = cb;
	if (!cont || !probe_on()) {
		cb(h);
		return;
	}
	loop_bind(ctx);
	weft_task_start(cont, ctx);
	weft_set_current_task(cont);
	cb(h); /* may free h */
	cont_end(cont, prev);
}

/*
 * The program closes a handle: a traced timer or async handle gets its
 * callback field back and its pending run ends canceled; a close callback
 * is a continuation queued on the loop (libuv runs it at the end of the
 * loop iteration), run with the probe's close_wrap in h->close_cb.
 */
void uv_close(uv_handle_t *h, uv_close_cb cb)
{
	struct shard *s;
	struct pend *p;
	uint64_t pending = 0, cont = 0, ctx = 0;
	bool on;

	probe_ready();
	if (!real.close)
		return;
	if (!interposed() || !h || CALLER_IS_LIBUV())
		return real.close(h, cb);
	on = probe_on();
	if (!on && !__atomic_load_n(&n_handles, __ATOMIC_RELAXED))
		return real.close(h, cb);
	s = shard_of(h);
	pthread_mutex_lock(&s->lock);
	p = __atomic_load_n(&n_handles, __ATOMIC_RELAXED) ? pend_find_locked(s, h, false) : NULL;
	if (p && p->kind == P_TIMER) {
		uv_timer_t *t = (uv_timer_t *)h;

		if (t->timer_cb == timer_wrap)
			t->timer_cb = p->cb.timer;
	} else if (p && p->kind == P_ASYNC) {
		uv_async_t *a = (uv_async_t *)h;

		if (a->async_cb == async_wrap)
			a->async_cb = p->cb.async;
	} else if (p) {
		p = NULL; /* a close already under way: libuv's to judge */
	}
	if (p) {
		pending = p->task;
		p->task = 0;
		p->sends = 0;
	}
	if (on && cb && !p) {
		p = handle_entry_locked(s, h, P_CLOSE);
	}
	if (p && on && cb) {
		ctx = loop_id(h->loop);
		p->kind = P_CLOSE;
		p->cb.close = cb;
		p->loop_ctx = ctx;
		p->stale = false;
		p->cont = cont = weft_id_new();
		weft_task_new_at(cont, weft_current_task(), 0, WEFT_TASK_CONTINUATION, "uv_close cb",
				 "");
		weft_task_schedule(cont, ctx);
	} else if (p) {
		pend_find_locked(s, h, true);
		__atomic_sub_fetch(&n_handles, 1, __ATOMIC_RELAXED);
		free(p);
		p = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (pending && on)
		weft_task_end(pending, WEFT_STATUS_CANCELED, UV_ECANCELED, "uv_close");
	real.close(h, cont ? close_wrap : cb);
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
	if (!interposed() || !probe_on() || !req)
		return real.cancel(req);
	p = pend_find(req, false);
	if (p && !p->stale && p->kind <= P_RND)
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
	if (!interposed() || !probe_on() || run_depth)
		return real.run(loop, mode);
	ctx = loop_id(loop);
	loop_bind(ctx);
	run_depth++;
	rc = real.run(loop, mode);
	run_depth--;
	if (ctx && mode == UV_RUN_DEFAULT && bound_ctx == ctx) {
		weft_worker_state(ctx, WEFT_WORKER_STOP);
		bound_ctx = 0;
	}
	return rc;
}
