// SPDX-License-Identifier: GPL-2.0
/*
 * dibs_smcd_client - a DIBS client that uses the in-kernel API the way
 * SMC-D (net/smc/smc_ism.c upstream) does, to test the core's contract.
 *
 * Like SMC-D it registers itself at load and unregisters at unload; it
 * allocates its state for a device in add_dev() and hands it to the core
 * with dibs_set_priv(); handle_irq() and handle_event(), which may run in
 * IRQ or BH context, fetch it with dibs_get_priv() and use it without a NULL
 * check; handle_event() hands the event to the device's ordered workqueue
 * unless the device is going away; del_dev() releases the DMBs it holds on
 * the device, sets the priv to NULL, destroys the workqueue and frees the
 * state. DMB buffers are turned into pages with virt_to_page(), as SMC-D's
 * splice does, which needs linear-map memory.
 *
 * dev_delay_ms=N sleeps N ms in add_dev() before the priv is set and in
 * del_dev() after it is cleared, standing in for the rest of SMC-D's work
 * there: it widens the windows in which a core that calls handle_irq() or
 * handle_event() outside add_dev()..del_dev() is caught.
 *
 * What SMC-D takes for granted is checked and counted (see "stats"):
 *   bad_magic  a callback found state that is not a live device's: freed,
 *              poisoned or foreign (under KASAN a use after free reports)
 *   null_priv  a callback found no state at all. SMC-D would oops here;
 *              this module counts it and returns, so that a test survives
 *              to report it, unless loaded with oops_on_null=1
 *   nonlinear  a DMB whose buffer virt_to_page() cannot map: vmalloc
 *              memory, outside the linear map, or not physically contiguous
 *   mismatch   bytes written (move_data() or an attached mapping) and read
 *              back through virt_to_page() differ
 *
 * /sys/kernel/debug/dibs_smcd_client/
 *   ctl      write one command; the write fails with the command's errno
 *   result   output of the last successful command
 *   stats    "NAME VALUE" per counter
 *   devices  "NAME IRQS EVENTS DMBS" per device held
 *
 * Commands:
 *   reg DEV COUNT LEN [RGID]  register COUNT DMBs of LEN bytes on DEV for
 *                             RGID (default: DEV's own gid), check each;
 *                             result "REGISTERED FIRST_ERRNO"
 *   write WRITER ROUNDS       ROUNDS times, for every DMB held for WRITER's
 *                             gid: move_data() with a signal, read back;
 *                             attach, store, read back, detach where the
 *                             device maps remote DMBs; signal_event() where
 *                             it exists. Result "MOVES ERRORS"
 *   unreg [DEV]               unregister the DMBs held (on DEV);
 *                             result "UNREGISTERED FIRST_ERRNO"
 *   client_unregister         release every DMB and unregister the client,
 *                             as the unload does
 *   client_register           register it again, as the load does; a test
 *                             times these two better than an insmod/rmmod
 *
 * blocker=1 also registers a second client, "dibs_smcd_blocker", that does
 * nothing but, while "hold" (a debugfs file) is 1, wait in its del_dev()
 * until it is 0 again (30 s at most). The core calls del_dev() with its
 * device lock held, so a test can stop a device's removal there, queue
 * client_register or client_unregister behind it and let both go: they
 * then run while the removal goes on (and raises its events). "hold" bit 1
 * (value 2) makes the blocker's handle_event() spin (500 ms at most) until
 * the main client's add_dev() has begun, bit 2 (value 4) until two of its
 * del_dev()s are done: the removal's later events then come while the
 * (un)registration is in its add_dev()/del_dev() loop.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dibs.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#define SC_MAGIC	0x534d4344u	/* "SMCD": a live sc_dev */
#define SC_POISON	0xdead5cdcu	/* written just before the free */
#define SC_CMD_MAX	256
#define SC_ARGS_MAX	6
#define SC_RESULT_SIZE	256
#define SC_NAME_MAX	32
#define SC_SIGNAL_BITS	16		/* what every soft device takes */
#define SC_COUNT_MAX	1024		/* DMBs one reg command asks */
#define SC_ROUNDS_MAX	100000

static bool oops_on_null;
module_param(oops_on_null, bool, 0444);
MODULE_PARM_DESC(oops_on_null,
		 "dereference a NULL priv in handle_irq/handle_event as SMC-D does");

