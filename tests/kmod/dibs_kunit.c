// SPDX-License-Identifier: GPL-2.0
/*
 * dibs_kunit - KUnit tests of the dibs core's logic.
 *
 * Built only for kernels with CONFIG_KUNIT (the debug kernel). The suites
 * run when the module is loaded, after dibs, dibs_loopback and dibs_sim
 * (tests/kunit.bats); their results are in /sys/kernel/debug/kunit/.
 *
 *   dibs_policy        the netlink op table and its per-op policies:
 *                      crafted attributes are accepted, or refused with the
 *                      errno and an extack message; device name rules
 *   dibs_client_slots  the MAX_DIBS_CLIENTS slots: lowest free first,
 *                      -ENOSPC when full, a freed slot reused; add_dev()
 *                      and del_dev() for every device; busy clients
 *   dibs_token_table   the core's DMB records by (scope, token): unique
 *                      tokens, lookup, unknown tokens, loopback and sim
 *                      scopes, write accounting, leftovers released
 *   dibs_sba_index     DMB index allocation (lowest free, wanted, taken,
 *                      max, reuse), max_dmbs and DMB length bounds
 *   dibs_mapped_dmb    attach/detach: a mapping keeps a DMB alive after
 *                      its owner let go, until the last detach
 *   dibs_sw_event      signal_event() of loopback and sim: delivered to
 *                      the receiver's clients with the sender's gid, in
 *                      order; unreachable, down and deleted receivers
 *
 * The tests go through the in-kernel API (clients, soft devices, the
 * device ops) and the few internals the core exports to KUnit only
 * (EXPORTED_FOR_KUNIT_TESTING). They expect no other dibs client than the
 * core's own userspace client to be registered.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/dibs.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uuid.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "dibs_dmb_buf.h"
#include "dibs_nl.h"

MODULE_DESCRIPTION("KUnit tests of the dibs core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define DK_MAX_DEVS	4
#define DK_CLIENTS	(MAX_DIBS_CLIENTS + 1)
#define DK_HELD_MAX	16
#define DK_FABRIC	0x0d1b
#define DK_FABRIC2	0x0d1c
#define DK_MSG_MAX	(DIBS_DATA_CHUNK_MAX + 1024)

/* ---- test context: what a case made, undone by dk_exit() ---- */

struct dk_client {
	struct dibs_client client;
	char name[16];
	bool registered;
};

struct dk_dmb {
	struct dibs_dmb dmb;
	struct dibs_dev *dev;
	bool live;
};

/* What the probe client's callbacks saw. */
struct dk_probe {
	struct dk_client *c;
	int adds;
	int dels;
	int unknown_dels;	/* del_dev() of a device never added */
	int bad_priv;		/* del_dev() found another priv than set */
	/*
	 * add_dev() found its subs[] slot already set, or del_dev() still
	 * set: upstream fills it only after add_dev() and clears it before
	 * del_dev(), so handle_irq() never runs without the client's priv.
	 */
	int subs_early;
	int subs_late;
	struct dibs_dev *held[DK_HELD_MAX];
	int irqs;
	struct dibs_dev *irq_dev;
	unsigned int irq_idx;
	u16 irq_mask;
	/* handle_event(): how many, and the last one and its device */
	atomic_t events;
	struct dibs_dev *ev_dev;
	struct dibs_event ev;
};

struct dk_ctx {
	struct dibs_dev *devs[DK_MAX_DEVS];
	struct dk_client clients[DK_CLIENTS];
	struct dk_probe probe;
	struct dk_dmb *dmbs;
	unsigned int n_dmbs;
	unsigned int cap_dmbs;
};

/* The running case's context, for the client callbacks. */
static struct dk_ctx *dk_cur;

static int dk_held_find(struct dk_probe *p, struct dibs_dev *dev)
{
	int i;

	for (i = 0; i < DK_HELD_MAX; i++)
		if (p->held[i] == dev)
			return i;
	return -1;
}

static void dk_probe_add_dev(struct dibs_dev *dev)
{
	struct dk_probe *p = &dk_cur->probe;
	int i;

	p->adds++;
	if (READ_ONCE(dev->subs[p->c->client.id]))
		p->subs_early++;
	i = dk_held_find(p, NULL);
	if (i >= 0)
		p->held[i] = dev;
	/* The device itself as the marker del_dev() checks. */
	dibs_set_priv(dev, &p->c->client, dev);
}

static void dk_probe_del_dev(struct dibs_dev *dev)
{
	struct dk_probe *p = &dk_cur->probe;
	int i;

	p->dels++;
	if (READ_ONCE(dev->subs[p->c->client.id]))
		p->subs_late++;
	i = dk_held_find(p, dev);
	if (i < 0)
		p->unknown_dels++;
	else
		p->held[i] = NULL;
	if (dibs_get_priv(dev, &p->c->client) != dev)
		p->bad_priv++;
}

static void dk_probe_handle_irq(struct dibs_dev *dev, unsigned int idx,
				u16 dmbemask)
{
	struct dk_probe *p = &dk_cur->probe;

	p->irq_dev = dev;
	p->irq_idx = idx;
	p->irq_mask = dmbemask;
	p->irqs++;
}

/* Runs under dev->lock with interrupts off: the fields before the count. */
static void dk_probe_handle_event(struct dibs_dev *dev,
				  const struct dibs_event *event)
{
	struct dk_probe *p = &dk_cur->probe;

	p->ev_dev = dev;
	p->ev = *event;
	atomic_inc_return_release(&p->events);
}

static const struct dibs_client_ops dk_probe_ops = {
	.add_dev = dk_probe_add_dev,
	.del_dev = dk_probe_del_dev,
	.handle_irq = dk_probe_handle_irq,
	.handle_event = dk_probe_handle_event,
};

/* Clients that take part but are not watched; they leave DMBs behind. */
static void dk_quiet_dev(struct dibs_dev *dev)
{
}

static const struct dibs_client_ops dk_quiet_ops = {
	.add_dev = dk_quiet_dev,
	.del_dev = dk_quiet_dev,
};

static int dk_init(struct kunit *test)
{
	struct dk_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	dk_cur = ctx;
	return 0;
}

/* Undo what the case left: DMBs, then clients, then devices. */
static void dk_exit(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dk_dmb *d;
	unsigned int i;
	int ret;

	for (i = ctx->n_dmbs; i-- > 0;) {
		d = &ctx->dmbs[i];
		if (!d->live)
			continue;
		ret = d->dev->ops->unregister_dmb(d->dev, &d->dmb);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "cleanup: DMB 0x%016llx",
				    d->dmb.dmb_tok);
	}
	kvfree(ctx->dmbs);
	for (i = 0; i < DK_CLIENTS; i++) {
		if (!ctx->clients[i].registered)
			continue;
		ret = dibs_unregister_client(&ctx->clients[i].client);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "cleanup: client %u", i);
	}
	for (i = 0; i < DK_MAX_DEVS; i++) {
		if (!ctx->devs[i])
			continue;
		ret = dibs_soft_dev_del(ctx->devs[i]);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "cleanup: device %u", i);
		put_device(&ctx->devs[i]->dev);	/* dk_dev_new()'s */
	}
	dk_cur = NULL;
}

/* A soft device of @kind; @fabric < 0: none given. */
static struct dibs_dev *dk_dev_new(struct kunit *test, const char *kind,
				   const char *name, int fabric)
{
	struct dk_ctx *ctx = test->priv;
	struct dibs_soft_params params = { .name = name };
	struct dibs_dev *dev;
	int i;

	if (fabric >= 0) {
		params.has_fabric_id = true;
		params.fabric_id = fabric;
	}
	for (i = 0; i < DK_MAX_DEVS && ctx->devs[i]; i++)
		;
	KUNIT_ASSERT_LT(test, i, DK_MAX_DEVS);
	/* The case holds the reference it returns until dk_dev_del(). */
	dev = dibs_soft_dev_new(kind, &params, NULL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dev),
			       "%s device %s: %ld (dibs_loopback, dibs_sim loaded?)",
			       kind, name, PTR_ERR(dev));
	ctx->devs[i] = dev;
	return dev;
}

static struct dibs_dev *dk_lo_new(struct kunit *test, const char *name)
{
	return dk_dev_new(test, "loopback", name, -1);
}

static struct dibs_dev *dk_sim_new(struct kunit *test, const char *name,
				   u16 fabric)
{
	return dk_dev_new(test, "sim", name, fabric);
}

/* Delete a device of the case; the core releases its DMBs. */
static void dk_dev_del(struct kunit *test, struct dibs_dev *dev)
{
	struct dk_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < DK_MAX_DEVS; i++)
		if (ctx->devs[i] == dev)
			break;
	KUNIT_ASSERT_LT(test, i, DK_MAX_DEVS);
	KUNIT_ASSERT_EQ(test, dibs_soft_dev_del(dev), 0);
	ctx->devs[i] = NULL;
	for (i = 0; i < ctx->n_dmbs; i++)
		if (ctx->dmbs[i].dev == dev)
			ctx->dmbs[i].live = false;
	put_device(&dev->dev);	/* dk_dev_new()'s */
}

/* Register clients[@i]; the probe's callbacks are recorded. */
static int dk_client_reg(struct kunit *test, unsigned int i, bool probe)
{
	struct dk_ctx *ctx = test->priv;
	struct dk_client *c;
	int ret;

	KUNIT_ASSERT_LT(test, i, DK_CLIENTS);
	c = &ctx->clients[i];
	KUNIT_ASSERT_FALSE(test, c->registered);
	snprintf(c->name, sizeof(c->name), "dk_kunit%u", i);
	c->client.name = c->name;
	c->client.ops = probe ? &dk_probe_ops : &dk_quiet_ops;
	if (probe)
		ctx->probe.c = c;
	ret = dibs_register_client(&c->client);
	if (!ret)
		c->registered = true;
	return ret;
}

static struct dk_client *dk_client(struct kunit *test, unsigned int i,
				   bool probe)
{
	struct dk_ctx *ctx = test->priv;

	KUNIT_ASSERT_EQ(test, dk_client_reg(test, i, probe), 0);
	return &ctx->clients[i];
}

static int dk_client_unreg(struct dk_client *c)
{
	int ret;

	ret = dibs_unregister_client(&c->client);
	if (!ret)
		c->registered = false;
	return ret;
}

