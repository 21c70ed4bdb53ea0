/* `faultbench snapshot`: live snapshots of a guest whose vCPUs keep
 * writing, one result file per strategy. Per repetition: map and populate
 * guest memory with the image, start the writers, warm up, take the
 * snapshot (the strategy), let the writers recover, stop them, and verify
 * the sink point-in-time against a replay (pit.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "mapped.h"
#include "probe.h"
#include "result.h"
#include "run.h"
#include "snapshot/pit.h"
#include "snapshot/precopy.h"
#include "snapshot/snap.h"
#include "snapshot/uffd_wp.h"
#include "snapshot/writers.h"
#include "timing.h"

int snapshot_main(int argc, char **argv);

/* run's flags that mean the same here; the rest of run's are refused */
static const char *const run_flags[] = { "size", "vcpus", "pin", "backing", "workload", "seed",
					 "reps", "warmup", "out", "quiet", "hugepage-size",
					 "reserve-hugepages", "no-reserve-hugepages" };
/* those of them that take no value */
static bool run_flag_bare(const char *name)
{
	return !strcmp(name, "quiet") || !strcmp(name, "reserve-hugepages") ||
	       !strcmp(name, "no-reserve-hugepages");
}

static void snap_usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench snapshot [flags]\n"
		"\n"
		"Snapshot guest memory while its vCPUs keep writing; verify the snapshot holds\n"
		"every page exactly as it was at the snapshot's start (T0).\n"
		"\n"
		"  --strategy LIST   comma-separated, or repeated (below)  [stop-copy]\n"
		"                    each strategy writes its own result file\n"
		"  --sink S          null (one checksum per saved page) or file:PATH  [null]\n"
		"  --sink-direct     write the file with O_DIRECT\n"
		"  --write-rate R    writes per second per vCPU, 1..1000000000  [full speed]\n"
		"  --warmup-ms MS    writing before T0, 0..600000  [200]\n"
		"  --recovery-ms MS  writing after the snapshot ends, 0..600000  [200]\n"
		"  uffd-wp:\n"
		"  --wp-prepare P    unpopulated, preread or populate: how pages not mapped\n"
		"                    at T0 get protected  [unpopulated]\n"
		"  --wp-single-thread  one thread saves and polls faults between pages (QEMU)\n"
		"  precopy:\n"
		"  --precopy-passes N      passes while the vCPUs run, 1..64  [5]\n"
		"  --precopy-residual PAGES  stop passing below this many dirty pages,\n"
		"                    0..4294967295 (0: only --precopy-passes stops)  [256]\n"
		"  run's flags: --size --vcpus --pin --backing --workload --seed --reps\n"
		"               --warmup (repetitions) --out --quiet --hugepage-size\n"
		"               --[no-]reserve-hugepages (faultbench run --help)\n"
		"  --out FILE        with several strategies, FILE gets -STRATEGY before .json\n"
		"                    [results/snapshot-STRATEGY-BACKING-Nv-SIZE.json]\n"
		"\n"
		"Exit: 0 ok, 1 failed (a page not as at T0, a strategy error), 2 bad input,\n"
		"77 skipped (this host or backing cannot run it; reason in the result),\n"
		"130 interrupted (SIGINT; 128+N for signal N): the snapshot in progress is\n"
		"dropped, its result says \"interrupted\" and keeps the finished repetitions.\n"
		"\nStrategies:\n");
	for (unsigned i = 0; i < snap_strategies_count; i++)
		fprintf(f, "  %-10s %s\n", snap_strategies[i]->name, snap_strategies[i]->summary);
}

static int bad(struct fb_err *err, const char *flag, const char *v, const char *want)
{
	fb_errf(err, "%s '%s': %s", flag, v, want);
	return -EINVAL;
}

static int parse_strategies(struct snap_config *c, const char *v, struct fb_err *err)
{
	char buf[256], *save = NULL, names[128] = "";

	for (unsigned i = 0; i < snap_strategies_count; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
			 snap_strategies[i]->name);
	if (!*v || strlen(v) >= sizeof(buf)) {
		fb_errf(err, "--strategy '%s': a comma-separated list of %s", v, names);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct snap_strategy *s = snap_strategy_find(tok);

		if (!s) {
			fb_errf(err, "--strategy '%s': not one of %s", tok, names);
			return -EINVAL;
		}
		for (unsigned i = 0; i < c->nstrategies; i++)
			if (c->strategies[i] == s)
				return bad(err, "--strategy", tok, "given twice");
		if (c->nstrategies == SNAP_MAX_STRATEGIES)
			return bad(err, "--strategy", tok, "too many strategies");
		c->strategies[c->nstrategies++] = s;
	}
	return 0;
}

