"""Helpers for the account-security tests (issue 8): people with a real
Ed25519 device key, a world with a bootstrapped superadmin, login with the
device proof of DESIGN §5.3 when the server asks for it, direct reads and
edits of the SQLite store, TOTP, and parallel requests released together.

Independent of test_identity.py on purpose (that file is refactored by
others); the shapes are the same."""
import base64
import hashlib
import hmac
import json
import os
import socket
import sqlite3
import struct
import subprocess
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from conftest import COFFRED, Coffred, sanitizer_env

PROOF_DOMAIN = b"coffre-v1 device proof\0"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def coffred_cmd(*args):
    return subprocess.run([COFFRED, *args], capture_output=True, text=True, timeout=120,
                          env=sanitizer_env())


def init(data_dir, email="root@platform.example"):
    r = coffred_cmd("init", "--data-dir", str(data_dir), "--email", email)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def totp(secret_b32, at=None, step=30):
    """RFC 6238, HMAC-SHA1, 6 digits."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % value


class Device:
    def __init__(self):
        self.sk = Ed25519PrivateKey.generate()
        self.pk = self.sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def proof(self, pending_hex, nonce):
        return self.sk.sign(PROOF_DOMAIN + bytes.fromhex(pending_hex) + nonce)


class Person:
    """Someone with an account: their secrets as a client would hold them."""

    def __init__(self, email, pin="246810"):
        self.email = email
        self.auth_key = os.urandom(32)
        self.recovery_auth = os.urandom(32)
        self.device = Device()
        self.sign_pk = os.urandom(32)
        self.enc_pk = os.urandom(32)
        self.pin = pin
        self.phone = None
        self.totp_secret = None
        self.token = None
        self.user_id = None
        self.device_id = None


def device_proof_fields(answer, pending, device):
    """The proof fields of DESIGN §5.3 when the login answer has a nonce;
    nothing when it has none (today's server refuses unknown fields)."""
    if "nonce" not in answer:
        return {}
    return {"device_proof": b64(device.proof(pending, unb64(answer["nonce"])))}


class World:
    def __init__(self, server, smtp, sms=None):
        self.s = server
        self.smtp = smtp
        self.sms = sms
        self.root = None
        self._totp_used = {}

    @property
    def db_path(self):
        return os.path.join(self.s.data_dir, "coffre.db")

    def call(self, method, path, body=None, who=None, token=None, headers=None, conn=None):
        h = dict(headers or {})
        tok = token or (who.token if who else None)
        if tok:
            h["Authorization"] = "Bearer " + tok
        return self.s.request(method, path, json_body=body, headers=h, conn=conn)

    def invitation_code(self, email):
        return self.smtp.code_in(self.smtp.wait_for(email), "invitation")

    def enrol(self, p, code):
        r = self.call("POST", "/v1/enrol", {
            "code": code, "email": p.email, "auth_key": b64(p.auth_key),
            "sign_pk": b64(p.sign_pk), "enc_pk": b64(p.enc_pk), "bundle": b64(os.urandom(92)),
            "recovery_bundle": b64(os.urandom(92)), "recovery_auth": b64(p.recovery_auth),
            "pin": p.pin, "device_pk": b64(p.device.pk), "second_factor": {"method": "email"}})
        assert r.status == 201, r
        p.user_id = r.json()["user_id"]
        return r.json()

    def mails_to(self, email):
        return len(self.smtp.messages_to(email))

    def begin_login(self, p, device_pk=None, auth_key=None):
        """POST /v1/auth/login; (answer, code sent by e-mail or SMS or None)."""
        n = self.mails_to(p.email)
        nsms = len([x for x in self.sms.delivered() if x.to == p.phone]) if self.sms else 0
        r = self.call("POST", "/v1/auth/login", {
            "email": p.email, "auth_key": b64(auth_key or p.auth_key),
            "device_pk": b64(device_pk or p.device.pk)})
        assert r.status == 200, r
        a = r.json()
        code = None
        if a.get("sent") == "email":
            code = self.smtp.code_in(self.smtp.wait_for(p.email, count=n + 1), "otp")
        elif a.get("sent") == "sms":
            code = self.smtp.code_in(self.sms.wait_for(p.phone, count=nsms + 1), "otp")
        return a, code

    def second_factor(self, answer, method, code, device=None, extra=None):
        body = {"pending": answer["pending"], "method": method, "code": code}
        if device is not None:
            body.update(device_proof_fields(answer, answer["pending"], device))
        body.update(extra or {})
        return self.call("POST", "/v1/auth/second-factor", body)

    def login(self, p, device=None):
        """A whole login (with the device proof when asked); sets p.token."""
        device = device or p.device
        a, code = self.begin_login(p, device_pk=device.pk)
        method = a.get("sent") or "totp"
        if method == "totp":
            code = self.fresh_totp(p)
        r = self.second_factor(a, method, code, device=device)
        assert r.status == 200, r
        p.token = r.json()["token"]
        p.device_id = r.json()["device_id"]
        return r.json()

    def fresh_totp(self, p):
        """A TOTP code of a step not used yet for this person (codes are single
        use): the current step, else the next one (inside the ±1 step window)."""
        used = self._totp_used.setdefault(p.email, set())
        while True:
            now = time.time()
            step = int(now // 30)
            for s, at in ((step, now), (step + 1, now + 30)):
                if s not in used:
                    used.add(s)
                    return totp(p.totp_secret, at=at)
            time.sleep(0.5)

    def enable_totp(self, p):
        r = self.call("POST", "/v1/me/totp/begin", who=p)
        assert r.status == 200, r
        p.totp_secret = r.json()["secret"]
        r = self.call("POST", "/v1/me/totp", {"code": self.fresh_totp(p)}, who=p)
        assert r.status == 204, r

    def make_org(self, name, approval=False):
        r = self.call("POST", "/v1/orgs", {"name": name, "device_approval": approval},
                      who=self.root)
        assert r.status == 201, r
        return r.json()["org_id"]

    def member(self, by, email, role, org, unit=None, login=True):
        body = {"email": email, "role": role, "org_id": org}
        if unit:
            body["unit_id"] = unit
        r = self.call("POST", "/v1/invitations", body, who=by)
        assert r.status == 201, r
        p = Person(email)
        self.enrol(p, self.invitation_code(email))
        if login:
            self.login(p)
        return p

    # --- the store ---------------------------------------------------------

    def con(self):
        return sqlite3.connect(self.db_path, timeout=30)

    def user_doc_rows(self, user_id):
        """Every stored row of a user's document (all versions), for 'nothing changed'."""
        con = self.con()
        try:
            return sorted(con.execute("SELECT * FROM docs WHERE kind='user' AND id=?",
                                      (user_id,)).fetchall(), key=repr)
        finally:
            con.close()

    def user_doc(self, user_id):
        con = self.con()
        try:
            rows = con.execute("SELECT * FROM docs WHERE kind='user' AND id=?",
                               (user_id,)).fetchall()
            cols = [d[0] for d in con.execute("SELECT * FROM docs LIMIT 0").description]
        finally:
            con.close()
        best = None
        for row in rows:
            d = dict(zip(cols, row))
            if best is None or d.get("version", 0) > best.get("version", 0):
                best = d
        for k in ("doc", "body", "json", "data"):
            if best and k in best and best[k] is not None:
                v = best[k]
                return json.loads(bytes(v) if isinstance(v, (bytes, memoryview)) else v)
        raise AssertionError("no user document for %s: %r" % (user_id, best))

    def sessions(self):
        """Stored sessions: {token hash: doc}."""
        con = self.con()
        try:
            return {k: json.loads(d) for k, d in con.execute(
                "SELECT key, doc FROM ephemeral WHERE kind='session'")}
        finally:
            con.close()

    def session_of(self, token):
        return self.sessions().get(hashlib.sha256(token.encode()).hexdigest())

    def edit_session(self, token, fn):
        key = hashlib.sha256(token.encode()).hexdigest()
        con = self.con()
        try:
            with con:
                row = con.execute("SELECT doc FROM ephemeral WHERE kind='session' AND key=?",
                                  (key,)).fetchone()
                assert row, "no stored session for this token"
                doc = json.loads(row[0])
                fn(doc)
                con.execute("UPDATE ephemeral SET doc=? WHERE kind='session' AND key=?",
                            (json.dumps(doc), key))
        finally:
            con.close()

    def age_session(self, token, seconds):
        """Moves every time of a session except its end back by `seconds`:
        as if it had been created (by its second factor) that long ago."""
        def shift(doc):
            for k, v in list(doc.items()):
                if k.endswith("_ms") and k != "expires_ms" and isinstance(v, int) and v > 0:
                    doc[k] = v - seconds * 1000
        self.edit_session(token, shift)

    def clone_sessions(self, token, n, edit=None):
        """n new sessions stored as copies of a real one (same user, device and
        epoch), each with its own token; cheaper than n logins."""
        src = self.session_of(token)
        assert src, "no stored session to copy"
        con = self.con()
        tokens = []
        try:
            with con:
                row = con.execute("SELECT expires_ms FROM ephemeral WHERE kind='session' AND "
                                  "key=?", (hashlib.sha256(token.encode()).hexdigest(),)
                                  ).fetchone()
                for _ in range(n):
                    tok = "coffre_s_" + b64(os.urandom(32))
                    doc = dict(src)
                    doc["id"] = os.urandom(16).hex()
                    if edit:
                        edit(doc)
                    con.execute("INSERT INTO ephemeral (kind, key, doc, expires_ms) "
                                "VALUES ('session', ?, ?, ?)",
                                (hashlib.sha256(tok.encode()).hexdigest(), json.dumps(doc),
                                 row[0]))
                    tokens.append(tok)
        finally:
            con.close()
        return tokens

    def attempt_rows(self):
        con = self.con()
        try:
            return con.execute("SELECT key, doc FROM ephemeral WHERE kind='attempt'").fetchall()
        finally:
            con.close()


def parallel(calls, timeout=120):
    """Runs each callable in its own thread; prepare() (if the callable has
    one, e.g. to open its connection) first, then all are released together
    by a barrier. Returns their results in order (exceptions as values)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        try:
            prep = getattr(fn, "prepare", None)
            state = prep() if prep else None
            barrier.wait(timeout=60)
            results[i] = fn(state) if prep else fn()
        except Exception as e:  # noqa: BLE001 - reported to the test
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results


class Request:
    """A request on its own TLS connection, opened before the barrier."""

    def __init__(self, server, method, path, body=None, token=None, source=None):
        self.s = server
        self.method = method
        self.path = path
        self.body = body
        self.token = token
        self.source = source

    def prepare(self):
        conn = self.s.connection()
        if self.source:
            conn.source_address = (self.source, 0)
        conn.connect()
        return conn

    def __call__(self, conn):
        h = {}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        try:
            return self.s.request(self.method, self.path, json_body=self.body, headers=h,
                                  conn=conn)
        finally:
            conn.close()


class Coffred6(Coffred):
    """coffred listening on [::1] (the TLS test certificate names ::1)."""

    def command(self, extra=()):
        cmd = super().command(extra)
        i = cmd.index("--listen")
        cmd[i + 1] = "[::1]:0"
        return cmd

    def start(self, extra=(), timeout=30):
        import re
        import subprocess as sp
        from conftest import sanitizer_env as env
        self.stderr = open(self.stderr_path, "ab")
        self.proc = sp.Popen(self.command(extra), stdout=sp.PIPE, stderr=self.stderr,
                             env=env(), text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on https://\[::1\]:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                return self
        self.proc.wait(timeout=10)
        raise AssertionError("coffred did not start on [::1] (exit %s): %s" %
                             (self.proc.returncode, self.read_stderr()))

    @property
    def url(self):
        return "https://[::1]:%d" % self.port

    def connection(self, ctx=None, source=None):
        import http.client
        ctx = ctx or self.ssl_context()  # the test certificate names ::1
        return http.client.HTTPSConnection("::1", self.port, timeout=30, context=ctx,
                                           source_address=(source, 0) if source else None)

    def request_from(self, source, method, path, body=None, headers=None):
        conn = self.connection(source=source)
        try:
            return self.request(method, path, json_body=body, headers=headers, conn=conn)
        finally:
            conn.close()


def ipv6_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False
