// SPDX-License-Identifier: GPL-2.0
/*
 * dibs-blk server: exports a file or block device to clients on the dibs
 * fabric of one device. One thread; each session's requests are taken
 * from its slots in order and answered in place (PROTOCOL.md).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "dibsblk.h"

#define MAX_ALLOW	64
#define MAX_CLIENTS_MAX	64

struct session {
	bool used;
	char gid_str[DIBSNL_GID_STR_LEN];
	struct dblk_link l;		/* l.own_slots: both DMBs' slots */
	uint32_t last[DBLK_SLOTS_MAX];
	double heard;			/* last request or probe (now_s()) */
};

struct server {
	struct dibsnl *h;	/* commands */
	struct dibsnl *n;	/* notifications */
	struct dibsnl_dev_ref dev;
	uint32_t dev_index;
	const char *path;
	int fd;
	uint64_t size;
	bool ro;
	uint8_t allow[MAX_ALLOW][DIBSNL_GID_LEN];
	unsigned int n_allow;
	bool allow_any;		/* --allow any: every gid of the fabric */
	unsigned int max_clients;
	struct session *sess;
	char *bounce;
	bool kick_all;
};

static void server_usage(FILE *f)
{
	fprintf(f,
		"usage: %s --dev DEV --export PATH --allow GID|any\n"
		"           [--allow GID]... [--read-only] [--max-clients N] [--verbose]\n",
		prog);
}

static void drop(struct session *ss, const char *why)
{
	msg("client %s: %s", ss->gid_str, why);
	dblk_unlink(&ss->l, true);
	ss->used = false;
}

static int pio_full(int fd, void *buf, size_t len, uint64_t off, bool wr)
{
	ssize_t r;

	while (len) {
		if (wr)
			r = pwrite(fd, buf, len, off);
		else
			r = pread(fd, buf, len, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)		/* the export shrank under us */
			return -EIO;
		buf = (char *)buf + r;
		len -= r;
		off += r;
	}
	return 0;
}

static bool in_range(struct server *s, uint64_t off, uint32_t len)
{
	return off < s->size && len <= s->size - off;
}

/* One request of slot @i; returns 0 or a negative errno for the client */
static int do_request(struct server *s, struct session *ss, unsigned int i,
		      const struct dblk_req *rq)
{
	uint64_t off = le64toh(rq->offset);
	uint32_t len = le32toh(rq->len);
	unsigned int type = le16toh(rq->type);
	unsigned int flags = le16toh(rq->flags);
	struct dblk_link *l = &ss->l;
	char *buf;
	int err;

	switch (type) {
	case DBLK_READ:
		if (!len || len > DBLK_SLOT_SIZE || !in_range(s, off, len))
			return -EINVAL;
		if (l->peer.addr)
			return pio_full(s->fd, (char *)l->peer.addr +
					DBLK_SLOT_OFF(i), len, off, false);
		err = pio_full(s->fd, s->bounce, len, off, false);
		if (err)
			return err;
		return dblk_put(l, DBLK_SLOT_OFF(i), s->bounce, len) ? -EIO : 0;
	case DBLK_WRITE:
		if (s->ro)
			return -EPERM;
		if (!len || len > DBLK_SLOT_SIZE)
			return -EINVAL;
		if (!in_range(s, off, len))
			return -ENOSPC;
		if (l->own.addr) {
			buf = (char *)l->own.addr + DBLK_SLOT_OFF(i);
		} else {
			buf = s->bounce;
			if (dblk_get(l, DBLK_SLOT_OFF(i), buf, len))
				return -EIO;
		}
		err = pio_full(s->fd, buf, len, off, true);
		if (!err && (flags & DBLK_REQ_FUA) && fdatasync(s->fd))
			err = -errno;
		return err;
	case DBLK_FLUSH:
		if (!s->ro && fdatasync(s->fd))
			return -errno;
		return 0;
	default:
		return -EINVAL;
	}
}

