"""Read markers, receipts, "seen by" and mentions, through the Flask-SocketIO test client."""

import pytest

from chat.identity import issue_token
from support import TEST_SECRET
from support.clients import received


def events(test_client, event):
    return [payload for name, payload in received(test_client) if name == event]


def say(client, text, room="general", **fields):
    ack = client.emit("send-message", {"room": room, "text": text, **fields}, callback=True)
    assert ack["ok"], ack
    return ack["message"]


def signed(socket_client, app, user_id, name, rooms=None):
    auth = {"protocol": 2, "token": issue_token(TEST_SECRET, user_id, name)}
    if rooms is not None:
        auth["rooms"] = rooms
    return socket_client(app, auth=auth)


def welcome_of(test_client):
    [welcome] = events(test_client, "welcome")
    return welcome


def test_welcome_counts_unread_from_where_the_person_first_joined(full):
    """Start a newcomer read up to the room's last id; count what came after, mentions apart."""
    alice = full("Alice")
    say(alice, "before Bob came")
    bob = full("Bob")
    welcome = welcome_of(bob)
    assert welcome["unread"] == {"general": {"count": 0, "mentions": 0, "readUpTo": 1}}
    say(alice, "hi @Bob", mentions=[welcome["user"]["id"]])
    say(alice, "and more")
    bob.disconnect()
    again = full("Bob", guest=welcome["guest"])
    assert welcome_of(again)["unread"] == {"general": {"count": 2, "mentions": 1, "readUpTo": 1}}


def test_marking_read_reaches_every_connection_of_the_person_and_only_forward(make_app, socket_client):
    """Share one marker among a signed person's devices; refuse nothing for going back, and move nothing."""
    app = make_app(TOKENS=True)
    alice = signed(socket_client, app, "u-alice", "Alice")
    phone, laptop = (signed(socket_client, app, "u-bob", "Bob") for _ in range(2))
    outsider = signed(socket_client, app, "u-carol", "Carol")
    for text in ("one", "two @Bob", "three"):
        say(alice, text, mentions=["u-bob"] if "@" in text else None)
    for client in (alice, phone, laptop, outsider):
        received(client)
    ack = laptop.emit("mark-read", {"room": "general", "id": 1}, callback=True)
    assert ack == {"ok": True, "room": "general", "id": 1, "unread": 2, "mentions": 1, "moved": True}
    marker = {"room": "general", "id": 1, "unread": 2, "mentions": 1}
    assert events(phone, "read-marker") == [marker] and events(laptop, "read-marker") == [marker]
    assert events(outsider, "read-marker") == []
    back = phone.emit("mark-read", {"room": "general", "id": 0}, callback=True)
    assert back == {"ok": True, "room": "general", "id": 1, "unread": 2, "mentions": 1, "moved": False}
    assert received(laptop) == []
    # Past the last id: the marker stops at it.
    assert phone.emit("mark-read", {"room": "general", "id": 99}, callback=True)["id"] == 3
    assert events(laptop, "read-marker") == [{"room": "general", "id": 3, "unread": 0, "mentions": 0}]


def test_a_signed_person_is_counted_in_every_room_they_joined_until_they_leave(make_app, socket_client):
    """Count unread on connect for every room a signed person joined, though this connection enters none."""
    app = make_app(TOKENS=True)
    alice = signed(socket_client, app, "u-alice", "Alice")
    alice.emit("create-room", {"room": "books"}, callback=True)
    alice.emit("create-room", {"room": "games"}, callback=True)
    bob = signed(socket_client, app, "u-bob", "Bob")
    for room in ("books", "games"):
        alice.emit("join-room", {"room": room}, callback=True)
        bob.emit("join-room", {"room": room}, callback=True)
    bob.emit("leave-room", {"room": "games"}, callback=True)
    bob.disconnect()
    say(alice, "for @Bob", room="books", mentions=["u-bob"])
    say(alice, "nobody", room="books")
    say(alice, "games", room="games")
    again = signed(socket_client, app, "u-bob", "Bob", rooms=[])
    assert welcome_of(again)["unread"] == {
        "books": {"count": 2, "mentions": 1, "readUpTo": 0},
        "general": {"count": 0, "mentions": 0, "readUpTo": 0},
    }


def test_a_guest_belongs_to_the_rooms_of_its_connections(full):
    """Refuse mark-read in a room the guest is not in; a guest gone has no rooms to be counted in."""
    alice = full("Alice")
    alice.emit("create-room", {"room": "books"}, callback=True)
    ack = alice.emit("mark-read", {"room": "books", "id": 1}, callback=True)
    assert ack["ok"] is False and ack["code"] == "not_in_room"
    alice.emit("join-room", {"room": "books"}, callback=True)
    assert alice.emit("mark-read", {"room": "books", "id": 1}, callback=True)["ok"]


