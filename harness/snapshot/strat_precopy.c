/* precopy: WP_ASYNC dirty tracking and PAGEMAP_SCAN passes while the vCPUs
 * run, then a final stop-copy of the residual, as a `faultbench snapshot`
 * strategy; a thin wrapper over the engine in precopy.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "run.h"
#include "snapshot/precopy.h"
#include "snapshot/snap.h"

struct pc_data {
	struct precopy *pc;
	struct precopy_opts o;
	struct precopy_stats st;
};

static struct precopy_opts pc_opts_of(const struct snap_config *c)
{
	return (struct precopy_opts){
		.passes = c->precopy_passes,
		.residual_pages = c->precopy_residual,
		/* private hugetlb too: its WP needs the same feature */
		.file_backed = (c->run.backing->flags & (BK_SHARED | BK_HUGETLB)) != 0,
		.stop = (const volatile int *)&run_stop_sig,
	};
}

static const char *pc_unsupported(const struct snap_config *c, const struct host_caps *h, char *why,
				  size_t n)
{
	struct precopy_opts o = pc_opts_of(c);

	if (snap_uffd_missing(c, h, "precopy", precopy_features(&o), why, n))
		return why;
	if (!h->pagemap_scan) {
		snprintf(why, n, "precopy: needs the PAGEMAP_SCAN ioctl (Linux 6.7)");
		return why;
	}
	return NULL;
}

static int pc_prepare(struct snap_run *r)
{
	struct pc_data *d = calloc(1, sizeof(*d));
	struct fb_err err = { "" };

	if (!d)
		return -ENOMEM;
	r->priv = d;
	d->o = pc_opts_of(r->cfg);
	return snap_engine_rc(r, precopy_prepare(&d->pc, &r->io, &d->o, &err), &err);
}

static int pc_take(struct snap_run *r)
{
	struct pc_data *d = r->priv;
	struct fb_err err = { "" };

	return snap_engine_rc(r, precopy_take(d->pc, &d->st, &err), &err);
}

static int pc_cleanup(struct snap_run *r)
{
	struct pc_data *d = r->priv;
	int e = d ? precopy_cleanup(d->pc) : 0;

	free(d);
	r->priv = NULL;
	return e;
}

static json_t *pc_report(struct snap_run *r)
{
	const struct pc_data *d = r->priv;
	const struct precopy_stats *s = &d->st;
	json_t *pp = json_array();

	for (unsigned i = 0; i < s->passes && i < PRECOPY_MAX_PASSES; i++)
		json_array_append_new(pp, json_integer((json_int_t)s->pass_pages[i]));
	return json_pack("{s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "passes_max", (json_int_t)d->o.passes, "residual_pages",
			 (json_int_t)d->o.residual_pages, "passes", (json_int_t)s->passes,
			 "pass_pages", pp, "final_pages", (json_int_t)s->final_pages,
			 "pages_saved", (json_int_t)s->pages_saved, "copy_bytes_per_page",
			 (json_int_t)r->io.page_size, "protect_ns", (json_int_t)s->protect_ns,
			 "scan_ns", (json_int_t)s->scan_ns, "scan_ioctls", (json_int_t)s->scan_ioctls,
			 "final_scan_ns", (json_int_t)s->final_scan_ns, "final_pause_ns",
			 (json_int_t)s->pause_ns);
}

const struct snap_strategy snap_precopy = {
	.name = "precopy",
	.summary = "WP_ASYNC + PAGEMAP_SCAN passes while vCPUs run, then stop-copy of the residual",
	.needs = "userfaultfd WP_ASYNC and WP_UNPOPULATED (6.7), PAGEMAP_SCAN (6.7)",
	.unsupported = pc_unsupported,
	.prepare = pc_prepare,
	.take = pc_take,
	.cleanup = pc_cleanup,
	.report = pc_report,
	.flags = SNAP_ST_SAVE_4K,
};
