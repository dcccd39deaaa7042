// SPDX-License-Identifier: GPL-2.0
/*
 * dibs_test_client - a DIBS client for tests, driven through debugfs.
 *
 * It uses the in-kernel API the way SMC-D does: it registers itself as a
 * client at load time, keeps track of the devices it is offered, registers
 * DMBs, moves data, counts signals and events, and releases everything it
 * holds on a device when that device goes away.
 *
 * /sys/kernel/debug/dibs_test_client/
 *   ctl      write one command; the write fails with the command's errno
 *   result   output of the last successful command
 *   devices  add_dev/del_dev log, one "add NAME" or "del NAME" per line
 *   dmbs     "TOKEN DEV LEN IDX RGID" per registered DMB
 *   attached "TOKEN DEV LEN IDX" per attached (mapped) remote DMB
 *   irqs     "COUNT LAST_IDX LAST_MASK LAST_DEV"
 *   events   "COUNT" then "TYPE SUBTYPE GID TOKEN DATA" per recent event
 *   status   client state and the devices currently held
 *
 * Commands (numbers in C notation, e.g. 4096 or 0x1000):
 *   reg DEV LEN [RGID]            result "TOKEN IDX"
 *   unreg DEV TOKEN
 *   write DEV TOKEN OFFSET STRING [SIGIDX]
 *   read TOKEN OFFSET LEN         result: the bytes as hex
 *   reads TOKEN OFFSET LEN        result: the bytes, '.' for unprintable
 *   fill DEV COUNT LEN            result "REGISTERED FIRST_ERRNO"
 *   unreg_all                     result "UNREGISTERED FIRST_ERRNO"
 *   attach DEV TOKEN              result "TOKEN LEN IDX"
 *   detach DEV TOKEN
 *   mwrite TOKEN OFFSET STRING    store through an attached mapping
 *   mread TOKEN OFFSET LEN        hex, read through an attached mapping
 *   query DEV GID
 *   events DEV GID COUNT          COUNT (<= 1000) signal_event() calls to
 *                                 GID back to back, event codes 1..COUNT,
 *                                 with preemption off: nothing else runs
 *                                 on this CPU in between (a receiver whose
 *                                 work item is queued here cannot drain);
 *                                 stops at the first error; result
 *                                 "SENT FIRST_ERRNO"
 *   client_unregister
 *   client_register
 *   irq_reset
 *   bench DEV TOKEN LEN COUNT     COUNT (<= 100000) move_data() calls of
 *                                 LEN bytes at offset 0 of TOKEN from DEV,
 *                                 interleaved with COUNT memcpy() calls of
 *                                 LEN bytes between two buffers; result
 *                                 "MOVE_SUM MEMCPY_SUM MOVE_MEDIAN
 *                                 MEMCPY_MEDIAN MOVE_MIN MEMCPY_MIN" (ns;
 *                                 sums of all calls, median and minimum of
 *                                 one call)
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/dibs.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#define TC_CMD_MAX	1024	/* longest command line accepted */
#define TC_ARGS_MAX	8
#define TC_RESULT_SIZE	8192
#define TC_READ_MAX	2048	/* longest read/mread, hex fits the result */
#define TC_LOG_MAX	256	/* device log entries kept */
#define TC_EVENTS_MAX	32	/* fabric events kept */
#define TC_NAME_MAX	32
#define TC_BENCH_LEN_MAX	SZ_1M	/* largest bench write */
#define TC_BENCH_COUNT_MAX	100000	/* bench iterations, 1.6 MB of times */
#define TC_EVENTS_BURST_MAX	1000	/* events in one burst */

/* A device offered to us by add_dev() and not yet taken by del_dev(). */
struct tc_dev {
	struct list_head list;
	struct dibs_dev *dibs;
	char name[TC_NAME_MAX];
};

/* A DMB this client registered. */
struct tc_dmb {
	struct list_head list;
	struct tc_dev *tdev;
	struct dibs_dmb dmb;
};

/* A remote DMB this client attached (mapped) through a device. */
struct tc_att {
	struct list_head list;
	struct tc_dev *tdev;
	struct dibs_dmb dmb;
};

struct tc_log {
	struct list_head list;
	char line[TC_NAME_MAX + 8];
};

struct tc_event {
	struct dibs_event ev;
	char dev[TC_NAME_MAX];
};

struct tc_out {
	char *buf;
	size_t len;
	size_t size;
};

/*
 * Lock order: tc_cmd_lock, then the core's own locks (client registration
 * calls add_dev/del_dev), then tc_lock, then the device ops. The IRQ-side
 * callbacks take only tc_irq_lock and tc_event_lock.
 */
static DEFINE_MUTEX(tc_cmd_lock);	/* serializes commands, result */
static DEFINE_MUTEX(tc_lock);		/* devices, DMBs, attachments, log */

