/*
 * rt-cancel.c — cancellation token sources of weft's reference runtime:
 * cancel (once; cancel_request, then the registered callbacks in
 * registration order on the canceling thread, outside every lock), cancel
 * after a delay (the timer thread), the cooperative check (cancel_observe),
 * and linked sources.
 *
 * A linked child is an ordinary registration on each parent that holds a
 * reference on the child; the child holds references on its parents.  That
 * cycle is broken when the child's last outside reference goes: release()
 * sees that only the links still hold it ("refs == nlinks") and removes them
 * from the parents, so children of a long-lived parent can come and go
 * without leaking.  A link that is firing at that moment (the parent is
 * being canceled) keeps the child alive until it is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

struct rt_reg {
	struct rt_reg *next;
	uint64_t id;
	weft_cancel_fn cb;        /* a user registration, or */
	rt_cancel_cb icb;         /* an internal one, with */
	void (*drop)(void *arg);  /* what to do if it never runs */
	void *arg;
};

struct rt_parent {
	weft_cts_t *cts; /* referenced */
	uint64_t reg;    /* our link registration on it, 0 if none */
};

struct weft_cts {
	uint64_t id;
	int refs;     /* atomic */
	int canceled; /* atomic; set under the lock */
	pthread_mutex_t lock;
	struct rt_reg *regs, *regs_tail; /* registration order */
	uint64_t next_reg;
	char *reason; /* copy, for callbacks registered after the cancel */
	size_t nparents;
	struct rt_parent *parents;
	unsigned nlinks; /* parents' registrations still holding a reference; locked */
	bool orphaned;   /* the links were removed (only they held it) */
};

uint64_t rt_cts_id(const weft_cts_t *cts)
{
	return cts->id;
}

uint64_t weft_cts_id(const weft_cts_t *cts)
{
	return cts ? cts->id : 0;
}

