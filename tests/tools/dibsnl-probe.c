// SPDX-License-Identifier: GPL-2.0
/*
 * dibsnl-probe: every op of the "dibs" generic netlink family through
 * libdibsnl, with output in a fixed text format for tests/netlink.bats.
 *
 *   dibsnl-probe COMMAND [ARG...]
 *
 * DEV is a device name, or @N for the device of index N. TOKEN and numbers
 * are in C notation (4096, 0x1000). GID is the uuid text form.
 *
 *   devs                               dump: one dev line per device
 *   dev DEV                            dev-get: one dev line
 *   dev-stats DEV                      the device's statistics
 *   dev-new NAME TYPE [fabric ID] [gid GID]
 *                                      prints the new device's dev line
 *   dev-del DEV
 *   dev-set DEV up|down
 *   query DEV GID                      "reachable" or "unreachable"
 *   event DEV GID SUBTYPE [DATA]       event-signal: a sw event to GID
 *   dmbs [dev DEV] [client NAME]       dump: one dmb line per DMB
 *   dmb DEV TOKEN                      dmb-get: one dmb line
 *   dmb-stats DEV TOKEN                the DMB's statistics
 *   grant DEV RGID LEN [owned] [hold]  prints the new DMB's dmb line; with
 *                                      hold it then waits to be killed
 *   revoke DEV TOKEN
 *   write DEV TOKEN OFFSET STRING [signal IDX] [times N]
 *   fill DEV TOKEN OFFSET LEN SEED [signal IDX]
 *                                      write LEN bytes of a pattern
 *   verify DEV TOKEN OFFSET LEN SEED   read them back and compare: "ok"
 *   read DEV TOKEN OFFSET LEN          the bytes, '.' for unprintable ones
 *   readx DEV TOKEN OFFSET LEN         the bytes in hex
 *   clients                            dump: one client line per client
 *   monitor GROUP... [count N] [timeout MS]
 *                                      GROUP: mgmt, signal; prints "ready"
 *                                      once subscribed, then a line per
 *                                      notification; ends after N of them
 *                                      (exit 0) or at the timeout (exit 3
 *                                      if N were asked for, else 0)
 *   raw CMD [dump] [ATTR:HEX...]       a request built by hand, bypassing
 *                                      the library's checks: attribute
 *                                      ATTR with the bytes HEX as payload
 *   serve                              run commands read from stdin, one a
 *                                      line, arguments separated by tabs;
 *                                      after each, a line "\036RC\tERROR"
 *                                      (RC the exit status, ERROR its error
 *                                      line or empty). Each command has a
 *                                      handle (socket) of its own. Not for
 *                                      monitor nor grant ... hold; "sleep
 *                                      MS" only here. A test then runs
 *                                      many commands without an exec each.
 *
 * Lines:
 *   dev     INDEX NAME TYPE GID FABRIC STATE MAX_DMBS DMB_COUNT MAPPED
 *   dmb     TOKEN DEV_INDEX DEV_NAME CLIENT_ID CLIENT RGID LEN IDX owned|-
 *   client  ID NAME DMB_COUNT [DEV_INDEX:DMB_COUNT...]
 *   notifications: dev-add|dev-del|dev-change followed by a dev line,
 *     dmb-add|dmb-del followed by a dmb line, client-add|client-del
 *     followed by ID NAME, "event DEV_INDEX TYPE SUBTYPE GID TOKEN",
 *     "signal DEV_INDEX TOKEN IDX MASK", "overrun" when some were lost
 *
 * A failed call prints "error ENAME: EXTACK" (EXTACK may be empty) on
 * stderr and exits 1; usage errors exit 2.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/dibs.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <dibsnl.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define EXIT_FAILED	1
#define EXIT_USAGE	2
#define EXIT_TIMEOUT	3

#define SERVE_ARGS_MAX	32
#define SERVE_END	0x1e	/* ends a command's output in serve mode */

static const char *prog = "dibsnl-probe";
/* Where errors go: stderr, or a command's error buffer in serve mode. */
static FILE *errf;
static bool serving;

