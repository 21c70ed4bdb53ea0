/* `faultbench report [DIR]` and `faultbench compare A B`. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

/* results/latest is a symlink that the next suite moves: report the set
 * by its own name, relative to here when it is below here. */
static const char *resolve(const char *dir, char *buf, size_t n)
{
	char real[PATH_MAX], cwd[PATH_MAX];
	struct stat st;
	size_t len;

	if (lstat(dir, &st) || !S_ISLNK(st.st_mode) || !realpath(dir, real))
		return dir;
	len = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
	if (len && !strncmp(real, cwd, len) && real[len] == '/')
		snprintf(buf, n, "%s", real + len + 1);
	else
		snprintf(buf, n, "%s", real);
	return buf;
}

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench report [DIR] [--out DIR2] [--quiet]\n"
		"\n"
		"Tables (Markdown, LaTeX booktabs, CSV) and gnuplot plots (PNG, SVG) of the\n"
		"result set in DIR [results/latest], written to DIR/report/ (or DIR2), with\n"
		"index.md and index.html linking all of them. Every result file is checked\n"
		"against results/schema.json first. Plot scripts: plots/*.gp.\n"
		"Exit: 0 ok, 1 a plot or file could not be made, 2 bad input.\n");
}

int report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = "results/latest", *out = NULL;
	char outdir[PATH_MAX], resolved[PATH_MAX];
	struct fb_err err = { "" };
	struct rset s;
	bool quiet = false;
	int opt, rc;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			report_usage(stdout);
			return FB_EXIT_OK;
		default:
			fprintf(stderr, "faultbench report: %s '%s'\n",
				opt == ':' ? "a value is missing after" : "unknown flag", argv[optind - 1]);
			report_usage(stderr);
			return FB_EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		report_usage(stderr);
		return FB_EXIT_USAGE;
	}
	if (optind == argc - 1)
		dir = argv[optind];
	dir = resolve(dir, resolved, sizeof(resolved));
	if (rset_load(&s, dir, &err)) {
		fprintf(stderr, "faultbench report: %s\n", err.msg);
		return FB_EXIT_USAGE;
	}
	if ((size_t)snprintf(outdir, sizeof(outdir), "%s%s", out ? out : s.dir,
			     out ? "" : "/report") >= sizeof(outdir)) {
		fprintf(stderr, "faultbench report: %s: path too long\n", s.dir);
		rset_free(&s);
		return FB_EXIT_USAGE;
	}
	rc = report_write(&s, outdir, quiet, &err);
	if (rc)
		fprintf(stderr, "faultbench report: %s\n", err.msg);
	rset_free(&s);
	return rc == -EINVAL ? FB_EXIT_USAGE : rc ? FB_EXIT_FAIL : FB_EXIT_OK;
}

int compare_main(int argc, char **argv)
{
	struct fb_err err = { "" };
	struct rset a, b;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: faultbench compare A B\n\n"
		       "Two result sets (directories) side by side, configuration by configuration,\n"
		       "with the change in %%, as Markdown on stdout. Exit: 0 ok, 2 bad input.\n");
		return FB_EXIT_OK;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: faultbench compare A B\n");
		return FB_EXIT_USAGE;
	}
	if (rset_load(&a, argv[1], &err)) {
		fprintf(stderr, "faultbench compare: %s\n", err.msg);
		return FB_EXIT_USAGE;
	}
	if (rset_load(&b, argv[2], &err)) {
		fprintf(stderr, "faultbench compare: %s\n", err.msg);
		rset_free(&a);
		return FB_EXIT_USAGE;
	}
	rc = compare_write(stdout, &a, &b);
	if (rc)
		fprintf(stderr, "faultbench compare: out of memory\n");
	rset_free(&a);
	rset_free(&b);
	return rc ? FB_EXIT_FAIL : FB_EXIT_OK;
}
