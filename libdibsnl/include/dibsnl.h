/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdibsnl: the "dibs" generic netlink family for tools and daemons.
 *
 * One handle is one netlink socket; handles share nothing, so two in one
 * process (or one per thread) work independently. Every call returns 0 or
 * a negative errno; after a failure the kernel's extack text, if it sent
 * one, is available from dibsnl_errmsg() until the next call on the handle
 * (or, for errors found before anything reached the kernel, the library's
 * own one-line explanation).
 *
 * The structs and the ABI (libdibsnl(3), README "Growing a struct"):
 * - Extensible, fields only ever added at the end: struct dibsnl_dev,
 *   dibsnl_dmb, dibsnl_client, dibsnl_event, dibsnl_signal, dibsnl_ntf
 *   (the library fills them) and dibsnl_dev_new, dibsnl_dmb_filter (it
 *   reads them). Allocate them anywhere, as before. The library writes and
 *   reads no more of them than the binary that opened the handle was built
 *   with: the version of dibsnl_open() a binary is bound to tells it
 *   (DIBSNL_1 before 1.4; each later generation of the structs its own),
 *   and a binary built with a newer header needs a library at least that
 *   new. A struct a callback gets is at least as large as the caller's.
 * - Frozen, never to change: struct dibsnl_dev_ref (passed by value),
 *   dibsnl_dmb_map (dibsnl_dmb_unmap() has no handle to say whose layout),
 *   dibsnl_client_dev and dibsnl_watch_event (elements of arrays),
 *   dibsnl_dev_stats and dibsnl_dmb_stats (inside other structs).
 */
#ifndef DIBSNL_H
#define DIBSNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DIBSNL_GID_LEN		16
#define DIBSNL_GID_STR_LEN	37	/* uuid text plus NUL */
#define DIBSNL_NAME_MAX		16	/* device names, with NUL */
#define DIBSNL_CLIENT_NAME_MAX	64

struct dibsnl;

/*
 * Open a handle: a socket with the family's id and groups resolved.
 * -ENOENT: the family is not registered, i.e. the dibs module is not
 * loaded (there is no handle to ask dibsnl_errmsg(): callers say so
 * themselves, e.g. "dibs netlink family not found (is the dibs module
 * loaded?)").
 */
int dibsnl_open(struct dibsnl **h);
void dibsnl_close(struct dibsnl *h);

/* The kernel's extack message for the last failed call, or "". */
const char *dibsnl_errmsg(const struct dibsnl *h);

/* The version of the library that runs, e.g. "0.1.0" (the project's). */
const char *dibsnl_version(void);

/* gids: 16 raw bytes; text is the usual uuid form */
int dibsnl_gid_parse(const char *text, uint8_t gid[DIBSNL_GID_LEN]);
void dibsnl_gid_format(const uint8_t gid[DIBSNL_GID_LEN],
		       char text[DIBSNL_GID_STR_LEN]);

enum dibsnl_dev_state {
	DIBSNL_DEV_DOWN = 0,
	DIBSNL_DEV_UP = 1,
};

struct dibsnl_dev_stats {
	uint64_t moves;
	uint64_t move_bytes;
	uint64_t signals;
	uint64_t move_errors;
	uint64_t dmbs_registered;
	uint64_t dmbs_unregistered;
};

struct dibsnl_dev {
	uint32_t index;
	char name[DIBSNL_NAME_MAX];
	char type[32];
	uint8_t gid[DIBSNL_GID_LEN];
	uint16_t fabric_id;
	enum dibsnl_dev_state state;
	uint32_t max_dmbs;
	uint32_t dmb_count;
	bool mapped_dmb;
	char parent_bus[32];		/* "" when there is none */
	char parent_name[64];
	/*
	 * The peer id of the device's namespace, when that is not the
	 * reader's: -1 when the kernel sent none, or sent -1
	 * (NETNSA_NSID_NOT_ASSIGNED); other negative values as sent.
	 */
	int32_t netns_id;
	bool has_stats;
	struct dibsnl_dev_stats stats;
};

struct dibsnl_dmb_stats {
	uint64_t writes;
	uint64_t write_bytes;
	uint64_t signals;
	uint64_t refused;
};

