/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Direct Internal Buffer Sharing (DIBS): the in-kernel API.
 *
 * Names and semantics follow upstream Linux (include/linux/dibs.h, 6.18) so
 * that an upstream client such as SMC-D builds against this header unchanged.
 * What this project adds is marked "dibs extension" and lives after the
 * upstream fields of each structure.
 *
 * Concept: devices sit on a fabric (16-bit id). Each device has a 128-bit gid.
 * A client registers a DMB (direct memory buffer) on its local device for
 * exactly one remote gid; the fabric hands out a 64-bit token, unique on the
 * fabric. Only the device with that remote gid may write into the DMB, with
 * move_data(), optionally raising a signal that reaches the owning client's
 * handle_irq() as a bit in a coalesced mask.
 */
#ifndef _DIBS_H
#define _DIBS_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uuid.h>

struct netlink_ext_ack;
struct dibs_dev;

/* A DMB: a receive buffer of one local device, writable by one remote gid. */
struct dibs_dmb {
	u64 dmb_tok;		/* unique per fabric, handed out by the fabric */
	uuid_t rgid;		/* the only remote device allowed to write */
	void *cpu_addr;		/* the buffer */
	u32 dmb_len;
	u32 idx;		/* index of the DMB on its device (sba index) */
	u32 vlan_valid;		/* deprecated, ignored by soft devices */
	u32 vlan_id;		/* deprecated, ignored by soft devices */
	dma_addr_t dma_addr;	/* optional, for hardware drivers */
};

/* Events a device reports to its clients about the fabric and its peers. */
enum dibs_event_type {
	DIBS_BUF_EVENT,		/* e.g. a remote DMB was unregistered */
	DIBS_DEV_EVENT,		/* e.g. a remote device was disabled */
	DIBS_SW_EVENT,		/* sent by a remote client, signal_event() */
	DIBS_OTHER_TYPE
};

enum dibs_event_subtype {
	DIBS_BUF_UNREGISTERED,
	DIBS_DEV_DISABLED,
	DIBS_DEV_ERR_STATE,
	DIBS_OTHER_SUBTYPE
};

struct dibs_event {
	u32 type;
	u32 subtype;
	uuid_t gid;		/* uuid_null if not applicable */
	u64 buffer_tok;		/* zero if not applicable */
	u64 time;
	u64 data;		/* additional data or zero */
};

/* Clients */

#define MAX_DIBS_CLIENTS	8
#define NO_DIBS_CLIENT		0xff

struct dibs_client_ops {
	/*
	 * Called for every existing device from dibs_register_client() and
	 * for every device added later. @dev stays valid until del_dev().
	 */
	void (*add_dev)(struct dibs_dev *dev);
	/*
	 * Called when a device goes away and for every device from
	 * dibs_unregister_client(). The client must stop using @dev and
	 * release its DMBs on it before returning.
	 */
	void (*del_dev)(struct dibs_dev *dev);
	/*
	 * A signal for DMB @idx of @dev arrived; @dmbemask holds the
	 * coalesced signal bits. May run in IRQ context: must not sleep.
	 */
	void (*handle_irq)(struct dibs_dev *dev, unsigned int idx,
			   u16 dmbemask);
	/* A fabric event. May run in IRQ context: must not sleep. */
	void (*handle_event)(struct dibs_dev *dev,
			     const struct dibs_event *event);
};

struct dibs_client {
	const char *name;	/* for logs and for the control plane */
	const struct dibs_client_ops *ops;
	u8 id;			/* slot, assigned by the dibs core */
};

/*
 * dibs_register_client() - take one of MAX_DIBS_CLIENTS slots and receive
 * add_dev() for every existing device. Return: 0, or -ENOSPC when all slots
 * are taken.
 */
int dibs_register_client(struct dibs_client *client);

/*
 * dibs_unregister_client() - give the slot back after del_dev() for every
 * device. Return: 0, or -EBUSY (and nothing changed) while the client still
 * owns DMBs.
 */
int dibs_unregister_client(struct dibs_client *client);

/* Devices */

/* Loopback devices all report this fabric id and reach only themselves. */
#define DIBS_LOOPBACK_FABRIC	0xFFFF

