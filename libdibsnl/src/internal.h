/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdibsnl internals: the handle, the transport, request building and
 * attribute parsing. Not installed; the unit tests include it to reach the
 * parsers and builders directly.
 */
#ifndef DIBSNL_INTERNAL_H
#define DIBSNL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/dibs.h>

#include "dibsnl.h"

#define DIBSNL_EXPORT __attribute__((visibility("default")))

/*
 * Requests are built here. dmb-write data does not pass through it (it is
 * sent from the caller's buffer), but a request of the same size as one
 * data chunk is still allowed.
 */
#define DIBSNL_TX_SIZE		(DIBS_DATA_CHUNK_MAX + 4096)
/*
 * Data in one dmb-write request, in pieces of DIBS_DATA_CHUNK_MAX: well
 * under the default socket send buffer (wmem_default, 208 KiB), which
 * caps a netlink message. A smaller send buffer lowers it (write_max).
 */
#define DIBSNL_WRITE_MAX	(4 * DIBS_DATA_CHUNK_MAX)
/* Attributes whose payload a request refers to instead of holding. */
#define DIBSNL_REQ_REFS		(DIBSNL_WRITE_MAX / DIBS_DATA_CHUNK_MAX)
/*
 * Replies: a dmb-read chunk, or a dump datagram (the kernel sizes those by
 * what we read, capped at 32 KiB today); room to spare either way.
 */
#define DIBSNL_RX_SIZE		(65536 + 8192)
#define DIBSNL_ERRMSG_MAX	256

struct dibsnl;

/*
 * How a handle moves bytes. The default sends to and receives from the
 * kernel over the handle's socket; the unit tests put a fake in its place.
 * send(), sendv() (one message gathered from @iovcnt pieces) and recv()
 * return a byte count or a negative errno; recv() returns only datagrams
 * the kernel sent, and -EAGAIN when @dontwait finds none. join() adds a
 * multicast group: 0 or a negative errno.
 */
struct dibsnl_io {
	ssize_t (*send)(struct dibsnl *h, const void *buf, size_t len);
	ssize_t (*sendv)(struct dibsnl *h, const struct iovec *iov,
			 int iovcnt);
	ssize_t (*recv)(struct dibsnl *h, void *buf, size_t len,
			bool dontwait);
	int (*join)(struct dibsnl *h, uint32_t group);
	/*
	 * dmb-write without netlink (cdev.c); NULL, or -EOPNOTSUPP when it
	 * cannot take this write: netlink carries it.
	 */
	int (*dmb_write)(struct dibsnl *h, struct dibsnl_dev_ref dev,
			 uint64_t token, uint32_t offset, const void *data,
			 size_t len, int signal_idx);
};

/*
 * The sizes of the structs a caller allocates, as the binary that opened
 * the handle was compiled with (layout.h, handle.c): the library writes
 * and reads no more of them than that.
 */
struct dibsnl_layout {
	size_t dev;			/* dev_get, dev_new: out */
	size_t dmb;			/* dmb_get, dmb_grant: out */
	size_t dev_new;			/* dev_new: the request */
	size_t dmb_filter;		/* dmb_dump: the filter */
};

/* DIBSNL_1 to DIBSNL_1.4 (the structs callers allocate are unchanged) */
extern const struct dibsnl_layout dibsnl_layout_1;

/* @src (@src_size bytes) into the caller's @dst of @dst_size bytes. */
void dibsnl_copy_out(void *dst, size_t dst_size, const void *src,
		     size_t src_size);

/* A struct the caller allocated: where, and its size in the caller's layout */
struct dibsnl_out {
	void *obj;
	size_t size;
};

/* dibsnl.cdev_fd before the first write tried it, and when unusable */
#define DIBSNL_CDEV_UNOPENED	(-1)
#define DIBSNL_CDEV_UNUSABLE	(-2)

