"""Issue 8, "Account security": the tests written before the fix. Each one
states the intended behaviour (DESIGN §5 and the issue) against the real
coffred over raw HTTPS, and checks that a refused change changed nothing.
Helpers: acctsec.py (device keys and proofs, store reads and edits,
parallel requests released by a barrier)."""
import hashlib
import hmac
import json
import os
import subprocess
import time

import pytest

from acctsec import (Coffred6, Device, Person, Request, World, b64, device_proof_fields, init,
                     ipv6_available, parallel, unb64)
from conftest import audit_events_since, audit_size
from sinks import SmsSink, SmtpSink

# The configuration key of the global cap on concurrent Argon2id work (item 4).
MAX_CONCURRENT_HASHES_KEY = "auth.max_concurrent_hashes"
FRESH_PROOF_TYPE = "fresh-proof-required"


# --- fixtures -------------------------------------------------------------------

@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.cleanup()


@pytest.fixture
def sms():
    sink = SmsSink()
    sink.start()
    yield sink
    sink.stop()


BASE_CONF = ("smtp.url = {smtp}\nsmtp.from = coffre@platform.example\n"
             "limits.ip_rate = 0\nidentity.idle_timeout = 1h\n")


@pytest.fixture
def make_world(coffred_factory, tmp_path, smtp):
    """A coffred with a superadmin (root) enrolled and logged in."""
    def make(extra="", sms=None):
        code = init(tmp_path / "d")
        conf = BASE_CONF.format(smtp=smtp.url) + extra
        if sms is not None:
            conf += "sms.gateway_url = %s\n" % sms.url
        s = coffred_factory(config=conf, data_dir=tmp_path / "d")
        w = World(s, smtp, sms)
        root = Person("root@platform.example")
        w.enrol(root, code)
        w.root = root
        w.login(root)
        return w
    return make


@pytest.fixture
def world(make_world):
    return make_world()


def problem_type(r):
    try:
        return r.json().get("type", "")
    except ValueError:
        return ""


def session_keys(w):
    return set(w.sessions())


# --- 1. device binding needs proof of possession ----------------------------------

def test_login_answer_carries_a_32_byte_server_nonce(world):
    w, root = world, world.root
    a1, _ = w.begin_login(root)
    a2, _ = w.begin_login(root)
    assert "nonce" in a1, "the login answer has no server nonce: %r" % a1
    assert len(unb64(a1["nonce"])) == 32
    assert a1["nonce"] != a2["nonce"]


def test_second_factor_without_device_proof_opens_no_session(world):
    w, root = world, world.root
    a, code = w.begin_login(root)
    before = session_keys(w)
    r = w.second_factor(a, "email", code)  # no device_proof
    assert r.status in (401, 422), r
    assert session_keys(w) == before


def test_second_factor_signed_by_another_key_than_device_pk_is_refused(world):
    """The attacker knows the password and gets the code, and presents the
    victim's (approved) device key without holding its private key."""
    w, victim = world, world.root
    victim_device = w.call("GET", "/v1/me", who=victim).json()["device_id"]
    attacker = Device()
    a, code = w.begin_login(victim, device_pk=victim.device.pk)
    before = session_keys(w)
    start = audit_size(w.db_path)
    body = {"pending": a["pending"], "method": "email", "code": code}
    body.update(device_proof_fields(a, a["pending"], attacker))
    r = w.call("POST", "/v1/auth/second-factor", body)
    assert r.status == 401, "a session on the victim's device without its key: %r" % r
    assert session_keys(w) == before
    acting = [e for e in audit_events_since(w.db_path, start) if e.get("device") == victim_device]
    assert acting == [], acting


