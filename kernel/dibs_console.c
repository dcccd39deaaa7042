// SPDX-License-Identifier: GPL-2.0
/*
 * dibs_console - a tty over DIBS: /dev/ttyDIBS<n> on every dibs device,
 * served by a terminal server on another system of the fabric.
 *
 * The wire format is uapi/dibs-console.md: a handshake of software events
 * (HELLO from the server with the token of C2S, ACCEPT or REFUSE from
 * here), then one DMB per direction, each owned by its reader: the server
 * owns C2S (tty output, written here with move_data()), this client owns
 * S2C (keyboard input, window size, break, hangup; granted here with
 * register_dmb() to the server's gid only).
 *
 * A console is off by default. The administrator turns it on and names
 * the server gids it accepts in /sys/class/dibs/DEV/console/ (enabled,
 * allowed_gids); tty, state and peer_gid tell what it is doing.
 *
 * Contexts: handle_irq() and handle_event() may run in IRQ context; they
 * only note what arrived and queue the device's work item, which does the
 * rest (move_data(), register_dmb(), signal_event(), the tty) in process
 * context under the console's mutex. The tty's write() only fills a FIFO
 * the work item drains.
 *
 * Lifetimes: a console (struct dcon) is made by add_dev() and holds one
 * reference on its tty_port; every tty open on it holds another (install
 * and cleanup). del_dev() ends the session (HANGUP reason 3, S2C
 * unregistered), hangs the tty up, removes the tty device and drops its
 * reference; the last reference frees the console. An open tty holds the
 * module (the tty core's reference on the driver's owner), so the module
 * cannot go while a tty is open.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dibs.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/kfifo.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>
#include <uapi/linux/dibs_console.h>

/* The wire format's numbers are uapi/linux/dibs_console.h's; these are ours. */
#define DCON_MAX_TTYS		64
#define DCON_MAX_GIDS		16
#define DCON_TXBUF		8192	/* the tty's output FIFO, a power of 2 */
#define DCON_BOUNCE		4096	/* bytes moved per move_data() */
#define DCON_EVQ_LEN		16	/* handshake events waiting for work */
#define DCON_ENOBUFS_TRIES	10	/* signal_event() retries, 100 ms apart */

/* One console: the tty of one dibs device and its session. */
struct dcon {
	struct tty_port port;
	int minor;

	/* Configuration and session; the work item, sysfs and del_dev(). */
	struct mutex lock;
	struct dibs_dev *dibs;
	bool enabled;
	unsigned int n_allowed;
	uuid_t allowed[DCON_MAX_GIDS];
	bool connected;
	uuid_t peer;			/* the server's gid */
	u64 c2s_tok;			/* the server's DMB */
	u64 c2s_ring;			/* its ring size */
	u64 ended_tok;			/* C2S of a session the peer's flag ended */
	struct dibs_dmb s2c;		/* ours, registered while connected */
	u64 tx_prod;			/* bytes written into C2S's ring */
	u64 tx_ack;			/* of them, consumed by the server */
	u64 rx_cons;			/* bytes consumed from S2C's ring */
	u64 rx_acked;			/* rx_cons as last written to C2S */
	u32 tx_flags;			/* C2S's flags */
	u32 tx_ctl_seq;			/* C2S's ctl_seq */
	u32 rx_ctl_seq;			/* S2C's ctl_seq as last handled */
	u32 rx_flags;			/* S2C's flags as last handled */
	u16 rows, cols;
	u8 *bounce;			/* DCON_BOUNCE bytes */

	/* Any context: the tty's write(), the dibs callbacks. */
	spinlock_t slock;
	bool gone;			/* del_dev() began */
	bool live;			/* connected: output goes to C2S */
	bool throttled;			/* the line discipline asked */
	DECLARE_KFIFO(txfifo, u8, DCON_TXBUF);
	unsigned int ev_head, ev_count, ev_lost;
	struct dibs_event evq[DCON_EVQ_LEN];

	struct delayed_work work;
};

static struct tty_driver *dcon_driver;
static DEFINE_MUTEX(dcon_idr_lock);	/* minors; NULL once del_dev() began */
static DEFINE_IDR(dcon_idr);

static void dcon_add_dev(struct dibs_dev *dibs);
static void dcon_del_dev(struct dibs_dev *dibs);
static void dcon_handle_irq(struct dibs_dev *dibs, unsigned int idx,
			    u16 dmbemask);
static void dcon_handle_event(struct dibs_dev *dibs,
			      const struct dibs_event *event);

static const struct dibs_client_ops dcon_client_ops = {
	.add_dev = dcon_add_dev,
	.del_dev = dcon_del_dev,
	.handle_irq = dcon_handle_irq,
	.handle_event = dcon_handle_event,
};

