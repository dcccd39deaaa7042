/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the files of the dibs core module.
 */
#ifndef _DIBS_CORE_H
#define _DIBS_CORE_H

#include <linux/dibs.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>

/*
 * Tokens are unique per fabric, except on the loopback fabric where every
 * device hands out its own: the scope says which token space a token is in.
 */
struct sock;

struct dibs_dmb_key {
	u64 token;
	u32 scope;
} __packed __aligned(4);	/* 12 bytes: the record's next field packs in */

/*
 * What the core's userspace client keeps per DMB (dibs_uclient.c), inside
 * the record: a second allocation per DMB would cost as much again. RCU
 * readers (dumps, handle_irq()) may read these at any time.
 */
struct dibs_dmb_urec {
	u32 owner_portid;		/* 0: not tied to a socket */
	atomic_t pending_mask;		/* signals not yet sent */
	/* The /dev/dibs file that reads its signals (dibs_watch.c), if any. */
	struct dibs_watch __rcu *watch;
};

/*
 * The rest of it, used only while the userspace client holds a reference:
 * the owner's namespace is read under dibs_devs_lock while the DMB is
 * registered, and a queued signal holds a reference of its own. Nothing
 * reads them once the last reference is gone, so they share their space
 * with the rcu_head that frees the record then.
 */
struct dibs_dmb_uref {
	possible_net_t owner_net;
	struct llist_node signal_node;	/* while signals are pending */
};

/*
 * The core's record of one registered DMB, from a successful
 * register_dmb() to unregister_dmb(). It lets the core refuse to unregister
 * a client that still owns DMBs, release what a client left behind when a
 * device goes away, count writes per DMB and list DMBs for the control
 * plane. Lookups run under RCU in any context. The registration holds one
 * reference, a queued userspace signal another; the last one frees the
 * record after an RCU grace period.
 */
struct dibs_dmb_rec {
	struct rhash_head node;		/* in the table of all DMBs, by key */
	struct dibs_dmb_key key;
	u32 len;
	u32 idx;			/* sba index, its key in dibs_dev.dmbs */
	u8 client_id;
	refcount_t refs;
	struct dibs_dev *dibs;		/* the DMB's device; outlives it */
	void *cpu_addr;
	dma_addr_t dma_addr;
	uuid_t rgid;
	atomic64_t writes;
	atomic64_t write_bytes;
	atomic64_t signals;
	atomic64_t refused;
	struct dibs_dmb_urec u;		/* only for dibs_uclient's DMBs */
	union {
		struct dibs_dmb_uref uref;	/* only for dibs_uclient's */
		struct rcu_head rcu;		/* once no reference is left */
	};
};

/* dibs_ops.c: the ops table the core puts in front of every driver */
void dibs_ops_install(struct dibs_dev *dibs);
void dibs_ops_uninstall(struct dibs_dev *dibs);

/* dibs_dmb_rec.c: the records of registered DMBs */
int dibs_dmb_recs_init(void);
void dibs_dmb_recs_exit(void);
void dibs_dmb_recs_init_dev(struct dibs_dev *dibs);
void dibs_dmb_recs_release(struct dibs_dev *dibs);
struct dibs_dmb_rec *dibs_dmb_rec_add(struct dibs_dev *dibs,
				      const struct dibs_dmb *dmb,
				      struct dibs_client *client);
void dibs_dmb_rec_remove(struct dibs_dev *dibs, u64 token);
void dibs_dmb_rec_count_write(struct dibs_dev *dibs, u64 token,
			      unsigned int size, bool sf, int ret);
int dibs_client_dmb_count(u8 client_id);
int dibs_client_dev_dmb_count(u8 client_id, struct dibs_dev *dibs);
struct dibs_dmb_rec *dibs_dmb_rec_find(struct dibs_dev *dibs, u64 token);
void dibs_dmb_rec_put(struct dibs_dmb_rec *rec);
void dibs_dmb_rec_to_dmb(const struct dibs_dmb_rec *rec, struct dibs_dmb *dmb);
u32 dibs_dev_scope(struct dibs_dev *dibs);

/* dibs_main.c: registry. Lock order: dibs_soft_lock, dibs_devs_lock,
 * dibs_clients_lock.
 */
extern struct mutex dibs_devs_lock;
extern struct mutex dibs_clients_lock;
struct dibs_client *dibs_client_by_id(u8 id);
struct dibs_dev *dibs_dev_find_name(const char *name);
struct dibs_dev *dibs_dev_find_index(u32 index);
struct dibs_dev *dibs_dev_next(unsigned long *index);
int dibs_dev_set(struct dibs_dev *dibs, int state, struct net *net);

