// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl console: the pure parts of the wire format (console_proto.h).
 */
#include <string.h>

#include "console_proto.h"

/* A little-endian field of @len bytes at @p. */
static uint64_t le_get(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	while (len--)
		v = v << 8 | p[len];
	return v;
}

void cons_hdr_parse(const uint8_t *raw, struct cons_hdr *hd)
{
	hd->flags = le_get(raw + DIBS_CONSOLE_OFF_FLAGS, 4);
	hd->prod = le_get(raw + DIBS_CONSOLE_OFF_PROD, 8);
	hd->ack = le_get(raw + DIBS_CONSOLE_OFF_ACK, 8);
}

void cons_le_put(uint8_t *buf, uint64_t val, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++, val >>= 8)
		buf[i] = val & 0xff;
}

uint32_t cons_subtype(enum dibs_console_msg msg, uint8_t param)
{
	return DIBS_CONSOLE_CODE_BASE | DIBS_CONSOLE_VERSION << 12 | (uint32_t)msg << 8 | param;
}

bool cons_subtype_parse(uint32_t subtype, unsigned int *version,
			unsigned int *msg, unsigned int *param)
{
	if ((subtype & DIBS_CONSOLE_CODE_MASK) != DIBS_CONSOLE_CODE_BASE)
		return false;
	*version = (subtype >> 12) & 0xf;
	*msg = (subtype >> 8) & 0xf;
	*param = subtype & 0xff;
	return true;
}

const char *cons_refuse_str(unsigned int reason)
{
	switch (reason) {
	case DIBS_CONSOLE_REFUSE_GID:
		return "this gid is not allowed";
	case DIBS_CONSOLE_REFUSE_NOCONSOLE:
		return "no console is enabled on that device";
	case DIBS_CONSOLE_REFUSE_BUSY:
		return "busy: another server is connected";
	case DIBS_CONSOLE_REFUSE_VERSION:
		return "unsupported protocol version";
	}
	return "unknown reason";
}

const char *cons_hangup_str(unsigned int reason)
{
	switch (reason) {
	case DIBS_CONSOLE_HUP_CLOSED:
		return "closed";
	case DIBS_CONSOLE_HUP_TTY:
		return "the tty hung up";
	case DIBS_CONSOLE_HUP_GOING:
		return "the console is going away";
	}
	return "unknown reason";
}

uint64_t cons_room(uint64_t ring, uint64_t prod, uint64_t ack)
{
	uint64_t used = prod - ack;

	return used >= ring ? 0 : ring - used;
}

bool cons_prod_valid(uint64_t ring, uint64_t prod, uint64_t cons)
{
	return prod - cons <= ring;
}

unsigned int cons_ring_pieces(uint64_t ring, uint64_t pos, size_t len,
			      uint32_t off[2], size_t n[2])
{
	uint64_t at = pos & (ring - 1);
	uint64_t first = ring - at;

	if (!len)
		return 0;
	off[0] = (uint32_t)(DIBS_CONSOLE_OFF_RING + at);
	if (len <= first) {
		n[0] = len;
		return 1;
	}
	n[0] = (size_t)first;
	off[1] = DIBS_CONSOLE_OFF_RING;
	n[1] = len - (size_t)first;
	return 2;
}

bool cons_should_ack(uint64_t ring, uint64_t cons, uint64_t acked)
{
	return cons - acked >= ring / 4;
}

size_t cons_escape_scan(const uint8_t *buf, size_t len, bool *esc)
{
	const uint8_t *p = memchr(buf, CONS_ESCAPE, len);

	*esc = !!p;
	return p ? (size_t)(p - buf) : len;
}
