"""Histories bounded in bytes in the core: on entering, when catching up, and page by page."""

import json

import pytest

from chat.core.pages import encoded_size, newest_within, oldest_within
from support.core import config, full, make_chat

LONGEST = "😀" * 2000  # a longest message: 24,000 bytes once JSON-escaped, as python-socketio sends it


def sent_bytes(messages):
    """Return the bytes ``messages`` take in an event, as the bound counts them."""
    return sum(encoded_size(m) for m in messages)


def post(chat, count, text=LONGEST, room="general"):
    """Post ``count`` messages of ``text`` as a1 (who must be in ``room``); return their ids."""
    return [chat.messages.send("a1", room, text, None, []).message.id for _ in range(count)]


def test_the_default_bound_leaves_half_the_send_queue_for_a_handshakes_histories(tmp_path):
    """Derive HISTORY_MAX_BYTES so the histories of 10 rooms and 10 DMs fill half of MAX_QUEUED_BYTES."""
    assert config(tmp_path)["HISTORY_MAX_BYTES"] == 4_000_000 // 40
    assert config(tmp_path, MAX_QUEUED_BYTES=1_000_000, ROOMS_PER_CONNECTION=5)["HISTORY_MAX_BYTES"] == 50_000


def test_a_history_bound_too_large_for_the_send_queue_stops_the_start(tmp_path):
    """Refuse a HISTORY_MAX_BYTES whose handshake histories would fill more than half of MAX_QUEUED_BYTES."""
    assert config(tmp_path, HISTORY_MAX_BYTES=100_000)["HISTORY_MAX_BYTES"] == 100_000
    with pytest.raises(ValueError, match="CHAT_HISTORY_MAX_BYTES"):
        config(tmp_path, HISTORY_MAX_BYTES=100_001)


def test_entering_a_room_of_long_messages_sends_the_newest_that_fit(core):
    """Send the newest messages within HISTORY_MAX_BYTES, not HISTORY_LIMIT longest ones, with more: true."""
    chat, port = core
    full(chat, "a1", "Alice")
    ids = post(chat, 20)
    full(chat, "b1", "Bob")
    [history] = port.heard("b1", "history")
    assert sent_bytes(history["messages"]) <= chat.settings.history_max_bytes
    assert [m["id"] for m in history["messages"]] == ids[-4:] and history["more"] is True


def test_short_messages_still_come_by_the_history_limit(tmp_path, clock):
    """Leave a history of short messages as it was: HISTORY_LIMIT of them, more only when older exist."""
    chat, port = make_chat(tmp_path, clock, FLOOD_BURST=0)
    full(chat, "a1", "Alice")
    ids = post(chat, 60, "hello")
    full(chat, "b1", "Bob")
    [history] = port.heard("b1", "history")
    assert [m["id"] for m in history["messages"]] == ids[-50:] and history["more"] is True


def test_a_catch_up_past_the_bound_sends_the_newest_and_says_gap(core):
    """Catch up with the newest messages that fit, gap: true; the rest comes by paging back, down to lastSeen."""
    chat, port = core
    full(chat, "a1", "Alice")
    ids = post(chat, 12)
    full(chat, "b1", "Bob", lastSeen={"general": ids[1]})
    pages = port.heard("b1", "history")
    caught_up = [m["id"] for page in pages for m in page["messages"]]
    assert caught_up == ids[-4:] and pages[0]["gap"] is True and pages[0]["after"] == ids[1]
    assert sent_bytes(m for page in pages for m in page["messages"]) <= chat.settings.history_max_bytes
    before, got = caught_up[0], []
    while before > ids[2]:  # the client pages back down to what it had
        page, _ = chat.messages.history_page("b1", "general", before, None)
        got, before = [m.id for m in page] + got, page[0].id
    assert [i for i in got if i > ids[1]] + caught_up == ids[2:]


