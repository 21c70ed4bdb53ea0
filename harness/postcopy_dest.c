/* The postcopy destination's threads (postcopy_dest.h).
 *
 * Per page, one atomic byte: FAULTED (the fault thread read a fault on
 * it), REQUESTED, RECEIVED (a receiver installed it). The fault thread
 * reads uffd messages (MISSING on the whole guest, THREAD_ID to know the
 * vCPU) and sends a request unless the page is already requested or
 * received; the first fault on a page stores its time first. A receiver
 * reads a page, installs it (UFFDIO_COPY, or UFFDIO_ZEROPAGE for a zero
 * page where the range has it: hugetlb has not, so a page of zeros is
 * copied), then marks it RECEIVED; whichever of the two comes second to a
 * page both touched records the fault's latency (fault thread's read ->
 * page installed), so each faulting page is counted once, as urgent
 * (arrived in answer to a request) or stream. Blocktime is blocktime.h's.
 * Nothing on these paths allocates, locks or prints. */
#include "postcopy_dest.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handoff.h"
#include "timing.h"
#include "uffd.h"

static size_t round_line(size_t n)
{
	return (n + FB_CACHELINE - 1) / FB_CACHELINE * FB_CACHELINE;
}

static void fatal(struct pc_dest *d, int e, uint64_t page1)
{
	uint64_t none = 0;

	if (atomic_compare_exchange_strong(d->h.fatal_page, &none, page1))
		atomic_store_explicit(d->h.fatal_errno, e, memory_order_release);
}

/* This process's pointers into the block. */
static void place(struct pc_dest *d)
{
	char *b = (char *)d->sh;

	d->state = (_Atomic uint8_t *)(b + d->sh->off_state);
	d->fault_ticks = (uint64_t *)(b + d->sh->off_fault_ticks);
	d->installed = (uint64_t *)(b + d->sh->off_installed);
	d->out = (struct pc_rx_out *)(b + d->sh->off_rx);
	blocktime_place(&d->bt, d->sh->nvcpus, d->sh->bt_cap, b + d->sh->off_bt);
}

static void init_local(struct pc_dest *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = d->uffd = d->stop_fd = -1;
	for (unsigned i = 0; i < PC_MAX_CONNS; i++)
		d->link.fd[i] = -1;
}

