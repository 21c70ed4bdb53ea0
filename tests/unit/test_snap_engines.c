/* The snapshot engines (harness/snapshot/uffd_wp.c, precopy.c) against a
 * driver of their own: guest memory, two writer threads that store
 * versioned values (writer << 48 | count) without pause, a park flag for
 * pause/resume, a sink that keeps a copy of every saved page, and at T0 a
 * copy of memory taken while the writers are parked: the truth. Every page
 * must be saved and equal the truth; the injected un-protect-before-save
 * must be caught on its page; after cleanup nothing is write-protected or
 * registered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dirty.h"
#include "probe.h"
#include "snapshot/precopy.h"
#include "snapshot/snap.h"
#include "snapshot/snap_io.h"
#include "snapshot/uffd_wp.h"
#include "uffd.h"

#define NWRITERS 2
#define SMALL 4096ULL

struct drv {
	struct snap_io io;
	char *mem, *truth, *sink;
	void *map;
	size_t map_len;
	uint64_t npages;
	_Atomic unsigned *saves;
	pthread_t tid[NWRITERS];
	unsigned nwriters;
	_Atomic int park, parked, quit;
	_Atomic uint64_t writes[NWRITERS];
	int64_t hot_page;          /* >= 0: writer 0 writes only this page */
	bool t0_done;
	unsigned t0_calls;
	uint64_t t0_writes;        /* the writers' writes at T0, in all */
	_Atomic int saved_once;
	_Atomic uint64_t extra_peak;
	/* stop the engine after this many saves (0: never) */
	uint64_t stop_after;
	_Atomic uint64_t nsaves;
	int stop;
};

struct wr_arg {
	struct drv *d;
	unsigned i;
};
static struct wr_arg wr_args[NWRITERS];

static void *writer_main(void *arg)
{
	struct wr_arg *a = arg;
	struct drv *d = a->d;
	uint64_t lo = d->npages * a->i / d->nwriters, hi = d->npages * (a->i + 1) / d->nwriters;
	uint64_t words = d->io.page_size / 8, x = 0x9e3779b97f4a7c15ULL * (a->i + 1), k = 0;

	while (!atomic_load(&d->quit)) {
		uint64_t page, word;

		if (atomic_load(&d->park)) {
			atomic_fetch_add(&d->parked, 1);
			while (atomic_load(&d->park) && !atomic_load(&d->quit))
				;
			atomic_fetch_sub(&d->parked, 1);
			continue;
		}
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		page = a->i == 0 && d->hot_page >= 0 ? (uint64_t)d->hot_page : lo + x % (hi - lo);
		word = (k * 7) % words;
		/* relaxed atomic: a plain store, which the engines read racily on purpose */
		__atomic_store_n((uint64_t *)(d->mem + page * d->io.page_size) + word,
				 ((uint64_t)a->i << 48) | ++k, __ATOMIC_RELAXED);
		atomic_store_explicit(&d->writes[a->i], k, memory_order_relaxed);
	}
	return NULL;
}

static uint64_t writes_now(struct drv *d)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < NWRITERS; i++)
		n += atomic_load(&d->writes[i]);
	return n;
}

static int drv_pause(void *ctx)
{
	struct drv *d = ctx;

	atomic_store(&d->park, 1);
	while (atomic_load(&d->parked) < (int)d->nwriters)
		sched_yield();
	return 0;
}

static int drv_resume(void *ctx)
{
	struct drv *d = ctx;

	atomic_store(&d->park, 0);
	return 0;
}

/* The truth: memory as it is now, the writers parked. A 4K piece that is
 * not mapped reads as zeros without being touched (a read would map the
 * zero page under the engine's feet). */