static int parse_inject(struct snap_config *c, const char *v, struct fb_err *err)
{
	const char *want = "save-late:PAGE (stop-copy), save-live:PAGE or kill-child (fork), "
			   "unprotect-before-save:PAGE (uffd-wp); test-only";
	const char *colon = strchr(v, ':');

	if (!strcmp(v, "kill-child")) {
		c->inject = SNAP_INJECT_KILL_CHILD;
		return 0;
	}
	if (!colon || fb_parse_u64(colon + 1, 0, UINT32_MAX, &c->inject_page))
		return bad(err, "--inject", v, want);
	if (!strncmp(v, "save-late:", 10))
		c->inject = SNAP_INJECT_SAVE_LATE;
	else if (!strncmp(v, "save-live:", 10))
		c->inject = SNAP_INJECT_SAVE_LIVE;
	else if (!strncmp(v, "unprotect-before-save:", 22))
		c->inject = SNAP_INJECT_UNPROTECT_EARLY;
	else
		return bad(err, "--inject", v, want);
	return 0;
}

static bool snap_selected(const struct snap_config *c, const struct snap_strategy *s)
{
	for (unsigned i = 0; i < c->nstrategies; i++)
		if (c->strategies[i] == s)
			return true;
	return false;
}

/* The snapshot's own flags are taken out; run's allowed ones go to
 * config_parse_run, which checks and resolves them as for `run`. */
static int snap_parse(struct snap_config *c, int argc, char **argv, struct fb_err *err)
{
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0, e = 0;
	uint64_t u;
	const char *wp_flag = NULL, *pc_flag = NULL;

	memset(c, 0, sizeof(*c));
	c->warmup_ms = 200;
	c->recovery_ms = 200;
	c->wp_prepare = WP_PREPARE_UNPOPULATED;
	c->precopy_passes = 5;
	c->precopy_residual = 256;
	if (!rest)
		return -ENOMEM;
	rest[nrest++] = argv[0];
	for (int i = 1; i < argc && !e; i++) {
		char name[64];
		const char *a = argv[i], *eq, *v = NULL;
		size_t len;
		bool takes = true, is_run = false;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			snap_usage(stdout);
			free(rest);
			return 1;
		}
		if (strncmp(a, "--", 2)) {
			e = bad(err, "argument", a, "faultbench snapshot takes flags only");
			break;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), a + 2);
		for (size_t f = 0; f < FB_ARRAY_SIZE(run_flags); f++)
			is_run |= !strcmp(name, run_flags[f]);
		if (is_run) {
			rest[nrest++] = argv[i];
			if (!eq && !run_flag_bare(name) && i + 1 < argc)
				rest[nrest++] = argv[++i];
			continue;
		}
		if (!strcmp(name, "sink-direct")) {
			takes = false;
			c->sink_direct = true;
		}
		if (!strcmp(name, "wp-single-thread")) {
			takes = false;
			c->wp_single_thread = true;
			wp_flag = wp_flag ? wp_flag : "--wp-single-thread";
		}
		if (takes) {
			v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v) {
				fb_errf(err, "%s needs a value; see faultbench snapshot --help", a);
				e = -EINVAL;
				break;
			}
		}
		if (!strcmp(name, "sink-direct") || !strcmp(name, "wp-single-thread"))
			continue;
		if (!strcmp(name, "strategy")) {
			e = parse_strategies(c, v, err);
		} else if (!strcmp(name, "sink")) {
			if (!strcmp(v, "null"))
				c->sink = SINK_NULL;
			else if (!strncmp(v, "file:", 5) && v[5])
				c->sink = SINK_FILE, c->sink_path = v + 5;
			else
				e = bad(err, "--sink", v, "null or file:PATH");
		} else if (!strcmp(name, "write-rate")) {
			if (fb_parse_u64(v, 1, 1000000000, &c->write_rate))
				e = bad(err, "--write-rate", v, "writes per second per vCPU, 1..1000000000");
		} else if (!strcmp(name, "warmup-ms") || !strcmp(name, "recovery-ms")) {
			if (fb_parse_u64(v, 0, 600000, &u))
				e = bad(err, a, v, "milliseconds, 0..600000");
			else
				*(name[0] == 'w' ? &c->warmup_ms : &c->recovery_ms) = u;
		} else if (!strcmp(name, "inject")) {
			e = parse_inject(c, v, err);
		} else if (!strcmp(name, "wp-prepare")) {
			unsigned k = 0;

			while (k < WP_PREPARE_COUNT && strcmp(v, wp_prepare_names[k]))
				k++;
			if (k == WP_PREPARE_COUNT)
				e = bad(err, "--wp-prepare", v, "unpopulated, preread or populate");
			c->wp_prepare = k;
			wp_flag = "--wp-prepare";
		} else if (!strcmp(name, "precopy-passes")) {
			if (fb_parse_u64(v, 1, PRECOPY_MAX_PASSES, &u))
				e = bad(err, "--precopy-passes", v, "passes, 1..64");
			c->precopy_passes = (unsigned)u;
			pc_flag = "--precopy-passes";
		} else if (!strcmp(name, "precopy-residual")) {
			if (fb_parse_u64(v, 0, UINT32_MAX, &c->precopy_residual))
				e = bad(err, "--precopy-residual", v, "pages, 0..4294967295");
			pc_flag = "--precopy-residual";
		} else {
			fb_errf(err, "unknown flag '%s' for faultbench snapshot; accepted: --strategy, --sink, "
				     "--sink-direct, --write-rate, --warmup-ms, --recovery-ms, --wp-prepare, "
				     "--wp-single-thread, --precopy-passes, --precopy-residual and run's --size, "
				     "--vcpus, --pin, --backing, --workload, --seed, --reps, --warmup, --out, --quiet, "
				     "--hugepage-size, --reserve-hugepages, --no-reserve-hugepages",
				a);
			e = -EINVAL;
		}
	}
	if (!e) {
		e = config_parse_run(&c->run, nrest, rest, err);
		if (e == 1) /* run's --help cannot get here: --help is ours */
			e = 0;
	}
	free(rest);
	if (e)
		return e;
	if (!c->nstrategies)
		c->strategies[c->nstrategies++] = &snap_stop_copy;
	if (c->sink_direct && c->sink != SINK_FILE)
		return fb_errf(err, "--sink-direct: needs --sink file:PATH"), -EINVAL;
	if (wp_flag && !snap_selected(c, &snap_uffd_wp))
		return fb_errf(err, "%s: only for --strategy uffd-wp, which is not selected", wp_flag),
		       -EINVAL;
	if (pc_flag && !snap_selected(c, &snap_precopy))
		return fb_errf(err, "%s: only for --strategy precopy, which is not selected", pc_flag),
		       -EINVAL;
	if (c->inject != SNAP_INJECT_NONE) {
		const char *need = c->inject == SNAP_INJECT_SAVE_LATE       ? "stop-copy"
				   : c->inject == SNAP_INJECT_UNPROTECT_EARLY ? "uffd-wp"
									      : "fork";

		if (c->nstrategies != 1 || strcmp(c->strategies[0]->name, need))
			return fb_errf(err, "--inject: this injection is for --strategy %s alone", need), -EINVAL;
		if (c->inject != SNAP_INJECT_KILL_CHILD &&
		    c->inject_page >= c->run.slice_pages * c->run.vcpus)
			return fb_errf(err, "--inject: page %" PRIu64 " is past the vCPUs' %" PRIu64 " pages",
				       c->inject_page, c->run.slice_pages * c->run.vcpus), -EINVAL;
	}
	for (unsigned i = 0; i < c->nstrategies; i++)
		if (c->strategies[i]->check && (e = c->strategies[i]->check(c, err)))
			return e;
	return 0;
}

