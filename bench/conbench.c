// SPDX-License-Identifier: GPL-2.0
/*
 * conbench: the console-over-dibs benchmarks of bench/ (uapi/dibs-console.md).
 * The measuring process is itself the terminal server (on libdibsnl, the
 * wire format of dibsctl/console_proto.c), so every clock starts and stops
 * in one process; the console (dibs_console) serves TTY on CONSOLE, a
 * device on the fabric of SERVER.
 *
 *   conbench echo SERVER CONSOLE TTY COUNT
 *	A child puts TTY into raw mode and writes back every byte it reads
 *	(the echo partner). COUNT times, interleaved one by one, which goes
 *	first alternating, after 10 unmeasured of each:
 *	- echo: one byte into S2C (as dibsctl writes: the byte, then prod
 *	  with signal DATA), timed until that byte is back in C2S (its
 *	  notification, then prod read from the owner's mapping);
 *	- sigrtt: one signal round trip: an empty write with signal 0 from
 *	  SERVER into a DMB on CONSOLE, whose notification a second child
 *	  (the signal partner, its own handle) answers with an empty write
 *	  with signal 0 from CONSOLE into a DMB on SERVER, timed until that
 *	  notification reaches this process.
 *	Output: echo_* and sigrtt_* (total, mean, median, min).
 *   conbench bulk SERVER CONSOLE TTY BYTES COUNT
 *	COUNT transfers of BYTES through the console and as many through a
 *	local pty pair, interleaved, which goes first alternating: a child
 *	(the same writer for both) opens the tty's path (TTY, or the pty's
 *	slave), raw, and writes BYTES of a pattern in 64 KiB write()s; this
 *	process reads them (from C2S's mapping, acking as dibsctl does; or
 *	read() on the pty's master) and checks every byte. Timed from the
 *	writer's go to the last byte read. Output: bulk_console_* and
 *	bulk_pty_* (total, mean, median, min).
 *
 * Output: "key value" lines; times in ns. Exit 1 on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <dibsnl.h>

#include "../dibsctl/console_proto.h"

#define DIBS_EV_SW	2	/* DIBS_SW_EVENT */
#define WARMUP		10
#define WAIT_MS		10000	/* longest wait for anything */
#define WCHUNK		65536	/* the writer's write() size */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "conbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void die_nl(struct dibsnl *h, const char *what, int err)
{
	const char *msg = h ? dibsnl_errmsg(h) : "";

	fprintf(stderr, "conbench: %s: %s%s%s\n", what, strerror(-err),
		*msg ? ": " : "", msg);
	exit(1);
}

static unsigned long arg_num(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || !v)
		die("\"%s\" is not a positive number", s);
	return v;
}

static struct dibsnl_dev_ref ref(const char *name)
{
	return (struct dibsnl_dev_ref){ .name = name };
}

static struct dibsnl *open_h(unsigned int groups)
{
	struct dibsnl *h;
	int err, fd;

	err = dibsnl_open(&h);
	if (err)
		die_nl(NULL, "dibsnl_open", err);
	if (!groups)
		return h;
	err = dibsnl_subscribe(h, groups);
	if (err)
		die_nl(h, "subscribe", err);
	fd = dibsnl_fd(h);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return h;
}

