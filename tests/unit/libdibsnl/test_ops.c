// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ops against the fake transport: dumps and their early stop, errors
 * and extack, replies that are not ours, dmb-write in pieces and requests,
 * chunked dmb-read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

#define CHUNK	DIBS_DATA_CHUNK_MAX

/* Several messages in one datagram, as a dump sends them. */
struct dgram {
	struct msgbuf b;
	size_t len;
};

static void dgram_add(struct dgram *d, const struct nlmsghdr *nlh)
{
	memcpy((char *)&d->b + d->len, nlh, nlh->nlmsg_len);
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

static void queue_devs(struct fake *f, const struct nlmsghdr *req,
		       unsigned int first, unsigned int n)
{
	struct dgram *d = calloc(1, sizeof(*d));
	struct dibsnl_req r;
	struct msgbuf b;
	char name[16];
	unsigned int i;

	for (i = first; i < first + n; i++) {
		fake_reply(&r, &b, req, DIBS_CMD_DEV_GET);
		snprintf(name, sizeof(name), "dev%u", i);
		msg_dev(&r, i, name);
		dgram_add(d, r.nlh);
	}
	fake_queue(f, &d->b, d->len);
	free(d);
}

/* Five devices in two datagrams, then DONE. */
static void respond_dev_dump(struct fake *f, const struct nlmsghdr *req)
{
	if (!(req->nlmsg_flags & NLM_F_DUMP)) {
		fake_ack(f, req, 0, NULL);
		return;
	}
	queue_devs(f, req, 1, 3);
	queue_devs(f, req, 4, 2);
	fake_done(f, req, 0);
}

struct seen {
	unsigned int n;
	uint32_t index[16];
	int stop_at;			/* return -ECANCELED at this count */
};

static int dev_seen(const struct dibsnl_dev *d, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->index[s->n] = d->index;
	s->n++;
	if (s->stop_at && (int)s->n == s->stop_at)
		return -ECANCELED;
	return 0;
}

static void ops_dev_dump(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct seen s = { 0 };
	unsigned int i;

	f.respond = respond_dev_dump;
	CHECK_EQ(dibsnl_dev_dump(h, dev_seen, &s), 0);
	CHECK_EQ(s.n, 5);
	for (i = 0; i < 5; i++)
		CHECK_EQ(s.index[i], i + 1);
	fake_close(h, &f);
}

static void ops_dump_stop_early(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct seen s = { .stop_at = 2 };
	struct dibsnl_req r;

	f.respond = respond_dev_dump;
	CHECK_EQ(dibsnl_dev_dump(h, dev_seen, &s), -ECANCELED);
	CHECK_EQ(s.n, 2);
	/* the rest of the dump was read and dropped */
	CHECK_EQ(f.nq - f.head, 0);

	/* the handle is in step for the next request */
	dibsnl_req_start(h, &r, DIBS_CMD_DEV_DEL, 0);
	CHECK_EQ(dibsnl_transact(h, &r, NULL, NULL), 0);
	CHECK_EQ(f.nsent, 2);

	/* and a full dump again */
	s.n = 0;
	s.stop_at = 0;
	CHECK_EQ(dibsnl_dev_dump(h, dev_seen, &s), 0);
	CHECK_EQ(s.n, 5);
	fake_close(h, &f);
}

static void respond_dump_fails(struct fake *f, const struct nlmsghdr *req)
{
	struct msgbuf b;
	struct nlmsghdr *nlh;
	int *e;

	queue_devs(f, req, 1, 1);
	memset(&b, 0, sizeof(b));
	nlh = mnl_nlmsg_put_header(&b);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	*e = -EIO;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump failed");
	fake_queue_msg(f, nlh);
}

static void ops_dump_error(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct seen s = { 0 };

	f.respond = respond_dump_fails;
	CHECK_EQ(dibsnl_dev_dump(h, dev_seen, &s), -EIO);
	CHECK_EQ(s.n, 1);
	CHECK_STR(dibsnl_errmsg(h), "dump failed");
	fake_close(h, &f);
}

static void respond_bad_object(struct fake *f, const struct nlmsghdr *req)
{
	struct dibsnl_req r;
	struct msgbuf b;

	queue_devs(f, req, 1, 1);
	fake_reply(&r, &b, req, DIBS_CMD_DEV_GET);
	dibsnl_req_u16(&r, DIBS_A_DEV_INDEX, 2);	/* malformed */
	fake_queue_msg(f, r.nlh);
	queue_devs(f, req, 3, 1);
	fake_done(f, req, 0);
}

static void ops_dump_malformed(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct seen s = { 0 };

	f.respond = respond_bad_object;
	CHECK_EQ(dibsnl_dev_dump(h, dev_seen, &s), -EINVAL);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(f.nq - f.head, 0);
	fake_close(h, &f);
}

static void respond_enodev(struct fake *f, const struct nlmsghdr *req)
{
	fake_ack(f, req, -ENODEV, "no device \"lo\"");
}

static void respond_warning(struct fake *f, const struct nlmsghdr *req)
{
	fake_ack(f, req, 0, "deprecated attribute");
}

static void ops_do_error(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dev d;

	f.respond = respond_enodev;
	CHECK_EQ(dibsnl_dev_get(h, (struct dibsnl_dev_ref){ 0, "lo" }, &d),
		 -ENODEV);
	CHECK_STR(dibsnl_errmsg(h), "no device \"lo\"");

	/* the next call starts with no message */
	f.respond = respond_dev_dump;
	CHECK_EQ(dibsnl_dev_del(h, (struct dibsnl_dev_ref){ 1, NULL }), 0);
	CHECK_STR(dibsnl_errmsg(h), "");

	/* a successful ack's text (a warning) is not an error message */
	f.respond = respond_warning;
	CHECK_EQ(dibsnl_dev_del(h, (struct dibsnl_dev_ref){ 1, NULL }), 0);
	CHECK_STR(dibsnl_errmsg(h), "");
	fake_close(h, &f);
}

/* Noise before the answer: none of it may be taken for it. */
static void respond_noisy(struct fake *f, const struct nlmsghdr *req)
{
	struct nlmsghdr stale = *req;
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlmsghdr *nlh;

	/* the ack of an earlier request */
	stale.nlmsg_seq = req->nlmsg_seq - 1;
	fake_ack(f, &stale, -EBUSY, "stale");
	/* a notification: port 0, seq 0 */
	nlh = msg_start(&r, &b, DIBS_CMD_DEV_ADD_NTF);
	msg_dev(&r, 66, "ntf");
	fake_queue_msg(f, nlh);
	/* our seq but another port */
	nlh = fake_reply(&r, &b, req, DIBS_CMD_DEV_GET);
	msg_dev(&r, 67, "other");
	nlh->nlmsg_pid = FAKE_PORTID + 1;
	fake_queue_msg(f, nlh);
	/* ours, but of another family */
	nlh = fake_reply(&r, &b, req, DIBS_CMD_DEV_GET);
	msg_dev(&r, 68, "family");
	nlh->nlmsg_type = FAKE_FAMILY + 1;
	fake_queue_msg(f, nlh);
	/* a NOOP */
	nlh = fake_reply(&r, &b, req, 0);
	nlh->nlmsg_type = NLMSG_NOOP;
	fake_queue_msg(f, nlh);
	/* garbage shorter than a header */
	fake_queue(f, "\x01\x02\x03", 3);

	nlh = fake_reply(&r, &b, req, DIBS_CMD_DEV_GET);
	msg_dev(&r, 3, "lo");
	fake_queue_msg(f, nlh);
	/* a second reply to a do-request is not read: the first ends it */
	nlh = fake_reply(&r, &b, req, DIBS_CMD_DEV_GET);
	msg_dev(&r, 4, "second");
	fake_queue_msg(f, nlh);
	fake_ack(f, req, 0, NULL);
}

static void ops_not_ours(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dev d;

	f.respond = respond_noisy;
	h->seq = 10;
	CHECK_EQ(dibsnl_dev_get(h, (struct dibsnl_dev_ref){ 3, NULL }, &d),
		 0);
	CHECK_EQ(d.index, 3);
	CHECK_STR(d.name, "lo");
	CHECK_STR(dibsnl_errmsg(h), "");
	/* the second reply is left (no ack: none asked); the next skips it */
	CHECK_EQ(f.nq - f.head, 1);
	f.respond = respond_dev_dump;
	CHECK_EQ(dibsnl_dev_del(h, (struct dibsnl_dev_ref){ 3, NULL }), 0);
	CHECK_EQ(f.nq - f.head, 0);
	fake_close(h, &f);
}

/* A kernel that acks a request that asked for no ack, and never replies. */
static void respond_ack_only(struct fake *f, const struct nlmsghdr *req)
{
	struct nlmsghdr asked = *req;

	asked.nlmsg_flags |= NLM_F_ACK;
	fake_ack(f, &asked, 0, NULL);
}

static void ops_missing_reply(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dev d;
	struct dibsnl_dmb m;
	bool reach;

	f.respond = respond_ack_only;
	CHECK_EQ(dibsnl_dev_get(h, (struct dibsnl_dev_ref){ 3, NULL }, &d),
		 -EPROTO);
	CHECK(dibsnl_errmsg(h)[0] != '\0');
	CHECK_EQ(dibsnl_dmb_get(h, (struct dibsnl_dev_ref){ 3, NULL }, 1, &m),
		 -EPROTO);
	CHECK_EQ(dibsnl_remote_query(h, (struct dibsnl_dev_ref){ 3, NULL },
				     d.gid, &reach), -EPROTO);
	/* the reply is optional when the caller does not want it */
	CHECK_EQ(dibsnl_dmb_grant(h, (struct dibsnl_dev_ref){ 3, NULL },
				  d.gid, 10, false, NULL), 0);
	fake_close(h, &f);
}

/*
 * dmb-grant as the kernel answers it: without NLM_F_ACK the reply alone on
 * success, an NLMSG_ERROR with extack on failure (f->priv: the errno).
 */
static void respond_grant(struct fake *f, const struct nlmsghdr *req)
{
	int *fail = f->priv;
	struct dibsnl_req r;
	struct msgbuf b;

	if (fail && *fail) {
		fake_ack(f, req, *fail, "the device has no free DMB slot");
		return;
	}
	if (dibsnl_genl_cmd(req) == DIBS_CMD_DMB_GRANT) {
		fake_reply(&r, &b, req, DIBS_CMD_DMB_GRANT);
		msg_dmb(&r, 0x77, 3);
		fake_queue_msg(f, r.nlh);
	}
	fake_ack(f, req, 0, NULL);	/* nothing unless asked */
}

static void ops_reply_without_ack(void)
{
	const struct dibsnl_dev_ref dev = { 3, NULL };
	uint8_t gid[DIBSNL_GID_LEN] = { 1 };
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dmb m;
	int fail = 0;

	f.respond = respond_grant;
	f.priv = &fail;
	CHECK_EQ(dibsnl_dmb_grant(h, dev, gid, 4096, false, &m), 0);
	CHECK_EQ(m.token, 0x77);
	CHECK_EQ(fake_sent(&f, 0)->nlmsg_flags, NLM_F_REQUEST);
	/* done on the reply: nothing left unread, and no recv() that would
	 * block (the fake fails those) */
	CHECK_EQ(f.nq - f.head, 0);

	/* an error: its errno and extack, as with an ack */
	fail = -ENOSPC;
	CHECK_EQ(dibsnl_dmb_grant(h, dev, gid, 4096, false, &m), -ENOSPC);
	CHECK_STR(dibsnl_errmsg(h), "the device has no free DMB slot");
	CHECK_EQ(f.nq - f.head, 0);

	/* the next success clears the text, though no ack carried it */
	fail = 0;
	CHECK_EQ(dibsnl_dmb_grant(h, dev, gid, 4096, false, &m), 0);
	CHECK_STR(dibsnl_errmsg(h), "");

	/* ops without a reply still ask for the ack and wait for it */
	CHECK_EQ(dibsnl_dmb_revoke(h, dev, 0x77), 0);
	CHECK_EQ(fake_sent(&f, 3)->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_EQ(dibsnl_dmb_grant(h, dev, gid, 4096, false, NULL), 0);
	CHECK_EQ(fake_sent(&f, 4)->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_EQ(f.nsent, 5);
	fake_close(h, &f);
}

static void ops_transport_errors(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dev d;
	struct nlmsghdr stale;

	f.send_err = -ENOBUFS;
	CHECK_EQ(dibsnl_dev_del(h, (struct dibsnl_dev_ref){ 3, NULL }),
		 -ENOBUFS);
	f.send_err = 0;

	/* the receive fails; its answer arrives during the next request */
	fake_queue_err(&f, -ENOBUFS);
	CHECK_EQ(dibsnl_dev_del(h, (struct dibsnl_dev_ref){ 3, NULL }),
		 -ENOBUFS);
	stale = *(const struct nlmsghdr *)fake_sent(&f, 0);
	stale.nlmsg_seq = h->seq;
	fake_ack(&f, &stale, -ENODEV, "late");
	f.respond = respond_noisy;
	CHECK_EQ(dibsnl_dev_get(h, (struct dibsnl_dev_ref){ 3, NULL }, &d),
		 0);
	CHECK_EQ(d.index, 3);

	/* a datagram larger than the receive buffer */
	f.respond = NULL;
	fake_queue_err(&f, 0);
	f.q[f.nq - 1].len = DIBSNL_RX_SIZE + 1;
	f.q[f.nq - 1].buf = malloc(1);
	CHECK_EQ(dibsnl_dev_del(h, (struct dibsnl_dev_ref){ 3, NULL }),
		 -EMSGSIZE);
	fake_close(h, &f);
}

static void respond_intr(struct fake *f, const struct nlmsghdr *req)
{
	struct dibsnl_req r;
	struct msgbuf b;

	fake_reply(&r, &b, req, DIBS_CMD_DMB_GET);
	msg_dmb(&r, 1, 1);
	r.nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	fake_queue_msg(f, r.nlh);
	fake_reply(&r, &b, req, DIBS_CMD_DMB_GET);
	msg_dmb(&r, 2, 1);
	fake_queue_msg(f, r.nlh);
	fake_done(f, req, 0);
}

static int dmb_count(const struct dibsnl_dmb *m, void *arg)
{
	(void)m;
	++*(int *)arg;
	return 0;
}

static void ops_dump_interrupted(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	int n = 0;

	f.respond = respond_intr;
	CHECK_EQ(dibsnl_dmb_dump(h, NULL, dmb_count, &n), -EINTR);
	CHECK_EQ(n, 2);
	fake_close(h, &f);
}

/* The change only in the last part: NLM_F_DUMP_INTR on NLMSG_DONE. */
static void respond_intr_done(struct fake *f, const struct nlmsghdr *req)
{
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlmsghdr *nlh;
	int *e;

	fake_reply(&r, &b, req, DIBS_CMD_DMB_GET);
	msg_dmb(&r, 1, 1);
	fake_queue_msg(f, r.nlh);
	memset(&b, 0, sizeof(b));
	nlh = mnl_nlmsg_put_header(&b);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_DUMP_INTR;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	*e = 0;
	fake_queue_msg(f, nlh);
}

static void ops_dump_interrupted_at_done(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	int n = 0;

	f.respond = respond_intr_done;
	CHECK_EQ(dibsnl_dmb_dump(h, NULL, dmb_count, &n), -EINTR);
	CHECK_EQ(n, 1);
	CHECK(strstr(dibsnl_errmsg(h), "dump interrupted") != NULL);
	fake_close(h, &f);
}

static void ops_request_too_big(void)
{
	struct dibsnl_dev_new req = { .type = "sim" };
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	char *name = malloc(70000);

	memset(name, 'a', 69999);
	name[69999] = '\0';
	req.name = name;
	CHECK_EQ(dibsnl_dev_new(h, &req, NULL), -EMSGSIZE);
	CHECK_EQ(f.nsent, 0);
	free(name);
	fake_close(h, &f);
}

/*
 * dmb-write: check each request as the kernel walks it (its DATA pieces in
 * order, each at most a chunk, all but the last full, padded with zeros,
 * the signal after them), ack it (or refuse request fail_at).
 */
struct write_log {
	unsigned int n;
	uint32_t offset[8];
	uint32_t len[8];		/* data bytes of the request */
	unsigned int pieces[8];
	uint32_t piece_len[8][8];
	int signal[8];
	bool data_ok;
	bool layout_ok;
	int fail_at;
	const uint8_t *src;
	uint32_t base;
	/* for the attribute walk */
	const char *msg_end;
	bool signal_seen;
};

static const struct dibsnl_policy wpol[DIBS_A_DMB_MAX + 1] = {
	[DIBS_A_DMB_TOKEN]	= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_DMB_DEV_INDEX]	= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_DEV_NAME]	= { .kind = DIBSNL_ATTR_STRING },
	[DIBS_A_DMB_LEN]	= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_OFFSET]	= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_DMB_DATA]	= { .kind = DIBSNL_ATTR_BYTES },
	[DIBS_A_DMB_SIGNAL_IDX]	= { .kind = DIBSNL_ATTR_U32 },
};

