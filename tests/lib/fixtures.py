"""fixtures - the Postfix 3.7 sample spool, restored for a test.

restore_spool(dir) copies tests/fixtures/postfix-3.7/spool into dir with
the original file modes (git keeps none) and adds the two maildrop files
in maildrop/ (0744), like restore_spool in tests/lib/tap.sh.
"""

import os
import re
import shutil

# The test spools are root's. pfqmon parses another user's files as root
# only when asked to (--user root), as an admin would have to; the queues
# of a real Postfix belong to its mail_owner and need nothing.
AS_ROOT = ["--user", "root"] if os.geteuid() == 0 else []
AS_ROOT_KEYS = {"user": "root"} if os.geteuid() == 0 else {}  # the same, in a file

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                   "postfix-3.7")


def restore_spool(dst):
    shutil.copytree(os.path.join(FIX, "spool"), dst)
    for root, dirs, files in os.walk(dst):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
    with open(os.path.join(FIX, "MANIFEST-original-modes.txt")) as f:
        for line in f:
            m = re.match(r"^([0-7]{3}) \S+ \S+ \S+ (\S+)$", line.strip())
            if m:
                os.chmod(os.path.join(dst, m.group(2)), int(m.group(1), 8))
    os.makedirs(os.path.join(dst, "maildrop"))
    for name in ("82643A7637E", "8421EA76123"):
        p = os.path.join(dst, "maildrop", name)
        shutil.copy(os.path.join(FIX, "maildrop-" + name), p)
        os.chmod(p, 0o744)
    return dst
