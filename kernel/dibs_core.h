/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the files of the dibs core module.
 */
#ifndef _DIBS_CORE_H
#define _DIBS_CORE_H

#include <linux/dibs.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>

/*
 * The core's record of one registered DMB, kept in its device's table from
 * a successful register_dmb() to unregister_dmb(). It lets the core refuse
 * to unregister a client that still owns DMBs, release what a client left
 * behind when a device goes away, and answer "which DMBs exist".
 */
struct dibs_dmb_rec {
	struct rhash_head node;		/* in dibs_dev.dmbs, keyed by token */
	struct list_head list;		/* in the device's record list */
	u64 token;
	u8 client_id;
	u32 len;
	u32 idx;
	void *cpu_addr;
	dma_addr_t dma_addr;
	uuid_t rgid;
	struct rcu_head rcu;
};

/* dibs_ops.c: the ops table the core puts in front of every driver */
int dibs_ops_init_dev(struct dibs_dev *dibs);
void dibs_ops_install(struct dibs_dev *dibs);
void dibs_ops_uninstall(struct dibs_dev *dibs);
void dibs_ops_release_leftovers(struct dibs_dev *dibs);
void dibs_ops_destroy_dev(struct dibs_dev *dibs);
int dibs_client_dmb_count(u8 client_id);

/* dibs_main.c: registry */
extern struct mutex dibs_devs_lock;
extern struct list_head dibs_devs;
struct dibs_client *dibs_client_by_id(u8 id);

/* dibs_soft.c: soft device types */
void dibs_soft_exit(void);

#endif /* _DIBS_CORE_H */
