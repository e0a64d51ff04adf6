"""Socket.IO event handlers for both protocols: the original gateway's and the full one.

Each handler is short: check the input, change the chat state, emit. Every event, payload
and audience is listed in docs/protocol.md. Clients are grouped in Socket.IO rooms:

- ``seed``: clients of the original gateway's protocol, which live in the default room;
- ``full``: full-protocol clients;
- ``room:<name>``: full-protocol connections in a chat room;
- ``person:<id>``: the connections of one person.

No client is in both ``seed`` and a ``room:`` group, so none receives a message twice.
"""

import functools
import secrets

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from . import engine, socketio
from .names import display_name, name_key
from .redis_queue import ChatRedisManager
from .rooms import room_name
from .shutdown import disconnect_local_clients
from .validation import ChatError, message_text

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}
ERROR_EVENT = "chat-error"
SEED, FULL = "seed", "full"
FULL_PROTOCOL = 2


def channel(room):
    """Return the Socket.IO room of a chat room's full-protocol connections."""
    return f"room:{room}"


def person_channel(person_id):
    """Return the Socket.IO room of one person's connections."""
    return f"person:{person_id}"


def _state():
    return current_app.extensions["chat"]


def _default_room():
    return _state().rooms.default


def _is_full():
    return session.get("protocol") == FULL_PROTOCOL


def client_event(name, limit=True):
    """Register a handler for client event ``name`` that refuses a ChatError to its sender.

    The refusal goes out twice: as the acknowledgement ``{"ok": false, "error": ...}`` for a
    client that passed a callback, and as a ``chat-error`` event for one that did not. With
    ``limit``, the event first takes a token from the connection's flood allowance.
    """
    def register(handler):
        @functools.wraps(handler)
        def handle(*args):
            try:
                if limit:
                    _check_flood()
                return handler(*args)
            except ChatError as error:
                return _refuse(name, error)
        return socketio.on(name)(handle)
    return register


def _refuse(name, error):
    """Tell the sender of event ``name`` it was refused; return the refusal for its acknowledgement."""
    socketio.emit(ERROR_EVENT, {"event": name, **error.as_dict()}, to=request.sid)
    return {"ok": False, **error.as_dict()}


def full_protocol_event(name, limit=True):
    """Register a handler for an event of the full protocol, taking one object argument."""
    def register(handler):
        @functools.wraps(handler)
        def handle(*args):
            if not _is_full():
                raise ChatError("unknown_event", f"{name} is part of the full protocol: connect with "
                                                 f"auth {{\"protocol\": {FULL_PROTOCOL}}} to use it")
            if len(args) > 1 or (args and not isinstance(args[0], dict)):
                raise ChatError("bad_arguments", f"{name} takes one object argument")
            return handler(args[0] if args else {})
        return client_event(name, limit)(handle)
    return register


def _check_flood():
    wait = _state().flood.take(request.sid)
    if wait:
        raise ChatError("rate_limited", f"too many messages: wait {wait:.1f} s before sending again")


def _handshake(auth):
    """Return (full protocol?, person id or None, requested name, {room: last id seen or None}).

    With signed identities on, the person and the name come from the token alone. Else a
    full-protocol client's person is the guest of its credential (``auth.guest``), if this
    server issued it: a made-up or altered one counts as none.
    """
    if auth is None:
        auth = {}
    if not isinstance(auth, dict):
        raise ChatError("bad_handshake", "the handshake auth must be an object")
    protocol = auth.get("protocol", 1)
    # Exactly the integer: True == 1 and 2.0 == 2 in Python, but neither is a protocol number.
    if type(protocol) is not int or protocol not in (1, FULL_PROTOCOL):
        raise ChatError("bad_handshake", f"protocol must be 1 (the original gateway's) or {FULL_PROTOCOL} (full)")
    tokens = _state().tokens
    if tokens:
        identity = tokens.verify(auth.get("token"))
        person_id, name = identity.id, identity.name
    else:
        credential = auth.get("guest") if protocol == FULL_PROTOCOL else None
        if credential is not None and not isinstance(credential, str):
            raise ChatError("bad_handshake", "guest must be the credential a welcome gave")
        person_id = _state().guests.verify(credential) if credential else None
        name = display_name(auth["name"]) if auth.get("name") is not None and protocol == FULL_PROTOCOL else None
    if protocol == 1:
        return False, person_id, name, {}
    rooms = auth.get("rooms", [_default_room()])
    if not isinstance(rooms, list) or len(rooms) > _state().rooms_per_connection:
        raise ChatError("bad_handshake", f"rooms must be a list of at most {_state().rooms_per_connection} room names")
    last_seen = auth.get("lastSeen", {})
    if not isinstance(last_seen, dict):
        raise ChatError("bad_handshake", "lastSeen must map room names to message ids")
    return True, person_id, name, {room_name(room): _message_id(last_seen.get(room), "lastSeen") for room in rooms}


