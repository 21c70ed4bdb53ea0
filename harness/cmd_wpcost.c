/* `faultbench wpcost`: what it costs to write-protect an empty, mapped
 * anonymous range, four ways (reference 001, Peter Xu's WP_UNPOPULATED
 * numbers):
 *
 *   default      UFFDIO_WRITEPROTECT of the empty range: nothing to protect,
 *                so nothing is (empty ptes of anonymous memory are skipped)
 *   preread      read every 4K page first (the zero page gets mapped), then
 *                protect: what QEMU's live snapshot did
 *   populate     MADV_POPULATE_READ first, then protect
 *   unpopulated  UFFD_FEATURE_WP_UNPOPULATED: the protect itself installs
 *                uffd-wp markers on the empty ptes
 *
 * Each way on fresh memory, with THP off and on (MADV_NOHUGEPAGE /
 * MADV_HUGEPAGE on the range): pre-fault time and protect time apart, and the
 * page-table memory each way leaves (VmPTE, before and after). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dirty.h"
#include "probe.h"
#include "result.h"
#include "timing.h"
#include "uffd.h"

enum wc_way { WAY_DEFAULT, WAY_PREREAD, WAY_POPULATE, WAY_UNPOPULATED, WAY_COUNT };

static const char *const way_names[WAY_COUNT] = { "default", "preread", "populate", "unpopulated" };

/* The thread's numbers, in us, 10G: Peter Xu's VM (4K pages: a pre-read of
 * 10G taking 3.3 s is 2.6M base-page faults) and Muhammad Usama Anjum's run,
 * where MADV_POPULATE_READ is fast because, as David Hildenbrand answers, it
 * maps the huge zero page: THP on. */
static const struct {
	double prefault_us[WAY_COUNT], total_us[WAY_COUNT];
} wc_ref[2] = {
	{ { 0, 3253826, 2226310, 0 }, { 2, 3277099, 2250361, 20850 } },   /* THP off */
	{ { 0, 37006, 4465, 0 }, { 6, 37157, 4884, 17794 } },              /* THP on */
};

struct wc_sample {
	uint64_t prefault_ns, register_ns, wp_ns;
	long vmpte_kib;
};

struct wc_cfg {
	uint64_t size;
	bool size_default;
	bool thp[2];        /* [0] off, [1] on */
	unsigned reps;
	bool ways[WAY_COUNT];
	const char *out;
	bool quiet;
};

static void wc_usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench wpcost [flags]\n"
		"\n"
		"Time UFFDIO_WRITEPROTECT of an empty, mapped anonymous range four ways.\n"
		"\n"
		"  --size S        range size, a multiple of 2M  [min(10G, MemAvailable/2)]\n"
		"  --thp M         off, on or both                [both]\n"
		"  --reps R        repetitions per way, 1..100     [1]\n"
		"  --ways LIST     comma-separated: default,preread,populate,unpopulated [all]\n"
		"  --out FILE      result JSON (results/schema-wpcost.json) [results/wpcost-SIZE.json]\n"
		"  --quiet         no table on stdout\n"
		"\n"
		"Exit: 0 ok, 1 failed, 2 bad input, 77 skipped (no userfaultfd).\n");
}

static int bad(const char *flag, const char *val, const char *want)
{
	fprintf(stderr, "faultbench wpcost: %s '%s': %s\n", flag, val, want);
	return -EINVAL;
}

static int parse_ways(const char *s, bool *ways)
{
	char buf[256], *save = NULL, *tok;
	bool any = false;

	if (strlen(s) >= sizeof(buf))
		return bad("--ways", s, "too long");
	snprintf(buf, sizeof(buf), "%s", s);
	memset(ways, 0, sizeof(bool) * WAY_COUNT);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int w;

		for (w = 0; w < WAY_COUNT && strcmp(tok, way_names[w]); w++)
			;
		if (w == WAY_COUNT)
			return bad("--ways", tok, "not one of default, preread, populate, unpopulated");
		if (ways[w])
			return bad("--ways", tok, "given twice");
		ways[w] = any = true;
	}
	if (!any)
		return bad("--ways", s, "name at least one of default, preread, populate, unpopulated");
	return 0;
}

