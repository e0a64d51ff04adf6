"""Expiry in the core: what a sweep ends is announced through the port, by the fake clock."""

import time

import pytest
import sqlalchemy as sa

from chat.model import ChatError
from chat.stores.sql.schema import restrictions
from support.clock import Clock
from support.core import connect, full, make_chat, signed, token


def test_a_grace_period_ends_with_member_left(core, clock):
    """Keep a disconnected guest in their rooms for the grace period; then the room hears they left."""
    chat, port = core
    alice = full(chat, "a1", "Alice")
    full(chat, "b1", "Bob")
    assert chat.connections.disconnect("a1", True) is True
    port.clear()
    assert chat.expiry.sweep().departures == []
    clock.advance(60)
    swept = chat.expiry.sweep()
    assert swept.departures == [("general", alice)]
    assert port.heard("b1", "member-left") == [{"room": "general", "user": alice.as_dict()}]


def test_typing_ends_by_itself(core, clock):
    """Tell the room a typing state ended when it is not renewed."""
    chat, port = core
    full(chat, "a1", "Alice")
    full(chat, "b1", "Bob")
    chat.messages.typing("a1", "general", True)
    clock.advance(60)
    assert len(chat.expiry.sweep().typing_ended) == 1
    assert port.heard("b1", "typing")[-1]["typing"] is False


def test_an_idle_room_is_removed_and_announced(core, clock):
    """Remove a room nobody entered for ROOM_IDLE_SECONDS, telling every full client."""
    chat, port = core
    full(chat, "a1", "Alice")
    chat.rooms.create("a1", "quiet")
    clock.advance(10**6)
    assert chat.expiry.sweep().rooms_removed == ["quiet"]
    assert port.heard("a1", "room-removed") == [{"room": "quiet"}]
    assert "quiet" not in chat.rooms.names()


def test_an_expired_token_closes_its_connection(tmp_path, clock):
    """Tell a connection its token expired, then close it, straight to it."""
    chat, port = make_chat(tmp_path, clock, TOKENS=True)
    connect(chat, "a1", {"protocol": 2, "token": token("alice", "Alice")})
    clock.advance(4000)
    assert chat.expiry.sweep().tokens_expired == ["a1"]
    assert port.closed[0][0] == "a1" and port.closed[0][2]["code"] == "token_expired"


def test_retention_drops_old_messages(tmp_path, clock):
    """Keep RETENTION_MESSAGES messages per room when retention runs."""
    chat, _ = make_chat(tmp_path, clock, RETENTION_MESSAGES=2)
    full(chat, "a1", "Alice")
    for n in range(5):
        chat.messages.send("a1", "general", f"m{n}", None, [])
    assert chat.expiry.retain() == 3


def test_a_removed_room_leaves_nothing_of_its_past_to_a_room_made_again_under_its_name(signed_core, clock):
    """Forget a removed room's edits, reactions, bans and record; its message ids and change numbers carry on."""
    chat, port = signed_core
    signed(chat, "a1", "alice", "Alice")
    signed(chat, "c1", "carol", "Carol")
    chat.rooms.create("a1", "team")
    chat.rooms.enter("a1", True, "team")
    ids = [chat.messages.send("a1", "team", f"m{n} @Carol", None, []).message.id for n in range(5)]
    chat.changes.edit("a1", "team", ids[1], "the old owner's edited text")
    chat.changes.react("a1", "team", ids[2], "👍", True)
    chat.moderation.ban("a1", False, "team", "carol", 3600, "the old owner's reason")
    chat.rooms.leave("a1", "team")
    clock.advance(10**3)
    assert chat.expiry.sweep().rooms_removed == ["team"]

    signed(chat, "b1", "bob", "Bob")
    chat.rooms.create("b1", "team")
    chat.rooms.enter("b1", True, "team")
    assert chat.messages.send("b1", "team", "new", None, []).message.id == ids[-1] + 1
    signed(chat, "b2", "bob", "Bob")
    port.clear()
    chat.rooms.enter("b2", True, "team", last_change=0)
    (history,) = port.heard("b2", "history")
    assert [m["text"] for m in history["messages"]] == ["new"]
    (changes,) = port.heard("b2", "changes")
    assert changes["changes"] == [] and changes["last"] == 2  # the numbering carries on, nothing of it is sent
    assert chat.moderation.log("b1", False, "team", 100) == []
    chat.rooms.enter("c1", True, "team")  # no longer banned


def test_the_retention_pass_deletes_ended_bans_and_mutes_and_a_full_room_refuses_more(tmp_path, clock):
    """Refuse a ban past MAX_RESTRICTIONS_PER_ROOM with a clear code; once they end, retention deletes them."""
    wall = Clock(time.time())
    chat, _ = make_chat(tmp_path, clock, wall, TOKENS=True, MAX_RESTRICTIONS_PER_ROOM=2)
    chat.stores.moderation.wall_clock = wall
    signed(chat, "a1", "alice", "Alice")
    chat.rooms.create("a1", "team")
    chat.moderation.ban("a1", False, "team", "bob", 60, "")
    chat.moderation.mute("a1", False, "team", "carol", 60, "")
    with pytest.raises(ChatError) as refused:
        chat.moderation.ban("a1", False, "team", "dave", 60, "")
    assert refused.value.code == "too_many_restrictions"
    wall.advance(60)
    chat.expiry.retain()
    database = chat.stores.moderation.database
    assert database.read(lambda db: db.execute(sa.select(sa.func.count()).select_from(restrictions)).scalar()) == 0