/* Device operations; mandatory unless marked optional. */
struct dibs_dev_ops {
	u16 (*get_fabric_id)(struct dibs_dev *dev);
	/* Return: 0 when @rgid is reachable through @dev. */
	int (*query_remote_gid)(struct dibs_dev *dev, const uuid_t *rgid,
				u32 vid_valid, u32 vid);
	int (*max_dmbs)(void);
	/*
	 * In: dmb->rgid, dmb->dmb_len (dmb->idx if non-zero requests an
	 * index). Out: dmb_tok, cpu_addr, idx, dma_addr.
	 */
	int (*register_dmb)(struct dibs_dev *dev, struct dibs_dmb *dmb,
			    struct dibs_client *client);
	/* In: dmb_tok, cpu_addr, idx. Frees the buffer. */
	int (*unregister_dmb)(struct dibs_dev *dev, struct dibs_dmb *dmb);
	/*
	 * Write @size bytes at @offset of the DMB @dmb_tok on the fabric;
	 * with @sf set, bit @idx of the target's mask is raised and its
	 * owner's handle_irq() called (possibly coalesced).
	 */
	int (*move_data)(struct dibs_dev *dev, u64 dmb_tok, unsigned int idx,
			 bool sf, unsigned int offset, void *data,
			 unsigned int size);
	int (*add_vlan_id)(struct dibs_dev *dev, u64 vlan_id);	/* optional */
	int (*del_vlan_id)(struct dibs_dev *dev, u64 vlan_id);	/* optional */
	/* optional: raise a DIBS_SW_EVENT at the remote device @rgid */
	int (*signal_event)(struct dibs_dev *dev, const uuid_t *rgid,
			    u32 trigger_irq, u32 event_code, u64 info);
	/* optional, all three or none: remote DMBs mapped for direct writes */
	int (*support_mmapped_rdmb)(struct dibs_dev *dev);
	int (*attach_dmb)(struct dibs_dev *dev, struct dibs_dmb *dmb);
	int (*detach_dmb)(struct dibs_dev *dev, u64 token);
};

struct dibs_soft_type;

/*
 * dibs extension: userspace mappings (/dev/dibs) of DMBs that live in
 * memory of the device's own, e.g. a PCI BAR, instead of in pages of the
 * page allocator (the soft devices' folios, which need no driver help).
 * A driver that offers them sets dibs_dev.map_ops before dibs_dev_add().
 * The core inserts the pages at fault time and zaps them from every
 * process in dibs_dev_del(), so that a driver may give the memory up once
 * that returned; a later access raises SIGBUS. Holds last until the
 * last unmap all the same.
 */
struct dibs_dev_map_ops {
	struct module *owner;	/* pinned while a mapping exists */
	/*
	 * Hold DMB @token for a userspace mapping: one of @dev's own
	 * (@remote false), or (@remote true) a remote DMB granted to @dev's
	 * gid, attached as attach_dmb() would. On success *@pfn is the page
	 * frame of the buffer's first byte, *@len its length, and the
	 * buffer and the whole pages it starts in are the DMB's alone and
	 * not given to another DMB until unmap_dmb(*@hold), even after an
	 * unregister. Errors as attach_dmb()'s, and -EOPNOTSUPP for a DMB
	 * that cannot be mapped by page. Process context.
	 */
	int (*map_dmb)(struct dibs_dev *dev, u64 token, bool remote,
		       unsigned long *pfn, u32 *len, void **hold);
	/* Let go of a hold: process context, also after @dev was removed. */
	void (*unmap_dmb)(void *hold);
};

/* dibs extension: counters the core keeps for every device. */
struct dibs_dev_stats {
	atomic64_t moves;		/* successful move_data() calls */
	atomic64_t move_bytes;		/* bytes moved by them */
	atomic64_t signals;		/* of them, with the signal flag */
	atomic64_t move_errors;		/* move_data() calls refused */
	atomic64_t dmbs_registered;	/* register_dmb() successes */
	atomic64_t dmbs_unregistered;
};

struct dibs_dev {
	struct list_head list;		/* in the core's device list */
	struct device dev;
	/*
	 * Filled by the driver before dibs_dev_add(). From dibs_dev_add()
	 * on it points at the core's table, which accounts every DMB and
	 * move and calls the driver's ops (kept in drv_ops).
	 */
	const struct dibs_dev_ops *ops;
	uuid_t gid;
	void *drv_priv;

	void *priv[MAX_DIBS_CLIENTS];	/* per client; clients only */

	/*
	 * Protects the two fields below. Drivers deliver handle_irq() and
	 * the core handle_event() under it, to the client in subs[], so a
	 * client that unregisters (its slot cleared under the lock before
	 * its del_dev()) gets no callback after that.
	 */
	spinlock_t lock;
	/*
	 * Client id (or NO_DIBS_CLIENT) per sba index, max_dmbs() entries,
	 * allocated by dibs_dev_add(); drivers set it in register_dmb() and
	 * reset it in unregister_dmb().
	 */
	u8 *dmb_clientid_arr;
	/* A client's slot is set after its add_dev(), cleared before del_dev(). */
	struct dibs_client *subs[MAX_DIBS_CLIENTS];

