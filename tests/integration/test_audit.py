"""Scenarios of the audit log: every request is written down once, durably,
with ids only; the log is signed and anyone can check it; tampering with the
database is found and the first bad event named."""
import base64
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import rfc6962
from conftest import COFFRED, audit_events_since, audit_size, db_snapshot, sanitizer_env

EVENT_KEYS = ["seq", "time", "actor", "device", "tenant", "action", "resource", "outcome",
              "request_id", "ip_hash"]


def dbpath(server):
    return os.path.join(server.data_dir, "coffre.db")


def all_event_bytes(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return [bytes(r[0]) for r in con.execute("SELECT event FROM audit_events ORDER BY seq")]
    finally:
        con.close()


def coffred_cmd(*args):
    return subprocess.run([COFFRED, *args], capture_output=True, text=True, timeout=120,
                          env=sanitizer_env())


def test_every_request_appends_exactly_one_event(server):
    path = dbpath(server)
    start = audit_size(path)
    answers = [
        server.request("GET", "/v1/server"),
        server.request("GET", "/v1/no/such/thing"),
        server.request("DELETE", "/v1/server"),
        server.request("POST", "/v1/auth/prelogin", json_body={}),
        server.headers_only("POST", "/v1/auth/prelogin", {"Content-Type": "application/json",
                                                          "Content-Length": str(2 << 20)}),
        server.request("GET", "/v1/audit/events?from=0&count=1"),
    ]
    assert server.request("GET", "/healthz").status == 200  # not audited
    events = audit_events_since(path, start)
    assert len(events) == len(answers)
    for i, (e, r) in enumerate(zip(events, answers)):
        assert list(e.keys()) == EVENT_KEYS
        assert e["seq"] == start + i
        assert e["request_id"] == r.header("X-Request-Id")
        assert e["outcome"] == r.status
        assert e["ip_hash"] and "127.0.0.1" not in json.dumps(e)
    assert [e["action"] for e in events] == ["server.info", "unrouted", "unrouted",
                                             "auth.prelogin", "auth.prelogin", "audit.events"]
    assert [a.status for a in answers] == [200, 404, 405, 422, 413, 401]
    assert events[0]["resource"] == "/v1/server"
    assert events[1]["resource"] is None


def test_audit_store_holds_no_personal_data(server):
    pii = ["marie.curie@example.org", "+33612345678", "0612345678", "185057800608436",
           "Marie Curie"]
    server.request("POST", "/v1/auth/prelogin", json_body={"email": pii[0]})
    server.request("GET", "/v1/patients/" + pii[0])
    server.request("GET", "/v1/call/%s/%s" % (pii[1], pii[2]))
    server.request("GET", "/v1/nir/" + pii[3], headers={"X-Name": pii[4]})
    blob = b"\n".join(all_event_bytes(dbpath(server)))
    for value in pii + ["127.0.0.1"]:
        assert value.encode() not in blob
    # nor anywhere in the database file and its WAL
    for suffix in ("", "-wal"):
        p = dbpath(server) + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                raw = f.read()
            for value in pii:
                assert value.encode() not in raw


def test_concurrent_requests_each_get_one_event(server):
    path = dbpath(server)
    start = audit_size(path)
    ids, lock = [], threading.Lock()

    def worker():
        conn = server.connection()
        for _ in range(25):
            r = server.request("GET", "/v1/server", conn=conn)
            assert r.status == 200
            with lock:
                ids.append(r.header("X-Request-Id"))
        conn.close()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = audit_events_since(path, start)
    assert len(events) == 200
    assert sorted(e["request_id"] for e in events) == sorted(ids)
    assert [e["seq"] for e in events] == list(range(start, start + 200))
    times = [e["time"] for e in events]
    assert times == sorted(times)


def test_fail_closed_when_the_event_cannot_be_stored(server):
    path = dbpath(server)
    before = db_snapshot(path)
    n = audit_size(path)
    con = sqlite3.connect(path, timeout=30)
    con.execute("CREATE TRIGGER refuse BEFORE INSERT ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit store failure for the test'); END")
    con.commit()
    r = server.request("POST", "/v1/auth/prelogin", json_body={"email": "a@b.fr"})
    assert r.status == 503
    assert r.header("Content-Type") == "application/problem+json"
    assert "audit" in r.json()["detail"]
    assert server.request("GET", "/v1/server").status == 503
    assert audit_size(path) == n
    assert db_snapshot(path) == before
    con.execute("DROP TRIGGER refuse")
    con.commit()
    con.close()
    r = server.request("GET", "/v1/server")
    assert r.status == 200
    events = audit_events_since(path, n)
    assert [e["seq"] for e in events] == [n]  # no gap, the refused ones left no trace
    assert events[0]["request_id"] == r.header("X-Request-Id")


def verifier_key(server):
    r = coffred_cmd("audit-key", "--data-dir", server.data_dir)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def fresh_checkpoint(server, min_size):
    deadline = time.monotonic() + 10
    while True:
        r = server.request("GET", "/v1/audit/checkpoint")
        assert r.status == 200
        assert r.header("Content-Type").startswith("text/plain")
        note = r.body.decode()
        if rfc6962.parse_checkpoint(note)[1] >= min_size or time.monotonic() > deadline:
            return note
        time.sleep(0.3)


def test_checkpoint_verifies_with_an_independent_implementation(server):
    for _ in range(5):
        server.request("GET", "/v1/server")
    n = audit_size(dbpath(server))
    note = fresh_checkpoint(server, n)
    origin, size, root, sigs, body = rfc6962.parse_checkpoint(note)
    assert size >= n
    vkey = verifier_key(server)
    name, keyhash_hex, key_b64 = vkey.split("+", 2)
    assert name == origin
    raw = base64.b64decode(key_b64)
    assert raw[0] == 1 and len(raw) == 33
    import hashlib
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == keyhash_hex
    (sig_name, sig), = sigs
    assert sig_name == name and sig[:4].hex() == keyhash_hex
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(sig[4:], body)
    leaves = [rfc6962.leaf_hash(e) for e in all_event_bytes(dbpath(server))[:size]]
    assert rfc6962.mth(leaves) == root


def test_consistency_proofs_verify_independently(server):
    for _ in range(9):
        server.request("GET", "/v1/server")
    events = all_event_bytes(dbpath(server))
    leaves = [rfc6962.leaf_hash(e) for e in events]
    n = len(leaves)
    for m in (1, 2, 3, 4, 5, n - 1, n):
        r = server.request("GET", "/v1/audit/proof/consistency?from=%d&to=%d" % (m, n))
        assert r.status == 200, r
        doc = r.json()
        assert doc["from"] == m and doc["to"] == n
        proof = [rfc6962.b64url(p) for p in doc["proof"]]
        assert rfc6962.verify_consistency(m, n, rfc6962.mth(leaves[:m]), rfc6962.mth(leaves),
                                          proof)
        if proof:
            bad = list(proof)
            bad[0] = bytes(32)
            assert not rfc6962.verify_consistency(m, n, rfc6962.mth(leaves[:m]),
                                                  rfc6962.mth(leaves), bad)


@pytest.mark.parametrize("query,status", [
    ("", 400), ("from=1", 400), ("from=x&to=2", 400), ("from=-1&to=2", 400),
    ("from=0&to=1", 422), ("from=3&to=2", 422), ("from=1&to=999999", 422),
    ("from=1&to=18446744073709551616", 400),
])
def test_bad_proof_queries_are_refused(server, query, status):
    r = server.request("GET", "/v1/audit/proof/consistency?" + query)
    assert r.status == status, r
    assert r.header("Content-Type") == "application/problem+json"


def test_events_and_inclusion_proofs_need_credentials(server):
    for path in ("/v1/audit/events?from=0&count=1", "/v1/audit/proof/inclusion?index=0&size=1"):
        r = server.request("GET", path)
        assert r.status == 401
        assert r.header("Content-Type") == "application/problem+json"


def populate_and_stop(coffred_factory, tmp_path, requests=12):
    s = coffred_factory(data_dir=tmp_path / "d")
    for i in range(requests):
        s.request("GET", "/v1/server" if i % 2 else "/v1/nothing")
    fresh_checkpoint(s, audit_size(dbpath(s)))
    s.stop()
    return str(tmp_path / "d")


def verify_offline(data_dir):
    return coffred_cmd("audit", "verify", "--data-dir", data_dir)


def test_offline_verification_passes_on_an_honest_log(coffred_factory, tmp_path):
    d = populate_and_stop(coffred_factory, tmp_path)
    r = verify_offline(d)
    assert r.returncode == 0, r.stdout + r.stderr
    n = audit_size(os.path.join(d, "coffre.db"))
    assert n >= 13
    assert "verified: %d events" % n in r.stdout


def tamper_alter(con):
    ev = bytes(con.execute("SELECT event FROM audit_events WHERE seq=5").fetchone()[0])
    i = ev.index(b'"time":"') + 9
    changed = ev[:i] + bytes([ev[i] ^ 1]) + ev[i + 1:]
    con.execute("UPDATE audit_events SET event=? WHERE seq=5", (changed,))
    return 5, "altered"


def tamper_delete(con):
    con.execute("DELETE FROM audit_events WHERE seq=5")
    return 5, "missing"


def tamper_reorder(con):
    a = con.execute("SELECT event FROM audit_events WHERE seq=3").fetchone()[0]
    b = con.execute("SELECT event FROM audit_events WHERE seq=4").fetchone()[0]
    con.execute("UPDATE audit_events SET event=? WHERE seq=3", (b,))
    con.execute("UPDATE audit_events SET event=? WHERE seq=4", (a,))
    return 3, "another sequence number"


def tamper_truncate(con):
    con.execute("DELETE FROM audit_events WHERE seq>=8")
    return 8, "truncated"


@pytest.mark.parametrize("tamper", [tamper_alter, tamper_delete, tamper_reorder, tamper_truncate])
def test_offline_verification_names_the_first_bad_event(coffred_factory, tmp_path, tamper):
    d = populate_and_stop(coffred_factory, tmp_path)
    assert verify_offline(d).returncode == 0
    con = sqlite3.connect(os.path.join(d, "coffre.db"))
    index, words = tamper(con)
    con.commit()
    con.close()
    r = verify_offline(d)
    assert r.returncode == 1, r.stdout
    assert "event %d:" % index in r.stdout, r.stdout
    assert words in r.stdout, r.stdout


def node_key(level, index):
    return (level << 56) | index


def flip_node(con, level, index):
    key = node_key(level, index)
    h = bytes(con.execute("SELECT hash FROM audit_nodes WHERE node=?", (key,)).fetchone()[0])
    con.execute("UPDATE audit_nodes SET hash=? WHERE node=?", (bytes([h[0] ^ 1]) + h[1:], key))


@pytest.mark.parametrize("level,index", [(1, 2), (2, 1), (3, 0)])
def test_offline_verification_names_an_altered_tree_node(coffred_factory, tmp_path, level, index):
    """A stored perfect-subtree hash is what proofs are made of: one changed
    byte must fail the offline check, and the message names that node."""
    d = populate_and_stop(coffred_factory, tmp_path)
    assert verify_offline(d).returncode == 0
    con = sqlite3.connect(os.path.join(d, "coffre.db"))
    flip_node(con, level, index)
    con.commit()
    con.close()
    r = verify_offline(d)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "tree node level %d index %d" % (level, index) in r.stdout, r.stdout
    first, last = index << level, ((index + 1) << level) - 1
    assert "events %d-%d" % (first, last) in r.stdout, r.stdout


def test_offline_verification_names_a_missing_tree_node(coffred_factory, tmp_path):
    d = populate_and_stop(coffred_factory, tmp_path)
    con = sqlite3.connect(os.path.join(d, "coffre.db"))
    con.execute("DELETE FROM audit_nodes WHERE node=?", (node_key(1, 3),))
    con.commit()
    con.close()
    r = verify_offline(d)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "tree node level 1 index 3" in r.stdout and "missing" in r.stdout, r.stdout


def test_offline_verification_refuses_another_key(coffred_factory, tmp_path):
    d = populate_and_stop(coffred_factory, tmp_path)
    other = coffred_factory(data_dir=tmp_path / "other")
    key = verifier_key(other)
    r = coffred_cmd("audit", "verify", "--data-dir", d, "--key", key)
    assert r.returncode == 1
    assert "signature" in r.stdout


def test_log_continues_across_restarts(coffred_factory, tmp_path):
    d = populate_and_stop(coffred_factory, tmp_path, requests=4)
    n = audit_size(os.path.join(d, "coffre.db"))
    s = coffred_factory(data_dir=tmp_path / "d")
    r = s.request("GET", "/v1/server")
    events = audit_events_since(dbpath(s), n)
    assert events[0]["seq"] == n and events[0]["request_id"] == r.header("X-Request-Id")
    note = fresh_checkpoint(s, n + 1)
    size = rfc6962.parse_checkpoint(note)[1]
    proof = s.request("GET", "/v1/audit/proof/consistency?from=%d&to=%d" % (n, size)).json()
    leaves = [rfc6962.leaf_hash(e) for e in all_event_bytes(dbpath(s))]
    assert rfc6962.verify_consistency(n, size, rfc6962.mth(leaves[:n]), rfc6962.mth(leaves[:size]),
                                      [rfc6962.b64url(p) for p in proof["proof"]])
    s.stop()
    assert verify_offline(str(tmp_path / "d")).returncode == 0


def test_the_audit_key_is_in_its_own_log(server):
    """Key transparency: a registered key can be checked against the log."""
    vkey = verifier_key(server)
    pk = base64.b64decode(vkey.split("+", 2)[2])[1:]
    import hashlib
    want = hashlib.sha256(pk).hexdigest()
    note = fresh_checkpoint(server, 1)
    origin, size, root, _, _ = rfc6962.parse_checkpoint(note)
    r = server.request("GET", "/v1/keys/audit/server/log?size=%d" % size)
    assert r.status == 200, r
    doc = r.json()
    assert doc["size"] == size and not doc["truncated"]
    (reg,) = doc["registrations"]
    assert reg["key_hash"] == want
    assert "event" not in reg  # the event's metadata is not public (DESIGN §8)
    leaf = rfc6962.b64url(reg["leaf_hash"])
    proof = [rfc6962.b64url(p) for p in reg["proof"]]
    assert rfc6962.verify_inclusion(leaf, reg["index"], size, proof, root)
    # the leaf is the registration event, which carries the key's hash
    event = all_event_bytes(dbpath(server))[reg["index"]]
    assert rfc6962.leaf_hash(event) == leaf
    e = json.loads(event)
    assert e["action"] == "key.register" and e["key_hash"] == want and e["seq"] == reg["index"]
    assert server.request("GET", "/v1/keys/unknown/server/log").status == 404
    assert server.request("GET", "/v1/keys/audit/server/log?size=x").status == 400
    # users' key logs are for their organisation only
    assert server.request("GET", "/v1/keys/user-sign/00112233445566778899aabbccddeeff/log"
                          ).status == 401


def test_the_server_never_sends_a_proof_built_from_a_damaged_node(coffred_factory, tmp_path):
    """A stored node altered under a running log's feet: the public
    consistency proof that would carry it is refused (500) and the log says
    so, instead of a wrong proof reaching a client."""
    d = populate_and_stop(coffred_factory, tmp_path)
    con = sqlite3.connect(os.path.join(d, "coffre.db"))
    n = con.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
    assert n >= 9
    flip_node(con, 1, 2)  # events 4-5: inside the perfect subtree of 0-7
    con.commit()
    con.close()
    s = coffred_factory(data_dir=tmp_path / "d")
    r = s.request("GET", "/v1/audit/proof/consistency?from=6&to=%d" % n)
    assert r.status == 500, r
    assert r.json()["type"].endswith("audit-tree-damaged"), r.json()
    r = s.request("GET", "/v1/audit/proof/consistency?from=8&to=%d" % n)
    assert r.status == 200, r
    lines = [l for l in s.read_stderr().splitlines() if " error audit:" in l]
    assert len(lines) == 1 and "from 6 to %d" % n in lines[0], s.read_stderr()
