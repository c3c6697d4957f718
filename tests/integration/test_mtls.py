"""Device certificates (mTLS, docs/internals/mtls.md) against the real coffred:
the device CA made at first start, POST /v1/devices/{id}/certificate with
CSRs made by openssl, the binding of a session to its device's certificate,
tls.client_cert = required (the TLS handshake itself fails without a valid
certificate: openssl s_client and Python both), and the bootstrap listener
through which new devices enrol, log in and get their certificate."""
import hashlib
import http.client
import json
import os
import socket
import ssl
import stat
import subprocess

import pytest

from conftest import (COFFRED, Response, audit_events_since, audit_size, db_snapshot, free_port,
                      sanitizer_env)
from sinks import SmtpSink
from test_identity import B64, Person, World, init, invite, make_org, member

# --- key material made by openssl, as a device would ---------------------------------

def openssl(*args, input=None):
    r = subprocess.run(["openssl", *args], capture_output=True, input=input, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


class DeviceKey:
    """A device's private key and a CSR for it (the CSR's subject is ignored)."""

    def __init__(self, folder, name, kind="p256", cn="whatever"):
        self.key = os.path.join(str(folder), name + ".key")
        self.csr = os.path.join(str(folder), name + ".csr")
        self.cert = os.path.join(str(folder), name + ".pem")
        newkey = {"p256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
                  "ed25519": ["-newkey", "ed25519"],
                  "rsa": ["-newkey", "rsa:2048"],
                  "p384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]}[kind]
        openssl("req", "-new", *newkey, "-nodes", "-subj", "/CN=%s/O=evil corp" % cn,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "subjectAltName=DNS:evil.example",
                "-keyout", self.key, "-out", self.csr)
        os.chmod(self.key, 0o600)

    def csr_pem(self):
        with open(self.csr) as f:
            return f.read()

    def save_cert(self, pem):
        with open(self.cert, "w") as f:
            f.write(pem)


def foreign_cert(folder, cn):
    """A client certificate for cn from a CA coffred has never seen."""
    d = str(folder)
    ca_key, ca = os.path.join(d, "evil-ca.key"), os.path.join(d, "evil-ca.pem")
    if not os.path.exists(ca):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=coffre device CA 0000000000000000/O=coffre", "-days", "2",
                "-keyout", ca_key, "-out", ca)
    k = DeviceKey(folder, "foreign-" + cn, cn=cn)
    ext = os.path.join(d, "client.ext")
    with open(ext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", k.csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-days", "2", "-extfile", ext, "-out", k.cert)
    return k


def x509_text(pem):
    return openssl("x509", "-noout", "-text", "-nameopt", "RFC2253", input=pem.encode()).decode()


def der_sha256(pem):
    return hashlib.sha256(openssl("x509", "-outform", "DER", input=pem.encode())).hexdigest()


# --- HTTPS with or without a client certificate ---------------------------------------

class Client:
    """The server seen through one port and one TLS context (optionally with a
    client certificate); has the request() of conftest.Coffred, so World works
    through it."""

    def __init__(self, server, port=None, key=None, max_tls=None):
        self.s = server
        self.port = port or server.port
        self.ctx = ssl.create_default_context(cafile=server.ca)
        if key is not None:
            self.ctx.load_cert_chain(key.cert, key.key)
        if max_tls:
            self.ctx.maximum_version = max_tls

    def connection(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=self.ctx)

    def request(self, method, path, body=None, headers=None, json_body=None, conn=None):
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        c = conn or self.connection()
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            if conn is None:
                c.close()

    def call(self, method, path, body=None, token=None, conn=None):
        h = {"Authorization": "Bearer " + token} if token else {}
        return self.request(method, path, json_body=body, headers=h, conn=conn)


def refused_at_handshake(client):
    """True when the TLS connection gives no HTTP service: the handshake fails
    (TLS 1.2: in do_handshake; TLS 1.3: the client has sent its Finished when
    the server refuses, so the failure shows at the first read)."""
    sock = socket.create_connection(("127.0.0.1", client.port), timeout=10)
    try:
        tls = client.ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    except (ssl.SSLError, ConnectionError, OSError):
        sock.close()
        return True
    try:
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = tls.recv(100)
    except (ssl.SSLError, ConnectionError, OSError):
        return True
    finally:
        tls.close()
    return not data.startswith(b"HTTP/")


def answer_and_close(client, path, token):
    """One keep-alive request on a raw TLS connection: (what came back, whether
    the server closed the connection within 3 s)."""
    sock = socket.create_connection(("127.0.0.1", client.port), timeout=10)
    tls = client.ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    tls.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                 % (path, token)).encode())
    tls.settimeout(3)
    data, closed = b"", False
    try:
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except (socket.timeout, TimeoutError):
        pass
    except (ssl.SSLError, ConnectionError):
        closed = True
    tls.close()
    return data, closed


