"""Scenarios of machine clients: an operator creates platform API keys
offline; an audit repository reads events, proofs and exports with one; keys
are scoped, bound to addresses, revocable, and every change is versioned."""
import base64
import json
import os
import re
import sqlite3
import subprocess

import pytest

import rfc6962
from conftest import COFFRED, audit_events_since, audit_size, db_snapshot, sanitizer_env


def coffred(*args):
    return subprocess.run([COFFRED, *args], capture_output=True, text=True, timeout=120,
                          env=sanitizer_env())


def create_key(data_dir, *args):
    r = coffred("api-key", "create", "--data-dir", str(data_dir), *args)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"coffre_[A-Za-z0-9_-]{43}", key), r.stdout
    key_id = re.search(r"API key ([0-9a-f]{32})", r.stdout).group(1)
    return key_id, key


def auth(key):
    return {"Authorization": "Bearer " + key}


@pytest.fixture
def keyed(coffred_factory, tmp_path):
    d = tmp_path / "d"
    reader = create_key(d, "--scope", "audit.read", "--label", "ATNA repository")
    versions = create_key(d, "--scope", "versions.read")
    elsewhere = create_key(d, "--scope", "audit.read", "--allow", "10.0.0.0/8, 2001:db8::/32")
    s = coffred_factory(data_dir=d)
    return s, reader, versions, elsewhere


def test_events_and_inclusion_proofs_with_a_key(keyed):
    s, (kid, key), _, _ = keyed
    for _ in range(4):
        s.request("GET", "/v1/server")
    r = s.request("GET", "/v1/audit/events?from=0&count=1000", headers=auth(key))
    assert r.status == 200, r
    events = r.json()["events"]
    con = sqlite3.connect(os.path.join(s.data_dir, "coffre.db"))
    stored = [bytes(x[0]) for x in con.execute("SELECT event FROM audit_events ORDER BY seq")]
    con.close()
    assert [rfc6962.b64url(e["event"]) for e in events] == stored[:len(events)]
    assert [e["index"] for e in events] == list(range(len(events)))
    size = len(events)
    root = rfc6962.mth([rfc6962.leaf_hash(e) for e in stored[:size]])
    for i in range(size):
        p = s.request("GET", "/v1/audit/proof/inclusion?index=%d&size=%d" % (i, size),
                      headers=auth(key))
        assert p.status == 200
        proof = [rfc6962.b64url(x) for x in p.json()["proof"]]
        assert rfc6962.verify_inclusion(rfc6962.leaf_hash(stored[i]), i, size, proof, root)
        assert not rfc6962.verify_inclusion(rfc6962.leaf_hash(stored[i] + b" "), i, size, proof,
                                            root)
    # the key's own requests are attributed to it
    last = audit_events_since(os.path.join(s.data_dir, "coffre.db"), 0)[-1]
    assert last["actor"] == kid and last["action"] == "audit.proof.inclusion"


