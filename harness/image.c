#include "image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static bool page_is_zero(uint64_t seed, uint64_t p, double fraction)
{
	/* 53 uniform bits → [0, 1) */
	double u = (double)(fb_mix64(seed ^ 0x7a65726f6d6170ULL ^ (p * 0xff51afd7ed558ccdULL)) >> 11) *
		   0x1.0p-53;

	return u < fraction;
}

int image_create(struct image *img, uint64_t npages, uint64_t page_size, double zero_fraction,
		 uint64_t seed, bool materialize, struct fb_err *err)
{
	uint64_t words = (npages + 63) / 64, wpp = page_size / 8;

	memset(img, 0, sizeof(*img));
	img->seed = seed;
	img->npages = npages;
	img->page_size = page_size;
	img->zero_fraction = zero_fraction;
	img->zero_bits = calloc(words ? words : 1, sizeof(uint64_t));
	if (!img->zero_bits) {
		fb_errf(err, "source image: no memory for the zero map of %llu pages",
			(unsigned long long)npages);
		return -ENOMEM;
	}
	for (uint64_t p = 0; p < npages; p++) {
		if (zero_fraction > 0 && page_is_zero(seed, p, zero_fraction)) {
			img->zero_bits[p >> 6] |= 1ULL << (p & 63);
			img->nzero++;
		}
	}
	if (!materialize || !npages)
		return 0;

	img->data_len = npages * page_size;
	/* zero pages are never written, so they cost no memory */
	img->data = mmap(NULL, img->data_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (img->data == MAP_FAILED) {
		int e = errno;

		img->data = NULL;
		image_destroy(img);
		fb_errf(err, "source image: mmap of %llu bytes failed: %s",
			(unsigned long long)npages * page_size, strerror(e));
		return -e;
	}
	for (uint64_t p = 0; p < npages; p++) {
		uint64_t *w = (uint64_t *)(img->data + p * page_size);

		if (image_is_zero(img, p))
			continue;
		for (uint64_t i = 0; i < wpp; i++)
			w[i] = image_word(img, p, i);
	}
	return 0;
}

void image_destroy(struct image *img)
{
	if (img->data)
		munmap(img->data, img->data_len);
	free(img->zero_bits);
	memset(img, 0, sizeof(*img));
}
