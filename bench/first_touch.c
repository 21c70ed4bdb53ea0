/* The smallest first-touch loop: what `faultbench run --mode none` must
 * match. One write per 4K page of private anonymous memory, per thread
 * over its own slice, timed with CLOCK_MONOTONIC around the whole loop.
 * Thread i is pinned to CPU i, as faultbench's default --pin compact does
 * on a flat machine, so both pay the same (no) migrations.
 *
 * usage: first-touch SIZE_MIB THREADS REPS   → one line per rep:
 *        "rep R pps_per_thread_mean P aggregate_pps A" */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct slice {
	int cpu;
	char *p;
	size_t pages, ps;
	pthread_barrier_t *bar;
	double secs;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *toucher(void *arg)
{
	struct slice *s = arg;
	cpu_set_t set;
	double t0;

	CPU_ZERO(&set);
	CPU_SET(s->cpu % CPU_SETSIZE, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(s->bar);
	t0 = now();
	for (size_t i = 0; i < s->pages; i++)
		*(volatile uint64_t *)(s->p + i * s->ps + 8) = i;
	s->secs = now() - t0;
	return NULL;
}

int main(int argc, char **argv)
{
	size_t mib, n, reps, ps = (size_t)sysconf(_SC_PAGESIZE);

	if (argc != 4) {
		fprintf(stderr, "usage: first-touch SIZE_MIB THREADS REPS\n");
		return 2;
	}
	mib = strtoul(argv[1], NULL, 10);
	n = strtoul(argv[2], NULL, 10);
	reps = strtoul(argv[3], NULL, 10);
	if (!mib || !n || n > 1024 || !reps)
		return 2;
	for (size_t r = 0; r < reps; r++) {
		size_t len = mib << 20, per = len / ps / n;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pthread_t tid[1024];
		struct slice s[1024];
		pthread_barrier_t bar;
		double sum = 0, max = 0;

		if (p == MAP_FAILED)
			return 1;
		madvise(p, len, MADV_NOHUGEPAGE);
		pthread_barrier_init(&bar, NULL, (unsigned)n);
		for (size_t i = 0; i < n; i++) {
			s[i] = (struct slice){ (int)(i % (size_t)sysconf(_SC_NPROCESSORS_ONLN)),
					       p + i * per * ps, per, ps, &bar, 0 };
			pthread_create(&tid[i], NULL, toucher, &s[i]);
		}
		for (size_t i = 0; i < n; i++) {
			pthread_join(tid[i], NULL);
			sum += (double)per / s[i].secs;
			if (s[i].secs > max)
				max = s[i].secs;
		}
		printf("rep %zu pps_per_thread_mean %.0f aggregate_pps %.0f\n", r, sum / (double)n,
		       (double)(per * n) / max);
		pthread_barrier_destroy(&bar);
		munmap(p, len);
	}
	return 0;
}
