/* wp-unpop: dirty tracking as a live snapshot or precopy does it, with
 * UFFD_FEATURE_WP_ASYNC + WP_UNPOPULATED and PAGEMAP_SCAN (reference 001).
 *
 * Before the vCPUs start the whole, still empty region is registered WP and
 * write-protected: WP_UNPOPULATED makes that install uffd-wp markers on the
 * empty ptes of anonymous memory (hugetlb and shmem always do), so a first
 * touch is tracked like any later write. Faults fill in the kernel (zeros),
 * write faults clear the page's uffd-wp bit in the kernel (async): no uffd
 * message at all. After the vCPUs, round 0 collects the dirty set and
 * re-protects it in one PAGEMAP_SCAN (PM_SCAN_WP_MATCHING); each further
 * round (--wp-rounds) writes a deterministic subset of pages from the main
 * thread, scans again and checks the set exact. Those writes store the value
 * a page's word 1 already holds, so content verification is unchanged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dirty.h"
#include "memory.h"
#include "mode.h"
#include "probe.h"
#include "timing.h"
#include "uffd.h"

#define WU_MAX_ROUNDS 1000

struct wu_round {
	uint64_t expected, dirty, missing, extra;
	int64_t first_missing, first_extra;
	uint64_t scan_ns, scan_ioctls, write_ns;
};

struct wu {
	int uffd;
	bool registered;
	char *base;
	uint64_t ps, npages;
	uint64_t features;
	struct dirty_scanner ds;
	uint64_t *dirty, *expected;
	uint64_t writeprotect_ns;
	long vmpte_delta_kib;
	bool wp_unpopulated_effective;
	unsigned nrounds;
	struct wu_round rounds[WU_MAX_ROUNDS];
	uint64_t residual;
	bool residual_checked;
};

static bool anon_private(const struct backing *bk)
{
	return !(bk->flags & (BK_SHARED | BK_HUGETLB));
}

static uint64_t wu_features(const struct fb_config *cfg)
{
	uint64_t f = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED;

	if (!anon_private(cfg->backing))
		f |= UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	return f;
}

static const char *wu_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				  char *why, size_t n)
{
	const char *r = probe_uffd_unavailable_reason(h);
	uint64_t need = wu_features(cfg);
	char names[256];

	if (r) {
		snprintf(why, n, "%s", r);
		return why;
	}
	if ((h->uffd_features & need) != need) {
		snprintf(why, n, "needs %s on --backing %s",
			 uffd_feature_list(need & ~h->uffd_features, names, sizeof(names)),
			 cfg->backing->name);
		return why;
	}
	if (!h->pagemap_scan) {
		snprintf(why, n, "needs PAGEMAP_SCAN on /proc/PID/pagemap (Linux 6.7+) to read the dirty set");
		return why;
	}
	return NULL;
}

static int wu_setup(struct mode_run *r)
{
	const struct fb_config *cfg = r->cfg;
	struct wu *w = calloc(1, sizeof(*w));
	uint64_t t0, words, entry;
	long pte0;
	int rc;

	if (!w)
		return -ENOMEM;
	r->priv = w;
	w->uffd = -1;
	w->base = r->gm->base;
	w->ps = cfg->page_size;
	w->npages = r->gm->size / w->ps;
	w->features = wu_features(cfg);
	words = dirty_words(w->npages);
	rc = dirty_scanner_init(&w->ds, 0, r->err);
	if (rc)
		return rc;
	w->dirty = calloc(words ? words : 1, 8);
	w->expected = calloc(words ? words : 1, 8);
	if (!w->dirty || !w->expected)
		return -ENOMEM;
	w->uffd = uffd_open(w->features, r->err);
	if (w->uffd < 0)
		return w->uffd;
	pte0 = dirty_vmpte_kib();
	t0 = fb_ticks();
	rc = uffd_register(w->uffd, w->base, r->gm->size, UFFDIO_REGISTER_MODE_WP, NULL, r->err);
	r->register_ns = fb_ticks_ns(fb_ticks() - t0);
	if (rc)
		return rc;
	w->registered = true;
	/* the empty range: WP_UNPOPULATED gives it markers to keep */
	t0 = fb_ticks();
	rc = dirty_writeprotect(w->uffd, w->base, r->gm->size, true);
	w->writeprotect_ns = fb_ticks_ns(fb_ticks() - t0);
	if (rc) {
		fb_errf(r->err, "UFFDIO_WRITEPROTECT of the empty region failed: %s", strerror(-rc));
		return rc;
	}
	w->vmpte_delta_kib = pte0 >= 0 ? dirty_vmpte_kib() - pte0 : -1;
	w->wp_unpopulated_effective = !dirty_pagemap_entry(w->base, &entry) &&
				      (entry & DIRTY_PM_UFFD_WP);
	return 0;
}

