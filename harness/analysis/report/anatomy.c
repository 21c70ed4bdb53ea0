/* Where a fault's time goes (runs[].fault_anatomy): per mode, memory and
 * vCPU count, the median delivery, service and wake of a first touch, their
 * sum beside the first-touch median, and how many first touches were
 * matched to a message; a table and stacked bars (plots/anatomy.gp). Only
 * configurations that measured it appear; files without it are left out. */
#include "kind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct arow {
	struct group *g;
	size_t col;
	struct cell *x;
	char memory[192];
};

static bool has_anatomy(const struct group *g)
{
	for (size_t i = 0; i < g->ncell; i++)
		if (g->cell[i].part[PART_DELIVERY].n)
			return true;
	return false;
}

static bool applies(const struct report *r, const struct group *g)
{
	(void)g; /* once per set */
	for (size_t i = 0; i < r->ng; i++)
		if (has_anatomy(&r->g[i]))
			return true;
	return false;
}

/* "anon 4K", or the experiment's slug when two experiments with anatomy
 * share backing and page size. */
static void memory_of(const struct report *r, struct group *g, char *buf, size_t n)
{
	json_t *cfg = json_object_get(r->s->it[g->item[0]].doc, "config");
	char *backing = report_config_str(cfg, "backing"), *pg = report_config_str(cfg, "page_bytes");

	snprintf(buf, n, "%s %s", backing ? backing : "?", pg ? pg : "?");
	free(backing);
	free(pg);
	for (size_t i = 0; i < r->ng; i++) {
		char other[192];
		json_t *c2;
		char *b2, *p2;

		if (&r->g[i] == g || !has_anatomy(&r->g[i]))
			continue;
		c2 = json_object_get(r->s->it[r->g[i].item[0]].doc, "config");
		b2 = report_config_str(c2, "backing");
		p2 = report_config_str(c2, "page_bytes");
		snprintf(other, sizeof(other), "%s %s", b2 ? b2 : "?", p2 ? p2 : "?");
		free(b2);
		free(p2);
		if (!strcmp(other, buf)) {
			snprintf(buf, n, "%s", g->slug);
			return;
		}
	}
}

/* In the groups' order, then by column, then by vCPU count. */
static int collect(struct report *r, struct arow **rows, size_t *n)
{
	*rows = NULL;
	*n = 0;
	for (size_t gi = 0; gi < r->ng; gi++) {
		struct group *g = &r->g[gi];
		char memory[192];

		if (!has_anatomy(g))
			continue;
		memory_of(r, g, memory, sizeof(memory));
		for (size_t k = 0; k < g->ncol; k++) {
			for (size_t i = 0; i < g->nv; i++) {
				struct cell *x = group_cell(g, k, g->vcpus[i]);
				struct arow *grown;

				if (!x || !x->part[PART_DELIVERY].n)
					continue;
				grown = realloc(*rows, (*n + 1) * sizeof(**rows));
				if (!grown)
					return -ENOMEM;
				*rows = grown;
				grown[*n] = (struct arow){ .g = g, .col = k, .x = x };
				snprintf(grown[*n].memory, sizeof(grown[*n].memory), "%s", memory);
				(*n)++;
			}
		}
	}
	return 0;
}

static double part(struct arow *a, int p)
{
	return dvec_median(&a->x->part[p]);
}

static double parts_sum(struct arow *a)
{
	return part(a, PART_DELIVERY) + part(a, PART_SERVICE) + part(a, PART_WAKE);
}

static double matched_share(const struct cell *x)
{
	uint64_t all = x->matched + x->unmatched;

	return all ? (double)x->matched / (double)all : 0;
}

