// SPDX-License-Identifier: GPL-2.0
/*
 * nlbench: the tight loops of bench/, on libdibsnl and libmnl.
 *
 *   nlbench rtt COUNT
 *	COUNT bare generic netlink round trips: CTRL_CMD_GETFAMILY "dibs"
 *	with an ack, over libmnl (the floor every dibs op is held to)
 *   nlbench grant-revoke DEV COUNT
 *	COUNT dmb-grant + dmb-revoke pairs of a 4 KiB DMB on DEV for DEV's
 *	own gid, through libdibsnl
 *   nlbench op-vs-rtt DEV COUNT
 *	COUNT iterations of one bare round trip (as rtt) and one dmb-grant +
 *	dmb-revoke pair (as grant-revoke), each timed on its own, which goes
 *	first alternating: both see the same machine at the same moment.
 *	Totals, means, medians and minima of both, and the ratio of the
 *	medians (what bench/ reports: one slow iteration does not move it)
 *   nlbench grant DEV COUNT SIZE
 *	COUNT dmb-grants of SIZE bytes on DEV for DEV's gid, kept (not owned)
 *   nlbench write OWNER WRITER SIZE COUNT
 *	grant an owned SIZE-byte DMB on OWNER for WRITER's gid, then COUNT
 *	dmb-writes of SIZE bytes into it from WRITER, each timed (total,
 *	mean, median, min)
 *   nlbench mmap OWNER WRITER SIZE COUNT
 *	grant an owned SIZE-byte DMB on OWNER for WRITER's gid, map it as
 *	the writer (dibsnl_dmb_map() remote) and as the owner, then COUNT
 *	times: a memcpy of SIZE bytes into the writer's mapping, the same
 *	in 8-byte words (copy_words()), a signal without data
 *	(dibsnl_dmb_signal()), and a memcpy of SIZE bytes out of the owner's
 *	mapping, each timed (mmap_write, mmap_write_words, mmap_signal,
 *	mmap_read: total, mean, median, min)
 *   nlbench write0 OWNER WRITER COUNT
 *	COUNT dmb-writes of no data into an owned DMB on OWNER from WRITER:
 *	the fixed cost of one dmb-write request (total, mean, median, min)
 *   nlbench signal OWNER WRITER COUNT
 *	COUNT empty writes with signal 0 into an owned DMB on OWNER, each
 *	timed until its signal is seen on a second handle; before each, one
 *	bare round trip as in rtt (reported as rtt_*)
 *   nlbench ping DEV MINE PEER COUNT
 *	signal round trips with `nlbench echo` on another host (guest):
 *	COUNT times one bare round trip (as rtt, reported as rtt_*), then an
 *	empty write with signal 0 from DEV into the DMB with token PEER,
 *	timed until the signal for token MINE (a DMB here that the other side
 *	may write) arrives (ping_*: total, mean, median, min)
 *   nlbench echo DEV MINE PEER COUNT
 *	the other side of ping: prints "ready" once subscribed, then answers
 *	each of COUNT signals for MINE with an empty write with signal 0 from
 *	DEV into PEER; waits 60 s at most for each
 *   nlbench exec REPS CMD [ARG...]
 *	run CMD REPS times, stdout to /dev/null; per run its wall time and
 *	peak RSS (ru_maxrss)
 *
 * signal, ping and echo see a signal through a watch on /dev/dibs
 * (dibsnl_dmb_watch()), or where there is none through the "signal"
 * netlink notifications; NLBENCH_WAIT=netlink|watch chooses. They print
 * "wait watch" or "wait netlink".
 *
 * Output: "key value" lines; times in ns, sizes in KiB. Exit 1 on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <dibsnl.h>

#define GRANT_SIZE	4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static unsigned long arg_num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || !v) {
		fprintf(stderr, "nlbench: \"%s\" is not a positive number\n", s);
		exit(2);
	}
	return v;
}

static void die_nl(struct dibsnl *h, const char *what, int err)
{
	const char *msg = h ? dibsnl_errmsg(h) : "";

	fprintf(stderr, "nlbench: %s: %s%s%s\n", what, strerror(-err),
		*msg ? ": " : "", msg);
	exit(1);
}

static struct dibsnl *open_h(void)
{
	struct dibsnl *h;
	int err;

	err = dibsnl_open(&h);
	if (err)
		die_nl(NULL, "dibsnl_open", err);
	return h;
}

static struct dibsnl_dev_ref ref(const char *name)
{
	return (struct dibsnl_dev_ref){ .name = name };
}

static void dev_gid(struct dibsnl *h, const char *name, uint8_t *gid)
{
	struct dibsnl_dev dev;
	int err;

	err = dibsnl_dev_get(h, ref(name), &dev);
	if (err)
		die_nl(h, name, err);
	memcpy(gid, dev.gid, DIBSNL_GID_LEN);
}

static void report(const char *key, uint64_t total, unsigned long count)
{
	printf("%s_total_ns %llu\n", key, (unsigned long long)total);
	printf("%s_count %lu\n", key, count);
	printf("%s_ns %.1f\n", key, (double)total / count);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * report() of @count single times in @t, plus their median (the mean of
 * the middle two for an even count) and minimum; sorts @t. The median.
 */
