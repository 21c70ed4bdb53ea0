/* What the report calls an experiment: a slug that ends every file name of
 * its tables and plots ("anon-1G-per-vcpu", "anon-8M-half-zeros") and a
 * title its captions carry ("anon 4K pages, 8M in all, seq write, half the
 * pages zero"), in words a person reads rather than config keys. Backing,
 * size and layout are always named; any other setting when it is not the
 * default or when it varies across the set, so one experiment keeps its
 * name from one set to the next; the image's zero fraction is in every
 * title (a table comparing a mode that skips zero pages must say how many
 * there were). */
#include "kind.h"

#include <stdlib.h>
#include <string.h>

/* How a setting reads in a file name (slug) and in a caption (text). */
struct env_phrase {
	const char *key;
	void (*say)(json_t *v, char *slug, size_t ns, char *text, size_t nt);
};

static void say_zeros(json_t *v, char *slug, size_t ns, char *text, size_t nt)
{
	double f = json_number_value(v);

	if (f == 0) {
		snprintf(slug, ns, "no-zeros");
		snprintf(text, nt, "no zero pages");
	} else if (f == 1) {
		snprintf(slug, ns, "all-zeros");
		snprintf(text, nt, "every page zero");
	} else if (f == 0.5) {
		snprintf(slug, ns, "half-zeros");
		snprintf(text, nt, "half the pages zero");
	} else {
		snprintf(slug, ns, "zeros-%gpct", f * 100);
		snprintf(text, nt, "%g %% of the pages zero", f * 100);
	}
}

static void say_zero_run(json_t *v, char *slug, size_t ns, char *text, size_t nt)
{
	uint64_t b = (uint64_t)json_integer_value(v);
	char sz[32];

	if (!b) {
		snprintf(slug, ns, "zeros-page-by-page");
		snprintf(text, nt, "zero or not page by page");
		return;
	}
	fb_fmt_size(b, sz, sizeof(sz));
	snprintf(slug, ns, "in-%s-runs", sz);
	snprintf(text, nt, "zeros in %s runs", sz);
}

static void say_numa(json_t *v, char *slug, size_t ns, char *text, size_t nt)
{
	const char *p = json_string_value(v);

	if (p && !strncmp(p, "node:", 5)) {
		snprintf(slug, ns, "numa-node-%s", p + 5);
		snprintf(text, nt, "memory on NUMA node %s", p + 5);
	} else {
		snprintf(slug, ns, "numa-%s", p ? p : "unknown");
		snprintf(text, nt, "NUMA %s", p ? p : "unknown");
	}
}

static void say_pin(json_t *v, char *slug, size_t ns, char *text, size_t nt)
{
	const char *p = json_string_value(v);

	if (p && !strcmp(p, "none")) {
		snprintf(slug, ns, "unpinned");
		snprintf(text, nt, "vCPUs not pinned");
	} else {
		snprintf(slug, ns, "pinned-%s", p ? p : "unknown");
		snprintf(text, nt, "vCPUs pinned %s", p ? p : "unknown");
	}
}

static void say_balloon(json_t *v, char *slug, size_t ns, char *text, size_t nt)
{
	double f = json_number_value(v);

	if (f == 0) {
		snprintf(slug, ns, "no-balloon");
		snprintf(text, nt, "no balloon");
	} else {
		snprintf(slug, ns, "balloon-%gpct", f * 100);
		snprintf(text, nt, "%g %% ballooned mid-run", f * 100);
	}
}

static void say_delay(json_t *v, char *slug, size_t ns, char *text, size_t nt)
{
	long long us = (long long)json_integer_value(v);

	if (!us) {
		snprintf(slug, ns, "no-delay");
		snprintf(text, nt, "no service delay");
	} else {
		snprintf(slug, ns, "delay-%lldus", us);
		snprintf(text, nt, "%lld µs service delay", us);
	}
}

static void say_touch(json_t *v, char *slug, size_t ns, char *text, size_t nt)
{
	const char *t = json_string_value(v);

	snprintf(slug, ns, "touch-%s", t ? t : "unknown");
	/* what one access covers, read or written */
	if (t && !strcmp(t, "word"))
		snprintf(text, nt, "one word per page");
	else if (t && !strcmp(t, "line"))
		snprintf(text, nt, "one word per 64-byte line");
	else if (t && !strcmp(t, "page"))
		snprintf(text, nt, "whole pages");
	else
		snprintf(text, nt, "touch %s", t ? t : "unknown");
}

static const struct env_phrase phrases[] = {
	{ "touch", say_touch },
	{ "numa", say_numa },
	{ "pin", say_pin },
	{ "zero_fraction", say_zeros },
	{ "zero_run_bytes", say_zero_run },
	{ "balloon", say_balloon },
	{ "service_delay_us", say_delay },
};

/* Named by name_groups itself, in the slug's first words and the title's
 * first clause. */
static const char *const named_first[] = {
	"backing", "hugepage_bytes", "size_bytes", "per_vcpu", "overlap", "workload", "access",
};

