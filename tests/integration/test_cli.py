"""Scenario: a user points the coffre CLI at a server."""
import json
import subprocess

from conftest import run_cli, free_port


def test_status_with_pinned_ca(server):
    r = run_cli("--server", server.url, "--ca", server.ca, "status")
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout


def test_status_json(server):
    r = run_cli("--server", server.url, "--ca", server.ca, "--json", "status")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "ok"


def test_wrong_ca_is_refused_with_a_clear_message(server, tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=other CA", "-days", "2",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "other.pem")],
                   check=True, capture_output=True)
    r = run_cli("--server", server.url, "--ca", str(tmp_path / "other.pem"), "status")
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "certificate" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_system_store_does_not_trust_the_test_ca(server):
    r = run_cli("--server", server.url, "status")
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "certificate" in r.stderr


def test_no_server_is_a_connection_error():
    r = run_cli("--server", "https://127.0.0.1:%d" % free_port(), "status")
    assert r.returncode == 4, (r.returncode, r.stderr)
    assert "connect" in r.stderr


def test_plain_http_url_is_refused():
    r = run_cli("--server", "http://127.0.0.1:1", "status")
    assert r.returncode == 2 or r.returncode == 1
    assert "https" in r.stderr
