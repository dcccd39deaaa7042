// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The object parsers on canned messages: good ones, truncated ones,
 * attributes of the wrong length, oversized strings, bad nests, and a
 * deterministic fuzz. Every message is parsed from a heap copy of exactly
 * its length, so valgrind or ASan catch any read past its end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

static const uint8_t gid1[DIBS_GID_LEN] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
};

typedef int (*parse_fn)(const struct nlmsghdr *nlh, void *out);

static int p_dev(const struct nlmsghdr *nlh, void *out)
{
	return dibsnl_parse_dev(nlh, out);
}

static int p_dmb(const struct nlmsghdr *nlh, void *out)
{
	return dibsnl_parse_dmb(nlh, out);
}

static int p_client(const struct nlmsghdr *nlh, void *out)
{
	return dibsnl_parse_client(nlh, out);
}

static int p_event(const struct nlmsghdr *nlh, void *out)
{
	return dibsnl_parse_event(nlh, out);
}

static int p_signal(const struct nlmsghdr *nlh, void *out)
{
	return dibsnl_parse_signal(nlh, out);
}

static int p_ntf(const struct nlmsghdr *nlh, void *out)
{
	return dibsnl_parse_ntf(nlh, out);
}

static int p_family(const struct nlmsghdr *nlh, void *out)
{
	return dibsnl_parse_family(nlh, out);
}

/* Parse the first @len bytes of @nlh from an exact-size heap copy. */
static int parse_cut(parse_fn fn, const struct nlmsghdr *nlh, size_t len,
		     void *out)
{
	struct nlmsghdr *copy = malloc(len);
	int err;

	memcpy(copy, nlh, len);
	copy->nlmsg_len = len;
	err = fn(copy, out);
	free(copy);
	return err;
}

static int parse_copy(parse_fn fn, const struct nlmsghdr *nlh, void *out)
{
	return parse_cut(fn, nlh, nlh->nlmsg_len, out);
}

static void parse_dev_good(void)
{
	struct dibsnl_dev d;
	struct dibsnl_req r;
	struct msgbuf b;

	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	msg_dev(&r, 3, "lo");
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), 0);
	CHECK_EQ(d.index, 3);
	CHECK_STR(d.name, "lo");
	CHECK_STR(d.type, "loopback");
	CHECK(!memcmp(d.gid, gid1, sizeof(gid1)));
	CHECK_EQ(d.fabric_id, 0xffff);
	CHECK_EQ(d.state, DIBSNL_DEV_UP);
	CHECK_EQ(d.max_dmbs, 5000);
	CHECK_EQ(d.dmb_count, 2);
	CHECK(d.mapped_dmb);
	CHECK_STR(d.parent_bus, "platform");
	CHECK_STR(d.parent_name, "dibs-sim.0");
	CHECK_EQ(d.netns_id, -2);
	CHECK(d.has_stats);
	CHECK_EQ(d.stats.moves, 10);
	CHECK_EQ(d.stats.move_bytes, 1ULL << 40);
	CHECK_EQ(d.stats.signals, 3);
	CHECK_EQ(d.stats.move_errors, 4);
	CHECK_EQ(d.stats.dmbs_registered, 5);
	CHECK_EQ(d.stats.dmbs_unregistered, 6);
}

static void parse_dev_minimal(void)
{
	struct dibsnl_dev d;
	struct dibsnl_req r;
	struct msgbuf b;

	/* only the index: everything else has its default */
	msg_start(&r, &b, DIBS_CMD_DEV_DEL_NTF);
	dibsnl_req_u32(&r, DIBS_A_DEV_INDEX, 9);
	memset(&d, 0x77, sizeof(d));
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), 0);
	CHECK_EQ(d.index, 9);
	CHECK_STR(d.name, "");
	CHECK_STR(d.parent_bus, "");
	CHECK_EQ(d.netns_id, -1);
	CHECK_EQ(d.state, DIBSNL_DEV_DOWN);
	CHECK(!d.has_stats);
	CHECK(!d.mapped_dmb);

	/* no index: refused */
	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	dibsnl_req_str(&r, DIBS_A_DEV_NAME, "lo");
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), -EINVAL);

	/* an unknown state reads as down */
	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	dibsnl_req_u32(&r, DIBS_A_DEV_INDEX, 9);
	dibsnl_req_u32(&r, DIBS_A_DEV_STATE, 7);
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), 0);
	CHECK_EQ(d.state, DIBSNL_DEV_DOWN);
}