def test_a_catch_up_within_the_bound_is_whole_and_in_chunks(core, monkeypatch):
    """Send every message after lastSeen when they fit, in chunks, gap: false."""
    from chat.core import rooms

    monkeypatch.setattr(rooms, "CATCH_UP_CHUNK", 2)
    chat, port = core
    full(chat, "a1", "Alice")
    ids = post(chat, 5, "hi")
    full(chat, "b1", "Bob", lastSeen={"general": ids[0]})
    pages = port.heard("b1", "history")
    assert [[m["id"] for m in page["messages"]] for page in pages] == [ids[1:3], ids[3:5]]
    assert [(page["after"], page["gap"], page["more"]) for page in pages] == [
        (ids[0], False, True),
        (ids[2], False, False),
    ]


def test_a_dms_history_is_bounded_the_same_way(core):
    """Bound the history of a DM entered with lastSeen as a room's: the newest that fit, gap: true."""
    chat, port = core
    full(chat, "a1", "Alice")
    bob = full(chat, "b1", "Bob")
    dm = chat.dms.open("a1", bob.id)["id"]
    ids = post(chat, 8, room=dm)
    chat.rooms.enter("b1", True, dm, ids[0])
    pages = [page for page in port.heard("b1", "history") if page["room"] == dm]
    assert [m["id"] for page in pages for m in page["messages"]] == ids[-4:] and pages[0]["gap"] is True


def test_a_history_page_is_bounded_in_bytes_and_holds_one_message_at_least(tmp_path, clock):
    """Trim a history page of long messages to HISTORY_MAX_BYTES, more: true; one message even when it alone is larger."""
    chat, _ = make_chat(tmp_path, clock)
    full(chat, "a1", "Alice")
    ids = post(chat, 10)
    page, more = chat.messages.history_page("a1", "general", None, 200)
    assert [m.id for m in page] == ids[-4:] and more is True
    small, _ = make_chat(tmp_path / "small", clock, HISTORY_MAX_BYTES=1000)
    full(small, "a1", "Alice")
    post(small, 3)
    page, more = small.messages.history_page("a1", "general", None, 200)
    assert len(page) == 1 and more is True


def test_a_changes_catch_up_gets_what_the_history_left(core):
    """Bound history and changes together: changes past what is left are not sent, and gap: true says so."""
    chat, port = core
    full(chat, "a1", "Alice")
    ids = post(chat, 3, "short")
    since = chat.changes.last_change("general")
    for message_id in ids:
        chat.changes.edit("a1", "general", message_id, LONGEST)
    post(chat, 3)  # the catch-up's messages: about 72 KB of the 100 KB
    full(chat, "b1", "Bob", lastSeen={"general": ids[-1]}, lastChange={"general": since})
    history = port.heard("b1", "history")
    [changes] = port.heard("b1", "changes")
    sent = sent_bytes(m for page in history for m in page["messages"]) + sent_bytes(changes["changes"])
    assert sent <= chat.settings.history_max_bytes
    assert len(changes["changes"]) == 1 and changes["gap"] is True and changes["last"] == since + 3


def test_a_changes_catch_up_within_the_bound_is_whole(core):
    """Send every change since lastChange when they fit, gap: false."""
    chat, port = core
    full(chat, "a1", "Alice")
    ids = post(chat, 3, "short")
    since = chat.changes.last_change("general")
    for message_id in ids:
        chat.changes.edit("a1", "general", message_id, "edited")
    full(chat, "b1", "Bob", lastSeen={"general": ids[-1]}, lastChange={"general": since})
    [changes] = port.heard("b1", "changes")
    assert [c["id"] for c in changes["changes"]] == ids and changes["gap"] is False


def test_sizes_are_counted_as_sent():
    """Count an item as its JSON, escaped, with its comma; keep the newest (or oldest) that fit."""
    assert encoded_size({"text": "😀"}) == len(json.dumps({"text": "😀"})) + 1 == len('{"text": "\\ud83d\\ude00"}') + 1
    items = [{"n": n} for n in range(5)]  # 9 bytes each
    assert newest_within(reversed(items), 27) == (items[2:], True, 27)
    assert newest_within(reversed(items), 2) == (items[4:], True, 9)
    assert oldest_within(items, 27) == (items[:3], True, 27)
    assert oldest_within(items, 2) == ([], True, 0)
    assert oldest_within(items, 100) == (items, False, 45)
