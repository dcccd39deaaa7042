// SPDX-License-Identifier: GPL-2.0
/*
 * The core's own dibs client, "userspace": it owns the DMBs granted through
 * netlink (dmb-grant) and turns their signals into "signal" notifications.
 *
 * Its DMBs are the core's records (struct dibs_dmb_rec) with the
 * userspace part (rec->u, rec->uref) filled in; it keeps no allocation of
 * its own, per DMB or per device, and finds its DMBs in the core's tables
 * (by token, or by sba index in dibs->dmbs) by their client id. All its
 * DMB bookkeeping happens under dibs_devs_lock: the netlink handlers hold
 * it, and add_dev()/del_dev() are called with it held. Only handle_irq()
 * runs outside it, in IRQ context, and finds its DMB by RCU.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <linux/hashtable.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/hash.h>
#include <net/sock.h>

#include <uapi/linux/dibs.h>

#include "dibs_core.h"

static LLIST_HEAD(dibs_uclient_signals);
static void dibs_uclient_signal_work_fn(struct work_struct *work);
static DECLARE_WORK(dibs_uclient_signal_work, dibs_uclient_signal_work_fn);

static bool dibs_urec_mine(const struct dibs_dmb_rec *rec)
{
	return rec->client_id == dibs_uclient.id;
}

/*
 * The sockets that own grants ("owned" dmb-grant), by namespace and
 * portid, so that closing a socket that owns none costs one hash lookup,
 * not a walk of every DMB under dibs_devs_lock. An entry holds the socket
 * itself: a process's next socket can bind the released portid before the
 * old socket's NETLINK_URELEASE arrives, and only grants of a socket that
 * is closed (SOCK_DEAD, set before NETLINK_URELEASE is sent) are released.
 */
struct dibs_uowner {
	struct hlist_node node;		/* in dibs_uowners */
	possible_net_t net;
	u32 portid;
	struct sock *sk;		/* a reference */
	unsigned int grants;		/* its DMBs */
};

#define DIBS_UOWNER_HASH_BITS	6
/*
 * Entries are added, changed and removed under dibs_devs_lock and this
 * lock; the URELEASE fast path reads under this lock alone.
 */
static DEFINE_SPINLOCK(dibs_uowners_lock);
static DEFINE_HASHTABLE(dibs_uowners, DIBS_UOWNER_HASH_BITS);

/* The hash key; the hashtable helpers hash it into a bucket. */
static u32 dibs_uowner_key(const struct net *net, u32 portid)
{
	return portid ^ net_hash_mix(net);
}

/* dibs_uowners_lock held */
static struct dibs_uowner *dibs_uowner_find(const struct net *net, u32 portid)
{
	struct dibs_uowner *o;

	hash_for_each_possible(dibs_uowners, o, node,
			       dibs_uowner_key(net, portid))
		if (o->portid == portid && net_eq(read_pnet(&o->net), net))
			return o;
	return NULL;
}

/* One grant fewer for the owner of @rec; dibs_devs_lock held. */
static void dibs_uowner_put(const struct dibs_dmb_rec *rec)
{
	struct dibs_uowner *o;

	lockdep_assert_held(&dibs_devs_lock);
	spin_lock(&dibs_uowners_lock);
	o = dibs_uowner_find(read_pnet(&rec->uref.owner_net),
			     rec->u.owner_portid);
	if (o && --o->grants == 0)
		hash_del(&o->node);
	else
		o = NULL;
	spin_unlock(&dibs_uowners_lock);
	if (o) {
		sock_put(o->sk);
		kfree(o);
	}
}

/*
 * The first of its DMBs on @dibs at sba index *@idx or above, or NULL;
 * dibs_devs_lock held, which keeps its own records alive. Other clients'
 * records may go at any time: they are only looked at under RCU.
 */
static struct dibs_dmb_rec *dibs_urec_next(struct dibs_dev *dibs,
					   unsigned long *idx)
{
	struct dibs_dmb_rec *rec;

	lockdep_assert_held(&dibs_devs_lock);
	rcu_read_lock();
	for (; (rec = xa_find(&dibs->dmbs, idx, ULONG_MAX, XA_PRESENT));
	     (*idx)++)
		if (dibs_urec_mine(rec))
			break;
	rcu_read_unlock();
	return rec;
}

/*
 * Unregister one DMB; dibs_devs_lock held. The core drops the record's
 * registration reference: do not touch @rec afterwards.
 */