int pc_dest_create(struct pc_dest *d, const struct pc_dest_params *p)
{
	struct pc_shared head = {
		.magic = PC_DEST_MAGIC, .base = p->base, .page_size = p->page_size,
		.npages = p->npages, .batch = p->batch, .bt_cap = p->bt_cap, .nrx = p->nrx,
		.nvcpus = p->nvcpus, .zeropage = p->zeropage, .bt_on = p->bt_on,
	};
	uint64_t off = round_line(sizeof(head));
	void *m;

	init_local(d);
	head.off_state = off;
	off += round_line(p->npages);
	head.off_fault_ticks = off;
	off += round_line(p->npages * 8);
	head.off_installed = off;
	off += round_line(p->npages * 8);
	head.off_rx = off;
	off += round_line(sizeof(struct pc_rx_out) * p->nrx);
	head.off_bt = off;
	off += blocktime_bytes(p->nvcpus, p->bt_cap);
	head.bytes = off;
	/* a memfd reads as zeros and costs only the pages written */
	d->fd = memfd_create("faultbench-postcopy", MFD_CLOEXEC);
	if (d->fd < 0 || ftruncate(d->fd, (off_t)head.bytes))
		return -errno;
	m = mmap(NULL, head.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	d->sh = m;
	*d->sh = head;
	hist_init(&d->sh->raced_lat);
	place(d);
	for (unsigned i = 0; i < p->nrx; i++) {
		hist_init(&d->out[i].urgent_lat);
		hist_init(&d->out[i].stream_lat);
	}
	return 0;
}

int pc_dest_attach(struct pc_dest *d, int fd)
{
	struct pc_shared head;
	void *m;

	init_local(d);
	if (pread(fd, &head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    head.magic != PC_DEST_MAGIC)
		return -EINVAL;
	m = mmap(NULL, head.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	d->sh = m;
	d->fd = fd;
	place(d);
	return 0;
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
	struct pc_rx_out *o = rx->o;
	uint64_t ps = d->sh->page_size, p = h->page, t, dst;
	bool zero = h->flags & PC_ZERO;
	uint8_t old;
	int rc;

	if (p >= d->sh->npages || h->len != (zero ? 0 : ps))
		return -EPROTO;
	if (h->len) {
		rc = recv_all(rx->fd, rx->buf, h->len);
		if (rc)
			return rc;
	}
	dst = d->sh->base + p * ps;
	if (zero && d->sh->zeropage)
		rc = uffd_zeropage(d->uffd, &o->c, dst, ps, false);
	else
		rc = uffd_copy(d->uffd, &o->c, dst, (uintptr_t)(zero ? d->zero : rx->buf), ps, false);
	if (rc)
		return rc;
	t = fb_ticks();
	o->msgs++;
	if (!(h->flags & PC_PRECOPY))
		o->bytes += sizeof(*h) + h->len;
	old = atomic_fetch_or(&d->state[p], PS_RECEIVED);
	if (old & PS_RECEIVED)
		return 0;  /* sent twice: counted as EEXIST by the copy, and by account() */
	d->installed[p] = t;
	o->last_ticks = t;
	o->pages_zero += zero;
	if (h->flags & PC_PRECOPY)
		o->pages_precopy++;
	else if (h->flags & PC_URGENT)
		o->pages_urgent++;
	else
		o->pages_stream++;
	if (old & PS_FAULTED) {
		uint64_t f = d->fault_ticks[p];

		hist_add(h->flags & PC_URGENT ? &o->urgent_lat : &o->stream_lat,
			 t > f ? fb_ticks_ns(t - f) : 0);
	}
	atomic_fetch_add_explicit(&d->sh->ninstalled, 1, memory_order_relaxed);
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
			rc = h.len == sizeof(rx->o->end) ?
				recv_all(rx->fd, &rx->o->end, sizeof(rx->o->end)) : -EPROTO;
			rx->o->ended = !rc;
			break;
		}
		rc = rx_one(rx, &h);
		if (rc) {
			fatal(d, -rc, h.page < d->sh->npages ? h.page + 1 : UINT64_MAX);
			return NULL;
		}
	}
	/* a connection that closed before its end: the source is gone */
	if (!rx->o->ended && !atomic_load(d->h.fatal_errno))
		fatal(d, rc ? -rc : EPIPE, UINT64_MAX);
	return NULL;
}

static void on_fault(struct pc_dest *d, const struct uffd_msg *m, uint64_t t)
{
	struct pc_shared *sh = d->sh;
	uint64_t p = (m->arg.pagefault.address - sh->base) / sh->page_size;
	uint8_t old;

	sh->faults++;
	if (sh->bt_on) {
		int v = blocktime_vcpu(&d->bt, m->arg.pagefault.feat.ptid);

		if (v >= 0)
			blocktime_wait(&d->bt, (unsigned)v, p, t);
	}
	/* the fault thread alone sets FAULTED: the first fault's time goes first */
	if (!(atomic_load_explicit(&d->state[p], memory_order_relaxed) & PS_FAULTED))
		d->fault_ticks[p] = t;
	old = atomic_fetch_or(&d->state[p], PS_FAULTED | PS_REQUESTED);
	if (!(old & PS_FAULTED)) {
		sh->fault_pages++;
		if (old & PS_RECEIVED)  /* in before we read the fault: the stream brought it */
			hist_add(&sh->raced_lat, 0);
	}
	if (old & (PS_REQUESTED | PS_RECEIVED)) {
		sh->requests_deduped++;
		return;
	}
	/* GO goes first on connection 0; faultbench sends it as the vCPUs
	 * start, so this waits at most once, for a moment */
	while (!atomic_load_explicit(&sh->go_sent, memory_order_acquire))
		;
	if (pc_link_ctl(&d->link, PC_CTL_REQ, p))
		fatal(d, EPIPE, p + 1);
	sh->requests_sent++;
}

static void *fault_main(void *arg)
{
	struct pc_dest *d = arg;
	struct pollfd p[2] = { { .fd = d->uffd, .events = POLLIN }, { .fd = d->stop_fd, .events = POLLIN } };
	size_t cap = d->sh->batch * sizeof(struct uffd_msg);

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
			fatal(d, errno, UINT64_MAX);
			break;
		}
		t = fb_ticks();
		d->sh->reads++;
		atomic_store_explicit(d->h.last_read_ns, fb_mono_ns(), memory_order_relaxed);
		for (size_t i = 0; i < (size_t)n / sizeof(struct uffd_msg); i++) {
			if (d->msgs[i].event == UFFD_EVENT_PAGEFAULT)
				on_fault(d, &d->msgs[i], t);
			else
				d->sh->events++;
		}
	}
	atomic_store_explicit(d->h.alive, 0, memory_order_relaxed);
	return NULL;
}

