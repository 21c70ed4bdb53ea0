/* The postcopy flags: parsed, checked against the mode, written into the
 * result's config. Kept apart from config.c: they belong to the modes
 * whose pages come over a link (MODE_LINK). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "modes/mode.h"

#define PC_MAX_RECEIVERS 64
#define PC_MAX_LINK_BPS 1000000000000000ULL   /* 1 Pbit/s: beyond any link */
#define PC_MAX_DELAY_US 10000000ULL           /* 10 s */

/* In the order of OPT_RECEIVERS.. in config.c */
const char *const postcopy_flag_names[] = {
	"--receivers", "--preempt", "--link", "--link-bw", "--link-delay-us", "--precopy",
};

/* "10G", "2.5G", "100M", "800K", "1000000": bits/s, decimal multiples. */
static int parse_rate(const char *v, uint64_t *out)
{
	char *end;
	double x = strtod(v, &end), mult = 1;

	if (end == v || !isfinite(x) || x < 0 || *v == '-')
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		mult = 1e3, end++;
	else if (*end == 'M')
		mult = 1e6, end++;
	else if (*end == 'G')
		mult = 1e9, end++;
	else if (*end == 'T')
		mult = 1e12, end++;
	if (*end || x * mult > (double)PC_MAX_LINK_BPS)
		return -EINVAL;
	*out = (uint64_t)llround(x * mult);
	return 0;
}

int postcopy_parse_flag(struct fb_config *c, int which, const char *v, struct fb_err *err)
{
	uint64_t x;

	if (!c->link_flag)
		c->link_flag = postcopy_flag_names[which];
	switch (which) {
	case 0:
		if (fb_parse_u64(v, 1, PC_MAX_RECEIVERS, &x))
			break;
		c->receivers = (unsigned)x;
		return 0;
	case 1:
		c->preempt = true;
		return 0;
	case 2:
		if (strcmp(v, "unix") && strcmp(v, "tcp")) {
			fb_errf(err, "--link: '%s' is not accepted; accepted values: unix, tcp", v);
			return -EINVAL;
		}
		c->link = strcmp(v, "tcp") ? LINK_UNIX : LINK_TCP;
		return 0;
	case 3:
		if (parse_rate(v, &c->link_bw_bps)) {
			fb_errf(err, "--link-bw: '%s' is not a rate in bits/s such as 10G, 2.5G, 100M "
				"(decimal K/M/G/T; 0: unpaced; at most 1000T)", v);
			return -EINVAL;
		}
		if (c->link_bw_bps && c->link_bw_bps < 8000) {
			fb_errf(err, "--link-bw: '%s' is below 8K bits/s, the slowest link emulated "
				"(0: unpaced)", v);
			return -EINVAL;
		}
		return 0;
	case 4:
		if (fb_parse_u64(v, 0, PC_MAX_DELAY_US, &c->link_delay_us))
			break;
		return 0;
	case 5:
		if (fb_parse_double(v, 0, 1, &c->precopy)) {
			fb_errf(err, "--precopy: '%s' is not a fraction from 0 to 1, e.g. 0.5", v);
			return -EINVAL;
		}
		return 0;
	}
	fb_errf(err, "%s: '%s' is not a whole number from %d to %llu", postcopy_flag_names[which], v,
		which == 0 ? 1 : 0,
		which == 0 ? (unsigned long long)PC_MAX_RECEIVERS : (unsigned long long)PC_MAX_DELAY_US);
	return -EINVAL;
}

/* The link flags mean something only to a mode whose pages come over a
 * link; and such a mode has its own fault thread, not handler threads. */
int postcopy_check(const struct fb_config *c, struct fb_err *err)
{
	char names[160] = "";
	size_t off = 0;

	for (size_t i = 0; i < fault_modes_count && off < sizeof(names); i++)
		if (fault_modes[i]->flags & MODE_LINK)
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						off ? ", " : "", fault_modes[i]->name);
	if (!(c->mode->flags & MODE_LINK)) {
		if (!c->link_flag)
			return 0;
		fb_errf(err, "%s without postcopy: mode %s takes no pages over a link; accepted with "
			"--mode %s", c->link_flag, c->mode->name, names);
		return 1;
	}
	if (c->uffd_sharing != UFFD_SHARED || c->readers != 1 || c->wait != WAIT_POLL) {
		fb_errf(err, "--mode %s: one fault thread reads one uffd; drop --uffd per-vcpu, "
			"--readers, --handlers and --wait (--receivers sets the receiver threads)",
			c->mode->name);
		return 1;
	}
	if (c->service_delay_us) {
		fb_errf(err, "--service-delay-us: --mode %s has no handler to delay; use "
			"--link-delay-us (added to each request's round trip)", c->mode->name);
		return 1;
	}
	if (c->handler_cpus != HCPUS_ANY) {
		fb_errf(err, "--handler-cpus: --mode %s has no handler threads to place "
			"(its fault thread and receivers run anywhere)", c->mode->name);
		return 1;
	}
	return 0;
}

void postcopy_config_json(const struct fb_config *c, json_t *j)
{
	if (!(c->mode->flags & MODE_LINK))
		return;
	json_object_set_new(j, "receivers", json_integer(c->receivers));
	json_object_set_new(j, "preempt", json_boolean(c->preempt));
	json_object_set_new(j, "link", json_string(c->link == LINK_TCP ? "tcp" : "unix"));
	json_object_set_new(j, "link_bw_bps", json_integer((json_int_t)c->link_bw_bps));
	json_object_set_new(j, "link_delay_us", json_integer((json_int_t)c->link_delay_us));
	json_object_set_new(j, "precopy", json_real(c->precopy));
}