static void dibs_urec_release(struct dibs_dmb_rec *rec)
{
	struct dibs_dev *dibs = rec->dibs;
	struct dibs_dmb dmb;
	int ret;

	dibs_dmb_rec_to_dmb(rec, &dmb);
	dibs_watch_end(rec);
	if (rec->u.owner_portid)
		dibs_uowner_put(rec);
	ret = dibs->ops->unregister_dmb(dibs, &dmb);
	if (ret)
		dev_err(&dibs->dev, "unregistering DMB 0x%016llx: %d\n",
			dmb.dmb_tok, ret);
}

/* Release every grant of (@net, @portid); dibs_devs_lock held. */
static void dibs_uowner_release_grants(const struct net *net, u32 portid)
{
	struct dibs_dmb_rec *rec;
	struct dibs_dev *dibs;
	unsigned long index = 0, idx;

	for (; (dibs = dibs_dev_next(&index)); index++)
		for (idx = 0; (rec = dibs_urec_next(dibs, &idx)); idx++)
			if (rec->u.owner_portid == portid &&
			    net_eq(read_pnet(&rec->uref.owner_net), net))
				dibs_urec_release(rec);
}

/*
 * The owner entry for a new grant of socket @sk, one grant counted;
 * dibs_devs_lock held. If the entry belongs to an older socket of the same
 * portid, that socket is closed and its URELEASE still on its way: its
 * grants go now, so that they are never taken for the new socket's.
 */
static int dibs_uowner_get(struct net *net, u32 portid, struct sock *sk)
{
	struct dibs_uowner *o, *fresh;

	lockdep_assert_held(&dibs_devs_lock);
	spin_lock(&dibs_uowners_lock);
	o = dibs_uowner_find(net, portid);
	if (o && o->sk != sk) {
		spin_unlock(&dibs_uowners_lock);
		dibs_uowner_release_grants(net, portid);
		spin_lock(&dibs_uowners_lock);
		o = dibs_uowner_find(net, portid);	/* gone with them */
	}
	if (o) {
		o->grants++;
		spin_unlock(&dibs_uowners_lock);
		return 0;
	}
	spin_unlock(&dibs_uowners_lock);

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	write_pnet(&fresh->net, net);
	fresh->portid = portid;
	fresh->sk = sk;
	sock_hold(sk);
	fresh->grants = 1;
	spin_lock(&dibs_uowners_lock);
	hash_add(dibs_uowners, &fresh->node, dibs_uowner_key(net, portid));
	spin_unlock(&dibs_uowners_lock);
	return 0;
}

/* Nothing to set up: its DMBs on @dibs are in the core's tables. */
static void dibs_uclient_add_dev(struct dibs_dev *dibs)
{
}

static void dibs_uclient_del_dev(struct dibs_dev *dibs)
{
	struct dibs_dmb_rec *rec;
	unsigned long idx;

	for (idx = 0; (rec = dibs_urec_next(dibs, &idx)); idx++)
		dibs_urec_release(rec);
}

/*
 * @dibs leaves its namespace: the watches of its DMBs, opened in the old
 * one, end; dibs_devs_lock held.
 */
void dibs_uclient_dev_moved(struct dibs_dev *dibs)
{
	struct dibs_dmb_rec *rec;
	unsigned long idx;

	for (idx = 0; (rec = dibs_urec_next(dibs, &idx)); idx++)
		dibs_watch_end(rec);
}

/*
 * IRQ context: wake the file that watches the DMB, if any; for the
 * notification, if anyone listens, coalesce into the DMB's pending mask
 * and send from a work. A queued DMB holds a reference on its record and
 * on its device, so the work may run after the DMB was revoked or the
 * device deleted.
 */
