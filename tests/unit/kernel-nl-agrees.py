#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Proves that the kernel's hand-written netlink tables agree with
uapi/dibs.yaml, by comparing them with what the kernel's own generator
(ynl-gen-c.py --mode kernel, through scripts/ynl-gen-kernel.py) renders
from the spec. Prints TAP; exits 1 when anything disagrees.

Checked, in kernel/dibs_netlink.c:
- every attribute policy of every op, entry by entry, after constants are
  replaced by their values (a policy shared by do and dump must be the
  union of the generated do and dump policies);
- the op table: one op per spec op that has a do or dump, doit and dumpit
  as the spec has them, the permission flags, maxattr the set's __MAX;
- the multicast groups: names, order, and the spec's admin-perm as
  DIBS_MCGRP_FLAGS (the 6.12 generator drops group flags, which is one
  reason the table is not generated yet), and kernel/dibs_nl.h's
  DIBS_NLGRP_* enum against the generated one;
- dibs_nl_required: every required attribute is in the op's do request.
In tests/kmod/dibs_kunit.c: the KUnit op table dk_ops_want (every op, its
maxattr, permission, doit and dumpit).

Known, deliberate differences are listed in EXCEPTIONS with the reason;
each must still hold exactly (the kernel's value as listed, and the
generator's different), or the check fails, so none can go stale.

The drift checks at the end mutate copies of the C texts and require the
comparison to fail. The YNL tools come from tests/spec/ynl-tools.sh.

  kernel-nl-agrees.py [--no-drift]
"""

import importlib.util
import os
import re
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(REPO, 'uapi', 'dibs.yaml')
NETLINK_C = os.path.join(REPO, 'kernel', 'dibs_netlink.c')
NL_H = os.path.join(REPO, 'kernel', 'dibs_nl.h')
KUNIT_C = os.path.join(REPO, 'tests', 'kmod', 'dibs_kunit.c')

# (op, attribute): (the kernel's policy, canonical, and why it differs)
EXCEPTIONS = {
    ('dmb-read', 'DIBS_A_DMB_LEN'): (
        'NLA_POLICY_FULL_RANGE(NLA_U32,range(1,32768))',
        'a read returns at most data-chunk-max bytes; the spec can give an '
        'attribute one range only (dmb-grant\'s, up to dmb-len-max)'),
}


def c_upper(name):
    return name.upper().replace('-', '_')


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, desc, diag=()):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f'{"ok" if ok else "not ok"} {self.n} - {desc}')
        for d in diag:
            print(f'#   {d}')
        sys.stdout.flush()

    def finish(self):
        print(f'1..{self.n}')
        return 1 if self.failed else 0


def load_renderer():
    path = os.path.join(REPO, 'scripts', 'ynl-gen-kernel.py')
    spec = importlib.util.spec_from_file_location('ynl_gen_kernel', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---- reading C tables ------------------------------------------------------

def strip_comments(text):
    return re.sub(r'/\*.*?\*/', '', text, flags=re.S)


def constants(spec):
    """Every DIBS_* constant and enum value the spec defines."""
    values = {}
    for d in spec.get('definitions', []):
        if d['type'] == 'const':
            values[c_upper('dibs-' + d['name'])] = d['value']
        elif d['type'] == 'enum':
            prefix = d.get('name-prefix', 'dibs-' + d['name'] + '-')
            for i, e in enumerate(d['entries']):
                values[c_upper(prefix + e['name'])] = i
    return values


def macros(text):
    """#define NAME BODY (one line, or continued with backslashes)."""
    out = {}
    for m in re.finditer(r'^#define\s+(\w+)[ \t]+((?:.*\\\n)*.*)$', text, re.M):
        out[m.group(1)] = m.group(2).replace('\\\n', ' ')
    return out


def ranges(text):
    out = {}
    for m in re.finditer(r'struct\s+netlink_range_validation\s+(\w+)\s*=\s*\{(.*?)\};',
                         text, re.S):
        f = dict(re.findall(r'\.(min|max)\s*=\s*([^,}]+)', m.group(2)))
        out[m.group(1)] = (f.get('min', '0').strip(), f.get('max', '0').strip())
    return out


def canon(expr, consts, defs, rngs):
    """A policy initializer as a string with every name replaced by its value."""
    for _ in range(4):
        expr = re.sub(r'\b(DIBS_POLICY_\w+)\b', lambda m: defs.get(m.group(1), m.group(1)), expr)
    expr = re.sub(r'&\s*(\w+)', lambda m: 'range(%s,%s)' % rngs[m.group(1)]
                  if m.group(1) in rngs else m.group(0), expr)
    expr = re.sub(r'\b(DIBS_\w+)\b', lambda m: str(consts.get(m.group(1), m.group(1))), expr)
    expr = re.sub(r'\b(\d+)(?:ULL|UL|U)\b', r'\1', expr)
    expr = re.sub(r'\s+', '', expr)
    prev = None
    while prev != expr:
        prev = expr
        # digits and operators only, alone or in parentheses
        expr = re.sub(r'\((\d+(?:(?:[-+*]|<<)\d+)+)\)|\b(\d+(?:(?:[-+*]|<<)\d+)+)\b',
                      lambda m: str(eval(m.group(1) or m.group(2))), expr)
    return expr.replace(',}', '}')


def policies(text, consts):
    """{policy name: {attribute: canonical initializer}}"""
    text = strip_comments(text)
    defs, rngs = macros(text), ranges(text)
    out = {}
    for m in re.finditer(r'struct\s+nla_policy\s+(\w+)\s*\[[^\]]*\]\s*=\s*\{(.*?)\n\};',
                         text, re.S):
        entries = {}
        for e in re.finditer(r'\[(\w+)\]\s*=\s*(.+?),?\s*$', m.group(2), re.M):
            entries[e.group(1)] = canon(e.group(2), consts, defs, rngs)
        out[m.group(1)] = entries
    return out


def blocks(text, head):
    """The { ... } entries of the array whose declaration matches @head."""
    m = re.search(head + r'\s*=\s*\{', text)
    if not m:
        return None
    i, depth, start, out = m.end(), 1, None, []
    while depth:
        c = text[i]
        if c == '{':
            depth += 1
            if depth == 2:
                start = i
        elif c == '}':
            depth -= 1
            if depth == 1:
                out.append(text[start + 1:i])
        i += 1
    return out


def op_entries(text):
    """The kernel's op table: [{cmd, policy, maxattr, doit, dumpit, start, perm}]"""
    text = strip_comments(text)
    out = []
    for b in blocks(text, r'struct\s+genl_(?:split_)?ops\s+dibs_nl_ops\s*\[[^\]]*\]') or []:
        e = {}
        m = re.search(r'DIBS_OP\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\)', b)
        if m:
            e['cmd'], e['policy'], e['maxattr'] = m.groups()
        for key in ('cmd', 'policy', 'maxattr', 'flags'):
            f = re.search(r'\.' + key + r'\s*=\s*([^,]+),', b)
            if f:
                e[key] = f.group(1).strip()
        for key in ('doit', 'dumpit', 'start'):
            e[key] = bool(re.search(r'\.' + key + r'\s*=', b))
        flags = set(re.findall(r'\w+', e.get('flags', '')))
        e['perm'] = flags & {'GENL_ADMIN_PERM', 'GENL_UNS_ADMIN_PERM'}
        out.append(e)
    return out


# ---- the comparisons ---------------------------------------------------------

def spec_ops(spec):
    """Ops with a do or a dump, in order: {name: op}"""
    return {op['name']: op for op in spec['operations']['list']
            if 'do' in op or 'dump' in op}


def set_max(spec, op):
    aset = next(s for s in spec['attribute-sets'] if s['name'] == op['attribute-set'])
    return c_upper(aset.get('name-prefix', 'dibs-a-' + aset['name'] + '-') + 'max')


def request_attrs(op, mode):
    return op.get(mode, {}).get('request', {}).get('attributes', [])


def check_policies(spec, consts, hand_text, gen_text):
    results = []
    hand_pol = policies(hand_text, consts)
    gen_pol = policies(gen_text, consts)
    hand_ops = {e['cmd']: e for e in op_entries(hand_text)}
    gen_ops = op_entries(gen_text)
    used = set()
    for name, op in spec_ops(spec).items():
        cmd = c_upper('dibs-cmd-' + name)
        h = hand_ops.get(cmd)
        if h is None:
            results.append((False, f'the kernel has an op for {name}', [f'no {cmd} in dibs_nl_ops']))
            continue
        want = {}
        for g in gen_ops:
            if g['cmd'] == cmd and g.get('policy'):
                for attr, pol in gen_pol[g['policy']].items():
                    want.setdefault(attr, pol)
        have = hand_pol.get(h.get('policy'), {}) if h.get('policy') else {}
        used.add((name, None))
        diag = []
        for attr in sorted(set(want) | set(have)):
            exc = EXCEPTIONS.get((name, attr))
            if exc:
                used.add((name, attr))
                if have.get(attr) != exc[0]:
                    diag.append(f'{attr}: kernel {have.get(attr)}, the listed exception {exc[0]}')
                if want.get(attr) == exc[0]:
                    diag.append(f'{attr}: the exception is stale, the spec gives {want.get(attr)} too')
                continue
            if have.get(attr) != want.get(attr):
                diag.append(f'{attr}: kernel {have.get(attr)}, spec {want.get(attr)}')
        results.append((not diag, f'policy of {name} agrees with the spec', diag))

        diag = []
        for mode, key in (('do', 'doit'), ('dump', 'dumpit')):
            if h[key] != (mode in op):
                diag.append(f'{key}: kernel {h[key]}, spec has {mode}: {mode in op}')
        gperm = set()
        for g in gen_ops:
            if g['cmd'] == cmd:
                gperm |= g['perm']
        if h['perm'] != gperm:
            diag.append(f'permission: kernel {sorted(h["perm"]) or "none"}, spec {sorted(gperm) or "none"}')
        any_req = request_attrs(op, 'do') or request_attrs(op, 'dump')
        want_max = set_max(spec, op) if any_req else None
        if h.get('maxattr') != want_max:
            diag.append(f'maxattr: kernel {h.get("maxattr")}, want {want_max}')
        results.append((not diag, f'op table entry of {name} (doit, dumpit, permission, maxattr)', diag))
    extra = sorted(set(hand_ops) - {c_upper('dibs-cmd-' + n) for n in spec_ops(spec)})
    results.append((not extra, 'the kernel has no op the spec lacks', extra))
    return results


def check_groups(spec, hand_text, nl_h, gen_h):
    text = strip_comments(hand_text)
    entries = blocks(text, r'struct\s+genl_multicast_group\s+dibs_nl_mcgrps\s*\[\]') or []
    names = re.findall(r'\[(\w+)\]\s*=\s*\{', text[text.find('dibs_nl_mcgrps[]'):])
    diag = []
    groups = spec['mcast-groups']['list']
    if len(entries) != len(groups):
        diag.append(f'kernel has {len(entries)} groups, spec {len(groups)}')
    for i, g in enumerate(groups):
        if i >= len(entries):
            break
        want_idx = c_upper('dibs-nlgrp-' + g['name'])
        want_name = c_upper('dibs-mcgrp-' + g['name'])
        want_flags = 'DIBS_MCGRP_FLAGS' if 'admin-perm' in g.get('flags', []) else None
        name = re.search(r'\.name\s*=\s*(\w+)', entries[i])
        flags = re.search(r'\.flags\s*=\s*(\w+)', entries[i])
        got = (names[i] if i < len(names) else None, name and name.group(1), flags and flags.group(1))
        if got != (want_idx, want_name, want_flags):
            diag.append(f'group {i}: kernel {got}, spec {(want_idx, want_name, want_flags)}')
    results = [(not diag, 'multicast groups agree with the spec (order, name, admin-perm)', diag)]

    def nlgrp(t):
        m = re.search(r'enum\s*\w*\s*\{([^}]*DIBS_NLGRP_[^}]*)\}', strip_comments(t))
        return re.findall(r'\w+', m.group(1)) if m else None
    have, want = nlgrp(nl_h), nlgrp(gen_h)
    results.append((have == want, 'kernel/dibs_nl.h\'s DIBS_NLGRP_* are the generated ones',
                    [] if have == want else [f'kernel {have}, generated {want}']))
    return results


def check_required(spec, hand_text):
    text = strip_comments(hand_text)
    m = re.search(r'dibs_nl_required\s*\[[^\]]*\]\s*\[[^\]]*\]\s*=\s*\{(.*?)\n\};', text, re.S)
    if not m:
        return [(False, 'kernel/dibs_netlink.c has dibs_nl_required', ['not found'])]
    ops = spec_ops(spec)
    diag = []
    for cmd, attrs in re.findall(r'\[(DIBS_CMD_\w+)\]\s*=\s*\{([^}]*)\}', m.group(1)):
        name = next((n for n in ops if c_upper('dibs-cmd-' + n) == cmd), None)
        if name is None:
            diag.append(f'{cmd}: no such op in the spec')
            continue
        op = ops[name]
        aset = next(s for s in spec['attribute-sets'] if s['name'] == op['attribute-set'])
        prefix = aset.get('name-prefix', 'dibs-a-' + aset['name'] + '-')
        req = {c_upper(prefix + a) for a in request_attrs(op, 'do')}
        for a in re.findall(r'\w+', attrs):
            if a not in req:
                diag.append(f'{cmd}: requires {a}, not in the spec\'s do request')
    return [(not diag, 'dibs_nl_required names only attributes of each op\'s do request', diag)]


def check_kunit(spec, kunit_text):
    text = strip_comments(kunit_text)
    rows = blocks(text, r'struct\s+dk_op_want\s+dk_ops_want\s*\[\]')
    if rows is None:
        return [(False, 'tests/kmod/dibs_kunit.c has dk_ops_want', ['not found'])]
    perm = {'0': set(), 'ADMIN': {'admin-perm'}, 'UNS': {'uns-admin-perm'}}
    ops = spec_ops(spec)
    seen, diag = set(), []
    for r in rows:
        f = [x.strip() for x in r.split(',') if x.strip()]
        cmd, maxattr, p, doit, dumpit = f[:5]
        name = next((n for n in ops if c_upper('dibs-cmd-' + n) == cmd), None)
        if name is None:
            diag.append(f'{cmd}: no such op in the spec')
            continue
        seen.add(name)
        op = ops[name]
        any_req = request_attrs(op, 'do') or request_attrs(op, 'dump')
        want = (set_max(spec, op) if any_req else '0',
                set(op.get('flags', [])) & {'admin-perm', 'uns-admin-perm'},
                'do' in op, 'dump' in op)
        got = (maxattr, perm.get(p), doit == 'true', dumpit == 'true')
        if got != want:
            diag.append(f'{cmd}: KUnit {got}, spec {want}')
    for name in sorted(set(ops) - seen):
        diag.append(f'{name}: not in dk_ops_want')
    return [(not diag, 'the KUnit op table (dk_ops_want) agrees with the spec', diag)]


def all_checks(spec, texts):
    consts = constants(spec)
    return (check_policies(spec, consts, texts['netlink'], texts['gen_c']) +
            check_groups(spec, texts['netlink'], texts['nl_h'], texts['gen_h']) +
            check_required(spec, texts['netlink']) +
            check_kunit(spec, texts['kunit']))


# Each mutation must make some check fail.
DRIFTS = [
    ('netlink', '[DIBS_A_DMB_CLIENT_NAME] = { .type = NLA_NUL_STRING, .len = 63 }',
     '[DIBS_A_DMB_CLIENT_NAME] = { .type = NLA_NUL_STRING, .len = 64 }',
     'a string length in a policy'),
    ('netlink', '.max = DIBS_DATA_CHUNK_MAX,', '.max = DIBS_DATA_CHUNK_MAX - 1,',
     'the range of the listed exception'),
    ('netlink', '[DIBS_A_DEV_FABRIC_ID] = { .type = NLA_U16 },', '',
     'an attribute missing from a policy'),
    ('netlink', '.doit = dibs_nl_dev_new_doit,\n\t\t.flags = GENL_ADMIN_PERM,',
     '.doit = dibs_nl_dev_new_doit,', 'a permission dropped'),
    ('netlink', '.flags = DIBS_MCGRP_FLAGS,\n\t},\n\t[DIBS_NLGRP_SIGNAL]',
     '},\n\t[DIBS_NLGRP_SIGNAL]', 'a group\'s flags dropped'),
    ('netlink', '[DIBS_CMD_DMB_GET] = { DIBS_A_DMB_TOKEN },',
     '[DIBS_CMD_DMB_GET] = { DIBS_A_DMB_LEN },', 'a required attribute outside the request'),
    ('kunit', '{ DIBS_CMD_DMB_WRITE, DIBS_A_DMB_MAX, ADMIN, true, false },',
     '{ DIBS_CMD_DMB_WRITE, DIBS_A_DMB_MAX, 0, true, false },', 'a KUnit row\'s permission'),
]


def main():
    tap = Tap()
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    texts = {}
    for key, path in (('netlink', NETLINK_C), ('nl_h', NL_H), ('kunit', KUNIT_C)):
        with open(path) as f:
            texts[key] = f.read()
    try:
        gen = load_renderer().render()
    except SystemExit as e:
        tap.result(False, 'the kernel\'s generator renders uapi/dibs.yaml', [str(e)])
        return tap.finish()
    texts['gen_h'], texts['gen_c'] = gen['h'], gen['c']
    tap.result(bool(re.search(r'genl_split_ops dibs_nl_ops\[\d+\]', gen['c'])),
               'the kernel\'s generator renders uapi/dibs.yaml (policies and op table)')

    for ok, desc, diag in all_checks(spec, texts):
        tap.result(ok, desc, diag)

    if '--no-drift' not in sys.argv:
        for key, old, new, what in DRIFTS:
            if old not in texts[key]:
                tap.result(False, f'drift: {what}', [f'text to mutate not found: {old!r}'])
                continue
            bad = dict(texts, **{key: texts[key].replace(old, new, 1)})
            failed = [d for ok, d, _ in all_checks(spec, bad) if not ok]
            tap.result(bool(failed), f'drift: {what} is caught', failed[:2])
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
