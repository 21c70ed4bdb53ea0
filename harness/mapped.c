#include "mapped.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "dirty.h"
#include "fb.h"

#define SCAN_VEC 1024

void mapped_init(struct mapped *m, uint64_t page_bytes)
{
	memset(m, 0, sizeof(*m));
	m->page_bytes = page_bytes;
	m->base_page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
	snprintf(m->reason, sizeof(m->reason), "not measured: the repetition did not finish");
}

static inline bool touched_bit(const uint64_t *b, uint64_t i)
{
	return (b[i >> 6] >> (i & 63)) & 1;
}

/* Split one returned run [s, e) over the pages of page_bytes it covers and
 * add the touched ones' bytes. Runs come in address order, so a page that
 * spans several runs is counted present once (*last). */
static void add_run(struct mapped *m, uint64_t base, uint64_t s, uint64_t e, bool huge,
		    const uint64_t *touched, uint64_t *last)
{
	uint64_t ps = m->page_bytes;

	for (uint64_t p = (s - base) / ps; base + p * ps < e; p++) {
		uint64_t lo = base + p * ps, hi = lo + ps;
		uint64_t bytes = (e < hi ? e : hi) - (s > lo ? s : lo);

		if (!touched_bit(touched, p))
			continue;
		if (huge)
			m->huge_bytes += bytes;
		else
			m->base_bytes += bytes;
		if (*last != p + 1) {
			m->pages_present++;
			*last = p + 1;
		}
	}
}

int mapped_measure_pagemap(struct mapped *m, const char *base, uint64_t len,
			   const uint64_t *touched)
{
	struct page_region *vec = calloc(SCAN_VEC, sizeof(*vec));
	uint64_t at = (uintptr_t)base, end = at + len, last = 0;
	int fd = dirty_pagemap_fd(), rc = 0;

	if (!vec)
		return -ENOMEM;
	if (fd < 0) {
		free(vec);
		return fd;
	}
	m->huge_bytes = m->base_bytes = m->pages_present = 0;
	while (at < end) {
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.start = at,
			.end = end,
			.vec = (uintptr_t)vec,
			.vec_len = SCAN_VEC,
			/* present pages only; say which are under a huge entry */
			.category_mask = PAGE_IS_PRESENT,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_HUGE,
		};
		long n = ioctl(fd, PAGEMAP_SCAN, &a);

		if (n < 0) {
			rc = -errno;
			break;
		}
		for (long i = 0; i < n; i++)
			add_run(m, (uintptr_t)base, vec[i].start, vec[i].end,
				vec[i].categories & PAGE_IS_HUGE, touched, &last);
		/* walk_end: where a full vec stopped the walk */
		if (a.walk_end <= at) {
			rc = -EIO;
			break;
		}
		at = a.walk_end;
	}
	free(vec);
	if (!rc)
		m->method = MAPPED_PAGEMAP_SCAN;
	return rc;
}

/* "Name:   123 kB" → bytes, when line is that field */
static bool smaps_field(const char *line, const char *name, uint64_t *bytes)
{
	size_t n = strlen(name);
	unsigned long long kb;

	if (strncmp(line, name, n) || line[n] != ':')
		return false;
	if (sscanf(line + n + 1, "%llu kB", &kb) != 1)
		return false;
	*bytes += (uint64_t)kb * 1024;
	return true;
}

int mapped_smaps_parse(FILE *f, uint64_t start, uint64_t end, struct mapped_smaps *s)
{
	static const char *const pmd[] = { "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped" };
	static const char *const hugetlb[] = { "Private_Hugetlb", "Shared_Hugetlb" };
	char line[512];
	bool in = false;

	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long vs, ve;
		bool done = false;

		/* a VMA's header: "start-end perms offset dev inode [path]" */
		if (sscanf(line, "%llx-%llx ", &vs, &ve) == 2) {
			in = vs < end && ve > start;
			if (in && (vs < start || ve > end))
				return -ERANGE;
			s->vmas += in;
			continue;
		}
		if (!in)
			continue;
		done = smaps_field(line, "Rss", &s->rss_bytes);
		for (size_t i = 0; !done && i < FB_ARRAY_SIZE(pmd); i++)
			done = smaps_field(line, pmd[i], &s->pmd_bytes);
		for (size_t i = 0; !done && i < FB_ARRAY_SIZE(hugetlb); i++)
			done = smaps_field(line, hugetlb[i], &s->hugetlb_bytes);
	}
	return s->vmas ? 0 : -ENOENT;
}

