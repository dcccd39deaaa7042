// SPDX-License-Identifier: GPL-2.0
/*
 * The "dibs" generic netlink family: attribute policies, the op table,
 * multicast groups, its registration and the helpers its handlers share.
 * uapi/dibs.yaml is its spec; the op handlers live in dibs_nl_dev.c and
 * dibs_nl_dmb.c, the notifications in dibs_nl_ntf.c.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <kunit/visibility.h>

#include "dibs_compat.h"
#include "dibs_nl.h"

/* Attribute policies, one per op */

#define DIBS_POLICY_NAME \
	{ .type = NLA_NUL_STRING, .len = DIBS_DEV_NAME_MAX - 1 }
#define DIBS_POLICY_GID		NLA_POLICY_EXACT_LEN(DIBS_GID_LEN)
#define DIBS_POLICY_INDEX	NLA_POLICY_MIN(NLA_U32, 1)

/* Ranges beyond s16 need a range struct (not const: 6.1 wants it so). */
static struct netlink_range_validation dibs_dmb_len_range = {
	.min = 1,
	.max = DIBS_DMB_LEN_MAX,
};

static struct netlink_range_validation dibs_chunk_len_range = {
	.min = 1,
	.max = DIBS_DATA_CHUNK_MAX,
};

static const struct nla_policy dibs_dev_get_policy[DIBS_A_DEV_MAX + 1] = {
	[DIBS_A_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_DEV_NAME] = DIBS_POLICY_NAME,
};

static const struct nla_policy dibs_dev_new_policy[DIBS_A_DEV_MAX + 1] = {
	[DIBS_A_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_DEV_TYPE] = { .type = NLA_NUL_STRING, .len = 31 },
	[DIBS_A_DEV_FABRIC_ID] = { .type = NLA_U16 },
	[DIBS_A_DEV_GID] = DIBS_POLICY_GID,
};

static const struct nla_policy dibs_dev_set_policy[DIBS_A_DEV_MAX + 1] = {
	[DIBS_A_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_DEV_STATE] = NLA_POLICY_MAX(NLA_U32, DIBS_DEV_STATE_UP),
	[DIBS_A_DEV_NETNS_PID] = { .type = NLA_U32 },
	[DIBS_A_DEV_NETNS_FD] = { .type = NLA_U32 },
};

static const struct nla_policy dibs_remote_query_policy[DIBS_A_DEV_MAX + 1] = {
	[DIBS_A_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_DEV_REMOTE_GID] = DIBS_POLICY_GID,
};

static const struct nla_policy dibs_dmb_get_policy[DIBS_A_DMB_MAX + 1] = {
	[DIBS_A_DMB_TOKEN] = { .type = NLA_U64 },
	[DIBS_A_DMB_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_DMB_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_DMB_CLIENT_NAME] = { .type = NLA_NUL_STRING, .len = 63 },
};

static const struct nla_policy dibs_dmb_grant_policy[DIBS_A_DMB_MAX + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_DMB_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_DMB_RGID] = DIBS_POLICY_GID,
	[DIBS_A_DMB_LEN] = NLA_POLICY_FULL_RANGE(NLA_U32, &dibs_dmb_len_range),
	[DIBS_A_DMB_OWNED] = { .type = NLA_FLAG },
};

static const struct nla_policy dibs_dmb_revoke_policy[DIBS_A_DMB_MAX + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_DMB_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_DMB_TOKEN] = { .type = NLA_U64 },
};

static const struct nla_policy dibs_dmb_write_policy[DIBS_A_DMB_MAX + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_DMB_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_DMB_TOKEN] = { .type = NLA_U64 },
	[DIBS_A_DMB_OFFSET] = { .type = NLA_U32 },
	/* one or more pieces, each checked here, written in order */
	[DIBS_A_DMB_DATA] = { .type = NLA_BINARY, .len = DIBS_DATA_CHUNK_MAX },
	[DIBS_A_DMB_SIGNAL_IDX] = NLA_POLICY_MAX(NLA_U32, DIBS_SIGNAL_IDX_MAX),
};

