// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Devices: dev-get (do and dump), dev-new, dev-del, dev-set,
 * remote-query and event-signal, and the parser of the dev object they
 * reply with.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

static const struct dibsnl_policy dev_policy[DIBS_A_DEV_MAX + 1] = {
	[DIBS_A_DEV_INDEX]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DEV_NAME]		= { .kind = DIBSNL_ATTR_STRING },
	[DIBS_A_DEV_TYPE]		= { .kind = DIBSNL_ATTR_STRING },
	[DIBS_A_DEV_GID]		= DIBSNL_POLICY_GID,
	[DIBS_A_DEV_FABRIC_ID]		= { .kind = DIBSNL_ATTR_U16 },
	[DIBS_A_DEV_STATE]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DEV_MAX_DMBS]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DEV_DMB_COUNT]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DEV_MAPPED_DMB]		= { .kind = DIBSNL_ATTR_U8 },
	[DIBS_A_DEV_PARENT_BUS]		= { .kind = DIBSNL_ATTR_STRING },
	[DIBS_A_DEV_PARENT_NAME]	= { .kind = DIBSNL_ATTR_STRING },
	[DIBS_A_DEV_NETNS_ID]		= { .kind = DIBSNL_ATTR_S32 },
	[DIBS_A_DEV_REMOTE_GID]		= DIBSNL_POLICY_GID,
	[DIBS_A_DEV_REACHABLE]		= { .kind = DIBSNL_ATTR_U8 },
	[DIBS_A_DEV_STATS]		= { .kind = DIBSNL_ATTR_NEST },
};

static const struct dibsnl_policy
dev_stats_policy[DIBS_A_DEV_STATS_MAX + 1] = {
	[DIBS_A_DEV_STATS_MOVES]		= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DEV_STATS_MOVE_BYTES]		= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DEV_STATS_SIGNALS]		= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DEV_STATS_MOVE_ERRORS]		= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DEV_STATS_DMBS_REGISTERED]	= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DEV_STATS_DMBS_UNREGISTERED]	= { .kind = DIBSNL_ATTR_U64 },
};

static int parse_dev_stats(const struct nlattr *nest,
			   struct dibsnl_dev_stats *st)
{
	const struct nlattr *tb[DIBS_A_DEV_STATS_MAX + 1];
	int err;

	err = dibsnl_attr_parse_nested(nest, dev_stats_policy,
				       DIBS_A_DEV_STATS_MAX, tb);
	if (err)
		return err;
	st->moves = dibsnl_attr_u64(tb[DIBS_A_DEV_STATS_MOVES], 0);
	st->move_bytes = dibsnl_attr_u64(tb[DIBS_A_DEV_STATS_MOVE_BYTES], 0);
	st->signals = dibsnl_attr_u64(tb[DIBS_A_DEV_STATS_SIGNALS], 0);
	st->move_errors =
		dibsnl_attr_u64(tb[DIBS_A_DEV_STATS_MOVE_ERRORS], 0);
	st->dmbs_registered =
		dibsnl_attr_u64(tb[DIBS_A_DEV_STATS_DMBS_REGISTERED], 0);
	st->dmbs_unregistered =
		dibsnl_attr_u64(tb[DIBS_A_DEV_STATS_DMBS_UNREGISTERED], 0);
	return 0;
}

int dibsnl_parse_dev(const struct nlmsghdr *nlh, struct dibsnl_dev *out)
{
	const struct nlattr *tb[DIBS_A_DEV_MAX + 1];
	uint32_t state;
	int err;

	memset(out, 0, sizeof(*out));
	out->netns_id = -1;

	err = dibsnl_genl_parse(nlh, dev_policy, DIBS_A_DEV_MAX, tb);
	if (err)
		return err;
	if (!tb[DIBS_A_DEV_INDEX])
		return -EINVAL;

	out->index = dibsnl_attr_u32(tb[DIBS_A_DEV_INDEX], 0);
	dibsnl_attr_strcpy(out->name, sizeof(out->name), tb[DIBS_A_DEV_NAME]);
	dibsnl_attr_strcpy(out->type, sizeof(out->type), tb[DIBS_A_DEV_TYPE]);
	dibsnl_attr_memcpy(out->gid, DIBSNL_GID_LEN, tb[DIBS_A_DEV_GID]);
	out->fabric_id = dibsnl_attr_u16(tb[DIBS_A_DEV_FABRIC_ID], 0);
	state = dibsnl_attr_u32(tb[DIBS_A_DEV_STATE], DIBS_DEV_STATE_DOWN);
	out->state = state == DIBS_DEV_STATE_UP ? DIBSNL_DEV_UP :
						  DIBSNL_DEV_DOWN;
	out->max_dmbs = dibsnl_attr_u32(tb[DIBS_A_DEV_MAX_DMBS], 0);
	out->dmb_count = dibsnl_attr_u32(tb[DIBS_A_DEV_DMB_COUNT], 0);
	out->mapped_dmb = dibsnl_attr_u8(tb[DIBS_A_DEV_MAPPED_DMB], 0);
	dibsnl_attr_strcpy(out->parent_bus, sizeof(out->parent_bus),
			   tb[DIBS_A_DEV_PARENT_BUS]);
	dibsnl_attr_strcpy(out->parent_name, sizeof(out->parent_name),
			   tb[DIBS_A_DEV_PARENT_NAME]);
	out->netns_id = dibsnl_attr_s32(tb[DIBS_A_DEV_NETNS_ID], -1);
	if (tb[DIBS_A_DEV_STATS]) {
		err = parse_dev_stats(tb[DIBS_A_DEV_STATS], &out->stats);
		if (err)
			return err;
		out->has_stats = true;
	}
	return 0;
}

