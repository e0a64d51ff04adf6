"""What a client may send: Engine.IO frames and Socket.IO packets, checked before they cost anything.

Below the event handlers a client speaks Engine.IO frames (WebSocket messages, or packets
in a long-polling POST) carrying Socket.IO packets. python-socketio hands the reserved
event names straight to the real connect and disconnect handlers, buffers every binary
attachment a packet announces, and parses a packet whole before any handler can look at
its size; python-engineio lets some undecodable frames escape its error handling. The
checks here sit in front of both libraries.
"""

import json
import logging
import re
from typing import Any

from socketio import packet as sio_packet
from socketio.base_server import BaseServer

from .after_connect import AFTER_CONNECT_EVENT

logger = logging.getLogger(__name__)


class MalformedFrame(ValueError):
    """An Engine.IO frame or Socket.IO packet the server will not decode; it closes its sender's connection."""


# The name under which a refused event reaches the handlers; a client sending it is refused too.
REFUSED_EVENT = "transport-refused"
# python-socketio dispatches these itself ("*" as its catch-all), the transport the step after
# CONNECT: never as a client's event.
RESERVED_EVENTS = frozenset(BaseServer.reserved_events) | {"*", REFUSED_EVENT, AFTER_CONNECT_EVENT}
# What a client may send over WebSocket: Engine.IO packet types 0 to 6, as text. Over
# long-polling Engine.IO refuses OPEN (0), PING (2) and NOOP (6) from a client by closing the
# session and waiting for a poll that may never come (the POST hangs), so there they are malformed.
WEBSOCKET_PACKET_TYPES = frozenset("0123456")
POLLING_PACKET_TYPES = frozenset("1345")
HEAD_SCAN = 600  # characters read to find a long event's name and ack id
EVENT_HEAD = re.compile(r'2(/[^,]{0,200},)?(\d{1,100})?\s*\[\s*"((?:[^"\\]|\\.){1,256})"')


def frame_problem(message: str | bytes | None, packet_types: frozenset[str] = WEBSOCKET_PACKET_TYPES) -> str | None:
    """Return why an Engine.IO frame from a client is refused, or None for one it may send.

    The chat uses no binary data, so a binary frame (or a text one carrying base64, "b...")
    is refused before it is decoded, as is an empty frame or one of another packet type.
    """
    if message is None:
        return None  # the client closed the connection
    if not isinstance(message, str) or message.startswith("b"):
        return "it sent a binary message, which this chat never uses"
    if not message or message[0] not in packet_types:
        return f"it sent a malformed Engine.IO packet {message[:16]!r}"
    return None


