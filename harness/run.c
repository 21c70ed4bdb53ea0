/* The run engine: prepare, spawn vCPUs, time first touches, verify. */
#include "run.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "hugetlb.h"
#include "image.h"
#include "memfile.h"
#include "memory.h"
#include "probe.h"
#include "timing.h"
#include "topo.h"
#include "touch.h"

_Thread_local int fb_current_vcpu = -1;
volatile sig_atomic_t run_stop_armed, run_stop_sig;

/* A vCPU that must stop early (interrupt, watchdog) is kicked with
 * KICK_SIG; the handler jumps out of its touch loop. The loop takes no lock
 * and allocates nothing, so leaving it at any instruction is safe, and a
 * vCPU sleeping in a userfault wakes for the signal. Outside the loop the
 * kick is ignored and the vCPU returns by itself. */
#define KICK_SIG SIGRTMIN
static _Thread_local sigjmp_buf *volatile kick_jmp;

static void on_kick(int sig)
{
	(void)sig;
	if (kick_jmp)
		siglongjmp(*kick_jmp, 1);
}

struct run_ctx;

struct vcpu {
	struct run_ctx *ctx;
	unsigned idx;
	int cpu;
	pthread_t tid;
	bool started;
	const uint32_t *seq;     /* prepared before timing */
	uint64_t nseq;
	uint64_t first_page;     /* global index of slice page 0 */
	char *slice;
	char *prep;              /* this vCPU's disjoint part, for vcpu_prepare */
	uint64_t prep_bytes;
	uint64_t read_xor;
	int prepare_rc;
	int miss_rc;             /* first vcpu_miss() error; the loop stops there */
	int finish_rc;           /* vcpu_finish()'s */
	struct anat_vcpu anat;   /* its side of the fault anatomy */
	struct vcpu_stats *st;
	_Atomic uint64_t progress;  /* accesses done; read by the watchdog */
	_Atomic int done;
} __attribute__((aligned(FB_CACHELINE)));

struct run_ctx {
	const struct fb_config *cfg;
	struct mode_run mr;
	struct guest_mem gm;
	struct image img;
	struct memfile memfile;    /* --handler process: the image as a file, else fd -1 */
	struct vcpu *v;
	uint32_t **seqs;
	uint64_t *first_touches;   /* per vCPU, counted once */
	uint64_t *touched;         /* region pages any vCPU touches (bitmap) */
	uint64_t *written;         /* ... and writes */
	uint64_t ntouched;
	uint64_t guest_rss_bytes;  /* the most RSS a guest unmap gave back */
	pthread_barrier_t start;
	struct anatomy anat;
	bool anat_on;              /* mailboxes in use: the mode has handlers, latency is on */
	const char *anat_unavailable;  /* the anatomy would apply, but cannot be measured */
	int *vcpu_cpus, *handler_cpus;
	bool abandoned;            /* a vCPU would not stop: keep its memory */
	struct fb_err err;
};

/* The timed loop. Specialised by the compiler for each (access, one word
 * or many, record, presence check) combination, so the loop carries no
 * option branches; --touch line and page differ only in the strides of the
 * many-word loops (touch.h), and --touch word is the one-word loop.
 *
 * One clock read per access: an access's latency runs from the read after
 * the previous access to the read after this one, so it is the touch of all
 * its words plus a few ns of loop bookkeeping. A fault is a precise
 * exception, so the read after a faulting access cannot run before the
 * fault is resolved. */
static inline __attribute__((always_inline)) void touch_loop(struct vcpu *v, uint64_t ps,
							     enum access_kind acc, bool multi,
							     bool rec, bool chk)
{
	const struct touch_words tw = touch_words(v->ctx->cfg->touch, acc, ps / 8);
	const uint64_t rstep = tw.read_step * 8, wstep = tw.write_step * 8;
	const uint64_t mstep = tw.write_step * TOUCH_MARKER_STEP;
	const uint32_t *seq = v->seq;
	char *base = v->slice;
	struct hist *h = v->st->lat;
	struct mode_run *mr = &v->ctx->mr;
	_Atomic uint64_t *present = mr->presence;
	int (*miss)(struct mode_run *, unsigned, uint64_t) = v->ctx->cfg->mode->vcpu_miss;
	const struct anat_mailbox *mb = mr->anat ? &mr->anat->mb[v->idx] : NULL;
	uint64_t n = v->nseq, first = v->first_page, x = 0;
	uint64_t prev = rec ? fb_ticks_fast() : 0;

	for (uint64_t i = 0; i < n; i++) {
		uint32_t e = seq[i];
		uint64_t pg = e & WL_PAGE_MASK, gp = first + pg;
		char *p = base + pg * ps;

		if (chk && !(atomic_load_explicit(&present[gp >> 6], memory_order_acquire) &
			     (1ULL << (gp & 63)))) {
			int rc = miss(mr, v->idx, gp);

			if (rc) {
				v->miss_rc = rc;
				break;
			}
		}
		/* relaxed atomics: plain loads and stores on x86-64 and arm64, but
		 * well-defined when overlapping vCPUs touch the same word, as
		 * guests do */
		if (!multi) {
			if (acc != ACCESS_WRITE)
				x ^= atomic_load_explicit((_Atomic uint64_t *)p, memory_order_relaxed);
			if (acc != ACCESS_READ)
				atomic_store_explicit((_Atomic uint64_t *)(p + 8), write_marker(gp),
						      memory_order_relaxed);
		} else {
			uint64_t m = write_marker(gp), d = 0;

			if (acc != ACCESS_WRITE)
				for (uint64_t o = 0; o < ps; o += rstep)
					x ^= atomic_load_explicit((_Atomic uint64_t *)(p + o),
								  memory_order_relaxed);
			/* touch_marker(gp, w), one xor and one add per word */
			if (acc != ACCESS_READ)
				for (uint64_t o = 8; o < ps; o += wstep, d += mstep)
					atomic_store_explicit((_Atomic uint64_t *)(p + o), m ^ d,
							      memory_order_relaxed);
		}
		if (rec) {
			uint64_t now = fb_ticks_fast();

			if (!(e & WL_REPEAT)) {
				hist_add(h, fb_ticks_ns(now - prev));
				if (mb)
					anatomy_after_touch(mb, &v->anat, gp, prev, now);
			}
			prev = now;
		}
		atomic_store_explicit(&v->progress, i + 1, memory_order_relaxed);
	}
	v->read_xor = x;
}

