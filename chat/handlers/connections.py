"""The connect and disconnect handlers: who joins, as whom, in which rooms; who leaves."""

import secrets

from flask import request, session
from flask_socketio import ConnectionRefusedError, emit, join_room

from .. import metrics, socketio, validation
from ..model import FULL, SEED, ChatError, full_person_group, person_group
from ..names import name_key
from ..validation import FULL_PROTOCOL
from . import ERROR_EVENT, USER_JOINED, USER_LEFT, announce_departure, chat_state, expiry, moderation, reads
from .rooms import enter, rename_person


def _handshake(auth):
    """Return (full protocol?, person id or None, requested name, {room: last id seen or None}).

    With signed identities on, the person and the name come from the token alone. Else a
    full-protocol client's person is the guest of its credential (``auth.guest``), if this
    server issued it: a made-up or altered one counts as none.
    """
    state = chat_state()
    auth, full = validation.handshake_auth(auth)
    if state.tokens:
        identity = state.tokens.verify(auth.get("token"))
        person_id, name = identity.id, identity.name
        moderation.require_not_banned(state.rooms.default, person_id)  # a ban from the default room is from the chat
        session["admin"] = identity.admin
    else:
        credential = validation.guest_credential(auth, full)
        person_id = state.guests.verify(credential) if credential else None
        name = validation.requested_name(auth, full)
    if not full:
        return False, person_id, name, {}
    return True, person_id, name, validation.handshake_rooms(auth, state.rooms.default, state.rooms_per_connection,
                                                             dms_max=state.rooms_per_connection)


def _is_name_or_numbered(given, name):
    """Return whether ``given`` is ``name``, or ``name`` with a number the uniqueness rule added."""
    given, name = name_key(given), name_key(name)
    return given == name or (given.startswith(name + " ") and given[len(name) + 1:].isdigit())


@socketio.on("connect")
def connect(auth=None):
    """Sent by a client connecting: tell seed clients a user joined, put the client in its rooms.

    Every other seed client gets ``user-joined``. A full-protocol client gets ``welcome``,
    with its unread counts in every room its person belongs to, then a ``presence``
    snapshot of each room it enters; the others in those rooms get ``member-joined``.
    """
    state = chat_state()
    try:
        full, person_id, name, rooms = _handshake(auth)
        last_changes = validation.handshake_changes(auth, rooms) if full else {}
    except ChatError as error:
        metrics.refused("connect", error.code)
        raise ConnectionRefusedError(error.reason, error.as_dict())
    expiry.start()

    departures = []
    if state.tokens:
        member = state.presence.connect(request.sid, person_id, name)
        if not _is_name_or_numbered(member.name, name):
            # A person already online keeps their name, but with tokens the newest token says it.
            member = rename_person(name)
    elif full:
        member, departures = _connect_guest(person_id, name)
    else:
        member = state.presence.connect(request.sid, secrets.token_urlsafe(9), stable=False)
    session["protocol"] = FULL_PROTOCOL if full else 1
    if state.token_expiry:
        state.token_expiry.open(request.sid, state.tokens.seconds_left(auth["token"]))
    state.flood.open(request.sid, request.remote_addr)
    state.typing_limit.open(request.sid, request.remote_addr)
    state.read_limit.open(request.sid, request.remote_addr)
    join_room(FULL if full else SEED)
    join_room(person_group(member.id))
    if full:
        join_room(full_person_group(member.id))
        state.dms.arrived(member)

    emit("user-joined", USER_JOINED, to=SEED, include_self=False)
    for room, gone in departures:
        announce_departure(room, gone)
    if not full:
        enter(state.rooms.default)
        return
    welcome = {"protocol": FULL_PROTOCOL, "user": member.as_dict(),
               "defaultRoom": state.rooms.default, "rooms": state.rooms.names()}
    if not state.tokens:
        welcome["guest"] = state.guests.issue(member.id)
    welcome["unread"] = reads.unread_on_connect(member, rooms)
    if session.get("admin"):
        welcome["admin"] = True  # so the page offers moderation everywhere; the server checks each action
    socketio.emit("welcome", welcome, to=request.sid)
    for room, after in rooms.items():
        try:
            enter(room, after, last_changes.get(room))
        except ChatError as error:
            socketio.emit(ERROR_EVENT, {"event": "connect", "room": room, **error.as_dict()}, to=request.sid)


def _connect_guest(guest_id, name):
    """Connect the current connection as guest ``guest_id`` (None: a new one); return (member, departures).

    A guest already connected elsewhere (a duplicated tab copies its credential) stays
    that tab's: the newcomer becomes a new guest. The browser is the demo page's session
    cookie, which lets a new tab take the name of the same browser's closed tab.
    """
    presence = chat_state().presence
    browser = session.get("browser")
    if guest_id is not None:
        member, departures = presence.connect_guest(request.sid, guest_id, name, browser)
        if member is not None:
            return member, departures
    return presence.connect_guest(request.sid, secrets.token_urlsafe(9), name, browser)


@socketio.on("disconnect")
def disconnect(reason=None):
    """Sent when a client's connection ends: tell seed clients; people leave rooms after a grace period.

    Seed clients are told only if presence still knew the connection: when other
    processes took this one for dead, they dropped it and said it left already.
    """
    state = chat_state()
    state.flood.close(request.sid)
    state.typing_limit.close(request.sid)
    state.read_limit.close(request.sid)
    if state.token_expiry:
        state.token_expiry.close(request.sid)
    person = _full_person()
    known, departures = state.presence.disconnect_known(request.sid)
    if known:
        socketio.emit("user-left", USER_LEFT, to=SEED, skip_sid=request.sid)
    for room, member in departures:
        announce_departure(room, member)
    if person is not None and not state.presence.connections_of_person(person.id):
        state.dms.went(person)


def _full_person():
    """Return the current connection's person if it speaks the full protocol and is still known, else None."""
    if session.get("protocol") != FULL_PROTOCOL:
        return None
    try:
        return chat_state().presence.member(request.sid)
    except KeyError:  # dropped already: its process was given up for dead by the others
        return None
