/* `faultbench report`: a result set → paper-style tables (Markdown, LaTeX
 * booktabs, CSV), plot data and gnuplot plots (PNG, SVG), and an index.
 *
 * This file makes the experiments (report/group.c), writes index.md and
 * index.html around them, and calls the table and plot kinds of
 * report/registry.c in order, one file each under report/ (see
 * report/kind.h to add one). */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/kind.h"
#include "result.h"

static void host_lines(struct report *r)
{
	json_t *h = r->s->host, *cpu = json_object_get(h, "cpu");
	const char *model = json_string_value(json_object_get(cpu, "model"));
	const char *rel = json_string_value(json_object_get(json_object_get(h, "kernel"), "release"));
	const char *thp = json_string_value(json_object_get(json_object_get(h, "thp"), "enabled"));
	const char *fp = json_string_value(json_object_get(h, "fingerprint"));
	json_int_t cores = json_integer_value(json_object_get(cpu, "cores"));
	json_int_t pus = json_integer_value(json_object_get(cpu, "pus"));
	json_int_t nodes = json_integer_value(json_object_get(json_object_get(h, "numa"), "nodes"));
	double mem = (double)json_integer_value(json_object_get(json_object_get(h, "memory"),
								 "total_bytes")) / (double)FB_GiB;
	const char *started = r->s->index ? json_string_value(json_object_get(r->s->index, "started")) : NULL;

	snprintf(r->host_line, sizeof(r->host_line),
		 "Host: %s, %lld cores / %lld threads, %lld NUMA node%s, %.0f GiB RAM, Linux %s, THP %s "
		 "(fingerprint %s); faultbench %s, %s %s%s%s.",
		 model ? model : "unknown CPU", (long long)cores, (long long)pus, (long long)nodes,
		 nodes == 1 ? "" : "s", mem, rel ? rel : "?", thp ? thp : "?", fp ? fp : "?",
		 FB_VERSION, r->s->index ? "suite" : "results", r->s->name,
		 started ? ", " : "", started ? started : "");
	snprintf(r->host_short, sizeof(r->host_short), "%s, %lld cores, Linux %s",
		 model ? model : "unknown CPU", (long long)cores, rel ? rel : "?");
}