#define TOUCH_CASE(a, m, r, c)                                                              \
	case (a) * 8 + (m) * 4 + (r) * 2 + (c):                                             \
		touch_loop(v, ps, a, m, r, c);                                              \
		break
#define TOUCH_CASES(a, m)                                                                   \
	TOUCH_CASE(a, m, false, false);                                                     \
	TOUCH_CASE(a, m, false, true);                                                      \
	TOUCH_CASE(a, m, true, false);                                                      \
	TOUCH_CASE(a, m, true, true)

/* noinline: the sigsetjmp in vcpu_main must not reach the loop's codegen */
static __attribute__((noinline)) void touch(struct vcpu *v, uint64_t ps, enum access_kind acc,
					     bool multi, bool rec, bool chk)
{
	switch (acc * 8 + multi * 4 + rec * 2 + chk) {
	TOUCH_CASES(ACCESS_WRITE, false);
	TOUCH_CASES(ACCESS_WRITE, true);
	TOUCH_CASES(ACCESS_READ, false);
	TOUCH_CASES(ACCESS_READ, true);
	TOUCH_CASES(ACCESS_READ_WRITE, false);
	TOUCH_CASES(ACCESS_READ_WRITE, true);
	}
}

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;
	struct run_ctx *ctx = v->ctx;
	const struct fb_config *cfg = ctx->cfg;
	struct rusage r0, r1;
	uint64_t t0, t1;
	sigjmp_buf jb;

	fb_current_vcpu = (int)v->idx;
	v->finish_rc = 0;
	topo_pin_self(v->cpu);
	if (cfg->mode->vcpu_prepare) {
		t0 = fb_ticks();
		v->prepare_rc = cfg->mode->vcpu_prepare(&ctx->mr, v->idx, v->prep, v->prep_bytes);
		v->st->prepare_ns = fb_ticks_ns(fb_ticks() - t0);
	}
	if (ctx->mr.anat)
		anatomy_register_vcpu(ctx->mr.anat, v->idx);
	pthread_barrier_wait(&ctx->start);
	if (sigsetjmp(jb, 1)) {
		kick_jmp = NULL;
		atomic_store_explicit(&v->done, 1, memory_order_release);
		return NULL;
	}
	kick_jmp = &jb;
	getrusage(RUSAGE_THREAD, &r0);
	t0 = fb_ticks();
	touch(v, cfg->page_size, cfg->access, cfg->touch != TOUCH_WORD, cfg->record_latency,
	      ctx->mr.presence != NULL);
	t1 = fb_ticks();
	/* untimed, still kickable: it may fault */
	if (cfg->mode->vcpu_finish)
		v->finish_rc = cfg->mode->vcpu_finish(&ctx->mr, v->idx);
	kick_jmp = NULL;
	getrusage(RUSAGE_THREAD, &r1);
	v->st->touch_ns = fb_ticks_ns(t1 - t0);
	v->st->minflt = r1.ru_minflt - r0.ru_minflt;
	v->st->majflt = r1.ru_majflt - r0.ru_majflt;
	v->st->nvcsw = r1.ru_nvcsw - r0.ru_nvcsw;
	v->st->nivcsw = r1.ru_nivcsw - r0.ru_nivcsw;
	atomic_store_explicit(&v->done, 1, memory_order_release);
	return NULL;
}

static void rusage_sub(struct rusage *d, const struct rusage *a, const struct rusage *b)
{
	d->ru_minflt = a->ru_minflt - b->ru_minflt;
	d->ru_majflt = a->ru_majflt - b->ru_majflt;
	d->ru_nvcsw = a->ru_nvcsw - b->ru_nvcsw;
	d->ru_nivcsw = a->ru_nivcsw - b->ru_nivcsw;
}

static inline bool bit_test(const uint64_t *b, uint64_t i)
{
	return (b[i >> 6] >> (i & 63)) & 1;
}

static inline void bit_set(uint64_t *b, uint64_t i)
{
	b[i >> 6] |= 1ULL << (i & 63);
}

/* Which region pages the vCPUs touch and write: fixed by the sequences, so
 * built once, and known to modes before teardown (dirty-set checks). */
static int build_bitmaps(struct run_ctx *ctx)
{
	const struct fb_config *cfg = ctx->cfg;
	uint64_t npages = cfg->total_bytes / cfg->page_size, words = (npages + 63) / 64;

	ctx->touched = calloc(words, 8);
	ctx->written = calloc(words, 8);
	if (!ctx->touched || !ctx->written) {
		fb_errf(&ctx->err, "no memory for the touched-page bitmaps");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		uint64_t first = cfg->overlap ? 0 : (uint64_t)i * cfg->slice_pages;

		for (uint64_t k = 0; k < cfg->slice_pages; k++) {
			uint64_t p = first + (ctx->seqs[i][k] & WL_PAGE_MASK);

			if (!bit_test(ctx->touched, p)) {
				bit_set(ctx->touched, p);
				ctx->ntouched++;
			}
			if (cfg->access != ACCESS_READ)
				bit_set(ctx->written, p);
		}
	}
	return 0;
}