static void parse_dev_unknown_attrs(void)
{
	uint8_t junk[40] = { 1, 2, 3 };
	struct dibsnl_dev d;
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlattr *n;

	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	dibsnl_req_put(&r, DIBS_A_DEV_MAX + 1, junk, 5);
	msg_dev(&r, 4, "sim0");
	dibsnl_req_put(&r, DIBS_A_DEV_MAX + 30, junk, sizeof(junk));
	dibsnl_req_put(&r, DIBS_A_DEV_PAD, junk, 3);
	/* and a future attribute inside the stats nest */
	n = msg_nest_start(&r, DIBS_A_DEV_STATS);
	dibsnl_req_u64(&r, DIBS_A_DEV_STATS_MOVES, 99);
	dibsnl_req_put(&r, DIBS_A_DEV_STATS_MAX + 1, junk, 7);
	msg_nest_end(&r, n);
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), 0);
	CHECK_EQ(d.index, 4);
	CHECK_STR(d.name, "sim0");
	CHECK_EQ(d.stats.moves, 99);
	CHECK_EQ(d.stats.signals, 0);	/* the second nest won */
}

static void parse_dev_wrong_lengths(void)
{
	static const struct {
		uint16_t type, len;
	} bad[] = {
		{ DIBS_A_DEV_INDEX, 2 },
		{ DIBS_A_DEV_INDEX, 8 },
		{ DIBS_A_DEV_GID, 15 },
		{ DIBS_A_DEV_GID, 17 },
		{ DIBS_A_DEV_GID, 0 },
		{ DIBS_A_DEV_FABRIC_ID, 4 },
		{ DIBS_A_DEV_STATE, 1 },
		{ DIBS_A_DEV_MAPPED_DMB, 4 },
		{ DIBS_A_DEV_NETNS_ID, 0 },
		{ DIBS_A_DEV_NETNS_ID, 8 },
	};
	uint8_t junk[32] = { 0 };
	struct dibsnl_dev d;
	struct dibsnl_req r;
	struct msgbuf b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		msg_start(&r, &b, DIBS_CMD_DEV_GET);
		msg_dev(&r, 3, "lo");
		dibsnl_req_put(&r, bad[i].type, junk, bad[i].len);
		if (parse_copy(p_dev, r.nlh, &d) != -EINVAL)
			tap_fail(__FILE__, __LINE__,
				 "attr %u of %u bytes accepted", bad[i].type,
				 bad[i].len);
	}
}

static void parse_dev_stats_bad(void)
{
	struct dibsnl_dev d;
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlattr *n;
	uint32_t four = 4;

	/* a u64 of 4 bytes inside the nest */
	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	dibsnl_req_u32(&r, DIBS_A_DEV_INDEX, 1);
	n = msg_nest_start(&r, DIBS_A_DEV_STATS);
	dibsnl_req_put(&r, DIBS_A_DEV_STATS_MOVES, &four, sizeof(four));
	msg_nest_end(&r, n);
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), -EINVAL);

	/* an inner attribute that claims more than the nest holds */
	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	dibsnl_req_u32(&r, DIBS_A_DEV_INDEX, 1);
	n = msg_nest_start(&r, DIBS_A_DEV_STATS);
	dibsnl_req_u64(&r, DIBS_A_DEV_STATS_MOVES, 1);
	dibsnl_req_u64(&r, DIBS_A_DEV_STATS_SIGNALS, 2);
	msg_nest_end(&r, n);
	dibsnl_req_u32(&r, DIBS_A_DEV_DMB_COUNT, 5);
	/* the second inner attribute now runs 4 bytes past the nest */
	((struct nlattr *)((char *)n + 4 + 12))->nla_len = 16;
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), -EINVAL);

	/* a nest cut short: its length claims more than the message has */
	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	dibsnl_req_u32(&r, DIBS_A_DEV_INDEX, 1);
	n = msg_nest_start(&r, DIBS_A_DEV_STATS);
	dibsnl_req_u64(&r, DIBS_A_DEV_STATS_MOVES, 1);
	dibsnl_req_u64(&r, DIBS_A_DEV_STATS_SIGNALS, 2);
	msg_nest_end(&r, n);
	CHECK_EQ(parse_cut(p_dev, r.nlh, r.nlh->nlmsg_len - 4, &d), -EINVAL);

	/* an empty nest is fine: stats all 0 */
	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	dibsnl_req_u32(&r, DIBS_A_DEV_INDEX, 1);
	n = msg_nest_start(&r, DIBS_A_DEV_STATS);
	msg_nest_end(&r, n);
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), 0);
	CHECK(d.has_stats);
	CHECK_EQ(d.stats.moves, 0);
}

