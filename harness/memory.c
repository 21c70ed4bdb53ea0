/* Backings: anon, thp, hugetlb, shmem, memfd, memfd-hugetlb. Each is a small ops table. */
#include "memory.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compat.h"
#include "config.h"
#include "probe.h"

static uint64_t base_page(const struct fb_config *cfg, const struct host_caps *h)
{
	(void)cfg;
	return h->base_page_size;
}

static int map_err(struct fb_err *err, const char *what, uint64_t len, int e)
{
	char sz[32];

	fb_errf(err, "%s: mmap of %s failed: %s", what, fb_fmt_size(len, sz, sizeof(sz)),
		strerror(e));
	return -e;
}

/* Map len bytes aligned to align (over-map, then trim the ends). */
static int map_aligned(struct guest_mem *gm, int flags, uint64_t align, const char *what,
		       struct fb_err *err)
{
	uint64_t len = gm->size + align;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0), *a;

	if (p == MAP_FAILED)
		return map_err(err, what, gm->size, errno);
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + gm->size < p + len)
		munmap(a + gm->size, (size_t)(p + len - (a + gm->size)));
	gm->base = a;
	gm->map_base = a;
	gm->map_len = gm->size;
	return 0;
}

static void unmap_plain(struct guest_mem *gm)
{
	if (gm->map_base)
		munmap(gm->map_base, gm->map_len);
	if (gm->alias)
		munmap(gm->alias, gm->size);
	if (gm->fd >= 0)
		close(gm->fd);
	gm->map_base = gm->base = gm->alias = NULL;
	gm->fd = -1;
}

/* anon: private anonymous 4K pages; THP is turned off for the range so
 * "thp = always" hosts still measure base pages here. */
static int anon_map(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err)
{
	int rc;

	(void)cfg;
	rc = map_aligned(gm, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, gm->page_size, "anon", err);
	if (!rc)
		madvise(gm->base, gm->size, MADV_NOHUGEPAGE);
	return rc;
}

static const struct backing bk_anon = {
	.name = "anon",
	.summary = "private anonymous memory, 4K pages (THP off for the range)",
	.page_size = base_page,
	.map = anon_map,
	.unmap = unmap_plain,
};

static uint64_t thp_page(const struct fb_config *cfg, const struct host_caps *h)
{
	(void)cfg;
	return h->thp_pmd_size ? h->thp_pmd_size : 2 * FB_MiB;
}

static const char *thp_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				   char *why, size_t n)
{
	(void)cfg;
	if (!h->thp_pmd_size) {
		snprintf(why, n, "no transparent huge pages on this kernel (CONFIG_TRANSPARENT_HUGEPAGE)");
		return why;
	}
	if (!strcmp(h->thp_enabled, "never")) {
		snprintf(why, n, "THP is disabled (/sys/kernel/mm/transparent_hugepage/enabled = never)");
		return why;
	}
	return NULL;
}

static int thp_map(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err)
{
	int rc;

	(void)cfg;
	rc = map_aligned(gm, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, gm->page_size, "thp", err);
	if (!rc && madvise(gm->base, gm->size, MADV_HUGEPAGE)) {
		rc = -errno;
		fb_errf(err, "thp: madvise(MADV_HUGEPAGE) failed: %s", strerror(errno));
		unmap_plain(gm);
	}
	return rc;
}

static const struct backing bk_thp = {
	.name = "thp",
	.summary = "private anonymous memory with MADV_HUGEPAGE (PMD-sized THP)",
	.flags = BK_THP,
	.page_size = thp_page,
	.unsupported = thp_unsupported,
	.map = thp_map,
	.unmap = unmap_plain,
};

static uint64_t hugetlb_page(const struct fb_config *cfg, const struct host_caps *h)
{
	(void)h;
	return cfg->hugepage_size;
}

static const char *hugetlb_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				       char *why, size_t n)
{
	char sz[32];

	if (!probe_hugepage_pool(h, cfg->hugepage_size)) {
		snprintf(why, n, "no hugetlb pool of %s pages on this host (/sys/kernel/mm/hugepages)",
			 fb_fmt_size(cfg->hugepage_size, sz, sizeof(sz)));
		return why;
	}
	return NULL;
}

static int hugetlb_map(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err)
{
	int shift = __builtin_ctzll(cfg->hugepage_size);
	char *p = mmap(NULL, gm->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (shift << MAP_HUGE_SHIFT), -1, 0);

	if (p == MAP_FAILED)
		return map_err(err, "hugetlb", gm->size, errno);
	gm->base = gm->map_base = p;
	gm->map_len = gm->size;
	return 0;
}

static const struct backing bk_hugetlb = {
	.name = "hugetlb",
	.summary = "private anonymous hugetlb pages (MAP_HUGETLB), 2M or 1G",
	.flags = BK_HUGETLB,
	.uffd_missing_feature = UFFD_FEATURE_MISSING_HUGETLBFS,
	.uffd_minor_feature = UFFD_FEATURE_MINOR_HUGETLBFS,
	.page_size = hugetlb_page,
	.unsupported = hugetlb_unsupported,
	.map = hugetlb_map,
	.unmap = unmap_plain,
};

static int shmem_map(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err)
{
	(void)cfg;
	return map_aligned(gm, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, gm->page_size, "shmem",
			   err);
}

