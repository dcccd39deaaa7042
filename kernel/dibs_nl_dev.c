// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink ops on devices and clients: dev-get, dev-new, dev-del, dev-set,
 * remote-query and client-get.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/ctype.h>
#include <net/net_namespace.h>

#include <net/sock.h>

#include "dibs_compat.h"
#include "dibs_nl.h"

static int dibs_nl_put_stats(struct sk_buff *skb, struct dibs_dev *dibs)
{
	const struct dibs_dev_stats *st = &dibs->stats;
	const struct dibs_nl_counter c[] = {
		{ DIBS_A_DEV_STATS_MOVES, &st->moves },
		{ DIBS_A_DEV_STATS_MOVE_BYTES, &st->move_bytes },
		{ DIBS_A_DEV_STATS_SIGNALS, &st->signals },
		{ DIBS_A_DEV_STATS_MOVE_ERRORS, &st->move_errors },
		{ DIBS_A_DEV_STATS_DMBS_REGISTERED, &st->dmbs_registered },
		{ DIBS_A_DEV_STATS_DMBS_UNREGISTERED, &st->dmbs_unregistered },
	};

	return dibs_nl_put_counters(skb, DIBS_A_DEV_STATS, DIBS_A_DEV_STATS_PAD,
				    c, ARRAY_SIZE(c));
}

static int dibs_nl_put_parent(struct sk_buff *skb, struct dibs_dev *dibs)
{
	struct device *parent = dibs->dev.parent;

	if (!parent)
		return 0;
	if (parent->bus &&
	    nla_put_string(skb, DIBS_A_DEV_PARENT_BUS, parent->bus->name))
		return -EMSGSIZE;
	return nla_put_string(skb, DIBS_A_DEV_PARENT_NAME, dev_name(parent));
}

/* The dev object of every reply and notification; @viewer is the reader's
 * namespace (for NETNS_ID) or NULL.
 */
int dibs_nl_dev_fill(struct sk_buff *skb, struct dibs_dev *dibs,
		     struct net *viewer, u32 portid, u32 seq, int flags,
		     u8 cmd)
{
	const struct dibs_dev_ops *ops = dibs->ops;
	bool mapped;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &dibs_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	mapped = ops->support_mmapped_rdmb && ops->support_mmapped_rdmb(dibs);
	if (nla_put_u32(skb, DIBS_A_DEV_INDEX, dibs->index) ||
	    nla_put_string(skb, DIBS_A_DEV_NAME, dev_name(&dibs->dev)) ||
	    nla_put_string(skb, DIBS_A_DEV_TYPE, dibs_dev_type_name(dibs)) ||
	    nla_put(skb, DIBS_A_DEV_GID, DIBS_GID_LEN, &dibs->gid) ||
	    nla_put_u16(skb, DIBS_A_DEV_FABRIC_ID, ops->get_fabric_id(dibs)) ||
	    nla_put_u32(skb, DIBS_A_DEV_STATE, READ_ONCE(dibs->up) ?
			DIBS_DEV_STATE_UP : DIBS_DEV_STATE_DOWN) ||
	    nla_put_u32(skb, DIBS_A_DEV_MAX_DMBS, ops->max_dmbs()) ||
	    nla_put_u32(skb, DIBS_A_DEV_DMB_COUNT,
			atomic_read(&dibs->dmb_count)) ||
	    nla_put_u8(skb, DIBS_A_DEV_MAPPED_DMB, mapped) ||
	    dibs_nl_put_parent(skb, dibs) ||
	    dibs_nl_put_stats(skb, dibs))
		goto err_cancel;
	if (viewer && !net_eq(viewer, dibs_dev_net(dibs)) &&
	    nla_put_s32(skb, DIBS_A_DEV_NETNS_ID,
			peernet2id(viewer, dibs_dev_net(dibs))))
		goto err_cancel;
	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * Replies to a do-request with one dev object; dibs_devs_lock held. @msg is
 * allocated by the caller, so that an op which creates something fails for
 * want of memory before it does, not after; consumed here.
 */
static int dibs_nl_dev_reply(struct genl_info *info, struct sk_buff *msg,
			     struct dibs_dev *dibs, u8 cmd)
{
	int ret;

	ret = dibs_nl_dev_fill(msg, dibs, genl_info_net(info),
			       info->snd_portid, info->snd_seq, 0, cmd);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* dibs_devs_lock held, the device in user_ptr[0] (its pre_doit). */
int dibs_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	return dibs_nl_dev_reply(info, msg, info->user_ptr[0],
				 DIBS_CMD_DEV_GET);
}

/* The dev-get dump's state in cb->ctx. */
struct dibs_nl_dev_dump_ctx {
	unsigned long index;		/* resume: the device index */
};

int dibs_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dibs_nl_dev_dump_ctx *ctx = (void *)cb->ctx;
	struct net *net = sock_net(skb->sk);
	struct nlmsghdr *nlh;
	struct dibs_dev *dibs;
	int ret = 0;

	DIBS_ASSERT_DUMP_CTX_FITS(struct dibs_nl_dev_dump_ctx);
	mutex_lock(&dibs_devs_lock);
	cb->seq = dibs_nl_dump_seq(false);
	for (; (dibs = dibs_dev_next(&ctx->index)); ctx->index++) {
		if (!net_eq(dibs_dev_net(dibs), net))
			continue;
		nlh = (struct nlmsghdr *)skb_tail_pointer(skb);
		ret = dibs_nl_dev_fill(skb, dibs, net,
				       NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI,
				       DIBS_CMD_DEV_GET);
		if (ret)
			break;
		nl_dump_check_consistent(cb, nlh);
	}
	/* Changes during this part show at the next message, or at DONE. */
	cb->seq = dibs_nl_dump_seq(false);
	mutex_unlock(&dibs_devs_lock);
	return dibs_nl_dump_ret(skb, ret);
}

