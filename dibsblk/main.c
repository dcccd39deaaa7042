// SPDX-License-Identifier: GPL-2.0
/*
 * dibs-blk: a block device over dibs. "dibs-blk server" exports a file or
 * block device; "dibs-blk client" shows it as /dev/nbdN. See dibs-blk(8).
 */
#include <stdio.h>
#include <string.h>

#include "dibsblk.h"

int main(int argc, char **argv)
{
	/* argv[0] of the command is what getopt names in its errors */
	if (argc >= 2 && !strcmp(argv[1], "server")) {
		prog = "dibs-blk server";
		argv[1] = (char *)prog;
		return server_main(argc - 1, argv + 1);
	}
	if (argc >= 2 && !strcmp(argv[1], "client")) {
		prog = "dibs-blk client";
		argv[1] = (char *)prog;
		return client_main(argc - 1, argv + 1);
	}
	if (argc >= 2 && (!strcmp(argv[1], "-V") ||
			  !strcmp(argv[1], "--version"))) {
		printf("dibs-blk %s\n", DIBS_VERSION);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "help") ||
			  !strcmp(argv[1], "--help"))) {
		printf("usage: dibs-blk server|client [OPTION]...\n");
		return 0;
	}
	fprintf(stderr, "usage: dibs-blk server|client [OPTION]... (%s)\n",
		argc < 2 ? "missing command" : "unknown command");
	return 2;
}
