/* memfault-exit: the faulting vCPU resolves its own missing page instead of
 * sleeping on the uffd wait queue, as KVM's memory-fault exits let a VMM do
 * (reference 003: KVM_CAP_MEM_FAULT_NOWAIT). Two ways to learn a page is
 * missing:
 *
 *   --exit sigbus  the uffd has UFFD_FEATURE_SIGBUS: a vCPU touching a
 *                  missing page takes SIGBUS, and our handler, on that
 *                  vCPU's thread, does UFFDIO_COPY / ZEROPAGE and returns, so
 *                  the access retries.
 *   --exit bitmap  a presence bitmap stands in for fast GUP: the harness
 *                  checks it before each access and calls vcpu_miss(), which
 *                  copies the page (DONTWAKE: nobody sleeps on it) and sets
 *                  the bit.
 *
 * Accesses that are not a vCPU's own (--emulation-thread: reads of random
 * guest pages, as KVM makes when it emulates an instruction) still fault into
 * an ordinary uffd handler, which resolves them and sets the presence bit.
 * That needs a uffd without SIGBUS, so it goes with --exit bitmap only: this
 * is exactly why KVM needed a new exit instead of UFFD_FEATURE_SIGBUS.
 *
 * In both variants handler threads serve the uffd. With no emulation thread
 * they must read no fault message at all: a message means a vCPU fault took
 * the stock path, and account() fails the run.
 *
 * The SIGBUS handler is process-wide, so one memfault-exit run at a time per
 * process (the harness runs one). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anatomy.h"
#include "config.h"
#include "hugetlb.h"
#include "image.h"
#include "memory.h"
#include "mode.h"
#include "probe.h"
#include "timing.h"
#include "uffd.h"

/* One vCPU's own resolves, written only on its thread (the signal handler
 * runs there too), read after the vCPUs are joined. */
struct mf_vcpu {
	uint64_t exits;            /* SIGBUS or bitmap misses */
	struct image_pool pool;    /* its own source pages */
	struct mode_counters mc;   /* its COPY/ZEROPAGE counts; eexist: another thread won */
	/* atomic: teardown of a stalled run reads them while the vCPU lives */
	_Atomic uint64_t errors;
	_Atomic int first_error;
} __attribute__((aligned(FB_CACHELINE)));

/* What account() needs after teardown freed the state: plain totals. */
struct mf_totals {
	uint64_t exits;
	uint64_t vcpu_resolved;
	uint64_t vcpu_eexist;
	uint64_t handler_msgs;
	uint64_t handler_resolved;
	uint64_t handler_eexist;
	uint64_t emu_reads;
	uint64_t emu_bad_reads;
	uint64_t emu_pages;        /* distinct pages the emulation thread read */
	uint64_t emu_untouched;    /* ... that no vCPU touched */
};

struct mf_state {
	struct mode_run *r;
	struct uffd_server srv;
	/* the server's uffds, copied before any vCPU starts: the server clears
	 * its own copy at close, perhaps under a stalled vCPU */
	int *uffds;
	struct mf_vcpu *v;
	unsigned nvcpus;
	char *base;
	uint64_t size, ps, npages;
	bool zeropage;             /* the registered range offers UFFDIO_ZEROPAGE */
	bool sigbus;
	bool sigbus_installed;
	struct sigaction old_bus;
	_Atomic int abort;         /* teardown: stop blocking in the handler */
	_Atomic int err_said;

	bool emu_started;
	pthread_t emu_tid;
	_Atomic int emu_stop;
	uint64_t *emu_seen;        /* bitmap, written by the emulation thread only */
	uint64_t emu_reads, emu_bad_reads;

	bool collected;            /* threads stopped, counters summed */
	struct mf_totals t;
};

/* The armed state for the SIGBUS handler, and how many handlers are running
 * (taken before the state is read, so teardown can wait them out). */
static struct mf_state *_Atomic mf_armed;
static _Atomic int mf_inflight;
static struct mf_totals mf_last;
/* A stalled run's state, kept until the next setup (see teardown). */
static struct mf_state *mf_grave_st;
static _Atomic uint64_t *mf_grave_presence;

static const char *mf_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				  char *why, size_t n)
{
	return mode_uffd_unsupported(cfg, h, cfg->exit_kind == EXIT_SIGBUS ? UFFD_FEATURE_SIGBUS : 0,
				     why, n);
}

