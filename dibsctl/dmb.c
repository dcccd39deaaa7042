// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl dmb: show, grant, revoke, write and read DMBs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dibsctl.h"

void dmb_fields(struct dctl *d, const struct dibsnl_dmb *dmb)
{
	const struct dibsnl_dmb_stats *s = &dmb->stats;
	unsigned int det = out_details(d);
	struct out *o = &d->out;
	char gid[DIBSNL_GID_STR_LEN], tok[19];

	/* the words of "dmb grant" and "dmb revoke": a line reads back */
	dibsnl_gid_format(dmb->rgid, gid);
	out_str(o, OUT_ANY, "token", NULL, token_str(dmb->token, tok));
	out_str(o, OUT_ANY, "dev", NULL, dmb->dev_name);
	out_str(o, OUT_ANY, "client", NULL, dmb->client_name);
	out_str(o, OUT_ANY, "remote-gid", NULL, gid);
	out_uint(o, OUT_ANY, "size", NULL, dmb->len);
	out_uint(o, OUT_ANY, "sba", NULL, dmb->sba_idx);
	out_flag(o, OUT_ANY, "owned", dmb->owned);
	if (d->details)
		out_line_more(o);
	out_uint(o, det, "dev-index", NULL, dmb->dev_index);
	out_uint(o, det, "client-id", NULL, dmb->client_id);
	if (!d->stats)
		return;
	if (!dmb->has_stats) {
		out_str(o, OUT_JSON, "stats", NULL, NULL);
		return;
	}
	out_line_more(o);
	out_obj_open(o, "stats");
	out_uint(o, OUT_ANY, "writes", NULL, s->writes);
	out_uint(o, OUT_ANY, "write-bytes", NULL, s->write_bytes);
	out_uint(o, OUT_ANY, "signals", NULL, s->signals);
	out_uint(o, OUT_ANY, "refused", NULL, s->refused);
	out_obj_close(o);
}

void dmb_print(struct dctl *d, const struct dibsnl_dmb *dmb)
{
	out_obj_open(&d->out, NULL);
	dmb_fields(d, dmb);
	out_obj_close(&d->out);
	out_line_end(&d->out);
}

enum {
	K_DEV, K_TOKEN, K_CLIENT, K_RGID, K_SIZE, K_OWNED, K_OFFSET,
	K_DATA, K_FILE, K_SIGNAL, K_LENGTH,
};

/* What the dmb commands were given; has_* say which keywords were. */
struct dmb_args {
	struct devarg dev;
	bool has_dev, has_token, has_rgid, has_size, owned, has_offset;
	bool has_length, has_signal;
	uint64_t token;
	const char *client;
	uint8_t rgid[DIBSNL_GID_LEN];
	uint32_t size, offset, length, signal;
	const char *data, *file;
};

static int offset_arg(const struct cmdline *c, const char *key,
		      const char *s, uint32_t min, uint32_t max,
		      uint32_t *out)
{
	uint64_t v;

	switch (parse_number(s, max, true, &v)) {
	case 0:
		if (v < min)
			break;
		*out = (uint32_t)v;
		return EXIT_OK;
	case -ERANGE:
		return usage_err(c, "invalid %s \"%s\": at most %u",
				 key, s, max);
	default:
		return usage_err(c, "invalid %s \"%s\": expected a number (decimal or 0x hex, K or M suffix)",
				 key, s);
	}
	return usage_err(c, "invalid %s \"%s\": at least %u", key, s, min);
}

/*
 * Parse the keywords of @tab into @a: EXIT_OK, HELP_DONE after "help", or
 * the status to return.
 */
static int dmb_parse(struct cmdline *c, const struct kw *tab,
		     struct dmb_args *a)
{
	const char *v, *key;
	uint64_t n;
	int id, rc;

