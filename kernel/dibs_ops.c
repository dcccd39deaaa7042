// SPDX-License-Identifier: GPL-2.0
/*
 * The core's ops table in front of every driver.
 *
 * Clients call dibs->ops->register_dmb() and friends directly, as upstream
 * does, so the only place the core can see DMBs come and go is the ops
 * table itself. dibs_dev_add() swaps the driver's table for a per-device
 * copy in which the DMB and data-path ops are the core's and every other op
 * is the driver's own (optional ops stay NULL when the driver has none, so
 * clients' "is it supported" checks keep working).
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "dibs_core.h"

/* DMBs each client slot owns, on all devices together */
static atomic_t dibs_client_dmbs[MAX_DIBS_CLIENTS];

static const struct rhashtable_params dibs_dmb_params = {
	.key_len = sizeof(u64),
	.key_offset = offsetof(struct dibs_dmb_rec, token),
	.head_offset = offsetof(struct dibs_dmb_rec, node),
	.automatic_shrinking = true,
};

int dibs_client_dmb_count(u8 client_id)
{
	return atomic_read(&dibs_client_dmbs[client_id]);
}

static bool dibs_client_is_registered(struct dibs_client *client)
{
	return client && client->id < MAX_DIBS_CLIENTS &&
	       dibs_client_by_id(client->id) == client;
}

static int dibs_core_register_dmb(struct dibs_dev *dibs, struct dibs_dmb *dmb,
				  struct dibs_client *client)
{
	struct dibs_dmb_rec *rec;
	int ret;

	if (!dibs_client_is_registered(client))
		return -EINVAL;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;

	ret = dibs->drv_ops->register_dmb(dibs, dmb, client);
	if (ret) {
		kfree(rec);
		return ret;
	}

	rec->token = dmb->dmb_tok;
	rec->client_id = client->id;
	rec->len = dmb->dmb_len;
	rec->idx = dmb->idx;
	rec->cpu_addr = dmb->cpu_addr;
	rec->dma_addr = dmb->dma_addr;
	uuid_copy(&rec->rgid, &dmb->rgid);

	spin_lock_bh(&dibs->dmbs_lock);
	ret = rhashtable_lookup_insert_fast(&dibs->dmbs, &rec->node,
					    dibs_dmb_params);
	if (!ret)
		list_add_tail(&rec->list, &dibs->dmb_list);
	spin_unlock_bh(&dibs->dmbs_lock);
	if (ret) {
		/* A driver that hands out a token twice is broken: undo. */
		dev_err(&dibs->dev, "cannot track DMB 0x%016llx: %d\n",
			dmb->dmb_tok, ret);
		dibs->drv_ops->unregister_dmb(dibs, dmb);
		kfree(rec);
		return ret == -EEXIST ? -EIO : ret;
	}

	atomic_inc(&dibs_client_dmbs[client->id]);
	atomic_inc(&dibs->dmb_count);
	atomic64_inc(&dibs->stats.dmbs_registered);
	return 0;
}

/* Take the record of @token out of the tables; NULL if there is none. */
static struct dibs_dmb_rec *dibs_rec_unlink(struct dibs_dev *dibs, u64 token)
{
	struct dibs_dmb_rec *rec;

	spin_lock_bh(&dibs->dmbs_lock);
	rec = rhashtable_lookup_fast(&dibs->dmbs, &token, dibs_dmb_params);
	if (rec) {
		rhashtable_remove_fast(&dibs->dmbs, &rec->node,
				       dibs_dmb_params);
		list_del(&rec->list);
	}
	spin_unlock_bh(&dibs->dmbs_lock);
	return rec;
}

static void dibs_dmb_rec_free(struct dibs_dev *dibs, struct dibs_dmb_rec *rec)
{
	atomic_dec(&dibs_client_dmbs[rec->client_id]);
	atomic_dec(&dibs->dmb_count);
	atomic64_inc(&dibs->stats.dmbs_unregistered);
	kfree_rcu(rec, rcu);
}