static int mf_check(const struct fb_config *cfg, struct fb_err *err)
{
	int rc = uffd_check_sharing(cfg, err);

	if (rc)
		return rc;
	if (cfg->emulation_thread && cfg->exit_kind == EXIT_SIGBUS) {
		fb_errf(err, "--emulation-thread needs --exit bitmap: with UFFD_FEATURE_SIGBUS an access "
			     "that is not a vCPU's own cannot sleep in the uffd handler, it takes SIGBUS "
			     "(why KVM needed memory-fault exits instead)");
		return -EINVAL;
	}
	return 0;
}

static void pause_ns(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void count_err(struct mf_vcpu *c, int e)
{
	if (!atomic_fetch_add(&c->errors, 1))
		atomic_store(&c->first_error, e);
}

/* The faulter is this thread, not a sleeper: resolve without a wake.
 * Async-signal-safe. 0 (resolved, or EEXIST: someone else did) or -errno. */
static int mf_copy(int uffd, struct mf_vcpu *c, uint64_t dst, uint64_t src, uint64_t len)
{
	int rc = uffd_copy(uffd, &c->mc, dst, src, len, true);

	if (rc)
		count_err(c, -rc);
	return rc;
}

static int mf_zeropage(int uffd, struct mf_vcpu *c, uint64_t dst, uint64_t len)
{
	int rc = uffd_zeropage(uffd, &c->mc, dst, len, true);

	if (rc)
		count_err(c, -rc);
	return rc;
}

/* A vCPU resolves region page `page` itself. Async-signal-safe: ioctl and
 * nanosleep only. 1 when --inject drop-copy dropped it. */
static int mf_resolve(struct mf_state *st, struct mf_vcpu *c, uint64_t page)
{
	const struct fb_config *cfg = st->r->cfg;
	const struct image *img = st->r->img;
	int uffd = st->uffds[st->srv.nuffds == 1 ? 0 : page / cfg->slice_pages];
	uint64_t dst = (uintptr_t)st->base + page * st->ps, src_page = page;
	int rc;

	if (cfg->service_delay_us)
		pause_ns((long)(cfg->service_delay_us * 1000));
	if (cfg->inject != INJECT_NONE && page == cfg->inject_page) {
		if (cfg->inject == INJECT_DROP_COPY)
			return 1;
		if (cfg->inject == INJECT_CORRUPT_COPY)
			src_page = (page + 1) % img->npages;
	}
	if (image_is_zero(img, src_page) && st->zeropage)
		rc = mf_zeropage(uffd, c, dst, st->ps);
	else
		rc = mf_copy(uffd, c, dst, image_pool_page(&c->pool, img, src_page), st->ps);
	if (!rc && cfg->inject == INJECT_DUPLICATE_COPY && page == cfg->inject_page)
		rc = mf_copy(uffd, c, dst, image_pool_page(&c->pool, img, src_page), st->ps);
	return rc;
}

/* A SIGBUS that is not a vCPU's uffd exit is a real crash: give back any
 * huge pages we reserved, then let the default action have it. */
static void not_ours(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	hugetlb_restore_all();
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig); /* pending until we return; a re-executed fault raises it anyway */
}

static void say(const char *msg)
{
	ssize_t n = write(STDERR_FILENO, msg, strlen(msg));

	(void)n;
}

/* The vCPU's memory-fault exit. Runs on the faulting vCPU's thread. */
static void mf_sigbus(int sig, siginfo_t *si, void *uctx)
{
	uint64_t t_entry = fb_ticks(), page;
	int saved = errno, vcpu = fb_current_vcpu, rc;
	struct mf_state *st;
	uintptr_t a = (uintptr_t)si->si_addr;
	struct mf_vcpu *c;

	(void)uctx;
	atomic_fetch_add(&mf_inflight, 1);
	st = atomic_load(&mf_armed);
	/* a uffd SIGBUS is a fault on a guest address (BUS_ADRERR), on a vCPU;
	 * anything else (a kill(), a machine check, a stray access) is not ours */
	if (!st || si->si_code != BUS_ADRERR || vcpu < 0 || (unsigned)vcpu >= st->nvcpus ||
	    a < (uintptr_t)st->base || a >= (uintptr_t)st->base + st->size) {
		atomic_fetch_sub(&mf_inflight, 1);
		not_ours(sig);
		errno = saved;
		return;
	}
	if (atomic_load(&st->abort))
		goto out; /* teardown unregistered the range: the retry faults normally */
	c = &st->v[vcpu];
	c->exits++;
	page = (a - (uintptr_t)st->base) / st->ps;
	rc = mf_resolve(st, c, page);
	/* the anatomy of an exit: delivery to here, service the COPY, wake the
	 * return to the access */
	if (!rc && st->r->anat)
		anatomy_post(st->r->anat, (unsigned)vcpu, page, t_entry, fb_ticks());
	if (rc) {
		/* A dropped page, or a failed ioctl: the vCPU cannot go on. Wait
		 * here, as a lost uffd fault would, for the watchdog and teardown. */
		if (rc < 0 && !atomic_exchange(&st->err_said, 1))
			say("faultbench: memfault-exit: a vCPU's UFFDIO_COPY in its SIGBUS handler failed\n");
		while (!atomic_load(&st->abort))
			pause_ns(1000000);
	}
out:
	atomic_fetch_sub(&mf_inflight, 1);
	errno = saved;
}

