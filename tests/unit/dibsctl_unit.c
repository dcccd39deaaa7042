// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of dibsctl's utils.c, json.c and out.c, printing TAP.
 *
 *   test-dibsctl                 run the tests
 *   test-dibsctl --json-sample   print a JSON document full of strings
 *                                that need escaping (checked by a parser
 *                                in tests/unit/dibsctl.bats)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console_proto.h"
#include "json.h"
#include "out.h"
#include "utils.h"

static unsigned int n_run, n_failed;

/*
 * One TAP line. The message's first line describes the test; the rest
 * (say, the output that was compared) is shown as diagnostics on failure.
 */
static void __printf(4, 5) check(bool pass, const char *file, int line,
				 const char *fmt, ...)
{
	char msg[4096], *rest, *nl;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rest = strchr(msg, '\n');
	if (rest)
		*rest++ = '\0';
	n_run++;
	printf("%sok %u - %s\n", pass ? "" : "not ", n_run, msg);
	if (pass)
		return;
	n_failed++;
	printf("#   at %s:%d\n", file, line);
	for (; rest && *rest; rest = nl) {
		nl = strchr(rest, '\n');
		if (nl)
			*nl++ = '\0';
		printf("#   %s\n", rest);
	}
}

#define ok(cond, ...) check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* ---- keyword matching ---------------------------------------------- */

static const struct kw objs[] = {
	{ "dev", KW_PREFERRED, 1 },
	{ "dmb", 0, 2 },
	{ "client", 0, 3 },
	{ "monitor", 0, 4 },
	{ NULL, 0, 0 },
};

static const struct kw cmds[] = {
	{ "revoke", 0, 1 },
	{ "read", 0, 2 },
	{ "re", 0, 3 },		/* exact beats the longer names */
	{ "show", KW_PREFERRED, 4 },
	{ "set", 0, 5 },
	{ NULL, 0, 0 },
};

static int lookup(const struct kw *tab, const char *arg)
{
	const struct kw *hit = NULL;

	switch (kw_lookup(tab, sizeof(*tab), arg, &hit)) {
	case KW_MATCH:
		return hit->id;
	case KW_AMBIGUOUS:
		return -2;
	default:
		return -1;
	}
}

static void test_kw(void)
{
	char buf[128];

	ok(lookup(objs, "dev") == 1, "kw: exact \"dev\"");
	ok(lookup(objs, "dm") == 2, "kw: unique prefix \"dm\"");
	ok(lookup(objs, "d") == 1, "kw: \"d\" is ambiguous, dev preferred");
	ok(lookup(objs, "c") == 3, "kw: unique one-letter prefix \"c\"");
	ok(lookup(objs, "monitor") == 4, "kw: exact \"monitor\"");
	ok(lookup(objs, "monitors") == -1, "kw: longer than the name");
	ok(lookup(objs, "x") == -1, "kw: unknown");
	ok(lookup(objs, "") == -1, "kw: empty word is unknown");
	ok(lookup(objs, NULL) == -1, "kw: NULL word is unknown");
	ok(lookup(objs, "Dev") == -1, "kw: case matters");
	ok(lookup(cmds, "r") == -2, "kw: \"r\" ambiguous, none preferred");
	ok(lookup(cmds, "re") == 3, "kw: exact wins over prefixes");
	ok(lookup(cmds, "rev") == 1, "kw: \"rev\" unique");
	ok(lookup(cmds, "rea") == 2, "kw: \"rea\" unique");
	ok(lookup(cmds, "s") == 4, "kw: \"s\" preferred show");
	ok(lookup(cmds, "se") == 5, "kw: \"se\" set");
	ok(lookup(cmds, "sh") == 4, "kw: \"sh\" show");

	kw_candidates(cmds, sizeof(*cmds), "r", buf, sizeof(buf));
	ok(!strcmp(buf, "\"revoke\", \"read\", \"re\""),
	   "kw: candidates listed (%s)", buf);
	kw_candidates(cmds, sizeof(*cmds), "r", buf, 10);
	ok(strlen(buf) < 10, "kw: candidates truncate safely");
	kw_candidates(cmds, sizeof(*cmds), "zz", buf, sizeof(buf));
	ok(!strcmp(buf, ""), "kw: no candidates");
}

