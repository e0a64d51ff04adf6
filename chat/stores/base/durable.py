"""The durable stores' interfaces: history, direct messages, changes, read markers, moderation; in SQL."""

import time
from typing import Any

from ...model import full_person_group, too_many_reactions
from .live import UNIMPLEMENTED


class History:
    """Every room's messages, numbered 1, 2, 3, ... per room with no gaps, in the order accepted.

    A room's numbering never goes back, even when its messages are deleted or it is removed.
    The counters of the latest ``removed_kept`` removed rooms are kept; an older one's are
    forgotten, and every room made from then on numbers past them (its messages and its
    changes), so no id a client stored ever points into a room made later.
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
        """Record that ``room`` exists; a new one numbers on from the highest counters forgotten."""
        raise NotImplementedError(UNIMPLEMENTED)

    def remove_room(self, room: Any) -> Any:
        """Forget ``room`` and its messages; its numbering carries on if it is made again.

        Past ``removed_kept`` removed rooms, forget the oldest removed ones' counters, after
        raising the counters new rooms start from past theirs.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def append(self, room: Any, user: Any, text: Any, client_id: Any = None, mentions: Any = ()) -> Any:
        """Store a message (mentioning the person ids ``mentions``); return (message, True) with its id and timestamp.

        With a ``client_id`` already stored for ``room`` by the same sender (``user.id``),
        store nothing and return (the original message, False): a resend is recognised by
        (room, sender, client id), so nobody's client id can stand for another's message.
        Storing is all it does: Delivery.post delivers.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def find(self, room: Any, sender_id: Any, client_id: Any) -> Any:
        """Return the message person ``sender_id`` stored in ``room`` with their ``client_id``, or None."""
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

    def last_ids(self, rooms: Any) -> Any:
        """Return ``{room: last_id(room)}`` for every room of ``rooms``, in one query: a connect's unread counts."""
        raise NotImplementedError(UNIMPLEMENTED)

    def first_id(self, room: Any) -> Any:
        """Return the id of ``room``'s oldest stored message, or None."""
        raise NotImplementedError(UNIMPLEMENTED)

    def retain(self, per_room: Any, max_age_seconds: Any) -> Any:
        """Delete messages beyond the newest ``per_room`` of each room or older than ``max_age_seconds``.

        Either limit may be 0, for none. Their mentions and change records go with them, and
        a read marker behind the oldest message kept moves up to it (what is gone is not
        unread). No content a message holds may stop it (it never decodes one). Return how
        many messages were deleted.
        """
        raise NotImplementedError(UNIMPLEMENTED)


class DirectMessages:
    """Direct messages: whose each one is, each person's list of them, and when people were last seen.

    A direct message is a conversation of exactly two people, its own kind, not a room: it
    is never removed, and only its two people may read it. Its messages live in the
    History under its id, as a room's do. ``per_person`` (the most one person may be in,
    whoever opened them) and ``seen_seconds`` (how long after their last connection ended a person may still
    be written to) are attributes of every backend.
    """

    def open(self, dm: Any, opener: Any, other: Any) -> Any:
        """Record the direct message ``dm`` of the Members ``opener`` and ``other``; return whether it is new.

        Raise ChatError ``too_many_dms`` if it is new and either of them is in ``per_person`` already:
        a DM others open with someone counts against them, so nobody's list grows past it.
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

    def guest_seen(self, person_id: Any) -> Any:
        """Record that the guest ``person_id`` (a person without a signed identity) is connected now."""
        raise NotImplementedError(UNIMPLEMENTED)

    def expired_guests(self, before: Any, limit: Any) -> Any:
        """Return up to ``limit`` guests last connected before ``before`` (a Unix time), the longest gone first."""
        raise NotImplementedError(UNIMPLEMENTED)

    def forget_guests(self, person_ids: Any) -> Any:
        """Delete the guests' DMs (every row of each, both people's), read markers, memberships and mentions.

        Their messages in rooms stay, under the rooms' retention. Return the DMs deleted.
        """
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
        """Make the message a tombstone, its mentions gone; return the ``message-deleted`` payload.

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

    def remove_room(self, room: Any) -> Any:
        """Forget ``room``'s change records (it was removed); its change numbering carries on if it is made again."""
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

    def markers(self, person_id: Any, rooms: Any) -> Any:
        """Return ``{room: marker(person_id, room)}`` for every room of ``rooms``, in one query."""
        raise NotImplementedError(UNIMPLEMENTED)

    def unread_mentions(self, person_id: Any, rooms: Any) -> Any:
        """Return ``{room: mentions of the person after their marker}`` for every room of ``rooms``, in one query."""
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
    counts as none, and goes when ``expire`` runs. A room holds at most ``per_room`` in
    force. The record of actions keeps each room's latest ``keep`` (0: all); it goes with
    the room, so whoever makes a room of that name later reads only their own.
    """

    KINDS = ("ban", "mute")

    def __init__(self, keep: Any = 1000, wall_clock: Any = None, per_room: Any = 1000) -> None:
        self.keep = keep
        self.wall_clock = wall_clock or time.time
        self.per_room = per_room

    def set_owner(self, room: Any, person_id: Any) -> Any:
        """Record ``person_id`` (a signed identity) as ``room``'s owner."""
        raise NotImplementedError(UNIMPLEMENTED)

    def owner(self, room: Any) -> Any:
        """Return the person id of ``room``'s owner, or None if it has none."""
        raise NotImplementedError(UNIMPLEMENTED)

    def restrict(self, kind: Any, room: Any, person_id: Any, until: Any) -> Any:
        """Ban or mute (``kind``) the person in ``room`` until the Unix time ``until``, replacing any earlier one.

        Raise ChatError ``too_many_restrictions`` if it is not a replacement and ``room`` holds
        ``per_room`` in force already.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def expire(self) -> Any:
        """Delete every ban and mute that has ended, in every room; return how many went."""
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
        """Forget ``room``'s owner, bans, mutes and record of actions (it was removed)."""
        raise NotImplementedError(UNIMPLEMENTED)