def test_receipts_go_to_the_senders_only_once_each_per_move(full):
    """Send one receipt per sender, with their newest message passed, however many messages a reader passes."""
    senders = [full(f"Sender {n}") for n in range(5)]
    reader, outsider = full("Reader"), full("Outsider")
    ids = {}
    for round_ in range(10):
        for n, sender in enumerate(senders):
            ids[n] = say(sender, f"{round_} from {n}")["id"]
    for client in senders + [reader, outsider]:
        received(client)
    assert reader.emit("mark-read", {"room": "general", "id": 50}, callback=True)["moved"]
    for n, sender in enumerate(senders):
        [receipt] = events(sender, "receipt")
        assert receipt["room"] == "general" and receipt["id"] == ids[n] and receipt["by"]["name"] == "Reader"
    assert events(outsider, "receipt") == []
    assert [name for name, _ in received(reader)] == ["read-marker"]  # no receipt for a reader's own move


def test_protocol_1_clients_get_no_receipts_nor_markers(make_app, full, socket_client):
    """Send read markers and receipts to full-protocol connections only: a seed client hears only its events."""
    seed = socket_client()
    reader = full("Reader")
    seed.emit("newMessage", "from the gateway")
    received(seed)
    assert reader.emit("mark-read", {"room": "general", "id": 1}, callback=True)["moved"]
    assert received(seed) == []
    app = make_app(TOKENS=True)
    token = issue_token(TEST_SECRET, "u-bob", "Bob")
    old_client = socket_client(app, auth={"token": token})
    bob = signed(socket_client, app, "u-bob", "Bob")
    say(bob, "x")
    received(old_client)
    assert bob.emit("mark-read", {"room": "general", "id": 1}, callback=True)["moved"]
    assert received(old_client) == []


def test_receipts_look_only_at_the_newest_messages_a_marker_passes(make_app, full):
    """Bound the messages a move reads for receipts by RECEIPTS_SCAN."""
    app = make_app(RECEIPTS_SCAN=3)
    early, late = full("Early", target_app=app), full("Late", target_app=app)
    reader = full("Reader", target_app=app)
    say(early, "old")
    for _ in range(3):
        say(late, "new")
    received(early), received(late)
    reader.emit("mark-read", {"room": "general", "id": 4}, callback=True)
    assert events(early, "receipt") == []
    assert [r["id"] for r in events(late, "receipt")] == [4]


def test_seen_by_lists_who_read_past_an_id_bounded(make_app, full):
    """Answer with the readers whose marker reached the id, at most SEEN_BY_MAX, saying if there are more."""
    app = make_app(SEEN_BY_MAX=2)
    alice = full("Alice", target_app=app)
    readers = [full(name, target_app=app) for name in ("Bob", "Carol", "Dan")]
    for _ in range(3):
        say(alice, "x")
    for n, reader in enumerate(readers):
        reader.emit("mark-read", {"room": "general", "id": n + 1}, callback=True)
    ack = alice.emit("seen-by", {"room": "general", "id": 2}, callback=True)
    assert ack["ok"] and [p["name"] for p in ack["by"]] == ["Carol", "Dan"] and ack["more"] is False
    ack = alice.emit("seen-by", {"room": "general", "id": 1}, callback=True)
    assert len(ack["by"]) == 2 and ack["more"] is True


def test_mentions_keep_only_the_rooms_members(full):
    """Store the named ids that are in the room, once each, in room-message and history."""
    alice, bob = full("Alice"), full("Bob")
    alice.emit("create-room", {"room": "books"}, callback=True)
    bob_id = welcome_of(bob)["user"]["id"]
    received(alice)
    message = say(alice, "hi", mentions=[bob_id, "nobody", bob_id])
    assert message["mentions"] == [bob_id]
    assert events(bob, "room-message")[0]["mentions"] == [bob_id]
    alice.emit("join-room", {"room": "books"}, callback=True)
    assert "mentions" not in say(alice, "not here", room="books", mentions=[bob_id])
    page = alice.emit("history", {"room": "general"}, callback=True)
    assert page["messages"][-1]["mentions"] == [bob_id]


def test_protocol_1_text_mentions_by_the_longest_name(full, socket_client):
    """Resolve @name in newMessage text against the default room's members; a rename keeps the id."""
    ann, ann_lee = full("Ann"), full("Ann Lee")
    ann_lee_id = welcome_of(ann_lee)["user"]["id"]
    received(ann)
    seed = socket_client()
    seed.emit("newMessage", "hey @ann lee!")
    [message] = events(ann, "room-message")
    assert message["mentions"] == [ann_lee_id]
    ann_lee.emit("rename", {"name": "Zed"}, callback=True)
    page = ann.emit("history", {"room": "general"}, callback=True)
    assert page["messages"][-1]["mentions"] == [ann_lee_id]
    assert ann_lee.emit("mark-read", {"room": "general", "id": 0}, callback=True)["mentions"] == 1