static int usage(const char *why)
{
	fprintf(errf, "%s: %s (the source's top comment lists the commands)\n",
		prog, why);
	return EXIT_USAGE;
}

/* The one error line the tests parse. */
static int report(int err, const char *msg)
{
	const char *name = strerrorname_np(-err);

	fprintf(errf, "error %s: %s\n", name ? name : "E?", msg ? msg : "");
	return EXIT_FAILED;
}

static int failed(struct dibsnl *h, int err)
{
	return report(err, dibsnl_errmsg(h));
}

static bool parse_u64(const char *s, uint64_t *val)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*val = strtoull(s, &end, 0);
	return !errno && !*end;
}

static bool parse_u32(const char *s, uint32_t *val)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > UINT32_MAX)
		return false;
	*val = v;
	return true;
}

static bool parse_dev(const char *s, struct dibsnl_dev_ref *dev)
{
	dev->index = 0;
	dev->name = NULL;
	if (s[0] == '@')
		return parse_u32(s + 1, &dev->index) && dev->index;
	dev->name = s;
	return true;
}

/* Output */

static void print_dev(const char *prefix, const struct dibsnl_dev *d)
{
	char gid[DIBSNL_GID_STR_LEN];

	dibsnl_gid_format(d->gid, gid);
	printf("%s%u %s %s %s 0x%04x %s %u %u %d\n", prefix, d->index, d->name,
	       d->type, gid, d->fabric_id,
	       d->state == DIBSNL_DEV_UP ? "up" : "down", d->max_dmbs,
	       d->dmb_count, d->mapped_dmb);
}

static void print_dmb(const char *prefix, const struct dibsnl_dmb *m)
{
	char rgid[DIBSNL_GID_STR_LEN];

	dibsnl_gid_format(m->rgid, rgid);
	printf("%s0x%016llx %u %s %u %s %s %u %u %s\n", prefix,
	       (unsigned long long)m->token, m->dev_index, m->dev_name,
	       m->client_id, m->client_name[0] ? m->client_name : "-", rgid,
	       m->len, m->sba_idx, m->owned ? "owned" : "-");
}

static void print_client(const char *prefix, const struct dibsnl_client *c,
			 bool devs)
{
	unsigned int i;

	printf("%s%u %s", prefix, c->id, c->name);
	if (devs) {
		printf(" %u", c->dmb_count);
		for (i = 0; i < c->n_devs; i++)
			printf(" %u:%u", c->devs[i].dev_index,
			       c->devs[i].dmb_count);
	}
	printf("\n");
}

static int dev_cb(const struct dibsnl_dev *dev, void *arg)
{
	(void)arg;
	print_dev("", dev);
	return 0;
}

static int dmb_cb(const struct dibsnl_dmb *dmb, void *arg)
{
	(void)arg;
	print_dmb("", dmb);
	return 0;
}

/* Every device of the client, not only the struct's first ones. */
static int client_cb(const struct dibsnl_client *c,
		     const struct dibsnl_client_dev *devs, unsigned int n_devs,
		     void *arg)
{
	unsigned int i;

	(void)arg;
	printf("%u %s %u", c->id, c->name, c->dmb_count);
	for (i = 0; i < n_devs; i++)
		printf(" %u:%u", devs[i].dev_index, devs[i].dmb_count);
	printf("\n");
	return 0;
}

/* Devices */

static int cmd_devs(struct dibsnl *h, int argc, char **argv)
{
	int err;

	(void)argv;
	if (argc)
		return usage("devs takes no arguments");
	err = dibsnl_dev_dump(h, dev_cb, NULL);
	return err ? failed(h, err) : 0;
}

static int get_dev(struct dibsnl *h, const char *arg, struct dibsnl_dev *d,
		   int *ret)
{
	struct dibsnl_dev_ref ref;
	int err;

	if (!parse_dev(arg, &ref)) {
		*ret = usage("bad device");
		return -1;
	}
	err = dibsnl_dev_get(h, ref, d);
	if (err) {
		*ret = failed(h, err);
		return -1;
	}
	return 0;
}

