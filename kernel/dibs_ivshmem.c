// SPDX-License-Identifier: GPL-2.0
/*
 * dibs ivshmem: a dibs device on QEMU's ivshmem-doorbell PCI device.
 *
 * The host's dibs-ivshmem-server shares one memory region (BAR2) between
 * VMs and hands each VM's device a peer id (IVPosition). The region's
 * layout, version 2, is the contract between the server and every guest:
 * uapi/ivshmem-layout.md and uapi/linux/dibs_ivshmem.h. This driver is one
 * guest's side of it: it registers DMBs in its own partition, writes into
 * DMBs of other peers with move_data(), puts software events into their
 * mailboxes with signal_event(), and rings their doorbells.
 *
 * Every value read from the region may have been written by a hostile or
 * broken peer: the header is checked once at probe and only the driver's
 * copy is used afterwards; descriptors and peer entries are read once into
 * locals and checked against that copy before any use.
 *
 * Byte order: the region is little-endian. Atomic updates of shared words
 * (writers, signal_mask, the pending-DMB and pending-mailbox bitmaps) are
 * done as exchanges or compare-and-exchange loops on the little-endian
 * value, so they are correct on big-endian CPUs too; a plain atomic_inc()
 * on the word would not be. They need 64-bit cmpxchg: this driver is for
 * 64-bit kernels.
 */
#define pr_fmt(fmt) "dibs_ivshmem: " fmt

#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/dibs.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>
#include <uapi/linux/dibs_ivshmem.h>

#include "dibs_dmb_store.h"

MODULE_DESCRIPTION("dibs device on QEMU ivshmem-doorbell");
MODULE_LICENSE("GPL");

#define DIBS_IVS_DRV_NAME	"ivshmem"	/* the dibs device type */
#define DIBS_IVS_BAR_REGS	0
#define DIBS_IVS_BAR_SHM	2
#define DIBS_IVS_PEER_SIZE	64
#define DIBS_IVS_DESC_SIZE	64
#define DIBS_IVS_MBOX_HDR	sizeof(struct dibs_ivshmem_mbox)
#define DIBS_IVS_EVENT_SIZE	sizeof(struct dibs_ivshmem_event)
/* How long unregister waits for writers in flight, per the layout. */
#define DIBS_IVS_WRITERS_WAIT_MS 1000

/* The part of the header the driver uses, checked, in CPU byte order. */
struct dibs_ivs_layout {
	u64 region_size;
	u64 peer_table_offset;
	u64 partitions_offset;
	u64 partition_size;
	u64 data_size;
	u32 max_peers;
	u32 dmbs_per_peer;
	u32 summary_offset;
	u32 desc_offset;
	u32 data_offset;
	u32 event_summary_offset;
	u32 mbox_offset;
	u32 mbox_size;
	u32 mbox_slots;		/* a power of two */
	u16 fabric_id;
	u16 vectors;
};

enum dibs_ivs_slot_state {
	DIBS_IVS_SLOT_FREE,
	DIBS_IVS_SLOT_USED,
	DIBS_IVS_SLOT_FREEING,	/* unregister_dmb() waits for writers */
	/*
	 * Unregistered, but a writer never left or a peer still has the
	 * buffer attached: slot and buffer stay out of use until the shared
	 * writers and attached counts read 0 (dibs_ivs_reclaim()).
	 */
	DIBS_IVS_SLOT_HELD,
};

/* The owner's own record of a descriptor slot; the region's is untrusted. */
struct dibs_ivs_slot {
	u64 token;
	u32 first_page;		/* in the data area, DIBS_IVSHMEM_PAGE units */
	u32 npages;
	u32 len;		/* the DMB's, while USED */
	u16 seq;		/* use count of the slot, the token's low bits */
	u8 state;
};

/* A remote DMB this device attached (attach_dmb()), until detached. */
struct dibs_ivs_attach {
	struct list_head list;
	u64 token;
	struct dibs_ivshmem_dmb_desc *desc;	/* in the owner's partition */
};

/*
 * A userspace mapping's hold on a DMB's buffer (dibs_ivs_map_ops): one
 * count in the descriptor's attached, as an attachment has - the writer's
 * on a remote DMB, or the owner's on its own. While it is up, the owner
 * does not reuse slot or buffer, across an unregister too; the device's
 * removal, which takes the mapping's pages first, lets go of it.
 * dibs_ivs_umap_lock protects every hold's list and ivs.
 */
struct dibs_ivs_umap {
	struct list_head list;		/* in ivs->umaps while ivs is set */
	struct dibs_ivs_dev *ivs;	/* NULL once the device was removed */
	struct dibs_ivshmem_dmb_desc *desc;
};

static DEFINE_SPINLOCK(dibs_ivs_umap_lock);

/* What the last scan of the peer table found, for departure events. */
struct dibs_ivs_peer_seen {
	bool up;
	u32 generation;
	uuid_t gid;
};

struct dibs_ivs_dev {
	struct pci_dev *pdev;
	struct dibs_dev *dibs;
	void __iomem *regs;		/* BAR0 */
	void *shm;			/* BAR2, mapped write-back */
	struct dibs_ivs_layout lay;
	u32 peer_id;			/* IVPosition */
	u32 generation;			/* of our peer id, read at probe */
	int index;			/* the N of "ivshmemN" */

	/* Our partition: bitmap, descriptors and data area. */
	__le64 *summary;
	struct dibs_ivshmem_dmb_desc *descs;
	void *data;
	u32 data_pages;

	/* Our partition's event part: pending bitmap and mailboxes. */
	__le64 *ev_summary;
	/* Per sender: the events we took from its mailbox (ev_work only). */
	u32 *ev_tail;
	struct work_struct ev_work;
	/* Serialises our sends: we are the only producer of our mailboxes. */
	spinlock_t send_lock;

	/* Protects slots[], page_map and held: the DMB allocator. */
	spinlock_t alloc_lock;
	struct dibs_ivs_slot *slots;
	unsigned long *page_map;
	u32 held;		/* slots in state HELD */

	/* Remote DMBs attached by this device. */
	spinlock_t att_lock;
	struct list_head attached;
	/* Holds of userspace mappings (dibs_ivs_umap), remote or our own. */
	struct list_head umaps;

	/*
	 * Only peers_work reads and writes it after probe; a work item never
	 * runs concurrently with itself, so it needs no lock.
	 */
	struct dibs_ivs_peer_seen *seen;
	struct work_struct peers_work;
};

static DEFINE_IDA(dibs_ivs_ida);

static struct dibs_ivs_dev *to_ivs(struct dibs_dev *dibs)
{
	return dibs->drv_priv;
}

/* Atomic add to a shared little-endian counter, for any CPU byte order. */
static void dibs_ivs_le32_add(__le32 *p, int delta)
{
	__le32 old = READ_ONCE(*p);
	__le32 new;

	do {
		new = cpu_to_le32(le32_to_cpu(old) + delta);
	} while (!try_cmpxchg(p, &old, new));
}

/* Atomic OR into a shared little-endian word: OR commutes with the swap. */
static void dibs_ivs_le64_or(__le64 *p, u64 bits)
{
	__le64 old = READ_ONCE(*p);

	while (!try_cmpxchg(p, &old, old | cpu_to_le64(bits)))
		cpu_relax();
}

static struct dibs_ivshmem_peer *dibs_ivs_peer(struct dibs_ivs_dev *ivs,
					       u32 id)
{
	return ivs->shm + ivs->lay.peer_table_offset +
	       (u64)id * DIBS_IVS_PEER_SIZE;
}

static void *dibs_ivs_partition(struct dibs_ivs_dev *ivs, u32 id)
{
	return ivs->shm + ivs->lay.partitions_offset +
	       (u64)id * ivs->lay.partition_size;
}

/*
 * Read peer @id's entry once. Return: whether the peer is up (ALIVE, UP and
 * its guest fields of this generation); its generation and gid in any case.
 */
