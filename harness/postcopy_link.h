/* The destination's end of a postcopy link: the connections to the source
 * process, and the process itself (postcopy_link.c). The wire is
 * postcopy_wire.h. */
#ifndef FB_POSTCOPY_LINK_H
#define FB_POSTCOPY_LINK_H

#include <stdint.h>

#include "child.h"
#include "fb.h"
#include "postcopy_wire.h"

struct fb_config;

struct pc_link {
	unsigned nconns;          /* stream connections, then the urgent one (--preempt) */
	int fd[PC_MAX_CONNS];     /* faultbench's ends; -1: closed */
	struct child src;
};

/* Make the connections (AF_UNIX socket pairs, or TCP over loopback with
 * TCP_NODELAY), start `faultbench postcopy-source` with its ends, and send
 * it the settings (hello). 0 or -errno with err set; pc_link_close() undoes
 * whatever was done. */
int pc_link_open(struct pc_link *l, const struct fb_config *cfg, const struct pc_hello *hello,
		 struct fb_err *err);
/* One control message on connection 0 (GO, or a page request). No
 * allocation, no locks: safe on the fault thread. 0 or -errno. */
int pc_link_ctl(struct pc_link *l, uint32_t kind, uint64_t page);
/* Stop the source (SIGTERM, then SIGKILL), reap it, close the connections.
 * 0, or -ECHILD with the source's end in err when it failed or would not
 * stop. */
int pc_link_close(struct pc_link *l, struct fb_err *err);

#endif
