// SPDX-License-Identifier: GPL-2.0
/*
 * dibs loopback: a soft device that shares buffers with itself.
 *
 * Every loopback device is on fabric 0xffff and reaches only its own gid,
 * so a DMB is written by the device that owns it: a client (SMC-D, a test)
 * talks to itself through the full DIBS API with no hardware. Module load
 * creates "lo" as upstream does; more come from the "loopback" soft type.
 */
#define pr_fmt(fmt) "dibs_loopback: " fmt

#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/dibs.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "dibs_dmb_buf.h"
#include "dibs_dmb_store.h"
#include "dibs_soft_evq.h"

MODULE_DESCRIPTION("dibs loopback device");
MODULE_LICENSE("GPL");

#define DIBS_LO_MAX_DMBS	5000
/* 4 MiB with 4 KiB pages: one contiguous block (dibs_dmb_buf.h) */
#define DIBS_LO_MAX_DMB_LEN	DIBS_DMB_BUF_MAX
#define DIBS_LO_HASH_BITS	12	/* ~1 DMB per bucket when full */
#define DIBS_LO_SIGNAL_BITS	16	/* width of the dmbemask */

struct dibs_lo_dmb {
	struct hlist_node node;		/* in dibs_lo_dev.dmb_ht */
	u64 token;
	void *cpu_addr;
	u32 len;
	u32 sba_idx;
	uuid_t rgid;
	/*
	 * The buffer lives while its owner holds it (!unregistered) or a
	 * mapping exists (attached > 0); the last of them frees it.
	 */
	bool unregistered;
	u32 attached;
};

struct dibs_lo_dev {
	struct dibs_dev *dibs;
	rwlock_t dmb_ht_lock;		/* protects dmb_ht, sba_bitmap, nodes */
	DECLARE_HASHTABLE(dmb_ht, DIBS_LO_HASH_BITS);
	DECLARE_BITMAP(sba_bitmap, DIBS_LO_MAX_DMBS);
	struct dibs_evq evq;		/* events the device sends itself */
};

static struct dibs_soft_type dibs_lo_type;
/* DMB nodes: a cache of their own size, not the next kmalloc size up */
static struct kmem_cache *dibs_lo_dmb_cache;

static struct dibs_lo_dev *to_lo(struct dibs_dev *dibs)
{
	return dibs->drv_priv;
}

static struct dibs_lo_dmb *dibs_lo_find(struct dibs_lo_dev *ldev, u64 token)
{
	struct dibs_lo_dmb *node;

	hash_for_each_possible(ldev->dmb_ht, node, node, token)
		if (node->token == token)
			return node;
	return NULL;
}

/* Unlink a node nobody holds any more; the caller frees it unlocked. */
static bool dibs_lo_dmb_unused(struct dibs_lo_dev *ldev,
			       struct dibs_lo_dmb *node)
{
	if (!node->unregistered || node->attached)
		return false;
	hash_del(&node->node);
	clear_bit(node->sba_idx, ldev->sba_bitmap);
	return true;
}

static void dibs_lo_dmb_free(struct dibs_lo_dmb *node)
{
	dibs_dmb_buf_free(node->cpu_addr);
	kmem_cache_free(dibs_lo_dmb_cache, node);
}

static u16 dibs_lo_get_fabric_id(struct dibs_dev *dibs)
{
	return DIBS_LOOPBACK_FABRIC;
}

static int dibs_lo_query_remote_gid(struct dibs_dev *dibs, const uuid_t *rgid,
				    u32 vid_valid, u32 vid)
{
	return uuid_equal(rgid, &dibs->gid) ? 0 : -ENETUNREACH;
}

static int dibs_lo_max_dmbs(void)
{
	return DIBS_LO_MAX_DMBS;
}

/* Who owns sba index @idx, for the signal path (upstream's layout). */
static void dibs_lo_set_clientid(struct dibs_dev *dibs, u32 idx, u8 id)
{
	unsigned long flags;

	spin_lock_irqsave(&dibs->lock, flags);
	dibs->dmb_clientid_arr[idx] = id;
	spin_unlock_irqrestore(&dibs->lock, flags);
}