static bool dibs_ivs_peer_read(struct dibs_ivs_dev *ivs, u32 id, u32 *gen,
			       uuid_t *gid)
{
	struct dibs_ivshmem_peer *p = dibs_ivs_peer(ivs, id);
	u32 srv, gstate, ggen;

	/* Pairs with the server's smp_wmb() between generation and state. */
	srv = le32_to_cpu(smp_load_acquire(&p->srv_state));
	*gen = le32_to_cpu(READ_ONCE(p->generation));
	gstate = le32_to_cpu(READ_ONCE(p->guest_state));
	ggen = le32_to_cpu(READ_ONCE(p->guest_generation));
	/* The gid is written before guest_state goes UP: read it after. */
	smp_rmb();
	memcpy(gid, p->gid, sizeof(*gid));
	return srv == DIBS_IVSHMEM_SRV_ALIVE &&
	       gstate == DIBS_IVSHMEM_GUEST_UP && ggen == *gen;
}

static void dibs_ivs_ring(struct dibs_ivs_dev *ivs, u32 peer, u32 vec)
{
	/* Our writes to the region reach the peer before its interrupt. */
	wmb();
	writel(DIBS_IVSHMEM_DOORBELL(peer, vec),
	       ivs->regs + DIBS_IVSHMEM_REG_DOORBELL);
}

/* Tell every other peer that is up that the table changed. */
static void dibs_ivs_ring_peers(struct dibs_ivs_dev *ivs)
{
	uuid_t gid;
	u32 id, gen;

	for (id = 0; id < ivs->lay.max_peers; id++)
		if (id != ivs->peer_id && dibs_ivs_peer_read(ivs, id, &gen, &gid))
			dibs_ivs_ring(ivs, id, DIBS_IVSHMEM_VEC_PEERS);
}

static u16 dibs_ivs_get_fabric_id(struct dibs_dev *dibs)
{
	return to_ivs(dibs)->lay.fabric_id;
}

/* Reachable: a peer of this region that is up now with that gid. */
static int dibs_ivs_query_remote_gid(struct dibs_dev *dibs, const uuid_t *rgid,
				     u32 vid_valid, u32 vid)
{
	struct dibs_ivs_dev *ivs = to_ivs(dibs);
	uuid_t gid;
	u32 id, gen;

	for (id = 0; id < ivs->lay.max_peers; id++)
		if (dibs_ivs_peer_read(ivs, id, &gen, &gid) &&
		    uuid_equal(&gid, rgid))
			return 0;
	return -ENETUNREACH;
}

/*
 * The API has no device argument here, so this is the layout's limit on
 * any region; register_dmb() refuses slots beyond this region's
 * dmbs_per_peer.
 */
static int dibs_ivs_max_dmbs(void)
{
	return DIBS_IVSHMEM_DMBS_MAX;
}

static void dibs_ivs_set_clientid(struct dibs_dev *dibs, u32 idx, u8 id)
{
	unsigned long flags;

	spin_lock_irqsave(&dibs->lock, flags);
	dibs->dmb_clientid_arr[idx] = id;
	spin_unlock_irqrestore(&dibs->lock, flags);
}

/*
 * A slot is free when we hold nothing in it and no writer of an earlier
 * use is still inside it (the owner never resets writers).
 */
static bool dibs_ivs_slot_free(struct dibs_ivs_dev *ivs, u32 s)
{
	return ivs->slots[s].state == DIBS_IVS_SLOT_FREE &&
	       !READ_ONCE(ivs->descs[s].writers);
}

/*
 * Give back held slots whose writers and attachers have all left; with
 * alloc_lock held. Their buffers may be handed out (and zeroed) after.
 */
static void dibs_ivs_reclaim(struct dibs_ivs_dev *ivs)
{
	struct dibs_ivs_slot *slot;
	bool freed = false;
	u32 s;

	lockdep_assert_held(&ivs->alloc_lock);
	for (s = 0; ivs->held && s < ivs->lay.dmbs_per_peer; s++) {
		slot = &ivs->slots[s];
		if (slot->state != DIBS_IVS_SLOT_HELD ||
		    READ_ONCE(ivs->descs[s].writers) ||
		    READ_ONCE(ivs->descs[s].attached))
			continue;
		bitmap_clear(ivs->page_map, slot->first_page, slot->npages);
		slot->state = DIBS_IVS_SLOT_FREE;
		ivs->held--;
		freed = true;
	}
	if (freed)
		smp_mb();	/* their last stores before we zero the buffers */
}

static int dibs_ivs_take_slot(struct dibs_ivs_dev *ivs, u32 wanted)
{
	u32 s;

	if (wanted) {
		if (wanted >= ivs->lay.dmbs_per_peer ||
		    !dibs_ivs_slot_free(ivs, wanted))
			return -EINVAL;
		return wanted;
	}
	for (s = 0; s < ivs->lay.dmbs_per_peer; s++)
		if (dibs_ivs_slot_free(ivs, s))
			return s;
	return -ENOSPC;
}

static int dibs_ivs_register_dmb(struct dibs_dev *dibs, struct dibs_dmb *dmb,
				 struct dibs_client *client)
{
	struct dibs_ivs_dev *ivs = to_ivs(dibs);
	struct dibs_ivshmem_dmb_desc *desc;
	struct dibs_ivs_slot *slot;
	unsigned long first;
	u32 npages;
	void *buf;
	int s;

	if (!dmb->dmb_len || dmb->dmb_len > ivs->lay.data_size)
		return -EINVAL;
	npages = DIV_ROUND_UP(dmb->dmb_len, DIBS_IVSHMEM_PAGE);

	spin_lock(&ivs->alloc_lock);
	dibs_ivs_reclaim(ivs);
	s = dibs_ivs_take_slot(ivs, dmb->idx);
	if (s < 0) {
		spin_unlock(&ivs->alloc_lock);
		return s;
	}
	/* Page-aligned buffers, first fit: simple, and enough for SMC-D. */
	first = bitmap_find_next_zero_area(ivs->page_map, ivs->data_pages, 0,
					   npages, 0);
	if (first >= ivs->data_pages) {
		spin_unlock(&ivs->alloc_lock);
		return -ENOSPC;
	}
	bitmap_set(ivs->page_map, first, npages);
	slot = &ivs->slots[s];
	slot->state = DIBS_IVS_SLOT_USED;
	slot->first_page = first;
	slot->npages = npages;
	slot->len = dmb->dmb_len;
	if (++slot->seq == 0)	/* no token is 0 */
		slot->seq = 1;
	slot->token = DIBS_IVSHMEM_TOKEN(ivs->peer_id, ivs->generation, s,
					 slot->seq);
	spin_unlock(&ivs->alloc_lock);

	buf = ivs->data + (u64)first * DIBS_IVSHMEM_PAGE;
	memset(buf, 0, (size_t)npages * DIBS_IVSHMEM_PAGE);
	dibs_ivs_set_clientid(dibs, s, client->id);

	desc = &ivs->descs[s];
	WRITE_ONCE(desc->buf_offset,
		   cpu_to_le64((u64)first * DIBS_IVSHMEM_PAGE));
	WRITE_ONCE(desc->len, cpu_to_le32(dmb->dmb_len));
	memcpy(desc->rgid, &dmb->rgid, sizeof(desc->rgid));
	WRITE_ONCE(desc->signal_mask, 0);
	WRITE_ONCE(desc->last_use, cpu_to_le32(slot->seq));
	/* The token publishes the DMB: everything else is visible first. */
	smp_wmb();
	WRITE_ONCE(desc->token, cpu_to_le64(slot->token));

	dmb->dmb_tok = slot->token;
	dmb->idx = s;
	dmb->cpu_addr = buf;
	dmb->dma_addr = 0;
	return 0;
}