int dibsnl_parse_remote_query(const struct nlmsghdr *nlh, bool *reachable)
{
	const struct nlattr *tb[DIBS_A_DEV_MAX + 1];
	int err;

	err = dibsnl_genl_parse(nlh, dev_policy, DIBS_A_DEV_MAX, tb);
	if (err)
		return err;
	if (!tb[DIBS_A_DEV_REACHABLE])
		return -EINVAL;
	*reachable = mnl_attr_get_u8(tb[DIBS_A_DEV_REACHABLE]);
	return 0;
}

/* A device for the caller's struct: as much of it as its layout has. */
static int dev_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct dibsnl_out *o = arg;
	struct dibsnl_dev d;
	int err;

	err = dibsnl_parse_dev(nlh, &d);
	if (!err)
		dibsnl_copy_out(o->obj, o->size, &d, sizeof(d));
	return err;
}

DIBSNL_EXPORT int dibsnl_dev_get(struct dibsnl *h, struct dibsnl_dev_ref dev,
				 struct dibsnl_dev *out)
{
	struct dibsnl_req r;
	int err;

	if (!h || !out)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_DEV_GET, 0);
	err = dibsnl_req_dev(h, &r, dev, DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME);
	if (err)
		return err;
	return dibsnl_do(h, &r, dev_reply,
			 &(struct dibsnl_out){ out, h->layout->dev });
}

struct dev_dump_ctx {
	int (*cb)(const struct dibsnl_dev *dev, void *arg);
	void *arg;
};

static int dev_dump_one(const struct nlmsghdr *nlh, void *arg)
{
	struct dev_dump_ctx *ctx = arg;
	struct dibsnl_dev dev;
	int err;

	err = dibsnl_parse_dev(nlh, &dev);
	if (err)
		return err;
	return ctx->cb(&dev, ctx->arg);
}

DIBSNL_EXPORT int dibsnl_dev_dump(struct dibsnl *h,
				  int (*cb)(const struct dibsnl_dev *dev,
					    void *arg),
				  void *arg)
{
	struct dev_dump_ctx ctx = { .cb = cb, .arg = arg };
	struct dibsnl_req r;

	if (!h || !cb)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_DEV_GET, NLM_F_DUMP);
	return dibsnl_transact(h, &r, dev_dump_one, &ctx);
}

DIBSNL_EXPORT int dibsnl_dev_new(struct dibsnl *h,
				 const struct dibsnl_dev_new *creq,
				 struct dibsnl_dev *out)
{
	struct dibsnl_out o;
	struct dibsnl_dev_new rq;
	const struct dibsnl_dev_new *req = &rq;
	struct dibsnl_req r;

	if (!h || !creq)
		return -EINVAL;
	/* fields the caller's layout lacks are 0: not asked for */
	dibsnl_copy_out(&rq, sizeof(rq), creq, h->layout->dev_new);
	o = (struct dibsnl_out){ out, h->layout->dev };
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_DEV_NEW, 0);
	if (req->name)
		dibsnl_req_str(&r, DIBS_A_DEV_NAME, req->name);
	if (req->type)
		dibsnl_req_str(&r, DIBS_A_DEV_TYPE, req->type);
	if (req->has_fabric_id)
		dibsnl_req_u16(&r, DIBS_A_DEV_FABRIC_ID, req->fabric_id);
	if (req->has_gid)
		dibsnl_req_put(&r, DIBS_A_DEV_GID, req->gid, DIBSNL_GID_LEN);
	return dibsnl_do(h, &r, out ? dev_reply : NULL, &o);
}

