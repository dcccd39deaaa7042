// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	uapi/dibs.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "dibs_nl_gen.h"

#include <uapi/linux/dibs.h>

/* Integer value ranges */
static const struct netlink_range_validation dibs_a_dmb_len_range = {
	.min	= 1ULL,
	.max	= DIBS_DMB_LEN_MAX,
};

/* DIBS_CMD_DEV_GET - do */
static const struct nla_policy dibs_dev_get_nl_policy[DIBS_A_DEV_NAME + 1] = {
	[DIBS_A_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
};

/* DIBS_CMD_DEV_NEW - do */
static const struct nla_policy dibs_dev_new_nl_policy[DIBS_A_DEV_FABRIC_ID + 1] = {
	[DIBS_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DEV_TYPE] = { .type = NLA_NUL_STRING, .len = 31, },
	[DIBS_A_DEV_FABRIC_ID] = { .type = NLA_U16, },
	[DIBS_A_DEV_GID] = NLA_POLICY_EXACT_LEN(DIBS_GID_LEN),
};

/* DIBS_CMD_DEV_DEL - do */
static const struct nla_policy dibs_dev_del_nl_policy[DIBS_A_DEV_NAME + 1] = {
	[DIBS_A_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
};

/* DIBS_CMD_DEV_SET - do */
static const struct nla_policy dibs_dev_set_nl_policy[DIBS_A_DEV_NETNS_FD + 1] = {
	[DIBS_A_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DEV_STATE] = NLA_POLICY_MAX(NLA_U32, 1),
	[DIBS_A_DEV_NETNS_PID] = { .type = NLA_U32, },
	[DIBS_A_DEV_NETNS_FD] = { .type = NLA_U32, },
};

/* DIBS_CMD_REMOTE_QUERY - do */
static const struct nla_policy dibs_remote_query_nl_policy[DIBS_A_DEV_REMOTE_GID + 1] = {
	[DIBS_A_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DEV_REMOTE_GID] = NLA_POLICY_EXACT_LEN(DIBS_GID_LEN),
};

/* DIBS_CMD_DMB_GET - do */
static const struct nla_policy dibs_dmb_get_do_nl_policy[DIBS_A_DMB_DEV_NAME + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DMB_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DMB_TOKEN] = { .type = NLA_U64, },
};

/* DIBS_CMD_DMB_GET - dump */
static const struct nla_policy dibs_dmb_get_dump_nl_policy[DIBS_A_DMB_CLIENT_NAME + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DMB_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DMB_CLIENT_NAME] = { .type = NLA_NUL_STRING, .len = 63, },
};

/* DIBS_CMD_DMB_GRANT - do */
static const struct nla_policy dibs_dmb_grant_nl_policy[DIBS_A_DMB_OWNED + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DMB_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DMB_RGID] = NLA_POLICY_EXACT_LEN(DIBS_GID_LEN),
	[DIBS_A_DMB_LEN] = NLA_POLICY_FULL_RANGE(NLA_U32, &dibs_a_dmb_len_range),
	[DIBS_A_DMB_OWNED] = { .type = NLA_FLAG, },
};

/* DIBS_CMD_DMB_REVOKE - do */
static const struct nla_policy dibs_dmb_revoke_nl_policy[DIBS_A_DMB_DEV_NAME + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DMB_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DMB_TOKEN] = { .type = NLA_U64, },
};

/* DIBS_CMD_DMB_WRITE - do */
static const struct nla_policy dibs_dmb_write_nl_policy[DIBS_A_DMB_SIGNAL_IDX + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DMB_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DMB_TOKEN] = { .type = NLA_U64, },
	[DIBS_A_DMB_OFFSET] = { .type = NLA_U32, },
	[DIBS_A_DMB_DATA] = { .type = NLA_BINARY, .len = DIBS_DATA_CHUNK_MAX, },
	[DIBS_A_DMB_SIGNAL_IDX] = NLA_POLICY_MAX(NLA_U32, DIBS_SIGNAL_IDX_MAX),
};

/* DIBS_CMD_DMB_READ - do */
static const struct nla_policy dibs_dmb_read_nl_policy[DIBS_A_DMB_OFFSET + 1] = {
	[DIBS_A_DMB_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_DMB_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_DMB_TOKEN] = { .type = NLA_U64, },
	[DIBS_A_DMB_OFFSET] = { .type = NLA_U32, },
	[DIBS_A_DMB_LEN] = NLA_POLICY_FULL_RANGE(NLA_U32, &dibs_a_dmb_len_range),
};

