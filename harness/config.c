/* `faultbench run` flags → struct fb_config, checked and resolved. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit.h"
#include "memory.h"
#include "modes/mode.h"
#include "probe.h"
#include "topo.h"

struct enum_name {
	const char *name;
	int value;
};

static const struct enum_name access_names[] = {
	{ "write", ACCESS_WRITE }, { "read", ACCESS_READ }, { "read-then-write", ACCESS_READ_WRITE },
};
static const struct enum_name touch_names[] = {
	{ "word", TOUCH_WORD }, { "line", TOUCH_LINE }, { "page", TOUCH_PAGE },
};
static const struct enum_name pin_names[] = {
	{ "compact", PIN_COMPACT }, { "scatter", PIN_SCATTER }, { "none", PIN_NONE },
};
static const struct enum_name uffd_names[] = {
	{ "shared", UFFD_SHARED }, { "per-vcpu", UFFD_PER_VCPU },
};
static const struct enum_name wait_names[] = {
	{ "poll", WAIT_POLL }, { "epoll", WAIT_EPOLL }, { "spin", WAIT_SPIN },
};
static const struct enum_name hcpus_names[] = {
	{ "same", HCPUS_SAME }, { "other", HCPUS_OTHER }, { "any", HCPUS_ANY },
};
static const struct enum_name populate_names[] = {
	{ "write", POPULATE_WRITE }, { "read", POPULATE_READ },
};
static const struct enum_name exit_names[] = { { "sigbus", EXIT_SIGBUS }, { "bitmap", EXIT_BITMAP } };
static const struct enum_name onoff_names[] = { { "on", 1 }, { "off", 0 } };
static const struct enum_name handler_names[] = {
	{ "thread", HANDLER_THREAD }, { "process", HANDLER_PROCESS },
};
static const struct enum_name resolve_names[] = {
	{ "copy", RESOLVE_COPY }, { "move", RESOLVE_MOVE },
};
static const struct enum_name page_cache_names[] = {
	{ "warm", PAGE_CACHE_WARM }, { "cold", PAGE_CACHE_COLD },
};
static const struct enum_name inject_names[] = {
	{ "corrupt-copy", INJECT_CORRUPT_COPY },
	{ "duplicate-copy", INJECT_DUPLICATE_COPY },
	{ "drop-copy", INJECT_DROP_COPY },
	{ "kill-handler", INJECT_KILL_HANDLER },
	{ "eagain-copy", INJECT_EAGAIN_COPY },
	{ "enomem-once", INJECT_ENOMEM_ONCE },
	{ "enomem-copy", INJECT_ENOMEM_COPY },
	{ "enoent-copy", INJECT_ENOENT_COPY },
	{ "esrch-copy", INJECT_ESRCH_COPY },
	{ "ignore-remap", INJECT_IGNORE_REMAP },
};
static const struct enum_name event_names[] = {
	{ "unmap", EV_UNMAP }, { "remove", EV_REMOVE }, { "remap", EV_REMAP }, { "fork", EV_FORK },
};

#define ENUM_LOOKUP(tab, s) enum_lookup(tab, FB_ARRAY_SIZE(tab), s)
#define ENUM_LIST(tab, buf) enum_list(tab, FB_ARRAY_SIZE(tab), buf, sizeof(buf))

static int enum_lookup(const struct enum_name *t, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, s))
			return t[i].value;
	return -1;
}

static const char *enum_name_of(const struct enum_name *t, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return "?";
}

static const char *enum_list(const struct enum_name *t, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", t[i].name);
	return buf;
}

const char *access_name(enum access_kind a)
{
	return enum_name_of(access_names, FB_ARRAY_SIZE(access_names), (int)a);
}

const char *touch_name(enum touch_kind t)
{
	return enum_name_of(touch_names, FB_ARRAY_SIZE(touch_names), (int)t);
}

void config_defaults(struct fb_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = fault_modes[0];
	c->backing = backings[0];
	c->hugepage_size = 2 * FB_MiB;
	c->vcpus = 1;
	c->size = 256 * FB_MiB;
	c->numa = NUMA_LOCAL;
	c->numa_node = -1;
	c->pin = PIN_COMPACT;
	workload_parse("seq", &c->workload, NULL, 0);
	c->access = ACCESS_WRITE;
	c->touch = TOUCH_WORD;
	c->seed = 1;
	c->reps = 5;
	c->warmup = 1;
	c->verify = true;
	c->record_latency = true;
	c->populate = POPULATE_WRITE;
	c->uffd_sharing = UFFD_SHARED;
	c->readers = 1;
	c->wait = WAIT_POLL;
	c->batch = 16;
	c->reserve_hugepages = true;
	c->fault_timeout_s = 10;
	c->exit_kind = EXIT_SIGBUS;
	{
		const char *slow = getenv("FAULTBENCH_TEST_SLOWDOWN_NS");

		if (slow && fb_parse_u64(slow, 0, 1000000000, &c->test_slowdown_ns))
			c->test_slowdown_ns = 0;
	}
	c->wp_rounds = 3;
	c->receivers = 1;
}

void config_usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench run [flags]\n"
		"\n"
		"What runs\n"
		"  --mode M               fault mode (--mode help lists them)      [none]\n"
		"  --backing B            anon, thp, hugetlb, shmem, memfd          [anon]\n"
		"  --hugepage-size S      hugetlb page size: 2M or 1G               [2M]\n"
		"  --vcpus N, --threads N vCPU threads, 1..%d                     [1]\n"
		"  --size S               guest memory, in all (K/M/G/T suffixes)   [256M]\n"
		"  --per-vcpu             --size is per vCPU\n"
		"  --overlap              every vCPU touches the whole region\n"
		"  --numa P               local, interleave, node:N                [local]\n"
		"  --pin P                compact, scatter, none                    [compact]\n"
		"  --workload W           seq, random, stride:N, zipf:THETA         [seq]\n"
		"  --access A             write, read, read-then-write              [write]\n"
		"  --touch T              what an access covers: word, line, page   [word]\n"
		"                         (one word, one per 64-byte line, every word)\n"
		"  --seed N               workload and image seed                   [1]\n"
		"  --reps R, --warmup W   measured and discarded repetitions        [5, 1]\n"
		"  --verify, --no-verify  check every touched page after each run   [on]\n"
		"  --latency on|off       time each first touch                     [on]\n"
		"\n"
		"populate\n"
		"  --populate write|read  MADV_POPULATE_WRITE or _READ              [write]\n"
		"  --populate-parallel    each vCPU populates its own slice\n"
		"\n"
		"uffd modes\n"
		"  --uffd shared|per-vcpu one uffd for all vCPUs, or one each      [shared]\n"
		"  --readers R            handler threads per uffd                  [1]\n"
		"  --handlers H           handler threads in all (sets --readers)\n"
		"  --wait poll|epoll|spin how handlers wait; spin: non-blocking read()s in a\n"
		"                         loop, never sleeping (a CPU each: with a handler on a\n"
		"                         vCPU's CPU the two take turns, a terrible setup) [poll]\n"
		"  --handler-cpus P       where handlers run: same (the CPUs of the vCPUs they\n"
		"                         serve), other (CPUs no vCPU uses), any (unpinned), or\n"
		"                         a CPU list such as 0,2-3                  [any]\n"
		"  --batch B              messages per read(), 1..%d              [16]\n"
		"  --zero-fraction F      share of image pages that are zero        [0]\n"
		"  --zero-run SIZE        decide zero or not per aligned run of SIZE (a\n"
		"                         multiple of the page size), not per page  [page]\n"
		"  --service-delay-us D   sleep before resolving each fault         [0]\n"
		"  --fault-timeout S      fail when a vCPU makes no progress for S s [10]\n"
		"  --handler thread|process  handlers as threads, or a process that gets the\n"
		"                         uffd by Firecracker's handshake (uffd-stock,\n"
		"                         zero-unreg, uffd-minor, postcopy)         [thread]\n"
		"  --handler-exec CMD     process: run `CMD SOCKET MEMFILE` (CMD split on\n"
		"                         spaces) as the handler instead of faultbench's own\n"
		"  --resolve copy|move    UFFDIO_COPY, or fill a staging page and UFFDIO_MOVE\n"
		"                         it in (Linux 6.8+, --backing anon, threads) [copy]\n"
		"  --image-file PATH      process: write the image there and keep it [a\n"
		"                         temporary file, removed afterwards]\n"
		"  --page-cache warm|cold process: cold drops the file's cached pages before\n"
		"                         each repetition, so first reads come from disk [warm]\n"
		"  --events LIST          uffd-stock, threads: mid-run, an events thread does\n"
		"                         each of unmap, remove, remap, fork (any subset,\n"
		"                         comma-separated) once; the handlers follow [none]\n"
		"\n"
		"postcopy: pages from a source process over a link\n"
		"  --receivers N          receiver threads, one stream connection each, 1..64 [1]\n"
		"  --preempt              urgent pages on a connection of their own (QEMU's\n"
		"                         postcopy-preempt)\n"
		"  --link unix|tcp        Unix stream sockets, or TCP over loopback   [unix]\n"
		"  --link-bw RATE         emulated link, bits/s with K/M/G (decimal), e.g. 10G;\n"
		"                         0: unpaced                                [0]\n"
		"  --link-delay-us D      added to each page request's round trip   [0]\n"
		"  --precopy F            share of pages installed before the vCPUs start [0]\n"
		"\n"
		"memfault-exit, zero-unreg, wp-unpop\n"
		"  --exit sigbus|bitmap   how a vCPU learns its page is missing     [sigbus]\n"
		"  --emulation-thread     also read random guest pages via a handler\n"
		"  --balloon F            MADV_DONTNEED this share of touched memory mid-run [0]\n"
		"  --wp-rounds K          dirty-tracking rounds (write, scan, re-protect) [3]\n"
		"\n"
		"Host\n"
		"  --no-reserve-hugepages never raise vm.nr_hugepages (else raised as\n"
		"                         needed when root, and always given back)\n"
		"  --allow-overcommit     allow --size beyond physical memory\n"
		"\n"
		"Output\n"
		"  --out FILE             result JSON [results/<mode>-<backing>-<N>v-<size>.json]\n"
		"  --quiet                no summary on stdout\n"
		"\n"
		"Testing only\n"
		"  --inject K:PAGE        test only: corrupt-copy, duplicate-copy, drop-copy;\n"
		"                         uffd-stock also kill-handler, eagain-copy, enomem-once,\n"
		"                         enomem-copy, enoent-copy, esrch-copy; with\n"
		"                         --events remap also ignore-remap\n"
		"\n"
		"Exit: 0 ok, 1 run failed, 2 bad input, 77 skipped (reason in the JSON)\n",
		FB_MAX_VCPUS, FB_MAX_BATCH);
}

enum {
	OPT_MODE = 256, OPT_BACKING, OPT_HPSIZE, OPT_VCPUS, OPT_SIZE, OPT_PER_VCPU, OPT_OVERLAP,
	OPT_NUMA, OPT_PIN, OPT_WORKLOAD, OPT_ACCESS, OPT_TOUCH, OPT_SEED, OPT_REPS, OPT_WARMUP, OPT_VERIFY,
	OPT_NO_VERIFY, OPT_LATENCY, OPT_POPULATE, OPT_POP_PAR, OPT_UFFD, OPT_READERS, OPT_HANDLERS,
	OPT_WAIT, OPT_HCPUS, OPT_BATCH, OPT_ZERO, OPT_ZERO_RUN, OPT_DELAY, OPT_RESERVE, OPT_NO_RESERVE, OPT_OVERCOMMIT,
	OPT_INJECT, OPT_TIMEOUT, OPT_HANDLER, OPT_HANDLER_EXEC, OPT_RESOLVE, OPT_IMAGE_FILE, OPT_PAGE_CACHE, OPT_EVENTS, OPT_EXIT, OPT_EMUL, OPT_BALLOON, OPT_WP_ROUNDS, OPT_OUT, OPT_QUIET, OPT_HELP,
	/* in postcopy_flag_names' order */
	OPT_RECEIVERS, OPT_PREEMPT, OPT_LINK, OPT_LINK_BW, OPT_LINK_DELAY, OPT_PRECOPY,
};

