// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The message helpers: request building bounds, the attribute walk and
 * policy checks, bounded string copies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

enum {
	T_U8 = 1, T_U16, T_U32, T_U64, T_STR, T_GID, T_FLAG, T_NEST, T_BYTES,
	T_MAX = T_BYTES
};

static const struct dibsnl_policy test_policy[T_MAX + 1] = {
	[T_U8]		= { .kind = DIBSNL_ATTR_U8 },
	[T_U16]		= { .kind = DIBSNL_ATTR_U16 },
	[T_U32]		= { .kind = DIBSNL_ATTR_U32 },
	[T_U64]		= { .kind = DIBSNL_ATTR_U64 },
	[T_STR]		= { .kind = DIBSNL_ATTR_STRING },
	[T_GID]		= { .kind = DIBSNL_ATTR_BINARY, .len = 16 },
	[T_FLAG]	= { .kind = DIBSNL_ATTR_FLAG },
	[T_NEST]	= { .kind = DIBSNL_ATTR_NEST },
	[T_BYTES]	= { .kind = DIBSNL_ATTR_BYTES },
};

/* Parse raw attribute bytes copied into a buffer of exactly @len bytes. */
static int parse_raw(const void *attrs, size_t len,
		     const struct nlattr **tb)
{
	void *copy = calloc(1, len ? len : 1);
	int err;

	memcpy(copy, attrs, len);
	err = dibsnl_attr_parse(copy, len, test_policy, T_MAX, tb);
	free(copy);
	return err;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* One attribute header and @plen payload bytes of 0xab, padded. */
static size_t raw_attr(uint8_t *p, uint16_t type, uint16_t plen)
{
	put16(p, 4 + plen);
	put16(p + 2, type);
	memset(p + 4, 0xab, plen);
	memset(p + 4 + plen, 0, MNL_ALIGN(plen) - plen);
	return 4 + MNL_ALIGN(plen);
}

static void attr_exact_lengths(void)
{
	static const struct {
		uint16_t type, good;
	} t[] = {
		{ T_U8, 1 }, { T_U16, 2 }, { T_U32, 4 }, { T_U64, 8 },
		{ T_GID, 16 }, { T_FLAG, 0 },
	};
	const struct nlattr *tb[T_MAX + 1];
	uint8_t buf[64] __attribute__((aligned(8)));
	unsigned int i;
	int plen;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		for (plen = 0; plen <= 20; plen++) {
			size_t n = raw_attr(buf, t[i].type, plen);
			int err = parse_raw(buf, n, tb);

			if (plen == t[i].good && err)
				tap_fail(__FILE__, __LINE__,
					 "type %u len %d refused", t[i].type,
					 plen);
			if (plen != t[i].good && err != -EINVAL)
				tap_fail(__FILE__, __LINE__,
					 "type %u len %d accepted", t[i].type,
					 plen);
		}
	}
}

static void attr_any_lengths(void)
{
	const struct nlattr *tb[T_MAX + 1];
	uint8_t buf[64] __attribute__((aligned(8)));
	int plen;

	for (plen = 0; plen <= 20; plen++) {
		CHECK_EQ(parse_raw(buf, raw_attr(buf, T_STR, plen), tb), 0);
		CHECK(tb[T_STR] != NULL);
		CHECK_EQ(parse_raw(buf, raw_attr(buf, T_BYTES, plen), tb), 0);
		CHECK(tb[T_BYTES] != NULL);
	}
}

static void attr_unknown_ignored(void)
{
	const struct nlattr *tb[T_MAX + 1];
	uint8_t buf[128] __attribute__((aligned(8)));
	size_t n = 0;

	n += raw_attr(buf + n, T_MAX + 1, 3);	/* beyond the policy */
	n += raw_attr(buf + n, 0, 5);		/* type 0: no kind */
	n += raw_attr(buf + n, 999, 0);
	n += raw_attr(buf + n, T_U32, 4);
	n += raw_attr(buf + n, T_MAX + 7, 9);
	CHECK_EQ(parse_raw(buf, n, tb), 0);
	CHECK(tb[T_U32] != NULL);
	CHECK(tb[0] == NULL);
}