/* Round k's pages: about a third, a different third each round. */
static bool in_round(uint64_t seed, unsigned k, uint64_t p)
{
	return fb_mix64(seed ^ ((uint64_t)k << 40) ^ (p * 0x9e3779b97f4a7c15ULL)) % 3 == 0;
}

static int scan_round(struct mode_run *r, struct wu *w, unsigned k, const uint64_t *expected)
{
	struct wu_round *rd = &w->rounds[k];
	struct dirty_scan_stats st = { 0 };
	struct dirty_diff d;
	int rc;

	memset(w->dirty, 0, dirty_words(w->npages) * 8);
	rc = dirty_scan(&w->ds, w->base, w->ps, w->base, w->npages * w->ps, true, w->dirty, &st);
	if (rc) {
		fb_errf(r->err, "round %u: PAGEMAP_SCAN with re-protect failed: %s", k, strerror(-rc));
		return rc;
	}
	dirty_compare(w->dirty, expected, NULL, w->npages, &d);
	rd->expected = d.expected;
	rd->dirty = d.dirty;
	rd->missing = d.missing;
	rd->extra = d.extra;
	rd->first_missing = d.first_missing;
	rd->first_extra = d.first_extra;
	rd->scan_ns = st.ns;
	rd->scan_ioctls = st.ioctls;
	w->nrounds = k + 1;
	if (d.missing || d.extra) {
		fb_errf(r->err,
			"round %u: dirty set not exact: %llu pages written, %llu reported, %llu lost "
			"(first: page %lld), %llu extra (first: page %lld)",
			k, (unsigned long long)d.expected, (unsigned long long)d.dirty,
			(unsigned long long)d.missing, (long long)d.first_missing,
			(unsigned long long)d.extra, (long long)d.first_extra);
		return -EPROTO;
	}
	return 0;
}

static int wu_after(struct mode_run *r, const uint64_t *touched, const uint64_t *written)
{
	const struct fb_config *cfg = r->cfg;
	struct wu *w = r->priv;
	uint64_t words = dirty_words(w->npages), t0;
	unsigned rounds = cfg->wp_rounds > WU_MAX_ROUNDS ? WU_MAX_ROUNDS : cfg->wp_rounds;
	int rc;

	(void)touched;
	/* round 0: what the vCPUs wrote, collected and re-armed */
	rc = scan_round(r, w, 0, written);
	if (rc)
		return rc;
	/* cppcheck 2.10 misreads the ?: clamp above as rounds < 1; it is 1..1000 */
	/* cppcheck-suppress knownConditionTrueFalse */
	for (unsigned k = 1; k < rounds; k++) {
		memset(w->expected, 0, words * 8);
		for (uint64_t p = 0; p < w->npages; p++)
			if (in_round(cfg->seed, k, p))
				dirty_set_bit(w->expected, p);
		/* a store of the value word 1 holds: written by the vCPUs
		 * (the write marker), or untouched (zero). A store of the
		 * same value is still a write: it takes the WP fault. */
		t0 = fb_ticks();
		for (uint64_t p = 0; p < w->npages; p++) {
			volatile uint64_t *wd = (volatile uint64_t *)(w->base + p * w->ps + 8);

			if (dirty_bit(w->expected, p))
				/* a volatile store, the write itself is the point */
				/* cppcheck-suppress selfAssignment */
				*wd = *wd;
		}
		w->rounds[k].write_ns = fb_ticks_ns(fb_ticks() - t0);
		rc = scan_round(r, w, k, w->expected);
		if (rc)
			return rc;
	}
	/* everything re-armed: a scan now must find nothing */
	memset(w->dirty, 0, words * 8);
	rc = dirty_scan(&w->ds, w->base, w->ps, w->base, w->npages * w->ps, false, w->dirty, NULL);
	if (rc) {
		fb_errf(r->err, "final PAGEMAP_SCAN failed: %s", strerror(-rc));
		return rc;
	}
	w->residual = dirty_count(w->dirty, w->npages);
	w->residual_checked = true;
	if (w->residual) {
		fb_errf(r->err, "%llu pages read dirty after the last re-protect, with no write since",
			(unsigned long long)w->residual);
		return -EPROTO;
	}
	return 0;
}

