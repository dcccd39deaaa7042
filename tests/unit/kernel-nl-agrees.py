#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Proves that the kernel's netlink tables are uapi/dibs.yaml's. Prints TAP;
exits 1 when anything disagrees.

- kernel/dibs_nl_gen.h and .c (the policies, the op table with its hooks,
  the multicast group numbers) are byte for byte what the kernel's own
  generator (ynl-gen-c.py --mode kernel, through scripts/ynl-gen-kernel.py)
  renders from the spec now.
What is still written by hand is compared with the spec:
- kernel/dibs_netlink.c's multicast groups: names, order, and the spec's
  admin-perm as DIBS_MCGRP_FLAGS (the 6.12 generator drops group flags);
- dibs_nl_required: every required attribute is in the op's do request;
- dmb-read's narrower len range (1 to data-chunk-max, which the spec
  states in words: an attribute has one range in a spec);
- tests/kmod/dibs_kunit.c's op table dk_ops_want: every op, its
  permission, whether it has a do and a dump, the last attribute of each
  request (the op's maxattr) and the dump's start.

The drift checks at the end mutate copies of the texts and require the
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
GEN_H = os.path.join(REPO, 'kernel', 'dibs_nl_gen.h')
GEN_C = os.path.join(REPO, 'kernel', 'dibs_nl_gen.c')
KUNIT_C = os.path.join(REPO, 'tests', 'kmod', 'dibs_kunit.c')

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(REPO, 'tests', 'spec'))
from tap import Tap  # noqa: E402 (the path first)


def c_upper(name):
    return name.upper().replace('-', '_')


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


def ranges(text):
    out = {}
    for m in re.finditer(r'struct\s+netlink_range_validation\s+(\w+)\s*=\s*\{(.*?)\};',
                         text, re.S):
        f = dict(re.findall(r'\.(min|max)\s*=\s*([^,}]+)', m.group(2)))
        out[m.group(1)] = (f.get('min', '0').strip(), f.get('max', '0').strip())
    return out


def canon(expr, consts, rngs):
    """A policy initializer as a string with every name replaced by its value."""
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


# ---- the comparisons ---------------------------------------------------------

def spec_ops(spec):
    """Ops with a do or a dump, in order: {name: op}"""
    return {op['name']: op for op in spec['operations']['list']
            if 'do' in op or 'dump' in op}


def request_attrs(op, mode):
    return op.get(mode, {}).get('request', {}).get('attributes', [])


def check_generated(texts):
    results = []
    for ext, path in (('h', GEN_H), ('c', GEN_C)):
        ok = texts['gen_' + ext] == texts['rendered_' + ext]
        diag = [] if ok else [f'run scripts/ynl-gen-kernel.py ({first_diff(texts["gen_" + ext], texts["rendered_" + ext])})']
        results.append((ok, f'{os.path.relpath(path, REPO)} is what the generator renders from the spec', diag))
    return results


def first_diff(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(al, bl)):
        if x != y:
            return f'line {i + 1}: {x.strip()!r}, rendered {y.strip()!r}'
    return f'{len(al)} lines, rendered {len(bl)}'


def check_read_len(consts, hand_text):
    rng = ranges(strip_comments(hand_text)).get('dibs_dmb_read_len_range')
    want = (1, consts['DIBS_DATA_CHUNK_MAX'])
    got = rng and tuple(int(canon(x, consts, {})) for x in rng)
    return [(got == want, 'dmb-read\'s len range is 1 to data-chunk-max',
             [] if got == want else [f'kernel {got}, want {want}'])]


def check_groups(spec, hand_text):
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
    return [(not diag, 'multicast groups agree with the spec (order, name, admin-perm)', diag)]


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


