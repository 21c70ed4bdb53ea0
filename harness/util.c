
#include "fb.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

int fb_errf(struct fb_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return 0;
}

int fb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull would skip blanks and accept a sign: refuse both */
	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int fb_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE || *end || !isfinite(v))
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int fb_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mult = FB_KiB; break;
		case 'm': case 'M': mult = FB_MiB; break;
		case 'g': case 'G': mult = FB_GiB; break;
		case 't': case 'T': mult = FB_GiB * 1024; break;
		default: return -EINVAL;
		}
		end++;
		/* accept "2MiB" / "2MB" spellings too */
		if ((end[0] == 'i' || end[0] == 'I') && (end[1] == 'B' || end[1] == 'b'))
			end += 2;
		else if (end[0] == 'B' || end[0] == 'b')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

const char *fb_fmt_size(uint64_t b, char *buf, size_t n)
{
	static const char *units[] = { "", "K", "M", "G", "T" };
	unsigned u = 0;

	while (u + 1 < FB_ARRAY_SIZE(units) && b && b % 1024 == 0) {
		b /= 1024;
		u++;
	}
	snprintf(buf, n, "%llu%s", (unsigned long long)b, units[u]);
	return buf;
}

/* splitmix64 finalizer: a cheap, well-mixed 64-bit hash. */
uint64_t fb_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void fb_err_append(struct fb_err *e, const char *what)
{
	size_t len = strlen(e->msg), n;

	if (len && len + 2 < sizeof(e->msg)) {
		memcpy(e->msg + len, "; ", 2);
		len += 2;
	}
	n = strnlen(what, sizeof(e->msg) - 1 - len);  /* cut to fit, as snprintf would */
	memcpy(e->msg + len, what, n);
	e->msg[len + n] = 0;
}

ssize_t fb_read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0 || n < 2) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	len = read(fd, buf, n - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = 0;
	return len;
}

void fb_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}
