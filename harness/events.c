#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fork_child.h"
#include "image.h"
#include "memory.h"
#include "timing.h"
#include "touch.h"

enum { K_UNMAP, K_REMOVE, K_REMAP, K_FORK, K_N };

/* In the order they fire. */
static const struct {
	const char *name;
	unsigned bit;
	uint8_t uffd_event;
	uint64_t feature;
} kinds[K_N] = {
	[K_UNMAP] = { "unmap", EV_UNMAP, UFFD_EVENT_UNMAP, UFFD_FEATURE_EVENT_UNMAP },
	[K_REMOVE] = { "remove", EV_REMOVE, UFFD_EVENT_REMOVE, UFFD_FEATURE_EVENT_REMOVE },
	[K_REMAP] = { "remap", EV_REMAP, UFFD_EVENT_REMAP, UFFD_FEATURE_EVENT_REMAP },
	[K_FORK] = { "fork", EV_FORK, UFFD_EVENT_FORK, UFFD_FEATURE_EVENT_FORK },
};

/* Pages the fork child reads, spread over the vCPUs' slices. */
#define FORK_PAGES 64

/* One handler thread's side: what it read while a resolve saw EAGAIN. */
struct ev_handler {
	struct events *ev;
	struct uffd_server *s;
	struct uffd_handler *h;
	struct uffd_msg *msgs;
	size_t nmsgs;
	uint64_t *q;               /* fault addresses kept for later */
	size_t qn, qcap;
	bool fault_eagain;         /* the fault being resolved saw EAGAIN */
} __attribute__((aligned(FB_CACHELINE)));

struct events {
	struct mode_run *r;
	struct uffd_server *s;
	unsigned want;             /* cfg->events */
	uint64_t ps, wpp, area;    /* area: the event area's first page */
	char *base;
	uint64_t range_bytes;
	char *remap_dst;           /* reserved at create, the remap's target */
	_Atomic uintptr_t remap_to;  /* handlers: where range 2 lives now (0: home) */

	struct ev_handler *hs;
	unsigned nh;

	pthread_t tid;
	bool started, joined;
	_Atomic int go;            /* the vCPUs are done */
	_Atomic int stop;          /* teardown */
	_Atomic int owner_waiting; /* vCPU 0 waits for its remap */
	_Atomic int remap_state;   /* 0 pending, 1 done, -errno: it will not come */
	/* faults the handlers resolved (the trigger): every resolve adds, so
	 * it has a line of its own */
	_Atomic uint64_t resolved __attribute__((aligned(FB_CACHELINE)));
	uint64_t target __attribute__((aligned(FB_CACHELINE)));
	const char *trigger;
	uint64_t trigger_resolved;

	_Atomic unsigned pending;  /* kinds whose system call is in flight */
	uint64_t t_sys[K_N];
	_Atomic uint64_t t_recv[K_N];
	_Atomic unsigned received[K_N];
	uint64_t msg_a[K_N], msg_b[K_N];  /* the message's range: start/end, from/to */
	bool fired[K_N];
	_Atomic uint64_t faults_eagain, faults_eagain_pending;
	_Atomic uint64_t faults_dropped, faults_untranslated;
	_Atomic unsigned remap_unmaps;  /* UNMAP messages for the remap's old range */

	int thread_rc;
	char why[256];

	/* remap: vCPU 0's touches at the new address, then their check */
	uint64_t remap_read_xor, remap_touched, remap_bad;
	bool remap_checked, owner_done;
	bool vcpus_joined;         /* after_vcpus ran: no vCPU can touch remap_dst */
	char remap_msg[160];

	/* fork */
	_Atomic int child_uffd;    /* from the FORK message; closed after the child */
	struct fork_child fc;
	uint64_t child_serve_ns;
};

uint64_t events_features(unsigned events)
{
	uint64_t f = 0;

	for (unsigned k = 0; k < K_N; k++)
		if (events & kinds[k].bit)
			f |= kinds[k].feature;
	return f;
}

const char *events_unsupported(const struct fb_config *cfg, char *why, size_t n)
{
	struct fb_err err = { { 0 } };
	int fd;

	if (!(cfg->events & EV_FORK))
		return NULL;
	/* the feature bit alone does not say it: UFFDIO_API refuses EVENT_FORK
	 * without CAP_SYS_PTRACE */
	fd = uffd_open(UFFD_FEATURE_EVENT_FORK, &err);
	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(why, n, "--events fork: %s%s", err.msg,
		 fd == -EPERM ? " (the kernel grants UFFD_FEATURE_EVENT_FORK only with CAP_SYS_PTRACE)" : "");
	return why;
}

