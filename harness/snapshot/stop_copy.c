/* stop-copy: park every vCPU, declare T0, save every page, resume. The
 * pause is the whole copy. --inject save-late:PAGE (test-only) leaves PAGE
 * out of the copy and saves it after the vCPUs have written it again: the
 * verification must name it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "run.h"
#include "snapshot/snap.h"
#include "snapshot/writers.h"

static int sc_take(struct snap_run *r)
{
	const struct snap_io *io = &r->io;
	const struct snap_config *c = r->cfg;
	bool late = c->inject == SNAP_INJECT_SAVE_LATE;
	int e = io->pause(io->ctx);

	if (!e)
		e = io->t0(io->ctx);
	for (uint64_t p = 0; !e && p < io->bytes / io->page_size; p++) {
		/* a graceful stop: the vCPUs must not stay parked for the rest */
		if (run_stop_sig) {
			snprintf(r->why, sizeof(r->why), "interrupted at page %llu of %llu",
				 (unsigned long long)p, (unsigned long long)(io->bytes / io->page_size));
			e = -EINTR;
			break;
		}
		if (!late || p != c->inject_page)
			e = io->save(io->ctx, p, io->base + p * io->page_size);
	}
	if (io->resume(io->ctx) && !e)
		e = -EIO;
	if (!e && late) {
		writers_wait_round(r->w, c->inject_page, r->cut);
		e = io->save(io->ctx, c->inject_page, io->base + c->inject_page * io->page_size);
	}
	return e;
}

static int sc_nothing(struct snap_run *r)
{
	(void)r;
	return 0;
}

const struct snap_strategy snap_stop_copy = {
	.name = "stop-copy",
	.summary = "pause every vCPU at T0, save all memory, resume",
	.needs = "nothing",
	.prepare = sc_nothing,
	.take = sc_take,
	.cleanup = sc_nothing,
};
