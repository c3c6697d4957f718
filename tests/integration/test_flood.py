"""Scenario: many clients from several loopback addresses open connections and
never finish them (plain TCP that never starts TLS, TLS with no request, and
slowloris heads sent one byte at a time). A normal client is still served
within a second, and the unfinished connections are cut at their deadlines
(handshake, request head), whatever bytes they trickle in.

Bounded: a few hundred sockets, every loop has a deadline."""
import datetime
import re
import socket
import ssl
import subprocess
import time

import pytest

from conftest import COFFRED, sanitizer_env

CONFIG = """limits.max_connections = 64
limits.per_ip_connections = 40
limits.handshake_timeout = 2s
limits.head_timeout = 3s
limits.connection_timeout = 300s
"""
ADDRS = ["127.0.0.%d" % i for i in range(2, 10)]


def connect(server, src, timeout=5):
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout,
                                    source_address=(src, 0))


def open_plain(server, n):
    held = []
    for i in range(n):
        try:
            held.append(connect(server, ADDRS[i % len(ADDRS)]))
        except OSError:
            pass
    return held


def open_tls(server, n):
    """Up to n TLS connections that send nothing; stops after 5 refusals in a
    row (the server is full)."""
    held = []
    ctx = server.ssl_context()
    failures = 0
    for i in range(n):
        try:
            raw = connect(server, ADDRS[i % len(ADDRS)], timeout=0.5)
            held.append((ctx.wrap_socket(raw, server_hostname="127.0.0.1"), time.monotonic()))
            failures = 0
        except (OSError, ssl.SSLError):
            failures += 1
            if failures >= 5:
                break
    return held


def api_key(data_dir):
    r = subprocess.run([COFFRED, "api-key", "create", "--data-dir", str(data_dir),
                        "--scope", "audit.read"], capture_output=True, text=True, timeout=120,
                       env=sanitizer_env())
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def normal_client(server, path, key=None):
    """Seconds to a 200 on path over a fresh connection from 127.0.0.1, or None."""
    start = time.monotonic()
    auth = b"Authorization: Bearer %s\r\n" % key.encode() if key else b""
    try:
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=3)
        tls = server.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n"
                    % (path.encode(), auth))
        data = tls.recv(100)
        tls.close()
    except (OSError, ssl.SSLError):
        return None
    return time.monotonic() - start if data.startswith(b"HTTP/1.1 200") else None


def metrics(server):
    r = server.request("GET", "/metrics")
    assert r.status == 200
    out = {}
    for line in r.body.decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = int(v)
    return out


def limit_lines(server):
    """The guard's 'limits bit' log lines, checked to be at least 10 s apart."""
    lines = [l for l in server.read_stderr().splitlines() if " conn: limits bit" in l]
    stamps = [datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ") for l in lines]
    for a, b in zip(stamps, stamps[1:]):
        assert (b - a).total_seconds() >= 9.9, lines
    return lines


def closed(sock):
    """True when the server has closed sock (EOF or reset), without blocking."""
    try:
        sock.setblocking(False)
        data = sock.recv(100)
        return data == b"" or data.startswith(b"HTTP/")  # an error answer also ends it
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    except (OSError, ssl.SSLError):
        return True
    finally:
        try:
            sock.setblocking(True)
        except OSError:
            pass


def test_flood_of_unfinished_connections(coffred_factory, tmp_path):
    key = api_key(tmp_path / "d")
    s = coffred_factory(config=CONFIG, data_dir=tmp_path / "d")
    plain = open_plain(s, 70)
    idle = open_tls(s, 70)
    slow = open_tls(s, 50)
    plain += open_plain(s, 8)  # the newest: cut at the handshake deadline, not evicted
    everything = plain + [t for t, _ in idle] + [t for t, _ in slow]
    try:
        # More unfinished connections were offered than there are slots: a
        # normal client is still served at once: public, audited and
        # authenticated (API key) routes alike.
        for path, k in (("/healthz", None), ("/v1/server", None),
                        ("/v1/audit/events?from=0&count=1", key)):
            took = normal_client(s, path, k)
            assert took is not None and took < 1.0, (path, took)
        # The slowloris heads: one byte every 0.4 s never extends the head
        # deadline (3 s after the handshake).
        alive = [(t, at) for t, at in slow if not closed(t)]
        assert alive, "every slowloris connection was evicted; none left to time"
        cut = {}
        stop = time.monotonic() + 8
        while alive and time.monotonic() < stop:
            for t, at in alive:
                try:
                    t.sendall(b"G" if not cut else b"x")
                except (OSError, ssl.SSLError):
                    cut[id(t)] = time.monotonic() - at
            time.sleep(0.4)
            for t, at in alive:
                if id(t) not in cut and closed(t):
                    cut[id(t)] = time.monotonic() - at
            alive = [(t, at) for t, at in alive if id(t) not in cut]
        assert not alive, "%d slowloris connections outlived the head deadline" % len(alive)
        times = sorted(cut.values())
        assert times[len(times) // 2] > 2.5, times  # most by the deadline, not evicted
        assert times[-1] < 3 + 1.5, times
        # plain TCP and idle TLS are gone too (handshake and head deadlines)
        time.sleep(0.5)
        left = [x for x in plain + [t for t, _ in idle] if not closed(x)]
        assert not left, "%d idle connections outlived their deadline" % len(left)
        # and the server is still fine
        took = normal_client(s, "/healthz")
        assert took is not None and took < 1.0
        # the limits that bit are counted, and logged (rate-limited: the
        # first line at once, then at most one every 10 s)
        m = metrics(s)
        assert m['coffre_connections_cut_total{reason="head_timeout"}'] >= len(times) // 2, m
        assert m['coffre_connections_cut_total{reason="evicted"}'] >= 1, m
        assert m['coffre_connections_cut_total{reason="handshake_timeout"}'] >= 1, m
        cuts = sum(v for k, v in m.items() if k.startswith("coffre_connections_cut_total"))
        assert cuts >= len(everything) - 64, m
        lines = limit_lines(s)
        assert lines and re.search(r"[1-9]\d* evicted", lines[0]), lines
    finally:
        for x in everything:
            x.close()
