/* What this host can do: kernel, CPU, topology, memory pools, userfaultfd.
 *
 * Everything is read once (probe_host() caches it) and never fails: a value
 * that cannot be read stays 0 or empty, so a locked-down container still
 * gets a report, and modes turn the gaps into skip reasons. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <hwloc.h>
#include <numa.h>

#include "compat.h"
#include "config.h"
#include "fb.h"
#include "memory.h"
#include "modes/mode.h"
#include "probe.h"

/* Bits of UFFDIO_API's features word, with the release whose UFFDIO_API
 * first reported them. PAGEFAULT_FLAG_WP was a reserved name from 4.3 but
 * only became a working feature with uffd-wp in 5.7. */
const struct bitname uffd_feature_names[] = {
	{ UFFD_FEATURE_PAGEFAULT_FLAG_WP, "PAGEFAULT_FLAG_WP", "5.7" },
	{ UFFD_FEATURE_EVENT_FORK, "EVENT_FORK", "4.11" },
	{ UFFD_FEATURE_EVENT_REMAP, "EVENT_REMAP", "4.11" },
	{ UFFD_FEATURE_EVENT_REMOVE, "EVENT_REMOVE", "4.11" },
	{ UFFD_FEATURE_MISSING_HUGETLBFS, "MISSING_HUGETLBFS", "4.11" },
	{ UFFD_FEATURE_MISSING_SHMEM, "MISSING_SHMEM", "4.11" },
	{ UFFD_FEATURE_EVENT_UNMAP, "EVENT_UNMAP", "4.11" },
	{ UFFD_FEATURE_SIGBUS, "SIGBUS", "4.14" },
	{ UFFD_FEATURE_THREAD_ID, "THREAD_ID", "4.14" },
	{ UFFD_FEATURE_MINOR_HUGETLBFS, "MINOR_HUGETLBFS", "5.13" },
	{ UFFD_FEATURE_MINOR_SHMEM, "MINOR_SHMEM", "5.14" },
	{ UFFD_FEATURE_EXACT_ADDRESS, "EXACT_ADDRESS", "5.18" },
	{ UFFD_FEATURE_WP_HUGETLBFS_SHMEM, "WP_HUGETLBFS_SHMEM", "5.19" },
	{ UFFD_FEATURE_WP_UNPOPULATED, "WP_UNPOPULATED", "6.4" },
	{ UFFD_FEATURE_POISON, "POISON", "6.6" },
	{ UFFD_FEATURE_WP_ASYNC, "WP_ASYNC", "6.7" },
	{ UFFD_FEATURE_MOVE, "MOVE", "6.8" },
};
const size_t uffd_feature_names_count = FB_ARRAY_SIZE(uffd_feature_names);

/* Bits of the ioctls masks (1 << _UFFDIO_*). UFFDIO_API reports only the
 * fd-level ones (REGISTER, UNREGISTER, API); UFFDIO_REGISTER reports the
 * range ones a registration allows. */
const struct bitname uffd_ioctl_names[] = {
	{ 1ULL << _UFFDIO_REGISTER, "REGISTER", "4.3" },
	{ 1ULL << _UFFDIO_UNREGISTER, "UNREGISTER", "4.3" },
	{ 1ULL << _UFFDIO_WAKE, "WAKE", "4.3" },
	{ 1ULL << _UFFDIO_COPY, "COPY", "4.3" },
	{ 1ULL << _UFFDIO_ZEROPAGE, "ZEROPAGE", "4.3" },
	{ 1ULL << _UFFDIO_MOVE, "MOVE", "6.8" },
	{ 1ULL << _UFFDIO_WRITEPROTECT, "WRITEPROTECT", "5.7" },
	{ 1ULL << _UFFDIO_CONTINUE, "CONTINUE", "5.13" },
	{ 1ULL << _UFFDIO_POISON, "POISON", "6.6" },
	{ 1ULL << _UFFDIO_API, "API", "4.3" },
};
const size_t uffd_ioctl_names_count = FB_ARRAY_SIZE(uffd_ioctl_names);

static struct host_caps host;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;
/* NUMA node ids that have a sysfs directory; ids can be sparse. */
static uint64_t node_present[(PROBE_MAX_NODES + 63) / 64];

