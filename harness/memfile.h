/* The source image as a memory file, as a snapshot's memory file is: what a
 * handler process serves pages from (--handler process).
 *
 * Page p of the region is at offset p × page size and holds image_word()
 * of every word, so verification checks the guest against the same image
 * as ever. Zero pages are holes (never written): a sparse file, as a
 * snapshot's often is, and a handler can find them with SEEK_HOLE. */
#ifndef FB_MEMFILE_H
#define FB_MEMFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "fb.h"

struct fb_config;
struct image;

struct memfile {
	int fd;                  /* -1: none */
	bool temporary;          /* ours: removed by memfile_close() */
	uint64_t bytes;
	char path[PATH_MAX];
};

/* The temporary file being written or in use, for main.c's signal
 * handlers to unlink (async-signal-safe); NULL when there is none. */
extern char *volatile memfile_tmp_path;

/* Write img to cfg->image_file (replaced whole: written aside, then
 * renamed), or to a temporary file in $TMPDIR (else /var/tmp). With
 * --page-cache cold the pages are also written back, so that
 * memfile_drop_cache() can drop them. 0 or -errno with err set. */
int memfile_write(struct memfile *mf, const struct fb_config *cfg, const struct image *img,
		  struct fb_err *err);
/* --page-cache cold: drop the file's pages from the page cache
 * (POSIX_FADV_DONTNEED), so a handler's first read of each comes from the
 * disk. 0 or -errno. */
int memfile_drop_cache(struct memfile *mf, struct fb_err *err);
/* Close it; a temporary file is removed. */
void memfile_close(struct memfile *mf);

#endif
