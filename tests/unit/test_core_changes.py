"""Edits, deletions, reactions and their catch-up in the core, with a fake port."""

import pytest

from chat.model import ChatError
from support.core import full


def test_the_sender_edits_and_deletes_their_message_and_the_room_is_told(core):
    """Tell the room of an edit and a deletion of one's own message; refuse another's."""
    chat, port = core
    full(chat, "a1", "Alice")
    full(chat, "b1", "Bob")
    message = chat.messages.send("a1", "general", "helo", None, []).message
    chat.changes.edit("a1", "general", message.id, "hello")
    assert port.heard("b1", "message-edited")[0]["text"] == "hello"
    with pytest.raises(ChatError) as refused:
        chat.changes.delete("b1", "general", message.id)
    assert refused.value.code == "forbidden"
    chat.changes.delete("a1", "general", message.id)
    assert port.heard("b1", "message-deleted")[0]["id"] == message.id


def test_reactions_toggle(core):
    """Tell the room who reacted; a toggle that changes nothing returns None and tells nobody."""
    chat, port = core
    alice = full(chat, "a1", "Alice")
    full(chat, "b1", "Bob")
    message = chat.messages.send("b1", "general", "news", None, []).message
    assert chat.changes.react("a1", "general", message.id, "👍", True) is not None
    assert port.heard("b1", "reaction")[-1]["users"] == [alice.id]
    port.clear()
    assert chat.changes.react("a1", "general", message.id, "👍", True) is None
    assert port.events("reaction") == []


def test_a_reconnecting_client_catches_up_on_changes(core):
    """Send the changes since lastChange to the messages the client had, after its history."""
    chat, port = core
    full(chat, "a1", "Alice")
    message = chat.messages.send("a1", "general", "one", None, []).message
    full(chat, "b1", "Bob")
    since = chat.changes.last_change("general")
    chat.changes.edit("a1", "general", message.id, "uno")
    full(chat, "b2", "Bob2", lastSeen={"general": message.id}, lastChange={"general": since})
    events = [r.event for r in port.records if "b2" in r.heard_by]
    assert events[-2:] == ["history", "changes"]
    assert [c["text"] for c in port.heard("b2", "changes")[0]["changes"]] == ["uno"]