/* ---- small readers ---------------------------------------------------- */

/* Whole (small) file into buf, trailing newline dropped. */
static int read_text(const char *path, char *buf, size_t n)
{
	ssize_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	len = read(fd, buf, n - 1);
	if (len < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

static int read_u64(const char *path, uint64_t *out)
{
	char buf[64], *end;
	unsigned long long v;
	int ret = read_text(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Copies what fits; the words kept here are short by nature. */
static void copy_str(char *out, size_t n, const char *s)
{
	size_t len = strnlen(s, n - 1);

	memcpy(out, s, len);
	out[len] = '\0';
}

/* sysfs choice files read "always [madvise] never": keep the chosen word. */
static void read_selected(const char *path, char *out, size_t n)
{
	char buf[256], *l, *r;

	out[0] = '\0';
	if (read_text(path, buf, sizeof(buf)))
		return;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r) {
		*r = '\0';
		copy_str(out, n, l + 1);
	} else {
		copy_str(out, n, buf);
	}
}

static const char *errno_name(int e, char *buf, size_t n)
{
	const char *s;

	if (!e)
		return "ok";
	s = strerrorname_np(e);
	if (s)
		return s;
	snprintf(buf, n, "errno %d", e);
	return buf;
}

/* ---- host facts ------------------------------------------------------- */

static void probe_kernel(struct host_caps *h)
{
	struct utsname u;

	if (uname(&u))
		return;
	snprintf(h->kernel_release, sizeof(h->kernel_release), "%s", u.release);
	if (sscanf(u.release, "%d.%d", &h->kernel_major, &h->kernel_minor) != 2)
		h->kernel_major = h->kernel_minor = 0;
}

static void probe_cpu_model(struct host_caps *h)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon, *v;

		if (strncmp(line, "model name", 10))
			continue;
		colon = strchr(line, ':');
		if (!colon)
			continue;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = '\0';
		snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", v);
		break;
	}
	fclose(f);
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void probe_topology(struct host_caps *h)
{
	hwloc_topology_t topo;
	int nl3, numa;
	size_t len;

	if (hwloc_topology_init(&topo))
		goto fallback;
	if (hwloc_topology_load(topo)) {
		hwloc_topology_destroy(topo);
		goto fallback;
	}
	h->packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	h->cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	h->pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	nl3 = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_L3CACHE);

	/* Arm has no "model name" in /proc/cpuinfo; hwloc knows it from DT/ACPI */
	if (!h->cpu_model[0] && h->packages > 0) {
		hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
		const char *m = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;

		if (m)
			snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", m);
	}
	if (!h->numa_nodes)
		h->numa_nodes = numa;

	snprintf(h->topology, sizeof(h->topology), "%d %s, %d NUMA %s, %d %s, %d %s",
		 h->packages, plural(h->packages, "package", "packages"),
		 numa, plural(numa, "node", "nodes"),
		 h->cores, plural(h->cores, "core", "cores"),
		 h->pus, plural(h->pus, "PU", "PUs"));
	if (nl3 > 0) {
		hwloc_obj_t l3 = hwloc_get_obj_by_type(topo, HWLOC_OBJ_L3CACHE, 0);
		uint64_t sz = l3 && l3->attr ? l3->attr->cache.size : 0;

		len = strlen(h->topology);
		if (sz && nl3 == 1)
			snprintf(h->topology + len, sizeof(h->topology) - len, ", L3 %" PRIu64 " MiB",
				 (uint64_t)(sz / FB_MiB));
		else if (sz)
			snprintf(h->topology + len, sizeof(h->topology) - len,
				 ", %d L3 × %" PRIu64 " MiB", nl3, (uint64_t)(sz / FB_MiB));
	}
	hwloc_topology_destroy(topo);
	if (h->pus > 0)
		return;
fallback:
	/* Without hwloc's view, at least count the CPUs we may run on. */
	h->pus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (h->pus < 1)
		h->pus = 1;
	if (!h->topology[0])
		snprintf(h->topology, sizeof(h->topology), "%d %s (hwloc unavailable)", h->pus,
			 plural(h->pus, "PU", "PUs"));
}

static void probe_numa(struct host_caps *h)
{
	h->numa_available = numa_available() == 0;
	if (h->numa_available)
		h->numa_nodes = numa_num_configured_nodes();
}

static void probe_meminfo(struct host_caps *h)
{
	char line[256];
	unsigned long long kb;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			h->mem_total = kb * FB_KiB;
		else if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			h->mem_available = kb * FB_KiB;
	}
	fclose(f);
}

