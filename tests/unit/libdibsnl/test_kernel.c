// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Against the running kernel's nlctrl: the socket, acks, extack and dump
 * handling of the library are real even where the dibs family is not.
 * Where the dibs family is registered (the test VM), the open case checks
 * success instead.
 */
#include <errno.h>
#include <string.h>

#include "tests.h"

static struct dibsnl *ctrl_handle(void)
{
	struct dibsnl *h = dibsnl_alloc();
	int err;

	if (!h) {
		tap_fail(__FILE__, __LINE__, "out of memory");
		return NULL;
	}
	err = dibsnl_open_socket(h);
	if (err) {
		tap_diag("no generic netlink socket: %s", strerror(-err));
		tap_skip("no generic netlink here");
		dibsnl_free(h);
		return NULL;
	}
	return h;
}

static void kernel_open_without_family(void)
{
	struct dibsnl *h = (struct dibsnl *)&h;
	int err;

	err = dibsnl_open(&h);
	if (!err) {
		CHECK(h != NULL);
		CHECK(dibsnl_fd(h) >= 0);
		dibsnl_close(h);
		tap_skip("the dibs family is registered here");
		return;
	}
	if (err == -EPROTONOSUPPORT || err == -EACCES || err == -EPERM) {
		tap_skip("no generic netlink here");
		return;
	}
	CHECK_EQ(err, -ENOENT);
	CHECK(h == NULL);
}

static void kernel_resolve_nlctrl(void)
{
	struct dibsnl_family_info fi;
	struct dibsnl *h = ctrl_handle();

	if (!h)
		return;
	CHECK(h->portid != 0);
	CHECK(dibsnl_fd(h) >= 0);
	CHECK_EQ(dibsnl_resolve_family(h, "nlctrl", &fi), 0);
	CHECK_EQ(fi.id, GENL_ID_CTRL);
	CHECK(fi.version >= 1);
	CHECK_STR(dibsnl_errmsg(h), "");
	/* twice: the sequence moves on, the socket stays in step */
	CHECK_EQ(dibsnl_resolve_family(h, "nlctrl", &fi), 0);
	CHECK_EQ(h->seq, 2);
	dibsnl_free(h);
}

static void kernel_resolve_missing(void)
{
	struct dibsnl_family_info fi;
	struct dibsnl *h = ctrl_handle();

	if (!h)
		return;
	CHECK_EQ(dibsnl_resolve_family(h, "dibs-nosuchfam", &fi),
		 -ENOENT);
	tap_diag("extack: \"%s\"", dibsnl_errmsg(h));
	/* and the handle still works */
	CHECK_EQ(dibsnl_resolve_family(h, "nlctrl", &fi), 0);
	CHECK_STR(dibsnl_errmsg(h), "");
	dibsnl_free(h);
}

/* A policy violation: the kernel refuses it with an extack message. */
static void kernel_extack(void)
{
	char name[64];
	struct dibsnl *h = ctrl_handle();
	struct dibsnl_req r;
	int err;

	if (!h)
		return;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	dibsnl_req_init(&r, h->tx, DIBSNL_TX_SIZE, GENL_ID_CTRL,
			CTRL_CMD_GETFAMILY, 1, 0);
	dibsnl_req_str(&r, CTRL_ATTR_FAMILY_NAME, name);
	err = dibsnl_transact(h, &r, NULL, NULL);
	CHECK(err == -ERANGE || err == -EINVAL);
	tap_diag("error %d, extack: \"%s\"", err, dibsnl_errmsg(h));
	CHECK(dibsnl_errmsg(h)[0] != '\0');

	/* a family id of one byte instead of two */
	dibsnl_req_init(&r, h->tx, DIBSNL_TX_SIZE, GENL_ID_CTRL,
			CTRL_CMD_GETFAMILY, 1, 0);
	dibsnl_req_u8(&r, CTRL_ATTR_FAMILY_ID, 1);
	err = dibsnl_transact(h, &r, NULL, NULL);
	CHECK(err == -ERANGE || err == -EINVAL);
	tap_diag("error %d, extack: \"%s\"", err, dibsnl_errmsg(h));
	dibsnl_free(h);
}

struct count {
	unsigned int n;
	unsigned int stop_at;
	bool ctrl_seen;
};

static int count_family(const struct nlmsghdr *nlh, void *arg)
{
	struct dibsnl_family_info fi;
	struct count *c = arg;
	int err;

	err = dibsnl_parse_family(nlh, &fi);
	if (err)
		return err;
	if (fi.id == GENL_ID_CTRL)
		c->ctrl_seen = true;
	if (++c->n == c->stop_at)
		return -ECANCELED;
	return 0;
}

static void kernel_dump(void)
{
	struct count all = { 0 }, some = { .stop_at = 1 };
	struct dibsnl_family_info fi;
	struct dibsnl *h = ctrl_handle();
	struct dibsnl_req r;

	if (!h)
		return;
	dibsnl_req_init(&r, h->tx, DIBSNL_TX_SIZE, GENL_ID_CTRL,
			CTRL_CMD_GETFAMILY, 1, NLM_F_DUMP);
	CHECK_EQ(dibsnl_transact(h, &r, count_family, &all), 0);
	tap_diag("%u families", all.n);
	CHECK(all.n >= 1);
	CHECK(all.ctrl_seen);

	/* stop at the first: the rest is drained, the next call works */
	dibsnl_req_init(&r, h->tx, DIBSNL_TX_SIZE, GENL_ID_CTRL,
			CTRL_CMD_GETFAMILY, 1, NLM_F_DUMP);
	CHECK_EQ(dibsnl_transact(h, &r, count_family, &some), -ECANCELED);
	CHECK_EQ(some.n, 1);
	CHECK_EQ(dibsnl_resolve_family(h, "nlctrl", &fi), 0);
	CHECK_EQ(fi.id, GENL_ID_CTRL);
	dibsnl_free(h);
}

const struct tcase kernel_tests[] = {
	TCASE(kernel_open_without_family),
	TCASE(kernel_resolve_nlctrl),
	TCASE(kernel_resolve_missing),
	TCASE(kernel_extack),
	TCASE(kernel_dump),
	TCASE_END
};
