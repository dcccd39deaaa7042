// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dibs: writes into DMBs without a netlink message per write
 * (uapi/linux/dibs_ioctl.h).
 *
 * A netlink dmb-write copies its data into a message buffer the kernel
 * allocates - and zeroes, on kernels that initialise allocations - for
 * every request, then move_data() copies it again. Here each open file
 * keeps one buffer: the caller's bytes are copied into it once and
 * move_data() takes them from there, one piece of DIBS_CDEV_PIECE at a time.
 * What a write may do and how it fails is the netlink op's: both are
 * dibs_dmb_write(). read() and poll() return the signals of the DMBs the
 * file watches (DIBS_IOC_DMB_WATCH; dibs_watch.c keeps them).
 *
 * Who may write is the netlink op's too (GENL_ADMIN_PERM), asked of every
 * ioctl and not only at open: a netlink request is checked against both
 * the socket's opener and the sender, so is an ioctl against the file's
 * opener and the caller. An fd passed over SCM_RIGHTS to a process
 * without CAP_NET_ADMIN, or kept across a drop of it, writes no more.
 *
 * Mappings (DIBS_IOC_DMB_MAP, then mmap()): the ioctl takes a reference on
 * the DMB's buffer - a soft device's folio - and, for a remote DMB, the
 * writer's attachment; it parks both in the file under an id that is the
 * mmap() offset. mmap() moves them into the mapping, which all VMAs split
 * from it share; the last unmap detaches and drops the buffer. The buffer
 * thus outlives a revoke or the device until then. A VMA holds the file,
 * and the file the module.
 *
 * A device whose DMBs are memory of its own (dibs_ivshmem: a PCI BAR)
 * cannot give a folio: its driver's dibs_dev_map_ops hand out the page
 * frames and a hold that keeps the buffer out of reuse instead, in both
 * roles; the mapping pins that driver's module and lets go of the hold at
 * the last unmap. That memory goes away with the device, though (a PCI
 * device unbound or unplugged; its BAR's addresses may then be given to
 * another device), so its pages must not stay mapped past dibs_dev_del():
 * dibs_cdev_dev_del() zaps them, and a later access raises SIGBUS. The
 * record, hold and module pin still last until the last unmap.
 *
 * How: every such record is on dibs_cdev_mem_maps from the ioctl on, with
 * its device. The zap goes by the file's address_space
 * (unmap_mapping_pages()), not by VMA: reaching a VMA from here would need
 * its mm's mmap_lock, which mmap() and munmap() take before our locks,
 * while the address_space needs only i_mmap_rwsem and finds every VMA of
 * the mapping, however split or moved (mremap()) it is since. The mmap()
 * offset a process passes is a handle of its own file, the same numbers
 * in every file of /dev/dibs, so mmap() moves each mapping to a page range
 * of its own (vm_pgoff: a key from dibs_cdev_keys times the largest DMB's
 * pages): a zap reaches that mapping and no other.
 *
 * And device memory is not mapped by remap_pfn_range() in mmap() but page
 * by page at fault time, under dibs_cdev_mem_lock: mmap() runs before the
 * VMA is linked into the address_space, so a zap in between would miss
 * pages mmap() had put in; a fault runs after that link, and either finds
 * the device gone (SIGBUS) or inserts before the zap, which then removes
 * the page. A VM_PFNMAP VMA is refilled by nothing but that fault.
 *
 * A soft device's folio is the kernel's own memory and lives until the
 * last unmap whatever happens to its device: mmap() maps it whole, as
 * before, and nothing zaps it (it gets a page range of its own too, so
 * that no zap of device memory reaches it).
 */
#include <linux/bitops.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <uapi/linux/dibs_ioctl.h>

#include "dibs_compat.h"
#include "dibs_core.h"

/* One copy-and-move step: a 64 KiB write, the common large one, is one. */
#define DIBS_CDEV_PIECE		SZ_64K

/*
 * A mapping's page range in its file's address_space: key << KEY_SHIFT on,
 * room for the largest DMB (4 GiB, len is a u32). Keys stop where the
 * byte offset of the range's end would no longer fit in a loff_t.
 */
#define DIBS_CDEV_KEY_SHIFT	(32 - PAGE_SHIFT)
#define DIBS_CDEV_KEY_MAX	((int)min_t(loff_t, INT_MAX, \
					    (MAX_LFS_FILESIZE >> 32) - 1))
