/* JSON that anyone may have written (result sets, suite indexes), read
 * within fixed limits: a regular file of at most JSONLOAD_MAX_BYTES, at
 * most JSONLOAD_MAX_VALUES values, nested at most JSONLOAD_MAX_DEPTH deep.
 * The limits are checked on the bytes before jansson builds anything, so a
 * hostile file costs a bounded amount of memory and time, and a FIFO or a
 * device never blocks the reader.
 *
 * Errors name the file and, where there is one, the line and column:
 *   results/x.json: empty file
 *   results/x.json:3:17: truncated JSON: '}' expected near end of file
 *   results/x.json:1:90: /runs/0/vcpus/4194300: more than 4194304 values
 * (a JSON-pointer path to the value that crossed a limit). */
#ifndef FB_JSONLOAD_H
#define FB_JSONLOAD_H

#include <stddef.h>

#include <jansson.h>

#include "fb.h"

/* A result with FB_MAX_VCPUS vCPUs and a few repetitions is a few MiB and
 * well under a million values; these leave room for far larger ones. */
#define JSONLOAD_MAX_BYTES (64u << 20)
#define JSONLOAD_MAX_VALUES (4u << 20)
#define JSONLOAD_MAX_DEPTH 2048 /* jansson's own parser limit */

/* Parse len bytes of buf (no NUL needed); name is for messages. flags are
 * jansson's decode flags (JSON_REJECT_DUPLICATES, JSON_DECODE_ANY).
 * 0 with *out set, -EINVAL with err, or -ENOMEM. */
int jsonload_buf(const char *name, const char *buf, size_t len, size_t flags, json_t **out,
		 struct fb_err *err);

/* Read path (never blocking: a FIFO or device is refused, not read) and
 * parse it. -errno when it cannot be opened (-ENOENT when missing),
 * -EINVAL when it is not a regular file, too large or not valid JSON. */
int jsonload_file(const char *path, size_t flags, json_t **out, struct fb_err *err);

#endif
