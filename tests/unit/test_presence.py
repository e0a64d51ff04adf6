"""Presence, rooms and typing state, without sockets, on a fake clock.

Every test runs twice, through the fixtures of tests/unit/conftest.py: on the in-process
stores, and on their Redis twins in chat/stores/redis/, which must behave the same.
"""

import pytest

from chat.model import ChatError, Member


def names(members):
    return [member.name for member in members]


def test_names_are_unique_among_people_online(presence):
    """Give a look-alike of an online name a number; free it when its person goes."""
    assert presence.connect("c1", "p1", "Alice").name == "Alice"
    assert presence.connect("c2", "p2", "ＡＬＩＣＥ").name == "ＡＬＩＣＥ 2"
    presence.disconnect("c1")
    assert presence.connect("c3", "p3", "alice").name == "alice"


def test_a_look_alike_of_an_online_name_is_that_name(presence):
    """Number a Cyrillic or Greek look-alike of an online name, connecting or renaming: names compare by skeleton."""
    assert presence.connect("c1", "p1", "Alice").name == "Alice"
    assert presence.connect("c2", "p2", "\u0410lice").name == "\u0410lice 2"
    presence.connect("c3", "p3", "Bob")
    assert presence.rename("c3", "\u0391LICE")[0].name == "\u0391LICE 3"
    presence.connect("c4", "p4", "Bob")
    assert presence.connect("c5", "p5", "B0b").name == "B0b 2"


def test_a_missing_name_gets_a_guest_name(presence):
    """Name someone who gave no name as a guest."""
    member = presence.connect("c1", "p1")
    assert member.guest and member.name.startswith("Guest ")


def test_connections_of_one_person_are_one_person(presence):
    """Count connections with one person id once, under one name, in the room."""
    presence.connect("tab1", "p1", "Alice")
    assert presence.connect("tab2", "p1", "Another name").name == "Alice"
    assert presence.enter("tab1", "general")[1] is True
    assert presence.enter("tab2", "general")[1] is False
    assert names(presence.members("general")) == ["Alice"]
    assert presence.people == 1 and presence.connections == 2


def test_a_guest_has_one_connection_at_a_time(presence):
    """Refuse a second connection for a guest who is connected (a duplicated tab), adding nothing."""
    assert presence.connect_guest("tab1", "g1", "Alice", "browser-1") == (Member("g1", "Alice"), [])
    assert presence.connect_guest("tab2", "g1", "Alice", "browser-1") == (None, [])
    assert presence.connections == 1 and presence.connections_of_person("g1") == {"tab1"}
    member, _ = presence.connect_guest("tab2", "g2", "Alice", "browser-1")
    assert member == Member("g2", "Alice 2")


def test_a_guest_coming_back_within_the_grace_period_is_the_same_person(presence, clock):
    """Give a reloaded tab's guest back its name and rooms, with no departure or arrival."""
    presence.connect_guest("tab", "g1", "Alice", "browser-1")
    presence.enter("tab", "general")
    assert presence.disconnect("tab") == []
    clock.advance(3)
    assert presence.connect_guest("reloaded", "g1", "Another name", "browser-1") == (Member("g1", "Alice"), [])
    assert presence.enter("reloaded", "general")[1] is False
    clock.advance(10)
    assert presence.expire() == []


def test_a_new_tab_takes_the_name_of_its_browser_s_closed_tab(presence, clock):
    """Let a new guest of a browser take the name its closed tab holds in its grace period: that guest leaves now."""
    presence.connect_guest("tab1", "g1", "Alice", "browser-1")
    presence.enter("tab1", "general")
    presence.enter("tab1", "games")
    presence.disconnect("tab1")
    member, departures = presence.connect_guest("tab2", "g2", "alice", "browser-1")
    assert member == Member("g2", "alice")
    assert sorted(departures) == [("games", Member("g1", "Alice")), ("general", Member("g1", "Alice"))]
    assert presence.members("general") == [] and presence.rooms_of_person("g1") == set()
    assert presence.people == 1
    clock.advance(10)
    assert presence.expire() == []


@pytest.mark.parametrize(
    ("holder", "asked"),
    [
        ("browser-2", "Alice"),  # another browser's closed tab keeps its name for its grace period
        (None, "Alice"),  # so does a guest whose browser is unknown
        ("browser-1", None),  # a new tab asking for no name takes nobody's
    ],
)
def test_only_the_same_browser_takes_a_closed_tab_s_name(presence, holder, asked):
    """Keep a closed tab's name from a new guest of another browser, or one who asked for no name."""
    presence.connect_guest("tab1", "g1", "Alice", holder)
    presence.enter("tab1", "general")
    presence.disconnect("tab1")
    member, departures = presence.connect_guest("tab2", "g2", asked, "browser-1")
    assert departures == [] and member.name != "Alice"
    assert names(presence.members("general")) == ["Alice"]


