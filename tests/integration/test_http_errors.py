"""Scenario: a client sends every kind of bad request to coffred. Each gets the
right status with an RFC 9457 problem body, and the store does not change."""
import datetime
import os
import re
import socket
import ssl
import time

import pytest

from conftest import audit_events_since, audit_size, db_snapshot

PROBLEM_TYPE = "application/problem+json"


def assert_problem(r, status):
    assert r.status == status, r
    assert r.header("Content-Type") == PROBLEM_TYPE, r.headers
    p = r.json()
    assert p["status"] == status
    assert p["type"].startswith("urn:coffre:problem:")
    assert isinstance(p["title"], str) and p["title"]
    assert isinstance(p["detail"], str) and p["detail"]
    assert r.header("X-Request-Id") and len(r.header("X-Request-Id")) == 32
    return p


@pytest.fixture
def db_unchanged(server):
    """Nothing but the audit log changes, and every refusal is in it, once."""
    path = os.path.join(server.data_dir, "coffre.db")
    before = db_snapshot(path)
    start = audit_size(path)
    seen = []
    real = server.request

    def request(*a, **kw):
        r = real(*a, **kw)
        seen.append(r)
        return r
    server.request = request
    yield
    server.request = real
    assert db_snapshot(path) == before
    events = audit_events_since(path, start)
    assert len(events) >= len(seen)
    by_id = {e["request_id"]: e for e in events}
    for r in seen:
        e = by_id[r.header("X-Request-Id")]
        assert e["outcome"] == r.status


def test_unknown_path_is_404(server, db_unchanged):
    p = assert_problem(server.request("GET", "/v1/nothing-here"), 404)
    assert "no resource" in p["detail"]


def test_wrong_method_is_405_with_allow(server, db_unchanged):
    r = server.request("DELETE", "/v1/server")
    p = assert_problem(r, 405)
    assert r.header("Allow") == "GET"
    assert "DELETE" in p["detail"]


def test_not_json_is_415(server, db_unchanged):
    r = server.request("POST", "/v1/auth/prelogin", body=b"email=a@b.c",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415)
    r = server.request("POST", "/v1/auth/prelogin", body=b'{"email":"a@b.c"}')
    assert_problem(r, 415)


@pytest.mark.parametrize("body", [b"{", b'{"email": }', b"\xff\xfe", b'{"email":"a@b.c"} x',
                                  b'{"email":"a@b.c","email":"d@e.f"}'])
def test_malformed_json_is_400(server, db_unchanged, body):
    r = server.request("POST", "/v1/auth/prelogin", body=body,
                       headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


@pytest.mark.parametrize("doc,field", [
    ({}, "email"),
    ({"email": 42}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "a@" + "b" * 300 + ".fr"}, "email"),
    ({"email": "a@b.fr", "extra": 1}, "extra"),
    ([], "object"),
])
def test_invalid_fields_are_422_naming_the_field(server, db_unchanged, doc, field):
    r = server.request("POST", "/v1/auth/prelogin", json_body=doc)
    p = assert_problem(r, 422)
    assert field in p["detail"]


def test_body_on_bodyless_endpoint_is_400(server, db_unchanged):
    r = server.request("GET", "/v1/server", body=b"{}", headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


def test_body_over_1_mib_is_413_by_length(server, db_unchanged):
    # The answer comes from the headers alone, before any body byte is sent
    # (and the connection is closed, so the body is never read).
    r = server.headers_only("POST", "/v1/auth/prelogin", {"Content-Type": "application/json",
                                                          "Content-Length": "1048577"})
    assert r.status == 413
    assert r.header("Content-Type") == "application/problem+json"
    assert b"1048576" in r.body
    # and a body just under the limit is read and judged on its content
    r = server.request("POST", "/v1/auth/prelogin",
                       body=b'{"email":"' + b"a" * ((1 << 20) - 20) + b'@b.fr"}',
                       headers={"Content-Type": "application/json"})
    assert r.status == 422


def test_body_over_1_mib_is_413_when_chunked(server, db_unchanged):
    conn = server.connection()
    conn.putrequest("POST", "/v1/auth/prelogin")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b"a" * 65536
    for _ in range(20):
        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.send(b"0\r\n\r\n")
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert r.status == 413, body
    assert r.getheader("Content-Type") == PROBLEM_TYPE


def test_headers_over_16_kib_are_431(server, db_unchanged):
    r = server.request("GET", "/v1/server", headers={"X-Padding": "p" * (17 * 1024)})
    p = assert_problem(r, 431)
    assert "16384" in p["detail"]


def test_headers_under_16_kib_are_fine(server):
    r = server.request("GET", "/v1/server", headers={"X-Padding": "p" * (12 * 1024)})
    assert r.status == 200


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 431, 500, 503])
def test_every_problem_status_renders(server, db_unchanged, status):
    assert_problem(server.request("GET", "/v1/_debug/problem/%d" % status), status)


