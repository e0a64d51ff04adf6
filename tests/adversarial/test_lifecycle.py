"""Attacks on what ends: a removed room's past, and retention, through real clients against the production command.

A room removed (idle) must leave nothing to whoever makes a room of its name next: no
message, edit, reaction, ban or moderation record, and no id a client stored. Retention must
trim every room whatever its messages hold.
"""

import time

from chat.identity import issue_token
from support import TIMEOUT

SECRET = "live-test-secret-of-thirty-two-bytes"  # support.servers.LiveServer's SECRET_KEY
ODD = ["half \ud83d an emoji", "\udc00", "nul \x00 here", '{"unclosed": [', "\\ud800 escaped"]


def signed(peer, server, sub, name):
    """Connect ``sub`` with a token, with the full protocol; wait for its first history."""
    client = peer(server, auth={"protocol": 2, "token": issue_token(SECRET, sub, name)})
    client.wait_for("history")
    return client


def test_a_room_made_again_under_a_removed_rooms_name_shows_none_of_its_past(live_server, peer):
    """Make the removed room's name again as Mallory: no old edit, reaction, ban or record; ids carry on."""
    server = live_server("production", TOKENS=True, ROOM_IDLE_SECONDS=1)
    alice, mallory = signed(peer, server, "alice", "Alice"), signed(peer, server, "mallory", "Mallory")
    assert alice.send({"room": "team"}, event="create-room")["ok"]
    assert alice.send({"room": "team"}, event="join-room")["ok"]
    sent = [alice.send({"room": "team", "text": f"secret {n}"}, event="send-message") for n in range(5)]
    first = sent[0]["message"]["id"]
    assert alice.send({"room": "team", "id": first, "text": "the old edit"}, event="edit-message")["ok"]
    assert alice.send({"room": "team", "id": first, "emoji": "🙈"}, event="react")["ok"]
    assert alice.send({"room": "team", "person": "mallory", "seconds": 3600, "reason": "old"}, event="ban")["ok"]
    assert alice.send({"room": "team"}, event="leave-room")["ok"]
    assert mallory.wait_for("room-removed")[0] == {"room": "team"}

    assert mallory.send({"room": "team"}, event="create-room")["ok"]
    assert mallory.send({"room": "team", "lastChange": 0}, event="join-room")["ok"]
    history, changes = mallory.received("history")[-1], mallory.received("changes")[-1]
    assert (history["room"], history["messages"]) == ("team", [])
    assert (changes["room"], changes["changes"]) == ("team", [])
    assert mallory.send({"room": "team"}, event="moderation-log")["actions"] == []
    page = mallory.send({"room": "team"}, event="history")
    assert page["messages"] == []
    posted = mallory.send({"room": "team", "text": "mine"}, event="send-message")["message"]
    assert posted["id"] == sent[-1]["message"]["id"] + 1  # a stored lastSeen never points into the new room


def test_messages_of_any_content_do_not_stop_retention(live_server, peer, tmp_path):
    """Fill rooms with lone surrogates, NUL and odd JSON; a server started with retention trims every room."""
    database = str(tmp_path / "shared.sqlite3")
    server = live_server("production", DATABASE_URL=database, FLOOD_BURST=0)
    attacker = peer(server, auth={"protocol": 2, "name": "Mallory"})
    attacker.wait_for("history")
    rooms = ["a", "b", "c"]
    for room in rooms:
        assert attacker.send({"room": room}, event="create-room")["ok"]
        assert attacker.send({"room": room}, event="join-room")["ok"]
    for room in ["general", *rooms]:
        for text in ODD * 2:
            assert attacker.send({"room": room, "text": text}, event="send-message")["ok"]
    attacker.close()
    server.stop()

    # Retention runs at the first sweep after a start: wait for it by asking, as a client would.
    again = live_server("production", DATABASE_URL=database, RETENTION_MESSAGES=2, FLOOD_BURST=0)
    reader = peer(again, auth={"protocol": 2, "name": "Reader", "rooms": ["general", *rooms]})
    reader.wait_for("history", 4)
    deadline = time.monotonic() + TIMEOUT
    while True:
        pages = {room: reader.send({"room": room}, event="history") for room in ["general", *rooms]}
        kept = {room: page.get("messages", page) for room, page in pages.items()}
        if all(len(messages) == 2 for messages in kept.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.1)  # the retention pass has no event a client can wait on
    assert {room: [m["text"] for m in messages] for room, messages in kept.items()} == dict.fromkeys(
        ["general", *rooms], ODD[-2:]
    )