/* Names become sysfs entries and shell words: keep them plain. */
VISIBLE_IF_KUNIT bool dibs_nl_name_valid(const char *name)
{
	const char *p;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (p = name; *p; p++)
		/* isalnum() is true for Latin-1 letters: ASCII only here */
		if (!isascii(*p) ||
		    (!isalnum(*p) && *p != '_' && *p != '-' && *p != '.'))
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(dibs_nl_name_valid);

int dibs_nl_dev_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct dibs_soft_params params = {};
	struct dibs_dev *dibs;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, DIBS_A_DEV_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, DIBS_A_DEV_TYPE))
		return -EINVAL;
	params.name = nla_data(tb[DIBS_A_DEV_NAME]);
	params.net = genl_info_net(info);
	if (!dibs_nl_name_valid(params.name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DIBS_A_DEV_NAME],
				    "device names use letters, digits, '_', '-' and '.'");
		return -EINVAL;
	}
	if (tb[DIBS_A_DEV_FABRIC_ID]) {
		params.has_fabric_id = true;
		params.fabric_id = nla_get_u16(tb[DIBS_A_DEV_FABRIC_ID]);
	}
	if (tb[DIBS_A_DEV_GID]) {
		params.has_gid = true;
		memcpy(&params.gid, nla_data(tb[DIBS_A_DEV_GID]), DIBS_GID_LEN);
		if (uuid_is_null(&params.gid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[DIBS_A_DEV_GID],
					    "the gid must not be all zeros");
			return -EINVAL;
		}
	}

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	dibs = dibs_soft_dev_new(nla_data(tb[DIBS_A_DEV_TYPE]), &params,
				 info->extack);
	if (IS_ERR(dibs)) {
		nlmsg_free(msg);
		ret = PTR_ERR(dibs);
		if (ret == -EOPNOTSUPP)
			NL_SET_ERR_MSG_ATTR(info->extack, tb[DIBS_A_DEV_TYPE],
					    "unknown device type (is its module loaded?)");
		return ret;
	}

	/* Our reference keeps the memory; the lock keeps it registered. */
	mutex_lock(&dibs_devs_lock);
	if (!dibs->registered) {
		nlmsg_free(msg);
		ret = -ENODEV;	/* deleted meanwhile */
	} else {
		ret = dibs_nl_dev_reply(info, msg, dibs, DIBS_CMD_DEV_NEW);
	}
	mutex_unlock(&dibs_devs_lock);
	put_device(&dibs->dev);
	return ret;
}

/* A reference on the device in user_ptr[0], no lock (its pre_doit). */
int dibs_nl_dev_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	ret = dibs_soft_dev_del(info->user_ptr[0]);
	if (ret == -EOPNOTSUPP)
		NL_SET_ERR_MSG(info->extack,
			       "only soft devices (loopback, sim) can be deleted");
	return ret;
}

/*
 * The namespace a dev-set moves the device to, with a reference, checked
 * before anything changes; NULL when the request names none.
 */
