"""Expiry: end what has run out, and announce it through the port.

Grace periods, typing states, idle rooms, expired tokens, processes given up for dead (with
Redis), and gaps in live delivery; and the history's retention. The loop that runs this
once a second lives beside the Socket.IO side (chat/sweeper.py).
"""

from dataclasses import dataclass, field

from ..identity import TokenExpiry
from ..model import FULL, SEED, Member
from ..stores import base
from .announce import Announce
from .config import Settings
from .port import Port

USER_LEFT = {"message": "A user left the chat"}
TOKEN_EXPIRED = {
    "event": "connect",
    "error": "your token has expired: connect again with a new one",
    "code": "token_expired",
}
ERROR_EVENT = "chat-error"


@dataclass
class Swept:
    """What one sweep ended, each already announced."""

    departures: list[tuple[str, Member]] = field(default_factory=list)  # (room, person who left it)
    typing_ended: list[tuple[str, Member]] = field(default_factory=list)  # (room, person who stopped typing)
    rooms_removed: list[str] = field(default_factory=list)
    dropped: int = 0  # connections of processes given up for dead
    tokens_expired: list[str] = field(default_factory=list)  # this process's connections ended for it


class Expiry:
    """Sweep what has run out, and apply the history's retention."""

    def __init__(
        self,
        port: Port,
        announce: Announce,
        settings: Settings,
        presence: base.Presence,
        rooms: base.Rooms,
        typing: base.Typing,
        history: base.History,
        changes: base.Changes,
        delivery: base.Delivery,
        reads: base.Reads,
        moderation: base.Moderation,
        token_expiry: TokenExpiry | None,
    ) -> None:
        self._port = port
        self._announce = announce
        self._settings = settings
        self._presence = presence
        self._rooms = rooms
        self._typing = typing
        self._history = history
        self._changes = changes
        self._delivery = delivery
        self._reads = reads
        self._moderation = moderation
        self._token_expiry = token_expiry

    def heartbeat(self) -> bool:
        """Tell the other processes this one lives; return False if they had given it up for dead.

        Then they dropped its connections: the caller lets its clients reconnect, so they
        come back as new connections the others know of.
        """
        return bool(self._presence.heartbeat())

    def sweep(self) -> Swept:
        """End grace periods, typing states, idle rooms and expired tokens; announce each; return what ended.

        Connections dropped are those of other processes given up for dead (with Redis),
        which never disconnect here: their seed audience is told they left, as a disconnect
        would, through the queue to the seed clients of every process.
        """
        self._delivery.repair()
        removed: list[str] = self._rooms.expire()
        for room in removed:
            self.remove_room(room)
        departures, dropped = self._presence.drop_silent_hosts()
        swept = Swept(departures + self._presence.expire(), self._typing.expire(), removed, dropped)
        for _ in range(dropped):
            self._port.to_groups(SEED, "user-left", USER_LEFT)
        for room, member in swept.departures:
            self._announce.departure(room, member)
        for room, member in swept.typing_ended:
            self._announce.typing(room, member, False)
        for room in removed:
            self._port.to_groups(FULL, "room-removed", {"room": room})
        for connection in self._token_expiry.expire() if self._token_expiry else ():
            # This process's own connection: straight to it, not through the queue, so the
            # chat-error is sent before the disconnect, not after it.
            self._port.close_now(connection, ERROR_EVENT, TOKEN_EXPIRED)
            swept.tokens_expired.append(connection)
        return swept

    def remove_room(self, room: str) -> None:
        """Forget everything that belonged to ``room``, which the rooms store has just removed.

        Its messages, change records, read markers, memberships, mentions, owner, bans, mutes
        and record of actions go: a room of that name made later is its maker's, and shows
        none of its past. Its two counters stay (the stores keep them), so its message ids and
        change numbers carry on, and a client's stored ``lastSeen`` or ``lastChange`` never
        points into the new room.
        """
        self._history.remove_room(room)
        self._changes.remove_room(room)
        self._reads.remove_room(room)
        self._moderation.remove_room(room)

    def retain(self) -> int:
        """Apply the retention settings to the history, and delete ended bans and mutes; return how many messages went."""
        gone: int = self._history.retain(self._settings.retention_messages, self._settings.retention_seconds)
        self._moderation.expire()
        return gone
