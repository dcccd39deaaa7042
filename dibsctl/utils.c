// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl helpers that need neither the kernel nor libdibsnl.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "utils.h"

#define KW_AT(tab, stride, i) \
	((const struct kw *)((const char *)(tab) + (size_t)(i) * (stride)))

static bool is_prefix(const char *arg, const char *name)
{
	size_t n = strlen(arg);

	return n && strncmp(arg, name, n) == 0;
}

enum kw_match_result kw_lookup(const void *tab, size_t stride,
			       const char *arg, const struct kw **hit)
{
	const struct kw *k, *found = NULL, *preferred = NULL;
	unsigned int n = 0, npref = 0;
	size_t i;

	if (!arg || !*arg)
		return KW_UNKNOWN;
	for (i = 0; (k = KW_AT(tab, stride, i))->name; i++) {
		if (strcmp(arg, k->name) == 0) {
			*hit = k;
			return KW_MATCH;
		}
		if (!is_prefix(arg, k->name))
			continue;
		found = k;
		n++;
		if (k->flags & KW_PREFERRED) {
			preferred = k;
			npref++;
		}
	}
	if (n == 1) {
		*hit = found;
		return KW_MATCH;
	}
	if (n == 0)
		return KW_UNKNOWN;
	if (npref == 1) {
		*hit = preferred;
		return KW_MATCH;
	}
	return KW_AMBIGUOUS;
}

void kw_candidates(const void *tab, size_t stride, const char *arg,
		   char *buf, size_t len)
{
	const struct kw *k;
	size_t i, used = 0;
	int ret;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; (k = KW_AT(tab, stride, i))->name; i++) {
		if (!is_prefix(arg, k->name))
			continue;
		ret = snprintf(buf + used, len - used, "%s\"%s\"",
			       used ? ", " : "", k->name);
		if (ret < 0 || (size_t)ret >= len - used)
			return;
		used += ret;
	}
}

static int digit_value(char c, unsigned int base)
{
	int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return (unsigned int)v < base ? v : -1;
}

int parse_number(const char *s, uint64_t max, bool suffix, uint64_t *out)
{
	unsigned int base = 10, shift = 0;
	bool overflow = false;
	const char *p = s;
	uint64_t v = 0;
	int d;

	if (!s || !*s)
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (digit_value(*p, base) < 0)
		return -EINVAL;
	for (; (d = digit_value(*p, base)) >= 0; p++) {
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	if (suffix && *p) {
		switch (*p) {
		case 'k': case 'K':
			shift = 10;
			break;
		case 'm': case 'M':
			shift = 20;
			break;
		case 'g': case 'G':
			shift = 30;
			break;
		default:
			return -EINVAL;
		}
		p++;
	}
	if (*p)
		return -EINVAL;
	if (overflow || v > (UINT64_MAX >> shift))
		return -ERANGE;
	v <<= shift;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t max, uint32_t *out)
{
	uint64_t v;
	int ret;

	if (max > UINT32_MAX)
		max = UINT32_MAX;
	ret = parse_number(s, max, true, &v);
	if (ret)
		return ret;
	if (!v)
		return -EDOM;
	*out = (uint32_t)v;
	return 0;
}

int parse_token(const char *s, uint64_t *out)
{
	return parse_number(s, UINT64_MAX, false, out);
}

bool all_digits(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

int split_line(char *line, char **argv, int max, int *argc)
{
	char *r = line, *w, c;
	bool quoted;
	int n = 0;

	*argc = 0;
	for (;;) {
		while (is_blank(*r))
			r++;
		if (!*r || *r == '#')
			break;
		if (n >= max)
			return -E2BIG;
		argv[n++] = w = r;
		quoted = false;
		while (*r) {
			if (quoted) {
				if (*r == '"') {
					quoted = false;
					r++;
					continue;
				}
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
				continue;
			}
			if (is_blank(*r))
				break;
			if (*r == '"') {
				quoted = true;
				r++;
				continue;
			}
			*w++ = *r++;
		}
		if (quoted)
			return -EINVAL;
		c = *r;
		*w = '\0';
		if (c)
			r++;
	}
	*argc = n;
	return 0;
}

static void hexdump_line(FILE *f, uint64_t off, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(f, "%08llx ", (unsigned long long)off);
	for (i = 0; i < 16; i++) {
		if (i == 8)
			fputc(' ', f);
		if (i < n)
			fprintf(f, " %02x", p[i]);
		else
			fputs("   ", f);
	}
	fputs("  |", f);
	for (i = 0; i < n; i++)
		fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', f);
	fputs("|\n", f);
}

void hexdump(FILE *f, uint64_t base, const uint8_t *buf, size_t len)
{
	bool starred = false;
	size_t off, n;

	for (off = 0; off < len; off += 16) {
		n = len - off < 16 ? len - off : 16;
		if (off && n == 16 && memcmp(buf + off, buf + off - 16, 16) == 0) {
			if (!starred)
				fputs("*\n", f);
			starred = true;
			continue;
		}
		starred = false;
		hexdump_line(f, base + off, buf + off, n);
	}
	fprintf(f, "%08llx\n", (unsigned long long)(base + len));
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("Warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
