// SPDX-License-Identifier: GPL-2.0
/*
 * The core's own dibs client, "userspace": it owns the DMBs granted through
 * netlink (dmb-grant) and turns their signals into "signal" notifications.
 *
 * All its DMB bookkeeping happens under dibs_devs_lock: the netlink
 * handlers hold it, and add_dev()/del_dev() are called with it held. Only
 * handle_irq() runs outside it, in IRQ context, and finds its DMB by RCU.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <linux/llist.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include <uapi/linux/dibs.h>

#include "dibs_core.h"

/* One DMB granted from userspace. */
struct dibs_udmb {
	struct dibs_dmb dmb;
	struct dibs_dev *dibs;		/* holds a device reference */
	u32 owner_portid;		/* 0: not tied to a socket */
	possible_net_t owner_net;
	/* signals not yet sent, and the queue of DMBs that have some */
	atomic_t pending_mask;
	struct llist_node signal_node;
	refcount_t refs;		/* the grant, and a queued signal */
	struct rcu_head rcu;
};

/* Per device: the userspace DMBs by sba index, for handle_irq(). */
struct dibs_udev {
	struct xarray dmbs;
	struct rcu_head rcu;
};

static LLIST_HEAD(dibs_uclient_signals);
static void dibs_uclient_signal_work_fn(struct work_struct *work);
static DECLARE_WORK(dibs_uclient_signal_work, dibs_uclient_signal_work_fn);

static struct dibs_udev *dibs_udev(struct dibs_dev *dibs)
{
	return dibs_get_priv(dibs, &dibs_uclient);
}

static void dibs_udmb_put(struct dibs_udmb *udmb)
{
	if (!refcount_dec_and_test(&udmb->refs))
		return;
	put_device(&udmb->dibs->dev);
	kfree_rcu(udmb, rcu);
}

/* Unregister and forget one DMB; dibs_devs_lock held. */
static void dibs_udmb_release(struct dibs_udev *udev, struct dibs_udmb *udmb)
{
	struct dibs_dev *dibs = udmb->dibs;
	int ret;

	xa_erase_bh(&udev->dmbs, udmb->dmb.idx);
	ret = dibs->ops->unregister_dmb(dibs, &udmb->dmb);
	if (ret)
		dev_err(&dibs->dev, "unregistering DMB 0x%016llx: %d\n",
			udmb->dmb.dmb_tok, ret);
	dibs_udmb_put(udmb);
}

static void dibs_uclient_add_dev(struct dibs_dev *dibs)
{
	struct dibs_udev *udev;

	/* Without it, grants on this device fail with -ENOMEM later. */
	udev = kzalloc(sizeof(*udev), GFP_KERNEL);
	if (!udev)
		return;
	xa_init_flags(&udev->dmbs, XA_FLAGS_LOCK_BH);
	dibs_set_priv(dibs, &dibs_uclient, udev);
}

static void dibs_uclient_del_dev(struct dibs_dev *dibs)
{
	struct dibs_udev *udev = dibs_udev(dibs);
	struct dibs_udmb *udmb;
	unsigned long idx;

	if (!udev)
		return;
	xa_for_each(&udev->dmbs, idx, udmb)
		dibs_udmb_release(udev, udmb);
	dibs_set_priv(dibs, &dibs_uclient, NULL);
	xa_destroy(&udev->dmbs);
	kfree_rcu(udev, rcu);	/* handle_irq() may still look */
}

/* IRQ context: coalesce into the DMB's pending mask, send from a work. */
static void dibs_uclient_handle_irq(struct dibs_dev *dibs, unsigned int idx,
				    u16 dmbemask)
{
	struct dibs_udmb *udmb = NULL;
	struct dibs_udev *udev;

	rcu_read_lock();
	udev = dibs_udev(dibs);
	if (udev)
		udmb = xa_load(&udev->dmbs, idx);
	if (udmb && !atomic_fetch_or(dmbemask, &udmb->pending_mask) &&
	    refcount_inc_not_zero(&udmb->refs)) {
		llist_add(&udmb->signal_node, &dibs_uclient_signals);
		schedule_work(&dibs_uclient_signal_work);
	}
	rcu_read_unlock();
}

static void dibs_uclient_signal_work_fn(struct work_struct *work)
{
	struct dibs_udmb *udmb, *tmp;
	struct llist_node *list;
	u16 mask;

	list = llist_reverse_order(llist_del_all(&dibs_uclient_signals));
	llist_for_each_entry_safe(udmb, tmp, list, signal_node) {
		mask = atomic_xchg(&udmb->pending_mask, 0);
		dibs_nl_notify_signal(udmb->dibs, udmb->dmb.dmb_tok,
				      udmb->dmb.idx, mask);
		dibs_udmb_put(udmb);
	}
}

static const struct dibs_client_ops dibs_uclient_ops = {
	.add_dev = dibs_uclient_add_dev,
	.del_dev = dibs_uclient_del_dev,
	.handle_irq = dibs_uclient_handle_irq,
};

struct dibs_client dibs_uclient = {
	.name = "userspace",
	.ops = &dibs_uclient_ops,
};

