// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdibsnl unit tests: run every case, print TAP, exit 1 on any failure.
 * With arguments, run only the cases whose names contain one of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "tests.h"

static const struct tcase *const suites[] = {
	gid_tests,
	msg_tests,
	parse_tests,
	ack_tests,
	build_tests,
	ops_tests,
	ntf_tests,
	kernel_tests,
};

static int case_failed;
static const char *case_skip;

void tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	case_failed = 1;
}

void tap_skip(const char *why)
{
	case_skip = why;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int s, n = 0, failed = 0;
	const struct tcase *t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (s = 0; s < ARRAY_SIZE(suites); s++)
		for (t = suites[s]; t->fn; t++)
			n += selected(t->name, argc, argv);
	printf("1..%u\n", n);

	n = 0;
	for (s = 0; s < ARRAY_SIZE(suites); s++) {
		for (t = suites[s]; t->fn; t++) {
			if (!selected(t->name, argc, argv))
				continue;
			case_failed = 0;
			case_skip = NULL;
			t->fn();
			n++;
			if (case_failed) {
				failed++;
				printf("not ok %u - %s\n", n, t->name);
			} else if (case_skip) {
				printf("ok %u - %s # SKIP %s\n", n, t->name,
				       case_skip);
			} else {
				printf("ok %u - %s\n", n, t->name);
			}
		}
	}
	if (failed)
		printf("# %u of %u failed\n", failed, n);
	return failed ? 1 : 0;
}
