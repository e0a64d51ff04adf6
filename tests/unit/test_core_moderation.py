"""Moderation in the core: notices, bans, mutes, lifting them, the log; with a fake port."""

import pytest

from chat.model import ChatError
from support.core import signed


@pytest.fixture
def team(signed_core):
    """Return (chat, port) with Alice owning the room ``team``, Bob (two connections) and Carol in it."""
    chat, port = signed_core
    signed(chat, "a1", "alice", "Alice")
    signed(chat, "b1", "bob", "Bob")
    signed(chat, "b2", "bob", "Bob")
    signed(chat, "c1", "carol", "Carol")
    chat.rooms.create("a1", "team")
    for sid in ("a1", "b1", "b2", "c1"):
        chat.rooms.enter(sid, True, "team")
    port.clear()
    return chat, port


def test_a_ban_tells_the_room_then_removes_every_connection_of_the_person(team):
    """Show the notice to the room, the banned person included; then Bob leaves it, once."""
    chat, port = team
    notice = chat.moderation.ban("a1", False, "team", "bob", 60, "spam")
    assert notice["action"] == "ban" and notice["person"]["name"] == "Bob" and notice["reason"] == "spam"
    assert port.heard("b1", "moderation") == [notice]
    assert [r.event for r in port.records] == ["moderation", "member-left"]
    assert port.heard("c1", "member-left")[0]["user"]["id"] == "bob"
    assert "b1" not in port.groups["room:team"] and "b2" not in port.groups["room:team"]


def test_a_mute_and_its_end(team):
    """Refuse a muted person's sends until the mute is lifted; refuse lifting what is not there."""
    chat, port = team
    chat.moderation.mute("a1", False, "team", "bob", 60, "")
    with pytest.raises(ChatError):
        chat.messages.send("b1", "team", "hi", None, [])
    assert chat.moderation.lift("mute", "a1", False, "team", "bob")["action"] == "unmute"
    assert chat.messages.send("b1", "team", "hi", None, []).new
    with pytest.raises(ChatError) as refused:
        chat.moderation.lift("ban", "a1", False, "team", "bob")
    assert refused.value.code == "not_found"


def test_removing_a_message_and_the_log(team):
    """Delete anyone's message with a notice; keep every action in the room's log."""
    chat, port = team
    message = chat.messages.send("c1", "team", "rude", None, []).message
    removed = chat.moderation.remove_message("a1", False, "team", message.id)
    assert removed["notice"]["id"] == message.id
    assert port.heard("c1", "message-deleted")[0]["id"] == message.id
    assert [a["action"] for a in chat.moderation.log("a1", False, "team", 10)] == ["remove-message"]


def test_the_owner_is_in_the_presence_snapshot(team):
    """Name the room's owner in the presence snapshot a newcomer gets."""
    chat, port = team
    signed(chat, "d1", "dan", "Dan")
    chat.rooms.enter("d1", True, "team")
    assert port.heard("d1", "presence")[-1]["owner"] == "alice"
