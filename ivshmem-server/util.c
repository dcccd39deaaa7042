// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging. */
#include <stdarg.h>
#include <stdio.h>

#include "server.h"

/* One line on stderr: the journal when systemd runs us. */
void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