static void probe_thp(struct host_caps *h)
{
	const char *d = "/sys/kernel/mm/transparent_hugepage";
	char path[256];

	snprintf(path, sizeof(path), "%s/hpage_pmd_size", d);
	if (read_u64(path, &h->thp_pmd_size))
		h->thp_pmd_size = 0;
	snprintf(path, sizeof(path), "%s/enabled", d);
	read_selected(path, h->thp_enabled, sizeof(h->thp_enabled));
	snprintf(path, sizeof(path), "%s/defrag", d);
	read_selected(path, h->thp_defrag, sizeof(h->thp_defrag));
	snprintf(path, sizeof(path), "%s/shmem_enabled", d);
	read_selected(path, h->shmem_thp_enabled, sizeof(h->shmem_thp_enabled));
}

static int cmp_pool(const void *a, const void *b)
{
	const struct hugepage_pool *x = a, *y = b;

	return (x->page_size > y->page_size) - (x->page_size < y->page_size);
}

/* Per-node counts of every pool found globally; node ids may be sparse. */
static void probe_hugetlb_nodes(struct host_caps *h)
{
	DIR *d = opendir("/sys/devices/system/node");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[384];
		unsigned node;
		int i;

		if (sscanf(de->d_name, "node%u", &node) != 1 || node >= PROBE_MAX_NODES)
			continue;
		node_present[node / 64] |= 1ULL << (node % 64);
		for (i = 0; i < h->n_hpsizes; i++) {
			struct hugepage_pool *p = &h->hp[i];
			unsigned long long kb = p->page_size / FB_KiB;

			snprintf(path, sizeof(path),
				 "/sys/devices/system/node/node%u/hugepages/hugepages-%llukB/nr_hugepages",
				 node, kb);
			read_u64(path, &p->nr_node[node]);
			snprintf(path, sizeof(path),
				 "/sys/devices/system/node/node%u/hugepages/hugepages-%llukB/free_hugepages",
				 node, kb);
			read_u64(path, &p->free_node[node]);
		}
	}
	closedir(d);
}

static void probe_hugetlb(struct host_caps *h)
{
	DIR *d = opendir("/sys/kernel/mm/hugepages");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && h->n_hpsizes < PROBE_MAX_HPSIZES) {
		struct hugepage_pool *p = &h->hp[h->n_hpsizes];
		unsigned long long kb;
		char path[384];

		if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1 || !kb)
			continue;
		memset(p, 0, sizeof(*p));
		p->page_size = kb * FB_KiB;
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/nr_hugepages", de->d_name);
		read_u64(path, &p->nr);
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/free_hugepages", de->d_name);
		read_u64(path, &p->free);
		h->n_hpsizes++;
	}
	closedir(d);
	qsort(h->hp, h->n_hpsizes, sizeof(h->hp[0]), cmp_pool);
	probe_hugetlb_nodes(h);
}

/* ---- userfaultfd and PAGEMAP_SCAN ------------------------------------ */

/* Returns an fd or -errno. */
static int uffd_syscall(int flags)
{
#ifdef SYS_userfaultfd
	int fd = (int)syscall(SYS_userfaultfd, flags);

	return fd < 0 ? -errno : fd;
#else
	(void)flags;
	return -ENOSYS;
#endif
}

static int uffd_dev(void)
{
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC), fd, e;

	if (dev < 0)
		return -errno;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	e = errno;
	close(dev);
	return fd < 0 ? -e : fd;
}

