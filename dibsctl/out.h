/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dibsctl's one output layer: every field of every object is printed by
 * one call that serves plain text and JSON alike, so that the two cannot
 * drift apart.
 *
 * A field has one name, written as the command line writes keywords
 * ("remote-gid", "move-bytes"). Plain text prints it as that word followed
 * by the value ("remote-gid 0123..."); JSON uses it as the key with each
 * '-' turned into '_' ("remote_gid"), because JSON keys with '-' are
 * awkward in jq and most languages. Nothing else may tell the two apart.
 *
 * @to says where a field goes: OUT_ANY (both), OUT_JSON or OUT_PLAIN only
 * (a JSON null, an index that plain text shows as a name, ...). OUT_NOKEY
 * leaves the name out of plain text: "1: lo:" are the index and name.
 * A value's plain format (@fmt, printf for the value alone) may differ from
 * JSON's (fabric 0x0007 is 7 in JSON); NULL is the default.
 *
 * Plain text separates fields by one space and ends lines with
 * out_line_end(); out_line_more() starts an indented continuation line
 * (the -d and -s lines). Objects and arrays exist in JSON only.
 */
#ifndef DIBSCTL_OUT_H
#define DIBSCTL_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

#define OUT_JSON	0x1
#define OUT_PLAIN	0x2
#define OUT_ANY		(OUT_JSON | OUT_PLAIN)
#define OUT_NOKEY	0x4	/* plain text: the value without the name */

#define OUT_KEY_MAX	64

struct out {
	FILE *f;
	bool json;
	bool midline;		/* plain: a field is on the current line */
	struct jw jw;
};

void out_init(struct out *o, FILE *f, bool json, bool pretty);
bool out_ok(const struct out *o);

/* The JSON form of a field name: '-' becomes '_'. */
const char *out_json_key(const char *name, char buf[OUT_KEY_MAX]);

/* JSON objects and arrays (@key NULL inside an array); nothing in plain. */
void out_obj_open(struct out *o, const char *key);
void out_obj_close(struct out *o);
void out_arr_open(struct out *o, const char *key);
void out_arr_close(struct out *o);

/* A string; NULL is JSON null and nothing in plain text. */
void out_str(struct out *o, unsigned int to, const char *key,
	     const char *fmt, const char *val);
void out_uint(struct out *o, unsigned int to, const char *key,
	      const char *fmt, uint64_t val);
void out_int(struct out *o, unsigned int to, const char *key,
	     const char *fmt, int64_t val);
/* A bool that plain text prints as the bare name when true ("owned"). */
void out_flag(struct out *o, unsigned int to, const char *key, bool val);
/* A bool that plain text prints as "NAME yes" or "NAME no". */
void out_yesno(struct out *o, unsigned int to, const char *key, bool val);
/* Plain text only, as one field: "[dev,add]", "devs lo:1,sim0:2". */
void out_plain(struct out *o, const char *fmt, ...) __printf(2, 3);

/* Plain: end the line and indent the next one by four spaces. */
void out_line_more(struct out *o);
/* Plain: end the line. JSON: end a top-level value with a newline. */
void out_line_end(struct out *o);

#endif /* DIBSCTL_OUT_H */
