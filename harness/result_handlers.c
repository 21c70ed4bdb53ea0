/* The JSON of what the handler threads did: where they ran (`handlers`,
 * placement.handler_cpus) and where their faults' time went
 * (`fault_anatomy`). Documented in results/schema.json. */
#include <jansson.h>

#include "anatomy.h"
#include "config.h"
#include "result.h"

static const char *const hcpus_policy[] = {
	[HCPUS_ANY] = "any", [HCPUS_SAME] = "same", [HCPUS_OTHER] = "other", [HCPUS_LIST] = "list",
};

static json_t *cpu_list(const uint64_t *mask)
{
	json_t *a = json_array();

	for (int c = 0; c < FB_MAX_CPUS; c++)
		if (mask[c / 64] & (1ULL << (c % 64)))
			json_array_append_new(a, json_integer(c));
	return a;
}

json_t *handlers_json(const struct fb_config *cfg, const struct handler_seen *hs)
{
	uint64_t all[FB_MAX_CPUS / 64] = { 0 };
	json_t *threads = json_array();

	for (unsigned i = 0; i < cfg->handlers; i++) {
		for (unsigned w = 0; w < FB_MAX_CPUS / 64; w++)
			all[w] |= hs[i].cpus[w];
		json_array_append_new(threads,
				      json_pack("{s:i, s:o, s:I, s:I}", "cpu", hs[i].cpu,
						"cpus_seen", cpu_list(hs[i].cpus),
						"reads", (json_int_t)hs[i].reads,
						"reads_on_vcpu_cpus", (json_int_t)hs[i].reads_on_vcpu_cpus));
	}
	return json_pack("{s:s, s:s, s:o, s:o}", "policy", hcpus_policy[cfg->handler_cpus],
			 "wait", cfg->wait == WAIT_SPIN ? "spin" : cfg->wait == WAIT_EPOLL ? "epoll" : "poll",
			 "cpus_seen", cpu_list(all), "threads", threads);
}

json_t *handler_cpus_json(const struct fb_config *cfg, const int *cpus)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < cfg->handlers; i++)
		json_array_append_new(a, json_integer(cpus[i]));
	return a;
}

json_t *anatomy_json(const struct rep_anatomy *ra)
{
	if (ra->unavailable)
		return json_pack("{s:b, s:s}", "available", 0, "reason", ra->unavailable);
	return json_pack("{s:b, s:o, s:o, s:o, s:I, s:I, s:I}", "available", 1,
			 "delivery_ns", hist_to_json(&ra->part[ANAT_DELIVERY], 1),
			 "service_ns", hist_to_json(&ra->part[ANAT_SERVICE], 1),
			 "wake_ns", hist_to_json(&ra->part[ANAT_WAKE], 1),
			 "matched", (json_int_t)ra->matched,
			 "unmatched", (json_int_t)(ra->first_touches - ra->matched),
			 "resumed_first", (json_int_t)ra->resumed_first);
}