static struct net *dibs_nl_dev_set_target(struct sk_buff *skb,
					  struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct net *net;

	if (!tb[DIBS_A_DEV_NETNS_PID] && !tb[DIBS_A_DEV_NETNS_FD])
		return NULL;
	if (tb[DIBS_A_DEV_NETNS_PID] && tb[DIBS_A_DEV_NETNS_FD]) {
		NL_SET_ERR_MSG(info->extack, "give a netns pid or fd, not both");
		return ERR_PTR(-EINVAL);
	}
	if (tb[DIBS_A_DEV_NETNS_PID])
		net = get_net_ns_by_pid(nla_get_u32(tb[DIBS_A_DEV_NETNS_PID]));
	else
		net = get_net_ns_by_fd(nla_get_u32(tb[DIBS_A_DEV_NETNS_FD]));
	if (IS_ERR(net)) {
		NL_SET_ERR_MSG(info->extack, "no such network namespace");
		return net;
	}
	/* Like "ip link set netns": admin rights in the target as well. */
	if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "CAP_NET_ADMIN is needed in the target namespace");
		put_net(net);
		return ERR_PTR(-EPERM);
	}
	return net;
}

/*
 * All or nothing: what can be refused is checked before any change. A
 * reference on the device in user_ptr[0], no lock (its pre_doit).
 */
int dibs_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_dev *dibs = info->user_ptr[0];
	struct nlattr **tb = info->attrs;
	struct net *net;
	int state = -1;
	int ret;

	if (tb[DIBS_A_DEV_STATE])
		state = nla_get_u32(tb[DIBS_A_DEV_STATE]) == DIBS_DEV_STATE_UP;
	net = dibs_nl_dev_set_target(skb, info);
	if (IS_ERR(net))
		return PTR_ERR(net);
	if (state < 0 && !net) {
		NL_SET_ERR_MSG(info->extack, "nothing to set: give a state or a netns");
		return -EINVAL;
	}

	ret = dibs_dev_set(dibs, state, net);
	if (ret == -ENODEV)
		NL_SET_ERR_MSG(info->extack, "the device was deleted meanwhile");
	if (net)
		put_net(net);
	return ret;
}

/* dibs_devs_lock held, the device in user_ptr[0] (its pre_doit). */
int dibs_nl_remote_query_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_dev *dibs = info->user_ptr[0];
	struct sk_buff *msg;
	uuid_t rgid;
	void *hdr;

	memcpy(&rgid, nla_data(info->attrs[DIBS_A_DEV_REMOTE_GID]),
	       DIBS_GID_LEN);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dibs_nl_family, 0,
				DIBS_CMD_REMOTE_QUERY);
	if (!hdr ||
	    nla_put_u32(msg, DIBS_A_DEV_INDEX, dibs->index) ||
	    nla_put_string(msg, DIBS_A_DEV_NAME, dev_name(&dibs->dev)) ||
	    nla_put(msg, DIBS_A_DEV_REMOTE_GID, DIBS_GID_LEN, &rgid) ||
	    nla_put_u8(msg, DIBS_A_DEV_REACHABLE,
		       !dibs->ops->query_remote_gid(dibs, &rgid, 0, 0))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Send a DIBS_SW_EVENT from a device to a remote gid, as a client's
 * signal_event() does (trigger_irq set): the receiver's clients get it in
 * handle_event() and its namespace's "mgmt" listeners an event-ntf.
 * dibs_devs_lock held, the device in user_ptr[0] (its pre_doit).
 */
int dibs_nl_event_signal_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_dev *dibs = info->user_ptr[0];
	struct nlattr **tb = info->attrs;
	int ret = -EOPNOTSUPP;
	u64 data = 0;
	uuid_t rgid;
	u32 code;

	memcpy(&rgid, nla_data(tb[DIBS_A_EVENT_REMOTE_GID]), DIBS_GID_LEN);
	code = nla_get_u32(tb[DIBS_A_EVENT_SUBTYPE]);
	if (tb[DIBS_A_EVENT_DATA])
		data = nla_get_u64(tb[DIBS_A_EVENT_DATA]);

	if (dibs->ops->signal_event)
		ret = dibs->ops->signal_event(dibs, &rgid, 1, code, data);
	switch (ret) {
	case -EOPNOTSUPP:
		DIBS_SET_ERR_MSG_FMT(info->extack,
				     "the device cannot send events",
				     "%s devices cannot send events",
				     dibs_dev_type_name(dibs));
		break;
	case -ENETUNREACH:
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DIBS_A_EVENT_REMOTE_GID],
				    "the remote gid is not reachable through the device");
		break;
	case -ENETDOWN:
		NL_SET_ERR_MSG(info->extack, "the sending device is down");
		break;
	case -ENOBUFS:
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DIBS_A_EVENT_REMOTE_GID],
				    "the remote device has too many events waiting for delivery");
		break;
	}
	return ret;
}

