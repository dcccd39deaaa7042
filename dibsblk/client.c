// SPDX-License-Identifier: GPL-2.0
/*
 * dibs-blk client: shows a dibs-blk server's export as /dev/nbdN. The
 * kernel's NBD driver gets one end of a connected socket pair
 * (NBD_CMD_CONNECT of its netlink family, nbdnl.c) and speaks the NBD
 * transmission protocol on it; this process serves it on the other end
 * and forwards every request over dibs (PROTOCOL.md). One thread serves,
 * another exists only while the device is disconnected.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/nbd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dibsblk.h"

#define MAX_REQ_LEN	(32u << 20)	/* the NBD driver's largest request */
#define MAX_QUEUED	64		/* requests read from the socket */
#define SOCK_BUF	(4 << 20)	/* socket buffers: sock_buf() */
#define BACKEND		"dibs-blk "	/* + the server's gid: the device's backend */

/*
 * No copy of the data in this process where the DMBs are mapped: the
 * payload of a write is read from the socket straight into its slots of
 * REQ, and a read is answered with one writev() from its slots of CPL,
 * which it keeps until then (a read larger than all slots together, or
 * an unmapped CPL, goes through @buf).
 */
struct req {
	struct req *prev, *next;	/* every request not yet answered */
	struct req *pnext;		/* not yet fully posted */
	struct req *txnext;		/* queued for the writer, or done */
	bool replying;			/* the writer's: its slots are kept */
	char handle[8];
	unsigned int type, flags;
	uint64_t from;
	uint32_t len;
	uint32_t posted;		/* bytes given to slots */
	uint32_t rcvd;			/* of a write's data, from the socket */
	unsigned int in_slots;		/* pieces in slots, not answered */
	unsigned int n_held;		/* a read's answered pieces, in order */
	uint8_t held[DBLK_SLOTS_MAX];
	int error;
	char *buf;			/* a read not answered from slots */
};

struct slot {
	struct req *r;			/* NULL: free */
	bool held;			/* answered, data kept for the reply */
	uint32_t seq;
	uint32_t off;			/* in the request */
	uint32_t len;
	double t;
};

struct client {
	struct dibsnl *h, *n;
	struct dibsnl_dev_ref dev;
	uint32_t dev_index;
	uint8_t srv_gid[DIBSNL_GID_LEN];
	char srv_str[DIBSNL_GID_STR_LEN];
	struct dblk_link l;
	bool connected;
	bool hello_sent;
	double hello_t;			/* last HELLO sent, or tried */
	double busy_t;			/* last piece posted, or probe */
	int refused;			/* reason of the last REFUSE */
	uint64_t size;			/* the device's, once set up */
	uint64_t export_size;
	bool export_ro;
	unsigned int timeout;
	int sock;
	bool sock_tcp;			/* else a unix socketpair */
	struct req all;			/* list head */
	struct req *phead, **ptail;
	struct req *rx;			/* a write whose data is still to read */
	unsigned int nslots;		/* the session's (the header's) */
	pthread_t writer;		/* writes the answers: reply() */
	pthread_mutex_t txlock;		/* protects the five below */
	pthread_cond_t txwork, txidle;
	struct req *txhead, **txtail;	/* answers to write, in order */
	struct req *donehead;		/* written, for tx_reap() */
	bool txbusy;			/* the writer has one in hand */
	bool txstop;			/* the writer ends once idle */
	bool txfailed;			/* the socket failed */
	int donefd;			/* eventfd: donehead has some */
	char *bounce;			/* a piece, where REQ is not mapped */
	unsigned int queued;
	struct slot slots[DBLK_SLOTS_MAX];
	uint32_t seq;
	bool quit;
	struct nbdnl nbd;		/* the NBD driver's netlink family */
	unsigned int nbd_index;		/* N of /dev/nbdN */
	char backend[sizeof(BACKEND) + DIBSNL_GID_STR_LEN];
	pthread_t stopper;		/* asks the kernel to disconnect */
	bool stopping;
};

static void client_usage(FILE *f)
{
	fprintf(f,
		"usage: %s --dev DEV --server GID --nbd /dev/nbdN\n"
		"           [--timeout SECONDS] [--verbose]\n"
		"           [--size BYTES] [--writable]   (tests only)\n",
		prog);
}

static int io_full(int fd, void *buf, size_t len, bool wr)
{
	ssize_t r;

	while (len) {
		r = wr ? write(fd, buf, len) : read(fd, buf, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)
			return -EPIPE;
		buf = (char *)buf + r;
		len -= r;
	}
	return 0;
}