static void attr_framing(void)
{
	const struct nlattr *tb[T_MAX + 1];
	uint8_t buf[64] __attribute__((aligned(8)));
	size_t n;

	memset(buf, 0, sizeof(buf));
	/* nothing at all is fine */
	CHECK_EQ(parse_raw(buf, 0, tb), 0);

	/* 1..3 stray bytes after the last attribute */
	n = raw_attr(buf, T_U32, 4);
	CHECK_EQ(parse_raw(buf, n + 1, tb), -EINVAL);
	CHECK_EQ(parse_raw(buf, n + 3, tb), -EINVAL);
	CHECK_EQ(parse_raw(buf, 3, tb), -EINVAL);

	/* an attribute longer than what is left */
	n = raw_attr(buf, T_U32, 4);
	put16(buf, 9);
	CHECK_EQ(parse_raw(buf, n, tb), -EINVAL);
	put16(buf, 200);
	CHECK_EQ(parse_raw(buf, n, tb), -EINVAL);

	/* nla_len below the header size */
	n = raw_attr(buf, T_U32, 4);
	put16(buf, 3);
	CHECK_EQ(parse_raw(buf, n, tb), -EINVAL);
	put16(buf, 0);
	CHECK_EQ(parse_raw(buf, n, tb), -EINVAL);

	/* the last attribute without its padding is accepted */
	n = raw_attr(buf, T_STR, 3);
	CHECK_EQ(parse_raw(buf, n - 1, tb), 0);
	CHECK(tb[T_STR] != NULL);
	/* but not one cut into its payload */
	CHECK_EQ(parse_raw(buf, n - 2, tb), -EINVAL);
}

static void attr_last_wins(void)
{
	const struct nlattr *tb[T_MAX + 1];
	uint8_t buf[64] __attribute__((aligned(8)));
	uint32_t a = 1, b = 2;
	size_t n = 0;

	n += raw_attr(buf + n, T_U32, 4);
	memcpy(buf + 4, &a, 4);
	n += raw_attr(buf + n, T_U32, 4);
	memcpy(buf + 12, &b, 4);
	CHECK_EQ(dibsnl_attr_parse(buf, n, test_policy, T_MAX, tb), 0);
	CHECK_EQ(mnl_attr_get_u32(tb[T_U32]), 2);
}

static const struct nlattr *str_attr(uint8_t *buf, const char *s,
				     size_t len)
{
	put16(buf, 4 + len);
	put16(buf + 2, T_STR);
	memcpy(buf + 4, s, len);
	return (const struct nlattr *)buf;
}

static void attr_strcpy_bounds(void)
{
	uint8_t buf[64] __attribute__((aligned(8)));
	char dst[8];

	/* with its NUL */
	memset(dst, 'x', sizeof(dst));
	dibsnl_attr_strcpy(dst, sizeof(dst), str_attr(buf, "abc", 4));
	CHECK_STR(dst, "abc");
	/* without a NUL */
	memset(dst, 'x', sizeof(dst));
	dibsnl_attr_strcpy(dst, sizeof(dst), str_attr(buf, "abc", 3));
	CHECK_STR(dst, "abc");
	/* too long: truncated, terminated */
	memset(dst, 'x', sizeof(dst));
	dibsnl_attr_strcpy(dst, sizeof(dst),
			   str_attr(buf, "0123456789abcdef", 16));
	CHECK_STR(dst, "0123456");
	/* exactly fits */
	dibsnl_attr_strcpy(dst, sizeof(dst), str_attr(buf, "0123456", 8));
	CHECK_STR(dst, "0123456");
	/* empty payload */
	dibsnl_attr_strcpy(dst, sizeof(dst), str_attr(buf, "", 0));
	CHECK_STR(dst, "");
	/* an inner NUL ends it */
	dibsnl_attr_strcpy(dst, sizeof(dst), str_attr(buf, "ab\0cd", 6));
	CHECK_STR(dst, "ab");
	/* absent: left alone */
	snprintf(dst, sizeof(dst), "keep");
	dibsnl_attr_strcpy(dst, sizeof(dst), NULL);
	CHECK_STR(dst, "keep");
}

static void req_overflow(void)
{
	uint8_t buf[64] __attribute__((aligned(8)));
	struct dibsnl_req r;
	uint8_t big[100] = { 0 };
	uint32_t len;

	dibsnl_req_init(&r, buf, sizeof(buf), FAKE_FAMILY, 1, 1, 0);
	CHECK_EQ(r.nlh->nlmsg_len, 20);
	dibsnl_req_put(&r, 1, big, 36);		/* 20 + 40 = 60 */
	CHECK(!r.overflow);
	len = r.nlh->nlmsg_len;
	CHECK_EQ(len, 60);
	dibsnl_req_put(&r, 2, big, 1);		/* needs 8 */
	CHECK(r.overflow);
	CHECK_EQ(r.nlh->nlmsg_len, len);
	/* once overflowed, nothing more is added even if it would fit */
	dibsnl_req_flag(&r, 3);
	CHECK_EQ(r.nlh->nlmsg_len, len);

	/* padding counts: 3 payload bytes need 8 */
	dibsnl_req_init(&r, buf, 27, FAKE_FAMILY, 1, 1, 0);
	dibsnl_req_put(&r, 1, big, 3);
	CHECK(r.overflow);
	dibsnl_req_init(&r, buf, 28, FAKE_FAMILY, 1, 1, 0);
	dibsnl_req_put(&r, 1, big, 3);
	CHECK(!r.overflow);
}