def last_attr(spec, op, mode):
    """The request's attribute with the highest number, as C names it, or 0."""
    attrs = request_attrs(op, mode)
    if not attrs:
        return '0'
    aset = next(s for s in spec['attribute-sets'] if s['name'] == op['attribute-set'])
    names = [a['name'] for a in aset['attributes']]
    prefix = aset.get('name-prefix', 'dibs-a-' + aset['name'] + '-')
    return c_upper(prefix + max(attrs, key=names.index))


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
        if len(f) < 6:
            diag.append(f'row {f}: too short')
            continue
        cmd = f[0]
        name = next((n for n in ops if c_upper('dibs-cmd-' + n) == cmd), None)
        if name is None:
            diag.append(f'{cmd}: no such op in the spec')
            continue
        seen.add(name)
        op = ops[name]
        want = (set(op.get('flags', [])) & {'admin-perm', 'uns-admin-perm'},
                'do' in op, last_attr(spec, op, 'do'),
                'dump' in op, last_attr(spec, op, 'dump'),
                'pre' in op.get('dump', {}))
        got = (perm.get(f[1]), f[2] == 'true', f[3], f[4] == 'true', f[5],
               len(f) > 6 and f[6] == 'true')
        if got != want:
            diag.append(f'{cmd}: KUnit {got}, spec {want}')
    for name in sorted(set(ops) - seen):
        diag.append(f'{name}: not in dk_ops_want')
    return [(not diag, 'the KUnit op table (dk_ops_want) agrees with the spec', diag)]


def all_checks(spec, texts):
    consts = constants(spec)
    return (check_generated(texts) +
            check_groups(spec, texts['netlink']) +
            check_required(spec, texts['netlink']) +
            check_read_len(consts, texts['netlink']) +
            check_kunit(spec, texts['kunit']))


# Each mutation must make some check fail.
DRIFTS = [
    ('gen_c', '[DIBS_A_DMB_CLIENT_NAME] = { .type = NLA_NUL_STRING, .len = 63, }',
     '[DIBS_A_DMB_CLIENT_NAME] = { .type = NLA_NUL_STRING, .len = 64, }',
     'a hand edit of a generated policy'),
    ('gen_h', 'DIBS_NLGRP_SIGNAL,', 'DIBS_NLGRP_SIGNAL, DIBS_NLGRP_X,',
     'a hand edit of the generated header'),
    ('netlink', '.max = DIBS_DATA_CHUNK_MAX,', '.max = DIBS_DATA_CHUNK_MAX - 1,',
     'dmb-read\'s len range'),
    ('netlink', '.flags = DIBS_MCGRP_FLAGS,\n\t},\n\t[DIBS_NLGRP_SIGNAL]',
     '},\n\t[DIBS_NLGRP_SIGNAL]', 'a group\'s flags dropped'),
    ('netlink', '[DIBS_CMD_DMB_GET] = { DIBS_A_DMB_TOKEN },',
     '[DIBS_CMD_DMB_GET] = { DIBS_A_DMB_LEN },', 'a required attribute outside the request'),
    ('kunit', '{ DIBS_CMD_DMB_WRITE, ADMIN, true, DIBS_A_DMB_SIGNAL_IDX, false, 0 },',
     '{ DIBS_CMD_DMB_WRITE, 0, true, DIBS_A_DMB_SIGNAL_IDX, false, 0 },',
     'a KUnit row\'s permission'),
    ('kunit', '{ DIBS_CMD_DEV_SET, ADMIN, true, DIBS_A_DEV_NETNS_FD, false, 0 },',
     '{ DIBS_CMD_DEV_SET, ADMIN, true, DIBS_A_DEV_NETNS_PID, false, 0 },',
     'a KUnit row\'s maxattr'),
]


def main():
    tap = Tap()
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    texts = {}
    for key, path in (('netlink', NETLINK_C), ('kunit', KUNIT_C),
                      ('gen_h', GEN_H), ('gen_c', GEN_C)):
        with open(path) as f:
            texts[key] = f.read()
    try:
        gen = load_renderer().render()
    except SystemExit as e:
        tap.result(False, 'the kernel\'s generator renders uapi/dibs.yaml', [str(e)])
        return tap.finish()
    texts['rendered_h'], texts['rendered_c'] = gen['h'], gen['c']
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
