/* The destination's end of a postcopy link (postcopy_link.h). faultbench
 * makes both ends of every connection, so nothing is left on the file
 * system, and the source inherits its ends across exec; with --link tcp the
 * connections are real TCP connections over loopback, accepted from a
 * listener that is closed at once. */
#include "postcopy_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"

#define PC_TERM_MS 2000   /* SIGTERM to SIGKILL */

/* Both ends of a TCP connection over loopback: dst ours, src the source's. */
static int tcp_pair(int lis, const struct sockaddr_in *sa, int *dst, int *src)
{
	int one = 1;

	*dst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*dst < 0)
		return -errno;
	if (connect(*dst, (const struct sockaddr *)sa, sizeof(*sa)))
		return -errno;
	/* cppcheck 2.10 takes accept4's NULL address for a bug; NULL: no peer wanted */
	/* cppcheck-suppress nullPointer */
	*src = accept4(lis, NULL, NULL, SOCK_CLOEXEC);
	if (*src < 0)
		return -errno;
	/* a page request or a header must not wait for Nagle */
	if (setsockopt(*dst, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(*src, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return -errno;
	return 0;
}

static int make_conns(struct pc_link *l, const struct fb_config *cfg, int *src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int lis = -1, rc = 0;

	if (cfg->link == LINK_TCP) {
		lis = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lis < 0 || bind(lis, (struct sockaddr *)&sa, sizeof(sa)) ||
		    listen(lis, PC_MAX_CONNS) || getsockname(lis, (struct sockaddr *)&sa, &len))
			rc = -errno;
	}
	for (unsigned i = 0; !rc && i < l->nconns; i++) {
		int sv[2];

		if (cfg->link == LINK_TCP) {
			rc = tcp_pair(lis, &sa, &l->fd[i], &src[i]);
		} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
			rc = -errno;
		} else {
			l->fd[i] = sv[0];
			src[i] = sv[1];
		}
	}
	if (lis >= 0)
		close(lis);
	return rc;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int pc_link_open(struct pc_link *l, const struct fb_config *cfg, const struct pc_hello *hello,
		 struct fb_err *err)
{
	int src[PC_MAX_CONNS], rc;
	char fds[PC_MAX_CONNS][16];
	char *argv[PC_MAX_CONNS + 3] = { "faultbench", "postcopy-source" };
	extern char **environ;

	child_init(&l->src);
	l->nconns = hello->nstream + !!hello->preempt;
	for (unsigned i = 0; i < PC_MAX_CONNS; i++)
		l->fd[i] = src[i] = -1;
	rc = make_conns(l, cfg, src);
	if (rc) {
		fb_errf(err, "postcopy: making the %s connections to the source: %s",
			cfg->link == LINK_TCP ? "TCP (loopback)" : "Unix", strerror(-rc));
		goto out;
	}
	for (unsigned i = 0; i < l->nconns; i++) {
		snprintf(fds[i], sizeof(fds[i]), "%d", src[i]);
		argv[2 + i] = fds[i];
	}
	rc = child_spawn(&l->src, "/proc/self/exe", argv, environ, src, l->nconns, -1);
	if (rc) {
		fb_errf(err, "postcopy: starting the source process: %s", strerror(-rc));
		goto out;
	}
	rc = write_all(l->fd[0], hello, sizeof(*hello));
	if (rc)
		fb_errf(err, "postcopy: sending the settings to the source (pid %d): %s",
			(int)l->src.pid, strerror(-rc));
out:
	for (unsigned i = 0; i < PC_MAX_CONNS; i++)
		if (src[i] >= 0)
			close(src[i]);
	return rc;
}

int pc_link_ctl(struct pc_link *l, uint32_t kind, uint64_t page)
{
	struct pc_ctl c = { .kind = kind, .page = page };

	return write_all(l->fd[0], &c, sizeof(c));
}

int pc_link_close(struct pc_link *l, struct fb_err *err)
{
	char msg[160];
	char how[64];
	bool killed;
	int rc = 0;

	/* EOF on connection 0 ends a source that is done; SIGTERM the rest */
	for (unsigned i = 0; i < l->nconns; i++)
		if (l->fd[i] >= 0)
			shutdown(l->fd[i], SHUT_RDWR);
	if (l->src.pid > 0 && !child_exited(&l->src, 100)) {
		killed = child_stop(&l->src, PC_TERM_MS);
		if (killed) {
			snprintf(msg, sizeof(msg), "postcopy: the source process (pid %d) ignored "
				 "SIGTERM for %.1f s; killed with SIGKILL", (int)l->src.pid,
				 PC_TERM_MS / 1e3);
			fb_err_append(err, msg);
			rc = -ECHILD;
		}
	} else if (l->src.pid > 0 && l->src.reaped &&
		   !(WIFEXITED(l->src.status) && !WEXITSTATUS(l->src.status))) {
		child_say_status(l->src.status, how, sizeof(how));
		snprintf(msg, sizeof(msg), "postcopy: the source process (pid %d) %s",
			 (int)l->src.pid, how);
		fb_err_append(err, msg);
		rc = -ECHILD;
	}
	child_close(&l->src);
	for (unsigned i = 0; i < l->nconns; i++) {
		if (l->fd[i] >= 0)
			close(l->fd[i]);
		l->fd[i] = -1;
	}
	return rc;
}