static int write_piece(const struct nlattr *a, void *arg)
{
	struct write_log *w = arg;
	unsigned int i = w->n - 1, k = w->pieces[i];
	const char *pad = (const char *)a + a->nla_len;
	size_t plen = mnl_attr_get_payload_len(a), j;

	if (mnl_attr_get_type(a) == DIBS_A_DMB_SIGNAL_IDX)
		w->signal_seen = true;
	if (mnl_attr_get_type(a) != DIBS_A_DMB_DATA)
		return 0;
	/* in order, before the signal, after full pieces only */
	if (w->signal_seen || plen > CHUNK || k >= 8 ||
	    (k && w->piece_len[i][k - 1] != CHUNK))
		w->layout_ok = false;
	/* the padding is there and zero */
	if (pad + (MNL_ALIGN(plen) - plen) > w->msg_end)
		w->layout_ok = false;
	else
		for (j = 0; j < MNL_ALIGN(plen) - plen; j++)
			if (pad[j])
				w->layout_ok = false;
	/* an empty piece has no source (memcmp() wants one even for 0) */
	if (plen && memcmp(mnl_attr_get_payload(a),
			   w->src + (w->offset[i] + w->len[i] - w->base), plen))
		w->data_ok = false;
	if (k < 8)
		w->piece_len[i][k] = plen;
	w->pieces[i]++;
	w->len[i] += plen;
	return 0;
}

