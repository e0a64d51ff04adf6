"""Chat messages: each gets a per-room id and a server timestamp when accepted."""

import threading
import time
from dataclasses import dataclass

from .presence import Member


@dataclass(frozen=True)
class Message:
    """An accepted chat message."""

    room: str
    id: int
    ts: int  # milliseconds since the Unix epoch, server time
    user: Member
    text: str

    def as_dict(self):
        return {"room": self.room, "id": self.id, "ts": self.ts, "user": self.user.as_dict(), "text": self.text}


class History:
    """Numbers each room's messages 1, 2, 3, ... in the order they are accepted."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._last_id = {}
        self._lock = threading.Lock()

    def append(self, room, user, text):
        """Accept a message; return it with its id and timestamp."""
        with self._lock:
            message_id = self._last_id.get(room, 0) + 1
            self._last_id[room] = message_id
        return Message(room, message_id, int(self._clock() * 1000), user, text)
