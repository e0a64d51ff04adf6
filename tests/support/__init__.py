"""What the tests share besides fixtures: paths, time limits, test settings, and (in modules) helpers.

- ``support.clock``: a fake clock.
- ``support.servers``: the app in a real server process, and a real redis-server.
- ``support.clients``: recording Socket.IO clients of a live server; test-client helpers.
- ``support.js``: a socket.io JavaScript client in Node that reconnects by itself.
- ``support.relay``: a TCP relay a test can cut.
- ``support.page``: the browser tests' Chromium settings and helpers on the demo page.

pyproject.toml puts tests/ on pytest's path (``pythonpath = [".", "tests"]``), so test modules import these
as ``support`` whatever pytest's import mode.
"""

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TIMEOUT = 15  # seconds any single awaited event may take before a test fails

TEST_SECRET = "test-secret-of-thirty-two-bytes!"  # CHAT_SECRET_KEY must be 32 bytes or more
TEST_SETTINGS = {"TESTING": True, "SECRET_KEY": TEST_SECRET}

MAX_MESSAGE_ID = 2**53 - 1  # the documented bound (docs/protocol.md, Limits)
HANDSHAKE = "/socket.io/?EIO=4&transport=polling"  # an Engine.IO handshake's path, on long-polling


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
