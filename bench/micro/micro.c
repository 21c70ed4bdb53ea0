/* Helpers of the micro-benchmarks, and their main(). */
#include "micro.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fb.h"
#include "probe.h"
#include "uffd.h"

void micro_skipf(gb_state *st, const char *fmt, ...)
{
	char msg[FB_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gb_skip_with_error(st, msg);
}

gb_bench *micro_sizes(gb_bench *h)
{
	return gb_ranges(gb_range_multiplier(h, 8), 4096, 1L << 30);
}

void *micro_map(gb_state *st, size_t len, size_t align, int flags, int fd)
{
	size_t extra = align > MICRO_PAGE ? align : 0;
	char *p, *q;

	/* reserve room to align in, then put the real mapping (file offset 0)
	 * at the aligned address and trim the rest */
	p = mmap(NULL, len + extra, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		micro_skipf(st, "mmap of %zu bytes of address space failed: %s", len + extra,
			    strerror(errno));
		return NULL;
	}
	q = extra ? (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1)) : p;
	if (mmap(q, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0) == MAP_FAILED) {
		micro_skipf(st, "mmap of %zu bytes (flags 0x%x) failed: %s", len, (unsigned)flags,
			    strerror(errno));
		munmap(p, len + extra);
		return NULL;
	}
	if (q > p)
		munmap(p, (size_t)(q - p));
	if (q + len < p + len + extra)
		munmap(q + len, (size_t)(p + len + extra - (q + len)));
	return q;
}

void micro_unmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

int micro_uffd(gb_state *st, uint64_t features)
{
	struct fb_err err = { { 0 } };
	int fd = uffd_open(features, &err);

	if (fd < 0) {
		gb_skip_with_error(st, err.msg);
		return -1;
	}
	return fd;
}

int micro_register(gb_state *st, int uffd, void *p, size_t len, uint64_t mode, uint64_t need)
{
	struct fb_err err = { { 0 } };
	uint64_t ioctls = 0;
	char buf[256] = "";

	if (uffd_register(uffd, p, len, mode, &ioctls, &err)) {
		gb_skip_with_error(st, err.msg);
		return -1;
	}
	if ((ioctls & need) != need) {
		size_t off = 0;

		for (size_t i = 0; i < uffd_ioctl_names_count; i++)
			if (need & ~ioctls & uffd_ioctl_names[i].bit)
				off += (size_t)snprintf(buf + off, sizeof(buf) - off, " UFFDIO_%s (Linux %s+)",
							uffd_ioctl_names[i].name,
							uffd_ioctl_names[i].since);
		micro_skipf(st, "this range does not support%s", buf);
		uffd_unregister(uffd, p, len);
		return -1;
	}
	return 0;
}

int micro_need_pagemap_scan(gb_state *st)
{
	if (probe_host()->pagemap_scan)
		return 0;
	gb_skip_with_error(st, "needs PAGEMAP_SCAN on /proc/self/pagemap (Linux 6.7+)");
	return -1;
}

static unsigned long read_ul(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

int micro_need_hugepages(gb_state *st, unsigned long n)
{
	const char *d = "/sys/kernel/mm/hugepages/hugepages-2048kB";
	char path[128];
	unsigned long free_pages, resv;

	snprintf(path, sizeof(path), "%s/free_hugepages", d);
	free_pages = read_ul(path);
	snprintf(path, sizeof(path), "%s/resv_hugepages", d);
	resv = read_ul(path);
	if (free_pages >= resv + n)
		return 0;
	micro_skipf(st, "no free 2M huge pages (vm.nr_hugepages): needs %lu, %lu free; "
		    "`make micro` reserves them as root", n, free_pages > resv ? free_pages - resv : 0);
	return -1;
}

int micro_madvise(gb_state *st, void *p, size_t len, int advice, const char *name)
{
	if (!madvise(p, len, advice))
		return 0;
	if (errno == EINVAL)
		micro_skipf(st, "madvise(%s) is unknown to this kernel (%s): %s", name,
			    probe_host()->kernel_release, strerror(errno));
	else
		micro_skipf(st, "madvise(%s) of %zu bytes failed: %s", name, len, strerror(errno));
	return -1;
}

int micro_memfd(gb_state *st, size_t len, unsigned flags)
{
	int fd = memfd_create("fb-micro", MFD_CLOEXEC | flags);

	if (fd < 0) {
		micro_skipf(st, "memfd_create failed: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)len)) {
		micro_skipf(st, "ftruncate of a memfd to %zu bytes failed: %s", len, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const struct host_caps *h = probe_host();
	char buf[64];

	/* host facts in the JSON "context", for whoever reads the numbers */
	gb_add_context("kernel", h->kernel_release);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, h->uffd_features);
	gb_add_context("uffd_features", h->uffd_available ? buf : "unavailable");
	gb_add_context("thp_enabled", h->thp_enabled);
	gb_add_context("pagemap_scan", h->pagemap_scan ? "yes" : "no");
	return gb_main(argc, argv);
}
