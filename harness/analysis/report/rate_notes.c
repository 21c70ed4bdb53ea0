/* What a rate in the tables means: the time it includes (setup plus touch,
 * per column, from the runs' own setup figures) and the footnotes of its
 * markers (a run that got fewer huge pages than it asked; a file too old
 * to hold a usable rate). Shared by every kind that shows a rate. */
#include "kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fb.h"

const char *report_cell_mark(const struct cell *x)
{
	return x && x->huge_short ? REPORT_HUGE_SHORT_MARK : "";
}

static const struct {
	unsigned part;
	const char *words;
} setup_words[] = {
	{ SETUP_REGISTER, "uffd register" },
	{ SETUP_WP, "write-protect" },
	{ SETUP_POPULATE, "populate" },
	{ SETUP_OTHER, "the rest of the mode's setup" },
};

/* A column's setup parts, over the cells that have a usable rate;
 * -1 when none has. */
static int col_setup(struct group *g, size_t k)
{
	int parts = -1;

	for (size_t i = 0; i < g->ncell; i++) {
		const struct cell *x = &g->cell[i];

		if (x->col == k && x->touch_only < x->rate.n)
			parts = (parts < 0 ? 0 : parts) | (int)x->setup;
	}
	return parts;
}

static void say_setup(FILE *f, unsigned parts)
{
	size_t n = 0;

	if (!parts) {
		fputs("touch time (no setup)", f);
		return;
	}
	fputs("setup (", f);
	for (size_t i = 0; i < FB_ARRAY_SIZE(setup_words); i++)
		if (parts & setup_words[i].part)
			fprintf(f, "%s%s", n++ ? ", " : "", setup_words[i].words);
	fputs(") plus touch time", f);
}

char *report_usable_time(struct group *g)
{
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);
	int first = -2;
	bool same = true;

	if (!f)
		return NULL;
	for (size_t k = 0; k < g->ncol; k++) {
		int p = col_setup(g, k);

		if (p < 0)
			continue;
		if (first == -2)
			first = p;
		same &= p == first;
	}
	if (first == -2) {
		fputs("rate = pages over touch time", f);
	} else if (same) {
		fputs("rate = pages over ", f);
		say_setup(f, (unsigned)first);
	} else {
		/* columns with the same parts share one clause */
		unsigned done = 0, clauses = 0;

		fputs("rate = pages over setup plus touch time, the setup being", f);
		for (size_t k = 0; k < g->ncol; k++) {
			int p = col_setup(g, k);
			size_t n = 0;

			if (p < 0 || (done & (1u << (unsigned)p)))
				continue;
			done |= 1u << (unsigned)p;
			fputs(clauses++ ? "; " : " ", f);
			for (size_t j = k; j < g->ncol; j++)
				if (col_setup(g, j) == p)
					fprintf(f, "%s%s", n++ ? ", " : "", g->col[j].label);
			fputs(": ", f);
			if (!p) {
				fputs("no setup", f);
				continue;
			}
			for (size_t i = 0, m = 0; i < FB_ARRAY_SIZE(setup_words); i++)
				if ((unsigned)p & setup_words[i].part)
					fprintf(f, "%s%s", m++ ? ", " : "", setup_words[i].words);
		}
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

/* "0 %" or "0–12 %" */
static void say_fraction(FILE *f, double min, double max)
{
	if (!isfinite(min))
		fputs("an unknown share", f);
	else if (round(min * 100) == round(max * 100))
		fprintf(f, "%.0f %%", min * 100);
	else
		fprintf(f, "%.0f–%.0f %%", min * 100, max * 100);
}

bool report_col_short(struct group *g, size_t k)
{
	for (size_t i = 0; i < g->ncell; i++)
		if (g->cell[i].col == k && g->cell[i].huge_short)
			return true;
	return false;
}

/* rate: the footnote of a rate; else of a latency (what a first touch mapped) */
static void huge_foot(FILE *f, struct group *g, size_t k, bool rate)
{
	double min = INFINITY, max = -INFINITY;
	uint64_t asked = 0, unit = 0;
	bool varies = false, any = false;
	char a[32], u[32];
	size_t nv = 0;

	for (size_t i = 0; i < g->nv; i++) {
		const struct cell *x = group_cell(g, k, g->vcpus[i]);

		if (!x || !x->huge_short)
			continue;
		if (any)
			varies |= x->rate_page_varies || x->rate_page_bytes != unit;
		else
			unit = x->rate_page_bytes;
		any = true;
		varies |= x->rate_page_varies;
		asked = x->asked_bytes;
		min = fmin(min, x->huge_min);
		max = fmax(max, x->huge_max);
	}
	if (!any)
		return;
	fb_fmt_size(asked, a, sizeof(a));
	fprintf(f, "%s %s: asked for %s pages; the kernel mapped ", REPORT_HUGE_SHORT_MARK,
		g->col[k].label, a);
	say_fraction(f, min, max);
	fputs(" of the touched memory huge (vCPUs: ", f);
	for (size_t i = 0; i < g->nv; i++) {
		const struct cell *x = group_cell(g, k, g->vcpus[i]);

		if (x && x->huge_short)
			fprintf(f, "%s%ld", nv++ ? ", " : "", g->vcpus[i]);
	}
	fputs(rate ? "), so this rate counts " : "), so a first touch here mapped ", f);
	if (!varies && unit) {
		fb_fmt_size(unit, u, sizeof(u));
		fprintf(f, "%s pages", u);
	} else {
		fprintf(f, "%s pages where it was huge and base pages elsewhere", a);
	}
	if (rate)
		fprintf(f, "%s, not %s pages. ", g->gib ? " (GiB/s: the bytes those pages hold)" : "", a);
	else
		fprintf(f, ", not one %s page. ", a);
}

/* rate: a rate table's footnotes, with (usable) the columns whose rate is
 * touch time only; else a latency table's */
static char *footnotes(struct group *g, bool rate, bool usable)
{
	char *s = NULL;
	size_t len, n = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (size_t k = 0; k < g->ncol; k++)
		huge_foot(f, g, k, rate);
	for (size_t k = 0; rate && usable && k < g->ncol; k++) {
		bool old = false;

		for (size_t i = 0; i < g->ncell; i++)
			old |= g->cell[i].col == k && g->cell[i].touch_only;
		if (!old)
			continue;
		fprintf(f, "%s%s", n++ ? ", " : "", g->col[k].label);
	}
	if (n)
		fputs(": touch time only (results of a version that did not record setup time).", f);
	if (fclose(f) || !len) {
		free(s);
		return NULL;
	}
	/* no trailing space */
	if (s[len - 1] == ' ')
		s[len - 1] = '\0';
	return s;
}

char *report_rate_foot(struct group *g, bool usable)
{
	return footnotes(g, true, usable);
}

char *report_lat_foot(struct group *g)
{
	return footnotes(g, false, false);
}
