"""What every store does, written down once: presence, rooms, typing, history, delivery and limits.

Each class here declares one store's API, with the rules both backends keep, and holds the
logic they share. A backend implements the rest, in a module of the store's name:
chat/stores/local/ for one process, chat/stores/redis/ for several sharing one Redis
server. Nothing here knows which backend runs, nor anything of Flask or Socket.IO;
chat/stores/__init__.py picks the backend from the settings.

People, rooms and messages are the types of chat/model.py. A departure is a
(room, member) pair: the member left the room, and the room is to be told.
"""

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from ..model import Member, full_person_group, no_such_room, not_in_room, too_many_reactions
from ..validation import room_name

# The live stores (Presence, Rooms, Typing, FloodControl, ConnectionLimit) are typed and abstract:
# a backend that leaves a method out cannot be built, and mypy checks each backend's methods
# against these (strict, pyproject.toml). The durable stores below them (History, Delivery,
# DirectMessages, Changes, Reads, Moderation) are still loosely typed, as their SQL versions
# are being written.

Clock = Callable[[], float]  # seconds: time.monotonic in one process, time.time (shared) with Redis
Departure = tuple[str, Member]  # (room, member): the member left the room, and the room is to be told

UNIMPLEMENTED = "This method must be implemented in a subclass."