static const struct option run_options[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "backing", required_argument, NULL, OPT_BACKING },
	{ "hugepage-size", required_argument, NULL, OPT_HPSIZE },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "threads", required_argument, NULL, OPT_VCPUS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "per-vcpu", no_argument, NULL, OPT_PER_VCPU },
	{ "overlap", no_argument, NULL, OPT_OVERLAP },
	{ "numa", required_argument, NULL, OPT_NUMA },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "access", required_argument, NULL, OPT_ACCESS },
	{ "touch", required_argument, NULL, OPT_TOUCH },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "reps", required_argument, NULL, OPT_REPS },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "populate", required_argument, NULL, OPT_POPULATE },
	{ "populate-parallel", no_argument, NULL, OPT_POP_PAR },
	{ "uffd", required_argument, NULL, OPT_UFFD },
	{ "readers", required_argument, NULL, OPT_READERS },
	{ "handlers", required_argument, NULL, OPT_HANDLERS },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "handler-cpus", required_argument, NULL, OPT_HCPUS },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "zero-fraction", required_argument, NULL, OPT_ZERO },
	{ "zero-run", required_argument, NULL, OPT_ZERO_RUN },
	{ "service-delay-us", required_argument, NULL, OPT_DELAY },
	{ "reserve-hugepages", no_argument, NULL, OPT_RESERVE },
	{ "no-reserve-hugepages", no_argument, NULL, OPT_NO_RESERVE },
	{ "allow-overcommit", no_argument, NULL, OPT_OVERCOMMIT },
	{ "inject", required_argument, NULL, OPT_INJECT },
	{ "fault-timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "handler", required_argument, NULL, OPT_HANDLER },
	{ "handler-exec", required_argument, NULL, OPT_HANDLER_EXEC },
	{ "resolve", required_argument, NULL, OPT_RESOLVE },
	{ "image-file", required_argument, NULL, OPT_IMAGE_FILE },
	{ "page-cache", required_argument, NULL, OPT_PAGE_CACHE },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "exit", required_argument, NULL, OPT_EXIT },
	{ "emulation-thread", no_argument, NULL, OPT_EMUL },
	{ "balloon", required_argument, NULL, OPT_BALLOON },
	{ "wp-rounds", required_argument, NULL, OPT_WP_ROUNDS },
	{ "receivers", required_argument, NULL, OPT_RECEIVERS },
	{ "preempt", no_argument, NULL, OPT_PREEMPT },
	{ "link", required_argument, NULL, OPT_LINK },
	{ "link-bw", required_argument, NULL, OPT_LINK_BW },
	{ "link-delay-us", required_argument, NULL, OPT_LINK_DELAY },
	{ "precopy", required_argument, NULL, OPT_PRECOPY },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ 0 },
};

