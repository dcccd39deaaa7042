#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the raw numbers of bench/driver.sh into results.json.

    report.py OUTDIR
    report.py --pair OUTDIR    the cross-VM figures (bench/ivshmem-pair.bats)
    report.py --blk OUTDIR     the block figures alone (driver.sh --blk)

Reads OUTDIR/raw.txt ("NAME REP VALUE", "param NAME VALUE") and the slab
and meminfo snapshots (slab.R.before/after, meminfo.R.before/after), writes
OUTDIR/results.json and prints the ratio table. Every ratio is computed per
repetition from two numbers measured side by side, then summarised as
min/median/max; "raw" keeps the numbers it came from.
"""
import json
import math
import os
import statistics
import sys


def load_raw(path):
    params, series = {}, {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "param":
                params[parts[1]] = " ".join(parts[2:])
                continue
            name, rep, value = parts[0], int(parts[1]), float(parts[2])
            series.setdefault(name, {})[rep] = value
    return params, series


def slab_bytes(path):
    """Bytes in use per cache: active objects times object size."""
    caches = {}
    with open(path) as f:
        for line in f:
            if line.startswith(("slabinfo", "#")):
                continue
            p = line.split()
            caches[p[0]] = int(p[1]) * int(p[3])
    return caches


def meminfo_kib(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def slab_per_dmb(out, tag, label, device, n, buf):
    """Slab bytes per DMB beyond its buffer on DEVICE (LABEL in the
    figure's name), from slabTAG.R.before/after (and meminfoTAG.R.*) of
    driver.sh's slab_snapshot.

    The buffers are whole pages (one folio each, not slab), so they are
    not in this figure; a kmalloc cache of the buffer's size, which nothing
    else per DMB uses, is still reported apart and left out, so the figure
    means the same as when the buffers were kvzalloc(BUF).
    """
    bufcache = "kmalloc-%s" % (
        "%dk" % (buf // 1024) if buf % 1024 == 0 else str(buf))
    per_rep, vmalloc, bufs, caches = {}, {}, {}, {}
    r = 1
    while os.path.exists(os.path.join(out, "slab%s.%d.after" % (tag, r))):
        snap = "%s.%d." % (tag, r)
        before = slab_bytes(os.path.join(out, "slab" + snap + "before"))
        after = slab_bytes(os.path.join(out, "slab" + snap + "after"))
        delta = {k: after.get(k, 0) - before.get(k, 0)
                 for k in set(before) | set(after)}
        bufs[r] = (delta.pop(bufcache, 0) +
                   delta.pop(bufcache.replace("-", "-cg-", 1), 0)) / n
        per_rep[r] = sum(delta.values()) / n
        vmalloc[r] = 1024 * (
            meminfo_kib(os.path.join(out, "meminfo" + snap + "after"),
                        "VmallocUsed") -
            meminfo_kib(os.path.join(out, "meminfo" + snap + "before"),
                        "VmallocUsed")) / n
        for k, v in delta.items():
            if abs(v) >= n:	# a byte per DMB or more
                caches.setdefault(k, []).append(v / n)
        r += 1
    return ratio(
        "memory, kernel (%s)" % label,
        "slab bytes per DMB beyond its %d-byte buffer (active objects x "
        "object size in /proc/slabinfo, caches shrunk, before/after %d "
        "dmb-grants on %s; the buffers' own cache %s left out)"
        % (buf, n, device, bufcache),
        "<=", 256, "bytes",
        per_rep,
        {"slab_bytes_per_dmb_by_cache": {
            k: statistics.median(v) for k, v in sorted(caches.items())},
         "buffer_cache": bufcache,
         "buffer_cache_bytes_per_dmb": [bufs[r] for r in sorted(bufs)],
         "vmalloc_bytes_per_dmb": [vmalloc[r] for r in sorted(vmalloc)],
         "not_counted": "kmalloc allocations above 8 KiB come from the page "
                        "allocator, not a slab: rhashtable bucket tables "
                        "once they grow past 1024 buckets"})


def summary(values):
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
    }


def met(op, target, value):
    if op == "<=":
        return value <= target
    return value >= target


def ratio(what, measured_as, op, target, unit, per_rep, raw):
    values = [per_rep[r] for r in sorted(per_rep)]
    entry = {"what": what, "measured_as": measured_as, "unit": unit}
    entry.update(summary(values))
    entry["reps"] = values
    entry["target"] = None if target is None else {"op": op, "value": target}
    entry["met"] = None if target is None else met(op, target, entry["median"])
    entry["raw"] = raw
    return entry


def paired(series, num, den, scale=1.0):
    """Per repetition: scale * num / den, over the reps both have."""
    a, b = series[num], series[den]
    reps = sorted(set(a) & set(b))
    if not reps:
        raise ValueError("no repetitions of %s and %s" % (num, den))
    return {r: scale * a[r] / b[r] for r in reps}


def rawof(series, *names):
    return {n: [series[n][r] for r in sorted(series[n])] for n in names}


KRAW = ("move_ns", "memcpy_ns", "move_min_ns", "memcpy_min_ns",
        "move_mean_ns", "memcpy_mean_ns")


def kernel_data(s, dev, what, kib, count, move):
    """memcpy / move_data of the test client's bench (kdata.DEV.*)."""
    return ratio(
        what,
        "median time of one in-kernel memcpy of %d KiB / median time of "
        "one %s of %d KiB via the test client; %s of each, "
        "interleaved one by one" % (kib, move, kib, count),
        ">=", 0.8, "ratio",
        paired(s, "kdata.%s.memcpy_ns" % dev, "kdata.%s.move_ns" % dev),
        rawof(s, *["kdata.%s.%s" % (dev, k) for k in KRAW
                   if "kdata.%s.%s" % (dev, k) in s]))


def check_finite(ratios):
    for k, e in ratios.items():
        for f in ("min", "median", "max"):
            if not math.isfinite(e[f]) or e[f] <= 0:
                raise SystemExit("report: %s %s is %r" % (k, f, e[f]))


def write(out, result):
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=False)
        f.write("\n")
    print(table(result))


