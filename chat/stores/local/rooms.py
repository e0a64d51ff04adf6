"""The room registry, in this process: which rooms exist, their limit and idle removal."""

import threading
import time

from ...model import room_exists, too_many_rooms_total
from ...validation import room_name
from .. import base


class LocalRooms(base.Rooms):
    """Rooms that exist: the default one for good, created ones until they stay empty too long."""

    def __init__(self, default: str, max_rooms: int, idle_seconds: float, clock: base.Clock = time.monotonic) -> None:
        self.default = default
        self.max_rooms = max_rooms
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._empty_since: dict[str, float | None] = {
            default: None
        }  # room -> when it became empty, None while occupied
        self._lock = threading.Lock()

    def __contains__(self, room: str) -> bool:
        return room in self._empty_since

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._empty_since)

    def create(self, room: str) -> str:
        room = room_name(room)
        with self._lock:
            if room in self._empty_since:
                raise room_exists(room)
            if len(self._empty_since) >= self.max_rooms:
                raise too_many_rooms_total(self.max_rooms)
            self._empty_since[room] = self._clock()
        return room

    def restore(self, room: str) -> None:
        with self._lock:
            self._empty_since.setdefault(room, self._clock())

    def occupied(self, room: str, occupied: bool) -> None:
        with self._lock:
            if room in self._empty_since and room != self.default:
                if occupied:
                    self._empty_since[room] = None
                elif self._empty_since[room] is None:
                    self._empty_since[room] = self._clock()

    def expire(self) -> list[str]:
        with self._lock:
            cutoff = self._clock() - self.idle_seconds
            gone = [
                room
                for room, since in self._empty_since.items()
                if room != self.default and since is not None and since <= cutoff
            ]
            for room in gone:
                del self._empty_since[room]
            return gone
