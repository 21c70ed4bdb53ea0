/* zero-unreg: uffd-stock, minus the round trips for pages known to be zero.
 *
 * As the E2B change (reference 000): the whole region is registered
 * MISSING|WP on one uffd with UFFD_FEATURE_WP_ASYNC; before the vCPUs start,
 * every run of pages the source image's zero map marks zero is unregistered
 * and registered again WP-only, and the region is write-protected. The kernel
 * then zero-fills those pages itself with no message, and the dirty set stays
 * exact: non-zero pages are installed by UFFDIO_COPY_MODE_WP (so they start
 * clean and a guest write dirties them), zero pages keep their uffd-wp
 * markers (WP_UNPOPULATED on anonymous memory), and after the vCPUs
 * PAGEMAP_SCAN reads the written set. One uffd owns everything: a VMA can
 * belong to one uffd context only, and the WP-only ranges must stay on the
 * same context to be re-armed and scanned with the rest.
 *
 * With --balloon F a balloon thread MADV_DONTNEEDs (MADV_REMOVE on shared
 * memory) a fraction F of the region mid-run. Each UFFD_EVENT_REMOVE marks
 * its pages zero-fill (a MISSING fault still in flight gets ZEROPAGE) and
 * moves them to WP-only, as the reference does for huge pages (UNREGISTER,
 * then REGISTER WP: a REGISTER over the registered range alone keeps
 * MISSING, seen on 6.18). One change from the reference: UNREGISTER clears
 * the uffd-wp state of the range (kernel: userfaultfd_clear_vma ->
 * uffd_wp_range(..., false)), so a blanket UFFDIO_WRITEPROTECT afterwards
 * would silently re-protect a guest write that landed between the two
 * ioctls. The range is re-armed with a
 * PAGEMAP_SCAN that reports and re-protects written pages atomically per
 * page; what it reports is carried into the dirty set (over-reporting, never
 * losing).
 *
 * Dirty-set semantics checked in after_vcpus: the pages the vCPUs wrote must
 * all be in the dirty set (none lost); pages only filled (COPY, kernel zero
 * fill) or read must not be (extras are counted). A ballooned page's content
 * legitimately becomes zero: it must be in the dirty set only if a guest
 * write landed after the zap (its word 1 holds the write marker). On private
 * anonymous memory a zap also drops the page's uffd-wp marker, so PAGEMAP_SCAN
 * reports the page written ("a zap is a write"); hugetlb and shmem keep
 * markers across a zap (MADV_DONTNEED, MADV_REMOVE). That difference is
 * measured per run by the zap probe (mode_data.zap_probe), not hidden. No
 * written page is lost on either: WP_ASYNC brings WP_UNPOPULATED, so a
 * re-arming scan puts markers back on zapped, empty ptes.
 *
 * --handler process splits the work as E2B's VMM and handler do: faultbench
 * registers, moves the zero runs to WP-only and write-protects, as above,
 * and after the vCPUs scans the dirty set; the handler process serves the
 * MISSING faults of the non-zero pages from the memory file with
 * UFFDIO_COPY_MODE_WP (told so by the side channel's copy_wp, never the
 * socket). A foreign handler (--handler-exec) is not told: one that copies
 * without MODE_WP leaves every page it installs writable, and the dirty set
 * then over-reports them (extra_dirty_pages; none is lost). Not with
 * --balloon (config.c): REMOVE events go to whoever holds the uffd, and the
 * handler process does not re-arm removed ranges. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dirty.h"
#include "image.h"
#include "memory.h"
#include "mode.h"
#include "probe.h"
#include "timing.h"
#include "uffd.h"

/* Per handler thread: what a handler needs to service faults and REMOVE
 * events in any order without allocating. */
struct zu_handler {
	struct dirty_scanner ds;   /* re-arming scans of removed ranges */
	uint64_t *q;               /* fault addresses read but not yet resolved */
	size_t qn, qcap;
	struct uffd_msg *msgs;     /* nested reads (EAGAIN while a REMOVE is queued) */
	size_t nmsgs;
};

struct zu {
	struct uffd_server srv;    /* first: on_msg finds zu from it */
	struct mode_run *r;
	/* zu_report's object: a handler counts a resolve after its ioctl has
	 * woken the vCPU, so its counts are only final once the handlers have
	 * stopped; teardown writes them in again then */
	json_t *report;
	char *base;
	uint64_t ps, npages;
	bool anon_private;         /* anon / thp: zap drops uffd-wp markers */
	uint64_t features;
	struct zu_handler *hs;
	unsigned nhs;
	struct dirty_scanner ds;   /* the main thread's scans */
	uint64_t *removed;         /* zero-fill from now on (REMOVE seen) */
	uint64_t *copied;          /* non-zero image pages installed by COPY */
	uint64_t *carry;           /* reported by re-arming scans of removed ranges */
	uint64_t *dirty;           /* the final dirty set */
	char *zero_src;            /* a page of zeros, COPY source where ZEROPAGE is not offered */

	/* setup */
	uint64_t zero_ranges, zero_pages;
	uint64_t zero_unregister_ns, zero_register_ns, writeprotect_ns;
	bool wp_unpopulated_effective;

	/* counted by handlers */
	_Atomic uint64_t resolved;         /* faults resolved (balloon trigger) */
	_Atomic uint64_t zero_range_msgs;  /* faults on pages of a zero range: stock fallback */
	_Atomic uint64_t dup_copies;       /* a non-zero page COPYed twice */
	_Atomic uint64_t image_copies;     /* COPYs of image data (non-zero pages) */
	_Atomic uint64_t zero_fills;       /* ZEROPAGE, or COPY of zeros, of ballooned pages */
	_Atomic uint64_t enoent_retired;   /* resolves that met a removed range mid re-register */
	_Atomic uint64_t zeropage_over_marker; /* ZEROPAGE refused a marker pte: COPY of zeros instead */
	_Atomic uint64_t remove_events, remove_pages, remove_unregister_ns, remove_register_ns,
		remove_scan_ns;
	_Atomic uint64_t carried_pages;
	_Atomic int remove_error;
	_Atomic int probe_mode;            /* zap probe running: REMOVE only marks */

