#!/usr/bin/python3
"""Writes a key pair in cosign's format, independently of multiarch's code, for SigningKeyTest.

    /usr/bin/python3 make-cosign-key.py PASSWORD OUT_PREFIX

OUT_PREFIX.key: PEM "ENCRYPTED SIGSTORE PRIVATE KEY" whose body is go-securesystemslib's encrypted JSON:
scrypt (Python's hashlib, i.e. OpenSSL; N=32768 r=8 p=1, cosign's legacy parameters, the cheapest it accepts) over a
32-byte random salt, then NaCl secretbox (libsodium through PyNaCl: XSalsa20-Poly1305, tag first, 24-byte nonce) of
the PKCS#8 DER of an ECDSA P-256 key made by openssl. OUT_PREFIX.pub: the public key (PEM PUBLIC KEY).

Needs openssl and Debian's python3-nacl. test-cosign.key/.pub in this folder were made with it, password
"multiarch-test-password"; they are test fixtures, never used to sign anything real.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys

import nacl.secret

password, prefix = sys.argv[1], sys.argv[2]
pem = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                     check=True, capture_output=True).stdout
der = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-outform", "DER"], input=pem,
                     check=True, capture_output=True).stdout
pub = subprocess.run(["openssl", "pkey", "-pubout"], input=pem, check=True, capture_output=True).stdout

salt = os.urandom(32)
n, r, p = 32768, 8, 1
key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=64 * 1024 * 1024)
nonce = os.urandom(24)
sealed = nacl.secret.SecretBox(key).encrypt(der, nonce).ciphertext  # tag (16 bytes) || ciphertext
body = json.dumps({
    "kdf": {"name": "scrypt", "params": {"N": n, "r": r, "p": p}, "salt": base64.b64encode(salt).decode()},
    "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
    "ciphertext": base64.b64encode(sealed).decode(),
}, separators=(",", ":")).encode()
b64 = base64.b64encode(body).decode()
lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
with open(prefix + ".key", "w") as f:
    f.write("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
with open(prefix + ".pub", "wb") as f:
    f.write(pub)
