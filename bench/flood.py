#!/usr/bin/python3
"""Connection-exhaustion benchmark (issue 9, item 3); not part of CI.

Starts coffred (default configuration, an API key made offline), keeps up to
FLOOD_CONNECTIONS unfinished connections open against it from FLOOD_ADDRS
loopback addresses (a third plain TCP that never starts TLS, a third TLS with
no request, a third slowloris heads at one byte a second), re-opening the ones
coffred cuts, for FLOOD_SECONDS. Meanwhile a normal client from 127.0.0.1
asks, over a fresh connection each time, for /healthz and for an
authenticated request (API key), and the report gives the time to an answer
(median, max, failures), the connections held, and coffred's RSS (from
/proc) before, at peak and after.

    bench/flood.py                     # build/ binary; 5000 connections, 40 s
    FLOOD_CONNECTIONS=2000 FLOOD_SECONDS=20 COFFRE_BUILD=build-release bench/flood.py
    FLOOD_CONFIG="limits.max_connections = 2048;limits.head_timeout = 120s" bench/flood.py

FLOOD_CONFIG adds configuration lines (';' separates them): with the default
deadlines (10 s, 15 s) one Python client cannot open connections faster than
coffred cuts them, so long deadlines are needed to hold 5,000 at once.

All traffic stays on 127.0.0.0/8; every loop has a deadline; coffred is
stopped at the end."""
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("COFFRE_BUILD", "build"))
COFFRED = os.path.join(BUILD, "src", "server", "coffred")
N = int(os.environ.get("FLOOD_CONNECTIONS", "5000"))
SECONDS = float(os.environ.get("FLOOD_SECONDS", "40"))
NADDR = int(os.environ.get("FLOOD_ADDRS", "50"))
ADDRS = ["127.0.%d.%d" % (1 + i // 200, 10 + i % 200) for i in range(NADDR)]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Server:
    def __init__(self, tmp):
        self.data = os.path.join(tmp, "data")
        r = subprocess.run([COFFRED, "api-key", "create", "--data-dir", self.data,
                            "--scope", "audit.read"], capture_output=True, text=True,
                           timeout=120)
        if r.returncode:
            sys.exit("api-key create failed: " + r.stderr)
        self.key = r.stdout.strip().splitlines()[-1]
        conf = os.path.join(tmp, "coffred.conf")
        with open(conf, "w") as f:
            f.write("log.level = warn\n" + os.environ.get("FLOOD_CONFIG", "").replace(";", "\n"))
        self.err = open(os.path.join(tmp, "coffred.stderr"), "wb")
        self.proc = subprocess.Popen([COFFRED, "run", "--data-dir", self.data, "--listen",
                                      "127.0.0.1:0", "--config", conf],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", self.proc.stdout.readline())
            if m:
                self.port = int(m.group(1))
                break
        else:
            sys.exit("coffred did not start")
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.data, "tls", "ca.pem"))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ask(srv, path, headers=""):
    """Seconds to a 200 over a fresh TLS connection, or None."""
    start = time.monotonic()
    try:
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        tls = srv.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n"
                     % (path, headers)).encode())
        data = tls.recv(64)
        tls.close()
    except (OSError, ssl.SSLError):
        return None
    return time.monotonic() - start if data.startswith(b"HTTP/1.1 200") else None


def metrics(srv):
    try:
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        tls = srv.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while len(data) < 65536:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
        tls.close()
    except (OSError, ssl.SSLError):
        return {}
    out = {}
    for line in data.split(b"\r\n\r\n", 1)[-1].decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = int(v)
    return out