static const struct nla_policy dibs_dmb_read_policy[DIBS_A_DMB_MAX + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_DMB_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_DMB_TOKEN] = { .type = NLA_U64 },
	[DIBS_A_DMB_OFFSET] = { .type = NLA_U32 },
	[DIBS_A_DMB_LEN] = NLA_POLICY_FULL_RANGE(NLA_U32, &dibs_chunk_len_range),
};

static const struct nla_policy dibs_event_signal_policy[DIBS_A_EVENT_MAX + 1] = {
	[DIBS_A_EVENT_DEV_INDEX] = DIBS_POLICY_INDEX,
	[DIBS_A_EVENT_DEV_NAME] = DIBS_POLICY_NAME,
	[DIBS_A_EVENT_REMOTE_GID] = DIBS_POLICY_GID,
	[DIBS_A_EVENT_SUBTYPE] = { .type = NLA_U32 },
	[DIBS_A_EVENT_DATA] = { .type = NLA_U64 },
};

/*
 * What the family's pre_doit does for an op (its internal_flags), after
 * the checks of dibs_nl_required: look the device up, in the attribute
 * set the op's low bits name, into info->user_ptr[0], and either keep
 * dibs_devs_lock held for the handler (LOCKED) or take a reference on the
 * device and let go of the lock (HELD, for handlers that take it
 * themselves). post_doit undoes it.
 */
#define DIBS_NL_DEV_ATTRS	1	/* DIBS_A_DEV_INDEX or _NAME */
#define DIBS_NL_DMB_ATTRS	2	/* DIBS_A_DMB_DEV_INDEX or _NAME */
#define DIBS_NL_EVENT_ATTRS	3	/* DIBS_A_EVENT_DEV_INDEX or _NAME */
#define DIBS_NL_ATTRS_MASK	3
#define DIBS_NL_LOCKED		BIT(2)
#define DIBS_NL_HELD		BIT(3)

/* The attributes an op requires, checked before the device is looked up. */
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

static int dibs_nl_pre_doit(const struct dibs_genl_doit_ops *ops,
			    struct sk_buff *skb, struct genl_info *info)
{
	static const int dev_attrs[][2] = {
		[DIBS_NL_DEV_ATTRS] = { DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME },
		[DIBS_NL_DMB_ATTRS] = { DIBS_A_DMB_DEV_INDEX,
					DIBS_A_DMB_DEV_NAME },
		[DIBS_NL_EVENT_ATTRS] = { DIBS_A_EVENT_DEV_INDEX,
					  DIBS_A_EVENT_DEV_NAME },
	};
	unsigned int set = ops->internal_flags & DIBS_NL_ATTRS_MASK;
	const u8 *required = dibs_nl_required[ops->cmd];
	struct dibs_dev *dibs;
	int i;

	if (!set)
		return 0;
	for (i = 0; i < ARRAY_SIZE(dibs_nl_required[0]) && required[i]; i++)
		if (GENL_REQ_ATTR_CHECK(info, required[i]))
			return -EINVAL;
	mutex_lock(&dibs_devs_lock);
	dibs = dibs_nl_dev_lookup(info, dev_attrs[set][0], dev_attrs[set][1]);
	if (IS_ERR(dibs)) {
		mutex_unlock(&dibs_devs_lock);
		return PTR_ERR(dibs);
	}
	info->user_ptr[0] = dibs;
	if (ops->internal_flags & DIBS_NL_HELD) {
		get_device(&dibs->dev);
		mutex_unlock(&dibs_devs_lock);
	}
	return 0;
}

static void dibs_nl_post_doit(const struct dibs_genl_doit_ops *ops,
			      struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_dev *dibs;

	if (ops->internal_flags & DIBS_NL_LOCKED) {
		mutex_unlock(&dibs_devs_lock);
	} else if (ops->internal_flags & DIBS_NL_HELD) {
		dibs = info->user_ptr[0];
		put_device(&dibs->dev);
	}
}

/* The op table */

#define DIBS_OP(_cmd, _policy, _max)		\
	.cmd = _cmd, .policy = _policy, .maxattr = _max

/* The device of the request, in @_set, held as @_how for the handler. */
#define DIBS_OP_DEV(_set, _how)	.internal_flags = DIBS_NL_##_set | DIBS_NL_##_how

