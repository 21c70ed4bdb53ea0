#include "image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* p: the page, or the run of pages, whose zeroness is drawn */
static bool page_is_zero(uint64_t seed, uint64_t p, double fraction)
{
	/* 53 uniform bits → [0, 1) */
	double u = (double)(fb_mix64(seed ^ 0x7a65726f6d6170ULL ^ (p * 0xff51afd7ed558ccdULL)) >> 11) *
		   0x1.0p-53;

	return u < fraction;
}

uint64_t image_pool_pages(uint64_t page_size)
{
	uint64_t k = 1;

	while (page_size && k * 2 * page_size <= IMAGE_POOL_BYTES)
		k *= 2;
	return k;
}

int image_create(struct image *img, uint64_t npages, uint64_t page_size, double zero_fraction,
		 uint64_t zero_run_pages, uint64_t seed, struct fb_err *err)
{
	uint64_t words = (npages + 63) / 64;

	memset(img, 0, sizeof(*img));
	img->seed = seed;
	img->npages = npages;
	img->page_size = page_size;
	img->page_words = page_size / 8;
	img->ids_per_page = img->page_words > IMAGE_ID_WORDS ? img->page_words / IMAGE_ID_WORDS : 1;
	img->pool_pages = image_pool_pages(page_size);
	img->zero_fraction = zero_fraction;
	img->zero_bits = calloc(words ? words : 1, sizeof(uint64_t));
	if (!img->zero_bits) {
		fb_errf(err, "source image: no memory for the zero map of %llu pages",
			(unsigned long long)npages);
		return -ENOMEM;
	}
	for (uint64_t p = 0; p < npages && zero_fraction > 0; p++) {
		if (page_is_zero(seed, zero_run_pages > 1 ? p / zero_run_pages : p, zero_fraction)) {
			img->zero_bits[p >> 6] |= 1ULL << (p & 63);
			img->nzero++;
		}
	}
	return 0;
}

void image_destroy(struct image *img)
{
	free(img->zero_bits);
	memset(img, 0, sizeof(*img));
}

int image_pool_init(struct image_pool *pl, const struct image *img)
{
	char *zero;
	int e;

	/* the zero page last, read-only: reads map the kernel's zero page */
	pl->bytes = img->pool_pages * img->page_size;
	pl->map_bytes = pl->bytes + img->page_size;
	pl->buf = mmap(NULL, pl->map_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pl->buf == MAP_FAILED) {
		e = errno;
		*pl = (struct image_pool){ 0 };
		return -e;
	}
	zero = pl->buf + pl->bytes;
	if (mprotect(zero, img->page_size, PROT_READ)) {
		e = errno;
		munmap(pl->buf, pl->map_bytes);
		*pl = (struct image_pool){ 0 };
		return -e;
	}
	pl->zero = zero;
	/* a read of each base page maps the zero page now, not on the timed path */
	for (uint64_t off = 0; off < img->page_size; off += 4096)
		(void)*(volatile const char *)(zero + off);
	/* every word, so the timed path never faults on its own buffer */
	for (uint64_t s = 0; s < img->pool_pages; s++) {
		uint64_t *w = (uint64_t *)(pl->buf + s * img->page_size);

		for (uint64_t i = 0; i < img->page_words; i++)
			w[i] = image_pattern(img, s, i);
	}
	return 0;
}

void image_pool_destroy(struct image_pool *pl)
{
	if (pl->buf)
		munmap(pl->buf, pl->map_bytes);
	*pl = (struct image_pool){ 0 };
}
