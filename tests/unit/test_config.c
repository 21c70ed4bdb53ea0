/* Unit tests for harness/config: `faultbench run` flags through
 * config_parse_run(), the resolved fields, refused input and what the refusal
 * says, and the size and number parsers underneath. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "fb.h"
#include "memory.h"
#include "modes/mode.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 32

/* Flags after argv[0] = "run", NULL-terminated. */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ARGS ((const char *const[]){ NULL })

/* getopt_long may permute argv, and cfg may keep pointers into it: the
 * strings live here until the next parse. */
static char arg_store[MAX_ARGS][128];
static char *arg_v[MAX_ARGS + 1];

static int parse(struct fb_config *cfg, struct fb_err *err, const char *const *args)
{
	int argc = 0;

	memset(err, 0, sizeof(*err));
	snprintf(arg_store[argc], sizeof(arg_store[argc]), "run");
	arg_v[argc] = arg_store[argc];
	argc++;
	for (; args[argc - 1]; argc++) {
		assert_true(argc < MAX_ARGS);
		snprintf(arg_store[argc], sizeof(arg_store[argc]), "%s", args[argc - 1]);
		arg_v[argc] = arg_store[argc];
	}
	arg_v[argc] = NULL;
	return config_parse_run(cfg, argc, arg_v, err);
}

static void parse_ok(struct fb_config *cfg, const char *const *args)
{
	struct fb_err err;
	int rc = parse(cfg, &err, args);

	if (rc != 0)
		fail_msg("config_parse_run(%s ...) = %d: %s", args[0] ? args[0] : "", rc, err.msg);
}

