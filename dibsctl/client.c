// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl client: show the clients of the dibs core.
 */
#include <string.h>

#include "dibsctl.h"

/* @devs: all @n_devs devices of the client (cl->devs has the first) */
void client_print_plain(struct dctl *d, const struct dibsnl_client *cl,
			const struct dibsnl_client_dev *devs,
			unsigned int n_devs)
{
	const char *name;
	unsigned int i;

	printf("%u: %s: dmbs %u", cl->id, cl->name, cl->dmb_count);
	for (i = 0; i < n_devs; i++) {
		name = dev_name_lookup(d, devs[i].dev_index);
		printf("%s", i ? "," : " devs ");
		if (name)
			printf("%s:%u", name, devs[i].dmb_count);
		else
			printf("%u:%u", devs[i].dev_index, devs[i].dmb_count);
	}
	putchar('\n');
}

void client_json_fields(struct dctl *d, const struct dibsnl_client *cl,
			const struct dibsnl_client_dev *devs,
			unsigned int n_devs)
{
	struct jw *w = &d->jw;
	unsigned int i;

	jw_u64(w, "id", cl->id);
	jw_str(w, "name", cl->name);
	jw_u64(w, "dmb_count", cl->dmb_count);
	jw_arr_open(w, "devs");
	for (i = 0; i < n_devs; i++) {
		jw_obj_open(w, NULL);
		jw_u64(w, "index", devs[i].dev_index);
		jw_str(w, "name", dev_name_lookup(d, devs[i].dev_index));
		jw_u64(w, "dmb_count", devs[i].dmb_count);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

static int client_show_cb(const struct dibsnl_client *cl,
			  const struct dibsnl_client_dev *devs,
			  unsigned int n_devs, void *arg)
{
	struct dctl *d = arg;

	if (!d->json) {
		client_print_plain(d, cl, devs, n_devs);
		return 0;
	}
	jw_obj_open(&d->jw, NULL);
	client_json_fields(d, cl, devs, n_devs);
	jw_obj_close(&d->jw);
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
	if (d->json)
		jw_arr_open(&d->jw, NULL);
	err = dibsnl_client_dump_devs(d->h, client_show_cb, d);
	if (d->json) {
		jw_arr_close(&d->jw);
		jw_end_line(&d->jw);
	}
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
