"""Who is typing where, in this process: states that expire unless renewed."""

import threading
import time

from ...model import Member
from .. import base


class LocalTyping(base.Typing):
    """Typing states per (room, person), each ending ``timeout`` seconds after its last renewal."""

    def __init__(self, timeout: float, clock: base.Clock = time.monotonic) -> None:
        self.timeout = timeout
        self._clock = clock
        self._states: dict[
            tuple[str, str], tuple[float, Member]
        ] = {}  # (room, person id) -> (when the state ends, member)
        self._lock = threading.Lock()

    def start(self, room: str, member: Member) -> bool:
        with self._lock:
            key = (room, member.id)
            started = key not in self._states
            self._states[key] = (self._clock() + self.timeout, member)
            return started

    def stop(self, room: str, person_id: str) -> bool:
        with self._lock:
            return self._states.pop((room, person_id), None) is not None

    def expire(self) -> list[base.Departure]:
        with self._lock:
            now = self._clock()
            ended = [(key, member) for key, (until, member) in self._states.items() if until <= now]
            for key, _ in ended:
                del self._states[key]
            return [(room, member) for (room, _), member in ended]
