/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dibs-blk: a block device over dibs, in user space on libdibsnl.
 * The wire format is PROTOCOL.md beside this file.
 */
#ifndef DIBSBLK_H
#define DIBSBLK_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include <dibsnl.h>

/* Software event codes: 0xDC0B0000 | version << 12 | message << 8 | param */
#define DBLK_EV_BASE		0xDC0B0000u
#define DBLK_EV_MASK		0xFFFF0000u
#define DBLK_VERSION		1
#define DBLK_EV(msg, param)	(DBLK_EV_BASE | DBLK_VERSION << 12 | \
				 (msg) << 8 | (param))
#define DBLK_EV_VERSION(st)	(((st) >> 12) & 0xf)
#define DBLK_EV_MSG(st)		(((st) >> 8) & 0xf)
#define DBLK_EV_PARAM(st)	((st) & 0xff)

/* HELLO's param: the slots of CPL (0, from the first clients: DBLK_SLOTS_V1) */
enum {
	DBLK_MSG_HELLO = 1,	/* client -> server, data: token of CPL */
	DBLK_MSG_ACCEPT = 2,	/* server -> client, data: token of REQ */
	DBLK_MSG_REFUSE = 3,	/* server -> client, param: reason, data:
				 * the HELLO's token (0 from older servers)
				 */
	DBLK_MSG_BYE = 4,	/* either, data: the token the sender granted */
};

enum {
	DBLK_REFUSE_GID = 1,	/* the client's gid is not allowed */
	DBLK_REFUSE_BUSY = 2,	/* too many clients */
	DBLK_REFUSE_VERSION = 3,
	DBLK_REFUSE_ERROR = 4,	/* the server failed to set up the session */
};

/*
 * A side that dies while its session is idle sends nothing more: each
 * side signals the other's DMB once the session has been idle this long
 * (seconds), and a refused signal ends the session (the peer's DMB went
 * with its process).
 */
#define DBLK_PROBE_IDLE_S	5

/*
 * Both DMBs: a 4 KiB header page, then the session's slots. The client
 * offers as many as its CPL has (DBLK_SLOTS_MAX where the device grants
 * a DMB that large, else DBLK_SLOTS_V1), the server takes as many as its
 * REQ can have, up to the offer. A HELLO without an offer (param 0, the
 * first clients) means DBLK_SLOTS_V1. Why more: a 1 MiB read keeps 8
 * slots until its answer is sent, so 15 fit one read being answered and
 * most of the next one only.
 */
#define DBLK_SLOTS_V1		15
#define DBLK_SLOTS_MAX		31	/* 3.9 MiB: within one 4 MiB block */
#define DBLK_SLOT_SIZE		(128u * 1024)
#define DBLK_DATA_OFF		4096u
#define DBLK_DMB_LEN(slots)	(DBLK_DATA_OFF + (slots) * DBLK_SLOT_SIZE)
#define DBLK_DESC_OFF		256u
#define DBLK_SLOT_OFF(i)	(DBLK_DATA_OFF + (uint32_t)(i) * DBLK_SLOT_SIZE)
#define DBLK_DESC_AT(i)		(DBLK_DESC_OFF + (uint32_t)(i) * 32)

/*
 * A piece with at least this much data is signalled on its own, at once:
 * the peer starts on it while this side copies the next one. Smaller
 * ones are signalled together, once per pass.
 */
#define DBLK_KICK_LEN		(64u * 1024)

/* Request types: the NBD command numbers */
enum {
	DBLK_READ = 0,
	DBLK_WRITE = 1,
	DBLK_FLUSH = 3,
};

#define DBLK_REQ_FUA		(1u << 0)
/*
 * More pieces of the same request follow this one: the client has no use
 * for its completion alone, so the server need not signal it at once (it
 * signals at the latest once it has gone through the slots). A hint: a
 * server that ignores it signals more often, nothing else.
 */
#define DBLK_REQ_MORE		(1u << 1)

