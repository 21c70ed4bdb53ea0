/* The clock on the timed path.
 *
 * On x86-64 with an invariant TSC, fb_ticks() is RDTSC (a few ns, no
 * syscall, no vDSO page walk) and fb_ticks_ns() converts with a multiply and
 * shift calibrated against CLOCK_MONOTONIC at start-up. Elsewhere both are
 * CLOCK_MONOTONIC in ns. fb_clock_init() must run before any timing. */
#ifndef FB_TIMING_H
#define FB_TIMING_H

#include <stdint.h>
#include <time.h>

struct fb_clock {
	int use_tsc;
	uint64_t mult;   /* ns = ticks * mult >> 32 */
	double tsc_ghz;
	const char *source;  /* "tsc" or "clock_monotonic" */
};
extern struct fb_clock fb_clock;

void fb_clock_init(void);

static inline uint64_t fb_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t fb_ticks(void)
{
#if defined(__x86_64__)
	if (fb_clock.use_tsc) {
		uint32_t lo, hi;

		/* lfence keeps the read from running ahead of earlier loads */
		__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
		return ((uint64_t)hi << 32) | lo;
	}
#endif
	return fb_mono_ns();
}

/* Without the fence: for back-to-back reads on the timed path, where the
 * instructions between them order themselves (a fault is precise). */
static inline uint64_t fb_ticks_fast(void)
{
#if defined(__x86_64__)
	if (fb_clock.use_tsc) {
		uint32_t lo, hi;

		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
		return ((uint64_t)hi << 32) | lo;
	}
#endif
	return fb_mono_ns();
}

static inline uint64_t fb_ticks_ns(uint64_t ticks)
{
	if (!fb_clock.use_tsc)
		return ticks;
	return (uint64_t)(((unsigned __int128)ticks * fb_clock.mult) >> 32);
}

#endif