static int writev_full(int fd, struct iovec *iov, int n)
{
	ssize_t r;

	while (n) {
		r = writev(fd, iov, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

/* The answer to @r, as iovecs from its slots; their number */
static int answer_iov(struct client *c, struct req *r, struct nbd_reply *rep,
		      struct iovec *iov)
{
	unsigned int k;
	int n = 1;

	rep->magic = htobe32(NBD_REPLY_MAGIC);
	rep->error = htobe32(r->error);
	memcpy(rep->handle, r->handle, 8);
	iov[0] = (struct iovec){ rep, sizeof(*rep) };
	if (r->type == NBD_CMD_READ && !r->error) {
		if (r->buf)
			iov[n++] = (struct iovec){ r->buf, r->len };
		else
			for (k = 0; k < r->n_held; k++)
				iov[n++] = (struct iovec){
					(char *)c->l.own.addr +
					DBLK_SLOT_OFF(r->held[k]),
					c->slots[r->held[k]].len };
	}
	return n;
}

/* Write the answer to @r to the socket; 0, or its error (said) */
static int write_answer(struct client *c, struct req *r)
{
	struct iovec iov[DBLK_SLOTS_MAX + 1];
	struct nbd_reply rep;
	int err;

	err = writev_full(c->sock, iov, answer_iov(c, r, &rep, iov));
	if (err)
		msg("nbd: cannot answer the kernel: %s", strerror(-err));
	return err;
}

static void *writer(void *arg)
{
	struct client *c = arg;
	uint64_t one = 1;
	bool failed;
	struct req *r;

	pthread_mutex_lock(&c->txlock);
	for (;;) {
		while (!c->txhead && !c->txstop)
			pthread_cond_wait(&c->txwork, &c->txlock);
		r = c->txhead;
		if (!r)
			break;
		c->txhead = r->txnext;
		if (!c->txhead)
			c->txtail = &c->txhead;
		c->txbusy = true;
		failed = c->txfailed;
		pthread_mutex_unlock(&c->txlock);
		/* once the socket failed, the rest is only handed back */
		failed = failed || write_answer(c, r);
		pthread_mutex_lock(&c->txlock);
		c->txfailed |= failed;
		r->txnext = c->donehead;
		c->donehead = r;
		c->txbusy = false;
		pthread_cond_broadcast(&c->txidle);
		/* can only fail when the counter is full: it is looked at */
		(void)!write(c->donefd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&c->txlock);
	return NULL;
}

/* @r is answered (or never will be): its slots are free, it is gone */
static void req_free(struct client *c, struct req *r)
{
	struct slot *sl;
	unsigned int k;

	for (k = 0; k < r->n_held; k++) {
		sl = &c->slots[r->held[k]];
		if (sl->r == r) {
			sl->r = NULL;
			sl->held = false;
		}
	}
	r->prev->next = r->next;
	r->next->prev = r->prev;
	free(r->buf);
	free(r);
	c->queued--;
}

/*
 * The answers to the kernel: a 1 MiB read's keeps writev() busy for
 * milliseconds under load, so large ones are written by a thread of their
 * own (the writer), and meanwhile the main thread goes on reaping and
 * posting: the server has pieces to work on. A read's slots are kept
 * until its answer is written. Small answers (no data, or up to
 * DBLK_KICK_LEN) are written at once by the caller while the writer has
 * nothing in hand: waking it would cost them more than the write. Only
 * one thread writes at a time (txlock), answers leave in the order they
 * were given, and a request given to the writer is the writer's until it
 * hands it back (tx_reap()). @r is gone once this returns, or on the
 * writer's queue.
 */
static void reply(struct client *c, struct req *r)
{
	bool now, failed;

	r->replying = true;
	now = r->type != NBD_CMD_READ || r->error || r->len <= DBLK_KICK_LEN;
	pthread_mutex_lock(&c->txlock);
	now = now && !c->txhead && !c->txbusy;
	if (now && !c->txfailed && write_answer(c, r)) {
		c->txfailed = true;
	} else if (!now) {
		*c->txtail = r;
		c->txtail = &r->txnext;
		pthread_cond_signal(&c->txwork);
	}
	failed = c->txfailed;
	pthread_mutex_unlock(&c->txlock);
	if (failed)
		c->quit = true;
	if (now)
		req_free(c, r);
}

/* Free what the writer handed back: the requests and their slots */
static void tx_reap(struct client *c)
{
	struct req *r, *next;
	uint64_t cnt;

	/* EAGAIN when nothing was counted: the list is looked at anyway */
	(void)!read(c->donefd, &cnt, sizeof(cnt));
	pthread_mutex_lock(&c->txlock);
	r = c->donehead;
	c->donehead = NULL;
	if (c->txfailed)
		c->quit = true;
	pthread_mutex_unlock(&c->txlock);
	for (; r; r = next) {
		next = r->txnext;
		req_free(c, r);
	}
}

/* Until every queued answer is written, then tx_reap() */
static void tx_flush(struct client *c)
{
	pthread_mutex_lock(&c->txlock);
	while (c->txhead || c->txbusy)
		pthread_cond_wait(&c->txidle, &c->txlock);
	pthread_mutex_unlock(&c->txlock);
	tx_reap(c);
}

static int discard(int fd, uint32_t len);

/*
 * Every request not answered yet fails with @err; once this returns, the
 * socket has every answer, and no slot is in use.
 */
static void fail_all(struct client *c, int err)
{
	struct req *r, *next;
	unsigned int i;

	/* the rest of a write's data first: the stream stays in step */
	if (c->rx && discard(c->sock, c->rx->len - c->rx->rcvd))
		c->quit = true;
	c->rx = NULL;
	for (i = 0; i < DBLK_SLOTS_MAX; i++) {
		/* an answer being written keeps its slots until it is */
		if (c->slots[i].r && c->slots[i].r->replying)
			continue;
		c->slots[i].r = NULL;
		c->slots[i].held = false;
	}
	c->phead = NULL;
	c->ptail = &c->phead;
	for (r = c->all.next; r != &c->all; r = next) {
		next = r->next;
		if (r->replying)
			continue;
		r->error = err;
		reply(c, r);
	}
	tx_flush(c);
}

static void disconnect(struct client *c, const char *why)
{
	if (c->connected)
		msg("server %s: %s: I/O fails with EIO until it is back",
		    c->srv_str, why);
	c->connected = false;
	c->hello_sent = false;
	fail_all(c, EIO);
	dblk_unlink(&c->l, true);
}

static int send_hello(struct client *c)
{
	int err;

	/* also when it fails: tried again in a second, not at once */
	c->hello_t = now_s();
	dblk_unlink(&c->l, true);
	memcpy(c->l.peer_gid, c->srv_gid, DIBSNL_GID_LEN);
	err = dblk_grant_own(&c->l, DBLK_SLOTS_MAX);
	if (err)
		return err;
	/* the offer: as many slots as CPL has */
	err = dblk_event(&c->l, c->srv_gid, DBLK_MSG_HELLO, c->l.own_slots,
			 c->l.own_token);
	if (err && verbose)
		msg("hello to %s: %s", c->srv_str, dibsnl_errmsg(c->h));
	c->hello_sent = true;
	return 0;
}

static void accept_session(struct client *c, uint64_t token)
{
	struct dblk_hdr hdr;
	unsigned int slots;
	uint64_t size;

	if (!c->hello_sent || c->connected)
		return;
	if (dblk_get(&c->l, 0, &hdr, sizeof(hdr)) ||
	    memcmp(hdr.magic, DBLK_MAGIC, 4) ||
	    le32toh(hdr.version) != DBLK_VERSION ||
	    !le32toh(hdr.slots) || le32toh(hdr.slots) > c->l.own_slots ||
	    le32toh(hdr.slot_size) != DBLK_SLOT_SIZE ||
	    le64toh(hdr.req_token) != token) {
		msg("server %s: accept without a valid header: ignored",
		    c->srv_str);
		return;
	}
	size = le64toh(hdr.size);
	if (c->size && size != c->export_size) {
		msg("server %s: the export has %llu bytes now, %llu before: not reconnecting",
		    c->srv_str, (unsigned long long)size,
		    (unsigned long long)c->export_size);
		dblk_event(&c->l, c->srv_gid, DBLK_MSG_BYE, 0, c->l.own_token);
		c->hello_sent = false;
		return;
	}
	slots = le32toh(hdr.slots);
	if (dblk_map_peer(&c->l, token, slots))
		return;
	c->nslots = slots;
	c->export_size = size;
	c->export_ro = le32toh(hdr.flags) & DBLK_HDR_RO;
	c->connected = true;
	c->refused = 0;
	c->busy_t = now_s();
	memset(c->slots, 0, sizeof(c->slots));
	msg("server %s: connected (%llu bytes, %s, %u slots%s)", c->srv_str,
	    (unsigned long long)size, c->export_ro ? "read-only" : "read-write",
	    slots, c->l.peer.addr && c->l.own.addr ? "" : ", not mapped");
}

static void reap(struct client *c)
{
	struct dblk_cpl cpl;
	struct slot *sl;
	struct req *r;
	unsigned int i;

	for (i = 0; i < c->nslots; i++) {
		sl = &c->slots[i];
		if (!sl->r || sl->held ||
		    dblk_get_seq(&c->l, DBLK_DESC_AT(i) + 28) != sl->seq)
			continue;
		r = sl->r;
		r->in_slots--;
		if (dblk_get(&c->l, DBLK_DESC_AT(i), &cpl, sizeof(cpl)))
			cpl.error = htole32(EIO);
		if (cpl.error && !r->error)
			r->error = le32toh(cpl.error);
		if (r->type == NBD_CMD_READ && !r->buf) {
			sl->held = true;	/* until the reply */
		} else {
			sl->r = NULL;
			if (!cpl.error && r->type == NBD_CMD_READ &&
			    dblk_get(&c->l, DBLK_SLOT_OFF(i), r->buf + sl->off,
				     sl->len))
				r->error = EIO;
		}
		if (!r->in_slots && r->posted == r->len && r != c->phead)
			reply(c, r);
	}
}

/*
 * The next @n bytes of the write being received (c->rx, the head of the
 * queue), from the socket straight into slot @i of REQ. Non-zero when
 * they did not get there: the socket failed (quit) or the session did
 * (disconnected, @r answered).
 */
static int receive(struct client *c, unsigned int i, uint32_t n)
{
	struct req *r = c->rx;
	int err;

	err = io_full(c->sock, c->l.peer.addr ?
		      (char *)c->l.peer.addr + DBLK_SLOT_OFF(i) : c->bounce,
		      n, false);
	if (err) {
		msg("nbd: %s", strerror(-err));
		c->quit = true;
		c->rx = NULL;		/* nothing more to read */
		return err;
	}
	r->rcvd += n;
	if (r->rcvd == r->len)
		c->rx = NULL;
	if (!c->l.peer.addr &&
	    dblk_put(&c->l, DBLK_SLOT_OFF(i), c->bounce, n)) {
		disconnect(c, "gone (its DMB cannot be written)");
		return -EIO;
	}
	return 0;
}

/* Give queued requests to free slots; one signal for all of them */
static void post(struct client *c)
{
	struct dblk_req d;
	struct slot *sl;
	struct req *r;
	unsigned int i;
	bool any = false;
	uint32_t n;

	for (i = 0; i < c->nslots && c->phead && c->connected; i++) {
		sl = &c->slots[i];
		if (sl->r)
			continue;
		r = c->phead;
		n = r->len - r->posted;
		if (n > DBLK_SLOT_SIZE)
			n = DBLK_SLOT_SIZE;
		if (r->type == NBD_CMD_WRITE && receive(c, i, n))
			return;
		memset(&d, 0, sizeof(d));
		d.offset = htole64(r->from + r->posted);
		d.len = htole32(n);
		d.type = htole16(r->type);
		/* FUA on every piece: each must be stable when answered */
		d.flags = htole16((r->flags & NBD_CMD_FLAG_FUA ?
				   DBLK_REQ_FUA : 0) |
				  (r->posted + n < r->len ? DBLK_REQ_MORE : 0));
		if (!++c->seq)
			c->seq = 1;
		if (dblk_put(&c->l, DBLK_DESC_AT(i), &d, 28) ||
		    dblk_put_seq(&c->l, DBLK_DESC_AT(i) + 28, c->seq))
			goto broken;
		sl->r = r;
		sl->held = false;
		sl->seq = c->seq;
		sl->off = r->posted;
		sl->len = n;
		sl->t = now_s();
		if (r->type == NBD_CMD_READ && !r->buf)
			r->held[r->n_held++] = i;
		r->in_slots++;
		r->posted += n;
		c->busy_t = sl->t;
		any = true;
		/* the server writes this piece while the next is read in */
		if (r->type == NBD_CMD_WRITE && n >= DBLK_KICK_LEN) {
			if (dblk_kick(&c->l)) {
				disconnect(c, "gone (signal refused)");
				return;
			}
			any = false;
		}
		if (r->posted == r->len) {
			c->phead = r->pnext;
			if (!c->phead)
				c->ptail = &c->phead;
		}
	}
	if (any && dblk_kick(&c->l))
		disconnect(c, "gone (signal refused)");
	return;
broken:
	disconnect(c, "gone (its DMB cannot be written)");
}

static int discard(int fd, uint32_t len)
{
	char buf[4096];
	uint32_t n;
	int err;

	while (len) {
		n = len > sizeof(buf) ? sizeof(buf) : len;
		err = io_full(fd, buf, n, false);
		if (err)
			return err;
		len -= n;
	}
	return 0;
}

/* One request from the kernel */
static void take(struct client *c)
{
	struct nbd_request rq;
	struct req *r;
	unsigned int type;
	int err;

	err = io_full(c->sock, &rq, sizeof(rq), false);
	if (err || be32toh(rq.magic) != NBD_REQUEST_MAGIC) {
		if (err != -EPIPE)
			msg("nbd: %s", err ? strerror(-err) : "bad magic");
		c->quit = true;
		return;
	}
	type = be32toh(rq.type) & 0xffff;
	if (type == NBD_CMD_DISC) {
		c->quit = true;
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		die("out of memory");
	memcpy(r->handle, rq.handle, 8);
	r->type = type;
	r->flags = be32toh(rq.type) & ~0xffffu;
	r->from = be64toh(rq.from);
	r->len = be32toh(rq.len);
	r->next = &c->all;
	r->prev = c->all.prev;
	c->all.prev->next = r;
	c->all.prev = r;
	c->queued++;
	if ((type != NBD_CMD_READ && type != NBD_CMD_WRITE &&
	     type != NBD_CMD_FLUSH) || r->len > MAX_REQ_LEN ||
	    (type != NBD_CMD_FLUSH && !r->len)) {
		if (type == NBD_CMD_WRITE && discard(c->sock, r->len))
			c->quit = true;
		r->error = EINVAL;
		reply(c, r);
		return;
	}
	if (!c->connected) {
		if (type == NBD_CMD_WRITE && discard(c->sock, r->len))
			c->quit = true;
		r->error = EIO;
		reply(c, r);
		return;
	}
	if (type == NBD_CMD_READ &&
	    (!c->l.own.addr || r->len > c->nslots * DBLK_SLOT_SIZE)) {
		r->buf = malloc(r->len);
		if (!r->buf)
			die("out of memory (%u bytes)", r->len);
	}
	/* its data is read into the slots as they are posted */
	if (type == NBD_CMD_WRITE)
		c->rx = r;
	*c->ptail = r;
	c->ptail = &r->pnext;
}

static const char *refuse_str(int why)
{
	switch (why) {
	case DBLK_REFUSE_GID:
		return "this device's gid is not allowed";
	case DBLK_REFUSE_BUSY:
		return "too many clients";
	case DBLK_REFUSE_VERSION:
		return "protocol version";
	default:
		return "the server failed to set up the session";
	}
}

static void on_watch(void *arg, uint64_t token)
{
	struct client *c = arg;

	if (c->connected && token == c->l.own_token)
		reap(c);
}

static int on_ntf(const struct dibsnl_ntf *ntf, void *arg)
{
	struct client *c = arg;
	const struct dibsnl_event *ev = &ntf->event;
	int why;

	if (ntf->kind == DIBSNL_NTF_SIGNAL) {
		if (c->connected && ntf->signal.dev_index == c->dev_index &&
		    ntf->signal.token == c->l.own_token)
			reap(c);
		return 0;
	}
	if (ntf->kind != DIBSNL_NTF_EVENT || ev->dev_index != c->dev_index ||
	    ev->type != 2 || (ev->subtype & DBLK_EV_MASK) != DBLK_EV_BASE ||
	    memcmp(ev->gid, c->srv_gid, DIBSNL_GID_LEN))
		return 0;
	switch (DBLK_EV_MSG(ev->subtype)) {
	case DBLK_MSG_ACCEPT:
		accept_session(c, ev->data);
		break;
	case DBLK_MSG_REFUSE:
		/* of an earlier HELLO, whose CPL is gone: not this one's */
		if (ev->data && ev->data != c->l.own_token)
			break;
		why = DBLK_EV_PARAM(ev->subtype);
		/* once the device is set up: said once, not every second */
		if (c->size && why != c->refused)
			msg("server %s: refused: %s; asking again every second",
			    c->srv_str, refuse_str(why));
		c->refused = why;
		c->hello_sent = false;
		break;
	case DBLK_MSG_BYE:
		if (c->connected && ev->data == c->l.peer_token)
			disconnect(c, "stopped");
		break;
	}
	return 0;
}

/*
 * The driver's disconnect sends NBD_CMD_DISC on the socket before it shuts
 * it down, and a send of the kernel's still waiting there for room holds
 * it up. So it is asked from a thread of its own while this one goes on
 * reading the socket, up to that NBD_CMD_DISC.
 */
static void *stop_nbd(void *arg)
{
	struct client *c = arg;
	int err = nbdnl_disconnect(&c->nbd, c->nbd_index);

	if (err)
		msg("nbd: disconnect: %s", strerror(-err));
	return NULL;
}

/*
 * A unix socket's send buffer is 208 KiB by default: a 1 MiB request or
 * reply then crosses in many rounds, each a sleep and a wake-up of the
 * sender. Room for several requests instead; without CAP_NET_ADMIN up to
 * net.core.wmem_max. TCP's buffers grow by themselves, the receive
 * buffer as fast as its reader keeps up: the writer's writev() of a
 * 1 MiB answer waited for the kernel's receiver to make room (0.6 of
 * 2.4 ms), and sequential reads were 0.91 of NBD's against 1.03 with
 * both buffers set (medians of 9, alternated in one boot). With @rcv the
 * receive buffer too; before connect() or listen(), so that the window
 * scale allows it.
 */
static void sock_buf(int fd, bool rcv)
{
	int v = SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) && verbose)
		msg("socket send buffer: %m");
	if (rcv &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) && verbose)
		msg("socket receive buffer: %m");
}

/*
 * The NBD driver sends a write's data one page per sendmsg(). On a unix
 * socket each is an skb of its own and a wake-up of the reader: 256 for a
 * 1 MiB write. TCP joins them (MSG_MORE) into 64 KiB segments, as it does
 * for nbd-server. So the kernel gets one end of a TCP connection over
 * loopback that only this process can have made: the listener is closed
 * once our own connect() is accepted (a stranger's is dropped). Where
 * loopback is down (no connection within 2 s), a unix socketpair (the
 * caller's fallback).
 */
static int tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET }, mine, peer;
	socklen_t len = sizeof(a);
	int l, one = 1, tries;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv[0] = sv[1] = -1;
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -1;
	sock_buf(l, true);	/* for the accepted end, ours */
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		goto fail;
	/*
	 * Not blocking: with lo down the SYN is lost, and a blocking
	 * connect() would retry for two minutes.
	 */
	sv[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sv[1] < 0)
		goto fail;
	sock_buf(sv[1], true);
	if (connect(sv[1], (struct sockaddr *)&a, sizeof(a))) {
		struct pollfd p = { .fd = sv[1], .events = POLLOUT };
		int e = 0;

		len = sizeof(e);
		if (errno != EINPROGRESS || poll(&p, 1, 2000) != 1 ||
		    getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &e, &len) || e)
			goto fail;
	}
	if (fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) & ~O_NONBLOCK))
		goto fail;
	len = sizeof(mine);
	if (getsockname(sv[1], (struct sockaddr *)&mine, &len))
		goto fail;
	for (tries = 0; tries < 4; tries++) {
		len = sizeof(peer);
		sv[0] = accept4(l, (struct sockaddr *)&peer, &len,
				SOCK_CLOEXEC);
		if (sv[0] < 0)
			goto fail;
		if (peer.sin_port == mine.sin_port &&
		    peer.sin_addr.s_addr == mine.sin_addr.s_addr)
			break;
		close(sv[0]);	/* not ours */
		sv[0] = -1;
	}
	if (sv[0] < 0)
		goto fail;
	close(l);
	/* small replies must not wait for an ACK (Nagle) */
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
fail:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	close(l);
	return -1;
}

