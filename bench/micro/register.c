/* UFFDIO_REGISTER and UFFDIO_UNREGISTER (MISSING) of a never-touched
 * anonymous range, 4K to 1G: the cost a VMM pays to take over guest memory.
 * Each iteration times one of the pair; the other puts the range back,
 * untimed (manual time). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "micro.h"
#include "uffd.h"

static void reg_unreg(gb_state *st, bool time_register)
{
	size_t len = (size_t)gb_range(st, 0);
	struct fb_err err = { { 0 } };
	int uffd = micro_uffd(st, 0), e = 0;
	char *p;

	if (uffd < 0)
		return;
	p = micro_map(st, len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	if (p) {
		while (gb_keep_running(st)) {
			double t0 = micro_now(), t1, t2;

			e = uffd_register(uffd, p, len, UFFDIO_REGISTER_MODE_MISSING, NULL, &err);
			t1 = micro_now();
			if (e)
				break;
			e = uffd_unregister(uffd, p, len);
			t2 = micro_now();
			if (e) {
				fb_errf(&err, "UFFDIO_UNREGISTER of %zu bytes failed: %s", len,
					strerror(-e));
				break;
			}
			gb_set_iteration_time(st, time_register ? t1 - t0 : t2 - t1);
		}
		if (e)
			gb_skip_with_error(st, err.msg);
	}
	gb_set_items_processed(st, gb_iteration_count(st));
	micro_unmap(p, len);
	close(uffd);
}

static void bm_uffd_register(gb_state *st) { reg_unreg(st, true); }
static void bm_uffd_unregister(gb_state *st) { reg_unreg(st, false); }

GB_INIT(register)
{
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_uffd_register", bm_uffd_register)), GB_NS));
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_uffd_unregister", bm_uffd_unregister)),
			    GB_NS));
}