/* ---- the services strategies call, through struct snap_io ---- */

int snap_pause(struct snap_run *r)
{
	writers_park(r->w);
	return 0;
}

int snap_resume(struct snap_run *r)
{
	writers_resume(r->w);
	return 0;
}

int snap_t0(struct snap_run *r)
{
	if (atomic_load(&r->w->parked) != r->w->n || r->t0_done)
		return -EINVAL;
	for (unsigned i = 0; i < r->w->n; i++)
		r->cut[i] = atomic_load(&r->w->v[i].k);
	r->t0_ns = fb_mono_ns();
	r->t0_done = true;
	return 0;
}

void snap_extra_memory(struct snap_run *r, uint64_t bytes)
{
	if (bytes > r->extra_peak_bytes)
		r->extra_peak_bytes = bytes;
}

static int io_pause(void *ctx) { return snap_pause(ctx); }
static int io_resume(void *ctx) { return snap_resume(ctx); }
static int io_t0(void *ctx) { return snap_t0(ctx); }
static int io_save(void *ctx, uint64_t page, const void *src) { return snap_save_page(ctx, page, src); }
static void io_extra(void *ctx, uint64_t bytes) { snap_extra_memory(ctx, bytes); }

/* ---- one repetition ---- */

struct rep_out {
	double snapshot_s, pause_s, wps[3], lat_p99_ns, extra, sink_bytes;
	double fork_s_per_gib;         /* NAN: the strategy reports no fork time */
	uint64_t wp_pages_left;        /* after cleanup (snap_wp_pages_left) */
	bool wp_scanned;
	json_t *j;
};