static bool blocker;
module_param(blocker, bool, 0444);
MODULE_PARM_DESC(blocker, "register the dibs_smcd_blocker client too");

static unsigned int dev_delay_ms;
module_param(dev_delay_ms, uint, 0444);
MODULE_PARM_DESC(dev_delay_ms, "sleep in add_dev() and del_dev() (ms, <= 1000)");

/* What SMC-D keeps per device (its smcd_dev), in short. */
struct sc_dev {
	u32 magic;			/* SC_MAGIC while alive */
	spinlock_t lock;		/* the IRQ-side fields, like smcd->lock */
	u64 irqs;
	u64 events;
	unsigned int last_idx;
	bool going_away;		/* del_dev() has begun */
	struct workqueue_struct *event_wq;	/* like smcd->event_wq */
	struct list_head list;		/* in sc_devs, under sc_lock */
	struct dibs_dev *dibs;
	char name[SC_NAME_MAX];
};

/* A DMB this client registered (SMC-D's smc_buf_desc). */
struct sc_dmb {
	struct list_head list;		/* in sc_dmbs, under sc_lock */
	struct sc_dev *sdev;
	struct dibs_dmb dmb;
	bool linear;			/* virt_to_page() works on every byte */
	u32 seq;			/* writes so far */
};

/* An event on its way to the device's workqueue. */
struct sc_event_work {
	struct work_struct work;
	struct sc_dev *sdev;
	struct dibs_event event;
};

struct sc_out {
	char *buf;
	size_t len;
	size_t size;
};

/*
 * Lock order: sc_cmd_lock, then the core's locks (add_dev/del_dev run under
 * them), then sc_lock, then the device ops, then sc_dev.lock (IRQ side).
 */
static DEFINE_MUTEX(sc_cmd_lock);	/* commands and the result */
static DEFINE_MUTEX(sc_lock);		/* sc_devs, sc_dmbs */
static LIST_HEAD(sc_devs);
static LIST_HEAD(sc_dmbs);
static bool sc_client_on;		/* registered; under sc_cmd_lock */
static char sc_result[SC_RESULT_SIZE];
static size_t sc_result_len;
static struct dentry *sc_dir;

static atomic64_t sc_irqs = ATOMIC64_INIT(0);
static atomic64_t sc_events = ATOMIC64_INIT(0);
static atomic64_t sc_event_works = ATOMIC64_INIT(0);
static atomic64_t sc_event_nomem = ATOMIC64_INIT(0);
static atomic64_t sc_bad_magic = ATOMIC64_INIT(0);
static atomic64_t sc_null_priv = ATOMIC64_INIT(0);
static atomic64_t sc_nonlinear = ATOMIC64_INIT(0);
static atomic64_t sc_mismatch = ATOMIC64_INIT(0);
static atomic64_t sc_adds = ATOMIC64_INIT(0);
static atomic64_t sc_add_starts = ATOMIC64_INIT(0);
static atomic64_t sc_dels = ATOMIC64_INIT(0);
static atomic64_t sc_add_nomem = ATOMIC64_INIT(0);
static atomic64_t sc_registered = ATOMIC64_INIT(0);
static atomic64_t sc_reg_errors = ATOMIC64_INIT(0);
static atomic64_t sc_unregistered = ATOMIC64_INIT(0);
static atomic64_t sc_unreg_errors = ATOMIC64_INIT(0);
static atomic64_t sc_moves = ATOMIC64_INIT(0);
static atomic64_t sc_move_errors = ATOMIC64_INIT(0);
static atomic64_t sc_attaches = ATOMIC64_INIT(0);
static atomic64_t sc_attach_errors = ATOMIC64_INIT(0);

static void sc_add_dev(struct dibs_dev *dibs);
static void sc_del_dev(struct dibs_dev *dibs);
static void sc_handle_irq(struct dibs_dev *dibs, unsigned int idx,
			  u16 dmbemask);
static void sc_handle_event(struct dibs_dev *dibs,
			    const struct dibs_event *event);

static const struct dibs_client_ops sc_client_ops = {
	.add_dev = sc_add_dev,
	.del_dev = sc_del_dev,
	.handle_irq = sc_handle_irq,
	.handle_event = sc_handle_event,
};