static double report_each(const char *key, uint64_t *t, unsigned long count)
{
	uint64_t total = 0;
	unsigned long i;
	double med;

	for (i = 0; i < count; i++)
		total += t[i];
	qsort(t, count, sizeof(*t), cmp_u64);
	med = count % 2 ? (double)t[count / 2] :
			  ((double)t[count / 2 - 1] + t[count / 2]) / 2;
	report(key, total, count);
	printf("%s_median_ns %.1f\n", key, med);
	printf("%s_min_ns %llu\n", key, (unsigned long long)t[0]);
	return med;
}

static uint64_t *times(unsigned long count)
{
	uint64_t *t = calloc(count, sizeof(*t));

	if (!t) {
		perror("nlbench: calloc");
		exit(1);
	}
	return t;
}

/* rtt: libmnl alone, as in libmnl's genl-family-get example */

static int rtt_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(*(unsigned int *)arg)++;
	return MNL_CB_OK;
}

struct rtt_sock {
	struct mnl_socket *nl;
	char *buf;
	unsigned int portid, seq;
};

static void rtt_open(struct rtt_sock *s)
{
	s->buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	s->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!s->buf || !s->nl ||
	    mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nlbench: netlink socket");
		exit(1);
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (unsigned int)time(NULL);
}

static void rtt_close(struct rtt_sock *s)
{
	mnl_socket_close(s->nl);
	free(s->buf);
}

/* One CTRL_CMD_GETFAMILY "dibs" with an ack: its reply, then the ack. */
static void rtt_once(struct rtt_sock *s)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(s->buf);
	struct genlmsghdr *genl;
	unsigned int replies = 0;
	int n, ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++s->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "dibs");
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0) {
		perror("nlbench: sendto");
		exit(1);
	}
	do {
		n = mnl_socket_recvfrom(s->nl, s->buf, MNL_SOCKET_BUFFER_SIZE);
		if (n < 0) {
			perror("nlbench: recvfrom");
			exit(1);
		}
		ret = mnl_cb_run(s->buf, n, s->seq, s->portid, rtt_cb,
				 &replies);
	} while (ret > 0);
	if (ret < 0 || replies != 1) {
		fprintf(stderr, "nlbench: CTRL_CMD_GETFAMILY dibs: %s\n",
			ret < 0 ? strerror(errno) : "no reply");
		exit(1);
	}
}

static int cmd_rtt(int argc, char **argv)
{
	unsigned long count, i;
	struct rtt_sock s;
	uint64_t t0, total;

	if (argc != 1)
		return 2;
	count = arg_num(argv[0]);
	rtt_open(&s);
	t0 = now_ns();
	for (i = 0; i < count; i++)
		rtt_once(&s);
	total = now_ns() - t0;
	report("rtt", total, count);
	rtt_close(&s);
	return 0;
}