static const struct genl_ops dibs_nl_ops[] = {
	{
		DIBS_OP(DIBS_CMD_DEV_GET, dibs_dev_get_policy, DIBS_A_DEV_MAX),
		.doit = dibs_nl_dev_get_doit,
		.dumpit = dibs_nl_dev_get_dumpit,
		DIBS_OP_DEV(DEV_ATTRS, LOCKED),
	},
	{
		DIBS_OP(DIBS_CMD_DEV_NEW, dibs_dev_new_policy, DIBS_A_DEV_MAX),
		.doit = dibs_nl_dev_new_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DEV_DEL, dibs_dev_get_policy, DIBS_A_DEV_MAX),
		.doit = dibs_nl_dev_del_doit,
		DIBS_OP_DEV(DEV_ATTRS, HELD),
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DEV_SET, dibs_dev_set_policy, DIBS_A_DEV_MAX),
		.doit = dibs_nl_dev_set_doit,
		DIBS_OP_DEV(DEV_ATTRS, HELD),
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_REMOTE_QUERY, dibs_remote_query_policy,
			DIBS_A_DEV_MAX),
		.doit = dibs_nl_remote_query_doit,
		DIBS_OP_DEV(DEV_ATTRS, LOCKED),
	},
	{
		DIBS_OP(DIBS_CMD_DMB_GET, dibs_dmb_get_policy, DIBS_A_DMB_MAX),
		.doit = dibs_nl_dmb_get_doit,
		.start = dibs_nl_dmb_get_start,
		.dumpit = dibs_nl_dmb_get_dumpit,
		DIBS_OP_DEV(DMB_ATTRS, LOCKED),
		/* tokens are secrets: CAP_NET_ADMIN over the namespace */
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DMB_GRANT, dibs_dmb_grant_policy,
			DIBS_A_DMB_MAX),
		.doit = dibs_nl_dmb_grant_doit,
		DIBS_OP_DEV(DMB_ATTRS, LOCKED),
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DMB_REVOKE, dibs_dmb_revoke_policy,
			DIBS_A_DMB_MAX),
		.doit = dibs_nl_dmb_revoke_doit,
		DIBS_OP_DEV(DMB_ATTRS, LOCKED),
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DMB_WRITE, dibs_dmb_write_policy,
			DIBS_A_DMB_MAX),
		.doit = dibs_nl_dmb_write_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DMB_READ, dibs_dmb_read_policy, DIBS_A_DMB_MAX),
		.doit = dibs_nl_dmb_read_doit,
		DIBS_OP_DEV(DMB_ATTRS, LOCKED),
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = DIBS_CMD_CLIENT_GET,
		.dumpit = dibs_nl_client_get_dumpit,
	},
	{
		DIBS_OP(DIBS_CMD_EVENT_SIGNAL, dibs_event_signal_policy,
			DIBS_A_EVENT_MAX),
		.doit = dibs_nl_event_signal_doit,
		DIBS_OP_DEV(EVENT_ATTRS, LOCKED),
		/* a write to a peer, as dmb-write is */
		.flags = GENL_ADMIN_PERM,
	},
};

#if IS_ENABLED(CONFIG_KUNIT)
/* For the KUnit tests: the entry of the op table for @cmd, or NULL. */
const struct genl_ops *dibs_nl_cmd_ops(u8 cmd)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dibs_nl_ops); i++)
		if (dibs_nl_ops[i].cmd == cmd)
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
	.pre_doit = dibs_nl_pre_doit,
	.post_doit = dibs_nl_post_doit,
	.module = THIS_MODULE,
	.ops = dibs_nl_ops,
	.n_ops = ARRAY_SIZE(dibs_nl_ops),
	.resv_start_op = DIBS_CMD_DEV_GET,	/* every op is strict */
	.mcgrps = dibs_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(dibs_nl_mcgrps),
};

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

	ret = genl_register_family(&dibs_nl_family);
	if (!ret)
		dibs_nl_ntf_start();
	return ret;
}

void dibs_nl_exit(void)
{
	dibs_nl_ntf_stop();
	genl_unregister_family(&dibs_nl_family);
	dibs_nl_ntf_flush();
}
