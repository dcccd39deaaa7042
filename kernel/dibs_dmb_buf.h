/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DMB buffers of the soft devices (loopback, sim): physically contiguous,
 * zeroed memory in the linear map, as a client may expect of any DIBS
 * device. SMC-D takes virt_to_page() of a DMB and splices its pages, which
 * a vmalloc() buffer would break. A compound folio, so that a reference
 * taken on any of its pages is a reference on the whole buffer.
 */
#ifndef _DIBS_DMB_BUF_H
#define _DIBS_DMB_BUF_H

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/string.h>
#include <linux/types.h>

/* The largest order the page allocator hands out (6.8 renamed it). */
#ifdef MAX_PAGE_ORDER
#define DIBS_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#else
#define DIBS_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/* The longest DMB a soft device can back with one contiguous block. */
#define DIBS_DMB_BUF_MAX	(PAGE_SIZE << DIBS_MAX_PAGE_ORDER)

/* Return: the buffer, or NULL when memory is short (never a warning). */
static inline void *dibs_dmb_buf_alloc(unsigned int len)
{
	unsigned int order = get_order(len);
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	struct folio *folio;

	/* Large blocks are not worth a long reclaim: the grant fails. */
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		gfp |= __GFP_NORETRY;
	folio = folio_alloc(gfp, order);
	return folio ? folio_address(folio) : NULL;
}

static inline void dibs_dmb_buf_free(void *buf)
{
	folio_put(virt_to_folio(buf));
}

/*
 * Copy @size bytes of a move_data() into a DMB at @dst. An aligned write
 * of 2, 4 or 8 bytes lands as one store, which a reader on another CPU
 * sees whole or not at all, as on ISM (a console's 64-bit ring indexes,
 * uapi/dibs-console.md, rely on it). The store has release semantics:
 * a reader that sees it also sees the bytes of earlier move_data() calls
 * from this writer, so a ring index written after the ring's data never
 * runs ahead of it. memcpy() promises neither.
 */
static inline void dibs_dmb_buf_write(void *dst, const void *src,
				      unsigned int size)
{
	u16 v16;
	u32 v32;
	u64 v64;

	if (!IS_ALIGNED((unsigned long)dst, size)) {
		memcpy(dst, src, size);
		return;
	}
	switch (size) {
	case 2:
		memcpy(&v16, src, 2);
		/* release: earlier moves are seen before this store */
		smp_store_release((u16 *)dst, v16);
		break;
	case 4:
		memcpy(&v32, src, 4);
		/* release: earlier moves are seen before this store */
		smp_store_release((u32 *)dst, v32);
		break;
	case 8:
		memcpy(&v64, src, 8);
		/* release: earlier moves are seen before this store */
		smp_store_release((u64 *)dst, v64);
		break;
	default:
		memcpy(dst, src, size);
	}
}

#endif /* _DIBS_DMB_BUF_H */