static bool first_named(const char *k)
{
	for (size_t i = 0; i < FB_ARRAY_SIZE(named_first); i++)
		if (!strcmp(k, named_first[i]))
			return true;
	return false;
}

/* Letters, digits and . + - only: "zipf:0.99" → "zipf-0.99". */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '+'))
			*s = '-';
}

/* 0 and 0.0 are the same setting: jq and other tools rewrite one as the other. */
static bool same(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

/* Whether key needs saying for group gi: not the default, or not the
 * same in every group of the set. */
static bool worth_naming(const struct report *r, size_t gi, const char *key)
{
	json_t *v = json_object_get(r->g[gi].env, key);

	if (!v)
		return false; /* a result from a version without this setting */
	for (size_t j = 0; j < r->ng; j++)
		if (!same(v, json_object_get(r->g[j].env, key)))
			return true;
	return !same(v, json_object_get(report_default_config(), key));
}

static void append(char *buf, size_t n, size_t *off, const char *fmt, const char *s)
{
	if (*off < n)
		*off += (size_t)snprintf(buf + *off, n - *off, fmt, s);
	if (*off >= n)
		*off = n - 1;
}

void report_name_groups(struct report *r)
{
	for (size_t i = 0; i < r->ng; i++) {
		struct group *g = &r->g[i];
		json_t *cfg = json_object_get(r->s->it[g->item[0]].doc, "config");
		char *backing = report_config_str(cfg, "backing"), *hp = report_config_str(cfg, "hugepage_bytes");
		char *size = report_config_str(cfg, "size_bytes"), *wl = report_config_str(cfg, "workload");
		char *acc = report_config_str(cfg, "access"), *pg = report_config_str(cfg, "page_bytes");
		bool hugetlb = backing && strstr(backing, "hugetlb");
		bool per_vcpu = json_is_true(json_object_get(cfg, "per_vcpu"));
		bool shared = json_is_true(json_object_get(cfg, "overlap"));
		size_t off = 0, toff = 0;

		/* the backing always leads: a slug should say what memory it is */
		append(g->slug, sizeof(g->slug), &off, "%s", backing ? backing : "results");
		if (hugetlb)
			append(g->slug, sizeof(g->slug), &off, "-%s", hp);
		append(g->slug, sizeof(g->slug), &off, "-%s", size);
		if (per_vcpu || shared)
			append(g->slug, sizeof(g->slug), &off, "-%s", per_vcpu ? "per-vcpu" : "shared");
		if (worth_naming(r, i, "workload"))
			append(g->slug, sizeof(g->slug), &off, "-%s", wl);
		if (worth_naming(r, i, "access"))
			append(g->slug, sizeof(g->slug), &off, "-%s", acc);
		toff = (size_t)snprintf(g->title, sizeof(g->title), "%s %s pages, %s %s, %s %s", backing,
					hugetlb ? hp : pg, size,
					per_vcpu ? "per vCPU" : shared ? "shared by all vCPUs" : "in all",
					wl, acc);
		for (size_t k = 0; k < report_env_keys_count; k++) {
			const char *key = report_env_keys[k];
			char slug[64], text[128];
			size_t p = 0;
			bool in_slug;

			if (first_named(key))
				continue;
			/* the image's zeros decide what a zero-aware mode skips:
			 * every caption says them, file names when they stand out */
			in_slug = worth_naming(r, i, key);
			if (!in_slug && (strcmp(key, "zero_fraction") || !json_object_get(g->env, key)))
				continue;
			while (p < FB_ARRAY_SIZE(phrases) && strcmp(phrases[p].key, key))
				p++;
			if (p < FB_ARRAY_SIZE(phrases)) {
				phrases[p].say(json_object_get(cfg, key), slug, sizeof(slug), text, sizeof(text));
			} else {
				/* a setting with no phrase yet: its key and value */
				char *v = report_config_str(cfg, key);

				snprintf(slug, sizeof(slug), "%s-%s", key, v ? v : "");
				snprintf(text, sizeof(text), "%s=%s", key, v ? v : "");
				free(v);
			}
			if (in_slug)
				append(g->slug, sizeof(g->slug), &off, "-%s", slug);
			append(g->title, sizeof(g->title), &toff, ", %s", text);
		}
		sanitize(g->slug);
		/* two groups can differ only in keys we left out of the slug */
		for (size_t j = 0; j < i; j++) {
			if (strcmp(r->g[j].slug, g->slug))
				continue;
			char tail[24];
			size_t len = strlen(g->slug), tl;

			tl = (size_t)snprintf(tail, sizeof(tail), "-%zu", i + 1);
			if (len + tl >= sizeof(g->slug))
				len = sizeof(g->slug) - 1 - tl;
			memcpy(g->slug + len, tail, tl + 1);
			j = (size_t)-1;
		}
		free(backing);
		free(hp);
		free(size);
		free(wl);
		free(acc);
		free(pg);
	}
}
