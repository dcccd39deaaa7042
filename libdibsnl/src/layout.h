/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The public structs as binaries linked against DIBSNL_1 to DIBSNL_1.4
 * compiled them: frozen. Those binaries allocate these sizes, so the
 * library writes (dev_get, dev_new, dmb_get, dmb_grant) and reads
 * (dev_new's request, dmb_dump's filter) no more than that for them,
 * whatever fields dibsnl.h has gained since. The asserts below keep every
 * field of these layouts where it was in the public structs: fields are
 * only ever added at the end.
 *
 * When a struct a caller allocates gains a field (see the README, "Growing
 * a struct"): its layout as it is now is copied here (struct ..._v1_N),
 * a struct dibsnl_layout for the generation that ends is added, and
 * dibsnl_open is exported again at the new version node, so that binaries
 * built with the new header need the new library and the library knows
 * which layout every handle's caller has.
 */
#ifndef DIBSNL_LAYOUT_H
#define DIBSNL_LAYOUT_H

#include <stddef.h>

#include "dibsnl.h"

struct dibsnl_dev_v1 {
	uint32_t index;
	char name[DIBSNL_NAME_MAX];
	char type[32];
	uint8_t gid[DIBSNL_GID_LEN];
	uint16_t fabric_id;
	enum dibsnl_dev_state state;
	uint32_t max_dmbs;
	uint32_t dmb_count;
	bool mapped_dmb;
	char parent_bus[32];
	char parent_name[64];
	int32_t netns_id;
	bool has_stats;
	struct dibsnl_dev_stats stats;
};

struct dibsnl_dmb_v1 {
	uint64_t token;
	uint32_t dev_index;
	char dev_name[DIBSNL_NAME_MAX];
	uint32_t client_id;
	char client_name[DIBSNL_CLIENT_NAME_MAX];
	uint8_t rgid[DIBSNL_GID_LEN];
	uint32_t len;
	uint32_t sba_idx;
	bool owned;
	bool has_stats;
	struct dibsnl_dmb_stats stats;
};

struct dibsnl_dev_new_v1 {
	const char *name;
	const char *type;
	bool has_fabric_id;
	uint16_t fabric_id;
	bool has_gid;
	uint8_t gid[DIBSNL_GID_LEN];
};

struct dibsnl_dmb_filter_v1 {
	struct dibsnl_dev_ref dev;
	const char *client_name;
};

/* Never grows: dibsnl_dmb_unmap() has no handle to say whose layout. */
struct dibsnl_dmb_map_v1 {
	void *addr;
	size_t map_len;
	uint32_t len;
	bool fallback;
};

#define DIBSNL_SAME_FIELD(s, f)						\
	_Static_assert(offsetof(struct dibsnl_##s, f) ==		\
		       offsetof(struct dibsnl_##s##_v1, f) &&		\
		       sizeof(((struct dibsnl_##s *)0)->f) ==		\
		       sizeof(((struct dibsnl_##s##_v1 *)0)->f),	\
		       "dibsnl_" #s "." #f " moved: DIBSNL_1's layout is frozen")

DIBSNL_SAME_FIELD(dev, index);
DIBSNL_SAME_FIELD(dev, name);
DIBSNL_SAME_FIELD(dev, type);
DIBSNL_SAME_FIELD(dev, gid);
DIBSNL_SAME_FIELD(dev, fabric_id);
DIBSNL_SAME_FIELD(dev, state);
DIBSNL_SAME_FIELD(dev, max_dmbs);
DIBSNL_SAME_FIELD(dev, dmb_count);
DIBSNL_SAME_FIELD(dev, mapped_dmb);
DIBSNL_SAME_FIELD(dev, parent_bus);
DIBSNL_SAME_FIELD(dev, parent_name);
DIBSNL_SAME_FIELD(dev, netns_id);
DIBSNL_SAME_FIELD(dev, has_stats);
DIBSNL_SAME_FIELD(dev, stats);
DIBSNL_SAME_FIELD(dmb, token);
DIBSNL_SAME_FIELD(dmb, dev_index);
DIBSNL_SAME_FIELD(dmb, dev_name);
DIBSNL_SAME_FIELD(dmb, client_id);
DIBSNL_SAME_FIELD(dmb, client_name);
DIBSNL_SAME_FIELD(dmb, rgid);
DIBSNL_SAME_FIELD(dmb, len);
DIBSNL_SAME_FIELD(dmb, sba_idx);
DIBSNL_SAME_FIELD(dmb, owned);
DIBSNL_SAME_FIELD(dmb, has_stats);
DIBSNL_SAME_FIELD(dmb, stats);
DIBSNL_SAME_FIELD(dev_new, name);
DIBSNL_SAME_FIELD(dev_new, type);
DIBSNL_SAME_FIELD(dev_new, has_fabric_id);
DIBSNL_SAME_FIELD(dev_new, fabric_id);
DIBSNL_SAME_FIELD(dev_new, has_gid);
DIBSNL_SAME_FIELD(dev_new, gid);
DIBSNL_SAME_FIELD(dmb_filter, dev);
DIBSNL_SAME_FIELD(dmb_filter, client_name);

_Static_assert(sizeof(struct dibsnl_dmb_map) ==
	       sizeof(struct dibsnl_dmb_map_v1) &&
	       offsetof(struct dibsnl_dmb_map, addr) == 0 &&
	       offsetof(struct dibsnl_dmb_map, map_len) ==
	       offsetof(struct dibsnl_dmb_map_v1, map_len) &&
	       offsetof(struct dibsnl_dmb_map, len) ==
	       offsetof(struct dibsnl_dmb_map_v1, len) &&
	       offsetof(struct dibsnl_dmb_map, fallback) ==
	       offsetof(struct dibsnl_dmb_map_v1, fallback),
	       "struct dibsnl_dmb_map is frozen");
/* Passed by value: its size is part of every call that takes one. */
_Static_assert(sizeof(struct dibsnl_dev_ref) == 2 * sizeof(void *),
	       "struct dibsnl_dev_ref is frozen");
/* Elements of arrays (struct dibsnl_client, dibsnl_client_dump_devs()) */
_Static_assert(sizeof(struct dibsnl_client_dev) == 8,
	       "struct dibsnl_client_dev is frozen");
_Static_assert(sizeof(struct dibsnl_dev_stats) == 48 &&
	       sizeof(struct dibsnl_dmb_stats) == 32,
	       "the stats structs are frozen: they sit inside others");

#endif /* DIBSNL_LAYOUT_H */
