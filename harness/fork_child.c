#include "fork_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timing.h"
#include "touch.h"
#include "uffd.h"

/* Every word: the image's, or a vCPU's marker where the parent wrote the
 * page before the fork. Async-signal-safe: reads, compares, one write. */
static __attribute__((noreturn)) void child_main(const struct fork_child *fc, int wfd, pid_t parent)
{
	const struct touch_words tw = touch_words(fc->cfg->touch, fc->cfg->access, fc->wpp);
	bool writes = fc->cfg->access != ACCESS_READ;
	struct fork_report fr = { 0 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(3);
	for (uint64_t i = 0; i < fc->pages; i++) {
		uint64_t p = i * fc->stride;
		const volatile uint64_t *w = (const volatile uint64_t *)(fc->base + p * fc->ps);

		for (uint64_t k = 0; k < fc->wpp; k++) {
			uint64_t v = w[k], want = image_word(fc->img, p, k);

			if (v == want || (writes && touch_writes(&tw, k) && v == touch_marker(p, k)))
				continue;
			if (!fr.bad++) {
				fr.first_bad = p;
				fr.word = k;
				fr.want = want;
				fr.found = v;
			}
			break;
		}
		fr.checked++;
	}
	if (write(wfd, &fr, sizeof(fr)) != (ssize_t)sizeof(fr))
		_exit(4);
	_exit(fr.bad ? 1 : 0);
}

int fork_child_start(struct fork_child *fc)
{
	int pfd[2];
	pid_t parent = getpid();

	fc->status = -1;
	fc->rfd = -1;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fc->pid = fork();
	if (fc->pid == 0) {
		close(pfd[0]);
		child_main(fc, pfd[1], parent);
	}
	close(pfd[1]);
	if (fc->pid < 0) {
		int e = errno;

		close(pfd[0]);
		return -e;
	}
	fc->rfd = pfd[0];
	return 0;
}

/* One fault of the child's: COPY from the image, or ZEROPAGE. */
static int serve_fault(struct fork_child *fc, int cu, uint64_t addr)
{
	uint64_t a = addr & ~(fc->ps - 1), pg, src;
	int rc;

	if (a < (uintptr_t)fc->base || a >= (uintptr_t)fc->base + fc->served_pages * fc->ps) {
		snprintf(fc->why, sizeof(fc->why), "the child faulted at 0x%llx, outside the slices",
			 (unsigned long long)a);
		return -EFAULT;
	}
	pg = (a - (uintptr_t)fc->base) / fc->ps;
	/* --inject corrupt-copy reaches the child's pages too */
	src = pg + (fc->cfg->inject == INJECT_CORRUPT_COPY && pg == fc->cfg->inject_page);
	if (image_is_zero(fc->img, src) && (fc->range_ioctls & (1ULL << _UFFDIO_ZEROPAGE)))
		rc = uffd_zeropage(cu, &fc->c, a, fc->ps, false);
	else
		rc = uffd_copy(cu, &fc->c, a, image_pool_page(&fc->pool, fc->img, src), fc->ps, false);
	if (rc)
		snprintf(fc->why, sizeof(fc->why), "resolving the child's page %llu failed: %s",
			 (unsigned long long)pg, strerror(-rc));
	return rc;
}

/* Until the report: the child's faults, then its report's bytes. */
static int serve(struct fork_child *fc, int cu, uint64_t deadline)
{
	struct uffd_msg msgs[16];
	size_t got = 0;

	for (;;) {
		struct pollfd p[2] = { { .fd = cu, .events = POLLIN }, { .fd = fc->rfd, .events = POLLIN } };
		int n = poll(p, 2, 50), rc;

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (p[0].revents & POLLIN)) {
			ssize_t r = read(cu, msgs, sizeof(msgs));

			for (size_t i = 0; r > 0 && i < (size_t)r / sizeof(msgs[0]); i++) {
				if (msgs[i].event != UFFD_EVENT_PAGEFAULT) {
					fc->c.uffd_events++;
					continue;
				}
				fc->c.uffd_msgs++;
				rc = serve_fault(fc, cu, msgs[i].arg.pagefault.address);
				if (rc)
					return rc;
			}
		}
		if (n > 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			ssize_t r = read(fc->rfd, (char *)&fc->fr + got, sizeof(fc->fr) - got);

			if (r > 0)
				got += (size_t)r;
			if (got == sizeof(fc->fr)) {
				fc->fr_ok = true;
				return 0;
			}
			if (r == 0) {
				snprintf(fc->why, sizeof(fc->why), "the child exited without its report");
				return -EPIPE;
			}
		}
		if (atomic_load(fc->stop)) {
			snprintf(fc->why, sizeof(fc->why), "stopped before the child finished");
			return -ECANCELED;
		}
		if (fb_mono_ns() > deadline) {
			snprintf(fc->why, sizeof(fc->why), "the child did not finish within --fault-timeout "
				 "(%llu of its faults resolved)",
				 (unsigned long long)(fc->c.pages_copied + fc->c.pages_zeroed));
			return -ETIMEDOUT;
		}
	}
}

int fork_child_finish(struct fork_child *fc, int cu, uint64_t deadline)
{
	int rc = cu >= 0 ? serve(fc, cu, deadline) : -ECANCELED, status = -1;

	/* never left behind: a child that failed or hangs is killed */
	if (rc)
		kill(fc->pid, SIGKILL);
	while (waitpid(fc->pid, &status, 0) < 0 && errno == EINTR)
		;
	fc->status = status;
	close(fc->rfd);
	fc->rfd = -1;
	return rc;
}
