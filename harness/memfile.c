/* The image as a memory file (memfile.h). */
#include "memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "config.h"
#include "image.h"

char *volatile memfile_tmp_path;

/* The file is written in runs of non-zero pages, this many bytes at most
 * (at least one page) per pwrite. */
#define MEMFILE_CHUNK_BYTES (1024 * FB_KiB)

static int write_all(int fd, const char *buf, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (uint64_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int write_image(int fd, const struct image *img)
{
	uint64_t ps = img->page_size, per = (MEMFILE_CHUNK_BYTES / ps) ? (MEMFILE_CHUNK_BYTES / ps) : 1;
	uint64_t *buf = malloc(per * ps), first = 0, n = 0;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t p = 0; p <= img->npages && !rc; p++) {
		bool end = p == img->npages || image_is_zero(img, p) || n == per;

		/* a run ends at a zero page (a hole), the end, or a full buffer */
		if (end && n) {
			rc = write_all(fd, (const char *)buf, n * ps, first * ps);
			n = 0;
		}
		if (p == img->npages || image_is_zero(img, p))
			continue;
		if (!n)
			first = p;
		for (uint64_t w = 0; w < img->page_words; w++)
			buf[n * img->page_words + w] = image_word(img, p, w);
		n++;
	}
	free(buf);
	if (!rc && ftruncate(fd, (off_t)(img->npages * ps)))
		rc = -errno;
	return rc;
}

/* Where the file goes: next to PATH (renamed over it when complete), or
 * in $TMPDIR, else /var/tmp (disk, where /tmp may be memory). */
static int open_aside(struct memfile *mf, const char *path, struct fb_err *err)
{
	const char *dir = getenv("TMPDIR");
	int n;

	if (path)
		n = snprintf(mf->path, sizeof(mf->path), "%s.XXXXXX", path);
	else
		n = snprintf(mf->path, sizeof(mf->path), "%s/faultbench-image-XXXXXX",
			     dir && *dir ? dir : "/var/tmp");
	if (n < 0 || (size_t)n >= sizeof(mf->path)) {
		fb_errf(err, "--image-file: the path is too long");
		return -ENAMETOOLONG;
	}
	mf->fd = mkostemp(mf->path, O_CLOEXEC);
	if (mf->fd < 0) {
		int e = errno;

		fb_errf(err, "--image-file: cannot create %s: %s", mf->path, strerror(e));
		return -e;
	}
	memfile_tmp_path = mf->path;
	return 0;
}

static int check_space(const struct memfile *mf, uint64_t need, struct fb_err *err)
{
	struct statvfs sv;
	char a[32], b[32];

	if (fstatvfs(mf->fd, &sv) || (uint64_t)sv.f_bavail * sv.f_frsize >= need)
		return 0;
	fb_errf(err, "--image-file: the image needs %s, and %s has %s free",
		fb_fmt_size(need, a, sizeof(a)), mf->path,
		fb_fmt_size((uint64_t)sv.f_bavail * sv.f_frsize, b, sizeof(b)));
	return -ENOSPC;
}

int memfile_write(struct memfile *mf, const struct fb_config *cfg, const struct image *img,
		  struct fb_err *err)
{
	const char *path = cfg->image_file;
	int rc;

	memset(mf, 0, sizeof(*mf));
	mf->fd = -1;
	mf->bytes = img->npages * img->page_size;
	rc = open_aside(mf, path, err);
	if (rc)
		return rc;
	mf->temporary = true; /* until renamed into place */
	rc = check_space(mf, (img->npages - img->nzero) * img->page_size, err);
	if (rc)
		return rc;
	rc = write_image(mf->fd, img);
	/* cold: written back, or DONTNEED could not drop the dirty pages */
	if (!rc && cfg->page_cache == PAGE_CACHE_COLD && fdatasync(mf->fd))
		rc = -errno;
	if (rc) {
		fb_errf(err, "--image-file: writing %s failed: %s", mf->path, strerror(-rc));
		return rc;
	}
	if (path) {
		if (rename(mf->path, path)) {
			rc = -errno;
			fb_errf(err, "--image-file: cannot rename %s to %s: %s", mf->path, path,
				strerror(-rc));
			return rc;
		}
		memfile_tmp_path = NULL;
		snprintf(mf->path, sizeof(mf->path), "%s", path);
		mf->temporary = false;
	}
	return 0;
}

int memfile_drop_cache(struct memfile *mf, struct fb_err *err)
{
	int rc = posix_fadvise(mf->fd, 0, 0, POSIX_FADV_DONTNEED);

	if (rc)
		fb_errf(err, "--page-cache cold: POSIX_FADV_DONTNEED on %s failed: %s", mf->path,
			strerror(rc));
	return -rc;
}

void memfile_close(struct memfile *mf)
{
	if (mf->fd < 0)
		return;
	if (mf->temporary) {
		unlink(mf->path);
		memfile_tmp_path = NULL;
	}
	close(mf->fd);
	mf->fd = -1;
}