static int cmd_dev(struct dibsnl *h, int argc, char **argv)
{
	struct dibsnl_dev d;
	int ret = 0;

	if (argc != 1)
		return usage("dev DEV");
	if (!get_dev(h, argv[0], &d, &ret))
		print_dev("", &d);
	return ret;
}

static int cmd_dev_stats(struct dibsnl *h, int argc, char **argv)
{
	const struct dibsnl_dev_stats *st;
	struct dibsnl_dev d;
	int ret = 0;

	if (argc != 1)
		return usage("dev-stats DEV");
	if (get_dev(h, argv[0], &d, &ret))
		return ret;
	if (!d.has_stats)
		return report(-ENODATA, "the reply had no statistics");
	st = &d.stats;
	printf("moves %llu move_bytes %llu signals %llu move_errors %llu ",
	       (unsigned long long)st->moves,
	       (unsigned long long)st->move_bytes,
	       (unsigned long long)st->signals,
	       (unsigned long long)st->move_errors);
	printf("dmbs_registered %llu dmbs_unregistered %llu\n",
	       (unsigned long long)st->dmbs_registered,
	       (unsigned long long)st->dmbs_unregistered);
	return 0;
}

static int cmd_dev_new(struct dibsnl *h, int argc, char **argv)
{
	struct dibsnl_dev_new req = {};
	struct dibsnl_dev d;
	uint32_t fabric;
	int i, err;

	if (argc < 2)
		return usage("dev-new NAME TYPE [fabric ID] [gid GID]");
	req.name = argv[0];
	req.type = argv[1];
	for (i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage("dev-new: option without a value");
		if (!strcmp(argv[i], "fabric")) {
			if (!parse_u32(argv[i + 1], &fabric) || fabric > 0xffff)
				return usage("bad fabric id");
			req.has_fabric_id = true;
			req.fabric_id = fabric;
		} else if (!strcmp(argv[i], "gid")) {
			if (dibsnl_gid_parse(argv[i + 1], req.gid))
				return usage("bad gid");
			req.has_gid = true;
		} else {
			return usage("dev-new: unknown option");
		}
	}
	err = dibsnl_dev_new(h, &req, &d);
	if (err)
		return failed(h, err);
	print_dev("", &d);
	return 0;
}

static int cmd_dev_del(struct dibsnl *h, int argc, char **argv)
{
	struct dibsnl_dev_ref ref;
	int err;

	if (argc != 1 || !parse_dev(argv[0], &ref))
		return usage("dev-del DEV");
	err = dibsnl_dev_del(h, ref);
	return err ? failed(h, err) : 0;
}

static int cmd_dev_set(struct dibsnl *h, int argc, char **argv)
{
	enum dibsnl_dev_state state;
	struct dibsnl_dev_ref ref;
	int err;

	if (argc != 2 || !parse_dev(argv[0], &ref))
		return usage("dev-set DEV up|down");
	if (!strcmp(argv[1], "up"))
		state = DIBSNL_DEV_UP;
	else if (!strcmp(argv[1], "down"))
		state = DIBSNL_DEV_DOWN;
	else
		return usage("dev-set DEV up|down");
	err = dibsnl_dev_set_state(h, ref, state);
	return err ? failed(h, err) : 0;
}

static int cmd_query(struct dibsnl *h, int argc, char **argv)
{
	uint8_t gid[DIBSNL_GID_LEN];
	struct dibsnl_dev_ref ref;
	bool reachable;
	int err;

	if (argc != 2 || !parse_dev(argv[0], &ref) ||
	    dibsnl_gid_parse(argv[1], gid))
		return usage("query DEV GID");
	err = dibsnl_remote_query(h, ref, gid, &reachable);
	if (err)
		return failed(h, err);
	printf("%s\n", reachable ? "reachable" : "unreachable");
	return 0;
}

