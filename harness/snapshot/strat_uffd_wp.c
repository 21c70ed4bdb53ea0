/* uffd-wp: QEMU's background snapshot as a `faultbench snapshot` strategy,
 * a thin wrapper over the engine in uffd_wp.c. prepare registers guest
 * memory before the writers start; take protects it all at T0 and saves
 * every page once, faulted pages first; cleanup always un-protects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "result.h"
#include "run.h"
#include "snapshot/snap.h"
#include "snapshot/uffd_wp.h"
#include "uffd.h"

struct wp_data {
	struct uffd_wp *w;
	struct wp_opts o;
	struct wp_stats st;
};

static struct wp_opts wp_opts_of(const struct snap_config *c)
{
	return (struct wp_opts){
		.prepare = (enum wp_prepare)c->wp_prepare,
		.single_thread = c->wp_single_thread,
		/* private hugetlb too: its WP needs the same feature */
		.file_backed = (c->run.backing->flags & (BK_SHARED | BK_HUGETLB)) != 0,
		/* the graceful-stop flag: a SIGINT caught while armed ends take() */
		.stop = (const volatile int *)&run_stop_sig,
		.inject_unprotect_before_save_page =
			c->inject == SNAP_INJECT_UNPROTECT_EARLY ? (int64_t)c->inject_page : -1,
		/* the longest wait for a vCPU's write to the page: a busy
		 * machine's vCPUs still write it; the wait ends at the write */
		.inject_delay_ms = 5000,
	};
}

const char *snap_uffd_missing(const struct snap_config *c, const struct host_caps *h,
			      const char *strategy, uint64_t need, char *why, size_t n)
{
	const char *r = probe_uffd_unavailable_reason(h);
	char names[256];

	if (r) {
		snprintf(why, n, "%s: %s", strategy, r);
		return why;
	}
	if ((h->uffd_features & need) != need) {
		snprintf(why, n, "%s: needs %s (--backing %s)", strategy,
			 uffd_feature_list(need & ~h->uffd_features, names, sizeof(names)),
			 c->run.backing->name);
		return why;
	}
	return NULL;
}

int snap_engine_rc(struct snap_run *r, int e, const struct fb_err *err)
{
	if (e && err->msg[0])
		snprintf(r->why, sizeof(r->why), "%s", err->msg);
	return e;
}

static const char *wp_unsupported(const struct snap_config *c, const struct host_caps *h, char *why,
				  size_t n)
{
	struct wp_opts o = wp_opts_of(c);

	return snap_uffd_missing(c, h, "uffd-wp", uffd_wp_features(&o), why, n);
}

static int wp_prepare(struct snap_run *r)
{
	struct wp_data *d = calloc(1, sizeof(*d));
	struct fb_err err = { "" };

	if (!d)
		return -ENOMEM;
	r->priv = d;
	d->o = wp_opts_of(r->cfg);
	/* --inject's PAGE is a guest page: its first save unit */
	if (d->o.inject_unprotect_before_save_page >= 0)
		d->o.inject_unprotect_before_save_page *= (int64_t)(r->gm.page_size / r->io.page_size);
	return snap_engine_rc(r, uffd_wp_prepare(&d->w, &r->io, &d->o, &err), &err);
}

static int wp_take(struct snap_run *r)
{
	struct wp_data *d = r->priv;
	struct fb_err err = { "" };

	return snap_engine_rc(r, uffd_wp_take(d->w, &d->st, &err), &err);
}

static int wp_cleanup(struct snap_run *r)
{
	struct wp_data *d = r->priv;
	int e = d ? uffd_wp_cleanup(d->w) : 0;

	free(d);
	r->priv = NULL;
	return e;
}

static json_t *wp_report(struct snap_run *r)
{
	const struct wp_data *d = r->priv;
	const struct wp_stats *s = &d->st;

	return json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			 "wp_prepare", wp_prepare_names[d->o.prepare], "single_thread",
			 d->o.single_thread, "copy_bytes_per_fault", (json_int_t)r->io.page_size,
			 "pages", (json_int_t)s->pages, "wp_faults", (json_int_t)s->wp_faults,
			 "saver_saves", (json_int_t)s->saver_saves, "handler_saves",
			 (json_int_t)s->handler_saves, "fault_waits", (json_int_t)s->fault_waits,
			 "fault_service_p50_ns", (json_int_t)hist_quantile(&s->fault_service, 0.5),
			 "fault_service_p99_ns", (json_int_t)hist_quantile(&s->fault_service, 0.99),
			 "protect_ns", (json_int_t)s->protect_ns, "prefault_ns",
			 (json_int_t)s->prefault_ns, "register_ns", (json_int_t)s->register_ns,
			 "fault_service_ns", hist_to_json(&s->fault_service, 1));
}

const struct snap_strategy snap_uffd_wp = {
	.name = "uffd-wp",
	.summary = "write-protect all at T0; a saver saves in order, a handler saves faulted pages first",
	.needs = "userfaultfd write-protect (UFFD_FEATURE_WP_UNPOPULATED for --wp-prepare unpopulated)",
	.flags = SNAP_ST_SAVE_4K,
	.unsupported = wp_unsupported,
	.prepare = wp_prepare,
	.take = wp_take,
	.cleanup = wp_cleanup,
	.report = wp_report,
};
