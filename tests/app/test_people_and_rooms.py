"""The full protocol beside the seed's, through the Flask-SocketIO test client."""

import threading

import pytest
from itsdangerous import URLSafeSerializer

from chat import socketio as server_socketio
from chat import sweeper
from chat.identity import issue_token
from support import TEST_SECRET
from support.clients import only, received


def names_of(test_client, event):
    return [payload for name, payload in received(test_client) if name == event]


def sweep(app):
    with app.app_context():
        sweeper.sweep()


def test_full_client_is_welcomed_with_a_presence_snapshot(full, socket_client):
    """Welcome a full client and show it who is in the default room; seed clients hear user-joined."""
    seed = socket_client()
    alice = full("Alice")
    welcome, presence, history = only(alice, "welcome", "presence", "history")
    assert welcome["user"]["name"] == "Alice" and welcome["defaultRoom"] == "general"
    assert presence["room"] == "general"
    members = {member["name"]: member["guest"] for member in presence["members"]}
    assert members.pop("Alice") is False
    assert list(members.values()) == [True]  # the seed client, as a guest
    assert history == {"room": "general", "messages": [], "more": False}
    assert received(seed) == [("user-joined", {"message": "A user joined the chat"})]


def test_seed_and_full_clients_chat_each_in_their_own_shape(full, socket_client):
    """Deliver the default room's messages to seed clients as bare strings and to full clients as objects, once."""
    seed = socket_client()
    alice = full("Alice")
    for client in (seed, alice):
        received(client)
    seed.emit("newMessage", "from seed")
    [(event, message)] = received(alice)
    assert event == "room-message" and message["text"] == "from seed" and message["user"]["guest"]
    assert received(seed) == [("message", "from seed")]
    ack = alice.emit("send-message", {"room": "general", "text": "from full"}, callback=True)
    assert ack["ok"] and ack["message"]["text"] == "from full" and ack["message"]["user"]["name"] == "Alice"
    assert received(seed) == [("message", "from full")]
    assert received(alice) == [("room-message", ack["message"])]


def test_messages_are_numbered_per_room(full):
    """Give each room's messages ids 1, 2, 3, ... and a server timestamp."""
    alice = full("Alice")
    alice.emit("create-room", {"room": "games"}, callback=True)
    alice.emit("join-room", {"room": "games"}, callback=True)
    ids = [
        alice.emit("send-message", {"room": room, "text": "x"}, callback=True)["message"]["id"]
        for room in ("general", "games", "general", "general", "games")
    ]
    assert ids == [1, 1, 2, 3, 2]


def test_full_client_receives_none_of_the_seed_events(full, socket_client):
    """Send user-joined, user-left and message only to seed clients."""
    alice = full("Alice")
    received(alice)
    seed = socket_client()
    seed.emit("newMessage", "hi")
    seed.disconnect()
    assert [event for event, _ in received(alice)] == ["member-joined", "room-message", "member-left"]


def test_names_are_unique_with_a_number(full):
    """Give a look-alike name a number, on connect and on rename."""
    full("Alice")
    welcome, _, _ = only(full("ＡＬＩＣＥ"), "welcome", "presence", "history")
    assert welcome["user"]["name"] == "ＡＬＩＣＥ 2"
    bob = full("Bob")
    assert bob.emit("rename", {"name": "alice"}, callback=True)["user"]["name"] == "alice 3"


@pytest.mark.parametrize(
    "auth",
    [
        {"protocol": 2, "name": "zero\u200bwidth"},
        {"protocol": 2, "name": ""},
        {"protocol": 2, "name": 42},
        {"protocol": 3},
        {"protocol": 2, "rooms": "general"},
        {"protocol": 2, "rooms": ["Not A Room"]},
    ],
)
def test_bad_handshakes_are_refused(socket_client, auth):
    """Refuse a connection whose handshake breaks the rules; tell nobody about it."""
    seed = socket_client()
    refused = socket_client(auth=auth)
    assert not refused.is_connected()
    assert received(seed) == []


