"""Who is typing where, in this process: states that expire unless renewed."""

import threading
import time

from .. import base


class LocalTyping(base.Typing):
    """Typing states per (room, person), each ending ``timeout`` seconds after its last renewal."""

    def __init__(self, timeout, clock=time.monotonic):
        self.timeout = timeout
        self._clock = clock
        self._states = {}  # (room, person id) -> (when the state ends, member)
        self._lock = threading.Lock()

    def start(self, room, member):
        with self._lock:
            key = (room, member.id)
            started = key not in self._states
            self._states[key] = (self._clock() + self.timeout, member)
            return started

    def stop(self, room, person_id):
        with self._lock:
            return self._states.pop((room, person_id), None) is not None

    def expire(self):
        with self._lock:
            now = self._clock()
            ended = [(key, member) for key, (until, member) in self._states.items() if until <= now]
            for key, _ in ended:
                del self._states[key]
            return [(room, member) for (room, _), member in ended]
