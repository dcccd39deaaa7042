// SPDX-License-Identifier: GPL-2.0
/*
 * dibs-blk client: the kernel's NBD driver, set up through its generic
 * netlink family "nbd" (linux/nbd-netlink.h) instead of the NBD_SET_SOCK
 * and NBD_DO_IT ioctls. NBD_DO_IT keeps a thread of the caller inside the
 * kernel for the life of the device, in an interruptible wait, and the
 * driver tears the device down when that wait is interrupted: a SIGSTOP,
 * a ptrace attach (strace -p) or the freezer was enough. Over netlink the
 * kernel holds the socket by itself and nothing of ours waits in it.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/nbd-netlink.h>
#include <stdlib.h>
#include <string.h>

#include "dibsblk.h"

static struct nlmsghdr *put_hdr(char *buf, uint16_t type, uint8_t cmd,
				uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* Sends @nlh and reads until its ack: 0 or a negative errno */
static int talk(struct nbdnl *n, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t len;
	int ret;

	nlh->nlmsg_seq = ++n->seq;
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(buf, len, n->seq, n->portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static int family_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_reply(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr,
			      data);
}

int nbdnl_open(struct nbdnl *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	memset(n, 0, sizeof(*n));
	n->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!n->nl)
		return -errno;
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	nlh = put_hdr(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NBD_GENL_FAMILY_NAME);
	err = talk(n, nlh, family_reply, &n->family);
	if (!err && !n->family)
		err = -ENOENT;
	if (!err)
		return 0;
fail:
	mnl_socket_close(n->nl);
	n->nl = NULL;
	return err;
}

void nbdnl_close(struct nbdnl *n)
{
	if (n->nl)
		mnl_socket_close(n->nl);
	n->nl = NULL;
}

int nbdnl_connect(struct nbdnl *n, unsigned int index,
		  const struct nbdnl_cfg *cfg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *socks, *item;
	struct nlmsghdr *nlh;

	nlh = put_hdr(buf, n->family, NBD_CMD_CONNECT, NBD_GENL_VERSION);
	mnl_attr_put_u32(nlh, NBD_ATTR_INDEX, index);
	mnl_attr_put_u64(nlh, NBD_ATTR_SIZE_BYTES, cfg->size);
	mnl_attr_put_u64(nlh, NBD_ATTR_BLOCK_SIZE_BYTES, cfg->blksize);
	mnl_attr_put_u64(nlh, NBD_ATTR_TIMEOUT, cfg->timeout);
	mnl_attr_put_u64(nlh, NBD_ATTR_SERVER_FLAGS, cfg->flags);
	/* not destroyed on disconnect: /dev/nbdN stays for the next one */
	mnl_attr_put_u64(nlh, NBD_ATTR_CLIENT_FLAGS, 0);
	mnl_attr_put_strz(nlh, NBD_ATTR_BACKEND_IDENTIFIER, cfg->backend);
	socks = mnl_attr_nest_start(nlh, NBD_ATTR_SOCKETS);
	item = mnl_attr_nest_start(nlh, NBD_SOCK_ITEM);
	mnl_attr_put_u32(nlh, NBD_SOCK_FD, cfg->sock);
	mnl_attr_nest_end(nlh, item);
	mnl_attr_nest_end(nlh, socks);
	return talk(n, nlh, NULL, NULL);
}

int nbdnl_disconnect(struct nbdnl *n, unsigned int index)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = put_hdr(buf, n->family, NBD_CMD_DISCONNECT, NBD_GENL_VERSION);
	mnl_attr_put_u32(nlh, NBD_ATTR_INDEX, index);
	return talk(n, nlh, NULL, NULL);
}
