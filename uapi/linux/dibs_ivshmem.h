/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * dibs_ivshmem: the layout of the memory region that QEMU's ivshmem-doorbell
 * device shares between VMs, version 2. uapi/ivshmem-layout.md is the full
 * description (who writes what, memory ordering, what a guest must check);
 * this header gives the numbers.
 *
 * Every multi-byte field is little-endian, whatever the CPU: big-endian
 * guests (s390x) share a region with little-endian ones. Offsets are bytes
 * from the start of the region (BAR2) unless said otherwise.
 *
 * The host's dibs-ivshmem-server creates the region and writes the header;
 * it hands out peer ids (the device's IVPosition register), which index the
 * peer table and the partitions.
 */
#ifndef _UAPI_LINUX_DIBS_IVSHMEM_H
#define _UAPI_LINUX_DIBS_IVSHMEM_H

#include <linux/types.h>

#define DIBS_IVSHMEM_MAGIC	0x53424944	/* bytes 'D' 'I' 'B' 'S' */
#define DIBS_IVSHMEM_VERSION	2	/* 2: event mailboxes (signal_event) */

/* Fabric ids of ivshmem fabrics: the range SMC reserves for virtual ISM. */
#define DIBS_IVSHMEM_FABRIC_MIN	0xFF00
#define DIBS_IVSHMEM_FABRIC_MAX	0xFFFE

#define DIBS_IVSHMEM_PAGE	4096	/* unit of the layout's alignment */
#define DIBS_IVSHMEM_HEADER_SIZE DIBS_IVSHMEM_PAGE

/* Limits the server enforces and a guest checks. */
#define DIBS_IVSHMEM_PEERS_MAX	4096
#define DIBS_IVSHMEM_DMBS_MAX	65535
#define DIBS_IVSHMEM_VECTORS_MAX 64
/* Event slots per mailbox: a power of two the server picks in 1..MAX. */
#define DIBS_IVSHMEM_EVENT_SLOTS 16
#define DIBS_IVSHMEM_EVENT_SLOTS_MAX 256

/*
 * Doorbell vectors: a guest rings peer P's vector V by writing
 * DIBS_IVSHMEM_DOORBELL(P, V) to the device's Doorbell register.
 */
#define DIBS_IVSHMEM_VEC_SIGNAL	0	/* pending DMB signals or events */
#define DIBS_IVSHMEM_VEC_PEERS	1	/* the peer table changed */
#define DIBS_IVSHMEM_VECTORS_MIN 2
#define DIBS_IVSHMEM_DOORBELL(peer, vec) \
	((((__u32)(peer) & 0xFFFF) << 16) | ((__u32)(vec) & 0xFFFF))

/* QEMU's ivshmem registers in BAR0 (docs/specs/ivshmem-spec.rst). */
#define DIBS_IVSHMEM_REG_IVPOSITION 8
#define DIBS_IVSHMEM_REG_DOORBELL 12

/* At offset 0. Written by the server only, before the first peer joins. */
struct dibs_ivshmem_header {
	__le32 magic;			/* DIBS_IVSHMEM_MAGIC, written last */
	__le32 version;			/* DIBS_IVSHMEM_VERSION */
	__le32 header_size;		/* DIBS_IVSHMEM_HEADER_SIZE */
	__le16 fabric_id;		/* DIBS_IVSHMEM_FABRIC_MIN..MAX */
	__le16 vectors;			/* doorbell vectors per peer */
	__le64 region_size;		/* bytes; the size of BAR2 */
	__le32 max_peers;		/* entries in the peer table */
	__le32 peer_count;		/* peers connected now (informative) */
	__le64 peer_table_offset;	/* DIBS_IVSHMEM_HEADER_SIZE */
	__le32 peer_entry_size;		/* sizeof(struct dibs_ivshmem_peer) */
	__le32 dmbs_per_peer;		/* descriptor slots per partition */
	__le64 partitions_offset;	/* partition 0; page aligned */
	__le64 partition_size;		/* bytes per partition; page multiple */
	/* Within each partition, from the partition's start: */
	__le32 summary_offset;		/* pending-DMB bitmap, __le64 words */
	__le32 desc_offset;		/* the dmb descriptors */
	__le32 desc_size;		/* sizeof(struct dibs_ivshmem_dmb_desc) */
	__le32 data_offset;		/* the DMB buffers; page aligned */
	__le64 data_size;		/* bytes of buffers per partition */
	__le32 event_summary_offset;	/* pending-mailbox bitmap, __le64 words */
	__le32 mbox_offset;		/* the event mailboxes, one per sender */
	__le32 mbox_size;		/* bytes per mailbox */
	__le32 mbox_slots;		/* event slots per mailbox */
	__u8 reserved[24];		/* 0 */
};					/* 128 bytes; the rest of page 0 is 0 */

/* srv_state: written by the server. */
#define DIBS_IVSHMEM_SRV_FREE	0	/* never handed out */
#define DIBS_IVSHMEM_SRV_ALIVE	1	/* a VM holds this id */
#define DIBS_IVSHMEM_SRV_DEAD	2	/* its connection went away */

/* guest_state: written by the guest holding the id. */
#define DIBS_IVSHMEM_GUEST_DOWN	0
#define DIBS_IVSHMEM_GUEST_UP	1

/*
 * One per peer id, at peer_table_offset + id * peer_entry_size. A peer is
 * up when srv_state is ALIVE, guest_state is UP and guest_generation equals
 * generation: the guest fields then belong to the VM that holds the id now.
 */
struct dibs_ivshmem_peer {
	__le32 srv_state;		/* server */
	__le32 generation;		/* server: +1 at each hand-out, never 0 after */
	__le32 guest_state;		/* guest */
	__le32 guest_generation;	/* guest: the generation it read */
	__u8 gid[16];			/* guest: its dibs gid (uuid) */
	__u8 reserved[32];		/* 0 */
};					/* 64 bytes */

/*
 * DMB descriptor: slot S of peer P's partition, at partitions_offset +
 * P * partition_size + desc_offset + S * desc_size. The owner (peer P)
 * writes it, except writers, signal_mask and attached, which the granted
 * writer changes with atomic operations. Slot S is the DMB's sba index.
 */
struct dibs_ivshmem_dmb_desc {
	__le64 token;			/* 0: slot free; written last */
	__le64 buf_offset;		/* from the owner's data area start */
	__le32 len;			/* bytes */
	__le32 writers;			/* writes in flight (atomic inc/dec) */
	__u8 rgid[16];			/* the only gid allowed to write */
	__le64 signal_mask;		/* pending signals (atomic or / xchg) */
	__le32 last_use;		/* use count of the slot's latest token */
	__le32 attached;		/* peers' attachments (atomic inc/dec) */
	__u8 reserved[8];		/* 0 */
};					/* 64 bytes */

/*
 * Tokens, unique on the fabric: peer id, the low 16 bits of the peer's
 * generation, the slot, and a per-slot use count (1..0xFFFF, skipping 0,
 * so that no token is 0) that continues from the descriptor's last_use,
 * also across the owner's driver reloads within one generation.
 */
#define DIBS_IVSHMEM_TOKEN(peer, gen, slot, seq)		\
	((((__u64)(peer) & 0xFFFF) << 48) |			\
	 (((__u64)(gen) & 0xFFFF) << 32) |			\
	 (((__u64)(slot) & 0xFFFF) << 16) |			\
	 ((__u64)(seq) & 0xFFFF))
#define DIBS_IVSHMEM_TOKEN_PEER(tok)	((__u32)((tok) >> 48) & 0xFFFF)
#define DIBS_IVSHMEM_TOKEN_GEN(tok)	((__u32)((tok) >> 32) & 0xFFFF)
#define DIBS_IVSHMEM_TOKEN_SLOT(tok)	((__u32)((tok) >> 16) & 0xFFFF)
#define DIBS_IVSHMEM_TOKEN_SEQ(tok)	((__u32)(tok) & 0xFFFF)

/*
 * Event mailbox: in receiver R's partition, the one of sender S is at
 * partitions_offset + R * partition_size + mbox_offset + S * mbox_size.
 * A single-producer ring: only S writes head and the slots, only R writes
 * tail; both count up freely (modulo 2^32), the slot of count c is
 * c % mbox_slots. mbox_slots event slots follow this 128-byte head.
 */
struct dibs_ivshmem_mbox {
	__le32 head;			/* sender: events written */
	__u8 reserved1[60];		/* 0; head and tail on lines of their own */
	__le32 tail;			/* receiver: events taken */
	__u8 reserved2[60];		/* 0 */
};					/* 128 bytes, then the slots */

/* One event slot: a software event (DIBS_SW_EVENT at the receiver). */
struct dibs_ivshmem_event {
	__le32 code;			/* the event's subtype (event_code) */
	__le32 generation;		/* the sender's generation when it sent */
	__le64 info;			/* the event's data */
	__le64 time;			/* sender's CLOCK_REALTIME, ns */
	__u8 reserved[8];		/* 0 */
};					/* 32 bytes */

/*
 * Signal bits a writer may raise (versions 1 and 2): the in-kernel API hands a
 * client a u16 mask (handle_irq's dmbemask). Bits 16..63 of signal_mask
 * are reserved: writers leave them 0, owners ignore them.
 */
#define DIBS_IVSHMEM_SIGNALS	16

#endif /* _UAPI_LINUX_DIBS_IVSHMEM_H */
