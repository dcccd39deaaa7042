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
 * The op the family's pre_doit and post_doit are given: a split op since
 * 6.2, the op of the table itself before. Both have cmd and internal_flags.
 */
#ifdef DIBS_HAVE_GENL_SPLIT_OPS
#define dibs_genl_doit_ops	genl_split_ops
#else
#define dibs_genl_doit_ops	genl_ops
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
