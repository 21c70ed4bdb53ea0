/* What the kernel really mapped for the pages the vCPUs touched: huge
 * entries (a PMD-mapped THP, a hugetlb page) or base-page PTEs.
 *
 * A run asks for a page size (cfg->page_size) but the kernel decides: a THP
 * range write-protected with WP_UNPOPULATED gets PTE tables, and a first
 * touch then faults in one 4K page, not a 2M one; UFFDIO_COPY fills anon THP
 * ranges with 4K PTEs. Rates must count what was mapped, so the engine
 * measures it after each repetition, outside the timed path.
 *
 * Methods, best first:
 *  - PAGEMAP_SCAN (Linux 6.7+) on /proc/self/pagemap, categories
 *    PAGE_IS_PRESENT and PAGE_IS_HUGE: exact per page, so only the touched
 *    pages (of the configured size) count, at the bytes mapped inside each.
 *  - /proc/self/smaps of the guest mapping's VMAs (AnonHugePages,
 *    ShmemPmdMapped, FilePmdMapped, Private_/Shared_Hugetlb against Rss): the
 *    whole region, with every touched page taken as present. */
#ifndef FB_MAPPED_H
#define FB_MAPPED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum mapped_method { MAPPED_NONE, MAPPED_PAGEMAP_SCAN, MAPPED_SMAPS };

struct mapped {
	enum mapped_method method;  /* MAPPED_NONE: not measured, reason says why */
	uint64_t page_bytes;        /* the size the run asked for */
	uint64_t base_page_bytes;
	uint64_t huge_bytes;        /* of the touched pages, under huge entries */
	uint64_t base_bytes;        /* ... under base-page PTEs */
	uint64_t pages_measured;    /* touched pages (of page_bytes) looked at */
	uint64_t pages_present;     /* ... with anything mapped */
	char reason[160];
};

/* Not measured (yet): rates stay in page_bytes, the reason says so. */
void mapped_init(struct mapped *m, uint64_t page_bytes);
/* Measure [base, base+len): the pages of page_bytes set in touched (ntouched
 * of them). Tries PAGEMAP_SCAN, then smaps. 0, or -errno with m->method
 * MAPPED_NONE and the reason in m->reason. Allocates: not for the timed path. */
int mapped_measure(struct mapped *m, const char *base, uint64_t len, uint64_t page_bytes,
		   const uint64_t *touched, uint64_t ntouched);
/* One method only (the tests compare them). 0 or -errno. */
int mapped_measure_pagemap(struct mapped *m, const char *base, uint64_t len,
			   const uint64_t *touched);
int mapped_measure_smaps(struct mapped *m, const char *base, uint64_t len, uint64_t ntouched);

/* The smaps sums of the VMAs inside [start, end). -ERANGE when a VMA
 * crosses an end (its figures cannot be split), -ENOENT when none is inside. */
struct mapped_smaps {
	uint64_t rss_bytes;
	uint64_t pmd_bytes;       /* AnonHugePages + ShmemPmdMapped + FilePmdMapped (in Rss) */
	uint64_t hugetlb_bytes;   /* Private_Hugetlb + Shared_Hugetlb (not in Rss) */
	unsigned vmas;
};
int mapped_smaps_parse(FILE *f, uint64_t start, uint64_t end, struct mapped_smaps *s);

/* Derived figures. */
const char *mapped_method_name(enum mapped_method m);
/* huge / (huge + base); negative when nothing was mapped or measured. */
double mapped_huge_fraction(const struct mapped *m);
/* The run asked for pages larger than the base page and the kernel mapped
 * part of the touched memory with base pages. */
bool mapped_huge_short(const struct mapped *m);
/* The page size the rates are expressed in: page_bytes when every touched
 * byte is under a huge entry (or the run asked for base pages), the base
 * page when none is, 0 when mixed. Unmeasured: page_bytes. */
uint64_t mapped_rate_page_bytes(const struct mapped *m);
/* "4K", "2M", "1G", or "mixed" */
const char *mapped_rate_unit(const struct mapped *m, char *buf, size_t n);
/* Per first touch: the pages of the size really mapped (a huge page counts
 * one, a base page one) and the bytes mapped, averaged over the touched pages
 * found present. Exactly 1 and page_bytes when the kernel mapped what was
 * asked, so those rates do not move. */
void mapped_per_touch(const struct mapped *m, double *pages, double *bytes);

#endif
