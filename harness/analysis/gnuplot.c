/* Running the gnuplot scripts in plots/ for `faultbench report`. */
#include "gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool find_beside_exe(const char *rel, char *out, size_t n)
{
	char exe[PATH_MAX], *slash;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len > 0) {
		exe[len] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			if ((size_t)snprintf(out, n, "%s/%s", exe, rel) < n && !access(out, R_OK))
				return true;
			if ((size_t)snprintf(out, n, "%s/../%s", exe, rel) < n && !access(out, R_OK))
				return true;
		}
	}
	snprintf(out, n, "%s", rel);
	return !access(out, R_OK);
}

static bool in_path(const char *prog, char *out, size_t n)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(prog, '/')) {
		snprintf(out, n, "%s", prog);
		return !access(out, X_OK);
	}
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, prog);
		if (len && !access(buf, X_OK)) {
			snprintf(out, n, "%s", buf);
			return true;
		}
		path += len + (path[len] == ':');
	}
	return false;
}

/* Runs gnuplot with -e vars on script; its stderr comes back in errbuf.
 * Returns the exit status (-1 when it could not run). */
static int gnuplot_exec(const char *gp, const char *vars, const char *script, char *errbuf, size_t n)
{
	int pfd[2], status;
	size_t got = 0;
	ssize_t k;
	pid_t pid;

	errbuf[0] = 0;
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(127);
		if (script)
			execl(gp, "gnuplot", "-e", vars, script, (char *)NULL);
		else
			execl(gp, "gnuplot", "-e", vars, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	while ((k = read(pfd[0], errbuf + got, n - 1 - got)) > 0 || (k < 0 && errno == EINTR)) {
		if (k > 0)
			got += (size_t)k;
		if (got >= n - 1) {
			char sink[512];

			while (read(pfd[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	errbuf[got] = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* gnuplot's stderr minus font-configuration chatter that does not affect the plot. */
static void strip_noise(char *s)
{
	char *out = s, *line = s;

	while (*line) {
		size_t len = strcspn(line, "\n");
		char save = line[len];
		bool noise;

		line[len] = 0;
		noise = !len || strstr(line, "Fontconfig");
		line[len] = save;

		if (!noise) {
			memmove(out, line, len);
			out += len;
			*out++ = '\n';
		}
		line += len + (line[len] == '\n');
	}
	*out = 0;
}

void gnuplot_init(struct gnuplot *g)
{
	const char *env = getenv("FAULTBENCH_GNUPLOT");
	char errbuf[512];

	if (!in_path(env && *env ? env : "gnuplot", g->bin, sizeof(g->bin))) {
		snprintf(g->note, sizeof(g->note),
			 "no plots: gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
		g->bin[0] = 0;
		return;
	}
	if (!find_beside_exe("plots/common.gp", g->dir, sizeof(g->dir))) {
		snprintf(g->note, sizeof(g->note),
			 "no plots: plots/common.gp not found here or beside the executable");
		g->bin[0] = 0;
		return;
	}
	*strrchr(g->dir, '/') = 0;
	if (!gnuplot_exec(g->bin, "set terminal pngcairo", NULL, errbuf, sizeof(errbuf)))
		snprintf(g->png_term, sizeof(g->png_term), "pngcairo");
	else if (!gnuplot_exec(g->bin, "set terminal png", NULL, errbuf, sizeof(errbuf)))
		snprintf(g->png_term, sizeof(g->png_term), "png");
	g->svg = !gnuplot_exec(g->bin, "set terminal svg", NULL, errbuf, sizeof(errbuf));
	if (!g->png_term[0] && !g->svg) {
		snprintf(g->note, sizeof(g->note),
			 "no plots: this gnuplot has neither a PNG (pngcairo, png) nor an SVG terminal");
		g->bin[0] = 0;
	} else if (!g->png_term[0]) {
		snprintf(g->note, sizeof(g->note),
			 "SVG only: this gnuplot has no PNG terminal (pngcairo or png)");
	}
}

/* A gnuplot string literal: single quotes, doubled inside. Caller frees. */
char *gp_quote(const char *s)
{
	char *q = malloc(2 * strlen(s) + 3), *o = q;

	if (!q)
		return NULL;
	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'')
			*o++ = '\'';
		if (*s != '\n')
			*o++ = *s;
	}
	*o++ = '\'';
	*o = 0;
	return q;
}

int gnuplot_plot(const struct gnuplot *g, const char *script, const char *out, const char *datafile,
		 const char *vars, struct fb_err *err)
{
	const char *kinds[2] = { g->png_term[0] ? g->png_term : NULL, g->svg ? "svg" : NULL };
	const char *ext[2] = { "png", "svg" };
	char msg[4096];
	int made = 0, rc = 0;

	for (int k = 0; k < 2; k++) {
		char *sp = NULL, *img = NULL, *all = NULL, *qo = NULL, *qd = NULL, *qp = NULL;
		int st = -1;

		if (!kinds[k])
			continue;
		if (asprintf(&sp, "%s/%s.gp", g->dir, script) < 0)
			sp = NULL;
		if (asprintf(&img, "%s.%s", out, ext[k]) < 0)
			img = NULL;
		qo = img ? gp_quote(img) : NULL;
		qd = gp_quote(datafile);
		qp = gp_quote(g->dir);
		if (sp && qo && qd && qp &&
		    asprintf(&all, "termkind='%s'; outfile=%s; plotdir=%s; datafile=%s; %s", kinds[k],
			     qo, qp, qd, vars) < 0)
			all = NULL;
		if (all) {
			st = gnuplot_exec(g->bin, all, sp, msg, sizeof(msg));
			strip_noise(msg);
		} else {
			snprintf(msg, sizeof(msg), "out of memory");
		}
		if (st || msg[0]) {
			if (!rc)
				fb_errf(err, "gnuplot %s -> %s failed (exit %d): %.400s", sp ? sp : script,
					img ? img : out, st, msg[0] ? msg : "no message");
			rc = -EIO;
		} else {
			made++;
		}
		free(sp);
		free(img);
		free(all);
		free(qo);
		free(qd);
		free(qp);
	}
	return rc ? rc : made;
}