def test_second_factor_with_the_right_device_proof_opens_a_session(world):
    w, root = world, world.root
    a, code = w.begin_login(root)
    assert "nonce" in a, "the login answer has no server nonce: %r" % a
    nonce = unb64(a["nonce"])
    assert len(nonce) == 32
    # a proof over another pending id does not count
    wrong = root.device.sk.sign(b"coffre-v1 device proof\0" + os.urandom(16) + nonce)
    body = {"pending": a["pending"], "method": "email", "code": code, "device_proof": b64(wrong)}
    assert w.call("POST", "/v1/auth/second-factor", body).status == 401
    a, code = w.begin_login(root)
    r = w.second_factor(a, "email", code, device=root.device)
    assert r.status == 200, r
    tok = r.json()["token"]
    me = w.call("GET", "/v1/me", token=tok)
    assert me.status == 200 and me.json()["device_id"] == root.device_id


# --- 2. sensitive changes need a fresh proof ---------------------------------------

CHANGES = {
    "totp-disable": ("DELETE", "/v1/me/totp"),
    "phone": ("PUT", "/v1/me/phone"),
    "recovery-code": ("POST", "/v1/me/recovery-code"),
    "pin": ("POST", "/v1/me/pin"),
}


def change_body(kind):
    return {
        "totp-disable": None,
        "phone": {"phone": "+33611223344"},
        "recovery-code": {"recovery_auth": b64(os.urandom(32)),
                          "recovery_bundle": b64(os.urandom(92))},
        "pin": {"pin": "13579246"},
    }[kind]


def changed(kind, before, after):
    field = {"totp-disable": "totp", "phone": "phone", "recovery-code": "recovery_hash",
             "pin": "pin_hash"}[kind]
    return before.get(field) != after.get(field)


def prepare_change(w, p, kind):
    if kind == "totp-disable":
        w.enable_totp(p)
        time.sleep(1)  # any mail the enabling sends arrives before we count


@pytest.mark.parametrize("kind", list(CHANGES))
def test_sensitive_change_without_fresh_proof_is_refused(world, kind):
    w, root = world, world.root
    prepare_change(w, root, kind)
    w.age_session(root.token, 6 * 60)  # the second factor passed 6 minutes ago
    assert w.call("GET", "/v1/me", who=root).status == 200
    method, path = CHANGES[kind]
    before_rows = w.user_doc_rows(root.user_id)
    before = w.user_doc(root.user_id)
    r = w.call(method, path, change_body(kind), who=root)
    assert r.status == 403 and problem_type(r).endswith(FRESH_PROOF_TYPE), r
    assert w.user_doc_rows(root.user_id) == before_rows
    body = dict(change_body(kind) or {})
    body["auth_key"] = b64(os.urandom(32))  # a wrong password is no proof
    r = w.call(method, path, body, who=root)
    assert r.status in (401, 403), r
    assert w.user_doc_rows(root.user_id) == before_rows
    assert not changed(kind, before, w.user_doc(root.user_id))


@pytest.mark.parametrize("proof", ["auth_key", "fresh-second-factor"])
@pytest.mark.parametrize("kind", list(CHANGES))
def test_sensitive_change_with_a_proof_succeeds_and_notifies_by_email(world, kind, proof):
    w, root = world, world.root
    prepare_change(w, root, kind)
    body = change_body(kind)
    if proof == "auth_key":
        w.age_session(root.token, 6 * 60)
        body = dict(body or {})
        body["auth_key"] = b64(root.auth_key)
    method, path = CHANGES[kind]
    before = w.user_doc(root.user_id)
    n = w.mails_to(root.email)
    r = w.call(method, path, body, who=root)
    assert r.status in (200, 204), r
    assert changed(kind, before, w.user_doc(root.user_id))
    w.smtp.wait_for(root.email, count=n + 1, timeout=8)
    new = w.smtp.messages_to(root.email)[n:]
    secrets = [b64(root.auth_key)] + [v for v in (body or {}).values() if v != "+33611223344"]
    if root.totp_secret:
        secrets.append(root.totp_secret)
    for m in new:
        text = m.subject + "\n" + m.text
        for s in secrets:
            assert s not in text, (s, text)


# --- 3. brute-force counters hold under parallel attempts ---------------------------

