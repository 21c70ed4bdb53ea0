#include "uffd.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "anatomy.h"
#include "config.h"
#include "image.h"
#include "memory.h"
#include "probe.h"
#include "timing.h"
#include "topo.h"

const char *uffd_feature_list(uint64_t mask, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < uffd_feature_names_count && off < n; i++) {
		if (mask & uffd_feature_names[i].bit)
			off += (size_t)snprintf(buf + off, n - off, "%s%s (Linux %s+)", off ? ", " : "",
						uffd_feature_names[i].name, uffd_feature_names[i].since);
	}
	return buf;
}

/* The syscall; else /dev/userfaultfd (6.1+: by file permission); else,
 * unprivileged with vm.unprivileged_userfaultfd=0, UFFD_USER_MODE_ONLY
 * (5.11+), which is enough here: every fault the vCPUs take on guest memory
 * is a user-space access. Probe reports the same order (uffd_opened_with). */
static int open_raw(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	int dev;

	if (fd >= 0 || (errno != EPERM && errno != EACCES))
		return fd >= 0 ? fd : -errno;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev >= 0) {
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		close(dev);
		if (fd >= 0)
			return fd;
	}
	if (uffd_user_mode_only_refused())
		return -EPERM;
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	return fd >= 0 ? fd : -EPERM;
}

int uffd_open(uint64_t features, struct fb_err *err)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	char buf[512];
	int fd = open_raw(), e;

	if (fd < 0) {
		const char *why = probe_uffd_unavailable_reason(probe_host());

		fb_errf(err, "%s", why ? why : strerror(-fd));
		return fd;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		e = errno;
		close(fd);
		fb_errf(err, "UFFDIO_API with features %s failed: %s",
			uffd_feature_list(features, buf, sizeof(buf)), strerror(e));
		return -e;
	}
	if ((api.features & features) != features) {
		close(fd);
		fb_errf(err, "userfaultfd lacks %s",
			uffd_feature_list(features & ~api.features, buf, sizeof(buf)));
		return -EOPNOTSUPP;
	}
	return fd;
}

int uffd_register(int uffd, void *start, uint64_t len, uint64_t mode, uint64_t *ioctls,
		  struct fb_err *err)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)start, .len = len },
		.mode = mode,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		int e = errno;

		fb_errf(err, "UFFDIO_REGISTER of %llu bytes (mode 0x%llx) failed: %s",
			(unsigned long long)len, (unsigned long long)mode, strerror(e));
		return -e;
	}
	if (ioctls)
		*ioctls = reg.ioctls;
	return 0;
}

int uffd_unregister(int uffd, void *start, uint64_t len)
{
	struct uffdio_range r = { .start = (uintptr_t)start, .len = len };

	return ioctl(uffd, UFFDIO_UNREGISTER, &r) ? -errno : 0;
}

static void count_error(struct mode_counters *c, int e)
{
	if (!c->ioctl_errors++)
		c->first_error = e;
}

static void wake_range(int uffd, struct mode_counters *c, uint64_t dst, uint64_t len)
{
	struct uffdio_range r = { .start = dst, .len = len };

	c->wake_ioctls++;
	if (ioctl(uffd, UFFDIO_WAKE, &r))
		count_error(c, errno);
}

/* Test-only (--inject ...-copy): the errno the next `inject_times`
 * COPY/ZEROPAGE calls on this thread report instead of asking the kernel. */
static _Thread_local int inject_errno;
static _Thread_local unsigned inject_times;

static int resolve_ioctl(int uffd, unsigned long req, void *arg)
{
	if (__builtin_expect(inject_times != 0, 0)) {
		inject_times--;
		errno = inject_errno;
		return -1;
	}
	return ioctl(uffd, req, arg);
}

/* What a failed COPY or ZEROPAGE does next: 1 to retry, or -errno to fail
 * the resolve. EAGAIN (mmap_changing while a REMOVE or fork is in flight, or
 * a partial copy) is retried at once. ENOMEM is retried 1 ms apart, up to
 * FB_ENOMEM_RETRIES times in a row. ENOENT (the range is no longer registered)
 * and ESRCH (the mm is gone) mean the layout changed for good: no retry
 * can help. All are counted. Async-signal-safe. */