static int cmd_event(struct dibsnl *h, int argc, char **argv)
{
	uint8_t gid[DIBSNL_GID_LEN];
	struct dibsnl_dev_ref ref;
	uint64_t data = 0;
	uint32_t subtype;
	int err;

	if (argc < 3 || argc > 4 || !parse_dev(argv[0], &ref) ||
	    dibsnl_gid_parse(argv[1], gid) || !parse_u32(argv[2], &subtype) ||
	    (argc == 4 && !parse_u64(argv[3], &data)))
		return usage("event DEV GID SUBTYPE [DATA]");
	err = dibsnl_event_signal(h, ref, gid, subtype, data);
	return err ? failed(h, err) : 0;
}

/* DMBs */

static int cmd_dmbs(struct dibsnl *h, int argc, char **argv)
{
	struct dibsnl_dmb_filter filter = {};
	int i, err;

	for (i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage("dmbs: option without a value");
		if (!strcmp(argv[i], "dev")) {
			if (!parse_dev(argv[i + 1], &filter.dev))
				return usage("bad device");
		} else if (!strcmp(argv[i], "client")) {
			filter.client_name = argv[i + 1];
		} else {
			return usage("dmbs [dev DEV] [client NAME]");
		}
	}
	err = dibsnl_dmb_dump(h, &filter, dmb_cb, NULL);
	return err ? failed(h, err) : 0;
}

/* DEV TOKEN, the first two arguments of most DMB commands */
static bool parse_dev_token(char **argv, struct dibsnl_dev_ref *ref,
			    uint64_t *token)
{
	return parse_dev(argv[0], ref) && parse_u64(argv[1], token);
}

static int get_dmb(struct dibsnl *h, int argc, char **argv,
		   struct dibsnl_dmb *m, int *ret)
{
	struct dibsnl_dev_ref ref;
	uint64_t token;
	int err;

	if (argc != 2 || !parse_dev_token(argv, &ref, &token)) {
		*ret = usage("expected DEV TOKEN");
		return -1;
	}
	err = dibsnl_dmb_get(h, ref, token, m);
	if (err) {
		*ret = failed(h, err);
		return -1;
	}
	return 0;
}

static int cmd_dmb(struct dibsnl *h, int argc, char **argv)
{
	struct dibsnl_dmb m;
	int ret = 0;

	if (!get_dmb(h, argc, argv, &m, &ret))
		print_dmb("", &m);
	return ret;
}

static int cmd_dmb_stats(struct dibsnl *h, int argc, char **argv)
{
	struct dibsnl_dmb m;
	int ret = 0;

	if (get_dmb(h, argc, argv, &m, &ret))
		return ret;
	if (!m.has_stats)
		return report(-ENODATA, "the reply had no statistics");
	printf("writes %llu write_bytes %llu signals %llu refused %llu\n",
	       (unsigned long long)m.stats.writes,
	       (unsigned long long)m.stats.write_bytes,
	       (unsigned long long)m.stats.signals,
	       (unsigned long long)m.stats.refused);
	return 0;
}

static int cmd_grant(struct dibsnl *h, int argc, char **argv)
{
	uint8_t rgid[DIBSNL_GID_LEN];
	struct dibsnl_dev_ref ref;
	bool owned = false, hold = false;
	struct dibsnl_dmb m;
	uint32_t len;
	int i, err;

	if (argc < 3 || !parse_dev(argv[0], &ref) ||
	    dibsnl_gid_parse(argv[1], rgid) || !parse_u32(argv[2], &len))
		return usage("grant DEV RGID LEN [owned] [hold]");
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "owned"))
			owned = true;
		else if (!strcmp(argv[i], "hold") && !serving)
			hold = true;
		else
			return usage("grant: unknown option");
	}
	err = dibsnl_dmb_grant(h, ref, rgid, len, owned, &m);
	if (err)
		return failed(h, err);
	print_dmb("", &m);
	/* The socket, and with it an owned grant, lives until we are killed */
	while (hold)
		pause();
	return 0;
}