static void dk_reserve(struct kunit *test, unsigned int n)
{
	struct dk_ctx *ctx = test->priv;

	KUNIT_ASSERT_NULL(test, ctx->dmbs);
	ctx->dmbs = kvcalloc(n, sizeof(*ctx->dmbs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->dmbs);
	ctx->cap_dmbs = n;
}

/*
 * register_dmb() through the device's (the core's) ops; @idx 0 lets the
 * device choose. Return: its errno; on success *@out is the DMB.
 */
static int dk_reg(struct kunit *test, struct dibs_dev *dev,
		  struct dk_client *c, const uuid_t *rgid, u32 len, u32 idx,
		  struct dk_dmb **out)
{
	struct dk_ctx *ctx = test->priv;
	struct dk_dmb *d;
	int ret;

	if (!ctx->dmbs)
		dk_reserve(test, 64);
	KUNIT_ASSERT_LT(test, ctx->n_dmbs, ctx->cap_dmbs);
	d = &ctx->dmbs[ctx->n_dmbs];
	memset(d, 0, sizeof(*d));
	uuid_copy(&d->dmb.rgid, rgid);
	d->dmb.dmb_len = len;
	d->dmb.idx = idx;
	d->dev = dev;
	ret = dev->ops->register_dmb(dev, &d->dmb, &c->client);
	if (ret)
		return ret;
	d->live = true;
	ctx->n_dmbs++;
	if (out)
		*out = d;
	return 0;
}

static struct dk_dmb *dk_reg_ok(struct kunit *test, struct dibs_dev *dev,
				struct dk_client *c, const uuid_t *rgid,
				u32 len, u32 idx)
{
	struct dk_dmb *d = NULL;

	KUNIT_ASSERT_EQ(test, dk_reg(test, dev, c, rgid, len, idx, &d), 0);
	KUNIT_ASSERT_NE(test, d->dmb.dmb_tok, 0);
	KUNIT_ASSERT_NOT_NULL(test, d->dmb.cpu_addr);
	return d;
}

static int dk_unreg(struct dk_dmb *d)
{
	int ret;

	ret = d->dev->ops->unregister_dmb(d->dev, &d->dmb);
	if (!ret)
		d->live = false;
	return ret;
}

/* An unregister of a token the device never handed out. */
static int dk_unreg_token(struct dibs_dev *dev, u64 token)
{
	struct dibs_dmb dmb = { .dmb_tok = token };

	return dev->ops->unregister_dmb(dev, &dmb);
}

static int dk_write(struct dibs_dev *dev, u64 token, unsigned int offset,
		    const char *data, unsigned int size)
{
	return dev->ops->move_data(dev, token, 0, false, offset,
				   (void *)data, size);
}

/* What the core's record of @token on @dev says, copied under RCU. */
struct dk_rec {
	bool found;
	u8 client_id;
	u32 len;
	u32 idx;
	void *cpu_addr;
	uuid_t rgid;
	s64 writes;
	s64 write_bytes;
	s64 signals;
	s64 refused;
};

static struct dk_rec dk_rec(struct dibs_dev *dev, u64 token)
{
	struct dibs_dmb_rec *rec;
	struct dk_rec r = {};

	rcu_read_lock();
	rec = dibs_dmb_rec_find(dev, token);
	if (rec) {
		r.found = true;
		r.client_id = rec->client_id;
		r.len = rec->len;
		r.idx = rec->idx;
		r.cpu_addr = rec->cpu_addr;
		uuid_copy(&r.rgid, &rec->rgid);
		r.writes = atomic64_read(&rec->writes);
		r.write_bytes = atomic64_read(&rec->write_bytes);
		r.signals = atomic64_read(&rec->signals);
		r.refused = atomic64_read(&rec->refused);
	}
	rcu_read_unlock();
	return r;
}

static int dk_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sort @n tokens and count the ones equal to their predecessor. */
static int dk_dup_tokens(u64 *tok, int n)
{
	int i, dups = 0;

	sort(tok, n, sizeof(*tok), dk_cmp_u64, NULL);
	for (i = 1; i < n; i++)
		dups += tok[i] == tok[i - 1];
	return dups;
}

/* ---- dibs_policy: the op table and the per-op attribute policies ---- */

struct dk_msg {
	int len;
	u8 buf[DK_MSG_MAX] __aligned(NLA_ALIGNTO);
};

static int dk_policy_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct dk_msg), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static struct dk_msg *dk_msg_reset(struct kunit *test)
{
	struct dk_msg *m = test->priv;

	m->len = 0;
	return m;
}

/* Append an attribute (header, payload, zero padding) to @m. */
static struct nlattr *dk_put(struct kunit *test, struct dk_msg *m, u16 type,
			     const void *data, int len)
{
	struct nlattr *nla = (struct nlattr *)(m->buf + m->len);

	KUNIT_ASSERT_LE(test, m->len + nla_total_size(len), DK_MSG_MAX);
	nla->nla_len = nla_attr_size(len);
	nla->nla_type = type;
	if (len)
		memcpy(nla_data(nla), data, len);
	memset((u8 *)nla_data(nla) + len, 0, nla_padlen(len));
	m->len += nla_total_size(len);
	return nla;
}

/* In a command number: parse as the command's dump request, not its do. */
#define DK_DUMP		0x80

/* Parse @m as the request of @cmd, the way the family does (strict). */
static int dk_parse(struct kunit *test, u8 cmd, struct dk_msg *m,
		    struct nlattr **tb, unsigned int tb_size,
		    struct netlink_ext_ack *extack)
{
	u8 cap = cmd & DK_DUMP ? GENL_CMD_CAP_DUMP : GENL_CMD_CAP_DO;
	const struct genl_split_ops *ops = dibs_nl_cmd_ops(cmd & ~DK_DUMP, cap);

	KUNIT_ASSERT_NOT_NULL_MSG(test, ops, "no op for command %u", cmd);
	KUNIT_ASSERT_NOT_NULL_MSG(test, ops->policy, "command %u", cmd);
	KUNIT_ASSERT_LT(test, ops->maxattr, tb_size);
	memset(extack, 0, sizeof(*extack));
	return nla_parse(tb, ops->maxattr, (struct nlattr *)m->buf, m->len,
			 ops->policy, extack);
}

#define DK_TB_SIZE	(DIBS_A_DEV_MAX + DIBS_A_DMB_MAX + 1)

/*
 * A request of @cmd with the one attribute @type (@len bytes of @data):
 * expect @want from the parse, and a refusal to name the attribute and
 * carry a message.
 */
static void dk_expect_attr(struct kunit *test, u8 cmd, u16 type,
			   const void *data, int len, int want)
{
	struct dk_msg *m = dk_msg_reset(test);
	struct nlattr *tb[DK_TB_SIZE];
	struct netlink_ext_ack extack;
	struct nlattr *nla;
	int err;

	nla = dk_put(test, m, type, data, len);
	err = dk_parse(test, cmd, m, tb, DK_TB_SIZE, &extack);
	KUNIT_EXPECT_EQ_MSG(test, err, want,
			    "command %u, attribute %u of %d bytes", cmd, type,
			    len);
	if (!err || err != want)
		return;
	KUNIT_EXPECT_NOT_NULL_MSG(test, extack._msg,
				  "command %u, attribute %u: no message", cmd,
				  type);
	KUNIT_EXPECT_PTR_EQ_MSG(test, extack.bad_attr, nla,
				"command %u, attribute %u: not named", cmd,
				type);
}

static void dk_expect_u32(struct kunit *test, u8 cmd, u16 type, u32 val,
			  int want)
{
	dk_expect_attr(test, cmd, type, &val, sizeof(val), want);
}

/* A string attribute of strlen(@s) bytes, plus the NUL if @nul. */
static void dk_expect_str(struct kunit *test, u8 cmd, u16 type,
			  const char *s, bool nul, int want)
{
	dk_expect_attr(test, cmd, type, s, strlen(s) + nul, want);
}