static int resolve_failed(struct mode_counters *c, int e, unsigned *nomem)
{
	if (e == EAGAIN) {
		c->eagain++;
		return 1;
	}
	if (e == ENOMEM && ++*nomem <= FB_ENOMEM_RETRIES) {
		struct timespec ms = { 0, 1000000 };

		c->enomem++;
		nanosleep(&ms, NULL);
		return 1;
	}
	count_error(c, e);
	return -e;
}

/* After a failed COPY, ZEROPAGE or MOVE: 0 when the page is there after all
 * (EEXIST: another resolver won; counted, and without dontwake the range is
 * woken for a faulter asleep on it), 1 to retry, or -errno. */
static int resolve_retry(int uffd, struct mode_counters *c, uint64_t dst, uint64_t len,
			 bool dontwake, unsigned *nomem)
{
	if (errno == EEXIST) {
		c->eexist++;
		if (!dontwake)
			wake_range(uffd, c, dst, len);
		return 0;
	}
	return resolve_failed(c, errno, nomem);
}

/* COPY, or MOVE: struct uffdio_move has uffdio_copy's layout (dst, src,
 * len, mode, then the bytes done) and the same DONTWAKE bit, so one loop
 * serves both. */
_Static_assert(sizeof(struct uffdio_move) == sizeof(struct uffdio_copy) &&
		       offsetof(struct uffdio_move, move) == offsetof(struct uffdio_copy, copy) &&
		       UFFDIO_MOVE_MODE_DONTWAKE == UFFDIO_COPY_MODE_DONTWAKE,
	       "uffdio_move is laid out as uffdio_copy");

static int copy_or_move(int uffd, struct mode_counters *c, bool move, uint64_t dst, uint64_t src,
			uint64_t len, bool dontwake, bool wp)
{
	uint64_t *ioctls = move ? &c->move_ioctls : &c->copy_ioctls;
	uint64_t *pages = move ? &c->pages_moved : &c->pages_copied;
	struct uffdio_copy cp;
	unsigned nomem = 0;
	int rc;

	while (len) {
		cp = (struct uffdio_copy){ .dst = dst, .src = src, .len = len,
					   .mode = (dontwake ? UFFDIO_COPY_MODE_DONTWAKE : 0) |
						   (wp ? UFFDIO_COPY_MODE_WP : 0) };
		(*ioctls)++;
		if (!resolve_ioctl(uffd, move ? UFFDIO_MOVE : UFFDIO_COPY, &cp)) {
			(*pages)++;
			return 0;
		}
		/* EEXIST: someone else filled it (a move leaves our staging page ours) */
		rc = resolve_retry(uffd, c, dst, len, dontwake, &nomem);
		if (rc <= 0)
			return rc;
		/* a partial copy or move: go on from where the kernel stopped */
		if (cp.copy > 0) {
			dst += (uint64_t)cp.copy;
			src += (uint64_t)cp.copy;
			len -= (uint64_t)cp.copy;
		}
	}
	(*pages)++;
	return 0;
}

int uffd_copy(int uffd, struct mode_counters *c, uint64_t dst, uint64_t src, uint64_t len,
	      bool dontwake)
{
	return copy_or_move(uffd, c, false, dst, src, len, dontwake, false);
}

int uffd_copy_wp(int uffd, struct mode_counters *c, uint64_t dst, uint64_t src, uint64_t len)
{
	return copy_or_move(uffd, c, false, dst, src, len, false, true);
}