static char *range_addr(const struct events *ev, unsigned k)
{
	return ev->base + (ev->area + (uint64_t)k * FB_EVENT_RANGE_PAGES) * ev->ps;
}

static uint64_t fault_timeout_ns(const struct fb_config *cfg)
{
	return (uint64_t)(cfg->fault_timeout_s * 1e9);
}

static void nap_us(long us)
{
	struct timespec t = { 0, us * 1000 };

	nanosleep(&t, NULL);
}

/* ---- handler side (no allocation, no locks, no output) ---------------- */

/* A fault address → image page and the page-aligned address to fill. The
 * slices are home; range 2 is where the last REMAP put it. The event area
 * at home is never touched: a fault there is a handler bug. */
static int translate(struct events *ev, uint64_t addr, uint64_t *page, uint64_t *dst)
{
	uint64_t a = addr & ~(ev->ps - 1), b = (uintptr_t)ev->base;
	uintptr_t to = atomic_load_explicit(&ev->remap_to, memory_order_acquire);

	if (a >= b && a < b + ev->area * ev->ps) {
		*page = (a - b) / ev->ps;
		*dst = a;
		return 0;
	}
	if (to && a >= to && a < to + ev->range_bytes) {
		*page = ev->area + 2 * FB_EVENT_RANGE_PAGES + (a - to) / ev->ps;
		*dst = a;
		return 0;
	}
	if (a >= b && a < b + ev->r->gm->size)
		atomic_fetch_add_explicit(&ev->faults_dropped, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&ev->faults_untranslated, 1, memory_order_relaxed);
	return -EFAULT;
}

/* A non-fault message: follow it, and note its receipt. */
static void on_event(struct events *ev, const struct uffd_msg *m)
{
	uint64_t now = fb_ticks();
	unsigned k;

	for (k = 0; k < K_N && kinds[k].uffd_event != m->event; k++)
		;
	if (k == K_N)
		return;
	if (k == K_REMAP) {
		ev->msg_a[k] = m->arg.remap.from;
		ev->msg_b[k] = m->arg.remap.to;
		/* follow: faults at the new address are range 2's pages */
		if (ev->r->cfg->inject != INJECT_IGNORE_REMAP &&
		    m->arg.remap.from == (uintptr_t)range_addr(ev, 2) && m->arg.remap.len == ev->range_bytes)
			atomic_store_explicit(&ev->remap_to, (uintptr_t)m->arg.remap.to,
					      memory_order_release);
	} else if (k == K_FORK) {
		ev->msg_a[k] = (uint64_t)m->arg.fork.ufd;
		atomic_store_explicit(&ev->child_uffd, (int)m->arg.fork.ufd, memory_order_release);
	} else if (k == K_UNMAP && m->arg.remove.start == (uintptr_t)range_addr(ev, 2)) {
		/* with EVENT_UNMAP on, a move by mremap also reports its old
		 * range unmapped (seen on 6.18): range 2 is no longer at home,
		 * which translate() already knows */
		atomic_fetch_add_explicit(&ev->remap_unmaps, 1, memory_order_relaxed);
		return;
	} else {
		/* UNMAP and REMOVE: the range leaves the run; translate() already
		 * refuses the event area, so there is nothing more to stop */
		ev->msg_a[k] = m->arg.remove.start;
		ev->msg_b[k] = m->arg.remove.end;
	}
	atomic_store_explicit(&ev->t_recv[k], now, memory_order_relaxed);
	atomic_fetch_add_explicit(&ev->received[k], 1, memory_order_release);
}

/* A resolve saw EAGAIN: read what is queued, follow events now, keep
 * faults for after the current one. */