def test_debug_routes_absent_by_default(coffred_factory):
    s = coffred_factory()
    assert_problem(s.request("GET", "/v1/_debug/problem/500"), 404)


def test_rate_limit_is_429_with_retry_after(coffred_factory):
    s = coffred_factory(config="limits.ip_rate = 5\nlimits.ip_burst = 5\n")
    conn = s.connection()
    statuses = [s.request("GET", "/v1/server", conn=conn).status for _ in range(8)]
    assert statuses[:5] == [200] * 5
    r = s.request("GET", "/v1/server", conn=conn)
    conn.close()
    p = assert_problem(r, 429)
    assert int(r.header("Retry-After")) >= 1
    assert "retry" in p["detail"]
    # health checks are not rate limited
    assert s.request("GET", "/healthz").status == 200


def test_slow_client_is_disconnected(coffred_factory):
    s = coffred_factory(config="limits.connection_timeout = 2\n")
    ctx = s.ssl_context()
    raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    tls = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(b"GET /v1/server HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
    tls.settimeout(10)
    start = time.monotonic()
    data = b""
    try:
        while True:  # until the server closes; a socket timeout fails the test
            chunk = tls.recv(100)
            if not chunk:
                break
            data += chunk
    except (ssl.SSLError, ConnectionResetError):
        pass
    elapsed = time.monotonic() - start
    tls.close()
    assert 1.0 <= elapsed <= 8.0, elapsed  # closed by the 2 s timeout, not at once, not never
    assert b"HTTP/1.1 200" not in data



def open_tls(server, timeout=5):
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return server.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")


def served(tls):
    try:
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        return tls.recv(100).startswith(b"HTTP/1.1 200")
    except (ssl.SSLError, OSError):
        return False


@pytest.mark.parametrize("key", ["limits.per_ip_connections", "limits.max_connections"])
def test_connection_caps(coffred_factory, key):
    s = coffred_factory(config="%s = 2\n" % key)
    held = [open_tls(s), open_tls(s)]
    assert all(served(t) for t in held)
    try:
        third = open_tls(s, timeout=1.5)
        assert not served(third)
        third.close()
    except (ssl.SSLError, OSError):
        pass  # refused during the handshake: also no service
    held[0].close()
    time.sleep(0.3)
    fourth = open_tls(s)
    assert served(fourth)
    fourth.close()
    held[1].close()


# --- framing that must be refused (request smuggling behind a proxy) --------

BODY = b'{"email":"a@b.fr"}'


def raw_request(server, data):
    """Sends raw bytes over TLS and reads one answer (until its
    Content-Length, or until the server closes)."""
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    tls = server.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(data)
    out = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            chunk = tls.recv(65536)
        except (ssl.SSLError, ConnectionResetError):
            break
        if not chunk:
            break
        out += chunk
        head, sep, body = out.partition(b"\r\n\r\n")
        if sep:
            lines = head.decode("latin-1").split("\r\n")
            hdrs = [tuple(x.split(": ", 1)) for x in lines[1:]]
            n = [int(v) for k, v in hdrs if k.lower() == "content-length"]
            if n and len(body) >= n[0]:
                break
    tls.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    from conftest import Response
    return Response(int(lines[0].split()[1]), [tuple(x.split(": ", 1)) for x in lines[1:]], body)


def post(headers, body=BODY):
    return (b"POST /v1/auth/prelogin HTTP/1.1\r\n" + headers + b"\r\n" + body)


FRAMING = {
    "two different Content-Length": post(b"Host: x\r\nContent-Type: application/json\r\n"
                                         b"Content-Length: %d\r\nContent-Length: 3\r\n" % len(BODY)),
    "two equal Content-Length": post(b"Host: x\r\nContent-Type: application/json\r\n"
                                     b"Content-Length: %d\r\nContent-Length: %d\r\n"
                                     % (len(BODY), len(BODY))),
    "Content-Length and Transfer-Encoding": post(
        b"Host: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        b"Transfer-Encoding: chunked\r\n" % len(BODY),
        b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY)),
    "two Host": b"GET /v1/server HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    "no Host in HTTP/1.1": b"GET /v1/server HTTP/1.1\r\n\r\n",
    "NUL in a header value": post(b"Host: x\r\nContent-Type: application/json\0\r\n"
                                  b"Content-Length: %d\r\n" % len(BODY)),
    "space in the request target": b"GET /v1/ser ver HTTP/1.1\r\nHost: x\r\n\r\n",
    "control byte in the request target": b"GET /v1/ser\x01ver HTTP/1.1\r\nHost: x\r\n\r\n",
    "space in a header name": b"GET /v1/server HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
    "unknown transfer coding": post(b"Host: x\r\nContent-Type: application/json\r\n"
                                    b"Transfer-Encoding: gzip, chunked\r\n", b""),
}