/* The flag table, for `faultbench suite`: a suite field is a flag's long
 * name, and whether it takes a value decides how the field is written. */
const struct option *config_run_options(void)
{
	return run_options;
}

static int bad_enum(struct fb_err *err, const char *flag, const char *v, const char *accepted)
{
	fb_errf(err, "%s: '%s' is not accepted; accepted values: %s", flag, v, accepted);
	return -EINVAL;
}

/* --events unmap,remove,remap,fork: any non-empty subset */
static int parse_events(struct fb_config *c, const char *v, struct fb_err *err)
{
	char buf[160], item[32];
	const char *p = v;

	c->events = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		int e;

		if (!n || n >= sizeof(item))
			return bad_enum(err, "--events", v, ENUM_LIST(event_names, buf));
		memcpy(item, p, n);
		item[n] = 0;
		e = ENUM_LOOKUP(event_names, item);
		if (e < 0)
			return bad_enum(err, "--events", v, ENUM_LIST(event_names, buf));
		c->events |= (unsigned)e;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int bad_number(struct fb_err *err, const char *flag, const char *v, const char *accepted)
{
	fb_errf(err, "%s: '%s' is not %s", flag, v, accepted);
	return -EINVAL;
}

static int parse_u(struct fb_err *err, const char *flag, const char *v, uint64_t lo, uint64_t hi,
		   unsigned *out)
{
	uint64_t x;
	char what[96];

	if (fb_parse_u64(v, lo, hi, &x)) {
		snprintf(what, sizeof(what), "a whole number from %" PRIu64 " to %" PRIu64, lo, hi);
		return bad_number(err, flag, v, what);
	}
	*out = (unsigned)x;
	return 0;
}

static int list_modes(struct fb_err *err, const char *flag, const char *v)
{
	char buf[512];
	size_t off = 0;

	for (size_t i = 0; i < fault_modes_count && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "",
					fault_modes[i]->name);
	return bad_enum(err, flag, v, buf);
}

static int list_backings(struct fb_err *err, const char *flag, const char *v)
{
	char buf[512];
	size_t off = 0;

	for (size_t i = 0; i < backings_count && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "",
					backings[i]->name);
	return bad_enum(err, flag, v, buf);
}

/* same, other, any, or a list of online CPUs: "0,2-3". */
static int parse_handler_cpus(struct fb_config *c, const char *v, struct fb_err *err)
{
	char buf[128], why[160] = "", detail[180] = "";
	int e = ENUM_LOOKUP(hcpus_names, v);
	bool list = *v >= '0' && *v <= '9';

	c->handler_cpu_list[0] = 0;
	if (e >= 0) {
		c->handler_cpus = (enum handler_cpus_policy)e;
		return 0;
	}
	if (list && strlen(v) >= sizeof(c->handler_cpu_list)) {
		snprintf(detail, sizeof(detail), " (a list of at most %zu characters)",
			 sizeof(c->handler_cpu_list) - 1);
	} else if (list && topo_parse_cpulist(v, NULL, 0, why, sizeof(why)) < 0) {
		snprintf(detail, sizeof(detail), " (%s)", why);
	} else if (list) {
		c->handler_cpus = HCPUS_LIST;
		snprintf(c->handler_cpu_list, sizeof(c->handler_cpu_list), "%s", v);
		return 0;
	}
	fb_errf(err, "--handler-cpus: '%s' is not accepted%s; accepted values: %s, or a list of "
		"online CPUs such as 0,2-3", v, detail, ENUM_LIST(hcpus_names, buf));
	return -EINVAL;
}

static void print_modes(FILE *f)
{
	fprintf(f, "%-14s %-68s %s\n", "mode", "what happens on first touch", "needs");
	for (size_t i = 0; i < fault_modes_count; i++)
		fprintf(f, "%-14s %-68s %s\n", fault_modes[i]->name, fault_modes[i]->summary,
			fault_modes[i]->needs);
}

static int parse_one(struct fb_config *c, int opt, const char *v, struct fb_err *err,
		     bool *handlers_set, bool *readers_set)
{
	char buf[256];
	uint64_t x;
	int e;

	switch (opt) {
	case OPT_MODE:
		if (!strcmp(v, "help")) {
			print_modes(stdout);
			return 1;
		}
		c->mode = mode_find(v);
		return c->mode ? 0 : list_modes(err, "--mode", v);
	case OPT_BACKING:
		c->backing = backing_find(v);
		return c->backing ? 0 : list_backings(err, "--backing", v);
	case OPT_HPSIZE:
		if (fb_parse_size(v, &x) || (x != 2 * FB_MiB && x != FB_GiB))
			return bad_enum(err, "--hugepage-size", v, "2M, 1G");
		c->hugepage_size = x;
		return 0;
	case OPT_VCPUS:
		return parse_u(err, "--vcpus", v, 1, FB_MAX_VCPUS, &c->vcpus);
	case OPT_SIZE:
		e = fb_parse_size(v, &x);
		if (e || !x)
			return bad_number(err, "--size", v,
					  "a size above zero such as 4096, 64K, 256M, 10G (binary units; fits 64 bits)");
		c->size = x;
		return 0;
	case OPT_PER_VCPU:
		c->per_vcpu = true;
		return 0;
	case OPT_OVERLAP:
		c->overlap = true;
		return 0;
	case OPT_NUMA:
		if (!strcmp(v, "local")) {
			c->numa = NUMA_LOCAL;
		} else if (!strcmp(v, "interleave")) {
			c->numa = NUMA_INTERLEAVE;
		} else if (!strncmp(v, "node:", 5) && !fb_parse_u64(v + 5, 0, 1023, &x)) {
			c->numa = NUMA_NODE;
			c->numa_node = (int)x;
		} else {
			return bad_enum(err, "--numa", v, "local, interleave, node:N (N from 0 to 1023)");
		}
		return 0;
	case OPT_PIN:
		e = ENUM_LOOKUP(pin_names, v);
		if (e < 0)
			return bad_enum(err, "--pin", v, ENUM_LIST(pin_names, buf));
		c->pin = (enum pin_policy)e;
		return 0;
	case OPT_WORKLOAD: {
		char why[256];

		if (workload_parse(v, &c->workload, why, sizeof(why))) {
			fb_errf(err, "--workload: %s", why);
			return -EINVAL;
		}
		return 0;
	}
	case OPT_ACCESS:
		e = ENUM_LOOKUP(access_names, v);
		if (e < 0)
			return bad_enum(err, "--access", v, ENUM_LIST(access_names, buf));
		c->access = (enum access_kind)e;
		return 0;
	case OPT_TOUCH:
		e = ENUM_LOOKUP(touch_names, v);
		if (e < 0)
			return bad_enum(err, "--touch", v, ENUM_LIST(touch_names, buf));
		c->touch = (enum touch_kind)e;
		return 0;
	case OPT_SEED:
		if (fb_parse_u64(v, 0, INT64_MAX, &c->seed))
			return bad_number(err, "--seed", v, "a whole number from 0 to 2^63-1");
		return 0;
	case OPT_REPS:
		return parse_u(err, "--reps", v, 1, FB_MAX_REPS, &c->reps);
	case OPT_WARMUP:
		return parse_u(err, "--warmup", v, 0, FB_MAX_REPS, &c->warmup);
	case OPT_VERIFY:
		c->verify = true;
		return 0;
	case OPT_NO_VERIFY:
		c->verify = false;
		return 0;
	case OPT_LATENCY:
		e = ENUM_LOOKUP(onoff_names, v);
		if (e < 0)
			return bad_enum(err, "--latency", v, ENUM_LIST(onoff_names, buf));
		c->record_latency = e;
		return 0;
	case OPT_POPULATE:
		e = ENUM_LOOKUP(populate_names, v);
		if (e < 0)
			return bad_enum(err, "--populate", v, ENUM_LIST(populate_names, buf));
		c->populate = (enum populate_kind)e;
		return 0;
	case OPT_POP_PAR:
		c->populate_parallel = true;
		return 0;
	case OPT_UFFD:
		e = ENUM_LOOKUP(uffd_names, v);
		if (e < 0)
			return bad_enum(err, "--uffd", v, ENUM_LIST(uffd_names, buf));
		c->uffd_sharing = (enum uffd_sharing)e;
		return 0;
	case OPT_READERS:
		*readers_set = true;
		return parse_u(err, "--readers", v, 1, FB_MAX_HANDLERS, &c->readers);
	case OPT_HANDLERS:
		*handlers_set = true;
		return parse_u(err, "--handlers", v, 1, FB_MAX_HANDLERS, &c->handlers);
	case OPT_WAIT:
		e = ENUM_LOOKUP(wait_names, v);
		if (e < 0)
			return bad_enum(err, "--wait", v, ENUM_LIST(wait_names, buf));
		c->wait = (enum uffd_wait)e;
		return 0;
	case OPT_HCPUS:
		return parse_handler_cpus(c, v, err);
	case OPT_BATCH:
		return parse_u(err, "--batch", v, 1, FB_MAX_BATCH, &c->batch);
	case OPT_ZERO:
		if (fb_parse_double(v, 0, 1, &c->zero_fraction))
			return bad_number(err, "--zero-fraction", v, "a fraction from 0 to 1, e.g. 0.25");
		return 0;
	case OPT_ZERO_RUN:
		if (fb_parse_size(v, &c->zero_run_bytes) || !c->zero_run_bytes)
			return bad_number(err, "--zero-run", v,
					  "a size such as 2M, a multiple of the page size");
		return 0;
	case OPT_DELAY:
		if (fb_parse_u64(v, 0, 10000000, &c->service_delay_us))
			return bad_number(err, "--service-delay-us", v,
					  "a whole number of microseconds from 0 to 10000000");
		return 0;
	case OPT_RESERVE:
		c->reserve_hugepages = true;
		return 0;
	case OPT_NO_RESERVE:
		c->reserve_hugepages = false;
		return 0;
	case OPT_OVERCOMMIT:
		c->allow_overcommit = true;
		return 0;
	case OPT_INJECT: {
		const char *colon = strchr(v, ':');
		char kind[32];

		if (!colon || (size_t)(colon - v) >= sizeof(kind))
			return bad_enum(err, "--inject", v,
					"corrupt-copy:PAGE, duplicate-copy:PAGE, drop-copy:PAGE");
		memcpy(kind, v, (size_t)(colon - v));
		kind[colon - v] = 0;
		e = ENUM_LOOKUP(inject_names, kind);
		if (e < 0 || fb_parse_u64(colon + 1, 0, UINT64_MAX, &c->inject_page))
			return bad_enum(err, "--inject", v,
					"corrupt-copy:PAGE, duplicate-copy:PAGE, drop-copy:PAGE");
		c->inject = (enum inject_kind)e;
		return 0;
	}
	case OPT_TIMEOUT:
		if (fb_parse_double(v, 0.01, 86400, &c->fault_timeout_s))
			return bad_number(err, "--fault-timeout", v, "a number of seconds from 0.01 to 86400");
		return 0;
	case OPT_HANDLER:
		e = ENUM_LOOKUP(handler_names, v);
		if (e < 0)
			return bad_enum(err, "--handler", v, ENUM_LIST(handler_names, buf));
		c->handler = (enum handler_kind)e;
		c->handler_given = true;
		return 0;
	case OPT_EVENTS:
		return parse_events(c, v, err);
	case OPT_RESOLVE:
		e = ENUM_LOOKUP(resolve_names, v);
		if (e < 0)
			return bad_enum(err, "--resolve", v, ENUM_LIST(resolve_names, buf));
		c->resolve = (enum resolve_kind)e;
		return 0;
	case OPT_HANDLER_EXEC:
		if (!v[strspn(v, " ")])
			return bad_number(err, "--handler-exec", v,
					  "a command: a program and its arguments, split on spaces");
		c->handler_exec = v;
		return 0;
	case OPT_IMAGE_FILE:
		if (!*v)
			return bad_number(err, "--image-file", v, "a file path");
		c->image_file = v;
		return 0;
	case OPT_PAGE_CACHE:
		e = ENUM_LOOKUP(page_cache_names, v);
		if (e < 0)
			return bad_enum(err, "--page-cache", v, ENUM_LIST(page_cache_names, buf));
		c->page_cache = (enum page_cache_kind)e;
		return 0;
	case OPT_EXIT:
		e = ENUM_LOOKUP(exit_names, v);
		if (e < 0)
			return bad_enum(err, "--exit", v, ENUM_LIST(exit_names, buf));
		c->exit_kind = (enum exit_kind)e;
		return 0;
	case OPT_EMUL:
		c->emulation_thread = true;
		return 0;
	case OPT_BALLOON:
		if (fb_parse_double(v, 0, 0.9, &c->balloon))
			return bad_number(err, "--balloon", v, "a fraction from 0 to 0.9, e.g. 0.1");
		return 0;
	case OPT_WP_ROUNDS:
		return parse_u(err, "--wp-rounds", v, 1, 1000, &c->wp_rounds);
	case OPT_OUT:
		if (!*v)
			return bad_number(err, "--out", v, "a file path");
		c->out_path = v;
		return 0;
	case OPT_QUIET:
		c->quiet = true;
		return 0;
	case OPT_RECEIVERS:
	case OPT_PREEMPT:
	case OPT_LINK:
	case OPT_LINK_BW:
	case OPT_LINK_DELAY:
	case OPT_PRECOPY:
		return postcopy_parse_flag(c, opt - OPT_RECEIVERS, v, err);
	}
	return -EINVAL;
}

int config_parse_run(struct fb_config *c, int argc, char **argv, struct fb_err *err)
{
	bool handlers_set = false, readers_set = false;
	int opt, rc;

	config_defaults(c);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", run_options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			config_usage(stdout);
			return 1;
		}
		if (opt == '?') {
			fb_errf(err, "unknown flag '%s'; see faultbench run --help", argv[optind - 1]);
			return -EINVAL;
		}
		if (opt == ':') {
			fb_errf(err, "%s needs a value; see faultbench run --help", argv[optind - 1]);
			return -EINVAL;
		}
		rc = parse_one(c, opt, optarg, err, &handlers_set, &readers_set);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		fb_errf(err, "unexpected argument '%s'; faultbench run takes flags only", argv[optind]);
		return -EINVAL;
	}
	if (handlers_set && readers_set) {
		fb_errf(err, "--handlers and --readers: give one (handlers = readers x uffds)");
		return -EINVAL;
	}
	if (handlers_set)
		c->readers = 0; /* resolved from handlers below */
	return config_resolve(c, err);
}

