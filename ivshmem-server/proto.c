// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QEMU's ivshmem client-server protocol, the server's half: every message
 * is one 8-byte little-endian signed number, with at most one file
 * descriptor beside it (SCM_RIGHTS). Nothing ever travels the other way.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "server.h"

/*
 * Returns 0, or -1 when the message did not go out whole: the socket's send
 * timeout (set at accept) expired, or the client is gone. The caller drops
 * the client either way, since a half-sent message cannot be taken back.
 */
int proto_send(int conn, int64_t value, int fd)
{
	uint64_t le = htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(conn, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(le) ? 0 : -1;
}