static LIST_HEAD(tc_devs);
static LIST_HEAD(tc_dmbs);
static LIST_HEAD(tc_atts);
static LIST_HEAD(tc_logs);
static unsigned int tc_log_len;
static unsigned int tc_log_lost;	/* entries that found no memory */

static bool tc_registered;		/* under tc_cmd_lock */
static char tc_result[TC_RESULT_SIZE];	/* under tc_cmd_lock */
static size_t tc_result_len;
static char tc_scratch[TC_RESULT_SIZE];	/* under tc_cmd_lock */

static DEFINE_SPINLOCK(tc_irq_lock);	/* the two fields below */
static unsigned int tc_irq_last_idx;
static u16 tc_irq_last_mask;
static char tc_irq_last_dev[TC_NAME_MAX];
static atomic64_t tc_irq_count = ATOMIC64_INIT(0);

static DEFINE_SPINLOCK(tc_event_lock);	/* the ring below */
static struct tc_event tc_events[TC_EVENTS_MAX];
static unsigned int tc_event_next;
static atomic64_t tc_event_count = ATOMIC64_INIT(0);

static struct dentry *tc_dir;

static void tc_add_dev(struct dibs_dev *dibs);
static void tc_del_dev(struct dibs_dev *dibs);
static void tc_handle_irq(struct dibs_dev *dibs, unsigned int idx,
			  u16 dmbemask);
static void tc_handle_event(struct dibs_dev *dibs,
			    const struct dibs_event *event);

static const struct dibs_client_ops tc_client_ops = {
	.add_dev = tc_add_dev,
	.del_dev = tc_del_dev,
	.handle_irq = tc_handle_irq,
	.handle_event = tc_handle_event,
};

static struct dibs_client tc_client = {
	.name = "dibs_test",
	.ops = &tc_client_ops,
};

/* Device log and device records */

static void tc_log_add(const char *what, const char *name)
{
	struct tc_log *entry;

	lockdep_assert_held(&tc_lock);
	if (tc_log_len >= TC_LOG_MAX) {
		entry = list_first_entry(&tc_logs, struct tc_log, list);
		list_del(&entry->list);
		tc_log_len--;
	} else {
		entry = kzalloc(sizeof(*entry), GFP_KERNEL);
		if (!entry) {
			tc_log_lost++;
			return;
		}
	}
	snprintf(entry->line, sizeof(entry->line), "%s %s", what, name);
	list_add_tail(&entry->list, &tc_logs);
	tc_log_len++;
}

static struct tc_dev *tc_dev_find(const char *name)
{
	struct tc_dev *tdev;

	lockdep_assert_held(&tc_lock);
	list_for_each_entry(tdev, &tc_devs, list)
		if (!strcmp(tdev->name, name))
			return tdev;
	return NULL;
}

static void tc_add_dev(struct dibs_dev *dibs)
{
	struct tc_dev *tdev;

	tdev = kzalloc(sizeof(*tdev), GFP_KERNEL);
	mutex_lock(&tc_lock);
	tc_log_add("add", dev_name(&dibs->dev));
	if (!tdev) {
		pr_err("no memory for device %s, ignoring it\n",
		       dev_name(&dibs->dev));
		dibs_set_priv(dibs, &tc_client, NULL);
		mutex_unlock(&tc_lock);
		return;
	}
	tdev->dibs = dibs;
	strscpy(tdev->name, dev_name(&dibs->dev), sizeof(tdev->name));
	list_add_tail(&tdev->list, &tc_devs);
	dibs_set_priv(dibs, &tc_client, tdev);
	mutex_unlock(&tc_lock);
}

/* Unregister one DMB and free its record; the record is gone either way. */
static int tc_dmb_release(struct tc_dmb *tdmb)
{
	struct dibs_dev *dibs = tdmb->tdev->dibs;
	int rc;

	lockdep_assert_held(&tc_lock);
	rc = dibs->ops->unregister_dmb(dibs, &tdmb->dmb);
	if (rc)
		pr_err("unregister_dmb 0x%016llx on %s failed: %d\n",
		       tdmb->dmb.dmb_tok, tdmb->tdev->name, rc);
	list_del(&tdmb->list);
	kfree(tdmb);
	return rc;
}

static int tc_att_release(struct tc_att *att)
{
	struct dibs_dev *dibs = att->tdev->dibs;
	int rc;

	lockdep_assert_held(&tc_lock);
	rc = dibs->ops->detach_dmb(dibs, att->dmb.dmb_tok);
	if (rc)
		pr_err("detach_dmb 0x%016llx on %s failed: %d\n",
		       att->dmb.dmb_tok, att->tdev->name, rc);
	list_del(&att->list);
	kfree(att);
	return rc;
}

