/* The userfaultfd round trip, seen from the faulting thread: a read of a
 * missing page blocks; a handler thread wakes in poll(), reads the message,
 * resolves it with UFFDIO_COPY (which wakes the faulter); the read returns.
 * Manual time around the faulting read only; emptying the region again
 * (MADV_DONTNEED, the registration stays) is untimed. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "micro.h"
#include "uffd.h"

#define RT_PAGES 512

struct handler {
	int uffd, stop_fd;
	char *region;
	size_t len;
	char src[MICRO_PAGE] __attribute__((aligned(4096)));
	_Atomic int error;  /* errno of the first failure */
	_Atomic long served;
};

static void handler_fail(struct handler *h, int e)
{
	int zero = 0;

	atomic_compare_exchange_strong(&h->error, &zero, e);
	/* unregistering wakes every blocked faulter: the kernel fills the
	 * page itself and the benchmark sees the error instead of hanging */
	uffd_unregister(h->uffd, h->region, h->len);
}

static void *handler_main(void *arg)
{
	struct handler *h = arg;
	struct pollfd pfd[2] = { { .fd = h->uffd, .events = POLLIN }, { .fd = h->stop_fd, .events = POLLIN } };
	struct uffd_msg msg;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			handler_fail(h, errno);
			return NULL;
		}
		if (pfd[1].revents)
			return NULL;
		if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno == EAGAIN)
				continue;
			handler_fail(h, errno);
			continue;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		struct uffdio_copy c = {
			.dst = msg.arg.pagefault.address & ~(MICRO_PAGE - 1),
			.src = (uintptr_t)h->src,
			.len = MICRO_PAGE,
		};
		if (ioctl(h->uffd, UFFDIO_COPY, &c) && errno != EEXIST)
			handler_fail(h, errno);
		h->served++;
	}
}

static void bm_uffd_round_trip_4k(gb_state *st)
{
	static struct handler h;
	pthread_t tid;
	size_t i = 0;
	int e;

	h.len = RT_PAGES * MICRO_PAGE;
	h.error = 0;
	h.served = 0;
	memset(h.src, 0x5a, sizeof(h.src));
	h.uffd = micro_uffd(st, 0);
	if (h.uffd < 0)
		return;
	h.stop_fd = eventfd(0, EFD_CLOEXEC);
	h.region = micro_map(st, h.len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!h.region || micro_madvise(st, h.region, h.len, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE") ||
	    micro_register(st, h.uffd, h.region, h.len, UFFDIO_REGISTER_MODE_MISSING,
			   1ULL << _UFFDIO_COPY))
		goto out;
	e = pthread_create(&tid, NULL, handler_main, &h);
	if (e) {
		micro_skipf(st, "pthread_create: %s", strerror(e));
		goto out;
	}
	while (gb_keep_running(st)) {
		double t0, t1;
		char v;

		if (i == RT_PAGES) {
			if (micro_madvise(st, h.region, h.len, MADV_DONTNEED, "MADV_DONTNEED"))
				break;
			i = 0;
		}
		t0 = micro_now();
		v = *(volatile char *)(h.region + i++ * MICRO_PAGE);
		t1 = micro_now();
		if (h.error || v != 0x5a) {
			micro_skipf(st, "the handler failed: %s", h.error ? strerror(h.error) :
				    "the page does not hold the copied contents");
			break;
		}
		gb_set_iteration_time(st, t1 - t0);
	}
	eventfd_write(h.stop_fd, 1);
	pthread_join(tid, NULL);
	gb_set_items_processed(st, gb_iteration_count(st));
	gb_counter_set(st, "faults_served", (double)h.served, GB_COUNTER_DEFAULT);
out:
	micro_unmap(h.region, h.len);
	close(h.stop_fd);
	close(h.uffd);
}

GB_INIT(round_trip)
{
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_round_trip_4k", bm_uffd_round_trip_4k)), GB_NS);
}
