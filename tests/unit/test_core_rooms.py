"""Rooms in the core: create, enter, leave, rename; what each announces, with a fake port."""

import pytest

from chat.model import ChatError
from support.core import connect, full, token


def test_connecting_welcomes_and_enters_the_rooms(core):
    """Send a full client welcome, then presence and history of its room; the room hears a newcomer."""
    chat, port = core
    full(chat, "a1", "Alice")
    bob = full(chat, "b1", "Bob")
    assert [r.event for r in port.records if "b1" in r.heard_by] == ["welcome", "presence", "history"]
    assert port.heard("a1", "member-joined") == [{"room": "general", "user": bob.as_dict()}]
    assert "b1" in port.groups["room:general"] and "b1" in port.groups["full"]


def test_a_seed_client_enters_the_default_room_without_snapshots(core):
    """Put a seed client in the default room, announced to its full clients, with no presence nor history."""
    chat, port = core
    full(chat, "a1", "Alice")
    connect(chat, "s1")
    assert port.heard("s1") == []
    assert len(port.heard("a1", "member-joined")) == 1
    assert "s1" in port.groups["seed"] and "s1" not in port.groups["room:general"]


def test_a_created_room_is_told_to_every_full_client_and_can_be_entered_once(core):
    """Announce room-created to full clients; refuse entering a room twice, or one that does not exist."""
    chat, port = core
    full(chat, "a1", "Alice")
    connect(chat, "s1")
    assert chat.rooms.create("a1", "team") == "team"
    assert port.heard("a1", "room-created") == [{"room": "team"}] and port.heard("s1", "room-created") == []
    chat.rooms.enter("a1", True, "team")
    with pytest.raises(ChatError) as twice:
        chat.rooms.enter("a1", True, "team")
    assert twice.value.code == "already_in_room"
    with pytest.raises(ChatError) as missing:
        chat.rooms.enter("a1", True, "nowhere")
    assert missing.value.code == "no_such_room"
    assert {"name": "team", "people": 1} in chat.rooms.counts()


def test_leaving_tells_the_room(core):
    """Tell the others that a person left a room; the leaver's connection leaves its group."""
    chat, port = core
    alice = full(chat, "a1", "Alice")
    full(chat, "b1", "Bob")
    chat.rooms.leave("a1", "general")
    assert port.heard("b1", "member-left") == [{"room": "general", "user": alice.as_dict()}]
    assert "a1" not in port.groups["room:general"]


def test_a_rename_is_told_to_those_sharing_a_room(core):
    """Tell everyone sharing a room with the person, and their own connections, of a new name."""
    chat, port = core
    full(chat, "a1", "Alice")
    full(chat, "b1", "Bob")
    full(chat, "c1", "Carol", rooms=[])
    renamed = chat.rooms.rename("a1", "Alicia")
    assert renamed.name == "Alicia"
    assert port.heard("b1", "member-renamed") == [{"user": renamed.as_dict(), "previous": "Alice"}]
    assert port.heard("c1", "member-renamed") == []


def test_a_signed_person_cannot_rename(signed_core):
    """Refuse a rename where names come from signed identities."""
    chat, _ = signed_core
    connect(chat, "a1", {"protocol": 2, "token": token("alice", "Alice")})
    with pytest.raises(ChatError) as refused:
        chat.rooms.rename("a1", "Mallory")
    assert refused.value.code == "rename_refused"


def test_a_catch_up_comes_in_chunks(core, monkeypatch):
    """Send every message after lastSeen in chunks, the first saying whether there was a gap."""
    from chat.core import rooms

    monkeypatch.setattr(rooms, "CATCH_UP_CHUNK", 2)
    chat, port = core
    full(chat, "a1", "Alice")
    for n in range(5):
        chat.messages.send("a1", "general", f"m{n}", None, [])
    connect(chat, "b1", {"protocol": 2, "name": "Bob", "rooms": ["general"], "lastSeen": {"general": 1}})
    pages = port.heard("b1", "history")
    assert [[m["id"] for m in page["messages"]] for page in pages] == [[2, 3], [4, 5]]
    assert [page["more"] for page in pages] == [True, False] and pages[0]["gap"] is False


def _refused(call, *args) -> str:
    """Return the code ``call(*args)`` is refused with."""
    with pytest.raises(ChatError) as refused:
        call(*args)
    return refused.value.code


def test_room_creation_is_limited_per_person_and_per_address(tmp_path, clock):
    """Refuse a person's 3rd room and their address's 5th within the hour, `rate_limited`; refill over the hour."""
    from support.core import make_chat

    chat, _ = make_chat(tmp_path, clock, ROOMS_CREATED_PER_PERSON=2, ROOMS_CREATED_PER_ADDRESS=4)
    for sid in ("a1", "a2", "a3"):
        full(chat, sid, sid)
    connect(chat, "far", {"protocol": 2, "name": "Far"}, address="198.51.100.7")
    assert [chat.rooms.create("a1", name) for name in ("r1", "r2")] == ["r1", "r2"]
    assert _refused(chat.rooms.create, "a1", "r3") == "rate_limited"
    assert _refused(chat.rooms.create, "a1", "r1") == "room_exists"  # a taken name costs nothing
    chat.rooms.create("a2", "r3")
    chat.rooms.create("a2", "r4")
    assert _refused(chat.rooms.create, "a3", "r5") == "rate_limited"  # the address's 5th
    assert chat.rooms.create("far", "r5") == "r5"  # another address is not held back
    clock.advance(3600 / 4)
    assert chat.rooms.create("a3", "r6") == "r6"


def test_four_guests_of_one_address_cannot_take_every_room(core):
    """Leave room for others: guests of one address create ROOMS_CREATED_PER_ADDRESS rooms, not MAX_ROOMS."""
    chat, _ = core
    created = 0
    for guest in range(4):
        sid = f"g{guest}"
        full(chat, sid, sid)
        for n in range(30):
            try:
                chat.rooms.create(sid, f"squat-{guest}-{n}")
            except ChatError as error:
                assert error.code == "rate_limited"
            else:
                created += 1
    assert created == 20  # ROOMS_CREATED_PER_ADDRESS; four guests of the default 5 a person
    connect(chat, "other", {"protocol": 2, "name": "Other"}, address="198.51.100.7")
    assert chat.rooms.create("other", "mine") == "mine"
