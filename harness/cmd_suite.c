/* `faultbench suite NAME|FILE`: every configuration of a suite, each in a
 * child process (`faultbench run ... --out FILE`), so a configuration that
 * crashes or hangs up to its watchdog costs that configuration only. The
 * index (index.json) is rewritten after each one, so what is done survives
 * even a kill -9 of the runner; Ctrl-C stops after the running child (which
 * gives back huge pages and removes its half-written file itself) and marks
 * the set interrupted. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fb.h"
#include "hugetlb.h"
#include "probe.h"
#include "result.h"
#include "suite.h"

#define INDEX_SCHEMA_NAME "faultbench-suite-index"
#define INDEX_SCHEMA_VERSION 1

static volatile sig_atomic_t stop_sig;
static volatile pid_t child_pid;

/* Record the request and pass it on to the running configuration: a
 * signal sent to the runner alone (kill, CI timeouts) must stop the child
 * too; Ctrl-C on a terminal reaches both anyway. */
static void on_stop(int sig)
{
	pid_t c = child_pid;

	stop_sig = sig;
	if (c > 0)
		kill(c, sig);
}

enum cstate { CS_PENDING, CS_OK, CS_SKIPPED, CS_FAILED, CS_INTERRUPTED };
static const char *const cstate_names[] = { "pending", "ok", "skipped", "failed", "interrupted" };

struct outcome {
	enum cstate state;
	char reason[FB_ERRLEN];
	int exit_code;           /* -1: none (not run, or killed by a signal) */
	double seconds;
	bool has_file;
	double headline_pps;     /* median paging rate, 0 if none */
};

struct runner {
	struct suite s;
	char dir[PATH_MAX];
	char exe[PATH_MAX];
	char started[32], ended[32];
	bool quiet, interactive, default_dir;
	double timeout_s;        /* per configuration; 0: none */
	struct outcome *o;
	json_t *host;
	double t0, cur_t0;
	double weight_ran, secs_ran, weight_left;
	char **cmd_ok;           /* commands known to exist in this binary */
	char **cmd_missing;
	size_t ncmd_ok, ncmd_missing;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void utc_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fmt_dur(double s, char *buf, size_t n)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		if (!c)
			break;
		*p = '/';
	}
	return 0;
}

/* ---- the index ---- */

static json_t *index_json(struct runner *r, const char *state)
{
	json_t *list = json_array(), *counts;
	size_t n[5] = { 0 };

	for (size_t i = 0; i < r->s.nc; i++) {
		const struct suite_config *c = &r->s.c[i];
		const struct outcome *o = &r->o[i];
		json_t *args = json_array(), *e;
		char file[600];

		for (int a = 0; a < c->argc; a++)
			json_array_append_new(args, json_string(c->argv[a]));
		snprintf(file, sizeof(file), "%s.json", c->id);
		e = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o}",
			      "id", c->id,
			      "matrix", c->matrix,
			      "command", c->command,
			      "label", c->label,
			      "args", args,
			      "file", o->has_file ? json_string(file) : json_null(),
			      "state", cstate_names[o->state],
			      "reason", o->reason[0] ? json_string(o->reason) : json_null(),
			      "exit_code", o->exit_code >= 0 ? json_integer(o->exit_code) : json_null(),
			      "seconds", o->state == CS_PENDING ? json_null() : json_real(o->seconds));
		json_array_append_new(list, e);
		n[o->state]++;
	}
	counts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)r->s.nc,
			   "ok", (json_int_t)n[CS_OK], "skipped", (json_int_t)n[CS_SKIPPED],
			   "failed", (json_int_t)n[CS_FAILED], "interrupted", (json_int_t)n[CS_INTERRUPTED],
			   "pending", (json_int_t)n[CS_PENDING]);
	return json_pack("{s:{s:s, s:i}, s:{s:s, s:s}, s:{s:s, s:s, s:o}, s:s, s:s, s:o, s:O, s:o, s:o}",
			 "schema", "name", INDEX_SCHEMA_NAME, "version", INDEX_SCHEMA_VERSION,
			 "tool", "name", "faultbench", "version", FB_VERSION,
			 "suite", "name", r->s.name, "file", r->s.path,
			 "description", r->s.description ? json_string(r->s.description) : json_null(),
			 "state", state,
			 "started", r->started,
			 "ended", r->ended[0] ? json_string(r->ended) : json_null(),
			 "host", r->host,
			 "counts", counts,
			 "configurations", list);
}