struct dibsnl_dmb {
	uint64_t token;
	uint32_t dev_index;
	char dev_name[DIBSNL_NAME_MAX];
	uint32_t client_id;
	char client_name[DIBSNL_CLIENT_NAME_MAX];
	uint8_t rgid[DIBSNL_GID_LEN];
	uint32_t len;
	uint32_t sba_idx;
	bool owned;
	bool has_stats;
	struct dibsnl_dmb_stats stats;
};

struct dibsnl_client_dev {
	uint32_t dev_index;
	uint32_t dmb_count;
};

/*
 * A client and its DMB count per device. devs[] holds the first
 * DIBSNL_CLIENT_DEVS_MAX devices (by index) only, n_devs never exceeds it;
 * n_devs_all (since DIBSNL_1.4) counts them all, so n_devs < n_devs_all
 * says devs[] was cut: dibsnl_client_dump_devs() has every one.
 * (Notifications carry no devices.)
 */
#define DIBSNL_CLIENT_DEVS_MAX	64

struct dibsnl_client {
	uint32_t id;
	char name[DIBSNL_CLIENT_NAME_MAX];
	uint32_t dmb_count;
	unsigned int n_devs;
	struct dibsnl_client_dev devs[DIBSNL_CLIENT_DEVS_MAX];
	unsigned int n_devs_all;	/* since DIBSNL_1.4 */
};

/*
 * enum dibs_event_type / dibs_event_subtype of the uapi header. In a
 * software event (type 2, DIBS_EVENT_SW) subtype is the sender's code and
 * gid the sender's gid; see dibsnl_event_signal().
 */
struct dibsnl_event {
	uint32_t dev_index;
	uint32_t type;
	uint32_t subtype;
	uint8_t gid[DIBSNL_GID_LEN];
	uint64_t token;
	uint64_t time;
	uint64_t data;
};

struct dibsnl_signal {
	uint32_t dev_index;
	uint64_t token;
	uint32_t sba_idx;
	uint32_t mask;
};

/*
 * A device is named by index (non-zero) or, when index is 0, by name.
 * Callbacks of dumps return 0 to go on or a negative errno to stop; that
 * value is then what the dump call returns.
 *
 * A dump spans several messages; when devices or DMBs came or went while
 * it ran, the kernel marks it interrupted (NLM_F_DUMP_INTR). The dump then
 * still runs to its end, every object reaching the callback, but the call
 * returns -EINTR, with dibsnl_errmsg() "dump interrupted: ...": what the
 * callback saw may be inconsistent (an object missing or seen twice). The
 * library does not retry (the callback has seen the objects already):
 * callers that need a consistent view drop what they got and dump again.
 */
struct dibsnl_dev_ref {
	uint32_t index;
	const char *name;
};

int dibsnl_dev_get(struct dibsnl *h, struct dibsnl_dev_ref dev,
		   struct dibsnl_dev *out);
int dibsnl_dev_dump(struct dibsnl *h,
		    int (*cb)(const struct dibsnl_dev *dev, void *arg),
		    void *arg);

struct dibsnl_dev_new {
	const char *name;
	const char *type;		/* "loopback", "sim" */
	bool has_fabric_id;
	uint16_t fabric_id;
	bool has_gid;
	uint8_t gid[DIBSNL_GID_LEN];
};

/* @out may be NULL */
int dibsnl_dev_new(struct dibsnl *h, const struct dibsnl_dev_new *req,
		   struct dibsnl_dev *out);
int dibsnl_dev_del(struct dibsnl *h, struct dibsnl_dev_ref dev);
int dibsnl_dev_set_state(struct dibsnl *h, struct dibsnl_dev_ref dev,
			 enum dibsnl_dev_state state);
/* Move the device to the network namespace of @pid, or of @fd (pid 0). */
int dibsnl_dev_set_netns(struct dibsnl *h, struct dibsnl_dev_ref dev,
			 uint32_t pid, int fd);
/*
 * Both in one request: the state @state when @set_state, and the network
 * namespace of @pid, or of @fd (pid 0), unless pid is 0 and fd < 0. The
 * kernel checks everything first: either both change or neither does.
 */
int dibsnl_dev_set(struct dibsnl *h, struct dibsnl_dev_ref dev,
		   bool set_state, enum dibsnl_dev_state state,
		   uint32_t pid, int fd);

/* *reachable is set when the call succeeds */
int dibsnl_remote_query(struct dibsnl *h, struct dibsnl_dev_ref dev,
			const uint8_t rgid[DIBSNL_GID_LEN], bool *reachable);