static void service(struct server *s, struct session *ss)
{
	struct dblk_link *l = &ss->l;
	struct dblk_req rq;
	struct dblk_cpl cpl;
	bool any = false;
	uint32_t seq;
	unsigned int i;
	int err;

	for (i = 0; i < l->own_slots; i++) {
		seq = dblk_get_seq(l, DBLK_DESC_AT(i) + 28);
		if (!seq || seq == ss->last[i])
			continue;
		if (dblk_get(l, DBLK_DESC_AT(i), &rq, sizeof(rq))) {
			drop(ss, "cannot read its requests");
			return;
		}
		ss->last[i] = seq;
		ss->heard = now_s();
		memset(&cpl, 0, sizeof(cpl));
		cpl.error = htole32(-do_request(s, ss, i, &rq));
		if (verbose > 1)
			msg("slot %u seq %u type %u%s off %llu len %u: %d", i,
			    seq, le16toh(rq.type),
			    le16toh(rq.flags) & DBLK_REQ_FUA ? " fua" : "",
			    (unsigned long long)le64toh(rq.offset),
			    le32toh(rq.len), le32toh(cpl.error));
		if (dblk_put(l, DBLK_DESC_AT(i), &cpl, 28) ||
		    dblk_put_seq(l, DBLK_DESC_AT(i) + 28, seq)) {
			drop(ss, "gone (its DMB cannot be written)");
			return;
		}
		any = true;
		/* the client waits for a large piece unless more follow */
		if (le32toh(rq.len) >= DBLK_KICK_LEN &&
		    !(le16toh(rq.flags) & DBLK_REQ_MORE)) {
			if (dblk_kick(l)) {
				drop(ss, "gone (signal refused)");
				return;
			}
			any = false;
		}
	}
	if (any) {
		err = dblk_kick(l);
		if (err)
			drop(ss, "gone (signal refused)");
	}
}

static struct session *by_gid(struct server *s, const uint8_t *gid)
{
	unsigned int i;

	for (i = 0; i < s->max_clients; i++)
		if (s->sess[i].used &&
		    !memcmp(s->sess[i].l.peer_gid, gid, DIBSNL_GID_LEN))
			return &s->sess[i];
	return NULL;
}

/* @token: the HELLO's, so that the client knows which one is refused */
static void refuse(struct server *s, const uint8_t *gid, unsigned int why,
		   uint64_t token)
{
	struct dblk_link tmp = { .h = s->h, .dev = s->dev };

	dblk_event(&tmp, gid, DBLK_MSG_REFUSE, why, token);
}

static bool allowed(struct server *s, const uint8_t *gid)
{
	unsigned int i;

	if (s->allow_any)
		return true;
	for (i = 0; i < s->n_allow; i++)
		if (!memcmp(s->allow[i], gid, DIBSNL_GID_LEN))
			return true;
	return false;
}

/* @offer: the slots of the client's CPL, 0 for DBLK_SLOTS_V1 */
static void hello(struct server *s, const uint8_t *gid, uint64_t token,
		  unsigned int offer)
{
	struct session *ss = by_gid(s, gid);
	char gs[DIBSNL_GID_STR_LEN];
	struct dblk_hdr hdr;
	unsigned int i;
	int err;

	dibsnl_gid_format(gid, gs);
	if (!allowed(s, gid)) {
		msg("client %s: refused: not allowed (--allow)", gs);
		refuse(s, gid, DBLK_REFUSE_GID, token);
		return;
	}
	if (ss)		/* the same client again: it restarted */
		drop(ss, "replaced by a new session");
	for (i = 0; i < s->max_clients && s->sess[i].used; i++)
		;
	if (i == s->max_clients) {
		msg("client %s: refused: %u clients already", gs,
		    s->max_clients);
		refuse(s, gid, DBLK_REFUSE_BUSY, token);
		return;
	}
	ss = &s->sess[i];
	memset(ss, 0, sizeof(*ss));
	memcpy(ss->gid_str, gs, sizeof(gs));
	ss->l.h = s->h;
	ss->l.ntf = s->n;
	ss->l.dev = s->dev;
	memcpy(ss->l.peer_gid, gid, DIBSNL_GID_LEN);
	if (!offer)
		offer = DBLK_SLOTS_V1;
	if (dblk_grant_own(&ss->l, offer < DBLK_SLOTS_MAX ? offer :
			   DBLK_SLOTS_MAX))
		goto fail;
	if (dblk_map_peer(&ss->l, token, ss->l.own_slots))
		goto fail;
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, DBLK_MAGIC, 4);
	hdr.version = htole32(DBLK_VERSION);
	hdr.size = htole64(s->size);
	hdr.flags = htole32(s->ro ? DBLK_HDR_RO : 0);
	hdr.slots = htole32(ss->l.own_slots);
	hdr.slot_size = htole32(DBLK_SLOT_SIZE);
	hdr.req_token = htole64(ss->l.own_token);
	if (dblk_put(&ss->l, 0, &hdr, sizeof(hdr)))
		goto fail;
	err = dblk_event(&ss->l, gid, DBLK_MSG_ACCEPT, 0, ss->l.own_token);
	if (err) {
		msg("client %s: accept: %s", gs, dibsnl_errmsg(s->h));
		dblk_unlink(&ss->l, true);
		return;
	}
	ss->used = true;
	ss->heard = now_s();
	msg("client %s: connected (%u slots%s)", gs, ss->l.own_slots,
	    ss->l.peer.addr && ss->l.own.addr ? "" : ", not mapped");
	return;
