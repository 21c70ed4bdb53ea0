/* The throughput sampler: every interval, each vCPU's cumulative write
 * count, into storage allocated before the writers start. When it fills,
 * neighbouring samples are merged and the interval doubles, so a run of
 * any length keeps at most TL_MAX_SAMPLES samples. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "snapshot/writers.h"
#include "timing.h"

static void halve(struct snap_timeline *tl)
{
	unsigned n = tl->w->n, j = 0;

	/* keep every second sample: cumulative counts stay exact */
	for (unsigned i = 1; i < tl->nsamples; i += 2, j++) {
		tl->t_ns[j] = tl->t_ns[i];
		memmove(&tl->writes[(uint64_t)j * n], &tl->writes[(uint64_t)i * n], n * sizeof(uint64_t));
	}
	tl->nsamples = j;
	tl->interval_ns *= 2;
}

static void *sampler(void *arg)
{
	struct snap_timeline *tl = arg;
	uint64_t next = tl->t_start_ns;

	while (!atomic_load(&tl->stop)) {
		struct timespec ts;
		uint64_t *row;

		next += tl->interval_ns;
		ts.tv_sec = (time_t)(next / 1000000000ULL);
		ts.tv_nsec = (long)(next % 1000000000ULL);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (tl->nsamples == TL_MAX_SAMPLES)
			halve(tl);
		row = &tl->writes[(uint64_t)tl->nsamples * tl->w->n];
		for (unsigned i = 0; i < tl->w->n; i++)
			row[i] = atomic_load_explicit(&tl->w->v[i].k, memory_order_relaxed);
		tl->t_ns[tl->nsamples++] = fb_mono_ns() - tl->t_start_ns;
	}
	return NULL;
}

int timeline_start(struct snap_timeline *tl, struct snap_writers *w, uint64_t interval_ns)
{
	uint64_t bytes = (uint64_t)TL_MAX_SAMPLES * (w->n + 1) * sizeof(uint64_t);
	void *m;
	int e;

	memset(tl, 0, sizeof(*tl));
	tl->w = w;
	tl->interval_ns = interval_ns;
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	madvise(m, bytes, MADV_DONTFORK);   /* not the fork strategy's child's */
	tl->t_ns = m;
	tl->writes = tl->t_ns + TL_MAX_SAMPLES;
	tl->t_start_ns = fb_mono_ns();
	e = pthread_create(&tl->thr, NULL, sampler, tl);
	if (e)
		return -e;
	tl->started = true;
	return 0;
}

void timeline_stop(struct snap_timeline *tl)
{
	if (!tl->started)
		return;
	atomic_store(&tl->stop, 1);
	pthread_join(tl->thr, NULL);
	tl->started = false;
}

void timeline_free(struct snap_timeline *tl)
{
	if (tl->t_ns)
		munmap(tl->t_ns, (uint64_t)TL_MAX_SAMPLES * (tl->w->n + 1) * sizeof(uint64_t));
	tl->t_ns = NULL;
}
