/* What a snapshot strategy's engine needs from `faultbench snapshot`, and
 * nothing more: the engines (stop-copy, fork, uffd-wp, precopy) are written
 * against these calls, so each can be tested with a small driver of its own.
 *
 * Every call returns 0 or -errno. save() may be called from several threads
 * at once and from a uffd handler thread: it does not allocate, lock for
 * long, log or format. pause() returns once every vCPU is parked at a write
 * boundary; resume() lets them go; the time between is the pause the vCPUs
 * saw. t0() declares the consistency point and must be called while the
 * vCPUs are parked: the sink must end up holding every page exactly as it
 * was at that moment (the last save() of a page wins). */
#ifndef FB_SNAP_IO_H
#define FB_SNAP_IO_H

#include <stdint.h>

struct snap_io {
	void *ctx;
	char *base;            /* guest memory */
	uint64_t bytes;
	uint64_t page_size;    /* the backing's page size */
	unsigned vcpus;
	int (*pause)(void *ctx);
	int (*resume)(void *ctx);
	int (*t0)(void *ctx);
	int (*save)(void *ctx, uint64_t page, const void *src);
	/* the engine's extra memory right now (copies, buffers); the caller keeps the peak */
	void (*extra_memory)(void *ctx, uint64_t bytes);
};

#endif
