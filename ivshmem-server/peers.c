// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Peers: an id for each connected QEMU, its eventfds (one per vector), the
 * messages QEMU's protocol prescribes when a peer joins or leaves, and the
 * peer table entries of uapi/ivshmem-layout.md.
 *
 * A send that fails (the client went away or did not take its messages
 * within the send timeout) never drops a peer in the middle of another
 * peer's join or departure: it marks the peer doomed, and sweep() drops
 * doomed peers once the current step is complete.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "server.h"

/* A client that has not taken a message after this long is dropped. */
#define SEND_TIMEOUT_S	2

static bool connected(const struct server *s, unsigned int id)
{
	return s->peers[id].conn >= 0 && !s->peers[id].doomed;
}

static void send_or_doom(struct server *s, unsigned int to, int64_t value,
			 int fd)
{
	struct peer *p = &s->peers[to];

	if (!connected(s, to))
		return;
	if (s->opt->verbose)
		msg("to peer %u: %lld%s", to, (long long)value, fd >= 0 ? " + fd" : "");
	if (proto_send(p->conn, value, fd) < 0) {
		msg("peer %u: sending failed (%s): dropping it",
		    to, errno ? strerror(errno) : "short write");
		p->doomed = true;
	}
}

static void close_eventfds(struct server *s, struct peer *p)
{
	unsigned int v;

	for (v = 0; v < s->opt->vectors; v++) {
		if (p->efd[v] >= 0)
			close(p->efd[v]);
		p->efd[v] = -1;
	}
}

static int open_eventfds(struct server *s, struct peer *p)
{
	unsigned int v;

	for (v = 0; v < s->opt->vectors; v++) {
		/* Non-blocking: a ring never waits on a guest that is behind. */
		p->efd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (p->efd[v] < 0) {
			msg("eventfd: %s", strerror(errno));
			close_eventfds(s, p);
			return -1;
		}
	}
	return 0;
}

