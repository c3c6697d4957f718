"""The outbox (issue 7): coffred in environment = test with no smtp.url writes
each e-mail to DATA/outbox, so `coffred init -> coffre enrol -> coffre login ->
coffre me` works on one machine with no mail server; the start banner names
the folder, files are 0600 in a 0700 folder, named by time, and nothing is
sent anywhere."""
import os
import re
import stat
import subprocess
import time

from conftest import BUILD, sanitizer_env

COFFRED = os.path.join(BUILD, "src", "server", "coffred")
COFFRE = os.path.join(BUILD, "src", "cli", "coffre")
EMAIL = "admin@example.org"
NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-\d{6}-[0-9a-f]{8}\.(eml|txt)$")


def secret_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text + "\n")
    os.chmod(path, 0o600)
    return str(path)


def wait_for_mail(outbox, needle, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in sorted(os.listdir(outbox)):
            if name.endswith(".eml"):
                with open(os.path.join(outbox, name), "rb") as f:
                    raw = f.read()
                if needle in raw:
                    return name, raw
        time.sleep(0.1)
    raise AssertionError("no e-mail with %r in %s: %s" % (needle, outbox, os.listdir(outbox)))


def test_login_code_goes_to_the_outbox(coffred_factory, tmp_path):
    data = tmp_path / "d"
    r = subprocess.run([COFFRED, "init", "--data-dir", str(data), "--email", EMAIL],
                       capture_output=True, text=True, timeout=60, env=sanitizer_env())
    assert r.returncode == 0, r.stderr
    invitation = r.stdout.strip().splitlines()[-1]

    server = coffred_factory(data_dir=data)          # no --config: no smtp.url
    outbox = os.path.join(str(data), "outbox")
    banner = "".join(server.proc.stdout.readline() for _ in range(3))
    assert "outbox (test only): e-mail (no smtp.url) and SMS (no sms.gateway_url) " \
           "are written to %s/" % outbox in banner, banner
    assert stat.S_IMODE(os.stat(outbox).st_mode) == 0o700
    assert os.listdir(outbox) == []

    base = [COFFRE, "--server", server.url, "--ca", server.ca, "--profile",
            str(tmp_path / "profile")]
    pw = secret_file(tmp_path, "password", "correct horse battery staple")
    r = subprocess.run(base + ["enrol", "--email", EMAIL, "--invitation-file",
                               secret_file(tmp_path, "invitation", invitation),
                               "--password-file", pw,
                               "--pin-file", secret_file(tmp_path, "pin", "246810")],
                       capture_output=True, text=True, timeout=120, env=sanitizer_env())
    assert r.returncode == 0, r.stderr

    login = subprocess.Popen(base + ["login", "--email", EMAIL, "--password-file", pw],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=sanitizer_env())
    try:
        name, raw = wait_for_mail(outbox, b"Your coffre login code is ")
    except AssertionError:
        login.kill()
        raise AssertionError("no login e-mail; coffre said: %s" % login.communicate()[1])
    code = re.search(rb"login code is (\d{6})\.", raw).group(1).decode()
    out, err = login.communicate(code + "\n", timeout=120)
    assert login.returncode == 0, err

    r = subprocess.run(base + ["--json", "me"], capture_output=True, text=True, timeout=60,
                       env=sanitizer_env())
    assert r.returncode == 0, r.stderr
    assert EMAIL in r.stdout

    # the file: a name sorted by time, 0600, an RFC 5322 message as SMTP would carry
    names = sorted(os.listdir(outbox))
    assert names == [name], names                     # no temporary file left over
    assert NAME.match(name), name
    assert stat.S_IMODE(os.stat(os.path.join(outbox, name)).st_mode) == 0o600
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
    assert headers[b"To"] == EMAIL.encode() and headers[b"From"] == b"coffre@localhost"
    assert headers[b"Subject"] == b"Your coffre login code"
    assert headers[b"Message-ID"].endswith(b"@localhost>") and b"Date" in headers
    assert code.encode() in body and body.endswith(b"\r\n")

    # nothing left the machine: the mail thread wrote a file and tried no server
    server.stop()
    log = server.read_stderr()
    assert "e-mail (outbox) sent" in log
    assert "delivery failed" not in log and EMAIL not in log