def test_two_tabs_are_two_people(app, full, client, clock):
    """Make each tab of one browser a person of its own: its own name, presence and departure."""
    bob = full("Bob")
    client.get("/")  # the page gives the browser its cookie
    tab1 = full("Alice", browser=client)
    tab2 = full("Alice", browser=client)
    first, _, _, joined = only(tab1, "welcome", "presence", "history", "member-joined")
    welcome, presence, _ = only(tab2, "welcome", "presence", "history")
    assert joined == {"room": "general", "user": welcome["user"]}
    assert welcome["user"]["name"] == "Alice 2" and welcome["user"]["id"] != first["user"]["id"]
    assert welcome["guest"] != first["guest"]
    assert [m["name"] for m in presence["members"]] == ["Alice", "Alice 2", "Bob"]
    assert names_of(bob, "member-joined") == [
        {"room": "general", "user": first["user"]},
        {"room": "general", "user": welcome["user"]},
    ]
    tab2.disconnect()
    clock.advance(5)
    sweep(app)
    assert received(bob) == [("member-left", {"room": "general", "user": welcome["user"]})]
    assert received(tab1) == [("member-left", {"room": "general", "user": welcome["user"]})]


def test_a_dropped_person_leaves_after_the_grace_period(app, full, client, clock):
    """Keep a dropped person in the room for the grace period, then tell the room they left."""
    bob = full("Bob")
    client.get("/")
    alice = full("Alice", browser=client)
    received(bob)
    alice.disconnect()
    clock.advance(4.9)
    sweep(app)
    assert received(bob) == []
    clock.advance(0.2)
    sweep(app)
    left = only(bob, "member-left")
    assert left["user"]["name"] == "Alice"


def test_a_quick_reconnect_does_not_flap(app, full, client, clock):
    """Say nothing to the room when a guest drops and comes back with its credential within the grace period."""
    bob = full("Bob")
    client.get("/")
    alice = full("Alice", browser=client)
    welcome = names_of(alice, "welcome")[0]
    alice.disconnect()
    received(bob)
    clock.advance(2)
    again = full("Another name", browser=client, guest=welcome["guest"])
    back = names_of(again, "welcome")[0]
    assert back["user"] == welcome["user"] and back["guest"] == welcome["guest"]
    clock.advance(10)
    sweep(app)
    assert received(bob) == []


def test_a_guest_credential_is_not_shared_by_two_connections(full):
    """Make a connection with the credential of a guest still connected (a duplicated tab) a new guest."""
    bob = full("Bob")
    alice = full("Alice")
    first = names_of(alice, "welcome")[0]
    received(bob)
    copy = full("Alice", guest=first["guest"])
    welcome = names_of(copy, "welcome")[0]
    assert welcome["user"]["name"] == "Alice 2" and welcome["user"]["id"] != first["user"]["id"]
    assert welcome["guest"] != first["guest"]
    assert names_of(bob, "member-joined") == [{"room": "general", "user": welcome["user"]}]
    alice.emit("send-message", {"room": "general", "text": "only mine"}, callback=True)
    assert names_of(copy, "room-message")[0]["user"] == first["user"]


def _altered(credential):
    """Return ``credential`` with the first character of its signature changed.

    Not the last: its low bits are base64 padding, so changing it can leave the signature as it was.
    """
    payload, signature = credential.rsplit(".", 1)
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


@pytest.mark.parametrize(
    "forge",
    [
        lambda alice: _altered(alice["guest"]),
        lambda alice: alice["user"]["id"],  # an id of the client's choosing, unsigned
        lambda alice: URLSafeSerializer("another-secret", salt="chat-guest").dumps(alice["user"]["id"]),
        lambda alice: URLSafeSerializer(TEST_SECRET, salt="chat-identity").dumps(alice["user"]["id"]),
        lambda alice: issue_token(TEST_SECRET, alice["user"]["id"], "Alice"),
        lambda alice: "made-up",
    ],
)
def test_a_forged_guest_credential_gets_a_new_guest(app, full, forge):
    """Give a made-up, altered or foreign credential a new guest, never the guest it names."""
    bob = full("Bob")
    alice = full("Alice")
    real = names_of(alice, "welcome")[0]
    alice.disconnect()  # within her grace period: her guest could be taken over, if a forgery were taken
    received(bob)
    forger = full("Mallory", guest=forge(real))
    welcome = names_of(forger, "welcome")[0]
    assert welcome["user"]["id"] != real["user"]["id"] and welcome["user"]["name"] == "Mallory"
    assert welcome["guest"] != real["guest"]
    assert names_of(bob, "member-joined") == [{"room": "general", "user": welcome["user"]}]