class Presence(ABC):
    """People online, per room; names unique among them after NFKC and case folding.

    A person is one or more connections with one person id. A person is in a room while any
    of their connections is; a stable person whose last connection drops stays in its
    rooms for ``grace_seconds``, so a quick reconnect does not flap them out and back in.
    """

    @abstractmethod
    def connect(self, connection: str, person_id: str, name: str | None = None, stable: bool = True) -> Member:
        """Add ``connection`` for ``person_id``; return the person as others see them.

        A person already online keeps their name. A new one gets ``name`` (or a guest
        name), with a number added when someone online has the same name.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def connect_guest(
        self, connection: str, guest_id: str, name: str | None = None, browser: str | None = None
    ) -> tuple[Member | None, list[Departure]]:
        """Add ``connection`` as guest ``guest_id`` of ``browser``; return (member, departures now).

        A guest has one connection at a time: while ``guest_id`` has an open one (a
        duplicated tab), add nothing and return (None, []), so the caller makes the
        newcomer a new guest. A new guest asking for a name held only by a guest of the
        same browser with no connection left (a tab closed within its grace period) gets
        that name, and that guest leaves their rooms now: those are the departures.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def disconnect(self, connection: str) -> list[Departure]:
        """Drop ``connection``; return the (room, member) departures that happen now.

        Rooms whose last connection of a stable person this was are kept for the grace
        period instead; ``expire`` reports them if the person has not come back.
        """
        return self.disconnect_known(connection)[1]

    @abstractmethod
    def disconnect_known(self, connection: str) -> tuple[bool, list[Departure]]:
        """Drop ``connection`` as ``disconnect`` does; return (whether presence still knew it, departures).

        A connection is unknown when it was never connected, was dropped already, or (with
        Redis) was dropped by other processes that took its process for dead: then those
        processes said it left, and its disconnect here must not say so again.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def enter(self, connection: str, room: str) -> tuple[Member, bool]:
        """Put ``connection`` in ``room``; return (member, whether the person is new to the room)."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def exit(self, connection: str, room: str) -> tuple[Member, bool]:
        """Take ``connection`` out of ``room``; return (member, whether the person left the room).

        Raise ChatError ``not_in_room`` if the connection is not in it.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def rename(self, connection: str, name: str | None) -> tuple[Member, str]:
        """Rename the person behind ``connection``; return (member, previous name)."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def member(self, connection: str) -> Member:
        """Return the person behind ``connection`` as others see them."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def rooms_of(self, connection: str) -> set[str]:
        """Return the rooms ``connection`` is in."""
        raise NotImplementedError(UNIMPLEMENTED)

    def require_in(self, connection: str, room: str) -> None:
        """Raise ChatError ``not_in_room`` unless ``connection`` is in ``room``."""
        if room not in self.rooms_of(connection):
            raise not_in_room(room)

    @abstractmethod
    def rooms_of_person(self, person_id: str) -> set[str]:
        """Return the rooms others see the person in (including those within their grace period)."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def connections_of_person(self, person_id: str) -> set[str]:
        """Return every open connection of the person, on any process."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def members(self, room: str) -> list[Member]:
        """Return the people in ``room`` (including those within their grace period), by name."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def occupied(self, room: str) -> bool:
        """Return whether anyone is in ``room``, or may come back to it."""
        raise NotImplementedError(UNIMPLEMENTED)

    @property
    @abstractmethod
    def people(self) -> int:
        """Return how many people are online, on every process."""
        raise NotImplementedError(UNIMPLEMENTED)

    @property
    @abstractmethod
    def connections(self) -> int:
        """Return how many connections are open, on every process."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def expire(self) -> list[Departure]:
        """End grace periods that ran out; return those (room, member) departures."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def heartbeat(self) -> bool:
        """Record this process as alive: call it every second or so, from the expiry loop.

        Return False if other processes took it for dead meanwhile and dropped its
        connections: its clients are online for nobody now, so disconnect them (they will
        reconnect, and be connected afresh).
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def drop_silent_hosts(self) -> tuple[list[Departure], int]:
        """Drop the connections of other processes silent too long; return (departures, connections dropped).

        Their people get the grace period too, and those with none leave now, in the
        departures. Only the one call that drops a process counts its connections, so each
        is counted once among all processes.
        """
        raise NotImplementedError(UNIMPLEMENTED)


class Rooms(ABC):
    """Rooms that exist: the default one for good, created ones until they stay empty too long.

    ``default``, ``max_rooms`` and ``idle_seconds`` are attributes of every backend.
    """

    default: str
    max_rooms: int
    idle_seconds: float

    @abstractmethod
    def __contains__(self, room: str) -> bool:
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def names(self) -> list[str]:
        """Return the room names, sorted."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def create(self, room: str) -> str:
        """Create ``room``, empty; raise ChatError if it exists or the limit is reached."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def restore(self, room: str) -> None:
        """Bring back a room that existed before a restart, empty from now."""
        raise NotImplementedError(UNIMPLEMENTED)

    def require(self, room: object) -> str:
        """Return ``room`` if it exists; raise ChatError if not."""
        name: str = room_name(room)
        if name not in self:
            raise no_such_room(name)
        return name

    @abstractmethod
    def occupied(self, room: str, occupied: bool) -> None:
        """Record whether anyone is in ``room`` now."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def expire(self) -> list[str]:
        """Remove created rooms that have been empty for ``idle_seconds``; return their names."""
        raise NotImplementedError(UNIMPLEMENTED)


class Typing(ABC):
    """Typing states per (room, person), each ending ``timeout`` seconds after its last renewal."""

    @abstractmethod
    def start(self, room: str, member: Member) -> bool:
        """Start or renew ``member``'s typing in ``room``; return True if they were not typing there."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def stop(self, room: str, person_id: str) -> bool:
        """Stop typing; return True if the person was typing there."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def expire(self) -> list[Departure]:
        """End the states not renewed in time; return their (room, member) pairs."""
        raise NotImplementedError(UNIMPLEMENTED)