static void parse_dev_long_strings(void)
{
	char longname[300];
	struct dibsnl_dev d;
	struct dibsnl_req r;
	struct msgbuf b;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	dibsnl_req_u32(&r, DIBS_A_DEV_INDEX, 1);
	dibsnl_req_str(&r, DIBS_A_DEV_NAME, longname);
	dibsnl_req_str(&r, DIBS_A_DEV_TYPE, longname);
	dibsnl_req_str(&r, DIBS_A_DEV_PARENT_BUS, longname);
	/* no terminating NUL */
	dibsnl_req_put(&r, DIBS_A_DEV_PARENT_NAME, longname, 200);
	CHECK_EQ(parse_copy(p_dev, r.nlh, &d), 0);
	CHECK_EQ(strlen(d.name), sizeof(d.name) - 1);
	CHECK_EQ(strlen(d.type), sizeof(d.type) - 1);
	CHECK_EQ(strlen(d.parent_bus), sizeof(d.parent_bus) - 1);
	CHECK_EQ(strlen(d.parent_name), sizeof(d.parent_name) - 1);
	CHECK_EQ(d.name[0], 'n');
}

/* Offsets at which a cut leaves a well-formed (shorter) message. */
static bool clean_cut(const struct nlmsghdr *nlh, size_t cut)
{
	size_t off = MNL_NLMSG_HDRLEN + GENL_HDRLEN;
	const char *p = (const char *)nlh;

	if (cut == off)
		return true;
	while (off < nlh->nlmsg_len) {
		const struct nlattr *a = (const void *)(p + off);

		/* the last attribute may lack (some of) its padding */
		if (cut == off || (cut >= off + a->nla_len &&
				   cut <= off + MNL_ALIGN(a->nla_len)))
			return true;
		off += MNL_ALIGN(a->nla_len);
	}
	return cut == nlh->nlmsg_len;
}

/* Every cut of a good message parses cleanly or is refused. */
static void truncate_all(parse_fn fn, const struct nlmsghdr *nlh,
			 void *out, const char *what)
{
	size_t cut;
	int err;

	for (cut = MNL_NLMSG_HDRLEN; cut < nlh->nlmsg_len; cut++) {
		err = parse_cut(fn, nlh, cut, out);
		if (err == -EINVAL)
			continue;
		if (err != 0 && err != 1)
			tap_fail(__FILE__, __LINE__, "%s cut at %zu: %d",
				 what, cut, err);
		else if (!clean_cut(nlh, cut))
			tap_fail(__FILE__, __LINE__,
				 "%s cut at %zu (of %u) accepted", what, cut,
				 nlh->nlmsg_len);
	}
}

static void parse_truncated(void)
{
	struct dibsnl_req r;
	struct msgbuf b;
	union {
		struct dibsnl_dev dev;
		struct dibsnl_dmb dmb;
		struct dibsnl_ntf ntf;
	} out;

	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	msg_dev(&r, 3, "lo");
	truncate_all(p_dev, r.nlh, &out, "dev");

	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	msg_dmb(&r, 0x1122334455667788ULL, 3);
	truncate_all(p_dmb, r.nlh, &out, "dmb");

	msg_start(&r, &b, DIBS_CMD_DEV_ADD_NTF);
	msg_dev(&r, 3, "lo");
	truncate_all(p_ntf, r.nlh, &out, "ntf");

	/* no room for the genl header */
	CHECK_EQ(parse_cut(p_dev, r.nlh, MNL_NLMSG_HDRLEN, &out), -EINVAL);
	CHECK_EQ(parse_cut(p_dev, r.nlh, MNL_NLMSG_HDRLEN + 2, &out), -EINVAL);
	CHECK_EQ(parse_cut(p_ntf, r.nlh, MNL_NLMSG_HDRLEN + 3, &out), -EINVAL);
}