/* One dmb-grant of GRANT_SIZE bytes on @dev for @gid and its revoke. */
static void grant_revoke_once(struct dibsnl *h, const char *dev,
			      const uint8_t *gid)
{
	struct dibsnl_dmb dmb;
	int err;

	err = dibsnl_dmb_grant(h, ref(dev), gid, GRANT_SIZE, false, &dmb);
	if (err)
		die_nl(h, "dmb-grant", err);
	err = dibsnl_dmb_revoke(h, ref(dev), dmb.token);
	if (err)
		die_nl(h, "dmb-revoke", err);
}

static int cmd_grant_revoke(int argc, char **argv)
{
	uint8_t gid[DIBSNL_GID_LEN];
	unsigned long count, i;
	struct dibsnl *h;
	uint64_t t0;

	if (argc != 2)
		return 2;
	count = arg_num(argv[1]);
	h = open_h();
	dev_gid(h, argv[0], gid);
	t0 = now_ns();
	for (i = 0; i < count; i++)
		grant_revoke_once(h, argv[0], gid);
	report("grant_revoke", now_ns() - t0, count);
	dibsnl_close(h);
	return 0;
}

static int cmd_op_vs_rtt(int argc, char **argv)
{
	uint8_t gid[DIBSNL_GID_LEN];
	uint64_t *rtt, *pair, t0, t1, t2;
	unsigned long count, i;
	double rtt_med, pair_med;
	struct rtt_sock s;
	struct dibsnl *h;

	if (argc != 2)
		return 2;
	count = arg_num(argv[1]);
	rtt = times(count);
	pair = times(count);
	rtt_open(&s);
	h = open_h();
	dev_gid(h, argv[0], gid);
	for (i = 0; i < count; i++) {
		t0 = now_ns();
		if (i % 2)
			rtt_once(&s);
		else
			grant_revoke_once(h, argv[0], gid);
		t1 = now_ns();
		if (i % 2)
			grant_revoke_once(h, argv[0], gid);
		else
			rtt_once(&s);
		t2 = now_ns();
		rtt[i] = i % 2 ? t1 - t0 : t2 - t1;
		pair[i] = i % 2 ? t2 - t1 : t1 - t0;
	}
	rtt_med = report_each("rtt", rtt, count);
	pair_med = report_each("grant_revoke", pair, count);
	printf("ratio_median %.3f\n", pair_med / rtt_med);
	dibsnl_close(h);
	rtt_close(&s);
	free(pair);
	free(rtt);
	return 0;
}

static int cmd_grant(int argc, char **argv)
{
	uint8_t gid[DIBSNL_GID_LEN];
	unsigned long count, size, i;
	struct dibsnl *h;
	uint64_t t0;
	int err;

	if (argc != 3)
		return 2;
	count = arg_num(argv[1]);
	size = arg_num(argv[2]);
	h = open_h();
	dev_gid(h, argv[0], gid);
	t0 = now_ns();
	for (i = 0; i < count; i++) {
		err = dibsnl_dmb_grant(h, ref(argv[0]), gid, size, false,
				       NULL);
		if (err)
			die_nl(h, "dmb-grant", err);
	}
	report("grant", now_ns() - t0, count);
	dibsnl_close(h);
	return 0;
}

/* An owned DMB on @owner that @writer may write; its token. */
static uint64_t grant_for(struct dibsnl *h, const char *owner,
			  const char *writer, unsigned long size)
{
	uint8_t gid[DIBSNL_GID_LEN];
	struct dibsnl_dmb dmb;
	int err;

	dev_gid(h, writer, gid);
	err = dibsnl_dmb_grant(h, ref(owner), gid, size, true, &dmb);
	if (err)
		die_nl(h, "dmb-grant", err);
	return dmb.token;
}

