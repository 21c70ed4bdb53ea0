/* populate: MADV_POPULATE_WRITE or _READ prefaults the range, so the vCPUs
 * touch present pages. Populate time is reported apart from touch time. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "compat.h"
#include "config.h"
#include "memory.h"
#include "mode.h"
#include "probe.h"
#include "timing.h"

static int populate(char *p, uint64_t len, const struct fb_config *cfg, struct fb_err *err)
{
	int advice = cfg->populate == POPULATE_READ ? MADV_POPULATE_READ : MADV_POPULATE_WRITE;

	if (madvise(p, len, advice)) {
		int e = errno;

		fb_errf(err, "madvise(MADV_POPULATE_%s) of %llu bytes failed: %s",
			cfg->populate == POPULATE_READ ? "READ" : "WRITE", (unsigned long long)len,
			strerror(e));
		return -e;
	}
	return 0;
}

static const char *populate_unsupported(const struct fb_config *cfg, const struct host_caps *h,
					char *why, size_t n)
{
	(void)cfg;
	if (h->kernel_major < 5 || (h->kernel_major == 5 && h->kernel_minor < 14)) {
		snprintf(why, n, "needs MADV_POPULATE_READ/WRITE (Linux 5.14+); this is %s",
			 h->kernel_release);
		return why;
	}
	return NULL;
}

static int populate_setup(struct mode_run *r)
{
	uint64_t t0;
	int rc;

	if (r->cfg->populate_parallel)
		return 0;
	t0 = fb_ticks();
	rc = populate(r->gm->base, r->gm->size, r->cfg, r->err);
	r->populate_ns = fb_ticks_ns(fb_ticks() - t0);
	return rc;
}

/* --populate-parallel: each vCPU populates its own part, timed by the harness */
static int populate_vcpu(struct mode_run *r, unsigned vcpu, char *slice, uint64_t bytes)
{
	(void)vcpu;
	if (!r->cfg->populate_parallel)
		return 0;
	return populate(slice, bytes, r->cfg, r->err);
}

const struct fault_mode mode_populate = {
	.name = "populate",
	.summary = "prefaulted with MADV_POPULATE_WRITE/_READ before the vCPUs start",
	.needs = "Linux 5.14 (MADV_POPULATE_READ/WRITE)",
	.unsupported = populate_unsupported,
	.setup = populate_setup,
	.vcpu_prepare = populate_vcpu,
	.flags = MODE_PREPARE_POPULATES,
};
