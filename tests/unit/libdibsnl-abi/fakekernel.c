// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A stand-in for the kernel's "dibs" family, preloaded (LD_PRELOAD) into a
 * program that uses the shared libdibsnl: the ABI check runs binaries
 * against a library build without a dibs module. A generic netlink socket
 * becomes a placeholder fd; what is sent on it is answered here and queued
 * for recvmsg(). Every other fd goes to the C library.
 *
 * It answers: the family lookup; dev-get (do: device 1 "abi0"; dump:
 * "abi0" and "abi1"); dev-new (the device, named as asked); dmb-get (do:
 * the token asked for, on device 1; dump: token 0); client-get (dump: one client on
 * FAKE_CLIENT_DEVS devices); anything else with -EOPNOTSUPP.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/dibs.h>

#define FAKE_PORTID		4242
#define FAKE_FAMILY		0x20
#define FAKE_CLIENT_DEVS	70
#define FAKE_NETNS_ID		(-5)
#define QLEN			16
#define DGRAM_MAX		8192

static int fake_fd = -1;
static char queue[QLEN][DGRAM_MAX];
static size_t queue_len[QLEN];
static unsigned int q_head, q_tail;

/* The C library's functions this file stands in front of */
typedef int socket_fn(int domain, int type, int protocol);
typedef int close_fn(int fd);
typedef int bind_fn(int fd, const struct sockaddr *addr, socklen_t len);
typedef int getsockname_fn(int fd, struct sockaddr *addr, socklen_t *len);
typedef int setsockopt_fn(int fd, int level, int name, const void *val,
			  socklen_t len);
typedef int getsockopt_fn(int fd, int level, int name, void *val,
			  socklen_t *len);
typedef ssize_t sendto_fn(int fd, const void *buf, size_t len, int flags,
			  const struct sockaddr *addr, socklen_t alen);
typedef ssize_t sendmsg_fn(int fd, const struct msghdr *msg, int flags);
typedef ssize_t recvmsg_fn(int fd, struct msghdr *msg, int flags);

/* The C library's @name */
static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static struct nlmsghdr *reply_start(char *buf, const struct nlmsghdr *req,
				    uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = DIBS_FAMILY_VERSION;
	return nlh;
}

static void queue_msgs(const char *buf, size_t len)
{
	if (q_tail - q_head == QLEN || len > DGRAM_MAX)
		return;
	memcpy(queue[q_tail % QLEN], buf, len);
	queue_len[q_tail % QLEN] = len;
	q_tail++;
}

/* NLMSG_ERROR (an ack when @err is 0) or NLMSG_DONE */
static void queue_end(const struct nlmsghdr *req, uint16_t type, int err)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int *e;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = type == NLMSG_DONE ? NLM_F_MULTI : NLM_F_CAPPED;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	if (type == NLMSG_DONE) {
		e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
		*e = err;
	} else {
		struct nlmsgerr *me = mnl_nlmsg_put_extra_header(nlh,
								 sizeof(*me));
		me->error = err;
		me->msg = *req;
	}
	queue_msgs(buf, nlh->nlmsg_len);
}

static void put_dev(struct nlmsghdr *nlh, uint32_t index, const char *name)
{
	uint8_t gid[16];

	memset(gid, index, sizeof(gid));
	mnl_attr_put_u32(nlh, DIBS_A_DEV_INDEX, index);
	mnl_attr_put_strz(nlh, DIBS_A_DEV_NAME, name);
	mnl_attr_put_strz(nlh, DIBS_A_DEV_TYPE, "sim");
	mnl_attr_put(nlh, DIBS_A_DEV_GID, sizeof(gid), gid);
	mnl_attr_put_u16(nlh, DIBS_A_DEV_FABRIC_ID, 7);
	mnl_attr_put_u32(nlh, DIBS_A_DEV_STATE, DIBS_DEV_STATE_UP);
	mnl_attr_put_u32(nlh, DIBS_A_DEV_MAX_DMBS, 5000);
	mnl_attr_put_u32(nlh, DIBS_A_DEV_NETNS_ID, (uint32_t)FAKE_NETNS_ID);
}

