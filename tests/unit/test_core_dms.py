"""Direct messages in the core: opening, listing, delivery to both people, with a fake port."""

import pytest

from chat.model import ChatError
from support.core import full


def test_opening_a_dm_tells_the_other_person_and_the_openers_other_connections(core):
    """Announce a new DM to the other person; acknowledge the opener; reopen it quietly."""
    chat, port = core
    alice, bob = full(chat, "a1", "Alice"), full(chat, "b1", "Bob")
    port.clear()
    dm = chat.dms.open("a1", bob.id)
    assert dm["with"] == bob.as_dict() and dm["id"] == chat.dms.dm_id(bob.id, alice.id)
    assert port.heard("b1", "dm-opened") == [{"dm": {"id": dm["id"], "with": alice.as_dict()}}]
    assert port.heard("a1", "dm-opened") == []
    port.clear()
    assert chat.dms.open("b1", alice.id)["id"] == dm["id"]
    assert port.events("dm-opened") == []


@pytest.mark.parametrize("person, code", [("self", "bad_arguments"), ("nobody-here", "not_found")])
def test_a_dm_needs_someone_else_who_is_around(core, person, code):
    """Refuse a DM with oneself, or with nobody online or seen lately."""
    chat, _ = core
    alice = full(chat, "a1", "Alice")
    with pytest.raises(ChatError) as refused:
        chat.dms.open("a1", alice.id if person == "self" else person)
    assert refused.value.code == code


def test_a_dm_message_reaches_both_people_only(core):
    """Deliver a DM's message to both people's full connections, nobody else; list it with its last id."""
    chat, port = core
    full(chat, "a1", "Alice")
    bob = full(chat, "b1", "Bob")
    full(chat, "c1", "Carol")
    dm = chat.dms.open("a1", bob.id)["id"]
    port.clear()
    chat.messages.send("a1", dm, "psst", None, [])
    assert [m["text"] for m in port.heard("b1", "room-message")] == ["psst"]
    assert [m["text"] for m in port.heard("a1", "room-message")] == ["psst"]
    assert port.heard("c1", "room-message") == []
    assert chat.dms.mine("b1")[0]["lastId"] == 1
