// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command line. Every refusal is one line that names the argument and
 * says what it must be, so that a unit's journal tells the administrator
 * what to fix.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "server.h"

#define DEFAULT_MAX_PEERS	16
#define DEFAULT_VECTORS		DIBS_IVSHMEM_VECTORS_MIN
#define DEFAULT_DMBS		256
/* QEMU maps the region as a 64-bit BAR; more than this is a typo. */
#define SIZE_MAX_BYTES		(1ULL << 40)
#define SIZE_MIN_BYTES		(1ULL << 16)

#ifndef DIBS_VERSION
#define DIBS_VERSION "0.1.0"
#endif

static const char usage[] =
"Usage: " PROG_NAME " --socket PATH --fabric-id ID --size SIZE [options]\n"
"\n"
"The host side of a dibs_ivshmem fabric: creates the shared region, writes\n"
"its header (uapi/ivshmem-layout.md) and serves QEMU's ivshmem-doorbell\n"
"devices on a UNIX socket.\n"
"\n"
"  -S, --socket PATH         the UNIX socket QEMU's -chardev socket connects to\n"
"  -F, --fabric-id ID        dibs fabric id, 0xff00..0xfffe\n"
"  -s, --size SIZE           region size, a power of two: bytes, or with K, M, G\n"
"  -p, --max-peers N         peer ids 0..N-1 (2..4096, default 16)\n"
"  -n, --vectors N           doorbell vectors per peer (2..64, default 2);\n"
"                            the devices' vectors= must be the same\n"
"  -d, --dmbs-per-peer N     DMB slots per peer (1..65535, default 256)\n"
"  -g, --group GROUP         socket mode 0660 with this group (default 0600)\n"
"  -v, --verbose             log every message sent\n"
"  -h, --help                this text\n"
"  -V, --version             the version\n";

static const struct option long_opts[] = {
	{ "socket",		required_argument, NULL, 'S' },
	{ "fabric-id",		required_argument, NULL, 'F' },
	{ "size",		required_argument, NULL, 's' },
	{ "max-peers",		required_argument, NULL, 'p' },
	{ "vectors",		required_argument, NULL, 'n' },
	{ "dmbs-per-peer",	required_argument, NULL, 'd' },
	{ "group",		required_argument, NULL, 'g' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};
static const char short_opts[] = ":S:F:s:p:n:d:g:vhV";

static int bad(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "%s: invalid %s \"%s\": %s\n", PROG_NAME, opt, arg, why);
	return OPTS_EXIT_FAIL;
}

/* A whole unsigned number, decimal or 0x hex; nothing after it. */
static int parse_uint(const char *arg, unsigned long long max,
		      unsigned long long *val)
{
	char *end;

	if (!*arg || *arg == '-' || *arg == '+' || *arg == ' ')
		return -1;
	errno = 0;
	*val = strtoull(arg, &end, 0);
	if (errno || *end || *val > max)
		return -1;
	return 0;
}

/* A number in @min..@max into @val, or the refusal saying @why. */
static int parse_range(const char *name, const char *arg, unsigned int min,
		       unsigned int max, const char *why, unsigned int *val)
{
	unsigned long long v;

	if (parse_uint(arg, max, &v) || v < min)
		return bad(name, arg, why);
	*val = v;
	return OPTS_RUN;
}

/* Bytes, or with a binary suffix K, M or G; a power of two. */
static int parse_size(const char *arg, uint64_t *size, const char **why)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	*why = "expected a number of bytes, optionally with K, M or G";
	if (!*arg || *arg < '0' || *arg > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		switch (*end) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	*why = "must be 64K..1024G";
	if (v > (SIZE_MAX_BYTES >> shift))
		return -1;
	v <<= shift;
	if (v < SIZE_MIN_BYTES)
		return -1;
	*why = "must be a power of two (QEMU maps the region as a PCI BAR)";
	if (v & (v - 1))
		return -1;
	*size = v;
	return 0;
}

/* The option as the user spelled it, for messages. */
static const char *opt_name(int c)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == c)
			return lo->name;
	return "?";
}

static int parse_one(int c, const char *arg, struct options *o)
{
	const char *why;
	char name[32];

	snprintf(name, sizeof(name), "--%s", opt_name(c));
	switch (c) {
	case 'S':
		if (!*arg)
			return bad(name, arg, "must not be empty");
		if (strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return bad(name, arg, "longer than a UNIX socket path can be (107 bytes)");
		o->socket_path = arg;
		break;
	case 'F':
		return parse_range(name, arg, DIBS_IVSHMEM_FABRIC_MIN,
				   DIBS_IVSHMEM_FABRIC_MAX,
				   "must be 0xff00..0xfffe, the fabric ids SMC reserves for virtual ISM",
				   &o->fabric_id);
	case 's':
		if (parse_size(arg, &o->size, &why))
			return bad(name, arg, why);
		break;
	case 'p':
		return parse_range(name, arg, 2, DIBS_IVSHMEM_PEERS_MAX,
				   "must be 2..4096", &o->max_peers);
	case 'n':
		return parse_range(name, arg, DIBS_IVSHMEM_VECTORS_MIN,
				   DIBS_IVSHMEM_VECTORS_MAX,
				   "must be 2..64 (vector 0 signals DMBs, 1 peer changes)",
				   &o->vectors);
	case 'd':
		return parse_range(name, arg, 1, DIBS_IVSHMEM_DMBS_MAX,
				   "must be 1..65535", &o->dmbs_per_peer);
	case 'g':
		if (!*arg)
			return bad(name, arg, "must not be empty");
		o->group = arg;
		break;
	case 'v':
		o->verbose = true;
		break;
	}
	return OPTS_RUN;
}

int options_parse(int argc, char **argv, struct options *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->max_peers = DEFAULT_MAX_PEERS;
	o->vectors = DEFAULT_VECTORS;
	o->dmbs_per_peer = DEFAULT_DMBS;

	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return OPTS_EXIT_OK;
		case 'V':
			printf("%s %s\n", PROG_NAME, DIBS_VERSION);
			return OPTS_EXIT_OK;
		case ':':
			fprintf(stderr, "%s: option %s needs an argument\n",
				PROG_NAME, argv[optind - 1]);
			return OPTS_EXIT_FAIL;
		case '?':
			if (optopt)
				fprintf(stderr, "%s: unknown option -%c (see --help)\n",
					PROG_NAME, optopt);
			else
				fprintf(stderr, "%s: unknown option %s (see --help)\n",
					PROG_NAME, argv[optind - 1]);
			return OPTS_EXIT_FAIL;
		default:
			rc = parse_one(c, optarg, o);
			if (rc != OPTS_RUN)
				return rc;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\" (see --help)\n",
			PROG_NAME, argv[optind]);
		return OPTS_EXIT_FAIL;
	}
	if (!o->socket_path || !o->fabric_id || !o->size) {
		fprintf(stderr, "%s: missing %s (see --help)\n", PROG_NAME,
			!o->socket_path ? "--socket PATH" :
			!o->fabric_id ? "--fabric-id ID" : "--size SIZE");
		return OPTS_EXIT_FAIL;
	}
	return OPTS_RUN;
}