static void write_csv(struct report *r, struct arow *rows, size_t n)
{
	FILE *f = report_open(r, "tables/fault-anatomy.csv");

	if (!f)
		return;
	fprintf(f, "mode,column,memory,vcpus,reps,delivery_p50_us,service_p50_us,wake_p50_us,sum_us,"
		"first_touch_p50_us,matched,unmatched,resumed_first,huge_short\n");
	for (size_t i = 0; i < n; i++) {
		struct arow *a = &rows[i];

		csv_field(f, a->g->col[a->col].mode);
		fputc(',', f);
		csv_field(f, a->g->col[a->col].label);
		fputc(',', f);
		csv_field(f, a->memory);
		fprintf(f, ",%ld,%zu,%.4f,%.4f,%.4f,%.4f,%.4f,%llu,%llu,%llu,%s\n", a->x->vcpus,
			a->x->part[PART_DELIVERY].n, part(a, PART_DELIVERY), part(a, PART_SERVICE),
			part(a, PART_WAKE), parts_sum(a), dvec_median(&a->x->lat[L50]),
			(unsigned long long)a->x->matched, (unsigned long long)a->x->unmatched,
			(unsigned long long)a->x->resumed_first, a->x->huge_short ? "yes" : "no");
	}
	report_close(r, f, "tables/fault-anatomy.csv");
}

static int anatomy_table(struct report *r, struct arow *rows, size_t n, struct table *t)
{
	char a[32];
	unsigned reps_min = UINT32_MAX, reps_max = 0, nfoot = 0;
	bool oversub = false;
	char *foot = NULL;
	size_t flen = 0;
	FILE *ff;
	int rc = table_init(t, 10, 2);

	if (rc)
		return rc;
	table_head(t, 0, "mode");
	table_head(t, 1, "memory");
	table_head(t, 2, "vCPUs");
	table_head(t, 3, "delivery");
	table_head(t, 4, "service");
	table_head(t, 5, "wake");
	table_head(t, 6, "sum");
	table_head(t, 7, "first touch");
	table_head(t, 8, "matched");
	table_head(t, 9, "vCPU ran first");
	for (size_t i = 0; i < n; i++) {
		struct arow *x = &rows[i];
		unsigned reps = (unsigned)x->x->part[PART_DELIVERY].n;

		reps_min = reps < reps_min ? reps : reps_min;
		reps_max = reps > reps_max ? reps : reps_max;
		oversub |= x->x->oversub;
		if ((rc = table_add_row(t)))
			return rc;
		table_set(t, 0, "%s%s", x->g->col[x->col].label, report_cell_mark(x->x));
		table_set(t, 1, "%s", x->memory);
		table_set(t, 2, "%ld%s", x->x->vcpus, x->x->oversub ? "†" : "");
		for (int p = 0; p < NPART; p++)
			table_set(t, 3 + (size_t)p, "%s", report_num(part(x, p), a, sizeof(a)));
		table_set(t, 6, "%s", report_num(parts_sum(x), a, sizeof(a)));
		table_set(t, 7, "%s", report_num(dvec_median(&x->x->lat[L50]), a, sizeof(a)));
		table_set(t, 8, "%.0f %%", matched_share(x->x) * 100);
		table_set(t, 9, "%.0f %%", x->x->matched ?
			  (double)x->x->resumed_first * 100 / (double)x->x->matched : 0);
	}
	report_reps(reps_min, reps_max, a, sizeof(a));
	if (asprintf(&t->caption,
		     "Where a fault's time goes: µs, the median over %s repetitions of each repetition's "
		     "median. delivery: the vCPU's clock read before the access to the handler's "
		     "return from read() with the message; service: from there to the resolve "
		     "ioctl's return; wake: from there to the vCPU running again. sum: the three "
		     "medians added, beside the first-touch median (a sum of medians is not the "
		     "median of sums, but with one vCPU they should be close). matched: the first "
		     "touches split into parts (the rest the kernel filled without a message). vCPU "
		     "ran first: matched faults whose vCPU ran again before the resolve ioctl "
		     "returned; their wake counts 0.%s", a,
		     oversub ? " † more vCPUs than hardware threads." : "") < 0)
		t->caption = NULL;
	/* the markers' footnotes, once per experiment that has one */
	ff = open_memstream(&foot, &flen);
	for (size_t i = 0; ff && i < n; i++) {
		char *s;

		if (i && rows[i].g == rows[i - 1].g)
			continue;
		s = report_lat_foot(rows[i].g);
		if (s)
			fprintf(ff, "%s%s", nfoot++ ? " " : "", s);
		free(s);
	}
	if (ff && !fclose(ff) && nfoot)
		t->foot = foot;
	else
		free(foot);
	t->note = strdup(r->host_line);
	return 0;
}

