"""History and delivery through the test client: entering rooms, pages, resends, catch-up."""

import pytest

from chat import sweeper
from chat.core import rooms
from support.clients import only, received


def say(client, text, room="general", **fields):
    """Send ``text`` and return the acknowledgement."""
    return client.emit("send-message", {"room": room, "text": text, **fields}, callback=True)


def texts(payload):
    return [message["text"] for message in payload["messages"]]


def test_entering_a_room_sends_the_latest_messages_first(make_app, full):
    """Give a newcomer the latest HISTORY_LIMIT messages, oldest first, before live ones."""
    app = make_app(HISTORY_LIMIT=3)
    alice = full("Alice", target_app=app)
    for n in range(5):
        say(alice, f"m{n}")
    bob = full("Bob", target_app=app)
    _, _, history = only(bob, "welcome", "presence", "history")
    assert texts(history) == ["m2", "m3", "m4"] and history["more"] is True
    assert [m["id"] for m in history["messages"]] == [3, 4, 5]
    say(alice, "live")
    assert only(bob, "room-message")["text"] == "live"


def test_seed_clients_get_no_history(full, socket_client):
    """Keep seed clients to live messages only."""
    say(full("Alice"), "before")
    seed = socket_client()
    assert received(seed) == []


def test_older_pages_on_request(make_app, full):
    """Page back through a room's history before an id, with a bounded limit."""
    app = make_app(HISTORY_PAGE_MAX=5)
    alice = full("Alice", target_app=app)
    for n in range(8):
        say(alice, f"m{n}")
    page = alice.emit("history", {"room": "general", "before": 6, "limit": 3}, callback=True)
    assert texts(page) == ["m2", "m3", "m4"] and page["more"] is True
    page = alice.emit("history", {"room": "general", "before": 3, "limit": 5}, callback=True)
    assert texts(page) == ["m0", "m1"] and page["more"] is False
    assert alice.emit("history", {"room": "general", "limit": 6}, callback=True)["code"] == "bad_arguments"
    outsider = full("Carol", target_app=app, rooms=[])
    assert outsider.emit("history", {"room": "general"}, callback=True)["code"] == "not_in_room"


def test_acknowledgement_carries_id_and_time(full):
    """Acknowledge an accepted message with its server id and timestamp: the sent state."""
    ack = say(full("Alice"), "hello", clientId="c-1")
    message = ack["message"]
    assert ack["ok"] and message["id"] == 1 and message["ts"] > 1_600_000_000_000
    assert message["clientId"] == "c-1"


def test_a_resend_is_acknowledged_with_the_original_and_not_delivered_again(full):
    """Answer a resend of a stored client id with the original; store and deliver nothing."""
    alice, bob = full("Alice"), full("Bob")
    first = say(alice, "hello", clientId="c-1")
    received(alice), received(bob)
    again = say(alice, "hello", clientId="c-1")
    assert again["message"] == first["message"] and again["duplicate"] is True
    assert received(bob) == [] and received(alice) == []
    assert say(alice, "next")["message"]["id"] == 2


def test_a_resend_costs_no_flood_allowance(make_app, full):
    """Check for a duplicate before the flood limit."""
    app = make_app(FLOOD_BURST=1, FLOOD_RATE=0.001)
    alice = full("Alice", target_app=app)
    assert say(alice, "hello", clientId="c-1")["ok"]
    assert say(alice, "hello", clientId="c-1")["ok"]
    assert say(alice, "new", clientId="c-2")["code"] == "rate_limited"


def test_a_refused_message_may_be_sent_again(make_app, full, clock):
    """Remember only accepted messages: a refused client id can be used again."""
    app = make_app(FLOOD_BURST=1, FLOOD_RATE=1.0)
    alice = full("Alice", target_app=app)
    say(alice, "one")
    assert say(alice, "two", clientId="c-2")["code"] == "rate_limited"
    clock.advance(1)
    ack = say(alice, "two", clientId="c-2")
    assert ack["ok"] and "duplicate" not in ack


@pytest.mark.parametrize("client_id", ["", "x" * 65, 42])
def test_bad_client_ids_are_refused(full, client_id):
    """Refuse a client id that is not a short string."""
    assert say(full("Alice"), "hi", clientId=client_id)["code"] == "bad_arguments"


