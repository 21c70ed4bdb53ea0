/* postcopy: guest memory arrives from a source process, as in a postcopy
 * live migration (QEMU's, the kernel's userfaultfd document): the vCPUs
 * run from switchover on, a fault thread asks the source for the pages they
 * fault on, and receiver threads install whatever arrives, requested or
 * streamed.
 *
 * faultbench is the destination. The source (`faultbench postcopy-source`,
 * postcopy_source.c) has its own address space and its own copy of the
 * image, and talks over stream sockets (postcopy_wire.h, postcopy_link.c).
 *
 * The destination's threads (the fault thread and the receivers) are
 * postcopy_dest.c's. With --handler thread they run here; with --handler
 * process they run in `faultbench handler`, which gets the uffd through
 * Firecracker's handshake (hproc.c) and inherits the block they share with
 * faultbench and its ends of the connections. Either way faultbench
 * creates and registers the uffd, starts the source, sends GO at
 * switchover, waits for the pages, and reads the figures from the block. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "blocktime.h"
#include "config.h"
#include "handoff.h"
#include "memory.h"
#include "mode.h"
#include "postcopy_dest.h"
#include "postcopy_link.h"
#include "probe.h"
#include "result.h"
#include "run.h"
#include "timing.h"
#include "uffd.h"

struct pc_mode {
	struct pc_dest d;          /* the block, and the threads when they run here */
	struct pc_link link;
	int uffd;
	uint64_t nprecopy;
	uint64_t go_ticks;
	bool proc;                 /* the threads run in a handler process */
	struct uffd_server hs;     /* ... started through hproc.c */
	struct handoff_extra extra;
	bool hs_started;
	bool complete;
	struct hist urgent_lat, stream_lat;  /* summed once the threads stopped */
};

/* What account() checks, kept past teardown. */
static struct pc_sum {
	bool valid;
	uint64_t npages, installed[3], msgs_after, end_pages, rx_bytes, end_bytes;
	uint64_t rx_urgent, end_urgent, lat_count, fault_pages;
} sum;

static const char *pc_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				  char *why, size_t n)
{
	return mode_uffd_unsupported(cfg, h, 0, why, n);
}

/* The pages wanted are in, within the fault timeout of no progress. */
static int wait_installed(struct pc_mode *m, struct mode_run *r, uint64_t want, const char *what)
{
	const struct fb_config *cfg = r->cfg;
	uint64_t last = 0, since = fb_mono_ns(), limit = (uint64_t)(cfg->fault_timeout_s * 1e9);
	struct timespec tick = { 0, 1000000 };

	/* a slow link may take a while for one page: that is not a stall */
	if (cfg->link_bw_bps)
		limit += (uint64_t)(4e9 * 8 * (double)(cfg->page_size + sizeof(struct pc_page)) /
				    (double)cfg->link_bw_bps);
	for (;;) {
		uint64_t n = atomic_load_explicit(&m->d.sh->ninstalled, memory_order_relaxed), now;
		int e = atomic_load(&r->fatal_errno);

		if (n >= want)
			return 0;
		if (run_stop_sig)
			return -EINTR;  /* the engine says what stopped it */
		if (e) {
			fb_errf(r->err, "postcopy: %s: a receiver failed with %s after %llu of %llu pages",
				what, strerrorname_np(e) ? strerrorname_np(e) : "?",
				(unsigned long long)n, (unsigned long long)want);
			return -e;
		}
		if (!atomic_load_explicit(&r->handlers_alive, memory_order_relaxed)) {
			fb_errf(r->err, "postcopy: %s: the destination's %s gone after %llu of %llu "
				"pages", what, m->proc ? "handler process is" : "fault thread is",
				(unsigned long long)n, (unsigned long long)want);
			return -ECHILD;
		}
		now = fb_mono_ns();
		if (n != last) {
			last = n;
			since = now;
		} else if (now - since > limit) {
			fb_errf(r->err, "postcopy: %s stalled: %llu of %llu pages installed, none for "
				"%.1f s (--fault-timeout, plus 4 pages' time on the link)", what,
				(unsigned long long)n, (unsigned long long)want, (double)limit / 1e9);
			return -ETIMEDOUT;
		}
		nanosleep(&tick, NULL);
	}
}

/* --handler process: `faultbench handler` takes the uffd with the
 * handshake, and inherits the block and its ends of the connections. */