/*
 * dibs_dmb_write.c: the data path of both front ends (netlink dmb-write,
 * /dev/dibs). A write names its device by index, or when that is 0 by
 * name, in the writer's namespace.
 */
int dibs_dev_move(struct net *net, u32 index, const char *name, u64 token,
		  unsigned int sig_idx, bool signal, unsigned int offset,
		  void *data, unsigned int size);
struct dibs_dmb_wr {
	struct net *net;
	u32 dev_index;
	const char *dev_name;
	u64 token;
	u32 offset;
	u32 len;			/* all pieces together */
	bool signal;			/* signal_idx, with the last piece */
	u32 signal_idx;
	/*
	 * The next piece, after @done bytes: its data and length, at most
	 * the rest (len - done). Once only, of length 0, for a write of 0.
	 */
	int (*next)(struct dibs_dmb_wr *wr, u32 done, void **data, u32 *n);
};

int dibs_dmb_write(struct dibs_dmb_wr *wr);

/* dibs_soft.c: soft device types */
void dibs_soft_mutex_lock(void);
void dibs_soft_mutex_unlock(void);
void dibs_soft_exit(void);

/* dibs_uclient.c: the client that owns DMBs granted from userspace */
extern struct dibs_client dibs_uclient;
int dibs_uclient_init(void);
void dibs_uclient_exit(void);
int dibs_uclient_grant(struct dibs_dev *dibs, const uuid_t *rgid, u32 len,
		       struct sock *owner_sk, u32 owner_portid,
		       struct net *owner_net, struct dibs_dmb_rec **rec);
int dibs_uclient_revoke(struct dibs_dev *dibs, u64 token);
int dibs_uclient_read(struct dibs_dev *dibs, u64 token, u32 offset, u32 len,
		      void *buf);
bool dibs_uclient_owned(struct dibs_dmb_rec *rec);
struct folio;
int dibs_uclient_map(struct dibs_dev *dibs, u64 token, struct folio **folio,
		     u32 *len);
struct dibs_dmb_rec *dibs_uclient_find(struct dibs_dev *dibs, u64 token);
void dibs_uclient_dev_moved(struct dibs_dev *dibs);

/* dibs_cdev.c: /dev/dibs, the data path without netlink */
int dibs_cdev_init(void);
void dibs_cdev_exit(void);
void dibs_cdev_dev_del(struct dibs_dev *dibs);
struct dibs_dev *dibs_cdev_dev(struct net *net, u32 index, const char *name);

/*
 * dibs_watch.c: signals of userspace DMBs read from a /dev/dibs file. The
 * queue is the file's; add, del and free take dibs_devs_lock themselves.
 */
struct dibs_watchq;
struct dibs_watchq *dibs_watchq_new(void);
void dibs_watchq_free(struct dibs_watchq *q);
int dibs_watch_add(struct dibs_watchq *q, struct net *net, u32 dev_index,
		   const char *dev_name, u64 token);
int dibs_watch_del(struct dibs_watchq *q, struct net *net, u32 dev_index,
		   const char *dev_name, u64 token);
ssize_t dibs_watchq_read(struct dibs_watchq *q, char __user *buf,
			 size_t len, bool nonblock);
__poll_t dibs_watchq_poll(struct dibs_watchq *q, struct file *file,
			  struct poll_table_struct *pt);
/* From dibs_uclient.c: in IRQ context under RCU; or dibs_devs_lock held. */
void dibs_watch_signal(struct dibs_dmb_rec *rec, u16 mask);
void dibs_watch_end(struct dibs_dmb_rec *rec);

/* dibs_netlink.c: the family */
int dibs_nl_init(void);
void dibs_nl_exit(void);
/* The device set (add, delete, netns move) or the DMB set changed. */
void dibs_nl_gen_bump_devs(void);
void dibs_nl_gen_bump_dmbs(void);

/* dibs_nl_ntf.c: notifications (each says in which context) */
void dibs_nl_notify_dev(struct dibs_dev *dibs, u8 cmd);
void dibs_nl_notify_dmb(struct dibs_dmb_rec *rec, u8 cmd);
void dibs_nl_notify_client(struct dibs_client *client, u8 cmd);
void dibs_nl_notify_event(struct dibs_dev *dibs,
			  const struct dibs_event *event);
bool dibs_nl_signal_wanted(struct dibs_dev *dibs);
void dibs_nl_notify_signal(struct dibs_dev *dibs, u64 token, u32 sba_idx,
			   u16 mask);

#endif /* _DIBS_CORE_H */
