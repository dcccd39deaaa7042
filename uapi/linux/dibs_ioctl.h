/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * The data path of dibs: the character device /dev/dibs.
 *
 * The "dibs" generic netlink family (linux/dibs.h) is the control plane
 * and can also write into DMBs (dmb-write). A netlink request carries its
 * data in a message the kernel allocates and copies for every write; a
 * writer that moves much data per second uses this device instead: one
 * ioctl moves the caller's bytes with one copy into a buffer the open file
 * keeps, and the device's move_data() from there.
 *
 * Opening needs CAP_NET_ADMIN (the netlink op's permission); the open file
 * acts in the network namespace it was opened in, as a netlink socket does.
 */
#ifndef _UAPI_LINUX_DIBS_IOCTL_H
#define _UAPI_LINUX_DIBS_IOCTL_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#include "dibs.h"

#define DIBS_CDEV_NAME		"dibs"		/* /dev/dibs */

/*
 * DIBS_IOC_DMB_WRITE: the same write as the netlink op dmb-write.
 * @len bytes at user address @data go from the writing device (by @dev_index,
 * or when that is 0 by @dev_name) into DMB @token at @offset. With
 * DIBS_DMB_WRITE_SIGNAL in @flags the last byte written raises signal
 * @signal_idx; @len 0 then raises the signal alone. The range is checked
 * as a whole first; a refusal by the device part way leaves the bytes
 * before it written and no signal raised.
 *
 * Errors: EINVAL (unknown flags, non-zero pad, bad signal index, a range
 * past DIBS_DMB_LEN_MAX or past the DMB's end), EFAULT (@data), ENODEV (no
 * such device in the namespace), ENOENT (no such token on the writer's
 * fabric), EACCES (the DMB is not granted to the writer), ENETDOWN (the
 * writer is down), EINTR (a signal arrived between two pieces: the bytes
 * before were written).
 */
#define DIBS_DMB_WRITE_SIGNAL	_BITUL(0)

struct dibs_dmb_write {
	__u32 dev_index;
	char dev_name[DIBS_DEV_NAME_MAX];
	__u32 flags;
	__u64 token;
	__u64 data;		/* user address */
	__u32 len;
	__u32 offset;
	__u32 signal_idx;
	__u32 pad;		/* must be 0 */
};

#define DIBS_IOC_MAGIC		0xDC
#define DIBS_IOC_DMB_WRITE	_IOW(DIBS_IOC_MAGIC, 1, struct dibs_dmb_write)

#endif /* _UAPI_LINUX_DIBS_IOCTL_H */