static int cmd_write(int argc, char **argv)
{
	unsigned long size, count, i;
	struct dibsnl *h;
	uint64_t token, t0, *t;
	char *data;
	int err;

	if (argc != 4)
		return 2;
	size = arg_num(argv[2]);
	count = arg_num(argv[3]);
	data = malloc(size);
	if (!data)
		return 1;
	memset(data, 0x5a, size);
	t = times(count);
	h = open_h();
	token = grant_for(h, argv[0], argv[1], size);
	for (i = 0; i < count; i++) {
		t0 = now_ns();
		err = dibsnl_dmb_write(h, ref(argv[1]), token, 0, data, size,
				       -1);
		if (err)
			die_nl(h, "dmb-write", err);
		t[i] = now_ns() - t0;
	}
	report_each("write", t, count);
	dibsnl_close(h);	/* the owned DMB goes with the socket */
	free(data);
	free(t);
	return 0;
}

static int cmd_write0(int argc, char **argv)
{
	unsigned long count, i;
	struct dibsnl *h;
	uint64_t token, t0, *t;
	int err;

	if (argc != 3)
		return 2;
	count = arg_num(argv[2]);
	t = times(count);
	h = open_h();
	token = grant_for(h, argv[0], argv[1], GRANT_SIZE);
	for (i = 0; i < count; i++) {
		t0 = now_ns();
		err = dibsnl_dmb_write(h, ref(argv[1]), token, 0, NULL, 0, -1);
		if (err)
			die_nl(h, "dmb-write of no data", err);
		t[i] = now_ns() - t0;
	}
	report_each("write0", t, count);
	dibsnl_close(h);	/* the owned DMB goes with the socket */
	free(t);
	return 0;
}

/* Keeps the reads of cmd_mmap() from being optimised away. */
static volatile uint8_t mmap_sink;

/*
 * A copy in plain 8-byte loads and stores, 32 bytes a step: the loop the
 * kernel's memcpy runs on an x86 CPU without fast short rep movsb (6.12's
 * memcpy_orig), such as the test VM's qemu64. Timed beside glibc's
 * memcpy, it gives the mapping's own cost: glibc picks SSE2 on that CPU,
 * and TCG runs SSE2 copies at about half the speed of 8-byte moves, which
 * says nothing about the mapping. The stores are volatile so that the
 * compiler keeps them 8 bytes wide (no vectorised loop).
 */
static void copy_words(void *dst, const void *src, size_t n)
{
	volatile uint64_t *d = dst;
	const char *s = src;
	size_t i, words = n / 8;
	uint64_t w[4];

	for (i = 0; i + 4 <= words; i += 4) {
		memcpy(w, s + i * 8, sizeof(w));
		d[i] = w[0];
		d[i + 1] = w[1];
		d[i + 2] = w[2];
		d[i + 3] = w[3];
	}
	for (; i < words; i++) {
		memcpy(w, s + i * 8, 8);
		d[i] = w[0];
	}
	memcpy((char *)dst + words * 8, s + words * 8, n % 8);
}

static int cmd_mmap(int argc, char **argv)
{
	struct dibsnl_dmb_map wr, own;
	unsigned long size, count, i;
	uint64_t token, t0, *tw, *tm, *tr, *ts;
	struct dibsnl *h;
	char *data, *alt, *back;
	int err;

	if (argc != 4)
		return 2;
	size = arg_num(argv[2]);
	count = arg_num(argv[3]);
	data = malloc(size);
	alt = malloc(size);	/* copy_words()'s: no byte equal to data's */
	back = malloc(size);
	if (!data || !alt || !back)
		return 1;
	memset(data, 0x5a, size);
	memset(alt, 0xa5, size);
	memset(back, 0, size);
	tw = times(count);
	tm = times(count);
	tr = times(count);
	ts = times(count);
	h = open_h();
	token = grant_for(h, argv[0], argv[1], size);
	err = dibsnl_dmb_map(h, ref(argv[1]), token, DIBSNL_MAP_REMOTE, &wr);
	if (err)
		die_nl(h, "dmb map (writer)", err);
	err = dibsnl_dmb_map(h, ref(argv[0]), token, 0, &own);
	if (err)
		die_nl(h, "dmb map (owner)", err);
	for (i = 0; i < count; i++) {
		data[i % size] = (char)i;
		alt[i % size] = (char)~i;
		t0 = now_ns();
		memcpy(wr.addr, data, size);
		tw[i] = now_ns() - t0;
		t0 = now_ns();
		copy_words(wr.addr, alt, size);
		tm[i] = now_ns() - t0;
		t0 = now_ns();
		err = dibsnl_dmb_signal(h, ref(argv[1]), token, 1);
		ts[i] = now_ns() - t0;
		if (err)
			die_nl(h, "dmb signal", err);
		t0 = now_ns();
		memcpy(back, own.addr, size);
		tr[i] = now_ns() - t0;
		mmap_sink ^= back[i % size];
		/* every byte of copy_words(), the last write, arrived */
		if (memcmp(back, alt, size)) {
			fprintf(stderr, "nlbench: the owner's mapping does not show the write\n");
			return 1;
		}
	}
	report_each("mmap_write", tw, count);
	report_each("mmap_write_words", tm, count);
	report_each("mmap_signal", ts, count);
	report_each("mmap_read", tr, count);
	dibsnl_dmb_unmap(&wr);
	dibsnl_dmb_unmap(&own);
	dibsnl_close(h);	/* the owned DMB goes with the socket */
	free(data);
	free(alt);
	free(back);
	free(tw);
	free(tm);
	free(tr);
	free(ts);
	return 0;
}