/* @len times 'a', NUL-terminated, in a kunit allocation. */
static char *dk_str(struct kunit *test, int len)
{
	char *s = kunit_kzalloc(test, len + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	memset(s, 'a', len);
	return s;
}

/* dmb-read's narrower check of @len: @want, naming the attribute. */
static void dk_expect_read_len(struct kunit *test, u32 len, int want)
{
	struct dk_msg *m = dk_msg_reset(test);
	struct netlink_ext_ack extack = {};
	struct nlattr *nla;
	int err;

	nla = dk_put(test, m, DIBS_A_DMB_LEN, &len, sizeof(len));
	err = dibs_nl_dmb_read_len_check(nla, &extack);
	KUNIT_EXPECT_EQ_MSG(test, err, want, "dmb-read len %u", len);
	if (err && err == want) {
		KUNIT_EXPECT_NOT_NULL(test, extack._msg);
		KUNIT_EXPECT_PTR_EQ(test, extack.bad_attr, nla);
	}
}

struct dk_op_want {
	u8 cmd;
	u32 perm;		/* GENL_ADMIN_PERM, GENL_UNS_ADMIN_PERM or 0 */
	bool doit;
	unsigned int do_max;	/* the do's maxattr; 0: no attributes, no policy */
	bool dumpit;
	unsigned int dump_max;	/* the dump's */
	bool start;	/* a dump whose filters .start parses */
};

#define ADMIN	GENL_ADMIN_PERM
#define UNS	GENL_UNS_ADMIN_PERM	/* CAP_NET_ADMIN over the netns */

/*
 * DESIGN.md §4: every op, its permission, and the last attribute of its
 * do and dump requests (tests/unit/kernel-nl-agrees.py checks this table
 * against uapi/dibs.yaml).
 */
static const struct dk_op_want dk_ops_want[] = {
	{ DIBS_CMD_DEV_GET, 0, true, DIBS_A_DEV_NAME, true, 0 },
	{ DIBS_CMD_DEV_NEW, ADMIN, true, DIBS_A_DEV_FABRIC_ID, false, 0 },
	{ DIBS_CMD_DEV_DEL, ADMIN, true, DIBS_A_DEV_NAME, false, 0 },
	{ DIBS_CMD_DEV_SET, ADMIN, true, DIBS_A_DEV_NETNS_FD, false, 0 },
	{ DIBS_CMD_REMOTE_QUERY, 0, true, DIBS_A_DEV_REMOTE_GID, false, 0 },
	{ DIBS_CMD_DMB_GET, UNS, true, DIBS_A_DMB_DEV_NAME,
	  true, DIBS_A_DMB_CLIENT_NAME, true },
	{ DIBS_CMD_DMB_GRANT, ADMIN, true, DIBS_A_DMB_OWNED, false, 0 },
	{ DIBS_CMD_DMB_REVOKE, ADMIN, true, DIBS_A_DMB_DEV_NAME, false, 0 },
	{ DIBS_CMD_DMB_WRITE, ADMIN, true, DIBS_A_DMB_SIGNAL_IDX, false, 0 },
	{ DIBS_CMD_DMB_READ, ADMIN, true, DIBS_A_DMB_OFFSET, false, 0 },
	{ DIBS_CMD_CLIENT_GET, 0, false, 0, true, 0 },
	{ DIBS_CMD_EVENT_SIGNAL, ADMIN, true, DIBS_A_EVENT_REMOTE_GID, false, 0 },
};

#undef ADMIN
#undef UNS

/* The op table's entry for @cap of @w's command: as @w has it. */
static void dk_expect_op(struct kunit *test, const struct dk_op_want *w,
			 u8 cap)
{
	const struct genl_split_ops *ops = dibs_nl_cmd_ops(w->cmd, cap);
	bool dump = cap == GENL_CMD_CAP_DUMP;
	unsigned int max = dump ? w->dump_max : w->do_max;

	KUNIT_EXPECT_EQ_MSG(test, !!ops, dump ? w->dumpit : w->doit,
			    "command %u %s", w->cmd, dump ? "dump" : "do");
	if (!ops)
		return;
	KUNIT_EXPECT_EQ_MSG(test, ops->maxattr, max, "command %u", w->cmd);
	KUNIT_EXPECT_EQ_MSG(test, !!ops->policy, !!max,
			    "command %u policy", w->cmd);
	KUNIT_EXPECT_EQ_MSG(test, ops->flags &
			    (GENL_ADMIN_PERM | GENL_UNS_ADMIN_PERM),
			    w->perm, "command %u permission", w->cmd);
	/* No GENL_DONT_VALIDATE_*: parsed and dumped strictly. */
	KUNIT_EXPECT_EQ_MSG(test, ops->validate, 0,
			    "command %u validation", w->cmd);
	if (dump) {
		KUNIT_EXPECT_NOT_NULL_MSG(test, ops->dumpit, "command %u",
					  w->cmd);
		KUNIT_EXPECT_EQ_MSG(test, !!ops->start, w->start,
				    "command %u start", w->cmd);
	} else {
		KUNIT_EXPECT_NOT_NULL_MSG(test, ops->doit, "command %u",
					  w->cmd);
	}
}

static void policy_op_table_matches_design(struct kunit *test)
{
	const u8 any = GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP;
	unsigned int i;
	u8 cmd;

	for (i = 0; i < ARRAY_SIZE(dk_ops_want); i++) {
		dk_expect_op(test, &dk_ops_want[i], GENL_CMD_CAP_DO);
		dk_expect_op(test, &dk_ops_want[i], GENL_CMD_CAP_DUMP);
	}
	/* Notifications are sent, never requested; 0 is no command. */
	KUNIT_EXPECT_NULL(test, dibs_nl_cmd_ops(0, any));
	for (cmd = DIBS_CMD_DEV_ADD_NTF; cmd <= DIBS_CMD_SIGNAL_NTF; cmd++)
		KUNIT_EXPECT_NULL_MSG(test, dibs_nl_cmd_ops(cmd, any),
				      "notification %u has an op", cmd);
	KUNIT_EXPECT_NULL(test, dibs_nl_cmd_ops(DIBS_CMD_MAX + 1, any));
}

static void policy_gid_is_exactly_16_bytes(struct kunit *test)
{
	static const struct { u8 cmd; u16 type; } gids[] = {
		{ DIBS_CMD_DEV_NEW, DIBS_A_DEV_GID },
		{ DIBS_CMD_REMOTE_QUERY, DIBS_A_DEV_REMOTE_GID },
		{ DIBS_CMD_DMB_GRANT, DIBS_A_DMB_RGID },
		{ DIBS_CMD_EVENT_SIGNAL, DIBS_A_EVENT_REMOTE_GID },
	};
	static const int bad_lens[] = { 0, 1, 8, 15, 17, 32 };
	u8 gid[32] = { 0x42 };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(gids); i++) {
		dk_expect_attr(test, gids[i].cmd, gids[i].type, gid,
			       DIBS_GID_LEN, 0);
		for (j = 0; j < ARRAY_SIZE(bad_lens); j++)
			dk_expect_attr(test, gids[i].cmd, gids[i].type, gid,
				       bad_lens[j], -ERANGE);
	}
}

static void policy_name_strings_are_bounded(struct kunit *test)
{
	static const struct { u8 cmd; u16 type; int max; } names[] = {
		{ DIBS_CMD_DEV_NEW, DIBS_A_DEV_NAME, DIBS_DEV_NAME_MAX - 1 },
		{ DIBS_CMD_DEV_GET, DIBS_A_DEV_NAME, DIBS_DEV_NAME_MAX - 1 },
		{ DIBS_CMD_DEV_SET, DIBS_A_DEV_NAME, DIBS_DEV_NAME_MAX - 1 },
		{ DIBS_CMD_DMB_GRANT, DIBS_A_DMB_DEV_NAME,
		  DIBS_DEV_NAME_MAX - 1 },
		{ DIBS_CMD_DMB_WRITE, DIBS_A_DMB_DEV_NAME,
		  DIBS_DEV_NAME_MAX - 1 },
		{ DIBS_CMD_EVENT_SIGNAL, DIBS_A_EVENT_DEV_NAME,
		  DIBS_DEV_NAME_MAX - 1 },
		{ DIBS_CMD_DEV_NEW, DIBS_A_DEV_TYPE, 31 },
		/* a filter of the dump */
		{ DIBS_CMD_DMB_GET | DK_DUMP, DIBS_A_DMB_CLIENT_NAME, 63 },
	};
	unsigned int i;
	u8 cmd;
	u16 t;
	int max;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		cmd = names[i].cmd;
		t = names[i].type;
		max = names[i].max;
		dk_expect_str(test, cmd, t, "a", true, 0);
		dk_expect_str(test, cmd, t, dk_str(test, max), true, 0);
		/* The policy passes "": dev-new refuses it (names case). */
		dk_expect_str(test, cmd, t, "", true, 0);
		dk_expect_str(test, cmd, t, dk_str(test, max + 1), true,
			      -EINVAL);
		dk_expect_str(test, cmd, t, dk_str(test, 200), true, -EINVAL);
		/* Without its NUL, or with no bytes at all. */
		dk_expect_str(test, cmd, t, "abc", false, -EINVAL);
		dk_expect_str(test, cmd, t, "", false, -EINVAL);
	}
}

static void policy_fabric_id_is_u16(struct kunit *test)
{
	u16 fabric = DIBS_LOOPBACK_FABRIC;
	u32 wide = 7;
	u8 narrow = 7;

	dk_expect_attr(test, DIBS_CMD_DEV_NEW, DIBS_A_DEV_FABRIC_ID, &fabric,
		       sizeof(fabric), 0);
	fabric = 0;
	dk_expect_attr(test, DIBS_CMD_DEV_NEW, DIBS_A_DEV_FABRIC_ID, &fabric,
		       sizeof(fabric), 0);
	dk_expect_attr(test, DIBS_CMD_DEV_NEW, DIBS_A_DEV_FABRIC_ID, &wide,
		       sizeof(wide), -EINVAL);
	dk_expect_attr(test, DIBS_CMD_DEV_NEW, DIBS_A_DEV_FABRIC_ID, &narrow,
		       sizeof(narrow), -EINVAL);
	dk_expect_attr(test, DIBS_CMD_DEV_NEW, DIBS_A_DEV_FABRIC_ID, NULL, 0,
		       -EINVAL);
}

static void policy_dmb_len_range(struct kunit *test)
{
	u64 wide = 4096;

	dk_expect_u32(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_LEN, 0, -ERANGE);
	dk_expect_u32(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_LEN, 1, 0);
	dk_expect_u32(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_LEN,
		      DIBS_DMB_LEN_MAX, 0);
	dk_expect_u32(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_LEN,
		      DIBS_DMB_LEN_MAX + 1, -ERANGE);
	dk_expect_u32(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_LEN, U32_MAX,
		      -ERANGE);
	dk_expect_attr(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_LEN, &wide,
		       sizeof(wide), -EINVAL);

	/*
	 * dmb-read: a chunk of 1 to DIBS_DATA_CHUNK_MAX bytes. The op's
	 * policy has the spec's range for the attribute (dmb-grant's); its
	 * pre_doit narrows it first thing, with a policy of its own.
	 */
	dk_expect_u32(test, DIBS_CMD_DMB_READ, DIBS_A_DMB_LEN, 0, -ERANGE);
	dk_expect_u32(test, DIBS_CMD_DMB_READ, DIBS_A_DMB_LEN, 1, 0);
	dk_expect_read_len(test, 1, 0);
	dk_expect_read_len(test, DIBS_DATA_CHUNK_MAX, 0);
	dk_expect_read_len(test, DIBS_DATA_CHUNK_MAX + 1, -ERANGE);
	dk_expect_read_len(test, DIBS_DMB_LEN_MAX, -ERANGE);
}

static void policy_write_data_and_signal(struct kunit *test)
{
	char *data = dk_str(test, DIBS_DATA_CHUNK_MAX + 1);

	dk_expect_attr(test, DIBS_CMD_DMB_WRITE, DIBS_A_DMB_DATA, data, 1, 0);
	dk_expect_attr(test, DIBS_CMD_DMB_WRITE, DIBS_A_DMB_DATA, data,
		       DIBS_DATA_CHUNK_MAX, 0);
	dk_expect_attr(test, DIBS_CMD_DMB_WRITE, DIBS_A_DMB_DATA, data,
		       DIBS_DATA_CHUNK_MAX + 1, -ERANGE);

	dk_expect_u32(test, DIBS_CMD_DMB_WRITE, DIBS_A_DMB_SIGNAL_IDX, 0, 0);
	dk_expect_u32(test, DIBS_CMD_DMB_WRITE, DIBS_A_DMB_SIGNAL_IDX,
		      DIBS_SIGNAL_IDX_MAX, 0);
	dk_expect_u32(test, DIBS_CMD_DMB_WRITE, DIBS_A_DMB_SIGNAL_IDX,
		      DIBS_SIGNAL_IDX_MAX + 1, -ERANGE);
	dk_expect_u32(test, DIBS_CMD_DMB_WRITE, DIBS_A_DMB_SIGNAL_IDX,
		      U32_MAX, -ERANGE);
}