static int drv_t0(void *ctx)
{
	struct drv *d = ctx;

	if (atomic_load(&d->parked) != (int)d->nwriters)
		return -EBUSY;
	for (uint64_t off = 0; off < d->io.bytes; off += SMALL) {
		uint64_t e = 0;

		if (dirty_pagemap_entry(d->mem + off, &e))
			return -EIO;
		if (e & (DIRTY_PM_PRESENT | DIRTY_PM_SWAPPED))
			memcpy(d->truth + off, d->mem + off, SMALL);
		else
			memset(d->truth + off, 0, SMALL);
	}
	d->t0_writes = writes_now(d);
	d->t0_done = true;
	d->t0_calls++;
	return 0;
}

static int drv_save(void *ctx, uint64_t page, const void *src)
{
	struct drv *d = ctx;

	if (page >= d->npages)
		return -ERANGE;
	/* The first save after T0 gives the writers up to 100 ms to write
	 * (every page is protected then, so a write is a WP fault), so that a
	 * busy machine cannot make a snapshot that no write ran into. */
	if (d->t0_calls && !atomic_exchange(&d->saved_once, 1))
		for (int ms = 0; ms < 100 && writes_now(d) == d->t0_writes; ms++)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	memcpy(d->sink + page * d->io.page_size, src, d->io.page_size);
	atomic_fetch_add(&d->saves[page], 1);
	if (d->stop_after && atomic_fetch_add(&d->nsaves, 1) + 1 >= d->stop_after)
		__atomic_store_n(&d->stop, 1, __ATOMIC_RELAXED);
	return 0;
}

static void drv_extra(void *ctx, uint64_t bytes)
{
	struct drv *d = ctx;

	for (uint64_t peak = atomic_load(&d->extra_peak);
	     bytes > peak && !atomic_compare_exchange_weak(&d->extra_peak, &peak, bytes);)
		;
}

enum kind { ANON, THP, SHMEM };
static const char *const kind_names[] = { "anon", "thp", "shmem" };

/* thp: 2M-aligned, MADV_HUGEPAGE; shmem: a memfd, MAP_SHARED. Every fourth
 * page stays unmapped (what --wp-prepare is about); the others get a
 * pattern. */
static void drv_init(struct drv *d, uint64_t bytes, uint64_t page_size, enum kind kind)
{
	const uint64_t H = 2ULL << 20;

	memset(d, 0, sizeof(*d));
	d->hot_page = -1;
	if (kind == SHMEM) {
		int fd = memfd_create("snap-engines", MFD_CLOEXEC);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (off_t)bytes), 0);
		d->map_len = bytes;
		d->map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		assert_true(d->map != MAP_FAILED);
		d->mem = d->map;
	} else {
		d->map_len = bytes + H;
		d->map = mmap(NULL, d->map_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(d->map != MAP_FAILED);
		d->mem = (char *)(((uintptr_t)d->map + H - 1) & ~(uintptr_t)(H - 1));
		assert_int_equal(madvise(d->mem, bytes, kind == THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE), 0);
	}
	d->npages = bytes / page_size;
	for (uint64_t p = 0; p < d->npages; p++)
		if (p % 4 != 3)
			for (uint64_t w = 0; w < page_size / 8; w += 64)
				/* mem is a mapping whose mmap was asserted above (cmocka's
				 * asserts are not noreturn to the analyzer) */
				/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
				((uint64_t *)(d->mem + p * page_size))[w] = 0xabcd000000000000ULL | p;
	d->truth = malloc(bytes);
	d->sink = malloc(bytes);
	d->saves = calloc(d->npages, sizeof(*d->saves));
	assert_non_null(d->truth);
	assert_non_null(d->sink);
	assert_non_null(d->saves);
	d->io = (struct snap_io){
		.ctx = d, .base = d->mem, .bytes = bytes, .page_size = page_size, .vcpus = NWRITERS,
		.pause = drv_pause, .resume = drv_resume, .t0 = drv_t0, .save = drv_save,
		.extra_memory = drv_extra,
	};
}

