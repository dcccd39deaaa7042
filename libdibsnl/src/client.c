// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Clients: the client-get dump and the parser of the client object.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

static const struct dibsnl_policy client_policy[DIBS_A_CLIENT_MAX + 1] = {
	[DIBS_A_CLIENT_ID]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_CLIENT_NAME]		= { .kind = DIBSNL_ATTR_STRING },
	[DIBS_A_CLIENT_DMB_COUNT]	= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_CLIENT_DEV]		= { .kind = DIBSNL_ATTR_NEST },
};

static const struct dibsnl_policy
client_dev_policy[DIBS_A_CLIENT_DEV_MAX + 1] = {
	[DIBS_A_CLIENT_DEV_INDEX]	= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_CLIENT_DEV_DMB_COUNT]	= { .kind = DIBSNL_ATTR_U32 },
};

/* Each DIBS_A_CLIENT_DEV nest; more than DIBSNL_CLIENT_DEVS_MAX: dropped */
static int client_dev(const struct nlattr *a, void *arg)
{
	const struct nlattr *tb[DIBS_A_CLIENT_DEV_MAX + 1];
	struct dibsnl_client *c = arg;
	struct dibsnl_client_dev *d;
	int err;

	if (mnl_attr_get_type(a) != DIBS_A_CLIENT_DEV)
		return 0;
	err = dibsnl_attr_parse_nested(a, client_dev_policy,
				       DIBS_A_CLIENT_DEV_MAX, tb);
	if (err)
		return err;
	if (!tb[DIBS_A_CLIENT_DEV_INDEX])
		return -EINVAL;
	if (c->n_devs >= DIBSNL_CLIENT_DEVS_MAX)
		return 0;

	d = &c->devs[c->n_devs++];
	d->dev_index = dibsnl_attr_u32(tb[DIBS_A_CLIENT_DEV_INDEX], 0);
	d->dmb_count = dibsnl_attr_u32(tb[DIBS_A_CLIENT_DEV_DMB_COUNT], 0);
	return 0;
}

int dibsnl_parse_client(const struct nlmsghdr *nlh,
			struct dibsnl_client *out)
{
	const struct nlattr *tb[DIBS_A_CLIENT_MAX + 1];
	const void *attrs;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	err = dibsnl_genl_parse(nlh, client_policy, DIBS_A_CLIENT_MAX, tb);
	if (err)
		return err;
	if (!tb[DIBS_A_CLIENT_ID])
		return -EINVAL;

	out->id = dibsnl_attr_u32(tb[DIBS_A_CLIENT_ID], 0);
	dibsnl_attr_strcpy(out->name, sizeof(out->name),
			   tb[DIBS_A_CLIENT_NAME]);
	out->dmb_count = dibsnl_attr_u32(tb[DIBS_A_CLIENT_DMB_COUNT], 0);

	/* the devices are a multi-attribute: walk them all */
	attrs = dibsnl_genl_attrs(nlh, &len);
	return dibsnl_attr_walk(attrs, len, client_dev, out);
}

struct client_dump_ctx {
	int (*cb)(const struct dibsnl_client *c, void *arg);
	void *arg;
};

static int client_dump_one(const struct nlmsghdr *nlh, void *arg)
{
	struct client_dump_ctx *ctx = arg;
	struct dibsnl_client c;
	int err;

	err = dibsnl_parse_client(nlh, &c);
	if (err)
		return err;
	return ctx->cb(&c, ctx->arg);
}

DIBSNL_EXPORT int dibsnl_client_dump(struct dibsnl *h,
				     int (*cb)(const struct dibsnl_client *c,
					       void *arg),
				     void *arg)
{
	struct client_dump_ctx ctx = { .cb = cb, .arg = arg };
	struct dibsnl_req r;

	if (!h || !cb)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_CLIENT_GET, NLM_F_DUMP);
	return dibsnl_transact(h, &r, client_dump_one, &ctx);
}
