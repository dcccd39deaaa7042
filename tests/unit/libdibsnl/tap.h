/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small TAP runner: each case is a function; CHECKs inside it record
 * failures (printed as diagnostics) and the case prints one "ok"/"not ok".
 */
#ifndef TAP_H
#define TAP_H

#include <stdint.h>

struct tcase {
	const char *name;
	void (*fn)(void);
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define TCASE(f)	{ #f, f }
#define TCASE_END	{ 0, 0 }

void tap_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tap_skip(const char *why);
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(c)							\
	do {								\
		if (!(c))						\
			tap_fail(__FILE__, __LINE__, "%s", #c);		\
	} while (0)

/* Integers of any width, compared and printed as long long. */
#define CHECK_EQ(a, b)							\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b)						\
			tap_fail(__FILE__, __LINE__,			\
				 "%s == %s: %lld != %lld", #a, #b,	\
				 _a, _b);				\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (strcmp(_a, _b))					\
			tap_fail(__FILE__, __LINE__,			\
				 "%s == %s: \"%s\" != \"%s\"", #a, #b,	\
				 _a, _b);				\
	} while (0)

#endif /* TAP_H */