static void policy_index_state_and_token(struct kunit *test)
{
	static const struct { u8 cmd; u16 type; } indexes[] = {
		{ DIBS_CMD_DEV_GET, DIBS_A_DEV_INDEX },
		{ DIBS_CMD_DEV_SET, DIBS_A_DEV_INDEX },
		{ DIBS_CMD_REMOTE_QUERY, DIBS_A_DEV_INDEX },
		{ DIBS_CMD_DMB_GRANT, DIBS_A_DMB_DEV_INDEX },
		{ DIBS_CMD_DMB_READ, DIBS_A_DMB_DEV_INDEX },
	};
	u64 token = 0x1234;
	u32 short_token = 0x1234;
	unsigned int i;

	/* Device indexes start at 1, like ifindex. */
	for (i = 0; i < ARRAY_SIZE(indexes); i++) {
		dk_expect_u32(test, indexes[i].cmd, indexes[i].type, 0,
			      -ERANGE);
		dk_expect_u32(test, indexes[i].cmd, indexes[i].type, 1, 0);
		dk_expect_u32(test, indexes[i].cmd, indexes[i].type, U32_MAX,
			      0);
	}
	dk_expect_u32(test, DIBS_CMD_DEV_SET, DIBS_A_DEV_STATE,
		      DIBS_DEV_STATE_DOWN, 0);
	dk_expect_u32(test, DIBS_CMD_DEV_SET, DIBS_A_DEV_STATE,
		      DIBS_DEV_STATE_UP, 0);
	dk_expect_u32(test, DIBS_CMD_DEV_SET, DIBS_A_DEV_STATE,
		      DIBS_DEV_STATE_UP + 1, -ERANGE);

	dk_expect_attr(test, DIBS_CMD_DMB_REVOKE, DIBS_A_DMB_TOKEN, &token,
		       sizeof(token), 0);
	dk_expect_attr(test, DIBS_CMD_DMB_REVOKE, DIBS_A_DMB_TOKEN,
		       &short_token, sizeof(short_token), -EINVAL);
}

static void policy_owned_is_a_flag(struct kunit *test)
{
	u32 one = 1;

	dk_expect_attr(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_OWNED, NULL, 0, 0);
	dk_expect_attr(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_OWNED, &one,
		       sizeof(one), -ERANGE);
}

static void policy_strict_parsing(struct kunit *test)
{
	struct nlattr *tb[DK_TB_SIZE];
	struct netlink_ext_ack extack;
	struct dk_msg *m;
	struct nlattr *nla;
	u32 one = 1;

	/* Attribute type 0 and types beyond the set are unknown. */
	dk_expect_u32(test, DIBS_CMD_DEV_GET, 0, 1, -EINVAL);
	dk_expect_u32(test, DIBS_CMD_DEV_GET, DIBS_A_DEV_MAX + 1, 1, -EINVAL);
	dk_expect_u32(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_MAX + 1, 1,
		      -EINVAL);
	/* Reply-only attributes are not accepted in requests. */
	dk_expect_u32(test, DIBS_CMD_DEV_GET, DIBS_A_DEV_DMB_COUNT, 1,
		      -EINVAL);
	dk_expect_u32(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_SBA_IDX, 1,
		      -EINVAL);
	dk_expect_u32(test, DIBS_CMD_DMB_GRANT, DIBS_A_DMB_CLIENT_ID, 1,
		      -EINVAL);
	dk_expect_u32(test, DIBS_CMD_DEV_NEW, DIBS_A_DEV_INDEX, 1, -EINVAL);
	/* A plain attribute marked nested. */
	dk_expect_u32(test, DIBS_CMD_DEV_GET, DIBS_A_DEV_INDEX | NLA_F_NESTED,
		      1, -EINVAL);

	/* Bytes after the last attribute. */
	m = dk_msg_reset(test);
	dk_put(test, m, DIBS_A_DEV_INDEX, &one, sizeof(one));
	memset(m->buf + m->len, 0, 2);
	m->len += 2;
	KUNIT_EXPECT_EQ(test, dk_parse(test, DIBS_CMD_DEV_GET, m, tb,
				       DK_TB_SIZE, &extack), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);

	/* An attribute longer than the message: truncated. */
	m = dk_msg_reset(test);
	nla = dk_put(test, m, DIBS_A_DEV_INDEX, &one, sizeof(one));
	nla->nla_len += 4;
	KUNIT_EXPECT_EQ(test, dk_parse(test, DIBS_CMD_DEV_GET, m, tb,
				       DK_TB_SIZE, &extack), -EINVAL);

	/* An attribute header that claims less than itself. */
	m = dk_msg_reset(test);
	nla = dk_put(test, m, DIBS_A_DEV_INDEX, &one, sizeof(one));
	nla->nla_len = NLA_HDRLEN - 1;
	KUNIT_EXPECT_EQ(test, dk_parse(test, DIBS_CMD_DEV_GET, m, tb,
				       DK_TB_SIZE, &extack), -EINVAL);
}

static void policy_full_grant_request_parses(struct kunit *test)
{
	struct dk_msg *m = dk_msg_reset(test);
	struct nlattr *tb[DK_TB_SIZE];
	struct netlink_ext_ack extack;
	u8 gid[DIBS_GID_LEN];
	u32 len = 65536;
	int err;

	memset(gid, 0x5a, sizeof(gid));
	dk_put(test, m, DIBS_A_DMB_DEV_NAME, "dk0", 4);
	dk_put(test, m, DIBS_A_DMB_RGID, gid, sizeof(gid));
	dk_put(test, m, DIBS_A_DMB_LEN, &len, sizeof(len));
	dk_put(test, m, DIBS_A_DMB_OWNED, NULL, 0);
	err = dk_parse(test, DIBS_CMD_DMB_GRANT, m, tb, DK_TB_SIZE, &extack);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_NULL(test, extack._msg);
	KUNIT_ASSERT_NOT_NULL(test, tb[DIBS_A_DMB_DEV_NAME]);
	KUNIT_EXPECT_STREQ(test, (char *)nla_data(tb[DIBS_A_DMB_DEV_NAME]),
			   "dk0");
	KUNIT_ASSERT_NOT_NULL(test, tb[DIBS_A_DMB_RGID]);
	KUNIT_EXPECT_MEMEQ(test, nla_data(tb[DIBS_A_DMB_RGID]), gid,
			   sizeof(gid));
	KUNIT_ASSERT_NOT_NULL(test, tb[DIBS_A_DMB_LEN]);
	KUNIT_EXPECT_EQ(test, nla_get_u32(tb[DIBS_A_DMB_LEN]), len);
	KUNIT_EXPECT_TRUE(test, nla_get_flag(tb[DIBS_A_DMB_OWNED]));
	KUNIT_EXPECT_NULL(test, tb[DIBS_A_DMB_DEV_INDEX]);
	KUNIT_EXPECT_NULL(test, tb[DIBS_A_DMB_TOKEN]);
}

