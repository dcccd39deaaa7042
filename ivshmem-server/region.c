// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shared region: a memfd, so that nothing is left in /dev/shm when the
 * server goes, sealed against resizing, because every client gets the fd
 * and a client that shrank it would make the server's writes fault.
 *
 * The server writes the header once and afterwards only its own fields of
 * the peer table and peer_count. It never reads what guests wrote.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "server.h"

static struct dibs_ivshmem_header *header(struct region *r)
{
	return r->base;
}

static struct dibs_ivshmem_peer *peer_entry(struct region *r, unsigned int id)
{
	return (struct dibs_ivshmem_peer *)((char *)r->base +
		DIBS_IVSHMEM_HEADER_SIZE) + id;
}

static void write_header(struct region *r, const struct options *o,
			 const struct layout *l)
{
	struct dibs_ivshmem_header *h = header(r);

	h->version = htole32(DIBS_IVSHMEM_VERSION);
	h->header_size = htole32(DIBS_IVSHMEM_HEADER_SIZE);
	h->fabric_id = htole16(o->fabric_id);
	h->vectors = htole16(o->vectors);
	h->region_size = htole64(l->region_size);
	h->max_peers = htole32(o->max_peers);
	h->peer_count = 0;
	h->peer_table_offset = htole64(l->peer_table_offset);
	h->peer_entry_size = htole32(sizeof(struct dibs_ivshmem_peer));
	h->dmbs_per_peer = htole32(o->dmbs_per_peer);
	h->partitions_offset = htole64(l->partitions_offset);
	h->partition_size = htole64(l->partition_size);
	h->summary_offset = htole32(l->summary_offset);
	h->desc_offset = htole32(l->desc_offset);
	h->desc_size = htole32(sizeof(struct dibs_ivshmem_dmb_desc));
	h->data_offset = htole32(l->data_offset);
	h->data_size = htole64(l->data_size);
	h->event_summary_offset = htole32(l->event_summary_offset);
	h->mbox_offset = htole32(l->mbox_offset);
	h->mbox_size = htole32(l->mbox_size);
	h->mbox_slots = htole32(l->mbox_slots);
	/* The magic last: a region with it is complete. */
	__atomic_store_n(&h->magic, htole32(DIBS_IVSHMEM_MAGIC), __ATOMIC_RELEASE);
}

int region_create(struct region *r, const struct options *o,
		  const struct layout *l)
{
	const unsigned int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;

	r->size = l->region_size;
	r->base = MAP_FAILED;
	r->fd = memfd_create("dibs-ivshmem", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->fd < 0) {
		fprintf(stderr, "%s: memfd_create: %s\n", PROG_NAME, strerror(errno));
		return -1;
	}
	if (ftruncate(r->fd, r->size) < 0) {
		fprintf(stderr, "%s: --size %llu: cannot size the region: %s\n",
			PROG_NAME, (unsigned long long)r->size, strerror(errno));
		goto fail;
	}
	if (fcntl(r->fd, F_ADD_SEALS, seals) < 0) {
		fprintf(stderr, "%s: sealing the region: %s\n", PROG_NAME,
			strerror(errno));
		goto fail;
	}
	r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED) {
		fprintf(stderr, "%s: mapping the region: %s\n", PROG_NAME,
			strerror(errno));
		goto fail;
	}
	/* A new memfd reads as zeroes: only the header needs writing. */
	write_header(r, o, l);
	return 0;
fail:
	close(r->fd);
	r->fd = -1;
	return -1;
}

void region_destroy(struct region *r)
{
	if (r->base != MAP_FAILED)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->base = MAP_FAILED;
	r->fd = -1;
}

/* The generation first, then the state that makes it count. */
void region_peer_alive(struct region *r, unsigned int id, uint32_t gen)
{
	struct dibs_ivshmem_peer *p = peer_entry(r, id);

	p->generation = htole32(gen);
	__atomic_store_n(&p->srv_state, htole32(DIBS_IVSHMEM_SRV_ALIVE),
			 __ATOMIC_RELEASE);
}

/* Also a barrier: the doorbells rung after it find the entry dead. */
void region_peer_dead(struct region *r, unsigned int id)
{
	struct dibs_ivshmem_peer *p = peer_entry(r, id);

	__atomic_store_n(&p->srv_state, htole32(DIBS_IVSHMEM_SRV_DEAD),
			 __ATOMIC_SEQ_CST);
}

void region_set_peer_count(struct region *r, unsigned int count)
{
	__atomic_store_n(&header(r)->peer_count, htole32(count), __ATOMIC_RELEASE);
}