int uffd_zeropage(int uffd, struct mode_counters *c, uint64_t dst, uint64_t len, bool dontwake)
{
	struct uffdio_zeropage zp;
	unsigned nomem = 0;
	int rc;

	while (len) {
		zp = (struct uffdio_zeropage){ .range = { .start = dst, .len = len },
					       .mode = dontwake ? UFFDIO_ZEROPAGE_MODE_DONTWAKE : 0 };
		c->zeropage_ioctls++;
		if (!resolve_ioctl(uffd, UFFDIO_ZEROPAGE, &zp)) {
			c->pages_zeroed++;
			return 0;
		}
		rc = resolve_retry(uffd, c, dst, len, dontwake, &nomem);
		if (rc <= 0)
			return rc;
		if (zp.zeropage > 0) {
			dst += (uint64_t)zp.zeropage;
			len -= (uint64_t)zp.zeropage;
		}
	}
	c->pages_zeroed++;
	return 0;
}

int uffd_move(int uffd, struct mode_counters *c, uint64_t dst, uint64_t src, uint64_t len)
{
	return copy_or_move(uffd, c, true, dst, src, len, false, false);
}

/* COPY from src, or (--resolve move) fill the staging page from src and
 * move it in. The move left the staging page a hole, so this memcpy first
 * faults a fresh anonymous page there: that refill is part of the move path. */
static int install_page(struct uffd_handler *h, uint64_t dst, uint64_t src, uint64_t len)
{
	if (!h->staging)
		return uffd_copy(h->uffd, &h->c, dst, src, len, false);
	memcpy(h->staging, (const void *)(uintptr_t)src, len);
	return uffd_move(h->uffd, &h->c, dst, (uintptr_t)h->staging, len);
}

int uffd_resolve_from_image(struct uffd_server *s, struct uffd_handler *h, uint64_t page)
{
	const struct fb_config *cfg = s->run->cfg;
	const struct image *img = s->run->img;
	uint64_t ps = cfg->page_size, dst = (uintptr_t)s->run->gm->base + page * ps, src_page = page;
	int rc;

	if (cfg->inject != INJECT_NONE && page == cfg->inject_page) {
		static const int errnos[] = {
			[INJECT_EAGAIN_COPY] = EAGAIN, [INJECT_ENOMEM_ONCE] = ENOMEM,
			[INJECT_ENOMEM_COPY] = ENOMEM, [INJECT_ENOENT_COPY] = ENOENT,
			[INJECT_ESRCH_COPY] = ESRCH,
		};

		if (cfg->inject == INJECT_DROP_COPY)
			return 0;
		if (cfg->inject == INJECT_KILL_HANDLER)
			return -ECANCELED;
		if (cfg->inject == INJECT_CORRUPT_COPY)
			src_page = (page + 1) % img->npages;
		if (cfg->inject < FB_ARRAY_SIZE(errnos) && errnos[cfg->inject]) {
			inject_errno = errnos[cfg->inject];
			inject_times = cfg->inject == INJECT_ENOMEM_COPY ? ~0u : 1;
		}
	}
	if (image_is_zero(img, src_page) && (s->range_ioctls & (1ULL << _UFFDIO_ZEROPAGE)))
		rc = uffd_zeropage(h->uffd, &h->c, dst, ps, false);
	else
		rc = install_page(h, dst, image_pool_page(&h->pool, img, src_page), ps);
	if (!rc && cfg->inject == INJECT_DUPLICATE_COPY && page == cfg->inject_page)
		rc = install_page(h, dst, image_pool_page(&h->pool, img, src_page), ps);
	inject_times = 0;
	return rc;
}