/* ---- numbers, sizes, tokens ---------------------------------------- */

static int num(const char *s, uint64_t max, bool suffix, uint64_t *v)
{
	*v = 0xdeadbeef;
	return parse_number(s, max, suffix, v);
}

static void test_numbers(void)
{
	uint64_t v;

	ok(num("0", UINT64_MAX, false, &v) == 0 && v == 0, "num: 0");
	ok(num("42", UINT64_MAX, false, &v) == 0 && v == 42, "num: 42");
	ok(num("0x2a", UINT64_MAX, false, &v) == 0 && v == 42, "num: 0x2a");
	ok(num("0X2A", UINT64_MAX, false, &v) == 0 && v == 42, "num: 0X2A");
	ok(num("007", UINT64_MAX, false, &v) == 0 && v == 7,
	   "num: leading zeros are decimal");
	ok(num("18446744073709551615", UINT64_MAX, false, &v) == 0 &&
	   v == UINT64_MAX, "num: u64 max");
	ok(num("18446744073709551616", UINT64_MAX, false, &v) == -ERANGE,
	   "num: u64 max + 1 overflows");
	ok(num("99999999999999999999999", UINT64_MAX, false, &v) == -ERANGE,
	   "num: far overflow");
	ok(num("0xffffffffffffffff", UINT64_MAX, false, &v) == 0 &&
	   v == UINT64_MAX, "num: hex max");
	ok(num("0x10000000000000000", UINT64_MAX, false, &v) == -ERANGE,
	   "num: hex overflow");
	ok(num("65535", 65535, false, &v) == 0 && v == 65535,
	   "num: at max");
	ok(num("65536", 65535, false, &v) == -ERANGE, "num: max + 1");
	ok(num("0x10000", 0xffff, false, &v) == -ERANGE, "num: hex max + 1");
	ok(num("", UINT64_MAX, false, &v) == -EINVAL, "num: empty");
	ok(num(NULL, UINT64_MAX, false, &v) == -EINVAL, "num: NULL");
	ok(num("0x", UINT64_MAX, false, &v) == -EINVAL, "num: bare 0x");
	ok(num("-1", UINT64_MAX, false, &v) == -EINVAL, "num: minus");
	ok(num("+1", UINT64_MAX, false, &v) == -EINVAL, "num: plus");
	ok(num(" 1", UINT64_MAX, false, &v) == -EINVAL, "num: lead space");
	ok(num("1 ", UINT64_MAX, false, &v) == -EINVAL, "num: trail space");
	ok(num("12a", UINT64_MAX, false, &v) == -EINVAL, "num: junk");
	ok(num("0xfg", UINT64_MAX, false, &v) == -EINVAL, "num: hex junk");
	ok(num("1.5", UINT64_MAX, false, &v) == -EINVAL, "num: fraction");
	ok(num("4K", UINT64_MAX, false, &v) == -EINVAL,
	   "num: suffix refused where none is allowed");
	ok(num("4K", UINT64_MAX, true, &v) == 0 && v == 4096, "num: 4K");
	ok(num("4k", UINT64_MAX, true, &v) == 0 && v == 4096, "num: 4k");
	ok(num("2M", UINT64_MAX, true, &v) == 0 && v == 2u << 20, "num: 2M");
	ok(num("1G", UINT64_MAX, true, &v) == 0 && v == 1u << 30, "num: 1G");
	ok(num("0x10K", UINT64_MAX, true, &v) == 0 && v == 16384,
	   "num: 0x10K");
	ok(num("K", UINT64_MAX, true, &v) == -EINVAL, "num: suffix alone");
	ok(num("4KB", UINT64_MAX, true, &v) == -EINVAL, "num: 4KB refused");
	ok(num("4KK", UINT64_MAX, true, &v) == -EINVAL, "num: 4KK refused");
	ok(num("4T", UINT64_MAX, true, &v) == -EINVAL, "num: T unknown");
	ok(num("17179869184G", UINT64_MAX, true, &v) == -ERANGE,
	   "num: suffix overflow (2^34 G)");
	ok(num("17179869183G", UINT64_MAX, true, &v) == 0 &&
	   v == 17179869183ull << 30, "num: largest G");
}