/* Build every vCPU's sequence once, before any repetition. */
static int prepare_sequences(struct run_ctx *ctx)
{
	const struct fb_config *cfg = ctx->cfg;
	char why[256];

	ctx->seqs = calloc(cfg->vcpus, sizeof(*ctx->seqs));
	ctx->first_touches = calloc(cfg->vcpus, sizeof(uint64_t));
	if (!ctx->seqs || !ctx->first_touches)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		uint32_t *s = malloc(cfg->slice_pages * sizeof(uint32_t));
		int rc;

		if (!s) {
			fb_errf(&ctx->err, "no memory for vCPU %u's access sequence", i);
			return -ENOMEM;
		}
		ctx->seqs[i] = s;
		rc = cfg->workload.wl->build(&cfg->workload, cfg->slice_pages,
					     fb_mix64(cfg->seed + i), s);
		if (rc) {
			snprintf(why, sizeof(why), "%s", strerror(-rc));
			fb_errf(&ctx->err, "workload %s: build failed: %s", cfg->workload.text, why);
			return rc;
		}
		for (uint64_t k = 0; k < cfg->slice_pages; k++)
			ctx->first_touches[i] += !(s[k] & WL_REPEAT);
	}
	return build_bitmaps(ctx);
}

static uint64_t prep_part(const struct fb_config *cfg, unsigned i, uint64_t *bytes)
{
	uint64_t pages = cfg->total_bytes / cfg->page_size, per = pages / cfg->vcpus;
	uint64_t start = per * i;

	*bytes = (i + 1 == cfg->vcpus ? pages - start : per) * cfg->page_size;
	return start * cfg->page_size;
}

/* Verification: every touched page holds what it must (the image, or
 * zeros, and the markers in the words --touch writes), and every vCPU read
 * what the page held in the words --touch reads. Runs after teardown, so
 * nothing here can fault into a handler. Pages the mode changed on purpose
 * (r->verify_skip) are counted, not checked, and so are the checksums of
 * vCPUs that read them. */
static void verify_rep(struct run_ctx *ctx, struct rep_result *rr)
{
	const struct fb_config *cfg = ctx->cfg;
	struct verify_result *vr = &rr->verify;
	const uint64_t *skip = ctx->mr.verify_skip;
	uint64_t npages = cfg->total_bytes / cfg->page_size, wpp = cfg->page_size / 8;
	bool image = cfg->mode->flags & MODE_FILLS_IMAGE;
	const struct touch_words tw = touch_words(cfg->touch, cfg->access, wpp);

	vr->first_bad_page = -1;
	vr->ok = true;
	for (unsigned i = 0; i < cfg->vcpus && cfg->access != ACCESS_WRITE; i++) {
		const struct vcpu *v = &ctx->v[i];
		uint64_t x = 0;
		bool skipped = false;

		for (uint64_t k = 0; k < v->nseq; k++) {
			uint64_t p = v->first_page + (v->seq[k] & WL_PAGE_MASK);

			skipped |= skip && bit_test(skip, p);
			for (uint64_t w = 0; image && w < wpp; w += tw.read_step)
				x ^= image_word(&ctx->img, p, w);
		}
		if (skipped) {
			vr->checksums_skipped++;
			continue;
		}
		if (x != v->read_xor && vr->ok) {
			vr->ok = false;
			snprintf(vr->message, sizeof(vr->message),
				 "vCPU %u read wrong data: checksum of the words it read (%s) is 0x%016llx, expected 0x%016llx",
				 i, tw.read_step == 1 ? "every word" : tw.read_step == wpp ? "word 0" : "word 0 of every line", (unsigned long long)v->read_xor, (unsigned long long)x);
		}
	}
	for (uint64_t p = 0; p < npages; p++) {
		const uint64_t *w = (const uint64_t *)(ctx->gm.base + p * cfg->page_size);
		bool wr = bit_test(ctx->written, p);

		if (!bit_test(ctx->touched, p))
			continue;
		if (skip && bit_test(skip, p)) {
			vr->pages_skipped++;
			continue;
		}
		vr->pages_checked++;
		for (uint64_t k = 0; k < wpp; k++) {
			uint64_t want = wr && touch_writes(&tw, k) ? touch_marker(p, k) :
					image ? image_word(&ctx->img, p, k) : 0;

			if (w[k] == want)
				continue;
			if (vr->bad_pages++ == 0) {
				vr->first_bad_page = (int64_t)p;
				snprintf(vr->message, sizeof(vr->message),
					 "page %llu (offset 0x%llx) word %llu: expected 0x%016llx, found 0x%016llx",
					 (unsigned long long)p, (unsigned long long)(p * cfg->page_size),
					 (unsigned long long)k, (unsigned long long)want,
					 (unsigned long long)w[k]);
			}
			vr->ok = false;
			break;
		}
	}
	vr->checked = true;
}

static uint64_t fault_timeout_ns(const struct fb_config *cfg)
{
	return (uint64_t)(cfg->fault_timeout_s * 1e9) + cfg->service_delay_us * 1000ULL * 4;
}

