"""Scenario: an operator writes configuration and secret files; coffred refuses
every mistake at start with a message naming the key and the reason."""
import os
import subprocess

import pytest

from conftest import COFFRED, sanitizer_env


def start_fails(tmp_path, config=None, extra=(), data="data"):
    cmd = [COFFRED, "run", "--data-dir", str(tmp_path / data)]
    if config is None or "listen" not in config:
        cmd += ["--listen", "127.0.0.1:0"]
    if config is not None:
        p = tmp_path / "bad.conf"
        p.write_text(config)
        cmd += ["--config", str(p)]
    r = subprocess.run(cmd + list(extra), capture_output=True, text=True, timeout=30,
                       env=sanitizer_env())
    assert r.returncode != 0, r.stdout
    assert "listening" not in r.stdout
    return r.stderr


@pytest.mark.parametrize("config,words", [
    ("lisen = 127.0.0.1:1\n", ["line 1", "unknown key 'lisen'"]),
    ("limits.json_body = lots\n", ["limits.json_body", "'lots'", "size"]),
    ("limits.json_body = 10\n", ["limits.json_body", "out of range"]),
    ("environment = staging\n", ["environment", "test, production"]),
    ("listen = localhost:80\n", ["listen", "ADDRESS:PORT"]),
    ("listen = 127.0.0.1:99999\n", ["listen"]),
    ("store.backend = mysql\n", ["store.backend", "sqlite"]),
    ("debug.problem_routes = yes\n", ["debug.problem_routes", "true or false"]),
    ("# fine\n\nlog.level = info\nthis line has no equals\n", ["line 4", "key = value"]),
    ("tls.cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem\n", ["tls.key_file", "both"]),
    ("environment = production\n", ["tls.cert_file", "production"]),
    ("environment = production\ndebug.problem_routes = true\ntls.cert_file = /x\ntls.key_file = /y\n",
     ["debug.problem_routes", "production"]),
    ("limits.ip_rate = 100\nlimits.ip_burst = 10\n", ["limits.ip_burst"]),
])
def test_bad_configuration_is_refused(tmp_path, config, words):
    err = start_fails(tmp_path, config)
    for w in words:
        assert w in err, err
    assert not (tmp_path / "data" / "coffre.db").exists()


def test_missing_config_file_is_refused(tmp_path):
    err = start_fails(tmp_path, extra=["--config", str(tmp_path / "nope.conf")])
    assert "nope.conf" in err


def test_world_readable_tls_key_is_refused(coffred_factory, tmp_path):
    s = coffred_factory(data_dir=tmp_path / "d")
    s.stop()
    key = tmp_path / "d" / "tls" / "server.key"
    os.chmod(key, 0o644)
    cfg = "tls.cert_file = %s\ntls.key_file = %s\n" % (tmp_path / "d" / "tls" / "server.pem", key)
    err = start_fails(tmp_path, cfg, data="d")
    assert "server.key" in err and "others" in err


def test_group_readable_key_0640_is_accepted(coffred_factory, tmp_path):
    s = coffred_factory(data_dir=tmp_path / "d")
    s.stop()
    os.chmod(tmp_path / "d" / "keys" / "server.secret", 0o640)
    s2 = coffred_factory(data_dir=tmp_path / "d")
    assert s2.request("GET", "/healthz").status == 200


def test_world_readable_server_secret_is_refused(coffred_factory, tmp_path):
    s = coffred_factory(data_dir=tmp_path / "d")
    s.stop()
    os.chmod(tmp_path / "d" / "keys" / "server.secret", 0o604)
    err = start_fails(tmp_path, data="d")
    assert "server.secret" in err and "others" in err


def test_production_refuses_the_self_signed_certificate(coffred_factory, tmp_path):
    s = coffred_factory(data_dir=tmp_path / "d")
    s.stop()
    tls = tmp_path / "d" / "tls"
    cfg = ("environment = production\ntls.cert_file = %s\ntls.key_file = %s\n"
           % (tls / "server.pem", tls / "server.key"))
    err = start_fails(tmp_path, cfg, data="d")
    assert "self-signed" in err


def test_configured_certificate_is_used(coffred_factory, tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")],
                   check=True, capture_output=True)
    os.chmod(tmp_path / "k.pem", 0o600)
    s = coffred_factory(config="tls.cert_file = %s\ntls.key_file = %s\n"
                        % (tmp_path / "c.pem", tmp_path / "k.pem"))
    s.ca = str(tmp_path / "c.pem")
    assert s.request("GET", "/healthz").status == 200
    assert not os.path.exists(os.path.join(s.data_dir, "tls", "server.pem"))
