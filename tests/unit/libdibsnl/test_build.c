// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Requests on the wire: each op's message compared byte by byte with one
 * written out by hand here.
 */
#include <errno.h>
#include <string.h>

#include "tests.h"

struct expect {
	uint8_t b[512];
	size_t n;
};

static void e_bytes(struct expect *e, const void *p, size_t len)
{
	if (len)
		memcpy(e->b + e->n, p, len);
	e->n += len;
}

static void e_u16(struct expect *e, uint16_t v)
{
	e_bytes(e, &v, sizeof(v));
}

static void e_u32(struct expect *e, uint32_t v)
{
	e_bytes(e, &v, sizeof(v));
}

/* nlmsghdr (length patched by e_end), genlmsghdr */
static void e_start(struct expect *e, uint16_t flags, uint32_t seq,
		    uint8_t cmd)
{
	memset(e, 0, sizeof(*e));
	e_u32(e, 0);
	e_u16(e, FAKE_FAMILY);
	e_u16(e, flags);
	e_u32(e, seq);
	e_u32(e, 0);			/* to the kernel */
	e->b[e->n++] = cmd;
	e->b[e->n++] = DIBS_FAMILY_VERSION;
	e_u16(e, 0);
}

static void e_attr(struct expect *e, uint16_t type, const void *p,
		   size_t len)
{
	static const uint8_t zero[4];

	e_u16(e, 4 + len);
	e_u16(e, type);
	e_bytes(e, p, len);
	e_bytes(e, zero, (4 - len % 4) % 4);
}

/*
 * Integer attributes are in host byte order (the spec has no big-endian
 * one): the expected payload is the value's own bytes, so the same test
 * holds on little- and big-endian hosts.
 */
static void e_attr_u16(struct expect *e, uint16_t type, uint16_t v)
{
	e_attr(e, type, &v, sizeof(v));
}

static void e_attr_u32(struct expect *e, uint16_t type, uint32_t v)
{
	e_attr(e, type, &v, sizeof(v));
}

static void e_attr_u64(struct expect *e, uint16_t type, uint64_t v)
{
	e_attr(e, type, &v, sizeof(v));
}

static void e_end(struct expect *e)
{
	uint32_t len = e->n;

	memcpy(e->b, &len, sizeof(len));
}

static void check_sent(struct fake *f, unsigned int i,
		       const struct expect *e, const char *what)
{
	const uint8_t *got = (const uint8_t *)fake_sent(f, i);
	size_t k;

	if (!got)
		return;
	if (f->sent_len[i] != e->n) {
		tap_fail(__FILE__, __LINE__, "%s: %zu bytes, expected %zu",
			 what, f->sent_len[i], e->n);
		return;
	}
	for (k = 0; k < e->n; k++) {
		if (got[k] != e->b[k]) {
			tap_fail(__FILE__, __LINE__,
				 "%s: byte %zu is 0x%02x, expected 0x%02x",
				 what, k, got[k], e->b[k]);
			return;
		}
	}
}

static const uint8_t gid1[DIBS_GID_LEN] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
};

/* Acks each request; dmb-grant and dev-new also get their object. */
static void respond_ok(struct fake *f, const struct nlmsghdr *req)
{
	int cmd = dibsnl_genl_cmd(req);
	struct dibsnl_req r;
	struct msgbuf b;

	if (cmd == DIBS_CMD_DMB_GRANT) {
		fake_reply(&r, &b, req, cmd);
		msg_dmb(&r, 0xabcdef, 3);
		fake_queue_msg(f, r.nlh);
	} else if (cmd == DIBS_CMD_DEV_NEW) {
		fake_reply(&r, &b, req, cmd);
		msg_dev(&r, 8, "sim3");
		fake_queue_msg(f, r.nlh);
	} else if (cmd == DIBS_CMD_REMOTE_QUERY) {
		fake_reply(&r, &b, req, cmd);
		dibsnl_req_u32(&r, DIBS_A_DEV_INDEX, 3);
		dibsnl_req_u8(&r, DIBS_A_DEV_REACHABLE, 1);
		fake_queue_msg(f, r.nlh);
	}
	if (req->nlmsg_flags & NLM_F_DUMP)
		fake_done(f, req, 0);
	else
		fake_ack(f, req, 0, NULL);
}

