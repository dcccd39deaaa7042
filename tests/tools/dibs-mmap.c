// SPDX-License-Identifier: GPL-2.0
/*
 * dibs-mmap: mapped DMBs through libdibsnl, for tests/mmap.bats.
 *
 *   dibs-mmap read DEV TOKEN OFFSET LEN
 *	map as the owner (read-only), print LEN bytes at OFFSET as text
 *   dibs-mmap write DEV TOKEN OFFSET TEXT [remote] [signal MASK]
 *	map (as the owner writable, or as the writer DEV with "remote"),
 *	store TEXT at OFFSET through the mapping; with "signal", raise MASK
 *	without data and wait for the owner's signal notification
 *   dibs-mmap fallback DEV TOKEN
 *	map remote with DIBSNL_MAP_FALLBACK: print "mapped" or
 *	"fallback: <why>"
 *   dibs-mmap revoke DEV TOKEN [WDEV]
 *	map as the owner (and as the writer WDEV), revoke the DMB, then
 *	write and read through the mappings after the revoke
 *   dibs-mmap hold DEV TOKEN [remote]
 *	map, print "mapped", close the handle and sleep until killed
 *   dibs-mmap touch DEV TOKEN [remote]
 *	map writable, print "mapped" and close the handle; then for each
 *	line on stdin load and store a byte at offset 0 and print
 *	"touch N: read ok|SIGBUS, write ok|SIGBUS"; at the end of stdin
 *	unmap and print "unmapped"
 *   dibs-mmap put DEV TOKEN FILE [remote] [signal MASK]
 *	map as in write, copy FILE's bytes from offset 0 through the
 *	mapping, raise MASK without data (not waiting for a notification:
 *	the owner may be on another system), print "ok"
 *   dibs-mmap dump DEV TOKEN
 *	map as the owner (read-only), write the whole DMB to stdout
 *   dibs-mmap churn DEV TOKEN [remote]
 *	map writable, store a byte at offset 0 for a millisecond (or up to a
 *	SIGBUS), unmap, over and over until a map fails (the device went
 *	away); print "mapped" once the first map worked, at the end
 *	"churn: N maps, M SIGBUS, then map: ENAME"
 *   dibs-mmap prepare DEV TOKEN
 *	the two steps of a mapping apart, on /dev/dibs itself: the owner's
 *	DIBS_IOC_DMB_MAP, print "prepared"; at the first line on stdin the
 *	mmap() at the offset it gave, print "mmap ok" or "mmap: ENAME"
 *
 * DEV is an index or a name, TOKEN a number (0x... allowed). Errors print
 * "error: ENAME: <library message>" and exit 1; usage errors exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/dibs_ioctl.h>

#include "tool.h"

static int fail(struct dibsnl *h, const char *what, int err)
{
	printf("error: %s: %s: %s\n", what, errname(-err),
	       h ? dibsnl_errmsg(h) : "");
	return 1;
}

struct sig_wait {
	uint64_t token;
	uint32_t mask;
};

static int on_ntf(const struct dibsnl_ntf *ntf, void *arg)
{
	struct sig_wait *w = arg;

	if (ntf->kind == DIBSNL_NTF_SIGNAL && ntf->signal.token == w->token)
		w->mask |= ntf->signal.mask;
	return 0;
}

/* Collect signals on @token until @want is all there, or 5 s pass. */
static int wait_signal(struct dibsnl *mon, struct sig_wait *w, uint32_t want)
{
	struct pollfd p = { .fd = dibsnl_fd(mon), .events = POLLIN };
	int i, err;

	for (i = 0; i < 50 && (w->mask & want) != want; i++) {
		if (poll(&p, 1, 100) < 0)
			return -errno;
		if (!(p.revents & POLLIN))
			continue;
		err = dibsnl_ntf_dispatch(mon, on_ntf, w);
		if (err < 0)
			return err;
	}
	return (w->mask & want) == want ? 0 : -ETIMEDOUT;
}

