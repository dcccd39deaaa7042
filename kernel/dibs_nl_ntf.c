// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications of the "dibs" family: what changed goes to the "mgmt"
 * group of the namespace concerned, signals to the "signal" group. Events
 * that arrive in a driver's IRQ context are queued and sent from a work
 * item.
 */
#include <linux/llist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "dibs_nl.h"

/* Notifications before the family exists (module init) are dropped. */
static bool dibs_nl_registered;

static void dibs_nl_multicast(struct sk_buff *skb, struct net *net,
			      unsigned int group, gfp_t gfp)
{
	genlmsg_multicast_netns(&dibs_nl_family, net, skb, 0, group, gfp);
}

static bool dibs_nl_wanted(struct net *net, unsigned int group)
{
	return READ_ONCE(dibs_nl_registered) &&
	       genl_has_listeners(&dibs_nl_family, net, group);
}

/*
 * Whether a "signal" notification of @dibs has anyone to go to: any
 * context, under RCU, where a registered device's namespace stays valid.
 * A listener that joins meanwhile gets the next signal.
 */
bool dibs_nl_signal_wanted(struct dibs_dev *dibs)
{
	return dibs_nl_wanted(dibs_dev_net(dibs), DIBS_NLGRP_SIGNAL);
}

/*
 * The namespace of @dibs with a reference, for a notification sent outside
 * dibs_devs_lock; NULL once the device left the registry or its namespace
 * is going away. dibs->registered, seen under RCU, keeps the namespace's
 * memory (dibs_net_pre_exit, dibs_dev_del).
 */
static struct net *dibs_nl_dev_get_net(struct dibs_dev *dibs)
{
	struct net *net = NULL;

	rcu_read_lock();
	if (READ_ONCE(dibs->registered))
		net = maybe_get_net(dibs_dev_net(dibs));
	rcu_read_unlock();
	return net;
}

/* Called with dibs_devs_lock held, in process context. */
void dibs_nl_notify_dev(struct dibs_dev *dibs, u8 cmd)
{
	struct net *net = dibs_dev_net(dibs);
	struct sk_buff *skb;

	lockdep_assert_held(&dibs_devs_lock);

	if (!dibs_nl_wanted(net, DIBS_NLGRP_MGMT))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dibs_nl_dev_fill(skb, dibs, net, 0, 0, 0, cmd) < 0) {
		nlmsg_free(skb);
		return;
	}
	dibs_nl_multicast(skb, net, DIBS_NLGRP_MGMT, GFP_KERNEL);
}

/*
 * Any context: DMBs may be unregistered from a client's bottom half. All
 * under RCU, where a registered device's namespace stays valid.
 */
void dibs_nl_notify_dmb(struct dibs_dmb_rec *rec, u8 cmd)
{
	struct sk_buff *skb;
	struct net *net;

	rcu_read_lock();
	if (!READ_ONCE(rec->dibs->registered))
		goto out;
	net = dibs_dev_net(rec->dibs);
	if (!dibs_nl_wanted(net, DIBS_NLGRP_MGMT))
		goto out;
	skb = dibs_nl_dmb_msg_new(rec, GFP_ATOMIC);
	if (!skb)
		goto out;
	if (dibs_nl_dmb_fill(skb, rec, 0, 0, 0, cmd) < 0) {
		nlmsg_free(skb);
		goto out;
	}
	dibs_nl_multicast(skb, net, DIBS_NLGRP_MGMT, GFP_ATOMIC);
out:
	rcu_read_unlock();
}

/* Clients are global: their notifications go to the initial namespace. */
void dibs_nl_notify_client(struct dibs_client *client, u8 cmd)
{
	struct sk_buff *skb;

	if (!dibs_nl_wanted(&init_net, DIBS_NLGRP_MGMT))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dibs_nl_client_fill(skb, client, &init_net, 0, 0, 0, cmd) < 0) {
		nlmsg_free(skb);
		return;
	}
	dibs_nl_multicast(skb, &init_net, DIBS_NLGRP_MGMT, GFP_KERNEL);
}

/*
 * Events arrive in the drivers' IRQ context: they are queued here and sent
 * from a work item, never from the callback itself. (Signals are coalesced
 * and deferred by their owner, dibs_uclient.c.)
 */
struct dibs_nl_deferred {
	struct llist_node node;
	struct net *net;		/* a reference */
	u32 dev_index;
	struct dibs_event event;
};

static LLIST_HEAD(dibs_nl_deferred_list);
static void dibs_nl_deferred_work_fn(struct work_struct *work);
static DECLARE_WORK(dibs_nl_deferred_work, dibs_nl_deferred_work_fn);

