"""Edits, deletions, reactions, read markers and mentions in a direct message, through the test client."""

import pytest

from support.clients import received


def welcome_of(client):
    """Return the welcome a full-protocol client was given."""
    [welcome] = [payload for name, payload in received(client) if name == "welcome"]
    return welcome


def ask(client, event, **payload):
    """Send ``event`` with ``payload`` and return the acknowledgement."""
    return client.emit(event, payload, callback=True)


def named(client, event):
    return [payload for name, payload in received(client) if name == event]


@pytest.fixture
def credentials():
    """Return the guest credentials of the ``dm`` fixture's people, by person id."""
    return {}


@pytest.fixture
def dm(full, credentials):
    """Return (Alice, Bob, Carol), their people, and Alice and Bob's DM with Alice's message 1 in it, drained.

    Carol is in the default room with both of them, so a room's audience would reach her.
    Each person's guest credential is kept in ``credentials``, by person id.
    """
    clients = [full(name) for name in ("Alice", "Bob", "Carol")]
    welcomes = [welcome_of(client) for client in clients]
    people = [welcome["user"] for welcome in welcomes]
    alice, bob, _ = clients
    dm_id = ask(alice, "open-dm", person=people[1]["id"])["dm"]["id"]
    for person, welcome in zip(people, welcomes, strict=True):
        credentials[person["id"]] = welcome["guest"]
    assert ask(alice, "send-message", room=dm_id, text="helo")["ok"]
    for client in clients:
        received(client)
    return clients, people, dm_id


def test_an_edit_in_a_dm_reaches_both_people_and_no_one_else(dm):
    """Tell Alice and Bob of Alice's edit, with the change number; Carol hears nothing."""
    (alice, bob, carol), _, dm_id = dm
    ack = ask(alice, "edit-message", room=dm_id, id=1, text="hello")
    assert ack["ok"] and ack["change"] == 1 and ack["text"] == "hello"
    edited = {key: ack[key] for key in ("room", "id", "text", "editedAt", "change")}
    assert received(alice) == [("message-edited", edited)]
    assert received(bob) == [("message-edited", edited)]
    assert received(carol) == []
    [message] = ask(bob, "history", room=dm_id)["messages"]
    assert message["text"] == "hello" and message["edited"] is True


def test_a_deletion_in_a_dm_reaches_both_people_and_leaves_a_tombstone(dm):
    """Tell both people of the deletion; the DM's history keeps id 1 as a tombstone."""
    (alice, bob, carol), _, dm_id = dm
    ack = ask(alice, "delete-message", room=dm_id, id=1)
    assert ack == {"ok": True, "room": dm_id, "id": 1, "change": 1}
    for person in (alice, bob):
        assert received(person) == [("message-deleted", {"room": dm_id, "id": 1, "change": 1})]
    assert received(carol) == []
    [message] = ask(bob, "history", room=dm_id)["messages"]
    assert message["id"] == 1 and message["deleted"] is True and message["text"] == ""


def test_both_people_react_in_a_dm_and_both_see_who(dm):
    """Let Bob react to Alice's message and Alice too; both are told each time, Carol never."""
    (alice, bob, carol), (a, b, _), dm_id = dm
    first = ask(bob, "react", room=dm_id, id=1, emoji="👍")
    assert first["ok"] and first["users"] == [b["id"]] and first["count"] == 1
    second = ask(alice, "react", room=dm_id, id=1, emoji="👍")
    assert second["users"] == [b["id"], a["id"]] and second["change"] == 2
    for person in (alice, bob):
        assert [payload["users"] for payload in named(person, "reaction")] == [[b["id"]], [b["id"], a["id"]]]
    assert received(carol) == []


def test_only_the_sender_may_edit_or_delete_in_a_dm(dm):
    """Refuse Bob's edit and deletion of Alice's message as forbidden; nothing is told."""
    (alice, bob, _), _, dm_id = dm
    for event, payload in (("edit-message", {"text": "mine now"}), ("delete-message", {})):
        ack = ask(bob, event, room=dm_id, id=1, **payload)
        assert ack["ok"] is False and ack["code"] == "forbidden", (event, ack)
    assert named(alice, "message-edited") == [] and named(alice, "message-deleted") == []


def test_a_third_person_gets_not_found_for_every_change_and_read_in_a_dm(dm):
    """Refuse Carol each change and read request about the DM as for a DM that does not exist; tell nobody."""
    (alice, bob, carol), _, dm_id = dm
    nowhere = "dm:" + "0" * 24
    for room in (dm_id, nowhere):
        for event, payload in (
            ("edit-message", {"id": 1, "text": "x"}),
            ("delete-message", {"id": 1}),
            ("react", {"id": 1, "emoji": "👍"}),
            ("mark-read", {"id": 1}),
            ("seen-by", {"id": 1}),
        ):
            ack = ask(carol, event, room=room, **payload)
            assert ack["ok"] is False and ack["code"] == "not_found", (event, ack)
            assert ack["error"] == f"there is no conversation {room!r} of yours"
            assert "helo" not in repr(ack)
    assert all(name == "chat-error" for name, _ in received(carol))
    assert received(alice) == [] and received(bob) == []
    [message] = ask(alice, "history", room=dm_id)["messages"]
    assert (message["text"], message.get("reactions"), message.get("edited")) == ("helo", None, None)


