"""Moderation: remove anyone's message, ban and mute people in a room, and lift those.

Moderation needs signed identities (``TOKENS``): a room created by a signed person is theirs
to moderate; a server administrator (``roles`` containing ``"admin"`` in the token) may
moderate every room, the default room included (chat/core/policy.py decides). Every action is
recorded by the moderation store and shown to the room's full-protocol connections as a
``moderation`` notice; seed clients are told nothing, but are refused the same way when
banned or muted.
"""

from collections.abc import Callable, Iterable
from typing import Any

from ..model import ChatError, Member, banned, iso_time, room_group
from ..stores import base
from .announce import Announce
from .config import Settings
from .policy import Policy
from .port import Port
from .reads import Reads

ERROR_EVENT = "chat-error"


class Moderation:
    """The moderators' actions, each checked by the policy, recorded and shown to the room."""

    def __init__(
        self,
        port: Port,
        policy: Policy,
        announce: Announce,
        reads: Reads,
        settings: Settings,
        presence: base.Presence,
        changes: base.Changes,
        moderation: base.Moderation,
        wall_clock: Callable[[], float],
    ) -> None:
        self._port = port
        self._policy = policy
        self._announce = announce
        self._reads = reads
        self._default_room = settings.default_room
        self._presence = presence
        self._changes = changes
        self._moderation = moderation
        self._wall_clock = wall_clock

    def remove_message(self, connection: str, admin: bool, room: str, message_id: int) -> dict[str, Any]:
        """Delete anyone's message in ``room``; return the change with its ``notice``.

        Everyone in the room gets ``message-deleted`` (the history keeps a tombstone), then the
        ``moderation`` notice.
        """
        member = self._policy.require_moderate(connection, room, admin)
        change: dict[str, Any] = self._changes.delete(room, message_id)
        return {**change, "notice": self._notice(room, member, "remove-message", id=message_id)}

    def ban(self, connection: str, admin: bool, room: str, person: str, seconds: int, reason: str) -> dict[str, Any]:
        """Ban ``person`` from ``room`` for ``seconds`` (at most MAX_BAN_SECONDS, checked by the caller); return the notice.

        The room gets the ``moderation`` notice (the banned person's connections there too),
        then their connections leave it (``member-left``). Until the ban ends, joining the room
        is refused ``banned``; a ban from the default room refuses their connections, and ends
        those open now. The person no longer belongs to the room, online or not: once the ban
        ends, they belong again by joining it.
        """
        notice = self._restrict("ban", connection, admin, room, person, seconds, reason)
        connections = self._presence.connections_of_person(person)
        if room == self._default_room:
            now = self._wall_clock()
            refusal = {"event": "ban", **banned(room, now + seconds, now).as_dict()}
            for other in connections:
                # Told why first: a client the server disconnects does not come back by itself.
                self._port.to_connection(other, ERROR_EVENT, refusal)
                self._port.disconnect(other)  # on another process too: through the message queue
        else:
            self._remove(room, connections)
        # Offline too: their belonging (unread counts, seen-by, mark-read) ends now, and does not come back with the ban's end.
        self._reads.ended(person, room)
        return notice

    def mute(self, connection: str, admin: bool, room: str, person: str, seconds: int, reason: str) -> dict[str, Any]:
        """Mute ``person`` in ``room`` for ``seconds``; return the notice.

        The room gets the ``moderation`` notice. Until the mute ends, the person's sends to the
        room (``send-message``, and ``newMessage`` in the default room) are refused ``muted``.
        """
        return self._restrict("mute", connection, admin, room, person, seconds, reason)

    def lift(self, kind: str, connection: str, admin: bool, room: str, person: str) -> dict[str, Any]:
        """End ``person``'s ban or mute (``kind``) in ``room``; return the notice the room gets."""
        member = self._policy.require_moderate(connection, room, admin)
        if not self._moderation.lift(kind, room, person):
            raise ChatError(
                "not_found", f"{person!r} is not {'banned from' if kind == 'ban' else 'muted in'} the room {room!r}"
            )
        return self._notice(room, member, "un" + kind, person=self._as_seen(person))

    def log(self, connection: str, admin: bool, room: str, limit: int) -> list[dict[str, Any]]:
        """Return ``room``'s latest ``limit`` recorded actions, oldest first, each with its time ``ts`` in ms."""
        self._policy.require_moderate(connection, room, admin)
        actions: list[dict[str, Any]] = self._moderation.log(room, limit)
        return actions

    def claim(self, connection: str, room: str) -> None:
        """Make ``connection``'s person the owner of ``room``, which they just created, if they are signed."""
        if self._policy.signed:
            self._moderation.set_owner(room, self._policy.person(connection).id)

    def owner_of(self, room: str) -> dict[str, str]:
        """Return ``{"owner": person id}`` for a room with an owner, else {} (and always {} without tokens)."""
        owner = self._moderation.owner(room) if self._policy.signed else None
        return {"owner": owner} if owner else {}

    def _restrict(
        self, kind: str, connection: str, admin: bool, room: str, person: str, seconds: int, reason: str
    ) -> dict[str, Any]:
        """Ban or mute (``kind``) ``person`` in ``room``; return the notice."""
        member = self._policy.require_moderate(connection, room, admin)
        self._policy.refuse_self(member, person)
        until = self._wall_clock() + seconds
        self._moderation.restrict(kind, room, person, until)
        return self._notice(
            room, member, kind, person=self._as_seen(person), until=iso_time(until), seconds=seconds, reason=reason
        )

    def _as_seen(self, person: str) -> dict[str, Any]:
        """Return the person ``person`` (an id) as others see them: as they are online, or by id alone."""
        for connection in self._presence.connections_of_person(person):
            try:
                seen: dict[str, Any] = self._presence.member(connection).as_dict()
            except KeyError:  # gone meanwhile
                continue
            return seen
        return {"id": person}

    def _notice(self, room: str, member: Member, action: str, **details: Any) -> dict[str, Any]:
        """Record a moderation action in ``room`` and show it there as a ``moderation`` notice; return the notice."""
        notice = {
            "room": room,
            "action": action,
            "by": member.as_dict(),
            **{key: value for key, value in details.items() if value not in (None, "")},
        }
        self._moderation.record(room, {**notice, "ts": int(self._wall_clock() * 1000)})
        self._port.to_groups(room_group(room), "moderation", notice)
        return notice

    def _remove(self, room: str, connections: Iterable[str]) -> None:
        """Take ``connections`` (of one person, on any process) out of ``room``; tell the room if the person left."""
        for connection in connections:
            try:
                member, left = self._presence.exit(connection, room)
            except (ChatError, KeyError):  # not in it, or gone meanwhile
                continue
            self._port.leave(connection, room_group(room))
            if left:
                self._announce.departure(room, member)
                self._reads.left(member, room)
