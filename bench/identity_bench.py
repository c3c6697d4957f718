#!/usr/bin/python3
"""coffre identity benchmark: complete logins per second (prelogin + login +
TOTP second factor) with their p50/p99, and authenticated GET /v1/me per
second with keep-alive (wrk), against a coffred of its own on 127.0.0.1.

Usage: bench/identity_bench.py         (or from bench/run.sh; see bench/README.md)
Settings are environment variables: BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP,
BENCH_THREADS, BENCH_CONNECTIONS, BENCH_COFFRED, BENCH_COFFRED_CONFIG,
BENCH_KEEP, BENCH_IDENTITY_USERS, BENCH_IDENTITY_WORKERS. The report goes to
stdout, progress to stderr.

What it does, all by itself:
  1. builds the release flavour (scripts/build.sh release) unless
     BENCH_COFFRED names a binary;
  2. starts an SMTP sink (tests/integration/sinks.py, aiosmtpd) and
     `coffred init` + `coffred run` with a temporary data directory, port
     picked by coffred, and a bench config (smtp.url, limits.ip_rate = 0,
     log.level = warn, attempt limits at their maximum, 2 h idle timeout);
  3. enrols the superadmin, an organisation and the users: invitation by
     e-mail through the sink, enrolment with random key material (as
     tests/integration/test_identity.py does), a first login with the e-mailed
     code, TOTP enabled (a stdlib HMAC-SHA1 TOTP, checked against oathtool);
  4. measures 20 logins in a row with one client (no queueing): wall time and
     coffred CPU time of each of the three requests;
  5. for each round: complete logins with BENCH_IDENTITY_WORKERS threads for
     BENCH_SECONDS, then wrk on GET /v1/me (bench/me.lua, one session token
     per wrk thread); medians over the rounds;
  6. prints the report; try/finally stops wrk, coffred and the sink, checks
     that none of them and nothing naming the temporary folder is left, and
     removes the folder.

TOTP codes. The server accepts the code of the current 30-s step and of the
steps either side, each (user, step) once. A login takes a (user, step) that
no login has used, still valid BENCH_TOTP_MARGIN (5) s later, the step
expiring soonest first; a user never has two logins in flight. Each user
thus gives 3 codes at once and one more every 30 s, so the users must be
many enough for the run: with BENCH_IDENTITY_USERS unset the script enrols
120, measures the server's CPU per login, and enrols more when the fastest
login rate this machine could reach would use the codes up. Waiting for a
code is reported (it would cap the figure); failures must be 0.
"""
import base64
import collections
import datetime
import hashlib
import hmac
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
import concurrent.futures
import ctypes
import ctypes.util

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

try:
    from sinks import SinkMail, SmtpSink, code_in  # noqa: E402
except ImportError as e:  # pragma: no cover
    sys.exit("identity bench: cannot import tests/integration/sinks.py (%s)" % e)

B64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
STEP = 30                 # TOTP step (s), coffre's profile
MIN_USERS = 120           # enrolled first when BENCH_IDENTITY_USERS is unset
CALIBRATION_LOGINS = 20   # sequential logins, one client


def log(msg):
    print("identity bench: %s" % msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def env_int(name, default, minimum=1):
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw) or int(raw) < minimum:
        raise BenchError("%s must be a whole number >= %d (got %r)" % (name, minimum, raw))
    return int(raw)


# ---------------------------------------------------------------------------
# TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-s steps, T0 = 0)

def hotp(key, counter):
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % value