static int wu_teardown(struct mode_run *r)
{
	struct wu *w = r->priv;
	struct uffd_msg m[16];
	ssize_t n;
	uint64_t t0;

	if (!w)
		return 0;
	if (w->uffd >= 0) {
		/* No message is expected (async WP, no MISSING): count any, so
		 * account() can tell. The fd is non-blocking. */
		while ((n = read(w->uffd, m, sizeof(m))) > 0) {
			for (size_t i = 0; i < (size_t)n / sizeof(m[0]); i++) {
				if (m[i].event == UFFD_EVENT_PAGEFAULT)
					r->counters.uffd_msgs++;
				else
					r->counters.uffd_events++;
			}
		}
		t0 = fb_ticks();
		if (w->registered)
			uffd_unregister(w->uffd, w->base, r->gm->size);
		r->unregister_ns = fb_ticks_ns(fb_ticks() - t0);
		close(w->uffd);
	}
	dirty_scanner_free(&w->ds);
	free(w->dirty);
	free(w->expected);
	/* report() ran already; account() only needs the counters */
	free(w);
	r->priv = NULL;
	return 0;
}

static int wu_account(struct mode_run *r, uint64_t touched)
{
	const struct mode_counters *c = &r->counters;

	(void)touched;
	if (c->uffd_msgs || c->uffd_events || c->copy_ioctls || c->zeropage_ioctls) {
		fb_errf(r->err,
			"accounting: %llu uffd fault messages and %llu events, %llu COPY and %llu ZEROPAGE "
			"ioctls: with async WP and no MISSING registration there must be none",
			(unsigned long long)c->uffd_msgs, (unsigned long long)c->uffd_events,
			(unsigned long long)c->copy_ioctls, (unsigned long long)c->zeropage_ioctls);
		return -EPROTO;
	}
	return 0;
}

static json_t *wu_report(struct mode_run *r)
{
	struct wu *w = r->priv;
	json_t *rounds = json_array(), *feats = json_array(), *o;
	bool exact = true;

	if (!w || !rounds || !feats) {
		json_decref(rounds);
		json_decref(feats);
		return NULL;
	}
	for (size_t i = 0; i < uffd_feature_names_count; i++)
		if (w->features & uffd_feature_names[i].bit)
			json_array_append_new(feats, json_string(uffd_feature_names[i].name));
	for (unsigned k = 0; k < w->nrounds; k++) {
		const struct wu_round *rd = &w->rounds[k];
		bool ok = !rd->missing && !rd->extra;
		json_t *o1 = json_pack("{s:i, s:I, s:I, s:b, s:I, s:I, s:I, s:I}",
				       "round", (int)k,
				       "expected_pages", (json_int_t)rd->expected,
				       "dirty_pages", (json_int_t)rd->dirty,
				       "exact", ok,
				       "lost_pages", (json_int_t)rd->missing,
				       "extra_pages", (json_int_t)rd->extra,
				       "scan_ns", (json_int_t)rd->scan_ns,
				       "scan_ioctls", (json_int_t)rd->scan_ioctls);

		exact &= ok;
		/* round 0's writes are the vCPUs' first touches: the run's
		 * paging rate */
		if (o1 && k > 0) {
			json_object_set_new(o1, "write_ns", json_integer((json_int_t)rd->write_ns));
			json_object_set_new(o1, "write_rate_pps",
					    json_real(rd->write_ns ? (double)rd->dirty * 1e9 /
									     (double)rd->write_ns : 0));
		}
		json_array_append_new(rounds, o1);
	}
	o = json_pack("{s:o, s:b, s:b, s:f, s:I, s:i, s:b, s:o, s:b, s:I}",
		      "features", feats,
		      "wp_unpopulated", 1,
		      "wp_unpopulated_effective", w->wp_unpopulated_effective,
		      "writeprotect_seconds", (double)w->writeprotect_ns / 1e9,
		      "writeprotect_vmpte_kib", (json_int_t)w->vmpte_delta_kib,
		      "rounds_done", (int)w->nrounds,
		      "all_exact", exact && w->nrounds == r->cfg->wp_rounds,
		      "rounds", rounds,
		      "residual_checked", w->residual_checked,
		      "residual_dirty_pages", (json_int_t)w->residual);
	return o;
}

const struct fault_mode mode_wp_unpop = {
	.name = "wp-unpop",
	.summary = "kernel fills; WP_ASYNC dirty tracking, PAGEMAP_SCAN rounds checked",
	.needs = "Linux 6.7 (UFFD_FEATURE_WP_ASYNC, PAGEMAP_SCAN); WP_UNPOPULATED 6.4; "
		 "WP_HUGETLBFS_SHMEM 5.19 on hugetlb/shmem",
	.flags = MODE_USES_UFFD,
	.uffd_features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	.unsupported = wu_unsupported,
	.setup = wu_setup,
	.after_vcpus = wu_after,
	.teardown = wu_teardown,
	.account = wu_account,
	.report = wu_report,
};
