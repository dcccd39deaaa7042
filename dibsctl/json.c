// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A tiny streaming JSON writer (see json.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "json.h"

void jw_init(struct jw *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
}

bool jw_ok(const struct jw *w)
{
	return !w->misuse && w->depth == 0;
}

/* Length of the valid UTF-8 sequence at @p (at most @n bytes), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void jw_escape(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		switch (p[i]) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f) {
				fprintf(f, "\\u%04x", p[i]);
				break;
			}
			n = utf8_seq(p + i, len - i);
			if (!n) {
				/* not UTF-8: keep the byte as its code point */
				fprintf(f, "\\u%04x", p[i]);
				break;
			}
			fwrite(p + i, 1, n, f);
			i += n;
			continue;
		}
		i++;
	}
}

static void newline_indent(struct jw *w, int depth)
{
	int i;

	fputc('\n', w->f);
	for (i = 0; i < depth; i++)
		fputs("    ", w->f);
}

/* Separator, indentation and key before a value. */
static void jw_begin_value(struct jw *w, const char *key)
{
	int d = w->depth;

	if (d > 0) {
		if (w->has_items[d - 1])
			fputc(',', w->f);
		w->has_items[d - 1] = true;
		if (w->pretty)
			newline_indent(w, d);
		if (w->in_object[d - 1]) {
			if (!key) {
				w->misuse = true;
				key = "";
			}
			fputc('"', w->f);
			jw_escape(w->f, key, strlen(key));
			fputs(w->pretty ? "\": " : "\":", w->f);
		}
	}
}

static void jw_open(struct jw *w, const char *key, bool object)
{
	if (w->depth >= JW_DEPTH_MAX) {
		w->misuse = true;
		return;
	}
	jw_begin_value(w, key);
	fputc(object ? '{' : '[', w->f);
	w->in_object[w->depth] = object;
	w->has_items[w->depth] = false;
	w->depth++;
}

static void jw_close(struct jw *w, bool object)
{
	if (w->depth <= 0 || w->in_object[w->depth - 1] != object) {
		w->misuse = true;
		return;
	}
	w->depth--;
	if (w->pretty && w->has_items[w->depth])
		newline_indent(w, w->depth);
	fputc(object ? '}' : ']', w->f);
}

void jw_obj_open(struct jw *w, const char *key)
{
	jw_open(w, key, true);
}

void jw_obj_close(struct jw *w)
{
	jw_close(w, true);
}

void jw_arr_open(struct jw *w, const char *key)
{
	jw_open(w, key, false);
}

void jw_arr_close(struct jw *w)
{
	jw_close(w, false);
}

void jw_strn(struct jw *w, const char *key, const char *val, size_t len)
{
	jw_begin_value(w, key);
	fputc('"', w->f);
	jw_escape(w->f, val, len);
	fputc('"', w->f);
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	if (!val) {
		jw_null(w, key);
		return;
	}
	jw_strn(w, key, val, strlen(val));
}

void jw_strf(struct jw *w, const char *key, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	jw_strn(w, key, buf, n);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	jw_begin_value(w, key);
	fprintf(w->f, "%" PRIu64, val);
}

void jw_s64(struct jw *w, const char *key, int64_t val)
{
	jw_begin_value(w, key);
	fprintf(w->f, "%" PRId64, val);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	jw_begin_value(w, key);
	fputs(val ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	jw_begin_value(w, key);
	fputs("null", w->f);
}

void jw_end_line(struct jw *w)
{
	fputc('\n', w->f);
}
