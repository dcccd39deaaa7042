// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmb-write through /dev/dibs (linux/dibs_ioctl.h) when the kernel has it:
 * one ioctl per write, no netlink message to build, copy and answer. The
 * device acts in the namespace it was opened in, so it is used only when
 * that is the namespace of the handle's socket; otherwise, or when it
 * cannot be opened, or with DIBSNL_DATA_PATH=netlink in the environment,
 * writes go over netlink as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/sockios.h>
#include <libmnl/libmnl.h>
#include <linux/dibs_ioctl.h>

#include "internal.h"

#define CDEV_PATH	"/dev/" DIBS_CDEV_NAME

/* The socket's namespace is the calling thread's (SIOCGSKNS: 4.9). */
static bool socket_in_my_netns(struct dibsnl *h)
{
	struct stat sock_ns, my_ns;
	bool same;
	int nsfd;

	nsfd = ioctl(mnl_socket_get_fd(h->nl), SIOCGSKNS);
	if (nsfd < 0)
		return false;
	same = !fstat(nsfd, &sock_ns) &&
	       !stat("/proc/thread-self/ns/net", &my_ns) &&
	       sock_ns.st_dev == my_ns.st_dev && sock_ns.st_ino == my_ns.st_ino;
	close(nsfd);
	return same;
}

static int cdev_open(struct dibsnl *h)
{
	const char *path = secure_getenv("DIBSNL_DATA_PATH");
	int fd;

	if (path && !strcmp(path, "netlink"))
		return DIBSNL_CDEV_UNUSABLE;
	fd = open(CDEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return DIBSNL_CDEV_UNUSABLE;
	if (!socket_in_my_netns(h)) {
		close(fd);
		return DIBSNL_CDEV_UNUSABLE;
	}
	return fd;
}

/* The netlink op's messages for the errors both paths share. */
static void cdev_err(struct dibsnl *h, int err)
{
	switch (err) {
	case -ENODEV:
		dibsnl_set_err(h, "no such dibs device");
		break;
	case -ENOENT:
		dibsnl_set_err(h, "no DMB with this token on the writer's fabric");
		break;
	case -EACCES:
		dibsnl_set_err(h, "the DMB is not granted to the writing device");
		break;
	case -EINVAL:
		dibsnl_set_err(h, "offset and length do not fit in the DMB");
		break;
	case -ENETDOWN:
		dibsnl_set_err(h, "the writing device is down");
		break;
	}
}

int dibsnl_cdev_dmb_write(struct dibsnl *h, struct dibsnl_dev_ref dev,
			  uint64_t token, uint32_t offset, const void *data,
			  size_t len, int signal_idx)
{
	struct dibs_dmb_write req = {
		.dev_index = dev.index,
		.token = token,
		.data = (uintptr_t)data,
		.len = len,
		.offset = offset,
	};
	int err;

	/*
	 * What netlink's policy or the library would refuse goes there, for
	 * the same messages: a bad device reference, signal index or range.
	 */
	if ((!dev.index && (!dev.name || !dev.name[0] ||
			    strlen(dev.name) >= sizeof(req.dev_name))) ||
	    signal_idx > DIBS_SIGNAL_IDX_MAX ||
	    len > DIBS_DMB_LEN_MAX || offset > DIBS_DMB_LEN_MAX - len)
		return -EOPNOTSUPP;
	if (h->cdev_fd == DIBSNL_CDEV_UNOPENED)
		h->cdev_fd = cdev_open(h);
	if (h->cdev_fd < 0)
		return -EOPNOTSUPP;

	if (!dev.index)		/* its length was checked above */
		memcpy(req.dev_name, dev.name, strlen(dev.name) + 1);
	if (signal_idx >= 0) {
		req.flags = DIBS_DMB_WRITE_SIGNAL;
		req.signal_idx = signal_idx;
	}
	/* EINTR: nothing or a prefix landed and no signal; again is the same */
	do
		err = ioctl(h->cdev_fd, DIBS_IOC_DMB_WRITE, &req) ? -errno : 0;
	while (err == -EINTR);
	cdev_err(h, err);
	return err;
}
