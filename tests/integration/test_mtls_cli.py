"""Device certificates end to end through the real `coffre` CLI against the
real coffred (docs/internals/mtls.md, docs/internals/client-identity.md
"Device certificate"): the TLS key made by libcoffre with GnuTLS, the CSR
sent at enrolment (`coffre enrol --device-cert`) or later (`coffre device
certificate`), the pair kept in the profile and presented with every request;
a session used without its device's certificate, or with another device's,
is refused (403, exit 1); under tls.client_cert = required a profile without
a certificate does not get past the TLS handshake (exit 3), and new devices
come in through the bootstrap listener."""
import json
import os
import shutil
import stat
import subprocess
import types

from conftest import free_port
from test_identity import init
from test_identity_cli import PASSWORD, PIN, Cli, email_login, secret_file, smtp  # noqa: F401
from test_mtls import BASE_CONF, der_sha256, openssl, x509_text

ROOT = "root@platform.example"
DOC = "doc@lac.example"
PAIR = ["device-tls.key", "device-tls.pem"]


def endpoint(server, port):
    """What Cli needs of a server (url, ca) for another of its listeners."""
    return types.SimpleNamespace(url="https://127.0.0.1:%d" % port, ca=server.ca)


def start(coffred_factory, tmp_path, smtp, extra):
    return coffred_factory(config=BASE_CONF % smtp.url + extra, data_dir=tmp_path / "d")


class Device(Cli):
    """A profile seen through one listener; `via` gives the same profile
    through another listener."""

    def via(self, server):
        return Device(server, self.profile)

    def enrol(self, tmp_path, email, code, *extra):
        inv = secret_file(tmp_path, "inv-" + email, code)
        return self.ok("enrol", "--email", email, "--invitation-file", inv, "--password-file",
                       secret_file(tmp_path, "pw", PASSWORD), "--pin-file",
                       secret_file(tmp_path, "pin", PIN), *extra)

    def login(self, tmp_path, smtp, email):
        rc, out, err = email_login(self, smtp, email, secret_file(tmp_path, "pw", PASSWORD))
        assert rc == 0, err
        return json.loads(out)

    def path(self, name):
        return os.path.join(self.profile, name)

    def pem(self):
        with open(self.path("device-tls.pem")) as f:
            return f.read()


def profile_with(tmp_path, name, server, files):
    """A new profile (0700) holding copies of files {name: source path}."""
    d = tmp_path / name
    d.mkdir(mode=0o700)
    for dst, src in files.items():
        shutil.copyfile(src, str(d / dst))
        os.chmod(str(d / dst), 0o600)
    return Device(server, d)


def check_pair(dev, server, device_id, sha):
    """The profile's pair: 0600, a P-256 key, the certificate of device_id
    from coffred's device CA, with the announced fingerprint."""
    assert [f for f in dev.files() if f.startswith("device-tls")] == PAIR
    for name in PAIR:
        assert stat.S_IMODE(os.stat(dev.path(name)).st_mode) == 0o600
    with open(dev.path("device-tls.key")) as f:
        assert f.read().startswith("-----BEGIN PRIVATE KEY-----")
    key_text = openssl("pkey", "-in", dev.path("device-tls.key"), "-noout", "-text").decode()
    assert "prime256v1" in key_text or "P-256" in key_text
    pem = dev.pem()
    assert "CN=%s" % device_id in x509_text(pem)
    assert der_sha256(pem) == sha
    ca = os.path.join(server.data_dir, "tls", "device-ca.pem")
    assert b": OK" in openssl("verify", "-CAfile", ca, dev.path("device-tls.pem"))
    # the certificate is for the profile's key
    pub = openssl("pkey", "-in", dev.path("device-tls.key"), "-pubout")
    assert openssl("x509", "-noout", "-pubkey", input=pem.encode()) == pub


def invite(root, smtp, email, org):
    root.ok("admin", "invite", "--email", email, "--role", "professional", "--org", org)
    return smtp.code_in(smtp.wait_for(email), "invitation")


