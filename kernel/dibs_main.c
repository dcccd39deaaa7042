// SPDX-License-Identifier: GPL-2.0
/*
 * dibs core: the registry of devices and clients, the "dibs" class in
 * sysfs and the uevents that udev matches on.
 *
 * Lock order: dibs_soft_lock (dibs_soft.c), then dibs_devs_lock, then
 * dibs_clients_lock, then a device's lock. Client callbacks
 * add_dev()/del_dev() run with dibs_devs_lock and dibs_clients_lock held,
 * as upstream does, so a client sees every device exactly once between its
 * registration and removal. handle_irq()/handle_event() reach a client
 * only through dibs->subs[] under dibs->lock, which is set after its
 * add_dev() and cleared before its del_dev(), as upstream does: SMC-D's
 * handlers use their per-device data without checking it.
 *
 * Lockless users (the data path, notifications from driver context) find
 * devices under RCU and use one only while dibs->registered: dibs_dev_del()
 * clears it and waits for a grace period before it returns.
 */
#define pr_fmt(fmt) "dibs: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <uapi/linux/dibs.h>

#include "dibs_compat.h"
#include "dibs_core.h"

MODULE_DESCRIPTION("Direct Internal Buffer Sharing core");
MODULE_LICENSE("GPL");

/*
 * Protects dibs_devs, dibs_dev_xa, and each device's name, state, net and
 * registered flag. Both containers are also read under RCU.
 */
DEFINE_MUTEX(dibs_devs_lock);
static LIST_HEAD(dibs_devs);
/*
 * Registered devices by index. Indexes start at 1 and are handed out
 * cyclically, as ifindex is: an index names one device for a long time, so
 * a listener never confuses a new device with a deleted one.
 */
static DEFINE_XARRAY_ALLOC1(dibs_dev_xa);
static u32 dibs_dev_next_index;

/*
 * Protects writes of dibs_clients[]. Readers in atomic context (events)
 * use RCU: a slot is cleared, then synchronize_rcu(), then it is free.
 */
DEFINE_MUTEX(dibs_clients_lock);
static struct dibs_client __rcu *dibs_clients[MAX_DIBS_CLIENTS];

static struct dibs_client *dibs_client_slot(int i)
{
	return rcu_dereference_protected(dibs_clients[i],
					 lockdep_is_held(&dibs_clients_lock));
}

/*
 * dibs->subs[id]: the client in slot @id, which handle_irq() and
 * handle_event() go to; drivers find a DMB's client by
 * dmb_clientid_arr[] and read the slot under dibs->lock, as upstream
 * ISM and loopback do.
 */
static void dibs_dev_set_sub(struct dibs_dev *dibs, u8 id,
			     struct dibs_client *client)
{
	unsigned long flags;

	spin_lock_irqsave(&dibs->lock, flags);
	WRITE_ONCE(dibs->subs[id], client);
	spin_unlock_irqrestore(&dibs->lock, flags);
}

struct dibs_client *dibs_client_by_id(u8 id)
{
	if (id >= MAX_DIBS_CLIENTS)
		return NULL;
	/* A pointer for comparison or under a lock that keeps it alive. */
	return rcu_access_pointer(dibs_clients[id]);
}

int dibs_register_client(struct dibs_client *client)
{
	struct dibs_dev *dibs;
	int i;

	mutex_lock(&dibs_devs_lock);
	mutex_lock(&dibs_clients_lock);
	for (i = 0; i < MAX_DIBS_CLIENTS; i++)
		if (!dibs_client_slot(i))
			break;
	if (i == MAX_DIBS_CLIENTS) {
		mutex_unlock(&dibs_clients_lock);
		mutex_unlock(&dibs_devs_lock);
		return -ENOSPC;
	}
	client->id = i;
	rcu_assign_pointer(dibs_clients[i], client);

	list_for_each_entry(dibs, &dibs_devs, list) {
		dibs->priv[i] = NULL;
		client->ops->add_dev(dibs);
		dibs_dev_set_sub(dibs, i, client);
	}
	mutex_unlock(&dibs_clients_lock);
	mutex_unlock(&dibs_devs_lock);
	dibs_nl_notify_client(client, DIBS_CMD_CLIENT_ADD_NTF);
	return 0;
}
EXPORT_SYMBOL_GPL(dibs_register_client);