/* 1: --help printed; 0: ok; -EINVAL: bad input (printed). */
static int wc_parse(struct wc_cfg *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "thp", required_argument, NULL, 't' },
		{ "reps", required_argument, NULL, 'r' },
		{ "ways", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct host_caps *h = probe_host();
	uint64_t v;
	int o;

	memset(c, 0, sizeof(*c));
	c->size_default = true;
	c->thp[0] = c->thp[1] = true;
	c->reps = 1;
	for (int w = 0; w < WAY_COUNT; w++)
		c->ways[w] = true;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		const char *flag = argv[optind - 1];

		switch (o) {
		case 's':
			if (fb_parse_size(optarg, &c->size) || !c->size || c->size % (2 * FB_MiB))
				return bad("--size", optarg, "a size that is a multiple of 2M, e.g. 1G or 10G");
			if (h->mem_total && c->size > h->mem_total)
				return bad("--size", optarg, "more than this host's RAM");
			c->size_default = false;
			break;
		case 't':
			if (!strcmp(optarg, "off") || !strcmp(optarg, "on") || !strcmp(optarg, "both")) {
				c->thp[0] = strcmp(optarg, "on");
				c->thp[1] = strcmp(optarg, "off");
			} else {
				return bad("--thp", optarg, "not one of off, on, both");
			}
			break;
		case 'r':
			if (fb_parse_u64(optarg, 1, 100, &v))
				return bad("--reps", optarg, "an integer from 1 to 100");
			c->reps = (unsigned)v;
			break;
		case 'w':
			if (parse_ways(optarg, c->ways))
				return -EINVAL;
			break;
		case 'o':
			c->out = optarg;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			wc_usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "faultbench wpcost: %s needs a value\n", flag);
			return -EINVAL;
		default:
			fprintf(stderr, "faultbench wpcost: unknown flag '%s' (faultbench wpcost --help)\n",
				flag);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "faultbench wpcost: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (c->size_default) {
		/* 10G as in the reference, where memory allows: the pre-read ways
		 * map the zero page (no RAM) but their page tables cost 2 MB per
		 * GiB, and the unpopulated way's markers as much */
		uint64_t half = h->mem_available / 2;

		c->size = 10 * FB_GiB;
		if (half && half < c->size)
			c->size = half & ~(2 * FB_MiB - 1);
		if (c->size < 2 * FB_MiB)
			c->size = 2 * FB_MiB;
	}
	return 0;
}