def test_scopes_addresses_and_bad_credentials(keyed):
    s, (kid, key), (vid, vkey), (eid, ekey) = keyed
    path = os.path.join(s.data_dir, "coffre.db")
    before = db_snapshot(path)
    start = audit_size(path)
    cases = [
        ({"Authorization": "Bearer " + vkey}, "/v1/audit/events?from=0&count=1", 403, "scope"),
        ({"Authorization": "Bearer " + ekey}, "/v1/audit/events?from=0&count=1", 403, "address"),
        ({"Authorization": "Bearer coffre_" + "A" * 43}, "/v1/audit/events?from=0&count=1", 401,
         "invalid"),
        ({"Authorization": "Bearer coffre_short"}, "/v1/audit/events?from=0&count=1", 401,
         "invalid"),
        ({"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}, "/v1/server", 401,
         "Bearer"),
        ({"Authorization": "Bearer " + key}, "/v1/versions?entity=api_key", 403, "scope"),
        ({}, "/v1/versions?entity=api_key", 401, "needs"),
    ]
    for headers, url, status, word in cases:
        r = s.request("GET", url, headers=headers)
        assert r.status == status, (url, headers, r)
        assert r.header("Content-Type") == "application/problem+json"
        assert word in r.json()["detail"], r.json()
    assert db_snapshot(path) == before
    events = audit_events_since(path, start)
    assert [e["outcome"] for e in events] == [c[2] for c in cases]
    assert events[0]["actor"] == vid and events[1]["actor"] == eid
    assert events[2]["actor"] is None
    blob = open(path, "rb").read() + (open(path + "-wal", "rb").read()
                                      if os.path.exists(path + "-wal") else b"")
    for k in (key, vkey, ekey):
        assert k.encode() not in blob


def test_revocation_and_versions(coffred_factory, tmp_path):
    d = tmp_path / "d"
    kid, key = create_key(d, "--scope", "audit.read")
    vid, vkey = create_key(d, "--scope", "versions.read")
    r = coffred("api-key", "revoke", kid, "--data-dir", str(d))
    assert r.returncode == 0, r.stderr
    r = coffred("api-key", "revoke", kid, "--data-dir", str(d))
    assert r.returncode == 1 and "already revoked" in r.stderr
    r = coffred("api-key", "revoke", "0" * 32, "--data-dir", str(d))
    assert r.returncode == 1 and "no API key" in r.stderr
    listing = coffred("api-key", "list", "--data-dir", str(d)).stdout
    assert re.search(kid + r"\s+revoked", listing) and re.search(vid + r"\s+active", listing)
    assert "coffre_" not in listing
    s = coffred_factory(data_dir=d)
    assert s.request("GET", "/v1/audit/events?from=0&count=1", headers=auth(key)).status == 401
    r = s.request("GET", "/v1/versions?entity=api_key&id=" + kid, headers=auth(vkey))
    assert r.status == 200, r
    versions = r.json()["versions"]
    assert [(v["version"], v["op"]) for v in versions] == [(1, "create"), (2, "delete")]
    events = audit_events_since(os.path.join(s.data_dir, "coffre.db"), 0)
    for v in versions:
        e = events[v["audit_index"]]
        assert e["action"] == "version.api_key." + v["op"]
        assert e["state_hash"] == v["state_hash"] and e["version"] == v["version"]
    s.stop()
    assert coffred("audit", "verify", "--data-dir", str(d)).returncode == 0


def test_keys_cannot_be_created_while_coffred_runs(keyed):
    s = keyed[0]
    r = coffred("api-key", "create", "--data-dir", s.data_dir, "--scope", "audit.read")
    assert r.returncode == 1 and "in use" in r.stderr


@pytest.mark.parametrize("args,word", [
    ([], "scope"),
    (["--scope", "everything"], "unknown scope"),
    (["--scope", "audit.read", "--allow", "10.0.0.0/33"], "--allow"),
    (["--scope", "audit.read", "--allow", "example.org"], "--allow"),
    (["--scope", "audit.read", "--label", "x" * 65], "--label"),
])
def test_bad_key_requests_change_nothing(coffred_factory, tmp_path, args, word):
    d = tmp_path / "d"
    create_key(d, "--scope", "audit.read")
    path = os.path.join(str(d), "coffre.db")
    before = db_snapshot(path, with_audit=True)
    r = coffred("api-key", "create", "--data-dir", str(d), *args)
    assert r.returncode == 2 and word in r.stderr, r.stderr
    assert db_snapshot(path, with_audit=True) == before


def test_fhir_and_syslog_exports(keyed):
    s, (kid, key), _, _ = keyed
    s.request("GET", "/v1/server")
    s.request("GET", "/v1/nothing")
    r = s.request("GET", "/v1/audit/export?format=fhir&from=0&count=100", headers=auth(key))
    assert r.status == 200 and r.header("Content-Type") == "application/fhir+json"
    bundle = r.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert bundle["total"] == len(bundle["entry"]) >= 8
    for entry in bundle["entry"]:
        ae = entry["resource"]
        assert ae["resourceType"] == "AuditEvent"
        assert ae["type"]["system"] == "http://terminology.hl7.org/CodeSystem/audit-event-type"
        assert ae["action"] in ("C", "R", "U", "D", "E")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ae["recorded"])
        assert ae["outcome"] in ("0", "4", "8")
        assert any(a["requestor"] for a in ae["agent"])
        assert ae["source"]["observer"]["display"] == "coffred"
        assert ae["entity"] and all("what" in e for e in ae["entity"])
    outcomes = {e["resource"]["subtype"][0]["code"]: e["resource"]["outcome"] for e in bundle["entry"]}
    assert outcomes["server.info"] == "0" and outcomes["unrouted"] == "4"
    versions = [e["resource"] for e in bundle["entry"]
                if e["resource"]["subtype"][0]["code"] == "version.api_key.create"]
    assert versions and versions[0]["action"] == "C"

    r = s.request("GET", "/v1/audit/export?format=syslog&from=0&count=100", headers=auth(key))
    assert r.status == 200 and r.header("Content-Type").startswith("text/plain")
    lines = r.body.decode("utf-8").splitlines()
    assert len(lines) >= 8
    pattern = re.compile(r'<(\d{1,3})>1 (\S+) (\S+) coffred - audit '
                         r'\[coffre@32473 seq="(\d+)" outcome="(\d+)" action="([^"]*)"\] '
                         "\ufeff(\\{.*\\})$")
    for i, line in enumerate(lines):
        m = pattern.match(line)
        assert m, line
        pri, ts, host, seq, outcome, action, msg = m.groups()
        assert int(seq) == i and json.loads(msg)["seq"] == i
        assert int(pri) // 8 == 10
        assert int(pri) % 8 == (6 if int(outcome) < 400 else 4 if int(outcome) < 500 else 3)
    r = s.request("GET", "/v1/audit/export?format=xml&from=0&count=1", headers=auth(key))
    assert r.status == 400