static void respond_write(struct fake *f, const struct nlmsghdr *req)
{
	const struct nlattr *tb[DIBS_A_DMB_MAX + 1];
	struct write_log *w = f->priv;
	unsigned int i = w->n++;
	const void *attrs;
	size_t alen;

	if (dibsnl_genl_parse(req, wpol, DIBS_A_DMB_MAX, tb) || i >= 8 ||
	    !tb[DIBS_A_DMB_DATA]) {
		tap_fail(__FILE__, __LINE__, "bad write request");
		fake_ack(f, req, -EINVAL, NULL);
		return;
	}
	CHECK_EQ(dibsnl_attr_u64(tb[DIBS_A_DMB_TOKEN], 0), 77);
	CHECK_EQ(dibsnl_attr_u32(tb[DIBS_A_DMB_DEV_INDEX], 0), 2);
	CHECK_EQ(f->sent_len[f->nsent - 1], req->nlmsg_len);
	w->offset[i] = dibsnl_attr_u32(tb[DIBS_A_DMB_OFFSET], ~0u);
	w->signal[i] = tb[DIBS_A_DMB_SIGNAL_IDX] ?
		       (int)mnl_attr_get_u32(tb[DIBS_A_DMB_SIGNAL_IDX]) : -1;
	attrs = dibsnl_genl_attrs(req, &alen);
	w->msg_end = (const char *)attrs + alen;
	w->signal_seen = false;
	CHECK_EQ(dibsnl_attr_walk(attrs, alen, write_piece, w), 0);
	if (w->fail_at && (int)w->n == w->fail_at)
		fake_ack(f, req, -EACCES, "writer not granted");
	else
		fake_ack(f, req, 0, NULL);
}

