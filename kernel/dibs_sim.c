// SPDX-License-Identifier: GPL-2.0
/*
 * dibs_sim: a simulated many-device fabric, the netdevsim of dibs.
 *
 * "dibsctl dev add NAME type sim fabric ID" creates a device on fabric ID.
 * Devices of one fabric reach each other and nothing else; the fabric hands
 * out tokens unique within it and lets only a DMB's remote gid write into
 * it. Removing a device (or setting it down) raises a DIBS_DEV_DISABLED
 * event at every peer that holds DMBs granted to it; those DMBs stay until
 * their owner revokes them. debugfs knobs inject move_data() failures.
 *
 * Lifetimes: a DMB node is referenced by its owner until unregistered, by
 * every mapping (attach_dmb), by a write in flight and by a queued signal;
 * the last reference frees it. Nodes are found under RCU and stay in the
 * fabric's token table until freed, so a mapped DMB can still be detached
 * after its owner let go, and a token is never handed out twice meanwhile.
 */
#define pr_fmt(fmt) "dibs_sim: " fmt

#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/dibs.h>
#include <linux/err.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/dibs.h>

#include "dibs_dmb_buf.h"
#include "dibs_dmb_store.h"
#include "dibs_soft_evq.h"

MODULE_DESCRIPTION("dibs simulated fabric devices");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dibs-type-sim");

/* dibs->dmb_clientid_arr takes a byte per index: 16 KiB per device */
#define DIBS_SIM_MAX_DMBS	BIT(14)
#define DIBS_SIM_MAX_DMB_LEN	min_t(u32, DIBS_DMB_LEN_MAX, DIBS_DMB_BUF_MAX)
#define DIBS_SIM_SIGNAL_BITS	16

struct dibs_sim_dev;

struct dibs_sim_fabric {
	u16 id;
	struct list_head list;		/* in dibs_sim_fabrics */
	spinlock_t lock;		/* protects devs, each dev's nodes */
	struct list_head devs;		/* also read under RCU */
	struct rhashtable tokens;	/* every DMB node, by token */
};

struct dibs_sim_dmb {
	struct rhash_head node;		/* in fabric->tokens */
	u64 token;
	void *cpu_addr;
	u32 len;
	u32 sba_idx;			/* its index in owner->dmbs */
	uuid_t rgid;
	/* Set under fabric->lock; NULL once unregistered. */
	struct dibs_sim_dev *owner;
	u32 attached;			/* mappings, under fabric->lock */
	refcount_t refs;
	atomic_t pending_mask;		/* signals not yet delivered */
	/*
	 * A queued signal holds a reference, so the node is not in use
	 * once the last one is gone and call_rcu() needs the space.
	 */
	union {
		struct llist_node signal_node;
		struct rcu_head rcu;
	};
};

struct dibs_sim_dev {
	struct dibs_dev *dibs;
	struct dibs_sim_fabric *fabric;
	struct list_head fabric_list;	/* in fabric->devs */
	/*
	 * Software events sent to this device. Peers find it in
	 * fabric->devs under RCU, hence the free after a grace period.
	 */
	struct dibs_evq evq;
	struct rcu_head rcu;
	/* Registered nodes by sba index; read under RCU. */
	struct xarray dmbs;
	struct llist_head signals;	/* nodes with pending signals */
	struct work_struct signal_work;
	struct dentry *debugfs;
	/* fault injection: fail the next fail_count moves with fail_errno */
	atomic_t fail_count;
	u32 fail_errno;
};

static const struct rhashtable_params dibs_sim_token_params = {
	.key_len = sizeof(u64),
	.key_offset = offsetof(struct dibs_sim_dmb, token),
	.head_offset = offsetof(struct dibs_sim_dmb, node),
	.automatic_shrinking = true,
};

/* Protects dibs_sim_fabrics and the device membership of each fabric. */
static DEFINE_MUTEX(dibs_sim_lock);
static LIST_HEAD(dibs_sim_fabrics);
static struct dentry *dibs_sim_debugfs;
static struct dibs_soft_type dibs_sim_type;
/* DMB nodes: a cache of their own size, not the next kmalloc size up */
static struct kmem_cache *dibs_sim_dmb_cache;