/* Release what this client holds on @tdev (all devices if NULL). */
static void tc_release_dev(struct tc_dev *tdev)
{
	struct tc_dmb *tdmb, *tdmb_next;
	struct tc_att *att, *att_next;

	lockdep_assert_held(&tc_lock);
	list_for_each_entry_safe(att, att_next, &tc_atts, list)
		if (!tdev || att->tdev == tdev)
			tc_att_release(att);
	list_for_each_entry_safe(tdmb, tdmb_next, &tc_dmbs, list)
		if (!tdev || tdmb->tdev == tdev)
			tc_dmb_release(tdmb);
}

static void tc_del_dev(struct dibs_dev *dibs)
{
	struct tc_dev *tdev;

	mutex_lock(&tc_lock);
	tc_log_add("del", dev_name(&dibs->dev));
	tdev = dibs_get_priv(dibs, &tc_client);
	if (tdev) {
		tc_release_dev(tdev);
		list_del(&tdev->list);
		kfree(tdev);
		dibs_set_priv(dibs, &tc_client, NULL);
	}
	mutex_unlock(&tc_lock);
}

/* IRQ-side callbacks: no sleeping, atomics and spinlocks only */

static void tc_handle_irq(struct dibs_dev *dibs, unsigned int idx,
			  u16 dmbemask)
{
	unsigned long flags;

	spin_lock_irqsave(&tc_irq_lock, flags);
	tc_irq_last_idx = idx;
	tc_irq_last_mask = dmbemask;
	strscpy(tc_irq_last_dev, dev_name(&dibs->dev),
		sizeof(tc_irq_last_dev));
	atomic64_inc(&tc_irq_count);
	spin_unlock_irqrestore(&tc_irq_lock, flags);
}

static void tc_handle_event(struct dibs_dev *dibs,
			    const struct dibs_event *event)
{
	struct tc_event *slot;
	unsigned long flags;

	spin_lock_irqsave(&tc_event_lock, flags);
	slot = &tc_events[tc_event_next];
	slot->ev = *event;
	strscpy(slot->dev, dev_name(&dibs->dev), sizeof(slot->dev));
	tc_event_next = (tc_event_next + 1) % TC_EVENTS_MAX;
	atomic64_inc(&tc_event_count);
	spin_unlock_irqrestore(&tc_event_lock, flags);
}

/* Command parsing helpers; every malformed argument is -EINVAL */

static __printf(2, 3) void tc_printf(struct tc_out *out, const char *fmt, ...)
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

static int tc_parse_u32(const char *s, u32 *val)
{
	return kstrtou32(s, 0, val) ? -EINVAL : 0;
}

static int tc_parse_u64(const char *s, u64 *val)
{
	return kstrtou64(s, 0, val) ? -EINVAL : 0;
}

/* uuid_parse() looks at 36 characters only: refuse anything longer. */
static int tc_parse_uuid(const char *s, uuid_t *uuid)
{
	if (strlen(s) != UUID_STRING_LEN || uuid_parse(s, uuid))
		return -EINVAL;
	return 0;
}

static int tc_parse_dev(const char *s, struct tc_dev **tdev)
{
	*tdev = tc_dev_find(s);
	return *tdev ? 0 : -ENODEV;
}

static struct tc_dmb *tc_dmb_find(struct tc_dev *tdev, u64 token)
{
	struct tc_dmb *tdmb;

	list_for_each_entry(tdmb, &tc_dmbs, list)
		if (tdmb->dmb.dmb_tok == token &&
		    (!tdev || tdmb->tdev == tdev))
			return tdmb;
	return NULL;
}

static struct tc_att *tc_att_find(struct tc_dev *tdev, u64 token)
{
	struct tc_att *att;

	/* the most recent attachment first, so detach undoes attach */
	list_for_each_entry_reverse(att, &tc_atts, list)
		if (att->dmb.dmb_tok == token && (!tdev || att->tdev == tdev))
			return att;
	return NULL;
}

/* Is [offset, offset + len) inside a buffer of @size bytes? */
static bool tc_in_bounds(u32 size, u32 offset, u32 len)
{
	return offset <= size && len <= size - offset;
}

static void tc_out_hex(struct tc_out *out, const u8 *data, u32 len)
{
	char *end;

	/* callers keep len <= TC_READ_MAX, which fits the result */
	end = bin2hex(out->buf + out->len, data, len);
	out->len = end - out->buf;
	tc_printf(out, "\n");
}

static void tc_out_text(struct tc_out *out, const u8 *data, u32 len)
{
	u32 i;

	for (i = 0; i < len; i++)
		out->buf[out->len++] = isprint(data[i]) ? data[i] : '.';
	tc_printf(out, "\n");
}