static struct dibs_client dcon_client = {
	.name = "dibs_console",
	.ops = &dcon_client_ops,
};

static struct dcon *port_to_dcon(struct tty_port *port)
{
	return container_of(port, struct dcon, port);
}

/* Run the work item now; any context. Caller holds slock. */
static void dcon_kick_locked(struct dcon *dc)
{
	lockdep_assert_held(&dc->slock);
	if (!dc->gone)
		mod_delayed_work(system_wq, &dc->work, 0);
}

/* Wire helpers; under dc->lock */

/* Send a handshake event to @gid; ENOBUFS is retried 100 ms later. */
static int dcon_send(struct dcon *dc, const uuid_t *gid, u32 msg, u32 param,
		     u64 data)
{
	struct dibs_dev *dibs = dc->dibs;
	int i, ret = -EOPNOTSUPP;

	lockdep_assert_held(&dc->lock);
	if (!dibs->ops->signal_event)
		return ret;
	for (i = 0; i < DCON_ENOBUFS_TRIES; i++) {
		ret = dibs->ops->signal_event(dibs, gid, 1,
					      DIBS_CONSOLE_CODE(msg, param), data);
		if (ret != -ENOBUFS)
			break;
		msleep(100);
	}
	return ret;
}

/* Write @size bytes into C2S at @off, raising signal @sig if >= 0. */
static int dcon_put(struct dcon *dc, unsigned int off, void *data,
		    unsigned int size, int sig)
{
	struct dibs_dev *dibs = dc->dibs;

	lockdep_assert_held(&dc->lock);
	return dibs->ops->move_data(dibs, dc->c2s_tok, sig < 0 ? 0 : sig,
				    sig >= 0, off, data, size);
}

/*
 * A header field of C2S, little-endian as the wire format has it on every
 * architecture (uapi/dibs-console.md): one move_data() of its size.
 */
static int dcon_put_le32(struct dcon *dc, unsigned int off, u32 val, int sig)
{
	__le32 le = cpu_to_le32(val);

	return dcon_put(dc, off, &le, sizeof(le), sig);
}

static int dcon_put_le64(struct dcon *dc, unsigned int off, u64 val, int sig)
{
	__le64 le = cpu_to_le64(val);

	return dcon_put(dc, off, &le, sizeof(le), sig);
}

/* A header field of S2C, as the server stored it (little-endian). */
static u16 dcon_get_le16(const u8 *base, unsigned int off)
{
	return le16_to_cpu(READ_ONCE(*(const __le16 *)(base + off)));
}

static u32 dcon_get_le32(const u8 *base, unsigned int off)
{
	return le32_to_cpu(READ_ONCE(*(const __le32 *)(base + off)));
}

/* An index of S2C (prod or ack), loaded with acquire semantics. */
static u64 dcon_get_le64_acquire(const u8 *base, unsigned int off)
{
	/* Acquire: what the server wrote before the index is seen with it. */
	return le64_to_cpu(smp_load_acquire((const __le64 *)(base + off)));
}

enum dcon_end_how {
	DCON_END_QUIET,		/* replaced or lost: no HANGUP, tty kept */
	DCON_END_NOTIFY,	/* flag and HANGUP to the server */
};

/*
 * End the session: tell the server when asked, unregister S2C, discard
 * pending output. The tty stays (as a serial line without terminal)
 * unless the caller hangs it up.
 */
static void dcon_end(struct dcon *dc, enum dcon_end_how how, u32 reason)
{
	struct dibs_dev *dibs = dc->dibs;
	unsigned long flags;
	int ret;

	lockdep_assert_held(&dc->lock);
	if (!dc->connected)
		return;
	if (how == DCON_END_NOTIFY) {
		dc->tx_flags |= DIBS_CONSOLE_FLAG_HANGUP;
		dc->tx_ctl_seq++;
		if (!dcon_put_le32(dc, DIBS_CONSOLE_OFF_FLAGS, dc->tx_flags, -1))
			dcon_put_le32(dc, DIBS_CONSOLE_OFF_CTL_SEQ,
				      dc->tx_ctl_seq, DIBS_CONSOLE_SIG_CTL);
		dcon_send(dc, &dc->peer, DIBS_CONSOLE_HANGUP, reason,
			  dc->s2c.dmb_tok);
	}
	spin_lock_irqsave(&dc->slock, flags);
	dc->live = false;
	kfifo_reset(&dc->txfifo);
	spin_unlock_irqrestore(&dc->slock, flags);

	ret = dibs->ops->unregister_dmb(dibs, &dc->s2c);
	if (ret)
		pr_warn("%s: unregister_dmb of S2C failed: %d\n",
			dev_name(&dibs->dev), ret);
	memset(&dc->s2c, 0, sizeof(dc->s2c));
	dc->connected = false;
	uuid_copy(&dc->peer, &uuid_null);
	dc->c2s_tok = 0;
	tty_port_tty_wakeup(&dc->port);
}

