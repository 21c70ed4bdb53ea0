/* uffd-minor: the page cache already holds the image (filled through the
 * alias before timing); the guest mapping has no PTEs, so a first touch is a
 * MINOR fault, and the handler only installs the PTE (UFFDIO_CONTINUE).
 * This is demand_paging_test -u MINOR: what postcopy on shared memory costs
 * once the data has arrived.
 *
 * --handler process: the handler gets the uffd by Firecracker's handshake
 * and, as MEMFILE, the guest memory's own file (/proc/PID/fd/N of the memfd,
 * MODE_HANDOFF_GUEST_FILE), not a copy of the image: UFFDIO_CONTINUE maps
 * what the page cache of the guest's file holds, so the guest's file is what
 * a MINOR handler must reach. faultbench still fills the page cache before
 * the vCPUs start, as with threads: the handler only maps pages, and the
 * figures stay those of the data having arrived. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "config.h"
#include "image.h"
#include "memory.h"
#include "mode.h"
#include "probe.h"
#include "timing.h"
#include "uffd.h"

/* Pages a CONTINUE mapped: uffd_continue() counts every ioctl once, as a
 * success, an EEXIST, an EAGAIN retry or an error, so the successes need no
 * counter of their own (and survive teardown in r->counters). */
static uint64_t pages_continued(const struct mode_counters *c)
{
	return c->continue_ioctls - c->eexist - c->eagain - c->ioctl_errors;
}

static const char *minor_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				     char *why, size_t n)
{
	const struct backing *bk = cfg->backing;
	uint64_t f = bk->uffd_minor_feature;
	const char *r;

	if (!(bk->flags & BK_ALIAS)) {
		if (bk->flags & BK_HUGETLB)
			snprintf(why, n, "needs a second mapping of the page cache: use --backing memfd-hugetlb");
		else if (bk->flags & BK_SHARED)
			snprintf(why, n, "needs a second mapping of the page cache: use --backing memfd");
		else
			snprintf(why, n, "MINOR faults need shared memory with a page cache: "
					 "use --backing memfd or memfd-hugetlb");
		return why;
	}
	if (!f) {
		snprintf(why, n, "--backing %s has no MINOR fault support", bk->name);
		return why;
	}
	r = probe_uffd_unavailable_reason(h);
	if (r) {
		snprintf(why, n, "%s", r);
		return why;
	}
	if (!(h->uffd_features & f)) {
		snprintf(why, n, "needs UFFD_FEATURE_%s (Linux %s+)",
			 f == UFFD_FEATURE_MINOR_SHMEM ? "MINOR_SHMEM" : "MINOR_HUGETLBFS",
			 f == UFFD_FEATURE_MINOR_SHMEM ? "5.14" : "5.13");
		return why;
	}
	/* the server opens with the backing's MISSING feature too (older by far) */
	return mode_uffd_unsupported(cfg, h, f, why, n);
}

static int minor_msg(struct uffd_server *s, struct uffd_handler *h, const struct uffd_msg *m)
{
	const struct fb_config *cfg = s->run->cfg;
	uint64_t ps = cfg->page_size, off, page, dst;
	int rc;

	if (m->event != UFFD_EVENT_PAGEFAULT)
		return 0;
	off = m->arg.pagefault.address - (uintptr_t)s->run->gm->base;
	page = off / ps;
	dst = (uintptr_t)s->run->gm->base + page * ps;
	if (cfg->inject == INJECT_DROP_COPY && page == cfg->inject_page)
		return 0;
	rc = uffd_continue(h, dst, ps);
	if (!rc && cfg->inject == INJECT_DUPLICATE_COPY && page == cfg->inject_page)
		rc = uffd_continue(h, dst, ps);
	return rc < 0 ? rc : 0;
}

/* Put the image into the page cache through the alias (the guest mapping
 * stays untouched), from an image pool as a handler would copy. --inject
 * corrupt-copy fills PAGE from the next page's image, as a wrong copy
 * would. */
