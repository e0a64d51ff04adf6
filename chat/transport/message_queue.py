"""The Socket.IO message queue (python-socketio's ``RedisManager``): its message format and its emits, as hooks.

With several server processes every broadcast goes through Redis. The Redis delivery
(``chat/stores/redis/delivery.py``) publishes room messages itself, after their commit, and
intercepts the emits that reach this process, so it needs the queue's message format and
the manager's private ``_handle_emit`` and ``_publish``. Both are here, behind documented
names: ``emit_message`` for the format, and ``QueueManager``'s ``receive_emit``,
``deliver``, ``publish`` and ``publish_failed``.
"""

from typing import Any

import socketio

QueueMessage = dict[str, Any]


def emit_message(event: str, data: Any, room: str, host_id: str) -> QueueMessage:
    """Return the queue message that has every process but ``host_id``'s emit ``event`` with ``data`` to ``room``.

    The format of python-socketio 5.18.1's ``PubSubManager.emit``, for one argument, not
    binary, in the default namespace, skipping nobody, with no callback. A ``host_id``
    that no process has makes every process deliver it, the publisher's included.
    """
    return {
        "method": "emit",
        "event": event,
        "data": [data],
        "binary": False,
        "namespace": "/",
        "room": room,
        "skip_sid": None,
        "callback": None,
        "host_id": host_id,
    }


class QueueManager(socketio.RedisManager):  # type: ignore[misc]  # python-socketio is untyped: its classes are Any
    """python-socketio's ``RedisManager``, its private hooks given documented names.

    A subclass overrides ``receive_emit`` to see every emit this process delivers (its own
    and those from the queue) and ``publish_failed`` to hear of a publication that failed.
    """

    # python-socketio's delivery of an emit to this process's clients, called as is: no
    # extra call per emit. RedisManager inherits it from PubSubManager.
    deliver = socketio.PubSubManager._handle_emit

    def receive_emit(self, event: str | None, data: Any, message: QueueMessage) -> None:
        """Deliver ``message``, an emit of ``event`` whose first argument is ``data``; override to intercept.

        An override delivers the emit, when it does, with ``self.deliver(message)``.
        """
        self.deliver(message)

    def publish_failed(self) -> None:
        """Do nothing when a publication to the queue failed (python-socketio logged it); override to count it."""

    def publish(self, message: QueueMessage) -> bool:
        """Publish ``message`` (an ``emit_message``) to every process; return whether Redis took it."""
        return self._publish(message) is not None

    def create_event(self) -> Any:
        """Return an event of the server's async mode (a threading or gevent Event)."""
        return self.server.eio.create_event()

    def _handle_emit(self, message: QueueMessage) -> None:
        # python-socketio calls it for every emit: this process's own (from emit) and each
        # message from the queue whose host_id is another's.
        data = message["data"]
        self.receive_emit(message.get("event"), data[0] if data else None, message)

    def _publish(self, data: QueueMessage) -> Any:
        # RedisManager logs a failed publication and returns None; success returns the
        # number of subscribers reached.
        result = super()._publish(data)
        if result is None:
            self.publish_failed()
        return result
