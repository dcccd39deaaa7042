// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl: the argument cursor, specific usage errors for bad values,
 * device arguments, and the netlink handle with its error reporting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dibsctl.h"

static void level_name(const struct cmdline *c, char *buf, size_t len)
{
	if (c->cmd)
		snprintf(buf, len, "%s %s", c->obj->name, c->cmd->kw.name);
	else
		snprintf(buf, len, "%s", c->obj->name);
}

/* "Error: ...", then where the grammar is: the level's help command. */
int usage_err(const struct cmdline *c, const char *fmt, ...)
{
	char level[64];
	va_list ap;

	fflush(stdout);
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	level_name(c, level, sizeof(level));
	fprintf(stderr, "try \"dibsctl %s help\"\n", level);
	return EXIT_USAGE;
}

int usage_help(const struct cmdline *c)
{
	usage_print(stdout, c->obj, c->cmd);
	return EXIT_OK;
}

const char *arg_take(struct cmdline *c)
{
	const char *a;

	if (c->argc <= 0)
		return NULL;
	a = c->argv[0];
	c->argc--;
	c->argv++;
	return a;
}

int next_kw(struct cmdline *c, const struct kw *tab, int *status)
{
	const char *word = arg_take(c);
	const struct kw *hit;
	char level[64], cand[256];

	level_name(c, level, sizeof(level));
	switch (kw_lookup(tab, sizeof(*tab), word, &hit)) {
	case KW_MATCH:
		if (hit->id == KW_HELP) {
			*status = usage_help(c);
			return -1;
		}
		c->kw = hit->name;
		return hit->id;
	case KW_AMBIGUOUS:
		kw_candidates(tab, sizeof(*tab), word, cand, sizeof(cand));
		*status = usage_err(c, "ambiguous keyword \"%s\" for \"%s\": %s",
				    word, level, cand);
		return -1;
	default:
		*status = usage_err(c, "unknown keyword \"%s\" for \"%s\"",
				    word ? word : "", level);
		return -1;
	}
}

const char *arg_value(struct cmdline *c, const char *key)
{
	const char *v = arg_take(c);

	if (!v)
		usage_err(c, "\"%s\" needs a value", key);
	return v;
}

int dup_err(const struct cmdline *c, const char *key)
{
	return usage_err(c, "\"%s\" is given twice", key);
}

int arg_once(struct cmdline *c, const char *key, bool seen, const char **v)
{
	if (seen)
		return dup_err(c, key);
	*v = arg_value(c, key);
	return *v ? EXIT_OK : EXIT_USAGE;
}

int arg_gid(const struct cmdline *c, const char *key, const char *s,
	    uint8_t gid[DIBSNL_GID_LEN])
{
	if (dibsnl_gid_parse(s, gid))
		return usage_err(c, "invalid %s \"%s\": expected a uuid like 01234567-89ab-cdef-0123-456789abcdef",
				 key, s);
	return EXIT_OK;
}

int arg_token(const struct cmdline *c, const char *s, uint64_t *token)
{
	switch (parse_token(s, token)) {
	case 0:
		return EXIT_OK;
	case -ERANGE:
		return usage_err(c, "invalid token \"%s\": larger than 64 bits",
				 s);
	default:
		return usage_err(c, "invalid token \"%s\": expected 0x and hex digits, or a decimal number",
				 s);
	}
}

int arg_u32(const struct cmdline *c, const char *key, const char *s,
	    uint32_t max, uint32_t *out)
{
	uint64_t v;

	switch (parse_number(s, max, false, &v)) {
	case 0:
		*out = (uint32_t)v;
		return EXIT_OK;
	case -ERANGE:
		return usage_err(c, "invalid %s \"%s\": at most %u (0x%x)",
				 key, s, max, max);
	default:
		return usage_err(c, "invalid %s \"%s\": expected a decimal or 0x-prefixed hex number",
				 key, s);
	}
}

int devarg_parse(const struct cmdline *c, const char *key, const char *s,
		 struct devarg *da)
{
	uint64_t v;

	memset(da, 0, sizeof(*da));
	da->arg = s;
	if (all_digits(s)) {
		if (parse_number(s, UINT32_MAX, false, &v))
			return usage_err(c, "invalid %s \"%s\": device index larger than 32 bits",
					 key, s);
		da->is_index = true;
		da->index = (uint32_t)v;
		return EXIT_OK;
	}
	if (!*s)
		return usage_err(c, "invalid %s \"\": a device name or index is needed",
				 key);
	if (strlen(s) >= DIBSNL_NAME_MAX)
		return usage_err(c, "invalid %s \"%s\": device names have at most %d characters",
				 key, s, DIBSNL_NAME_MAX - 1);
	snprintf(da->name, sizeof(da->name), "%s", s);
	return EXIT_OK;
}

int lead_dev(struct cmdline *c, struct devarg *da)
{
	const char *a = arg_take(c);

	if (!a)
		return usage_err(c, "a DEV is needed");
	if (strcmp(a, "help") == 0) {
		usage_help(c);
		return HELP_DONE;
	}
	return devarg_parse(c, "DEV", a, da);
}

