/* `faultbench handler SOCKET MEMFILE`: a uffd handler in its own process,
 * as a snapshot-restore handler is (Firecracker's example handlers take the
 * same arguments). It binds and listens on SOCKET, takes one connection,
 * receives the handshake (handoff.h), maps MEMFILE, and serves MISSING
 * faults with UFFDIO_COPY from it, or UFFDIO_ZEROPAGE for pages that are
 * holes in the file. A MINOR fault (the message's UFFD_PAGEFAULT_FLAG_MINOR:
 * the range is registered MINOR, MEMFILE is the guest's own shared memory
 * file and its page cache already holds the page) is resolved with
 * UFFDIO_CONTINUE, which maps the cached page. EEXIST and EAGAIN are handled
 * as the handler threads handle them (uffd_copy(), uffd_continue()). It runs
 * until SIGTERM, SIGINT or SIGHUP, or until the uffd's owner is gone.
 *
 * Started by faultbench (--handler process), it also finds the side channel
 * in $FAULTBENCH_HANDLER_SHM_FD: settings in, counters out. One setting
 * changes how it copies: copy_wp (zero-unreg, where the VMM tracks writes
 * with WP_ASYNC) copies every page with UFFDIO_COPY_MODE_WP, holes too, so
 * each starts clean, as E2B's handler does. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "handoff.h"
#include "postcopy_dest.h"
#include "timing.h"
#include "topo.h"
#include "uffd.h"

struct hstate {
	int uffd;
	struct handoff_region reg[HANDOFF_MAX_REGIONS];
	size_t nreg;
	uint64_t *first_page;      /* [nreg]: index of each region's page 0 in zero_bits */
	uint64_t *zero_bits;       /* pages that are holes in the file */
	const char *file;          /* the mapped file */
	uint64_t file_bytes;
	int zeropage;              /* 1: use ZEROPAGE for holes, 0: not offered, -1: not yet known */
	struct handoff_shm *shm;   /* settings and counters (a local block without the channel) */
};

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static int usage(int argc, char **argv)
{
	if (argc != 3)
		fprintf(stderr, "faultbench handler: takes two arguments, SOCKET and MEMFILE (got %d)\n",
			argc - 1);
	else
		fprintf(stderr, "faultbench handler: SOCKET %s is longer than a Unix socket path's "
			"%zu bytes\n", argv[1], sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	fprintf(stderr, "usage: faultbench handler SOCKET MEMFILE\n"
		"  listens on the Unix stream socket SOCKET for Firecracker's uffd handshake,\n"
		"  then serves the faults from MEMFILE until SIGTERM\n");
	return FB_EXIT_USAGE;
}

/* The side channel, when faultbench passed one; else a private block with
 * the thread handler's defaults. */
static struct handoff_shm *attach_shm(void)
{
	const char *v = getenv(HANDOFF_SHM_ENV);
	struct handoff_shm *m;
	uint64_t fd;

	if (v && !fb_parse_u64(v, 0, INT32_MAX, &fd)) {
		m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
		close((int)fd);
		if (m != MAP_FAILED && m->magic == HANDOFF_SHM_MAGIC && m->bytes == sizeof(*m))
			return m;
		fprintf(stderr, "faultbench handler: $%s=%s is not faultbench's block; ignored\n",
			HANDOFF_SHM_ENV, v);
		if (m != MAP_FAILED)
			munmap(m, sizeof(*m));
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	m->batch = 16;
	m->cpu = -1;
	hist_init(&m->service);
	return m;
}

/* Bind and listen on path, take one connection. The connection's fd, or -1. */
static int accept_one(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), c;

	if (ls < 0) {
		perror("faultbench handler: socket");
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		fprintf(stderr, "faultbench handler: cannot listen on %s: %s\n", path, strerror(errno));
		close(ls);
		return -1;
	}
	do
		/* cppcheck 2.10 takes accept4's NULL address for a bug; NULL: no peer wanted */
		/* cppcheck-suppress nullPointer */
		c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR && !stop_sig);
	if (c < 0 && !stop_sig)
		perror("faultbench handler: accept");
	close(ls);
	unlink(path); /* one connection: nobody else may come */
	return c;
}