/* What the handler threads (or process) were doing, for a watchdog message. */
static void handler_state(struct run_ctx *ctx, uint64_t now, char *buf, size_t n)
{
	const struct mode_run *r = &ctx->mr;
	uint64_t last = atomic_load_explicit(&r->last_read_ns, memory_order_relaxed);
	int e = atomic_load_explicit(&r->fatal_errno, memory_order_acquire);
	int len;

	if (!(ctx->cfg->mode->flags & MODE_USES_UFFD)) {
		snprintf(buf, n, "no handler threads in this mode");
		return;
	}
	if (ctx->cfg->handler_exec) {
		snprintf(buf, n, "handler `%s` %s; what it read is not visible",
			 ctx->cfg->handler_exec,
			 atomic_load_explicit(&r->handlers_alive, memory_order_relaxed) ?
			 "alive" : "gone");
		return;
	}
	/* a handler process counts as one: its threads are its own */
	if (ctx->cfg->handler == HANDLER_PROCESS)
		len = snprintf(buf, n, "handler process (%u thread%s) %s, ", ctx->cfg->handlers,
			       ctx->cfg->handlers == 1 ? "" : "s",
			       atomic_load_explicit(&r->handlers_alive, memory_order_relaxed) ?
			       "alive" : "gone");
	else
		len = snprintf(buf, n, "handler threads: %u of %u alive, ",
			       atomic_load_explicit(&r->handlers_alive, memory_order_relaxed),
			       ctx->cfg->handlers);
	if (len < 0 || (size_t)len >= n)
		return;
	if (last)
		len += snprintf(buf + len, n - (size_t)len, "last read messages %.1f s ago",
				(double)(now - last) / 1e9);
	else
		len += snprintf(buf + len, n - (size_t)len, "never read a message");
	if ((size_t)len < n)
		snprintf(buf + len, n - (size_t)len, ", %s%s", e ? "failed with " : "no ioctl error",
			 e ? strerrorname_np(e) : "");
}

/* Wait for the vCPUs; a vCPU whose progress stalls for the fault timeout
 * aborts the repetition with where it stood. */
static int wait_vcpus(struct run_ctx *ctx)
{
	const struct fb_config *cfg = ctx->cfg;
	uint64_t limit = fault_timeout_ns(cfg), *last = calloc(cfg->vcpus, 8), *since = calloc(cfg->vcpus, 8);
	struct timespec tick = { 0, 2000000 };
	int rc = 0, e;

	if (!last || !since) {
		free(last);
		free(since);
		return -ENOMEM;
	}
	for (;;) {
		unsigned running = 0;
		uint64_t now = fb_mono_ns();

		if (run_stop_sig) {
			rc = -EINTR;
			goto out;
		}

		for (unsigned i = 0; i < cfg->vcpus; i++) {
			struct vcpu *v = &ctx->v[i];
			uint64_t p;

			if (atomic_load_explicit(&v->done, memory_order_acquire))
				continue;
			running++;
			p = atomic_load_explicit(&v->progress, memory_order_relaxed);
			if (p != last[i] || !since[i]) {
				last[i] = p;
				since[i] = now;
			} else if (now - since[i] > limit) {
				/* p == nseq: past its accesses, in vcpu_finish */
				uint64_t pg = p < v->nseq ? v->first_page + (v->seq[p] & WL_PAGE_MASK) :
							    UINT64_MAX;
				char hs[160];

				handler_state(ctx, now, hs, sizeof(hs));
				fb_errf(&ctx->err,
					"watchdog: vCPU %u waited more than %.1f s on page %llu (access %llu of %llu); "
					"%s; their counters at teardown are in this repetition's result",
					i, (double)limit / 1e9, (unsigned long long)pg,
					(unsigned long long)p + 1, (unsigned long long)v->nseq, hs);
				rc = -ETIMEDOUT;
				goto out;
			}
		}
		e = atomic_load_explicit(&ctx->mr.fatal_errno, memory_order_acquire);
		if (e) {
			uint64_t pg = atomic_load_explicit(&ctx->mr.fatal_page, memory_order_relaxed) - 1;
			char why[64] = "";

			if (e == ENOMEM)
				snprintf(why, sizeof(why), ", %d retries 1 ms apart did not help",
					 FB_ENOMEM_RETRIES);
			else if (e == ENOENT || e == ESRCH)
				snprintf(why, sizeof(why), ": the guest memory's layout changed under it");
			else if (e == EFAULT)
				snprintf(why, sizeof(why), ": a fault at an address it cannot map to a page");
			fb_errf(&ctx->err, "handler: resolving page %lld failed with %s (%s)%s; "
				"the repetition is stopped", pg == UINT64_MAX - 1 ? -1LL : (long long)pg,
				strerrorname_np(e) ? strerrorname_np(e) : "?", strerror(e), why);
			rc = -EIO;
			goto out;
		}
		if (!running)
			break;
		nanosleep(&tick, NULL);
	}
out:
	free(last);
	free(since);
	return rc;
}

/* Join the vCPUs. After a stall or a stop, teardown has closed the uffds
 * (which wakes stuck faults) and each vCPU still running is kicked out of
 * its loop; one that will not stop within 5 s is left behind, and so is
 * everything it may still touch. */
static int join_vcpus(struct run_ctx *ctx, bool stalled)
{
	int rc = 0;

	for (unsigned i = 0; i < ctx->cfg->vcpus; i++) {
		struct vcpu *v = &ctx->v[i];
		uint64_t deadline = fb_mono_ns() + 5000000000ULL;

		if (!v->started)
			continue;
		if (!stalled) {
			pthread_join(v->tid, NULL);
			continue;
		}
		while (!atomic_load_explicit(&v->done, memory_order_acquire) && fb_mono_ns() < deadline) {
			struct timespec tick = { 0, 10000000 };

			pthread_kill(v->tid, KICK_SIG);
			nanosleep(&tick, NULL);
		}
		if (!atomic_load_explicit(&v->done, memory_order_acquire)) {
			rc = -ETIMEDOUT;
			ctx->abandoned = true;
			continue;
		}
		pthread_join(v->tid, NULL);
	}
	return rc;
}