static void parse_dmb_good(void)
{
	struct dibsnl_dmb m;
	struct dibsnl_req r;
	struct msgbuf b;

	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	msg_dmb(&r, 0x1122334455667788ULL, 3);
	CHECK_EQ(parse_copy(p_dmb, r.nlh, &m), 0);
	CHECK_EQ(m.token, 0x1122334455667788ULL);
	CHECK_EQ(m.dev_index, 3);
	CHECK_STR(m.dev_name, "lo");
	CHECK_EQ(m.client_id, 1);
	CHECK_STR(m.client_name, "userspace");
	CHECK(!memcmp(m.rgid, gid1, sizeof(gid1)));
	CHECK_EQ(m.len, 65536);
	CHECK_EQ(m.sba_idx, 17);
	CHECK(m.owned);
	CHECK(m.has_stats);
	CHECK_EQ(m.stats.writes, 7);
	CHECK_EQ(m.stats.write_bytes, 700);
	CHECK_EQ(m.stats.signals, 2);
	CHECK_EQ(m.stats.refused, 1);

	/* not owned, no stats */
	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, 5);
	CHECK_EQ(parse_copy(p_dmb, r.nlh, &m), 0);
	CHECK(!m.owned);
	CHECK(!m.has_stats);
}

static void parse_dmb_bad(void)
{
	uint8_t junk[20] = { 0 };
	char longname[100];
	struct dibsnl_dmb m;
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlattr *n;

	/* token of 4 bytes */
	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	dibsnl_req_u32(&r, DIBS_A_DMB_TOKEN, 5);
	CHECK_EQ(parse_copy(p_dmb, r.nlh, &m), -EINVAL);
	/* no token */
	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	dibsnl_req_u32(&r, DIBS_A_DMB_DEV_INDEX, 5);
	CHECK_EQ(parse_copy(p_dmb, r.nlh, &m), -EINVAL);
	/* rgid of 15 bytes */
	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	msg_dmb(&r, 1, 3);
	dibsnl_req_put(&r, DIBS_A_DMB_RGID, junk, 15);
	CHECK_EQ(parse_copy(p_dmb, r.nlh, &m), -EINVAL);
	/* owned is a flag: with a payload it is malformed */
	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	msg_dmb(&r, 1, 3);
	dibsnl_req_u8(&r, DIBS_A_DMB_OWNED, 1);
	CHECK_EQ(parse_copy(p_dmb, r.nlh, &m), -EINVAL);
	/* a stats u64 of 4 bytes */
	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, 5);
	n = msg_nest_start(&r, DIBS_A_DMB_STATS);
	dibsnl_req_put(&r, DIBS_A_DMB_STATS_REFUSED, junk, 4);
	msg_nest_end(&r, n);
	CHECK_EQ(parse_copy(p_dmb, r.nlh, &m), -EINVAL);
	/* a client name longer than the struct's: truncated */
	memset(longname, 'c', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	msg_start(&r, &b, DIBS_CMD_DMB_GET);
	dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, 5);
	dibsnl_req_str(&r, DIBS_A_DMB_CLIENT_NAME, longname);
	dibsnl_req_str(&r, DIBS_A_DMB_DEV_NAME, longname);
	CHECK_EQ(parse_copy(p_dmb, r.nlh, &m), 0);
	CHECK_EQ(strlen(m.client_name), DIBSNL_CLIENT_NAME_MAX - 1);
	CHECK_EQ(strlen(m.dev_name), DIBSNL_NAME_MAX - 1);
}

static void parse_dmb_data_reply(void)
{
	uint8_t data[64], out[64];
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlmsghdr *copy;
	unsigned int i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = i * 7;
	msg_start(&r, &b, DIBS_CMD_DMB_READ);
	dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, 42);
	dibsnl_req_u32(&r, DIBS_A_DMB_OFFSET, 100);
	dibsnl_req_put(&r, DIBS_A_DMB_DATA, data, sizeof(data));
	copy = malloc(r.nlh->nlmsg_len);
	memcpy(copy, r.nlh, r.nlh->nlmsg_len);

	memset(out, 0, sizeof(out));
	CHECK_EQ(dibsnl_parse_dmb_data(copy, 42, 100, out, 64), 0);
	CHECK(!memcmp(out, data, sizeof(data)));
	/* a length other than asked */
	CHECK_EQ(dibsnl_parse_dmb_data(copy, 42, 100, out, 63), -EINVAL);
	CHECK_EQ(dibsnl_parse_dmb_data(copy, 42, 100, out, 32), -EINVAL);
	/* another token or offset */
	CHECK_EQ(dibsnl_parse_dmb_data(copy, 43, 100, out, 64), -EINVAL);
	CHECK_EQ(dibsnl_parse_dmb_data(copy, 42, 0, out, 64), -EINVAL);
	free(copy);

	/* no data at all */
	msg_start(&r, &b, DIBS_CMD_DMB_READ);
	dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, 42);
	CHECK_EQ(dibsnl_parse_dmb_data(r.nlh, 42, 0, out, 1), -EINVAL);
}

