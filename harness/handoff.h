/* Handing a uffd to a handler in another process: Firecracker's
 * snapshot-restore handshake, and the side channel of faultbench's own
 * handler process.
 *
 * The handshake (the only thing on the socket): the handler binds and
 * listens on a Unix stream socket; the VMM, having created and registered
 * the uffd, connects and sends one message. Its payload is a JSON array
 * with one object per guest memory region:
 *   base_host_virt_addr  where the region is mapped in the VMM
 *   size                 its length in bytes
 *   offset               where its contents start in the memory file
 *   page_size            bytes one fault fills
 *   page_size_kib        the same, in BYTES despite its name (deprecated;
 *                        Firecracker still sends it, old handlers read it)
 * and the uffd travels in SCM_RIGHTS with it. A handler serves a fault at
 * address A of a region from file offset offset + (A - base) rounded down
 * to the page.
 *
 * The side channel (faultbench's built-in handler only, never the socket):
 * a shared-memory block whose fd is named by $FAULTBENCH_HANDLER_SHM_FD.
 * It carries the run's handler settings in and the counters a handler
 * thread would keep out, so `--handler process` reports the same figures as
 * `--handler thread`. A handler that does not know it ignores the variable. */
#ifndef FB_HANDOFF_H
#define FB_HANDOFF_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fb.h"
#include "hist.h"
#include "modes/mode.h"
#include "postcopy_wire.h"
#include "timing.h"

#define HANDOFF_MAX_REGIONS 64
#define HANDOFF_MSG_MAX 16384      /* the handshake's largest payload */

struct handoff_region {
	uint64_t base;       /* base_host_virt_addr */
	uint64_t size;
	uint64_t offset;     /* in the memory file */
	uint64_t page_size;
};

/* The payload for regions[0..n): a malloc'ed string, or NULL (no memory). */
char *handoff_json(const struct handoff_region *regions, size_t n);
/* Parse a payload into regions[0..max); *n gets the count. 0, or -EINVAL
 * with the faulty field named in err. */
int handoff_parse(const char *buf, size_t len, struct handoff_region *regions, size_t max,
		  size_t *n, struct fb_err *err);
/* One sendmsg: the payload, and the uffd in SCM_RIGHTS. 0 or -errno. */
int handoff_send(int sock, const char *payload, int uffd);
/* One recvmsg into buf (NUL-terminated, so cap - 1 bytes at most); *uffd
 * gets the fd passed, or -1 when none came. 0 or -errno (-EINTR too: a
 * signal is the caller's to judge). */
int handoff_recv(int sock, char *buf, size_t cap, size_t *len, int *uffd);

/* What the built-in handler does with the uffd: serve faults from MEMFILE,
 * or run a postcopy destination's threads (postcopy_dest.h), its pages
 * coming from the source over connections it inherits. */
enum handoff_role { HANDOFF_ROLE_SERVE = 0, HANDOFF_ROLE_POSTCOPY = 1 };

#define HANDOFF_MAX_FDS (PC_MAX_CONNS + 1)

/* A mode's own business with the built-in handler process: its role, and
 * fds it inherits across exec (named in the side channel, never sent on
 * the handshake's socket). */
struct handoff_extra {
	enum handoff_role role;
	unsigned nfds;
	int fds[HANDOFF_MAX_FDS];
};

#define HANDOFF_SHM_ENV "FAULTBENCH_HANDLER_SHM_FD"
#define HANDOFF_SHM_MAGIC 0x66622d68616e646cULL  /* "fb-handl" */

/* The side channel's block. "in" fields are written by faultbench before the
 * handler starts; "out" fields by the handler, and read by faultbench only
 * once the handler has stopped, except the atomics, which a monitor thread
 * reads during the run for the watchdog. */
struct handoff_shm {
	uint64_t magic;
	uint64_t bytes;                /* sizeof(struct handoff_shm): same build */
	/* in */
	uint32_t batch;                /* messages per read() */
	int32_t cpu;                   /* pin to this CPU, -1: anywhere */
	uint64_t service_delay_us;
	uint64_t test_slowdown_ns;
	uint32_t inject;               /* enum inject_kind (config.h) */
	uint64_t inject_page;          /* page of region 0 */
	uint32_t copy_wp;              /* COPY with UFFDIO_COPY_MODE_WP, never ZEROPAGE:
					* the VMM tracks writes (zero-unreg) */
	uint64_t vcpu_cpus[FB_MAX_CPUS / 64];
	struct fb_clock clock;         /* faultbench's TSC calibration (source: not a string here) */
	uint32_t role;                 /* enum handoff_role */
	uint32_t nfds;                 /* fds[0..nfds): inherited, open in the handler */
	int32_t fds[HANDOFF_MAX_FDS];  /* postcopy: the block, then the connections */
	/* out */
	_Atomic uint32_t ready;        /* handshake done, file mapped: serving */
	_Atomic uint64_t last_read_ns; /* CLOCK_MONOTONIC of the last read with messages */
	_Atomic int fatal_errno;       /* first resolve that failed for good */
	_Atomic uint64_t fatal_page;   /* its page + 1 */
	struct mode_counters c;
	struct hist service;
	struct handler_seen seen;
};

/* `faultbench handler SOCKET MEMFILE` (cmd_handler.c). */
int handler_cmd_main(int argc, char **argv);

/* hproc.c: remove the handler's socket; async-signal-safe, for main.c's
 * signal handlers (the handler itself dies with faultbench). */
void hproc_signal_cleanup(void);

#endif