static uint64_t *times(unsigned long count)
{
	uint64_t *t = calloc(count, sizeof(*t));

	if (!t) {
		perror("conbench: calloc");
		exit(1);
	}
	return t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Total, count, mean, median and minimum of @count times; sorts @t. */
static void report_each(const char *key, uint64_t *t, unsigned long count)
{
	uint64_t total = 0;
	unsigned long i;

	for (i = 0; i < count; i++)
		total += t[i];
	qsort(t, count, sizeof(*t), cmp_u64);
	printf("%s_total_ns %llu\n", key, (unsigned long long)total);
	printf("%s_count %lu\n", key, count);
	printf("%s_ns %.1f\n", key, (double)total / count);
	printf("%s_median_ns %.1f\n", key, count % 2 ? (double)t[count / 2] :
	       ((double)t[count / 2 - 1] + t[count / 2]) / 2);
	printf("%s_min_ns %llu\n", key, (unsigned long long)t[0]);
}

/* ---------------------------------------------------------------- */
/* the terminal server: one session with the console */

struct srv {
	struct dibsnl *h;		/* requests */
	struct dibsnl *sub;		/* notifications: mgmt and signal */
	const char *dev;
	uint32_t dev_index;
	uint8_t rgid[DIBSNL_GID_LEN];

	uint64_t c2s;			/* ours; the console writes */
	struct dibsnl_dmb_map map;	/* the owner's view of C2S */
	uint64_t c2s_ring;
	uint64_t cons, acked;

	uint64_t s2c;			/* the console's; we write */
	uint64_t s2c_ring;
	uint64_t prod;

	/* what the notifications said; the token a wait stops at */
	uint64_t stop_at;
	bool seen_stop;
	bool accepted;
	unsigned int refused;		/* a REFUSE's reason + 1 */
};

static void dev_get(struct dibsnl *h, const char *name, struct dibsnl_dev *d)
{
	int err = dibsnl_dev_get(h, ref(name), d);

	if (err)
		die_nl(h, name, err);
}

static int srv_cb(const struct dibsnl_ntf *ntf, void *arg)
{
	struct srv *s = arg;
	const struct dibsnl_event *ev = &ntf->event;
	unsigned int ver, msg, param;

	if (ntf->kind == DIBSNL_NTF_SIGNAL) {
		if (ntf->signal.token == s->stop_at) {
			s->seen_stop = true;
			return 1;	/* reading on would time an empty read */
		}
		return 0;
	}
	if (ntf->kind != DIBSNL_NTF_EVENT || ev->dev_index != s->dev_index ||
	    ev->type != DIBS_EV_SW ||
	    memcmp(ev->gid, s->rgid, DIBSNL_GID_LEN) ||
	    !cons_subtype_parse(ev->subtype, &ver, &msg, &param) ||
	    ver != DIBS_CONSOLE_VERSION)
		return 0;
	if (msg == DIBS_CONSOLE_ACCEPT && !s->accepted) {
		if (param < DIBS_CONSOLE_RING_ORDER_MIN ||
		    param > DIBS_CONSOLE_RING_ORDER_MAX)
			die("ACCEPT with a ring of 2^%u bytes", param);
		s->s2c = ev->data;
		s->s2c_ring = 1ull << param;
		s->accepted = true;
		return 1;
	}
	if (msg == DIBS_CONSOLE_REFUSE) {
		s->refused = param + 1;
		return 1;
	}
	return 0;
}

/* Dispatch what is queued; with @ms, wait for it first (false: timeout). */
static bool srv_pump(struct srv *s, int ms)
{
	struct pollfd pfd = { .fd = dibsnl_fd(s->sub), .events = POLLIN };
	int err;

	if (ms && poll(&pfd, 1, ms) <= 0)
		return false;
	err = dibsnl_ntf_dispatch(s->sub, srv_cb, s);
	if (err < 0 && err != -EAGAIN && err != -ENOBUFS)
		die_nl(s->sub, "dispatch", err);
	return true;
}

/* Drop what is queued: nothing stale may end the next timed wait. */
static void srv_flush(struct srv *s)
{
	s->stop_at = 0;
	s->seen_stop = false;
	srv_pump(s, 0);
	s->seen_stop = false;
}

/* Wait (WAIT_MS at most) until a signal for @token reaches srv_cb. */
static void srv_wait_signal(struct srv *s, uint64_t token)
{
	s->stop_at = token;
	while (!s->seen_stop)
		if (!srv_pump(s, WAIT_MS))
			die("no signal within %d ms", WAIT_MS);
	s->seen_stop = false;
}

static void s2c_write(struct srv *s, uint32_t off, const void *p, size_t len,
		      int sig)
{
	int err = dibsnl_dmb_write(s->h, ref(s->dev), s->s2c, off, p, len, sig);

	if (err)
		die_nl(s->h, "writing into S2C", err);
}

/* Grant C2S, send HELLO, wait for ACCEPT, attach to S2C. */
static void srv_connect(struct srv *s, const char *server, const char *console)
{
	static const uint8_t magic[4] = DIBS_CONSOLE_MAGIC;
	struct dibsnl_dev dev;
	struct dibsnl_dmb dmb;
	uint64_t deadline;
	int err;

	s->dev = server;
	s->h = open_h(0);
	s->sub = open_h(DIBSNL_GROUP_MGMT | DIBSNL_GROUP_SIGNAL);
	dev_get(s->h, server, &dev);
	s->dev_index = dev.index;
	dev_get(s->h, console, &dev);
	memcpy(s->rgid, dev.gid, DIBSNL_GID_LEN);

	s->c2s_ring = 1ull << DIBS_CONSOLE_RING_ORDER;
	err = dibsnl_dmb_grant(s->h, ref(server), s->rgid,
			       DIBS_CONSOLE_OFF_RING + (uint32_t)s->c2s_ring,
			       true, &dmb);
	if (err)
		die_nl(s->h, "granting C2S", err);
	s->c2s = dmb.token;
	err = dibsnl_dmb_map(s->h, ref(server), s->c2s, 0, &s->map);
	if (err)
		die_nl(s->h, "mapping C2S", err);
	err = dibsnl_event_signal(s->h, ref(server), s->rgid,
				  cons_subtype(DIBS_CONSOLE_HELLO,
					       DIBS_CONSOLE_RING_ORDER),
				  s->c2s);
	if (err)
		die_nl(s->h, "sending HELLO", err);
	deadline = now_ns() + WAIT_MS * 1000000ull;
	while (!s->accepted && !s->refused) {
		if (now_ns() > deadline)
			die("no answer to HELLO from %s within %d ms", console,
			    WAIT_MS);
		srv_pump(s, 1000);
	}
	if (s->refused)
		die("the console refused: %s",
		    cons_refuse_str(s->refused - 1));
	s2c_write(s, DIBS_CONSOLE_OFF_MAGIC, magic, sizeof(magic), -1);
}

/* HANGUP (reason closed): the flag with signal CTL, then the event. */
static void srv_hangup(struct srv *s)
{
	uint32_t flags = DIBS_CONSOLE_FLAG_HANGUP, seq = 1;

	s2c_write(s, DIBS_CONSOLE_OFF_FLAGS, &flags, sizeof(flags), -1);
	s2c_write(s, DIBS_CONSOLE_OFF_CTL_SEQ, &seq, sizeof(seq),
		  DIBS_CONSOLE_SIG_CTL);
	dibsnl_event_signal(s->h, ref(s->dev), s->rgid,
			    cons_subtype(DIBS_CONSOLE_HANGUP,
					 DIBS_CONSOLE_HUP_CLOSED), s->c2s);
}

/* Keyboard bytes into S2C, as dibsctl sends them. */
static void srv_send(struct srv *s, const uint8_t *p, size_t len)
{
	uint32_t off[2];
	size_t n[2];
	unsigned int i, k;

	k = cons_ring_pieces(s->s2c_ring, s->prod, len, off, n);
	for (i = 0; i < k; i++) {
		s2c_write(s, off[i], p, n[i], -1);
		p += n[i];
	}
	s->prod += len;
	s2c_write(s, DIBS_CONSOLE_OFF_PROD, &s->prod, sizeof(s->prod),
		  DIBS_CONSOLE_SIG_DATA);
}

static uint64_t c2s_prod(struct srv *s)
{
	const uint64_t *q = (const uint64_t *)((const uint8_t *)s->map.addr +
					       DIBS_CONSOLE_OFF_PROD);
	uint64_t prod = __atomic_load_n(q, __ATOMIC_ACQUIRE);

	if (!cons_prod_valid(s->c2s_ring, prod, s->cons))
		die("the console wrote past the ring");
	return prod;
}

/*
 * Take up to @max bytes the console wrote into C2S (into @buf), ack as
 * dibsctl does; the number taken.
 */
static size_t srv_take(struct srv *s, uint8_t *buf, size_t max)
{
	uint64_t avail = c2s_prod(s) - s->cons;
	size_t len = avail < max ? (size_t)avail : max, n[2], got = 0;
	uint32_t off[2];
	unsigned int i, k;

	k = cons_ring_pieces(s->c2s_ring, s->cons, len, off, n);
	for (i = 0; i < k; i++) {
		memcpy(buf + got, (const uint8_t *)s->map.addr + off[i], n[i]);
		got += n[i];
	}
	s->cons += got;
	if (cons_should_ack(s->c2s_ring, s->cons, s->acked)) {
		s2c_write(s, DIBS_CONSOLE_OFF_ACK, &s->cons, sizeof(s->cons),
			  DIBS_CONSOLE_SIG_ACK);
		s->acked = s->cons;
	}
	return got;
}

static void srv_close(struct srv *s)
{
	srv_hangup(s);
	dibsnl_dmb_unmap(&s->map);
	dibsnl_close(s->sub);
	dibsnl_close(s->h);	/* its owned DMBs go with it */
}

/* ---------------------------------------------------------------- */
/* children */

static int tty_open_raw(const char *path)
{
	struct termios tio;
	int fd = open(path, O_RDWR | O_NOCTTY);

	if (fd < 0)
		die("cannot open %s: %s", path, strerror(errno));
	if (tcgetattr(fd, &tio))
		die("tcgetattr %s: %s", path, strerror(errno));
	cfmakeraw(&tio);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio))
		die("tcsetattr %s: %s", path, strerror(errno));
	return fd;
}

