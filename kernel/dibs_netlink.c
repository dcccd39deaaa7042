// SPDX-License-Identifier: GPL-2.0
/*
 * The "dibs" generic netlink family: the ops' pre_doit and post_doit
 * hooks, multicast groups, its registration and the helpers its handlers
 * share. uapi/dibs.yaml is its spec; the attribute policies and the op
 * table are generated from it (dibs_nl_gen.c); the op handlers live in
 * dibs_nl_dev.c and dibs_nl_dmb.c, the notifications in dibs_nl_ntf.c.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <kunit/visibility.h>

#include "dibs_compat.h"
#include "dibs_nl.h"

/*
 * The attributes an op requires, checked by its pre_doit before the device
 * is looked up (so a missing attribute is reported first).
 */
static const u8 dibs_nl_required[DIBS_CMD_MAX + 1][2] = {
	[DIBS_CMD_REMOTE_QUERY] = { DIBS_A_DEV_REMOTE_GID },
	[DIBS_CMD_DMB_GET] = { DIBS_A_DMB_TOKEN },
	[DIBS_CMD_DMB_GRANT] = { DIBS_A_DMB_RGID, DIBS_A_DMB_LEN },
	[DIBS_CMD_DMB_REVOKE] = { DIBS_A_DMB_TOKEN },
	[DIBS_CMD_DMB_READ] = { DIBS_A_DMB_TOKEN, DIBS_A_DMB_LEN },
	[DIBS_CMD_EVENT_SIGNAL] = { DIBS_A_EVENT_REMOTE_GID,
				    DIBS_A_EVENT_SUBTYPE },
};

/* The device a request names, in the caller's namespace; dibs_devs_lock held. */
static struct dibs_dev *dibs_nl_dev_lookup(struct genl_info *info,
					   int index_attr, int name_attr)
{
	struct nlattr **tb = info->attrs;
	struct dibs_dev *dibs;
	int attr;

	lockdep_assert_held(&dibs_devs_lock);
	if (tb[index_attr]) {
		attr = index_attr;
		dibs = dibs_dev_find_index(nla_get_u32(tb[attr]));
	} else if (tb[name_attr]) {
		attr = name_attr;
		dibs = dibs_dev_find_name(nla_data(tb[attr]));
	} else {
		NL_SET_ERR_MSG(info->extack, "a device index or name is required");
		return ERR_PTR(-EINVAL);
	}
	if (!dibs || !net_eq(dibs_dev_net(dibs), genl_info_net(info))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[attr], "no such dibs device");
		return ERR_PTR(-ENODEV);
	}
	return dibs;
}

/*
 * Checks the op's required attributes, looks up the device the request
 * names by @index_attr or @name_attr into info->user_ptr[0], and either
 * keeps dibs_devs_lock held for the handler or (@held) takes a reference
 * on the device and lets go of the lock, for handlers that take it
 * themselves. dibs_nl_post_doit_unlock() and _put() undo it.
 */
static int dibs_nl_pre_doit_lookup(const struct genl_split_ops *ops,
				   struct genl_info *info, int index_attr,
				   int name_attr, bool held)
{
	const u8 *required = dibs_nl_required[ops->cmd];
	struct dibs_dev *dibs;
	int i;

	for (i = 0; i < ARRAY_SIZE(dibs_nl_required[0]) && required[i]; i++)
		if (GENL_REQ_ATTR_CHECK(info, required[i]))
			return -EINVAL;
	mutex_lock(&dibs_devs_lock);
	dibs = dibs_nl_dev_lookup(info, index_attr, name_attr);
	if (IS_ERR(dibs)) {
		mutex_unlock(&dibs_devs_lock);
		return PTR_ERR(dibs);
	}
	info->user_ptr[0] = dibs;
	if (held) {
		get_device(&dibs->dev);
		mutex_unlock(&dibs_devs_lock);
	}
	return 0;
}

int dibs_nl_pre_doit_dev(const struct genl_split_ops *ops, struct sk_buff *skb,
			 struct genl_info *info)
{
	return dibs_nl_pre_doit_lookup(ops, info, DIBS_A_DEV_INDEX,
				       DIBS_A_DEV_NAME, false);
}

int dibs_nl_pre_doit_dev_held(const struct genl_split_ops *ops,
			      struct sk_buff *skb, struct genl_info *info)
{
	return dibs_nl_pre_doit_lookup(ops, info, DIBS_A_DEV_INDEX,
				       DIBS_A_DEV_NAME, true);
}

int dibs_nl_pre_doit_dmb(const struct genl_split_ops *ops, struct sk_buff *skb,
			 struct genl_info *info)
{
	return dibs_nl_pre_doit_lookup(ops, info, DIBS_A_DMB_DEV_INDEX,
				       DIBS_A_DMB_DEV_NAME, false);
}

/*
 * dmb-read's len is at most one chunk, narrower than the range the spec
 * gives the attribute (dmb-grant's): checked here first, as a policy of
 * its own, so the error is the policy's ("integer out of range", the
 * attribute and its range) and comes before any other.
 */
