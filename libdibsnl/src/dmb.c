// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DMBs: dmb-get (do and dump), dmb-grant and dmb-revoke, and the parsers
 * of the dmb object and of a dmb-read reply.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

static const struct dibsnl_policy dmb_policy[DIBS_A_DMB_MAX + 1] = {
	[DIBS_A_DMB_TOKEN]		= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DMB_DEV_INDEX]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_DEV_NAME]		= { .kind = DIBSNL_ATTR_STRING },
	[DIBS_A_DMB_CLIENT_ID]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_CLIENT_NAME]	= { .kind = DIBSNL_ATTR_STRING },
	[DIBS_A_DMB_RGID]		= DIBSNL_POLICY_GID,
	[DIBS_A_DMB_LEN]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_SBA_IDX]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_OWNED]		= { .kind = DIBSNL_ATTR_FLAG },
	[DIBS_A_DMB_OFFSET]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_DATA]		= { .kind = DIBSNL_ATTR_BYTES },
	[DIBS_A_DMB_SIGNAL_IDX]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_STATS]		= { .kind = DIBSNL_ATTR_NEST },
};

static const struct dibsnl_policy
dmb_stats_policy[DIBS_A_DMB_STATS_MAX + 1] = {
	[DIBS_A_DMB_STATS_WRITES]	= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DMB_STATS_WRITE_BYTES]	= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DMB_STATS_SIGNALS]	= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DMB_STATS_REFUSED]	= { .kind = DIBSNL_ATTR_U64 },
};

static int parse_dmb_stats(const struct nlattr *nest,
			   struct dibsnl_dmb_stats *st)
{
	const struct nlattr *tb[DIBS_A_DMB_STATS_MAX + 1];
	int err;

	err = dibsnl_attr_parse_nested(nest, dmb_stats_policy,
				       DIBS_A_DMB_STATS_MAX, tb);
	if (err)
		return err;
	st->writes = dibsnl_attr_u64(tb[DIBS_A_DMB_STATS_WRITES], 0);
	st->write_bytes = dibsnl_attr_u64(tb[DIBS_A_DMB_STATS_WRITE_BYTES], 0);
	st->signals = dibsnl_attr_u64(tb[DIBS_A_DMB_STATS_SIGNALS], 0);
	st->refused = dibsnl_attr_u64(tb[DIBS_A_DMB_STATS_REFUSED], 0);
	return 0;
}

int dibsnl_parse_dmb(const struct nlmsghdr *nlh, struct dibsnl_dmb *out)
{
	const struct nlattr *tb[DIBS_A_DMB_MAX + 1];
	int err;

	memset(out, 0, sizeof(*out));
	err = dibsnl_genl_parse(nlh, dmb_policy, DIBS_A_DMB_MAX, tb);
	if (err)
		return err;
	if (!tb[DIBS_A_DMB_TOKEN])
		return -EINVAL;

	out->token = dibsnl_attr_u64(tb[DIBS_A_DMB_TOKEN], 0);
	out->dev_index = dibsnl_attr_u32(tb[DIBS_A_DMB_DEV_INDEX], 0);
	dibsnl_attr_strcpy(out->dev_name, sizeof(out->dev_name),
			   tb[DIBS_A_DMB_DEV_NAME]);
	out->client_id = dibsnl_attr_u32(tb[DIBS_A_DMB_CLIENT_ID], 0);
	dibsnl_attr_strcpy(out->client_name, sizeof(out->client_name),
			   tb[DIBS_A_DMB_CLIENT_NAME]);
	dibsnl_attr_memcpy(out->rgid, DIBSNL_GID_LEN, tb[DIBS_A_DMB_RGID]);
	out->len = dibsnl_attr_u32(tb[DIBS_A_DMB_LEN], 0);
	out->sba_idx = dibsnl_attr_u32(tb[DIBS_A_DMB_SBA_IDX], 0);
	out->owned = tb[DIBS_A_DMB_OWNED];
	if (tb[DIBS_A_DMB_STATS]) {
		err = parse_dmb_stats(tb[DIBS_A_DMB_STATS], &out->stats);
		if (err)
			return err;
		out->has_stats = true;
	}
	return 0;
}

int dibsnl_parse_dmb_data(const struct nlmsghdr *nlh, uint64_t token,
			  uint32_t offset, void *buf, size_t len)
{
	const struct nlattr *tb[DIBS_A_DMB_MAX + 1];
	const struct nlattr *data;
	int err;

	err = dibsnl_genl_parse(nlh, dmb_policy, DIBS_A_DMB_MAX, tb);
	if (err)
		return err;
	data = tb[DIBS_A_DMB_DATA];
	if (!data || mnl_attr_get_payload_len(data) != len)
		return -EINVAL;
	if (dibsnl_attr_u64(tb[DIBS_A_DMB_TOKEN], token) != token ||
	    dibsnl_attr_u32(tb[DIBS_A_DMB_OFFSET], offset) != offset)
		return -EINVAL;
	memcpy(buf, mnl_attr_get_payload(data), len);
	return 0;
}