def pair_main(out):
    """The cross-VM figures of bench/ivshmem-pair.bats (guest B's raw)."""
    params, s = load_raw(os.path.join(out, "raw.txt"))
    ratios = {}
    for size in sorted((int(n) for n in params["sizes"].split(",")),
                       reverse=True):
        kib = size // 1024
        ratios["cross_vm_data_%dk" % kib] = kernel_data(
            s, "ivs_%d" % size,
            "cross-VM data path, ivshmem, %d KiB" % kib, kib,
            params["DATA_KN"],
            "move_data from guest B into guest A's DMB (the shared region)")
    xraw = rawof(s, *[n for n in ("xsignal.ping_ns", "xsignal.rtt_ns",
                                  "xsignal.ping_min_ns", "xsignal.rtt_min_ns",
                                  "xsignal.ping_mean_ns") if n in s])
    legs = ("median of single round trips B -> A -> B (B's write with a "
            "signal into A's DMB, A's `nlbench echo` answers with a write "
            "with a signal into B's DMB, until B sees it; both sides watch "
            "their DMB on /dev/dibs) / ")
    # Issue 16's form: a round trip has two writes, one in each guest, so
    # it is held against two genl round trips (the median of one, timed
    # before each ping, doubled).
    ratios["cross_vm_signal_rtt_vs_2rtt"] = ratio(
        "cross-VM signal round trip",
        legs + "twice the median of one bare genl round trip in B, timed "
        "before each; %s of each per repetition" % params["PING_N"],
        "<=", 3.0, "ratio",
        paired(s, "xsignal.ping_ns", "xsignal.rtt_ns", 0.5), xraw)
    # The same with both sides waiting for the "signal" notification, as
    # before the watch existed: no target.
    if "xsignal_nl.ping_ns" in s:
        ratios["cross_vm_signal_rtt_vs_2rtt_netlink"] = ratio(
            "cross-VM signal round trip, by notification",
            legs.replace("until B sees it; both sides watch their DMB on "
                         "/dev/dibs", "until B's notification; both sides "
                         "wait for the `signal` notification") +
            "twice the median of one bare genl round trip in B, timed "
            "before each; %s of each per repetition" % params["PING_N"],
            None, None, "ratio",
            paired(s, "xsignal_nl.ping_ns", "xsignal_nl.rtt_ns", 0.5),
            rawof(s, "xsignal_nl.ping_ns", "xsignal_nl.rtt_ns"))
    # The stricter form, against one round trip: no target.
    ratios["cross_vm_signal_rtt_vs_rtt"] = ratio(
        "cross-VM signal round trip, against one genl round trip",
        legs + "median of one bare genl round trip in B, timed before "
        "each; %s of each per repetition" % params["PING_N"],
        None, None, "ratio",
        paired(s, "xsignal.ping_ns", "xsignal.rtt_ns"), xraw)
    check_finite(ratios)
    write(out, {"params": params, "ratios": ratios})


