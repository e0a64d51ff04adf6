"""Guest credentials: what lets a tab of the demo page come back as the guest it was.

With nobody signed in, each connection of the full protocol is a guest of its own: each tab
of a browser is a person. The server hands a guest its credential in ``welcome``; the page
keeps it for its tab (sessionStorage) and passes it back as ``auth.guest`` when it
reconnects or reloads, and is the same guest again. The credential is the guest's id signed
with the app's secret key (itsdangerous, salt ``chat-guest``), so no client can claim a
guest it was not given by choosing an id.

It is not a signed identity in the sense of TOKENS (chat/identity.py): it never expires,
grants nothing but coming back as that guest, and is ignored when TOKENS is on.
"""

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "chat-guest"


class Guests:
    """Issue and check guest credentials signed with this server's secret key."""

    def __init__(self, secret_key: str | bytes) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)

    def issue(self, guest_id: str) -> str:
        """Return the credential of guest ``guest_id``."""
        return self._serializer.dumps(guest_id)

    def verify(self, credential: str) -> str | None:
        """Return the guest id ``credential`` carries, or None if this server did not issue it."""
        try:
            guest_id = self._serializer.loads(credential)
        except BadSignature:
            return None
        return guest_id if isinstance(guest_id, str) and guest_id else None