def test_parallel_wrong_logins_are_evaluated_no_more_than_the_account_limit(make_world):
    lock_after = 5
    w = make_world("server.threads = 16\nidentity.attempts_delay_after = 3\n"
                   "identity.attempts_lock_after = %d\n" % lock_after)
    root = w.root
    calls = [Request(w.s, "POST", "/v1/auth/login",
                     {"email": root.email, "auth_key": b64(os.urandom(32)),
                      "device_pk": b64(root.device.pk)}) for _ in range(32)]
    results = parallel(calls)
    errors = [x for x in results if isinstance(x, Exception)]
    assert not errors, errors
    statuses = [x.status for x in results]
    evaluated, refused = statuses.count(401), statuses.count(429)
    assert evaluated + refused == 32, statuses
    assert evaluated <= lock_after, "%d wrong passwords evaluated (limit %d): %r" % (
        evaluated, lock_after, statuses)


# --- 4. per-address limits: IPv6 /64, global hashing cap, no daily reset -----------

# one /64 per test process, so two runs on one machine do not share addresses
V6_PREFIX = "fd00:c0ff:ee08:%x::" % (os.getpid() & 0xFFFF)
V6_HOSTS = ["%s%x" % (V6_PREFIX, 0x10 + i) for i in range(8)]


@pytest.fixture
def v6_sources():
    if not ipv6_available():
        pytest.skip("IPv6 is not available here (cannot bind ::1)")
    if os.geteuid() != 0:
        pytest.skip("adding source addresses to lo needs root")
    added = []
    try:
        for a in V6_HOSTS:
            r = subprocess.run(["ip", "-6", "addr", "add", a + "/128", "dev", "lo", "nodad"],
                               capture_output=True, text=True)
            if r.returncode != 0 and "exists" not in r.stderr:
                pytest.skip("cannot add %s to lo: %s" % (a, r.stderr.strip()))
            added.append(a)
        yield list(V6_HOSTS)
    finally:
        for a in added:
            subprocess.run(["ip", "-6", "addr", "del", a + "/128", "dev", "lo"],
                           capture_output=True)


def test_per_address_limit_covers_a_whole_ipv6_slash_64(tmp_path, v6_sources):
    """Failures from rotating addresses of one /64 share one per-address
    counter (account limits 1/2, so per address: delays after 3, lock at 6)."""
    conf = ("limits.ip_rate = 0\nidentity.attempts_delay_after = 1\n"
            "identity.attempts_lock_after = 2\n")
    s = Coffred6(tmp_path / "d6", config=conf, tmp_path=tmp_path)
    s.start()
    try:
        def attempt(source, i):
            return s.request_from(source, "POST", "/v1/auth/login", {
                "email": "nobody%d@nowhere.example" % i, "auth_key": b64(os.urandom(32)),
                "device_pk": b64(os.urandom(32))})
        # control: from one address (::1), the per-address counter answers 429
        control = [attempt("::1", i).status for i in range(8)]
        assert 429 in control, control
        got = []
        for i, src in enumerate(v6_sources):
            r = attempt(src, 100 + i)
            got.append(r.status)
            if r.status == 429:
                assert int(r.header("Retry-After")) >= 1
        assert 429 in got, "8 failures from one /64 were each counted alone: %r" % got
    finally:
        s.stop()


def test_a_global_cap_on_concurrent_hashing_answers_429_with_retry_after(make_world):
    w = make_world("server.threads = 8\nidentity.attempts_delay_after = 90\n"
                   "identity.attempts_lock_after = 100\n%s = 1\n" % MAX_CONCURRENT_HASHES_KEY)
    calls = [Request(w.s, "POST", "/v1/auth/login",
                     {"email": "user%d@nowhere.example" % i, "auth_key": b64(os.urandom(32)),
                      "device_pk": b64(os.urandom(32))}) for i in range(12)]
    results = parallel(calls)
    errors = [x for x in results if isinstance(x, Exception)]
    assert not errors, errors
    over = [r for r in results if r.status == 429]
    assert over, [r.status for r in results]
    for r in over:
        assert int(r.header("Retry-After")) >= 1, r.headers
    assert all(r.status in (401, 429) for r in results), results


