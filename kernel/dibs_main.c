// SPDX-License-Identifier: GPL-2.0
/*
 * dibs core: the registry of devices and clients, the "dibs" class in
 * sysfs and the uevents that udev matches on.
 *
 * Lock order: dibs_soft_lock (dibs_soft.c), then dibs_devs_lock, then
 * dibs_clients_lock. Client callbacks add_dev()/del_dev() run with
 * dibs_devs_lock and dibs_clients_lock held, as upstream does, so a client
 * sees every device exactly once between its registration and removal.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "dibs_compat.h"
#include "dibs_core.h"

MODULE_DESCRIPTION("Direct Internal Buffer Sharing core");
MODULE_LICENSE("GPL");

/* Protects dibs_devs and the name of every device on it. */
DEFINE_MUTEX(dibs_devs_lock);
LIST_HEAD(dibs_devs);

/* Protects dibs_clients[]; writers also hold dibs_devs_lock. */
static DEFINE_MUTEX(dibs_clients_lock);
static struct dibs_client *dibs_clients[MAX_DIBS_CLIENTS];

/* Device indexes, like ifindex: stable for a device's lifetime. */
static DEFINE_IDA(dibs_index_ida);

struct dibs_client *dibs_client_by_id(u8 id)
{
	if (id >= MAX_DIBS_CLIENTS)
		return NULL;
	return READ_ONCE(dibs_clients[id]);
}

int dibs_register_client(struct dibs_client *client)
{
	struct dibs_dev *dibs;
	int i;

	mutex_lock(&dibs_devs_lock);
	mutex_lock(&dibs_clients_lock);
	for (i = 0; i < MAX_DIBS_CLIENTS; i++)
		if (!dibs_clients[i])
			break;
	if (i == MAX_DIBS_CLIENTS) {
		mutex_unlock(&dibs_clients_lock);
		mutex_unlock(&dibs_devs_lock);
		return -ENOSPC;
	}
	client->id = i;
	WRITE_ONCE(dibs_clients[i], client);

	list_for_each_entry(dibs, &dibs_devs, list) {
		dibs->priv[i] = NULL;
		client->ops->add_dev(dibs);
	}
	mutex_unlock(&dibs_clients_lock);
	mutex_unlock(&dibs_devs_lock);
	pr_debug("client %s registered in slot %d\n", client->name, i);
	return 0;
}
EXPORT_SYMBOL_GPL(dibs_register_client);

int dibs_unregister_client(struct dibs_client *client)
{
	struct dibs_dev *dibs;
	u8 id = client->id;

	mutex_lock(&dibs_devs_lock);
	mutex_lock(&dibs_clients_lock);
	if (id >= MAX_DIBS_CLIENTS || dibs_clients[id] != client) {
		mutex_unlock(&dibs_clients_lock);
		mutex_unlock(&dibs_devs_lock);
		return -ENOENT;
	}
	/*
	 * A client that still owns DMBs would leave buffers behind whose
	 * signals reach a client that is gone: refuse, and change nothing.
	 */
	if (dibs_client_dmb_count(id)) {
		mutex_unlock(&dibs_clients_lock);
		mutex_unlock(&dibs_devs_lock);
		pr_info("client %s still owns %d DMBs: not unregistered\n",
			client->name, dibs_client_dmb_count(id));
		return -EBUSY;
	}

	list_for_each_entry(dibs, &dibs_devs, list) {
		client->ops->del_dev(dibs);
		dibs->priv[id] = NULL;
	}
	WRITE_ONCE(dibs_clients[id], NULL);
	mutex_unlock(&dibs_clients_lock);
	mutex_unlock(&dibs_devs_lock);
	pr_debug("client %s unregistered\n", client->name);
	return 0;
}
EXPORT_SYMBOL_GPL(dibs_unregister_client);

const char *dibs_dev_type_name(const struct dibs_dev *dibs)
{
	if (dibs->soft_type)
		return dibs->soft_type->kind;
	if (dibs->dev.parent && dibs->dev.parent->driver)
		return dibs->dev.parent->driver->name;
	return "unknown";
}
EXPORT_SYMBOL_GPL(dibs_dev_type_name);

static struct dibs_dev *to_dibs_dev(const struct device *dev)
{
	return container_of(dev, struct dibs_dev, dev);
}

static ssize_t gid_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &to_dibs_dev(dev)->gid);
}
static DEVICE_ATTR_RO(gid);

static ssize_t fabric_id_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct dibs_dev *dibs = to_dibs_dev(dev);

	return sysfs_emit(buf, "0x%04x\n", dibs->ops->get_fabric_id(dibs));
}
static DEVICE_ATTR_RO(fabric_id);

static ssize_t type_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dibs_dev_type_name(to_dibs_dev(dev)));
}
static DEVICE_ATTR_RO(type);

static struct attribute *dibs_dev_attrs[] = {
	&dev_attr_gid.attr,
	&dev_attr_fabric_id.attr,
	&dev_attr_type.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dibs_dev);

