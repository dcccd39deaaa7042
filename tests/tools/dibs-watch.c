// SPDX-License-Identifier: GPL-2.0
/*
 * dibs-watch: signals read from /dev/dibs through libdibsnl
 * (dibsnl_dmb_watch(), dibsnl_watch_read()), for tests/watch.bats.
 *
 *   dibs-watch
 *	runs the commands on stdin, one a line, each printing one line:
 *	  watch H DEV TOKEN      "watch: ok" or "watch: ENAME: <message>"
 *	  unwatch H DEV TOKEN    "unwatch: ok" or "unwatch: ENAME: ..."
 *	  read H MS              what dibsnl_watch_read() got within MS
 *	                         milliseconds: "events N" and per event
 *	                         " TOKEN/0xMASK" (plus "/ended"); or "read:
 *	                         ENAME: ..."
 *	  close H                close handle H (the next use opens it again)
 *	  run CMD                system(CMD): "run: N", its exit status
 *	H is 1 or 2: two handles, so two open files of /dev/dibs.
 *   dibs-watch churn DEV TOKEN SECS
 *	for SECS seconds: open a handle, watch TOKEN, read what comes
 *	within a millisecond, then unwatch or close without it, in turn; a
 *	watch refused with ENOENT (the DMB went) ends it. Prints "churn: N
 *	watches, M events, then ENAME|done"
 *   dibs-watch storm DEV TOKEN SECS
 *	signal 0 on TOKEN from the writer DEV for SECS seconds, as fast as
 *	dibsnl_dmb_signal() goes; a refusal ends it. Prints "storm: N
 *	signals, then ENAME|done"
 *
 * DEV is an index or a name, TOKEN a number (0x... allowed). Usage errors
 * exit 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include "tool.h"

static struct dibsnl *handle(struct dibsnl **hp)
{
	int err;

	if (!*hp) {
		err = dibsnl_open(hp);
		if (err) {
			printf("error: open: %s\n", errname(-err));
			exit(1);
		}
	}
	return *hp;
}

static void result(struct dibsnl *h, const char *what, int err)
{
	if (err)
		printf("%s: %s: %s\n", what, errname(-err), dibsnl_errmsg(h));
	else
		printf("%s: ok\n", what);
}

static void do_read(struct dibsnl *h, int ms)
{
	struct dibsnl_watch_event ev[8];
	int n, i;

	n = dibsnl_watch_read(h, ev, 8, ms);
	if (n < 0) {
		result(h, "read", n);
		return;
	}
	printf("events %d", n);
	for (i = 0; i < n; i++)
		printf(" 0x%016" PRIx64 "/0x%x%s", ev[i].token, ev[i].mask,
		       ev[i].flags & DIBSNL_WATCH_ENDED ? "/ended" : "");
	printf("\n");
}

static int script(void)
{
	struct dibsnl *hs[2] = { NULL, NULL };
	struct dibsnl *h;
	char line[512], cmd[16], dev[64];
	unsigned int hi;
	char tok[32];
	int n, ms;

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "run ", 4)) {
			fflush(stdout);
			n = system(line + 4);
			printf("run: %d\n", WIFEXITED(n) ? WEXITSTATUS(n) : -1);
			fflush(stdout);
			continue;
		}
		n = sscanf(line, "%15s %u %63s %31s", cmd, &hi, dev, tok);
		if (n < 2 || hi < 1 || hi > 2)
			usage();
		hi--;
		if (!strcmp(cmd, "close") && n == 2) {
			dibsnl_close(hs[hi]);
			hs[hi] = NULL;
			printf("close: ok\n");
		} else if (!strcmp(cmd, "read") && n == 3) {
			ms = parse_num(dev);
			do_read(handle(&hs[hi]), ms);
		} else if (!strcmp(cmd, "watch") && n == 4) {
			h = handle(&hs[hi]);
			result(h, "watch", dibsnl_dmb_watch(h, parse_dev(dev),
							    parse_num(tok)));
		} else if (!strcmp(cmd, "unwatch") && n == 4) {
			h = handle(&hs[hi]);
			result(h, "unwatch",
			       dibsnl_dmb_unwatch(h, parse_dev(dev),
						  parse_num(tok)));
		} else {
			usage();
		}
		fflush(stdout);
	}
	dibsnl_close(hs[0]);
	dibsnl_close(hs[1]);
	return 0;
}

static int elapsed(time_t t0, unsigned int secs)
{
	return time(NULL) - t0 >= (time_t)secs;
}

static int churn(struct dibsnl_dev_ref dev, uint64_t tok, unsigned int secs)
{
	unsigned long watches = 0, events = 0;
	struct dibsnl_watch_event ev[4];
	time_t t0 = time(NULL);
	struct dibsnl *h;
	int err = 0, n;

	while (!err && !elapsed(t0, secs)) {
		err = dibsnl_open(&h);
		if (err)
			break;
		err = dibsnl_dmb_watch(h, dev, tok);
		if (!err) {
			watches++;
			n = dibsnl_watch_read(h, ev, 4, 1);
			if (n > 0)
				events += n;
			/* every other one is left to the close */
			if (watches % 2)
				err = dibsnl_dmb_unwatch(h, dev, tok);
			/* the DMB went between the two calls */
			if (err == -ENOENT)
				err = 0;
		}
		dibsnl_close(h);
	}
	printf("churn: %lu watches, %lu events, then %s\n", watches, events,
	       err ? errname(-err) : "done");
	return 0;
}

static int storm(struct dibsnl_dev_ref dev, uint64_t tok, unsigned int secs)
{
	time_t t0 = time(NULL);
	unsigned long n = 0;
	struct dibsnl *h;
	int err;

	err = dibsnl_open(&h);
	while (!err && !elapsed(t0, secs)) {
		err = dibsnl_dmb_signal(h, dev, tok, 1);
		if (!err)
			n++;
	}
	printf("storm: %lu signals, then %s\n", n,
	       err ? errname(-err) : "done");
	dibsnl_close(h);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return script();
	if (argc != 5)
		usage();
	if (!strcmp(argv[1], "churn"))
		return churn(parse_dev(argv[2]), parse_num(argv[3]),
			     parse_num(argv[4]));
	if (!strcmp(argv[1], "storm"))
		return storm(parse_dev(argv[2]), parse_num(argv[3]),
			     parse_num(argv[4]));
	usage();
	return 2;
}
