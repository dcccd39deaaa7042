// SPDX-License-Identifier: GPL-2.0
/*
 * Signals read from /dev/dibs: DIBS_IOC_DMB_WATCH, then read() and poll()
 * (uapi/linux/dibs_ioctl.h).
 *
 * A "signal" notification leaves the device's interrupt through a work
 * item that builds a netlink message, which the reader then parses: one
 * more wake-up and a message per signal on the way. A watched DMB's
 * signals are instead coalesced into its watch, and the reader is woken
 * straight from the userspace client's handle_irq() (wake_up() may be
 * called in IRQ context). The notifications go on as before, for whoever
 * listens to them.
 *
 * Objects and lifetimes:
 * - struct dibs_watchq, one per open file: its watches, the ready list and
 *   the wait queue. An interrupt may be waking it while the file closes,
 *   so it is freed after an RCU grace period.
 * - struct dibs_watch, one per watched DMB, from DIBS_IOC_DMB_WATCH until
 *   DIBS_IOC_DMB_UNWATCH, the close of the file, or - when the DMB goes or
 *   leaves the namespace first - the read() that reports that end. While
 *   it watches, the DMB's record points to it (rec->u.watch) and the
 *   interrupt finds it there under RCU: it too is freed after a grace
 *   period.
 *
 * Locks: dibs_devs_lock protects rec->u.watch, watch->rec and the queue's
 * list of watches; the queue's lock (taken in IRQ context) the ready list
 * and every watch's mask and ended flag. A watch stops watching under
 * both, and sets ended then, so an interrupt that found it just before
 * never queues it again.
 */
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/dibs_ioctl.h>

#include "dibs_core.h"

/* Events one read() takes at most; a reader wanting more reads again. */
#define DIBS_WATCH_READ_MAX	16

struct dibs_watchq {
	struct list_head watches;	/* watching; dibs_devs_lock */
	unsigned int n_watches;		/* on watches; dibs_devs_lock */
	spinlock_t lock;		/* ready; every watch's mask, ended */
	struct list_head ready;		/* watches with an event to read */
	wait_queue_head_t wait;		/* readers and pollers */
	struct rcu_head rcu;
};

struct dibs_watch {
	struct list_head node;		/* in q->watches while watching */
	struct list_head ready_node;	/* in q->ready, or empty */
	struct dibs_watchq *q;
	struct dibs_dmb_rec *rec;	/* while watching, else NULL */
	u64 token;
	u32 dev_index;
	u16 mask;			/* signals not yet read */
	bool ended;			/* no more signals will be queued */
	struct rcu_head rcu;
};

struct dibs_watchq *dibs_watchq_new(void)
{
	struct dibs_watchq *q = kzalloc(sizeof(*q), GFP_KERNEL);

	if (!q)
		return NULL;
	INIT_LIST_HEAD(&q->watches);
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->ready);
	init_waitqueue_head(&q->wait);
	return q;
}

/*
 * @w stops watching: off its DMB and its queue's list of watches. The
 * caller sets ended under q->lock next. dibs_devs_lock held.
 */
static void dibs_watch_unlink(struct dibs_watch *w)
{
	lockdep_assert_held(&dibs_devs_lock);
	RCU_INIT_POINTER(w->rec->u.watch, NULL);
	w->rec = NULL;
	list_del(&w->node);
	w->q->n_watches--;
}

/* Stop watching and free @w, nothing reported; dibs_devs_lock held. */
static void dibs_watch_free(struct dibs_watch *w)
{
	struct dibs_watchq *q = w->q;

	dibs_watch_unlink(w);
	spin_lock_irq(&q->lock);
	w->ended = true;
	list_del_init(&w->ready_node);
	spin_unlock_irq(&q->lock);
	kfree_rcu(w, rcu);
}

/* The file closes: nobody reads or polls @q any more. */
void dibs_watchq_free(struct dibs_watchq *q)
{
	struct dibs_watch *w, *tmp;

	mutex_lock(&dibs_devs_lock);
	list_for_each_entry_safe(w, tmp, &q->watches, node)
		dibs_watch_free(w);
	mutex_unlock(&dibs_devs_lock);
	/* What is left on the ready list has ended: nothing else has it. */
	list_for_each_entry_safe(w, tmp, &q->ready, ready_node)
		kfree_rcu(w, rcu);
	kfree_rcu(q, rcu);
}

int dibs_watch_add(struct dibs_watchq *q, struct net *net, u32 dev_index,
		   const char *dev_name, u64 token)
{
	struct dibs_dmb_rec *rec = NULL;
	struct dibs_dev *dibs;
	struct dibs_watch *w;
	int ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	INIT_LIST_HEAD(&w->ready_node);
	w->q = q;
	w->token = token;

	mutex_lock(&dibs_devs_lock);
	dibs = dibs_cdev_dev(net, dev_index, dev_name);
	if (dibs)
		rec = dibs_uclient_find(dibs, token);
	if (!dibs)
		ret = -ENODEV;
	else if (!rec)
		ret = -ENOENT;
	else if (rcu_access_pointer(rec->u.watch))
		ret = -EBUSY;
	else if (q->n_watches >= DIBS_DMB_WATCH_MAX)
		ret = -ENOSPC;
	else
		ret = 0;
	if (!ret) {
		w->rec = rec;
		w->dev_index = dibs->index;
		list_add_tail(&w->node, &q->watches);
		q->n_watches++;
		rcu_assign_pointer(rec->u.watch, w);
		w = NULL;
	}
	mutex_unlock(&dibs_devs_lock);
	kfree(w);
	return ret;
}

