"""Signed identities: JWTs that carry a person's id, display name and roles, until they expire.

A site that has its own login issues a JWT for the logged-in user and hands it to its page,
which connects with ``auth: {"token": ...}``. The server then takes identity and name from
the token alone. Tokens are checked with PyJWT, one algorithm per key, never chosen by the
token: HS256 with a shared secret (``JWT_SECRET``, by default the app's ``SECRET_KEY``), or
RS256 / ES256 with a public key from a PEM file (``JWT_PUBLIC_KEY_FILE``) or from a JWKS file
(``JWT_JWKS_FILE``), where the token's ``kid`` picks the key.
"""

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .model import ChatError
from .names import display_name
from .text import plain

ADMIN_ROLE = "admin"
# The shortest RSA key accepted: 2048 bits, the floor NIST and every JWT library recommend.
MIN_RSA_BITS = 2048
SUB_MAX = 64  # a person's id, as the presence keeps it


@dataclass(frozen=True)
class Identity:
    """Who a verified token says its bearer is, and until when (a Unix time, in seconds).

    ``admin`` comes from the token's ``roles`` claim: a server administrator, who may
    moderate every room (chat/handlers/moderation.py).
    """

    id: str
    name: str
    admin: bool
    expires_at: float


def issue_token(secret_key, user_id, name, lifetime=3600, audience=None, issuer=None, roles=()):
    """Return an HS256 JWT for ``user_id`` named ``name``, signed with ``secret_key``, valid ``lifetime`` seconds.

    It carries ``roles`` only when given: the demo route never gives any, only the
    ``flask issue-token`` command (chat/cli.py) does.
    """
    if not isinstance(user_id, str) or not 0 < len(user_id) <= SUB_MAX:
        raise ValueError(f"user_id must be a string of 1 to {SUB_MAX} characters")
    now = int(time.time())
    claims = {"sub": user_id, "name": display_name(name), "iat": now, "exp": now + lifetime}
    if audience is not None:
        claims["aud"] = audience
    if issuer is not None:
        claims["iss"] = issuer
    if roles:
        claims["roles"] = list(roles)
    return jwt.encode(claims, secret_key, algorithm="HS256")


class Tokens:
    """Check JWTs against one configured way of signing them: a secret, a public key, or a JWKS.

    ``keys`` maps a ``kid`` to (key, algorithm); the key ``None`` serves tokens without a
    ``kid``, which is how a secret or a single PEM key is kept.
    """

    def __init__(
        self,
        keys,
        max_age=3600,
        name_claim="name",
        audience=None,
        issuer=None,
        leeway=0,
        secret=None,
        wall_clock=time.time,
    ):
        self.keys = keys
        self.max_age = max_age
        self.name_claim = name_claim
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
        self.secret = secret  # only for HS256: what the demo issuer signs with
        self.wall_clock = wall_clock

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Tokens":
        """Build the checker the settings describe; raise ValueError naming a key file that cannot be used."""
        if config["JWT_JWKS_FILE"]:
            keys, secret = _jwks_keys(config["JWT_JWKS_FILE"]), None
        elif config["JWT_PUBLIC_KEY_FILE"]:
            keys, secret = {None: _pem_key(config["JWT_PUBLIC_KEY_FILE"])}, None
        else:
            secret = config["JWT_SECRET"] or config["SECRET_KEY"]
            keys = {None: (secret, "HS256")}
        return cls(
            keys,
            config["TOKEN_MAX_AGE"],
            config["JWT_NAME_CLAIM"],
            config["JWT_AUDIENCE"],
            config["JWT_ISSUER"],
            config["JWT_LEEWAY"],
            secret,
        )

    @classmethod
    def with_secret(cls, secret, max_age=3600, **options):
        """Return a checker of HS256 tokens signed with ``secret``."""
        return cls({None: (secret, "HS256")}, max_age, secret=secret, **options)

    def issue(self, user_id: str, name: object) -> str:
        """Return a demo token for ``user_id`` named ``name``, valid ``max_age`` seconds; HS256 only, no roles."""
        if self.secret is None:
            raise RuntimeError("demo tokens need an HS256 secret, not a public key")
        return issue_token(self.secret, user_id, name, self.max_age, self.audience, self.issuer)

    def verify(self, token: object) -> Identity:
        """Return the Identity ``token`` names; raise ChatError saying why it is refused."""
        if not isinstance(token, str) or not token:
            raise ChatError("token_required", 'this server requires a signed token: connect with auth {"token": ...}')
        plain(token, "the token", "bad_token")
        try:
            key, algorithm = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise ChatError("token_expired", "the token has expired: get a new one") from None
        except jwt.InvalidTokenError as error:
            raise ChatError("bad_token", f"the token is not valid: {error}") from None
        return self._identity(claims)

    def seconds_left(self, token: object) -> float:
        """Return how many seconds the valid ``token`` has before it expires (0 if none is left)."""
        try:
            expires_at = self.verify(token).expires_at
        except ChatError:
            return 0.0
        return max(0.0, expires_at - self.wall_clock())

    def _key_for(self, token):
        """Return the (key, algorithm) that must have signed ``token``: its ``kid`` picks one from a JWKS."""
        kid = jwt.get_unverified_header(token).get("kid") if None not in self.keys else None
        if not (kid is None or isinstance(kid, str)) or kid not in self.keys:
            raise jwt.InvalidTokenError(f"no key with kid {kid!r}" if kid else "the token names no key (kid)")
        return self.keys[kid]

    def _identity(self, claims):
        sub, name, roles = claims["sub"], claims.get(self.name_claim), claims.get("roles", [])
        if not 0 < len(sub) <= SUB_MAX:
            raise ChatError("bad_token", f"the token is not valid: sub must be 1 to {SUB_MAX} characters")
        plain(sub, "the token's sub", "bad_token")
        if name is None:
            raise ChatError(
                "bad_token", f"the token is not valid: it has no {self.name_claim!r} claim (the display name)"
            )
        try:
            name = display_name(name)
        except ChatError as error:
            raise ChatError(
                "bad_token", f"the token is not valid: its {self.name_claim!r} claim: {error.reason}"
            ) from None
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise ChatError("bad_token", "the token is not valid: roles must be a list of strings")
        # Valid until exp itself, plus the leeway PyJWT granted it.
        return Identity(sub, name, ADMIN_ROLE in roles, float(claims["exp"]) + self.leeway)


