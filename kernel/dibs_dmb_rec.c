// SPDX-License-Identifier: GPL-2.0
/*
 * The core's records of registered DMBs (struct dibs_dmb_rec): one per DMB
 * from register_dmb() to unregister_dmb(), findable by (scope, token) in
 * one table of all devices and by sba index in the device's own. The ops
 * table of dibs_ops.c adds and removes them; the control plane reads them
 * under RCU.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <kunit/visibility.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <uapi/linux/dibs.h>

#include "dibs_core.h"

/* DMBs each client slot owns, on all devices together */
static atomic_t dibs_client_dmbs[MAX_DIBS_CLIENTS];

/* Every DMB of every device, by (scope, token) */
static struct rhashtable dibs_dmb_table;
static struct kmem_cache *dibs_dmb_rec_cache;

static const struct rhashtable_params dibs_dmb_params = {
	.key_len = offsetofend(struct dibs_dmb_key, scope),
	.key_offset = offsetof(struct dibs_dmb_rec, key),
	.head_offset = offsetof(struct dibs_dmb_rec, node),
	.automatic_shrinking = true,
};

int dibs_client_dmb_count(u8 client_id)
{
	return atomic_read(&dibs_client_dmbs[client_id]);
}
EXPORT_SYMBOL_IF_KUNIT(dibs_client_dmb_count);

/* DMBs @client_id owns on @dibs. Walks the device's records. */
int dibs_client_dev_dmb_count(u8 client_id, struct dibs_dev *dibs)
{
	struct dibs_dmb_rec *rec;
	unsigned long id;
	int n = 0;

	rcu_read_lock();
	xa_for_each(&dibs->dmbs, id, rec)
		n += rec->client_id == client_id;
	rcu_read_unlock();
	return n;
}

u32 dibs_dev_scope(struct dibs_dev *dibs)
{
	u16 fabric = dibs->drv_ops->get_fabric_id(dibs);

	/* Loopback tokens are per device: keep them apart by index. */
	if (fabric == DIBS_LOOPBACK_FABRIC)
		return BIT(16) | dibs->index;
	return fabric;
}

static struct dibs_dmb_rec *dibs_dmb_rec_lookup(u32 scope, u64 token)
{
	struct dibs_dmb_key key = { .token = token, .scope = scope };

	return rhashtable_lookup(&dibs_dmb_table, &key, dibs_dmb_params);
}

/*
 * The record of DMB @token on @dibs, or NULL. Caller holds rcu_read_lock()
 * or otherwise keeps the DMB from going away.
 */
struct dibs_dmb_rec *dibs_dmb_rec_find(struct dibs_dev *dibs, u64 token)
{
	struct dibs_dmb_rec *rec;

	rec = dibs_dmb_rec_lookup(dibs_dev_scope(dibs), token);
	return rec && rec->dibs == dibs ? rec : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(dibs_dmb_rec_find);

static struct dibs_dmb_rec *dibs_dmb_rec_new(struct dibs_dev *dibs,
					     const struct dibs_dmb *dmb,
					     struct dibs_client *client)
{
	struct dibs_dmb_rec *rec;

