/* vCPU placement with hwloc: which CPU each vCPU thread runs on. */
#ifndef FB_TOPO_H
#define FB_TOPO_H

#include <stdbool.h>

#include "config.h"

/* cpus[i] = OS CPU index for vCPU i, or -1 for unpinned. *oversubscribed
 * is set when there are more vCPUs than PUs. 0 or -errno. */
int topo_assign(enum pin_policy pin, unsigned n, int *cpus, bool *oversubscribed);
/* Pin the calling thread to one CPU. 0 or -errno. */
int topo_pin_self(int cpu);
const char *pin_name(enum pin_policy p);

#endif
