// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink ops on DMBs: dmb-get, dmb-grant, dmb-revoke, dmb-write and
 * dmb-read. The do-handlers but dmb-write's run with dibs_devs_lock held
 * and their device in info->user_ptr[0] (its pre_doit), so the
 * device cannot be deleted (and its driver state freed) under them;
 * dmb-write looks its device up per piece, as /dev/dibs does.
 */
#include <linux/slab.h>

#include <net/sock.h>

#include "dibs_compat.h"
#include "dibs_nl.h"

static int dibs_nl_put_dmb_stats(struct sk_buff *skb, struct dibs_dmb_rec *rec)
{
	const struct dibs_nl_counter c[] = {
		{ DIBS_A_DMB_STATS_WRITES, &rec->writes },
		{ DIBS_A_DMB_STATS_WRITE_BYTES, &rec->write_bytes },
		{ DIBS_A_DMB_STATS_SIGNALS, &rec->signals },
		{ DIBS_A_DMB_STATS_REFUSED, &rec->refused },
	};

	return dibs_nl_put_counters(skb, DIBS_A_DMB_STATS, DIBS_A_DMB_STATS_PAD,
				    c, ARRAY_SIZE(c));
}

/*
 * The payload dibs_nl_dmb_fill() puts for a DMB of @client on @dibs. Sized
 * to fit, not NLMSG_GOODSIZE: a message with kilobytes of tailroom costs a
 * larger allocation and, on delivery, a copy into a trimmed one.
 */
size_t dibs_nl_dmb_size(struct dibs_dev *dibs, struct dibs_client *client)
{
	return nla_total_size_64bit(sizeof(u64)) +		/* TOKEN */
	       nla_total_size(sizeof(u32)) +			/* DEV_INDEX */
	       nla_total_size(strlen(dev_name(&dibs->dev)) + 1) + /* DEV_NAME */
	       nla_total_size(sizeof(u32)) +			/* CLIENT_ID */
	       (client ? nla_total_size(strlen(client->name) + 1) : 0) +
	       nla_total_size(DIBS_GID_LEN) +			/* RGID */
	       2 * nla_total_size(sizeof(u32)) +		/* LEN, SBA_IDX */
	       nla_total_size(0) +				/* OWNED */
	       nla_total_size(0) +				/* STATS */
	       4 * nla_total_size_64bit(sizeof(u64));		/* counters */
}

/* A message that fits the dmb object of @rec. */
struct sk_buff *dibs_nl_dmb_msg_new(struct dibs_dmb_rec *rec, gfp_t gfp)
{
	return genlmsg_new(dibs_nl_dmb_size(rec->dibs,
					    dibs_client_by_id(rec->client_id)),
			   gfp);
}

/* The dmb object; any context (notifications), never sleeps. */
int dibs_nl_dmb_fill(struct sk_buff *skb, struct dibs_dmb_rec *rec,
		     u32 portid, u32 seq, int flags, u8 cmd)
{
	struct dibs_client *client = dibs_client_by_id(rec->client_id);
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &dibs_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, DIBS_A_DMB_TOKEN, rec->key.token,
			      DIBS_A_DMB_PAD) ||
	    nla_put_u32(skb, DIBS_A_DMB_DEV_INDEX, rec->dibs->index) ||
	    nla_put_string(skb, DIBS_A_DMB_DEV_NAME, dev_name(&rec->dibs->dev)) ||
	    nla_put_u32(skb, DIBS_A_DMB_CLIENT_ID, rec->client_id) ||
	    (client &&
	     nla_put_string(skb, DIBS_A_DMB_CLIENT_NAME, client->name)) ||
	    nla_put(skb, DIBS_A_DMB_RGID, DIBS_GID_LEN, &rec->rgid) ||
	    nla_put_u32(skb, DIBS_A_DMB_LEN, rec->len) ||
	    nla_put_u32(skb, DIBS_A_DMB_SBA_IDX, rec->idx) ||
	    (dibs_uclient_owned(rec) && nla_put_flag(skb, DIBS_A_DMB_OWNED)) ||
	    dibs_nl_put_dmb_stats(skb, rec)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The DMB named by the TOKEN attribute on @dibs; NULL with an extack. */
static struct dibs_dmb_rec *dibs_nl_dmb_rec(struct genl_info *info,
					    struct dibs_dev *dibs)
{
	struct nlattr *attr = info->attrs[DIBS_A_DMB_TOKEN];
	struct dibs_dmb_rec *rec;

	rec = dibs_dmb_rec_find(dibs, nla_get_u64(attr));
	if (!rec)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no DMB with this token on the device");
	return rec;
}