/* Tell the parent through @fd that the child is ready (or go on). */
static void pipe_put(int fd)
{
	if (write(fd, "r", 1) != 1)
		exit(1);
}

static void pipe_get(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, WAIT_MS) != 1 || read(fd, &c, 1) != 1)
		die("a child did not answer");
}

/*
 * The echo partner: TTY raw, every byte written back, until the tty
 * hangs up or the parent ends it.
 */
static void echo_child(const char *tty, int ready)
{
	uint8_t buf[256];
	ssize_t n;
	int fd = tty_open_raw(tty);

	pipe_put(ready);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if (write(fd, buf, (size_t)n) != n)
			_exit(1);
	}
}

/*
 * The signal partner: each signal for @mine (on @console, from the
 * server) answered with an empty write with signal 0 from @console into
 * @peer; until @stop (a pipe) closes.
 */
static void sig_child(const char *console, uint64_t mine, uint64_t peer,
		      int ready, int stop)
{
	struct dibsnl *h = open_h(0), *sub = open_h(DIBSNL_GROUP_SIGNAL);
	struct srv w = { .sub = sub };
	struct pollfd pfd[2] = {
		{ .fd = dibsnl_fd(sub), .events = POLLIN },
		{ .fd = stop, .events = POLLIN },
	};
	int err;

	pipe_put(ready);
	for (;;) {
		w.stop_at = mine;
		w.seen_stop = false;
		while (!w.seen_stop) {
			if (poll(pfd, 2, -1) < 0 && errno != EINTR)
				_exit(1);
			if (pfd[1].revents)
				_exit(0);
			err = dibsnl_ntf_dispatch(sub, srv_cb, &w);
			if (err < 0 && err != -EAGAIN && err != -ENOBUFS)
				die_nl(sub, "dispatch", err);
		}
		err = dibsnl_dmb_write(h, ref(console), peer, 0, NULL, 0, 0);
		if (err)
			die_nl(h, "signal partner: dmb-write", err);
	}
}