/*
 * Where a signal is waited for: the DMB watched on /dev/dibs
 * (dibsnl_dmb_watch(): the reader woken from the device's interrupt), or
 * the "signal" netlink notifications. NLBENCH_WAIT=netlink forces the
 * second, NLBENCH_WAIT=watch the first; by default the watch, or the
 * notifications where it cannot be had.
 */
struct sig_wait {
	uint64_t token;
	bool seen;
	bool watch;
	struct dibsnl *sub;	/* the watching or the subscribed handle */
};

static int sig_cb(const struct dibsnl_ntf *ntf, void *arg)
{
	struct sig_wait *w = arg;

	if (ntf->kind == DIBSNL_NTF_SIGNAL && ntf->signal.token == w->token) {
		w->seen = true;
		return 1;	/* stop: reading on would time an empty read */
	}
	return 0;
}

static int sig_ignore(const struct dibsnl_ntf *ntf, void *arg)
{
	(void)ntf;
	(void)arg;
	return 0;
}

/* Subscribe a handle to signal notifications, non-blocking. */
static struct dibsnl *signal_sub(void)
{
	struct dibsnl *sub = open_h();
	int fd, err;

	err = dibsnl_subscribe(sub, DIBSNL_GROUP_SIGNAL);
	if (err)
		die_nl(sub, "subscribe", err);
	fd = dibsnl_fd(sub);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return sub;
}

/* Wait for the signals of DMB @token on @dev; prints "wait watch|netlink". */
static void wait_open(struct sig_wait *w, const char *dev, uint64_t token)
{
	const char *how = getenv("NLBENCH_WAIT");
	int err;

	memset(w, 0, sizeof(*w));
	w->token = token;
	if (!how || strcmp(how, "netlink")) {
		w->sub = open_h();
		err = dibsnl_dmb_watch(w->sub, ref(dev), token);
		if (!err) {
			w->watch = true;
			printf("wait watch\n");
			return;
		}
		if (how && !strcmp(how, "watch"))
			die_nl(w->sub, "watch", err);
		fprintf(stderr, "nlbench: no watch (%s): netlink notifications\n",
			dibsnl_errmsg(w->sub));
		dibsnl_close(w->sub);
	}
	w->sub = signal_sub();
	printf("wait netlink\n");
}

/* Forget what came before: nothing stale may count as the next signal. */
static void wait_drain(struct sig_wait *w)
{
	struct dibsnl_watch_event ev[8];
	int err;

	w->seen = false;
	if (w->watch) {
		while ((err = dibsnl_watch_read(w->sub, ev, 8, 0)) > 0)
			;
		if (err < 0)
			die_nl(w->sub, "watch read", err);
		return;
	}
	err = dibsnl_ntf_dispatch(w->sub, sig_ignore, NULL);
	if (err < 0 && err != -EAGAIN)
		die_nl(w->sub, "dispatch", err);
}

