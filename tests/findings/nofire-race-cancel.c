/*
 * nofire-race-cancel — a when_any race whose losers are canceled at once.
 *
 * The near miss of orphaned-work and cancel-ignored: orphaned-work.c's
 * hedged lookup, done right.  The three replica requests carry one token and
 * check it every millisecond; as soon as when_any is decided the client
 * cancels the token, and the two slower requests stop within a slice and end
 * canceled instead of holding two workers for another 0.4 s.  The program
 * checks its own latency: if a loser ended 50 ms or more after the cancel,
 * the machine was too busy (exit NOFIRE_PERTURBED).
 */
#include <stdlib.h>

#include "nofire.h"

#define PROG "nofire-race-cancel"
#define REPLICAS 3
#define PERTURBED_AT EX_MS(50)

static const char *const replica_names[REPLICAS] = { "lookup replica-a", "lookup replica-b",
						     "lookup replica-c" };
static const int64_t replica_latency[REPLICAS] = { EX_MS(30), EX_MS(400), EX_MS(450) };

struct lookup {
	weft_cts_t *token;
	int64_t latency;
};

static int lookup(weft_future_t *self, void *arg)
{
	const struct lookup *l = arg;
	int64_t end = ex_now_ns() + l->latency;

	(void)self;
	while (ex_now_ns() < end) {
		int err = weft_cts_check(l->token);

		if (err)
			return err;
		ex_spin_ns(EX_MS(1));
	}
	return 0;
}

int main(void)
{
	weft_future_t *req[REPLICAS] = { 0 }, *first = NULL;
	struct lookup args[REPLICAS];
	weft_cts_t *race = NULL;
	weft_ctx_t *pool;
	int64_t canceled_at, late = 0;
	int rc = 1, err = 0, i, winner;

	pool = weft_pool_new("client", 4);
	race = weft_cts_new("replica race");
	if (!pool || !race) {
		ex_fail(PROG, "set up", errno);
		goto out;
	}
	for (i = 0; i < REPLICAS; i++) {
		args[i] = (struct lookup){ race, replica_latency[i] };
		req[i] = weft_run(pool, lookup, &args[i],
				  &(struct weft_opts){ .name = replica_names[i], .token = race });
		if (!req[i]) {
			ex_fail(PROG, "send a lookup", errno);
			goto out;
		}
	}
	first = weft_when_any(req, REPLICAS, &(struct weft_opts){ .name = "first replica" });
	if (!first) {
		ex_fail(PROG, "race the replicas", errno);
		goto out;
	}
	err = weft_future_wait(first, EX_MS(2000));
	winner = weft_when_any_index(first);
	if (err || winner < 0) {
		ex_fail(PROG, "get an answer", err ? err : -EPROTO);
		goto out;
	}
	/* Decided: stop the losers right away. */
	canceled_at = ex_now_ns();
	weft_cts_cancel(race, "race decided");
	for (i = 0; i < REPLICAS && !err; i++)
		err = weft_future_wait(req[i], EX_MS(2000));
	late = ex_now_ns() - canceled_at;
	if (err) {
		ex_fail(PROG, "stop the losers", err);
		goto out;
	}
	for (i = 0; i < REPLICAS; i++) {
		int e = weft_future_error(req[i], NULL);

		if (i == winner ? e != 0 : e != WEFT_ECANCELED) {
			fprintf(stderr, "%s: Cannot run the race: %s ended with %d\n", PROG,
				replica_names[i], e);
			goto out;
		}
	}
	if (late >= PERTURBED_AT) {
		rc = nofire_perturbed(PROG, "the losers ended %.1f ms after the cancel (limit %.0f "
				      "ms)", nofire_ms(late), nofire_ms(PERTURBED_AT));
		goto out;
	}
	printf("%s: %s won; the %d losers were canceled and stopped within %.1f ms\n", PROG,
	       replica_names[winner], REPLICAS - 1, nofire_ms(late));
	rc = 0;
out:
	weft_future_release(first);
	for (i = 0; i < REPLICAS; i++)
		weft_future_release(req[i]);
	if (pool)
		weft_ctx_free(pool);
	if (race)
		weft_cts_release(race);
	weft_rt_shutdown();
	return rc;
}
