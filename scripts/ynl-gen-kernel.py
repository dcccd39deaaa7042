#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate the kernel's policies and op table from uapi/dibs.yaml.

    scripts/ynl-gen-kernel.py [--ynl DIR] [-o OUTDIR]

runs the kernel's own generator, tools/net/ynl/ynl-gen-c.py of Debian's
linux-source-6.12, in --mode kernel and writes OUTDIR/dibs_nl_gen.h and .c
(default kernel/, where they are committed; rerun it after changing the
spec). The generator is DIR, or $LINUX_SRC/tools/net/ynl, or else the one
tests/spec/ynl-tools.sh extracts once from the package linux-source-6.12
(half a minute). tests/unit/kernel-nl-agrees.py checks
that the committed files are what it renders, byte for byte.

Two things the 6.12 generator does not do on its own, done here:
- It looks for the kernel tree the spec sits in by walking up to a
  directory with a MAINTAINERS file, and loops forever at "/" when there
  is none (it never checks that dirname() stopped moving): with the spec
  in this repository it spun at full CPU without output. The spec is
  copied into a scratch tree with a MAINTAINERS file and the JSON schema
  of its protocol (which the generator also validates against), so the
  generated files name it "uapi/dibs.yaml".
- A binary attribute with max-len (dmb's data) raises "not implemented,
  yet"; later generators emit the kernel's plain max-length policy for it,
  as this does ({ .type = NLA_BINARY, .len = N, }).
- Its multicast group table drops the groups' flags (admin-perm, that is
  GENL_MCAST_CAP_NET_ADMIN), so it is left out: the groups stay in
  kernel/dibs_netlink.c (the generated header still numbers them).
Nothing else of the generator is changed.
"""

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, 'uapi', 'dibs.yaml')


def find_ynl(arg):
    """tools/net/ynl: DIR, $LINUX_SRC/tools/net/ynl or tests/spec/ynl-tools.sh's."""
    if arg:
        ynl = arg
    elif os.environ.get('LINUX_SRC'):
        ynl = os.path.join(os.environ['LINUX_SRC'], 'tools', 'net', 'ynl')
    else:
        tools = subprocess.run([os.path.join(ROOT, 'tests', 'spec', 'ynl-tools.sh')],
                               stdout=subprocess.PIPE, text=True)
        if tools.returncode:
            sys.exit(1)
        ynl = os.path.join(tools.stdout.strip(), 'tools', 'net', 'ynl')
    if not os.path.isfile(os.path.join(ynl, 'ynl-gen-c.py')):
        sys.exit('ynl-gen-kernel: no ynl-gen-c.py in ' + ynl)
    return os.path.abspath(ynl)


def load_generator(ynl):
    sys.path.insert(0, ynl)         # its "from lib import ..."
    spec = importlib.util.spec_from_file_location(
        'ynl_gen_c', os.path.join(ynl, 'ynl-gen-c.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    plain = mod.TypeBinary._attr_policy

    def binary_policy(self, policy):
        if list(self.checks) == ['max-len']:
            return ('{ .type = NLA_BINARY, .len = ' +
                    self.get_limit_str('max-len') + ', }')
        return plain(self, policy)

    mod.TypeBinary._attr_policy = binary_policy
    # Its multicast groups lose the spec's flags (admin-perm): the family's
    # groups stay hand-written in kernel/dibs_netlink.c, checked against the
    # spec by tests/unit/kernel-nl-agrees.py.
    mod.print_kernel_mcgrp_src = lambda family, cw: None
    return mod


def generate(mod, ynl, scratch, header):
    tree = os.path.join(scratch, 'tree')
    os.makedirs(os.path.join(tree, 'uapi'), exist_ok=True)
    open(os.path.join(tree, 'MAINTAINERS'), 'w').close()
    schema = os.path.join(ynl, '../../../Documentation/netlink',
                          'genetlink-legacy.yaml')
    if not os.path.isfile(schema):
        sys.exit('ynl-gen-kernel: no ' + os.path.normpath(schema))
    shutil.copy(schema, tree)
    spec = os.path.join(tree, 'uapi', 'dibs.yaml')
    shutil.copy(SPEC, spec)
    out = os.path.join(scratch, 'dibs_nl_gen' + ('.h' if header else '.c'))
    argv = sys.argv
    sys.argv = ['ynl-gen-c.py', '--mode', 'kernel', '--spec', spec,
                '--header' if header else '--source', '-o', out]
    try:
        mod.main()
    finally:
        sys.argv = argv
    with open(out) as f:
        return f.read()


def render(ynl_dir=None):
    """The generated header and source, as {'h': text, 'c': text}."""
    ynl = find_ynl(ynl_dir)
    mod = load_generator(ynl)
    out = {}
    with tempfile.TemporaryDirectory() as scratch:
        for ext in ('h', 'c'):
            out[ext] = generate(mod, ynl, scratch, ext == 'h')
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ynl', help='tools/net/ynl of a linux-source tree')
    ap.add_argument('-o', dest='out', default=os.path.join(ROOT, 'kernel'),
                    help='folder for dibs_nl_gen.h and .c (default kernel/)')
    args = ap.parse_args()

    texts = render(args.ynl)
    os.makedirs(args.out, exist_ok=True)
    for ext, text in texts.items():
        with open(os.path.join(args.out, 'dibs_nl_gen.' + ext), 'w') as f:
            f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