static int dibs_nl_event_fill(struct sk_buff *skb,
			      const struct dibs_nl_deferred *d)
{
	const struct dibs_event *ev = &d->event;
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &dibs_nl_family, 0, DIBS_CMD_EVENT_NTF);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, DIBS_A_EVENT_DEV_INDEX, d->dev_index) ||
	    nla_put_u32(skb, DIBS_A_EVENT_TYPE, ev->type) ||
	    nla_put_u32(skb, DIBS_A_EVENT_SUBTYPE, ev->subtype) ||
	    nla_put(skb, DIBS_A_EVENT_GID, DIBS_GID_LEN, &ev->gid) ||
	    nla_put_u64_64bit(skb, DIBS_A_EVENT_TOKEN, ev->buffer_tok,
			      DIBS_A_EVENT_PAD) ||
	    nla_put_u64_64bit(skb, DIBS_A_EVENT_TIME, ev->time,
			      DIBS_A_EVENT_PAD) ||
	    nla_put_u64_64bit(skb, DIBS_A_EVENT_DATA, ev->data,
			      DIBS_A_EVENT_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static void dibs_nl_send_event(const struct dibs_nl_deferred *d)
{
	struct sk_buff *skb;

	if (!dibs_nl_wanted(d->net, DIBS_NLGRP_MGMT))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dibs_nl_event_fill(skb, d)) {
		nlmsg_free(skb);
		return;
	}
	dibs_nl_multicast(skb, d->net, DIBS_NLGRP_MGMT, GFP_KERNEL);
}

static void dibs_nl_deferred_work_fn(struct work_struct *work)
{
	struct dibs_nl_deferred *d, *tmp;
	struct llist_node *list;

	/* llist hands entries back newest first: restore arrival order. */
	list = llist_reverse_order(llist_del_all(&dibs_nl_deferred_list));
	llist_for_each_entry_safe(d, tmp, list, node) {
		dibs_nl_send_event(d);
		put_net(d->net);
		kfree(d);
	}
}

/* Any context. */
void dibs_nl_notify_event(struct dibs_dev *dibs,
			  const struct dibs_event *event)
{
	struct dibs_nl_deferred *d;
	struct net *net;

	net = dibs_nl_dev_get_net(dibs);
	if (!net)
		return;
	if (!dibs_nl_wanted(net, DIBS_NLGRP_MGMT)) {
		put_net(net);
		return;
	}
	d = kzalloc(sizeof(*d), GFP_ATOMIC);
	if (!d) {
		put_net(net);
		return;
	}
	d->net = net;
	d->dev_index = dibs->index;
	d->event = *event;
	llist_add(&d->node, &dibs_nl_deferred_list);
	schedule_work(&dibs_nl_deferred_work);
}

/* Process context: called from the signal owner's work item. */
void dibs_nl_notify_signal(struct dibs_dev *dibs, u64 token, u32 sba_idx,
			   u16 mask)
{
	struct sk_buff *skb;
	struct net *net;
	void *hdr;

	/* The device may have been deleted since the signal was queued. */
	net = dibs_nl_dev_get_net(dibs);
	if (!net)
		return;
	if (!dibs_nl_wanted(net, DIBS_NLGRP_SIGNAL))
		goto out;
	/* DEV_INDEX, TOKEN, SBA_IDX, MASK: sized to fit, see dibs_nl_dmb_size */
	skb = genlmsg_new(3 * nla_total_size(sizeof(u32)) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!skb)
		goto out;
	hdr = genlmsg_put(skb, 0, 0, &dibs_nl_family, 0, DIBS_CMD_SIGNAL_NTF);
	if (!hdr)
		goto err_free;
	if (nla_put_u32(skb, DIBS_A_SIGNAL_DEV_INDEX, dibs->index) ||
	    nla_put_u64_64bit(skb, DIBS_A_SIGNAL_TOKEN, token,
			      DIBS_A_SIGNAL_PAD) ||
	    nla_put_u32(skb, DIBS_A_SIGNAL_SBA_IDX, sba_idx) ||
	    nla_put_u32(skb, DIBS_A_SIGNAL_MASK, mask))
		goto err_free;
	genlmsg_end(skb, hdr);
	dibs_nl_multicast(skb, net, DIBS_NLGRP_SIGNAL, GFP_KERNEL);
	goto out;

err_free:
	nlmsg_free(skb);
out:
	put_net(net);
}

/* The family is registered: notifications may go out. */
void dibs_nl_ntf_start(void)
{
	WRITE_ONCE(dibs_nl_registered, true);
}

/* The family goes away: no more notifications. */
void dibs_nl_ntf_stop(void)
{
	WRITE_ONCE(dibs_nl_registered, false);
}

/* Waits for the queued events: once stopped, they are dropped. */
void dibs_nl_ntf_flush(void)
{
	flush_work(&dibs_nl_deferred_work);
}
