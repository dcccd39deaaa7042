// SPDX-License-Identifier: GPL-2.0
/*
 * The "dibs" generic netlink family: attribute policies, the op table,
 * multicast groups and notifications. uapi/dibs.yaml is its spec; the op
 * handlers live in dibs_nl_dev.c and dibs_nl_dmb.c.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <kunit/visibility.h>
#include <linux/llist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

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

/* The op table */

#define DIBS_OP(_cmd, _policy, _max)		\
	.cmd = _cmd, .policy = _policy, .maxattr = _max

static const struct genl_ops dibs_nl_ops[] = {
	{
		DIBS_OP(DIBS_CMD_DEV_GET, dibs_dev_get_policy, DIBS_A_DEV_MAX),
		.doit = dibs_nl_dev_get_doit,
		.dumpit = dibs_nl_dev_get_dumpit,
	},
	{
		DIBS_OP(DIBS_CMD_DEV_NEW, dibs_dev_new_policy, DIBS_A_DEV_MAX),
		.doit = dibs_nl_dev_new_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DEV_DEL, dibs_dev_get_policy, DIBS_A_DEV_MAX),
		.doit = dibs_nl_dev_del_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DEV_SET, dibs_dev_set_policy, DIBS_A_DEV_MAX),
		.doit = dibs_nl_dev_set_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_REMOTE_QUERY, dibs_remote_query_policy,
			DIBS_A_DEV_MAX),
		.doit = dibs_nl_remote_query_doit,
	},
	{
		DIBS_OP(DIBS_CMD_DMB_GET, dibs_dmb_get_policy, DIBS_A_DMB_MAX),
		.doit = dibs_nl_dmb_get_doit,
		.start = dibs_nl_dmb_get_start,
		.dumpit = dibs_nl_dmb_get_dumpit,
		/* tokens are secrets: CAP_NET_ADMIN over the namespace */
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DMB_GRANT, dibs_dmb_grant_policy,
			DIBS_A_DMB_MAX),
		.doit = dibs_nl_dmb_grant_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		DIBS_OP(DIBS_CMD_DMB_REVOKE, dibs_dmb_revoke_policy,
			DIBS_A_DMB_MAX),
		.doit = dibs_nl_dmb_revoke_doit,
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
	.module = THIS_MODULE,
	.ops = dibs_nl_ops,
	.n_ops = ARRAY_SIZE(dibs_nl_ops),
	.resv_start_op = DIBS_CMD_DEV_GET,	/* every op is strict */
	.mcgrps = dibs_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(dibs_nl_mcgrps),
};

/* Notifications before the family exists (module init) are dropped. */
static bool dibs_nl_registered;

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

struct dibs_dev *dibs_nl_dev_lookup(struct genl_info *info, int index_attr,
				    int name_attr)
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

static void dibs_nl_multicast(struct sk_buff *skb, struct net *net,
			      enum dibs_nl_mcgrp group, gfp_t gfp)
{
	genlmsg_multicast_netns(&dibs_nl_family, net, skb, 0, group, gfp);
}

static bool dibs_nl_wanted(struct net *net, enum dibs_nl_mcgrp group)
{
	return READ_ONCE(dibs_nl_registered) &&
	       genl_has_listeners(&dibs_nl_family, net, group);
}

/*
 * The namespace of @dibs with a reference, for a notification sent outside
 * dibs_devs_lock; NULL once the device left the registry or its namespace
 * is going away. dibs->registered, seen under RCU, keeps the namespace's
 * memory (dibs_net_pre_exit, dibs_dev_del).
 */
static struct net *dibs_nl_dev_get_net(struct dibs_dev *dibs)
{
	struct net *net = NULL;

	rcu_read_lock();
	if (READ_ONCE(dibs->registered))
		net = maybe_get_net(dibs_dev_net(dibs));
	rcu_read_unlock();
	return net;
}

/* Called with dibs_devs_lock held, in process context. */
void dibs_nl_notify_dev(struct dibs_dev *dibs, u8 cmd)
{
	struct net *net = dibs_dev_net(dibs);
	struct sk_buff *skb;

	lockdep_assert_held(&dibs_devs_lock);

	if (!dibs_nl_wanted(net, DIBS_NLGRP_MGMT))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dibs_nl_dev_fill(skb, dibs, net, 0, 0, 0, cmd) < 0) {
		nlmsg_free(skb);
		return;
	}
	dibs_nl_multicast(skb, net, DIBS_NLGRP_MGMT, GFP_KERNEL);
}

/*
 * Any context: DMBs may be unregistered from a client's bottom half. All
 * under RCU, where a registered device's namespace stays valid.
 */
void dibs_nl_notify_dmb(struct dibs_dmb_rec *rec, u8 cmd)
{
	struct sk_buff *skb;
	struct net *net;

	rcu_read_lock();
	if (!READ_ONCE(rec->dibs->registered))
		goto out;
	net = dibs_dev_net(rec->dibs);
	if (!dibs_nl_wanted(net, DIBS_NLGRP_MGMT))
		goto out;
	skb = dibs_nl_dmb_msg_new(rec, GFP_ATOMIC);
	if (!skb)
		goto out;
	if (dibs_nl_dmb_fill(skb, rec, 0, 0, 0, cmd) < 0) {
		nlmsg_free(skb);
		goto out;
	}
	dibs_nl_multicast(skb, net, DIBS_NLGRP_MGMT, GFP_ATOMIC);
out:
	rcu_read_unlock();
}