static int cmd_read(struct dibsnl *h, struct dibsnl_dev_ref dev, uint64_t tok,
		    uint64_t off, uint64_t len)
{
	struct dibsnl_dmb_map m;
	int err;

	err = dibsnl_dmb_map(h, dev, tok, 0, &m);
	if (err)
		return fail(h, "map", err);
	if (off + len > m.len) {
		dibsnl_dmb_unmap(&m);
		usage();
	}
	fwrite((char *)m.addr + off, 1, len, stdout);
	putchar('\n');
	return dibsnl_dmb_unmap(&m) ? 1 : 0;
}

/* Map writable: as the owner, or as the writer DEV with @remote. */
static int map_writable(struct dibsnl *h, struct dibsnl_dev_ref dev,
			uint64_t tok, bool remote, struct dibsnl_dmb_map *m)
{
	return dibsnl_dmb_map(h, dev, tok,
			      remote ? DIBSNL_MAP_REMOTE : DIBSNL_MAP_WRITE, m);
}

static int cmd_write(struct dibsnl *h, struct dibsnl_dev_ref dev, uint64_t tok,
		     uint64_t off, const char *text, bool remote,
		     uint32_t sigmask)
{
	struct sig_wait w = { .token = tok };
	struct dibsnl *mon = NULL;
	struct dibsnl_dmb_map m;
	size_t n = strlen(text);
	int err, rc = 0;

	if (sigmask) {
		err = dibsnl_open(&mon);
		if (!err)
			err = dibsnl_subscribe(mon, DIBSNL_GROUP_SIGNAL);
		if (err)
			return fail(mon, "subscribe", err);
	}
	err = map_writable(h, dev, tok, remote, &m);
	if (err) {
		rc = fail(h, "map", err);
		goto out;
	}
	if (off + n > m.len) {
		dibsnl_dmb_unmap(&m);
		usage();
	}
	memcpy((char *)m.addr + off, text, n);
	if (sigmask) {
		err = dibsnl_dmb_signal(h, dev, tok, sigmask);
		if (!err)
			err = wait_signal(mon, &w, sigmask);
		if (err)
			rc = fail(h, "signal", err);
		else
			printf("signal 0x%x\n", w.mask);
	}
	if (dibsnl_dmb_unmap(&m))
		rc = 1;
	if (!rc)
		printf("ok\n");
out:
	dibsnl_close(mon);
	return rc;
}

static int cmd_fallback(struct dibsnl *h, struct dibsnl_dev_ref dev,
			uint64_t tok)
{
	struct dibsnl_dmb_map m;
	int err;

	err = dibsnl_dmb_map(h, dev, tok,
			     DIBSNL_MAP_REMOTE | DIBSNL_MAP_FALLBACK, &m);
	if (err)
		return fail(h, "map", err);
	if (m.fallback)
		printf("fallback: %s\n", dibsnl_errmsg(h));
	else
		printf("mapped\n");
	return dibsnl_dmb_unmap(&m) ? 1 : 0;
}

static int cmd_revoke(struct dibsnl *h, struct dibsnl_dev_ref dev,
		      uint64_t tok, const char *wdev)
{
	struct dibsnl_dmb_map own, wr = { 0 };
	struct dibsnl_dmb d;
	int err, rc = 0;

	err = dibsnl_dmb_map(h, dev, tok, DIBSNL_MAP_WRITE, &own);
	if (err)
		return fail(h, "map", err);
	if (wdev) {
		err = dibsnl_dmb_map(h, parse_dev(wdev), tok,
				     DIBSNL_MAP_REMOTE, &wr);
		if (err) {
			dibsnl_dmb_unmap(&own);
			return fail(h, "map remote", err);
		}
	}
	err = dibsnl_dmb_revoke(h, dev, tok);
	if (err) {
		rc = fail(h, "revoke", err);
		goto out;
	}
	err = dibsnl_dmb_get(h, dev, tok, &d);
	printf("dmb-get after revoke: %s\n", err ? errname(-err) : "found");
	/* Both views still share the memory after the revoke. */
	memcpy(own.addr, "owner", 5);
	if (wdev)
		memcpy((char *)wr.addr + 5, "+writer", 7);
	printf("after revoke: %.*s\n", wdev ? 12 : 5, (char *)own.addr);
out:
	if (dibsnl_dmb_unmap(&wr) || dibsnl_dmb_unmap(&own))
		rc = 1;
	return rc;
}