/* Wait (up to @ms) until signal 0 of @w->token has come. */
static void signal_wait(struct sig_wait *w, int ms)
{
	struct pollfd pfd = { .fd = dibsnl_fd(w->sub), .events = POLLIN };
	struct dibsnl_watch_event ev[8];
	int err, i;

	while (!w->seen) {
		if (w->watch) {
			err = dibsnl_watch_read(w->sub, ev, 8, ms);
			if (err < 0)
				die_nl(w->sub, "watch read", err);
			for (i = 0; i < err; i++)
				if (ev[i].token == w->token && ev[i].mask & 1)
					w->seen = true;
			if (!err)
				goto timeout;
			continue;
		}
		if (poll(&pfd, 1, ms) <= 0)
			goto timeout;
		err = dibsnl_ntf_dispatch(w->sub, sig_cb, w);
		if (err < 0 && err != -EAGAIN)
			die_nl(w->sub, "dispatch", err);
	}
	return;
timeout:
	fprintf(stderr, "nlbench: no signal within %d ms\n", ms);
	exit(1);
}

/*
 * One write with signal 0 from @writer into @target; the time until
 * signal 0 of @w->token is seen (the same DMB when @target is @w->token;
 * another one when something answers).
 */
static uint64_t signal_once(struct dibsnl *h, const char *writer,
			    uint64_t target, struct sig_wait *w)
{
	uint64_t t0;
	int err;

	wait_drain(w);	/* untimed */
	t0 = now_ns();
	err = dibsnl_dmb_write(h, ref(writer), target, 0, NULL, 0, 0);
	if (err)
		die_nl(h, "dmb-write with signal", err);
	signal_wait(w, 5000);
	return now_ns() - t0;
}

static int cmd_signal(int argc, char **argv)
{
	struct sig_wait w;
	unsigned long count, i;
	uint64_t *lat, *rtt, t0;
	struct rtt_sock s;
	struct dibsnl *h;

	if (argc != 3)
		return 2;
	count = arg_num(argv[2]);
	lat = times(count);
	rtt = times(count);
	rtt_open(&s);
	h = open_h();
	wait_open(&w, argv[0], grant_for(h, argv[0], argv[1], GRANT_SIZE));

	/* a bare round trip before each signal: the two side by side */
	for (i = 0; i < count; i++) {
		t0 = now_ns();
		rtt_once(&s);
		rtt[i] = now_ns() - t0;
		lat[i] = signal_once(h, argv[1], w.token, &w);
	}
	report_each("rtt", rtt, count);
	qsort(lat, count, sizeof(*lat), cmp_u64);
	printf("signal_count %lu\n", count);
	printf("signal_min_ns %llu\n", (unsigned long long)lat[0]);
	printf("signal_p50_ns %llu\n", (unsigned long long)lat[count / 2]);
	printf("signal_p99_ns %llu\n",
	       (unsigned long long)lat[(count * 99) / 100 < count ?
				       (count * 99) / 100 : count - 1]);
	printf("signal_max_ns %llu\n", (unsigned long long)lat[count - 1]);
	dibsnl_close(w.sub);
	dibsnl_close(h);
	rtt_close(&s);
	free(rtt);
	free(lat);
	return 0;
}

/* A token given on the command line (any value, 0 included). */
static uint64_t arg_token(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "nlbench: \"%s\" is not a token\n", s);
		exit(2);
	}
	return v;
}

/*
 * ping DEV MINE PEER COUNT: COUNT times, a bare round trip (timed), then a
 * write with signal 0 from DEV into PEER, timed until the signal for MINE
 * arrives: the answer of `nlbench echo` on the other side.
 */