/* Fresh mailboxes and per-vCPU anatomy state for a repetition. */
static void anat_rep_begin(struct run_ctx *ctx)
{
	anatomy_reset(&ctx->anat);
	for (unsigned i = 0; i < ctx->cfg->vcpus; i++) {
		struct anat_vcpu *a = &ctx->v[i].anat;

		a->seen = a->matched = a->resumed_first = 0;
		a->pend_next = 0;
		memset(a->pend, 0, sizeof(a->pend));
		for (unsigned k = 0; k < ANAT_PARTS; k++)
			hist_init(a->part[k]);
	}
}

/* The handlers have stopped, the vCPUs are joined: settle what is pending
 * and sum the vCPUs' parts into the repetition. */
static void anat_rep_end(struct run_ctx *ctx, struct rep_result *rr)
{
	struct rep_anatomy *ra = rr->anat;

	for (unsigned k = 0; k < ANAT_PARTS; k++)
		hist_init(&ra->part[k]);
	ra->first_touches = ra->matched = ra->resumed_first = 0;
	for (unsigned i = 0; i < ctx->cfg->vcpus; i++) {
		struct anat_vcpu *a = &ctx->v[i].anat;

		anatomy_finish(&ctx->anat.mb[i], a);
		for (unsigned k = 0; k < ANAT_PARTS; k++)
			hist_merge(&ra->part[k], a->part[k]);
		ra->first_touches += ctx->first_touches[i];
		ra->matched += a->matched;
		ra->resumed_first += a->resumed_first;
	}
}

static int run_rep(struct run_ctx *ctx, struct rep_result *rr)
{
	const struct fb_config *cfg = ctx->cfg;
	struct rusage p0, p1;
	sigset_t stop, old_mask;
	uint64_t t0;
	int rc, wrc = 0;
	bool setup_done = false, barrier = false;

	memset(&ctx->mr, 0, sizeof(ctx->mr));
	ctx->mr.cfg = cfg;
	ctx->mr.gm = &ctx->gm;
	ctx->mr.img = &ctx->img;
	ctx->mr.memfile = ctx->memfile.fd >= 0 ? &ctx->memfile : NULL;
	ctx->mr.err = &ctx->err;
	ctx->mr.anat = ctx->anat_on ? &ctx->anat : NULL;
	ctx->mr.vcpu_cpus = ctx->vcpu_cpus;
	ctx->mr.handler_cpus = ctx->handler_cpus;
	ctx->mr.handlers_seen = rr->handlers;
	hist_init(&ctx->mr.service);
	if (ctx->anat_on)
		anat_rep_begin(ctx);

	/* untimed: the handler's first reads of the file go to the disk */
	if (ctx->mr.memfile && cfg->page_cache == PAGE_CACHE_COLD) {
		rc = memfile_drop_cache(&ctx->memfile, &ctx->err);
		if (rc)
			return rc;
	}
	t0 = fb_ticks();
	rc = guest_mem_map(&ctx->gm, cfg, &ctx->err);
	rr->map_ns = fb_ticks_ns(fb_ticks() - t0);
	if (rc)
		return rc;
	/* Handler and vCPU threads inherit a mask without the stop signals, so
	 * the main thread alone takes them and no ioctl or read of theirs sees
	 * EINTR. */
	fb_stop_signals(&stop);
	pthread_sigmask(SIG_BLOCK, &stop, &old_mask);
	if (cfg->mode->setup) {
		t0 = fb_ticks();
		rc = cfg->mode->setup(&ctx->mr);
		rr->mode_setup_ns = fb_ticks_ns(fb_ticks() - t0);
		setup_done = true;
		if (rc)
			goto teardown;
	}
	rc = pthread_barrier_init(&ctx->start, NULL, cfg->vcpus + 1);
	if (rc) {
		rc = -rc;
		goto teardown;
	}
	barrier = true;
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		struct vcpu *v = &ctx->v[i];
		uint64_t off;

		v->st = &rr->v[i];
		v->st->cpu = v->cpu;
		v->slice = ctx->gm.base + v->first_page * cfg->page_size;
		off = prep_part(cfg, i, &v->prep_bytes);
		v->prep = ctx->gm.base + off;
		atomic_store(&v->progress, 0);
		atomic_store(&v->done, 0);
		v->started = false;
		rc = pthread_create(&v->tid, NULL, vcpu_main, v);
		if (rc) {
			fb_errf(&ctx->err, "vCPU %u: pthread_create: %s", i, strerror(rc));
			/* let the started ones through the barrier: they need N+1 */
			fprintf(stderr, "faultbench: cannot start vCPU %u; aborting\n", i);
			abort();
		}
		v->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	getrusage(RUSAGE_SELF, &p0);
	pthread_barrier_wait(&ctx->start);
	if (cfg->mode->vcpus_released)
		cfg->mode->vcpus_released(&ctx->mr);
	wrc = wait_vcpus(ctx);
	getrusage(RUSAGE_SELF, &p1);
	rusage_sub(&rr->ru, &p1, &p0);
	if (!wrc) {
		join_vcpus(ctx, false);
		for (unsigned i = 0; i < cfg->vcpus; i++) {
			ctx->v[i].started = false;
			if (ctx->v[i].finish_rc && !rc) {
				rc = ctx->v[i].finish_rc;
				fb_errf(&ctx->err, "vCPU %u, after its accesses: %s", i, strerror(-rc));
			}
			if (ctx->v[i].miss_rc && !rc) {
				rc = ctx->v[i].miss_rc;
				if (!ctx->err.msg[0])
					fb_errf(&ctx->err, "vCPU %u could not resolve its own fault: %s", i,
						strerror(-rc));
			}
		}
		/* what the kernel mapped, before after_vcpus writes more pages */
		if (!rc)
			mapped_measure(&rr->mapped, ctx->gm.base, ctx->gm.size, cfg->page_size,
				       ctx->touched, ctx->ntouched);
		if (!rc && cfg->mode->after_vcpus)
			rc = cfg->mode->after_vcpus(&ctx->mr, ctx->touched, ctx->written);
		/* before teardown, while the mode's state is whole */
		if (cfg->mode->report)
			rr->mode_data = cfg->mode->report(&ctx->mr);
	}

teardown:
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (setup_done && cfg->mode->teardown) {
		int trc = cfg->mode->teardown(&ctx->mr);

		/* a failure only teardown can see (a handler process that died) */
		if (trc && !rc && !wrc)
			rc = trc;
	}
	if (ctx->anat_on && !wrc && !rc)
		anat_rep_end(ctx, rr);
	if (wrc) {
		if (join_vcpus(ctx, true))
			fprintf(stderr, "faultbench: %s\nfaultbench: a vCPU is still stuck after teardown; "
				"its memory is left mapped\n", ctx->err.msg);
		for (unsigned i = 0; i < cfg->vcpus; i++)
			ctx->v[i].started = false;
		rc = wrc;
	}
	if (barrier)
		pthread_barrier_destroy(&ctx->start);
	if (!rc) {
		for (unsigned i = 0; i < cfg->vcpus; i++) {
			if (ctx->v[i].prepare_rc) {
				rc = ctx->v[i].prepare_rc;
				break;
			}
		}
	}
	rr->counters = ctx->mr.counters;
	rr->service = ctx->mr.service;
	if (cfg->handler_exec)
		rr->unknown = "the handler is a program of its own (--handler-exec): its counters, "
			      "service time and reads are not visible to faultbench, so they are "
			      "left out and the resolve accounting was skipped; fault latency and "
			      "verification stand";
	rr->register_ns = ctx->mr.register_ns;
	rr->unregister_ns = ctx->mr.unregister_ns;
	rr->populate_ns = ctx->mr.populate_ns;
	if (!rc) {
		uint64_t prep = 0;

		for (unsigned i = 0; i < cfg->vcpus; i++) {
			if (rr->v[i].prepare_ns > rr->populate_ns && cfg->populate_parallel &&
			    (cfg->mode->flags & MODE_PREPARE_POPULATES))
				rr->populate_ns = rr->v[i].prepare_ns;
			if (rr->v[i].prepare_ns > prep)
				prep = rr->v[i].prepare_ns;
		}
		/* the vCPUs prepare in parallel, then all start at the barrier */
		rr->setup_ns = rr->mode_setup_ns + prep;
		rr->touched = ctx->ntouched;
		if (cfg->verify) {
			verify_rep(ctx, rr);
			if (!rr->verify.ok) {
				fb_errf(&ctx->err, "verification failed: %s", rr->verify.message);
				rc = -EBADMSG;
			}
		}
		if (!rc && cfg->mode->account && !rr->unknown)
			rc = cfg->mode->account(&ctx->mr, rr->touched);
	}
	if (!ctx->abandoned) {
		/* what the guest held resident is what its unmap gives back */
		uint64_t rss = admit_rss_bytes(), after;

		guest_mem_unmap(&ctx->gm);
		after = admit_rss_bytes();
		if (rss > after && rss - after > ctx->guest_rss_bytes)
			ctx->guest_rss_bytes = rss - after;
	}
	return rc;
}

