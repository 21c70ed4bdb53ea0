#include "admit.h"

#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "hist.h"
#include "image.h"
#include "memory.h"
#include "modes/mode.h"
#include "probe.h"

/* Bitmaps of one bit a region page, at most: the zero map, touched and
 * written (run.c), presence and pages seen (memfault-exit), removed,
 * copied, carried, dirty and skipped (zero-unreg) never all in one run. */
#define ADMIT_BITMAPS 8
/* The resident part of a thread's stack (they run shallow), and a vCPU's
 * records per repetition; both generous. */
#define ADMIT_STACK_BYTES (64 * FB_KiB)
#define ADMIT_VCPU_RECORD_BYTES 1024

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* One mapping's page tables: a leaf entry (8 bytes) per base page, or per
 * huge page on hugetlb, in 4 KiB tables, and the level above. THP counts as
 * base pages: the kernel deposits a PTE table with every huge page. */
static uint64_t page_tables(uint64_t bytes, uint64_t leaf_page)
{
	uint64_t leaf = div_up(bytes / leaf_page, 512), upper = div_up(leaf, 512);

	return (leaf + upper + 1) * 4096;
}

void admit_estimate(const struct fb_config *cfg, const struct host_caps *h, struct mem_estimate *m)
{
	const struct fault_mode *md = cfg->mode;
	uint64_t npages = cfg->total_bytes / cfg->page_size, base = h->base_page_size ? h->base_page_size : 4096;
	bool hugetlb = cfg->backing->flags & BK_HUGETLB, uffd = md->flags & MODE_USES_UFFD;
	uint64_t handlers = uffd ? cfg->handlers : 0, reps = (uint64_t)cfg->reps + cfg->warmup;
	uint64_t resolvers = 0, mappings = cfg->backing->flags & BK_ALIAS ? 2 : 1;

	*m = (struct mem_estimate){ 0 };
	m->guest_bytes = cfg->total_bytes;
	m->hugetlb_bytes = hugetlb ? cfg->total_bytes : 0;
	m->page_table_bytes = mappings * page_tables(cfg->total_bytes, hugetlb ? cfg->page_size : base);
	m->sequence_bytes = (uint64_t)cfg->vcpus * cfg->slice_pages * sizeof(uint32_t);
	m->bitmap_bytes = ADMIT_BITMAPS * div_up(npages, 64) * 8;
	/* a pool per handler, and per vCPU where vCPUs resolve their own
	 * faults (the mode has vcpu_miss); uffd-minor's one fill pool is
	 * covered by its handlers', which hold none */
	if (md->flags & MODE_FILLS_IMAGE)
		resolvers = handlers + (md->vcpu_miss ? cfg->vcpus : 0);
	m->pool_bytes = resolvers * image_pool_pages(cfg->page_size) * cfg->page_size;
	/* per repetition: each vCPU's, the merged one, the handlers'; and the
	 * handlers' and the mode's own while it runs */
	m->histogram_bytes = (reps * (cfg->vcpus + 2) + handlers + 1) * sizeof(struct hist);
	/* stacks; per handler its read batch, a nested one and a queue of
	 * faults (zero-unreg's); per vCPU its records */
	m->thread_bytes = ((uint64_t)cfg->vcpus + handlers + 1) * ADMIT_STACK_BYTES +
			  handlers * (2 * (uint64_t)cfg->batch * 32 +
				      (2 * (uint64_t)cfg->vcpus + cfg->batch + 64) * 8) +
			  (uint64_t)cfg->vcpus * (reps + 1) * ADMIT_VCPU_RECORD_BYTES;
	m->harness_bytes = m->sequence_bytes + m->bitmap_bytes + m->pool_bytes + m->histogram_bytes +
			   m->thread_bytes;
	m->needed_bytes = m->guest_bytes - m->hugetlb_bytes + m->page_table_bytes + m->harness_bytes;
	m->available_bytes = h->mem_available;
}