/* Pages whose whole extent is a hole in the file read as zeros: they are
 * the image's zero pages, served with ZEROPAGE. Found once, before
 * serving, by walking the file's extents (SEEK_DATA, SEEK_HOLE); where the
 * file system cannot say, every page is copied. */
static void mark_hole(struct hstate *st, size_t i, uint64_t from, uint64_t to)
{
	const struct handoff_region *r = &st->reg[i];
	uint64_t ps = r->page_size;

	/* the pages wholly inside [from, to) */
	for (uint64_t p = (from - r->offset + ps - 1) / ps; p < (to - r->offset) / ps; p++) {
		uint64_t gp = st->first_page[i] + p;

		st->zero_bits[gp >> 6] |= 1ULL << (gp & 63);
	}
}

static int find_holes(struct hstate *st, int fd)
{
	uint64_t pages = 0;

	st->first_page = calloc(st->nreg, sizeof(uint64_t));
	for (size_t i = 0; st->first_page && i < st->nreg; i++) {
		st->first_page[i] = pages;
		pages += st->reg[i].size / st->reg[i].page_size;
	}
	st->zero_bits = calloc((pages + 63) / 64 + 1, sizeof(uint64_t));
	if (!st->first_page || !st->zero_bits)
		return -ENOMEM;
	for (size_t i = 0; i < st->nreg; i++) {
		uint64_t pos = st->reg[i].offset, end = pos + st->reg[i].size;

		while (pos < end) {
			off_t data = lseek(fd, (off_t)pos, SEEK_DATA), hole;

			if (data < 0 && errno != ENXIO)
				return 0; /* no SEEK_DATA here */
			if (data < 0 || (uint64_t)data > end)
				data = (off_t)end; /* ENXIO: a hole to the end of the file */
			mark_hole(st, i, pos, (uint64_t)data);
			if ((uint64_t)data >= end)
				break;
			hole = lseek(fd, data, SEEK_HOLE);
			pos = hole < 0 ? end : (uint64_t)hole;
		}
	}
	return 0;
}

static void note_fatal(struct handoff_shm *m, uint64_t page, int e)
{
	uint64_t none = 0;

	if (atomic_compare_exchange_strong(&m->fatal_page, &none, page + 1))
		atomic_store_explicit(&m->fatal_errno, e, memory_order_release);
}

/* Resolve the fault at addr (MINOR: map the cached page). 0, -ECANCELED
 * (--inject kill-handler: exit), or -errno (counted; the run fails). No
 * allocation, no output. */
static int serve(struct hstate *st, uint64_t addr, bool minor, uint64_t *gpage)
{
	struct handoff_shm *m = st->shm;
	struct mode_counters *c = &m->c;
	const struct handoff_region *r = NULL;
	uint64_t ps, dst, page, src_page, src_off, gsrc;
	size_t i;
	int rc;

	for (i = 0; i < st->nreg && !r; i++)
		if (addr >= st->reg[i].base && addr - st->reg[i].base < st->reg[i].size)
			r = &st->reg[i];
	if (!r)
		return -EFAULT;
	ps = r->page_size;
	dst = addr & ~(ps - 1);
	page = src_page = (dst - r->base) / ps;
	*gpage = st->first_page[i - 1] + page;
	if (m->inject != INJECT_NONE && i == 1 && page == m->inject_page) {
		if (m->inject == INJECT_DROP_COPY)
			return 0;
		if (m->inject == INJECT_KILL_HANDLER)
			return -ECANCELED;
		if (m->inject == INJECT_CORRUPT_COPY)
			src_page = (page + 1) % (r->size / ps);
	}
	if (minor) {
		/* --inject corrupt-copy: faultbench put the wrong page in the cache */
		rc = uffd_continue_fd(st->uffd, c, dst, ps);
		if (rc >= 0 && m->inject == INJECT_DUPLICATE_COPY && i == 1 && page == m->inject_page)
			rc = uffd_continue_fd(st->uffd, c, dst, ps);
		return rc < 0 ? rc : 0;
	}
	src_off = r->offset + src_page * ps;
	if (src_off + ps > st->file_bytes)
		return -ERANGE;
	gsrc = st->first_page[i - 1] + src_page;
	if (m->copy_wp) {
		/* no ZEROPAGE_MODE_WP: a hole's zeros are copied (a zero page
		 * faults only if the VMM left it registered MISSING) */
		rc = uffd_copy_wp(st->uffd, c, dst, (uintptr_t)(st->file + src_off), ps);
		if (!rc && m->inject == INJECT_DUPLICATE_COPY && i == 1 && page == m->inject_page)
			rc = uffd_copy_wp(st->uffd, c, dst, (uintptr_t)(st->file + src_off), ps);
		return rc;
	}
	if (st->zeropage && (st->zero_bits[gsrc >> 6] >> (gsrc & 63)) & 1) {
		struct mode_counters before = *c; /* a few words, on the stack */

		rc = uffd_zeropage(st->uffd, c, dst, ps, false);
		if (rc != -EINVAL || st->zeropage > 0) {
			st->zeropage = 1;
			return rc;
		}
		/* the range offers no ZEROPAGE (hugetlb): this try does not count */
		*c = before;
		st->zeropage = 0;
	}
	rc = uffd_copy(st->uffd, c, dst, (uintptr_t)(st->file + src_off), ps, false);
	if (!rc && m->inject == INJECT_DUPLICATE_COPY && i == 1 && page == m->inject_page)
		rc = uffd_copy(st->uffd, c, dst, (uintptr_t)(st->file + src_off), ps, false);
	return rc;
}