/* Wait, bounded, for writers that saw the token before it went away. */
static bool dibs_ivs_writers_gone(struct dibs_ivshmem_dmb_desc *desc)
{
	unsigned long end = jiffies + msecs_to_jiffies(DIBS_IVS_WRITERS_WAIT_MS);

	while (READ_ONCE(desc->writers)) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

static int dibs_ivs_unregister_dmb(struct dibs_dev *dibs, struct dibs_dmb *dmb)
{
	struct dibs_ivs_dev *ivs = to_ivs(dibs);
	struct dibs_ivshmem_dmb_desc *desc;
	struct dibs_ivs_slot *slot;
	bool gone, attached;
	u32 s = dmb->idx;

	spin_lock(&ivs->alloc_lock);
	if (s >= ivs->lay.dmbs_per_peer ||
	    ivs->slots[s].state != DIBS_IVS_SLOT_USED ||
	    ivs->slots[s].token != dmb->dmb_tok) {
		spin_unlock(&ivs->alloc_lock);
		return -ENOENT;
	}
	slot = &ivs->slots[s];
	/* Ours alone now: a second unregister finds it not USED. */
	slot->state = DIBS_IVS_SLOT_FREEING;
	spin_unlock(&ivs->alloc_lock);

	dibs_ivs_set_clientid(dibs, s, NO_DIBS_CLIENT);
	desc = &ivs->descs[s];
	WRITE_ONCE(desc->token, 0);
	/*
	 * Token 0 before reading writers and attached: a writer or an
	 * attacher either incremented before (we see it) or sees token 0
	 * and gives up.
	 */
	smp_mb();
	gone = dibs_ivs_writers_gone(desc);
	/*
	 * An attached peer may still store into the buffer: it stays ours,
	 * out of use, until the peer detaches (no waiting for that).
	 */
	attached = READ_ONCE(desc->attached);

	spin_lock(&ivs->alloc_lock);
	if (gone && !attached) {
		bitmap_clear(ivs->page_map, slot->first_page, slot->npages);
		slot->state = DIBS_IVS_SLOT_FREE;
	} else {
		slot->state = DIBS_IVS_SLOT_HELD;
		ivs->held++;
	}
	slot->token = 0;
	spin_unlock(&ivs->alloc_lock);
	if (!gone)
		dev_warn(&ivs->pdev->dev,
			 "DMB slot %u: a writer never finished, slot and %u pages kept out of use until it does\n",
			 s, slot->npages);
	return 0;
}

/*
 * Write into DMB @dmb_tok of its owner, in the owner's partition, with the
 * layout's writers protocol. Does not sleep: SMC-D calls it under locks.
 */
static int dibs_ivs_move_data(struct dibs_dev *dibs, u64 dmb_tok,
			      unsigned int idx, bool sf, unsigned int offset,
			      void *data, unsigned int size)
{
	struct dibs_ivs_dev *ivs = to_ivs(dibs);
	const struct dibs_ivs_layout *lay = &ivs->lay;
	struct dibs_ivshmem_dmb_desc *desc;
	u32 owner = DIBS_IVSHMEM_TOKEN_PEER(dmb_tok);
	u32 s = DIBS_IVSHMEM_TOKEN_SLOT(dmb_tok);
	u64 buf_offset, end;
	void *part;
	uuid_t gid;
	u32 gen, len;
	int ret = 0;

	if (sf && idx >= DIBS_IVSHMEM_SIGNALS)
		return -EINVAL;
	if (owner >= lay->max_peers || s >= lay->dmbs_per_peer)
		return -ENOENT;
	if (!dibs_ivs_peer_read(ivs, owner, &gen, &gid) ||
	    (gen & 0xFFFF) != DIBS_IVSHMEM_TOKEN_GEN(dmb_tok))
		return -ENOENT;

	part = dibs_ivs_partition(ivs, owner);
	desc = part + lay->desc_offset + (u64)s * DIBS_IVS_DESC_SIZE;
	dibs_ivs_le32_add(&desc->writers, 1);
	/* The owner sees our count before we look at its token. */
	smp_mb__after_atomic();

	if (le64_to_cpu(READ_ONCE(desc->token)) != dmb_tok) {
		ret = -ENOENT;
		goto out;
	}
	if (memcmp(desc->rgid, &dibs->gid, sizeof(desc->rgid))) {
		ret = -EACCES;
		goto out;
	}
	buf_offset = le64_to_cpu(READ_ONCE(desc->buf_offset));
	len = le32_to_cpu(READ_ONCE(desc->len));
	if (check_add_overflow(buf_offset, (u64)len, &end) ||
	    end > lay->data_size) {
		ret = -EIO;	/* a corrupt descriptor */
		goto out;
	}
	if ((u64)offset + size > len) {
		ret = -EINVAL;
		goto out;
	}
	dibs_dmb_store(part + lay->data_offset + buf_offset + offset, data, size);
	if (sf) {
		/* The data is visible before the bits that announce it. */
		smp_mb__before_atomic();
		dibs_ivs_le64_or(&desc->signal_mask, BIT_ULL(idx));
		dibs_ivs_le64_or((__le64 *)(part + lay->summary_offset) + s / 64,
				 BIT_ULL(s % 64));
	}
out:
	/* Bits raised, copy done: only then may the owner free the slot. */
	smp_mb__before_atomic();
	dibs_ivs_le32_add(&desc->writers, -1);
	if (!ret && sf)
		dibs_ivs_ring(ivs, owner, DIBS_IVSHMEM_VEC_SIGNAL);
	return ret;
}

static int dibs_ivs_support_mmapped_rdmb(struct dibs_dev *dibs)
{
	return 1;
}

/* Where peer @id's partition starts in the region. */
static u64 dibs_ivs_part_off(struct dibs_ivs_dev *ivs, u32 id)
{
	return ivs->lay.partitions_offset + (u64)id * ivs->lay.partition_size;
}

/*
 * Steps 1 to 3 of attaching remote DMB @tok (uapi/ivshmem-layout.md): its
 * buffer, in the owner's partition, is mapped in this guest too (BAR2), so
 * its holder stores into it directly. The descriptor's attached count,
 * raised here, keeps the owner from reusing the buffer after it
 * unregisters, until dibs_ivs_put_desc(); the checks are move_data()'s, so
 * a token of an earlier life of the owner is refused. Return: the
 * descriptor, with the buffer's offset in the region in *@off and its
 * length in *@len; or ERR_PTR.
 */
static struct dibs_ivshmem_dmb_desc *
dibs_ivs_attach_desc(struct dibs_ivs_dev *ivs, u64 tok, u64 *off, u32 *len)
{
	const struct dibs_ivs_layout *lay = &ivs->lay;
	u32 owner = DIBS_IVSHMEM_TOKEN_PEER(tok);
	u32 s = DIBS_IVSHMEM_TOKEN_SLOT(tok);
	struct dibs_ivshmem_dmb_desc *desc;
	u64 buf_offset, end;
	uuid_t gid;
	u32 gen;
	int ret;

	if (owner >= lay->max_peers || s >= lay->dmbs_per_peer)
		return ERR_PTR(-ENOENT);
	if (!dibs_ivs_peer_read(ivs, owner, &gen, &gid) ||
	    (gen & 0xFFFF) != DIBS_IVSHMEM_TOKEN_GEN(tok))
		return ERR_PTR(-ENOENT);

	desc = dibs_ivs_partition(ivs, owner) + lay->desc_offset +
	       (u64)s * DIBS_IVS_DESC_SIZE;
	dibs_ivs_le32_add(&desc->attached, 1);
	/* The owner sees our count before we look at its token. */
	smp_mb__after_atomic();

	ret = -ENOENT;
	if (le64_to_cpu(READ_ONCE(desc->token)) != tok)
		goto err;
	ret = -EACCES;
	if (memcmp(desc->rgid, &ivs->dibs->gid, sizeof(desc->rgid)))
		goto err;
	buf_offset = le64_to_cpu(READ_ONCE(desc->buf_offset));
	*len = le32_to_cpu(READ_ONCE(desc->len));
	ret = -EIO;	/* a corrupt descriptor */
	if (check_add_overflow(buf_offset, (u64)*len, &end) ||
	    end > lay->data_size)
		goto err;
	*off = dibs_ivs_part_off(ivs, owner) + lay->data_offset + buf_offset;
	return desc;

err:
	smp_mb__before_atomic();	/* our reads of the descriptor first */
	dibs_ivs_le32_add(&desc->attached, -1);
	return ERR_PTR(ret);
}

/* Let go of an attached count. */
static void dibs_ivs_put_desc(struct dibs_ivshmem_dmb_desc *desc)
{
	/* Our stores into the buffer come before the owner may reuse it. */
	smp_mb__before_atomic();
	dibs_ivs_le32_add(&desc->attached, -1);
}

/* Attach remote DMB dmb->dmb_tok for a kernel client: dibs_ivs_attach_desc(). */
static int dibs_ivs_attach_dmb(struct dibs_dev *dibs, struct dibs_dmb *dmb)
{
	struct dibs_ivs_dev *ivs = to_ivs(dibs);
	struct dibs_ivshmem_dmb_desc *desc;
	struct dibs_ivs_attach *att;
	unsigned long flags;
	u64 off;
	u32 len;

	att = kzalloc(sizeof(*att), GFP_ATOMIC);
	if (!att)
		return -ENOMEM;
	desc = dibs_ivs_attach_desc(ivs, dmb->dmb_tok, &off, &len);
	if (IS_ERR(desc)) {
		kfree(att);
		return PTR_ERR(desc);
	}

	att->token = dmb->dmb_tok;
	att->desc = desc;
	spin_lock_irqsave(&ivs->att_lock, flags);
	list_add(&att->list, &ivs->attached);
	spin_unlock_irqrestore(&ivs->att_lock, flags);

	dmb->cpu_addr = ivs->shm + off;
	dmb->dma_addr = 0;
	dmb->dmb_len = len;
	dmb->idx = DIBS_IVSHMEM_TOKEN_SLOT(dmb->dmb_tok);
	uuid_copy(&dmb->rgid, &dibs->gid);
	return 0;
}

static void dibs_ivs_put_attach(struct dibs_ivs_attach *att)
{
	dibs_ivs_put_desc(att->desc);
	kfree(att);
}

static int dibs_ivs_detach_dmb(struct dibs_dev *dibs, u64 token)
{
	struct dibs_ivs_dev *ivs = to_ivs(dibs);
	struct dibs_ivs_attach *att, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&ivs->att_lock, flags);
	list_for_each_entry(att, &ivs->attached, list) {
		if (att->token == token) {
			list_del(&att->list);
			found = att;
			break;
		}
	}
	spin_unlock_irqrestore(&ivs->att_lock, flags);
	if (!found)
		return -ENOENT;
	dibs_ivs_put_attach(found);
	return 0;
}