def _is_name_or_numbered(given, name):
    """Return whether ``given`` is ``name``, or ``name`` with a number the uniqueness rule added."""
    given, name = name_key(given), name_key(name)
    return given == name or (given.startswith(name + " ") and given[len(name) + 1:].isdigit())


def _require_in_room(room):
    """Raise ChatError unless the current connection is in ``room``."""
    if room not in _state().presence.rooms_of(request.sid):
        raise ChatError("not_in_room", f"you are not in the room {room!r}")


# The largest id exact both as a JavaScript number and as a Redis score (a double); SQLite's
# INTEGER would overflow only at 2**63, so the two backends agree only below this.
MAX_MESSAGE_ID = 2 ** 53 - 1


def _message_id(value, field):
    """Return ``value`` as a message id (None if absent); raise ChatError if it is not one."""
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_MESSAGE_ID:
        raise ChatError("bad_arguments", f"{field} must be a message id, a whole number from 0 to {MAX_MESSAGE_ID}")
    return value


# --- Connections --------------------------------------------------------------------------


@socketio.on("connect")
def connect(auth=None):
    """Sent by a client connecting: tell seed clients a user joined, put the client in its rooms.

    Every other seed client gets ``user-joined``. A full-protocol client gets ``welcome``,
    then a ``presence`` snapshot of each room it enters; the others in those rooms get
    ``member-joined``.
    """
    state = _state()
    try:
        full, person_id, name, rooms = _handshake(auth)
    except ChatError as error:
        raise ConnectionRefusedError(error.reason, error.as_dict())
    _start_sweeper()

    departures = []
    if state.tokens:
        member = state.presence.connect(request.sid, person_id, name)
        if not _is_name_or_numbered(member.name, name):
            # A person already online keeps their name, but with tokens the newest token says it.
            member = _rename(name)
    elif full:
        member, departures = _connect_guest(person_id, name)
    else:
        member = state.presence.connect(request.sid, secrets.token_urlsafe(9), stable=False)
    session["protocol"] = FULL_PROTOCOL if full else 1
    if state.token_expiry:
        state.token_expiry.open(request.sid, state.tokens.seconds_left(auth["token"]))
    state.flood.open(request.sid, request.remote_addr)
    state.typing_limit.open(request.sid, request.remote_addr)
    join_room(FULL if full else SEED)
    join_room(person_channel(member.id))

    socketio.emit("user-joined", USER_JOINED, to=SEED, skip_sid=request.sid)
    for room, gone in departures:
        _announce_departure(room, gone)
    if not full:
        _enter(state.rooms.default)
        return
    welcome = {"protocol": FULL_PROTOCOL, "user": member.as_dict(),
               "defaultRoom": state.rooms.default, "rooms": state.rooms.names()}
    if not state.tokens:
        welcome["guest"] = state.guests.issue(member.id)
    socketio.emit("welcome", welcome, to=request.sid)
    for room, after in rooms.items():
        try:
            _enter(room, after)
        except ChatError as error:
            socketio.emit(ERROR_EVENT, {"event": "connect", "room": room, **error.as_dict()}, to=request.sid)


def _connect_guest(guest_id, name):
    """Connect the current connection as guest ``guest_id`` (None: a new one); return (member, departures).

    A guest already connected elsewhere (a duplicated tab copies its credential) stays
    that tab's: the newcomer becomes a new guest. The browser is the demo page's session
    cookie, which lets a new tab take the name of the same browser's closed tab.
    """
    presence = _state().presence
    browser = session.get("browser")
    if guest_id is not None:
        member, departures = presence.connect_guest(request.sid, guest_id, name, browser)
        if member is not None:
            return member, departures
    return presence.connect_guest(request.sid, secrets.token_urlsafe(9), name, browser)