/* Ends early on a graceful stop. In slices: the signal may land on the
 * main thread just before the nanosleep, which would then sleep it all. */
static void sleep_ms(uint64_t ms)
{
	uint64_t end = fb_mono_ns() + ms * 1000000ULL, now;

	while (!run_stop_sig && (now = fb_mono_ns()) < end) {
		uint64_t left = end - now < 20000000ULL ? end - now : 20000000ULL;
		struct timespec ts = { 0, (long)left };

		nanosleep(&ts, NULL);
	}
}

/* The threads of a repetition inherit a mask without the stop signals, so
 * the main thread alone takes them (its sleeps end, as run.c's watchdog). */
static void block_stop_signals(bool block, sigset_t *old)
{
	sigset_t stop;

	fb_stop_signals(&stop);
	pthread_sigmask(block ? SIG_BLOCK : SIG_SETMASK, block ? &stop : old, block ? old : NULL);
}

static void populate(struct guest_mem *gm, const struct image *img)
{
	struct image_pool pl;

	if (image_pool_init(&pl, img)) {
		/* the image word by word: slower, same content */
		uint64_t *w = (uint64_t *)gm->base;

		for (uint64_t p = 0; p < img->npages; p++)
			for (uint64_t i = 0; i < img->page_words; i++)
				w[p * img->page_words + i] = image_word(img, p, i);
		return;
	}
	for (uint64_t p = 0; p < img->npages; p++)
		memcpy(gm->base + p * gm->page_size, (const void *)image_pool_page(&pl, img, p), gm->page_size);
	image_pool_destroy(&pl);
}

/* What the kernel mapped for the guest (every page counts as touched):
 * whether a THP guest really was on 2M pages decides what a COW or a
 * write-protect fault copies. Allocates: untimed. */
static void measure_mapped(struct mapped *m, const struct guest_mem *gm)
{
	uint64_t npages = gm->size / gm->page_size, nw = (npages + 63) / 64;
	uint64_t *all = malloc(nw * sizeof(*all));

	mapped_init(m, gm->page_size);
	if (!all) {
		snprintf(m->reason, sizeof(m->reason), "out of memory");
		return;
	}
	memset(all, 0xff, nw * sizeof(*all));
	if (npages % 64)
		all[nw - 1] = (1ULL << (npages % 64)) - 1;
	mapped_measure(m, gm->base, gm->size, gm->page_size, all, npages);
	free(all);
}

static json_t *timeline_json(const struct snap_timeline *tl, uint64_t start_ns, uint64_t t0_ns,
			     uint64_t end_ns)
{
	json_t *t = json_array(), *wps = json_array();
	uint64_t prev_t = 0, prev_w = 0;

	for (unsigned s = 0; s < tl->nsamples; s++) {
		uint64_t sum = 0, dt = tl->t_ns[s] - prev_t;

		for (unsigned i = 0; i < tl->w->n; i++)
			sum += tl->writes[(uint64_t)s * tl->w->n + i];
		json_array_append_new(t, json_real((double)tl->t_ns[s] / 1e9));
		json_array_append_new(wps, json_real(dt ? (double)(sum - prev_w) * 1e9 / (double)dt : 0));
		prev_t = tl->t_ns[s];
		prev_w = sum;
	}
	/* start: the snapshot began (take() called); t0: its consistency
	 * point, the same moment but for precopy, whose final pause is T0 */
	return json_pack("{s:f, s:f, s:f, s:f, s:o, s:o}", "interval_seconds",
			 (double)tl->interval_ns / 1e9, "start_seconds",
			 (double)(start_ns - tl->t_start_ns) / 1e9, "t0_seconds",
			 (double)(t0_ns - tl->t_start_ns) / 1e9, "end_seconds",
			 (double)(end_ns - tl->t_start_ns) / 1e9, "t_seconds", t, "writes_per_second", wps);
}

static double rate(uint64_t w1, uint64_t w0, uint64_t t1, uint64_t t0)
{
	return t1 > t0 ? (double)(w1 - w0) * 1e9 / (double)(t1 - t0) : 0;
}