static void writers_start(struct drv *d)
{
	d->nwriters = NWRITERS;
	for (unsigned i = 0; i < d->nwriters; i++) {
		wr_args[i] = (struct wr_arg){ d, i };
		assert_int_equal(pthread_create(&d->tid[i], NULL, writer_main, &wr_args[i]), 0);
	}
	/* a warm-up: every writer has written */
	for (unsigned i = 0; i < d->nwriters; i++)
		while (atomic_load(&d->writes[i]) < 1000)
			sched_yield();
}

static void writers_stop(struct drv *d)
{
	atomic_store(&d->quit, 1);
	for (unsigned i = 0; i < d->nwriters; i++)
		pthread_join(d->tid[i], NULL);
	d->nwriters = 0;
}

static void drv_free(struct drv *d)
{
	munmap(d->map, d->map_len);
	free(d->truth);
	free(d->sink);
	free(d->saves);
}

struct check {
	uint64_t missing, repeated, mismatched;
	int64_t first_mismatch, last_mismatch;
};

static void drv_check(const struct drv *d, struct check *c)
{
	uint64_t ps = d->io.page_size;

	memset(c, 0, sizeof(*c));
	c->first_mismatch = c->last_mismatch = -1;
	for (uint64_t p = 0; p < d->npages; p++) {
		unsigned n = atomic_load(&d->saves[p]);

		if (!n) {
			c->missing++;
			continue;
		}
		c->repeated += n > 1;
		if (memcmp(d->sink + p * ps, d->truth + p * ps, ps)) {
			c->mismatched++;
			if (c->first_mismatch < 0)
				c->first_mismatch = (int64_t)p;
			c->last_mismatch = (int64_t)p;
		}
	}
}

static void *write_all(void *arg)
{
	struct drv *d = arg;

	for (uint64_t off = 0; off < d->io.bytes; off += SMALL)
		*(volatile char *)(d->mem + off) = 1;
	return NULL;
}

/* After cleanup: no uffd-wp bit (pagemap bit 57) on any 4K piece, no
 * userfaultfd flag (smaps VmFlags um/uw/ui) on the mapping, and a write to
 * every page completes (on a thread, bounded, so a bug cannot hang us). */
static void assert_released(struct drv *d)
{
	char line[512], want[64];
	bool in = false, seen = false;
	struct timespec ts;
	pthread_t t;
	FILE *f;

	for (uint64_t off = 0; off < d->io.bytes; off += SMALL) {
		uint64_t e = 0;

		assert_int_equal(dirty_pagemap_entry(d->mem + off, &e), 0);
		if (e & DIRTY_PM_UFFD_WP)
			fail_msg("4K piece at offset %llu still write-protected", (unsigned long long)off);
	}
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)d->mem);
	f = fopen("/proc/self/smaps", "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		/* a mapping's first line; its fields ("Size:", ...) do not parse */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = (uintptr_t)d->mem >= lo && (uintptr_t)d->mem < hi;
		if (in && !strncmp(line, "VmFlags:", 8)) {
			seen = true;
			if (strstr(line, " um") || strstr(line, " uw") || strstr(line, " ui"))
				fail_msg("guest memory still registered: %s", line);
		}
	}
	fclose(f);
	assert_true(seen);
	assert_int_equal(pthread_create(&t, NULL, write_all, d), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	if (pthread_timedjoin_np(t, NULL, &ts))
		fail_msg("writing every page after cleanup did not finish in 20 s: still protected");
}

/* true (with the reason printed) when this host cannot run the case */
static bool skip_unless(uint64_t need, bool thp, bool scan)
{
	const struct host_caps *h = probe_host();
	const char *r = probe_uffd_unavailable_reason(h);
	char names[256];

	if (r) {
		print_message("skip: %s\n", r);
		return true;
	}
	if ((h->uffd_features & need) != need) {
		print_message("skip: needs %s\n", uffd_feature_list(need & ~h->uffd_features, names,
								      sizeof(names)));
		return true;
	}
	if (scan && !h->pagemap_scan) {
		print_message("skip: needs PAGEMAP_SCAN (Linux 6.7+)\n");
		return true;
	}
	if (thp && (!h->thp_pmd_size || !strcmp(h->thp_enabled, "never"))) {
		print_message("skip: THP is off on this host\n");
		return true;
	}
	return false;
}