static void answer(const struct nlmsghdr *req)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	bool dump = req->nlmsg_flags & NLM_F_DUMP;
	const struct nlattr *a;
	struct nlmsghdr *nlh;
	char buf[DGRAM_MAX];
	const char *name = "abi0";
	uint64_t token = 0;
	int i;

	if (req->nlmsg_type == GENL_ID_CTRL && g->cmd == CTRL_CMD_GETFAMILY) {
		nlh = reply_start(buf, req, GENL_ID_CTRL, 0,
				  CTRL_CMD_NEWFAMILY);
		mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAKE_FAMILY);
		mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME,
				  DIBS_FAMILY_NAME);
		mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, DIBS_FAMILY_VERSION);
		queue_msgs(buf, nlh->nlmsg_len);
		goto ack;
	}
	if (req->nlmsg_type != FAKE_FAMILY) {
		queue_end(req, NLMSG_ERROR, -ENOENT);
		return;
	}
	mnl_attr_for_each(a, req, GENL_HDRLEN) {
		if (g->cmd == DIBS_CMD_DEV_NEW &&
		    mnl_attr_get_type(a) == DIBS_A_DEV_NAME)
			name = mnl_attr_get_str(a);
		if (g->cmd == DIBS_CMD_DMB_GET &&
		    mnl_attr_get_type(a) == DIBS_A_DMB_TOKEN)
			token = mnl_attr_get_u64(a);
	}

	switch (g->cmd) {
	case DIBS_CMD_DEV_GET:
	case DIBS_CMD_DEV_NEW:
		nlh = reply_start(buf, req, FAKE_FAMILY,
				  dump ? NLM_F_MULTI : 0, g->cmd);
		put_dev(nlh, 1, name);
		queue_msgs(buf, nlh->nlmsg_len);
		if (!dump)
			break;
		nlh = reply_start(buf, req, FAKE_FAMILY, NLM_F_MULTI, g->cmd);
		put_dev(nlh, 2, "abi1");
		queue_msgs(buf, nlh->nlmsg_len);
		queue_end(req, NLMSG_DONE, 0);
		return;
	case DIBS_CMD_DMB_GET:
		nlh = reply_start(buf, req, FAKE_FAMILY,
				  dump ? NLM_F_MULTI : 0, g->cmd);
		mnl_attr_put_u64(nlh, DIBS_A_DMB_TOKEN, token);
		mnl_attr_put_u32(nlh, DIBS_A_DMB_DEV_INDEX, 1);
		mnl_attr_put_strz(nlh, DIBS_A_DMB_DEV_NAME, "abi0");
		mnl_attr_put_strz(nlh, DIBS_A_DMB_CLIENT_NAME, "userspace");
		mnl_attr_put_u32(nlh, DIBS_A_DMB_LEN, 65536);
		queue_msgs(buf, nlh->nlmsg_len);
		if (!dump)
			break;
		queue_end(req, NLMSG_DONE, 0);
		return;
	case DIBS_CMD_CLIENT_GET:
		nlh = reply_start(buf, req, FAKE_FAMILY, NLM_F_MULTI, g->cmd);
		mnl_attr_put_u32(nlh, DIBS_A_CLIENT_ID, 1);
		mnl_attr_put_strz(nlh, DIBS_A_CLIENT_NAME, "abi");
		mnl_attr_put_u32(nlh, DIBS_A_CLIENT_DMB_COUNT, 0);
		for (i = 1; i <= FAKE_CLIENT_DEVS; i++) {
			struct nlattr *n;

			n = mnl_attr_nest_start(nlh, DIBS_A_CLIENT_DEV);
			mnl_attr_put_u32(nlh, DIBS_A_CLIENT_DEV_INDEX, i);
			mnl_attr_put_u32(nlh, DIBS_A_CLIENT_DEV_DMB_COUNT, 0);
			mnl_attr_nest_end(nlh, n);
		}
		queue_msgs(buf, nlh->nlmsg_len);
		queue_end(req, NLMSG_DONE, 0);
		return;
	default:
		queue_end(req, NLMSG_ERROR, -EOPNOTSUPP);
		return;
	}
