"""testenv - where a Python test group finds the repository and the
programs it tests. Every group imports it first, after the one line that
puts tests/lib on its path:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "lib"))
    from testenv import PFQMON, LPCHECK  # noqa: E402

Each program is the one its variable names in the environment (PFQMON=...,
relative to the directory the group was started in) or the one in this
build tree, always as an absolute path. The working directory becomes
the repository's root, which relative paths in the groups (tests/...,
docs/..., tick/...) assume: a group runs the same from anywhere.
"""

import os

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def program(var, path):
    """$var, or path under the repository; absolute."""
    return os.path.abspath(os.environ.get(var) or os.path.join(REPO, path))


PFQMON = program("PFQMON", "agent/pfqmon")
PFQMON_SAN = program("PFQMON_SAN", "build/tests/pfqmon-san")
LPCHECK = program("LPCHECK", "build/tests/lpcheck")
JSONCHECK = program("JSONCHECK", "build/tests/jsoncheck")
MKQF = program("MKQF", "build/tests/mkqf")
QFDUMP = program("QFDUMP", "build/tests/qfdump")
PRIVPROBE = program("PRIVPROBE", "build/tests/privprobe")
GEN = program("GEN", "build/bench/gen")

os.chdir(REPO)