static struct dibs_sim_dev *to_sim(struct dibs_dev *dibs)
{
	return dibs->drv_priv;
}

static void dibs_sim_dmb_free_rcu(struct rcu_head *head)
{
	struct dibs_sim_dmb *dmb = container_of(head, struct dibs_sim_dmb, rcu);

	dibs_dmb_buf_free(dmb->cpu_addr);
	kmem_cache_free(dibs_sim_dmb_cache, dmb);
}

static void dibs_sim_dmb_put(struct dibs_sim_fabric *fabric,
			     struct dibs_sim_dmb *dmb)
{
	if (!refcount_dec_and_test(&dmb->refs))
		return;
	rhashtable_remove_fast(&fabric->tokens, &dmb->node,
			       dibs_sim_token_params);
	call_rcu(&dmb->rcu, dibs_sim_dmb_free_rcu);
}

/* A live (registered) DMB of the fabric, with a reference; or NULL. */
static struct dibs_sim_dmb *dibs_sim_dmb_get(struct dibs_sim_fabric *fabric,
					     u64 token)
{
	struct dibs_sim_dmb *dmb;

	rcu_read_lock();
	dmb = rhashtable_lookup(&fabric->tokens, &token, dibs_sim_token_params);
	if (dmb && (!READ_ONCE(dmb->owner) ||
		    !refcount_inc_not_zero(&dmb->refs)))
		dmb = NULL;
	rcu_read_unlock();
	return dmb;
}

static u16 dibs_sim_get_fabric_id(struct dibs_dev *dibs)
{
	return to_sim(dibs)->fabric->id;
}

static int dibs_sim_query_remote_gid(struct dibs_dev *dibs, const uuid_t *rgid,
				     u32 vid_valid, u32 vid)
{
	struct dibs_sim_fabric *fabric = to_sim(dibs)->fabric;
	struct dibs_sim_dev *peer;
	int ret = -ENETUNREACH;

	spin_lock_bh(&fabric->lock);
	list_for_each_entry(peer, &fabric->devs, fabric_list) {
		if (uuid_equal(&peer->dibs->gid, rgid) &&
		    READ_ONCE(peer->dibs->up)) {
			ret = 0;
			break;
		}
	}
	spin_unlock_bh(&fabric->lock);
	return ret;
}

static int dibs_sim_max_dmbs(void)
{
	return DIBS_SIM_MAX_DMBS;
}

/* Who owns sba index @idx, for the signal path (upstream's layout). */
static void dibs_sim_set_clientid(struct dibs_dev *dibs, u32 idx, u8 id)
{
	unsigned long flags;

	spin_lock_irqsave(&dibs->lock, flags);
	dibs->dmb_clientid_arr[idx] = id;
	spin_unlock_irqrestore(&dibs->lock, flags);
}

static int dibs_sim_register_dmb(struct dibs_dev *dibs, struct dibs_dmb *req,
				 struct dibs_client *client)
{
	struct dibs_sim_dev *sdev = to_sim(dibs);
	struct dibs_sim_fabric *fabric = sdev->fabric;
	struct dibs_sim_dmb *dmb;
	struct xa_limit limit;
	int ret;

	if (!req->dmb_len || req->dmb_len > DIBS_SIM_MAX_DMB_LEN)
		return -EINVAL;
	/* The device has only so many indexes. */
	if (req->idx >= DIBS_SIM_MAX_DMBS)
		return -EINVAL;

	dmb = kmem_cache_zalloc(dibs_sim_dmb_cache, GFP_KERNEL | __GFP_NOWARN);
	if (!dmb)
		return -ENOMEM;
	dmb->cpu_addr = dibs_dmb_buf_alloc(req->dmb_len);
	if (!dmb->cpu_addr) {
		kmem_cache_free(dibs_sim_dmb_cache, dmb);
		return -ENOMEM;
	}
	dmb->len = req->dmb_len;
	dmb->owner = sdev;
	uuid_copy(&dmb->rgid, &req->rgid);
	refcount_set(&dmb->refs, 1);