/* The modes whose flags include all of `flags`, comma-separated, for messages. */
static const char *modes_with(unsigned flags, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < fault_modes_count && off < n; i++)
		if ((fault_modes[i]->flags & flags) == flags)
			off += (size_t)snprintf(buf + off, n - off, "%s%s", off ? ", " : "",
						fault_modes[i]->name);
	return buf;
}

/* --image-file: where faultbench can write a file and rename it over PATH. */
static int check_image_file(const char *path, struct fb_err *err)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct stat sb;

	if (!stat(path, &sb) && !S_ISREG(sb.st_mode)) {
		fb_errf(err, "--image-file: %s exists and is not a regular file", path);
		return 1;
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (access(dir, W_OK | X_OK)) {
		fb_errf(err, "--image-file: cannot write a file in %s: %s", dir, strerror(errno));
		return 1;
	}
	return 0;
}

/* --handler process hands one uffd to one handler that resolves its faults
 * from the memory file (or the guest's own file); what it cannot do is
 * refused here. */
static int check_handler(const struct fb_config *c, struct fb_err *err)
{
	char names[160];

	if (c->handler_exec && c->handler_given && c->handler != HANDLER_PROCESS) {
		fb_errf(err, "--handler-exec runs the handler as a process of its own: not with "
			"--handler thread (drop it, or say --handler process)");
		return 1;
	}
	if (c->handler_exec && !(c->mode->flags & MODE_HANDOFF)) {
		fb_errf(err, "--handler-exec: mode %s cannot hand its faults to a handler process; "
			"accepted with --mode %s", c->mode->name,
			modes_with(MODE_HANDOFF, names, sizeof(names)));
		return 1;
	}
	if (c->handler_exec && (c->mode->flags & MODE_LINK)) {
		fb_errf(err, "--handler-exec: mode %s needs faultbench's own handler process "
			"(--handler process): a foreign handler does not speak the source's wire "
			"protocol (postcopy_wire.h)", c->mode->name);
		return 1;
	}
	if (c->handler_exec && (c->inject != INJECT_NONE || c->service_delay_us)) {
		fb_errf(err, "%s: faultbench's own handler does that; a --handler-exec handler "
			"knows only the handshake", c->inject != INJECT_NONE ? "--inject" :
			"--service-delay-us");
		return 1;
	}
	if (c->handler != HANDLER_PROCESS) {
		if (c->image_file || c->page_cache != PAGE_CACHE_WARM)
			fb_errf(err, "%s: only with --handler process (handler threads copy the image "
				"from faultbench's memory)", c->image_file ? "--image-file" : "--page-cache");
		return c->image_file || c->page_cache != PAGE_CACHE_WARM;
	}
	if (!(c->mode->flags & MODE_HANDOFF))
		fb_errf(err, "--handler process: mode %s cannot hand its faults to a handler process; accepted "
			"with --mode %s", c->mode->name, modes_with(MODE_HANDOFF, names, sizeof(names)));
	else if (c->uffd_sharing != UFFD_SHARED || c->readers != 1)
		fb_errf(err, "--handler process hands one uffd to one handler, as Firecracker's "
			"handshake does: drop --uffd per-vcpu, --readers and --handlers");
	else if (c->wait != WAIT_POLL)
		fb_errf(err, "--wait %s: the handler process waits with poll; epoll and spin only "
			"with --handler thread", enum_name_of(wait_names, FB_ARRAY_SIZE(wait_names),
							      (int)c->wait));
	else if (c->balloon > 0)
		fb_errf(err, "--balloon: only with --handler thread. Its REMOVE events go to whoever "
			"holds the uffd, the handler process, which does not re-arm dirty tracking on "
			"removed ranges (UNREGISTER, REGISTER WP-only, a re-protecting PAGEMAP_SCAN)");
	else if ((c->mode->flags & MODE_HANDOFF_GUEST_FILE) &&
		 (c->image_file || c->page_cache != PAGE_CACHE_WARM))
		fb_errf(err, "%s: mode %s gives its handler process the guest memory's own file, "
			"whose page cache it fills before the run: no image file",
			c->image_file ? "--image-file" : "--page-cache", c->mode->name);
	else if (c->image_file && check_image_file(c->image_file, err))
		return 1;
	else if (c->inject >= INJECT_EAGAIN_COPY)
		fb_errf(err, "--inject %s: with --handler process only corrupt-copy, duplicate-copy, "
			"drop-copy and kill-handler",
			enum_name_of(inject_names, FB_ARRAY_SIZE(inject_names), (int)c->inject));
	else
		return 0;
	return 1;
}