/*
 * The client object; dibs_devs_lock held (the per-device counts walk the
 * device list). For client-get, with @dev_index, it has a nest per device
 * from *@dev_index on where the client holds DMBs, as many as fit: 0 when
 * all did, 1 when the message ends early and the next one is to resume at
 * *@dev_index (a message holds at least one nest), -EMSGSIZE when nothing
 * was put.
 */
static int dibs_nl_client_put(struct sk_buff *skb, struct dibs_client *client,
			      struct net *viewer, u32 portid, u32 seq,
			      int flags, u8 cmd, unsigned long *dev_index)
{
	struct dibs_dev *dibs;
	struct nlattr *nest;
	bool some = false;
	void *hdr;
	int n;

	hdr = genlmsg_put(skb, portid, seq, &dibs_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, DIBS_A_CLIENT_ID, client->id) ||
	    nla_put_string(skb, DIBS_A_CLIENT_NAME, client->name) ||
	    nla_put_u32(skb, DIBS_A_CLIENT_DMB_COUNT,
			dibs_client_dmb_count(client->id)))
		goto err_cancel;
	for (; dev_index && (dibs = dibs_dev_next(dev_index)); (*dev_index)++) {
		if (!net_eq(dibs_dev_net(dibs), viewer))
			continue;
		n = dibs_client_dev_dmb_count(client->id, dibs);
		if (!n)
			continue;
		nest = nla_nest_start(skb, DIBS_A_CLIENT_DEV);
		if (!nest)
			goto partial;
		if (nla_put_u32(skb, DIBS_A_CLIENT_DEV_INDEX, dibs->index) ||
		    nla_put_u32(skb, DIBS_A_CLIENT_DEV_DMB_COUNT, n)) {
			nla_nest_cancel(skb, nest);
			goto partial;
		}
		nla_nest_end(skb, nest);
		some = true;
	}
	genlmsg_end(skb, hdr);
	return 0;

partial:
	if (some) {
		genlmsg_end(skb, hdr);
		return 1;
	}
err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* The client object of notifications: no devices. */
int dibs_nl_client_fill(struct sk_buff *skb, struct dibs_client *client,
			struct net *viewer, u32 portid, u32 seq, int flags,
			u8 cmd)
{
	return dibs_nl_client_put(skb, client, viewer, portid, seq, flags, cmd,
				  NULL);
}

/*
 * The client-get dump's state in cb->ctx. A client on more devices than
 * one message holds takes several in a row, each with the client's id,
 * name and DMB count and the next devices (uapi/README.md).
 */
struct dibs_nl_client_dump_ctx {
	unsigned long slot;		/* resume: the client slot */
	unsigned long dev_index;	/* resume: the device in that client */
};

int dibs_nl_client_get_dumpit(struct sk_buff *skb,
			      struct netlink_callback *cb)
{
	struct dibs_nl_client_dump_ctx *ctx = (void *)cb->ctx;
	struct net *net = sock_net(skb->sk);
	struct dibs_client *client;
	struct nlmsghdr *nlh;
	int ret = 0;

	DIBS_ASSERT_DUMP_CTX_FITS(struct dibs_nl_client_dump_ctx);
	mutex_lock(&dibs_devs_lock);
	mutex_lock(&dibs_clients_lock);
	cb->seq = dibs_nl_dump_seq(true);
	for (; ctx->slot < MAX_DIBS_CLIENTS; ctx->slot++, ctx->dev_index = 0) {
		client = dibs_client_by_id(ctx->slot);
		if (!client)
			continue;
		nlh = (struct nlmsghdr *)skb_tail_pointer(skb);
		ret = dibs_nl_client_put(skb, client, net,
					 NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 DIBS_CMD_CLIENT_GET, &ctx->dev_index);
		if (ret < 0)
			break;
		nl_dump_check_consistent(cb, nlh);
		if (ret) {
			/* the skb is full: the client goes on in the next */
			ret = -EMSGSIZE;
			break;
		}
	}
	cb->seq = dibs_nl_dump_seq(true);
	mutex_unlock(&dibs_clients_lock);
	mutex_unlock(&dibs_devs_lock);
	return dibs_nl_dump_ret(skb, ret);
}