int mapped_measure_smaps(struct mapped *m, const char *base, uint64_t len, uint64_t ntouched)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	struct mapped_smaps s;
	int rc;

	if (!f)
		return -errno;
	rc = mapped_smaps_parse(f, (uintptr_t)base, (uintptr_t)base + len, &s);
	fclose(f);
	if (rc)
		return rc;
	m->huge_bytes = s.pmd_bytes + s.hugetlb_bytes;
	m->base_bytes = s.rss_bytes > s.pmd_bytes ? s.rss_bytes - s.pmd_bytes : 0;
	/* per VMA, not per page: every touched page is taken as present */
	m->pages_present = (m->huge_bytes + m->base_bytes) ? ntouched : 0;
	m->method = MAPPED_SMAPS;
	return 0;
}

int mapped_measure(struct mapped *m, const char *base, uint64_t len, uint64_t page_bytes,
		   const uint64_t *touched, uint64_t ntouched)
{
	int rc;

	mapped_init(m, page_bytes);
	m->pages_measured = ntouched;
	m->reason[0] = 0;
	rc = mapped_measure_pagemap(m, base, len, touched);
	/* ENOTTY, EINVAL: a kernel before 6.7 (no PAGEMAP_SCAN) */
	if (rc)
		rc = mapped_measure_smaps(m, base, len, ntouched);
	if (rc) {
		m->method = MAPPED_NONE;
		m->huge_bytes = m->base_bytes = m->pages_present = 0;
		snprintf(m->reason, sizeof(m->reason),
			 "neither PAGEMAP_SCAN nor /proc/self/smaps could say what was mapped: %s",
			 strerror(-rc));
	}
	return rc;
}

const char *mapped_method_name(enum mapped_method m)
{
	return m == MAPPED_PAGEMAP_SCAN ? "pagemap_scan" : m == MAPPED_SMAPS ? "smaps" : "none";
}

double mapped_huge_fraction(const struct mapped *m)
{
	uint64_t all = m->huge_bytes + m->base_bytes;

	return m->method != MAPPED_NONE && all ? (double)m->huge_bytes / (double)all : -1;
}

bool mapped_huge_short(const struct mapped *m)
{
	return m->method != MAPPED_NONE && m->page_bytes > m->base_page_bytes && m->base_bytes;
}

uint64_t mapped_rate_page_bytes(const struct mapped *m)
{
	if (m->method == MAPPED_NONE || m->page_bytes <= m->base_page_bytes || !m->base_bytes)
		return m->page_bytes;
	return m->huge_bytes ? 0 : m->base_page_bytes;
}

const char *mapped_rate_unit(const struct mapped *m, char *buf, size_t n)
{
	uint64_t b = mapped_rate_page_bytes(m);

	if (!b)
		snprintf(buf, n, "mixed");
	else
		fb_fmt_size(b, buf, n);
	return buf;
}

void mapped_per_touch(const struct mapped *m, double *pages, double *bytes)
{
	*pages = 1;
	*bytes = (double)m->page_bytes;
	/* base pages asked: one touch is one base page, however it is mapped */
	if (m->method == MAPPED_NONE || m->page_bytes <= m->base_page_bytes || !m->pages_present)
		return;
	*pages = ((double)m->huge_bytes / (double)m->page_bytes +
		  (double)m->base_bytes / (double)m->base_page_bytes) / (double)m->pages_present;
	*bytes = (double)(m->huge_bytes + m->base_bytes) / (double)m->pages_present;
}