static void write_log_reset(struct write_log *w, const uint8_t *src,
			    uint32_t base)
{
	memset(w, 0, sizeof(*w));
	w->data_ok = true;
	w->layout_ok = true;
	w->src = src;
	w->base = base;
}

/* Whether the last request sent @p itself, not a copy. */
static bool sent_from(const struct fake *f, const void *p)
{
	int i;

	for (i = 0; i < f->iovcnt && i < FAKE_IOVMAX; i++)
		if (f->iov[i].iov_base == p)
			return true;
	return false;
}

static void ops_dmb_write_pieces(void)
{
	const size_t max = DIBSNL_WRITE_MAX;
	size_t len = 2 * max + CHUNK + 101, i;
	uint8_t *src = malloc(len);
	struct write_log w;
	const struct dibsnl_dev_ref dev = { 2, NULL };
	struct fake f;
	struct dibsnl *h = fake_handle(&f);

	for (i = 0; i < len; i++)
		src[i] = i * 31 + (i >> 8);
	f.respond = respond_write;
	f.priv = &w;

	/* one request of three pieces, the last unaligned; the signal */
	write_log_reset(&w, src, 10);
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 10, src, 2 * CHUNK + 101, 5),
		 0);
	CHECK_EQ(w.n, 1);
	CHECK_EQ(w.offset[0], 10);
	CHECK_EQ(w.pieces[0], 3);
	CHECK_EQ(w.piece_len[0][0], CHUNK);
	CHECK_EQ(w.piece_len[0][1], CHUNK);
	CHECK_EQ(w.piece_len[0][2], 101);
	CHECK_EQ(w.signal[0], 5);
	CHECK(w.data_ok);
	CHECK(w.layout_ok);
	/* sent from the caller's buffer: no copy */
	CHECK(sent_from(&f, src));
	CHECK(sent_from(&f, src + CHUNK));
	CHECK(sent_from(&f, src + 2 * CHUNK));

	/* beyond one request's maximum: several, the signal on the last */
	write_log_reset(&w, src, 0);
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 0, src, len, 3), 0);
	CHECK_EQ(w.n, 3);
	CHECK_EQ(w.offset[0], 0);
	CHECK_EQ(w.offset[1], max);
	CHECK_EQ(w.offset[2], 2 * max);
	CHECK_EQ(w.len[0], max);
	CHECK_EQ(w.len[1], max);
	CHECK_EQ(w.len[2], CHUNK + 101);
	CHECK_EQ(w.pieces[0], max / CHUNK);
	CHECK_EQ(w.pieces[2], 2);
	CHECK_EQ(w.signal[0], -1);
	CHECK_EQ(w.signal[1], -1);
	CHECK_EQ(w.signal[2], 3);
	CHECK(w.data_ok);
	CHECK(w.layout_ok);

	/* an exact multiple: no empty trailing request; no signal asked */
	write_log_reset(&w, src, 0);
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 0, src, 2 * max, -1), 0);
	CHECK_EQ(w.n, 2);
	CHECK_EQ(w.len[1], max);
	CHECK_EQ(w.signal[0], -1);
	CHECK_EQ(w.signal[1], -1);
	CHECK(w.data_ok);
	CHECK(w.layout_ok);

	/* a few bytes: padded with zeros, the signal after them */
	write_log_reset(&w, src + 7, 0);
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 0, src + 7, 5, 0), 0);
	CHECK_EQ(w.n, 1);
	CHECK_EQ(w.pieces[0], 1);
	CHECK_EQ(w.len[0], 5);
	CHECK_EQ(w.signal[0], 0);
	CHECK(w.data_ok);
	CHECK(w.layout_ok);
	CHECK_EQ(fake_sent(&f, f.nsent - 1)->nlmsg_len % 4, 0);

	/* no data: one empty piece, for the signal */
	write_log_reset(&w, src, 0);
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 64, src, 0, 2), 0);
	CHECK_EQ(w.n, 1);
	CHECK_EQ(w.pieces[0], 1);
	CHECK_EQ(w.len[0], 0);
	CHECK_EQ(w.signal[0], 2);

	/* a smaller send buffer: smaller requests */
	h->write_max = CHUNK;
	write_log_reset(&w, src, 0);
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 0, src, 2 * CHUNK + 1, 1), 0);
	CHECK_EQ(w.n, 3);
	CHECK_EQ(w.pieces[0], 1);
	CHECK_EQ(w.len[2], 1);
	CHECK_EQ(w.signal[1], -1);
	CHECK_EQ(w.signal[2], 1);
	CHECK(w.data_ok);
	h->write_max = DIBSNL_WRITE_MAX;

	/* the second request refused: stop there, with the extack */
	write_log_reset(&w, src, 0);
	w.fail_at = 2;
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 0, src, len, 1), -EACCES);
	CHECK_EQ(w.n, 2);
	CHECK_STR(dibsnl_errmsg(h), "writer not granted");

	/* beyond 4 GiB: nothing sent */
	w.n = 0;
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 0xfffffff0u, src, 0x20, -1),
		 -EINVAL);
	CHECK_EQ(w.n, 0);
	CHECK_EQ(dibsnl_dmb_write(h, dev, 77, 0, NULL, 5, -1), -EINVAL);
	free(src);
	fake_close(h, &f);
}