@pytest.mark.parametrize("event", ["mark-read", "seen-by"])
@pytest.mark.parametrize(
    "payload, code",
    [
        ("general", "bad_arguments"),
        ({"room": "general"}, "bad_arguments"),
        ({"room": "general", "id": "1"}, "bad_arguments"),
        ({"room": "general", "id": -1}, "bad_arguments"),
        ({"room": "Bad Room", "id": 1}, "bad_room"),
        ({"room": "nowhere", "id": 1}, "not_in_room"),
    ],
)
def test_bad_read_requests_are_refused_to_their_sender(full, socket_client, event, payload, code):
    """Refuse a bad payload or another room's marker with a code, to the sender alone."""
    alice, bob = full("Alice"), full("Bob")
    seed = socket_client()
    for client in (alice, bob, seed):
        received(client)
    ack = alice.emit(event, payload, callback=True)
    assert ack["ok"] is False and ack["code"] == code
    assert [name for name, _ in received(alice)] == ["chat-error"]
    assert received(bob) == [] and received(seed) == []


def test_read_events_are_full_protocol_only(socket_client):
    """Refuse mark-read and seen-by from a seed client, saying they are the full protocol's."""
    seed = socket_client()
    for event in ("mark-read", "seen-by"):
        ack = seed.emit(event, {"room": "general", "id": 1}, callback=True)
        assert ack["code"] == "unknown_event" and "full protocol" in ack["error"]


@pytest.mark.parametrize(
    "mentions, code",
    [
        ("someone", "bad_arguments"),
        ([1, 2], "bad_arguments"),
        (["x"] * 4, "too_many_mentions"),
    ],
)
def test_bad_mentions_are_refused_and_not_delivered(make_app, full, mentions, code):
    """Refuse mentions that are not a short list of ids; deliver nothing."""
    app = make_app(MAX_MENTIONS=3)
    alice, bob = full("Alice", target_app=app), full("Bob", target_app=app)
    received(alice), received(bob)
    ack = alice.emit("send-message", {"room": "general", "text": "hi", "mentions": mentions}, callback=True)
    assert ack["ok"] is False and ack["code"] == code
    assert received(bob) == []


def test_reading_has_its_own_allowance_and_costs_none_of_the_flood_one(make_app, full):
    """Drop mark-read and seen-by quietly past READ_BURST; sending is not refused for them."""
    app = make_app(FLOOD_BURST=2, READ_BURST=3)
    alice = full("Alice", target_app=app)
    say(alice, "x")
    received(alice)
    acks = [alice.emit("mark-read", {"room": "general", "id": 1}, callback=True) for _ in range(2)]
    acks.append(alice.emit("seen-by", {"room": "general", "id": 1}, callback=True))
    assert all(ack["ok"] and "dropped" not in ack for ack in acks)
    assert alice.emit("mark-read", {"room": "general", "id": 1}, callback=True) == {"ok": True, "dropped": True}
    assert alice.emit("seen-by", {"room": "general", "id": 1}, callback=True) == {"ok": True, "dropped": True}
    assert [name for name, _ in received(alice)] == ["read-marker"]  # the first move; no chat-error
    say(alice, "still allowed")


@pytest.mark.parametrize("key", ["MAX_MENTIONS", "SEEN_BY_MAX", "RECEIPTS_SCAN", "READ_BURST", "READ_RATE"])
@pytest.mark.parametrize("value", [0, -1, True, "5"])
def test_read_settings_must_be_positive(make_app, key, value):
    """Refuse to start with a read or mention limit that is not a positive number."""
    with pytest.raises(ValueError, match=f"CHAT_{key}"):
        make_app(**{key: value})


@pytest.mark.parametrize("key", ["MAX_MENTIONS", "SEEN_BY_MAX", "RECEIPTS_SCAN", "READ_BURST"])
def test_read_counts_must_be_whole_numbers(make_app, key):
    """Refuse a count of people or messages with a fraction."""
    with pytest.raises(ValueError, match=f"CHAT_{key}"):
        make_app(**{key: 1.5})


def test_a_removed_room_takes_its_markers_and_members_with_it(make_app, socket_client, clock):
    """Forget who belonged to a room removed when idle: made again, it is nobody's yet."""
    from chat import sweeper

    app = make_app(TOKENS=True, ROOM_IDLE_SECONDS=10, PRESENCE_GRACE=1)
    alice = signed(socket_client, app, "u-alice", "Alice")
    alice.emit("create-room", {"room": "books"}, callback=True)
    bob = signed(socket_client, app, "u-bob", "Bob", rooms=["books"])
    say(bob, "x", room="books")
    bob.disconnect()
    clock.advance(2)
    with app.app_context():
        sweeper.sweep()  # Bob's grace period ends: the room is empty
    clock.advance(11)
    with app.app_context():
        sweeper.sweep()  # and removed
    assert alice.emit("create-room", {"room": "books"}, callback=True)["ok"]
    again = signed(socket_client, app, "u-bob", "Bob", rooms=[])
    assert welcome_of(again)["unread"] == {}
