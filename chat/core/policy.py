"""The access policy: who may read a conversation, write in it, change a message in it, moderate it.

A conversation is a chat room or a direct message (DM). Every core operation that names one
asks this policy first, and only this policy decides. Its decisions, by kind of request:

- read (history, typing, entering a DM): a room's connections that are in it; a DM's two people;
- write (sending): as read, and not muted in the room;
- change (edits, deletions, reactions): as read;
- belong (read markers, seen-by, unread counts): a person who belongs to the room (its
  current connections' rooms, and with signed identities the rooms joined and not left),
  or one of a DM's two people;
- enter (joining a room): the room exists and the person is not banned from it;
- moderate: signed identities only; a server administrator anywhere, a room's owner in it.

Anyone but a DM's two people is refused ``not_found``, as for a DM that does not exist.
These are today's decisions, holes included: the tests named after each hole
(tests/unit/test_core_policy.py) say what a later change closes.
"""

from collections.abc import Callable

from ..model import ChatError, Member, banned, muted, no_such_conversation, not_a_moderator, not_in_room
from ..stores import base
from ..validation import is_dm
from .config import Settings


class Policy:
    """Decide every request about a conversation; raise ChatError to refuse it."""

    def __init__(
        self,
        settings: Settings,
        presence: base.Presence,
        rooms: base.Rooms,
        dms: base.DirectMessages,
        reads: base.Reads,
        moderation: base.Moderation,
        signed: bool,
        wall_clock: Callable[[], float],
    ) -> None:
        self._default_room = settings.default_room
        self._presence = presence
        self._rooms = rooms
        self._dms = dms
        self._reads = reads
        self._moderation = moderation
        self.signed = signed  # signed identities (TOKENS): bans, mutes, owners and lasting belonging
        self._wall_clock = wall_clock

    def person(self, connection: str) -> Member:
        """Return the person behind ``connection``."""
        member: Member = self._presence.member(connection)
        return member

    def is_dm_party(self, connection: str, dm: str) -> bool:
        """Return whether the person behind ``connection`` is one of ``dm``'s two."""
        people = self._dms.people(dm)
        return people is not None and self.person(connection).id in people

    def require_dm_party(self, connection: str, dm: str) -> Member:
        """Return the person behind ``connection``; raise ``not_found`` unless one of ``dm``'s two."""
        if not self.is_dm_party(connection, dm):
            raise no_such_conversation(dm)
        return self.person(connection)

    def require_read(self, connection: str, conversation: str) -> Member:
        """Return the person behind ``connection`` if it may read ``conversation``: in the room, or a DM's party."""
        if is_dm(conversation):
            return self.require_dm_party(connection, conversation)
        self._presence.require_in(connection, conversation)
        return self.person(connection)

    def require_write(self, connection: str, conversation: str) -> Member:
        """Return the person behind ``connection`` if it may send to ``conversation``: may read it, not muted."""
        member = self.require_read(connection, conversation)
        self.require_not_muted(conversation, member.id)
        return member

    def require_change(self, connection: str, conversation: str) -> Member:
        """Return the person behind ``connection`` if it may edit, delete or react in ``conversation``.

        Today as for reading: a mute does not stop edits nor reactions (a known hole).
        """
        return self.require_read(connection, conversation)

    def belongs(self, person_id: str, connection: str) -> list[str]:
        """Return the rooms the person belongs to, sorted; only rooms that exist (no DMs).

        Their current connections' rooms, and ``connection``'s; with signed identities also
        the rooms they joined and did not leave (kept in the Reads store, through a ban too:
        a known hole).
        """
        rooms = set(self._presence.rooms_of_person(person_id)) | set(self._presence.rooms_of(connection))
        if self.signed:
            rooms |= set(self._reads.belongs(person_id))
        return sorted(room for room in rooms if room in self._rooms)

    def require_belonging(self, connection: str, conversation: str) -> Member:
        """Return the person behind ``connection`` if they belong to ``conversation`` (read markers, seen-by).

        ``not_in_room`` for a room; ``not_found`` for a DM, as for one that does not exist.
        """
        if is_dm(conversation):
            return self.require_dm_party(connection, conversation)
        member = self.person(connection)
        if conversation not in self.belongs(member.id, connection):
            raise not_in_room(conversation)
        return member

    def require_enter(self, connection: str, room: str) -> None:
        """Raise ChatError unless ``room`` exists and the person behind ``connection`` is not banned from it."""
        self._rooms.require(room)
        if self.signed:
            self.require_not_banned(room, self.person(connection).id)

    def require_not_banned(self, room: str, person_id: str) -> None:
        """Raise ChatError ``banned`` if the person is banned from ``room`` now; nothing without signed identities."""
        if self.signed and (until := self._moderation.until("ban", room, person_id)) is not None:
            raise banned(room, until, self._wall_clock())

    def require_not_muted(self, room: str, person_id: str) -> None:
        """Raise ChatError ``muted`` if the person is muted in ``room`` now; nothing without signed identities."""
        if self.signed and (until := self._moderation.until("mute", room, person_id)) is not None:
            raise muted(room, until, self._wall_clock())

    def require_moderate(self, connection: str, room: str, admin: bool) -> Member:
        """Return the person behind ``connection`` if they may moderate ``room``: an administrator, or its owner."""
        if not self.signed:
            raise not_a_moderator("moderation needs signed identities, and this server runs without them (TOKENS)")
        self._rooms.require(room)
        member = self.person(connection)
        if admin:
            return member
        if room == self._default_room:
            raise not_a_moderator(f"only a server administrator may moderate the default room {room!r}")
        if self._moderation.owner(room) != member.id:
            raise not_a_moderator(f"only the owner of the room {room!r} or a server administrator may moderate it")
        return member

    def refuse_self(self, member: Member, target: str) -> None:
        """Raise ChatError unless ``target`` (a person id) is someone other than ``member``: none bans or mutes oneself."""
        if target == member.id:
            raise ChatError("bad_arguments", "you cannot ban or mute yourself")
