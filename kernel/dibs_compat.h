/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few in-kernel API differences between the kernels dibs supports
 * (Debian 12's 6.1 and 6.12), kept here so the rest of the code has none.
 * Kbuild tests the headers for each feature and defines DIBS_HAVE_*.
 */
#ifndef _DIBS_COMPAT_H
#define _DIBS_COMPAT_H

#include <net/genetlink.h>

/* struct device_type.uevent takes a const device since 6.3. */
#ifdef DIBS_HAVE_CONST_UEVENT
#define DIBS_UEVENT_CONST const
#else
#define DIBS_UEVENT_CONST
#endif

/* A dump's parsed attributes moved into a struct genl_info in 6.2. */
static inline struct nlattr **dibs_dump_attrs(struct netlink_callback *cb)
{
#ifdef DIBS_HAVE_DUMPIT_INFO_INFO
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * Split ops (a do and a dump entry per command, each with its own policy
 * and hooks) came in 6.2; the generated op table (dibs_nl_gen.c) is one.
 * For 6.1 the struct is declared here as 6.2 has it, and dibs_netlink.c
 * turns the table into plain genl_ops when the module loads. This header
 * is included first in dibs_nl_gen.c too (Kbuild).
 */
#ifndef DIBS_HAVE_GENL_SPLIT_OPS
struct genl_split_ops {
	union {
		struct {
			int (*pre_doit)(const struct genl_split_ops *ops,
					struct sk_buff *skb,
					struct genl_info *info);
			int (*doit)(struct sk_buff *skb,
				    struct genl_info *info);
			void (*post_doit)(const struct genl_split_ops *ops,
					  struct sk_buff *skb,
					  struct genl_info *info);
		};
		struct {
			int (*start)(struct netlink_callback *cb);
			int (*dumpit)(struct sk_buff *skb,
				      struct netlink_callback *cb);
			int (*done)(struct netlink_callback *cb);
		};
	};
	const struct nla_policy *policy;
	unsigned int		maxattr;
	u8			cmd;
	u8			internal_flags;
	u8			flags;
	u8			validate;
};
#endif

/*
 * A policy's range struct is const since 6.2 (the generated ones are);
 * 6.1 only reads it through a pointer that is not.
 */
#ifndef DIBS_HAVE_CONST_RANGE
#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, _range) {				\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),			\
	.validation_type = NLA_VALIDATE_RANGE_PTR,			\
	.range = (struct netlink_range_validation *)(_range),		\
}
#endif

/* A dump's context struct fits cb->ctx: the kernel's check where it has it. */
#ifdef DIBS_HAVE_NL_ASSERT_DUMP_CTX_FITS
#define DIBS_ASSERT_DUMP_CTX_FITS(type) NL_ASSERT_DUMP_CTX_FITS(type)
#else
#define DIBS_ASSERT_DUMP_CTX_FITS(type) \
	BUILD_BUG_ON(sizeof(type) > sizeof_field(struct netlink_callback, ctx))
#endif

/*
 * Multicast groups only CAP_NET_ADMIN (in the user namespace owning the
 * network namespace) may join: GENL_MCAST_CAP_NET_ADMIN, upstream for
 * 6.7 and in Debian's 6.1 (a stable backport). Where the kernel lacks it
 * the groups stay open to anyone: struct genl_multicast_group may still
 * have a flags field there, but nothing reads it.
 */
#ifdef DIBS_HAVE_MCAST_CAP
#define DIBS_MCGRP_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#else
#define DIBS_MCGRP_FLAGS	0
#endif

/* Formatted extack messages exist since 6.2; before, the plain text. */
#ifdef NL_SET_ERR_MSG_FMT
#define DIBS_SET_ERR_MSG_FMT(extack, plain, fmt, args...) do {	\
	(void)(plain);						\
	NL_SET_ERR_MSG_FMT(extack, fmt, ##args);		\
} while (0)
#else
#define DIBS_SET_ERR_MSG_FMT(extack, plain, fmt, args...) do {	\
	(void)(fmt);						\
	NL_SET_ERR_MSG(extack, plain);				\
} while (0)
#endif

/* vm_flags became read-only outside of vm_flags_set() in 6.3. */
#ifdef DIBS_HAVE_VM_FLAGS_SET
#define dibs_vm_flags_set(vma, flags)	vm_flags_set(vma, flags)
#define dibs_vm_flags_clear(vma, flags)	vm_flags_clear(vma, flags)
#else
#define dibs_vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#define dibs_vm_flags_clear(vma, flags)	((vma)->vm_flags &= ~(flags))
#endif

#endif /* _DIBS_COMPAT_H */
