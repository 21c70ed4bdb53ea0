/* What the kernel mapped (harness/mapped.c): the smaps fallback's parser,
 * the rate unit and per-touch figures derived from a measurement, and a
 * real THP mapping measured both ways. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fb.h"
#include "mapped.h"

#define K4 4096ULL
#define M2 (2 * FB_MiB)

static int parse(const char *text, uint64_t start, uint64_t end, struct mapped_smaps *s)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = mapped_smaps_parse(f, start, end, s);
	fclose(f);
	return rc;
}

/* The guest region split in two VMAs (a uffd range moved to WP-only splits
 * it), between foreign mappings whose figures must not count. */
static const char smaps_split[] =
	"7f0000000000-7f0000200000 rw-p 00000000 00:00 0 \n"
	"Rss:                2048 kB\n"
	"AnonHugePages:      2048 kB\n"
	"7f0000200000-7f0000600000 rw-p 00000000 00:00 0 \n"
	"Size:               4096 kB\n"
	"Rss:                2060 kB\n"
	"Pss:                2060 kB\n"
	"AnonHugePages:      2048 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"VmFlags: rd wr mr mw me ac hg\n"
	"7f0000600000-7f0000800000 rw-p 00000000 00:00 0 \n"
	"Rss:                  12 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"7f0000800000-7f0000a00000 rw-p 00000000 00:00 0 \n"
	"Rss:                2048 kB\n"
	"AnonHugePages:      2048 kB\n";

static void test_smaps_sums_the_region_only(void **state)
{
	struct mapped_smaps s;

	(void)state;
	assert_int_equal(parse(smaps_split, 0x7f0000200000ULL, 0x7f0000800000ULL, &s), 0);
	assert_int_equal(s.vmas, 2);
	assert_int_equal(s.rss_bytes, (2060 + 12) * 1024ULL);
	assert_int_equal(s.pmd_bytes, 2048 * 1024ULL);
	assert_int_equal(s.hugetlb_bytes, 0);
}

static void test_smaps_hugetlb(void **state)
{
	static const char t[] =
		"7f0000000000-7f0040000000 rw-s 00000000 00:0f 1234 /memfd:faultbench-guest (deleted)\n"
		"Rss:                   0 kB\n"
		"AnonHugePages:         0 kB\n"
		"Shared_Hugetlb:   524288 kB\n"
		"Private_Hugetlb:  262144 kB\n";
	struct mapped_smaps s;

	(void)state;
	assert_int_equal(parse(t, 0x7f0000000000ULL, 0x7f0040000000ULL, &s), 0);
	assert_int_equal(s.hugetlb_bytes, (524288 + 262144) * 1024ULL);
	assert_int_equal(s.rss_bytes, 0);
}

static void test_smaps_refuses_what_it_cannot_split(void **state)
{
	struct mapped_smaps s;

	(void)state;
	/* a VMA reaching past the region: its figures include foreign memory */
	assert_int_equal(parse(smaps_split, 0x7f0000300000ULL, 0x7f0000800000ULL, &s), -ERANGE);
	assert_int_equal(parse(smaps_split, 0x7f0001000000ULL, 0x7f0001200000ULL, &s), -ENOENT);
	assert_int_equal(parse("", 0, 1, &s), -ENOENT);
}

static struct mapped measured(uint64_t page, uint64_t huge, uint64_t base, uint64_t present)
{
	struct mapped m;

	mapped_init(&m, page);
	m.method = MAPPED_PAGEMAP_SCAN;
	m.reason[0] = 0;
	m.huge_bytes = huge;
	m.base_bytes = base;
	m.pages_measured = m.pages_present = present;
	return m;
}