def s_client(server, *flags):
    """openssl s_client sending one request: (exit status, output)."""
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % server.port,
                        "-CAfile", server.ca, "-servername", "localhost", "-ign_eof", *flags],
                       input=b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                       capture_output=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def problem(r, status, slug=None):
    assert r.status == status, r
    if slug:
        assert r.json()["type"].endswith(":" + slug), r.json()
    return r.json().get("detail", "")


# --- fixtures ---------------------------------------------------------------------------

@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.cleanup()


BASE_CONF = ("smtp.url = %s\nsmtp.from = coffre@platform.example\nlimits.ip_rate = 0\n"
             "identity.idle_timeout = 10m\n")


def start_world(coffred_factory, tmp_path, smtp, extra="", via=None):
    """An initialised coffred with a logged-in superadmin. via(server) gives
    the client used for enrolment and login (default: the server itself)."""
    code = init(tmp_path)
    s = coffred_factory(config=BASE_CONF % smtp.url + extra, data_dir=tmp_path / "d")
    w = World(via(s) if via else s, smtp)
    w.server = s
    root = Person("root@platform.example")
    w.enrol(root, code)
    w.root_login = w.login(root)
    w.root = root
    return w


@pytest.fixture
def world(coffred_factory, tmp_path, smtp):
    return start_world(coffred_factory, tmp_path, smtp, "tls.client_cert = optional\n")


def certify(w, who, device_id, key, client=None, by=None):
    c = client or Client(w.server)
    r = c.call("POST", "/v1/devices/%s/certificate" % device_id, {"csr": key.csr_pem()},
               token=(by or who).token)
    assert r.status == 201, r
    key.save_cert(r.json()["certificate"])
    return r.json()


# --- the device CA and issuing ----------------------------------------------------------

def test_device_ca_made_at_first_start(world):
    d = os.path.join(world.server.data_dir, "tls")
    key = os.path.join(d, "device-ca.key")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    with open(os.path.join(d, "device-ca.pem")) as f:
        ca = f.read()
    with open(os.path.join(d, "ca.pem")) as f:
        server_ca = f.read()
    assert ca != server_ca
    text = x509_text(ca)
    assert "CA:TRUE" in text and "prime256v1" in text and "CN=coffre device CA " in text


