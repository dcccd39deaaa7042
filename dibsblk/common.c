// SPDX-License-Identifier: GPL-2.0
/*
 * dibs-blk: what the server and the client share: messages, argument
 * parsing, and the two DMBs of a session (the one a side owns and reads,
 * the one it writes into), mapped where the device can, through
 * dmb-read/dmb-write where it cannot.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/dibs.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dibsblk.h"

const char *prog = "dibs-blk";
int verbose;

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}

/* A usage error: the message, then the command's usage line; exit 2 */
void usage_die(void (*usage)(FILE *f), const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	usage(stderr);
	exit(2);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A device by index (all digits) or by name */
struct dibsnl_dev_ref parse_dev(const char *s)
{
	struct dibsnl_dev_ref ref = { 0, s };
	char *end;
	unsigned long v;

	if (!*s)
		die("--dev: empty device name");
	v = strtoul(s, &end, 10);
	if (!*end) {
		if (!v || v > UINT32_MAX)
			die("--dev %s: not a device index (1..%u)", s,
			    UINT32_MAX);
		ref.index = v;
		ref.name = NULL;
	} else if (strlen(s) >= DIBSNL_NAME_MAX) {
		die("--dev %s: a device name has at most %d characters", s,
		    DIBSNL_NAME_MAX - 1);
	}
	return ref;
}

/* A byte count with an optional K, M, G, T suffix (powers of 1024) */
uint64_t parse_size(const char *opt, const char *s)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		die("%s %s: not a size in bytes", opt, s);
	if (*end) {
		const char *p = strchr("KMGT", *end & ~0x20);

		if (p && *p)
			shift = 10 * (unsigned int)(p - "KMGT" + 1);
		if (shift)
			end++;
	}
	if (*end)
		die("%s %s: unknown suffix (K, M, G or T)", opt, s);
	if (shift && v > (~0ULL >> shift))
		die("%s %s: too large", opt, s);
	return v << shift;
}

unsigned int parse_uint(const char *opt, const char *s, unsigned int max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		die("%s %s: not a number from 0 to %u", opt, s, max);
	return v;
}

/*
 * The own DMB's signals: watched on /dev/dibs, where the device's
 * interrupt wakes the reader (dblk_watch_dispatch()); or where that
 * cannot be (no usable /dev/dibs, a module without the watch, the
 * handle's DIBS_DMB_WATCH_MAX watches taken), the "signal" notifications,
 * which l->ntf then joins.
 */
static void watch_own(struct dblk_link *l)
{
	int err;

	err = dibsnl_dmb_watch(l->h, l->dev, l->own_token);
	if (!err)
		return;
	if (verbose)
		msg("own DMB %#llx: signals by notification: %s",
		    (unsigned long long)l->own_token, dibsnl_errmsg(l->h));
	err = dibsnl_subscribe(l->ntf, DIBSNL_GROUP_SIGNAL);
	if (err)
		msg("subscribe to signals: %s", dibsnl_errmsg(l->ntf));
}

/*
 * Read what the watches of @h have: @fn for each DMB that had signals (or
 * whose watch ended). 0 once nothing is left, or a negative errno.
 */
int dblk_watch_dispatch(struct dibsnl *h,
			void (*fn)(void *arg, uint64_t token), void *arg)
{
	struct dibsnl_watch_event ev[16];
	int n, i;

	while ((n = dibsnl_watch_read(h, ev, 16, 0)) > 0)
		for (i = 0; i < n; i++)
			fn(arg, ev[i].token);
	return n;
}

/*
 * Grant the DMB this side owns to the peer's gid, with @slots slots, or
 * DBLK_SLOTS_V1 where the device refuses one that large (a soft device's
 * largest is one block of the page allocator's largest order; an ivshmem
 * peer has its share of the region); map it (owner, rw) and watch its
 * signals. l->own_slots says how many it has.
 */
int dblk_grant_own(struct dblk_link *l, unsigned int slots)
{
	struct dibsnl_dmb dmb;
	int err;

	err = dibsnl_dmb_grant(l->h, l->dev, l->peer_gid, DBLK_DMB_LEN(slots),
			       true, &dmb);
	if (err && slots > DBLK_SLOTS_V1) {
		if (verbose)
			msg("grant of a %u-byte DMB: %s; %u slots instead",
			    DBLK_DMB_LEN(slots), dibsnl_errmsg(l->h),
			    DBLK_SLOTS_V1);
		slots = DBLK_SLOTS_V1;
		err = dibsnl_dmb_grant(l->h, l->dev, l->peer_gid,
				       DBLK_DMB_LEN(slots), true, &dmb);
	}
	if (err) {
		msg("grant of a %u-byte DMB: %s", DBLK_DMB_LEN(slots),
		    dibsnl_errmsg(l->h));
		return err;
	}
	l->own_token = dmb.token;
	l->own_slots = slots;
	err = dibsnl_dmb_map(l->h, l->dev, l->own_token, DIBSNL_MAP_WRITE,
			     &l->own);
	if (err) {
		if (err != -EOPNOTSUPP) {
			msg("map of own DMB %#llx: %s",
			    (unsigned long long)l->own_token,
			    dibsnl_errmsg(l->h));
			dibsnl_dmb_revoke(l->h, l->dev, l->own_token);
			l->own_token = 0;
			return err;
		}
		memset(&l->own, 0, sizeof(l->own));
		if (verbose)
			msg("own DMB not mapped, reading with dmb-read: %s",
			    dibsnl_errmsg(l->h));
	} else {
		/* "nothing written yet" reads as zero */
		memset(l->own.addr, 0, DBLK_DATA_OFF);
	}
	watch_own(l);
	return 0;
}

