"""The seed contract and its rules, through the Flask-SocketIO test client."""

import pytest

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}


def events(test_client, name=None):
    """Drain what ``test_client`` received; return (name, args) pairs, or the args of ``name``."""
    # The test client unwraps the arguments of an event named "message"; wrap them back.
    received = [
        (item["name"], [item["args"]] if item["name"] == "message" else item["args"])
        for item in test_client.get_received()
    ]
    return received if name is None else [args for event, args in received if event == name]


def test_newcomer_is_not_told_about_itself(socket_client):
    """Tell everyone already connected that a user joined, and the newcomer nothing."""
    first = socket_client()
    second = socket_client()
    third = socket_client()
    assert events(third) == []
    assert events(second) == [("user-joined", [USER_JOINED])]
    assert events(first) == [("user-joined", [USER_JOINED]), ("user-joined", [USER_JOINED])]


def test_leaving_tells_everyone_left(socket_client):
    """Broadcast user-left to every client still connected."""
    stays, also_stays, leaves = socket_client(), socket_client(), socket_client()
    for test_client in (stays, also_stays, leaves):
        events(test_client)
    leaves.disconnect()
    assert events(stays) == [("user-left", [USER_LEFT])]
    assert events(also_stays) == [("user-left", [USER_LEFT])]


@pytest.mark.parametrize("text", ["hello", "  spaces kept  ", "<script>alert(1)</script>", "héllo 😀 世界", "a\nb"])
def test_message_reaches_everyone_as_the_same_bare_string(socket_client, text):
    """Broadcast message with the exact text to everyone, sender included; acknowledge it."""
    sender, other = socket_client(), socket_client()
    events(sender), events(other)
    assert sender.emit("newMessage", text, callback=True) == {"ok": True}
    assert events(sender) == [("message", [text])]
    assert events(other) == [("message", [text])]


def test_message_without_callback_is_broadcast(socket_client):
    """Serve a seed client that passes no callback."""
    sender, other = socket_client(), socket_client()
    events(sender), events(other)
    sender.emit("newMessage", "hi")
    assert events(other) == [("message", ["hi"])]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), "bad_arguments"),
        (("one", "two"), "bad_arguments"),
        ((42,), "not_text"),
        ((True,), "not_text"),
        ((None,), "not_text"),
        (({"text": "hi"},), "not_text"),
        ((["hi"],), "not_text"),
        ((b"\x00\x01",), "not_text"),
        (("",), "empty"),
        ((" \t\n",), "empty"),
        (("x" * 2001,), "too_long"),
    ],
)
def test_bad_input_is_refused_to_the_sender_alone(socket_client, args, code):
    """Answer bad input with an ack and a chat-error to the sender; broadcast nothing."""
    sender, bystander = socket_client(), socket_client()
    events(sender), events(bystander)
    ack = sender.emit("newMessage", *args, callback=True)
    assert ack["ok"] is False and ack["code"] == code and ack["error"]
    assert events(sender) == [("chat-error", [{"event": "newMessage", "error": ack["error"], "code": code}])]
    assert events(bystander) == []
    assert sender.emit("newMessage", "still here", callback=True) == {"ok": True}
    assert events(bystander, "message") == [["still here"]]


def test_length_limit_is_a_setting_counted_in_code_points(make_app, socket_client):
    """Accept exactly MAX_MESSAGE_LENGTH code points and refuse one more."""
    app = make_app(MAX_MESSAGE_LENGTH=5)
    sender = socket_client(app)
    assert sender.emit("newMessage", "😀" * 5, callback=True) == {"ok": True}
    assert sender.emit("newMessage", "😀" * 6, callback=True)["code"] == "too_long"


def test_flood_over_the_burst_is_refused_and_order_kept(make_app, socket_client):
    """Broadcast the burst in order, refuse what is over it with an error to the sender."""
    app = make_app(FLOOD_BURST=3, FLOOD_RATE=0.001)
    sender, other = socket_client(app), socket_client(app)
    events(sender), events(other)
    acks = [sender.emit("newMessage", f"m{i}", callback=True) for i in range(4)]
    assert acks[:3] == [{"ok": True}] * 3
    assert acks[3]["ok"] is False and acks[3]["code"] == "rate_limited"
    assert events(other) == [("message", ["m0"]), ("message", ["m1"]), ("message", ["m2"])]
    assert events(sender, "chat-error")[0][0]["code"] == "rate_limited"


def test_reconnecting_does_not_reset_the_flood_allowance(make_app, socket_client):
    """Keep a used allowance across a disconnect and reconnect from the same address."""
    app = make_app(FLOOD_BURST=2, FLOOD_RATE=0.001)
    sender = socket_client(app)
    for i in range(2):
        assert sender.emit("newMessage", f"m{i}", callback=True) == {"ok": True}
    sender.disconnect()
    again = socket_client(app)
    assert again.emit("newMessage", "m2", callback=True)["code"] == "rate_limited"


def test_flood_control_can_be_turned_off(make_app, socket_client):
    """Accept any number of messages when FLOOD_BURST is 0."""
    app = make_app(FLOOD_BURST=0)
    sender = socket_client(app)
    assert all(sender.emit("newMessage", f"m{i}", callback=True) == {"ok": True} for i in range(100))


def test_a_socketio_connect_is_not_counted_by_the_connection_limit(make_app, socket_client):
    """Leave the per-address limit to the Engine.IO handshake (tests/live/test_sessions.py): a Socket.IO connect is not counted again."""
    app = make_app(CONNECTIONS_PER_MINUTE=2)
    clients = [socket_client(app) for _ in range(3)]  # the test client makes no Engine.IO handshake
    assert all(client.is_connected() for client in clients)
    assert clients[2].emit("newMessage", "still chatting", callback=True) == {"ok": True}


def test_unknown_event_is_ignored(socket_client, caplog):
    """Log an unknown event, send nothing to anyone, keep serving the sender."""
    sender, other = socket_client(), socket_client()
    events(sender), events(other)
    caplog.set_level("INFO", logger="chat")
    ack = sender.emit("no-such-event", {"x": 1}, callback=True)
    assert ack["ok"] is False and ack["code"] == "unknown_event"
    assert events(sender) == [] and events(other) == []
    assert "no-such-event" in caplog.text
    assert sender.emit("newMessage", "hi", callback=True) == {"ok": True}


def test_unexpected_error_is_refused_and_server_keeps_serving(app, socket_client, monkeypatch):
    """Answer a handler crash with an internal error ack; the next message works."""
    sender, other = socket_client(), socket_client()
    events(sender), events(other)
    state = app.extensions["chat"]
    monkeypatch.setattr(state.stores.flood, "take", lambda sid: 1 / 0)
    assert sender.emit("newMessage", "boom", callback=True) == {
        "ok": False,
        "error": "internal server error",
        "code": "internal",
    }
    assert events(other) == []
    monkeypatch.undo()
    assert sender.emit("newMessage", "fine", callback=True) == {"ok": True}
    assert events(other) == [("message", ["fine"])]