def test_certificate_issued_for_own_device_and_used(world, tmp_path):
    w = world
    org = make_org(w)
    p = member(w, w.root, "pat@lac.example", "patient", org)
    me = w.call("GET", "/v1/me", who=p).json()
    dev = me["device_id"]
    key = DeviceKey(tmp_path, "pat")
    seq = audit_size(os.path.join(w.server.data_dir, "coffre.db"))
    out = certify(w, p, dev, key)
    with open(os.path.join(w.server.data_dir, "tls", "device-ca.pem")) as f:
        assert out["ca"] == f.read()
    # what was asked (CN=whatever, O=evil corp, CA:TRUE, a DNS name) is ignored
    text = x509_text(out["certificate"])
    assert "Subject: O=%s,CN=%s" % (org, dev) in text
    assert "CA:FALSE" in text and "TLS Web Client Authentication" in text
    assert "Digital Signature" in text and "evil" not in text and "DNS:" not in text
    assert "Issuer: O=coffre,CN=coffre device CA " in text
    # the fingerprint is in a new version of the device, through the audit log
    fp = der_sha256(out["certificate"])
    assert out["cert_sha256"] == fp
    con = w.server.db()
    doc, version = con.execute("SELECT doc, version FROM docs WHERE kind='device' AND id=? "
                               "ORDER BY version DESC LIMIT 1", (dev,)).fetchone()
    assert json.loads(doc)["cert_sha256"] == fp and version >= 2
    assert con.execute("SELECT COUNT(*) FROM entity_versions WHERE entity='device' AND id=? "
                       "AND version=?", (dev, version)).fetchone()[0] == 1
    con.close()
    events = audit_events_since(os.path.join(w.server.data_dir, "coffre.db"), seq)
    assert any(e["action"] == "devices.certificate" and e["outcome"] == 201 and
               e["resource"] == "/v1/devices/%s/certificate" % dev for e in events)

    # with the certificate the session works; without it, it does not any more
    mine = Client(w.server, key=key)
    assert mine.call("GET", "/v1/me", token=p.token).status == 200
    detail = problem(Client(w.server).call("GET", "/v1/me", token=p.token), 403,
                     "client-certificate")
    assert "present it" in detail
    # a stolen token is useless without the device's key: so is the certificate alone
    assert mine.call("GET", "/v1/me").status == 401


def test_certificate_of_another_device_is_refused(world, tmp_path):
    w = world
    org = make_org(w)
    a = member(w, w.root, "a@lac.example", "patient", org)
    b = member(w, w.root, "b@lac.example", "patient", org)
    ka, kb = DeviceKey(tmp_path, "a"), DeviceKey(tmp_path, "b")
    certify(w, a, w.call("GET", "/v1/me", who=a).json()["device_id"], ka)
    dev_b = w.call("GET", "/v1/me", who=b).json()["device_id"]
    certify(w, b, dev_b, kb)
    path = os.path.join(w.server.data_dir, "coffre.db")
    seq = audit_size(path)
    # a's session with b's certificate
    cb = Client(w.server, key=kb)
    r = cb.call("GET", "/v1/me", token=a.token)
    detail = problem(r, 403, "client-certificate")
    assert "certificate of another device" in detail
    assert r.header("Connection") == "close"
    # ... and the server closes the connection after the answer (a good
    # request on the same kind of connection stays open)
    head, closed = answer_and_close(cb, "/v1/me", a.token)
    assert head.startswith(b"HTTP/1.1 403") and closed
    head, closed = answer_and_close(cb, "/v1/me", b.token)
    assert head.startswith(b"HTTP/1.1 200") and not closed
    # audited like everything
    events = audit_events_since(path, seq)
    assert any(e["action"] == "me.read" and e["outcome"] == 403 for e in events), events
    # b with b's certificate is fine
    assert cb.call("GET", "/v1/me", token=b.token).status == 200
    # a patient cannot get a certificate for another patient's device
    r = Client(w.server, key=ka).call("POST", "/v1/devices/%s/certificate" % dev_b,
                                      {"csr": ka.csr_pem()}, token=a.token)
    problem(r, 403, "forbidden")


def test_admin_reissues_and_old_certificate_stops(world, tmp_path):
    w = world
    org = make_org(w)
    admin = member(w, w.root, "admin@lac.example", "admin", org)
    p = member(w, w.root, "p@lac.example", "professional", org)
    dev = w.call("GET", "/v1/me", who=p).json()["device_id"]
    old = DeviceKey(tmp_path, "old")
    certify(w, p, dev, old)
    new = DeviceKey(tmp_path, "new")
    # an admin of the organisation may issue for the device (e.g. after a lost key)
    certify(w, p, dev, new, by=admin)
    problem(Client(w.server, key=old).call("GET", "/v1/me", token=p.token), 403,
            "client-certificate")
    assert Client(w.server, key=new).call("GET", "/v1/me", token=p.token).status == 200
    # an admin of another organisation does not see the device
    org2 = make_org(w, "Autre")
    admin2 = member(w, w.root, "admin@autre.example", "admin", org2)
    r = w.call("POST", "/v1/devices/%s/certificate" % dev, {"csr": new.csr_pem()}, who=admin2)
    problem(r, 404)