	memset(a, 0, sizeof(*a));
	while (c->argc) {
		id = next_kw(c, tab, &rc);
		if (id < 0)
			return rc == EXIT_OK ? HELP_DONE : rc;
		if (id == K_OWNED) {
			if (a->owned)
				return dup_err(c, "owned");
			a->owned = true;
			continue;
		}
		key = c->kw;
		v = arg_value(c, key);
		if (!v)
			return EXIT_USAGE;
		rc = EXIT_OK;
		switch (id) {
		case K_DEV:
			if (a->has_dev)
				return dup_err(c, "dev");
			rc = devarg_parse(c, "dev", v, &a->dev);
			a->has_dev = true;
			break;
		case K_TOKEN:
			if (a->has_token)
				return dup_err(c, "token");
			rc = arg_token(c, v, &a->token);
			a->has_token = true;
			break;
		case K_CLIENT:
			if (a->client)
				return dup_err(c, "client");
			if (!*v || strlen(v) >= DIBSNL_CLIENT_NAME_MAX)
				return usage_err(c, "invalid client name \"%s\": 1 to %d characters",
						 v, DIBSNL_CLIENT_NAME_MAX - 1);
			a->client = v;
			break;
		case K_RGID:
			if (a->has_rgid)
				return dup_err(c, "remote-gid");
			rc = arg_gid(c, "remote-gid", v, a->rgid);
			a->has_rgid = true;
			break;
		case K_SIZE:
			if (a->has_size)
				return dup_err(c, "size");
			switch (parse_size(v, DMB_LEN_MAX, &a->size)) {
			case 0:
				break;
			case -EDOM:
				return usage_err(c, "invalid size \"%s\": a DMB has at least 1 byte",
						 v);
			case -ERANGE:
				return usage_err(c, "invalid size \"%s\": at most 8M (%u bytes)",
						 v, DMB_LEN_MAX);
			default:
				return usage_err(c, "invalid size \"%s\": expected a number with an optional K, M or G suffix",
						 v);
			}
			a->has_size = true;
			break;
		case K_OFFSET:
			if (a->has_offset)
				return dup_err(c, "offset");
			rc = offset_arg(c, "offset", v, 0, DMB_LEN_MAX - 1,
					&a->offset);
			a->has_offset = true;
			break;
		case K_LENGTH:
			if (a->has_length)
				return dup_err(c, "length");
			rc = offset_arg(c, "length", v, 1, DMB_LEN_MAX,
					&a->length);
			a->has_length = true;
			break;
		case K_DATA:
		case K_FILE:
			if (id == K_FILE && a->file)
				return dup_err(c, "file");
			if (a->data || a->file)
				return usage_err(c, "only one of \"data\" and \"file\" may be given");
			if (id == K_FILE && !*v)
				return usage_err(c, "invalid file \"\": a path is needed");
			if (id == K_DATA)
				a->data = v;
			else
				a->file = v;
			break;
		case K_SIGNAL:
			if (a->has_signal)
				return dup_err(c, "signal");
			if (parse_number(v, SIGNAL_IDX_MAX, false, &n))
				return usage_err(c, "invalid signal index \"%s\": expected 0 .. %d",
						 v, SIGNAL_IDX_MAX);
			a->signal = (uint32_t)n;
			a->has_signal = true;
			break;
		}
		if (rc)
			return rc;
	}
	return EXIT_OK;
}

static int need(const struct cmdline *c, bool has, const char *key)
{
	return has ? EXIT_OK : usage_err(c, "\"%s\" is needed", key);
}

/*
 * DMBs are printed as the dump delivers them: nothing is kept, so memory
 * stays flat however many there are (bench/: dibsctl_rss).
 */
struct dmb_show_ctx {
	struct dctl *d;
	const struct dmb_args *filter;
	size_t shown;
};

static int dmb_show_cb(const struct dibsnl_dmb *dmb, void *arg)
{
	struct dmb_show_ctx *sc = arg;
	const struct dmb_args *f = sc->filter;

	if (f->has_token && dmb->token != f->token)
		return 0;
	if (f->client && strcmp(dmb->client_name, f->client) != 0)
		return 0;
	if (f->has_rgid && memcmp(dmb->rgid, f->rgid, DIBSNL_GID_LEN) != 0)
		return 0;
	if (!sc->shown)
		out_arr_open(&sc->d->out, NULL);
	dmb_print(sc->d, dmb);
	sc->shown++;
	return 0;
}

