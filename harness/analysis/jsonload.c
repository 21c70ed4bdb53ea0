/* Reading JSON nobody vouches for; see jsonload.h for the limits. */
#include "jsonload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_SHOW 160           /* longest JSON pointer put in a message */
#define KEY_SHOW 40             /* longest key in it */

/* One open array or object during the pre-scan. */
struct level {
	bool array;
	bool want_key;          /* objects: the next string is a member name */
	size_t index;           /* arrays: the element being read */
	const char *key;        /* objects: the member being read (raw JSON text) */
	size_t key_len;
};

static void where(const char *buf, size_t at, int *line, int *col)
{
	const char *nl = NULL;

	*line = 1;
	for (size_t i = 0; i < at; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			nl = buf + i;
		}
	}
	*col = (int)(buf + at - (nl ? nl + 1 : buf)) + 1;
}

static void append(char *out, size_t n, size_t *off, char c)
{
	if (*off + 1 < n) {
		out[(*off)++] = c;
		out[*off] = '\0';
	}
}

/* A JSON pointer to the value being read, keys as written (escapes and all,
 * anything unprintable as '?'), cut short with "..." when long. */
static void pointer(const struct level *lv, size_t depth, char *out, size_t n)
{
	size_t off = 0;
	char num[24];

	out[0] = '\0';
	for (size_t i = 0; i < depth; i++) {
		if (off + 24 >= n) {
			snprintf(out + off, n - off, "/...");
			return;
		}
		append(out, n, &off, '/');
		if (lv[i].array) {
			snprintf(num, sizeof(num), "%zu", lv[i].index);
			for (const char *p = num; *p; p++)
				append(out, n, &off, *p);
			continue;
		}
		for (size_t k = 0; lv[i].key && k < lv[i].key_len && k < KEY_SHOW; k++) {
			unsigned char c = (unsigned char)lv[i].key[k];

			append(out, n, &off, c >= 0x20 && c < 0x7f ? (char)c : '?');
		}
		for (int k = 0; lv[i].key_len > KEY_SHOW && k < 3; k++)
			append(out, n, &off, '.');
	}
	if (!depth)
		snprintf(out, n, "/");
}

static bool ends_scalar(char c)
{
	return strchr(" \t\r\n,:[]{}\"", c) != NULL;
}

/* The limits, checked on the bytes: strings skipped, values counted,
 * nesting followed. Anything malformed is left for jansson to describe. */
static int prescan(const char *name, const char *buf, size_t len, struct fb_err *err)
{
	struct level *lv = malloc(sizeof(*lv) * JSONLOAD_MAX_DEPTH);
	size_t depth = 0, values = 0, i = 0, at;
	char path[PATH_SHOW];
	int line, col, rc = 0;

	if (!lv)
		return -ENOMEM;
	while (i < len) {
		struct level *top = depth ? &lv[depth - 1] : NULL;
		char c = buf[i];

		at = i;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':') {
			i++;
			continue;
		}
		if (c == ']' || c == '}') {
			if (depth)
				depth--;
			i++;
			continue;
		}
		if (c == ',') {
			if (top && top->array)
				top->index++;
			else if (top)
				top->want_key = true;
			i++;
			continue;
		}
		if (c == '"') {
			size_t start = ++i;

			while (i < len && buf[i] != '"')
				i += buf[i] == '\\' ? 2 : 1;
			if (i > len)
				i = len;
			if (top && !top->array && top->want_key) {
				top->key = buf + start;
				top->key_len = i - start;
				top->want_key = false;
				i++;
				continue;       /* a member name is not a value */
			}
			i++;
		} else if (c == '[' || c == '{') {
			i++;
		} else {
			while (i < len && !ends_scalar(buf[i]))
				i++;
			if (i == at)
				i++;
		}
		if (++values > JSONLOAD_MAX_VALUES) {
			pointer(lv, depth, path, sizeof(path));
			where(buf, at, &line, &col);
			fb_errf(err, "%s:%d:%d: %s: more than %u values in one file; not loaded",
				name, line, col, path, JSONLOAD_MAX_VALUES);
			rc = -EINVAL;
			break;
		}
		if (c != '[' && c != '{')
			continue;
		if (depth == JSONLOAD_MAX_DEPTH) {
			where(buf, at, &line, &col);
			fb_errf(err, "%s:%d:%d: nested deeper than %d levels; not loaded", name, line, col,
				JSONLOAD_MAX_DEPTH);
			rc = -EINVAL;
			break;
		}
		lv[depth++] = (struct level){ .array = c == '[', .want_key = c == '{' };
	}
	free(lv);
	return rc;
}