int devarg_resolve(struct dctl *d, struct devarg *da)
{
	const char *name;

	if (!da->is_index) {
		da->ref.index = 0;
		da->ref.name = da->name;
		return EXIT_OK;
	}
	if (da->index) {
		da->ref.index = da->index;
		da->ref.name = NULL;
		return EXIT_OK;
	}
	/* the API names index 0 by name: find it */
	if (!dctl_nl(d))
		return EXIT_FAIL;
	name = dev_name_lookup(d, 0);
	if (!name) {
		pr_err("no device with index 0");
		return EXIT_FAIL;
	}
	snprintf(da->name, sizeof(da->name), "%s", name);
	da->ref.index = 0;
	da->ref.name = da->name;
	return EXIT_OK;
}

const char *devarg_str(const struct devarg *da)
{
	return da->name[0] ? da->name : da->arg;
}

struct dibsnl *dctl_nl(struct dctl *d)
{
	int err;

	if (d->h)
		return d->h;
	err = dibsnl_open(&d->h);
	if (err == 0)
		return d->h;
	d->h = NULL;
	if (err == -ENOENT)
		pr_err("dibs netlink family not found: is the dibs module loaded?");
	else
		pr_err("cannot open the dibs netlink family: %s",
		       strerror(-err));
	return NULL;
}

int nl_err(struct dctl *d, int err)
{
	const char *msg = d->h ? dibsnl_errmsg(d->h) : NULL;

	if (msg && *msg)
		pr_err("%s", msg);
	else if (err == -EPERM)
		pr_err("%s (CAP_NET_ADMIN is needed)", strerror(-err));
	else
		pr_err("%s", strerror(err < 0 ? -err : err));
	return EXIT_FAIL;
}

/*
 * For ENODEV and ENOENT the kernel's extack says what is missing ("no such
 * dibs device"), not which one: the messages below name it. An extack that
 * says something else (a device deleted meanwhile) is added after it.
 */
static const char *nl_extra(struct dctl *d)
{
	const char *msg = d->h ? dibsnl_errmsg(d->h) : NULL;

	if (!msg || !*msg || strncmp(msg, "no ", 3) == 0)
		return NULL;
	return msg;
}

int nl_dev_err(struct dctl *d, int err, const struct devarg *da)
{
	const char *why;

	if (err != -ENODEV || !da)
		return nl_err(d, err);
	why = nl_extra(d);
	pr_err("no such dibs device \"%s\"%s%s", devarg_str(da),
	       why ? ": " : "", why ? why : "");
	return EXIT_FAIL;
}

int nl_dmb_err(struct dctl *d, int err, const struct devarg *da,
	       uint64_t token, enum dmb_miss miss)
{
	static const char *const fmt[] = {
		[DMB_MISS_DEV] = "no DMB with token %s on dibs device \"%s\"%s%s",
		[DMB_MISS_UCLIENT] = "no DMB granted from userspace with token %s on dibs device \"%s\"%s%s",
		[DMB_MISS_FABRIC] = "no DMB with token %s on the fabric of dibs device \"%s\"%s%s",
	};
	const char *why;
	char tok[19];

	if (err != -ENOENT || !da)
		return nl_dev_err(d, err, da);
	why = nl_extra(d);
	pr_err(fmt[miss], token_str(token, tok), devarg_str(da),
	       why ? ": " : "", why ? why : "");
	return EXIT_FAIL;
}

static int names_cb(const struct dibsnl_dev *dev, void *arg)
{
	dev_names_set(arg, dev->index, dev->name);
	return 0;
}

void dev_names_load(struct dctl *d)
{
	if (d->names_loaded || !d->h)
		return;
	d->names_loaded = true;
	dibsnl_dev_dump(d->h, names_cb, d);
}

const char *dev_name_lookup(struct dctl *d, uint32_t index)
{
	unsigned int i;

	dev_names_load(d);
	for (i = 0; i < d->n_names; i++)
		if (d->names[i].index == index)
			return d->names[i].name;
	return NULL;
}

void dev_names_forget(struct dctl *d)
{
	d->n_names = 0;
	d->names_loaded = false;
}

void dev_names_set(struct dctl *d, uint32_t index, const char *name)
{
	struct dev_name *n;
	unsigned int i;

	for (i = 0; i < d->n_names; i++)
		if (d->names[i].index == index)
			break;
	if (i == d->n_names) {
		n = realloc(d->names, (d->n_names + 1) * sizeof(*n));
		if (!n)
			return;
		d->names = n;
		d->n_names++;
	}
	d->names[i].index = index;
	snprintf(d->names[i].name, sizeof(d->names[i].name), "%s", name);
}

void dev_names_del(struct dctl *d, uint32_t index)
{
	unsigned int i;

	for (i = 0; i < d->n_names; i++) {
		if (d->names[i].index != index)
			continue;
		d->names[i] = d->names[--d->n_names];
		return;
	}
}

const char *token_str(uint64_t token, char buf[19])
{
	snprintf(buf, 19, "0x%016llx", (unsigned long long)token);
	return buf;
}
