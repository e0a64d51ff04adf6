"""WebSocket frames written by the server itself, and what a waiting packet counts against the send bounds.

Without compression a server's WebSocket frame is a 2-to-10-byte header and the payload,
so the fast paths (``websocket.py``, ``outbox.py``) build it here instead of through
wsproto's general framing, once per broadcast.
"""

import sys
from typing import Any


def frame(message: str | bytes) -> bytes:
    """Return ``message`` as one unmasked, final WebSocket frame: text for str, binary for bytes."""
    if isinstance(message, str):
        payload, opcode = message.encode(), 0x81
    else:
        payload, opcode = bytes(message), 0x82
    size = len(payload)
    if size < 126:
        header = bytes((opcode, size))
    elif size < 65536:
        header = bytes((opcode, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((opcode, 127)) + size.to_bytes(8, "big")
    return header + payload


def frame_of(pkt: Any) -> tuple[bytes, int]:
    """Return Engine.IO packet ``pkt`` as a WebSocket frame and the bytes it counts, built once per packet.

    python-socketio builds one Engine.IO packet per broadcast and hands that same object
    to every recipient, so the frame is built by the first and shared by the rest (as the
    packet's ``chat_frame`` attribute, which the Outbox reads first).
    """
    try:
        return pkt.chat_frame  # type: ignore[no-any-return]  # set below, on an untyped Engine.IO packet
    except AttributeError:
        pass
    built = frame(pkt.encode())
    pkt.chat_frame = (built, len(built))
    return pkt.chat_frame  # type: ignore[no-any-return]


def queued_bytes(pkt: Any) -> int:
    """Return the memory ``pkt``'s payload holds while it waits in a send queue, whatever the packet (histories too)."""
    data = getattr(pkt, "data", None)
    if isinstance(data, str):
        # sys.getsizeof, not len: a str holds 1, 2 or 4 bytes a code point, and it is O(1).
        return sys.getsizeof(data)
    if isinstance(data, (bytes, bytearray)):
        return len(data)
    return 0
