/* vCPU placement with hwloc: which CPU each vCPU thread runs on. */
#ifndef FB_TOPO_H
#define FB_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "modes/mode.h"

/* cpus[i] = OS CPU index for vCPU i, or -1 for unpinned. *oversubscribed
 * is set when there are more vCPUs than PUs. 0 or -errno. */
int topo_assign(enum pin_policy pin, unsigned n, int *cpus, bool *oversubscribed);
/* Pin the calling thread to one CPU. 0 or -errno. */
int topo_pin_self(int cpu);
const char *pin_name(enum pin_policy p);

/* The online CPUs (hwloc's PUs) as a bitmap of FB_MAX_CPUS bits; the count,
 * or -errno. */
int topo_online_cpus(uint64_t *mask);
/* Parse a CPU list ("0,2-3") of online CPUs into cpus[0..max) in the order
 * given, duplicates dropped. The number of CPUs, or -EINVAL with the reason
 * in why. cpus may be NULL to validate only. */
int topo_parse_cpulist(const char *s, int *cpus, unsigned max, char *why, size_t n);
/* Where each of cfg->handlers handler threads runs (out[i], -1 anywhere)
 * under cfg->handler_cpus, given the vCPUs' CPUs. Handler i serves uffd
 * i / cfg->readers. 0; 1 when the host cannot do it (the reason in why: a
 * skip); -errno. */
int topo_handler_cpus(const struct fb_config *cfg, const int *vcpu_cpus, int *out, char *why,
		      size_t n);

#endif