static int drain(void *arg)
{
	struct ev_handler *eh = arg;
	struct events *ev = eh->ev;
	struct uffd_handler *h = eh->h;
	ssize_t n;

	if (!eh->fault_eagain) {
		eh->fault_eagain = true;
		atomic_fetch_add_explicit(&ev->faults_eagain, 1, memory_order_relaxed);
		if (atomic_load_explicit(&ev->pending, memory_order_relaxed))
			atomic_fetch_add_explicit(&ev->faults_eagain_pending, 1, memory_order_relaxed);
	}
	n = read(h->uffd, eh->msgs, eh->nmsgs * sizeof(*eh->msgs));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			sched_yield(); /* another reader has it: let the event finish */
			return 0;
		}
		return -errno;
	}
	h->c.reads++;
	for (size_t i = 0; i < (size_t)n / sizeof(*eh->msgs); i++) {
		const struct uffd_msg *m = &eh->msgs[i];

		if (m->event != UFFD_EVENT_PAGEFAULT) {
			h->c.uffd_events++;
			on_event(ev, m);
			continue;
		}
		h->c.uffd_msgs++;
		if (eh->qn == eh->qcap)
			return -ENOSPC;
		eh->q[eh->qn++] = m->arg.pagefault.address;
	}
	return 0;
}

static int resolve_fault(struct ev_handler *eh, uint64_t addr)
{
	uint64_t page, dst;
	int rc = translate(eh->ev, addr, &page, &dst);

	if (rc)
		return rc;
	eh->fault_eagain = false;
	rc = uffd_resolve_at(eh->s, eh->h, page, dst);
	if (!rc)
		atomic_fetch_add_explicit(&eh->ev->resolved, 1, memory_order_relaxed);
	return rc;
}

int events_msg(struct events *ev, struct uffd_server *s, struct uffd_handler *h,
	       const struct uffd_msg *m)
{
	struct ev_handler *eh = &ev->hs[h - s->h];
	const struct fb_config *cfg = s->run->cfg;
	int rc;

	eh->h = h;
	uffd_on_eagain(drain, eh);
	if (m->event != UFFD_EVENT_PAGEFAULT) {
		on_event(ev, m);
		return 0;
	}
	rc = resolve_fault(eh, m->arg.pagefault.address);
	/* the faults a drain kept (a drain inside them may add more) */
	for (size_t i = 0; !rc && i < eh->qn; i++) {
		uffd_service_wait(cfg->service_delay_us, cfg->test_slowdown_ns);
		rc = resolve_fault(eh, eh->q[i]);
	}
	eh->qn = 0;
	return rc;
}

/* Wait until a handler took kind k's message (the system call itself
 * waited for the read; this waits for the handler to follow it). */
static int wait_receipt(struct events *ev, unsigned k, uint64_t deadline)
{
	while (!atomic_load_explicit(&ev->received[k], memory_order_acquire)) {
		if (atomic_load(&ev->stop) || fb_mono_ns() > deadline) {
			snprintf(ev->why, sizeof(ev->why), "%s: no handler took the event's message",
				 kinds[k].name);
			return -ETIMEDOUT;
		}
		nap_us(20);
	}
	return 0;
}

static int do_fork(struct events *ev, uint64_t deadline)
{
	uint64_t t0;
	int rc, frc, cu;

	ev->fc.range_ioctls = ev->s->range_ioctls;  /* registered by now */
	atomic_fetch_or(&ev->pending, kinds[K_FORK].bit);
	ev->t_sys[K_FORK] = fb_ticks();
	rc = fork_child_start(&ev->fc);
	atomic_fetch_and(&ev->pending, ~kinds[K_FORK].bit);
	if (rc) {
		snprintf(ev->why, sizeof(ev->why), "fork: %s", strerror(-rc));
		return rc;
	}
	ev->fired[K_FORK] = true;
	rc = wait_receipt(ev, K_FORK, deadline);
	t0 = fb_mono_ns();
	cu = rc ? -1 : atomic_load(&ev->child_uffd);
	frc = fork_child_finish(&ev->fc, cu, deadline);
	ev->child_serve_ns = fb_mono_ns() - t0;
	if (cu >= 0)
		close(cu);
	if (!rc && frc) {
		snprintf(ev->why, sizeof(ev->why), "fork: %s", ev->fc.why);
		rc = frc;
	}
	return rc;
}

