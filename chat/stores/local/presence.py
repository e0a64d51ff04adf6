"""Who is online, in this process: people, their connections, the rooms they are in, and their unique names.

A person is one or more connections with the same person id: with signed identities, a
token's user; else a guest, which is one connection at a time (a tab of the demo page,
coming back with its guest credential, chat/guests.py). A person is in a room while any of
their connections is. When the last one drops without leaving, the person stays in the
room for a grace period, so a quick reconnect does not flap them out and back in for the
others.
"""

import threading
import time
from dataclasses import dataclass, field, replace

from ...model import Member, not_in_room
from ...names import guest_name, name_key, with_suffix
from .. import base


@dataclass
class _Person:
    member: Member
    stable: bool  # the id outlives a connection (a guest credential or a token), so a reconnect is the same person
    browser: str | None = None  # a guest's browser (the demo page's session cookie), if known
    connections: set[str] = field(default_factory=set)
    rooms: dict[str, set[str]] = field(default_factory=dict)  # room -> this person's connections in it
    leaving: dict[str, float] = field(default_factory=dict)  # room -> deadline: dropped, not left, may come back


class LocalPresence(base.Presence):
    """People online, per room; names unique among them by key (chat.names.name_key: a look-alike is the same name)."""

    host_id = "local"  # one process: nothing else shares this presence

    def __init__(self, grace_seconds: float, clock: base.Clock = time.monotonic) -> None:
        self.grace_seconds = grace_seconds
        self._clock = clock
        self._people: dict[str, _Person] = {}  # person id -> _Person
        self._owner: dict[str, str] = {}  # connection -> person id
        self._opened: dict[str, float] = {}  # a guest's connection -> when its Engine.IO session opened
        self._lock = threading.Lock()

    def connect(self, connection: str, person_id: str, name: str | None = None, stable: bool = True) -> Member:
        with self._lock:
            return self._add(connection, person_id, name, stable)

    def connect_guest(
        self,
        connection: str,
        guest_id: str,
        name: str | None = None,
        browser: str | None = None,
        resumes: base.Resumed | None = None,
        opened: float | None = None,
    ) -> tuple[Member | None, list[base.Departure]]:
        with self._lock:
            person = self._people.get(guest_id)
            departures: list[base.Departure] = []
            if person is not None and resumes is not None:  # the guest's tab: what it left before is dropped
                for connection_left in list(person.connections):
                    before = self._opened.get(connection_left)
                    if opened is None or before is None or before <= opened:
                        departures += self._drop(connection_left, keep=True)
            if person is not None and person.connections:
                return None, departures
            if person is None and name is not None and browser is not None:
                departures += self._release(name_key(name), browser)
            if opened is not None:
                self._opened[connection] = opened
            return self._add(connection, guest_id, name, True, browser), departures

    def _add(
        self, connection: str, person_id: str, name: str | None, stable: bool, browser: str | None = None
    ) -> Member:
        person = self._people.get(person_id)
        if person is None:
            chosen = with_suffix(name or guest_name(), self._taken_keys())
            person = _Person(Member(person_id, chosen, guest=name is None), stable, browser)
            self._people[person_id] = person
        person.connections.add(connection)
        self._owner[connection] = person_id
        return person.member

    def _release(self, key: str, browser: str) -> list[base.Departure]:
        """End the grace period of ``browser``'s unconnected guest named ``key`` now; return the departures."""
        for person in self._people.values():
            if name_key(person.member.name) == key and person.browser == browser and not person.connections:
                departures = [(room, person.member) for room in person.leaving]
                person.leaving.clear()
                self._forget_if_gone(person)
                return departures
        return []

    def disconnect_known(self, connection: str) -> tuple[bool, list[base.Departure]]:
        with self._lock:
            if connection not in self._owner:
                return False, []
            return True, self._drop(connection)

    def _drop(self, connection: str, keep: bool = False) -> list[base.Departure]:
        """Drop known ``connection``; return the departures now. ``keep``: keep its person even with nothing left."""
        person = self._people[self._owner.pop(connection)]
        self._opened.pop(connection, None)
        person.connections.discard(connection)
        departures: list[base.Departure] = []
        for room, connections in list(person.rooms.items()):
            connections.discard(connection)
            if connections:
                continue
            del person.rooms[room]
            if person.stable and self.grace_seconds > 0:
                person.leaving[room] = self._clock() + self.grace_seconds
            else:
                departures.append((room, person.member))
        if not keep:
            self._forget_if_gone(person)
        return departures

    def enter(self, connection: str, room: str) -> tuple[Member, bool]:
        with self._lock:
            person = self._person_of(connection)
            returning = person.leaving.pop(room, None) is not None
            is_new = room not in person.rooms and not returning
            person.rooms.setdefault(room, set()).add(connection)
            return person.member, is_new

    def exit(self, connection: str, room: str) -> tuple[Member, bool]:
        with self._lock:
            person = self._person_of(connection)
            connections = person.rooms.get(room)
            if connections is None or connection not in connections:
                raise not_in_room(room)
            connections.discard(connection)
            if connections:
                return person.member, False
            del person.rooms[room]
            return person.member, True

    def rename(self, connection: str, name: str | None) -> tuple[Member, str]:
        with self._lock:
            person = self._person_of(connection)
            previous = person.member.name
            taken = self._taken_keys() - {name_key(previous)}
            person.member = replace(person.member, name=with_suffix(name, taken), guest=False)
            return person.member, previous

    def member(self, connection: str) -> Member:
        with self._lock:
            return self._person_of(connection).member

    def rooms_of(self, connection: str) -> set[str]:
        with self._lock:
            person = self._person_of(connection)
            return {room for room, connections in person.rooms.items() if connection in connections}

    def rooms_of_person(self, person_id: str) -> set[str]:
        with self._lock:
            person = self._people.get(person_id)
            return set(person.rooms) | set(person.leaving) if person else set()

    def connections_of_person(self, person_id: str) -> set[str]:
        with self._lock:
            person = self._people.get(person_id)
            return set(person.connections) if person else set()

    def members(self, room: str) -> list[Member]:
        with self._lock:
            return sorted(
                (person.member for person in self._people.values() if room in person.rooms or room in person.leaving),
                key=lambda member: name_key(member.name),
            )

    def occupied(self, room: str) -> bool:
        with self._lock:
            return any(room in person.rooms or room in person.leaving for person in self._people.values())

    @property
    def people(self) -> int:
        return len(self._people)

    @property
    def connections(self) -> int:
        return len(self._owner)

    def expire(self) -> list[base.Departure]:
        with self._lock:
            now = self._clock()
            departures: list[base.Departure] = []
            for person in list(self._people.values()):
                for room, deadline in list(person.leaving.items()):
                    if deadline <= now:
                        del person.leaving[room]
                        departures.append((room, person.member))
                self._forget_if_gone(person)
            return departures

    def heartbeat(self) -> bool:
        """Return True: one process alone is never given up for dead by another."""
        return True

    def drop_silent_hosts(self) -> tuple[list[base.Departure], int]:
        """Return ([], 0): one process has no other process whose connections it could drop."""
        return [], 0

    def _person_of(self, connection: str) -> _Person:
        return self._people[self._owner[connection]]

    def _taken_keys(self) -> set[str]:
        return {name_key(person.member.name) for person in self._people.values()}

    def _forget_if_gone(self, person: _Person) -> None:
        if not person.connections and not person.leaving:
            del self._people[person.member.id]
