"""What waits for a client counts against MAX_QUEUED_BYTES, whatever the packet: histories too."""

import queue
import socket
from types import SimpleNamespace

import pytest
from engineio import packet

from chat.transport.framing import frame_of, queued_bytes
from chat.transport.outbox import Outbox
from chat.transport.send_queues import send_queue_class

HISTORY = '2["history",{"room":"general","messages":[' + ",".join(['{"text":"' + "x" * 1000 + '"}'] * 50) + "]}]"


@pytest.mark.parametrize(
    "data",
    [HISTORY, '2["changes",{"room":"general","changes":[]}]', '2["message","hi"]'],
    ids=["history", "changes", "message"],
)
def test_every_event_counts_its_bytes(data):
    """Count a room's history (on entering or catching up) as any other packet: the memory it holds, its frame."""
    pkt = packet.Packet(packet.MESSAGE, data)
    assert queued_bytes(pkt) >= len(data)
    _, counted = frame_of(pkt)
    assert counted >= len(data) + 2


def test_the_send_queue_counts_a_history(monkeypatch):
    """Count a history's bytes in Engine.IO's queue (long-polling, threads) while it waits, and take them off after."""
    waiting = send_queue_class(queue.Queue)()
    waiting.put(packet.Packet(packet.MESSAGE, HISTORY))
    assert waiting.bytes >= len(HISTORY)
    waiting.get()
    assert waiting.bytes == 0


class StalledSocket:
    """A gevent socket stand-in whose peer stopped reading: the kernel takes ``room`` bytes, then nothing."""

    def __init__(self, room):
        self.room = room
        self.shut = False

    def sendmsg(self, buffers, *args):
        """Take what still fits in the kernel's buffer."""
        size = sum(len(b) for b in buffers)
        taken = min(size, self.room)
        self.room -= taken
        if not taken:
            raise BlockingIOError
        return taken

    def shutdown(self, how):
        """Record the cut."""
        assert how == socket.SHUT_RDWR
        self.shut = True


def stalled_outbox(max_bytes, room):
    """Return an Outbox writing into a StalledSocket, with its send bounds and a record of its cuts."""
    cuts, closed = [], []
    server = SimpleNamespace(
        chat_send_bounds=(5000, max_bytes),
        chat_count_cut=lambda: cuts.append(True),
        start_background_task=lambda task, *args: closed.append(args),
    )
    engineio_socket = SimpleNamespace(server=server, sid="s1")
    return Outbox(engineio_socket, StalledSocket(room), lambda: None), cuts


def test_one_packet_larger_than_the_bound_is_cut_not_kept():
    """Cut a client when the part of one packet its socket did not take is over MAX_QUEUED_BYTES; keep none of it."""
    outbox, cuts = stalled_outbox(max_bytes=10_000, room=1000)
    outbox.put(packet.Packet(packet.MESSAGE, HISTORY))
    assert cuts == [True] and outbox.bytes == 0 and outbox.qsize() == 0
    outbox.put(packet.Packet(packet.MESSAGE, '2["message","after the cut"]'))
    assert outbox.bytes == 0 and outbox.qsize() == 0  # nothing follows half a frame


def test_packets_within_the_bound_wait_counted():
    """Keep what the socket did not take, counted, while it stays within the bound."""
    outbox, cuts = stalled_outbox(max_bytes=100_000, room=1000)
    outbox.writer = "a writer"  # as if one were running: what comes next waits behind
    outbox.put(packet.Packet(packet.MESSAGE, HISTORY))
    assert cuts == [] and outbox.bytes >= len(HISTORY)