int dibs_watch_del(struct dibs_watchq *q, struct net *net, u32 dev_index,
		   const char *dev_name, u64 token)
{
	struct dibs_dev *dibs;
	struct dibs_watch *w;
	int ret = -ENOENT;

	mutex_lock(&dibs_devs_lock);
	dibs = dibs_cdev_dev(net, dev_index, dev_name);
	if (!dibs)
		ret = -ENODEV;
	else
		list_for_each_entry(w, &q->watches, node)
			if (w->dev_index == dibs->index && w->token == token) {
				dibs_watch_free(w);
				ret = 0;
				break;
			}
	mutex_unlock(&dibs_devs_lock);
	return ret;
}

/*
 * A signal on a DMB of the userspace client: IRQ context, under RCU,
 * @rec registered when the interrupt came.
 */
void dibs_watch_signal(struct dibs_dmb_rec *rec, u16 mask)
{
	struct dibs_watch *w = rcu_dereference(rec->u.watch);
	struct dibs_watchq *q;
	unsigned long flags;
	bool queued;

	if (!w)
		return;
	q = w->q;
	spin_lock_irqsave(&q->lock, flags);
	queued = !w->ended;
	if (queued) {
		w->mask |= mask;
		if (list_empty(&w->ready_node))
			list_add_tail(&w->ready_node, &q->ready);
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (queued)
		wake_up_interruptible_poll(&q->wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * @rec is being unregistered, or its device leaves the namespace; its
 * watch, if any, ends: read() reports that once, then frees it.
 * dibs_devs_lock held.
 */
void dibs_watch_end(struct dibs_dmb_rec *rec)
{
	struct dibs_watch *w;
	struct dibs_watchq *q;

	w = rcu_dereference_protected(rec->u.watch,
				      lockdep_is_held(&dibs_devs_lock));
	if (!w)
		return;
	q = w->q;
	dibs_watch_unlink(w);
	spin_lock_irq(&q->lock);
	w->ended = true;
	if (list_empty(&w->ready_node))
		list_add_tail(&w->ready_node, &q->ready);
	spin_unlock_irq(&q->lock);
	wake_up_interruptible_poll(&q->wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * Take up to @max events off the ready list into @ev; the ended watches
 * among them go to @done, to be freed. q->lock held.
 */
static unsigned int dibs_watchq_take(struct dibs_watchq *q,
				     struct dibs_dmb_event *ev,
				     unsigned int max, struct list_head *done)
{
	struct dibs_watch *w;
	unsigned int n = 0;

	lockdep_assert_held(&q->lock);
	while (n < max &&
	       (w = list_first_entry_or_null(&q->ready, struct dibs_watch,
					     ready_node))) {
		list_del_init(&w->ready_node);
		ev[n].token = w->token;
		ev[n].dev_index = w->dev_index;
		ev[n].mask = w->mask;
		ev[n].flags = w->ended ? DIBS_DMB_EVENT_ENDED : 0;
		w->mask = 0;
		if (w->ended)
			list_add_tail(&w->ready_node, done);
		n++;
	}
	return n;
}

ssize_t dibs_watchq_read(struct dibs_watchq *q, char __user *buf,
			 size_t len, bool nonblock)
{
	struct dibs_dmb_event ev[DIBS_WATCH_READ_MAX];
	unsigned int max, n;
	struct dibs_watch *w, *tmp;
	LIST_HEAD(done);
	int ret;

	max = min_t(size_t, len / sizeof(ev[0]), ARRAY_SIZE(ev));
	if (!max)
		return -EINVAL;
	for (;;) {
		spin_lock_irq(&q->lock);
		n = dibs_watchq_take(q, ev, max, &done);
		spin_unlock_irq(&q->lock);
		if (n)
			break;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(q->wait, !list_empty(&q->ready));
		if (ret)
			return ret;
	}
	/* An ended watch is reported once: it is no longer on any list. */
	list_for_each_entry_safe(w, tmp, &done, ready_node)
		kfree_rcu(w, rcu);
	if (copy_to_user(buf, ev, n * sizeof(ev[0])))
		return -EFAULT;
	return n * sizeof(ev[0]);
}

__poll_t dibs_watchq_poll(struct dibs_watchq *q, struct file *file,
			  struct poll_table_struct *pt)
{
	poll_wait(file, &q->wait, pt);
	return list_empty(&q->ready) ? 0 : EPOLLIN | EPOLLRDNORM;
}
