"""Posting, resends, mentions, history pages and typing in the core, with a fake port and no socket."""

from chat.model import ChatError
from support.core import connect, full


def test_a_seed_message_goes_to_seed_as_bare_text_and_to_the_room(core):
    """Deliver newMessage's text as ``message`` to seed clients, sender included, and ``room-message`` to the room."""
    chat, port = core
    connect(chat, "s1")
    connect(chat, "s2")
    full(chat, "f1", "Fay")
    port.clear()
    sent = chat.messages.post_default("s1", "hello")
    assert sent.new and not sent.duplicate
    assert port.heard("s1", "message") == ["hello"] and port.heard("s2", "message") == ["hello"]
    assert port.heard("f1", "message") == []
    assert [m["text"] for m in port.heard("f1", "room-message")] == ["hello"]
    assert port.heard("s1", "room-message") == []


def test_a_resend_returns_the_original_and_sends_nothing(core):
    """Answer a resend of a stored clientId with the original, delivered once only, costing no allowance."""
    chat, port = core
    full(chat, "a1", "Alice")
    first = chat.messages.send("a1", "general", "once", "c-1", [])
    port.clear()
    again = chat.messages.send("a1", "general", "once", "c-1", [])
    assert again.duplicate and not again.new and again.message == first.message
    assert port.events("room-message") == []


def test_mentions_keep_only_members(core):
    """Keep the mentioned ids of the room's members; resolve @names for the original protocol's text."""
    chat, _ = core
    alice, bob = full(chat, "a1", "Alice"), full(chat, "b1", "Bob")
    sent = chat.messages.send("a1", "general", "hi", None, [bob.id, "nobody"])
    assert sent.message.mentions == (bob.id,)
    assert chat.messages.post_default("b1", "@Alice look").message.mentions == (alice.id,)
    assert chat.reads.unread(bob.id, "general")["mentions"] == 1


def test_the_flood_allowance_refuses_sends(core):
    """Refuse sends over the flood allowance with rate_limited."""
    chat, _ = core
    full(chat, "a1", "Alice")
    codes = set()
    for n in range(40):
        try:
            chat.messages.send("a1", "general", f"m{n}", None, [])
        except ChatError as error:
            codes.add(error.code)
    assert codes == {"rate_limited"}


def test_history_pages_go_back(core):
    """Return a page of older messages, and whether there are more."""
    chat, _ = core
    full(chat, "a1", "Alice")
    for n in range(5):
        chat.messages.send("a1", "general", f"m{n}", None, [])
    messages, more = chat.messages.history_page("a1", "general", 4, 2)
    assert [m.text for m in messages] == ["m1", "m2"] and more is True


def test_typing_is_told_to_the_others_and_ends_with_a_message(core):
    """Tell the room when someone starts typing, not the typist; a message from them ends it."""
    chat, port = core
    alice = full(chat, "a1", "Alice")
    full(chat, "b1", "Bob")
    port.clear()
    chat.messages.typing("a1", "general", True)
    assert port.heard("b1", "typing") == [{"room": "general", "user": alice.as_dict(), "typing": True}]
    assert port.heard("a1", "typing") == []
    chat.messages.send("a1", "general", "done", None, [])
    assert port.heard("b1", "typing")[-1]["typing"] is False