static int fill_page_cache(struct mode_run *r)
{
	const struct fb_config *cfg = r->cfg;
	const struct image *img = r->img;
	uint64_t ps = cfg->page_size;
	struct image_pool pool;
	int rc = image_pool_init(&pool, img);

	if (rc) {
		fb_errf(r->err, "uffd-minor: no memory for the source pages: %s", strerror(-rc));
		return rc;
	}
	for (uint64_t p = 0; p < img->npages; p++) {
		uint64_t src = p;

		if (cfg->inject == INJECT_CORRUPT_COPY && p == cfg->inject_page)
			src = (p + 1) % img->npages;
		if (image_is_zero(img, src))
			memset(r->gm->alias + p * ps, 0, ps);
		else
			memcpy(r->gm->alias + p * ps, (const void *)image_pool_page(&pool, img, src), ps);
	}
	image_pool_destroy(&pool);
	return 0;
}

static int minor_setup(struct mode_run *r)
{
	const struct fb_config *cfg = r->cfg;
	struct uffd_server *s = malloc(sizeof(*s));
	uint64_t t0;
	int rc;

	if (!s)
		return -ENOMEM;
	r->priv = s;
	uffd_server_init(s, r, minor_msg);
	if (!r->gm->alias) {
		fb_errf(r->err, "uffd-minor: --backing %s has no alias mapping", cfg->backing->name);
		return -EINVAL;
	}
	t0 = fb_ticks();
	rc = fill_page_cache(r);
	r->populate_ns = fb_ticks_ns(fb_ticks() - t0);
	if (rc)
		return rc;
	/* Nothing has touched the guest mapping, but make sure it has no PTEs:
	 * on shared memory this drops mappings only, the page cache stays.
	 * (hugetlb before 5.18 refuses MADV_DONTNEED; with no PTEs that is fine.) */
	madvise(r->gm->base, r->gm->size, MADV_DONTNEED);

	rc = uffd_stock_setup_server(r, s, minor_msg, cfg->backing->uffd_minor_feature,
				     UFFDIO_REGISTER_MODE_MINOR);
	if (rc)
		return rc;
	if (!(s->range_ioctls & (1ULL << _UFFDIO_CONTINUE))) {
		fb_errf(r->err, "UFFDIO_REGISTER (MINOR) on --backing %s does not offer UFFDIO_CONTINUE",
			cfg->backing->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The vCPUs are done, so nothing can fault any more: stop the handlers now,
 * which sums their counters into r->counters for report(). Teardown's stop
 * is then a no-op. */
static int minor_after_vcpus(struct mode_run *r, const uint64_t *touched, const uint64_t *written)
{
	struct uffd_server *s = r->priv;

	(void)touched;
	(void)written;
	/* a handler process that died or would not stop fails the run here */
	return s ? s->tr->stop(s) : 0;
}

/* Every MINOR message is one CONTINUE that mapped the page or one EEXIST;
 * every distinct page touched was mapped exactly once. */
static int minor_account(struct mode_run *r, uint64_t touched)
{
	const struct mode_counters *c = &r->counters;

	if (c->pages_copied || c->pages_zeroed) {
		fb_errf(r->err, "accounting: %llu pages copied and %llu zeroed: MINOR faults must "
			"only be continued", (unsigned long long)c->pages_copied,
			(unsigned long long)c->pages_zeroed);
		return -EPROTO;
	}
	return uffd_account_check(r, touched, pages_continued(c), "continued");
}

static json_t *minor_report(struct mode_run *r)
{
	struct uffd_server *s = r->priv;

	if (s)
		s->tr->stop(s); /* usually done by after_vcpus already */
	return json_pack("{s:I, s:f, s:I}",
			 "pages_continued", (json_int_t)pages_continued(&r->counters),
			 "fill_seconds", (double)r->populate_ns / 1e9,
			 "fill_bytes", (json_int_t)r->gm->size);
}

const struct fault_mode mode_uffd_minor = {
	.name = "uffd-minor",
	.summary = "page cache pre-filled via the alias; MINOR faults resolved with UFFDIO_CONTINUE",
	.needs = "Linux 5.13 (hugetlbfs, MINOR_HUGETLBFS), 5.14 (shmem, MINOR_SHMEM); "
		 "--backing memfd or memfd-hugetlb",
	.flags = MODE_USES_UFFD | MODE_FILLS_IMAGE | MODE_HANDLERS | MODE_HANDOFF |
		 MODE_HANDOFF_GUEST_FILE,
	.check = uffd_check_sharing,
	.unsupported = minor_unsupported,
	.setup = minor_setup,
	.after_vcpus = minor_after_vcpus,
	.teardown = uffd_server_mode_teardown,
	.account = minor_account,
	.report = minor_report,
};