/* 0 ok, -EIO verification failed (err names the page), other -errno failed */
static int run_rep(struct snap_run *r, const struct image *img, struct rep_out *out, struct fb_err *err)
{
	const struct snap_config *c = r->cfg;
	struct snap_writers w;
	struct snap_timeline tl;
	struct pit_result pr = { 0 };
	struct mapped map0, map1;
	struct hist lat;
	uint64_t ts0 = 0, w0 = 0, ts1 = 0, w1 = 0, ts2 = 0, w2 = 0, ts3 = 0, w3 = 0, pause_ns = 0, last;
	uint32_t *seqs[FB_MAX_VCPUS];
	json_t *sd = NULL, *fk;
	sigset_t old_mask;
	int e, te = 0;

	memset(&w, 0, sizeof(w));
	memset(&tl, 0, sizeof(tl));
	memset(out, 0, sizeof(*out));
	out->fork_s_per_gib = NAN;
	r->w = &w;
	r->t0_done = false;
	r->extra_peak_bytes = 0;
	r->why[0] = 0;
	e = guest_mem_map(&r->gm, &c->run, err);
	if (e)
		return e;
	r->npages = r->gm.size / r->gm.page_size;
	r->unit_bytes = snap_unit_bytes(r->st, &r->gm);
	r->nunits = r->gm.size / r->unit_bytes;
	r->io = (struct snap_io){ .ctx = r, .base = r->gm.base, .bytes = r->gm.size,
				  .page_size = r->unit_bytes, .vcpus = c->run.vcpus,
				  .pause = io_pause, .resume = io_resume, .t0 = io_t0,
				  .save = io_save, .extra_memory = io_extra };
	populate(&r->gm, img);
	e = sink_open(r, err);
	if (!e && r->st->prepare && (e = r->st->prepare(r)))
		fb_errf(err, "%s: prepare: %s", r->st->name, r->why[0] ? r->why : strerror(-e));
	block_stop_signals(true, &old_mask);
	if (!e) {
		measure_mapped(&map0, &r->gm);
		e = writers_start(&w, c, r->gm.base, err);
	}
	if (!e && (e = timeline_start(&tl, &w, 1000000)))
		fb_errf(err, "timeline sampler: %s", strerror(-e));
	block_stop_signals(false, &old_mask);
	if (!e) {
		ts0 = fb_mono_ns();
		w0 = writers_total(&w);
		sleep_ms(c->warmup_ms);
		atomic_store(&w.timing, 1);
		ts1 = fb_mono_ns();
		w1 = writers_total(&w);
		r->start_ns = ts1;
		te = run_stop_sig ? -EINTR : r->st->take(r);
		ts2 = fb_mono_ns();
		w2 = writers_total(&w);
		atomic_store(&w.timing, 0);
		sleep_ms(c->recovery_ms);
		ts3 = fb_mono_ns();
		w3 = writers_total(&w);
	}
	/* a strategy left the vCPUs parked when it failed: let them go */
	writers_resume(&w);
	writers_stop(&w);
	timeline_stop(&tl);
	if (!e)
		measure_mapped(&map1, &r->gm);
	/* a repetition a stop cut short anywhere measures nothing: dropped */
	if (!te && run_stop_sig)
		te = -EINTR;
	if (te == -EINTR && run_stop_sig && !r->why[0])
		snprintf(r->why, sizeof(r->why), "%s", r->t0_done ? "the snapshot was taken, not verified"
								 : "before the snapshot's start");
	sd = !e && !te && r->st->report ? r->st->report(r) : NULL;
	fk = json_object_get(sd, "fork_ns_per_gib");
	if (json_is_number(fk))
		out->fork_s_per_gib = json_number_value(fk) / 1e9;
	if (r->st->cleanup)
		r->st->cleanup(r);
	/* nothing write-protected may outlive the strategy, interrupted or not */
	out->wp_scanned = !snap_wp_pages_left(r->gm.base, r->gm.size, &out->wp_pages_left);
	if (!e && out->wp_pages_left) {
		e = -EPROTO;
		fb_errf(err, "%s: %" PRIu64 " pages still write-protected after its cleanup", r->st->name,
			out->wp_pages_left);
	}
	if (!e && te) {
		size_t nl = strlen(r->st->name);
		/* an engine's message names the strategy already */
		bool named = !strncmp(r->why, r->st->name, nl) && r->why[nl] == ':';

		fb_errf(err, "%s%s%s", named ? "" : r->st->name, named ? "" : ": ",
			r->why[0] ? r->why : strerror(-te));
		e = te;
	}
	if (!e && atomic_load(&r->ss->error))
		e = atomic_load(&r->ss->error), fb_errf(err, "the sink: %s", strerror(-e));
	if (!e && !r->t0_done)
		e = -EINVAL, fb_errf(err, "%s: the strategy never declared T0", r->st->name);
	if (!e) {
		struct pit_ref ref = { .img = img, .page_size = r->gm.page_size, .npages = r->npages,
				       .slice_pages = c->run.slice_pages, .nwriters = c->run.vcpus,
				       .seq = seqs, .cut = r->cut };
		int ve;

		for (unsigned i = 0; i < w.n; i++)
			seqs[i] = w.v[i].seq;
		ve = sink_verify(r, &ref, &pr);
		if (ve == -EIO)
			fb_errf(err, "%s: not the memory at T0: %s (%" PRIu64 " of %" PRIu64
				     " pages differ, %" PRIu64 " missing)", r->st->name, pr.first,
				pr.mismatches, pr.checked, pr.missing);
		else if (ve)
			fb_errf(err, "verification could not run: %s", strerror(-ve));
		e = ve;
	}
	if (!e)
		e = sink_commit(r, err);
	hist_init(&lat);
	for (unsigned i = 0; w.v && i < w.n; i++) {
		hist_merge(&lat, &w.v[i].lat);
		if (w.v[i].park_ns > pause_ns)
			pause_ns = w.v[i].park_ns;
	}
	if (r->t0_done && !te) {
		last = atomic_load(&r->ss->last_save_ns);
		/* T0 to the last save; a strategy whose T0 closes it (precopy's
		 * final pause) saved everything before T0: from its start then */
		if (last > r->t0_ns)
			out->snapshot_s = (double)(last - r->t0_ns) / 1e9;
		else if (last > r->start_ns)
			out->snapshot_s = (double)(last - r->start_ns) / 1e9;
		out->pause_s = (double)pause_ns / 1e9;
		out->wps[0] = rate(w1, w0, ts1, ts0);
		out->wps[1] = rate(w2, w1, ts2, ts1);
		out->wps[2] = rate(w3, w2, ts3, ts2);
		out->lat_p99_ns = hist_quantile(&lat, 0.99);
		out->extra = (double)r->extra_peak_bytes;
		out->sink_bytes = (double)atomic_load(&r->ss->sink_bytes);
		out->j = json_pack("{s:f, s:f, s:{s:f, s:f, s:f}, s:o, s:I, s:I, s:I,"
				   " s:{s:b, s:I, s:I, s:I, s:s?}, s:{s:o, s:o}, s:o, s:o}",
				   "snapshot_seconds", out->snapshot_s, "pause_seconds", out->pause_s,
				   "writes_per_second", "before", out->wps[0], "during", out->wps[1],
				   "after", out->wps[2], "write_lat_ns", hist_to_json(&lat, 1),
				   "extra_memory_peak_bytes", (json_int_t)r->extra_peak_bytes,
				   "sink_bytes", (json_int_t)atomic_load(&r->ss->sink_bytes),
				   "pages_saved", (json_int_t)atomic_load(&r->ss->pages_saved),
				   "verify", "ok", e == 0 || e != -EIO, "pages_checked", (json_int_t)pr.checked,
				   "mismatches", (json_int_t)pr.mismatches, "missing", (json_int_t)pr.missing,
				   "first_mismatch", pr.first[0] ? pr.first : NULL,
				   "mapped", "at_start", mapped_to_json(&map0), "at_end",
				   mapped_to_json(&map1),
				   "timeline", timeline_json(&tl, r->start_ns, r->t0_ns, ts2),
				   "strategy_data", sd ? sd : json_object());
	} else {
		json_decref(sd);
	}
	sink_close(r);
	timeline_free(&tl);
	writers_free(&w);
	guest_mem_unmap(&r->gm);
	r->w = NULL;
	return e;
}

