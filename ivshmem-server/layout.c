// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where the peer table, the partitions and their parts lie in a region of
 * the given size: the computation uapi/ivshmem-layout.md gives. Guests do
 * not repeat it; they read the result from the header and check it.
 */
#include <stdio.h>

#include "server.h"

#define PAGE		DIBS_IVSHMEM_PAGE

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

int layout_compute(const struct options *o, struct layout *l)
{
	uint64_t summary, descs, evsummary, mboxes, min;

	l->region_size = o->size;
	l->peer_table_offset = DIBS_IVSHMEM_HEADER_SIZE;
	l->partitions_offset = l->peer_table_offset +
		round_up((uint64_t)o->max_peers * sizeof(struct dibs_ivshmem_peer),
			 PAGE);

	/* The pending-DMB bitmap in __le64 words, on a cache line of its own. */
	summary = round_up((o->dmbs_per_peer + 63) / 64 * 8, 64);
	descs = (uint64_t)o->dmbs_per_peer * sizeof(struct dibs_ivshmem_dmb_desc);
	l->summary_offset = 0;
	l->desc_offset = summary;

	/* One event mailbox per sender, after their pending bitmap. */
	evsummary = round_up((o->max_peers + 63) / 64 * 8, 64);
	l->mbox_slots = DIBS_IVSHMEM_EVENT_SLOTS;
	l->mbox_size = sizeof(struct dibs_ivshmem_mbox) +
		l->mbox_slots * sizeof(struct dibs_ivshmem_event);
	mboxes = (uint64_t)o->max_peers * l->mbox_size;
	l->event_summary_offset = summary + descs;
	l->mbox_offset = l->event_summary_offset + evsummary;
	l->data_offset = round_up(l->mbox_offset + mboxes, PAGE);

	/* Each partition needs its bookkeeping and a page of buffers. */
	min = l->partitions_offset + (uint64_t)o->max_peers * (l->data_offset + PAGE);
	if (o->size < min) {
		fprintf(stderr,
			"%s: invalid --size %llu: too small for %u peers with %u DMB slots each (needs at least %llu bytes)\n",
			PROG_NAME, (unsigned long long)o->size, o->max_peers,
			o->dmbs_per_peer, (unsigned long long)min);
		return -1;
	}
	l->partition_size = (o->size - l->partitions_offset) / o->max_peers
		/ PAGE * PAGE;
	l->data_size = l->partition_size - l->data_offset;
	return 0;
}