	/* balloon */
	pthread_t balloon_tid;
	bool balloon_started;
	_Atomic int balloon_go;            /* after_vcpus: go now, the vCPUs are done */
	const char *balloon_trigger;
	uint64_t balloon_pages, balloon_calls, balloon_nonzero;
	uint64_t balloon_ns;
	int balloon_errno;

	/* after_vcpus */
	bool checked;
	struct dirty_diff diff;
	uint64_t touched_nonzero, written_pages, dirty_pages, scan_ns;
	uint64_t bal_rewritten, bal_reported, bal_lost;
	uint64_t bal_events, bal_remove_pages;  /* before the zap probe adds its own */

	/* zap probe: what one zap does to a clean, protected page */
	bool probe_done;
	uint64_t probe_pages, probe_clean_before, probe_wp_kept, probe_reported, probe_tracked;
	uint64_t probe_clean_after_rearm;
};

/* What account() needs after teardown freed the state (it runs last). One
 * repetition at a time, so one static copy. */
static struct {
	uint64_t touched_nonzero, balloon_pages, balloon_nonzero, zero_range_msgs, dup_copies;
	uint64_t image_copies, zero_fills;
	bool balloon;
} zu_acct;

/* Ballooned pages for content verification: the harness reads r->verify_skip
 * after teardown and never frees it, so one buffer is kept per process. */
static uint64_t *zu_skip_buf;
static uint64_t zu_skip_words;

static struct zu *zu_of(struct uffd_server *s)
{
	return (struct zu *)((char *)s - offsetof(struct zu, srv));
}

static void count_err(struct mode_counters *c, int e)
{
	if (!c->ioctl_errors++)
		c->first_error = e;
}

static bool anon_private(const struct backing *bk)
{
	return !(bk->flags & (BK_SHARED | BK_HUGETLB));
}

static uint64_t zu_features(const struct fb_config *cfg)
{
	uint64_t f = UFFD_FEATURE_WP_ASYNC;

	/* Anonymous memory write-protects empty ptes only with WP_UNPOPULATED
	 * (WP_ASYNC implies it on every kernel we saw; asked for anyway).
	 * hugetlb and shmem always install markers, but need WP on them. */
	if (anon_private(cfg->backing))
		f |= UFFD_FEATURE_WP_UNPOPULATED;
	else
		f |= UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	if (cfg->balloon > 0)
		f |= UFFD_FEATURE_EVENT_REMOVE;
	return f;
}

static const char *zu_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				  char *why, size_t n)
{
	if (mode_uffd_unsupported(cfg, h, zu_features(cfg), why, n))
		return why;
	if (!h->pagemap_scan) {
		snprintf(why, n, "needs PAGEMAP_SCAN on /proc/PID/pagemap (Linux 6.7+) to read the dirty set");
		return why;
	}
	return NULL;
}

/* From the registration's ioctl mask, which the handlers' creation orders
 * before them (not hugetlb: it has no UFFDIO_ZEROPAGE). */
static inline bool zeropage_ok(const struct zu *z)
{
	return z->srv.range_ioctls & (1ULL << _UFFDIO_ZEROPAGE);
}

static inline bool removed_bit(struct zu *z, uint64_t p)
{
	return (__atomic_load_n(&z->removed[p >> 6], __ATOMIC_ACQUIRE) >> (p & 63)) & 1;
}

/* ---- handler side --------------------------------------------------- */

static int zu_push(struct zu_handler *zh, struct uffd_handler *h, uint64_t addr)
{
	if (zh->qn == zh->qcap) {
		count_err(&h->c, ENOSPC);
		return -ENOSPC;
	}
	zh->q[zh->qn++] = addr;
	return 0;
}

static int zu_remove(struct zu *z, struct zu_handler *zh, struct uffd_handler *h, uint64_t start,
		     uint64_t end);

/* A resolve hit EAGAIN: the kernel has a layout change in flight
 * (mmap_changing), which ends only once someone reads its REMOVE event. With
 * one reader that is us, so read what is queued: handle events now, keep
 * faults for later. */
