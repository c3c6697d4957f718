"""Scenario: an operator and a load balancer probe a fresh coffred."""
import os
import stat

from conftest import db_snapshot


def test_healthz_and_readyz(server):
    r = server.request("GET", "/healthz")
    assert r.status == 200
    assert r.json()["status"] == "ok"
    assert r.json()["version"]
    r = server.request("GET", "/readyz")
    assert r.status == 200 and r.json() == {"status": "ready"}


def test_server_info_and_security_headers(server):
    r = server.request("GET", "/v1/server")
    assert r.status == 200
    info = r.json()
    assert info["suite"] == "coffre-v1"
    assert info["limits"]["json_body"] == 1 << 20
    assert info["limits"]["headers"] == 16 << 10
    assert r.header("Strict-Transport-Security").startswith("max-age=")
    assert r.header("Cache-Control") == "no-store"
    assert r.header("X-Content-Type-Options") == "nosniff"


def test_keep_alive_reuses_the_connection(server):
    conn = server.connection()
    for _ in range(5):
        r = server.request("GET", "/healthz", conn=conn)
        assert r.status == 200
        assert (r.header("Connection") or "").lower() != "close"
    sock = conn.sock
    assert sock is not None  # still open after 5 requests
    conn.close()


def test_first_run_creates_data_dir_with_safe_modes(server):
    d = server.data_dir
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    for name in ("tls/server.key", "tls/ca.key", "keys/server.secret", "coffre.db"):
        mode = stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode)
        assert mode & 0o077 == 0, (name, oct(mode))
    assert os.path.isdir(os.path.join(d, "blobs"))


def test_restart_keeps_certificate_and_database(coffred_factory, tmp_path):
    s = coffred_factory(data_dir=tmp_path / "d")
    with open(s.ca, "rb") as f:
        ca = f.read()
    snap = db_snapshot(os.path.join(s.data_dir, "coffre.db"))
    s.stop()
    s2 = coffred_factory(data_dir=tmp_path / "d")
    with open(s2.ca, "rb") as f:
        assert f.read() == ca
    assert s2.request("GET", "/healthz").status == 200
    assert db_snapshot(os.path.join(s2.data_dir, "coffre.db")) == snap


def test_prelogin_salt_is_stable_and_reveals_nothing(server):
    a1 = server.request("POST", "/v1/auth/prelogin", json_body={"email": "Alice@Example.org"})
    a2 = server.request("POST", "/v1/auth/prelogin", json_body={"email": "alice@example.org"})
    b = server.request("POST", "/v1/auth/prelogin", json_body={"email": "bob@example.org"})
    assert a1.status == a2.status == b.status == 200
    assert a1.json()["salt"] == a2.json()["salt"] != b.json()["salt"]
    assert a1.json()["kdf"] == "argon2id"
    assert a1.json()["m_cost_kib"] >= 19 * 1024 and a1.json()["t_cost"] >= 2
    assert len(a1.json()["salt"]) == 22  # 16 bytes, base64url without padding


def test_log_lines_carry_no_personal_data(coffred_factory, tmp_path):
    log = tmp_path / "coffred.log"
    s = coffred_factory(config="log.file = %s\n" % log)
    s.request("GET", "/v1/patients/jean.dupont@example.org")
    s.request("GET", "/v1/call/0612345678")
    s.request("GET", "/v1/nir/185057800608436")
    s.stop()
    text = log.read_text()
    assert "/v1/patients/" in text  # the requests were logged
    for pii in ("jean.dupont@example.org", "0612345678", "185057800608436"):
        assert pii not in text


def test_log_escapes_bytes_above_ascii_in_paths(coffred_factory, tmp_path):
    """A decoded path with bytes >= 0x80 (valid UTF-8 or not) is written
    escaped, like a control character: the log is plain ASCII."""
    log = tmp_path / "coffred.log"
    s = coffred_factory(config="log.file = %s\n" % log)
    assert s.request("GET", "/v1/caf%C3%A9").status == 404
    assert s.request("GET", "/v1/x%FFy").status == 404
    s.stop()
    data = log.read_bytes()
    assert all(b < 0x80 for b in data.replace("\u2026".encode(), b"")), \
        [l for l in data.splitlines() if any(b >= 0x80 for b in l)]
    text = data.decode("ascii", "replace")
    assert "GET /v1/caf\\xc3\\xa9 404" in text, text
    assert "GET /v1/x\\xffy 404" in text, text