int dibs_nl_dmb_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_dev *dibs = info->user_ptr[0];
	struct dibs_dmb_rec *rec;
	int ret;

	/* RCU keeps a record that another client unregisters alive. */
	rcu_read_lock();
	rec = dibs_nl_dmb_rec(info, dibs);
	if (rec) {
		struct sk_buff *msg = dibs_nl_dmb_msg_new(rec, GFP_ATOMIC);

		ret = msg ? dibs_nl_dmb_fill(msg, rec, info->snd_portid,
					     info->snd_seq, 0,
					     DIBS_CMD_DMB_GET) : -ENOMEM;
		rcu_read_unlock();
		if (!ret)
			ret = genlmsg_reply(msg, info);
		else if (msg)
			nlmsg_free(msg);
	} else {
		rcu_read_unlock();
		ret = -ENOENT;
	}
	return ret;
}

/* The dmb-get dump's state in cb->ctx: its filters and where it is. */
struct dibs_nl_dmb_dump_ctx {
	unsigned long dev_index;	/* resume: device */
	unsigned long idx;		/* resume: sba index on it */
	u32 only_dev;			/* with filtered_dev */
	bool filtered_dev;
	int only_client;		/* -1: all clients */
	/*
	 * A filter .start refused, answered by the first part: 6.1 gives
	 * .start no extack, the dump's parts have one (in NLMSG_DONE).
	 */
	enum {
		DIBS_NL_DMB_DUMP_OK,
		DIBS_NL_DMB_DUMP_NO_DEV,
		DIBS_NL_DMB_DUMP_NO_CLIENT,
	} refused;
};

static struct dibs_nl_dmb_dump_ctx *dibs_nl_dmb_dump_ctx(struct netlink_callback *cb)
{
	DIBS_ASSERT_DUMP_CTX_FITS(struct dibs_nl_dmb_dump_ctx);
	return (void *)cb->ctx;
}

/* The dump's filters, parsed once, before its first part. */
int dibs_nl_dmb_get_start(struct netlink_callback *cb)
{
	struct dibs_nl_dmb_dump_ctx *ctx = dibs_nl_dmb_dump_ctx(cb);
	struct nlattr **tb = dibs_dump_attrs(cb);
	struct dibs_client *client;
	struct dibs_dev *dibs;
	int i;

	ctx->only_client = -1;
	if (!tb)
		return 0;
	mutex_lock(&dibs_devs_lock);
	mutex_lock(&dibs_clients_lock);
	if (tb[DIBS_A_DMB_DEV_INDEX]) {
		ctx->filtered_dev = true;
		ctx->only_dev = nla_get_u32(tb[DIBS_A_DMB_DEV_INDEX]);
	} else if (tb[DIBS_A_DMB_DEV_NAME]) {
		ctx->filtered_dev = true;
		dibs = dibs_dev_find_name(nla_data(tb[DIBS_A_DMB_DEV_NAME]));
		if (!dibs) {
			ctx->refused = DIBS_NL_DMB_DUMP_NO_DEV;
			goto out;
		}
		ctx->only_dev = dibs->index;
	}
	if (ctx->filtered_dev)
		ctx->dev_index = ctx->only_dev;
	if (tb[DIBS_A_DMB_CLIENT_NAME]) {
		for (i = 0; i < MAX_DIBS_CLIENTS; i++) {
			client = dibs_client_by_id(i);
			if (client && !nla_strcmp(tb[DIBS_A_DMB_CLIENT_NAME],
						  client->name))
				break;
		}
		if (i == MAX_DIBS_CLIENTS) {
			ctx->refused = DIBS_NL_DMB_DUMP_NO_CLIENT;
			goto out;
		}
		ctx->only_client = i;
	}
out:
	mutex_unlock(&dibs_clients_lock);
	mutex_unlock(&dibs_devs_lock);
	return 0;
}

/*
 * Resumable without rescans: each part of the dump starts at the device
 * index and sba index where the previous one stopped.
 */