static void test_sizes(void)
{
	const uint64_t max = 8u << 20;
	uint32_t v;

	ok(parse_size("1", max, &v) == 0 && v == 1, "size: 1");
	ok(parse_size("4096", max, &v) == 0 && v == 4096, "size: 4096");
	ok(parse_size("4K", max, &v) == 0 && v == 4096, "size: 4K");
	ok(parse_size("8M", max, &v) == 0 && v == max, "size: 8M (max)");
	ok(parse_size("8388608", max, &v) == 0 && v == max,
	   "size: 8388608 (max)");
	ok(parse_size("8388609", max, &v) == -ERANGE, "size: max + 1");
	ok(parse_size("9M", max, &v) == -ERANGE, "size: 9M");
	ok(parse_size("1G", max, &v) == -ERANGE, "size: 1G over max");
	ok(parse_size("0", max, &v) == -EDOM, "size: 0");
	ok(parse_size("0K", max, &v) == -EDOM, "size: 0K");
	ok(parse_size("0x0", max, &v) == -EDOM, "size: 0x0");
	ok(parse_size("99999999999999999999", max, &v) == -ERANGE,
	   "size: overflow");
	ok(parse_size("-4K", max, &v) == -EINVAL, "size: negative");
	ok(parse_size("4.5K", max, &v) == -EINVAL, "size: fraction");
	ok(parse_size("big", max, &v) == -EINVAL, "size: junk");
	ok(parse_size("", max, &v) == -EINVAL, "size: empty");
	ok(parse_size("5G", UINT64_MAX, &v) == -ERANGE,
	   "size: capped at 32 bits");
}

static void test_tokens(void)
{
	uint64_t v;

	ok(parse_token("0x1234", &v) == 0 && v == 0x1234, "token: 0x1234");
	ok(parse_token("4660", &v) == 0 && v == 0x1234, "token: decimal");
	ok(parse_token("0", &v) == 0 && v == 0, "token: 0");
	ok(parse_token("0x00000000deadbeef", &v) == 0 && v == 0xdeadbeef,
	   "token: as dibsctl prints it");
	ok(parse_token("0xffffffffffffffff", &v) == 0 && v == UINT64_MAX,
	   "token: max");
	ok(parse_token("0x1ffffffffffffffff", &v) == -ERANGE,
	   "token: 65 bits");
	ok(parse_token("18446744073709551616", &v) == -ERANGE,
	   "token: decimal overflow");
	ok(parse_token("deadbeef", &v) == -EINVAL,
	   "token: hex without 0x is refused");
	ok(parse_token("0x", &v) == -EINVAL, "token: bare 0x");
	ok(parse_token("", &v) == -EINVAL, "token: empty");
	ok(parse_token("0x12 ", &v) == -EINVAL, "token: trailing space");
	ok(parse_token("4K", &v) == -EINVAL, "token: no suffixes");
}

static void test_misc(void)
{
	ok(all_digits("0") && all_digits("123"), "digits: yes");
	ok(!all_digits("") && !all_digits(NULL) && !all_digits("1a") &&
	   !all_digits("-1") && !all_digits("0x1"), "digits: no");
}

/* ---- batch line splitting ------------------------------------------ */

static int split(const char *in, char **argv, int max, char *buf,
		 size_t len)
{
	int argc = -1, ret;

	snprintf(buf, len, "%s", in);
	ret = split_line(buf, argv, max, &argc);
	return ret ? ret : argc;
}