static int fire(struct events *ev, unsigned k, uint64_t deadline)
{
	char *a = range_addr(ev, k);
	int rc = 0;

	if (k == K_FORK)
		return do_fork(ev, deadline);
	atomic_fetch_or(&ev->pending, kinds[k].bit);
	ev->t_sys[k] = fb_ticks();
	if (k == K_UNMAP)
		rc = munmap(a, ev->range_bytes) ? -errno : 0;
	else if (k == K_REMOVE)
		rc = madvise(a, ev->range_bytes, MADV_DONTNEED) ? -errno : 0;
	else if (mremap(a, ev->range_bytes, ev->range_bytes, MREMAP_MAYMOVE | MREMAP_FIXED,
			ev->remap_dst) == MAP_FAILED)
		rc = -errno;
	atomic_fetch_and(&ev->pending, ~kinds[k].bit);
	if (rc) {
		snprintf(ev->why, sizeof(ev->why), "%s of event range %u: %s", kinds[k].name, k,
			 strerror(-rc));
		return rc;
	}
	ev->fired[k] = true;
	return wait_receipt(ev, k, deadline);
}

static void *events_main(void *arg)
{
	struct events *ev = arg;
	uint64_t deadline;
	int rc = 0;

	for (;;) {
		if (atomic_load(&ev->stop))
			goto out;
		if (atomic_load(&ev->go)) {
			ev->trigger = "vcpus_done";
			break;
		}
		if (atomic_load(&ev->owner_waiting)) {
			ev->trigger = "remap_owner_waiting";
			break;
		}
		if (atomic_load_explicit(&ev->resolved, memory_order_relaxed) >= ev->target) {
			ev->trigger = "faults";
			break;
		}
		nap_us(100);
	}
	ev->trigger_resolved = atomic_load_explicit(&ev->resolved, memory_order_relaxed);
	deadline = fb_mono_ns() + fault_timeout_ns(ev->r->cfg);
	for (unsigned k = 0; k < K_N && !rc; k++) {
		if (!(ev->want & kinds[k].bit))
			continue;
		if (atomic_load(&ev->stop)) {
			rc = -ECANCELED;
			snprintf(ev->why, sizeof(ev->why), "stopped before %s", kinds[k].name);
			break;
		}
		rc = fire(ev, k, deadline);
		if (k == K_REMAP)
			atomic_store(&ev->remap_state, rc ? rc : 1);
	}
out:
	ev->thread_rc = rc;
	/* vCPU 0 must never wait for a remap that will not come */
	if (!atomic_load(&ev->remap_state))
		atomic_store(&ev->remap_state, rc ? rc : -ECANCELED);
	return NULL;
}

/* ---- setup, the vCPU side, checks, teardown ----------------------------- */

/* The repetition's events, for the vCPUs: after a failed repetition they
 * may get here after teardown, so the state is never freed under them
 * (events_destroy keeps it until the next repetition). */
static struct events *_Atomic live;


int events_create(struct mode_run *r, struct uffd_server *s, struct events **out)
{
	const struct fb_config *cfg = r->cfg;
	unsigned nh = cfg->handlers;
	struct events *ev = aligned_alloc(FB_CACHELINE, sizeof(*ev));
	uint64_t slices;
	int rc;

	*out = ev;
	if (!ev)
		return -ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->r = r;
	ev->s = s;
	ev->want = cfg->events;
	ev->ps = cfg->page_size;
	ev->wpp = cfg->page_size / 8;
	ev->base = r->gm->base;
	ev->area = cfg->total_bytes / cfg->page_size - FB_EVENT_AREA_PAGES;
	ev->range_bytes = FB_EVENT_RANGE_PAGES * cfg->page_size;
	ev->target = ev->area / 2;
	atomic_store(&ev->child_uffd, -1);
	slices = ev->area;
	ev->fc = (struct fork_child){
		.cfg = cfg, .img = r->img, .base = ev->base, .ps = ev->ps, .wpp = ev->wpp,
		.served_pages = slices, .pages = slices < FORK_PAGES ? slices : FORK_PAGES,
		.stop = &ev->stop, .status = -1, .rfd = -1,
	};
	ev->fc.stride = slices / ev->fc.pages;
	ev->remap_dst = mmap(NULL, ev->range_bytes, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ev->remap_dst == MAP_FAILED) {
		ev->remap_dst = NULL;
		return -errno;
	}
	ev->hs = aligned_alloc(FB_CACHELINE, sizeof(*ev->hs) * nh);
	if (!ev->hs)
		return -ENOMEM;
	memset(ev->hs, 0, sizeof(*ev->hs) * nh);
	ev->nh = nh;
	for (unsigned i = 0; i < nh; i++) {
		struct ev_handler *eh = &ev->hs[i];

		eh->ev = ev;
		eh->s = s;
		eh->nmsgs = cfg->batch;
		/* a vCPU waits on one fault at a time; a woken one may fault
		 * again, hence the slack */
		eh->qcap = 2 * (size_t)cfg->vcpus + 64;
		eh->msgs = calloc(eh->nmsgs, sizeof(*eh->msgs));
		eh->q = calloc(eh->qcap, sizeof(*eh->q));
		if (!eh->msgs || !eh->q)
			return -ENOMEM;
	}
	if (cfg->events & EV_FORK) {
		rc = image_pool_init(&ev->fc.pool, r->img);
		if (rc)
			return rc;
	}
	atomic_store(&live, ev);
	return 0;
}

