/* Unit tests for harness/handoff and harness/memfile: the handshake's JSON
 * (Firecracker's field names, page_size_kib in bytes, one object per
 * region), what the parser refuses, the uffd crossing a socket pair in
 * SCM_RIGHTS, and a memory file that holds the image's words with its zero
 * pages as holes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "fb.h"
#include "handoff.h"
#include "image.h"
#include "memfile.h"

static void test_json_fields(void **state)
{
	struct handoff_region r[2] = {
		{ .base = 0x7f0000000000ULL, .size = 64 << 20, .offset = 0, .page_size = 4096 },
		{ .base = 0x7f4000000000ULL, .size = 2 << 20, .offset = 64 << 20, .page_size = 2 << 20 },
	};
	char *s = handoff_json(r, 2);
	json_t *a, *o;

	(void)state;
	assert_non_null(s);
	a = json_loads(s, 0, NULL);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 2);
	o = json_array_get(a, 1);
	assert_int_equal(json_object_size(o), 5);
	assert_int_equal(json_integer_value(json_object_get(o, "base_host_virt_addr")), 0x7f4000000000LL);
	assert_int_equal(json_integer_value(json_object_get(o, "size")), 2 << 20);
	assert_int_equal(json_integer_value(json_object_get(o, "offset")), 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(o, "page_size")), 2 << 20);
	/* deprecated, and in bytes despite its name, as Firecracker sends it */
	assert_int_equal(json_integer_value(json_object_get(o, "page_size_kib")), 2 << 20);
	json_decref(a);
	free(s);
}

static void test_parse_round_trip(void **state)
{
	struct handoff_region r = { .base = 1 << 21, .size = 8 << 20, .offset = 4096, .page_size = 4096 };
	struct handoff_region back[4];
	struct fb_err err = { "" };
	char *s = handoff_json(&r, 1);
	size_t n = 0;

	(void)state;
	assert_int_equal(handoff_parse(s, strlen(s), back, 4, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(&back[0], &r, sizeof(r));
	free(s);
}

static void test_parse_old_field_only(void **state)
{
	static const char old[] =
		"[{\"base_host_virt_addr\":4096,\"size\":8192,\"offset\":0,\"page_size_kib\":4096}]";
	struct handoff_region r;
	struct fb_err err = { "" };
	size_t n = 0;

	(void)state;
	assert_int_equal(handoff_parse(old, strlen(old), &r, 1, &n, &err), 0);
	assert_int_equal(r.page_size, 4096);
}

static void test_parse_refuses(void **state)
{
	static const char *const bad[][2] = {
		{ "not json", "payload" },
		{ "[]", "payload" },
		{ "{}", "payload" },
		{ "[{\"size\":8192,\"offset\":0,\"page_size\":4096}]", "base_host_virt_addr" },
		{ "[{\"base_host_virt_addr\":4096,\"size\":-1,\"offset\":0,\"page_size\":4096}]", "size" },
		{ "[{\"base_host_virt_addr\":4096,\"size\":8192,\"offset\":0}]", "page_size_kib" },
		{ "[{\"base_host_virt_addr\":4096,\"size\":8192,\"offset\":0,\"page_size\":3000}]", "power of two" },
		{ "[{\"base_host_virt_addr\":4096,\"size\":6000,\"offset\":0,\"page_size\":4096}]", "power of two" },
	};
	struct handoff_region r[2];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fb_err err = { "" };

		n = 7;
		assert_int_equal(handoff_parse(bad[i][0], strlen(bad[i][0]), r, 2, &n, &err), -EINVAL);
		assert_int_equal(n == 7 || n == 0, 1);
		if (!strstr(err.msg, bad[i][1]))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], err.msg, bad[i][1]);
	}
}

/* One message: the payload, and an fd that refers to the same file. */
static void test_send_recv_fd(void **state)
{
	char buf[HANDOFF_MSG_MAX];
	int sv[2], fd, got = -1;
	struct stat a, b;
	size_t len = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(handoff_send(sv[0], "[1]", fd), 0);
	assert_int_equal(handoff_recv(sv[1], buf, sizeof(buf), &len, &got), 0);
	assert_int_equal(len, 3);
	assert_string_equal(buf, "[1]");
	assert_true(got >= 0 && got != fd);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(got, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(got);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* The file holds image_word() at every word; zero pages read as zeros and
 * take no blocks; a temporary file is gone after memfile_close(). */
static void test_memfile_holds_image(void **state)
{
	struct fb_config cfg;
	struct image img;
	struct memfile mf;
	struct fb_err err = { "" };
	uint64_t *page = malloc(4096), nonzero = 0;
	char dir[] = "/tmp/fbmemfile.XXXXXX", path[PATH_MAX];
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("TMPDIR", dir, 1);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(image_create(&img, 300, 4096, 0.5, 1, 7, &err), 0);
	assert_int_equal(memfile_write(&mf, &cfg, &img, &err), 0);
	assert_true(mf.temporary);
	assert_int_equal(mf.bytes, 300 * 4096);
	for (uint64_t p = 0; p < img.npages; p++) {
		assert_int_equal(pread(mf.fd, page, 4096, (off_t)(p * 4096)), 4096);
		for (uint64_t w = 0; w < 512; w++)
			assert_int_equal(page[w], image_word(&img, p, w));
		nonzero += !image_is_zero(&img, p);
	}
	assert_int_equal(fstat(mf.fd, &sb), 0);
	assert_int_equal(sb.st_size, 300 * 4096);
	/* sparse where the file system allows it: never more than the data */
	assert_true((uint64_t)sb.st_blocks * 512 <= nonzero * 4096 + 65536 ||
		    (uint64_t)sb.st_blocks * 512 == 300 * 4096);
	snprintf(path, sizeof(path), "%s", mf.path);
	assert_int_equal(memfile_drop_cache(&mf, &err), 0);
	memfile_close(&mf);
	assert_int_equal(access(path, F_OK), -1);
	assert_null(memfile_tmp_path);
	assert_int_equal(rmdir(dir), 0);
	image_destroy(&img);
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_old_field_only),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_send_recv_fd),
		cmocka_unit_test(test_memfile_holds_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