static int write_index(struct runner *r, const char *state)
{
	char path[PATH_MAX + 16];
	struct fb_err err = { "" };
	json_t *doc = index_json(r, state);
	int rc;

	if (!doc)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/index.json", r->dir);
	rc = result_write_atomic(doc, path, &err);
	json_decref(doc);
	if (rc)
		fprintf(stderr, "faultbench suite: index: %s\n", err.msg);
	return rc;
}

/* ---- running one configuration ---- */

static void child_signals_default(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Fork and exec argv with stdout and stderr into log ("/dev/null" ok). The
 * stop signals stay blocked until child_pid is set, so a Ctrl-C cannot fall
 * between fork and the runner knowing whom to forward it to. */
static pid_t spawn(char *const argv[], const char *log)
{
	sigset_t stop, old;
	pid_t pid;

	fb_stop_signals(&stop);
	sigprocmask(SIG_BLOCK, &stop, &old);
	pid = fork();
	if (pid == 0) {
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);

		child_signals_default();
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		child_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/* Waits for pid; with tick, redraws the progress line meanwhile; with a
 * timeout (r->timeout_s > 0, configurations only), stops the child with
 * SIGTERM when it runs too long (it gives back its huge pages on the way
 * out), and with SIGKILL if it is still there 10 s later. */
static int wait_child(pid_t pid, int *status, struct runner *r, size_t i,
		      void (*tick)(struct runner *, size_t), bool *timed_out)
{
	double start = now_s(), term_at = 0;
	bool poll_mode = tick || (timed_out && r->timeout_s > 0);

	for (;;) {
		pid_t w = waitpid(pid, status, poll_mode ? WNOHANG : 0);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (w == 0) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			double t = now_s();

			if (timed_out && r->timeout_s > 0 && !term_at && t - start > r->timeout_s) {
				*timed_out = true;
				term_at = t;
				kill(pid, SIGTERM);
			} else if (term_at && t - term_at > 10) {
				kill(pid, SIGKILL);
				term_at = INFINITY;
			}
			if (tick)
				tick(r, i);
			nanosleep(&ts, NULL);
		}
	}
	child_pid = 0;
	return 0;
}

/* Does this binary have `faultbench CMD`? Asked once per command with --help. */
static bool command_exists(struct runner *r, const char *cmd)
{
	char *argv[] = { r->exe, (char *)cmd, (char *)"--help", NULL };
	char ***list;
	size_t *n;
	int status;
	pid_t pid;
	bool ok;

	for (size_t i = 0; i < r->ncmd_ok; i++)
		if (!strcmp(r->cmd_ok[i], cmd))
			return true;
	for (size_t i = 0; i < r->ncmd_missing; i++)
		if (!strcmp(r->cmd_missing[i], cmd))
			return false;
	pid = spawn(argv, "/dev/null");
	ok = pid > 0 && !wait_child(pid, &status, r, 0, NULL, NULL) && WIFEXITED(status) &&
	     WEXITSTATUS(status) == 0;
	list = ok ? &r->cmd_ok : &r->cmd_missing;
	n = ok ? &r->ncmd_ok : &r->ncmd_missing;
	char **grown = realloc(*list, (*n + 1) * sizeof(char *));

	if (grown) {
		*list = grown;
		grown[*n] = strdup(cmd);
		if (grown[*n])
			(*n)++;
	}
	return ok;
}

/* The last non-empty line of a log, for a reason when no result says more. */
static void last_line(const char *log, char *buf, size_t n)
{
	FILE *f = fopen(log, "r");
	char line[1024];

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snprintf(buf, n, "%.*s", (int)n - 1, line);
	}
	fclose(f);
}

