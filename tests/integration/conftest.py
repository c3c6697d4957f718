"""Harness for the integration tests: starts the real coffred on a free port
with a temporary data directory, talks to it over HTTPS, and stops it.

The build folder comes from COFFRE_BUILD (default: build). Every server the
tests start is stopped at the end of its test, and its exit status and
stderr are checked (a sanitizer report fails the test)."""
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.path.join(ROOT, os.environ.get("COFFRE_BUILD", "build")))
COFFRED = os.path.join(BUILD, "src", "server", "coffred")
COFFRE = os.path.join(BUILD, "src", "cli", "coffre")

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=99")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=98")
    return env


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:200])


class Coffred:
    """One coffred process on 127.0.0.1 and a free port."""

    def __init__(self, data_dir, config=None, tmp_path=None):
        self.data_dir = str(data_dir)
        self.config_text = config
        self.tmp_path = tmp_path
        self.proc = None
        self.port = None
        self.stderr_path = os.path.join(str(tmp_path or data_dir), "coffred.stderr")
        self.ca = os.path.join(self.data_dir, "tls", "ca.pem")

    def command(self, extra=()):
        cmd = [COFFRED, "run", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0"]
        if self.config_text is not None:
            path = os.path.join(str(self.tmp_path), "coffred.conf")
            with open(path, "w") as f:
                f.write(self.config_text)
            cmd += ["--config", path]
        return cmd + list(extra)

    def start(self, extra=(), timeout=30):
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.command(extra), stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=sanitizer_env(), text=True)
        deadline = time.monotonic() + timeout
        self.banner = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner.append(line)
            m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                # the rest of the banner (2 lines for the test certificate)
                return self
        self.proc.wait(timeout=10)
        raise AssertionError("coffred did not start (exit %s): %s" %
                             (self.proc.returncode, self.read_stderr()))

    def read_stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("coffred did not stop on SIGTERM")
        self.proc.stdout.close()
        self.stderr.close()
        err = self.read_stderr()
        for marker in SANITIZER_MARKERS:
            assert marker not in err, err
        assert rc == 0, "coffred exited %d: %s" % (rc, err)
        return rc

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        return ctx

    def connection(self, ctx=None):
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                           context=ctx or self.ssl_context())

    def request(self, method, path, body=None, headers=None, json_body=None, conn=None):
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        own = conn is None
        c = conn or self.connection()
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            return Response(r.status, r.getheaders(), data)
        finally:
            if own:
                c.close()

    def headers_only(self, method, path, headers):
        """Sends a request's head without its body and reads the answer: for
        refusals decided from the headers (413 by Content-Length), which the
        server sends before closing, so no body is ever written."""
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        tls = self.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")
        head = "%s %s HTTP/1.1\r\nHost: localhost\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
        tls.sendall(head.encode())
        data = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        tls.close()
        top, _, body = data.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = [tuple(x.split(": ", 1)) for x in lines[1:]]
        return Response(status, hdrs, body)

    def db(self):
        return sqlite3.connect(os.path.join(self.data_dir, "coffre.db"))


# ip_day_keys: the key of the day's audit ip_hash, made by the day's first
# audited request; audit machinery like the tree, not state a request changes.
AUDIT_TABLES = ("audit_events", "audit_nodes", "audit_checkpoints", "ip_day_keys")


def db_snapshot(path, with_audit=False):
    """Every row of every table of a SQLite database, for 'nothing changed'.
    The audit tables grow with every request, so they are left out unless
    asked for; audit_events_since() checks them."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            if with_audit or r[0] not in AUDIT_TABLES]
        snap = {}
        for t in tables:
            snap[t] = sorted(con.execute('SELECT * FROM "%s"' % t).fetchall(), key=repr)
        return snap
    finally:
        con.close()


def audit_events_since(path, start):
    """The audit events stored at index >= start, parsed."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        rows = con.execute("SELECT seq, event FROM audit_events WHERE seq >= ? ORDER BY seq",
                           (start,)).fetchall()
    finally:
        con.close()
    return [json.loads(bytes(r[1])) for r in rows]


def audit_size(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
    finally:
        con.close()


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args, input=None, timeout=60):
    return subprocess.run([COFFRE, *args], capture_output=True, text=True, input=input,
                          timeout=timeout, env=sanitizer_env())


@pytest.fixture
def coffred_factory(tmp_path):
    started = []

    def make(config=None, data_dir=None, start=True):
        d = data_dir or (tmp_path / ("data%d" % len(started)))
        server = Coffred(d, config=config, tmp_path=tmp_path)
        started.append(server)
        if start:
            server.start()
        return server

    yield make
    errors = []
    for s in started:
        try:
            s.stop()
        except AssertionError as e:  # still stop the others
            errors.append(str(e))
    assert not errors, errors


@pytest.fixture
def server(coffred_factory):
    return coffred_factory(config="debug.problem_routes = true\n")
