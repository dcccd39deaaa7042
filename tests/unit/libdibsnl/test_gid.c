// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gid text: parse and format round trip, and what parse refuses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

static void gid_round_trip(void)
{
	static const char *const texts[] = {
		"00000000-0000-0000-0000-000000000000",
		"12345678-9abc-def0-0fed-cba987654321",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
	};
	uint8_t gid[DIBSNL_GID_LEN];
	char text[DIBSNL_GID_STR_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		memset(text, 'x', sizeof(text));
		CHECK_EQ(dibsnl_gid_parse(texts[i], gid), 0);
		dibsnl_gid_format(gid, text);
		CHECK_STR(text, texts[i]);
	}
	CHECK_EQ(dibsnl_gid_parse(texts[1], gid), 0);
	CHECK_EQ(gid[0], 0x12);
	CHECK_EQ(gid[7], 0xf0);
	CHECK_EQ(gid[15], 0x21);
}

static void gid_format_bytes(void)
{
	uint8_t gid[DIBSNL_GID_LEN];
	char text[DIBSNL_GID_STR_LEN];
	unsigned int i;

	for (i = 0; i < DIBSNL_GID_LEN; i++)
		gid[i] = 0xa0 + i;
	dibsnl_gid_format(gid, text);
	CHECK_STR(text, "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
	CHECK_EQ(strlen(text), DIBSNL_GID_STR_LEN - 1);
}

static void gid_parse_upper_case(void)
{
	uint8_t gid[DIBSNL_GID_LEN];
	char text[DIBSNL_GID_STR_LEN];

	CHECK_EQ(dibsnl_gid_parse("A0A1A2A3-A4A5-A6A7-A8A9-AAABACADAEAF",
				  gid), 0);
	dibsnl_gid_format(gid, text);
	CHECK_STR(text, "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
}

static void gid_parse_rejects(void)
{
	static const char *const bad[] = {
		"",
		"zz",
		"12345678-9abc-def0-0fed-cba98765432",		/* short */
		"12345678-9abc-def0-0fed-cba9876543210",	/* long */
		"12345678-9abc-def0-0fed-cba98765432g",		/* not hex */
		"123456789abcdef00fedcba987654321",		/* no dashes */
		"123456789-abc-def0-0fed-cba987654321",		/* misplaced */
		"12345678-9abc-def0-0fed-cba98765432 ",
		" 12345678-9abc-def0-0fed-cba98765432",
		"12345678_9abc_def0_0fed_cba987654321",
	};
	uint8_t gid[DIBSNL_GID_LEN], before[DIBSNL_GID_LEN];
	unsigned int i;
	char *huge;

	memset(gid, 0x5a, sizeof(gid));
	memcpy(before, gid, sizeof(gid));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (dibsnl_gid_parse(bad[i], gid) != -EINVAL)
			tap_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		CHECK(!memcmp(gid, before, sizeof(gid)));
	}

	/* a valid gid followed by 964 more characters */
	huge = malloc(1001);
	memset(huge, 'a', 1000);
	huge[1000] = '\0';
	memcpy(huge, "12345678-9abc-def0-0fed-cba987654321", 36);
	CHECK_EQ(dibsnl_gid_parse(huge, gid), -EINVAL);
	free(huge);

	CHECK_EQ(dibsnl_gid_parse(NULL, gid), -EINVAL);
}

const struct tcase gid_tests[] = {
	TCASE(gid_round_trip),
	TCASE(gid_format_bytes),
	TCASE(gid_parse_upper_case),
	TCASE(gid_parse_rejects),
	TCASE_END
};
