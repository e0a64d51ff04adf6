"""Edits, deletions and reactions through the test client: who is told, the refusals, catching up."""

import pytest

from support.clients import only, received


def say(client, text, room="general"):
    """Send ``text``; return the new message's id."""
    return client.emit("send-message", {"room": room, "text": text}, callback=True)["message"]["id"]


def ask(client, event, **payload):
    """Send ``event`` with ``payload`` and return the acknowledgement."""
    return client.emit(event, payload, callback=True)


@pytest.fixture
def room(full, socket_client):
    """Return (Alice, Bob in the room, a seed client, Carol in another room), Alice's message 1 sent, drained."""
    alice, bob, seed = full("Alice"), full("Bob"), socket_client()
    carol = full("Carol", rooms=[])
    say(alice, "helo")
    for client in (alice, bob, seed, carol):
        received(client)
    return alice, bob, seed, carol


def test_an_edit_reaches_everyone_in_the_room_and_no_one_else(room):
    """Tell the room, the sender included, with the change number; seed clients and outsiders hear nothing."""
    alice, bob, seed, carol = room
    ack = ask(alice, "edit-message", room="general", id=1, text="hello")
    assert ack["ok"] and ack["text"] == "hello" and ack["change"] == 1
    for client in (alice, bob):
        edited = only(client, "message-edited")
        assert {k: edited[k] for k in ("room", "id", "text", "change")} == {
            "room": "general",
            "id": 1,
            "text": "hello",
            "change": 1,
        }
        assert isinstance(edited["editedAt"], int)
    assert received(seed) == [] and received(carol) == []


def test_a_deletion_reaches_the_room_and_leaves_a_tombstone_in_the_history(room):
    """Tell the room; the history keeps the id, empty, marked deleted, with its sender."""
    alice, bob, seed, carol = room
    say(alice, "two")
    received(bob), received(seed)
    assert ask(alice, "delete-message", room="general", id=1) == {"ok": True, "room": "general", "id": 1, "change": 1}
    assert only(bob, "message-deleted") == {"room": "general", "id": 1, "change": 1}
    page = ask(bob, "history", room="general")
    assert [(m["id"], m["text"], m.get("deleted")) for m in page["messages"]] == [(1, "", True), (2, "two", None)]
    assert page["messages"][0]["user"]["name"] == "Alice"
    assert received(seed) == [] and received(carol) == []


def test_reactions_toggle_and_everyone_in_the_room_sees_who(room):
    """Send the emoji's count and who reacted; a toggle that changes nothing tells nobody."""
    alice, bob, seed, carol = room
    ack = ask(bob, "react", room="general", id=1, emoji="👍", on=True)
    bob_id = ack["users"][0]
    assert only(alice, "reaction") == {
        "room": "general",
        "id": 1,
        "emoji": "👍",
        "count": 1,
        "users": [bob_id],
        "change": 1,
    }
    received(bob)
    assert ask(bob, "react", room="general", id=1, emoji="👍", on=True) == {"ok": True, "unchanged": True}
    assert received(alice) == [] and received(bob) == []
    ask(bob, "react", room="general", id=1, emoji="👍", on=False)
    assert only(alice, "reaction")["users"] == []
    alice_id = ask(alice, "react", room="general", id=1, emoji="🎉", on=True)["users"][0]
    assert ask(bob, "history", room="general")["messages"][0]["reactions"] == {"🎉": [alice_id]}
    assert received(seed) == [] and received(carol) == []


def test_only_the_sender_may_edit_or_delete_a_message(room):
    """Refuse someone else's message as forbidden, an unknown id as not_found; broadcast nothing."""
    alice, bob, seed, carol = room
    assert ask(bob, "edit-message", room="general", id=1, text="mine now")["code"] == "forbidden"
    assert ask(bob, "delete-message", room="general", id=1)["code"] == "forbidden"
    assert ask(alice, "edit-message", room="general", id=9, text="x")["code"] == "not_found"
    assert ask(alice, "react", room="general", id=9, emoji="👍")["code"] == "not_found"
    ask(alice, "delete-message", room="general", id=1)
    assert ask(alice, "edit-message", room="general", id=1, text="back")["code"] == "not_found"
    assert ask(carol, "edit-message", room="general", id=1, text="x")["code"] == "not_in_room"
    assert [event for event, _ in received(bob)] == ["chat-error", "chat-error", "message-deleted"]
    assert received(seed) == []