	/* dibs extension, optional, set by the driver like ops */
	const struct dibs_dev_map_ops *map_ops;

	/* dibs extension, owned by the core */
	const struct dibs_dev_ops *drv_ops;	/* the driver's own ops */
	struct dibs_dev_ops core_ops;		/* what ops points at */
	const struct dibs_soft_type *soft_type;	/* NULL for hardware */
	u32 index;				/* like ifindex, from 1 */
	bool up;				/* state; down refuses I/O */
	/*
	 * In the registry, from dibs_dev_add() to dibs_dev_del(); written
	 * under the registry lock. A lockless reader that saw it set under
	 * rcu_read_lock() may use the device, its driver state and its
	 * namespace until rcu_read_unlock(): dibs_dev_del() waits for it.
	 */
	bool registered;
	bool dmbs_closed;			/* dibs_dev_del() began */
	possible_net_t net;			/* the namespace it is in */
	struct dibs_dev_stats stats;
	struct xarray dmbs;			/* core's DMB records by idx */
	atomic_t dmb_count;
};

static inline void dibs_set_priv(struct dibs_dev *dev,
				 struct dibs_client *client, void *priv)
{
	dev->priv[client->id] = priv;
}

static inline void *dibs_get_priv(struct dibs_dev *dev,
				  struct dibs_client *client)
{
	return dev->priv[client->id];
}

/*
 * dibs_dev_alloc() - allocate a device with one reference held by the
 * caller. After dibs_dev_add() failed or dibs_dev_del() returned, drop it
 * with put_device(&dibs->dev); never kfree() it.
 */
struct dibs_dev *dibs_dev_alloc(void);

/*
 * dibs_dev_add() - make the device visible (sysfs, uevent) and offer it to
 * every client. The driver has set dev name, ops, gid and drv_priv.
 * Return: 0, -EEXIST for a name already in use, or another errno.
 */
int dibs_dev_add(struct dibs_dev *dibs);

/*
 * dibs_dev_del() - every client gets del_dev(); DMBs a client left behind
 * are unregistered by the core; then the device leaves sysfs.
 */
void dibs_dev_del(struct dibs_dev *dibs);

/* dibs extension: the device's type name, e.g. "loopback". */
const char *dibs_dev_type_name(const struct dibs_dev *dibs);

/* dibs extension: the network namespace the device belongs to. */
static inline struct net *dibs_dev_net(const struct dibs_dev *dibs)
{
	return read_pnet(&dibs->net);
}

/*
 * dibs extension: report a fabric event to every client of @dibs and to
 * the control plane's "mgmt" group. Any context.
 */
void dibs_dev_event(struct dibs_dev *dibs, const struct dibs_event *event);

/*
 * dibs extension: soft device types, created at run time (like
 * rtnl_link_ops). A driver registers its type at module init; the core
 * calls create() for dev-new and destroy() for dev-del and for every device
 * of the type left when the type is unregistered.
 */
struct dibs_soft_params {
	const char *name;
	bool has_fabric_id;
	u16 fabric_id;
	bool has_gid;
	uuid_t gid;
	struct net *net;	/* made in this namespace; NULL: init_net */
};

struct dibs_soft_type {
	const char *kind;
	struct module *owner;
	/* Allocate, set up and dibs_dev_add() a device; ERR_PTR on failure. */
	struct dibs_dev *(*create)(const struct dibs_soft_params *params,
				   struct netlink_ext_ack *extack);
	/* dibs_dev_del() the device and drop the driver's reference. */
	void (*destroy)(struct dibs_dev *dibs);
	/* optional: the state changed (dev-set), e.g. to tell peers */
	void (*state_changed)(struct dibs_dev *dibs);
	struct list_head list;		/* core's */
};

int dibs_soft_type_register(struct dibs_soft_type *type);
void dibs_soft_type_unregister(struct dibs_soft_type *type);

/*
 * dibs extension, for create(): mark @dibs as a device of @type and give it
 * the name, gid (random unless given) and namespace of @params, all before
 * dibs_dev_add() announces it. Return: 0 or dev_set_name()'s error.
 */
int dibs_soft_dev_init(struct dibs_dev *dibs, struct dibs_soft_type *type,
		       const struct dibs_soft_params *params);

/*
 * dibs extension: create a soft device of a registered kind.
 * Return: the device (owned by its driver) with a reference for the
 * caller, who drops it with put_device(); or ERR_PTR.
 */
struct dibs_dev *dibs_soft_dev_new(const char *kind,
				   const struct dibs_soft_params *params,
				   struct netlink_ext_ack *extack);
/* Return: 0, or -EOPNOTSUPP for a device that is not a soft device. */
int dibs_soft_dev_del(struct dibs_dev *dibs);

#endif /* _DIBS_H */
