/* Small shared helpers: error text, exit codes, units. */
#ifndef FB_H
#define FB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

/* Exit codes of every faultbench command. */
enum {
	FB_EXIT_OK = 0,
	FB_EXIT_FAIL = 1,    /* the run ran and failed (verification, watchdog, kernel error) */
	FB_EXIT_USAGE = 2,   /* bad input: flag, field, file */
	FB_EXIT_SKIP = 77,   /* this host cannot run the configuration; reason recorded */
	FB_EXIT_INTR = 130,  /* interrupted by SIGINT/SIGTERM */
};

/* Functions return 0 or a negative errno. Those that can say more put a
 * sentence in the caller's buffer; one place (main) prints it. */
#define FB_ERRLEN 512
struct fb_err {
	char msg[FB_ERRLEN];
};

__attribute__((format(printf, 2, 3))) int fb_errf(struct fb_err *e, const char *fmt, ...);
/* Append "; what" to e (or what, when e is empty), cut to fit: a failure
 * found later (a child's end) tells the first one's message why. */
void fb_err_append(struct fb_err *e, const char *what);

#define FB_KiB (1024ULL)
#define FB_MiB (1024ULL * 1024)
#define FB_GiB (1024ULL * 1024 * 1024)

#define FB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FB_CACHELINE 64

/* "4K", "2M", "1G", "10G", "4096"; binary multiples. Returns 0 or -EINVAL/-ERANGE. */
int fb_parse_size(const char *s, uint64_t *out);
/* Non-negative integer in [min, max]. */
int fb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int fb_parse_double(const char *s, double min, double max, double *out);
/* "2M", "1G", "4K", "1.5G" for messages and file names. */
const char *fb_fmt_size(uint64_t bytes, char *buf, size_t n);

/* const: a pure function of x, so loops may hoist it */
__attribute__((const)) uint64_t fb_mix64(uint64_t x);
/* A small file (/proc, /sys) read with one read(2) into buf, NUL-ended:
 * its length, or -1. open/read/close only, so a signal handler or a child
 * of a multi-threaded fork() may call it. */
ssize_t fb_read_small(const char *path, char *buf, size_t n);
/* The stop signals (SIGINT, SIGTERM, SIGHUP) as a set: the main thread
 * takes them, the threads it starts block them. */
void fb_stop_signals(sigset_t *set);

#endif
