/* precopy: a live snapshot by passes over dirty pages, with userfaultfd
 * WP_ASYNC dirty tracking and PAGEMAP_SCAN (harness/dirty.c), as CRIU's
 * pre-dump and live migration's precopy do; the consistency point is the
 * final pause.
 *
 *   pass 1     arm tracking (protect the whole range; async: a write
 *              only clears the page's uffd-wp bit, no message, no block),
 *              then save every page while the vCPUs write.
 *   pass k     PAGEMAP_SCAN for PAGE_IS_WRITTEN with PM_SCAN_WP_MATCHING:
 *              collect the pages written since the last arm and re-arm
 *              exactly those, in one walk; save them.
 *   stop       when a pass found fewer than residual_pages, or after
 *              `passes`: io->pause, a final scan, save what it found,
 *              io->t0, io->resume. That pause is the cost.
 *
 * Why it is exact: a page is copied only after the scan (or the arm) that
 * last cleared its written state, so any write the copy missed, or tore,
 * happened after that arm and shows in the next scan, at the latest the
 * final one, which runs with the vCPUs parked. The last save of a page
 * wins, so the sink holds memory as it was in the final pause. Pages
 * written again between passes are saved again: the sink's bytes count
 * each. Extra memory is the one copy buffer. */
#include "snapshot/precopy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "dirty.h"
#include "snapshot/page_copy.h"
#include "timing.h"
#include "uffd.h"

struct precopy {
	const struct snap_io *io;
	struct precopy_opts o;
	int uffd;
	bool registered;
	uint64_t npages;
	uint64_t *dirty;        /* the pass's dirty set, a bit per page */
	struct dirty_scanner ds;
	char *buf;
	uint64_t register_ns;
};

uint64_t precopy_features(const struct precopy_opts *o)
{
	return UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED |
	       (o->file_backed ? UFFD_FEATURE_WP_HUGETLBFS_SHMEM : 0);
}

int precopy_prepare(struct precopy **out, const struct snap_io *io, const struct precopy_opts *o,
		    struct fb_err *err)
{
	struct precopy *pc = calloc(1, sizeof(*pc));
	uint64_t t0;
	int rc;

	*out = pc;
	if (!pc)
		return -ENOMEM;
	pc->io = io;
	pc->o = *o;
	pc->uffd = -1;
	if (!o->passes || o->passes > PRECOPY_MAX_PASSES) {
		fb_errf(err, "precopy: passes %u: want 1 to %d", o->passes, PRECOPY_MAX_PASSES);
		return -EINVAL;
	}
	if (!io->page_size || io->bytes % io->page_size || (uintptr_t)io->base % io->page_size) {
		fb_errf(err, "precopy: guest memory is not a whole number of %llu-byte pages",
			(unsigned long long)io->page_size);
		return -EINVAL;
	}
	pc->npages = io->bytes / io->page_size;
	pc->dirty = calloc(dirty_words(pc->npages) ? dirty_words(pc->npages) : 1, 8);
	if (!pc->dirty || posix_memalign((void **)&pc->buf, 4096, io->page_size))
		return -ENOMEM;
	memset(pc->buf, 0, io->page_size);
	rc = dirty_scanner_init(&pc->ds, 0, err);
	if (rc)
		return rc;
	pc->uffd = uffd_open(precopy_features(o), err);
	if (pc->uffd < 0)
		return pc->uffd;
	t0 = fb_mono_ns();
	rc = uffd_register(pc->uffd, io->base, io->bytes, UFFDIO_REGISTER_MODE_WP, NULL, err);
	pc->register_ns = fb_mono_ns() - t0;
	if (rc)
		return rc;
	pc->registered = true;
	return 0;
}

static bool stopped(const struct precopy *pc)
{
	/* a signal handler's flag, or another thread's */
	return pc->o.stop && __atomic_load_n(pc->o.stop, __ATOMIC_RELAXED);
}

static int save_page(struct precopy *pc, uint64_t p)
{
	const struct snap_io *io = pc->io;

	snap_copy_page(pc->buf, io->base + p * io->page_size, io->page_size);
	return io->save(io->ctx, p, pc->buf);
}

/* Save every page in the dirty set (all of them: every page). Returns the
 * pages saved through *n. 0, -EINTR or save()'s -errno. */
static int save_set(struct precopy *pc, bool all, bool may_stop, uint64_t *n,
		    struct fb_err *err)
{
	int rc;