fail:
	dblk_unlink(&ss->l, true);
	refuse(s, gid, DBLK_REFUSE_ERROR, token);
}

/*
 * Every session looked at once more; one idle since before @now -
 * DBLK_PROBE_IDLE_S probed
 */
static void sweep(struct server *s, double now)
{
	struct session *ss;
	unsigned int i;

	for (i = 0; i < s->max_clients; i++) {
		ss = &s->sess[i];
		if (!ss->used)
			continue;
		service(s, ss);
		if (!ss->used || now - ss->heard < DBLK_PROBE_IDLE_S)
			continue;
		ss->heard = now;
		if (dblk_kick(&ss->l))
			drop(ss, "gone (signal refused)");
	}
}

static void on_watch(void *arg, uint64_t token)
{
	struct server *s = arg;
	unsigned int i;

	for (i = 0; i < s->max_clients; i++)
		if (s->sess[i].used && s->sess[i].l.own_token == token)
			service(s, &s->sess[i]);
}

static int on_ntf(const struct dibsnl_ntf *ntf, void *arg)
{
	struct server *s = arg;
	const struct dibsnl_event *ev = &ntf->event;
	struct session *ss;
	unsigned int i;

	if (ntf->kind == DIBSNL_NTF_SIGNAL) {
		if (ntf->signal.dev_index != s->dev_index)
			return 0;
		for (i = 0; i < s->max_clients; i++)
			if (s->sess[i].used &&
			    s->sess[i].l.own_token == ntf->signal.token)
				service(s, &s->sess[i]);
		return 0;
	}
	if (ntf->kind != DIBSNL_NTF_EVENT || ev->dev_index != s->dev_index ||
	    ev->type != 2 || (ev->subtype & DBLK_EV_MASK) != DBLK_EV_BASE)
		return 0;
	if (DBLK_EV_VERSION(ev->subtype) != DBLK_VERSION) {
		refuse(s, ev->gid, DBLK_REFUSE_VERSION, ev->data);
		return 0;
	}
	switch (DBLK_EV_MSG(ev->subtype)) {
	case DBLK_MSG_HELLO:
		hello(s, ev->gid, ev->data, DBLK_EV_PARAM(ev->subtype));
		break;
	case DBLK_MSG_BYE:
		ss = by_gid(s, ev->gid);
		if (ss && ss->l.peer_token == ev->data)
			drop(ss, "disconnected");
		break;
	}
	return 0;
}