/* ---- one strategy: its repetitions and its result file ---- */

static void out_path(const struct snap_config *c, const struct snap_strategy *st, char *buf, size_t n)
{
	char sz[32];
	const char *o = c->run.out_path;

	if (o && c->nstrategies == 1) {
		snprintf(buf, n, "%s", o);
	} else if (o) {
		size_t len = strlen(o);

		if (len > 5 && !strcmp(o + len - 5, ".json"))
			snprintf(buf, n, "%.*s-%s.json", (int)(len - 5), o, st->name);
		else
			snprintf(buf, n, "%s-%s.json", o, st->name);
	} else {
		snprintf(buf, n, "results/snapshot-%s-%s-%uv-%s.json", st->name, c->run.backing->name,
			 c->run.vcpus, fb_fmt_size(c->run.total_bytes, sz, sizeof(sz)));
	}
}

static json_t *config_json(const struct snap_config *c, const struct snap_strategy *st)
{
	json_t *j = config_to_json(&c->run);

	json_object_del(j, "mode");
	json_object_set_new(j, "strategy", json_string(st->name));
	json_object_set_new(j, "sink", json_string(c->sink == SINK_FILE ? "file" : "null"));
	json_object_set_new(j, "sink_path", c->sink_path ? json_string(c->sink_path) : json_null());
	json_object_set_new(j, "sink_direct", json_boolean(c->sink_direct));
	json_object_set_new(j, "write_rate", json_integer((json_int_t)c->write_rate));
	json_object_set_new(j, "warmup_ms", json_integer((json_int_t)c->warmup_ms));
	json_object_set_new(j, "recovery_ms", json_integer((json_int_t)c->recovery_ms));
	if (st == &snap_uffd_wp) {
		json_object_set_new(j, "wp_prepare", json_string(wp_prepare_names[c->wp_prepare]));
		json_object_set_new(j, "wp_single_thread", json_boolean(c->wp_single_thread));
	}
	if (st == &snap_precopy) {
		json_object_set_new(j, "precopy_passes", json_integer(c->precopy_passes));
		json_object_set_new(j, "precopy_residual", json_integer((json_int_t)c->precopy_residual));
	}
	return j;
}

