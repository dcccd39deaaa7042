# SPDX-License-Identifier: GPL-2.0
"""TAP output for the spec checks of tests/unit/ (spec-agrees.py,
kernel-nl-agrees.py): results stream as they come, the plan goes last,
once the count is known."""

import sys


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, desc, diag=()):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {desc}")
        for line in diag:
            print(f"#   {line}")
        sys.stdout.flush()

    def finish(self):
        print(f"1..{self.n}")
        return 1 if self.failed else 0