@socketio.on("disconnect")
def disconnect(reason=None):
    """Sent when a client's connection ends: tell seed clients; people leave rooms after a grace period."""
    state = _state()
    state.flood.close(request.sid)
    state.typing_limit.close(request.sid)
    if state.token_expiry:
        state.token_expiry.close(request.sid)
    socketio.emit("user-left", USER_LEFT, to=SEED, skip_sid=request.sid)
    for room, member in state.presence.disconnect(request.sid):
        _announce_departure(room, member)


# --- Rooms --------------------------------------------------------------------------------


def _enter(room, after=None):
    """Put the current connection in ``room`` (which must exist), announcing a newcomer.

    A full-protocol client gets the room's presence, then its history: the latest
    messages, or with ``after`` every message after that id. Both are read and the
    connection joins the room's delivery under the room's lock, so every message is
    either in that history or delivered live after it: none twice, none missed.
    """
    state = _state()
    state.rooms.require(room)
    rooms = state.presence.rooms_of(request.sid)
    if room in rooms:
        raise ChatError("already_in_room", f"you are in the room {room!r} already")
    if len(rooms) >= state.rooms_per_connection:
        raise ChatError("too_many_rooms", f"you are in {len(rooms)} rooms, the limit; leave one first")
    member, is_new = state.presence.enter(request.sid, room)
    state.rooms.occupied(room, True)
    if is_new:
        socketio.emit("member-joined", {"room": room, "user": member.as_dict()}, to=channel(room),
                      skip_sid=request.sid)
    if not _is_full():
        return
    members = [m.as_dict() for m in state.presence.members(room)]
    socketio.emit("presence", {"room": room, "members": members}, to=request.sid)
    queue = _redis_queue()
    if queue:
        queue.watermark(room)
    with state.room_lock(room):
        join_room(channel(room))
        # With several processes, what this one has delivered so far comes from the history;
        # the rest arrives live from the queue, which waits for this lock.
        _send_history(room, after, queue.delivered[room] if queue else None)


def _redis_queue():
    """Return the Redis message queue when several processes share the chat, else None."""
    manager = socketio.server.manager
    return manager if isinstance(manager, ChatRedisManager) else None


CATCH_UP_CHUNK = 500


def _send_history(room, after, upto=None):
    """Send the current connection ``room``'s latest messages, or all those after id ``after`` (up to ``upto``)."""
    history = _state().history
    if after is None:
        messages, more = history.latest(room, _state().history_limit, upto)
        socketio.emit("history", {"room": room, "messages": [m.as_dict() for m in messages], "more": more},
                      to=request.sid)
        return
    first = history.first_id(room)
    gap = (first if first is not None else history.last_id(room) + 1) > after + 1
    while True:
        messages, more = history.after(room, after, CATCH_UP_CHUNK, upto)
        socketio.emit("history", {"room": room, "messages": [m.as_dict() for m in messages],
                                  "after": after, "gap": gap, "more": more}, to=request.sid)
        if not more:
            return
        after, gap = messages[-1].id, False


def _emit_typing(room, member, is_typing):
    """Tell the room that ``member`` started or stopped typing; not the typist's own connections."""
    socketio.emit("typing", {"room": room, "user": member.as_dict(), "typing": is_typing}, to=channel(room),
                  skip_sid=list(_state().presence.connections_of_person(member.id)))


def _announce_departure(room, member):
    """Tell a room that a person left it, and end their typing there."""
    state = _state()
    if state.typing.stop(room, member.id):
        _emit_typing(room, member, False)
    socketio.emit("member-left", {"room": room, "user": member.as_dict()}, to=channel(room))
    state.rooms.occupied(room, state.presence.occupied(room))


@full_protocol_event("list-rooms")
def list_rooms(payload):
    """Sent by a full-protocol client: acknowledge with every room and how many people are in it."""
    presence = _state().presence
    return {"ok": True, "rooms": [{"name": room, "people": len(presence.members(room))}
                                  for room in _state().rooms.names()]}


@full_protocol_event("create-room")
def create_room(payload):
    """Sent by a full-protocol client with a room name: create it, tell every full-protocol client."""
    room = _state().create_room(payload.get("room"))
    socketio.emit("room-created", {"room": room}, to=FULL)
    return {"ok": True, "room": room}


@full_protocol_event("join-room")
def join(payload):
    """Sent by a full-protocol client: enter a room; it gets a presence snapshot, the room a newcomer."""
    room = room_name(payload.get("room"))
    _enter(room, _message_id(payload.get("lastSeen"), "lastSeen"))
    return {"ok": True, "room": room}