/* The server is gone (its DMB or device): end without telling it. */
static void dcon_lost(struct dcon *dc, int err)
{
	pr_info("%s: session with %pUb lost (%d)\n",
		dev_name(&dc->dibs->dev), &dc->peer, err);
	dcon_end(dc, DCON_END_QUIET, 0);
}

/* End the session from this side and hang the tty up (SIGHUP). */
static void dcon_close(struct dcon *dc, u32 reason)
{
	if (!dc->connected)
		return;
	dcon_end(dc, DCON_END_NOTIFY, reason);
	tty_port_tty_hangup(&dc->port, false);
}

static bool dcon_allowed(struct dcon *dc, const uuid_t *gid)
{
	unsigned int i;

	for (i = 0; i < dc->n_allowed; i++)
		if (uuid_equal(&dc->allowed[i], gid))
			return true;
	return false;
}

/* A HELLO from @ev->gid: refuse, or grant S2C and accept. */
static void dcon_hello(struct dcon *dc, const struct dibs_event *ev)
{
	struct dibs_dev *dibs = dc->dibs;
	u32 order = DIBS_CONSOLE_CODE_PARAM(ev->subtype);
	const uuid_t *gid = &ev->gid;
	unsigned long flags;
	u32 reason = 0;
	u32 magic;
	int ret;

	if (DIBS_CONSOLE_CODE_VERSION(ev->subtype) != DIBS_CONSOLE_VERSION ||
	    order < DIBS_CONSOLE_RING_ORDER_MIN || order > DIBS_CONSOLE_RING_ORDER_MAX)
		reason = DIBS_CONSOLE_REFUSE_VERSION;
	else if (!dc->enabled)
		reason = DIBS_CONSOLE_REFUSE_NOCONSOLE;
	else if (!dcon_allowed(dc, gid))
		reason = DIBS_CONSOLE_REFUSE_GID;
	else if (dc->connected && !uuid_equal(&dc->peer, gid))
		reason = DIBS_CONSOLE_REFUSE_BUSY;
	if (reason) {
		pr_info("%s: HELLO from %pUb refused, reason %u\n",
			dev_name(&dibs->dev), gid, reason);
		dcon_send(dc, gid, DIBS_CONSOLE_REFUSE, reason, 0);
		return;
	}

	/* A HELLO from the current server replaces its session. */
	dcon_end(dc, DCON_END_QUIET, 0);

	memset(&dc->s2c, 0, sizeof(dc->s2c));
	uuid_copy(&dc->s2c.rgid, gid);
	dc->s2c.dmb_len = DIBS_CONSOLE_OFF_RING + (1U << DIBS_CONSOLE_RING_ORDER);
	ret = dibs->ops->register_dmb(dibs, &dc->s2c, &dcon_client);
	if (ret) {
		pr_warn("%s: cannot grant S2C to %pUb: %d\n",
			dev_name(&dibs->dev), gid, ret);
		dcon_send(dc, gid, DIBS_CONSOLE_REFUSE, DIBS_CONSOLE_REFUSE_BUSY, 0);
		return;
	}
	memset(dc->s2c.cpu_addr, 0, dc->s2c.dmb_len);

	uuid_copy(&dc->peer, gid);
	dc->c2s_tok = ev->data;
	dc->c2s_ring = 1ULL << order;
	dc->ended_tok = 0;
	dc->tx_prod = 0;
	dc->tx_ack = 0;
	dc->rx_cons = 0;
	dc->rx_acked = 0;
	dc->tx_flags = 0;
	dc->tx_ctl_seq = 0;
	dc->rx_ctl_seq = 0;
	dc->rx_flags = 0;
	dc->rows = 0;
	dc->cols = 0;
	dc->connected = true;

	ret = dcon_send(dc, gid, DIBS_CONSOLE_ACCEPT, DIBS_CONSOLE_RING_ORDER, dc->s2c.dmb_tok);
	if (!ret) {
		memcpy(&magic, DIBS_CONSOLE_MAGIC, sizeof(magic));
		ret = dcon_put(dc, DIBS_CONSOLE_OFF_MAGIC, &magic, sizeof(magic), -1);
	}
	if (ret) {
		dcon_lost(dc, ret);
		return;
	}
	spin_lock_irqsave(&dc->slock, flags);
	kfifo_reset(&dc->txfifo);
	dc->live = true;
	spin_unlock_irqrestore(&dc->slock, flags);
	pr_info("%s: ttyDIBS%d connected to %pUb\n", dev_name(&dibs->dev),
		dc->minor, gid);
}

