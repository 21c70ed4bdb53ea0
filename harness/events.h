/* Non-cooperative events (--events unmap,remove,remap,fork): mid-run, an
 * events thread changes the guest's layout once per requested kind, and
 * uffd-stock's handler threads follow each change (the kernel's
 * userfaultfd document, "Non-cooperative userfaultfd").
 *
 * Where the events land, chosen so that the vCPUs' access plans stay as
 * they are: with --events the region gets an event area past the vCPUs'
 * slices (config.h, FB_EVENT_AREA_PAGES), three ranges that no plan touches.
 *   unmap   munmap of range 0 (UFFD_EVENT_UNMAP)
 *   remove  MADV_DONTNEED of range 1 (UFFD_EVENT_REMOVE)
 *   remap   mremap of range 2 to an address reserved at setup
 *           (UFFD_EVENT_REMAP); vCPU 0 owns it: after its timed accesses it
 *           waits for the remap (a handshake off the timed path) and touches
 *           the range at its new address, which the handlers must translate
 *           back to image pages 2's
 *   fork    a child (UFFD_EVENT_FORK: the handler gets its uffd) reads 64
 *           pages spread over the vCPUs' slices and checks each word: the
 *           image's, or a vCPU's marker for a page the parent wrote before
 *           the fork. The events thread serves the child's faults from the
 *           image, and reaps the child; it dies with the thread that forked
 *           it (PR_SET_PDEATHSIG) and is killed after --fault-timeout.
 * Unmapped and removed pages leave the run: a fault in them is a handler
 * bug, counted and failed. The events go in that order, once, when the
 * handlers have resolved half the slices' pages, or when vCPU 0 waits for
 * its remap, or when the vCPUs are done (whichever comes first: mode_data
 * says which). Each is timed from just before its system call to the
 * handler's receipt of its message.
 *
 * While a layout change is in flight the kernel fails UFFDIO_COPY with
 * EAGAIN (mmap_changing) until a reader takes the event's message; a
 * handler that sees EAGAIN reads what is queued on its uffd, handles events
 * at once and keeps faults for after the one it is resolving, so one
 * handler thread cannot wait on itself. */
#ifndef FB_EVENTS_H
#define FB_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "uffd.h"

struct events;

/* UFFD_FEATURE_EVENT_* the requested events need. */
uint64_t events_features(unsigned events);
/* Why this process cannot have the events cfg asks for (a skip), or NULL:
 * what the feature bits cannot say (EVENT_FORK needs CAP_SYS_PTRACE). */
const char *events_unsupported(const struct fb_config *cfg, char *why, size_t n);
/* Allocate the state for r and the server s (the remap's destination
 * reserved); before the handlers start. 0 or -errno. */
int events_create(struct mode_run *r, struct uffd_server *s, struct events **out);
/* The handlers run: start the events thread. */
int events_start(struct events *ev);
/* uffd-stock's message function while events run; ev from events_of(s). */
int events_msg(struct events *ev, struct uffd_server *s, struct uffd_handler *h,
	       const struct uffd_msg *m);
/* vCPU vcpu after its timed accesses: with remap, vCPU 0 waits for it and
 * touches the range at its new address. Safe after a failed teardown. */
int events_vcpu_finish(const struct fb_config *cfg, unsigned vcpu);
/* The vCPUs are done: let the events that have not fired fire, wait for the
 * events thread, and check what only the mode's state can show (the
 * remapped pages at their new address). 0 or -errno (with r->err). */
int events_after_vcpus(struct events *ev);
/* Figures for mode_data.events. */
json_t *events_report(struct events *ev);
/* Tell the events thread to stop; before the handlers stop. Its system
 * calls end when a handler takes their messages, or when the uffd closes:
 * events_destroy joins it after the handlers' teardown. */
void events_stop(struct events *ev);
/* After the handlers stopped and the counters are summed: join the events
 * thread, check every
 * requested event arrived once and nothing was lost (r->err), add the
 * remapped pages to r->extra_touched, unmap the remap destination, free.
 * 0 or -errno. */
int events_destroy(struct events *ev);

#endif
