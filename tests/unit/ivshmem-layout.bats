#!/usr/bin/env bats
# uapi/linux/dibs_ivshmem.h against uapi/ivshmem-layout.md: every field the
# document's tables give (offset, and size for le16/le32/le64 and [16]) is
# where the header's structs put it, and the structs have the documented
# sizes. A second implementation built from the document alone must fit
# the header's.

load ../lib/common

REPO=${DIBS_REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
DOC=$REPO/uapi/ivshmem-layout.md

# checks [DELTA]: C11 static assertions from the document's tables, with
# DELTA added to every offset (to prove that a wrong one fails).
checks() {
	python3 - "$DOC" "${1:-0}" <<-'PY'
	import re, sys
	doc, delta = open(sys.argv[1]).read(), int(sys.argv[2])
	# the tables of the five structs, in the document's order
	parts = [("dibs_ivshmem_header", "## Header", "## Peer table"),
	         ("dibs_ivshmem_peer", "## Peer table", "## Partitions"),
	         ("dibs_ivshmem_dmb_desc", "## Partitions", "### Tokens"),
	         ("dibs_ivshmem_mbox", "### Mailboxes", "An event slot"),
	         ("dibs_ivshmem_event", "An event slot", "### Sending")]
	sizes = {"le16": 2, "le32": 4, "le64": 8}
	print("#include <stddef.h>\n#include <linux/dibs_ivshmem.h>")
	n = 0
	for struct, start, end in parts:
	    text = doc[doc.index(start):doc.index(end)]
	    for off, name, kind in re.findall(
	            r"^\| (\d+) \| `(\w+)(?:\[16\])?` ?(?:\((le\d+)\))?", text, re.M):
	        size = sizes.get(kind, 16)
	        print("_Static_assert(offsetof(struct %s, %s) == %d, \"%s.%s\");"
	              % (struct, name, int(off) + delta, struct, name))
	        print("_Static_assert(sizeof(((struct %s *)0)->%s) == %d, \"%s.%s size\");"
	              % (struct, name, size, struct, name))
	        n += 1
	print("_Static_assert(sizeof(struct dibs_ivshmem_header) == 128, \"header\");")
	print("_Static_assert(sizeof(struct dibs_ivshmem_peer) == 64, \"peer\");")
	print("_Static_assert(sizeof(struct dibs_ivshmem_dmb_desc) == 64, \"desc\");")
	print("_Static_assert(sizeof(struct dibs_ivshmem_mbox) == 128, \"mbox\");")
	print("_Static_assert(sizeof(struct dibs_ivshmem_event) == 32, \"event\");")
	print("/* fields: %d */" % n)
	PY
}

compile() {
	cc -std=c11 -Wall -Wextra -Werror -pedantic -I"$REPO/uapi" \
		-fsyntax-only -x c "$1"
}

@test "ivshmem layout: the header's structs are the document's tables" {
	local c=$BATS_TEST_TMPDIR/layout.c
	checks >"$c"
	# the tables were found: 22 header, 5 peer, 8 descriptor, 2 mailbox
	# and 4 event slot fields
	grep -qx '/\* fields: 41 \*/' "$c"
	run compile "$c"
	echo "$output"
	[ "$status" -eq 0 ]
	# and the check does catch an offset that is off
	checks 1 >"$c"
	run compile "$c"
	[ "$status" -ne 0 ]
}

@test "ivshmem layout: tokens, doorbells and constants as the document says" {
	local c=$BATS_TEST_TMPDIR/consts.c
	cat >"$c" <<-'EOF'
	#include <stdio.h>
	#include <linux/dibs_ivshmem.h>
	int main(void)
	{
		__u64 t = DIBS_IVSHMEM_TOKEN(0x1234, 0x10005, 0xabcd, 0x9);
		printf("%016llx %x %x %x %x\n", (unsigned long long)t,
		       DIBS_IVSHMEM_TOKEN_PEER(t), DIBS_IVSHMEM_TOKEN_GEN(t),
		       DIBS_IVSHMEM_TOKEN_SLOT(t), DIBS_IVSHMEM_TOKEN_SEQ(t));
		printf("%08x\n", DIBS_IVSHMEM_DOORBELL(3, DIBS_IVSHMEM_VEC_PEERS));
		/* the magic's bytes in memory, little-endian */
		printf("%c%c%c%c\n", DIBS_IVSHMEM_MAGIC & 0xff,
		       DIBS_IVSHMEM_MAGIC >> 8 & 0xff, DIBS_IVSHMEM_MAGIC >> 16 & 0xff,
		       DIBS_IVSHMEM_MAGIC >> 24);
		printf("%x %x %d\n", DIBS_IVSHMEM_FABRIC_MIN, DIBS_IVSHMEM_FABRIC_MAX,
		       DIBS_IVSHMEM_VERSION);
		printf("%d %d\n", DIBS_IVSHMEM_EVENT_SLOTS,
		       DIBS_IVSHMEM_EVENT_SLOTS_MAX);
		return 0;
	}
	EOF
	cc -Wall -Wextra -Werror -I"$REPO/uapi" -o "$BATS_TEST_TMPDIR/consts" "$c"
	run "$BATS_TEST_TMPDIR/consts"
	echo "$output"
	[ "${lines[0]}" = "12340005abcd0009 1234 5 abcd 9" ]
	[ "${lines[1]}" = "00030001" ]
	[ "${lines[2]}" = "DIBS" ]
	[ "${lines[3]}" = "ff00 fffe 2" ]
	[ "${lines[4]}" = "16 256" ]
}
