/* Point-in-time verification: what every page held at T0, by replay. */
#ifndef FB_SNAP_PIT_H
#define FB_SNAP_PIT_H

#include <stdint.h>

#include "image.h"

/* The run, as far as the content at T0 depends on it: the image the guest
 * was populated with, and writer i's writes 0..cut[i]-1 over its slice
 * [i*slice_pages, (i+1)*slice_pages), following seq[i] (snap_write.h). */
struct pit_ref {
	const struct image *img;
	uint64_t page_size, npages, slice_pages;
	unsigned nwriters;
	uint32_t *const *seq;
	const uint64_t *cut;
};

/* The sink's checksum of page (snap_page_sum): 0, -ENOENT when the page was
 * never saved, or another -errno (a read failed). */
typedef int (*pit_get_fn)(void *ctx, uint64_t page, uint64_t *sum);

struct pit_result {
	uint64_t checked, mismatches, missing;
	char first[320];   /* the first bad page, named; "" when none */
};

/* Compare every page of the sink with its content at T0. 0 when all match,
 * -EIO when a page differs or is missing (res->first names it), other
 * -errno when verification itself could not run. Not timed. */
int pit_verify(const struct pit_ref *ref, pit_get_fn get, void *ctx, struct pit_result *res);

/* The checksum the sink keeps of one page. A page larger than
 * SNAP_SUM_CHUNK sums as SNAP_SUM_SEED folded (snap_sum_fold) with the sum
 * of each of its chunks in order, so a page saved in chunk-sized parts
 * (uffd-wp on THP) sums the same. */
#define SNAP_SUM_CHUNK 4096ULL
#define SNAP_SUM_SEED 0x6a09e667f3bcc908ULL
uint64_t snap_page_sum(const void *page, uint64_t page_size);
uint64_t snap_sum_fold(uint64_t h, uint64_t chunk);

#endif
