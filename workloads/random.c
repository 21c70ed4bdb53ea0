/* random: every page once, in a uniformly random order, so no prefetch or
 * fault-around heuristic can guess the next page. */
#include "wl_common.h"
#include "wl_rng.h"

#define RANDOM_SALT 0x72616e646f6d0000ull /* "random": own stream per workload */

static int random_parse(struct workload_spec *spec, const char *arg, char *err, size_t errlen)
{
	return wl_parse_no_arg(&wl_random, spec, arg, err, errlen);
}

static int random_build(const struct workload_spec *spec, uint64_t npages, uint64_t seed,
			uint32_t *seq)
{
	struct wl_rng r;
	int e = wl_check_npages(npages);

	(void)spec;
	if (e)
		return e;
	wl_rng_init(&r, seed, RANDOM_SALT);
	wl_permutation(seq, npages, &r);
	return 0;
}

const struct workload wl_random = {
	.name = "random",
	.summary = "every page once, in a uniformly random order (seeded)",
	.arg_help = NULL,
	.parse = random_parse,
	.build = random_build,
};
