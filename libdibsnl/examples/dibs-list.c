// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dibs-list: print every dibs device, one a line: index, name, gid.
 * An example of libdibsnl; build it against the installed library:
 *
 *	cc -o dibs-list dibs-list.c $(pkg-config --cflags --libs libdibsnl)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <dibsnl.h>

static int print_dev(const struct dibsnl_dev *dev, void *arg)
{
	char gid[DIBSNL_GID_STR_LEN];

	(void)arg;
	dibsnl_gid_format(dev->gid, gid);
	printf("%u %s %s\n", dev->index, dev->name, gid);
	return 0;
}

int main(void)
{
	struct dibsnl *h;
	int err;

	err = dibsnl_open(&h);
	if (err == -ENOENT) {
		fprintf(stderr, "dibs-list: %s\n",
			"dibs netlink family not found (is the dibs module loaded?)");
		return 1;
	}
	if (err) {
		fprintf(stderr, "dibs-list: %s\n", strerror(-err));
		return 1;
	}
	err = dibsnl_dev_dump(h, print_dev, NULL);
	if (err) {
		const char *msg = dibsnl_errmsg(h);

		fprintf(stderr, "dibs-list: %s%s%s\n", strerror(-err),
			*msg ? ": " : "", msg);
	}
	dibsnl_close(h);
	return err ? 1 : 0;
}