def test_per_address_counter_is_not_keyed_on_the_daily_ip_hash(world):
    w, root = world, world.root
    start = audit_size(w.db_path)
    r = w.call("POST", "/v1/auth/login", {"email": root.email, "auth_key": b64(os.urandom(32)),
                                          "device_pk": b64(root.device.pk)})
    assert r.status == 401
    events = [e for e in audit_events_since(w.db_path, start) if e["action"] == "auth.login"]
    ip_hashes = {e["ip_hash"] for e in events if e.get("ip_hash")}
    assert ip_hashes, events
    rows = w.attempt_rows()
    assert rows, "no attempt counter stored"
    for key, doc in rows:
        for h in ip_hashes:
            assert h not in key and h not in doc, (
                "the per-address counter is keyed on today's ip_hash (resets at UTC "
                "midnight): %s" % key)


# --- 5. enumeration -------------------------------------------------------------------

def test_recover_begin_answers_the_same_shape_without_user_id(world):
    w, root = world, world.root
    real = w.call("POST", "/v1/auth/recover/begin", {"email": root.email})
    fake = w.call("POST", "/v1/auth/recover/begin", {"email": "ghost@nowhere.example"})
    assert real.status == fake.status == 200, (real, fake)
    assert "user_id" not in real.json(), "recover/begin names the account: %r" % real.json()
    assert sorted(real.json()) == sorted(fake.json())


def test_user_key_logs_answer_only_callers_of_the_same_tenant(world):
    w = world
    org_a, org_b = w.make_org("A"), w.make_org("B")
    admin_a = w.member(w.root, "admin@a.example", "admin", org_a)
    target = w.member(admin_a, "pro@a.example", "professional", org_a, login=False)
    admin_b = w.member(w.root, "admin@b.example", "admin", org_b)
    ghost = os.urandom(16).hex()
    for kind in ("user-sign", "user-enc"):
        path = "/v1/keys/%s/%s/log" % (kind, target.user_id)
        mine = w.call("GET", path, who=admin_a)
        assert mine.status == 200 and mine.json()["registrations"], mine
        for uid in (target.user_id, ghost):
            p = "/v1/keys/%s/%s/log" % (kind, uid)
            r = w.call("GET", p)
            assert r.status == 401, ("unauthenticated", p, r)
            r = w.call("GET", p, who=admin_b)
            assert r.status == 404, ("another tenant", p, r)


# --- 6. audit metadata is not public; the daily IP key is random --------------------

VERIFIER_FIELDS = {"key_hash", "index", "proof", "leaf_hash", "leaf", "size"}


def test_public_key_log_holds_only_what_a_verifier_needs(world):
    w, root = world, world.root
    w.call("GET", "/v1/audit/checkpoint")
    con = w.con()
    blob = b"\n".join(bytes(r[0]) for r in con.execute("SELECT event FROM audit_events"))
    con.close()
    events = [json.loads(x) for x in blob.split(b"\n") if x]
    ip_hashes = {e["ip_hash"] for e in events if e.get("ip_hash")}
    request_ids = {e["request_id"] for e in events if e.get("request_id")}
    logs = [("device", root.device_id), ("user-sign", root.user_id),
            ("user-enc", root.user_id), ("audit", "server")]
    seen = 0
    for kind, owner in logs:
        r = w.call("GET", "/v1/keys/%s/%s/log" % (kind, owner))
        if r.status != 200:
            continue
        text = r.body.decode()
        for item in r.json()["registrations"]:
            seen += 1
            assert "event" not in item, (kind, "whole audit event in a public answer",
                                         json.loads(unb64(item["event"])))
            assert set(item) <= VERIFIER_FIELDS, (kind, sorted(item))
        for h in ip_hashes | request_ids:
            assert h not in text, (kind, h)
        for v in (root.user_id, root.device_id):
            if kind == "audit":
                assert v not in text, (kind, v)


