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
 * The threads here, and what they share. Per page, one atomic byte:
 * FAULTED (the fault thread read a fault on it), REQUESTED, RECEIVED (a
 * receiver installed it). The fault thread reads uffd messages (MISSING on
 * the whole guest, THREAD_ID to know the vCPU) and sends a request unless
 * the page is already requested or received; the first fault on a page
 * stores its time first. A receiver reads a page, installs it (UFFDIO_COPY,
 * or UFFDIO_ZEROPAGE for a zero page where the range has it: hugetlb has
 * not, so a page of zeros is copied), then marks it RECEIVED; whichever of
 * the two comes second to a page both touched records the fault's latency
 * (fault thread's read -> page installed), so each faulting page is counted
 * once, as urgent (arrived in answer to a request) or stream. Blocktime is
 * blocktime.h's. Nothing on these paths allocates, locks or prints. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "blocktime.h"
#include "config.h"
#include "memory.h"
#include "mode.h"
#include "postcopy_link.h"
#include "probe.h"
#include "result.h"
#include "run.h"
#include "timing.h"
#include "uffd.h"

enum { PS_FAULTED = 1, PS_REQUESTED = 2, PS_RECEIVED = 4 };

struct pc_dest;

struct pc_rx {
	struct pc_dest *d;
	pthread_t tid;
	bool started;
	unsigned idx;
	int fd;
	char *buf;                 /* one page, read off the socket */
	struct mode_counters c;
	struct hist urgent_lat, stream_lat;
	uint64_t msgs, pages_precopy, pages_stream, pages_urgent, pages_zero;
	uint64_t bytes;            /* after switchover, END excluded */
	uint64_t last_ticks;       /* its last install */
	bool ended;                /* PC_END came */
	struct pc_end end;
} __attribute__((aligned(FB_CACHELINE)));

struct pc_dest {
	struct mode_run *r;
	int uffd, stop_fd;
	bool zeropage;             /* the range offers UFFDIO_ZEROPAGE */
	char *zero;                /* a page of zeros, for hugetlb (no ZEROPAGE) */
	struct pc_link link;
	uint64_t npages, nprecopy;
	_Atomic uint8_t *state;
	uint64_t *fault_ticks;     /* first fault read on each page */
	uint64_t *installed;       /* install tick of each page (0: not yet) */
	struct blocktime bt;
	bool bt_on;
	struct pc_rx *rx;
	unsigned nrx;
	_Atomic uint64_t ninstalled;
	_Atomic int go_sent;
	uint64_t go_ticks;
	/* the fault thread's */
	pthread_t ft;
	bool ft_started;
	struct uffd_msg *msgs;
	uint64_t faults, fault_pages, requests_sent, requests_deduped, reads, events;
	struct hist raced_lat;     /* faults whose page was in before the thread read them */
	/* summed once the threads stopped */
	bool complete;
	struct hist urgent_lat, stream_lat;
};

/* What account() checks, kept past teardown. */
static struct pc_sum {
	bool valid;
	uint64_t npages, installed[3], msgs_after, end_pages, rx_bytes, end_bytes;
	uint64_t rx_urgent, end_urgent, lat_count, fault_pages;
} sum;

static void fatal(struct mode_run *r, int e, uint64_t page1)
{
	uint64_t none = 0;

	if (atomic_compare_exchange_strong(&r->fatal_page, &none, page1))
		atomic_store_explicit(&r->fatal_errno, e, memory_order_release);
}

static int recv_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t g = recv(fd, p, n, MSG_WAITALL);

		if (g == 0)
			return -EPIPE;
		if (g < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += g;
		n -= (size_t)g;
	}
	return 0;
}

