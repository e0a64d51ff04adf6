"""Announcements several concerns make: typing started or stopped, a person leaving a room."""

from ..model import Member, room_group
from ..stores import base
from ..validation import is_dm
from .port import Groups, Port


class Announce:
    """Tell a room (or a DM's two people) about typing and departures, through the port."""

    def __init__(
        self, port: Port, presence: base.Presence, rooms: base.Rooms, typing: base.Typing, dms: base.DirectMessages
    ) -> None:
        self._port = port
        self._presence = presence
        self._rooms = rooms
        self._typing = typing
        self._dms = dms

    def audience(self, conversation: str) -> list[str] | None:
        """Return the groups a DM's messages and typing go to (both people's), or None for a room."""
        if not is_dm(conversation):
            return None
        groups: list[str] = self._dms.groups(conversation)
        return groups

    def typing(self, conversation: str, member: Member, is_typing: bool) -> None:
        """Tell the room, or a DM's two people, that ``member`` started or stopped typing; not the typist's connections."""
        to: Groups = self.audience(conversation) or room_group(conversation)
        self._port.to_groups(
            to,
            "typing",
            {"room": conversation, "user": member.as_dict(), "typing": is_typing},
            skip=list(self._presence.connections_of_person(member.id)),
        )

    def departure(self, room: str, member: Member) -> None:
        """Tell a room that a person left it, and end their typing there."""
        if self._typing.stop(room, member.id):
            self.typing(room, member, False)
        self._port.to_groups(room_group(room), "member-left", {"room": room, "user": member.as_dict()})
        self._rooms.occupied(room, self._presence.occupied(room))