	rec = kmem_cache_zalloc(dibs_dmb_rec_cache, GFP_KERNEL);
	if (!rec)
		return NULL;
	rec->key.token = dmb->dmb_tok;
	rec->key.scope = dibs_dev_scope(dibs);
	rec->client_id = client->id;
	refcount_set(&rec->refs, 1);
	rec->len = dmb->dmb_len;
	rec->idx = dmb->idx;
	rec->dibs = dibs;
	rec->cpu_addr = dmb->cpu_addr;
	rec->dma_addr = dmb->dma_addr;
	uuid_copy(&rec->rgid, &dmb->rgid);
	return rec;
}

/*
 * Make the record findable, by key and by sba index, unless the device is
 * being deleted (dibs_dmb_recs_release() closed its table: a record
 * linked after that would outlive the device). On failure it may have been
 * seen by RCU readers: free it with dibs_dmb_rec_put().
 */
static int dibs_dmb_rec_link(struct dibs_dev *dibs, struct dibs_dmb_rec *rec)
{
	int ret;

	/* The slot's memory first, so the store below cannot fail. */
	ret = xa_reserve_bh(&dibs->dmbs, rec->idx, GFP_KERNEL);
	if (ret)
		return ret;
	xa_lock_bh(&dibs->dmbs);
	if (dibs->dmbs_closed) {
		ret = -ENODEV;
		goto err_release;
	}
	ret = rhashtable_lookup_insert_fast(&dibs_dmb_table, &rec->node,
					    dibs_dmb_params);
	/* A driver that hands out a token twice is broken. */
	if (ret) {
		ret = ret == -EEXIST ? -EIO : ret;
		goto err_release;
	}
	/*
	 * The driver has just handed out this index, so a record still in
	 * its slot is one whose DMB the driver has already unregistered, on
	 * its way out: replace it. dibs_dmb_rec_unlink() then leaves the
	 * slot alone.
	 */
	__xa_store(&dibs->dmbs, rec->idx, rec, GFP_ATOMIC);
	xa_unlock_bh(&dibs->dmbs);

	atomic_inc(&dibs_client_dmbs[rec->client_id]);
	atomic_inc(&dibs->dmb_count);
	atomic64_inc(&dibs->stats.dmbs_registered);
	dibs_nl_gen_bump_dmbs();
	return 0;

err_release:
	/* Only a reservation of ours: a live record stays. */
	__xa_cmpxchg(&dibs->dmbs, rec->idx, NULL, NULL, GFP_ATOMIC);
	xa_unlock_bh(&dibs->dmbs);
	return ret;
}

/*
 * Take the record out of both tables. Of racing callers exactly one
 * succeeds and must free it; the caller holds rcu_read_lock(). Its index
 * slot is emptied only if the record still has it: a new DMB with the
 * same index may have taken it over (dibs_dmb_rec_link()).
 */
static bool dibs_dmb_rec_unlink(struct dibs_dmb_rec *rec)
{
	if (rhashtable_remove_fast(&dibs_dmb_table, &rec->node,
				   dibs_dmb_params))
		return false;
	xa_cmpxchg_bh(&rec->dibs->dmbs, rec->idx, rec, NULL, 0);
	dibs_nl_gen_bump_dmbs();
	return true;
}

static void dibs_dmb_rec_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(dibs_dmb_rec_cache,
			container_of(head, struct dibs_dmb_rec, rcu));
}

/* Drop a reference; the last one frees the record after a grace period. */
void dibs_dmb_rec_put(struct dibs_dmb_rec *rec)
{
	/* call_rcu, not kfree_rcu: rcu_barrier() at exit must cover it */
	if (refcount_dec_and_test(&rec->refs))
		call_rcu(&rec->rcu, dibs_dmb_rec_free_rcu);
}

/* The DMB as its client registered it, for unregister_dmb(). */
void dibs_dmb_rec_to_dmb(const struct dibs_dmb_rec *rec, struct dibs_dmb *dmb)
{
	memset(dmb, 0, sizeof(*dmb));
	dmb->dmb_tok = rec->key.token;
	dmb->cpu_addr = rec->cpu_addr;
	dmb->dma_addr = rec->dma_addr;
	dmb->dmb_len = rec->len;
	dmb->idx = rec->idx;
	uuid_copy(&dmb->rgid, &rec->rgid);
}

/* The DMB is unregistered: account for it and drop the registration's ref. */
static void dibs_dmb_rec_free(struct dibs_dmb_rec *rec)
{
	struct dibs_dev *dibs = rec->dibs;

	atomic_dec(&dibs_client_dmbs[rec->client_id]);
	atomic_dec(&dibs->dmb_count);
	atomic64_inc(&dibs->stats.dmbs_unregistered);
	dibs_nl_notify_dmb(rec, DIBS_CMD_DMB_DEL_NTF);
	dibs_dmb_rec_put(rec);
}

/*
 * Record DMB @dmb that the driver of @dibs has just registered for
 * @client. Return: the record, linked and counted, or an ERR_PTR (the
 * caller unregisters the DMB from the driver then).
 */
struct dibs_dmb_rec *dibs_dmb_rec_add(struct dibs_dev *dibs,
				      const struct dibs_dmb *dmb,
				      struct dibs_client *client)
{
	struct dibs_dmb_rec *rec;
	int ret;