/* The index N of --nbd: any path to the whole disk /dev/nbdN */
static unsigned int nbd_index(const char *path)
{
	char sys[64], link[256], *base, extra;
	unsigned int index;
	struct stat st;
	ssize_t n;

	if (stat(path, &st))
		die("--nbd %s: %m%s", path,
		    errno == ENOENT ? " (modprobe nbd?)" : "");
	if (!S_ISBLK(st.st_mode))
		die("--nbd %s: not a block device", path);
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(sys, link, sizeof(link) - 1);
	if (n < 0)
		die("--nbd %s: %s: %m", path, sys);
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (sscanf(base, "nbd%u%c", &index, &extra) != 1)
		die("--nbd %s: %s is not an NBD device (/dev/nbdN)", path,
		    base);
	return index;
}

/* An attribute of /sys/block/nbdN, without its newline; 0 or -1 */
static int nbd_attr(unsigned int index, const char *name, char *buf,
		    size_t len)
{
	char path[64];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/block/nbd%u/%s", index, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(buf, len, f);
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * The kernel keeps a device set up over netlink until it is disconnected,
 * also when the process serving its socket is gone: a dibs-blk client
 * killed with SIGKILL leaves its device failing I/O with EIO. Such a
 * device (its backend names dibs-blk, its pid is no process) is
 * disconnected here so that this client can take it; true if it was.
 * Anything else set up on it is in use, and left alone.
 */
static bool clear_stale(struct client *c, const char *path)
{
	char pid_s[24], backend[128];
	long pid;
	int err;

	if (nbd_attr(c->nbd_index, "backend", backend, sizeof(backend)) ||
	    strncmp(backend, BACKEND, strlen(BACKEND)) ||
	    nbd_attr(c->nbd_index, "pid", pid_s, sizeof(pid_s)))
		return false;
	pid = strtol(pid_s, NULL, 10);
	if (pid <= 0 || !kill(pid, 0) || errno != ESRCH)
		return false;
	err = nbdnl_disconnect(&c->nbd, c->nbd_index);
	if (err) {
		msg("--nbd %s: clearing what pid %ld left: %s", path, pid,
		    strerror(-err));
		return false;
	}
	msg("%s: cleared what pid %ld (%s), which is gone, left set up",
	    path, pid, backend);
	return true;
}

static void nbd_setup(struct client *c, const char *path, uint64_t size,
		      bool ro)
{
	struct nbdnl_cfg cfg = {
		.size = size,
		.blksize = size % 4096 ? 512 : 4096,
		.timeout = (uint64_t)c->timeout * 3,
		.flags = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH |
			 NBD_FLAG_SEND_FUA | (ro ? NBD_FLAG_READ_ONLY : 0),
		.backend = c->backend,
	};
	char pid_s[24];
	int sv[2], err;

	if (size % 512)
		die("the export has %llu bytes: not a multiple of 512",
		    (unsigned long long)size);
	c->sock_tcp = !tcp_pair(sv);
	if (!c->sock_tcp) {
		if (verbose)
			msg("no TCP over loopback: a unix socketpair");
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			die("socketpair: %m");
		sock_buf(sv[0], false);
		sock_buf(sv[1], false);
	}
	cfg.sock = sv[1];
	err = nbdnl_connect(&c->nbd, c->nbd_index, &cfg);
	if (err == -EBUSY && clear_stale(c, path))
		err = nbdnl_connect(&c->nbd, c->nbd_index, &cfg);
	if (err == -EBUSY) {
		if (nbd_attr(c->nbd_index, "pid", pid_s, sizeof(pid_s)))
			snprintf(pid_s, sizeof(pid_s), "?");
		die("--nbd %s: in use (set up by pid %s)", path, pid_s);
	}
	if (err)
		die("--nbd %s: connecting: %s", path, strerror(-err));
	/* the kernel holds its end now */
	close(sv[1]);
	c->sock = sv[0];
	c->size = size;
}

int client_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "server", required_argument, NULL, 's' },
		{ "nbd", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 'S' },
		{ "writable", no_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct client c = { .timeout = 10 };
	const char *devname = NULL, *server = NULL, *nbdpath = NULL;
	uint64_t size = 0;
	bool writable = false;
	struct dibsnl_dev dev;
	struct pollfd pfd[5];
	unsigned int i;
	int ch, err, sfd, rc = 0;
	double t0, now;
	sigset_t sigs;

	while ((ch = getopt_long(argc, argv, "d:s:n:t:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			devname = optarg;
			break;
		case 's':
			server = optarg;
			if (dibsnl_gid_parse(optarg, c.srv_gid))
				die("--server %s: not a gid (uuid text)",
				    optarg);
			break;
		case 'n':
			nbdpath = optarg;
			break;
		case 't':
			c.timeout = parse_uint("--timeout", optarg, 3600);
			if (!c.timeout)
				die("--timeout 0: at least 1 second");
			break;
		case 'S':
			size = parse_size("--size", optarg);
			if (!size)
				die("--size 0: the device needs a size");
			break;
		case 'w':
			writable = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			client_usage(stdout);
			return 0;
		default:
			client_usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		usage_die(client_usage, "unexpected argument '%s'", argv[optind]);
	if (!devname || !server || !nbdpath)
		usage_die(client_usage,
			  "--dev, --server and --nbd are required");
	c.dev = parse_dev(devname);
	dibsnl_gid_format(c.srv_gid, c.srv_str);
	snprintf(c.backend, sizeof(c.backend), BACKEND "%s", c.srv_str);
	c.nbd_index = nbd_index(nbdpath);
	err = nbdnl_open(&c.nbd);
	if (err)
		die("--nbd %s: the NBD driver's netlink family: %s%s", nbdpath,
		    strerror(-err), err == -ENOENT ? " (modprobe nbd?)" : "");
	c.all.next = &c.all;
	c.all.prev = &c.all;
	c.ptail = &c.phead;
	c.txtail = &c.txhead;
	pthread_mutex_init(&c.txlock, NULL);
	pthread_cond_init(&c.txwork, NULL);
	pthread_cond_init(&c.txidle, NULL);
	c.bounce = malloc(DBLK_SLOT_SIZE);
	if (!c.bounce)
		die("out of memory");

	err = dibsnl_open(&c.h);
	if (!err)
		err = dibsnl_open(&c.n);
	if (err)
		die("netlink: %s (is the dibs module loaded?)",
		    strerror(-err));
	err = dibsnl_dev_get(c.h, c.dev, &dev);
	if (err)
		die("--dev %s: %s", devname, dibsnl_errmsg(c.h));
	c.dev_index = dev.index;
	c.dev.index = dev.index;
	c.dev.name = NULL;
	c.l.h = c.h;
	c.l.ntf = c.n;
	c.l.dev = c.dev;
	/* signals: DIBSNL_GROUP_SIGNAL only where the watch fails */
	err = dibsnl_subscribe(c.n, DIBSNL_GROUP_MGMT);
	if (err)
		die("subscribe: %s", dibsnl_errmsg(c.n));
	fcntl(dibsnl_fd(c.n), F_SETFL,
	      fcntl(dibsnl_fd(c.n), F_GETFL) | O_NONBLOCK);
	dblk_filter_signals(dibsnl_fd(c.n), c.dev_index);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd: %m");
	pfd[0] = (struct pollfd){ .fd = dibsnl_fd(c.n), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };

	/* The first session, before the device exists */
	err = send_hello(&c);
	if (err)
		die("--dev %s: %s", devname, dibsnl_errmsg(c.h));
	t0 = now_s();
	while (!c.connected) {
		if (poll(pfd, 2, 200) < 0 && errno != EINTR)
			die("poll: %m");
		if (pfd[1].revents)
			goto out;
		dibsnl_ntf_dispatch(c.n, on_ntf, &c);
		if (c.refused)
			die("--server %s: refused: %s", server,
			    refuse_str(c.refused));
		now = now_s();
		if (now - t0 > c.timeout)
			die("--server %s: no answer from the server within %u s",
			    server, c.timeout);
		if (!c.connected && now - c.hello_t >= 1 && send_hello(&c))
			die("--dev %s: %s", devname, dibsnl_errmsg(c.h));
	}
	nbd_setup(&c, nbdpath, size ? size : c.export_size,
		  c.export_ro && !writable);
	msg("%s: %llu bytes from %s on %s (NBD socket: %s)", nbdpath,
	    (unsigned long long)c.size, server, dev.name,
	    c.sock_tcp ? "TCP over loopback" : "unix socketpair");

	c.donefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c.donefd < 0)
		die("eventfd: %m");
	err = pthread_create(&c.writer, NULL, writer, &c);
	if (err)
		die("thread: %s", strerror(err));
	pfd[2] = (struct pollfd){ .fd = c.sock, .events = POLLIN };
	/* -1 (ignored by poll) without a usable /dev/dibs */
	pfd[3] = (struct pollfd){ .fd = dibsnl_watch_fd(c.h), .events = POLLIN };
	pfd[4] = (struct pollfd){ .fd = c.donefd, .events = POLLIN };
	while (!c.quit) {
		/*
		 * A header only once the last write's data is in slots: until
		 * then the socket is not polled at all (a hang-up would be
		 * reported anyway, and take() would read data as a header).
		 */
		pfd[2].fd = !c.rx && c.queued < MAX_QUEUED ? c.sock : -1;
		if (poll(pfd, 5, 100) < 0 && errno != EINTR)
			die("poll: %m");
		if (pfd[4].revents)
			tx_reap(&c);
		if (pfd[3].revents)
			dblk_watch_dispatch(c.h, on_watch, &c);
		if (pfd[1].revents) {
			/* the kernel answers with NBD_CMD_DISC */
			err = pthread_create(&c.stopper, NULL, stop_nbd, &c);
			if (err)
				msg("thread: %s", strerror(err));
			c.stopping = !err;
			c.quit = !!err;
			pfd[1].fd = -1;
		}
		err = pfd[0].revents ? dibsnl_ntf_dispatch(c.n, on_ntf, &c) : 0;
		if (err == -ENOBUFS && c.connected)
			reap(&c);
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
			take(&c);
		if (c.connected)
			post(&c);
		now = now_s();
		for (i = 0; c.connected && i < c.nslots; i++) {
			if (!c.slots[i].r || c.slots[i].held ||
			    now - c.slots[i].t < c.timeout)
				continue;
			/* a signal may have been lost: look once more */
			reap(&c);
			if (c.slots[i].r && !c.slots[i].held)
				disconnect(&c, "no answer in time");
		}
		/*
		 * An idle session: is the server still there? Found gone
		 * now, the session is set up again with the server's
		 * restart before the next request, which then does not fail.
		 */
		if (c.connected && now - c.busy_t >= DBLK_PROBE_IDLE_S) {
			c.busy_t = now;
			if (dblk_kick(&c.l))
				disconnect(&c, "gone (signal refused)");
		}
		if (!c.connected) {
			fail_all(&c, EIO);
			if (now - c.hello_t >= 1 && send_hello(&c))
				msg("hello: %s", dibsnl_errmsg(c.h));
		}
	}
	fail_all(&c, EIO);
	shutdown(c.sock, SHUT_RDWR);
	pthread_mutex_lock(&c.txlock);
	c.txstop = true;
	pthread_cond_signal(&c.txwork);
	pthread_mutex_unlock(&c.txlock);
	pthread_join(c.writer, NULL);
	close(c.donefd);
	if (c.stopping) {
		pthread_join(c.stopper, NULL);
	} else {
		if (pfd[1].fd >= 0) {
			msg("%s: the kernel ended the connection", nbdpath);
			rc = 1;
		}
		/* the device is left free, not set up with a dead socket */
		stop_nbd(&c);
	}
	close(c.sock);
out:
	if (c.connected)
		dblk_event(&c.l, c.srv_gid, DBLK_MSG_BYE, 0, c.l.own_token);
	dblk_unlink(&c.l, true);
	dibsnl_close(c.n);
	dibsnl_close(c.h);
	nbdnl_close(&c.nbd);
	free(c.bounce);
	return rc;
}