static int cmd_hold(struct dibsnl *h, struct dibsnl_dev_ref dev, uint64_t tok,
		    bool remote)
{
	struct dibsnl_dmb_map m;
	int err;

	err = dibsnl_dmb_map(h, dev, tok, remote ? DIBSNL_MAP_REMOTE : 0, &m);
	if (err)
		return fail(h, "map", err);
	dibsnl_close(h);	/* the mapping alone holds the file */
	printf("mapped\n");
	fflush(stdout);
	for (;;)
		pause();
}

static sigjmp_buf bus_env;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_env, 1);
}

/* touch_one() reports a SIGBUS instead of dying of it; 0 or 2 (usage) */
static int catch_sigbus(void)
{
	struct sigaction sa = { .sa_handler = on_bus };

	if (sigaction(SIGBUS, &sa, NULL)) {
		perror("sigaction");
		return 2;
	}
	return 0;
}

/* One load or store at @p: "ok", or "SIGBUS" if it raised that. */
static const char *touch_one(volatile char *p, bool store)
{
	if (sigsetjmp(bus_env, 1))
		return "SIGBUS";
	if (store)
		*p = 't';
	else
		(void)*p;
	return "ok";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmd_churn(struct dibsnl *h, struct dibsnl_dev_ref dev,
		     uint64_t tok, bool remote)
{
	unsigned long maps = 0, bus = 0;
	struct dibsnl_dmb_map m;
	uint64_t t0;
	int err;

	if (catch_sigbus())
		return 2;
	for (;;) {
		err = map_writable(h, dev, tok, remote, &m);
		if (err)
			break;
		/* the test waits for this before it removes the device */
		if (!maps++) {
			printf("mapped\n");
			fflush(stdout);
		}
		/* mapped for a while: the removal may come in the middle */
		t0 = now_ns();
		do {
			if (strcmp(touch_one(m.addr, true), "ok")) {
				bus++;
				break;
			}
		} while (now_ns() - t0 < 1000000);
		if (dibsnl_dmb_unmap(&m)) {
			printf("error: unmap after %lu maps\n", maps);
			return 1;
		}
	}
	printf("churn: %lu maps, %lu SIGBUS, then map: %s\n", maps, bus,
	       errname(-err));
	return 0;
}

static int cmd_touch(struct dibsnl *h, struct dibsnl_dev_ref dev,
		     uint64_t tok, bool remote)
{
	struct dibsnl_dmb_map m;
	char line[64];
	const char *rd;
	int err, n = 0;

	if (catch_sigbus())
		return 2;
	err = map_writable(h, dev, tok, remote, &m);
	if (err)
		return fail(h, "map", err);
	dibsnl_close(h);	/* the mapping alone holds the file */
	printf("mapped\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		rd = touch_one(m.addr, false);
		printf("touch %d: read %s, write %s\n", ++n, rd,
		       touch_one(m.addr, true));
		fflush(stdout);
	}
	if (dibsnl_dmb_unmap(&m))
		return 1;
	printf("unmapped\n");
	return 0;
}

/*
 * What libdibsnl does in one call, in two steps with a wait between: a
 * test removes the device between them (the mmap() must then fail).
 */
static int cmd_prepare(struct dibsnl_dev_ref dev, uint64_t tok)
{
	struct dibs_dmb_map req = { .dev_index = dev.index, .token = tok };
	char line[64];
	void *addr;
	int fd;

	if (dev.name && strlen(dev.name) >= sizeof(req.dev_name))
		usage();
	if (dev.name)
		snprintf(req.dev_name, sizeof(req.dev_name), "%s", dev.name);
	fd = open("/dev/" DIBS_CDEV_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, DIBS_IOC_DMB_MAP, &req)) {
		printf("error: %s: %s\n", fd < 0 ? "open" : "DIBS_IOC_DMB_MAP",
		       errname(errno));
		return 1;
	}
	printf("prepared\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	addr = mmap(NULL, req.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    req.offset);
	if (addr == MAP_FAILED) {
		printf("mmap: %s\n", errname(errno));
	} else {
		printf("mmap ok\n");
		munmap(addr, req.len);
	}
	close(fd);
	return 0;
}

static int cmd_put(struct dibsnl *h, struct dibsnl_dev_ref dev, uint64_t tok,
		   const char *path, bool remote, uint32_t sigmask)
{
	struct dibsnl_dmb_map m;
	size_t n = 0, got;
	FILE *f;
	int err, rc = 0;

	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 2;
	}
	err = map_writable(h, dev, tok, remote, &m);
	if (err) {
		fclose(f);
		return fail(h, "map", err);
	}
	/* Straight into the mapping: the stores are the writes. */
	while (n < m.len && (got = fread((char *)m.addr + n, 1, m.len - n, f)))
		n += got;
	if (ferror(f) || fgetc(f) != EOF) {
		fprintf(stderr, "%s: unreadable, or longer than the DMB\n", path);
		rc = 2;
	} else if (sigmask) {
		err = dibsnl_dmb_signal(h, dev, tok, sigmask);
		if (err)
			rc = fail(h, "signal", err);
	}
	fclose(f);
	if (dibsnl_dmb_unmap(&m))
		rc = 1;
	if (!rc)
		printf("ok\n");
	return rc;
}

