/* The postcopy destination's threads: the fault thread and the receivers
 * (postcopy_dest.c). They run in faultbench (--handler thread) or in the
 * handler process (--handler process), the same code either way.
 *
 * Everything they share with faultbench lives in one block (a memfd,
 * allocated before the run): the settings, each page's state, fault and
 * install ticks, blocktime's logs and thread id map, the receivers' and the
 * fault thread's figures. faultbench makes it and maps it; a handler
 * process maps the same memfd (its fd inherited, named in the handler's
 * side channel, handoff.h). So faultbench reads one set of figures however
 * the threads ran. The pointers in struct pc_dest are each process's own;
 * the block holds offsets only. */
#ifndef FB_POSTCOPY_DEST_H
#define FB_POSTCOPY_DEST_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "blocktime.h"
#include "fb.h"
#include "hist.h"
#include "modes/mode.h"
#include "postcopy_link.h"
#include "postcopy_wire.h"

#define PC_DEST_MAGIC 0x66622d7063646573ULL  /* "fb-pcdes" */

enum { PS_FAULTED = 1, PS_REQUESTED = 2, PS_RECEIVED = 4 };

/* One receiver's figures (in the block). */
struct pc_rx_out {
	struct mode_counters c;
	struct hist urgent_lat, stream_lat;
	uint64_t msgs, pages_precopy, pages_stream, pages_urgent, pages_zero;
	uint64_t bytes;            /* after switchover, END excluded */
	uint64_t last_ticks;       /* its last install */
	uint32_t ended;            /* PC_END came */
	struct pc_end end;
} __attribute__((aligned(FB_CACHELINE)));

/* The block's head. */
struct pc_shared {
	uint64_t magic;
	uint64_t bytes;            /* the whole block */
	/* in: faultbench's settings */
	uint64_t base;             /* guest memory, in faultbench's address space */
	uint64_t page_size, npages, batch, bt_cap;
	uint32_t nrx, nvcpus;
	uint32_t zeropage;         /* the range offers UFFDIO_ZEROPAGE */
	uint32_t bt_on;            /* blocktime measured (THREAD_ID) */
	uint64_t off_state, off_fault_ticks, off_installed, off_rx, off_bt;
	/* live */
	_Atomic uint64_t ninstalled;
	_Atomic int go_sent;       /* GO is on connection 0: requests may follow */
	/* out: the fault thread's, final once it stopped */
	uint64_t faults, fault_pages, requests_sent, requests_deduped, reads, events;
	struct hist raced_lat;     /* faults whose page was in before the thread read them */
};

/* Where the threads report their health: the run's fields (threads), or
 * the side channel's that faultbench mirrors (a handler process). */
struct pc_health {
	_Atomic int *fatal_errno;
	_Atomic uint64_t *fatal_page;
	_Atomic uint64_t *last_read_ns;
	_Atomic unsigned *alive;
};

struct pc_dest;

struct pc_rx {
	struct pc_dest *d;
	struct pc_rx_out *o;
	pthread_t tid;
	bool started;
	int fd;
	char *buf;                 /* one page, read off the socket */
};

struct pc_dest {
	struct pc_shared *sh;
	int fd;                    /* the block's memfd */
	_Atomic uint8_t *state;    /* per page: PS_* */
	uint64_t *fault_ticks;     /* first fault read on each page */
	uint64_t *installed;       /* install tick of each page (0: not yet) */
	struct blocktime bt;
	struct pc_rx_out *out;     /* [nrx] */
	/* this process's threads */
	struct pc_health h;
	int uffd, stop_fd;
	char *zero;                /* a page of zeros, for hugetlb (no ZEROPAGE) */
	struct pc_link link;       /* connections only: fd[0] carries requests */
	struct pc_rx *rx;
	pthread_t ft;
	bool ft_started;
	struct uffd_msg *msgs;
};

struct pc_dest_params {
	uint64_t base, page_size, npages, batch, bt_cap;
	unsigned nrx, nvcpus;
	bool zeropage, bt_on;
};

/* Make the block (a memfd) and map it. 0 or -errno; pc_dest_free() undoes
 * what was done. */
int pc_dest_create(struct pc_dest *d, const struct pc_dest_params *p);
/* Map the block another process made (a handler process). 0, -EINVAL (not
 * a block of this build) or -errno. */
int pc_dest_attach(struct pc_dest *d, int fd);
/* Start the receivers on fds[0..nrx) and the fault thread on uffd. 0 or
 * -errno (the threads started are stopped by pc_dest_stop()). */
int pc_dest_start(struct pc_dest *d, int uffd, const int *fds, const struct pc_health *h);
/* Wait for every receiver to end (its connection's end mark, or a
 * connection that closed), then stop the fault thread. */
void pc_dest_stop(struct pc_dest *d);
void pc_dest_free(struct pc_dest *d);

/* A handler process's role (cmd_handler.c): run the threads on the uffd
 * handed over, with the block and the connections named in the side
 * channel, until a stop signal (taken only while wait_mask is the mask).
 * 0 or -errno. */
struct handoff_shm;
int pc_dest_serve(int uffd, struct handoff_shm *m, const sigset_t *wait_mask,
		  const volatile sig_atomic_t *stop);

#endif