static void probe_uffd(struct host_caps *h)
{
	int sys_fd, um_fd, dev_fd, fd;
	uint64_t v;

	/* Each way is tried on its own: which one works depends on privilege,
	 * the sysctl and /dev permissions, and the report names all three. */
	sys_fd = uffd_syscall(O_CLOEXEC | O_NONBLOCK);
	um_fd = uffd_user_mode_only_refused() ? -EINVAL :
		uffd_syscall(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	dev_fd = uffd_dev();
	h->uffd_syscall_errno = sys_fd < 0 ? -sys_fd : 0;
	h->uffd_usermode_errno = um_fd < 0 ? -um_fd : 0;
	h->uffd_dev_errno = dev_fd < 0 ? -dev_fd : 0;
	h->unprivileged_userfaultfd =
		read_u64("/proc/sys/vm/unprivileged_userfaultfd", &v) ? -1 : (int)v;
	h->uffd_available = sys_fd >= 0 || um_fd >= 0 || dev_fd >= 0;

	/* The features word does not depend on how the fd was opened. */
	fd = sys_fd >= 0 ? sys_fd : dev_fd >= 0 ? dev_fd : um_fd;
	if (fd >= 0) {
		/* features=0 asks for nothing, so the kernel answers with every
		 * feature it supports instead of failing on one it lacks. */
		struct uffdio_api api = { .api = UFFD_API, .features = 0 };

		if (!ioctl(fd, UFFDIO_API, &api)) {
			h->uffd_features = api.features;
			h->uffd_ioctls = api.ioctls;
		}
	}
	if (sys_fd >= 0)
		close(sys_fd);
	if (um_fd >= 0)
		close(um_fd);
	if (dev_fd >= 0)
		close(dev_fd);
}

static void probe_pagemap_scan(struct host_caps *h)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct page_region vec[1];
	struct pm_scan_arg arg;
	char *p;
	int fd;

	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	p[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.start = (uintptr_t)p;
		arg.end = (uintptr_t)p + psz;
		arg.vec = (uintptr_t)vec;
		arg.vec_len = 1;
		arg.return_mask = PAGE_IS_PRESENT;
		/* Kernels before 6.7 answer ENOTTY (no ioctl on pagemap). */
		h->pagemap_scan = ioctl(fd, PAGEMAP_SCAN, &arg) >= 0;
		close(fd);
	}
	munmap(p, psz);
}

static void probe_all(void)
{
	struct host_caps *h = &host;
	long psz = sysconf(_SC_PAGESIZE);

	memset(h, 0, sizeof(*h));
	h->base_page_size = psz > 0 ? (uint64_t)psz : 4096;
	h->root = geteuid() == 0;
	probe_kernel(h);
	probe_cpu_model(h);
	probe_numa(h);
	probe_topology(h);
	probe_meminfo(h);
	probe_thp(h);
	probe_hugetlb(h);
	probe_uffd(h);
	probe_pagemap_scan(h);
}

const struct host_caps *probe_host(void)
{
	pthread_once(&host_once, probe_all);
	return &host;
}

const struct hugepage_pool *probe_hugepage_pool(const struct host_caps *h, uint64_t page_size)
{
	int i;

	for (i = 0; h && i < h->n_hpsizes; i++)
		if (h->hp[i].page_size == page_size)
			return &h->hp[i];
	return NULL;
}

/* Test-only: FAULTBENCH_TEST_NO_USER_MODE_ONLY=1 makes this host look like
 * a kernel before 5.11, which refuses UFFD_USER_MODE_ONLY with EINVAL. */
bool uffd_user_mode_only_refused(void)
{
	const char *e = getenv("FAULTBENCH_TEST_NO_USER_MODE_ONLY");

	return e && *e && strcmp(e, "0");
}

/* The way uffd_open() takes: the first that works, in its order. */
const char *uffd_opened_with(const struct host_caps *h)
{
	return !h->uffd_syscall_errno ? "syscall" : !h->uffd_dev_errno ? "/dev/userfaultfd" :
	       !h->uffd_usermode_errno ? "UFFD_USER_MODE_ONLY" : "none";
}

