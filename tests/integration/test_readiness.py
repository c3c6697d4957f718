"""Scenarios of readiness: /readyz says 503, with the reason in a problem body,
whenever audited requests cannot succeed, and the technical log says why once
per change of state (no flood). A truncated or inconsistent audit log is
refused loudly at start: coffred serves no /v1 request and names the index."""
import os
import sqlite3
import subprocess
import time

import pytest

from conftest import audit_size


def dbpath(server):
    return os.path.join(server.data_dir, "coffre.db")


def log_lines(server, word):
    return [l for l in server.read_stderr().splitlines() if word in l]


def populate_and_stop(coffred_factory, tmp_path, requests=6):
    s = coffred_factory(data_dir=tmp_path / "d")
    for _ in range(requests):
        assert s.request("GET", "/v1/server").status == 200
    s.stop()  # signs a checkpoint over every event
    return s


def test_a_truncated_log_is_refused_loudly_and_names_the_index(coffred_factory, tmp_path):
    s = populate_and_stop(coffred_factory, tmp_path)
    n = audit_size(dbpath(s))
    con = sqlite3.connect(dbpath(s))
    con.execute("DELETE FROM audit_events WHERE seq = ?", (n - 1,))  # the newest event
    con.commit()
    con.close()

    s2 = coffred_factory(data_dir=tmp_path / "d")
    r = s2.request("GET", "/readyz")
    assert r.status == 503, r
    assert r.header("Content-Type") == "application/problem+json"
    problem = r.json()
    assert problem["type"].endswith("audit-log-inconsistent"), problem
    assert "event %d" % (n - 1) in problem["detail"], problem
    # fail closed: no /v1 request is served, and nothing is appended
    for path in ("/v1/server", "/v1/nothing"):
        r = s2.request("GET", path)
        assert r.status == 503, r
        assert r.header("Content-Type") == "application/problem+json"
    assert audit_size(dbpath(s2)) == n - 1
    # the operations endpoints still answer
    assert s2.request("GET", "/healthz").status == 200
    errors = [l for l in log_lines(s2, " error ") if "event %d" % (n - 1) in l]
    assert len(errors) == 1, s2.read_stderr()
    # asking again does not flood the log
    for _ in range(3):
        assert s2.request("GET", "/readyz").status == 503
    errors = [l for l in log_lines(s2, " error ") if "event %d" % (n - 1) in l]
    assert len(errors) == 1, s2.read_stderr()


def test_a_log_with_a_stored_node_beyond_its_end_is_refused(coffred_factory, tmp_path):
    s = populate_and_stop(coffred_factory, tmp_path)
    n = audit_size(dbpath(s))
    con = sqlite3.connect(dbpath(s))
    con.execute("DELETE FROM audit_events WHERE seq >= ?", (n - 2,))
    con.execute("DELETE FROM audit_checkpoints WHERE size > ?", (n - 2,))
    con.commit()
    con.close()
    s2 = coffred_factory(data_dir=tmp_path / "d")
    r = s2.request("GET", "/readyz")
    assert r.status == 503, r
    assert "event %d" % (n - 2) in r.json()["detail"], r
    assert s2.request("GET", "/v1/server").status == 503


@pytest.fixture
def small_disk(tmp_path):
    """A 20 MiB tmpfs for the data directory (root only)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs: " + r.stderr.strip())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path):
    """Writes until the file system is full."""
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while os.write(fd, b"\0" * size) > 0:
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)


def test_a_full_disk_makes_readyz_503_with_one_line_per_change(coffred_factory, tmp_path,
                                                               small_disk):
    s = coffred_factory(data_dir=small_disk / "d",
                        config="store.min_free_bytes = 4MiB\n")
    assert s.request("GET", "/readyz").status == 200
    assert s.request("GET", "/v1/server").status == 200

    filler = small_disk / "filler"
    fill(filler)
    # below the floor: not ready, and the log says why, once
    for _ in range(3):
        r = s.request("GET", "/readyz")
        assert r.status == 503, r
        assert r.header("Content-Type") == "application/problem+json"
    assert r.json()["type"].endswith("disk-space-low"), r.json()
    assert "store.min_free_bytes" in r.json()["detail"]
    assert len(log_lines(s, "store.min_free_bytes")) == 1, s.read_stderr()

    # audited requests fail (the event cannot be stored): one warn line
    statuses = [s.request("GET", "/v1/server").status for _ in range(5)]
    assert 200 not in statuses, statuses
    assert set(statuses) == {503}, statuses
    r = s.request("GET", "/readyz")
    assert r.status == 503
    assert r.json()["type"].endswith("audit-unavailable"), r.json()
    failing = [l for l in log_lines(s, "cannot store") if " warn " in l or " error " in l]
    assert len(failing) == 1, s.read_stderr()

    # room again: ready, one line, and requests are recorded again
    os.unlink(filler)
    deadline = time.monotonic() + 10
    while s.request("GET", "/readyz").status != 200:
        assert time.monotonic() < deadline, s.read_stderr()
        time.sleep(0.2)
    assert s.request("GET", "/readyz").status == 200
    assert len(log_lines(s, "ready again")) == 1, s.read_stderr()
    assert s.request("GET", "/v1/server").status == 200
    assert len(log_lines(s, "cannot store")) == 1, s.read_stderr()


def test_the_floor_applies_by_default_and_is_configurable(coffred_factory, tmp_path):
    s = coffred_factory(config="store.min_free_bytes = 100000GiB\n")
    r = s.request("GET", "/readyz")
    assert r.status == 503, r
    assert r.json()["type"].endswith("disk-space-low")
    s2 = coffred_factory(config="store.min_free_bytes = 0\n")
    assert s2.request("GET", "/readyz").status == 200
