/* Which words of a page one access reads and writes (--touch), and what it
 * writes there. The vCPU loop (run.c) and verification share these, so the
 * check is of exactly what was touched.
 *
 *   word  reads word 0, writes word 1 (as demand_paging_test: the fault path
 *         alone)
 *   line  reads word 0 and writes word 1 of every 64-byte line
 *   page  writes every word but word 0 (as dd does, the page's whole cost);
 *         with --access read it reads every word, with read-then-write it
 *         reads word 0 first
 *
 * Word 0 is the page's identity in the image (image_word(p, 0)): it is read,
 * never written, so a page installed in the wrong place or from the wrong
 * source fails even when every other word is overwritten. Reads and writes
 * never share a word, so what a vCPU reads does not depend on which of
 * several overlapping vCPUs wrote first (--overlap, zipf repeats).
 *
 * Word w of page p gets touch_marker(p, w): it depends on the page and the
 * word, so a write that lands at the wrong offset fails as surely as one in
 * the wrong page. Word 1 gets write_marker(p), which every touch writes, so
 * modes may check it (zero-unreg's ballooned pages). */
#ifndef FB_TOUCH_H
#define FB_TOUCH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "image.h"

#define TOUCH_LINE_WORDS (64 / 8)
/* Even, so markers keep write_marker()'s low bit (never zero); distinct
 * words below 2^63 get distinct multiples. */
#define TOUCH_MARKER_STEP 0x5851f42d4c957f2eULL

/* Reads take words 0, read_step, 2 read_step, ...; writes take words 1,
 * 1 + write_step, ... below the page's words. Steps are powers of two (page
 * sizes are), at most the page's words: one access. */
struct touch_words {
	uint64_t read_step;
	uint64_t write_step;
};

static inline struct touch_words touch_words(enum touch_kind t, enum access_kind a,
					     uint64_t page_words)
{
	switch (t) {
	case TOUCH_LINE:
		return (struct touch_words){ TOUCH_LINE_WORDS, TOUCH_LINE_WORDS };
	case TOUCH_PAGE:
		return (struct touch_words){ a == ACCESS_READ ? 1 : page_words, 1 };
	case TOUCH_WORD:
	default:
		return (struct touch_words){ page_words, page_words };
	}
}

static inline bool touch_writes(const struct touch_words *tw, uint64_t w)
{
	return w && !((w - 1) & (tw->write_step - 1));
}

static inline uint64_t touch_marker(uint64_t p, uint64_t w)
{
	return write_marker(p) ^ ((w - 1) * TOUCH_MARKER_STEP);
}

#endif
