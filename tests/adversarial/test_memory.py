"""Memory: a client that stops reading cannot make the server hold more than MAX_QUEUED_BYTES for it.

The attack of issue 18 (finding 1): one anonymous client stops reading, then enters and
leaves a room of long messages again and again, each entry queueing the room's history for
it. Against the production command (gunicorn, gevent), the worker's memory is read from
/proc while the attack runs.
"""

import json
import socket
import time
from pathlib import Path

import pytest
import requests
import websocket

from support import TIMEOUT

LONGEST = "😀" * 2000  # a longest message: 24,000 bytes once JSON-escaped
ROOM_MESSAGES = 280  # as in the report
MAX_QUEUED_BYTES = 4_000_000  # the default
# What one cut client may leave the worker holding, at most: its send queue counted twice (the
# queue itself, and the freed memory glibc keeps for reuse rather than returning), and room for
# the interpreter's own churn (each entry encodes its history once) over the attack.
GROWTH_BOUND = 2 * MAX_QUEUED_BYTES + 20_000_000
AUTH = {"protocol": 2, "name": "Mallory"}
LEAVE, JOIN = '42["leave-room",{"room":"general"}]', '42["join-room",{"room":"general"}]'


def worker_pid(server):
    """Return the pid of the gunicorn worker serving ``server`` (the master's only child)."""
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def rss_bytes(pid):
    """Return the resident memory of process ``pid``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def fill_room(server, peer, count):
    """Post ``count`` longest messages to the default room, a flood burst per connection, one connection at a time."""
    sent = 0
    while sent < count:
        poster = peer(server)
        for _ in range(min(25, count - sent)):
            assert poster.send(LONGEST) == {"ok": True}
            sent += 1
        poster.close()


class StalledWebSocket:
    """A full-protocol client over WebSocket that reads nothing once its connect is accepted."""

    def __init__(self, server):
        url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.WebSocket(sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
        self.ws.connect(url, timeout=TIMEOUT)
        assert self.ws.recv().startswith("0{")
        self.ws.send("40" + json.dumps(AUTH))
        while not self.ws.recv().startswith("40{"):  # the welcome, presence and history come first
            pass

    def send(self, *packets):
        """Send ``packets``; return False once the server has cut the connection."""
        try:
            for pkt in packets:
                self.ws.send(pkt)
        except (BrokenPipeError, ConnectionResetError, websocket.WebSocketConnectionClosedException):
            return False
        return True

    def close(self):
        self.ws.close()


class StalledPolling:
    """A full-protocol client over long-polling that posts but never polls for what the server sends."""

    def __init__(self, server):
        handshake = requests.get(server.url + "/socket.io/?EIO=4&transport=polling", timeout=TIMEOUT)
        sid = json.loads(handshake.text[1:])["sid"]
        self.url = f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
        assert self.send("40" + json.dumps(AUTH))

    def send(self, *packets):
        """Post ``packets`` in one request; return False once the server has closed the session."""
        return requests.post(self.url, data="\x1e".join(packets), timeout=TIMEOUT).status_code == 200

    def close(self):
        pass


@pytest.mark.parametrize("stalled_client", [StalledWebSocket, StalledPolling], ids=["websocket", "polling"])
def test_a_client_that_stops_reading_and_reenters_a_room_is_cut_within_the_byte_bound(
    live_server, peer, stalled_client
):
    """Cut a non-reading client that re-enters a room of long messages; the worker grows by a bounded amount."""
    # A flood allowance large enough to reach the bound in seconds: the bound holds whatever the rate.
    server = live_server("production", FLOOD_BURST=400, FLOOD_RATE=200.0)
    fill_room(server, peer, ROOM_MESSAGES)
    pid = worker_pid(server)
    stalled = stalled_client(server)
    server.wait_for_connections(1)
    before = rss_bytes(pid)
    peak = before
    deadline = time.monotonic() + 60
    entries = 0
    while "bytes wait to be sent to it" not in server.log():
        assert time.monotonic() < deadline, f"not cut after {entries} entries; RSS {before} -> {peak}"
        if not stalled.send(LEAVE, JOIN):
            break  # cut: the server closed it while we were still sending
        entries += 1
        peak = max(peak, rss_bytes(pid))
        assert peak - before < GROWTH_BOUND, f"RSS {before} -> {peak} after {entries} entries, not cut"
        time.sleep(0.005)  # pacing within the allowance: the server has no event to wait on
    server.wait_for_connections(0)
    peak = max(peak, rss_bytes(pid))
    print(f"cut after {entries} entries; worker RSS {before / 1e6:.1f} -> peak {peak / 1e6:.1f} MB")
    assert peak - before < GROWTH_BOUND
    stalled.close()
    # Everyone else is unaffected: a reader still enters the room and gets its history.
    reader = peer(server, auth={"protocol": 2, "name": "Reader"})
    [history] = reader.wait_for("history")
    assert history["more"] is True and 1 <= len(history["messages"]) <= 4