static int tc_register_one(struct tc_dev *tdev, u32 len, const uuid_t *rgid,
			   struct tc_dmb **result)
{
	struct dibs_dev *dibs = tdev->dibs;
	struct tc_dmb *tdmb;
	int rc;

	tdmb = kzalloc(sizeof(*tdmb), GFP_KERNEL);
	if (!tdmb)
		return -ENOMEM;
	tdmb->tdev = tdev;
	tdmb->dmb.dmb_len = len;
	uuid_copy(&tdmb->dmb.rgid, rgid ? rgid : &dibs->gid);
	rc = dibs->ops->register_dmb(dibs, &tdmb->dmb, &tc_client);
	if (rc) {
		kfree(tdmb);
		return rc;
	}
	list_add_tail(&tdmb->list, &tc_dmbs);
	*result = tdmb;
	return 0;
}

/* Commands; argv[0] is the command name, all run under tc_lock */

static int tc_cmd_reg(char **argv, unsigned int argc, struct tc_out *out)
{
	struct tc_dev *tdev;
	struct tc_dmb *tdmb;
	uuid_t rgid;
	u32 len;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_u32(argv[2], &len))
		return -EINVAL;
	if (argc > 3 && tc_parse_uuid(argv[3], &rgid))
		return -EINVAL;
	rc = tc_register_one(tdev, len, argc > 3 ? &rgid : NULL, &tdmb);
	if (rc)
		return rc;
	tc_printf(out, "0x%016llx %u\n", tdmb->dmb.dmb_tok, tdmb->dmb.idx);
	return 0;
}

static int tc_cmd_unreg(char **argv, unsigned int argc, struct tc_out *out)
{
	struct dibs_dev *dibs;
	struct tc_dev *tdev;
	struct tc_dmb *tdmb;
	u64 token;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_u64(argv[2], &token))
		return -EINVAL;
	tdmb = tc_dmb_find(tdev, token);
	if (!tdmb)
		return -ENOENT;
	dibs = tdev->dibs;
	rc = dibs->ops->unregister_dmb(dibs, &tdmb->dmb);
	if (rc)
		return rc;	/* still ours, still registered */
	list_del(&tdmb->list);
	kfree(tdmb);
	return 0;
}

static int tc_cmd_write(char **argv, unsigned int argc, struct tc_out *out)
{
	struct dibs_dev *dibs;
	struct tc_dev *tdev;
	u32 offset, sigidx = 0;
	u64 token;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_u64(argv[2], &token) || tc_parse_u32(argv[3], &offset))
		return -EINVAL;
	if (argc > 5 && tc_parse_u32(argv[5], &sigidx))
		return -EINVAL;
	dibs = tdev->dibs;
	/* no checks here: bounds, token and index are the fabric's job */
	return dibs->ops->move_data(dibs, token, sigidx, argc > 5, offset,
				    argv[4], strlen(argv[4]));
}

static int tc_cmd_read_common(char **argv, struct tc_out *out, bool hex)
{
	struct tc_dmb *tdmb;
	u32 offset, len;
	u64 token;

	if (tc_parse_u64(argv[1], &token) || tc_parse_u32(argv[2], &offset) ||
	    tc_parse_u32(argv[3], &len) || len > TC_READ_MAX)
		return -EINVAL;
	tdmb = tc_dmb_find(NULL, token);
	if (!tdmb)
		return -ENOENT;
	if (!tc_in_bounds(tdmb->dmb.dmb_len, offset, len))
		return -EINVAL;
	if (hex)
		tc_out_hex(out, (u8 *)tdmb->dmb.cpu_addr + offset, len);
	else
		tc_out_text(out, (u8 *)tdmb->dmb.cpu_addr + offset, len);
	return 0;
}

static int tc_cmd_read(char **argv, unsigned int argc, struct tc_out *out)
{
	return tc_cmd_read_common(argv, out, true);
}

static int tc_cmd_reads(char **argv, unsigned int argc, struct tc_out *out)
{
	return tc_cmd_read_common(argv, out, false);
}

static int tc_cmd_fill(char **argv, unsigned int argc, struct tc_out *out)
{
	struct tc_dev *tdev;
	struct tc_dmb *tdmb;
	u32 count, len, done;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_u32(argv[2], &count) || tc_parse_u32(argv[3], &len))
		return -EINVAL;
	for (done = 0; done < count; done++) {
		rc = tc_register_one(tdev, len, NULL, &tdmb);
		if (rc)
			break;
		cond_resched();
	}
	tc_printf(out, "%u %d\n", done, rc);
	return 0;
}

static int tc_cmd_unreg_all(char **argv, unsigned int argc,
			    struct tc_out *out)
{
	struct tc_dmb *tdmb, *next;
	unsigned int done = 0;
	int rc, first = 0;

