"""The WebSocket fast path, without a socket."""

import pytest
from wsproto.frame_protocol import FrameProtocol

from chat.transport.framing import frame


@pytest.mark.parametrize(
    "message", ["", "4hi", "é😀" * 10, "x" * 125, "x" * 126, "x" * 65535, "x" * 65536, b"\x00\x01binary", b"y" * 70000]
)
def test_frames_match_wsproto(message):
    """Frame a message exactly as wsproto frames a final, unmasked server frame."""
    expected = FrameProtocol(client=False, extensions=[]).send_data(message, fin=True)
    assert frame(message) == expected
