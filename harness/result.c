#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory.h"
#include "probe.h"
#include "timing.h"

char *volatile result_tmp_path;

static const char *const state_names[] = { "ok", "skipped", "failed", "interrupted" };

json_t *hist_to_json(const struct hist *h, int with_buckets)
{
	json_t *o = json_pack("{s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:I, s:I}",
			      "count", (json_int_t)h->count,
			      "min", (json_int_t)(h->count ? h->min_ns : 0),
			      "mean", hist_mean(h),
			      "p50", hist_quantile(h, 0.50),
			      "p90", hist_quantile(h, 0.90),
			      "p99", hist_quantile(h, 0.99),
			      "p999", hist_quantile(h, 0.999),
			      "max", (json_int_t)h->max_ns,
			      "overflow", (json_int_t)h->overflow);
	json_t *b;

	if (!with_buckets)
		return o;
	/* sparse [lower_ns, upper_ns, count] triples, so plots can draw a CDF */
	b = json_array();
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo, hi;

		if (!h->bucket[i])
			continue;
		hist_bucket_bounds(i, &lo, &hi);
		json_array_append_new(b, json_pack("[I, I, I]", (json_int_t)lo, (json_int_t)hi,
						   (json_int_t)h->bucket[i]));
	}
	json_object_set_new(o, "buckets", b);
	return o;
}

static json_t *counters_json(const struct mode_counters *c)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "uffd_msgs", (json_int_t)c->uffd_msgs,
			 "uffd_events", (json_int_t)c->uffd_events,
			 "reads", (json_int_t)c->reads,
			 "empty_reads", (json_int_t)c->empty_reads,
			 "copy_ioctls", (json_int_t)c->copy_ioctls,
			 "zeropage_ioctls", (json_int_t)c->zeropage_ioctls,
			 "continue_ioctls", (json_int_t)c->continue_ioctls,
			 "wake_ioctls", (json_int_t)c->wake_ioctls,
			 "pages_copied", (json_int_t)c->pages_copied,
			 "pages_zeroed", (json_int_t)c->pages_zeroed,
			 "eexist", (json_int_t)c->eexist,
			 "eagain", (json_int_t)c->eagain,
			 "enomem", (json_int_t)c->enomem,
			 "ioctl_errors", (json_int_t)c->ioctl_errors);

	if (o && c->move_ioctls) {
		json_object_set_new(o, "move_ioctls", json_integer((json_int_t)c->move_ioctls));
		json_object_set_new(o, "pages_moved", json_integer((json_int_t)c->pages_moved));
	}
	return o;
}

static double rate(uint64_t pages, uint64_t ns)
{
	return ns ? (double)pages * 1e9 / (double)ns : 0;
}

/* per first touch as the whole repetition measured it (mapped_per_touch) */
static json_t *vcpu_json(const struct rep_result *rr, unsigned i, const struct vcpu_stats *s)
{
	double per_s = rate(s->pages, s->touch_ns);

	return json_pack("{s:i, s:i, s:I, s:I, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:o}",
			 "vcpu", (int)i,
			 "cpu", s->cpu,
			 "pages", (json_int_t)s->pages,
			 "accesses", (json_int_t)s->accesses,
			 "seconds", (double)s->touch_ns / 1e9,
			 "paging_rate_pps", per_s * rr->pages_per_touch,
			 "paging_rate_gibps", per_s * rr->bytes_per_touch / (double)FB_GiB,
			 "prepare_seconds", (double)s->prepare_ns / 1e9,
			 "minflt", (json_int_t)s->minflt,
			 "majflt", (json_int_t)s->majflt,
			 "nvcsw", (json_int_t)s->nvcsw,
			 "nivcsw", (json_int_t)s->nivcsw,
			 "fault_lat_ns", hist_to_json(s->lat, 0));
}

