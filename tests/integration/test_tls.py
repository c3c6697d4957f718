"""Scenario: clients of every TLS vintage knock on coffred. Only TLS 1.2 and
1.3 get service; old TLS and plain HTTP get none."""
import socket
import ssl
import subprocess

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