static json_t *summary_json(struct rep_out *ro, unsigned n)
{
	static const char *const names[] = { "snapshot_seconds", "pause_seconds",
					     "writes_per_second_before", "writes_per_second_during",
					     "writes_per_second_after", "slowdown", "write_lat_p99_ns",
					     "extra_memory_peak_bytes", "sink_bytes" };
	static const char *const units[] = { "s", "s", "writes/s", "writes/s", "writes/s", "ratio",
					     "ns", "bytes", "bytes" };
	json_t *s = json_object();
	double *v = calloc(n ? n : 1, sizeof(double));
	bool forks;

	for (size_t f = 0; v && f < FB_ARRAY_SIZE(names); f++) {
		for (unsigned i = 0; i < n; i++) {
			const struct rep_out *o = &ro[i];
			const double x[] = { o->snapshot_s, o->pause_s, o->wps[0], o->wps[1], o->wps[2],
				       o->wps[1] > 0 ? o->wps[0] / o->wps[1] : 0, o->lat_p99_ns,
				       o->extra, o->sink_bytes };

			v[i] = x[f];
		}
		json_object_set_new(s, names[f], result_stat_json(v, n, units[f]));
	}
	/* fork time per GiB of guest (the Redis comparison): only for
	 * a strategy whose every repetition reports one */
	forks = v && n;
	for (unsigned i = 0; forks && i < n; i++)
		forks = !isnan(v[i] = ro[i].fork_s_per_gib);
	if (forks)
		json_object_set_new(s, "fork_seconds_per_gib", result_stat_json(v, n, "s/GiB"));
	free(v);
	return s;
}

/* run.c's wording, so a reader of both sees one thing */
static void interrupted_reason(struct fb_err *err, unsigned rep, unsigned total, unsigned kept,
			       const char *detail)
{
	const char *abbrev = sigabbrev_np(run_stop_sig);
	char why[FB_ERRLEN];

	snprintf(why, sizeof(why), "%s", detail);
	fb_errf(err, "interrupted by SIG%s at repetition %u of %u (warmup included); %u finished "
		     "measured repetition%s kept%s%s", abbrev ? abbrev : "?", rep + 1, total, kept,
		kept == 1 ? "" : "s", why[0] ? "; " : "", why);
}

static void print_rep(const struct snap_strategy *st, unsigned i, const struct rep_out *o)
{
	printf("%-9s rep %u: snapshot %.3f s, pause %.3f ms, writes/s %.3gM before, %.3gM during, "
	       "%.3gM after, p99 write %.0f ns, extra %.1f MiB\n",
	       st->name, i, o->snapshot_s, o->pause_s * 1e3, o->wps[0] / 1e6, o->wps[1] / 1e6,
	       o->wps[2] / 1e6, o->lat_p99_ns, o->extra / (double)FB_MiB);
}