static void read_result(const char *path, struct outcome *o)
{
	json_t *doc = json_load_file(path, 0, NULL), *reason, *med;

	o->has_file = doc != NULL;
	if (!doc)
		return;
	reason = json_object_get(json_object_get(doc, "status"), "reason");
	if (json_is_string(reason) && !o->reason[0])
		snprintf(o->reason, sizeof(o->reason), "%s", json_string_value(reason));
	med = json_object_get(json_object_get(json_object_get(doc, "summary"), "paging_rate_pps"),
			      "median");
	if (json_is_number(med))
		o->headline_pps = json_number_value(med);
	json_decref(doc);
}

static void tick(struct runner *r, size_t i);

static void run_one(struct runner *r, size_t i)
{
	const struct suite_config *c = &r->s.c[i];
	struct outcome *o = &r->o[i];
	char out[PATH_MAX], log[PATH_MAX], tail[FB_ERRLEN];
	char **argv;
	double t = now_s();
	int status, a = 0;
	bool is_run = !strcmp(c->command, "run"), timed_out = false;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	o->exit_code = -1;
	if (c->skip_reason) {
		o->state = CS_SKIPPED;
		snprintf(o->reason, sizeof(o->reason), "%s", c->skip_reason);
		return;
	}
	if (!is_run && !command_exists(r, c->command)) {
		o->state = CS_SKIPPED;
		snprintf(o->reason, sizeof(o->reason),
			 "this build of faultbench has no '%s' command", c->command);
		return;
	}
	snprintf(out, sizeof(out), "%s/%s.json", r->dir, c->id);
	snprintf(log, sizeof(log), "%s/%s.log", r->dir, c->id);
	argv = calloc((size_t)c->argc + 6, sizeof(char *));
	if (!argv) {
		o->state = CS_FAILED;
		snprintf(o->reason, sizeof(o->reason), "out of memory");
		return;
	}
	argv[a++] = r->exe;
	argv[a++] = c->command;
	for (int k = 0; k < c->argc; k++)
		argv[a++] = c->argv[k];
	argv[a++] = (char *)"--out";
	argv[a++] = out;
	if (is_run)
		argv[a++] = (char *)"--quiet";
	argv[a] = NULL;

	pid = spawn(argv, log);
	free(argv);
	if (pid < 0 || wait_child(pid, &status, r, i, r->interactive ? tick : NULL, &timed_out)) {
		o->state = CS_FAILED;
		snprintf(o->reason, sizeof(o->reason), "cannot run faultbench: %s", strerror(errno));
		return;
	}
	o->seconds = now_s() - t;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		hugetlb_recover();  /* it could not give its huge pages back */
	last_line(log, tail, sizeof(tail));
	if (timed_out && !stop_sig) {
		o->state = CS_FAILED;
		o->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		snprintf(o->reason, sizeof(o->reason), "timed out after %g s (--timeout)", r->timeout_s);
	} else if (WIFEXITED(status)) {
		o->exit_code = WEXITSTATUS(status);
		switch (o->exit_code) {
		case FB_EXIT_OK:
			o->state = CS_OK;
			break;
		case FB_EXIT_SKIP:
			o->state = CS_SKIPPED;
			break;
		case FB_EXIT_FAIL:
			o->state = CS_FAILED;
			break;
		case FB_EXIT_USAGE:
			o->state = CS_FAILED;
			snprintf(o->reason, sizeof(o->reason), "bad input: %s", tail);
			break;
		default:
			if (stop_sig && o->exit_code >= 128) {
				o->state = CS_INTERRUPTED;
			} else {
				o->state = CS_FAILED;
				snprintf(o->reason, sizeof(o->reason), "exit %d: %s", o->exit_code, tail);
			}
		}
	} else if (WIFSIGNALED(status) && stop_sig) {
		o->state = CS_INTERRUPTED;
	} else {
		o->state = CS_FAILED;
		snprintf(o->reason, sizeof(o->reason), "killed by signal %d (%s)%s%s",
			 WTERMSIG(status), strsignal(WTERMSIG(status)), tail[0] ? ": " : "", tail);
	}
	read_result(out, o);
	if (o->state == CS_OK && !o->has_file) {
		o->state = CS_FAILED;
		snprintf(o->reason, sizeof(o->reason), "exited 0 but wrote no %.400s", out);
	}
	if (o->state == CS_INTERRUPTED && !o->reason[0])
		snprintf(o->reason, sizeof(o->reason), "interrupted by SIG%s",
			 stop_sig == SIGINT ? "INT" : stop_sig == SIGTERM ? "TERM" : "HUP");
	if (!o->reason[0] && o->state != CS_OK)
		snprintf(o->reason, sizeof(o->reason), "%s", tail[0] ? tail : "no reason given");
	/* keep the log only where it explains something */
	if (o->state == CS_OK || o->state == CS_SKIPPED)
		unlink(log);
	if (o->state == CS_OK || o->state == CS_SKIPPED || o->state == CS_FAILED) {
		r->weight_ran += o->state == CS_SKIPPED ? 0 : c->weight;
		r->secs_ran += o->state == CS_SKIPPED ? 0 : o->seconds;
	}
}

