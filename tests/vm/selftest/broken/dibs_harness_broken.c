// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberately broken module for the VM harness self-test.
 *
 * The harness must fail a run whose console shows a kernel warning or oops,
 * even when every bats test says "ok". This module makes both happen on
 * demand, so the self-test can prove the detector sees them:
 *
 *   echo 1 > /sys/kernel/debug/dibs_harness_broken/warn   -> WARNING: ...
 *   echo 1 > /sys/kernel/debug/dibs_harness_broken/oops   -> BUG: + Oops
 *
 * Nothing here is ever loaded outside the self-test VM.
 */
#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/fs.h>

static struct dentry *broken_dir;

static ssize_t warn_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	WARN(1, "dibs_harness_broken: warning requested\n");
	return count;
}

/* Read through a pointer the compiler cannot prove NULL: a real oops. */
static int *volatile broken_null;

static ssize_t oops_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	pr_info("dibs_harness_broken: oops requested, read %d\n", *broken_null);
	return count;
}

static const struct file_operations warn_fops = {
	.owner = THIS_MODULE,
	.write = warn_write,
};

static const struct file_operations oops_fops = {
	.owner = THIS_MODULE,
	.write = oops_write,
};

static int __init broken_init(void)
{
	broken_dir = debugfs_create_dir("dibs_harness_broken", NULL);
	debugfs_create_file("warn", 0200, broken_dir, NULL, &warn_fops);
	debugfs_create_file("oops", 0200, broken_dir, NULL, &oops_fops);
	return 0;
}

static void __exit broken_exit(void)
{
	debugfs_remove_recursive(broken_dir);
}

module_init(broken_init);
module_exit(broken_exit);
MODULE_DESCRIPTION("dibs VM harness self-test: warns and oopses on request");
MODULE_LICENSE("GPL");
