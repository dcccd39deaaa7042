// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl client: show the clients of the dibs core.
 */
#include <inttypes.h>
#include <string.h>

#include "dibsctl.h"

/* @devs: all @n_devs devices of the client (cl->devs has the first) */
void client_fields(struct dctl *d, const struct dibsnl_client *cl,
		   const struct dibsnl_client_dev *devs, unsigned int n_devs)
{
	struct out *o = &d->out;
	const char *name;
	unsigned int i;

	out_uint(o, OUT_ANY | OUT_NOKEY, "id", "%" PRIu64 ":", cl->id);
	out_str(o, OUT_ANY | OUT_NOKEY, "name", "%s:", cl->name);
	out_uint(o, OUT_ANY, "dmb-count", NULL, cl->dmb_count);
	/* plain text: "devs lo:1,sim0:2", a device by index if unnamed */
	out_arr_open(o, "devs");
	for (i = 0; i < n_devs; i++) {
		name = dev_name_lookup(d, devs[i].dev_index);
		out_obj_open(o, NULL);
		out_uint(o, OUT_JSON, "index", NULL, devs[i].dev_index);
		out_str(o, OUT_JSON, "name", NULL, name);
		out_uint(o, OUT_JSON, "dmb-count", NULL, devs[i].dmb_count);
		out_obj_close(o);
	}
	out_arr_close(o);
	if (o->json || !n_devs)
		return;
	out_plain(o, "devs ");
	for (i = 0; i < n_devs; i++) {
		name = dev_name_lookup(d, devs[i].dev_index);
		if (i)
			fputc(',', o->f);
		if (name)
			fprintf(o->f, "%s:%u", name, devs[i].dmb_count);
		else
			fprintf(o->f, "%u:%u", devs[i].dev_index,
				devs[i].dmb_count);
	}
}

static int client_show_cb(const struct dibsnl_client *cl,
			  const struct dibsnl_client_dev *devs,
			  unsigned int n_devs, void *arg)
{
	struct dctl *d = arg;

	out_obj_open(&d->out, NULL);
	client_fields(d, cl, devs, n_devs);
	out_obj_close(&d->out);
	out_line_end(&d->out);
	return 0;
}

static int client_show(struct cmdline *c)
{
	struct dctl *d = c->d;
	const char *a;
	int err;

	a = arg_take(c);
	if (a && strcmp(a, "help") == 0)
		return usage_help(c);
	if (a)
		return usage_err(c, "unexpected argument \"%s\"", a);
	if (!dctl_nl(d))
		return EXIT_FAIL;
	dev_names_load(d);
	out_arr_open(&d->out, NULL);
	err = dibsnl_client_dump_devs(d->h, client_show_cb, d);
	out_arr_close(&d->out);
	out_line_end(&d->out);
	return err ? nl_err(d, err) : EXIT_OK;
}

static const struct dctl_cmd client_cmds[] = {
	{ { "show", KW_PREFERRED, 0 }, client_show, "show" },
	{ { "help", 0, KW_HELP }, NULL, NULL },
	{ { NULL, 0, 0 }, NULL, NULL },
};

const struct dctl_obj client_obj = {
	.name = "client",
	.cmds = client_cmds,
	.default_cmd = "show",
};
