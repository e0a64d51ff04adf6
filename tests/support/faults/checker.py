"""The fault suite's checker: the protocol's promises, stated as checks of a recorded run.

Pure: it reads a ``Run`` (what every client sent, was acknowledged and received, and what the
database holds at the end) and returns the violations it finds, each naming its promise
(``Violation.kind``) and the client that saw it. The scenario (support.faults.scenario) records
runs; tests/unit/test_fault_checker.py plants each violation in a recorded run and requires
the checker to flag it, since a checker that cannot fail proves nothing.

The promises, per protocol (docs/architecture.md, "What is promised under faults"):

- Every acknowledged message is stored once, at the id its acknowledgement gave; the ids of
  each conversation count 1, 2, 3, ... with no gaps (``ack-not-stored``, ``stored-twice``,
  ``ids-not-gap-free``).
- Full protocol: each client's application sees each conversation's ids exactly once, in
  order, all of them once healed, with the server's content (``view-duplicate``,
  ``view-out-of-order``, ``view-incomplete``, ``view-content``); on the wire, no id twice on
  one connection and nothing at or below ``lastSeen`` (``connection-duplicate``,
  ``below-last-seen``); one ``welcome`` per connection (``welcome-twice``), and nothing but CONNECT before CONNECT on the wire
  (``event-before-connect``); a guest stays the same person (``guest-changed``).
- Original protocol: at most once and in its sender's order (``original-duplicate``,
  ``original-out-of-order``), nothing the server did not store (``phantom``).
- Both: no client is left offline by the server unless told why first (``left-offline``), and
  a connection the server accepted is served (``unserved``).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

PROMISES = {
    "ack-not-stored": "an acknowledged message is stored, at its acknowledged id, with its text",
    "stored-twice": "a message is stored once, however often it was sent",
    "ids-not-gap-free": "a conversation's ids count 1, 2, 3, ... with no gaps",
    "view-duplicate": "a full client's application sees no message id twice",
    "view-out-of-order": "a full client's application sees each conversation's ids in order",
    "view-incomplete": "once healed, a full client has every stored id of each conversation",
    "view-content": "a full client receives each message as the server stored it",
    "connection-duplicate": "on one connection, no message id arrives twice",
    "below-last-seen": "a reconnecting client is sent nothing at or below its lastSeen",
    "welcome-twice": "a connection gets one welcome",
    "event-before-connect": "nothing but CONNECT precedes the Socket.IO CONNECT on the wire",
    "guest-changed": "a guest that comes back with its credential stays the same person",
    "original-duplicate": "an original-protocol client never gets a message twice",
    "original-out-of-order": "an original-protocol client gets each sender's messages in the order sent",
    "phantom": "a client receives only messages the server stored",
    "left-offline": "the server never leaves a client offline without telling it why (a chat-error first)",
    "unserved": "a connection the server accepted is served: its sends are not all refused (`internal`, `not_in_room`)",
}


@dataclass
class Sent:
    """A message a client sent: ``acked`` once the server acknowledged it, with its ``id`` (full protocol)."""

    client: str
    conversation: str
    text: str
    acked: bool = False
    id: int | None = None


@dataclass
class Stored:
    """A message as the database holds it at the end of the run."""

    conversation: str
    id: int
    text: str


@dataclass
class Connection:
    """One Engine.IO session of a full-protocol client, as its wire saw it.

    The person of each welcome, how many events came before CONNECT, the ``lastSeen`` it
    connected with, and the message ids that arrived on it, per conversation, in order.
    """

    welcomes: list[str] = field(default_factory=list)
    before_connect: int = 0
    last_seen: dict[str, int] = field(default_factory=dict)
    arrived: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class FullClient:
    """What a full-protocol client's application saw: messages (id, text) per conversation, in order, and its connections."""

    name: str
    received: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    connections: list[Connection] = field(default_factory=list)
    left_offline: int = 0  # Socket.IO DISCONNECTs from the server with no chat-error before them
    unserved: int = 0  # connections given up: every send refused `internal` or unanswered for a while


@dataclass
class OriginalClient:
    """What an original-protocol client received: the bare texts, in order."""

    name: str
    received: list[str] = field(default_factory=list)
    left_offline: int = 0
    unserved: int = 0


@dataclass
class Run:
    """A recorded run: what was sent, what the database holds, what each client received."""

    seed: int
    sent: list[Sent] = field(default_factory=list)
    stored: list[Stored] = field(default_factory=list)
    full: list[FullClient] = field(default_factory=list)
    original: list[OriginalClient] = field(default_factory=list)


@dataclass(frozen=True)
class Violation:
    """A promise broken: its kind (a key of PROMISES), the client (or conversation) and what was seen."""

    kind: str
    who: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} ({PROMISES[self.kind]}): {self.who}: {self.detail}"


def sender_order(text: str) -> tuple[str, int] | None:
    """Return (sender, sequence number) of a suite message's text, ``"<sender>:<n>"``, or None for other text."""
    sender, _, number = text.rpartition(":")
    return (sender, int(number)) if sender and number.isdigit() else None


