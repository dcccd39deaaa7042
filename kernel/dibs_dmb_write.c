// SPDX-License-Identifier: GPL-2.0
/*
 * The data path both front ends share: a write into a DMB, as netlink's
 * dmb-write and /dev/dibs (DIBS_IOC_DMB_WRITE) make it. Each front end
 * parses its request and hands over its data piece by piece; what a write
 * may do and how it fails is decided here once.
 */
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <net/net_namespace.h>
#include <uapi/linux/dibs.h>

#include "dibs_core.h"

/*
 * One move_data() from the device named by @index (or, if 0, @name) in
 * @net, without the registry lock. Whatever the device's driver needs
 * stays alive until rcu_read_unlock(): dibs_dev_del() waits for a grace
 * period after the device left the registry. move_data() does not sleep
 * (SMC-D calls it under spinlocks).
 */
int dibs_dev_move(struct net *net, u32 index, const char *name, u64 token,
		  unsigned int sig_idx, bool signal, unsigned int offset,
		  void *data, unsigned int size)
{
	struct dibs_dev *dibs;
	int ret;

	rcu_read_lock();
	dibs = index ? dibs_dev_find_index(index) : dibs_dev_find_name(name);
	if (!dibs || !READ_ONCE(dibs->registered) ||
	    !net_eq(dibs_dev_net(dibs), net))
		ret = -ENODEV;
	else
		ret = dibs->ops->move_data(dibs, token, sig_idx, signal, offset,
					   data, size);
	rcu_read_unlock();
	return ret;
}

/*
 * Write @wr->len bytes from @wr->offset on, as the pieces @wr->next()
 * hands out, one move_data() each; the signal, if asked for, goes with the
 * last piece only. The range is checked as a whole first: -EINVAL before
 * any piece is asked for. The DMB's own size only move_data() knows, so a
 * piece it refuses ends the write with the pieces before it written and
 * no signal raised. The device is looked up for every piece, as
 * dibs_dev_move() does: writers do not wait for each other or for the
 * control plane. Process context.
 *
 * Return: 0, or the error of the range check, of @wr->next() or of the
 * piece that failed.
 */
int dibs_dmb_write(struct dibs_dmb_wr *wr)
{
	u32 done = 0, end, n;
	void *data;
	int ret;

	if (check_add_overflow(wr->offset, wr->len, &end) ||
	    end > DIBS_DMB_LEN_MAX)
		return -EINVAL;
	/* one piece even for no data: it may carry a signal */
	do {
		ret = wr->next(wr, done, &data, &n);
		if (ret)
			return ret;
		if (WARN_ON_ONCE(n > wr->len - done))
			return -EINVAL;
		ret = dibs_dev_move(wr->net, wr->dev_index, wr->dev_name,
				    wr->token, wr->signal_idx,
				    wr->signal && done + n == wr->len,
				    wr->offset + done, data, n);
		if (ret)
			return ret;
		done += n;
	} while (done < wr->len);
	return 0;
}
