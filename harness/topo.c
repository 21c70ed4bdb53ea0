#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pin_name(enum pin_policy p)
{
	static const char *const names[] = { "compact", "scatter", "none" };

	return names[p];
}

/* compact: PUs in hwloc's logical order, so vCPUs fill a core's hyperthreads,
 * then a cache, then a package. scatter: hwloc_distrib spreads them across
 * packages, NUMA nodes and caches first. Both wrap when vCPUs outnumber PUs. */
int topo_assign(enum pin_policy pin, unsigned n, int *cpus, bool *oversubscribed)
{
	hwloc_topology_t t;
	unsigned npus;
	int rc = 0;

	for (unsigned i = 0; i < n; i++)
		cpus[i] = -1;
	if (hwloc_topology_init(&t))
		return -ENOMEM;
	if (hwloc_topology_load(t)) {
		hwloc_topology_destroy(t);
		return -EIO;
	}
	npus = (unsigned)hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
	*oversubscribed = n > npus;
	if (pin == PIN_NONE || !npus)
		goto out;

	if (pin == PIN_COMPACT) {
		for (unsigned i = 0; i < n; i++)
			cpus[i] = (int)hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, i % npus)->os_index;
		goto out;
	}

	{
		unsigned k = n < npus ? n : npus;
		hwloc_obj_t root = hwloc_get_root_obj(t);
		/* hwloc_cpuset_t is itself a pointer: an array of k of them */
		/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		hwloc_cpuset_t *sets = calloc(k, sizeof(*sets));

		if (!sets) {
			rc = -ENOMEM;
			goto out;
		}
		/* hwloc_distrib allocates each set itself (hwloc/helper.h) */
		hwloc_distrib(t, &root, 1, sets, k, INT_MAX, 0);
		for (unsigned i = 0; i < n; i++) {
			hwloc_bitmap_singlify(sets[i % k]);
			cpus[i] = hwloc_bitmap_first(sets[i % k]);
		}
		for (unsigned i = 0; i < k; i++)
			hwloc_bitmap_free(sets[i]);
		free(sets);
	}
out:
	hwloc_topology_destroy(t);
	return rc;
}

int topo_pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int topo_online_cpus(uint64_t *mask)
{
	hwloc_topology_t t;
	int n = 0, npus;

	memset(mask, 0, FB_MAX_CPUS / 8);
	if (hwloc_topology_init(&t))
		return -ENOMEM;
	if (hwloc_topology_load(t)) {
		hwloc_topology_destroy(t);
		return -EIO;
	}
	npus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
	for (int i = 0; i < npus; i++) {
		unsigned c = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, (unsigned)i)->os_index;

		if (c < FB_MAX_CPUS && !(mask[c / 64] & (1ULL << (c % 64)))) {
			mask[c / 64] |= 1ULL << (c % 64);
			n++;
		}
	}
	hwloc_topology_destroy(t);
	return n;
}

/* "0,2-3": comma-separated CPUs and ranges A-B (A <= B). */
int topo_parse_cpulist(const char *s, int *cpus, unsigned max, char *why, size_t n)
{
	uint64_t online[FB_MAX_CPUS / 64], seen[FB_MAX_CPUS / 64] = { 0 };
	int count = 0, rc = topo_online_cpus(online);
	const char *p = s;

	if (rc < 0) {
		snprintf(why, n, "cannot read the online CPUs: %s", strerror(-rc));
		return -EINVAL;
	}
	for (;;) {
		char *end;
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			goto syntax;
		a = strtoul(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			if (p[1] < '0' || p[1] > '9')
				goto syntax;
			b = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (a > b) {
			snprintf(why, n, "range %lu-%lu runs backwards", a, b);
			return -EINVAL;
		}
		for (unsigned long c = a; c <= b; c++) {
			if (c >= FB_MAX_CPUS || !(online[c / 64] & (1ULL << (c % 64)))) {
				snprintf(why, n, "CPU %lu is not online", c);
				return -EINVAL;
			}
			if (seen[c / 64] & (1ULL << (c % 64)))
				continue;
			seen[c / 64] |= 1ULL << (c % 64);
			if (cpus && (unsigned)count < max)
				cpus[count] = (int)c;
			count++;
		}
		if (!*p)
			return count;
		if (*p++ != ',')
			goto syntax;
	}
syntax:
	snprintf(why, n, "not a list of CPUs and ranges such as 0,2-3");
	return -EINVAL;
}

int topo_handler_cpus(const struct fb_config *cfg, const int *vcpu_cpus, int *out, char *why,
		      size_t n)
{
	uint64_t online[FB_MAX_CPUS / 64], used[FB_MAX_CPUS / 64] = { 0 };
	int free_cpus[FB_MAX_CPUS], nfree = 0, rc;
	bool per_vcpu = cfg->uffd_sharing == UFFD_PER_VCPU;

	for (unsigned i = 0; i < cfg->handlers; i++)
		out[i] = -1;
	switch (cfg->handler_cpus) {
	case HCPUS_ANY:
		return 0;
	case HCPUS_SAME:
		/* a per-vCPU uffd's handlers on its vCPU's CPU; a shared uffd's
		 * handlers spread over the vCPUs' CPUs, one each in turn */
		for (unsigned i = 0; i < cfg->handlers; i++)
			out[i] = vcpu_cpus[per_vcpu ? i / cfg->readers : i % cfg->vcpus];
		return 0;
	case HCPUS_OTHER:
		rc = topo_online_cpus(online);
		if (rc < 0)
			return rc;
		for (unsigned i = 0; i < cfg->vcpus; i++)
			if (vcpu_cpus[i] >= 0 && vcpu_cpus[i] < FB_MAX_CPUS)
				used[vcpu_cpus[i] / 64] |= 1ULL << (vcpu_cpus[i] % 64);
		for (int c = 0; c < FB_MAX_CPUS; c++)
			if ((online[c / 64] & ~used[c / 64]) & (1ULL << (c % 64)))
				free_cpus[nfree++] = c;
		if (!nfree) {
			snprintf(why, n, "--handler-cpus other: the vCPUs use all %d online CPUs, none is "
				 "left for the handlers; use fewer --vcpus or --handler-cpus any", rc);
			return 1;
		}
		break;
	case HCPUS_LIST:
		/* validated at parse time; a CPU gone offline since is a skip */
		nfree = topo_parse_cpulist(cfg->handler_cpu_list, free_cpus, FB_MAX_CPUS, why, n);
		if (nfree < 0)
			return 1;
		break;
	}
	for (unsigned i = 0; i < cfg->handlers; i++)
		out[i] = free_cpus[i % (unsigned)nfree];
	return 0;
}