/* ---- progress ---- */

static size_t term_cols(void)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static void tick(struct runner *r, size_t i)
{
	char line[512], el[32], eta[32] = "--";
	double elapsed = now_s() - r->t0;
	size_t cols = term_cols();

	fmt_dur(elapsed, el, sizeof(el));
	if (r->weight_ran > 0) {
		/* seconds per unit of weight so far, times what is left,
		 * less what the running configuration has done already */
		double left = r->secs_ran / r->weight_ran * r->weight_left - (now_s() - r->cur_t0);

		fmt_dur(left > 0 ? left : 0, eta, sizeof(eta));
	}
	snprintf(line, sizeof(line), "[%zu/%zu] %s: %s  elapsed %s  ETA %s", i, r->s.nc,
		 r->s.c[i].matrix, r->s.c[i].label, el, eta);
	if (strlen(line) >= cols)
		line[cols - 1] = 0;
	printf("\r\033[K%s", line);
	fflush(stdout);
}

static void report_one(struct runner *r, size_t i)
{
	const struct suite_config *c = &r->s.c[i];
	const struct outcome *o = &r->o[i];
	int w = snprintf(NULL, 0, "%zu", r->s.nc);

	if (r->quiet)
		return;
	if (r->interactive) {
		/* a permanent line only for what needs attention */
		if (o->state == CS_FAILED)
			printf("\r\033[KFAILED %s: %s\n", c->id, o->reason);
		return;
	}
	printf("[%*zu/%zu] %-11s %s", w, i + 1, r->s.nc, cstate_names[o->state], c->id);
	if (o->state == CS_OK && o->headline_pps > 0)
		printf("  %.1f k pages/s", o->headline_pps / 1e3);
	if (o->state != CS_PENDING && o->exit_code >= 0)
		printf("  (%.1f s)", o->seconds);
	if (o->state != CS_OK)
		printf("  %s", o->reason);
	printf("\n");
	fflush(stdout);
}