static struct netlink_range_validation dibs_dmb_read_len_range = {
	.min = 1,
	.max = DIBS_DATA_CHUNK_MAX,
};

static const struct nla_policy dibs_dmb_read_len_policy[DIBS_A_DMB_LEN + 1] = {
	[DIBS_A_DMB_LEN] = NLA_POLICY_FULL_RANGE(NLA_U32,
						 &dibs_dmb_read_len_range),
};

VISIBLE_IF_KUNIT
int dibs_nl_dmb_read_len_check(const struct nlattr *len,
			       struct netlink_ext_ack *extack)
{
	return nla_validate(len, len->nla_len, DIBS_A_DMB_LEN,
			    dibs_dmb_read_len_policy, extack);
}
EXPORT_SYMBOL_IF_KUNIT(dibs_nl_dmb_read_len_check);

int dibs_nl_pre_doit_dmb_read(const struct genl_split_ops *ops,
			      struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *len = info->attrs[DIBS_A_DMB_LEN];
	int ret;

	if (len) {
		ret = dibs_nl_dmb_read_len_check(len, info->extack);
		if (ret)
			return ret;
	}
	return dibs_nl_pre_doit_dmb(ops, skb, info);
}

int dibs_nl_pre_doit_event(const struct genl_split_ops *ops,
			   struct sk_buff *skb, struct genl_info *info)
{
	return dibs_nl_pre_doit_lookup(ops, info, DIBS_A_EVENT_DEV_INDEX,
				       DIBS_A_EVENT_DEV_NAME, false);
}

void dibs_nl_post_doit_unlock(const struct genl_split_ops *ops,
			      struct sk_buff *skb, struct genl_info *info)
{
	mutex_unlock(&dibs_devs_lock);
}

void dibs_nl_post_doit_put(const struct genl_split_ops *ops,
			   struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_dev *dibs = info->user_ptr[0];

	put_device(&dibs->dev);
}

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * For the KUnit tests: the entry of the op table for @cmd with @cap
 * (GENL_CMD_CAP_DO or GENL_CMD_CAP_DUMP), or NULL.
 */
const struct genl_split_ops *dibs_nl_cmd_ops(u8 cmd, u8 cap)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dibs_nl_ops); i++)
		if (dibs_nl_ops[i].cmd == cmd && dibs_nl_ops[i].flags & cap)
			return &dibs_nl_ops[i];
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(dibs_nl_cmd_ops);
#endif

/* Both carry tokens: joined with CAP_NET_ADMIN only (dibs_compat.h). */
static const struct genl_multicast_group dibs_nl_mcgrps[] = {
	[DIBS_NLGRP_MGMT] = {
		.name = DIBS_MCGRP_MGMT,
		.flags = DIBS_MCGRP_FLAGS,
	},
	[DIBS_NLGRP_SIGNAL] = {
		.name = DIBS_MCGRP_SIGNAL,
		.flags = DIBS_MCGRP_FLAGS,
	},
};

struct genl_family dibs_nl_family __ro_after_init = {
	.name = DIBS_FAMILY_NAME,
	.version = DIBS_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,		/* handlers take dibs_devs_lock */
	.module = THIS_MODULE,
#ifdef DIBS_HAVE_GENL_SPLIT_OPS
	.split_ops = dibs_nl_ops,
	.n_split_ops = ARRAY_SIZE(dibs_nl_ops),
#else
	/* 6.1: .ops, .n_ops, .pre_doit and .post_doit from dibs_nl_ops_61() */
	.resv_start_op = DIBS_CMD_DEV_GET,	/* every op is strict */
#endif
	.mcgrps = dibs_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(dibs_nl_mcgrps),
};

#ifndef DIBS_HAVE_GENL_SPLIT_OPS
/*
 * 6.1 has no split ops: the generated table (a do and a dump entry per
 * command, each with its policy and hooks) becomes one genl_ops per
 * command. A command whose do and dump both have a policy gets their
 * union (each attribute has one policy in the spec, so they never
 * disagree); the family's pre_doit and post_doit call the do entry's.
 */
static struct genl_ops dibs_nl_ops_full[ARRAY_SIZE(dibs_nl_ops)];
static struct nla_policy *dibs_nl_policy_union[ARRAY_SIZE(dibs_nl_ops)];

static const struct genl_split_ops *dibs_nl_split_do(u8 cmd)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dibs_nl_ops); i++)
		if (dibs_nl_ops[i].cmd == cmd &&
		    dibs_nl_ops[i].flags & GENL_CMD_CAP_DO)
			return &dibs_nl_ops[i];
	return NULL;
}

static int dibs_nl_pre_doit_61(const struct genl_ops *ops, struct sk_buff *skb,
			       struct genl_info *info)
{
	const struct genl_split_ops *split = dibs_nl_split_do(ops->cmd);

	return split && split->pre_doit ? split->pre_doit(split, skb, info) : 0;
}

