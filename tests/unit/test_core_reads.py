"""Read markers, receipts, seen-by and unread counts in the core, with a fake port."""

import pytest

from chat.model import ChatError
from support.core import connect, full


def test_marking_read_moves_the_marker_and_sends_one_receipt_per_sender(core):
    """Tell the reader's connections of the new marker, and each sender once, with their newest message passed."""
    chat, port = core
    full(chat, "a1", "Alice")
    bob = full(chat, "b1", "Bob")
    full(chat, "c1", "Carol")
    for text in ("one", "two"):
        chat.messages.send("a1", "general", text, None, [])
    chat.messages.send("c1", "general", "three", None, [])
    port.clear()
    ack = chat.reads.mark("b1", "general", 99)  # past the last id: read up to it
    assert ack == {"room": "general", "id": 3, "unread": 0, "mentions": 0, "moved": True}
    assert port.heard("b1", "read-marker") == [{"room": "general", "id": 3, "unread": 0, "mentions": 0}]
    assert port.heard("a1", "receipt") == [{"room": "general", "id": 2, "by": bob.as_dict()}]
    assert port.heard("c1", "receipt") == [{"room": "general", "id": 3, "by": bob.as_dict()}]
    port.clear()
    assert chat.reads.mark("b1", "general", 1)["moved"] is False
    assert port.records == []


def test_seen_by_lists_the_readers(core):
    """Say who has read up to a message or past it."""
    chat, _ = core
    full(chat, "a1", "Alice")
    bob = full(chat, "b1", "Bob")
    chat.messages.send("a1", "general", "one", None, [])
    chat.reads.mark("b1", "general", 1)
    assert chat.reads.seen_by("a1", "general", 1)["by"] == [bob.as_dict()]


def test_unread_counts_come_with_the_welcome(core):
    """Count a DM's messages and mentions as unread in a later welcome."""
    chat, port = core
    full(chat, "a1", "Alice")
    bob = full(chat, "b1", "Bob")
    dm = chat.dms.open("a1", bob.id)["id"]
    chat.messages.send("a1", dm, "hi", None, [])
    chat.connections.disconnect("b1", True)
    guest = port.heard("b1", "welcome")[0]["guest"]
    connect(chat, "b2", {"protocol": 2, "name": "Bob", "rooms": [], "guest": guest})
    unread = port.heard("b2", "welcome")[0]["unread"]
    assert unread[dm] == {"count": 1, "mentions": 0, "readUpTo": 0}


def test_reads_need_belonging(core):
    """Refuse read requests in a room one does not belong to: not_in_room."""
    chat, _ = core
    full(chat, "c1", "Carol", rooms=[])
    with pytest.raises(ChatError) as refused:
        chat.reads.seen_by("c1", "general", 1)
    assert refused.value.code == "not_in_room"


def test_read_requests_over_the_allowance_are_dropped(core):
    """Take each read request from the read allowance, dropping those over it."""
    chat, _ = core
    full(chat, "a1", "Alice")
    taken = [chat.reads.take_allowance("a1") for _ in range(100)]
    assert taken[0] is True and taken[-1] is False