static void test_console(void)
{
	const uint64_t ring = 1u << 15;
	unsigned int v, m, p;
	uint32_t off[2];
	uint8_t raw[CONS_HDR_READ];
	struct cons_hdr hd;
	size_t n[2];
	bool esc;

	ok(cons_subtype(DIBS_CONSOLE_HELLO, 15) == 0xDC0C110Fu,
	   "console: HELLO with 2^15 is 0xDC0C110F");
	ok(cons_subtype_parse(0xDC0C1302u, &v, &m, &p) && v == 1 &&
	   m == DIBS_CONSOLE_REFUSE && p == DIBS_CONSOLE_REFUSE_NOCONSOLE,
	   "console: REFUSE reason 2 parses");
	ok(!cons_subtype_parse(1, &v, &m, &p) &&
	   !cons_subtype_parse(0xDC0D1100u, &v, &m, &p),
	   "console: SMC-D codes and near misses are not console codes");
	ok(cons_subtype_parse(0xDC0C2100u, &v, &m, &p) && v == 2,
	   "console: another version parses, for the caller to refuse");

	ok(cons_room(ring, 0, 0) == ring, "ring: empty has all room");
	ok(cons_room(ring, ring, 0) == 0, "ring: full has none");
	ok(cons_room(ring, ring + 5, 10) == 5, "ring: room after an ack");
	ok(cons_room(ring, 10, 20) == 0, "ring: an ack past prod gives no room");
	ok(cons_room(ring, UINT64_MAX, UINT64_MAX - 100) == ring - 100,
	   "ring: room near the counters' wrap");
	ok(cons_prod_valid(ring, ring, 0) && !cons_prod_valid(ring, ring + 1, 0),
	   "ring: prod at most a ring ahead of the reader");
	ok(!cons_prod_valid(ring, 5, 10),
	   "ring: prod behind the reader is a protocol error");

	ok(cons_ring_pieces(ring, 0, 0, off, n) == 0, "pieces: none for 0");
	ok(cons_ring_pieces(ring, 100, 50, off, n) == 1 && off[0] == 4196 &&
	   n[0] == 50, "pieces: one inside the ring");
	ok(cons_ring_pieces(ring, 3 * ring - 10, 30, off, n) == 2 &&
	   off[0] == 4096 + ring - 10 && n[0] == 10 && off[1] == 4096 &&
	   n[1] == 20, "pieces: two when the stream wraps");
	ok(cons_ring_pieces(ring, ring - 10, 10, off, n) == 1 &&
	   n[0] == 10, "pieces: ending at the ring's end is one");

	ok(!cons_should_ack(ring, ring / 4 - 1, 0) &&
	   cons_should_ack(ring, ring / 4, 0),
	   "ack: after a quarter of the ring");
	ok(cons_should_ack(ring, 2 * ring, ring),
	   "ack: after a full ring (a stalled writer)");

	/* little-endian on the wire: s390x-unit runs this big-endian */
	memset(raw, 0xee, sizeof(raw));
	memcpy(raw, "DCN1\x03\0\0\0"
		    "\x08\x07\x06\x05\x04\x03\x02\x01"
		    "\x00\x10\0\0\0\0\0\x80", 24);
	cons_hdr_parse(raw, &hd);
	ok(hd.flags == 3 && hd.prod == 0x0102030405060708ull &&
	   hd.ack == 0x8000000000001000ull,
	   "header: flags, prod and ack are little-endian");
	memset(raw, 0xee, sizeof(raw));
	cons_le_put(raw, 0x0102030405060708ull, 8);
	cons_le_put(raw + 8, 0x1234, 2);
	cons_le_put(raw + 12, 0xa1b2c3d4u, 4);
	ok(!memcmp(raw, "\x08\x07\x06\x05\x04\x03\x02\x01\x34\x12\xee\xee"
			"\xd4\xc3\xb2\xa1\xee", 17),
	   "header: fields written little-endian, only their own bytes");

	ok(cons_escape_scan((const uint8_t *)"ls\r", 3, &esc) == 3 && !esc,
	   "escape: none passes everything");
	ok(cons_escape_scan((const uint8_t *)"ab\035cd", 5, &esc) == 2 && esc,
	   "escape: Ctrl-] ends what passes");
	ok(cons_escape_scan((const uint8_t *)"\035", 1, &esc) == 0 && esc,
	   "escape: alone");
}