int dibs_unregister_client(struct dibs_client *client)
{
	struct dibs_dev *dibs;
	u8 id = client->id;
	int owned;

	mutex_lock(&dibs_devs_lock);
	mutex_lock(&dibs_clients_lock);
	if (id >= MAX_DIBS_CLIENTS || dibs_client_slot(id) != client) {
		mutex_unlock(&dibs_clients_lock);
		mutex_unlock(&dibs_devs_lock);
		return -ENOENT;
	}
	/*
	 * A client that still owns DMBs would leave buffers behind whose
	 * signals reach a client that is gone: refuse, and change nothing.
	 */
	owned = dibs_client_dmb_count(id);
	if (owned) {
		mutex_unlock(&dibs_clients_lock);
		mutex_unlock(&dibs_devs_lock);
		pr_info("client %s still owns %d DMBs: not unregistered\n",
			client->name, owned);
		return -EBUSY;
	}

	list_for_each_entry(dibs, &dibs_devs, list) {
		dibs_dev_set_sub(dibs, id, NULL);
		client->ops->del_dev(dibs);
		dibs->priv[id] = NULL;
	}
	RCU_INIT_POINTER(dibs_clients[id], NULL);
	mutex_unlock(&dibs_clients_lock);
	mutex_unlock(&dibs_devs_lock);
	synchronize_rcu();	/* no event handler runs for it any more */
	dibs_nl_notify_client(client, DIBS_CMD_CLIENT_DEL_NTF);
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

void dibs_dev_event(struct dibs_dev *dibs, const struct dibs_event *event)
{
	struct dibs_client *client;
	unsigned long flags;
	int i;

	spin_lock_irqsave(&dibs->lock, flags);
	for (i = 0; i < MAX_DIBS_CLIENTS; i++) {
		client = dibs->subs[i];
		if (client && client->ops->handle_event)
			client->ops->handle_event(dibs, event);
	}
	spin_unlock_irqrestore(&dibs->lock, flags);
	dibs_nl_notify_event(dibs, event);
}
EXPORT_SYMBOL_GPL(dibs_dev_event);

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

	/*
	 * Freed with the device, not in dibs_dev_del(): a driver's signal
	 * work may still look a DMB's client up until it is flushed.
	 */
	kvfree(dibs->dmb_clientid_arr);
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
	INIT_LIST_HEAD(&dibs->list);
	spin_lock_init(&dibs->lock);
	dibs_dmb_recs_init_dev(dibs);
	write_pnet(&dibs->net, &init_net);
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

/* Under dibs_devs_lock or rcu_read_lock(). */
struct dibs_dev *dibs_dev_find_name(const char *name)
{
	struct dibs_dev *dibs;

	list_for_each_entry_rcu(dibs, &dibs_devs, list,
				lockdep_is_held(&dibs_devs_lock))
		if (!strcmp(dev_name(&dibs->dev), name))
			return dibs;
	return NULL;
}

/* Under dibs_devs_lock or rcu_read_lock(). */
struct dibs_dev *dibs_dev_find_index(u32 index)
{
	return xa_load(&dibs_dev_xa, index);
}

/* The device with the lowest index >= *index, for resumable dumps. */
struct dibs_dev *dibs_dev_next(unsigned long *index)
{
	lockdep_assert_held(&dibs_devs_lock);
	return xa_find(&dibs_dev_xa, index, ULONG_MAX, XA_PRESENT);
}

/* The client id array drivers keep per sba index, as upstream has it. */
static int dibs_dev_alloc_clientid_arr(struct dibs_dev *dibs)
{
	int max = dibs->ops->max_dmbs();

	if (dibs->dmb_clientid_arr)
		return 0;
	if (max <= 0)
		return -EINVAL;
	dibs->dmb_clientid_arr = kvmalloc(max, GFP_KERNEL);
	if (!dibs->dmb_clientid_arr)
		return -ENOMEM;
	memset(dibs->dmb_clientid_arr, NO_DIBS_CLIENT, max);
	return 0;
}

int dibs_dev_add(struct dibs_dev *dibs)
{
	struct dibs_client *client;
	int i, ret;

	if (!dev_name(&dibs->dev) || !dibs_dev_ops_valid(dibs->ops))
		return -EINVAL;
	ret = dibs_dev_alloc_clientid_arr(dibs);
	if (ret)
		return ret;

	dibs_ops_install(dibs);
	dibs->up = true;

	mutex_lock(&dibs_devs_lock);
	/* Checked here: device_add() of a duplicate only warns in sysfs. */
	if (dibs_dev_find_name(dev_name(&dibs->dev))) {
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = xa_alloc_cyclic(&dibs_dev_xa, &dibs->index, NULL, xa_limit_31b,
			      &dibs_dev_next_index, GFP_KERNEL);
	if (ret < 0)
		goto err_unlock;
	ret = device_add(&dibs->dev);
	if (ret)
		goto err_free_index;
	xa_store(&dibs_dev_xa, dibs->index, dibs, GFP_KERNEL);
	list_add_tail_rcu(&dibs->list, &dibs_devs);
	WRITE_ONCE(dibs->registered, true);
	dibs_nl_gen_bump_devs();

	mutex_lock(&dibs_clients_lock);
	for (i = 0; i < MAX_DIBS_CLIENTS; i++) {
		client = dibs_client_slot(i);
		if (!client)
			continue;
		dibs->priv[i] = NULL;
		client->ops->add_dev(dibs);
		dibs_dev_set_sub(dibs, i, client);
	}
	mutex_unlock(&dibs_clients_lock);
	dibs_nl_notify_dev(dibs, DIBS_CMD_DEV_ADD_NTF);
	mutex_unlock(&dibs_devs_lock);
	return 0;

err_free_index:
	xa_erase(&dibs_dev_xa, dibs->index);
err_unlock:
	mutex_unlock(&dibs_devs_lock);
	dibs_ops_uninstall(dibs);
	return ret;
}
EXPORT_SYMBOL_GPL(dibs_dev_add);

void dibs_dev_del(struct dibs_dev *dibs)
{
	struct dibs_client *client;
	unsigned long flags;
	int i;

	mutex_lock(&dibs_devs_lock);
	/* No callback reaches a client from here on, as upstream. */
	spin_lock_irqsave(&dibs->lock, flags);
	for (i = 0; i < MAX_DIBS_CLIENTS; i++)
		dibs->subs[i] = NULL;
	spin_unlock_irqrestore(&dibs->lock, flags);

	mutex_lock(&dibs_clients_lock);
	for (i = 0; i < MAX_DIBS_CLIENTS; i++) {
		client = dibs_client_slot(i);
		if (client)
			client->ops->del_dev(dibs);
	}
	mutex_unlock(&dibs_clients_lock);
	dibs_dmb_recs_release(dibs);

	/*
	 * Still under the lock, in the device's namespace: after the DMBs'
	 * dmb-del, and before a new device can be announced.
	 */
	dibs_nl_notify_dev(dibs, DIBS_CMD_DEV_DEL_NTF);
	WRITE_ONCE(dibs->registered, false);
	list_del_rcu(&dibs->list);
	xa_erase(&dibs_dev_xa, dibs->index);
	dibs_nl_gen_bump_devs();
	/* Its memory goes with it: out of every process (dibs_cdev.c). */
	if (dibs->map_ops)
		dibs_cdev_dev_del(dibs);
	mutex_unlock(&dibs_devs_lock);

	/* Lockless users that found it are done before the driver frees. */
	synchronize_rcu();
	device_del(&dibs->dev);
}
EXPORT_SYMBOL_GPL(dibs_dev_del);

/* Set the state; dibs_devs_lock held. Return: whether it changed. */
static bool dibs_dev_set_state(struct dibs_dev *dibs, bool up)
{
	struct dibs_event event = {
		.type = DIBS_DEV_EVENT,
		.subtype = DIBS_DEV_DISABLED,
	};

	lockdep_assert_held(&dibs_devs_lock);
	if (dibs->up == up)
		return false;
	WRITE_ONCE(dibs->up, up);
	dibs_nl_notify_dev(dibs, DIBS_CMD_DEV_CHANGE_NTF);
	if (!up) {
		uuid_copy(&event.gid, &dibs->gid);
		event.time = ktime_get_real_ns();
		dibs_dev_event(dibs, &event);
	}
	return true;
}

/* Move @dibs to @net; listeners of the old one see it go. */
static void dibs_dev_move_net(struct dibs_dev *dibs, struct net *net)
{
	lockdep_assert_held(&dibs_devs_lock);
	dibs_nl_notify_dev(dibs, DIBS_CMD_DEV_DEL_NTF);
	dibs_uclient_dev_moved(dibs);
	write_pnet(&dibs->net, net);
	dibs_nl_gen_bump_devs();
	dibs_nl_notify_dev(dibs, DIBS_CMD_DEV_ADD_NTF);
}

/*
 * dev-set: the new state (@state < 0: unchanged) and namespace (@net NULL:
 * unchanged), both or neither: the caller has checked everything that
 * can fail. Serialised with soft device deletion and type removal by
 * dibs_soft_lock, so the driver's state_changed() runs on a live device;
 * a hardware device cannot leave the registry while dibs_devs_lock is
 * held. Return: 0, or -ENODEV for a device deleted meanwhile.
 */
int dibs_dev_set(struct dibs_dev *dibs, int state, struct net *net)
{
	bool changed = false;

	dibs_soft_mutex_lock();
	mutex_lock(&dibs_devs_lock);
	if (!dibs->registered) {
		mutex_unlock(&dibs_devs_lock);
		dibs_soft_mutex_unlock();
		return -ENODEV;
	}
	/* The state first: the new namespace is told of the device as it is. */
	if (state >= 0)
		changed = dibs_dev_set_state(dibs, state);
	if (net && !net_eq(dibs_dev_net(dibs), net))
		dibs_dev_move_net(dibs, net);
	mutex_unlock(&dibs_devs_lock);

	if (changed && dibs->soft_type && dibs->soft_type->state_changed)
		dibs->soft_type->state_changed(dibs);
	dibs_soft_mutex_unlock();
	return 0;
}

/*
 * A namespace that goes away gives its devices back to init_net, as
 * physical network devices do: the device is the fabric's, not the
 * namespace's. Clients keep their DMBs across the move. In pre_exit: the
 * namespace core waits for an RCU grace period after it, so a lockless
 * reader that found the old namespace in dibs->net is done with it
 * before it is freed.
 */
static void __net_exit dibs_net_pre_exit(struct net *net)
{
	struct dibs_dev *dibs;

	mutex_lock(&dibs_devs_lock);
	list_for_each_entry(dibs, &dibs_devs, list)
		if (net_eq(dibs_dev_net(dibs), net))
			dibs_dev_move_net(dibs, &init_net);
	mutex_unlock(&dibs_devs_lock);
}

static struct pernet_operations dibs_net_ops = {
	.pre_exit = dibs_net_pre_exit,
};

static int __init dibs_init(void)
{
	int ret;

	ret = class_register(&dibs_class);
	if (ret)
		return ret;
	ret = dibs_dmb_recs_init();
	if (ret)
		goto err_class;
	ret = register_pernet_subsys(&dibs_net_ops);
	if (ret)
		goto err_ops;
	ret = dibs_uclient_init();
	if (ret)
		goto err_pernet;
	ret = dibs_nl_init();
	if (ret)
		goto err_uclient;
	ret = dibs_cdev_init();
	if (ret)
		goto err_nl;
	return 0;

err_nl:
	dibs_nl_exit();
err_uclient:
	dibs_uclient_exit();
err_pernet:
	unregister_pernet_subsys(&dibs_net_ops);
err_ops:
	dibs_dmb_recs_exit();
err_class:
	class_unregister(&dibs_class);
	return ret;
}

static void __exit dibs_exit(void)
{
	/* Drivers, clients and open files hold references: none left. */
	dibs_cdev_exit();
	dibs_nl_exit();
	dibs_uclient_exit();
	unregister_pernet_subsys(&dibs_net_ops);
	dibs_soft_exit();
	dibs_dmb_recs_exit();
	class_unregister(&dibs_class);
	xa_destroy(&dibs_dev_xa);
}

module_init(dibs_init);
module_exit(dibs_exit);
