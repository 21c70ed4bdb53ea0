/* uffd-wp: a live snapshot by synchronous userfaultfd write-protect faults,
 * the design of QEMU's background-snapshot (migration/ram.c:
 * ram_write_tracking_start, ram_find_and_save_block, poll_fault_page) and of
 * reference 004's "copy before write".
 *
 *   prepare  open a uffd (WP, plus WP_UNPOPULATED or WP_HUGETLBFS_SHMEM as
 *            the memory needs), preread / populate if asked (reference 001:
 *            an empty pte cannot be protected without WP_UNPOPULATED, and a
 *            write to it would then go unseen), register the range for WP.
 *   take     io->pause, protect the whole range, io->t0, io->resume: every
 *            page is now as it was at T0 until it is saved. A saver walks
 *            the pages in address order: copy into its buffer, io->save,
 *            then un-protect. A vCPU that writes an unsaved page blocks in
 *            a WP fault; the handler thread (or, with single_thread, the
 *            saver between two pages, as QEMU does) saves that page first,
 *            un-protects it and so wakes the vCPU.
 *   cleanup  un-protect everything (wakes any waiter), stop the handler,
 *            unregister, close: no write-protected memory is left behind,
 *            whatever failed.
 *
 * A per-page state (unsaved / saving / saved, claimed by compare-and-swap)
 * makes each page saved exactly once by whichever thread gets it first; a
 * fault on a page the other thread is saving waits for it, then un-protects
 * (idempotent) and wakes. The order copy, save, un-protect is the whole
 * correctness argument: a page is writable only once its T0 content is in
 * the sink. Extra memory is one page buffer per saving thread. */
#include "snapshot/uffd_wp.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "dirty.h"
#include "snapshot/page_copy.h"
#include "timing.h"
#include "uffd.h"

const char *const wp_prepare_names[WP_PREPARE_COUNT] = { "unpopulated", "preread", "populate" };

#define WP_MSG_BATCH 16

/* One saving thread's own: its page buffer and counters. */
struct wp_saver {
	char *buf;
	uint64_t saves;
	uint64_t faults, waits, unprotects;
	struct hist service;
	struct uffd_msg msgs[WP_MSG_BATCH];
};

struct uffd_wp {
	const struct snap_io *io;
	struct wp_opts o;
	int uffd;
	int stop_fd;            /* eventfd: the handler exits when readable */
	bool registered;
	uint64_t npages;
	unsigned char *state;   /* per page: WP_PAGE_* */
	_Atomic uint64_t buffers_in_use;
	_Atomic uint64_t buffers_peak;
	pthread_t handler_tid;
	bool handler_started;
	_Atomic int handler_rc;
	struct wp_saver saver, handler;
	uint64_t prefault_ns, register_ns;
	struct fb_err *err;
};

uint64_t uffd_wp_features(const struct wp_opts *o)
{
	if (o->file_backed)
		return UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
	return o->prepare == WP_PREPARE_UNPOPULATED ? UFFD_FEATURE_WP_UNPOPULATED : 0;
}

