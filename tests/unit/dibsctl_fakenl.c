// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An in-memory stand-in for libdibsnl's netlink side, linked into
 * dibsctl-fake (with the real library's gid text functions) so that
 * the host tests can check dibsctl's output and what it asks the library
 * for, without the kernel family. It implements the API of dibsnl.h with
 * a small fabric that lives as long as the process (batch mode keeps it
 * across lines).
 *
 * At start: devices lo (index 0, loopback, fabric 0xffff), sim0 and sim1
 * (1, 2; sim, fabric 0x0007); clients smc-d (0) and userspace (1); one
 * smc-d DMB on lo, token 0x1000.
 *
 * Environment:
 *   DIBSNL_FAKE_NOFAMILY=1  dibsnl_open() fails with -ENOENT
 *   DIBSNL_FAKE_UNPRIV=1    admin operations fail with -EPERM (so do
 *                           dmb-get and joining the groups)
 *   DIBSNL_FAKE_TRACE=1     every call is logged on stderr ("fakenl: ...")
 *   DIBSNL_FAKE_DUMP_INTR=1 dumps end as interrupted (-EINTR, after all)
 *   DIBSNL_FAKE_NTF="..."   words queued as notifications on subscribe:
 *                           dev-add dev-del dev-change dmb-add dmb-del
 *                           client-add client-del event signal, sw-event
 *                           (a software event, code 1, on sim1), and
 *                           enobufs (the dispatch reports lost events)
 *   DIBSNL_FAKE_NTF_MS=N    deliver them one every N ms (from a child
 *                           process) instead of all at once
 *   DIBSNL_FAKE_NTF_END=1   after the last one, the dispatch fails with
 *                           -ESHUTDOWN (a monitor then ends by itself)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dibsnl.h>

#define FAKE_DEVS	16
#define FAKE_DMBS	64

struct fake_dmb {
	bool used;
	struct dibsnl_dmb d;
	uint8_t *mem;
};

struct dibsnl {
	char errmsg[256];
	int pipe[2];
	char ntf[512];
	char *next;
};

static struct dibsnl_dev devs[FAKE_DEVS];
static bool dev_used[FAKE_DEVS];
static struct fake_dmb dmbs[FAKE_DMBS];
static struct dibsnl_client clients[2];
static uint64_t next_token = 0x10000;
static bool initialised;

static void trace(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("DIBSNL_FAKE_TRACE"))
		return;
	fputs("fakenl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void set_err(struct dibsnl *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
}

static void fake_gid(uint8_t gid[DIBSNL_GID_LEN], unsigned int seed)
{
	unsigned int i;

	for (i = 0; i < DIBSNL_GID_LEN; i++)
		gid[i] = (uint8_t)(0x11 * (seed + 1) + i);
}

static int add_dev(const char *name, const char *type, uint16_t fabric,
		   const uint8_t *gid)
{
	struct dibsnl_dev *d;
	int i;

	for (i = 0; i < FAKE_DEVS && dev_used[i]; i++)
		;
	if (i == FAKE_DEVS)
		return -ENOSPC;
	d = &devs[i];
	memset(d, 0, sizeof(*d));
	dev_used[i] = true;
	d->index = i;
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->type, sizeof(d->type), "%s", type);
	if (gid)
		memcpy(d->gid, gid, DIBSNL_GID_LEN);
	else
		fake_gid(d->gid, i);
	d->fabric_id = fabric;
	d->state = DIBSNL_DEV_UP;
	d->max_dmbs = 5000;
	d->mapped_dmb = !strcmp(type, "loopback");
	d->netns_id = -1;
	d->has_stats = true;
	d->stats.moves = 10 * (i + 1);
	d->stats.move_bytes = 4096 * (i + 1);
	if (!strcmp(type, "sim")) {
		snprintf(d->parent_bus, sizeof(d->parent_bus), "dibs_sim");
		snprintf(d->parent_name, sizeof(d->parent_name), "sim%d", i);
	}
	return i;
}