/* ---- the command ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench suite NAME|FILE [--out DIR] [--quiet] [--list] [--timeout S]\n"
		"\n"
		"Runs every configuration of a suite (bench/suites/NAME.suite: quick, ci, paper)\n"
		"and writes one result JSON per configuration plus index.json into\n"
		"results/NAME-<time>/ (results/latest points there), or into DIR.\n"
		"\n"
		"  --out DIR   write the result set here (results/latest is left alone)\n"
		"  --quiet     print nothing but errors\n"
		"  --list      print the configurations and exit without running them\n"
		"  --timeout S stop a configuration that runs longer than S seconds (failed)\n"
		"\n"
		"On a terminal a progress line shows done/total, the configuration and an ETA;\n"
		"otherwise one line per configuration. Ctrl-C keeps what is done, marks the\n"
		"index interrupted and exits 130.\n"
		"Exit: 0 all ran or were skipped, 1 some failed, 2 bad input, 130 interrupted.\n");
}

static void list_configs(const struct suite *s)
{
	printf("# suite %s (%s): %zu configurations\n", s->name, s->path, s->nc);
	for (size_t i = 0; i < s->nc; i++) {
		const struct suite_config *c = &s->c[i];

		printf("%s\tfaultbench %s", c->id, c->command);
		for (int a = 0; a < c->argc; a++)
			printf(" %s", c->argv[a]);
		if (c->skip_reason)
			printf("\t# skipped: %s", c->skip_reason);
		printf("\n");
	}
}

static int pick_dir(struct runner *r, const char *out, struct fb_err *err)
{
	char stamp[32], idx[PATH_MAX + 16];
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	if (out) {
		snprintf(r->dir, sizeof(r->dir), "%s", out);
		snprintf(idx, sizeof(idx), "%s/index.json", out);
		if (!access(idx, F_OK)) {
			fb_errf(err, "--out %s already holds a result set (index.json); "
				"give a new directory", out);
			return -EEXIST;
		}
	} else {
		localtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		r->default_dir = true;
		for (int k = 1; ; k++) {
			if (k == 1)
				snprintf(r->dir, sizeof(r->dir), "results/%s-%s", r->s.name, stamp);
			else
				snprintf(r->dir, sizeof(r->dir), "results/%s-%s-%d", r->s.name, stamp, k);
			if (access(r->dir, F_OK))
				break;
		}
	}
	rc = mkdir_p(r->dir);
	if (rc)
		fb_errf(err, "%s: cannot create: %s", r->dir, strerror(-rc));
	return rc;
}

/* results/latest -> the new set, replaced atomically. */
static void point_latest(const struct runner *r)
{
	char tmp[64];
	const char *base = strrchr(r->dir, '/');

	snprintf(tmp, sizeof(tmp), "results/.latest.%d", (int)getpid());
	unlink(tmp);
	if (symlink(base ? base + 1 : r->dir, tmp) || rename(tmp, "results/latest")) {
		fprintf(stderr, "faultbench suite: cannot point results/latest at %s: %s\n", r->dir,
			strerror(errno));
		unlink(tmp);
	}
}