static void rep_figures(struct rep_result *rr)
{
	hist_init(&rr->lat);
	rr->pages = 0;
	rr->max_touch_ns = 0;
	for (unsigned i = 0; i < rr->nvcpus; i++) {
		struct vcpu_stats *s = &rr->v[i];

		rr->pages += s->pages;
		if (s->touch_ns > rr->max_touch_ns)
			rr->max_touch_ns = s->touch_ns;
		hist_merge(&rr->lat, s->lat);
	}
	/* as demand_paging_test: all pages over the slowest vCPU's time; in
	 * pages and bytes the kernel really mapped (a 2M "page" it filled with
	 * one 4K PTE is one 4K page) */
	mapped_per_touch(&rr->mapped, &rr->pages_per_touch, &rr->bytes_per_touch);
	if (rr->max_touch_ns) {
		rr->rate_pps = (double)rr->pages * 1e9 / (double)rr->max_touch_ns * rr->pages_per_touch;
		rr->rate_gibps = (double)rr->pages * 1e9 / (double)rr->max_touch_ns *
				 rr->bytes_per_touch / (double)FB_GiB;
	}
	/* until guest memory is usable: setup the user waits for, then the touch */
	if (rr->max_touch_ns + rr->setup_ns) {
		double per_s = (double)rr->pages * 1e9 / (double)(rr->max_touch_ns + rr->setup_ns);

		rr->rate_usable_pps = per_s * rr->pages_per_touch;
		rr->rate_usable_gibps = per_s * rr->bytes_per_touch / (double)FB_GiB;
	}
}

static int alloc_rep(const struct run_ctx *ctx, struct rep_result *rr, unsigned rep)
{
	const struct fb_config *cfg = ctx->cfg;
	const uint64_t *first_touches = ctx->first_touches;

	memset(rr, 0, sizeof(*rr));
	rr->rep = rep;
	rr->warmup = rep < cfg->warmup;
	rr->nvcpus = cfg->vcpus;
	mapped_init(&rr->mapped, cfg->page_size);
	rr->v = calloc(cfg->vcpus, sizeof(*rr->v));
	if (!rr->v)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		rr->v[i].lat = malloc(sizeof(struct hist));
		if (!rr->v[i].lat)
			return -ENOMEM;
		hist_init(rr->v[i].lat);
		rr->v[i].pages = first_touches[i];
		rr->v[i].accesses = cfg->slice_pages;
	}
	if (ctx->anat_on || ctx->anat_unavailable) {
		rr->anat = calloc(1, sizeof(*rr->anat));
		if (!rr->anat)
			return -ENOMEM;
		for (unsigned k = 0; k < ANAT_PARTS; k++)
			hist_init(&rr->anat->part[k]);
		rr->anat->unavailable = ctx->anat_unavailable;
	}
	if (ctx->handler_cpus) {
		rr->handlers = calloc(cfg->handlers, sizeof(*rr->handlers));
		if (!rr->handlers)
			return -ENOMEM;
		for (unsigned i = 0; i < cfg->handlers; i++)
			rr->handlers[i].cpu = ctx->handler_cpus[i];
	}
	return 0;
}