static void put_client_dev(struct dibsnl_req *r, uint32_t index,
			   uint32_t count)
{
	struct nlattr *n = msg_nest_start(r, DIBS_A_CLIENT_DEV);

	dibsnl_req_u32(r, DIBS_A_CLIENT_DEV_INDEX, index);
	dibsnl_req_u32(r, DIBS_A_CLIENT_DEV_DMB_COUNT, count);
	msg_nest_end(r, n);
}

static void parse_client_good(void)
{
	struct dibsnl_client c;
	struct dibsnl_req r;
	struct msgbuf b;

	msg_start(&r, &b, DIBS_CMD_CLIENT_GET);
	dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, 2);
	dibsnl_req_str(&r, DIBS_A_CLIENT_NAME, "smc-d");
	dibsnl_req_u32(&r, DIBS_A_CLIENT_DMB_COUNT, 12);
	put_client_dev(&r, 1, 10);
	put_client_dev(&r, 4, 2);
	CHECK_EQ(parse_copy(p_client, r.nlh, &c), 0);
	CHECK_EQ(c.id, 2);
	CHECK_STR(c.name, "smc-d");
	CHECK_EQ(c.dmb_count, 12);
	CHECK_EQ(c.n_devs, 2);
	CHECK_EQ(c.devs[0].dev_index, 1);
	CHECK_EQ(c.devs[0].dmb_count, 10);
	CHECK_EQ(c.devs[1].dev_index, 4);
	CHECK_EQ(c.devs[1].dmb_count, 2);

	/* no devices */
	msg_start(&r, &b, DIBS_CMD_CLIENT_GET);
	dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, 0);
	CHECK_EQ(parse_copy(p_client, r.nlh, &c), 0);
	CHECK_EQ(c.n_devs, 0);
	CHECK_EQ(c.id, 0);
}

static void parse_client_many_devs(void)
{
	struct dibsnl_client c;
	struct dibsnl_req r;
	struct msgbuf b;
	unsigned int i;

	msg_start(&r, &b, DIBS_CMD_CLIENT_GET);
	dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, 2);
	for (i = 0; i < DIBSNL_CLIENT_DEVS_MAX + 10; i++)
		put_client_dev(&r, i + 1, i);
	CHECK_EQ(parse_copy(p_client, r.nlh, &c), 0);
	CHECK_EQ(c.n_devs, DIBSNL_CLIENT_DEVS_MAX);
	CHECK_EQ(c.devs[DIBSNL_CLIENT_DEVS_MAX - 1].dev_index,
		 DIBSNL_CLIENT_DEVS_MAX);
}

static void parse_client_bad(void)
{
	struct dibsnl_client c;
	struct dibsnl_req r;
	struct msgbuf b;
	struct nlattr *n;
	uint16_t two = 2;

	/* no id */
	msg_start(&r, &b, DIBS_CMD_CLIENT_GET);
	dibsnl_req_str(&r, DIBS_A_CLIENT_NAME, "x");
	CHECK_EQ(parse_copy(p_client, r.nlh, &c), -EINVAL);
	/* a device without its index */
	msg_start(&r, &b, DIBS_CMD_CLIENT_GET);
	dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, 2);
	n = msg_nest_start(&r, DIBS_A_CLIENT_DEV);
	dibsnl_req_u32(&r, DIBS_A_CLIENT_DEV_DMB_COUNT, 3);
	msg_nest_end(&r, n);
	CHECK_EQ(parse_copy(p_client, r.nlh, &c), -EINVAL);
	/* a device index of 2 bytes, in the first of two devices */
	msg_start(&r, &b, DIBS_CMD_CLIENT_GET);
	dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, 2);
	n = msg_nest_start(&r, DIBS_A_CLIENT_DEV);
	dibsnl_req_put(&r, DIBS_A_CLIENT_DEV_INDEX, &two, sizeof(two));
	msg_nest_end(&r, n);
	put_client_dev(&r, 1, 1);
	CHECK_EQ(parse_copy(p_client, r.nlh, &c), -EINVAL);
	/* garbage inside a device nest */
	msg_start(&r, &b, DIBS_CMD_CLIENT_GET);
	dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, 2);
	dibsnl_req_put(&r, DIBS_A_CLIENT_DEV, "\x01\x02\x03", 3);
	CHECK_EQ(parse_copy(p_client, r.nlh, &c), -EINVAL);
}