int dibs_nl_dmb_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dibs_nl_dmb_dump_ctx *ctx = dibs_nl_dmb_dump_ctx(cb);
	struct net *net = sock_net(skb->sk);
	struct dibs_dmb_rec *rec;
	struct nlmsghdr *nlh;
	struct dibs_dev *dibs;
	int ret = 0;

	switch (ctx->refused) {
	case DIBS_NL_DMB_DUMP_OK:
		break;
	case DIBS_NL_DMB_DUMP_NO_DEV:
		NL_SET_ERR_MSG(cb->extack, "no such dibs device");
		return -ENODEV;
	case DIBS_NL_DMB_DUMP_NO_CLIENT:
		NL_SET_ERR_MSG(cb->extack, "no dibs client of that name");
		return -ENOENT;
	}
	mutex_lock(&dibs_devs_lock);
	mutex_lock(&dibs_clients_lock);
	cb->seq = dibs_nl_dump_seq(true);
	for (; (dibs = dibs_dev_next(&ctx->dev_index));
	     ctx->dev_index++, ctx->idx = 0) {
		if (ctx->filtered_dev && dibs->index != ctx->only_dev)
			break;
		if (!net_eq(dibs_dev_net(dibs), net))
			continue;
		rcu_read_lock();
		for (; (rec = xa_find(&dibs->dmbs, &ctx->idx, ULONG_MAX,
				      XA_PRESENT)); ctx->idx++) {
			if (ctx->only_client >= 0 &&
			    rec->client_id != ctx->only_client)
				continue;
			nlh = (struct nlmsghdr *)skb_tail_pointer(skb);
			ret = dibs_nl_dmb_fill(skb, rec,
					       NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq, NLM_F_MULTI,
					       DIBS_CMD_DMB_GET);
			if (ret)
				break;
			nl_dump_check_consistent(cb, nlh);
		}
		rcu_read_unlock();
		if (ret)
			break;
	}
	cb->seq = dibs_nl_dump_seq(true);
	mutex_unlock(&dibs_clients_lock);
	mutex_unlock(&dibs_devs_lock);
	return dibs_nl_dump_ret(skb, ret);
}

int dibs_nl_dmb_grant_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_dev *dibs = info->user_ptr[0];
	struct nlattr **tb = info->attrs;
	struct dibs_dmb_rec *rec;
	struct sk_buff *msg;
	uuid_t rgid;
	int ret;

	memcpy(&rgid, nla_data(tb[DIBS_A_DMB_RGID]), DIBS_GID_LEN);
	/* Allocated first: a grant is not made if its reply cannot be. */
	msg = genlmsg_new(dibs_nl_dmb_size(dibs, &dibs_uclient), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	/* An owned grant is tied to the socket that sent the request. */
	ret = dibs_uclient_grant(dibs, &rgid, nla_get_u32(tb[DIBS_A_DMB_LEN]),
				 tb[DIBS_A_DMB_OWNED] ? NETLINK_CB(skb).sk : NULL,
				 info->snd_portid, genl_info_net(info), &rec);
	switch (ret) {
	case 0:
		ret = dibs_nl_dmb_fill(msg, rec, info->snd_portid,
				       info->snd_seq, 0, DIBS_CMD_DMB_GRANT);
		if (ret) {
			dibs_uclient_revoke(dibs, rec->key.token);
			break;
		}
		return genlmsg_reply(msg, info);
	case -ENOSPC:
		NL_SET_ERR_MSG(info->extack, "the device has no free DMB slot");
		break;
	case -ENETDOWN:
		NL_SET_ERR_MSG(info->extack, "the device is down");
		break;
	case -EINVAL:
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DIBS_A_DMB_LEN],
				    "the device refused this DMB length");
		break;
	}
	nlmsg_free(msg);
	return ret;
}

int dibs_nl_dmb_revoke_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_dev *dibs = info->user_ptr[0];
	struct dibs_client *owner;
	struct dibs_dmb_rec *rec;
	int ret;

	rcu_read_lock();
	rec = dibs_nl_dmb_rec(info, dibs);
	owner = rec ? dibs_client_by_id(rec->client_id) : NULL;
	if (!rec) {
		ret = -ENOENT;
	} else if (owner != &dibs_uclient) {
		DIBS_SET_ERR_MSG_FMT(info->extack,
				     "the DMB belongs to another dibs client",
				     "the DMB belongs to dibs client \"%s\"",
				     owner ? owner->name : "?");
		ret = -EBUSY;
	} else {
		ret = 0;
	}
	rcu_read_unlock();
	if (!ret)
		ret = dibs_uclient_revoke(dibs, nla_get_u64(info->attrs[DIBS_A_DMB_TOKEN]));
	return ret;
}

/* dmb-write's source: the DATA attributes of the request, in order. */
struct dibs_nl_write_src {
	struct dibs_dmb_wr wr;
	struct nlattr *pos;		/* where the search for the next goes on */
	int rem;
	struct nlattr *piece;		/* the last one handed out */
};

static int dibs_nl_write_next(struct dibs_dmb_wr *wr, u32 done, void **data,
			      u32 *n)
{
	struct dibs_nl_write_src *src =
		container_of(wr, struct dibs_nl_write_src, wr);

	for (; nla_ok(src->pos, src->rem);
	     src->pos = nla_next(src->pos, &src->rem)) {
		if (nla_type(src->pos) != DIBS_A_DMB_DATA)
			continue;
		src->piece = src->pos;
		src->pos = nla_next(src->pos, &src->rem);
		*data = nla_data(src->piece);
		*n = nla_len(src->piece);
		return 0;
	}
	return -EINVAL;		/* not reached: the length counts them */
}

/*
 * dmb-write: the DATA attributes (one or more, each at most
 * DIBS_DATA_CHUNK_MAX bytes) are written one after the other from OFFSET,
 * one move_data() each, the signal raised with the last only
 * (dibs_dmb_write()).
 */
