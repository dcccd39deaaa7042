// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signals read from /dev/dibs (DIBS_IOC_DMB_WATCH, read(), poll()): the
 * handle's open file, the one its writes and mappings use, gets the
 * signals of the DMBs it watches. The file is non-blocking (cdev.c), so
 * a read that finds nothing returns at once and the wait is poll()'s,
 * with the caller's timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/dibs_ioctl.h>

#include "internal.h"

/* The library's event is the kernel's record: read() fills it directly. */
_Static_assert(sizeof(struct dibsnl_watch_event) ==
	       sizeof(struct dibs_dmb_event), "watch event size");
_Static_assert(offsetof(struct dibsnl_watch_event, token) ==
	       offsetof(struct dibs_dmb_event, token), "token");
_Static_assert(offsetof(struct dibsnl_watch_event, dev_index) ==
	       offsetof(struct dibs_dmb_event, dev_index), "dev_index");
_Static_assert(offsetof(struct dibsnl_watch_event, mask) ==
	       offsetof(struct dibs_dmb_event, mask), "mask");
_Static_assert(offsetof(struct dibsnl_watch_event, flags) ==
	       offsetof(struct dibs_dmb_event, flags), "flags");
_Static_assert(DIBSNL_WATCH_ENDED == DIBS_DMB_EVENT_ENDED, "ended flag");

static void watch_err(struct dibsnl *h, int err, bool add)
{
	switch (err) {
	case -ENOENT:
		dibsnl_set_err(h, add ?
			       "no DMB granted from userspace with this token on the device" :
			       "this handle does not watch that DMB (or its watch ended)");
		break;
	case -EBUSY:
		dibsnl_set_err(h, "the DMB is watched already, by this or another handle");
		break;
	case -ENOSPC:
		dibsnl_set_err(h, "this handle watches %d DMBs already",
			       DIBS_DMB_WATCH_MAX);
		break;
	case -ENOTTY:
		dibsnl_set_err(h, "the dibs module cannot watch signals (older than the library)");
		break;
	case -EPERM:
		dibsnl_set_err(h, "watching a DMB needs CAP_NET_ADMIN");
		break;
	default:
		dibsnl_cdev_err(h, err);
	}
}

static int watch_ioctl(struct dibsnl *h, struct dibsnl_dev_ref dev,
		       uint64_t token, bool add)
{
	struct dibs_dmb_watch req = { .dev_index = dev.index, .token = token };
	int fd, err;

	if (!h)
		return -EINVAL;
	dibsnl_clear_err(h);
	if (!dibsnl_cdev_dev_name(h, dev, req.dev_name))
		return -EINVAL;
	fd = dibsnl_cdev_fd_for(h, "watching a DMB");
	if (fd < 0)
		return fd;
	err = ioctl(fd, add ? DIBS_IOC_DMB_WATCH : DIBS_IOC_DMB_UNWATCH,
		    &req) ? -errno : 0;
	if (err)
		watch_err(h, err, add);
	return err == -ENOTTY ? -EOPNOTSUPP : err;
}

DIBSNL_EXPORT int dibsnl_dmb_watch(struct dibsnl *h, struct dibsnl_dev_ref dev,
				   uint64_t token)
{
	return watch_ioctl(h, dev, token, true);
}

DIBSNL_EXPORT int dibsnl_dmb_unwatch(struct dibsnl *h,
				     struct dibsnl_dev_ref dev, uint64_t token)
{
	return watch_ioctl(h, dev, token, false);
}

DIBSNL_EXPORT int dibsnl_watch_fd(struct dibsnl *h)
{
	if (!h)
		return -EINVAL;
	dibsnl_clear_err(h);
	return dibsnl_cdev_fd_for(h, "watching a DMB");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

DIBSNL_EXPORT int dibsnl_watch_read(struct dibsnl *h,
				    struct dibsnl_watch_event *ev,
				    unsigned int n, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	struct pollfd p = { .events = POLLIN };
	ssize_t got;
	int wait;

	if (!h || !ev || !n)
		return -EINVAL;
	dibsnl_clear_err(h);
	p.fd = dibsnl_cdev_fd_for(h, "watching a DMB");
	if (p.fd < 0)
		return p.fd;
	if (n > DIBS_DMB_WATCH_MAX)
		n = DIBS_DMB_WATCH_MAX;
	for (;;) {
		got = read(p.fd, ev, n * sizeof(*ev));
		if (got > 0)
			return got / sizeof(*ev);
		if (got == 0 || errno != EAGAIN)
			return got ? -errno : -EIO;
		/* Nothing waits: poll, for what is left of the time. */
		wait = timeout_ms;
		if (timeout_ms > 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return 0;
			wait = left;
		}
		if (!timeout_ms)
			return 0;
		if (poll(&p, 1, wait) < 0)
			return -errno;
	}
}
