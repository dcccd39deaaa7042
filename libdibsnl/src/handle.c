// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The handle: its socket, its buffers, the family it talks to and the
 * error text of its last call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "internal.h"
#include "layout.h"

const struct dibsnl_layout dibsnl_layout_1 = {
	.dev		= sizeof(struct dibsnl_dev_v1),
	.dmb		= sizeof(struct dibsnl_dmb_v1),
	.dev_new	= sizeof(struct dibsnl_dev_new_v1),
	.dmb_filter	= sizeof(struct dibsnl_dmb_filter_v1),
};

void dibsnl_copy_out(void *dst, size_t dst_size, const void *src,
		     size_t src_size)
{
	memcpy(dst, src, dst_size < src_size ? dst_size : src_size);
	if (dst_size > src_size)
		memset((char *)dst + src_size, 0, dst_size - src_size);
}

static ssize_t socket_send(struct dibsnl *h, const void *buf, size_t len)
{
	ssize_t n;

	n = mnl_socket_sendto(h->nl, buf, len);
	if (n < 0)
		return -errno;
	return n;
}

/* One message from several pieces, without copying them together. */
static ssize_t socket_sendv(struct dibsnl *h, const struct iovec *iov,
			    int iovcnt)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr msg = {
		.msg_name = &kernel,
		.msg_namelen = sizeof(kernel),
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = iovcnt,
	};
	ssize_t n;

	n = sendmsg(mnl_socket_get_fd(h->nl), &msg, 0);
	if (n < 0)
		return -errno;
	return n;
}

/* Only datagrams from the kernel (port 0) are returned. */
static ssize_t socket_recv(struct dibsnl *h, void *buf, size_t len,
			   bool dontwait)
{
	int fd = mnl_socket_get_fd(h->nl);
	struct sockaddr_nl addr;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;

	for (;;) {
		iov.iov_base = buf;
		iov.iov_len = len;
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &addr;
		msg.msg_namelen = sizeof(addr);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;

		n = recvmsg(fd, &msg, dontwait ? MSG_DONTWAIT : 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EWOULDBLOCK)
				return -EAGAIN;
			return -errno;
		}
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0)
			continue;
		return n;
	}
}

static int socket_join(struct dibsnl *h, uint32_t group)
{
	if (mnl_socket_setsockopt(h->nl, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

const struct dibsnl_io dibsnl_socket_io = {
	.send = socket_send,
	.sendv = socket_sendv,
	.recv = socket_recv,
	.join = socket_join,
	.dmb_write = dibsnl_cdev_dmb_write,
};

struct dibsnl *dibsnl_alloc(void)
{
	struct dibsnl *h;

	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->tx = malloc(DIBSNL_TX_SIZE);
	h->rx = malloc(DIBSNL_RX_SIZE);
	if (!h->tx || !h->rx) {
		dibsnl_free(h);
		return NULL;
	}
	h->io = &dibsnl_socket_io;
	h->layout = &dibsnl_layout_1;
	h->write_max = DIBSNL_WRITE_MAX;
	h->cdev_fd = DIBSNL_CDEV_UNOPENED;
	return h;
}

void dibsnl_free(struct dibsnl *h)
{
	if (!h)
		return;
	if (h->nl)
		mnl_socket_close(h->nl);
	if (h->cdev_fd >= 0)
		close(h->cdev_fd);
	free(h->tx);
	free(h->rx);
	free(h);
}

void dibsnl_clear_err(struct dibsnl *h)
{
	h->errmsg[0] = '\0';
}

void dibsnl_set_err(struct dibsnl *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
}

/*
 * The kernel refuses a netlink message longer than the socket's send
 * buffer less 32 bytes: fit the data of a dmb-write request, with room for
 * its other attributes, into the buffer the socket has (whole chunks).
 */
static void fit_write_max(struct dibsnl *h)
{
	socklen_t len = sizeof(int);
	size_t room;
	int sndbuf;

	if (getsockopt(mnl_socket_get_fd(h->nl), SOL_SOCKET, SO_SNDBUF,
		       &sndbuf, &len) < 0 || sndbuf <= 0)
		return;
	room = (size_t)sndbuf > 32 + 1024 ? (size_t)sndbuf - 32 - 1024 : 0;
	room -= room % DIBS_DATA_CHUNK_MAX;
	if (room < DIBS_DATA_CHUNK_MAX)
		room = DIBS_DATA_CHUNK_MAX;	/* the most that ever worked */
	if (room < h->write_max)
		h->write_max = room;
}

int dibsnl_open_socket(struct dibsnl *h)
{
	int one = 1;

	h->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!h->nl)
		return -errno;
	if (mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	h->portid = mnl_socket_get_portid(h->nl);
	fit_write_max(h);

	/*
	 * Best effort: without them (old kernels) errors still arrive, only
	 * without text, and each NLMSG_ERROR echoes the whole request.
	 */
	mnl_socket_setsockopt(h->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(h->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

static int open_layout(struct dibsnl **hp, const struct dibsnl_layout *l)
{
	struct dibsnl_family_info fi;
	struct dibsnl *h;
	int err;

	if (!hp)
		return -EINVAL;
	*hp = NULL;

	h = dibsnl_alloc();
	if (!h)
		return -ENOMEM;
	h->layout = l;
	err = dibsnl_open_socket(h);
	if (err)
		goto fail;
	err = dibsnl_resolve_family(h, DIBS_FAMILY_NAME, &fi);
	if (err)
		goto fail;

	h->family = fi.id;
	h->mcgrp_mgmt = fi.mcgrp_mgmt;
	h->mcgrp_signal = fi.mcgrp_signal;
	dibsnl_clear_err(h);
	*hp = h;
	return 0;

fail:
	dibsnl_free(h);
	return err;
}

/*
 * dibsnl_open has one version per generation of the public structs: the
 * one a binary was linked against tells the library that binary's layouts
 * (layout.h). @DIBSNL_1: binaries built before 1.4. @@DIBSNL_1.4: the
 * default, which binaries built since need (so they do not start with an
 * older library, whose structs lack what they read). In a static link,
 * dibsnl_open is the default.
 */
__asm__(".symver dibsnl_open_1, dibsnl_open@DIBSNL_1");
__asm__(".symver dibsnl_open_1_4, dibsnl_open@@DIBSNL_1.4");

DIBSNL_EXPORT int dibsnl_open_1(struct dibsnl **hp)
{
	return open_layout(hp, &dibsnl_layout_1);
}

/* Since 1.4 struct dibsnl_client has n_devs_all: callers allocate none. */
DIBSNL_EXPORT int dibsnl_open_1_4(struct dibsnl **hp)
{
	return open_layout(hp, &dibsnl_layout_1);
}

DIBSNL_EXPORT void dibsnl_close(struct dibsnl *h)
{
	dibsnl_free(h);
}

DIBSNL_EXPORT const char *dibsnl_errmsg(const struct dibsnl *h)
{
	return h ? h->errmsg : "";
}

DIBSNL_EXPORT int dibsnl_fd(const struct dibsnl *h)
{
	if (!h || !h->nl)
		return -EBADF;
	return mnl_socket_get_fd(h->nl);
}