static int serve_loop(struct hstate *st, struct uffd_msg *msgs, const sigset_t *wait_mask)
{
	struct handoff_shm *m = st->shm;
	struct pollfd p = { .fd = st->uffd, .events = POLLIN };

	while (!stop_sig) {
		ssize_t n;

		if (ppoll(&p, 1, NULL, wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			return 0; /* the uffd's owner is gone */
		n = read(st->uffd, msgs, sizeof(*msgs) * m->batch);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				m->c.empty_reads += errno == EAGAIN;
				continue;
			}
			return -errno;
		}
		m->c.reads++;
		handler_seen_note(&m->seen, m->vcpu_cpus);
		atomic_store_explicit(&m->last_read_ns, fb_mono_ns(), memory_order_relaxed);
		for (size_t k = 0; k < (size_t)n / sizeof(*msgs); k++) {
			uint64_t t0 = fb_ticks(), gpage = UINT64_MAX - 1;
			int rc;

			if (msgs[k].event != UFFD_EVENT_PAGEFAULT) {
				m->c.uffd_events++;
				continue;
			}
			m->c.uffd_msgs++;
			uffd_service_wait(m->service_delay_us, m->test_slowdown_ns);
			rc = serve(st, msgs[k].arg.pagefault.address,
				   msgs[k].arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR, &gpage);
			if (rc == -ECANCELED)
				return rc;
			if (rc)
				note_fatal(m, gpage, -rc);
			hist_add(&m->service, fb_ticks_ns(fb_ticks() - t0));
		}
	}
	return 0;
}