int events_start(struct events *ev)
{
	int rc = pthread_create(&ev->tid, NULL, events_main, ev);
	if (rc) {
		fb_errf(ev->r->err, "--events: cannot start the events thread: %s", strerror(rc));
		return -rc;
	}
	ev->started = true;
	return 0;
}

int events_vcpu_finish(const struct fb_config *c, unsigned vcpu)
{
	struct events *ev;
	const struct fb_config *cfg;
	struct touch_words tw;
	uint64_t first, x = 0;
	int st;

	if (vcpu || !(c->events & EV_REMAP))
		return 0;
	ev = atomic_load(&live);
	cfg = ev->r->cfg;
	tw = touch_words(cfg->touch, cfg->access, ev->wpp);
	first = ev->area + 2 * FB_EVENT_RANGE_PAGES;
	/* the handshake: off the timed path, and what fires the events when
	 * vCPU 0 gets here first */
	atomic_store(&ev->owner_waiting, 1);
	while (!(st = atomic_load(&ev->remap_state)))
		nap_us(50);
	if (st < 0)
		return st;
	for (uint64_t i = 0; i < FB_EVENT_RANGE_PAGES; i++) {
		char *pg = ev->remap_dst + i * ev->ps;
		uint64_t p = first + i;

		if (cfg->access != ACCESS_WRITE)
			for (uint64_t o = 0; o < ev->ps; o += tw.read_step * 8)
				x ^= *(volatile uint64_t *)(pg + o);
		if (cfg->access != ACCESS_READ)
			for (uint64_t w = 1; w < ev->wpp; w += tw.write_step)
				*(volatile uint64_t *)(pg + w * 8) = touch_marker(p, w);
	}
	ev->remap_read_xor = x;
	ev->remap_touched = FB_EVENT_RANGE_PAGES;
	ev->owner_done = true;
	return 0;
}

static void join(struct events *ev)
{
	if (ev->started && !ev->joined) {
		pthread_join(ev->tid, NULL);
		ev->joined = true;
	}
}

/* The remapped pages, at their new address: the image, and vCPU 0's
 * markers in the words it wrote; and what it read. */
static void check_remap(struct events *ev)
{
	const struct fb_config *cfg = ev->r->cfg;
	const struct image *img = ev->r->img;
	const struct touch_words tw = touch_words(cfg->touch, cfg->access, ev->wpp);
	uint64_t first = ev->area + 2 * FB_EVENT_RANGE_PAGES, x = 0;

	ev->remap_checked = true;
	for (uint64_t i = 0; i < FB_EVENT_RANGE_PAGES; i++) {
		const uint64_t *w = (const uint64_t *)(ev->remap_dst + i * ev->ps);
		uint64_t p = first + i;

		for (uint64_t o = 0; cfg->access != ACCESS_WRITE && o < ev->wpp; o += tw.read_step)
			x ^= image_word(img, p, o);
		for (uint64_t k = 0; k < ev->wpp; k++) {
			bool wr = cfg->access != ACCESS_READ && touch_writes(&tw, k);
			uint64_t want = wr ? touch_marker(p, k) : image_word(img, p, k);

			if (w[k] == want)
				continue;
			if (!ev->remap_bad++)
				snprintf(ev->remap_msg, sizeof(ev->remap_msg),
					 "remapped page %llu at its new address, word %llu: expected "
					 "0x%016llx, found 0x%016llx", (unsigned long long)p,
					 (unsigned long long)k, (unsigned long long)want,
					 (unsigned long long)w[k]);
			break;
		}
	}
	if (!ev->remap_bad && x != ev->remap_read_xor) {
		ev->remap_bad = 1;
		snprintf(ev->remap_msg, sizeof(ev->remap_msg),
			 "vCPU 0 read wrong data from the remapped pages (checksum 0x%016llx, "
			 "expected 0x%016llx)", (unsigned long long)ev->remap_read_xor,
			 (unsigned long long)x);
	}
}