@pytest.mark.parametrize(
    "event, payload, code",
    [
        ("edit-message", {"id": 1, "text": 5}, "not_text"),
        ("edit-message", {"id": 1, "text": "x" * 2001}, "too_long"),
        ("react", {"id": 1, "emoji": "x" * 100}, "bad_emoji"),
        ("react", {"id": "1", "emoji": "👍"}, "bad_arguments"),
        ("mark-read", {"id": -1}, "bad_arguments"),
        ("edit-message", {"id": 9, "text": "x"}, "not_found"),
    ],
)
def test_bad_change_and_read_requests_in_a_dm_are_refused_to_their_sender(dm, event, payload, code):
    """Refuse a bad payload in a DM to its sender with a code; the other person is told nothing."""
    (alice, bob, _), _, dm_id = dm
    ack = ask(alice, event, room=dm_id, **payload)
    assert ack["ok"] is False and ack["code"] == code, ack
    assert received(bob) == []


def test_a_dm_catch_up_with_last_change_brings_the_changes_missed(dm):
    """Give Bob, rejoining the DM with lastSeen and lastChange, the edit and reaction made while he was away."""
    (alice, bob, _), (_, b, _), dm_id = dm
    ask(alice, "edit-message", room=dm_id, id=1, text="hello")
    ask(alice, "react", room=dm_id, id=1, emoji="🎉")
    received(bob)
    ack = ask(bob, "join-room", room=dm_id, lastSeen=1, lastChange=0)
    assert ack["ok"]
    got = received(bob)
    [history] = [p for n, p in got if n == "history"]
    assert history["messages"] == [] and history["lastChange"] == 2
    [changes] = [p for n, p in got if n == "changes"]
    assert [c["event"] for c in changes["changes"]] == ["message-edited", "reaction"]
    assert changes["last"] == 2 and changes["gap"] is False


def test_read_markers_receipts_and_seen_by_work_in_a_dm(dm):
    """Move Bob's marker in the DM: his connections are told, Alice gets a receipt, seen-by lists Bob."""
    (alice, bob, carol), (a, b, _), dm_id = dm
    ack = ask(bob, "mark-read", room=dm_id, id=1)
    assert ack == {"ok": True, "room": dm_id, "id": 1, "unread": 0, "mentions": 0, "moved": True}
    assert named(bob, "read-marker") == [{"room": dm_id, "id": 1, "unread": 0, "mentions": 0}]
    assert named(alice, "receipt") == [{"room": dm_id, "id": 1, "by": b}]
    assert received(carol) == []
    seen = ask(alice, "seen-by", room=dm_id, id=1)
    assert seen == {"ok": True, "room": dm_id, "id": 1, "by": [b], "more": False}


def test_welcome_counts_a_dm_s_unread_messages_and_mentions_of_its_people_only(dm, full, credentials):
    """Count the DM in Bob's unread counts when he comes back, mentions of him apart; Carol cannot be mentioned."""
    (alice, bob, _), (a, b, c), dm_id = dm
    sent = ask(alice, "send-message", room=dm_id, text="are you there @Bob?", mentions=[b["id"], c["id"]])
    assert sent["message"]["mentions"] == [b["id"]]
    ask(alice, "send-message", room=dm_id, text="@Carol is not in here", mentions=[c["id"]])
    bob.disconnect()
    [welcome] = named(full("Bob", guest=credentials[b["id"]]), "welcome")
    assert welcome["unread"][dm_id] == {"count": 3, "mentions": 1, "readUpTo": 0}
    [welcome] = named(full("Carol", guest=credentials[c["id"]]), "welcome")
    assert dm_id not in welcome["unread"]


def test_reconnecting_with_a_dm_in_the_handshake_brings_its_changes_missed(dm, full, credentials):
    """Give Bob, reconnecting with the DM in rooms, lastSeen and lastChange, Alice's deletion made while he was away."""
    (alice, bob, _), (_, b, _), dm_id = dm
    bob.disconnect()
    ask(alice, "delete-message", room=dm_id, id=1)
    again = full(
        "Bob", guest=credentials[b["id"]], rooms=["general", dm_id], lastSeen={dm_id: 1}, lastChange={dm_id: 0}
    )
    got = received(again)
    [changes] = [payload for name, payload in got if name == "changes"]
    assert changes["room"] == dm_id and changes["last"] == 1
    assert changes["changes"] == [{"event": "message-deleted", "room": dm_id, "id": 1, "change": 1}]
