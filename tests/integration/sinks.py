"""Local sinks for coffred's notifications, independent of pytest.

SmtpSink: a real SMTP server (aiosmtpd, Debian's python3-aiosmtpd, run with
/usr/bin/python3) on 127.0.0.1 and a free port; every message is kept with
its raw bytes and envelope (smtp_sink_handler.py).

    with SmtpSink() as smtp:
        config = "smtp.url = %s\nsmtp.from = coffre@example.org\n" % smtp.url
        ...
        msg = smtp.wait_for("alice@example.org")
        code = SmtpSink.code_in(msg)            # "123456"

SmsSink: an HTTP gateway (stdlib http.server in a thread) on 127.0.0.1 that
records each POST (JSON body, Authorization header) and answers 200, or 503
for the first `fail_first` requests, or 401 when `token` is set and the
request does not carry "Authorization: Bearer <token>".

    with SmsSink(token="t0ken") as sms:
        config = "sms.gateway_url = %s\nsms.token_file = ...\n" % sms.url
        ...
        rec = sms.wait_for("+33612345678")     # rec.json["text"], rec.authorization

Both stop in __exit__, in stop(), and at interpreter exit (atexit) for the
ones a test forgot; stop() is idempotent."""
import atexit
import email
import email.policy
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"

# Second-factor codes: 6 digits, not part of a longer number.
OTP_RE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")
# Invitation codes: base32 groups joined by '-' (like the recovery code) or a
# prefixed token (coffre_i_...). Adjust here once the format is fixed.
INVITATION_RES = (
    re.compile(r"(?<![A-Za-z0-9-])([A-Z2-7]{4}(?:-[A-Z2-7]{4}){2,})(?![A-Za-z0-9-])"),
    re.compile(r"\b(coffre_i_[A-Za-z0-9_-]{16,})"),
)

_live = weakref.WeakSet()


@atexit.register
def _stop_all():
    for sink in list(_live):
        try:
            sink.stop()
        except Exception:
            pass


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _text_of(msg):
    """Subject and body text of an e-mail (SinkMail, EmailMessage) or str."""
    if isinstance(msg, str):
        return msg
    if isinstance(msg, SinkMail):
        return (msg.subject or "") + "\n" + msg.text
    if isinstance(msg, SmsRecord):
        return (msg.json or {}).get("text", "")
    if isinstance(msg, dict):
        return msg.get("text", "")
    subject = str(msg.get("Subject", ""))
    body = msg.get_body(preferencelist=("plain",)) if hasattr(msg, "get_body") else msg
    return subject + "\n" + (body.get_content() if body is not None else "")


def code_in(msg, kind=None):
    """The code in a message: kind "otp" (6 digits), "invitation", or None
    (an invitation code if there is one, else a 6-digit code). None if absent."""
    text = _text_of(msg)
    if kind in (None, "invitation"):
        for rx in INVITATION_RES:
            m = rx.search(text)
            if m:
                return m.group(1)
        if kind == "invitation":
            return None
    m = OTP_RE.search(text)
    return m.group(1) if m else None


class SinkMail:
    """One received e-mail: raw bytes, envelope, and the parsed message
    (email.policy.default: decoded headers, get_content())."""

    def __init__(self, key, raw, meta):
        self.key = key
        self.raw = raw
        self.mail_from = meta.get("mail_from")
        self.rcpt_tos = meta.get("rcpt_tos", [])
        self.time = meta.get("time")
        self.message = email.message_from_bytes(raw, policy=email.policy.default)

    def __getitem__(self, name):
        return self.message[name]

    def get(self, name, default=None):
        return self.message.get(name, default)

    @property
    def subject(self):
        return str(self.message.get("Subject", ""))

    @property
    def to(self):
        return str(self.message.get("To", ""))

    @property
    def text(self):
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""

    def __repr__(self):
        return "SinkMail(%s, to=%r, subject=%r)" % (self.key, self.rcpt_tos, self.subject)


