/* The workloads faultbench knows, and turning "--workload" text into a spec. */
#include "wl_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct workload *const workloads[] = {
	&wl_seq,
	&wl_random,
	&wl_stride,
	&wl_zipf,
};

const size_t workloads_count = sizeof(workloads) / sizeof(workloads[0]);

/* "seq, random, stride:N, zipf:THETA", from the table so it cannot go stale. */
static void accepted_list(char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < workloads_count && off < n; i++) {
		const struct workload *wl = workloads[i];
		int w = snprintf(buf + off, n - off, "%s%s%s%s", i ? ", " : "", wl->name,
				 wl->arg_help ? ":" : "", wl->arg_help ? wl->arg_help : "");

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static const struct workload *find_workload(const char *name, size_t len)
{
	for (size_t i = 0; i < workloads_count; i++)
		if (strlen(workloads[i]->name) == len && !memcmp(workloads[i]->name, name, len))
			return workloads[i];
	return NULL;
}

int workload_parse(const char *text, struct workload_spec *spec, char *err, size_t errlen)
{
	const char *colon;
	size_t len;
	char list[256];

	memset(spec, 0, sizeof(*spec));
	if (!text)
		text = "";
	colon = strchr(text, ':');
	len = colon ? (size_t)(colon - text) : strlen(text);
	spec->wl = find_workload(text, len);
	if (!spec->wl) {
		accepted_list(list, sizeof(list));
		wl_errf(err, errlen, "unknown workload '%.*s'; accepted: %s", (int)len, text, list);
		return -EINVAL;
	}
	return spec->wl->parse(spec, colon ? colon + 1 : NULL, err, errlen);
}
