// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Notifications: joining the multicast groups, reading what is queued and
 * parsing each message by its command.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

static const struct dibsnl_policy event_policy[DIBS_A_EVENT_MAX + 1] = {
	[DIBS_A_EVENT_DEV_INDEX]	= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_EVENT_TYPE]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_EVENT_SUBTYPE]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_EVENT_GID]		= DIBSNL_POLICY_GID,
	[DIBS_A_EVENT_TOKEN]		= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_EVENT_TIME]		= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_EVENT_DATA]		= { .kind = DIBSNL_ATTR_U64 },
};

static const struct dibsnl_policy signal_policy[DIBS_A_SIGNAL_MAX + 1] = {
	[DIBS_A_SIGNAL_DEV_INDEX]	= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_SIGNAL_TOKEN]		= { .kind = DIBSNL_ATTR_U64 },
	[DIBS_A_SIGNAL_SBA_IDX]		= { .kind = DIBSNL_ATTR_U32 },
	[DIBS_A_SIGNAL_MASK]		= { .kind = DIBSNL_ATTR_U32 },
};

int dibsnl_parse_event(const struct nlmsghdr *nlh, struct dibsnl_event *out)
{
	const struct nlattr *tb[DIBS_A_EVENT_MAX + 1];
	int err;

	memset(out, 0, sizeof(*out));
	err = dibsnl_genl_parse(nlh, event_policy, DIBS_A_EVENT_MAX, tb);
	if (err)
		return err;
	if (!tb[DIBS_A_EVENT_DEV_INDEX] || !tb[DIBS_A_EVENT_TYPE])
		return -EINVAL;

	out->dev_index = dibsnl_attr_u32(tb[DIBS_A_EVENT_DEV_INDEX], 0);
	out->type = dibsnl_attr_u32(tb[DIBS_A_EVENT_TYPE], 0);
	out->subtype = dibsnl_attr_u32(tb[DIBS_A_EVENT_SUBTYPE], 0);
	dibsnl_attr_memcpy(out->gid, DIBSNL_GID_LEN, tb[DIBS_A_EVENT_GID]);
	out->token = dibsnl_attr_u64(tb[DIBS_A_EVENT_TOKEN], 0);
	out->time = dibsnl_attr_u64(tb[DIBS_A_EVENT_TIME], 0);
	out->data = dibsnl_attr_u64(tb[DIBS_A_EVENT_DATA], 0);
	return 0;
}

int dibsnl_parse_signal(const struct nlmsghdr *nlh,
			struct dibsnl_signal *out)
{
	const struct nlattr *tb[DIBS_A_SIGNAL_MAX + 1];
	int err;

	memset(out, 0, sizeof(*out));
	err = dibsnl_genl_parse(nlh, signal_policy, DIBS_A_SIGNAL_MAX, tb);
	if (err)
		return err;
	if (!tb[DIBS_A_SIGNAL_DEV_INDEX] || !tb[DIBS_A_SIGNAL_TOKEN])
		return -EINVAL;

	out->dev_index = dibsnl_attr_u32(tb[DIBS_A_SIGNAL_DEV_INDEX], 0);
	out->token = dibsnl_attr_u64(tb[DIBS_A_SIGNAL_TOKEN], 0);
	out->sba_idx = dibsnl_attr_u32(tb[DIBS_A_SIGNAL_SBA_IDX], 0);
	out->mask = dibsnl_attr_u32(tb[DIBS_A_SIGNAL_MASK], 0);
	return 0;
}

int dibsnl_parse_ntf(const struct nlmsghdr *nlh, struct dibsnl_ntf *out)
{
	int cmd = dibsnl_genl_cmd(nlh);

	memset(out, 0, sizeof(*out));
	switch (cmd) {
	case DIBS_CMD_DEV_ADD_NTF:
		out->kind = DIBSNL_NTF_DEV_ADD;
		return dibsnl_parse_dev(nlh, &out->dev);
	case DIBS_CMD_DEV_DEL_NTF:
		out->kind = DIBSNL_NTF_DEV_DEL;
		return dibsnl_parse_dev(nlh, &out->dev);
	case DIBS_CMD_DEV_CHANGE_NTF:
		out->kind = DIBSNL_NTF_DEV_CHANGE;
		return dibsnl_parse_dev(nlh, &out->dev);
	case DIBS_CMD_DMB_ADD_NTF:
		out->kind = DIBSNL_NTF_DMB_ADD;
		return dibsnl_parse_dmb(nlh, &out->dmb);
	case DIBS_CMD_DMB_DEL_NTF:
		out->kind = DIBSNL_NTF_DMB_DEL;
		return dibsnl_parse_dmb(nlh, &out->dmb);
	case DIBS_CMD_CLIENT_ADD_NTF:
		out->kind = DIBSNL_NTF_CLIENT_ADD;
		return dibsnl_parse_client(nlh, &out->client);
	case DIBS_CMD_CLIENT_DEL_NTF:
		out->kind = DIBSNL_NTF_CLIENT_DEL;
		return dibsnl_parse_client(nlh, &out->client);
	case DIBS_CMD_EVENT_NTF:
		out->kind = DIBSNL_NTF_EVENT;
		return dibsnl_parse_event(nlh, &out->event);
	case DIBS_CMD_SIGNAL_NTF:
		out->kind = DIBSNL_NTF_SIGNAL;
		return dibsnl_parse_signal(nlh, &out->signal);
	default:
		return cmd < 0 ? cmd : 1;
	}
}

