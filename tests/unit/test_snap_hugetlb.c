/* Unit tests for harness/snapshot/snap_hugetlb.c: the save unit is the
 * huge page on hugetlb even for a strategy that saves 4K on THP (hugetlb
 * write-protects whole huge pages only), and a backing that is not hugetlb
 * reserves nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fb.h"
#include "memory.h"
#include "snapshot/snap.h"

static const struct snap_strategy save_4k = { .name = "4k", .flags = SNAP_ST_SAVE_4K };
static const struct snap_strategy whole = { .name = "whole" };

static struct guest_mem mem(const char *backing, uint64_t page_size)
{
	struct guest_mem gm;

	memset(&gm, 0, sizeof(gm));
	gm.bk = backing_find(backing);
	assert_non_null(gm.bk);
	gm.page_size = page_size;
	return gm;
}

static void test_unit_thp_4k(void **state)
{
	struct guest_mem gm = mem("thp", 2 * FB_MiB);

	(void)state;
	assert_int_equal(snap_unit_bytes(&save_4k, &gm), 4096);
	assert_int_equal(snap_unit_bytes(&whole, &gm), 2 * FB_MiB);
}

static void test_unit_hugetlb_whole_page(void **state)
{
	struct guest_mem gm = mem("hugetlb", 2 * FB_MiB), g1 = mem("memfd-hugetlb", FB_GiB);

	(void)state;
	assert_int_equal(snap_unit_bytes(&save_4k, &gm), 2 * FB_MiB);
	assert_int_equal(snap_unit_bytes(&whole, &gm), 2 * FB_MiB);
	assert_int_equal(snap_unit_bytes(&save_4k, &g1), FB_GiB);
}

static void test_unit_base_pages(void **state)
{
	struct guest_mem gm = mem("anon", 4096);

	(void)state;
	assert_int_equal(snap_unit_bytes(&save_4k, &gm), 4096);
}

static void test_no_reservation_off_hugetlb(void **state)
{
	struct snap_config c;
	char why[256] = "";

	(void)state;
	memset(&c, 0, sizeof(c));
	c.run.backing = backing_find("thp");
	c.run.page_size = 2 * FB_MiB;
	c.run.total_bytes = 64 * FB_MiB;
	assert_int_equal(snap_hugetlb_reserve(&c, &whole, why, sizeof(why)), 0);
	assert_string_equal(why, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_thp_4k),
		cmocka_unit_test(test_unit_hugetlb_whole_page),
		cmocka_unit_test(test_unit_base_pages),
		cmocka_unit_test(test_no_reservation_off_hugetlb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
