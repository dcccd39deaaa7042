/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * Console over dibs: the numbers of its wire format. uapi/dibs-console.md
 * is the description (who writes what, flow control, the handshake); both
 * ends take their numbers from here: the console (kernel/dibs_console.c)
 * and the terminal server (dibsctl console).
 */
#ifndef _UAPI_LINUX_DIBS_CONSOLE_H
#define _UAPI_LINUX_DIBS_CONSOLE_H

#include <linux/const.h>

/*
 * The handshake travels in software events: the event's 32-bit subtype is
 * BASE | version << 12 | message << 8 | param, its 64-bit data a token.
 */
#define DIBS_CONSOLE_CODE_BASE		0xDC0C0000u
#define DIBS_CONSOLE_CODE_MASK		0xFFFF0000u
#define DIBS_CONSOLE_VERSION		1
#define DIBS_CONSOLE_CODE(msg, param)	(DIBS_CONSOLE_CODE_BASE | \
					 DIBS_CONSOLE_VERSION << 12 | \
					 (msg) << 8 | (param))
#define DIBS_CONSOLE_CODE_VERSION(c)	(((c) >> 12) & 0xf)
#define DIBS_CONSOLE_CODE_MSG(c)	(((c) >> 8) & 0xf)
#define DIBS_CONSOLE_CODE_PARAM(c)	((c) & 0xff)

enum dibs_console_msg {
	DIBS_CONSOLE_HELLO = 1,		/* server: token of C2S */
	DIBS_CONSOLE_ACCEPT = 2,	/* console: token of S2C */
	DIBS_CONSOLE_REFUSE = 3,	/* console: a reason below */
	DIBS_CONSOLE_HANGUP = 4,	/* either: a reason below */
};

enum dibs_console_refuse {
	DIBS_CONSOLE_REFUSE_GID = 1,		/* gid not allowed */
	DIBS_CONSOLE_REFUSE_NOCONSOLE = 2,	/* no console on this device */
	DIBS_CONSOLE_REFUSE_BUSY = 3,
	DIBS_CONSOLE_REFUSE_VERSION = 4,
};

enum dibs_console_hangup {
	DIBS_CONSOLE_HUP_CLOSED = 1,
	DIBS_CONSOLE_HUP_TTY = 2,
	DIBS_CONSOLE_HUP_GOING = 3,		/* going away */
};

/*
 * A DMB: the header its writer keeps (byte offsets), then the ring. Every
 * field is little-endian, whatever the byte order of either end.
 */
#define DIBS_CONSOLE_OFF_MAGIC		0	/* 4 bytes, DIBS_CONSOLE_MAGIC */
#define DIBS_CONSOLE_OFF_FLAGS		4	/* u32, DIBS_CONSOLE_FLAG_* */
#define DIBS_CONSOLE_OFF_PROD		8	/* u64, bytes into this ring */
#define DIBS_CONSOLE_OFF_ACK		16	/* u64, bytes taken from the other */
#define DIBS_CONSOLE_OFF_ROWS		24	/* u16 */
#define DIBS_CONSOLE_OFF_COLS		26	/* u16 */
#define DIBS_CONSOLE_OFF_CTL_SEQ	28	/* u32 */
#define DIBS_CONSOLE_OFF_RING		4096
#define DIBS_CONSOLE_MAGIC		"DCN1"

#define DIBS_CONSOLE_FLAG_HANGUP	_BITUL(0)
#define DIBS_CONSOLE_FLAG_BREAK		_BITUL(1)	/* toggled per break */

/* Signal bits (bit numbers) of the reader's DMB. */
#define DIBS_CONSOLE_SIG_DATA		0	/* prod advanced */
#define DIBS_CONSOLE_SIG_ACK		1	/* ack advanced */
#define DIBS_CONSOLE_SIG_CTL		2	/* flags, rows or cols changed */

/* A ring is 2^order bytes: order announced in HELLO's or ACCEPT's param. */
#define DIBS_CONSOLE_RING_ORDER_MIN	12
#define DIBS_CONSOLE_RING_ORDER_MAX	20
#define DIBS_CONSOLE_RING_ORDER		15	/* what version 1 uses */

#endif /* _UAPI_LINUX_DIBS_CONSOLE_H */
