/* `faultbench postcopy-source FD...`: the source of a postcopy migration, a
 * process with its own address space. faultbench starts it with the
 * connections' source ends (postcopy_wire.h), sends the run's settings, and
 * the source builds the same image faultbench verifies against (image.h: a
 * pure function of seed, size and zero map), in its own memory.
 *
 * What it does: the precopy pass first (--precopy: those pages, unpaced,
 * before the vCPUs start); then at switchover (PC_CTL_GO) it streams every
 * page not yet sent in address order, spread over the stream connections.
 * A request (PC_CTL_REQ) for a page not yet sent makes that page go next,
 * flagged urgent, and the stream continues from the page after it (a guest
 * that faulted here is likely to fault nearby next). A request for a page
 * already sent is only counted: the page is on its way. Every page is sent
 * once; last, a PC_END with the source's counts goes on every connection.
 *
 * The link model (--link-bw, --link-delay-us). An unpaced source writes
 * as fast as the sockets take it: the queue an urgent page waits behind is
 * the stream socket's send buffer, filled by the stream. A paced source
 * must keep that queue, or pacing would empty it and an urgent page on the
 * stream connection would never wait: a real link's queue is the sender's
 * socket buffer draining at the link's rate. So each connection has an
 * emulated send queue, as deep as that connection's real send buffer
 * (getsockopt SO_SNDBUF, so the depth is the kernel's, not ours). The
 * stream commits pages into its queues until they are that full; one pacer,
 * a token bucket at the link rate shared by every connection, moves queued
 * pages onto the sockets, a page from each connection that has one in turn:
 * connections with data share the wire, as flows on one link do, and none
 * has priority (a strict priority would starve the stream whenever urgent
 * pages keep coming, which no NIC does). Without --preempt an urgent page
 * is appended to a stream queue (the least full) behind the pages committed
 * there; with it, the urgent connection's queue holds only urgent pages, so
 * the page waits for at most one page of each stream connection already on
 * its way. The bucket holds 200 us of link
 * time (at least two pages), so the pacer can sleep between bursts. Each
 * request is acted on --link-delay-us after it arrives: the round trip's
 * added delay, on the source's side. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "image.h"
#include "postcopy_wire.h"
#include "timing.h"

#define BUCKET_NS 200000  /* the token bucket's depth, in link time */

struct entry {
	uint64_t page;
	uint32_t flags;
};

/* One connection: its emulated send queue (a ring of committed pages), and
 * the page being written to its socket. Sockets are non-blocking after
 * switchover, so a full stream socket never holds up the urgent one. Each
 * connection builds its pages in its own image pool, so a page half
 * written on one is not rewritten by another's. */
struct squeue {
	int fd;
	struct entry *e;
	uint64_t cap, head, n;
	uint64_t bytes;         /* queued, headers and payloads */
	uint64_t depth;         /* commit while bytes < depth */
	struct pc_end end;
	struct image_pool pool;
	bool busy;              /* a page is on its way into the socket */
	struct pc_page hdr;
	const char *payload;
	uint64_t off;           /* bytes of header + payload written */
};

struct req {
	uint64_t page;
	uint64_t due_ns;
};

struct src {
	struct pc_hello h;
	struct image img;
	unsigned nconns, nstream;
	struct squeue q[PC_MAX_CONNS];
	uint64_t *sent, nsent, cursor;
	unsigned rr, flush_rr;
	struct req *req;
	uint64_t req_cap, req_head, req_n;
	double tokens, rate_bpns, burst;
	uint64_t last_ns;
	bool go, paced;
	char ctl[4096];
	size_t ctl_have;
};

static void die(const char *what, int e)
{
	/* faultbench closed the connections (its run ended or failed): not ours to report */
	if (e == EPIPE || e == ECONNRESET)
		_exit(0);
	fprintf(stderr, "faultbench postcopy-source: %s: %s\n", what, strerror(e));
	_exit(1);
}

static bool is_sent(const struct src *s, uint64_t p)
{
	return (s->sent[p >> 6] >> (p & 63)) & 1;
}