@full_protocol_event("leave-room")
def leave(payload):
    """Sent by a full-protocol client: leave a room; the others there are told if the person left."""
    room = room_name(payload.get("room"))
    member, left = _state().presence.exit(request.sid, room)
    leave_room(channel(room))
    if left:
        _announce_departure(room, member)
    return {"ok": True, "room": room}


@full_protocol_event("rename")
def rename(payload):
    """Sent by a full-protocol client with a new name: everyone sharing a room with the person is told."""
    state = _state()
    if state.tokens:
        raise ChatError("rename_refused", "names come from your sign-in here: change it there")
    member = _rename(display_name(payload.get("name")))
    return {"ok": True, "user": member.as_dict()}


def _rename(name):
    """Rename the current connection's person; tell everyone sharing a room with them, and their connections."""
    state = _state()
    member, previous = state.presence.rename(request.sid, name)
    audience = [person_channel(member.id)] + [channel(room) for room in state.presence.rooms_of_person(member.id)]
    socketio.emit("member-renamed", {"user": member.as_dict(), "previous": previous}, to=audience)
    return member


# --- Messages and typing ------------------------------------------------------------------


def _post(room, text, client_id=None):
    """Store ``text`` for ``room`` from the current connection, then deliver it to the room.

    Return (the message, True), or (the original, False) for a resend of a stored ``client_id``.
    """
    state = _state()
    _require_in_room(room)
    member = state.presence.member(request.sid)
    seed = room == state.rooms.default
    if state.history.publishes:
        # Several processes: the history numbers, stores and publishes in one atomic step.
        message, new = state.history.append(room, member, text, client_id, seed_channel=SEED if seed else None)
        if not new:
            return message, False
    else:
        # Numbering, storing and queueing for every recipient happen together, so all receive
        # a room's messages in id order, whichever connection each came from.
        with state.room_lock(room):
            message, new = state.history.append(room, member, text, client_id)
            if not new:
                return message, False
            socketio.emit("room-message", message.as_dict(), to=channel(room))
            if seed:
                socketio.emit("message", text, to=SEED)
    if state.typing.stop(room, member.id):
        _emit_typing(room, member, False)
    return message, True


@client_event("newMessage")
def new_message(*args):
    """Sent by a client with the message text: deliver it to the default room, sender included.

    Seed clients receive ``message`` with the bare text; full-protocol clients in the
    default room receive ``room-message``.
    """
    _post(_default_room(), message_text(args, _state().max_message_length))
    return {"ok": True}


CLIENT_ID_MAX = 64


@full_protocol_event("send-message", limit=False)
def send_message(payload):
    """Sent by a full-protocol client with a room and text: store it, deliver it to the room, sender included.

    A resend with a ``clientId`` already stored for the room is acknowledged with the
    original message, and neither stored nor delivered again; it costs no flood allowance.
    """
    state = _state()
    room = room_name(payload.get("room"))
    text = message_text((payload.get("text"),), state.max_message_length)
    client_id = payload.get("clientId")
    if client_id is not None and (not isinstance(client_id, str) or not 0 < len(client_id) <= CLIENT_ID_MAX):
        raise ChatError("bad_arguments", f"clientId must be a string of 1 to {CLIENT_ID_MAX} characters")
    if client_id is not None and (original := state.history.find(room, client_id)) is not None:
        return {"ok": True, "message": original.as_dict(), "duplicate": True}
    _check_flood()
    message, _ = _post(room, text, client_id)
    return {"ok": True, "message": message.as_dict()}


@full_protocol_event("history")
def history_page(payload):
    """Sent by a full-protocol client in a room: acknowledge with a page of older messages."""
    state = _state()
    room = room_name(payload.get("room"))
    _require_in_room(room)
    before = _message_id(payload.get("before"), "before")
    limit = payload.get("limit", state.history_limit)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= state.history_page_max:
        raise ChatError("bad_arguments", f"limit must be a whole number from 1 to {state.history_page_max}")
    messages, more = state.history.before(room, before, limit)
    return {"ok": True, "room": room, "messages": [m.as_dict() for m in messages], "more": more}


@full_protocol_event("typing", limit=False)
def typing(payload):
    """Sent by a full-protocol client while typing: tell the others in the room when it starts or stops.

    Typing events over their own small allowance are dropped quietly.
    """
    state = _state()
    if state.typing_limit.take(request.sid):
        return {"ok": True, "dropped": True}
    room = room_name(payload.get("room"))
    _require_in_room(room)
    is_typing = payload.get("typing", True)
    if not isinstance(is_typing, bool):
        raise ChatError("bad_arguments", "typing must be true or false")
    member = state.presence.member(request.sid)
    changed = state.typing.start(room, member) if is_typing else state.typing.stop(room, member.id)
    if changed:
        _emit_typing(room, member, is_typing)
    return {"ok": True}