static pid_t fork_or_die(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("conbench: fork");
		exit(1);
	}
	/* a child never outlives us (an open tty would pin the module) */
	if (!pid && prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(1);
	return pid;
}

static void reap(pid_t pid, bool kill_it)
{
	int status;

	if (kill_it)
		kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) < 0) {
		perror("conbench: waitpid");
		exit(1);
	}
	if (!kill_it && (!WIFEXITED(status) || WEXITSTATUS(status)))
		die("a child failed");
}

/* ---------------------------------------------------------------- */
/* echo */

static uint64_t echo_once(struct srv *s, uint8_t c)
{
	uint64_t t0, t;
	uint8_t back;

	srv_flush(s);
	t0 = now_ns();
	srv_send(s, &c, 1);
	while (c2s_prod(s) == s->cons)
		srv_wait_signal(s, s->c2s);
	t = now_ns() - t0;
	if (srv_take(s, &back, 1) != 1 || back != c)
		die("the echo is not the byte sent");
	if (c2s_prod(s) != s->cons)
		die("the echo brought more than one byte");
	return t;
}

static uint64_t sigrtt_once(struct srv *s, uint64_t peer, uint64_t mine)
{
	uint64_t t0;
	int err;

	srv_flush(s);
	t0 = now_ns();
	err = dibsnl_dmb_write(s->h, ref(s->dev), peer, 0, NULL, 0, 0);
	if (err)
		die_nl(s->h, "dmb-write with signal", err);
	srv_wait_signal(s, mine);
	return now_ns() - t0;
}