static int rx_one(struct pc_rx *rx, const struct pc_page *h)
{
	struct pc_dest *d = rx->d;
	uint64_t ps = d->r->cfg->page_size, p = h->page, t, dst;
	bool zero = h->flags & PC_ZERO;
	uint8_t old;
	int rc;

	if (p >= d->npages || h->len != (zero ? 0 : ps))
		return -EPROTO;
	if (h->len) {
		rc = recv_all(rx->fd, rx->buf, h->len);
		if (rc)
			return rc;
	}
	dst = (uintptr_t)d->r->gm->base + p * ps;
	if (zero && d->zeropage)
		rc = uffd_zeropage(d->uffd, &rx->c, dst, ps, false);
	else
		rc = uffd_copy(d->uffd, &rx->c, dst, (uintptr_t)(zero ? d->zero : rx->buf), ps, false);
	if (rc)
		return rc;
	t = fb_ticks();
	rx->msgs++;
	if (!(h->flags & PC_PRECOPY))
		rx->bytes += sizeof(*h) + h->len;
	old = atomic_fetch_or(&d->state[p], PS_RECEIVED);
	if (old & PS_RECEIVED)
		return 0;  /* sent twice: counted as EEXIST by the copy, and by account() */
	d->installed[p] = t;
	rx->last_ticks = t;
	rx->pages_zero += zero;
	if (h->flags & PC_PRECOPY)
		rx->pages_precopy++;
	else if (h->flags & PC_URGENT)
		rx->pages_urgent++;
	else
		rx->pages_stream++;
	if (old & PS_FAULTED) {
		uint64_t f = d->fault_ticks[p];

		hist_add(h->flags & PC_URGENT ? &rx->urgent_lat : &rx->stream_lat,
			 t > f ? fb_ticks_ns(t - f) : 0);
	}
	atomic_fetch_add_explicit(&d->ninstalled, 1, memory_order_relaxed);
	return 0;
}

static void *rx_main(void *arg)
{
	struct pc_rx *rx = arg;
	struct pc_dest *d = rx->d;
	struct pc_page h;
	int rc;

	for (;;) {
		rc = recv_all(rx->fd, &h, sizeof(h));
		if (rc)
			break;
		if (h.flags & PC_END) {
			rc = h.len == sizeof(rx->end) ? recv_all(rx->fd, &rx->end, sizeof(rx->end)) :
							 -EPROTO;
			rx->ended = !rc;
			break;
		}
		rc = rx_one(rx, &h);
		if (rc) {
			fatal(d->r, -rc, h.page < d->npages ? h.page + 1 : UINT64_MAX);
			return NULL;
		}
	}
	/* a connection that closed before its end: the source is gone */
	if (!rx->ended && !atomic_load(&d->r->fatal_errno))
		fatal(d->r, rc ? -rc : EPIPE, UINT64_MAX);
	return NULL;
}

static void on_fault(struct pc_dest *d, const struct uffd_msg *m, uint64_t t)
{
	struct mode_run *r = d->r;
	uint64_t p = (m->arg.pagefault.address - (uintptr_t)r->gm->base) / r->cfg->page_size;
	uint8_t old;

	d->faults++;
	if (d->bt_on) {
		int v = blocktime_vcpu(&d->bt, m->arg.pagefault.feat.ptid);

		if (v >= 0)
			blocktime_wait(&d->bt, (unsigned)v, p, t);
	}
	/* the fault thread alone sets FAULTED: the first fault's time goes first */
	if (!(atomic_load_explicit(&d->state[p], memory_order_relaxed) & PS_FAULTED))
		d->fault_ticks[p] = t;
	old = atomic_fetch_or(&d->state[p], PS_FAULTED | PS_REQUESTED);
	if (!(old & PS_FAULTED)) {
		d->fault_pages++;
		if (old & PS_RECEIVED)  /* in before we read the fault: the stream brought it */
			hist_add(&d->raced_lat, 0);
	}
	if (old & (PS_REQUESTED | PS_RECEIVED)) {
		d->requests_deduped++;
		return;
	}
	/* GO goes first on connection 0; the main thread sends it as the vCPUs
	 * start, so this waits at most once, for a moment */
	while (!atomic_load_explicit(&d->go_sent, memory_order_acquire))
		;
	if (pc_link_ctl(&d->link, PC_CTL_REQ, p))
		fatal(r, EPIPE, p + 1);
	d->requests_sent++;
}