static void mark_sent(struct src *s, uint64_t p)
{
	s->sent[p >> 6] |= 1ULL << (p & 63);
	s->nsent++;
}

/* Whose bytes go out as page p (--inject corrupt-copy: the next page's). */
static uint64_t content_of(const struct src *s, uint64_t p)
{
	if (s->h.inject == INJECT_CORRUPT_COPY && p == s->h.inject_page)
		return (p + 1) % s->h.npages;
	return p;
}

static uint64_t entry_bytes(const struct src *s, uint64_t p)
{
	return sizeof(struct pc_page) + (image_is_zero(&s->img, content_of(s, p)) ? 0 : s->h.page_size);
}

static void write_all(int fd, struct iovec *iov, int n)
{
	while (n) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write", errno);
		}
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
}

/* Page p becomes q's page on its way (its counters count it now). */
static void start_page(struct src *s, struct squeue *q, uint64_t p, uint32_t flags)
{
	uint64_t c = content_of(s, p);

	q->hdr = (struct pc_page){ .page = p, .flags = flags };
	q->payload = NULL;
	if (image_is_zero(&s->img, c)) {
		q->hdr.flags |= PC_ZERO;
	} else {
		q->hdr.len = (uint32_t)s->h.page_size;
		q->payload = (const char *)image_pool_page(&q->pool, &s->img, c);
	}
	q->off = 0;
	q->busy = true;
	if (s->go) {
		q->end.bytes += sizeof(q->hdr) + q->hdr.len;
		q->end.pages++;
		q->end.pages_urgent += !!(flags & PC_URGENT);
	}
}

/* Write what the socket takes of q's page; true when it is all written. */
static bool push(struct squeue *q)
{
	while (q->busy) {
		struct iovec iov[2];
		int n = 0;
		ssize_t w;

		if (q->off < sizeof(q->hdr))
			iov[n++] = (struct iovec){ (char *)&q->hdr + q->off, sizeof(q->hdr) - q->off };
		if (q->hdr.len) {
			uint64_t po = q->off > sizeof(q->hdr) ? q->off - sizeof(q->hdr) : 0;

			iov[n++] = (struct iovec){ (char *)q->payload + po, q->hdr.len - po };
		}
		w = writev(q->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return false;
			die("write", errno);
		}
		q->off += (uint64_t)w;
		q->busy = q->off < sizeof(q->hdr) + q->hdr.len;
	}
	return true;
}

/* Before switchover, sockets blocking: the whole page now. */
static void send_page(struct src *s, struct squeue *q, uint64_t p, uint32_t flags)
{
	start_page(s, q, p, flags);
	if (!push(q))
		die("write", EAGAIN);
}

static void commit(struct src *s, struct squeue *q, uint64_t p, uint32_t flags)
{
	int times = s->h.inject == INJECT_DUPLICATE_COPY && p == s->h.inject_page ? 2 : 1;

	while (times--) {
		if (q->n == q->cap)
			die("emulated send queue overflow", EOVERFLOW);
		q->e[(q->head + q->n) % q->cap] = (struct entry){ .page = p, .flags = flags };
		q->n++;
		q->bytes += entry_bytes(s, p);
	}
}

/* The next page the stream has not sent, from the cursor on, wrapping. */
static uint64_t next_unsent(struct src *s)
{
	uint64_t n = s->h.npages, p = s->cursor % n;

	for (;;) {
		uint64_t w = ~s->sent[p >> 6] & (~0ULL << (p & 63));

		if (w) {
			p = (p & ~63ULL) + (uint64_t)__builtin_ctzll(w);
			if (p < n)
				return p;
		}
		p = (p | 63) + 1;
		if (p >= n)
			p = 0;
	}
}

/* Take page p off the stream: sent now (or dropped: --inject drop-copy). */
static bool take(struct src *s, uint64_t p)
{
	mark_sent(s, p);
	return !(s->h.inject == INJECT_DROP_COPY && p == s->h.inject_page);
}

