// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gids as text: the 36-character uuid form, dashes required, hex digits in
 * either case; formatted in lower case.
 */
#include <errno.h>
#include <string.h>

#include <uuid/uuid.h>

#include "internal.h"

DIBSNL_EXPORT int dibsnl_gid_parse(const char *text,
				   uint8_t gid[DIBSNL_GID_LEN])
{
	uuid_t u;

	/* older libuuids read only the first 36 characters */
	if (!text || !gid || strnlen(text, DIBSNL_GID_STR_LEN) !=
			     DIBSNL_GID_STR_LEN - 1)
		return -EINVAL;
	if (uuid_parse(text, u))
		return -EINVAL;
	memcpy(gid, u, DIBSNL_GID_LEN);
	return 0;
}

DIBSNL_EXPORT void dibsnl_gid_format(const uint8_t gid[DIBSNL_GID_LEN],
				     char text[DIBSNL_GID_STR_LEN])
{
	uuid_unparse_lower(gid, text);
}
