#include "table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int table_init(struct table *t, size_t ncols, unsigned left)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->left = left;
	t->cap = 8;
	t->cell = calloc(t->cap * ncols, sizeof(char *));
	return t->cell ? 0 : -ENOMEM;
}

void table_free(struct table *t)
{
	for (size_t i = 0; t->cell && i < (t->nrows + 1) * t->ncols; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t->caption);
	free(t->note);
	memset(t, 0, sizeof(*t));
}

int table_add_row(struct table *t)
{
	if (t->nrows + 2 > t->cap) {
		size_t cap = t->cap * 2;
		char **grown = realloc(t->cell, cap * t->ncols * sizeof(char *));

		if (!grown)
			return -ENOMEM;
		memset(grown + t->cap * t->ncols, 0, (cap - t->cap) * t->ncols * sizeof(char *));
		t->cell = grown;
		t->cap = cap;
	}
	t->nrows++;
	return 0;
}

static int vset(struct table *t, size_t row, size_t col, const char *fmt, va_list ap)
{
	char **c;

	if (col >= t->ncols)
		return -EINVAL;
	c = &t->cell[row * t->ncols + col];
	free(*c);
	return vasprintf(c, fmt, ap) < 0 ? (*c = NULL, -ENOMEM) : 0;
}

int table_head(struct table *t, size_t col, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vset(t, 0, col, fmt, ap);
	va_end(ap);
	return rc;
}

int table_set(struct table *t, size_t col, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vset(t, t->nrows, col, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *cell(const struct table *t, size_t row, size_t col)
{
	const char *c = t->cell[row * t->ncols + col];

	return c ? c : "";
}

static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s != '\n')
			fputc(*s, f);
		else
			fputc(' ', f);
	}
}

void table_md(const struct table *t, FILE *f)
{
	if (t->caption)
		fprintf(f, "%s\n\n", t->caption);
	for (size_t r = 0; r <= t->nrows; r++) {
		fputs("|", f);
		for (size_t c = 0; c < t->ncols; c++) {
			fputc(' ', f);
			md_text(f, cell(t, r, c));
			fputs(" |", f);
		}
		fputc('\n', f);
		if (r == 0) {
			fputs("|", f);
			for (size_t c = 0; c < t->ncols; c++)
				fputs(c < t->left ? "---|" : "---:|", f);
			fputc('\n', f);
		}
	}
	if (t->note)
		fprintf(f, "\n%s\n", t->note);
}

/* UTF-8 sequences the tables use, and their LaTeX. */
static const struct {
	const char *utf8, *tex;
} tex_map[] = {
	{ "\xe2\x80\x93", "--" },            /* – */
	{ "\xc3\x97", "$\\times$" },         /* × */
	{ "\xc2\xb5", "$\\mu$" },            /* µ */
	{ "\xe2\x80\xa0", "$^\\dagger$" },   /* † */
	{ "\xc2\xb7", "$\\cdot$" },          /* · */
	{ "\xe2\x88\x92", "$-$" },           /* − */
	{ "\xe2\x89\xa5", "$\\geq$" },       /* ≥ */
};

void tex_escape(FILE *f, const char *s)
{
	while (*s) {
		size_t k;

		for (k = 0; k < sizeof(tex_map) / sizeof(tex_map[0]); k++) {
			size_t n = strlen(tex_map[k].utf8);

			if (!strncmp(s, tex_map[k].utf8, n)) {
				fputs(tex_map[k].tex, f);
				s += n;
				break;
			}
		}
		if (k < sizeof(tex_map) / sizeof(tex_map[0]))
			continue;
		switch (*s) {
		case '\\':
			fputs("\\textbackslash{}", f);
			break;
		case '~':
			fputs("\\textasciitilde{}", f);
			break;
		case '^':
			fputs("\\textasciicircum{}", f);
			break;
		case '&': case '%': case '$': case '#': case '_': case '{': case '}':
			fputc('\\', f);
			fputc(*s, f);
			break;
		case '\n':
			fputc(' ', f);
			break;
		default:
			fputc(*s, f);
		}
		s++;
	}
}

void table_tex(const struct table *t, FILE *f)
{
	fputs("% needs \\usepackage{booktabs}\n\\begin{table}[htbp]\n\\centering\n", f);
	if (t->caption) {
		fputs("\\caption{", f);
		tex_escape(f, t->caption);
		fputs("}\n", f);
	}
	fputs("\\begin{tabular}{", f);
	for (size_t c = 0; c < t->ncols; c++)
		fputc(c < t->left ? 'l' : 'r', f);
	fputs("}\n\\toprule\n", f);
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				fputs(" & ", f);
			tex_escape(f, cell(t, r, c));
		}
		fputs(" \\\\\n", f);
		if (r == 0)
			fputs("\\midrule\n", f);
	}
	fputs("\\bottomrule\n\\end{tabular}\n", f);
	if (t->note) {
		fputs("\n\\smallskip{\\footnotesize ", f);
		tex_escape(f, t->note);
		fputs("}\n", f);
	}
	fputs("\\end{table}\n", f);
}

void html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void table_html(const struct table *t, FILE *f)
{
	if (t->caption) {
		fputs("<p class=\"caption\">", f);
		html_escape(f, t->caption);
		fputs("</p>\n", f);
	}
	fputs("<table>\n", f);
	for (size_t r = 0; r <= t->nrows; r++) {
		fputs("<tr>", f);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *tag = r ? "td" : "th";

			fprintf(f, "<%s%s>", tag, c < t->left ? "" : " class=\"num\"");
			html_escape(f, cell(t, r, c));
			fprintf(f, "</%s>", tag);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	if (t->note) {
		fputs("<p class=\"note\">", f);
		html_escape(f, t->note);
		fputs("</p>\n", f);
	}
}

void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
