// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Clients: the client-get dump and the parser of the client object.
 */
#include <errno.h>
#include <stdlib.h>
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

/* One DIBS_A_CLIENT_DEV nest into @d; 0, or -EINVAL when malformed. */
static int client_dev_parse(const struct nlattr *a, struct dibsnl_client_dev *d)
{
	const struct nlattr *tb[DIBS_A_CLIENT_DEV_MAX + 1];
	int err;

	err = dibsnl_attr_parse_nested(a, client_dev_policy,
				       DIBS_A_CLIENT_DEV_MAX, tb);
	if (err)
		return err;
	if (!tb[DIBS_A_CLIENT_DEV_INDEX])
		return -EINVAL;
	d->dev_index = dibsnl_attr_u32(tb[DIBS_A_CLIENT_DEV_INDEX], 0);
	d->dmb_count = dibsnl_attr_u32(tb[DIBS_A_CLIENT_DEV_DMB_COUNT], 0);
	return 0;
}

/* Each DIBS_A_CLIENT_DEV nest; more than DIBSNL_CLIENT_DEVS_MAX: dropped */
static int client_dev(const struct nlattr *a, void *arg)
{
	struct dibsnl_client *c = arg;
	struct dibsnl_client_dev d;
	int err;

	if (mnl_attr_get_type(a) != DIBS_A_CLIENT_DEV)
		return 0;
	err = client_dev_parse(a, &d);
	if (err)
		return err;
	c->n_devs_all++;
	if (c->n_devs >= DIBSNL_CLIENT_DEVS_MAX)
		return 0;
	c->devs[c->n_devs++] = d;
	return 0;
}

/* The client's own attributes, without its devices. */
static int client_parse_head(const struct nlmsghdr *nlh,
			     struct dibsnl_client *out)
{
	const struct nlattr *tb[DIBS_A_CLIENT_MAX + 1];
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
	return 0;
}

int dibsnl_parse_client(const struct nlmsghdr *nlh,
			struct dibsnl_client *out)
{
	const void *attrs;
	size_t len;
	int err;

	err = client_parse_head(nlh, out);
	if (err)
		return err;
	/* the devices are a multi-attribute: walk them all */
	attrs = dibsnl_genl_attrs(nlh, &len);
	return dibsnl_attr_walk(attrs, len, client_dev, out);
}

/*
 * The dump: the kernel continues a client whose devices do not fit one
 * message in the next ones (same id, the following devices), so messages
 * in a row with one id are one client. Its devices are gathered here, all
 * of them, and the client is handed on when the next one starts or the
 * dump ends.
 */
struct client_dump_ctx {
	dibsnl_client_devs_cb cb;
	void *arg;
	bool have;			/* cur is a client not handed on yet */
	struct dibsnl_client cur;	/* devs: the first ones */
	struct dibsnl_client_dev *devs;	/* all of cur's devices */
	unsigned int n_devs, cap;
};

static int client_dump_flush(struct client_dump_ctx *ctx)
{
	unsigned int all = ctx->n_devs, n = all;

	if (!ctx->have)
		return 0;
	ctx->have = false;
	ctx->n_devs = 0;
	if (n > DIBSNL_CLIENT_DEVS_MAX)
		n = DIBSNL_CLIENT_DEVS_MAX;
	if (n)
		memcpy(ctx->cur.devs, ctx->devs, n * sizeof(*ctx->devs));
	ctx->cur.n_devs = n;
	ctx->cur.n_devs_all = all;
	return ctx->cb(&ctx->cur, ctx->devs, all, ctx->arg);
}

static int client_dump_dev(const struct nlattr *a, void *arg)
{
	struct client_dump_ctx *ctx = arg;
	struct dibsnl_client_dev *devs;
	unsigned int cap;

	if (mnl_attr_get_type(a) != DIBS_A_CLIENT_DEV)
		return 0;
	if (ctx->n_devs == ctx->cap) {
		cap = ctx->cap ? 2 * ctx->cap : DIBSNL_CLIENT_DEVS_MAX;
		devs = realloc(ctx->devs, cap * sizeof(*devs));
		if (!devs)
			return -ENOMEM;
		ctx->devs = devs;
		ctx->cap = cap;
	}
	return client_dev_parse(a, &ctx->devs[ctx->n_devs++]) ? -EINVAL : 0;
}

static int client_dump_one(const struct nlmsghdr *nlh, void *arg)
{
	struct client_dump_ctx *ctx = arg;
	struct dibsnl_client c;
	const void *attrs;
	size_t len;
	int err;

	err = client_parse_head(nlh, &c);
	if (err)
		return err;
	if (ctx->have && c.id != ctx->cur.id) {
		err = client_dump_flush(ctx);
		if (err)
			return err;
	}
	if (!ctx->have) {
		ctx->cur = c;
		ctx->have = true;
	}
	attrs = dibsnl_genl_attrs(nlh, &len);
	return dibsnl_attr_walk(attrs, len, client_dump_dev, ctx);
}

DIBSNL_EXPORT int dibsnl_client_dump_devs(struct dibsnl *h,
					  dibsnl_client_devs_cb cb, void *arg)
{
	struct client_dump_ctx ctx = { .cb = cb, .arg = arg };
	struct dibsnl_req r;
	int err, ferr;

	if (!h || !cb)
		return -EINVAL;
	dibsnl_clear_err(h);
	dibsnl_req_start(h, &r, DIBS_CMD_CLIENT_GET, NLM_F_DUMP);
	err = dibsnl_transact(h, &r, client_dump_one, &ctx);
	/* the last client; an interrupted dump still hands it on */
	if (!err || err == -EINTR) {
		ferr = client_dump_flush(&ctx);
		if (ferr)
			err = ferr;
	}
	free(ctx.devs);
	return err;
}

struct client_devs_adapter {
	int (*cb)(const struct dibsnl_client *c, void *arg);
	void *arg;
};

static int client_dump_capped(const struct dibsnl_client *c,
			      const struct dibsnl_client_dev *devs,
			      unsigned int n_devs, void *arg)
{
	struct client_devs_adapter *a = arg;

	(void)devs;
	(void)n_devs;
	return a->cb(c, a->arg);
}

DIBSNL_EXPORT int dibsnl_client_dump(struct dibsnl *h,
				     int (*cb)(const struct dibsnl_client *c,
					       void *arg),
				     void *arg)
{
	struct client_devs_adapter a = { .cb = cb, .arg = arg };

	if (!h || !cb)
		return -EINVAL;
	return dibsnl_client_dump_devs(h, client_dump_capped, &a);
}
