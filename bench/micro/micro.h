/* Shared pieces of the micro-benchmarks (bench/micro/, one file per area): clocks, mappings,
 * userfaultfd set-up and the skips that say what the host lacks.
 *
 * Conventions: a benchmark times only its operation. Preparation (mmap,
 * register, MADV_DONTNEED to get an empty page back) is either outside the
 * timed region of a manual-time benchmark, or between gb_pause_timing() and
 * gb_resume_timing(). Every helper that can fail calls gb_skip_with_error()
 * with the reason and returns an error; the benchmark then just returns. */
#ifndef FB_MICRO_H
#define FB_MICRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "compat.h"
#include "gbench.h"

#define MICRO_PAGE 4096UL
#define MICRO_HPAGE (2UL << 20)

/* CLOCK_MONOTONIC in seconds (vDSO: tens of ns, no syscall). */
static inline double micro_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((format(printf, 2, 3))) void micro_skipf(gb_state *st, const char *fmt, ...);

/* The range sweep the range benchmarks use: 4K, 32K, .. 128M, 1G. */
gb_bench *micro_sizes(gb_bench *h);

/* mmap len bytes aligned to `align` (a power of two); flags as for mmap,
 * fd -1 for anonymous. NULL and a skip on failure. Free with micro_unmap. */
void *micro_map(gb_state *st, size_t len, size_t align, int flags, int fd);
void micro_unmap(void *p, size_t len);

/* A userfaultfd with these features, or -1 and a skip naming what is missing. */
int micro_uffd(gb_state *st, uint64_t features);
/* Register; -1 and a skip when it fails or the range lacks `need` ioctls
 * (1 << _UFFDIO_*). */
int micro_register(gb_state *st, int uffd, void *p, size_t len, uint64_t mode, uint64_t need);
/* 0, or -1 and a skip when PAGEMAP_SCAN is missing (6.7+). */
int micro_need_pagemap_scan(gb_state *st);
/* 0 when n 2M hugetlb pages are free now, else -1 and a skip. Never
 * reserves: `make micro` (bench/micro.sh) raises the pool around the run. */
int micro_need_hugepages(gb_state *st, unsigned long n);
/* madvise that skips when the advice is unknown to this kernel. */
int micro_madvise(gb_state *st, void *p, size_t len, int advice, const char *name);
/* A memfd of len bytes (flags: MFD_*), or -1 and a skip. */
int micro_memfd(gb_state *st, size_t len, unsigned flags);

#endif