/*
 * Raise signal bit @bit of DMB @idx at its owner, the client in subs[]:
 * none once the client's slot is cleared (it is going away) or the DMB is
 * unregistered. Bottom halves are off, the closest a soft device gets to
 * the IRQ context clients must expect.
 */
static void dibs_lo_signal(struct dibs_dev *dibs, u32 idx, unsigned int bit)
{
	struct dibs_client *client = NULL;
	unsigned long flags;
	u8 id;

	spin_lock_irqsave(&dibs->lock, flags);
	id = dibs->dmb_clientid_arr[idx];
	if (id < MAX_DIBS_CLIENTS)
		client = dibs->subs[id];
	if (client && client->ops->handle_irq)
		client->ops->handle_irq(dibs, idx, BIT(bit));
	spin_unlock_irqrestore(&dibs->lock, flags);
}

/* Pick the DMB's index: the one asked for, or the first free one. */
static int dibs_lo_take_sba_idx(struct dibs_lo_dev *ldev, u32 wanted)
{
	unsigned long idx;

	if (wanted) {
		if (wanted >= DIBS_LO_MAX_DMBS ||
		    test_and_set_bit(wanted, ldev->sba_bitmap))
			return -EINVAL;
		return wanted;
	}
	idx = find_first_zero_bit(ldev->sba_bitmap, DIBS_LO_MAX_DMBS);
	if (idx >= DIBS_LO_MAX_DMBS)
		return -ENOSPC;
	set_bit(idx, ldev->sba_bitmap);
	return idx;
}

static int dibs_lo_register_dmb(struct dibs_dev *dibs, struct dibs_dmb *dmb,
				struct dibs_client *client)
{
	struct dibs_lo_dev *ldev = to_lo(dibs);
	struct dibs_lo_dmb *node;
	int idx;
	u64 token;

	if (!dmb->dmb_len || dmb->dmb_len > DIBS_LO_MAX_DMB_LEN)
		return -EINVAL;

	/* No warning on failure: running out is an answer, not a bug. */
	node = kmem_cache_zalloc(dibs_lo_dmb_cache, GFP_KERNEL | __GFP_NOWARN);
	if (!node)
		return -ENOMEM;
	node->cpu_addr = dibs_dmb_buf_alloc(dmb->dmb_len);
	if (!node->cpu_addr) {
		kmem_cache_free(dibs_lo_dmb_cache, node);
		return -ENOMEM;
	}
	node->len = dmb->dmb_len;
	uuid_copy(&node->rgid, &dmb->rgid);

	write_lock_bh(&ldev->dmb_ht_lock);
	idx = dibs_lo_take_sba_idx(ldev, dmb->idx);
	if (idx < 0) {
		write_unlock_bh(&ldev->dmb_ht_lock);
		dibs_lo_dmb_free(node);
		return idx;
	}
	/* Tokens are random so that one cannot guess another's; 0 is none. */
	do {
		token = get_random_u64();
	} while (!token || dibs_lo_find(ldev, token));
	node->token = token;
	node->sba_idx = idx;
	hash_add(ldev->dmb_ht, &node->node, token);
	write_unlock_bh(&ldev->dmb_ht_lock);
	dibs_lo_set_clientid(dibs, idx, client->id);

	dmb->dmb_tok = token;
	dmb->idx = idx;
	dmb->cpu_addr = node->cpu_addr;
	dmb->dma_addr = 0;
	return 0;
}

static int dibs_lo_unregister_dmb(struct dibs_dev *dibs, struct dibs_dmb *dmb)
{
	struct dibs_lo_dev *ldev = to_lo(dibs);
	struct dibs_lo_dmb *node;
	bool unused;

	write_lock_bh(&ldev->dmb_ht_lock);
	node = dibs_lo_find(ldev, dmb->dmb_tok);
	if (!node || node->unregistered) {
		write_unlock_bh(&ldev->dmb_ht_lock);
		return -ENOENT;
	}
	node->unregistered = true;
	/* Under the table lock: a signal in flight holds it for reading. */
	dibs_lo_set_clientid(dibs, node->sba_idx, NO_DIBS_CLIENT);
	unused = dibs_lo_dmb_unused(ldev, node);
	write_unlock_bh(&ldev->dmb_ht_lock);

	if (unused)
		dibs_lo_dmb_free(node);
	return 0;
}