static struct dibs_client sc_client = {
	.name = "dibs_smcd",
	.ops = &sc_client_ops,
};

/* The blocker: a client whose del_dev() waits while sc_hold is set */

#define SC_HOLD_DEL	BIT(0)
#define SC_SPIN_ADD	BIT(1)
#define SC_SPIN_DELS	BIT(2)
static unsigned long sc_hold;		/* SC_* bits */
static s64 sc_arm_adds, sc_arm_dels;
static DECLARE_WAIT_QUEUE_HEAD(sc_hold_wq);
static bool sc_blocker_on;

static void sc_blocker_add_dev(struct dibs_dev *dibs)
{
}

static void sc_blocker_del_dev(struct dibs_dev *dibs)
{
	wait_event_timeout(sc_hold_wq,
			   !(READ_ONCE(sc_hold) & SC_HOLD_DEL), 30 * HZ);
}

static void sc_blocker_handle_event(struct dibs_dev *dibs,
				    const struct dibs_event *event)
{
	unsigned int i;

	for (i = 0; i < 500; i++) {
		if (test_bit(1, &sc_hold) &&
		    atomic64_read(&sc_add_starts) <= READ_ONCE(sc_arm_adds)) {
			mdelay(1);
			continue;
		}
		if (test_bit(2, &sc_hold) &&
		    atomic64_read(&sc_dels) < READ_ONCE(sc_arm_dels) + 2) {
			mdelay(1);
			continue;
		}
		break;
	}
	clear_bit(1, &sc_hold);
	clear_bit(2, &sc_hold);
}

static const struct dibs_client_ops sc_blocker_ops = {
	.add_dev = sc_blocker_add_dev,
	.del_dev = sc_blocker_del_dev,
	.handle_event = sc_blocker_handle_event,
};

static struct dibs_client sc_blocker = {
	.name = "dibs_smcd_blocker",
	.ops = &sc_blocker_ops,
};

static int sc_hold_get(void *data, u64 *val)
{
	*val = READ_ONCE(sc_hold);
	return 0;
}

static int sc_hold_set(void *data, u64 val)
{
	WRITE_ONCE(sc_arm_adds, atomic64_read(&sc_add_starts));
	WRITE_ONCE(sc_arm_dels, atomic64_read(&sc_dels));
	WRITE_ONCE(sc_hold, val & (SC_HOLD_DEL | SC_SPIN_ADD | SC_SPIN_DELS));
	wake_up_all(&sc_hold_wq);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(sc_hold_fops, sc_hold_get, sc_hold_set, "%llu\n");

/* Devices */

static void sc_add_dev(struct dibs_dev *dibs)
{
	struct sc_dev *sdev;

	atomic64_inc(&sc_add_starts);
	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev) {
		/* SMC-D leaves such a device alone */
		atomic64_inc(&sc_add_nomem);
		return;
	}
	sdev->event_wq = alloc_ordered_workqueue("sc_evt_%s", WQ_MEM_RECLAIM,
						 dev_name(&dibs->dev));
	if (!sdev->event_wq) {
		kfree(sdev);
		atomic64_inc(&sc_add_nomem);
		return;
	}
	spin_lock_init(&sdev->lock);
	sdev->dibs = dibs;
	strscpy(sdev->name, dev_name(&dibs->dev), sizeof(sdev->name));
	sdev->magic = SC_MAGIC;
	if (dev_delay_ms)
		msleep(min(dev_delay_ms, 1000u));
	dibs_set_priv(dibs, &sc_client, sdev);
	mutex_lock(&sc_lock);
	list_add_tail(&sdev->list, &sc_devs);
	mutex_unlock(&sc_lock);
	atomic64_inc(&sc_adds);
}

/* Unregister one DMB and forget it either way, as SMC-D does. */
static int sc_dmb_release(struct sc_dmb *sdmb)
{
	struct dibs_dev *dibs = sdmb->sdev->dibs;
	int rc;

	lockdep_assert_held(&sc_lock);
	rc = dibs->ops->unregister_dmb(dibs, &sdmb->dmb);
	if (rc) {
		pr_err("unregister_dmb 0x%016llx on %s: %d\n",
		       sdmb->dmb.dmb_tok, sdmb->sdev->name, rc);
		atomic64_inc(&sc_unreg_errors);
	} else {
		atomic64_inc(&sc_unregistered);
	}
	list_del(&sdmb->list);
	kfree(sdmb);
	return rc;
}