static int run_strategy(const struct snap_config *c, const struct snap_strategy *st,
			const struct image *img)
{
	const struct fb_config *rc = &c->run;
	struct snap_run r;
	struct fb_err err = { "" };
	struct rep_out *ro = calloc(rc->reps, sizeof(*ro));
	uint64_t cut[FB_MAX_VCPUS];
	json_t *runs = json_array(), *doc;
	const char *state = "ok", *why;
	char path[4096], whybuf[FB_ERRLEN];
	unsigned done = 0;
	uint64_t wp_left = 0;
	bool wp_scanned = false;
	int e, rc_exit = FB_EXIT_OK;

	memset(&r, 0, sizeof(r));
	r.cfg = c;
	r.st = st;
	r.cut = cut;
	r.sink_fd = -1;
	out_path(c, st, path, sizeof(path));
	why = st->unsupported ? st->unsupported(c, probe_host(), whybuf, sizeof(whybuf)) : NULL;
	if (!why && rc->backing->unsupported)
		why = rc->backing->unsupported(rc, probe_host(), whybuf, sizeof(whybuf));
	if (!why && (e = snap_hugetlb_reserve(c, st, whybuf, sizeof(whybuf)))) {
		why = whybuf;
		if (e < 0) {
			state = "failed";
			rc_exit = FB_EXIT_FAIL;
			fb_errf(&err, "%s", why);
		}
	}
	if (why && rc_exit != FB_EXIT_FAIL) {
		state = "skipped";
		rc_exit = FB_EXIT_SKIP;
		fb_errf(&err, "%s", why);
	}
	for (unsigned i = 0; !why && ro && i < rc->warmup + rc->reps; i++) {
		struct rep_out o;

		if (run_stop_sig) {
			interrupted_reason(&err, i, rc->warmup + rc->reps, done, "");
			state = "interrupted";
			rc_exit = 128 + run_stop_sig;
			break;
		}
		e = run_rep(&r, img, &o, &err);
		wp_scanned |= o.wp_scanned;
		if (o.wp_pages_left > wp_left)
			wp_left = o.wp_pages_left;
		/* a failed warm-up repetition is kept too: its verify names the page */
		if ((i >= rc->warmup || e) && o.j) {
			json_object_set_new(o.j, "rep", json_integer(done));
			json_array_append_new(runs, o.j);
			ro[done++] = o;
			if (!rc->quiet)
				print_rep(st, done - 1, &o);
		} else if (o.j) {
			json_decref(o.j);
		}
		if (e == -EINTR && run_stop_sig) {
			/* err holds the strategy's word on the take it cut short */
			snprintf(whybuf, sizeof(whybuf), "%s", err.msg);
			interrupted_reason(&err, i, rc->warmup + rc->reps, done, whybuf);
			state = "interrupted";
			rc_exit = 128 + run_stop_sig;
			break;
		}
		if (e) {
			state = e == -EOPNOTSUPP ? "skipped" : "failed";
			rc_exit = e == -EOPNOTSUPP ? FB_EXIT_SKIP : FB_EXIT_FAIL;
			break;
		}
	}
	sink_unmap(&r);
	snap_hugetlb_release();
	doc = json_pack("{s:{s:s, s:i}, s:{s:s, s:s}, s:{s:s, s:s?}, s:o, s:o, s:o, s:o}",
			"schema", "name", "faultbench-snapshot", "version", 1,
			"tool", "name", "faultbench", "version", FB_VERSION,
			"status", "state", state, "reason", err.msg[0] ? err.msg : NULL,
			"host", probe_host_json(probe_host()), "config", config_json(c, st),
			"runs", runs, "summary", summary_json(ro, done));
	free(ro);
	if (wp_scanned)
		json_object_set_new(json_object_get(doc, "status"), "wp_pages_left",
				    json_integer((json_int_t)wp_left));
	if (err.msg[0])
		fprintf(stderr, "faultbench snapshot: %s\n", err.msg);
	{
		struct fb_err werr = { "" };

		if (result_write_atomic(doc, path, &werr)) {
			fprintf(stderr, "faultbench snapshot: %s\n", werr.msg);
			rc_exit = FB_EXIT_FAIL;
		} else if (!rc->quiet) {
			printf("%s: %s -> %s\n", st->name, state, path);
		}
	}
	json_decref(doc);
	return rc_exit;
}

int snapshot_main(int argc, char **argv)
{
	struct snap_config c;
	struct fb_err err = { "" };
	struct image img;
	int e = snap_parse(&c, argc, argv, &err), worst = -1;

	if (e == 1)
		return FB_EXIT_OK;
	if (e) {
		fprintf(stderr, "faultbench snapshot: %s\n", err.msg);
		return FB_EXIT_USAGE;
	}
	fb_clock_init();
	/* the first SIGINT/SIGTERM/SIGHUP now ends the snapshot in progress
	 * and writes what was finished (run.h); a second quits at once */
	run_stop_armed = 1;
	e = image_create(&img, c.run.total_bytes / c.run.page_size, c.run.page_size,
			 c.run.zero_fraction, c.run.zero_run_bytes / c.run.page_size, c.run.seed, &err);
	if (e) {
		fprintf(stderr, "faultbench snapshot: %s\n", err.msg);
		return FB_EXIT_FAIL;
	}
	/* the exit: failed over ok over skipped */
	for (unsigned i = 0; i < c.nstrategies; i++) {
		int rc = run_strategy(&c, c.strategies[i], &img);

		if (worst < 0 || rc == FB_EXIT_FAIL || (rc == FB_EXIT_OK && worst == FB_EXIT_SKIP))
			worst = rc;
		/* the strategies after a stop do not run */
		if (run_stop_sig) {
			worst = 128 + run_stop_sig;
			break;
		}
	}
	image_destroy(&img);
	return worst;
}
