"""The access policy: who may read a conversation, write in it, change a message in it, moderate it.

A conversation is a chat room or a direct message (DM). Every core operation that names one
(or a message in one) asks this policy first, before it reads anything of the conversation,
and only this policy decides. Its decisions, by kind of request:

- read (history, entering a DM, stopping typing): a room's connections that are in it; a DM's
  two people;
- write (every way of speaking: sending, editing, reacting, typing): as read, and not muted in
  the room. Taking words back is not speaking (deleting one's own message, taking away
  one's reaction, stopping typing: nothing is added), so a mute does not stop it:
  ``require_change`` is read access;
- belong (read markers, seen-by, unread counts): a person who belongs to the room (its
  current connections' rooms, and with signed identities the rooms joined and not left) and
  is not banned from it, or one of a DM's two people. A ban also ends the belonging the Reads
  store keeps (chat/core/moderation.py), so it does not come back when the ban ends;
- enter (joining a room): the room exists and the person is not banned from it;
- moderate: signed identities only; a server administrator anywhere, a room's owner in it
  while not banned from it.

A refusal reveals nothing an outsider may not know: a room's outsider is refused
``not_in_room`` and a DM's ``not_found`` (as for a DM that does not exist) whatever the message
or client id named, since nothing is looked up before the refusal.
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
        """Return the person behind ``connection`` if it may take words back in ``conversation``: may read it.

        Deleting one's own message or taking away one's reaction is not speaking, so a mute
        does not stop it; an edit or a new reaction is, and asks ``require_write``.
        """
        return self.require_read(connection, conversation)

    def belongs(self, person_id: str, connection: str) -> list[str]:
        """Return the rooms the person belongs to, sorted; only rooms that exist (no DMs), none they are banned from.

        Their current connections' rooms, and ``connection``'s; with signed identities also
        the rooms they joined and did not leave (kept in the Reads store).
        """
        rooms = self._rooms_of(person_id, connection)
        return sorted(room for room in rooms if room in self._rooms and self.may_enter(room, person_id))

    def _rooms_of(self, person_id: str, connection: str) -> set[str]:
        """Return the rooms the person's connections are in, with ``connection``'s, and (signed) those they joined."""
        rooms = set(self._presence.rooms_of_person(person_id)) | set(self._presence.rooms_of(connection))
        if self.signed:
            rooms |= set(self._reads.belongs(person_id))
        return rooms

    def may_enter(self, room: str, person_id: str) -> bool:
        """Return whether the person is not banned from ``room`` now (always, without signed identities)."""
        return not self.signed or self._moderation.until("ban", room, person_id) is None

    def require_belonging(self, connection: str, conversation: str) -> Member:
        """Return the person behind ``connection`` if they belong to ``conversation`` (read markers, seen-by).

        ``not_in_room`` for a room they do not belong to, ``banned`` for one they are banned
        from (whatever belonging a store still holds); ``not_found`` for a DM, as for one that
        does not exist.
        """
        if is_dm(conversation):
            return self.require_dm_party(connection, conversation)
        member = self.person(connection)
        if conversation not in self._rooms or conversation not in self._rooms_of(member.id, connection):
            raise not_in_room(conversation)
        self.require_not_banned(conversation, member.id)
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
        """Return the person behind ``connection`` if they may moderate ``room``: an administrator, or its owner.

        An owner banned from their room (by an administrator) is refused ``banned``: a ban ends
        every access to the room, moderating it included.
        """
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
        self.require_not_banned(room, member.id)
        return member

    def refuse_self(self, member: Member, target: str) -> None:
        """Raise ChatError unless ``target`` (a person id) is someone other than ``member``: none bans or mutes oneself."""
        if target == member.id:
            raise ChatError("bad_arguments", "you cannot ban or mute yourself")