/* What udev rules match on: see systemd/ and DESIGN.md §8. */
static int dibs_dev_uevent(DIBS_UEVENT_CONST struct device *dev,
			   struct kobj_uevent_env *env)
{
	struct dibs_dev *dibs = to_dibs_dev(dev);
	int ret;

	ret = add_uevent_var(env, "DIBS_GID=%pUb", &dibs->gid);
	if (!ret)
		ret = add_uevent_var(env, "DIBS_FABRIC_ID=0x%04x",
				     dibs->ops->get_fabric_id(dibs));
	if (!ret)
		ret = add_uevent_var(env, "DIBS_TYPE=%s",
				     dibs_dev_type_name(dibs));
	return ret;
}

static void dibs_dev_release(struct device *dev)
{
	struct dibs_dev *dibs = to_dibs_dev(dev);

	if (dibs->index >= 0)
		ida_free(&dibs_index_ida, dibs->index);
	dibs_ops_destroy_dev(dibs);
	kfree(dibs);
}

static const struct device_type dibs_dev_type = {
	.name = "dibs",
	.groups = dibs_dev_groups,
	.uevent = dibs_dev_uevent,
	.release = dibs_dev_release,
};

static struct class dibs_class = {
	.name = "dibs",
};

struct dibs_dev *dibs_dev_alloc(void)
{
	struct dibs_dev *dibs;

	dibs = kzalloc(sizeof(*dibs), GFP_KERNEL);
	if (!dibs)
		return NULL;
	if (dibs_ops_init_dev(dibs)) {
		kfree(dibs);
		return NULL;
	}
	INIT_LIST_HEAD(&dibs->list);
	spin_lock_init(&dibs->lock);
	dibs->index = -1;
	dibs->dev.class = &dibs_class;
	dibs->dev.type = &dibs_dev_type;
	device_initialize(&dibs->dev);
	return dibs;
}
EXPORT_SYMBOL_GPL(dibs_dev_alloc);

/* Catch a driver bug at registration rather than at the first call. */
static bool dibs_dev_ops_valid(const struct dibs_dev_ops *ops)
{
	int mapped;

	if (!ops || !ops->get_fabric_id || !ops->query_remote_gid ||
	    !ops->max_dmbs || !ops->register_dmb || !ops->unregister_dmb ||
	    !ops->move_data)
		return false;
	mapped = !!ops->support_mmapped_rdmb + !!ops->attach_dmb +
		 !!ops->detach_dmb;
	return mapped == 0 || mapped == 3;
}

static struct dibs_dev *dibs_dev_find_name(const char *name)
{
	struct dibs_dev *dibs;

	lockdep_assert_held(&dibs_devs_lock);
	list_for_each_entry(dibs, &dibs_devs, list)
		if (!strcmp(dev_name(&dibs->dev), name))
			return dibs;
	return NULL;
}

int dibs_dev_add(struct dibs_dev *dibs)
{
	int i, ret;

	if (!dev_name(&dibs->dev) || !dibs_dev_ops_valid(dibs->ops))
		return -EINVAL;

	ret = ida_alloc(&dibs_index_ida, GFP_KERNEL);
	if (ret < 0)
		return ret;
	dibs->index = ret;
	dibs_ops_install(dibs);

	mutex_lock(&dibs_devs_lock);
	/* Checked here: device_add() of a duplicate only warns in sysfs. */
	if (dibs_dev_find_name(dev_name(&dibs->dev))) {
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = device_add(&dibs->dev);
	if (ret)
		goto err_unlock;
	list_add_tail(&dibs->list, &dibs_devs);

	mutex_lock(&dibs_clients_lock);
	for (i = 0; i < MAX_DIBS_CLIENTS; i++) {
		if (!dibs_clients[i])
			continue;
		dibs->priv[i] = NULL;
		dibs_clients[i]->ops->add_dev(dibs);
	}
	mutex_unlock(&dibs_clients_lock);
	mutex_unlock(&dibs_devs_lock);
	return 0;

err_unlock:
	mutex_unlock(&dibs_devs_lock);
	dibs_ops_uninstall(dibs);
	ida_free(&dibs_index_ida, dibs->index);
	dibs->index = -1;
	return ret;
}
EXPORT_SYMBOL_GPL(dibs_dev_add);

void dibs_dev_del(struct dibs_dev *dibs)
{
	int i;

	mutex_lock(&dibs_devs_lock);
	mutex_lock(&dibs_clients_lock);
	for (i = 0; i < MAX_DIBS_CLIENTS; i++)
		if (dibs_clients[i])
			dibs_clients[i]->ops->del_dev(dibs);
	mutex_unlock(&dibs_clients_lock);
	list_del_init(&dibs->list);
	mutex_unlock(&dibs_devs_lock);

	dibs_ops_release_leftovers(dibs);
	device_del(&dibs->dev);
}
EXPORT_SYMBOL_GPL(dibs_dev_del);

static int __init dibs_init(void)
{
	return class_register(&dibs_class);
}

static void __exit dibs_exit(void)
{
	/* Drivers and clients hold references to this module: none left. */
	dibs_soft_exit();
	class_unregister(&dibs_class);
	ida_destroy(&dibs_index_ida);
}

module_init(dibs_init);
module_exit(dibs_exit);
