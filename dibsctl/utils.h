/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dibsctl helpers that need neither the kernel nor libdibsnl: keyword
 * matching, number/size/token parsing, batch line splitting, hexdump
 * and error printing. The host unit tests link this file on its own.
 */
#ifndef DIBSCTL_UTILS_H
#define DIBSCTL_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define __printf(a, b)	__attribute__((format(printf, a, b)))

/*
 * Keyword tables end with an entry whose name is NULL. An entry may be the
 * first member of a larger struct: the lookup steps through the table by
 * @stride bytes.
 */
#define KW_PREFERRED	0x1	/* wins an ambiguous prefix ("d", "s") */

struct kw {
	const char *name;
	unsigned int flags;
	int id;
};

enum kw_match_result {
	KW_MATCH,
	KW_UNKNOWN,
	KW_AMBIGUOUS,
};

/*
 * Look @arg up in @tab: an exact name wins, then a unique prefix, then,
 * among several names that @arg is a prefix of, the one entry marked
 * KW_PREFERRED. *@hit is set on KW_MATCH.
 */
enum kw_match_result kw_lookup(const void *tab, size_t stride,
			       const char *arg, const struct kw **hit);
/* The names @arg is a prefix of, as "a, b, c", for an error message. */
void kw_candidates(const void *tab, size_t stride, const char *arg,
		   char *buf, size_t len);

/*
 * Numbers are decimal or 0x-prefixed hex, with no sign, space or other
 * junk. With @suffix, a final K, M or G (either case) multiplies by 1024,
 * 1024^2 or 1024^3. Returns 0, -EINVAL (not a number) or -ERANGE (above
 * @max or overflow).
 */
int parse_number(const char *s, uint64_t max, bool suffix, uint64_t *out);

/* A DMB size: like parse_number() with suffixes; 0 gives -EDOM. */
int parse_size(const char *s, uint64_t max, uint32_t *out);

/* A token: "0x" and 1..16 hex digits, or a decimal u64. */
int parse_token(const char *s, uint64_t *out);

/* gids: libdibsnl's dibsnl_gid_parse() and dibsnl_gid_format(). */

/* True when @s is non-empty and all decimal digits. */
bool all_digits(const char *s);

/*
 * Split a batch line in place into words: blanks separate words, "double
 * quotes" group (with \" and \\ inside them), a # at the start of a word
 * outside quotes ends the line. Returns 0, -EINVAL for an unterminated
 * quote or -E2BIG when there are more than @max words.
 */
int split_line(char *line, char **argv, int max, int *argc);

/*
 * hexdump -C style: offset (counting from @base), hex, ascii; repeated
 * lines collapse into "*".
 */
void hexdump(FILE *f, uint64_t base, const uint8_t *buf, size_t len);

/* "Error: ..." / "Warning: ..." on stderr, with a newline added. */
void pr_err(const char *fmt, ...) __printf(1, 2);
void pr_warn(const char *fmt, ...) __printf(1, 2);

#endif /* DIBSCTL_UTILS_H */
