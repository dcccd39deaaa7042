// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl dev: show, add, delete, configure and query devices (and send
 * events from them: event.c).
 */
#include <errno.h>
#include <fcntl.h>
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

void dev_print_plain(struct dctl *d, const struct dibsnl_dev *dev)
{
	const struct dibsnl_dev_stats *s = &dev->stats;
	char gid[DIBSNL_GID_STR_LEN];

	dibsnl_gid_format(dev->gid, gid);
	printf("%u: %s: type %s fabric 0x%04x gid %s dmbs %u/%u state %s\n",
	       dev->index, dev->name, dev->type, dev->fabric_id, gid,
	       dev->dmb_count, dev->max_dmbs, state_str(dev->state));
	if (d->details) {
		printf("    mapped-dmb %s", dev->mapped_dmb ? "yes" : "no");
		if (dev->parent_bus[0] || dev->parent_name[0])
			printf(" parent %s %s",
			       dev->parent_bus[0] ? dev->parent_bus : "-",
			       dev->parent_name[0] ? dev->parent_name : "-");
		if (dev->netns_id >= 0)
			printf(" netns-id %d", dev->netns_id);
		putchar('\n');
	}
	if (d->stats && dev->has_stats) {
		printf("    moves %llu move-bytes %llu signals %llu move-errors %llu\n",
		       (unsigned long long)s->moves,
		       (unsigned long long)s->move_bytes,
		       (unsigned long long)s->signals,
		       (unsigned long long)s->move_errors);
		printf("    dmbs-registered %llu dmbs-unregistered %llu\n",
		       (unsigned long long)s->dmbs_registered,
		       (unsigned long long)s->dmbs_unregistered);
	}
}

void dev_json_fields(struct dctl *d, const struct dibsnl_dev *dev)
{
	const struct dibsnl_dev_stats *s = &dev->stats;
	struct jw *w = &d->jw;
	char gid[DIBSNL_GID_STR_LEN];

	dibsnl_gid_format(dev->gid, gid);
	jw_u64(w, "index", dev->index);
	jw_str(w, "name", dev->name);
	jw_str(w, "type", dev->type);
	jw_u64(w, "fabric_id", dev->fabric_id);
	jw_str(w, "gid", gid);
	jw_str(w, "state", state_str(dev->state));
	jw_u64(w, "max_dmbs", dev->max_dmbs);
	jw_u64(w, "dmb_count", dev->dmb_count);
	jw_bool(w, "mapped_dmb", dev->mapped_dmb);
	jw_str(w, "parent_bus", dev->parent_bus[0] ? dev->parent_bus : NULL);
	jw_str(w, "parent_name",
	       dev->parent_name[0] ? dev->parent_name : NULL);
	if (dev->netns_id >= 0)
		jw_s64(w, "netns_id", dev->netns_id);
	else
		jw_null(w, "netns_id");
	if (!d->stats)
		return;
	if (!dev->has_stats) {
		jw_null(w, "stats");
		return;
	}
	jw_obj_open(w, "stats");
	jw_u64(w, "moves", s->moves);
	jw_u64(w, "move_bytes", s->move_bytes);
	jw_u64(w, "signals", s->signals);
	jw_u64(w, "move_errors", s->move_errors);
	jw_u64(w, "dmbs_registered", s->dmbs_registered);
	jw_u64(w, "dmbs_unregistered", s->dmbs_unregistered);
	jw_obj_close(w);
}

static void dev_show_one(struct dctl *d, const struct dibsnl_dev *dev)
{
	if (!d->json) {
		dev_print_plain(d, dev);
		return;
	}
	jw_obj_open(&d->jw, NULL);
	dev_json_fields(d, dev);
	jw_obj_close(&d->jw);
}

static int dev_show_cb(const struct dibsnl_dev *dev, void *arg)
{
	dev_show_one(arg, dev);
	return 0;
}

/*
 * One DEV argument and nothing else; "dev" may stand before it. Returns
 * EXIT_OK, HELP_DONE or a usage error's status.
 */
static int one_dev(struct cmdline *c, struct devarg *da, bool optional)
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
	if (!da->arg && !optional)
		return usage_err(c, "a DEV is needed");
	return EXIT_OK;
}

static int dev_show(struct cmdline *c)
{
	struct dctl *d = c->d;
	struct dibsnl_dev dev;
	struct devarg da;
	int rc, err;

	rc = one_dev(c, &da, true);
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
	if (d->json)
		jw_arr_open(&d->jw, NULL);
	if (da.arg) {
		dev_show_one(d, &dev);
		err = 0;
	} else {
		err = dibsnl_dev_dump(d->h, dev_show_cb, d);
	}
	if (d->json) {
		jw_arr_close(&d->jw);
		jw_end_line(&d->jw);
	}
	return err ? nl_err(d, err) : EXIT_OK;
}

