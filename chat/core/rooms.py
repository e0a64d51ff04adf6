"""Rooms: list, create, enter and leave them; rename a person; a room's history for a newcomer."""

from typing import Any

from ..model import FULL, ChatError, Member, person_group, room_group, too_many_rooms_here
from ..stores import base
from ..validation import is_dm
from .announce import Announce
from .changes import Changes
from .config import Settings
from .dms import DirectMessages
from .moderation import Moderation
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
        """Create room ``name`` for ``connection``'s person (its owner, if signed); tell every full-protocol client."""
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
        """Send the history as ``_send_history`` does; then, with ``last_change``, the changes since to what it had."""
        self._send_history(connection, room, after, upto)
        if last_change is not None:
            # After the join: a change made meanwhile arrives live as well (applying one twice changes nothing).
            self._changes.send_since(connection, room, last_change, after)

    def _send_history(self, connection: str, room: str, after: int | None, upto: int | None = None) -> None:
        """Send ``connection`` ``room``'s latest messages, or all those after id ``after`` (up to ``upto``)."""
        history = self._history
        # The room's change number as of this history, read before it: a change in between comes again, harmlessly.
        since = self._changes.last_change(room)
        changed = {"lastChange": since} if since else {}
        if after is None:
            messages, more = history.latest(room, self._settings.history_limit, upto)
            self._port.to_connection(
                connection,
                "history",
                {"room": room, "messages": [m.as_dict() for m in messages], "more": more, **changed},
            )
            return
        first = history.first_id(room)
        gap = (first if first is not None else history.last_id(room) + 1) > after + 1
        while True:
            messages, more = history.after(room, after, CATCH_UP_CHUNK, upto)
            self._port.to_connection(
                connection,
                "history",
                {
                    "room": room,
                    "messages": [m.as_dict() for m in messages],
                    "after": after,
                    "gap": gap,
                    "more": more,
                    **changed,
                },
            )
            if not more:
                return
            after, gap = messages[-1].id, False
