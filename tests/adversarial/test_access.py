"""Access: every request passes the one policy before anything is read, over the production command.

Attacks through real clients against one gevent server requiring signed identities: an outsider
or a banned person guessing a member's clientId, a member reusing another's clientId to
suppress their messages, a muted person speaking by other means than sending, and a person
banned while offline reading the room's unread counts, seen-by and read markers. Each test
has a bystander outside the room that must hear nothing of it.
"""

import itertools

import pytest

from chat.identity import issue_token
from support.servers import LiveServer

SECRET = "live-test-secret-of-thirty-two-bytes"  # support.servers.LiveServer's SECRET_KEY
_rooms = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Return one production server (gunicorn, gevent) requiring tokens, shared by this module's attacks."""
    live = LiveServer(tmp_path_factory.mktemp("access") / "server.log", {"TOKENS": True}, "production").start()
    yield live
    live.stop()


@pytest.fixture
def room(server, peer):
    """Return (room name, its owner Alice, its member Bob, Carol outside it): new people and a new room per test."""
    n = next(_rooms)
    name = f"team-{n}"
    alice, bob = signed(peer, server, f"alice-{n}", "Alice"), signed(peer, server, f"bob-{n}", "Bob")
    carol = signed(peer, server, f"carol-{n}", "Carol", rooms=[])
    assert alice.send({"room": name}, event="create-room")["ok"]
    for client in (alice, bob):
        assert client.send({"room": name}, event="join-room")["ok"]
    bob.wait_for("presence", 2)
    return name, alice, bob, carol


def signed(peer, server, sub, name, rooms=("general",)):
    """Connect ``sub`` (a person id) with a signed token as a full-protocol client in ``rooms``; wait for its welcome."""
    auth = {"protocol": 2, "token": issue_token(SECRET, sub, name), "rooms": list(rooms)}
    client = peer(server, auth=auth)
    client.wait_for("welcome")
    return client


def heard(client, event, room):
    """Return the payloads of ``event`` about ``room`` that ``client`` received."""
    return [payload for payload in client.received(event) if payload.get("room") == room]


def test_an_outsider_guessing_a_client_id_gets_nothing(room, server, peer):
    """Refuse an outsider's and a banned person's send with a member's clientId not_in_room: no message in the ack."""
    name, alice, bob, carol = room
    assert alice.send({"room": name, "text": "the secret", "clientId": "c-1"}, event="send-message")["ok"]
    refused = carol.send({"room": name, "text": "guess", "clientId": "c-1"}, event="send-message")
    assert refused["code"] == "not_in_room" and "message" not in refused
    assert alice.send({"room": name, "person": bob_id(name), "seconds": 60}, event="ban")["ok"]
    bob.wait_for("moderation")
    refused = bob.send({"room": name, "text": "guess", "clientId": "c-1"}, event="send-message")
    assert refused["code"] == "not_in_room" and "message" not in refused
    assert [m["text"] for m in heard(alice, "room-message", name)] == ["the secret"]
    assert heard(carol, "room-message", name) == []


def test_reusing_anothers_client_id_does_not_suppress_their_message(room):
    """Store and deliver Bob's message although Alice used its clientId first; each resend finds its own sender's."""
    name, alice, bob, carol = room
    first = alice.send({"room": name, "text": "from Alice", "clientId": "c-1"}, event="send-message")
    second = bob.send({"room": name, "text": "from Bob", "clientId": "c-1"}, event="send-message")
    assert second["ok"] and "duplicate" not in second
    assert second["message"]["text"] == "from Bob" and second["message"]["id"] == first["message"]["id"] + 1
    alice.wait_for("room-message", 2)
    assert [m["text"] for m in heard(alice, "room-message", name)] == ["from Alice", "from Bob"]
    again = bob.send({"room": name, "text": "from Bob", "clientId": "c-1"}, event="send-message")
    assert again["duplicate"] is True and again["message"] == second["message"]
    assert heard(carol, "room-message", name) == []


def test_a_muted_person_cannot_edit_react_or_type(room):
    """Refuse a muted person's edit, reaction and typing muted, and tell the room nothing; deleting stays allowed."""
    name, alice, bob, carol = room
    said = bob.send({"room": name, "text": "before", "clientId": "b-1"}, event="send-message")["message"]
    assert alice.send({"room": name, "person": bob_id(name), "seconds": 60}, event="mute")["ok"]
    bob.wait_for("moderation")
    attempts = [
        ("edit-message", {"room": name, "id": said["id"], "text": "anything at all"}),
        ("react", {"room": name, "id": said["id"], "emoji": "free text!", "on": True}),
        ("typing", {"room": name, "typing": True}),
        ("send-message", {"room": name, "text": "still here"}),
    ]
    for event, payload in attempts:
        assert bob.send(payload, event=event)["code"] == "muted", event
    assert bob.send({"room": name, "id": said["id"]}, event="delete-message")["ok"]
    alice.wait_for("message-deleted")
    for event in ("message-edited", "reaction", "typing"):
        assert heard(alice, event, name) == [] and heard(carol, event, name) == [], event
    assert heard(carol, "message-deleted", name) == []


def test_a_person_banned_while_offline_reads_nothing_of_the_room(room, server, peer):
    """Leave the room out of a banned person's welcome, refuse its mark-read and seen-by; no marker is moved."""
    name, alice, bob, carol = room
    said = alice.send({"room": name, "text": "while Bob is away"}, event="send-message")["message"]
    bob.close()
    assert alice.send({"room": name, "person": bob_id(name), "seconds": 600}, event="ban")["ok"]
    alice.send({"room": name, "text": "after the ban"}, event="send-message")
    n = name.split("-")[1]
    again = signed(peer, server, f"bob-{n}", "Bob", rooms=["general", name])
    assert name not in again.received("welcome")[0]["unread"]
    assert again.wait_for("chat-error")[0]["code"] == "banned"
    for event in ("mark-read", "seen-by"):
        assert again.send({"room": name, "id": said["id"]}, event=event)["code"] in ("banned", "not_in_room"), event
    seen = alice.send({"room": name, "id": said["id"]}, event="seen-by")
    assert [reader["id"] for reader in seen["by"]] == []
    assert alice.received("receipt") == [] and carol.received("read-marker") == []


def bob_id(room_name):
    """Return the person id of the room fixture's Bob for the room ``room_name``."""
    return "bob-" + room_name.split("-")[1]
