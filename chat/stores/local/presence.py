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
    browser: str = None  # a guest's browser (the demo page's session cookie), if known
    connections: set = field(default_factory=set)
    rooms: dict = field(default_factory=dict)  # room -> this person's connections in it
    leaving: dict = field(default_factory=dict)  # room -> deadline: dropped, not left, may come back


class LocalPresence(base.Presence):
    """People online, per room; names unique among them after NFKC and case folding."""

    def __init__(self, grace_seconds, clock=time.monotonic):
        self.grace_seconds = grace_seconds
        self._clock = clock
        self._people = {}  # person id -> _Person
        self._owner = {}  # connection -> person id
        self._lock = threading.Lock()

    def connect(self, connection, person_id, name=None, stable=True):
        with self._lock:
            return self._add(connection, person_id, name, stable)

    def connect_guest(self, connection, guest_id, name=None, browser=None):
        with self._lock:
            person = self._people.get(guest_id)
            if person is not None and person.connections:
                return None, []
            departures = []
            if person is None and name is not None and browser is not None:
                departures = self._release(name_key(name), browser)
            return self._add(connection, guest_id, name, True, browser), departures

    def _add(self, connection, person_id, name, stable, browser=None):
        person = self._people.get(person_id)
        if person is None:
            chosen = with_suffix(name or guest_name(), self._taken_keys())
            person = _Person(Member(person_id, chosen, guest=name is None), stable, browser)
            self._people[person_id] = person
        person.connections.add(connection)
        self._owner[connection] = person_id
        return person.member

    def _release(self, key, browser):
        """End the grace period of ``browser``'s unconnected guest named ``key`` now; return the departures."""
        for person in self._people.values():
            if name_key(person.member.name) == key and person.browser == browser and not person.connections:
                departures = [(room, person.member) for room in person.leaving]
                person.leaving.clear()
                self._forget_if_gone(person)
                return departures
        return []

    def disconnect_known(self, connection):
        with self._lock:
            person_id = self._owner.pop(connection, None)
            if person_id is None:
                return False, []
            person = self._people[person_id]
            person.connections.discard(connection)
            departures = []
            for room, connections in list(person.rooms.items()):
                connections.discard(connection)
                if connections:
                    continue
                del person.rooms[room]
                if person.stable and self.grace_seconds > 0:
                    person.leaving[room] = self._clock() + self.grace_seconds
                else:
                    departures.append((room, person.member))
            self._forget_if_gone(person)
            return True, departures

    def enter(self, connection, room):
        with self._lock:
            person = self._person_of(connection)
            returning = person.leaving.pop(room, None) is not None
            is_new = room not in person.rooms and not returning
            person.rooms.setdefault(room, set()).add(connection)
            return person.member, is_new

    def exit(self, connection, room):
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

    def rename(self, connection, name):
        with self._lock:
            person = self._person_of(connection)
            previous = person.member.name
            taken = self._taken_keys() - {name_key(previous)}
            person.member = replace(person.member, name=with_suffix(name, taken), guest=False)
            return person.member, previous

    def member(self, connection):
        with self._lock:
            return self._person_of(connection).member

    def rooms_of(self, connection):
        with self._lock:
            person = self._person_of(connection)
            return {room for room, connections in person.rooms.items() if connection in connections}

    def rooms_of_person(self, person_id):
        with self._lock:
            person = self._people.get(person_id)
            return set(person.rooms) | set(person.leaving) if person else set()

    def connections_of_person(self, person_id):
        with self._lock:
            person = self._people.get(person_id)
            return set(person.connections) if person else set()

    def members(self, room):
        with self._lock:
            return sorted((person.member for person in self._people.values()
                           if room in person.rooms or room in person.leaving),
                          key=lambda member: name_key(member.name))

    def occupied(self, room):
        with self._lock:
            return any(room in person.rooms or room in person.leaving for person in self._people.values())

    @property
    def people(self):
        return len(self._people)

    @property
    def connections(self):
        return len(self._owner)

    def expire(self):
        with self._lock:
            now = self._clock()
            departures = []
            for person in list(self._people.values()):
                for room, deadline in list(person.leaving.items()):
                    if deadline <= now:
                        del person.leaving[room]
                        departures.append((room, person.member))
                self._forget_if_gone(person)
            return departures

    def heartbeat(self):
        """Return True: one process alone is never given up for dead by another."""
        return True

    def drop_silent_hosts(self):
        """Return ([], 0): one process has no other process whose connections it could drop."""
        return [], 0

    def _person_of(self, connection):
        return self._people[self._owner[connection]]

    def _taken_keys(self):
        return {name_key(person.member.name) for person in self._people.values()}

    def _forget_if_gone(self, person):
        if not person.connections and not person.leaving:
            del self._people[person.member.id]
