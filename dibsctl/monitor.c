// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl monitor: print notifications of the dibs family as they come.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "dibsctl.h"

enum {
	M_DEV = 1 << 0,
	M_DMB = 1 << 1,
	M_CLIENT = 1 << 2,
	M_EVENT = 1 << 3,
	M_SIGNAL = 1 << 4,
	M_ALL = M_DEV | M_DMB | M_CLIENT | M_EVENT | M_SIGNAL,
	M_MGMT = M_DEV | M_DMB | M_CLIENT | M_EVENT,
};

static const struct kw mon_kws[] = {
	{ "all", 0, M_ALL },
	{ "dev", KW_PREFERRED, M_DEV },
	{ "dmb", 0, M_DMB },
	{ "client", 0, M_CLIENT },
	{ "event", 0, M_EVENT },
	{ "signal", 0, M_SIGNAL },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

#define DIBS_EV_SW	2	/* DIBS_EVENT_SW: dibsctl has no uapi header */

struct mon {
	struct dctl *d;
	unsigned int mask;
	struct devarg dev;	/* "dev DEV": only what names it */
};

static const char *event_type_str(uint32_t type, char *buf, size_t len)
{
	static const char *const names[] = { "buf", "dev", "sw", "other" };

	if (type < ARRAY_SIZE(names))
		return names[type];
	snprintf(buf, len, "%u", type);
	return buf;
}

/* A sw event's subtype is the sender's code: a number, never a name. */
static const char *event_subtype_str(uint32_t type, uint32_t sub, char *buf,
				     size_t len)
{
	static const char *const names[] = {
		"unregistered", "disabled", "err-state", "other",
	};

	if (type != DIBS_EV_SW && sub < ARRAY_SIZE(names))
		return names[sub];
	snprintf(buf, len, "%u", sub);
	return buf;
}

static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	char zone[8] = "";
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf + n, len - n, ".%06ld%s", ts.tv_nsec / 1000, zone);
}

/* The device an event or signal names: its name, or else its index. */
static const char *dev_str(struct dctl *d, uint32_t index, char *buf,
			   size_t len)
{
	const char *name = dev_name_lookup(d, index);

	if (name)
		return name;
	snprintf(buf, len, "%u", index);
	return buf;
}

static void event_print(struct dctl *d, const struct dibsnl_event *e)
{
	char gid[DIBSNL_GID_STR_LEN], tok[19], t[16], st[16], dev[16];
	struct out *o = &d->out;

	dibsnl_gid_format(e->gid, gid);
	out_uint(o, OUT_JSON, "dev-index", NULL, e->dev_index);
	out_str(o, OUT_JSON, "dev", NULL, dev_name_lookup(d, e->dev_index));
	out_str(o, OUT_PLAIN, "dev", NULL,
		dev_str(d, e->dev_index, dev, sizeof(dev)));
	out_str(o, OUT_ANY, "type", NULL,
		event_type_str(e->type, t, sizeof(t)));
	out_str(o, OUT_ANY, "subtype", NULL,
		event_subtype_str(e->type, e->subtype, st, sizeof(st)));
	out_str(o, OUT_ANY, "gid", NULL, gid);
	out_str(o, OUT_ANY, "token", NULL, token_str(e->token, tok));
	out_uint(o, OUT_ANY, "time", NULL, e->time);
	out_uint(o, OUT_ANY, "data", "0x%" PRIx64, e->data);
}

static void signal_print(struct dctl *d, const struct dibsnl_signal *sg)
{
	struct out *o = &d->out;
	char tok[19], dev[16];

	out_uint(o, OUT_JSON, "dev-index", NULL, sg->dev_index);
	out_str(o, OUT_JSON, "dev", NULL, dev_name_lookup(d, sg->dev_index));
	out_str(o, OUT_PLAIN, "dev", NULL,
		dev_str(d, sg->dev_index, dev, sizeof(dev)));
	out_str(o, OUT_ANY, "token", NULL, token_str(sg->token, tok));
	out_uint(o, OUT_ANY, "sba", NULL, sg->sba_idx);
	out_uint(o, OUT_ANY, "mask", "0x%04" PRIx64, sg->mask);
}

