// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibs-ivshmem-server: create the region, listen, and serve until SIGTERM
 * or SIGINT. One thread and one poll() over the listening socket, a
 * signalfd and the clients: joins and departures are handled one at a
 * time, so the peer table never sees two at once.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include "server.h"

static int open_signalfd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	/* A client that vanishes must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return fd;
}

static void accept_all(struct server *s, int lfd)
{
	int conn;

	for (;;) {
		conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				msg("accept: %s", strerror(errno));
			return;
		}
		peer_join(s, conn);
	}
}

/* Returns the signal that ended the loop, or -1 on an error. */
static int serve(struct server *s, int lfd, int sfd)
{
	unsigned int n = s->opt->max_peers, i, nfds;
	struct pollfd *pfd;
	unsigned int *ids;
	struct signalfd_siginfo si;
	int rc = -1;

	pfd = calloc(n + 2, sizeof(*pfd));
	ids = calloc(n + 2, sizeof(*ids));
	if (!pfd || !ids) {
		msg("out of memory");
		goto out;
	}
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		nfds = 2;
		for (i = 0; i < n; i++) {
			if (s->peers[i].conn < 0)
				continue;
			ids[nfds] = i;
			pfd[nfds++] = (struct pollfd){
				.fd = s->peers[i].conn, .events = POLLIN };
		}
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			msg("poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[0].revents & POLLIN &&
		    read(sfd, &si, sizeof(si)) == sizeof(si)) {
			rc = si.ssi_signo;
			goto out;
		}
		/* Clients first: their fds are the ones polled this round. */
		for (i = 2; i < nfds; i++)
			if (pfd[i].revents && s->peers[ids[i]].conn == pfd[i].fd)
				peer_input(s, ids[i], pfd[i].revents & (POLLHUP | POLLERR));
		if (pfd[1].revents & POLLIN)
			accept_all(s, lfd);
	}
out:
	free(pfd);
	free(ids);
	return rc;
}

int main(int argc, char **argv)
{
	struct server s = { .region = { .fd = -1 } };
	struct options o;
	struct layout l;
	int lfd = -1, sfd = -1, sig, ret, rc = 1;

	switch (options_parse(argc, argv, &o)) {
	case OPTS_EXIT_OK:
		return 0;
	case OPTS_EXIT_FAIL:
		return 1;
	}
	s.opt = &o;
	if (layout_compute(&o, &l) < 0 || region_create(&s.region, &o, &l) < 0)
		return 1;
	if (peers_init(&s) < 0)
		goto out;
	sfd = open_signalfd();
	if (sfd < 0) {
		msg("signalfd: %s", strerror(errno));
		goto out;
	}
	lfd = listen_open(&o);
	if (lfd < 0)
		goto out;
	msg("fabric 0x%04x, %llu bytes, %u peers x %u DMBs, %llu bytes of buffers each, %u vectors: listening on %s",
	    o.fabric_id, (unsigned long long)l.region_size, o.max_peers,
	    o.dmbs_per_peer, (unsigned long long)l.data_size, o.vectors,
	    o.socket_path);
	/* Type=notify: units ordered after ours find the socket listening. */
	ret = sd_notify(0, "READY=1");
	if (ret < 0)
		msg("telling systemd we are ready: %s", strerror(-ret));
	sig = serve(&s, lfd, sfd);
	if (sig > 0) {
		msg("%s: exiting", strsignal(sig));
		rc = 0;
	}
out:
	peers_fini(&s);
	if (lfd >= 0)
		listen_close(lfd, o.socket_path);
	if (sfd >= 0)
		close(sfd);
	region_destroy(&s.region);
	return rc;
}