/* Kept under FB_ERRLEN: callers copy it into a struct fb_err. */
const char *probe_uffd_unavailable_reason(const struct host_caps *h)
{
	static _Thread_local char buf[FB_ERRLEN];
	char b1[24], b2[24], b3[24], sysctl[16];
	const char *um_note = "", *dev_note = "";

	if (!h || h->uffd_available)
		return NULL;
	if (h->unprivileged_userfaultfd < 0)
		snprintf(sysctl, sizeof(sysctl), "unreadable");
	else
		snprintf(sysctl, sizeof(sysctl), "%d", h->unprivileged_userfaultfd);
	if (h->uffd_usermode_errno == EINVAL)
		um_note = " (kernel < 5.11)";
	else if (h->uffd_usermode_errno == EPERM)
		um_note = " (seccomp or LSM policy)"; /* the sysctl never refuses it */
	if (h->uffd_dev_errno == ENOENT)
		dev_note = " (Linux < 6.1, or not in this /dev)";
	else if (h->uffd_dev_errno == EACCES)
		dev_note = " (file permissions)";

	if (h->uffd_syscall_errno == ENOSYS) {
		snprintf(buf, sizeof(buf),
			 "userfaultfd unavailable: userfaultfd(2) ENOSYS, /dev/userfaultfd %s%s — "
			 "the kernel lacks CONFIG_USERFAULTFD or a seccomp filter hides the "
			 "syscall; fix: a kernel with CONFIG_USERFAULTFD=y, or a seccomp profile "
			 "that allows userfaultfd",
			 errno_name(h->uffd_dev_errno, b3, sizeof(b3)), dev_note);
		return buf;
	}
	snprintf(buf, sizeof(buf),
		 "userfaultfd unavailable: userfaultfd(2) %s, UFFD_USER_MODE_ONLY %s%s, "
		 "/dev/userfaultfd %s%s; vm.unprivileged_userfaultfd=%s — fix: run as root "
		 "(CAP_SYS_PTRACE), or `sysctl vm.unprivileged_userfaultfd=1`, or give this "
		 "user rw access to /dev/userfaultfd (Linux ≥ 6.1, e.g. a group); "
		 "UFFD_USER_MODE_ONLY (Linux ≥ 5.11) needs no privilege but sees user-space "
		 "faults only",
		 errno_name(h->uffd_syscall_errno, b1, sizeof(b1)),
		 errno_name(h->uffd_usermode_errno, b2, sizeof(b2)), um_note,
		 errno_name(h->uffd_dev_errno, b3, sizeof(b3)), dev_note, sysctl);
	return buf;
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *bit_names_json(const struct bitname *t, size_t n, uint64_t mask)
{
	json_t *a = json_array();
	uint64_t known = 0;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		known |= t[i].bit;
		if (mask & t[i].bit)
			json_array_append_new(a, json_string(t[i].name));
	}
	/* A newer kernel's bits still show, by number. */
	for (b = 0; b < 64; b++) {
		char name[16];

		if (!(mask & ~known & (1ULL << b)))
			continue;
		snprintf(name, sizeof(name), "bit%d", b);
		json_array_append_new(a, json_string(name));
	}
	return a;
}

static bool node_known(const struct hugepage_pool *p, int node)
{
	return (node_present[node / 64] >> (node % 64) & 1) || p->nr_node[node] ||
	       p->free_node[node];
}

static json_t *hugetlb_json(const struct host_caps *h)
{
	json_t *a = json_array();
	int i, n;

	for (i = 0; i < h->n_hpsizes; i++) {
		const struct hugepage_pool *p = &h->hp[i];
		json_t *nodes = json_array();

		for (n = 0; n < PROBE_MAX_NODES; n++) {
			if (!node_known(p, n))
				continue;
			json_array_append_new(nodes, json_pack("{s:i, s:I, s:I}", "node", n,
							       "nr", (json_int_t)p->nr_node[n],
							       "free", (json_int_t)p->free_node[n]));
		}
		json_array_append_new(a, json_pack("{s:I, s:I, s:I, s:o}",
						   "page_bytes", (json_int_t)p->page_size,
						   "nr", (json_int_t)p->nr,
						   "free", (json_int_t)p->free,
						   "per_node", nodes));
	}
	return a;
}

/* Same host ⇔ same kernel, CPU, PU count, NUMA nodes and (to the GiB) RAM.
 * MemTotal drifts by a few MiB across boots, hence the rounding. */
static void fingerprint(const struct host_caps *h, char *out, size_t n)
{
	char key[512];
	uint64_t x = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
	const unsigned char *c;

	snprintf(key, sizeof(key), "%s|%s|%d|%d|%llu", h->kernel_release, h->cpu_model, h->pus,
		 h->numa_nodes, (unsigned long long)((h->mem_total + FB_GiB / 2) / FB_GiB));
	for (c = (const unsigned char *)key; *c; c++)
		x = (x ^ *c) * 0x100000001b3ULL;
	snprintf(out, n, "%016" PRIx64, fb_mix64(x));
}