@pytest.mark.parametrize("kind,word", [("rsa", "RSA"), ("p384", "P-256")])
def test_bad_key_types_are_refused(world, tmp_path, kind, word):
    w = world
    dev = w.root_login["device_id"]
    path = os.path.join(w.server.data_dir, "coffre.db")
    before = db_snapshot(path)
    k = DeviceKey(tmp_path, kind, kind=kind)
    r = w.call("POST", "/v1/devices/%s/certificate" % dev, {"csr": k.csr_pem()}, who=w.root)
    assert word in problem(r, 422, "invalid-field")
    assert db_snapshot(path) == before


def test_bad_csrs_change_nothing(world, tmp_path):
    w = world
    dev = w.root_login["device_id"]
    path = os.path.join(w.server.data_dir, "coffre.db")
    before = db_snapshot(path)
    k = DeviceKey(tmp_path, "sig")
    # a CSR whose signed content was changed after signing
    der = bytearray(openssl("req", "-in", k.csr, "-outform", "DER"))
    i = der.find(b"whatever")
    der[i + 7] ^= 1
    bad_sig = openssl("req", "-inform", "DER", "-outform", "PEM", input=bytes(der)).decode()
    cases = [(bad_sig, "self-signature"), ("not a csr", "PEM"),
             (open(os.path.join(w.server.data_dir, "tls", "device-ca.pem")).read(), "PEM")]
    for csr, word in cases:
        r = w.call("POST", "/v1/devices/%s/certificate" % dev, {"csr": csr}, who=w.root)
        assert word in problem(r, 422, "invalid-field"), r.json()
    r = w.call("POST", "/v1/devices/%s/certificate" % dev, {"csr": 5}, who=w.root)
    problem(r, 422)
    r = w.call("POST", "/v1/devices/%s/certificate" % dev, {}, who=w.root)
    problem(r, 422)
    r = w.call("POST", "/v1/devices/%s/certificate" % ("0" * 32), {"csr": k.csr_pem()}, who=w.root)
    problem(r, 404)
    assert w.call("POST", "/v1/devices/%s/certificate" % dev, {"csr": k.csr_pem()}).status == 401
    assert db_snapshot(path) == before


def test_ed25519_device_key(world, tmp_path):
    w = world
    dev = w.root_login["device_id"]
    k = DeviceKey(tmp_path, "ed", kind="ed25519")
    certify(w, w.root, dev, k)
    assert "ED25519" in x509_text(open(k.cert).read())
    assert Client(w.server, key=k).call("GET", "/v1/me", token=w.root.token).status == 200


def test_wiped_device_gets_409(world, tmp_path):
    w = world
    org = make_org(w)
    admin = member(w, w.root, "admin@lac.example", "admin", org)
    p = member(w, w.root, "p@lac.example", "patient", org)
    dev = w.call("GET", "/v1/me", who=p).json()["device_id"]
    assert w.call("POST", "/v1/devices/%s/wipe" % dev, who=admin).status == 200
    k = DeviceKey(tmp_path, "w")
    r = w.call("POST", "/v1/devices/%s/certificate" % dev, {"csr": k.csr_pem()}, who=admin)
    assert "wiped" in problem(r, 409, "conflict")


def test_optional_mode_refuses_foreign_certificates(world, tmp_path):
    w = world
    dev = w.root_login["device_id"]
    evil = foreign_cert(tmp_path, dev)  # names the right device, from the wrong CA
    c = Client(w.server, key=evil)
    for token in (None, w.root.token):
        detail = problem(c.call("GET", "/v1/me", token=token), 403, "client-certificate")
        assert "not valid" in detail or "not issued" in detail
    # without any certificate and without a certificate on record: served
    assert w.call("GET", "/v1/me", who=w.root).status == 200
    assert w.call("GET", "/healthz").status == 200


def test_certificates_work_in_off_mode_too(coffred_factory, tmp_path, smtp):
    w = start_world(coffred_factory, tmp_path, smtp)
    k = DeviceKey(tmp_path, "off")
    certify(w, w.root, w.root_login["device_id"], k)
    # off: no certificate is asked for, nothing is bound
    assert w.call("GET", "/v1/me", who=w.root).status == 200