struct dibsnl {
	struct mnl_socket *nl;
	const struct dibsnl_io *io;
	const struct dibsnl_layout *layout;	/* the caller's */
	void *io_priv;			/* the fake transport's state */
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	uint32_t mcgrp_mgmt;		/* 0: the family has no such group */
	uint32_t mcgrp_signal;
	unsigned int groups;		/* DIBSNL_GROUP_* joined */
	size_t write_max;		/* data per dmb-write request */
	int cdev_fd;			/* /dev/dibs, or DIBSNL_CDEV_* */
	int cdev_errno;			/* why it is unusable: its open's */
	char errmsg[DIBSNL_ERRMSG_MAX];
	char *tx;			/* DIBSNL_TX_SIZE */
	char *rx;			/* DIBSNL_RX_SIZE */
};

/* handle.c */
struct dibsnl *dibsnl_alloc(void);
void dibsnl_free(struct dibsnl *h);
/* A generic netlink socket for @h, bound, with extended acks asked for. */
int dibsnl_open_socket(struct dibsnl *h);
void dibsnl_clear_err(struct dibsnl *h);
void dibsnl_set_err(struct dibsnl *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
extern const struct dibsnl_io dibsnl_socket_io;
/* dibsnl_open@DIBSNL_1 and dibsnl_open@@DIBSNL_1.4 (handle.c) */
DIBSNL_EXPORT int dibsnl_open_1(struct dibsnl **hp);
DIBSNL_EXPORT int dibsnl_open_1_4(struct dibsnl **hp);

/* cdev.c: the socket transport's dmb_write */
int dibsnl_cdev_dmb_write(struct dibsnl *h, struct dibsnl_dev_ref dev,
			  uint64_t token, uint32_t offset, const void *data,
			  size_t len, int signal_idx);

/*
 * cdev.c, for watch.c too: the handle's /dev/dibs (or -EOPNOTSUPP); the
 * same for @doing ("mapping a DMB"), with the reason it is not usable in
 * the handle's message (-EPERM: no CAP_NET_ADMIN or access; else
 * -EOPNOTSUPP); a device's name for an ioctl (false, with the message
 * set, if unusable); the messages of the errors all its ioctls share.
 */
int dibsnl_cdev_fd(struct dibsnl *h);
int dibsnl_cdev_fd_for(struct dibsnl *h, const char *doing);
bool dibsnl_cdev_dev_name(struct dibsnl *h, struct dibsnl_dev_ref dev,
			  char name[DIBS_DEV_NAME_MAX]);
void dibsnl_cdev_err(struct dibsnl *h, int err);

/* family.c: the CTRL_CMD_GETFAMILY reply */
struct dibsnl_family_info {
	uint16_t id;
	uint32_t version;
	uint32_t mcgrp_mgmt;
	uint32_t mcgrp_signal;
};

int dibsnl_parse_family(const struct nlmsghdr *nlh,
			struct dibsnl_family_info *fi);
int dibsnl_resolve_family(struct dibsnl *h, const char *name,
			  struct dibsnl_family_info *fi);

/*
 * msg.c: building requests. The buffer holds the message except the
 * payloads of the attributes added with dibsnl_req_put_ref(): those stay
 * in the caller's memory and are gathered at send time. nlmsg_len counts
 * the bytes in the buffer while the request is built; dibsnl_transact()
 * adds ref_len before it sends.
 */
struct dibsnl_req_ref {
	size_t at;			/* buffer bytes before the payload */
	const void *data;
	size_t len;
};

struct dibsnl_req {
	struct nlmsghdr *nlh;
	size_t size;			/* of the buffer nlh starts */
	bool overflow;			/* an attribute did not fit */
	unsigned int nrefs;
	size_t ref_len;			/* payload and padding bytes not in
					 * the buffer
					 */
	struct dibsnl_req_ref refs[DIBSNL_REQ_REFS];
};

void dibsnl_req_init(struct dibsnl_req *r, void *buf, size_t size,
		     uint16_t family, uint8_t cmd, uint8_t version,
		     uint16_t flags);
/* A request for the dibs family in the handle's transmit buffer. */
void dibsnl_req_start(struct dibsnl *h, struct dibsnl_req *r, uint8_t cmd,
		      uint16_t flags);
void dibsnl_req_put(struct dibsnl_req *r, uint16_t type, const void *data,
		    size_t len);
/*
 * An attribute whose @len payload bytes are sent from @data, not copied:
 * @data must stay valid until the request is sent. At most
 * DIBSNL_REQ_REFS per request; more sets overflow.
 */
void dibsnl_req_put_ref(struct dibsnl_req *r, uint16_t type,
			const void *data, size_t len);
/* The length of the message as it will be sent. */
size_t dibsnl_req_len(const struct dibsnl_req *r);
void dibsnl_req_u8(struct dibsnl_req *r, uint16_t type, uint8_t v);
void dibsnl_req_u16(struct dibsnl_req *r, uint16_t type, uint16_t v);
void dibsnl_req_u32(struct dibsnl_req *r, uint16_t type, uint32_t v);
void dibsnl_req_u64(struct dibsnl_req *r, uint16_t type, uint64_t v);
void dibsnl_req_str(struct dibsnl_req *r, uint16_t type, const char *s);
void dibsnl_req_flag(struct dibsnl_req *r, uint16_t type);
/*
 * The device of a request: @idx_type with dev.index, or else @name_type
 * with dev.name. -EINVAL (and a message in the handle) when neither is set
 * or the name is too long.
 */
int dibsnl_req_dev(struct dibsnl *h, struct dibsnl_req *r,
		   struct dibsnl_dev_ref dev, uint16_t idx_type,
		   uint16_t name_type);

/* msg.c: parsing attributes */
enum dibsnl_attr_kind {
	DIBSNL_ATTR_IGNORE = 0,		/* unknown or pad: skipped */
	DIBSNL_ATTR_U8,
	DIBSNL_ATTR_U16,
	DIBSNL_ATTR_U32,
	DIBSNL_ATTR_S32,
	DIBSNL_ATTR_U64,
	DIBSNL_ATTR_STRING,		/* any length, NUL optional */
	DIBSNL_ATTR_BINARY,		/* exactly .len bytes */
	DIBSNL_ATTR_BYTES,		/* any length */
	DIBSNL_ATTR_FLAG,		/* no payload */
	DIBSNL_ATTR_NEST,
};

struct dibsnl_policy {
	uint8_t kind;
	uint16_t len;			/* DIBSNL_ATTR_BINARY only */
};

#define DIBSNL_POLICY_GID \
	{ .kind = DIBSNL_ATTR_BINARY, .len = DIBS_GID_LEN }

/*
 * Walk the attributes in @buf (@len bytes): every attribute must fit, and
 * every known one (type <= @maxtype with a kind) must have its kind's
 * length. tb[type] gets the last of each known type; tb has @maxtype + 1
 * slots. Returns 0, or -EINVAL for any malformation.
 */
typedef int (*dibsnl_attr_cb)(const struct nlattr *a, void *arg);

/*
 * Call @cb for each attribute in @buf (@len bytes), stopping at the first
 * non-zero return. -EINVAL when an attribute overruns @buf or bytes are
 * left over after the last one.
 */
int dibsnl_attr_walk(const void *buf, size_t len, dibsnl_attr_cb cb,
		     void *arg);
int dibsnl_attr_parse(const void *buf, size_t len,
		      const struct dibsnl_policy *pol, unsigned int maxtype,
		      const struct nlattr **tb);
int dibsnl_attr_parse_nested(const struct nlattr *nest,
			     const struct dibsnl_policy *pol,
			     unsigned int maxtype, const struct nlattr **tb);
/* The attributes of a generic netlink message, after its genlmsghdr. */
int dibsnl_genl_parse(const struct nlmsghdr *nlh,
		      const struct dibsnl_policy *pol, unsigned int maxtype,
		      const struct nlattr **tb);
/* The genl command of @nlh, or -EINVAL if it has no genlmsghdr. */
int dibsnl_genl_cmd(const struct nlmsghdr *nlh);
/* The genl payload (attributes) of @nlh; NULL if it has no genlmsghdr. */
const void *dibsnl_genl_attrs(const struct nlmsghdr *nlh, size_t *len);
/*
 * Values of attributes the parsers validated; @a may be NULL (absent),
 * which yields @def or leaves @dst as it is.
 */
uint8_t dibsnl_attr_u8(const struct nlattr *a, uint8_t def);
uint16_t dibsnl_attr_u16(const struct nlattr *a, uint16_t def);
uint32_t dibsnl_attr_u32(const struct nlattr *a, uint32_t def);
int32_t dibsnl_attr_s32(const struct nlattr *a, int32_t def);
uint64_t dibsnl_attr_u64(const struct nlattr *a, uint64_t def);
/* Copy exactly @len bytes (the policy checked the attribute has them). */
void dibsnl_attr_memcpy(void *dst, size_t len, const struct nlattr *a);
/* Copy a string attribute into @dst, truncated, always terminated. */
void dibsnl_attr_strcpy(char *dst, size_t size, const struct nlattr *a);

/*
 * NLMSG_ERROR and NLMSG_DONE: the error they carry (0 for an ack), and the
 * extack message, if any, copied into @msg (always terminated). A message
 * too short to hold its error returns -EPROTO.
 */
int dibsnl_parse_ack(const struct nlmsghdr *nlh, char *msg, size_t size);

/* io.c: one request, its replies, its ack */
typedef int (*dibsnl_msg_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send @r with NLM_F_REQUEST | NLM_F_ACK and the next sequence number,
 * then read until its ack (or NLMSG_DONE). @cb sees each reply of the
 * request's family; once it returns non-zero it sees no more, the rest is
 * drained and that value returned. Otherwise the kernel's error (extack
 * in h->errmsg), or 0.
 */
int dibsnl_transact(struct dibsnl *h, struct dibsnl_req *r,
		    dibsnl_msg_cb cb, void *arg);

/*
 * A do-request with one reply: @cb (unless NULL) parses it. With @cb the
 * request asks for no ack and ends at the reply (errors still come as
 * NLMSG_ERROR); an ack without a reply is -EPROTO. Without @cb it is
 * dibsnl_transact(): the ack is the answer.
 */
int dibsnl_do(struct dibsnl *h, struct dibsnl_req *r, dibsnl_msg_cb cb,
	      void *arg);

/* dev.c, dmb.c, client.c, ntf.c: the objects */
int dibsnl_parse_dev(const struct nlmsghdr *nlh, struct dibsnl_dev *out);
int dibsnl_parse_remote_query(const struct nlmsghdr *nlh, bool *reachable);
int dibsnl_parse_dmb(const struct nlmsghdr *nlh, struct dibsnl_dmb *out);
/*
 * A dmb-read reply: DATA must be exactly @len bytes (copied to @buf);
 * TOKEN and OFFSET, when present, must be @token and @offset.
 */
int dibsnl_parse_dmb_data(const struct nlmsghdr *nlh, uint64_t token,
			  uint32_t offset, void *buf, size_t len);
int dibsnl_parse_client(const struct nlmsghdr *nlh,
			struct dibsnl_client *out);
int dibsnl_parse_event(const struct nlmsghdr *nlh, struct dibsnl_event *out);
int dibsnl_parse_signal(const struct nlmsghdr *nlh,
			struct dibsnl_signal *out);
/*
 * A notification: 0 and @out filled, 1 for a command this library does
 * not know (to be skipped), -EINVAL when malformed.
 */
int dibsnl_parse_ntf(const struct nlmsghdr *nlh, struct dibsnl_ntf *out);

#endif /* DIBSNL_INTERNAL_H */
