"""Scenario: clients of every TLS vintage knock on coffred. Only TLS 1.2 and
1.3 get service; old TLS and plain HTTP get none."""
import os
import socket
import ssl
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest


def s_client(server, *flags):
    return subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % server.port,
         "-CAfile", server.ca, "-servername", "localhost", *flags],
        input="", capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("flag,proto", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_modern_tls_is_served(server, flag, proto):
    r = s_client(server, flag)
    assert "New, %s, Cipher is" % proto in r.stdout, r.stdout
    cipher = r.stdout.split("Cipher is ")[1].split()[0]
    assert "GCM" in cipher or "CHACHA20" in cipher, cipher
    assert "Verify return code: 0 (ok)" in r.stdout


@pytest.mark.parametrize("flag", ["-tls1", "-tls1_1"])
def test_old_tls_is_refused(server, flag):
    # SECLEVEL=0 lets this OpenSSL even try the old versions.
    r = s_client(server, flag, "-cipher", "DEFAULT:@SECLEVEL=0")
    assert r.returncode != 0
    assert "Cipher is (NONE)" in r.stdout or "alert" in r.stderr.lower() or \
        "no protocols available" in r.stderr.lower(), (r.stdout, r.stderr)


def test_python_client_refuses_nothing_modern(server):
    ctx = server.ssl_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    assert server.request("GET", "/healthz", conn=server.connection(ctx)).status == 200
    ctx = server.ssl_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    assert server.request("GET", "/healthz", conn=server.connection(ctx)).status == 200


def test_plain_http_gets_no_service(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = b""
        try:
            while len(data) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert b"HTTP/" not in data
    assert b"ok" not in data


def test_certificate_names_localhost_and_loopback(server):
    ctx = server.ssl_context()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            cert = tls.getpeercert()
    sans = cert["subjectAltName"]
    assert ("DNS", "localhost") in sans
    assert ("IP Address", "127.0.0.1") in sans


def test_weak_ciphers_are_refused(server):
    r = s_client(server, "-tls1_2", "-cipher", "AES128-SHA:AES256-SHA")
    assert r.returncode != 0 or "Cipher is (NONE)" in r.stdout


def tls12_ciphers():
    """Every cipher suite this OpenSSL can offer in TLS 1.2 (TLS 1.3 suites
    are chosen separately and are all ECDHE/DHE + AEAD)."""
    out = subprocess.run(["openssl", "ciphers", "-v", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                         capture_output=True, text=True, check=True).stdout
    names = []
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[1] != "TLSv1.3":
            names.append(fields[0])
    return names


def forward_secret_aead(name):
    """ECDHE or DHE key exchange (signed by the certificate), AEAD cipher."""
    kx_ok = name.startswith(("ECDHE-ECDSA-", "ECDHE-RSA-", "DHE-RSA-", "DHE-DSS-"))
    aead = "GCM" in name or "CHACHA20-POLY1305" in name or "CCM" in name
    return kx_ok and aead and "PSK" not in name and "SRP" not in name


def accepted_tls12_ciphers(server):
    def offer(name):
        r = s_client(server, "-tls1_2", "-cipher", name + ":@SECLEVEL=0")
        return name if "New, TLSv1.2, Cipher is %s" % name in r.stdout else None
    with ThreadPoolExecutor(max_workers=8) as pool:
        return sorted(n for n in pool.map(offer, tls12_ciphers()) if n)


@pytest.fixture
def rsa_server(coffred_factory, tmp_path):
    """coffred with an operator's RSA certificate (self-signed: test mode)."""
    cert, key = tmp_path / "rsa.pem", tmp_path / "rsa.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   capture_output=True, check=True)
    os.chmod(key, 0o600)
    s = coffred_factory(config="tls.cert_file = %s\ntls.key_file = %s\n" % (cert, key))
    s.ca = str(cert)
    return s


@pytest.mark.parametrize("kind", ["ecdsa", "rsa"])
def test_tls12_offers_only_forward_secret_aead_suites(request, kind):
    """Scan every TLS 1.2 suite OpenSSL knows against both certificate kinds:
    static RSA key exchange (no forward secrecy) and non-AEAD suites are refused."""
    server = request.getfixturevalue("server" if kind == "ecdsa" else "rsa_server")
    accepted = accepted_tls12_ciphers(server)
    assert accepted, "no TLS 1.2 suite accepted at all"
    bad = [n for n in accepted if not forward_secret_aead(n)]
    assert not bad, "accepted without forward secrecy or AEAD: %s" % bad
    want = "ECDHE-ECDSA-" if kind == "ecdsa" else "ECDHE-RSA-"
    assert all(n.startswith(want) for n in accepted), accepted
    # and the plain RSA key exchange named in the report is refused outright
    for name in ("AES128-GCM-SHA256", "AES256-GCM-SHA384"):
        assert name not in accepted
    r = s_client(server, "-tls1_3")
    assert "New, TLSv1.3, Cipher is" in r.stdout, r.stdout
