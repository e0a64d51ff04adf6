"""Who is online, for every process sharing one Redis server: the twin of chat/stores/local/presence.py.

The keys, and the two rules every script keeps, are described in chat/stores/redis/__init__.py;
the scripts are in presence_scripts.py.
"""

import time
import uuid
from dataclasses import replace
from typing import Any, cast

from redis import Redis

from ...model import Member, not_in_room
from ...names import guest_name, name_key, with_suffix
from .. import base
from . import PREFIX, decoding_client
from .presence_scripts import CONNECT, DISCONNECT, DROP_HOST, END_GRACE, ENTER, EXIT, MEMBER, MEMBERS, RENAME

DEAD_HOST_MEMORY = 86400  # seconds a dropped host can still learn so from heartbeat()


def _member(person_id: str, name: str, guest: str) -> Member:
    return Member(person_id, name, guest == "1")


class RedisPresence(base.Presence):
    """People online across every process sharing ``redis``, per room; names unique among them.

    ``host_id`` names this process, uniquely among those running (a random id per start
    does). ``host_timeout`` is how long another process waits after this one's last
    heartbeat before dropping its connections.
    """

    def __init__(
        self,
        redis: Redis,
        host_id: str,
        grace_seconds: float,
        clock: base.Clock = time.time,
        host_timeout: float = 10,
        prefix: str = PREFIX,
    ) -> None:
        self._redis = decoding_client(redis)
        self.host_id = host_id
        self.grace_seconds = grace_seconds
        self.host_timeout = host_timeout
        self.prefix = prefix
        self._clock = clock
        self._connect = redis.register_script(CONNECT)
        self._disconnect = redis.register_script(DISCONNECT)
        self._enter = redis.register_script(ENTER)
        self._exit = redis.register_script(EXIT)
        self._rename = redis.register_script(RENAME)
        self._member = redis.register_script(MEMBER)
        self._members = redis.register_script(MEMBERS)
        self._end_grace = redis.register_script(END_GRACE)
        self._drop_host = redis.register_script(DROP_HOST)
        with self._redis.pipeline() as transaction:
            self._epoch: str = self._read_epoch(transaction)[-1]

    def _read_epoch(self, transaction: Any) -> list[Any]:
        """Add reading the epoch to ``transaction``, run it, return its replies (the epoch last).

        The epoch is a token set by the first process to find Redis without one: a token
        other than the one this process last read means Redis lost everything in between.
        """
        transaction.setnx(self._key("epoch"), uuid.uuid4().hex)
        transaction.get(self._key("epoch"))
        return cast(list[Any], transaction.execute())

    def _key(self, *parts: str) -> str:
        return self.prefix + "".join(parts)

    def _deadline(self) -> float | str:
        """Return when a grace period starting now ends, or "" for no grace period."""
        return self._clock() + self.grace_seconds if self.grace_seconds > 0 else ""

    def connect(self, connection: str, person_id: str, name: str | None = None, stable: bool = True) -> Member:
        member, _ = self._add(connection, person_id, name, stable)
        return cast(Member, member)  # None only for a guest (alone), whose tab is open elsewhere

    def connect_guest(
        self,
        connection: str,
        guest_id: str,
        name: str | None = None,
        browser: str | None = None,
        resumes: base.Resumed | None = None,
        opened: float | None = None,
    ) -> tuple[Member | None, list[base.Departure]]:
        return self._add(connection, guest_id, name, True, alone=True, browser=browser, resumes=resumes, opened=opened)

    def _add(
        self,
        connection: str,
        person_id: str,
        name: str | None,
        stable: bool,
        alone: bool = False,
        browser: str | None = None,
        resumes: base.Resumed | None = None,
        opened: float | None = None,
    ) -> tuple[Member | None, list[base.Departure]]:
        wanted = name or guest_name()
        resumed_connection, resumed_host = resumes or ("", "")
        taken: set[str] = set()
        while True:
            chosen = with_suffix(wanted, taken)
            # Only the name asked for may be taken from the browser's closed tab, never a numbered one.
            take_over = browser is not None and name is not None and chosen == name
            found = self._connect(
                args=[
                    self.prefix,
                    connection,
                    person_id,
                    self.host_id,
                    self._clock(),
                    chosen,
                    name_key(chosen),
                    int(name is None),
                    int(stable),
                    int(alone),
                    browser or "",
                    int(take_over),
                    resumed_connection,
                    resumed_host,
                    self._deadline(),
                    "" if opened is None else repr(opened),
                ]
            )
            if found == "live":
                return None, []
            if found is not None:
                found_name, guest, departures = found
                return _member(person_id, found_name, guest), [
                    (room, _member(gone_id, gone_name, gone_guest))
                    for gone_id, gone_name, gone_guest, room in departures
                ]
            taken = set(
                cast(list[str], self._redis.hkeys(self._key("names")))
            )  # someone has that name: look, pick again

    def disconnect_known(self, connection: str) -> tuple[bool, list[base.Departure]]:
        known, departures = self._disconnect(args=[self.prefix, connection, self.host_id, self._deadline()])
        return bool(known), [(room, _member(person_id, name, guest)) for person_id, name, guest, room in departures]

    def enter(self, connection: str, room: str) -> tuple[Member, bool]:
        found = self._enter(args=[self.prefix, connection, room])
        if found is None:
            raise KeyError(connection)
        person_id, name, guest, is_new = found
        return _member(person_id, name, guest), bool(is_new)

    def exit(self, connection: str, room: str) -> tuple[Member, bool]:
        found = self._exit(args=[self.prefix, connection, room])
        if found is None:
            raise KeyError(connection)
        if found == "not_in_room":
            raise not_in_room(room)
        person_id, name, guest, left = found
        return _member(person_id, name, guest), bool(left)

    def rename(self, connection: str, name: str | None) -> tuple[Member, str]:
        while True:
            member = self.member(connection)
            taken = {key for key, owner in self._redis.hgetall(self._key("names")).items() if owner != member.id}
            chosen = with_suffix(name, taken)
            # The script refuses if the person was renamed, or the name taken, since we looked.
            if self._rename(args=[self.prefix, connection, member.name, chosen, name_key(chosen)]):
                return replace(member, name=chosen, guest=False), member.name

    def member(self, connection: str) -> Member:
        found = self._member(args=[self.prefix, connection])
        if found is None:
            raise KeyError(connection)
        return _member(*found)

    def rooms_of(self, connection: str) -> set[str]:
        rooms: set[str]
        with self._redis.pipeline() as transaction:
            transaction.hexists(self._key("connections"), connection)
            transaction.smembers(self._key("connection-rooms:", connection))
            known, rooms = transaction.execute()
        if not known:
            raise KeyError(connection)
        return rooms

    def rooms_of_person(self, person_id: str) -> set[str]:
        with self._redis.pipeline() as transaction:
            transaction.hkeys(self._key("person-rooms:", person_id))
            transaction.hkeys(self._key("leaving:", person_id))
            present, leaving = transaction.execute()
        return set(present) | set(leaving)

    def connections_of_person(self, person_id: str) -> set[str]:
        return cast(set[str], self._redis.smembers(self._key("person-connections:", person_id)))

    def members(self, room: str) -> list[Member]:
        return sorted(
            (_member(*found) for found in self._members(args=[self.prefix, room])),
            key=lambda member: name_key(member.name),
        )

    def occupied(self, room: str) -> bool:
        return bool(self._redis.exists(self._key("room:", room)))

    @property
    def people(self) -> int:
        return self._redis.hlen(self._key("names"))

    @property
    def connections(self) -> int:
        return self._redis.hlen(self._key("connections"))

    def heartbeat(self) -> bool:
        with self._redis.pipeline() as transaction:
            transaction.zadd(self._key("hosts"), {self.host_id: self._clock()})
            transaction.delete(self._key("dead-host:", self.host_id))
            _, dropped, _, epoch = self._read_epoch(transaction)
        # A new epoch: Redis lost everything (a restart without persistence), this process's
        # connections with it, so they must reconnect too. Not the hosts entry: a connection
        # made since the loss adds it back.
        lost, self._epoch = epoch != self._epoch, epoch
        return not dropped and not lost

    def drop_silent_hosts(self) -> tuple[list[base.Departure], int]:
        """Drop the connections of other processes silent too long; return (departures, connections dropped).

        Every other process whose heartbeat is more than ``host_timeout`` seconds old loses
        its connections, as if each had disconnected: their people get the grace period
        too, and those with none leave now, in the departures. Only the one call that drops
        a host counts its connections, so each is counted once among all processes.
        """
        cutoff = self._clock() - self.host_timeout
        departures: list[base.Departure] = []
        dropped = 0
        silent = cast(list[str], self._redis.zrangebyscore(self._key("hosts"), "-inf", f"({cutoff!r}"))  # "(": before
        for host in silent:
            if host != self.host_id:  # this process is running, whatever its last heartbeat says
                count, gone = self._drop_host(args=[self.prefix, host, cutoff, self._deadline(), DEAD_HOST_MEMORY])
                departures += [(room, _member(person_id, name, guest)) for person_id, name, guest, room in gone]
                dropped += count
        return departures, dropped

    def expire(self) -> list[base.Departure]:
        """End grace periods that ran out; return those (room, member) departures.

        First drop the connections of silent processes (``drop_silent_hosts``): those
        departures are reported here too.
        """
        departures, _ = self.drop_silent_hosts()
        ended = self._end_grace(args=[self.prefix, self._clock()])
        return departures + [(room, _member(person_id, name, guest)) for person_id, name, guest, room in ended]