@pytest.mark.parametrize("guest", [42, ["x"], {"id": "x"}, True])
def test_a_guest_credential_that_is_not_a_string_is_refused(socket_client, guest):
    """Refuse a handshake whose guest credential is not a string; tell nobody."""
    seed = socket_client()
    assert not socket_client(auth={"protocol": 2, "guest": guest}).is_connected()
    assert received(seed) == []


def test_a_seed_client_with_a_credential_is_a_new_guest(app, full, socket_client):
    """Ignore a guest credential from a client of the original protocol: a person per connection."""
    bob = full("Bob")
    alice = full("Alice")
    real = names_of(alice, "welcome")[0]
    alice.disconnect()
    received(bob)
    socket_client(auth={"guest": real["guest"]})
    [joined] = names_of(bob, "member-joined")
    assert joined["user"]["id"] != real["user"]["id"] and joined["user"]["guest"] is True


def test_a_new_tab_takes_its_browser_s_name_from_a_tab_closed_within_the_grace(app, full, client, make_app):
    """Give a new tab the name its browser's closed tab held, that guest leaving now; another browser gets a number."""
    bob = full("Bob")
    client.get("/")
    closed = full("Alice", browser=client)
    old = names_of(closed, "welcome")[0]["user"]
    closed.disconnect()
    received(bob)
    reopened = full("Alice", browser=client)
    new = names_of(reopened, "welcome")[0]["user"]
    assert new["name"] == "Alice" and new["id"] != old["id"]
    assert received(bob) == [
        ("member-left", {"room": "general", "user": old}),
        ("member-joined", {"room": "general", "user": new}),
    ]
    reopened.disconnect()
    other_browser = app.test_client()
    other_browser.get("/")
    elsewhere = full("Alice", browser=other_browser)
    assert names_of(elsewhere, "welcome")[0]["user"]["name"] == "Alice 2"
    assert [event for event, _ in received(bob)] == ["member-joined"]


def test_rooms_are_created_joined_and_scoped(full, socket_client):
    """Scope messages and presence to a room: outsiders in another room receive nothing."""
    seed = socket_client()
    alice, bob, outsider = full("Alice"), full("Bob"), full("Carol")
    for client in (seed, alice, bob, outsider):
        received(client)
    assert alice.emit("create-room", {"room": "games"}, callback=True) == {"ok": True, "room": "games"}
    for client in (alice, bob, outsider):
        assert received(client) == [("room-created", {"room": "games"})]
    assert received(seed) == []

    assert alice.emit("join-room", {"room": "games"}, callback=True) == {"ok": True, "room": "games"}
    snapshot, _ = only(alice, "presence", "history")
    assert [m["name"] for m in snapshot["members"]] == ["Alice"]
    bob.emit("join-room", {"room": "games"}, callback=True)
    joined = only(alice, "member-joined")
    assert joined == {"room": "games", "user": names_of(bob, "presence")[0]["members"][1]}

    message = bob.emit("send-message", {"room": "games", "text": "gg"}, callback=True)["message"]
    assert received(alice) == [("room-message", message)]
    assert received(bob) == [("room-message", message)]
    assert received(outsider) == [] and received(seed) == []

    refusal = outsider.emit("send-message", {"room": "games", "text": "let me in"}, callback=True)
    assert refusal["code"] == "not_in_room"
    assert only(outsider, "chat-error")["code"] == "not_in_room"
    assert received(alice) == [] and received(bob) == []

    bob.emit("leave-room", {"room": "games"}, callback=True)
    assert [event for event, _ in received(alice)] == ["member-left"]
    assert received(outsider) == []


