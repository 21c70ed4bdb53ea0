/* Deterministic randomness for workloads: a seed always yields the same
 * sequence on every host and libc, which rand() does not promise. */
#ifndef FB_WL_RNG_H
#define FB_WL_RNG_H

#include <stdint.h>

struct wl_rng {
	uint64_t state;
};

/* splitmix64 (Steele, Lea, Flood): one add and a mix per draw, passes
 * BigCrush, and any 64-bit state is a valid seed. */
static inline uint64_t wl_rng_next(struct wl_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Each user passes its own salt so that, for one seed, the zipf rank
 * permutation and its draws are not the same stream. */
static inline void wl_rng_init(struct wl_rng *r, uint64_t seed, uint64_t salt)
{
	r->state = seed ^ salt;
	wl_rng_next(r);
}

/* Uniform in [0, bound), bound >= 1, without modulo bias (Lemire 2019).
 * bound fits in 32 bits because slices are at most 2^31 pages. */
static inline uint32_t wl_rng_below(struct wl_rng *r, uint32_t bound)
{
	uint64_t m = (wl_rng_next(r) >> 32) * bound;
	uint32_t lo = (uint32_t)m;

	if (lo < bound) {
		/* (2^32 - bound) % bound, i.e. 2^32 % bound: Lemire's threshold */
		/* cppcheck-suppress oppositeExpression */
		uint32_t t = -bound % bound;

		while (lo < t) {
			m = (wl_rng_next(r) >> 32) * bound;
			lo = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double wl_rng_double(struct wl_rng *r)
{
	return (double)(wl_rng_next(r) >> 11) * 0x1.0p-53;
}

/* a[0..n) = a uniformly random permutation of 0..n-1 (Fisher–Yates). */
static inline void wl_permutation(uint32_t *a, uint64_t n, struct wl_rng *r)
{
	for (uint64_t i = 0; i < n; i++)
		a[i] = (uint32_t)i;
	for (uint64_t i = n; i > 1; i--) {
		uint32_t j = wl_rng_below(r, (uint32_t)i);
		uint32_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

#endif
