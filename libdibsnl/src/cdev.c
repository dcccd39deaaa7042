// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmb-write through /dev/dibs (linux/dibs_ioctl.h) when the kernel has it:
 * one ioctl per write, no netlink message to build, copy and answer. The
 * device acts in the namespace it was opened in, so it is used only when
 * that is the namespace of the handle's socket; otherwise, or when it
 * cannot be opened, or with DIBSNL_DATA_PATH=netlink in the environment,
 * writes go over netlink as before.
 *
 * Mapped DMBs and signals without data (dibsnl_dmb_map(),
 * dibsnl_dmb_signal()) use the same open file; a mapping outlives the
 * handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

	h->cdev_errno = 0;
	if (path && !strcmp(path, "netlink"))
		return DIBSNL_CDEV_UNUSABLE;
	/* Non-blocking: only read() minds it (dibsnl_watch_read() polls). */
	fd = open(CDEV_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		h->cdev_errno = errno;
		return DIBSNL_CDEV_UNUSABLE;
	}
	if (!socket_in_my_netns(h)) {
		close(fd);
		return DIBSNL_CDEV_UNUSABLE;
	}
	return fd;
}

/* The netlink op's messages for the errors both paths share. */
void dibsnl_cdev_err(struct dibsnl *h, int err)
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
	dibsnl_cdev_err(h, err);
	return err;
}

/* /dev/dibs for a map or a signal: opened once per handle, as for writes. */
int dibsnl_cdev_fd(struct dibsnl *h)
{
	if (h->io != &dibsnl_socket_io)
		return -EOPNOTSUPP;
	if (h->cdev_fd == DIBSNL_CDEV_UNOPENED)
		h->cdev_fd = cdev_open(h);
	return h->cdev_fd < 0 ? -EOPNOTSUPP : h->cdev_fd;
}

int dibsnl_cdev_fd_for(struct dibsnl *h, const char *doing)
{
	int fd = dibsnl_cdev_fd(h);

	if (fd >= 0)
		return fd;
	if (h->cdev_errno == EPERM || h->cdev_errno == EACCES) {
		dibsnl_set_err(h, "%s needs CAP_NET_ADMIN (and access to " CDEV_PATH ")",
			       doing);
		return -EPERM;
	}
	if (h->cdev_errno)
		dibsnl_set_err(h, CDEV_PATH " cannot be opened: %s",
			       strerror(h->cdev_errno));
	else
		dibsnl_set_err(h, CDEV_PATH " is not used (DIBSNL_DATA_PATH=netlink, or another network namespace than the handle's)");
	return -EOPNOTSUPP;
}

bool dibsnl_cdev_dev_name(struct dibsnl *h, struct dibsnl_dev_ref dev,
			  char name[DIBS_DEV_NAME_MAX])
{
	if (dev.index)
		return true;
	if (!dev.name || !dev.name[0] || strlen(dev.name) >= DIBS_DEV_NAME_MAX) {
		dibsnl_set_err(h, "a device index or a name of 1 to %d characters is required",
			       DIBS_DEV_NAME_MAX - 1);
		return false;
	}
	memcpy(name, dev.name, strlen(dev.name) + 1);
	return true;
}

static void map_err(struct dibsnl *h, int err, bool remote)
{
	switch (err) {
	case -ENOENT:
		dibsnl_set_err(h, remote ?
			       "no DMB with this token on the writer's fabric" :
			       "no DMB granted from userspace with this token on the device");
		break;
	case -EOPNOTSUPP:
		dibsnl_set_err(h, remote ?
			       "the writing device cannot map this remote DMB (not a soft or ivshmem device with mapped-dmb, or not in whole pages)" :
			       "this device's DMBs cannot be mapped (not a soft or ivshmem device, or not in whole pages)");
		break;
	case -ENOTTY:
		dibsnl_set_err(h, "the dibs module cannot map DMBs (older than the library)");
		break;
	case -ENOSPC:
		dibsnl_set_err(h, "too many mappings prepared and not yet made on this handle");
		break;
	case -EPERM:
		dibsnl_set_err(h, "mapping a DMB needs CAP_NET_ADMIN");
		break;
	default:
		dibsnl_cdev_err(h, err);
	}
}