static bool has_room(const struct src *s, const struct squeue *q)
{
	return s->paced ? q->bytes < q->depth : !q->n && !q->busy;
}

/* The stream commits pages while its queues have room; true when it did. */
static bool fill(struct src *s)
{
	bool did = false;

	while (s->nsent < s->h.npages) {
		struct squeue *q = NULL;
		uint64_t p;

		for (unsigned k = 0; k < s->nstream && !q; k++) {
			struct squeue *c = &s->q[(s->rr + k) % s->nstream];

			if (has_room(s, c))
				q = c;
		}
		if (!q)
			return did;
		s->rr = (unsigned)(q - s->q) + 1;
		p = next_unsent(s);
		s->cursor = p + 1;
		if (take(s, p))
			commit(s, q, p, 0);
		did = true;
	}
	return did;
}

static void refill(struct src *s, uint64_t now)
{
	s->tokens += (double)(now - s->last_ns) * s->rate_bpns;
	if (s->tokens > s->burst)
		s->tokens = s->burst;
	s->last_ns = now;
}

/* The pacer: queued pages onto the sockets while the bucket allows, one
 * page per connection in turn (the urgent connection is one of them, and
 * the turn goes on where the last call left it: with 2M pages the bucket
 * allows one page per call); a page is charged to the bucket when it
 * starts. A connection whose socket is full keeps its page and is passed
 * over until it takes more. */
static bool flush(struct src *s)
{
	bool progress = true, did = false;

	if (s->paced)
		refill(s, fb_mono_ns());
	while (progress) {
		unsigned start = s->flush_rr;

		progress = false;
		for (unsigned k = 0; k <= s->nstream; k++) {
			unsigned i = (start + k) % (s->nstream + 1);
			struct squeue *q = &s->q[i];
			struct entry e;

			if (i == s->nstream && !s->h.preempt)
				continue;
			if (q->busy) {
				if (!push(q))
					continue;
				did = true;
			}
			if (!q->n || (s->paced && s->tokens < 0))
				continue;
			e = q->e[q->head];
			q->head = (q->head + 1) % q->cap;
			q->n--;
			q->bytes -= entry_bytes(s, e.page);
			if (s->paced)
				s->tokens -= (double)entry_bytes(s, e.page);
			s->flush_rr = i + 1;
			start_page(s, q, e.page, e.flags);
			push(q);
			progress = did = true;
		}
	}
	return did;
}

/* A request, acted on: the page next (urgent), the stream from there. */
static void serve(struct src *s, uint64_t p)
{
	struct squeue *q = &s->q[s->nstream];

	if (is_sent(s, p)) {
		s->q[0].end.requests_stale++;
		return;
	}
	s->cursor = p + 1;
	if (!take(s, p))
		return;
	if (!s->h.preempt) {
		/* behind what the stream committed: the least full stream queue */
		q = &s->q[0];
		for (unsigned k = 1; k < s->nstream; k++)
			if (s->q[k].bytes < q->bytes)
				q = &s->q[k];
	}
	commit(s, q, p, PC_URGENT);
}

/* Control messages from faultbench; false when it closed the connection. */
static bool read_ctl(struct src *s, bool wait)
{
	ssize_t r = recv(s->q[0].fd, s->ctl + s->ctl_have, sizeof(s->ctl) - s->ctl_have,
			 wait ? 0 : MSG_DONTWAIT);
	uint64_t now = fb_mono_ns();
	size_t off = 0;

	if (r == 0)
		return false;
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return true;
		die("reading requests", errno);
	}
	s->ctl_have += (size_t)r;
	for (; s->ctl_have - off >= sizeof(struct pc_ctl); off += sizeof(struct pc_ctl)) {
		struct pc_ctl c;

		memcpy(&c, s->ctl + off, sizeof(c));
		if (c.kind == PC_CTL_GO) {
			s->go = true;
			s->last_ns = now;
			s->tokens = 0;
			continue;
		}
		if (c.kind != PC_CTL_REQ || c.page >= s->h.npages)
			die("a control message that is no request", EPROTO);
		if (!s->go)
			die("a page request before switchover", EPROTO);
		s->q[0].end.requests++;
		if (s->req_n == s->req_cap)
			die("more page requests than pages", EOVERFLOW);
		s->req[(s->req_head + s->req_n) % s->req_cap] =
			(struct req){ .page = c.page, .due_ns = now + s->h.link_delay_us * 1000 };
		s->req_n++;
	}
	memmove(s->ctl, s->ctl + off, s->ctl_have - off);
	s->ctl_have -= off;
	return true;
}

