"""The notification sinks (sinks.py) work, and coffred's notifier (C, libcurl)
delivers to them: the notify-live test program is run against real sinks and
what they received is checked byte by byte."""
import email.utils
import json
import os
import re
import smtplib
import socket
import subprocess
import urllib.error
import urllib.request
from email.message import EmailMessage

import pytest

from conftest import BUILD, sanitizer_env
from sinks import SmsSink, SmtpSink, code_in

LIVE = os.path.join(BUILD, "tests", "unit", "server", "test_server_notify_live")


def send_smtplib(port, to, subject, body, sender="test@example.org"):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.send_message(msg)


def post(url, payload, token=None):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_smtp_sink_receives_and_parses():
    with SmtpSink() as smtp:
        send_smtplib(smtp.port, "alice@example.org", "Your coffre code",
                     "Your login code is 123456.\n")
        send_smtplib(smtp.port, "bob@example.org", "Invitation \u00e0 coffre",
                     "Votre code d'invitation : ABCD-EFGH-IJKL-MNOP\n")
        m = smtp.wait_for("alice@example.org")
        assert m.subject == "Your coffre code"
        assert m.rcpt_tos == ["alice@example.org"] and m.mail_from == "test@example.org"
        assert code_in(m) == "123456" and SmtpSink.code_in(m, "otp") == "123456"
        assert code_in(m, "invitation") is None
        b = smtp.wait_for("bob@example.org")
        assert b.subject == "Invitation \u00e0 coffre"
        assert code_in(b) == "ABCD-EFGH-IJKL-MNOP"
        assert len(smtp.messages()) == 2
        # the raw bytes are kept as received
        assert b"\r\n\r\n" in m.raw


def test_smtp_sink_wait_for_gives_the_newest():
    with SmtpSink() as smtp:
        send_smtplib(smtp.port, "alice@example.org", "first", "code 111111\n")
        send_smtplib(smtp.port, "Alice@Example.org", "second", "code 222222\n")
        m = smtp.wait_for("alice@example.org", count=2)
        assert m.subject == "second" and code_in(m) == "222222"
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send_smtplib(smtp.port, "reject@example.org", "refused", "x\n")
        with pytest.raises(AssertionError, match="no e-mail to nobody@example.org"):
            smtp.wait_for("nobody@example.org", timeout=0.3)


def test_smtp_sink_is_stopped():
    smtp = SmtpSink().start()
    port, proc = smtp.port, smtp.proc
    smtp.stop()
    assert proc.poll() is not None
    smtp.stop()   # idempotent
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    smtp.cleanup()
    assert not os.path.exists(smtp.directory)
    # and after an exception inside the with block
    with pytest.raises(RuntimeError):
        with SmtpSink() as smtp2:
            proc2 = smtp2.proc
            raise RuntimeError("test failure")
    assert proc2.poll() is not None


def test_sms_sink_records_posts():
    with SmsSink(token="t0ken", fail_first=1) as sms:
        assert post(sms.url, {"to": "+33612345678", "text": "code 123456"}, "t0ken") == 503
        assert post(sms.url, {"to": "+33612345678", "text": "code 123456"}, "wrong") == 401
        assert post(sms.url, {"to": "+33612345678", "text": "code 654321"}, "t0ken") == 200
        rec = sms.wait_for("+33612345678")
        assert rec.authorization == "Bearer t0ken"
        assert rec.content_type == "application/json"
        assert rec.json == {"to": "+33612345678", "text": "code 654321"}
        assert code_in(rec) == "654321" and SmsSink.code_in(rec) == "654321"
        assert [r.status for r in sms.records()] == [503, 401, 200]
        with pytest.raises(AssertionError):
            sms.wait_for("+33700000000", timeout=0.2)
    # stopped: the port is closed
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", sms.port), timeout=1).close()


def crlf_only(raw):
    return raw.count(b"\n") == raw.count(b"\r\n") and raw.count(b"\r") == raw.count(b"\r\n")


