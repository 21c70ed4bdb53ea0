/* The source image: what a snapshot or migration source would hold.
 *
 * The image is a definition, not a copy: image_word(img, p, w) says what
 * word w of region page p holds, and costs no memory per page beyond the
 * zero map (one bit). Resolvers copy from an image_pool: their own K
 * prepared pages (K × page size about IMAGE_POOL_BYTES, at least one page),
 * into whose slot they write a page's identity words just before the
 * UFFDIO_COPY. So the harness holds a guest's worth of memory once, and a
 * resolve costs what a copy from a prepared page costs (demand_paging_test
 * copies from one page), plus one store per 4 KiB.
 *
 * Content of a page p that is not in the zero map:
 *   - word 0 of every 4 KiB block (word w with w % IMAGE_ID_WORDS == 0) is
 *     the block's identity: mix(seed ^ b × odd), b = the block's index in
 *     the region (the page's, for pages under 4 KiB). mix is a bijection
 *     and so is b × odd (mod 2^64), so two blocks of one region never share
 *     an identity word.
 *   - every other word is the pattern of pool slot s = p mod K:
 *     mix(seed ^ salt ^ s × odd) + w × odd, different at every position of
 *     the page.
 * Pages in the zero map hold zeros. vCPUs read word 0 of a page (its
 * identity) and write word 1 (the write marker), so what they read never
 * depends on who wrote first.
 *
 * What verification (every word of every touched page, run.c) catches:
 *   - a page copied to the wrong place, or from the wrong page: every 4 KiB
 *     block's identity word differs from the one expected there;
 *   - a 4 KiB block of a huge page that came from elsewhere, or moved inside
 *     it: that block's identity word (or, inside one page, the position term
 *     of the pattern) differs;
 *   - a page not copied (zeros), or a copy cut short: the pattern words are
 *     not zero (the chance of a zero pattern word is 2^-64);
 *   - a slot copied before its identity was written, or still holding an
 *     earlier page's: the identity words differ.
 * What content cannot show, and what shows it instead: a page copied twice
 * holds the right bytes (the resolve accounting counts EEXIST, uffd.h), and
 * a page never resolved leaves its vCPU waiting (the watchdog). Pages p and
 * p + K share their bytes between identity words; only a copy that mixed
 * pieces smaller than 4 KiB of two such pages would go unseen, and no copy
 * the kernel makes (whole pages, or 4 KiB blocks of a huge page) does. */
#ifndef FB_IMAGE_H
#define FB_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "fb.h"

#define IMAGE_POOL_BYTES (1024 * FB_KiB)  /* a pool's size, when pages are smaller */
#define IMAGE_ID_BYTES 4096               /* one identity word per 4 KiB block */
#define IMAGE_ID_WORDS (IMAGE_ID_BYTES / 8)

struct image {
	uint64_t seed;
	uint64_t npages;
	uint64_t page_size;
	uint64_t page_words;  /* page_size / 8 */
	uint64_t ids_per_page; /* 4 KiB blocks per page, at least 1 */
	uint64_t pool_pages;  /* K: a power of two, so p mod K is a mask */
	double zero_fraction;
	uint64_t nzero;
	uint64_t *zero_bits;  /* bitmap, npages bits */
};

/* Zero or not is drawn per aligned run of zero_run_pages pages (0 or 1: per
 * page), so zero_fraction of the runs are zero, as a booted guest's free
 * memory comes in runs. */
int image_create(struct image *img, uint64_t npages, uint64_t page_size, double zero_fraction,
		 uint64_t zero_run_pages, uint64_t seed, struct fb_err *err);
void image_destroy(struct image *img);

/* K for this page size: IMAGE_POOL_BYTES of pages, a power of two, at least 1. */
uint64_t image_pool_pages(uint64_t page_size);

static inline bool image_is_zero(const struct image *img, uint64_t p)
{
	return (img->zero_bits[p >> 6] >> (p & 63)) & 1;
}

/* The identity word of the 4 KiB block holding word w of page p (of the
 * page, when pages are smaller). */
static inline uint64_t image_id(const struct image *img, uint64_t p, uint64_t w)
{
	return fb_mix64(img->seed ^ ((p * img->ids_per_page + w / IMAGE_ID_WORDS) * 0xd6e8feb86659fd93ULL));
}

/* Word w (not an identity word) of pool slot s. */
static inline uint64_t image_pattern(const struct image *img, uint64_t s, uint64_t w)
{
	return fb_mix64(img->seed ^ 0x706f6f6c736c6f74ULL ^ (s * 0xff51afd7ed558ccdULL)) +
	       w * 0x9e3779b97f4a7c15ULL;
}

static inline uint64_t image_word(const struct image *img, uint64_t p, uint64_t w)
{
	if (image_is_zero(img, p))
		return 0;
	if (!(w % IMAGE_ID_WORDS))
		return image_id(img, p, w);
	return image_pattern(img, p & (img->pool_pages - 1), w);
}

/* What a vCPU writes into word 1 of page p: never zero, and equal to the
 * image's word 1 only by a 2^-64 hash coincidence. */
static inline uint64_t write_marker(uint64_t p)
{
	return 0xfb00000000000001ULL ^ (p << 1);
}

/* One resolver's prepared pages: K × page_size bytes, every slot holding its
 * pattern. Each resolver (handler thread, or vCPU that resolves its own
 * faults) owns one, so writing identity words into a slot races with no one. */
struct image_pool {
	char *buf;         /* bytes: K slots */
	uint64_t bytes;
	const char *zero;  /* then a page of zeros: never written, it costs no memory */
	uint64_t map_bytes;
};

/* Map and fill a pool for img (setup, not timed). 0 or -errno. */
int image_pool_init(struct image_pool *pl, const struct image *img);
void image_pool_destroy(struct image_pool *pl);

/* The address of a page holding image page p: p's slot, with p's identity
 * words written in (valid until this pool serves another page of the same
 * slot), or the zero page for a page of the zero map (a COPY source where
 * the range offers no UFFDIO_ZEROPAGE, as hugetlb does not). No allocation,
 * no locks, no system call: safe on the timed path and in a signal
 * handler. */
static inline uintptr_t image_pool_page(struct image_pool *pl, const struct image *img, uint64_t p)
{
	uint64_t *slot = (uint64_t *)(pl->buf + (p & (img->pool_pages - 1)) * img->page_size);

	if (image_is_zero(img, p))
		return (uintptr_t)pl->zero;
	for (uint64_t w = 0; w < img->page_words; w += IMAGE_ID_WORDS)
		slot[w] = image_id(img, p, w);
	return (uintptr_t)slot;
}

#endif
