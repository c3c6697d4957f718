#!/usr/bin/python3
"""Independent computation of the coffre-v1 identity known-answer vectors
used by test_identity_crypto.c (docs/api/identity.md, "Client-side key
derivation"). Uses only Debian packages: python3-argon2 (Argon2id),
hashlib/hmac (HKDF-SHA256, RFC 5869), base64 (RFC 4648 base32) and
python3-cryptography (AES-256-GCM, Ed25519, X25519). The Argon2id value with
the ASCII salt is also checked with the argon2 command (package argon2):
  printf %s 'correct horse battery staple' | \
    argon2 'coffre-kat-salt!' -id -t 2 -k 19456 -p 1 -l 32 -r
Run: /usr/bin/python3 tests/unit/client/identity_kat.py"""
import base64
import hashlib
import hmac

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def hkdf_rfc(ikm, info, length=32):
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def raw(pk):
    return pk.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def password(pw, salt, t, m):
    master = hash_secret_raw(pw, salt, t, m, 1, 32, Type.ID)
    return master, hkdf_rfc(master, b"coffre-v1 auth"), hkdf_rfc(master, b"coffre-v1 kek")


def recovery_text(code):
    s = base64.b32encode(code).decode()
    return "-".join(s[i:i + 4] for i in range(0, 32, 4))


def main():
    pw = b"correct horse battery staple"
    for name, salt, t, m in (("PW1", bytes(range(16)), 2, 19456),
                             ("PW2", b"coffre-kat-salt!", 2, 19456),
                             ("PW3", bytes(range(0xf0, 0x100)), 3, 20480)):
        master, auth, kek = password(pw, salt, t, m)
        print(name, "salt", salt.hex(), "t", t, "m", m)
        print("  master ", master.hex())
        print("  auth   ", auth.hex())
        print("  kek    ", kek.hex())

    for name, code in (("RC1", bytes(range(20))), ("RC0", bytes(20)),
                       ("RCF", b"\xff" * 20),
                       ("RC2", bytes.fromhex("8f3a0c55e1d2b4a6978899aabbccddeeff102132"))):
        print(name, "code", code.hex())
        print("  text   ", recovery_text(code))
        print("  rauth  ", hkdf_rfc(code, b"coffre-v1 recovery auth").hex())
        print("  rkek   ", hkdf_rfc(code, b"coffre-v1 recovery kek").hex())

    seed = bytes(range(0x20, 0x40))
    enc_sk = bytes(range(0x40, 0x60))
    user_id = bytes(range(0x60, 0x70))
    nonce = bytes(range(0x70, 0x7c))
    _, _, kek = password(pw, bytes(range(16)), 2, 19456)
    aad = b"coffre-v1 bundle\0" + user_id
    sealed = nonce + AESGCM(kek).encrypt(nonce, seed + enc_sk, aad)
    print("BUNDLE user_id", user_id.hex(), "nonce", nonce.hex(), "key = PW1 kek")
    print("  aad    ", aad.hex())
    print("  sealed ", sealed.hex())
    print("  sign_pk", raw(ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key()).hex())
    print("  enc_pk ", raw(x25519.X25519PrivateKey.from_private_bytes(enc_sk).public_key()).hex())


if __name__ == "__main__":
    main()
