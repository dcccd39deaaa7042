// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library's version: the project's, from the top-level VERSION file
 * (the Makefile passes it in).
 */
#include "internal.h"

#ifndef DIBSNL_VERSION
#error "DIBSNL_VERSION comes from ../VERSION: build with libdibsnl/Makefile"
#endif

DIBSNL_EXPORT const char *dibsnl_version(void)
{
	return DIBSNL_VERSION;
}