/* One way on fresh memory. 0, or a skip/failure reason in why with -errno. */
static int wc_measure(const struct wc_cfg *c, bool thp, enum wc_way way, struct wc_sample *s,
		      char *why, size_t n)
{
	uint64_t H = 2 * FB_MiB, t0, t1, t2, t3;
	uint64_t feats = way == WAY_UNPOPULATED ? UFFD_FEATURE_WP_UNPOPULATED : 0;
	long pte0 = dirty_vmpte_kib(), pte1;
	struct fb_err err = { "" };
	char *raw, *p;
	int uffd, rc = 0;

	memset(s, 0, sizeof(*s));
	raw = mmap(NULL, c->size + H, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		snprintf(why, n, "mmap of %llu bytes failed: %s", (unsigned long long)c->size,
			 strerror(errno));
		return -errno;
	}
	p = (char *)(((uintptr_t)raw + H - 1) & ~(uintptr_t)(H - 1));
	if (madvise(p, c->size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		snprintf(why, n, "madvise(%s) failed: %s", thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE",
			 strerror(errno));
		rc = -errno;
		goto out;
	}
	t0 = fb_mono_ns();
	if ((way == WAY_PREREAD || way == WAY_POPULATE) &&
	    (rc = dirty_wp_prefault(p, c->size, way == WAY_POPULATE))) {
		snprintf(why, n, "MADV_POPULATE_READ failed: %s (Linux 5.14+)", strerror(-rc));
		goto out;
	}
	t1 = fb_mono_ns();
	uffd = uffd_open(feats, &err);
	if (uffd < 0) {
		snprintf(why, n, "%s", err.msg);
		rc = uffd;
		goto out;
	}
	rc = uffd_register(uffd, p, c->size, UFFDIO_REGISTER_MODE_WP, NULL, &err);
	t2 = fb_mono_ns();
	if (rc) {
		snprintf(why, n, "%s", err.msg);
		close(uffd);
		goto out;
	}
	rc = dirty_writeprotect(uffd, p, c->size, true);
	t3 = fb_mono_ns();
	pte1 = dirty_vmpte_kib();
	close(uffd);
	if (rc) {
		snprintf(why, n, "UFFDIO_WRITEPROTECT failed: %s", strerror(-rc));
		goto out;
	}
	s->prefault_ns = t1 - t0;
	s->register_ns = t2 - t1;
	s->wp_ns = t3 - t2;
	s->vmpte_kib = pte0 >= 0 && pte1 >= 0 ? pte1 - pte0 : -1;
out:
	munmap(raw, c->size + H);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double median_us(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	/* n / 2 is an index: integral on purpose */
	/* NOLINTNEXTLINE(bugprone-integer-division) */
	return (n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2) / 1e3;
}

struct wc_cell {
	bool ran, skipped;
	char reason[FB_ERRLEN];
	unsigned n;
	struct wc_sample *s;
	double prefault_us, register_us, wp_us;
	long vmpte_kib;
};

static void cell_medians(struct wc_cell *cl)
{
	uint64_t *v = calloc(cl->n ? cl->n : 1, sizeof(*v));

	if (!v || !cl->n) {
		free(v);
		return;
	}
	for (unsigned i = 0; i < cl->n; i++)
		v[i] = cl->s[i].prefault_ns;
	cl->prefault_us = median_us(v, cl->n);
	for (unsigned i = 0; i < cl->n; i++)
		v[i] = cl->s[i].register_ns;
	cl->register_us = median_us(v, cl->n);
	for (unsigned i = 0; i < cl->n; i++)
		v[i] = cl->s[i].wp_ns;
	cl->wp_us = median_us(v, cl->n);
	cl->vmpte_kib = cl->s[cl->n - 1].vmpte_kib;
	free(v);
}

static void cells_free(struct wc_cell cells[2][WAY_COUNT])
{
	for (int t = 0; t < 2; t++)
		for (int w = 0; w < WAY_COUNT; w++)
			free(cells[t][w].s);
}

static json_t *cell_json(const struct wc_cell *cl, int thp, int way)
{
	json_t *reps = json_array(), *o;

	for (unsigned i = 0; reps && i < cl->n; i++)
		json_array_append_new(reps, json_pack("{s:f, s:f, s:f, s:f, s:I}",
						      "prefault_us", (double)cl->s[i].prefault_ns / 1e3,
						      "register_us", (double)cl->s[i].register_ns / 1e3,
						      "wp_us", (double)cl->s[i].wp_ns / 1e3,
						      "total_us", (double)(cl->s[i].prefault_ns + cl->s[i].wp_ns) / 1e3,
						      "vmpte_delta_kib", (json_int_t)cl->s[i].vmpte_kib));
	o = json_pack("{s:s, s:s, s:s, s:s?, s:o}", "thp", thp ? "on" : "off", "way", way_names[way],
		      "state", cl->skipped ? "skipped" : "ok", "reason", cl->skipped ? cl->reason : NULL,
		      "reps", reps);
	if (o && !cl->skipped && cl->n)
		json_object_set_new(o, "median",
				    json_pack("{s:f, s:f, s:f, s:f, s:I}", "prefault_us", cl->prefault_us,
					      "register_us", cl->register_us, "wp_us", cl->wp_us,
					      "total_us", cl->prefault_us + cl->wp_us,
					      "vmpte_delta_kib", (json_int_t)cl->vmpte_kib));
	return o;
}

static json_t *ref_json(void)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:o, s:o}",
			      "source", "reference 001: Peter Xu, [PATCH v2] mm/uffd: UFFD_FEATURE_WP_UNPOPULATED, "
					"10G of empty mapped memory in a VM; THP off assumed (4K-page pre-read), "
					"THP on: Muhammad Usama Anjum's run in the same thread (huge zero page)",
			      "size_bytes", (json_int_t)(10 * FB_GiB), "unit", "us",
			      "thp_off", json_object(), "thp_on", json_object());

	for (int t = 0; o && t < 2; t++) {
		json_t *d = json_object_get(o, t ? "thp_on" : "thp_off");

		for (int w = 0; w < WAY_COUNT; w++)
			json_object_set_new(d, way_names[w],
					    json_pack("{s:f, s:f}", "prefault_us", wc_ref[t].prefault_us[w],
						      "total_us", wc_ref[t].total_us[w]));
	}
	return o;
}