/* Release the DMBs held on @sdev, or all if NULL; count and first error. */
static unsigned int sc_release(struct sc_dev *sdev, int *first)
{
	struct sc_dmb *sdmb, *next;
	unsigned int done = 0;
	int rc;

	lockdep_assert_held(&sc_lock);
	*first = 0;
	list_for_each_entry_safe(sdmb, next, &sc_dmbs, list) {
		if (sdev && sdmb->sdev != sdev)
			continue;
		rc = sc_dmb_release(sdmb);
		if (rc && !*first)
			*first = rc;
		if (!rc)
			done++;
	}
	return done;
}

static void sc_del_dev(struct dibs_dev *dibs)
{
	struct sc_dev *sdev = dibs_get_priv(dibs, &sc_client);
	int first;

	if (!sdev) {
		/* add_dev() found no memory, or was never called */
		atomic64_inc(&sc_null_priv);
		return;
	}
	if (sdev->magic != SC_MAGIC) {
		atomic64_inc(&sc_bad_magic);
		return;
	}
	WRITE_ONCE(sdev->going_away, true);
	mutex_lock(&sc_lock);
	sc_release(sdev, &first);
	list_del(&sdev->list);
	mutex_unlock(&sc_lock);
	dibs_set_priv(dibs, &sc_client, NULL);
	/* runs what handle_event() queued, as SMC-D's del_dev() does */
	destroy_workqueue(sdev->event_wq);
	WRITE_ONCE(sdev->magic, SC_POISON);
	kfree(sdev);
	atomic64_inc(&sc_dels);
	if (dev_delay_ms)
		msleep(min(dev_delay_ms, 1000u));
}

/* IRQ side: no sleeping, spinlocks and atomics only */

/*
 * The device's state as SMC-D fetches it. A NULL priv is counted and, unless
 * oops_on_null, not dereferenced; a bad magic is counted and the state not
 * touched any further.
 */
static struct sc_dev *sc_irq_priv(struct dibs_dev *dibs)
{
	struct sc_dev *sdev = dibs_get_priv(dibs, &sc_client);

	if (unlikely(!sdev)) {
		atomic64_inc(&sc_null_priv);
		if (!oops_on_null)
			return NULL;
	}
	if (unlikely(READ_ONCE(sdev->magic) != SC_MAGIC)) {
		atomic64_inc(&sc_bad_magic);
		return NULL;
	}
	return sdev;
}

static void sc_handle_irq(struct dibs_dev *dibs, unsigned int idx,
			  u16 dmbemask)
{
	struct sc_dev *sdev = sc_irq_priv(dibs);
	unsigned long flags;

	if (!sdev)
		return;
	spin_lock_irqsave(&sdev->lock, flags);
	sdev->irqs++;
	sdev->last_idx = idx;
	spin_unlock_irqrestore(&sdev->lock, flags);
	atomic64_inc(&sc_irqs);
}

static void sc_event_work_fn(struct work_struct *work)
{
	struct sc_event_work *wrk = container_of(work, struct sc_event_work,
						 work);
	struct sc_dev *sdev = wrk->sdev;
	unsigned long flags;

	/* del_dev() destroys the workqueue before it frees the state */
	if (READ_ONCE(sdev->magic) != SC_MAGIC) {
		atomic64_inc(&sc_bad_magic);
	} else {
		spin_lock_irqsave(&sdev->lock, flags);
		sdev->events++;
		spin_unlock_irqrestore(&sdev->lock, flags);
		atomic64_inc(&sc_event_works);
	}
	kfree(wrk);
}

static void sc_handle_event(struct dibs_dev *dibs,
			    const struct dibs_event *event)
{
	struct sc_dev *sdev = sc_irq_priv(dibs);
	struct sc_event_work *wrk;

	if (!sdev)
		return;
	atomic64_inc(&sc_events);
	if (READ_ONCE(sdev->going_away))
		return;
	wrk = kmalloc(sizeof(*wrk), GFP_ATOMIC);
	if (!wrk) {
		atomic64_inc(&sc_event_nomem);
		return;
	}
	INIT_WORK(&wrk->work, sc_event_work_fn);
	wrk->sdev = sdev;
	wrk->event = *event;
	queue_work(sdev->event_wq, &wrk->work);
}