static json_t *verify_json(const struct verify_result *v)
{
	return json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:o, s:s}",
			 "checked", v->checked,
			 "ok", v->checked && v->ok,
			 "pages_checked", (json_int_t)v->pages_checked,
			 "pages_skipped", (json_int_t)v->pages_skipped,
			 "checksums_skipped", (json_int_t)v->checksums_skipped,
			 "bad_pages", (json_int_t)v->bad_pages,
			 "first_bad_page", v->first_bad_page >= 0 ?
				 json_integer(v->first_bad_page) : json_null(),
			 "message", v->message);
}

json_t *mapped_to_json(const struct mapped *m)
{
	double frac = mapped_huge_fraction(m);
	char unit[16];

	return json_pack("{s:s, s:o, s:I, s:I, s:I, s:o, s:I, s:I, s:b, s:I, s:s}",
			 "method", mapped_method_name(m->method),
			 "reason", m->reason[0] ? json_string(m->reason) : json_null(),
			 "page_bytes", (json_int_t)m->page_bytes,
			 "huge_bytes", (json_int_t)m->huge_bytes,
			 "base_bytes", (json_int_t)m->base_bytes,
			 "huge_fraction", frac >= 0 ? json_real(frac) : json_null(),
			 "pages_measured", (json_int_t)m->pages_measured,
			 "pages_present", (json_int_t)m->pages_present,
			 "huge_short", mapped_huge_short(m),
			 "rate_page_bytes", (json_int_t)mapped_rate_page_bytes(m),
			 "rate_unit", mapped_rate_unit(m, unit, sizeof(unit)));
}

static json_t *rep_json(const struct rep_result *rr)
{
	json_t *vcpus = json_array(), *o;

	for (unsigned i = 0; i < rr->nvcpus; i++)
		json_array_append_new(vcpus, vcpu_json(rr, i, &rr->v[i]));
	o = json_pack(
		"{s:i, s:b, s:{s:I, s:I, s:f, s:f, s:f}, s:o, s:o, s:o, s:o,"
		" s:{s:f, s:f, s:f, s:f}, s:{s:I, s:I, s:I, s:I}, s:o}",
		"rep", (int)rr->rep,
		"warmup", rr->warmup,
		"aggregate",
			"pages", (json_int_t)rr->pages,
			"touched_pages", (json_int_t)rr->touched,
			"seconds", (double)rr->max_touch_ns / 1e9,
			"paging_rate_pps", rr->rate_pps,
			"paging_rate_gibps", rr->rate_gibps,
		"vcpus", vcpus,
		"fault_lat_ns", hist_to_json(&rr->lat, 1),
		"service_ns", hist_to_json(&rr->service, 1),
		"counters", counters_json(&rr->counters),
		"setup",
			"map_seconds", (double)rr->map_ns / 1e9,
			"register_seconds", (double)rr->register_ns / 1e9,
			"unregister_seconds", (double)rr->unregister_ns / 1e9,
			"populate_seconds", (double)rr->populate_ns / 1e9,
		"rusage",
			"minflt", (json_int_t)rr->ru.ru_minflt,
			"majflt", (json_int_t)rr->ru.ru_majflt,
			"nvcsw", (json_int_t)rr->ru.ru_nvcsw,
			"nivcsw", (json_int_t)rr->ru.ru_nivcsw,
		"verify", verify_json(&rr->verify));
	if (o) {
		json_t *agg = json_object_get(o, "aggregate");

		json_object_set_new(agg, "setup_seconds", json_real((double)rr->setup_ns / 1e9));
		json_object_set_new(agg, "usable_seconds",
				    json_real((double)(rr->setup_ns + rr->max_touch_ns) / 1e9));
		json_object_set_new(agg, "paging_rate_usable_pps", json_real(rr->rate_usable_pps));
		json_object_set_new(agg, "paging_rate_usable_gibps", json_real(rr->rate_usable_gibps));
		json_object_set_new(json_object_get(o, "setup"), "mode_setup_seconds",
				    json_real((double)rr->mode_setup_ns / 1e9));
		json_object_set_new(o, "mapped", mapped_to_json(&rr->mapped));
	}
	if (o && rr->mode_data)
		json_object_set(o, "mode_data", rr->mode_data);
	return o;
}

