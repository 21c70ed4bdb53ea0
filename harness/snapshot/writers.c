/* The vCPUs of `faultbench snapshot`: each writes its own slice for ever
 * (versioned writes, snap_write.h), parks at a write boundary when asked,
 * and times each write while a snapshot runs. The loop does one relaxed
 * load of ctl per write and nothing else that is not the write: no
 * allocation, no lock, no log. A parked writer sleeps on a futex, so a
 * saver on the same CPU gets the CPU. */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "snapshot/snap_write.h"
#include "snapshot/writers.h"
#include "timing.h"
#include "topo.h"

static void futex_wait(_Atomic int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

static void park_here(struct snap_writer *me, int ctl)
{
	struct snap_writers *w = me->all;
	uint64_t t = fb_mono_ns();

	atomic_fetch_add(&w->parked, 1);
	while (ctl & WR_PARK && !(ctl & WR_STOP)) {
		futex_wait(&w->ctl, ctl);
		ctl = atomic_load(&w->ctl);
	}
	atomic_fetch_sub(&w->parked, 1);
	me->park_ns += fb_mono_ns() - t;
}

static void *writer_main(void *arg)
{
	struct snap_writer *me = arg;
	struct snap_writers *w = me->all;
	uint64_t *base = (uint64_t *)w->base;
	const uint64_t pw = w->page_words, n = me->n, period = w->rate_period_ns;
	uint64_t k = atomic_load(&me->k), next_ns = fb_mono_ns();

	if (me->cpu >= 0)
		topo_pin_self(me->cpu);
	for (;;) {
		int ctl = atomic_load_explicit(&w->ctl, memory_order_acquire);
		uint64_t page, word;
		uint64_t *dst;

		if (ctl) {
			if (ctl & WR_STOP)
				break;
			park_here(me, ctl);
			next_ns = fb_mono_ns();
			continue;
		}
		if (period) {
			next_ns += period;
			while (fb_mono_ns() < next_ns && !atomic_load_explicit(&w->ctl, memory_order_relaxed))
				__builtin_ia32_pause();
		}
		page = me->first_page + snap_write_page(me->seq, n, k);
		word = snap_write_word(n, pw, k);
		dst = base + page * pw + word;
		if (atomic_load_explicit(&w->timing, memory_order_relaxed)) {
			uint64_t t1 = fb_ticks_fast();

			*(volatile uint64_t *)dst = snap_write_value(me->id, k);
			hist_add(&me->lat, fb_ticks_ns(fb_ticks_fast() - t1));
		} else {
			*(volatile uint64_t *)dst = snap_write_value(me->id, k);
		}
		k++;
		atomic_store_explicit(&me->k, k, memory_order_release);
	}
	return NULL;
}

int writers_start(struct snap_writers *w, const struct snap_config *c, char *base,
		  struct fb_err *err)
{
	const struct fb_config *rc = &c->run;
	int cpus[FB_MAX_VCPUS];
	bool over;
	int e;

	memset(w, 0, sizeof(*w));
	w->base = base;
	w->page_size = rc->page_size;
	w->page_words = rc->page_size / 8;
	w->rate_period_ns = c->write_rate ? 1000000000ULL / c->write_rate : 0;
	w->n = rc->vcpus;
	/* aligned_alloc wants a size that is a multiple of the alignment */
	w->v = aligned_alloc(FB_CACHELINE, (sizeof(*w->v) * rc->vcpus + FB_CACHELINE - 1) &
				 ~(size_t)(FB_CACHELINE - 1));
	if (!w->v)
		return fb_errf(err, "out of memory for %u writers", rc->vcpus), -ENOMEM;
	memset(w->v, 0, sizeof(*w->v) * rc->vcpus);
	e = topo_assign(rc->pin, rc->vcpus, cpus, &over);
	if (e)
		return fb_errf(err, "--pin: cannot place %u vCPUs (%s)", rc->vcpus, strerror(-e)), e;
	/* the sequences are the largest buffers the harness keeps besides
	 * guest memory: MADV_DONTFORK keeps them out of a fork strategy's child */
	w->seq_bytes = (rc->slice_pages * sizeof(uint32_t) + 4095) & ~4095ULL;
	for (unsigned i = 0; i < rc->vcpus; i++) {
		struct snap_writer *s = &w->v[i];

		s->all = w;
		s->id = i;
		s->cpu = cpus[i];
		s->n = rc->slice_pages;
		s->first_page = (uint64_t)i * rc->slice_pages;
		hist_init(&s->lat);
		s->seq = mmap(NULL, w->seq_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->seq == MAP_FAILED) {
			s->seq = NULL;
			return fb_errf(err, "mmap of a writer's sequence: %s", strerror(errno)), -errno;
		}
		madvise(s->seq, w->seq_bytes, MADV_DONTFORK);
		e = rc->workload.wl->build(&rc->workload, s->n, rc->seed + i, s->seq);
		if (e)
			return fb_errf(err, "--workload %s: cannot build (%s)", rc->workload.text, strerror(-e)), e;
	}
	for (unsigned i = 0; i < rc->vcpus; i++) {
		e = pthread_create(&w->v[i].thr, NULL, writer_main, &w->v[i]);
		if (e)
			return fb_errf(err, "pthread_create: %s", strerror(e)), -e;
		w->v[i].started = true;
	}
	return 0;
}

void writers_stop(struct snap_writers *w)
{
	if (!w->v)
		return;
	atomic_store(&w->ctl, WR_STOP);
	futex_wake_all(&w->ctl);
	for (unsigned i = 0; i < w->n; i++) {
		if (w->v[i].started)
			pthread_join(w->v[i].thr, NULL);
		w->v[i].started = false;
	}
}

/* after writers_stop and after the sequences are no longer needed */
void writers_free(struct snap_writers *w)
{
	if (!w->v)
		return;
	for (unsigned i = 0; i < w->n; i++)
		if (w->v[i].seq)
			munmap(w->v[i].seq, w->seq_bytes);
	free(w->v);
	w->v = NULL;
}

uint64_t writers_total(const struct snap_writers *w)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < w->n; i++)
		t += atomic_load(&w->v[i].k);
	return t;
}

void writers_park(struct snap_writers *w)
{
	atomic_store(&w->ctl, WR_PARK);
	while (atomic_load(&w->parked) < w->n)
		sched_yield();
}

void writers_resume(struct snap_writers *w)
{
	atomic_store(&w->ctl, 0);
	futex_wake_all(&w->ctl);
}

void writers_wait_round(struct snap_writers *w, uint64_t page, const uint64_t *cut)
{
	unsigned i = (unsigned)(page / w->v[0].n);

	if (i >= w->n)
		return;
	while (atomic_load(&w->v[i].k) < cut[i] + w->v[i].n)
		usleep(1000);
}