# --- required: the handshake itself ------------------------------------------------------

def test_required_mode_fails_the_handshake(coffred_factory, tmp_path, smtp):
    w = start_world(coffred_factory, tmp_path, smtp, "tls.client_cert = optional\n")
    dev = w.root_login["device_id"]
    good = DeviceKey(tmp_path, "good")
    certify(w, w.root, dev, good)
    s = w.server
    s.stop()
    s2 = coffred_factory(config=BASE_CONF % smtp.url + "tls.client_cert = required\n",
                         data_dir=tmp_path / "d")
    evil = foreign_cert(tmp_path, dev)
    for max_tls in (ssl.TLSVersion.TLSv1_2, None):
        assert refused_at_handshake(Client(s2, max_tls=max_tls))
        assert refused_at_handshake(Client(s2, key=evil, max_tls=max_tls))
        c = Client(s2, key=good, max_tls=max_tls)
        assert not refused_at_handshake(c)
        assert c.call("GET", "/v1/me", token=w.root.token).status == 200
        assert c.call("GET", "/healthz").status == 200
    # Python: TLS 1.2 fails inside do_handshake
    sock = socket.create_connection(("127.0.0.1", s2.port), timeout=10)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        Client(s2, max_tls=ssl.TLSVersion.TLSv1_2).ctx.wrap_socket(sock,
                                                                 server_hostname="127.0.0.1")
    sock.close()
    # openssl s_client: TLS 1.2 fails (non-zero exit), TLS 1.3 gets no HTTP answer
    for flags in (["-tls1_2"], ["-tls1_3"], ["-tls1_2", "-cert", evil.cert, "-key", evil.key],
                  ["-tls1_3", "-cert", evil.cert, "-key", evil.key]):
        rc, out = s_client(s2, *flags)
        assert "HTTP/1.1" not in out, out
        if "-tls1_2" in flags:
            assert rc != 0, out
    rc, out = s_client(s2, "-tls1_3", "-cert", good.cert, "-key", good.key)
    assert "HTTP/1.1 200" in out, out


def test_required_without_bootstrap_refuses_enrolment(coffred_factory, tmp_path, smtp):
    """With required and no bootstrap listener, nothing reaches the server
    without a certificate: devices get theirs while the server is optional."""
    code = init(tmp_path)
    s = coffred_factory(config=BASE_CONF % smtp.url + "tls.client_cert = required\n",
                        data_dir=tmp_path / "d")
    assert refused_at_handshake(Client(s))
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException, OSError)):
        Client(s).call("POST", "/v1/enrol/begin", {"code": code, "email": "root@platform.example"})


# --- required with the bootstrap listener -------------------------------------------------

def test_bootstrap_listener(coffred_factory, tmp_path, smtp):
    bport = free_port()
    conf = "tls.client_cert = required\ntls.client_cert_bootstrap_listen = 127.0.0.1:%d\n" % bport
    boot = lambda s: Client(s, port=bport)
    w = start_world(coffred_factory, tmp_path, smtp, conf, via=boot)
    s = w.server
    b = boot(s)
    assert b.call("GET", "/healthz").status == 200
    # the main listener refuses a device without a certificate at the handshake
    assert refused_at_handshake(Client(s))
    # on the bootstrap listener, a session serves only to get the certificate
    detail = problem(b.call("GET", "/v1/me", token=w.root.token), 403, "client-certificate")
    assert "main listener" in detail
    dev = w.root_login["device_id"]
    k = DeviceKey(tmp_path, "root")
    certify(w, w.root, dev, k, client=b)
    main = Client(s, key=k)
    assert main.call("GET", "/v1/me", token=w.root.token).status == 200
    # from now on the device's session needs its certificate, so the bootstrap
    # listener is closed to it; renewal goes through the main listener
    detail = problem(b.call("POST", "/v1/devices/%s/certificate" % dev, {"csr": k.csr_pem()},
                            token=w.root.token), 403, "client-certificate")
    assert "main listener" in detail
    k2 = DeviceKey(tmp_path, "root2")
    certify(w, w.root, dev, k2, client=main)
    assert Client(s, key=k2).call("GET", "/v1/me", token=w.root.token).status == 200

    # a new user: invitation over the main listener (admin with certificate),
    # enrolment, login and certificate over the bootstrap listener
    wm = World(Client(s, key=k2), smtp)
    wm.root = w.root
    org = make_org(wm)
    code = invite(wm, w.root, "new@lac.example", "professional", org)
    wb = World(b, smtp)
    p = Person("new@lac.example")
    wb.enrol(p, code)
    info = wb.login(p)
    kp = DeviceKey(tmp_path, "new")
    certify(wb, p, info["device_id"], kp, client=b)
    assert Client(s, key=kp).call("GET", "/v1/me", token=p.token).status == 200
    # the new user's session with the superadmin's certificate: another device
    detail = problem(Client(s, key=k2).call("GET", "/v1/me", token=p.token), 403,
                     "client-certificate")
    assert "certificate of another device" in detail
    # the bootstrap listener serves nothing else
    problem(b.call("GET", "/v1/orgs", token=p.token), 403, "client-certificate")
    problem(b.call("GET", "/v1/audit/checkpoint"), 403, "client-certificate")


