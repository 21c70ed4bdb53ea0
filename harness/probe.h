/* What this host can do: kernel, CPU, topology, memory pools, userfaultfd.
 * Filled once per process by probe_host(); modes and backings read it to say
 * whether they can run ("skip: <reason>"), and every result records it. */
#ifndef FB_PROBE_H
#define FB_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PROBE_MAX_HPSIZES 4
#define PROBE_MAX_NODES 64

struct hugepage_pool {
	uint64_t page_size;                 /* bytes */
	uint64_t nr;                        /* vm.nr_hugepages for this size */
	uint64_t free;
	uint64_t nr_node[PROBE_MAX_NODES];  /* per NUMA node */
	uint64_t free_node[PROBE_MAX_NODES];
};

struct host_caps {
	char kernel_release[128];  /* uname -r */
	int kernel_major, kernel_minor;
	char cpu_model[128];
	int packages, cores, pus;  /* hwloc */
	char topology[256];        /* hwloc summary, e.g. "1 package, 1 NUMA node, 2 cores, 2 PUs" */
	int numa_available;        /* libnuma: numa_available() == 0 */
	int numa_nodes;
	uint64_t mem_total, mem_available;  /* bytes, /proc/meminfo */
	uint64_t base_page_size;
	uint64_t thp_pmd_size;     /* 0 when THP is absent */
	char thp_enabled[16];      /* the selected word: always, madvise, never */
	char thp_defrag[16];
	char shmem_thp_enabled[16];
	int n_hpsizes;
	struct hugepage_pool hp[PROBE_MAX_HPSIZES];
	bool root;                 /* euid 0: may change vm.nr_hugepages */

	/* userfaultfd: how it can be opened, and what it offers */
	int uffd_syscall_errno;     /* 0 when userfaultfd(2) worked */
	int uffd_usermode_errno;    /* 0 when userfaultfd(UFFD_USER_MODE_ONLY) worked */
	int uffd_dev_errno;         /* 0 when /dev/userfaultfd opened */
	int unprivileged_userfaultfd; /* vm.unprivileged_userfaultfd, -1 unknown */
	bool uffd_available;        /* some way worked */
	uint64_t uffd_features;     /* UFFDIO_API with features=0 */
	uint64_t uffd_ioctls;
	bool pagemap_scan;          /* PAGEMAP_SCAN answered (6.7+) */
};

/* Fills *h (never fails: unknown values stay 0/empty). Cached. */
const struct host_caps *probe_host(void);
/* The hugetlb pool for this page size, or NULL. */
const struct hugepage_pool *probe_hugepage_pool(const struct host_caps *h, uint64_t page_size);
/* Reason text when userfaultfd cannot be opened by this process, e.g.
 * "userfaultfd: EPERM (vm.unprivileged_userfaultfd=0 and /dev/userfaultfd ...) — fix: ..." */
const char *probe_uffd_unavailable_reason(const struct host_caps *h);
/* How uffd_open() gets its fd here: "syscall", "/dev/userfaultfd",
 * "UFFD_USER_MODE_ONLY" (unprivileged, user-space faults only) or "none". */
const char *uffd_opened_with(const struct host_caps *h);
bool uffd_user_mode_only_refused(void);  /* test knob, probe.c */

/* Names of uffd feature bits and ioctls, for output. */
struct bitname {
	uint64_t bit;
	const char *name;
	const char *since;  /* first Linux release */
};
extern const struct bitname uffd_feature_names[];
extern const size_t uffd_feature_names_count;
extern const struct bitname uffd_ioctl_names[];
extern const size_t uffd_ioctl_names_count;

/* The `host` object of every result file and of `probe --json`. */
json_t *probe_host_json(const struct host_caps *h);

/* `faultbench probe [--json]` */
int probe_main(int argc, char **argv);

#endif