int events_after_vcpus(struct events *ev)
{
	struct fb_err *err = ev->r->err;

	ev->vcpus_joined = true;
	atomic_store(&ev->go, 1);
	join(ev);
	if (ev->thread_rc) {
		fb_errf(err, "--events: %s", ev->why[0] ? ev->why : strerror(-ev->thread_rc));
		return ev->thread_rc;
	}
	if ((ev->want & EV_REMAP) && ev->owner_done) {
		check_remap(ev);
		if (ev->remap_bad) {
			fb_errf(err, "verification failed: %s", ev->remap_msg);
			return -EBADMSG;
		}
	}
	if (ev->want & EV_FORK) {
		int st = ev->fc.status;

		if (!ev->fc.fr_ok || ev->fc.fr.bad || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fb_errf(err, "--events fork: the child %s; it checked %llu of %llu pages, "
				"%llu wrong%s (first: page %llu word %llu, expected 0x%016llx, found 0x%016llx)",
				WIFEXITED(st) ? "exited" : "was killed", (unsigned long long)ev->fc.fr.checked,
				(unsigned long long)ev->fc.pages, (unsigned long long)ev->fc.fr.bad,
				ev->fc.fr_ok ? "" : ", no report", (unsigned long long)ev->fc.fr.first_bad,
				(unsigned long long)ev->fc.fr.word, (unsigned long long)ev->fc.fr.want,
				(unsigned long long)ev->fc.fr.found);
			return -EBADMSG;
		}
		if (ev->fc.fr.checked != ev->fc.pages || ev->fc.c.ioctl_errors ||
		    ev->fc.c.uffd_msgs != ev->fc.c.pages_copied + ev->fc.c.pages_zeroed +
						     ev->fc.c.eexist) {
			fb_errf(err, "--events fork: accounting: the child checked %llu of %llu pages; "
				"%llu fault messages but %llu pages resolved + %llu EEXIST, %llu ioctl errors",
				(unsigned long long)ev->fc.fr.checked, (unsigned long long)ev->fc.pages,
				(unsigned long long)ev->fc.c.uffd_msgs,
				(unsigned long long)(ev->fc.c.pages_copied + ev->fc.c.pages_zeroed),
				(unsigned long long)ev->fc.c.eexist,
				(unsigned long long)ev->fc.c.ioctl_errors);
			return -EPROTO;
		}
	}
	return 0;
}

json_t *events_report(struct events *ev)
{
	json_t *j = json_object(), *kj;

	join(ev);
	if (!j)
		return NULL;
	json_object_set_new(j, "trigger", json_string(ev->trigger ? ev->trigger : "none"));
	json_object_set_new(j, "trigger_resolved", json_integer((json_int_t)ev->trigger_resolved));
	json_object_set_new(j, "faults_eagain", json_integer((json_int_t)ev->faults_eagain));
	json_object_set_new(j, "faults_eagain_event_pending",
			    json_integer((json_int_t)ev->faults_eagain_pending));
	json_object_set_new(j, "faults_dropped", json_integer((json_int_t)ev->faults_dropped));
	json_object_set_new(j, "faults_untranslated",
			    json_integer((json_int_t)ev->faults_untranslated));
	for (unsigned k = 0; k < K_N; k++) {
		unsigned got = atomic_load(&ev->received[k]);

		if (!(ev->want & kinds[k].bit))
			continue;
		kj = json_object();
		json_object_set_new(kj, "count", json_integer(got));
		json_object_set_new(kj, "latency_ns", got && ev->fired[k] ?
				    json_integer((json_int_t)fb_ticks_ns(atomic_load(&ev->t_recv[k]) -
									 ev->t_sys[k])) : json_null());
		if (k != K_FORK)
			json_object_set_new(kj, "pages", json_integer(FB_EVENT_RANGE_PAGES));
		if (k == K_REMAP) {
			json_object_set_new(kj, "pages_touched_at_new_address",
					    json_integer((json_int_t)ev->remap_touched));
			json_object_set_new(kj, "verified", json_boolean(ev->remap_checked && !ev->remap_bad));
			json_object_set_new(kj, "old_range_unmap_messages",
					    json_integer(atomic_load(&ev->remap_unmaps)));
		}
		if (k == K_FORK) {
			json_object_set_new(kj, "child_pages_checked", json_integer((json_int_t)ev->fc.fr.checked));
			json_object_set_new(kj, "child_bad_pages", json_integer((json_int_t)ev->fc.fr.bad));
			json_object_set_new(kj, "child_faults", json_integer((json_int_t)ev->fc.c.uffd_msgs));
			json_object_set_new(kj, "child_pages_copied",
					    json_integer((json_int_t)ev->fc.c.pages_copied));
			json_object_set_new(kj, "child_pages_zeroed",
					    json_integer((json_int_t)ev->fc.c.pages_zeroed));
			json_object_set_new(kj, "child_eexist", json_integer((json_int_t)ev->fc.c.eexist));
			json_object_set_new(kj, "child_exit_status",
					    ev->fc.status >= 0 && WIFEXITED(ev->fc.status) ?
					    json_integer(WEXITSTATUS(ev->fc.status)) : json_null());
			json_object_set_new(kj, "child_served_ns", json_integer((json_int_t)ev->child_serve_ns));
		}
		json_object_set_new(j, kinds[k].name, kj);
	}
	return j;
}

