/* Admission: what a run will hold, counted before anything is mapped, and
 * what it held, measured after.
 *
 * The estimate sums the guest memory and everything the harness adds:
 * page tables, access sequences, bitmaps over the region, the resolvers'
 * image pools, histograms, handler buffers and thread stacks. It is an
 * upper bound of each part (see admit.c), so a run admitted here should not
 * meet the OOM killer halfway. What the process already holds (code,
 * libraries, the host probe) is not counted: MemAvailable has it already.
 *
 * Guest memory on a hugetlb backing comes from the hugetlb pool, not from
 * MemAvailable: it is counted in hugetlb_bytes, and hugetlb_reserve() checks
 * the pool (and the memory raising it would take). */
#ifndef FB_ADMIT_H
#define FB_ADMIT_H

#include <jansson.h>
#include <stdint.h>

#include "fb.h"

struct fb_config;
struct host_caps;

struct mem_estimate {
	uint64_t guest_bytes;       /* all guest memory */
	uint64_t hugetlb_bytes;     /* ... of it from the hugetlb pool */
	uint64_t page_table_bytes;  /* kernel page tables of the guest mappings */
	uint64_t sequence_bytes;    /* access sequences, 4 bytes a page a vCPU */
	uint64_t bitmap_bytes;      /* bitmaps over the region's pages */
	uint64_t pool_bytes;        /* image pools: resolvers × pages × page size */
	uint64_t histogram_bytes;   /* latency histograms, every repetition's */
	uint64_t thread_bytes;      /* handler buffers, thread stacks */
	uint64_t harness_bytes;     /* sequences + bitmaps + pools + histograms + threads */
	uint64_t needed_bytes;      /* what MemAvailable must supply */
	uint64_t available_bytes;   /* MemAvailable when counted */
};

/* What cfg will hold on host h. Pure: maps nothing. */
void admit_estimate(const struct fb_config *cfg, const struct host_caps *h, struct mem_estimate *m);
/* 0 when the estimate fits MemAvailable (with --allow-overcommit, when the
 * harness's own part does); else -ENOMEM with the figures in err, naming
 * --size and --vcpus. */
int admit_check(const struct fb_config *cfg, const struct mem_estimate *m, struct fb_err *err);

/* What the process held: resident now, and its peak (VmHWM), in bytes. */
uint64_t admit_rss_bytes(void);
uint64_t admit_peak_rss_bytes(void);

/* The result's `memory` object: the estimate, and the peak measured. The
 * guest's part of the peak is the most resident memory a repetition's
 * guest gave back when it was unmapped. */
json_t *admit_json(const struct mem_estimate *m, uint64_t peak_rss_bytes, uint64_t guest_rss_bytes);

#endif
