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
	struct dibsnl *h;
	uint32_t seq;
	uint16_t type;			/* of the replies: the request's */
	dibsnl_msg_cb cb;
	void *arg;
	int cb_ret;			/* non-zero: cb stopped the walk */
	int err;			/* the answer's error */
	bool interrupted;		/* NLM_F_DUMP_INTR seen */
	bool reply_ends;		/* no ack asked: the reply is the end */
};

/*
 * Notifications (port 0, seq 0) and replies to an earlier request that
 * was given up (a receive error) are not ours: they are skipped. (libmnl's
 * own check, a seq and port given to mnl_cb_run2(), would fail the whole
 * datagram instead; it is given 0 for both, which turns it off.)
 */
static bool xact_ours(const struct xact *x, const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_pid == x->h->portid && nlh->nlmsg_seq == x->seq;
}

/* mnl_cb_run2()'s data callback: the replies of the request's family */
static int xact_data(const struct nlmsghdr *nlh, void *data)
{
	struct xact *x = data;

	if (!xact_ours(x, nlh) || nlh->nlmsg_type != x->type)
		return MNL_CB_OK;
	if (x->reply_ends) {
		/* what an ack would have done; cb may set its own text */
		dibsnl_clear_err(x->h);
		if (x->cb)
			x->cb_ret = x->cb(nlh, x->arg);
		return MNL_CB_STOP;
	}
	if (x->cb && !x->cb_ret)
		x->cb_ret = x->cb(nlh, x->arg);
	return MNL_CB_OK;
}

/*
 * NLMSG_ERROR and NLMSG_DONE end the answer. libmnl's own handlers give
 * the error in errno but not the extack text, which dibsnl_parse_ack()
 * reads into the handle.
 */
static int xact_ack(const struct nlmsghdr *nlh, void *data)
{
	struct xact *x = data;
	int err;

	if (!xact_ours(x, nlh))
		return MNL_CB_OK;
	err = dibsnl_parse_ack(nlh, x->h->errmsg, sizeof(x->h->errmsg));
	if (err) {
		x->err = err;
		return MNL_CB_ERROR;
	}
	/* the text of a successful ack is a warning: not kept */
	dibsnl_clear_err(x->h);
	return MNL_CB_STOP;
}

/* NLMSG_NOOP and NLMSG_OVERRUN have no entry: skipped */
static mnl_cb_t xact_ctl[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR]	= xact_ack,
	[NLMSG_DONE]	= xact_ack,
};

/*
 * mnl_cb_run2() gives up at the first message marked NLM_F_DUMP_INTR
 * (EINTR), leaving the rest of the dump unread in the socket. This library
 * reads a dump to its end and says afterwards that it was interrupted, so
 * the mark is noted here and taken off our messages before libmnl runs.
 * It is on an object, or on NLMSG_DONE for a change in the last part.
 */
static void xact_take_intr(struct xact *x, void *buf, int len)
{
	struct nlmsghdr *nlh = buf;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (xact_ours(x, nlh) &&
		    (nlh->nlmsg_flags & NLM_F_DUMP_INTR)) {
			x->interrupted = true;
			nlh->nlmsg_flags &= ~NLM_F_DUMP_INTR;
		}
	}
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
	struct xact x = { .h = h, .cb = cb, .arg = arg };
	struct nlmsghdr *req = r->nlh;
	ssize_t n;
	int ret;

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

	do {
		n = h->io->recv(h, h->rx, DIBSNL_RX_SIZE, false);
		if (n < 0)
			return x.cb_ret ? x.cb_ret : n;
		xact_take_intr(&x, h->rx, n);
		ret = mnl_cb_run2(h->rx, n, 0, 0, xact_data, &x, xact_ctl,
				  MNL_ARRAY_SIZE(xact_ctl));
	} while (ret > MNL_CB_STOP);

	if (x.cb_ret)
		return x.cb_ret;
	if (ret < MNL_CB_STOP)
		return x.err ? x.err : -EPROTO;
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