/* An engine as the core will wrap it: prepare before the writers start,
 * take while they write, cleanup always. */
struct engine {
	int (*prepare)(void **e, const struct snap_io *io, const void *opts, struct fb_err *err);
	int (*take)(void *e, void *stats, struct fb_err *err);
	int (*cleanup)(void *e);
};

/* One snapshot with writers running; after cleanup, nothing may be left
 * protected or registered. take()'s return. */
static int run_engine(struct drv *d, const struct engine *en, const void *opts, void *stats,
		      struct fb_err *err)
{
	void *e = NULL;
	int rc = en->prepare(&e, &d->io, opts, err);

	if (rc) {
		en->cleanup(e);
		fail_msg("prepare: %s", err->msg);
	}
	writers_start(d);
	rc = en->take(e, stats, err);
	writers_stop(d);
	assert_int_equal(en->cleanup(e), 0);
	assert_released(d);
	if (d->stop_after)
		assert_int_equal(rc, -EINTR);
	else if (rc)
		fail_msg("take: %s", err->msg);
	return rc;
}

static int wp_prepare_(void **e, const struct snap_io *io, const void *o, struct fb_err *err)
{
	return uffd_wp_prepare((struct uffd_wp **)e, io, o, err);
}

static int wp_take_(void *e, void *st, struct fb_err *err)
{
	return uffd_wp_take(e, st, err);
}

static int wp_cleanup_(void *e)
{
	return uffd_wp_cleanup(e);
}

static const struct engine engine_wp = { wp_prepare_, wp_take_, wp_cleanup_ };

static int pc_prepare_(void **e, const struct snap_io *io, const void *o, struct fb_err *err)
{
	return precopy_prepare((struct precopy **)e, io, o, err);
}

static int pc_take_(void *e, void *st, struct fb_err *err)
{
	return precopy_take(e, st, err);
}

static int pc_cleanup_(void *e)
{
	return precopy_cleanup(e);
}

static const struct engine engine_pc = { pc_prepare_, pc_take_, pc_cleanup_ };

struct wp_case {
	enum wp_prepare prepare;
	bool single;
	enum kind kind;
	uint64_t page_size;
	int64_t inject;      /* the page to break, -1: none */
	uint64_t stop_after;
};

static void run_wp(const struct wp_case *k)
{
	uint64_t bytes = k->kind == THP ? 32ULL << 20 : 16ULL << 20;
	struct wp_opts o = {
		.prepare = k->prepare,
		.single_thread = k->single,
		.file_backed = k->kind == SHMEM,
		.inject_unprotect_before_save_page = k->inject,
		.inject_delay_ms = 5000,
	};
	struct wp_stats st;
	struct fb_err err = { "" };
	struct check c;
	struct drv d;

	if (skip_unless(uffd_wp_features(&o), k->kind == THP, false))
		skip();
	drv_init(&d, bytes, k->page_size, k->kind);
	o.stop = &d.stop;
	d.stop_after = k->stop_after;
	if (k->inject >= 0)
		d.hot_page = k->inject;
	if (run_engine(&d, &engine_wp, &o, &st, &err)) {
		drv_free(&d);
		return;
	}
	assert_int_equal(d.t0_calls, 1);
	drv_check(&d, &c);
	print_message("# uffd-wp %s%s %s page %llu: %llu pages, %llu faults (%llu waits), saver %llu, "
		      "handler %llu, extra peak %llu B, fault p50 %.0f ns, mismatched %llu\n",
		      wp_prepare_names[k->prepare], k->single ? " single-thread" : "",
		      kind_names[k->kind], (unsigned long long)k->page_size,
		      (unsigned long long)st.pages, (unsigned long long)st.wp_faults,
		      (unsigned long long)st.fault_waits, (unsigned long long)st.saver_saves,
		      (unsigned long long)st.handler_saves, (unsigned long long)st.extra_memory_peak_bytes,
		      hist_quantile(&st.fault_service, 0.5), (unsigned long long)c.mismatched);
	assert_int_equal(c.missing, 0);
	assert_int_equal(c.repeated, 0);
	assert_int_equal(st.pages, d.npages);
	assert_int_equal(st.saver_saves + st.handler_saves, d.npages);
	assert_int_equal(st.fault_service.count, st.wp_faults);
	assert_true(st.extra_memory_peak_bytes >= k->page_size);
	assert_int_equal(d.extra_peak, st.extra_memory_peak_bytes);
	if (k->inject >= 0) {
		/* the bug must be seen, and on its page only */
		assert_int_equal(c.mismatched, 1);
		assert_int_equal(c.first_mismatch, k->inject);
	} else {
		if (c.mismatched)
			fail_msg("%llu pages differ from T0, first page %lld",
				 (unsigned long long)c.mismatched, (long long)c.first_mismatch);
		/* the writers kept writing: some of them hit a protected page */
		assert_true(st.wp_faults > 0);
	}
	drv_free(&d);
}

