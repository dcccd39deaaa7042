/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny streaming JSON writer: objects, arrays, strings (escaped, any
 * byte string comes out as valid UTF-8 JSON), integers, booleans, null.
 * Compact by default; "pretty" indents by four spaces.
 *
 * Inside an object every value needs a key; elsewhere the key is ignored
 * and may be NULL. A writer that is misused (a close with nothing open,
 * nesting deeper than JW_DEPTH_MAX) remembers it: jw_ok() turns false.
 */
#ifndef DIBSCTL_JSON_H
#define DIBSCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "utils.h"

#define JW_DEPTH_MAX	16

struct jw {
	FILE *f;
	bool pretty;
	bool misuse;
	int depth;
	bool in_object[JW_DEPTH_MAX];	/* else in an array */
	bool has_items[JW_DEPTH_MAX];
};

void jw_init(struct jw *w, FILE *f, bool pretty);
bool jw_ok(const struct jw *w);

void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);

void jw_str(struct jw *w, const char *key, const char *val);
void jw_strn(struct jw *w, const char *key, const char *val, size_t len);
void jw_strf(struct jw *w, const char *key, const char *fmt, ...)
	__printf(3, 4);
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_s64(struct jw *w, const char *key, int64_t val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);

/* Ends a top-level value with a newline. */
void jw_end_line(struct jw *w);

/* The escaped form of @s (without quotes), for tests and for keys. */
void jw_escape(FILE *f, const char *s, size_t len);

#endif /* DIBSCTL_JSON_H */
