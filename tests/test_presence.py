"""Presence, rooms and typing state, without sockets, on a fake clock."""

import pytest

from chat.presence import Presence
from chat.rooms import Rooms
from chat.typists import Typing
from chat.validation import ChatError


@pytest.fixture
def presence(clock):
    """Return presence with a 5-second grace period."""
    return Presence(grace_seconds=5, clock=clock)


def names(members):
    return [member.name for member in members]


def test_names_are_unique_among_people_online(presence):
    """Give a look-alike of an online name a number; free it when its person goes."""
    assert presence.connect("c1", "p1", "Alice").name == "Alice"
    assert presence.connect("c2", "p2", "ＡＬＩＣＥ").name == "ＡＬＩＣＥ 2"
    presence.disconnect("c1")
    assert presence.connect("c3", "p3", "alice").name == "alice"


def test_a_missing_name_gets_a_guest_name(presence):
    """Name someone who gave no name as a guest."""
    member = presence.connect("c1", "p1")
    assert member.guest and member.name.startswith("Guest ")


def test_two_tabs_are_one_person(presence):
    """Count connections with one person id once, under one name, in the room."""
    presence.connect("tab1", "p1", "Alice")
    assert presence.connect("tab2", "p1", "Another name").name == "Alice"
    assert presence.enter("tab1", "general")[1] is True
    assert presence.enter("tab2", "general")[1] is False
    assert names(presence.members("general")) == ["Alice"]
    assert presence.people == 1 and presence.connections == 2


def test_a_person_leaves_when_their_last_connection_closes(presence, clock):
    """Keep a person in the room while one of their tabs is, and for the grace period after."""
    presence.connect("tab1", "p1", "Alice")
    presence.connect("tab2", "p1", "Alice")
    presence.enter("tab1", "general")
    presence.enter("tab2", "general")
    assert presence.disconnect("tab1") == []
    assert presence.disconnect("tab2") == []
    assert names(presence.members("general")) == ["Alice"]
    clock.advance(4.9)
    assert presence.expire() == []
    clock.advance(0.2)
    [(room, member)] = presence.expire()
    assert (room, member.name) == ("general", "Alice")
    assert presence.members("general") == [] and presence.people == 0


def test_a_quick_reconnect_does_not_flap(presence, clock):
    """Return a person reconnecting within the grace period without a departure or an arrival."""
    presence.connect("old", "p1", "Alice")
    presence.enter("old", "general")
    presence.disconnect("old")
    clock.advance(3)
    presence.connect("new", "p1", "Alice")
    assert presence.enter("new", "general")[1] is False
    clock.advance(10)
    assert presence.expire() == []
    assert names(presence.members("general")) == ["Alice"]


def test_a_person_per_connection_leaves_at_once(presence):
    """Let a person with no lasting id (no cookie, a seed client) leave when the connection does."""
    presence.connect("c1", "c1", None, stable=False)
    presence.enter("c1", "general")
    [(room, member)] = presence.disconnect("c1")
    assert room == "general" and presence.people == 0


def test_leaving_a_room_is_immediate(presence):
    """Take a person out of a room at once when their last connection there leaves it."""
    presence.connect("tab1", "p1", "Alice")
    presence.connect("tab2", "p1", "Alice")
    for tab in ("tab1", "tab2"):
        presence.enter(tab, "general")
    assert presence.exit("tab1", "general")[1] is False
    assert presence.exit("tab2", "general")[1] is True
    assert presence.members("general") == []
    with pytest.raises(ChatError):
        presence.exit("tab2", "general")


def test_rename_keeps_names_unique(presence):
    """Rename under the same rule, letting a person change the case of their own name."""
    presence.connect("c1", "p1", "Alice")
    presence.connect("c2", "p2", "Bob")
    assert presence.rename("c2", "alice")[0].name == "alice 2"
    member, previous = presence.rename("c1", "ALICE")
    assert (member.name, previous) == ("ALICE", "Alice")


def test_rooms_limit_and_idle_removal(clock):
    """Refuse rooms past the limit; remove created rooms empty for the idle time, never the default."""
    rooms = Rooms("general", max_rooms=2, idle_seconds=60, clock=clock)
    assert rooms.create("games") == "games"
    with pytest.raises(ChatError, match="limit"):
        rooms.create("music")
    with pytest.raises(ChatError, match="exists"):
        rooms.create("games")
    rooms.occupied("games", True)
    clock.advance(120)
    assert rooms.expire() == []
    rooms.occupied("games", False)
    clock.advance(59)
    assert rooms.expire() == []
    clock.advance(1)
    assert rooms.expire() == ["games"]
    assert rooms.names() == ["general"]
    rooms.occupied("general", False)
    clock.advance(1000)
    assert rooms.expire() == []


@pytest.mark.parametrize("name", ["", "A", "with space", "-dash-first", "x" * 33, "é", None, 3])
def test_room_names_follow_the_rule(clock, name):
    """Refuse room names outside 1-32 of a-z, 0-9, - and _."""
    with pytest.raises(ChatError) as refused:
        Rooms("general", 10, 60, clock).create(name)
    assert refused.value.code == "bad_room"


def test_typing_expires_without_renewal(clock):
    """End a typing state after the timeout unless renewed; report only changes."""
    from chat.presence import Member

    alice = Member("p1", "Alice")
    typing = Typing(timeout=5, clock=clock)
    assert typing.start("general", alice) is True
    clock.advance(4)
    assert typing.start("general", alice) is False
    clock.advance(4)
    assert typing.expire() == []
    clock.advance(1.5)
    assert typing.expire() == [("general", alice)]
    assert typing.stop("general", "p1") is False