static void names_plain_ascii_accepted(struct kunit *test)
{
	static const char * const good[] = {
		"lo", "sim0", "a", "dev-1", "dev_2", "fab.3", "ABCdef0123456789",
		"...a", "-",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		KUNIT_EXPECT_TRUE_MSG(test, dibs_nl_name_valid(good[i]),
				      "\"%s\" refused", good[i]);
}

static void names_odd_refused(struct kunit *test)
{
	static const char * const bad[] = {
		"", ".", "..", "a/b", "/", "a b", "%n", "a\n", "tab\t",
		"$(x)", "a;b", "*", "\x7f",
		"caf\xc3\xa9",		/* UTF-8: not plain */
		"\xe9t\xe9",		/* Latin-1, invalid UTF-8 */
		"\xc0\xc1",		/* invalid UTF-8 */
		"\xff",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test, dibs_nl_name_valid(bad[i]),
				       "name of bytes [%*ph] accepted",
				       (int)strlen(bad[i]), bad[i]);
}

static struct kunit_case dk_policy_cases[] = {
	KUNIT_CASE(policy_op_table_matches_design),
	KUNIT_CASE(policy_gid_is_exactly_16_bytes),
	KUNIT_CASE(policy_name_strings_are_bounded),
	KUNIT_CASE(policy_fabric_id_is_u16),
	KUNIT_CASE(policy_dmb_len_range),
	KUNIT_CASE(policy_write_data_and_signal),
	KUNIT_CASE(policy_index_state_and_token),
	KUNIT_CASE(policy_owned_is_a_flag),
	KUNIT_CASE(policy_strict_parsing),
	KUNIT_CASE(policy_full_grant_request_parses),
	KUNIT_CASE(names_plain_ascii_accepted),
	KUNIT_CASE(names_odd_refused),
	{}
};

static struct kunit_suite dk_policy_suite = {
	.name = "dibs_policy",
	.init = dk_policy_init,
	.test_cases = dk_policy_cases,
};

/* ---- dibs_client_slots: the client registry ---- */

/*
 * Register clients from index @first until one fails; expect it to fail
 * with -ENOSPC after all free slots are taken, each slot once, lowest
 * first. Return: how many were registered.
 */
static int dk_fill_clients(struct kunit *test, unsigned int first)
{
	struct dk_ctx *ctx = test->priv;
	unsigned long ids = 0;
	int ret = 0, n = 0, last = -1;
	unsigned int i;
	u8 id;

	for (i = first; i < DK_CLIENTS; i++) {
		ret = dk_client_reg(test, i, false);
		if (ret)
			break;
		n++;
		id = ctx->clients[i].client.id;
		KUNIT_EXPECT_LT(test, id, MAX_DIBS_CLIENTS);
		KUNIT_EXPECT_FALSE_MSG(test, test_bit(id, &ids),
				       "slot %u handed out twice", id);
		/* Slots are only taken here: the lowest free is next. */
		KUNIT_EXPECT_GT(test, (int)id, last);
		__set_bit(id, &ids);
		last = id;
	}
	KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
	return n;
}

static void client_slots_fill_then_enospc(struct kunit *test)
{
	int n;

	n = dk_fill_clients(test, 0);
	/* The core's userspace client holds the remaining slot. */
	KUNIT_EXPECT_EQ_MSG(test, n, MAX_DIBS_CLIENTS - 1,
			    "is another dibs client module loaded?");
	/* A ninth client overall, once more: still no room. */
	KUNIT_EXPECT_EQ(test, dk_client_reg(test, DK_CLIENTS - 1, false),
			-ENOSPC);
}

static void client_slot_freed_is_reused(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dk_client *lo, *mid, *again;
	u8 lo_id, mid_id;
	int n;

	n = dk_fill_clients(test, 0);
	KUNIT_ASSERT_GE(test, n, 3);
	lo = &ctx->clients[0];
	mid = &ctx->clients[n / 2];
	lo_id = lo->client.id;
	mid_id = mid->client.id;

	KUNIT_ASSERT_EQ(test, dk_client_unreg(mid), 0);
	again = dk_client(test, n, false);
	KUNIT_EXPECT_EQ(test, again->client.id, mid_id);
	KUNIT_EXPECT_EQ(test, dk_client_reg(test, n + 1, false), -ENOSPC);

	/* Two free slots: the lower one goes first. */
	KUNIT_ASSERT_EQ(test, dk_client_unreg(again), 0);
	KUNIT_ASSERT_EQ(test, dk_client_unreg(lo), 0);
	KUNIT_ASSERT_EQ(test, dk_client_reg(test, n + 1, false), 0);
	KUNIT_EXPECT_EQ(test, ctx->clients[n + 1].client.id, lo_id);
}

static void client_unregister_unknown_enoent(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dk_client *c, *stranger = &ctx->clients[1];

	stranger->client.name = "dk_stranger";
	stranger->client.ops = &dk_quiet_ops;
	/* Never registered: whatever slot its id names is not its own. */
	stranger->client.id = 0;
	KUNIT_EXPECT_EQ(test, dibs_unregister_client(&stranger->client),
			-ENOENT);
	stranger->client.id = MAX_DIBS_CLIENTS;
	KUNIT_EXPECT_EQ(test, dibs_unregister_client(&stranger->client),
			-ENOENT);
	stranger->client.id = NO_DIBS_CLIENT;
	KUNIT_EXPECT_EQ(test, dibs_unregister_client(&stranger->client),
			-ENOENT);

	/* A stranger naming a registered client's slot leaves it alone. */
	c = dk_client(test, 0, false);
	stranger->client.id = c->client.id;
	KUNIT_EXPECT_EQ(test, dibs_unregister_client(&stranger->client),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, dk_client_unreg(c), 0);
	KUNIT_EXPECT_EQ(test, dk_client_unreg(c), -ENOENT);
}

static void client_add_dev_del_dev_per_device(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dk_probe *p = &ctx->probe;
	struct dibs_dev *a, *b;
	struct dk_client *c;
	int adds;

	a = dk_lo_new(test, "dk_a");
	c = dk_client(test, 0, true);
	/* One add_dev() per existing device, ours among them. */
	KUNIT_EXPECT_GE(test, p->adds, 1);
	KUNIT_EXPECT_GE(test, dk_held_find(p, a), 0);
	KUNIT_EXPECT_PTR_EQ(test, dibs_get_priv(a, &c->client), (void *)a);
	KUNIT_EXPECT_PTR_EQ(test, a->subs[c->client.id], &c->client);
	/* The client id per sba index, as upstream allocates it. */
	KUNIT_ASSERT_NOT_NULL(test, a->dmb_clientid_arr);
	KUNIT_EXPECT_EQ(test, a->dmb_clientid_arr[0], NO_DIBS_CLIENT);
	adds = p->adds;

	b = dk_sim_new(test, "dk_b", DK_FABRIC);
	KUNIT_EXPECT_EQ(test, p->adds, adds + 1);
	KUNIT_EXPECT_GE(test, dk_held_find(p, b), 0);
	dk_dev_del(test, b);
	KUNIT_EXPECT_EQ(test, p->dels, 1);
	KUNIT_EXPECT_LT(test, dk_held_find(p, b), 0);

	KUNIT_ASSERT_EQ(test, dk_client_unreg(c), 0);
	KUNIT_EXPECT_EQ(test, p->dels, p->adds);
	KUNIT_EXPECT_LT(test, dk_held_find(p, a), 0);
	KUNIT_EXPECT_EQ(test, p->unknown_dels, 0);
	KUNIT_EXPECT_EQ(test, p->bad_priv, 0);
	KUNIT_EXPECT_EQ(test, p->subs_early, 0);
	KUNIT_EXPECT_EQ(test, p->subs_late, 0);
	KUNIT_EXPECT_NULL(test, a->subs[c->client.id]);
	/* The core forgets the client's per-device data. */
	KUNIT_EXPECT_NULL(test, a->priv[c->client.id]);
}

static void client_with_dmbs_is_busy(struct kunit *test)
{
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *d1, *d2;
	u8 id = c->client.id;

	d1 = dk_reg_ok(test, a, c, &a->gid, 4096, 0);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(id), 1);
	KUNIT_EXPECT_EQ(test, dk_client_unreg(c), -EBUSY);
	/* Nothing changed: the client still owns its slot and DMB. */
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(id), 1);
	KUNIT_EXPECT_TRUE(test, dk_rec(a, d1->dmb.dmb_tok).found);
	d2 = dk_reg_ok(test, a, c, &a->gid, 4096, 0);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(id), 2);

	KUNIT_EXPECT_EQ(test, dk_unreg(d1), 0);
	KUNIT_EXPECT_EQ(test, dk_client_unreg(c), -EBUSY);
	KUNIT_EXPECT_EQ(test, dk_unreg(d2), 0);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(id), 0);
	KUNIT_EXPECT_EQ(test, dk_client_unreg(c), 0);
}

static void client_dmbs_counted_per_client(struct kunit *test)
{
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dibs_dev *b = dk_sim_new(test, "dk_b", DK_FABRIC);
	struct dk_client *c1 = dk_client(test, 0, false);
	struct dk_client *c2 = dk_client(test, 1, false);
	struct dk_dmb *d;
	int i;

	for (i = 0; i < 3; i++)
		dk_reg_ok(test, a, c1, &a->gid, 1024, 0);
	d = dk_reg_ok(test, b, c2, &b->gid, 1024, 0);
	dk_reg_ok(test, a, c2, &a->gid, 1024, 0);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c1->client.id), 3);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c2->client.id), 2);
	KUNIT_EXPECT_EQ(test, dk_rec(b, d->dmb.dmb_tok).client_id,
			c2->client.id);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->dmb_count), 1);
}

static void client_unregistered_cannot_register_dmb(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = dk_client(test, 0, false);

	KUNIT_ASSERT_EQ(test, dk_client_unreg(c), 0);
	KUNIT_EXPECT_EQ(test, dk_reg(test, a, c, &a->gid, 64, 0, NULL),
			-EINVAL);
	/* Never registered at all. */
	ctx->clients[1].client.ops = &dk_quiet_ops;
	KUNIT_EXPECT_EQ(test, dk_reg(test, a, &ctx->clients[1], &a->gid, 64,
				     0, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), 0);
}

static struct kunit_case dk_client_cases[] = {
	KUNIT_CASE(client_slots_fill_then_enospc),
	KUNIT_CASE(client_slot_freed_is_reused),
	KUNIT_CASE(client_unregister_unknown_enoent),
	KUNIT_CASE(client_add_dev_del_dev_per_device),
	KUNIT_CASE(client_with_dmbs_is_busy),
	KUNIT_CASE(client_dmbs_counted_per_client),
	KUNIT_CASE(client_unregistered_cannot_register_dmb),
	{}
};

static struct kunit_suite dk_client_suite = {
	.name = "dibs_client_slots",
	.init = dk_init,
	.exit = dk_exit,
	.test_cases = dk_client_cases,
};

/* ---- dibs_token_table: the core's DMB records by (scope, token) ---- */

#define DK_MANY	256

static void token_unique_and_found(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = dk_client(test, 0, false);
	s64 reg0 = atomic64_read(&a->stats.dmbs_registered);
	struct dk_dmb *d;
	struct dk_rec r;
	u64 *tok;
	int i;

	tok = kunit_kcalloc(test, DK_MANY, sizeof(*tok), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tok);
	dk_reserve(test, DK_MANY);
	for (i = 0; i < DK_MANY; i++) {
		d = dk_reg_ok(test, a, c, &a->gid, 64 + i, 0);
		tok[i] = d->dmb.dmb_tok;
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), DK_MANY);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c->client.id), DK_MANY);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->stats.dmbs_registered),
			reg0 + DK_MANY);

	for (i = 0; i < DK_MANY; i++) {
		d = &ctx->dmbs[i];
		r = dk_rec(a, d->dmb.dmb_tok);
		KUNIT_ASSERT_TRUE_MSG(test, r.found, "DMB %d", i);
		KUNIT_EXPECT_EQ(test, r.len, 64 + i);
		KUNIT_EXPECT_EQ(test, r.idx, d->dmb.idx);
		KUNIT_EXPECT_EQ(test, r.client_id, c->client.id);
		KUNIT_EXPECT_PTR_EQ(test, r.cpu_addr, d->dmb.cpu_addr);
		KUNIT_EXPECT_TRUE(test, uuid_equal(&r.rgid, &a->gid));
	}
	KUNIT_EXPECT_EQ(test, dk_dup_tokens(tok, DK_MANY), 0);

	for (i = 0; i < DK_MANY; i++)
		KUNIT_EXPECT_EQ(test, dk_unreg(&ctx->dmbs[i]), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), 0);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c->client.id), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->stats.dmbs_unregistered),
			atomic64_read(&a->stats.dmbs_registered));
	for (i = 0; i < DK_MANY; i++)
		KUNIT_EXPECT_FALSE(test, dk_rec(a, ctx->dmbs[i].dmb.dmb_tok).found);
}

static void token_unknown_is_enoent(struct kunit *test)
{
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *d = dk_reg_ok(test, a, c, &a->gid, 128, 0);
	u64 tok = d->dmb.dmb_tok;
	s64 errors = atomic64_read(&a->stats.move_errors);

	KUNIT_EXPECT_EQ(test, dk_write(a, tok ^ 1, 0, "x", 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, dk_write(a, 0, 0, "x", 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, dk_unreg_token(a, tok ^ 1), -ENOENT);
	KUNIT_EXPECT_FALSE(test, dk_rec(a, tok ^ 1).found);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->stats.move_errors),
			errors + 2);
	/* The refusals left the real DMB alone. */
	KUNIT_EXPECT_TRUE(test, dk_rec(a, tok).found);
	KUNIT_EXPECT_EQ(test, dk_write(a, tok, 0, "x", 1), 0);

	KUNIT_EXPECT_EQ(test, dk_unreg(d), 0);
	KUNIT_EXPECT_EQ(test, dk_unreg_token(a, tok), -ENOENT);
	KUNIT_EXPECT_EQ(test, dk_write(a, tok, 0, "x", 1), -ENOENT);
	KUNIT_EXPECT_FALSE(test, dk_rec(a, tok).found);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), 0);
}