int dibsnl_dmb_get(struct dibsnl *h, struct dibsnl_dev_ref dev,
		   uint64_t token, struct dibsnl_dmb *out);

struct dibsnl_dmb_filter {
	struct dibsnl_dev_ref dev;	/* {0, NULL}: every device */
	const char *client_name;	/* NULL: every client */
};

int dibsnl_dmb_dump(struct dibsnl *h, const struct dibsnl_dmb_filter *filter,
		    int (*cb)(const struct dibsnl_dmb *dmb, void *arg),
		    void *arg);

/*
 * Register a DMB of @len bytes on @dev that only @rgid may write. With
 * @owned, the kernel releases it when this handle's socket closes.
 * @out (may be NULL) receives the new DMB, token included.
 */
int dibsnl_dmb_grant(struct dibsnl *h, struct dibsnl_dev_ref dev,
		     const uint8_t rgid[DIBSNL_GID_LEN], uint32_t len,
		     bool owned, struct dibsnl_dmb *out);
int dibsnl_dmb_revoke(struct dibsnl *h, struct dibsnl_dev_ref dev,
		      uint64_t token);

/*
 * Write @len bytes at @offset into DMB @token from the writing device @dev.
 * Through /dev/dibs when it opens and the handle's socket is in the calling
 * thread's network namespace (one ioctl; the kernel writes 64 KiB pieces),
 * else over netlink: up to 128 KiB per message (less with a small socket
 * send buffer), each in pieces of DIBS_DATA_CHUNK_MAX the kernel writes in
 * order, sent from @data without a copy. DIBSNL_DATA_PATH=netlink in the
 * environment forces netlink. With @signal_idx >= 0 the last piece raises
 * that signal. @len 0 sends one empty write (a signal only). On an error
 * the pieces before the refused one landed (a write past the DMB's end is
 * partial); no signal is raised. Either way errors read alike.
 */
int dibsnl_dmb_write(struct dibsnl *h, struct dibsnl_dev_ref dev,
		     uint64_t token, uint32_t offset, const void *data,
		     size_t len, int signal_idx);
/* Read @len bytes at @offset of the userspace-owned DMB @token on @dev. */
int dibsnl_dmb_read(struct dibsnl *h, struct dibsnl_dev_ref dev,
		    uint64_t token, uint32_t offset, void *buf, size_t len);

/* Mapped DMBs (through /dev/dibs; linux/dibs_ioctl.h DIBS_IOC_DMB_MAP) */

#define DIBSNL_MAP_REMOTE	(1u << 0)	/* map as the writer */
#define DIBSNL_MAP_WRITE	(1u << 1)	/* owner: writable too */
#define DIBSNL_MAP_FALLBACK	(1u << 2)	/* remote: see below */

struct dibsnl_dmb_map {
	void *addr;		/* the mapping; NULL with @fallback */
	size_t map_len;		/* its length: @len up to whole pages */
	uint32_t len;		/* the DMB's length */
	bool fallback;		/* no mapping: write with dibsnl_dmb_write() */
};

/*
 * Map DMB @token into memory. Without DIBSNL_MAP_REMOTE, @dev is the DMB's
 * own device and @token a DMB granted from userspace there: the owner's
 * view, read-only unless DIBSNL_MAP_WRITE. With DIBSNL_MAP_REMOTE, @dev is
 * the writing device and @token a DMB on its fabric granted to its gid:
 * the device attaches it (as attach_dmb() does for kernel clients) and the
 * mapping is writable; stores land in the DMB with no call at all, and
 * dibsnl_dmb_signal() tells the owner. Only devices that report
 * mapped_dmb (loopback, sim, ivshmem) can; the owner's view works on the
 * same devices.
 *
 * The mapping keeps the DMB's memory until dibsnl_dmb_unmap() (or exit):
 * after a revoke it still reads and writes the same memory, which nobody
 * else sees any more. It outlives the handle. An ivshmem device's removal
 * takes the memory away: accesses then raise SIGBUS, and
 * dibsnl_dmb_unmap() is still needed.
 *
 * Errors, with a dibsnl_errmsg() that says which: -ENODEV (no such device),
 * -ENOENT (no such DMB: not granted from userspace on @dev, or not on the
 * writer's fabric), -EACCES (the DMB is not granted to the writing
 * device), -EOPNOTSUPP (the device cannot map: not a soft device or
 * ivshmem, no mapped remote DMBs, an ivshmem buffer not in whole pages; or
 * /dev/dibs is not usable: missing, in another network
 * namespace than the handle, DIBSNL_DATA_PATH=netlink, or an older
 * module), -ENETDOWN (the writer is down), -EPERM (no CAP_NET_ADMIN).
 *
 * With DIBSNL_MAP_REMOTE | DIBSNL_MAP_FALLBACK, where the result would be
 * -EOPNOTSUPP the call succeeds instead with @out->fallback set and
 * @out->addr NULL: the caller writes with dibsnl_dmb_write() and signals
 * with dibsnl_dmb_signal(), as it would after storing into a mapping.
 * dibsnl_errmsg() still says why there is no mapping.
 */