def b32_secret(text):
    text = text.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def check_totp_against_oathtool(secret_text):
    """Our TOTP must agree with oathtool (when installed) for a few times."""
    if not shutil.which("oathtool"):
        return "oathtool not installed; not cross-checked"
    key = b32_secret(secret_text)
    for t in (59, 1111111109, int(time.time())):
        want = subprocess.run(["oathtool", "--totp", "-b", secret_text, "-N", "@%d" % t],
                              capture_output=True, text=True, check=True).stdout.strip()
        if hotp(key, t // STEP) != want:
            raise BenchError("stdlib TOTP disagrees with oathtool at t=%d" % t)
    return "agrees with oathtool"


# ---------------------------------------------------------------------------
# CPU accounting

def proc_cpu_ns(pid):
    """CPU time (ns) used so far by every thread of pid (schedstat: exact,
    unlike the 10-ms ticks of /proc/PID/stat)."""
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def self_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _proc_ticks():
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                line = f.read()
        except OSError:
            continue
        comm = line[line.find("(") + 1:line.rfind(")")]
        fs = line[line.rfind(")") + 2:].split()
        out[int(name)] = (int(fs[11]) + int(fs[12]), comm)
    return out


def _cpu_total_idle():
    with open("/proc/stat") as f:
        fs = [int(x) for x in f.readline().split()[1:]]
    return sum(fs), fs[3] + fs[4]


def _last_pid():
    with open("/proc/loadavg") as f:
        return int(f.read().split()[4])


def cpu_sample(secs, ours):
    """'NN% of N CPUs busy, about N processes started; top: name NN%, ...'
    over secs seconds, our own processes (ours: pids) left out of the top."""
    hz = os.sysconf("SC_CLK_TCK")
    t1, i1 = _cpu_total_idle()
    p1 = _last_pid()
    before = _proc_ticks()
    time.sleep(secs)
    t2, i2 = _cpu_total_idle()
    after = _proc_ticks()
    p2 = _last_pid()
    busy = 100 * (t2 - t1 - (i2 - i1)) // max(t2 - t1, 1)
    use = collections.Counter()
    for pid, (ticks, comm) in after.items():
        if pid in ours:
            continue
        d = ticks - before.get(pid, (0, comm))[0]
        if d > 0:
            use[comm] += d
    top = ["%s %d%%" % (c, 100 * v // (hz * secs)) for c, v in use.most_common(3)
           if 100 * v / (hz * secs) >= 5]
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            pid_max = int(f.read())
    except OSError:
        pid_max = 4194304
    return "%d%% of %d CPUs busy, about %d processes started; top: %s" % (
        busy, os.cpu_count(), (p2 - p1) % pid_max, ", ".join(top) or "none over 5%")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def tcp_active_opens():
    try:
        with open("/proc/net/snmp") as f:
            rows = [l.split() for l in f if l.startswith("Tcp:")]
        return int(rows[1][rows[0].index("ActiveOpens")])
    except (OSError, ValueError, IndexError):
        return 0


# ---------------------------------------------------------------------------
# Statistics

def percentile(sorted_values, p):
    """Nearest rank."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return float("nan")
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


# ---------------------------------------------------------------------------
# HTTPS with keep-alive

class Conn(http.client.HTTPSConnection):
    """HTTPSConnection that counts its (re)connections: http.client reopens
    silently when the server closes, so this is what shows keep-alive held."""

    def __init__(self, port, ctx):
        super().__init__("127.0.0.1", port, timeout=60, context=ctx)
        self.connects = 0

    def connect(self):
        self.connects += 1
        super().connect()

    def call(self, method, path, body=None, token=None):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        try:
            self.request(method, path, body=data, headers=headers)
            r = self.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if r.will_close:
            self.close()
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return r.status, doc, raw


# ---------------------------------------------------------------------------
# The e-mails coffred sends, indexed as they arrive (sinks.SmtpSink.wait_for
# re-reads every message on each poll: quadratic for hundreds of users).

class Mailbox:
    def __init__(self, maildir):
        self.maildir = maildir
        self.seen = set()
        self.by_rcpt = collections.defaultdict(list)
        self.lock = threading.Lock()

    def _scan(self):
        try:
            names = sorted(n for n in os.listdir(self.maildir)
                           if n.endswith(".json") and n not in self.seen)
        except FileNotFoundError:
            return
        for name in names:
            key = name[:-5]
            with open(os.path.join(self.maildir, name)) as f:
                meta = json.load(f)
            with open(os.path.join(self.maildir, key + ".eml"), "rb") as f:
                raw = f.read()
            mail = SinkMail(key, raw, meta)
            for r in mail.rcpt_tos:
                self.by_rcpt[r.lower()].append(mail)
            self.seen.add(name)

    def count(self, address):
        with self.lock:
            self._scan()
            return len(self.by_rcpt[address.lower()])

    def wait(self, address, number, timeout=60):
        """The number-th (1-based) e-mail to address."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                self._scan()
                got = self.by_rcpt[address.lower()]
                if len(got) >= number:
                    return got[number - 1]
            if time.monotonic() > deadline:
                raise BenchError("no e-mail #%d to %s within %d s" % (number, address, timeout))
            time.sleep(0.02)


# ---------------------------------------------------------------------------
# Users

class User:
    def __init__(self, email):
        self.email = email
        self.auth_key = os.urandom(32)
        self.device_sk = Ed25519PrivateKey.generate()
        self.device_pk = self.device_sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.totp_key = None
        self.token = None
        self.user_id = None


def device_proof(user, answer):
    """The device's proof of the login (DESIGN §5.3): its signature over
    "coffre-v1 device proof\0" ‖ pending id (16 bytes) ‖ the answer's nonce."""
    nonce = base64.urlsafe_b64decode(answer["nonce"] + "=" * (-len(answer["nonce"]) % 4))
    return B64(user.device_sk.sign(b"coffre-v1 device proof\0" +
                                   bytes.fromhex(answer["pending"]) + nonce))


class CodePool:
    """Hands out (user, step) pairs: never one already used, never a user
    with a login in flight, the step still valid `margin` seconds from now,
    the one expiring soonest first."""

    def __init__(self, users, margin):
        self.users = users
        self.margin = margin
        self.lock = threading.Lock()
        self.unused = {}        # step -> deque of user indexes that have not used it
        self.busy = set()
        self.taken = 0
        self.wait_s = 0.0       # time workers spent waiting for a code

    def add_users(self, users):
        with self.lock:
            first = len(self.users)
            self.users.extend(users)
            for q in self.unused.values():
                q.extend(range(first, len(self.users)))

    def _try(self, now):
        c = int(now // STEP)
        for s in (c - 1, c, c + 1):
            if STEP * (s + 2) <= now + self.margin:   # would expire during the login
                continue
            q = self.unused.get(s)
            if q is None:
                q = self.unused[s] = collections.deque(range(len(self.users)))
            skipped = []
            found = None
            while q:
                u = q.popleft()
                if u in self.busy:
                    skipped.append(u)
                    continue
                found = u
                break
            q.extendleft(reversed(skipped))
            if found is not None:
                self.busy.add(found)
                self.taken += 1
                return found, s
        for s in [s for s in self.unused if s < c - 1]:
            del self.unused[s]
        return None

    def take(self, stop, deadline=None):
        """(user, index, step), or None once stop is set or deadline (monotonic)
        has passed while waiting for a code."""
        t0 = time.monotonic()
        while not stop.is_set():
            with self.lock:
                got = self._try(time.time())
                if got and time.monotonic() - t0 > 0.001:
                    self.wait_s += time.monotonic() - t0
            if got:
                return self.users[got[0]], got[0], got[1]
            if deadline is not None and time.monotonic() >= deadline:
                with self.lock:
                    self.wait_s += time.monotonic() - t0
                return None
            time.sleep(0.01)
        return None

    def release(self, index):
        with self.lock:
            self.busy.discard(index)

    def available_now(self):
        """Codes usable right now (with the margin)."""
        now = time.time()
        c = int(now // STEP)
        with self.lock:
            n = 0
            for s in (c - 1, c, c + 1):
                if STEP * (s + 2) <= now + self.margin:
                    continue
                q = self.unused.get(s)
                n += len(self.users) if q is None else len(q)
            return n


# ---------------------------------------------------------------------------
# The benchmark

class Bench:
    def __init__(self):
        self.rounds = env_int("BENCH_ROUNDS", 3)
        self.seconds = env_int("BENCH_SECONDS", 10)
        self.warmup = env_int("BENCH_WARMUP", 2, minimum=0)
        self.wrk_threads = env_int("BENCH_THREADS", 2)
        self.wrk_conns = env_int("BENCH_CONNECTIONS", 64)
        self.workers = env_int("BENCH_IDENTITY_WORKERS", 16)
        self.users_fixed = os.environ.get("BENCH_IDENTITY_USERS", "") != ""
        self.n_users = env_int("BENCH_IDENTITY_USERS", MIN_USERS,
                               minimum=max(CALIBRATION_LOGINS, self.workers))
        self.margin = env_int("BENCH_TOTP_MARGIN", 5)
        self.keep = os.environ.get("BENCH_KEEP", "0") == "1"
        self.extra_config = os.environ.get("BENCH_COFFRED_CONFIG", "")
        if self.extra_config and not os.access(self.extra_config, os.R_OK):
            raise BenchError("cannot read BENCH_COFFRED_CONFIG=%s" % self.extra_config)
        self.tmp = None
        self.sink = None
        self.proc = None
        self.wrk = None
        self.stop = threading.Event()
        self.threads = []
        self.pids = []
        self.notes = []

    # --- processes -------------------------------------------------------------

    def find_coffred(self):
        given = os.environ.get("BENCH_COFFRED", "")
        if given:
            self.coffred = os.path.realpath(given)
            self.build = "given binary %s" % self.coffred
        else:
            log("building the release flavour")
            r = subprocess.run([os.path.join(ROOT, "scripts", "build.sh"), "release"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
            if r.returncode != 0:
                raise BenchError("release build failed")
            self.build = r.stdout.strip().splitlines()[-1]
            self.coffred = os.path.join(ROOT, self.build, "src", "server", "coffred")
        if not os.access(self.coffred, os.X_OK):
            raise BenchError("no coffred at %s" % self.coffred)
        for tool in ("wrk",):
            if not shutil.which(tool):
                raise BenchError("%s not found (scripts/install-deps.sh bench)" % tool)

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="coffre-identity-bench.")
        self.sink = SmtpSink(directory=os.path.join(self.tmp, "smtp"))
        try:
            self.sink.start()
        except Exception as e:
            raise BenchError("SMTP sink: %s (is python3-aiosmtpd installed?)" % e)
        self.pids.append(self.sink.proc.pid)
        self.mail = Mailbox(self.sink.maildir)
        data = os.path.join(self.tmp, "data")
        r = subprocess.run([self.coffred, "init", "--data-dir", data, "--email",
                            "root@bench.example"], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise BenchError("coffred init: %s" % r.stderr.strip())
        self.root_code = r.stdout.strip().splitlines()[-1]
        conf = os.path.join(self.tmp, "bench.conf")
        with open(conf, "w") as f:
            f.write("# identity bench: all load from one address, no per-request log lines,\n"
                    "# brute-force limits out of the way, sessions idle for the whole run\n"
                    "smtp.url = %s\nsmtp.from = coffre@bench.example\n"
                    "limits.ip_rate = 0\nlog.level = warn\n"
                    "identity.attempts_delay_after = 100\nidentity.attempts_lock_after = 1000\n"
                    "identity.idle_timeout = 2h\n" % self.sink.url)
            if self.extra_config:
                with open(self.extra_config) as extra:
                    f.write(extra.read())
        self.conf_path = conf
        out = open(os.path.join(self.tmp, "coffred.stdout"), "wb")
        err = open(os.path.join(self.tmp, "coffred.stderr"), "wb")
        self.proc = subprocess.Popen([self.coffred, "run", "--data-dir", data, "--listen",
                                      "127.0.0.1:0", "--config", conf],
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        out.close()
        err.close()
        self.pids.append(self.proc.pid)
        deadline = time.monotonic() + 15
        self.port = None
        while time.monotonic() < deadline:
            with open(os.path.join(self.tmp, "coffred.stdout")) as f:
                m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            raise BenchError("coffred did not start: %s" % self.coffred_stderr())
        self.ctx = ssl.create_default_context(cafile=os.path.join(data, "tls", "ca.pem"))
        log("coffred pid %d on 127.0.0.1:%d, SMTP sink pid %d on %s" %
            (self.proc.pid, self.port, self.sink.proc.pid, self.sink.url))

    def coffred_stderr(self):
        try:
            with open(os.path.join(self.tmp, "coffred.stderr"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-3000:]
        except OSError:
            return ""

    def cleanup(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=70)
        rc_coffred = None
        if self.wrk and self.wrk.poll() is None:
            self.wrk.kill()
            self.wrk.wait()
        if self.proc:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    log("coffred (pid %d) ignored SIGTERM for 10 s; sending SIGKILL" %
                        self.proc.pid)
                    self.proc.kill()
                    self.proc.wait()
            rc_coffred = self.proc.returncode
        if self.sink:
            self.sink.stop()
        left = []
        if self.tmp:
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) == os.getpid():
                    continue
                try:
                    with open("/proc/%s/cmdline" % name, "rb") as f:
                        cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
                except OSError:
                    continue
                if self.tmp + "/" in cmd or int(name) in self.pids:
                    if not cmd.strip():
                        continue  # a zombie being reaped
                    left.append("%s %s" % (name, cmd.strip()))
        if left:
            log("error: processes left behind:\n  " + "\n  ".join(left))
        elif self.tmp:
            log("stopped coffred (exit %s) and the SMTP sink; nothing left behind" % rc_coffred)
        if rc_coffred not in (None, 0):
            log("coffred exited %s: %s" % (rc_coffred, self.coffred_stderr()))
        if self.tmp:
            if self.keep:
                log("kept %s (BENCH_KEEP=1)" % self.tmp)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
        return not left and rc_coffred in (None, 0)

    # --- setup -----------------------------------------------------------------

    def conn(self):
        return Conn(self.port, self.ctx)

    def expect(self, what, got, status):
        if got[0] != status:
            raise BenchError("%s: HTTP %d, expected %d: %s" % (what, got[0], status, got[2][:300]))
        return got[1]

    def enrol_and_login(self, c, user, code):
        """Enrols user with the invitation code and logs in with the e-mailed code."""
        self.expect("enrol " + user.email, c.call("POST", "/v1/enrol", {
            "code": code, "email": user.email, "auth_key": B64(user.auth_key),
            "sign_pk": B64(os.urandom(32)), "enc_pk": B64(os.urandom(32)),
            "bundle": B64(os.urandom(92)), "recovery_bundle": B64(os.urandom(92)),
            "recovery_auth": B64(os.urandom(32)), "pin": "246810",
            "device_pk": B64(user.device_pk), "second_factor": {"method": "email"}}), 201)
        n = self.mail.count(user.email)
        pending = self.expect("login " + user.email, c.call("POST", "/v1/auth/login", {
            "email": user.email, "auth_key": B64(user.auth_key),
            "device_pk": B64(user.device_pk)}), 200)
        if pending.get("sent") != "email":
            raise BenchError("login %s: code sent by %r, expected email" % (user.email, pending))
        otp = code_in(self.mail.wait(user.email, n + 1), "otp")
        doc = self.expect("second factor " + user.email, c.call(
            "POST", "/v1/auth/second-factor",
            {"pending": pending["pending"], "method": "email", "code": otp,
             "device_proof": device_proof(user, pending)}), 200)
        user.token = doc["token"]
        user.user_id = doc["user_id"]

    def make_user(self, i, local):
        c = getattr(local, "conn", None)
        if c is None:
            c = local.conn = self.conn()
        user = User("user%04d@bench.example" % i)
        self.expect("invite " + user.email, c.call("POST", "/v1/invitations", {
            "email": user.email, "role": "professional", "org_id": self.org},
            token=self.root.token), 201)
        code = code_in(self.mail.wait(user.email, 1), "invitation")
        self.enrol_and_login(c, user, code)
        secret = self.expect("totp/begin " + user.email,
                             c.call("POST", "/v1/me/totp/begin", token=user.token), 200)["secret"]
        user.totp_key = b32_secret(secret)
        if i == 0:
            self.totp_check = check_totp_against_oathtool(secret)
        self.expect("totp enable " + user.email, c.call(
            "POST", "/v1/me/totp", {"code": hotp(user.totp_key, int(time.time()) // STEP)},
            token=user.token), 204)
        return user

    def setup(self):
        c = self.conn()
        self.root = User("root@bench.example")
        self.enrol_and_login(c, self.root, self.root_code)
        self.org = self.expect("create org", c.call("POST", "/v1/orgs", {
            "name": "Bench", "device_approval": False}, token=self.root.token), 201)["org_id"]
        c.close()
        self.users = []
        self.next_user = 0
        self.setup_s = 0.0
        self.totp_check = "not checked"
        self.add_users(self.n_users)

    def add_users(self, n):
        log("enrolling %d users (invitation e-mail, enrolment, e-mail login, TOTP)" % n)
        t0 = time.monotonic()
        local = threading.local()
        first = self.next_user
        self.next_user += n
        ex = concurrent.futures.ThreadPoolExecutor(max_workers=6)
        try:
            futures = [ex.submit(self.make_user, i, local) for i in range(first, first + n)]
            made = [f.result() for f in futures]
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
        self.users.extend(made)
        self.setup_s += time.monotonic() - t0
        log("enrolled %d users in %.1f s" % (n, time.monotonic() - t0))
        return made

    # --- logins ----------------------------------------------------------------

    def one_login(self, c, user, step, timings=None):
        """prelogin + login + second factor; returns None or a failure reason."""
        code = hotp(user.totp_key, step)
        try:
            t0 = time.perf_counter()
            s, doc, raw = c.call("POST", "/v1/auth/prelogin", {"email": user.email})
            t1 = time.perf_counter()
            if s != 200:
                return "prelogin %d" % s
            # coffred caps the password checks running at once
            # (auth.max_concurrent_hashes) and answers 429 rate-limited past
            # it, as a real client would see: wait briefly and retry, the wait
            # counting in this login's time.
            for _ in range(200):
                s, doc, raw = c.call("POST", "/v1/auth/login", {
                    "email": user.email, "auth_key": B64(user.auth_key),
                    "device_pk": B64(user.device_pk)})
                if s != 429 or not doc or not doc.get("type", "").endswith(":rate-limited"):
                    break
                time.sleep(0.02)
            t2 = time.perf_counter()
            if s != 200 or not doc or doc.get("sent") is not None:
                return "login %d %s" % (s, raw[:120])
            s, doc, raw = c.call("POST", "/v1/auth/second-factor", {
                "pending": doc["pending"], "method": "totp", "code": code,
                "device_proof": device_proof(user, doc)})
            t3 = time.perf_counter()
            if s != 200 or not doc or not doc.get("token"):
                return "second-factor %d %s" % (s, raw[:120])
        except (OSError, http.client.HTTPException) as e:
            return "connection: %s" % e
        if timings is not None:
            timings.append((t1 - t0, t2 - t1, t3 - t2))
        return None

    def login_phase(self, seconds, label):
        """BENCH_IDENTITY_WORKERS threads doing complete logins for `seconds`."""
        latencies = []
        failures = collections.Counter()
        lock = threading.Lock()
        conns = [self.conn() for _ in range(self.workers)]
        for c in conns:
            c.connect()  # TLS handshakes before the clock starts
            c.connects = 0
        start_gate = threading.Barrier(self.workers + 1)
        state = {"deadline": None}
        wait0 = self.pool.wait_s

        steps = []
        done = [0]   # logins completed, the ones finishing after the deadline included

        def worker(c):
            mine = []
            parts = []
            late = 0
            fails = collections.Counter()
            start_gate.wait()
            while not self.stop.is_set() and time.monotonic() < state["deadline"]:
                got = self.pool.take(self.stop, state["deadline"])
                if got is None:
                    break
                user, index, step = got
                t0 = time.perf_counter()
                err = self.one_login(c, user, step, parts)
                t1 = time.perf_counter()
                self.pool.release(index)
                if err:
                    fails[err.split(" ")[0]] += 1
                    if len(self.notes) < 5:
                        self.notes.append("%s: login of %s (step %d) failed: %s" %
                                          (label, user.email, step, err))
                elif time.monotonic() <= state["deadline"]:
                    mine.append(t1 - t0)
                else:
                    late += 1   # like wrk: what ends after the deadline is not counted
            with lock:
                done[0] += len(mine) + late
                latencies.extend(mine)
                steps.extend(parts)
                failures.update(fails)

        self.threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in conns]
        for t in self.threads:
            t.start()
        cpu0, me0 = proc_cpu_ns(self.proc.pid), self_cpu_s()
        t_start = time.monotonic()
        state["deadline"] = t_start + seconds
        start_gate.wait()
        for t in self.threads:
            t.join()
        elapsed = time.monotonic() - t_start
        cpu1, me1 = proc_cpu_ns(self.proc.pid), self_cpu_s()
        self.threads = []
        connects = sum(c.connects for c in conns)
        for c in conns:
            c.close()
        n = len(latencies)
        lat = sorted(latencies)
        return {
            "n": n, "rate": n / float(seconds), "p50": percentile(lat, 50) * 1000,
            "p99": percentile(lat, 99) * 1000, "failures": sum(failures.values()),
            "kinds": dict(failures), "connects": connects,
            "server_cpu_ms": (cpu1 - cpu0) / 1e6 / max(done[0], 1),
            "client_cpu_ms": (me1 - me0) * 1000 / max(done[0], 1),
            "code_wait_s": self.pool.wait_s - wait0, "elapsed": elapsed,
            "server_cores": (cpu1 - cpu0) / 1e9 / elapsed,
            "step_p50": [percentile(sorted(t[k] for t in steps), 50) * 1000 for k in range(3)],
        }

    def calibrate(self):
        """Logins one after the other, one client: each request's wall time
        and coffred CPU, without queueing."""
        c = self.conn()
        c.connect()
        rows = []
        pid = self.proc.pid
        for _ in range(CALIBRATION_LOGINS):
            got = self.pool.take(self.stop)
            if got is None:
                raise KeyboardInterrupt
            user, index, step = got
            code = hotp(user.totp_key, step)
            r = []
            pending = None
            for path in ("/v1/auth/prelogin", "/v1/auth/login", "/v1/auth/second-factor"):
                if path == "/v1/auth/prelogin":
                    body = {"email": user.email}
                elif path == "/v1/auth/login":
                    body = {"email": user.email, "auth_key": B64(user.auth_key),
                            "device_pk": B64(user.device_pk)}
                else:
                    body = {"pending": pending["pending"], "method": "totp", "code": code,
                            "device_proof": device_proof(user, pending)}
                cpu0 = proc_cpu_ns(pid)
                t0 = time.perf_counter()
                s, doc, raw = c.call("POST", path, body)
                t1 = time.perf_counter()
                cpu1 = proc_cpu_ns(pid)
                if s != 200:
                    raise BenchError("calibration %s: HTTP %d %s" % (path, s, raw[:200]))
                if path == "/v1/auth/login":
                    pending = doc
                r.append(((t1 - t0) * 1000, (cpu1 - cpu0) / 1e6))
            self.pool.release(index)
            rows.append(r)
        c.close()
        steps = []
        for k, name in enumerate(("prelogin", "login", "second-factor")):
            walls = sorted(r[k][0] for r in rows)
            cpus = [r[k][1] for r in rows]
            steps.append((name, percentile(walls, 50), sum(cpus) / len(cpus)))
        self.calibration = steps
        # the least CPU a login took: the machine's own speed, with as little
        # of other people's load in it as we can get
        return min(sum(x[1] for x in r) for r in rows)

    def argon2_reference(self):
        """Argon2id at the parameters of the auth key's verifier (m = 19456 KiB,
        t = 2, p = 1, 32 bytes) in this process, with the libsodium coffred
        links (crypto_pwhash, through ctypes): CPU ms, median of 9."""
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
            if lib.sodium_init() < 0:
                return None
            f = lib.crypto_pwhash
            f.argtypes = [ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p,
                          ctypes.c_ulonglong, ctypes.c_char_p, ctypes.c_ulonglong,
                          ctypes.c_size_t, ctypes.c_int]
            f.restype = ctypes.c_int
            alg = lib.crypto_pwhash_alg_argon2id13()
        except (OSError, AttributeError):
            return None
        out = ctypes.create_string_buffer(32)
        times = []
        for _ in range(9):
            pw, salt = os.urandom(32), os.urandom(16)
            t0 = time.thread_time()
            if f(out, 32, pw, 32, salt, 2, 19456 * 1024, alg) != 0:
                return None
            times.append((time.thread_time() - t0) * 1000)
        return min(times), median(times)

    def size_users(self, cpu_per_login_ms):
        """Enrol more users when the fastest login rate this server could reach
        (all CPUs on logins) would use the TOTP codes up."""
        rmax = os.cpu_count() * 1000.0 / max(cpu_per_login_ms, 1.0)
        login_s = self.warmup + self.rounds * self.seconds
        need = rmax * login_s
        # codes: 3 per user at once (minus those the margin makes expire), one
        # more per user every 30 s over the span of the login phases, of which
        # the wrk phases are half.
        span = 2 * login_s
        per_user = 2.0 + span / float(STEP)
        want = int(need / per_user) + 1
        self.size_note = ("at most %.0f logins/s (%d CPUs / %.1f ms, the least coffred CPU a "
                          "login took) x %d s = %d codes; %.1f per user" %
                          (rmax, os.cpu_count(), cpu_per_login_ms, login_s, need, per_user))
        if self.users_fixed or want <= len(self.users):
            return
        self.pool.add_users(self.add_users(want - len(self.users)))

    # --- GET /v1/me with wrk ----------------------------------------------------

    def run_wrk(self, seconds):
        tokens = [u.token for u in self.users[:self.wrk_threads]]
        url = "https://127.0.0.1:%d/v1/me" % self.port
        cmd = ["wrk", "-t%d" % self.wrk_threads, "-c%d" % self.wrk_conns, "-d%ds" % seconds,
               "--latency", "-s", os.path.join(ROOT, "bench", "me.lua"), url, "--"] + tokens
        opens0 = tcp_active_opens()
        cpu0, ch0 = proc_cpu_ns(self.proc.pid), children_cpu_s()
        self.wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
        out, _ = self.wrk.communicate()
        rc = self.wrk.returncode
        self.wrk = None
        cpu1, ch1 = proc_cpu_ns(self.proc.pid), children_cpu_s()
        if rc != 0:
            raise BenchError("wrk failed (exit %d): %s" % (rc, out))
        w = parse_wrk(out)
        if w is None:
            raise BenchError("cannot read wrk's output:\n%s" % out)
        w["connects"] = tcp_active_opens() - opens0
        w["server_cpu_us"] = (cpu1 - cpu0) / 1e3 / max(w["requests"], 1)
        w["wrk_cpu_us"] = (ch1 - ch0) * 1e6 / max(w["requests"], 1)
        w["server_cores"] = (cpu1 - cpu0) / 1e9 / seconds
        return w

    # --- the whole run ----------------------------------------------------------

    def run(self):
        self.find_coffred()
        self.start()
        self.load_before = loadavg()
        log("sampling the machine's CPU use for 2 s (coffred idle)")
        self.cpu_before = cpu_sample(2, set(self.pids + [os.getpid()]))
        self.setup()
        self.pool = CodePool(list(self.users), self.margin)
        log("calibration: %d logins one after the other" % CALIBRATION_LOGINS)
        cpu_per_login = self.calibrate()
        self.size_users(cpu_per_login)
        self.argon2_ref = self.argon2_reference()
        if self.warmup:
            log("warm-up: logins and GET /v1/me, %d s each" % self.warmup)
            w = self.login_phase(self.warmup, "warm-up")
            if w["n"] == 0 or w["failures"]:
                raise BenchError("warm-up logins: %d done, %d failed (%s)" %
                                 (w["n"], w["failures"], "; ".join(self.notes)))
            w = self.run_wrk(self.warmup)
            if w["requests"] == 0 or w["non2xx"]:
                raise BenchError("warm-up GET /v1/me: %d requests, %d not 2xx" %
                                 (w["requests"], w["non2xx"]))
        self.results = {"login": [], "me": []}
        for r in range(1, self.rounds + 1):
            a = self.login_phase(self.seconds, "round %d" % r)
            self.results["login"].append(a)
            log("round %d/%d login: %.1f logins/s, p50 %.1f ms, p99 %.1f ms, %d failures, "
                "coffred CPU %.1f ms/login, waited %.1f s for codes, %d codes left now" %
                (r, self.rounds, a["rate"], a["p50"], a["p99"], a["failures"],
                 a["server_cpu_ms"], a["code_wait_s"], self.pool.available_now()))
            m = self.run_wrk(self.seconds)
            self.results["me"].append(m)
            log("round %d/%d GET /v1/me: %.0f req/s, p50 %.2f ms, p99 %.2f ms, non-2xx %d, "
                "coffred CPU %.1f us/request" % (r, self.rounds, m["rps"], m["p50"], m["p99"],
                                                 m["non2xx"], m["server_cpu_us"]))
        self.load_after = loadavg()
        self.cpu_after = cpu_sample(2, set(self.pids + [os.getpid()]))
        self.report()
        return all(a["failures"] == 0 for a in self.results["login"]) and \
            all(m["non2xx"] == 0 for m in self.results["me"])

    def report(self):
        def p(line=""):
            print(line)
        cpu = "unknown CPU"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        wrk_v = (wrk_v.stdout + wrk_v.stderr).splitlines()[0]
        wrk_v = wrk_v.replace("wrk ", "").split(" Copyright")[0]
        coffred_v = subprocess.run([self.coffred, "version"], capture_output=True,
                                   text=True).stdout.strip()
        L, M = self.results["login"], self.results["me"]
        p("coffre identity benchmark, %s" %
          datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
        p("machine    : %d CPUs (nproc), %s, Linux %s" % (os.cpu_count(), cpu, platform.release()))
        p("other load : before: %s" % self.cpu_before)
        p("             after:  %s" % self.cpu_after)
        p("             load average %s before, %s after" % (self.load_before, self.load_after))
        p("             (the load generators share these CPUs with coffred, and so does any")
        p("             other work on the machine: quote only runs with an idle 'before')")
        p("versions   : %s (%s), wrk %s, Python %s" % (coffred_v, self.build, wrk_v,
                                                      platform.python_version()))
        p("setup      : %d users with TOTP (+ superadmin), enrolled in %.0f s; TOTP %s" %
          (len(self.users), self.setup_s, self.totp_check))
        p("             codes: %s" % self.size_note)
        p("login      : prelogin + login + second-factor (TOTP), %d threads, http.client "
          "keep-alive HTTPS," % self.workers)
        p("             %d rounds of %d s, %d s warm-up; a (user, step) is never reused" %
          (self.rounds, self.seconds, self.warmup))
        p("me         : wrk -t%d -c%d -d%ds --latency -s bench/me.lua GET /v1/me, %d session "
          "token(s)" % (self.wrk_threads, self.wrk_conns, self.seconds,
                        min(self.wrk_threads, len(self.users))))
        p()
        p("one client, %d logins one after the other (no queueing), per request:" %
          CALIBRATION_LOGINS)
        p("  %-14s %10s %17s" % ("request", "wall p50", "coffred CPU mean"))
        for name, wall, cpu_ms in self.calibration:
            p("  %-14s %7.2f ms %14.2f ms" % (name, wall, cpu_ms))
        p("  %-14s %7.2f ms %14.2f ms" % ("whole login", sum(s[1] for s in self.calibration),
                                          sum(s[2] for s in self.calibration)))
        if self.argon2_ref is not None:
            p("  Argon2id alone (m=19456 KiB, t=2, p=1: the auth key's verifier), libsodium in "
              "this process: %.2f ms CPU (min %.2f)" % (self.argon2_ref[1], self.argon2_ref[0]))
        p("under load, p50 per request (median over rounds): prelogin %.2f ms, login %.2f ms, "
          "second-factor %.2f ms" % tuple(median([a["step_p50"][k] for a in L]) for k in range(3)))
        p()
        head = "%-7s %5s %12s %9s %9s %8s %7s %14s %8s %11s"
        p(head % ("target", "", "median rate", "p50", "p99", "failures", "conns",
                  "coffred CPU/op", "cores", "client/op"))
        login_row = "%-7s %5s %9.1f /s %6.1f ms %6.1f ms %8d %7d %11.2f ms %8.2f %8.2f ms"
        me_row = "%-7s %5s %9.0f /s %6.2f ms %6.2f ms %8d %7d %11.1f us %8.2f %8.1f us"
        p(login_row % (
            "login", "", median([a["rate"] for a in L]), median([a["p50"] for a in L]),
            median([a["p99"] for a in L]), sum(a["failures"] for a in L),
            sum(a["connects"] for a in L), median([a["server_cpu_ms"] for a in L]),
            median([a["server_cores"] for a in L]), median([a["client_cpu_ms"] for a in L])))
        p(me_row % (
            "me", "", median([m["rps"] for m in M]), median([m["p50"] for m in M]),
            median([m["p99"] for m in M]), sum(m["non2xx"] + m["errors"] for m in M),
            sum(m["connects"] for m in M), median([m["server_cpu_us"] for m in M]),
            median([m["server_cores"] for m in M]), median([m["wrk_cpu_us"] for m in M])))
        p()
        p("rounds (rate; p50, p99; failures; connections; coffred CPU per op and cores; "
          "client CPU per op):")
        for i, a in enumerate(L):
            p(login_row % ("login", "#%d" % (i + 1), a["rate"], a["p50"], a["p99"],
                           a["failures"], a["connects"], a["server_cpu_ms"], a["server_cores"],
                           a["client_cpu_ms"]) +
              "  %d logins, %.1f worker-s waiting for codes" % (a["n"], a["code_wait_s"]))
        for i, m in enumerate(M):
            p(me_row % ("me", "#%d" % (i + 1), m["rps"], m["p50"], m["p99"],
                        m["non2xx"] + m["errors"], m["connects"], m["server_cpu_us"],
                        m["server_cores"], m["wrk_cpu_us"]) + "  %d requests" % m["requests"])
        p()
        p("failures   : login: failed logins (must be 0); me: non-2xx + socket errors")
        p("conns      : TCP connections opened during the rounds (login: by the workers, "
          "connected before the clock starts, so 0 means keep-alive held; me: TCP "
          "ActiveOpens, system-wide: about -c per round)")
        p("CPU/op     : coffred CPU (all threads, schedstat) per login or request; cores: "
          "coffred's CPU use over the phase; client/op: the Python workers' CPU (login) or "
          "wrk's (me)")
        waited = sum(a["code_wait_s"] for a in L)
        if waited > 0.5:
            p("WARNING    : the login workers waited %.1f worker-s in all for an unused TOTP "
              "code: the login figure is capped by the users' codes, not by coffred (more "
              "BENCH_IDENTITY_USERS)" % waited)
        kinds = collections.Counter()
        for a in L:
            kinds.update(a["kinds"])
        if kinds:
            p("login failures: %s" % ", ".join("%s x%d" % kv for kv in kinds.items()))
            for n in self.notes:
                p("  " + n)
        sys.stdout.flush()


def parse_wrk(out):
    def ms(v):
        m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)?", v)
        if not m:
            return None
        n = float(m.group(1))
        return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000, "h": 3600000, None: 1}[m.group(2)]
    r = {"non2xx": 0, "errors": 0}
    for line in out.splitlines():
        f = line.split()
        if re.match(r"^\s*50%\s", line):
            r["p50"] = ms(f[1])
        elif re.match(r"^\s*99%\s", line):
            r["p99"] = ms(f[1])
        elif " requests in " in line:
            r["requests"] = int(f[0])
        elif "Socket errors:" in line:
            r["errors"] = sum(int(x.strip(",")) for x in f[3::2])
        elif "Non-2xx or 3xx" in line:
            r["non2xx"] = int(f[-1])
        elif line.startswith("Requests/sec:"):
            r["rps"] = float(f[1])
    if not all(k in r for k in ("p50", "p99", "requests", "rps")):
        return None
    return r


def main():
    def on_term(signum, frame):
        raise SystemExit(143)
    signal.signal(signal.SIGTERM, on_term)
    bench = None
    ok = False
    rc = 1
    try:
        bench = Bench()
        ok = bench.run()
        rc = 0 if ok else 4
    except BenchError as e:
        log("error: %s" % e)
        if bench and bench.proc:
            log("coffred stderr: %s" % bench.coffred_stderr())
        rc = 1
    except KeyboardInterrupt:
        log("interrupted")
        rc = 130
    finally:
        if bench and not bench.cleanup() and rc == 0:
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
