/* Point-in-time verification by replay. A writer's sequence is a pure
 * function of the seed, so the content of every page at T0 is the image plus
 * writer i's writes 0..cut_i-1 to it: rebuilt here one page at a time (a
 * page of scratch, no copy of guest memory) after the run, and compared with
 * the sink's checksum of that page. A page that differs is named, with the
 * post-T0 write it holds when one of the next few explains it. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/pit.h"
#include "snapshot/snap_write.h"

/* FNV-1a over 64-bit words in four lanes: each lane is a bijection of its
 * state per word, so a change of one word always changes the sum. */
static uint64_t chunk_sum(const uint64_t *w, uint64_t bytes)
{
	uint64_t h[4] = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL, 0x9e3779b97f4a7c15ULL,
			  0xd6e8feb86659fd93ULL };

	for (uint64_t i = 0; i < bytes / 8; i += 4) {
		h[0] = (h[0] ^ w[i]) * 0x100000001b3ULL;
		h[1] = (h[1] ^ w[i + 1]) * 0x100000001b3ULL;
		h[2] = (h[2] ^ w[i + 2]) * 0x100000001b3ULL;
		h[3] = (h[3] ^ w[i + 3]) * 0x100000001b3ULL;
	}
	return fb_mix64(h[0] ^ fb_mix64(h[1] ^ fb_mix64(h[2] ^ fb_mix64(h[3]))));
}

uint64_t snap_sum_fold(uint64_t h, uint64_t chunk)
{
	return fb_mix64(h ^ chunk) * 0x100000001b3ULL + chunk;
}

/* A page larger than SNAP_SUM_CHUNK is the fold of its chunks' sums, so a
 * sink that saves a huge page in 4K parts can keep a sum per part. */
uint64_t snap_page_sum(const void *page, uint64_t page_size)
{
	const uint64_t *w = page;
	uint64_t h = SNAP_SUM_SEED;

	if (page_size <= SNAP_SUM_CHUNK)
		return chunk_sum(w, page_size);
	for (uint64_t off = 0; off < page_size; off += SNAP_SUM_CHUNK)
		h = snap_sum_fold(h, chunk_sum(w + off / 8, SNAP_SUM_CHUNK));
	return h;
}

/* Per slice page, where it appears in the sequence (CSR). */
struct where {
	uint64_t *start;   /* n + 1 */
	uint64_t *pos;     /* n */
};

static int where_build(struct where *wh, const uint32_t *seq, uint64_t n)
{
	wh->start = calloc(n + 1, sizeof(uint64_t));
	wh->pos = malloc(n * sizeof(uint64_t));
	if (!wh->start || !wh->pos)
		return -ENOMEM;
	for (uint64_t j = 0; j < n; j++)
		wh->start[(seq[j] & WL_PAGE_MASK) + 1]++;
	for (uint64_t q = 0; q < n; q++)
		wh->start[q + 1] += wh->start[q];
	{
		uint64_t *fill = calloc(n, sizeof(uint64_t));

		if (!fill)
			return -ENOMEM;
		for (uint64_t j = 0; j < n; j++) {
			uint64_t q = seq[j] & WL_PAGE_MASK;

			wh->pos[wh->start[q] + fill[q]++] = j;
		}
		free(fill);
	}
	return 0;
}

static void where_free(struct where *wh)
{
	free(wh->start);
	free(wh->pos);
}

__attribute__((format(printf, 2, 3))) static void note(struct pit_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->first[0])
		return;
	va_start(ap, fmt);
	vsnprintf(res->first, sizeof(res->first), fmt, ap);
	va_end(ap);
}

static int check_page(const struct pit_ref *ref, pit_get_fn get, void *ctx, struct pit_result *res,
		      uint64_t *scratch, struct image_pool *pl, uint64_t p, int wi,
		      const struct where *wh)
{
	const uint64_t ps = ref->page_size, pw = ps / 8;
	uint64_t saved, want, n = ref->slice_pages, q = 0, cut = 0, lo = 0, hi = 0;
	int e = get(ctx, p, &saved);

	res->checked++;
	if (e == -ENOENT) {
		res->missing++;
		note(res, "page %" PRIu64 " was never saved", p);
		return 0;
	}
	if (e)
		return e;
	memcpy(scratch, (const void *)image_pool_page(pl, ref->img, p), ps);
	if (wi >= 0) {
		q = p - (uint64_t)wi * n;
		cut = ref->cut[wi];
		lo = wh->start[q];
		hi = wh->start[q + 1];
		for (uint64_t c = 0; c * n < cut && lo < hi; c++)
			for (uint64_t x = lo; x < hi; x++) {
				uint64_t k = c * n + wh->pos[x];

				if (k >= cut)
					break;
				scratch[snap_write_word(n, pw, k)] = snap_write_value((unsigned)wi, k);
			}
	}
	want = snap_page_sum(scratch, ps);
	if (want == saved)
		return 0;
	res->mismatches++;
	if (res->first[0])
		return 0;
	/* which post-T0 write does the saved page hold? the next few to it */
	if (wi >= 0 && lo < hi) {
		unsigned tried = 0;

		for (uint64_t c = cut / n; tried < 64; c++)
			for (uint64_t x = lo; x < hi && tried < 64; x++) {
				uint64_t k = c * n + wh->pos[x];

				if (k < cut)
					continue;
				tried++;
				scratch[snap_write_word(n, pw, k)] = snap_write_value((unsigned)wi, k);
				if (snap_page_sum(scratch, ps) == saved) {
					note(res, "page %" PRIu64 " was saved after T0: it holds vCPU %" PRIu64
						  "'s write %" PRIu64 ", made after T0 (vCPU's writes before T0: %" PRIu64 ")",
					     p, (uint64_t)wi, k, cut);
					return 0;
				}
			}
	}
	if (wi >= 0)
		note(res, "page %" PRIu64 " differs from its content at T0 (vCPU %" PRIu64
			  "'s slice; its writes before T0: %" PRIu64 ")", p, (uint64_t)wi, cut);
	else
		note(res, "page %" PRIu64 " differs from the image (no vCPU writes it)", p);
	return 0;
}

int pit_verify(const struct pit_ref *ref, pit_get_fn get, void *ctx, struct pit_result *res)
{
	struct image_pool pl;
	uint64_t *scratch;
	int e = 0;

	memset(res, 0, sizeof(*res));
	scratch = aligned_alloc(64, ref->page_size);
	if (!scratch)
		return -ENOMEM;
	e = image_pool_init(&pl, ref->img);
	if (e) {
		free(scratch);
		return e;
	}
	for (unsigned i = 0; i < ref->nwriters && !e; i++) {
		struct where wh = { 0 };

		e = where_build(&wh, ref->seq[i], ref->slice_pages);
		for (uint64_t q = 0; q < ref->slice_pages && !e; q++)
			e = check_page(ref, get, ctx, res, scratch, &pl, i * ref->slice_pages + q, (int)i, &wh);
		where_free(&wh);
	}
	for (uint64_t p = (uint64_t)ref->nwriters * ref->slice_pages; p < ref->npages && !e; p++)
		e = check_page(ref, get, ctx, res, scratch, &pl, p, -1, NULL);
	image_pool_destroy(&pl);
	free(scratch);
	if (e)
		return e;
	return res->mismatches || res->missing ? -EIO : 0;
}