static inline void presence_set(struct mode_run *r, uint64_t page)
{
	atomic_fetch_or_explicit(&r->presence[page >> 6], 1ULL << (page & 63),
				 memory_order_release);
}

/* --exit bitmap: the vCPU found the page absent. */
static int mf_vcpu_miss(struct mode_run *r, unsigned vcpu, uint64_t page)
{
	struct mf_state *st = r->priv;
	struct mf_vcpu *c = &st->v[vcpu];
	uint64_t t_entry = fb_ticks();
	int rc;

	c->exits++;
	rc = mf_resolve(st, c, page);
	if (rc < 0)
		return rc;
	if (!rc && r->anat)
		anatomy_post(r->anat, vcpu, page, t_entry, fb_ticks());
	/* a dropped page stays absent in memory: the access faults into the
	 * handler, which drops it too, and the watchdog reports it */
	presence_set(r, page);
	return 0;
}

/* Handler threads: faults that are not a vCPU's own exit (the emulation
 * thread's, or any that took the stock path). */
static int mf_msg(struct uffd_server *s, struct uffd_handler *h, const struct uffd_msg *m)
{
	struct mode_run *r = s->run;
	uint64_t page;
	int rc;

	if (m->event != UFFD_EVENT_PAGEFAULT)
		return 0;
	page = (m->arg.pagefault.address - (uintptr_t)r->gm->base) / r->cfg->page_size;
	rc = uffd_resolve_from_image(s, h, page);
	if (!rc && r->presence)
		presence_set(r, page);
	return rc;
}

/* Reads random guest pages until told to stop, as KVM reads guest memory
 * to emulate an instruction: an occasional access, not a stream, hence the
 * pause. Each read is checked against the image (word 0 is never written). */
static void *emu_main(void *arg)
{
	struct mf_state *st = arg;
	const struct image *img = st->r->img;
	uint64_t x = fb_mix64(st->r->cfg->seed ^ 0x656d756c61746f72ULL) | 1;

	while (!atomic_load_explicit(&st->emu_stop, memory_order_acquire)) {
		uint64_t p, v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p = x % st->npages;
		v = *(volatile uint64_t *)(st->base + p * st->ps);
		st->emu_reads++;
		if (v != image_word(img, p, 0))
			st->emu_bad_reads++;
		st->emu_seen[p >> 6] |= 1ULL << (p & 63);
		pause_ns(20000);
	}
	return NULL;
}

static void emu_stop(struct mf_state *st)
{
	if (!st->emu_started)
		return;
	atomic_store_explicit(&st->emu_stop, 1, memory_order_release);
	pthread_join(st->emu_tid, NULL);
	st->emu_started = false;
}