static int start_handler_process(struct pc_mode *m, struct mode_run *r)
{
	struct uffd_server *s = &m->hs;

	memset(s, 0, sizeof(*s));
	s->run = r;
	s->tr = &handler_process;
	s->nuffds = 1;
	s->uffds[0] = m->uffd;
	s->stop_fd = -1;
	m->extra.role = HANDOFF_ROLE_POSTCOPY;
	m->extra.nfds = 1 + m->link.nconns;
	m->extra.fds[0] = m->d.fd;
	for (unsigned i = 0; i < m->link.nconns; i++)
		m->extra.fds[1 + i] = m->link.fd[i];
	s->extra = &m->extra;
	m->hs_started = true;
	return s->tr->start(s, r->err);
}

static int pc_setup(struct mode_run *r)
{
	const struct fb_config *cfg = r->cfg;
	const struct host_caps *h = probe_host();
	struct pc_mode *m = calloc(1, sizeof(*m));
	struct pc_dest_params dp;
	uint64_t features = cfg->backing->uffd_missing_feature, ioctls, t0;
	struct pc_hello hello = { .magic = PC_HELLO_MAGIC, .bytes = sizeof(hello) };
	int rc;

	memset(&sum, 0, sizeof(sum));
	if (!m)
		return -ENOMEM;
	r->priv = m;
	m->uffd = -1;
	m->d.fd = m->d.uffd = m->d.stop_fd = -1;
	m->proc = cfg->handler == HANDLER_PROCESS;
	for (unsigned i = 0; i < PC_MAX_CONNS; i++)
		m->link.fd[i] = -1;
	child_init(&m->link.src);
	dp = (struct pc_dest_params){
		.base = (uintptr_t)r->gm->base, .page_size = cfg->page_size,
		.npages = cfg->total_bytes / cfg->page_size, .batch = cfg->batch,
		/* a vCPU waits at most once per page it touches */
		.bt_cap = cfg->slice_pages + 1,
		.nrx = cfg->receivers + cfg->preempt, .nvcpus = cfg->vcpus,
		.bt_on = h->uffd_features & UFFD_FEATURE_THREAD_ID,
	};
	if (dp.bt_on)
		features |= UFFD_FEATURE_THREAD_ID;
	m->uffd = uffd_open(features, r->err);
	if (m->uffd < 0)
		return m->uffd;
	t0 = fb_ticks();
	rc = uffd_register(m->uffd, r->gm->base, r->gm->size, UFFDIO_REGISTER_MODE_MISSING, &ioctls,
			   r->err);
	r->register_ns = fb_ticks_ns(fb_ticks() - t0);
	if (rc) {
		close(m->uffd);
		m->uffd = -1;
		return rc;
	}
	dp.zeropage = ioctls & (1ULL << _UFFDIO_ZEROPAGE);
	rc = pc_dest_create(&m->d, &dp);
	if (rc)
		return rc;
	for (uint64_t p = 0; p < dp.npages; p++)
		m->nprecopy += pc_is_precopy(cfg->seed, cfg->precopy, p);
	hello.npages = dp.npages;
	hello.page_size = cfg->page_size;
	hello.seed = cfg->seed;
	hello.zero_run_pages = cfg->zero_run_bytes / cfg->page_size;
	hello.zero_fraction = cfg->zero_fraction;
	hello.precopy = cfg->precopy;
	hello.nstream = cfg->receivers;
	hello.preempt = cfg->preempt;
	hello.link_bw_bps = cfg->link_bw_bps;
	hello.link_delay_us = cfg->link_delay_us;
	hello.inject = cfg->inject;
	hello.inject_page = cfg->inject_page;
	rc = pc_link_open(&m->link, cfg, &hello, r->err);
	if (rc)
		return rc;
	if (m->proc) {
		rc = start_handler_process(m, r);
	} else {
		struct pc_health hl = { &r->fatal_errno, &r->fatal_page, &r->last_read_ns,
					&r->handlers_alive };

		rc = pc_dest_start(&m->d, m->uffd, m->link.fd, &hl);
	}
	if (rc)
		return rc;
	/* the precopy pass is in before the vCPUs start */
	return wait_installed(m, r, m->nprecopy, "the precopy pass");
}

static int pc_vcpu_prepare(struct mode_run *r, unsigned vcpu, char *slice, uint64_t bytes)
{
	struct pc_mode *m = r->priv;

	(void)slice;
	(void)bytes;
	if (m->d.sh->bt_on)
		blocktime_register(&m->d.bt, vcpu);  /* the map is in the block: seen by either */
	return 0;
}

/* Switchover: the source starts its stream. */
static void pc_released(struct mode_run *r)
{
	struct pc_mode *m = r->priv;
	uint64_t none = 0;

	m->go_ticks = fb_ticks();
	if (pc_link_ctl(&m->link, PC_CTL_GO, 0) &&
	    atomic_compare_exchange_strong(&r->fatal_page, &none, UINT64_MAX))
		atomic_store_explicit(&r->fatal_errno, EPIPE, memory_order_release);
	atomic_store_explicit(&m->d.sh->go_sent, 1, memory_order_release);
}

