// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Canned messages and the fake transport.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

struct nlmsghdr *msg_start(struct dibsnl_req *r, struct msgbuf *b,
			   uint8_t cmd)
{
	memset(b, 0, sizeof(*b));
	dibsnl_req_init(r, b, sizeof(*b), FAKE_FAMILY, cmd,
			DIBS_FAMILY_VERSION, 0);
	r->nlh->nlmsg_flags = 0;
	return r->nlh;
}

struct nlattr *msg_nest_start(struct dibsnl_req *r, uint16_t type)
{
	return mnl_attr_nest_start(r->nlh, type);
}

void msg_nest_end(struct dibsnl_req *r, struct nlattr *nest)
{
	mnl_attr_nest_end(r->nlh, nest);
}

static const uint8_t test_gid[DIBS_GID_LEN] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
};

void msg_dev(struct dibsnl_req *r, uint32_t index, const char *name)
{
	struct nlattr *st;

	dibsnl_req_u32(r, DIBS_A_DEV_INDEX, index);
	dibsnl_req_str(r, DIBS_A_DEV_NAME, name);
	dibsnl_req_str(r, DIBS_A_DEV_TYPE, "loopback");
	dibsnl_req_put(r, DIBS_A_DEV_GID, test_gid, sizeof(test_gid));
	dibsnl_req_u16(r, DIBS_A_DEV_FABRIC_ID, 0xffff);
	dibsnl_req_u32(r, DIBS_A_DEV_STATE, DIBS_DEV_STATE_UP);
	dibsnl_req_u32(r, DIBS_A_DEV_MAX_DMBS, 5000);
	dibsnl_req_u32(r, DIBS_A_DEV_DMB_COUNT, 2);
	dibsnl_req_u8(r, DIBS_A_DEV_MAPPED_DMB, 1);
	dibsnl_req_str(r, DIBS_A_DEV_PARENT_BUS, "platform");
	dibsnl_req_str(r, DIBS_A_DEV_PARENT_NAME, "dibs-sim.0");
	dibsnl_req_u32(r, DIBS_A_DEV_NETNS_ID, (uint32_t)-2);
	st = msg_nest_start(r, DIBS_A_DEV_STATS);
	dibsnl_req_flag(r, DIBS_A_DEV_STATS_PAD);
	dibsnl_req_u64(r, DIBS_A_DEV_STATS_MOVES, 10);
	dibsnl_req_u64(r, DIBS_A_DEV_STATS_MOVE_BYTES, 1ULL << 40);
	dibsnl_req_u64(r, DIBS_A_DEV_STATS_SIGNALS, 3);
	dibsnl_req_u64(r, DIBS_A_DEV_STATS_MOVE_ERRORS, 4);
	dibsnl_req_u64(r, DIBS_A_DEV_STATS_DMBS_REGISTERED, 5);
	dibsnl_req_u64(r, DIBS_A_DEV_STATS_DMBS_UNREGISTERED, 6);
	msg_nest_end(r, st);
}

void msg_dmb(struct dibsnl_req *r, uint64_t token, uint32_t dev_index)
{
	struct nlattr *st;

	dibsnl_req_flag(r, DIBS_A_DMB_PAD);
	dibsnl_req_u64(r, DIBS_A_DMB_TOKEN, token);
	dibsnl_req_u32(r, DIBS_A_DMB_DEV_INDEX, dev_index);
	dibsnl_req_str(r, DIBS_A_DMB_DEV_NAME, "lo");
	dibsnl_req_u32(r, DIBS_A_DMB_CLIENT_ID, 1);
	dibsnl_req_str(r, DIBS_A_DMB_CLIENT_NAME, "userspace");
	dibsnl_req_put(r, DIBS_A_DMB_RGID, test_gid, sizeof(test_gid));
	dibsnl_req_u32(r, DIBS_A_DMB_LEN, 65536);
	dibsnl_req_u32(r, DIBS_A_DMB_SBA_IDX, 17);
	dibsnl_req_flag(r, DIBS_A_DMB_OWNED);
	st = msg_nest_start(r, DIBS_A_DMB_STATS);
	dibsnl_req_u64(r, DIBS_A_DMB_STATS_WRITES, 7);
	dibsnl_req_u64(r, DIBS_A_DMB_STATS_WRITE_BYTES, 700);
	dibsnl_req_u64(r, DIBS_A_DMB_STATS_SIGNALS, 2);
	dibsnl_req_u64(r, DIBS_A_DMB_STATS_REFUSED, 1);
	msg_nest_end(r, st);
}

/* The fake transport */

static ssize_t fake_send(struct dibsnl *h, const void *buf, size_t len)
{
	struct fake *f = h->io_priv;
	void *copy;

	if (f->send_err)
		return f->send_err;
	if (f->nsent == FAKE_SMAX) {
		tap_fail(__FILE__, __LINE__, "too many requests");
		return -ENOSPC;
	}
	copy = malloc(len);
	memcpy(copy, buf, len);
	f->sent[f->nsent] = copy;
	f->sent_len[f->nsent++] = len;
	if (f->respond)
		f->respond(f, copy);
	return len;
}

