"""Socket.IO clients for the tests: recording peers of a live server, and test-client helpers."""

import threading

import engineio
import socketio
from engineio.payload import Payload

from support import TIMEOUT


def received(test_client):
    """Drain ``test_client``; return (event, first argument) pairs."""
    return [
        (item["name"], item["args"] if item["name"] == "message" else (item["args"] or [None])[0])
        for item in test_client.get_received()
    ]


def only(test_client, *expected):
    """Drain ``test_client``, assert it received exactly the ``expected`` events, return their payloads."""
    got = received(test_client)
    assert [event for event, _ in got] == list(expected), got
    return [payload for _, payload in got] if len(expected) != 1 else got[0][1]


class InOrderEngineIOClient(engineio.Client):
    """python-engineio's client, without two of its races that would fool the tests.

    - It starts a thread per received message, so a program can see events out of the
      order the server sent them in: here each is handed on before the next is read.
    - On long-polling, disconnect() can stop the sending loop before it posts the
      goodbye, so the server learns of it only at the heartbeat timeout: here the
      goodbye is posted first.
    """

    def _trigger_event(self, event, *args, **kwargs):
        kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)

    def disconnect(self, abort=False, reason=None):
        if self.state == "connected" and self.current_transport == "polling":
            self._send_packet(engineio.packet.Packet(engineio.packet.CLOSE))
            with self.queue.all_tasks_done:  # bounded: the server may be gone already
                self.queue.all_tasks_done.wait_for(lambda: not self.queue.unfinished_tasks, timeout=2)
        super().disconnect(abort=abort, reason=reason)


class InOrderClient(socketio.Client):
    """python-socketio client that sees events in the order they arrived."""

    def _engineio_client_class(self):
        return InOrderEngineIOClient


class Peer:
    """A python-socketio client that records every event it receives, in order."""

    def __init__(self, url, transport, headers=None, auth=None, **options):
        # Engine.IO's client, like its server, drops a long-polling response of more than
        # 16 packets; a busy chat sends far more. The app raises the limit for the server
        # side, but in this process a later create_app() may have set it again.
        Payload.max_decode_packets = 100_000
        options.setdefault("reconnection", False)
        self.client = InOrderClient(**options)
        self.events = []
        self._changed = threading.Condition()
        self.client.on("*", self._record)
        self.client.on("disconnect", lambda reason=None: self._record("disconnect", reason))
        transports = None if transport == "default" else [transport]
        self.client.connect(url, transports=transports, headers=headers or {}, auth=auth, wait_timeout=TIMEOUT)

    def _record(self, event, *args):
        with self._changed:
            self.events.append((event, args[0] if len(args) == 1 else args))
            self._changed.notify_all()

    def received(self, event):
        """Return the payloads of ``event`` received so far, in order."""
        with self._changed:
            return [payload for name, payload in self.events if name == event]

    def wait_for(self, event, count=1, timeout=TIMEOUT):
        """Wait until ``event`` has been received ``count`` times; return those payloads."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received(event)) >= count, timeout):
                raise AssertionError(f"got {len(self.received(event))} {event!r}, expected {count}: {self.events[-5:]}")
        return self.received(event)

    def send(self, *args, event="newMessage"):
        """Emit ``event`` and return the server's acknowledgement."""
        data = args[0] if len(args) == 1 else (args or None)
        return self.client.call(event, data, timeout=TIMEOUT)

    def close(self):
        if self.client.connected:
            self.client.disconnect()


def send_all_at_once(clients, emits):
    """Have every client emit ``emits(index)`` (event, payload) pairs, in order, all clients at once."""
    start = threading.Barrier(len(clients))

    def run(index, client):
        start.wait()
        for event, payload in emits(index):
            client.client.emit(event, payload)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
