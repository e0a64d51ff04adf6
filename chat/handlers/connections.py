"""The connect and disconnect handlers: who joins, as whom, in which rooms; who leaves."""

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, emit

from .. import metrics, socketio, sweeper, transport
from ..events import USER_JOINED, USER_LEFT, chat, current_sid, is_full
from ..model import SEED, ChatError
from ..validation import FULL_PROTOCOL


@socketio.on("connect")
def connect(auth: object = None) -> None:
    """Sent by a client connecting: check its handshake, refusing a bad one; nothing is sent to anyone yet.

    A refusal is the client's ``connect_error``, with its code. An accepted connection is
    acknowledged (Socket.IO's CONNECT), and only then put in its rooms, by ``connected``:
    nothing but CONNECT may reach a client first (chat/transport/after_connect.py).
    """
    core = chat()
    try:
        handshake = core.connections.handshake(auth, request.environ.get(transport.OPENED))
    except ChatError as error:
        metrics.refused("connect", error.code)
        raise ConnectionRefusedError(error.reason, error.as_dict()) from error
    sweeper.start()
    if handshake.admin:
        session["admin"] = True
    session["protocol"] = FULL_PROTOCOL if handshake.full else 1
    session["handshake"] = handshake


@socketio.on(transport.AFTER_CONNECT_EVENT)
def connected() -> None:
    """Run by the transport right after a connect is acknowledged: tell seed clients a user joined, put the client in its rooms.

    Every other seed client gets ``user-joined``. A full-protocol client gets ``welcome``,
    with its unread counts in every room its person belongs to, then a ``presence``
    snapshot of each room it enters; the others in those rooms get ``member-joined``.

    A step that fails halfway (Redis or the database down) leaves no connection open and
    unserved: its transport is closed before the client hears CONNECT, and the client
    connects again by itself; the disconnect handler undoes what the step did.
    """
    core, sid = chat(), current_sid()
    try:
        handshake = session.pop("handshake")  # missing when the connect handler failed unexpectedly
        member, departures = core.connections.connect(sid, handshake, request.remote_addr, session.get("browser"))
        emit("user-joined", USER_JOINED, to=SEED, include_self=False)
        core.connections.arrive(sid, handshake, member, departures)
    except Exception:
        current_app.logger.exception("could not set up the connection %s: closing it, its client connects again", sid)
        metrics.refused("connect", "internal")
        transport.close_transport(socketio.server, sid)


@socketio.on("disconnect")
def disconnect(reason: object = None) -> None:
    """Sent when a client's connection ends: tell seed clients; people leave rooms after a grace period.

    Seed clients are told only if presence still knew the connection: when other
    processes took this one for dead, they dropped it and said it left already.
    """
    sid = current_sid()
    if chat().connections.disconnect(sid, is_full()):
        socketio.emit("user-left", USER_LEFT, to=SEED, skip_sid=sid)
