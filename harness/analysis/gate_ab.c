/* The A/B runner: round r runs both commands' suites into DIR/a<r> and
 * DIR/b<r>, one after the other. Whichever runs second in a round finds
 * the machine as the first left it (caches, page allocator, a noisy
 * neighbour that woke up), and a paired test reads any such position
 * effect as a change when one side is always second. So the side that runs
 * first alternates, A B then B A (the default), or follows a seeded
 * shuffle with as many A-first as B-first rounds; the plan is recorded
 * in the verdict. */
#include "gate_ab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static const char *const order_names[] = { [AB_ALTERNATE] = "alternate", [AB_RANDOM] = "random" };

int ab_parse_order(const char *v, enum ab_order *o, struct fb_err *err)
{
	for (size_t i = 0; i < FB_ARRAY_SIZE(order_names); i++) {
		if (!strcmp(v, order_names[i])) {
			*o = (enum ab_order)i;
			return 0;
		}
	}
	fb_errf(err, "--order: '%s' is not accepted; accepted values: alternate, random", v);
	return -EINVAL;
}

const char *ab_order_name(enum ab_order o)
{
	return order_names[o];
}

int ab_plan_init(struct ab_plan *p, const char *out_dir, struct fb_err *err)
{
	unsigned n = p->rounds;

	if (out_dir) {
		snprintf(p->dir, sizeof(p->dir), "%s", out_dir);
	} else {
		snprintf(p->dir, sizeof(p->dir), "results/ab-%ld", (long)time(NULL));
		mkdir("results", 0755);
	}
	if (p->order == AB_ALTERNATE) {
		for (unsigned r = 0; r < n; r++)
			p->b_first[r] = r % 2;
	} else {
		uint64_t s = p->seed;

		/* balanced: half the rounds each way (the odd one by the seed), then
		 * a Fisher-Yates shuffle */
		for (unsigned r = 0; r < n; r++)
			p->b_first[r] = r < n / 2;
		if (n % 2)
			p->b_first[n - 1] = fb_mix64(s ^ 0x5bd1e995) & 1;
		for (unsigned r = n; r > 1; r--) {
			unsigned k = (unsigned)(fb_mix64(s += 0x9e3779b97f4a7c15ULL) % r);
			unsigned char t = p->b_first[r - 1];

			p->b_first[r - 1] = p->b_first[k];
			p->b_first[k] = t;
		}
	}
	if (mkdir(p->dir, 0755) && errno != EEXIST) {
		int e = errno;

		fb_errf(err, "--out %s: %s", p->dir, strerror(e));
		return -e;
	}
	p->done = 0;
	return 0;
}

int ab_run_round(struct ab_plan *p, struct fb_err *err)
{
	unsigned r = p->done;

	for (int k = 0; k < 2; k++) {
		int s = k ^ p->b_first[r];  /* 0: A, 1: B */
		char cmd[2048];
		int rc;

		snprintf(p->set[r][s], sizeof(p->set[r][s]), "%s/%c%u", p->dir, s ? 'b' : 'a', r);
		snprintf(cmd, sizeof(cmd), "%s suite %s --quiet --out '%s'", s ? p->cmd_b : p->cmd_a,
			 p->suite, p->set[r][s]);
		fprintf(stderr, "gate: round %u/%u (%s first): %s\n", r + 1, p->rounds,
			p->b_first[r] ? "B" : "A", cmd);
		rc = system(cmd);
		if (rc == -1 || !WIFEXITED(rc) || (WEXITSTATUS(rc) != 0 && WEXITSTATUS(rc) != 77)) {
			fb_errf(err, "--cmd-%c: '%s' failed (status %d)", s ? 'b' : 'a', cmd, rc);
			return -EINVAL;
		}
	}
	p->done++;
	return 0;
}