static uint64_t base_page(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static void check_defaults(const struct fb_config *c)
{
	assert_string_equal(c->mode->name, "none");
	assert_string_equal(c->backing->name, "anon");
	assert_int_equal(c->vcpus, 1);
	assert_int_equal(c->size, 256 * FB_MiB);
	assert_false(c->per_vcpu);
	assert_false(c->overlap);
	assert_int_equal(c->reps, 5);
	assert_int_equal(c->warmup, 1);
	assert_true(c->verify);
	assert_true(c->record_latency);
	assert_string_equal(c->workload.text, "seq");
	assert_int_equal(c->access, ACCESS_WRITE);
	assert_int_equal(c->pin, PIN_COMPACT);
	assert_int_equal(c->numa, NUMA_LOCAL);
	assert_int_equal(c->seed, 1);
	assert_int_equal(c->uffd_sharing, UFFD_SHARED);
	assert_int_equal(c->readers, 1);
	assert_int_equal(c->handlers, 1);
	assert_int_equal(c->wait, WAIT_POLL);
	assert_int_equal(c->handler_cpus, HCPUS_ANY);
	assert_int_equal(c->batch, 16);
	assert_true(c->zero_fraction == 0.0);
	assert_int_equal(c->inject, INJECT_NONE);
	assert_int_equal(c->hugepage_size, 2 * FB_MiB);
	assert_int_equal(c->page_size, base_page());
	assert_int_equal(c->total_bytes, 256 * FB_MiB);
	assert_int_equal(c->slice_pages, 256 * FB_MiB / base_page());
	if (base_page() == 4096)
		assert_int_equal(c->slice_pages, 65536);
	assert_null(c->out_path);
	assert_false(c->quiet);
}

static void test_defaults(void **state)
{
	struct fb_config c;

	(void)state;
	parse_ok(&c, NO_ARGS);
	check_defaults(&c);
}

/* A refused parse leaves nothing behind: the next parse starts from the
 * defaults and from argv[1]. */
static void test_parse_after_error(void **state)
{
	struct fb_config c;
	struct fb_err err;

	(void)state;
	assert_int_equal(parse(&c, &err, ARGS("--vcpus", "4", "--bogus")), -EINVAL);
	assert_int_equal(parse(&c, &err, ARGS("--vcpus", "2", "--size")), -EINVAL);
	assert_int_equal(parse(&c, &err, ARGS("--mode", "nope")), -EINVAL);
	parse_ok(&c, NO_ARGS);
	check_defaults(&c);
	parse_ok(&c, ARGS("--vcpus", "2"));
	assert_int_equal(c.vcpus, 2);
	parse_ok(&c, NO_ARGS);
	check_defaults(&c);
}

static void test_uffd_per_vcpu(void **state)
{
	struct fb_config c;

	(void)state;
	parse_ok(&c, ARGS("--mode", "uffd-stock", "--vcpus", "4", "--size", "1G", "--workload", "random",
			  "--access", "read-then-write", "--uffd", "per-vcpu", "--readers", "2"));
	assert_string_equal(c.mode->name, "uffd-stock");
	assert_int_equal(c.vcpus, 4);
	assert_int_equal(c.size, FB_GiB);
	assert_string_equal(c.workload.text, "random");
	assert_int_equal(c.access, ACCESS_READ_WRITE);
	assert_int_equal(c.uffd_sharing, UFFD_PER_VCPU);
	assert_int_equal(c.readers, 2);
	assert_int_equal(c.handlers, 8);
	assert_int_equal(c.total_bytes, FB_GiB);
	assert_int_equal(c.slice_pages, FB_GiB / base_page() / 4);
	if (base_page() == 4096)
		assert_int_equal(c.slice_pages, 65536);
}

static void test_per_vcpu_and_overlap(void **state)
{
	struct fb_config c;

	(void)state;
	parse_ok(&c, ARGS("--per-vcpu", "--size", "64M", "--vcpus", "3"));
	assert_true(c.per_vcpu);
	assert_int_equal(c.total_bytes, 192 * FB_MiB);
	assert_int_equal(c.slice_pages, 64 * FB_MiB / base_page());

	parse_ok(&c, ARGS("--overlap", "--vcpus", "2", "--size", "64M"));
	assert_true(c.overlap);
	assert_int_equal(c.total_bytes, 64 * FB_MiB);
	assert_int_equal(c.slice_pages, 64 * FB_MiB / base_page());

	/* a total split over vCPUs rounds down to whole pages per vCPU */
	parse_ok(&c, ARGS("--vcpus", "3", "--size", "64M"));
	assert_int_equal(c.slice_pages, 64 * FB_MiB / base_page() / 3);
	assert_int_equal(c.total_bytes, c.slice_pages * 3 * base_page());

	parse_ok(&c, ARGS("--threads", "5"));
	assert_int_equal(c.vcpus, 5);
}

static void test_handlers_readers(void **state)
{
	struct fb_config c;

	(void)state;
	parse_ok(&c, ARGS("--handlers", "4", "--uffd", "shared"));
	assert_int_equal(c.readers, 4);
	assert_int_equal(c.handlers, 4);

	parse_ok(&c, ARGS("--handlers", "6", "--uffd", "per-vcpu", "--vcpus", "3"));
	assert_int_equal(c.readers, 2);
	assert_int_equal(c.handlers, 6);

	parse_ok(&c, ARGS("--readers", "3", "--uffd", "per-vcpu", "--vcpus", "2"));
	assert_int_equal(c.readers, 3);
	assert_int_equal(c.handlers, 6);
}

static void test_other_good_flags(void **state)
{
	struct fb_config c;
	struct fb_err err;

	(void)state;
	parse_ok(&c, ARGS("--numa", "node:0"));
	assert_int_equal(c.numa, NUMA_NODE);
	assert_int_equal(c.numa_node, 0);

	parse_ok(&c, ARGS("--numa", "interleave"));
	assert_int_equal(c.numa, NUMA_INTERLEAVE);

	parse_ok(&c, ARGS("--numa", "local"));
	assert_int_equal(c.numa, NUMA_LOCAL);

	parse_ok(&c, ARGS("--hugepage-size", "1G"));
	assert_int_equal(c.hugepage_size, FB_GiB);
	assert_int_equal(c.page_size, base_page()); /* anon: the base page still */

	parse_ok(&c, ARGS("--backing", "hugetlb", "--size", "8M"));
	assert_string_equal(c.backing->name, "hugetlb");
	assert_int_equal(c.page_size, 2 * FB_MiB);
	assert_int_equal(c.slice_pages, 4);

	parse_ok(&c, ARGS("--backing", "hugetlb", "--hugepage-size", "1G", "--size", "2G"));
	assert_int_equal(c.page_size, FB_GiB);
	assert_int_equal(c.slice_pages, 2);

	parse_ok(&c, ARGS("--zero-fraction", "0.25"));
	assert_true(c.zero_fraction == 0.25);

	parse_ok(&c, ARGS("--mode", "uffd-stock", "--inject", "corrupt-copy:5"));
	assert_int_equal(c.inject, INJECT_CORRUPT_COPY);
	assert_int_equal(c.inject_page, 5);

	parse_ok(&c, ARGS("--fault-timeout", "2.5"));
	assert_true(c.fault_timeout_s == 2.5);

	parse_ok(&c, ARGS("--wait", "spin", "--handler-cpus", "other"));
	assert_int_equal(c.wait, WAIT_SPIN);
	assert_int_equal(c.handler_cpus, HCPUS_OTHER);
	parse_ok(&c, ARGS("--handler-cpus", "0,0-0"));
	assert_int_equal(c.handler_cpus, HCPUS_LIST);
	assert_string_equal(c.handler_cpu_list, "0,0-0");
	parse_ok(&c, ARGS("--handler-cpus", "any", "--pin", "none"));
	assert_int_equal(c.handler_cpus, HCPUS_ANY);

	parse_ok(&c, ARGS("--pin", "scatter", "--wait", "epoll", "--batch", "64", "--populate", "read",
			  "--populate-parallel", "--latency", "off", "--no-verify", "--seed", "77",
			  "--reps", "3", "--warmup", "0", "--quiet"));
	assert_int_equal(c.pin, PIN_SCATTER);
	assert_int_equal(c.wait, WAIT_EPOLL);
	assert_int_equal(c.batch, 64);
	assert_int_equal(c.populate, POPULATE_READ);
	assert_true(c.populate_parallel);
	assert_false(c.record_latency);
	assert_false(c.verify);
	assert_int_equal(c.seed, 77);
	assert_int_equal(c.reps, 3);
	assert_int_equal(c.warmup, 0);
	assert_true(c.quiet);

	parse_ok(&c, ARGS("--out", "x.json"));
	assert_string_equal(c.out_path, "x.json");

	/* beyond RAM is fine when asked for; nothing is mapped here */
	parse_ok(&c, ARGS("--size", "1T", "--vcpus", "64", "--allow-overcommit"));
	assert_int_equal(c.total_bytes, 1024 * FB_GiB);
	/* but not when the harness's own sequences (4 bytes a page) cannot fit */
	assert_int_equal(parse(&c, &err, ARGS("--size", "100T", "--vcpus", "64", "--allow-overcommit")),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "access sequences"));

	assert_int_equal(parse(&c, &err, ARGS("--help")), 1);
	assert_int_equal(parse(&c, &err, ARGS("--mode", "help")), 1);
}

