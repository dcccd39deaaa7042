// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmb-write and dmb-read. A write goes through /dev/dibs when it can
 * (cdev.c); otherwise in as few requests as the socket allows
 * (h->write_max bytes of data each), every request carrying its data as
 * DATA attributes of at most DIBS_DATA_CHUNK_MAX bytes, sent straight from
 * the caller's buffer. A read asks for one chunk per request.
 */
#include <errno.h>
#include <stdint.h>

#include "internal.h"

static size_t chunk_len(size_t left)
{
	return left < DIBS_DATA_CHUNK_MAX ? left : DIBS_DATA_CHUNK_MAX;
}

static int check_range(struct dibsnl *h, uint32_t offset, size_t len)
{
	if (len > UINT32_MAX - (size_t)offset) {
		dibsnl_set_err(h, "range ends beyond 4 GiB");
		return -EINVAL;
	}
	return 0;
}

DIBSNL_EXPORT int dibsnl_dmb_write(struct dibsnl *h, struct dibsnl_dev_ref dev,
				   uint64_t token, uint32_t offset,
				   const void *data, size_t len,
				   int signal_idx)
{
	const uint8_t *p = data;
	size_t done = 0;
	int err;

	if (!h || (!data && len))
		return -EINVAL;
	dibsnl_clear_err(h);
	err = check_range(h, offset, len);
	if (err)
		return err;
	if (h->io->dmb_write) {
		err = h->io->dmb_write(h, dev, token, offset, data, len,
				       signal_idx);
		if (err != -EOPNOTSUPP)
			return err;
	}

	/* one message even for no data: it may carry a signal */
	do {
		size_t n = len - done < h->write_max ? len - done : h->write_max;
		size_t piece = 0;
		struct dibsnl_req r;

		dibsnl_req_start(h, &r, DIBS_CMD_DMB_WRITE, 0);
		err = dibsnl_req_dev(h, &r, dev, DIBS_A_DMB_DEV_INDEX,
				     DIBS_A_DMB_DEV_NAME);
		if (err)
			return err;
		dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, token);
		dibsnl_req_u32(&r, DIBS_A_DMB_OFFSET, offset + done);
		/* the kernel writes the pieces one after the other */
		do {
			size_t pn = chunk_len(n - piece);

			dibsnl_req_put_ref(&r, DIBS_A_DMB_DATA,
					   p + done + piece, pn);
			piece += pn;
		} while (piece < n);
		if (done + n == len && signal_idx >= 0)
			dibsnl_req_u32(&r, DIBS_A_DMB_SIGNAL_IDX, signal_idx);
		err = dibsnl_do(h, &r, NULL, NULL);
		if (err)
			return err;
		done += n;
	} while (done < len);
	return 0;
}

struct read_ctx {
	uint64_t token;
	uint32_t offset;
	void *buf;
	size_t len;
};

static int read_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct read_ctx *c = arg;

	return dibsnl_parse_dmb_data(nlh, c->token, c->offset, c->buf,
				     c->len);
}

DIBSNL_EXPORT int dibsnl_dmb_read(struct dibsnl *h, struct dibsnl_dev_ref dev,
				  uint64_t token, uint32_t offset, void *buf,
				  size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;
	int err;

	if (!h || (!buf && len))
		return -EINVAL;
	dibsnl_clear_err(h);
	err = check_range(h, offset, len);
	if (err)
		return err;

	while (done < len) {
		struct read_ctx c = {
			.token = token,
			.offset = offset + done,
			.buf = p + done,
			.len = chunk_len(len - done),
		};
		struct dibsnl_req r;

		dibsnl_req_start(h, &r, DIBS_CMD_DMB_READ, 0);
		err = dibsnl_req_dev(h, &r, dev, DIBS_A_DMB_DEV_INDEX,
				     DIBS_A_DMB_DEV_NAME);
		if (err)
			return err;
		dibsnl_req_u64(&r, DIBS_A_DMB_TOKEN, token);
		dibsnl_req_u32(&r, DIBS_A_DMB_OFFSET, c.offset);
		dibsnl_req_u32(&r, DIBS_A_DMB_LEN, c.len);
		err = dibsnl_do(h, &r, read_reply, &c);
		if (err)
			return err;
		done += c.len;
	}
	return 0;
}
