/* A table of text cells, written as Markdown, LaTeX (booktabs) or HTML.
 * Cells hold UTF-8 text; the LaTeX writer turns – × µ † · into their LaTeX
 * forms and escapes the rest. */
#ifndef FB_TABLE_H
#define FB_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table {
	size_t ncols, nrows;     /* rows after the header */
	char **cell;             /* (nrows + 1) x ncols, row 0 is the header */
	size_t cap;
	unsigned left;           /* the first `left` columns align left, the rest right */
	char *caption;           /* above the table */
	char *note;              /* below it (the host line) */
};

int table_init(struct table *t, size_t ncols, unsigned left);
/* Header cell (row 0) or a cell of the last row added; fmt as printf. */
__attribute__((format(printf, 3, 4))) int table_head(struct table *t, size_t col, const char *fmt, ...);
int table_add_row(struct table *t);
__attribute__((format(printf, 3, 4))) int table_set(struct table *t, size_t col, const char *fmt, ...);
void table_free(struct table *t);

void table_md(const struct table *t, FILE *f);
void table_tex(const struct table *t, FILE *f);
void table_html(const struct table *t, FILE *f);

/* Escapers, for text around the tables. */
void tex_escape(FILE *f, const char *s);
void html_escape(FILE *f, const char *s);
/* A CSV field, quoted when it must be. */
void csv_field(FILE *f, const char *s);

#endif
