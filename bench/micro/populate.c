/* MADV_POPULATE_READ and MADV_POPULATE_WRITE (5.14+) of an empty anonymous
 * range of 4K pages, 4K to 1G. Between iterations MADV_DONTNEED empties the
 * range again, untimed (manual time). READ maps the shared zero page, WRITE
 * allocates and zeroes every page. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "micro.h"

static void populate(gb_state *st, int advice, const char *name)
{
	size_t len = (size_t)gb_range(st, 0);
	char *p = micro_map(st, len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	if (p && !micro_madvise(st, p, len, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE")) {
		while (gb_keep_running(st)) {
			double t0 = micro_now(), t1;
			int e = madvise(p, len, advice) ? errno : 0;

			t1 = micro_now();
			if (e) {
				micro_skipf(st, "madvise(%s) of %zu bytes failed: %s%s", name, len,
					    strerror(e), e == EINVAL ? " (needs Linux 5.14+)" : "");
				break;
			}
			gb_set_iteration_time(st, t1 - t0);
			if (micro_madvise(st, p, len, MADV_DONTNEED, "MADV_DONTNEED"))
				break;
		}
	}
	gb_set_items_processed(st, gb_iteration_count(st) * (int64_t)(len / MICRO_PAGE));
	gb_set_bytes_processed(st, gb_iteration_count(st) * (int64_t)len);
	micro_unmap(p, len);
}

static void bm_populate_read(gb_state *st) { populate(st, MADV_POPULATE_READ, "MADV_POPULATE_READ"); }
static void bm_populate_write(gb_state *st)
{
	populate(st, MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE");
}

GB_INIT(populate)
{
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_madv_populate_read", bm_populate_read)),
			    GB_US));
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_madv_populate_write", bm_populate_write)),
			    GB_US));
}