/* UFFDIO_MOVE moves anonymous private pages only, and only faultbench's
 * own handler threads hold a staging pool to move from. */
static int check_resolve(const struct fb_config *c, struct fb_err *err)
{
	char names[160];

	if (c->resolve != RESOLVE_MOVE)
		return 0;
	if (!(c->mode->flags & MODE_MOVES))
		fb_errf(err, "--resolve move: mode %s does not resolve with UFFDIO_MOVE; accepted "
			"with --mode %s (else --resolve copy)", c->mode->name,
			modes_with(MODE_MOVES, names, sizeof(names)));
	else if (c->backing->flags & (BK_SHARED | BK_HUGETLB | BK_THP))
		fb_errf(err, "--resolve move: UFFDIO_MOVE moves anonymous private pages only, not "
			"--backing %s; accepted with --backing anon (else --resolve copy)",
			c->backing->name);
	else if (c->handler != HANDLER_THREAD)
		fb_errf(err, "--resolve move: only with --handler thread (a handler process or "
			"--handler-exec resolves by copy); accepted values: copy, move");
	else
		return 0;
	return 1;
}

/* The events thread and the handlers that follow it are uffd-stock's
 * handler threads on one uffd over private anonymous memory. */
static int check_events(const struct fb_config *c, struct fb_err *err)
{
	char names[160], bad[64];

	if (!c->events) {
		if (c->inject != INJECT_IGNORE_REMAP)
			return 0;
		fb_errf(err, "--inject ignore-remap: only with --events including remap");
		return 1;
	}
	if (c->inject == INJECT_IGNORE_REMAP && !(c->events & EV_REMAP)) {
		fb_errf(err, "--inject ignore-remap: only with --events including remap");
		return 1;
	}
	if (!(c->mode->flags & MODE_EVENTS))
		snprintf(bad, sizeof(bad), "--mode %s", c->mode->name);
	else if (c->handler != HANDLER_THREAD)
		snprintf(bad, sizeof(bad), "--handler process");
	else if (c->uffd_sharing != UFFD_SHARED)
		snprintf(bad, sizeof(bad), "--uffd per-vcpu");
	else if (c->backing->flags)
		snprintf(bad, sizeof(bad), "--backing %s", c->backing->name);
	else if (c->resolve != RESOLVE_COPY)
		snprintf(bad, sizeof(bad), "--resolve move");
	else
		return 0;
	fb_errf(err, "--events: not with %s; accepted with --mode %s, --handler thread, --uffd shared, "
		"--backing anon and --resolve copy", bad, modes_with(MODE_EVENTS, names, sizeof(names)));
	return 1;
}

