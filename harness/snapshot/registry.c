/* The snapshot strategies, in the order `--help` lists them. */
#include <string.h>

#include "snapshot/snap.h"

const struct snap_strategy *const snap_strategies[] = { &snap_stop_copy, &snap_fork, &snap_uffd_wp,
							      &snap_precopy };
const unsigned snap_strategies_count = FB_ARRAY_SIZE(snap_strategies);

const struct snap_strategy *snap_strategy_find(const char *name)
{
	for (unsigned i = 0; i < snap_strategies_count; i++)
		if (!strcmp(snap_strategies[i]->name, name))
			return snap_strategies[i];
	return NULL;
}
