// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl console: the terminal server of console over dibs
 * (uapi/dibs-console.md) and the local consoles' configuration in sysfs.
 *
 *   dibsctl console connect dev DEV remote-gid GID [ log FILE ]
 *                           [ linger SECS ]
 *   dibsctl console enable dev DEV allow GID [ allow GID ... ]
 *   dibsctl console disable dev DEV
 *   dibsctl console show [ dev DEV ]
 *
 * connect grants C2S (owned: it goes with this process), sends HELLO and
 * waits for ACCEPT or REFUSE; then stdin goes into S2C and C2S to stdout.
 * Every message of its own goes to stderr: stdout is the console's.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "console_proto.h"
#include "dibsctl.h"

#define DIBS_EV_DEV		1	/* DIBS_DEV_EVENT */
#define DIBS_EV_DEV_DISABLED	1	/* DIBS_DEV_DISABLED */
#define DIBS_EV_SW		2	/* DIBS_SW_EVENT */

#define HELLO_FIRST_MS		1000	/* no answer: HELLO again after 1 s, */
#define HELLO_NEXT_MS		5000	/* then every 5 s */
#define ENOBUFS_RETRY_MS	100
#define NOTTY_CONNECT_MS	10000	/* a script waits this long for ACCEPT */
#define TICK_MS			1000	/* look at C2S even without a signal */
#define IO_CHUNK		65536

/* ---------------------------------------------------------------- */
/* the terminal */

static struct termios saved_tio;
static bool tio_saved;

static void term_restore(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = false;
	}
}