def _pem_key(path):
    """Return (public key, algorithm) from the PEM file at ``path``: RS256 for RSA, ES256 for P-256."""
    try:
        with open(path, "rb") as file:
            key = serialization.load_pem_public_key(file.read())
    except (OSError, ValueError) as error:
        raise ValueError(f"CHAT_JWT_PUBLIC_KEY_FILE: cannot read a PEM public key from {path}: {error}") from None
    try:
        return key, _algorithm(key)
    except ValueError as error:
        raise ValueError(f"CHAT_JWT_PUBLIC_KEY_FILE: {path}: {error}") from None


def _jwks_keys(path):
    """Return {kid: (public key, algorithm)} from the JWKS file at ``path``; every key needs a ``kid``."""
    try:
        with open(path, "rb") as file:
            entries = json.load(file)["keys"]
        if not isinstance(entries, list) or not entries:
            raise ValueError("keys must be a non-empty list")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f'CHAT_JWT_JWKS_FILE: cannot read a JWKS {{"keys": [...]}} from {path}: {error}') from None
    keys = {}
    for entry in entries:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not isinstance(kid, str) or not kid or kid in keys:
            raise ValueError(f"CHAT_JWT_JWKS_FILE: {path}: every key needs a kid of its own, not {kid!r}")
        if entry.get("use", "sig") != "sig":
            raise ValueError(f"CHAT_JWT_JWKS_FILE: {path}: key {kid!r} is not for signatures (use {entry['use']!r})")
        if entry.get("kty") not in ("RSA", "EC"):
            # A symmetric (oct) key in a public set would let anyone who reads it sign tokens.
            raise ValueError(f"CHAT_JWT_JWKS_FILE: {path}: key {kid!r} must be an RSA or EC public key")
        # The key's type decides its algorithm, never its "alg" member, which may only agree.
        algorithm = "RS256" if entry["kty"] == "RSA" else "ES256"
        if entry.get("alg", algorithm) != algorithm:
            raise ValueError(
                f"CHAT_JWT_JWKS_FILE: {path}: key {kid!r} says alg {entry['alg']!r}; "
                f"only {algorithm} is accepted for an {entry['kty']} key"
            )
        try:
            key = jwt.PyJWK(entry, algorithm).key
            _algorithm(key)
        except (jwt.PyJWTError, ValueError) as error:
            raise ValueError(f"CHAT_JWT_JWKS_FILE: {path}: key {kid!r}: {error}") from None
        keys[kid] = (key, algorithm)
    return keys


def _algorithm(key):
    """Return the one algorithm a public key checks: RS256 for RSA, ES256 for EC P-256; refuse others."""
    if isinstance(key, rsa.RSAPrivateKey) or isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("it is a private key: give the server only the public key")
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"the RSA key has {key.key_size} bits, at least {MIN_RSA_BITS} are needed")
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise ValueError("the key must be an RSA key (RS256) or an EC P-256 key (ES256)")


class TokenExpiry:
    """When each connection's token expires, on ``clock``: which connections to end, and when.

    A token is checked when its connection opens; without this, the connection would outlive
    the token for as long as it stays open.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._deadlines: dict[str, float] = {}
        # Connections open and close in their own threads while the expiry loop reads them all.
        self._lock = threading.Lock()

    def open(self, sid: str, seconds_left: float) -> None:
        """Start timing connection ``sid``, whose token expires in ``seconds_left`` seconds."""
        with self._lock:
            self._deadlines[sid] = self._clock() + seconds_left

    def close(self, sid: str) -> None:
        """Forget connection ``sid``: it has ended."""
        with self._lock:
            self._deadlines.pop(sid, None)

    def expire(self) -> list[str]:
        """Return the connections whose token has expired by now, forgetting them."""
        with self._lock:
            now = self._clock()
            due = [sid for sid, deadline in self._deadlines.items() if deadline <= now]
            for sid in due:
                del self._deadlines[sid]
            return due