/* Stop the threads, wherever they run; a handler process is reaped. */
static int stop_dest(struct pc_mode *m)
{
	int rc;

	if (!m->proc) {
		pc_dest_stop(&m->d);
		return 0;
	}
	if (!m->hs_started)
		return 0;
	m->hs_started = false;
	rc = m->hs.tr->stop(&m->hs);
	return rc;
}

/* The vCPUs are done; the migration goes on until every page is in. Then
 * the threads stop, and their figures are summed. */
static int pc_after_vcpus(struct mode_run *r, const uint64_t *touched, const uint64_t *written)
{
	struct pc_mode *m = r->priv;
	struct pc_shared *sh = m->d.sh;
	int rc;

	(void)touched;
	(void)written;
	rc = wait_installed(m, r, sh->npages, "the migration");
	if (rc)
		return rc;
	/* the receivers end at the source's end marks */
	rc = stop_dest(m);
	if (rc)
		return rc;
	hist_init(&m->urgent_lat);
	hist_init(&m->stream_lat);
	hist_merge(&m->stream_lat, &sh->raced_lat);
	for (unsigned i = 0; i < sh->nrx; i++) {
		hist_merge(&m->urgent_lat, &m->d.out[i].urgent_lat);
		hist_merge(&m->stream_lat, &m->d.out[i].stream_lat);
		if (!m->d.out[i].ended) {
			fb_errf(r->err, "postcopy: connection %u ended without the source's end mark", i);
			return -EPROTO;
		}
	}
	m->complete = true;
	return 0;
}

static json_t *pc_report(struct mode_run *r)
{
	struct pc_mode *m = r->priv;
	const struct pc_shared *sh = m ? m->d.sh : NULL;
	uint64_t precopy = 0, stream = 0, urgent = 0, zero = 0, bytes = 0, last = 0;
	uint64_t eexist = 0, eagain = 0, all = 0, open = 0, stale = 0;
	uint64_t *per = calloc(r->cfg->vcpus, 8);
	json_t *j, *pv;

	if (!m || !m->complete || !per) {
		free(per);
		return NULL;
	}
	for (unsigned i = 0; i < sh->nrx; i++) {
		const struct pc_rx_out *rx = &m->d.out[i];

		precopy += rx->pages_precopy;
		stream += rx->pages_stream;
		urgent += rx->pages_urgent;
		zero += rx->pages_zero;
		eexist += rx->c.eexist;
		eagain += rx->c.eagain;
		bytes += rx->end.bytes + sizeof(struct pc_page) + sizeof(struct pc_end);
		stale += rx->end.requests_stale;
		if (rx->last_ticks > last)
			last = rx->last_ticks;
	}
	if (sh->bt_on)
		blocktime_sum(&m->d.bt, m->d.installed, per, &all, &open);
	pv = json_array();
	for (unsigned v = 0; v < r->cfg->vcpus; v++)
		json_array_append_new(pv, json_integer((json_int_t)per[v]));
	free(per);
	j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o,"
		      " s:I, s:I, s:b, s:I}",
		"pages_total", (json_int_t)sh->npages,
		"pages_precopy", (json_int_t)precopy,
		"pages_stream", (json_int_t)stream,
		"pages_urgent", (json_int_t)urgent,
		"pages_zero", (json_int_t)zero,
		"bytes_sent", (json_int_t)bytes,
		"requests_sent", (json_int_t)sh->requests_sent,
		"requests_deduped", (json_int_t)sh->requests_deduped,
		"eexist", (json_int_t)eexist,
		"eagain", (json_int_t)eagain,
		"migration_ns", (json_int_t)(last > m->go_ticks ? fb_ticks_ns(last - m->go_ticks) : 0),
		"blocktime_ns", (json_int_t)all,
		"blocktime_per_vcpu_ns", pv,
		"urgent_lat_ns", hist_to_json(&m->urgent_lat, 1),
		"stream_lat_ns", hist_to_json(&m->stream_lat, 1),
		"requests_stale", (json_int_t)stale,
		"link_queue_bytes", (json_int_t)m->d.out[0].end.queue_bytes,
		"blocktime_measured", (int)sh->bt_on,
		"fault_pages", (json_int_t)sh->fault_pages);
	/* what account() checks after teardown */
	sum.valid = true;
	sum.npages = sh->npages;
	sum.installed[0] = precopy;
	sum.installed[1] = stream;
	sum.installed[2] = urgent;
	sum.lat_count = m->urgent_lat.count + m->stream_lat.count;
	sum.fault_pages = sh->fault_pages;
	for (unsigned i = 0; i < sh->nrx; i++) {
		const struct pc_rx_out *rx = &m->d.out[i];

		sum.msgs_after += rx->msgs - rx->pages_precopy;
		sum.end_pages += rx->end.pages;
		sum.rx_bytes += rx->bytes;
		sum.end_bytes += rx->end.bytes;
		sum.rx_urgent += rx->pages_urgent;
		sum.end_urgent += rx->end.pages_urgent;
	}
	return j;
}

