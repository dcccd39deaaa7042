// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl dev: show, add, delete, configure and query devices (and send
 * events from them: event.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "dibsctl.h"

static const char *state_str(enum dibsnl_dev_state state)
{
	switch (state) {
	case DIBSNL_DEV_UP:
		return "up";
	case DIBSNL_DEV_DOWN:
		return "down";
	}
	return "unknown";
}

void dev_fields(struct dctl *d, const struct dibsnl_dev *dev)
{
	const struct dibsnl_dev_stats *s = &dev->stats;
	unsigned int det = out_details(d);
	struct out *o = &d->out;
	char gid[DIBSNL_GID_STR_LEN];

	dibsnl_gid_format(dev->gid, gid);
	out_uint(o, OUT_ANY | OUT_NOKEY, "index", "%" PRIu64 ":", dev->index);
	out_str(o, OUT_ANY | OUT_NOKEY, "name", "%s:", dev->name);
	out_str(o, OUT_ANY, "type", NULL, dev->type);
	out_uint(o, OUT_ANY, "fabric", "0x%04" PRIx64, dev->fabric_id);
	out_str(o, OUT_ANY, "gid", NULL, gid);
	out_str(o, OUT_ANY, "state", NULL, state_str(dev->state));
	out_uint(o, OUT_ANY, "dmb-count", NULL, dev->dmb_count);
	out_uint(o, OUT_ANY, "max-dmbs", NULL, dev->max_dmbs);
	if (d->details)
		out_line_more(o);
	out_yesno(o, det, "mapped-dmb", dev->mapped_dmb);
	out_str(o, det, "parent-bus", NULL,
		dev->parent_bus[0] ? dev->parent_bus : NULL);
	out_str(o, det, "parent-name", NULL,
		dev->parent_name[0] ? dev->parent_name : NULL);
	if (dev->netns_id >= 0)
		out_int(o, det, "netns-id", NULL, dev->netns_id);
	else
		out_str(o, OUT_JSON, "netns-id", NULL, NULL);
	if (!d->stats)
		return;
	if (!dev->has_stats) {
		out_str(o, OUT_JSON, "stats", NULL, NULL);
		return;
	}
	out_line_more(o);
	out_obj_open(o, "stats");
	out_uint(o, OUT_ANY, "moves", NULL, s->moves);
	out_uint(o, OUT_ANY, "move-bytes", NULL, s->move_bytes);
	out_uint(o, OUT_ANY, "signals", NULL, s->signals);
	out_uint(o, OUT_ANY, "move-errors", NULL, s->move_errors);
	out_line_more(o);
	out_uint(o, OUT_ANY, "dmbs-registered", NULL, s->dmbs_registered);
	out_uint(o, OUT_ANY, "dmbs-unregistered", NULL,
		 s->dmbs_unregistered);
	out_obj_close(o);
}

void dev_print(struct dctl *d, const struct dibsnl_dev *dev)
{
	out_obj_open(&d->out, NULL);
	dev_fields(d, dev);
	out_obj_close(&d->out);
	out_line_end(&d->out);
}

/* What "dev show" and "monitor" filter devices by; has_* say which. */
struct dev_filter {
	const char *type;
	bool has_fabric, has_state;
	uint16_t fabric;
	enum dibsnl_dev_state state;
};

static bool dev_match(const struct dev_filter *f, const struct dibsnl_dev *dev)
{
	if (f->type && strcmp(f->type, dev->type) != 0)
		return false;
	if (f->has_fabric && f->fabric != dev->fabric_id)
		return false;
	if (f->has_state && f->state != dev->state)
		return false;
	return true;
}

struct dev_show_ctx {
	struct dctl *d;
	const struct dev_filter *f;
};

static int dev_show_cb(const struct dibsnl_dev *dev, void *arg)
{
	struct dev_show_ctx *sc = arg;

	if (dev_match(sc->f, dev))
		dev_print(sc->d, dev);
	return 0;
}

static const struct kw state_kws[] = {
	{ "up", 0, DIBSNL_DEV_UP },
	{ "down", 0, DIBSNL_DEV_DOWN },
	{ NULL, 0, 0 },
};

static int arg_fabric(const struct cmdline *c, const char *key,
		      const char *s, uint16_t *fabric)
{
	uint64_t v;

	if (parse_number(s, 0xffff, false, &v))
		return usage_err(c, "invalid %s \"%s\": expected a fabric id 0 .. 0xffff, decimal or 0x hex",
				 key, s);
	*fabric = (uint16_t)v;
	return EXIT_OK;
}

