#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Proves that uapi/dibs.yaml (the YNL spec) and uapi/linux/dibs.h (the uapi
header) describe the same family, in both directions, and that the spec's
operations are the ones uapi/README.md documents. Prints TAP; exits 1 when
anything disagrees.

How: the kernel's ynl-gen-c.py renders the spec into a uapi header; both
headers then go through the C compiler, which lists every #define and every
enum constant of each and prints their values. The two lists must be equal:
the family name and version, the multicast groups, the constants, every
enum (named ones by tag, attribute sets and the command enum by their
__..._MAX member) with every member's name and value, and the MAX values.

It also checks that libdibsnl's parsing policies (libdibsnl/src/*.c) read
every attribute as the type the spec gives it (an s32 as S32, not U32).

The drift checks at the end mutate temporary copies of the header and of
the spec and require the comparison to fail, naming the mutated constant.

  spec-agrees.py [--header H] [--spec S] [--readme R] [--libdibsnl-src D]
                 [--no-drift]

The YNL tools come from Debian's linux-source package through
tests/spec/ynl-tools.sh (DIBS_YNL_DIR overrides where they are kept).
CC names the C compiler (default cc).
"""

import argparse
import concurrent.futures
import copy
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    yaml = None

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(REPO, 'tests', 'spec'))
from tap import Tap  # noqa: E402 (the path first)

SPDX = '# SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)'


class Failed(Exception):
    """A step that later checks depend on did not work."""


def c_upper(name):
    return name.upper().replace('-', '_')


def run(cmd, cwd=None, timeout=120):
    try:
        proc = subprocess.run(cmd, cwd=cwd, timeout=timeout, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except subprocess.TimeoutExpired:
        return 124, '', f'{os.path.basename(cmd[0])} did not finish in {timeout} s'
    except OSError as e:
        return 127, '', f'{cmd[0]}: {e.strerror}'
    return proc.returncode, proc.stdout, proc.stderr


def tail(text, lines=8):
    return [l for l in text.strip().splitlines()[-lines:]]


# ---- the tools ------------------------------------------------------------

class Tools:
    def __init__(self, root):
        self.root = root
        self.schemas = os.path.join(root, 'Documentation', 'netlink')
        ynl = os.path.join(root, 'tools', 'net', 'ynl')
        # 6.12 keeps the generator at the top; newer trees under pyynl/.
        for gen in (os.path.join(ynl, 'ynl-gen-c.py'),
                    os.path.join(ynl, 'pyynl', 'ynl_gen_c.py')):
            if os.path.exists(gen):
                self.gen = gen
                break
        else:
            raise Failed(f'no ynl-gen-c.py under {ynl}')


def find_tools():
    rc, out, err = run([os.path.join(REPO, 'tests', 'spec', 'ynl-tools.sh')],
                       timeout=600)
    if rc != 0:
        raise Failed(err.strip() or 'tests/spec/ynl-tools.sh failed')
    return Tools(out.strip())


# ---- the spec -------------------------------------------------------------

def load_spec(path):
    with open(path) as f:
        first = f.readline().rstrip('\n')
        f.seek(0)
        return first, yaml.safe_load(f)


def write_spec(path, spec):
    """Writes a (mutated) spec; YNL wants the SPDX line first."""
    with open(path, 'w') as f:
        f.write(SPDX + '\n')
        yaml.safe_dump(spec, f, sort_keys=False)


def validate_spec(tools, path):
    """Validates the spec against the schema its protocol names."""
    import jsonschema
    _, spec = load_spec(path)
    proto = spec.get('protocol', 'genetlink')
    schema_path = os.path.join(tools.schemas, proto + '.yaml')
    if not os.path.exists(schema_path):
        return False, [f'no schema {schema_path} for protocol {proto}']
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    try:
        jsonschema.validate(spec, schema)
    except jsonschema.ValidationError as e:
        where = '/'.join(str(p) for p in e.absolute_path) or '(top)'
        return False, [f'{where}: {e.message}'[:300]]
    return True, [f'protocol {proto}, schema {os.path.relpath(schema_path, tools.root)}']


_generated_cache = {}


def generate_header(tools, spec_path, work):
    """The generated header of a spec; specs with the same text run once."""
    with open(spec_path, 'rb') as f:
        key = hashlib.sha256(f.read()).hexdigest()
    if key not in _generated_cache:
        _generated_cache[key] = run_generator(tools, spec_path, work)
    return _generated_cache[key]


def user_code(tools, spec_path, work):
    """
    Renders the user-space library code too (header and source): that
    resolves every op's attribute lists, nests and notifications, which
    the uapi header alone does not need.
    """
    tree = os.path.join(work, 'tree')
    spec_copy = os.path.join(tree, 'Documentation', 'netlink', 'specs',
                             'user-' + os.path.basename(spec_path))
    # ynl-gen-c of 6.12 renders repeated (multi-attr) attributes in user
    # code for scalars and nests only: render binary ones (dmb-write's
    # data pieces) as single. The uapi header is rendered from the spec as
    # it is (run_generator).
    _, spec = load_spec(spec_path)
    for aset in spec.get('attribute-sets', []):
        for attr in aset.get('attributes', []):
            if attr.get('multi-attr') and attr.get('type') == 'binary':
                del attr['multi-attr']
    write_spec(spec_copy, spec)
    diag = []
    for what in ('--header', '--source'):
        out = os.path.join(work, 'user' + what.replace('--', '-'))
        cmd = [sys.executable, tools.gen, '--mode', 'user', what,
               '--spec', spec_copy, '-o', out]
        rc, stdout, stderr = run(cmd, cwd=tree)
        if rc != 0:
            why = [l for l in (stdout + stderr).splitlines()
                   if re.match(r'[\w.]*(Error|Exception)\b', l)]
            diag.append(f'--mode user {what}: exit {rc}: ' +
                        ' | '.join(why[-2:] or tail(stdout + stderr, 4))[:300])
    return not diag, diag


def run_generator(tools, spec_path, work):
    """
    Runs ynl-gen-c.py --mode uapi --header on a copy of the spec placed as
    the tool expects it in a kernel tree: Documentation/netlink/specs/,
    the schemas one folder up (the tool validates against them) and a
    MAINTAINERS file at the top (without one it searches forever).
    """
    tree = os.path.join(work, 'tree')
    specs = os.path.join(tree, 'Documentation', 'netlink', 'specs')
    os.makedirs(specs)
    open(os.path.join(tree, 'MAINTAINERS'), 'w').close()
    for name in os.listdir(tools.schemas):
        if name.endswith('.yaml'):
            os.symlink(os.path.join(tools.schemas, name),
                       os.path.join(tree, 'Documentation', 'netlink', name))
    spec_copy = os.path.join(specs, os.path.basename(spec_path))
    shutil.copyfile(spec_path, spec_copy)

    out = os.path.join(work, 'generated', 'linux', 'dibs.h')
    os.makedirs(os.path.dirname(out))
    cmd = [sys.executable, tools.gen, '--mode', 'uapi', '--header',
           '--spec', spec_copy, '-o', out]
    rc, stdout, stderr = run(cmd, cwd=tree)
    if rc != 0 or not os.path.exists(out):
        # The exception line says what went wrong; the rest is a traceback
        # and, for a schema error, the whole spec.
        why = [l for l in (stdout + stderr).splitlines()
               if re.match(r'[\w.]*(Error|Exception)\b', l)]
        raise Failed(f'ynl-gen-c.py exited {rc}: ' +
                     ' | '.join(why[-2:] or tail(stdout + stderr, 4))[:400])
    return out


# ---- what a header defines, as the C compiler sees it ---------------------

ENUM_RE = re.compile(r'\benum\s*([A-Za-z_]\w*)?\s*\{([^{}]*)\}')
MEMBER_RE = re.compile(r'^([A-Za-z_]\w*)\s*(?:=.*)?$', re.S)

PRINTER = r'''
#include <stdio.h>
#include "%s"

static void p_str(const char *n, const char *v) { printf("%%s s %%s\n", n, v); }
static void p_int(const char *n, long long v) { printf("%%s i %%lld\n", n, v); }
static void p_uns(const char *n, unsigned long long v) { printf("%%s i %%llu\n", n, v); }
#define P(n, x) _Generic((x), char *: p_str, const char *: p_str,	\
			 unsigned int: p_uns, unsigned long: p_uns,	\
			 unsigned long long: p_uns, default: p_int)(n, x)

int main(void)
{
%s	return 0;
}
'''


class Symbols:
    """
    values: name -> (kind, value): kind 'i' integer, 's' string, 'e' an
            empty #define (the include guard), 'f' a function-like macro
            (value: its text)
    enums:  key -> [member names in order]; key is "enum TAG" for a named
            enum, else the enum's __..._MAX member, else its first member
    """

    def __init__(self, values, enums):
        self.values = values
        self.enums = enums
        self.enum_of = {m: k for k, ms in enums.items() for m in ms}

    def macros(self):
        return {n for n in self.values if n not in self.enum_of}


def cc():
    return shlex.split(os.environ.get('CC', 'cc'))


_symbols_cache = {}


def header_symbols(header, work, tag):
    """Symbols of a header; headers with the same text are read once."""
    with open(header, 'rb') as f:
        key = hashlib.sha256(f.read()).hexdigest()
    if key not in _symbols_cache:
        _symbols_cache[key] = read_symbols(header, work, tag)
    return _symbols_cache[key]


def read_symbols(header, work, tag):
    header = os.path.abspath(header)
    # #defines: everything -dM lists that an empty file does not.
    rc, builtin, err = run(cc() + ['-dM', '-E', '-x', 'c', os.devnull])
    if rc != 0:
        raise Failed(f'{cc()[0]} -dM -E failed: {err.strip()}')
    rc, defined, err = run(cc() + ['-dM', '-E', '-x', 'c', header])
    if rc != 0:
        raise Failed(f'{header} does not preprocess: ' + ' | '.join(tail(err, 4)))
    builtin = set(builtin.splitlines())
    macros = {}
    for line in defined.splitlines():
        if line in builtin:
            continue
        m = re.match(r'#define (\w+)(\(.*?\))?(?: (.*))?$', line)
        if not m:
            continue
        if m.group(2):
            macros[m.group(1)] = ('f', m.group(2) + ' ' + (m.group(3) or ''))
        else:
            macros[m.group(1)] = ('e', '') if not m.group(3) else None

    # enums: from the preprocessed text, so comments and #if are gone.
    rc, text, err = run(cc() + ['-E', '-P', '-x', 'c', header])
    if rc != 0:
        raise Failed(f'{header} does not preprocess: ' + ' | '.join(tail(err, 4)))
    enums = {}
    for m in ENUM_RE.finditer(text):
        members = []
        for item in m.group(2).split(','):
            item = item.strip()
            if not item:
                continue
            mm = MEMBER_RE.match(item)
            if not mm:
                raise Failed(f'{header}: cannot read enum member "{item}"')
            members.append(mm.group(1))
        if m.group(1):
            key = 'enum ' + m.group(1)
        else:
            cnt = [x for x in members if x.startswith('__')]
            key = cnt[-1] if cnt else (members[0] if members else '?')
        if key in enums:
            raise Failed(f'{header}: two enums keyed {key}')
        enums[key] = members

    # values: compiled and printed, so expressions are evaluated as C does.
    names = [n for n, v in macros.items() if v is None]
    names += [x for ms in enums.values() for x in ms]
    body = ''.join(f'\tP("{n}", {n});\n' for n in names)
    src = os.path.join(work, f'print-{tag}.c')
    exe = os.path.join(work, f'print-{tag}')
    with open(src, 'w') as f:
        f.write(PRINTER % (header, body))
    rc, _, err = run(cc() + ['-std=gnu11', '-Wall', '-Wextra', '-Werror',
                             '-o', exe, src])
    if rc != 0:
        raise Failed(f'the value printer for {header} does not compile: ' +
                     ' | '.join(tail(err, 6)))
    rc, out, err = run([exe])
    if rc != 0:
        raise Failed(f'the value printer for {header} failed: {err.strip()}')
    values = {n: v for n, v in macros.items() if v is not None}
    for line in out.splitlines():
        name, kind, value = line.split(' ', 2)
        values[name] = (kind, value)
    missing = [n for n in names if n not in values]
    if missing:
        raise Failed(f'no value printed for {", ".join(missing)}')
    return Symbols(values, enums)


# ---- the comparison -------------------------------------------------------

def show(value):
    kind, v = value
    return {'s': f'"{v}"', 'e': '(empty)', 'f': f'macro{v}'}.get(kind, v)


def diff_names(names, ours, theirs):
    """Diagnostics for every name of names that is not the same on both."""
    diag = []
    for n in sorted(names, key=lambda n: (ours.values.get(n) is None, n)):
        a, b = ours.values.get(n), theirs.values.get(n)
        if a is None:
            diag.append(f'{n} = {show(b)} only in the spec (uapi/dibs.yaml)')
        elif b is None:
            diag.append(f'{n} = {show(a)} only in the header (uapi/linux/dibs.h)')
        elif a != b:
            diag.append(f'{n}: header {show(a)}, spec {show(b)}')
    return diag


def enum_labels(spec):
    """Friendly names for enum keys, from the spec."""
    labels = {}
    if not isinstance(spec, dict):
        return labels
    fam = spec.get('name', 'dibs')
    for d in spec.get('definitions', []) or []:
        if d.get('type') in ('enum', 'flags'):
            tag = d.get('enum-name') or f"{fam}-{d['name']}"
            labels['enum ' + c_upper(tag).lower()] = f"enum {d['name']}"
    for s in spec.get('attribute-sets', []) or []:
        pfx = s.get('name-prefix', f"{fam}-a-{s['name']}-")
        labels[f'__{c_upper(pfx)}MAX'] = f"attribute set {s['name']}"
    ops = spec.get('operations', {}) or {}
    pfx = ops.get('name-prefix', f'{fam}-cmd-')
    labels[f'__{c_upper(pfx)}MAX'] = 'commands'
    return labels


def agreement(tools, header, spec_path, work):
    """
    Compares header and spec. Returns [(ok, description, diagnostics)];
    a step that cannot run (the spec does not generate, a header does not
    compile) is one failed result.
    """
    results = []
    try:
        _, spec = load_spec(spec_path)
    except Exception as e:          # noqa: BLE001 - any parse error
        return [(False, 'the spec parses as YAML', [str(e)[:300]])]
    try:
        generated = generate_header(tools, spec_path, work)
        ours = header_symbols(header, work, 'header')
        theirs = header_symbols(generated, work, 'spec')
    except Failed as e:
        return [(False, 'the spec generates a uapi header and both headers compile',
                 [str(e)])]
    results.append((True, 'the spec generates a uapi header and both headers compile',
                    []))
    labels = enum_labels(spec)

    # family name and version, as the header contract names them
    fam = ['DIBS_FAMILY_NAME', 'DIBS_FAMILY_VERSION']
    diag = diff_names(fam, ours, theirs)
    for n in fam:
        if n not in ours.values and n not in theirs.values:
            diag.append(f'{n} is in neither')
    if ('s', spec.get('name')) != ours.values.get('DIBS_FAMILY_NAME'):
        diag.append(f"DIBS_FAMILY_NAME is not the spec's name \"{spec.get('name')}\"")
    results.append((not diag, 'family name and version agree', diag))

    # multicast groups
    grp = {n for n in ours.macros() | theirs.macros() if n.startswith('DIBS_MCGRP_')}
    diag = diff_names(grp, ours, theirs)
    if not grp:
        diag.append('no DIBS_MCGRP_* on either side')
    results.append((not diag, 'multicast group names agree (' +
                    ', '.join(sorted(grp)) + ')', diag))

    # every other #define: constants and the include guard
    rest = (ours.macros() | theirs.macros()) - grp - set(fam)
    diag = diff_names(rest, ours, theirs)
    results.append((not diag, f'constants agree ({len(rest)} #defines)', diag))

    # every enum, matched by tag or by its __..._MAX member
    keys = list(ours.enums) + [k for k in theirs.enums if k not in ours.enums]
    for key in keys:
        label = labels.get(key, key)
        a, b = ours.enums.get(key), theirs.enums.get(key)
        if a is None or b is None:
            side = 'header' if b is None else 'spec'
            members = a if b is None else b
            results.append((False, f'{label}: present on both sides',
                            [f'{key} ({", ".join(members)}) only in the {side}']))
            continue
        diag = diff_names(set(a) | set(b), ours, theirs)
        for n in sorted(set(a) ^ set(b)):
            where = theirs.enum_of.get(n) if n in a else ours.enum_of.get(n)
            if where:
                diag.append(f'{n} is in {key} on one side, in {where} on the other')
        if not diag and a != b:
            diag.append(f'order differs: header {a}, spec {b}')
        maxes = [m for m in a if m.endswith('_MAX') and not m.startswith('__')]
        what = 'names, values' + (' and ' + ', '.join(maxes) if maxes else '')
        results.append((not diag, f'{label}: {what} agree ({len(a)} members)', diag))

    # both directions, over everything at once
    only_h = sorted(set(ours.values) - set(theirs.values))
    only_s = sorted(set(theirs.values) - set(ours.values))
    results.append((not only_h, 'nothing in uapi/linux/dibs.h is missing from the spec',
                    [f'only in the header: {", ".join(only_h)}'] if only_h else []))
    results.append((not only_s, 'nothing in uapi/dibs.yaml is missing from the header',
                    [f'only in the spec: {", ".join(only_s)}'] if only_s else []))
    return results


# ---- the README's op table ------------------------------------------------

ATTR_RE = re.compile(r'\b[A-Z][A-Z0-9_]*\b')


def readme_attrs(text):
    """Attribute names of a README cell: upper-case words, nests' insides dropped."""
    while True:
        stripped = re.sub(r'\{[^{}]*\}', '', text)
        if stripped == text:
            break
        text = stripped
    return {n.lower().replace('_', '-') for n in ATTR_RE.findall(text)}


