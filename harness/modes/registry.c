#include <stdio.h>
#include <string.h>

#include "config.h"
#include "memory.h"
#include "mode.h"
#include "probe.h"
#include "uffd.h"

extern const struct fault_mode mode_none, mode_populate, mode_uffd_stock;
extern const struct fault_mode mode_memfault_exit, mode_uffd_minor;
extern const struct fault_mode mode_zero_unreg, mode_wp_unpop, mode_postcopy;

const struct fault_mode *const fault_modes[] = { &mode_none, &mode_populate, &mode_uffd_stock,
						 &mode_memfault_exit, &mode_uffd_minor,
						 &mode_zero_unreg, &mode_wp_unpop, &mode_postcopy };
const size_t fault_modes_count = FB_ARRAY_SIZE(fault_modes);

const struct fault_mode *mode_find(const char *name)
{
	for (size_t i = 0; i < fault_modes_count; i++)
		if (!strcmp(fault_modes[i]->name, name))
			return fault_modes[i];
	return NULL;
}

const char *mode_uffd_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				  uint64_t features, char *why, size_t n)
{
	const char *r = probe_uffd_unavailable_reason(h);
	char names[256];

	if (r) {
		snprintf(why, n, "%s", r);
		return why;
	}
	features |= cfg->backing->uffd_missing_feature;
	if ((h->uffd_features & features) != features) {
		snprintf(why, n, "needs %s on --backing %s",
			 uffd_feature_list(features & ~h->uffd_features, names, sizeof(names)),
			 cfg->backing->name);
		return why;
	}
	return NULL;
}