/*
 * Mapping needs /dev/dibs, which a fake handle never uses: the refusals
 * say why, FALLBACK turns a writer's into the write path, and a signal
 * without the ioctl is one empty write per bit.
 */
static void ops_dmb_map_signal(void)
{
	const struct dibsnl_dev_ref dev = { 2, NULL };
	struct dibsnl_dmb_map m = { .addr = &m };
	struct write_log w;
	struct fake f;
	struct dibsnl *h = fake_handle(&f);

	CHECK_EQ(dibsnl_dmb_map(h, dev, 77, 1u << 7, &m), -EINVAL);
	CHECK_STR(dibsnl_errmsg(h), "unknown map flags 0x80");
	CHECK(!m.addr);
	CHECK_EQ(dibsnl_dmb_map(h, (struct dibsnl_dev_ref){ 0, "" }, 77, 0, &m),
		 -EINVAL);
	CHECK(strstr(dibsnl_errmsg(h), "device index or a name"));
	CHECK_EQ(dibsnl_dmb_map(h, dev, 77, 0, &m), -EOPNOTSUPP);
	CHECK(strstr(dibsnl_errmsg(h), "/dev/dibs is not used"));
	/* the owner has no write path to fall back to */
	CHECK_EQ(dibsnl_dmb_map(h, dev, 77, DIBSNL_MAP_FALLBACK, &m),
		 -EOPNOTSUPP);
	CHECK_EQ(dibsnl_dmb_map(h, dev, 77,
				DIBSNL_MAP_REMOTE | DIBSNL_MAP_FALLBACK, &m), 0);
	CHECK(m.fallback);
	CHECK(!m.addr);
	CHECK(strstr(dibsnl_errmsg(h), "/dev/dibs is not used"));
	CHECK_EQ(dibsnl_dmb_unmap(&m), 0);
	CHECK(!m.fallback);
	CHECK_EQ(f.nsent, 0);

	f.respond = respond_write;
	f.priv = &w;
	CHECK_EQ(dibsnl_dmb_signal(h, dev, 77, 0), -EINVAL);
	CHECK_STR(dibsnl_errmsg(h), "no signal bit in the mask");
	write_log_reset(&w, NULL, 0);
	CHECK_EQ(dibsnl_dmb_signal(h, dev, 77, 0x8005), 0);
	CHECK_EQ(w.n, 3);
	CHECK_EQ(w.signal[0], 0);
	CHECK_EQ(w.signal[1], 2);
	CHECK_EQ(w.signal[2], 15);
	CHECK_EQ(w.len[0], 0);
	CHECK_EQ(w.len[2], 0);
	fake_close(h, &f);
}