/* The server's header, at offset 0 of CPL (little-endian) */
#define DBLK_MAGIC		"DBK1"
#define DBLK_HDR_RO		(1u << 0)

struct dblk_hdr {
	char magic[4];
	uint32_t version;
	uint64_t size;
	uint32_t flags;
	uint32_t slots;
	uint32_t slot_size;
	uint32_t rsvd;
	uint64_t req_token;
};

/* In REQ at DBLK_DESC_AT(slot), written by the client, seq last */
struct dblk_req {
	uint64_t offset;
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t rsvd[3];
	uint32_t seq;
};

/* In CPL at DBLK_DESC_AT(slot), written by the server, seq last */
struct dblk_cpl {
	int32_t error;		/* 0 or a positive errno */
	uint32_t rsvd[6];
	uint32_t seq;
};

_Static_assert(sizeof(struct dblk_req) == 32, "request descriptor size");
_Static_assert(sizeof(struct dblk_cpl) == 32, "completion descriptor size");

/*
 * One side's view of the two DMBs of a session: the one it owns (reads)
 * and the one it writes into (granted by the peer).
 */
struct dblk_link {
	struct dibsnl *h;		/* commands; watches the own DMB */
	struct dibsnl *ntf;		/* notifications */
	struct dibsnl_dev_ref dev;
	uint8_t peer_gid[DIBSNL_GID_LEN];
	unsigned int own_slots;		/* the own DMB's, granted */
	uint64_t own_token;
	struct dibsnl_dmb_map own;	/* addr NULL: read with dmb_read */
	uint64_t peer_token;
	struct dibsnl_dmb_map peer;	/* fallback: write with dmb_write */
	bool peer_mapped;
};

/* common.c */
extern const char *prog;
extern int verbose;
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn))
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn))
void usage_die(void (*usage)(FILE *f), const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct dibsnl_dev_ref parse_dev(const char *s);
uint64_t parse_size(const char *opt, const char *s);
unsigned int parse_uint(const char *opt, const char *s, unsigned int max);
int dblk_grant_own(struct dblk_link *l, unsigned int slots);
int dblk_map_peer(struct dblk_link *l, uint64_t token, unsigned int slots);
void dblk_unlink(struct dblk_link *l, bool revoke);
int dblk_put(struct dblk_link *l, uint32_t off, const void *data, size_t len);
int dblk_get(struct dblk_link *l, uint32_t off, void *buf, size_t len);
int dblk_put_seq(struct dblk_link *l, uint32_t off, uint32_t seq);
uint32_t dblk_get_seq(struct dblk_link *l, uint32_t off);
int dblk_kick(struct dblk_link *l);
int dblk_event(struct dblk_link *l, const uint8_t gid[DIBSNL_GID_LEN],
	       unsigned int m, unsigned int param, uint64_t data);
double now_s(void);
void dblk_filter_signals(int fd, uint32_t dev_index);
int dblk_watch_dispatch(struct dibsnl *h,
			void (*fn)(void *arg, uint64_t token), void *arg);

/* nbdnl.c: the kernel's NBD driver through its netlink family */
struct nbdnl {
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t portid;
	uint32_t seq;
};

struct nbdnl_cfg {
	uint64_t size;		/* bytes */
	uint64_t blksize;
	uint64_t timeout;	/* seconds */
	uint64_t flags;		/* NBD_FLAG_* of the export */
	const char *backend;	/* shown in /sys/block/nbdN/backend */
	int sock;		/* the kernel's end */
};

int nbdnl_open(struct nbdnl *n);
void nbdnl_close(struct nbdnl *n);
int nbdnl_connect(struct nbdnl *n, unsigned int index,
		  const struct nbdnl_cfg *cfg);
int nbdnl_disconnect(struct nbdnl *n, unsigned int index);

int server_main(int argc, char **argv);
int client_main(int argc, char **argv);

#endif /* DIBSBLK_H */