static void token_write_lands_and_is_counted(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = dk_client(test, 0, true);
	struct dk_dmb *d = dk_reg_ok(test, a, c, &a->gid, 4096, 0);
	struct dk_dmb *foreign;
	s64 moves = atomic64_read(&a->stats.moves);
	s64 bytes = atomic64_read(&a->stats.move_bytes);
	u64 tok = d->dmb.dmb_tok;
	struct dk_rec r;
	uuid_t other;
	int ret;

	KUNIT_EXPECT_EQ(test, dk_write(a, tok, 100, "hello", 5), 0);
	KUNIT_EXPECT_MEMEQ(test, (u8 *)d->dmb.cpu_addr + 100, "hello", 5);
	KUNIT_EXPECT_EQ(test, dk_write(a, tok, 4091, "world", 5), 0);
	/* Past the end, and an offset that wraps around. */
	KUNIT_EXPECT_EQ(test, dk_write(a, tok, 4092, "world", 5), -EINVAL);
	KUNIT_EXPECT_EQ(test, dk_write(a, tok, UINT_MAX, "ab", 2), -EINVAL);
	r = dk_rec(a, tok);
	KUNIT_EXPECT_EQ(test, r.writes, 2);
	KUNIT_EXPECT_EQ(test, r.write_bytes, 10);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->stats.moves), moves + 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->stats.move_bytes), bytes + 10);

	/* A signal reaches the owner: the DMB's index, the bit's mask. */
	ret = a->ops->move_data(a, tok, 3, true, 0, "s", 1);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, ctx->probe.irqs, 1);
	KUNIT_EXPECT_PTR_EQ(test, ctx->probe.irq_dev, a);
	KUNIT_EXPECT_EQ(test, ctx->probe.irq_idx, d->dmb.idx);
	KUNIT_EXPECT_EQ(test, ctx->probe.irq_mask, BIT(3));
	KUNIT_EXPECT_EQ(test, dk_rec(a, tok).signals, 1);
	ret = a->ops->move_data(a, tok, DIBS_SIGNAL_IDX_MAX + 1, true, 0,
				"s", 1);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_EQ(test, ctx->probe.irqs, 1);

	/* Granted to another gid: this device may not write it. */
	uuid_gen(&other);
	foreign = dk_reg_ok(test, a, c, &other, 64, 0);
	KUNIT_EXPECT_EQ(test, dk_write(a, foreign->dmb.dmb_tok, 0, "x", 1),
			-EACCES);
	r = dk_rec(a, foreign->dmb.dmb_tok);
	KUNIT_EXPECT_EQ(test, r.refused, 1);
	KUNIT_EXPECT_EQ(test, r.writes, 0);
}

static void token_loopback_scope_is_the_device(struct kunit *test)
{
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dibs_dev *b = dk_lo_new(test, "dk_b");
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *d = dk_reg_ok(test, a, c, &a->gid, 64, 0);
	u64 tok = d->dmb.dmb_tok;

	KUNIT_EXPECT_EQ(test, a->ops->get_fabric_id(a), DIBS_LOOPBACK_FABRIC);
	KUNIT_EXPECT_EQ(test, b->ops->get_fabric_id(b), DIBS_LOOPBACK_FABRIC);
	KUNIT_EXPECT_TRUE(test, dk_rec(a, tok).found);
	/* Same fabric id, but every loopback device is its own world. */
	KUNIT_EXPECT_FALSE(test, dk_rec(b, tok).found);
	KUNIT_EXPECT_EQ(test, dk_write(b, tok, 0, "x", 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, dk_unreg_token(b, tok), -ENOENT);
	KUNIT_EXPECT_EQ(test, b->ops->query_remote_gid(b, &a->gid, 0, 0),
			-ENETUNREACH);
	KUNIT_EXPECT_EQ(test, a->ops->query_remote_gid(a, &a->gid, 0, 0), 0);
	KUNIT_EXPECT_TRUE(test, dk_rec(a, tok).found);
}

static void token_sim_scope_is_the_fabric(struct kunit *test)
{
	struct dibs_dev *a = dk_sim_new(test, "dk_a", DK_FABRIC);
	struct dibs_dev *b = dk_sim_new(test, "dk_b", DK_FABRIC);
	struct dibs_dev *x = dk_sim_new(test, "dk_x", DK_FABRIC2);
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *d;
	struct dk_rec r;
	u64 *tok;
	u64 t;
	int i;

	dk_reserve(test, 2 * 64 + 1);
	d = dk_reg_ok(test, a, c, &b->gid, 256, 0);
	t = d->dmb.dmb_tok;
	KUNIT_EXPECT_EQ(test, a->ops->query_remote_gid(a, &b->gid, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, x->ops->query_remote_gid(x, &b->gid, 0, 0),
			-ENETUNREACH);

	/* Only the granted peer writes; other fabrics do not know it. */
	KUNIT_EXPECT_EQ(test, dk_write(b, t, 10, "peer", 4), 0);
	KUNIT_EXPECT_MEMEQ(test, (u8 *)d->dmb.cpu_addr + 10, "peer", 4);
	KUNIT_EXPECT_EQ(test, dk_write(a, t, 0, "self", 4), -EACCES);
	KUNIT_EXPECT_EQ(test, dk_write(x, t, 0, "away", 4), -ENOENT);

	/* The record is the owner's; the writer's scope finds it. */
	r = dk_rec(a, t);
	KUNIT_ASSERT_TRUE(test, r.found);
	KUNIT_EXPECT_EQ(test, r.writes, 1);
	KUNIT_EXPECT_EQ(test, r.write_bytes, 4);
	KUNIT_EXPECT_EQ(test, r.refused, 1);
	KUNIT_EXPECT_FALSE(test, dk_rec(b, t).found);
	KUNIT_EXPECT_FALSE(test, dk_rec(x, t).found);
	/* Only the owner's device unregisters it. */
	KUNIT_EXPECT_EQ(test, dk_unreg_token(b, t), -ENOENT);
	KUNIT_EXPECT_TRUE(test, dk_rec(a, t).found);

	/* Tokens are unique across the fabric's devices. */
	tok = kunit_kcalloc(test, 2 * 64, sizeof(*tok), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tok);
	for (i = 0; i < 64; i++) {
		tok[2 * i] = dk_reg_ok(test, a, c, &b->gid, 64, 0)->dmb.dmb_tok;
		tok[2 * i + 1] =
			dk_reg_ok(test, b, c, &a->gid, 64, 0)->dmb.dmb_tok;
	}
	KUNIT_EXPECT_EQ(test, dk_dup_tokens(tok, 2 * 64), 0);
	for (i = 0; i < 2 * 64; i++)
		KUNIT_EXPECT_NE(test, tok[i], t);
}

static void token_leftovers_released_with_device(struct kunit *test)
{
	struct dibs_dev *a = dk_sim_new(test, "dk_a", DK_FABRIC);
	struct dibs_dev *b = dk_sim_new(test, "dk_b", DK_FABRIC);
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *kept;
	u64 tok[5];
	int i;

	for (i = 0; i < 5; i++)
		tok[i] = dk_reg_ok(test, a, c, &b->gid, 512, 0)->dmb.dmb_tok;
	kept = dk_reg_ok(test, b, c, &a->gid, 512, 0);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c->client.id), 6);
	/* The client's del_dev() leaves its DMBs: the core releases them. */
	dk_dev_del(test, a);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c->client.id), 1);
	for (i = 0; i < 5; i++) {
		KUNIT_EXPECT_EQ(test, dk_write(b, tok[i], 0, "x", 1), -ENOENT);
		KUNIT_EXPECT_FALSE(test, dk_rec(b, tok[i]).found);
	}
	/* The peer's DMB stays, granted to a gid that is gone. */
	KUNIT_EXPECT_TRUE(test, dk_rec(b, kept->dmb.dmb_tok).found);
	KUNIT_EXPECT_EQ(test, dk_client_unreg(c), -EBUSY);
	KUNIT_EXPECT_EQ(test, dk_unreg(kept), 0);
	KUNIT_EXPECT_EQ(test, dk_client_unreg(c), 0);
}

/*
 * A client that registers a DMB from its own del_dev(), before the core
 * closes the device's table: the core must release it with the leftovers.
 */
static struct dibs_dev *dk_late_dev;
static int dk_late_ret = -EINVAL;

static void dk_late_del_dev(struct dibs_dev *dev)
{
	struct dk_client *c = &dk_cur->clients[0];
	struct dibs_dmb dmb = { .dmb_len = 64 };

	/* Unregistering the client calls this for every other device too. */
	if (dev != dk_late_dev)
		return;
	uuid_copy(&dmb.rgid, &dev->gid);
	dk_late_ret = dev->ops->register_dmb(dev, &dmb, &c->client);
}

static const struct dibs_client_ops dk_late_ops = {
	.add_dev = dk_quiet_dev,
	.del_dev = dk_late_del_dev,
};

static void token_late_register_is_released_or_refused(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = &ctx->clients[0];

	snprintf(c->name, sizeof(c->name), "dk_late");
	c->client.name = c->name;
	c->client.ops = &dk_late_ops;
	KUNIT_ASSERT_EQ(test, dibs_register_client(&c->client), 0);
	c->registered = true;

	/* A caller that still holds the device after it was deleted. */
	get_device(&a->dev);
	dk_late_dev = a;
	dk_late_ret = -EINVAL;
	dk_dev_del(test, a);
	/* Registered in del_dev(), released by the core with the rest. */
	KUNIT_EXPECT_EQ(test, dk_late_ret, 0);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c->client.id), 0);
	/* After dibs_dev_del(): refused, nothing reaches the driver. */
	KUNIT_EXPECT_EQ(test, dk_reg(test, a, c, &a->gid, 64, 0, NULL),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c->client.id), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), 0);
	put_device(&a->dev);
	dk_late_dev = NULL;
	/* Nothing left behind that would keep the client busy. */
	KUNIT_EXPECT_EQ(test, dk_client_unreg(c), 0);
}

static struct kunit_case dk_token_cases[] = {
	KUNIT_CASE(token_unique_and_found),
	KUNIT_CASE(token_unknown_is_enoent),
	KUNIT_CASE(token_write_lands_and_is_counted),
	KUNIT_CASE(token_loopback_scope_is_the_device),
	KUNIT_CASE(token_sim_scope_is_the_fabric),
	KUNIT_CASE(token_leftovers_released_with_device),
	KUNIT_CASE(token_late_register_is_released_or_refused),
	{}
};

