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


def test_new_dms_are_limited_per_address_reopening_is_not(tmp_path, clock):
    """Refuse an address's DMS_OPENED_PER_ADDRESS + 1st new DM `rate_limited`; reopen freely; refill over the hour."""
    from support.core import connect, make_chat

    chat, _ = make_chat(tmp_path, clock, DMS_OPENED_PER_ADDRESS=3)
    people = [full(chat, f"p{n}", f"P{n}") for n in range(6)]
    for other in people[1:4]:
        chat.dms.open("p0", other.id)
    with pytest.raises(ChatError) as refused:
        chat.dms.open("p1", people[4].id)  # another guest, the same address
    assert refused.value.code == "rate_limited"
    assert chat.dms.open("p0", people[1].id)["with"] == people[1].as_dict()  # a reopened one is not new
    connect(chat, "far", {"protocol": 2, "name": "Far"}, address="198.51.100.7")
    chat.dms.open("far", people[5].id)
    clock.advance(3600 / 3)
    chat.dms.open("p1", people[4].id)


def test_nobody_is_pulled_into_more_than_dms_per_person(tmp_path, clock):
    """Refuse a new DM with a person who is in DMS_PER_PERSON already, however many others open them."""
    from support.core import make_chat

    chat, _ = make_chat(tmp_path, clock, DMS_PER_PERSON=3)
    victim = full(chat, "v", "Victim")
    for n in range(3):
        full(chat, f"x{n}", f"X{n}")
        chat.dms.open(f"x{n}", victim.id)
    full(chat, "x3", "X3")
    with pytest.raises(ChatError) as refused:
        chat.dms.open("x3", victim.id)
    assert refused.value.code == "too_many_dms"
    assert len(chat.dms.mine("v")) == 3


def test_a_welcome_costs_the_same_queries_for_one_dm_as_for_thirty(tmp_path, clock):
    """Count a connect's SQL statements: the unread counts of every DM are one query per kind, not three per DM."""
    import sqlalchemy as sa

    from support.core import make_chat

    chat, port = make_chat(tmp_path, clock, DMS_PER_PERSON=100, DMS_OPENED_PER_ADDRESS=0)
    statements: list[str] = []
    engine = chat.stores.history.database.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    counts = []
    for dms in (1, 30):
        first = f"me{dms}"
        me = full(chat, first, f"Me{dms}")
        for n in range(dms):
            other = full(chat, f"o{dms}-{n}", f"O{dms}-{n}")
            chat.dms.open(first, other.id)
        chat.connections.disconnect(first, True)
        statements.clear()
        again = full(chat, f"again{dms}", f"Me{dms}", guest=chat.guests.issue(me.id))
        counts.append(len(statements))
        assert again.id == me.id and len(port.heard(f"again{dms}", "welcome")[0]["unread"]) == dms + 1
    assert counts[0] == counts[1]


def test_listing_dms_costs_the_same_queries_for_one_dm_as_for_thirty(tmp_path, clock):
    """Count list-dms's SQL statements: the last ids of every DM in one query, not one per DM."""
    import sqlalchemy as sa

    from support.core import make_chat

    chat, _ = make_chat(tmp_path, clock, DMS_OPENED_PER_ADDRESS=0, READ_BURST=100)
    statements: list[str] = []
    sa.event.listen(chat.stores.history.database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    counts = []
    for dms in (1, 30):
        full(chat, f"me{dms}", f"Me{dms}")
        for n in range(dms):
            chat.dms.open(f"me{dms}", full(chat, f"o{dms}-{n}", f"O{dms}-{n}").id)
        statements.clear()
        assert len(chat.dms.mine(f"me{dms}")) == dms
        counts.append(len(statements))
    assert counts[0] == counts[1]