static DEFINE_IDA(dibs_cdev_keys);

/*
 * Protects every record's mem_node, mem_dev and mapping, and orders a
 * fault's insert against a zap. Taken after dibs_devs_lock and after an
 * mm's mmap_lock (or VMA lock); a zap under it takes i_mmap_rwsem.
 */
static DEFINE_MUTEX(dibs_cdev_mem_lock);
/* Records of device memory whose device is registered. */
static LIST_HEAD(dibs_cdev_mem_maps);

struct dibs_cdev_file {
	struct net *net;		/* the opener's namespace, held */
	struct mutex buf_lock;		/* one write at a time uses buf */
	void *buf;			/* DIBS_CDEV_PIECE bytes */
	struct xarray maps;		/* prepared, not yet mapped, by id */
	struct dibs_watchq *watchq;	/* its watched DMBs (dibs_watch.c) */
};

/* One mapped DMB: prepared by the ioctl, then shared by its VMAs. */
struct dibs_cdev_map {
	refcount_t refs;		/* the file's entry, or VMAs */
	struct folio *folio;		/* a reference on the buffer */
	u32 len;			/* the DMB's */
	/* A remote DMB: the attaching device (a reference) and token. */
	struct dibs_dev *dibs;
	u64 token;
	/* Or, no folio: the driver's hold and the buffer's first pfn. */
	const struct dibs_dev_map_ops *map_ops;	/* its module pinned */
	void *hold;
	unsigned long pfn;
	/*
	 * With map_ops, under dibs_cdev_mem_lock: the device whose memory it
	 * is, while registered (the record on dibs_cdev_mem_maps), else
	 * NULL; and once mmap() took it, its file's address_space (its VMAs
	 * hold the file, and the last one's close drops the record first).
	 */
	struct list_head mem_node;
	struct dibs_dev *mem_dev;
	struct address_space *mapping;
	int key;			/* once mmap() took it: its page range */
};

static pgoff_t dibs_cdev_key_pgoff(int key)
{
	return (pgoff_t)key << DIBS_CDEV_KEY_SHIFT;
}

static pgoff_t dibs_cdev_map_pages(const struct dibs_cdev_map *m)
{
	return PAGE_ALIGN((u64)m->len) >> PAGE_SHIFT;
}

