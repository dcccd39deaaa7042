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

/* software event subtypes: 0xDC0C0000 | version << 12 | msg << 8 | param */
#define CONS_SUB_BASE		0xDC0C0000u
#define CONS_SUB_MASK		0xFFFF0000u
#define CONS_VERSION		1

enum cons_msg {
	CONS_HELLO = 1,
	CONS_ACCEPT = 2,
	CONS_REFUSE = 3,
	CONS_HANGUP = 4,
};

/* REFUSE reasons */
enum cons_refuse {
	CONS_REFUSE_GID = 1,
	CONS_REFUSE_NOCONSOLE = 2,
	CONS_REFUSE_BUSY = 3,
	CONS_REFUSE_VERSION = 4,
};

/* HANGUP reasons */
enum cons_hangup {
	CONS_HUP_CLOSED = 1,
	CONS_HUP_TTY = 2,
	CONS_HUP_GOING = 3,
};

/* the DMB: a header page, then the ring */
#define CONS_OFF_MAGIC		0
#define CONS_OFF_FLAGS		4
#define CONS_OFF_PROD		8
#define CONS_OFF_ACK		16
#define CONS_OFF_ROWS		24
#define CONS_OFF_COLS		26
#define CONS_OFF_CTL_SEQ	28
#define CONS_HDR_READ		32	/* the fields above */
#define CONS_HDR_LEN		4096
#define CONS_MAGIC		"DCN1"

#define CONS_FLAG_HANGUP	(1u << 0)
#define CONS_FLAG_BREAK		(1u << 1)

/* signal bits of the reader's DMB */
#define CONS_SIG_DATA		0
#define CONS_SIG_ACK		1
#define CONS_SIG_CTL		2

#define CONS_SHIFT_MIN		12
#define CONS_SHIFT_MAX		20
#define CONS_SHIFT		15	/* version 1 */

/* the escape character: Ctrl-] as telnet and virsh console have */
#define CONS_ESCAPE		0x1d

uint32_t cons_subtype(enum cons_msg msg, uint8_t param);
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