DIBSNL_EXPORT int dibsnl_dev_del(struct dibsnl *h, struct dibsnl_dev_ref dev)
{
	struct dibsnl_req r;
	int err;

	if (!h)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_DEV_DEL, 0);
	err = dibsnl_req_dev(h, &r, dev, DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME);
	if (err)
		return err;
	return dibsnl_do(h, &r, NULL, NULL);
}

DIBSNL_EXPORT int dibsnl_dev_set(struct dibsnl *h, struct dibsnl_dev_ref dev,
				 bool set_state, enum dibsnl_dev_state state,
				 uint32_t pid, int fd)
{
	bool netns = pid || fd >= 0;
	struct dibsnl_req r;
	int err;

	if (!h)
		return -EINVAL;
	dibsnl_clear_err(h);
	if (!set_state && !netns) {
		dibsnl_set_err(h, "nothing to set: a state or a network namespace (pid or fd)");
		return -EINVAL;
	}
	dibsnl_req_start(h, &r, DIBS_CMD_DEV_SET, 0);
	err = dibsnl_req_dev(h, &r, dev, DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME);
	if (err)
		return err;
	if (set_state)
		dibsnl_req_u32(&r, DIBS_A_DEV_STATE, state == DIBSNL_DEV_UP ?
			       DIBS_DEV_STATE_UP : DIBS_DEV_STATE_DOWN);
	if (pid)
		dibsnl_req_u32(&r, DIBS_A_DEV_NETNS_PID, pid);
	else if (fd >= 0)
		dibsnl_req_u32(&r, DIBS_A_DEV_NETNS_FD, fd);
	return dibsnl_do(h, &r, NULL, NULL);
}

DIBSNL_EXPORT int dibsnl_dev_set_state(struct dibsnl *h,
				       struct dibsnl_dev_ref dev,
				       enum dibsnl_dev_state state)
{
	return dibsnl_dev_set(h, dev, true, state, 0, -1);
}

DIBSNL_EXPORT int dibsnl_dev_set_netns(struct dibsnl *h,
				       struct dibsnl_dev_ref dev,
				       uint32_t pid, int fd)
{
	if (h && !pid && fd < 0) {
		dibsnl_clear_err(h);
		dibsnl_set_err(h, "no network namespace given (pid or fd)");
		return -EINVAL;
	}
	return dibsnl_dev_set(h, dev, false, DIBSNL_DEV_DOWN, pid, fd);
}

DIBSNL_EXPORT int dibsnl_event_signal(struct dibsnl *h,
				      struct dibsnl_dev_ref dev,
				      const uint8_t rgid[DIBSNL_GID_LEN],
				      uint32_t subtype, uint64_t data)
{
	struct dibsnl_req r;
	int err;

	if (!h)
		return -EINVAL;
	dibsnl_clear_err(h);
	if (!rgid) {
		dibsnl_set_err(h, "no remote gid given");
		return -EINVAL;
	}
	dibsnl_req_start(h, &r, DIBS_CMD_EVENT_SIGNAL, 0);
	err = dibsnl_req_dev(h, &r, dev, DIBS_A_EVENT_DEV_INDEX,
			     DIBS_A_EVENT_DEV_NAME);
	if (err)
		return err;
	dibsnl_req_put(&r, DIBS_A_EVENT_REMOTE_GID, rgid, DIBSNL_GID_LEN);
	dibsnl_req_u32(&r, DIBS_A_EVENT_SUBTYPE, subtype);
	dibsnl_req_u64(&r, DIBS_A_EVENT_DATA, data);
	return dibsnl_do(h, &r, NULL, NULL);
}

static int remote_query_reply(const struct nlmsghdr *nlh, void *arg)
{
	return dibsnl_parse_remote_query(nlh, arg);
}

DIBSNL_EXPORT int dibsnl_remote_query(struct dibsnl *h,
				      struct dibsnl_dev_ref dev,
				      const uint8_t rgid[DIBSNL_GID_LEN],
				      bool *reachable)
{
	struct dibsnl_req r;
	bool ok = false;
	int err;

	if (!h || !rgid || !reachable)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_REMOTE_QUERY, 0);
	err = dibsnl_req_dev(h, &r, dev, DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME);
	if (err)
		return err;
	dibsnl_req_put(&r, DIBS_A_DEV_REMOTE_GID, rgid, DIBSNL_GID_LEN);
	err = dibsnl_do(h, &r, remote_query_reply, &ok);
	if (!err)
		*reachable = ok;
	return err;
}
