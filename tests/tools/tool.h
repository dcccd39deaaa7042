/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test tools that take "DEV TOKEN" arguments share (tool.c):
 * dibs-mmap and dibs-watch.
 */
#ifndef DIBS_TESTS_TOOL_H
#define DIBS_TESTS_TOOL_H

#include <stdint.h>

#include <dibsnl.h>

/* The name of a positive errno the tests expect ("ENOENT"), else "E?". */
const char *errname(int err);
/* Exit 2, pointing at the comment at the top of the tool's source. */
__attribute__((noreturn)) void usage(void);
/* DEV: an index when it is all digits, else a name. */
struct dibsnl_dev_ref parse_dev(const char *s);
/* A number, 0x... allowed; anything else is a usage error. */
uint64_t parse_num(const char *s);

#endif