static void dcon_event(struct dcon *dc, const struct dibs_event *ev)
{
	bool mine;

	switch (ev->type) {
	case DIBS_SW_EVENT:
		switch (DIBS_CONSOLE_CODE_MSG(ev->subtype)) {
		case DIBS_CONSOLE_HELLO:
			dcon_hello(dc, ev);
			break;
		case DIBS_CONSOLE_HANGUP:
			/* The sender names the C2S of the session it ends. */
			mine = (dc->connected && ev->data == dc->c2s_tok &&
				uuid_equal(&ev->gid, &dc->peer)) ||
			       (dc->ended_tok && ev->data == dc->ended_tok);
			if (!mine)
				break;
			dcon_end(dc, DCON_END_QUIET, 0);
			dc->ended_tok = 0;
			if (DIBS_CONSOLE_CODE_PARAM(ev->subtype) != DIBS_CONSOLE_HUP_GOING)
				tty_port_tty_hangup(&dc->port, false);
			break;
		default:	/* ACCEPT, REFUSE: for servers */
			break;
		}
		break;
	case DIBS_DEV_EVENT:
		if (ev->subtype == DIBS_DEV_DISABLED && dc->connected &&
		    uuid_equal(&ev->gid, &dc->peer))
			dcon_lost(dc, -ENETDOWN);
		break;
	case DIBS_BUF_EVENT:
		if (ev->subtype == DIBS_BUF_UNREGISTERED && dc->connected &&
		    ev->buffer_tok == dc->c2s_tok)
			dcon_lost(dc, -ENOENT);
		break;
	}
}

static bool dcon_ev_pop(struct dcon *dc, struct dibs_event *ev)
{
	unsigned long flags;
	bool got = false;

	spin_lock_irqsave(&dc->slock, flags);
	if (dc->ev_count) {
		*ev = dc->evq[dc->ev_head];
		dc->ev_head = (dc->ev_head + 1) % DCON_EVQ_LEN;
		dc->ev_count--;
		got = true;
	}
	spin_unlock_irqrestore(&dc->slock, flags);
	return got;
}

/* Control fields of S2C: window size, break, hangup. */
static void dcon_rx_ctl(struct dcon *dc, const u8 *base)
{
	u32 seq = dcon_get_le32(base, DIBS_CONSOLE_OFF_CTL_SEQ);
	struct tty_struct *tty;
	struct winsize ws = {};
	u32 flags;

	if (seq == dc->rx_ctl_seq)
		return;
	dc->rx_ctl_seq = seq;
	smp_rmb();	/* the fields before their ctl_seq */
	flags = dcon_get_le32(base, DIBS_CONSOLE_OFF_FLAGS);
	ws.ws_row = dcon_get_le16(base, DIBS_CONSOLE_OFF_ROWS);
	ws.ws_col = dcon_get_le16(base, DIBS_CONSOLE_OFF_COLS);

	if ((flags ^ dc->rx_flags) & DIBS_CONSOLE_FLAG_BREAK) {
		tty_insert_flip_char(&dc->port, 0, TTY_BREAK);
		tty_flip_buffer_push(&dc->port);
	}
	dc->rx_flags = flags;
	if ((ws.ws_row || ws.ws_col) &&
	    (ws.ws_row != dc->rows || ws.ws_col != dc->cols)) {
		dc->rows = ws.ws_row;
		dc->cols = ws.ws_col;
		tty = tty_port_tty_get(&dc->port);
		if (tty) {
			tty_do_resize(tty, &ws);
			tty_kref_put(tty);
		}
	}
}

/*
 * What the server wrote into S2C: its ack of C2S, control, and data for
 * the tty. Return: 0, or -EPROTO after the session was ended.
 */