static const char *stop_name(void)
{
	static char name[16];
	const char *abbrev = sigabbrev_np(run_stop_sig);

	snprintf(name, sizeof(name), "SIG%s", abbrev ? abbrev : "?");
	return name;
}

static void rep_free(struct rep_result *rr)
{
	for (unsigned i = 0; rr->v && i < rr->nvcpus; i++)
		free(rr->v[i].lat);
	free(rr->v);
	free(rr->anat);
	free(rr->handlers);
	json_decref(rr->mode_data);
	memset(rr, 0, sizeof(*rr));
}

static void ctx_free(struct run_ctx *ctx)
{
	if (ctx->seqs)
		for (unsigned i = 0; i < ctx->cfg->vcpus; i++)
			free(ctx->seqs[i]);
	free(ctx->seqs);
	free(ctx->first_touches);
	free(ctx->touched);
	free(ctx->written);
	for (unsigned i = 0; ctx->v && i < ctx->cfg->vcpus; i++)
		for (unsigned k = 0; k < ANAT_PARTS; k++)
			free(ctx->v[i].anat.part[k]);
	anatomy_free(&ctx->anat);
	free(ctx->v);
	image_destroy(&ctx->img);
	memfile_close(&ctx->memfile);
}

static void set_state(struct run_result *res, enum run_state st, const char *why)
{
	res->state = st;
	snprintf(res->reason, sizeof(res->reason), "%s", why);
}

/* A handler that never sleeps keeps its CPU busy: on a vCPU's CPU the two
 * take turns, and each fault waits for the scheduler to switch. Legal, and
 * worth measuring once, but say so. */
static void warn_spin_shared(const struct fb_config *cfg, const int *vcpu_cpus, const int *hcpus)
{
	uint64_t online[FB_MAX_CPUS / 64];
	int n = topo_online_cpus(online);

	for (unsigned i = 0; i < cfg->handlers; i++) {
		for (unsigned k = 0; hcpus[i] >= 0 && k < cfg->vcpus; k++) {
			if (hcpus[i] != vcpu_cpus[k])
				continue;
			fprintf(stderr, "faultbench: warning: --wait spin: handler %u spins on CPU %d, where "
				"vCPU %u runs; they take turns on it, so each fault waits for a time slice\n",
				i, hcpus[i], k);
			return;
		}
	}
	if (cfg->handler_cpus == HCPUS_ANY && n > 0 && cfg->handlers + cfg->vcpus > (unsigned)n)
		fprintf(stderr, "faultbench: warning: --wait spin: %u spinning handlers and %u vCPUs on "
			"%d CPUs: some share a CPU and take turns on it\n", cfg->handlers, cfg->vcpus, n);
}

/* Where the handlers go (1: the host cannot place them, a skip), and
 * whether the fault anatomy can be recorded. */
static int setup_handlers(struct run_ctx *ctx, struct run_result *res, const int *vcpu_cpus)
{
	const struct fb_config *cfg = ctx->cfg;
	char why[FB_ERRLEN];
	int rc;

	if (!(cfg->mode->flags & MODE_HANDLERS))
		return 0;
	res->handler_cpus = calloc(cfg->handlers, sizeof(int));
	if (!res->handler_cpus)
		return -ENOMEM;
	rc = topo_handler_cpus(cfg, vcpu_cpus, res->handler_cpus, why, sizeof(why));
	if (rc == 1) {
		set_state(res, RUN_SKIPPED, why);
		return 1;
	}
	if (rc)
		return rc;
	ctx->handler_cpus = res->handler_cpus;
	if (cfg->wait == WAIT_SPIN && !cfg->quiet)
		warn_spin_shared(cfg, vcpu_cpus, res->handler_cpus);
	if (!cfg->record_latency)
		return 0;
	if (cfg->handler == HANDLER_PROCESS) {
		ctx->anat_unavailable = "the handler runs in another process (--handler process), "
					"away from the mailboxes that time each fault's parts";
		return 0;
	}
	if (!(probe_host()->uffd_features & UFFD_FEATURE_THREAD_ID)) {
		ctx->anat_unavailable = "needs UFFD_FEATURE_THREAD_ID (Linux 4.14+) to match fault "
					"messages to the vCPUs that caused them";
		return 0;
	}
	rc = anatomy_init(&ctx->anat, cfg->vcpus);
	for (unsigned i = 0; !rc && i < cfg->vcpus; i++) {
		for (unsigned k = 0; k < ANAT_PARTS; k++) {
			ctx->v[i].anat.part[k] = malloc(sizeof(struct hist));
			if (!ctx->v[i].anat.part[k])
				rc = -ENOMEM;
		}
	}
	ctx->anat_on = !rc;
	return rc;
}

static bool skip_if_unsupported(const struct fb_config *cfg, struct run_result *res)
{
	const struct host_caps *h = probe_host();
	char why[FB_ERRLEN];

	if (cfg->backing->unsupported && cfg->backing->unsupported(cfg, h, why, sizeof(why))) {
		set_state(res, RUN_SKIPPED, why);
		return true;
	}
	if (cfg->mode->unsupported && cfg->mode->unsupported(cfg, h, why, sizeof(why))) {
		set_state(res, RUN_SKIPPED, why);
		return true;
	}
	return false;
}

