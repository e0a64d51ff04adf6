"""Messages: posting to a room or a DM, resends, history pages, typing.

A message goes to the delivery store (chat/stores/base/delivery.py), which numbers and stores
it, then delivers it in order: ``message`` with the bare text to the original protocol's
clients when it is the default room's, ``room-message`` to the room's full-protocol
connections (a DM's: both people's).
"""

from dataclasses import dataclass

from ..mentions import kept, resolved
from ..model import ChatError, Member, Message
from ..stores import base
from ..validation import is_dm, page_limit
from .announce import Announce
from .config import Settings
from .dms import DirectMessages
from .pages import message_size, newest_within
from .policy import Policy


@dataclass(frozen=True)
class Sent:
    """A message posted: ``new`` if stored and delivered now, ``duplicate`` if a resend found its original."""

    message: Message
    new: bool
    duplicate: bool = False


class Messages:
    """Post messages, answer history pages, pass typing on."""

    def __init__(
        self,
        policy: Policy,
        announce: Announce,
        settings: Settings,
        presence: base.Presence,
        history: base.History,
        delivery: base.Delivery,
        typing: base.Typing,
        reads: base.Reads,
        dms: DirectMessages,
        flood: base.FloodControl,
        typing_limit: base.FloodControl,
    ) -> None:
        self._policy = policy
        self._announce = announce
        self._settings = settings
        self._presence = presence
        self._history = history
        self._delivery = delivery
        self._typing = typing
        self._reads = reads
        self._dms = dms
        self._flood = flood
        self._typing_limit = typing_limit

    def take_flood(self, connection: str) -> None:
        """Take a token from ``connection``'s flood allowance; raise ChatError ``rate_limited`` if none is left."""
        wait = self._flood.take(connection)
        if wait:
            raise ChatError("rate_limited", f"too many messages: wait {wait:.1f} s before sending again")

    def send(self, connection: str, conversation: str, text: str, client_id: str | None, mentions: list[str]) -> Sent:
        """Post ``text`` from ``connection`` to ``conversation``.

        ``mentions`` lists the ids of people it mentions; only the conversation's members are
        kept. The policy decides first (in the room or the DM's party, not muted): a refusal
        costs a send's allowance, so probing is no cheaper than sending, and nothing is read
        before it. Then a resend, with a ``client_id`` this sender already stored in the
        conversation, returns the original, neither stored nor delivered again, and costs no
        allowance: a client id is its sender's own, so no one else's can stand for it.
        """
        try:
            member = self._policy.require_write(connection, conversation)
        except ChatError:
            self.take_flood(connection)
            raise
        if client_id is not None and (original := self._history.find(conversation, member.id, client_id)) is not None:
            return Sent(original, new=False, duplicate=True)
        self.take_flood(connection)
        return self._post(member, connection, conversation, text, client_id, mentions)

    def post_default(self, connection: str, text: str) -> Sent:
        """Post ``text`` from ``connection`` to the default room, its ``@name`` mentions resolved."""
        room = self._settings.default_room
        return self._post(self._policy.require_write(connection, room), connection, room, text)

    def _post(
        self,
        member: Member,
        connection: str,
        conversation: str,
        text: str,
        client_id: str | None = None,
        mentions: list[str] | None = None,
    ) -> Sent:
        """Store ``text`` for ``conversation`` from ``member`` (on ``connection``), whom the policy let write, and deliver it.

        ``mentions`` is the person ids the sender names, kept only for the members; None
        resolves ``@name`` in the text instead (protocol 1).
        """
        mentioned = self._mentioned(connection, conversation, text, mentions)
        message, new = self._delivery.post(
            conversation,
            member,
            text,
            client_id,
            to_seed=conversation == self._settings.default_room,
            groups=self._announce.audience(conversation),
            mentions=mentioned,
        )
        if new and mentioned:
            self._reads.mention(conversation, message.id, mentioned)
        if new and self._typing.stop(conversation, member.id):
            self._announce.typing(conversation, member, False)
        return Sent(message, new)

    def _mentioned(self, connection: str, conversation: str, text: str, mentions: list[str] | None) -> list[str]:
        """Return the person ids ``text`` mentions: those of ``mentions`` among the members, or its @names."""

        def members() -> list[Member]:
            if is_dm(conversation):
                return self._dms.members(connection, conversation)
            found: list[Member] = self._presence.members(conversation)
            return found

        if mentions is None:
            # Only text with an @ can name anyone: most messages never look at the room's members.
            return resolved(text, members(), self._settings.max_mentions) if "@" in text else []
        return kept(mentions, members(), self._settings.max_mentions) if mentions else []

    def history_page(
        self, connection: str, conversation: str, before: int | None, limit: int | None
    ) -> tuple[list[Message], bool]:
        """Return a page of ``conversation``'s messages before id ``before`` (the latest if None), and ``more``.

        ``limit`` None is HISTORY_LIMIT, refused ``bad_arguments`` (after the access check) over HISTORY_PAGE_MAX.
        The page is the newest of them that fit in HISTORY_MAX_BYTES (one message at least).
        """
        self._policy.require_read(connection, conversation)
        if limit is None:
            limit = page_limit(self._settings.history_limit, self._settings.history_page_max)
        messages, more = self._history.before(conversation, before, limit)
        page, left_out, _ = newest_within(reversed(messages), self._settings.history_max_bytes, message_size)
        return page, more or left_out

    def typing(self, connection: str, conversation: str, is_typing: bool) -> None:
        """Tell the others in ``conversation`` when ``connection``'s person starts or stops typing.

        Starting is speaking: a muted person is refused ``muted``. Stopping needs read access only.
        """
        require = self._policy.require_write if is_typing else self._policy.require_read
        member = require(connection, conversation)
        changed = self._typing.start(conversation, member) if is_typing else self._typing.stop(conversation, member.id)
        if changed:
            self._announce.typing(conversation, member, is_typing)

    def take_typing_allowance(self, connection: str) -> bool:
        """Take a token from ``connection``'s typing allowance; return False if none was left (drop the event)."""
        return not self._typing_limit.take(connection)
