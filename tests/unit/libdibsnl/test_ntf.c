// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Notifications against the fake transport: joining groups, dispatch,
 * overruns, malformed and foreign messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

static void ntf_subscribe(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);

	CHECK_EQ(dibsnl_subscribe(h, DIBSNL_GROUP_MGMT), 0);
	CHECK_EQ(f.njoined, 1);
	CHECK_EQ(f.joined[0], FAKE_GRP_MGMT);
	/* joining again is a no-op */
	CHECK_EQ(dibsnl_subscribe(h, DIBSNL_GROUP_MGMT | DIBSNL_GROUP_SIGNAL),
		 0);
	CHECK_EQ(f.njoined, 2);
	CHECK_EQ(f.joined[1], FAKE_GRP_SIGNAL);
	CHECK_EQ(dibsnl_subscribe(h, 1u << 5), -EINVAL);
	CHECK_EQ(dibsnl_subscribe(NULL, DIBSNL_GROUP_MGMT), -EINVAL);
	CHECK_EQ(f.njoined, 2);
	fake_close(h, &f);

	/* a family without the group */
	h = fake_handle(&f);
	h->mcgrp_signal = 0;
	CHECK_EQ(dibsnl_subscribe(h, DIBSNL_GROUP_SIGNAL), -ENOENT);
	CHECK(strstr(dibsnl_errmsg(h), "signal") != NULL);
	CHECK_EQ(f.njoined, 0);
	fake_close(h, &f);
}

struct got {
	unsigned int n;
	enum dibsnl_ntf_kind kind[16];
	uint64_t key[16];		/* index, token, id */
	int stop_at;
};

static int got_ntf(const struct dibsnl_ntf *ntf, void *arg)
{
	struct got *g = arg;
	uint64_t key = 0;

	switch (ntf->kind) {
	case DIBSNL_NTF_DEV_ADD:
	case DIBSNL_NTF_DEV_DEL:
	case DIBSNL_NTF_DEV_CHANGE:
		key = ntf->dev.index;
		break;
	case DIBSNL_NTF_DMB_ADD:
	case DIBSNL_NTF_DMB_DEL:
		key = ntf->dmb.token;
		break;
	case DIBSNL_NTF_CLIENT_ADD:
	case DIBSNL_NTF_CLIENT_DEL:
		key = ntf->client.id;
		break;
	case DIBSNL_NTF_EVENT:
		key = ntf->event.token;
		break;
	case DIBSNL_NTF_SIGNAL:
		key = ntf->signal.mask;
		break;
	}
	if (g->n < 16) {
		g->kind[g->n] = ntf->kind;
		g->key[g->n] = key;
	}
	g->n++;
	if (g->stop_at && (int)g->n == g->stop_at)
		return 42;
	return 0;
}

static void q_dev(struct fake *f, uint8_t cmd, uint32_t index)
{
	struct dibsnl_req r;
	struct msgbuf b;

	msg_start(&r, &b, cmd);
	msg_dev(&r, index, "x");
	fake_queue_msg(f, r.nlh);
}

static void q_signal(struct fake *f, uint32_t mask)
{
	struct dibsnl_req r;
	struct msgbuf b;

	msg_start(&r, &b, DIBS_CMD_SIGNAL_NTF);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_DEV_INDEX, 1);
	dibsnl_req_u64(&r, DIBS_A_SIGNAL_TOKEN, 9);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_MASK, mask);
	fake_queue_msg(f, r.nlh);
}