/* --events: a set in any order; the region grows by the event area past
 * the slices, which keep their size; the JSON lists the set in firing order */
static void test_events(void **state)
{
	struct fb_config c;
	json_t *j;
	char *ev;

	(void)state;
	parse_ok(&c, NO_ARGS);
	assert_int_equal(c.events, 0);
	j = config_to_json(&c);
	assert_null(json_object_get(j, "events"));
	json_decref(j);

	parse_ok(&c, ARGS("--mode", "uffd-stock", "--size", "8M", "--vcpus", "2", "--events",
			  "fork,unmap"));
	assert_int_equal(c.events, EV_FORK | EV_UNMAP);
	assert_int_equal(c.slice_pages, 4 * FB_MiB / base_page());
	assert_int_equal(c.total_bytes, 8 * FB_MiB + FB_EVENT_AREA_PAGES * base_page());
	j = config_to_json(&c);
	ev = json_dumps(json_object_get(j, "events"), JSON_COMPACT);
	assert_string_equal(ev, "[\"unmap\",\"fork\"]");
	free(ev);
	json_decref(j);

	parse_ok(&c, ARGS("--mode", "uffd-stock", "--events", "remap", "--events", "remove,remove",
			  "--inject", "corrupt-copy:3"));
	assert_int_equal(c.events, EV_REMOVE);
	parse_ok(&c, ARGS("--mode", "uffd-stock", "--events", "remap", "--inject", "ignore-remap:0"));
	assert_int_equal(c.inject, INJECT_IGNORE_REMAP);
}

struct bad_case {
	const char *args[10];
	const char *says[6]; /* every one must be in the message */
};