static const char *gib(uint64_t b, char *buf, size_t n)
{
	if (b >= FB_GiB)
		snprintf(buf, n, "%.2f GiB", (double)b / (double)FB_GiB);
	else
		snprintf(buf, n, "%.1f MiB", (double)b / (double)FB_MiB);
	return buf;
}

int admit_check(const struct fb_config *cfg, const struct mem_estimate *m, struct fb_err *err)
{
	uint64_t own = m->page_table_bytes + m->harness_bytes;
	char sz[32], need[32], guest[32], pt[32], hb[32], avail[32], pool[48] = "";

	if (!m->available_bytes)
		return 0; /* no /proc/meminfo: nothing to go by */
	fb_fmt_size(cfg->size, sz, sizeof(sz));
	if (m->hugetlb_bytes)
		snprintf(pool, sizeof(pool), " from the hugetlb pool");
	if (cfg->allow_overcommit && own > m->available_bytes) {
		fb_errf(err, "--size %s with --vcpus %u: the harness alone needs %s (page tables %s, "
			"access sequences, bitmaps, source pages, histograms %s), MemAvailable is %s; "
			"use a smaller --size or fewer --vcpus", sz, cfg->vcpus,
			gib(own, need, sizeof(need)), gib(m->page_table_bytes, pt, sizeof(pt)),
			gib(m->harness_bytes, hb, sizeof(hb)), gib(m->available_bytes, avail, sizeof(avail)));
		return -ENOMEM;
	}
	if (!cfg->allow_overcommit && m->needed_bytes > m->available_bytes) {
		fb_errf(err, "--size %s with --vcpus %u needs %s (guest %s%s, page tables %s, harness %s), "
			"MemAvailable is %s; use a smaller --size or fewer --vcpus, or pass "
			"--allow-overcommit to try anyway", sz, cfg->vcpus,
			gib(m->needed_bytes, need, sizeof(need)), gib(m->guest_bytes, guest, sizeof(guest)),
			pool, gib(m->page_table_bytes, pt, sizeof(pt)), gib(m->harness_bytes, hb, sizeof(hb)),
			gib(m->available_bytes, avail, sizeof(avail)));
		return -ENOMEM;
	}
	return 0;
}

uint64_t admit_rss_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return n == 2 ? resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

uint64_t admit_peak_rss_bytes(void)
{
	struct rusage ru;

	/* ru_maxrss: the process's VmHWM, in KiB */
	return getrusage(RUSAGE_SELF, &ru) ? 0 : (uint64_t)ru.ru_maxrss * FB_KiB;
}

json_t *admit_json(const struct mem_estimate *m, uint64_t peak_rss_bytes, uint64_t guest_rss_bytes)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I}",
			 "needed_bytes", (json_int_t)m->needed_bytes,
			 "available_bytes", (json_int_t)m->available_bytes,
			 "guest_bytes", (json_int_t)m->guest_bytes,
			 "hugetlb_bytes", (json_int_t)m->hugetlb_bytes,
			 "estimate",
			 "page_table_bytes", (json_int_t)m->page_table_bytes,
			 "sequence_bytes", (json_int_t)m->sequence_bytes,
			 "bitmap_bytes", (json_int_t)m->bitmap_bytes,
			 "pool_bytes", (json_int_t)m->pool_bytes,
			 "histogram_bytes", (json_int_t)m->histogram_bytes,
			 "thread_bytes", (json_int_t)m->thread_bytes,
			 "harness_bytes", (json_int_t)m->harness_bytes,
			 "peak_rss_bytes", (json_int_t)peak_rss_bytes,
			 "guest_rss_bytes", (json_int_t)guest_rss_bytes,
			 "harness_bytes",
			 (json_int_t)(peak_rss_bytes > guest_rss_bytes ? peak_rss_bytes - guest_rss_bytes : 0));
}
