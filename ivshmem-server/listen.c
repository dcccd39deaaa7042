// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The UNIX socket QEMU connects to. A socket file left by a server that
 * died is replaced; one a live server listens on, or a file that is not a
 * socket, is refused rather than taken over.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "server.h"

static int fail(const char *path, const char *what)
{
	fprintf(stderr, "%s: --socket %s: %s\n", PROG_NAME, path, what);
	return -1;
}

/* 0 when nothing is at @path (any more), -1 (with a message) otherwise. */
static int clear_stale(const struct sockaddr_un *sa, const char *path)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : fail(path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return fail(path, "exists and is not a socket");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(path, strerror(errno));
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0)
		return fail(path, "another server is listening there");
	if (errno != ECONNREFUSED)
		return fail(path, strerror(errno));
	if (unlink(path) < 0 && errno != ENOENT)
		return fail(path, strerror(errno));
	return 0;
}

static int set_access(const char *path, const char *group)
{
	struct group *g;

	if (!group)
		return chmod(path, 0600) < 0 ? fail(path, strerror(errno)) : 0;
	errno = 0;
	g = getgrnam(group);
	if (!g) {
		fprintf(stderr, "%s: invalid --group \"%s\": %s\n", PROG_NAME,
			group, errno ? strerror(errno) : "no such group");
		return -1;
	}
	if (chown(path, -1, g->gr_gid) < 0 || chmod(path, 0660) < 0) {
		fprintf(stderr, "%s: --group %s: %s\n", PROG_NAME, group,
			strerror(errno));
		return -1;
	}
	return 0;
}

int listen_open(const struct options *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	/* options_parse() checked the length. */
	strncpy(sa.sun_path, o->socket_path, sizeof(sa.sun_path) - 1);
	if (clear_stale(&sa, o->socket_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(o->socket_path, strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fail(o->socket_path, strerror(errno));
		close(fd);
		return -1;
	}
	if (set_access(o->socket_path, o->group) < 0)
		goto fail;
	if (listen(fd, 16) < 0) {
		fail(o->socket_path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	listen_close(fd, o->socket_path);
	return -1;
}

void listen_close(int fd, const char *path)
{
	close(fd);
	unlink(path);
}