static int dibs_core_unregister_dmb(struct dibs_dev *dibs,
				    struct dibs_dmb *dmb)
{
	struct dibs_dmb_rec *rec;
	int ret;

	/*
	 * The driver decides first: it refuses tokens it does not know, so
	 * a second unregister of one DMB never reaches the record twice.
	 */
	ret = dibs->drv_ops->unregister_dmb(dibs, dmb);
	if (ret)
		return ret;

	rec = dibs_rec_unlink(dibs, dmb->dmb_tok);
	if (rec)
		dibs_dmb_rec_free(dibs, rec);
	return 0;
}

static int dibs_core_move_data(struct dibs_dev *dibs, u64 dmb_tok,
			       unsigned int idx, bool sf, unsigned int offset,
			       void *data, unsigned int size)
{
	int ret;

	ret = dibs->drv_ops->move_data(dibs, dmb_tok, idx, sf, offset, data,
				       size);
	if (ret) {
		atomic64_inc(&dibs->stats.move_errors);
		return ret;
	}
	atomic64_inc(&dibs->stats.moves);
	atomic64_add(size, &dibs->stats.move_bytes);
	if (sf)
		atomic64_inc(&dibs->stats.signals);
	return 0;
}

/* Set up the per-device DMB table; undone by dibs_ops_destroy_dev(). */
int dibs_ops_init_dev(struct dibs_dev *dibs)
{
	spin_lock_init(&dibs->dmbs_lock);
	INIT_LIST_HEAD(&dibs->dmb_list);
	atomic_set(&dibs->dmb_count, 0);
	return rhashtable_init(&dibs->dmbs, &dibs_dmb_params);
}

void dibs_ops_destroy_dev(struct dibs_dev *dibs)
{
	/* Every record was released by dibs_dev_del() or never existed. */
	rhashtable_destroy(&dibs->dmbs);
}

/* Put the core's table in front of the driver's (validated) ops. */
void dibs_ops_install(struct dibs_dev *dibs)
{
	const struct dibs_dev_ops *drv = dibs->ops;
	struct dibs_dev_ops *ops = &dibs->core_ops;

	*ops = *drv;
	ops->register_dmb = dibs_core_register_dmb;
	ops->unregister_dmb = dibs_core_unregister_dmb;
	ops->move_data = dibs_core_move_data;
	dibs->drv_ops = drv;
	dibs->ops = ops;
}

/* Give the driver its own ops back, e.g. when dibs_dev_add() fails. */
void dibs_ops_uninstall(struct dibs_dev *dibs)
{
	if (dibs->drv_ops)
		dibs->ops = dibs->drv_ops;
}

/*
 * After every client got del_dev(), unregister whatever DMBs a client left
 * behind, so the driver can free its device without leaking buffers.
 */
void dibs_ops_release_leftovers(struct dibs_dev *dibs)
{
	struct dibs_dmb_rec *rec;
	struct dibs_dmb dmb;

	for (;;) {
		spin_lock_bh(&dibs->dmbs_lock);
		rec = list_first_entry_or_null(&dibs->dmb_list,
					       struct dibs_dmb_rec, list);
		if (rec) {
			rhashtable_remove_fast(&dibs->dmbs, &rec->node,
					       dibs_dmb_params);
			list_del(&rec->list);
		}
		spin_unlock_bh(&dibs->dmbs_lock);
		if (!rec)
			break;

		dev_info(&dibs->dev,
			 "releasing DMB 0x%016llx that client %u left behind\n",
			 rec->token, rec->client_id);
		memset(&dmb, 0, sizeof(dmb));
		dmb.dmb_tok = rec->token;
		dmb.cpu_addr = rec->cpu_addr;
		dmb.dma_addr = rec->dma_addr;
		dmb.dmb_len = rec->len;
		dmb.idx = rec->idx;
		uuid_copy(&dmb.rgid, &rec->rgid);
		dibs->drv_ops->unregister_dmb(dibs, &dmb);
		dibs_dmb_rec_free(dibs, rec);
	}
}