static void print_num(double v)
{
	/* thousands separators, as the reference prints */
	char buf[64], out[96];
	int len, j = 0;

	len = snprintf(buf, sizeof(buf), "%.0f", v);
	for (int i = 0; i < len; i++) {
		out[j++] = buf[i];
		if ((len - i - 1) % 3 == 0 && i < len - 1)
			out[j++] = ',';
	}
	out[j] = 0;
	printf(" %s |", out);
}

static void print_table(const struct wc_cfg *c, struct wc_cell cells[2][WAY_COUNT])
{
	char sz[32];

	printf("\nUFFDIO_WRITEPROTECT of %s of empty mapped anonymous memory (median of %u; us)\n\n",
	       fb_fmt_size(c->size, sz, sizeof(sz)), c->reps);
	printf("| THP | way | pre-fault | WP | total | VmPTE delta (KiB) | reference total (10G) |\n");
	printf("|---|---|---:|---:|---:|---:|---:|\n");
	for (int t = 0; t < 2; t++) {
		for (int w = 0; w < WAY_COUNT; w++) {
			const struct wc_cell *cl = &cells[t][w];

			if (!cl->ran)
				continue;
			printf("| %s | %s |", t ? "on" : "off", way_names[w]);
			if (cl->skipped) {
				printf(" skipped: %s | | | | |\n", cl->reason);
				continue;
			}
			print_num(cl->prefault_us);
			print_num(cl->wp_us);
			print_num(cl->prefault_us + cl->wp_us);
			printf(" %ld |", cl->vmpte_kib);
			print_num(wc_ref[t].total_us[w]);
			printf("\n");
		}
	}
	printf("\nreference: Peter Xu's VM (THP off row) and Muhammad Usama Anjum's run (THP on row), "
	       "10G, in the WP_UNPOPULATED v2 thread\n");
}

