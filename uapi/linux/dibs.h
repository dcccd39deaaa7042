/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * The "dibs" generic netlink family: device enumeration, remote-gid queries,
 * DMB grants and event subscription for Direct Internal Buffer Sharing.
 *
 * uapi/dibs.yaml specifies the same family as a YNL spec; a test keeps the
 * two in agreement. Attribute and command numbers never change once
 * released: new ones are appended before the __ markers.
 */
#ifndef _UAPI_LINUX_DIBS_H
#define _UAPI_LINUX_DIBS_H

#define DIBS_FAMILY_NAME	"dibs"
#define DIBS_FAMILY_VERSION	1

#define DIBS_MCGRP_MGMT		"mgmt"
#define DIBS_MCGRP_SIGNAL	"signal"

#define DIBS_GID_LEN		16	/* a gid is a raw 128-bit uuid */
#define DIBS_DEV_NAME_MAX	16	/* including the terminating NUL */
#define DIBS_DMB_LEN_MAX	(8 << 20)	/* largest DMB a grant asks */
/*
 * The largest DATA attribute: a dmb-read reply, or one of the pieces of a
 * dmb-write (a request may carry several, written one after the other).
 */
#define DIBS_DATA_CHUNK_MAX	32768
#define DIBS_SIGNAL_IDX_MAX	15	/* signal index: a bit of a u16 mask */

enum dibs_dev_state {
	DIBS_DEV_STATE_DOWN,
	DIBS_DEV_STATE_UP,
};

/*
 * dibs_event types and subtypes: the in-kernel enum dibs_event_type and
 * enum dibs_event_subtype, with the same values
 */
enum dibs_nl_event_type {
	DIBS_EVENT_BUF,
	DIBS_EVENT_DEV,
	DIBS_EVENT_SW,
	DIBS_EVENT_OTHER,
};

enum dibs_nl_event_subtype {
	DIBS_EVENT_BUF_UNREGISTERED,
	DIBS_EVENT_DEV_DISABLED,
	DIBS_EVENT_DEV_ERR_STATE,
	DIBS_EVENT_OTHER_SUBTYPE,
};

/* attribute-set "dev" */
enum {
	DIBS_A_DEV_INDEX = 1,		/* u32 */
	DIBS_A_DEV_NAME,		/* string */
	DIBS_A_DEV_TYPE,		/* string: soft type or driver name */
	DIBS_A_DEV_GID,			/* binary, DIBS_GID_LEN */
	DIBS_A_DEV_FABRIC_ID,		/* u16 */
	DIBS_A_DEV_STATE,		/* u32, enum dibs_dev_state */
	DIBS_A_DEV_MAX_DMBS,		/* u32 */
	DIBS_A_DEV_DMB_COUNT,		/* u32 */
	DIBS_A_DEV_MAPPED_DMB,		/* u8: supports mapped remote DMBs */
	DIBS_A_DEV_PARENT_BUS,		/* string */
	DIBS_A_DEV_PARENT_NAME,		/* string */
	DIBS_A_DEV_NETNS_ID,		/* s32: peer netns id, replies */
	DIBS_A_DEV_NETNS_PID,		/* u32: dev-set target netns */
	DIBS_A_DEV_NETNS_FD,		/* u32: dev-set target netns */
	DIBS_A_DEV_REMOTE_GID,		/* binary: remote-query request */
	DIBS_A_DEV_REACHABLE,		/* u8: remote-query reply */
	DIBS_A_DEV_STATS,		/* nest, attribute-set "dev-stats" */
	DIBS_A_DEV_PAD,

	__DIBS_A_DEV_MAX,
	DIBS_A_DEV_MAX = (__DIBS_A_DEV_MAX - 1)
};

/* attribute-set "dev-stats", nested in DIBS_A_DEV_STATS */
enum {
	DIBS_A_DEV_STATS_MOVES = 1,	/* u64: move_data calls that wrote */
	DIBS_A_DEV_STATS_MOVE_BYTES,	/* u64 */
	DIBS_A_DEV_STATS_SIGNALS,	/* u64: of the moves, with signal */
	DIBS_A_DEV_STATS_MOVE_ERRORS,	/* u64: move_data calls refused */
	DIBS_A_DEV_STATS_DMBS_REGISTERED,	/* u64 */
	DIBS_A_DEV_STATS_DMBS_UNREGISTERED,	/* u64 */
	DIBS_A_DEV_STATS_PAD,

	__DIBS_A_DEV_STATS_MAX,
	DIBS_A_DEV_STATS_MAX = (__DIBS_A_DEV_STATS_MAX - 1)
};

/* attribute-set "dmb" */
enum {
	DIBS_A_DMB_TOKEN = 1,		/* u64 */
	DIBS_A_DMB_DEV_INDEX,		/* u32: the DMB's (or writer's) device */
	DIBS_A_DMB_DEV_NAME,		/* string: alternative to DEV_INDEX */
	DIBS_A_DMB_CLIENT_ID,		/* u32: owning client's slot */
	DIBS_A_DMB_CLIENT_NAME,		/* string: owner; dump filter */
	DIBS_A_DMB_RGID,		/* binary, DIBS_GID_LEN */
	DIBS_A_DMB_LEN,			/* u32: DMB length, or read length */
	DIBS_A_DMB_SBA_IDX,		/* u32 */
	DIBS_A_DMB_OWNED,		/* flag: released with the socket */
	DIBS_A_DMB_OFFSET,		/* u32: dmb-write / dmb-read offset */
	DIBS_A_DMB_DATA,		/* binary, <= DIBS_DATA_CHUNK_MAX;
					 * dmb-write: one or more, in order
					 */
	DIBS_A_DMB_SIGNAL_IDX,		/* u32: dmb-write raises this signal */
	DIBS_A_DMB_STATS,		/* nest, attribute-set "dmb-stats" */
	DIBS_A_DMB_PAD,

