// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Resolving a generic netlink family through nlctrl: its id, its version
 * and the ids of the multicast groups dibs defines.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

static const struct dibsnl_policy ctrl_policy[CTRL_ATTR_MCAST_GROUPS + 1] = {
	[CTRL_ATTR_FAMILY_ID]		= { .kind = DIBSNL_ATTR_U16 },
	[CTRL_ATTR_FAMILY_NAME]		= { .kind = DIBSNL_ATTR_STRING },
	[CTRL_ATTR_VERSION]		= { .kind = DIBSNL_ATTR_U32 },
	[CTRL_ATTR_MCAST_GROUPS]	= { .kind = DIBSNL_ATTR_NEST },
};

static const struct dibsnl_policy grp_policy[CTRL_ATTR_MCAST_GRP_ID + 1] = {
	[CTRL_ATTR_MCAST_GRP_NAME]	= { .kind = DIBSNL_ATTR_STRING },
	[CTRL_ATTR_MCAST_GRP_ID]	= { .kind = DIBSNL_ATTR_U32 },
};

/* One entry of CTRL_ATTR_MCAST_GROUPS: a nest of name and id. */
static int family_group(const struct nlattr *a, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_ID + 1];
	struct dibsnl_family_info *fi = arg;
	char name[GENL_NAMSIZ];
	uint32_t id;
	int err;

	err = dibsnl_attr_parse_nested(a, grp_policy, CTRL_ATTR_MCAST_GRP_ID,
				       tb);
	if (err)
		return err;
	if (!tb[CTRL_ATTR_MCAST_GRP_NAME] || !tb[CTRL_ATTR_MCAST_GRP_ID])
		return -EINVAL;

	dibsnl_attr_strcpy(name, sizeof(name), tb[CTRL_ATTR_MCAST_GRP_NAME]);
	id = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	if (!strcmp(name, DIBS_MCGRP_MGMT))
		fi->mcgrp_mgmt = id;
	else if (!strcmp(name, DIBS_MCGRP_SIGNAL))
		fi->mcgrp_signal = id;
	return 0;
}

int dibsnl_parse_family(const struct nlmsghdr *nlh,
			struct dibsnl_family_info *fi)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GROUPS + 1];
	const struct nlattr *grps;
	int err;

	memset(fi, 0, sizeof(*fi));
	err = dibsnl_genl_parse(nlh, ctrl_policy, CTRL_ATTR_MCAST_GROUPS, tb);
	if (err)
		return err;
	if (!tb[CTRL_ATTR_FAMILY_ID])
		return -EINVAL;

	fi->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		fi->version = mnl_attr_get_u32(tb[CTRL_ATTR_VERSION]);

	grps = tb[CTRL_ATTR_MCAST_GROUPS];
	if (grps)
		return dibsnl_attr_walk(mnl_attr_get_payload(grps),
					mnl_attr_get_payload_len(grps),
					family_group, fi);
	return 0;
}

struct family_ctx {
	struct dibsnl_family_info *fi;
	bool seen;
};

static int family_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct family_ctx *ctx = arg;

	ctx->seen = true;
	return dibsnl_parse_family(nlh, ctx->fi);
}

int dibsnl_resolve_family(struct dibsnl *h, const char *name,
			  struct dibsnl_family_info *fi)
{
	struct family_ctx ctx = { .fi = fi };
	struct dibsnl_req r;
	int err;

	dibsnl_clear_err(h);
	dibsnl_req_init(&r, h->tx, DIBSNL_TX_SIZE, GENL_ID_CTRL,
			CTRL_CMD_GETFAMILY, 1, 0);
	dibsnl_req_str(&r, CTRL_ATTR_FAMILY_NAME, name);
	err = dibsnl_transact(h, &r, family_reply, &ctx);
	if (err)
		return err;
	return ctx.seen ? 0 : -EPROTO;
}