static void test_split(void)
{
	char buf[256], *av[8];

	ok(split("", av, 8, buf, sizeof(buf)) == 0, "split: empty line");
	ok(split("   \t\n", av, 8, buf, sizeof(buf)) == 0, "split: blanks");
	ok(split("# a comment", av, 8, buf, sizeof(buf)) == 0,
	   "split: comment line");
	ok(split("  dev show lo\n", av, 8, buf, sizeof(buf)) == 3 &&
	   !strcmp(av[0], "dev") && !strcmp(av[1], "show") &&
	   !strcmp(av[2], "lo"), "split: three words");
	ok(split("dev  show\t\tlo # trailing", av, 8, buf, sizeof(buf)) == 3 &&
	   !strcmp(av[2], "lo"), "split: trailing comment");
	ok(split("a#b", av, 8, buf, sizeof(buf)) == 1 &&
	   !strcmp(av[0], "a#b"), "split: # inside a word stays");
	ok(split("data \"hello world\"", av, 8, buf, sizeof(buf)) == 2 &&
	   !strcmp(av[1], "hello world"), "split: quoted words");
	ok(split("data \"a \\\"q\\\" \\\\ b\"", av, 8, buf, sizeof(buf)) == 2 &&
	   !strcmp(av[1], "a \"q\" \\ b"), "split: escapes in quotes (%s)",
	   av[1]);
	ok(split("data \"\" x", av, 8, buf, sizeof(buf)) == 3 &&
	   !strcmp(av[1], "") && !strcmp(av[2], "x"),
	   "split: empty quoted word");
	ok(split("foo\"bar baz\"qux", av, 8, buf, sizeof(buf)) == 1 &&
	   !strcmp(av[0], "foobar bazqux"), "split: quotes inside a word");
	ok(split("\"# not a comment\"", av, 8, buf, sizeof(buf)) == 1 &&
	   !strcmp(av[0], "# not a comment"), "split: quoted #");
	ok(split("a\\b", av, 8, buf, sizeof(buf)) == 1 &&
	   !strcmp(av[0], "a\\b"), "split: backslash outside quotes");
	ok(split("data \"open", av, 8, buf, sizeof(buf)) == -EINVAL,
	   "split: unterminated quote");
	ok(split("a b c d e f g h i", av, 8, buf, sizeof(buf)) == -E2BIG,
	   "split: too many words");
	ok(split("a b c d e f g h", av, 8, buf, sizeof(buf)) == 8,
	   "split: exactly max words");
}

/* ---- hexdump -------------------------------------------------------- */

static char *capture_hexdump(uint64_t base, const uint8_t *p, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	hexdump(f, base, p, n);
	fclose(f);
	return out;
}

static void test_hexdump(void)
{
	uint8_t buf[64];
	char *s;

	memcpy(buf, "Hello, DIBS!\n\x01\x7f\x80xyz", 19);
	s = capture_hexdump(0x10, buf, 19);
	ok(!strcmp(s,
"00000010  48 65 6c 6c 6f 2c 20 44  49 42 53 21 0a 01 7f 80  |Hello, DIBS!....|\n"
"00000020  78 79 7a                                          |xyz|\n"
"00000023\n"), "hexdump: two lines, partial last line\n%s", s);
	free(s);

	memset(buf, 0, sizeof(buf));
	s = capture_hexdump(0, buf, 64);
	ok(!strcmp(s,
"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
"*\n"
"00000040\n"), "hexdump: repeated lines squeezed\n%s", s);
	free(s);

	s = capture_hexdump(0, buf, 0);
	ok(!strcmp(s, "00000000\n"), "hexdump: empty");
	free(s);
}

/* ---- JSON writer ---------------------------------------------------- */

static char *esc(const char *s, size_t len)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	jw_escape(f, s, len);
	fclose(f);
	return out;
}

#define ESC_OK(in, want, what) do {					\
		char *e_ = esc(in, sizeof(in) - 1);			\
		ok(!strcmp(e_, want), "json escape: %s (%s)", what, e_); \
		free(e_);						\
	} while (0)

