/* Guest memory: one backing (a small ops table) × NUMA placement.
 * A backing maps the region, and for file-backed kinds keeps an fd and a
 * second, never-registered mapping of the same pages (the alias) through
 * which the page cache can be filled or inspected. */
#ifndef FB_MEMORY_H
#define FB_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fb.h"

struct fb_config;
struct host_caps;

enum backing_flags {
	BK_SHARED = 1 << 0,   /* MAP_SHARED: pages live in the page cache (shmem) */
	BK_HUGETLB = 1 << 1,  /* needs a hugetlb pool of cfg->hugepage_size */
	BK_THP = 1 << 2,      /* anonymous THP (MADV_HUGEPAGE) */
	BK_ALIAS = 1 << 3,    /* has an fd and a second mapping (the alias) */
};

struct guest_mem {
	const struct backing *bk;
	uint64_t size;
	uint64_t page_size;
	char *base;        /* the guest mapping the vCPUs touch */
	char *alias;       /* BK_ALIAS: a second mapping of the same pages, else NULL */
	int fd;            /* BK_ALIAS: the memfd, else -1 */
	void *map_base;    /* what to munmap (base may be aligned inside it) */
	uint64_t map_len;
};

struct backing {
	const char *name;
	const char *summary;
	unsigned flags;
	/* uffd feature needed to register MISSING / MINOR on this backing (0: none) */
	uint64_t uffd_missing_feature;
	uint64_t uffd_minor_feature;
	/* Page size one fault fills, for this config. */
	uint64_t (*page_size)(const struct fb_config *cfg, const struct host_caps *h);
	/* NULL when runnable here; else the reason, written into why. */
	const char *(*unsupported)(const struct fb_config *cfg, const struct host_caps *h,
				   char *why, size_t n);
	int (*map)(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err);
	void (*unmap)(struct guest_mem *gm);
};

extern const struct backing *const backings[];
extern const size_t backings_count;
const struct backing *backing_find(const char *name);

/* Map fresh guest memory for one repetition and apply NUMA placement. */
int guest_mem_map(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err);
void guest_mem_unmap(struct guest_mem *gm);

#endif
