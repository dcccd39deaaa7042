// SPDX-License-Identifier: GPL-2.0
/*
 * The core's ops table in front of every driver.
 *
 * Clients call dibs->ops->register_dmb() and friends directly, as upstream
 * does, so the only place the core can see DMBs come and go is the ops
 * table itself. dibs_dev_add() swaps the driver's table for a per-device
 * copy in which the DMB, data-path and event ops are the core's and every
 * other op is the driver's own (optional ops stay NULL when the driver has
 * none, so clients' "is it supported" checks keep working).
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <uapi/linux/dibs.h>

#include "dibs_core.h"

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
	if (READ_ONCE(dibs->dmbs_closed))
		return -ENODEV;
	if (!READ_ONCE(dibs->up))
		return -ENETDOWN;

	ret = dibs->drv_ops->register_dmb(dibs, dmb, client);
	if (ret)
		return ret;

	rec = dibs_dmb_rec_add(dibs, dmb, client);
	if (IS_ERR(rec)) {
		dev_err(&dibs->dev, "cannot track DMB 0x%016llx: %ld\n",
			dmb->dmb_tok, PTR_ERR(rec));
		dibs->drv_ops->unregister_dmb(dibs, dmb);
		return PTR_ERR(rec);
	}
	/* The userspace client announces its own, once it knows the owner. */
	if (client != &dibs_uclient)
		dibs_nl_notify_dmb(rec, DIBS_CMD_DMB_ADD_NTF);
	return 0;
}

static int dibs_core_unregister_dmb(struct dibs_dev *dibs,
				    struct dibs_dmb *dmb)
{
	int ret;

	/*
	 * The driver decides first: it refuses tokens it does not know, so
	 * a repeated unregister of one DMB fails there.
	 */
	ret = dibs->drv_ops->unregister_dmb(dibs, dmb);
	if (ret)
		return ret;

	dibs_dmb_rec_remove(dibs, dmb->dmb_tok);
	return 0;
}

static int dibs_core_move_data(struct dibs_dev *dibs, u64 dmb_tok,
			       unsigned int idx, bool sf, unsigned int offset,
			       void *data, unsigned int size)
{
	int ret;

	if (!READ_ONCE(dibs->up))
		ret = -ENETDOWN;
	else
		ret = dibs->drv_ops->move_data(dibs, dmb_tok, idx, sf, offset,
					       data, size);
	if (ret) {
		atomic64_inc(&dibs->stats.move_errors);
	} else {
		atomic64_inc(&dibs->stats.moves);
		atomic64_add(size, &dibs->stats.move_bytes);
		if (sf)
			atomic64_inc(&dibs->stats.signals);
	}

	dibs_dmb_rec_count_write(dibs, dmb_tok, size, sf, ret);
	return ret;
}

/* A device that is down sends no events, as it moves no data. */
static int dibs_core_signal_event(struct dibs_dev *dibs, const uuid_t *rgid,
				  u32 trigger_irq, u32 event_code, u64 info)
{
	if (!READ_ONCE(dibs->up))
		return -ENETDOWN;
	return dibs->drv_ops->signal_event(dibs, rgid, trigger_irq,
					   event_code, info);
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
	/* Optional: a driver without it keeps it NULL. */
	if (drv->signal_event)
		ops->signal_event = dibs_core_signal_event;
	dibs->drv_ops = drv;
	dibs->ops = ops;
}

/* Give the driver its own ops back, e.g. when dibs_dev_add() fails. */
void dibs_ops_uninstall(struct dibs_dev *dibs)
{
	if (dibs->drv_ops)
		dibs->ops = dibs->drv_ops;
}
