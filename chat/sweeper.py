"""The expiry loop: once a second, end what has run out (chat/core/expiry.py); once a minute, retention and guests."""

import threading

from flask import current_app

from . import metrics, socketio
from .events import chat
from .shutdown import close_local_clients


def sweep() -> None:
    """Run one sweep of the current app's chat: what it ends is announced through its port."""
    core = chat()
    lost = not core.expiry.heartbeat()
    try:
        core.expiry.sweep()  # after Redis lost everything, this brings the rooms back first
    finally:
        if lost:
            # The other processes dropped this one's connections (it stalled too long), or
            # Redis lost them: close their transports, so they reconnect by themselves as new
            # connections the others know of, to the rooms restored.
            close_local_clients()
    metrics.refresh_connections(socketio.server)


def tick(sweeps: int) -> None:
    """Run round ``sweeps`` of the loop: a sweep, then every RETAIN_EVERY rounds retention, each whatever the other did.

    Retention runs apart: nothing a sweep fails on (storage or Redis away) may stop it.
    """
    try:
        sweep()
    except Exception:  # storage or Redis away: try again next round
        current_app.logger.exception("expiry loop")
    if sweeps % RETAIN_EVERY == 0:
        try:
            chat().expiry.retain()
            chat().connections.expire_guests()
        except Exception:  # the database away: try again at the next retention round
            current_app.logger.exception("retention")


SWEEP_SECONDS = 1.0
RETAIN_EVERY = 60  # sweeps between two retention passes

_starting = threading.Lock()  # connects run at once: only one of them may start the loop


def start() -> None:
    """Start the current app's expiry loop, exactly once, on its first connection."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _starting:
        if app.extensions.get("chat_sweeper"):
            return
        app.extensions["chat_sweeper"] = True
    server = socketio.server

    def run() -> None:
        # A test may bind the module's socketio to a newer app: then this loop ends.
        sweeps = 0
        while socketio.server is server:
            socketio.sleep(SWEEP_SECONDS)
            with app.app_context():
                tick(sweeps)
            sweeps += 1

    socketio.start_background_task(run)