static int term_raw(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		return -errno;
	raw = saved_tio;
	cfmakeraw(&raw);
	tio_saved = true;
	atexit(term_restore);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)) {
		tio_saved = false;
		return -errno;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* the session */

enum sess_state {
	S_HELLO,		/* HELLO sent, no answer yet */
	S_CONNECTED,
	S_DONE,
};

struct sess {
	struct dctl *d;
	struct dibsnl *h;		/* requests */
	struct dibsnl *sub;		/* notifications: mgmt and signal */
	struct devarg da;
	uint32_t dev_index;
	uint8_t rgid[DIBSNL_GID_LEN];
	char rgid_str[DIBSNL_GID_STR_LEN];
	bool tty;			/* stdin is a terminal: raw, escape */
	int log_fd;
	int sig_fd;
	unsigned int linger_ms;

	enum sess_state state;
	int exit_status;		/* when S_DONE */
	bool hangup_sent;

	/* C2S: ours, the console writes */
	uint64_t c2s;
	bool have_c2s;
	struct dibsnl_dmb_map map;	/* owner's view, or none */
	bool mapped;
	uint64_t c2s_ring;
	uint64_t cons;			/* bytes consumed from C2S */
	uint64_t acked;			/* the last ack we wrote */

	/* S2C: the console's, we write */
	uint64_t s2c;
	uint64_t s2c_ring;
	uint64_t prod;			/* bytes written into S2C */
	uint64_t peer_ack;		/* the console's ack of them */
	uint32_t flags;
	uint32_t ctl_seq;

	/* HELLO timing and the end of stdin */
	uint64_t hello_at;		/* next HELLO, ms */
	unsigned int hellos;
	uint64_t give_up_at;		/* 0: never */
	bool stdin_eof;
	uint64_t quiet_until;		/* after EOF: hang up when reached */

	uint8_t buf[IO_CHUNK];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A message of the session on stderr, at the start of a line in raw mode. */
static void __printf(2, 3) sess_msg(const struct sess *s, const char *fmt, ...)
{
	va_list ap;

	fputs(s->tty ? "\r\n" : "", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(s->tty ? "\r\n" : "\n", stderr);
}

static void sess_end(struct sess *s, int status)
{
	if (s->state != S_DONE) {
		s->state = S_DONE;
		s->exit_status = status;
	}
}

static bool peer_gone_err(int err)
{
	return err == -ENOENT || err == -EACCES || err == -ENETUNREACH ||
	       err == -ENODEV || err == -ENETDOWN;
}

/* A failed write into S2C: the console (or our device) is gone. */
static void write_failed(struct sess *s, int err)
{
	if (s->state == S_DONE)
		return;
	if (peer_gone_err(err))
		sess_msg(s, "Error: the console of remote-gid %s is gone (writing into its DMB: %s)",
			 s->rgid_str, strerror(-err));
	else
		sess_msg(s, "Error: writing into the console's DMB: %s%s%s",
			 strerror(-err), *dibsnl_errmsg(s->h) ? ": " : "",
			 dibsnl_errmsg(s->h));
	sess_end(s, EXIT_FAIL);
}

static int s2c_write(struct sess *s, uint32_t off, const void *p, size_t len,
		     int sig)
{
	int err = dibsnl_dmb_write(s->h, s->da.ref, s->s2c, off, p, len, sig);

	if (err)
		write_failed(s, err);
	return err;
}

/* A header field of S2C: @len bytes of @val, little-endian on the wire. */
static int s2c_put_le(struct sess *s, uint32_t off, uint64_t val, size_t len,
		      int sig)
{
	uint8_t b[8];

	cons_le_put(b, val, len);
	return s2c_write(s, off, b, len, sig);
}

static int send_event(struct sess *s, enum dibs_console_msg msg, uint8_t param,
		      uint64_t data)
{
	int err, tries = 0;

	for (;;) {
		err = dibsnl_event_signal(s->h, s->da.ref, s->rgid,
					  cons_subtype(msg, param), data);
		if (err != -ENOBUFS || ++tries > 20)
			return err;
		poll(NULL, 0, ENOBUFS_RETRY_MS);
	}
}

static void c2s_release(struct sess *s)
{
	if (s->mapped)
		dibsnl_dmb_unmap(&s->map);
	s->mapped = false;
	if (s->have_c2s)
		dibsnl_dmb_revoke(s->h, s->da.ref, s->c2s);
	s->have_c2s = false;
}

/* Grant a fresh C2S (the previous one revoked) and send HELLO. */
static int hello(struct sess *s)
{
	struct dibsnl_dmb dmb;
	int err;

	c2s_release(s);
	s->c2s_ring = 1ull << DIBS_CONSOLE_RING_ORDER;
	/* soft devices hand out zeroed DMBs: nothing written reads as 0 */
	err = dibsnl_dmb_grant(s->h, s->da.ref, s->rgid,
			       DIBS_CONSOLE_OFF_RING + (uint32_t)s->c2s_ring, true,
			       &dmb);
	if (err)
		return nl_dev_err(s->d, err, &s->da);
	s->c2s = dmb.token;
	s->have_c2s = true;
	s->mapped = dibsnl_dmb_map(s->h, s->da.ref, s->c2s, 0, &s->map) == 0;
	s->cons = 0;
	s->acked = 0;
	err = send_event(s, DIBS_CONSOLE_HELLO, DIBS_CONSOLE_RING_ORDER, s->c2s);
	if (err) {
		switch (err) {
		case -ENETUNREACH:
			pr_err("remote-gid %s is not reachable through dev \"%s\" (no such device on its fabric, or it is down)",
			       s->rgid_str, devarg_str(&s->da));
			break;
		case -EOPNOTSUPP:
			pr_err("dev \"%s\" cannot send events, which the console's handshake needs",
			       devarg_str(&s->da));
			break;
		default:
			return nl_dev_err(s->d, err, &s->da);
		}
		return EXIT_FAIL;
	}
	s->hellos++;
	s->hello_at = now_ms() + (s->hellos == 1 ? HELLO_FIRST_MS :
				  HELLO_NEXT_MS);
	return EXIT_OK;
}

/* The window size of the terminal into S2C: rows, cols, then ctl_seq. */
static void send_winsize(struct sess *s)
{
	struct winsize ws;

	if (!s->tty || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row)
		return;
	if (s2c_put_le(s, DIBS_CONSOLE_OFF_ROWS, ws.ws_row, 2, -1) ||
	    s2c_put_le(s, DIBS_CONSOLE_OFF_COLS, ws.ws_col, 2, -1))
		return;
	s->ctl_seq++;
	s2c_put_le(s, DIBS_CONSOLE_OFF_CTL_SEQ, s->ctl_seq, 4,
		   DIBS_CONSOLE_SIG_CTL);
}

/* HANGUP: flags bit 0 in S2C with bit 2, then the event; errors ignored. */
static void send_hangup(struct sess *s, enum dibs_console_hangup reason)
{
	if (s->hangup_sent || !s->have_c2s)
		return;
	s->hangup_sent = true;
	if (s->s2c) {
		uint8_t flags[4], seq[4];

		s->flags |= DIBS_CONSOLE_FLAG_HANGUP;
		s->ctl_seq++;
		cons_le_put(flags, s->flags, sizeof(flags));
		cons_le_put(seq, s->ctl_seq, sizeof(seq));
		if (!dibsnl_dmb_write(s->h, s->da.ref, s->s2c, DIBS_CONSOLE_OFF_FLAGS,
				      flags, sizeof(flags), -1))
			dibsnl_dmb_write(s->h, s->da.ref, s->s2c,
					 DIBS_CONSOLE_OFF_CTL_SEQ, seq, sizeof(seq),
					 DIBS_CONSOLE_SIG_CTL);
	}
	send_event(s, DIBS_CONSOLE_HANGUP, reason, s->c2s);
}

static void c2s_drain(struct sess *s);

static void on_accept(struct sess *s, unsigned int shift, uint64_t token)
{
	static const uint8_t magic[4] = DIBS_CONSOLE_MAGIC;

	if (shift < DIBS_CONSOLE_RING_ORDER_MIN || shift > DIBS_CONSOLE_RING_ORDER_MAX) {
		sess_msg(s, "Error: the console of remote-gid %s answered with a ring of 2^%u bytes (protocol error)",
			 s->rgid_str, shift);
		sess_end(s, EXIT_FAIL);
		return;
	}
	s->s2c = token;
	s->s2c_ring = 1ull << shift;
	s->prod = 0;
	s->peer_ack = 0;
	s->state = S_CONNECTED;
	if (s2c_write(s, DIBS_CONSOLE_OFF_MAGIC, magic, sizeof(magic), -1))
		return;
	if (s->tty) {
		if (term_raw())
			pr_warn("cannot put the terminal into raw mode: %s",
				strerror(errno));
		sess_msg(s, "Connected to the console of remote-gid %s through dev \"%s\".",
			 s->rgid_str, devarg_str(&s->da));
		sess_msg(s, "Escape character is ^] (Ctrl-])");
	}
	send_winsize(s);
	c2s_drain(s);	/* what the console wrote before we knew */
}

/* ---------------------------------------------------------------- */
/* C2S to stdout */

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				poll(&pfd, 1, -1);
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int c2s_read(struct sess *s, uint32_t off, void *buf, size_t len)
{
	if (s->mapped) {
		memcpy(buf, (const uint8_t *)s->map.addr + off, len);
		return 0;
	}
	return dibsnl_dmb_read(s->h, s->da.ref, s->c2s, off, buf, len);
}

static int c2s_hdr(struct sess *s, struct cons_hdr *hd)
{
	const uint8_t *m = s->map.addr;
	uint8_t raw[CONS_HDR_READ];
	int err;

	if (s->mapped) {
		/* each field as one load: the writer stores it as one */
		hd->prod = le64toh(__atomic_load_n((const uint64_t *)(m + DIBS_CONSOLE_OFF_PROD),
						   __ATOMIC_ACQUIRE));
		hd->ack = le64toh(__atomic_load_n((const uint64_t *)(m + DIBS_CONSOLE_OFF_ACK),
						  __ATOMIC_ACQUIRE));
		hd->flags = le32toh(__atomic_load_n((const uint32_t *)(m + DIBS_CONSOLE_OFF_FLAGS),
						    __ATOMIC_ACQUIRE));
		return 0;
	}
	err = dibsnl_dmb_read(s->h, s->da.ref, s->c2s, 0, raw, sizeof(raw));
	if (err)
		return err;
	cons_hdr_parse(raw, hd);
	return 0;
}

/* Everything the console wrote since we last looked. */
static void c2s_drain(struct sess *s)
{
	uint32_t off[2];
	size_t n[2], len;
	struct cons_hdr hd;
	unsigned int i, k;
	bool got = false;
	int err;

	if (s->state != S_CONNECTED)
		return;
	err = c2s_hdr(s, &hd);
	if (err) {
		sess_msg(s, "Error: reading our DMB of the session: %s",
			 strerror(-err));
		sess_end(s, EXIT_FAIL);
		return;
	}
	if (hd.ack - s->peer_ack <= s->prod - s->peer_ack)
		s->peer_ack = hd.ack;
	if (!cons_prod_valid(s->c2s_ring, hd.prod, s->cons)) {
		sess_msg(s, "Error: the console of remote-gid %s wrote past the ring (prod %" PRIu64 ", consumed %" PRIu64 "): protocol error",
			 s->rgid_str, hd.prod, s->cons);
		send_hangup(s, DIBS_CONSOLE_HUP_CLOSED);
		sess_end(s, EXIT_FAIL);
		return;
	}
	while (s->cons != hd.prod) {
		len = hd.prod - s->cons;
		if (len > sizeof(s->buf))
			len = sizeof(s->buf);
		k = cons_ring_pieces(s->c2s_ring, s->cons, len, off, n);
		len = 0;
		for (i = 0; i < k; i++) {
			err = c2s_read(s, off[i], s->buf + len, n[i]);
			if (err) {
				sess_msg(s, "Error: reading our DMB of the session: %s",
					 strerror(-err));
				sess_end(s, EXIT_FAIL);
				return;
			}
			len += n[i];
		}
		err = write_all(STDOUT_FILENO, s->buf, len);
		if (err) {
			if (err != -EPIPE)
				sess_msg(s, "Error: writing to stdout: %s",
					 strerror(-err));
			send_hangup(s, DIBS_CONSOLE_HUP_CLOSED);
			sess_end(s, EXIT_FAIL);
			return;
		}
		if (s->log_fd >= 0 && write_all(s->log_fd, s->buf, len)) {
			sess_msg(s, "Warning: writing the log failed: %s; logging stops",
				 strerror(errno));
			close(s->log_fd);
			s->log_fd = -1;
		}
		s->cons += len;
		got = true;
	}
	if (got && s->stdin_eof)
		s->quiet_until = now_ms() + s->linger_ms;
	if (cons_should_ack(s->c2s_ring, s->cons, s->acked)) {
		if (!s2c_put_le(s, DIBS_CONSOLE_OFF_ACK, s->cons, 8,
				DIBS_CONSOLE_SIG_ACK))
			s->acked = s->cons;
	}
	if (hd.flags & DIBS_CONSOLE_FLAG_HANGUP) {
		sess_msg(s, "The console of remote-gid %s hung up.",
			 s->rgid_str);
		sess_end(s, EXIT_FAIL);
	}
}

/* ---------------------------------------------------------------- */
/* stdin to S2C */

static void s2c_send(struct sess *s, const uint8_t *p, size_t len)
{
	uint32_t off[2];
	size_t n[2];
	unsigned int i, k;

	k = cons_ring_pieces(s->s2c_ring, s->prod, len, off, n);
	for (i = 0; i < k; i++) {
		if (s2c_write(s, off[i], p, n[i], -1))
			return;
		p += n[i];
	}
	s->prod += len;
	s2c_put_le(s, DIBS_CONSOLE_OFF_PROD, s->prod, 8, DIBS_CONSOLE_SIG_DATA);
}

static void stdin_read(struct sess *s)
{
	uint64_t room = cons_room(s->s2c_ring, s->prod, s->peer_ack);
	size_t want = room < sizeof(s->buf) ? (size_t)room : sizeof(s->buf);
	size_t pass;
	bool esc;
	ssize_t n;

	if (!want)
		return;
	n = read(STDIN_FILENO, s->buf, want);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		sess_msg(s, "Error: reading stdin: %s", strerror(errno));
		send_hangup(s, DIBS_CONSOLE_HUP_CLOSED);
		sess_end(s, EXIT_FAIL);
		return;
	}
	if (n == 0) {
		s->stdin_eof = true;
		s->quiet_until = now_ms() + s->linger_ms;
		return;
	}
	pass = (size_t)n;
	esc = false;
	if (s->tty)
		pass = cons_escape_scan(s->buf, (size_t)n, &esc);
	if (pass)
		s2c_send(s, s->buf, pass);
	if (esc && s->state == S_CONNECTED) {
		send_hangup(s, DIBS_CONSOLE_HUP_CLOSED);
		sess_msg(s, "Disconnected from the console of remote-gid %s.",
			 s->rgid_str);
		sess_end(s, EXIT_OK);
	}
}

/* ---------------------------------------------------------------- */
/* notifications */

static int on_ntf(const struct dibsnl_ntf *ntf, void *arg)
{
	struct sess *s = arg;
	const struct dibsnl_event *ev = &ntf->event;
	unsigned int ver, msg, param;

	switch (ntf->kind) {
	case DIBSNL_NTF_SIGNAL:
		if (ntf->signal.dev_index == s->dev_index && s->have_c2s &&
		    ntf->signal.token == s->c2s)
			c2s_drain(s);
		break;
	case DIBSNL_NTF_DEV_DEL:
		if (ntf->dev.index == s->dev_index) {
			sess_msg(s, "Error: dev \"%s\" was deleted: the session ends",
				 devarg_str(&s->da));
			s->have_c2s = false;
			sess_end(s, EXIT_FAIL);
		}
		break;
	case DIBSNL_NTF_DEV_CHANGE:
		if (ntf->dev.index == s->dev_index &&
		    ntf->dev.state != DIBSNL_DEV_UP) {
			sess_msg(s, "Error: dev \"%s\" went down: the session ends",
				 devarg_str(&s->da));
			sess_end(s, EXIT_FAIL);
		}
		break;
	case DIBSNL_NTF_DMB_DEL:
		if (s->have_c2s && ntf->dmb.token == s->c2s &&
		    ntf->dmb.dev_index == s->dev_index) {
			sess_msg(s, "Error: our DMB of the session on dev \"%s\" went away: the session ends",
				 devarg_str(&s->da));
			s->have_c2s = false;
			sess_end(s, EXIT_FAIL);
		}
		break;
	case DIBSNL_NTF_EVENT:
		if (ev->dev_index != s->dev_index ||
		    memcmp(ev->gid, s->rgid, DIBSNL_GID_LEN))
			break;
		if (ev->type == DIBS_EV_DEV &&
		    ev->subtype == DIBS_EV_DEV_DISABLED) {
			sess_msg(s, "Error: the device of remote-gid %s was disabled: the session ends",
				 s->rgid_str);
			sess_end(s, EXIT_FAIL);
			break;
		}
		if (ev->type != DIBS_EV_SW ||
		    !cons_subtype_parse(ev->subtype, &ver, &msg, &param) ||
		    ver != DIBS_CONSOLE_VERSION)
			break;
		if (msg == DIBS_CONSOLE_REFUSE && s->state == S_HELLO) {
			sess_msg(s, "Error: the console of remote-gid %s refused the connection: %s",
				 s->rgid_str, cons_refuse_str(param));
			sess_end(s, EXIT_FAIL);
		} else if (msg == DIBS_CONSOLE_ACCEPT && s->state == S_HELLO) {
			on_accept(s, param, ev->data);
		} else if (msg == DIBS_CONSOLE_HANGUP && s->state == S_CONNECTED &&
			   ev->data == s->s2c) {
			sess_msg(s, "The console of remote-gid %s hung up: %s.",
				 s->rgid_str, cons_hangup_str(param));
			sess_end(s, EXIT_FAIL);
		}
		break;
	default:
		break;
	}
	return s->state == S_DONE ? 1 : 0;
}

static void ntf_read(struct sess *s)
{
	int err = dibsnl_ntf_dispatch(s->sub, on_ntf, s);

	if (err == -ENOBUFS)	/* some were lost: look at C2S anyway */
		c2s_drain(s);
	else if (err < 0 && err != -EAGAIN && err != -EINVAL)
		pr_warn("reading notifications: %s", strerror(-err));
}

static void sig_read(struct sess *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			if (s->state == S_CONNECTED)
				send_winsize(s);
			continue;
		}
		send_hangup(s, DIBS_CONSOLE_HUP_CLOSED);
		sess_msg(s, "Disconnected from the console of remote-gid %s: %s.",
			 s->rgid_str, strsignal((int)si.ssi_signo));
		sess_end(s, 128 + (int)si.ssi_signo);
	}
}

