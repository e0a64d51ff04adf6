"""Keys and tokens for the signed-identity tests: RSA and EC key pairs, PEM and JWKS files, raw JWTs."""

import base64
import hashlib
import hmac
import json
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def rsa_key(bits=2048):
    """Return a new RSA private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key(curve=None):
    """Return a new EC private key, on P-256 unless told another curve."""
    return ec.generate_private_key(curve or ec.SECP256R1())


def private_pem(key):
    """Return ``key`` as an unencrypted PKCS#8 PEM string, as a site's issuer holds it."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key):
    """Return the public half of ``key`` as PEM bytes, as the chat server is given it."""
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_public_pem(path, key):
    """Write the public half of ``key`` to ``path``; return the path as a string."""
    path.write_bytes(public_pem(key))
    return str(path)


def jwk(key, kid):
    """Return the public half of ``key`` as a JWK dict with ``kid``."""
    public = key.public_key()
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(public, rsa.RSAPublicKey) else jwt.algorithms.ECAlgorithm
    return {**algorithm.to_jwk(public, as_dict=True), "kid": kid, "use": "sig"}


def write_jwks(path, entries):
    """Write a JWKS file of ``entries`` (JWK dicts) to ``path``; return the path as a string."""
    path.write_text(json.dumps({"keys": entries}))
    return str(path)


def claims(**changes):
    """Return a valid token's claims, valid an hour (the parameters are built at collection, a slow run must not outlast them); a change set to None removes that claim."""
    now = int(time.time())
    values = {"sub": "user-42", "name": "Alice", "iat": now, "exp": now + 3600, **changes}
    return {claim: value for claim, value in values.items() if value is not None}


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload):
    """Return a token with ``alg: none`` and no signature, which must never be accepted."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}."


def hs256_with(secret_bytes, payload, **header):
    """Return an HS256 token signed with raw ``secret_bytes``, as PyJWT refuses to for a PEM key.

    That is the algorithm-confusion attack: an HS256 token whose HMAC key is the server's public key.
    """
    signing_input = (
        f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', **header}).encode())}.{_b64(json.dumps(payload).encode())}"
    )
    signature = hmac.new(secret_bytes, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
