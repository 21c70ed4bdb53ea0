/* The source image: what a snapshot or migration source would hold.
 *
 * Page p's 64-bit word w is image_word(p, w): a hash of (seed, p) plus w
 * times an odd constant, so a page copied to the wrong place, or twice from
 * the wrong source, cannot pass verification. Pages in the zero map hold
 * zeros. vCPUs read word 0 of a page and write word 1 (the write marker), so
 * what they read never depends on who wrote first. */
#ifndef FB_IMAGE_H
#define FB_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "fb.h"

struct image {
	uint64_t seed;
	uint64_t npages;
	uint64_t page_size;
	double zero_fraction;
	uint64_t nzero;
	uint64_t *zero_bits;  /* bitmap, npages bits */
	char *data;           /* npages × page_size, or NULL when not materialized */
	uint64_t data_len;
};

int image_create(struct image *img, uint64_t npages, uint64_t page_size, double zero_fraction,
		 uint64_t seed, bool materialize, struct fb_err *err);
void image_destroy(struct image *img);

static inline bool image_is_zero(const struct image *img, uint64_t p)
{
	return (img->zero_bits[p >> 6] >> (p & 63)) & 1;
}

static inline uint64_t image_word(const struct image *img, uint64_t p, uint64_t w)
{
	if (image_is_zero(img, p))
		return 0;
	return fb_mix64(img->seed ^ (p * 0xd6e8feb86659fd93ULL)) + w * 0x9e3779b97f4a7c15ULL;
}

/* What a vCPU writes into word 1 of page p: never zero, and equal to the
 * image's word 1 only by a 2^-64 hash coincidence. */
static inline uint64_t write_marker(uint64_t p)
{
	return 0xfb00000000000001ULL ^ (p << 1);
}

#endif