@pytest.mark.parametrize("conf,word", [
    ("tls.client_cert = sometimes\n", "tls.client_cert"),
    ("tls.client_cert = optional\ntls.client_cert_bootstrap_listen = 127.0.0.1:9\n",
     "only with tls.client_cert = required"),
    ("tls.client_cert = required\ntls.client_cert_bootstrap_listen = localhost:9\n",
     "tls.client_cert_bootstrap_listen"),
])
def test_config_is_checked(tmp_path, conf, word):
    path = tmp_path / "c.conf"
    path.write_text(conf)
    r = subprocess.run([COFFRED, "run", "--data-dir", str(tmp_path / "d"), "--listen",
                        "127.0.0.1:0", "--config", str(path)], capture_output=True, text=True,
                       timeout=60, env=sanitizer_env())
    assert r.returncode != 0 and word in r.stderr, r.stderr


def test_certificate_issued_at_enrolment(coffred_factory, tmp_path, smtp):
    """The issue's flow: the CSR goes with the enrolment and the device comes
    out of it with its certificate; its sessions then need that certificate."""
    w = start_world(coffred_factory, tmp_path, smtp, "tls.client_cert = optional\n")
    org = w.call("POST", "/v1/orgs", {"name": "Lac"}, who=w.root).json()["org_id"]
    r = w.call("POST", "/v1/invitations", {"email": "doc@lac.example", "role": "professional",
                                           "org_id": org}, who=w.root)
    assert r.status == 201
    code = w.invitation_code("doc@lac.example")
    p = Person("doc@lac.example")
    key = DeviceKey(tmp_path, "doc")
    body = {"code": code, "email": p.email, "auth_key": B64(p.auth_key),
            "sign_pk": B64(p.sign_pk), "enc_pk": B64(p.enc_pk), "bundle": B64(os.urandom(92)),
            "recovery_bundle": B64(os.urandom(92)), "recovery_auth": B64(p.recovery_auth),
            "pin": p.pin, "device_pk": B64(p.device_pk), "second_factor": {"method": "email"},
            "csr": "not a csr at all, just text\n" * 3}
    r = w.call("POST", "/v1/enrol", body)
    assert r.status == 422 and "csr" in r.json()["detail"]
    body["csr"] = key.csr_pem()
    r = w.call("POST", "/v1/enrol", body)
    assert r.status == 201, r
    ans = r.json()
    key.save_cert(ans["certificate"])
    assert "CN=%s" % ans["device_id"] in x509_text(ans["certificate"])
    assert ans["cert_sha256"] == der_sha256(ans["certificate"])
    with_cert = World(Client(w.server, key=key), w.smtp)
    with_cert.login(p)
    assert with_cert.call("GET", "/v1/me", who=p).status == 200
    r = w.call("GET", "/v1/me", who=p)  # the same session without the certificate
    assert r.status == 403