def refused(r, word):
    """A request the server answered 403 client-certificate: exit 1, the
    server's reason on one line."""
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "403" in r.stderr and word in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_optional_then_required(coffred_factory, tmp_path, smtp):
    code = init(tmp_path)
    s = start(coffred_factory, tmp_path, smtp, "tls.client_cert = optional\n")

    # --- enrolment with the CSR; the certificate comes back and is kept
    root = Device(s, tmp_path / "root")
    enrolled = root.enrol(tmp_path, ROOT, code, "--device-cert")
    assert len(enrolled["cert_sha256"]) == 64
    assert root.files() == ["device-tls.key", "device-tls.pem", "device.key"]
    check_pair(root, s, enrolled["device_id"], enrolled["cert_sha256"])
    login = root.login(tmp_path, smtp, ROOT)
    assert login["device_id"] == enrolled["device_id"]
    assert root.ok("me")["device_id"] == enrolled["device_id"]

    # --- the session alone (copied into a profile without the certificate)
    thief = profile_with(tmp_path, "thief", s, {"session": root.path("session")})
    refused(thief.run("me"), "present it")

    # --- a second user, enrolled without a certificate: unchanged behaviour,
    # then `coffre device certificate` once logged in
    org = root.ok("admin", "orgs", "create", "--name", "Clinique du Lac")["org_id"]
    doc = Device(s, tmp_path / "doc")
    doc_enrolled = doc.enrol(tmp_path, DOC, invite(root, smtp, DOC, org))
    assert "cert_sha256" not in doc_enrolled
    assert doc.files() == ["device.key"]
    doc.login(tmp_path, smtp, DOC)
    assert doc.ok("me")["email"] == DOC
    issued = doc.ok("device", "certificate")
    assert issued["status"] == "issued" and issued["renewed"] is False
    assert issued["device_id"] == doc_enrolled["device_id"]
    check_pair(doc, s, doc_enrolled["device_id"], issued["cert_sha256"])
    assert doc.ok("me")["email"] == DOC
    # doc's session is now bound too
    refused(profile_with(tmp_path, "thief2", s, {"session": doc.path("session")}).run("me"),
            "present it")

    # --- root's session with doc's certificate: another device's
    mixed = profile_with(tmp_path, "mixed", s, {"session": root.path("session"),
                                                "device-tls.key": doc.path("device-tls.key"),
                                                "device-tls.pem": doc.path("device-tls.pem")})
    refused(mixed.run("me"), "certificate of another device")

    # --- renewal: a new key and certificate; the old pair stops at once
    old = profile_with(tmp_path, "old", s, {"session": root.path("session"),
                                            "device-tls.key": root.path("device-tls.key"),
                                            "device-tls.pem": root.path("device-tls.pem")})
    assert old.ok("me")["email"] == ROOT
    renewed = root.ok("device", "certificate")
    assert renewed["status"] == "renewed" and renewed["cert_sha256"] != enrolled["cert_sha256"]
    check_pair(root, s, enrolled["device_id"], renewed["cert_sha256"])
    assert root.ok("me")["email"] == ROOT
    refused(old.run("me"), "403")
    text = root.run("device", "certificate", json_out=False)
    assert text.returncode == 0 and "renewed" in text.stdout and "SHA-256" in text.stdout

    # --- a key readable by others is refused before anything is sent
    os.chmod(old.path("device-tls.key"), 0o644)
    r = old.run("me")
    assert r.returncode == 1 and "device certificate" in r.stderr, r.stderr
    # a profile that does not exist stays so: no certificate, nothing created
    none = Device(s, tmp_path / "nothing-here")
    r = none.run("status")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(none.profile)

    # --- the same data under required: certificates bind at the handshake
    s.stop()
    s2 = start(coffred_factory, tmp_path, smtp, "tls.client_cert = required\n")
    root2 = root.via(s2)
    root2.login(tmp_path, smtp, ROOT)      # a new URL (port): a new session
    assert root2.ok("me")["email"] == ROOT
    doc.via(s2).login(tmp_path, smtp, DOC)
    # another device's certificate passes the handshake (same CA), not the request
    mixed2 = profile_with(tmp_path, "mixed2", s2, {"session": root2.path("session"),
                                                   "device-tls.key": doc.path("device-tls.key"),
                                                   "device-tls.pem": doc.path("device-tls.pem")})
    refused(mixed2.run("me"), "certificate of another device")
    # no certificate: the server hangs up after the handshake, exit 3
    thief3 = profile_with(tmp_path, "thief3", s2, {"session": root2.path("session")})
    for args in (("me",), ("status",)):
        r = thief3.run(*args)
        assert r.returncode == 3, (args, r.returncode, r.stderr)
        assert "asked for a TLS client certificate" in r.stderr, r.stderr
        assert "no device certificate" in r.stderr, r.stderr
    # the superseded certificate passes the handshake, not the request
    old2 = profile_with(tmp_path, "old2", s2, {"session": root2.path("session"),
                                               "device-tls.key": old.path("device-tls.key"),
                                               "device-tls.pem": old.path("device-tls.pem")})
    refused(old2.run("me"), "403")