def check(run: Run) -> list[Violation]:
    """Return every violation of the promises in ``run``, storage first, then each client's."""
    stored: dict[str, dict[int, str]] = defaultdict(dict)
    for message in run.stored:
        stored[message.conversation][message.id] = message.text
    return [
        *_check_storage(run, stored),
        *(violation for client in run.full for violation in _check_full(client, stored)),
        *(violation for client in run.original for violation in _check_original(client, stored)),
    ]


def _check_storage(run: Run, stored: dict[str, dict[int, str]]) -> list[Violation]:
    violations = []
    for conversation, messages in sorted(stored.items()):
        if sorted(messages) != list(range(1, len(messages) + 1)):
            missing = sorted(set(range(1, max(messages) + 1)) - set(messages))
            violations.append(Violation("ids-not-gap-free", conversation, f"missing ids {missing[:10]}"))
        for text, count in Counter(messages.values()).items():
            if count > 1:
                violations.append(Violation("stored-twice", conversation, f"{text!r} stored {count} times"))
    for sent in run.sent:
        if not sent.acked:
            continue
        at = stored[sent.conversation]
        if sent.id is not None and at.get(sent.id) != sent.text:
            seen = at.get(sent.id)
            violations.append(
                Violation("ack-not-stored", sent.client, f"{sent.text!r} acked as id {sent.id}, stored there: {seen!r}")
            )
        elif sent.id is None and sent.text not in at.values():
            violations.append(Violation("ack-not-stored", sent.client, f"{sent.text!r} acked, never stored"))
    return violations


def _check_full(client: FullClient, stored: dict[str, dict[int, str]]) -> list[Violation]:
    violations = []
    for conversation, messages in sorted(client.received.items()):
        where = f"{client.name} in {conversation}"
        ids = [message_id for message_id, _ in messages]
        twice = sorted(message_id for message_id, count in Counter(ids).items() if count > 1)
        if twice:
            violations.append(Violation("view-duplicate", where, f"{len(twice)} ids twice: {twice[:10]}"))
        firsts = list(dict.fromkeys(ids))  # a repeat is a duplicate, not also a step back
        backwards = [later for earlier, later in zip(firsts, firsts[1:], strict=False) if later < earlier]
        if backwards:
            violations.append(
                Violation("view-out-of-order", where, f"{len(backwards)} went back, first to {backwards[0]}")
            )
        missing = sorted(set(stored[conversation]) - set(ids))
        if missing:
            total = len(stored[conversation])
            violations.append(Violation("view-incomplete", where, f"{len(missing)} of {total} missing: {missing[:10]}"))
        for message_id, text in messages:
            if message_id not in stored[conversation]:
                violations.append(Violation("phantom", where, f"id {message_id} {text!r}, never stored"))
            elif stored[conversation][message_id] != text:
                expected = stored[conversation][message_id]
                violations.append(Violation("view-content", where, f"id {message_id}: {text!r}, stored {expected!r}"))
    for number, connection in enumerate(client.connections):
        if len(connection.welcomes) > 1:
            violations.append(Violation("welcome-twice", client.name, f"connection {number}: {connection.welcomes}"))
        for conversation, ids in sorted(connection.arrived.items()):
            where = f"{client.name} in {conversation}, connection {number}"
            twice = sorted(message_id for message_id, count in Counter(ids).items() if count > 1)
            if twice:
                violations.append(Violation("connection-duplicate", where, f"{len(twice)} ids twice: {twice[:10]}"))
            last_seen = connection.last_seen.get(conversation)
            old = [message_id for message_id in ids if last_seen is not None and message_id <= last_seen]
            if old:
                violations.append(Violation("below-last-seen", where, f"lastSeen {last_seen}, sent {old[:10]}"))
        if connection.before_connect:
            violations.append(
                Violation(
                    "event-before-connect", client.name, f"connection {number}: {connection.before_connect} events"
                )
            )
    people = list(dict.fromkeys(person for connection in client.connections for person in connection.welcomes))
    if len(people) > 1:
        violations.append(Violation("guest-changed", client.name, f"{len(people)} people: {people}"))
    return [*violations, *_check_service(client)]


def _check_service(client: FullClient | OriginalClient) -> list[Violation]:
    violations = []
    if client.left_offline:
        violations.append(Violation("left-offline", client.name, f"{client.left_offline} times"))
    if client.unserved:
        violations.append(Violation("unserved", client.name, f"{client.unserved} connections given up"))
    return violations


def _check_original(client: OriginalClient, stored: dict[str, dict[int, str]]) -> list[Violation]:
    violations = []
    twice = sorted(text for text, count in Counter(client.received).items() if count > 1)
    if twice:
        violations.append(Violation("original-duplicate", client.name, f"{len(twice)} twice: {twice[:5]}"))
    last_of: dict[str, int] = {}
    backwards = []
    for text in client.received:
        order = sender_order(text)
        if order is None:
            continue
        sender, number = order
        if number < last_of.get(sender, 0):
            backwards.append(text)
        last_of[sender] = max(number, last_of.get(sender, 0))
    if backwards:
        violations.append(Violation("original-out-of-order", client.name, f"{len(backwards)}: {backwards[:5]}"))
    known = {text for messages in stored.values() for text in messages.values()}
    phantoms = [text for text in client.received if text not in known]
    if phantoms:
        violations.append(Violation("phantom", client.name, f"{len(phantoms)} never stored: {phantoms[:5]}"))
    return [*violations, *_check_service(client)]
