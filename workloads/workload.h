/* A workload says which page of its slice a vCPU touches next, and nothing
 * more: it knows nothing of faults, threads or output.
 *
 * Before timing starts, build() fills seq[] with slice-relative page indices.
 * An entry with WL_REPEAT set revisits a page this sequence already touched
 * (only zipf produces those); the harness times first touches only. */
#ifndef FB_WORKLOAD_H
#define FB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#define WL_REPEAT 0x80000000u
#define WL_PAGE_MASK 0x7fffffffu
#define WL_MAX_PAGES ((uint64_t)WL_PAGE_MASK + 1) /* pages per slice */

struct workload;

struct workload_spec {
	const struct workload *wl;
	uint64_t stride;  /* stride:N, pages */
	double theta;     /* zipf:THETA, in (0, 1) ∪ (1, 10] */
	char text[64];    /* canonical spelling, e.g. "stride:16" */
};

struct workload {
	const char *name;
	const char *summary;
	const char *arg_help;  /* NULL when the workload takes no ":ARG" */
	/* Parse the part after "name:" (NULL when absent); 0 or -EINVAL with a
	 * sentence in err naming the accepted values. */
	int (*parse)(struct workload_spec *spec, const char *arg, char *err, size_t errlen);
	/* Fill seq[0..npages) for a slice of npages pages; deterministic in
	 * seed. Exactly npages entries. 0 or -errno. */
	int (*build)(const struct workload_spec *spec, uint64_t npages, uint64_t seed, uint32_t *seq);
};

extern const struct workload *const workloads[];
extern const size_t workloads_count;

/* "seq", "random", "stride:16", "zipf:0.99" → spec. 0 or -EINVAL with err. */
int workload_parse(const char *text, struct workload_spec *spec, char *err, size_t errlen);

#endif