static int dibs_cdev_open(struct inode *inode, struct file *file)
{
	struct dibs_cdev_file *f;

	/* dmb-write is GENL_ADMIN_PERM: the same capability */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->buf = kvmalloc(DIBS_CDEV_PIECE, GFP_KERNEL);
	if (!f->buf) {
		kfree(f);
		return -ENOMEM;
	}
	f->watchq = dibs_watchq_new();
	if (!f->watchq) {
		kvfree(f->buf);
		kfree(f);
		return -ENOMEM;
	}
	mutex_init(&f->buf_lock);
	xa_init_flags(&f->maps, XA_FLAGS_ALLOC1);
	f->net = get_net(current->nsproxy->net_ns);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

/*
 * Drop a reference; the last detaches a remote DMB, if its device is still
 * registered (a deleted device's driver has let go of it already), and
 * releases the buffer. Process context: takes dibs_devs_lock.
 */
static void dibs_cdev_map_put(struct dibs_cdev_map *m)
{
	struct dibs_dev *dibs = m->dibs;
	int ret;

	if (!refcount_dec_and_test(&m->refs))
		return;
	if (m->key)
		ida_free(&dibs_cdev_keys, m->key);
	if (m->map_ops) {
		mutex_lock(&dibs_cdev_mem_lock);
		if (m->mem_dev)
			list_del(&m->mem_node);
		mutex_unlock(&dibs_cdev_mem_lock);
		m->map_ops->unmap_dmb(m->hold);
		module_put(m->map_ops->owner);
		kfree(m);
		return;
	}
	if (dibs) {
		mutex_lock(&dibs_devs_lock);
		if (dibs->registered) {
			ret = dibs->ops->detach_dmb(dibs, m->token);
			if (ret)
				dev_warn(&dibs->dev,
					 "detaching DMB 0x%016llx: %d\n",
					 m->token, ret);
		}
		mutex_unlock(&dibs_devs_lock);
		put_device(&dibs->dev);
	}
	folio_put(m->folio);
	kfree(m);
}

static int dibs_cdev_release(struct inode *inode, struct file *file)
{
	struct dibs_cdev_file *f = file->private_data;
	struct dibs_cdev_map *m;
	unsigned long id;

	/* Prepared and never mapped: nobody else can reach them now. */
	xa_for_each(&f->maps, id, m)
		dibs_cdev_map_put(m);
	xa_destroy(&f->maps);
	dibs_watchq_free(f->watchq);
	put_net(f->net);
	mutex_destroy(&f->buf_lock);
	kvfree(f->buf);
	kfree(f);
	return 0;
}

/* A write's source: the caller's bytes, through f->buf. */
struct dibs_cdev_src {
	struct dibs_dmb_wr wr;
	struct dibs_cdev_file *f;
	const u8 __user *data;
};

/* The next piece: up to DIBS_CDEV_PIECE bytes, copied into f->buf. */
static int dibs_cdev_next(struct dibs_dmb_wr *wr, u32 done, void **data,
			  u32 *n)
{
	struct dibs_cdev_src *src = container_of(wr, struct dibs_cdev_src, wr);

	if (done && signal_pending(current))
		return -EINTR;
	*n = min_t(u32, wr->len - done, DIBS_CDEV_PIECE);
	if (copy_from_user(src->f->buf, src->data + done, *n))
		return -EFAULT;
	*data = src->f->buf;
	return 0;
}

static int dibs_cdev_write(struct dibs_cdev_file *f,
			   const struct dibs_dmb_write *req)
{
	struct dibs_cdev_src src = {
		.wr = {
			.net = f->net,
			.dev_index = req->dev_index,
			.dev_name = req->dev_name,
			.token = req->token,
			.offset = req->offset,
			.len = req->len,
			.signal = req->flags & DIBS_DMB_WRITE_SIGNAL,
			.signal_idx = req->signal_idx,
			.next = dibs_cdev_next,
		},
		.f = f,
		.data = u64_to_user_ptr(req->data),
	};

	return dibs_dmb_write(&src.wr);
}

/* As __netlink_ns_capable() for GENL_ADMIN_PERM: opener and caller. */
static bool dibs_cdev_may_write(struct file *file)
{
	return file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN) &&
	       capable(CAP_NET_ADMIN);
}

/*
 * A request names its device by a non-zero index, or else by a name that
 * ends within the array: false for neither.
 */
static bool dibs_cdev_dev_ref_ok(u32 index, const char name[DIBS_DEV_NAME_MAX])
{
	return index || memchr(name, '\0', DIBS_DEV_NAME_MAX);
}

/* The device @index (or @name) in @net, if registered; dibs_devs_lock held. */
struct dibs_dev *dibs_cdev_dev(struct net *net, u32 index, const char *name)
{
	struct dibs_dev *dibs;

	lockdep_assert_held(&dibs_devs_lock);
	dibs = index ? dibs_dev_find_index(index) : dibs_dev_find_name(name);
	if (!dibs || !dibs->registered || !net_eq(dibs_dev_net(dibs), net))
		return NULL;
	return dibs;
}

/*
 * DMB @m->token in memory of @dibs's own: the driver's hold on it, with
 * its module pinned; dibs_devs_lock held.
 */
static int dibs_cdev_map_dev(struct dibs_dev *dibs, struct dibs_cdev_map *m,
			     bool remote)
{
	const struct dibs_dev_map_ops *map_ops = dibs->map_ops;
	u32 len;
	int ret;

	if (!map_ops)
		return -EOPNOTSUPP;
	if (!try_module_get(map_ops->owner))
		return -ENODEV;
	ret = map_ops->map_dmb(dibs, m->token, remote, &m->pfn, &len, &m->hold);
	if (ret) {
		module_put(map_ops->owner);
		return ret;
	}
	m->map_ops = map_ops;
	m->len = len;
	/* @dibs is registered: dibs_cdev_dev_del() has not run for it. */
	m->mem_dev = dibs;
	mutex_lock(&dibs_cdev_mem_lock);
	list_add(&m->mem_node, &dibs_cdev_mem_maps);
	mutex_unlock(&dibs_cdev_mem_lock);
	return 0;
}

/*
 * @dibs is being deleted: its memory goes away once its driver's remove
 * goes on. Its records are marked gone, so that mmap() refuses them and a
 * fault raises SIGBUS, and the pages of those mapped are zapped from every
 * process. Called by dibs_dev_del() under dibs_devs_lock, after @dibs left
 * the registry, so no record of it is added after this.
 */