@pytest.mark.parametrize(
    "event, payload, code",
    [
        ("edit-message", "not an object", "bad_arguments"),
        ("edit-message", {"room": "general", "id": "1", "text": "x"}, "bad_arguments"),
        ("edit-message", {"room": "general", "text": "x"}, "bad_arguments"),
        ("edit-message", {"room": "general", "id": 1, "text": 5}, "not_text"),
        ("edit-message", {"room": "general", "id": 1, "text": "  "}, "empty"),
        ("edit-message", {"room": "general", "id": 1, "text": "x" * 2001}, "too_long"),
        ("edit-message", {"room": "Bad Room", "id": 1, "text": "x"}, "bad_room"),
        ("delete-message", {"room": "general", "id": -1}, "bad_arguments"),
        ("delete-message", ["general", 1], "bad_arguments"),
        ("react", {"room": "general", "id": 1, "emoji": ""}, "bad_emoji"),
        ("react", {"room": "general", "id": 1, "emoji": "x" * 17}, "bad_emoji"),
        ("react", {"room": "general", "id": 1, "emoji": "a\nb"}, "bad_emoji"),
        ("react", {"room": "general", "id": 1, "emoji": 7}, "bad_emoji"),
        ("react", {"room": "general", "id": 1, "emoji": "👍", "on": "yes"}, "bad_arguments"),
    ],
)
def test_bad_change_requests_are_refused_to_their_sender(room, event, payload, code):
    """Refuse a wrong type, size or shape with a code, to the sender alone; change nothing."""
    alice, bob, seed, carol = room
    assert alice.emit(event, payload, callback=True)["code"] == code
    assert [name for name, _ in received(alice)] == ["chat-error"]
    assert received(bob) == [] and received(seed) == []
    message = ask(bob, "history", room="general")["messages"][0]
    assert message["text"] == "helo" and "edited" not in message and "reactions" not in message


def test_distinct_reactions_per_message_are_bounded(make_app, full):
    """Refuse one more distinct emoji than MAX_REACTIONS_PER_MESSAGE; an existing one may still be added to."""
    app = make_app(MAX_REACTIONS_PER_MESSAGE=2)
    alice, bob = full("Alice", target_app=app), full("Bob", target_app=app)
    say(alice, "x")
    ask(alice, "react", room="general", id=1, emoji="a")
    ask(alice, "react", room="general", id=1, emoji="b")
    assert ask(bob, "react", room="general", id=1, emoji="c")["code"] == "too_many_reactions"
    assert ask(bob, "react", room="general", id=1, emoji="a")["count"] == 2


def test_seed_clients_are_never_told_of_changes_to_the_default_room(full, socket_client):
    """Give a seed client the original message only: an edit, a deletion, a reaction send it nothing."""
    alice, seed = full("Alice"), socket_client()
    received(seed)
    say(alice, "original")
    assert received(seed) == [("message", "original")]
    ask(alice, "edit-message", room="general", id=1, text="edited")
    ask(alice, "react", room="general", id=1, emoji="👍")
    ask(alice, "delete-message", room="general", id=1)
    assert received(seed) == []


def test_changes_are_flood_limited(make_app, full):
    """Take each change from the sender's flood allowance."""
    app = make_app(FLOOD_BURST=3, FLOOD_RATE=0.001)
    alice = full("Alice", target_app=app)
    say(alice, "x")
    codes = [ask(alice, "edit-message", room="general", id=1, text=f"x{n}").get("code") for n in range(3)]
    assert codes == [None, None, "rate_limited"]