ack:
	if (req->nlmsg_flags & NLM_F_ACK)
		queue_end(req, NLMSG_ERROR, 0);
}

static void handle(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int n = len;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n))
		answer(nlh);
}

int socket(int domain, int type, int protocol)
{
	socket_fn *real_socket = next("socket");

	if (domain == AF_NETLINK && protocol == NETLINK_GENERIC) {
		fake_fd = real_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		return fake_fd;
	}
	return real_socket(domain, type, protocol);
}

int close(int fd)
{
	close_fn *real_close = next("close");

	if (fd == fake_fd)
		fake_fd = -1;
	return real_close(fd);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	bind_fn *real_bind;

	real_bind = next("bind");
	return fd == fake_fd ? 0 : real_bind(fd, addr, len);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	getsockname_fn *real_getsockname;
	struct sockaddr_nl nl = {
		.nl_family = AF_NETLINK,
		.nl_pid = FAKE_PORTID,
	};

	if (fd != fake_fd) {
		real_getsockname = next("getsockname");
		return real_getsockname(fd, addr, len);
	}
	memcpy(addr, &nl, *len < sizeof(nl) ? *len : sizeof(nl));
	*len = sizeof(nl);
	return 0;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	setsockopt_fn *real_setsockopt;

	real_setsockopt = next("setsockopt");
	return fd == fake_fd ? 0 : real_setsockopt(fd, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	getsockopt_fn *real_getsockopt;
	int sndbuf = 212992;

	if (fd != fake_fd) {
		real_getsockopt = next("getsockopt");
		return real_getsockopt(fd, level, name, val, len);
	}
	if (level != SOL_SOCKET || name != SO_SNDBUF || *len < sizeof(int)) {
		errno = ENOPROTOOPT;
		return -1;
	}
	memcpy(val, &sndbuf, sizeof(sndbuf));
	*len = sizeof(sndbuf);
	return 0;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *addr, socklen_t alen)
{
	sendto_fn *real_sendto;

	if (fd != fake_fd) {
		real_sendto = next("sendto");
		return real_sendto(fd, buf, len, flags, addr, alen);
	}
	handle(buf, len);
	return len;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	sendmsg_fn *real_sendmsg;
	static char buf[256 * 1024];
	size_t len = 0, i;

	if (fd != fake_fd) {
		real_sendmsg = next("sendmsg");
		return real_sendmsg(fd, msg, flags);
	}
	for (i = 0; i < msg->msg_iovlen; i++) {
		if (len + msg->msg_iov[i].iov_len > sizeof(buf)) {
			errno = EMSGSIZE;
			return -1;
		}
		memcpy(buf + len, msg->msg_iov[i].iov_base,
		       msg->msg_iov[i].iov_len);
		len += msg->msg_iov[i].iov_len;
	}
	handle(buf, len);
	return len;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	recvmsg_fn *real_recvmsg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t len;

	if (fd != fake_fd) {
		real_recvmsg = next("recvmsg");
		return real_recvmsg(fd, msg, flags);
	}
	if (q_head == q_tail) {
		/* nothing will come: the library must not wait for more */
		errno = EAGAIN;
		return -1;
	}
	len = queue_len[q_head % QLEN];
	if (msg->msg_iovlen < 1 || msg->msg_iov[0].iov_len < len) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(msg->msg_iov[0].iov_base, queue[q_head % QLEN], len);
	q_head++;
	if (msg->msg_name && msg->msg_namelen >= sizeof(kernel)) {
		memcpy(msg->msg_name, &kernel, sizeof(kernel));
		msg->msg_namelen = sizeof(kernel);
	}
	msg->msg_flags = 0;
	return len;
}