static void set_blocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK))
		die("fcntl", errno);
}

static void send_end(struct src *s)
{
	for (unsigned i = 0; i < s->nconns; i++) {
		set_blocking(s->q[i].fd, true);
		struct pc_page hdr = { .flags = PC_END, .len = sizeof(struct pc_end) };
		struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { &s->q[i].end, sizeof(s->q[i].end) } };

		write_all(s->q[i].fd, iov, 2);
	}
}

static bool queues_empty(const struct src *s)
{
	for (unsigned i = 0; i < s->nconns; i++)
		if (s->q[i].n || s->q[i].busy)
			return false;
	return true;
}

/* Nothing more can go now: how long to sleep (-1: until a socket or a
 * request wakes us): until the bucket covers the next page, or the next
 * request is due. */
static int64_t wait_ns(const struct src *s, uint64_t now)
{
	int64_t w = -1;

	for (unsigned i = 0; s->paced && s->tokens < 0 && i < s->nconns; i++)
		if (s->q[i].n && !s->q[i].busy)
			w = (int64_t)(-s->tokens / s->rate_bpns) + 1;
	if (s->req_n) {
		uint64_t due = s->req[s->req_head].due_ns;
		int64_t d = due > now ? (int64_t)(due - now) : 0;

		if (w < 0 || d < w)
			w = d;
	}
	return w;
}

static void stream(struct src *s)
{
	struct pollfd p[PC_MAX_CONNS];
	bool ended = false;

	for (unsigned i = 0; i < s->nconns; i++)
		set_blocking(s->q[i].fd, false);
	for (;;) {
		uint64_t now = fb_mono_ns();
		bool did;
		int64_t w;

		if (!read_ctl(s, false))
			return;
		while (s->req_n && s->req[s->req_head].due_ns <= now) {
			serve(s, s->req[s->req_head].page);
			s->req_head = (s->req_head + 1) % s->req_cap;
			s->req_n--;
		}
		did = fill(s);
		did |= flush(s);
		if (!ended && s->nsent == s->h.npages && queues_empty(s)) {
			send_end(s);
			ended = true;
		}
		if (ended) {
			/* the rest is faultbench's: requests still on their way are stale */
			while (read_ctl(s, true))
				;
			return;
		}
		if (did)
			continue;
		w = wait_ns(s, now);
		for (unsigned i = 0; i < s->nconns; i++)
			p[i] = (struct pollfd){ .fd = s->q[i].fd,
						.events = (short)((i ? 0 : POLLIN) |
								  (s->q[i].busy ? POLLOUT : 0)) };
		if (w) {
			struct timespec ts = { .tv_sec = w / 1000000000, .tv_nsec = w % 1000000000 };

			ppoll(p, s->nconns, w < 0 ? NULL : &ts, NULL);
		}
	}
}

/* Before switchover: the precopy pass, unpaced, then wait for GO. */
static void precopy(struct src *s)
{
	for (uint64_t p = 0; p < s->h.npages; p++) {
		if (!pc_is_precopy(s->h.seed, s->h.precopy, p))
			continue;
		if (take(s, p))
			send_page(s, &s->q[s->rr++ % s->nstream], p, PC_PRECOPY);
		if (s->h.inject == INJECT_DUPLICATE_COPY && p == s->h.inject_page)
			send_page(s, &s->q[s->rr++ % s->nstream], p, PC_PRECOPY);
	}
	while (!s->go)
		if (!read_ctl(s, true))
			_exit(0);
}