int dibsnl_dmb_map(struct dibsnl *h, struct dibsnl_dev_ref dev,
		   uint64_t token, unsigned int flags,
		   struct dibsnl_dmb_map *out);
/* Unmap what dibsnl_dmb_map() mapped (nothing for a fallback); clears it. */
int dibsnl_dmb_unmap(struct dibsnl_dmb_map *map);
/*
 * Raise the signals in @mask (bit i: signal index i, 0 to 15) on DMB @token
 * from the writing device @dev, without data: after stores through a
 * mapping, which the owner then sees. Through /dev/dibs in one call, else
 * (no /dev/dibs, older module) one empty dmb-write per bit. Errors as for
 * dibsnl_dmb_write(); -EINVAL for an empty @mask.
 */
int dibsnl_dmb_signal(struct dibsnl *h, struct dibsnl_dev_ref dev,
		      uint64_t token, uint16_t mask);

/*
 * Signals read from /dev/dibs (DIBSNL_1.5; linux/dibs_ioctl.h
 * DIBS_IOC_DMB_WATCH). The owner of a DMB granted from userspace watches
 * it on a handle; its signals then wake a reader of dibsnl_watch_read()
 * straight from the device's interrupt, with no netlink notification in
 * between (those go on as before, to whoever subscribed to
 * DIBSNL_GROUP_SIGNAL). A DMB is watched by one handle at most; a handle
 * watches up to 64 (DIBS_DMB_WATCH_MAX). Signals raised before the watch
 * began are not reported.
 *
 * Errors of dibsnl_dmb_watch(), with a dibsnl_errmsg() that says which:
 * -ENODEV (no such device), -ENOENT (no DMB granted from userspace with
 * this token on @dev), -EBUSY (watched already, by this or another
 * handle), -ENOSPC (this handle watches 64), -EPERM (no CAP_NET_ADMIN),
 * -EOPNOTSUPP (/dev/dibs is not usable, as for dibsnl_dmb_map(), or the
 * dibs module is older than the watch): the caller then waits for the
 * DIBSNL_GROUP_SIGNAL notifications instead.
 * dibsnl_dmb_unwatch(): -ENOENT when this handle does not watch it (or the
 * watch ended: dibsnl_watch_read() reports that); after it returns 0,
 * nothing more of that DMB is read.
 */
int dibsnl_dmb_watch(struct dibsnl *h, struct dibsnl_dev_ref dev,
		     uint64_t token);
int dibsnl_dmb_unwatch(struct dibsnl *h, struct dibsnl_dev_ref dev,
		       uint64_t token);

/* The watch ended without dibsnl_dmb_unwatch(): see below. */
#define DIBSNL_WATCH_ENDED	(1u << 0)

/* One watched DMB that had signals, or whose watch ended (frozen). */
struct dibsnl_watch_event {
	uint64_t token;
	uint32_t dev_index;
	uint16_t mask;		/* the signals since it was last read */
	uint16_t flags;		/* DIBSNL_WATCH_* */
};

/*
 * Read up to @n events: one per watched DMB with signals since the last
 * read reported it, coalesced. Waits up to @timeout_ms for the first
 * (0: not at all, -1: forever). Returns the number read, 0 when none came
 * in time, or a negative errno: -EINTR (a signal handler ran), -EINVAL
 * (@n is 0), -EPERM or -EOPNOTSUPP (/dev/dibs not usable, as for
 * dibsnl_dmb_watch()). A watch ends when its DMB is revoked (or its
 * owner's socket closes), its device is deleted or moves to another
 * network namespace: it is reported once more with DIBSNL_WATCH_ENDED
 * (and the signals before, if any), then forgotten.
 */