static void service_delay(uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Test-only: burn a fixed time per fault, as a regression would. */
static void spin_ns(uint64_t ns)
{
	uint64_t t0 = fb_ticks();

	while (fb_ticks_ns(fb_ticks() - t0) < ns)
		;
}

void uffd_service_wait(uint64_t delay_us, uint64_t slowdown_ns)
{
	if (delay_us)
		service_delay(delay_us);
	if (slowdown_ns)
		spin_ns(slowdown_ns);
}

/* A resolve that failed for good: the first one ends the repetition
 * (run.c's watchdog loop looks), with the page and the errno. */
static void report_fatal(struct mode_run *r, const struct uffd_msg *m, int e)
{
	uint64_t page = (m->arg.pagefault.address - (uintptr_t)r->gm->base) / r->cfg->page_size;
	uint64_t none = 0;

	if (m->event != UFFD_EVENT_PAGEFAULT)
		page = UINT64_MAX - 1;
	/* the first failure claims fatal_page (page + 1, so 0 means unclaimed),
	 * then publishes its errno: a reader that sees the errno sees its page */
	if (atomic_compare_exchange_strong(&r->fatal_page, &none, page + 1))
		atomic_store_explicit(&r->fatal_errno, e, memory_order_release);
}

/* 0, or -ECANCELED when the handler must exit (--inject kill-handler).
 * t_msg: when the read() that brought the batch returned. */
static int handle_batch(struct uffd_handler *h, size_t n, uint64_t t_msg)
{
	struct uffd_server *s = h->srv;
	struct anatomy *anat = s->run->anat;
	uint64_t delay = s->run->cfg->service_delay_us, slow = s->run->cfg->test_slowdown_ns;

	for (size_t i = 0; i < n; i++) {
		const struct uffd_msg *m = &h->msgs[i];
		uint64_t t0 = fb_ticks(), t1;
		struct anat_ticket at = { NULL, NULL };
		int rc;

		if (m->event == UFFD_EVENT_PAGEFAULT) {
			h->c.uffd_msgs++;
			if (anat)
				at = anatomy_msg(anat, m->arg.pagefault.feat.ptid,
						 (m->arg.pagefault.address - (uintptr_t)s->run->gm->base) /
							 s->run->cfg->page_size,
						 t_msg);
			uffd_service_wait(delay, slow);
		} else {
			h->c.uffd_events++;
		}
		rc = s->on_msg(s, h, m);
		if (rc == -ECANCELED)
			return rc;
		if (rc < 0)
			report_fatal(s->run, m, -rc);
		t1 = fb_ticks();
		hist_add(&h->service, fb_ticks_ns(t1 - t0));
		anatomy_resolved(at, t1);
	}
	return 0;
}

/* Wait until the uffd or the stop eventfd is readable. 1: messages may be
 * there; 0: stop; <0: error. */
static int wait_ready(struct uffd_handler *h)
{
	struct uffd_server *s = h->srv;

	if (s->run->cfg->wait == WAIT_SPIN)
		return !atomic_load_explicit(&s->stopping, memory_order_relaxed);
	for (;;) {
		if (h->epfd >= 0) {
			struct epoll_event ev[2];
			int n = epoll_wait(h->epfd, ev, 2, -1);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			for (int i = 0; i < n; i++)
				if (ev[i].data.fd == s->stop_fd)
					return 0;
			return 1;
		} else {
			struct pollfd p[2] = { { .fd = h->uffd, .events = POLLIN },
					       { .fd = s->stop_fd, .events = POLLIN } };
			int n = poll(p, 2, -1);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (p[1].revents)
				return 0;
			if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))
				return -EIO;
			return 1;
		}
	}
}

void handler_seen_note(struct handler_seen *seen, const uint64_t *vcpu_cpus)
{
	int cpu = sched_getcpu();

	seen->reads++;
	if (cpu < 0 || cpu >= FB_MAX_CPUS)
		return;
	seen->cpus[cpu / 64] |= 1ULL << (cpu % 64);
	if (vcpu_cpus[cpu / 64] & (1ULL << (cpu % 64)))
		seen->reads_on_vcpu_cpus++;
}