def test_a_client_catching_up_learns_of_changes_to_messages_it_had(full):
    """With lastSeen and lastChange, send the history after lastSeen, then the changes since to earlier messages."""
    alice = full("Alice")
    for text in ("one", "two"):
        say(alice, text)
    ask(alice, "edit-message", room="general", id=1, text="uno")
    # Bob saw messages 1 and 2 and change 1, then went away.
    ask(alice, "delete-message", room="general", id=2)
    ask(alice, "react", room="general", id=1, emoji="👍")
    say(alice, "three")
    ask(alice, "edit-message", room="general", id=3, text="tres")
    bob = full("Bob", lastSeen={"general": 2}, lastChange={"general": 1})
    _, _, history, changes = only(bob, "welcome", "presence", "history", "changes")
    assert [(m["id"], m["text"], m.get("edited")) for m in history["messages"]] == [(3, "tres", True)]
    assert [(c["event"], c["id"], c["change"]) for c in changes["changes"]] == [
        ("message-deleted", 2, 2),
        ("reaction", 1, 3),
    ]
    assert (changes["room"], changes["after"], changes["last"], changes["gap"], changes["more"]) == (
        "general",
        1,
        4,
        False,
        False,
    )
    carol = full("Carol", rooms=[])
    assert ask(carol, "join-room", room="general", lastSeen=2, lastChange=3)["ok"]
    assert only(carol, "welcome", "presence", "history", "changes")[3]["changes"] == []


def test_catching_up_from_before_the_kept_changes_signals_a_gap(make_app, full):
    """Say gap: true when change records after lastChange are gone under CHANGE_RETENTION."""
    app = make_app(CHANGE_RETENTION=2)
    alice = full("Alice", target_app=app)
    say(alice, "x")
    for n in range(4):
        ask(alice, "edit-message", room="general", id=1, text=f"x{n}")
    bob = full("Bob", target_app=app, lastSeen={"general": 1}, lastChange={"general": 1})
    changes = only(bob, "welcome", "presence", "history", "changes")[3]
    assert changes["gap"] is True and [c["change"] for c in changes["changes"]] == [3, 4]


def test_without_last_change_nothing_changes_for_catching_up_clients(full):
    """Keep today's numeric lastSeen as it was: history only, no changes event."""
    alice = full("Alice")
    say(alice, "x")
    ask(alice, "edit-message", room="general", id=1, text="y")
    bob = full("Bob", lastSeen={"general": 1})
    only(bob, "welcome", "presence", "history")


@pytest.mark.parametrize("auth", [{"lastChange": 3}, {"lastChange": {"general": "3"}}, {"lastChange": {"general": -1}}])
def test_a_bad_last_change_is_refused(full, socket_client, auth):
    """Refuse a lastChange that is not a map of rooms to change numbers, in the handshake and join-room."""
    seed = socket_client()
    assert not full("Bob", **auth).is_connected()
    assert received(seed) == []
    carol = full("Carol", rooms=[])
    assert ask(carol, "join-room", room="general", lastChange="3")["code"] == "bad_arguments"


def test_the_history_says_where_the_change_sequence_stands(full):
    """Give lastChange in history once the room has changes, so a newcomer knows what to catch up from."""
    alice = full("Alice")
    assert "lastChange" not in only(full("Bob"), "welcome", "presence", "history")[2]
    say(alice, "x")
    ask(alice, "react", room="general", id=1, emoji="👍")
    ask(alice, "react", room="general", id=1, emoji="🎉")
    assert only(full("Carol"), "welcome", "presence", "history")[2]["lastChange"] == 2
    assert only(full("Dan", lastSeen={"general": 0}), "welcome", "presence", "history")[2]["lastChange"] == 2


@pytest.mark.parametrize(
    "setting, value",
    [
        ("MAX_REACTIONS_PER_MESSAGE", 0),
        ("MAX_EMOJI_LENGTH", "16"),
        ("CHANGE_RETENTION", -1),
        ("CHANGE_RETENTION", 1.5),
    ],
)
def test_change_settings_that_make_no_sense_stop_the_start(make_app, setting, value):
    """Refuse a bound on reactions or emoji below one, and a retention that is not a whole number, naming it."""
    with pytest.raises(ValueError, match=f"CHAT_{setting}"):
        make_app(**{setting: value})