int dibsnl_watch_read(struct dibsnl *h, struct dibsnl_watch_event *ev,
		      unsigned int n, int timeout_ms);
/*
 * The file descriptor to poll for POLLIN (an event waits), for a caller
 * with a poll loop of its own; then dibsnl_watch_read() with timeout 0.
 * -EPERM or -EOPNOTSUPP as above.
 */
int dibsnl_watch_fd(struct dibsnl *h);

/*
 * Send a software event (the kernel's signal_event()) from @dev to the
 * device with gid @rgid on its fabric: its clients, and its namespace's
 * DIBSNL_GROUP_MGMT listeners as a DIBSNL_NTF_EVENT, get type 2
 * (DIBS_EVENT_SW), @subtype, @data and the gid of @dev. Needs
 * CAP_NET_ADMIN. Errors: -ENETUNREACH (no such gid reachable, or it is
 * down), -ENETDOWN (@dev is down), -ENOBUFS (too many events wait at the
 * receiver: send again later), -EOPNOTSUPP (@dev cannot send events),
 * -ENODEV, -EPERM. Since DIBSNL_1.3.
 */
int dibsnl_event_signal(struct dibsnl *h, struct dibsnl_dev_ref dev,
			const uint8_t rgid[DIBSNL_GID_LEN], uint32_t subtype,
			uint64_t data);

/*
 * One callback per client. The kernel sends a client on many devices in
 * several messages in a row; they come here as one client. @c->devs has
 * the first DIBSNL_CLIENT_DEVS_MAX devices only (see struct dibsnl_client).
 */
int dibsnl_client_dump(struct dibsnl *h,
		       int (*cb)(const struct dibsnl_client *c, void *arg),
		       void *arg);

/*
 * Like dibsnl_client_dump(), with every device of the client: @devs has
 * @n_devs entries (@c->devs the first of them), valid during the callback.
 * -ENOMEM when they do not fit in memory.
 */
typedef int (*dibsnl_client_devs_cb)(const struct dibsnl_client *c,
				     const struct dibsnl_client_dev *devs,
				     unsigned int n_devs, void *arg);
int dibsnl_client_dump_devs(struct dibsnl *h, dibsnl_client_devs_cb cb,
			    void *arg);

/* Notifications */

enum dibsnl_ntf_kind {
	DIBSNL_NTF_DEV_ADD,
	DIBSNL_NTF_DEV_DEL,
	DIBSNL_NTF_DEV_CHANGE,
	DIBSNL_NTF_DMB_ADD,
	DIBSNL_NTF_DMB_DEL,
	DIBSNL_NTF_CLIENT_ADD,
	DIBSNL_NTF_CLIENT_DEL,
	DIBSNL_NTF_EVENT,
	DIBSNL_NTF_SIGNAL,
};

struct dibsnl_ntf {
	enum dibsnl_ntf_kind kind;
	union {
		struct dibsnl_dev dev;		/* DEV_* */
		struct dibsnl_dmb dmb;		/* DMB_* */
		struct dibsnl_client client;	/* CLIENT_* */
		struct dibsnl_event event;	/* EVENT */
		struct dibsnl_signal signal;	/* SIGNAL */
	};
};

#define DIBSNL_GROUP_MGMT	(1u << 0)
#define DIBSNL_GROUP_SIGNAL	(1u << 1)

/*
 * Join groups on this handle. Afterwards poll dibsnl_fd() for POLLIN and
 * call dibsnl_ntf_dispatch(), which reads what is queued (without blocking
 * when the fd is non-blocking) and calls @cb once per notification.
 * A handle that subscribed should be used for nothing else.
 *
 * dibsnl_ntf_dispatch() returns 0 once nothing more is queued; a non-zero
 * value @cb returned (it stops there); -ENOBUFS when the socket overran and
 * notifications were lost (resync by dumping; later calls go on); -EINVAL
 * when a malformed notification was skipped; or another negative errno.
 * Notifications of commands newer than this library are skipped.
 */
int dibsnl_subscribe(struct dibsnl *h, unsigned int groups);
int dibsnl_fd(const struct dibsnl *h);
int dibsnl_ntf_dispatch(struct dibsnl *h,
			int (*cb)(const struct dibsnl_ntf *ntf, void *arg),
			void *arg);

#ifdef __cplusplus
}
#endif

#endif /* DIBSNL_H */