/* DIBS_CMD_EVENT_SIGNAL - do */
static const struct nla_policy dibs_event_signal_nl_policy[DIBS_A_EVENT_REMOTE_GID + 1] = {
	[DIBS_A_EVENT_DEV_INDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DIBS_A_EVENT_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[DIBS_A_EVENT_REMOTE_GID] = NLA_POLICY_EXACT_LEN(DIBS_GID_LEN),
	[DIBS_A_EVENT_SUBTYPE] = { .type = NLA_U32, },
	[DIBS_A_EVENT_DATA] = { .type = NLA_U64, },
};

/* Ops table for dibs */
const struct genl_split_ops dibs_nl_ops[14] = {
	{
		.cmd		= DIBS_CMD_DEV_GET,
		.pre_doit	= dibs_nl_pre_doit_dev,
		.doit		= dibs_nl_dev_get_doit,
		.post_doit	= dibs_nl_post_doit_unlock,
		.policy		= dibs_dev_get_nl_policy,
		.maxattr	= DIBS_A_DEV_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= DIBS_CMD_DEV_GET,
		.dumpit	= dibs_nl_dev_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= DIBS_CMD_DEV_NEW,
		.doit		= dibs_nl_dev_new_doit,
		.policy		= dibs_dev_new_nl_policy,
		.maxattr	= DIBS_A_DEV_FABRIC_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= DIBS_CMD_DEV_DEL,
		.pre_doit	= dibs_nl_pre_doit_dev_held,
		.doit		= dibs_nl_dev_del_doit,
		.post_doit	= dibs_nl_post_doit_put,
		.policy		= dibs_dev_del_nl_policy,
		.maxattr	= DIBS_A_DEV_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= DIBS_CMD_DEV_SET,
		.pre_doit	= dibs_nl_pre_doit_dev_held,
		.doit		= dibs_nl_dev_set_doit,
		.post_doit	= dibs_nl_post_doit_put,
		.policy		= dibs_dev_set_nl_policy,
		.maxattr	= DIBS_A_DEV_NETNS_FD,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= DIBS_CMD_REMOTE_QUERY,
		.pre_doit	= dibs_nl_pre_doit_dev,
		.doit		= dibs_nl_remote_query_doit,
		.post_doit	= dibs_nl_post_doit_unlock,
		.policy		= dibs_remote_query_nl_policy,
		.maxattr	= DIBS_A_DEV_REMOTE_GID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= DIBS_CMD_DMB_GET,
		.pre_doit	= dibs_nl_pre_doit_dmb,
		.doit		= dibs_nl_dmb_get_doit,
		.post_doit	= dibs_nl_post_doit_unlock,
		.policy		= dibs_dmb_get_do_nl_policy,
		.maxattr	= DIBS_A_DMB_DEV_NAME,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= DIBS_CMD_DMB_GET,
		.start		= dibs_nl_dmb_get_start,
		.dumpit		= dibs_nl_dmb_get_dumpit,
		.policy		= dibs_dmb_get_dump_nl_policy,
		.maxattr	= DIBS_A_DMB_CLIENT_NAME,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= DIBS_CMD_DMB_GRANT,
		.pre_doit	= dibs_nl_pre_doit_dmb,
		.doit		= dibs_nl_dmb_grant_doit,
		.post_doit	= dibs_nl_post_doit_unlock,
		.policy		= dibs_dmb_grant_nl_policy,
		.maxattr	= DIBS_A_DMB_OWNED,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= DIBS_CMD_DMB_REVOKE,
		.pre_doit	= dibs_nl_pre_doit_dmb,
		.doit		= dibs_nl_dmb_revoke_doit,
		.post_doit	= dibs_nl_post_doit_unlock,
		.policy		= dibs_dmb_revoke_nl_policy,
		.maxattr	= DIBS_A_DMB_DEV_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= DIBS_CMD_DMB_WRITE,
		.doit		= dibs_nl_dmb_write_doit,
		.policy		= dibs_dmb_write_nl_policy,
		.maxattr	= DIBS_A_DMB_SIGNAL_IDX,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= DIBS_CMD_DMB_READ,
		.pre_doit	= dibs_nl_pre_doit_dmb_read,
		.doit		= dibs_nl_dmb_read_doit,
		.post_doit	= dibs_nl_post_doit_unlock,
		.policy		= dibs_dmb_read_nl_policy,
		.maxattr	= DIBS_A_DMB_OFFSET,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= DIBS_CMD_CLIENT_GET,
		.dumpit	= dibs_nl_client_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= DIBS_CMD_EVENT_SIGNAL,
		.pre_doit	= dibs_nl_pre_doit_event,
		.doit		= dibs_nl_event_signal_doit,
		.post_doit	= dibs_nl_post_doit_unlock,
		.policy		= dibs_event_signal_nl_policy,
		.maxattr	= DIBS_A_EVENT_REMOTE_GID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};