def test_list_rooms_counts_people(full):
    """List every room with how many people are in it."""
    alice = full("Alice")
    full("Bob")
    alice.emit("create-room", {"room": "games"}, callback=True)
    ack = alice.emit("list-rooms", callback=True)
    assert ack == {"ok": True, "rooms": [{"name": "games", "people": 0}, {"name": "general", "people": 2}]}


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("join-room", {"room": "nowhere"}, "no_such_room"),
        ("join-room", {"room": "general"}, "already_in_room"),
        ("join-room", {"room": "Bad Name"}, "bad_room"),
        ("create-room", {"room": "general"}, "room_exists"),
        ("create-room", {}, "bad_room"),
        ("leave-room", {"room": "games"}, "bad_room"),
        ("send-message", {"room": "general"}, "not_text"),
        ("send-message", {"room": "general", "text": " "}, "empty"),
        ("send-message", "general", "bad_arguments"),
        ("rename", {"name": "\u202eevil"}, "bad_name"),
        ("typing", {"room": "elsewhere"}, "not_in_room"),
        ("typing", {"room": "general", "typing": "false"}, "bad_arguments"),
        ("typing", {"room": "general", "typing": 0}, "bad_arguments"),
    ],
)
def test_bad_requests_are_refused_to_the_sender_alone(full, event, payload, code):
    """Refuse a bad request with an ack and a chat-error to its sender; tell nobody else."""
    if event == "leave-room":
        code = "not_in_room"
    alice, bob = full("Alice"), full("Bob")
    received(alice), received(bob)
    ack = alice.emit(event, payload, callback=True)
    assert ack["ok"] is False and ack["code"] == code, ack
    assert received(alice) == [("chat-error", {"event": event, "error": ack["error"], "code": code})]
    assert received(bob) == []


def test_a_missing_room_at_connect_is_skipped_with_an_error_naming_it(full):
    """Skip a room that does not exist when connecting, saying which, and enter the others."""
    alice = full("Alice", rooms=["gone", "general"])
    welcome, error, presence, _ = only(alice, "welcome", "chat-error", "presence", "history")
    assert error == {"event": "connect", "room": "gone", "error": "there is no room 'gone'", "code": "no_such_room"}
    assert presence["room"] == "general"


def test_seed_clients_cannot_use_full_events(socket_client):
    """Refuse full-protocol events from a seed client."""
    seed = socket_client()
    assert seed.emit("join-room", {"room": "general"}, callback=True)["code"] == "unknown_event"


def test_room_limits(make_app, full):
    """Refuse rooms past the total and the per-connection limits."""
    app = make_app(MAX_ROOMS=3, ROOMS_PER_CONNECTION=2)
    alice = full("Alice", target_app=app)
    assert alice.emit("create-room", {"room": "a"}, callback=True)["ok"]
    assert alice.emit("create-room", {"room": "b"}, callback=True)["ok"]
    assert alice.emit("create-room", {"room": "c"}, callback=True)["code"] == "too_many_rooms"
    assert alice.emit("join-room", {"room": "a"}, callback=True)["ok"]
    assert alice.emit("join-room", {"room": "b"}, callback=True)["code"] == "too_many_rooms"


def test_an_empty_created_room_is_removed(app, full, clock):
    """Remove a created room left empty for the idle time, telling full clients."""
    alice = full("Alice")
    alice.emit("create-room", {"room": "games"}, callback=True)
    alice.emit("join-room", {"room": "games"}, callback=True)
    alice.emit("leave-room", {"room": "games"}, callback=True)
    received(alice)
    clock.advance(299)
    sweep(app)
    assert received(alice) == []
    clock.advance(1)
    sweep(app)
    assert received(alice) == [("room-removed", {"room": "games"})]
    assert alice.emit("join-room", {"room": "games"}, callback=True)["code"] == "no_such_room"


