"""Scenarios of `coffre audit` against the real coffred: a client pins the
log's key, trusts its first checkpoint, accepts a newer one only with a
consistency proof, verifies events with inclusion proofs, and reports (exit
5) a server that rolls its log back, shows a fork, signs with another key or
serves an altered event — without ever following it."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time

import rfc6962
from conftest import COFFRED, audit_events_since, audit_size, run_cli, sanitizer_env

EXIT_LOG = 5


def coffred(*args):
    return subprocess.run([COFFRED, *args], capture_output=True, text=True, timeout=120,
                          env=sanitizer_env())


def audit_key(data_dir):
    r = coffred("audit-key", "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    assert re.fullmatch(r"[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+", key), key
    return key


def create_api_key(data_dir, *args):
    r = coffred("api-key", "create", "--data-dir", str(data_dir), "--scope", "audit.read", *args)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip().splitlines()[-1]
    kid = re.search(r"API key ([0-9a-f]{32})", r.stdout).group(1)
    return kid, key


def secret_file(path, text, mode=0o600):
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(str(path), mode)
    return str(path)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class Client:
    """The coffre CLI with one profile folder."""

    def __init__(self, profile):
        self.profile = str(profile)

    def __call__(self, server, *args, json_out=False):
        opts = ["--profile", self.profile]
        if server is not None:
            opts = ["--server", server.url, "--ca", server.ca] + opts
        if json_out:
            opts.append("--json")
        return run_cli(*opts, *args)

    def file(self, name):
        return os.path.join(self.profile, name)

    def remembered(self):
        p = self.file("audit-checkpoint")
        return read_bytes(p) if os.path.exists(p) else None

    def checkpoint(self, server):
        r = self(server, "audit", "checkpoint", json_out=True)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
        return json.loads(r.stdout)

    def checkpoint_until(self, server, min_size, timeout=15):
        """Checkpoints are signed at most once per second: ask again until
        one covers min_size events."""
        deadline = time.monotonic() + timeout
        while True:
            doc = self.checkpoint(server)
            if doc["size"] >= min_size:
                return doc
            assert time.monotonic() < deadline, doc
            time.sleep(0.3)


def dbpath(server_or_dir):
    d = server_or_dir if isinstance(server_or_dir, str) else server_or_dir.data_dir
    return os.path.join(str(d), "coffre.db")


def requests(server, n, path="/v1/server"):
    for _ in range(n):
        server.request("GET", path)


def stored_events(data_dir):
    con = sqlite3.connect("file:%s?mode=ro" % dbpath(str(data_dir)), uri=True)
    try:
        return [bytes(r[0]) for r in con.execute("SELECT event FROM audit_events ORDER BY seq")]
    finally:
        con.close()


# --- pinning and the first checkpoint ----------------------------------------

def test_trust_then_first_use_then_consistent(coffred_factory, tmp_path):
    s = coffred_factory()
    key = audit_key(s.data_dir)
    cli = Client(tmp_path / "profile")

    # 1. pin the key: stored, private, said so
    r = cli(None, "audit", "trust", key)
    assert r.returncode == 0, r.stderr
    assert "pinned" in r.stdout
    assert read_bytes(cli.file("audit-key")) == (key + "\n").encode()
    assert os.stat(cli.file("audit-key")).st_mode & 0o777 == 0o600
    assert os.stat(cli.profile).st_mode & 0o777 == 0o700
    # pinning it again is fine
    r = cli(None, "audit", "trust", key)
    assert r.returncode == 0 and "already pinned" in r.stdout

    # 2. first checkpoint: trusted on first use, and said so
    r = cli(s, "audit", "checkpoint")
    assert r.returncode == 0, r.stderr
    assert "first use" in r.stdout
    origin = key.split("+")[0]
    m = re.search(r"size (\d+), root ([0-9a-f]{64})", r.stdout)
    size, root = int(m.group(1)), m.group(2)
    assert origin in r.stdout
    note = cli.remembered().decode()
    assert rfc6962.parse_checkpoint(note)[:3] == (origin, size, bytes.fromhex(root))
    assert os.stat(cli.file("audit-checkpoint")).st_mode & 0o777 == 0o600
    leaves = [rfc6962.leaf_hash(e) for e in stored_events(s.data_dir)[:size]]
    assert rfc6962.mth(leaves) == bytes.fromhex(root)

    # 3. more requests, then a newer checkpoint: proven consistent, remembered
    requests(s, 6)
    doc = cli.checkpoint_until(s, size + 6)
    assert doc["trust"] == "consistent"
    assert doc["previous"]["size"] >= size and doc["origin"] == origin
    assert doc["server"] == s.url
    new_note = cli.remembered().decode()
    assert rfc6962.parse_checkpoint(new_note)[1] == doc["size"]
    assert rfc6962.parse_checkpoint(new_note)[2].hex() == doc["root"]
    leaves = [rfc6962.leaf_hash(e) for e in stored_events(s.data_dir)[:doc["size"]]]
    assert rfc6962.mth(leaves).hex() == doc["root"]

    # 4. asked again within the second: the same checkpoint, unchanged
    again = cli.checkpoint(s)
    assert again["trust"] in ("unchanged", "consistent")
    assert again["size"] >= doc["size"]


def test_trust_refuses_bad_and_other_keys(coffred_factory, tmp_path):
    s = coffred_factory()
    other = coffred_factory()
    key, other_key = audit_key(s.data_dir), audit_key(other.data_dir)
    assert key != other_key
    cli = Client(tmp_path / "profile")
    bad = [
        "", "not-a-key", key + "x", key.replace("+", "-", 1),
        key[:-4], " " + key, key + "\n",
        key.split("+")[0] + "+00000000+" + key.split("+", 2)[2],  # hash does not match
    ]
    for text in bad:
        r = cli(None, "audit", "trust", text)
        assert r.returncode == 2, (text, r.stdout, r.stderr)
        assert "not an audit verifier key" in r.stderr or "needs the KEY" in r.stderr
        assert r.stdout == ""
    assert not os.path.exists(cli.file("audit-key"))

    assert cli(None, "audit", "trust", key).returncode == 0
    assert cli(s, "audit", "checkpoint").returncode == 0
    remembered = cli.remembered()

    # another key is refused, and nothing changes
    r = cli(None, "audit", "trust", other_key)
    assert r.returncode == 1
    assert "already pinned" in r.stderr and "--replace" in r.stderr
    assert read_bytes(cli.file("audit-key")) == (key + "\n").encode()
    assert cli.remembered() == remembered

    # --replace does it, and drops the checkpoint the new key cannot verify
    r = cli(None, "--json", "audit", "trust", other_key, "--replace")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["pin"] == "replaced" and doc["checkpoint_dropped"] is True
    assert read_bytes(cli.file("audit-key")) == (other_key + "\n").encode()
    assert cli.remembered() is None
    r = cli(other, "audit", "checkpoint")
    assert r.returncode == 0 and "first use" in r.stdout, r.stderr


def test_usage_errors(coffred_factory, tmp_path):
    s = coffred_factory()
    cli = Client(tmp_path / "profile")
    cases = [
        ("audit",), ("audit", "nope"), ("audit", "trust"),
        ("audit", "trust", "a", "b"), ("audit", "checkpoint", "--replace"),
        ("audit", "verify", "--from", "3"), ("audit", "verify", "--count", "0"),
        ("audit", "verify", "--count", "100001"), ("audit", "verify", "--count", "-1"),
        ("audit", "verify", "--count", "1x"), ("audit", "verify", "--count"),
        ("audit", "verify", "--from", "18446744073709551615", "--count", "2"),
        ("audit", "checkpoint", "--audit-key", "zz"),
        ("audit", "checkpoint", "--json"),
        ("audit", "verify", "--api-key-file", "/nonexistent"),
    ]
    before = audit_size(dbpath(s))
    for args in cases:
        r = cli(s, *args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("coffre: ") and r.stderr.count("\n") == 1, r.stderr
        assert r.stdout == ""
    assert audit_size(dbpath(s)) == before   # no request was sent
    r = cli(None, "audit", "--help")
    assert r.returncode == 0 and "verify" in r.stdout and "5" in r.stdout


def test_no_pinned_key_and_override(coffred_factory, tmp_path):
    s = coffred_factory()
    other = coffred_factory()
    key = audit_key(s.data_dir)
    cli = Client(tmp_path / "profile")
    r = cli(s, "audit", "checkpoint")
    assert r.returncode == 1
    assert "no audit key is pinned" in r.stderr and "audit trust" in r.stderr
    # a key for one call, while nothing is pinned: remembered under it
    r = cli(s, "audit", "checkpoint", "--audit-key", key)
    assert r.returncode == 0 and "first use" in r.stdout, r.stderr
    assert not os.path.exists(cli.file("audit-key"))
    # pinning that key keeps its checkpoint
    r = cli(None, "--json", "audit", "trust", key)
    assert json.loads(r.stdout)["checkpoint_dropped"] is False
    remembered = cli.remembered()
    # another key for one call: signature checked, the profile untouched
    r = cli(other, "audit", "checkpoint", "--audit-key", audit_key(other.data_dir))
    assert r.returncode == 0, r.stderr
    assert "not remembered" in r.stdout
    assert cli.remembered() == remembered


# --- events --------------------------------------------------------------------

def test_verify_a_range_with_an_api_key(coffred_factory, tmp_path):
    d = tmp_path / "d"
    kid, api_key = create_api_key(d)   # offline, before the server runs
    s = coffred_factory(data_dir=d)
    cli = Client(tmp_path / "profile")
    assert cli(None, "audit", "trust", audit_key(d)).returncode == 0
    requests(s, 5)
    requests(s, 3, "/v1/nothing/here")
    n = audit_size(dbpath(s))
    cli.checkpoint_until(s, n)
    keyfile = secret_file(tmp_path / "api-key", api_key)

    r = cli(s, "audit", "verify", "--from", "0", "--count", "1000", "--api-key-file", keyfile)
    assert r.returncode == 0, r.stderr
    m = re.search(r"verified (\d+) events \(0 to (\d+)\) against the checkpoint of size (\d+), "
                  r"root ([0-9a-f]{64})", r.stdout)
    assert m, r.stdout
    size = int(m.group(3))
    assert size >= n and int(m.group(1)) == size and int(m.group(2)) == size - 1
    assert "%d events (from %d) are not yet covered" % (1000 - size, size) in r.stdout
    leaves = [rfc6962.leaf_hash(e) for e in stored_events(d)[:size]]
    assert rfc6962.mth(leaves).hex() == m.group(4)

    # the inclusion proofs were asked with the key, one per event
    events = audit_events_since(dbpath(s), 0)
    proofs = [e for e in events if e["action"] == "audit.proof.inclusion"]
    assert len(proofs) == size and all(e["actor"] == kid and e["outcome"] == 200 for e in proofs)

    # a window in the middle, as JSON
    r = cli(s, "audit", "verify", "--from", "2", "--count", "3", "--api-key-file", keyfile,
            json_out=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["events"] == {"from": 2, "count": 3, "verified": 3, "not_covered": 0}
    assert doc["size"] >= size and re.fullmatch(r"[0-9a-f]{64}", doc["root"])

    # past the checkpoint: nothing to verify, said so
    r = cli(s, "audit", "verify", "--from", "100000", "--count", "5", "--api-key-file", keyfile,
            json_out=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["events"]["not_covered"] == 5

    # the key from standard input works too
    r = run_cli("--server", s.url, "--ca", s.ca, "--profile", cli.profile, "audit", "verify",
                "--count", "2", input=api_key + "\n")
    assert r.returncode == 0 and "verified 2 events" in r.stdout, r.stderr
    assert api_key not in r.stdout + r.stderr


def test_api_key_file_must_be_private(coffred_factory, tmp_path):
    d = tmp_path / "d"
    _, api_key = create_api_key(d)
    s = coffred_factory(data_dir=d)
    cli = Client(tmp_path / "profile")
    assert cli(None, "audit", "trust", audit_key(d)).returncode == 0
    before = audit_size(dbpath(s))
    keyfile = secret_file(tmp_path / "api-key", api_key, mode=0o644)
    r = cli(s, "audit", "verify", "--count", "3", "--api-key-file", keyfile)
    assert r.returncode == 1
    assert "group or others" in r.stderr and "0644" in r.stderr
    assert api_key not in r.stderr + r.stdout
    assert audit_size(dbpath(s)) == before   # refused before any request
    assert cli.remembered() is None
    # a wrong key: the server's refusal, one line, exit 1
    keyfile = secret_file(tmp_path / "api-key2", "coffre_" + "A" * 43)
    r = cli(s, "audit", "verify", "--count", "3", "--api-key-file", keyfile)
    assert r.returncode == 1 and "401" in r.stderr, r.stderr
    assert "AAAAAAAA" not in r.stderr


def test_altered_event_is_named(coffred_factory, tmp_path):
    d = tmp_path / "d"
    _, api_key = create_api_key(d)
    s = coffred_factory(data_dir=d)
    cli = Client(tmp_path / "profile")
    assert cli(None, "audit", "trust", audit_key(d)).returncode == 0
    requests(s, 10)
    cli.checkpoint_until(s, audit_size(dbpath(s)))
    s.stop()
    con = sqlite3.connect(dbpath(str(d)))
    ev = bytes(con.execute("SELECT event FROM audit_events WHERE seq=5").fetchone()[0])
    i = ev.index(b'"time":"') + 9
    con.execute("UPDATE audit_events SET event=? WHERE seq=5",
                (ev[:i] + bytes([ev[i] ^ 1]) + ev[i + 1:],))
    con.commit()
    con.close()
    s = coffred_factory(data_dir=d)
    keyfile = secret_file(tmp_path / "api-key", api_key)
    r = cli(s, "audit", "verify", "--from", "0", "--count", "10", "--api-key-file", keyfile)
    assert r.returncode == EXIT_LOG, (r.stdout, r.stderr)
    assert "event 5" in r.stderr and "inclusion proof does not verify" in r.stderr
    assert r.stdout == "" and r.stderr.count("\n") == 1
    # the range before it is fine
    r = cli(s, "audit", "verify", "--from", "0", "--count", "5", "--api-key-file", keyfile)
    assert r.returncode == 0, r.stderr


# --- servers that must not be followed --------------------------------------------

def test_wrong_pinned_key_remembers_nothing(coffred_factory, tmp_path):
    s = coffred_factory()
    other = coffred_factory()
    cli = Client(tmp_path / "profile")
    assert cli(None, "audit", "trust", audit_key(other.data_dir)).returncode == 0
    r = cli(s, "audit", "checkpoint")
    assert r.returncode == EXIT_LOG, r.stderr
    assert "not signed by the audit key" in r.stderr and r.stdout == ""
    assert cli.remembered() is None
    r = cli(s, "audit", "verify", json_out=True)
    assert r.returncode == EXIT_LOG and r.stdout == ""
    assert cli.remembered() is None
    # with the right key for one call it passes, and still remembers nothing
    r = cli(s, "audit", "checkpoint", "--audit-key", audit_key(s.data_dir))
    assert r.returncode == 0 and "not remembered" in r.stdout
    assert cli.remembered() is None


def test_rollback_is_reported_and_not_followed(coffred_factory, tmp_path):
    d, copy = tmp_path / "d", tmp_path / "copy"
    s = coffred_factory(data_dir=d)
    requests(s, 3)
    s.stop()
    shutil.copytree(str(d), str(copy))            # the smaller log, same key
    small = audit_size(dbpath(str(copy)))

    s = coffred_factory(data_dir=d)                # the original goes on
    cli = Client(tmp_path / "profile")
    assert cli(None, "audit", "trust", audit_key(d)).returncode == 0
    requests(s, 20)
    doc = cli.checkpoint_until(s, small + 20)
    remembered = cli.remembered()
    assert doc["size"] > small + 10
    s.stop()

    old = coffred_factory(data_dir=copy)           # same key, rolled back
    assert audit_key(copy) == audit_key(d)
    r = cli(old, "audit", "checkpoint")
    assert r.returncode == EXIT_LOG, (r.stdout, r.stderr)
    assert "rolled back" in r.stderr and "kept" in r.stderr
    assert "size %d" % doc["size"] in r.stderr
    assert r.stdout == ""
    assert cli.remembered() == remembered          # byte for byte
    r = cli(old, "audit", "verify", json_out=True)
    assert r.returncode == EXIT_LOG and r.stdout == ""
    assert cli.remembered() == remembered


def server_checkpoint(server, min_size, timeout=10):
    """The size of the server's newest checkpoint, once it covers min_size."""
    deadline = time.monotonic() + timeout
    while True:
        r = server.request("GET", "/v1/audit/checkpoint")
        assert r.status == 200
        size = rfc6962.parse_checkpoint(r.body.decode())[1]
        if size >= min_size:
            return size
        assert time.monotonic() < deadline, size
        time.sleep(0.3)