/* An experiment: its heading, then each per-experiment kind that applies. */
static void section(struct report *r, struct group *g)
{
	fprintf(r->md, "## %s\n\n", g->title);
	fprintf(r->html, "<h2 id=\"%s\">", g->slug);
	html_escape(r->html, g->title);
	fprintf(r->html, "</h2>\n");
	if (g->matrices[0]) {
		fprintf(r->md, "Suite matrix: %s.\n\n", g->matrices);
		fprintf(r->html, "<p>Suite matrix: ");
		html_escape(r->html, g->matrices);
		fprintf(r->html, ".</p>\n");
	}
	for (size_t k = 0; k < report_kinds_count; k++) {
		const struct report_kind *kind = report_kinds[k];

		if (kind->scope == REPORT_PER_GROUP && (!kind->applies || kind->applies(r, g)))
			kind->emit(r, g);
	}
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>faultbench report</title>\n"
	"<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .6em;border-bottom:1px solid #ccc}"
	"th{border-bottom:2px solid #444;text-align:left}td.num,th.num{text-align:right}"
	".caption{font-weight:bold}.note,.files,figcaption{font-size:90%;color:#555}"
	"img{max-width:100%;border:1px solid #eee}figure{margin:1em 0}</style></head><body>\n";

/* What an earlier report left in our own subdirectories: a table or plot
 * whose group is gone must not linger next to the new ones. */
static void clear_old(struct report *r, const char *sub)
{
	static const char *const ext[] = { ".md", ".tex", ".csv", ".png", ".svg", ".dat" };
	char p[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", r->root, sub);
	d = opendir(p);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		for (size_t i = 0; i < FB_ARRAY_SIZE(ext); i++) {
			size_t el = strlen(ext[i]);

			if (len > el && !strcmp(e->d_name + len - el, ext[i])) {
				snprintf(p, sizeof(p), "%s/%s/%s", r->root, sub, e->d_name);
				unlink(p);
				break;
			}
		}
	}
	closedir(d);
}

static int mkdirs(struct report *r)
{
	const char *sub[] = { "", "/tables", "/plots", "/plots/data" };

	for (size_t i = 0; i < FB_ARRAY_SIZE(sub); i++) {
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s%s", r->root, sub[i]);
		if (mkdir(p, 0755) && errno != EEXIST) {
			fb_errf(r->err, "%s: cannot create: %s", p, strerror(errno));
			return -EIO;
		}
		if (i)
			clear_old(r, sub[i] + 1);
	}
	return 0;
}

int report_write(const struct rset *s, const char *outdir, bool quiet, struct fb_err *err)
{
	struct report r = { .s = s, .err = err };
	json_t *counts = s->index ? json_object_get(s->index, "counts") : NULL;
	const char *state = s->index ? json_string_value(json_object_get(s->index, "state")) : NULL;
	size_t nok = 0;
	int rc;

	snprintf(r.root, sizeof(r.root), "%s", outdir);
	if ((rc = mkdirs(&r)))
		return rc;
	rc = report_groups_build(&r);
	if (rc) {
		fb_errf(err, "out of memory");
		report_groups_free(&r);
		return rc;
	}
	host_lines(&r);
	gnuplot_init(&r.gp);
	r.md = report_open(&r, "index.md");
	r.html = report_open(&r, "index.html");
	if (!r.md || !r.html) {
		if (r.md)
			fclose(r.md);
		if (r.html)
			fclose(r.html);
		report_groups_free(&r);
		return -EIO;
	}
	for (size_t i = 0; i < s->n; i++)
		nok += !strcmp(s->it[i].state, "ok");

	fprintf(r.md, "# faultbench report: %s\n\n", s->name);
	fprintf(r.html, "%s<h1>faultbench report: ", html_head);
	html_escape(r.html, s->name);
	fprintf(r.html, "</h1>\n");
	{
		char line[1024];

		snprintf(line, sizeof(line), "Result set %s: %zu configurations, %zu measured%s%s%s. %s",
			 s->dir, s->n, nok, state ? "; suite " : "", state ? state : "",
			 counts && json_integer_value(json_object_get(counts, "failed")) ?
				 " (some failed: see Not measured)" : "",
			 r.gp.note);
		fprintf(r.md, "%s\n\n%s\n\n", line, r.host_line);
		fprintf(r.html, "<p>");
		html_escape(r.html, line);
		fprintf(r.html, "</p>\n<p class=\"note\">");
		html_escape(r.html, r.host_line);
		fprintf(r.html, "</p>\n");
	}
	if (r.ng > 1) {
		fprintf(r.md, "Experiments:\n\n");
		fprintf(r.html, "<ul>\n");
		for (size_t i = 0; i < r.ng; i++) {
			fprintf(r.md, "- %s\n", r.g[i].title);
			fprintf(r.html, "<li><a href=\"#%s\">", r.g[i].slug);
			html_escape(r.html, r.g[i].title);
			fprintf(r.html, "</a></li>\n");
		}
		fprintf(r.md, "\n");
		fprintf(r.html, "</ul>\n");
	}
	for (size_t i = 0; i < r.ng; i++)
		section(&r, &r.g[i]);
	if (!r.ng) {
		fprintf(r.md, "_No configuration was measured: nothing to tabulate._\n\n");
		fprintf(r.html, "<p>No configuration was measured: nothing to tabulate.</p>\n");
	}
	for (size_t k = 0; k < report_kinds_count; k++) {
		const struct report_kind *kind = report_kinds[k];

		if (kind->scope == REPORT_PER_SET && (!kind->applies || kind->applies(&r, NULL)))
			kind->emit(&r, NULL);
	}
	fprintf(r.html, "</body></html>\n");
	report_close(&r, r.md, "index.md");
	report_close(&r, r.html, "index.html");
	if (!quiet) {
		printf("report: %s/index.html (and index.md)\n", r.root);
		printf("  tables: %s/tables/ (%u table%s; .md .tex .csv)\n", r.root, r.ntables,
		       r.ntables == 1 ? "" : "s");
		printf("  plots:  %s/plots/ (%u plot%s; %s%s%s)\n", r.root, r.nplots, r.nplots == 1 ? "" : "s",
		       r.gp.png_term[0] ? ".png" : "", r.gp.png_term[0] && r.gp.svg ? " " : "", r.gp.svg ? ".svg" : "");
		if (r.gp.note[0])
			printf("  %s\n", r.gp.note);
	}
	rc = r.rc;
	report_groups_free(&r);
	return rc;
}
