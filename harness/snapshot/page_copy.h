/* Copying a guest page that vCPUs may be writing. The engines' reads race
 * with the vCPUs' writes by design: the kernel's write protection orders
 * them (uffd-wp), or a later scan finds the page again and the copy is
 * redone (precopy). ThreadSanitizer cannot see either, so under it the copy
 * is made of relaxed atomic loads, which say the race is meant; otherwise
 * it is memcpy. */
#ifndef FB_SNAP_PAGE_COPY_H
#define FB_SNAP_PAGE_COPY_H

#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_THREAD__)
#define FB_SNAP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FB_SNAP_TSAN 1
#endif
#endif

static inline void snap_copy_page(void *dst, const void *src, uint64_t bytes)
{
#ifdef FB_SNAP_TSAN
	for (uint64_t i = 0; i < bytes / 8; i++)
		((uint64_t *)dst)[i] = __atomic_load_n((const uint64_t *)src + i, __ATOMIC_RELAXED);
#else
	memcpy(dst, src, bytes);
#endif
}

#endif
