/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few in-kernel API differences between the kernels dibs supports
 * (Debian 12's 6.1 and 6.12), kept here so the rest of the code has none.
 * Kbuild tests the headers for each feature and defines DIBS_HAVE_*.
 */
#ifndef _DIBS_COMPAT_H
#define _DIBS_COMPAT_H

/* struct device_type.uevent takes a const device since 6.3. */
#ifdef DIBS_HAVE_CONST_UEVENT
#define DIBS_UEVENT_CONST const
#else
#define DIBS_UEVENT_CONST
#endif

#endif /* _DIBS_COMPAT_H */