static void test_json_escape(void)
{
	ESC_OK("plain", "plain", "plain");
	ESC_OK("a\"b", "a\\\"b", "quote");
	ESC_OK("a\\b", "a\\\\b", "backslash");
	ESC_OK("/", "/", "slash unescaped");
	ESC_OK("\n\t\r\b\f", "\\n\\t\\r\\b\\f", "short escapes");
	ESC_OK("\x01\x1f", "\\u0001\\u001f", "control characters");
	ESC_OK("\x7f", "\\u007f", "DEL");
	ESC_OK("caf\xc3\xa9", "caf\xc3\xa9", "valid 2-byte UTF-8 kept");
	ESC_OK("\xe2\x82\xac", "\xe2\x82\xac", "valid 3-byte UTF-8 kept");
	ESC_OK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80",
	       "valid 4-byte UTF-8 kept");
	ESC_OK("\xff", "\\u00ff", "invalid byte as code point");
	ESC_OK("\xc3", "\\u00c3", "truncated sequence");
	ESC_OK("\xc0\x80", "\\u00c0\\u0080", "overlong NUL");
	ESC_OK("\xed\xa0\x80", "\\u00ed\\u00a0\\u0080", "surrogate");
	ESC_OK("\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080",
	       "above U+10FFFF");
	ESC_OK("a\0b", "a\\u0000b", "NUL inside");
}

static char *json_doc(bool pretty, void (*fill)(struct jw *w), bool *okp)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	struct jw w;

	jw_init(&w, f, pretty);
	fill(&w);
	*okp = jw_ok(&w);
	fclose(f);
	return out;
}

static void fill_nested(struct jw *w)
{
	jw_arr_open(w, NULL);
	jw_obj_open(w, NULL);
	jw_u64(w, "index", 0);
	jw_str(w, "name", "lo");
	jw_s64(w, "netns_id", -1);
	jw_bool(w, "up", true);
	jw_null(w, "parent");
	jw_str(w, "nil", NULL);
	jw_strf(w, "token", "0x%016x", 0x1234);
	jw_arr_open(w, "devs");
	jw_arr_close(w);
	jw_obj_open(w, "stats");
	jw_u64(w, "max", UINT64_MAX);
	jw_obj_close(w);
	jw_obj_close(w);
	jw_obj_open(w, NULL);
	jw_obj_close(w);
	jw_arr_close(w);
}

static void fill_misuse_close(struct jw *w)
{
	jw_obj_close(w);
}

static void fill_misuse_key(struct jw *w)
{
	jw_obj_open(w, NULL);
	jw_u64(w, NULL, 1);
	jw_obj_close(w);
}

static void fill_unclosed(struct jw *w)
{
	jw_arr_open(w, NULL);
}

static void fill_deep(struct jw *w)
{
	int i;

	for (i = 0; i < JW_DEPTH_MAX + 2; i++)
		jw_arr_open(w, NULL);
}

static void test_json_writer(void)
{
	bool good;
	char *s;

	s = json_doc(false, fill_nested, &good);
	ok(good && !strcmp(s,
"[{\"index\":0,\"name\":\"lo\",\"netns_id\":-1,\"up\":true,\"parent\":null,"
"\"nil\":null,\"token\":\"0x0000000000001234\",\"devs\":[],"
"\"stats\":{\"max\":18446744073709551615}},{}]"),
	   "json: compact document\n%s", s);
	free(s);

	s = json_doc(true, fill_nested, &good);
	ok(good && !strcmp(s,
"[\n"
"    {\n"
"        \"index\": 0,\n"
"        \"name\": \"lo\",\n"
"        \"netns_id\": -1,\n"
"        \"up\": true,\n"
"        \"parent\": null,\n"
"        \"nil\": null,\n"
"        \"token\": \"0x0000000000001234\",\n"
"        \"devs\": [],\n"
"        \"stats\": {\n"
"            \"max\": 18446744073709551615\n"
"        }\n"
"    },\n"
"    {}\n"
"]"), "json: pretty document\n%s", s);
	free(s);

	s = json_doc(false, fill_misuse_close, &good);
	ok(!good, "json: close with nothing open is misuse");
	free(s);
	s = json_doc(false, fill_misuse_key, &good);
	ok(!good, "json: member without a key is misuse");
	free(s);
	s = json_doc(false, fill_unclosed, &good);
	ok(!good, "json: unclosed array is not ok");
	free(s);
	s = json_doc(false, fill_deep, &good);
	ok(!good, "json: too deep is misuse, no overflow");
	free(s);
}

