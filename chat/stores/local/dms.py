"""When people were last seen, in this process's memory: the live half of direct messages.

The conversations themselves are durable, in the SQL database (chat/stores/sql/dms.py);
who was seen when is kept in memory, as presence is: after a restart nobody has been seen yet.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from ...model import Member


class LocalLastSeen:
    """People online with the full protocol, and those gone for at most ``seen_seconds``, in this process."""

    def __init__(self, seen_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seen_seconds = seen_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._online: dict[str, Member] = {}  # person id -> member, while online with the full protocol
        self._gone: OrderedDict[str, tuple[Member, float]] = OrderedDict()  # person id -> (member, when), oldest first

    def arrived(self, member: Member) -> None:
        """Record that ``member`` is online with the full protocol."""
        with self._lock:
            self._gone.pop(member.id, None)
            self._online[member.id] = member

    def went(self, member: Member) -> None:
        """Record that ``member``'s last connection ended now."""
        with self._lock:
            self._online.pop(member.id, None)
            self._gone.pop(member.id, None)
            self._gone[member.id] = (member, self._clock())
            self._forget_old()

    def seen(self, person_id: str) -> Member | None:
        """Return the person as last seen, if online or gone for at most ``seen_seconds``; else None."""
        with self._lock:
            self._forget_old()
            if person_id in self._online:
                return self._online[person_id]
            gone = self._gone.get(person_id)
            return gone[0] if gone else None

    def _forget_old(self) -> None:
        # Oldest first, so the loop stops at the first one still recent.
        cutoff = self._clock() - self.seen_seconds
        while self._gone:
            person_id, (_, when) = next(iter(self._gone.items()))
            if when >= cutoff:
                break
            del self._gone[person_id]
