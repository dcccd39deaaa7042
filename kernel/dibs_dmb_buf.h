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

#endif /* _DIBS_DMB_BUF_H */