static void dibs_uclient_handle_irq(struct dibs_dev *dibs, unsigned int idx,
				    u16 dmbemask)
{
	struct dibs_dmb_rec *rec;

	rcu_read_lock();
	rec = xa_load(&dibs->dmbs, idx);
	/* The index may have gone to another client's DMB meanwhile. */
	if (rec && !dibs_urec_mine(rec))
		rec = NULL;
	if (rec)
		dibs_watch_signal(rec, dmbemask);
	if (rec && !dibs_nl_signal_wanted(dibs))
		rec = NULL;
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
struct dibs_dmb_rec *dibs_uclient_find(struct dibs_dev *dibs, u64 token)
{
	struct dibs_dmb_rec *rec;

	lockdep_assert_held(&dibs_devs_lock);
	/* The record outlives the RCU section: dibs_devs_lock pins it. */
	rcu_read_lock();
	rec = dibs_dmb_rec_find(dibs, token);
	rcu_read_unlock();
	return rec && dibs_urec_mine(rec) ? rec : NULL;
}

bool dibs_uclient_owned(struct dibs_dmb_rec *rec)
{
	return dibs_urec_mine(rec) && rec->u.owner_portid;
}

int dibs_uclient_grant(struct dibs_dev *dibs, const uuid_t *rgid, u32 len,
		       struct sock *owner_sk, u32 owner_portid,
		       struct net *owner_net, struct dibs_dmb_rec **recp)
{
	struct dibs_dmb_rec *rec;
	struct dibs_dmb dmb = {};
	int ret;

	lockdep_assert_held(&dibs_devs_lock);
	if (owner_sk && !owner_portid)
		return -EINVAL;
	uuid_copy(&dmb.rgid, rgid);
	dmb.dmb_len = len;
	ret = dibs->ops->register_dmb(dibs, &dmb, &dibs_uclient);
	if (ret)
		return ret;
	rec = dibs_uclient_find(dibs, dmb.dmb_tok);
	if (WARN_ON_ONCE(!rec)) {
		dibs->ops->unregister_dmb(dibs, &dmb);
		return -EIO;
	}
	if (owner_sk) {
		ret = dibs_uowner_get(owner_net, owner_portid, owner_sk);
		if (ret) {
			dibs->ops->unregister_dmb(dibs, &dmb);
			return ret;
		}
		rec->u.owner_portid = owner_portid;
	}
	write_pnet(&rec->uref.owner_net, owner_net);
	dibs_nl_notify_dmb(rec, DIBS_CMD_DMB_ADD_NTF);
	*recp = rec;
	return 0;
}

int dibs_uclient_revoke(struct dibs_dev *dibs, u64 token)
{
	struct dibs_dmb_rec *rec = dibs_uclient_find(dibs, token);

	if (!rec)
		return -ENOENT;
	dibs_urec_release(rec);
	return 0;
}

int dibs_uclient_read(struct dibs_dev *dibs, u64 token, u32 offset, u32 len,
		      void *buf)
{
	struct dibs_dmb_rec *rec = dibs_uclient_find(dibs, token);
	u32 end;

	if (!rec)
		return -ENOENT;
	if (check_add_overflow(offset, len, &end) || end > rec->len)
		return -EINVAL;
	memcpy(buf, rec->cpu_addr + offset, len);
	return 0;
}

/*
 * The userspace DMB @token on @dibs, for a mapping; dibs_devs_lock held.
 * A soft device's buffer is a folio of its own (dibs_dmb_buf.h): a
 * reference on it in *@folio. Any other device's: *@folio is NULL, and
 * only its driver can map it (dibs_dev_map_ops).
 */
int dibs_uclient_map(struct dibs_dev *dibs, u64 token, struct folio **folio,
		     u32 *len)
{
	struct dibs_dmb_rec *rec = dibs_uclient_find(dibs, token);

	if (!rec)
		return -ENOENT;
	*len = rec->len;
	*folio = NULL;
	if (!dibs->soft_type)
		return 0;
	*folio = virt_to_folio(rec->cpu_addr);
	folio_get(*folio);
	return 0;
}

/* Whether (@net, @portid) has an entry whose socket is closed. */
static bool dibs_uowner_closed(const struct net *net, u32 portid)
{
	struct dibs_uowner *o;
	bool closed;

	spin_lock(&dibs_uowners_lock);
	o = dibs_uowner_find(net, portid);
	closed = o && sock_flag(o->sk, SOCK_DEAD);
	spin_unlock(&dibs_uowners_lock);
	return closed;
}

/*
 * An "owned" grant lives as long as the socket that made it. A socket
 * without grants costs a lookup; one whose portid a live socket has taken
 * over meanwhile is not ours to release (dibs_uowner_get() did).
 */
static int dibs_uclient_netlink_event(struct notifier_block *nb,
				      unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid || !dibs_uowner_closed(n->net, n->portid))
		return NOTIFY_DONE;

	mutex_lock(&dibs_devs_lock);
	if (dibs_uowner_closed(n->net, n->portid))
		dibs_uowner_release_grants(n->net, n->portid);
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
	WARN_ON(!hash_empty(dibs_uowners));
	flush_work(&dibs_uclient_signal_work);
	rcu_barrier();
}