static void *handler_main(void *arg)
{
	struct uffd_handler *h = arg;
	size_t bytes = sizeof(struct uffd_msg) * h->srv->run->cfg->batch;
	bool spin = h->srv->run->cfg->wait == WAIT_SPIN;
	uint64_t t_msg;
	ssize_t n;
	int rc;

	if (topo_pin_self(h->seen.cpu))
		h->seen.cpu = -1; /* runs anywhere; cpus_seen says where */
	atomic_fetch_add_explicit(&h->srv->run->handlers_alive, 1, memory_order_relaxed);
	while ((rc = wait_ready(h)) > 0) {
		n = read(h->uffd, h->msgs, bytes);
		if (n < 0) {
			if (errno == EAGAIN && spin)
				continue; /* nothing yet: ask again, never sleep */
			if (errno == EAGAIN) {
				h->c.empty_reads++; /* another reader took them */
				continue;
			}
			count_error(&h->c, errno);
			break;
		}
		t_msg = fb_ticks();
		h->c.reads++;
		handler_seen_note(&h->seen, h->srv->vcpu_cpus);
		atomic_store_explicit(&h->srv->run->last_read_ns, fb_mono_ns(), memory_order_relaxed);
		if (handle_batch(h, (size_t)n / sizeof(struct uffd_msg), t_msg))
			break;
	}
	if (rc < 0)
		count_error(&h->c, -rc);
	atomic_fetch_sub_explicit(&h->srv->run->handlers_alive, 1, memory_order_relaxed);
	return NULL;
}

static int handler_init(struct uffd_server *s, struct uffd_handler *h, int uffd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	h->srv = s;
	h->uffd = uffd;
	h->epfd = -1;
	hist_init(&h->service);
	h->msgs = calloc(s->run->cfg->batch, sizeof(struct uffd_msg));
	if (!h->msgs)
		return -ENOMEM;
	if (s->copies) {
		int rc = image_pool_init(&h->pool, s->run->img);

		if (rc)
			return rc;
	}
	if (s->copies && s->run->cfg->resolve == RESOLVE_MOVE) {
		uint64_t ps = s->run->cfg->page_size;
		void *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -errno;
		memset(p, 0, ps); /* faulted in now, not on the first resolve */
		h->staging = p;
	}
	if (s->run->cfg->wait != WAIT_EPOLL)
		return 0;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0)
		return -errno;
	/* EPOLLEXCLUSIVE: one reader per message burst, not a thundering herd */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = uffd;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, uffd, &ev))
		return -errno;
	ev.events = EPOLLIN;
	ev.data.fd = s->stop_fd;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, s->stop_fd, &ev))
		return -errno;
	return 0;
}

void uffd_server_init(struct uffd_server *s, struct mode_run *run, uffd_msg_fn on_msg)
{
	memset(s, 0, sizeof(*s));
	s->run = run;
	s->tr = run->cfg->handler == HANDLER_PROCESS ? &handler_process : &handler_threads;
	s->on_msg = on_msg;
	s->stop_fd = -1;
	for (unsigned i = 0; i < FB_MAX_VCPUS; i++)
		s->uffds[i] = -1;
}

void uffd_server_close(struct uffd_server *s)
{
	for (unsigned i = 0; i < s->nuffds; i++) {
		if (s->uffds[i] >= 0)
			close(s->uffds[i]);
		s->uffds[i] = -1;
	}
}

int uffd_server_start(struct uffd_server *s, struct fb_err *err)
{
	unsigned readers = s->run->cfg->readers;
	int rc;

	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		fb_errf(err, "eventfd: %s", strerror(errno));
		return -errno;
	}
	s->nhandlers = s->nuffds * readers;
	s->h = aligned_alloc(FB_CACHELINE, sizeof(*s->h) * s->nhandlers);
	if (!s->h) {
		fb_errf(err, "no memory for %u handler threads", s->nhandlers);
		s->nhandlers = 0;
		return -ENOMEM;
	}
	memset(s->h, 0, sizeof(*s->h) * s->nhandlers);
	for (unsigned i = 0; s->run->vcpu_cpus && i < s->run->cfg->vcpus; i++) {
		int c = s->run->vcpu_cpus[i];

		if (c >= 0 && c < FB_MAX_CPUS)
			s->vcpu_cpus[c / 64] |= 1ULL << (c % 64);
	}
	for (unsigned i = 0; i < s->nhandlers; i++) {
		struct uffd_handler *h = &s->h[i];

		h->seen.cpu = s->run->handler_cpus && i < s->run->cfg->handlers ? s->run->handler_cpus[i] : -1;
		rc = handler_init(s, h, s->uffds[i / readers]);
		if (rc) {
			fb_errf(err, "handler %u: setup failed: %s", i, strerror(-rc));
			return rc;
		}
		rc = pthread_create(&h->tid, NULL, handler_main, h);
		if (rc) {
			fb_errf(err, "handler %u: pthread_create: %s", i, strerror(rc));
			return -rc;
		}
		h->started = true;
	}
	return 0;
}