/* At remove: attachments the clients left behind are let go. */
static void dibs_ivs_detach_all(struct dibs_ivs_dev *ivs)
{
	struct dibs_ivs_attach *att, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(att, tmp, &ivs->attached, list) {
		list_del(&att->list);
		dibs_ivs_put_attach(att);
		n++;
	}
	if (n)
		dev_warn(&ivs->pdev->dev, "%u remote DMBs still attached at removal: detached\n",
			 n);
}

/*
 * Our own DMB @tok, granted by our userspace client, held for a mapping
 * with a count in its attached as a remote attachment would: unregister
 * then holds slot and buffer until the count drops. Under alloc_lock, so
 * unregister either finds the count or we find the slot not USED.
 */
static struct dibs_ivshmem_dmb_desc *
dibs_ivs_hold_own(struct dibs_ivs_dev *ivs, u64 tok, u64 *off, u32 *len)
{
	u32 s = DIBS_IVSHMEM_TOKEN_SLOT(tok);
	struct dibs_ivshmem_dmb_desc *desc;
	struct dibs_ivs_slot *slot;

	if (DIBS_IVSHMEM_TOKEN_PEER(tok) != ivs->peer_id ||
	    s >= ivs->lay.dmbs_per_peer)
		return ERR_PTR(-ENOENT);
	spin_lock(&ivs->alloc_lock);
	slot = &ivs->slots[s];
	if (slot->state != DIBS_IVS_SLOT_USED || slot->token != tok) {
		spin_unlock(&ivs->alloc_lock);
		return ERR_PTR(-ENOENT);
	}
	desc = &ivs->descs[s];
	dibs_ivs_le32_add(&desc->attached, 1);
	*off = dibs_ivs_part_off(ivs, ivs->peer_id) + ivs->lay.data_offset +
	       (u64)slot->first_page * DIBS_IVSHMEM_PAGE;
	*len = slot->len;
	spin_unlock(&ivs->alloc_lock);
	return desc;
}

/*
 * dibs_dev_map_ops.map_dmb(): a DMB for a userspace mapping, ours or
 * (@remote) one on another peer granted to us. BAR2 is mapped by page,
 * so the buffer must start on a page and its last page must be its own:
 * this driver allocates whole pages, and another implementation of the
 * layout whose buffer is not page-aligned, or runs to the end of the
 * data area without its last page, is refused (-EOPNOTSUPP). Kernels
 * whose pages are larger than the layout's 4 KiB do not map at all.
 */
static int dibs_ivs_map_dmb(struct dibs_dev *dibs, u64 tok, bool remote,
			    unsigned long *pfn, u32 *len, void **hold)
{
	struct dibs_ivs_dev *ivs = to_ivs(dibs);
	struct dibs_ivshmem_dmb_desc *desc;
	struct dibs_ivs_umap *um;
	u64 off, part;
	phys_addr_t phys;

	if (PAGE_SIZE != DIBS_IVSHMEM_PAGE)
		return -EOPNOTSUPP;
	um = kzalloc(sizeof(*um), GFP_KERNEL);
	if (!um)
		return -ENOMEM;
	if (remote)
		desc = dibs_ivs_attach_desc(ivs, tok, &off, len);
	else
		desc = dibs_ivs_hold_own(ivs, tok, &off, len);
	if (IS_ERR(desc)) {
		kfree(um);
		return PTR_ERR(desc);
	}
	/* The buffer's pages lie inside the owner's data area. */
	part = dibs_ivs_part_off(ivs, DIBS_IVSHMEM_TOKEN_PEER(tok)) +
	       ivs->lay.data_offset;
	phys = pci_resource_start(ivs->pdev, DIBS_IVS_BAR_SHM) + off;
	if (!PAGE_ALIGNED(phys) ||
	    off - part + PAGE_ALIGN((u64)*len) > ivs->lay.data_size) {
		dibs_ivs_put_desc(desc);
		kfree(um);
		return -EOPNOTSUPP;
	}
	um->desc = desc;
	um->ivs = ivs;
	spin_lock(&dibs_ivs_umap_lock);
	list_add(&um->list, &ivs->umaps);
	spin_unlock(&dibs_ivs_umap_lock);
	*pfn = PHYS_PFN(phys);
	*hold = um;
	return 0;
}

/*
 * dibs_dev_map_ops.unmap_dmb(): the last unmap. After the device's
 * removal the count is not ours to touch any more (BAR2 is unmapped):
 * dibs_ivs_release_umaps() let go of it already.
 */
static void dibs_ivs_unmap_dmb(void *hold)
{
	struct dibs_ivs_umap *um = hold;

	spin_lock(&dibs_ivs_umap_lock);
	if (um->ivs) {
		list_del(&um->list);
		dibs_ivs_put_desc(um->desc);
	}
	spin_unlock(&dibs_ivs_umap_lock);
	kfree(um);
}

/*
 * At remove, holds of mappings still up (a mapping pins this module, but
 * not the PCI device: sysfs unbind). dibs_dev_del() has zapped their pages
 * from every process, and mmap() and faults refuse them from then on
 * (dibs_cdev.c), so nothing stores through them any more: their counts
 * are let go here, while BAR2 is still mapped, and the owners (we, in a
 * next life, or a peer) may reuse those buffers. The unmap that comes
 * later finds the hold orphaned and touches nothing.
 */
static void dibs_ivs_release_umaps(struct dibs_ivs_dev *ivs)
{
	struct dibs_ivs_umap *um, *tmp;
	unsigned int n = 0;

	spin_lock(&dibs_ivs_umap_lock);
	list_for_each_entry_safe(um, tmp, &ivs->umaps, list) {
		list_del(&um->list);
		dibs_ivs_put_desc(um->desc);
		um->ivs = NULL;
		n++;
	}
	spin_unlock(&dibs_ivs_umap_lock);
	if (n)
		dev_warn(&ivs->pdev->dev, "%u DMBs still mapped by userspace at removal: their pages are gone, their buffers released\n",
			 n);
}

/* Sender @from's mailbox in peer @to's partition. */
static struct dibs_ivshmem_mbox *dibs_ivs_mbox(struct dibs_ivs_dev *ivs,
					       u32 to, u32 from)
{
	return dibs_ivs_partition(ivs, to) + ivs->lay.mbox_offset +
	       (u64)from * ivs->lay.mbox_size;
}