NUL_XFAIL = pytest.mark.xfail(
    strict=True, reason="libmicrohttpd 0.9.75 cuts a header value at a NUL byte and reports "
    "the cut length, so coffred cannot see it (docs/internals/request-path.md)")


@pytest.mark.parametrize("case", [pytest.param(c, marks=NUL_XFAIL) if "NUL" in c else c
                                  for c in sorted(FRAMING)])
def test_ambiguous_framing_is_refused_and_audited(server, case):
    path = os.path.join(server.data_dir, "coffre.db")
    before = db_snapshot(path)
    start = audit_size(path)
    r = raw_request(server, FRAMING[case])
    if case == "unknown transfer coding":
        p = assert_problem(r, 501)
        assert p["type"].endswith(":unsupported-transfer-coding"), p
    else:
        p = assert_problem(r, 400)
        assert p["type"].endswith(":bad-framing") or p["type"].endswith(":bad-header"), p
    assert db_snapshot(path) == before
    events = {e["request_id"]: e for e in audit_events_since(path, start)}
    assert events[r.header("X-Request-Id")]["outcome"] == r.status
    # nothing of the request was carried out, and the connection is closed
    assert r.header("Connection") == "close"


def limit_lines(server):
    """The connection guard's 'limits bit' log lines, checked to be at least
    10 s apart (rate-limited)."""
    lines = [l for l in server.read_stderr().splitlines() if " conn: limits bit" in l]
    stamps = [datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ") for l in lines]
    for a, b in zip(stamps, stamps[1:]):
        assert (b - a).total_seconds() >= 9.9, lines
    return lines


def metric(server, name):
    r = server.request("GET", "/metrics")
    for line in r.body.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError("no %s in %r" % (name, r.body))


# What libmicrohttpd 0.9.75 answers itself, before coffred sees the request
# (docs/internals/request-path.md lists them): HTML bodies coffred cannot
# replace, but each is counted and logged.
MHD_OWN = [
    (b"GET /v1/server HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"POST /v1/auth/prelogin HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /v1/server HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
]


def test_refusals_by_libmicrohttpd_are_counted_and_logged(coffred_factory):
    s = coffred_factory()
    name = "coffre_requests_refused_by_mhd_total"
    assert metric(s, name) == 0
    for data, status in MHD_OWN:
        assert raw_request(s, data).status == status
    # a chunked upload with a bad chunk size: aborted by libmicrohttpd
    raw_request(s, post(b"Host: x\r\nContent-Type: application/json\r\n"
                        b"Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n"))
    deadline = time.monotonic() + 5
    while metric(s, name) < len(MHD_OWN) + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert metric(s, name) == len(MHD_OWN) + 1
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = limit_lines(s)
        if lines:
            break
        time.sleep(0.2)
    # rate-limited: a line at the first refusal, the next at least 10 s later
    assert lines and re.search(r"[1-9]\d* requests refused by libmicrohttpd", lines[0]), lines
