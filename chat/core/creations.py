"""Creation limits: how many rooms a person and a client address may create, and new DMs an address may open.

The global cap (MAX_ROOMS) bounds the rooms in total; these bound one person's and one
address's share of it, so a few guests from one address cannot take every room, and no
address opens DMs by the thousand. Each is a token bucket of the live stores (in Redis with
several processes, for all of them together), refilled over an hour. A refusal is
``rate_limited`` and says how long to wait, as the flood limit's does.
"""

from ..model import ChatError
from ..stores import base


def _refusal(what: str, wait: float) -> ChatError:
    return ChatError("rate_limited", f"too many {what} lately: wait {wait:.0f} s before the next one")


class Creations:
    """Count rooms created per person and per address, and new DMs opened per address."""

    def __init__(
        self, rooms_by_person: base.RateLimit, rooms_by_address: base.RateLimit, dms_by_address: base.RateLimit
    ) -> None:
        self._rooms_by_person = rooms_by_person
        self._rooms_by_address = rooms_by_address
        self._dms_by_address = dms_by_address
        # This process's connections and their addresses: a request is handled where its connection is.
        self._addresses: dict[str, str] = {}

    def open(self, connection: str, address: str | None) -> None:
        """Remember ``connection``'s client address (None, when the server gave none, counts as one address)."""
        self._addresses[connection] = address or ""

    def close(self, connection: str) -> None:
        """Forget ``connection``'s address."""
        self._addresses.pop(connection, None)

    def take_room(self, connection: str, person_id: str) -> None:
        """Count a room created by ``person_id`` on ``connection``; raise ChatError ``rate_limited`` past a limit."""
        wait = self._rooms_by_person.take(person_id) or self._rooms_by_address.take(self._address(connection))
        if wait:
            raise _refusal("rooms created", wait)

    def take_dm(self, connection: str) -> None:
        """Count a new DM opened on ``connection``; raise ChatError ``rate_limited`` past its address's limit."""
        wait = self._dms_by_address.take(self._address(connection))
        if wait:
            raise _refusal("new direct messages from your address", wait)

    def _address(self, connection: str) -> str:
        return self._addresses.get(connection, "")