static int dcon_rx(struct dcon *dc, bool *retry)
{
	const u8 *base = dc->s2c.cpu_addr;
	u64 ring = 1ULL << DIBS_CONSOLE_RING_ORDER;
	struct tty_struct *tty;
	u64 ack, prod, avail;
	unsigned long flags;
	bool was_full, throttled;
	unsigned int off, n, done;
	int ret;

	/* Acquire: pairs with the device's release store of an index. */
	ack = dcon_get_le64_acquire(base, DIBS_CONSOLE_OFF_ACK);
	if (ack - dc->tx_ack > dc->tx_prod - dc->tx_ack) {
		pr_warn("%s: server acked %llu of %llu bytes\n",
			dev_name(&dc->dibs->dev), ack, dc->tx_prod);
		dcon_close(dc, DIBS_CONSOLE_HUP_CLOSED);
		return -EPROTO;
	}
	dc->tx_ack = ack;

	dcon_rx_ctl(dc, base);
	if (dc->rx_flags & DIBS_CONSOLE_FLAG_HANGUP) {
		/* The HANGUP event that follows says whether to hang up. */
		dc->ended_tok = dc->c2s_tok;
		dcon_end(dc, DCON_END_QUIET, 0);
		return -EPROTO;
	}

	/* Acquire: the ring's bytes up to prod are there once it is seen. */
	prod = dcon_get_le64_acquire(base, DIBS_CONSOLE_OFF_PROD);
	avail = prod - dc->rx_cons;
	if (avail > ring) {
		pr_warn("%s: server wrote %llu bytes, %llu consumed\n",
			dev_name(&dc->dibs->dev), prod, dc->rx_cons);
		dcon_close(dc, DIBS_CONSOLE_HUP_CLOSED);
		return -EPROTO;
	}
	was_full = avail == ring;

	spin_lock_irqsave(&dc->slock, flags);
	throttled = dc->throttled;
	spin_unlock_irqrestore(&dc->slock, flags);

	/* Input while no tty is open is discarded, as on a serial line. */
	tty = tty_port_tty_get(&dc->port);
	while (avail && !(tty && throttled)) {
		off = dc->rx_cons & (ring - 1);
		n = min_t(u64, avail, ring - off);
		done = n;
		if (tty)
			done = tty_insert_flip_string(&dc->port,
						      base + DIBS_CONSOLE_OFF_RING + off,
						      n);
		dc->rx_cons += done;
		avail -= done;
		if (done < n) {
			*retry = true;
			break;
		}
	}
	if (tty) {
		tty_flip_buffer_push(&dc->port);
		tty_kref_put(tty);
	}

	if (dc->rx_cons - dc->rx_acked >= ring / 4 ||
	    (was_full && dc->rx_cons != dc->rx_acked)) {
		ret = dcon_put_le64(dc, DIBS_CONSOLE_OFF_ACK, dc->rx_cons,
				    DIBS_CONSOLE_SIG_ACK);
		if (ret) {
			dcon_lost(dc, ret);
			return ret;
		}
		dc->rx_acked = dc->rx_cons;
	}
	return 0;
}

/* Drain the tty's output into C2S as far as the server's ring has room. */
static int dcon_tx(struct dcon *dc)
{
	u64 ring = dc->c2s_ring;
	unsigned int n, off, first;
	bool moved = false;
	u64 room;
	int ret = 0;

	for (;;) {
		room = ring - (dc->tx_prod - dc->tx_ack);
		n = min_t(u64, room, DCON_BOUNCE);
		if (!n)
			break;
		n = kfifo_out_spinlocked(&dc->txfifo, dc->bounce, n,
					 &dc->slock);
		if (!n)
			break;
		moved = true;
		off = dc->tx_prod & (ring - 1);
		first = min_t(u64, n, ring - off);
		ret = dcon_put(dc, DIBS_CONSOLE_OFF_RING + off, dc->bounce, first, -1);
		if (!ret && first < n)
			ret = dcon_put(dc, DIBS_CONSOLE_OFF_RING, dc->bounce + first,
				       n - first, -1);
		if (ret)
			break;
		dc->tx_prod += n;
		ret = dcon_put_le64(dc, DIBS_CONSOLE_OFF_PROD, dc->tx_prod,
				    DIBS_CONSOLE_SIG_DATA);
		if (ret)
			break;
	}
	if (ret)
		dcon_lost(dc, ret);
	else if (moved)
		tty_port_tty_wakeup(&dc->port);
	return ret;
}

static void dcon_work_fn(struct work_struct *work)
{
	struct dcon *dc = container_of(to_delayed_work(work), struct dcon,
				       work);
	struct dibs_event ev;
	bool retry = false;

	mutex_lock(&dc->lock);
	while (dcon_ev_pop(dc, &ev))
		dcon_event(dc, &ev);
	if (dc->connected && !dcon_rx(dc, &retry) && dc->connected)
		dcon_tx(dc);
	mutex_unlock(&dc->lock);
	/* The tty's buffers were full: try again shortly. */
	if (retry) {
		unsigned long flags;

		spin_lock_irqsave(&dc->slock, flags);
		if (!dc->gone)
			mod_delayed_work(system_wq, &dc->work, HZ / 50);
		spin_unlock_irqrestore(&dc->slock, flags);
	}
}

/* dibs client callbacks; IRQ context possible */

static void dcon_handle_irq(struct dibs_dev *dibs, unsigned int idx,
			    u16 dmbemask)
{
	struct dcon *dc = dibs_get_priv(dibs, &dcon_client);
	unsigned long flags;

	if (!dc)
		return;
	spin_lock_irqsave(&dc->slock, flags);
	if (dc->live)
		dcon_kick_locked(dc);
	spin_unlock_irqrestore(&dc->slock, flags);
}