/* Gathered into one message, as the kernel sees it; the pieces noted. */
static ssize_t fake_sendv(struct dibsnl *h, const struct iovec *iov,
			  int iovcnt)
{
	struct fake *f = h->io_priv;
	size_t len = 0, off = 0;
	ssize_t n;
	char *buf;
	int i;

	f->iovcnt = iovcnt;
	for (i = 0; i < iovcnt; i++) {
		if (i < FAKE_IOVMAX)
			f->iov[i] = iov[i];
		len += iov[i].iov_len;
	}
	buf = malloc(len ? len : 1);
	for (i = 0; i < iovcnt; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	n = fake_send(h, buf, len);
	free(buf);
	return n;
}

static ssize_t fake_recv(struct dibsnl *h, void *buf, size_t len,
			 bool dontwait)
{
	struct fake *f = h->io_priv;
	ssize_t n;

	if (f->head == f->nq) {
		if (dontwait)
			return -EAGAIN;
		tap_fail(__FILE__, __LINE__, "recv() would block forever");
		return -ETIMEDOUT;
	}
	if (f->q[f->head].err) {
		n = f->q[f->head].err;
	} else if (f->q[f->head].len > len) {
		n = -EMSGSIZE;
	} else {
		n = f->q[f->head].len;
		memcpy(buf, f->q[f->head].buf, n);
	}
	free(f->q[f->head].buf);
	f->q[f->head].buf = NULL;
	if (++f->head == f->nq)
		f->head = f->nq = 0;
	return n;
}

static int fake_join(struct dibsnl *h, uint32_t group)
{
	struct fake *f = h->io_priv;

	if (f->njoined < ARRAY_SIZE(f->joined))
		f->joined[f->njoined++] = group;
	return 0;
}

static const struct dibsnl_io fake_io = {
	.send = fake_send,
	.sendv = fake_sendv,
	.recv = fake_recv,
	.join = fake_join,
};

struct dibsnl *fake_handle(struct fake *f)
{
	struct dibsnl *h = dibsnl_alloc();

	memset(f, 0, sizeof(*f));
	h->io = &fake_io;
	h->io_priv = f;
	h->portid = FAKE_PORTID;
	h->family = FAKE_FAMILY;
	h->mcgrp_mgmt = FAKE_GRP_MGMT;
	h->mcgrp_signal = FAKE_GRP_SIGNAL;
	return h;
}

void fake_close(struct dibsnl *h, struct fake *f)
{
	unsigned int i;

	CHECK_EQ(f->nq - f->head, 0);	/* every reply was read */
	for (i = f->head; i < f->nq; i++)
		free(f->q[i].buf);
	for (i = 0; i < f->nsent; i++)
		free(f->sent[i]);
	dibsnl_close(h);
}

static void queue(struct fake *f, const void *buf, size_t len, int err)
{
	if (f->nq == FAKE_QMAX) {
		tap_fail(__FILE__, __LINE__, "too many replies queued");
		return;
	}
	f->q[f->nq].buf = NULL;
	if (buf) {
		f->q[f->nq].buf = malloc(len);
		memcpy(f->q[f->nq].buf, buf, len);
	}
	f->q[f->nq].len = len;
	f->q[f->nq].err = err;
	f->nq++;
}

void fake_queue(struct fake *f, const void *buf, size_t len)
{
	queue(f, buf, len, 0);
}

void fake_queue_err(struct fake *f, int err)
{
	queue(f, NULL, 0, err);
}

void fake_queue_msg(struct fake *f, const struct nlmsghdr *nlh)
{
	queue(f, nlh, nlh->nlmsg_len, 0);
}

void fake_ack(struct fake *f, const struct nlmsghdr *req, int err,
	      const char *msg)
{
	struct msgbuf b;
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	/* as netlink_rcv_skb(): success is acked only when asked for */
	if (!err && !(req->nlmsg_flags & NLM_F_ACK))
		return;
	memset(&b, 0, sizeof(b));
	nlh = mnl_nlmsg_put_header(&b);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = err;
	e->msg = *req;
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	}
	fake_queue_msg(f, nlh);
}

void fake_done(struct fake *f, const struct nlmsghdr *req, int err)
{
	struct msgbuf b;
	struct nlmsghdr *nlh;
	int *e;

	memset(&b, 0, sizeof(b));
	nlh = mnl_nlmsg_put_header(&b);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	*e = err;
	fake_queue_msg(f, nlh);
}

struct nlmsghdr *fake_reply(struct dibsnl_req *r, struct msgbuf *b,
			    const struct nlmsghdr *req, uint8_t cmd)
{
	struct nlmsghdr *nlh = msg_start(r, b, cmd);

	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	if (req->nlmsg_flags & NLM_F_DUMP)
		nlh->nlmsg_flags = NLM_F_MULTI;
	return nlh;
}

const struct nlmsghdr *fake_sent(struct fake *f, unsigned int i)
{
	if (i >= f->nsent) {
		tap_fail(__FILE__, __LINE__, "no request %u", i);
		return NULL;
	}
	return f->sent[i];
}