static void req_attr_too_big(void)
{
	struct dibsnl_req r;
	struct msgbuf *b = malloc(sizeof(*b) * 2);
	void *big = calloc(1, 70000);

	dibsnl_req_init(&r, b, sizeof(*b) * 2, FAKE_FAMILY, 1, 1, 0);
	/* the largest payload a 16-bit nla_len can carry */
	dibsnl_req_put(&r, 1, big, 65535 - 4);
	CHECK(!r.overflow);
	dibsnl_req_init(&r, b, sizeof(*b) * 2, FAKE_FAMILY, 1, 1, 0);
	dibsnl_req_put(&r, 1, big, 65535 - 3);
	CHECK(r.overflow);
	free(big);
	free(b);
}

static void req_dev_ref(void)
{
	struct fake f;
	struct dibsnl *h = fake_handle(&f);
	struct dibsnl_req r;
	const struct nlattr *tb[DIBS_A_DEV_MAX + 1];
	static const struct dibsnl_policy pol[DIBS_A_DEV_MAX + 1] = {
		[DIBS_A_DEV_INDEX] = { .kind = DIBSNL_ATTR_U32 },
		[DIBS_A_DEV_NAME] = { .kind = DIBSNL_ATTR_STRING },
	};

	dibsnl_req_start(h, &r, DIBS_CMD_DEV_GET, 0);
	CHECK_EQ(dibsnl_req_dev(h, &r, (struct dibsnl_dev_ref){ 5, "x" },
				DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME), 0);
	CHECK_EQ(dibsnl_genl_parse(r.nlh, pol, DIBS_A_DEV_MAX, tb), 0);
	CHECK_EQ(dibsnl_attr_u32(tb[DIBS_A_DEV_INDEX], 0), 5);
	CHECK(!tb[DIBS_A_DEV_NAME]);

	dibsnl_req_start(h, &r, DIBS_CMD_DEV_GET, 0);
	CHECK_EQ(dibsnl_req_dev(h, &r, (struct dibsnl_dev_ref){ 0, "lo" },
				DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME), 0);
	CHECK_EQ(dibsnl_genl_parse(r.nlh, pol, DIBS_A_DEV_MAX, tb), 0);
	CHECK(!tb[DIBS_A_DEV_INDEX]);
	CHECK(tb[DIBS_A_DEV_NAME] &&
	      mnl_attr_get_payload_len(tb[DIBS_A_DEV_NAME]) == 3 &&
	      !memcmp(mnl_attr_get_payload(tb[DIBS_A_DEV_NAME]), "lo", 3));

	dibsnl_req_start(h, &r, DIBS_CMD_DEV_GET, 0);
	CHECK_EQ(dibsnl_req_dev(h, &r, (struct dibsnl_dev_ref){ 0, NULL },
				DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME), -EINVAL);
	CHECK(dibsnl_errmsg(h)[0] != '\0');
	CHECK_EQ(dibsnl_req_dev(h, &r, (struct dibsnl_dev_ref){ 0, "" },
				DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME), -EINVAL);
	/* 15 characters fit, 16 do not */
	CHECK_EQ(dibsnl_req_dev(h, &r,
				(struct dibsnl_dev_ref){ 0, "abcdefghijklmno" },
				DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME), 0);
	CHECK_EQ(dibsnl_req_dev(h, &r,
				(struct dibsnl_dev_ref){ 0,
							 "abcdefghijklmnop" },
				DIBS_A_DEV_INDEX, DIBS_A_DEV_NAME), -EINVAL);
	fake_close(h, &f);
}

const struct tcase msg_tests[] = {
	TCASE(attr_exact_lengths),
	TCASE(attr_any_lengths),
	TCASE(attr_unknown_ignored),
	TCASE(attr_framing),
	TCASE(attr_last_wins),
	TCASE(attr_strcpy_bounds),
	TCASE(req_overflow),
	TCASE(req_attr_too_big),
	TCASE(req_dev_ref),
	TCASE_END
};
