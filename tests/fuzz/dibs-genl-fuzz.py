#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
A generic netlink fuzzer for the "dibs" family, python3 standard library only.

  dibs-genl-fuzz.py [--count N] [--seed S] [--unpriv] [--devices] [--quiet]

The family's commands, attributes, types and policy checks are read at start
from uapi/linux/dibs.h (numbers) and uapi/dibs.yaml (types, checks, which op
takes and returns what, admin ops), so the fuzzer never drifts from the uapi.

Each message is one of: a valid-ish request of a real op (the right attribute
types with boundary values, plus wrong lengths, foreign and unknown
attributes, bogus nests), a random command, a corrupted message (truncated
headers, bad nlmsg and attribute lengths, trailing bytes), several messages in
one send, a control message, or a dump interrupted midway (one part read,
then the socket is closed or another request is sent). Flags mix NLM_F_ACK,
NLM_F_DUMP on do-only ops and the reverse.

Every answer is checked: each request that must be answered is (an nlmsgerr,
a reply or a dump ending in NLMSG_DONE); every message is well formed (nlmsg,
genl header, every attribute walked with the types of the spec, nests
recursed, extack TLVs, lengths consistent), is of the requester's sequence
number, carries only attributes the spec lists for that reply, and errors
are plain errnos (no kernel-internal codes >= 512). The kernel must refuse
what its strict policies refuse (a request with an attribute outside the
op's policy, of a wrong length or out of range never succeeds), and an
unprivileged caller never succeeds at an admin op (EPERM). Notifications of
the mgmt and signal groups, received on a second socket, are checked too
(an unprivileged caller may not be let join them: then there are none).

--devices (root) first creates a few sim and loopback devices and DMBs so
requests hit real objects: real indexes, names, gids and tokens are mixed
with random ones. --unpriv (or running as a non-root user) fuzzes with the
credentials of "nobody": the privileged setup and the cleanup run in the
parent, the fuzzing child drops to nobody before opening its sockets.
Whatever the fuzzer created (devices, DMBs) it removes at the end; objects
that existed before it started are never deleted, revoked or set.

The first line is "seed S"; the last "fuzz: N messages, M errors answered,
K replies, seed S". Exit status 0 when nothing was wrong, 1 on a violation
(the seed, the message number and the message in hex are printed), 2 on a
usage or setup error. DIBS_FUZZ_COUNT is the default of --count.
"""

import argparse
import errno
import os
import random
import re
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_ECHO = 0x8
NLM_F_DUMP_INTR = 0x10
NLM_F_ROOT = 0x100
NLM_F_MATCH = 0x200
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLM_F_CAPPED = 0x100        # in an nlmsgerr
NLM_F_ACK_TLVS = 0x200      # in an nlmsgerr or NLMSG_DONE

NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4
NLMSG_MIN_TYPE = 16

GENL_ID_CTRL = 16
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_COOKIE = 3
NLMSGERR_ATTR_POLICY = 4
NLMSGERR_ATTR_MISS_TYPE = 5
NLMSGERR_ATTR_MISS_NEST = 6

NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = 0x3fff

FIXED_LEN = {'u8': 1, 'u16': 2, 'u32': 4, 's32': 4, 'u64': 8, 's64': 8,
             'flag': 0}
INT_BITS = {'u8': 8, 'u16': 16, 'u32': 32, 's32': 32, 'u64': 64, 's64': 64}


class SetupError(Exception):
    pass


class Violation(Exception):
    pass


def align4(n):
    return (n + 3) & ~3


# ---- the uapi: numbers from the header, the rest from the spec -----------

def parse_header(path):
    """#define and enum constants of a C header, evaluated."""
    text = open(path).read()
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    text = re.sub(r'//[^\n]*', ' ', text)
    consts = {}

    def value(expr):
        expr = expr.strip()
        for name in sorted(consts, key=len, reverse=True):
            expr = re.sub(r'\b%s\b' % name, str(consts[name]), expr)
        if not re.fullmatch(r'[0-9xa-fA-F()<>+\-*| ]+', expr):
            raise SetupError('cannot evaluate %r in %s' % (expr, path))
        return int(eval(expr, {'__builtins__': {}}))  # digits only

    for m in re.finditer(r'^[ \t]*#define[ \t]+(\w+)[ \t]+(.+)$', text, re.M):
        name, expr = m.group(1), m.group(2).strip()
        if expr.startswith('"'):
            consts[name] = expr.strip('"')
        elif not name.startswith('_UAPI'):
            consts[name] = value(expr)
    for m in re.finditer(r'\benum\s*\w*\s*\{(.*?)\}\s*;', text, re.S):
        nxt = 0
        for item in m.group(1).split(','):
            item = item.strip()
            if not item:
                continue
            if '=' in item:
                name, expr = item.split('=', 1)
                nxt = value(expr)
                name = name.strip()
            else:
                name = item
            consts[name] = nxt
            nxt += 1
    return consts


def parse_yaml(path):
    """The subset of YAML the YNL specs use: block mappings and sequences,
    flow sequences of plain scalars, | block scalars, &anchors, *aliases."""
    lines = []
    raw = open(path).read().split('\n')
    i = 0
    while i < len(raw):
        line = raw[i]
        i += 1
        stripped = line.split(' #')[0].rstrip() if not line.lstrip().startswith('#') else ''
        if not stripped.strip():
            continue
        indent = len(stripped) - len(stripped.lstrip())
        content = stripped.strip()
        if content.endswith(': |') or content.endswith(': >'):
            body = []
            while i < len(raw) and (not raw[i].strip() or
                                    len(raw[i]) - len(raw[i].lstrip()) > indent):
                body.append(raw[i].strip())
                i += 1
            content = content[:-2] + ' ' + repr('\n'.join(body))
            lines.append((indent, content, True))
            continue
        lines.append((indent, content, False))
    anchors = {}

    def scalar(s, quoted=False):
        if quoted:
            return eval(s, {'__builtins__': {}})
        s = s.strip()
        if s.startswith('*'):
            return anchors[s[1:]]
        if s.startswith('[') and s.endswith(']'):
            return [scalar(x) for x in s[1:-1].split(',') if x.strip()]
        if re.fullmatch(r'-?[0-9]+', s):
            return int(s)
        if re.fullmatch(r'0x[0-9a-fA-F]+', s):
            return int(s, 16)
        if s in ('true', 'false'):
            return s == 'true'
        return s.strip('\'"')

    pos = [0]

    def block(indent):
        """A block whose lines are at exactly this indent."""
        if pos[0] >= len(lines):
            return None
        if lines[pos[0]][1].startswith('-'):
            seq = []
            while pos[0] < len(lines) and lines[pos[0]][0] == indent and \
                    lines[pos[0]][1].startswith('-'):
                rest = lines[pos[0]][1][1:].strip()
                if not rest:
                    pos[0] += 1
                    seq.append(block(lines[pos[0]][0]))
                elif re.match(r'^[\w-]+:( |$)', rest):
                    # "- key: value": a mapping whose first key sits after
                    # the dash; the other keys are indented to match it.
                    sub_indent = indent + 2
                    lines[pos[0]] = (sub_indent, rest, lines[pos[0]][2])
                    seq.append(block(sub_indent))
                else:
                    seq.append(scalar(rest))
                    pos[0] += 1
            return seq
        mapping = {}
        while pos[0] < len(lines) and lines[pos[0]][0] == indent and \
                not lines[pos[0]][1].startswith('-'):
            _, content, quoted = lines[pos[0]]
            key, _, val = content.partition(':')
            val = val.strip()
            pos[0] += 1
            anchor = None
            if val.startswith('&'):
                anchor, _, val = val[1:].partition(' ')
                val = val.strip()
            if val:
                mapping[key] = scalar(val, quoted)
            elif pos[0] < len(lines) and lines[pos[0]][0] > indent:
                mapping[key] = block(lines[pos[0]][0])
            elif pos[0] < len(lines) and lines[pos[0]][0] == indent and \
                    lines[pos[0]][1].startswith('-'):
                mapping[key] = block(indent)
            else:
                mapping[key] = None
            if anchor:
                anchors[anchor] = mapping[key]
        return mapping

    return block(lines[0][0])


class Spec:
    """The family as the fuzzer needs it."""

    def __init__(self, header, yaml_path):
        self.c = parse_header(header)
        doc = parse_yaml(yaml_path)
        self.family = self.c['DIBS_FAMILY_NAME']
        self.version = self.c['DIBS_FAMILY_VERSION']
        self.defs = {}
        for d in doc.get('definitions') or []:
            if d.get('type') == 'const':
                self.defs[d['name']] = d['value']
        self.sets = {}        # name -> {attr name -> attr}
        self.set_nums = {}    # name -> {num -> attr}
        self.set_max = {}
        for s in doc['attribute-sets']:
            prefix = s.get('name-prefix', '%s-a-%s-' % (doc['name'], s['name']))
            attrs, nums = {}, {}
            for a in s['attributes']:
                cname = (prefix + a['name']).upper().replace('-', '_')
                if cname not in self.c:
                    raise SetupError('spec attribute %s: no %s in the header'
                                     % (a['name'], cname))
                checks = {}
                for k, v in (a.get('checks') or {}).items():
                    checks[k] = self.defs.get(v, v) if isinstance(v, str) else v
                attr = {'name': a['name'], 'num': self.c[cname],
                        'type': a['type'], 'nested': a.get('nested-attributes'),
                        'checks': checks, 'multi': a.get('multi-attr', False)}
                attrs[a['name']] = attr
                nums[attr['num']] = attr
            self.sets[s['name']] = attrs
            self.set_nums[s['name']] = nums
            mx = (prefix + 'max').upper().replace('-', '_')
            self.set_max[s['name']] = self.c.get(mx, max(nums))
        self.ops = {}         # name -> op
        self.cmds = {}        # num -> op
        ops = doc['operations']['list']
        by_name = {o['name']: o for o in ops}
        for o in ops:
            cname = 'DIBS_CMD_' + o['name'].upper().replace('-', '_')
            if cname not in self.c:
                raise SetupError('spec op %s: no %s in the header' % (o['name'], cname))
            base = by_name[o['notify']] if 'notify' in o else o
            op = {'name': o['name'], 'num': self.c[cname],
                  'set': base.get('attribute-set'),
                  'admin': bool({'admin-perm', 'uns-admin-perm'} &
                                set(o.get('flags') or [])),
                  'do': 'do' in o, 'dump': 'dump' in o,
                  'ntf': 'notify' in o or 'event' in o,
                  'req_do': [], 'req_dump': [], 'reply': set(),
                  'has_reply': False}
            for kind in ('do', 'dump'):
                k = o.get(kind) or {}
                op['req_' + kind] = list((k.get('request') or {}).get('attributes') or [])
                if k.get('reply'):
                    op['reply'] |= set(k['reply'].get('attributes') or [])
                    if kind == 'do':
                        op['has_reply'] = True
            if 'notify' in o:
                for kind in ('do', 'dump'):
                    k = base.get(kind) or {}
                    if k.get('reply'):
                        op['reply'] |= set(k['reply']['attributes'])
            if 'event' in o:
                op['reply'] |= set(o['event']['attributes'])
            # Old-style genl ops share one policy between do and dump.
            op['policy'] = set(op['req_do']) | set(op['req_dump'])
            self.ops[o['name']] = op
            self.cmds[op['num']] = op
        self.cmd_max = self.c['DIBS_CMD_MAX']
        self.groups = [g['name'] for g in doc['mcast-groups']['list']]
        for g in self.groups:
            cname = 'DIBS_MCGRP_' + g.upper().replace('-', '_')
            if self.c.get(cname) != g:
                raise SetupError('group %s is not %s in the header' % (g, cname))
        self.requests = [o for o in self.ops.values() if o['do'] or o['dump']]


# ---- netlink plumbing ------------------------------------------------------

def nla(atype, payload):
    return struct.pack('=HH', 4 + len(payload), atype) + payload + \
        b'\0' * (align4(len(payload)) - len(payload))


def nlmsg(mtype, flags, seq, payload, pid=0):
    return struct.pack('=IHHII', 16 + len(payload), mtype, flags, seq, pid) + payload


def attrs_of(buf, off=0, end=None):
    """(type with flags, payload) of each attribute; raises on bad lengths."""
    end = len(buf) if end is None else end
    out = []
    while off < end:
        if end - off < 4:
            raise Violation('%d trailing bytes after the attributes' % (end - off))
        alen, atype = struct.unpack_from('=HH', buf, off)
        if alen < 4 or off + alen > end:
            raise Violation('attribute %d: length %d at offset %d of %d'
                            % (atype & NLA_TYPE_MASK, alen, off, end))
        out.append((atype, buf[off + 4:off + alen]))
        off += align4(alen)
    if off != align4(end) and off != end:
        raise Violation('attributes end at %d, the message at %d' % (off, end))
    return out


class Conn:
    """One netlink socket of NETLINK_GENERIC."""

    def __init__(self, rcvbuf=1 << 20, ext_ack=True, cap_ack=False):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)  # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind((0, 0))
        self.portid = self.sock.getsockname()[0]
        self.ext_ack = ext_ack
        self.cap_ack = cap_ack
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, int(ext_ack))
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, int(cap_ack))
        self.seq = random.randrange(1, 1 << 30)

    def next_seq(self):
        self.seq = (self.seq + 1) & 0x7fffffff or 1
        return self.seq

    def close(self):
        self.sock.close()

    def recv_all(self, bufsize=1 << 17, limit=None):
        """Every message queued now (the kernel answers do requests inside
        sendmsg and generates the next dump part inside recvmsg)."""
        msgs = []
        n = 0
        while limit is None or n < limit:
            try:
                data = self.sock.recv(bufsize, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            n += 1
            msgs.extend(split_msgs(data))
        return msgs

    def request(self, mtype, flags, payload):
        """Send one request, return its messages until the answer ends."""
        seq = self.next_seq()
        self.sock.send(nlmsg(mtype, flags, seq, payload))
        out = []
        while True:
            data = self.sock.recv(1 << 17)
            for m in split_msgs(data):
                if m['seq'] != seq:
                    continue
                if m['type'] == NLMSG_ERROR:
                    err = struct.unpack_from('=i', m['payload'])[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return out
                if m['type'] == NLMSG_DONE:
                    return out
                out.append(m)
                if not m['flags'] & NLM_F_MULTI and not flags & NLM_F_ACK:
                    return out


def split_msgs(data):
    msgs = []
    off = 0
    while off < len(data):
        if len(data) - off < 16:
            raise Violation('%d stray bytes after the last message' % (len(data) - off))
        mlen, mtype, flags, seq, pid = struct.unpack_from('=IHHII', data, off)
        if mlen < 16 or off + mlen > len(data):
            raise Violation('message length %d at offset %d of a %d-byte read'
                            % (mlen, off, len(data)))
        msgs.append({'type': mtype, 'flags': flags, 'seq': seq, 'pid': pid,
                     'len': mlen, 'payload': data[off + 16:off + mlen],
                     'raw': data[off:off + mlen]})
        off += align4(mlen)
    return msgs


def resolve_family(conn, name):
    payload = struct.pack('=BBH', CTRL_CMD_GETFAMILY, 1, 0) + \
        nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b'\0')
    try:
        msgs = conn.request(GENL_ID_CTRL, NLM_F_REQUEST, payload)
    except OSError as e:
        raise SetupError('family %s not found (%s): is the module loaded?' % (name, e))
    fid, groups = None, {}
    for atype, val in attrs_of(msgs[0]['payload'], 4):
        atype &= NLA_TYPE_MASK
        if atype == CTRL_ATTR_FAMILY_ID:
            fid = struct.unpack('=H', val[:2])[0]
        elif atype == CTRL_ATTR_MCAST_GROUPS:
            for _, grp in attrs_of(val):
                g = {t & NLA_TYPE_MASK: v for t, v in attrs_of(grp)}
                groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b'\0').decode()] = \
                    struct.unpack('=I', g[CTRL_ATTR_MCAST_GRP_ID])[0]
    return fid, groups