static void *fault_main(void *arg)
{
	struct pc_dest *d = arg;
	struct mode_run *r = d->r;
	struct pollfd p[2] = { { .fd = d->uffd, .events = POLLIN }, { .fd = d->stop_fd, .events = POLLIN } };
	size_t cap = r->cfg->batch * sizeof(struct uffd_msg);

	for (;;) {
		ssize_t n;
		uint64_t t;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		n = read(d->uffd, d->msgs, cap);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fatal(r, errno, UINT64_MAX);
			break;
		}
		t = fb_ticks();
		d->reads++;
		atomic_store_explicit(&r->last_read_ns, fb_mono_ns(), memory_order_relaxed);
		for (size_t i = 0; i < (size_t)n / sizeof(struct uffd_msg); i++) {
			if (d->msgs[i].event == UFFD_EVENT_PAGEFAULT)
				on_fault(d, &d->msgs[i], t);
			else
				d->events++;
		}
	}
	atomic_store_explicit(&r->handlers_alive, 0, memory_order_relaxed);
	return NULL;
}

static const char *pc_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				  char *why, size_t n)
{
	return mode_uffd_unsupported(cfg, h, 0, why, n);
}

static int start_receivers(struct pc_dest *d)
{
	const struct fb_config *cfg = d->r->cfg;

	for (unsigned i = 0; i < d->nrx; i++) {
		struct pc_rx *rx = &d->rx[i];
		int rc;

		rx->buf = aligned_alloc(4096, cfg->page_size);
		if (!rx->buf)
			return -ENOMEM;
		rx->d = d;
		rx->idx = i;
		rx->fd = d->link.fd[i];
		hist_init(&rx->urgent_lat);
		hist_init(&rx->stream_lat);
		rc = pthread_create(&rx->tid, NULL, rx_main, rx);
		if (rc)
			return -rc;
		rx->started = true;
	}
	return 0;
}

/* The precopy pass is in: every page it sends installed, within the fault
 * timeout. */