def test_rename_tells_those_sharing_a_room(full):
    """Tell the person's rooms and connections about a rename; outsiders hear nothing."""
    alice, bob = full("Alice"), full("Bob")
    outsider = full("Carol", rooms=[])
    for client in (alice, bob, outsider):
        received(client)
    ack = alice.emit("rename", {"name": "Alicia"}, callback=True)
    renamed = {"user": ack["user"], "previous": "Alice"}
    assert received(alice) == [("member-renamed", renamed)]
    assert received(bob) == [("member-renamed", renamed)]
    assert received(outsider) == []


def test_typing_is_relayed_to_others_in_the_room_only(make_app, socket_client, full, clock):
    """Relay typing starts and stops to the room, never to the typist's connections; expire it unrenewed."""
    app = make_app(TOKENS=True)
    alice = {"protocol": 2, "token": issue_token(TEST_SECRET, "user-1", "Alice")}
    tab1, tab2 = socket_client(app, auth=alice), socket_client(app, auth=alice)
    bob = socket_client(app, auth={"protocol": 2, "token": issue_token(TEST_SECRET, "user-2", "Bob")})
    outsider = socket_client(
        app, auth={"protocol": 2, "token": issue_token(TEST_SECRET, "user-3", "Carol"), "rooms": []}
    )
    for c in (tab1, tab2, bob, outsider):
        received(c)
    tab1.emit("typing", {"room": "general", "typing": True}, callback=True)
    tab1.emit("typing", {"room": "general", "typing": True}, callback=True)
    state = only(bob, "typing")
    assert state["typing"] is True and state["user"]["name"] == "Alice"
    assert received(tab1) == [] and received(tab2) == [] and received(outsider) == []
    clock.advance(5)
    sweep(app)
    assert received(bob) == [("typing", {**state, "typing": False})]
    assert received(tab2) == []


def test_sending_a_message_ends_typing(full):
    """End the sender's typing when their message arrives."""
    alice, bob = full("Alice"), full("Bob")
    alice.emit("typing", {"room": "general", "typing": True}, callback=True)
    received(bob)
    alice.emit("send-message", {"room": "general", "text": "done"}, callback=True)
    assert [(event, payload.get("typing")) for event, payload in received(bob)] == [
        ("room-message", None),
        ("typing", False),
    ]


def test_typing_over_its_limit_is_dropped_quietly(make_app, full):
    """Drop typing events over their own allowance without an error; messages are not affected."""
    app = make_app(TYPING_BURST=2, TYPING_RATE=0.01)
    alice, bob = full("Alice", target_app=app), full("Bob", target_app=app)
    received(alice), received(bob)
    acks = [alice.emit("typing", {"room": "general", "typing": flag}, callback=True) for flag in (True, False, True)]
    assert acks == [{"ok": True}, {"ok": True}, {"ok": True, "dropped": True}]
    assert [payload["typing"] for _, payload in received(bob)] == [True, False]
    assert received(alice) == []
    assert alice.emit("send-message", {"room": "general", "text": "hi"}, callback=True)["ok"]


class _RacingExtensions(dict):
    """App extensions where a look at the expiry loop's flag waits until a second look has read it too."""

    def __init__(self, extensions):
        super().__init__(extensions)
        self.both_looked = threading.Barrier(2, timeout=2)

    def get(self, key, default=None):
        value = super().get(key, default)
        if key == "chat_sweeper":
            try:
                self.both_looked.wait()
            except threading.BrokenBarrierError:  # the other connect waits on a lock instead: no race
                pass
        return value


def test_simultaneous_first_connections_start_one_expiry_loop(app, monkeypatch):
    """Start the expiry loop once when two first connections look for it at the same moment."""
    started = []
    monkeypatch.setattr(server_socketio, "start_background_task", lambda task: started.append(task))
    app.extensions = _RacingExtensions(app.extensions)

    def first_connection():
        with app.app_context():
            sweeper.start()

    connects = [threading.Thread(target=first_connection) for _ in range(2)]
    for connect in connects:
        connect.start()
    for connect in connects:
        connect.join()
    assert len(started) == 1