/*
 * Map the peer's DMB for writing, or fall back to dmb-write; it must
 * have room for @slots slots
 */
int dblk_map_peer(struct dblk_link *l, uint64_t token, unsigned int slots)
{
	int err;

	err = dibsnl_dmb_map(l->h, l->dev, token,
			     DIBSNL_MAP_REMOTE | DIBSNL_MAP_FALLBACK, &l->peer);
	if (err) {
		msg("map of the peer's DMB %#llx: %s",
		    (unsigned long long)token, dibsnl_errmsg(l->h));
		return err;
	}
	/*
	 * A fallback has no length to check (0): a write past the peer's
	 * DMB then fails, and the session with it.
	 */
	if (!l->peer.fallback && l->peer.len < DBLK_DMB_LEN(slots)) {
		msg("the peer's DMB %#llx has %u bytes, %u needed",
		    (unsigned long long)token, l->peer.len,
		    DBLK_DMB_LEN(slots));
		dibsnl_dmb_unmap(&l->peer);
		return -EINVAL;
	}
	l->peer_token = token;
	l->peer_mapped = true;
	return 0;
}

void dblk_unlink(struct dblk_link *l, bool revoke)
{
	if (l->peer_mapped)
		dibsnl_dmb_unmap(&l->peer);
	l->peer_mapped = false;
	l->peer_token = 0;
	if (l->own.addr)
		dibsnl_dmb_unmap(&l->own);
	if (l->own_token && revoke)
		dibsnl_dmb_revoke(l->h, l->dev, l->own_token);
	l->own_token = 0;
	l->own_slots = 0;
}

/* Store into the peer's DMB */
int dblk_put(struct dblk_link *l, uint32_t off, const void *data, size_t len)
{
	if (l->peer.addr) {
		memcpy((char *)l->peer.addr + off, data, len);
		return 0;
	}
	return dibsnl_dmb_write(l->h, l->dev, l->peer_token, off, data, len,
				-1);
}

/* Load from the own DMB */
int dblk_get(struct dblk_link *l, uint32_t off, void *buf, size_t len)
{
	size_t n;
	int err;

	if (l->own.addr) {
		memcpy(buf, (char *)l->own.addr + off, len);
		return 0;
	}
	while (len) {
		n = len > 32768 ? 32768 : len;
		err = dibsnl_dmb_read(l->h, l->dev, l->own_token, off, buf, n);
		if (err)
			return err;
		off += n;
		buf = (char *)buf + n;
		len -= n;
	}
	return 0;
}

/*
 * The seq of a descriptor is its last field and written after the rest:
 * a reader that sees the new seq sees the descriptor and its data.
 */
int dblk_put_seq(struct dblk_link *l, uint32_t off, uint32_t seq)
{
	uint32_t le = htole32(seq);

	if (l->peer.addr) {
		__atomic_store_n((uint32_t *)((char *)l->peer.addr + off), le,
				 __ATOMIC_RELEASE);
		return 0;
	}
	return dibsnl_dmb_write(l->h, l->dev, l->peer_token, off, &le,
				sizeof(le), -1);
}

uint32_t dblk_get_seq(struct dblk_link *l, uint32_t off)
{
	uint32_t le = 0;

	if (l->own.addr)
		le = __atomic_load_n((uint32_t *)((char *)l->own.addr + off),
				     __ATOMIC_ACQUIRE);
	else if (dblk_get(l, off, &le, sizeof(le)))
		return 0;
	return le32toh(le);
}

/* Signal 0 on the peer's DMB: "look at the descriptors" */
int dblk_kick(struct dblk_link *l)
{
	return dibsnl_dmb_signal(l->h, l->dev, l->peer_token, 1);
}

int dblk_event(struct dblk_link *l, const uint8_t gid[DIBSNL_GID_LEN],
	       unsigned int m, unsigned int param, uint64_t data)
{
	int err, tries;

	for (tries = 0; tries < 20; tries++) {
		err = dibsnl_event_signal(l->h, l->dev, gid,
					  DBLK_EV(m, param), data);
		if (err != -ENOBUFS)
			break;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return err;
}

/*
 * Every process subscribed to the signal group hears every signal of the
 * namespace: with server and client in one host, each signal woke both.
 * A socket filter drops signal notifications of other devices before they
 * are queued. It reads the message as the kernel lays it out today (the
 * device index is the first attribute); a message laid out otherwise is
 * let through, so the filter can only save work, never lose a signal.
 */
void dblk_filter_signals(int fd, uint32_t dev_index)
{
	/* offsets: nlmsghdr 16, genlmsghdr 4, then nla_len, nla_type, value */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 16),	/* genl cmd */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DIBS_CMD_SIGNAL_NTF, 0, 5),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 22),	/* first nla_type */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 ntohs(DIBS_A_SIGNAL_DEV_INDEX), 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 24),	/* its u32 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(dev_index), 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),		/* another device's */
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) &&
	    verbose)
		msg("signal filter: %m (every signal is looked at)");
}