static int dmb_none(const struct dibsnl_dmb *m, void *arg)
{
	(void)m;
	(void)arg;
	return 0;
}

static int dev_none(const struct dibsnl_dev *d, void *arg)
{
	(void)d;
	(void)arg;
	return 0;
}

static int client_none(const struct dibsnl_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

#define DO_FLAGS	(NLM_F_REQUEST | NLM_F_ACK)
/* a do-request whose reply is wanted: the reply is its answer, no ack */
#define REPLY_FLAGS	NLM_F_REQUEST
#define DUMP_FLAGS	(NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)

static void build_dmb_grant(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dmb out;
	struct expect e;

	f.respond = respond_ok;
	CHECK_EQ(dibsnl_dmb_grant(h, (struct dibsnl_dev_ref){ 3, NULL },
				  gid1, 4096, true, &out), 0);
	CHECK_EQ(out.token, 0xabcdef);

	e_start(&e, REPLY_FLAGS, 1, DIBS_CMD_DMB_GRANT);
	e_attr_u32(&e, DIBS_A_DMB_DEV_INDEX, 3);
	e_attr(&e, DIBS_A_DMB_RGID, gid1, 16);
	e_attr_u32(&e, DIBS_A_DMB_LEN, 0x1000);
	e_attr(&e, DIBS_A_DMB_OWNED, NULL, 0);
	e_end(&e);
	CHECK_EQ(e.n, 60);
	check_sent(&f, 0, &e, "dmb-grant");

	/* by name, not owned, no reply wanted: seq 2 */
	CHECK_EQ(dibsnl_dmb_grant(h, (struct dibsnl_dev_ref){ 0, "lo" },
				  gid1, 1, false, NULL), 0);
	e_start(&e, DO_FLAGS, 2, DIBS_CMD_DMB_GRANT);
	e_attr(&e, DIBS_A_DMB_DEV_NAME, "lo", 3);
	e_attr(&e, DIBS_A_DMB_RGID, gid1, 16);
	e_attr_u32(&e, DIBS_A_DMB_LEN, 1);
	e_end(&e);
	check_sent(&f, 1, &e, "dmb-grant by name");
	fake_close(h, &f);
}

static void build_dev_ops(void)
{
	struct dibsnl_dev_new req = {
		.name = "sim3", .type = "sim",
		.has_fabric_id = true, .fabric_id = 0x102,
		.has_gid = true,
	};
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_dev dev;
	struct expect e;
	bool reach = false;

	f.respond = respond_ok;
	memcpy(req.gid, gid1, sizeof(gid1));
	CHECK_EQ(dibsnl_dev_new(h, &req, &dev), 0);
	CHECK_EQ(dev.index, 8);
	e_start(&e, REPLY_FLAGS, 1, DIBS_CMD_DEV_NEW);
	e_attr(&e, DIBS_A_DEV_NAME, "sim3", 5);
	e_attr(&e, DIBS_A_DEV_TYPE, "sim", 4);
	e_attr_u16(&e, DIBS_A_DEV_FABRIC_ID, 0x102);
	e_attr(&e, DIBS_A_DEV_GID, gid1, 16);
	e_end(&e);
	check_sent(&f, 0, &e, "dev-new");

	CHECK_EQ(dibsnl_dev_set_state(h, (struct dibsnl_dev_ref){ 0, "sim3" },
				      DIBSNL_DEV_DOWN), 0);
	e_start(&e, DO_FLAGS, 2, DIBS_CMD_DEV_SET);
	e_attr(&e, DIBS_A_DEV_NAME, "sim3", 5);
	e_attr_u32(&e, DIBS_A_DEV_STATE, 0);
	e_end(&e);
	check_sent(&f, 1, &e, "dev-set state");

	CHECK_EQ(dibsnl_dev_set_netns(h, (struct dibsnl_dev_ref){ 8, NULL },
				      0, 5), 0);
	e_start(&e, DO_FLAGS, 3, DIBS_CMD_DEV_SET);
	e_attr_u32(&e, DIBS_A_DEV_INDEX, 8);
	e_attr_u32(&e, DIBS_A_DEV_NETNS_FD, 5);
	e_end(&e);
	check_sent(&f, 2, &e, "dev-set netns fd");

	CHECK_EQ(dibsnl_dev_set_netns(h, (struct dibsnl_dev_ref){ 8, NULL },
				      0x101, 7), 0);
	e_start(&e, DO_FLAGS, 4, DIBS_CMD_DEV_SET);
	e_attr_u32(&e, DIBS_A_DEV_INDEX, 8);
	e_attr_u32(&e, DIBS_A_DEV_NETNS_PID, 0x101);
	e_end(&e);
	check_sent(&f, 3, &e, "dev-set netns pid");

	CHECK_EQ(dibsnl_dev_del(h, (struct dibsnl_dev_ref){ 8, "ignored" }),
		 0);
	e_start(&e, DO_FLAGS, 5, DIBS_CMD_DEV_DEL);
	e_attr_u32(&e, DIBS_A_DEV_INDEX, 8);
	e_end(&e);
	check_sent(&f, 4, &e, "dev-del");

	CHECK_EQ(dibsnl_remote_query(h, (struct dibsnl_dev_ref){ 3, NULL },
				     gid1, &reach), 0);
	CHECK(reach);
	e_start(&e, REPLY_FLAGS, 6, DIBS_CMD_REMOTE_QUERY);
	e_attr_u32(&e, DIBS_A_DEV_INDEX, 3);
	e_attr(&e, DIBS_A_DEV_REMOTE_GID, gid1, 16);
	e_end(&e);
	check_sent(&f, 5, &e, "remote-query");

	CHECK_EQ(dibsnl_event_signal(h, (struct dibsnl_dev_ref){ 3, NULL },
				     gid1, 0xc0de, 0x1122334455667788ULL), 0);
	e_start(&e, DO_FLAGS, 7, DIBS_CMD_EVENT_SIGNAL);
	e_attr_u32(&e, DIBS_A_EVENT_DEV_INDEX, 3);
	e_attr(&e, DIBS_A_EVENT_REMOTE_GID, gid1, 16);
	e_attr_u32(&e, DIBS_A_EVENT_SUBTYPE, 0xc0de);
	e_attr_u64(&e, DIBS_A_EVENT_DATA, 0x1122334455667788ULL);
	e_end(&e);
	CHECK_EQ(e.n, 68);
	check_sent(&f, 6, &e, "event-signal");

	CHECK_EQ(dibsnl_event_signal(h, (struct dibsnl_dev_ref){ 0, "sim3" },
				     gid1, 0, 0), 0);
	e_start(&e, DO_FLAGS, 8, DIBS_CMD_EVENT_SIGNAL);
	e_attr(&e, DIBS_A_EVENT_DEV_NAME, "sim3", 5);
	e_attr(&e, DIBS_A_EVENT_REMOTE_GID, gid1, 16);
	e_attr_u32(&e, DIBS_A_EVENT_SUBTYPE, 0);
	e_attr_u64(&e, DIBS_A_EVENT_DATA, 0);
	e_end(&e);
	check_sent(&f, 7, &e, "event-signal by name");

	/* nothing is sent for calls refused locally */
	CHECK_EQ(dibsnl_dev_set_netns(h, (struct dibsnl_dev_ref){ 8, NULL },
				      0, -1), -EINVAL);
	CHECK_EQ(dibsnl_dev_del(h, (struct dibsnl_dev_ref){ 0, NULL }),
		 -EINVAL);
	CHECK_EQ(dibsnl_event_signal(h, (struct dibsnl_dev_ref){ 0, NULL },
				     gid1, 1, 1), -EINVAL);
	CHECK_EQ(dibsnl_event_signal(h, (struct dibsnl_dev_ref){ 3, NULL },
				     NULL, 1, 1), -EINVAL);
	CHECK_STR(dibsnl_errmsg(h), "no remote gid given");
	CHECK_EQ(f.nsent, 8);
	fake_close(h, &f);
}

static void build_dmb_ops(void)
{
	struct dibsnl_dmb_filter filter = {
		.dev = { 0, "lo" }, .client_name = "smc-d",
	};
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct expect e;
	uint8_t data[5] = "hello";

	f.respond = respond_ok;
	CHECK_EQ(dibsnl_dmb_revoke(h, (struct dibsnl_dev_ref){ 2, NULL },
				   0x0102030405060708ULL), 0);
	e_start(&e, DO_FLAGS, 1, DIBS_CMD_DMB_REVOKE);
	e_attr_u32(&e, DIBS_A_DMB_DEV_INDEX, 2);
	e_attr_u64(&e, DIBS_A_DMB_TOKEN, 0x0102030405060708ULL);
	e_end(&e);
	check_sent(&f, 0, &e, "dmb-revoke");

	CHECK_EQ(dibsnl_dmb_write(h, (struct dibsnl_dev_ref){ 2, NULL }, 9,
				  6, data, sizeof(data), 3), 0);
	e_start(&e, DO_FLAGS, 2, DIBS_CMD_DMB_WRITE);
	e_attr_u32(&e, DIBS_A_DMB_DEV_INDEX, 2);
	e_attr_u64(&e, DIBS_A_DMB_TOKEN, 9);
	e_attr_u32(&e, DIBS_A_DMB_OFFSET, 6);
	e_attr(&e, DIBS_A_DMB_DATA, "hello", 5);
	e_attr_u32(&e, DIBS_A_DMB_SIGNAL_IDX, 3);
	e_end(&e);
	check_sent(&f, 1, &e, "dmb-write");

	/* no data, no signal: still one message */
	CHECK_EQ(dibsnl_dmb_write(h, (struct dibsnl_dev_ref){ 2, NULL }, 9,
				  0, NULL, 0, -1), 0);
	e_start(&e, DO_FLAGS, 3, DIBS_CMD_DMB_WRITE);
	e_attr_u32(&e, DIBS_A_DMB_DEV_INDEX, 2);
	e_attr_u64(&e, DIBS_A_DMB_TOKEN, 9);
	e_attr_u32(&e, DIBS_A_DMB_OFFSET, 0);
	e_attr(&e, DIBS_A_DMB_DATA, NULL, 0);
	e_end(&e);
	check_sent(&f, 2, &e, "dmb-write empty");

	CHECK_EQ(dibsnl_dmb_dump(h, &filter, dmb_none, NULL), 0);
	e_start(&e, DUMP_FLAGS, 4, DIBS_CMD_DMB_GET);
	e_attr(&e, DIBS_A_DMB_DEV_NAME, "lo", 3);
	e_attr(&e, DIBS_A_DMB_CLIENT_NAME, "smc-d", 6);
	e_end(&e);
	check_sent(&f, 3, &e, "dmb dump filtered");

	filter.dev.name = NULL;
	filter.dev.index = 4;
	filter.client_name = NULL;
	CHECK_EQ(dibsnl_dmb_dump(h, &filter, dmb_none, NULL), 0);
	e_start(&e, DUMP_FLAGS, 5, DIBS_CMD_DMB_GET);
	e_attr_u32(&e, DIBS_A_DMB_DEV_INDEX, 4);
	e_end(&e);
	check_sent(&f, 4, &e, "dmb dump by index");

	CHECK_EQ(dibsnl_dmb_dump(h, NULL, dmb_none, NULL), 0);
	e_start(&e, DUMP_FLAGS, 6, DIBS_CMD_DMB_GET);
	e_end(&e);
	check_sent(&f, 5, &e, "dmb dump");

	CHECK_EQ(dibsnl_dev_dump(h, dev_none, NULL), 0);
	e_start(&e, DUMP_FLAGS, 7, DIBS_CMD_DEV_GET);
	e_end(&e);
	check_sent(&f, 6, &e, "dev dump");

	CHECK_EQ(dibsnl_client_dump(h, client_none, NULL), 0);
	e_start(&e, DUMP_FLAGS, 8, DIBS_CMD_CLIENT_GET);
	e_end(&e);
	check_sent(&f, 7, &e, "client dump");
	fake_close(h, &f);
}

const struct tcase build_tests[] = {
	TCASE(build_dmb_grant),
	TCASE(build_dev_ops),
	TCASE(build_dmb_ops),
	TCASE_END
};