int dibs_nl_dmb_write_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dibs_nl_write_src src = {
		.wr.net = genl_info_net(info),
		.wr.next = dibs_nl_write_next,
		.pos = genlmsg_data(info->genlhdr),
		.rem = genlmsg_len(info->genlhdr),
	};
	struct nlattr *attr, *empty = NULL, *last = NULL, *dev_attr;
	struct dibs_dmb_wr *wr = &src.wr;
	struct nlattr **tb = info->attrs;
	int rem, ret;

	if (GENL_REQ_ATTR_CHECK(info, DIBS_A_DMB_TOKEN) ||
	    GENL_REQ_ATTR_CHECK(info, DIBS_A_DMB_DATA))
		return -EINVAL;
	wr->token = nla_get_u64(tb[DIBS_A_DMB_TOKEN]);
	if (tb[DIBS_A_DMB_OFFSET])
		wr->offset = nla_get_u32(tb[DIBS_A_DMB_OFFSET]);
	if (tb[DIBS_A_DMB_SIGNAL_IDX]) {
		wr->signal = true;
		wr->signal_idx = nla_get_u32(tb[DIBS_A_DMB_SIGNAL_IDX]);
	}

	/* The policy checked each piece's length; the message bounds them. */
	nla_for_each_attr(attr, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(attr) != DIBS_A_DMB_DATA)
			continue;
		if (!nla_len(attr) && !empty)
			empty = attr;
		wr->len += nla_len(attr);
		last = attr;
	}
	/* Only a lone piece may be empty: a signal without data. */
	if (empty && (empty != last || wr->len)) {
		NL_SET_ERR_MSG_ATTR(info->extack, empty,
				    "an empty data piece among others");
		return -EINVAL;
	}

	if (tb[DIBS_A_DMB_DEV_INDEX]) {
		dev_attr = tb[DIBS_A_DMB_DEV_INDEX];
		wr->dev_index = nla_get_u32(dev_attr);
	} else if (tb[DIBS_A_DMB_DEV_NAME]) {
		dev_attr = tb[DIBS_A_DMB_DEV_NAME];
		wr->dev_name = nla_data(dev_attr);
	} else {
		NL_SET_ERR_MSG(info->extack, "a device index or name is required");
		return -EINVAL;
	}

	ret = dibs_dmb_write(wr);
	switch (ret) {
	case -ENODEV:
		NL_SET_ERR_MSG_ATTR(info->extack, dev_attr, "no such dibs device");
		break;
	case -ENOENT:
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DIBS_A_DMB_TOKEN],
				    "no DMB with this token on the writer's fabric");
		break;
	case -EACCES:
		NL_SET_ERR_MSG(info->extack,
			       "the DMB is not granted to the writing device");
		break;
	case -EINVAL:
		/* No piece yet: the range as a whole was refused. */
		if (!src.piece)
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[DIBS_A_DMB_OFFSET] ?: last,
					    "offset and length do not fit in any DMB");
		else
			NL_SET_ERR_MSG_ATTR(info->extack, src.piece,
					    "offset and length do not fit in the DMB");
		break;
	case -ENETDOWN:
		NL_SET_ERR_MSG(info->extack, "the writing device is down");
		break;
	}
	return ret;
}

int dibs_nl_dmb_read_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct sk_buff *msg;
	struct nlattr *data;
	u32 offset = 0, len;
	u64 token;
	void *hdr;
	int ret;

	token = nla_get_u64(tb[DIBS_A_DMB_TOKEN]);
	len = nla_get_u32(tb[DIBS_A_DMB_LEN]);
	if (tb[DIBS_A_DMB_OFFSET])
		offset = nla_get_u32(tb[DIBS_A_DMB_OFFSET]);

	msg = genlmsg_new(nla_total_size(len) + NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dibs_nl_family, 0,
				DIBS_CMD_DMB_READ);
	if (!hdr ||
	    nla_put_u64_64bit(msg, DIBS_A_DMB_TOKEN, token, DIBS_A_DMB_PAD) ||
	    nla_put_u32(msg, DIBS_A_DMB_OFFSET, offset)) {
		ret = -EMSGSIZE;
		goto err_free;
	}
	data = nla_reserve(msg, DIBS_A_DMB_DATA, len);
	if (!data) {
		ret = -EMSGSIZE;
		goto err_free;
	}

	ret = dibs_uclient_read(info->user_ptr[0], token, offset, len,
				nla_data(data));
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[DIBS_A_DMB_TOKEN],
				    "no DMB granted from userspace with this token on the device");
	else if (ret == -EINVAL)
		NL_SET_ERR_MSG(info->extack,
			       "offset and length do not fit in the DMB");
	if (ret)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return ret;
}