void events_stop(struct events *ev)
{
	atomic_store(&ev->stop, 1);
}

/* What the handlers saw of the events: each requested one once, with the
 * range the events thread changed. */
static int check_messages(struct events *ev)
{
	struct mode_run *r = ev->r;
	unsigned n = 0, m;

	for (unsigned k = 0; k < K_N; k++) {
		unsigned got = atomic_load(&ev->received[k]);
		uint64_t a = (uintptr_t)range_addr(ev, k);
		bool want = ev->want & kinds[k].bit;

		n += want;
		if (got != (want ? 1u : 0u)) {
			fb_errf(r->err, "--events: the handlers took %u %s messages, expected %u", got,
				kinds[k].name, want ? 1 : 0);
			return -EPROTO;
		}
		if (!want || k == K_FORK)
			continue;
		if (ev->msg_a[k] != a ||
		    ev->msg_b[k] != (k == K_REMAP ? (uintptr_t)ev->remap_dst : a + ev->range_bytes)) {
			fb_errf(r->err, "--events: the %s message names 0x%llx..0x%llx, not the range "
				"changed", kinds[k].name, (unsigned long long)ev->msg_a[k],
				(unsigned long long)ev->msg_b[k]);
			return -EPROTO;
		}
	}
	m = atomic_load(&ev->remap_unmaps);
	if (m > ((ev->want & EV_UNMAP) && (ev->want & EV_REMAP) ? 1u : 0u)) {
		fb_errf(r->err, "--events: %u UNMAP messages for the remapped range's old address", m);
		return -EPROTO;
	}
	if (r->counters.uffd_events != n + m) {
		fb_errf(r->err, "--events: counters.uffd_events is %llu, expected %u",
			(unsigned long long)r->counters.uffd_events, n + m);
		return -EPROTO;
	}
	return 0;
}

/* On a failed repetition vCPU 0 may still be kicked out of its touches of
 * the remap destination after teardown: then the state and that mapping are
 * kept (reachable, a few KiB) until the next repetition's create, and a
 * failed repetition ends the run. */
static struct events *retired;

static void release(struct events *ev)
{
	struct events *me = ev;

	atomic_compare_exchange_strong(&live, &me, NULL);
	for (unsigned i = 0; ev->hs && i < ev->nh; i++) {
		free(ev->hs[i].msgs);
		free(ev->hs[i].q);
	}
	free(ev->hs);
	if (ev->remap_dst)
		munmap(ev->remap_dst, ev->range_bytes);
	free(ev);
}

int events_destroy(struct events *ev)
{
	struct mode_run *r = ev->r;
	int rc = 0;

	events_stop(ev);
	join(ev);
	image_pool_destroy(&ev->fc.pool);
	if (ev->vcpus_joined && !ev->thread_rc) {
		rc = check_messages(ev);
		r->extra_touched = ev->remap_touched;
	}
	if (retired)
		release(retired);
	retired = NULL;
	if (ev->vcpus_joined)
		release(ev);
	else
		retired = ev;
	return rc;
}
