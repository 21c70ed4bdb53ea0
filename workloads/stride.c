/* stride:N: pages 0, N, 2N, ... then 1, N+1, ... until every page was
 * touched once. Each pass skips N-1 pages, which defeats fault-around and
 * sequential readahead while keeping a regular, predictable pattern. */
#include "wl_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define STRIDE_MAX WL_MAX_PAGES

/* A whole number in [1, STRIDE_MAX], digits only: strtoull alone would take
 * "-1" (as 2^64-1), " 16" and "0x10". */
static int parse_stride(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < 1 || v > STRIDE_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

static int stride_parse(struct workload_spec *spec, const char *arg, char *err, size_t errlen)
{
	if (parse_stride(arg, &spec->stride)) {
		wl_errf(err, errlen,
			"workload 'stride' needs a stride: stride:N with N a whole number of pages from 1 to %llu%s%s%s",
			(unsigned long long)STRIDE_MAX, arg ? ", not '" : "", arg ? arg : "",
			arg ? "'" : "");
		return -EINVAL;
	}
	snprintf(spec->text, sizeof(spec->text), "stride:%llu", (unsigned long long)spec->stride);
	return 0;
}

static int stride_build(const struct workload_spec *spec, uint64_t npages, uint64_t seed,
			uint32_t *seq)
{
	/* Starts past npages would only yield empty passes. */
	uint64_t passes = spec->stride < npages ? spec->stride : npages;
	uint64_t k = 0;
	int e = wl_check_npages(npages);

	(void)seed;
	if (e)
		return e;
	if (spec->stride == 0)
		return -EINVAL; /* spec not from parse(); would never advance */
	for (uint64_t start = 0; start < passes; start++)
		for (uint64_t p = start; p < npages; p += spec->stride)
			seq[k++] = (uint32_t)p;
	return 0;
}

const struct workload wl_stride = {
	.name = "stride",
	.summary = "every page once: 0, N, 2N, ..., then 1, N+1, ... (N pages apart)",
	.arg_help = "N",
	.parse = stride_parse,
	.build = stride_build,
};
