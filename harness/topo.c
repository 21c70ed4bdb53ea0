#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

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
