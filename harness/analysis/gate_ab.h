/* `faultbench gate --ab`: both builds' suites, round by round, with the
 * order within each round alternated or shuffled and recorded. */
#ifndef FB_GATE_AB_H
#define FB_GATE_AB_H

#include <stdint.h>

#include "fb.h"

#define AB_MAX_ROUNDS 64

enum ab_order {
	AB_ALTERNATE,  /* A B, B A, A B, ...: a position effect falls on each side alike */
	AB_RANDOM,     /* a seeded shuffle of as many A-first as B-first rounds */
};

struct ab_plan {
	const char *cmd_a, *cmd_b, *suite;
	char dir[400];         /* the rounds' result sets: dir/a<r>, dir/b<r> */
	unsigned rounds;       /* asked for */
	unsigned done;         /* run so far */
	enum ab_order order;
	uint64_t seed;         /* AB_RANDOM's */
	unsigned char b_first[AB_MAX_ROUNDS];
	char set[AB_MAX_ROUNDS][2][512];  /* [round][0: A, 1: B] */
};

/* "alternate" or "random": 0, or -EINVAL with err naming both. */
int ab_parse_order(const char *v, enum ab_order *o, struct fb_err *err);
const char *ab_order_name(enum ab_order o);

/* Decide every round's order and make the output directory (out_dir, or
 * results/ab-<time> when NULL). 0 or -errno with err. */
int ab_plan_init(struct ab_plan *p, const char *out_dir, struct fb_err *err);

/* Run round p->done (both suites, in its order) and count it done. 0, or
 * -EINVAL with err naming the command that failed. */
int ab_run_round(struct ab_plan *p, struct fb_err *err);

#endif