def test_fork_is_reported_and_not_followed(coffred_factory, tmp_path):
    d, fork = tmp_path / "d", tmp_path / "fork"
    s = coffred_factory(data_dir=d)
    requests(s, 3)
    s.stop()
    shutil.copytree(str(d), str(fork))            # same key, same first events
    base = audit_size(dbpath(str(d)))

    # the client follows the original for a while
    s = coffred_factory(data_dir=d)
    cli = Client(tmp_path / "profile")
    assert cli(None, "audit", "trust", audit_key(d)).returncode == 0
    requests(s, 4)
    first = cli.checkpoint_until(s, base + 4)
    assert first["size"] > base
    remembered = cli.remembered()

    # the fork writes other events, to a larger size than remembered
    f = coffred_factory(data_dir=fork)
    requests(f, first["size"] + 5, "/v1/elsewhere")
    server_checkpoint(f, first["size"] + 1)
    r = cli(f, "audit", "checkpoint")
    assert r.returncode == EXIT_LOG, (r.stdout, r.stderr)
    assert "fork" in r.stderr and "not consistent" in r.stderr and "kept" in r.stderr
    assert "consistency proof does not verify" in r.stderr
    assert r.stdout == "" and r.stderr.count("\n") == 1
    assert cli.remembered() == remembered
    r = cli(f, "audit", "verify", json_out=True)
    assert r.returncode == EXIT_LOG and r.stdout == ""
    assert cli.remembered() == remembered

    # the original is still followed
    requests(s, 2)
    doc = cli.checkpoint_until(s, first["size"] + 2)
    assert doc["trust"] == "consistent" and doc["previous"]["size"] == first["size"]


def test_fork_at_the_same_size(coffred_factory, tmp_path):
    """The fork signs a checkpoint of exactly the remembered size, with
    other events: same size, another root."""
    d, fork = tmp_path / "d", tmp_path / "fork"
    s = coffred_factory(data_dir=d)
    s.stop()
    shutil.copytree(str(d), str(fork))
    cli = Client(tmp_path / "profile")
    assert cli(None, "audit", "trust", audit_key(d)).returncode == 0
    s = coffred_factory(data_dir=d)
    requests(s, 5)
    doc = cli.checkpoint_until(s, audit_size(dbpath(s)))
    target = doc["size"]
    remembered = cli.remembered()
    s.stop()

    f = coffred_factory(data_dir=fork)
    while audit_size(dbpath(f)) < target:
        f.request("GET", "/v1/other")
    assert audit_size(dbpath(f)) == target
    time.sleep(1.2)   # the next signature covers exactly `target` events
    r = cli(f, "audit", "checkpoint")
    assert r.returncode == EXIT_LOG, (r.stdout, r.stderr)
    assert "fork" in r.stderr and "same size" in r.stderr, r.stderr
    assert "size %d" % target in r.stderr
    assert cli.remembered() == remembered