static int dibs_lo_move_data(struct dibs_dev *dibs, u64 dmb_tok,
			     unsigned int idx, bool sf, unsigned int offset,
			     void *data, unsigned int size)
{
	struct dibs_lo_dev *ldev = to_lo(dibs);
	struct dibs_lo_dmb *node;
	unsigned int end;

	if (sf && idx >= DIBS_LO_SIGNAL_BITS)
		return -EINVAL;

	read_lock_bh(&ldev->dmb_ht_lock);
	node = dibs_lo_find(ldev, dmb_tok);
	if (!node || node->unregistered) {
		read_unlock_bh(&ldev->dmb_ht_lock);
		return -ENOENT;
	}
	/* The fabric lets only the granted remote device write. */
	if (!uuid_equal(&node->rgid, &dibs->gid)) {
		read_unlock_bh(&ldev->dmb_ht_lock);
		return -EACCES;
	}
	if (check_add_overflow(offset, size, &end) || end > node->len) {
		read_unlock_bh(&ldev->dmb_ht_lock);
		return -EINVAL;
	}
	dibs_dmb_store(node->cpu_addr + offset, data, size);
	/*
	 * Still under the table lock: the DMB cannot be unregistered and
	 * its index handed to another DMB before its signal is delivered.
	 */
	if (sf)
		dibs_lo_signal(dibs, node->sba_idx, idx);
	read_unlock_bh(&ldev->dmb_ht_lock);
	return 0;
}

static int dibs_lo_support_mmapped_rdmb(struct dibs_dev *dibs)
{
	return 1;
}

/* Map a DMB granted to this device for direct writes. */
static int dibs_lo_attach_dmb(struct dibs_dev *dibs, struct dibs_dmb *dmb)
{
	struct dibs_lo_dev *ldev = to_lo(dibs);
	struct dibs_lo_dmb *node;
	int ret = 0;

	write_lock_bh(&ldev->dmb_ht_lock);
	node = dibs_lo_find(ldev, dmb->dmb_tok);
	if (!node || node->unregistered) {
		ret = -ENOENT;
	} else if (!uuid_equal(&node->rgid, &dibs->gid)) {
		ret = -EACCES;
	} else {
		node->attached++;
		dmb->cpu_addr = node->cpu_addr;
		dmb->dma_addr = 0;
		dmb->dmb_len = node->len;
		dmb->idx = node->sba_idx;
		uuid_copy(&dmb->rgid, &node->rgid);
	}
	write_unlock_bh(&ldev->dmb_ht_lock);
	return ret;
}

static int dibs_lo_detach_dmb(struct dibs_dev *dibs, u64 token)
{
	struct dibs_lo_dev *ldev = to_lo(dibs);
	struct dibs_lo_dmb *node;
	bool unused;

	write_lock_bh(&ldev->dmb_ht_lock);
	node = dibs_lo_find(ldev, token);
	if (!node || !node->attached) {
		write_unlock_bh(&ldev->dmb_ht_lock);
		return -ENOENT;
	}
	node->attached--;
	unused = dibs_lo_dmb_unused(ldev, node);
	write_unlock_bh(&ldev->dmb_ht_lock);

	if (unused)
		dibs_lo_dmb_free(node);
	return 0;
}

/*
 * A software event to the device itself, the only gid it reaches. It is
 * delivered from a work item (dibs_soft_evq.h), never in the sender's
 * context: @trigger_irq makes no difference here.
 */
static int dibs_lo_signal_event(struct dibs_dev *dibs, const uuid_t *rgid,
				u32 trigger_irq, u32 event_code, u64 info)
{
	if (!uuid_equal(rgid, &dibs->gid))
		return -ENETUNREACH;
	return dibs_evq_push(&to_lo(dibs)->evq, &dibs->gid, event_code, info);
}

static const struct dibs_dev_ops dibs_lo_ops = {
	.get_fabric_id = dibs_lo_get_fabric_id,
	.query_remote_gid = dibs_lo_query_remote_gid,
	.max_dmbs = dibs_lo_max_dmbs,
	.register_dmb = dibs_lo_register_dmb,
	.unregister_dmb = dibs_lo_unregister_dmb,
	.move_data = dibs_lo_move_data,
	.support_mmapped_rdmb = dibs_lo_support_mmapped_rdmb,
	.attach_dmb = dibs_lo_attach_dmb,
	.detach_dmb = dibs_lo_detach_dmb,
	.signal_event = dibs_lo_signal_event,
};

