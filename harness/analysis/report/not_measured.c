/* Not measured: every configuration of the set that did not run, with its
 * state and reason (skipped, failed, interrupted, pending). */
#include "kind.h"

#include <string.h>

static void not_measured(struct report *r, struct group *g)
{
	size_t n = 0;
	struct table t;

	(void)g; /* once per set */
	for (size_t i = 0; i < r->s->n; i++)
		n += strcmp(r->s->it[i].state, "ok") != 0;
	fprintf(r->md, "## Not measured\n\n");
	fprintf(r->html, "<h2>Not measured</h2>\n");
	if (!n) {
		fprintf(r->md, "Every configuration ran.\n\n");
		fprintf(r->html, "<p>Every configuration ran.</p>\n");
		return;
	}
	if (table_init(&t, 3, 3))
		return;
	table_head(&t, 0, "configuration");
	table_head(&t, 1, "state");
	table_head(&t, 2, "reason");
	for (size_t i = 0; i < r->s->n; i++) {
		const struct rs_item *it = &r->s->it[i];

		if (!strcmp(it->state, "ok") || table_add_row(&t))
			continue;
		table_set(&t, 0, "%s", it->id);
		table_set(&t, 1, "%s", it->state);
		table_set(&t, 2, "%s", it->reason ? it->reason : "");
	}
	table_md(&t, r->md);
	fputc('\n', r->md);
	table_html(&t, r->html);
	table_free(&t);
}

const struct report_kind report_kind_not_measured = {
	.name = "not-measured",
	.scope = REPORT_PER_SET,
	.emit = not_measured,
};
