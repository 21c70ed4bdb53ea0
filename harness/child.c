/* Start, watch, stop and reap a child process (child.h). */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void child_init(struct child *c)
{
	c->pid = -1;
	c->pidfd = -1;
	c->reaped = false;
	c->status = 0;
}

void child_say_status(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "was killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?
			 sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, n, "ended with wait status 0x%x", status);
}

/* Between fork and exec only async-signal-safe calls. */
int child_spawn(struct child *c, const char *prog, char *const argv[], char *const envp[],
		const int *keep_fds, unsigned nkeep, int cpu)
{
	sigset_t none;
	pid_t parent = getpid();
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	sigemptyset(&none);
	sigemptyset(&dfl.sa_mask);
	c->reaped = false;
	c->pid = fork();
	if (c->pid == 0) {
		/* faultbench's stop handlers restore huge pages: not the child's job */
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		sigaction(SIGHUP, &dfl, NULL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* a terminal's ^C is faultbench's to handle: it stops the child */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		for (unsigned i = 0; i < nkeep; i++)
			fcntl(keep_fds[i], F_SETFD, 0);
		if (cpu >= 0) {
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			sched_setaffinity(0, sizeof(one), &one);
		}
		execve(prog, argv, envp);
		_exit(127);
	}
	if (c->pid < 0) {
		c->pid = -1;
		return -errno;
	}
	c->pidfd = (int)pidfd_open(c->pid, 0);
	if (c->pidfd < 0) {
		int e = errno;

		kill(c->pid, SIGKILL);
		waitpid(c->pid, &c->status, 0);
		c->reaped = true;
		return -e;
	}
	return 0;
}

bool child_exited(struct child *c, int wait_ms)
{
	struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

	if (c->reaped)
		return true;
	if (c->pidfd < 0 || poll(&p, 1, wait_ms) <= 0)
		return false;
	/* the leader is a zombie, so its pgid is still its own: what it
	 * started (a wrapper's children) goes with it */
	kill(-c->pid, SIGKILL);
	if (waitpid(c->pid, &c->status, 0) == c->pid)
		c->reaped = true;
	return true;
}

bool child_stop(struct child *c, int term_ms)
{
	if (c->pid <= 0 || c->reaped)
		return false;
	kill(-c->pid, SIGTERM);
	if (child_exited(c, term_ms))
		return false;
	kill(-c->pid, SIGKILL);
	if (waitpid(c->pid, &c->status, 0) == c->pid)
		c->reaped = true;
	return true;
}

void child_close(struct child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}