static void parse_event_good(void)
{
	struct dibsnl_event e;
	struct dibsnl_req r;
	struct msgbuf b;

	msg_start(&r, &b, DIBS_CMD_EVENT_NTF);
	dibsnl_req_u32(&r, DIBS_A_EVENT_DEV_INDEX, 3);
	dibsnl_req_u32(&r, DIBS_A_EVENT_TYPE, DIBS_EVENT_DEV);
	dibsnl_req_u32(&r, DIBS_A_EVENT_SUBTYPE, DIBS_EVENT_DEV_DISABLED);
	dibsnl_req_put(&r, DIBS_A_EVENT_GID, gid1, sizeof(gid1));
	dibsnl_req_flag(&r, DIBS_A_EVENT_PAD);
	dibsnl_req_u64(&r, DIBS_A_EVENT_TOKEN, 0xdeadbeefcafeULL);
	dibsnl_req_u64(&r, DIBS_A_EVENT_TIME, 123456789);
	dibsnl_req_u64(&r, DIBS_A_EVENT_DATA, 77);
	CHECK_EQ(parse_copy(p_event, r.nlh, &e), 0);
	CHECK_EQ(e.dev_index, 3);
	CHECK_EQ(e.type, DIBS_EVENT_DEV);
	CHECK_EQ(e.subtype, DIBS_EVENT_DEV_DISABLED);
	CHECK(!memcmp(e.gid, gid1, sizeof(gid1)));
	CHECK_EQ(e.token, 0xdeadbeefcafeULL);
	CHECK_EQ(e.time, 123456789);
	CHECK_EQ(e.data, 77);
	truncate_all(p_event, r.nlh, &e, "event");

	/* gid of 15 bytes, u64 of 4 */
	msg_start(&r, &b, DIBS_CMD_EVENT_NTF);
	dibsnl_req_u32(&r, DIBS_A_EVENT_DEV_INDEX, 3);
	dibsnl_req_u32(&r, DIBS_A_EVENT_TYPE, DIBS_EVENT_DEV);
	dibsnl_req_put(&r, DIBS_A_EVENT_GID, gid1, 15);
	CHECK_EQ(parse_copy(p_event, r.nlh, &e), -EINVAL);
	msg_start(&r, &b, DIBS_CMD_EVENT_NTF);
	dibsnl_req_u32(&r, DIBS_A_EVENT_DEV_INDEX, 3);
	dibsnl_req_u32(&r, DIBS_A_EVENT_TYPE, DIBS_EVENT_DEV);
	dibsnl_req_u32(&r, DIBS_A_EVENT_TIME, 4);
	CHECK_EQ(parse_copy(p_event, r.nlh, &e), -EINVAL);
	/* no type */
	msg_start(&r, &b, DIBS_CMD_EVENT_NTF);
	dibsnl_req_u32(&r, DIBS_A_EVENT_DEV_INDEX, 3);
	CHECK_EQ(parse_copy(p_event, r.nlh, &e), -EINVAL);
}

static void parse_signal_good(void)
{
	struct dibsnl_signal s;
	struct dibsnl_req r;
	struct msgbuf b;

	msg_start(&r, &b, DIBS_CMD_SIGNAL_NTF);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_DEV_INDEX, 2);
	dibsnl_req_u64(&r, DIBS_A_SIGNAL_TOKEN, 1ULL << 63);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_SBA_IDX, 4);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_MASK, 0x8001);
	CHECK_EQ(parse_copy(p_signal, r.nlh, &s), 0);
	CHECK_EQ(s.dev_index, 2);
	CHECK(s.token == 1ULL << 63);
	CHECK_EQ(s.sba_idx, 4);
	CHECK_EQ(s.mask, 0x8001);
	truncate_all(p_signal, r.nlh, &s, "signal");

	/* token of 4 bytes */
	msg_start(&r, &b, DIBS_CMD_SIGNAL_NTF);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_DEV_INDEX, 2);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_TOKEN, 1);
	CHECK_EQ(parse_copy(p_signal, r.nlh, &s), -EINVAL);
	/* no token */
	msg_start(&r, &b, DIBS_CMD_SIGNAL_NTF);
	dibsnl_req_u32(&r, DIBS_A_SIGNAL_DEV_INDEX, 2);
	CHECK_EQ(parse_copy(p_signal, r.nlh, &s), -EINVAL);
}

