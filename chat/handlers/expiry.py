"""The expiry loop: once a second, end what has run out and tell those concerned.

Grace periods, typing states, idle rooms, expired tokens, processes given up for dead
(with Redis), and gaps in live delivery; once a minute, the history's retention.
"""

import threading

from flask import current_app

from .. import metrics, socketio
from ..model import FULL, SEED
from ..shutdown import disconnect_local_clients
from . import ERROR_EVENT, USER_LEFT, announce_departure, chat_state, emit_typing


def sweep():
    """End grace periods, typing states and idle rooms whose time is up, telling those concerned."""
    state = chat_state()
    if not state.presence.heartbeat():
        # The other processes dropped this one's connections (it stalled too long): let its
        # clients reconnect, so they come back as new connections the others know of.
        disconnect_local_clients()
    state.delivery.repair()
    departures, typing_ended, rooms_removed, dropped = state.expire()
    for _ in range(dropped):
        # A dead process's connections never disconnect: say each left, as disconnect would,
        # through the queue to the seed clients of every process.
        socketio.emit("user-left", USER_LEFT, to=SEED)
    for room, member in departures:
        announce_departure(room, member)
    for room, member in typing_ended:
        emit_typing(room, member, False)
    for room in rooms_removed:
        socketio.emit("room-removed", {"room": room}, to=FULL)
    _end_expired_tokens()
    metrics.refresh_connections(socketio.server)


TOKEN_EXPIRED = {"event": "connect", "error": "your token has expired: connect again with a new one",
                 "code": "token_expired"}


def _end_expired_tokens():
    """Tell each connection whose token has expired, then disconnect it; it reconnects with a new token."""
    expiry = chat_state().token_expiry
    for sid in expiry.expire() if expiry else ():
        # This process's own connection: straight to it, not through the queue, so the
        # chat-error is sent before the disconnect, not after it.
        socketio.emit(ERROR_EVENT, TOKEN_EXPIRED, to=sid, ignore_queue=True)
        socketio.server.disconnect(sid, namespace="/", ignore_queue=True)


SWEEP_SECONDS = 1.0
RETAIN_EVERY = 60  # sweeps between two retention passes

_starting = threading.Lock()  # connects run at once: only one of them may start the loop


def start():
    """Start the current app's expiry loop, exactly once, on its first connection."""
    app = current_app._get_current_object()
    with _starting:
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