/*
 * Watching needs /dev/dibs too: on a fake handle every call says so and
 * sends nothing; bad arguments are refused before that.
 */
static void ops_dmb_watch(void)
{
	const struct dibsnl_dev_ref dev = { 2, NULL };
	struct dibsnl_watch_event ev[2];
	struct fake f;
	struct dibsnl *h = fake_handle(&f);

	CHECK_EQ(dibsnl_dmb_watch(NULL, dev, 77), -EINVAL);
	CHECK_EQ(dibsnl_dmb_watch(h, (struct dibsnl_dev_ref){ 0, "" }, 77),
		 -EINVAL);
	CHECK(strstr(dibsnl_errmsg(h), "device index or a name"));
	CHECK_EQ(dibsnl_dmb_unwatch(h, (struct dibsnl_dev_ref){ 0, NULL }, 77),
		 -EINVAL);
	CHECK_EQ(dibsnl_dmb_watch(h, dev, 77), -EOPNOTSUPP);
	CHECK(strstr(dibsnl_errmsg(h), "/dev/dibs is not used"));
	CHECK_EQ(dibsnl_dmb_unwatch(h, dev, 77), -EOPNOTSUPP);
	CHECK_EQ(dibsnl_watch_read(h, ev, 0, 0), -EINVAL);
	CHECK_EQ(dibsnl_watch_read(h, NULL, 2, 0), -EINVAL);
	CHECK_EQ(dibsnl_watch_read(h, ev, 2, 0), -EOPNOTSUPP);
	CHECK_EQ(dibsnl_watch_fd(h), -EOPNOTSUPP);
	CHECK(strstr(dibsnl_errmsg(h), "/dev/dibs is not used"));
	CHECK_EQ(f.nsent, 0);
	fake_close(h, &f);
}

/* Referred payloads: at most DIBSNL_REQ_REFS, and the length counts them. */
static void ops_req_refs(void)
{
	static char data[8];
	struct dibsnl_req r;
	struct msgbuf b;
	unsigned int i;

	msg_start(&r, &b, DIBS_CMD_DMB_WRITE);
	for (i = 0; i < DIBSNL_REQ_REFS; i++)
		dibsnl_req_put_ref(&r, DIBS_A_DMB_DATA, data, 3);
	CHECK(!r.overflow);
	CHECK_EQ(r.nlh->nlmsg_len,
		 MNL_NLMSG_HDRLEN + GENL_HDRLEN + DIBSNL_REQ_REFS * 4);
	CHECK_EQ(dibsnl_req_len(&r),
		 MNL_NLMSG_HDRLEN + GENL_HDRLEN + DIBSNL_REQ_REFS * 8);
	dibsnl_req_put_ref(&r, DIBS_A_DMB_DATA, data, 3);
	CHECK(r.overflow);

	msg_start(&r, &b, DIBS_CMD_DMB_WRITE);
	dibsnl_req_put_ref(&r, DIBS_A_DMB_DATA, data, UINT16_MAX);
	CHECK(r.overflow);
}

/* dmb-read: reply with bytes that encode their offset. */
static uint8_t pattern(uint32_t off)
{
	return (off * 13) ^ (off >> 9);
}

static void respond_read(struct fake *f, const struct nlmsghdr *req)
{
	const struct nlattr *tb[DIBS_A_DMB_MAX + 1];
	uint32_t *short_by = f->priv;
	struct dibsnl_req r;
	struct msgbuf *b = malloc(sizeof(*b));
	uint32_t off, len, i;
	uint8_t *data;

	if (dibsnl_genl_parse(req, wpol, DIBS_A_DMB_MAX, tb) ||
	    !tb[DIBS_A_DMB_LEN]) {
		tap_fail(__FILE__, __LINE__, "bad read request");
		fake_ack(f, req, -EINVAL, NULL);
		free(b);
		return;
	}
	off = dibsnl_attr_u32(tb[DIBS_A_DMB_OFFSET], 0);
	len = dibsnl_attr_u32(tb[DIBS_A_DMB_LEN], 0);
	CHECK(len >= 1 && len <= CHUNK);
	fake_reply(&r, b, req, DIBS_CMD_DMB_READ);
	dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, 77);
	dibsnl_req_u32(&r, DIBS_A_DMB_OFFSET, off);
	if (short_by && *short_by)
		len -= *short_by;
	data = malloc(len);
	for (i = 0; i < len; i++)
		data[i] = pattern(off + i);
	dibsnl_req_put(&r, DIBS_A_DMB_DATA, data, len);
	free(data);
	fake_queue_msg(f, r.nlh);
	fake_ack(f, req, 0, NULL);
	free(b);
}

