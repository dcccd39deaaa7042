// SPDX-License-Identifier: GPL-2.0
/*
 * dibs-blk's signal filter (dblk_filter_signals() in dibsblk/common.c) on
 * a datagram socketpair, which runs a receiver's socket filter as a
 * netlink socket does: messages laid out as the kernel's notifications
 * are sent, and the program prints which ones arrived, one a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dibs.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dibsblk.h"

/* nlmsghdr, genlmsghdr, then a u32 attribute of type @type and a u64 */
static void send_ntf(int fd, const char *name, uint8_t cmd, uint16_t type,
		     uint32_t val)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr gh;
		struct nlattr a1;
		uint32_t v1;
		struct nlattr a2;
		uint32_t pad;
		uint64_t v2;
	} m;
	char buf[sizeof(m) + 32];

	memset(&m, 0, sizeof(m));
	m.nh.nlmsg_len = sizeof(m);
	m.nh.nlmsg_type = 0x20;
	m.gh.cmd = cmd;
	m.gh.version = 1;
	m.a1.nla_len = 8;
	m.a1.nla_type = type;
	m.v1 = val;
	m.a2.nla_len = 12;
	m.a2.nla_type = DIBS_A_SIGNAL_TOKEN;
	m.v2 = 0x1234;
	/* the name after the message, to tell the arrivals apart */
	memcpy(buf, &m, sizeof(m));
	snprintf(buf + sizeof(m), 32, "%s", name);
	if (send(fd, buf, sizeof(buf), 0) < 0)
		perror("send");
}

int main(void)
{
	char buf[256];
	ssize_t n;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		perror("socketpair");
		return 1;
	}
	verbose = 1;
	dblk_filter_signals(sv[1], 7);
	send_ntf(sv[0], "own-signal", DIBS_CMD_SIGNAL_NTF,
		 DIBS_A_SIGNAL_DEV_INDEX, 7);
	send_ntf(sv[0], "other-signal", DIBS_CMD_SIGNAL_NTF,
		 DIBS_A_SIGNAL_DEV_INDEX, 8);
	send_ntf(sv[0], "other-index-256", DIBS_CMD_SIGNAL_NTF,
		 DIBS_A_SIGNAL_DEV_INDEX, 7 + 256);
	send_ntf(sv[0], "other-event", DIBS_CMD_SIGNAL_NTF + 1,
		 DIBS_A_SIGNAL_DEV_INDEX, 8);
	send_ntf(sv[0], "other-layout", DIBS_CMD_SIGNAL_NTF,
		 DIBS_A_SIGNAL_TOKEN, 8);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	while ((n = recv(sv[1], buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = 0;
		printf("%s\n", buf + n - 32);
	}
	return errno == EAGAIN ? 0 : 1;
}