/* Is the device of index @index (named @name, or NULL) the filter's? */
static bool mon_dev_is(struct mon *m, uint32_t index, const char *name)
{
	if (!m->dev.arg)
		return true;
	if (m->dev.is_index)
		return index == m->dev.index;
	if (!name)
		name = dev_name_lookup(m->d, index);
	return name && strcmp(name, m->dev.name) == 0;
}

static bool mon_match(struct mon *m, const struct dibsnl_ntf *n,
		      unsigned int bit)
{
	unsigned int i;

	switch (bit) {
	case M_DEV:
		return mon_dev_is(m, n->dev.index, n->dev.name);
	case M_DMB:
		return mon_dev_is(m, n->dmb.dev_index, n->dmb.dev_name);
	case M_EVENT:
		return mon_dev_is(m, n->event.dev_index, NULL);
	case M_SIGNAL:
		return mon_dev_is(m, n->signal.dev_index, NULL);
	}
	/* a client: when the device is among its devices */
	if (!m->dev.arg)
		return true;
	for (i = 0; i < n->client.n_devs; i++)
		if (mon_dev_is(m, n->client.devs[i].dev_index, NULL))
			return true;
	return false;
}

static int mon_cb(const struct dibsnl_ntf *n, void *arg)
{
	static const char *const actions[] = { "add", "del", "change" };
	const char *object, *action = NULL;
	struct mon *m = arg;
	struct dctl *d = m->d;
	struct out *o = &d->out;
	unsigned int bit;
	char ts[64];

	switch (n->kind) {
	case DIBSNL_NTF_DEV_ADD:
	case DIBSNL_NTF_DEV_DEL:
	case DIBSNL_NTF_DEV_CHANGE:
		object = "dev";
		action = actions[n->kind - DIBSNL_NTF_DEV_ADD];
		bit = M_DEV;
		if (n->kind != DIBSNL_NTF_DEV_DEL)
			dev_names_set(d, n->dev.index, n->dev.name);
		break;
	case DIBSNL_NTF_DMB_ADD:
	case DIBSNL_NTF_DMB_DEL:
		object = "dmb";
		action = actions[n->kind - DIBSNL_NTF_DMB_ADD];
		bit = M_DMB;
		break;
	case DIBSNL_NTF_CLIENT_ADD:
	case DIBSNL_NTF_CLIENT_DEL:
		object = "client";
		action = actions[n->kind - DIBSNL_NTF_CLIENT_ADD];
		bit = M_CLIENT;
		break;
	case DIBSNL_NTF_EVENT:
		object = "event";
		bit = M_EVENT;
		break;
	case DIBSNL_NTF_SIGNAL:
		object = "signal";
		bit = M_SIGNAL;
		break;
	default:
		return 0;
	}
	if (!(m->mask & bit) || !mon_match(m, n, bit))
		goto out;

	out_obj_open(o, NULL);
	if (d->timestamp) {
		timestamp(ts, sizeof(ts));
		out_str(o, OUT_JSON, "timestamp", NULL, ts);
		out_plain(o, "[%s]", ts);
	}
	out_str(o, OUT_JSON, "object", NULL, object);
	if (action)
		out_str(o, OUT_JSON, "action", NULL, action);
	out_plain(o, "[%s%s%s]", object, action ? "," : "",
		  action ? action : "");
	switch (bit) {
	case M_DEV:
		dev_fields(d, &n->dev);
		break;
	case M_DMB:
		dmb_fields(d, &n->dmb);
		break;
	case M_CLIENT:
		client_fields(d, &n->client, n->client.devs,
			      n->client.n_devs);
		break;
	case M_EVENT:
		event_print(d, &n->event);
		break;
	case M_SIGNAL:
		signal_print(d, &n->signal);
		break;
	}
	out_obj_close(o);
	out_line_end(o);
	if (fflush(stdout) == EOF || ferror(stdout))
		return -EPIPE;
out:
	if (n->kind == DIBSNL_NTF_DEV_DEL)
		dev_names_del(d, n->dev.index);
	return 0;
}

