#include "hugetlb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fb.h"
#include "probe.h"

#define MAX_POOLS 4

/* What we added to each pool. Restoring subtracts it from the pool's value
 * at that moment rather than writing back an old absolute value, so two
 * runs that raise the same pool at once each give back only their own
 * pages. Only touched from the main thread and, to read, from signal
 * handlers; `armed` is set last. */
static struct {
	char path[160];
	volatile uint64_t added;
	volatile sig_atomic_t armed;
} saved[MAX_POOLS];

/* The ledger: what this process has added, in a file named after it,
 * rewritten whenever that changes and removed when it is given back. A
 * process killed with SIGKILL cannot give its pages back; the next
 * faultbench that starts as root finds its ledger (the pid is gone, or is
 * someone else's now) and does it instead. The directory is on tmpfs, like
 * the pools, so neither outlives a reboot. A kill between raising the pool
 * and writing the ledger (a few syscalls) still leaks; the ledger is never
 * ahead of the pool, so recovery can never take pages it did not add. */
static char ledger[200];

static const char *ledger_dir(void)
{
	const char *d = getenv("FAULTBENCH_STATE_DIR");

	return d && *d ? d : "/run/faultbench";
}

/* Field 22 of /proc/PID/stat: when the process started, in ticks. With the
 * pid it names one process for good. 0 when there is no such process. */
static unsigned long long proc_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (fb_read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');  /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %llu", &start) != 1)
		return 0;
	return start;
}

static void ledger_write(void)
{
	char tmp[sizeof(ledger) + 8], text[MAX_POOLS * 200 + 64];
	int len, fd;

	len = snprintf(text, sizeof(text), "%ld %llu\n", (long)getpid(), proc_start(getpid()));
	for (int i = 0; i < MAX_POOLS; i++)
		if (saved[i].armed && len < (int)sizeof(text))
			len += snprintf(text + len, sizeof(text) - (size_t)len, "%s %" PRIu64 "\n",
					saved[i].path, (uint64_t)saved[i].added);
	if (!ledger[0]) {
		mkdir(ledger_dir(), 0700);
		snprintf(ledger, sizeof(ledger), "%s/hugetlb.%ld", ledger_dir(), (long)getpid());
	}
	snprintf(tmp, sizeof(tmp), "%s.new", ledger);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, (size_t)len) != len || fsync(fd) || rename(tmp, ledger)) {
		fprintf(stderr, "faultbench: warning: cannot keep the huge page ledger %s (%s); "
			"a SIGKILL now would leave pages reserved\n", ledger, strerror(errno));
		unlink(tmp);
	}
	if (fd >= 0)
		close(fd);
}

static void pool_path(char *buf, size_t n, uint64_t page_size, const char *file)
{
	snprintf(buf, n, "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/%s", page_size / 1024,
		 file);
}

static int read_u64_file(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	unsigned long long x;
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -EIO;
	*v = x;
	return 0;
}

/* The signal-safe readers and writers: open/read/write/close only. */
static int read_u64_raw(const char *path, uint64_t *v)
{
	char buf[32];
	ssize_t n = fb_read_small(path, buf, sizeof(buf));
	uint64_t x = 0;

	if (n <= 0)
		return -1;
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		x = x * 10 + (uint64_t)(buf[i] - '0');
	*v = x;
	return 0;
}

static int write_u64_raw(const char *path, uint64_t v)
{
	char buf[32], *p = buf + sizeof(buf);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len, w;

	if (fd < 0)
		return -errno;
	*--p = '\n';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	len = buf + sizeof(buf) - p;
	w = write(fd, p, (size_t)len);
	close(fd);
	return w == len ? 0 : -EIO;
}

void hugetlb_restore_all(void)
{
	for (int i = 0; i < MAX_POOLS; i++) {
		uint64_t now;

		if (!saved[i].armed)
			continue;
		saved[i].armed = 0;
		if (read_u64_raw(saved[i].path, &now))
			continue;
		write_u64_raw(saved[i].path, now > saved[i].added ? now - saved[i].added : 0);
	}
	if (ledger[0])
		unlink(ledger);
}