/* DMB buffers as SMC-D uses them */

/*
 * Can virt_to_page() map every byte of @buf: linear-map memory, physically
 * contiguous, each page's address the byte's own rounded down?
 */
static bool sc_buf_linear(void *buf, u32 len)
{
	unsigned long base = (unsigned long)buf & PAGE_MASK;
	unsigned long first_pfn, addr;

	if (!len || is_vmalloc_addr(buf) || !virt_addr_valid(buf))
		return false;
	first_pfn = page_to_pfn(virt_to_page(buf));
	for (addr = base; addr < (unsigned long)buf + len; addr += PAGE_SIZE) {
		void *p = (void *)addr;

		if (is_vmalloc_addr(p) || !virt_addr_valid(p) ||
		    page_address(virt_to_page(p)) != p ||
		    page_to_pfn(virt_to_page(p)) !=
		    first_pfn + ((addr - base) >> PAGE_SHIFT))
			return false;
	}
	return true;
}

/* Read @n bytes at @off of a linear DMB through its page, as splice does. */
static void sc_page_read(const struct sc_dmb *sdmb, u32 off, void *out,
			 size_t n)
{
	void *addr = sdmb->dmb.cpu_addr + off;

	memcpy(out, page_address(virt_to_page(addr)) + offset_in_page(addr),
	       n);
}

static u64 sc_pattern(const struct sc_dmb *sdmb, u32 salt)
{
	return sdmb->dmb.dmb_tok ^ ((u64)sdmb->seq << 32) ^ salt;
}

/* An 8-byte aligned offset that moves over the pages of the DMB. */
static u32 sc_offset(const struct sc_dmb *sdmb, u32 shift)
{
	u32 len8 = sdmb->dmb.dmb_len & ~7u;

	return (u32)(((u64)sdmb->seq * PAGE_SIZE + 8 * (sdmb->seq & 7) +
		      shift) % len8) & ~7u;
}

static void sc_check_back(const struct sc_dmb *sdmb, u32 off, u64 want)
{
	u64 got;

	if (!sdmb->linear)
		return;
	sc_page_read(sdmb, off, &got, sizeof(got));
	if (got != want)
		atomic64_inc(&sc_mismatch);
}

static struct sc_dev *sc_dev_find(const char *name)
{
	struct sc_dev *sdev;

	lockdep_assert_held(&sc_lock);
	list_for_each_entry(sdev, &sc_devs, list)
		if (!strcmp(sdev->name, name))
			return sdev;
	return NULL;
}

static bool sc_can_map(struct dibs_dev *dibs)
{
	const struct dibs_dev_ops *ops = dibs->ops;

	return ops->support_mmapped_rdmb && ops->attach_dmb &&
	       ops->detach_dmb && ops->support_mmapped_rdmb(dibs);
}

static int sc_register_one(struct sc_dev *sdev, u32 len, const uuid_t *rgid)
{
	struct dibs_dev *dibs = sdev->dibs;
	struct sc_dmb *sdmb;
	int rc;

	sdmb = kzalloc(sizeof(*sdmb), GFP_KERNEL);
	if (!sdmb)
		return -ENOMEM;
	sdmb->sdev = sdev;
	sdmb->dmb.dmb_len = len;
	uuid_copy(&sdmb->dmb.rgid, rgid);
	rc = dibs->ops->register_dmb(dibs, &sdmb->dmb, &sc_client);
	if (rc) {
		atomic64_inc(&sc_reg_errors);
		kfree(sdmb);
		return rc;
	}
	atomic64_inc(&sc_registered);
	sdmb->linear = sc_buf_linear(sdmb->dmb.cpu_addr, sdmb->dmb.dmb_len);
	if (!sdmb->linear) {
		atomic64_inc(&sc_nonlinear);
		pr_info_ratelimited("DMB 0x%016llx on %s (%u bytes) is not in the linear map (%s)\n",
				    sdmb->dmb.dmb_tok, sdev->name,
				    sdmb->dmb.dmb_len,
				    is_vmalloc_addr(sdmb->dmb.cpu_addr) ?
				    "vmalloc" : "not contiguous");
	}
	list_add_tail(&sdmb->list, &sc_dmbs);
	return 0;
}

/* Commands, run under sc_cmd_lock; argv[0] is the command's name */

