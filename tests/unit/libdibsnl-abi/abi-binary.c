// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A binary as a user of libdibsnl builds it, for the ABI check
 * (tests/unit/libdibsnl-abi/check-abi.sh): compiled once against dibsnl.h as it
 * is, then run against a library whose structs have grown. The structs
 * the library fills are followed by guard bytes, so a library that writes
 * more than the binary's struct trips the checks below; those it only
 * reads are allocated at exactly their size, so reading more is an invalid
 * read under valgrind (which check-abi.sh uses where it is installed).
 * Built with -DABI_OPEN_1 it binds dibsnl_open@DIBSNL_1, as binaries
 * linked before DIBSNL_1.4 do. Talks to fakekernel.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dibsnl.h>

#ifdef ABI_OPEN_1
__asm__(".symver dibsnl_open, dibsnl_open@DIBSNL_1");
#endif

#define GUARD		64
#define GUARD_BYTE	0xa5

static int failed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "abi-binary:%d: %s\n", __LINE__,\
				#cond);					\
			failed = 1;					\
		}							\
	} while (0)

/* @size bytes for the struct and GUARD guard bytes after it */
static void *guarded(size_t size)
{
	unsigned char *p = malloc(size + GUARD);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	memset(p, 0, size);
	memset(p + size, GUARD_BYTE, GUARD);
	return p;
}

/*
 * Exactly @size bytes, for a struct the library only reads: valgrind
 * reports a read past it.
 */
static void *exact(size_t size)
{
	void *p = calloc(1, size);

	if (!p) {
		perror("calloc");
		exit(2);
	}
	return p;
}

static int guard_intact(const void *obj, size_t size)
{
	const unsigned char *g = (const unsigned char *)obj + size;
	int i;

	for (i = 0; i < GUARD; i++)
		if (g[i] != GUARD_BYTE)
			return 0;
	return 1;
}

static int devs_seen;

static int dev_cb(const struct dibsnl_dev *d, void *arg)
{
	(void)arg;
	CHECK(d->index == (uint32_t)devs_seen + 1);
	CHECK(d->netns_id == -5);
	devs_seen++;
	return 0;
}

static int dmbs_seen;

static int dmb_cb(const struct dibsnl_dmb *d, void *arg)
{
	(void)arg;
	CHECK(d->dev_index == 1 && d->len == 65536);
	dmbs_seen++;
	return 0;
}

static int clients_seen;

static int client_cb(const struct dibsnl_client *c, void *arg)
{
	(void)arg;
	clients_seen++;
	CHECK(c->id == 1 && !strcmp(c->name, "abi"));
	CHECK(c->n_devs == DIBSNL_CLIENT_DEVS_MAX);
	CHECK(c->devs[DIBSNL_CLIENT_DEVS_MAX - 1].dev_index ==
	      DIBSNL_CLIENT_DEVS_MAX);
#ifndef ABI_OPEN_1
	/* a field of 1.4: the cut is no longer silent */
	CHECK(c->n_devs_all == 70);
#endif
	return 0;
}

int main(void)
{
	struct dibsnl_dev_ref one = { .index = 1 };
	struct dibsnl_dev_new *req;
	struct dibsnl_dmb_filter *filter;
	struct dibsnl_dev *dev;
	struct dibsnl_dmb *dmb;
	struct dibsnl *h;
	int err;

	err = dibsnl_open(&h);
	if (err) {
		fprintf(stderr, "abi-binary: dibsnl_open: %d\n", err);
		return 1;
	}

	dev = guarded(sizeof(*dev));
	CHECK(dibsnl_dev_get(h, one, dev) == 0);
	CHECK(dev->index == 1 && !strcmp(dev->name, "abi0"));
	CHECK(!strcmp(dev->type, "sim") && dev->fabric_id == 7);
	CHECK(dev->state == DIBSNL_DEV_UP && dev->max_dmbs == 5000);
	CHECK(dev->netns_id == -5);
	CHECK(guard_intact(dev, sizeof(*dev)));

	req = exact(sizeof(*req));
	req->name = "abi9";
	req->type = "sim";
	memset(dev, 0, sizeof(*dev));
	CHECK(dibsnl_dev_new(h, req, dev) == 0);
	CHECK(dev->index == 1 && !strcmp(dev->name, "abi9"));
	CHECK(guard_intact(dev, sizeof(*dev)));

	dmb = guarded(sizeof(*dmb));
	CHECK(dibsnl_dmb_get(h, one, 0x1234, dmb) == 0);
	CHECK(dmb->token == 0x1234 && dmb->len == 65536);
	CHECK(dmb->dev_index == 1 && !strcmp(dmb->client_name, "userspace"));
	CHECK(guard_intact(dmb, sizeof(*dmb)));

	CHECK(dibsnl_dev_dump(h, dev_cb, NULL) == 0);
	CHECK(devs_seen == 2);
	CHECK(dibsnl_client_dump(h, client_cb, NULL) == 0);
	CHECK(clients_seen == 1);

	filter = exact(sizeof(*filter));
	filter->dev.index = 1;
	CHECK(dibsnl_dmb_dump(h, filter, dmb_cb, NULL) == 0);
	CHECK(dmbs_seen == 1);

	free(filter);
	free(dmb);
	free(req);
	free(dev);
	dibsnl_close(h);
	if (!failed)
		printf("abi-binary: ok\n");
	return failed;
}
