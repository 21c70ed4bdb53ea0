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

#include "child.h"
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
	struct child ch;          /* the handler */
	int conn, shm_fd, stop_fd;
	struct handoff_shm *shm;
	pthread_t mon;
	bool mon_started;
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
	if (s->extra) {
		m->role = s->extra->role;
		m->nfds = s->extra->nfds;
		memcpy(m->fds, s->extra->fds, sizeof(m->fds));
	}
	hist_init(&m->service);
	return 0;
}

/* fork + exec the handler, the side channel's fd in the environment
 * (child.h: it dies with faultbench and is always reaped). */
static int spawn(struct hproc *hp, char *const argv[], const char *prog, struct fb_err *err)
{
	char fdenv[64];
	size_t n = 0;
	char **envp;
	int rc, cpu = -1, keep[1 + HANDOFF_MAX_FDS] = { hp->shm_fd };
	unsigned nkeep = hp->shm_fd >= 0;

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
	/* our own handler pins itself; a foreign one is placed here */
	if (hp->shm_fd < 0 && hp->run->handler_cpus && hp->run->handler_cpus[0] >= 0)
		cpu = hp->run->handler_cpus[0];
	/* a mode's own fds, named in the side channel */
	for (unsigned i = 0; hp->shm && i < hp->shm->nfds; i++)
		keep[nkeep++] = hp->shm->fds[i];
	rc = child_spawn(&hp->ch, prog, argv, envp, keep, nkeep, cpu);
	free(envp);
	if (rc)
		fb_errf(err, "%s: %s: %s", hp->who, hp->ch.pid < 0 ? "fork" : "pidfd_open",
			strerror(-rc));
	return rc;
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
		if (child_exited(&hp->ch, 1)) {
			child_say_status(hp->ch.status, how, sizeof(how));
			fb_errf(err, "%s (pid %d) %s before it listened on its socket%s", hp->who,
				(int)hp->ch.pid, how, WIFEXITED(hp->ch.status) && WEXITSTATUS(hp->ch.status) == 127 ?
				" (127: could it be run?)" : "");
			return -ECHILD;
		}
		if (fb_mono_ns() > deadline) {
			fb_errf(err, "%s (pid %d) did not listen on its socket within %.1f s "
				"(--fault-timeout); stopped", hp->who, (int)hp->ch.pid, limit_s);
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
		if (child_exited(&hp->ch, 1)) {
			child_say_status(hp->ch.status, how, sizeof(how));
			fb_errf(err, "handler process (pid %d) %s during the handshake", (int)hp->ch.pid, how);
			return -ECHILD;
		}
		if (fb_mono_ns() > deadline) {
			fb_errf(err, "handler process (pid %d) took the handshake but was not serving "
				"within %.1f s (--fault-timeout); stopped", (int)hp->ch.pid, limit_s);
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
	struct pollfd p[2] = { { .fd = hp->ch.pidfd, .events = POLLIN },
			       { .fd = hp->stop_fd, .events = POLLIN } };

	for (;;) {
		int n = poll(p, 2, HPROC_MONITOR_MS);

		mirror(hp);
		if (n > 0 && p[1].revents)
			break;
		if (n > 0 && p[0].revents) {
			child_exited(&hp->ch, 0);
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
	child_init(&hp->ch);
	hp->conn = hp->shm_fd = hp->stop_fd = -1;
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
	died = hp->ch.reaped && hp->mon_started;
	if (child_stop(&hp->ch, HPROC_TERM_MS) && hp->mon_started) {
		/* a handler a VMM cannot stop is a failure of its own */
		snprintf(msg, sizeof(msg), "%.*s (pid %d) ignored SIGTERM for %.1f s; killed with "
			 "SIGKILL", 400, hp->who, (int)hp->ch.pid, HPROC_TERM_MS / 1e3);
		fb_err_append(r->err, msg);
		rc = -ETIMEDOUT;
	}
	if (died) {
		child_say_status(hp->ch.status, how, sizeof(how));
		snprintf(msg, sizeof(msg), "%.*s (pid %d) %s during the run", 400, hp->who,
			 (int)hp->ch.pid, how);
		fb_err_append(r->err, msg);
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
	child_close(&hp->ch);
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