static int cmd_echo(int argc, char **argv)
{
	const char *server, *console, *tty;
	uint64_t *echo, *rtt, mine, peer;
	struct srv s = { 0 };
	struct dibsnl_dmb dmb;
	unsigned long count, i;
	uint8_t sgid[DIBSNL_GID_LEN];
	struct dibsnl_dev dev;
	pid_t echo_pid, sig_pid;
	int ready[2], stop[2], err;

	if (argc != 4)
		return 2;
	server = argv[0];
	console = argv[1];
	tty = argv[2];
	count = arg_num(argv[3]);
	echo = times(count);
	rtt = times(count);

	/* the echo partner has the tty open before the session starts */
	if (pipe(ready)) {
		perror("conbench: pipe");
		return 1;
	}
	echo_pid = fork_or_die();
	if (!echo_pid)
		echo_child(tty, ready[1]);
	pipe_get(ready[0]);
	/* made after the echo partner's fork: only we hold its write end */
	if (pipe(stop)) {
		perror("conbench: pipe");
		return 1;
	}

	srv_connect(&s, server, console);
	/* the signal partner's DMBs: one each way, owned by this process */
	dev_get(s.h, server, &dev);
	memcpy(sgid, dev.gid, DIBSNL_GID_LEN);
	err = dibsnl_dmb_grant(s.h, ref(console), sgid, 4096, true, &dmb);
	if (err)
		die_nl(s.h, "dmb-grant", err);
	peer = dmb.token;
	err = dibsnl_dmb_grant(s.h, ref(server), s.rgid, 4096, true, &dmb);
	if (err)
		die_nl(s.h, "dmb-grant", err);
	mine = dmb.token;
	sig_pid = fork_or_die();
	if (!sig_pid) {
		close(stop[1]);
		sig_child(console, peer, mine, ready[1], stop[0]);
	}
	close(stop[0]);
	pipe_get(ready[0]);

	for (i = 0; i < WARMUP; i++) {
		echo_once(&s, (uint8_t)i);
		sigrtt_once(&s, peer, mine);
	}
	for (i = 0; i < count; i++) {
		if (i % 2) {
			echo[i] = echo_once(&s, (uint8_t)(i * 7 + 1));
			rtt[i] = sigrtt_once(&s, peer, mine);
		} else {
			rtt[i] = sigrtt_once(&s, peer, mine);
			echo[i] = echo_once(&s, (uint8_t)(i * 7 + 1));
		}
	}
	report_each("echo", echo, count);
	report_each("sigrtt", rtt, count);

	close(stop[1]);
	reap(sig_pid, false);
	srv_close(&s);		/* HANGUP: the tty hangs up, the echo ends */
	reap(echo_pid, true);
	free(echo);
	free(rtt);
	return 0;
}

/* ---------------------------------------------------------------- */
/* bulk */

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 12));
}

/* The writer: @path raw, @bytes of the pattern once the parent says go. */
static void write_child(const char *path, uint64_t bytes, int ready, int go)
{
	static uint8_t buf[WCHUNK];
	uint64_t done = 0;
	size_t len, i;
	ssize_t n;
	int fd = tty_open_raw(path);

	pipe_put(ready);
	pipe_get(go);
	while (done < bytes) {
		len = bytes - done < WCHUNK ? (size_t)(bytes - done) : WCHUNK;
		for (i = 0; i < len; i++)
			buf[i] = pattern(done + i);
		for (i = 0; i < len; i += (size_t)n) {
			n = write(fd, buf + i, len - i);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0)
				_exit(1);
		}
		done += len;
	}
	_exit(0);
}

static void check_bytes(const uint8_t *buf, size_t len, uint64_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern(pos + i))
			die("byte %s of the transfer is wrong (%s)",
			    "?", "lost, reordered or changed");
}

