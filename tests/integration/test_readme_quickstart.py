"""The README's quick start is run as written (issue 7): the fenced `sh` block of
its "Quick start" section is extracted from README.md and run by bash, so the
test fails as soon as those commands stop working.

Where it runs, and the only changes made to the text:
- in a fresh folder T standing for the source tree: T/scripts is a symlink to
  the real scripts/ and T/build one to the build folder under test
  (COFFRE_BUILD), so `scripts/run.sh`, `scripts/build.sh` and `build/...` are
  the real ones (the build is already up to date: build.sh's ninja has nothing
  to do) and `coffre-data/` and the secret files are made in T;
- HOME is a fresh folder, so the CLI's default profile (~/.config/coffre) is
  new, and COFFRE_* variables from outside are dropped;
- `127.0.0.1:8443` becomes `127.0.0.1:<a free port>`, so the test does not
  depend on port 8443 being free on the machine.
bash runs the block with -e (any failing command fails the test); when it
ends, the process group (coffred started by `scripts/run.sh &`) is stopped."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BUILD, ROOT, free_port, sanitizer_env

EMAIL = "admin@example.org"


def quickstart_block():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## Quick start.*?$(.*?)(?=^## )", text, re.S | re.M)
    assert m, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```sh\n(.*?)^```$", m.group(1), re.S | re.M)
    assert len(blocks) == 1, "the quick start should have one ```sh block, has %d" % len(blocks)
    return blocks[0]


def test_readme_quickstart_runs(tmp_path):
    # The quick start builds and runs the normal flavour (scripts/build.sh
    # checks that build/ is configured as that flavour): it runs in the pass
    # over the normal build, not over the ASan one.
    if os.path.basename(os.path.normpath(BUILD)) != "build":
        pytest.skip("the quick start uses the normal build (build/); this pass is %s" % BUILD)
    block = quickstart_block()
    assert "127.0.0.1:8443" in block
    port = free_port()
    script = block.replace("127.0.0.1:8443", "127.0.0.1:%d" % port)

    tree = tmp_path / "tree"
    tree.mkdir()
    os.symlink(os.path.join(ROOT, "scripts"), tree / "scripts")
    os.symlink(BUILD, tree / "build")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in sanitizer_env().items() if not k.startswith("COFFRE_")}
    env["HOME"] = str(home)

    # Output to files, not pipes: coffred, left running in the background,
    # keeps them open after bash ends.
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with open(out_path, "w") as fo, open(err_path, "w") as fe:
        proc = subprocess.Popen(["bash", "-e", "-c", script], cwd=tree, env=env,
                                stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                                text=True, start_new_session=True)
    timed_out = False
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        stop_group(proc.pid)
        proc.wait()
    out, err = out_path.read_text(), err_path.read_text()
    assert not timed_out, "the quick start did not finish in 120 s:\n%s\n%s" % (out, err)
    assert proc.returncode == 0, "quick start failed (%d):\n%s\n%s" % (proc.returncode, out, err)

    # the banner named the outbox; the login code went there, nowhere else
    outbox = tree / "coffre-data" / "outbox"
    assert "outbox (test only)" in out and "coffre-data/outbox/" in out, out
    mails = sorted(p for p in os.listdir(outbox) if p.endswith(".eml"))
    assert mails, os.listdir(outbox)
    assert b"login code is" in (outbox / mails[-1]).read_bytes()
    # the last command, `coffre me`, shows the logged-in user
    last = out.rstrip().splitlines()[-12:]
    assert any(EMAIL in line for line in last), out
    assert "superadmin" in out, out


def stop_group(pgid):
    """SIGTERM to what the block left running (coffred), then wait for it."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pgid, signal.SIGKILL)
    raise AssertionError("coffred did not stop on SIGTERM")