json_t *probe_host_json(const struct host_caps *h)
{
	char fp[24], ioctls[24];
	json_t *o;

	if (!h)
		return NULL;
	fingerprint(h, fp, sizeof(fp));
	/* bit 63 (_UFFDIO_API) does not fit json_int_t: the mask goes as hex */
	snprintf(ioctls, sizeof(ioctls), "0x%" PRIx64, h->uffd_ioctls);
	o = json_pack("{s:{s:s, s:i, s:i}, s:{s:s, s:i, s:i, s:i}, s:s, s:{s:b, s:i},"
		      " s:{s:I, s:I, s:I}, s:{s:I, s:s, s:s, s:s}, s:o, s:b}",
		      "kernel", "release", h->kernel_release, "major", h->kernel_major,
		      "minor", h->kernel_minor,
		      "cpu", "model", h->cpu_model, "packages", h->packages, "cores", h->cores,
		      "pus", h->pus,
		      "topology", h->topology,
		      "numa", "available", h->numa_available, "nodes", h->numa_nodes,
		      "memory", "total_bytes", (json_int_t)h->mem_total,
		      "available_bytes", (json_int_t)h->mem_available,
		      "base_page_bytes", (json_int_t)h->base_page_size,
		      "thp", "pmd_bytes", (json_int_t)h->thp_pmd_size, "enabled", h->thp_enabled,
		      "defrag", h->thp_defrag, "shmem_enabled", h->shmem_thp_enabled,
		      "hugetlb", hugetlb_json(h),
		      "root", h->root);
	if (!o)
		return NULL;
	json_object_set_new(o, "userfaultfd",
			    json_pack("{s:b, s:i, s:i, s:s, s:i, s:i, s:I, s:o, s:s, s:o}",
				      "available", h->uffd_available,
				      "syscall_errno", h->uffd_syscall_errno,
				      "user_mode_only_errno", h->uffd_usermode_errno,
				      "opened_with", uffd_opened_with(h),
				      "dev_errno", h->uffd_dev_errno,
				      "unprivileged_userfaultfd", h->unprivileged_userfaultfd,
				      "features_mask", (json_int_t)h->uffd_features,
				      "features", bit_names_json(uffd_feature_names,
								 uffd_feature_names_count,
								 h->uffd_features),
				      "ioctls_mask", ioctls,
				      "ioctls", bit_names_json(uffd_ioctl_names,
							       uffd_ioctl_names_count,
							       h->uffd_ioctls)));
	json_object_set_new(o, "pagemap_scan", json_boolean(h->pagemap_scan));
	json_object_set_new(o, "fingerprint", json_string(fp));
	return o;
}

/* ---- `faultbench probe` ---------------------------------------------- */

struct mode_row {
	const struct fault_mode *mode;
	const struct backing *bk;
	uint64_t hugepage_size;  /* 0 unless the backing is hugetlb */
	const char *reason;      /* NULL: runnable */
	char why[FB_ERRLEN];
};

/* Asks the backing, then the mode, exactly as a run would. */
static void check_row(struct mode_row *r, const struct host_caps *h)
{
	struct fb_config cfg;

	config_defaults(&cfg);
	cfg.mode = r->mode;
	cfg.backing = r->bk;
	cfg.hugepage_size = r->hugepage_size ? r->hugepage_size : 2 * FB_MiB;
	cfg.page_size = r->bk->page_size ? r->bk->page_size(&cfg, h) : h->base_page_size;
	r->why[0] = '\0';
	r->reason = NULL;
	if (r->bk->unsupported)
		r->reason = r->bk->unsupported(&cfg, h, r->why, sizeof(r->why));
	if (!r->reason && r->mode->unsupported)
		r->reason = r->mode->unsupported(&cfg, h, r->why, sizeof(r->why));
}

