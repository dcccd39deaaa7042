// SPDX-License-Identifier: GPL-2.0
/* What the test tools share (tool.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"

const char *errname(int err)
{
	switch (err) {
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENETDOWN: return "ENETDOWN";
	case EPERM: return "EPERM";
	case ENOSPC: return "ENOSPC";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EBUSY: return "EBUSY";
	default: return "E?";
	}
}

void usage(void)
{
	fprintf(stderr, "usage: see the comment at the top of %s.c\n",
		program_invocation_short_name);
	exit(2);
}

struct dibsnl_dev_ref parse_dev(const char *s)
{
	struct dibsnl_dev_ref ref = { 0, s };
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s && !*end) {
		ref.index = v;
		ref.name = NULL;
	}
	return ref;
}

uint64_t parse_num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		usage();
	return v;
}