static void open_export(struct server *s)
{
	struct stat st;
	uint64_t sz;

	s->fd = open(s->path, (s->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (s->fd < 0)
		die("--export %s: %m", s->path);
	if (fstat(s->fd, &st))
		die("--export %s: %m", s->path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(s->fd, BLKGETSIZE64, &sz))
			die("--export %s: size: %m", s->path);
	} else if (S_ISREG(st.st_mode)) {
		sz = st.st_size;
	} else {
		die("--export %s: not a regular file or block device",
		    s->path);
	}
	if (sz < 512)
		die("--export %s: %llu bytes, at least 512 needed", s->path,
		    (unsigned long long)sz);
	s->size = sz;
}

int server_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "export", required_argument, NULL, 'e' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "allow", required_argument, NULL, 'a' },
		{ "max-clients", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct server s = { .fd = -1, .max_clients = 8 };
	const char *devname = NULL;
	struct dibsnl_dev dev;
	char gs[DIBSNL_GID_STR_LEN];
	struct pollfd pfd[3];
	double now, swept = 0;
	sigset_t sigs;
	unsigned int i;
	int c, err, sfd;

	while ((c = getopt_long(argc, argv, "d:e:ra:m:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			devname = optarg;
			break;
		case 'e':
			s.path = optarg;
			break;
		case 'r':
			s.ro = true;
			break;
		case 'a':
			if (!strcmp(optarg, "any")) {
				s.allow_any = true;
				break;
			}
			if (s.n_allow == MAX_ALLOW)
				die("--allow: at most %d gids", MAX_ALLOW);
			if (dibsnl_gid_parse(optarg, s.allow[s.n_allow]))
				die("--allow %s: not a gid (uuid text)",
				    optarg);
			s.n_allow++;
			break;
		case 'm':
			s.max_clients = parse_uint("--max-clients", optarg,
						   MAX_CLIENTS_MAX);
			if (!s.max_clients)
				die("--max-clients 0: at least 1");
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			server_usage(stdout);
			return 0;
		default:
			server_usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		usage_die(server_usage, "unexpected argument '%s'", argv[optind]);
	if (!devname || !s.path)
		usage_die(server_usage, "--dev and --export are required");
	/* an export is only ever served to clients someone chose */
	if (!s.n_allow && !s.allow_any)
		usage_die(server_usage,
			  "--allow is required: a client's gid (repeatable), or any");
	if (s.n_allow && s.allow_any)
		usage_die(server_usage,
			  "--allow any and --allow GID: one or the other");
	s.dev = parse_dev(devname);
	open_export(&s);
	s.sess = calloc(s.max_clients, sizeof(*s.sess));
	s.bounce = malloc(DBLK_SLOT_SIZE);
	if (!s.sess || !s.bounce)
		die("out of memory");

	err = dibsnl_open(&s.h);
	if (!err)
		err = dibsnl_open(&s.n);
	if (err)
		die("netlink: %s (is the dibs module loaded?)",
		    strerror(-err));
	err = dibsnl_dev_get(s.h, s.dev, &dev);
	if (err)
		die("--dev %s: %s", devname, dibsnl_errmsg(s.h));
	s.dev_index = dev.index;
	s.dev.index = dev.index;
	s.dev.name = NULL;
	/* signals: DIBSNL_GROUP_SIGNAL only where the watch fails */
	err = dibsnl_subscribe(s.n, DIBSNL_GROUP_MGMT);
	if (err)
		die("subscribe: %s", dibsnl_errmsg(s.n));
	fcntl(dibsnl_fd(s.n), F_SETFL,
	      fcntl(dibsnl_fd(s.n), F_GETFL) | O_NONBLOCK);
	dblk_filter_signals(dibsnl_fd(s.n), s.dev_index);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd: %m");

	dibsnl_gid_format(dev.gid, gs);
	msg("serving %s (%llu bytes, %s) on %s, gid %s", s.path,
	    (unsigned long long)s.size, s.ro ? "read-only" : "read-write",
	    dev.name, gs);
	/* Type=notify: started means serving, for units ordered after. */
	err = sd_notify(0, "READY=1");
	if (err < 0)
		msg("telling systemd we are ready: %s", strerror(-err));

	pfd[0] = (struct pollfd){ .fd = dibsnl_fd(s.n), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	/* -1 (ignored by poll) without a usable /dev/dibs */
	pfd[2] = (struct pollfd){ .fd = dibsnl_watch_fd(s.h), .events = POLLIN };
	for (;;) {
		c = poll(pfd, 3, 1000);
		if (c < 0 && errno != EINTR)
			die("poll: %m");
		if (pfd[1].revents)
			break;
		if (pfd[2].revents)
			dblk_watch_dispatch(s.h, on_watch, &s);
		err = dibsnl_ntf_dispatch(s.n, on_ntf, &s);
		if (err == -ENOBUFS)
			msg("notifications lost: looking at every session");
		else if (err < 0 && err != -EINVAL)
			die("notifications: %s", strerror(-err));
		/* lost or coalesced signals: a look each second is cheap */
		now = now_s();
		if (err == -ENOBUFS || now - swept >= 1) {
			sweep(&s, now);
			swept = now;
		}
	}
	for (i = 0; i < s.max_clients; i++) {
		if (!s.sess[i].used)
			continue;
		dblk_event(&s.sess[i].l, s.sess[i].l.peer_gid, DBLK_MSG_BYE, 0,
			   s.sess[i].l.own_token);
		drop(&s.sess[i], "server stopping");
	}
	if (!s.ro)
		fdatasync(s.fd);
	close(s.fd);
	dibsnl_close(s.n);
	dibsnl_close(s.h);
	free(s.sess);
	free(s.bounce);
	msg("stopped");
	return 0;
}