static void test_per_touch(void **state)
{
	struct mapped m;
	double pages, bytes;
	char u[16];

	(void)state;
	if (sysconf(_SC_PAGESIZE) != (long)K4)
		skip();
	/* 4K asked and got: one page, 4096 bytes, exactly */
	m = measured(K4, 0, 100 * K4, 100);
	mapped_per_touch(&m, &pages, &bytes);
	assert_true(pages == 1 && bytes == 4096);
	assert_false(mapped_huge_short(&m));
	assert_string_equal(mapped_rate_unit(&m, u, sizeof(u)), "4K");

	/* hugetlb / THP as asked: exactly one 2M page per touch */
	m = measured(M2, 100 * M2, 0, 100);
	mapped_per_touch(&m, &pages, &bytes);
	assert_true(pages == 1 && bytes == (double)M2);
	assert_true(mapped_huge_fraction(&m) == 1);
	assert_false(mapped_huge_short(&m));
	assert_string_equal(mapped_rate_unit(&m, u, sizeof(u)), "2M");

	/* wp-unpop on thp: one 4K PTE per touched 2M page */
	m = measured(M2, 0, 100 * K4, 100);
	mapped_per_touch(&m, &pages, &bytes);
	assert_true(pages == 1 && bytes == 4096);
	assert_true(mapped_huge_fraction(&m) == 0);
	assert_true(mapped_huge_short(&m));
	assert_int_equal(mapped_rate_page_bytes(&m), K4);
	assert_string_equal(mapped_rate_unit(&m, u, sizeof(u)), "4K");

	/* UFFDIO_COPY of 2M into anon THP: 512 PTEs per touch */
	m = measured(M2, 0, 100 * M2, 100);
	mapped_per_touch(&m, &pages, &bytes);
	assert_true(pages == 512 && bytes == (double)M2);

	/* half huge, half one 4K page each */
	m = measured(M2, 50 * M2, 50 * K4, 100);
	mapped_per_touch(&m, &pages, &bytes);
	assert_true(pages == 1);
	assert_true(bytes == (50.0 * M2 + 50.0 * K4) / 100);
	assert_int_equal(mapped_rate_page_bytes(&m), 0);
	assert_string_equal(mapped_rate_unit(&m, u, sizeof(u)), "mixed");
	assert_true(mapped_huge_short(&m));
}

static void test_unmeasured_keeps_the_asked_size(void **state)
{
	struct mapped m;
	double pages, bytes;

	(void)state;
	mapped_init(&m, M2);
	mapped_per_touch(&m, &pages, &bytes);
	assert_true(pages == 1 && bytes == (double)M2);
	assert_true(mapped_huge_fraction(&m) < 0);
	assert_false(mapped_huge_short(&m));
	assert_string_equal(mapped_method_name(m.method), "none");
	assert_true(m.reason[0] != 0);
}

/* A real THP mapping: huge where touched with THP on, base pages where
 * MADV_NOHUGEPAGE; PAGEMAP_SCAN and smaps must agree. */
static void test_real_thp(void **state)
{
	uint64_t n = 4, len = n * M2, touched[1] = { 0xf };
	char *p = mmap(NULL, len + M2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;
	struct mapped m, s;
	int rc;

	(void)state;
	if (p == MAP_FAILED) {
		fail_msg("mmap of %llu bytes failed", (unsigned long long)(len + M2));
		return;
	}
	a = (char *)(((uintptr_t)p + M2 - 1) & ~(uintptr_t)(M2 - 1));
	if (madvise(a, 2 * M2, MADV_HUGEPAGE) || madvise(a + 2 * M2, 2 * M2, MADV_NOHUGEPAGE)) {
		munmap(p, len + M2);
		skip();
	}
	for (uint64_t i = 0; i < n; i++)
		a[i * M2] = 1;
	mapped_init(&m, M2);
	rc = mapped_measure_pagemap(&m, a, len, touched);
	if (rc == -ENOTTY || rc == -EINVAL) {
		munmap(p, len + M2);
		skip(); /* before 6.7 */
	}
	assert_int_equal(rc, 0);
	if (!m.huge_bytes) { /* THP off or no huge page to be had */
		munmap(p, len + M2);
		skip();
	}
	assert_int_equal(m.huge_bytes, 2 * M2);
	assert_int_equal(m.base_bytes, 2 * sysconf(_SC_PAGESIZE));
	assert_int_equal(m.pages_present, 4);
	mapped_init(&s, M2);
	/* the madvise split the mapping in two VMAs; smaps sums them */
	assert_int_equal(mapped_measure_smaps(&s, a, len, 4), 0);
	assert_int_equal(s.huge_bytes, m.huge_bytes);
	assert_int_equal(s.base_bytes, m.base_bytes);
	munmap(p, len + M2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smaps_sums_the_region_only),
		cmocka_unit_test(test_smaps_hugetlb),
		cmocka_unit_test(test_smaps_refuses_what_it_cannot_split),
		cmocka_unit_test(test_per_touch),
		cmocka_unit_test(test_unmeasured_keeps_the_asked_size),
		cmocka_unit_test(test_real_thp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