void dibs_cdev_dev_del(struct dibs_dev *dibs)
{
	struct dibs_cdev_map *m, *tmp;

	lockdep_assert_held(&dibs_devs_lock);
	mutex_lock(&dibs_cdev_mem_lock);
	list_for_each_entry_safe(m, tmp, &dibs_cdev_mem_maps, mem_node) {
		if (m->mem_dev != dibs)
			continue;
		list_del(&m->mem_node);
		m->mem_dev = NULL;
		if (m->mapping)
			unmap_mapping_pages(m->mapping,
					    dibs_cdev_key_pgoff(m->key),
					    dibs_cdev_map_pages(m), false);
	}
	mutex_unlock(&dibs_cdev_mem_lock);
}

/*
 * Attach remote DMB @m->token to writer @dibs and take a reference on its
 * buffer; dibs_devs_lock held.
 */
static int dibs_cdev_attach(struct dibs_dev *dibs, struct dibs_cdev_map *m)
{
	const struct dibs_dev_ops *ops = dibs->ops;
	struct dibs_dmb dmb = { .dmb_tok = m->token };
	struct folio *folio;
	int ret;

	if ((!dibs->soft_type && !dibs->map_ops) ||
	    !ops->support_mmapped_rdmb || !ops->support_mmapped_rdmb(dibs))
		return -EOPNOTSUPP;
	if (!READ_ONCE(dibs->up))
		return -ENETDOWN;
	if (!dibs->soft_type)
		return dibs_cdev_map_dev(dibs, m, true);
	ret = ops->attach_dmb(dibs, &dmb);
	if (ret)
		return ret;
	/* A soft device's buffer is one folio of its own (dibs_dmb_buf.h). */
	folio = virt_to_folio(dmb.cpu_addr);
	if (WARN_ON_ONCE(folio_address(folio) != dmb.cpu_addr ||
			 folio_size(folio) < dmb.dmb_len)) {
		ops->detach_dmb(dibs, m->token);
		return -EOPNOTSUPP;
	}
	folio_get(folio);
	m->folio = folio;
	m->len = dmb.dmb_len;
	m->dibs = dibs;
	get_device(&dibs->dev);
	return 0;
}

static int dibs_cdev_map_prepare(struct dibs_cdev_file *f,
				 struct dibs_dmb_map __user *uarg)
{
	struct dibs_dmb_map req;
	struct dibs_cdev_map *m;
	struct dibs_dev *dibs;
	u32 id;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~DIBS_DMB_MAP_REMOTE || req.pad)
		return -EINVAL;
	if (!dibs_cdev_dev_ref_ok(req.dev_index, req.dev_name))
		return -EINVAL;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	refcount_set(&m->refs, 1);
	m->token = req.token;

	mutex_lock(&dibs_devs_lock);
	dibs = dibs_cdev_dev(f->net, req.dev_index, req.dev_name);
	if (!dibs)
		ret = -ENODEV;
	else if (req.flags & DIBS_DMB_MAP_REMOTE)
		ret = dibs_cdev_attach(dibs, m);
	else
		ret = dibs_uclient_map(dibs, req.token, &m->folio, &m->len);
	if (!ret && !m->folio && !m->map_ops)
		ret = dibs_cdev_map_dev(dibs, m, false);
	mutex_unlock(&dibs_devs_lock);
	if (ret) {
		kfree(m);
		return ret;
	}

	ret = xa_alloc(&f->maps, &id, m,
		       XA_LIMIT(1, DIBS_DMB_MAP_PENDING_MAX), GFP_KERNEL);
	if (ret) {
		dibs_cdev_map_put(m);
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	req.offset = (u64)id << PAGE_SHIFT;
	req.len = m->len;
	if (copy_to_user(uarg, &req, sizeof(req))) {
		/* Still ours unless a racing mmap() guessed the id. */
		m = xa_erase(&f->maps, id);
		if (m)
			dibs_cdev_map_put(m);
		return -EFAULT;
	}
	return 0;
}

