// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dibs: writes into DMBs without a netlink message per write
 * (uapi/linux/dibs_ioctl.h).
 *
 * A netlink dmb-write copies its data into a message buffer the kernel
 * allocates - and zeroes, on kernels that initialise allocations - for
 * every request, then move_data() copies it again. Here each open file
 * keeps one buffer: the caller's bytes are copied into it once and
 * move_data() takes them from there, one piece of DIBS_CDEV_PIECE at a time.
 * What a write may do and how it fails is the netlink op's.
 *
 * Who may write is the netlink op's too (GENL_ADMIN_PERM), asked of every
 * ioctl and not only at open: a netlink request is checked against both
 * the socket's opener and the sender, so is an ioctl against the file's
 * opener and the caller. An fd passed over SCM_RIGHTS to a process
 * without CAP_NET_ADMIN, or kept across a drop of it, writes no more.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <uapi/linux/dibs_ioctl.h>

#include "dibs_core.h"

/* One copy-and-move step: a 64 KiB write, the common large one, is one. */
#define DIBS_CDEV_PIECE		SZ_64K

struct dibs_cdev_file {
	struct net *net;		/* the opener's namespace, held */
	struct mutex buf_lock;		/* one write at a time uses buf */
	void *buf;			/* DIBS_CDEV_PIECE bytes */
};

static int dibs_cdev_open(struct inode *inode, struct file *file)
{
	struct dibs_cdev_file *f;

	/* dmb-write is GENL_ADMIN_PERM: the same capability */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->buf = kvmalloc(DIBS_CDEV_PIECE, GFP_KERNEL);
	if (!f->buf) {
		kfree(f);
		return -ENOMEM;
	}
	mutex_init(&f->buf_lock);
	f->net = get_net(current->nsproxy->net_ns);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int dibs_cdev_release(struct inode *inode, struct file *file)
{
	struct dibs_cdev_file *f = file->private_data;

	put_net(f->net);
	mutex_destroy(&f->buf_lock);
	kvfree(f->buf);
	kfree(f);
	return 0;
}

/*
 * One piece from f->buf. The device is looked up for every piece, as a
 * netlink write does, without the registry lock: writers on different
 * devices (or files) do not wait for each other or for the control plane.
 */
static int dibs_cdev_move(struct dibs_cdev_file *f,
			  const struct dibs_dmb_write *req, bool signal,
			  u32 offset, u32 len)
{
	return dibs_dev_move(f->net, req->dev_index, req->dev_name, req->token,
			     req->signal_idx, signal, offset, f->buf, len);
}

static int dibs_cdev_write(struct dibs_cdev_file *f,
			   const struct dibs_dmb_write *req)
{
	const u8 __user *src = u64_to_user_ptr(req->data);
	bool signal = req->flags & DIBS_DMB_WRITE_SIGNAL;
	u32 done = 0, n;
	int ret;

	/* one step even for no data: it may carry a signal */
	do {
		if (done && signal_pending(current))
			return -EINTR;
		n = min_t(u32, req->len - done, DIBS_CDEV_PIECE);
		if (copy_from_user(f->buf, src + done, n))
			return -EFAULT;
		ret = dibs_cdev_move(f, req, signal && done + n == req->len,
				     req->offset + done, n);
		if (ret)
			return ret;
		done += n;
	} while (done < req->len);
	return 0;
}

/* As __netlink_ns_capable() for GENL_ADMIN_PERM: opener and caller. */
static bool dibs_cdev_may_write(struct file *file)
{
	return file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN) &&
	       capable(CAP_NET_ADMIN);
}

static long dibs_cdev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct dibs_cdev_file *f = file->private_data;
	struct dibs_dmb_write req;
	u32 end;
	int ret;

	if (cmd != DIBS_IOC_DMB_WRITE)
		return -ENOTTY;
	if (!dibs_cdev_may_write(file))
		return -EPERM;
	if (copy_from_user(&req, (void __user *)arg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~DIBS_DMB_WRITE_SIGNAL || req.pad)
		return -EINVAL;
	if (!(req.flags & DIBS_DMB_WRITE_SIGNAL))
		req.signal_idx = 0;
	else if (req.signal_idx > DIBS_SIGNAL_IDX_MAX)
		return -EINVAL;
	if (check_add_overflow(req.offset, req.len, &end) ||
	    end > DIBS_DMB_LEN_MAX)
		return -EINVAL;
	if (!req.dev_index && !memchr(req.dev_name, '\0', sizeof(req.dev_name)))
		return -EINVAL;

	if (mutex_lock_interruptible(&f->buf_lock))
		return -EINTR;
	ret = dibs_cdev_write(f, &req);
	mutex_unlock(&f->buf_lock);
	return ret;
}

static const struct file_operations dibs_cdev_fops = {
	.owner		= THIS_MODULE,	/* an open file pins the module */
	.open		= dibs_cdev_open,
	.release	= dibs_cdev_release,
	.unlocked_ioctl	= dibs_cdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice dibs_cdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= DIBS_CDEV_NAME,
	.fops	= &dibs_cdev_fops,
	.mode	= 0600,
};

int dibs_cdev_init(void)
{
	return misc_register(&dibs_cdev);
}

void dibs_cdev_exit(void)
{
	misc_deregister(&dibs_cdev);
}