static struct dibs_ivshmem_event *
dibs_ivs_event_slot(struct dibs_ivs_dev *ivs, struct dibs_ivshmem_mbox *mb,
		    u32 count)
{
	return (void *)mb + DIBS_IVS_MBOX_HDR +
	       (u64)(count & (ivs->lay.mbox_slots - 1)) * DIBS_IVS_EVENT_SIZE;
}

/*
 * A software event for the peer with gid @rgid (ourselves included): into
 * our mailbox in its partition, our bit in its pending-mailbox bitmap,
 * and its vector 0. Does not sleep: clients may send from handle_event().
 * The receiver delivers it from a work item as DIBS_SW_EVENT with our gid.
 * The doorbell is always rung, whatever @trigger_irq says (as on the soft
 * devices): an event nobody is told about would wait for the next one.
 */
static int dibs_ivs_signal_event(struct dibs_dev *dibs, const uuid_t *rgid,
				 u32 trigger_irq, u32 event_code, u64 info)
{
	struct dibs_ivs_dev *ivs = to_ivs(dibs);
	struct dibs_ivshmem_event *ev;
	struct dibs_ivshmem_mbox *mb;
	unsigned long flags;
	u32 to, gen, head, tail;
	__le64 *pending;
	uuid_t gid;

	for (to = 0; to < ivs->lay.max_peers; to++)
		if (dibs_ivs_peer_read(ivs, to, &gen, &gid) &&
		    uuid_equal(&gid, rgid))
			break;
	if (to == ivs->lay.max_peers)
		return -ENETUNREACH;

	mb = dibs_ivs_mbox(ivs, to, ivs->peer_id);
	spin_lock_irqsave(&ivs->send_lock, flags);
	head = le32_to_cpu(READ_ONCE(mb->head));
	/* The receiver has read a slot before it moved tail past it. */
	tail = le32_to_cpu(smp_load_acquire(&mb->tail));
	if (head - tail >= ivs->lay.mbox_slots) {
		spin_unlock_irqrestore(&ivs->send_lock, flags);
		return -ENOBUFS;
	}
	ev = dibs_ivs_event_slot(ivs, mb, head);
	WRITE_ONCE(ev->code, cpu_to_le32(event_code));
	WRITE_ONCE(ev->generation, cpu_to_le32(ivs->generation));
	WRITE_ONCE(ev->info, cpu_to_le64(info));
	WRITE_ONCE(ev->time, cpu_to_le64(ktime_get_real_ns()));
	/* The slot is written before the count that publishes it. */
	smp_store_release(&mb->head, cpu_to_le32(head + 1));
	spin_unlock_irqrestore(&ivs->send_lock, flags);

	/* The count before the bit: a receiver that sees the bit finds it. */
	smp_mb__before_atomic();
	pending = dibs_ivs_partition(ivs, to) + ivs->lay.event_summary_offset;
	dibs_ivs_le64_or(pending + ivs->peer_id / 64,
			 BIT_ULL(ivs->peer_id % 64));
	dibs_ivs_ring(ivs, to, DIBS_IVSHMEM_VEC_SIGNAL);
	return 0;
}

static const struct dibs_dev_ops dibs_ivs_ops = {
	.get_fabric_id = dibs_ivs_get_fabric_id,
	.query_remote_gid = dibs_ivs_query_remote_gid,
	.max_dmbs = dibs_ivs_max_dmbs,
	.register_dmb = dibs_ivs_register_dmb,
	.unregister_dmb = dibs_ivs_unregister_dmb,
	.move_data = dibs_ivs_move_data,
	.signal_event = dibs_ivs_signal_event,
	.support_mmapped_rdmb = dibs_ivs_support_mmapped_rdmb,
	.attach_dmb = dibs_ivs_attach_dmb,
	.detach_dmb = dibs_ivs_detach_dmb,
};

static const struct dibs_dev_map_ops dibs_ivs_map_ops = {
	.owner = THIS_MODULE,
	.map_dmb = dibs_ivs_map_dmb,
	.unmap_dmb = dibs_ivs_unmap_dmb,
};

/* Deliver a signal mask to the client owning slot @s, as loopback does. */
static void dibs_ivs_deliver(struct dibs_dev *dibs, u32 s, u16 mask)
{
	struct dibs_client *client = NULL;
	unsigned long flags;
	u8 id;

	spin_lock_irqsave(&dibs->lock, flags);
	id = dibs->dmb_clientid_arr[s];
	if (id < MAX_DIBS_CLIENTS)
		client = dibs->subs[id];
	if (client && client->ops->handle_irq)
		client->ops->handle_irq(dibs, s, mask);
	spin_unlock_irqrestore(&dibs->lock, flags);
}

/*
 * Vector 0: scan our pending-DMB bitmap. Exchanges are full barriers, so
 * the data written before the bits is visible to the client. Slots that
 * are not registered (no client id) drop their bits.
 */
static irqreturn_t dibs_ivs_signal_irq(int irq, void *arg)
{
	struct dibs_ivs_dev *ivs = arg;
	u32 nwords = DIV_ROUND_UP(ivs->lay.dmbs_per_peer, 64);
	unsigned long word;
	u64 mask;
	u32 w, b, s;

	for (w = 0; w < nwords; w++) {
		word = le64_to_cpu(xchg(&ivs->summary[w], 0));
		for_each_set_bit(b, &word, 64) {
			s = w * 64 + b;
			if (s >= ivs->lay.dmbs_per_peer)
				break;
			mask = le64_to_cpu(xchg(&ivs->descs[s].signal_mask, 0));
			/* Bits 16..63 are reserved in version 1. */
			mask &= GENMASK_ULL(DIBS_IVSHMEM_SIGNALS - 1, 0);
			if (mask && READ_ONCE(ivs->descs[s].token))
				dibs_ivs_deliver(ivs->dibs, s, mask);
		}
	}
	/* Events are delivered from process context: see dibs_ivs_ev_work. */
	nwords = DIV_ROUND_UP(ivs->lay.max_peers, 64);
	for (w = 0; w < nwords; w++) {
		if (READ_ONCE(ivs->ev_summary[w])) {
			schedule_work(&ivs->ev_work);
			break;
		}
	}
	return IRQ_HANDLED;
}

/*
 * Take the events in sender @from's mailbox and deliver those its current
 * life sent; a mailbox whose counts make no sense is emptied.
 */
static void dibs_ivs_drain_mbox(struct dibs_ivs_dev *ivs, u32 from)
{
	struct dibs_ivshmem_mbox *mb = dibs_ivs_mbox(ivs, ivs->peer_id, from);
	struct dibs_event ev = { .type = DIBS_SW_EVENT };
	struct dibs_ivshmem_event *slot;
	u32 head, tail = ivs->ev_tail[from];
	u32 gen, sgen;
	uuid_t gid;
	bool up;

	/* Pairs with the sender's release: the slots are written. */
	head = le32_to_cpu(smp_load_acquire(&mb->head));
	if (head - tail > ivs->lay.mbox_slots) {
		dev_warn_ratelimited(&ivs->pdev->dev,
				     "event mailbox of peer %u corrupt (head %u, tail %u): emptied\n",
				     from, head, tail);
		tail = head;
	}
	up = dibs_ivs_peer_read(ivs, from, &gen, &gid);
	uuid_copy(&ev.gid, &gid);
	while (tail != head) {
		slot = dibs_ivs_event_slot(ivs, mb, tail);
		ev.subtype = le32_to_cpu(READ_ONCE(slot->code));
		sgen = le32_to_cpu(READ_ONCE(slot->generation));
		ev.data = le64_to_cpu(READ_ONCE(slot->info));
		ev.time = le64_to_cpu(READ_ONCE(slot->time));
		tail++;
		/* The slot is read before the sender may reuse it. */
		smp_store_release(&mb->tail, cpu_to_le32(tail));
		/* Only a sender that is up now, and only its current life's. */
		if (up && sgen == gen)
			dibs_dev_event(ivs->dibs, &ev);
	}
	ivs->ev_tail[from] = tail;
}