def test_daily_ip_hash_key_is_not_derived_from_the_server_secret(world):
    w = world
    start = audit_size(w.db_path)
    assert w.call("GET", "/v1/me", who=w.root).status == 200
    events = audit_events_since(w.db_path, start)
    hashes = {e["ip_hash"] for e in events if e.get("ip_hash")}
    assert hashes, events
    with open(os.path.join(w.s.data_dir, "keys", "server.secret"), "rb") as f:
        secret = f.read()
    today = int(time.time() * 1000) // 86400000
    for day in (today - 1, today, today + 1):
        day_key = hmac.new(secret, b"coffre-v1 ip-day\0" + day.to_bytes(8, "big"),
                           hashlib.sha256).digest()
        mine = b64(hmac.new(day_key, b"127.0.0.1", hashlib.sha256).digest()[:16])
        assert mine not in hashes, "the audit ip_hash is recomputable from server.secret"


# --- 7. races: logout, lock and PIN failures -----------------------------------------

def test_logout_is_not_undone_by_a_concurrent_request(world):
    w, root = world, world.root
    now = int(time.time() * 1000)

    def stale(doc):  # last used 10 s ago: the next request records its use
        doc["last_ms"] = now - 10000
        doc["locked"] = False

    tokens = w.clone_sessions(root.token, 200, edit=stale)
    alive = []
    batch = 5
    for i in range(0, len(tokens), batch):
        group = tokens[i:i + batch]
        calls = []
        for t in group:
            calls += [Request(w.s, "GET", "/v1/me", token=t),
                      Request(w.s, "GET", "/v1/me", token=t),
                      Request(w.s, "POST", "/v1/auth/logout", token=t)]
        results = parallel(calls)
        errors = [x for x in results if isinstance(x, Exception)]
        assert not errors, errors
        for k, t in enumerate(group):
            assert results[3 * k + 2].status == 204, results[3 * k + 2]
            r = w.call("GET", "/v1/me", token=t)
            if r.status != 401:
                alive.append(r.status)
    assert alive == [], "%d of 200 logged-out sessions came back to life" % len(alive)


def test_pin_failures_and_lock_are_not_overwritten_by_a_stale_touch(make_world):
    """A request that read the session before a wrong PIN was counted must not
    write its stale copy back after it (pin_failures back to 0, or the lock
    lifted): each round, one wrong PIN on an idle session and a burst of
    GET /v1/me timed around the moment the PIN failure is stored."""
    w = make_world("server.threads = 8\nidentity.attempts_delay_after = 90\n"
                   "identity.attempts_lock_after = 100\n")
    root = w.root
    now = int(time.time() * 1000)

    def idle(doc):  # unused for 2 h: the next request finds it locked
        doc["last_ms"] = now - 2 * 3600 * 1000
        doc["locked"] = False
        doc["pin_failures"] = 0

    rounds = 50
    calib, *tokens = w.clone_sessions(root.token, rounds + 1, edit=idle)
    took = []
    for _ in range(3):  # how long a wrong PIN takes to be answered
        conn = w.s.connection()
        conn.connect()
        t0 = time.monotonic()
        r = w.call("POST", "/v1/auth/unlock", {"pin": "000000"}, token=calib, conn=conn)
        took.append(time.monotonic() - t0)
        conn.close()
        assert r.status == 401, r
    latency = sorted(took)[1]
    lost = []
    for i, t in enumerate(tokens):
        delay = latency * (0.5 + 0.6 * (i % 10) / 10.0)

        class Late(Request):
            def __call__(self, conn):
                time.sleep(delay)
                return super().__call__(conn)

        calls = [Request(w.s, "POST", "/v1/auth/unlock", {"pin": "000000"}, token=t)]
        calls += [Late(w.s, "GET", "/v1/me", token=t) for _ in range(4)]
        results = parallel(calls)
        errors = [x for x in results if isinstance(x, Exception)]
        assert not errors, errors
        r = results[0]
        assert r.status == 401 and problem_type(r).endswith("wrong-pin"), r
        stored = w.session_of(t)
        assert stored is not None
        if stored.get("locked") is not True or stored.get("pin_failures") != 1:
            lost.append((round(delay, 3), stored.get("locked"), stored.get("pin_failures")))
    assert lost == [], "stale touches overwrote locked/pin_failures in %d of %d rounds " \
        "(wrong PIN answered in %.3f s): %r" % (len(lost), rounds, latency, lost)


# --- 8. second-factor/send -------------------------------------------------------------

