/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console wire format (uapi/dibs-console.md) as dibsctl's terminal
 * server uses it: event subtypes, the DMB header, ring arithmetic and the
 * escape character. Nothing here needs the kernel or libdibsnl: the host
 * unit tests link console_proto.c on its own.
 */
#ifndef DIBSCTL_CONSOLE_PROTO_H
#define DIBSCTL_CONSOLE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the wire format's numbers; what only dibsctl needs follows */
#include <linux/dibs_console.h>

/* the header fields dibsctl reads in one go (magic to ctl_seq) */
#define CONS_HDR_READ		32

/* the escape character: Ctrl-] as telnet and virsh console have */
#define CONS_ESCAPE		0x1d

/*
 * The header fields dibsctl reads from C2S, in host byte order. On the
 * wire every field is little-endian, on every architecture.
 */
struct cons_hdr {
	uint32_t flags;
	uint64_t prod;
	uint64_t ack;
};

/* Decode the first CONS_HDR_READ bytes of a DMB. */
void cons_hdr_parse(const uint8_t *raw, struct cons_hdr *hd);

/* @val as a field of @len bytes (2, 4 or 8) for the wire, into @buf. */
void cons_le_put(uint8_t *buf, uint64_t val, size_t len);

uint32_t cons_subtype(enum dibs_console_msg msg, uint8_t param);
/*
 * Split a subtype: false when it is not a console code at all. *@version
 * is returned for every console code (a caller refuses other versions).
 */
bool cons_subtype_parse(uint32_t subtype, unsigned int *version,
			unsigned int *msg, unsigned int *param);

/* The reasons as words for a message. */
const char *cons_refuse_str(unsigned int reason);
const char *cons_hangup_str(unsigned int reason);

/* Bytes a writer may still put into a ring of @ring bytes. */
uint64_t cons_room(uint64_t ring, uint64_t prod, uint64_t ack);
/*
 * True when a reader that has consumed @cons sees @prod: prod - cons is
 * at most the ring (counts only grow; anything else is a protocol error).
 */
bool cons_prod_valid(uint64_t ring, uint64_t prod, uint64_t cons);

/*
 * The at most two pieces of @len bytes of the stream from position @pos
 * in a ring of @ring bytes (a power of two): offsets into the DMB (the
 * header included) and lengths. Returns the number of pieces (0 for
 * @len 0).
 */
unsigned int cons_ring_pieces(uint64_t ring, uint64_t pos, size_t len,
			      uint32_t off[2], size_t n[2]);

/*
 * Whether a reader acks now: when it consumed a quarter of the ring since
 * its last ack, or when the writer saw a full ring (and may be stalled).
 */
bool cons_should_ack(uint64_t ring, uint64_t cons, uint64_t acked);

/*
 * The keyboard bytes of @buf up to the escape character: returns how many
 * pass on to the console; *@esc is set when the escape was among them
 * (it and what follows are not sent).
 */
size_t cons_escape_scan(const uint8_t *buf, size_t len, bool *esc);

#endif /* DIBSCTL_CONSOLE_PROTO_H */