static int cmd_revoke(struct dibsnl *h, int argc, char **argv)
{
	struct dibsnl_dev_ref ref;
	uint64_t token;
	int err;

	if (argc != 2 || !parse_dev_token(argv, &ref, &token))
		return usage("revoke DEV TOKEN");
	err = dibsnl_dmb_revoke(h, ref, token);
	return err ? failed(h, err) : 0;
}

/* "signal IDX" and "times N" after the fixed arguments */
static bool parse_write_opts(int argc, char **argv, int *signal,
			     uint32_t *times)
{
	uint32_t v;
	int i;

	for (i = 0; i < argc; i += 2) {
		if (i + 1 >= argc || !parse_u32(argv[i + 1], &v))
			return false;
		if (!strcmp(argv[i], "signal") && v <= INT32_MAX)
			*signal = v;
		else if (times && !strcmp(argv[i], "times"))
			*times = v;
		else
			return false;
	}
	return true;
}

static int cmd_write(struct dibsnl *h, int argc, char **argv)
{
	struct dibsnl_dev_ref ref;
	uint32_t offset, times = 1, i;
	int signal = -1, err;
	uint64_t token;

	if (argc < 4 || !parse_dev_token(argv, &ref, &token) ||
	    !parse_u32(argv[2], &offset) ||
	    !parse_write_opts(argc - 4, argv + 4, &signal, &times))
		return usage("write DEV TOKEN OFFSET STRING [signal IDX] [times N]");
	for (i = 0; i < times; i++) {
		err = dibsnl_dmb_write(h, ref, token, offset, argv[3],
				       strlen(argv[3]), signal);
		if (err)
			return failed(h, err);
	}
	return 0;
}

/* A pattern no two offsets nor seeds are likely to share. */
static uint8_t *pattern(uint32_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1, i;
	uint8_t *buf = malloc(len ? len : 1);

	if (!buf)
		return NULL;
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x;
	}
	return buf;
}

static int cmd_fill(struct dibsnl *h, int argc, char **argv, bool verify)
{
	struct dibsnl_dev_ref ref;
	uint32_t offset, len, seed, i;
	uint8_t *want, *got = NULL;
	int signal = -1, err, ret = 0;
	uint64_t token;

	if (argc < 5 || !parse_dev_token(argv, &ref, &token) ||
	    !parse_u32(argv[2], &offset) || !parse_u32(argv[3], &len) ||
	    !parse_u32(argv[4], &seed) ||
	    (verify && argc != 5) ||
	    !parse_write_opts(argc - 5, argv + 5, &signal, NULL))
		return usage("fill|verify DEV TOKEN OFFSET LEN SEED [signal IDX]");
	want = pattern(len, seed);
	if (!want)
		return report(-ENOMEM, "");
	if (!verify) {
		err = dibsnl_dmb_write(h, ref, token, offset, want, len,
				       signal);
		if (err)
			ret = failed(h, err);
		goto out;
	}
	got = malloc(len ? len : 1);
	if (!got) {
		ret = report(-ENOMEM, "");
		goto out;
	}
	err = dibsnl_dmb_read(h, ref, token, offset, got, len);
	if (err) {
		ret = failed(h, err);
		goto out;
	}
	for (i = 0; i < len && got[i] == want[i]; i++)
		;
	if (i < len) {
		printf("mismatch at %u\n", offset + i);
		ret = EXIT_FAILED;
	} else {
		printf("ok\n");
	}
out:
	free(got);
	free(want);
	return ret;
}

static int cmd_read(struct dibsnl *h, int argc, char **argv, bool hex)
{
	struct dibsnl_dev_ref ref;
	uint32_t offset, len, i;
	uint64_t token;
	uint8_t *buf;
	int err;

	if (argc != 4 || !parse_dev_token(argv, &ref, &token) ||
	    !parse_u32(argv[2], &offset) || !parse_u32(argv[3], &len))
		return usage("read|readx DEV TOKEN OFFSET LEN");
	buf = malloc(len ? len : 1);
	if (!buf)
		return report(-ENOMEM, "");
	err = dibsnl_dmb_read(h, ref, token, offset, buf, len);
	if (err) {
		free(buf);
		return failed(h, err);
	}
	for (i = 0; i < len; i++) {
		if (hex)
			printf("%02x", buf[i]);
		else
			putchar(buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '.');
	}
	printf("\n");
	free(buf);
	return 0;
}