static const struct bad_case bad_cases[] = {
	{ { "--bogus" }, { "--bogus" } },
	{ { "--mode", "nope" }, { "--mode", "nope", "none", "uffd-stock", "populate" } },
	{ { "--backing", "x" }, { "--backing", "anon", "thp", "hugetlb", "shmem", "memfd" } },
	{ { "--pin", "x" }, { "--pin", "compact", "scatter", "none" } },
	{ { "--access", "x" }, { "--access", "write", "read", "read-then-write" } },
	{ { "--uffd", "x" }, { "--uffd", "shared", "per-vcpu" } },
	{ { "--wait", "x" }, { "--wait", "poll", "epoll", "spin" } },
	{ { "--handler-cpus", "near" }, { "--handler-cpus", "same", "other", "any", "0,2-3" } },
	{ { "--handler-cpus", "4095" }, { "--handler-cpus", "CPU 4095 is not online" } },
	{ { "--handler-cpus", "1-0" }, { "--handler-cpus", "backwards" } },
	{ { "--handler-cpus", "0,,1" }, { "--handler-cpus", "0,2-3" } },
	{ { "--handler-cpus", "0-" }, { "--handler-cpus" } },
	{ { "--handler-cpus", "same", "--pin", "none" }, { "--handler-cpus same", "--pin none" } },
	{ { "--handler-cpus", "other", "--pin", "none" }, { "--handler-cpus other", "--pin none" } },
	{ { "--populate", "x" }, { "--populate", "write", "read" } },
	{ { "--latency", "maybe" }, { "--latency", "maybe", "on", "off" } },
	{ { "--vcpus", "0" }, { "--vcpus", "4096" } },
	{ { "--vcpus", "99999" }, { "--vcpus", "99999" } },
	{ { "--vcpus", "-1" }, { "--vcpus" } },
	{ { "--vcpus", "1x" }, { "--vcpus", "1x" } },
	{ { "--threads", "0" }, { "--vcpus" } },
	{ { "--size", "0" }, { "--size" } },
	{ { "--size", "12Q" }, { "--size", "12Q" } },
	{ { "--size", "99999999999999999999" }, { "--size" } },
	{ { "--size", "18446744073709551615K" }, { "--size" } },
	{ { "--reps", "0" }, { "--reps" } },
	{ { "--batch", "0" }, { "--batch" } },
	{ { "--batch", "1025" }, { "--batch" } },
	{ { "--zero-fraction", "1.5" }, { "--zero-fraction" } },
	{ { "--zero-fraction", "nan" }, { "--zero-fraction" } },
	{ { "--zero-fraction", "-0.1" }, { "--zero-fraction" } },
	{ { "--fault-timeout", "0" }, { "--fault-timeout" } },
	{ { "--numa", "node:x" }, { "--numa", "local", "interleave", "node:" } },
	{ { "--numa", "node:" }, { "--numa" } },
	{ { "--numa", "far" }, { "--numa", "local", "interleave" } },
	{ { "--hugepage-size", "3M" }, { "--hugepage-size", "2M", "1G" } },
	{ { "--backing", "hugetlb", "--size", "3M" }, { "--size", "2M", "hugetlb" } },
	{ { "--per-vcpu", "--overlap" }, { "--per-vcpu", "--overlap" } },
	{ { "--handlers", "2", "--readers", "2" }, { "--handlers", "--readers" } },
	{ { "--uffd", "per-vcpu", "--vcpus", "3", "--handlers", "4" }, { "--handlers", "4" } },
	{ { "--mode", "uffd-stock", "--uffd", "per-vcpu", "--overlap", "--vcpus", "2" },
	  { "--uffd per-vcpu", "--overlap" } },
	/* more than RAM (any host this runs on has less than 100T) */
	{ { "--size", "100T", "--vcpus", "64" }, { "--size", "--allow-overcommit" } },
	/* 100T in one slice is more pages than a workload can index */
	{ { "--size", "100T" }, { "--size" } },
	{ { "--size", "4K", "--vcpus", "2" }, { "--size" } },
	{ { "--mode", "uffd-stock", "--inject", "corrupt-copy:999999999" }, { "--inject", "999999999" } },
	{ { "--inject", "corrupt-copy:1" }, { "--inject", "mode none resolves no faults" } },
	{ { "--mode", "zero-unreg", "--inject", "enomem-copy:1" }, { "--inject", "only with --mode uffd-stock" } },
	{ { "--inject", "bogus:1" }, { "--inject", "corrupt-copy", "duplicate-copy", "drop-copy" } },
	{ { "--inject", "corrupt-copy" }, { "--inject" } },
	{ { "--inject", "drop-copy:x" }, { "--inject" } },
	{ { "--mode", "uffd-stock", "--events", "exec" }, { "--events", "exec", "unmap", "remove", "remap", "fork" } },
	{ { "--mode", "uffd-stock", "--events", "unmap," }, { "--events", "unmap," } },
	{ { "--mode", "populate", "--events", "fork" }, { "--events", "--mode populate", "uffd-stock" } },
	{ { "--mode", "uffd-stock", "--handler", "process", "--events", "fork" },
	  { "--events", "--handler process", "--handler thread" } },
	{ { "--mode", "uffd-stock", "--uffd", "per-vcpu", "--events", "fork" }, { "--events", "--uffd per-vcpu" } },
	{ { "--mode", "uffd-stock", "--backing", "thp", "--events", "fork" }, { "--events", "--backing thp", "anon" } },
	{ { "--mode", "uffd-stock", "--resolve", "move", "--events", "fork" }, { "--events", "--resolve move" } },
	{ { "--mode", "uffd-stock", "--events", "fork", "--inject", "ignore-remap:0" },
	  { "--inject ignore-remap", "remap" } },
	{ { "--size" }, { "--size", "value" } },
	{ { "--vcpus", "2", "--mode" }, { "--mode", "value" } },
	{ { "extra" }, { "extra" } },
	{ { "--vcpus", "2", "extra" }, { "extra" } },
};

