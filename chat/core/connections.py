"""Connections: the handshake, who a connection is and in which rooms, and its end.

A connection speaks the original gateway's protocol (the seed's) or the full one. With
signed identities on (TOKENS) its person and name come from its token alone; else a
full-protocol connection is a guest (chat/guests.py), and one of the original protocol a
person of its own, for that connection only.
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import validation
from ..guests import Guests
from ..identity import TokenExpiry, Tokens
from ..model import FULL, SEED, ChatError, Member, person_group
from ..names import name_key
from ..stores import base
from .announce import Announce
from .config import Settings
from .creations import Creations
from .policy import Policy
from .port import Port
from .reads import Reads
from .rooms import Rooms

ERROR_EVENT = "chat-error"


@dataclass(frozen=True)
class Handshake:
    """What a connecting client asked for, checked: its protocol, its person and name, its rooms."""

    full: bool
    person_id: str | None  # None: a new person
    name: str | None  # None: a guest name
    admin: bool = False  # a server administrator, by their token's roles
    token: str | None = None  # the signed identity's token, with TOKENS on
    rooms: dict[str, int | None] = field(default_factory=dict)  # {room or DM: the last message id seen, or None}
    last_changes: dict[str, int] = field(default_factory=dict)  # {room: the last change number seen}
    resumes: base.Resumed | None = None  # the guest's earlier connection its resume secret names, checked
    opened: float | None = None  # when its Engine.IO session opened (wall clock), if known


@dataclass(frozen=True)
class Limits:
    """The allowances each connection has: sending, typing, and read requests; and what its address creates."""

    flood: base.FloodControl
    typing: base.FloodControl
    read: base.FloodControl
    creations: Creations


class Connections:
    """Check handshakes, connect and disconnect connections."""

    def __init__(
        self,
        port: Port,
        policy: Policy,
        announce: Announce,
        settings: Settings,
        presence: base.Presence,
        dms: base.DirectMessages,
        limits: Limits,
        rooms: Rooms,
        reads: Reads,
        tokens: Tokens | None,
        token_expiry: TokenExpiry | None,
        guests: Guests,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._port = port
        self._policy = policy
        self._announce = announce
        self._settings = settings
        self._presence = presence
        self._dms = dms
        self._limits = limits
        self._rooms = rooms
        self._reads = reads
        self._tokens = tokens
        self._token_expiry = token_expiry
        self._guests = guests
        self._wall_clock = wall_clock

    def handshake(self, auth: object, opened: float | None = None) -> Handshake:
        """Return the handshake ``auth`` asks for, checked; raise ChatError to refuse the connection.

        With signed identities on, the person and the name come from the token alone, and a
        ban from the default room refuses the connection. Else a full-protocol client's
        person is the guest of its credential (``auth.guest``), if this server issued it: a
        made-up or altered one counts as none; and its ``auth.resume``, the resume secret of
        its earlier connection, counts only if it names that guest's. ``opened`` is when the
        connection's Engine.IO session opened, which orders the connects of one tab.
        """
        checked, full = validation.handshake_auth(auth)
        admin, token = False, None
        person_id: str | None
        name: str | None
        resumes: base.Resumed | None = None
        if self._tokens:
            token = checked.get("token")
            identity = self._tokens.verify(token)
            person_id, name, admin = identity.id, identity.name, identity.admin
            # A ban from the default room is a ban from the chat.
            self._policy.require_not_banned(self._settings.default_room, identity.id)
        else:
            credential = validation.guest_credential(checked, full)
            person_id = self._guests.verify(credential) if credential else None
            secret = validation.resume_secret(checked, full)
            if secret and person_id is not None:
                resumes = self._guests.verify_resume(secret, person_id)
            name = validation.requested_name(checked, full)
        if not full:
            return Handshake(False, person_id, name, admin, token)
        per = self._settings.rooms_per_connection
        rooms = validation.handshake_rooms(checked, self._settings.default_room, per, dms_max=per)
        changes = validation.handshake_changes(checked, rooms)
        return Handshake(True, person_id, name, admin, token, rooms, changes, resumes, opened)

    def connect(
        self, connection: str, handshake: Handshake, address: str | None, browser: str | None
    ) -> tuple[Member, list[tuple[str, Member]]]:
        """Make ``connection`` its handshake's person, open its allowances, put it in its groups.

        Return (its member, the departures its arrival caused): a new guest taking the name
        of its browser's closed tab makes that tab's guest leave its rooms. ``arrive``
        announces those after the seed's ``user-joined``.
        """
        departures: list[tuple[str, Member]] = []
        if self._tokens:
            assert handshake.person_id is not None, "with tokens, handshake() takes the person from the token"
            member = self._presence.connect(connection, handshake.person_id, handshake.name)
            if handshake.name is not None and not _is_name_or_numbered(member.name, handshake.name):
                # A person already online keeps their name, but with tokens the newest token says it.
                member = self._rooms.rename_person(connection, handshake.name)
        elif handshake.full:
            member, departures = self._connect_guest(connection, handshake, browser)
        else:
            member = self._presence.connect(connection, secrets.token_urlsafe(9), stable=False)
        if self._token_expiry is not None and self._tokens is not None:
            self._token_expiry.open(connection, self._tokens.seconds_left(handshake.token))
        for limit in (self._limits.flood, self._limits.typing, self._limits.read, self._limits.creations):
            limit.open(connection, address)
        self._port.join(connection, FULL if handshake.full else SEED)
        self._port.join(connection, person_group(member.id))
        if handshake.full:  # its person's DM audience: joined in ``arrive``, with the DMs' catch-up
            self._dms.arrived(member)
            if not self._tokens:
                self._dms.guest_seen(member.id)  # their credential, issued now, lasts GUEST_LIFETIME_DAYS
        return member, departures

    def arrive(
        self, connection: str, handshake: Handshake, member: Member, departures: list[tuple[str, Member]]
    ) -> None:
        """Announce the departures ``connect`` caused; put ``connection`` in its rooms, welcoming a full one.

        A full-protocol client gets ``welcome``, with its unread counts in every room its
        person belongs to; then it joins its person's DM audience, with the history of each
        DM it asked for (each message once: live or in that history); then a ``presence``
        snapshot and the history of each room it enters; the others in those rooms get
        ``member-joined``. A room it may not enter is refused with a ``chat-error``, and the
        others are entered all the same.
        """
        for room, gone in departures:
            self._announce.departure(room, gone)
        if not handshake.full:
            self._rooms.enter(connection, False, self._settings.default_room)
            return
        welcome: dict[str, Any] = {
            "protocol": validation.FULL_PROTOCOL,
            "user": member.as_dict(),
            "defaultRoom": self._settings.default_room,
            "rooms": self._rooms.names(),
        }
        if not self._tokens:
            welcome["guest"] = self._guests.issue(member.id)
            welcome["resume"] = self._guests.issue_resume(member.id, connection, self._presence.host_id)
        welcome["unread"] = self._reads.unread_on_connect(connection, member, handshake.rooms)
        if handshake.admin:
            welcome["admin"] = True  # so the page offers moderation everywhere; the server checks each action
        self._port.to_connection(connection, "welcome", welcome)
        dms = {
            room: (after, handshake.last_changes.get(room))
            for room, after in handshake.rooms.items()
            if validation.is_dm(room)
        }
        for dm, error in self._rooms.enter_dms(connection, member.id, dms):
            self._port.to_connection(connection, ERROR_EVENT, {"event": "connect", "room": dm, **error.as_dict()})
        for room, after in handshake.rooms.items():
            if room in dms:
                continue
            try:
                self._rooms.enter(connection, True, room, after, handshake.last_changes.get(room))
            except ChatError as error:
                self._port.to_connection(connection, ERROR_EVENT, {"event": "connect", "room": room, **error.as_dict()})

    def disconnect(self, connection: str, full: bool) -> bool:
        """End ``connection``: close its allowances; its person leaves rooms now or after a grace period.

        Return whether presence still knew it: when other processes took this one for dead,
        they dropped it and said it left already, so the caller tells the seed only if known.
        The rooms a person left now are told; a full-protocol person with no connection left
        is marked gone for their DMs.
        """
        for limit in (self._limits.flood, self._limits.typing, self._limits.read, self._limits.creations):
            limit.close(connection)
        if self._token_expiry is not None:
            self._token_expiry.close(connection)
        person = self._full_person(connection) if full else None
        known, departures = self._presence.disconnect_known(connection)
        for room, member in departures:
            self._announce.departure(room, member)
        if person is not None and not self._presence.connections_of_person(person.id):
            self._dms.went(person)
            if not self._tokens:
                self._dms.guest_seen(person.id)
        return bool(known)

    def expire_guests(self, batch: int = 500) -> list[str]:
        """Delete what the guests whose credential can no longer be used left; return those guests.

        A guest's credential lasts GUEST_LIFETIME_DAYS from its issue, at each connect, so once
        they have been gone that long nobody can come back as them: their DMs (both people's
        rows, the messages, changes and markers), read markers, memberships and mentions are
        deleted, ``batch`` guests at a time. A guest still connected (a connection longer than
        the lifetime) is recorded as seen now instead. Their messages in rooms stay, under
        the rooms' retention.
        """
        before = self._wall_clock() - self._settings.guest_lifetime_seconds
        expired = self._dms.expired_guests(before, batch)
        gone = []
        for person in expired:
            if self._presence.connections_of_person(person):
                self._dms.guest_seen(person)
            else:
                gone.append(person)
        self._dms.forget_guests(gone)
        return gone

    def _full_person(self, connection: str) -> Member | None:
        """Return ``connection``'s person if still known, else None (dropped by others, its process given up for dead)."""
        try:
            member: Member = self._presence.member(connection)
        except KeyError:
            return None
        return member

    def _connect_guest(
        self, connection: str, handshake: Handshake, browser: str | None
    ) -> tuple[Member, list[tuple[str, Member]]]:
        """Connect ``connection`` as its handshake's guest (a new one if none); return (member, departures).

        A guest already connected elsewhere (a duplicated tab copies its credential) stays
        that tab's: the newcomer becomes a new guest, unless its resume secret names one of
        the guest's connections (the tab itself, back after its process died or stalled, or
        after a connect whose welcome it never got), and it then takes the guest over. The
        browser is the demo page's session cookie, which lets a new tab take the name of the
        same browser's closed tab.
        """
        name, departures = handshake.name, list[tuple[str, Member]]()
        if handshake.person_id is not None:
            member, departures = self._presence.connect_guest(
                connection, handshake.person_id, name, browser, handshake.resumes, handshake.opened
            )
            if member is not None:
                return member, departures
        member, more = self._presence.connect_guest(
            connection, secrets.token_urlsafe(9), name, browser, opened=handshake.opened
        )
        assert member is not None, "a new guest id has no connection open elsewhere, so connect_guest adds it"
        return member, departures + more


def _is_name_or_numbered(given: str, name: str) -> bool:
    """Return whether ``given`` is ``name``, or ``name`` with a number the uniqueness rule added."""
    # The number is read from the name as given: a name's key maps digits to look-alike letters ("1" to "l").
    head, _, number = given.rpartition(" ")
    return name_key(given) == name_key(name) or (number.isdigit() and name_key(head) == name_key(name))