static int arg_state(const struct cmdline *c, const char *s,
		     enum dibsnl_dev_state *state)
{
	const struct kw *hit;

	if (kw_lookup(state_kws, sizeof(*state_kws), s, &hit) != KW_MATCH)
		return usage_err(c, "invalid state \"%s\": expected up or down",
				 s);
	*state = hit->id;
	return EXIT_OK;
}

enum {
	K_TYPE, K_FABRIC, K_GID, K_STATE, K_NETNS, K_REMOTE_GID, K_DEV,
};

/*
 * The filter keywords of "dev show" are matched in full, as "ip link
 * show" does: any other word is the DEV ("dev" before it when a device is
 * named like a keyword).
 */
static const struct kw show_kws[] = {
	{ "dev", 0, K_DEV },
	{ "type", 0, K_TYPE },
	{ "fabric", 0, K_FABRIC },
	{ "state", 0, K_STATE },
	{ NULL, 0, 0 },
};

static int dev_show_parse(struct cmdline *c, struct devarg *da,
			  struct dev_filter *f)
{
	const struct kw *k;
	const char *a, *v;
	int rc;

	da->arg = NULL;
	memset(f, 0, sizeof(*f));
	while (c->argc) {
		a = arg_take(c);
		if (strcmp(a, "help") == 0) {
			usage_help(c);
			return HELP_DONE;
		}
		for (k = show_kws; k->name; k++)
			if (strcmp(a, k->name) == 0)
				break;
		if (!k->name) {
			if (da->arg)
				return usage_err(c, "unexpected argument \"%s\": the DEV is \"%s\"",
						 a, da->arg);
			rc = devarg_parse(c, "DEV", a, da);
			if (rc)
				return rc;
			continue;
		}
		v = arg_value(c, k->name);
		if (!v)
			return EXIT_USAGE;
		switch (k->id) {
		case K_DEV:
			if (da->arg)
				return dup_err(c, "dev");
			rc = devarg_parse(c, "dev", v, da);
			break;
		case K_TYPE:
			if (f->type)
				return dup_err(c, "type");
			rc = EXIT_OK;
			if (!*v || strlen(v) >= sizeof(((struct dibsnl_dev *)0)->type))
				rc = usage_err(c, "invalid type \"%s\": a device type such as loopback or sim, 1 to %zu characters",
					       v, sizeof(((struct dibsnl_dev *)0)->type) - 1);
			f->type = v;
			break;
		case K_FABRIC:
			if (f->has_fabric)
				return dup_err(c, "fabric");
			rc = arg_fabric(c, "fabric", v, &f->fabric);
			f->has_fabric = true;
			break;
		default:
			if (f->has_state)
				return dup_err(c, "state");
			rc = arg_state(c, v, &f->state);
			f->has_state = true;
			break;
		}
		if (rc)
			return rc;
	}
	return EXIT_OK;
}

static int dev_show(struct cmdline *c)
{
	struct dctl *d = c->d;
	struct dev_filter f;
	struct dibsnl_dev dev;
	struct devarg da;
	struct dev_show_ctx sc = { .d = d, .f = &f };
	int rc, err;

	rc = dev_show_parse(c, &da, &f);
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	if (!dctl_nl(d))
		return EXIT_FAIL;
	if (da.arg) {
		rc = devarg_resolve(d, &da);
		if (rc)
			return rc;
		err = dibsnl_dev_get(d->h, da.ref, &dev);
		if (err)
			return nl_dev_err(d, err, &da);
	}
	out_arr_open(&d->out, NULL);
	if (da.arg) {
		dev_show_cb(&dev, &sc);
		err = 0;
	} else {
		err = dibsnl_dev_dump(d->h, dev_show_cb, &sc);
	}
	out_arr_close(&d->out);
	out_line_end(&d->out);
	return err ? nl_err(d, err) : EXIT_OK;
}