# --- Everything else ----------------------------------------------------------------------


@socketio.on("*")
def unknown_event(event, *args):
    """Sent by a client with an event this server does not know: log it, broadcast nothing.

    A client that passed a callback is answered, so it does not wait for nothing.
    """
    current_app.logger.info("ignored unknown event %.64r from %s", event, request.sid)
    return {"ok": False, "error": f"unknown event {event[:64]!r}", "code": "unknown_event"}


@socketio.on(engine.REFUSED_EVENT)
def refused_unread(refusal):
    """Sent by the transport (chat/engine.py) in place of an event it refused unread: refuse it to its sender.

    An event with a name the server reserves (``connect``, ``disconnect``, ...) never
    reaches that name's handler; one longer than any valid event is refused ``too_long``
    without being parsed. Either takes a token from the flood allowance; a reserved name
    is logged once per connection.
    """
    event = refusal["event"][:64]
    try:
        _check_flood()
        if refusal["code"] == "reserved_event":
            if not session.get("reserved_event_logged"):
                session["reserved_event_logged"] = True
                current_app.logger.warning("refused the reserved event name %r from %s", event, request.sid)
            raise ChatError("reserved_event", f"{event!r} is a name the server reserves: it cannot be sent as an event")
        raise ChatError("too_long", f"the {event!r} event is too long: {refusal['length']:,} characters, "
                                    f"the limit is {refusal['limit']:,}")
    except ChatError as error:
        return _refuse(event, error)


@socketio.on_error_default
def internal_error(error):
    """Log a handler's unexpected exception; refuse the event to its sender, keep serving."""
    current_app.logger.exception("error handling a Socket.IO event from %s", request.sid)
    return {"ok": False, "error": "internal server error", "code": "internal"}


# --- Expiry -------------------------------------------------------------------------------


def sweep():
    """End grace periods, typing states and idle rooms whose time is up, telling those concerned."""
    if not _state().heartbeat():
        # The other processes dropped this one's connections (it stalled too long): let its
        # clients reconnect, so they come back as new connections the others know of.
        disconnect_local_clients()
    queue = _redis_queue()
    if queue:
        queue.repair_lagging()
    departures, typing_ended, rooms_removed, dropped = _state().expire()
    for _ in range(dropped):
        # A dead process's connections never disconnect: say each left, as disconnect would,
        # through the queue to the seed clients of every process.
        socketio.emit("user-left", USER_LEFT, to=SEED)
    for room, member in departures:
        _announce_departure(room, member)
    for room, member in typing_ended:
        _emit_typing(room, member, False)
    for room in rooms_removed:
        socketio.emit("room-removed", {"room": room}, to=FULL)
    _end_expired_tokens()


TOKEN_EXPIRED = {"event": "connect", "error": "your token has expired: connect again with a new one",
                 "code": "token_expired"}


def _end_expired_tokens():
    """Tell each connection whose token has expired, then disconnect it; it reconnects with a new token."""
    expiry = _state().token_expiry
    for sid in expiry.expire() if expiry else ():
        # This process's own connection: straight to it, not through the queue, so the
        # chat-error is sent before the disconnect, not after it.
        socketio.emit(ERROR_EVENT, TOKEN_EXPIRED, to=sid, ignore_queue=True)
        socketio.server.disconnect(sid, namespace="/", ignore_queue=True)


SWEEP_SECONDS = 1.0
RETAIN_EVERY = 60  # sweeps between two retention passes


def _start_sweeper():
    """Start this app's expiry loop once, on its first connection."""
    app = current_app._get_current_object()
    if app.extensions.get("chat_sweeper"):
        return
    app.extensions["chat_sweeper"] = True
    server = socketio.server

    def run():
        # A test may bind the module's socketio to a newer app: then this loop ends.
        sweeps = 0
        while socketio.server is server:
            socketio.sleep(SWEEP_SECONDS)
            with app.app_context():
                try:
                    sweep()
                    if sweeps % RETAIN_EVERY == 0:
                        app.extensions["chat"].retain()
                except Exception:  # storage or Redis away: try again next round
                    app.logger.exception("expiry loop")
            sweeps += 1

    socketio.start_background_task(run)