static int monitor_loop(struct mon *m, struct dibsnl *mh, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = dibsnl_fd(mh), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	int err;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			return EXIT_FAIL;
		}
		if (pfd[1].revents) {
			/*
			 * SIGINT or SIGTERM: take it, so that it is not
			 * delivered when the old mask comes back.
			 */
			if (read(sfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
				pr_warn("signalfd: %s", strerror(errno));
			return EXIT_OK;
		}
		if (!pfd[0].revents)
			continue;
		err = dibsnl_ntf_dispatch(mh, mon_cb, m);
		if (err == -EPIPE) {
			m->d->stdout_gone = true;	/* the reader left */
			return EXIT_OK;
		}
		if (err == -ENOBUFS) {
			pr_warn("events lost: the receive buffer overflowed");
			continue;
		}
		if (err < 0 && err != -EAGAIN && err != -EINTR) {
			pr_err("receiving notifications: %s",
			       dibsnl_errmsg(mh)[0] ? dibsnl_errmsg(mh) :
			       strerror(-err));
			return EXIT_FAIL;
		}
	}
}

/* A keyword in full (after "dev": not a DEV, "help" included). */
static bool mon_object_word(const char *w)
{
	const struct kw *k;

	for (k = mon_kws; k->name; k++)
		if (strcmp(w, k->name) == 0)
			return true;
	return false;
}

static int monitor(struct cmdline *c)
{
	struct mon m = { .d = c->d, .mask = 0 };
	unsigned int prev;
	struct dctl *d = c->d;
	sigset_t set, old;
	struct dibsnl *mh;
	unsigned int groups = 0;
	int id, rc, err, sfd, fl;

	while (c->argc) {
		id = next_kw(c, mon_kws, &rc);
		if (id < 0)
			return rc;
		prev = m.mask;
		m.mask |= id;
		/*
		 * "dev DEV" as in ip monitor: a word after "dev" that is not
		 * an object's full name is the device to watch.
		 */
		if (id != M_DEV || !c->argc || mon_object_word(c->argv[0]))
			continue;
		if (m.dev.arg)
			return dup_err(c, "dev");
		rc = devarg_parse(c, "dev", arg_take(c), &m.dev);
		if (rc)
			return rc;
		m.mask = prev;		/* a filter, not the object */
	}
	if (!m.mask)
		m.mask = M_ALL;
	if (m.mask & M_MGMT)
		groups |= DIBSNL_GROUP_MGMT;
	if (m.mask & M_SIGNAL)
		groups |= DIBSNL_GROUP_SIGNAL;

	/* d->h answers name lookups; mh only listens */
	if (!dctl_nl(d))
		return EXIT_FAIL;
	err = dibsnl_open(&mh);
	if (err)
		return nl_err(d, err);
	err = dibsnl_subscribe(mh, groups);
	if (err == -EPERM && !*dibsnl_errmsg(mh)) {
		/* the groups carry DMB tokens: admins only, where the
		 * kernel can tell (GENL_MCAST_CAP_NET_ADMIN)
		 */
		pr_err("monitoring needs CAP_NET_ADMIN");
		dibsnl_close(mh);
		return EXIT_FAIL;
	}
	if (err) {
		pr_err("subscribing: %s", dibsnl_errmsg(mh)[0] ?
		       dibsnl_errmsg(mh) : strerror(-err));
		dibsnl_close(mh);
		return EXIT_FAIL;
	}
	fl = fcntl(dibsnl_fd(mh), F_GETFL);
	if (fl >= 0)
		fcntl(dibsnl_fd(mh), F_SETFL, fl | O_NONBLOCK);
	dev_names_load(d);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		pr_err("signalfd: %s", strerror(errno));
		rc = EXIT_FAIL;
	} else {
		rc = monitor_loop(&m, mh, sfd);
		close(sfd);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	dibsnl_close(mh);
	return rc;
}

const struct dctl_obj monitor_obj = {
	.name = "monitor",
	.cmds = NULL,
	.fn = monitor,
	.synopsis = "[ all | OBJECT... ] [ dev DEV ]",
	.where =
"where  OBJECT := { dev | dmb | client | event | signal }\n"
"       DEV    := { NAME | INDEX }: only what names that device\n"
"       the OBJECTs choose what to print; none or all: everything\n",
};