int pc_dest_start(struct pc_dest *d, int uffd, const int *fds, const struct pc_health *h)
{
	const struct pc_shared *sh = d->sh;
	int rc;

	d->h = *h;
	d->uffd = uffd;
	d->link.nconns = sh->nrx;
	for (unsigned i = 0; i < sh->nrx; i++)
		d->link.fd[i] = fds[i];
	d->msgs = calloc(sh->batch, sizeof(struct uffd_msg));
	d->rx = calloc(sh->nrx, sizeof(*d->rx));
	/* never written: it reads as zeros and costs no memory, even at 1G */
	d->zero = mmap(NULL, sh->page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->zero == MAP_FAILED)
		d->zero = NULL;
	if (!d->msgs || !d->rx || !d->zero)
		return -ENOMEM;
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (d->stop_fd < 0)
		return -errno;
	atomic_store(d->h.alive, 1);
	for (unsigned i = 0; i < sh->nrx; i++) {
		struct pc_rx *rx = &d->rx[i];

		rx->buf = aligned_alloc(4096, sh->page_size);
		if (!rx->buf)
			return -ENOMEM;
		rx->d = d;
		rx->o = &d->out[i];
		rx->fd = fds[i];
		rc = pthread_create(&rx->tid, NULL, rx_main, rx);
		if (rc)
			return -rc;
		rx->started = true;
	}
	rc = pthread_create(&d->ft, NULL, fault_main, d);
	if (rc)
		return -rc;
	d->ft_started = true;
	return 0;
}

void pc_dest_stop(struct pc_dest *d)
{
	uint64_t one = 1;

	for (unsigned i = 0; d->rx && i < d->sh->nrx; i++) {
		if (!d->rx[i].started)
			continue;
		pthread_join(d->rx[i].tid, NULL);
		d->rx[i].started = false;
	}
	if (!d->ft_started)
		return;
	if (write(d->stop_fd, &one, sizeof(one)) != sizeof(one))
		perror("faultbench: eventfd write");
	pthread_join(d->ft, NULL);
	d->ft_started = false;
}

void pc_dest_free(struct pc_dest *d)
{
	for (unsigned i = 0; d->rx && i < d->sh->nrx; i++)
		free(d->rx[i].buf);
	free(d->rx);
	free(d->msgs);
	if (d->zero)
		munmap(d->zero, d->sh->page_size);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->sh)
		munmap(d->sh, d->sh->bytes);
	if (d->fd >= 0)
		close(d->fd);
	init_local(d);
}

int pc_dest_serve(int uffd, struct handoff_shm *m, const sigset_t *wait_mask,
		  const volatile sig_atomic_t *stop)
{
	struct pc_dest d;
	_Atomic unsigned alive = 0;
	struct pc_health h = { &m->fatal_errno, &m->fatal_page, &m->last_read_ns, &alive };
	int rc;

	if (m->nfds < 1)
		return -EINVAL;
	rc = pc_dest_attach(&d, m->fds[0]);
	if (!rc && m->nfds != 1 + d.sh->nrx)
		rc = -EINVAL;
	rc = rc ? rc : pc_dest_start(&d, uffd, &m->fds[1], &h);
	if (!rc) {
		atomic_store_explicit(&m->ready, 1, memory_order_release);
		while (!*stop)
			sigsuspend(wait_mask);
	}
	/* faultbench stops us once every page is in and the source said its
	 * end, or shuts the connections down first when the run failed */
	pc_dest_stop(&d);
	pc_dest_free(&d);
	return rc;
}