static bool dcon_event_wanted(const struct dibs_event *ev)
{
	switch (ev->type) {
	case DIBS_SW_EVENT:
		return (ev->subtype & DIBS_CONSOLE_CODE_MASK) == DIBS_CONSOLE_CODE_BASE;
	case DIBS_DEV_EVENT:
		return ev->subtype == DIBS_DEV_DISABLED;
	case DIBS_BUF_EVENT:
		return ev->subtype == DIBS_BUF_UNREGISTERED;
	}
	return false;
}

static void dcon_handle_event(struct dibs_dev *dibs,
			      const struct dibs_event *event)
{
	struct dcon *dc = dibs_get_priv(dibs, &dcon_client);
	unsigned long flags;

	if (!dc || !dcon_event_wanted(event))
		return;
	spin_lock_irqsave(&dc->slock, flags);
	if (dc->ev_count < DCON_EVQ_LEN) {
		dc->evq[(dc->ev_head + dc->ev_count) % DCON_EVQ_LEN] = *event;
		dc->ev_count++;
		dcon_kick_locked(dc);
	} else {
		/* The server sends HELLO again; nothing else is lost for good. */
		dc->ev_lost++;
	}
	spin_unlock_irqrestore(&dc->slock, flags);
}

/* tty */

static int dcon_install(struct tty_driver *driver, struct tty_struct *tty)
{
	struct dcon *dc;
	int ret;

	mutex_lock(&dcon_idr_lock);
	dc = idr_find(&dcon_idr, tty->index);
	if (dc)
		tty_port_get(&dc->port);
	mutex_unlock(&dcon_idr_lock);
	if (!dc)
		return -ENODEV;
	ret = tty_port_install(&dc->port, driver, tty);
	if (ret)
		tty_port_put(&dc->port);
	return ret;
}

static void dcon_cleanup(struct tty_struct *tty)
{
	tty_port_put(tty->port);
}

static int dcon_open(struct tty_struct *tty, struct file *filp)
{
	return tty_port_open(tty->port, tty, filp);
}

static void dcon_tty_close(struct tty_struct *tty, struct file *filp)
{
	tty_port_close(tty->port, tty, filp);
}

static void dcon_tty_hangup(struct tty_struct *tty)
{
	tty_port_hangup(tty->port);
}

/* Output: into the FIFO while connected, discarded while not. */
static size_t dcon_do_write(struct tty_struct *tty, const u8 *buf,
			    size_t count)
{
	struct dcon *dc = port_to_dcon(tty->port);
	unsigned long flags;
	size_t n = count;

	spin_lock_irqsave(&dc->slock, flags);
	if (dc->live) {
		n = kfifo_in(&dc->txfifo, buf, count);
		if (n)
			dcon_kick_locked(dc);
	}
	spin_unlock_irqrestore(&dc->slock, flags);
	return n;
}

#ifdef DIBS_HAVE_TTY_WRITE_SIZE_T
static ssize_t dcon_write(struct tty_struct *tty, const u8 *buf,
			  size_t count)
{
	return dcon_do_write(tty, buf, count);
}
#else
static int dcon_write(struct tty_struct *tty, const u8 *buf, int count)
{
	return dcon_do_write(tty, buf, count);
}
#endif

static unsigned int dcon_write_room(struct tty_struct *tty)
{
	struct dcon *dc = port_to_dcon(tty->port);
	unsigned long flags;
	unsigned int room = DCON_TXBUF;

	spin_lock_irqsave(&dc->slock, flags);
	if (dc->live)
		room = kfifo_avail(&dc->txfifo);
	spin_unlock_irqrestore(&dc->slock, flags);
	return room;
}

static unsigned int dcon_chars_in_buffer(struct tty_struct *tty)
{
	struct dcon *dc = port_to_dcon(tty->port);
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&dc->slock, flags);
	len = kfifo_len(&dc->txfifo);
	spin_unlock_irqrestore(&dc->slock, flags);
	return len;
}

static void dcon_throttle(struct tty_struct *tty)
{
	struct dcon *dc = port_to_dcon(tty->port);
	unsigned long flags;

	spin_lock_irqsave(&dc->slock, flags);
	dc->throttled = true;
	spin_unlock_irqrestore(&dc->slock, flags);
}

static void dcon_unthrottle(struct tty_struct *tty)
{
	struct dcon *dc = port_to_dcon(tty->port);
	unsigned long flags;

	spin_lock_irqsave(&dc->slock, flags);
	dc->throttled = false;
	dcon_kick_locked(dc);
	spin_unlock_irqrestore(&dc->slock, flags);
}

