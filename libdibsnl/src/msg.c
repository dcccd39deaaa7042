// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Netlink messages: building requests with bounds checks, walking and
 * validating attributes, reading acks and their extack.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

/* Requests */

void dibsnl_req_init(struct dibsnl_req *r, void *buf, size_t size,
		     uint16_t family, uint8_t cmd, uint8_t version,
		     uint16_t flags)
{
	struct genlmsghdr *genl;

	r->size = size;
	r->overflow = false;
	r->nrefs = 0;
	r->ref_len = 0;
	r->nlh = mnl_nlmsg_put_header(buf);
	r->nlh->nlmsg_type = family;
	r->nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(r->nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
}

void dibsnl_req_start(struct dibsnl *h, struct dibsnl_req *r, uint8_t cmd,
		      uint16_t flags)
{
	dibsnl_req_init(r, h->tx, DIBSNL_TX_SIZE, h->family, cmd,
			DIBS_FAMILY_VERSION, flags);
}

void dibsnl_req_put(struct dibsnl_req *r, uint16_t type, const void *data,
		    size_t len)
{
	struct nlattr *a;
	char *payload;

	if (r->overflow)
		return;
	/* nla_len is 16 bits; the padded attribute must fit the buffer */
	if (len > UINT16_MAX - MNL_ATTR_HDRLEN ||
	    r->nlh->nlmsg_len + MNL_ATTR_HDRLEN + MNL_ALIGN(len) > r->size) {
		r->overflow = true;
		return;
	}
	a = mnl_nlmsg_get_payload_tail(r->nlh);
	a->nla_type = type;
	a->nla_len = MNL_ATTR_HDRLEN + len;
	payload = mnl_attr_get_payload(a);
	if (len)
		memcpy(payload, data, len);
	/* the buffer is reused: no stale bytes in the padding */
	memset(payload + len, 0, MNL_ALIGN(len) - len);
	r->nlh->nlmsg_len += MNL_ALIGN(a->nla_len);
}

void dibsnl_req_put_ref(struct dibsnl_req *r, uint16_t type,
			const void *data, size_t len)
{
	struct nlattr *a;

	if (r->overflow)
		return;
	/* the header goes in the buffer; the payload and its padding not */
	if (len > UINT16_MAX - MNL_ATTR_HDRLEN ||
	    r->nrefs == DIBSNL_REQ_REFS ||
	    r->nlh->nlmsg_len + MNL_ATTR_HDRLEN > r->size ||
	    dibsnl_req_len(r) + MNL_ATTR_HDRLEN + MNL_ALIGN(len) > UINT32_MAX) {
		r->overflow = true;
		return;
	}
	a = mnl_nlmsg_get_payload_tail(r->nlh);
	a->nla_type = type;
	a->nla_len = MNL_ATTR_HDRLEN + len;
	r->nlh->nlmsg_len += MNL_ATTR_HDRLEN;
	r->refs[r->nrefs].at = r->nlh->nlmsg_len;
	r->refs[r->nrefs].data = data;
	r->refs[r->nrefs].len = len;
	r->nrefs++;
	r->ref_len += MNL_ALIGN(len);
}

size_t dibsnl_req_len(const struct dibsnl_req *r)
{
	return r->nlh->nlmsg_len + r->ref_len;
}

void dibsnl_req_u8(struct dibsnl_req *r, uint16_t type, uint8_t v)
{
	dibsnl_req_put(r, type, &v, sizeof(v));
}

void dibsnl_req_u16(struct dibsnl_req *r, uint16_t type, uint16_t v)
{
	dibsnl_req_put(r, type, &v, sizeof(v));
}

void dibsnl_req_u32(struct dibsnl_req *r, uint16_t type, uint32_t v)
{
	dibsnl_req_put(r, type, &v, sizeof(v));
}

void dibsnl_req_u64(struct dibsnl_req *r, uint16_t type, uint64_t v)
{
	dibsnl_req_put(r, type, &v, sizeof(v));
}

/* Strings go with their terminating NUL, as the kernel's policies want. */
void dibsnl_req_str(struct dibsnl_req *r, uint16_t type, const char *s)
{
	dibsnl_req_put(r, type, s, strlen(s) + 1);
}

void dibsnl_req_flag(struct dibsnl_req *r, uint16_t type)
{
	dibsnl_req_put(r, type, NULL, 0);
}

int dibsnl_req_dev(struct dibsnl *h, struct dibsnl_req *r,
		   struct dibsnl_dev_ref dev, uint16_t idx_type,
		   uint16_t name_type)
{
	if (dev.index) {
		dibsnl_req_u32(r, idx_type, dev.index);
		return 0;
	}
	if (!dev.name || !dev.name[0]) {
		dibsnl_set_err(h, "no device given (index or name)");
		return -EINVAL;
	}
	if (strlen(dev.name) >= DIBSNL_NAME_MAX) {
		dibsnl_set_err(h, "device name too long (at most %d bytes)",
			       DIBSNL_NAME_MAX - 1);
		return -EINVAL;
	}
	dibsnl_req_str(r, name_type, dev.name);
	return 0;
}

/*
 * Attributes: the walk and the per-type checks are libmnl's
 * (mnl_attr_parse_payload, mnl_attr_parse_nested, mnl_attr_validate).
 * Kept here is what libmnl does not do: its walk ends without a word at an
 * attribute that overruns the buffer or at bytes left over after the last
 * one, which this library refuses (strict framing), so walk_one() notes
 * where the last attribute it saw ended and walk_end() compares that with
 * the end of the buffer.
 */

struct walk_ctx {
	dibsnl_attr_cb cb;
	void *arg;
	const char *seen;		/* end of the last attribute walked */
	int err;			/* what cb returned to stop */
};

static int walk_one(const struct nlattr *a, void *data)
{
	struct walk_ctx *w = data;
	int err;

	/* the last attribute's padding may be missing: seen may pass end */
	w->seen = (const char *)a + MNL_ALIGN(a->nla_len);
	err = w->cb(a, w->arg);
	if (err) {
		w->err = err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* What mnl_attr_parse*() returned, made strict about the framing. */
static int walk_end(const struct walk_ctx *w, int ret, const void *end)
{
	if (ret <= MNL_CB_ERROR)
		return w->err ? w->err : -EINVAL;
	return w->seen < (const char *)end ? -EINVAL : 0;
}

int dibsnl_attr_walk(const void *buf, size_t len, dibsnl_attr_cb cb,
		     void *arg)
{
	struct walk_ctx w = { .cb = cb, .arg = arg, .seen = buf };
	int ret;

	ret = mnl_attr_parse_payload(buf, len, walk_one, &w);
	return walk_end(&w, ret, (const char *)buf + len);
}

struct parse_ctx {
	const struct dibsnl_policy *pol;
	unsigned int maxtype;
	const struct nlattr **tb;
};

/*
 * libmnl's check for each kind. It has no signed types: an s32 is checked
 * as the u32 it is on the wire (the kind is kept apart for the readers and
 * for spec-agrees.py). STRING and BYTES: any length, as this library is
 * lenient about content (MNL_TYPE_STRING would refuse an empty string).
 */
static int attr_validate(const struct dibsnl_policy *p,
			 const struct nlattr *a)
{
	switch (p->kind) {
	case DIBSNL_ATTR_U8:
		return mnl_attr_validate(a, MNL_TYPE_U8);
	case DIBSNL_ATTR_U16:
		return mnl_attr_validate(a, MNL_TYPE_U16);
	case DIBSNL_ATTR_U32:
	case DIBSNL_ATTR_S32:
		return mnl_attr_validate(a, MNL_TYPE_U32);
	case DIBSNL_ATTR_U64:
		return mnl_attr_validate(a, MNL_TYPE_U64);
	case DIBSNL_ATTR_STRING:
	case DIBSNL_ATTR_BYTES:
		return mnl_attr_validate(a, MNL_TYPE_UNSPEC);
	case DIBSNL_ATTR_BINARY:
		return mnl_attr_validate2(a, MNL_TYPE_BINARY, p->len);
	case DIBSNL_ATTR_FLAG:
		return mnl_attr_validate(a, MNL_TYPE_FLAG);
	case DIBSNL_ATTR_NEST:
		return mnl_attr_validate(a, MNL_TYPE_NESTED);
	default:
		return -1;
	}
}

static int parse_one(const struct nlattr *a, void *arg)
{
	struct parse_ctx *ctx = arg;
	uint16_t type = mnl_attr_get_type(a);
	const struct dibsnl_policy *p;

	if (type > ctx->maxtype)
		return 0;
	p = &ctx->pol[type];
	if (p->kind == DIBSNL_ATTR_IGNORE)
		return 0;
	if (attr_validate(p, a) < 0)
		return -EINVAL;
	ctx->tb[type] = a;
	return 0;
}

int dibsnl_attr_parse(const void *buf, size_t len,
		      const struct dibsnl_policy *pol, unsigned int maxtype,
		      const struct nlattr **tb)
{
	struct parse_ctx ctx = { .pol = pol, .maxtype = maxtype, .tb = tb };

	memset(tb, 0, (maxtype + 1) * sizeof(*tb));
	return dibsnl_attr_walk(buf, len, parse_one, &ctx);
}

int dibsnl_attr_parse_nested(const struct nlattr *nest,
			     const struct dibsnl_policy *pol,
			     unsigned int maxtype, const struct nlattr **tb)
{
	struct parse_ctx ctx = { .pol = pol, .maxtype = maxtype, .tb = tb };
	struct walk_ctx w = { .cb = parse_one, .arg = &ctx };
	int ret;

	memset(tb, 0, (maxtype + 1) * sizeof(*tb));
	w.seen = mnl_attr_get_payload(nest);
	ret = mnl_attr_parse_nested(nest, walk_one, &w);
	return walk_end(&w, ret, (const char *)mnl_attr_get_payload(nest) +
			mnl_attr_get_payload_len(nest));
}

#define GENL_ATTRS_OFFSET	(MNL_NLMSG_HDRLEN + GENL_HDRLEN)

const void *dibsnl_genl_attrs(const struct nlmsghdr *nlh, size_t *len)
{
	if (nlh->nlmsg_len < GENL_ATTRS_OFFSET)
		return NULL;
	*len = nlh->nlmsg_len - GENL_ATTRS_OFFSET;
	return (const char *)nlh + GENL_ATTRS_OFFSET;
}

int dibsnl_genl_cmd(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *genl;

	if (nlh->nlmsg_len < GENL_ATTRS_OFFSET)
		return -EINVAL;
	genl = mnl_nlmsg_get_payload(nlh);
	return genl->cmd;
}

int dibsnl_genl_parse(const struct nlmsghdr *nlh,
		      const struct dibsnl_policy *pol, unsigned int maxtype,
		      const struct nlattr **tb)
{
	struct parse_ctx ctx = { .pol = pol, .maxtype = maxtype, .tb = tb };
	struct walk_ctx w = { .cb = parse_one, .arg = &ctx };
	const void *attrs;
	size_t len;
	int ret;

	memset(tb, 0, (maxtype + 1) * sizeof(*tb));
	attrs = dibsnl_genl_attrs(nlh, &len);
	if (!attrs)
		return -EINVAL;
	/*
	 * Not mnl_attr_parse(nlh, GENL_HDRLEN, ...): it walks up to the
	 * message's length rounded up to 4, so a last attribute that runs up
	 * to 3 bytes past the message would pass.
	 */
	w.seen = attrs;
	ret = mnl_attr_parse_payload(attrs, len, walk_one, &w);
	return walk_end(&w, ret, (const char *)attrs + len);
}

uint8_t dibsnl_attr_u8(const struct nlattr *a, uint8_t def)
{
	return a ? mnl_attr_get_u8(a) : def;
}

uint16_t dibsnl_attr_u16(const struct nlattr *a, uint16_t def)
{
	return a ? mnl_attr_get_u16(a) : def;
}

uint32_t dibsnl_attr_u32(const struct nlattr *a, uint32_t def)
{
	return a ? mnl_attr_get_u32(a) : def;
}

int32_t dibsnl_attr_s32(const struct nlattr *a, int32_t def)
{
	int32_t v;

	if (!a)
		return def;
	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return v;
}

uint64_t dibsnl_attr_u64(const struct nlattr *a, uint64_t def)
{
	return a ? mnl_attr_get_u64(a) : def;
}

void dibsnl_attr_memcpy(void *dst, size_t len, const struct nlattr *a)
{
	if (a)
		memcpy(dst, mnl_attr_get_payload(a), len);
}

void dibsnl_attr_strcpy(char *dst, size_t size, const struct nlattr *a)
{
	const char *s, *nul;
	size_t n;

	if (!a || !size)
		return;
	s = mnl_attr_get_payload(a);
	n = mnl_attr_get_payload_len(a);
	nul = memchr(s, '\0', n);
	if (nul)
		n = nul - s;
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Acks */

static const struct dibsnl_policy extack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG]		= { .kind = DIBSNL_ATTR_STRING },
	[NLMSGERR_ATTR_MISS_TYPE]	= { .kind = DIBSNL_ATTR_U32 },
};

static void parse_extack(const char *buf, size_t len, char *msg, size_t size)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (dibsnl_attr_parse(buf, len, extack_policy, NLMSGERR_ATTR_MAX, tb))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		dibsnl_attr_strcpy(msg, size, tb[NLMSGERR_ATTR_MSG]);
	else if (tb[NLMSGERR_ATTR_MISS_TYPE])
		snprintf(msg, size, "missing attribute (type %u)",
			 mnl_attr_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
}

int dibsnl_parse_ack(const struct nlmsghdr *nlh, char *msg, size_t size)
{
	const char *payload = mnl_nlmsg_get_payload(nlh);
	struct nlmsgerr e;
	size_t len, off;
	int err;

	if (size)
		msg[0] = '\0';
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EPROTO;
	len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	if (len < sizeof(int))
		return nlh->nlmsg_type == NLMSG_DONE && !len ? 0 : -EPROTO;
	memcpy(&err, payload, sizeof(err));
	if (err > 0 || err < -4095)
		return -EPROTO;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !size)
		return err;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		/* the TLVs follow the request, or only its header */
		if (len < sizeof(e))
			return err;
		memcpy(&e, payload, sizeof(e));
		off = sizeof(e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e.msg.nlmsg_len < sizeof(struct nlmsghdr))
				return err;
			off = sizeof(int) + MNL_ALIGN((size_t)e.msg.nlmsg_len);
		}
	} else {
		off = MNL_ALIGN(sizeof(int));
	}
	if (off < len)
		parse_extack(payload + off, len - off, msg, size);
	return err;
}