static int cmd_clients(struct dibsnl *h, int argc, char **argv)
{
	int err;

	(void)argv;
	if (argc)
		return usage("clients takes no arguments");
	err = dibsnl_client_dump_devs(h, client_cb, NULL);
	return err ? failed(h, err) : 0;
}

/* Notifications */

struct monitor {
	unsigned long seen;
	unsigned long count;		/* 0: no limit */
};

static int ntf_cb(const struct dibsnl_ntf *n, void *arg)
{
	char gid[DIBSNL_GID_STR_LEN];
	struct monitor *mon = arg;

	switch (n->kind) {
	case DIBSNL_NTF_DEV_ADD:
		print_dev("dev-add ", &n->dev);
		break;
	case DIBSNL_NTF_DEV_DEL:
		print_dev("dev-del ", &n->dev);
		break;
	case DIBSNL_NTF_DEV_CHANGE:
		print_dev("dev-change ", &n->dev);
		break;
	case DIBSNL_NTF_DMB_ADD:
		print_dmb("dmb-add ", &n->dmb);
		break;
	case DIBSNL_NTF_DMB_DEL:
		print_dmb("dmb-del ", &n->dmb);
		break;
	case DIBSNL_NTF_CLIENT_ADD:
		print_client("client-add ", &n->client, false);
		break;
	case DIBSNL_NTF_CLIENT_DEL:
		print_client("client-del ", &n->client, false);
		break;
	case DIBSNL_NTF_EVENT:
		dibsnl_gid_format(n->event.gid, gid);
		printf("event %u %u %u %s 0x%016llx\n", n->event.dev_index,
		       n->event.type, n->event.subtype, gid,
		       (unsigned long long)n->event.token);
		break;
	case DIBSNL_NTF_SIGNAL:
		printf("signal %u 0x%016llx %u 0x%x\n", n->signal.dev_index,
		       (unsigned long long)n->signal.token,
		       n->signal.sba_idx, n->signal.mask);
		break;
	default:
		printf("unknown %d\n", n->kind);
		break;
	}
	mon->seen++;
	return mon->count && mon->seen >= mon->count;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int cmd_monitor(struct dibsnl *h, int argc, char **argv)
{
	struct monitor mon = {};
	unsigned int groups = 0;
	long long deadline = -1;
	struct pollfd pfd;
	uint32_t v;
	int i, err;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "mgmt")) {
			groups |= DIBSNL_GROUP_MGMT;
		} else if (!strcmp(argv[i], "signal")) {
			groups |= DIBSNL_GROUP_SIGNAL;
		} else if (i + 1 < argc && parse_u32(argv[i + 1], &v) &&
			   (!strcmp(argv[i], "count") ||
			    !strcmp(argv[i], "timeout"))) {
			if (argv[i][0] == 'c')
				mon.count = v;
			else
				deadline = now_ms() + v;
			i++;
		} else {
			return usage("monitor GROUP... [count N] [timeout MS]");
		}
	}
	if (!groups)
		return usage("monitor: which groups?");
	if (serving)
		return usage("monitor: not in serve mode");
	err = dibsnl_subscribe(h, groups);
	if (err)
		return failed(h, err);
	printf("ready\n");

	pfd.fd = dibsnl_fd(h);
	pfd.events = POLLIN;
	for (;;) {
		int wait = -1;

		if (deadline >= 0) {
			wait = deadline - now_ms();
			if (wait <= 0)
				break;
		}
		if (poll(&pfd, 1, wait) < 0) {
			if (errno == EINTR)
				continue;
			return report(-errno, "poll");
		}
		if (!(pfd.revents & POLLIN))
			continue;
		err = dibsnl_ntf_dispatch(h, ntf_cb, &mon);
		if (err > 0)
			return 0;		/* count reached */
		if (err == -ENOBUFS)
			printf("overrun\n");
		else if (err)
			return failed(h, err);
	}
	if (!mon.count)
		return 0;
	fprintf(errf, "timeout after %lu of %lu notifications\n", mon.seen,
		mon.count);
	return EXIT_TIMEOUT;
}