def blk_ratios(params, s):
    """dibs-blk against nbd-server over TCP (bench/blk.bash)."""
    ratios = {}
    for job, what, target in [
            ("seqread", "sequential 1 MiB reads", 1.0),
            ("seqwrite", "sequential 1 MiB writes", 1.0),
            ("randread", "random 4 KiB reads", None)]:
        ratios["blk_%s_vs_nbd_tcp" % job] = ratio(
            "dibs-blk vs NBD over TCP: " + what,
            "bytes/s of dibs-blk (two sim devices, /dev/nbd0) / bytes/s of "
            "Debian's nbd-server over TCP loopback with nbd-client "
            "(/dev/nbd1), both exporting one file; fio, libaio, O_DIRECT, "
            "queue depth %s, jobs of %s s over a %s MiB file; the order "
            "swapped every repetition%s"
            % (params["BLK_QD"], params["BLK_SECS"], params["BLK_MB"],
               "" if target else "; informative, no target"),
            ">=", target, "ratio",
            paired(s, "blk.dibs.%s_bps" % job, "blk.nbd.%s_bps" % job),
            rawof(s, "blk.dibs.%s_bps" % job, "blk.nbd.%s_bps" % job))
    return ratios


def blk_main(out):
    """The block part alone (driver.sh --blk)."""
    params, s = load_raw(os.path.join(out, "raw.txt"))
    ratios = blk_ratios(params, s)
    check_finite(ratios)
    write(out, {"params": params, "ratios": ratios})


