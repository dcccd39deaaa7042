// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dibsctl: show and manipulate DIBS devices, DMBs and clients.
 *
 * This file: options, object dispatch, batch mode and -n NETNS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dibsctl.h"

#define BATCH_WORDS_MAX	128

static const char top_usage[] =
"Usage: dibsctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
"       dibsctl [ OPTIONS ] -b FILE\n"
"where  OBJECT  := { dev | dmb | client | monitor | console }\n"
"       OPTIONS := { -V[ersion] | -j[son] | -p[retty] | -d[etails] |\n"
"                    -s[tatistics] | -t[imestamp] | -b[atch] FILE |\n"
"                    -n[etns] NETNS | -f[orce] | -e[cho] | -h[elp] }\n";

struct objent {
	struct kw kw;
	const struct dctl_obj *obj;
};

static const struct objent objects[] = {
	{ { "dev", KW_PREFERRED, 0 }, &dev_obj },
	{ { "dmb", 0, 0 }, &dmb_obj },
	{ { "client", KW_PREFERRED, 0 }, &client_obj },
	{ { "monitor", 0, 0 }, &monitor_obj },
	{ { "console", 0, 0 }, &console_obj },
	{ { "help", 0, KW_HELP }, NULL },
	{ { NULL, 0, 0 }, NULL },
};

void usage_print(FILE *f, const struct dctl_obj *obj,
		 const struct dctl_cmd *cmd)
{
	const struct dctl_cmd *k;
	bool first = true;

	if (!obj) {
		fputs(top_usage, f);
		return;
	}
	if (!obj->cmds) {
		fprintf(f, "Usage: dibsctl %s %s\n", obj->name, obj->synopsis);
	} else if (cmd) {
		fprintf(f, "Usage: dibsctl %s %s\n", obj->name, cmd->synopsis);
	} else {
		for (k = obj->cmds; k->kw.name; k++) {
			if (!k->fn)
				continue;
			fprintf(f, "%sdibsctl %s %s\n", first ? "Usage: " : "       ",
				obj->name, k->synopsis);
			first = false;
		}
		fprintf(f, "       dibsctl %s help\n", obj->name);
	}
	if (obj->where)
		fputs(obj->where, f);
}

/* After a usage error at the top level: where the grammar is. */
static void top_hint(void)
{
	fputs("try \"dibsctl help\"\n", stderr);
}

static int run_object(struct dctl *d, const struct dctl_obj *obj,
		      int argc, char **argv)
{
	struct cmdline c = {
		.d = d, .argc = argc, .argv = argv, .obj = obj, .cmd = NULL,
	};
	const struct dctl_cmd *cmd;
	const struct kw *hit;
	const char *word;
	char cand[256];

	if (!obj->cmds)
		return obj->fn(&c);

	word = c.argc ? c.argv[0] : obj->default_cmd;
	switch (kw_lookup(obj->cmds, sizeof(*obj->cmds), word, &hit)) {
	case KW_MATCH:
		break;
	case KW_AMBIGUOUS:
		kw_candidates(obj->cmds, sizeof(*obj->cmds), word, cand,
			      sizeof(cand));
		return usage_err(&c, "ambiguous command \"%s\" for \"%s\": %s",
				 word, obj->name, cand);
	default:
		return usage_err(&c, "unknown command \"%s\" for \"%s\"",
				 word, obj->name);
	}
	if (c.argc)
		arg_take(&c);
	if (hit->id == KW_HELP)
		return usage_help(&c);
	cmd = (const struct dctl_cmd *)hit;
	c.cmd = cmd;
	return cmd->fn(&c);
}

int dctl_run(struct dctl *d, int argc, char **argv)
{
	const struct objent *o;
	const struct kw *hit;
	char cand[256];

	dev_names_forget(d);
	if (argc < 1) {
		pr_err("an OBJECT is needed");
		top_hint();
		return EXIT_USAGE;
	}
	switch (kw_lookup(objects, sizeof(*objects), argv[0], &hit)) {
	case KW_MATCH:
		break;
	case KW_AMBIGUOUS:
		kw_candidates(objects, sizeof(*objects), argv[0], cand,
			      sizeof(cand));
		pr_err("ambiguous object \"%s\": %s", argv[0], cand);
		top_hint();
		return EXIT_USAGE;
	default:
		pr_err("unknown object \"%s\"", argv[0]);
		top_hint();
		return EXIT_USAGE;
	}
	if (hit->id == KW_HELP) {
		usage_print(stdout, NULL, NULL);
		return EXIT_OK;
	}
	o = (const struct objent *)hit;
	return run_object(d, o->obj, argc - 1, argv + 1);
}

static int batch(struct dctl *d, const char *file)
{
	char *argv[BATCH_WORDS_MAX];
	int argc, ret, rc, status = EXIT_OK;
	unsigned int lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (strcmp(file, "-") == 0) {
		f = stdin;
	} else {
		f = fopen(file, "r");
		if (!f) {
			pr_err("cannot open batch file \"%s\": %s", file,
			       strerror(errno));
			return EXIT_FAIL;
		}
	}
	d->batch = true;
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (memchr(line, '\0', n)) {
			pr_err("NUL byte in line %u", lineno);
			rc = EXIT_USAGE;
		} else {
			ret = split_line(line, argv, BATCH_WORDS_MAX, &argc);
			if (ret == -EINVAL) {
				pr_err("unterminated \" quote");
				rc = EXIT_USAGE;
			} else if (ret) {
				pr_err("more than %d words in a line",
				       BATCH_WORDS_MAX);
				rc = EXIT_USAGE;
			} else if (!argc) {
				continue;
			} else {
				rc = dctl_run(d, argc, argv);
			}
		}
		fflush(stdout);
		if (rc != EXIT_OK) {
			fprintf(stderr, "Command failed %s:%u\n", file, lineno);
			status = EXIT_FAIL;
			if (!d->force)
				break;
		}
	}
	if (ferror(f)) {
		pr_err("reading batch file \"%s\": %s", file, strerror(errno));
		status = EXIT_FAIL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return status;
}