class Flood:
    """Keeps up to N unfinished connections open, re-opening those cut."""

    def __init__(self, srv):
        self.srv = srv
        self.socks = []  # [sock, kind, next_byte_time]
        self.opened = 0
        self.failed = 0
        self.i = 0

    def open_one(self):
        kind = self.i % 3
        src = ADDRS[self.i % len(ADDRS)]
        self.i += 1
        try:
            raw = socket.create_connection(("127.0.0.1", self.srv.port), timeout=1,
                                           source_address=(src, 0))
            s = raw if kind == 0 else self.srv.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            s.setblocking(False)
            self.socks.append([s, kind, time.monotonic() + 1])
            self.opened += 1
        except (OSError, ssl.SSLError):
            self.failed += 1

    def alive(self, s):
        try:
            d = s.recv(64)
            return d != b"" and not d.startswith(b"HTTP/")
        except (BlockingIOError, ssl.SSLWantReadError):
            return True
        except (OSError, ssl.SSLError):
            return False

    def tick(self, budget_s):
        """Drops the connections coffred cut, trickles one byte into each
        slowloris head due, and opens new ones for budget_s."""
        now = time.monotonic()
        keep = []
        for e in self.socks:
            s, kind, due = e
            if not self.alive(s):
                s.close()
                continue
            if kind == 2 and now >= due:
                try:
                    s.send(b"G" if due == 0 else b"x")
                    e[2] = now + 1
                except (OSError, ssl.SSLError, BlockingIOError):
                    s.close()
                    continue
            keep.append(e)
        self.socks = keep
        stop = time.monotonic() + budget_s
        while len(self.socks) < N and time.monotonic() < stop:
            self.open_one()

    def close(self):
        for s, _, _ in self.socks:
            s.close()
        self.socks = []


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp(prefix="coffre-flood-")
    srv = Server(tmp)
    auth = "Authorization: Bearer %s\r\n" % srv.key
    try:
        time.sleep(1)
        assert ask(srv, "/healthz") is not None
        assert ask(srv, "/v1/audit/events?from=0&count=1", auth) is not None
        rss_before = rss_kib(srv.proc.pid)
        flood = Flood(srv)
        probes = {"healthz": [], "authenticated": []}
        fails = {"healthz": 0, "authenticated": 0}
        held = []
        stop = threading.Event()
        rss_peak = [rss_before]

        def prober():
            while not stop.is_set():
                for name, path, hdr in (("healthz", "/healthz", ""),
                                        ("authenticated", "/v1/audit/events?from=0&count=1", auth)):
                    t = ask(srv, path, hdr)
                    if t is None:
                        fails[name] += 1
                    else:
                        probes[name].append(t)
                rss_peak[0] = max(rss_peak[0], rss_kib(srv.proc.pid))
                stop.wait(0.5)

        th = None
        end = time.monotonic() + SECONDS
        ramp_end = None
        while time.monotonic() < end:
            flood.tick(0.5)
            held.append(len(flood.socks))
            rss_peak[0] = max(rss_peak[0], rss_kib(srv.proc.pid))
            if th is None and len(flood.socks) >= N * 0.9:
                ramp_end = time.monotonic()
                th = threading.Thread(target=prober)
                th.start()
                print("flood: %d connections held after %.1f s; probing" %
                      (len(flood.socks), ramp_end - (end - SECONDS)), file=sys.stderr)
        if th is None:  # never reached 90 %: probe anyway for a while
            th = threading.Thread(target=prober)
            th.start()
            time.sleep(5)
        m = metrics(srv)
        stop.set()
        th.join()
        flood.close()
        time.sleep(3)
        rss_after = rss_kib(srv.proc.pid)
        print("== flood: %d target connections from %d addresses, %.0f s ==" %
              (N, len(ADDRS), SECONDS))
        steady = held[len(held) // 2:] or held
        print("connections held by the flood (client side): max %d, median over the second "
              "half %d; opened %d in all, %d refused" %
              (max(held), statistics.median(steady), flood.opened, flood.failed))
        print("coffred at the end of the flood: %s" %
              ", ".join("%s=%d" % kv for kv in sorted(m.items())))
        for name in probes:
            v = probes[name]
            if v:
                print("normal client, %s: %d answered, median %.0f ms, max %.0f ms, %d failed"
                      % (name, len(v), 1000 * statistics.median(v), 1000 * max(v), fails[name]))
            else:
                print("normal client, %s: none answered, %d failed" % (name, fails[name]))
        print("coffred RSS: before %.1f MiB, peak %.1f MiB, after %.1f MiB" %
              (rss_before / 1024, rss_peak[0] / 1024, rss_after / 1024))
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
