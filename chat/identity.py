"""Signed identities: expiring tokens that carry a user's id and display name.

A site that has its own login issues a token for the logged-in user (``issue_token``,
with the same secret key as this server) and hands it to its page, which connects with
``auth: {"token": ...}``. The server then takes identity and name from the token alone.
"""

import time

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .names import display_name
from .model import ChatError

SALT = "chat-identity"


def issue_token(secret_key, user_id, name):
    """Return a token for ``user_id`` named ``name``, signed with ``secret_key``."""
    if not isinstance(user_id, str) or not 0 < len(user_id) <= 64:
        raise ValueError("user_id must be a string of 1 to 64 characters")
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps({"id": user_id, "name": display_name(name)})


class Tokens:
    """Check tokens signed with this server's secret key, no older than ``max_age`` seconds."""

    def __init__(self, secret_key, max_age):
        self.secret_key = secret_key
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)

    def issue(self, user_id, name):
        """Return a token for ``user_id`` named ``name``."""
        return issue_token(self.secret_key, user_id, name)

    def verify(self, token):
        """Return (user id, name) from ``token``; raise ChatError saying why it is refused."""
        if not isinstance(token, str) or not token:
            raise ChatError("token_required", "this server requires a signed token: connect with auth {\"token\": ...}")
        try:
            claims = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise ChatError("token_expired", "the token has expired: get a new one") from None
        except BadSignature:
            raise ChatError("bad_token", "the token is not valid") from None
        return claims["id"], claims["name"]

    def seconds_left(self, token):
        """Return how many seconds the valid ``token`` has before it expires (0 if none)."""
        _, signed = self._serializer.loads(token, max_age=self.max_age, return_timestamp=True)
        # itsdangerous judges age by the wall clock, in whole seconds: so does this.
        return max(0.0, signed.timestamp() + self.max_age - int(time.time()))


class TokenExpiry:
    """When each connection's token expires, on ``clock``: which connections to end, and when.

    A token is checked when its connection opens; without this, the connection would outlive
    the token for as long as it stays open.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._deadlines = {}

    def open(self, sid, seconds_left):
        """Start timing connection ``sid``, whose token expires in ``seconds_left`` seconds."""
        self._deadlines[sid] = self._clock() + seconds_left

    def close(self, sid):
        """Forget connection ``sid``: it has ended."""
        self._deadlines.pop(sid, None)

    def expire(self):
        """Return the connections whose token has expired by now, forgetting them."""
        now = self._clock()
        due = [sid for sid, deadline in self._deadlines.items() if deadline <= now]
        for sid in due:
            del self._deadlines[sid]
        return due