static void test_bad_flags(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *b = &bad_cases[i];
		const char *args[ARRAY_SIZE(b->args) + 1] = { 0 };
		char line[256] = "";
		struct fb_config c;
		struct fb_err err;
		int rc;

		for (size_t a = 0; a < ARRAY_SIZE(b->args) && b->args[a]; a++) {
			args[a] = b->args[a];
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s", b->args[a]);
		}
		rc = parse(&c, &err, args);
		if (rc != -EINVAL && rc != -ERANGE)
			fail_msg("run%s: returned %d, want -EINVAL or -ERANGE", line, rc);
		for (size_t s = 0; s < ARRAY_SIZE(b->says) && b->says[s]; s++)
			if (!strstr(err.msg, b->says[s]))
				fail_msg("run%s: message lacks \"%s\": %s", line, b->says[s], err.msg);
	}
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "4096", 4096 },
		{ "0", 0 },
		{ "4K", 4 * FB_KiB },
		{ "4k", 4 * FB_KiB },
		{ "2M", 2 * FB_MiB },
		{ "1G", FB_GiB },
		{ "1T", 1024 * FB_GiB },
		{ "2MiB", 2 * FB_MiB },
		{ "2MB", 2 * FB_MiB },
		{ "10G", 10 * FB_GiB },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215T", 16777215ULL << 40 },
	};
	static const char *const bad[] = {
		"", "K", "-1", "+1", " 1", "1.5G", "1 G", "1Z", "1G ", "1Gx", "1MiBx", "1Mi", "0x10",
		"99999999999999999999", "18446744073709551615K", "16777216T",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		v = 12345;
		if (fb_parse_size(good[i].s, &v) || v != good[i].v)
			fail_msg("fb_parse_size(\"%s\") = %llu, want %llu", good[i].s,
				 (unsigned long long)v, (unsigned long long)good[i].v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc;

		v = 12345;
		rc = fb_parse_size(bad[i], &v);
		if (rc != -EINVAL && rc != -ERANGE)
			fail_msg("fb_parse_size(\"%s\") = %d (value %llu), want an error", bad[i], rc,
				 (unsigned long long)v);
		assert_int_equal(v, 12345); /* untouched */
	}
	assert_int_equal(fb_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(fb_parse_size("18446744073709551615K", &v), -ERANGE);
	assert_int_equal(fb_parse_size(NULL, &v), -EINVAL);
}

/* fb_read_small: the whole small file, NUL-ended; truncated to the
 * buffer; -1 for a file that is not there */
static void test_read_small(void **state)
{
	char path[] = "/tmp/fb-read-small-XXXXXX", buf[8];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "12345 kB\n", 9), 9);
	close(fd);
	assert_int_equal(fb_read_small(path, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "12345 k");
	assert_int_equal(fb_read_small(path, buf, 1), -1);
	unlink(path);
	assert_int_equal(fb_read_small(path, buf, sizeof(buf)), -1);
	assert_true(fb_read_small("/proc/self/stat", buf, sizeof(buf)) > 0);
}

static void test_parse_u64(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(fb_parse_u64("5", 1, 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(fb_parse_u64("1", 1, 10, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(fb_parse_u64("10", 1, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(fb_parse_u64("0", 0, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(fb_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX);

	v = 777;
	assert_int_equal(fb_parse_u64("0", 1, 10, &v), -ERANGE);
	assert_int_equal(fb_parse_u64("11", 1, 10, &v), -ERANGE);
	assert_int_equal(fb_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(fb_parse_u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(fb_parse_u64(NULL, 0, 10, &v), -EINVAL);
	assert_int_equal(fb_parse_u64("-1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(fb_parse_u64("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(fb_parse_u64(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(fb_parse_u64("1x", 0, 10, &v), -EINVAL);
	assert_int_equal(fb_parse_u64("1 ", 0, 10, &v), -EINVAL);
	assert_int_equal(fb_parse_u64("1.0", 0, 10, &v), -EINVAL);
	assert_int_equal(v, 777); /* untouched on every refusal */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_after_error),
		cmocka_unit_test(test_uffd_per_vcpu),
		cmocka_unit_test(test_per_vcpu_and_overlap),
		cmocka_unit_test(test_handlers_readers),
		cmocka_unit_test(test_other_good_flags),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_read_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