int jsonload_buf(const char *name, const char *buf, size_t len, size_t flags, json_t **out,
		 struct fb_err *err)
{
	const char *what = "", *nul;
	json_error_t je;
	size_t blank;
	int rc;

	*out = NULL;
	blank = 0;
	while (blank < len && buf[blank] && strchr(" \t\r\n", buf[blank]))
		blank++;
	if (blank == len) {
		fb_errf(err, "%s: empty file%s, not JSON", name, len ? " (only white space)" : "");
		return -EINVAL;
	}
	/* jansson stops at a NUL and blames what follows; no JSON text has one */
	nul = memchr(buf, 0, len);
	if (nul) {
		int line, col;

		where(buf, (size_t)(nul - buf), &line, &col);
		fb_errf(err, "%s:%d:%d: a NUL byte; JSON is text", name, line, col);
		return -EINVAL;
	}
	rc = prescan(name, buf, len, err);
	if (rc)
		return rc;
	*out = json_loadb(buf, len, flags, &je);
	if (*out)
		return 0;
	switch (json_error_code(&je)) {
	case json_error_out_of_memory:
		fb_errf(err, "%s: out of memory", name);
		return -ENOMEM;
	case json_error_premature_end_of_input:
		what = "truncated JSON: ";
		break;
	case json_error_invalid_utf8:
		what = "not UTF-8: ";
		break;
	case json_error_null_character:
	case json_error_null_byte_in_key:
		what = "a NUL byte: ";
		break;
	default:
		break;
	}
	fb_errf(err, "%s:%d:%d: %s%s", name, je.line, je.column, what, je.text);
	return -EINVAL;
}

static int not_regular(const char *path, mode_t mode, struct fb_err *err)
{
	fb_errf(err, "%s: %s, not a JSON file; not read", path,
		S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO" :
		S_ISSOCK(mode) ? "a socket" : "a device");
	return -EINVAL;
}

static int too_large(const char *path, struct fb_err *err)
{
	fb_errf(err, "%s: larger than %u MiB; not loaded", path, JSONLOAD_MAX_BYTES >> 20);
	return -EINVAL;
}

int jsonload_file(const char *path, size_t flags, json_t **out, struct fb_err *err)
{
	size_t len = 0, cap;
	struct stat st;
	char *buf;
	ssize_t k;
	int fd, rc, failed = 0;

	*out = NULL;
	/* look before opening: opening a device or FIFO can block or act */
	if (stat(path, &st)) {
		rc = errno;
		fb_errf(err, "%s: cannot open: %s", path, strerror(rc));
		return -rc;
	}
	if (!S_ISREG(st.st_mode))
		return not_regular(path, st.st_mode, err);
	if (st.st_size > (off_t)JSONLOAD_MAX_BYTES)
		return too_large(path, err);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		fb_errf(err, "%s: cannot open: %s", path, strerror(rc));
		return -rc;
	}
	/* it may have been swapped since the stat */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return not_regular(path, st.st_mode, err);
	}
	/* st_size is a hint (0 for /proc files): read up to one byte past the limit */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	while (buf && !failed) {
		if (len == cap) {
			char *grown;

			if (cap > JSONLOAD_MAX_BYTES)
				break;
			cap = cap > JSONLOAD_MAX_BYTES / 2 ? (size_t)JSONLOAD_MAX_BYTES + 1 : cap * 2;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
		}
		/* buf is not NULL here: the loop tests it, a failed realloc breaks out */
		/* cppcheck-suppress nullPointerArithmeticRedundantCheck */
		k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			failed = errno;
		else if (!k)
			break;
		else
			len += (size_t)k;
	}
	close(fd);
	if (!buf) {
		fb_errf(err, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (failed || len > JSONLOAD_MAX_BYTES) {
		free(buf);
		if (!failed)
			return too_large(path, err);
		fb_errf(err, "%s: cannot read: %s", path, strerror(failed));
		return -EINVAL;
	}
	rc = jsonload_buf(path, buf, len, flags, out, err);
	free(buf);
	return rc;
}