static void init(void)
{
	struct fake_dmb *m = &dmbs[0];

	if (initialised)
		return;
	initialised = true;
	add_dev("lo", "loopback", 0xffff, NULL);
	add_dev("sim0", "sim", 7, NULL);
	add_dev("sim1", "sim", 7, NULL);
	clients[0].id = 0;
	snprintf(clients[0].name, sizeof(clients[0].name), "smc-d");
	clients[1].id = 1;
	snprintf(clients[1].name, sizeof(clients[1].name), "userspace");

	m->used = true;
	m->d.token = 0x1000;
	m->d.dev_index = 0;
	snprintf(m->d.dev_name, sizeof(m->d.dev_name), "lo");
	m->d.client_id = 0;
	snprintf(m->d.client_name, sizeof(m->d.client_name), "smc-d");
	memcpy(m->d.rgid, devs[0].gid, DIBSNL_GID_LEN);
	m->d.len = 16384;
	m->d.sba_idx = 0;
	m->d.has_stats = true;
	m->d.stats.writes = 3;
	m->d.stats.write_bytes = 300;
	m->mem = calloc(1, m->d.len);
	devs[0].dmb_count = 1;
}

static bool unpriv(struct dibsnl *h)
{
	(void)h;
	return getenv("DIBSNL_FAKE_UNPRIV") != NULL;
}

/* NULL, with the kernel's extack, when there is no such device */
static struct dibsnl_dev *find_dev(struct dibsnl *h, struct dibsnl_dev_ref r)
{
	int i;

	for (i = 0; i < FAKE_DEVS; i++) {
		if (!dev_used[i])
			continue;
		if (r.index && devs[i].index == r.index)
			return &devs[i];
		if (!r.index && r.name && !strcmp(devs[i].name, r.name))
			return &devs[i];
	}
	set_err(h, "no such dibs device");
	return NULL;
}

static const char *ref_str(struct dibsnl_dev_ref r, char *buf, size_t len)
{
	if (r.index)
		snprintf(buf, len, "index=%u", r.index);
	else
		snprintf(buf, len, "name=%s", r.name ? r.name : "(null)");
	return buf;
}

int dibsnl_open(struct dibsnl **hp)
{
	struct dibsnl *h;

	trace("open");
	if (getenv("DIBSNL_FAKE_NOFAMILY"))
		return -ENOENT;
	init();
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pipe[0] = h->pipe[1] = -1;
	*hp = h;
	return 0;
}

void dibsnl_close(struct dibsnl *h)
{
	if (!h)
		return;
	if (h->pipe[0] >= 0) {
		close(h->pipe[0]);
		close(h->pipe[1]);
	}
	free(h);
}

const char *dibsnl_errmsg(const struct dibsnl *h)
{
	return h->errmsg;
}

int dibsnl_dev_get(struct dibsnl *h, struct dibsnl_dev_ref dev,
		   struct dibsnl_dev *out)
{
	struct dibsnl_dev *d;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dev_get %s", ref_str(dev, b, sizeof(b)));
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	*out = *d;
	return 0;
}

/*
 * The end of a dump: with DIBSNL_FAKE_DUMP_INTR=1 set, an interrupted one,
 * as the library reports it.
 */
static int dump_end(struct dibsnl *h)
{
	const char *e = getenv("DIBSNL_FAKE_DUMP_INTR");

	if (!e || strcmp(e, "1"))
		return 0;
	set_err(h, "dump interrupted: devices or DMBs changed while it ran, the result may be inconsistent");
	return -EINTR;
}

int dibsnl_dev_dump(struct dibsnl *h,
		    int (*cb)(const struct dibsnl_dev *dev, void *arg),
		    void *arg)
{
	int i, ret;

	h->errmsg[0] = '\0';
	trace("dev_dump");
	for (i = 0; i < FAKE_DEVS; i++) {
		if (!dev_used[i])
			continue;
		ret = cb(&devs[i], arg);
		if (ret)
			return ret;
	}
	return 0;
}

int dibsnl_dev_new(struct dibsnl *h, const struct dibsnl_dev_new *req,
		   struct dibsnl_dev *out)
{
	struct dibsnl_dev_ref r = { 0, req->name };
	uint16_t fabric;
	int i;

	h->errmsg[0] = '\0';
	trace("dev_new name=%s type=%s fabric=%s0x%04x gid=%s", req->name,
	      req->type, req->has_fabric_id ? "" : "default:",
	      req->fabric_id, req->has_gid ? "given" : "default");
	if (unpriv(h))
		return -EPERM;
	if (find_dev(h, r)) {
		set_err(h, "device name \"%s\" is taken", req->name);
		return -EEXIST;
	}
	if (strcmp(req->type, "loopback") && strcmp(req->type, "sim")) {
		set_err(h, "unknown device type \"%s\"", req->type);
		return -EOPNOTSUPP;
	}
	fabric = !strcmp(req->type, "loopback") ? 0xffff : 0;
	if (req->has_fabric_id)
		fabric = req->fabric_id;
	i = add_dev(req->name, req->type, fabric,
		    req->has_gid ? req->gid : NULL);
	if (i < 0)
		return i;
	if (out)
		*out = devs[i];
	return 0;
}