	list_for_each_entry_safe(tdmb, next, &tc_dmbs, list) {
		rc = tc_dmb_release(tdmb);
		if (rc && !first)
			first = rc;
		if (!rc)
			done++;
		cond_resched();
	}
	tc_printf(out, "%u %d\n", done, first);
	return 0;
}

static bool tc_dev_can_map(struct dibs_dev *dibs)
{
	const struct dibs_dev_ops *ops = dibs->ops;

	return ops->support_mmapped_rdmb && ops->attach_dmb &&
	       ops->detach_dmb && ops->support_mmapped_rdmb(dibs);
}

static int tc_cmd_attach(char **argv, unsigned int argc, struct tc_out *out)
{
	struct dibs_dev *dibs;
	struct tc_dev *tdev;
	struct tc_att *att;
	u64 token;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_u64(argv[2], &token))
		return -EINVAL;
	dibs = tdev->dibs;
	if (!tc_dev_can_map(dibs))
		return -EOPNOTSUPP;
	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return -ENOMEM;
	att->tdev = tdev;
	att->dmb.dmb_tok = token;
	rc = dibs->ops->attach_dmb(dibs, &att->dmb);
	if (rc) {
		kfree(att);
		return rc;
	}
	list_add_tail(&att->list, &tc_atts);
	tc_printf(out, "0x%016llx %u %u\n", att->dmb.dmb_tok, att->dmb.dmb_len,
		  att->dmb.idx);
	return 0;
}

static int tc_cmd_detach(char **argv, unsigned int argc, struct tc_out *out)
{
	struct dibs_dev *dibs;
	struct tc_dev *tdev;
	struct tc_att *att;
	u64 token;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_u64(argv[2], &token))
		return -EINVAL;
	att = tc_att_find(tdev, token);
	if (!att)
		return -ENOENT;
	dibs = tdev->dibs;
	rc = dibs->ops->detach_dmb(dibs, token);
	if (rc)
		return rc;
	list_del(&att->list);
	kfree(att);
	return 0;
}

static int tc_cmd_mwrite(char **argv, unsigned int argc, struct tc_out *out)
{
	struct tc_att *att;
	u32 offset, len;
	u64 token;

	if (tc_parse_u64(argv[1], &token) || tc_parse_u32(argv[2], &offset))
		return -EINVAL;
	att = tc_att_find(NULL, token);
	if (!att)
		return -ENOENT;
	len = strlen(argv[3]);
	if (!tc_in_bounds(att->dmb.dmb_len, offset, len))
		return -EINVAL;
	memcpy((u8 *)att->dmb.cpu_addr + offset, argv[3], len);
	return 0;
}

static int tc_cmd_mread(char **argv, unsigned int argc, struct tc_out *out)
{
	struct tc_att *att;
	u32 offset, len;
	u64 token;

	if (tc_parse_u64(argv[1], &token) || tc_parse_u32(argv[2], &offset) ||
	    tc_parse_u32(argv[3], &len) || len > TC_READ_MAX)
		return -EINVAL;
	att = tc_att_find(NULL, token);
	if (!att)
		return -ENOENT;
	if (!tc_in_bounds(att->dmb.dmb_len, offset, len))
		return -EINVAL;
	tc_out_hex(out, (u8 *)att->dmb.cpu_addr + offset, len);
	return 0;
}

static int tc_cmd_query(char **argv, unsigned int argc, struct tc_out *out)
{
	struct dibs_dev *dibs;
	struct tc_dev *tdev;
	uuid_t gid;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_uuid(argv[2], &gid))
		return -EINVAL;
	dibs = tdev->dibs;
	rc = dibs->ops->query_remote_gid(dibs, &gid, 0, 0);
	if (rc > 0)
		rc = -EIO;	/* a positive firmware code: not reachable */
	return rc;
}

static int tc_cmd_events(char **argv, unsigned int argc, struct tc_out *out)
{
	struct dibs_dev *dibs;
	struct tc_dev *tdev;
	u32 count, sent;
	uuid_t gid;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_uuid(argv[2], &gid) || tc_parse_u32(argv[3], &count) ||
	    count > TC_EVENTS_BURST_MAX)
		return -EINVAL;
	dibs = tdev->dibs;
	if (!dibs->ops->signal_event)
		return -EOPNOTSUPP;
	/* signal_event() may be called in atomic context (SMC-D does). */
	preempt_disable();
	for (sent = 0; sent < count; sent++) {
		rc = dibs->ops->signal_event(dibs, &gid, 1, sent + 1, 0);
		if (rc)
			break;
	}
	preempt_enable();
	tc_printf(out, "%u %d\n", sent, rc);
	return 0;
}

static int tc_cmd_irq_reset(char **argv, unsigned int argc,
			    struct tc_out *out)
{
	unsigned long flags;