/* A DMB for the caller's struct: as much of it as its layout has. */
static int dmb_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct dibsnl_out *o = arg;
	struct dibsnl_dmb d;
	int err;

	err = dibsnl_parse_dmb(nlh, &d);
	if (!err)
		dibsnl_copy_out(o->obj, o->size, &d, sizeof(d));
	return err;
}

DIBSNL_EXPORT int dibsnl_dmb_get(struct dibsnl *h, struct dibsnl_dev_ref dev,
				 uint64_t token, struct dibsnl_dmb *out)
{
	struct dibsnl_req r;
	int err;

	if (!h || !out)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_DMB_GET, 0);
	err = dibsnl_req_dev(h, &r, dev, DIBS_A_DMB_DEV_INDEX,
			     DIBS_A_DMB_DEV_NAME);
	if (err)
		return err;
	dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, token);
	return dibsnl_do(h, &r, dmb_reply,
			 &(struct dibsnl_out){ out, h->layout->dmb });
}

struct dmb_dump_ctx {
	int (*cb)(const struct dibsnl_dmb *dmb, void *arg);
	void *arg;
};

static int dmb_dump_one(const struct nlmsghdr *nlh, void *arg)
{
	struct dmb_dump_ctx *ctx = arg;
	struct dibsnl_dmb dmb;
	int err;

	err = dibsnl_parse_dmb(nlh, &dmb);
	if (err)
		return err;
	return ctx->cb(&dmb, ctx->arg);
}

DIBSNL_EXPORT int dibsnl_dmb_dump(struct dibsnl *h,
				  const struct dibsnl_dmb_filter *cfilter,
				  int (*cb)(const struct dibsnl_dmb *dmb,
					    void *arg),
				  void *arg)
{
	struct dmb_dump_ctx ctx = { .cb = cb, .arg = arg };
	const struct dibsnl_dmb_filter *filter = NULL;
	struct dibsnl_dmb_filter f;
	struct dibsnl_req r;
	int err;

	if (!h || !cb)
		return -EINVAL;
	if (cfilter) {
		/* fields the caller's layout lacks are 0: no filter */
		dibsnl_copy_out(&f, sizeof(f), cfilter,
				h->layout->dmb_filter);
		filter = &f;
	}
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_DMB_GET, NLM_F_DUMP);
	if (filter && (filter->dev.index || filter->dev.name)) {
		err = dibsnl_req_dev(h, &r, filter->dev, DIBS_A_DMB_DEV_INDEX,
				     DIBS_A_DMB_DEV_NAME);
		if (err)
			return err;
	}
	if (filter && filter->client_name)
		dibsnl_req_str(&r, DIBS_A_DMB_CLIENT_NAME, filter->client_name);
	return dibsnl_transact(h, &r, dmb_dump_one, &ctx);
}

DIBSNL_EXPORT int dibsnl_dmb_grant(struct dibsnl *h,
				   struct dibsnl_dev_ref dev,
				   const uint8_t rgid[DIBSNL_GID_LEN],
				   uint32_t len, bool owned,
				   struct dibsnl_dmb *out)
{
	struct dibsnl_req r;
	int err;

	if (!h || !rgid)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_DMB_GRANT, 0);
	err = dibsnl_req_dev(h, &r, dev, DIBS_A_DMB_DEV_INDEX,
			     DIBS_A_DMB_DEV_NAME);
	if (err)
		return err;
	dibsnl_req_put(&r, DIBS_A_DMB_RGID, rgid, DIBSNL_GID_LEN);
	dibsnl_req_u32(&r, DIBS_A_DMB_LEN, len);
	if (owned)
		dibsnl_req_flag(&r, DIBS_A_DMB_OWNED);
	return dibsnl_do(h, &r, out ? dmb_reply : NULL,
			 &(struct dibsnl_out){ out, h->layout->dmb });
}

DIBSNL_EXPORT int dibsnl_dmb_revoke(struct dibsnl *h,
				    struct dibsnl_dev_ref dev, uint64_t token)
{
	struct dibsnl_req r;
	int err;

	if (!h)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_DMB_REVOKE, 0);
	err = dibsnl_req_dev(h, &r, dev, DIBS_A_DMB_DEV_INDEX,
			     DIBS_A_DMB_DEV_NAME);
	if (err)
		return err;
	dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, token);
	return dibsnl_do(h, &r, NULL, NULL);
}