/* Free what is left once no client can reach the device any more. */
static void dibs_lo_free_dev(struct dibs_lo_dev *ldev)
{
	struct dibs_lo_dmb *node;
	struct hlist_node *tmp;
	int bkt;

	hash_for_each_safe(ldev->dmb_ht, bkt, tmp, node, node) {
		hash_del(&node->node);
		dibs_lo_dmb_free(node);
	}
	kvfree(ldev);
}

static struct dibs_dev *dibs_lo_create(const struct dibs_soft_params *params,
				       struct netlink_ext_ack *extack)
{
	struct dibs_lo_dev *ldev;
	struct dibs_dev *dibs;
	int ret;

	if (params->has_fabric_id &&
	    params->fabric_id != DIBS_LOOPBACK_FABRIC) {
		NL_SET_ERR_MSG(extack,
			       "loopback devices are always on fabric 0xffff");
		return ERR_PTR(-EINVAL);
	}

	ldev = kvzalloc(sizeof(*ldev), GFP_KERNEL);
	if (!ldev)
		return ERR_PTR(-ENOMEM);
	rwlock_init(&ldev->dmb_ht_lock);
	hash_init(ldev->dmb_ht);

	dibs = dibs_dev_alloc();
	if (!dibs) {
		kvfree(ldev);
		return ERR_PTR(-ENOMEM);
	}
	ldev->dibs = dibs;
	dibs->drv_priv = ldev;
	dibs->ops = &dibs_lo_ops;
	dibs_evq_init(&ldev->evq, dibs);
	ret = dibs_soft_dev_init(dibs, &dibs_lo_type, params);
	if (!ret) {
		/* Open first: a client's add_dev() may send itself one. */
		dibs_evq_open(&ldev->evq);
		ret = dibs_dev_add(dibs);
	}
	if (ret) {
		dibs_evq_close(&ldev->evq);
		if (ret == -EEXIST)
			NL_SET_ERR_MSG(extack, "a dibs device of that name exists");
		put_device(&dibs->dev);
		kvfree(ldev);
		return ERR_PTR(ret);
	}
	return dibs;
}

static void dibs_lo_destroy(struct dibs_dev *dibs)
{
	struct dibs_lo_dev *ldev = to_lo(dibs);

	/* Events already sent reach the clients; no more are taken. */
	dibs_evq_close(&ldev->evq);
	/* Clients are told and the core unregisters what they left. */
	dibs_dev_del(dibs);
	dibs_lo_free_dev(ldev);
	put_device(&dibs->dev);
}

static struct dibs_soft_type dibs_lo_type = {
	.kind = "loopback",
	.owner = THIS_MODULE,
	.create = dibs_lo_create,
	.destroy = dibs_lo_destroy,
};

static int __init dibs_lo_init(void)
{
	const struct dibs_soft_params lo = { .name = "lo" };
	struct dibs_dev *dibs;
	int ret;

	dibs_lo_dmb_cache = KMEM_CACHE(dibs_lo_dmb, 0);
	if (!dibs_lo_dmb_cache)
		return -ENOMEM;
	ret = dibs_soft_type_register(&dibs_lo_type);
	if (ret)
		goto err_cache;
	dibs = dibs_soft_dev_new(dibs_lo_type.kind, &lo, NULL);
	if (IS_ERR(dibs)) {
		ret = PTR_ERR(dibs);
		goto err_type;
	}
	put_device(&dibs->dev);
	return 0;

err_type:
	dibs_soft_type_unregister(&dibs_lo_type);
err_cache:
	kmem_cache_destroy(dibs_lo_dmb_cache);
	return ret;
}

static void __exit dibs_lo_exit(void)
{
	/* Destroys "lo" and every loopback device made at run time. */
	dibs_soft_type_unregister(&dibs_lo_type);
	kmem_cache_destroy(dibs_lo_dmb_cache);
}

module_init(dibs_lo_init);
module_exit(dibs_lo_exit);
