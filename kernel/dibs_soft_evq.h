/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The software-event queue of a soft device (loopback, sim): what its
 * signal_event() op uses to reach the receiving device.
 *
 * A sender queues a DIBS_SW_EVENT at the receiver's queue; a work item of
 * the receiver hands the events, oldest first, to dibs_dev_event(), which
 * calls every client's handle_event() under dibs->lock and tells the
 * control plane. Nothing is delivered in the sender's context, so a client
 * may send from any context, its own handle_event() included, without
 * meeting the locks its delivery takes.
 *
 * Lifetime: the owner initialises the queue with the device, opens it
 * before dibs_dev_add() and closes it before dibs_dev_del() (and on
 * dibs_dev_add()'s failure). Closing refuses further events, then waits
 * for those already queued to be delivered. Between open and close the
 * device is alive, so a sender that finds the queue open under its lock
 * may look at the device. Senders that find the queue without holding the
 * device (sim peers, under RCU) need the queue's memory to outlive a grace
 * period after it left their list.
 */
#ifndef _DIBS_SOFT_EVQ_H
#define _DIBS_SOFT_EVQ_H

#include <linux/dibs.h>
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>

/* Events queued per receiving device before senders get -ENOBUFS. */
#define DIBS_EVQ_LEN	64

struct dibs_evq {
	struct dibs_dev *dibs;		/* the receiving device */
	uuid_t gid;			/* its gid, set by dibs_evq_open() */
	spinlock_t lock;		/* protects the fields below */
	bool open;
	unsigned int head;		/* the oldest queued event */
	unsigned int count;
	struct dibs_event ring[DIBS_EVQ_LEN];
	struct work_struct work;
};

static inline void dibs_evq_work_fn(struct work_struct *work)
{
	struct dibs_evq *q = container_of(work, struct dibs_evq, work);
	struct dibs_event ev;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&q->lock, flags);
		if (!q->count) {
			spin_unlock_irqrestore(&q->lock, flags);
			return;
		}
		ev = q->ring[q->head];
		q->head = (q->head + 1) % DIBS_EVQ_LEN;
		q->count--;
		spin_unlock_irqrestore(&q->lock, flags);
		dibs_dev_event(q->dibs, &ev);
	}
}

static inline void dibs_evq_init(struct dibs_evq *q, struct dibs_dev *dibs)
{
	q->dibs = dibs;
	spin_lock_init(&q->lock);
	INIT_WORK(&q->work, dibs_evq_work_fn);
}

/* Accept events; the device's gid is final by now. */
static inline void dibs_evq_open(struct dibs_evq *q)
{
	unsigned long flags;

	uuid_copy(&q->gid, &q->dibs->gid);
	spin_lock_irqsave(&q->lock, flags);
	q->open = true;
	spin_unlock_irqrestore(&q->lock, flags);
}

/* Refuse events from now on and deliver those already queued. */
static inline void dibs_evq_close(struct dibs_evq *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->open = false;
	spin_unlock_irqrestore(&q->lock, flags);
	flush_work(&q->work);
}

/*
 * Queue a DIBS_SW_EVENT from @from with @code (the event's subtype) and
 * @info (its data) at the receiving device. Any context.
 * Return: 0; -ENETUNREACH when the receiver is going away or down;
 * -ENOBUFS when DIBS_EVQ_LEN events wait for delivery there.
 */
static inline int dibs_evq_push(struct dibs_evq *q, const uuid_t *from,
				u32 code, u64 info)
{
	struct dibs_event *ev;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&q->lock, flags);
	if (!q->open || !READ_ONCE(q->dibs->up)) {
		ret = -ENETUNREACH;
	} else if (q->count == DIBS_EVQ_LEN) {
		ret = -ENOBUFS;
	} else {
		ev = &q->ring[(q->head + q->count) % DIBS_EVQ_LEN];
		memset(ev, 0, sizeof(*ev));
		ev->type = DIBS_SW_EVENT;
		ev->subtype = code;
		uuid_copy(&ev->gid, from);
		ev->time = ktime_get_real_ns();
		ev->data = info;
		q->count++;
		schedule_work(&q->work);
	}
	spin_unlock_irqrestore(&q->lock, flags);
	return ret;
}

#endif /* _DIBS_SOFT_EVQ_H */