/* Calls fn for every mode × backing (× hugetlb size) the table shows. */
static int for_each_row(const struct host_caps *h,
			int (*fn)(struct mode_row *r, void *arg), void *arg)
{
	static const uint64_t hp_sizes[] = { 2 * FB_MiB, FB_GiB };
	struct mode_row r;
	size_t i, j, k;
	int ret;

	for (i = 0; i < fault_modes_count; i++) {
		for (j = 0; j < backings_count; j++) {
			const struct backing *bk = backings[j];
			bool huge = bk->flags & BK_HUGETLB;

			for (k = 0; k < (huge ? FB_ARRAY_SIZE(hp_sizes) : 1); k++) {
				/* 2M is always asked (its skip says "no pool");
				 * 1G only where the host lists a 1G pool. */
				if (huge && k > 0 && !probe_hugepage_pool(h, hp_sizes[k]))
					continue;
				memset(&r, 0, sizeof(r));
				r.mode = fault_modes[i];
				r.bk = bk;
				r.hugepage_size = huge ? hp_sizes[k] : 0;
				check_row(&r, h);
				ret = fn(&r, arg);
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

static void row_label(const struct mode_row *r, char *buf, size_t n)
{
	char sz[32];

	if (r->hugepage_size && r->hugepage_size != 2 * FB_MiB)
		snprintf(buf, n, "%s-%s", r->bk->name,
			 fb_fmt_size(r->hugepage_size, sz, sizeof(sz)));
	else
		snprintf(buf, n, "%s", r->bk->name);
}

static int print_row(struct mode_row *r, void *arg)
{
	char label[64];

	(void)arg;
	row_label(r, label, sizeof(label));
	if (r->reason)
		printf("  %-16s %-16s skip: %s\n", r->mode->name, label, r->reason);
	else
		printf("  %-16s %-16s ok\n", r->mode->name, label);
	return 0;
}

static int json_row(struct mode_row *r, void *arg)
{
	json_t *o = json_pack("{s:s, s:s}", "mode", r->mode->name, "backing", r->bk->name);

	if (!o)
		return -ENOMEM;
	if (r->hugepage_size)
		json_object_set_new(o, "hugepage_bytes", json_integer((json_int_t)r->hugepage_size));
	json_object_set_new(o, "supported", json_boolean(!r->reason));
	json_object_set_new(o, "reason", r->reason ? json_string(r->reason) : json_null());
	return json_array_append_new(arg, o) ? -ENOMEM : 0;
}

static void print_gib(const char *label, uint64_t bytes)
{
	printf("  %-28s %.1f GiB\n", label, (double)bytes / FB_GiB);
}

static void print_bits(const struct bitname *t, size_t n, uint64_t mask, bool all)
{
	uint64_t known = 0;
	char since[24];
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		known |= t[i].bit;
		snprintf(since, sizeof(since), "(since %s)", t[i].since);
		if (all)
			printf("    %-22s %-12s %s\n", t[i].name, since,
			       mask & t[i].bit ? "yes" : "no");
		else if (mask & t[i].bit)
			printf("    %-22s %s\n", t[i].name, since);
	}
	for (b = 0; b < 64; b++)
		if (mask & ~known & (1ULL << b))
			printf("    bit %-18d %-12s yes\n", b, "(unnamed)");
}

static void print_text(const struct host_caps *h)
{
	char sz[32], e[24], fp[24];
	int i, n;

	fingerprint(h, fp, sizeof(fp));
	printf("faultbench probe (host fingerprint %s)\n\n", fp);

	printf("Kernel\n");
	printf("  %-28s %s (%d.%d)\n", "release", h->kernel_release[0] ? h->kernel_release : "?",
	       h->kernel_major, h->kernel_minor);
	printf("  %-28s %s\n\n", "running as root", h->root ? "yes" : "no");

	printf("CPU / topology\n");
	printf("  %-28s %s\n", "model", h->cpu_model[0] ? h->cpu_model : "unknown");
	printf("  %-28s %s\n\n", "topology", h->topology);

	printf("NUMA\n");
	printf("  %-28s %s\n", "libnuma", h->numa_available ? "available" : "not available");
	printf("  %-28s %d\n\n", "nodes", h->numa_nodes);

	printf("Memory\n");
	print_gib("total", h->mem_total);
	print_gib("available", h->mem_available);
	printf("  %-28s %s\n\n", "base page", fb_fmt_size(h->base_page_size, sz, sizeof(sz)));

	printf("Transparent huge pages\n");
	if (h->thp_pmd_size) {
		printf("  %-28s %s\n", "PMD size", fb_fmt_size(h->thp_pmd_size, sz, sizeof(sz)));
		printf("  %-28s %s\n", "enabled", h->thp_enabled);
		printf("  %-28s %s\n", "defrag", h->thp_defrag);
		printf("  %-28s %s\n\n", "shmem_enabled",
		       h->shmem_thp_enabled[0] ? h->shmem_thp_enabled : "?");
	} else {
		printf("  not available\n\n");
	}

	printf("Hugetlb pools\n");
	if (!h->n_hpsizes)
		printf("  none\n");
	for (i = 0; i < h->n_hpsizes; i++) {
		const struct hugepage_pool *p = &h->hp[i];

		printf("  %-6s nr %-8" PRIu64 " free %-8" PRIu64,
		       fb_fmt_size(p->page_size, sz, sizeof(sz)), p->nr, p->free);
		for (n = 0; n < PROBE_MAX_NODES; n++)
			if (node_known(p, n))
				printf("  node%d: %" PRIu64 " free of %" PRIu64, n, p->free_node[n],
				       p->nr_node[n]);
		printf("\n");
	}
	printf("\n");

	printf("userfaultfd\n");
	printf("  %-28s %s\n", "userfaultfd(2)", errno_name(h->uffd_syscall_errno, e, sizeof(e)));
	printf("  %-28s %s\n", "UFFD_USER_MODE_ONLY",
	       errno_name(h->uffd_usermode_errno, e, sizeof(e)));
	printf("  %-28s %s\n", "/dev/userfaultfd", errno_name(h->uffd_dev_errno, e, sizeof(e)));
	if (h->unprivileged_userfaultfd < 0)
		printf("  %-28s unreadable\n", "vm.unprivileged_userfaultfd");
	else
		printf("  %-28s %d\n", "vm.unprivileged_userfaultfd", h->unprivileged_userfaultfd);
	if (h->uffd_available) {
		printf("  features (mask 0x%" PRIx64 ")\n", h->uffd_features);
		print_bits(uffd_feature_names, uffd_feature_names_count, h->uffd_features, true);
		printf("  ioctls from UFFDIO_API (mask 0x%" PRIx64 "; range ioctls come per "
		       "registration)\n", h->uffd_ioctls);
		print_bits(uffd_ioctl_names, uffd_ioctl_names_count, h->uffd_ioctls, false);
	} else {
		printf("  %s\n", probe_uffd_unavailable_reason(h));
	}
	printf("\n%-30s %s\n\n", "PAGEMAP_SCAN", h->pagemap_scan ? "yes" : "no");

	printf("Modes × backings\n");
	printf("  %-16s %-16s %s\n", "mode", "backing", "result");
	for_each_row(h, print_row, NULL);
}

int probe_main(int argc, char **argv)
{
	const struct host_caps *h;
	bool as_json = false;
	int i;

	for (i = 0; i < argc; i++) {
		/* argv[0] is the command word ("probe"), as getopt expects */
		if (i == 0 && argv[0][0] != '-')
			continue;
		if (!strcmp(argv[i], "--json")) {
			as_json = true;
			continue;
		}
		fprintf(stderr, "faultbench probe: unknown flag '%s'; accepted: --json\n", argv[i]);
		return FB_EXIT_USAGE;
	}

	h = probe_host();
	if (as_json) {
		json_t *o = probe_host_json(h), *modes = json_array();
		int ret;

		if (!o || !modes || for_each_row(h, json_row, modes)) {
			json_decref(o);
			json_decref(modes);
			fprintf(stderr, "faultbench probe: out of memory\n");
			return FB_EXIT_FAIL;
		}
		json_object_set_new(o, "modes", modes);
		ret = json_dumpf(o, stdout, JSON_INDENT(2));
		json_decref(o);
		if (ret || fputc('\n', stdout) == EOF || fflush(stdout)) {
			fprintf(stderr, "faultbench probe: cannot write to stdout\n");
			return FB_EXIT_FAIL;
		}
		return FB_EXIT_OK;
	}
	print_text(h);
	return fflush(stdout) ? FB_EXIT_FAIL : FB_EXIT_OK;
}
