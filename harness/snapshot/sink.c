/* The sink: where saved pages go. --sink null keeps one checksum per page
 * (in MAP_SHARED memory, so a forked child's saves are seen by the parent);
 * --sink file:PATH writes each page at its offset with pwrite(2) (O_DIRECT
 * with --sink-direct: guest pages are page-aligned buffers already) into a
 * temporary file beside PATH, renamed to PATH only after the repetition
 * verified. The temp name is published for the signal handler, which
 * removes it. snap_save_page() allocates nothing and takes no lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "snapshot/pit.h"
#include "snapshot/snap.h"
#include "timing.h"

char *volatile snap_sink_tmp_path;

static int shared_map(struct snap_run *r, struct fb_err *err)
{
	uint64_t sums = r->nunits * sizeof(uint64_t);
	uint64_t bytes = 4096 + sums + ((r->nunits + 4095) & ~4095ULL);
	char *m;

	if (r->ss) {
		memset(r->ss, 0, r->shared_bytes);
		return 0;
	}
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return fb_errf(err, "mmap of the sink's page table: %s", strerror(errno)), -errno;
	r->shared_bytes = bytes;
	r->ss = (struct snap_sink_state *)m;
	r->page_sum = (uint64_t *)(m + 4096);
	r->page_saves = (_Atomic uint8_t *)(m + 4096 + sums);
	return 0;
}

int sink_open(struct snap_run *r, struct fb_err *err)
{
	const struct snap_config *c = r->cfg;
	int e = shared_map(r, err), fd;

	r->sink_fd = -1;
	if (e || c->sink != SINK_FILE)
		return e;
	snprintf(r->sink_tmp, sizeof(r->sink_tmp), "%s.tmp.XXXXXX", c->sink_path);
	fd = mkstemp(r->sink_tmp);
	if (fd < 0)
		return fb_errf(err, "--sink file:%s: cannot create %s (%s)", c->sink_path, r->sink_tmp,
			       strerror(errno)), -errno;
	snap_sink_tmp_path = r->sink_tmp;
	r->sink_fd = fd;
	if (c->sink_direct && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_DIRECT)) {
		e = -errno;
		fb_errf(err, "--sink-direct: the file system of %s does not take O_DIRECT (%s)",
			c->sink_path, strerror(errno));
		sink_close(r);
		return e == -EINVAL ? -EOPNOTSUPP : e;
	}
	return 0;
}

void sink_close(struct snap_run *r)
{
	if (r->sink_fd >= 0)
		close(r->sink_fd);
	r->sink_fd = -1;
	if (snap_sink_tmp_path) {
		snap_sink_tmp_path = NULL;
		unlink(r->sink_tmp);
	}
}

int sink_commit(struct snap_run *r, struct fb_err *err)
{
	if (r->cfg->sink != SINK_FILE)
		return 0;
	if (fsync(r->sink_fd) || rename(r->sink_tmp, r->cfg->sink_path)) {
		int e = -errno;

		fb_errf(err, "--sink file:%s: cannot keep the snapshot (%s)", r->cfg->sink_path,
			strerror(errno));
		sink_close(r);
		return e;
	}
	snap_sink_tmp_path = NULL;
	close(r->sink_fd);
	r->sink_fd = -1;
	return 0;
}

void sink_unmap(struct snap_run *r)
{
	if (r->ss)
		munmap(r->ss, r->shared_bytes);
	r->ss = NULL;
}

int snap_save_page(struct snap_run *r, uint64_t page, const void *src)
{
	const uint64_t ps = r->unit_bytes;
	uint8_t saves;

	if (page >= r->nunits)
		return -EINVAL;
	if (r->sink_fd >= 0) {
		uint64_t done = 0;

		while (done < ps) {
			ssize_t n = pwrite(r->sink_fd, (const char *)src + done, ps - done,
					   (off_t)(page * ps + done));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				int e = n < 0 ? -errno : -EIO, zero = 0;

				atomic_compare_exchange_strong(&r->ss->error, &zero, e);
				return e;
			}
			done += (uint64_t)n;
		}
	} else {
		r->page_sum[page] = snap_page_sum(src, ps);
	}
	saves = atomic_load_explicit(&r->page_saves[page], memory_order_relaxed);
	if (saves < 255)
		atomic_store_explicit(&r->page_saves[page], saves + 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->ss->sink_bytes, ps, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->ss->pages_saved, 1, memory_order_relaxed);
	atomic_store_explicit(&r->ss->last_save_ns, fb_mono_ns(), memory_order_relaxed);
	return 0;
}

/* pit_get_fn over the sink: the kept checksum, or the file read back */
struct sink_reader {
	struct snap_run *r;
	int fd;
	void *buf;
};

static int sink_get(void *ctx, uint64_t page, uint64_t *sum)
{
	struct sink_reader *sr = ctx;
	struct snap_run *r = sr->r;
	const uint64_t ps = r->gm.page_size, k = ps / r->unit_bytes;
	uint64_t done = 0;

	/* a page saved in parts: every part must be there */
	for (uint64_t j = 0; j < k; j++)
		if (!atomic_load(&r->page_saves[page * k + j]))
			return -ENOENT;
	if (sr->fd < 0 && k == 1) {
		*sum = r->page_sum[page];
		return 0;
	}
	if (sr->fd < 0) {
		*sum = SNAP_SUM_SEED;
		for (uint64_t j = 0; j < k; j++)
			*sum = snap_sum_fold(*sum, r->page_sum[page * k + j]);
		return 0;
	}
	while (done < ps) {
		ssize_t n = pread(sr->fd, (char *)sr->buf + done, ps - done, (off_t)(page * ps + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (uint64_t)n;
	}
	*sum = snap_page_sum(sr->buf, ps);
	return 0;
}

int sink_verify(struct snap_run *r, const struct pit_ref *ref, struct pit_result *res)
{
	struct sink_reader sr = { .r = r, .fd = -1, .buf = NULL };
	int e;

	if (r->cfg->sink == SINK_FILE) {
		/* read back through the page cache; the temp file is ours */
		sr.fd = open(r->sink_tmp, O_RDONLY | O_CLOEXEC);
		if (sr.fd < 0)
			return -errno;
		sr.buf = aligned_alloc(4096, r->gm.page_size);
		if (!sr.buf) {
			close(sr.fd);
			return -ENOMEM;
		}
	}
	e = pit_verify(ref, sink_get, &sr, res);
	if (sr.fd >= 0)
		close(sr.fd);
	free(sr.buf);
	return e;
}
