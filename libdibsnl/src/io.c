// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One request and its answer: send with the next sequence number, read the
 * replies that carry it, stop at the ack (do), at NLMSG_DONE (dump), or at
 * the reply itself (a do-request that asked for no ack).
 */
#include <errno.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>

#include "internal.h"

struct xact {
	uint32_t seq;
	uint16_t type;			/* of the replies: the request's */
	dibsnl_msg_cb cb;
	void *arg;
	int cb_ret;			/* non-zero: cb stopped the walk */
	bool interrupted;		/* NLM_F_DUMP_INTR seen */
	bool reply_ends;		/* no ack asked: the reply is the end */
};

/* 1 when the answer is complete, 0 to read on, or a negative errno. */
static int xact_msg(struct dibsnl *h, struct xact *x,
		    const struct nlmsghdr *nlh)
{
	int err;

	/*
	 * Notifications (port 0, seq 0) and replies to an earlier request
	 * that was given up (a receive error) are not ours: skip them.
	 */
	if (nlh->nlmsg_pid != h->portid || nlh->nlmsg_seq != x->seq)
		return 0;
	/* on an object, or on NLMSG_DONE for a change in the last part */
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		x->interrupted = true;

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
	case NLMSG_DONE:
		err = dibsnl_parse_ack(nlh, h->errmsg, sizeof(h->errmsg));
		if (err)
			return err;
		/* the text of a successful ack is a warning: not kept */
		dibsnl_clear_err(h);
		return 1;
	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		return 0;
	}
	if (nlh->nlmsg_type != x->type)
		return 0;
	if (x->reply_ends) {
		/* what an ack would have done; cb may set its own text */
		dibsnl_clear_err(h);
		if (x->cb)
			x->cb_ret = x->cb(nlh, x->arg);
		return 1;
	}
	if (x->cb && !x->cb_ret)
		x->cb_ret = x->cb(nlh, x->arg);
	return 0;
}

/*
 * The request as one message: the buffer alone, or gathered with the
 * payloads it refers to (buffer bytes | payload | padding | buffer bytes
 * | ...). The buffer's attributes stay aligned: the padding comes from here.
 */
static ssize_t send_req(struct dibsnl *h, struct dibsnl_req *r)
{
	static const char zeros[NLA_ALIGNTO];
	struct iovec iov[3 * DIBSNL_REQ_REFS + 1];
	const char *buf = (const char *)r->nlh;
	size_t from = 0, buf_len = r->nlh->nlmsg_len;
	unsigned int i;
	int n = 0;

	if (!r->nrefs)
		return h->io->send(h, buf, buf_len);
	if (!h->io->sendv)
		return -EOPNOTSUPP;

	r->nlh->nlmsg_len = buf_len + r->ref_len;
	for (i = 0; i < r->nrefs; i++) {
		const struct dibsnl_req_ref *ref = &r->refs[i];
		size_t pad = MNL_ALIGN(ref->len) - ref->len;

		if (ref->at > from) {
			iov[n].iov_base = (void *)(buf + from);
			iov[n++].iov_len = ref->at - from;
			from = ref->at;
		}
		if (ref->len) {
			iov[n].iov_base = (void *)ref->data;
			iov[n++].iov_len = ref->len;
		}
		if (pad) {
			iov[n].iov_base = (void *)zeros;
			iov[n++].iov_len = pad;
		}
	}
	if (buf_len > from) {
		iov[n].iov_base = (void *)(buf + from);
		iov[n++].iov_len = buf_len - from;
	}
	return h->io->sendv(h, iov, n);
}

/*
 * @ack false: a do-request whose reply is its answer. The kernel then
 * sends the reply alone on success (netlink_rcv_skb acks only what asked
 * for it, or an error), so one datagram and one recv() less; errors still
 * come as NLMSG_ERROR with their extack. Lost with the ack: the extack
 * text of a successful op (a warning), which this library drops anyway.
 */
static int xact_run(struct dibsnl *h, struct dibsnl_req *r,
		    dibsnl_msg_cb cb, void *arg, bool ack)
{
	struct xact x = { .cb = cb, .arg = arg };
	struct nlmsghdr *req = r->nlh;
	int err = 0;
	ssize_t n;

	if (r->overflow) {
		dibsnl_set_err(h, "request too large");
		return -EMSGSIZE;
	}

	if (++h->seq == 0)
		h->seq = 1;
	x.seq = h->seq;
	x.type = req->nlmsg_type;
	req->nlmsg_seq = x.seq;
	req->nlmsg_pid = 0;
	req->nlmsg_flags |= NLM_F_REQUEST;
	if (ack)
		req->nlmsg_flags |= NLM_F_ACK;
	x.reply_ends = !(req->nlmsg_flags & (NLM_F_ACK | NLM_F_DUMP));

	n = send_req(h, r);
	if (n < 0)
		return n;
	if ((size_t)n != req->nlmsg_len)
		return -EIO;

	while (!err) {
		const struct nlmsghdr *nlh = (const void *)h->rx;
		int len;

		n = h->io->recv(h, h->rx, DIBSNL_RX_SIZE, false);
		if (n < 0)
			return x.cb_ret ? x.cb_ret : n;
		len = n;
		while (!err && mnl_nlmsg_ok(nlh, len)) {
			err = xact_msg(h, &x, nlh);
			nlh = mnl_nlmsg_next(nlh, &len);
		}
	}

	if (x.cb_ret)
		return x.cb_ret;
	if (err < 0)
		return err;
	if (x.interrupted) {
		dibsnl_set_err(h, "dump interrupted: devices or DMBs changed while it ran, the result may be inconsistent");
		return -EINTR;
	}
	return 0;
}

int dibsnl_transact(struct dibsnl *h, struct dibsnl_req *r,
		    dibsnl_msg_cb cb, void *arg)
{
	return xact_run(h, r, cb, arg, true);
}

struct do_ctx {
	dibsnl_msg_cb cb;
	void *arg;
	bool seen;
};

static int do_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct do_ctx *c = arg;

	if (c->seen)
		return 0;
	c->seen = true;
	return c->cb(nlh, c->arg);
}

int dibsnl_do(struct dibsnl *h, struct dibsnl_req *r, dibsnl_msg_cb cb,
	      void *arg)
{
	struct do_ctx c = { .cb = cb, .arg = arg };
	int err;

	/* no reply wanted: the ack is the answer */
	if (!cb)
		return xact_run(h, r, NULL, NULL, true);
	err = xact_run(h, r, do_reply, &c, false);
	/* a kernel that acks anyway and never replies */
	if (!err && !c.seen) {
		dibsnl_set_err(h, "the kernel acked without a reply");
		return -EPROTO;
	}
	return err;
}