int config_resolve(struct fb_config *c, struct fb_err *err)
{
	const struct host_caps *h = probe_host();
	uint64_t ps, total_pages, nuffds, own;
	struct mem_estimate mem;
	char a[32], b[32], names[160];

	ps = c->backing->page_size(c, h);
	c->page_size = ps;
	if (!ps) {
		fb_errf(err, "--backing %s: page size unknown on this host", c->backing->name);
		return -EINVAL;
	}
	if (c->size % ps) {
		fb_errf(err, "--size %s is not a multiple of the %s page of --backing %s",
			fb_fmt_size(c->size, a, sizeof(a)), fb_fmt_size(ps, b, sizeof(b)),
			c->backing->name);
		return -EINVAL;
	}
	if (c->zero_run_bytes % ps) {
		fb_errf(err, "--zero-run %s is not a multiple of the %s page of --backing %s",
			fb_fmt_size(c->zero_run_bytes, a, sizeof(a)), fb_fmt_size(ps, b, sizeof(b)),
			c->backing->name);
		return -EINVAL;
	}
	if (c->per_vcpu && c->overlap) {
		fb_errf(err, "--per-vcpu and --overlap: pick one (overlap shares one region)");
		return -EINVAL;
	}
	if (c->per_vcpu) {
		if (c->size > UINT64_MAX / c->vcpus) {
			fb_errf(err, "--size x --vcpus overflows 64 bits");
			return -ERANGE;
		}
		c->slice_pages = c->size / ps;
	} else if (c->overlap) {
		c->slice_pages = c->size / ps;
	} else {
		c->slice_pages = c->size / ps / c->vcpus;
		if (!c->slice_pages) {
			fb_errf(err, "--size %s gives %u vCPUs less than one %s page each",
				fb_fmt_size(c->size, a, sizeof(a)), c->vcpus,
				fb_fmt_size(ps, b, sizeof(b)));
			return -EINVAL;
		}
	}
	total_pages = c->overlap ? c->slice_pages : c->slice_pages * c->vcpus;
	if (c->events)
		total_pages += FB_EVENT_AREA_PAGES;  /* the event area, past the slices */
	c->total_bytes = total_pages * ps;
	if (!c->allow_overcommit && h->mem_total && c->total_bytes > h->mem_total) {
		fb_errf(err, "--size: %s of guest memory is more than this host's %s of RAM; "
			"pass --allow-overcommit to try anyway",
			fb_fmt_size(c->total_bytes, a, sizeof(a)), fb_fmt_size(h->mem_total, b, sizeof(b)));
		return -EINVAL;
	}
	if (c->slice_pages > WL_MAX_PAGES) {
		fb_errf(err, "--size: a slice of %llu pages is more than the %llu a workload can index",
			(unsigned long long)c->slice_pages, (unsigned long long)WL_MAX_PAGES);
		return -ERANGE;
	}
	if (c->numa == NUMA_NODE && h->numa_nodes && c->numa_node >= h->numa_nodes) {
		fb_errf(err, "--numa node:%d: this host has NUMA nodes 0 to %d", c->numa_node,
			h->numa_nodes - 1);
		return -EINVAL;
	}
	nuffds = c->uffd_sharing == UFFD_PER_VCPU ? c->vcpus : 1;
	if (!c->readers) {
		if (c->handlers % nuffds) {
			fb_errf(err, "--handlers %u does not divide evenly over %llu per-vCPU uffds",
				c->handlers, (unsigned long long)nuffds);
			return -EINVAL;
		}
		c->readers = (unsigned)(c->handlers / nuffds);
	}
	if (nuffds * c->readers > FB_MAX_HANDLERS) {
		fb_errf(err, "--readers %u x %llu uffds is more than %d handler threads", c->readers,
			(unsigned long long)nuffds, FB_MAX_HANDLERS);
		return -EINVAL;
	}
	c->handlers = (unsigned)(nuffds * c->readers);
	/* What the harness itself must hold, even with --allow-overcommit (the
	 * access sequences, 4 bytes a page a vCPU, above all; admit.h) */
	admit_estimate(c, h, &mem);
	own = mem.harness_bytes + mem.page_table_bytes;
	if (h->mem_total && own > h->mem_total) {
		fb_errf(err, "--size: the access sequences, bitmaps and page tables alone need %s, more "
			"than this host's %s of RAM; use a smaller --size or fewer --vcpus",
			fb_fmt_size(own & ~(FB_MiB - 1), a, sizeof(a)), fb_fmt_size(h->mem_total, b, sizeof(b)));
		return -EINVAL;
	}
	if ((c->handler_cpus == HCPUS_SAME || c->handler_cpus == HCPUS_OTHER) && c->pin == PIN_NONE) {
		fb_errf(err, "--handler-cpus %s is relative to the vCPUs' CPUs, and --pin none leaves "
			"them unpinned; use --pin compact or scatter, or --handler-cpus any or a CPU list",
			enum_name_of(hcpus_names, FB_ARRAY_SIZE(hcpus_names), (int)c->handler_cpus));
		return -EINVAL;
	}
	/* a mode that installs no pages of the image has no resolver to break */
	if (c->inject != INJECT_NONE && !(c->mode->flags & MODE_FILLS_IMAGE)) {
		fb_errf(err, "--inject: mode %s resolves no faults, so there is nothing to inject into; "
			"accepted with %s", c->mode->name,
			modes_with(MODE_FILLS_IMAGE, names, sizeof(names)));
		return -EINVAL;
	}
	if (c->inject >= INJECT_KILL_HANDLER && !(c->mode->flags & MODE_INJECTS_ERRORS)) {
		fb_errf(err, "--inject %s: only with --mode %s",
			enum_name_of(inject_names, FB_ARRAY_SIZE(inject_names), (int)c->inject),
			modes_with(MODE_INJECTS_ERRORS, names, sizeof(names)));
		return -EINVAL;
	}
	if (c->inject != INJECT_NONE && c->inject_page >= total_pages) {
		fb_errf(err, "--inject: page %llu is outside the region's %llu pages",
			(unsigned long long)c->inject_page, (unsigned long long)total_pages);
		return -EINVAL;
	}
	if (c->handler_exec && !c->handler_given)
		c->handler = HANDLER_PROCESS;  /* --handler-exec implies it */
	if (check_handler(c, err) || check_resolve(c, err) || check_events(c, err) ||
	    postcopy_check(c, err))
		return -EINVAL;
	if (c->mode->check)
		return c->mode->check(c, err);
	return 0;
}