static int unprotect(struct uffd_wp *w, struct wp_saver *sv, uint64_t page)
{
	sv->unprotects++;
	/* without DONTWAKE: a vCPU asleep on this page wakes */
	return dirty_writeprotect(w->uffd, w->io->base + page * w->io->page_size,
				  w->io->page_size, false);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Save page p, which the caller has claimed; then un-protect it. */
static int save_claimed(struct uffd_wp *w, struct wp_saver *sv, uint64_t p)
{
	const struct snap_io *io = w->io;
	const char *src = io->base + p * io->page_size;
	uint64_t in_use;
	int rc;

	if (__builtin_expect((int64_t)p == w->o.inject_unprotect_before_save_page, 0)) {
		/* the bug on purpose: writable before its T0 content is saved;
		 * the copy waits until a vCPU has written the page (seen against
		 * its T0 content), so a loaded machine cannot hide the bug */
		uint64_t until = fb_mono_ns() +
				 (uint64_t)(w->o.inject_delay_ms ? w->o.inject_delay_ms : 10) * 1000000;

		snap_copy_page(sv->buf, src, io->page_size);
		rc = unprotect(w, sv, p);
		if (rc)
			return rc;
		while (!memcmp(sv->buf, src, io->page_size) && fb_mono_ns() < until)
			sleep_ms(1);
	}
	in_use = atomic_fetch_add(&w->buffers_in_use, 1) + 1;
	for (uint64_t peak = atomic_load(&w->buffers_peak);
	     in_use > peak && !atomic_compare_exchange_weak(&w->buffers_peak, &peak, in_use);)
		;
	if (io->extra_memory)
		io->extra_memory(io->ctx, in_use * io->page_size);
	snap_copy_page(sv->buf, src, io->page_size);
	rc = io->save(io->ctx, p, sv->buf);
	in_use = atomic_fetch_sub(&w->buffers_in_use, 1) - 1;
	if (io->extra_memory)
		io->extra_memory(io->ctx, in_use * io->page_size);
	if (rc)
		return rc;
	sv->saves++;
	rc = unprotect(w, sv, p);
	__atomic_store_n(&w->state[p], WP_PAGE_SAVED, __ATOMIC_RELEASE);
	return rc;
}

/* A WP fault on page p: save it first if nobody has, else wait for the
 * thread saving it; then un-protect (again: harmless) so the vCPU wakes. */
static int serve_fault(struct uffd_wp *w, struct wp_saver *sv, uint64_t p)
{
	if (wp_page_claim(w->state, p))
		return save_claimed(w, sv, p);
	if (__atomic_load_n(&w->state[p], __ATOMIC_ACQUIRE) != WP_PAGE_SAVED) {
		sv->waits++;
		while (__atomic_load_n(&w->state[p], __ATOMIC_ACQUIRE) != WP_PAGE_SAVED)
			sched_yield();
	}
	return unprotect(w, sv, p);
}

/* Read and serve every fault message queued now (the fd is non-blocking).
 * 0, or -errno. */
static int drain_faults(struct uffd_wp *w, struct wp_saver *sv)
{
	for (;;) {
		ssize_t n = read(w->uffd, sv->msgs, sizeof(sv->msgs));
		uint64_t t_read = fb_mono_ns();

		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		for (size_t i = 0; i < (size_t)n / sizeof(sv->msgs[0]); i++) {
			const struct uffd_msg *m = &sv->msgs[i];
			uint64_t addr = m->arg.pagefault.address & ~(w->io->page_size - 1);
			int rc;

			if (m->event != UFFD_EVENT_PAGEFAULT ||
			    !(m->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) ||
			    addr < (uintptr_t)w->io->base ||
			    addr >= (uintptr_t)w->io->base + w->io->bytes)
				return -EPROTO;
			sv->faults++;
			rc = serve_fault(w, sv, (addr - (uintptr_t)w->io->base) / w->io->page_size);
			if (rc)
				return rc;
			hist_add(&sv->service, fb_mono_ns() - t_read);
		}
	}
}

static void *handler_main(void *arg)
{
	struct uffd_wp *w = arg;
	struct pollfd pf[2] = { { .fd = w->uffd, .events = POLLIN }, { .fd = w->stop_fd, .events = POLLIN } };
	int rc = 0;

	while (!rc) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (pf[0].revents & (POLLERR | POLLHUP | POLLNVAL))
			rc = -EIO;
		else if (pf[0].revents & POLLIN)
			rc = drain_faults(w, &w->handler);
		if (pf[1].revents)
			break;
	}
	atomic_store(&w->handler_rc, rc);
	return NULL;
}

static int saver_init(struct wp_saver *sv, uint64_t page_size)
{
	memset(sv, 0, sizeof(*sv));
	hist_init(&sv->service);
	/* aligned: a sink may write it with O_DIRECT */
	if (posix_memalign((void **)&sv->buf, 4096, page_size))
		return -ENOMEM;
	/* touched now, not on the fault path */
	memset(sv->buf, 0, page_size);
	return 0;
}

