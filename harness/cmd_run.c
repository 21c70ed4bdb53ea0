/* `faultbench run`: one configuration from flags → one result file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "config.h"
#include "memory.h"
#include "modes/mode.h"
#include "probe.h"
#include "result.h"
#include "run.h"

static void default_out(const struct fb_config *cfg, char *buf, size_t n)
{
	char sz[32], hp[40] = "";

	if (cfg->backing->flags & BK_HUGETLB)
		snprintf(hp, sizeof(hp), "-%s", fb_fmt_size(cfg->page_size, sz, sizeof(sz)));
	snprintf(buf, n, "results/%s-%s%s-%uv-%s.json", cfg->mode->name, cfg->backing->name, hp,
		 cfg->vcpus, fb_fmt_size(cfg->total_bytes, sz, sizeof(sz)));
}

static void print_ns(const char *label, double ns)
{
	if (ns >= 1e6)
		printf(" %s %.2f ms", label, ns / 1e6);
	else if (ns >= 1e3)
		printf(" %s %.2f us", label, ns / 1e3);
	else
		printf(" %s %.0f ns", label, ns);
}

static void print_hist(const char *what, const struct hist *h)
{
	if (!h->count)
		return;
	printf("  %-13s", what);
	print_ns("p50", hist_quantile(h, 0.5));
	print_ns("p90", hist_quantile(h, 0.9));
	print_ns("p99", hist_quantile(h, 0.99));
	print_ns("p99.9", hist_quantile(h, 0.999));
	print_ns("max", (double)h->max_ns);
	printf("  (%" PRIu64 ")\n", h->count);
}

/* The page size the kernel really mapped, when the run asked for huge
 * pages: a run that got fewer says so, and which unit its rates count. */
static void print_mapped(const struct rep_result *r)
{
	const struct mapped *m = &r->mapped;
	char asked[16], unit[16];
	double frac = mapped_huge_fraction(m);

	if (m->page_bytes <= m->base_page_bytes)
		return;
	fb_fmt_size(m->page_bytes, asked, sizeof(asked));
	mapped_rate_unit(m, unit, sizeof(unit));
	if (frac < 0)
		printf("  mapped        asked for %s pages; what the kernel mapped is unknown (%s); "
		       "rates per %s page as asked\n", asked, m->reason[0] ? m->reason : "nothing present",
		       asked);
	else if (!mapped_huge_short(m))
		printf("  mapped        %s pages, %.3g%% huge (%s)\n", asked, frac * 100,
		       mapped_method_name(m->method));
	else if (mapped_rate_page_bytes(m))
		printf("  mapped        asked for %s pages, kernel mapped %.3g%% huge; rates per %s page\n",
		       asked, frac * 100, unit);
	else
		printf("  mapped        asked for %s pages, kernel mapped %.3g%% huge; rates per page as "
		       "mapped (%s where huge, %s elsewhere)\n", asked, frac * 100, asked,
		       fb_fmt_size(m->base_page_bytes, unit, sizeof(unit)));
}

/* "anatomy  delivery p50 4.2 us + service p50 3.9 us + wake p50 0 ns (16384 of
 * 16384 first touches matched)" and where the handlers ran. */
static void print_anatomy(const struct fb_config *cfg, const struct rep_result *rr)
{
	const struct rep_anatomy *a = rr->anat;

	if (rr->handlers && !rr->unknown) {
		uint64_t all[FB_MAX_CPUS / 64] = { 0 };
		const char *sep = "";

		for (unsigned i = 0; i < cfg->handlers; i++)
			for (unsigned w = 0; w < FB_MAX_CPUS / 64; w++)
				all[w] |= rr->handlers[i].cpus[w];
		printf("  handlers      ran on CPU");
		for (int c = 0; c < FB_MAX_CPUS; c++) {
			if (all[c / 64] & (1ULL << (c % 64))) {
				printf("%s %d", sep, c);
				sep = ",";
			}
		}
		printf("%s\n", *sep ? "" : "s: none (no read returned messages)");
	}
	if (!a)
		return;
	if (a->unavailable) {
		printf("  anatomy       not measured: %s\n", a->unavailable);
		return;
	}
	printf("  anatomy      ");
	print_ns("delivery p50", hist_quantile(&a->part[ANAT_DELIVERY], 0.5));
	print_ns("+ service p50", hist_quantile(&a->part[ANAT_SERVICE], 0.5));
	print_ns("+ wake p50", hist_quantile(&a->part[ANAT_WAKE], 0.5));
	printf("  (%" PRIu64 " of %" PRIu64 " first touches matched)\n", a->matched, a->first_touches);
}

static int cmp_rate(const void *a, const void *b)
{
	const struct rep_result *x = a, *y = b;

	return (x->rate_pps > y->rate_pps) - (x->rate_pps < y->rate_pps);
}

