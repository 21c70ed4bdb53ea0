/* A process faultbench starts and must never leave behind: a handler
 * process (hproc.c) or a postcopy source (postcopy_link.c). It dies with
 * faultbench (PR_SET_PDEATHSIG), runs in a process group of its own (a
 * terminal's ^C is faultbench's to handle, and a wrapper's children go with
 * it), is watched through a pidfd, and is always reaped. */
#ifndef FB_CHILD_H
#define FB_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct child {
	pid_t pid;       /* -1: none */
	int pidfd;       /* -1: none */
	bool reaped;
	int status;      /* its wait status, once reaped */
};

void child_init(struct child *c);
/* fork + execve(prog, argv, envp). In the child, before exec: the stop
 * signals back to their defaults, no signal blocked, a process group of its
 * own, SIGKILL when faultbench dies, keep_fds[0..nkeep) inherited across
 * exec, and pinned to `cpu` when cpu >= 0. 0 or -errno (no child then). */
int child_spawn(struct child *c, const char *prog, char *const argv[], char *const envp[],
		const int *keep_fds, unsigned nkeep, int cpu);
/* Has it exited, waiting up to wait_ms? Reaps it (and SIGKILLs its process
 * group) when it has. */
bool child_exited(struct child *c, int wait_ms);
/* SIGTERM to its group, SIGKILL after term_ms; reaped either way. True when
 * it needed SIGKILL. */
bool child_stop(struct child *c, int term_ms);
/* Release the pidfd (after it is reaped or stopped). */
void child_close(struct child *c);
/* "exited with status 3", "was killed by SIGKILL" */
void child_say_status(int status, char *buf, size_t n);

#endif
