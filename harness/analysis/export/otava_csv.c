/* Apache Otava's CSV input (a test of `type: csv`): a header, then one row
 * per result set in time order: time (UTC, "2026-11-24 20:19:16 +0000"),
 * commit when --commit was given, and a column "<benchmark>.<measure>" per
 * figure any set has. A set without the figure leaves its cell empty; Otava reads every column its test lists as a number, so
 * list only those every row fills. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/table.h"
#include "export.h"

struct column {
	const char *id;
	size_t m;
};

static const struct export_fig *fig_at(const struct export_set *s, const char *id, size_t m)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->b[i].id, id))
			return s->b[i].fig[m].have ? &s->b[i].fig[m] : NULL;
	return NULL;
}

static bool any_has(const struct export_set *sets, size_t n, const char *id, size_t m)
{
	for (size_t s = 0; s < n; s++)
		if (fig_at(&sets[s], id, m))
			return true;
	return false;
}

/* whether id already has its columns */
static bool listed(const struct column *col, size_t ncol, const char *id)
{
	for (size_t k = 0; k < ncol; k++)
		if (!strcmp(col[k].id, id))
			return true;
	return false;
}

static int otava_write(const struct export_format *fmt, FILE *f, const struct export_set *sets,
		       size_t n)
{
	struct column *col = NULL;
	size_t ncol = 0, cap = 0;
	bool commit = false;

	/* the columns: benchmarks as first seen, each with its measures in
	 * their order, where any set has the figure; the same sets give the
	 * same header whatever order they are given in */
	for (size_t s = 0; s < n; s++) {
		commit |= sets[s].commit != NULL;
		for (size_t i = 0; i < sets[s].n; i++) {
			const char *id = sets[s].b[i].id;

			if (listed(col, ncol, id))
				continue;
			for (size_t m = 0; m < EXPORT_NMEASURES; m++) {
				if (!export_wants(fmt, m) || !any_has(sets, n, id, m))
					continue;
				if (ncol == cap) {
					struct column *grown = realloc(col, (cap = cap ? 2 * cap : 64) * sizeof(*col));

					if (!grown) {
						free(col);
						return -ENOMEM;
					}
					col = grown;
				}
				col[ncol++] = (struct column){ id, m };
			}
		}
	}
	fputs("time", f);
	if (commit)
		fputs(",commit", f);
	for (size_t k = 0; k < ncol; k++) {
		char name[1100];

		snprintf(name, sizeof(name), "%s.%s", col[k].id, export_measures[col[k].m].name);
		fputc(',', f);
		csv_field(f, name);
	}
	fputc('\n', f);
	for (size_t s = 0; s < n; s++) {
		char when[64];
		struct tm tm;

		gmtime_r(&sets[s].time, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S +0000", &tm);
		fputs(when, f);
		if (commit) {
			fputc(',', f);
			csv_field(f, sets[s].commit ? sets[s].commit : "");
		}
		for (size_t k = 0; k < ncol; k++) {
			const struct export_fig *x = fig_at(&sets[s], col[k].id, col[k].m);

			fputc(',', f);
			if (x)
				fprintf(f, "%.10g", x->value);
		}
		fputc('\n', f);
	}
	free(col);
	return ferror(f) ? -EIO : 0;
}

const struct export_format export_format_otava_csv = {
	.name = "otava-csv",
	.help = "Apache Otava's CSV: a row per DIR (time, commit, a column per figure)",
	.many_sets = true,
	.takes_commit = true,
	.write = otava_write,
};
