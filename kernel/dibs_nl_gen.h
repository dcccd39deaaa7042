/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	uapi/dibs.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_DIBS_GEN_H
#define _LINUX_DIBS_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/dibs.h>

/* Ops table for dibs */
extern const struct genl_split_ops dibs_nl_ops[14];

int dibs_nl_pre_doit_dev(const struct genl_split_ops *ops, struct sk_buff *skb,
			 struct genl_info *info);
int dibs_nl_pre_doit_dev_held(const struct genl_split_ops *ops,
			      struct sk_buff *skb, struct genl_info *info);
int dibs_nl_pre_doit_dmb(const struct genl_split_ops *ops, struct sk_buff *skb,
			 struct genl_info *info);
int dibs_nl_pre_doit_dmb_read(const struct genl_split_ops *ops,
			      struct sk_buff *skb, struct genl_info *info);
int dibs_nl_pre_doit_event(const struct genl_split_ops *ops,
			   struct sk_buff *skb, struct genl_info *info);
void
dibs_nl_post_doit_unlock(const struct genl_split_ops *ops, struct sk_buff *skb,
			 struct genl_info *info);
void
dibs_nl_post_doit_put(const struct genl_split_ops *ops, struct sk_buff *skb,
		      struct genl_info *info);
int dibs_nl_dmb_get_start(struct netlink_callback *cb);

int dibs_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int dibs_nl_dev_new_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_dev_del_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_remote_query_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_dmb_get_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_dmb_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int dibs_nl_dmb_grant_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_dmb_revoke_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_dmb_write_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_dmb_read_doit(struct sk_buff *skb, struct genl_info *info);
int dibs_nl_client_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int dibs_nl_event_signal_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	DIBS_NLGRP_MGMT,
	DIBS_NLGRP_SIGNAL,
};

#endif /* _LINUX_DIBS_GEN_H */