static int pc_teardown(struct mode_run *r)
{
	struct pc_mode *m = r->priv;
	int rc = 0, rc2;

	if (!m)
		return 0;
	/* the receivers wake when their connections shut down */
	for (unsigned i = 0; i < m->link.nconns; i++)
		if (m->link.fd[i] >= 0)
			shutdown(m->link.fd[i], SHUT_RDWR);
	if (m->d.sh)
		rc = stop_dest(m);
	if (m->link.nconns) {
		rc2 = pc_link_close(&m->link, r->err);
		rc = rc ? rc : rc2;
	}
	if (m->d.sh) {
		for (unsigned i = 0; i < m->d.sh->nrx; i++)
			uffd_counters_add(&r->counters, &m->d.out[i].c);
		r->counters.uffd_msgs = m->d.sh->faults;
		r->counters.uffd_events = m->d.sh->events;
		r->counters.reads = m->d.sh->reads;
	}
	if (m->uffd >= 0) {
		uint64_t t0 = fb_ticks();

		uffd_unregister(m->uffd, r->gm->base, r->gm->size);
		r->unregister_ns = fb_ticks_ns(fb_ticks() - t0);
		close(m->uffd);
	}
	pc_dest_free(&m->d);
	free(m);
	r->priv = NULL;
	return rc;
}

/* Every page arrived once, and every fault is counted once. */
static int pc_account(struct mode_run *r, uint64_t touched)
{
	const struct mode_counters *c = &r->counters;
	uint64_t in = sum.installed[0] + sum.installed[1] + sum.installed[2];

	if (!sum.valid)
		return 0;
	if (c->ioctl_errors) {
		fb_errf(r->err, "receivers: %llu uffd ioctls failed, first with %s",
			(unsigned long long)c->ioctl_errors, strerror(c->first_error));
		return -EIO;
	}
	if (in != sum.npages || c->eexist || sum.msgs_after != sum.end_pages) {
		fb_errf(r->err, "accounting: %llu of %llu pages installed (%llu precopy, %llu stream, "
			"%llu urgent), %llu EEXIST, %llu pages received after switchover where the "
			"source sent %llu (a page was lost or duplicated)",
			(unsigned long long)in, (unsigned long long)sum.npages,
			(unsigned long long)sum.installed[0], (unsigned long long)sum.installed[1],
			(unsigned long long)sum.installed[2], (unsigned long long)c->eexist,
			(unsigned long long)sum.msgs_after, (unsigned long long)sum.end_pages);
		return -EPROTO;
	}
	if (sum.rx_bytes != sum.end_bytes || sum.rx_urgent != sum.end_urgent) {
		fb_errf(r->err, "accounting: received %llu bytes and %llu urgent pages, the source "
			"sent %llu and %llu", (unsigned long long)sum.rx_bytes,
			(unsigned long long)sum.rx_urgent, (unsigned long long)sum.end_bytes,
			(unsigned long long)sum.end_urgent);
		return -EPROTO;
	}
	if (sum.lat_count != sum.fault_pages || sum.fault_pages > touched) {
		fb_errf(r->err, "accounting: %llu fault latencies for %llu faulting pages (%llu "
			"touched)", (unsigned long long)sum.lat_count,
			(unsigned long long)sum.fault_pages, (unsigned long long)touched);
		return -EPROTO;
	}
	return 0;
}

const struct fault_mode mode_postcopy = {
	.name = "postcopy",
	.summary = "pages from a source process over a link: fault thread + receivers",
	.needs = "Linux 4.3 (anon); 4.11 hugetlb, shmem; THREAD_ID (4.14) for blocktime",
	.flags = MODE_USES_UFFD | MODE_FILLS_IMAGE | MODE_LINK | MODE_HANDOFF,
	.unsupported = pc_unsupported,
	.setup = pc_setup,
	.vcpu_prepare = pc_vcpu_prepare,
	.vcpus_released = pc_released,
	.after_vcpus = pc_after_vcpus,
	.teardown = pc_teardown,
	.account = pc_account,
	.report = pc_report,
};