/* Receive the handshake and map what it describes. 0 or -1 (said why). */
static int take_handshake(struct hstate *st, int conn, int fd, const char *memfile)
{
	static char buf[HANDOFF_MSG_MAX];
	struct fb_err err = { "" };
	struct stat sb;
	size_t len;
	int rc = handoff_recv(conn, buf, sizeof(buf), &len, &st->uffd);

	if (rc == -EINTR && stop_sig)
		return -1;
	if (rc || st->uffd < 0) {
		fprintf(stderr, "faultbench handler: handshake: %s\n",
			rc ? strerror(-rc) : "no uffd came with the message (SCM_RIGHTS)");
		return -1;
	}
	if (handoff_parse(buf, len, st->reg, HANDOFF_MAX_REGIONS, &st->nreg, &err)) {
		fprintf(stderr, "faultbench handler: %s\n", err.msg);
		return -1;
	}
	if (fstat(fd, &sb) || !sb.st_size) {
		fprintf(stderr, "faultbench handler: %s is empty or unreadable\n", memfile);
		return -1;
	}
	st->file_bytes = (uint64_t)sb.st_size;
	for (size_t i = 0; i < st->nreg; i++) {
		if (st->reg[i].offset + st->reg[i].size > st->file_bytes) {
			fprintf(stderr, "faultbench handler: region %zu ends at %llu, past the end of "
				"%s (%llu bytes)\n", i,
				(unsigned long long)(st->reg[i].offset + st->reg[i].size), memfile,
				(unsigned long long)st->file_bytes);
			return -1;
		}
	}
	/* shared: a private map of a hugetlbfs file (the guest's own, for MINOR
	 * faults) would reserve huge pages of its own */
	st->file = mmap(NULL, st->file_bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (st->file == MAP_FAILED) {
		fprintf(stderr, "faultbench handler: mmap %s: %s\n", memfile, strerror(errno));
		return -1;
	}
	if (find_holes(st, fd)) {
		fprintf(stderr, "faultbench handler: no memory for the zero map\n");
		return -1;
	}
	return 0;
}

/* Test-only: $FAULTBENCH_TEST_HANDLER_STALL makes the handler start and
 * never listen, so tests can see faultbench give up on it. */
static void test_stall(void)
{
	if (!getenv("FAULTBENCH_TEST_HANDLER_STALL"))
		return;
	while (!stop_sig)
		pause();
}

/* Listen, take the handshake, serve until stopped: the exit code. */
static int run_handler(struct hstate *st, struct uffd_msg *msgs, char **argv, int fd)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t stops, wait_mask;
	int conn, rc;

	/* the stop signals end the loop, and are taken only while it waits */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	test_stall();
	conn = stop_sig ? -1 : accept_one(argv[1]);
	if (conn < 0)
		return stop_sig ? FB_EXIT_OK : FB_EXIT_FAIL;
	rc = take_handshake(st, conn, fd, argv[2]);
	if (!rc) {
		topo_pin_self(st->shm->cpu);
		st->shm->seen.cpu = st->shm->cpu;
		sigprocmask(SIG_BLOCK, &stops, &wait_mask);
		/* a postcopy destination says so once its threads run */
		if (st->shm->role != HANDOFF_ROLE_POSTCOPY)
			atomic_store_explicit(&st->shm->ready, 1, memory_order_release);
		rc = st->shm->role == HANDOFF_ROLE_POSTCOPY ?
			pc_dest_serve(st->uffd, st->shm, &wait_mask, &stop_sig) :
			serve_loop(st, msgs, &wait_mask);
		if (rc == -ECANCELED)
			_exit(3); /* --inject kill-handler: the handler dies mid-run */
		if (rc)
			fprintf(stderr, "faultbench handler: %s\n", strerror(-rc));
	}
	close(conn);
	return rc && !stop_sig ? FB_EXIT_FAIL : FB_EXIT_OK;
}

int handler_cmd_main(int argc, char **argv)
{
	struct hstate st = { .uffd = -1, .zeropage = -1 };
	struct uffd_msg *msgs;
	int fd, code;

	if (argc != 3 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return usage(argc, argv);
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "faultbench handler: MEMFILE %s: %s\n", argv[2], strerror(errno));
		return FB_EXIT_USAGE;
	}
	st.shm = attach_shm();
	if (st.shm && st.shm->clock.mult) {
		/* faultbench's calibration: the same ns, and no 20 ms per start */
		fb_clock.use_tsc = st.shm->clock.use_tsc;
		fb_clock.mult = st.shm->clock.mult;
		fb_clock.tsc_ghz = st.shm->clock.tsc_ghz;
		fb_clock.source = "tsc";
	}
	fb_clock_init(); /* returns at once when calibrated */
	msgs = st.shm ? calloc(st.shm->batch ? st.shm->batch : 1, sizeof(*msgs)) : NULL;
	if (!msgs) {
		fprintf(stderr, "faultbench handler: out of memory\n");
		close(fd);
		return FB_EXIT_FAIL;
	}
	if (!st.shm->batch)
		st.shm->batch = 1;
	code = run_handler(&st, msgs, argv, fd);
	free(msgs);
	free(st.zero_bits);
	free(st.first_page);
	if (st.file && st.file != MAP_FAILED)
		munmap((void *)st.file, st.file_bytes);
	if (st.uffd >= 0)
		close(st.uffd);
	munmap(st.shm, sizeof(*st.shm));
	close(fd);
	return code;
}
