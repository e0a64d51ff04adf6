"""Guest credentials: what lets a tab of the demo page come back as the guest it was.

With nobody signed in, each connection of the full protocol is a guest of its own: each tab
of a browser is a person. The server hands a guest its credential in ``welcome``; the page
keeps it for its tab (sessionStorage) and passes it back as ``auth.guest`` when it
reconnects or reloads, and is the same guest again. The credential is the guest's id signed
with the app's secret key and the time it was issued (itsdangerous, salt ``chat-guest``),
so no client can claim a guest it was not given by choosing an id.

It is not a signed identity in the sense of TOKENS (chat/identity.py): it grants nothing but
coming back as that guest, and is ignored when TOKENS is on. It lasts ``lifetime`` seconds
(GUEST_LIFETIME_DAYS) from its issue; each connect issues a new one, so a guest lasts that
long after their last connection, and then what they left goes (``Connections.expire_guests``).

Each connection's ``welcome`` also carries a **resume secret** (salt ``chat-resume``): the
guest, that connection and the process holding it, signed. The page keeps it in memory
only, so a duplicated tab (which copies the credential) lacks it. With it, a reconnecting
tab takes its guest over at once, though presence still holds its old connection (its
process died or stalled) or a later one it never heard of (a welcome lost to a cut): the
secret of any of the guest's connections proves the tab. Without it, a guest connected
elsewhere makes a new guest.
"""

import time
from collections.abc import Callable

from itsdangerous import BadSignature, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer

SALT = "chat-guest"
RESUME_SALT = "chat-resume"


class Guests:
    """Issue and check guest credentials signed with this server's secret key, valid for ``lifetime`` seconds."""

    def __init__(
        self, secret_key: str | bytes, lifetime: float = 7 * 86400, clock: Callable[[], float] = time.time
    ) -> None:
        class Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock())

        self.lifetime = lifetime
        self._clock = clock
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT, signer=Signer)
        self._resumes = URLSafeSerializer(secret_key, salt=RESUME_SALT)

    def issue(self, guest_id: str) -> str:
        """Return the credential of guest ``guest_id``, valid for ``lifetime`` seconds from now."""
        return self._serializer.dumps(guest_id)

    def verify(self, credential: str) -> str | None:
        """Return the guest id ``credential`` carries, or None if this server did not issue it or it expired."""
        try:
            guest_id = self._serializer.loads(credential, max_age=int(self.lifetime))
        except BadSignature:  # SignatureExpired included
            return None
        return guest_id if isinstance(guest_id, str) and guest_id else None

    def issue_resume(self, guest_id: str, connection: str, host: str) -> str:
        """Return the resume secret of ``connection``, guest ``guest_id``'s connection held by process ``host``."""
        return self._resumes.dumps([guest_id, connection, host])

    def verify_resume(self, secret: str, guest_id: str) -> tuple[str, str] | None:
        """Return (connection, host) of guest ``guest_id`` that resume ``secret`` names, or None if it names none."""
        try:
            found = self._resumes.loads(secret)
        except BadSignature:
            return None
        if not (isinstance(found, list) and len(found) == 3 and all(isinstance(part, str) for part in found)):
            return None
        resumed_guest, connection, host = found
        return (connection, host) if resumed_guest == guest_id else None