int dibsnl_dev_del(struct dibsnl *h, struct dibsnl_dev_ref dev)
{
	struct dibsnl_dev *d;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dev_del %s", ref_str(dev, b, sizeof(b)));
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	dev_used[d - devs] = false;
	return 0;
}

int dibsnl_dev_set_state(struct dibsnl *h, struct dibsnl_dev_ref dev,
			 enum dibsnl_dev_state state)
{
	struct dibsnl_dev *d;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dev_set_state %s state=%d", ref_str(dev, b, sizeof(b)),
	      state);
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	d->state = state;
	return 0;
}

int dibsnl_dev_set(struct dibsnl *h, struct dibsnl_dev_ref dev,
		   bool set_state, enum dibsnl_dev_state state,
		   uint32_t pid, int fd)
{
	struct dibsnl_dev *d;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dev_set %s state=%d pid=%u fd=%s", ref_str(dev, b, sizeof(b)),
	      set_state ? (int)state : -1, pid, fd >= 0 ? "open" : "none");
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	if (set_state)
		d->state = state;
	return 0;
}

int dibsnl_dev_set_netns(struct dibsnl *h, struct dibsnl_dev_ref dev,
			 uint32_t pid, int fd)
{
	struct dibsnl_dev *d;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dev_set_netns %s pid=%u fd=%s", ref_str(dev, b, sizeof(b)),
	      pid, fd >= 0 ? "open" : "none");
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	return 0;
}

int dibsnl_remote_query(struct dibsnl *h, struct dibsnl_dev_ref dev,
			const uint8_t rgid[DIBSNL_GID_LEN], bool *reachable)
{
	struct dibsnl_dev *d;
	char b[40];
	int i;

	h->errmsg[0] = '\0';
	trace("remote_query %s", ref_str(dev, b, sizeof(b)));
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	*reachable = false;
	for (i = 0; i < FAKE_DEVS; i++)
		if (dev_used[i] && devs[i].fabric_id == d->fabric_id &&
		    !memcmp(devs[i].gid, rgid, DIBSNL_GID_LEN))
			*reachable = true;
	return 0;
}

/* Reaches what remote_query says; records the event for the trace. */
int dibsnl_event_signal(struct dibsnl *h, struct dibsnl_dev_ref dev,
			const uint8_t rgid[DIBSNL_GID_LEN], uint32_t subtype,
			uint64_t data)
{
	struct dibsnl_dev *d;
	bool reach = false;
	char b[40];
	int i;

	h->errmsg[0] = '\0';
	trace("event_signal %s subtype=%u data=0x%llx",
	      ref_str(dev, b, sizeof(b)), subtype, (unsigned long long)data);
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	for (i = 0; i < FAKE_DEVS; i++)
		if (dev_used[i] && devs[i].fabric_id == d->fabric_id &&
		    !memcmp(devs[i].gid, rgid, DIBSNL_GID_LEN))
			reach = true;
	if (!reach) {
		set_err(h, "the remote gid is not reachable through the device");
		return -ENETUNREACH;
	}
	return 0;
}

static struct fake_dmb *find_dmb(struct dibsnl_dev *d, uint64_t token)
{
	int i;

	for (i = 0; i < FAKE_DMBS; i++)
		if (dmbs[i].used && dmbs[i].d.token == token &&
		    (!d || devs[dmbs[i].d.dev_index].fabric_id == d->fabric_id))
			return &dmbs[i];
	return NULL;
}

int dibsnl_dmb_get(struct dibsnl *h, struct dibsnl_dev_ref dev,
		   uint64_t token, struct dibsnl_dmb *out)
{
	struct dibsnl_dev *d;
	struct fake_dmb *m;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dmb_get %s token=0x%llx", ref_str(dev, b, sizeof(b)),
	      (unsigned long long)token);
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	m = find_dmb(d, token);
	if (!m || m->d.dev_index != d->index) {
		set_err(h, "no DMB with this token on the device");
		return -ENOENT;
	}
	*out = m->d;
	return 0;
}

