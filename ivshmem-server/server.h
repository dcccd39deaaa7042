/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dibs-ivshmem-server: the host side of a dibs_ivshmem fabric. It owns the
 * shared region (uapi/ivshmem-layout.md) and speaks QEMU's ivshmem
 * client-server protocol to the ivshmem-doorbell devices of the VMs.
 */
#ifndef DIBS_IVSHMEM_SERVER_H
#define DIBS_IVSHMEM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/dibs_ivshmem.h>

#define PROG_NAME	"dibs-ivshmem-server"

/* The command line, checked. */
struct options {
	const char *socket_path;
	unsigned int fabric_id;
	uint64_t size;
	unsigned int max_peers;
	unsigned int vectors;
	unsigned int dmbs_per_peer;
	const char *group;		/* NULL: the socket is 0600 */
	bool verbose;
};

/* options.c */
enum { OPTS_RUN, OPTS_EXIT_OK, OPTS_EXIT_FAIL };
int options_parse(int argc, char **argv, struct options *o);

/* layout.c: where everything lies, in CPU byte order. */
struct layout {
	uint64_t region_size;
	uint64_t peer_table_offset;
	uint64_t partitions_offset;
	uint64_t partition_size;
	uint32_t summary_offset;
	uint32_t desc_offset;
	uint32_t data_offset;
	uint64_t data_size;
	uint32_t event_summary_offset;
	uint32_t mbox_offset;
	uint32_t mbox_size;
	uint32_t mbox_slots;
};
int layout_compute(const struct options *o, struct layout *l);

/* region.c: the shared memory and the fields the server writes. */
struct region {
	int fd;				/* memfd, sealed against resizing */
	void *base;
	uint64_t size;
};
int region_create(struct region *r, const struct options *o,
		  const struct layout *l);
void region_destroy(struct region *r);
void region_peer_alive(struct region *r, unsigned int id, uint32_t gen);
void region_peer_dead(struct region *r, unsigned int id);
void region_set_peer_count(struct region *r, unsigned int count);

/* proto.c: QEMU's ivshmem messages. */
#define IVSHMEM_PROTOCOL_VERSION 0
#define IVSHMEM_SHM_MSG		(-1)
int proto_send(int conn, int64_t value, int fd);

/* listen.c: the UNIX socket. */
int listen_open(const struct options *o);
void listen_close(int fd, const char *path);

/* peers.c: peer ids, eventfds, joins and departures. */
struct peer {
	int conn;			/* -1: the id is free */
	uint32_t generation;
	bool doomed;			/* to be dropped: a send to it failed */
	int efd[DIBS_IVSHMEM_VECTORS_MAX];
};

struct server {
	const struct options *opt;
	struct region region;
	struct peer *peers;		/* opt->max_peers of them */
	/*
	 * Bit @id of row @j: peer @j was told that @id left and is still
	 * connected (peers.c, pick_id()). max_peers rows of row_bytes.
	 */
	uint8_t *told_left;
	size_t row_bytes;
	unsigned int next_id;		/* where the search for a free id starts */
	unsigned int count;
};

int peers_init(struct server *s);
void peers_fini(struct server *s);
void peer_join(struct server *s, int conn);
void peer_input(struct server *s, unsigned int id, bool hangup);

/* util.c */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* DIBS_IVSHMEM_SERVER_H */