static int install_sigbus(struct mf_state *st)
{
	struct sigaction sa = { .sa_sigaction = mf_sigbus, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	atomic_store(&mf_armed, st);
	if (sigaction(SIGBUS, &sa, &st->old_bus)) {
		int e = errno;

		atomic_store(&mf_armed, NULL);
		fb_errf(st->r->err, "sigaction(SIGBUS): %s", strerror(e));
		return -e;
	}
	st->sigbus_installed = true;
	return 0;
}

/* After the range is unregistered no uffd SIGBUS can be raised; wait out
 * handlers still running (a vCPU blocked on a dropped page) and, when the
 * vCPUs may still run, signals raised just before, then restore. */
static void remove_sigbus(struct mf_state *st, bool vcpus_joined)
{
	if (!st->sigbus_installed)
		return;
	atomic_store(&st->abort, 1);
	if (!vcpus_joined)
		pause_ns(20000000);
	atomic_store(&mf_armed, NULL);
	for (int i = 0; i < 5000 && atomic_load(&mf_inflight); i++)
		pause_ns(1000000);
	sigaction(SIGBUS, &st->old_bus, NULL);
	st->sigbus_installed = false;
}

static void mf_free(struct mf_state *st, _Atomic uint64_t *presence)
{
	free(presence);
	if (!st)
		return;
	free(st->emu_seen);
	free(st->uffds);
	for (unsigned i = 0; st->v && i < st->nvcpus; i++)
		image_pool_destroy(&st->v[i].pool);
	free(st->v);
	free(st);
}

static int mf_setup(struct mode_run *r)
{
	const struct fb_config *cfg = r->cfg;
	struct mf_state *st = calloc(1, sizeof(*st));
	uint64_t words;
	int rc;

	mf_free(mf_grave_st, mf_grave_presence);
	mf_grave_st = NULL;
	mf_grave_presence = NULL;
	if (!st)
		return -ENOMEM;
	r->priv = st;
	memset(&mf_last, 0, sizeof(mf_last));
	uffd_server_init(&st->srv, r, mf_msg);
	st->r = r;
	st->nvcpus = cfg->vcpus;
	st->base = r->gm->base;
	st->size = r->gm->size;
	st->ps = cfg->page_size;
	st->npages = r->gm->size / cfg->page_size;
	st->sigbus = cfg->exit_kind == EXIT_SIGBUS;
	words = (st->npages + 63) / 64;
	st->v = aligned_alloc(FB_CACHELINE, sizeof(*st->v) * cfg->vcpus);
	if (!st->v) {
		fb_errf(r->err, "no memory for %u vCPU exit counters", cfg->vcpus);
		return -ENOMEM;
	}
	memset(st->v, 0, sizeof(*st->v) * cfg->vcpus);
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		rc = image_pool_init(&st->v[i].pool, r->img);
		if (rc) {
			fb_errf(r->err, "no memory for vCPU %u's source pages", i);
			return rc;
		}
	}
	st->uffds = calloc(FB_MAX_VCPUS, sizeof(int));
	if (!st->uffds)
		return -ENOMEM;
	if (!st->sigbus) {
		/* before the handlers start: they set bits */
		r->presence = aligned_alloc(FB_CACHELINE,
					    (words * 8 + FB_CACHELINE - 1) / FB_CACHELINE * FB_CACHELINE);
		if (!r->presence) {
			fb_errf(r->err, "no memory for the presence bitmap of %llu pages",
				(unsigned long long)st->npages);
			return -ENOMEM;
		}
		for (uint64_t i = 0; i < words; i++)
			atomic_init(&r->presence[i], 0);
	}

	rc = uffd_stock_setup_server(r, &st->srv, mf_msg, st->sigbus ? UFFD_FEATURE_SIGBUS : 0,
				     UFFDIO_REGISTER_MODE_MISSING);
	if (rc)
		return rc;
	memcpy(st->uffds, st->srv.uffds, sizeof(int) * st->srv.nuffds);
	st->zeropage = st->srv.range_ioctls & (1ULL << _UFFDIO_ZEROPAGE);
	if (st->sigbus)
		return install_sigbus(st);
	if (!cfg->emulation_thread)
		return 0;
	st->emu_seen = calloc(words, 8);
	if (!st->emu_seen)
		return -ENOMEM;
	rc = pthread_create(&st->emu_tid, NULL, emu_main, st);
	if (rc) {
		fb_errf(r->err, "emulation thread: pthread_create: %s", strerror(rc));
		return -rc;
	}
	st->emu_started = true;
	return 0;
}

/* Stop the emulation thread and the handlers (the vCPUs are done, so only
 * the emulation thread could still fault, and the handlers serve it until
 * it stops), then sum everyone's counters into r->counters. A stalled run's
 * vCPUs may still be running: of theirs only the (atomic) errors are read. */