static __printf(2, 3) void sc_printf(struct sc_out *out, const char *fmt, ...)
{
	va_list args;
	int n;

	if (out->len >= out->size)
		return;
	va_start(args, fmt);
	n = vsnprintf(out->buf + out->len, out->size - out->len, fmt, args);
	va_end(args);
	out->len = min_t(size_t, out->len + n, out->size - 1);
}

static int sc_cmd_reg(char **argv, unsigned int argc, struct sc_out *out)
{
	struct sc_dev *sdev;
	u32 count, len, done;
	uuid_t rgid;
	int rc = 0;

	if (kstrtou32(argv[2], 0, &count) || kstrtou32(argv[3], 0, &len) ||
	    !count || count > SC_COUNT_MAX || len < 16)
		return -EINVAL;
	if (argc > 4 && (strlen(argv[4]) != UUID_STRING_LEN ||
			 uuid_parse(argv[4], &rgid)))
		return -EINVAL;

	mutex_lock(&sc_lock);
	sdev = sc_dev_find(argv[1]);
	if (!sdev) {
		mutex_unlock(&sc_lock);
		return -ENODEV;
	}
	if (argc <= 4)
		uuid_copy(&rgid, &sdev->dibs->gid);
	for (done = 0; done < count; done++) {
		rc = sc_register_one(sdev, len, &rgid);
		if (rc)
			break;
	}
	mutex_unlock(&sc_lock);
	sc_printf(out, "%u %d\n", done, rc);
	return 0;
}

/* One write of @sdmb from @writer: move_data() with a signal, read back. */
static int sc_write_one(struct dibs_dev *writer, struct sc_dmb *sdmb)
{
	u32 off = sc_offset(sdmb, 0);
	u64 val = sc_pattern(sdmb, 0);
	int rc;

	rc = writer->ops->move_data(writer, sdmb->dmb.dmb_tok,
				    sdmb->seq % SC_SIGNAL_BITS, true, off,
				    &val, sizeof(val));
	if (rc) {
		atomic64_inc(&sc_move_errors);
		return rc;
	}
	atomic64_inc(&sc_moves);
	sc_check_back(sdmb, off, val);
	return 0;
}

/* Where the writer maps remote DMBs: store directly, as SMC-D does then. */
static void sc_store_one(struct dibs_dev *writer, struct sc_dmb *sdmb)
{
	u32 off = sc_offset(sdmb, sdmb->dmb.dmb_len / 2);
	u64 val = sc_pattern(sdmb, 0x5a5a5a5a);
	struct dibs_dmb att = { .dmb_tok = sdmb->dmb.dmb_tok };

	if (writer->ops->attach_dmb(writer, &att)) {
		atomic64_inc(&sc_attach_errors);
		return;
	}
	atomic64_inc(&sc_attaches);
	if (att.cpu_addr != sdmb->dmb.cpu_addr ||
	    att.dmb_len != sdmb->dmb.dmb_len) {
		atomic64_inc(&sc_mismatch);
	} else {
		memcpy(att.cpu_addr + off, &val, sizeof(val));
		sc_check_back(sdmb, off, val);
	}
	if (writer->ops->detach_dmb(writer, att.dmb_tok))
		atomic64_inc(&sc_attach_errors);
}

static int sc_cmd_write(char **argv, unsigned int argc, struct sc_out *out)
{
	u64 moves = 0, errors = 0;
	struct dibs_dev *writer;
	struct sc_dev *wdev;
	struct sc_dmb *sdmb;
	u32 rounds, i;

	if (kstrtou32(argv[2], 0, &rounds) || !rounds ||
	    rounds > SC_ROUNDS_MAX)
		return -EINVAL;
	for (i = 0; i < rounds; i++) {
		/* the lock per round: del_dev() waits for it */
		mutex_lock(&sc_lock);
		wdev = sc_dev_find(argv[1]);
		if (!wdev) {
			mutex_unlock(&sc_lock);
			return -ENODEV;
		}
		writer = wdev->dibs;
		list_for_each_entry(sdmb, &sc_dmbs, list) {
			if (!uuid_equal(&sdmb->dmb.rgid, &writer->gid))
				continue;
			sdmb->seq++;
			if (sc_write_one(writer, sdmb))
				errors++;
			else
				moves++;
			if (sc_can_map(writer))
				sc_store_one(writer, sdmb);
			/* SMC-D's shutdown signal, where the device has one */
			if (writer->ops->signal_event && !(sdmb->seq & 63))
				writer->ops->signal_event(writer,
							  &sdmb->sdev->dibs->gid,
							  0, 0, 0);
		}
		mutex_unlock(&sc_lock);
		cond_resched();
	}
	sc_printf(out, "%llu %llu\n", moves, errors);
	return 0;
}