def all_family_ids(conn):
    payload = struct.pack('=BBH', CTRL_CMD_GETFAMILY, 1, 0)
    ids = set()
    for m in conn.request(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_DUMP, payload):
        for atype, val in attrs_of(m['payload'], 4):
            if atype & NLA_TYPE_MASK == CTRL_ATTR_FAMILY_ID:
                ids.add(struct.unpack('=H', val[:2])[0])
    return ids


# ---- the fuzzer ------------------------------------------------------------

class Fuzzer:
    def __init__(self, spec, args):
        self.spec = spec
        self.args = args
        self.rng = random.Random(args.seed)
        self.unpriv = args.unpriv
        self.n_msgs = 0
        self.n_errors = 0
        self.n_replies = 0
        self.n_ntf = 0
        self.errnos = {}
        # real objects: refreshed from dumps
        self.devs = {}          # index -> {name, gid, fabric}
        self.dmbs = {}          # token -> {dev index, rgid, len}
        self.gids = []
        self.protected_devs = set()     # indexes that existed before us
        self.protected_names = set()
        self.protected_tokens = set()
        self.created_names = set()
        self.granted = {}       # token -> dev index (ours, not owned)
        self.pool_names = ['fz%d' % i for i in range(6)]
        self.no_pid = 0x7ffffff0
        self.ns_fd = os.open('/proc/self/ns/net', os.O_RDONLY)

    # -- setup and real objects --

    def open(self):
        self.conn = Conn(cap_ack=self.rng.random() < 0.3)
        self.fid, groups = resolve_family(self.conn, self.spec.family)
        missing = [g for g in self.spec.groups if g not in groups]
        if missing:
            raise SetupError('the kernel family has no group(s) %s' % missing)
        self.groups = groups
        if not hasattr(self, 'free_type'):
            used = all_family_ids(self.conn)
            self.free_type = next(t for t in range(0x1000, 0xffff) if t not in used)
        self.mon = Conn()
        for gid in groups.values():
            try:
                self.mon.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, gid)
            except PermissionError:
                # Both groups need CAP_NET_ADMIN where the kernel has
                # GENL_MCAST_CAP_NET_ADMIN; elsewhere anyone joins.
                if not self.unpriv:
                    raise

    def reopen(self):
        self.conn.close()
        self.conn = Conn(cap_ack=self.rng.random() < 0.3)

    def genl(self, cmd, attrs=b''):
        return struct.pack('=BBH', cmd, self.spec.version, 0) + attrs

    def attr(self, setname, name, payload):
        return nla(self.spec.sets[setname][name]['num'], payload)

    def refresh(self, conn=None):
        """Real devices and DMBs, from dumps."""
        conn = conn or self.conn
        sp = self.spec
        self.devs = {}
        for m in conn.request(self.fid, NLM_F_REQUEST | NLM_F_DUMP,
                              self.genl(sp.ops['dev-get']['num'])):
            a = {sp.set_nums['dev'][t & NLA_TYPE_MASK]['name']: v
                 for t, v in attrs_of(m['payload'], 4)}
            idx = struct.unpack('=I', a['index'])[0]
            self.devs[idx] = {'name': a['name'].rstrip(b'\0'), 'gid': a['gid'],
                              'fabric': struct.unpack('=H', a['fabric-id'])[0]}
        self.gids = [d['gid'] for d in self.devs.values()]
        try:
            msgs = conn.request(self.fid, NLM_F_REQUEST | NLM_F_DUMP,
                                self.genl(sp.ops['dmb-get']['num']))
        except PermissionError:
            # dmb-get is an admin op: an unprivileged fuzzer keeps the
            # DMBs root saw before it dropped its privileges.
            if not self.unpriv:
                raise
            return
        self.dmbs = {}
        for m in msgs:
            a = {sp.set_nums['dmb'][t & NLA_TYPE_MASK]['name']: v
                 for t, v in attrs_of(m['payload'], 4)}
            tok = struct.unpack('=Q', a['token'])[0]
            self.dmbs[tok] = {'dev': struct.unpack('=I', a['dev-index'])[0],
                              'rgid': a['rgid'],
                              'len': struct.unpack('=I', a['len'])[0]}

    def protect(self):
        self.refresh()
        self.protected_devs = set(self.devs)
        self.protected_names = {d['name'] for d in self.devs.values()}
        self.protected_tokens = set(self.dmbs)

    def make_devices(self, conn):
        """A sim fabric of three, one on another fabric, a loopback, and a
        few DMBs among them (owned by conn: they go when it closes)."""
        sp = self.spec
        fabric = 0x0d00 + self.rng.randrange(0x100)
        made = []
        for name, typ, fab in (('fzsA', 'sim', fabric), ('fzsB', 'sim', fabric),
                               ('fzsC', 'sim', fabric), ('fzsD', 'sim', fabric + 1),
                               ('fzlo', 'loopback', None)):
            body = self.attr('dev', 'name', name.encode() + b'\0') + \
                self.attr('dev', 'type', typ.encode() + b'\0')
            if fab is not None:
                body += self.attr('dev', 'fabric-id', struct.pack('=H', fab))
            conn.request(self.fid, NLM_F_REQUEST | NLM_F_ACK,
                         self.genl(sp.ops['dev-new']['num'], body))
            made.append(name)
        self.refresh(conn)
        byname = {d['name'].decode(): (i, d) for i, d in self.devs.items()}
        pairs = [('fzsA', 'fzsB'), ('fzsB', 'fzsA'), ('fzsC', 'fzsA'),
                 ('fzlo', 'fzlo'), ('fzsD', 'fzsD')]
        for k in range(100):
            a, b = pairs[k % len(pairs)]
            body = self.attr('dmb', 'dev-index', struct.pack('=I', byname[a][0])) + \
                self.attr('dmb', 'rgid', byname[b][1]['gid']) + \
                self.attr('dmb', 'len', struct.pack('=I', 64 << (k % 8))) + \
                self.attr('dmb', 'owned', b'')
            conn.request(self.fid, NLM_F_REQUEST | NLM_F_ACK,
                         self.genl(sp.ops['dmb-grant']['num'], body))
        return made

    def cleanup(self, conn, extra_names=()):
        """Remove what we made; existing objects were never touched."""
        sp = self.spec
        self.refresh(conn)
        for tok, d in self.dmbs.items():
            if tok in self.granted and d['dev'] in self.devs:
                body = self.attr('dmb', 'dev-index', struct.pack('=I', d['dev'])) + \
                    self.attr('dmb', 'token', struct.pack('=Q', tok))
                try:
                    conn.request(self.fid, NLM_F_REQUEST | NLM_F_ACK,
                                 self.genl(sp.ops['dmb-revoke']['num'], body))
                except OSError:
                    pass
        for idx, d in self.devs.items():
            name = d['name'].decode(errors='replace')
            if idx in self.protected_devs and name not in extra_names:
                continue
            body = self.attr('dev', 'index', struct.pack('=I', idx))
            conn.request(self.fid, NLM_F_REQUEST | NLM_F_ACK,
                         self.genl(sp.ops['dev-del']['num'], body))

    # -- values --

    def r(self):
        return self.rng.random()

    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def int_value(self, attr, fmt):
        t = attr['type']
        bits = INT_BITS[t]
        mx = (1 << bits) - 1
        ch = attr['checks']
        cands = [0, 1, mx, mx >> 1, self.rng.getrandbits(bits)]
        for k in ('min', 'max'):
            if k in ch:
                cands += [ch[k], max(ch[k] - 1, 0), min(ch[k] + 1, mx)]
        name = attr['name']
        if self.devs and name in ('index', 'dev-index'):
            cands += [self.choice(list(self.devs))] * 6
        if name in ('index', 'dev-index'):
            cands += [0x7fffffff, 1, 2, 3]
        if self.dmbs and name == 'token':
            cands += [self.choice(list(self.dmbs))] * 6
        if name in ('offset', 'len'):
            cands += [0, 1, 63, 64, 4095, 4096, 32768, 32769, 8 << 20, (8 << 20) + 1]
        if name == 'fabric-id' and self.devs:
            cands += [self.choice(list(self.devs.values()))['fabric'], 0xffff]
        if name == 'netns-pid':
            cands += [0, 1, os.getpid(), self.no_pid]
        if name == 'netns-fd':
            cands += [0, 1, self.ns_fd, self.ns_fd, self.conn.sock.fileno(), 1000]
        if name == 'state':
            cands += [0, 1, 1, 2]
        v = self.choice(cands)
        if t.startswith('s') and v > mx >> 1:
            v -= 1 << bits
        return struct.pack(fmt, v)

    def name_value(self, attr):
        cands = [b'', b'lo', b'x' * 15, b'y' * 16, b'z' * 1000, b'\xff\xfe\x80',
                 b'a/b', b'%n%n%s', b'.', b'..', b'fz 1', b'fz\n']
        cands += [n.encode() for n in self.pool_names] * 3
        if self.devs:
            cands += [self.choice(list(self.devs.values()))['name']] * 4
        if attr['name'] == 'type':
            cands += [b'sim', b'loopback', b'sim', b'loopback', b'sim0', b'x' * 31,
                      b'x' * 32]
        if attr['name'] == 'client-name':
            cands += [b'userspace', b'userspace', b'smc-d', b'u' * 63, b'u' * 64]
        s = self.choice(cands)
        k = self.r()
        if k < 0.85:
            return s + b'\0'
        if k < 0.93:
            return s                        # no NUL
        return s + b'\0' + bytes(self.rng.getrandbits(8) for _ in range(self.rng.randrange(1, 9)))

    def binary_value(self, attr):
        exact = attr['checks'].get('exact-len')
        maxlen = attr['checks'].get('max-len')
        if exact:
            cands = [bytes(exact), b'\xff' * exact, os.urandom(exact),
                     os.urandom(exact - 1), os.urandom(exact + 1), b'']
            if self.gids:
                cands += [self.choice(self.gids)] * 6
            return self.choice(cands)
        if maxlen:
            n = self.choice([0, 1, 7, 100, 4096, maxlen, maxlen, maxlen + 1,
                             self.rng.randrange(maxlen)])
            return os.urandom(min(n, 64)) * (n // 64) + os.urandom(n % 64) if n else b''
        return os.urandom(self.rng.randrange(64))

    def nest_value(self, attr, depth):
        if self.r() < 0.4 or depth > 2:
            return os.urandom(self.rng.randrange(13))   # bogus nest
        inner = self.spec.sets[attr['nested']]
        out = b''
        for _ in range(self.rng.randrange(4)):
            out += self.one_attr(attr['nested'], self.choice(list(inner.values())),
                                 depth + 1)[0]
        return out

    def one_attr(self, setname, attr, depth=0):
        """(bytes, valid per the policy) for one attribute of the set."""
        t = attr['type']
        atype = attr['num']
        if t in INT_BITS:
            fmt = {'u8': '=B', 'u16': '=H', 'u32': '=I', 's32': '=i',
                   'u64': '=Q', 's64': '=q'}[t]
            val = self.int_value(attr, fmt)
        elif t == 'flag':
            val = b''
        elif t == 'string':
            val = self.name_value(attr)
        elif t == 'binary':
            val = self.binary_value(attr)
        elif t == 'nest':
            val = self.nest_value(attr, depth)
            atype |= NLA_F_NESTED if self.r() < 0.7 else 0
        else:       # pad
            val = os.urandom(self.rng.randrange(9))
        if self.r() < 0.08:        # a wrong length
            val = os.urandom(self.rng.randrange(len(val) + 6))
        return nla(atype, val), self.attr_valid(attr, val, atype)

    def attr_valid(self, attr, val, atype):
        """What the strict policy accepts (None: cannot tell)."""
        t = attr['type']
        ch = attr['checks']
        if atype & NLA_F_NESTED and t != 'nest':
            return False
        if t in FIXED_LEN:
            if len(val) != FIXED_LEN[t]:
                return False
            if t in INT_BITS:
                fmt = {1: '=B', 2: '=H', 4: '=I', 8: '=Q'}[len(val)]
                v = struct.unpack(fmt, val)[0]
                if 'min' in ch and v < ch['min']:
                    return False
                if 'max' in ch and v > ch['max']:
                    return False
            return True
        if t == 'string':
            lim = ch.get('max-len')
            window = val[:lim + 1] if lim else val
            return bool(window) and b'\0' in window
        if t == 'binary':
            if 'exact-len' in ch:
                return len(val) == ch['exact-len']
            if 'max-len' in ch:
                return len(val) <= ch['max-len']
            return True
        return None

    # -- messages --

    def valid_ish(self):
        """(payload, flags, op, invalid): a request of a real op."""
        sp = self.spec
        op = self.choice(sp.requests)
        setname = op['set']
        attrs = sp.sets[setname]
        dump = op['dump'] and (not op['do'] or self.r() < 0.5)
        if self.r() < 0.08:
            dump = not dump                 # DUMP on do-only ops, and back
        names = op['req_dump'] if dump else op['req_do']
        body = b''
        invalid = False
        unknown = False
        for name in names:
            if self.r() < 0.65:
                b, ok = self.one_attr(setname, attrs[name])
                body += b
                invalid |= ok is False
        k = self.r()
        if k < 0.10:            # an attribute of the set outside the op
            a = self.choice(list(attrs.values()))
            b, ok = self.one_attr(setname, a)
            body += b
            invalid |= ok is False or a['name'] not in op['policy']
        elif k < 0.15:          # an unknown attribute number
            num = self.choice([0, sp.set_max[setname] + 1, 0x3fff,
                               self.rng.randrange(sp.set_max[setname] + 1, 0x3fff)])
            body += nla(num, os.urandom(self.rng.randrange(12)))
            unknown = True
        elif k < 0.18:          # an attribute with a bogus nest flag
            a = self.choice(list(attrs.values()))
            b, _ = self.one_attr(setname, a)
            body += struct.pack('=HH', len(b) and struct.unpack_from('=H', b)[0],
                                a['num'] | NLA_F_NESTED) + b[4:]
            invalid |= a['type'] != 'nest' or a['name'] not in op['policy']
        if self.r() < 0.2 and op['name'] == 'dmb-grant':
            # grants of real devices for real gids: real work
            if self.devs and self.gids:
                body = self.attr('dmb', 'dev-index', struct.pack('=I', self.choice(list(self.devs)))) + \
                    self.attr('dmb', 'rgid', self.choice(self.gids)) + \
                    self.attr('dmb', 'len', struct.pack('=I', self.choice([1, 64, 4096, 65536]))) + \
                    (self.attr('dmb', 'owned', b'') if self.r() < 0.5 else b'')
                invalid = unknown = False
        flags = NLM_F_REQUEST
        if self.r() < 0.6:
            flags |= NLM_F_ACK
        if dump:
            flags |= NLM_F_DUMP
        elif self.r() < 0.03:
            flags |= self.choice([NLM_F_ROOT, NLM_F_MATCH, NLM_F_ECHO])
        cmd = op['num']
        # dumps of the policy's attributes: invalid ones are refused as well
        return self.genl(cmd, body), flags, op, invalid or unknown

    def random_cmd(self):
        cmd = self.choice([0, self.spec.cmd_max, self.spec.cmd_max + 1, 255,
                           self.rng.randrange(256),
                           self.choice(self.spec.requests)['num']])
        body = b''
        for _ in range(self.rng.randrange(4)):
            body += nla(self.rng.randrange(0x4000) if self.r() < 0.3 else
                        self.rng.randrange(20), os.urandom(self.rng.randrange(20)))
        flags = NLM_F_REQUEST | self.choice([0, NLM_F_ACK, NLM_F_DUMP,
                                             NLM_F_DUMP | NLM_F_ACK])
        return self.genl(cmd, body), flags

    def protect_request(self, payload):
        """Destructive requests never name objects that existed before us.
        Returns the payload, possibly with such a target replaced."""
        sp = self.spec
        if len(payload) < 4:
            return payload
        op = sp.cmds.get(payload[0])
        if not op or op['name'] not in ('dev-del', 'dev-set', 'dmb-revoke',
                                        'dev-new'):
            return payload
        out = bytearray(payload)
        off = 4
        while off + 4 <= len(out):
            alen, atype = struct.unpack_from('=HH', out, off)
            if alen < 4 or off + alen > len(out):
                break
            a = sp.set_nums[op['set']].get(atype & NLA_TYPE_MASK)
            val = bytes(out[off + 4:off + alen])
            if a and a['name'] in ('index', 'dev-index') and alen == 8 and \
                    struct.unpack('=I', val)[0] in self.protected_devs and \
                    op['name'] != 'dmb-revoke':
                struct.pack_into('=I', out, off + 4, 0x7ffffffe)
            if a and a['name'] in ('name', 'dev-name') and op['name'] != 'dmb-revoke' \
                    and op['name'] != 'dev-new' and \
                    val.split(b'\0')[0] in self.protected_names:
                out[off + 4] = ord('Q')
            if a and a['name'] == 'token' and alen == 12 and \
                    struct.unpack('=Q', val)[0] in self.protected_tokens:
                struct.pack_into('=Q', out, off + 4, 0x1ef)
            off += align4(alen)
        return bytes(out)

    def build(self):
        """One send: (bytes, [message descriptions]). A description says what
        the kernel must do with each message of the buffer."""
        k = self.r()
        msgs = []
        if k < 0.62:
            payload, flags, op, invalid = self.valid_ish()
            msgs.append([self.fid, flags, payload, invalid])
        elif k < 0.72:
            payload, flags = self.random_cmd()
            msgs.append([self.fid, flags, payload, None])
        elif k < 0.90:
            payload, flags, op, invalid = self.valid_ish()
            msgs.append([self.fid, flags, payload, invalid, 'corrupt'])
        elif k < 0.95:
            for _ in range(self.rng.randrange(2, 4)):
                payload, flags, op, invalid = self.valid_ish()
                msgs.append([self.fid, flags, payload, invalid])
        else:
            kind = self.rng.randrange(4)
            if kind == 0:       # control messages, requests or not
                msgs.append([self.choice([NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, 0, 15]),
                             self.choice([0, NLM_F_REQUEST, NLM_F_ACK,
                                          NLM_F_REQUEST | NLM_F_ACK]),
                             os.urandom(self.rng.randrange(24)), None])
            elif kind == 1:     # not a request: ignored, acked if asked
                payload, flags, op, invalid = self.valid_ish()
                msgs.append([self.fid, flags & ~NLM_F_REQUEST, payload, None])
            elif kind == 2:     # a type no family has
                payload, flags, op, invalid = self.valid_ish()
                msgs.append([self.free_type, flags, payload, None])
            else:               # a genl header cut short
                msgs.append([self.fid, NLM_F_REQUEST | self.choice([0, NLM_F_ACK]),
                             os.urandom(self.rng.randrange(4)), None])
        buf = b''
        descs = []
        for m in msgs:
            mtype, flags, payload, invalid = m[:4]
            if not self.unpriv and mtype == self.fid:
                payload = self.protect_request(payload)
            seq = self.conn.next_seq()
            one = bytearray(nlmsg(mtype, flags, seq, payload, pid=self.choice([0, 0, 0, 1234])))
            desc = {'seq': seq, 'invalid': invalid, 'trailing': False}
            if len(m) > 4:
                self.corrupt(one, desc)
            buf += bytes(one) + b'\0' * (align4(len(one)) - len(one))
            descs.append(desc)
        return buf, descs

    def corrupt(self, one, desc):
        k = self.rng.randrange(7)
        if k == 0 and len(one) > 20:            # cut inside the attributes,
            cut = self.rng.randrange(20, len(one))     # length says so
            del one[cut:]
            struct.pack_into('=I', one, 0, len(one))
            desc['invalid'] = None
        elif k == 1:                            # nlmsg_len beyond the buffer
            struct.pack_into('=I', one, 0, len(one) + self.rng.randrange(1, 4096))
            desc['dropped'] = True
        elif k == 2:                            # nlmsg_len below a header
            struct.pack_into('=I', one, 0, self.rng.randrange(16))
            desc['dropped'] = True
        elif k == 3 and len(one) >= 24:         # an attribute length too large
            # (nla_len is 16 bits: a message over 64 KiB gets 0xffff)
            struct.pack_into('=H', one, 20, self.choice(
                [0, 1, 3, 0xffff, min(len(one) - 20 + 4, 0xffff)]))
            desc['invalid'] = True
        elif k == 4:                            # trailing bytes
            one += os.urandom(self.rng.randrange(1, 4))
            struct.pack_into('=I', one, 0, len(one))
            desc['invalid'] = True
        elif k == 5 and len(one) > 16:          # header cut: genl header short
            del one[16 + self.rng.randrange(4):]
            struct.pack_into('=I', one, 0, len(one))
            desc['short'] = True
        else:                                   # random bytes after genl hdr
            tail = os.urandom(self.rng.randrange(0, 40))
            del one[20:]
            one += tail
            struct.pack_into('=I', one, 0, len(one))
            desc['invalid'] = None

    # -- checking answers --

    def fail(self, why, buf=b'', msg=None):
        text = ['VIOLATION: %s' % why,
                'seed %d, message %d (%s)' % (self.args.seed, self.n_msgs,
                                              'unprivileged' if self.unpriv else 'root')]
        if buf:
            text.append('sent: %s' % buf.hex())
        if msg is not None:
            text.append('got:  %s' % msg['raw'].hex())
        raise Violation('\n'.join(text))

    def check_genl(self, m, ntf=False):
        """A data message of our family: header and every attribute."""
        sp = self.spec
        p = m['payload']
        if len(p) < 4:
            raise Violation('genl message of %d bytes' % len(p))
        cmd, version = p[0], p[1]
        op = sp.cmds.get(cmd)
        if not op:
            raise Violation('reply with unknown command %d' % cmd)
        if version != sp.version:
            raise Violation('reply with version %d' % version)
        if ntf != op['ntf']:
            raise Violation('command %s %s' % (op['name'], 'as a notification'
                                               if ntf else 'in a reply'))
        self.walk(op['set'], p, 4, len(p), op['reply'], op['name'])
        return op

    def walk(self, setname, buf, off, end, allowed, where):
        nums = self.spec.set_nums[setname]
        for atype, val in attrs_of(buf, off, end):
            a = nums.get(atype & NLA_TYPE_MASK)
            if not a:
                raise Violation('%s: unknown attribute %d of set %s'
                                % (where, atype & NLA_TYPE_MASK, setname))
            if allowed is not None and a['name'] not in allowed and a['type'] != 'pad':
                raise Violation('%s: attribute %s is not in the spec\'s reply'
                                % (where, a['name']))
            t = a['type']
            if t in FIXED_LEN and len(val) != FIXED_LEN[t]:
                raise Violation('%s: %s (%s) has %d bytes' % (where, a['name'], t, len(val)))
            if t == 'string' and (not val or val[-1] != 0 or b'\0' in val[:-1]):
                raise Violation('%s: %s is not a NUL-terminated string: %r'
                                % (where, a['name'], val))
            if t == 'binary' and 'exact-len' in a['checks'] and \
                    len(val) != a['checks']['exact-len']:
                raise Violation('%s: %s has %d bytes' % (where, a['name'], len(val)))
            if t == 'binary' and 'max-len' in a['checks'] and \
                    len(val) > a['checks']['max-len']:
                raise Violation('%s: %s has %d bytes' % (where, a['name'], len(val)))
            if t in INT_BITS and t.startswith('u'):
                v = int.from_bytes(val, sys.byteorder)
                if a['checks'].get('min') is not None and v < a['checks']['min']:
                    raise Violation('%s: %s = %d below its minimum' % (where, a['name'], v))
                if a['checks'].get('max') is not None and v > a['checks']['max']:
                    raise Violation('%s: %s = %d above its maximum' % (where, a['name'], v))
            if t == 'nest':
                self.walk(a['nested'], val, 0, len(val), None,
                          '%s.%s' % (where, a['name']))

    def check_err(self, m, conn):
        """An nlmsgerr: error code, the echoed request, extack TLVs."""
        p = m['payload']
        if len(p) < 20:
            raise Violation('nlmsgerr of %d bytes' % len(p))
        err = struct.unpack_from('=i', p)[0]
        olen = struct.unpack_from('=I', p, 4)[0]
        if err > 0 or -err >= 512:
            raise Violation('error code %d is no errno' % err)
        off = 4 + 16
        capped = m['flags'] & NLM_F_CAPPED or err == 0
        if not capped:
            # the request echoed; TLVs after it start aligned
            off = 4 + (align4(olen) if m['flags'] & NLM_F_ACK_TLVS else olen)
            if olen < 16 or off > len(p):
                raise Violation('nlmsgerr echoes %d bytes, has %d' % (olen, len(p) - 4))
        if m['flags'] & NLM_F_ACK_TLVS:
            if not conn.ext_ack:
                raise Violation('extack TLVs without NETLINK_EXT_ACK')
            for atype, val in attrs_of(p, off):
                atype &= NLA_TYPE_MASK
                if atype == NLMSGERR_ATTR_MSG and (not val or val[-1] != 0):
                    raise Violation('extack message not NUL-terminated: %r' % val)
                if atype in (NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE,
                             NLMSGERR_ATTR_MISS_NEST) and len(val) != 4:
                    raise Violation('extack attribute %d of %d bytes' % (atype, len(val)))
                if atype == NLMSGERR_ATTR_OFFS and struct.unpack('=I', val)[0] >= olen:
                    raise Violation('extack offset %d beyond the request (%d)'
                                    % (struct.unpack('=I', val)[0], olen))
        elif len(p) not in (off, 4 + align4(olen) if not capped else off):
            # the echo may be padded to 4 bytes
            raise Violation('nlmsgerr has %d bytes after the echo' % (len(p) - off))
        return err

    def expected(self, buf, descs):
        """Split the buffer as netlink_rcv_skb does: the messages the kernel
        sees, each with what it must answer."""
        out = []
        off = 0
        i = 0
        while len(buf) - off >= 16:
            mlen, mtype, flags, seq, _ = struct.unpack_from('=IHHII', buf, off)
            if mlen < 16 or mlen > len(buf) - off:
                break           # the kernel stops here, silently
            d = descs[i] if i < len(descs) else {'seq': seq, 'invalid': None}
            i += 1
            e = {'seq': seq, 'type': mtype, 'flags': flags, 'len': mlen,
                 'invalid': d.get('invalid'), 'body': buf[off:off + mlen]}
            off += align4(mlen)
            out.append(e)
        return out

    def check(self, buf, descs, msgs):
        sp = self.spec
        exp = self.expected(buf, descs)
        by_seq = {}
        for m in msgs:
            if m['pid'] != self.conn.portid:
                self.fail('a message for port %d on port %d' % (m['pid'], self.conn.portid),
                          buf, m)
            by_seq.setdefault(m['seq'], []).append(m)
        for e in exp:
            got = by_seq.pop(e['seq'], [])
            try:
                self.check_one(e, got)
            except Violation as v:
                self.fail(str(v), e['body'], got[-1] if got else None)
        if by_seq:
            seq, got = by_seq.popitem()
            self.fail('answers to sequence number %d, which was not asked' % seq,
                      buf, got[0])
        del sp

    def check_one(self, e, got):
        sp = self.spec
        request = e['flags'] & NLM_F_REQUEST and e['type'] >= NLMSG_MIN_TYPE
        want_ack = e['flags'] & NLM_F_ACK
        if not request:
            if want_ack:
                if len(got) != 1 or got[0]['type'] != NLMSG_ERROR or \
                        self.check_err(got[0], self.conn) != 0:
                    raise Violation('a non-request with NLM_F_ACK: want one ack, got %d messages'
                                    % len(got))
                self.n_errors += 0
            elif got:
                raise Violation('a non-request was answered')
            return
        dump = (e['flags'] & NLM_F_DUMP) == NLM_F_DUMP
        ours = e['type'] == self.fid and e['len'] >= 20
        cmd = e['body'][16] if ours else None
        op = sp.cmds.get(cmd) if ours else None
        data, err, done = [], None, False
        for k, m in enumerate(got):
            if err is not None or done:
                raise Violation('a message after the end of the answer')
            if m['type'] == NLMSG_ERROR:
                err = self.check_err(m, self.conn)
            elif m['type'] == NLMSG_DONE:
                if len(m['payload']) < 4:
                    raise Violation('NLMSG_DONE of %d bytes' % len(m['payload']))
                derr = struct.unpack_from('=i', m['payload'])[0]
                if derr > 0 or -derr >= 512:
                    raise Violation('NLMSG_DONE with error %d' % derr)
                if m['flags'] & NLM_F_ACK_TLVS:
                    attrs_of(m['payload'], 4)
                done = True
                err = derr
            elif m['type'] == self.fid:
                self.check_genl(m)
                data.append(m)
                if m['flags'] & NLM_F_DUMP_INTR:
                    pass    # allowed: objects changed during the dump
            else:
                raise Violation('a message of type %d in the answer' % m['type'])
        if err is not None and err < 0:
            self.n_errors += 1
            self.errnos[-err] = self.errnos.get(-err, 0) + 1
        self.n_replies += len(data)
        succeeded = err == 0 if err is not None else bool(data)
        if err is None and not done:
            # No answer: only a do request that succeeded without a reply
            # and without NLM_F_ACK.
            if want_ack:
                raise Violation('NLM_F_ACK but no ack (%d messages)' % len(got))
            if not data and not (op and not dump and not op['has_reply']):
                raise Violation('request not answered')
            if data and dump:
                raise Violation('dump without NLMSG_DONE')
        if dump and data and not done and succeeded and err == 0:
            raise Violation('dump ended with an ack, not NLMSG_DONE')
        if done and not dump:
            raise Violation('NLMSG_DONE for a do request')
        # NLM_F_ROOT or NLM_F_MATCH alone: genl refuses such flags (EINVAL)
        # before it looks at the command or the caller.
        ambiguous = e['flags'] & NLM_F_DUMP not in (0, NLM_F_DUMP)
        if not succeeded and ambiguous and -err == errno.EINVAL:
            return
        if not succeeded:
            if ours and op and op['admin'] and self.unpriv:
                want = {errno.EPERM} | ({errno.EOPNOTSUPP} if dump else set())
                if -err not in want:
                    raise Violation('unprivileged %s: errno %d, want EPERM'
                                    % (op['name'], -err))
            if ours and not op and -err != errno.EOPNOTSUPP:
                raise Violation('unknown command %d: errno %d, want EOPNOTSUPP'
                                % (cmd, -err))
            if ours and op and (dump and not op['dump'] or not dump and not op['do']) \
                    and -err not in (errno.EOPNOTSUPP, errno.EPERM):
                raise Violation('%s %s: errno %d, want EOPNOTSUPP'
                                % ('dump' if dump else 'do', op['name'], -err))
            return
        # it succeeded
        if not ours:
            raise Violation('a request of type %d (%d bytes) succeeded'
                            % (e['type'], e['len']))
        if not op:
            raise Violation('unknown command %d succeeded' % cmd)
        if op['admin'] and self.unpriv:
            raise Violation('unprivileged caller succeeded at admin op %s' % op['name'])
        if dump and not op['dump'] or not dump and not op['do']:
            raise Violation('%s of %s succeeded' % ('dump' if dump else 'do', op['name']))
        # A request whose op takes no attributes (dev-get and client-get
        # dumps) has no policy in the generated split ops (6.2+):
        # genetlink does not parse its body, as for any family's op without
        # a policy, so an invalid body may pass there. 6.1's ops unite do
        # and dump policies and still refuse some of them.
        takes_attrs = op['req_dump'] if dump else op['req_do']
        if e['invalid'] and takes_attrs:
            raise Violation('%s accepted a request its policy refuses' % op['name'])
        if not dump:
            if op['has_reply'] and len(data) != 1:
                raise Violation('%s succeeded with %d replies' % (op['name'], len(data)))
            if not op['has_reply'] and data:
                raise Violation('%s has no reply, sent %d' % (op['name'], len(data)))
            if want_ack and err != 0:
                raise Violation('%s: NLM_F_ACK, no ack' % op['name'])
        for m in data:
            if (m['flags'] & NLM_F_MULTI) != (NLM_F_MULTI if dump else 0):
                raise Violation('%s reply flags 0x%x' % (op['name'], m['flags']))
        self.learn(op, data)

    def learn(self, op, data):
        """Track what our requests created, for the cleanup."""
        sp = self.spec
        for m in data:
            a = {}
            for t, v in attrs_of(m['payload'], 4):
                x = sp.set_nums[op['set']].get(t & NLA_TYPE_MASK)
                if x:
                    a[x['name']] = v
            if op['name'] == 'dmb-grant':
                tok = struct.unpack('=Q', a['token'])[0]
                if 'owned' not in a:
                    self.granted[tok] = struct.unpack('=I', a['dev-index'])[0]
            elif op['name'] == 'dev-new':
                self.created_names.add(a['name'].rstrip(b'\0'))

    def drain_mon(self):
        try:
            msgs = self.mon.recv_all()
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                return      # notifications lost: allowed
            raise
        for m in msgs:
            if m['type'] != self.fid or m['seq'] != 0 or m['pid'] != 0:
                raise Violation('notification type %d seq %d pid %d'
                                % (m['type'], m['seq'], m['pid']))
            self.check_genl(m, ntf=True)
            self.n_ntf += 1

    # -- the loop --

    def interrupted_dump(self):
        """Start a dump, read one part, then close or send another request."""
        sp = self.spec
        op = self.choice([o for o in sp.requests if o['dump']])
        self.reopen()       # a fresh socket: its first dump part is small
        seq = self.conn.next_seq()
        req = nlmsg(self.fid, NLM_F_REQUEST | NLM_F_DUMP, seq, self.genl(op['num']))
        self.conn.sock.send(req)
        self.n_msgs += 1
        first = split_msgs(self.conn.sock.recv(1 << 17))
        for m in first:
            if m['seq'] != seq:
                self.fail('dump part of sequence %d, want %d' % (m['seq'], seq), req, m)
            if m['type'] == self.fid:
                self.check_genl(m)
        if self.r() < 0.5:
            self.reopen()
            return
        # another request while the dump runs: both are answered in full
        buf, descs = self.build()
        self.conn.sock.send(buf)
        self.n_msgs += len(descs)
        msgs = self.conn.recv_all()
        rest = [m for m in msgs if m['seq'] == seq]
        others = [m for m in msgs if m['seq'] != seq]
        ended = any(m['type'] in (NLMSG_DONE, NLMSG_ERROR) for m in first + rest)
        if not ended:
            self.fail('interrupted dump never ended', req)
        for m in rest:
            if m['type'] == self.fid:
                self.check_genl(m)
        self.check(buf, descs, others)

    def run(self):
        count = self.args.count
        t0 = time.monotonic()
        refresh_every = 200 if self.args.devices else 0
        if refresh_every:
            self.refresh()
        while self.n_msgs < count:
            if refresh_every and self.n_msgs % refresh_every < 3:
                self.refresh()
            k = self.r()
            if k < 0.01:
                self.interrupted_dump()
                continue
            if k < 0.012:
                self.reopen()
            buf, descs = self.build()
            try:
                self.conn.sock.send(buf)
            except OSError as e:
                self.fail('send: %s' % e, buf)
            self.n_msgs += len(descs)
            try:
                msgs = self.conn.recv_all()
            except OSError as e:
                self.fail('recv: %s' % e, buf)
            except Violation as v:
                self.fail(str(v), buf)
            self.check(buf, descs, msgs)
            if self.n_msgs % 16 < 4:
                try:
                    self.drain_mon()
                except Violation as v:
                    self.fail('notification: %s' % v)
            if len(self.granted) > 8 and not self.unpriv:
                self.revoke_some()
        self.drain_mon()
        return time.monotonic() - t0

    def revoke_some(self):
        """Keep the memory our grants hold bounded."""
        sp = self.spec
        for tok, dev in list(self.granted.items())[:16]:
            body = self.attr('dmb', 'dev-index', struct.pack('=I', dev)) + \
                self.attr('dmb', 'token', struct.pack('=Q', tok))
            try:
                self.conn.request(self.fid, NLM_F_REQUEST | NLM_F_ACK,
                                  self.genl(sp.ops['dmb-revoke']['num'], body))
            except OSError:
                pass
            del self.granted[tok]


def drop_privileges():
    import pwd
    pw = pwd.getpwnam('nobody')
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--count', type=int,
                    default=int(os.environ.get('DIBS_FUZZ_COUNT', '20000')))
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--unpriv', action='store_true',
                    help='fuzz as the user nobody (the socket is opened after the drop)')
    ap.add_argument('--devices', action='store_true',
                    help='create sim and loopback devices and DMBs first (root)')
    ap.add_argument('--header', default=os.path.join(REPO, 'uapi/linux/dibs.h'))
    ap.add_argument('--spec', default=os.path.join(REPO, 'uapi/dibs.yaml'))
    args = ap.parse_args()
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), 'little')
    print('seed %d' % args.seed, flush=True)
    random.seed(args.seed)
    root = os.geteuid() == 0
    if not root:
        args.unpriv = True
        if args.devices:
            print('--devices needs root', file=sys.stderr)
            return 2
    try:
        spec = Spec(args.header, args.spec)
        fz = Fuzzer(spec, args)
        setup_conn = None
        made = []
        if root:
            setup_conn = Conn()
            fz.conn = setup_conn
            fz.fid, _ = resolve_family(setup_conn, spec.family)
            fz.protect()
            if args.devices:
                made = fz.make_devices(setup_conn)
                fz.refresh(setup_conn)
    except (SetupError, OSError, Violation) as e:
        print('setup: %s' % e, file=sys.stderr)
        return 2

    if root and args.unpriv:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                setup_conn.close()
                drop_privileges()
                rc = fuzz(fz)
            finally:
                sys.stdout.flush()
                os._exit(rc)
        _, status = os.waitpid(pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        if rc < 0:
            print('the fuzzing child died of signal %d' % -rc, file=sys.stderr)
            rc = 1
    else:
        rc = fuzz(fz)
    if root:
        try:
            conn = Conn()
            fz.conn = conn
            fz.cleanup(conn, extra_names=made)
            setup_conn.close()
            conn.close()
        except (OSError, Violation) as e:
            print('cleanup: %s' % e, file=sys.stderr)
            rc = rc or 1
    return rc


def fuzz(fz):
    try:
        fz.open()
        secs = fz.run()
    except Violation as v:
        print(str(v), file=sys.stderr)
        print('fuzz: FAILED after %d messages, seed %d' % (fz.n_msgs, fz.args.seed))
        return 1
    except (SetupError, OSError) as e:
        print('fuzz: %s after %d messages, seed %d' % (e, fz.n_msgs, fz.args.seed),
              file=sys.stderr)
        return 1
    errs = ' '.join('%s:%d' % (errno.errorcode.get(k, k), v)
                    for k, v in sorted(fz.errnos.items()))
    print('errnos %s' % errs)
    print('notifications %d, %.0f messages/s' % (fz.n_ntf, fz.n_msgs / max(secs, 1e-6)))
    print('fuzz: %d messages, %d errors answered, %d replies, seed %d'
          % (fz.n_msgs, fz.n_errors, fz.n_replies, fz.args.seed))
    return 0


if __name__ == '__main__':
    sys.exit(main())