/* Vector 0 saw pending mailboxes: deliver their events, in order. */
static void dibs_ivs_ev_work(struct work_struct *work)
{
	struct dibs_ivs_dev *ivs = container_of(work, struct dibs_ivs_dev,
						ev_work);
	u32 nwords = DIV_ROUND_UP(ivs->lay.max_peers, 64);
	unsigned long word;
	u32 w, b, from;

	for (w = 0; w < nwords; w++) {
		/* A full barrier: the mailboxes are read after the bits. */
		word = le64_to_cpu(xchg(&ivs->ev_summary[w], 0));
		for_each_set_bit(b, &word, 64) {
			from = w * 64 + b;
			if (from >= ivs->lay.max_peers)
				break;
			dibs_ivs_drain_mbox(ivs, from);
		}
	}
}

/* Vector 1: the peer table changed; rescanning it may take a while. */
static irqreturn_t dibs_ivs_peers_irq(int irq, void *arg)
{
	struct dibs_ivs_dev *ivs = arg;

	schedule_work(&ivs->peers_work);
	return IRQ_HANDLED;
}

/* Report peers that were up at the last scan and are not (the same) now. */
static void dibs_ivs_peers_work(struct work_struct *work)
{
	struct dibs_ivs_dev *ivs = container_of(work, struct dibs_ivs_dev,
						peers_work);
	struct dibs_event ev = {
		.type = DIBS_DEV_EVENT,
		.subtype = DIBS_DEV_DISABLED,
	};
	struct dibs_ivs_peer_seen *seen;
	uuid_t gid;
	bool up;
	u32 id, gen;

	for (id = 0; id < ivs->lay.max_peers; id++) {
		if (id == ivs->peer_id)
			continue;
		seen = &ivs->seen[id];
		up = dibs_ivs_peer_read(ivs, id, &gen, &gid);
		if (seen->up && (!up || gen != seen->generation ||
				 !uuid_equal(&gid, &seen->gid))) {
			uuid_copy(&ev.gid, &seen->gid);
			ev.time = ktime_get_real_ns();
			dibs_dev_event(ivs->dibs, &ev);
		}
		seen->up = up;
		seen->generation = gen;
		uuid_copy(&seen->gid, &gid);
	}
}

static void dibs_ivs_peers_snapshot(struct dibs_ivs_dev *ivs)
{
	struct dibs_ivs_peer_seen *seen;
	u32 id;

	for (id = 0; id < ivs->lay.max_peers; id++) {
		seen = &ivs->seen[id];
		seen->up = id != ivs->peer_id &&
			   dibs_ivs_peer_read(ivs, id, &seen->generation,
					      &seen->gid);
	}
}

/* [a, a + alen) and [b, b + blen) overlap. */
static bool dibs_ivs_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * -ENODEV: the region is not one of ours, and the driver core then adds
 * no second line of its own; ours names the field.
 */
static int dibs_ivs_bad(struct device *dev, const char *field)
{
	dev_err(dev, "region refused: header field %s invalid\n", field);
	return -ENODEV;
}

/*
 * Check the header once and keep the checked copy in @lay: offsets and
 * sizes are never taken from the region again. One log line names the
 * first field that is wrong.
 */
static int dibs_ivs_check_header(struct device *dev, const void *shm,
				 u64 bar_len, struct dibs_ivs_layout *lay)
{
	const struct dibs_ivshmem_header *hp = shm;
	struct dibs_ivshmem_header h;
	u64 table_len, parts_len, summary_len, desc_len, end;
	u64 evsum_len, mbox_len;

	/* The server writes magic last: read it first, the rest after. */
	if (le32_to_cpu(smp_load_acquire(&hp->magic)) != DIBS_IVSHMEM_MAGIC)
		return dibs_ivs_bad(dev, "magic");
	memcpy(&h, shm, sizeof(h));
	if (le32_to_cpu(h.version) != DIBS_IVSHMEM_VERSION) {
		/* The one line: a server of another release wrote it. */
		dev_err(dev, "region refused: layout version %u, this driver speaks version %u only\n",
			le32_to_cpu(h.version), DIBS_IVSHMEM_VERSION);
		return -ENODEV;
	}
	if (le32_to_cpu(h.header_size) != DIBS_IVSHMEM_HEADER_SIZE)
		return dibs_ivs_bad(dev, "header_size");
	if (le32_to_cpu(h.peer_entry_size) != DIBS_IVS_PEER_SIZE)
		return dibs_ivs_bad(dev, "peer_entry_size");
	if (le32_to_cpu(h.desc_size) != DIBS_IVS_DESC_SIZE)
		return dibs_ivs_bad(dev, "desc_size");

	lay->region_size = le64_to_cpu(h.region_size);
	lay->fabric_id = le16_to_cpu(h.fabric_id);
	lay->vectors = le16_to_cpu(h.vectors);
	lay->max_peers = le32_to_cpu(h.max_peers);
	lay->dmbs_per_peer = le32_to_cpu(h.dmbs_per_peer);
	lay->peer_table_offset = le64_to_cpu(h.peer_table_offset);
	lay->partitions_offset = le64_to_cpu(h.partitions_offset);
	lay->partition_size = le64_to_cpu(h.partition_size);
	lay->summary_offset = le32_to_cpu(h.summary_offset);
	lay->desc_offset = le32_to_cpu(h.desc_offset);
	lay->data_offset = le32_to_cpu(h.data_offset);
	lay->data_size = le64_to_cpu(h.data_size);
	lay->event_summary_offset = le32_to_cpu(h.event_summary_offset);
	lay->mbox_offset = le32_to_cpu(h.mbox_offset);
	lay->mbox_size = le32_to_cpu(h.mbox_size);
	lay->mbox_slots = le32_to_cpu(h.mbox_slots);

	if (lay->region_size != bar_len)
		return dibs_ivs_bad(dev, "region_size");
	if (lay->fabric_id < DIBS_IVSHMEM_FABRIC_MIN ||
	    lay->fabric_id > DIBS_IVSHMEM_FABRIC_MAX)
		return dibs_ivs_bad(dev, "fabric_id");
	if (lay->vectors < DIBS_IVSHMEM_VECTORS_MIN ||
	    lay->vectors > DIBS_IVSHMEM_VECTORS_MAX)
		return dibs_ivs_bad(dev, "vectors");
	if (lay->max_peers < 2 || lay->max_peers > DIBS_IVSHMEM_PEERS_MAX)
		return dibs_ivs_bad(dev, "max_peers");
	if (!lay->dmbs_per_peer || lay->dmbs_per_peer > DIBS_IVSHMEM_DMBS_MAX)
		return dibs_ivs_bad(dev, "dmbs_per_peer");

	/* The peer table: after the header, inside the region. */
	table_len = (u64)lay->max_peers * DIBS_IVS_PEER_SIZE;
	if (lay->peer_table_offset < DIBS_IVSHMEM_HEADER_SIZE ||
	    lay->peer_table_offset % 8 ||
	    check_add_overflow(lay->peer_table_offset, table_len, &end) ||
	    end > bar_len)
		return dibs_ivs_bad(dev, "peer_table_offset");

	/* The partitions: aligned, after the table, inside the region. */
	if (lay->partitions_offset % DIBS_IVSHMEM_PAGE ||
	    lay->partitions_offset < lay->peer_table_offset + table_len)
		return dibs_ivs_bad(dev, "partitions_offset");
	if (!lay->partition_size || lay->partition_size % DIBS_IVSHMEM_PAGE ||
	    check_mul_overflow(lay->partition_size, (u64)lay->max_peers,
			       &parts_len) ||
	    check_add_overflow(lay->partitions_offset, parts_len, &end) ||
	    end > bar_len)
		return dibs_ivs_bad(dev, "partition_size");

	/* Within a partition: three disjoint ranges, atomics aligned. */
	summary_len = DIV_ROUND_UP(lay->dmbs_per_peer, 64) * 8;
	desc_len = (u64)lay->dmbs_per_peer * DIBS_IVS_DESC_SIZE;
	if (lay->summary_offset % 8 ||
	    (u64)lay->summary_offset + summary_len > lay->partition_size)
		return dibs_ivs_bad(dev, "summary_offset");
	if (lay->desc_offset % 8 ||
	    (u64)lay->desc_offset + desc_len > lay->partition_size ||
	    dibs_ivs_overlap(lay->desc_offset, desc_len,
			     lay->summary_offset, summary_len))
		return dibs_ivs_bad(dev, "desc_offset");

	/* The event part: bitmap and mailboxes, disjoint from the above. */
	if (!lay->mbox_slots || !is_power_of_2(lay->mbox_slots) ||
	    lay->mbox_slots > DIBS_IVSHMEM_EVENT_SLOTS_MAX)
		return dibs_ivs_bad(dev, "mbox_slots");
	if (lay->mbox_size != DIBS_IVS_MBOX_HDR +
			      lay->mbox_slots * DIBS_IVS_EVENT_SIZE)
		return dibs_ivs_bad(dev, "mbox_size");
	evsum_len = DIV_ROUND_UP(lay->max_peers, 64) * 8;
	mbox_len = (u64)lay->max_peers * lay->mbox_size;
	if (lay->event_summary_offset % 8 ||
	    (u64)lay->event_summary_offset + evsum_len > lay->partition_size ||
	    dibs_ivs_overlap(lay->event_summary_offset, evsum_len,
			     lay->summary_offset, summary_len) ||
	    dibs_ivs_overlap(lay->event_summary_offset, evsum_len,
			     lay->desc_offset, desc_len))
		return dibs_ivs_bad(dev, "event_summary_offset");
	if (lay->mbox_offset % 8 ||
	    (u64)lay->mbox_offset + mbox_len > lay->partition_size ||
	    dibs_ivs_overlap(lay->mbox_offset, mbox_len,
			     lay->summary_offset, summary_len) ||
	    dibs_ivs_overlap(lay->mbox_offset, mbox_len,
			     lay->desc_offset, desc_len) ||
	    dibs_ivs_overlap(lay->mbox_offset, mbox_len,
			     lay->event_summary_offset, evsum_len))
		return dibs_ivs_bad(dev, "mbox_offset");

	if (lay->data_offset % DIBS_IVSHMEM_PAGE ||
	    lay->data_offset >= lay->partition_size)
		return dibs_ivs_bad(dev, "data_offset");
	if (lay->data_size < DIBS_IVSHMEM_PAGE ||
	    lay->data_size > lay->partition_size - lay->data_offset)
		return dibs_ivs_bad(dev, "data_size");
	if (dibs_ivs_overlap(lay->data_offset, lay->data_size,
			     lay->summary_offset, summary_len) ||
	    dibs_ivs_overlap(lay->data_offset, lay->data_size,
			     lay->desc_offset, desc_len) ||
	    dibs_ivs_overlap(lay->data_offset, lay->data_size,
			     lay->event_summary_offset, evsum_len) ||
	    dibs_ivs_overlap(lay->data_offset, lay->data_size,
			     lay->mbox_offset, mbox_len))
		return dibs_ivs_bad(dev, "data_offset");
	return 0;
}

