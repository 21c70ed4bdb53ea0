/* The postcopy wire: what faultbench (the destination) and its source
 * process (`faultbench postcopy-source`, postcopy_source.c) say to each
 * other. Both ends are this build, on this host: plain structs, host byte
 * order.
 *
 * Connections (stream sockets, AF_UNIX or TCP over loopback), made by
 * faultbench before it starts the source, which inherits its ends:
 *   0 .. nstream-1   the stream: one per receiver thread (--receivers)
 *   nstream          with --preempt: urgent pages only
 * Source to faultbench, on every connection: pages, each a pc_page header
 * followed by len bytes (0 for a zero page: the header alone), and last a
 * PC_END header followed by a struct pc_end.
 * Faultbench to source, on connection 0 only: a pc_hello, then PC_CTL_GO at
 * switchover, then PC_CTL_REQ page requests; closing it ends the source. */
#ifndef FB_POSTCOPY_WIRE_H
#define FB_POSTCOPY_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "fb.h"

#define PC_MAX_CONNS 65            /* 64 receivers and the urgent connection */
#define PC_HELLO_MAGIC 0x66622d706f737463ULL  /* "fb-postc" */

enum pc_page_flags {
	PC_ZERO = 1,       /* a zero page: no payload, install with ZEROPAGE */
	PC_URGENT = 2,     /* sent in answer to a request */
	PC_PRECOPY = 4,    /* sent before switchover (--precopy) */
	PC_END = 8,        /* the last message on this connection: a pc_end follows */
};

struct pc_page {
	uint64_t page;     /* index in guest memory */
	uint32_t flags;
	uint32_t len;      /* payload bytes that follow: the page size, or 0 */
};

/* What the source sent on one connection after switchover (not counting
 * this message), and on connection 0 what it did with the requests. */
struct pc_end {
	uint64_t bytes;           /* headers and payloads */
	uint64_t pages;
	uint64_t pages_urgent;
	uint64_t requests;        /* page requests read (connection 0) */
	uint64_t requests_stale;  /* ... for pages it had sent already: nothing sent again */
	uint64_t queue_bytes;     /* the emulated send queue's depth on this connection */
};

enum pc_ctl_kind { PC_CTL_GO = 1, PC_CTL_REQ = 2 };

struct pc_ctl {
	uint32_t kind;
	uint32_t pad;
	uint64_t page;
};

/* The run's settings: the source builds the same image (image.h is a pure
 * function of these) and paces itself as told. */
struct pc_hello {
	uint64_t magic;
	uint64_t bytes;            /* sizeof(struct pc_hello): same build */
	uint64_t npages;
	uint64_t page_size;
	uint64_t seed;
	uint64_t zero_run_pages;
	double zero_fraction;
	double precopy;
	uint32_t nstream;          /* stream connections */
	uint32_t preempt;          /* 1: connection nstream carries urgent pages */
	uint64_t link_bw_bps;      /* 0: unpaced */
	uint64_t link_delay_us;
	uint32_t inject;           /* enum inject_kind: drop, corrupt or duplicate a page */
	uint32_t pad;
	uint64_t inject_page;
};

/* Is page p one the precopy pass delivered (--precopy F)? A seeded draw
 * both ends make alike, so no list travels. */
static inline bool pc_is_precopy(uint64_t seed, double f, uint64_t p)
{
	if (f <= 0)
		return false;
	return (double)(fb_mix64(seed ^ 0x70726563ULL ^ (p * 0x9e3779b97f4a7c15ULL)) >> 11) *
		       0x1p-53 < f;
}

/* `faultbench postcopy-source FD...` (postcopy_source.c). */
int postcopy_source_main(int argc, char **argv);

#endif