int dibsnl_dmb_dump(struct dibsnl *h, const struct dibsnl_dmb_filter *f,
		    int (*cb)(const struct dibsnl_dmb *dmb, void *arg),
		    void *arg)
{
	struct dibsnl_dev *d = NULL;
	char b[40];
	int i, ret;

	h->errmsg[0] = '\0';
	trace("dmb_dump %s client=%s",
	      f->dev.index || f->dev.name ? ref_str(f->dev, b, sizeof(b)) :
	      "all", f->client_name ? f->client_name : "all");
	if (unpriv(h))
		return -EPERM;
	if (f->dev.index || f->dev.name) {
		d = find_dev(h, f->dev);
		if (!d)
			return -ENODEV;
	}
	if (f->client_name && strcmp(f->client_name, clients[0].name) &&
	    strcmp(f->client_name, clients[1].name)) {
		set_err(h, "no dibs client of that name");
		return -ENOENT;
	}
	for (i = 0; i < FAKE_DMBS; i++) {
		if (!dmbs[i].used)
			continue;
		if (d && dmbs[i].d.dev_index != d->index)
			continue;
		if (f->client_name &&
		    strcmp(f->client_name, dmbs[i].d.client_name))
			continue;
		ret = cb(&dmbs[i].d, arg);
		if (ret)
			return ret;
	}
	return dump_end(h);
}

int dibsnl_dmb_grant(struct dibsnl *h, struct dibsnl_dev_ref dev,
		     const uint8_t rgid[DIBSNL_GID_LEN], uint32_t len,
		     bool owned, struct dibsnl_dmb *out)
{
	struct dibsnl_dev *d;
	struct fake_dmb *m;
	char b[40];
	int i;

	h->errmsg[0] = '\0';
	trace("dmb_grant %s len=%u owned=%d", ref_str(dev, b, sizeof(b)),
	      len, owned);
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	if (!len || len > (8u << 20)) {
		set_err(h, "length out of range");
		return -EINVAL;
	}
	for (i = 0; i < FAKE_DMBS && dmbs[i].used; i++)
		;
	if (i == FAKE_DMBS)
		return -ENOSPC;
	m = &dmbs[i];
	memset(m, 0, sizeof(*m));
	m->mem = calloc(1, len);
	if (!m->mem)
		return -ENOMEM;
	m->used = true;
	m->d.token = next_token;
	next_token += 0x1000;
	m->d.dev_index = d->index;
	snprintf(m->d.dev_name, sizeof(m->d.dev_name), "%s", d->name);
	m->d.client_id = 1;
	snprintf(m->d.client_name, sizeof(m->d.client_name), "userspace");
	memcpy(m->d.rgid, rgid, DIBSNL_GID_LEN);
	m->d.len = len;
	m->d.sba_idx = i;
	m->d.owned = owned;
	m->d.has_stats = true;
	d->dmb_count++;
	if (out)
		*out = m->d;
	return 0;
}

int dibsnl_dmb_revoke(struct dibsnl *h, struct dibsnl_dev_ref dev,
		      uint64_t token)
{
	struct dibsnl_dev *d;
	struct fake_dmb *m;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dmb_revoke %s token=0x%llx", ref_str(dev, b, sizeof(b)),
	      (unsigned long long)token);
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	m = find_dmb(d, token);
	if (!m || m->d.dev_index != d->index) {
		set_err(h, "no DMB with this token on the device");
		return -ENOENT;
	}
	if (strcmp(m->d.client_name, "userspace")) {
		set_err(h, "the DMB belongs to client %s", m->d.client_name);
		return -EACCES;
	}
	free(m->mem);
	m->used = false;
	d->dmb_count--;
	return 0;
}

int dibsnl_dmb_write(struct dibsnl *h, struct dibsnl_dev_ref dev,
		     uint64_t token, uint32_t offset, const void *data,
		     size_t len, int signal_idx)
{
	struct dibsnl_dev *d;
	struct fake_dmb *m;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dmb_write %s token=0x%llx offset=%u len=%zu signal=%d",
	      ref_str(dev, b, sizeof(b)), (unsigned long long)token, offset,
	      len, signal_idx);
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	m = find_dmb(d, token);
	if (!m) {
		set_err(h, "no DMB with this token on the writer's fabric");
		return -ENOENT;
	}
	if (memcmp(m->d.rgid, d->gid, DIBSNL_GID_LEN))
		return -EACCES;
	if (offset > m->d.len || len > m->d.len - offset) {
		set_err(h, "offset %u + length %zu is beyond the DMB (%u)",
			offset, len, m->d.len);
		return -EINVAL;
	}
	memcpy(m->mem + offset, data, len);
	m->d.stats.writes++;
	m->d.stats.write_bytes += len;
	if (signal_idx >= 0)
		m->d.stats.signals++;
	return 0;
}

