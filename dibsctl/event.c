// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl dev event: send a software event (the kernel's signal_event())
 * from a device to a remote gid, as a terminal server or a test does.
 *
 *   dibsctl dev event DEV remote-gid GID subtype CODE [ data DATA ]
 */
#include <errno.h>
#include <string.h>

#include "dibsctl.h"

enum { K_EV_REMOTE_GID, K_EV_SUBTYPE, K_EV_DATA };

static const struct kw event_kws[] = {
	{ "remote-gid", 0, K_EV_REMOTE_GID },
	{ "subtype", 0, K_EV_SUBTYPE },
	{ "data", 0, K_EV_DATA },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

/* The kernel's refusal, with the device and the gid named. */
static int event_err(struct dctl *d, int err, const struct devarg *da,
		     const char *gid)
{
	const char *dev = devarg_str(da);

	switch (err) {
	case -ENETUNREACH:
		pr_err("remote-gid %s is not reachable through dev \"%s\" (no such device on its fabric, or it is down)",
		       gid, dev);
		return EXIT_FAIL;
	case -ENETDOWN:
		pr_err("dev \"%s\" is down: it sends no events", dev);
		return EXIT_FAIL;
	case -ENOBUFS:
		pr_err("remote-gid %s has too many events waiting for delivery: try again later",
		       gid);
		return EXIT_FAIL;
	case -EOPNOTSUPP:
		pr_err("dev \"%s\" cannot send events%s%s", dev,
		       *dibsnl_errmsg(d->h) ? ": " : "", dibsnl_errmsg(d->h));
		return EXIT_FAIL;
	}
	return nl_dev_err(d, err, da);
}

int dev_event(struct cmdline *c)
{
	bool has_rgid = false, has_subtype = false, has_data = false;
	uint8_t rgid[DIBSNL_GID_LEN];
	char gid[DIBSNL_GID_STR_LEN];
	struct dctl *d = c->d;
	uint32_t subtype = 0;
	uint64_t data = 0;
	struct devarg da;
	const char *v;
	int id, rc, err;

	rc = lead_dev(c, &da);
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	while (c->argc) {
		id = next_kw(c, event_kws, &rc);
		if (id < 0)
			return rc;
		switch (id) {
		case K_EV_REMOTE_GID:
			rc = arg_once(c, "remote-gid", has_rgid, &v);
			if (rc)
				return rc;
			rc = arg_gid(c, "remote-gid", v, rgid);
			if (rc)
				return rc;
			has_rgid = true;
			break;
		case K_EV_SUBTYPE:
			rc = arg_once(c, "subtype", has_subtype, &v);
			if (rc)
				return rc;
			rc = arg_u32(c, "subtype", v, UINT32_MAX, &subtype);
			if (rc)
				return rc;
			has_subtype = true;
			break;
		case K_EV_DATA:
			rc = arg_once(c, "data", has_data, &v);
			if (rc)
				return rc;
			switch (parse_number(v, UINT64_MAX, false, &data)) {
			case 0:
				break;
			case -ERANGE:
				return usage_err(c, "invalid data \"%s\": larger than 64 bits",
						 v);
			default:
				return usage_err(c, "invalid data \"%s\": expected a decimal or 0x-prefixed hex number",
						 v);
			}
			has_data = true;
			break;
		}
	}
	if (!has_rgid)
		return usage_err(c, "\"remote-gid\" is needed");
	if (!has_subtype)
		return usage_err(c, "\"subtype\" is needed");
	if (!dctl_nl(d))
		return EXIT_FAIL;
	rc = devarg_resolve(d, &da);
	if (rc)
		return rc;
	err = dibsnl_event_signal(d->h, da.ref, rgid, subtype, data);
	if (err) {
		dibsnl_gid_format(rgid, gid);
		return event_err(d, err, &da, gid);
	}
	return EXIT_OK;
}