static void dibs_nl_post_doit_61(const struct genl_ops *ops,
				 struct sk_buff *skb, struct genl_info *info)
{
	const struct genl_split_ops *split = dibs_nl_split_do(ops->cmd);

	if (split && split->post_doit)
		split->post_doit(split, skb, info);
}

/* @op's policy and @split's, entry by entry, into a new array. */
static int dibs_nl_policy_merge(struct genl_ops *op,
				const struct genl_split_ops *split, int slot)
{
	unsigned int max = max(op->maxattr, split->maxattr);
	static const struct nla_policy none;
	struct nla_policy *pol;
	unsigned int a;

	pol = kcalloc(max + 1, sizeof(*pol), GFP_KERNEL);
	if (!pol)
		return -ENOMEM;
	/* memcpy: some members of struct nla_policy are const */
	for (a = 0; a <= max; a++) {
		if (a <= op->maxattr &&
		    memcmp(&op->policy[a], &none, sizeof(none)))
			memcpy(&pol[a], &op->policy[a], sizeof(*pol));
		else if (a <= split->maxattr)
			memcpy(&pol[a], &split->policy[a], sizeof(*pol));
	}
	dibs_nl_policy_union[slot] = pol;
	op->policy = pol;
	op->maxattr = max;
	return 0;
}

static void dibs_nl_ops_61_free(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dibs_nl_policy_union); i++) {
		kfree(dibs_nl_policy_union[i]);
		dibs_nl_policy_union[i] = NULL;
	}
}

static int dibs_nl_ops_61(void)
{
	const struct genl_split_ops *s;
	struct genl_ops *op = NULL;
	int i, n = 0, ret;

	for (i = 0; i < ARRAY_SIZE(dibs_nl_ops); i++) {
		s = &dibs_nl_ops[i];
		if (!op || op->cmd != s->cmd) {
			op = &dibs_nl_ops_full[n++];
			op->cmd = s->cmd;
		}
		op->flags |= s->flags & (GENL_ADMIN_PERM | GENL_UNS_ADMIN_PERM);
		if (s->flags & GENL_CMD_CAP_DO) {
			op->doit = s->doit;
		} else {
			op->start = s->start;
			op->dumpit = s->dumpit;
			op->done = s->done;
		}
		if (!s->policy)
			continue;
		if (!op->policy) {
			op->policy = s->policy;
			op->maxattr = s->maxattr;
			continue;
		}
		ret = dibs_nl_policy_merge(op, s, i);
		if (ret) {
			dibs_nl_ops_61_free();
			return ret;
		}
	}
	dibs_nl_family.ops = dibs_nl_ops_full;
	dibs_nl_family.n_ops = n;
	dibs_nl_family.pre_doit = dibs_nl_pre_doit_61;
	dibs_nl_family.post_doit = dibs_nl_post_doit_61;
	return 0;
}
#else
static int dibs_nl_ops_61(void)
{
	return 0;
}

static void dibs_nl_ops_61_free(void)
{
}
#endif

/*
 * Generations of the device set (add, delete, namespace move) and of the
 * DMB set (a record linked or unlinked): a dump that spans several
 * messages compares them (dibs_nl_dump_seq()) and flags NLM_F_DUMP_INTR
 * when they moved under it.
 */
static atomic_t dibs_nl_gen_devs = ATOMIC_INIT(1);
static atomic_t dibs_nl_gen_dmbs = ATOMIC_INIT(1);

void dibs_nl_gen_bump_devs(void)
{
	atomic_inc(&dibs_nl_gen_devs);
}

void dibs_nl_gen_bump_dmbs(void)
{
	atomic_inc(&dibs_nl_gen_dmbs);
}

/*
 * The value for cb->seq of a dump that depends on the device set and, with
 * @dmbs, on the DMB set too. Never 0: nl_dump_check_consistent() takes a
 * previous value of 0 for "none yet" (the generations start at 1, so only
 * a wrap gives 0).
 */
unsigned int dibs_nl_dump_seq(bool dmbs)
{
	unsigned int seq = atomic_read(&dibs_nl_gen_devs);

	if (dmbs)
		seq += atomic_read(&dibs_nl_gen_dmbs);
	return seq ?: 1;
}

int dibs_nl_put_counters(struct sk_buff *skb, int nest_attr, int pad,
			 const struct dibs_nl_counter *c, int n)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, nest_attr);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		if (nla_put_u64_64bit(skb, c[i].attr, atomic64_read(c[i].val),
				      pad)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

int dibs_nl_init(void)
{
	int ret;

	ret = dibs_nl_ops_61();
	if (ret)
		return ret;
	ret = genl_register_family(&dibs_nl_family);
	if (ret) {
		dibs_nl_ops_61_free();
		return ret;
	}
	dibs_nl_ntf_start();
	return 0;
}

void dibs_nl_exit(void)
{
	dibs_nl_ntf_stop();
	genl_unregister_family(&dibs_nl_family);
	dibs_nl_ntf_flush();
	dibs_nl_ops_61_free();
}