static void test_wp_unpopulated(void **state)
{
	(void)state;
	run_wp(&(struct wp_case){ WP_PREPARE_UNPOPULATED, false, ANON, 4096, -1, 0 });
}

static void test_wp_preread(void **state)
{
	(void)state;
	run_wp(&(struct wp_case){ WP_PREPARE_PREREAD, false, ANON, 4096, -1, 0 });
}

static void test_wp_populate(void **state)
{
	(void)state;
	run_wp(&(struct wp_case){ WP_PREPARE_POPULATE, false, ANON, 4096, -1, 0 });
}

static void test_wp_single_thread(void **state)
{
	(void)state;
	run_wp(&(struct wp_case){ WP_PREPARE_UNPOPULATED, true, ANON, 4096, -1, 0 });
	run_wp(&(struct wp_case){ WP_PREPARE_PREREAD, true, ANON, 4096, -1, 0 });
}

static void test_wp_thp(void **state)
{
	(void)state;
	/* 2M pages (the backing's), and 4K pages over THP (splits) */
	run_wp(&(struct wp_case){ WP_PREPARE_UNPOPULATED, false, THP, 2ULL << 20, -1, 0 });
	run_wp(&(struct wp_case){ WP_PREPARE_UNPOPULATED, false, THP, 4096, -1, 0 });
	run_wp(&(struct wp_case){ WP_PREPARE_POPULATE, true, THP, 4096, -1, 0 });
}

static void test_wp_shmem(void **state)
{
	(void)state;
	run_wp(&(struct wp_case){ WP_PREPARE_UNPOPULATED, false, SHMEM, 4096, -1, 0 });
	run_wp(&(struct wp_case){ WP_PREPARE_PREREAD, true, SHMEM, 4096, -1, 0 });
}

static void test_wp_inject_caught(void **state)
{
	(void)state;
	run_wp(&(struct wp_case){ WP_PREPARE_UNPOPULATED, false, ANON, 4096, 1000, 0 });
	run_wp(&(struct wp_case){ WP_PREPARE_UNPOPULATED, true, ANON, 4096, 1000, 0 });
}

static void test_wp_interrupted(void **state)
{
	(void)state;
	run_wp(&(struct wp_case){ WP_PREPARE_UNPOPULATED, false, ANON, 4096, -1, 100 });
	run_wp(&(struct wp_case){ WP_PREPARE_PREREAD, true, ANON, 4096, -1, 100 });
}

struct pc_case {
	unsigned passes;
	uint64_t residual;
	enum kind kind;
	uint64_t page_size;
	uint64_t stop_after;
};