int suite_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list", no_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct runner r;
	struct fb_err err = { "" };
	struct sigaction sa;
	const char *out = NULL;
	char path[PATH_MAX], el[32];
	bool list = false;
	size_t n[5] = { 0 };
	ssize_t len;
	int opt, rc, code;

	memset(&r, 0, sizeof(r));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'q':
			r.quiet = true;
			break;
		case 'l':
			list = true;
			break;
		case 't':
			if (fb_parse_double(optarg, 1, 7 * 86400, &r.timeout_s)) {
				fprintf(stderr, "faultbench suite: --timeout: '%s' is not a number of "
					"seconds from 1 to 604800\n", optarg);
				return FB_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return FB_EXIT_OK;
		default:
			fprintf(stderr, "faultbench suite: %s '%s'\n",
				opt == ':' ? "a value is missing after" : "unknown flag", argv[optind - 1]);
			usage(stderr);
			return FB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return FB_EXIT_USAGE;
	}
	if (suite_find(argv[optind], path, sizeof(path), &err) || suite_load(&r.s, path, &err)) {
		fprintf(stderr, "faultbench suite: %s\n", err.msg);
		return FB_EXIT_USAGE;
	}
	if (list) {
		list_configs(&r.s);
		suite_free(&r.s);
		return FB_EXIT_OK;
	}
	len = readlink("/proc/self/exe", r.exe, sizeof(r.exe) - 1);
	if (len <= 0) {
		fprintf(stderr, "faultbench suite: cannot find my own executable: %s\n", strerror(errno));
		suite_free(&r.s);
		return FB_EXIT_FAIL;
	}
	r.exe[len] = 0;
	if (pick_dir(&r, out, &err)) {
		fprintf(stderr, "faultbench suite: %s\n", err.msg);
		suite_free(&r.s);
		return FB_EXIT_USAGE;
	}
	r.o = calloc(r.s.nc, sizeof(*r.o));
	r.host = probe_host_json(probe_host());
	if (!r.o || !r.host) {
		fprintf(stderr, "faultbench suite: out of memory\n");
		suite_free(&r.s);
		return FB_EXIT_FAIL;
	}
	for (size_t i = 0; i < r.s.nc; i++) {
		r.o[i].exit_code = -1;
		r.weight_left += r.s.c[i].skip_reason ? 0 : r.s.c[i].weight;
	}
	r.interactive = !r.quiet && isatty(STDOUT_FILENO);

	/* replaces main()'s handler: stop after the running configuration
	 * instead of exiting at once, so the index can say what happened */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	utc_now(r.started, sizeof(r.started));
	r.t0 = now_s();
	if (!r.quiet)
		printf("suite %s: %zu configuration%s from %s -> %s/\n", r.s.name, r.s.nc,
		       r.s.nc == 1 ? "" : "s", r.s.path, r.dir);
	rc = write_index(&r, "running");
	for (size_t i = 0; i < r.s.nc && !rc && !stop_sig; i++) {
		r.cur_t0 = now_s();
		if (r.interactive)
			tick(&r, i);
		run_one(&r, i);
		r.weight_left -= r.s.c[i].skip_reason ? 0 : r.s.c[i].weight;
		report_one(&r, i);
		n[r.o[i].state]++;
		rc = write_index(&r, "running");
	}
	utc_now(r.ended, sizeof(r.ended));
	if (write_index(&r, stop_sig ? "interrupted" : rc ? "failed" : "complete"))
		rc = -EIO;
	if (r.default_dir)
		point_latest(&r);
	hugetlb_restore_all();

	fmt_dur(now_s() - r.t0, el, sizeof(el));
	if (r.interactive)
		printf("\r\033[K");
	if (!r.quiet) {
		printf("suite %s: %zu ok, %zu skipped, %zu failed", r.s.name, n[CS_OK], n[CS_SKIPPED],
		       n[CS_FAILED]);
		if (stop_sig)
			printf(", interrupted after %zu of %zu", n[CS_OK] + n[CS_SKIPPED] + n[CS_FAILED],
			       r.s.nc);
		printf(" in %s\nresults: %s/ (index.json)\n", el, r.dir);
	}
	if (stop_sig)
		fprintf(stderr, "faultbench suite: interrupted; finished results kept in %s/\n", r.dir);

	code = stop_sig ? (stop_sig == SIGINT ? FB_EXIT_INTR : 128 + stop_sig) :
	       rc ? FB_EXIT_FAIL : n[CS_FAILED] ? FB_EXIT_FAIL : FB_EXIT_OK;
	for (size_t i = 0; i < r.ncmd_ok; i++)
		free(r.cmd_ok[i]);
	for (size_t i = 0; i < r.ncmd_missing; i++)
		free(r.cmd_missing[i]);
	free(r.cmd_ok);
	free(r.cmd_missing);
	json_decref(r.host);
	free(r.o);
	suite_free(&r.s);
	return code;
}