json_t *config_to_json(const struct fb_config *c)
{
	char numa[32];
	json_t *j;

	if (c->numa == NUMA_NODE)
		snprintf(numa, sizeof(numa), "node:%d", c->numa_node);
	else
		snprintf(numa, sizeof(numa), "%s", c->numa == NUMA_LOCAL ? "local" : "interleave");
	j = json_pack(
		"{s:s, s:s, s:I, s:I, s:i, s:I, s:b, s:b, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I,"
		" s:i, s:i, s:b, s:b, s:s, s:b, s:s, s:i, s:i, s:s, s:s, s:i, s:f, s:I, s:I, s:f, s:s, s:b, s:f, s:i, s:b, s:b, s:s, s:I, s:I}",
		"mode", c->mode->name,
		"backing", c->backing->name,
		"hugepage_bytes", (json_int_t)c->hugepage_size,
		"page_bytes", (json_int_t)c->page_size,
		"vcpus", (int)c->vcpus,
		"size_bytes", (json_int_t)c->size,
		"per_vcpu", c->per_vcpu,
		"overlap", c->overlap,
		"total_bytes", (json_int_t)c->total_bytes,
		"slice_pages", (json_int_t)c->slice_pages,
		"numa", numa,
		"pin", pin_name(c->pin),
		"workload", c->workload.text,
		"access", access_name(c->access),
		"touch", touch_name(c->touch),
		"seed", (json_int_t)c->seed,
		"reps", (int)c->reps,
		"warmup", (int)c->warmup,
		"verify", c->verify,
		"record_latency", c->record_latency,
		"populate", enum_name_of(populate_names, FB_ARRAY_SIZE(populate_names), (int)c->populate),
		"populate_parallel", c->populate_parallel,
		"uffd", enum_name_of(uffd_names, FB_ARRAY_SIZE(uffd_names), (int)c->uffd_sharing),
		"readers", (int)c->readers,
		"handlers", (int)c->handlers,
		"wait", enum_name_of(wait_names, FB_ARRAY_SIZE(wait_names), (int)c->wait),
		"handler_cpus", c->handler_cpus == HCPUS_LIST ? c->handler_cpu_list :
			enum_name_of(hcpus_names, FB_ARRAY_SIZE(hcpus_names), (int)c->handler_cpus),
		"batch", (int)c->batch,
		"zero_fraction", c->zero_fraction,
		"zero_run_bytes", (json_int_t)c->zero_run_bytes,
		"service_delay_us", (json_int_t)c->service_delay_us,
		"fault_timeout_s", c->fault_timeout_s,
		"exit", enum_name_of(exit_names, FB_ARRAY_SIZE(exit_names), (int)c->exit_kind),
		"emulation_thread", c->emulation_thread,
		"balloon", c->balloon,
		"wp_rounds", (int)c->wp_rounds,
		"reserve_hugepages", c->reserve_hugepages,
		"allow_overcommit", c->allow_overcommit,
		"inject", c->inject == INJECT_NONE ? "none" :
			enum_name_of(inject_names, FB_ARRAY_SIZE(inject_names), (int)c->inject),
		"inject_page", (json_int_t)c->inject_page,
		"test_slowdown_ns", (json_int_t)c->test_slowdown_ns);
	if (!j)
		return NULL;
	json_object_set_new(j, "handler", json_string(enum_name_of(handler_names,
			    FB_ARRAY_SIZE(handler_names), (int)c->handler)));
	json_object_set_new(j, "page_cache", json_string(enum_name_of(page_cache_names,
			    FB_ARRAY_SIZE(page_cache_names), (int)c->page_cache)));
	if (c->image_file)
		json_object_set_new(j, "image_file", json_string(c->image_file));
	if (c->handler_exec)
		json_object_set_new(j, "handler_exec", json_string(c->handler_exec));
	if (c->events) {
		json_t *ev = json_array();

		for (size_t i = 0; ev && i < FB_ARRAY_SIZE(event_names); i++)
			if (c->events & (unsigned)event_names[i].value)
				json_array_append_new(ev, json_string(event_names[i].name));
		json_object_set_new(j, "events", ev);
	}
	postcopy_config_json(c, j);
	if (c->resolve != RESOLVE_COPY)
		json_object_set_new(j, "resolve", json_string(enum_name_of(resolve_names,
				    FB_ARRAY_SIZE(resolve_names), (int)c->resolve)));
	return j;
}