static int join(struct dibsnl *h, unsigned int bit, uint32_t group,
		const char *name)
{
	int err;

	if (h->groups & bit)
		return 0;
	if (!group) {
		dibsnl_set_err(h, "the dibs family has no \"%s\" group", name);
		return -ENOENT;
	}
	err = h->io->join(h, group);
	if (err)
		return err;
	h->groups |= bit;
	return 0;
}

DIBSNL_EXPORT int dibsnl_subscribe(struct dibsnl *h, unsigned int groups)
{
	int err = 0;

	if (!h || groups & ~(DIBSNL_GROUP_MGMT | DIBSNL_GROUP_SIGNAL))
		return -EINVAL;
	dibsnl_clear_err(h);
	if (groups & DIBSNL_GROUP_MGMT)
		err = join(h, DIBSNL_GROUP_MGMT, h->mcgrp_mgmt,
			   DIBS_MCGRP_MGMT);
	if (!err && groups & DIBSNL_GROUP_SIGNAL)
		err = join(h, DIBSNL_GROUP_SIGNAL, h->mcgrp_signal,
			   DIBS_MCGRP_SIGNAL);
	return err;
}

struct ntf_ctx {
	struct dibsnl *h;
	int (*cb)(const struct dibsnl_ntf *ntf, void *arg);
	void *arg;
	int *bad;			/* the first malformed one's error */
	int cb_ret;
};

static int ntf_one(const struct nlmsghdr *nlh, void *data)
{
	struct ntf_ctx *c = data;
	struct dibsnl_ntf ntf;
	int err;

	if (nlh->nlmsg_type != c->h->family)
		return MNL_CB_OK;
	err = dibsnl_parse_ntf(nlh, &ntf);
	if (err < 0) {
		if (!*c->bad) {
			*c->bad = err;
			dibsnl_set_err(c->h, "malformed notification: %d",
				       dibsnl_genl_cmd(nlh));
		}
		return MNL_CB_OK;
	}
	if (err > 0)
		return MNL_CB_OK;
	c->cb_ret = c->cb(&ntf, c->arg);
	return c->cb_ret ? MNL_CB_STOP : MNL_CB_OK;
}

/*
 * Control messages (a late ack of a request this handle gave up) are not
 * notifications: no handler, so mnl_cb_run2() skips them rather than stop
 * at them as its defaults would.
 */
static mnl_cb_t ntf_ctl[NLMSG_MIN_TYPE];

/* The notifications of one datagram; the first error is kept. */
static int dispatch_buf(struct dibsnl *h, int len,
			int (*cb)(const struct dibsnl_ntf *ntf, void *arg),
			void *arg, int *bad)
{
	struct ntf_ctx c = { .h = h, .cb = cb, .arg = arg, .bad = bad };

	/* seq and port 0: notifications carry none to check */
	mnl_cb_run2(h->rx, len, 0, 0, ntf_one, &c, ntf_ctl,
		    MNL_ARRAY_SIZE(ntf_ctl));
	return c.cb_ret;
}

DIBSNL_EXPORT int dibsnl_ntf_dispatch(struct dibsnl *h,
				      int (*cb)(const struct dibsnl_ntf *ntf,
						void *arg),
				      void *arg)
{
	int bad = 0;
	ssize_t n;
	int err;

	if (!h || !cb)
		return -EINVAL;
	dibsnl_clear_err(h);
	for (;;) {
		n = h->io->recv(h, h->rx, DIBSNL_RX_SIZE, true);
		if (n == -EAGAIN)
			return bad;
		if (n == -ENOBUFS) {
			dibsnl_set_err(h, "events lost: socket overrun");
			return n;
		}
		if (n < 0)
			return n;
		err = dispatch_buf(h, n, cb, arg, &bad);
		if (err)
			return err;
		if (bad)
			return bad;
	}
}
