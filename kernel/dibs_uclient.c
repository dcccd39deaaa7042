// SPDX-License-Identifier: GPL-2.0
/*
 * The core's own dibs client, "userspace": it owns the DMBs granted through
 * netlink (dmb-grant) and turns their signals into "signal" notifications.
 *
 * Its DMBs are the core's records (struct dibs_dmb_rec) with the
 * userspace part (rec->u) filled in; it keeps no allocation of its own per
 * DMB. All its DMB bookkeeping happens under dibs_devs_lock: the netlink
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

/* Per device: its userspace DMBs' records by sba index, for handle_irq(). */
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

/*
 * Unregister one DMB; dibs_devs_lock held. The core drops the record's
 * registration reference: do not touch @rec afterwards.
 */
static void dibs_urec_release(struct dibs_udev *udev, struct dibs_dmb_rec *rec)
{
	struct dibs_dev *dibs = rec->dibs;
	struct dibs_dmb dmb;
	int ret;

	xa_erase_bh(&udev->dmbs, rec->idx);
	dibs_dmb_rec_to_dmb(rec, &dmb);
	ret = dibs->ops->unregister_dmb(dibs, &dmb);
	if (ret)
		dev_err(&dibs->dev, "unregistering DMB 0x%016llx: %d\n",
			dmb.dmb_tok, ret);
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
	struct dibs_dmb_rec *rec;
	unsigned long idx;

	if (!udev)
		return;
	xa_for_each(&udev->dmbs, idx, rec)
		dibs_urec_release(udev, rec);
	dibs_set_priv(dibs, &dibs_uclient, NULL);
	xa_destroy(&udev->dmbs);
	kfree_rcu(udev, rcu);	/* handle_irq() may still look */
}

/*
 * IRQ context: coalesce into the DMB's pending mask, send from a work. A
 * queued DMB holds a reference on its record and on its device, so the
 * work may run after the DMB was revoked or the device deleted.
 */
static void dibs_uclient_handle_irq(struct dibs_dev *dibs, unsigned int idx,
				    u16 dmbemask)
{
	struct dibs_dmb_rec *rec = NULL;
	struct dibs_udev *udev;

	rcu_read_lock();
	udev = dibs_udev(dibs);
	if (udev)
		rec = xa_load(&udev->dmbs, idx);
	/*
	 * The reference before the signal node: a record nobody holds may
	 * already be in call_rcu(), whose rcu_head shares the node's space.
	 */
	if (rec && !atomic_fetch_or(dmbemask, &rec->u.pending_mask) &&
	    refcount_inc_not_zero(&rec->refs)) {
		get_device(&rec->dibs->dev);
		llist_add(&rec->uref.signal_node, &dibs_uclient_signals);
		schedule_work(&dibs_uclient_signal_work);
	}
	rcu_read_unlock();
}

static void dibs_uclient_signal_work_fn(struct work_struct *work)
{
	struct dibs_dmb_rec *rec, *tmp;
	struct llist_node *list;
	struct dibs_dev *dibs;
	u16 mask;

	list = llist_reverse_order(llist_del_all(&dibs_uclient_signals));
	llist_for_each_entry_safe(rec, tmp, list, uref.signal_node) {
		dibs = rec->dibs;
		mask = atomic_xchg(&rec->u.pending_mask, 0);
		dibs_nl_notify_signal(dibs, rec->key.token, rec->idx, mask);
		dibs_dmb_rec_put(rec);
		put_device(&dibs->dev);
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
static struct dibs_dmb_rec *dibs_urec_find(struct dibs_dev *dibs, u64 token)
{
	struct dibs_dmb_rec *rec;

	lockdep_assert_held(&dibs_devs_lock);
	/* The record outlives the RCU section: dibs_devs_lock pins it. */
	rcu_read_lock();
	rec = dibs_dmb_rec_find(dibs, token);
	rcu_read_unlock();
	return rec && rec->client_id == dibs_uclient.id ? rec : NULL;
}

bool dibs_uclient_owned(struct dibs_dmb_rec *rec)
{
	return rec->client_id == dibs_uclient.id && rec->u.owner_portid;
}

int dibs_uclient_grant(struct dibs_dev *dibs, const uuid_t *rgid, u32 len,
		       u32 owner_portid, struct net *owner_net,
		       struct dibs_dmb_rec **recp)
{
	struct dibs_udev *udev = dibs_udev(dibs);
	struct dibs_dmb_rec *rec;
	struct dibs_dmb dmb = {};
	int ret;

	lockdep_assert_held(&dibs_devs_lock);
	if (!udev)
		return -ENOMEM;
	uuid_copy(&dmb.rgid, rgid);
	dmb.dmb_len = len;
	ret = dibs->ops->register_dmb(dibs, &dmb, &dibs_uclient);
	if (ret)
		return ret;
	rec = dibs_urec_find(dibs, dmb.dmb_tok);
	if (WARN_ON_ONCE(!rec)) {
		dibs->ops->unregister_dmb(dibs, &dmb);
		return -EIO;
	}
	rec->u.owner_portid = owner_portid;
	write_pnet(&rec->uref.owner_net, owner_net);
	ret = xa_insert_bh(&udev->dmbs, rec->idx, rec, GFP_KERNEL);
	if (ret) {
		dibs->ops->unregister_dmb(dibs, &dmb);
		return ret;
	}
	dibs_nl_notify_dmb(rec, DIBS_CMD_DMB_ADD_NTF);
	*recp = rec;
	return 0;
}

int dibs_uclient_revoke(struct dibs_dev *dibs, u64 token)
{
	struct dibs_dmb_rec *rec = dibs_urec_find(dibs, token);

	if (!rec)
		return -ENOENT;
	dibs_urec_release(dibs_udev(dibs), rec);
	return 0;
}

int dibs_uclient_read(struct dibs_dev *dibs, u64 token, u32 offset, u32 len,
		      void *buf)
{
	struct dibs_dmb_rec *rec = dibs_urec_find(dibs, token);
	u32 end;

	if (!rec)
		return -ENOENT;
	if (check_add_overflow(offset, len, &end) || end > rec->len)
		return -EINVAL;
	memcpy(buf, rec->cpu_addr + offset, len);
	return 0;
}

/* An "owned" grant lives as long as the socket that made it. */
static int dibs_uclient_netlink_event(struct notifier_block *nb,
				      unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct dibs_dmb_rec *rec;
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
		xa_for_each(&udev->dmbs, idx, rec)
			if (rec->u.owner_portid == n->portid &&
			    net_eq(read_pnet(&rec->uref.owner_net), n->net))
				dibs_urec_release(udev, rec);
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
