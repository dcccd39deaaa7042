// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NLMSG_ERROR and NLMSG_DONE: the error they carry and their extack, in
 * every shape the kernel sends and some it must not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

/*
 * An NLMSG_ERROR for a request of @req_len bytes: capped (header only) or
 * echoing the whole request, with TLVs @msg and/or @miss_type.
 */
static struct nlmsghdr *err_msg(struct msgbuf *b, int error, bool capped,
				size_t req_len, const char *msg,
				int miss_type)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	uint8_t *echo;

	memset(b, 0, sizeof(*b));
	nlh = mnl_nlmsg_put_header(b);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = capped ? NLM_F_CAPPED : 0;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = req_len;
	e->msg.nlmsg_type = FAKE_FAMILY;
	if (!capped && req_len > sizeof(struct nlmsghdr)) {
		echo = mnl_nlmsg_put_extra_header(nlh, req_len -
						  sizeof(struct nlmsghdr));
		memset(echo, 0xee, req_len - sizeof(struct nlmsghdr));
	}
	if (msg || miss_type >= 0)
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	if (miss_type >= 0) {
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, miss_type);
	}
	return nlh;
}

static int ack_copy(const struct nlmsghdr *nlh, size_t len, char *msg,
		    size_t size)
{
	struct nlmsghdr *copy = malloc(len);
	int err;

	memcpy(copy, nlh, len);
	copy->nlmsg_len = len;
	err = dibsnl_parse_ack(copy, msg, size);
	free(copy);
	return err;
}

static void ack_plain(void)
{
	char msg[DIBSNL_ERRMSG_MAX];
	struct nlmsghdr *nlh;
	struct msgbuf b;

	nlh = err_msg(&b, 0, true, 40, NULL, -1);
	snprintf(msg, sizeof(msg), "stale");
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "");

	nlh = err_msg(&b, -ENODEV, true, 40, NULL, -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -ENODEV);
	CHECK_STR(msg, "");

	/* the whole request echoed (no NETLINK_CAP_ACK) */
	nlh = err_msg(&b, -EPERM, false, 64, NULL, -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EPERM);
	CHECK_STR(msg, "");
}

static void ack_extack(void)
{
	char msg[DIBSNL_ERRMSG_MAX];
	struct nlmsghdr *nlh;
	struct msgbuf b;

	nlh = err_msg(&b, -ENODEV, true, 40, "no such device", -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -ENODEV);
	CHECK_STR(msg, "no such device");

	/* after an echoed request, aligned and not */
	nlh = err_msg(&b, -EEXIST, false, 64, "name taken", -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EEXIST);
	CHECK_STR(msg, "name taken");
	nlh = err_msg(&b, -EEXIST, false, 61, "name taken", -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EEXIST);
	CHECK_STR(msg, "name taken");

	/* a warning on success is not an error text */
	nlh = err_msg(&b, 0, true, 40, "just so you know", -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), 0);

	/* only the missing attribute's type */
	nlh = err_msg(&b, -EINVAL, true, 40, NULL, DIBS_A_DMB_TOKEN);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EINVAL);
	CHECK_STR(msg, "missing attribute (type 1)");

	/* both: the message wins */
	nlh = err_msg(&b, -EINVAL, true, 40, "token missing", 1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EINVAL);
	CHECK_STR(msg, "token missing");
}

static void ack_extack_long(void)
{
	char text[1000], msg[DIBSNL_ERRMSG_MAX], tiny[4];
	struct nlmsghdr *nlh;
	struct msgbuf b;

	memset(text, 'e', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	nlh = err_msg(&b, -EINVAL, true, 40, text, -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EINVAL);
	CHECK_EQ(strlen(msg), sizeof(msg) - 1);

	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, tiny, sizeof(tiny)), -EINVAL);
	CHECK_STR(tiny, "eee");
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, NULL, 0), -EINVAL);
}

static void ack_malformed(void)
{
	char msg[DIBSNL_ERRMSG_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct nlmsgerr *e;
	struct msgbuf b;
	size_t cut;
	int err;

	/* too short to hold the error */
	nlh = err_msg(&b, -ENODEV, true, 40, NULL, -1);
	CHECK_EQ(ack_copy(nlh, MNL_NLMSG_HDRLEN, msg, sizeof(msg)), -EPROTO);
	CHECK_EQ(ack_copy(nlh, MNL_NLMSG_HDRLEN + 3, msg, sizeof(msg)),
		 -EPROTO);
	/* the error alone, without the echoed header, is still an error */
	CHECK_EQ(ack_copy(nlh, MNL_NLMSG_HDRLEN + 4, msg, sizeof(msg)),
		 -ENODEV);

	/* not an errno */
	nlh = err_msg(&b, 5, true, 40, NULL, -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EPROTO);
	nlh = err_msg(&b, -100000, true, 40, NULL, -1);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EPROTO);

	/* every cut of an error with extack: the error stays, no overrun */
	nlh = err_msg(&b, -EACCES, false, 52, "writer not granted", 7);
	for (cut = MNL_NLMSG_HDRLEN + 4; cut <= nlh->nlmsg_len; cut++) {
		err = ack_copy(nlh, cut, msg, sizeof(msg));
		if (err != -EACCES)
			tap_fail(__FILE__, __LINE__, "cut %zu: %d", cut, err);
	}

	/* an echoed length beyond the message: no TLVs read */
	nlh = err_msg(&b, -EACCES, false, 52, "writer not granted", -1);
	e = mnl_nlmsg_get_payload(nlh);
	e->msg.nlmsg_len = 60000;
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EACCES);
	CHECK_STR(msg, "");
	e->msg.nlmsg_len = 3;
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EACCES);
	CHECK_STR(msg, "");

	/* a TLV whose length overruns the message: dropped */
	nlh = err_msg(&b, -EACCES, true, 40, "writer not granted", -1);
	a = (struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN +
			      sizeof(struct nlmsgerr));
	a->nla_len = 200;
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EACCES);
	CHECK_STR(msg, "");

	/* the TLV flag without TLVs */
	nlh = err_msg(&b, -EACCES, true, 40, NULL, -1);
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EACCES);
	CHECK_STR(msg, "");

	/* TLVs without the flag are not read */
	nlh = err_msg(&b, -EACCES, true, 40, "writer not granted", -1);
	nlh->nlmsg_flags &= ~NLM_F_ACK_TLVS;
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EACCES);
	CHECK_STR(msg, "");
}

static void ack_done(void)
{
	char msg[DIBSNL_ERRMSG_MAX];
	struct nlmsghdr *nlh;
	struct msgbuf b;
	int *e;

	memset(&b, 0, sizeof(b));
	nlh = mnl_nlmsg_put_header(&b);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	/* no payload at all (very old kernels) */
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), 0);

	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	*e = 0;
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), 0);
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len - 2, msg, sizeof(msg)),
		 -EPROTO);

	/* a dump that failed half way, with its extack */
	*e = -EIO;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "device went away");
	CHECK_EQ(ack_copy(nlh, nlh->nlmsg_len, msg, sizeof(msg)), -EIO);
	CHECK_STR(msg, "device went away");
}

const struct tcase ack_tests[] = {
	TCASE(ack_plain),
	TCASE(ack_extack),
	TCASE(ack_extack_long),
	TCASE(ack_malformed),
	TCASE(ack_done),
	TCASE_END
};