static struct kunit_suite dk_token_suite = {
	.name = "dibs_token_table",
	.init = dk_init,
	.exit = dk_exit,
	.test_cases = dk_token_cases,
};

/* ---- dibs_sba_index: DMB index allocation and limits ---- */

static u32 dk_idx(struct kunit *test, struct dibs_dev *dev,
		  struct dk_client *c, u32 wanted)
{
	return dk_reg_ok(test, dev, c, &dev->gid, 64, wanted)->dmb.idx;
}

/* Indexes are handed out lowest free first, and a freed one is reused. */
static void dk_lowest_free(struct kunit *test, struct dibs_dev *dev)
{
	struct dk_ctx *ctx = test->priv;
	struct dk_client *c = dk_client(test, 0, false);
	int i;

	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, dk_idx(test, dev, c, 0), i);
	KUNIT_EXPECT_EQ(test, dk_unreg(&ctx->dmbs[1]), 0);
	KUNIT_EXPECT_EQ(test, dk_unreg(&ctx->dmbs[2]), 0);
	KUNIT_EXPECT_EQ(test, dk_idx(test, dev, c, 0), 1);
	KUNIT_EXPECT_EQ(test, dk_idx(test, dev, c, 0), 2);
	KUNIT_EXPECT_EQ(test, dk_idx(test, dev, c, 0), 4);
}

/* A wanted index: granted once, refused while taken or out of range. */
static void dk_wanted(struct kunit *test, struct dibs_dev *dev)
{
	struct dk_client *c = dk_client(test, 0, false);
	u32 max = dev->ops->max_dmbs();
	struct dk_dmb *d;

	d = dk_reg_ok(test, dev, c, &dev->gid, 64, 7);
	KUNIT_EXPECT_EQ(test, d->dmb.idx, 7);
	KUNIT_EXPECT_EQ(test, dk_rec(dev, d->dmb.dmb_tok).idx, 7);
	KUNIT_EXPECT_EQ(test, dk_reg(test, dev, c, &dev->gid, 64, 7, NULL),
			-EINVAL);
	/* Choosing skips nothing below a wanted index. */
	KUNIT_EXPECT_EQ(test, dk_idx(test, dev, c, 0), 0);
	KUNIT_EXPECT_EQ(test, dk_idx(test, dev, c, max - 1), max - 1);
	KUNIT_EXPECT_EQ(test, dk_reg(test, dev, c, &dev->gid, 64, max, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dk_reg(test, dev, c, &dev->gid, 64, max + 1,
				     NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, dk_reg(test, dev, c, &dev->gid, 64, U32_MAX,
				     NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->dmb_count), 3);
	/* Freed, it can be wanted again. */
	KUNIT_EXPECT_EQ(test, dk_unreg(d), 0);
	KUNIT_EXPECT_EQ(test, dk_idx(test, dev, c, 7), 7);
}

static void sba_lo_lowest_free_first(struct kunit *test)
{
	dk_lowest_free(test, dk_lo_new(test, "dk_a"));
}

static void sba_lo_wanted_index(struct kunit *test)
{
	dk_wanted(test, dk_lo_new(test, "dk_a"));
}

static void sba_sim_lowest_free_first(struct kunit *test)
{
	dk_lowest_free(test, dk_sim_new(test, "dk_a", DK_FABRIC));
}

static void sba_sim_wanted_index(struct kunit *test)
{
	dk_wanted(test, dk_sim_new(test, "dk_a", DK_FABRIC));
}

static void sba_lo_max_dmbs_then_enospc(struct kunit *test)
{
	struct dk_ctx *ctx = test->priv;
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = dk_client(test, 0, false);
	int max = a->ops->max_dmbs();
	unsigned long *seen;
	struct dk_dmb *d;
	int i, ret = 0;

	KUNIT_ASSERT_GT(test, max, 1234);
	seen = kunit_kcalloc(test, BITS_TO_LONGS(max), sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	dk_reserve(test, max + 2);
	for (i = 0; i < max; i++) {
		ret = dk_reg(test, a, c, &a->gid, 1, 0, &d);
		if (ret)
			break;
		KUNIT_ASSERT_LT(test, d->dmb.idx, max);
		KUNIT_EXPECT_FALSE(test, test_bit(d->dmb.idx, seen));
		__set_bit(d->dmb.idx, seen);
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "DMB %d of %d", i, max);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), max);
	KUNIT_EXPECT_TRUE(test, bitmap_full(seen, max));

	/* Full: nothing to choose and no index left to want. */
	KUNIT_EXPECT_EQ(test, dk_reg(test, a, c, &a->gid, 1, 0, NULL),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, dk_reg(test, a, c, &a->gid, 1, 5, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), max);

	/* One freed: its index is the one handed out next. */
	for (i = 0; i < max && ctx->dmbs[i].dmb.idx != 1234; i++)
		;
	KUNIT_ASSERT_LT(test, i, max);
	KUNIT_EXPECT_EQ(test, dk_unreg(&ctx->dmbs[i]), 0);
	KUNIT_EXPECT_EQ(test, dk_idx(test, a, c, 0), 1234);
	KUNIT_EXPECT_EQ(test, dk_reg(test, a, c, &a->gid, 1, 0, NULL),
			-ENOSPC);

	for (i = 0; i < ctx->n_dmbs; i++)
		if (ctx->dmbs[i].live)
			KUNIT_EXPECT_EQ(test, dk_unreg(&ctx->dmbs[i]), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->dmb_count), 0);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c->client.id), 0);
}

/*
 * Lengths: 1 to the largest physically contiguous block (DIBS_DMB_BUF_MAX,
 * below the uapi's DIBS_DMB_LEN_MAX); a refusal takes no index. The buffer
 * is linear-map memory whose pages follow each other, as SMC-D's
 * virt_to_page() of any byte of it needs.
 */