static void parse_ntf_kinds(void)
{
	static const struct {
		uint8_t cmd;
		enum dibsnl_ntf_kind kind;
	} t[] = {
		{ DIBS_CMD_DEV_ADD_NTF, DIBSNL_NTF_DEV_ADD },
		{ DIBS_CMD_DEV_DEL_NTF, DIBSNL_NTF_DEV_DEL },
		{ DIBS_CMD_DEV_CHANGE_NTF, DIBSNL_NTF_DEV_CHANGE },
		{ DIBS_CMD_DMB_ADD_NTF, DIBSNL_NTF_DMB_ADD },
		{ DIBS_CMD_DMB_DEL_NTF, DIBSNL_NTF_DMB_DEL },
		{ DIBS_CMD_CLIENT_ADD_NTF, DIBSNL_NTF_CLIENT_ADD },
		{ DIBS_CMD_CLIENT_DEL_NTF, DIBSNL_NTF_CLIENT_DEL },
		{ DIBS_CMD_EVENT_NTF, DIBSNL_NTF_EVENT },
		{ DIBS_CMD_SIGNAL_NTF, DIBSNL_NTF_SIGNAL },
	};
	struct dibsnl_ntf ntf;
	struct dibsnl_req r;
	struct msgbuf b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		msg_start(&r, &b, t[i].cmd);
		switch (t[i].kind) {
		case DIBSNL_NTF_DEV_ADD:
		case DIBSNL_NTF_DEV_DEL:
		case DIBSNL_NTF_DEV_CHANGE:
			msg_dev(&r, 5, "lo");
			break;
		case DIBSNL_NTF_DMB_ADD:
		case DIBSNL_NTF_DMB_DEL:
			msg_dmb(&r, 5, 1);
			break;
		case DIBSNL_NTF_CLIENT_ADD:
		case DIBSNL_NTF_CLIENT_DEL:
			dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, 5);
			break;
		case DIBSNL_NTF_EVENT:
			dibsnl_req_u32(&r, DIBS_A_EVENT_DEV_INDEX, 5);
			dibsnl_req_u32(&r, DIBS_A_EVENT_TYPE, 1);
			break;
		case DIBSNL_NTF_SIGNAL:
			dibsnl_req_u32(&r, DIBS_A_SIGNAL_DEV_INDEX, 5);
			dibsnl_req_u64(&r, DIBS_A_SIGNAL_TOKEN, 5);
			break;
		}
		CHECK_EQ(parse_copy(p_ntf, r.nlh, &ntf), 0);
		CHECK_EQ(ntf.kind, t[i].kind);
	}
	CHECK_EQ(ntf.signal.token, 5);

	/* commands that are not notifications, or from the future */
	msg_start(&r, &b, DIBS_CMD_DEV_GET);
	msg_dev(&r, 5, "lo");
	CHECK_EQ(parse_copy(p_ntf, r.nlh, &ntf), 1);
	msg_start(&r, &b, DIBS_CMD_MAX + 1);
	CHECK_EQ(parse_copy(p_ntf, r.nlh, &ntf), 1);
	msg_start(&r, &b, 0);
	CHECK_EQ(parse_copy(p_ntf, r.nlh, &ntf), 1);
}

