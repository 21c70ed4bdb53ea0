/* `faultbench export --format FORMAT DIR...`: a result set's figures for
 * the tools teams already run (export/export.h). Each DIR is loaded as
 * report and gate load it, so every result is schema-checked first. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "report.h"
#include "result.h"

#define COMMIT_MAX 100

static void export_usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench export --format FORMAT [--commit REV]... [--out FILE] DIR...\n"
		"\n"
		"The figures of the result set in DIR, a benchmark per configuration (named by\n"
		"its id: its file's name without .json), on stdout or atomically into FILE.\n"
		"Each measure's value is the median over the measured repetitions, its range\n"
		"their min and max: paging_rate_usable_pps, paging_rate_pps (pages/s),\n"
		"fault_lat_p50_ns, fault_lat_p99_ns (ns).\n"
		"\n");
	for (size_t i = 0; i < export_formats_count; i++)
		fprintf(f, "  %-12s %s\n", export_formats[i]->name, export_formats[i]->help);
	fprintf(f,
		"\n"
		"  --commit REV   otava-csv: the commit column, one per DIR in their order\n"
		"Exit: 0 ok, 1 the output could not be written, 2 bad input.\n");
}

static void format_list(char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < export_formats_count && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", export_formats[i]->name);
}

static const struct export_format *format_find(const char *name)
{
	for (size_t i = 0; i < export_formats_count; i++)
		if (!strcmp(export_formats[i]->name, name))
			return export_formats[i];
	return NULL;
}

/* a commit hash, tag or branch name: nothing CSV or a shell would mangle */
static bool commit_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= COMMIT_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789._/-") == n;
}

/* In time order, sets of the same time in the order given (stable). */
static void sort_by_time(struct export_set *s, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct export_set x = s[i];
		size_t j = i;

		for (; j > 0 && s[j - 1].time > x.time; j--)
			s[j] = s[j - 1];
		s[j] = x;
	}
}

struct emit_ctx {
	const struct export_format *fmt;
	const struct export_set *sets;
	size_t n;
	int rc;
};

static int emit(FILE *f, void *p)
{
	struct emit_ctx *c = p;

	c->rc = c->fmt->write(c->fmt, f, c->sets, c->n);
	return c->rc;
}

int export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "commit", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct export_format *fmt = NULL;
	const char *out = NULL, **commits = calloc((size_t)argc, sizeof(char *));
	struct export_set *sets = NULL;
	struct fb_err err = { "" };
	struct emit_ctx ctx;
	size_t ncommits = 0, nsets = 0, ndirs;
	char names[128];
	int opt, rc = FB_EXIT_USAGE;

	format_list(names, sizeof(names));
	if (!commits) {
		fprintf(stderr, "faultbench export: out of memory\n");
		return FB_EXIT_FAIL;
	}
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			fmt = format_find(optarg);
			if (!fmt) {
				fb_errf(&err, "--format: '%s' is not one of %s", optarg, names);
				goto bad;
			}
			break;
		case 'c':
			if (!commit_ok(optarg)) {
				fb_errf(&err, "--commit: '%s' is not a revision (1 to %d of A-Z a-z 0-9 . _ / -)",
					optarg, COMMIT_MAX);
				goto bad;
			}
			commits[ncommits++] = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			export_usage(stdout);
			free(commits);
			return FB_EXIT_OK;
		case ':':
			fb_errf(&err, "%s needs a value", argv[optind - 1]);
			goto bad;
		default:
			fb_errf(&err, "unknown flag '%s'; see faultbench export --help", argv[optind - 1]);
			goto bad;
		}
	}
	ndirs = (size_t)(argc - optind);
	if (!fmt) {
		fb_errf(&err, "--format is required: one of %s", names);
		goto bad;
	}
	if (!ndirs) {
		fb_errf(&err, "give a result set DIR");
		goto bad;
	}
	if (ndirs > 1 && !fmt->many_sets) {
		fb_errf(&err, "--format %s takes one DIR, not %zu (otava-csv takes several)", fmt->name,
			ndirs);
		goto bad;
	}
	if (ncommits && !fmt->takes_commit) {
		fb_errf(&err, "--commit: --format %s has no commit; otava-csv has", fmt->name);
		goto bad;
	}
	if (ncommits && ncommits != ndirs) {
		fb_errf(&err, "--commit: give one per DIR (%zu DIRs, %zu commits)", ndirs, ncommits);
		goto bad;
	}
	sets = calloc(ndirs, sizeof(*sets));
	if (!sets) {
		fb_errf(&err, "out of memory");
		rc = FB_EXIT_FAIL;
		goto bad;
	}
	/* one set in memory at a time: only its figures are kept */
	for (; nsets < ndirs; nsets++) {
		struct rset rs;
		int r = rset_load(&rs, argv[optind + (int)nsets], &err);

		if (!r) {
			r = export_collect(&rs, &sets[nsets], &err);
			rset_free(&rs);
		}
		sets[nsets].dir = argv[optind + (int)nsets];
		sets[nsets].commit = ncommits ? commits[nsets] : NULL;
		if (r) {
			if (r == -ENOMEM) {
				fb_errf(&err, "%s: out of memory", sets[nsets].dir);
				rc = FB_EXIT_FAIL;
			}
			nsets++;
			goto bad;
		}
	}
	sort_by_time(sets, nsets);
	ctx = (struct emit_ctx){ fmt, sets, nsets, 0 };
	if (out) {
		if (result_write_file_atomic(out, emit, &ctx, &err)) {
			if (ctx.rc == -ENOMEM)
				fb_errf(&err, "out of memory");
			rc = FB_EXIT_FAIL;
			goto bad;
		}
	} else if (emit(stdout, &ctx) || fflush(stdout)) {
		fb_errf(&err, "stdout: %s", ctx.rc == -ENOMEM ? "out of memory" : "write failed");
		rc = FB_EXIT_FAIL;
		goto bad;
	}
	rc = FB_EXIT_OK;
bad:
	if (rc)
		fprintf(stderr, "faultbench export: %s\n", err.msg);
	for (size_t i = 0; i < nsets; i++)
		export_set_free(&sets[i]);
	free(sets);
	free(commits);
	return rc;
}