static void mf_collect(struct mode_run *r, const uint64_t *touched, bool joined)
{
	struct mf_state *st = r->priv;
	struct mode_counters *c = &r->counters;
	struct mf_totals *t = &st->t;

	if (st->collected)
		return;
	emu_stop(st);
	uffd_server_stop(&st->srv);
	t->handler_msgs = c->uffd_msgs;
	t->handler_resolved = c->pages_copied + c->pages_zeroed;
	t->handler_eexist = c->eexist;
	for (unsigned i = 0; i < st->nvcpus; i++) {
		const struct mf_vcpu *v = &st->v[i];
		uint64_t errors = atomic_load(&v->errors);

		if (errors && !c->ioctl_errors)
			c->first_error = atomic_load(&v->first_error);
		c->ioctl_errors += errors;
		if (!joined)
			continue;
		t->exits += v->exits;
		t->vcpu_resolved += v->mc.pages_copied + v->mc.pages_zeroed;
		t->vcpu_eexist += v->mc.eexist;
		c->copy_ioctls += v->mc.copy_ioctls;
		c->zeropage_ioctls += v->mc.zeropage_ioctls;
		c->pages_copied += v->mc.pages_copied;
		c->pages_zeroed += v->mc.pages_zeroed;
		c->eexist += v->mc.eexist;
		c->eagain += v->mc.eagain;
		c->enomem += v->mc.enomem;
	}
	t->emu_reads = st->emu_reads;
	t->emu_bad_reads = st->emu_bad_reads;
	for (uint64_t w = 0; st->emu_seen && w < (st->npages + 63) / 64; w++) {
		t->emu_pages += (uint64_t)__builtin_popcountll(st->emu_seen[w]);
		if (touched)
			t->emu_untouched += (uint64_t)__builtin_popcountll(st->emu_seen[w] & ~touched[w]);
	}
	mf_last = *t;
	st->collected = true;
}

static int mf_after_vcpus(struct mode_run *r, const uint64_t *touched, const uint64_t *written)
{
	(void)written;
	mf_collect(r, touched, true);
	return 0;
}

static int mf_teardown(struct mode_run *r)
{
	struct mf_state *st = r->priv;
	bool joined;

	if (!st)
		return 0;
	joined = st->collected;
	/* on a failed run the emulation thread may sleep on a lost fault:
	 * unregistering wakes it, so stop it after the handlers are gone */
	atomic_store_explicit(&st->emu_stop, 1, memory_order_release);
	uffd_stock_teardown_server(r, &st->srv);
	emu_stop(st);
	remove_sigbus(st, joined);
	if (!st->collected)
		mf_collect(r, NULL, false);
	if (!joined && r->counters.ioctl_errors) {
		/* the watchdog saw a stuck vCPU; say why it was stuck */
		char was[FB_ERRLEN];

		snprintf(was, sizeof(was), "%s", r->err->msg);
		fb_errf(r->err, "%s; memfault-exit: %llu uffd ioctls failed, first with %s", was,
			(unsigned long long)r->counters.ioctl_errors, strerror(r->counters.first_error));
	}
	if (!joined) {
		/* A stalled run: vCPUs may still be in the touch loop, reading
		 * the bitmap and calling vcpu_miss() (which now fails on the
		 * closed uffd). Mark every page present so they stop asking,
		 * and free it all only at the next setup, after the harness has
		 * joined them. */
		for (uint64_t w = 0; r->presence && w < (st->npages + 63) / 64; w++)
			atomic_store(&r->presence[w], ~0ULL);
		mf_grave_st = st;
		mf_grave_presence = r->presence;
		return 0;
	}
	mf_free(st, r->presence);
	r->presence = NULL;
	r->priv = NULL;
	return 0;
}

/* Each exit and each handler message ended in one resolve or one EEXIST;
 * every distinct page touched (and every page only the emulation thread
 * read) was resolved exactly once, by a vCPU or a handler; and vCPU faults
 * did take the exit path, not the stock one. */
