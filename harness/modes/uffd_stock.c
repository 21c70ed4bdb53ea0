/* uffd-stock: MISSING faults go to handler threads, which resolve them with
 * UFFDIO_COPY from the source image, or UFFDIO_ZEROPAGE for zero pages. One
 * uffd for all vCPUs, or one per vCPU; R readers per uffd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "memory.h"
#include "mode.h"
#include "probe.h"
#include "timing.h"
#include "uffd.h"

/* One range registers with one uffd, so per-vCPU uffds need disjoint slices. */
int uffd_check_sharing(const struct fb_config *cfg, struct fb_err *err)
{
	if (cfg->overlap && cfg->uffd_sharing == UFFD_PER_VCPU) {
		fb_errf(err, "--uffd per-vcpu needs disjoint slices: a range registers with one uffd; "
			     "drop --overlap or use --uffd shared");
		return -EINVAL;
	}
	return 0;
}

static const char *stock_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				     char *why, size_t n)
{
	return mode_uffd_unsupported(cfg, h, cfg->resolve == RESOLVE_MOVE ? UFFD_FEATURE_MOVE : 0,
				     why, n);
}

static int stock_msg(struct uffd_server *s, struct uffd_handler *h, const struct uffd_msg *m)
{
	uint64_t addr, page;

	if (m->event != UFFD_EVENT_PAGEFAULT)
		return 0;
	addr = m->arg.pagefault.address - (uintptr_t)s->run->gm->base;
	page = addr / s->run->cfg->page_size;
	return uffd_resolve_from_image(s, h, page);
}

/* Register the region (shared) or each vCPU's slice (per-vcpu) for MISSING
 * faults, then start the handlers. */
int uffd_stock_setup_server(struct mode_run *r, struct uffd_server *s, uffd_msg_fn fn,
			    uint64_t features, uint64_t reg_mode)
{
	const struct fb_config *cfg = r->cfg;
	uint64_t slice = cfg->slice_pages * cfg->page_size, ioctls, t0;
	int rc;

	uffd_server_init(s, r, fn);
	/* a MISSING fault is resolved with COPY (or ZEROPAGE): handlers need a source */
	s->copies = reg_mode & UFFDIO_REGISTER_MODE_MISSING;
	/* a range registered for WP as well tracks writes: a page copied in
	 * must start write-protected (clean), or every copy reads as a write */
	s->copy_wp = s->copies && (reg_mode & UFFDIO_REGISTER_MODE_WP);
	s->nuffds = cfg->uffd_sharing == UFFD_PER_VCPU ? cfg->vcpus : 1;
	s->range_ioctls = ~0ULL;
	features |= cfg->backing->uffd_missing_feature;
	if (cfg->resolve == RESOLVE_MOVE)
		features |= UFFD_FEATURE_MOVE;
	/* messages name the faulting thread: the fault anatomy matches them */
	if (r->anat)
		features |= UFFD_FEATURE_THREAD_ID;
	for (unsigned i = 0; i < s->nuffds; i++) {
		s->uffds[i] = uffd_open(features, r->err);
		if (s->uffds[i] < 0)
			return s->uffds[i];
	}
	t0 = fb_ticks();
	for (unsigned i = 0; i < s->nuffds; i++) {
		char *start = s->nuffds == 1 ? r->gm->base : r->gm->base + i * slice;
		uint64_t len = s->nuffds == 1 ? r->gm->size : slice;

		rc = uffd_register(s->uffds[i], start, len, reg_mode, &ioctls, r->err);
		if (rc)
			return rc;
		s->range_ioctls &= ioctls;
	}
	r->register_ns = fb_ticks_ns(fb_ticks() - t0);
	if (cfg->resolve == RESOLVE_MOVE && !(s->range_ioctls & (1ULL << _UFFDIO_MOVE))) {
		fb_errf(r->err, "--resolve move: the registered range does not offer UFFDIO_MOVE "
			"(ioctls 0x%llx)", (unsigned long long)s->range_ioctls);
		return -EOPNOTSUPP;
	}
	return s->tr->start(s, r->err);
}

int uffd_stock_teardown_server(struct mode_run *r, struct uffd_server *s)
{
	uint64_t slice = r->cfg->slice_pages * r->cfg->page_size, t0;
	int rc = s->tr->stop(s);

	t0 = fb_ticks();
	for (unsigned i = 0; i < s->nuffds; i++) {
		if (s->uffds[i] < 0)
			continue;
		if (s->nuffds == 1)
			uffd_unregister(s->uffds[i], r->gm->base, r->gm->size);
		else
			uffd_unregister(s->uffds[i], r->gm->base + i * slice, slice);
	}
	r->unregister_ns = fb_ticks_ns(fb_ticks() - t0);
	uffd_server_close(s);
	return rc;
}

static int stock_setup(struct mode_run *r)
{
	struct uffd_server *s = malloc(sizeof(*s));

	if (!s)
		return -ENOMEM;
	r->priv = s;
	return uffd_stock_setup_server(r, s, stock_msg, 0, UFFDIO_REGISTER_MODE_MISSING);
}

/* Teardown for a mode whose r->priv is a malloc'ed uffd_server. */
int uffd_server_mode_teardown(struct mode_run *r)
{
	struct uffd_server *s = r->priv;
	int rc;

	if (!s)
		return 0;
	rc = uffd_stock_teardown_server(r, s);
	free(s);
	r->priv = NULL;
	return rc;
}

/* Every fault message is one resolve or one EEXIST, and every distinct page
 * touched was resolved exactly once: what catches a lost or duplicated
 * resolve. `verb` names the resolve in messages ("resolved", "continued"). */
int uffd_account_check(struct mode_run *r, uint64_t touched, uint64_t resolved, const char *verb)
{
	const struct mode_counters *c = &r->counters;

	if (c->ioctl_errors) {
		fb_errf(r->err, "handlers: %llu uffd ioctls failed, first with %s",
			(unsigned long long)c->ioctl_errors, strerror(c->first_error));
		return -EIO;
	}
	if (c->uffd_msgs != resolved + c->eexist) {
		fb_errf(r->err,
			"accounting: %llu fault messages but %llu pages %s + %llu EEXIST "
			"(a resolve was lost or duplicated)",
			(unsigned long long)c->uffd_msgs, (unsigned long long)resolved, verb,
			(unsigned long long)c->eexist);
		return -EPROTO;
	}
	if (resolved != touched) {
		fb_errf(r->err, "accounting: %llu distinct pages touched but %llu %s",
			(unsigned long long)touched, (unsigned long long)resolved, verb);
		return -EPROTO;
	}
	return 0;
}

int uffd_account_resolved(struct mode_run *r, uint64_t touched)
{
	const struct mode_counters *c = &r->counters;

	return uffd_account_check(r, touched, c->pages_copied + c->pages_zeroed + c->pages_moved,
				  "resolved");
}

const struct fault_mode mode_uffd_stock = {
	.name = "uffd-stock",
	.summary = "MISSING faults resolved by handler threads: UFFDIO_COPY / ZEROPAGE",
	.needs = "Linux 4.3 (anon); 4.11 hugetlb, shmem (MISSING_HUGETLBFS/_SHMEM)",
	.flags = MODE_USES_UFFD | MODE_FILLS_IMAGE | MODE_INJECTS_ERRORS | MODE_HANDLERS |
		 MODE_HANDOFF | MODE_MOVES,
	.check = uffd_check_sharing,
	.unsupported = stock_unsupported,
	.setup = stock_setup,
	.teardown = uffd_server_mode_teardown,
	.account = uffd_account_resolved,
};