/* Vector @vec of peer @id: what the peer's doorbell write would do. */
static void ring(struct server *s, unsigned int id, unsigned int vec)
{
	uint64_t one = 1;

	if (write(s->peers[id].efd[vec], &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		msg("ringing peer %u vector %u: %s", id, vec, strerror(errno));
}

/*
 * QEMU 7.2's ivshmem-doorbell frees a peer's eventfds when told that the
 * peer left, and writes into that freed memory when the same id joins
 * again: its heap is corrupted. So an id goes to a new client only when
 * no connected peer was told it left; told_left keeps who was told what.
 * A peer that joins after the departure never had the id's eventfds.
 */
static bool told_left(const struct server *s, unsigned int j, unsigned int id)
{
	return s->told_left[j * s->row_bytes + id / 8] & (1u << (id % 8));
}

static void set_told_left(struct server *s, unsigned int j, unsigned int id)
{
	s->told_left[j * s->row_bytes + id / 8] |= 1u << (id % 8);
}

/* Peer @j is gone: what it was told no longer holds an id back. */
static void forget_told_left(struct server *s, unsigned int j)
{
	memset(s->told_left + j * s->row_bytes, 0, s->row_bytes);
}

static bool watched_leave(const struct server *s, unsigned int id)
{
	unsigned int j;

	for (j = 0; j < s->opt->max_peers; j++)
		if (s->peers[j].conn >= 0 && told_left(s, j, id))
			return true;
	return false;
}

/*
 * Ids are handed out in turn: the first free one after the last given
 * that no connected peer saw leave. -1: none free; -2: the free ones were
 * all seen leaving.
 */
static int pick_id(struct server *s)
{
	unsigned int i, id;
	int ret = -1;

	for (i = 0; i < s->opt->max_peers; i++) {
		id = (s->next_id + i) % s->opt->max_peers;
		if (s->peers[id].conn >= 0)
			continue;
		if (watched_leave(s, id)) {
			ret = -2;
			continue;
		}
		s->next_id = (id + 1) % s->opt->max_peers;
		return id;
	}
	return ret;
}

static void peer_leave(struct server *s, unsigned int id, const char *why)
{
	struct peer *p = &s->peers[id];
	unsigned int j;

	close(p->conn);
	p->conn = -1;
	p->doomed = false;
	/* The table first, so that the drivers the doorbells wake see it. */
	region_peer_dead(&s->region, id);
	region_set_peer_count(&s->region, --s->count);
	msg("peer %u left (generation %u): %s", id, p->generation, why);

	for (j = 0; j < s->opt->max_peers; j++)
		if (connected(s, j))
			ring(s, j, DIBS_IVSHMEM_VEC_PEERS);
	for (j = 0; j < s->opt->max_peers; j++) {
		if (!connected(s, j))
			continue;
		send_or_doom(s, j, id, -1);
		set_told_left(s, j, id);
	}
	forget_told_left(s, id);
	close_eventfds(s, p);
}

/* Drop the peers a failed send doomed; dropping one may doom another. */
static void sweep(struct server *s)
{
	unsigned int id;
	bool again;

	do {
		again = false;
		for (id = 0; id < s->opt->max_peers; id++) {
			if (s->peers[id].conn >= 0 && s->peers[id].doomed) {
				peer_leave(s, id, "it did not take its messages");
				again = true;
			}
		}
	} while (again);
}

/* The order of QEMU's docs/specs/ivshmem-spec.rst, "On connect". */
static void greet(struct server *s, unsigned int id)
{
	struct peer *p = &s->peers[id];
	unsigned int j, v;

	send_or_doom(s, id, IVSHMEM_PROTOCOL_VERSION, -1);
	send_or_doom(s, id, id, -1);
	send_or_doom(s, id, IVSHMEM_SHM_MSG, s->region.fd);
	/* The others learn how to interrupt the new peer ... */
	for (j = 0; j < s->opt->max_peers; j++)
		for (v = 0; j != id && v < s->opt->vectors; v++)
			send_or_doom(s, j, id, p->efd[v]);
	/* ... the new peer how to interrupt each of them ... */
	for (j = 0; j < s->opt->max_peers; j++)
		for (v = 0; j != id && connected(s, j) && v < s->opt->vectors; v++)
			send_or_doom(s, id, j, s->peers[j].efd[v]);
	/* ... and which eventfds are its own interrupts. */
	for (v = 0; v < s->opt->vectors; v++)
		send_or_doom(s, id, id, p->efd[v]);
}

void peer_join(struct server *s, int conn)
{
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	struct peer *p;
	int id;

	id = pick_id(s);
	if (id == -2) {
		msg("a client connected, but each free peer id left while a connected peer watched, and QEMU cannot take such an id back (--max-peers): refused");
		close(conn);
		return;
	}
	if (id < 0) {
		msg("a client connected, but all %u peer ids are taken (--max-peers): refused",
		    s->opt->max_peers);
		close(conn);
		return;
	}
	p = &s->peers[id];
	if (setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    open_eventfds(s, p) < 0) {
		msg("a client connected, but setting it up failed: refused");
		close(conn);
		return;
	}
	p->conn = conn;
	p->doomed = false;
	if (++p->generation == 0)
		p->generation = 1;
	region_peer_alive(&s->region, id, p->generation);
	region_set_peer_count(&s->region, ++s->count);
	msg("peer %u joined (generation %u)", id, p->generation);
	greet(s, id);
	sweep(s);
}

/*
 * The protocol has the server talk and the client listen: input is either
 * the end of the connection or a client that is not QEMU.
 */
void peer_input(struct server *s, unsigned int id, bool hangup)
{
	char c;
	ssize_t n;

	n = recv(s->peers[id].conn, &c, 1, MSG_DONTWAIT);
	if (n > 0)
		peer_leave(s, id, "it sent data, which the protocol does not allow");
	else if (n == 0 || hangup)
		peer_leave(s, id, "connection closed");
	else if (errno != EAGAIN && errno != EINTR)
		peer_leave(s, id, strerror(errno));
	sweep(s);
}

int peers_init(struct server *s)
{
	unsigned int id, v;

	s->peers = calloc(s->opt->max_peers, sizeof(*s->peers));
	s->row_bytes = (s->opt->max_peers + 7) / 8;
	s->told_left = calloc(s->opt->max_peers, s->row_bytes);
	if (!s->peers || !s->told_left) {
		msg("out of memory");
		free(s->peers);
		free(s->told_left);
		s->peers = NULL;
		s->told_left = NULL;
		return -1;
	}
	for (id = 0; id < s->opt->max_peers; id++) {
		s->peers[id].conn = -1;
		for (v = 0; v < DIBS_IVSHMEM_VECTORS_MAX; v++)
			s->peers[id].efd[v] = -1;
	}
	return 0;
}

/* At exit: the connections close, the clients see the server gone. */
void peers_fini(struct server *s)
{
	unsigned int id;

	if (!s->peers)
		return;
	for (id = 0; id < s->opt->max_peers; id++) {
		if (s->peers[id].conn < 0)
			continue;
		close(s->peers[id].conn);
		close_eventfds(s, &s->peers[id]);
	}
	free(s->peers);
	s->peers = NULL;
	free(s->told_left);
	s->told_left = NULL;
}
