/* fork: at T0 (vCPUs parked) fork() a child, resume; the child saves its
 * copy-on-write view of guest memory to the sink and exits, while the vCPUs
 * keep writing and take COW faults. Runs on the main thread, so the child's
 * PR_SET_PDEATHSIG (which follows the forking thread) fires only when
 * faultbench itself goes.
 *
 * Extra memory: each COW fault gives the parent a new copy and leaves the
 * original to the child alone, so the memory a snapshot adds is the child's
 * private dirty memory (the originals, plus its own stack) and the page
 * tables fork() copied: smaps_rollup Private_Dirty (+ Private_Hugetlb on
 * hugetlb) + status VmPTE of the child, sampled by the parent every few ms
 * and by the child once more before it exits. COW faults are the parent's minor faults during the
 * snapshot (getrusage), on hugetlb the huge pages the child held alone
 * at its end; extra bytes / COW faults says what one COW copies (4K; the
 * huge page on hugetlb). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "snapshot/snap.h"
#include "snapshot/writers.h"
#include "timing.h"

volatile pid_t snap_child_pid;

struct fork_data {
	uint64_t fork_ns, cow_faults, child_peak_bytes;
	int child_status;
};

/* "KEY: N kB" in a /proc file, in bytes; open/read only (the child calls it
 * after fork() in a multi-threaded process). 0 when absent. */
static uint64_t proc_bytes(const char *path, const char *key)
{
	char buf[4096];
	const char *at;

	if (fb_read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	at = strstr(buf, key);
	if (!at)
		return 0;
	return strtoull(at + strlen(key), NULL, 10) * 1024;
}

/* hugetlb pages are not in Private_Dirty: a huge page the parent has
 * copied is the child's alone, so Private_Hugetlb counts the originals */
static uint64_t child_extra(const char *dir)
{
	char p1[64], p2[64];

	snprintf(p1, sizeof(p1), "%s/smaps_rollup", dir);
	snprintf(p2, sizeof(p2), "%s/status", dir);
	return proc_bytes(p1, "Private_Dirty:") + proc_bytes(p1, "Private_Hugetlb:") +
	       proc_bytes(p2, "VmPTE:");
}

static __attribute__((noreturn)) void child_main(struct snap_run *r, pid_t parent)
{
	const struct snap_io *io = &r->io;
	const struct snap_config *c = r->cfg;
	int e = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* a terminal's SIGINT reaches the whole group: the parent decides (it
	 * kills this child on a stop), not a copy of its handler here */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (getppid() != parent)
		_exit(3);
	if (c->inject == SNAP_INJECT_KILL_CHILD)
		raise(SIGKILL);
	for (uint64_t p = 0; !e && p < io->bytes / io->page_size; p++)
		if (c->inject != SNAP_INJECT_SAVE_LIVE || p != c->inject_page)
			e = io->save(io->ctx, p, io->base + p * io->page_size);
	atomic_store(&r->ss->child_hugetlb_bytes,
		     proc_bytes("/proc/self/smaps_rollup", "Private_Hugetlb:"));
	atomic_store(&r->ss->child_extra_bytes, child_extra("/proc/self"));
	_exit(e ? 1 : 0);
}