static const struct backing bk_shmem = {
	.name = "shmem",
	.summary = "shared anonymous memory (shmem), 4K pages",
	.flags = BK_SHARED,
	.uffd_missing_feature = UFFD_FEATURE_MISSING_SHMEM,
	.uffd_minor_feature = UFFD_FEATURE_MINOR_SHMEM,
	.page_size = base_page,
	.map = shmem_map,
	.unmap = unmap_plain,
};

/* memfd: the guest mapping plus an alias of the same file, as a VMM that
 * shares guest memory with another process would have. */
static int memfd_map_flags(struct guest_mem *gm, unsigned mfd_flags, const char *what,
			   struct fb_err *err)
{
	int e;

	gm->fd = memfd_create("faultbench-guest", MFD_CLOEXEC | mfd_flags);
	if (gm->fd < 0) {
		e = errno;
		fb_errf(err, "%s: memfd_create failed: %s", what, strerror(e));
		return -e;
	}
	if (ftruncate(gm->fd, (off_t)gm->size)) {
		e = errno;
		fb_errf(err, "%s: ftruncate to %llu bytes failed: %s", what,
			(unsigned long long)gm->size, strerror(e));
		unmap_plain(gm);
		return -e;
	}
	gm->base = mmap(NULL, gm->size, PROT_READ | PROT_WRITE, MAP_SHARED, gm->fd, 0);
	if (gm->base == MAP_FAILED) {
		e = errno;
		gm->base = NULL;
		unmap_plain(gm);
		return map_err(err, what, gm->size, e);
	}
	gm->map_base = gm->base;
	gm->map_len = gm->size;
	gm->alias = mmap(NULL, gm->size, PROT_READ | PROT_WRITE, MAP_SHARED, gm->fd, 0);
	if (gm->alias == MAP_FAILED) {
		char w[64];

		e = errno;
		gm->alias = NULL;
		unmap_plain(gm);
		snprintf(w, sizeof(w), "%s alias", what);
		return map_err(err, w, gm->size, e);
	}
	return 0;
}

static int memfd_map(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err)
{
	(void)cfg;
	return memfd_map_flags(gm, 0, "memfd", err);
}

static const struct backing bk_memfd = {
	.name = "memfd",
	.summary = "memfd (shmem file) mapped shared, with a second alias mapping",
	.flags = BK_SHARED | BK_ALIAS,
	.uffd_missing_feature = UFFD_FEATURE_MISSING_SHMEM,
	.uffd_minor_feature = UFFD_FEATURE_MINOR_SHMEM,
	.page_size = base_page,
	.map = memfd_map,
	.unmap = unmap_plain,
};

/* memfd-hugetlb: a hugetlbfs file (memfd with MFD_HUGETLB) mapped shared
 * twice, so hugetlb pages live in a page cache with an alias: what MINOR
 * faults (UFFDIO_CONTINUE) on hugetlbfs need. The shared mappings reserve
 * the file's pages once, at the first mmap. */
static int memfd_hugetlb_map(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err)
{
	unsigned shift = (unsigned)__builtin_ctzll(cfg->hugepage_size);

	return memfd_map_flags(gm, MFD_HUGETLB | (shift << MFD_HUGE_SHIFT), "memfd-hugetlb", err);
}

static const struct backing bk_memfd_hugetlb = {
	.name = "memfd-hugetlb",
	.summary = "hugetlbfs memfd (MFD_HUGETLB) mapped shared, with an alias, 2M or 1G",
	.flags = BK_SHARED | BK_HUGETLB | BK_ALIAS,
	.uffd_missing_feature = UFFD_FEATURE_MISSING_HUGETLBFS,
	.uffd_minor_feature = UFFD_FEATURE_MINOR_HUGETLBFS,
	.page_size = hugetlb_page,
	.unsupported = hugetlb_unsupported,
	.map = memfd_hugetlb_map,
	.unmap = unmap_plain,
};

const struct backing *const backings[] = { &bk_anon, &bk_thp, &bk_hugetlb, &bk_shmem, &bk_memfd,
					   &bk_memfd_hugetlb };
const size_t backings_count = FB_ARRAY_SIZE(backings);

const struct backing *backing_find(const char *name)
{
	for (size_t i = 0; i < backings_count; i++)
		if (!strcmp(backings[i]->name, name))
			return backings[i];
	return NULL;
}

static int place_numa(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err)
{
	if (cfg->numa == NUMA_LOCAL)
		return 0; /* default policy: first touch decides */
	if (numa_available() < 0) {
		fb_errf(err, "--numa: libnuma reports no NUMA support on this host");
		return -ENOSYS;
	}
	errno = 0;
	if (cfg->numa == NUMA_INTERLEAVE)
		numa_interleave_memory(gm->base, gm->size, numa_all_nodes_ptr);
	else
		numa_tonode_memory(gm->base, gm->size, cfg->numa_node);
	if (errno) {
		fb_errf(err, "--numa: mbind failed: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int guest_mem_map(struct guest_mem *gm, const struct fb_config *cfg, struct fb_err *err)
{
	int rc;

	memset(gm, 0, sizeof(*gm));
	gm->bk = cfg->backing;
	gm->size = cfg->total_bytes;
	gm->page_size = cfg->page_size;
	gm->fd = -1;
	rc = gm->bk->map(gm, cfg, err);
	if (rc)
		return rc;
	rc = place_numa(gm, cfg, err);
	if (rc)
		guest_mem_unmap(gm);
	return rc;
}

void guest_mem_unmap(struct guest_mem *gm)
{
	if (gm->bk)
		gm->bk->unmap(gm);
}
