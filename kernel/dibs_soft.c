// SPDX-License-Identifier: GPL-2.0
/*
 * Soft device types: drivers whose devices are made at run time (loopback,
 * sim), the way rtnl_link_ops lets "ip link add" create virtual links.
 *
 * Soft devices are created and destroyed only under dibs_soft_lock, so a
 * device cannot be destroyed twice by a racing dev-del and type removal.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <linux/err.h>
#include <linux/module.h>

#include "dibs_core.h"

/* Protects dibs_soft_types and serialises soft device create/destroy. */
static DEFINE_MUTEX(dibs_soft_lock);
static LIST_HEAD(dibs_soft_types);

static struct dibs_soft_type *dibs_soft_type_find(const char *kind)
{
	struct dibs_soft_type *type;

	lockdep_assert_held(&dibs_soft_lock);
	list_for_each_entry(type, &dibs_soft_types, list)
		if (!strcmp(type->kind, kind))
			return type;
	return NULL;
}

/* For dev-set: no soft device is created or destroyed meanwhile. */
void dibs_soft_mutex_lock(void)
{
	mutex_lock(&dibs_soft_lock);
}

void dibs_soft_mutex_unlock(void)
{
	mutex_unlock(&dibs_soft_lock);
}

int dibs_soft_type_register(struct dibs_soft_type *type)
{
	int ret = 0;

	if (!type->kind || !type->create || !type->destroy)
		return -EINVAL;

	mutex_lock(&dibs_soft_lock);
	if (dibs_soft_type_find(type->kind))
		ret = -EEXIST;
	else
		list_add_tail(&type->list, &dibs_soft_types);
	mutex_unlock(&dibs_soft_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(dibs_soft_type_register);

/* The first device of @type still registered, with a reference, or NULL. */
static struct dibs_dev *dibs_soft_first_dev(const struct dibs_soft_type *type)
{
	unsigned long index = 0;
	struct dibs_dev *dibs;

	mutex_lock(&dibs_devs_lock);
	for (; (dibs = dibs_dev_next(&index)); index++)
		if (dibs->soft_type == type)
			break;
	if (dibs)
		get_device(&dibs->dev);
	mutex_unlock(&dibs_devs_lock);
	return dibs;
}

/* Destroys every device of the type that is left, then forgets the type. */
void dibs_soft_type_unregister(struct dibs_soft_type *type)
{
	struct dibs_dev *dibs;

	mutex_lock(&dibs_soft_lock);
	list_del_init(&type->list);
	while ((dibs = dibs_soft_first_dev(type))) {
		type->destroy(dibs);
		put_device(&dibs->dev);
	}
	mutex_unlock(&dibs_soft_lock);
}
EXPORT_SYMBOL_GPL(dibs_soft_type_unregister);

int dibs_soft_dev_init(struct dibs_dev *dibs, struct dibs_soft_type *type,
		       const struct dibs_soft_params *params)
{
	dibs->soft_type = type;
	if (params->has_gid)
		uuid_copy(&dibs->gid, &params->gid);
	else
		uuid_gen(&dibs->gid);
	/*
	 * Born where it was asked for: made in init_net and moved, it would
	 * be announced to init_net's listeners first.
	 */
	if (params->net)
		write_pnet(&dibs->net, params->net);
	return dev_set_name(&dibs->dev, "%s", params->name);
}
EXPORT_SYMBOL_GPL(dibs_soft_dev_init);

struct dibs_dev *dibs_soft_dev_new(const char *kind,
				   const struct dibs_soft_params *params,
				   struct netlink_ext_ack *extack)
{
	struct dibs_soft_type *type;
	struct dibs_dev *dibs;

	mutex_lock(&dibs_soft_lock);
	type = dibs_soft_type_find(kind);
	if (!type) {
		dibs = ERR_PTR(-EOPNOTSUPP);
		goto out;
	}
	/* The type's module may be on its way out: then it cannot create. */
	if (!try_module_get(type->owner)) {
		dibs = ERR_PTR(-ENODEV);
		goto out;
	}
	dibs = type->create(params, extack);
	if (!IS_ERR(dibs) && dibs->soft_type != type) {
		/* create() must mark what it made; refuse a device we
		 * could not destroy later.
		 */
		type->destroy(dibs);
		dibs = ERR_PTR(-EINVAL);
	}
	/* The caller's: a dev-del may destroy it as soon as we unlock. */
	if (!IS_ERR(dibs))
		get_device(&dibs->dev);
	module_put(type->owner);
out:
	mutex_unlock(&dibs_soft_lock);
	return dibs;
}
EXPORT_SYMBOL_GPL(dibs_soft_dev_new);

int dibs_soft_dev_del(struct dibs_dev *dibs)
{
	const struct dibs_soft_type *type;
	int ret = 0;

	mutex_lock(&dibs_soft_lock);
	type = dibs->soft_type;
	if (!type)
		ret = -EOPNOTSUPP;
	else if (!READ_ONCE(dibs->registered))
		ret = -ENODEV;		/* destroyed meanwhile */
	else
		type->destroy(dibs);
	mutex_unlock(&dibs_soft_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(dibs_soft_dev_del);

void dibs_soft_exit(void)
{
	/* Every type's module depends on this one, so all are gone. */
	if (!list_empty(&dibs_soft_types))
		pr_err("soft device types still registered at exit\n");
}