def test_a_connected_tab_keeps_its_name_from_its_browser_s_new_tab(presence):
    """Number the name of a new tab whose browser's other tab is connected with it."""
    presence.connect_guest("tab1", "g1", "Alice", "browser-1")
    presence.enter("tab1", "general")
    assert presence.connect_guest("tab2", "g2", "Alice", "browser-1") == (Member("g2", "Alice 2"), [])


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
    """Let a person with no lasting id (a seed client) leave when the connection does."""
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


def test_a_name_stays_taken_during_the_grace_period(presence, clock):
    """Keep a dropped person's name from others until their grace period ends."""
    presence.connect("c1", "p1", "Alice")
    presence.enter("c1", "general")
    presence.disconnect("c1")
    assert presence.connect("c2", "p2", "alice").name == "alice 2"
    clock.advance(5)
    assert [member.name for _, member in presence.expire()] == ["Alice"]
    assert presence.connect("c3", "p3", "Alice").name == "Alice"


def test_lookups_by_connection_person_and_room(presence, clock):
    """Answer who and where, for a connection, a person and a room, grace periods included."""
    presence.connect("tab1", "p1", "Alice")
    presence.connect("tab2", "p1", "Alice")
    presence.enter("tab1", "general")
    presence.enter("tab1", "games")
    presence.enter("tab2", "music")
    assert presence.member("tab2") == Member("p1", "Alice")
    assert presence.rooms_of("tab1") == {"general", "games"}
    assert presence.rooms_of_person("p1") == {"general", "games", "music"}
    assert presence.connections_of_person("p1") == {"tab1", "tab2"}
    assert presence.connections_of_person("nobody") == set() and presence.rooms_of_person("nobody") == set()
    presence.disconnect("tab1")
    assert presence.rooms_of_person("p1") == {"general", "games", "music"}
    assert presence.occupied("games") and not presence.occupied("elsewhere")
    clock.advance(5)
    assert sorted(room for room, _ in presence.expire()) == ["games", "general"]
    assert presence.rooms_of_person("p1") == {"music"} and not presence.occupied("games")


def test_exit_refuses_a_room_the_connection_is_not_in(presence):
    """Refuse to take a connection out of a room only the person's other connection is in."""
    presence.connect("tab1", "p1", "Alice")
    presence.connect("tab2", "p1", "Alice")
    presence.enter("tab1", "general")
    with pytest.raises(ChatError) as refused:
        presence.exit("tab2", "general")
    assert refused.value.code == "not_in_room"


def test_no_grace_period_with_zero_seconds(live_stores):
    """Let a person leave at once when the grace period is 0."""
    presence = live_stores(PRESENCE_GRACE=0).presence
    presence.connect("c1", "p1", "Alice")
    presence.enter("c1", "general")
    assert presence.disconnect("c1") == [("general", Member("p1", "Alice"))]
    assert presence.people == 0


def test_a_lone_process_drops_no_other_process_s_connections(presence, clock):
    """Report no dropped connections when no other process has gone silent."""
    presence.connect("c1", "c1", None, stable=False)
    clock.advance(60)
    assert presence.drop_silent_hosts() == ([], 0)
    assert presence.connections == 1


def test_a_renamed_guest_is_no_longer_a_guest(presence):
    """Clear the guest mark of a guest who picks a name."""
    presence.connect("c1", "p1")
    member, previous = presence.rename("c1", "Alice")
    assert member == Member("p1", "Alice", guest=False) and previous.startswith("Guest ")
    assert presence.member("c1") == member


def test_rooms_limit_and_idle_removal(make_rooms, clock):
    """Refuse rooms past the limit; remove created rooms empty for the idle time, never the default."""
    rooms = make_rooms("general", max_rooms=2, idle_seconds=60)
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


def test_rooms_restore_require_and_contain(make_rooms, clock):
    """Restore a room from before a restart; require existing rooms; never expire the default one."""
    rooms = make_rooms("general", max_rooms=3, idle_seconds=60)
    rooms.restore("games")
    rooms.restore("general")
    assert "games" in rooms and "music" not in rooms
    assert rooms.require("games") == "games"
    with pytest.raises(ChatError) as refused:
        rooms.require("music")
    assert refused.value.code == "no_such_room"
    clock.advance(60)
    assert rooms.expire() == ["games"] and rooms.names() == ["general"]