/*
 * One transfer: a writer child on @path; this process reads @bytes from
 * the console's C2S (@s) or from @master. The time from go to the last
 * byte.
 */
static uint64_t bulk_once(struct srv *s, int master, const char *path,
			  uint64_t bytes)
{
	static uint8_t buf[WCHUNK];
	int ready[2], go[2];
	uint64_t t0, got = 0;
	struct pollfd pfd;
	ssize_t n;
	pid_t pid;

	if (pipe(ready) || pipe(go)) {
		perror("conbench: pipe");
		exit(1);
	}
	pid = fork_or_die();
	if (!pid)
		write_child(path, bytes, ready[1], go[0]);
	pipe_get(ready[0]);
	if (s)
		srv_flush(s);
	t0 = now_ns();
	pipe_put(go[1]);
	while (got < bytes) {
		if (s) {
			n = (ssize_t)srv_take(s, buf, sizeof(buf));
			if (!n) {
				s->stop_at = s->c2s;
				if (!srv_pump(s, WAIT_MS))
					die("no data from the console within %d ms",
					    WAIT_MS);
				continue;
			}
		} else {
			pfd = (struct pollfd){ .fd = master, .events = POLLIN };
			if (poll(&pfd, 1, WAIT_MS) != 1)
				die("no data from the pty within %d ms",
				    WAIT_MS);
			n = read(master, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("reading the pty\'s master: %s",
				    n ? strerror(errno) : "EOF");
		}
		check_bytes(buf, (size_t)n, got);
		got += (uint64_t)n;
	}
	t0 = now_ns() - t0;
	if (got != bytes)
		die("more bytes than written");
	reap(pid, false);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	return t0;
}

static int cmd_bulk(int argc, char **argv)
{
	const char *slave;
	uint64_t *tcon, *tpty, bytes;
	struct srv s = { 0 };
	unsigned long count, i;
	int master, hold_tty, hold_pty;

	if (argc != 5)
		return 2;
	bytes = arg_num(argv[3]);
	count = arg_num(argv[4]);
	tcon = times(count);
	tpty = times(count);

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    !(slave = ptsname(master)))
		die("cannot make a pty pair: %s", strerror(errno));
	/*
	 * Both ttys held open here for the whole run: a writer's close is
	 * never the last one (no hangup, no flush of what is in flight).
	 */
	hold_pty = tty_open_raw(slave);
	hold_tty = tty_open_raw(argv[2]);
	srv_connect(&s, argv[0], argv[1]);

	bulk_once(&s, -1, argv[2], bytes);	/* unmeasured */
	bulk_once(NULL, master, slave, bytes);
	for (i = 0; i < count; i++) {
		if (i % 2) {
			tpty[i] = bulk_once(NULL, master, slave, bytes);
			tcon[i] = bulk_once(&s, -1, argv[2], bytes);
		} else {
			tcon[i] = bulk_once(&s, -1, argv[2], bytes);
			tpty[i] = bulk_once(NULL, master, slave, bytes);
		}
	}
	printf("bulk_bytes %llu\n", (unsigned long long)bytes);
	report_each("bulk_console", tcon, count);
	report_each("bulk_pty", tpty, count);

	srv_close(&s);
	close(hold_tty);
	close(hold_pty);
	close(master);
	free(tcon);
	free(tpty);
	return 0;
}

static void on_alarm(int sig)
{
	static const char msg[] = "conbench: still running after 600 s: stopped\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

int main(int argc, char **argv)
{
	int rc = 2;

	signal(SIGPIPE, SIG_IGN);
	/* a wait this program forgot to bound fails the run, not the suite */
	signal(SIGALRM, on_alarm);
	alarm(600);
	if (argc >= 2 && !strcmp(argv[1], "echo"))
		rc = cmd_echo(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "bulk"))
		rc = cmd_bulk(argc - 2, argv + 2);
	if (rc != 2)
		return rc;
	fprintf(stderr,
		"usage: conbench echo SERVER CONSOLE TTY COUNT\n"
		"       conbench bulk SERVER CONSOLE TTY BYTES COUNT\n");
	return 2;
}