static weft_cts_t *cts_alloc(void)
{
	weft_cts_t *c = calloc(1, sizeof *c);

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->id = weft_id_new();
	c->refs = 1;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void cts_free(weft_cts_t *c)
{
	struct rt_reg *r, *next;
	size_t i;

	for (r = c->regs; r; r = next) {
		next = r->next;
		if (r->drop)
			r->drop(r->arg);
		free(r);
	}
	for (i = 0; i < c->nparents; i++)
		weft_cts_release(c->parents[i].cts);
	free(c->parents);
	free(c->reason);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

weft_cts_t *weft_cts_new(const char *name)
{
	weft_cts_t *c = cts_alloc();

	if (c)
		weft_token_new_named(c->id, 0, name);
	return c;
}

weft_cts_t *weft_cts_ref(weft_cts_t *cts)
{
	if (cts)
		__atomic_add_fetch(&cts->refs, 1, __ATOMIC_RELAXED);
	return cts;
}

static int reg_add(weft_cts_t *c, weft_cancel_fn cb, rt_cancel_cb icb,
		   void (*drop)(void *arg), void *arg, uint64_t *out)
{
	struct rt_reg *r = malloc(sizeof *r);
	const char *reason;

	if (!r)
		return -ENOMEM;
	pthread_mutex_lock(&c->lock);
	if (c->canceled) {
		reason = c->reason;
		pthread_mutex_unlock(&c->lock);
		free(r);
		if (out)
			*out = 0;
		/* Already canceled: run it now, on the caller.  c->reason is
		 * never changed again once canceled is set. */
		if (icb)
			icb(arg, reason);
		else
			cb(arg);
		return 0;
	}
	r->next = NULL;
	r->id = ++c->next_reg;
	r->cb = cb;
	r->icb = icb;
	r->drop = drop;
	r->arg = arg;
	if (c->regs_tail)
		c->regs_tail->next = r;
	else
		c->regs = r;
	c->regs_tail = r;
	if (out)
		*out = r->id;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int weft_cts_register(weft_cts_t *cts, weft_cancel_fn cb, void *arg, uint64_t *reg)
{
	if (!cts || !cb)
		return -EINVAL;
	return reg_add(cts, cb, NULL, NULL, arg, reg);
}

int rt_cts_register_internal(weft_cts_t *cts, rt_cancel_cb cb, void (*drop)(void *arg),
			     void *arg, uint64_t *reg)
{
	return reg_add(cts, NULL, cb, drop, arg, reg);
}

int weft_cts_unregister(weft_cts_t *cts, uint64_t reg)
{
	struct rt_reg **pp, *r = NULL;

	if (!cts)
		return -EINVAL;
	pthread_mutex_lock(&cts->lock);
	for (pp = &cts->regs; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == reg) {
			r = *pp;
			*pp = r->next;
			if (cts->regs_tail == r) {
				struct rt_reg *t = cts->regs;

				while (t && t->next)
					t = t->next;
				cts->regs_tail = t;
			}
			break;
		}
	}
	pthread_mutex_unlock(&cts->lock);
	if (!r)
		return -ENOENT;
	free(r);
	return 0;
}

int weft_cts_cancel(weft_cts_t *cts, const char *reason)
{
	struct rt_reg *r, *next;

	if (!cts)
		return -EINVAL;
	pthread_mutex_lock(&cts->lock);
	if (cts->canceled) {
		pthread_mutex_unlock(&cts->lock);
		return -EALREADY;
	}
	cts->reason = reason ? strdup(reason) : NULL;
	/* Before the flag: any cancel_observe comes after the request. */
	weft_cancel_request(cts->id, reason);
	__atomic_store_n(&cts->canceled, 1, __ATOMIC_RELEASE);
	r = cts->regs;
	cts->regs = cts->regs_tail = NULL;
	pthread_mutex_unlock(&cts->lock);

	for (; r; r = next) {
		next = r->next;
		if (r->icb)
			r->icb(r->arg, reason);
		else
			r->cb(r->arg);
		free(r);
	}
	return 0;
}

bool weft_cts_is_canceled(const weft_cts_t *cts)
{
	return cts && __atomic_load_n(&cts->canceled, __ATOMIC_ACQUIRE);
}

int weft_cts_check(weft_cts_t *cts)
{
	if (!weft_cts_is_canceled(cts))
		return 0;
	weft_cancel_observe(cts->id, weft_current_task());
	return WEFT_ECANCELED;
}

static void cancel_after_fire(void *arg, bool fired)
{
	if (fired)
		weft_cts_cancel(arg, "timeout");
	weft_cts_release(arg);
}

int weft_cts_cancel_after(weft_cts_t *cts, int64_t delay_ns)
{
	int rc;

	if (!cts || delay_ns < 0)
		return -EINVAL;
	if (weft_cts_is_canceled(cts))
		return -EALREADY;
	weft_cts_ref(cts);
	rc = rt_timer_add(delay_ns, cancel_after_fire, cts, NULL);
	if (rc)
		weft_cts_release(cts);
	return rc;
}

/* ---- linked sources ---- */

static void link_done(weft_cts_t *child)
{
	pthread_mutex_lock(&child->lock);
	child->nlinks--;
	pthread_mutex_unlock(&child->lock);
	weft_cts_release(child);
}

static void link_fire(void *arg, const char *reason)
{
	weft_cts_cancel(arg, reason);
	link_done(arg);
}

static void link_drop(void *arg)
{
	link_done(arg);
}

weft_cts_t *weft_cts_new_linked(weft_cts_t *const *parents, size_t n)
{
	weft_cts_t *c;
	size_t i;
	int rc = 0;

	if (n && !parents) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!parents[i]) {
			errno = EINVAL;
			return NULL;
		}
	}
	c = cts_alloc();
	if (!c)
		return NULL;
	if (n) {
		c->parents = calloc(n, sizeof *c->parents);
		if (!c->parents) {
			cts_free(c);
			errno = ENOMEM;
			return NULL;
		}
	}
	c->nparents = n;
	weft_token_new(c->id, n ? parents[0]->id : 0);
	for (i = 0; i < n; i++) {
		/* Traced before the link can fire, so that a cancellation arriving
		 * through this parent follows a recorded edge. */
		if (i > 0)
			weft_token_link(c->id, parents[i]->id);
		c->parents[i].cts = weft_cts_ref(parents[i]);
		/* The link's reference, before it can fire. */
		pthread_mutex_lock(&c->lock);
		c->nlinks++;
		pthread_mutex_unlock(&c->lock);
		weft_cts_ref(c);
		rc = reg_add(parents[i], NULL, link_fire, link_drop, c, &c->parents[i].reg);
		if (rc) {
			link_done(c);
			break;
		}
	}
	if (rc) {
		weft_cts_release(c); /* unlinks what was linked, then frees */
		errno = -rc;
		return NULL;
	}
	return c;
}

void weft_cts_release(weft_cts_t *cts)
{
	bool unlink = false;
	size_t i;
	int n;

	if (!cts)
		return;
	if (!cts->nparents) {
		if (__atomic_sub_fetch(&cts->refs, 1, __ATOMIC_ACQ_REL) == 0)
			cts_free(cts);
		return;
	}
	pthread_mutex_lock(&cts->lock);
	n = __atomic_sub_fetch(&cts->refs, 1, __ATOMIC_ACQ_REL);
	if (n > 0 && (unsigned)n == cts->nlinks && !cts->orphaned) {
		/* Only the parents' links hold it now: nobody can cancel it
		 * usefully or read it any more.  Unlink, holding a reference
		 * so that a link firing meanwhile cannot free it under us. */
		cts->orphaned = true;
		unlink = true;
		__atomic_add_fetch(&cts->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&cts->lock);
	if (n == 0) {
		cts_free(cts);
		return;
	}
	if (!unlink)
		return;
	for (i = 0; i < cts->nparents; i++) {
		struct rt_parent *p = &cts->parents[i];

		if (p->cts && p->reg && weft_cts_unregister(p->cts, p->reg) == 0)
			link_done(cts);
	}
	weft_cts_release(cts);
}