/* Like "ip -n": run in a named network namespace (or a PID's). */
static int netns_enter(const char *ns)
{
	char path[PATH_MAX];
	int fd;

	if (all_digits(ns)) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", ns);
	} else if (!*ns || strchr(ns, '/') || strcmp(ns, ".") == 0 ||
		   strcmp(ns, "..") == 0 || strlen(ns) > NAME_MAX) {
		pr_err("invalid network namespace name \"%s\"", ns);
		return EXIT_USAGE;
	} else {
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("cannot open network namespace \"%s\": %s", ns,
		       strerror(errno));
		return EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		pr_err("cannot enter network namespace \"%s\": %s", ns,
		       strerror(errno));
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	return EXIT_OK;
}

enum {
	OPT_VERSION, OPT_JSON, OPT_PRETTY, OPT_DETAILS, OPT_STATS,
	OPT_TIMESTAMP, OPT_BATCH, OPT_NETNS, OPT_FORCE, OPT_ECHO, OPT_HELP,
};

static const struct kw options[] = {
	{ "-Version", 0, OPT_VERSION },
	{ "-json", 0, OPT_JSON },
	{ "-pretty", 0, OPT_PRETTY },
	{ "-details", 0, OPT_DETAILS },
	{ "-statistics", KW_PREFERRED, OPT_STATS },
	{ "-stats", 0, OPT_STATS },
	{ "-timestamp", 0, OPT_TIMESTAMP },
	{ "-batch", 0, OPT_BATCH },
	{ "-netns", 0, OPT_NETNS },
	{ "-force", 0, OPT_FORCE },
	{ "-echo", 0, OPT_ECHO },
	{ "-help", 0, OPT_HELP },
	{ NULL, 0, 0 },
};

static void dctl_free(struct dctl *d)
{
	if (d->h)
		dibsnl_close(d->h);
	d->h = NULL;
	free(d->names);
	d->names = NULL;
	d->n_names = 0;
}

int main(int argc, char **argv)
{
	const char *batch_file = NULL, *netns = NULL, *opt;
	struct dctl d = { 0 };
	const struct kw *hit;
	char cand[256];
	int rc;

	argc--;
	argv++;
	while (argc > 0 && argv[0][0] == '-') {
		opt = argv[0];
		if (strcmp(opt, "--") == 0) {
			argc--;
			argv++;
			break;
		}
		if (opt[1] == '-')
			opt++;
		if (!opt[1]) {
			pr_err("unknown option \"%s\"", argv[0]);
			top_hint();
			return EXIT_USAGE;
		}
		switch (kw_lookup(options, sizeof(*options), opt, &hit)) {
		case KW_MATCH:
			break;
		case KW_AMBIGUOUS:
			kw_candidates(options, sizeof(*options), opt, cand,
				      sizeof(cand));
			pr_err("ambiguous option \"%s\": %s", argv[0], cand);
			top_hint();
			return EXIT_USAGE;
		default:
			pr_err("unknown option \"%s\"", argv[0]);
			top_hint();
			return EXIT_USAGE;
		}
		if ((hit->id == OPT_BATCH || hit->id == OPT_NETNS) &&
		    argc < 2) {
			pr_err("option \"%s\" needs an argument", argv[0]);
			top_hint();
			return EXIT_USAGE;
		}
		switch (hit->id) {
		case OPT_VERSION:
			/* the library that runs may be another build's */
			printf("dibsctl %s (libdibsnl %s)\n", DIBSCTL_VERSION,
			       dibsnl_version());
			return EXIT_OK;
		case OPT_HELP:
			usage_print(stdout, NULL, NULL);
			return EXIT_OK;
		case OPT_JSON:
			d.json = true;
			break;
		case OPT_PRETTY:
			d.json = true;
			d.pretty = true;
			break;
		case OPT_DETAILS:
			d.details = true;
			break;
		case OPT_STATS:
			d.stats = true;
			break;
		case OPT_TIMESTAMP:
			d.timestamp = true;
			break;
		case OPT_FORCE:
			d.force = true;
			break;
		case OPT_ECHO:
			d.echo = true;
			break;
		case OPT_BATCH:
			batch_file = argv[1];
			argc--;
			argv++;
			break;
		case OPT_NETNS:
			netns = argv[1];
			argc--;
			argv++;
			break;
		}
		argc--;
		argv++;
	}

	if (batch_file && argc > 0) {
		pr_err("-b FILE takes no OBJECT on the command line (\"%s\")",
		       argv[0]);
		top_hint();
		return EXIT_USAGE;
	}
	if (netns) {
		rc = netns_enter(netns);
		if (rc)
			return rc;
	}
	out_init(&d.out, stdout, d.json, d.pretty);

	if (batch_file)
		rc = batch(&d, batch_file);
	else
		rc = dctl_run(&d, argc, argv);

	dctl_free(&d);
	if (d.stdout_gone)
		return rc;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		pr_err("writing output: %s", strerror(errno));
		if (rc == EXIT_OK)
			rc = EXIT_FAIL;
	}
	return rc;
}