static const struct kw add_kws[] = {
	{ "type", 0, K_TYPE },
	{ "fabric", 0, K_FABRIC },
	{ "gid", 0, K_GID },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

static const struct kw type_kws[] = {
	{ "loopback", 0, 0 },
	{ "sim", 0, 1 },
	{ NULL, 0, 0 },
};

static int dev_add(struct cmdline *c)
{
	struct dibsnl_dev_new req = { 0 };
	const struct kw *hit;
	struct dctl *d = c->d;
	struct dibsnl_dev dev;
	const char *name, *v;
	int id, rc, err;

	name = arg_take(c);
	if (!name)
		return usage_err(c, "a NAME for the new device is needed");
	if (strcmp(name, "help") == 0)
		return usage_help(c);
	if (!*name || strlen(name) >= DIBSNL_NAME_MAX)
		return usage_err(c, "invalid device name \"%s\": 1 to %d characters",
				 name, DIBSNL_NAME_MAX - 1);
	if (all_digits(name))
		return usage_err(c, "invalid device name \"%s\": all digits would read as an index",
				 name);
	req.name = name;
	while (c->argc) {
		id = next_kw(c, add_kws, &rc);
		if (id < 0)
			return rc;
		switch (id) {
		case K_TYPE:
			rc = arg_once(c, "type", req.type, &v);
			if (rc)
				return rc;
			if (kw_lookup(type_kws, sizeof(*type_kws), v, &hit) !=
			    KW_MATCH)
				return usage_err(c, "unknown device type \"%s\": expected loopback or sim",
						 v);
			req.type = hit->name;
			break;
		case K_FABRIC:
			rc = arg_once(c, "fabric", req.has_fabric_id, &v);
			if (rc)
				return rc;
			rc = arg_fabric(c, "fabric", v, &req.fabric_id);
			if (rc)
				return rc;
			req.has_fabric_id = true;
			break;
		case K_GID:
			rc = arg_once(c, "gid", req.has_gid, &v);
			if (rc)
				return rc;
			rc = arg_gid(c, "gid", v, req.gid);
			if (rc)
				return rc;
			req.has_gid = true;
			break;
		}
	}
	if (!req.type)
		return usage_err(c, "\"type\" is needed");
	if (!dctl_nl(d))
		return EXIT_FAIL;
	err = dibsnl_dev_new(d->h, &req, &dev);
	if (err)
		return nl_err(d, err);
	/* -echo: what the kernel made, as "dev show" prints it */
	if (d->echo)
		dev_print(d, &dev);
	return EXIT_OK;
}

/* "dev del [ dev ] DEV": EXIT_OK, HELP_DONE or a usage error's status. */
static int one_dev(struct cmdline *c, struct devarg *da)
{
	const char *a;
	int rc;

	da->arg = NULL;
	while (c->argc) {
		a = arg_take(c);
		if (strcmp(a, "help") == 0) {
			usage_help(c);
			return HELP_DONE;
		}
		if (strcmp(a, "dev") == 0 && !da->arg) {
			a = arg_value(c, "dev");
			if (!a)
				return EXIT_USAGE;
		} else if (da->arg) {
			return usage_err(c, "unexpected argument \"%s\"", a);
		}
		rc = devarg_parse(c, "DEV", a, da);
		if (rc)
			return rc;
	}
	if (!da->arg)
		return usage_err(c, "a DEV is needed");
	return EXIT_OK;
}

static int dev_del(struct cmdline *c)
{
	struct dctl *d = c->d;
	struct devarg da;
	int rc, err;

	rc = one_dev(c, &da);
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	if (!dctl_nl(d))
		return EXIT_FAIL;
	rc = devarg_resolve(d, &da);
	if (rc)
		return rc;
	err = dibsnl_dev_del(d->h, da.ref);
	return err ? nl_dev_err(d, err, &da) : EXIT_OK;
}

static const struct kw set_kws[] = {
	{ "state", 0, K_STATE },
	{ "netns", 0, K_NETNS },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

/* Open the target namespace of "netns NETNS": a name or a PID. */
static int netns_target(const char *ns, uint32_t *pid, int *fd)
{
	char path[PATH_MAX];
	uint64_t v;

	*fd = -1;
	*pid = 0;
	if (all_digits(ns)) {
		if (parse_number(ns, UINT32_MAX, false, &v) || !v) {
			pr_err("invalid process id \"%s\"", ns);
			return EXIT_FAIL;
		}
		*pid = (uint32_t)v;
		return EXIT_OK;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		pr_err("cannot open network namespace \"%s\": %s", ns,
		       strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int dev_set(struct cmdline *c)
{
	const char *netns = NULL, *v;
	enum dibsnl_dev_state state = 0;
	bool has_state = false;
	struct dctl *d = c->d;
	struct devarg da;
	int id, rc, err, fd;
	uint32_t pid;

	rc = lead_dev(c, &da);
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	while (c->argc) {
		id = next_kw(c, set_kws, &rc);
		if (id < 0)
			return rc;
		switch (id) {
		case K_STATE:
			rc = arg_once(c, "state", has_state, &v);
			if (rc)
				return rc;
			rc = arg_state(c, v, &state);
			if (rc)
				return rc;
			has_state = true;
			break;
		case K_NETNS:
			rc = arg_once(c, "netns", netns, &netns);
			if (rc)
				return rc;
			if (!*netns || strchr(netns, '/') ||
			    strcmp(netns, ".") == 0 ||
			    strcmp(netns, "..") == 0 ||
			    strlen(netns) > NAME_MAX)
				return usage_err(c, "invalid netns \"%s\": a name under /run/netns or a process id",
						 netns);
			break;
		}
	}
	if (!has_state && !netns)
		return usage_err(c, "\"state\" or \"netns\" is needed");
	if (!dctl_nl(d))
		return EXIT_FAIL;
	rc = devarg_resolve(d, &da);
	if (rc)
		return rc;
	pid = 0;
	fd = -1;
	if (netns) {
		rc = netns_target(netns, &pid, &fd);
		if (rc)
			return rc;
	}
	/* One request: a refused netns move leaves the state as it was. */
	err = dibsnl_dev_set(d->h, da.ref, has_state, state, pid, fd);
	if (fd >= 0)
		close(fd);
	if (err)
		return nl_dev_err(d, err, &da);
	return EXIT_OK;
}

static const struct kw query_kws[] = {
	{ "remote-gid", 0, K_REMOTE_GID },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

static int dev_query(struct cmdline *c)
{
	uint8_t rgid[DIBSNL_GID_LEN];
	struct dctl *d = c->d;
	char gid[DIBSNL_GID_STR_LEN];
	bool has_rgid = false;
	bool reachable = false;
	struct devarg da;
	const char *v;
	int id, rc, err;

	rc = lead_dev(c, &da);
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	while (c->argc) {
		id = next_kw(c, query_kws, &rc);
		if (id < 0)
			return rc;
		rc = arg_once(c, "remote-gid", has_rgid, &v);
		if (rc)
			return rc;
		rc = arg_gid(c, "remote-gid", v, rgid);
		if (rc)
			return rc;
		has_rgid = true;
	}
	if (!has_rgid)
		return usage_err(c, "\"remote-gid\" is needed");
	if (!dctl_nl(d))
		return EXIT_FAIL;
	rc = devarg_resolve(d, &da);
	if (rc)
		return rc;
	err = dibsnl_remote_query(d->h, da.ref, rgid, &reachable);
	if (err)
		return nl_dev_err(d, err, &da);
	dibsnl_gid_format(rgid, gid);
	out_obj_open(&d->out, NULL);
	out_str(&d->out, OUT_ANY, "dev", NULL, devarg_str(&da));
	out_str(&d->out, OUT_ANY, "remote-gid", NULL, gid);
	out_yesno(&d->out, OUT_ANY, "reachable", reachable);
	out_obj_close(&d->out);
	out_line_end(&d->out);
	return EXIT_OK;
}

static const struct dctl_cmd dev_cmds[] = {
	{ { "show", KW_PREFERRED, 0 }, dev_show,
	  "show [ [ dev ] DEV ] [ type TYPE ] [ fabric ID ]\n"
	  "                        [ state { up | down } ]" },
	{ { "add", 0, 0 }, dev_add,
	  "add NAME type { loopback | sim } [ fabric ID ] [ gid GID ]" },
	{ { "del", 0, 0 }, dev_del, "del DEV" },
	{ { "set", 0, 0 }, dev_set,
	  "set DEV { state { up | down } | netns NETNS }" },
	{ { "query", 0, 0 }, dev_query, "query DEV remote-gid GID" },
	{ { "event", 0, 0 }, dev_event,
	  "event DEV remote-gid GID subtype CODE [ data DATA ]" },
	{ { "help", 0, KW_HELP }, NULL, NULL },
	{ { NULL, 0, 0 }, NULL, NULL },
};

const struct dctl_obj dev_obj = {
	.name = "dev",
	.cmds = dev_cmds,
	.default_cmd = "show",
	.where =
"where  DEV   := { NAME | INDEX }\n"
"       ID    := fabric id, 0 .. 0xffff (decimal or 0x hex)\n"
"       GID   := uuid, e.g. 01234567-89ab-cdef-0123-456789abcdef\n"
"       TYPE  := a device type: loopback, sim, ...\n"
"       CODE  := the event's subtype, 0 .. 0xffffffff\n"
"       DATA  := the event's data, 64 bits (default 0)\n"
"       NETNS := { NAME (under /run/netns) | PID }\n",
};