	/* The index asked for, or the lowest free one. */
	if (req->idx)
		limit = XA_LIMIT(req->idx, req->idx);
	else
		limit = XA_LIMIT(0, DIBS_SIM_MAX_DMBS - 1);
	ret = xa_alloc_bh(&sdev->dmbs, &dmb->sba_idx, dmb, limit, GFP_KERNEL);
	if (ret) {
		if (ret == -EBUSY)
			ret = req->idx ? -EINVAL : -ENOSPC;
		dibs_dmb_buf_free(dmb->cpu_addr);
		kmem_cache_free(dibs_sim_dmb_cache, dmb);
		return ret;
	}

	/* The fabric hands out tokens: random, non-zero, unique in it. */
	spin_lock_bh(&fabric->lock);
	do {
		dmb->token = get_random_u64();
		ret = dmb->token ? rhashtable_lookup_insert_fast(&fabric->tokens,
			&dmb->node, dibs_sim_token_params) : -EEXIST;
	} while (ret == -EEXIST);
	spin_unlock_bh(&fabric->lock);
	if (ret) {
		/* Peers may have seen it in sdev->dmbs (tell_peers). */
		xa_erase_bh(&sdev->dmbs, dmb->sba_idx);
		call_rcu(&dmb->rcu, dibs_sim_dmb_free_rcu);
		return ret;
	}

	dibs_sim_set_clientid(dibs, dmb->sba_idx, client->id);
	req->dmb_tok = dmb->token;
	req->idx = dmb->sba_idx;
	req->cpu_addr = dmb->cpu_addr;
	req->dma_addr = 0;
	return 0;
}

static int dibs_sim_unregister_dmb(struct dibs_dev *dibs, struct dibs_dmb *req)
{
	struct dibs_sim_dev *sdev = to_sim(dibs);
	struct dibs_sim_fabric *fabric = sdev->fabric;
	struct dibs_sim_dmb *dmb;

	spin_lock_bh(&fabric->lock);
	dmb = rhashtable_lookup_fast(&fabric->tokens, &req->dmb_tok,
				     dibs_sim_token_params);
	if (!dmb || dmb->owner != sdev) {
		spin_unlock_bh(&fabric->lock);
		return -ENOENT;
	}
	WRITE_ONCE(dmb->owner, NULL);
	spin_unlock_bh(&fabric->lock);

	/* Before the index is free again: see dibs_sim_signal(). */
	dibs_sim_set_clientid(dibs, dmb->sba_idx, NO_DIBS_CLIENT);
	xa_erase_bh(&sdev->dmbs, dmb->sba_idx);
	dibs_sim_dmb_put(fabric, dmb);
	return 0;
}

/*
 * Deliver @mask to the owner of @dmb, the client in subs[] under
 * dibs->lock, as upstream drivers do. Only while @dmb still holds its sba
 * index and is registered: unregistering resets the index's client id
 * under the same lock before the index is freed, so a DMB that took the
 * index over gets no signal meant for the old one.
 */
static void dibs_sim_signal(struct dibs_sim_dev *sdev, struct dibs_sim_dmb *dmb,
			    u16 mask)
{
	struct dibs_dev *dibs = sdev->dibs;
	struct dibs_client *client = NULL;
	unsigned long flags;
	u8 id;

	spin_lock_irqsave(&dibs->lock, flags);
	id = dibs->dmb_clientid_arr[dmb->sba_idx];
	if (id < MAX_DIBS_CLIENTS && READ_ONCE(dmb->owner) &&
	    xa_load(&sdev->dmbs, dmb->sba_idx) == dmb)
		client = dibs->subs[id];
	if (client && client->ops->handle_irq)
		client->ops->handle_irq(dibs, dmb->sba_idx, mask);
	spin_unlock_irqrestore(&dibs->lock, flags);
}

/* Deliver coalesced signals, in IRQ-like context (dibs->lock, IRQs off). */
static void dibs_sim_signal_work_fn(struct work_struct *work)
{
	struct dibs_sim_dev *sdev = container_of(work, struct dibs_sim_dev,
						 signal_work);
	struct dibs_sim_dmb *dmb, *tmp;
	struct llist_node *list;

	list = llist_reverse_order(llist_del_all(&sdev->signals));
	/* _safe: the last put reuses the signal node for its rcu_head. */
	llist_for_each_entry_safe(dmb, tmp, list, signal_node) {
		dibs_sim_signal(sdev, dmb, atomic_xchg(&dmb->pending_mask, 0));
		dibs_sim_dmb_put(sdev->fabric, dmb);
	}
}

