#include "wl_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void wl_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int wl_parse_no_arg(const struct workload *wl, struct workload_spec *spec, const char *arg,
		    char *err, size_t errlen)
{
	if (arg) {
		wl_errf(err, errlen, "workload '%s' takes no argument: write plain '%s', not '%s:%s'",
			wl->name, wl->name, wl->name, arg);
		return -EINVAL;
	}
	snprintf(spec->text, sizeof(spec->text), "%s", wl->name);
	return 0;
}

int wl_check_npages(uint64_t npages)
{
	return npages == 0 || npages > WL_MAX_PAGES ? -EINVAL : 0;
}