static void print_summary(const struct run_result *res, const char *out)
{
	const struct fb_config *cfg = res->cfg;
	struct rep_result *m = calloc(res->nreps ? res->nreps : 1, sizeof(*m)), *med;
	unsigned n = 0;
	char sz[32];

	printf("faultbench: %s on %s, %u vCPU%s%s, %s %s (%s, %s%s%s), %u reps + %u warmup\n",
	       cfg->mode->name, cfg->backing->name, cfg->vcpus, cfg->vcpus > 1 ? "s" : "",
	       res->oversubscribed ? " (oversubscribed)" : "",
	       fb_fmt_size(cfg->total_bytes, sz, sizeof(sz)), cfg->overlap ? "shared" : "in all",
	       cfg->workload.text, access_name(cfg->access),
	       cfg->touch == TOUCH_WORD ? "" : ", touch ", cfg->touch == TOUCH_WORD ? "" : touch_name(cfg->touch),
	       cfg->reps, cfg->warmup);
	if (res->state == RUN_SKIPPED) {
		printf("  skipped: %s\n", res->reason);
		goto out;
	}
	for (unsigned r = 0; m && r < res->nreps; r++)
		if (!res->reps[r].warmup)
			m[n++] = res->reps[r];
	if (n) {
		qsort(m, n, sizeof(*m), cmp_rate);
		med = &m[n / 2];
		printf("  paging rate   %.1f k pages/s (median of %u; min %.1f, max %.1f)  %.3f GiB/s\n",
		       med->rate_pps / 1e3, n, m[0].rate_pps / 1e3, m[n - 1].rate_pps / 1e3,
		       med->rate_gibps);
		print_mapped(med);
		if (med->setup_ns)
			printf("  usable        %.1f k pages/s  %.3f GiB/s  (setup %.3f ms + touch)\n",
			       med->rate_usable_pps / 1e3, med->rate_usable_gibps,
			       (double)med->setup_ns / 1e6);
		print_hist("first touch", &med->lat);
		print_hist("handler", &med->service);
		if (med->unknown)
			printf("  counters      unknown: %s\n", med->unknown);
		if (med->counters.uffd_msgs || med->counters.copy_ioctls)
			printf("  counters      msgs %" PRIu64 ", %s %" PRIu64 ", ZEROPAGE %" PRIu64
			       ", EEXIST %" PRIu64 ", EAGAIN %" PRIu64 "\n",
			       med->counters.uffd_msgs, med->counters.move_ioctls ? "MOVE" : "COPY",
			       med->counters.move_ioctls ? med->counters.move_ioctls :
							   med->counters.copy_ioctls,
			       med->counters.zeropage_ioctls, med->counters.eexist,
			       med->counters.eagain);
		print_anatomy(cfg, med);
		if (med->populate_ns)
			printf("  populate      %.3f ms\n", (double)med->populate_ns / 1e6);
		if (med->verify.checked)
			printf("  verify        %s (%" PRIu64 " pages)\n", med->verify.ok ? "ok" : "FAILED",
			       med->verify.pages_checked);
	}
	if (res->state != RUN_OK)
		printf("  %s: %s\n", res->state == RUN_FAILED ? "FAILED" : "interrupted", res->reason);
out:
	if (out)
		printf("  wrote %s\n", out);
	free(m);
}

int run_main(int argc, char **argv)
{
	struct fb_config cfg;
	struct run_result res;
	struct fb_err err = { "" };
	struct mem_estimate mem;
	char path[4096];
	json_t *doc;
	int rc, code;

	rc = config_parse_run(&cfg, argc, argv, &err);
	if (rc == 1)
		return FB_EXIT_OK;
	if (rc) {
		fprintf(stderr, "faultbench run: %s\n", err.msg);
		return FB_EXIT_USAGE;
	}
	/* before anything is mapped or reserved */
	admit_estimate(&cfg, probe_host(), &mem);
	if (admit_check(&cfg, &mem, &err)) {
		fprintf(stderr, "faultbench run: %s\n", err.msg);
		return FB_EXIT_USAGE;
	}
	if (cfg.out_path)
		snprintf(path, sizeof(path), "%s", cfg.out_path);
	else
		default_out(&cfg, path, sizeof(path));

	run_stop_armed = 1;
	run_config(&cfg, &res);
	doc = result_to_json(&res);
	rc = doc ? result_write_atomic(doc, path, &err) : -ENOMEM;
	json_decref(doc);
	if (!cfg.quiet || res.state == RUN_FAILED)
		print_summary(&res, rc ? NULL : path);
	if (rc)
		fprintf(stderr, "faultbench run: %s\n", err.msg[0] ? err.msg : "cannot build the result");
	if (res.state == RUN_FAILED)
		fprintf(stderr, "faultbench run: FAILED: %s\n", res.reason);
	code = res.state == RUN_OK ? FB_EXIT_OK :
	       res.state == RUN_SKIPPED ? FB_EXIT_SKIP :
	       res.state == RUN_INTERRUPTED ? 128 + run_stop_sig : FB_EXIT_FAIL;
	if (rc && code == FB_EXIT_OK)
		code = FB_EXIT_FAIL;
	run_result_free(&res);
	return code;
}
