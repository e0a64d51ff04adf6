"""A graceful stop for production servers: clients move to another process before this one goes."""

import signal

from . import socketio, transport


def close_clients_on_sigterm():
    """On SIGTERM, close the transport of this process's clients, then stop as the server would have.

    gunicorn stops accepting connections on SIGTERM, then waits up to its graceful timeout
    for open requests to end; a WebSocket or long-polling connection never ends by itself,
    so clients would hang on until the timeout killed them. Their transports closed at
    once (not a Socket.IO DISCONNECT, after which a client stays offline), they reconnect
    by themselves to another process (and, with the full protocol, catch up from the
    history). Installed only over a server's own handler, which it calls next.
    """
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return

    def handle(signum, frame):
        socketio.start_background_task(close_local_clients)  # a signal handler must not block
        previous(signum, frame)

    signal.signal(signal.SIGTERM, handle)


def close_local_clients():
    """Close the transport of every client of this process (with several processes, only this one's): they come back."""
    transport.close_local_transports(socketio.server)