def test_reconnecting_with_last_seen_gets_everything_after_it(full):
    """Send a returning client every message after its last seen id, in order, then live ones."""
    alice = full("Alice")
    for n in range(1, 6):
        say(alice, f"m{n}")
    bob = full("Bob", lastSeen={"general": 2})
    _, _, history = only(bob, "welcome", "presence", "history")
    assert texts(history) == ["m3", "m4", "m5"]
    assert history["after"] == 2 and history["gap"] is False and history["more"] is False


def test_catch_up_comes_in_chunks(full, monkeypatch):
    """Split a long catch-up into several history events, in order."""
    monkeypatch.setattr(rooms, "CATCH_UP_CHUNK", 2)
    alice = full("Alice")
    for n in range(1, 6):
        say(alice, f"m{n}")
    bob = full("Bob", lastSeen={"general": 0})
    _, _, *chunks = only(bob, "welcome", "presence", "history", "history", "history")
    assert [texts(chunk) for chunk in chunks] == [["m1", "m2"], ["m3", "m4"], ["m5"]]
    assert [chunk["more"] for chunk in chunks] == [True, True, False]


def test_catch_up_says_when_retention_dropped_messages(make_app, full):
    """Tell a returning client that messages it missed are gone, and give it what is left."""
    app = make_app(RETENTION_MESSAGES=2)
    alice = full("Alice", target_app=app)
    for n in range(1, 6):
        say(alice, f"m{n}")
    app.extensions["chat"].expiry.retain()
    bob = full("Bob", target_app=app, lastSeen={"general": 1})
    _, _, history = only(bob, "welcome", "presence", "history")
    assert texts(history) == ["m4", "m5"] and history["gap"] is True


def test_joining_with_last_seen(full):
    """Catch up on joining a room, like on connecting."""
    alice = full("Alice")
    alice.emit("create-room", {"room": "games"}, callback=True)
    alice.emit("join-room", {"room": "games"}, callback=True)
    for n in range(1, 4):
        say(alice, f"g{n}", room="games")
    bob = full("Bob")
    received(bob)
    bob.emit("join-room", {"room": "games", "lastSeen": 1}, callback=True)
    _, history = only(bob, "presence", "history")
    assert texts(history) == ["g2", "g3"]


@pytest.mark.parametrize("auth", [{"lastSeen": []}, {"lastSeen": {"general": -1}}, {"lastSeen": {"general": "3"}}])
def test_bad_last_seen_is_refused(socket_client, auth):
    """Refuse a handshake whose lastSeen is not a map of message ids."""
    assert not socket_client(auth={"protocol": 2, **auth}).is_connected()


def test_retention_runs_even_when_the_sweep_fails(make_app, full, monkeypatch):
    """Apply retention on its round of the expiry loop though the sweep before it raised."""
    app = make_app(RETENTION_MESSAGES=2)
    alice = full("Alice", target_app=app)
    for n in range(1, 6):
        say(alice, f"m{n}")
    core = app.extensions["chat"]

    def broken():
        raise RuntimeError("Redis away")

    monkeypatch.setattr(core.expiry, "sweep", broken)
    with app.app_context():
        sweeper.tick(0)
    assert [m.text for m in core.stores.history.after("general", 0, 10)[0]] == ["m4", "m5"]


def test_histories_are_bounded_in_bytes_and_the_rest_comes_by_paging(make_app, full):
    """Send the newest long messages that fit in HISTORY_MAX_BYTES on entering and on catching up; page back for the rest."""
    app = make_app(HISTORY_MAX_BYTES=50_000)
    alice = full("Alice", target_app=app)
    longest = "😀" * 2000  # 24,000 bytes JSON-escaped: two fit
    for _ in range(5):
        assert say(alice, longest)["ok"] is True
    bob = full("Bob", target_app=app)
    _, _, history = only(bob, "welcome", "presence", "history")
    assert [m["id"] for m in history["messages"]] == [4, 5] and history["more"] is True
    carol = full("Carol", target_app=app, lastSeen={"general": 1})
    _, _, caught_up = only(carol, "welcome", "presence", "history")
    assert [m["id"] for m in caught_up["messages"]] == [4, 5] and caught_up["gap"] is True
    page = carol.emit("history", {"room": "general", "before": 4}, callback=True)
    assert [m["id"] for m in page["messages"]] == [2, 3] and page["more"] is True
