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
 *
 * A DMB can also be mapped (DIBS_IOC_DMB_MAP, then mmap()): its owner reads
 * and writes it in place, and a writer whose device supports mapped remote
 * DMBs writes into it without a system call per write, then raises a
 * signal with DIBS_IOC_DMB_SIGNAL. The owner of a DMB can have its signals
 * read from the file (DIBS_IOC_DMB_WATCH).
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

/*
 * DIBS_IOC_DMB_MAP: prepare a mapping of a DMB; mmap() makes it.
 *
 * Without flags, DMB @token on device @dev_index (or @dev_name) is mapped
 * as its owner sees it: it must be a DMB granted from userspace
 * (dmb-grant). With DIBS_DMB_MAP_REMOTE, the device is the writer and
 * @token a DMB on its fabric granted to it: the device attaches it, as
 * the in-kernel attach_dmb() does for kernel clients, and the mapping
 * writes into the DMB without move_data(). Only devices that support
 * mapped remote DMBs (dev-get MAPPED_DMB) can. The soft devices (loopback,
 * sim) and ivshmem devices map, in both roles; on ivshmem a mapping is of
 * the shared region's pages (uapi/README.md).
 *
 * On success @offset is the offset to pass to mmap() on the same file,
 * and @len the DMB's length. mmap() must be MAP_SHARED, at that offset,
 * and at most @len rounded up to whole pages long; PROT_READ, PROT_WRITE
 * or both. An offset is used by one mmap() (also by one that fails) and
 * is dropped, with the device's attachment, when the file closes before.
 * A file holds at most DIBS_DMB_MAP_PENDING_MAX offsets not yet mapped.
 *
 * A mapping keeps the DMB's memory until it is unmapped: after a revoke
 * (or the owner's socket closing, or a soft device's removal) the mapping
 * still reads and writes the same memory, which nobody else sees any more;
 * a remote DMB stays attached (its token taken) until then. Memory of the
 * device's own (ivshmem: the PCI BAR) goes with the device, though: after
 * its removal a load or store through the mapping raises SIGBUS, and
 * munmap() is still needed to release it (uapi/README.md). Stores through
 * a mapping become visible to the other side without a system call; use
 * DIBS_IOC_DMB_SIGNAL to tell it.
 *
 * Errors: EINVAL (unknown flags, non-zero pad, no name), ENODEV (no such
 * device in the namespace), ENOENT (no such DMB: not granted from
 * userspace on that device, or not on the writer's fabric), EACCES (the
 * remote DMB is not granted to the writing device), EOPNOTSUPP (the
 * device cannot map: not a soft device or ivshmem, without mapped remote
 * DMBs, or an ivshmem buffer that is not in whole pages),
 * ENETDOWN (the writer is down), ENOSPC (too many offsets not yet mapped),
 * EPERM (no CAP_NET_ADMIN).
 */
#define DIBS_DMB_MAP_REMOTE	_BITUL(0)
#define DIBS_DMB_MAP_PENDING_MAX	64

struct dibs_dmb_map {
	__u32 dev_index;
	char dev_name[DIBS_DEV_NAME_MAX];
	__u32 flags;
	__u64 token;
	__u64 offset;		/* out: for mmap() */
	__u32 len;		/* out: the DMB's length */
	__u32 pad;		/* must be 0 */
};

/*
 * DIBS_IOC_DMB_SIGNAL: raise signals on DMB @token from the writing device
 * (by @dev_index, or when that is 0 by @dev_name), without data: each bit
 * set in @mask (bits 0 to DIBS_SIGNAL_IDX_MAX) is one signal, in rising
 * order. For a writer that wrote through a mapping: its stores before the
 * ioctl are visible to the owner once the owner sees the signal. Errors:
 * those of DIBS_IOC_DMB_WRITE; EINVAL also for an empty @mask or bits
 * above DIBS_SIGNAL_IDX_MAX. A refusal stops at that bit: the bits below
 * it were raised.
 */
struct dibs_dmb_signal {
	__u32 dev_index;
	char dev_name[DIBS_DEV_NAME_MAX];
	__u32 mask;
	__u64 token;
};

/*
 * DIBS_IOC_DMB_WATCH: the file gets the signals of DMB @token on device
 * @dev_index (or @dev_name), a DMB granted from userspace there; read()
 * and poll() on the file then report them, with no netlink message
 * between the device's interrupt and the reader. DIBS_IOC_DMB_UNWATCH
 * ends that (with the same struct; @flags 0 for both).
 *
 * A DMB is watched by one file at most; the signal group's netlink
 * notifications go on as before, independently. A file watches at most
 * DIBS_DMB_WATCH_MAX DMBs. Signals raised before the watch began are not
 * reported. After DIBS_IOC_DMB_UNWATCH returns, read() reports nothing
 * more of that DMB.
 *
 * read() fills whole struct dibs_dmb_event records, one per watched DMB
 * that had signals since the last read() reported it: @mask the signals
 * (bit i: signal index i), coalesced. It blocks until there is one, unless
 * the file is O_NONBLOCK (EAGAIN); a buffer smaller than one record gets
 * EINVAL. poll() reports EPOLLIN while one is waiting. A watch that ends
 * without DIBS_IOC_DMB_UNWATCH - the DMB revoked (or its owner's socket
 * closed), its device deleted or moved to another network namespace - is
 * reported once more with DIBS_DMB_EVENT_ENDED in @flags (and the signals
 * that came before, if any), and is then gone from the file.
 *
 * Errors of the ioctls: EINVAL (unknown flags, no name), ENODEV (no such
 * device in the namespace), ENOENT (no such DMB granted from userspace on
 * that device; for UNWATCH: not watched by this file), EBUSY (watched by
 * a file already), ENOSPC (the file watches DIBS_DMB_WATCH_MAX), EPERM
 * (no CAP_NET_ADMIN).
 */
#define DIBS_DMB_WATCH_MAX	64

struct dibs_dmb_watch {
	__u32 dev_index;
	char dev_name[DIBS_DEV_NAME_MAX];
	__u32 flags;		/* must be 0 */
	__u64 token;
};

#define DIBS_DMB_EVENT_ENDED	_BITUL(0)

struct dibs_dmb_event {
	__u64 token;
	__u32 dev_index;
	__u16 mask;
	__u16 flags;
};

#define DIBS_IOC_MAGIC		0xDC
#define DIBS_IOC_DMB_WRITE	_IOW(DIBS_IOC_MAGIC, 1, struct dibs_dmb_write)
#define DIBS_IOC_DMB_MAP	_IOWR(DIBS_IOC_MAGIC, 2, struct dibs_dmb_map)
#define DIBS_IOC_DMB_SIGNAL	_IOW(DIBS_IOC_MAGIC, 3, struct dibs_dmb_signal)
#define DIBS_IOC_DMB_WATCH	_IOW(DIBS_IOC_MAGIC, 4, struct dibs_dmb_watch)
#define DIBS_IOC_DMB_UNWATCH	_IOW(DIBS_IOC_MAGIC, 5, struct dibs_dmb_watch)

#endif /* _UAPI_LINUX_DIBS_IOCTL_H */