static const struct kw show_kws[] = {
	{ "dev", KW_PREFERRED, K_DEV },
	{ "token", 0, K_TOKEN },
	{ "client", 0, K_CLIENT },
	{ "remote-gid", 0, K_RGID },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

/* "no DMB with token T" and the filters that found none. */
static void dmb_show_missing(const struct dmb_args *a)
{
	char tok[19], gid[DIBSNL_GID_STR_LEN];

	fflush(stdout);
	fprintf(stderr, "Error: no DMB with token %s",
		token_str(a->token, tok));
	if (a->client)
		fprintf(stderr, " of client \"%s\"", a->client);
	if (a->has_rgid) {
		dibsnl_gid_format(a->rgid, gid);
		fprintf(stderr, " for remote-gid %s", gid);
	}
	if (a->has_dev)
		fprintf(stderr, " on dibs device \"%s\"", devarg_str(&a->dev));
	fputc('\n', stderr);
}

static int dmb_show(struct cmdline *c)
{
	struct dibsnl_dmb_filter filter = { 0 };
	struct dmb_show_ctx sc = { .d = c->d };
	struct dctl *d = c->d;
	struct dibsnl_dmb one;
	struct dmb_args a;
	int rc, err;

	rc = dmb_parse(c, show_kws, &a);
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	if (!dctl_nl(d))
		return EXIT_FAIL;
	if (a.has_dev) {
		rc = devarg_resolve(d, &a.dev);
		if (rc)
			return rc;
	}
	sc.filter = &a;
	if (a.has_dev && a.has_token) {
		err = dibsnl_dmb_get(d->h, a.dev.ref, a.token, &one);
		if (!err)
			dmb_show_cb(&one, &sc);
	} else {
		if (a.has_dev)
			filter.dev = a.dev.ref;
		filter.client_name = a.client;
		err = dibsnl_dmb_dump(d->h, &filter, dmb_show_cb, &sc);
	}
	/* the array is opened by the first DMB, closed even after an error */
	if (sc.shown || !err) {
		if (!sc.shown)
			out_arr_open(&d->out, NULL);
		out_arr_close(&d->out);
		out_line_end(&d->out);
	}
	if (err == -EPERM && !*dibsnl_errmsg(d->h)) {
		/* dmb-get: tokens are secrets, shown to admins only */
		pr_err("showing DMBs needs CAP_NET_ADMIN");
		return EXIT_FAIL;
	}
	if (err == -ENOENT && a.client && !(a.has_dev && a.has_token)) {
		pr_err("no dibs client \"%s\"", a.client);
		return EXIT_FAIL;
	}
	if (err)
		return a.has_dev ? nl_dmb_err(d, err, &a.dev, a.token,
					      DMB_MISS_DEV) : nl_err(d, err);
	if (a.has_token && !sc.shown) {
		/* a token on a device without other filters: answered above */
		dmb_show_missing(&a);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static const struct kw grant_kws[] = {
	{ "dev", 0, K_DEV },
	{ "remote-gid", 0, K_RGID },
	{ "size", 0, K_SIZE },
	{ "owned", 0, K_OWNED },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

static int dmb_grant(struct cmdline *c)
{
	struct dctl *d = c->d;
	struct dibsnl_dmb dmb;
	struct dmb_args a;
	int rc, err;
	char tok[19];

	rc = dmb_parse(c, grant_kws, &a);
	if (!rc)
		rc = need(c, a.has_dev, "dev");
	if (!rc)
		rc = need(c, a.has_rgid, "remote-gid");
	if (!rc)
		rc = need(c, a.has_size, "size");
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	if (!dctl_nl(d))
		return EXIT_FAIL;
	rc = devarg_resolve(d, &a.dev);
	if (rc)
		return rc;
	err = dibsnl_dmb_grant(d->h, a.dev.ref, a.rgid, a.size, a.owned,
			       &dmb);
	if (err)
		return nl_dev_err(d, err, &a.dev);
	/* plain text: the token, unless -echo asks for all of the DMB */
	if (d->json || d->echo) {
		dmb_print(d, &dmb);
	} else {
		out_str(&d->out, OUT_PLAIN, "token", NULL,
			token_str(dmb.token, tok));
		out_line_end(&d->out);
	}
	return EXIT_OK;
}

static const struct kw revoke_kws[] = {
	{ "dev", 0, K_DEV },
	{ "token", 0, K_TOKEN },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

static int dmb_revoke(struct cmdline *c)
{
	struct dctl *d = c->d;
	struct dmb_args a;
	int rc, err;

	rc = dmb_parse(c, revoke_kws, &a);
	if (!rc)
		rc = need(c, a.has_dev, "dev");
	if (!rc)
		rc = need(c, a.has_token, "token");
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	if (!dctl_nl(d))
		return EXIT_FAIL;
	rc = devarg_resolve(d, &a.dev);
	if (rc)
		return rc;
	err = dibsnl_dmb_revoke(d->h, a.dev.ref, a.token);
	return err ? nl_dmb_err(d, err, &a.dev, a.token, DMB_MISS_DEV) :
		     EXIT_OK;
}

/* Read all of @path ("-": stdin), refusing more than @max bytes. */
static int slurp(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	size_t cap = 0, n = 0;
	uint8_t *b = NULL, *nb;
	struct stat st;
	ssize_t r;
	int fd;

	fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
	     open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("cannot open \"%s\": %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		pr_err("cannot read \"%s\": %s", path, strerror(EISDIR));
		goto fail;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > max + 1)
				cap = max + 1;
			nb = realloc(b, cap);
			if (!nb) {
				pr_err("reading \"%s\": %s", path,
				       strerror(ENOMEM));
				goto fail;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pr_err("reading \"%s\": %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
		if (n > max) {
			pr_err("\"%s\" is larger than the largest DMB (%zu bytes)",
			       path, max);
			goto fail;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*buf = b;
	*len = n;
	return EXIT_OK;
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	free(b);
	return EXIT_FAIL;
}

static const struct kw write_kws[] = {
	{ "dev", KW_PREFERRED, K_DEV },
	{ "token", 0, K_TOKEN },
	{ "offset", 0, K_OFFSET },
	{ "data", 0, K_DATA },
	{ "file", 0, K_FILE },
	{ "signal", 0, K_SIGNAL },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

static int dmb_write(struct cmdline *c)
{
	struct dctl *d = c->d;
	uint8_t *buf = NULL;
	struct dmb_args a;
	size_t len;
	int rc, err;

	rc = dmb_parse(c, write_kws, &a);
	if (!rc)
		rc = need(c, a.has_dev, "dev");
	if (!rc)
		rc = need(c, a.has_token, "token");
	if (!rc && !a.data && !a.file)
		rc = usage_err(c, "\"data\" or \"file\" is needed");
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	if (a.data) {
		len = strlen(a.data);
		if (len > DMB_LEN_MAX - a.offset)
			return usage_err(c, "offset %u and %zu bytes of data reach past the largest DMB (8M)",
					 a.offset, len);
	} else {
		rc = slurp(a.file, DMB_LEN_MAX - a.offset, &buf, &len);
		if (rc)
			return rc;
	}
	if (!dctl_nl(d)) {
		free(buf);
		return EXIT_FAIL;
	}
	rc = devarg_resolve(d, &a.dev);
	if (rc) {
		free(buf);
		return rc;
	}
	err = dibsnl_dmb_write(d->h, a.dev.ref, a.token, a.offset,
			       buf ? (const void *)buf : (const void *)a.data,
			       len, a.has_signal ? (int)a.signal : -1);
	free(buf);
	return err ? nl_dmb_err(d, err, &a.dev, a.token, DMB_MISS_FABRIC) :
		     EXIT_OK;
}

static const struct kw read_kws[] = {
	{ "dev", 0, K_DEV },
	{ "token", 0, K_TOKEN },
	{ "offset", 0, K_OFFSET },
	{ "length", 0, K_LENGTH },
	{ "file", 0, K_FILE },
	{ "help", 0, KW_HELP },
	{ NULL, 0, 0 },
};

/* JSON: the bytes as one hex string. */
static void read_json(struct dctl *d, const struct dmb_args *a,
		      const uint8_t *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct out *o = &d->out;
	char tok[19], *s;
	size_t i;

	out_obj_open(o, NULL);
	out_str(o, OUT_JSON, "token", NULL, token_str(a->token, tok));
	out_str(o, OUT_JSON, "dev", NULL, devarg_str(&a->dev));
	out_uint(o, OUT_JSON, "offset", NULL, a->offset);
	out_uint(o, OUT_JSON, "length", NULL, len);
	s = malloc(len * 2 + 1);
	if (s) {
		for (i = 0; i < len; i++) {
			s[2 * i] = hex[buf[i] >> 4];
			s[2 * i + 1] = hex[buf[i] & 0xf];
		}
		s[2 * len] = '\0';
	}
	out_str(o, OUT_JSON, "data", NULL, s);
	free(s);
	out_obj_close(o);
	out_line_end(o);
}

/* "file PATH": the raw bytes, to PATH or ("-") to standard output. */
static int read_to_file(const char *path, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0) {
		if (fwrite(buf, 1, len, stdout) != len)
			return EXIT_FAIL;	/* main() says why */
		return EXIT_OK;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		pr_err("cannot open \"%s\": %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("writing \"%s\": %s", path, strerror(errno));
			close(fd);
			return EXIT_FAIL;
		}
		done += n;
	}
	if (close(fd) < 0) {
		pr_err("writing \"%s\": %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int dmb_read(struct cmdline *c)
{
	struct dctl *d = c->d;
	struct dibsnl_dmb dmb;
	struct dmb_args a;
	uint8_t *buf;
	size_t len;
	int rc, err;

	rc = dmb_parse(c, read_kws, &a);
	if (!rc)
		rc = need(c, a.has_dev, "dev");
	if (!rc)
		rc = need(c, a.has_token, "token");
	if (rc)
		return rc == HELP_DONE ? EXIT_OK : rc;
	if (d->json && a.file && strcmp(a.file, "-") == 0)
		return usage_err(c, "\"file -\" writes raw bytes: not with -json");
	if (a.has_length && a.length > DMB_LEN_MAX - a.offset)
		return usage_err(c, "offset %u and length %u reach past the largest DMB (8M)",
				 a.offset, a.length);
	if (!dctl_nl(d))
		return EXIT_FAIL;
	rc = devarg_resolve(d, &a.dev);
	if (rc)
		return rc;
	if (!a.has_length) {
		/* up to the end of the DMB */
		err = dibsnl_dmb_get(d->h, a.dev.ref, a.token, &dmb);
		if (err)
			return nl_dmb_err(d, err, &a.dev, a.token,
					  DMB_MISS_DEV);
		if (a.offset >= dmb.len) {
			pr_err("offset %u is past the end of the DMB (%u bytes)",
			       a.offset, dmb.len);
			return EXIT_FAIL;
		}
		a.length = dmb.len - a.offset;
	}
	len = a.length;
	buf = malloc(len);
	if (!buf) {
		pr_err("%s", strerror(ENOMEM));
		return EXIT_FAIL;
	}
	err = dibsnl_dmb_read(d->h, a.dev.ref, a.token, a.offset, buf, len);
	if (err) {
		free(buf);
		return nl_dmb_err(d, err, &a.dev, a.token, DMB_MISS_UCLIENT);
	}
	/* raw bytes only where asked: never into a pipe or a journal */
	rc = EXIT_OK;
	if (a.file)
		rc = read_to_file(a.file, buf, len);
	else if (d->json)
		read_json(d, &a, buf, len);
	else
		hexdump(stdout, a.offset, buf, len);
	free(buf);
	return rc;
}

static const struct dctl_cmd dmb_cmds[] = {
	{ { "show", KW_PREFERRED, 0 }, dmb_show,
	  "show [ dev DEV ] [ token TOKEN ] [ client NAME ]\n"
	  "                        [ remote-gid GID ]" },
	{ { "grant", 0, 0 }, dmb_grant,
	  "grant dev DEV remote-gid GID size SIZE [ owned ]" },
	{ { "revoke", 0, 0 }, dmb_revoke, "revoke dev DEV token TOKEN" },
	{ { "write", 0, 0 }, dmb_write,
	  "write dev DEV token TOKEN [ offset N ]\n"
	  "                         { data STRING | file PATH } [ signal IDX ]" },
	{ { "read", 0, 0 }, dmb_read,
	  "read dev DEV token TOKEN [ offset N ] [ length N ]\n"
	  "                        [ file PATH ]" },
	{ { "help", 0, KW_HELP }, NULL, NULL },
	{ { NULL, 0, 0 }, NULL, NULL },
};

const struct dctl_obj dmb_obj = {
	.name = "dmb",
	.cmds = dmb_cmds,
	.default_cmd = "show",
	.where =
"where  DEV   := { NAME | INDEX }\n"
"       GID   := uuid, e.g. 01234567-89ab-cdef-0123-456789abcdef\n"
"       TOKEN := { 0xHEX | DECIMAL }\n"
"       SIZE  := NUMBER[K|M|G], 1 .. 8M\n"
"       N     := NUMBER[K|M], decimal or 0x hex\n"
"       IDX   := signal index, 0 .. 15\n"
"       PATH  := a file, or - for standard input (write) or output (read)\n",
};
