// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl's output layer (see out.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "out.h"

void out_init(struct out *o, FILE *f, bool json, bool pretty)
{
	o->f = f;
	o->json = json;
	o->midline = false;
	jw_init(&o->jw, f, pretty);
}

bool out_ok(const struct out *o)
{
	return jw_ok(&o->jw);
}

const char *out_json_key(const char *name, char buf[OUT_KEY_MAX])
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; name[i] && i < OUT_KEY_MAX - 1; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
	return buf;
}

void out_obj_open(struct out *o, const char *key)
{
	char k[OUT_KEY_MAX];

	if (o->json)
		jw_obj_open(&o->jw, out_json_key(key, k));
}

void out_obj_close(struct out *o)
{
	if (o->json)
		jw_obj_close(&o->jw);
}

void out_arr_open(struct out *o, const char *key)
{
	char k[OUT_KEY_MAX];

	if (o->json)
		jw_arr_open(&o->jw, out_json_key(key, k));
}

void out_arr_close(struct out *o)
{
	if (o->json)
		jw_arr_close(&o->jw);
}

/*
 * The start of a plain field: the separator and, unless @to says
 * OUT_NOKEY, the name. False when the field is not for this output.
 */
static bool plain_begin(struct out *o, unsigned int to, const char *key)
{
	if (o->json || !(to & OUT_PLAIN))
		return false;
	if (o->midline)
		fputc(' ', o->f);
	o->midline = true;
	if (key && !(to & OUT_NOKEY))
		fprintf(o->f, "%s ", key);
	return true;
}

static bool json_wants(const struct out *o, unsigned int to)
{
	return o->json && (to & OUT_JSON);
}

void out_str(struct out *o, unsigned int to, const char *key,
	     const char *fmt, const char *val)
{
	char k[OUT_KEY_MAX];

	if (json_wants(o, to)) {
		jw_str(&o->jw, out_json_key(key, k), val);
		return;
	}
	if (!val || !plain_begin(o, to, key))
		return;
	fprintf(o->f, fmt ? fmt : "%s", val);
}

void out_uint(struct out *o, unsigned int to, const char *key,
	      const char *fmt, uint64_t val)
{
	char k[OUT_KEY_MAX];

	if (json_wants(o, to)) {
		jw_u64(&o->jw, out_json_key(key, k), val);
		return;
	}
	if (plain_begin(o, to, key))
		fprintf(o->f, fmt ? fmt : "%" PRIu64, val);
}

void out_int(struct out *o, unsigned int to, const char *key,
	     const char *fmt, int64_t val)
{
	char k[OUT_KEY_MAX];

	if (json_wants(o, to)) {
		jw_s64(&o->jw, out_json_key(key, k), val);
		return;
	}
	if (plain_begin(o, to, key))
		fprintf(o->f, fmt ? fmt : "%" PRId64, val);
}

void out_flag(struct out *o, unsigned int to, const char *key, bool val)
{
	char k[OUT_KEY_MAX];

	if (json_wants(o, to)) {
		jw_bool(&o->jw, out_json_key(key, k), val);
		return;
	}
	if (val && plain_begin(o, to | OUT_NOKEY, NULL))
		fputs(key, o->f);
}

void out_yesno(struct out *o, unsigned int to, const char *key, bool val)
{
	char k[OUT_KEY_MAX];

	if (json_wants(o, to)) {
		jw_bool(&o->jw, out_json_key(key, k), val);
		return;
	}
	if (plain_begin(o, to, key))
		fputs(val ? "yes" : "no", o->f);
}

void out_plain(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (!plain_begin(o, OUT_PLAIN | OUT_NOKEY, NULL))
		return;
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
}

void out_line_more(struct out *o)
{
	if (o->json)
		return;
	fputs("\n    ", o->f);
	o->midline = false;
}

void out_line_end(struct out *o)
{
	if (o->json) {
		if (o->jw.depth == 0)
			jw_end_line(&o->jw);
		return;
	}
	if (o->midline)
		fputc('\n', o->f);
	o->midline = false;
}