@pytest.mark.skipif(not os.path.exists(LIVE), reason="notify-live test program not built in "
                    + BUILD)
def test_c_notifier_delivers_to_the_sinks():
    """coffred's notifier (libcurl SMTP and HTTP) against the real sinks."""
    with SmtpSink() as smtp, SmsSink(token="live-token-abc", fail_first=1) as sms:
        env = sanitizer_env()
        env.update(COFFRE_NOTIFY_SMTP_PORT=str(smtp.port), COFFRE_NOTIFY_SMS_PORT=str(sms.port),
                   COFFRE_NOTIFY_SMS_TOKEN="live-token-abc", COFFRE_NOTIFY_SMS_RETRIES="1",
                   CMOCKA_MESSAGE_OUTPUT="stdout")
        r = subprocess.run([LIVE], env=env, capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out
        assert "SKIPPED" not in out and "PASSED  ] 4 test(s)" in out, out
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert marker not in out, out
        # the log lines name no address, number or code
        for secret in ("alice", "bob@", "carol", "123456", "654321", "+336", "[email]", "[phone]",
                       "live-token"):
            assert secret not in r.stderr, r.stderr

        # e-mail 1: headers, CRLF, dot-stuffing undone by the server, the code
        a = smtp.wait_for("alice@example.org")
        assert a.mail_from == "coffre@notify.example.org"
        assert a.rcpt_tos == ["alice@example.org"]
        assert crlf_only(a.raw), a.raw
        head, _, body = a.raw.partition(b"\r\n\r\n")
        names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if not line.startswith(b" ")]
        assert names == [b"Date", b"From", b"To", b"Subject", b"Message-ID", b"MIME-Version",
                         b"Content-Type", b"Content-Transfer-Encoding", b"Auto-Submitted"]
        assert a["From"] == "coffre@notify.example.org" and a["To"] == "alice@example.org"
        assert a.subject == "Your coffre login code"
        assert re.fullmatch(r"<[0-9a-f]{32}@notify\.example\.org>", a["Message-ID"])
        assert email.utils.parsedate_to_datetime(a["Date"]).utcoffset().total_seconds() == 0
        assert b"\r\nContent-Type: text/plain; charset=utf-8\r\n" in head + b"\r\n"
        assert a.message.get_content_charset() == "utf-8"
        assert a["Content-Transfer-Encoding"] == "8bit"
        assert body == (b"Hello,\r\n\r\nYour login code is 123456.\r\n"
                        b".a line that starts with a dot\r\n..and one with two\r\n.\r\n"
                        b"It expires in 10 minutes.\r\n")
        assert code_in(a) == "123456"

        # e-mail 2: RFC 2047 subject, 8-bit UTF-8 body, the invitation code
        b = smtp.wait_for("bob@example.org")
        assert crlf_only(b.raw)
        assert b"=?utf-8?B?" in b.raw
        assert b.subject == "Invitation \u00e0 coffre \u2014 bienvenue"
        assert "L'\u00e9quipe coffre" in b.text
        assert code_in(b) == "ABCD-EFGH-IJKL-MNOP"
        assert b["Message-ID"] != a["Message-ID"]

        # starttls = required against a server without STARTTLS: nothing sent;
        # a refused recipient: dropped without retry (the C side checks)
        assert smtp.messages_to("carol@example.org") == []
        assert smtp.messages_to("reject-me@example.org") == []
        assert "SMTP 550" in r.stderr and "permanent" in r.stderr
        assert len(smtp.messages()) == 2

        # SMS: first answer 503, retried, then delivered with the token
        rec = sms.wait_for("+33612345678")
        assert rec.json == {"to": "+33612345678", "text": "coffre: your code is 654321"}
        assert rec.authorization == "Bearer live-token-abc"
        assert rec.content_type == "application/json"
        assert rec.path == "/send"
        assert rec.headers.get("User-Agent", "").startswith("coffred/")
        assert [r.status for r in sms.records()] == [503, 200]
        assert code_in(rec) == "654321"