static void ops_dmb_read_chunks(void)
{
	size_t len = 2 * CHUNK + 7, i;
	uint8_t *buf = calloc(1, len);
	const struct dibsnl_dev_ref dev = { 0, "lo" };
	uint32_t short_by = 0;
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	bool ok = true;

	f.respond = respond_read;
	f.priv = &short_by;
	CHECK_EQ(dibsnl_dmb_read(h, dev, 77, 3, buf, len), 0);
	CHECK_EQ(f.nsent, 3);
	for (i = 0; i < len; i++)
		ok &= buf[i] == pattern(3 + i);
	CHECK(ok);

	/* nothing to read: nothing sent */
	CHECK_EQ(dibsnl_dmb_read(h, dev, 77, 3, buf, 0), 0);
	CHECK_EQ(f.nsent, 3);

	/* a reply shorter than asked */
	short_by = 1;
	CHECK_EQ(dibsnl_dmb_read(h, dev, 77, 0, buf, 100), -EINVAL);
	free(buf);
	fake_close(h, &f);
}

static void respond_dmb_get(struct fake *f, const struct nlmsghdr *req)
{
	struct dibsnl_req r;
	struct msgbuf b;

	fake_reply(&r, &b, req, DIBS_CMD_DMB_GET);
	msg_dmb(&r, 0x55, 3);
	fake_queue_msg(f, r.nlh);
	fake_ack(f, req, 0, NULL);
}

static void ops_dmb_get(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dmb m;

	f.respond = respond_dmb_get;
	CHECK_EQ(dibsnl_dmb_get(h, (struct dibsnl_dev_ref){ 0, "lo" }, 0x55,
				&m), 0);
	CHECK_EQ(m.token, 0x55);
	CHECK_STR(m.client_name, "userspace");
	fake_close(h, &f);
}

/*
 * netns-id is an s32 (uapi/dibs.yaml): the peer id of the device's
 * namespace, -1 (NETNSA_NSID_NOT_ASSIGNED) when the kernel has none.
 */
static int32_t netns_id_sent;

static void respond_dev_netns(struct fake *f, const struct nlmsghdr *req)
{
	struct dibsnl_req r;
	struct msgbuf b;

	fake_reply(&r, &b, req, DIBS_CMD_DEV_GET);
	msg_dev(&r, 3, "lo");
	/* the last of a type counts: this one, as the kernel puts it */
	dibsnl_req_put(&r, DIBS_A_DEV_NETNS_ID, &netns_id_sent,
		       sizeof(netns_id_sent));
	fake_queue_msg(f, r.nlh);
	fake_ack(f, req, 0, NULL);
}

static void ops_dev_netns_id_signed(void)
{
	static const int32_t ids[] = { -1, -2, INT32_MIN, 0, 1, INT32_MAX };
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dev d;
	unsigned int i;

	f.respond = respond_dev_netns;
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		netns_id_sent = ids[i];
		memset(&d, 0x55, sizeof(d));
		CHECK_EQ(dibsnl_dev_get(h, (struct dibsnl_dev_ref){ 3, NULL },
					&d), 0);
		CHECK_EQ(d.index, 3);
		CHECK_EQ(d.netns_id, ids[i]);
	}
	fake_close(h, &f);
}

static int client_count(const struct dibsnl_client *c, void *arg)
{
	CHECK_EQ(c->n_devs, 1);
	++*(int *)arg;
	return 0;
}

static void respond_clients(struct fake *f, const struct nlmsghdr *req)
{
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlattr *n;
	uint32_t i;

	for (i = 0; i < 3; i++) {
		fake_reply(&r, &b, req, DIBS_CMD_CLIENT_GET);
		dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, i);
		dibsnl_req_str(&r, DIBS_A_CLIENT_NAME, "c");
		n = msg_nest_start(&r, DIBS_A_CLIENT_DEV);
		dibsnl_req_u32(&r, DIBS_A_CLIENT_DEV_INDEX, 1);
		msg_nest_end(&r, n);
		fake_queue_msg(f, r.nlh);
	}
	fake_done(f, req, 0);
}

static void ops_client_dump(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	int n = 0;

	f.respond = respond_clients;
	CHECK_EQ(dibsnl_client_dump(h, client_count, &n), 0);
	CHECK_EQ(n, 3);
	fake_close(h, &f);
}

/*
 * Client 1 on 150 devices in three messages of 50, then client 2 on one:
 * two clients, the first with all 150 devices in order (the capped struct
 * with the first DIBSNL_CLIENT_DEVS_MAX).
 */