	*n = 0;
	for (uint64_t p = 0; p < pc->npages; p++) {
		if (!all) {
			uint64_t w = pc->dirty[p >> 6] >> (p & 63);

			if (!w) {   /* the rest of this word is clean */
				p |= 63;
				continue;
			}
			if (!(w & 1))
				continue;
		}
		if (may_stop && stopped(pc)) {
			fb_errf(err, "precopy: interrupted in a pass, %llu of its pages saved",
				(unsigned long long)*n);
			return -EINTR;
		}
		rc = save_page(pc, p);
		if (rc) {
			fb_errf(err, "precopy: saving page %llu failed: %s", (unsigned long long)p,
				strerror(-rc));
			return rc;
		}
		(*n)++;
	}
	return 0;
}

static int scan(struct precopy *pc, bool reprotect, struct precopy_stats *st, uint64_t *ns,
		struct fb_err *err)
{
	struct dirty_scan_stats ss = { 0 };
	int rc;

	memset(pc->dirty, 0, dirty_words(pc->npages) * 8);
	rc = dirty_scan(&pc->ds, pc->io->base, pc->io->page_size, pc->io->base, pc->io->bytes,
			reprotect, pc->dirty, &ss);
	st->scan_ns += ss.ns;
	st->scan_ioctls += ss.ioctls;
	if (ns)
		*ns = ss.ns;
	if (rc)
		fb_errf(err, "precopy: PAGEMAP_SCAN%s failed: %s",
			reprotect ? " with re-protect" : "", strerror(-rc));
	return rc;
}

int precopy_take(struct precopy *pc, struct precopy_stats *st, struct fb_err *err)
{
	const struct snap_io *io = pc->io;
	uint64_t t0, n;
	int rc, rc2;

	memset(st, 0, sizeof(*st));
	st->register_ns = pc->register_ns;
	if (!pc->registered)
		return -EINVAL;
	st->extra_memory_peak_bytes = io->page_size;
	if (io->extra_memory)
		io->extra_memory(io->ctx, io->page_size);
	/* pass 1: arm, then everything */
	t0 = fb_mono_ns();
	rc = dirty_writeprotect(pc->uffd, io->base, io->bytes, true);
	st->protect_ns = fb_mono_ns() - t0;
	if (rc) {
		fb_errf(err, "precopy: UFFDIO_WRITEPROTECT of the guest memory failed: %s",
			strerror(-rc));
		return rc;
	}
	rc = save_set(pc, true, true, &n, err);
	if (rc)
		return rc;
	st->pass_pages[st->passes++] = n;
	st->pages_saved += n;
	/* passes over what was written since the last arm */
	while (st->passes < pc->o.passes && n >= pc->o.residual_pages) {
		if (stopped(pc))
			break;
		if ((rc = scan(pc, true, st, NULL, err)) || (rc = save_set(pc, false, true, &n, err)))
			return rc;
		st->pass_pages[st->passes++] = n;
		st->pages_saved += n;
	}
	if (stopped(pc)) {
		fb_errf(err, "precopy: interrupted after pass %u", st->passes);
		return -EINTR;
	}
	/* the final pause: T0 */
	rc = io->pause(io->ctx);
	if (rc) {
		fb_errf(err, "precopy: pausing the vCPUs failed: %s", strerror(-rc));
		return rc;
	}
	t0 = fb_mono_ns();
	rc = scan(pc, false, st, &st->final_scan_ns, err);
	if (!rc)
		rc = save_set(pc, false, false, &st->final_pages, err);
	if (!rc && (rc = io->t0(io->ctx)))
		fb_errf(err, "precopy: declaring T0 failed: %s", strerror(-rc));
	st->pause_ns = fb_mono_ns() - t0;
	rc2 = io->resume(io->ctx);
	if (rc2 && !rc) {
		rc = rc2;
		fb_errf(err, "precopy: resuming the vCPUs failed: %s", strerror(-rc));
	}
	st->pages_saved += st->final_pages;
	if (io->extra_memory)
		io->extra_memory(io->ctx, 0);
	return rc;
}

int precopy_cleanup(struct precopy *pc)
{
	int rc = 0, r;

	if (!pc)
		return 0;
	if (pc->registered) {
		r = dirty_writeprotect(pc->uffd, pc->io->base, pc->io->bytes, false);
		rc = rc ? rc : r;
		r = uffd_unregister(pc->uffd, pc->io->base, pc->io->bytes);
		rc = rc ? rc : r;
	}
	if (pc->uffd >= 0)
		close(pc->uffd);
	dirty_scanner_free(&pc->ds);
	free(pc->dirty);
	free(pc->buf);
	free(pc);
	return rc;
}