static int mf_account(struct mode_run *r, uint64_t touched)
{
	const struct mode_counters *c = &r->counters;
	const struct mf_totals *t = &mf_last;
	bool emu = r->cfg->emulation_thread;

	if (c->ioctl_errors) {
		fb_errf(r->err, "%llu uffd ioctls failed, first with %s",
			(unsigned long long)c->ioctl_errors, strerror(c->first_error));
		return -EIO;
	}
	if (t->emu_bad_reads) {
		fb_errf(r->err, "the emulation thread read wrong data in %llu of %llu reads",
			(unsigned long long)t->emu_bad_reads, (unsigned long long)t->emu_reads);
		return -EBADMSG;
	}
	if (t->exits != t->vcpu_resolved + t->vcpu_eexist) {
		fb_errf(r->err,
			"accounting: %llu vCPU exits but %llu pages resolved by vCPUs + %llu EEXIST "
			"(a resolve was lost or duplicated)",
			(unsigned long long)t->exits, (unsigned long long)t->vcpu_resolved,
			(unsigned long long)t->vcpu_eexist);
		return -EPROTO;
	}
	if (t->handler_msgs != t->handler_resolved + t->handler_eexist) {
		fb_errf(r->err,
			"accounting: %llu handler fault messages but %llu pages resolved + %llu EEXIST "
			"(a resolve was lost or duplicated)",
			(unsigned long long)t->handler_msgs, (unsigned long long)t->handler_resolved,
			(unsigned long long)t->handler_eexist);
		return -EPROTO;
	}
	if (t->vcpu_resolved + t->handler_resolved != touched + t->emu_untouched) {
		fb_errf(r->err,
			"accounting: %llu distinct pages touched (+ %llu read only by the emulation "
			"thread) but %llu resolved by vCPUs + %llu by handlers",
			(unsigned long long)touched, (unsigned long long)t->emu_untouched,
			(unsigned long long)t->vcpu_resolved, (unsigned long long)t->handler_resolved);
		return -EPROTO;
	}
	if (!emu && t->handler_msgs) {
		fb_errf(r->err,
			"fell back to the stock path: handlers read %llu fault messages with no emulation "
			"thread (vCPU faults must exit to the vCPU, not sleep on the uffd)",
			(unsigned long long)t->handler_msgs);
		return -EPROTO;
	}
	if (!emu && touched && t->vcpu_resolved != touched) {
		fb_errf(r->err, "accounting: vCPUs resolved %llu of %llu touched pages themselves",
			(unsigned long long)t->vcpu_resolved, (unsigned long long)touched);
		return -EPROTO;
	}
	return 0;
}

static json_t *mf_report(struct mode_run *r)
{
	struct mf_state *st = r->priv;
	const struct mf_totals *t;
	json_t *per = json_array();
	uint64_t copies = 0, zeros = 0, eagain = 0;

	if (!st || !per) {
		json_decref(per);
		return NULL;
	}
	mf_collect(r, NULL, true); /* a no-op after after_vcpus; report runs on joined vCPUs only */
	t = &st->t;
	for (unsigned i = 0; i < st->nvcpus; i++) {
		json_array_append_new(per, json_integer((json_int_t)st->v[i].exits));
		copies += st->v[i].mc.pages_copied;
		zeros += st->v[i].mc.pages_zeroed;
		eagain += st->v[i].mc.eagain;
	}
	return json_pack("{s:s, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I}",
			 "exit", st->sigbus ? "sigbus" : "bitmap",
			 "exits", (json_int_t)t->exits,
			 "exits_per_vcpu", per,
			 "vcpu_copies", (json_int_t)copies,
			 "vcpu_zeropages", (json_int_t)zeros,
			 "vcpu_eexist", (json_int_t)t->vcpu_eexist,
			 "vcpu_eagain", (json_int_t)eagain,
			 "vcpu_resolved", (json_int_t)t->vcpu_resolved,
			 "handler_msgs", (json_int_t)t->handler_msgs,
			 "handler_resolved", (json_int_t)t->handler_resolved,
			 "handler_eexist", (json_int_t)t->handler_eexist,
			 "emulation_thread", st->emu_seen != NULL,
			 "emulation_reads", (json_int_t)t->emu_reads,
			 "emulation_pages", (json_int_t)t->emu_pages,
			 "emulation_untouched_pages", (json_int_t)t->emu_untouched);
}

const struct fault_mode mode_memfault_exit = {
	.name = "memfault-exit",
	.summary = "vCPUs resolve their own missing pages (SIGBUS or presence-bitmap exits), "
		   "KVM memory-fault-exit style",
	.needs = "Linux 4.14 for --exit sigbus (UFFD_FEATURE_SIGBUS); 4.3 for --exit bitmap; "
		 "4.11 hugetlb, shmem",
	.flags = MODE_USES_UFFD | MODE_FILLS_IMAGE | MODE_HANDLERS,
	.check = mf_check,
	.unsupported = mf_unsupported,
	.setup = mf_setup,
	.vcpu_miss = mf_vcpu_miss,
	.after_vcpus = mf_after_vcpus,
	.teardown = mf_teardown,
	.account = mf_account,
	.report = mf_report,
};