@pytest.mark.parametrize("name", ["", "A", "with space", "-dash-first", "x" * 33, "é", None, 3])
def test_room_names_follow_the_rule(make_rooms, name):
    """Refuse room names outside 1-32 of a-z, 0-9, - and _."""
    with pytest.raises(ChatError) as refused:
        make_rooms("general", 10, 60).create(name)
    assert refused.value.code == "bad_room"


def test_typing_expires_without_renewal(make_typing, clock):
    """End a typing state after the timeout unless renewed; report only changes."""
    alice = Member("p1", "Alice")
    typing = make_typing(timeout=5)
    assert typing.start("general", alice) is True
    clock.advance(4)
    assert typing.start("general", alice) is False
    clock.advance(4)
    assert typing.expire() == []
    clock.advance(1.5)
    assert typing.expire() == [("general", alice)]
    assert typing.stop("general", "p1") is False


def test_typing_stops_on_request(make_typing, clock):
    """Stop a typing state at once, reporting whether there was one, per room."""
    alice = Member("p1", "Alice")
    typing = make_typing(timeout=5)
    typing.start("general", alice)
    typing.start("games", alice)
    assert typing.stop("general", "p1") is True
    assert typing.stop("general", "p1") is False
    clock.advance(5)
    assert typing.expire() == [("games", alice)]


def test_a_resuming_guest_takes_its_person_over_at_once(presence, clock):
    """Drop the guest's stale connection a resume names, keeping its person, name and rooms: no flap, no new guest."""
    presence.connect_guest("tab", "g1", "Alice", "browser-1")
    presence.enter("tab", "general")
    # The tab's process died: presence still holds "tab" when the tab reconnects elsewhere.
    resumed = presence.connect_guest("tab-again", "g1", None, "browser-1", resumes=("tab", presence.host_id))
    assert resumed == (Member("g1", "Alice"), [])
    assert presence.connections_of_person("g1") == {"tab-again"}
    assert presence.enter("tab-again", "general")[1] is False
    clock.advance(10)
    assert presence.expire() == [] and names(presence.members("general")) == ["Alice"]
    assert presence.disconnect_known("tab") == (False, [])  # its process noticing late says nothing


def test_a_resume_drops_only_its_guest_s_connections(presence):
    """Drop nothing of another guest, whatever connection a resume names; a copy without one is a new guest."""
    presence.connect_guest("tab", "g1", "Alice", "browser-1")
    presence.connect_guest("other", "g2", "Bob", "browser-2")
    assert presence.connect_guest("copy", "g1", None, "browser-1") == (None, [])
    assert presence.connect_guest("tab-again", "g1", None, "browser-1", resumes=("other", presence.host_id))[0]
    assert presence.connections_of_person("g1") == {"tab-again"} and presence.connections_of_person("g2") == {"other"}


def test_a_resume_takes_over_a_connection_the_tab_never_heard_of(presence):
    """Take the guest over from a later connection of the tab too: one whose welcome was lost, or given up on.

    The fault suite's guest-changed (seeds 1, 2, 7, 17 of the long form): the tab resumed
    "tab" as "lost", which presence added, but the tab never got its welcome: the process
    was killed or stopped before CONNECT went out, and the client gave up on it; or Redis
    was killed as it ran the connect and the undo failed too, on a process that lives on.
    Coming back with "tab"'s secret again, it was refused as live and made a new guest.
    """
    presence.connect_guest("tab", "g1", "Alice", "browser-1")
    presence.enter("tab", "general")
    presence.connect_guest("lost", "g1", None, "browser-1", resumes=("tab", presence.host_id))
    presence.enter("lost", "general")
    member, departures = presence.connect_guest("back", "g1", None, "browser-1", resumes=("tab", presence.host_id))
    assert (member, departures) == (Member("g1", "Alice"), [])
    assert presence.connections_of_person("g1") == {"back"}
    assert presence.enter("back", "general")[1] is False  # never left: no flap
    assert presence.disconnect_known("lost") == (False, [])  # its process noticing late says nothing


def test_a_resume_reaching_presence_late_leaves_the_tab_s_newer_connection(presence):
    """Keep the tab's newer connection when a connect it gave up on reaches presence after it, from a process stopped meanwhile.

    Both connects resume "tab" (the client gave up on the first and opened the second); the
    Engine.IO session of each says when it opened, and only connections opened before a
    resuming one are the tab's past: the late one, whose client is gone, is a new guest.
    """
    presence.connect_guest("tab", "g1", "Alice", "browser-1", opened=100.0)
    assert presence.connect_guest("newer", "g1", None, "browser-1", ("tab", presence.host_id), opened=110.0)[0]
    late = presence.connect_guest("late", "g1", None, "browser-1", ("tab", presence.host_id), opened=105.0)
    assert late == (None, []) and presence.connections_of_person("g1") == {"newer"}