static int dibs_sim_move_data(struct dibs_dev *dibs, u64 dmb_tok,
			      unsigned int idx, bool sf, unsigned int offset,
			      void *data, unsigned int size)
{
	struct dibs_sim_dev *sdev = to_sim(dibs);
	struct dibs_sim_dmb *dmb;
	struct dibs_sim_dev *owner;
	unsigned int end;
	int ret = 0;

	if (sf && idx >= DIBS_SIGNAL_IDX_MAX + 1)
		return -EINVAL;
	if (atomic_add_unless(&sdev->fail_count, -1, 0))
		return -(int)READ_ONCE(sdev->fail_errno);

	dmb = dibs_sim_dmb_get(sdev->fabric, dmb_tok);
	if (!dmb)
		return -ENOENT;
	/* The fabric lets only the granted remote device write. */
	if (!uuid_equal(&dmb->rgid, &dibs->gid))
		ret = -EACCES;
	else if (check_add_overflow(offset, size, &end) || end > dmb->len)
		ret = -EINVAL;
	if (ret)
		goto out;

	dibs_dmb_store(dmb->cpu_addr + offset, data, size);
	if (!sf)
		goto out;
	/* Coalesced while pending: only the first bit queues a delivery. */
	spin_lock_bh(&sdev->fabric->lock);
	owner = dmb->owner;
	if (owner && !atomic_fetch_or(BIT(idx), &dmb->pending_mask)) {
		/* Ours keeps it above zero: the signal's, for signal_node. */
		refcount_inc(&dmb->refs);
		llist_add(&dmb->signal_node, &owner->signals);
		schedule_work(&owner->signal_work);
	}
	spin_unlock_bh(&sdev->fabric->lock);
out:
	dibs_sim_dmb_put(sdev->fabric, dmb);
	return ret;
}

static int dibs_sim_support_mmapped_rdmb(struct dibs_dev *dibs)
{
	return 1;
}

static int dibs_sim_attach_dmb(struct dibs_dev *dibs, struct dibs_dmb *req)
{
	struct dibs_sim_fabric *fabric = to_sim(dibs)->fabric;
	struct dibs_sim_dmb *dmb;

	dmb = dibs_sim_dmb_get(fabric, req->dmb_tok);
	if (!dmb)
		return -ENOENT;
	if (!uuid_equal(&dmb->rgid, &dibs->gid)) {
		dibs_sim_dmb_put(fabric, dmb);
		return -EACCES;
	}
	/* The reference taken above is the mapping's. */
	spin_lock_bh(&fabric->lock);
	dmb->attached++;
	spin_unlock_bh(&fabric->lock);
	req->cpu_addr = dmb->cpu_addr;
	req->dma_addr = 0;
	req->dmb_len = dmb->len;
	req->idx = dmb->sba_idx;
	uuid_copy(&req->rgid, &dmb->rgid);
	return 0;
}

static int dibs_sim_detach_dmb(struct dibs_dev *dibs, u64 token)
{
	struct dibs_sim_fabric *fabric = to_sim(dibs)->fabric;
	struct dibs_sim_dmb *dmb;

	spin_lock_bh(&fabric->lock);
	dmb = rhashtable_lookup_fast(&fabric->tokens, &token,
				     dibs_sim_token_params);
	if (!dmb || !dmb->attached || !uuid_equal(&dmb->rgid, &dibs->gid)) {
		spin_unlock_bh(&fabric->lock);
		return -ENOENT;
	}
	dmb->attached--;
	spin_unlock_bh(&fabric->lock);
	dibs_sim_dmb_put(fabric, dmb);
	return 0;
}

/*
 * A software event to the device with gid @rgid on the fabric, in any
 * network namespace, this device included. Peers are found under RCU, so
 * a client may send from any context; the event is delivered from the
 * receiver's work item (dibs_soft_evq.h), whatever @trigger_irq says.
 */