static int cmd_dump(struct dibsnl *h, struct dibsnl_dev_ref dev, uint64_t tok)
{
	struct dibsnl_dmb_map m;
	int err, rc = 0;

	err = dibsnl_dmb_map(h, dev, tok, 0, &m);
	if (err)
		return fail(h, "map", err);
	if (fwrite(m.addr, 1, m.len, stdout) != m.len || fflush(stdout))
		rc = 1;
	return dibsnl_dmb_unmap(&m) || rc ? 1 : 0;
}

/* The optional last word "remote" of hold, churn and touch (argv[4]) */
static bool remote_word(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[4], "remote"))
		usage();
	return argc == 5;
}

/* The words after the data of a write or a put, argv[@i] on: remote, signal MASK. */
static void parse_store_opts(int argc, char **argv, int i, bool *remote,
			     uint32_t *sigmask)
{
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "remote"))
			*remote = true;
		else if (!strcmp(argv[i], "signal") && i + 1 < argc)
			*sigmask = parse_num(argv[++i]);
		else
			usage();
	}
}

int main(int argc, char **argv)
{
	struct dibsnl_dev_ref dev;
	struct dibsnl *h;
	uint64_t tok;
	bool remote = false;
	uint32_t sigmask = 0;
	int err;

	if (argc < 4)
		usage();
	dev = parse_dev(argv[2]);
	tok = parse_num(argv[3]);
	err = dibsnl_open(&h);
	if (err)
		return fail(NULL, "open", err);

	if (!strcmp(argv[1], "read") && argc == 6)
		return cmd_read(h, dev, tok, parse_num(argv[4]),
				parse_num(argv[5]));
	if (!strcmp(argv[1], "write") && argc >= 6) {
		parse_store_opts(argc, argv, 6, &remote, &sigmask);
		return cmd_write(h, dev, tok, parse_num(argv[4]), argv[5],
				 remote, sigmask);
	}
	if (!strcmp(argv[1], "put") && argc >= 5) {
		parse_store_opts(argc, argv, 5, &remote, &sigmask);
		return cmd_put(h, dev, tok, argv[4], remote, sigmask);
	}
	if (!strcmp(argv[1], "dump") && argc == 4)
		return cmd_dump(h, dev, tok);
	if (!strcmp(argv[1], "fallback") && argc == 4)
		return cmd_fallback(h, dev, tok);
	if (!strcmp(argv[1], "revoke") && argc <= 5)
		return cmd_revoke(h, dev, tok, argc == 5 ? argv[4] : NULL);
	if (!strcmp(argv[1], "hold") && argc <= 5)
		return cmd_hold(h, dev, tok, remote_word(argc, argv));
	if (!strcmp(argv[1], "prepare") && argc == 4) {
		dibsnl_close(h);
		return cmd_prepare(dev, tok);
	}
	if (!strcmp(argv[1], "churn") && argc <= 5)
		return cmd_churn(h, dev, tok, remote_word(argc, argv));
	if (!strcmp(argv[1], "touch") && argc <= 5)
		return cmd_touch(h, dev, tok, remote_word(argc, argv));
	usage();
	return 2;
}