	__DIBS_A_DMB_MAX,
	DIBS_A_DMB_MAX = (__DIBS_A_DMB_MAX - 1)
};

/* attribute-set "dmb-stats", nested in DIBS_A_DMB_STATS */
enum {
	DIBS_A_DMB_STATS_WRITES = 1,	/* u64: writes that landed */
	DIBS_A_DMB_STATS_WRITE_BYTES,	/* u64 */
	DIBS_A_DMB_STATS_SIGNALS,	/* u64 */
	DIBS_A_DMB_STATS_REFUSED,	/* u64: writes refused by the fabric */
	DIBS_A_DMB_STATS_PAD,

	__DIBS_A_DMB_STATS_MAX,
	DIBS_A_DMB_STATS_MAX = (__DIBS_A_DMB_STATS_MAX - 1)
};

/* attribute-set "client" */
enum {
	DIBS_A_CLIENT_ID = 1,		/* u32: slot */
	DIBS_A_CLIENT_NAME,		/* string */
	DIBS_A_CLIENT_DMB_COUNT,	/* u32: on all devices */
	DIBS_A_CLIENT_DEV,		/* nest, multi: "client-dev" */

	__DIBS_A_CLIENT_MAX,
	DIBS_A_CLIENT_MAX = (__DIBS_A_CLIENT_MAX - 1)
};

/* attribute-set "client-dev", nested in DIBS_A_CLIENT_DEV */
enum {
	DIBS_A_CLIENT_DEV_INDEX = 1,	/* u32 */
	DIBS_A_CLIENT_DEV_DMB_COUNT,	/* u32 */

	__DIBS_A_CLIENT_DEV_MAX,
	DIBS_A_CLIENT_DEV_MAX = (__DIBS_A_CLIENT_DEV_MAX - 1)
};

/*
 * attribute-set "event": a struct dibs_event a device reported, or an
 * event-signal request
 */
enum {
	DIBS_A_EVENT_DEV_INDEX = 1,	/* u32: the reporting (sending) device */
	DIBS_A_EVENT_TYPE,		/* u32, enum dibs_nl_event_type */
	DIBS_A_EVENT_SUBTYPE,		/* u32, enum dibs_nl_event_subtype;
					 * DIBS_EVENT_SW: the sender's code
					 */
	DIBS_A_EVENT_GID,		/* binary, DIBS_GID_LEN */
	DIBS_A_EVENT_TOKEN,		/* u64 */
	DIBS_A_EVENT_TIME,		/* u64 */
	DIBS_A_EVENT_DATA,		/* u64 */
	DIBS_A_EVENT_PAD,
	DIBS_A_EVENT_DEV_NAME,		/* string: event-signal, or DEV_INDEX */
	DIBS_A_EVENT_REMOTE_GID,	/* binary: event-signal's receiver */

	__DIBS_A_EVENT_MAX,
	DIBS_A_EVENT_MAX = (__DIBS_A_EVENT_MAX - 1)
};

/* attribute-set "signal": a signal on a userspace-owned DMB */
enum {
	DIBS_A_SIGNAL_DEV_INDEX = 1,	/* u32 */
	DIBS_A_SIGNAL_TOKEN,		/* u64 */
	DIBS_A_SIGNAL_SBA_IDX,		/* u32 */
	DIBS_A_SIGNAL_MASK,		/* u32: coalesced signal bits */
	DIBS_A_SIGNAL_PAD,

	__DIBS_A_SIGNAL_MAX,
	DIBS_A_SIGNAL_MAX = (__DIBS_A_SIGNAL_MAX - 1)
};

enum {
	DIBS_CMD_DEV_GET = 1,
	DIBS_CMD_DEV_NEW,
	DIBS_CMD_DEV_DEL,
	DIBS_CMD_DEV_SET,
	DIBS_CMD_REMOTE_QUERY,
	DIBS_CMD_DMB_GET,
	DIBS_CMD_DMB_GRANT,
	DIBS_CMD_DMB_REVOKE,
	DIBS_CMD_DMB_WRITE,
	DIBS_CMD_DMB_READ,
	DIBS_CMD_CLIENT_GET,
	/* notifications */
	DIBS_CMD_DEV_ADD_NTF,		/* group mgmt, "dev" */
	DIBS_CMD_DEV_DEL_NTF,		/* group mgmt, "dev" */
	DIBS_CMD_DEV_CHANGE_NTF,	/* group mgmt, "dev" */
	DIBS_CMD_DMB_ADD_NTF,		/* group mgmt, "dmb" */
	DIBS_CMD_DMB_DEL_NTF,		/* group mgmt, "dmb" */
	DIBS_CMD_CLIENT_ADD_NTF,	/* group mgmt, "client" */
	DIBS_CMD_CLIENT_DEL_NTF,	/* group mgmt, "client" */
	DIBS_CMD_EVENT_NTF,		/* group mgmt, "event" */
	DIBS_CMD_SIGNAL_NTF,		/* group signal, "signal" */
	DIBS_CMD_EVENT_SIGNAL,		/* "event": send a DIBS_EVENT_SW */

	__DIBS_CMD_MAX,
	DIBS_CMD_MAX = (__DIBS_CMD_MAX - 1)
};

#endif /* _UAPI_LINUX_DIBS_H */
