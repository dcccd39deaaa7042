/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libdibsnl unit tests: the suites, canned-message builders
 * and a fake transport that records requests and plays back replies.
 */
#ifndef TESTS_H
#define TESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"
#include "tap.h"

extern const struct tcase gid_tests[];
extern const struct tcase msg_tests[];
extern const struct tcase parse_tests[];
extern const struct tcase ack_tests[];
extern const struct tcase build_tests[];
extern const struct tcase ops_tests[];
extern const struct tcase ntf_tests[];
extern const struct tcase kernel_tests[];

#define FAKE_FAMILY	0x1b
#define FAKE_PORTID	4242
#define FAKE_GRP_MGMT	7
#define FAKE_GRP_SIGNAL	8

/* An aligned buffer for one canned message. */
#define MSGBUF_SIZE	(DIBSNL_RX_SIZE)
struct msgbuf {
	uint64_t words[MSGBUF_SIZE / 8];
};

/* Start a dibs-family message (a reply or notification) with command @cmd. */
struct nlmsghdr *msg_start(struct dibsnl_req *r, struct msgbuf *b,
			   uint8_t cmd);
struct nlattr *msg_nest_start(struct dibsnl_req *r, uint16_t type);
void msg_nest_end(struct dibsnl_req *r, struct nlattr *nest);

/* Canned objects, with every attribute the uapi README lists. */
void msg_dev(struct dibsnl_req *r, uint32_t index, const char *name);
void msg_dmb(struct dibsnl_req *r, uint64_t token, uint32_t dev_index);

#define FAKE_QMAX	64
#define FAKE_SMAX	64
#define FAKE_IOVMAX	16

struct fake {
	struct {
		void *buf;
		size_t len;
		int err;		/* recv returns this instead */
	} q[FAKE_QMAX];
	unsigned int head, nq;

	void *sent[FAKE_SMAX];
	size_t sent_len[FAKE_SMAX];
	unsigned int nsent;
	int send_err;
	/* the pieces of the last sendv() (its first FAKE_IOVMAX) */
	struct iovec iov[FAKE_IOVMAX];
	int iovcnt;

	/* called for each request sent; queues its answer */
	void (*respond)(struct fake *f, const struct nlmsghdr *req);
	void *priv;

	uint32_t joined[4];
	unsigned int njoined;
};

/* A handle that talks to @f instead of a socket (portid FAKE_PORTID). */
struct dibsnl *fake_handle(struct fake *f);
void fake_close(struct dibsnl *h, struct fake *f);
void fake_queue(struct fake *f, const void *buf, size_t len);
void fake_queue_err(struct fake *f, int err);
void fake_queue_msg(struct fake *f, const struct nlmsghdr *nlh);
/*
 * The ack of @req: NLMSG_ERROR, capped, with extack @msg if not NULL; as
 * the kernel, nothing when @err is 0 and @req did not ask for an ack.
 */
void fake_ack(struct fake *f, const struct nlmsghdr *req, int err,
	      const char *msg);
void fake_done(struct fake *f, const struct nlmsghdr *req, int err);
/* A reply to @req of the dibs family, to fill and then fake_queue_msg(). */
struct nlmsghdr *fake_reply(struct dibsnl_req *r, struct msgbuf *b,
			    const struct nlmsghdr *req, uint8_t cmd);
/* The request @i as the kernel would have parsed it. */
const struct nlmsghdr *fake_sent(struct fake *f, unsigned int i);

#endif /* TESTS_H */