static int zu_drain_events(struct zu *z, struct zu_handler *zh, struct uffd_handler *h)
{
	ssize_t n = read(h->uffd, zh->msgs, zh->nmsgs * sizeof(*zh->msgs));
	int rc;

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			sched_yield();
			return 0;
		}
		count_err(&h->c, errno);
		return -errno;
	}
	h->c.reads++;
	for (size_t i = 0; i < (size_t)n / sizeof(*zh->msgs); i++) {
		const struct uffd_msg *m = &zh->msgs[i];

		if (m->event == UFFD_EVENT_PAGEFAULT) {
			h->c.uffd_msgs++;
			rc = zu_push(zh, h, m->arg.pagefault.address);
		} else {
			h->c.uffd_events++;
			rc = m->event == UFFD_EVENT_REMOVE ?
				     zu_remove(z, zh, h, m->arg.remove.start, m->arg.remove.end) : 0;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static void zu_wake(struct uffd_handler *h, uint64_t dst, uint64_t len)
{
	struct uffdio_range rg = { .start = dst, .len = len };

	h->c.wake_ioctls++;
	if (ioctl(h->uffd, UFFDIO_WAKE, &rg))
		count_err(&h->c, errno);
}

/* Resolve one MISSING fault: COPY_MODE_WP from the image, or zero-fill a
 * page that was ballooned (ZEROPAGE, or COPY of zeros on hugetlb). */
static int zu_resolve(struct zu *z, struct zu_handler *zh, struct uffd_handler *h, uint64_t addr)
{
	const struct fb_config *cfg = z->r->cfg;
	const struct image *img = z->r->img;
	uint64_t page = (addr - (uintptr_t)z->base) / z->ps, src_page = page;
	uint64_t dst = (uintptr_t)z->base + page * z->ps, len = z->ps, done = 0, e;
	bool zero = false, image_copy = false, use_zp = false, no_zp = false;
	int rc;

	if (page >= z->npages) {
		count_err(&h->c, EFAULT);
		return -EFAULT;
	}
	if (image_is_zero(img, page) && !removed_bit(z, page))
		atomic_fetch_add_explicit(&z->zero_range_msgs, 1, memory_order_relaxed);
	if (cfg->inject != INJECT_NONE && page == cfg->inject_page) {
		if (cfg->inject == INJECT_DROP_COPY)
			return 0;
		if (cfg->inject == INJECT_CORRUPT_COPY)
			src_page = (page + 1) % img->npages;
	}
	for (;;) {
		if (!done) {
			/* decided again after each EAGAIN: a REMOVE read in between
			 * turns this page into a zero-fill */
			zero = removed_bit(z, page) || image_is_zero(img, page);
			image_copy = !zero;
		}
		use_zp = zero && zeropage_ok(z) && !no_zp;
		if (use_zp) {
			struct uffdio_zeropage zp = { .range = { .start = dst + done, .len = len - done } };

			h->c.zeropage_ioctls++;
			rc = ioctl(h->uffd, UFFDIO_ZEROPAGE, &zp) ? -errno : 0;
			if (rc == -EAGAIN && zp.zeropage > 0)
				done += (uint64_t)zp.zeropage;
			/* UFFDIO_ZEROPAGE will not replace a uffd-wp marker on
			 * anonymous memory (EEXIST; COPY will), and the faulter
			 * would come straight back: seen on 6.18. (pagemap shows
			 * a marker as not present, "swapped", bit 57.) */
			if (rc == -EEXIST && !done && !dirty_pagemap_entry((void *)dst, &e) &&
			    !(e & DIRTY_PM_PRESENT)) {
				atomic_fetch_add_explicit(&z->zeropage_over_marker, 1, memory_order_relaxed);
				no_zp = true;
				continue;
			}
		} else {
			/* stamped again on each try: events drained after an EAGAIN
			 * may have resolved another page of the same pool slot */
			uint64_t src = zero ? (uintptr_t)z->zero_src : image_pool_page(&h->pool, img, src_page);
			struct uffdio_copy cp = { .dst = dst + done, .src = src + done, .len = len - done,
						  .mode = UFFDIO_COPY_MODE_WP };

			h->c.copy_ioctls++;
			rc = ioctl(h->uffd, UFFDIO_COPY, &cp) ? -errno : 0;
			if (rc == -EAGAIN && cp.copy > 0)
				done += (uint64_t)cp.copy;
		}
		if (!rc || (rc == -EAGAIN && done == len))
			break;
		if (rc == -EEXIST || (rc == -ENOENT && removed_bit(z, page))) {
			/* EEXIST: the page is there already (a racing fault, or
			 * the kernel filled it after a REMOVE moved it to
			 * WP-only). ENOENT: another handler is between the
			 * UNREGISTER and REGISTER of this removed range; the
			 * UNREGISTER woke our faulter, whose retry the kernel
			 * fills. Either way nothing to install: wake, count. */
			h->c.eexist++;
			if (rc == -ENOENT)
				atomic_fetch_add_explicit(&z->enoent_retired, 1, memory_order_relaxed);
			zu_wake(h, dst, len);
			return 0;
		}
		if (rc != -EAGAIN) {
			count_err(&h->c, -rc);
			return rc;
		}
		h->c.eagain++;
		rc = zu_drain_events(z, zh, h);
		if (rc)
			return rc;
	}
	if (use_zp)
		h->c.pages_zeroed++;
	else
		h->c.pages_copied++;
	if (image_copy) {
		uint64_t m = 1ULL << (page & 63);

		atomic_fetch_add_explicit(&z->image_copies, 1, memory_order_relaxed);
		if (__atomic_fetch_or(&z->copied[page >> 6], m, __ATOMIC_RELAXED) & m)
			atomic_fetch_add_explicit(&z->dup_copies, 1, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&z->zero_fills, 1, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&z->resolved, 1, memory_order_relaxed);
	if (cfg->inject == INJECT_DUPLICATE_COPY && page == cfg->inject_page) {
		struct uffdio_copy cp = { .dst = dst, .src = image_pool_page(&h->pool, img, src_page),
					  .len = len, .mode = UFFDIO_COPY_MODE_WP };

		h->c.copy_ioctls++;
		if (!ioctl(h->uffd, UFFDIO_COPY, &cp))
			h->c.pages_copied++;
		else if (errno == EEXIST)
			h->c.eexist++;
	}
	return 0;
}

/* UFFD_EVENT_REMOVE [start, end): the pages are gone (zeroed). From now on
 * they fill with zeros, without a round trip: mark them, move the range to
 * WP-only, and re-arm write tracking on it. The madvise that sent the event
 * zaps after we read it, concurrently with this. */
static int zu_remove(struct zu *z, struct zu_handler *zh, struct uffd_handler *h, uint64_t start,
		     uint64_t end)
{
	uint64_t lo = (uintptr_t)z->base, hi = lo + z->npages * z->ps, t0, t1, t2;
	struct dirty_scan_stats st = { 0 };
	int rc;

	start = start < lo ? lo : start;
	end = end > hi ? hi : end;
	if (start >= end)
		return 0;
	for (uint64_t p = (start - lo) / z->ps; p < (end - lo + z->ps - 1) / z->ps; p++)
		__atomic_fetch_or(&z->removed[p >> 6], 1ULL << (p & 63), __ATOMIC_RELEASE);
	if (atomic_load(&z->probe_mode)) {
		/* the zap probe watches the kernel alone: no re-arm */
		atomic_fetch_add_explicit(&z->remove_pages, (end - start) / z->ps, memory_order_release);
		return 0;
	}
	t0 = fb_ticks();
	rc = uffd_unregister(h->uffd, (void *)start, end - start);
	t1 = fb_ticks();
	if (!rc)
		rc = uffd_register(h->uffd, (void *)start, end - start, UFFDIO_REGISTER_MODE_WP, NULL,
				   NULL);
	t2 = fb_ticks();
	if (!rc)
		rc = dirty_scan(&zh->ds, z->base, z->ps, (const char *)start, end - start, true,
				z->carry, &st);
	if (rc) {
		int zero = 0;

		atomic_compare_exchange_strong(&z->remove_error, &zero, -rc);
		count_err(&h->c, -rc);
	}
	atomic_fetch_add_explicit(&z->remove_unregister_ns, fb_ticks_ns(t1 - t0), memory_order_relaxed);
	atomic_fetch_add_explicit(&z->remove_register_ns, fb_ticks_ns(t2 - t1), memory_order_relaxed);
	atomic_fetch_add_explicit(&z->remove_scan_ns, st.ns, memory_order_relaxed);
	atomic_fetch_add_explicit(&z->carried_pages, st.pages, memory_order_relaxed);
	atomic_fetch_add_explicit(&z->remove_events, 1, memory_order_relaxed);
	/* last: after_vcpus waits for every zapped page to be handled */
	atomic_fetch_add_explicit(&z->remove_pages, (end - start) / z->ps, memory_order_release);
	return rc;
}

static int zu_msg(struct uffd_server *s, struct uffd_handler *h, const struct uffd_msg *m)
{
	struct zu *z = zu_of(s);
	struct zu_handler *zh = &z->hs[h - s->h];
	int rc;

	if (m->event == UFFD_EVENT_REMOVE)
		return zu_remove(z, zh, h, m->arg.remove.start, m->arg.remove.end);
	if (m->event != UFFD_EVENT_PAGEFAULT)
		return 0;
	rc = zu_push(zh, h, m->arg.pagefault.address);
	while (!rc && zh->qn)
		rc = zu_resolve(z, zh, h, zh->q[--zh->qn]);
	return rc;
}

/* ---- balloon ---------------------------------------------------------- */

static double unit_hash(uint64_t seed, uint64_t i)
{
	return (double)(fb_mix64(seed ^ 0x62616c6c6f6f6eULL ^ (i * 0x9e3779b97f4a7c15ULL)) >> 11) *
	       0x1.0p-53;
}

static uint64_t balloon_chunk_pages(const struct zu *z)
{
	/* 64 KiB runs of base pages (a balloon frees in runs); one huge page */
	uint64_t c = z->ps >= 2 * FB_MiB ? 1 : (64 * FB_KiB) / z->ps;

	return c ? c : 1;
}

static void *balloon_main(void *arg)
{
	struct zu *z = arg;
	const struct fb_config *cfg = z->r->cfg;
	uint64_t chunk = balloon_chunk_pages(z), nchunks = (z->npages + chunk - 1) / chunk;
	uint64_t target = (z->npages - z->r->img->nzero) / 2, t0 = fb_mono_ns(), t1;
	int advice = (cfg->backing->flags & BK_SHARED) ? MADV_REMOVE : MADV_DONTNEED;
	struct timespec tick = { 0, 200000 };

	/* Mid-run, by what the mode can see: half the image's non-zero pages
	 * resolved. With nothing to resolve (an all-zero image, or reads of
	 * zero pages only) a 10 ms timer instead; never later than the end
	 * of the vCPUs. */
	for (;;) {
		if (atomic_load(&z->balloon_go)) {
			z->balloon_trigger = "vcpus_done";
			break;
		}
		if (target && atomic_load_explicit(&z->resolved, memory_order_relaxed) >= target) {
			z->balloon_trigger = "faults";
			break;
		}
		if (!target && fb_mono_ns() - t0 > 10000000ULL) {
			z->balloon_trigger = "timer";
			break;
		}
		nanosleep(&tick, NULL);
	}
	t1 = fb_mono_ns();
	for (uint64_t c = 0; c < nchunks; c++) {
		uint64_t p0 = c * chunk, n = p0 + chunk > z->npages ? z->npages - p0 : chunk;

		if (unit_hash(cfg->seed, c) >= cfg->balloon)
			continue;
		for (uint64_t p = p0; p < p0 + n; p++) {
			zu_skip_buf[p >> 6] |= 1ULL << (p & 63);
			z->balloon_nonzero += !image_is_zero(z->r->img, p);
		}
		z->balloon_calls++;
		if (madvise(z->base + p0 * z->ps, n * z->ps, advice)) {
			z->balloon_errno = errno;
			break;
		}
		z->balloon_pages += n;
	}
	z->balloon_ns = fb_mono_ns() - t1;
	return NULL;
}

/* ---- setup / teardown ------------------------------------------------- */

static int alloc_bitmap(uint64_t **b, uint64_t npages)
{
	*b = calloc(dirty_words(npages) ? dirty_words(npages) : 1, 8);
	return *b ? 0 : -ENOMEM;
}

/* The runs of zero pages inside [lo, hi), each moved to WP-only on uffd. */
static int unregister_zero_runs(struct zu *z, int uffd, uint64_t lo, uint64_t hi)
{
	const struct image *img = z->r->img;
	uint64_t p = lo, t0, t1, t2;
	int rc;

	while (p < hi) {
		uint64_t q;

		if (!image_is_zero(img, p)) {
			p++;
			continue;
		}
		for (q = p; q < hi && image_is_zero(img, q); q++)
			;
		t0 = fb_ticks();
		rc = uffd_unregister(uffd, z->base + p * z->ps, (q - p) * z->ps);
		t1 = fb_ticks();
		if (!rc)
			rc = uffd_register(uffd, z->base + p * z->ps, (q - p) * z->ps,
					   UFFDIO_REGISTER_MODE_WP, NULL, z->r->err);
		t2 = fb_ticks();
		if (rc) {
			fb_errf(z->r->err,
				"zero range %llu (pages %llu-%llu): moving it to WP-only failed: %s%s",
				(unsigned long long)z->zero_ranges, (unsigned long long)p,
				(unsigned long long)q - 1, strerror(-rc),
				rc == -ENOMEM ? " (each range is a VMA: raise vm.max_map_count or "
						"use a smaller --size / --zero-fraction nearer 0 or 1)" : "");
			return rc;
		}
		z->zero_unregister_ns += fb_ticks_ns(t1 - t0);
		z->zero_register_ns += fb_ticks_ns(t2 - t1);
		z->zero_ranges++;
		z->zero_pages += q - p;
		p = q;
	}
	return 0;
}

static int zu_setup(struct mode_run *r)
{
	const struct fb_config *cfg = r->cfg;
	struct zu *z = calloc(1, sizeof(*z));
	uint64_t slice, t0, entry;
	size_t qcap;
	int rc;

	if (!z)
		return -ENOMEM;
	r->priv = z;
	z->r = r;
	z->base = r->gm->base;
	z->ps = cfg->page_size;
	z->npages = r->gm->size / z->ps;
	z->anon_private = anon_private(cfg->backing);
	z->features = zu_features(cfg) | cfg->backing->uffd_missing_feature;
	uffd_server_init(&z->srv, r, zu_msg); /* teardown may run before the server starts */

	rc = dirty_scanner_init(&z->ds, 0, r->err);
	if (rc)
		return rc;
	if (alloc_bitmap(&z->removed, z->npages) || alloc_bitmap(&z->copied, z->npages) ||
	    alloc_bitmap(&z->carry, z->npages) || alloc_bitmap(&z->dirty, z->npages))
		return -ENOMEM;
	z->zero_src = mmap(NULL, z->ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (z->zero_src == MAP_FAILED) {
		z->zero_src = NULL;
		return -ENOMEM;
	}
	/* a vCPU has one fault outstanding, or two when UNREGISTER woke it and it
	 * faulted again before its first message was read; events are not queued */
	qcap = 2 * (size_t)cfg->vcpus + (size_t)cfg->batch + 64;
	z->nhs = cfg->handlers;
	z->hs = calloc(z->nhs, sizeof(*z->hs));
	if (!z->hs)
		return -ENOMEM;
	for (unsigned i = 0; i < z->nhs; i++) {
		struct zu_handler *zh = &z->hs[i];

		zh->qcap = qcap;
		zh->nmsgs = cfg->batch;
		zh->q = calloc(qcap, sizeof(*zh->q));
		zh->msgs = calloc(zh->nmsgs, sizeof(*zh->msgs));
		if (!zh->q || !zh->msgs)
			return -ENOMEM;
		rc = dirty_scanner_init(&zh->ds, 256, r->err);
		if (rc)
			return rc;
	}
	if (cfg->balloon > 0) {
		uint64_t words = dirty_words(z->npages);

		if (words > zu_skip_words) {
			free(zu_skip_buf);
			zu_skip_buf = calloc(words, 8);
			zu_skip_words = zu_skip_buf ? words : 0;
			if (!zu_skip_buf)
				return -ENOMEM;
		}
		memset(zu_skip_buf, 0, words * 8);
		r->verify_skip = zu_skip_buf;
	}

	/* Everything MISSING|WP first, as a VMM registers guest memory... */
	rc = uffd_stock_setup_server(r, &z->srv, zu_msg, zu_features(cfg),
				     UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP);
	if (rc)
		return rc;
	/* ...then the zero runs move to WP-only, on the uffd that owns them */
	slice = cfg->slice_pages;
	for (unsigned i = 0; i < z->srv.nuffds; i++) {
		uint64_t lo = z->srv.nuffds == 1 ? 0 : i * slice;
		uint64_t hi = z->srv.nuffds == 1 ? z->npages : lo + slice;

		rc = unregister_zero_runs(z, z->srv.uffds[i], lo, hi);
		if (rc)
			return rc;
	}
	r->register_ns += z->zero_register_ns;
	/* Arm tracking on the empty region: markers on every pte */
	t0 = fb_ticks();
	for (unsigned i = 0; i < z->srv.nuffds; i++) {
		uint64_t lo = z->srv.nuffds == 1 ? 0 : i * slice;
		uint64_t n = z->srv.nuffds == 1 ? z->npages : slice;

		rc = dirty_writeprotect(z->srv.uffds[i], z->base + lo * z->ps, n * z->ps, true);
		if (rc) {
			fb_errf(r->err, "UFFDIO_WRITEPROTECT of the empty region failed: %s", strerror(-rc));
			return rc;
		}
	}
	z->writeprotect_ns = fb_ticks_ns(fb_ticks() - t0);
	/* did the protect reach the empty ptes? (a marker: pagemap bit 57) */
	z->wp_unpopulated_effective = !dirty_pagemap_entry(z->base, &entry) &&
				      (entry & DIRTY_PM_UFFD_WP);

	if (cfg->balloon > 0) {
		rc = pthread_create(&z->balloon_tid, NULL, balloon_main, z);
		if (rc) {
			fb_errf(r->err, "balloon thread: pthread_create: %s", strerror(rc));
			return -rc;
		}
		z->balloon_started = true;
	}
	return 0;
}

static void balloon_stop(struct zu *z)
{
	if (!z->balloon_started)
		return;
	atomic_store(&z->balloon_go, 1);
	pthread_join(z->balloon_tid, NULL);
	z->balloon_started = false;
}

/* The mode's own counts, for a handler process: it keeps only the common
 * counters (r->counters, final once it has stopped). Without a balloon it
 * only COPYs, and every page it installed is a distinct page (a second COPY
 * of one is EEXIST): up to the non-zero pages touched they are image
 * copies, and any beyond them was a page of a zero range. A foreign
 * handler's counts are unknown (reported null, accounting skipped). */
static void process_counts(struct zu *z)
{
	const struct mode_counters *c = &z->r->counters;
	uint64_t image = c->pages_copied < z->touched_nonzero ? c->pages_copied : z->touched_nonzero;

	if (z->r->cfg->handler_exec)
		return;
	atomic_store(&z->image_copies, image);
	atomic_store(&z->zero_range_msgs, c->pages_copied - image + c->pages_zeroed);
}

static int zu_teardown(struct mode_run *r)
{
	struct zu *z = r->priv;

	if (!z)
		return 0;
	balloon_stop(z);
	uffd_stock_teardown_server(r, &z->srv);
	if (r->cfg->handler == HANDLER_PROCESS)
		process_counts(z);
	if (z->report && !r->cfg->handler_exec) {
		json_object_set_new(z->report, "zero_range_fault_msgs",
				    json_integer((json_int_t)atomic_load(&z->zero_range_msgs)));
		json_object_set_new(z->report, "image_copies",
				    json_integer((json_int_t)atomic_load(&z->image_copies)));
		json_object_set_new(z->report, "zero_fills",
				    json_integer((json_int_t)atomic_load(&z->zero_fills)));
		json_decref(z->report);
		z->report = NULL;
	}
	zu_acct.zero_range_msgs = atomic_load(&z->zero_range_msgs);
	zu_acct.dup_copies = atomic_load(&z->dup_copies);
	zu_acct.image_copies = atomic_load(&z->image_copies);
	zu_acct.zero_fills = atomic_load(&z->zero_fills);
	zu_acct.touched_nonzero = z->touched_nonzero;
	zu_acct.balloon = r->cfg->balloon > 0;
	zu_acct.balloon_pages = z->balloon_pages;
	zu_acct.balloon_nonzero = z->balloon_nonzero;
	dirty_scanner_free(&z->ds);
	for (unsigned i = 0; z->hs && i < z->nhs; i++) {
		dirty_scanner_free(&z->hs[i].ds);
		free(z->hs[i].q);
		free(z->hs[i].msgs);
	}
	free(z->hs);
	free(z->removed);
	free(z->copied);
	free(z->carry);
	free(z->dirty);
	if (z->zero_src)
		munmap(z->zero_src, z->ps);
	free(z);
	r->priv = NULL;
	return 0;
}

/* ---- the dirty set ------------------------------------------------------ */

/* Every zapped page handled by a handler (its REMOVE read and re-armed)? */
static int wait_removes(struct zu *z, uint64_t pages)
{
	uint64_t t0 = fb_mono_ns();
	struct timespec tick = { 0, 100000 };

	while (atomic_load_explicit(&z->remove_pages, memory_order_acquire) < pages) {
		if (fb_mono_ns() - t0 > 5000000000ULL) {
			fb_errf(z->r->err,
				"balloon: %llu pages zapped but REMOVE events for only %llu handled after 5 s",
				(unsigned long long)pages,
				(unsigned long long)atomic_load(&z->remove_pages));
			return -ETIMEDOUT;
		}
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* Ballooned pages: the dirty set must hold those a guest write reached after
 * the zap (word 1 holds the write marker), and may hold the rest. */
static void check_ballooned(struct zu *z)
{
	const uint64_t *skip = z->r->verify_skip;

	for (uint64_t p = 0; p < z->npages; p++) {
		const char *pg = z->base + p * z->ps;
		uint64_t e;

		if (!dirty_bit(skip, p))
			continue;
		if (dirty_bit(z->dirty, p))
			z->bal_reported++;
		/* only present pages are read: reading an empty one would fault */
		if (dirty_pagemap_entry(pg + 8, &e) || !(e & DIRTY_PM_PRESENT))
			continue;
		if (*(const volatile uint64_t *)(pg + 8) != write_marker(p))
			continue;
		z->bal_rewritten++;
		if (!dirty_bit(z->dirty, p))
			z->bal_lost++;
	}
}

/* The zap probe, after the dirty set is checked: up to 64 ballooned pages
 * (already WP-only, not verified) are made present and clean, zapped the way
 * the balloon zaps, and looked at with the REMOVE handling switched off, so
 * only the kernel acts. Is the page's uffd-wp state (pagemap bit 57) kept
 * across the zap; does PAGEMAP_SCAN report the zapped page written; once a
 * re-protecting scan re-armed it, is it clean again (on anonymous memory that
 * needs a marker on an empty pte: WP_UNPOPULATED), and is a write after that
 * tracked? */
static int probe_count(struct zu *z, const uint64_t *pages, uint64_t n, bool reprotect,
		       uint64_t *found)
{
	int rc;

	memset(z->dirty, 0, dirty_words(z->npages) * 8);
	*found = 0;
	for (uint64_t i = 0; i < n; i++) {
		rc = dirty_scan(&z->ds, z->base, z->ps, z->base + pages[i] * z->ps, z->ps, reprotect,
				z->dirty, NULL);
		if (rc)
			return rc;
		*found += dirty_bit(z->dirty, pages[i]);
	}
	return 0;
}

static uint64_t probe_markers(struct zu *z, const uint64_t *pages, uint64_t n)
{
	uint64_t k = 0, e;

	for (uint64_t i = 0; i < n; i++)
		k += !dirty_pagemap_entry(z->base + pages[i] * z->ps + 8, &e) && (e & DIRTY_PM_UFFD_WP);
	return k;
}

static void probe_write(struct zu *z, const uint64_t *pages, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		volatile uint64_t *w = (volatile uint64_t *)(z->base + pages[i] * z->ps + 8);

		/* a volatile store of the same value: the write fault is the point */
		/* cppcheck-suppress selfAssignment */
		*w = *w;
	}
}

static int zap_probe(struct zu *z)
{
	const struct fb_config *cfg = z->r->cfg;
	int advice = (cfg->backing->flags & BK_SHARED) ? MADV_REMOVE : MADV_DONTNEED;
	uint64_t pages[64], n = 0, done0, found;
	int rc;

	for (uint64_t p = 0; p < z->npages && n < FB_ARRAY_SIZE(pages); p++)
		if (dirty_bit(z->r->verify_skip, p))
			pages[n++] = p;
	if (!n)
		return 0;
	/* present and clean */
	probe_write(z, pages, n);
	rc = probe_count(z, pages, n, true, &found);
	if (rc)
		goto fail;
	rc = probe_count(z, pages, n, false, &found);
	if (rc)
		goto fail;
	z->probe_clean_before = n - found;
	/* the zap, with nobody re-arming */
	atomic_store(&z->probe_mode, 1);
	done0 = atomic_load(&z->remove_pages);
	for (uint64_t i = 0; i < n && !rc; i++)
		if (madvise(z->base + pages[i] * z->ps, z->ps, advice))
			rc = -errno;
	if (!rc)
		rc = wait_removes(z, done0 + n);
	atomic_store(&z->probe_mode, 0);
	if (rc)
		goto fail;
	z->probe_wp_kept = probe_markers(z, pages, n);
	rc = probe_count(z, pages, n, false, &z->probe_reported);
	if (rc)
		goto fail;
	/* re-arm, then: clean again? a write seen? */
	rc = probe_count(z, pages, n, true, &found);
	if (!rc)
		rc = probe_count(z, pages, n, false, &found);
	if (rc)
		goto fail;
	z->probe_clean_after_rearm = n - found;
	probe_write(z, pages, n);
	rc = probe_count(z, pages, n, false, &z->probe_tracked);
	if (rc)
		goto fail;
	z->probe_pages = n;
	z->probe_done = true;
	return 0;
fail:
	fb_errf(z->r->err, "zap probe: %s", strerror(-rc));
	return rc;
}

static int zu_after(struct mode_run *r, const uint64_t *touched, const uint64_t *written)
{
	struct zu *z = r->priv;
	const struct fb_config *cfg = r->cfg;
	struct dirty_scan_stats st = { 0 };
	uint64_t words = dirty_words(z->npages);
	int rc;

	for (uint64_t p = 0; p < z->npages; p++)
		z->touched_nonzero += dirty_bit(touched, p) && !image_is_zero(r->img, p);
	balloon_stop(z);
	if (cfg->balloon > 0) {
		if (z->balloon_errno) {
			fb_errf(r->err, "balloon: madvise(%s) failed: %s",
				cfg->backing->flags & BK_SHARED ? "MADV_REMOVE" : "MADV_DONTNEED",
				strerror(z->balloon_errno));
			return -z->balloon_errno;
		}
		rc = wait_removes(z, z->balloon_pages);
		if (rc)
			return rc;
		z->bal_events = atomic_load(&z->remove_events);
		z->bal_remove_pages = atomic_load(&z->remove_pages);
		if (atomic_load(&z->remove_error)) {
			fb_errf(r->err, "handling a REMOVE event failed: %s",
				strerror(atomic_load(&z->remove_error)));
			return -atomic_load(&z->remove_error);
		}
	}
	/* the dirty set: the scan now, plus what re-arming removed ranges
	 * reported earlier (it re-protected those pages) */
	memcpy(z->dirty, z->carry, words * 8);
	rc = dirty_scan(&z->ds, z->base, z->ps, z->base, z->npages * z->ps, false, z->dirty, &st);
	if (rc) {
		fb_errf(r->err, "PAGEMAP_SCAN of the region failed: %s", strerror(-rc));
		return rc;
	}
	z->scan_ns = st.ns;
	z->dirty_pages = dirty_count(z->dirty, z->npages);
	z->written_pages = dirty_count(written, z->npages);
	dirty_compare(z->dirty, written, r->verify_skip, z->npages, &z->diff);
	if (r->verify_skip)
		check_ballooned(z);
	z->checked = true;
	if (z->diff.missing) {
		fb_errf(r->err,
			"dirty tracking lost %llu of %llu pages the vCPUs wrote (first: page %lld); "
			"the dirty set has %llu pages",
			(unsigned long long)z->diff.missing, (unsigned long long)z->diff.expected,
			(long long)z->diff.first_missing, (unsigned long long)z->dirty_pages);
		return -EPROTO;
	}
	if (z->bal_lost && !z->anon_private) {
		fb_errf(r->err,
			"dirty tracking lost %llu ballooned pages a vCPU wrote after the zap, on --backing %s "
			"(only private anonymous memory drops uffd-wp state on a zap)",
			(unsigned long long)z->bal_lost, cfg->backing->name);
		return -EPROTO;
	}
	if (r->verify_skip)
		return zap_probe(z);
	return 0;
}

static int zu_account(struct mode_run *r, uint64_t touched)
{
	const struct mode_counters *c = &r->counters;
	uint64_t resolved = c->pages_copied + c->pages_zeroed;

	(void)touched;
	if (c->ioctl_errors) {
		fb_errf(r->err, "handlers: %llu uffd ioctls failed, first with %s",
			(unsigned long long)c->ioctl_errors, strerror(c->first_error));
		return -EIO;
	}
	if (zu_acct.zero_range_msgs) {
		fb_errf(r->err,
			"accounting: %llu fault messages for pages of zero ranges, which must fill in the "
			"kernel (the mode fell back to stock uffd there)",
			(unsigned long long)zu_acct.zero_range_msgs);
		return -EPROTO;
	}
	if (zu_acct.dup_copies) {
		fb_errf(r->err, "accounting: %llu non-zero pages were COPYed twice",
			(unsigned long long)zu_acct.dup_copies);
		return -EPROTO;
	}
	if (c->uffd_msgs != resolved + c->eexist) {
		fb_errf(r->err,
			"accounting: %llu fault messages but %llu pages resolved + %llu EEXIST "
			"(a resolve was lost or duplicated)",
			(unsigned long long)c->uffd_msgs, (unsigned long long)resolved,
			(unsigned long long)c->eexist);
		return -EPROTO;
	}
	if (!zu_acct.balloon && (zu_acct.image_copies != zu_acct.touched_nonzero || zu_acct.zero_fills)) {
		fb_errf(r->err,
			"accounting: %llu non-zero pages touched but %llu copied from the image and %llu "
			"zero-filled by the handlers (each must be COPYed exactly once, zero pages never)",
			(unsigned long long)zu_acct.touched_nonzero, (unsigned long long)zu_acct.image_copies,
			(unsigned long long)zu_acct.zero_fills);
		return -EPROTO;
	}
	/* A balloon zaps some non-zero pages before their first touch: those
	 * fill with zeros (ZEROPAGE, or the kernel once WP-only) */
	if (zu_acct.balloon && (zu_acct.image_copies > zu_acct.touched_nonzero ||
				zu_acct.image_copies + zu_acct.balloon_nonzero < zu_acct.touched_nonzero ||
				zu_acct.zero_fills > zu_acct.balloon_pages)) {
		fb_errf(r->err,
			"accounting: %llu non-zero pages touched, %llu of the region's non-zero pages "
			"ballooned, but %llu copied from the image and %llu zero-filled",
			(unsigned long long)zu_acct.touched_nonzero,
			(unsigned long long)zu_acct.balloon_nonzero, (unsigned long long)zu_acct.image_copies,
			(unsigned long long)zu_acct.zero_fills);
		return -EPROTO;
	}
	return 0;
}

static json_t *feature_names(uint64_t f)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < uffd_feature_names_count; i++)
		if (f & uffd_feature_names[i].bit)
			json_array_append_new(a, json_string(uffd_feature_names[i].name));
	return a;
}

static json_t *zu_report(struct mode_run *r)
{
	struct zu *z = r->priv;
	json_t *o, *b = json_null(), *zp = json_null();

	if (!z)
		return NULL;
	if (z->probe_done)
		zp = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
			       "advice", r->cfg->backing->flags & BK_SHARED ? "MADV_REMOVE" : "MADV_DONTNEED",
			       "pages", (json_int_t)z->probe_pages,
			       "clean_before_pages", (json_int_t)z->probe_clean_before,
			       "wp_kept_pages", (json_int_t)z->probe_wp_kept,
			       "reported_dirty_pages", (json_int_t)z->probe_reported,
			       "clean_after_rearm_pages", (json_int_t)z->probe_clean_after_rearm,
			       "writes_tracked_pages", (json_int_t)z->probe_tracked);
	if (r->cfg->balloon > 0)
		b = json_pack("{s:f, s:s?, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f}",
			      "fraction", r->cfg->balloon,
			      "trigger", z->balloon_trigger,
			      "pages", (json_int_t)z->balloon_pages,
			      "madvise_calls", (json_int_t)z->balloon_calls,
			      "seconds", (double)z->balloon_ns / 1e9,
			      "remove_events", (json_int_t)z->bal_events,
			      "remove_pages", (json_int_t)z->bal_remove_pages,
			      "carried_pages", (json_int_t)atomic_load(&z->carried_pages),
			      "rewritten_pages", (json_int_t)z->bal_rewritten,
			      "reported_dirty_pages", (json_int_t)z->bal_reported,
			      "lost_after_zap_pages", (json_int_t)z->bal_lost,
			      "enoent_retired", (json_int_t)atomic_load(&z->enoent_retired),
			      "unregister_seconds", (double)atomic_load(&z->remove_unregister_ns) / 1e9,
			      "register_seconds", (double)atomic_load(&z->remove_register_ns) / 1e9,
			      "rearm_scan_seconds", (double)atomic_load(&z->remove_scan_ns) / 1e9);
	o = json_pack("{s:o, s:b, s:b, s:b, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:b, s:I, s:I, s:I, "
		      "s:I, s:I, s:I, s:I, s:f, s:b, s:o, s:o}",
		      "features", feature_names(z->features),
		      "wp_async", 1,
		      "wp_unpopulated", !!(z->features & UFFD_FEATURE_WP_UNPOPULATED),
		      "wp_unpopulated_effective", z->wp_unpopulated_effective,
		      "zero_ranges", (json_int_t)z->zero_ranges,
		      "zero_pages", (json_int_t)z->zero_pages,
		      "zero_unregister_seconds", (double)z->zero_unregister_ns / 1e9,
		      "zero_register_seconds", (double)z->zero_register_ns / 1e9,
		      "writeprotect_seconds", (double)z->writeprotect_ns / 1e9,
		      "zero_range_fault_msgs", (json_int_t)atomic_load(&z->zero_range_msgs),
		      "touched_nonzero_pages", (json_int_t)z->touched_nonzero,
		      "dirty_checked", z->checked,
		      "written_pages", (json_int_t)z->written_pages,
		      "dirty_pages", (json_int_t)z->dirty_pages,
		      "lost_dirty_pages", (json_int_t)(z->diff.missing + z->bal_lost),
		      "extra_dirty_pages", (json_int_t)z->diff.extra,
		      "image_copies", (json_int_t)atomic_load(&z->image_copies),
		      "zero_fills", (json_int_t)atomic_load(&z->zero_fills),
		      "zeropage_over_marker", (json_int_t)atomic_load(&z->zeropage_over_marker),
		      "dirty_scan_seconds", (double)z->scan_ns / 1e9,
		      "lost_is_documented_limit", z->bal_lost > 0 && !z->diff.missing && z->anon_private,
		      "balloon", b,
		      "zap_probe", zp);
	if (o && r->cfg->handler_exec) {
		/* a foreign handler's counts are unknown, not zero */
		json_object_set_new(o, "zero_range_fault_msgs", json_null());
		json_object_set_new(o, "image_copies", json_null());
		json_object_set_new(o, "zero_fills", json_null());
	}
	z->report = json_incref(o);
	return o;
}

const struct fault_mode mode_zero_unreg = {
	.name = "zero-unreg",
	.summary = "uffd-stock, but zero ranges are WP-only: the kernel fills them",
	.needs = "Linux 6.7 (UFFD_FEATURE_WP_ASYNC, PAGEMAP_SCAN); WP_UNPOPULATED 6.4 on anon; "
		 "WP_HUGETLBFS_SHMEM 5.19 on hugetlb/shmem; EVENT_REMOVE with --balloon",
	.flags = MODE_USES_UFFD | MODE_FILLS_IMAGE | MODE_HANDLERS | MODE_HANDOFF,
	.uffd_features = UFFD_FEATURE_WP_ASYNC,
	.check = uffd_check_sharing,
	.unsupported = zu_unsupported,
	.setup = zu_setup,
	.after_vcpus = zu_after,
	.teardown = zu_teardown,
	.account = zu_account,
	.report = zu_report,
};
