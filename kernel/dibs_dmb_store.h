/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The store of a move_data() into a DMB's buffer, for every device whose
 * buffers are ordinary cacheable memory to the writing CPU: the soft
 * devices' own pages and the ivshmem region (mapped write-back). What it
 * promises a reader is what ISM promises, so that clients written for one
 * device work on all of them.
 */
#ifndef _DIBS_DMB_STORE_H
#define _DIBS_DMB_STORE_H

#include <asm/barrier.h>
#include <linux/align.h>
#include <linux/string.h>
#include <linux/types.h>

/*
 * Copy @size bytes of a move_data() into a DMB at @dst. An aligned write
 * of 2, 4 or 8 bytes lands as one store, which a reader on another CPU
 * sees whole or not at all, as on ISM (a console's 64-bit ring indexes,
 * uapi/dibs-console.md, rely on it). The store has release semantics:
 * a reader that sees it also sees the bytes of earlier move_data() calls
 * from this writer, so a ring index written after the ring's data never
 * runs ahead of it. memcpy() promises neither.
 */
static inline void dibs_dmb_store(void *dst, const void *src,
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

#endif /* _DIBS_DMB_STORE_H */