static int dibs_sim_signal_event(struct dibs_dev *dibs, const uuid_t *rgid,
				 u32 trigger_irq, u32 event_code, u64 info)
{
	struct dibs_sim_fabric *fabric = to_sim(dibs)->fabric;
	struct dibs_sim_dev *peer;
	int ret = -ENETUNREACH;

	rcu_read_lock();
	list_for_each_entry_rcu(peer, &fabric->devs, fabric_list) {
		if (uuid_equal(&peer->evq.gid, rgid)) {
			ret = dibs_evq_push(&peer->evq, &dibs->gid, event_code,
					    info);
			break;
		}
	}
	rcu_read_unlock();
	return ret;
}

static const struct dibs_dev_ops dibs_sim_ops = {
	.get_fabric_id = dibs_sim_get_fabric_id,
	.query_remote_gid = dibs_sim_query_remote_gid,
	.max_dmbs = dibs_sim_max_dmbs,
	.register_dmb = dibs_sim_register_dmb,
	.unregister_dmb = dibs_sim_unregister_dmb,
	.move_data = dibs_sim_move_data,
	.support_mmapped_rdmb = dibs_sim_support_mmapped_rdmb,
	.attach_dmb = dibs_sim_attach_dmb,
	.detach_dmb = dibs_sim_detach_dmb,
	.signal_event = dibs_sim_signal_event,
};

/*
 * Tell every peer that holds DMBs granted to @gone that it went away;
 * dibs_sim_lock held, so the fabric's membership is stable.
 */
static void dibs_sim_tell_peers(struct dibs_sim_dev *gone)
{
	struct dibs_sim_fabric *fabric = gone->fabric;
	struct dibs_event event = {
		.type = DIBS_DEV_EVENT,
		.subtype = DIBS_DEV_DISABLED,
	};
	struct dibs_sim_dev *peer;
	struct dibs_sim_dmb *dmb;
	unsigned long idx;
	bool holds;

	uuid_copy(&event.gid, &gone->dibs->gid);
	event.time = ktime_get_real_ns();
	lockdep_assert_held(&dibs_sim_lock);
	list_for_each_entry(peer, &fabric->devs, fabric_list) {
		if (peer == gone)
			continue;
		holds = false;
		/* Nodes are freed after a grace period. */
		rcu_read_lock();
		xa_for_each(&peer->dmbs, idx, dmb) {
			if (READ_ONCE(dmb->owner) &&
			    uuid_equal(&dmb->rgid, &gone->dibs->gid)) {
				holds = true;
				break;
			}
		}
		rcu_read_unlock();
		if (holds)
			dibs_dev_event(peer->dibs, &event);
	}
}

static void dibs_sim_state_changed(struct dibs_dev *dibs)
{
	if (READ_ONCE(dibs->up))
		return;
	mutex_lock(&dibs_sim_lock);
	dibs_sim_tell_peers(to_sim(dibs));
	mutex_unlock(&dibs_sim_lock);
}

/* Find or make fabric @id; dibs_sim_lock held. */
static struct dibs_sim_fabric *dibs_sim_fabric_get(u16 id)
{
	struct dibs_sim_fabric *fabric;

	list_for_each_entry(fabric, &dibs_sim_fabrics, list)
		if (fabric->id == id)
			return fabric;
	fabric = kzalloc(sizeof(*fabric), GFP_KERNEL);
	if (!fabric)
		return NULL;
	if (rhashtable_init(&fabric->tokens, &dibs_sim_token_params)) {
		kfree(fabric);
		return NULL;
	}
	fabric->id = id;
	spin_lock_init(&fabric->lock);
	INIT_LIST_HEAD(&fabric->devs);
	list_add_tail(&fabric->list, &dibs_sim_fabrics);
	return fabric;
}

/* What is left in an empty fabric: DMBs still mapped by a gone device. */
static void dibs_sim_dmb_free_orphan(void *ptr, void *arg)
{
	struct dibs_sim_dmb *dmb = ptr;

	dibs_dmb_buf_free(dmb->cpu_addr);
	kmem_cache_free(dibs_sim_dmb_cache, dmb);
}