static int fk_take(struct snap_run *r)
{
	const struct snap_io *io = &r->io;
	const struct snap_config *c = r->cfg;
	struct fork_data *fd = r->priv;
	struct rusage ru0, ru1;
	char dir[32];
	pid_t parent = getpid(), pid;
	uint64_t t;
	int e, st = 0;

	e = io->pause(io->ctx);
	if (!e)
		e = io->t0(io->ctx);
	if (e) {
		io->resume(io->ctx);
		return e;
	}
	getrusage(RUSAGE_SELF, &ru0);
	t = fb_mono_ns();
	pid = fork();
	fd->fork_ns = fb_mono_ns() - t;
	if (pid == 0)
		child_main(r, parent);
	io->resume(io->ctx);
	if (pid < 0) {
		snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
		return -errno;
	}
	snap_child_pid = pid;
	if (c->inject == SNAP_INJECT_SAVE_LIVE) {
		writers_wait_round(r->w, c->inject_page, r->cut);
		io->save(io->ctx, c->inject_page, io->base + c->inject_page * io->page_size);
	}
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		struct timespec ts = { 0, 5000000 };

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			e = -errno;
			break;
		}
		/* a graceful stop: the child's copy is of no use now */
		if (run_stop_sig) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			snap_child_pid = 0;   /* reaped: its pid may be anyone's now */
			snprintf(r->why, sizeof(r->why), "the child (pid %d) was killed (SIGKILL) "
				 "and reaped before it saved everything", (int)pid);
			e = -EINTR;
			break;
		}
		io->extra_memory(io->ctx, child_extra(dir));
		nanosleep(&ts, NULL);
	}
	getrusage(RUSAGE_SELF, &ru1);
	snap_child_pid = 0;
	fd->cow_faults = (uint64_t)(ru1.ru_minflt - ru0.ru_minflt);
	/* on hugetlb the minor faults are mostly the harness's own 4K pages
	 * (all COW after fork); the guest's copies are exactly the huge pages
	 * the child held alone when it finished: a page the parent writes
	 * after that is the parent's alone again, reused, not copied */
	if (r->gm.bk->flags & BK_HUGETLB)
		fd->cow_faults = atomic_load(&r->ss->child_hugetlb_bytes) / r->gm.page_size;
	io->extra_memory(io->ctx, atomic_load(&r->ss->child_extra_bytes));
	fd->child_status = st;
	if (e)
		return e;
	/* the child may have finished while the stop was on its way */
	if (run_stop_sig)
		return -EINTR;
	if (WIFSIGNALED(st)) {
		snprintf(r->why, sizeof(r->why), "the fork child (pid %d) was killed by signal %d (%s)",
			 (int)pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
		return -ECHILD;
	}
	if (WEXITSTATUS(st)) {
		snprintf(r->why, sizeof(r->why), "the fork child (pid %d) exited with %d: a save failed",
			 (int)pid, WEXITSTATUS(st));
		return -EIO;
	}
	return 0;
}

static int fk_prepare(struct snap_run *r)
{
	r->priv = calloc(1, sizeof(struct fork_data));
	return r->priv ? 0 : -ENOMEM;
}

/* a child still there (a failed take) is killed and reaped: none is left */
static int fk_cleanup(struct snap_run *r)
{
	pid_t pid = snap_child_pid;

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snap_child_pid = 0;
	}
	free(r->priv);
	r->priv = NULL;
	return 0;
}

static json_t *fk_report(struct snap_run *r)
{
	struct fork_data *fd = r->priv;
	double gib = (double)r->gm.size / (double)FB_GiB;
	/* What one COW copies is known for 4K pages and for hugetlb (a whole
	 * huge page). On THP it is the kernel's choice: since Linux 5.8 the
	 * PMD is split and 4K copied, before it the whole 2M; so no figure
	 * here (null), only the measured extra_bytes_per_cow_fault and
	 * runs[].mapped. */
	uint64_t copy = (r->gm.bk->flags & BK_HUGETLB) ? r->gm.page_size
			: r->gm.page_size == 4096  ? 4096
						   : 0;

	if (!fd)
		return NULL;
	return json_pack("{s:I, s:f, s:I, s:o, s:o, s:f}", "fork_ns", (json_int_t)fd->fork_ns,
			 "fork_ns_per_gib", (double)fd->fork_ns / gib, "cow_faults",
			 (json_int_t)fd->cow_faults, "copy_bytes_per_fault",
			 copy ? json_integer((json_int_t)copy) : json_null(), "cow_bytes",
			 copy ? json_integer((json_int_t)(fd->cow_faults * copy)) : json_null(),
			 "extra_bytes_per_cow_fault",
			 fd->cow_faults ? (double)r->extra_peak_bytes / (double)fd->cow_faults : 0.0);
}

static const char *fk_unsupported(const struct snap_config *c, const struct host_caps *h, char *why,
				  size_t n)
{
	(void)h;
	if (c->run.backing->flags & BK_SHARED) {
		snprintf(why, n, "fork: --backing %s is shared memory: a child's view of it is not "
				 "copy-on-write, so it is no snapshot", c->run.backing->name);
		return why;
	}
	return NULL;
}

const struct snap_strategy snap_fork = {
	.name = "fork",
	.summary = "fork a child at T0 that saves its copy-on-write view; vCPUs take COW faults",
	.needs = "private memory (not a shared backing); on hugetlb, free huge pages for twice the guest",
	.flags = SNAP_ST_COW_COPIES,
	.unsupported = fk_unsupported,
	.prepare = fk_prepare,
	.take = fk_take,
	.cleanup = fk_cleanup,
	.report = fk_report,
};
