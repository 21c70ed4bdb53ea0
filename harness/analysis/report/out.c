/* Writing the report's files: numbers as the tables show them, output
 * files under DIR/report/, a table in its three formats, and plots. */
#include "kind.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *report_num(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "–");
	else if (v == 0)
		snprintf(buf, n, "0");
	else if (fabs(v) >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(buf, n, "%.1f", v);
	else if (fabs(v) >= 1)
		snprintf(buf, n, "%.2f", v);
	else
		snprintf(buf, n, "%.3f", v);
	return buf;
}

const char *report_reps(unsigned min, unsigned max, char *buf, size_t n)
{
	if (min == max)
		snprintf(buf, n, "%u", min);
	else
		snprintf(buf, n, "%u to %u", min, max);
	return buf;
}

const char *report_unit(const struct group *g)
{
	return g->gib ? "GiB/s" : "k pages/s";
}

const char *report_unit_csv(const struct group *g)
{
	return g->gib ? "gibps" : "kpps";
}

FILE *report_open(struct report *r, const char *rel)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", r->root, rel);
	f = fopen(path, "w");
	if (!f && !r->rc) {
		fb_errf(r->err, "%s: cannot write: %s", path, strerror(errno));
		r->rc = -EIO;
	}
	return f;
}

void report_close(struct report *r, FILE *f, const char *rel)
{
	if (f && (ferror(f) | fclose(f)) && !r->rc) {
		fb_errf(r->err, "%s/%s: write failed", r->root, rel);
		r->rc = -EIO;
	}
}


/* A table in three files, and inline in the index. */
void report_emit_table(struct report *r, struct table *t, const char *base,
		       void (*csv)(struct group *, FILE *), struct group *g)
{
	char rel[300], *note;
	FILE *f;

	snprintf(rel, sizeof(rel), "tables/%s.md", base);
	if ((f = report_open(r, rel))) {
		table_md(t, f);
		report_close(r, f, rel);
	}
	snprintf(rel, sizeof(rel), "tables/%s.tex", base);
	if ((f = report_open(r, rel))) {
		table_tex(t, f);
		report_close(r, f, rel);
	}
	snprintf(rel, sizeof(rel), "tables/%s.csv", base);
	if (csv && (f = report_open(r, rel))) {
		csv(g, f);
		report_close(r, f, rel);
	}
	r->ntables++;
	/* the index has the host line once, at the top */
	note = t->note;
	t->note = NULL;
	table_md(t, r->md);
	fprintf(r->md, "\nFiles: [Markdown](tables/%s.md) · [LaTeX](tables/%s.tex) · [CSV](tables/%s.csv)\n\n",
		base, base, base);
	table_html(t, r->html);
	t->note = note;
	fprintf(r->html, "<p class=\"files\">Files: <a href=\"tables/%s.md\">Markdown</a> · "
		"<a href=\"tables/%s.tex\">LaTeX</a> · <a href=\"tables/%s.csv\">CSV</a></p>\n",
		base, base, base);
}



/* plots/<script>.gp with datafile=<data> and vars → plots/<base>.png and
 * .svg. Returns true when at least one image was made; a gnuplot error is
 * the report's error (exit 1), and the report goes on without that plot. */
bool report_plot(struct report *r, const char *script, const char *base, const char *data,
		 const char *vars)
{
	char *out = NULL, *dp = NULL;
	struct fb_err e = { "" };
	int made = -ENOMEM;

	if (!r->gp.bin[0])
		return false;
	if (asprintf(&out, "%s/plots/%s", r->root, base) >= 0 &&
	    asprintf(&dp, "%s/%s", r->root, data) >= 0)
		made = gnuplot_plot(&r->gp, script, out, dp, vars, &e);
	else
		fb_errf(&e, "out of memory");
	if (made < 0) {
		fprintf(stderr, "faultbench report: %s\n", e.msg);
		if (!r->rc) {
			fb_errf(r->err, "%s", e.msg);
			r->rc = -EIO;
		}
	}
	free(out);
	free(dp);
	r->nplots += made > 0;
	return made > 0;
}

void report_embed_plot(struct report *r, const char *base, const char *alt)
{
	if (r->gp.png_term[0]) {
		fprintf(r->md, "![%s](plots/%s.png)\n", alt, base);
		fprintf(r->html, "<figure><img src=\"plots/%s.png\" alt=\"", base);
		html_escape(r->html, alt);
		fprintf(r->html, "\">");
	} else {
		fprintf(r->html, "<figure><img src=\"plots/%s.svg\" alt=\"", base);
		html_escape(r->html, alt);
		fprintf(r->html, "\">");
	}
	fprintf(r->md, "%s[SVG](plots/%s.svg) · data: [plots/data/%s.dat](plots/data/%s.dat)\n\n",
		r->gp.png_term[0] ? "\n" : "", base, base, base);
	fprintf(r->html, "<figcaption><a href=\"plots/%s.svg\">SVG</a> · <a href=\"plots/data/%s.dat\">data</a></figcaption></figure>\n",
		base, base);
}

void report_plot_failed(struct report *r, const char *what)
{
	const char *why = r->gp.bin[0] ? "gnuplot failed (see the report's error)" : r->gp.note;

	fprintf(r->md, "_%s: not plotted: %s._\n\n", what, why);
	fprintf(r->html, "<p class=\"note\">%s: not plotted: ", what);
	html_escape(r->html, why);
	fprintf(r->html, "</p>\n");
}

void report_title_vars(char *buf, size_t n, const char *t1, const char *t2)
{
	char *a = gp_quote(t1), *b = gp_quote(t2);

	snprintf(buf, n, "title1=%s; title2=%s", a ? a : "''", b ? b : "''");
	free(a);
	free(b);
}
