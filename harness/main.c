/* faultbench: page-fault handling benchmarks with a VMM in the fault path. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dirty.h"
#include "fb.h"
#include "handoff.h"
#include "analysis/export/export.h"
#include "analysis/gate.h"
#include "hugetlb.h"
#include "memfile.h"
#include "postcopy_wire.h"
#include "probe.h"
#include "result.h"
#include "run.h"
#include "analysis/report.h"
#include "analysis/schema.h"
#include "suite.h"
#include "snapshot/snap.h"

int snapshot_main(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench COMMAND [flags]\n"
		"\n"
		"  probe [--json]             what this host can run, mode by mode, and why not\n"
		"  run [flags]                one configuration (faultbench run --help)\n"
		"  validate SCHEMA FILE...    check result files against a JSON schema\n"
		"  wpcost [flags]             cost to write-protect an empty range, four ways (--help)\n"
		"  snapshot [flags]           live snapshot of writing vCPUs, point-in-time verified (--help)\n"
		"  suite NAME|FILE [--out DIR] a suite of configurations (quick, ci, paper)\n"
		"  report [DIR]               tables and plots of a result set [results/latest]\n"
		"  compare A B                two result sets side by side, in Markdown\n"
		"  gate --baseline A --current B   regression verdict between result sets\n"
		"  baseline save NAME [--from DIR] keep a result set as results/baselines/NAME\n"
		"  export --format F DIR...   a result set for Bencher, github-action-benchmark, Otava\n"
		"  handler SOCKET MEMFILE     a uffd handler process: Firecracker's handshake on\n"
		"                             SOCKET, pages from MEMFILE (--handler process)\n"
		"\n"
		"Exit: 0 ok, 1 failed, 2 bad input, 77 skipped.\n");
}

/* The temporary memory file and the handler's socket (async-signal-safe). */
static void remove_tmp_files(void)
{
	char *image = memfile_tmp_path, *sink = snap_sink_tmp_path;
	pid_t child = snap_child_pid;

	if (image)
		unlink(image);
	/* faultbench snapshot: a half-written sink file, a fork child */
	if (sink)
		unlink(sink);
	if (child > 0)
		kill(child, SIGKILL);
	hproc_signal_cleanup();
}

/* During a run, the first signal asks the engine to stop and write what
 * it has (run.h). Otherwise, or the second time: restore what we changed,
 * remove a half-written result, and go. */
static void on_signal(int sig)
{
	static const char msg[] = "faultbench: interrupted; huge pages given back\n";
	static const char soft[] = "faultbench: stopping; finished repetitions are kept "
				   "(signal again to quit at once)\n";
	char *tmp = result_tmp_path;

	if (run_stop_armed && !run_stop_sig) {
		run_stop_sig = sig;
		(void)!write(STDERR_FILENO, soft, sizeof(soft) - 1);
		return;
	}
	hugetlb_restore_all();
	if (tmp)
		unlink(tmp);
	remove_tmp_files();
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(FB_EXIT_INTR);
	_exit(sig == SIGINT ? FB_EXIT_INTR : 128 + sig);
}

/* A crash still gives the huge pages back, then dies as it would have. */
static void on_fatal(int sig)
{
	char *tmp = result_tmp_path;

	hugetlb_restore_all();
	if (tmp)
		unlink(tmp);
	remove_tmp_files();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int validate_main(int argc, char **argv)
{
	char err[1024];
	int bad = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: faultbench validate SCHEMA FILE...\n");
		return FB_EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (schema_validate_files(argv[1], argv[i], err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", argv[i], err);
			bad = 1;
		}
	}
	return bad ? FB_EXIT_USAGE : FB_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* SA_RESETHAND: a second fault inside the handler kills at once */
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? FB_EXIT_USAGE : FB_EXIT_OK;
	}
	/* what a run killed with SIGKILL could not give back (hugetlb.h) */
	if (geteuid() == 0 && (!strcmp(argv[1], "run") || !strcmp(argv[1], "suite") ||
			       !strcmp(argv[1], "snapshot") ||
			       !strcmp(argv[1], "probe")))
		hugetlb_recover();
	if (!strcmp(argv[1], "probe"))
		return probe_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return run_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "validate"))
		return validate_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "wpcost"))
		return wpcost_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "snapshot"))
		return snapshot_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "suite"))
		return suite_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "compare"))
		return compare_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gate"))
		return gate_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "baseline"))
		return baseline_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export"))
		return export_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "handler"))
		return handler_cmd_main(argc - 1, argv + 1);
	/* not in the usage: faultbench starts it, with its ends of the connections */
	if (!strcmp(argv[1], "postcopy-source"))
		return postcopy_source_main(argc - 1, argv + 1);
	fprintf(stderr, "faultbench: unknown command '%s'; accepted: probe, run, validate, wpcost, snapshot, suite, report, compare, gate, baseline, export, handler\n", argv[1]);
	return FB_EXIT_USAGE;
}
