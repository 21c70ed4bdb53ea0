/* --handler process: the uffd's handler is a process of its own,
 * `faultbench handler SOCKET MEMFILE` (cmd_handler.c), and gets the uffd as
 * a snapshot-restore handler does, through Firecracker's handshake
 * (handoff.h). faultbench stays the VMM: it created and registered the
 * uffd, keeps the watchdog, and verifies the guest itself.
 *
 * Lifetime, per repetition: start() forks and execs the handler (it dies
 * with faultbench: PR_SET_PDEATHSIG), connects once the socket listens
 * (within --fault-timeout, or the handler is named and stopped), sends the
 * handshake, and waits for the handler to say it serves. A monitor thread
 * mirrors the handler's health into the run for the watchdog and reaps it if
 * it dies. stop() sends SIGTERM, then SIGKILL after HPROC_TERM_MS, always
 * reaps, and brings the counters home from the side channel.
 *
 * --handler-exec CMD: the handler is someone else's program, started as
 * `CMD SOCKET MEMFILE` (CMD split on spaces, no shell). It gets the same
 * handshake and nothing else: no side channel, so no counters and no "serving"
 * signal; the watchdog and verification judge it. It is stopped as a process
 * group, so a wrapper's children go with it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "handoff.h"
#include "memfile.h"
#include "memory.h"
#include "timing.h"
#include "uffd.h"

#define HPROC_TERM_MS 2000      /* SIGTERM to SIGKILL */
#define HPROC_MONITOR_MS 10     /* how often the monitor mirrors the handler's health */

/* The socket's directory and path, for main.c's signal handlers. */
static char sock_dir[PATH_MAX], sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static volatile sig_atomic_t sock_live;

struct hproc {
	struct mode_run *run;
	pid_t pid;
	int pidfd, conn, shm_fd, stop_fd;
	struct handoff_shm *shm;
	pthread_t mon;
	bool mon_started;
	bool reaped;              /* by the monitor: the handler died on its own */
	int status;               /* its wait status, once reaped */
	char who[1536];           /* "handler process `CMD SOCKET MEMFILE`", for messages */
	char file[PATH_MAX];      /* MEMFILE */
};

void hproc_signal_cleanup(void)
{
	if (!sock_live)
		return;
	unlink(sock_path);
	rmdir(sock_dir);
}

/* "exited with status 3", "killed by SIGKILL" */
static void say_status(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "was killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?
			 sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, n, "ended with wait status 0x%x", status);
}

static bool child_exited(struct hproc *hp, int wait_ms)
{
	struct pollfd p = { .fd = hp->pidfd, .events = POLLIN };

	if (poll(&p, 1, wait_ms) <= 0)
		return false;
	if (hp->reaped)
		return true;
	/* the leader is a zombie, so its pgid is still its own: what it
	 * started (a wrapper's children) goes with it */
	kill(-hp->pid, SIGKILL);
	if (waitpid(hp->pid, &hp->status, 0) == hp->pid)
		hp->reaped = true;
	return true;
}

static int make_socket_path(struct fb_err *err)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(sock_dir, sizeof(sock_dir), "%s/faultbench-handler-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");

	if (n < 0 || (size_t)n >= sizeof(sock_dir) || !mkdtemp(sock_dir)) {
		fb_errf(err, "--handler process: cannot make a directory for the socket in %s: %s",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return -EIO;
	}
	n = snprintf(sock_path, sizeof(sock_path), "%s/uffd.sock", sock_dir);
	if (n < 0 || (size_t)n >= sizeof(sock_path)) {
		rmdir(sock_dir);
		fb_errf(err, "--handler process: the socket path in %s is longer than a Unix "
			"socket's %zu bytes; set TMPDIR to a shorter directory", sock_dir,
			sizeof(sock_path) - 1);
		return -ENAMETOOLONG;
	}
	sock_live = 1;
	return 0;
}