int wpcost_main(int argc, char **argv)
{
	struct wc_cfg c;
	struct wc_cell cells[2][WAY_COUNT];
	const struct host_caps *h;
	const char *skip = NULL;
	char path[4096], sz[32], why[FB_ERRLEN];
	struct fb_err err = { "" };
	json_t *doc, *results, *ways;
	int rc, failed = 0;

	rc = wc_parse(&c, argc, argv);
	if (rc == 1)
		return FB_EXIT_OK;
	if (rc)
		return FB_EXIT_USAGE;
	h = probe_host();
	fb_clock_init();
	if (c.out)
		snprintf(path, sizeof(path), "%s", c.out);
	else
		snprintf(path, sizeof(path), "results/wpcost-%s.json", fb_fmt_size(c.size, sz, sizeof(sz)));
	memset(cells, 0, sizeof(cells));
	skip = probe_uffd_unavailable_reason(h);
	for (int t = 0; t < 2; t++) {
		for (int w = 0; w < WAY_COUNT; w++) {
			struct wc_cell *cl = &cells[t][w];

			if (!c.thp[t] || !c.ways[w])
				continue;
			cl->ran = true;
			cl->s = calloc(c.reps, sizeof(*cl->s));
			if (!cl->s) {
				fprintf(stderr, "faultbench wpcost: out of memory\n");
				cells_free(cells);
				return FB_EXIT_FAIL;
			}
			if (skip) {
				cl->skipped = true;
				snprintf(cl->reason, sizeof(cl->reason), "%s", skip);
			} else if (t && (!h->thp_pmd_size || !strcmp(h->thp_enabled, "never"))) {
				cl->skipped = true;
				snprintf(cl->reason, sizeof(cl->reason),
					 "THP is not available here (transparent_hugepage/enabled = %s)",
					 h->thp_enabled[0] ? h->thp_enabled : "absent");
			} else if (w == WAY_UNPOPULATED && !(h->uffd_features & UFFD_FEATURE_WP_UNPOPULATED)) {
				cl->skipped = true;
				snprintf(cl->reason, sizeof(cl->reason),
					 "needs UFFD_FEATURE_WP_UNPOPULATED (Linux 6.4+)");
			}
		}
	}
	/* repetitions outermost, so a drift in the host spreads over every way */
	for (unsigned rep = 0; rep < c.reps; rep++) {
		for (int t = 0; t < 2; t++) {
			for (int w = 0; w < WAY_COUNT; w++) {
				struct wc_cell *cl = &cells[t][w];

				if (!cl->ran || cl->skipped)
					continue;
				rc = wc_measure(&c, t, (enum wc_way)w, &cl->s[cl->n], why, sizeof(why));
				if (rc) {
					fprintf(stderr, "faultbench wpcost: THP %s, %s: %s\n", t ? "on" : "off",
						way_names[w], why);
					cl->skipped = true;
					snprintf(cl->reason, sizeof(cl->reason), "%s", why);
					failed = 1;
					continue;
				}
				cl->n++;
			}
		}
	}
	results = json_array();
	ways = json_array();
	for (int w = 0; w < WAY_COUNT; w++)
		if (c.ways[w])
			json_array_append_new(ways, json_string(way_names[w]));
	for (int t = 0; t < 2; t++) {
		for (int w = 0; w < WAY_COUNT; w++) {
			if (!cells[t][w].ran)
				continue;
			cell_medians(&cells[t][w]);
			json_array_append_new(results, cell_json(&cells[t][w], t, w));
		}
	}
	doc = json_pack("{s:{s:s, s:i}, s:{s:s, s:s}, s:{s:s, s:s?}, s:o, s:{s:I, s:s, s:o, s:I, s:o}, "
			"s:o, s:o}",
			"schema", "name", "faultbench-wpcost", "version", 1,
			"tool", "name", "faultbench", "version", FB_VERSION,
			"status", "state", skip ? "skipped" : failed ? "failed" : "ok", "reason",
			skip ? skip : failed ? "a measurement failed; see results[].reason" : NULL,
			"host", probe_host_json(h),
			"config", "size_bytes", (json_int_t)c.size,
			"size_rule", c.size_default ? "default: min(10G, MemAvailable/2)" : "--size",
			"thp", json_pack("[s*, s*]", c.thp[0] ? "off" : NULL, c.thp[1] ? "on" : NULL),
			"reps", (json_int_t)c.reps, "ways", ways,
			"results", results, "reference", ref_json());
	if (!doc) {
		fprintf(stderr, "faultbench wpcost: cannot build the result\n");
		cells_free(cells);
		return FB_EXIT_FAIL;
	}
	rc = result_write_atomic(doc, path, &err);
	json_decref(doc);
	if (!c.quiet && !skip)
		print_table(&c, cells);
	if (rc)
		fprintf(stderr, "faultbench wpcost: %s\n", err.msg);
	else if (!c.quiet)
		printf("wrote %s\n", path);
	if (skip)
		printf("faultbench wpcost: skipped: %s\n", skip);
	cells_free(cells);
	if (rc || failed)
		return FB_EXIT_FAIL;
	return skip ? FB_EXIT_SKIP : FB_EXIT_OK;
}