void uffd_counters_add(struct mode_counters *t, const struct mode_counters *c)
{
	t->uffd_msgs += c->uffd_msgs;
	t->uffd_events += c->uffd_events;
	t->reads += c->reads;
	t->empty_reads += c->empty_reads;
	t->copy_ioctls += c->copy_ioctls;
	t->zeropage_ioctls += c->zeropage_ioctls;
	t->continue_ioctls += c->continue_ioctls;
	t->wake_ioctls += c->wake_ioctls;
	t->pages_copied += c->pages_copied;
	t->pages_zeroed += c->pages_zeroed;
	t->move_ioctls += c->move_ioctls;
	t->pages_moved += c->pages_moved;
	t->eexist += c->eexist;
	t->eagain += c->eagain;
	t->enomem += c->enomem;
	if (c->ioctl_errors && !t->ioctl_errors)
		t->first_error = c->first_error;
	t->ioctl_errors += c->ioctl_errors;
}

void uffd_server_stop(struct uffd_server *s)
{
	uint64_t one = 1;
	struct mode_counters *t = &s->run->counters;

	atomic_store_explicit(&s->stopping, 1, memory_order_relaxed);
	if (s->stop_fd >= 0 && write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		perror("faultbench: eventfd write");
	for (unsigned i = 0; i < s->nhandlers; i++) {
		struct uffd_handler *h = &s->h[i];

		if (h->started)
			pthread_join(h->tid, NULL);
		if (h->epfd >= 0)
			close(h->epfd);
		free(h->msgs);
		image_pool_destroy(&h->pool);
		if (h->staging)
			munmap(h->staging, s->run->cfg->page_size);
		uffd_counters_add(t, &h->c);
		hist_merge(&s->run->service, &h->service);
		if (s->run->handlers_seen && i < s->run->cfg->handlers)
			s->run->handlers_seen[i] = h->seen;
	}
	free(s->h);
	s->h = NULL;
	s->nhandlers = 0;
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	s->stop_fd = -1;
}

int uffd_continue(struct uffd_handler *h, uint64_t dst, uint64_t len)
{
	return uffd_continue_fd(h->uffd, &h->c, dst, len);
}

int uffd_continue_fd(int uffd, struct mode_counters *c, uint64_t dst, uint64_t len)
{
	struct uffdio_continue cont;
	unsigned nomem = 0;

	for (;;) {
		cont = (struct uffdio_continue){ .range = { .start = dst, .len = len } };
		c->continue_ioctls++;
		if (!ioctl(uffd, UFFDIO_CONTINUE, &cont))
			return 0;
		if (errno == EEXIST) {
			/* already mapped (a racing fault on the same page was
			 * continued first): our faulter may still be asleep */
			c->eexist++;
			wake_range(uffd, c, dst, len);
			return 1;
		}
		if (errno == ENOMEM) {
			int rc = resolve_failed(c, errno, &nomem);

			if (rc < 0)
				return rc;
			continue;
		}
		if (errno != EAGAIN) {
			count_error(c, errno);
			return -errno;
		}
		/* mmap_changing, or a partial map: go on from where it stopped */
		if (cont.mapped > 0 && (uint64_t)cont.mapped >= len)
			return 0; /* all of it mapped after all: one ioctl, one success */
		c->eagain++;
		if (cont.mapped > 0) {
			dst += (uint64_t)cont.mapped;
			len -= (uint64_t)cont.mapped;
		}
	}
}

static int threads_stop(struct uffd_server *s)
{
	uffd_server_stop(s);
	return 0;
}

const struct handler_transport handler_threads = {
	.name = "thread",
	.start = uffd_server_start,
	.stop = threads_stop,
};