/* One object through the output layer, as plain text or as JSON. */
static void fill_out(struct out *o, bool details)
{
	unsigned int det = details ? OUT_ANY : OUT_JSON;

	out_arr_open(o, NULL);
	out_obj_open(o, NULL);
	out_uint(o, OUT_ANY | OUT_NOKEY, "index", "%" PRIu64 ":", 3);
	out_str(o, OUT_ANY, "remote-gid", NULL, "g");
	out_uint(o, OUT_ANY, "fabric", "0x%04" PRIx64, 7);
	out_str(o, OUT_ANY, "parent-bus", NULL, NULL);
	out_flag(o, OUT_ANY, "owned", true);
	out_flag(o, OUT_ANY, "mapped", false);
	out_str(o, OUT_PLAIN, "dev", NULL, "9");
	out_uint(o, OUT_JSON, "dev-index", NULL, 9);
	if (details)
		out_line_more(o);
	out_yesno(o, det, "mapped-dmb", false);
	out_int(o, det, "netns-id", NULL, -2);
	out_line_more(o);
	out_obj_open(o, "stats");
	out_uint(o, OUT_ANY, "move-bytes", NULL, 5);
	out_obj_close(o);
	out_obj_close(o);
	out_line_end(o);
	out_arr_close(o);
	out_line_end(o);
}

static char *out_doc(bool json, bool details)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	struct out o;

	out_init(&o, f, json, false);
	fill_out(&o, details);
	if (!out_ok(&o))
		fputs("<misuse>", f);
	fclose(f);
	return s;
}

static void test_out(void)
{
	char k[OUT_KEY_MAX], *s;

	ok(!strcmp(out_json_key("move-bytes", k), "move_bytes") &&
	   !strcmp(out_json_key("token", k), "token") &&
	   out_json_key(NULL, k) == NULL,
	   "out: a JSON key is the plain word with '_' for '-'");
	s = out_doc(false, false);
	ok(!strcmp(s, "3: remote-gid g fabric 0x0007 owned dev 9\n"
		      "    move-bytes 5\n"),
	   "out: plain text, JSON-only fields left out\n%s", s);
	free(s);
	s = out_doc(false, true);
	ok(!strcmp(s, "3: remote-gid g fabric 0x0007 owned dev 9\n"
		      "    mapped-dmb no netns-id -2\n"
		      "    move-bytes 5\n"),
	   "out: plain text with the details line\n%s", s);
	free(s);
	s = out_doc(true, false);
	ok(!strcmp(s, "[{\"index\":3,\"remote_gid\":\"g\",\"fabric\":7,"
		      "\"parent_bus\":null,\"owned\":true,\"mapped\":false,"
		      "\"dev_index\":9,\"mapped_dmb\":false,\"netns_id\":-2,"
		      "\"stats\":{\"move_bytes\":5}}]\n"),
	   "out: JSON, the same fields, one newline at the end\n%s", s);
	free(s);
}

/* A document for a real parser: every byte value in keys and strings. */
static void json_sample(void)
{
	struct jw w;
	char all[256];
	int i;

	for (i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	jw_init(&w, stdout, false);
	jw_arr_open(&w, NULL);
	jw_obj_open(&w, NULL);
	jw_strn(&w, "all bytes", all, 255);
	jw_strn(&w, "with NUL", "a\0b", 3);
	jw_str(&w, "key \"quoted\" \\ \n", "v");
	jw_str(&w, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	jw_str(&w, "bad utf8", "\xc0\x80\xed\xa0\x80\xff\xfe");
	jw_u64(&w, "u64max", UINT64_MAX);
	jw_s64(&w, "s64min", INT64_MIN);
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_end_line(&w);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--json-sample")) {
		json_sample();
		return 0;
	}
	test_kw();
	test_numbers();
	test_sizes();
	test_tokens();
	test_misc();
	test_split();
	test_console();
	test_hexdump();
	test_json_escape();
	test_json_writer();
	test_out();
	printf("1..%u\n", n_run);
	return n_failed ? 1 : 0;
}
