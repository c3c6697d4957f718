"""src/server/notify depends downward only (issue 7: "the notifier's
queue/channel machinery is apart from its façade"). Read from the built
objects with nm: a notify object may use symbols defined by notify objects of
a lower layer only, so a call that goes upward or sideways (the old circle:
mailer.c taking cf_channel_* from notify.c, notify.c taking cf_mailer_open
from mailer.c) fails here."""
import collections
import os
import re
import subprocess

from conftest import BUILD

LAYER = {"channel": 0, "mailer": 1, "sms": 1, "outbox": 1, "notify": 2}


def test_notify_depends_downward_only():
    lib = os.path.join(BUILD, "src", "server", "libcf_server.a")
    out = subprocess.run(["nm", "-A", lib], capture_output=True, text=True,
                         check=True).stdout
    defined, used = {}, collections.defaultdict(set)
    for line in out.splitlines():
        m = re.match(r".*:(?:[^:]*/)?notify_(\w+)\.c\.o:\s*(?:[0-9a-f]+)?\s+(\w)\s+(\S+)$", line)
        if not m:
            continue
        obj, kind, sym = m.groups()
        if kind == "U":
            used[obj].add(sym)
        elif kind in "TDBR":
            defined[sym] = obj
    assert set(LAYER) <= set(used) | set(defined.values()), (set(used), LAYER)
    edges = {(a, defined[s], s) for a, syms in used.items() for s in syms
             if s in defined and defined[s] != a}
    assert edges, "no calls between notify objects found: nm output changed?"
    bad = sorted(e for e in edges if LAYER[e[0]] <= LAYER[e[1]])
    assert not bad, "calls that do not go down a layer: %s" % bad
