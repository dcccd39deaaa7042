/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dibsctl: what the object files share: global options, the command
 * tables, argument cursor helpers and printing of library objects.
 */
#ifndef DIBSCTL_H
#define DIBSCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <dibsnl.h>

#include "out.h"
#include "utils.h"

#ifndef DIBSCTL_VERSION
#define DIBSCTL_VERSION "unknown"
#endif

/* exit statuses */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the kernel or the system said no */
#define EXIT_USAGE	2	/* the command line was wrong */
#define HELP_DONE	(-1)	/* parsing stopped: help was printed */

#define DMB_LEN_MAX	(8u << 20)	/* DIBS_DMB_LEN_MAX */
#define SIGNAL_IDX_MAX	15

struct dev_name {
	uint32_t index;
	char name[DIBSNL_NAME_MAX];
};

struct dctl {
	/* options */
	bool json;
	bool pretty;
	bool details;
	bool stats;
	bool timestamp;
	bool force;
	bool echo;			/* -echo: print what a command made */
	bool batch;
	bool stdout_gone;		/* the reader left: EPIPE, say no more */

	struct dibsnl *h;		/* opened on first use */
	struct out out;			/* plain text or JSON on stdout */

	/* index -> name, loaded on first use, dropped per command */
	struct dev_name *names;
	unsigned int n_names;
	bool names_loaded;
};

struct cmdline;

struct dctl_cmd {
	struct kw kw;
	int (*fn)(struct cmdline *c);
	const char *synopsis;		/* after "dibsctl OBJECT " */
};

struct dctl_obj {
	const char *name;
	const struct dctl_cmd *cmds;	/* NULL for an object without any */
	int (*fn)(struct cmdline *c);	/* then this runs */
	const char *synopsis;		/* and this is its grammar */
	const char *where;		/* definitions under the grammar */
	const char *default_cmd;	/* "dibsctl OBJECT" alone runs this */
};

struct cmdline {
	struct dctl *d;
	int argc;
	char **argv;
	const struct dctl_obj *obj;
	const struct dctl_cmd *cmd;	/* NULL at the object level */
	const char *kw;			/* full name of the last keyword */
};

extern const struct dctl_obj dev_obj;
extern const struct dctl_obj dmb_obj;
extern const struct dctl_obj client_obj;
extern const struct dctl_obj monitor_obj;
extern const struct dctl_obj console_obj;

/* dev event (event.c): a software event to a remote gid */
int dev_event(struct cmdline *c);

/* Grammar of a level (object NULL: the top level; cmd NULL: the object). */
void usage_print(FILE *f, const struct dctl_obj *obj,
		 const struct dctl_cmd *cmd);
/*
 * Print "Error: ..." and "try \"dibsctl LEVEL help\"", where LEVEL is @c's
 * object and command: the grammar is one command away, not repeated after
 * every error (a batch run with -force would flood stderr). EXIT_USAGE.
 */
int usage_err(const struct cmdline *c, const char *fmt, ...) __printf(2, 3);
/* Print the grammar of @c's level to stdout; returns EXIT_OK. */
int usage_help(const struct cmdline *c);

/* Run "OBJECT [COMMAND ...]" (argv[0] is the object). */
int dctl_run(struct dctl *d, int argc, char **argv);

/*
 * The argument cursor. next_kw() takes the next word and looks it up in
 * the keyword table @tab (which should hold "help"); on "help", an
 * unknown or an ambiguous word it prints what is due and returns -1 with
 * the exit status in *@status.
 */
#define KW_HELP		(-100)

const char *arg_take(struct cmdline *c);
int next_kw(struct cmdline *c, const struct kw *tab, int *status);
/* The value after keyword @key, or NULL after a usage error. */
const char *arg_value(struct cmdline *c, const char *key);
/* Usage error for a keyword given twice. */
int dup_err(const struct cmdline *c, const char *key);
/*
 * The value of keyword @key, which may be given once (@seen: it was): a
 * second @key or a missing value is a usage error, printed, EXIT_USAGE.
 */
int arg_once(struct cmdline *c, const char *key, bool seen, const char **v);

/* Parse a value and print a specific usage error when it is bad. */
int arg_gid(const struct cmdline *c, const char *key, const char *s,
	    uint8_t gid[DIBSNL_GID_LEN]);
int arg_token(const struct cmdline *c, const char *s, uint64_t *token);
int arg_u32(const struct cmdline *c, const char *key, const char *s,
	    uint32_t max, uint32_t *out);

/* A DEV argument: a name or an index. */
struct devarg {
	const char *arg;		/* as typed; NULL when not given */
	bool is_index;
	uint32_t index;
	char name[DIBSNL_NAME_MAX];
	struct dibsnl_dev_ref ref;	/* valid after devarg_resolve() */
};

int devarg_parse(const struct cmdline *c, const char *key, const char *s,
		 struct devarg *da);
/*
 * The DEV a command starts with ("dev set DEV ..."): EXIT_OK, HELP_DONE
 * after "help", or a usage error's status.
 */
int lead_dev(struct cmdline *c, struct devarg *da);
int devarg_resolve(struct dctl *d, struct devarg *da);
/* The device name for a message: as typed, or the resolved name. */
const char *devarg_str(const struct devarg *da);

/* The netlink handle, opened on first use; NULL after printing why not. */
struct dibsnl *dctl_nl(struct dctl *d);
/* Print a library/kernel error (extack when there is one); EXIT_FAIL. */
int nl_err(struct dctl *d, int err);
/* The same, but ENODEV names the device: no such dibs device "DEV". */
int nl_dev_err(struct dctl *d, int err, const struct devarg *da);

/* Where a DMB of a token was looked for, for nl_dmb_err(). */
enum dmb_miss {
	DMB_MISS_DEV,		/* among the DMBs of the device */
	DMB_MISS_UCLIENT,	/* among those granted from userspace there */
	DMB_MISS_FABRIC,	/* on the fabric of the writing device */
};

/* nl_dev_err(), and ENOENT names the token and the device. */
int nl_dmb_err(struct dctl *d, int err, const struct devarg *da,
	       uint64_t token, enum dmb_miss miss);

/* Device names by index, from a dev dump; NULL when not known. */
const char *dev_name_lookup(struct dctl *d, uint32_t index);
/* Load them now: a lookup must not start a dump inside another dump. */
void dev_names_load(struct dctl *d);
void dev_names_forget(struct dctl *d);
void dev_names_set(struct dctl *d, uint32_t index, const char *name);
void dev_names_del(struct dctl *d, uint32_t index);

/*
 * Printing objects through the output layer (out.h): *_fields() print the
 * fields of one object, as plain words on the current line (and the -d /
 * -s lines) or as members of the JSON object the caller opened; the
 * caller ends the line. *_print() is one whole object: a JSON object (an
 * array element or a top-level value) or one plain line.
 */
void dev_fields(struct dctl *d, const struct dibsnl_dev *dev);
void dev_print(struct dctl *d, const struct dibsnl_dev *dev);
void dmb_fields(struct dctl *d, const struct dibsnl_dmb *dmb);
void dmb_print(struct dctl *d, const struct dibsnl_dmb *dmb);
void client_fields(struct dctl *d, const struct dibsnl_client *cl,
		   const struct dibsnl_client_dev *devs, unsigned int n_devs);

/* Where a -d field goes: everywhere with -d, else JSON only. */
static inline unsigned int out_details(const struct dctl *d)
{
	return d->details ? OUT_ANY : OUT_JSON;
}

const char *token_str(uint64_t token, char buf[19]);

#endif /* DIBSCTL_H */