/* The userspace DMB @token on @dibs, or NULL; dibs_devs_lock held. */
static struct dibs_udmb *dibs_udmb_find(struct dibs_dev *dibs, u64 token)
{
	struct dibs_udev *udev = dibs_udev(dibs);
	struct dibs_dmb_rec *rec;
	struct dibs_udmb *udmb = NULL;

	lockdep_assert_held(&dibs_devs_lock);
	rcu_read_lock();
	rec = dibs_dmb_rec_find(dibs, token);
	if (udev && rec && rec->client_id == dibs_uclient.id)
		udmb = xa_load(&udev->dmbs, rec->idx);
	rcu_read_unlock();
	return udmb;
}

bool dibs_uclient_owned(struct dibs_dmb_rec *rec)
{
	struct dibs_udev *udev;
	struct dibs_udmb *udmb;
	bool owned = false;

	if (rec->client_id != dibs_uclient.id)
		return false;
	rcu_read_lock();
	udev = dibs_udev(rec->dibs);
	udmb = udev ? xa_load(&udev->dmbs, rec->idx) : NULL;
	if (udmb)
		owned = udmb->owner_portid != 0;
	rcu_read_unlock();
	return owned;
}

int dibs_uclient_grant(struct dibs_dev *dibs, const uuid_t *rgid, u32 len,
		       u32 owner_portid, struct net *owner_net,
		       struct dibs_dmb_rec **rec)
{
	struct dibs_udev *udev = dibs_udev(dibs);
	struct dibs_udmb *udmb;
	int ret;

	lockdep_assert_held(&dibs_devs_lock);
	if (!udev)
		return -ENOMEM;
	udmb = kzalloc(sizeof(*udmb), GFP_KERNEL);
	if (!udmb)
		return -ENOMEM;
	uuid_copy(&udmb->dmb.rgid, rgid);
	udmb->dmb.dmb_len = len;
	udmb->owner_portid = owner_portid;
	write_pnet(&udmb->owner_net, owner_net);
	refcount_set(&udmb->refs, 1);

	ret = dibs->ops->register_dmb(dibs, &udmb->dmb, &dibs_uclient);
	if (ret) {
		kfree(udmb);
		return ret;
	}
	get_device(&dibs->dev);
	udmb->dibs = dibs;
	ret = xa_insert_bh(&udev->dmbs, udmb->dmb.idx, udmb, GFP_KERNEL);
	if (ret) {
		dibs->ops->unregister_dmb(dibs, &udmb->dmb);
		dibs_udmb_put(udmb);
		return ret;
	}
	/* The record outlives the RCU section: dibs_devs_lock pins it. */
	rcu_read_lock();
	*rec = dibs_dmb_rec_find(dibs, udmb->dmb.dmb_tok);
	rcu_read_unlock();
	dibs_nl_notify_dmb(*rec, DIBS_CMD_DMB_ADD_NTF);
	return 0;
}

int dibs_uclient_revoke(struct dibs_dev *dibs, u64 token)
{
	struct dibs_udmb *udmb = dibs_udmb_find(dibs, token);

	if (!udmb)
		return -ENOENT;
	dibs_udmb_release(dibs_udev(dibs), udmb);
	return 0;
}

int dibs_uclient_read(struct dibs_dev *dibs, u64 token, u32 offset, u32 len,
		      void *buf)
{
	struct dibs_udmb *udmb = dibs_udmb_find(dibs, token);
	u32 end;

	if (!udmb)
		return -ENOENT;
	if (check_add_overflow(offset, len, &end) || end > udmb->dmb.dmb_len)
		return -EINVAL;
	memcpy(buf, udmb->dmb.cpu_addr + offset, len);
	return 0;
}

/* An "owned" grant lives as long as the socket that made it. */
static int dibs_uclient_netlink_event(struct notifier_block *nb,
				      unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct dibs_udmb *udmb;
	struct dibs_udev *udev;
	struct dibs_dev *dibs;
	unsigned long index = 0, idx;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;

	mutex_lock(&dibs_devs_lock);
	for (; (dibs = dibs_dev_next(&index)); index++) {
		udev = dibs_udev(dibs);
		if (!udev)
			continue;
		xa_for_each(&udev->dmbs, idx, udmb)
			if (udmb->owner_portid == n->portid &&
			    net_eq(read_pnet(&udmb->owner_net), n->net))
				dibs_udmb_release(udev, udmb);
	}
	mutex_unlock(&dibs_devs_lock);
	return NOTIFY_DONE;
}

static struct notifier_block dibs_uclient_netlink_nb = {
	.notifier_call = dibs_uclient_netlink_event,
};

int dibs_uclient_init(void)
{
	int ret;

	ret = dibs_register_client(&dibs_uclient);
	if (ret)
		return ret;
	ret = netlink_register_notifier(&dibs_uclient_netlink_nb);
	if (ret)
		dibs_unregister_client(&dibs_uclient);
	return ret;
}

void dibs_uclient_exit(void)
{
	netlink_unregister_notifier(&dibs_uclient_netlink_nb);
	/* No device is left (drivers are gone), so neither is a DMB. */
	dibs_unregister_client(&dibs_uclient);
	flush_work(&dibs_uclient_signal_work);
	rcu_barrier();
}