/* Free an empty fabric; dibs_sim_lock held. */
static void dibs_sim_fabric_put(struct dibs_sim_fabric *fabric)
{
	if (!list_empty(&fabric->devs))
		return;
	list_del(&fabric->list);
	/* No device is left to look anything up. */
	rhashtable_free_and_destroy(&fabric->tokens, dibs_sim_dmb_free_orphan,
				    NULL);
	kfree(fabric);
}

static bool dibs_sim_gid_taken(struct dibs_sim_fabric *fabric,
			       const uuid_t *gid)
{
	struct dibs_sim_dev *sdev;

	list_for_each_entry(sdev, &fabric->devs, fabric_list)
		if (uuid_equal(&sdev->dibs->gid, gid))
			return true;
	return false;
}

/*
 * Whether a DMB on the fabric is still granted to @gid: a device that
 * left keeps its grants until their owners revoke them, and a new device
 * with its gid would write into them. Such a gid is refused until then.
 * dibs_sim_lock held, so the membership is stable.
 */
static bool dibs_sim_gid_granted(struct dibs_sim_fabric *fabric,
				 const uuid_t *gid)
{
	struct dibs_sim_dev *sdev;
	struct dibs_sim_dmb *dmb;
	unsigned long idx;
	bool granted = false;

	lockdep_assert_held(&dibs_sim_lock);
	rcu_read_lock();
	list_for_each_entry(sdev, &fabric->devs, fabric_list) {
		xa_for_each(&sdev->dmbs, idx, dmb) {
			if (READ_ONCE(dmb->owner) && uuid_equal(&dmb->rgid, gid)) {
				granted = true;
				goto out;
			}
		}
	}
out:
	rcu_read_unlock();
	return granted;
}

static int dibs_sim_fail_errno_get(void *data, u64 *val)
{
	struct dibs_sim_dev *sdev = data;

	*val = READ_ONCE(sdev->fail_errno);
	return 0;
}