/* A bar's label, one line per part ("uffd-stock\nwait=spin\nanon 4K\n1 vCPU":
 * long labels side by side would overlap), the memory only when the bars
 * differ in it. Returns its number of lines. */
static unsigned bar_label(struct arow *a, bool memory, char *buf, size_t n)
{
	const char *l = a->g->col[a->col].label;
	unsigned lines = 1;
	size_t off = 0;

	for (; *l && off + 3 < n; l++) {
		if (*l == ' ') {
			buf[off++] = '\\';
			buf[off++] = 'n';
			lines++;
		} else if (*l != '"') {
			buf[off++] = *l;
		}
	}
	buf[off] = '\0';
	if (off < n)
		snprintf(buf + off, n - off, "%s\\n%s%s%ld vCPU%s", report_cell_mark(a->x),
			 memory ? a->memory : "", memory ? "\\n" : "", a->x->vcpus,
			 a->x->vcpus == 1 ? "" : "s");
	return lines + 1 + memory;
}

/* Stacked bars, one per row: delivery, service and wake on top of each
 * other, the first-touch median as a point beside the stack. */
static void anatomy_plot(struct report *r, struct arow *rows, size_t n)
{
	const char *rel = "plots/data/fault-anatomy.dat";
	char vars[4096], titles[1200], label[768];
	unsigned lines = 1;
	bool memory = false;
	FILE *f = report_open(r, rel);

	if (!f)
		return;
	for (size_t i = 1; i < n; i++)
		memory |= strcmp(rows[i].memory, rows[0].memory) != 0;
	fprintf(f, "# where a fault's time goes, µs (medians): label delivery service wake first_touch\n");
	for (size_t i = 0; i < n; i++) {
		struct arow *a = &rows[i];
		unsigned l = bar_label(a, memory, label, sizeof(label));

		lines = l > lines ? l : lines;
		fprintf(f, "\"%s\" %.6g %.6g %.6g %.6g\n", label, part(a, PART_DELIVERY),
			part(a, PART_SERVICE), part(a, PART_WAKE), dvec_median(&a->x->lat[L50]));
	}
	report_close(r, f, rel);
	snprintf(label, sizeof(label), "Where a fault's time goes (medians)%s%s", memory ? "" : ": ",
		 memory || !n ? "" : rows[0].memory);
	report_title_vars(titles, sizeof(titles), label, r->host_short);
	snprintf(vars, sizeof(vars), "nbars=%zu; nlines=%u; %s", n, lines, titles);
	if (report_plot(r, "anatomy", "fault-anatomy", rel, vars))
		report_embed_plot(r, "fault-anatomy", "Where a fault's time goes");
	else
		report_plot_failed(r, "Where a fault's time goes");
}

static void anatomy_section(struct report *r, struct group *g)
{
	struct arow *rows;
	struct table t;
	size_t n;

	(void)g; /* once per set */
	fprintf(r->md, "## Where a fault's time goes\n\n");
	fprintf(r->html, "<h2>Where a fault's time goes</h2>\n");
	if (collect(r, &rows, &n)) {
		free(rows);
		if (!r->rc) {
			fb_errf(r->err, "out of memory");
			r->rc = -ENOMEM;
		}
		return;
	}
	write_csv(r, rows, n);
	if (!anatomy_table(r, rows, n, &t))
		report_emit_table(r, &t, "fault-anatomy", NULL, NULL);
	table_free(&t);
	anatomy_plot(r, rows, n);
	free(rows);
}

const struct report_kind report_kind_anatomy = {
	.name = "fault-anatomy",
	.scope = REPORT_PER_SET,
	.applies = applies,
	.emit = anatomy_section,
};
