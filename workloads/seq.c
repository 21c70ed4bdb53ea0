/* seq: pages 0, 1, 2, ... in address order — the best case for readahead,
 * fault-around and THP, and the baseline the other workloads are read against. */
#include "wl_common.h"

static int seq_parse(struct workload_spec *spec, const char *arg, char *err, size_t errlen)
{
	return wl_parse_no_arg(&wl_seq, spec, arg, err, errlen);
}

static int seq_build(const struct workload_spec *spec, uint64_t npages, uint64_t seed,
		     uint32_t *seq)
{
	int e = wl_check_npages(npages);

	(void)spec;
	(void)seed;
	if (e)
		return e;
	for (uint64_t i = 0; i < npages; i++)
		seq[i] = (uint32_t)i;
	return 0;
}

const struct workload wl_seq = {
	.name = "seq",
	.summary = "every page once, in address order",
	.arg_help = NULL,
	.parse = seq_parse,
	.build = seq_build,
};