def test_required_with_bootstrap_listener(coffred_factory, tmp_path, smtp):
    code = init(tmp_path)
    bport = free_port()
    s = start(coffred_factory, tmp_path, smtp,
              "tls.client_cert = required\ntls.client_cert_bootstrap_listen = 127.0.0.1:%d\n"
              % bport)
    boot = endpoint(s, bport)

    # --- enrolment with the CSR through the bootstrap listener, then
    # everything on the main listener with the certificate
    root_b = Device(boot, tmp_path / "root")
    assert root_b.ok("status")["status"] == "ok"
    enrolled = root_b.enrol(tmp_path, ROOT, code, "--device-cert")
    check_pair(root_b, s, enrolled["device_id"], enrolled["cert_sha256"])
    root = root_b.via(s)
    root.login(tmp_path, smtp, ROOT)
    assert root.ok("me")["device_id"] == enrolled["device_id"]
    assert root.ok("status")["status"] == "ok"

    # --- without a certificate the main listener is closed (exit 3)
    r = Device(s, tmp_path / "fresh").run("status")
    assert r.returncode == 3 and "no device certificate" in r.stderr, r.stderr
    thief = profile_with(tmp_path, "thief", s, {"session": root.path("session")})
    r = thief.run("me")
    assert r.returncode == 3 and "asked for a TLS client certificate" in r.stderr, r.stderr

    # --- a new device without --device-cert: login and certificate through
    # the bootstrap listener, then a session on the main one
    org = root.ok("admin", "orgs", "create", "--name", "Clinique du Lac")["org_id"]
    doc_b = Device(boot, tmp_path / "doc")
    doc_enrolled = doc_b.enrol(tmp_path, DOC, invite(root, smtp, DOC, org))
    assert doc_b.files() == ["device.key"]
    doc_b.login(tmp_path, smtp, DOC)
    refused(doc_b.run("me"), "main listener")
    issued = doc_b.ok("device", "certificate")
    assert issued["status"] == "issued"
    check_pair(doc_b, s, doc_enrolled["device_id"], issued["cert_sha256"])
    doc = doc_b.via(s)
    doc.login(tmp_path, smtp, DOC)
    assert doc.ok("me")["email"] == DOC
    # renewal happens on the main listener, presenting the current certificate
    renewed = doc.ok("device", "certificate")
    assert renewed["status"] == "renewed" and renewed["cert_sha256"] != issued["cert_sha256"]
    assert doc.ok("me")["email"] == DOC

    # --- root's session with doc's certificate: another device's
    mixed = profile_with(tmp_path, "mixed", s, {"session": root.path("session"),
                                                "device-tls.key": doc.path("device-tls.key"),
                                                "device-tls.pem": doc.path("device-tls.pem")})
    refused(mixed.run("me"), "certificate of another device")


def test_certificate_options_and_usage(coffred_factory, tmp_path, smtp):
    """Usage errors, and a session command without a session."""
    init(tmp_path)
    s = start(coffred_factory, tmp_path, smtp, "tls.client_cert = optional\n")
    cli = Device(s, tmp_path / "p")
    r = cli.run("device")
    assert r.returncode == 2 and "subcommand" in r.stderr
    r = cli.run("device", "renew")
    assert r.returncode == 2 and "unknown subcommand" in r.stderr
    r = cli.run("device", "certificate")
    assert r.returncode == 6 and "coffre login" in r.stderr, r.stderr
    assert "device-tls" not in " ".join(cli.files())
    r = cli.run("device", "--help", json_out=False)
    assert r.returncode == 0 and "bootstrap listener" in r.stdout
    r = subprocess.run(cli.args("help", "device", json_out=False), capture_output=True, text=True)
    assert r.returncode == 0 and "certificate" in r.stdout


def test_wiped_device_forgets_its_certificate(coffred_factory, tmp_path, smtp):
    """A device-wiped answer deletes the TLS pair with the device key: the
    next device made in the profile must not present the wiped one's."""
    code = init(tmp_path)
    s = start(coffred_factory, tmp_path, smtp, "tls.client_cert = optional\n")
    root = Device(s, tmp_path / "root")
    root.enrol(tmp_path, ROOT, code, "--device-cert")
    root.login(tmp_path, smtp, ROOT)
    org = root.ok("admin", "orgs", "create", "--name", "Clinique du Lac")["org_id"]
    doc = Device(s, tmp_path / "doc")
    first = doc.enrol(tmp_path, DOC, invite(root, smtp, DOC, org), "--device-cert")
    doc.login(tmp_path, smtp, DOC)
    assert doc.ok("me")["device_id"] == first["device_id"]
    root.ok("admin", "devices", "wipe", first["device_id"])
    r = doc.run("me")
    assert r.returncode == 7, (r.returncode, r.stderr)
    assert not [f for f in doc.files() if f.startswith("device")], doc.files()
    again = doc.login(tmp_path, smtp, DOC)          # a new device, no certificate
    assert again["device_id"] != first["device_id"]
    assert doc.ok("me")["email"] == DOC