	spin_lock_irqsave(&tc_irq_lock, flags);
	atomic64_set(&tc_irq_count, 0);
	tc_irq_last_idx = 0;
	tc_irq_last_mask = 0;
	tc_irq_last_dev[0] = '\0';
	spin_unlock_irqrestore(&tc_irq_lock, flags);
	return 0;
}

static int tc_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n times (sorts them); the mean of the middle two if even. */
static u64 tc_median(u64 *t, u32 n)
{
	sort(t, n, sizeof(*t), tc_cmp_u64, NULL);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/*
 * Time COUNT move_data() calls of LEN bytes and, interleaved with them,
 * COUNT memcpy() calls of the same size between two kernel buffers: the
 * floor a data path is held to (bench/). Both copy the same warm source.
 * Result: "MOVE_SUM MEMCPY_SUM MOVE_MEDIAN MEMCPY_MEDIAN MOVE_MIN
 * MEMCPY_MIN" in ns. The medians and minima are of single iterations: a
 * timer interrupt or a preempted vCPU in one of them moves a sum, not them.
 */
static int tc_cmd_bench(char **argv, unsigned int argc, struct tc_out *out)
{
	u64 token, t0, t1, t2, move_sum, memcpy_sum, move_med, memcpy_med;
	u64 *move_ns = NULL, *memcpy_ns = NULL;
	struct dibs_dev *dibs;
	struct tc_dev *tdev;
	u32 len, count, i;
	void *src = NULL, *dst = NULL;
	int rc;

	rc = tc_parse_dev(argv[1], &tdev);
	if (rc)
		return rc;
	if (tc_parse_u64(argv[2], &token) || tc_parse_u32(argv[3], &len) ||
	    tc_parse_u32(argv[4], &count) || !len ||
	    len > TC_BENCH_LEN_MAX || !count || count > TC_BENCH_COUNT_MAX)
		return -EINVAL;
	dibs = tdev->dibs;
	move_ns = kvmalloc_array(count, sizeof(*move_ns), GFP_KERNEL);
	memcpy_ns = kvmalloc_array(count, sizeof(*memcpy_ns), GFP_KERNEL);
	src = kvmalloc(len, GFP_KERNEL);
	dst = kvzalloc(len, GFP_KERNEL);
	if (!move_ns || !memcpy_ns || !src || !dst) {
		rc = -ENOMEM;
		goto out;
	}
	memset(src, 0x5a, len);

	/* interleaved, so that both see the same machine at the same time */
	move_sum = 0;
	memcpy_sum = 0;
	for (i = 0; i < count; i++) {
		t0 = ktime_get_ns();
		rc = dibs->ops->move_data(dibs, token, 0, false, 0, src, len);
		t1 = ktime_get_ns();
		if (rc)
			goto out;
		memcpy(dst, src, len);
		barrier_data(dst);	/* keep every copy */
		t2 = ktime_get_ns();
		move_ns[i] = t1 - t0;
		memcpy_ns[i] = t2 - t1;
		move_sum += move_ns[i];
		memcpy_sum += memcpy_ns[i];
		cond_resched();
	}
	move_med = tc_median(move_ns, count);
	memcpy_med = tc_median(memcpy_ns, count);
	tc_printf(out, "%llu %llu %llu %llu %llu %llu\n", move_sum, memcpy_sum,
		  move_med, memcpy_med, move_ns[0], memcpy_ns[0]);
out:
	kvfree(dst);
	kvfree(src);
	kvfree(memcpy_ns);
	kvfree(move_ns);
	return rc;
}

/*
 * Client (un)registration runs without tc_lock: the core calls add_dev()
 * and del_dev() from inside, and they take tc_lock.
 */
static int tc_cmd_client_unregister(char **argv, unsigned int argc,
				    struct tc_out *out)
{
	int rc;

	if (!tc_registered)
		return -EALREADY;
	/* the core must refuse while we hold DMBs; do not help it */
	rc = dibs_unregister_client(&tc_client);
	if (rc)
		return rc;
	tc_registered = false;
	return 0;
}

static int tc_cmd_client_register(char **argv, unsigned int argc,
				  struct tc_out *out)
{
	int rc;

	if (tc_registered)
		return -EALREADY;
	rc = dibs_register_client(&tc_client);
	if (rc)
		return rc;
	tc_registered = true;
	tc_printf(out, "%u\n", tc_client.id);
	return 0;
}

struct tc_cmd {
	const char *name;
	unsigned int min_argc;	/* including the command name */
	unsigned int max_argc;
	bool unlocked;		/* runs without tc_lock */
	int (*fn)(char **argv, unsigned int argc, struct tc_out *out);
};

static const struct tc_cmd tc_cmds[] = {
	{ "reg", 3, 4, false, tc_cmd_reg },
	{ "unreg", 3, 3, false, tc_cmd_unreg },
	{ "write", 5, 6, false, tc_cmd_write },
	{ "read", 4, 4, false, tc_cmd_read },
	{ "reads", 4, 4, false, tc_cmd_reads },
	{ "fill", 4, 4, false, tc_cmd_fill },
	{ "unreg_all", 1, 1, false, tc_cmd_unreg_all },
	{ "attach", 3, 3, false, tc_cmd_attach },
	{ "detach", 3, 3, false, tc_cmd_detach },
	{ "mwrite", 4, 4, false, tc_cmd_mwrite },
	{ "mread", 4, 4, false, tc_cmd_mread },
	{ "query", 3, 3, false, tc_cmd_query },
	{ "events", 4, 4, false, tc_cmd_events },
	{ "bench", 5, 5, false, tc_cmd_bench },
	{ "irq_reset", 1, 1, true, tc_cmd_irq_reset },
	{ "client_unregister", 1, 1, true, tc_cmd_client_unregister },
	{ "client_register", 1, 1, true, tc_cmd_client_register },
};

/* Split @line at blanks; return the word count, TC_ARGS_MAX + 1 if more. */
static unsigned int tc_split(char *line, char **argv)
{
	unsigned int argc = 0;
	char *word;

	while ((word = strsep(&line, " \t\n")) != NULL) {
		if (!*word)
			continue;
		if (argc == TC_ARGS_MAX)
			return TC_ARGS_MAX + 1;
		argv[argc++] = word;
	}
	return argc;
}

static int tc_run(char *line)
{
	struct tc_out out = { .buf = tc_scratch, .size = sizeof(tc_scratch) };
	char *argv[TC_ARGS_MAX];
	const struct tc_cmd *cmd;
	unsigned int argc, i;
	int rc;

	argc = tc_split(line, argv);
	if (!argc || argc > TC_ARGS_MAX)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(tc_cmds); i++)
		if (!strcmp(argv[0], tc_cmds[i].name))
			break;
	if (i == ARRAY_SIZE(tc_cmds))
		return -EINVAL;
	cmd = &tc_cmds[i];
	if (argc < cmd->min_argc || argc > cmd->max_argc)
		return -EINVAL;

	if (cmd->unlocked) {
		rc = cmd->fn(argv, argc, &out);
	} else {
		mutex_lock(&tc_lock);
		rc = cmd->fn(argv, argc, &out);
		mutex_unlock(&tc_lock);
	}
	if (rc)
		return rc;
	memcpy(tc_result, tc_scratch, out.len);
	tc_result_len = out.len;
	return 0;
}