	rec = dibs_dmb_rec_new(dibs, dmb, client);
	if (!rec)
		return ERR_PTR(-ENOMEM);
	ret = dibs_dmb_rec_link(dibs, rec);
	if (ret) {
		dibs_dmb_rec_put(rec);
		return ERR_PTR(ret);
	}
	return rec;
}

/*
 * The driver of @dibs has unregistered DMB @token: forget its record, if
 * it still has one (a racing release may have taken it).
 */
void dibs_dmb_rec_remove(struct dibs_dev *dibs, u64 token)
{
	struct dibs_dmb_rec *rec;
	bool mine = false;

	rcu_read_lock();
	rec = dibs_dmb_rec_find(dibs, token);
	if (rec)
		mine = dibs_dmb_rec_unlink(rec);
	rcu_read_unlock();
	if (mine)
		dibs_dmb_rec_free(rec);
}

/*
 * A move_data() of @size bytes by @dibs into DMB @token ended with @ret:
 * the target DMB's own counters, found in the writer's scope.
 */
void dibs_dmb_rec_count_write(struct dibs_dev *dibs, u64 token,
			      unsigned int size, bool sf, int ret)
{
	struct dibs_dmb_rec *rec;

	rcu_read_lock();
	rec = dibs_dmb_rec_lookup(dibs_dev_scope(dibs), token);
	if (rec && !ret) {
		atomic64_inc(&rec->writes);
		atomic64_add(size, &rec->write_bytes);
		if (sf)
			atomic64_inc(&rec->signals);
	} else if (rec && ret == -EACCES) {
		atomic64_inc(&rec->refused);
	}
	rcu_read_unlock();
}

void dibs_dmb_recs_init_dev(struct dibs_dev *dibs)
{
	xa_init_flags(&dibs->dmbs, XA_FLAGS_LOCK_BH);
	atomic_set(&dibs->dmb_count, 0);
}

/*
 * After every client got del_dev(), unregister whatever DMBs a client left
 * behind, so the driver can free its device without leaking buffers. The
 * table is closed first: a register_dmb() that races with this (a client
 * that registers after its del_dev()) fails instead of linking a record
 * nobody would release.
 */
void dibs_dmb_recs_release(struct dibs_dev *dibs)
{
	struct dibs_dmb_rec *rec;
	struct dibs_dmb dmb;
	unsigned long id;
	bool mine;

	xa_lock_bh(&dibs->dmbs);
	WRITE_ONCE(dibs->dmbs_closed, true);
	xa_unlock_bh(&dibs->dmbs);

	for (id = 0; ; id++) {
		/* Found and unlinked in one RCU section: the record is ours. */
		rcu_read_lock();
		rec = xa_find(&dibs->dmbs, &id, ULONG_MAX, XA_PRESENT);
		mine = rec && dibs_dmb_rec_unlink(rec);
		rcu_read_unlock();
		if (!rec)
			break;
		if (!mine)
			continue;

		dev_info(&dibs->dev,
			 "releasing DMB 0x%016llx that client %u left behind\n",
			 rec->key.token, rec->client_id);
		dibs_dmb_rec_to_dmb(rec, &dmb);
		dibs->drv_ops->unregister_dmb(dibs, &dmb);
		dibs_dmb_rec_free(rec);
	}
	xa_destroy(&dibs->dmbs);
}

int dibs_dmb_recs_init(void)
{
	int ret;

	dibs_dmb_rec_cache = KMEM_CACHE(dibs_dmb_rec, 0);
	if (!dibs_dmb_rec_cache)
		return -ENOMEM;
	ret = rhashtable_init(&dibs_dmb_table, &dibs_dmb_params);
	if (ret)
		kmem_cache_destroy(dibs_dmb_rec_cache);
	return ret;
}

void dibs_dmb_recs_exit(void)
{
	/* Every device is gone, so every record was freed. */
	rhashtable_destroy(&dibs_dmb_table);
	rcu_barrier();		/* the last records' call_rcu() */
	kmem_cache_destroy(dibs_dmb_rec_cache);
}