static int cmd_ping(int argc, char **argv)
{
	unsigned long count, i;
	uint64_t peer, *lat, *rtt, t0;
	struct sig_wait w;
	struct rtt_sock s;
	struct dibsnl *h;

	if (argc != 4)
		return 2;
	peer = arg_token(argv[2]);
	count = arg_num(argv[3]);
	lat = times(count);
	rtt = times(count);
	rtt_open(&s);
	h = open_h();
	wait_open(&w, argv[0], arg_token(argv[1]));
	for (i = 0; i < count; i++) {
		t0 = now_ns();
		rtt_once(&s);
		rtt[i] = now_ns() - t0;
		lat[i] = signal_once(h, argv[0], peer, &w);
	}
	report_each("rtt", rtt, count);
	report_each("ping", lat, count);
	dibsnl_close(w.sub);
	dibsnl_close(h);
	rtt_close(&s);
	free(rtt);
	free(lat);
	return 0;
}

/*
 * echo DEV MINE PEER COUNT: print "ready" once subscribed; then COUNT
 * times, wait (60 s at most) for a signal for MINE and answer it with a
 * write with signal 0 from DEV into PEER.
 */
static int cmd_echo(int argc, char **argv)
{
	unsigned long count, i;
	struct sig_wait w;
	struct dibsnl *h;
	uint64_t peer;
	int err;

	if (argc != 4)
		return 2;
	peer = arg_token(argv[2]);
	count = arg_num(argv[3]);
	h = open_h();
	wait_open(&w, argv[0], arg_token(argv[1]));
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < count; i++) {
		w.seen = false;
		signal_wait(&w, 60000);
		err = dibsnl_dmb_write(h, ref(argv[0]), peer, 0, NULL, 0, 0);
		if (err)
			die_nl(h, "dmb-write with signal", err);
	}
	printf("echo_count %lu\n", count);
	dibsnl_close(w.sub);
	dibsnl_close(h);
	return 0;
}

static int cmd_exec(int argc, char **argv)
{
	unsigned long reps, i;
	struct rusage ru;
	uint64_t t0, t;
	int status, fd;
	pid_t pid;

	if (argc < 2)
		return 2;
	reps = arg_num(argv[0]);
	for (i = 0; i < reps; i++) {
		t0 = now_ns();
		pid = fork();
		if (pid < 0) {
			perror("nlbench: fork");
			return 1;
		}
		if (!pid) {
			fd = open("/dev/null", O_WRONLY);
			if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
				_exit(127);
			execvp(argv[1], argv + 1);
			perror("nlbench: exec");
			_exit(127);
		}
		if (wait4(pid, &status, 0, &ru) < 0) {
			perror("nlbench: wait4");
			return 1;
		}
		t = now_ns() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "nlbench: %s failed (status 0x%x)\n",
				argv[1], status);
			return 1;
		}
		printf("exec_ns %llu\n", (unsigned long long)t);
		printf("exec_maxrss_kib %ld\n", ru.ru_maxrss);
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "rtt", cmd_rtt },
	{ "grant-revoke", cmd_grant_revoke },
	{ "op-vs-rtt", cmd_op_vs_rtt },
	{ "grant", cmd_grant },
	{ "write", cmd_write },
	{ "write0", cmd_write0 },
	{ "mmap", cmd_mmap },
	{ "signal", cmd_signal },
	{ "ping", cmd_ping },
	{ "echo", cmd_echo },
	{ "exec", cmd_exec },
};

int main(int argc, char **argv)
{
	size_t i;
	int rc;

	if (argc < 2)
		goto usage;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		rc = cmds[i].fn(argc - 2, argv + 2);
		if (rc == 2)
			goto usage;
		return rc;
	}
usage:
	fprintf(stderr,
		"usage: nlbench rtt COUNT\n"
		"       nlbench grant-revoke DEV COUNT\n"
		"       nlbench op-vs-rtt DEV COUNT\n"
		"       nlbench grant DEV COUNT SIZE\n"
		"       nlbench write OWNER WRITER SIZE COUNT\n"
		"       nlbench write0 OWNER WRITER COUNT\n"
		"       nlbench mmap OWNER WRITER SIZE COUNT\n"
		"       nlbench signal OWNER WRITER COUNT\n"
		"       nlbench ping DEV MINE PEER COUNT\n"
		"       nlbench echo DEV MINE PEER COUNT\n"
		"       nlbench exec REPS CMD [ARG...]\n");
	return 2;
}