def main():
    if sys.argv[1] == "--pair":
        pair_main(sys.argv[2])
        return
    if sys.argv[1] == "--blk":
        blk_main(sys.argv[2])
        return
    out = sys.argv[1]
    params, s = load_raw(os.path.join(out, "raw.txt"))
    ratios = {}

    # dump scaling
    counts = sorted(int(c) for c in params["dump_counts"].split(","))
    lo, hi = counts[0], counts[-1]
    per_dmb = {
        n: {r: v / n for r, v in s["dump.%d.ns" % n].items()} for n in counts
    }
    ratios["dump_scaling"] = ratio(
        "dump scaling",
        "per-DMB time of `dibsctl -j dmb show` at %d DMBs / at %d DMBs"
        % (hi, lo),
        "<=", 1.3, "ratio",
        {r: per_dmb[hi][r] / per_dmb[lo][r]
         for r in per_dmb[hi] if r in per_dmb[lo]},
        rawof(s, "dump.%d.ns" % lo, "dump.%d.ns" % hi))
    curve = []
    for n in counts:
        v = list(per_dmb[n].values())
        c = {"dmbs": n, "unit": "ns per DMB"}
        c.update(summary(v))
        c["raw_ns"] = [s["dump.%d.ns" % n][r]
                       for r in sorted(s["dump.%d.ns" % n])]
        c["rss_kib"] = [s["dump.%d.rss_kib" % n][r]
                        for r in sorted(s["dump.%d.rss_kib" % n])]
        curve.append(c)

    ndev = params["DEVS_N"]
    ratios["dev_show_vs_ip"] = ratio(
        "dibsctl vs iproute2",
        "`dibsctl -j dev show` over %s sim devices / `ip -j link show` over "
        "%s dummy links (whole process, wall)" % (ndev, ndev),
        "<=", 1.0, "ratio",
        paired(s, "devshow.dibsctl_ns", "devshow.ip_ns"),
        rawof(s, "devshow.dibsctl_ns", "devshow.ip_ns"))

    ratios["op_vs_rtt"] = ratio(
        "op cost vs the floor",
        "median of single dmb-grant + dmb-revoke pairs through libdibsnl / "
        "median of single bare genl round trips (CTRL_CMD_GETFAMILY + ack "
        "over libmnl); %s of each, interleaved one by one in one process "
        "(`nlbench op-vs-rtt`)" % params["OP_N"],
        "<=", 3.0, "ratio",
        paired(s, "op.pair_ns", "op.rtt_ns"),
        rawof(s, *[n for n in ("op.pair_ns", "op.rtt_ns", "op.pair_min_ns",
                               "op.rtt_min_ns", "op.pair_mean_ns",
                               "op.rtt_mean_ns") if n in s]))

    ratios["batch_vs_rtt"] = ratio(
        "batch grants",
        "%s `dmb grant` lines through `dibsctl -b` (whole process) / %s bare "
        "genl round trips" % (params["BATCH_N"], params["BATCH_N"]),
        "<=", 4.0, "ratio",
        paired(s, "batch.dibsctl_ns", "batch.rtt_ns"),
        rawof(s, "batch.dibsctl_ns", "batch.rtt_ns"))

    size = int(params["DATA_LEN"]) // 1024
    uraw = ("write_ns", "write_mean_ns", "write_min_ns")
    for dev, label in (("lo", "loopback"), ("sim", "sim")):
        ratios["kernel_data_" + label] = kernel_data(
            s, dev, "in-kernel data path, " + label, size, params["DATA_KN"],
            "move_data")
    for dev, label in (("lo", "loopback"), ("sim", "sim")):
        ratios["user_data_" + label] = ratio(
            "userspace data path, " + label,
            "median time of one in-kernel memcpy of %d KiB / median time of "
            "one dmb-write of %d KiB through libdibsnl, which takes "
            "/dev/dibs (%s writes)"
            % (size, size, params["DATA_UN"]),
            ">=", 0.3, "ratio",
            paired(s, "kdata.%s.memcpy_ns" % dev, "udata.%s.write_ns" % dev),
            rawof(s, *["udata.%s.%s" % (dev, k) for k in uraw
                       if "udata.%s.%s" % (dev, k) in s] +
                  ["kdata.%s.memcpy_ns" % dev]))
    mraw = ("write_ns", "write_min_ns", "signal_ns",
            "read_ns", "read_min_ns")
    for dev, label in (("lo", "loopback"), ("sim", "sim")):
        ratios["user_mmap_" + label] = ratio(
            "userspace write through a mapped DMB, " + label,
            "median time of one in-kernel memcpy of %d KiB / median time of "
            "one memcpy of %d KiB into the writer's mapping of the remote "
            "DMB (dibsnl_dmb_map, %s writes)"
            % (size, size, params["DATA_KN"]),
            ">=", 0.9, "ratio",
            paired(s, "kdata.%s.memcpy_ns" % dev, "mdata.%s.write_ns" % dev),
            rawof(s, *["mdata.%s.%s" % (dev, k) for k in mraw
                       if "mdata.%s.%s" % (dev, k) in s] +
                  ["kdata.%s.memcpy_ns" % dev]))
        ratios["user_mmap_words_" + label] = ratio(
            "userspace write through a mapped DMB in 8-byte words, " + label,
            "median time of one in-kernel memcpy of %d KiB / median time of "
            "one copy of %d KiB into the writer's mapping in plain 8-byte "
            "loads and stores, 32 bytes a step: the loop of the kernel's "
            "memcpy on the VM's CPU (qemu64: no FSRM), so the ratio is the "
            "mapping's own cost; glibc's memcpy there is SSE2, which TCG "
            "runs at about half that speed" % (size, size),
            ">=", 0.9, "ratio",
            paired(s, "kdata.%s.memcpy_ns" % dev,
                   "mdata.%s.write_words_ns" % dev),
            rawof(s, "mdata.%s.write_words_ns" % dev,
                  "kdata.%s.memcpy_ns" % dev))
    ratios["user_mmap_read_loopback"] = ratio(
        "the owner reading through its mapping, loopback",
        "median time of one in-kernel memcpy of %d KiB / median time of one "
        "memcpy of %d KiB out of the owner's mapping of its DMB; "
        "informative, no target" % (size, size),
        None, None, "ratio",
        paired(s, "kdata.lo.memcpy_ns", "mdata.lo.read_ns"),
        rawof(s, "mdata.lo.read_ns", "mdata.lo.read_min_ns",
              "kdata.lo.memcpy_ns"))
    ratios["user_data_sim_netlink"] = ratio(
        "userspace data path, sim, over netlink",
        "median time of one in-kernel memcpy of %d KiB / median time of "
        "one dmb-write of %d KiB through libdibsnl with "
        "DIBSNL_DATA_PATH=netlink (%s writes): the netlink op, for "
        "comparison; no target" % (size, size, params["DATA_UN"]),
        None, None, "ratio",
        paired(s, "kdata.sim.memcpy_ns", "udata.sim_nl.write_ns"),
        rawof(s, *["udata.sim_nl.%s" % k for k in uraw
                   if "udata.sim_nl.%s" % k in s] + ["kdata.sim.memcpy_ns"]))
    ratios["user_data_floor"] = ratio(
        "userspace data path, the floor of one request per write",
        "median time of one in-kernel memcpy of %d KiB / median time of one "
        "dmb-write of no data on sim through libdibsnl (%s writes): the best "
        "user_data ratio a design sending one request per %d KiB could "
        "reach on this machine; informative, no target"
        % (size, params["OP_N"], size),
        None, None, "ratio",
        paired(s, "kdata.sim.memcpy_ns", "udata.sim.write0_ns"),
        rawof(s, "udata.sim.write0_ns", "kdata.sim.memcpy_ns"))

    for p, target in (("p50", 2.0), ("p99", None)):
        ratios["signal_%s_vs_rtt" % p] = ratio(
            "signal latency " + p,
            "write-with-signal until the owner's read of its watch on "
            "/dev/dibs returns it, %s of %s (sim) / median of one genl round "
            "trip, timed before each signal" % (p, params["SIG_N"]),
            "<=", target, "ratio",
            paired(s, "signal.%s_ns" % p, "signal.rtt_ns"),
            rawof(s, "signal.%s_ns" % p, "signal.rtt_ns"))
    # The same through the "signal" notification: informative, no target.
    if "signal_nl.p50_ns" in s:
        ratios["signal_netlink_p50_vs_rtt"] = ratio(
            "signal latency p50, by notification",
            "write-with-signal to `signal` notification received, p50 of %s "
            "(sim) / median of one genl round trip, timed before each "
            "signal" % params["SIG_N"],
            None, None, "ratio",
            paired(s, "signal_nl.p50_ns", "signal_nl.rtt_ns"),
            rawof(s, "signal_nl.p50_ns", "signal_nl.rtt_ns"))

    # console over dibs (bench/console.bash, bench/conbench)
    ratios["console_echo_vs_signal_rtt"] = ratio(
        "console echo round trip",
        "median of single 1-byte round trips through the console (the "
        "server writes the byte into S2C, dibs_console hands it to the "
        "tty, a raw-mode program writes it back, dibs_console moves it "
        "into C2S, until the server has it) / median of single signal "
        "round trips between the same two sim devices (a signal from the "
        "server's device, answered by a process on the console's device "
        "with a signal back); %s of each, interleaved one by one"
        % params["CON_ECHO_N"],
        "<=", 3.0, "ratio",
        paired(s, "con.echo_ns", "con.sigrtt_ns"),
        rawof(s, *[n for n in ("con.echo_ns", "con.sigrtt_ns",
                               "con.echo_min_ns", "con.sigrtt_min_ns",
                               "con.echo_mean_ns", "con.sigrtt_mean_ns")
                   if n in s]))
    ratios["console_bulk_vs_pty"] = ratio(
        "console bulk throughput",
        "throughput of %s bytes written to the console's tty (raw) and "
        "read by the server from C2S / throughput of the same bytes "
        "through a local pty pair (written to the slave, read from the "
        "master); the same writer, medians of %s transfers of each, "
        "interleaved" % (params["CON_BULK_BYTES"], params["CON_BULK_N"]),
        ">=", 0.5, "ratio",
        paired(s, "con.bulk_pty_ns", "con.bulk_console_ns"),
        rawof(s, *[n for n in ("con.bulk_console_ns", "con.bulk_pty_ns",
                               "con.bulk_console_min_ns",
                               "con.bulk_pty_min_ns") if n in s]))

    # memory: slab bytes per DMB beyond its buffer, on sim and on loopback
    n = int(params["MEM_N"])
    n_lo = int(params.get("MEM_LO_N", 0))
    buf = int(params["MEM_LEN"])
    ratios["kernel_bytes_per_dmb"] = slab_per_dmb(
        out, "", "sim", "sim", n, buf)
    if n_lo:
        ratios["kernel_bytes_per_dmb_loopback"] = slab_per_dmb(
            out, ".lo", "loopback", "a loopback device", n_lo, buf)

    rss = s["dump.%d.rss_kib" % hi]
    # dibs-blk vs nbd-server over TCP (bench/blk.bash; not in --smoke)
    if "BLK_MB" in params:
        ratios.update(blk_ratios(params, s))

    ratios["dibsctl_rss"] = ratio(
        "memory, dibsctl",
        "peak RSS of `dibsctl -j dmb show` dumping %d DMBs" % hi,
        "<=", 8.0, "MiB",
        {r: v / 1024 for r, v in rss.items()},
        rawof(s, "dump.%d.rss_kib" % hi))

    check_finite(ratios)
    write(out, {
        "params": params,
        "ratios": ratios,
        "dump_curve": curve,
        "dump_empty_ns": [s["dump.0.ns"][r] for r in sorted(s["dump.0.ns"])],
    })


def fmt(v):
    return "%.3g" % v if v < 1000 else "%.0f" % v


def table(result):
    w = max([30] + [len(k) for k in result["ratios"]])
    lines = ["%-*s %9s %9s %9s  %-8s %s" %
             (w, "ratio", "min", "median", "max", "target", "met")]
    for k, e in result["ratios"].items():
        t = e["target"]
        lines.append("%-*s %9s %9s %9s  %-8s %s" % (
            w, k, fmt(e["min"]), fmt(e["median"]), fmt(e["max"]),
            "%s %g" % (t["op"], t["value"]) if t else "-",
            "-" if e["met"] is None else ("yes" if e["met"] else "NO")))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