/* What the handler threads did, where the mode has them. */
static json_t *with_handlers(const struct fb_config *cfg, const struct rep_result *rr, json_t *o)
{
	if (o && rr->handlers && !rr->unknown)
		json_object_set_new(o, "handlers", handlers_json(cfg, rr->handlers));
	if (o && rr->unknown) {
		/* unknown, not zero */
		json_object_set_new(o, "counters", json_null());
		json_object_set_new(o, "service_ns", json_null());
		json_object_set_new(o, "unknown", json_string(rr->unknown));
	}
	if (o && rr->anat)
		json_object_set_new(o, "fault_anatomy", anatomy_json(rr->anat));
	return o;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* median, min, max, sample stddev over the measured repetitions */
static json_t *stat_json(double *v, unsigned n, const char *unit)
{
	double mean = 0, var = 0, med;

	if (!n)
		return json_pack("{s:i, s:s}", "n", 0, "unit", unit);
	qsort(v, n, sizeof(double), cmp_double);
	for (unsigned i = 0; i < n; i++)
		mean += v[i];
	mean /= n;
	for (unsigned i = 0; i < n; i++)
		var += (v[i] - mean) * (v[i] - mean);
	var = n > 1 ? var / (n - 1) : 0;
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return json_pack("{s:i, s:s, s:f, s:f, s:f, s:f, s:f}", "n", (int)n, "unit", unit,
			 "median", med, "mean", mean, "min", v[0], "max", v[n - 1], "stddev", sqrt(var));
}

json_t *result_stat_json(double *v, unsigned n, const char *unit)
{
	return stat_json(v, n, unit);
}

struct figure {
	const char *name;
	const char *unit;
	double (*get)(const struct fb_config *cfg, const struct rep_result *rr);
};

static double f_pps(const struct fb_config *c, const struct rep_result *r) { (void)c; return r->rate_pps; }
static double f_gibps(const struct fb_config *c, const struct rep_result *r) { (void)c; return r->rate_gibps; }
static double f_secs(const struct fb_config *c, const struct rep_result *r) { (void)c; return (double)r->max_touch_ns / 1e9; }
static double f_p50(const struct fb_config *c, const struct rep_result *r) { (void)c; return hist_quantile(&r->lat, 0.5); }
static double f_p90(const struct fb_config *c, const struct rep_result *r) { (void)c; return hist_quantile(&r->lat, 0.9); }
static double f_p99(const struct fb_config *c, const struct rep_result *r) { (void)c; return hist_quantile(&r->lat, 0.99); }
static double f_p999(const struct fb_config *c, const struct rep_result *r) { (void)c; return hist_quantile(&r->lat, 0.999); }
static double f_max(const struct fb_config *c, const struct rep_result *r) { (void)c; return (double)r->lat.max_ns; }
static double f_svc50(const struct fb_config *c, const struct rep_result *r) { (void)c; return r->unknown ? NAN : hist_quantile(&r->service, 0.5); }
static double f_svc99(const struct fb_config *c, const struct rep_result *r) { (void)c; return r->unknown ? NAN : hist_quantile(&r->service, 0.99); }
static double f_pop(const struct fb_config *c, const struct rep_result *r) { (void)c; return (double)r->populate_ns / 1e9; }
static double f_reg(const struct fb_config *c, const struct rep_result *r) { (void)c; return (double)r->register_ns / 1e9; }
static double f_upps(const struct fb_config *c, const struct rep_result *r) { (void)c; return r->rate_usable_pps; }
static double f_ugibps(const struct fb_config *c, const struct rep_result *r) { (void)c; return r->rate_usable_gibps; }
static double f_setup(const struct fb_config *c, const struct rep_result *r) { (void)c; return (double)r->setup_ns / 1e9; }
static double f_usable(const struct fb_config *c, const struct rep_result *r) { (void)c; return (double)(r->setup_ns + r->max_touch_ns) / 1e9; }
/* NAN (left out) where nothing was measured */
static double f_huge(const struct fb_config *c, const struct rep_result *r)
{
	double f = mapped_huge_fraction(&r->mapped);

	(void)c;
	return f >= 0 ? f : NAN;
}

static double anat_p50(const struct rep_result *r, enum anat_part k)
{
	return r->anat ? hist_quantile(&r->anat->part[k], 0.5) : 0;
}
static double f_del50(const struct fb_config *c, const struct rep_result *r) { (void)c; return anat_p50(r, ANAT_DELIVERY); }
static double f_srv50(const struct fb_config *c, const struct rep_result *r) { (void)c; return anat_p50(r, ANAT_SERVICE); }
static double f_wake50(const struct fb_config *c, const struct rep_result *r) { (void)c; return anat_p50(r, ANAT_WAKE); }

/* Only where the fault anatomy was measured. */
static const struct figure anat_figures[] = {
	{ "fault_anatomy_delivery_p50_ns", "ns", f_del50 },
	{ "fault_anatomy_service_p50_ns", "ns", f_srv50 },
	{ "fault_anatomy_wake_p50_ns", "ns", f_wake50 },
};

static const struct figure figures[] = {
	{ "paging_rate_pps", "pages/s", f_pps },
	{ "paging_rate_gibps", "GiB/s", f_gibps },
	{ "touch_seconds", "s", f_secs },
	{ "fault_lat_p50_ns", "ns", f_p50 },
	{ "fault_lat_p90_ns", "ns", f_p90 },
	{ "fault_lat_p99_ns", "ns", f_p99 },
	{ "fault_lat_p999_ns", "ns", f_p999 },
	{ "fault_lat_max_ns", "ns", f_max },
	{ "service_p50_ns", "ns", f_svc50 },
	{ "service_p99_ns", "ns", f_svc99 },
	{ "populate_seconds", "s", f_pop },
	{ "register_seconds", "s", f_reg },
	{ "paging_rate_usable_pps", "pages/s", f_upps },
	{ "paging_rate_usable_gibps", "GiB/s", f_ugibps },
	{ "setup_seconds", "s", f_setup },
	{ "usable_seconds", "s", f_usable },
	{ "mapped_huge_fraction", "fraction", f_huge },
};

static void summarize(json_t *s, const struct run_result *res, const struct figure *fig,
		      double *v)
{
	unsigned n = 0;

	for (unsigned r = 0; r < res->nreps; r++) {
		double x;

		if (res->reps[r].warmup)
			continue;
		/* NAN: not measured in this repetition, left out */
		x = fig->get(res->cfg, &res->reps[r]);
		if (!isnan(x))
			v[n++] = x;
	}
	json_object_set_new(s, fig->name, stat_json(v, n, fig->unit));
}

static json_t *summary_json(const struct run_result *res)
{
	json_t *s = json_object();
	double *v = calloc(res->nreps ? res->nreps : 1, sizeof(double));

	if (!v)
		return s;
	for (size_t f = 0; f < FB_ARRAY_SIZE(figures); f++)
		summarize(s, res, &figures[f], v);
	for (size_t f = 0; res->nreps && res->reps[0].anat && !res->reps[0].anat->unavailable &&
			   f < FB_ARRAY_SIZE(anat_figures); f++)
		summarize(s, res, &anat_figures[f], v);
	free(v);
	return s;
}

static json_t *result_core(const struct run_result *res)
{
	json_t *runs = json_array(), *doc;

	/* a failed repetition stays in: its verify object says what went wrong */
	for (unsigned r = 0; r < res->nreps; r++)
		json_array_append_new(runs, with_handlers(res->cfg, &res->reps[r], rep_json(&res->reps[r])));
	{
		doc = json_pack("{s:{s:s, s:i}, s:{s:s, s:s, s:s, s:f}, s:{s:s, s:o}, s:o, s:o,"
				 " s:{s:b, s:I, s:I}, s:o, s:o}",
				 "schema", "name", RESULT_SCHEMA_NAME, "version", RESULT_SCHEMA_VERSION,
				 "tool", "name", "faultbench", "version", FB_VERSION,
				 "clock", fb_clock.source, "tsc_ghz", fb_clock.tsc_ghz,
				 "status", "state", state_names[res->state],
				 "reason", res->state == RUN_OK ? json_null() : json_string(res->reason),
				 "host", probe_host_json(probe_host()),
				 "config", config_to_json(res->cfg),
				 "placement", "oversubscribed", res->oversubscribed,
				 "hugepages_reserved", (json_int_t)res->hugepages_reserved,
				 "image_zero_pages", (json_int_t)res->image_zero_pages,
				 "runs", runs,
				 "summary", summary_json(res));
	}
	if (doc && res->handler_cpus)
		json_object_set_new(json_object_get(doc, "placement"), "handler_cpus",
				    handler_cpus_json(res->cfg, res->handler_cpus));
	return doc;
}

json_t *result_to_json(const struct run_result *res)
{
	json_t *doc = result_core(res);

	/* a run that was skipped held nothing */
	if (doc && res->state != RUN_SKIPPED)
		json_object_set_new(doc, "memory", admit_json(&res->memory, res->peak_rss_bytes,
							      res->guest_rss_bytes));
	return doc;
}

static int mkdir_parents(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* An unnamed file in path's directory (O_TMPFILE), so a process killed
 * while writing leaves nothing behind; -1 where the filesystem has none. */
static int open_unnamed(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;

	if (len >= sizeof(dir))
		return -1;
	memcpy(dir, path, len);
	dir[len] = 0;
	return open(!slash ? "." : len ? dir : "/", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
}

/* What emit() writes goes to an unnamed file (or PATH.tmp.PID where the
 * filesystem cannot), is synced, and only then takes path's name, by a
 * rename, so path is always either the old file or the whole new one. */
int result_write_file_atomic(const char *path, int (*emit)(FILE *f, void *ctx), void *ctx,
			     struct fb_err *err)
{
	size_t n = strlen(path) + 32;
	char *tmp = malloc(n), proc[64];
	int fd, rc = 0;
	bool unnamed;
	FILE *f;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, n, "%s.tmp.%d", path, (int)getpid());
	rc = mkdir_parents(path);
	if (rc) {
		fb_errf(err, "--out %s: cannot create its directory: %s", path, strerror(-rc));
		free(tmp);
		return rc;
	}
	fd = open_unnamed(path);
	unnamed = fd >= 0;
	if (!unnamed) {
		result_tmp_path = tmp;
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		rc = -errno;
		fb_errf(err, "--out %s: cannot write: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (emit(f, ctx) || fflush(f) || ferror(f) || fsync(fileno(f))) {
		rc = -EIO;
		fb_errf(err, "--out %s: write failed: %s", path, strerror(errno));
		fclose(f);
		goto out;
	}
	if (unnamed) {
		/* a name for the rename; the window it exists in is two syscalls */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(f));
		result_tmp_path = tmp;
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW)) {
			rc = -errno;
			fb_errf(err, "--out %s: cannot name the file: %s", path, strerror(errno));
			fclose(f);
			goto out;
		}
	}
	if (fclose(f)) {
		rc = -EIO;
		fb_errf(err, "--out %s: close failed: %s", path, strerror(errno));
		goto out;
	}
	if (rename(tmp, path)) {
		rc = -errno;
		fb_errf(err, "--out %s: rename failed: %s", path, strerror(errno));
	}
out:
	if (rc && result_tmp_path)
		unlink(tmp);
	result_tmp_path = NULL;
	free(tmp);
	return rc;
}

static int emit_json(FILE *f, void *doc)
{
	return json_dumpf(doc, f, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10)) ||
	       fputc('\n', f) == EOF;
}

int result_write_atomic(json_t *doc, const char *path, struct fb_err *err)
{
	return result_write_file_atomic(path, emit_json, doc, err);
}