static void run_pc(const struct pc_case *k)
{
	uint64_t bytes = k->kind == THP ? 32ULL << 20 : 16ULL << 20, sum = 0, all = 0;
	struct precopy_opts o = {
		.passes = k->passes,
		.residual_pages = k->residual,
		.file_backed = k->kind == SHMEM,
	};
	struct precopy_stats st;
	struct fb_err err = { "" };
	struct check c;
	struct drv d;

	if (skip_unless(precopy_features(&o), k->kind == THP, true))
		skip();
	drv_init(&d, bytes, k->page_size, k->kind);
	o.stop = &d.stop;
	d.stop_after = k->stop_after;
	if (run_engine(&d, &engine_pc, &o, &st, &err)) {
		/* interrupted before the final pause: no T0 */
		assert_int_equal(d.t0_calls, 0);
		drv_free(&d);
		return;
	}
	assert_int_equal(d.t0_calls, 1);
	drv_check(&d, &c);
	print_message("# precopy passes %u residual %llu %s page %llu: passes done %u, pages per pass",
		      k->passes, (unsigned long long)k->residual, kind_names[k->kind],
		      (unsigned long long)k->page_size, st.passes);
	for (unsigned i = 0; i < st.passes; i++)
		print_message(" %llu", (unsigned long long)st.pass_pages[i]);
	print_message(", final pause %llu pages, %llu saves, mismatched %llu\n",
		      (unsigned long long)st.final_pages, (unsigned long long)st.pages_saved,
		      (unsigned long long)c.mismatched);
	if (c.missing || c.mismatched)
		fail_msg("%llu pages missing, %llu differ from T0 (first page %lld)",
			 (unsigned long long)c.missing, (unsigned long long)c.mismatched,
			 (long long)c.first_mismatch);
	for (unsigned i = 0; i < st.passes; i++)
		sum += st.pass_pages[i];
	for (uint64_t p = 0; p < d.npages; p++)
		all += atomic_load(&d.saves[p]);
	assert_int_equal(st.pages_saved, sum + st.final_pages);
	assert_int_equal(st.pages_saved, all);
	assert_int_equal(st.pass_pages[0], d.npages);
	assert_int_equal(st.extra_memory_peak_bytes, k->page_size);
	assert_int_equal(d.extra_peak, k->page_size);
	if (k->residual > d.npages)
		assert_int_equal(st.passes, 1);
	else if (!k->residual)
		assert_int_equal(st.passes, k->passes);
	drv_free(&d);
}

static void test_precopy_passes(void **state)
{
	(void)state;
	run_pc(&(struct pc_case){ 1, 0, ANON, 4096, 0 });
	run_pc(&(struct pc_case){ 4, 0, ANON, 4096, 0 });
	/* below the residual after pass 1: straight to the pause */
	run_pc(&(struct pc_case){ 8, 1ULL << 40, ANON, 4096, 0 });
	run_pc(&(struct pc_case){ 8, 64, ANON, 4096, 0 });
}

static void test_precopy_thp(void **state)
{
	(void)state;
	run_pc(&(struct pc_case){ 3, 0, THP, 2ULL << 20, 0 });
	run_pc(&(struct pc_case){ 3, 0, THP, 4096, 0 });
}

static void test_precopy_shmem(void **state)
{
	(void)state;
	run_pc(&(struct pc_case){ 3, 0, SHMEM, 4096, 0 });
}

static void test_precopy_interrupted(void **state)
{
	(void)state;
	/* inside pass 1, and at its end (4096 pages): before the final pause */
	run_pc(&(struct pc_case){ 4, 0, ANON, 4096, 100 });
	run_pc(&(struct pc_case){ 4, 0, ANON, 4096, 4096 });
}

/* snap_wp_pages_left, the check `faultbench snapshot` makes after every
 * cleanup: it counts protected pages (a count that cannot see them would
 * pass any test), and none once they are un-protected and unregistered. */