static void dk_len_bounds(struct kunit *test, struct dibs_dev *dev)
{
	struct dk_client *c = dk_client(test, 0, false);
	unsigned int len = DIBS_DMB_BUF_MAX;
	struct dk_dmb *d;
	u8 *buf;

	KUNIT_EXPECT_EQ(test, dk_reg(test, dev, c, &dev->gid, 0, 0, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dk_reg(test, dev, c, &dev->gid, len + 1, 0,
				     NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, dk_reg(test, dev, c, &dev->gid,
				     DIBS_DMB_LEN_MAX + 1, 0, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, dk_reg(test, dev, c, &dev->gid, U32_MAX, 0,
				     NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&dev->dmb_count), 0);
	d = dk_reg_ok(test, dev, c, &dev->gid, len, 0);
	KUNIT_EXPECT_EQ(test, d->dmb.idx, 0);
	buf = d->dmb.cpu_addr;
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(buf));
	KUNIT_EXPECT_TRUE(test, virt_addr_valid(buf + len - 1));
	KUNIT_EXPECT_PTR_EQ(test, virt_to_page(buf + len - 1),
			    virt_to_page(buf) + len / PAGE_SIZE - 1);
	KUNIT_EXPECT_EQ(test, dk_write(dev, d->dmb.dmb_tok, len - 3, "end", 3),
			0);
	KUNIT_EXPECT_EQ(test, dk_idx(test, dev, c, 0), 1);
}

static void sba_lo_dmb_len_bounds(struct kunit *test)
{
	dk_len_bounds(test, dk_lo_new(test, "dk_a"));
}

static void sba_sim_dmb_len_bounds(struct kunit *test)
{
	dk_len_bounds(test, dk_sim_new(test, "dk_a", DK_FABRIC));
}

static struct kunit_case dk_sba_cases[] = {
	KUNIT_CASE(sba_lo_lowest_free_first),
	KUNIT_CASE(sba_lo_wanted_index),
	KUNIT_CASE_SLOW(sba_lo_max_dmbs_then_enospc),
	KUNIT_CASE(sba_lo_dmb_len_bounds),
	KUNIT_CASE(sba_sim_lowest_free_first),
	KUNIT_CASE(sba_sim_wanted_index),
	KUNIT_CASE(sba_sim_dmb_len_bounds),
	{}
};

static struct kunit_suite dk_sba_suite = {
	.name = "dibs_sba_index",
	.init = dk_init,
	.exit = dk_exit,
	.test_cases = dk_sba_cases,
};

/* ---- dibs_mapped_dmb: attach/detach references ---- */

static int dk_attach(struct dibs_dev *dev, u64 token, struct dibs_dmb *m)
{
	memset(m, 0, sizeof(*m));
	m->dmb_tok = token;
	return dev->ops->attach_dmb(dev, m);
}

static void mapped_lo_mapping_outlives_owner(struct kunit *test)
{
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *d = dk_reg_ok(test, a, c, &a->gid, 128, 9);
	u64 tok = d->dmb.dmb_tok;
	struct dibs_dmb m1, m2;

	KUNIT_ASSERT_TRUE(test, a->ops->support_mmapped_rdmb(a));
	KUNIT_ASSERT_EQ(test, dk_attach(a, tok, &m1), 0);
	KUNIT_EXPECT_PTR_EQ(test, m1.cpu_addr, d->dmb.cpu_addr);
	KUNIT_EXPECT_EQ(test, m1.dmb_len, 128);
	KUNIT_EXPECT_EQ(test, m1.idx, 9);
	KUNIT_EXPECT_TRUE(test, uuid_equal(&m1.rgid, &a->gid));
	KUNIT_EXPECT_EQ(test, dk_write(a, tok, 0, "mapped", 6), 0);
	KUNIT_EXPECT_MEMEQ(test, m1.cpu_addr, "mapped", 6);
	KUNIT_ASSERT_EQ(test, dk_attach(a, tok, &m2), 0);

	/* The owner lets go: the DMB is gone, its buffer and index stay. */
	KUNIT_EXPECT_EQ(test, dk_unreg(d), 0);
	KUNIT_EXPECT_EQ(test, dk_write(a, tok, 0, "x", 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, dk_attach(a, tok, &m1), -ENOENT);
	KUNIT_EXPECT_EQ(test, dk_reg(test, a, c, &a->gid, 64, 9, NULL),
			-EINVAL);
	memset(m2.cpu_addr, 0xa5, 128);		/* KASAN: still ours */

	KUNIT_EXPECT_EQ(test, a->ops->detach_dmb(a, tok), 0);
	KUNIT_EXPECT_EQ(test, dk_reg(test, a, c, &a->gid, 64, 9, NULL),
			-EINVAL);
	memset(m2.cpu_addr, 0x5a, 128);
	/* The last mapping frees it, and the index is free again. */
	KUNIT_EXPECT_EQ(test, a->ops->detach_dmb(a, tok), 0);
	KUNIT_EXPECT_EQ(test, a->ops->detach_dmb(a, tok), -ENOENT);
	KUNIT_EXPECT_EQ(test, dk_idx(test, a, c, 9), 9);
}

static void mapped_lo_refuses_others(struct kunit *test)
{
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *mine = dk_reg_ok(test, a, c, &a->gid, 64, 0);
	struct dibs_dmb m;
	struct dk_dmb *d;
	uuid_t other;

	uuid_gen(&other);
	d = dk_reg_ok(test, a, c, &other, 64, 0);
	KUNIT_EXPECT_EQ(test, dk_attach(a, d->dmb.dmb_tok, &m), -EACCES);
	KUNIT_EXPECT_EQ(test, dk_attach(a, mine->dmb.dmb_tok ^ 1, &m),
			-ENOENT);
	/* Never attached: nothing to detach, and the DMB is unharmed. */
	KUNIT_EXPECT_EQ(test, a->ops->detach_dmb(a, mine->dmb.dmb_tok),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, dk_write(a, mine->dmb.dmb_tok, 0, "ok", 2), 0);
	KUNIT_EXPECT_EQ(test, dk_unreg(mine), 0);
}

static void mapped_sim_peer_maps_granted_dmb(struct kunit *test)
{
	struct dibs_dev *a = dk_sim_new(test, "dk_a", DK_FABRIC);
	struct dibs_dev *b = dk_sim_new(test, "dk_b", DK_FABRIC);
	struct dibs_dev *x = dk_sim_new(test, "dk_x", DK_FABRIC2);
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *d = dk_reg_ok(test, a, c, &b->gid, 256, 0);
	u64 tok = d->dmb.dmb_tok;
	struct dibs_dmb m, refused;

	KUNIT_EXPECT_EQ(test, dk_attach(a, tok, &refused), -EACCES);
	KUNIT_EXPECT_EQ(test, dk_attach(x, tok, &refused), -ENOENT);
	KUNIT_ASSERT_EQ(test, dk_attach(b, tok, &m), 0);
	KUNIT_EXPECT_PTR_EQ(test, m.cpu_addr, d->dmb.cpu_addr);
	KUNIT_EXPECT_EQ(test, m.dmb_len, 256);
	KUNIT_EXPECT_EQ(test, m.idx, d->dmb.idx);
	memcpy(m.cpu_addr, "direct", 6);
	KUNIT_EXPECT_MEMEQ(test, d->dmb.cpu_addr, "direct", 6);

	/* The owner lets go; the mapping holds the buffer. */
	KUNIT_EXPECT_EQ(test, dk_unreg(d), 0);
	KUNIT_EXPECT_EQ(test, dk_write(b, tok, 0, "x", 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, dk_attach(b, tok, &refused), -ENOENT);
	memset(m.cpu_addr, 0xa5, 256);		/* KASAN: still ours */
	KUNIT_EXPECT_EQ(test, x->ops->detach_dmb(x, tok), -ENOENT);
	KUNIT_EXPECT_EQ(test, a->ops->detach_dmb(a, tok), -ENOENT);
	KUNIT_EXPECT_EQ(test, b->ops->detach_dmb(b, tok), 0);
	KUNIT_EXPECT_EQ(test, b->ops->detach_dmb(b, tok), -ENOENT);
}

static void mapped_sim_mapping_outlives_device(struct kunit *test)
{
	struct dibs_dev *a = dk_sim_new(test, "dk_a", DK_FABRIC);
	struct dibs_dev *b = dk_sim_new(test, "dk_b", DK_FABRIC);
	struct dk_client *c = dk_client(test, 0, false);
	struct dk_dmb *d = dk_reg_ok(test, a, c, &b->gid, 256, 0);
	u64 tok = d->dmb.dmb_tok;
	struct dibs_dmb m;

	KUNIT_ASSERT_EQ(test, dk_attach(b, tok, &m), 0);
	/* The owning device goes, releasing the DMB its client left. */
	dk_dev_del(test, a);
	KUNIT_EXPECT_EQ(test, dibs_client_dmb_count(c->client.id), 0);
	KUNIT_EXPECT_EQ(test, dk_write(b, tok, 0, "x", 1), -ENOENT);
	memset(m.cpu_addr, 0xa5, 256);		/* KASAN: still ours */
	KUNIT_EXPECT_EQ(test, b->ops->detach_dmb(b, tok), 0);
	KUNIT_EXPECT_EQ(test, b->ops->detach_dmb(b, tok), -ENOENT);
}

static struct kunit_case dk_mapped_cases[] = {
	KUNIT_CASE(mapped_lo_mapping_outlives_owner),
	KUNIT_CASE(mapped_lo_refuses_others),
	KUNIT_CASE(mapped_sim_peer_maps_granted_dmb),
	KUNIT_CASE(mapped_sim_mapping_outlives_device),
	{}
};

static struct kunit_suite dk_mapped_suite = {
	.name = "dibs_mapped_dmb",
	.init = dk_init,
	.exit = dk_exit,
	.test_cases = dk_mapped_cases,
};

/* ---- dibs_sw_event: signal_event() of the soft devices ---- */

/*
 * Wait (2 s at least) until the probe has seen @n events in all: soft devices
 * deliver them from a work item. Return: whether it has.
 */
static bool dk_events_wait(struct dk_probe *p, int n)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (atomic_read_acquire(&p->events) >= n)
			return true;
		usleep_range(1000, 2000);
	}
	return false;
}

static void dk_expect_sw_event(struct kunit *test, struct dibs_dev *to,
			       struct dibs_dev *from, u32 code, u64 data)
{
	struct dk_probe *p = &dk_cur->probe;

	KUNIT_EXPECT_PTR_EQ(test, p->ev_dev, to);
	KUNIT_EXPECT_EQ(test, p->ev.type, (u32)DIBS_SW_EVENT);
	KUNIT_EXPECT_EQ(test, p->ev.subtype, code);
	KUNIT_EXPECT_EQ(test, p->ev.data, data);
	KUNIT_EXPECT_EQ(test, p->ev.buffer_tok, 0);
	KUNIT_EXPECT_NE(test, p->ev.time, 0);
	/* The sender's gid: whom to answer, as SMC-D's TESTLINK does. */
	KUNIT_EXPECT_TRUE(test, uuid_equal(&p->ev.gid, &from->gid));
}

static void sw_event_lo_reaches_itself_only(struct kunit *test)
{
	struct dibs_dev *a = dk_lo_new(test, "dk_a");
	struct dk_probe *p = &dk_cur->probe;
	uuid_t other;

	dk_client(test, 0, true);
	KUNIT_ASSERT_NOT_NULL(test, a->ops->signal_event);
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &a->gid, 1, 0xc0de,
						   0x1122334455667788ULL), 0);
	KUNIT_ASSERT_TRUE(test, dk_events_wait(p, 1));
	dk_expect_sw_event(test, a, a, 0xc0de, 0x1122334455667788ULL);

	uuid_gen(&other);
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &other, 1, 1, 2),
			-ENETUNREACH);
}

static void sw_event_sim_reaches_peer(struct kunit *test)
{
	struct dibs_dev *a = dk_sim_new(test, "dk_a", DK_FABRIC);
	struct dibs_dev *b = dk_sim_new(test, "dk_b", DK_FABRIC);
	struct dibs_dev *x = dk_sim_new(test, "dk_x", DK_FABRIC2);
	struct dk_probe *p = &dk_cur->probe;
	uuid_t nobody;
	int i;

	dk_client(test, 0, true);
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &b->gid, 0, 7, 42), 0);
	KUNIT_ASSERT_TRUE(test, dk_events_wait(p, 1));
	dk_expect_sw_event(test, b, a, 7, 42);

	/* In order, each once, and back the other way. */
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, b->ops->signal_event(b, &a->gid, 1, i,
							   100 + i), 0);
	KUNIT_ASSERT_TRUE(test, dk_events_wait(p, 11));
	dk_expect_sw_event(test, a, b, 9, 109);
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->events), 11);

	/* Another fabric, or nobody, is not reachable. */
	uuid_gen(&nobody);
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &x->gid, 1, 1, 1),
			-ENETUNREACH);
	KUNIT_EXPECT_EQ(test, x->ops->signal_event(x, &a->gid, 1, 1, 1),
			-ENETUNREACH);
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &nobody, 1, 1, 1),
			-ENETUNREACH);
}

static void sw_event_sim_down_and_gone(struct kunit *test)
{
	struct dibs_dev *a = dk_sim_new(test, "dk_a", DK_FABRIC);
	struct dibs_dev *b = dk_sim_new(test, "dk_b", DK_FABRIC);
	struct dk_probe *p = &dk_cur->probe;
	uuid_t b_gid;

	dk_client(test, 0, true);
	uuid_copy(&b_gid, &b->gid);
	/*
	 * A receiver that is down is unreachable; a sender, down. The state
	 * as dev-set keeps it, without the events dev-set would raise.
	 */
	WRITE_ONCE(b->up, false);
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &b_gid, 1, 1, 1),
			-ENETUNREACH);
	KUNIT_EXPECT_EQ(test, b->ops->signal_event(b, &a->gid, 1, 1, 1),
			-ENETDOWN);
	WRITE_ONCE(b->up, true);
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &b_gid, 1, 3, 4), 0);
	KUNIT_ASSERT_TRUE(test, dk_events_wait(p, 1));
	dk_expect_sw_event(test, b, a, 3, 4);

	/* Sent just before the receiver goes: delivered or dropped, no more. */
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &b_gid, 1, 5, 6), 0);
	dk_dev_del(test, b);
	KUNIT_EXPECT_EQ(test, a->ops->signal_event(a, &b_gid, 1, 1, 1),
			-ENETUNREACH);
}

static struct kunit_case dk_sw_event_cases[] = {
	KUNIT_CASE(sw_event_lo_reaches_itself_only),
	KUNIT_CASE(sw_event_sim_reaches_peer),
	KUNIT_CASE(sw_event_sim_down_and_gone),
	{}
};

static struct kunit_suite dk_sw_event_suite = {
	.name = "dibs_sw_event",
	.init = dk_init,
	.exit = dk_exit,
	.test_cases = dk_sw_event_cases,
};

kunit_test_suites(&dk_policy_suite, &dk_client_suite, &dk_token_suite,
		  &dk_sba_suite, &dk_mapped_suite, &dk_sw_event_suite);