class History:
    """Every room's messages, numbered 1, 2, 3, ... per room with no gaps, in the order accepted.

    A room's numbering never goes back, even when its messages are deleted or it is removed.
    """

    def close(self) -> Any:
        """Let go of the storage."""
        raise NotImplementedError(UNIMPLEMENTED)

    def check(self) -> Any:
        """Return None if the storage answers, else what is wrong with it."""
        raise NotImplementedError(UNIMPLEMENTED)

    def rooms(self) -> Any:
        """Return the names of the rooms that exist."""
        raise NotImplementedError(UNIMPLEMENTED)

    def add_room(self, room: Any) -> Any:
        """Record that ``room`` exists."""
        raise NotImplementedError(UNIMPLEMENTED)

    def remove_room(self, room: Any) -> Any:
        """Forget ``room`` and its messages; its numbering carries on if it is made again."""
        raise NotImplementedError(UNIMPLEMENTED)

    def append(self, room: Any, user: Any, text: Any, client_id: Any = None, mentions: Any = ()) -> Any:
        """Store a message (mentioning the person ids ``mentions``); return (message, True) with its id and timestamp.

        With a ``client_id`` already stored for ``room``, store nothing and return
        (the original message, False). Storing is all it does: Delivery.post delivers.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def find(self, room: Any, client_id: Any) -> Any:
        """Return the stored message with the sender's ``client_id`` in ``room``, or None."""
        raise NotImplementedError(UNIMPLEMENTED)

    def latest(self, room: Any, limit: Any, upto: Any = None) -> Any:
        """Return the last ``limit`` messages of ``room`` (up to id ``upto``), oldest first, and whether older exist."""
        return self.before(room, None if upto is None else upto + 1, limit)

    def before(self, room: Any, before_id: Any, limit: Any) -> Any:
        """Return up to ``limit`` messages of ``room`` older than ``before_id``, oldest first, and whether more exist."""
        raise NotImplementedError(UNIMPLEMENTED)

    def after(self, room: Any, after_id: Any, limit: Any, upto: Any = None) -> Any:
        """Return up to ``limit`` messages of ``room`` newer than ``after_id`` (up to ``upto``), oldest first."""
        raise NotImplementedError(UNIMPLEMENTED)

    def last_id(self, room: Any) -> Any:
        """Return the id of ``room``'s newest message ever, 0 if none."""
        raise NotImplementedError(UNIMPLEMENTED)

    def first_id(self, room: Any) -> Any:
        """Return the id of ``room``'s oldest stored message, or None."""
        raise NotImplementedError(UNIMPLEMENTED)

    def retain(self, per_room: Any, max_age_seconds: Any) -> Any:
        """Delete messages beyond the newest ``per_room`` of each room or older than ``max_age_seconds``.

        Either limit may be 0, for none. Return how many messages were deleted.
        """
        raise NotImplementedError(UNIMPLEMENTED)