DIBSNL_EXPORT int dibsnl_dmb_map(struct dibsnl *h, struct dibsnl_dev_ref dev,
				 uint64_t token, unsigned int flags,
				 struct dibsnl_dmb_map *out)
{
	bool remote = flags & DIBSNL_MAP_REMOTE;
	struct dibs_dmb_map req = {
		.dev_index = dev.index,
		.flags = remote ? DIBS_DMB_MAP_REMOTE : 0,
		.token = token,
	};
	long page = sysconf(_SC_PAGESIZE);
	int prot = PROT_READ, fd, err;
	void *addr;

	if (!h || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	dibsnl_clear_err(h);
	if (flags & ~(DIBSNL_MAP_REMOTE | DIBSNL_MAP_WRITE |
		      DIBSNL_MAP_FALLBACK)) {
		dibsnl_set_err(h, "unknown map flags 0x%x", flags);
		return -EINVAL;
	}
	if (!dibsnl_cdev_dev_name(h, dev, req.dev_name))
		return -EINVAL;
	fd = dibsnl_cdev_fd_for(h, "mapping a DMB");
	if (fd == -EPERM)
		return fd;
	if (fd < 0) {
		err = fd;
		goto fallback;
	}
	if (ioctl(fd, DIBS_IOC_DMB_MAP, &req)) {
		err = -errno;
		map_err(h, err, remote);
		if (err == -ENOTTY)
			err = -EOPNOTSUPP;
		goto fallback;
	}
	if (remote || flags & DIBSNL_MAP_WRITE)
		prot |= PROT_WRITE;
	out->map_len = ((size_t)req.len + page - 1) & ~(size_t)(page - 1);
	addr = mmap(NULL, out->map_len, prot, MAP_SHARED, fd, req.offset);
	if (addr == MAP_FAILED) {
		err = -errno;
		out->map_len = 0;
		dibsnl_set_err(h, "mmap of /dev/dibs failed: %s", strerror(-err));
		return err;
	}
	out->addr = addr;
	out->len = req.len;
	return 0;

fallback:
	/* Only the device's inability to map falls back to writes. */
	if (err == -EOPNOTSUPP && remote && flags & DIBSNL_MAP_FALLBACK) {
		out->fallback = true;
		return 0;
	}
	return err;
}

DIBSNL_EXPORT int dibsnl_dmb_unmap(struct dibsnl_dmb_map *map)
{
	int err = 0;

	if (!map)
		return -EINVAL;
	if (map->addr && munmap(map->addr, map->map_len))
		err = -errno;
	memset(map, 0, sizeof(*map));
	return err;
}

DIBSNL_EXPORT int dibsnl_dmb_signal(struct dibsnl *h, struct dibsnl_dev_ref dev,
				    uint64_t token, uint16_t mask)
{
	struct dibs_dmb_signal req = {
		.dev_index = dev.index,
		.mask = mask,
		.token = token,
	};
	unsigned int bit;
	int fd, err;

	if (!h)
		return -EINVAL;
	dibsnl_clear_err(h);
	if (!mask) {
		dibsnl_set_err(h, "no signal bit in the mask");
		return -EINVAL;
	}
	if (!dibsnl_cdev_dev_name(h, dev, req.dev_name))
		return -EINVAL;
	fd = dibsnl_cdev_fd(h);
	if (fd >= 0) {
		do
			err = ioctl(fd, DIBS_IOC_DMB_SIGNAL, &req) ? -errno : 0;
		while (err == -EINTR);
		if (err != -ENOTTY) {
			dibsnl_cdev_err(h, err);
			return err;
		}
	}
	/* Without the ioctl: one empty write per bit, as the kernel does. */
	for (bit = 0; bit <= DIBS_SIGNAL_IDX_MAX; bit++) {
		if (!(mask & (1u << bit)))
			continue;
		err = dibsnl_dmb_write(h, dev, token, 0, NULL, 0, bit);
		if (err)
			return err;
	}
	return 0;
}
