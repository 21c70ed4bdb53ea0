/* A minimal snapshot-restore page-fault handler, independent of faultbench
 * (it links nothing of it): what a VMM team's own handler looks like to
 * `faultbench run --handler-exec`. Started as
 *   min_handler [--misbehave KIND] SOCKET MEMFILE
 * it binds and listens on SOCKET, accepts one connection, receives
 * Firecracker's handshake (a JSON array of regions, the uffd in SCM_RIGHTS),
 * maps MEMFILE and resolves each MISSING fault with UFFDIO_COPY from
 * offset + (address - base), until SIGTERM. A MINOR fault (the message's
 * UFFD_PAGEFAULT_FLAG_MINOR: MEMFILE is then the guest's own shared memory
 * file, whose page cache holds the page) is resolved with UFFDIO_CONTINUE.
 *
 * --misbehave, for the tests of how faultbench ends each one:
 *   never-listen  sleeps without binding the socket
 *   die           exits with status 3 after serving 64 faults
 *   wrong-page    copies the page after the right one (the last wraps to 0)
 *   ignore-term   ignores SIGTERM (only SIGKILL ends it)
 *   no-continue   copies on MINOR faults too, as a handler that knows only
 *                 MISSING faults would (the copy finds the page: EEXIST) */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_REGIONS 64
#define MSG_MAX 16384
#define DIE_AFTER 64

struct region {
	uint64_t base, size, offset, page_size;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int fail(const char *what)
{
	fprintf(stderr, "min_handler: %s: %s\n", what, strerror(errno));
	return 1;
}

/* The number after "key": in obj (up to its closing brace). */
static int field(const char *obj, const char *end, const char *key, uint64_t *v)
{
	char pat[64];
	const char *p;
	size_t n = (size_t)snprintf(pat, sizeof(pat), "\"%s\"", key);

	for (p = obj; (p = memmem(p, (size_t)(end - p), pat, n)); p += n) {
		char *e;

		p += n;
		while (*p == ' ' || *p == ':')
			p++;
		*v = strtoull(p, &e, 10);
		return e == p ? -1 : 0;
	}
	return -1;
}

/* Minimal: one object per {...}, the four fields by name. */
static int parse(const char *buf, struct region *r, int max)
{
	int n = 0;

	for (const char *o = strchr(buf, '{'); o && n < max; o = strchr(o, '{')) {
		const char *e = strchr(o, '}');

		if (!e || field(o, e, "base_host_virt_addr", &r[n].base) ||
		    field(o, e, "size", &r[n].size) || field(o, e, "offset", &r[n].offset) ||
		    field(o, e, "page_size", &r[n].page_size) || !r[n].page_size)
			return -1;
		n++;
		o = e;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *bad = "";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct region reg[MAX_REGIONS];
	static char buf[MSG_MAX];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct sigaction sa_term = { .sa_handler = on_term };
	struct cmsghdr *cm;
	struct stat st;
	unsigned long served = 0;
	int ls, conn, uffd = -1, nreg, mfd;
	ssize_t got;
	char *file;

	if (argc == 5 && !strcmp(argv[1], "--misbehave")) {
		bad = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: min_handler [--misbehave never-listen|die|wrong-page|"
			"ignore-term|no-continue] SOCKET MEMFILE\n");
		return 2;
	}
	sigemptyset(&sa_term.sa_mask);
	sigaction(SIGTERM, &sa_term, NULL);
	if (!strcmp(bad, "ignore-term"))
		signal(SIGTERM, SIG_IGN);
	if (!strcmp(bad, "never-listen")) {
		while (!stop)
			pause();
		return 0;
	}
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "min_handler: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1))
		return fail("bind/listen");
	conn = accept(ls, NULL, NULL);
	if (conn < 0)
		return fail("accept");
	got = recvmsg(conn, &mh, 0);
	if (got <= 0)
		return fail("recvmsg");
	buf[got] = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&uffd, CMSG_DATA(cm), sizeof(int));
	nreg = parse(buf, reg, MAX_REGIONS);
	if (uffd < 0 || nreg <= 0) {
		fprintf(stderr, "min_handler: bad handshake (uffd %d): %s\n", uffd, buf);
		return 1;
	}
	mfd = open(argv[2], O_RDONLY);
	if (mfd < 0 || fstat(mfd, &st))
		return fail(argv[2]);
	/* shared: a private map of a hugetlbfs file would reserve huge pages */
	file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, mfd, 0);
	if (file == MAP_FAILED)
		return fail("mmap");

	while (!stop) {
		struct pollfd p = { .fd = uffd, .events = POLLIN };
		struct uffd_msg m;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if (read(uffd, &m, sizeof(m)) != sizeof(m)) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return fail("read uffd");
		}
		if (m.event != UFFD_EVENT_PAGEFAULT)
			continue;
		for (int i = 0; i < nreg; i++) {
			uint64_t a = m.arg.pagefault.address, ps = reg[i].page_size;
			struct uffdio_copy c;
			uint64_t off;

			if (a < reg[i].base || a >= reg[i].base + reg[i].size)
				continue;
			a &= ~(ps - 1);
			off = reg[i].offset + (a - reg[i].base);
			if (!strcmp(bad, "wrong-page"))
				off = off + ps < reg[i].offset + reg[i].size ? off + ps : reg[i].offset;
			if (off + ps > (uint64_t)st.st_size) {
				fprintf(stderr, "min_handler: offset %llu beyond %s\n",
					(unsigned long long)off, argv[2]);
				return 1;
			}
			if ((m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR) &&
			    strcmp(bad, "no-continue")) {
				struct uffdio_continue k = { .range = { .start = a, .len = ps } };

				if (ioctl(uffd, UFFDIO_CONTINUE, &k) && errno != EEXIST)
					return fail("UFFDIO_CONTINUE");
				break;
			}
			c = (struct uffdio_copy){ .dst = a, .src = (uintptr_t)(file + off), .len = ps };
			if (ioctl(uffd, UFFDIO_COPY, &c) && errno != EEXIST)
				return fail("UFFDIO_COPY");
			break;
		}
		if (++served == DIE_AFTER && !strcmp(bad, "die")) {
			fprintf(stderr, "min_handler: dying after %d faults, as told\n", DIE_AFTER);
			_exit(3);
		}
	}
	return 0;
}