/* Clients are global: their notifications go to the initial namespace. */
void dibs_nl_notify_client(struct dibs_client *client, u8 cmd)
{
	struct sk_buff *skb;

	if (!dibs_nl_wanted(&init_net, DIBS_NLGRP_MGMT))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dibs_nl_client_fill(skb, client, &init_net, 0, 0, 0, cmd) < 0) {
		nlmsg_free(skb);
		return;
	}
	dibs_nl_multicast(skb, &init_net, DIBS_NLGRP_MGMT, GFP_KERNEL);
}

/*
 * Events arrive in the drivers' IRQ context: they are queued here and sent
 * from a work item, never from the callback itself. (Signals are coalesced
 * and deferred by their owner, dibs_uclient.c.)
 */
struct dibs_nl_deferred {
	struct llist_node node;
	struct net *net;		/* a reference */
	u32 dev_index;
	struct dibs_event event;
};

static LLIST_HEAD(dibs_nl_deferred_list);
static void dibs_nl_deferred_work_fn(struct work_struct *work);
static DECLARE_WORK(dibs_nl_deferred_work, dibs_nl_deferred_work_fn);

static int dibs_nl_event_fill(struct sk_buff *skb,
			      const struct dibs_nl_deferred *d)
{
	const struct dibs_event *ev = &d->event;
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &dibs_nl_family, 0, DIBS_CMD_EVENT_NTF);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, DIBS_A_EVENT_DEV_INDEX, d->dev_index) ||
	    nla_put_u32(skb, DIBS_A_EVENT_TYPE, ev->type) ||
	    nla_put_u32(skb, DIBS_A_EVENT_SUBTYPE, ev->subtype) ||
	    nla_put(skb, DIBS_A_EVENT_GID, DIBS_GID_LEN, &ev->gid) ||
	    nla_put_u64_64bit(skb, DIBS_A_EVENT_TOKEN, ev->buffer_tok,
			      DIBS_A_EVENT_PAD) ||
	    nla_put_u64_64bit(skb, DIBS_A_EVENT_TIME, ev->time,
			      DIBS_A_EVENT_PAD) ||
	    nla_put_u64_64bit(skb, DIBS_A_EVENT_DATA, ev->data,
			      DIBS_A_EVENT_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static void dibs_nl_send_event(const struct dibs_nl_deferred *d)
{
	struct sk_buff *skb;

	if (!dibs_nl_wanted(d->net, DIBS_NLGRP_MGMT))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (dibs_nl_event_fill(skb, d)) {
		nlmsg_free(skb);
		return;
	}
	dibs_nl_multicast(skb, d->net, DIBS_NLGRP_MGMT, GFP_KERNEL);
}

static void dibs_nl_deferred_work_fn(struct work_struct *work)
{
	struct dibs_nl_deferred *d, *tmp;
	struct llist_node *list;

	/* llist hands entries back newest first: restore arrival order. */
	list = llist_reverse_order(llist_del_all(&dibs_nl_deferred_list));
	llist_for_each_entry_safe(d, tmp, list, node) {
		dibs_nl_send_event(d);
		put_net(d->net);
		kfree(d);
	}
}

/* Any context. */
void dibs_nl_notify_event(struct dibs_dev *dibs,
			  const struct dibs_event *event)
{
	struct dibs_nl_deferred *d;
	struct net *net;

	net = dibs_nl_dev_get_net(dibs);
	if (!net)
		return;
	if (!dibs_nl_wanted(net, DIBS_NLGRP_MGMT)) {
		put_net(net);
		return;
	}
	d = kzalloc(sizeof(*d), GFP_ATOMIC);
	if (!d) {
		put_net(net);
		return;
	}
	d->net = net;
	d->dev_index = dibs->index;
	d->event = *event;
	llist_add(&d->node, &dibs_nl_deferred_list);
	schedule_work(&dibs_nl_deferred_work);
}

/* Process context: called from the signal owner's work item. */
void dibs_nl_notify_signal(struct dibs_dev *dibs, u64 token, u32 sba_idx,
			   u16 mask)
{
	struct sk_buff *skb;
	struct net *net;
	void *hdr;

	/* The device may have been deleted since the signal was queued. */
	net = dibs_nl_dev_get_net(dibs);
	if (!net)
		return;
	if (!dibs_nl_wanted(net, DIBS_NLGRP_SIGNAL))
		goto out;
	/* DEV_INDEX, TOKEN, SBA_IDX, MASK: sized to fit, see dibs_nl_dmb_size */
	skb = genlmsg_new(3 * nla_total_size(sizeof(u32)) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!skb)
		goto out;
	hdr = genlmsg_put(skb, 0, 0, &dibs_nl_family, 0, DIBS_CMD_SIGNAL_NTF);
	if (!hdr)
		goto err_free;
	if (nla_put_u32(skb, DIBS_A_SIGNAL_DEV_INDEX, dibs->index) ||
	    nla_put_u64_64bit(skb, DIBS_A_SIGNAL_TOKEN, token,
			      DIBS_A_SIGNAL_PAD) ||
	    nla_put_u32(skb, DIBS_A_SIGNAL_SBA_IDX, sba_idx) ||
	    nla_put_u32(skb, DIBS_A_SIGNAL_MASK, mask))
		goto err_free;
	genlmsg_end(skb, hdr);
	dibs_nl_multicast(skb, net, DIBS_NLGRP_SIGNAL, GFP_KERNEL);
	goto out;

err_free:
	nlmsg_free(skb);
out:
	put_net(net);
}

int dibs_nl_init(void)
{
	int ret;

	ret = genl_register_family(&dibs_nl_family);
	if (!ret)
		WRITE_ONCE(dibs_nl_registered, true);
	return ret;
}

void dibs_nl_exit(void)
{
	WRITE_ONCE(dibs_nl_registered, false);
	genl_unregister_family(&dibs_nl_family);
	flush_work(&dibs_nl_deferred_work);
}