def readme_checks(spec, readme):
    results = []
    with open(readme) as f:
        text = f.read()
    ops = {op['name']: op for op in spec['operations']['list']}
    calls = {n: op for n, op in ops.items() if 'do' in op or 'dump' in op}
    ntfs = {n: op for n, op in ops.items() if 'notify' in op or 'event' in op}

    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) == 5 and re.fullmatch(r'[a-z][a-z-]*', cells[0]) and cells[0] != 'op':
            rows[cells[0]] = cells
    if not rows:
        return [(False, 'uapi/README.md has an op table', ['no | op | kind | perm | request | reply | rows'])]

    def reply_of(name, mode):
        m = ops[name].get(mode, {})
        return set(m.get('reply', {}).get('attributes', []))

    objects = {'dev object': ('dev-get', 'do'), 'dmb object': ('dmb-get', 'do'),
               'client object': ('client-get', 'dump')}

    for name in list(calls) + [r for r in rows if r not in calls]:
        diag = []
        if name not in rows:
            results.append((False, f'README documents op {name}', ['not in the op table']))
            continue
        if name not in calls:
            results.append((False, f'spec has the README\'s op {name}', ['not in uapi/dibs.yaml']))
            continue
        op, (_, kind, perm, req, rep) = calls[name], rows[name]
        modes = {m.strip() for m in kind.split(',')}
        if modes != {m for m in ('do', 'dump') if m in op}:
            diag.append(f'kind: README "{kind}", spec {sorted(m for m in ("do", "dump") if m in op)}')
        # admin: admin-perm; netns-admin: uns-admin-perm; any: neither
        flags = [f for f in op.get('flags', []) if f.endswith('admin-perm')]
        spec_perm = {(): 'any', ('admin-perm',): 'admin',
                     ('uns-admin-perm',): 'netns-admin'}.get(tuple(flags))
        if perm != spec_perm:
            diag.append(f'perm: README "{perm}", spec {" ".join(flags) or "none"}')
        for mode in ('do', 'dump'):
            if mode not in op:
                continue
            # request: "do: ...; dump: ..." or one text for every mode
            parts = dict(re.findall(r'(do|dump):\s*([^;]*)', req))
            want = parts.get(mode, req) if parts else req
            want = set() if want.strip() == 'none' else readme_attrs(want)
            have = set(op[mode].get('request', {}).get('attributes', []))
            if want != have:
                diag.append(f'{mode} request: README {sorted(want)}, spec {sorted(have)}')
            # reply: "ack", "X object[: ...]" or attribute names
            have = reply_of(name, mode)
            r = rep.strip()
            obj = next((o for o in objects if r.startswith(o)), None)
            if r == 'ack':
                want = set()
            elif obj and ':' in r:
                want = readme_attrs(r.split(':', 1)[1])
            elif obj:
                want = reply_of(*objects[obj])
            else:
                want = readme_attrs(r)
            if want != have:
                diag.append(f'{mode} reply: README {sorted(want)}, spec {sorted(have)}')
        results.append((not diag, f'README and spec agree on {name} (kind, perm, request, reply)', diag))

    # notifications: "Group `NAME`: a-ntf, b-ntf ..." up to the next group
    groups = {}
    marks = list(re.finditer(r'Group `([a-z-]+)`', text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        para_end = text.find('\n\n', m.end())
        if 0 <= para_end < end:
            end = para_end
        for n in re.findall(r'\b[a-z][a-z-]*-ntf\b', text[m.end():end]):
            groups[n] = m.group(1)
    want = {n: op.get('mcgrp') for n, op in ntfs.items()}
    diag = [f'{n}: README group {groups.get(n)}, spec group {want.get(n)}'
            for n in sorted(set(groups) | set(want)) if groups.get(n) != want.get(n)]
    results.append((not diag, 'README and spec agree on the notifications and their groups', diag))
    return results


# ---- drift: mutated copies must fail --------------------------------------

# What libdibsnl's parsing policies (libdibsnl/src/*.c) may read an
# attribute of each spec type as.
LIB_KINDS = {
    'u8': {'U8'}, 'u16': {'U16'}, 'u32': {'U32'}, 's32': {'S32'},
    'u64': {'U64'}, 'string': {'STRING'}, 'binary': {'BINARY', 'BYTES'},
    'flag': {'FLAG'}, 'nest': {'NEST'}, 'pad': {'IGNORE'},
}
LIB_POLICY_RE = re.compile(
    r'\[(DIBS_A_[A-Z0-9_]+)\]\s*=\s*(?:\{\s*\.kind\s*=\s*DIBSNL_ATTR_([A-Z0-9]+)|(DIBSNL_POLICY_GID))')


def library_kinds(spec, src_dir):
    """libdibsnl reads every attribute it parses as the type the spec gives it."""
    types = {}
    for aset in spec['attribute-sets']:
        prefix = aset.get('name-prefix', f"dibs-a-{aset['name']}-")
        for a in aset['attributes']:
            types[c_upper(prefix + a['name'])] = a['type']
    seen, bad = 0, []
    for name in sorted(os.listdir(src_dir)):
        if not name.endswith('.c'):
            continue
        with open(os.path.join(src_dir, name)) as f:
            text = f.read()
        for m in LIB_POLICY_RE.finditer(text):
            const, kind = m.group(1), m.group(2) or 'BINARY'
            seen += 1
            if const not in types:
                bad.append(f'{name}: {const} is not in the spec')
            elif kind not in LIB_KINDS.get(types[const], set()):
                bad.append(f'{name}: {const} read as {kind}, the spec says {types[const]}')
    if not seen:
        bad.append(f'no DIBS_A_* policy entries found in {src_dir}')
    return (not bad, "libdibsnl's policies read each attribute as the spec types it "
            f'({seen} entries)', bad)


def mutate_text(path, out, old, new):
    with open(path) as f:
        text = f.read()
    if old not in text:
        raise Failed(f'mutation anchor "{old.strip()}" not found in {path}')
    with open(out, 'w') as f:
        f.write(text.replace(old, new, 1))


def find_named(items, name):
    for it in items:
        if it.get('name') == name:
            return it
    raise Failed(f'"{name}" not found in the spec')


def rename_attr(spec, set_name, old, new):
    attr = find_named(find_named(spec['attribute-sets'], set_name)['attributes'], old)
    attr['name'] = new
    for op in spec['operations']['list']:
        if op.get('attribute-set') != set_name:
            continue
        for mode in ('do', 'dump'):
            for d in ('request', 'reply'):
                lst = op.get(mode, {}).get(d, {}).get('attributes')
                if lst:
                    lst[:] = [new if a == old else a for a in lst]
        lst = op.get('event', {}).get('attributes')
        if lst:
            lst[:] = [new if a == old else a for a in lst]


def drift_cases(header, spec_path):
    """(description, kind, how, names the failure must mention)."""
    def h_text(old, new):
        return lambda out: mutate_text(header, out, old, new)

    def s_edit(fn):
        def apply(out):
            _, spec = load_spec(spec_path)
            spec = copy.deepcopy(spec)
            fn(spec)
            write_spec(out, spec)
        return apply

    def add_subtype(s):
        find_named(s['definitions'], 'event-subtype')['entries'].append(
            {'name': 'fake', 'doc': 'drift check'})

    def set_const(s):
        find_named(s['definitions'], 'gid-len')['value'] = 32

    def swap_ops(s):
        lst = s['operations']['list']
        i, j = lst.index(find_named(lst, 'dmb-write')), lst.index(find_named(lst, 'dmb-read'))
        lst[i], lst[j] = lst[j], lst[i]

    def rename_group(s):
        find_named(s['mcast-groups']['list'], 'signal')['name'] = 'signals'
        for op in s['operations']['list']:
            if op.get('mcgrp') == 'signal':
                op['mcgrp'] = 'signals'

    return [
        ('an attribute added to the header only (DIBS_A_DEV_FAKE)', 'header',
         h_text('\tDIBS_A_DEV_PAD,\n', '\tDIBS_A_DEV_PAD,\n\tDIBS_A_DEV_FAKE,\n'),
         ['DIBS_A_DEV_FAKE', 'DIBS_A_DEV_MAX']),
        ('an attribute removed from the header only (DIBS_A_CLIENT_DEV)', 'header',
         h_text('\tDIBS_A_CLIENT_DEV,', ''),
         ['DIBS_A_CLIENT_DEV', 'DIBS_A_CLIENT_MAX']),
        ('a command added to the header only (DIBS_CMD_FAKE_NTF)', 'header',
         h_text('\tDIBS_CMD_SIGNAL_NTF,', '\tDIBS_CMD_SIGNAL_NTF,\n\tDIBS_CMD_FAKE_NTF,'),
         ['DIBS_CMD_FAKE_NTF', 'DIBS_CMD_MAX']),
        ('a constant added to the header only (DIBS_FAKE_MAX)', 'header',
         h_text('#define DIBS_GID_LEN', '#define DIBS_FAKE_MAX 7\n#define DIBS_GID_LEN'),
         ['DIBS_FAKE_MAX']),
        ('a group renamed in the header only (DIBS_MCGRP_SIGNAL "sig")', 'header',
         h_text('"signal"', '"sig"'),
         ['DIBS_MCGRP_SIGNAL']),
        ('an enum renamed in the header only (enum dibs_event_kind)', 'header',
         h_text('enum dibs_nl_event_type {', 'enum dibs_event_kind {'),
         ['dibs_event_kind', 'dibs_nl_event_type']),
        ('an attribute renamed in the spec only (dmb sba-idx -> sba-index)', 'spec',
         s_edit(lambda s: rename_attr(s, 'dmb', 'sba-idx', 'sba-index')),
         ['DIBS_A_DMB_SBA_IDX', 'DIBS_A_DMB_SBA_INDEX']),
        ('an enum entry added to the spec only (event-subtype fake)', 'spec',
         s_edit(add_subtype), ['DIBS_EVENT_FAKE']),
        ('a constant changed in the spec only (gid-len 32)', 'spec',
         s_edit(set_const), ['DIBS_GID_LEN']),
        ('two commands swapped in the spec only (dmb-write, dmb-read)', 'spec',
         s_edit(swap_ops), ['DIBS_CMD_DMB_WRITE', 'DIBS_CMD_DMB_READ']),
        ('a group renamed in the spec only (signal -> signals)', 'spec',
         s_edit(rename_group), ['DIBS_MCGRP_SIGNAL', 'DIBS_MCGRP_SIGNALS']),
    ]


def drift_one(tools, header, spec_path, work, case):
    """Runs one drift case; returns (ok, diagnostics)."""
    desc, kind, apply, names = case
    h = os.path.join(work, 'dibs.h')
    s = os.path.join(work, 'dibs.yaml')
    try:
        if kind == 'header':
            apply(h)
            shutil.copyfile(spec_path, s)
        else:
            shutil.copyfile(header, h)
            apply(s)
        res = agreement(tools, h, s, work)
    except Failed as e:
        return False, [str(e)]
    failed = [(d, diag) for ok, d, diag in res if not ok]
    text = '\n'.join(d + '\n' + '\n'.join(diag) for d, diag in failed)
    unnamed = [x for x in names if not re.search(rf'\b{x}\b', text)]
    if not failed:
        return False, ['the comparison passed on the mutated copy']
    if unnamed:
        return False, ([f'failed, but without naming {", ".join(unnamed)}:'] +
                       [f'  {l}' for l in text.splitlines()[:10]])
    return True, ['caught by: ' + '; '.join(d for d, _ in failed)]


def drift_control(tools, header, spec_path, work):
    """The copies as the mutations make them, unmutated, must agree."""
    h = os.path.join(work, 'dibs.h')
    s = os.path.join(work, 'dibs.yaml')
    shutil.copyfile(header, h)
    _, spec = load_spec(spec_path)
    write_spec(s, spec)
    bad = [d for ok, d, _ in agreement(tools, h, s, work) if not ok]
    return not bad, [f'fails: {b}' for b in bad]


def drift_checks(tap, tools, header, spec_path, tmp):
    cases = drift_cases(header, spec_path)
    works = []
    for i in range(len(cases) + 1):
        works.append(os.path.join(tmp, f'drift-{i}'))
        os.makedirs(works[-1])
    # Each case is a few processes (the generator, the compiler): run
    # them side by side, report in order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(drift_control, tools, header, spec_path, works[0])]
        futures += [pool.submit(drift_one, tools, header, spec_path, w, c)
                    for w, c in zip(works[1:], cases)]
        descs = ['drift control: unmutated copies of both agree']
        descs += [f'detects drift: {c[0]}' for c in cases]
        for desc, fut in zip(descs, futures):
            try:
                ok, diag = fut.result()
            except Failed as e:
                ok, diag = False, [str(e)]
            tap.result(ok, desc, diag)


# ---- main -----------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument('--header', default=os.path.join(REPO, 'uapi', 'linux', 'dibs.h'))
    ap.add_argument('--spec', default=os.path.join(REPO, 'uapi', 'dibs.yaml'))
    ap.add_argument('--readme', default=os.path.join(REPO, 'uapi', 'README.md'))
    ap.add_argument('--libdibsnl-src', default=os.path.join(REPO, 'libdibsnl', 'src'))
    ap.add_argument('--no-drift', action='store_true',
                    help='skip the drift checks (mutated copies)')
    ap.add_argument('--keep', action='store_true',
                    help='keep the temporary folder and print its path')
    args = ap.parse_args()

    tap = Tap()
    missing = [m for m, ok in (('python3-yaml', yaml is not None),
                               ('python3-jsonschema', _has('jsonschema'))) if not ok]
    if missing:
        tap.result(False, 'python modules for the YNL tools are installed',
                   [f'missing: {", ".join(missing)} (tests/vm/install-deps.sh)'])
        return tap.finish()
    try:
        tools = find_tools()
    except Failed as e:
        tap.result(False, 'the YNL tools are available', [str(e)])
        return tap.finish()
    tap.result(True, 'the YNL tools are available',
               [f'{os.path.relpath(tools.gen, tools.root)} in {tools.root}'])

    first, _ = load_spec(args.spec)
    tap.result(first == SPDX, 'the spec starts with the SPDX line YNL requires',
               [] if first == SPDX else [f'first line: {first}'])
    ok, diag = validate_spec(tools, args.spec)
    tap.result(ok, 'the spec validates against its schema', diag)

    tmp = tempfile.mkdtemp(prefix='dibs-spec-')
    try:
        work = os.path.join(tmp, 'main')
        os.makedirs(work)
        for ok, desc, diag in agreement(tools, args.header, args.spec, work):
            tap.result(ok, desc, diag)
        if os.path.isdir(os.path.join(work, 'tree')):
            ok, diag = user_code(tools, args.spec, work)
            tap.result(ok, 'the spec also renders user-space code (ynl-gen-c --mode user)',
                       diag)
        _, spec = load_spec(args.spec)
        for ok, desc, diag in readme_checks(spec, args.readme):
            tap.result(ok, desc, diag)
        tap.result(*library_kinds(spec, args.libdibsnl_src))
        if not args.no_drift:
            drift_checks(tap, tools, args.header, args.spec, tmp)
    finally:
        if args.keep:
            print(f'# kept {tmp}')
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return tap.finish()


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


if __name__ == '__main__':
    sys.exit(main())