/* ---------------------------------------------------------------- */

static int sess_loop(struct sess *s)
{
	struct pollfd pfd[3];
	uint64_t now, wake;
	int rc, timeout;

	while (s->state != S_DONE) {
		now = now_ms();
		if (s->state == S_HELLO) {
			if (s->give_up_at && now >= s->give_up_at) {
				sess_msg(s, "Error: no answer from the console of remote-gid %s through dev \"%s\" (is dibs_console loaded and enabled there?)",
					 s->rgid_str, devarg_str(&s->da));
				sess_end(s, EXIT_FAIL);
				break;
			}
			if (now >= s->hello_at) {
				if (s->hellos == 1)
					sess_msg(s, "No answer yet from the console of remote-gid %s; trying again (Ctrl-C to give up).",
						 s->rgid_str);
				rc = hello(s);
				if (rc) {
					sess_end(s, rc);
					break;
				}
			}
			wake = s->hello_at;
			if (s->give_up_at && s->give_up_at < wake)
				wake = s->give_up_at;
		} else {
			if (s->stdin_eof && now >= s->quiet_until) {
				send_hangup(s, DIBS_CONSOLE_HUP_CLOSED);
				sess_end(s, EXIT_OK);
				break;
			}
			wake = now + TICK_MS;
			if (s->stdin_eof && s->quiet_until < wake)
				wake = s->quiet_until;
		}
		timeout = wake > now ? (int)(wake - now) : 0;

		pfd[0] = (struct pollfd){ .fd = dibsnl_fd(s->sub),
					  .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = -1 };
		if (s->state == S_CONNECTED && !s->stdin_eof &&
		    cons_room(s->s2c_ring, s->prod, s->peer_ack))
			pfd[2] = (struct pollfd){ .fd = STDIN_FILENO,
						  .events = POLLIN };
		rc = poll(pfd, 3, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			sess_end(s, EXIT_FAIL);
			break;
		}
		if (pfd[1].revents)
			sig_read(s);
		if (s->state != S_DONE && pfd[0].revents)
			ntf_read(s);
		if (s->state == S_CONNECTED && pfd[2].revents)
			stdin_read(s);
		if (s->state == S_CONNECTED && rc == 0)
			c2s_drain(s);	/* the tick: nothing may wait unseen */
	}
	return s->exit_status;
}

