#include "timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fb_clock fb_clock = { .source = "clock_monotonic" };

#if defined(__x86_64__)
static int cpu_has_invariant_tsc(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int ok = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
		break;
	}
	fclose(f);
	return ok;
}
#endif

void fb_clock_init(void)
{
#if defined(__x86_64__)
	uint64_t t0, n0, t1, n1;
	const char *env = getenv("FAULTBENCH_CLOCK");

	if (fb_clock.mult || (env && !strcmp(env, "monotonic")) || !cpu_has_invariant_tsc())
		return;
	fb_clock.use_tsc = 1;
	/* 20 ms against CLOCK_MONOTONIC: well under 0.1% error */
	n0 = fb_mono_ns();
	t0 = fb_ticks();
	do
		n1 = fb_mono_ns();
	while (n1 - n0 < 20000000ULL);
	t1 = fb_ticks();
	if (t1 <= t0) {
		fb_clock.use_tsc = 0;
		return;
	}
	fb_clock.mult = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (t1 - t0));
	fb_clock.tsc_ghz = (double)(t1 - t0) / (double)(n1 - n0);
	fb_clock.source = "tsc";
#endif
}