static int sc_cmd_unreg(char **argv, unsigned int argc, struct sc_out *out)
{
	struct sc_dev *sdev = NULL;
	unsigned int done;
	int first;

	mutex_lock(&sc_lock);
	if (argc > 1) {
		sdev = sc_dev_find(argv[1]);
		if (!sdev) {
			mutex_unlock(&sc_lock);
			return -ENODEV;
		}
	}
	done = sc_release(sdev, &first);
	mutex_unlock(&sc_lock);
	sc_printf(out, "%u %d\n", done, first);
	return 0;
}

/* SMC-D's exit: its DMBs are gone before it unregisters. */
static int sc_client_unregister(void)
{
	int first;

	lockdep_assert_held(&sc_cmd_lock);
	if (!sc_client_on)
		return -EALREADY;
	mutex_lock(&sc_lock);
	sc_release(NULL, &first);
	mutex_unlock(&sc_lock);
	first = dibs_unregister_client(&sc_client);
	if (first)
		return first;
	sc_client_on = false;
	return 0;
}

static int sc_cmd_client_unregister(char **argv, unsigned int argc,
				    struct sc_out *out)
{
	return sc_client_unregister();
}

static int sc_cmd_client_register(char **argv, unsigned int argc,
				  struct sc_out *out)
{
	int rc;

	if (sc_client_on)
		return -EALREADY;
	rc = dibs_register_client(&sc_client);
	if (rc)
		return rc;
	sc_client_on = true;
	return 0;
}

struct sc_cmd {
	const char *name;
	unsigned int min_argc;	/* including the command's name */
	unsigned int max_argc;
	int (*fn)(char **argv, unsigned int argc, struct sc_out *out);
};

static const struct sc_cmd sc_cmds[] = {
	{ "reg", 4, 5, sc_cmd_reg },
	{ "write", 3, 3, sc_cmd_write },
	{ "unreg", 1, 2, sc_cmd_unreg },
	{ "client_unregister", 1, 1, sc_cmd_client_unregister },
	{ "client_register", 1, 1, sc_cmd_client_register },
};

static int sc_run(char *line)
{
	char scratch[SC_RESULT_SIZE];
	struct sc_out out = { .buf = scratch, .size = sizeof(scratch) };
	char *argv[SC_ARGS_MAX], *word;
	unsigned int argc = 0, i;
	int rc;

	while ((word = strsep(&line, " \t\n")) != NULL) {
		if (!*word)
			continue;
		if (argc == SC_ARGS_MAX)
			return -EINVAL;
		argv[argc++] = word;
	}
	if (!argc)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(sc_cmds); i++)
		if (!strcmp(argv[0], sc_cmds[i].name))
			break;
	if (i == ARRAY_SIZE(sc_cmds) || argc < sc_cmds[i].min_argc ||
	    argc > sc_cmds[i].max_argc)
		return -EINVAL;
	rc = sc_cmds[i].fn(argv, argc, &out);
	if (rc)
		return rc;
	memcpy(sc_result, scratch, out.len);
	sc_result_len = out.len;
	return 0;
}

static ssize_t sc_ctl_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char *line;
	int rc;

	if (!count || count >= SC_CMD_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	mutex_lock(&sc_cmd_lock);
	rc = sc_run(line);
	mutex_unlock(&sc_cmd_lock);
	kfree(line);
	return rc ? rc : count;
}

static const struct file_operations sc_ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = sc_ctl_write,
	.llseek = noop_llseek,
};

static ssize_t sc_result_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	ssize_t rc;

	mutex_lock(&sc_cmd_lock);
	rc = simple_read_from_buffer(ubuf, count, ppos, sc_result,
				     sc_result_len);
	mutex_unlock(&sc_cmd_lock);
	return rc;
}

static const struct file_operations sc_result_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = sc_result_read,
	.llseek = default_llseek,
};