static int dibs_cdev_signal(struct dibs_cdev_file *f,
			    const struct dibs_dmb_signal __user *uarg)
{
	struct dibs_dmb_signal req;
	unsigned long mask;
	unsigned int bit;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!req.mask || req.mask >> (DIBS_SIGNAL_IDX_MAX + 1))
		return -EINVAL;
	if (!dibs_cdev_dev_ref_ok(req.dev_index, req.dev_name))
		return -EINVAL;
	/* The caller's stores through a mapping before the signal. */
	smp_mb();
	mask = req.mask;
	for_each_set_bit(bit, &mask, DIBS_SIGNAL_IDX_MAX + 1) {
		ret = dibs_dev_move(f->net, req.dev_index, req.dev_name,
				    req.token, bit, true, 0, f->buf, 0);
		if (ret)
			return ret;
	}
	return 0;
}

/* DIBS_IOC_DMB_WATCH and DIBS_IOC_DMB_UNWATCH */
static int dibs_cdev_watch(struct dibs_cdev_file *f, unsigned int cmd,
			   const struct dibs_dmb_watch __user *uarg)
{
	struct dibs_dmb_watch req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags)
		return -EINVAL;
	if (!dibs_cdev_dev_ref_ok(req.dev_index, req.dev_name))
		return -EINVAL;
	if (cmd == DIBS_IOC_DMB_WATCH)
		return dibs_watch_add(f->watchq, f->net, req.dev_index,
				      req.dev_name, req.token);
	return dibs_watch_del(f->watchq, f->net, req.dev_index, req.dev_name,
			      req.token);
}

static long dibs_cdev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct dibs_cdev_file *f = file->private_data;
	struct dibs_dmb_write req;
	int ret;

	switch (cmd) {
	case DIBS_IOC_DMB_WRITE:
	case DIBS_IOC_DMB_MAP:
	case DIBS_IOC_DMB_SIGNAL:
	case DIBS_IOC_DMB_WATCH:
	case DIBS_IOC_DMB_UNWATCH:
		break;
	default:
		return -ENOTTY;
	}
	if (!dibs_cdev_may_write(file))
		return -EPERM;
	if (cmd == DIBS_IOC_DMB_MAP)
		return dibs_cdev_map_prepare(f, (void __user *)arg);
	if (cmd == DIBS_IOC_DMB_SIGNAL)
		return dibs_cdev_signal(f, (void __user *)arg);
	if (cmd == DIBS_IOC_DMB_WATCH || cmd == DIBS_IOC_DMB_UNWATCH)
		return dibs_cdev_watch(f, cmd, (void __user *)arg);
	if (copy_from_user(&req, (void __user *)arg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~DIBS_DMB_WRITE_SIGNAL || req.pad)
		return -EINVAL;
	if (!(req.flags & DIBS_DMB_WRITE_SIGNAL))
		req.signal_idx = 0;
	else if (req.signal_idx > DIBS_SIGNAL_IDX_MAX)
		return -EINVAL;
	if (!dibs_cdev_dev_ref_ok(req.dev_index, req.dev_name))
		return -EINVAL;

	if (mutex_lock_interruptible(&f->buf_lock))
		return -EINTR;
	ret = dibs_cdev_write(f, &req);
	mutex_unlock(&f->buf_lock);
	return ret;
}

static void dibs_cdev_vm_open(struct vm_area_struct *vma)
{
	struct dibs_cdev_map *m = vma->vm_private_data;

	refcount_inc(&m->refs);
}

static void dibs_cdev_vm_close(struct vm_area_struct *vma)
{
	dibs_cdev_map_put(vma->vm_private_data);
}

/*
 * Device memory: insert the page at fault time while its device is there;
 * once it is gone (or for a soft device's mapping, which mmap() filled
 * whole and nothing zaps), SIGBUS.
 */
static vm_fault_t dibs_cdev_vm_fault(struct vm_fault *vmf)
{
	struct dibs_cdev_map *m = vmf->vma->vm_private_data;
	pgoff_t i = vmf->pgoff - dibs_cdev_key_pgoff(m->key);
	vm_fault_t ret = VM_FAULT_SIGBUS;

	if (!m->map_ops)
		return ret;
	mutex_lock(&dibs_cdev_mem_lock);
	if (m->mem_dev && i < dibs_cdev_map_pages(m))
		ret = vmf_insert_pfn(vmf->vma, vmf->address, m->pfn + i);
	mutex_unlock(&dibs_cdev_mem_lock);
	return ret;
}

static const struct vm_operations_struct dibs_cdev_vm_ops = {
	.open	= dibs_cdev_vm_open,
	.close	= dibs_cdev_vm_close,
	.fault	= dibs_cdev_vm_fault,
};

