/* The handshake's wire format (handoff.h): JSON regions and SCM_RIGHTS. */
#include "handoff.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <jansson.h>

char *handoff_json(const struct handoff_region *regions, size_t n)
{
	json_t *a = json_array();
	char *s;

	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct handoff_region *r = &regions[i];

		if (json_array_append_new(a, json_pack("{s:I, s:I, s:I, s:I, s:I}",
				"base_host_virt_addr", (json_int_t)r->base,
				"size", (json_int_t)r->size,
				"offset", (json_int_t)r->offset,
				"page_size", (json_int_t)r->page_size,
				"page_size_kib", (json_int_t)r->page_size))) {
			json_decref(a);
			return NULL;
		}
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static int get_u64(json_t *o, size_t i, const char *name, uint64_t *out, struct fb_err *err)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		fb_errf(err, "handshake: region %zu: '%s' %s", i, name,
			v ? "is not a non-negative integer" : "is missing");
		return -EINVAL;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int handoff_parse(const char *buf, size_t len, struct handoff_region *regions, size_t max,
		  size_t *n, struct fb_err *err)
{
	json_error_t je;
	json_t *a = json_loadb(buf, len, 0, &je), *o;
	size_t i;
	int rc = 0;

	if (!json_is_array(a) || !json_array_size(a) || json_array_size(a) > max) {
		fb_errf(err, "handshake: the payload is not a JSON array of 1 to %zu regions%s%s", max,
			a ? "" : ": ", a ? "" : je.text);
		json_decref(a);
		return -EINVAL;
	}
	json_array_foreach(a, i, o) {
		struct handoff_region *r = &regions[i];

		rc = get_u64(o, i, "base_host_virt_addr", &r->base, err);
		rc = rc ? rc : get_u64(o, i, "size", &r->size, err);
		rc = rc ? rc : get_u64(o, i, "offset", &r->offset, err);
		/* page_size_kib: the deprecated name, in bytes all the same */
		if (!rc && json_object_get(o, "page_size"))
			rc = get_u64(o, i, "page_size", &r->page_size, err);
		else if (!rc)
			rc = get_u64(o, i, "page_size_kib", &r->page_size, err);
		if (!rc && (!r->page_size || (r->page_size & (r->page_size - 1)) ||
			    r->base % r->page_size || r->size % r->page_size || !r->size)) {
			fb_errf(err, "handshake: region %zu: page_size %llu must be a power of two "
				"dividing base_host_virt_addr and size (above 0)", i,
				(unsigned long long)r->page_size);
			rc = -EINVAL;
		}
		if (rc)
			break;
	}
	*n = rc ? 0 : json_array_size(a);
	json_decref(a);
	return rc;
}

int handoff_send(int sock, const char *payload, int uffd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)payload, .iov_len = strlen(payload) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &uffd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* a stream socket may take less; the handler reads one message */
	return (size_t)n == iov.iov_len ? 0 : -EMSGSIZE;
}

int handoff_recv(int sock, char *buf, size_t cap, size_t *len, int *uffd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	ssize_t n;

	*uffd = -1;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC); /* EINTR returned: a stop signal */
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(uffd, CMSG_DATA(c), sizeof(int));
	buf[n] = 0;
	*len = (size_t)n;
	return 0;
}