int dibsnl_dmb_read(struct dibsnl *h, struct dibsnl_dev_ref dev,
		    uint64_t token, uint32_t offset, void *buf, size_t len)
{
	struct dibsnl_dev *d;
	struct fake_dmb *m;
	char b[40];

	h->errmsg[0] = '\0';
	trace("dmb_read %s token=0x%llx offset=%u len=%zu",
	      ref_str(dev, b, sizeof(b)), (unsigned long long)token, offset,
	      len);
	if (unpriv(h))
		return -EPERM;
	d = find_dev(h, dev);
	if (!d)
		return -ENODEV;
	m = find_dmb(d, token);
	if (!m || m->d.dev_index != d->index) {
		set_err(h, "no DMB granted from userspace with this token on the device");
		return -ENOENT;
	}
	if (strcmp(m->d.client_name, "userspace")) {
		set_err(h, "the DMB belongs to client %s", m->d.client_name);
		return -EACCES;
	}
	if (offset > m->d.len || len > m->d.len - offset) {
		set_err(h, "offset %u + length %zu is beyond the DMB (%u)",
			offset, len, m->d.len);
		return -EINVAL;
	}
	memcpy(buf, m->mem + offset, len);
	return 0;
}

/* No mappings in the fake: callers take their fallback. */
int dibsnl_dmb_map(struct dibsnl *h, struct dibsnl_dev_ref dev,
		   uint64_t token, unsigned int flags,
		   struct dibsnl_dmb_map *out)
{
	(void)dev;
	(void)token;
	(void)flags;
	memset(out, 0, sizeof(*out));
	set_err(h, "the fake maps nothing");
	return -EOPNOTSUPP;
}

int dibsnl_dmb_unmap(struct dibsnl_dmb_map *map)
{
	memset(map, 0, sizeof(*map));
	return 0;
}

struct client_devs_adapter {
	int (*cb)(const struct dibsnl_client *c, void *arg);
	void *arg;
};

static int client_capped(const struct dibsnl_client *c,
			 const struct dibsnl_client_dev *devs,
			 unsigned int n_devs, void *arg)
{
	struct client_devs_adapter *a = arg;

	(void)devs;
	(void)n_devs;
	return a->cb(c, a->arg);
}

int dibsnl_client_dump(struct dibsnl *h,
		       int (*cb)(const struct dibsnl_client *c, void *arg),
		       void *arg)
{
	struct client_devs_adapter a = { cb, arg };

	return dibsnl_client_dump_devs(h, client_capped, &a);
}

int dibsnl_client_dump_devs(struct dibsnl *h, dibsnl_client_devs_cb cb,
			    void *arg)
{
	unsigned int i, j, n;
	int ret;

	h->errmsg[0] = '\0';
	trace("client_dump");
	for (i = 0; i < 2; i++) {
		struct dibsnl_client *c = &clients[i];

		c->dmb_count = 0;
		c->n_devs = 0;
		for (j = 0; j < FAKE_DEVS; j++) {
			if (!dev_used[j])
				continue;
			n = 0;
			for (int k = 0; k < FAKE_DMBS; k++)
				if (dmbs[k].used && dmbs[k].d.dev_index == j &&
				    dmbs[k].d.client_id == c->id)
					n++;
			if (!n)
				continue;
			c->devs[c->n_devs].dev_index = j;
			c->devs[c->n_devs].dmb_count = n;
			c->n_devs++;
			c->dmb_count += n;
		}
		ret = cb(c, c->devs, c->n_devs, arg);
		if (ret)
			return ret;
	}
	return dump_end(h);
}

/* A child writes the wake-ups, one every @ms, then exits. */
static int paced(struct dibsnl *h, size_t words, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	pid_t pid;
	size_t i;
	int fd;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	fd = open("/dev/null", O_RDWR);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	for (i = 0; i < words; i++) {
		nanosleep(&ts, NULL);
		if (write(h->pipe[1], "n", 1) != 1)
			break;
	}
	_exit(0);
}