/* Device memory: filled by faults, while the device is registered. */
static int dibs_cdev_mmap_mem(struct file *file, struct vm_area_struct *vma,
			      struct dibs_cdev_map *m)
{
	int ret = -ENODEV;

	/* What remap_pfn_range() would set. */
	dibs_vm_flags_set(vma, VM_IO | VM_PFNMAP);
	mutex_lock(&dibs_cdev_mem_lock);
	if (m->mem_dev) {
		m->mapping = file->f_mapping;
		ret = 0;
	}
	mutex_unlock(&dibs_cdev_mem_lock);
	return ret;
}

/*
 * Map what DIBS_IOC_DMB_MAP prepared under the id vm_pgoff. The whole
 * buffer from its start, shared; the permission to map is the ioctl's.
 * vm_pgoff then becomes the mapping's own page range (see the top).
 */
static int dibs_cdev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct dibs_cdev_file *f = file->private_data;
	unsigned long size = vma->vm_end - vma->vm_start;
	struct dibs_cdev_map *m;
	int ret;

	if (!dibs_cdev_may_write(file))
		return -EPERM;
	if (!(vma->vm_flags & VM_SHARED) || vma->vm_pgoff > U32_MAX)
		return -EINVAL;
	m = xa_erase(&f->maps, vma->vm_pgoff);
	if (!m)
		return -EINVAL;
	if (size > PAGE_ALIGN((u64)m->len)) {
		ret = -EINVAL;
		goto err_put;
	}
	ret = ida_alloc_range(&dibs_cdev_keys, 1, DIBS_CDEV_KEY_MAX,
			      GFP_KERNEL);
	if (ret < 0)
		goto err_put;
	m->key = ret;
	vma->vm_pgoff = dibs_cdev_key_pgoff(m->key);
	/* Not in a child (fork), never grown (mremap), never in a core. */
	dibs_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);
	/*
	 * vm_page_prot as mmap() made it: cacheable. A device's own memory
	 * is mapped so too, as its driver maps it (dibs_ivshmem: BAR2 is RAM
	 * of the host, memremap() write-back); an uncached user alias of
	 * memory the kernel maps write-back would be wrong: x86's PAT
	 * refuses a conflicting remap_pfn_range(), and vmf_insert_pfn() of a
	 * device's page takes the type its driver's memremap() reserved.
	 */
	if (m->map_ops)
		ret = dibs_cdev_mmap_mem(file, vma, m);
	else
		ret = remap_pfn_range(vma, vma->vm_start, folio_pfn(m->folio),
				      size, vma->vm_page_prot);
	if (ret)
		goto err_put;
	vma->vm_private_data = m;
	vma->vm_ops = &dibs_cdev_vm_ops;
	return 0;

err_put:
	dibs_cdev_map_put(m);
	return ret;
}

/*
 * Signals of the watched DMBs. Reading takes no capability check of its
 * own: the watch was set up by an ioctl that passed one, as a netlink
 * socket that joined a group goes on receiving.
 */
static ssize_t dibs_cdev_read(struct file *file, char __user *buf,
			      size_t len, loff_t *ppos)
{
	struct dibs_cdev_file *f = file->private_data;

	return dibs_watchq_read(f->watchq, buf, len,
				file->f_flags & O_NONBLOCK);
}

static __poll_t dibs_cdev_poll(struct file *file, poll_table *pt)
{
	struct dibs_cdev_file *f = file->private_data;

	return dibs_watchq_poll(f->watchq, file, pt);
}

static const struct file_operations dibs_cdev_fops = {
	.owner		= THIS_MODULE,	/* an open file pins the module */
	.open		= dibs_cdev_open,
	.release	= dibs_cdev_release,
	.read		= dibs_cdev_read,
	.poll		= dibs_cdev_poll,
	.mmap		= dibs_cdev_mmap,
	.unlocked_ioctl	= dibs_cdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice dibs_cdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= DIBS_CDEV_NAME,
	.fops	= &dibs_cdev_fops,
	.mode	= 0600,
};

int dibs_cdev_init(void)
{
	return misc_register(&dibs_cdev);
}

void dibs_cdev_exit(void)
{
	misc_deregister(&dibs_cdev);
	/* Empty: a mapping or an open file pins this module. */
	WARN_ON(!list_empty(&dibs_cdev_mem_maps));
	ida_destroy(&dibs_cdev_keys);
}