int uffd_wp_prepare(struct uffd_wp **out, const struct snap_io *io, const struct wp_opts *o,
		    struct fb_err *err)
{
	struct uffd_wp *w = calloc(1, sizeof(*w));
	uint64_t t0;
	int rc;

	*out = w;
	if (!w)
		return -ENOMEM;
	w->io = io;
	w->o = *o;
	w->uffd = w->stop_fd = -1;
	w->err = err;
	if (!io->page_size || io->bytes % io->page_size || (uintptr_t)io->base % io->page_size) {
		fb_errf(err, "uffd-wp: guest memory is not a whole number of %llu-byte pages",
			(unsigned long long)io->page_size);
		return -EINVAL;
	}
	w->npages = io->bytes / io->page_size;
	w->state = calloc(w->npages ? w->npages : 1, 1);
	if (!w->state)
		return -ENOMEM;
	if ((rc = saver_init(&w->saver, io->page_size)) || (rc = saver_init(&w->handler, io->page_size)))
		return rc;
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0)
		return -errno;
	w->uffd = uffd_open(uffd_wp_features(o), err);
	if (w->uffd < 0)
		return w->uffd;
	if (o->prepare != WP_PREPARE_UNPOPULATED) {
		t0 = fb_mono_ns();
		rc = dirty_wp_prefault(io->base, io->bytes, o->prepare == WP_PREPARE_POPULATE);
		w->prefault_ns = fb_mono_ns() - t0;
		if (rc) {
			fb_errf(err, "uffd-wp: --wp-prepare populate: MADV_POPULATE_READ failed: %s "
				     "(Linux 5.14+)", strerror(-rc));
			return rc;
		}
	}
	t0 = fb_mono_ns();
	rc = uffd_register(w->uffd, io->base, io->bytes, UFFDIO_REGISTER_MODE_WP, NULL, err);
	w->register_ns = fb_mono_ns() - t0;
	if (rc)
		return rc;
	w->registered = true;
	return 0;
}

static bool stopped(const struct uffd_wp *w)
{
	/* a signal handler's flag, or another thread's */
	return w->o.stop && __atomic_load_n(w->o.stop, __ATOMIC_RELAXED);
}

int uffd_wp_take(struct uffd_wp *w, struct wp_stats *st, struct fb_err *err)
{
	const struct snap_io *io = w->io;
	uint64_t t0;
	int rc, rc2;

	memset(st, 0, sizeof(*st));
	hist_init(&st->fault_service);
	if (!w->registered)
		return -EINVAL;
	if (!w->o.single_thread) {
		sigset_t stop, old;

		/* the handler never takes a stop signal: the thread that runs
		 * take() (and sleeps around it) must, to see it in time */
		fb_stop_signals(&stop);
		pthread_sigmask(SIG_BLOCK, &stop, &old);
		rc = -pthread_create(&w->handler_tid, NULL, handler_main, w);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc) {
			fb_errf(err, "uffd-wp: cannot start the fault handler thread: %s", strerror(-rc));
			return rc;
		}
		w->handler_started = true;
	}
	rc = io->pause(io->ctx);
	if (rc) {
		fb_errf(err, "uffd-wp: pausing the vCPUs failed: %s", strerror(-rc));
		goto out;
	}
	t0 = fb_mono_ns();
	rc = dirty_writeprotect(w->uffd, io->base, io->bytes, true);
	st->protect_ns = fb_mono_ns() - t0;
	if (rc)
		fb_errf(err, "uffd-wp: UFFDIO_WRITEPROTECT of the guest memory failed: %s", strerror(-rc));
	else if ((rc = io->t0(io->ctx)))
		fb_errf(err, "uffd-wp: declaring T0 failed: %s", strerror(-rc));
	rc2 = io->resume(io->ctx);
	if (rc2 && !rc) {
		rc = rc2;
		fb_errf(err, "uffd-wp: resuming the vCPUs failed: %s", strerror(-rc));
	}
	/* the linear scan; faults first (by the handler thread, or here
	 * between two pages in QEMU's single-thread variant) */
	for (uint64_t p = 0; !rc && p < w->npages; p++) {
		if (stopped(w)) {
			rc = -EINTR;
			fb_errf(err, "uffd-wp: interrupted at page %llu of %llu", (unsigned long long)p,
				(unsigned long long)w->npages);
			break;
		}
		if (w->o.single_thread && (rc = drain_faults(w, &w->saver))) {
			fb_errf(err, "uffd-wp: serving a WP fault failed: %s", strerror(-rc));
			break;
		}
		if (wp_page_claim(w->state, p) && (rc = save_claimed(w, &w->saver, p)))
			fb_errf(err, "uffd-wp: saving page %llu failed: %s", (unsigned long long)p,
				strerror(-rc));
		if (!rc && w->handler_started && (rc = atomic_load(&w->handler_rc)))
			fb_errf(err, "uffd-wp: the fault handler failed: %s", strerror(-rc));
	}
	/* a page the handler claimed may still be on its way: wait for all */
	for (uint64_t p = 0; !rc && p < w->npages; p++)
		while (__atomic_load_n(&w->state[p], __ATOMIC_ACQUIRE) != WP_PAGE_SAVED) {
			if ((rc = atomic_load(&w->handler_rc))) {
				fb_errf(err, "uffd-wp: the fault handler failed: %s", strerror(-rc));
				break;
			}
			sched_yield();
		}