enum {
	K_TYPE, K_FABRIC, K_GID, K_STATE, K_NETNS, K_REMOTE_GID,
};

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
	uint64_t fabric;

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
			if (req.type)
				return dup_err(c, "type");
			v = arg_value(c, "type");
			if (!v)
				return EXIT_USAGE;
			if (kw_lookup(type_kws, sizeof(*type_kws), v, &hit) !=
			    KW_MATCH)
				return usage_err(c, "unknown device type \"%s\": expected loopback or sim",
						 v);
			req.type = hit->name;
			break;
		case K_FABRIC:
			if (req.has_fabric_id)
				return dup_err(c, "fabric");
			v = arg_value(c, "fabric");
			if (!v)
				return EXIT_USAGE;
			if (parse_number(v, 0xffff, false, &fabric))
				return usage_err(c, "invalid fabric id \"%s\": expected 0 .. 0xffff, decimal or 0x hex",
						 v);
			req.has_fabric_id = true;
			req.fabric_id = (uint16_t)fabric;
			break;
		case K_GID:
			if (req.has_gid)
				return dup_err(c, "gid");
			v = arg_value(c, "gid");
			if (!v)
				return EXIT_USAGE;
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
	if (d->json) {
		jw_obj_open(&d->jw, NULL);
		dev_json_fields(d, &dev);
		jw_obj_close(&d->jw);
		jw_end_line(&d->jw);
	}
	return EXIT_OK;
}

static int dev_del(struct cmdline *c)
{
	struct dctl *d = c->d;
	struct devarg da;
	int rc, err;

	rc = one_dev(c, &da, false);
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

static const struct kw state_kws[] = {
	{ "up", 0, DIBSNL_DEV_UP },
	{ "down", 0, DIBSNL_DEV_DOWN },
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
	const char *netns = NULL, *v, *a;
	enum dibsnl_dev_state state = 0;
	bool has_state = false;
	const struct kw *hit;
	struct dctl *d = c->d;
	struct devarg da;
	int id, rc, err, fd;
	uint32_t pid;

	a = arg_take(c);
	if (!a)
		return usage_err(c, "a DEV is needed");
	if (strcmp(a, "help") == 0)
		return usage_help(c);
	rc = devarg_parse(c, "DEV", a, &da);
	if (rc)
		return rc;
	while (c->argc) {
		id = next_kw(c, set_kws, &rc);
		if (id < 0)
			return rc;
		switch (id) {
		case K_STATE:
			if (has_state)
				return dup_err(c, "state");
			v = arg_value(c, "state");
			if (!v)
				return EXIT_USAGE;
			if (kw_lookup(state_kws, sizeof(*state_kws), v, &hit) !=
			    KW_MATCH)
				return usage_err(c, "invalid state \"%s\": expected up or down",
						 v);
			state = hit->id;
			has_state = true;
			break;
		case K_NETNS:
			if (netns)
				return dup_err(c, "netns");
			netns = arg_value(c, "netns");
			if (!netns)
				return EXIT_USAGE;
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
	const char *a, *v;
	int id, rc, err;

	a = arg_take(c);
	if (!a)
		return usage_err(c, "a DEV is needed");
	if (strcmp(a, "help") == 0)
		return usage_help(c);
	rc = devarg_parse(c, "DEV", a, &da);
	if (rc)
		return rc;
	while (c->argc) {
		id = next_kw(c, query_kws, &rc);
		if (id < 0)
			return rc;
		if (has_rgid)
			return dup_err(c, "remote-gid");
		v = arg_value(c, "remote-gid");
		if (!v)
			return EXIT_USAGE;
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
	if (d->json) {
		jw_obj_open(&d->jw, NULL);
		jw_str(&d->jw, "dev", devarg_str(&da));
		jw_str(&d->jw, "remote_gid", gid);
		jw_bool(&d->jw, "reachable", reachable);
		jw_obj_close(&d->jw);
		jw_end_line(&d->jw);
	} else {
		printf("dev %s remote-gid %s reachable %s\n", devarg_str(&da),
		       gid, reachable ? "yes" : "no");
	}
	return EXIT_OK;
}

static const struct dctl_cmd dev_cmds[] = {
	{ { "show", KW_PREFERRED, 0 }, dev_show, "show [ DEV ]" },
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
"       CODE  := the event's subtype, 0 .. 0xffffffff\n"
"       DATA  := the event's data, 64 bits (default 0)\n"
"       NETNS := { NAME (under /run/netns) | PID }\n",
};