static void ntf_dispatch(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct got g = { 0 };
	struct dibsnl_req r;
	struct msgbuf *b = malloc(sizeof(*b) * 2);
	char *two = (char *)&b[1];
	size_t len;

	/* nothing queued */
	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), 0);
	CHECK_EQ(g.n, 0);

	q_dev(&f, DIBS_CMD_DEV_ADD_NTF, 4);
	/* two notifications in one datagram */
	msg_start(&r, b, DIBS_CMD_DMB_ADD_NTF);
	msg_dmb(&r, 0x99, 4);
	len = MNL_ALIGN(r.nlh->nlmsg_len);
	memcpy(two, r.nlh, len);
	msg_start(&r, b, DIBS_CMD_EVENT_NTF);
	dibsnl_req_u32(&r, DIBS_A_EVENT_DEV_INDEX, 4);
	dibsnl_req_u32(&r, DIBS_A_EVENT_TYPE, DIBS_EVENT_BUF);
	dibsnl_req_u64(&r, DIBS_A_EVENT_TOKEN, 0x99);
	memcpy(two + len, r.nlh, r.nlh->nlmsg_len);
	fake_queue(&f, two, len + r.nlh->nlmsg_len);
	q_signal(&f, 0x3);
	q_dev(&f, DIBS_CMD_DEV_DEL_NTF, 4);

	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), 0);
	CHECK_EQ(g.n, 5);
	CHECK_EQ(g.kind[0], DIBSNL_NTF_DEV_ADD);
	CHECK_EQ(g.key[0], 4);
	CHECK_EQ(g.kind[1], DIBSNL_NTF_DMB_ADD);
	CHECK_EQ(g.key[1], 0x99);
	CHECK_EQ(g.kind[2], DIBSNL_NTF_EVENT);
	CHECK_EQ(g.key[2], 0x99);
	CHECK_EQ(g.kind[3], DIBSNL_NTF_SIGNAL);
	CHECK_EQ(g.key[3], 3);
	CHECK_EQ(g.kind[4], DIBSNL_NTF_DEV_DEL);
	free(b);
	fake_close(h, &f);
}

static void ntf_overrun(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct got g = { 0 };

	q_signal(&f, 1);
	fake_queue_err(&f, -ENOBUFS);
	q_signal(&f, 2);
	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), -ENOBUFS);
	CHECK_EQ(g.n, 1);
	CHECK(dibsnl_errmsg(h)[0] != '\0');
	/* and then it goes on */
	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), 0);
	CHECK_EQ(g.n, 2);
	CHECK_EQ(g.key[1], 2);
	CHECK_STR(dibsnl_errmsg(h), "");
	fake_close(h, &f);
}

static void ntf_callback_stops(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct got g = { .stop_at = 2 };

	q_signal(&f, 1);
	q_signal(&f, 2);
	q_signal(&f, 3);
	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), 42);
	CHECK_EQ(g.n, 2);
	g.stop_at = 0;
	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), 0);
	CHECK_EQ(g.n, 3);
	CHECK_EQ(g.key[2], 3);
	fake_close(h, &f);
}

static void ntf_skips_foreign(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct got g = { 0 };
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlmsghdr req = { .nlmsg_seq = 5 };

	/* another family, an unknown command, a reply, an error */
	msg_start(&r, &b, DIBS_CMD_DEV_ADD_NTF);
	msg_dev(&r, 1, "x");
	r.nlh->nlmsg_type = FAKE_FAMILY + 1;
	fake_queue_msg(&f, r.nlh);
	msg_start(&r, &b, DIBS_CMD_MAX + 3);
	dibsnl_req_u32(&r, 1, 1);
	fake_queue_msg(&f, r.nlh);
	q_dev(&f, DIBS_CMD_DEV_GET, 2);
	fake_ack(&f, &req, -EPERM, "x");
	q_signal(&f, 7);

	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), 0);
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.key[0], 7);
	fake_close(h, &f);
}

static void ntf_malformed(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct got g = { 0 };
	struct dibsnl_req r;
	struct msgbuf b;

	q_signal(&f, 1);
	/* a signal whose token is 4 bytes */
	msg_start(&r, &b, DIBS_CMD_SIGNAL_NTF);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_DEV_INDEX, 1);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_TOKEN, 9);
	fake_queue_msg(&f, r.nlh);
	q_signal(&f, 3);

	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), -EINVAL);
	CHECK_EQ(g.n, 1);
	CHECK(dibsnl_errmsg(h)[0] != '\0');
	CHECK_EQ(dibsnl_ntf_dispatch(h, got_ntf, &g), 0);
	CHECK_EQ(g.n, 2);
	CHECK_EQ(g.key[1], 3);
	CHECK_EQ(dibsnl_ntf_dispatch(h, NULL, NULL), -EINVAL);
	fake_close(h, &f);
}

const struct tcase ntf_tests[] = {
	TCASE(ntf_subscribe),
	TCASE(ntf_dispatch),
	TCASE(ntf_overrun),
	TCASE(ntf_callback_stops),
	TCASE(ntf_skips_foreign),
	TCASE(ntf_malformed),
	TCASE_END
};