static void parse_family_reply(void)
{
	struct dibsnl_family_info fi;
	struct nlattr *grps, *g;
	struct dibsnl_req r;
	struct msgbuf b;

	msg_start(&r, &b, CTRL_CMD_NEWFAMILY);
	dibsnl_req_str(&r, CTRL_ATTR_FAMILY_NAME, "dibs");
	dibsnl_req_u16(&r, CTRL_ATTR_FAMILY_ID, 0x22);
	dibsnl_req_u32(&r, CTRL_ATTR_VERSION, 1);
	dibsnl_req_u32(&r, CTRL_ATTR_HDRSIZE, 0);
	grps = msg_nest_start(&r, CTRL_ATTR_MCAST_GROUPS);
	g = msg_nest_start(&r, 1);
	dibsnl_req_u32(&r, CTRL_ATTR_MCAST_GRP_ID, 11);
	dibsnl_req_str(&r, CTRL_ATTR_MCAST_GRP_NAME, "mgmt");
	msg_nest_end(&r, g);
	g = msg_nest_start(&r, 2);
	dibsnl_req_str(&r, CTRL_ATTR_MCAST_GRP_NAME, "future");
	dibsnl_req_u32(&r, CTRL_ATTR_MCAST_GRP_ID, 12);
	msg_nest_end(&r, g);
	g = msg_nest_start(&r, 3);
	dibsnl_req_str(&r, CTRL_ATTR_MCAST_GRP_NAME, "signal");
	dibsnl_req_u32(&r, CTRL_ATTR_MCAST_GRP_ID, 13);
	msg_nest_end(&r, g);
	msg_nest_end(&r, grps);
	CHECK_EQ(parse_copy(p_family, r.nlh, &fi), 0);
	CHECK_EQ(fi.id, 0x22);
	CHECK_EQ(fi.version, 1);
	CHECK_EQ(fi.mcgrp_mgmt, 11);
	CHECK_EQ(fi.mcgrp_signal, 13);
	truncate_all(p_family, r.nlh, &fi, "family");

	/* a group without its id */
	msg_start(&r, &b, CTRL_CMD_NEWFAMILY);
	dibsnl_req_u16(&r, CTRL_ATTR_FAMILY_ID, 0x22);
	grps = msg_nest_start(&r, CTRL_ATTR_MCAST_GROUPS);
	g = msg_nest_start(&r, 1);
	dibsnl_req_str(&r, CTRL_ATTR_MCAST_GRP_NAME, "mgmt");
	msg_nest_end(&r, g);
	msg_nest_end(&r, grps);
	CHECK_EQ(parse_copy(p_family, r.nlh, &fi), -EINVAL);

	/* a family id of 4 bytes; no family id */
	msg_start(&r, &b, CTRL_CMD_NEWFAMILY);
	dibsnl_req_u32(&r, CTRL_ATTR_FAMILY_ID, 0x22);
	CHECK_EQ(parse_copy(p_family, r.nlh, &fi), -EINVAL);
	msg_start(&r, &b, CTRL_CMD_NEWFAMILY);
	dibsnl_req_u32(&r, CTRL_ATTR_VERSION, 1);
	CHECK_EQ(parse_copy(p_family, r.nlh, &fi), -EINVAL);
}

/* xorshift: the same sequence on every run */
static uint32_t rnd_state = 0x2545f491;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void fuzz_one(parse_fn fn, const struct nlmsghdr *good, void *out,
		     unsigned int rounds)
{
	size_t len = good->nlmsg_len;
	unsigned int i, k;
	int err;

	for (i = 0; i < rounds; i++) {
		struct nlmsghdr *m = malloc(len);

		memcpy(m, good, len);
		for (k = 0; k < 1 + rnd() % 4; k++) {
			size_t at = MNL_NLMSG_HDRLEN + GENL_HDRLEN +
				    rnd() % (len - MNL_NLMSG_HDRLEN -
					     GENL_HDRLEN);

			((uint8_t *)m)[at] = rnd();
		}
		err = fn(m, out);
		if (err != 0 && err != 1 && err != -EINVAL)
			tap_fail(__FILE__, __LINE__, "fuzz: %d", err);
		free(m);
	}
}

static void parse_fuzz(void)
{
	struct dibsnl_req r;
	struct msgbuf b;
	struct dibsnl_ntf ntf;

	msg_start(&r, &b, DIBS_CMD_DEV_CHANGE_NTF);
	msg_dev(&r, 3, "lo");
	fuzz_one(p_ntf, r.nlh, &ntf, 3000);
	msg_start(&r, &b, DIBS_CMD_DMB_ADD_NTF);
	msg_dmb(&r, 77, 3);
	fuzz_one(p_ntf, r.nlh, &ntf, 3000);
	msg_start(&r, &b, DIBS_CMD_CLIENT_ADD_NTF);
	dibsnl_req_u32(&r, DIBS_A_CLIENT_ID, 2);
	dibsnl_req_str(&r, DIBS_A_CLIENT_NAME, "smc-d");
	put_client_dev(&r, 1, 10);
	put_client_dev(&r, 4, 2);
	fuzz_one(p_ntf, r.nlh, &ntf, 3000);
}

const struct tcase parse_tests[] = {
	TCASE(parse_dev_good),
	TCASE(parse_dev_minimal),
	TCASE(parse_dev_unknown_attrs),
	TCASE(parse_dev_wrong_lengths),
	TCASE(parse_dev_stats_bad),
	TCASE(parse_dev_long_strings),
	TCASE(parse_truncated),
	TCASE(parse_dmb_good),
	TCASE(parse_dmb_bad),
	TCASE(parse_dmb_data_reply),
	TCASE(parse_client_good),
	TCASE(parse_client_many_devs),
	TCASE(parse_client_bad),
	TCASE(parse_event_good),
	TCASE(parse_signal_good),
	TCASE(parse_ntf_kinds),
	TCASE(parse_family_reply),
	TCASE(parse_fuzz),
	TCASE_END
};