/*
 * raw: a request the library would never send. It has its own socket and
 * resolves the family itself; the ack's extack is read here too.
 */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int raw_put_attr(struct nlmsghdr *nlh, const char *spec)
{
	uint8_t buf[256];
	uint32_t type;
	const char *hex;
	char *colon;
	size_t n = 0;

	colon = strchr(spec, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	hex = colon + 1;
	if (!parse_u32(spec, &type) || type > 0x7fff || strlen(hex) % 2 ||
	    strlen(hex) / 2 > sizeof(buf))
		return -1;
	for (; hex[0]; hex += 2) {
		if (hexval(hex[0]) < 0 || hexval(hex[1]) < 0)
			return -1;
		buf[n++] = hexval(hex[0]) << 4 | hexval(hex[1]);
	}
	mnl_attr_put(nlh, type, n, buf);
	return 0;
}

/* An ack: its error, and its extack text into @msg. */
static int raw_ack(const struct nlmsghdr *nlh, char *msg, size_t size)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*e);
	const struct nlattr *a;

	msg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(a, nlh, off) {
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				snprintf(msg, size, "%s", mnl_attr_get_str(a));
		}
	}
	return e->error;
}

/*
 * Send @nlh and read until its ack (or a dump's end): returns the kernel's
 * error, 0, or a negative errno of our own; *family is set from a
 * CTRL_CMD_GETFAMILY reply when @family is not NULL.
 */
static int raw_transact(struct mnl_socket *nl, struct nlmsghdr *nlh,
			uint16_t *family, char *msg, size_t size)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = nlh->nlmsg_seq;
	const struct nlattr *a;
	ssize_t n;

	msg[0] = '\0';
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *r;
		int len;

		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		len = n;
		for (r = (void *)buf; mnl_nlmsg_ok(r, len);
		     r = mnl_nlmsg_next(r, &len)) {
			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR)
				return raw_ack(r, msg, size);
			if (r->nlmsg_type == NLMSG_DONE)
				return 0;
			if (!family || r->nlmsg_type != GENL_ID_CTRL)
				continue;
			mnl_attr_for_each(a, r, GENL_HDRLEN) {
				if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
				    !mnl_attr_validate(a, MNL_TYPE_U16))
					*family = mnl_attr_get_u16(a);
			}
		}
	}
}

static struct nlmsghdr *raw_start(char *buf, uint16_t type, uint16_t flags,
				  uint8_t cmd, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = DIBS_FAMILY_VERSION;
	return nlh;
}

static int cmd_raw(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], msg[256];
	uint16_t family = 0, flags = 0;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	int one = 1, i, err;
	uint32_t cmd;

	if (argc < 1 || !parse_u32(argv[0], &cmd) || cmd > 0xff)
		return usage("raw CMD [dump] [ATTR:HEX...]");
	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return report(-errno, "netlink socket");
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = raw_start(buf, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DIBS_FAMILY_NAME);
	err = raw_transact(nl, nlh, &family, msg, sizeof(msg));
	if (!err && !family)
		err = -ENOENT;
	if (err)
		goto out;

	for (i = 1; i < argc && !strcmp(argv[i], "dump"); i++)
		flags = NLM_F_DUMP;
	nlh = raw_start(buf, family, flags, cmd, 2);
	for (; i < argc; i++) {
		if (raw_put_attr(nlh, argv[i])) {
			mnl_socket_close(nl);
			return usage("raw: attributes are ATTR:HEX");
		}
	}
	err = raw_transact(nl, nlh, NULL, msg, sizeof(msg));
