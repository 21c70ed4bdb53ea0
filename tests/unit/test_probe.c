/* probe: what any Linux host must report. Hosts differ, so beyond the basics
 * nothing about this one's features is assumed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "probe.h"

static void test_host_basics(void **state)
{
	const struct host_caps *h = probe_host();
	int i;

	(void)state;
	assert_non_null(h);
	assert_true(strlen(h->kernel_release) > 0);
	assert_true(h->kernel_major >= 4);
	assert_true(h->pus >= 1);
	assert_true(h->topology[0] != '\0');
	assert_int_equal(h->base_page_size, (uint64_t)sysconf(_SC_PAGESIZE));
	assert_true(h->mem_total > 0);
	assert_true(h->mem_available <= h->mem_total);
	assert_int_equal(h->root, geteuid() == 0);
	/* cached: the same object every time */
	assert_ptr_equal(h, probe_host());
	/* pools sorted by page size, each findable */
	for (i = 0; i < h->n_hpsizes; i++) {
		if (i)
			assert_true(h->hp[i - 1].page_size < h->hp[i].page_size);
		assert_ptr_equal(probe_hugepage_pool(h, h->hp[i].page_size), &h->hp[i]);
	}
	assert_null(probe_hugepage_pool(h, 12345));
}

static void test_uffd_consistent(void **state)
{
	const struct host_caps *h = probe_host();

	(void)state;
	assert_int_equal(h->uffd_available, !h->uffd_syscall_errno || !h->uffd_usermode_errno ||
						    !h->uffd_dev_errno);
	if (h->uffd_available) {
		assert_null(probe_uffd_unavailable_reason(h));
		/* in every kernel since 4.11 */
		assert_true(h->uffd_features & UFFD_FEATURE_EVENT_REMOVE);
		assert_true(h->uffd_ioctls & (1ULL << _UFFDIO_REGISTER));
	} else {
		const char *why = probe_uffd_unavailable_reason(h);

		assert_non_null(why);
		assert_non_null(strstr(why, "vm.unprivileged_userfaultfd"));
	}
}

static void test_unavailable_reason(void **state)
{
	struct host_caps h;
	const char *why;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.uffd_syscall_errno = EPERM;
	h.uffd_usermode_errno = EINVAL; /* a kernel older than 5.11 */
	h.uffd_dev_errno = ENOENT;
	why = probe_uffd_unavailable_reason(&h);
	assert_non_null(why);
	assert_non_null(strstr(why, "EPERM"));
	assert_non_null(strstr(why, "EINVAL"));
	assert_non_null(strstr(why, "ENOENT"));
	assert_non_null(strstr(why, "vm.unprivileged_userfaultfd=0"));
	assert_non_null(strstr(why, "sysctl vm.unprivileged_userfaultfd=1"));
	assert_true(strlen(why) < 512);
}

static void test_name_tables(void **state)
{
	uint64_t seen = 0;
	size_t i;

	(void)state;
	assert_int_equal(uffd_feature_names_count, 17);
	for (i = 0; i < uffd_feature_names_count; i++) {
		const struct bitname *b = &uffd_feature_names[i];

		assert_int_equal(__builtin_popcountll(b->bit), 1);
		assert_false(seen & b->bit);
		seen |= b->bit;
		assert_non_null(b->name);
		assert_null(strstr(b->name, "UFFD_FEATURE_"));
		assert_non_null(b->since);
	}
	assert_int_equal(seen, (1ULL << 17) - 1);

	seen = 0;
	for (i = 0; i < uffd_ioctl_names_count; i++) {
		assert_false(seen & uffd_ioctl_names[i].bit);
		seen |= uffd_ioctl_names[i].bit;
	}
	assert_true(seen & (1ULL << _UFFDIO_API));
	assert_true(seen & (1ULL << _UFFDIO_CONTINUE));
}

static json_t *get_path(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return b && v ? json_object_get(v, b) : v;
}

static void test_host_json(void **state)
{
	const struct host_caps *h = probe_host();
	static const char *const keys[][2] = {
		{ "kernel", "release" }, { "kernel", "major" }, { "kernel", "minor" },
		{ "cpu", "model" }, { "cpu", "packages" }, { "cpu", "cores" }, { "cpu", "pus" },
		{ "topology", NULL }, { "numa", "available" }, { "numa", "nodes" },
		{ "memory", "total_bytes" }, { "memory", "available_bytes" },
		{ "memory", "base_page_bytes" },
		{ "thp", "pmd_bytes" }, { "thp", "enabled" }, { "thp", "defrag" },
		{ "thp", "shmem_enabled" }, { "hugetlb", NULL }, { "root", NULL },
		{ "userfaultfd", "available" }, { "userfaultfd", "syscall_errno" },
		{ "userfaultfd", "user_mode_only_errno" }, { "userfaultfd", "dev_errno" },
		{ "userfaultfd", "unprivileged_userfaultfd" }, { "userfaultfd", "features_mask" },
		{ "userfaultfd", "features" }, { "userfaultfd", "ioctls_mask" },
		{ "userfaultfd", "ioctls" }, { "pagemap_scan", NULL }, { "fingerprint", NULL },
	};
	json_t *o = probe_host_json(h), *o2, *f;
	size_t i;

	(void)state;
	assert_non_null(o);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!get_path(o, keys[i][0], keys[i][1]))
			fail_msg("host json lacks %s%s%s", keys[i][0], keys[i][1] ? "." : "",
				 keys[i][1] ? keys[i][1] : "");
	}
	assert_true(json_is_array(get_path(o, "hugetlb", NULL)));
	assert_int_equal(json_array_size(get_path(o, "hugetlb", NULL)), h->n_hpsizes);
	assert_int_equal(json_integer_value(get_path(o, "cpu", "pus")), h->pus);
	assert_int_equal(json_integer_value(get_path(o, "memory", "base_page_bytes")),
			 (json_int_t)h->base_page_size);

	f = get_path(o, "userfaultfd", "features");
	assert_int_equal(json_array_size(f), __builtin_popcountll(h->uffd_features));
	if (h->uffd_available) {
		bool remove = false;

		for (i = 0; i < json_array_size(f); i++)
			remove |= !strcmp(json_string_value(json_array_get(f, i)), "EVENT_REMOVE");
		assert_true(remove);
	}

	/* the fingerprint is stable for the same host */
	o2 = probe_host_json(h);
	assert_string_equal(json_string_value(json_object_get(o, "fingerprint")),
			    json_string_value(json_object_get(o2, "fingerprint")));
	assert_true(strlen(json_string_value(json_object_get(o, "fingerprint"))) >= 8);
	json_decref(o2);
	json_decref(o);
}

static void test_main_rejects_unknown_flag(void **state)
{
	char *argv[] = { "probe", "--bogus", NULL };

	(void)state;
	assert_int_equal(probe_main(2, argv), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_basics),
		cmocka_unit_test(test_uffd_consistent),
		cmocka_unit_test(test_unavailable_reason),
		cmocka_unit_test(test_name_tables),
		cmocka_unit_test(test_host_json),
		cmocka_unit_test(test_main_rejects_unknown_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
