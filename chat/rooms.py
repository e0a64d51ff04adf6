"""The room registry: which rooms exist, their name rules, limits and idle removal."""

import re
import threading
import time

from .validation import ChatError

ROOM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
ROOM_NAME_RULE = "1 to 32 characters: lower-case letters a-z, digits, - and _, starting with a letter or digit"


def room_name(value):
    """Return ``value`` if it is a valid room name; raise ChatError if not."""
    if not isinstance(value, str) or not ROOM_NAME.fullmatch(value):
        raise ChatError("bad_room", f"a room name is {ROOM_NAME_RULE}")
    return value


class Rooms:
    """Rooms that exist: the default one for good, created ones until they stay empty too long."""

    def __init__(self, default, max_rooms, idle_seconds, clock=time.monotonic):
        self.default = default
        self.max_rooms = max_rooms
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._empty_since = {default: None}  # room -> when it became empty, None while occupied
        self._lock = threading.Lock()

    def __contains__(self, room):
        return room in self._empty_since

    def names(self):
        """Return the room names, sorted."""
        with self._lock:
            return sorted(self._empty_since)

    def create(self, room):
        """Create ``room``, empty; raise ChatError if it exists or the limit is reached."""
        room = room_name(room)
        with self._lock:
            if room in self._empty_since:
                raise ChatError("room_exists", f"the room {room!r} exists already")
            if len(self._empty_since) >= self.max_rooms:
                raise ChatError("too_many_rooms", f"there are {self.max_rooms} rooms already, the limit")
            self._empty_since[room] = self._clock()
        return room

    def restore(self, room):
        """Bring back a room that existed before a restart, empty from now."""
        with self._lock:
            self._empty_since.setdefault(room, self._clock())

    def require(self, room):
        """Return ``room`` if it exists; raise ChatError if not."""
        room = room_name(room)
        if room not in self._empty_since:
            raise ChatError("no_such_room", f"there is no room {room!r}")
        return room

    def occupied(self, room, occupied):
        """Record whether anyone is in ``room`` now."""
        with self._lock:
            if room in self._empty_since and room != self.default:
                if occupied:
                    self._empty_since[room] = None
                elif self._empty_since[room] is None:
                    self._empty_since[room] = self._clock()

    def expire(self):
        """Remove created rooms that have been empty for ``idle_seconds``; return their names."""
        with self._lock:
            cutoff = self._clock() - self.idle_seconds
            gone = [room for room, since in self._empty_since.items()
                    if room != self.default and since is not None and since <= cutoff]
            for room in gone:
                del self._empty_since[room]
            return gone