/* Give back what dead faultbench processes left in their ledgers. */
int hugetlb_recover(void)
{
	DIR *d = opendir(ledger_dir());
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[512], pool[160];
		unsigned long long start, added;
		long pid;
		FILE *f;

		if (sscanf(e->d_name, "hugetlb.%ld", &pid) != 1 || strchr(e->d_name + 8, '.') ||
		    pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "%s/%s", ledger_dir(), e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%ld %llu", &pid, &start) != 2 || (start && proc_start(pid) == start)) {
			fclose(f);  /* unreadable, or its process is alive */
			continue;
		}
		while (fscanf(f, "%159s %llu", pool, &added) == 2) {
			uint64_t now;

			if (strncmp(pool, "/sys/kernel/mm/hugepages/", 25) || strstr(pool, "..") ||
			    read_u64_raw(pool, &now))
				continue;
			write_u64_raw(pool, now > added ? now - added : 0);
			fprintf(stderr, "faultbench: gave back %llu huge pages (%s) that pid %ld left "
				"reserved when it was killed\n", added, pool, pid);
			found++;
		}
		fclose(f);
		unlink(path);
	}
	closedir(d);
	return found;
}

static void restore_at_exit(void)
{
	hugetlb_restore_all();
}

static int note_added(const char *path, uint64_t added)
{
	static int atexit_done;

	if (!atexit_done) {
		atexit(restore_at_exit);
		atexit_done = 1;
	}
	for (int i = 0; i < MAX_POOLS; i++) {
		if (saved[i].armed && !strcmp(saved[i].path, path)) {
			saved[i].added += added;
			ledger_write();
			return 0;
		}
	}
	for (int i = 0; i < MAX_POOLS; i++) {
		if (saved[i].armed)
			continue;
		snprintf(saved[i].path, sizeof(saved[i].path), "%s", path);
		saved[i].added = added;
		saved[i].armed = 1;
		ledger_write();
		return 0;
	}
	return -ENOSPC;
}

int hugetlb_reserve(struct hugetlb_reservation *r, const struct host_caps *h, uint64_t page_size,
		    uint64_t needed, bool allowed, char *why, size_t n)
{
	char nr_path[160], free_path[160], resv_path[160];
	uint64_t nr = 0, free_pages = 0, resv = 0, avail, deficit, target, cap;
	const char *env;
	int rc;

	memset(r, 0, sizeof(*r));
	r->page_size = page_size;
	r->needed = needed;
	pool_path(nr_path, sizeof(nr_path), page_size, "nr_hugepages");
	pool_path(free_path, sizeof(free_path), page_size, "free_hugepages");
	pool_path(resv_path, sizeof(resv_path), page_size, "resv_hugepages");
	if (read_u64_file(nr_path, &nr) || read_u64_file(free_path, &free_pages)) {
		snprintf(why, n, "no hugetlb pool of %" PRIu64 " kB pages on this kernel",
			 page_size / 1024);
		return 1;
	}
	read_u64_file(resv_path, &resv);
	avail = free_pages > resv ? free_pages - resv : 0;
	r->nr_before = nr;
	r->free_before = avail;
	if (avail >= needed)
		return 0;

	deficit = needed - avail;
	if (!allowed) {
		snprintf(why, n,
			 "needs %" PRIu64 " free %" PRIu64 " kB huge pages, the pool has %" PRIu64
			 " (raise vm.nr_hugepages, or drop --no-reserve-hugepages)",
			 needed, page_size / 1024, avail);
		return 1;
	}
	if (!h->root) {
		snprintf(why, n,
			 "needs %" PRIu64 " free %" PRIu64 " kB huge pages, the pool has %" PRIu64
			 "; only root can raise vm.nr_hugepages",
			 needed, page_size / 1024, avail);
		return 1;
	}
	if (h->mem_available && deficit * page_size > h->mem_available) {
		snprintf(why, n,
			 "needs %" PRIu64 " more %" PRIu64 " kB huge pages (%" PRIu64
			 " MiB) but only %" PRIu64 " MiB of memory is available",
			 deficit, page_size / 1024, deficit * page_size >> 20, h->mem_available >> 20);
		return 1;
	}

	target = nr + deficit;
	/* Test-only: pretend the kernel grants at most this many pages in all,
	 * to exercise the short-grant path for real. */
	env = getenv("FAULTBENCH_TEST_HUGETLB_CAP");
	if (env && *env) {
		cap = strtoull(env, NULL, 10);
		if (target > cap)
			target = cap > nr ? cap : nr;
	}
	rc = write_u64_raw(nr_path, target);
	if (read_u64_file(nr_path, &target) == 0 && target > nr) {
		r->raised_by = target - nr;
		note_added(nr_path, r->raised_by);
	}
	read_u64_file(free_path, &free_pages);
	read_u64_file(resv_path, &resv);
	avail = free_pages > resv ? free_pages - resv : 0;
	if (rc || avail < needed) {
		hugetlb_restore_all();
		r->raised_by = 0;
		snprintf(why, n,
			 "could reserve only %" PRIu64 " of %" PRIu64 " free %" PRIu64
			 " kB huge pages (memory too fragmented or too small); the pages added were given back",
			 avail, needed, page_size / 1024);
		return 1;
	}
	return 0;
}