static int make_shm(struct hproc *hp, struct uffd_server *s)
{
	const struct fb_config *cfg = s->run->cfg;
	struct handoff_shm *m;

	hp->shm_fd = memfd_create("faultbench-handler", MFD_CLOEXEC);
	if (hp->shm_fd < 0 || ftruncate(hp->shm_fd, sizeof(*m)))
		return -errno;
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, hp->shm_fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	hp->shm = m;
	m->magic = HANDOFF_SHM_MAGIC;
	m->bytes = sizeof(*m);
	m->batch = cfg->batch;
	m->cpu = s->run->handler_cpus ? s->run->handler_cpus[0] : -1;
	m->service_delay_us = cfg->service_delay_us;
	m->test_slowdown_ns = cfg->test_slowdown_ns;
	m->inject = cfg->inject;
	m->inject_page = cfg->inject_page;
	m->copy_wp = s->copy_wp;
	memcpy(m->vcpu_cpus, s->vcpu_cpus, sizeof(m->vcpu_cpus));
	m->clock = fb_clock;
	hist_init(&m->service);
	return 0;
}

/* fork + exec `faultbench handler SOCKET MEMFILE`, the side channel's fd in
 * the environment. Between fork and exec only async-signal-safe calls. */
static int spawn(struct hproc *hp, char *const argv[], const char *prog, struct fb_err *err)
{
	char fdenv[64];
	size_t n = 0;
	char **envp;
	sigset_t none;
	pid_t parent = getpid();
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	while (environ[n])
		n++;
	envp = calloc(n + 2, sizeof(char *));
	if (!envp)
		return -ENOMEM;
	for (size_t i = 0, k = 0; i < n; i++)
		if (strncmp(environ[i], HANDOFF_SHM_ENV "=", sizeof(HANDOFF_SHM_ENV)))
			envp[k++] = environ[i];
	snprintf(fdenv, sizeof(fdenv), "%s=%d", HANDOFF_SHM_ENV, hp->shm_fd);
	for (n = 0; envp[n]; n++)
		;
	if (hp->shm_fd >= 0)
		envp[n] = fdenv;
	sigemptyset(&none);
	sigemptyset(&dfl.sa_mask);
	hp->pid = fork();
	if (hp->pid == 0) {
		/* faultbench's stop handlers restore huge pages: not the child's job */
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		sigaction(SIGHUP, &dfl, NULL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* a terminal's ^C is faultbench's to handle: it stops the handler */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (hp->shm_fd >= 0)
			fcntl(hp->shm_fd, F_SETFD, 0); /* the side channel survives exec */
		if (hp->shm_fd < 0 && hp->run->handler_cpus && hp->run->handler_cpus[0] >= 0) {
			/* our own handler pins itself; a foreign one is placed here */
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET(hp->run->handler_cpus[0], &one);
			sched_setaffinity(0, sizeof(one), &one);
		}
		execve(prog, argv, envp);
		_exit(127);
	}
	free(envp);
	if (hp->pid < 0) {
		fb_errf(err, "%s: fork: %s", hp->who, strerror(errno));
		return -errno;
	}
	hp->pidfd = (int)pidfd_open(hp->pid, 0);
	if (hp->pidfd < 0) {
		int e = errno;

		kill(hp->pid, SIGKILL);
		waitpid(hp->pid, &hp->status, 0);
		hp->reaped = true;
		fb_errf(err, "%s: pidfd_open: %s", hp->who, strerror(e));
		return -e;
	}
	return 0;
}

/* A program named without a slash, found on $PATH as execvp would, but here:
 * between fork and exec only execve is safe. Unfound stays as named, and
 * exec fails with 127. */
static void find_program(const char *name, char *out, size_t n)
{
	const char *path = getenv("PATH"), *p, *end;

	snprintf(out, n, "%s", name);
	if (strchr(name, '/') || !path)
		return;
	for (p = path; *p; p = *end ? end + 1 : end) {
		char cand[PATH_MAX];
		int len;

		end = strchrnul(p, ':');
		len = snprintf(cand, sizeof(cand), "%.*s/%s", end == p ? 1 : (int)(end - p),
			       end == p ? "." : p, name);
		if (len > 0 && (size_t)len < sizeof(cand) && !access(cand, X_OK)) {
			snprintf(out, n, "%s", cand);
			return;
		}
	}
}

/* argv for `CMD SOCKET MEMFILE`: CMD split on spaces, in words (a copy of
 * CMD the argv points into; both freed by the caller). */
static char **exec_argv(const char *cmd, const char *memfile, char **words)
{
	size_t n = 0, k = 0;
	char **argv, *save = NULL;

	*words = strdup(cmd);
	for (const char *p = cmd; *p; p++)
		n += *p == ' ';
	argv = calloc(n + 4, sizeof(char *));
	if (!*words || !argv) {
		free(argv);
		return NULL;
	}
	for (char *w = strtok_r(*words, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[k++] = w;
	argv[k++] = sock_path;
	argv[k++] = (char *)memfile;
	return argv;
}

/* Connect once the handler listens: it must within the fault timeout. */
static int connect_handler(struct hproc *hp, struct fb_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double limit_s = hp->run->cfg->fault_timeout_s;
	uint64_t deadline = fb_mono_ns() + (uint64_t)(limit_s * 1e9);
	char how[64];

	memcpy(sa.sun_path, sock_path, sizeof(sock_path));
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			hp->conn = fd;
			return 0;
		}
		e = errno;
		close(fd);
		if (e != ENOENT && e != ECONNREFUSED) {
			fb_errf(err, "%s: connecting to %s: %s", hp->who, sock_path, strerror(e));
			return -e;
		}
		if (child_exited(hp, 1)) {
			say_status(hp->status, how, sizeof(how));
			fb_errf(err, "%s (pid %d) %s before it listened on its socket%s", hp->who,
				(int)hp->pid, how, WIFEXITED(hp->status) && WEXITSTATUS(hp->status) == 127 ?
				" (127: could it be run?)" : "");
			return -ECHILD;
		}
		if (fb_mono_ns() > deadline) {
			fb_errf(err, "%s (pid %d) did not listen on its socket within %.1f s "
				"(--fault-timeout); stopped", hp->who, (int)hp->pid, limit_s);
			return -ETIMEDOUT;
		}
	}
}

/* Our handler says when it serves (side channel). */
static int wait_ready(struct hproc *hp, struct fb_err *err)
{
	double limit_s = hp->run->cfg->fault_timeout_s;
	uint64_t deadline = fb_mono_ns() + (uint64_t)(limit_s * 1e9);
	char how[64];

	while (!atomic_load_explicit(&hp->shm->ready, memory_order_acquire)) {
		if (child_exited(hp, 1)) {
			say_status(hp->status, how, sizeof(how));
			fb_errf(err, "handler process (pid %d) %s during the handshake", (int)hp->pid, how);
			return -ECHILD;
		}
		if (fb_mono_ns() > deadline) {
			fb_errf(err, "handler process (pid %d) took the handshake but was not serving "
				"within %.1f s (--fault-timeout); stopped", (int)hp->pid, limit_s);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/* The handler's health, into the run's fields the watchdog reads. */
static void mirror(struct hproc *hp)
{
	struct mode_run *r = hp->run;
	int e;
	uint64_t none = 0;

	if (!hp->shm)
		return;  /* a foreign handler: only its death is seen */
	e = atomic_load_explicit(&hp->shm->fatal_errno, memory_order_acquire);
	atomic_store_explicit(&r->last_read_ns,
			      atomic_load_explicit(&hp->shm->last_read_ns, memory_order_relaxed),
			      memory_order_relaxed);
	if (e && atomic_compare_exchange_strong(&r->fatal_page, &none,
						atomic_load(&hp->shm->fatal_page)))
		atomic_store_explicit(&r->fatal_errno, e, memory_order_release);
}

static void *monitor(void *arg)
{
	struct hproc *hp = arg;
	struct pollfd p[2] = { { .fd = hp->pidfd, .events = POLLIN },
			       { .fd = hp->stop_fd, .events = POLLIN } };

	for (;;) {
		int n = poll(p, 2, HPROC_MONITOR_MS);

		mirror(hp);
		if (n > 0 && p[1].revents)
			break;
		if (n > 0 && p[0].revents) {
			child_exited(hp, 0);
			atomic_store_explicit(&hp->run->handlers_alive, 0, memory_order_relaxed);
			break;
		}
	}
	return NULL;
}

/* MEMFILE: the image's file, or (MODE_HANDOFF_GUEST_FILE) the guest
 * memory's own file, by a path any process of ours can open: a MINOR fault
 * is resolved from the page cache of the file the guest maps, so that file,
 * and no copy of it, is what the handler must reach. */
static int memfile_arg(struct hproc *hp, struct fb_err *err)
{
	const struct mode_run *r = hp->run;

	if (r->cfg->mode->flags & MODE_HANDOFF_GUEST_FILE) {
		if (r->gm->fd < 0) {
			fb_errf(err, "--handler process: --backing %s has no file for the handler",
				r->cfg->backing->name);
			return -EINVAL;
		}
		snprintf(hp->file, sizeof(hp->file), "/proc/%d/fd/%d", (int)getpid(), r->gm->fd);
		return 0;
	}
	if (!r->memfile) {
		fb_errf(err, "--handler process: no memory file to serve");
		return -EINVAL;
	}
	snprintf(hp->file, sizeof(hp->file), "%s", r->memfile->path);
	return 0;
}

static int proc_start(struct uffd_server *s, struct fb_err *err)
{
	struct mode_run *r = s->run;
	struct hproc *hp = calloc(1, sizeof(*hp));
	struct handoff_region reg = { .base = (uintptr_t)r->gm->base, .size = r->gm->size,
				      .offset = 0, .page_size = r->cfg->page_size };
	char *payload = NULL;
	int rc;

	if (!hp)
		return -ENOMEM;
	s->tr_state = hp;
	hp->run = r;
	hp->pid = -1;
	hp->pidfd = hp->conn = hp->shm_fd = hp->stop_fd = -1;
	rc = memfile_arg(hp, err);
	if (rc)
		return rc;
	for (unsigned i = 0; r->vcpu_cpus && i < r->cfg->vcpus; i++)
		if (r->vcpu_cpus[i] >= 0 && r->vcpu_cpus[i] < FB_MAX_CPUS)
			s->vcpu_cpus[r->vcpu_cpus[i] / 64] |= 1ULL << (r->vcpu_cpus[i] % 64);
	rc = make_socket_path(err);
	if (rc)
		return rc;
	snprintf(hp->who, sizeof(hp->who), "handler process `%.256s %s %.1024s`",
		 r->cfg->handler_exec ? r->cfg->handler_exec : "faultbench handler", sock_path,
		 hp->file);
	/* a foreign handler knows only the handshake: no side channel */
	rc = r->cfg->handler_exec ? 0 : make_shm(hp, s);
	if (rc) {
		fb_errf(err, "--handler process: shared counters: %s", strerror(-rc));
		return rc;
	}
	hp->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (hp->stop_fd < 0)
		return -errno;
	if (r->cfg->handler_exec) {
		char prog[PATH_MAX], *words = NULL, **argv = exec_argv(r->cfg->handler_exec,
								      hp->file, &words);

		if (!argv) {
			free(words);
			return -ENOMEM;
		}
		find_program(argv[0], prog, sizeof(prog));
		rc = spawn(hp, argv, prog, err);
		free(argv);
		free(words);
	} else {
		char *argv[] = { "faultbench", "handler", sock_path, hp->file, NULL };

		rc = spawn(hp, argv, "/proc/self/exe", err);
	}
	rc = rc ? rc : connect_handler(hp, err);
	if (rc)
		return rc;
	payload = handoff_json(&reg, 1);
	rc = payload ? handoff_send(hp->conn, payload, s->uffds[0]) : -ENOMEM;
	free(payload);
	if (rc) {
		fb_errf(err, "%s: sending the handshake: %s", hp->who, strerror(-rc));
		return rc;
	}
	rc = hp->shm ? wait_ready(hp, err) : 0;
	if (rc)
		return rc;
	atomic_store_explicit(&r->handlers_alive, 1, memory_order_relaxed);
	rc = pthread_create(&hp->mon, NULL, monitor, hp);
	if (rc) {
		fb_errf(err, "--handler process: monitor thread: %s", strerror(rc));
		return -rc;
	}
	hp->mon_started = true;
	return 0;
}

/* SIGTERM, then SIGKILL; reaped either way. True when it took SIGKILL. */
static bool stop_child(struct hproc *hp)
{
	if (hp->pid <= 0 || hp->reaped)
		return false;
	kill(-hp->pid, SIGTERM);
	if (child_exited(hp, HPROC_TERM_MS))
		return false;
	kill(-hp->pid, SIGKILL);
	if (waitpid(hp->pid, &hp->status, 0) == hp->pid)
		hp->reaped = true;
	return true;
}

/* Append to the run's error: a handler that died tells the watchdog's
 * message why. */
static void add_err(struct fb_err *err, const char *what)
{
	size_t len = strlen(err->msg);

	snprintf(err->msg + len, sizeof(err->msg) - len, "%s%s", len ? "; " : "", what);
}

static int proc_stop(struct uffd_server *s)
{
	struct hproc *hp = s->tr_state;
	struct mode_run *r = s->run;
	uint64_t one = 1;
	bool died;
	char how[64], msg[sizeof(hp->who) + 128];
	int rc = 0;

	if (!hp)
		return 0;
	if (hp->mon_started) {
		if (write(hp->stop_fd, &one, sizeof(one)) != sizeof(one))
			perror("faultbench: eventfd write");
		pthread_join(hp->mon, NULL);
	}
	died = hp->reaped && hp->mon_started;
	if (stop_child(hp) && hp->mon_started) {
		/* a handler a VMM cannot stop is a failure of its own */
		snprintf(msg, sizeof(msg), "%.*s (pid %d) ignored SIGTERM for %.1f s; killed with "
			 "SIGKILL", 400, hp->who, (int)hp->pid, HPROC_TERM_MS / 1e3);
		add_err(r->err, msg);
		rc = -ETIMEDOUT;
	}
	if (died) {
		say_status(hp->status, how, sizeof(how));
		snprintf(msg, sizeof(msg), "%.*s (pid %d) %s during the run", 400, hp->who,
			 (int)hp->pid, how);
		add_err(r->err, msg);
		rc = -ECHILD;
	}
	if (hp->shm) {
		/* the handler is gone: its counters are final */
		uffd_counters_add(&r->counters, &hp->shm->c);
		hist_merge(&r->service, &hp->shm->service);
		if (r->handlers_seen && r->cfg->handlers) {
			r->handlers_seen[0] = hp->shm->seen;
			r->handlers_seen[0].cpu = hp->shm->cpu;
		}
		munmap(hp->shm, sizeof(*hp->shm));
	}
	atomic_store_explicit(&r->handlers_alive, 0, memory_order_relaxed);
	if (hp->conn >= 0)
		close(hp->conn);
	if (hp->pidfd >= 0)
		close(hp->pidfd);
	if (hp->shm_fd >= 0)
		close(hp->shm_fd);
	if (hp->stop_fd >= 0)
		close(hp->stop_fd);
	if (sock_live) {
		unlink(sock_path);
		rmdir(sock_dir);
		sock_live = 0;
	}
	free(hp);
	s->tr_state = NULL;
	return rc;
}

const struct handler_transport handler_process = {
	.name = "process",
	.start = proc_start,
	.stop = proc_stop,
};