out:
	mnl_socket_close(nl);
	if (err)
		return report(err, msg);
	printf("ok\n");
	return 0;
}

struct command {
	const char *name;
	int (*fn)(struct dibsnl *h, int argc, char **argv);
};

static int cmd_verify(struct dibsnl *h, int argc, char **argv)
{
	return cmd_fill(h, argc, argv, true);
}

static int cmd_fill_write(struct dibsnl *h, int argc, char **argv)
{
	return cmd_fill(h, argc, argv, false);
}

static int cmd_read_text(struct dibsnl *h, int argc, char **argv)
{
	return cmd_read(h, argc, argv, false);
}

static int cmd_read_hex(struct dibsnl *h, int argc, char **argv)
{
	return cmd_read(h, argc, argv, true);
}

static const struct command commands[] = {
	{ "devs", cmd_devs },
	{ "dev", cmd_dev },
	{ "dev-stats", cmd_dev_stats },
	{ "dev-new", cmd_dev_new },
	{ "dev-del", cmd_dev_del },
	{ "dev-set", cmd_dev_set },
	{ "query", cmd_query },
	{ "event", cmd_event },
	{ "dmbs", cmd_dmbs },
	{ "dmb", cmd_dmb },
	{ "dmb-stats", cmd_dmb_stats },
	{ "grant", cmd_grant },
	{ "revoke", cmd_revoke },
	{ "write", cmd_write },
	{ "fill", cmd_fill_write },
	{ "verify", cmd_verify },
	{ "read", cmd_read_text },
	{ "readx", cmd_read_hex },
	{ "clients", cmd_clients },
	{ "monitor", cmd_monitor },
};

/* One command line: argv[0] is the command. Returns the exit status. */
static int run_command(int argc, char **argv)
{
	const struct command *c = NULL;
	struct dibsnl *h;
	size_t i;
	int err, ret;

	if (argc < 1)
		return usage("no command");
	if (!strcmp(argv[0], "raw"))
		return cmd_raw(argc - 1, argv + 1);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[0], commands[i].name))
			c = &commands[i];
	if (!c)
		return usage("unknown command");

	err = dibsnl_open(&h);
	if (err)
		return report(err, err == -ENOENT ?
			      "dibs netlink family not found (is the dibs module loaded?)" :
			      "dibsnl_open");
	ret = c->fn(h, argc - 1, argv + 1);
	dibsnl_close(h);
	return ret;
}

static int serve_one(char *line)
{
	char *argv[SERVE_ARGS_MAX], *p;
	struct timespec ts;
	int argc = 0;
	uint32_t ms;

	for (p = strtok(line, "\t"); p; p = strtok(NULL, "\t")) {
		if (argc == SERVE_ARGS_MAX)
			return usage("too many arguments");
		argv[argc++] = p;
	}
	if (argc == 2 && !strcmp(argv[0], "sleep") && parse_u32(argv[1], &ms)) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		return 0;
	}
	return run_command(argc, argv);
}

/* Commands from stdin until EOF; each ends with its status line. */
static int serve(void)
{
	char *line = NULL, *err = NULL;
	size_t size = 0, err_size;
	ssize_t n;
	int ret;

	serving = true;
	while ((n = getline(&line, &size, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		errf = open_memstream(&err, &err_size);
		if (!errf) {
			errf = stderr;
			ret = report(-errno, "open_memstream");
		} else {
			ret = serve_one(line);
			fclose(errf);
			errf = stderr;
			err[strcspn(err, "\n")] = '\0';
		}
		printf("%c%d\t%s\n", SERVE_END, ret, err ? err : "");
		free(err);
		err = NULL;
	}
	free(line);
	return 0;
}

int main(int argc, char **argv)
{
	errf = stderr;
	/* Each line reaches a file or pipe as soon as it is printed. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "serve"))
		return serve();
	return run_command(argc - 1, argv + 1);
}
