/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the "dibs" generic netlink family: the op
 * handlers (dibs_nl_dev.c, dibs_nl_dmb.c), the shared helpers of
 * dibs_netlink.c and the notifications' switch (dibs_nl_ntf.c).
 */
#ifndef _DIBS_NL_H
#define _DIBS_NL_H

#include <net/genetlink.h>
#include <uapi/linux/dibs.h>

#include "dibs_core.h"

/* The op table, its handlers and hooks, the multicast group numbers. */
#include "dibs_compat.h"
#include "dibs_nl_gen.h"

extern struct genl_family dibs_nl_family;

/* dibs_nl_ntf.c: notifications go out between start and stop. */
void dibs_nl_ntf_start(void);
void dibs_nl_ntf_stop(void);
void dibs_nl_ntf_flush(void);

/* One u64 counter of a stats nest: its attribute and where it is kept. */
struct dibs_nl_counter {
	int attr;
	const atomic64_t *val;
};

/* Puts @n counters into a nest @nest_attr (pad attribute @pad). */
int dibs_nl_put_counters(struct sk_buff *skb, int nest_attr, int pad,
			 const struct dibs_nl_counter *c, int n);

/* cb->seq for a dump over the device set (and with @dmbs, the DMB set). */
unsigned int dibs_nl_dump_seq(bool dmbs);

/*
 * What a dump callback returns when @ret stopped its walk: a full skb ends
 * this part (the next resumes), but an object that does not fit an empty
 * skb is an error, not the dump's silent end.
 */
static inline int dibs_nl_dump_ret(struct sk_buff *skb, int ret)
{
	return ret == -EMSGSIZE && skb->len ? skb->len : ret;
}

int dibs_nl_dev_fill(struct sk_buff *skb, struct dibs_dev *dibs,
		     struct net *viewer, u32 portid, u32 seq, int flags,
		     u8 cmd);
size_t dibs_nl_dmb_size(struct dibs_dev *dibs, struct dibs_client *client);
struct sk_buff *dibs_nl_dmb_msg_new(struct dibs_dmb_rec *rec, gfp_t gfp);
int dibs_nl_dmb_fill(struct sk_buff *skb, struct dibs_dmb_rec *rec,
		     u32 portid, u32 seq, int flags, u8 cmd);
int dibs_nl_client_fill(struct sk_buff *skb, struct dibs_client *client,
			struct net *viewer, u32 portid, u32 seq, int flags,
			u8 cmd);

/* Exposed to the KUnit tests (tests/kmod/dibs_kunit.c) only. */
#if IS_ENABLED(CONFIG_KUNIT)
const struct genl_split_ops *dibs_nl_cmd_ops(u8 cmd, u8 cap);
int dibs_nl_dmb_read_len_check(const struct nlattr *len,
			       struct netlink_ext_ack *extack);
bool dibs_nl_name_valid(const char *name);
#endif

#endif /* _DIBS_NL_H */
