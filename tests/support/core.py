"""The chat's core (chat/core/) without a socket: a fake port that records, and a chat built on it.

``make_chat`` opens the local stores (a temporary SQLite file) with ``chat.stores.open_stores``,
on the fake clock of ``support.clock``, and builds ``Chat`` with a ``FakePort``; ``connect``
connects a connection as a client would, through the core's handshake.
"""

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import Flask

from chat import settings
from chat.core import Chat
from chat.identity import issue_token
from chat.model import full_person_group

from . import TEST_SETTINGS
from .clock import Clock


@dataclass
class Record:
    """One event the core (or a store) sent: to whom, what, and who heard it at that moment."""

    to: Any
    event: str
    data: Any
    heard_by: frozenset


class FakePort:
    """A port that records each event with the connections that would have heard it, and keeps the groups."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.groups: dict[str, set[str]] = defaultdict(set)
        self.disconnected: list[str] = []
        self.closed: list[tuple[str, str, Any]] = []

    def _send(self, to: Any, event: str, data: Any, skip: Any = None) -> None:
        targets = [to] if isinstance(to, str) else list(to)
        heard = set()
        for target in targets:
            heard |= self.groups[target] if target in self.groups else {target}
        skipped = {skip} if isinstance(skip, str) else set(skip or ())
        self.records.append(Record(to, event, data, frozenset(heard - skipped)))

    def emit(self, event: str, data: Any, to: Any = None, skip_sid: Any = None, **_: Any) -> None:
        """Record what a store delivers (the stores' ``emit``)."""
        self._send(to, event, data, skip_sid)

    def to_connection(self, connection: str, event: str, data: Any) -> None:
        self._send(connection, event, data)

    def to_groups(self, groups: Any, event: str, data: Any, skip: Any = None) -> None:
        self._send(groups, event, data, skip)

    def to_person(self, person_id: str, event: str, data: Any, skip: Any = None) -> None:
        self._send(full_person_group(person_id), event, data, skip)

    def join(self, connection: str, group: str) -> None:
        self.groups[group].add(connection)

    def leave(self, connection: str, group: str) -> None:
        self.groups[group].discard(connection)

    def disconnect(self, connection: str) -> None:
        self.disconnected.append(connection)

    def close_now(self, connection: str, event: str, data: Any) -> None:
        self.closed.append((connection, event, data))

    def heard(self, connection: str, event: str | None = None) -> list[Any]:
        """Return the payloads ``connection`` heard (of ``event`` only, if given), oldest first."""
        return [r.data for r in self.records if connection in r.heard_by and event in (None, r.event)]

    def events(self, event: str) -> list[Record]:
        """Return the records of ``event``, oldest first."""
        return [r for r in self.records if r.event == event]

    def clear(self) -> None:
        """Forget what was sent so far (the groups stay)."""
        self.records.clear()


def config(tmp_path, **overrides):
    """Return a full configuration mapping, as create_app would read it, with the history in ``tmp_path``."""
    app = Flask("core-test")
    settings.load(app, {**TEST_SETTINGS, "HISTORY_DATABASE": str(tmp_path / "chat.sqlite3"), **overrides})
    return app.config


def make_chat(tmp_path, clock: Clock, wall: Clock | None = None, **overrides) -> tuple[Chat, FakePort]:
    """Return a chat on the local stores in ``tmp_path`` and its fake port; ``clock`` times limits and expiries."""
    from chat.core import Settings
    from chat.guests import Guests
    from chat.identity import Tokens
    from chat.stores import open_stores

    conf = config(tmp_path, **overrides)
    port = FakePort()
    stores = open_stores(conf, port.emit, clock, wall or time.time)
    chat = Chat(
        stores,
        port,
        Settings.from_config(conf),
        tokens=Tokens.from_config(conf) if conf["TOKENS"] else None,
        guests=Guests(conf["SECRET_KEY"], conf["GUEST_LIFETIME_DAYS"] * 86400, wall or time.time),
        dm_key=b"k" * 32,
        clock=clock,
        wall_clock=wall or time.time,
    )
    return chat, port


def token(person_id: str, name: str, roles=()) -> str:
    """Return a signed token for the test secret."""
    from support import TEST_SECRET

    return issue_token(TEST_SECRET, person_id, name, roles=roles)


def connect(chat: Chat, sid: str, auth: dict | None = None, address: str = "203.0.113.1"):
    """Connect ``sid`` with handshake ``auth`` (None: the original protocol) as the connect handler does; return its member."""
    handshake = chat.connections.handshake(auth)
    member, departures = chat.connections.connect(sid, handshake, address, None)
    chat.connections.arrive(sid, handshake, member, departures)
    return member


def full(chat: Chat, sid: str, name: str, rooms=("general",), **auth):
    """Connect ``sid`` as a full-protocol guest named ``name``, in ``rooms``; return its member."""
    return connect(chat, sid, {"protocol": 2, "name": name, "rooms": list(rooms), **auth})


def signed(chat: Chat, sid: str, person: str, name: str, rooms=("general",), roles=()):
    """Connect ``sid`` as the signed person ``person`` named ``name``, in ``rooms``; return its member."""
    return connect(chat, sid, {"protocol": 2, "token": token(person, name, roles), "rooms": list(rooms)})
