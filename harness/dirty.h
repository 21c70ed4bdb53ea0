/* Dirty-page tracking with userfaultfd WP_ASYNC and PAGEMAP_SCAN (6.7+).
 *
 * A range registered UFFDIO_REGISTER_MODE_WP on a uffd with
 * UFFD_FEATURE_WP_ASYNC and write-protected is "clean"; the first write to a
 * page clears its uffd-wp bit in the kernel, with no message. PAGEMAP_SCAN
 * with category PAGE_IS_WRITTEN then lists the pages whose bit is clear, and
 * with PM_SCAN_WP_MATCHING sets it again on exactly those pages, atomically
 * per page: the "collect and re-arm" step of a live snapshot or precopy.
 *
 * Kernel behaviour this code relies on (seen on 6.18; see the modes that use
 * it for the measurements):
 *  - WP_ASYNC implies WP_UNPOPULATED: UFFDIO_WRITEPROTECT of a range with
 *    no pages installs uffd-wp markers, so untouched pages read clean.
 *  - With category_mask == return_mask == PAGE_IS_WRITTEN (the kernel's fast
 *    path) a pte_none entry in a uffd-wp VMA reads as written: on anonymous
 *    memory MADV_DONTNEED drops the marker with the page ("a zap is a write",
 *    Documentation/admin-guide/mm/userfaultfd.rst), and a re-protecting scan
 *    installs a marker there.
 *  - UFFDIO_UNREGISTER clears the uffd-wp state of the whole range. */
#ifndef FB_DIRTY_H
#define FB_DIRTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "fb.h"

/* /proc/self/pagemap, opened once per process and kept open (a scan must not
 * pay an open). Returns the fd or -errno. Thread-safe. */
int dirty_pagemap_fd(void);

/* One scanner per thread that scans: its own vec buffer, allocated at setup,
 * so a scan allocates nothing. */
struct dirty_scanner {
	int fd;
	struct page_region *vec;
	size_t vec_len;
};

struct dirty_scan_stats {
	uint64_t ioctls;    /* PAGEMAP_SCAN calls (one per walk continuation) */
	uint64_t regions;   /* page_region entries returned */
	uint64_t pages;     /* region pages whose bit this scan set (newly) */
	uint64_t ns;        /* time spent in the ioctls */
};

/* vec_len entries (0: a default of 4096, 96 KiB). 0 or -errno with err. */
int dirty_scanner_init(struct dirty_scanner *ds, size_t vec_len, struct fb_err *err);
void dirty_scanner_free(struct dirty_scanner *ds);

/* Scan [start, start+len) for PAGE_IS_WRITTEN and OR the pages found into
 * bitmap, indexed by (addr - base) / page_size (a huge "page" is dirty when
 * any of its base pages is). With reprotect, the written pages are
 * write-protected again in the same walk (PM_SCAN_WP_MATCHING |
 * PM_SCAN_CHECK_WPASYNC: fails with -EPERM on a VMA without async WP).
 * Follows walk_end until the range is done. Bits are set atomically, so
 * several threads may scan disjoint ranges into one bitmap. st may be NULL.
 * Returns 0 or -errno (and the range may then be partly re-protected). */
int dirty_scan(struct dirty_scanner *ds, const char *base, uint64_t page_size, const char *start,
	       uint64_t len, bool reprotect, uint64_t *bitmap, struct dirty_scan_stats *st);

/* UFFDIO_WRITEPROTECT [start, start+len) on (wp) or off; retries EAGAIN (a
 * layout change in flight, mmap_changing). 0 or -errno. */
int dirty_writeprotect(int uffd, void *start, uint64_t len, bool wp);

/* Reference 001's ways to make the empty pages of a range
 * write-protectable without WP_UNPOPULATED: read one byte of every 4K page
 * (preread: the zero page gets mapped), or MADV_POPULATE_READ (populate,
 * Linux 5.14). Either way the range then has ptes for UFFDIO_WRITEPROTECT
 * to mark. 0 or -errno (the madvise's). */
int dirty_wp_prefault(char *p, uint64_t len, bool populate);

/* The /proc/self/pagemap entry of the page at addr (bit 63 present, 62
 * swapped, 57 uffd-wp, including a marker on an empty pte). 0 or -errno. */
int dirty_pagemap_entry(const void *addr, uint64_t *entry);
#define DIRTY_PM_PRESENT (1ULL << 63)
#define DIRTY_PM_SWAPPED (1ULL << 62)
#define DIRTY_PM_UFFD_WP (1ULL << 57)

/* A dirty set against the pages known to be written, over npages region
 * pages; pages set in ignore (may be NULL) count in neither direction. */
struct dirty_diff {
	uint64_t dirty;         /* pages in the dirty set (outside ignore) */
	uint64_t expected;      /* pages known written (outside ignore) */
	uint64_t missing;       /* expected, not in the dirty set: lost dirty pages */
	uint64_t extra;         /* in the dirty set, not expected: reported extras */
	int64_t first_missing;  /* -1: none */
	int64_t first_extra;
};

void dirty_compare(const uint64_t *dirty, const uint64_t *expected, const uint64_t *ignore,
		   uint64_t npages, struct dirty_diff *d);

/* Bitmap helpers over region pages. */
static inline bool dirty_bit(const uint64_t *b, uint64_t i)
{
	return (b[i >> 6] >> (i & 63)) & 1;
}

static inline void dirty_set_bit(uint64_t *b, uint64_t i)
{
	__atomic_fetch_or(&b[i >> 6], 1ULL << (i & 63), __ATOMIC_RELAXED);
}

static inline uint64_t dirty_words(uint64_t npages)
{
	return (npages + 63) / 64;
}

uint64_t dirty_count(const uint64_t *b, uint64_t npages);

/* VmPTE of this process from /proc/self/status, in KiB; -1 if unknown. */
long dirty_vmpte_kib(void);

/* `faultbench wpcost` (harness/cmd_wpcost.c): what arming write tracking on
 * an empty range costs, four ways. */
int wpcost_main(int argc, char **argv);

#endif