class Delivery:
    """Number, store and deliver each room's messages so every receiver gets them once, in id order.

    The one real difference between one process and several: alone, a process delivers
    what it stores under the room's lock; with several, one Redis script numbers, stores
    and sends out each message in one step, and each process delivers what comes
    back, in the order sent.
    ``emit(event, data, to=group)`` sends to a Socket.IO group (Flask-SocketIO's
    ``socketio.emit``); a room's messages go to ``room:<room>`` as ``room-message``, and
    the default room's also to ``seed`` as ``message`` with the bare text.
    """

    LOCKS = 64  # rooms share a fixed set of locks, so the set does not grow with every room ever made

    def __init__(self, history: Any, emit: Any) -> None:
        self.history = history
        self._emit = emit
        self._room_locks = tuple(threading.Lock() for _ in range(self.LOCKS))

    def room_lock(self, room: Any) -> Any:
        """Return the lock that keeps ``room``'s messages numbered and delivered in one order."""
        return self._room_locks[hash(room) % len(self._room_locks)]

    def post(
        self,
        room: Any,
        member: Any,
        text: Any,
        client_id: Any = None,
        to_seed: Any = False,
        groups: Any = None,
        mentions: Any = (),
    ) -> Any:
        """Number, store and deliver ``member``'s ``text`` in ``room`` (mentioning ``mentions``); return (message, True).

        The message goes to the room's connections (or, given ``groups``, to those Socket.IO
        groups instead: a direct message's two people) and, with ``to_seed``, its bare text
        to the seed clients, in id order for every receiver. A resend of a ``client_id``
        stored for the room is neither stored nor delivered again: return (the original,
        False).
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def enter(self, room: Any, join: Any, send_history: Any) -> Any:
        """Meet a connection's history of ``room`` with its live delivery: nothing twice, nothing missed.

        Call ``join()`` (the connection joins the room's group) and ``send_history(upto)``
        (it is sent the history up to id ``upto``, None for all there is) so that every
        message is either in that history or delivered live after it.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def repair(self) -> Any:
        """Deliver what live delivery lost, from the history; call it every second or so."""
        raise NotImplementedError(UNIMPLEMENTED)


class FloodControl(ABC):
    """Give each connection an allowance of events that reconnecting does not refill.

    Every connection has a token bucket: ``burst`` events at once, refilled at ``rate`` a
    second. When a connection closes with a partly used bucket, the bucket is parked under
    its client address until it would be full again; the next connection from that
    address, on any process, takes over the most used parked bucket. So disconnecting and
    reconnecting never gives more than waiting would, while people behind one address
    still have one bucket each. A ``burst`` of 0 turns it off; ``rate`` is then unused.
    """

    burst: int
    rate: float

    @property
    def enabled(self) -> bool:
        """Return whether the allowance is counted at all."""
        return self.burst > 0

    @abstractmethod
    def open(self, connection: str, address: str | None) -> None:
        """Start counting events for a new ``connection`` from ``address`` (None: the server gave none)."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def take(self, connection: str) -> float:
        """Count one event; return 0 if allowed, else the seconds until one is.

        A connection that was never opened (or is closed) is not counted: return 0.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def close(self, connection: str) -> None:
        """Stop counting for ``connection``, parking its bucket if it is not full."""
        raise NotImplementedError(UNIMPLEMENTED)


class ConnectionLimit(ABC):
    """Limit new connections per client address: a burst of ``per_minute``, refilled over a minute.

    With several processes the limit holds for all of them together. A ``per_minute`` of 0
    turns it off.
    """

    @abstractmethod
    def take(self, address: str) -> float:
        """Count a new connection from ``address``; return 0 if allowed, else the seconds to wait."""
        raise NotImplementedError(UNIMPLEMENTED)


class DirectMessages:
    """Direct messages: whose each one is, each person's list of them, and when people were last seen.

    A direct message is a conversation of exactly two people, its own kind, not a room: it
    is never removed, and only its two people may read it. Its messages live in the
    History under its id, as a room's do. ``per_person`` (the most one person may open)
    and ``seen_seconds`` (how long after their last connection ended a person may still
    be written to) are attributes of every backend.
    """

    def open(self, dm: Any, opener: Any, other: Any) -> Any:
        """Record the direct message ``dm`` of the Members ``opener`` and ``other``; return whether it is new.

        Raise ChatError ``too_many_dms`` if it is new and ``opener`` has ``per_person`` already.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def people(self, dm: Any) -> Any:
        """Return the two person ids of ``dm``, or None if there is no such direct message."""
        raise NotImplementedError(UNIMPLEMENTED)

    def of_person(self, person_id: Any) -> Any:
        """Return the person's direct messages as (id, the other person as a Member) pairs, by id."""
        raise NotImplementedError(UNIMPLEMENTED)

    def arrived(self, member: Any) -> Any:
        """Record that ``member`` is online with the full protocol, so others may open one with them."""
        raise NotImplementedError(UNIMPLEMENTED)

    def went(self, member: Any) -> Any:
        """Record that ``member``'s last connection ended now; they stay reachable for ``seen_seconds``."""
        raise NotImplementedError(UNIMPLEMENTED)

    def seen(self, person_id: Any) -> Any:
        """Return the person as last seen, if online or gone for at most ``seen_seconds``; else None."""
        raise NotImplementedError(UNIMPLEMENTED)

    def groups(self, dm: Any) -> Any:
        """Return the Socket.IO groups ``dm``'s messages go to, its two people's; None if there is no such DM."""
        people = self.people(dm)
        return None if people is None else [full_person_group(person) for person in people]


class Changes:
    """Edits, deletions and reactions: each rewrites a stored message in place, numbered and delivered.

    Every change gets its room's next change number (1, 2, 3, ..., apart from message ids,
    never going back) in the same step that rewrites the message, and goes to the room's
    connections (``room:<room>``, or the groups given: a DM's two people's) in change order, on every process: ``message-edited``,
    ``message-deleted`` or ``reaction``, whose payload carries ``change``. Seed clients are
    told nothing. The last ``retention`` change records of each room are kept, for clients
    catching up (``after``). A deleted message is a tombstone: its id, time and sender stay,
    its text becomes "" and its reactions go.
    """

    def __init__(self, history: Any, emit: Any, room_lock: Any, max_reactions: Any, retention: Any) -> None:
        self.history = history
        self._emit = emit
        self.room_lock = room_lock
        self.max_reactions = max_reactions
        self.retention = retention

    def edit(self, room: Any, message_id: Any, person_id: Any, text: Any, groups: Any = None) -> Any:
        """Replace the text of ``person_id``'s message; return the ``message-edited`` payload.

        Raise ChatError ``not_found`` for no such message (or a deleted one), ``forbidden``
        if someone else sent it. ``groups`` are the Socket.IO groups the change goes to in
        place of ``room:<room>`` (a DM's: its two people's), as for every change below.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def delete(self, room: Any, message_id: Any, person_id: Any = None, groups: Any = None) -> Any:
        """Make the message a tombstone; return the ``message-deleted`` payload.

        With ``person_id``, only that person's message (else ``forbidden``); None deletes
        anyone's, for moderation. Raise ``not_found`` as ``edit`` does.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def react(self, room: Any, message_id: Any, person_id: Any, emoji: Any, on: Any, groups: Any = None) -> Any:
        """Add (``on``) or take away ``person_id``'s ``emoji`` on a message; return the ``reaction`` payload.

        Return None, changing and delivering nothing, when the reaction is already so. Raise
        ``not_found`` as ``edit`` does, and ``too_many_reactions`` for a new emoji on a
        message that has ``max_reactions`` distinct ones.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def toggled(self, reactions: Any, person_id: Any, emoji: Any, on: Any) -> Any:
        """Return (the message's reactions with ``person_id``'s ``emoji`` on or off, that emoji's users).

        ``reactions`` is the message's {emoji: [person ids]} (None for none), left as it is;
        the new one is None when no emoji is left. Return None when the reaction is already
        so. Raise ``too_many_reactions`` for a new emoji past ``max_reactions``.
        """
        reactions = dict(reactions or {})
        users = reactions.get(emoji, [])
        if (person_id in users) == on:
            return None
        if on and emoji not in reactions and len(reactions) >= self.max_reactions:
            raise too_many_reactions(self.max_reactions)
        users = users + [person_id] if on else [user for user in users if user != person_id]
        if users:
            reactions[emoji] = users
        else:
            reactions.pop(emoji, None)
        return reactions or None, users

    def last_change(self, room: Any) -> Any:
        """Return ``room``'s newest change number, 0 if none."""
        raise NotImplementedError(UNIMPLEMENTED)

    def after(self, room: Any, after_change: Any, upto_id: Any = None, limit: Any = 500) -> Any:
        """Return (changes, whether more exist, whether some were lost) of ``room`` after ``after_change``.

        Each change is its live payload with ``event`` added (``message-edited``, ...),
        oldest first, only those of messages up to id ``upto_id`` (None: any). Some were
        lost when records after ``after_change`` are gone under retention.
        """
        raise NotImplementedError(UNIMPLEMENTED)


class Reads:
    """Read markers ("read up to id", per person per room), the rooms signed people belong to, and mentions.

    A marker only moves forward. It belongs to the person, not a connection, so every
    device of one person shares it. Who was mentioned where is kept here too (beside the
    message's own ``mentions``), so an unread count can tell mentions apart without reading
    the history.
    """

    def mark(self, member: Any, room: Any, upto: Any) -> Any:
        """Move ``member``'s marker in ``room`` forward to ``upto``; return the previous one (None: not moved)."""
        raise NotImplementedError(UNIMPLEMENTED)

    def start(self, person_id: Any, room: Any, upto: Any) -> Any:
        """Set the person's marker in ``room`` to ``upto`` unless they have one: what came before counts as read."""
        raise NotImplementedError(UNIMPLEMENTED)

    def marker(self, person_id: Any, room: Any) -> Any:
        """Return the id the person has read up to in ``room``, 0 if none."""
        raise NotImplementedError(UNIMPLEMENTED)

    def readers(self, room: Any, message_id: Any, limit: Any) -> Any:
        """Return up to ``limit`` people whose marker has reached ``message_id``, and whether more have.

        The people are Members as they were when they last marked.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def mention(self, room: Any, message_id: Any, person_ids: Any) -> Any:
        """Record that message ``message_id`` of ``room`` mentions each of ``person_ids``."""
        raise NotImplementedError(UNIMPLEMENTED)

    def mentions_after(self, person_id: Any, room: Any, after_id: Any) -> Any:
        """Return how many messages of ``room`` newer than ``after_id`` mention the person."""
        raise NotImplementedError(UNIMPLEMENTED)

    def join(self, person_id: Any, room: Any) -> Any:
        """Record that the person belongs to ``room`` (signed identities: until they leave it)."""
        raise NotImplementedError(UNIMPLEMENTED)

    def leave(self, person_id: Any, room: Any) -> Any:
        """Record that the person no longer belongs to ``room``."""
        raise NotImplementedError(UNIMPLEMENTED)

    def belongs(self, person_id: Any) -> Any:
        """Return the rooms the person belongs to, sorted."""
        raise NotImplementedError(UNIMPLEMENTED)

    def remove_room(self, room: Any) -> Any:
        """Forget every marker, membership and mention of ``room``."""
        raise NotImplementedError(UNIMPLEMENTED)


class Moderation:
    """Room owners, bans and mutes with the time they end, and the record of every moderation action.

    A ban or a mute is ``kind`` ``"ban"`` or ``"mute"`` of one person in one room, until a
    Unix time in seconds (wall-clock time, which every process shares); one that has ended
    counts as none. The record of actions keeps each room's latest ``keep`` (0: all); it
    outlives the room, as an audit trail should.
    """

    KINDS = ("ban", "mute")

    def __init__(self, keep: Any = 1000, wall_clock: Any = None) -> None:
        self.keep = keep
        self.wall_clock = wall_clock or time.time

    def set_owner(self, room: Any, person_id: Any) -> Any:
        """Record ``person_id`` (a signed identity) as ``room``'s owner."""
        raise NotImplementedError(UNIMPLEMENTED)

    def owner(self, room: Any) -> Any:
        """Return the person id of ``room``'s owner, or None if it has none."""
        raise NotImplementedError(UNIMPLEMENTED)

    def restrict(self, kind: Any, room: Any, person_id: Any, until: Any) -> Any:
        """Ban or mute (``kind``) the person in ``room`` until the Unix time ``until``, replacing any earlier one."""
        raise NotImplementedError(UNIMPLEMENTED)

    def lift(self, kind: Any, room: Any, person_id: Any) -> Any:
        """End the person's ban or mute in ``room``; return whether one was in force."""
        raise NotImplementedError(UNIMPLEMENTED)

    def until(self, kind: Any, room: Any, person_id: Any) -> Any:
        """Return the Unix time the person's ban or mute in ``room`` ends, or None if none is in force now."""
        raise NotImplementedError(UNIMPLEMENTED)

    def record(self, room: Any, action: Any) -> Any:
        """Store the moderation ``action`` (a JSON-ready dict) in ``room``'s record, newest last."""
        raise NotImplementedError(UNIMPLEMENTED)

    def log(self, room: Any, limit: Any = 100) -> Any:
        """Return ``room``'s latest ``limit`` recorded actions, oldest first."""
        raise NotImplementedError(UNIMPLEMENTED)

    def remove_room(self, room: Any) -> Any:
        """Forget ``room``'s owner, bans and mutes (it was removed); keep its record."""
        raise NotImplementedError(UNIMPLEMENTED)
