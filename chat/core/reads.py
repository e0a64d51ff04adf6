"""Read markers: mark-read and seen-by; unread counts, read markers and receipts.

A person's marker in a room is "read up to id", shared by all their connections. Who
belongs to a room is the policy's (chat/core/policy.py ``belongs``); a person belongs to each
of their DMs too, signed or guest: a DM's markers, receipts, seen-by and mentions work as a
room's. Receipts go to a message's sender only, at most one per sender per move of a marker,
and only for the newest RECEIPTS_SCAN messages the marker passed: a room of any size costs a
reader's move at most that many messages read and one receipt per sender among them.
"""

from collections.abc import Iterable
from typing import Any

from ..model import Member
from ..stores import base
from .config import Settings
from .policy import Policy
from .port import Port


class Reads:
    """Move read markers, say who has read a message, count what is unread."""

    def __init__(
        self,
        port: Port,
        policy: Policy,
        settings: Settings,
        rooms: base.Rooms,
        history: base.History,
        reads: base.Reads,
        dms: base.DirectMessages,
        read_limit: base.FloodControl,
    ) -> None:
        self._port = port
        self._policy = policy
        self._settings = settings
        self._rooms = rooms
        self._history = history
        self._reads = reads
        self._dms = dms
        self._read_limit = read_limit

    def unread(self, person_id: str, conversation: str) -> dict[str, int]:
        """Return the person's unread count in ``conversation``: {"count", "mentions", "readUpTo"}."""
        upto: int = self._reads.marker(person_id, conversation)
        return {
            "count": max(0, self._history.last_id(conversation) - upto),
            "mentions": self._reads.mentions_after(person_id, conversation, upto),
            "readUpTo": upto,
        }

    def unread_on_connect(self, connection: str, member: Member, entering: Iterable[str]) -> dict[str, dict[str, int]]:
        """Return ``welcome``'s unread counts: {room: unread(...)} for every room the person belongs to or is entering.

        Their DMs are counted too: a DM's marker starts at 0, so its every message counts until read.
        A room entered for the first time starts read up to its last id, as ``entered`` makes it.
        A room the person may not enter (banned) counts for nothing, whether they name it or belong to it.
        """
        entering = [room for room in entering if room in self._rooms and self._policy.may_enter(room, member.id)]
        for room in entering:
            self._reads.start(member.id, room, self._history.last_id(room))
        rooms = set(self._policy.belongs(member.id, connection)) | set(entering)
        rooms |= {dm for dm, _ in self._dms.of_person(member.id)}
        return self._unread_in(member.id, sorted(rooms))

    def _unread_in(self, person_id: str, conversations: list[str]) -> dict[str, dict[str, int]]:
        """Return ``{conversation: unread(person_id, conversation)}``: one query per kind, whatever their number."""
        markers = self._reads.markers(person_id, conversations)
        last_ids = self._history.last_ids(conversations)
        mentions = self._reads.unread_mentions(person_id, conversations)
        return {
            room: {
                "count": max(0, last_ids[room] - markers[room]),
                "mentions": mentions[room],
                "readUpTo": markers[room],
            }
            for room in conversations
        }

    def entered(self, member: Member, room: str) -> None:
        """Record that ``member`` entered ``room``: a first marker at its last id, and (signed) their belonging."""
        self._reads.start(member.id, room, self._history.last_id(room))
        if self._policy.signed:
            self._reads.join(member.id, room)

    def left(self, member: Member, room: str) -> None:
        """Record that ``member`` left ``room`` (or was removed): a signed person no longer belongs to it."""
        self.ended(member.id, room)

    def ended(self, person_id: str, room: str) -> None:
        """End the belonging of a signed person to ``room``, online or not (they left it, or were banned from it)."""
        if self._policy.signed:
            self._reads.leave(person_id, room)

    def take_allowance(self, connection: str) -> bool:
        """Take a token from ``connection``'s read allowance; return False if none was left (drop the request)."""
        return not self._read_limit.take(connection)

    def mark(self, connection: str, conversation: str, upto: int) -> dict[str, Any]:
        """Move ``connection``'s person's marker in ``conversation`` forward to ``upto``; return the acknowledgement.

        The marker never goes back, nor past the last id. When it moves, every connection of
        the person gets ``read-marker``, and the senders of the messages it passed a ``receipt``.
        """
        member = self._policy.require_belonging(connection, conversation)
        upto = min(upto, self._history.last_id(conversation))
        previous = self._reads.mark(member, conversation, upto)
        counts = self.unread(member.id, conversation)
        if previous is None:
            return {
                "room": conversation,
                "id": counts["readUpTo"],
                "unread": counts["count"],
                "mentions": counts["mentions"],
                "moved": False,
            }
        marker = {"room": conversation, "id": upto, "unread": counts["count"], "mentions": counts["mentions"]}
        self._port.to_person(member.id, "read-marker", marker)
        self._send_receipts(conversation, member, previous, upto)
        return {**marker, "moved": True}

    def _send_receipts(self, conversation: str, reader: Member, previous: int, upto: int) -> None:
        """Tell each sender of a message ``reader`` passed (after ``previous``, up to ``upto``) once, with their newest."""
        messages, _ = self._history.latest(conversation, min(self._settings.receipts_scan, upto - previous), upto)
        newest: dict[str, int] = {}
        for message in messages:
            if message.id > previous and message.user.id != reader.id:
                newest[message.user.id] = message.id
        for sender, newest_id in newest.items():
            self._port.to_person(sender, "receipt", {"room": conversation, "id": newest_id, "by": reader.as_dict()})

    def seen_by(self, connection: str, conversation: str, upto: int) -> dict[str, Any]:
        """Return who has read ``conversation`` up to message ``upto`` or past it: at most SEEN_BY_MAX, and ``more``."""
        self._policy.require_belonging(connection, conversation)
        readers, more = self._reads.readers(conversation, upto, self._settings.seen_by_max)
        return {"room": conversation, "id": upto, "by": [reader.as_dict() for reader in readers], "more": more}