class SmtpSink:
    def __init__(self, directory=None, host="127.0.0.1"):
        self.host = host
        self.port = None
        self.proc = None
        self._own_dir = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="coffre-smtp-sink-")
        self.maildir = os.path.join(self.directory, "mail")
        self.log_path = os.path.join(self.directory, "aiosmtpd.log")
        self._log = None

    @property
    def url(self):
        return "smtp://%s:%d" % (self.host, self.port)

    def start(self, timeout=10):
        os.makedirs(self.maildir, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = HERE + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        last = "did not start"
        for _ in range(5):   # a free port can be taken between probe and bind
            self.port = free_port(self.host)
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "aiosmtpd", "-n", "-l", "%s:%d" % (self.host, self.port),
                 "-c", "smtp_sink_handler.RawMaildir", self.maildir],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, env=env,
                start_new_session=True)
            _live.add(self)
            if self._wait_ready(timeout):
                return self
            last = self._read_log()
            self._kill()
        raise RuntimeError("SMTP sink did not start: %s" % last)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    s.settimeout(2)
                    if s.recv(512).startswith(b"220"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def _read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-2000:]
        except OSError:
            return ""

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def stop(self):
        self._kill()
        _live.discard(self)

    def cleanup(self):
        """stop() and remove the folder if the sink made it."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def messages(self):
        """Every message received so far, in arrival order."""
        out = []
        try:
            names = sorted(n for n in os.listdir(self.maildir) if n.endswith(".json"))
        except FileNotFoundError:
            return out
        for name in names:
            key = name[:-5]
            with open(os.path.join(self.maildir, name)) as f:
                meta = json.load(f)
            with open(os.path.join(self.maildir, key + ".eml"), "rb") as f:
                raw = f.read()
            out.append(SinkMail(key, raw, meta))
        return out

    def messages_to(self, address):
        address = address.lower()
        return [m for m in self.messages()
                if address in (r.lower() for r in m.rcpt_tos) or m.to.lower() == address]

    def wait_for(self, to, timeout=10, count=1):
        """The newest message to `to` once at least `count` have arrived;
        AssertionError after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages_to(to)
            if len(found) >= count:
                return found[-1]
            if time.monotonic() >= deadline:
                raise AssertionError("no e-mail to %s within %ss (received: %r; log: %s)" %
                                     (to, timeout, self.messages(), self._read_log()))
            time.sleep(0.05)

    code_in = staticmethod(code_in)


class SmsRecord:
    def __init__(self, path, headers, body, status):
        self.path = path
        self.authorization = headers.get("Authorization")
        self.content_type = headers.get("Content-Type")
        self.headers = dict(headers.items())
        self.body = body
        self.status = status
        try:
            self.json = json.loads(body)
        except ValueError:
            self.json = None

    @property
    def to(self):
        return (self.json or {}).get("to") if isinstance(self.json, dict) else None

    @property
    def text(self):
        return (self.json or {}).get("text") if isinstance(self.json, dict) else None

    def __repr__(self):
        return "SmsRecord(%s, to=%r, status=%d)" % (self.path, self.to, self.status)


class SmsSink:
    BODY_MAX = 64 * 1024

    def __init__(self, token=None, fail_first=0, status=200, host="127.0.0.1", path="/send"):
        self.token = token
        self.fail_first = fail_first
        self.status = status
        self.host = host
        self.path = path
        self.port = None
        self._records = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    @property
    def url(self):
        return "http://%s:%d%s" % (self.host, self.port, self.path)

    def _answer(self, headers):
        """Status for the next request (lock held)."""
        if self.fail_first > 0:
            self.fail_first -= 1
            return 503
        if self.token is not None and headers.get("Authorization") != "Bearer " + self.token:
            return 401
        return self.status

    def start(self):
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length < 0 or length > SmsSink.BODY_MAX:
                    self.send_error(413)
                    return
                body = self.rfile.read(length)
                with sink._lock:
                    status = sink._answer(self.headers)
                    sink._records.append(SmsRecord(self.path, self.headers, body, status))
                    n = len(sink._records)
                answer = json.dumps({"id": n} if status < 300 else {"error": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, fmt, *args):
                pass

        self._server = http.server.ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        _live.add(self)
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
        _live.discard(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def records(self):
        """Every request received, in arrival order (failed ones included)."""
        with self._lock:
            return list(self._records)

    def delivered(self):
        return [r for r in self.records() if 200 <= r.status < 300]

    def wait_for(self, phone, timeout=10, count=1):
        """The newest delivered (2xx) SMS to phone once at least count have
        arrived; AssertionError after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.delivered() if r.to == phone]
            if len(found) >= count:
                return found[-1]
            if time.monotonic() >= deadline:
                raise AssertionError("no SMS to %s within %ss (received: %r)" %
                                     (phone, timeout, self.records()))
            time.sleep(0.05)

    code_in = staticmethod(code_in)