int run_config(const struct fb_config *cfg, struct run_result *res)
{
	struct run_ctx ctx = { .cfg = cfg, .memfile = { .fd = -1 } };
	struct hugetlb_reservation hr;
	int *cpus = NULL, rc;
	unsigned total = cfg->warmup + cfg->reps;
	char why[FB_ERRLEN];

	memset(res, 0, sizeof(*res));
	res->cfg = cfg;
	admit_estimate(cfg, probe_host(), &res->memory);
	fb_clock_init();
	{
		struct sigaction sa = { .sa_handler = on_kick };

		sigemptyset(&sa.sa_mask);
		sigaction(KICK_SIG, &sa, NULL);
	}
	if (skip_if_unsupported(cfg, res))
		return 0;
	if (cfg->backing->flags & BK_HUGETLB) {
		rc = hugetlb_reserve(&hr, probe_host(), cfg->page_size, cfg->total_bytes / cfg->page_size,
				     cfg->reserve_hugepages, why, sizeof(why));
		if (rc == 1) {
			set_state(res, RUN_SKIPPED, why);
			return 0;
		}
		if (rc < 0) {
			set_state(res, RUN_FAILED, "hugetlb: cannot record vm.nr_hugepages for restore");
			return rc;
		}
		res->hugepages_reserved = hr.raised_by;
	}

	res->reps = calloc(total, sizeof(*res->reps));
	ctx.v = aligned_alloc(FB_CACHELINE, sizeof(*ctx.v) * cfg->vcpus);
	cpus = calloc(cfg->vcpus, sizeof(int));
	rc = -ENOMEM;
	if (!res->reps || !ctx.v || !cpus)
		goto fail;
	memset(ctx.v, 0, sizeof(*ctx.v) * cfg->vcpus);
	rc = prepare_sequences(&ctx);
	if (rc)
		goto fail;
	rc = image_create(&ctx.img, cfg->total_bytes / cfg->page_size, cfg->page_size,
			  cfg->zero_fraction, cfg->zero_run_bytes / cfg->page_size, cfg->seed, &ctx.err);
	if (rc)
		goto fail;
	res->image_zero_pages = ctx.img.nzero;
	/* the guest's own file needs no image file beside it */
	if (cfg->handler == HANDLER_PROCESS && !(cfg->mode->flags & MODE_HANDOFF_GUEST_FILE)) {
		rc = memfile_write(&ctx.memfile, cfg, &ctx.img, &ctx.err);
		if (rc)
			goto fail;
	}
	rc = topo_assign(cfg->pin, cfg->vcpus, cpus, &res->oversubscribed);
	if (rc) {
		fb_errf(&ctx.err, "hwloc: cannot read the CPU topology: %s", strerror(-rc));
		goto fail;
	}
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		ctx.v[i].ctx = &ctx;
		ctx.v[i].idx = i;
		ctx.v[i].cpu = cpus[i];
		ctx.v[i].seq = ctx.seqs[i];
		ctx.v[i].nseq = cfg->slice_pages;
		ctx.v[i].first_page = cfg->overlap ? 0 : (uint64_t)i * cfg->slice_pages;
	}
	ctx.vcpu_cpus = cpus;
	rc = setup_handlers(&ctx, res, cpus);
	if (rc == 1) {
		rc = 0;
		goto out;
	}
	if (rc)
		goto fail;

	for (unsigned rep = 0; rep < total; rep++) {
		struct rep_result *rr = &res->reps[rep];

		if (run_stop_sig)
			goto stopped;
		rc = alloc_rep(&ctx, rr, rep);
		res->nreps = rep + 1;
		if (rc)
			goto fail;
		rc = run_rep(&ctx, rr);
		rep_figures(rr);
		if (rc == -EINTR && run_stop_sig && !ctx.abandoned) {
			/* a repetition cut short measures nothing: drop it */
			rep_free(rr);
			res->nreps = rep;
			goto stopped;
		}
		if (rc)
			goto fail;
	}
	res->state = RUN_OK;
	goto out;

stopped:
	{
		unsigned done = res->nreps, measured = done > cfg->warmup ? done - cfg->warmup : 0;

		snprintf(res->reason, sizeof(res->reason),
			 "interrupted by %s at repetition %u of %u (warmup included); "
			 "%u finished measured repetition%s kept", stop_name(), done + 1, total,
			 measured, measured == 1 ? "" : "s");
		res->state = RUN_INTERRUPTED;
		rc = 0;
	}
	goto out;
fail:
	if (run_stop_sig && rc == -EINTR) {
		res->state = RUN_INTERRUPTED;
		snprintf(res->reason, sizeof(res->reason), "interrupted by %s; a vCPU would not stop",
			 stop_name());
	} else {
		set_state(res, RUN_FAILED, ctx.err.msg[0] ? ctx.err.msg : strerror(-rc));
	}
out:
	res->peak_rss_bytes = admit_peak_rss_bytes();
	res->guest_rss_bytes = ctx.guest_rss_bytes;
	res->abandoned = ctx.abandoned;
	if (!ctx.abandoned)
		ctx_free(&ctx);
	free(cpus);
	hugetlb_restore_all();
	return rc;
}

void run_result_free(struct run_result *res)
{
	if (res->abandoned)  /* a vCPU may still write into them */
		return;
	for (unsigned r = 0; r < res->nreps; r++)
		rep_free(&res->reps[r]);
	free(res->reps);
	free(res->handler_cpus);
	res->reps = NULL;
	res->handler_cpus = NULL;
	res->nreps = 0;
}