/*
 * A slot an earlier life of our peer id left with a peer still attached
 * (or a writer inside): its buffer stays out of use until they leave.
 */
static void dibs_ivs_hold_earlier(struct dibs_ivs_dev *ivs, u32 s)
{
	struct dibs_ivshmem_dmb_desc *desc = &ivs->descs[s];
	struct dibs_ivs_slot *slot = &ivs->slots[s];
	u64 off, len, first, npages;

	if (!READ_ONCE(desc->attached) && !READ_ONCE(desc->writers))
		return;
	slot->state = DIBS_IVS_SLOT_HELD;
	ivs->held++;
	off = le64_to_cpu(READ_ONCE(desc->buf_offset));
	len = le32_to_cpu(READ_ONCE(desc->len));
	first = off / DIBS_IVSHMEM_PAGE;
	npages = DIV_ROUND_UP(len, DIBS_IVSHMEM_PAGE);
	/* A buffer outside our data area is no buffer: nothing to keep. */
	if (off % DIBS_IVSHMEM_PAGE || first + npages > ivs->data_pages)
		npages = 0;
	slot->first_page = first;
	slot->npages = npages;
	bitmap_set(ivs->page_map, first, npages);
}

/*
 * Take our generation and clear what an earlier holder of our peer id left
 * in our partition; before any DMB can be registered.
 */
static int dibs_ivs_init_partition(struct dibs_ivs_dev *ivs)
{
	struct dibs_ivshmem_peer *me = dibs_ivs_peer(ivs, ivs->peer_id);
	u32 s, srv;

	/* Pairs with the server's smp_wmb() between generation and state. */
	srv = le32_to_cpu(smp_load_acquire(&me->srv_state));
	if (srv != DIBS_IVSHMEM_SRV_ALIVE) {
		dev_err(&ivs->pdev->dev, "peer id %u is not alive (state %u)\n",
			ivs->peer_id, srv);
		return -ENODEV;
	}
	ivs->generation = le32_to_cpu(READ_ONCE(me->generation));

	/*
	 * writers stays as it is: only writers' own inc/dec pair change it.
	 * The use counts go on from last_use: a reload keeps our generation,
	 * so counts starting at 1 again would reissue our earlier tokens.
	 */
	for (s = 0; s < ivs->lay.dmbs_per_peer; s++) {
		WRITE_ONCE(ivs->descs[s].token, 0);
		WRITE_ONCE(ivs->descs[s].signal_mask, 0);
		ivs->slots[s].seq = le32_to_cpu(READ_ONCE(ivs->descs[s].last_use)) &
				    0xFFFF;
		dibs_ivs_hold_earlier(ivs, s);
	}
	memset(ivs->summary, 0, DIV_ROUND_UP(ivs->lay.dmbs_per_peer, 64) * 8);

	/*
	 * Events an earlier holder of our id did not take are dropped: every
	 * mailbox starts empty, at the count its sender left in head (only
	 * the sender writes head).
	 */
	for (s = 0; s < ivs->lay.max_peers; s++) {
		struct dibs_ivshmem_mbox *mb = dibs_ivs_mbox(ivs, ivs->peer_id, s);

		ivs->ev_tail[s] = le32_to_cpu(READ_ONCE(mb->head));
		WRITE_ONCE(mb->tail, cpu_to_le32(ivs->ev_tail[s]));
	}
	memset(ivs->ev_summary, 0, DIV_ROUND_UP(ivs->lay.max_peers, 64) * 8);
	return 0;
}

/* Go UP in our peer entry, then tell the others. */
static void dibs_ivs_come_up(struct dibs_ivs_dev *ivs)
{
	struct dibs_ivshmem_peer *me = dibs_ivs_peer(ivs, ivs->peer_id);

	memcpy(me->gid, &ivs->dibs->gid, sizeof(me->gid));
	WRITE_ONCE(me->guest_generation, cpu_to_le32(ivs->generation));
	/* gid and generation are visible before the state that vouches. */
	smp_wmb();
	WRITE_ONCE(me->guest_state, cpu_to_le32(DIBS_IVSHMEM_GUEST_UP));
	dibs_ivs_ring_peers(ivs);
}

static void dibs_ivs_go_down(struct dibs_ivs_dev *ivs)
{
	struct dibs_ivshmem_peer *me = dibs_ivs_peer(ivs, ivs->peer_id);

	WRITE_ONCE(me->guest_state, cpu_to_le32(DIBS_IVSHMEM_GUEST_DOWN));
	dibs_ivs_ring_peers(ivs);
}

static int dibs_ivs_map(struct dibs_ivs_dev *ivs)
{
	struct pci_dev *pdev = ivs->pdev;
	resource_size_t len = pci_resource_len(pdev, DIBS_IVS_BAR_SHM);

	ivs->regs = pci_iomap(pdev, DIBS_IVS_BAR_REGS, 0);
	if (!ivs->regs)
		return -ENOMEM;
	/*
	 * Write-back, as the layout asks: the region is RAM of the host
	 * shared between QEMU processes, and its barriers and atomics
	 * assume cacheable memory.
	 */
	ivs->shm = memremap(pci_resource_start(pdev, DIBS_IVS_BAR_SHM), len,
			    MEMREMAP_WB);
	if (!ivs->shm) {
		pci_iounmap(pdev, ivs->regs);
		return -ENOMEM;
	}
	return 0;
}

static void dibs_ivs_unmap(struct dibs_ivs_dev *ivs)
{
	memunmap(ivs->shm);
	pci_iounmap(ivs->pdev, ivs->regs);
}

