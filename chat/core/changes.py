"""Changes to messages: edit and delete one's own, react to any; catching up on changes.

Editing and reacting are speaking: the policy refuses them to a muted person (``muted``), as
it does sends. Taking words back is not (deleting one's own message, taking away one's
reaction), and a mute does not stop it.

Every change is delivered by the changes store (chat/stores/base/durable.py) to the room's
full-protocol connections, numbered in the room's change sequence; seed clients are told
nothing of it. In a DM the same events go to both people's full-protocol connections.
"""

from collections.abc import Iterator
from typing import Any

from ..stores import base
from .announce import Announce
from .pages import oldest_within
from .policy import Policy
from .port import Port

CATCH_UP_CHUNK = 500  # changes per ``changes`` event of a catch-up


class Changes:
    """Edit, delete and react to messages; send a connection the changes it missed."""

    def __init__(self, port: Port, policy: Policy, announce: Announce, changes: base.Changes) -> None:
        self._port = port
        self._policy = policy
        self._announce = announce
        self._changes = changes

    def edit(self, connection: str, conversation: str, message_id: int, text: str) -> dict[str, Any]:
        """Replace the text of ``connection``'s person's own message; return the change.

        Everyone in the room, the sender included, gets ``message-edited``; in a DM, both people.
        A muted person is refused ``muted``.
        """
        member = self._policy.require_write(connection, conversation)
        change: dict[str, Any] = self._changes.edit(
            conversation, message_id, member.id, text, self._announce.audience(conversation)
        )
        return change

    def delete(self, connection: str, conversation: str, message_id: int) -> dict[str, Any]:
        """Make ``connection``'s person's own message a tombstone; return the change.

        Everyone in the room, the sender included, gets ``message-deleted``; in a DM, both
        people. A muted person may delete their own: it adds no words.
        """
        member = self._policy.require_change(connection, conversation)
        change: dict[str, Any] = self._changes.delete(
            conversation, message_id, member.id, groups=self._announce.audience(conversation)
        )
        return change

    def react(self, connection: str, conversation: str, message_id: int, emoji: str, on: bool) -> dict[str, Any] | None:
        """Add or take away ``connection``'s person's reaction ``emoji``; return the change, or None if none.

        Everyone in the room (in a DM, both people), the sender included, gets ``reaction``
        with who reacted with that emoji now; a toggle that changes nothing is sent to nobody.
        A muted person is refused ``muted`` a reaction (it carries text of its own), not taking one away.
        """
        require = self._policy.require_write if on else self._policy.require_change
        member = require(connection, conversation)
        change: dict[str, Any] | None = self._changes.react(
            conversation, message_id, member.id, emoji, on, self._announce.audience(conversation)
        )
        return change

    def last_change(self, conversation: str) -> int:
        """Return the number of the conversation's latest change (0 if none)."""
        last: int = self._changes.last_change(conversation)
        return last

    def send_since(
        self, connection: str, conversation: str, after_change: int, upto_id: int | None, max_bytes: int
    ) -> None:
        """Send ``connection`` the changes after ``after_change`` to messages up to id ``upto_id``, within ``max_bytes``.

        The oldest that fit, in chunks of ``changes`` events; ``gap`` says some changes are
        not in them, lost under retention or past ``max_bytes`` (reload the history to be
        sure of every message).
        """
        last = self._changes.last_change(conversation)
        records, more, lost = self._changes.after(conversation, after_change, upto_id, CATCH_UP_CHUNK)
        missed, left_out, _ = oldest_within(self._and_later(conversation, records, more, upto_id), max_bytes)
        gap = lost or left_out
        chunks = [missed[start : start + CATCH_UP_CHUNK] for start in range(0, len(missed), CATCH_UP_CHUNK)] or [[]]
        for index, chunk in enumerate(chunks):
            self._port.to_connection(
                connection,
                "changes",
                {
                    "room": conversation,
                    "after": after_change,
                    "changes": chunk,
                    "last": last,
                    "gap": gap,
                    "more": index < len(chunks) - 1,
                },
            )
            after_change, gap = chunk[-1]["change"] if chunk else after_change, False

    def _and_later(
        self, conversation: str, records: list[dict[str, Any]], more: bool, upto_id: int | None
    ) -> Iterator[dict[str, Any]]:
        """Yield ``records``, then (while ``more``) the later change records to messages up to ``upto_id``, in order."""
        while True:
            yield from records
            if not more or not records:
                return
            records, more, _ = self._changes.after(conversation, records[-1]["change"], upto_id, CATCH_UP_CHUNK)