static int setup(struct src *s)
{
	struct fb_err err = { "" };
	uint64_t words = (s->h.npages + 63) / 64, min_entries;
	int rc;

	rc = image_create(&s->img, s->h.npages, s->h.page_size, s->h.zero_fraction,
			  s->h.zero_run_pages, s->h.seed, &err);
	for (unsigned i = 0; !rc && i < s->nconns; i++)
		rc = image_pool_init(&s->q[i].pool, &s->img);
	if (rc) {
		fprintf(stderr, "faultbench postcopy-source: the image: %s\n",
			err.msg[0] ? err.msg : strerror(-rc));
		return rc;
	}
	s->sent = calloc(words, 8);
	s->req_cap = s->h.npages + 1;
	s->req = calloc(s->req_cap, sizeof(*s->req));
	if (!s->sent || !s->req)
		return -ENOMEM;
	s->paced = s->h.link_bw_bps != 0;
	s->rate_bpns = (double)s->h.link_bw_bps / 8e9;
	s->burst = s->rate_bpns * BUCKET_NS;
	if (s->burst < 2.0 * (double)(sizeof(struct pc_page) + s->h.page_size))
		s->burst = 2.0 * (double)(sizeof(struct pc_page) + s->h.page_size);
	for (unsigned i = 0; i < s->nconns; i++) {
		struct squeue *q = &s->q[i];
		int sndbuf = 0;
		socklen_t len = sizeof(sndbuf);

		if (getsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) || sndbuf <= 0)
			return -errno;
		q->depth = s->paced ? (uint64_t)sndbuf : 1;
		q->end.queue_bytes = s->paced ? (uint64_t)sndbuf : 0;
		/* the most a queue holds: its depth in zero pages (headers only),
		 * one page past it, and every urgent page */
		min_entries = q->depth / sizeof(struct pc_page) + 2;
		q->cap = min_entries + s->h.npages + 1;  /* + 1: --inject duplicate-copy */
		q->e = calloc(q->cap, sizeof(*q->e));
		if (!q->e)
			return -ENOMEM;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "faultbench postcopy-source: needs the file descriptors of its connections; "
		"faultbench run starts it (--mode postcopy)\n"
		"usage: faultbench postcopy-source FD...\n"
		"  the source process of --mode postcopy, started by faultbench run with its\n"
		"  ends of the connections; not for use on its own\n");
	return FB_EXIT_USAGE;
}

int postcopy_source_main(int argc, char **argv)
{
	static struct src s;
	ssize_t r;
	size_t got = 0;

	if (argc < 2 || argc - 1 > PC_MAX_CONNS)
		return usage();
	s.nconns = (unsigned)(argc - 1);
	for (unsigned i = 0; i < s.nconns; i++) {
		uint64_t fd;

		if (fb_parse_u64(argv[i + 1], 0, 1 << 20, &fd))
			return usage();
		s.q[i].fd = (int)fd;
	}
	signal(SIGPIPE, SIG_IGN);
	/* the pacer sleeps for tens of microseconds: no 50 us default slack */
	prctl(PR_SET_TIMERSLACK, 1UL);
	while (got < sizeof(s.h)) {
		r = read(s.q[0].fd, (char *)&s.h + got, sizeof(s.h) - got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				return 0;
			die("reading the settings", errno);
		}
		got += (size_t)r;
	}
	if (s.h.magic != PC_HELLO_MAGIC || s.h.bytes != sizeof(s.h) || !s.h.npages ||
	    s.h.nstream + !!s.h.preempt != s.nconns) {
		fprintf(stderr, "faultbench postcopy-source: the settings are not this build's, or "
			"name %u connections where %u were given\n", s.h.nstream + !!s.h.preempt,
			s.nconns);
		return 1;
	}
	s.nstream = s.h.nstream;
	if (setup(&s))
		return 1;
	precopy(&s);
	stream(&s);
	return 0;
}
