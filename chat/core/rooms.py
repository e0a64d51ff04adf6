"""Rooms: list, create, enter and leave them; rename a person; a room's history for a newcomer."""

from collections.abc import Iterator
from typing import Any

from ..model import FULL, ChatError, Member, person_group, room_exists, room_group, too_many_rooms_here
from ..stores import base
from ..validation import is_dm
from .announce import Announce
from .changes import Changes
from .config import Settings
from .creations import Creations
from .dms import DirectMessages
from .moderation import Moderation
from .pages import newest_within
from .policy import Policy
from .port import Port
from .reads import Reads

CATCH_UP_CHUNK = 500  # messages per ``history`` event of a catch-up


class Rooms:
    """Create, enter, leave and list rooms; rename people."""

    def __init__(
        self,
        port: Port,
        policy: Policy,
        announce: Announce,
        settings: Settings,
        presence: base.Presence,
        rooms: base.Rooms,
        history: base.History,
        delivery: base.Delivery,
        dms: DirectMessages,
        changes: Changes,
        reads: Reads,
        moderation: Moderation,
        creations: Creations,
    ) -> None:
        self._port = port
        self._policy = policy
        self._announce = announce
        self._settings = settings
        self._presence = presence
        self._rooms = rooms
        self._history = history
        self._delivery = delivery
        self._dms = dms
        self._changes = changes
        self._reads = reads
        self._moderation = moderation
        self._creations = creations

    @property
    def default(self) -> str:
        """Return the default room's name: where every client starts, and clients of the original protocol live."""
        return self._settings.default_room

    def names(self) -> list[str]:
        """Return every room's name."""
        names: list[str] = self._rooms.names()
        return names

    def counts(self) -> list[dict[str, Any]]:
        """Return every room with how many people are in it."""
        return [{"name": room, "people": len(self._presence.members(room))} for room in self._rooms.names()]

    def create(self, connection: str, name: str) -> str:
        """Create room ``name`` for ``connection``'s person (its owner, if signed); tell every full-protocol client.

        It counts against the person's and their address's creation limits (chat/core/creations.py),
        unless the name is taken: a refusal for that costs nothing.
        """
        if name in self._rooms:
            raise room_exists(name)
        self._creations.take_room(connection, self._policy.person(connection).id)
        room: str = self._rooms.create(name)
        self._history.add_room(room)
        self._moderation.claim(connection, room)
        self._port.to_groups(FULL, "room-created", {"room": room})
        return room

    def enter(
        self, connection: str, full: bool, room: str, after: int | None = None, last_change: int | None = None
    ) -> None:
        """Put ``connection`` in ``room`` (which must exist), announcing a newcomer.

        A full-protocol client gets the room's presence, then its history: the latest
        messages, or with ``after`` every message after that id. The delivery makes that
        history and the room's live messages meet: none twice, none missed. With
        ``last_change``, the changes since then to the messages it had (up to ``after``) follow.
        A DM (``room`` a DM id) gives its history (and changes) alone: its people are not
        announced, and need not join.
        """

        def send(upto: int | None) -> None:
            self._send_history_and_changes(connection, room, after, upto, last_change)

        if is_dm(room):
            self._dms.enter(connection, room, send)
            return
        self._policy.require_enter(connection, room)
        rooms = self._presence.rooms_of(connection)
        if room in rooms:
            raise ChatError("already_in_room", f"you are in the room {room!r} already")
        if len(rooms) >= self._settings.rooms_per_connection:
            raise too_many_rooms_here(len(rooms))
        member, is_new = self._presence.enter(connection, room)
        self._rooms.occupied(room, True)
        if is_new:
            self._port.to_groups(
                room_group(room), "member-joined", {"room": room, "user": member.as_dict()}, skip=connection
            )
        if not full:
            return
        self._reads.entered(member, room)
        members = [m.as_dict() for m in self._presence.members(room)]
        self._port.to_connection(
            connection, "presence", {"room": room, "members": members, **self._moderation.owner_of(room)}
        )
        self._delivery.enter(room, lambda: self._port.join(connection, room_group(room)), send)

    def leave(self, connection: str, room: str) -> None:
        """Take ``connection`` out of ``room``; the others there are told if the person left.

        A DM cannot be left (its messages reach both people's connections): with its id, only
        the access check is made.
        """
        if is_dm(room):
            self._policy.require_dm_party(connection, room)
            return
        member, left = self._presence.exit(connection, room)
        self._port.leave(connection, room_group(room))
        if left:
            self._announce.departure(room, member)
            self._reads.left(member, room)

    def rename(self, connection: str, name: str) -> Member:
        """Rename ``connection``'s person, unless names come from signed identities; return them renamed."""
        if self._policy.signed:
            raise ChatError("rename_refused", "names come from your sign-in here: change it there")
        return self.rename_person(connection, name)

    def rename_person(self, connection: str, name: str) -> Member:
        """Rename ``connection``'s person; tell everyone sharing a room with them, and their connections."""
        member, previous = self._presence.rename(connection, name)
        audience = [person_group(member.id)] + [room_group(room) for room in self._presence.rooms_of_person(member.id)]
        self._port.to_groups(audience, "member-renamed", {"user": member.as_dict(), "previous": previous})
        renamed: Member = member
        return renamed

    def enter_dms(
        self, connection: str, person_id: str, dms: dict[str, tuple[int | None, int | None]]
    ) -> list[tuple[str, ChatError]]:
        """Put a connecting ``connection`` in its person's DM audience, with the history of each of ``dms``.

        ``dms`` maps each DM asked for to (``after``, ``last_change``), as ``enter`` takes
        them; each history is met with the DM's live delivery (chat/core/dms.py
        ``enter_on_connect``). Return the DMs refused, with why.
        """

        def send(dm: str, upto: int | None) -> None:
            after, last_change = dms[dm]
            self._send_history_and_changes(connection, dm, after, upto, last_change)

        return self._dms.enter_on_connect(connection, person_id, list(dms), send)

    def _send_history_and_changes(
        self, connection: str, room: str, after: int | None, upto: int | None, last_change: int | None
    ) -> None:
        """Send the history as ``_send_history`` does; then, with ``last_change``, the changes since to what it had.

        Both together stay within HISTORY_MAX_BYTES: the changes get what the history left.
        """
        left = self._send_history(connection, room, after, upto)
        if last_change is not None:
            # After the join: a change made meanwhile arrives live as well (applying one twice changes nothing).
            self._changes.send_since(connection, room, last_change, after, left)

    def _send_history(self, connection: str, room: str, after: int | None, upto: int | None = None) -> int:
        """Send ``connection`` ``room``'s latest messages, or those after id ``after`` (up to ``upto``); return the bytes left.

        Either is bounded by HISTORY_MAX_BYTES as well as by its count: the newest of the
        latest HISTORY_LIMIT messages that fit (``more``: older ones exist), or the newest
        messages after ``after`` that fit, in chunks. ``gap`` on the first chunk says some
        after ``after`` are not in it (gone under retention, or past the bound): the client
        pages back with ``history`` for those still kept.
        """
        history = self._history
        budget = self._settings.history_max_bytes
        # The room's change number as of this history, read before it: a change in between comes again, harmlessly.
        since = self._changes.last_change(room)
        changed = {"lastChange": since} if since else {}
        if after is None:
            messages, more = history.latest(room, self._settings.history_limit, upto)
            latest, left_out, size = newest_within((m.as_dict() for m in reversed(messages)), budget)
            self._port.to_connection(
                connection, "history", {"room": room, "messages": latest, "more": more or left_out, **changed}
            )
            return max(budget - size, 0)
        first = history.first_id(room)
        gap = (first if first is not None else history.last_id(room) + 1) > after + 1
        missed, left_out, size = newest_within(self._newest_first(room, after, upto), budget)
        gap = gap or left_out
        chunks = [missed[start : start + CATCH_UP_CHUNK] for start in range(0, len(missed), CATCH_UP_CHUNK)] or [[]]
        for index, chunk in enumerate(chunks):
            self._port.to_connection(
                connection,
                "history",
                {
                    "room": room,
                    "messages": chunk,
                    "after": after,
                    "gap": gap,
                    "more": index < len(chunks) - 1,
                    **changed,
                },
            )
            after, gap = chunk[-1]["id"] if chunk else after, False
        return max(budget - size, 0)

    def _newest_first(self, room: str, after: int, upto: int | None) -> Iterator[dict[str, Any]]:
        """Yield ``room``'s messages after id ``after`` (up to ``upto``), newest first, read back a chunk at a time."""
        while True:
            messages, older = self._history.latest(room, CATCH_UP_CHUNK, upto)
            for message in reversed(messages):
                if message.id <= after:
                    return
                yield message.as_dict()
            if not older or not messages:
                return
            upto = messages[0].id - 1