static const struct tty_operations dcon_tty_ops = {
	.install = dcon_install,
	.open = dcon_open,
	.close = dcon_tty_close,
	.cleanup = dcon_cleanup,
	.hangup = dcon_tty_hangup,
	.write = dcon_write,
	.write_room = dcon_write_room,
	.chars_in_buffer = dcon_chars_in_buffer,
	.throttle = dcon_throttle,
	.unthrottle = dcon_unthrottle,
};

/* The last reference to the port is gone: no tty, no device. */
static void dcon_port_destruct(struct tty_port *port)
{
	struct dcon *dc = port_to_dcon(port);

	mutex_lock(&dcon_idr_lock);
	idr_remove(&dcon_idr, dc->minor);
	mutex_unlock(&dcon_idr_lock);
	kfree(dc->bounce);
	kfree(dc);
}

static const struct tty_port_operations dcon_port_ops = {
	.destruct = dcon_port_destruct,
};

/* sysfs: /sys/class/dibs/DEV/console/ */

static struct dcon *dev_to_dcon(struct device *dev)
{
	return dibs_get_priv(container_of(dev, struct dibs_dev, dev),
			     &dcon_client);
}

static ssize_t enabled_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct dcon *dc = dev_to_dcon(dev);
	bool on;

	mutex_lock(&dc->lock);
	on = dc->enabled;
	mutex_unlock(&dc->lock);
	return sysfs_emit(buf, "%d\n", on);
}

static ssize_t enabled_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct dcon *dc = dev_to_dcon(dev);
	bool on;
	int ret;

	ret = kstrtobool(buf, &on);
	if (ret)
		return ret;
	mutex_lock(&dc->lock);
	dc->enabled = on;
	if (!on)
		dcon_close(dc, DIBS_CONSOLE_HUP_CLOSED);
	mutex_unlock(&dc->lock);
	return count;
}
static DEVICE_ATTR_RW(enabled);

static ssize_t allowed_gids_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct dcon *dc = dev_to_dcon(dev);
	unsigned int i;
	int len = 0;

	mutex_lock(&dc->lock);
	for (i = 0; i < dc->n_allowed; i++)
		len += sysfs_emit_at(buf, len, "%pUb\n", &dc->allowed[i]);
	mutex_unlock(&dc->lock);
	return len;
}

static ssize_t allowed_gids_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct dcon *dc = dev_to_dcon(dev);
	char *copy, *cur, *tok;
	unsigned int n = 0;
	uuid_t *gids;
	int ret = 0;

	gids = kcalloc(DCON_MAX_GIDS, sizeof(*gids), GFP_KERNEL);
	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!gids || !copy) {
		ret = -ENOMEM;
		goto out;
	}
	cur = copy;
	while ((tok = strsep(&cur, " \t\n,"))) {
		if (!*tok)
			continue;
		if (n == DCON_MAX_GIDS) {
			ret = -E2BIG;
			goto out;
		}
		if (uuid_parse(tok, &gids[n])) {
			ret = -EINVAL;
			goto out;
		}
		n++;
	}
	mutex_lock(&dc->lock);
	memcpy(dc->allowed, gids, n * sizeof(*gids));
	dc->n_allowed = n;
	if (dc->connected && !dcon_allowed(dc, &dc->peer))
		dcon_close(dc, DIBS_CONSOLE_HUP_CLOSED);
	mutex_unlock(&dc->lock);
out:
	kfree(copy);
	kfree(gids);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(allowed_gids);

static ssize_t tty_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "ttyDIBS%d\n", dev_to_dcon(dev)->minor);
}
static DEVICE_ATTR_RO(tty);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct dcon *dc = dev_to_dcon(dev);
	const char *state = "idle";

	mutex_lock(&dc->lock);
	if (dc->connected)
		state = "connected";
	else if (!dc->enabled)
		state = "disabled";
	mutex_unlock(&dc->lock);
	return sysfs_emit(buf, "%s\n", state);
}
static DEVICE_ATTR_RO(state);

static ssize_t peer_gid_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct dcon *dc = dev_to_dcon(dev);
	int len = 0;

	mutex_lock(&dc->lock);
	if (dc->connected)
		len = sysfs_emit(buf, "%pUb\n", &dc->peer);
	mutex_unlock(&dc->lock);
	return len;
}
static DEVICE_ATTR_RO(peer_gid);

static struct attribute *dcon_attrs[] = {
	&dev_attr_enabled.attr,
	&dev_attr_allowed_gids.attr,
	&dev_attr_tty.attr,
	&dev_attr_state.attr,
	&dev_attr_peer_gid.attr,
	NULL
};

static const struct attribute_group dcon_group = {
	.name = "console",
	.attrs = dcon_attrs,
};

/* Devices */