static void test_wp_left_counts(void **state)
{
	const uint64_t npages = 64, bytes = npages * 4096;
	struct fb_err err = { "" };
	uint64_t n = 1;
	char *m;
	int uffd;

	(void)state;
	if (skip_unless(UFFD_FEATURE_WP_UNPOPULATED, false, false))
		skip();
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	memset(m, 1, bytes / 2);   /* half mapped, half empty ptes (markers) */
	assert_int_equal(snap_wp_pages_left(m, bytes, &n), 0);
	assert_int_equal(n, 0);
	uffd = uffd_open(UFFD_FEATURE_WP_UNPOPULATED, &err);
	assert_true(uffd >= 0);
	assert_int_equal(uffd_register(uffd, m, bytes, UFFDIO_REGISTER_MODE_WP, NULL, &err), 0);
	assert_int_equal(dirty_writeprotect(uffd, m, bytes, true), 0);
	assert_int_equal(snap_wp_pages_left(m, bytes, &n), 0);
	assert_int_equal(n, npages);
	assert_int_equal(dirty_writeprotect(uffd, m + bytes / 4, bytes / 4, false), 0);
	assert_int_equal(snap_wp_pages_left(m, bytes, &n), 0);
	assert_int_equal(n, npages - npages / 4);
	assert_int_equal(dirty_writeprotect(uffd, m, bytes, false), 0);
	assert_int_equal(uffd_unregister(uffd, m, bytes), 0);
	assert_int_equal(snap_wp_pages_left(m, bytes, &n), 0);
	assert_int_equal(n, 0);
	close(uffd);
	munmap(m, bytes);
}

/* The saved state: two threads claim every page of one array, in
 * opposite orders; each page is claimed by exactly one of them. */
#define CLAIM_PAGES 200000
static unsigned char claim_state[CLAIM_PAGES];
static unsigned char claim_owner[CLAIM_PAGES];

static void *claimer(void *arg)
{
	uintptr_t who = (uintptr_t)arg;

	for (uint64_t i = 0; i < CLAIM_PAGES; i++) {
		uint64_t p = who == 1 ? i : CLAIM_PAGES - 1 - i;

		if (wp_page_claim(claim_state, p)) {
			__atomic_fetch_add(&claim_owner[p], (unsigned char)who, __ATOMIC_RELAXED);
			__atomic_store_n(&claim_state[p], WP_PAGE_SAVED, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

static void test_claim_once(void **state)
{
	pthread_t a, b;
	uint64_t by[3] = { 0 };

	(void)state;
	assert_int_equal(pthread_create(&a, NULL, claimer, (void *)1), 0);
	assert_int_equal(pthread_create(&b, NULL, claimer, (void *)2), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	for (uint64_t p = 0; p < CLAIM_PAGES; p++) {
		/* 1 or 2: one owner; 3 would be both */
		assert_in_range(claim_owner[p], 1, 2);
		assert_int_equal(claim_state[p], WP_PAGE_SAVED);
		by[claim_owner[p]]++;
		/* a claim of a saved page fails */
		assert_false(wp_page_claim(claim_state, p));
	}
	assert_int_equal(by[1] + by[2], CLAIM_PAGES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claim_once),
		cmocka_unit_test(test_wp_left_counts),
		cmocka_unit_test(test_wp_unpopulated),
		cmocka_unit_test(test_wp_preread),
		cmocka_unit_test(test_wp_populate),
		cmocka_unit_test(test_wp_single_thread),
		cmocka_unit_test(test_wp_thp),
		cmocka_unit_test(test_wp_shmem),
		cmocka_unit_test(test_wp_inject_caught),
		cmocka_unit_test(test_wp_interrupted),
		cmocka_unit_test(test_precopy_passes),
		cmocka_unit_test(test_precopy_thp),
		cmocka_unit_test(test_precopy_shmem),
		cmocka_unit_test(test_precopy_interrupted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