def test_resending_a_code_does_not_give_fresh_tries(make_world):
    w = make_world("identity.attempts_delay_after = 20\nidentity.attempts_lock_after = 40\n")
    root = w.root
    a, code = w.begin_login(root)

    def wrong_code(*avoid):
        c = 0
        while "%06d" % c in avoid:
            c += 1
        return "%06d" % c

    for _ in range(4):
        r = w.second_factor(a, "email", wrong_code(code), device=root.device)
        assert r.status == 401, r
    n = w.mails_to(root.email)
    r = w.call("POST", "/v1/auth/second-factor/send", {"pending": a["pending"], "method": "email"})
    new_code = code
    if r.status == 200:
        new_code = w.smtp.code_in(w.smtp.wait_for(root.email, count=n + 1), "otp")
    before = session_keys(w)
    r = w.second_factor(a, "email", wrong_code(code, new_code), device=root.device)
    assert r.status == 401, r
    # that was the 5th wrong code: the pending login is over, even with the right code
    r = w.second_factor(a, "email", new_code, device=root.device)
    assert r.status == 401, "the resend gave 5 fresh tries: %r" % r
    assert session_keys(w) == before


@pytest.mark.parametrize("method", ["email", "sms"])
def test_totp_account_cannot_be_downgraded_to_email_or_sms(make_world, sms, method):
    w = make_world(sms=sms)
    root = w.root
    root.phone = "+33612345678"
    assert w.call("PUT", "/v1/me/phone", {"phone": root.phone}, who=root).status == 204
    w.enable_totp(root)
    time.sleep(1)
    a, code = w.begin_login(root)
    assert code is None and a.get("sent") is None, a
    n_mail, n_sms = w.mails_to(root.email), len(sms.delivered())
    before = session_keys(w)
    r = w.call("POST", "/v1/auth/second-factor/send", {"pending": a["pending"], "method": method})
    assert r.status in (403, 409, 422), "a TOTP account got a %s code: %r" % (method, r)
    time.sleep(1.5)
    sent = w.smtp.messages_to(root.email)[n_mail:] if method == "email" else \
        [x for x in sms.delivered()[n_sms:] if x.to == root.phone]
    assert sent == [], sent
    # the pending login still asks for TOTP, and TOTP still works
    r = w.second_factor(a, "totp", w.fresh_totp(root), device=root.device)
    assert r.status == 200, r
    assert len(session_keys(w)) == len(before) + 1


# --- 10. recovery code spent; password change ends other sessions ----------------------

def test_a_used_recovery_code_is_spent(world):
    w, root = world, world.root
    begin = w.call("POST", "/v1/auth/recover/begin", {"email": root.email}).json()
    body = {"email": root.email, "recovery_auth": b64(root.recovery_auth), "salt": begin["salt"],
            "auth_key": b64(os.urandom(32)), "bundle": b64(os.urandom(92))}
    r = w.call("POST", "/v1/auth/recover", body)
    assert r.status == 204, r
    rows = w.user_doc_rows(root.user_id)
    body["auth_key"] = b64(os.urandom(32))
    r = w.call("POST", "/v1/auth/recover", body)
    assert r.status == 401, "the same recovery code worked twice: %r" % r
    assert w.user_doc_rows(root.user_id) == rows


def test_password_change_ends_every_other_session(world):
    w, root = world, world.root
    other = Person(root.email)
    other.auth_key, other.device = root.auth_key, Device()
    w.login(other)  # a second session, on another device
    assert w.call("GET", "/v1/me", who=other).status == 200
    salt = w.call("POST", "/v1/auth/password/salt", who=root).json()
    body = {"auth_key": b64(root.auth_key), "new_salt": salt["salt"],
            "new_auth_key": b64(os.urandom(32)), "new_bundle": b64(os.urandom(92))}
    assert w.call("POST", "/v1/auth/password", body, who=root).status == 204
    assert w.call("GET", "/v1/me", who=root).status == 200
    r = w.call("GET", "/v1/me", who=other)
    assert r.status == 401, "another session outlived the password change: %r" % r