static void dcon_add_dev(struct dibs_dev *dibs)
{
	struct device *ttydev;
	struct dcon *dc;
	int minor, ret;

	dc = kzalloc(sizeof(*dc), GFP_KERNEL);
	if (!dc)
		goto nomem;
	dc->bounce = kmalloc(DCON_BOUNCE, GFP_KERNEL);
	if (!dc->bounce) {
		kfree(dc);
		goto nomem;
	}
	mutex_init(&dc->lock);
	spin_lock_init(&dc->slock);
	INIT_KFIFO(dc->txfifo);
	INIT_DELAYED_WORK(&dc->work, dcon_work_fn);
	dc->dibs = dibs;

	mutex_lock(&dcon_idr_lock);
	minor = idr_alloc(&dcon_idr, dc, 0, DCON_MAX_TTYS, GFP_KERNEL);
	mutex_unlock(&dcon_idr_lock);
	if (minor < 0) {
		pr_warn("%s: no console: %d ttys in use\n", dev_name(&dibs->dev),
			DCON_MAX_TTYS);
		kfree(dc->bounce);
		kfree(dc);
		return;
	}
	dc->minor = minor;
	/* From here on the port's last reference frees the console. */
	tty_port_init(&dc->port);
	dc->port.ops = &dcon_port_ops;
	dibs_set_priv(dibs, &dcon_client, dc);

	ttydev = tty_port_register_device(&dc->port, dcon_driver, minor,
					  &dibs->dev);
	if (IS_ERR(ttydev)) {
		ret = PTR_ERR(ttydev);
		goto put;
	}
	ret = sysfs_create_group(&dibs->dev.kobj, &dcon_group);
	if (ret) {
		tty_unregister_device(dcon_driver, minor);
		goto put;
	}
	return;

put:
	pr_warn("%s: no console: %d\n", dev_name(&dibs->dev), ret);
	dibs_set_priv(dibs, &dcon_client, NULL);
	tty_port_put(&dc->port);
	return;
nomem:
	pr_warn("%s: no console: out of memory\n", dev_name(&dibs->dev));
}

static void dcon_del_dev(struct dibs_dev *dibs)
{
	struct dcon *dc = dibs_get_priv(dibs, &dcon_client);
	unsigned long flags;

	if (!dc)
		return;
	/* No sysfs access, no new opens, no new work from here on. */
	sysfs_remove_group(&dibs->dev.kobj, &dcon_group);
	mutex_lock(&dcon_idr_lock);
	idr_replace(&dcon_idr, NULL, dc->minor);
	mutex_unlock(&dcon_idr_lock);
	spin_lock_irqsave(&dc->slock, flags);
	dc->gone = true;
	spin_unlock_irqrestore(&dc->slock, flags);
	cancel_delayed_work_sync(&dc->work);

	mutex_lock(&dc->lock);
	dcon_end(dc, DCON_END_NOTIFY, DIBS_CONSOLE_HUP_GOING);
	dc->enabled = false;
	dc->dibs = NULL;
	mutex_unlock(&dc->lock);

	tty_port_tty_hangup(&dc->port, false);
	tty_unregister_device(dcon_driver, dc->minor);
	dibs_set_priv(dibs, &dcon_client, NULL);
	tty_port_put(&dc->port);
}

static int __init dcon_init(void)
{
	struct tty_driver *driver;
	int ret;

	driver = tty_alloc_driver(DCON_MAX_TTYS, TTY_DRIVER_DYNAMIC_DEV);
	if (IS_ERR(driver))
		return PTR_ERR(driver);
	driver->driver_name = "dibs_console";
	driver->name = "ttyDIBS";
	driver->major = 0;	/* dynamic */
	driver->type = TTY_DRIVER_TYPE_SERIAL;
	driver->subtype = SERIAL_TYPE_NORMAL;
	driver->init_termios = tty_std_termios;
	driver->init_termios.c_cflag = B38400 | CS8 | CREAD | HUPCL | CLOCAL;
	tty_set_operations(driver, &dcon_tty_ops);
	ret = tty_register_driver(driver);
	if (ret)
		goto put;
	dcon_driver = driver;

	ret = dibs_register_client(&dcon_client);
	if (ret)
		goto unregister;
	return 0;

unregister:
	tty_unregister_driver(driver);
put:
	tty_driver_kref_put(driver);
	dcon_driver = NULL;
	return ret;
}

static void __exit dcon_exit(void)
{
	int ret;

	/* Every console's del_dev() ran; none holds a DMB. */
	ret = dibs_unregister_client(&dcon_client);
	WARN_ON(ret);
	tty_unregister_driver(dcon_driver);
	tty_driver_kref_put(dcon_driver);
	idr_destroy(&dcon_idr);
}

module_init(dcon_init);
module_exit(dcon_exit);

MODULE_DESCRIPTION("A tty over DIBS, served by a terminal server on the fabric");
MODULE_LICENSE("GPL");