class ChatPacket(sio_packet.Packet):  # type: ignore[misc]  # python-socketio is untyped: its Packet is Any
    """python-socketio's packet, decoding a client's packet only if the server should dispatch it.

    Given to python-socketio as its ``serializer`` (``packet_class`` makes one per limit).

    - An event with a reserved name, or longer than ``max_length`` characters, decodes as
      ``REFUSED_EVENT`` with its name, its length and the refusal's code, under the client's
      ack id. A long event's name and id are read from its head; the rest is never parsed.
    - A packet that does not decode, or has a shape the server cannot dispatch, raises
      MalformedFrame, which ``guard_packets`` turns into the end of its sender's
      connection, not a traceback.
    """

    max_length: int
    # python-socketio's attributes, declared for mypy: the base class is untyped.
    packet_type: int
    namespace: str | None
    id: int | None
    data: Any

    def decode(self, encoded_packet: str) -> int:
        """Decode ``encoded_packet`` into this packet; return how many binary attachments it announced."""
        if len(encoded_packet) > self.max_length:
            return self._refuse_unread(encoded_packet)
        try:
            attachments: int = super().decode(encoded_packet)
        except (ValueError, RecursionError) as error:  # bad JSON, numbers too long, nesting too deep
            raise MalformedFrame(f"it sent a malformed Socket.IO packet ({error.__class__.__name__})") from None
        data = self.data
        if self.packet_type == sio_packet.EVENT:
            if not (data and isinstance(data, list) and isinstance(data[0], str)):
                raise MalformedFrame("it sent an event that is not a list starting with a name")
            if data[0] in RESERVED_EVENTS:
                self.data = [REFUSED_EVENT, {"event": data[0], "code": "reserved_event"}]
        if self.packet_type == sio_packet.ACK and not isinstance(data, list):
            raise MalformedFrame("it sent an acknowledgement that is not a list")
        return attachments

    def _refuse_unread(self, encoded_packet: str) -> int:
        """Decode a packet past the length limit from its head alone, as a too_long refusal of its event."""
        head = EVENT_HEAD.match(encoded_packet, 0, HEAD_SCAN)
        if head is None:
            raise MalformedFrame(
                f"it sent a packet of {len(encoded_packet):,} characters that is not an event whose name can be read"
            )
        namespace, ack_id, quoted = head.group(1, 2, 3)
        try:
            name = json.loads(f'"{quoted}"')
        except ValueError:
            raise MalformedFrame("it sent an event whose name is not a JSON string") from None
        code = "reserved_event" if name in RESERVED_EVENTS else "too_long"
        self.packet_type = sio_packet.EVENT
        self.namespace = namespace[:-1].split("?")[0] if namespace else None
        self.id = int(ack_id) if ack_id else None
        self.data = [
            REFUSED_EVENT,
            {"event": name, "code": code, "length": len(encoded_packet), "limit": self.max_length},
        ]
        return 0


def packet_class(max_length: int) -> type[ChatPacket]:
    """Return a ChatPacket class refusing events longer than ``max_length`` characters unread."""
    return type("ChatPacket", (ChatPacket,), {"max_length": max_length})


def guard_packets(sio_server: Any) -> None:
    """Check every Socket.IO packet a client sends before python-socketio decodes it.

    A binary packet (announcing attachments), a binary message, a packet of a type a client
    never sends, or one that ChatPacket cannot decode, closes its sender's connection, logged.
    """
    eio_server = sio_server.eio
    handle_message = eio_server.handlers["message"]  # python-socketio's _handle_eio_message

    def guarded(eio_sid: str, data: str | bytes) -> Any:
        engineio_socket = eio_server.sockets.get(eio_sid)
        if engineio_socket is None or engineio_socket.closed:
            return None  # the rest of a long-polling batch after its session closed: python-socketio forgot it
        problem = (
            "it sent a binary message, which this chat never uses"
            if not isinstance(data, str)
            else _packet_problem(data)
        )
        if problem is None:
            try:
                return handle_message(eio_sid, data)
            except MalformedFrame as error:
                problem = str(error)
        close_connection(sio_server, eio_sid, problem)
        return None

    eio_server.on("message", guarded)


def _packet_problem(data: str) -> str | None:
    """Return why a Socket.IO packet's type is refused, or None for CONNECT, DISCONNECT, EVENT or ACK."""
    if data[:1] in ("5", "6"):
        return "it announced a binary attachment, which this chat never uses"
    if data[:1] not in ("0", "1", "2", "3"):
        return f"it sent a Socket.IO packet of an unknown type {data[:16]!r}"
    return None


def close_connection(sio_server: Any, eio_sid: str, reason: str) -> None:
    """Close one client's connection now, logged with ``reason``; everyone else is unaffected.

    Socket.IO is told first, so the client knows the server ended it and does not come
    straight back. Nothing waits for the client to collect the goodbye: a long-polling
    client with no request waiting would hold the caller forever.
    """
    logger.warning("closing %s: %s", eio_sid, reason)
    sid = sio_server.manager.sid_from_eio_sid(eio_sid, "/")
    if sid is not None:
        sio_server.disconnect(sid, ignore_queue=True)
    engineio_socket = sio_server.eio.sockets.pop(eio_sid, None)  # a later request is then an unknown session
    if engineio_socket is not None:
        engineio_socket.close(wait=False, abort=False)