int dibsnl_subscribe(struct dibsnl *h, unsigned int groups)
{
	const char *s = getenv("DIBSNL_FAKE_NTF");
	size_t i, words = 0;

	h->errmsg[0] = '\0';
	trace("subscribe groups=0x%x", groups);
	if (unpriv(h))
		return -EPERM;
	if (h->pipe[0] < 0 && pipe(h->pipe))
		return -errno;
	snprintf(h->ntf, sizeof(h->ntf), "%s", s ? s : "");
	h->next = h->ntf;
	for (i = 0; h->ntf[i]; i++)
		if (h->ntf[i] != ' ' && (i == 0 || h->ntf[i - 1] == ' '))
			words++;
	if (getenv("DIBSNL_FAKE_NTF_END"))
		words++;
	if (getenv("DIBSNL_FAKE_NTF_MS"))
		return paced(h, words, atoi(getenv("DIBSNL_FAKE_NTF_MS")));
	for (i = 0; i < words; i++)
		if (write(h->pipe[1], "n", 1) != 1)
			return -errno;
	return 0;
}

int dibsnl_fd(const struct dibsnl *h)
{
	return h->pipe[0];
}

static int make_ntf(const char *word, struct dibsnl_ntf *n)
{
	static const char *const kinds[] = {
		"dev-add", "dev-del", "dev-change", "dmb-add", "dmb-del",
		"client-add", "client-del", "event", "signal",
	};
	unsigned int k;

	memset(n, 0, sizeof(*n));
	if (!strcmp(word, "sw-event")) {
		/* code 1 would read "disabled" as a dev event's subtype */
		n->kind = DIBSNL_NTF_EVENT;
		n->event.dev_index = 2;
		n->event.type = 2;
		n->event.subtype = 1;
		memcpy(n->event.gid, devs[1].gid, DIBSNL_GID_LEN);
		n->event.time = 43;
		n->event.data = 0x2a;
		return 0;
	}
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(word, kinds[k]))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return -EINVAL;
	n->kind = (enum dibsnl_ntf_kind)k;
	switch (n->kind) {
	case DIBSNL_NTF_DEV_ADD:
	case DIBSNL_NTF_DEV_DEL:
	case DIBSNL_NTF_DEV_CHANGE:
		n->dev = devs[1];
		snprintf(n->dev.name, sizeof(n->dev.name), "new0");
		n->dev.index = 9;
		break;
	case DIBSNL_NTF_DMB_ADD:
	case DIBSNL_NTF_DMB_DEL:
		n->dmb = dmbs[0].d;
		break;
	case DIBSNL_NTF_CLIENT_ADD:
	case DIBSNL_NTF_CLIENT_DEL:
		n->client = clients[1];
		break;
	case DIBSNL_NTF_EVENT:
		n->event.dev_index = 9;	/* the new0 of dev-add */
		n->event.type = 1;
		n->event.subtype = 1;
		memcpy(n->event.gid, devs[2].gid, DIBSNL_GID_LEN);
		n->event.token = 0x1000;
		n->event.time = 42;
		n->event.data = 0xabc;
		break;
	case DIBSNL_NTF_SIGNAL:
		n->signal.dev_index = 0;
		n->signal.token = 0x1000;
		n->signal.sba_idx = 0;
		n->signal.mask = 0x4;
		break;
	}
	return 0;
}

int dibsnl_ntf_dispatch(struct dibsnl *h,
			int (*cb)(const struct dibsnl_ntf *ntf, void *arg),
			void *arg)
{
	struct dibsnl_ntf n;
	char word[32], c;
	size_t len;
	int ret, fl;

	h->errmsg[0] = '\0';
	fl = fcntl(h->pipe[0], F_GETFL);
	fcntl(h->pipe[0], F_SETFL, fl | O_NONBLOCK);
	while (read(h->pipe[0], &c, 1) == 1) {
		while (*h->next == ' ')
			h->next++;
		len = strcspn(h->next, " ");
		if (!len && getenv("DIBSNL_FAKE_NTF_END")) {
			set_err(h, "the fake has no more notifications");
			return -ESHUTDOWN;
		}
		if (!len || len >= sizeof(word))
			return -EINVAL;
		memcpy(word, h->next, len);
		word[len] = '\0';
		h->next += len;
		if (!strcmp(word, "enobufs"))
			return -ENOBUFS;
		if (make_ntf(word, &n))
			return -EINVAL;
		ret = cb(&n, arg);
		if (ret)
			return ret;
	}
	return 0;
}