static const struct {
	const char *name;
	atomic64_t *val;
} sc_stats[] = {
	{ "irqs", &sc_irqs },
	{ "events", &sc_events },
	{ "event_works", &sc_event_works },
	{ "event_nomem", &sc_event_nomem },
	{ "bad_magic", &sc_bad_magic },
	{ "null_priv", &sc_null_priv },
	{ "nonlinear", &sc_nonlinear },
	{ "mismatch", &sc_mismatch },
	{ "adds", &sc_adds },
	{ "dels", &sc_dels },
	{ "add_nomem", &sc_add_nomem },
	{ "registered", &sc_registered },
	{ "reg_errors", &sc_reg_errors },
	{ "unregistered", &sc_unregistered },
	{ "unreg_errors", &sc_unreg_errors },
	{ "moves", &sc_moves },
	{ "move_errors", &sc_move_errors },
	{ "attaches", &sc_attaches },
	{ "attach_errors", &sc_attach_errors },
};

static int sc_stats_show(struct seq_file *m, void *unused)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sc_stats); i++)
		seq_printf(m, "%s %lld\n", sc_stats[i].name,
			   atomic64_read(sc_stats[i].val));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sc_stats);

static int sc_devices_show(struct seq_file *m, void *unused)
{
	struct sc_dev *sdev;
	struct sc_dmb *sdmb;
	unsigned long flags;
	unsigned int dmbs;
	u64 irqs, events;

	mutex_lock(&sc_lock);
	list_for_each_entry(sdev, &sc_devs, list) {
		dmbs = 0;
		list_for_each_entry(sdmb, &sc_dmbs, list)
			dmbs += sdmb->sdev == sdev;
		spin_lock_irqsave(&sdev->lock, flags);
		irqs = sdev->irqs;
		events = sdev->events;
		spin_unlock_irqrestore(&sdev->lock, flags);
		seq_printf(m, "%s %llu %llu %u\n", sdev->name, irqs, events,
			   dmbs);
	}
	mutex_unlock(&sc_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sc_devices);

/*
 * The counters of this load, one line in the kernel log at unload: a test
 * that reloads the module adds them up (del_dev() runs inside the unload).
 */
static void sc_log_stats(void)
{
	char line[512];
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sc_stats) && len < sizeof(line); i++)
		len += scnprintf(line + len, sizeof(line) - len, " %s=%lld",
				 sc_stats[i].name,
				 atomic64_read(sc_stats[i].val));
	pr_info("stats:%s\n", line);
}

/* Load and unload: the client's registration brackets everything. */

static int __init sc_init(void)
{
	int rc;

	rc = dibs_register_client(&sc_client);
	if (rc) {
		pr_err("dibs_register_client: %d\n", rc);
		return rc;
	}
	sc_client_on = true;
	if (blocker) {
		rc = dibs_register_client(&sc_blocker);
		if (rc) {
			dibs_unregister_client(&sc_client);
			return rc;
		}
		sc_blocker_on = true;
	}
	sc_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (blocker)
		debugfs_create_file_unsafe("hold", 0600, sc_dir, NULL,
					   &sc_hold_fops);
	debugfs_create_file("ctl", 0200, sc_dir, NULL, &sc_ctl_fops);
	debugfs_create_file("result", 0400, sc_dir, NULL, &sc_result_fops);
	debugfs_create_file("stats", 0400, sc_dir, NULL, &sc_stats_fops);
	debugfs_create_file("devices", 0400, sc_dir, NULL, &sc_devices_fops);
	return 0;
}

static void __exit sc_exit(void)
{
	int rc = 0;

	/* waits for commands in progress; none can start afterwards */
	debugfs_remove_recursive(sc_dir);
	sc_hold_set(NULL, 0);		/* a removal held there goes on */
	mutex_lock(&sc_cmd_lock);
	if (sc_client_on)
		rc = sc_client_unregister();
	mutex_unlock(&sc_cmd_lock);
	WARN(rc, "dibs_unregister_client: %d\n", rc);
	WARN_ON(!list_empty(&sc_devs));
	if (sc_blocker_on)
		dibs_unregister_client(&sc_blocker);
	sc_log_stats();
}

module_init(sc_init);
module_exit(sc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DIBS client that uses the API as SMC-D does, for tests");