enum { K_C_DEV, K_C_RGID, K_C_LOG, K_C_LINGER, K_C_ALLOW };

static const struct kw connect_kws[] = {
	{ "dev", 0, K_C_DEV },
	{ "remote-gid", 0, K_C_RGID },
	{ "log", 0, K_C_LOG },
	{ "linger", 0, K_C_LINGER },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

static int console_connect(struct cmdline *c)
{
	struct dctl *d = c->d;
	struct sess *s;
	const char *v, *log = NULL;
	bool has_dev = false, has_rgid = false, has_linger = false;
	struct dibsnl_dev dev;
	sigset_t mask;
	uint32_t linger = 1;
	int id, rc, err, fd;

	s = calloc(1, sizeof(*s));
	if (!s) {
		pr_err("out of memory");
		return EXIT_FAIL;
	}
	s->d = d;
	s->log_fd = -1;
	s->sig_fd = -1;
	rc = EXIT_OK;
	while (c->argc) {
		id = next_kw(c, connect_kws, &rc);
		if (id < 0)
			goto out;
		switch (id) {
		case K_C_DEV:
			rc = arg_once(c, "dev", has_dev, &v);
			if (!rc)
				rc = devarg_parse(c, "dev", v, &s->da);
			has_dev = true;
			break;
		case K_C_RGID:
			rc = arg_once(c, "remote-gid", has_rgid, &v);
			if (!rc)
				rc = arg_gid(c, "remote-gid", v, s->rgid);
			has_rgid = true;
			break;
		case K_C_LOG:
			rc = arg_once(c, "log", log, &log);
			break;
		case K_C_LINGER:
			rc = arg_once(c, "linger", has_linger, &v);
			if (!rc)
				rc = arg_u32(c, "linger", v, 3600, &linger);
			has_linger = true;
			break;
		}
		if (rc)
			goto out;
	}
	if (!has_dev) {
		rc = usage_err(c, "\"dev\" is needed");
		goto out;
	}
	if (!has_rgid) {
		rc = usage_err(c, "\"remote-gid\" is needed");
		goto out;
	}
	dibsnl_gid_format(s->rgid, s->rgid_str);
	s->linger_ms = linger * 1000;
	s->tty = isatty(STDIN_FILENO);

	rc = EXIT_FAIL;
	if (!dctl_nl(d))
		goto out;
	s->h = d->h;
	if (devarg_resolve(d, &s->da))
		goto out;
	err = dibsnl_dev_get(s->h, s->da.ref, &dev);
	if (err) {
		rc = nl_dev_err(d, err, &s->da);
		goto out;
	}
	s->dev_index = dev.index;
	snprintf(s->da.name, sizeof(s->da.name), "%s", dev.name);
	if (log) {
		s->log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
				 0600);
		if (s->log_fd < 0) {
			pr_err("cannot open log \"%s\": %s", log,
			       strerror(errno));
			goto out;
		}
	}
	err = dibsnl_open(&s->sub);
	if (!err)
		err = dibsnl_subscribe(s->sub,
				       DIBSNL_GROUP_MGMT | DIBSNL_GROUP_SIGNAL);
	if (err) {
		pr_err("cannot listen to dibs notifications: %s%s",
		       strerror(-err), err == -EPERM ?
		       " (joining them needs CAP_NET_ADMIN)" : "");
		goto out;
	}
	fd = dibsnl_fd(s->sub);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	/*
	 * Signals arrive through a signalfd: none kills us before the
	 * terminal is restored and the console told.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0) {
		pr_err("signalfd: %s", strerror(errno));
		goto out;
	}

	s->state = S_HELLO;
	rc = hello(s);
	if (rc)
		goto out;
	if (!s->tty)
		s->give_up_at = now_ms() + NOTTY_CONNECT_MS;
	rc = sess_loop(s);
out:
	term_restore();
	if (s->h)
		c2s_release(s);
	if (s->sub)
		dibsnl_close(s->sub);
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	if (s->log_fd >= 0)
		close(s->log_fd);
	free(s);
	return rc;
}

/* ---------------------------------------------------------------- */
/* the local consoles: /sys/class/dibs/DEV/console/ */

static const char *sysfs_root(void)
{
	const char *r = getenv("DIBSCTL_SYSFS");

	return r && *r ? r : "/sys";
}

static void cons_path(char *buf, size_t len, const char *dev,
		      const char *file)
{
	snprintf(buf, len, "%s/class/dibs/%s/console%s%s", sysfs_root(), dev,
		 file ? "/" : "", file ? file : "");
}

/*
 * The name of the device @da names, with its console directory checked:
 * EXIT_OK or a message naming what is missing.
 */
static int cons_dev(struct dctl *d, struct devarg *da, char *name)
{
	struct dibsnl_dev dev;
	char path[512];
	int err;

	if (da->is_index) {
		if (!dctl_nl(d) || devarg_resolve(d, da))
			return EXIT_FAIL;
		err = dibsnl_dev_get(d->h, da->ref, &dev);
		if (err)
			return nl_dev_err(d, err, da);
		snprintf(name, DIBSNL_NAME_MAX, "%s", dev.name);
	} else {
		snprintf(name, DIBSNL_NAME_MAX, "%s", da->name);
	}
	snprintf(path, sizeof(path), "%s/class/dibs/%s", sysfs_root(), name);
	if (access(path, F_OK)) {
		pr_err("no such dibs device \"%s\"", name);
		return EXIT_FAIL;
	}
	cons_path(path, sizeof(path), name, NULL);
	if (access(path, F_OK)) {
		pr_err("dev \"%s\" has no console: is the module dibs_console loaded? (%s is missing)",
		       name, path);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int cons_write(const char *dev, const char *file, const char *val)
{
	char path[512];
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	cons_path(path, sizeof(path), dev, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("dev \"%s\": cannot open %s: %s", dev, path,
		       strerror(errno));
		return EXIT_FAIL;
	}
	/* an empty list is one newline: a write of nothing reaches no store */
	n = write(fd, len ? val : "\n", len ? len : 1);
	if (n < 0) {
		pr_err("dev \"%s\": writing %s refused: %s", dev, file,
		       strerror(errno));
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	return EXIT_OK;
}

/* A sysfs file's text, trailing newline cut; NULL when it cannot be read. */
static char *cons_read(const char *dev, const char *file, char *buf,
		       size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	cons_path(path, sizeof(path), dev, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

/* The one "dev DEV" argument of enable, disable and show. */
static int dev_kw(struct cmdline *c, struct devarg *da, bool *has)
{
	const char *v;

	if (*has)
		return dup_err(c, "dev");
	v = arg_value(c, "dev");
	if (!v)
		return EXIT_USAGE;
	*has = true;
	return devarg_parse(c, "dev", v, da);
}

#define ALLOW_MAX	64

static const struct kw enable_kws[] = {
	{ "dev", 0, K_C_DEV },
	{ "allow", 0, K_C_ALLOW },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

static int console_enable(struct cmdline *c)
{
	char list[ALLOW_MAX * DIBSNL_GID_STR_LEN + 1] = "";
	char name[DIBSNL_NAME_MAX], gid[DIBSNL_GID_STR_LEN];
	uint8_t raw[DIBSNL_GID_LEN];
	unsigned int n = 0;
	bool has_dev = false;
	struct devarg da;
	const char *v;
	int id, rc;

	while (c->argc) {
		id = next_kw(c, enable_kws, &rc);
		if (id < 0)
			return rc;
		if (id == K_C_DEV) {
			rc = dev_kw(c, &da, &has_dev);
			if (rc)
				return rc;
			continue;
		}
		v = arg_value(c, "allow");
		if (!v)
			return EXIT_USAGE;
		rc = arg_gid(c, "allow", v, raw);
		if (rc)
			return rc;
		if (n == ALLOW_MAX)
			return usage_err(c, "too many \"allow\": at most %d gids",
					 ALLOW_MAX);
		dibsnl_gid_format(raw, gid);
		strcat(list, gid);
		strcat(list, "\n");
		n++;
	}
	if (!has_dev)
		return usage_err(c, "\"dev\" is needed");
	if (!n)
		return usage_err(c, "at least one \"allow GID\" is needed: a console is a door to a root shell, open to the gids named only");
	rc = cons_dev(c->d, &da, name);
	if (rc)
		return rc;
	rc = cons_write(name, "allowed_gids", list);
	if (rc)
		return rc;
	return cons_write(name, "enabled", "1\n");
}

static const struct kw dev_only_kws[] = {
	{ "dev", 0, K_C_DEV },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

static int console_disable(struct cmdline *c)
{
	char name[DIBSNL_NAME_MAX];
	bool has_dev = false;
	struct devarg da;
	int id, rc;

	while (c->argc) {
		id = next_kw(c, dev_only_kws, &rc);
		if (id < 0)
			return rc;
		rc = dev_kw(c, &da, &has_dev);
		if (rc)
			return rc;
	}
	if (!has_dev)
		return usage_err(c, "\"dev\" is needed");
	rc = cons_dev(c->d, &da, name);
	if (rc)
		return rc;
	return cons_write(name, "enabled", "0\n");
}

static void cons_show_one(struct dctl *d, const char *dev)
{
	char en[16], tty[64], state[32], peer[64], gids[4096];
	struct out *o = &d->out;
	bool enabled, any = false;
	char *p, *nl;

	if (!cons_read(dev, "enabled", en, sizeof(en)))
		return;
	enabled = strcmp(en, "1") == 0;
	out_obj_open(o, NULL);
	out_str(o, OUT_ANY | OUT_NOKEY, "dev", "%s:", dev);
	out_yesno(o, OUT_ANY, "enabled", enabled);
	p = cons_read(dev, "tty", tty, sizeof(tty));
	out_str(o, OUT_ANY, "tty", NULL, p && *p ? p : NULL);
	p = cons_read(dev, "state", state, sizeof(state));
	out_str(o, OUT_ANY, "state", NULL, p && *p ? p : NULL);
	p = cons_read(dev, "peer_gid", peer, sizeof(peer));
	out_str(o, OUT_ANY, "peer-gid", NULL, p && *p ? p : NULL);
	/* plain: "allowed-gids G1,G2"; JSON: an array */
	p = cons_read(dev, "allowed_gids", gids, sizeof(gids));
	out_arr_open(o, "allowed-gids");
	if (!o->json && p && *p)
		out_plain(o, "allowed-gids ");
	while (p && *p) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p) {
			if (o->json)
				out_str(o, OUT_JSON, NULL, NULL, p);
			else
				fprintf(o->f, "%s%s", any ? "," : "", p);
			any = true;
		}
		p = nl ? nl + 1 : NULL;
	}
	out_arr_close(o);
	out_obj_close(o);
	out_line_end(o);
}

static int console_show(struct cmdline *c)
{
	char name[DIBSNL_NAME_MAX], path[512];
	struct dctl *d = c->d;
	bool has_dev = false;
	struct dirent *e;
	struct devarg da;
	int id, rc;
	DIR *dir;

	while (c->argc) {
		id = next_kw(c, dev_only_kws, &rc);
		if (id < 0)
			return rc;
		rc = dev_kw(c, &da, &has_dev);
		if (rc)
			return rc;
	}
	if (has_dev) {
		rc = cons_dev(d, &da, name);
		if (rc)
			return rc;
		cons_show_one(d, name);
		return EXIT_OK;
	}
	snprintf(path, sizeof(path), "%s/class/dibs", sysfs_root());
	dir = opendir(path);
	out_arr_open(&d->out, NULL);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= DIBSNL_NAME_MAX)
			continue;
		cons_show_one(d, e->d_name);
	}
	out_arr_close(&d->out);
	out_line_end(&d->out);
	if (dir)
		closedir(dir);
	return EXIT_OK;
}

static const struct dctl_cmd console_cmds[] = {
	{ { "show", KW_PREFERRED, 0 }, console_show, "show [ dev DEV ]" },
	{ { "connect", 0, 0 }, console_connect,
	  "connect dev DEV remote-gid GID [ log FILE ] [ linger SECS ]" },
	{ { "enable", 0, 0 }, console_enable,
	  "enable dev DEV allow GID [ allow GID ... ]" },
	{ { "disable", 0, 0 }, console_disable, "disable dev DEV" },
	{ { "help", 0, KW_HELP }, NULL, NULL },
	{ { NULL, 0, 0 }, NULL, NULL },
};

const struct dctl_obj console_obj = {
	.name = "console",
	.cmds = console_cmds,
	.default_cmd = "show",
	.where = "where  connect: the terminal server; Ctrl-] leaves (stdin a tty).\n"
		 "       With stdin not a tty: at its end, waits until the console\n"
		 "       was quiet for linger SECS (default 1), then hangs up.\n",
};