/* Only a real errno: 0 would make a failed move look like success. */
static int dibs_sim_fail_errno_set(void *data, u64 val)
{
	struct dibs_sim_dev *sdev = data;

	if (!val || val > MAX_ERRNO)
		return -EINVAL;
	WRITE_ONCE(sdev->fail_errno, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(dibs_sim_fail_errno_fops, dibs_sim_fail_errno_get,
			 dibs_sim_fail_errno_set, "%llu\n");

static void dibs_sim_debugfs_add(struct dibs_sim_dev *sdev)
{
	sdev->debugfs = debugfs_create_dir(dev_name(&sdev->dibs->dev),
					   dibs_sim_debugfs);
	debugfs_create_atomic_t("fail_count", 0600, sdev->debugfs,
				&sdev->fail_count);
	debugfs_create_file_unsafe("fail_errno", 0600, sdev->debugfs, sdev,
				   &dibs_sim_fail_errno_fops);
}

static struct dibs_dev *dibs_sim_create(const struct dibs_soft_params *params,
					struct netlink_ext_ack *extack)
{
	struct dibs_sim_fabric *fabric;
	struct dibs_sim_dev *sdev;
	struct dibs_dev *dibs;
	int ret;

	if (!params->has_fabric_id) {
		NL_SET_ERR_MSG(extack, "sim devices need a fabric id");
		return ERR_PTR(-EINVAL);
	}
	if (params->fabric_id == DIBS_LOOPBACK_FABRIC) {
		NL_SET_ERR_MSG(extack, "fabric 0xffff is the loopback fabric");
		return ERR_PTR(-EINVAL);
	}

	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	dibs = dibs_dev_alloc();
	if (!sdev || !dibs) {
		ret = -ENOMEM;
		goto err_free;
	}
	xa_init_flags(&sdev->dmbs, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_BH);
	init_llist_head(&sdev->signals);
	INIT_WORK(&sdev->signal_work, dibs_sim_signal_work_fn);
	sdev->fail_errno = EIO;
	sdev->dibs = dibs;
	dibs->drv_priv = sdev;
	dibs->ops = &dibs_sim_ops;
	dibs_evq_init(&sdev->evq, dibs);
	ret = dibs_soft_dev_init(dibs, &dibs_sim_type, params);
	if (ret)
		goto err_free;

	mutex_lock(&dibs_sim_lock);
	fabric = dibs_sim_fabric_get(params->fabric_id);
	if (!fabric) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	if (dibs_sim_gid_taken(fabric, &dibs->gid)) {
		NL_SET_ERR_MSG(extack, "a device with this gid is on the fabric");
		ret = -EEXIST;
		goto err_fabric;
	}
	if (dibs_sim_gid_granted(fabric, &dibs->gid)) {
		NL_SET_ERR_MSG(extack,
			       "DMBs on the fabric are still granted to this gid: revoke them first");
		ret = -EADDRINUSE;
		goto err_fabric;
	}
	sdev->fabric = fabric;
	/* Open first: a client's add_dev() may send the device one. */
	dibs_evq_open(&sdev->evq);
	ret = dibs_dev_add(dibs);
	if (ret) {
		dibs_evq_close(&sdev->evq);
		if (ret == -EEXIST)
			NL_SET_ERR_MSG(extack, "a dibs device of that name exists");
		goto err_fabric;
	}
	spin_lock_bh(&fabric->lock);
	list_add_tail_rcu(&sdev->fabric_list, &fabric->devs);
	spin_unlock_bh(&fabric->lock);
	dibs_sim_debugfs_add(sdev);
	mutex_unlock(&dibs_sim_lock);
	return dibs;

err_fabric:
	dibs_sim_fabric_put(fabric);
err_unlock:
	mutex_unlock(&dibs_sim_lock);
err_free:
	if (dibs)
		put_device(&dibs->dev);
	kfree(sdev);
	return ERR_PTR(ret);
}

static void dibs_sim_destroy(struct dibs_dev *dibs)
{
	struct dibs_sim_dev *sdev = to_sim(dibs);
	struct dibs_sim_fabric *fabric = sdev->fabric;
	struct dibs_sim_dmb *dmb;
	unsigned long idx;

	/* Events already sent reach the clients; no more are taken. */
	dibs_evq_close(&sdev->evq);
	/* Clients let go (the core unregisters what they left behind). */
	dibs_dev_del(dibs);
	debugfs_remove_recursive(sdev->debugfs);

	mutex_lock(&dibs_sim_lock);
	dibs_sim_tell_peers(sdev);
	spin_lock_bh(&fabric->lock);
	list_del_rcu(&sdev->fabric_list);
	/*
	 * All unregistered by now (mappings may keep some alive): none
	 * should be left here, and none may point at sdev after it.
	 */
	xa_for_each(&sdev->dmbs, idx, dmb)
		WRITE_ONCE(dmb->owner, NULL);
	spin_unlock_bh(&fabric->lock);
	/* Pending signals hold node references: deliver or drop them. */
	flush_work(&sdev->signal_work);
	xa_destroy(&sdev->dmbs);
	dibs_sim_fabric_put(fabric);
	mutex_unlock(&dibs_sim_lock);

	/* A peer's signal_event() may still look at sdev->evq. */
	kfree_rcu(sdev, rcu);
	put_device(&dibs->dev);
}

static struct dibs_soft_type dibs_sim_type = {
	.kind = "sim",
	.owner = THIS_MODULE,
	.create = dibs_sim_create,
	.destroy = dibs_sim_destroy,
	.state_changed = dibs_sim_state_changed,
};

static int __init dibs_sim_init(void)
{
	int ret;

	dibs_sim_dmb_cache = KMEM_CACHE(dibs_sim_dmb, 0);
	if (!dibs_sim_dmb_cache)
		return -ENOMEM;
	dibs_sim_debugfs = debugfs_create_dir("dibs_sim", NULL);
	ret = dibs_soft_type_register(&dibs_sim_type);
	if (ret) {
		debugfs_remove_recursive(dibs_sim_debugfs);
		kmem_cache_destroy(dibs_sim_dmb_cache);
	}
	return ret;
}

static void __exit dibs_sim_exit(void)
{
	dibs_soft_type_unregister(&dibs_sim_type);
	debugfs_remove_recursive(dibs_sim_debugfs);
	rcu_barrier();		/* the last nodes' call_rcu() */
	kmem_cache_destroy(dibs_sim_dmb_cache);
}

module_init(dibs_sim_init);
module_exit(dibs_sim_exit);