out:
	if (rc)
		/* nobody may stay asleep on a page no one will save */
		dirty_writeprotect(w->uffd, io->base, io->bytes, false);
	if (w->handler_started) {
		uint64_t one = 1;

		if (write(w->stop_fd, &one, sizeof(one)) != sizeof(one) && !rc)
			rc = -EIO;
		pthread_join(w->handler_tid, NULL);
		w->handler_started = false;
		rc2 = atomic_load(&w->handler_rc);
		if (rc2 && !rc) {
			rc = rc2;
			fb_errf(err, "uffd-wp: the fault handler failed: %s", strerror(-rc));
		}
	}
	st->saver_saves = w->saver.saves;
	st->handler_saves = w->handler.saves;
	st->pages = st->saver_saves + st->handler_saves;
	st->wp_faults = w->saver.faults + w->handler.faults;
	st->fault_waits = w->saver.waits + w->handler.waits;
	st->unprotect_ioctls = w->saver.unprotects + w->handler.unprotects;
	st->extra_memory_peak_bytes = atomic_load(&w->buffers_peak) * io->page_size;
	st->prefault_ns = w->prefault_ns;
	st->register_ns = w->register_ns;
	hist_merge(&st->fault_service, &w->saver.service);
	hist_merge(&st->fault_service, &w->handler.service);
	if (!rc && st->pages != w->npages) {
		fb_errf(err, "uffd-wp: %llu pages saved of %llu", (unsigned long long)st->pages,
			(unsigned long long)w->npages);
		rc = -EPROTO;
	}
	return rc;
}

int uffd_wp_cleanup(struct uffd_wp *w)
{
	int rc = 0, r;

	if (!w)
		return 0;
	if (w->registered) {
		/* before the unregister, which would leave the bits behind on
		 * some kernels; and it wakes any vCPU still asleep */
		r = dirty_writeprotect(w->uffd, w->io->base, w->io->bytes, false);
		rc = rc ? rc : r;
	}
	if (w->handler_started) {
		uint64_t one = 1;

		if (write(w->stop_fd, &one, sizeof(one)) != sizeof(one))
			rc = rc ? rc : -EIO;
		pthread_join(w->handler_tid, NULL);
	}
	if (w->registered) {
		r = uffd_unregister(w->uffd, w->io->base, w->io->bytes);
		rc = rc ? rc : r;
	}
	if (w->uffd >= 0)
		close(w->uffd);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	free(w->saver.buf);
	free(w->handler.buf);
	free(w->state);
	free(w);
	return rc;
}
