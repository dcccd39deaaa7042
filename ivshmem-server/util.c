// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging, and telling systemd (Type=notify) that the socket is there. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

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

/*
 * sd_notify("READY=1") without libsystemd: one datagram to $NOTIFY_SOCKET
 * ('@' is the abstract namespace). Units ordered after ours then find the
 * socket listening. Without systemd there is nothing to tell.
 */
void notify_ready(void)
{
	static const char ready[] = "READY=1";
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, ready, sizeof(ready) - 1, MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, len) < 0)
		msg("telling systemd we are ready: %m");
	close(fd);
}