/* Our own partition and the allocator's state, from the checked layout. */
static int dibs_ivs_alloc_state(struct dibs_ivs_dev *ivs)
{
	void *part = dibs_ivs_partition(ivs, ivs->peer_id);

	ivs->summary = part + ivs->lay.summary_offset;
	ivs->descs = part + ivs->lay.desc_offset;
	ivs->data = part + ivs->lay.data_offset;
	ivs->ev_summary = part + ivs->lay.event_summary_offset;
	ivs->data_pages = min_t(u64, ivs->lay.data_size / DIBS_IVSHMEM_PAGE,
				U32_MAX);

	ivs->slots = kvcalloc(ivs->lay.dmbs_per_peer, sizeof(*ivs->slots),
			      GFP_KERNEL);
	ivs->page_map = kvcalloc(BITS_TO_LONGS(ivs->data_pages),
				 sizeof(unsigned long), GFP_KERNEL);
	ivs->seen = kvcalloc(ivs->lay.max_peers, sizeof(*ivs->seen),
			     GFP_KERNEL);
	ivs->ev_tail = kvcalloc(ivs->lay.max_peers, sizeof(*ivs->ev_tail),
				GFP_KERNEL);
	if (!ivs->slots || !ivs->page_map || !ivs->seen || !ivs->ev_tail)
		return -ENOMEM;
	return 0;
}

static void dibs_ivs_free_state(struct dibs_ivs_dev *ivs)
{
	kvfree(ivs->ev_tail);
	kvfree(ivs->seen);
	kvfree(ivs->page_map);
	kvfree(ivs->slots);
}

static int dibs_ivs_request_irqs(struct dibs_ivs_dev *ivs)
{
	struct pci_dev *pdev = ivs->pdev;
	int ret;

	ret = request_irq(pci_irq_vector(pdev, DIBS_IVSHMEM_VEC_SIGNAL),
			  dibs_ivs_signal_irq, 0, "dibs_ivshmem-signal", ivs);
	if (ret)
		return ret;
	ret = request_irq(pci_irq_vector(pdev, DIBS_IVSHMEM_VEC_PEERS),
			  dibs_ivs_peers_irq, 0, "dibs_ivshmem-peers", ivs);
	if (ret)
		free_irq(pci_irq_vector(pdev, DIBS_IVSHMEM_VEC_SIGNAL), ivs);
	return ret;
}

static void dibs_ivs_free_irqs(struct dibs_ivs_dev *ivs)
{
	free_irq(pci_irq_vector(ivs->pdev, DIBS_IVSHMEM_VEC_PEERS), ivs);
	free_irq(pci_irq_vector(ivs->pdev, DIBS_IVSHMEM_VEC_SIGNAL), ivs);
}

static int dibs_ivs_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct dibs_ivs_dev *ivs;
	struct dibs_dev *dibs;
	int ret;

	ivs = kzalloc(sizeof(*ivs), GFP_KERNEL);
	if (!ivs)
		return -ENOMEM;
	ivs->pdev = pdev;
	spin_lock_init(&ivs->alloc_lock);
	spin_lock_init(&ivs->send_lock);
	spin_lock_init(&ivs->att_lock);
	INIT_LIST_HEAD(&ivs->attached);
	INIT_LIST_HEAD(&ivs->umaps);
	INIT_WORK(&ivs->peers_work, dibs_ivs_peers_work);
	INIT_WORK(&ivs->ev_work, dibs_ivs_ev_work);

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_free;
	ret = pci_request_regions(pdev, KBUILD_MODNAME);
	if (ret)
		goto err_disable;
	ret = dibs_ivs_map(ivs);
	if (ret)
		goto err_release;
	ret = dibs_ivs_check_header(&pdev->dev, ivs->shm,
				    pci_resource_len(pdev, DIBS_IVS_BAR_SHM),
				    &ivs->lay);
	if (ret)
		goto err_unmap;
	ivs->peer_id = readl(ivs->regs + DIBS_IVSHMEM_REG_IVPOSITION);
	if (ivs->peer_id >= ivs->lay.max_peers) {
		dev_err(&pdev->dev, "IVPosition %u beyond max_peers %u\n",
			ivs->peer_id, ivs->lay.max_peers);
		ret = -EINVAL;
		goto err_unmap;
	}
	ret = dibs_ivs_alloc_state(ivs);
	if (!ret)
		ret = dibs_ivs_init_partition(ivs);
	if (ret)
		goto err_state;

	/* Vectors 0 and 1 are all the layout uses; MSI delivery needs DMA. */
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, DIBS_IVSHMEM_VECTORS_MIN,
				    DIBS_IVSHMEM_VECTORS_MIN, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "needs %d MSI-X vectors (QEMU vectors=N): %d\n",
			DIBS_IVSHMEM_VECTORS_MIN, ret);
		goto err_state;
	}

	dibs = dibs_dev_alloc();
	if (!dibs) {
		ret = -ENOMEM;
		goto err_vectors;
	}
	ivs->dibs = dibs;
	dibs->drv_priv = ivs;
	dibs->ops = &dibs_ivs_ops;
	dibs->map_ops = &dibs_ivs_map_ops;
	dibs->dev.parent = &pdev->dev;
	uuid_gen(&dibs->gid);
	ivs->index = ida_alloc(&dibs_ivs_ida, GFP_KERNEL);
	if (ivs->index < 0) {
		ret = ivs->index;
		goto err_put;
	}
	ret = dev_set_name(&dibs->dev, "ivshmem%d", ivs->index);
	if (ret)
		goto err_ida;
	ret = dibs_dev_add(dibs);
	if (ret)
		goto err_ida;
	/*
	 * Before the peers interrupt can run the work that owns the
	 * snapshot, and before we come up: a peer that leaves right after
	 * is reported.
	 */
	dibs_ivs_peers_snapshot(ivs);
	ret = dibs_ivs_request_irqs(ivs);
	if (ret)
		goto err_del;
	dibs_ivs_come_up(ivs);

	pci_set_drvdata(pdev, ivs);
	dev_info(&pdev->dev, "%s: fabric 0x%04x, peer %u of %u, generation %u, gid %pUb\n",
		 dev_name(&dibs->dev), ivs->lay.fabric_id, ivs->peer_id,
		 ivs->lay.max_peers, ivs->generation, &dibs->gid);
	return 0;

err_del:
	dibs_dev_del(dibs);
err_ida:
	ida_free(&dibs_ivs_ida, ivs->index);
err_put:
	put_device(&dibs->dev);
err_vectors:
	pci_free_irq_vectors(pdev);
err_state:
	dibs_ivs_free_state(ivs);
err_unmap:
	dibs_ivs_unmap(ivs);
err_release:
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(ivs);
	return ret;
}

/*
 * Peers stop writing to us when we go DOWN; clients then get del_dev() and
 * the core unregisters the DMBs they left, each after its writers left.
 */
static void dibs_ivs_remove(struct pci_dev *pdev)
{
	struct dibs_ivs_dev *ivs = pci_get_drvdata(pdev);

	dibs_ivs_go_down(ivs);
	dibs_ivs_free_irqs(ivs);
	cancel_work_sync(&ivs->peers_work);
	/* Events still in our mailboxes go with the device. */
	cancel_work_sync(&ivs->ev_work);
	dibs_dev_del(ivs->dibs);
	dibs_ivs_detach_all(ivs);
	dibs_ivs_release_umaps(ivs);
	ida_free(&dibs_ivs_ida, ivs->index);
	put_device(&ivs->dibs->dev);
	pci_free_irq_vectors(pdev);
	dibs_ivs_free_state(ivs);
	dibs_ivs_unmap(ivs);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	kfree(ivs);
}

static const struct pci_device_id dibs_ivs_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) },	/* ivshmem */
	{ }
};
MODULE_DEVICE_TABLE(pci, dibs_ivs_ids);

static struct pci_driver dibs_ivs_driver = {
	.name = DIBS_IVS_DRV_NAME,
	.id_table = dibs_ivs_ids,
	.probe = dibs_ivs_probe,
	.remove = dibs_ivs_remove,
};
module_pci_driver(dibs_ivs_driver);
