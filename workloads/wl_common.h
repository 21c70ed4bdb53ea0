/* What the workloads share besides randomness: argument checks and error
 * text. Private to workloads/ (the harness sees only workload.h). */
#ifndef FB_WL_COMMON_H
#define FB_WL_COMMON_H

#include "workload.h"

#include <stddef.h>
#include <stdint.h>

extern const struct workload wl_seq;
extern const struct workload wl_random;
extern const struct workload wl_stride;
extern const struct workload wl_zipf;

/* printf into err unless err is NULL (callers that only want a default). */
__attribute__((format(printf, 3, 4)))
void wl_errf(char *err, size_t errlen, const char *fmt, ...);

/* parse() of a workload without ":ARG": rejects any argument, even "". */
int wl_parse_no_arg(const struct workload *wl, struct workload_spec *spec, const char *arg,
		    char *err, size_t errlen);

/* 0 when build() may fill a slice of npages, else -EINVAL. */
int wl_check_npages(uint64_t npages);

#endif