static ssize_t tc_ctl_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char *line;
	int rc;

	if (!count || count >= TC_CMD_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	if (strlen(line) != count) {	/* no NUL bytes inside a command */
		kfree(line);
		return -EINVAL;
	}
	mutex_lock(&tc_cmd_lock);
	rc = tc_run(line);
	mutex_unlock(&tc_cmd_lock);
	kfree(line);
	return rc ? rc : count;
}

static const struct file_operations tc_ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = tc_ctl_write,
	.llseek = noop_llseek,
};

static ssize_t tc_result_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	ssize_t rc;

	mutex_lock(&tc_cmd_lock);
	rc = simple_read_from_buffer(ubuf, count, ppos, tc_result,
				     tc_result_len);
	mutex_unlock(&tc_cmd_lock);
	return rc;
}

static const struct file_operations tc_result_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = tc_result_read,
	.llseek = default_llseek,
};

/* Read-only views */

static int tc_devices_show(struct seq_file *m, void *unused)
{
	struct tc_log *entry;

	mutex_lock(&tc_lock);
	list_for_each_entry(entry, &tc_logs, list)
		seq_printf(m, "%s\n", entry->line);
	mutex_unlock(&tc_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_devices);

static int tc_dmbs_show(struct seq_file *m, void *unused)
{
	struct tc_dmb *tdmb;

	mutex_lock(&tc_lock);
	list_for_each_entry(tdmb, &tc_dmbs, list)
		seq_printf(m, "0x%016llx %s %u %u %pUb\n", tdmb->dmb.dmb_tok,
			   tdmb->tdev->name, tdmb->dmb.dmb_len, tdmb->dmb.idx,
			   &tdmb->dmb.rgid);
	mutex_unlock(&tc_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_dmbs);

static int tc_attached_show(struct seq_file *m, void *unused)
{
	struct tc_att *att;

	mutex_lock(&tc_lock);
	list_for_each_entry(att, &tc_atts, list)
		seq_printf(m, "0x%016llx %s %u %u\n", att->dmb.dmb_tok,
			   att->tdev->name, att->dmb.dmb_len, att->dmb.idx);
	mutex_unlock(&tc_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_attached);

static int tc_irqs_show(struct seq_file *m, void *unused)
{
	char dev[TC_NAME_MAX];
	unsigned int idx;
	unsigned long flags;
	u64 count;
	u16 mask;

	spin_lock_irqsave(&tc_irq_lock, flags);
	count = atomic64_read(&tc_irq_count);
	idx = tc_irq_last_idx;
	mask = tc_irq_last_mask;
	strscpy(dev, tc_irq_last_dev, sizeof(dev));
	spin_unlock_irqrestore(&tc_irq_lock, flags);
	seq_printf(m, "%llu %u 0x%04x %s\n", count, idx, mask,
		   dev[0] ? dev : "-");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_irqs);

static int tc_events_show(struct seq_file *m, void *unused)
{
	struct tc_event *copy;
	unsigned int i, n, first;
	unsigned long flags;
	u64 count;

	copy = kmalloc_array(TC_EVENTS_MAX, sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	spin_lock_irqsave(&tc_event_lock, flags);
	count = atomic64_read(&tc_event_count);
	memcpy(copy, tc_events, sizeof(tc_events));
	first = tc_event_next;
	spin_unlock_irqrestore(&tc_event_lock, flags);

	n = min_t(u64, count, TC_EVENTS_MAX);
	if (n < TC_EVENTS_MAX)
		first = 0;
	seq_printf(m, "%llu\n", count);
	for (i = 0; i < n; i++) {
		const struct tc_event *e = &copy[(first + i) % TC_EVENTS_MAX];

		seq_printf(m, "%s %u %u %pUb 0x%016llx 0x%llx\n", e->dev,
			   e->ev.type, e->ev.subtype, &e->ev.gid,
			   e->ev.buffer_tok, e->ev.data);
	}
	kfree(copy);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_events);

static int tc_status_show(struct seq_file *m, void *unused)
{
	struct tc_dev *tdev;
	bool registered;
	u8 id;

	mutex_lock(&tc_cmd_lock);
	registered = tc_registered;
	id = tc_client.id;
	mutex_unlock(&tc_cmd_lock);
	seq_printf(m, "registered %d\n", registered);
	if (registered)
		seq_printf(m, "id %u\n", id);

	mutex_lock(&tc_lock);
	if (tc_log_lost)
		seq_printf(m, "log_lost %u\n", tc_log_lost);
	list_for_each_entry(tdev, &tc_devs, list) {
		struct dibs_dev *dibs = tdev->dibs;

		seq_printf(m, "dev %s gid %pUb fabric 0x%04x mapped %d\n",
			   tdev->name, &dibs->gid,
			   dibs->ops->get_fabric_id(dibs),
			   tc_dev_can_map(dibs));
	}
	mutex_unlock(&tc_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_status);

/* Module load and unload */

static int __init tc_init(void)
{
	int rc;

	rc = dibs_register_client(&tc_client);
	if (rc) {
		pr_err("dibs_register_client failed: %d\n", rc);
		return rc;
	}
	tc_registered = true;

	tc_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("ctl", 0200, tc_dir, NULL, &tc_ctl_fops);
	debugfs_create_file("result", 0400, tc_dir, NULL, &tc_result_fops);
	debugfs_create_file("devices", 0400, tc_dir, NULL, &tc_devices_fops);
	debugfs_create_file("dmbs", 0400, tc_dir, NULL, &tc_dmbs_fops);
	debugfs_create_file("attached", 0400, tc_dir, NULL,
			    &tc_attached_fops);
	debugfs_create_file("irqs", 0400, tc_dir, NULL, &tc_irqs_fops);
	debugfs_create_file("events", 0400, tc_dir, NULL, &tc_events_fops);
	debugfs_create_file("status", 0400, tc_dir, NULL, &tc_status_fops);
	return 0;
}

static void __exit tc_exit(void)
{
	struct tc_log *entry, *next;
	int rc;

	/* waits for commands in progress; none can start afterwards */
	debugfs_remove_recursive(tc_dir);

	mutex_lock(&tc_cmd_lock);
	mutex_lock(&tc_lock);
	tc_release_dev(NULL);
	mutex_unlock(&tc_lock);
	if (tc_registered) {
		rc = dibs_unregister_client(&tc_client);
		if (rc)
			pr_err("dibs_unregister_client failed: %d\n", rc);
		tc_registered = false;
	}
	mutex_unlock(&tc_cmd_lock);

	/* del_dev() emptied tc_devs; free the log */
	WARN_ON(!list_empty(&tc_devs));
	list_for_each_entry_safe(entry, next, &tc_logs, list) {
		list_del(&entry->list);
		kfree(entry);
	}
}

module_init(tc_init);
module_exit(tc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DIBS test client, driven through debugfs");