static void respond_clients_split(struct fake *f, const struct nlmsghdr *req)
{
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlattr *n;
	uint32_t i, d;

	for (i = 0; i < 4; i++) {
		fake_reply(&r, &b, req, DIBS_CMD_CLIENT_GET);
		dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, i < 3 ? 1 : 2);
		dibsnl_req_str(&r, DIBS_A_CLIENT_NAME, i < 3 ? "one" : "two");
		dibsnl_req_u32(&r, DIBS_A_CLIENT_DMB_COUNT, i < 3 ? 300 : 1);
		for (d = 0; d < (i < 3 ? 50 : 1); d++) {
			n = msg_nest_start(&r, DIBS_A_CLIENT_DEV);
			dibsnl_req_u32(&r, DIBS_A_CLIENT_DEV_INDEX, i * 50 + d + 1);
			dibsnl_req_u32(&r, DIBS_A_CLIENT_DEV_DMB_COUNT, 2);
			msg_nest_end(&r, n);
		}
		fake_queue_msg(f, r.nlh);
	}
	fake_done(f, req, 0);
}

struct split_seen {
	int clients;
	unsigned int n_devs[2], capped[2], all[2];
	bool in_order;
};

static int client_devs_seen(const struct dibsnl_client *c,
			    const struct dibsnl_client_dev *devs,
			    unsigned int n_devs, void *arg)
{
	struct split_seen *s = arg;
	unsigned int i;

	if (s->clients < 2) {
		s->n_devs[s->clients] = n_devs;
		s->capped[s->clients] = c->n_devs;
	}
	for (i = 0; i < n_devs; i++)
		if (devs[i].dev_index != devs[0].dev_index + i ||
		    devs[i].dmb_count != 2 ||
		    (i < c->n_devs && c->devs[i].dev_index != devs[i].dev_index))
			s->in_order = false;
	s->clients++;
	return 0;
}

static int client_capped_seen(const struct dibsnl_client *c, void *arg)
{
	struct split_seen *s = arg;

	if (s->clients < 2) {
		s->capped[s->clients] = c->n_devs;
		s->all[s->clients] = c->n_devs_all;
	}
	s->clients++;
	return 0;
}

static void ops_client_dump_split(void)
{
	struct split_seen s = { .in_order = true };
	struct fake f;
	struct dibsnl *h = fake_handle(&f);

	f.respond = respond_clients_split;
	CHECK_EQ(dibsnl_client_dump_devs(h, client_devs_seen, &s), 0);
	CHECK_EQ(s.clients, 2);
	CHECK_EQ(s.n_devs[0], 150);
	CHECK_EQ(s.capped[0], DIBSNL_CLIENT_DEVS_MAX);
	CHECK_EQ(s.n_devs[1], 1);
	CHECK_EQ(s.capped[1], 1);
	CHECK(s.in_order);

	memset(&s, 0, sizeof(s));
	CHECK_EQ(dibsnl_client_dump(h, client_capped_seen, &s), 0);
	CHECK_EQ(s.clients, 2);
	CHECK_EQ(s.capped[0], DIBSNL_CLIENT_DEVS_MAX);
	CHECK_EQ(s.capped[1], 1);
	/* the cut is not silent: n_devs_all counts every device */
	CHECK_EQ(s.all[0], 150);
	CHECK_EQ(s.all[1], 1);
	fake_close(h, &f);
}

static void ops_bad_args(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dev d;
	uint8_t gid[DIBSNL_GID_LEN] = { 0 };

	CHECK_EQ(dibsnl_dev_get(NULL, (struct dibsnl_dev_ref){ 1, NULL }, &d),
		 -EINVAL);
	CHECK_EQ(dibsnl_dev_get(h, (struct dibsnl_dev_ref){ 1, NULL }, NULL),
		 -EINVAL);
	CHECK_EQ(dibsnl_dev_dump(h, NULL, NULL), -EINVAL);
	CHECK_EQ(dibsnl_dev_new(h, NULL, NULL), -EINVAL);
	CHECK_EQ(dibsnl_remote_query(h, (struct dibsnl_dev_ref){ 1, NULL },
				     gid, NULL), -EINVAL);
	CHECK_EQ(dibsnl_dmb_read(h, (struct dibsnl_dev_ref){ 1, NULL }, 1, 0,
				 NULL, 4), -EINVAL);
	CHECK_EQ(dibsnl_open(NULL), -EINVAL);
	CHECK_STR(dibsnl_errmsg(NULL), "");
	dibsnl_close(NULL);
	CHECK_EQ(dibsnl_fd(h), -EBADF);
	CHECK_EQ(f.nsent, 0);
	fake_close(h, &f);
}

const struct tcase ops_tests[] = {
	TCASE(ops_dev_dump),
	TCASE(ops_dump_stop_early),
	TCASE(ops_dump_error),
	TCASE(ops_dump_malformed),
	TCASE(ops_do_error),
	TCASE(ops_not_ours),
	TCASE(ops_missing_reply),
	TCASE(ops_reply_without_ack),
	TCASE(ops_transport_errors),
	TCASE(ops_dump_interrupted),
	TCASE(ops_dump_interrupted_at_done),
	TCASE(ops_request_too_big),
	TCASE(ops_dmb_write_pieces),
	TCASE(ops_dmb_map_signal),
	TCASE(ops_dmb_watch),
	TCASE(ops_req_refs),
	TCASE(ops_dmb_read_chunks),
	TCASE(ops_dmb_get),
	TCASE(ops_dev_netns_id_signed),
	TCASE(ops_client_dump),
	TCASE(ops_client_dump_split),
	TCASE(ops_bad_args),
	TCASE_END
};