static int wait_installed(struct pc_dest *d, uint64_t want, const char *what)
{
	struct mode_run *r = d->r;
	const struct fb_config *cfg = r->cfg;
	uint64_t last = 0, since = fb_mono_ns(), limit = (uint64_t)(cfg->fault_timeout_s * 1e9);
	struct timespec tick = { 0, 1000000 };

	/* a slow link may take a while for one page: that is not a stall */
	if (cfg->link_bw_bps)
		limit += (uint64_t)(4e9 * 8 * (double)(cfg->page_size + sizeof(struct pc_page)) /
				    (double)cfg->link_bw_bps);
	for (;;) {
		uint64_t n = atomic_load_explicit(&d->ninstalled, memory_order_relaxed), now;
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

static int pc_setup(struct mode_run *r)
{
	const struct fb_config *cfg = r->cfg;
	const struct host_caps *h = probe_host();
	struct pc_dest *d = calloc(1, sizeof(*d));
	uint64_t features = cfg->backing->uffd_missing_feature, ioctls, t0;
	struct pc_hello hello = { .magic = PC_HELLO_MAGIC, .bytes = sizeof(hello) };
	int rc;

	memset(&sum, 0, sizeof(sum));
	if (!d)
		return -ENOMEM;
	r->priv = d;
	d->r = r;
	d->uffd = d->stop_fd = -1;
	for (unsigned i = 0; i < PC_MAX_CONNS; i++)
		d->link.fd[i] = -1;
	child_init(&d->link.src);
	d->npages = cfg->total_bytes / cfg->page_size;
	d->nrx = cfg->receivers + cfg->preempt;
	d->bt_on = h->uffd_features & UFFD_FEATURE_THREAD_ID;
	if (d->bt_on)
		features |= UFFD_FEATURE_THREAD_ID;
	d->state = calloc(d->npages, 1);
	d->fault_ticks = calloc(d->npages, 8);
	d->installed = calloc(d->npages, 8);
	d->msgs = calloc(cfg->batch, sizeof(struct uffd_msg));
	/* never written: it reads as zeros and costs no memory, even at 1G */
	d->zero = mmap(NULL, cfg->page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->zero == MAP_FAILED)
		d->zero = NULL;
	d->rx = aligned_alloc(FB_CACHELINE, sizeof(*d->rx) * d->nrx);
	if (!d->state || !d->fault_ticks || !d->installed || !d->msgs || !d->zero || !d->rx)
		return -ENOMEM;
	memset(d->rx, 0, sizeof(*d->rx) * d->nrx);
	hist_init(&d->raced_lat);
	/* a vCPU waits at most once per page it touches */
	rc = blocktime_init(&d->bt, cfg->vcpus, cfg->slice_pages + 1);
	if (rc)
		return rc;
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (d->stop_fd < 0)
		return -errno;
	d->uffd = uffd_open(features, r->err);
	if (d->uffd < 0)
		return d->uffd;
	t0 = fb_ticks();
	rc = uffd_register(d->uffd, r->gm->base, r->gm->size, UFFDIO_REGISTER_MODE_MISSING, &ioctls,
			   r->err);
	r->register_ns = fb_ticks_ns(fb_ticks() - t0);
	if (rc) {
		close(d->uffd);
		d->uffd = -1;
		return rc;
	}
	d->zeropage = ioctls & (1ULL << _UFFDIO_ZEROPAGE);
	for (uint64_t p = 0; p < d->npages; p++)
		d->nprecopy += pc_is_precopy(cfg->seed, cfg->precopy, p);
	hello.npages = d->npages;
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
	rc = pc_link_open(&d->link, cfg, &hello, r->err);
	if (rc)
		return rc;
	rc = start_receivers(d);
	if (rc)
		return rc;
	rc = wait_installed(d, d->nprecopy, "the precopy pass");
	if (rc)
		return rc;
	atomic_store(&r->handlers_alive, 1);
	rc = pthread_create(&d->ft, NULL, fault_main, d);
	if (rc)
		return -rc;
	d->ft_started = true;
	return 0;
}

static int pc_vcpu_prepare(struct mode_run *r, unsigned vcpu, char *slice, uint64_t bytes)
{
	struct pc_dest *d = r->priv;

	(void)slice;
	(void)bytes;
	if (d->bt_on)
		blocktime_register(&d->bt, vcpu);
	return 0;
}

/* Switchover: the source starts its stream. */
static void pc_released(struct mode_run *r)
{
	struct pc_dest *d = r->priv;

	d->go_ticks = fb_ticks();
	if (pc_link_ctl(&d->link, PC_CTL_GO, 0))
		fatal(r, EPIPE, UINT64_MAX);
	atomic_store_explicit(&d->go_sent, 1, memory_order_release);
}

static void stop_fault_thread(struct pc_dest *d)
{
	uint64_t one = 1;

	if (!d->ft_started)
		return;
	if (write(d->stop_fd, &one, sizeof(one)) != sizeof(one))
		perror("faultbench: eventfd write");
	pthread_join(d->ft, NULL);
	d->ft_started = false;
}

static void join_receivers(struct pc_dest *d)
{
	for (unsigned i = 0; i < d->nrx; i++) {
		if (!d->rx[i].started)
			continue;
		pthread_join(d->rx[i].tid, NULL);
		d->rx[i].started = false;
	}
}

/* The vCPUs are done; the migration goes on until every page is in. Then
 * the threads stop, and their figures are summed. */
static int pc_after_vcpus(struct mode_run *r, const uint64_t *touched, const uint64_t *written)
{
	struct pc_dest *d = r->priv;
	int rc;

	(void)touched;
	(void)written;
	rc = wait_installed(d, d->npages, "the migration");
	if (rc)
		return rc;
	join_receivers(d);
	stop_fault_thread(d);
	hist_init(&d->urgent_lat);
	hist_init(&d->stream_lat);
	hist_merge(&d->stream_lat, &d->raced_lat);
	for (unsigned i = 0; i < d->nrx; i++) {
		hist_merge(&d->urgent_lat, &d->rx[i].urgent_lat);
		hist_merge(&d->stream_lat, &d->rx[i].stream_lat);
		if (!d->rx[i].ended) {
			fb_errf(r->err, "postcopy: connection %u ended without the source's end mark", i);
			return -EPROTO;
		}
	}
	d->complete = true;
	return 0;
}

static json_t *pc_report(struct mode_run *r)
{
	struct pc_dest *d = r->priv;
	uint64_t precopy = 0, stream = 0, urgent = 0, zero = 0, bytes = 0, last = 0;
	uint64_t eexist = 0, eagain = 0, all = 0, open = 0, stale = 0;
	uint64_t *per = calloc(r->cfg->vcpus, 8);
	json_t *j, *pv;

	if (!d || !d->complete || !per) {
		free(per);
		return NULL;
	}
	for (unsigned i = 0; i < d->nrx; i++) {
		const struct pc_rx *rx = &d->rx[i];

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
	if (d->bt_on)
		blocktime_sum(&d->bt, d->installed, per, &all, &open);
	pv = json_array();
	for (unsigned v = 0; v < r->cfg->vcpus; v++)
		json_array_append_new(pv, json_integer((json_int_t)per[v]));
	free(per);
	j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o,"
		      " s:I, s:I, s:b, s:I}",
		"pages_total", (json_int_t)d->npages,
		"pages_precopy", (json_int_t)precopy,
		"pages_stream", (json_int_t)stream,
		"pages_urgent", (json_int_t)urgent,
		"pages_zero", (json_int_t)zero,
		"bytes_sent", (json_int_t)bytes,
		"requests_sent", (json_int_t)d->requests_sent,
		"requests_deduped", (json_int_t)d->requests_deduped,
		"eexist", (json_int_t)eexist,
		"eagain", (json_int_t)eagain,
		"migration_ns", (json_int_t)(last > d->go_ticks ? fb_ticks_ns(last - d->go_ticks) : 0),
		"blocktime_ns", (json_int_t)all,
		"blocktime_per_vcpu_ns", pv,
		"urgent_lat_ns", hist_to_json(&d->urgent_lat, 1),
		"stream_lat_ns", hist_to_json(&d->stream_lat, 1),
		"requests_stale", (json_int_t)stale,
		"link_queue_bytes", (json_int_t)d->rx[0].end.queue_bytes,
		"blocktime_measured", d->bt_on,
		"fault_pages", (json_int_t)d->fault_pages);
	/* what account() checks after teardown */
	sum.valid = true;
	sum.npages = d->npages;
	sum.installed[0] = precopy;
	sum.installed[1] = stream;
	sum.installed[2] = urgent;
	sum.lat_count = d->urgent_lat.count + d->stream_lat.count;
	sum.fault_pages = d->fault_pages;
	for (unsigned i = 0; i < d->nrx; i++) {
		const struct pc_rx *rx = &d->rx[i];

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
	struct pc_dest *d = r->priv;
	int rc = 0;

	if (!d)
		return 0;
	stop_fault_thread(d);
	/* the receivers wake when their connections shut down */
	for (unsigned i = 0; i < d->link.nconns; i++)
		if (d->link.fd[i] >= 0)
			shutdown(d->link.fd[i], SHUT_RDWR);
	if (d->rx)
		join_receivers(d);
	if (d->link.nconns)
		rc = pc_link_close(&d->link, r->err);
	for (unsigned i = 0; d->rx && i < d->nrx; i++) {
		uffd_counters_add(&r->counters, &d->rx[i].c);
		free(d->rx[i].buf);
	}
	r->counters.uffd_msgs = d->faults;
	r->counters.uffd_events = d->events;
	r->counters.reads = d->reads;
	if (d->uffd >= 0) {
		uint64_t t0 = fb_ticks();

		uffd_unregister(d->uffd, r->gm->base, r->gm->size);
		r->unregister_ns = fb_ticks_ns(fb_ticks() - t0);
		close(d->uffd);
	}
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	blocktime_free(&d->bt);
	free(d->rx);
	if (d->zero)
		munmap(d->zero, r->cfg->page_size);
	free(d->msgs);
	free(d->installed);
	free(d->fault_ticks);
	free((void *)d->state);
	free(d);
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
	.flags = MODE_USES_UFFD | MODE_FILLS_IMAGE | MODE_LINK,
	.unsupported = pc_unsupported,
	.setup = pc_setup,
	.vcpu_prepare = pc_vcpu_prepare,
	.vcpus_released = pc_released,
	.after_vcpus = pc_after_vcpus,
	.teardown = pc_teardown,
	.account = pc_account,
	.report = pc_report,
};
