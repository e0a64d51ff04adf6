"""Direct messages through the Flask-SocketIO test client: opening, delivery, access, refusals."""

import pytest

from support.clients import received


def user_of(client):
    """Return the person a full-protocol client was welcomed as."""
    [welcome] = [payload for name, payload in received(client) if name == "welcome"]
    return welcome["user"]


@pytest.fixture
def three(full):
    """Return Alice, Bob and Carol, three full-protocol clients, their queues drained, and their people."""
    clients = [full(name) for name in ("Alice", "Bob", "Carol")]
    people = [user_of(client) for client in clients]
    for client in clients:
        received(client)
    return clients, people


def open_dm(client, person):
    return client.emit("open-dm", {"person": person["id"]}, callback=True)


def test_open_dm_tells_the_other_and_both_receive_its_messages(three):
    """Open a DM: the other is told; its messages reach both people, never a third."""
    (alice, bob, carol), (a, b, c) = three
    ack = open_dm(alice, b)
    assert ack["ok"] and ack["dm"]["with"] == b and ack["dm"]["id"].startswith("dm:")
    dm = ack["dm"]["id"]
    assert received(bob) == [("dm-opened", {"dm": {"id": dm, "with": a}})]
    assert received(alice) == [] and received(carol) == []
    sent = alice.emit("send-message", {"room": dm, "text": "hi Bob"}, callback=True)
    assert sent["ok"] and sent["message"]["id"] == 1 and sent["message"]["room"] == dm
    assert received(bob) == [("room-message", sent["message"])]
    assert received(alice) == [("room-message", sent["message"])]
    assert received(carol) == []


def test_the_same_two_people_get_the_same_dm_whoever_opens_it(three):
    """Name a DM by its two people alone: Bob opening it finds Alice's, and nobody is told twice."""
    (alice, bob, _), (a, b, c) = three
    first = open_dm(alice, b)["dm"]["id"]
    received(bob)
    assert open_dm(bob, a)["dm"] == {"id": first, "with": a}
    assert received(alice) == []
    assert open_dm(alice, c)["dm"]["id"] != first


def test_a_third_person_gets_not_found_for_everything_about_a_dm(three):
    """Refuse Carol every request about Alice and Bob's DM exactly as for one that does not exist."""
    (alice, bob, carol), (a, b, c) = three
    dm = open_dm(alice, b)["dm"]["id"]
    alice.emit("send-message", {"room": dm, "text": "secret", "clientId": "c1"}, callback=True)
    received(carol)
    nowhere = "dm:" + "0" * 24
    for room in (dm, nowhere):
        for event, payload in (
            ("send-message", {"room": room, "text": "x"}),
            ("send-message", {"room": room, "text": "x", "clientId": "c1"}),
            ("history", {"room": room}),
            ("typing", {"room": room}),
            ("join-room", {"room": room, "lastSeen": 0}),
            ("leave-room", {"room": room}),
        ):
            ack = carol.emit(event, payload, callback=True)
            assert ack["ok"] is False and ack["code"] == "not_found", (event, ack)
            assert ack["error"] == f"there is no conversation {room!r} of yours"
    assert all(name == "chat-error" for name, _ in received(carol))
    assert [name for name, _ in received(bob) if name != "room-message"] == ["dm-opened"]


def test_a_dm_has_history_catch_up_typing_and_idempotent_sends(three):
    """Give a DM what a room has: history on join, catch-up after lastSeen, typing, resends acknowledged once."""
    (alice, bob, carol), (a, b, c) = three
    dm = open_dm(alice, b)["dm"]["id"]
    for text in ("one", "two", "three"):
        alice.emit("send-message", {"room": dm, "text": text, "clientId": text}, callback=True)
    again = alice.emit("send-message", {"room": dm, "text": "one", "clientId": "one"}, callback=True)
    assert again["duplicate"] and again["message"]["id"] == 1
    received(bob), received(alice)
    assert bob.emit("join-room", {"room": dm, "lastSeen": 1}, callback=True) == {"ok": True, "room": dm}
    [(event, history)] = received(bob)
    assert event == "history" and [m["text"] for m in history["messages"]] == ["two", "three"]
    assert history["after"] == 1 and not history["gap"]
    page = bob.emit("history", {"room": dm, "before": 3}, callback=True)
    assert [m["text"] for m in page["messages"]] == ["one", "two"]
    assert bob.emit("typing", {"room": dm}, callback=True) == {"ok": True}
    assert received(alice) == [("typing", {"room": dm, "user": b, "typing": True})]
    assert received(carol) == [] and received(bob) == []


def test_list_dms_restores_a_persons_dms_and_list_rooms_never_shows_them(three, full):
    """List a person's DMs with the other person and the last id; keep DMs out of list-rooms."""
    (alice, bob, _), (a, b, c) = three
    dm = open_dm(alice, b)["dm"]["id"]
    alice.emit("send-message", {"room": dm, "text": "x"}, callback=True)
    assert bob.emit("list-dms", {}, callback=True) == {"ok": True, "dms": [{"id": dm, "with": a, "lastId": 1}]}
    assert alice.emit("list-dms", callback=True)["dms"] == [{"id": dm, "with": b, "lastId": 1}]
    rooms = alice.emit("list-rooms", {}, callback=True)["rooms"]
    assert [room["name"] for room in rooms] == ["general"]


def test_a_dm_in_the_handshake_gives_its_catch_up(three, full, app):
    """Accept a DM id in the handshake's rooms and lastSeen, beside ROOMS_PER_CONNECTION's rooms."""
    (alice, bob, _), (a, b, c) = three
    dm = open_dm(alice, b)["dm"]["id"]
    alice.emit("send-message", {"room": dm, "text": "while away"}, callback=True)
    alice.disconnect()  # a guest comes back as itself, from its credential, once its tab has gone
    alice_again = full(rooms=["general", dm], lastSeen={dm: 0}, guest=_credential(app, a))
    histories = [p for name, p in received(alice_again) if name == "history"]
    assert [h["room"] for h in histories] == [dm, "general"]  # the DMs' histories first, with their audience
    assert [m["text"] for m in histories[0]["messages"]] == ["while away"]
    assert histories[0]["after"] == 0


def test_a_handshake_names_at_most_rooms_per_connection_dms(make_app, full):
    """Refuse a handshake naming more DMs than ROOMS_PER_CONNECTION, and not count them as rooms."""
    app = make_app(ROOMS_PER_CONNECTION=2)
    dms = ["dm:" + str(n) * 24 for n in range(3)]
    assert not full(rooms=dms, target_app=app).is_connected()
    carol = full(rooms=["general"] + dms[:2], target_app=app)
    errors = [p for name, p in received(carol) if name == "chat-error"]
    assert [(e["room"], e["code"]) for e in errors] == [(dms[0], "not_found"), (dms[1], "not_found")]


def _credential(app, person):
    return app.extensions["chat"].guests.issue(person["id"])


def test_someone_seen_recently_can_be_written_to_and_then_not(three, full, make_app, clock):
    """Open a DM with a person gone within DM_SEEN_SECONDS; refuse it after, as for nobody."""
    (alice, bob, carol), (a, b, c) = three
    bob.disconnect()
    carol.disconnect()
    clock.advance(600)
    assert open_dm(alice, b)["ok"]
    clock.advance(1)
    refused = open_dm(alice, c)
    assert refused["code"] == "not_found" and refused["error"] == "there is nobody with that id online or seen recently"
    assert open_dm(alice, b)["ok"]  # a DM that exists can be reopened whenever


@pytest.mark.parametrize(
    "payload, code",
    [
        ({}, "bad_arguments"),
        ({"person": 7}, "bad_arguments"),
        ({"person": ""}, "bad_arguments"),
        ({"person": "x" * 257}, "bad_arguments"),
        ({"person": "nobody"}, "not_found"),
    ],
)
def test_open_dm_refuses_bad_payloads(full, payload, code):
    """Refuse open-dm without a person's id, or with one nobody online has, to the sender alone."""
    alice = full("Alice")
    received(alice)
    ack = alice.emit("open-dm", payload, callback=True)
    assert ack["ok"] is False and ack["code"] == code
    assert [name for name, _ in received(alice)] == ["chat-error"]


def test_open_dm_refuses_oneself_a_list_and_the_limit(three, make_app, full):
    """Refuse a DM with oneself, a non-object payload, and one over DMS_PER_PERSON."""
    (alice, bob, carol), (a, b, c) = three
    assert open_dm(alice, a)["code"] == "bad_arguments"
    assert alice.emit("open-dm", ["x"], callback=True)["code"] == "bad_arguments"
    assert alice.emit("list-dms", "x", callback=True)["code"] == "bad_arguments"


def test_dms_per_person_bounds_the_dms_one_person_is_in(make_app, full):
    """Refuse a DMS_PER_PERSON + 1st DM to the opener and to the person it is with; never a reopened one."""
    app = make_app(DMS_PER_PERSON=1)
    alice, bob, carol = (full(name, target_app=app) for name in ("Alice", "Bob", "Carol"))
    a, b, c = (user_of(client) for client in (alice, bob, carol))
    assert open_dm(alice, b)["ok"]
    assert open_dm(alice, b)["ok"]
    refused = open_dm(alice, c)
    assert refused["code"] == "too_many_dms" and refused["error"] == "you have 1 direct messages, the limit"
    pulled = open_dm(carol, a)
    assert pulled["code"] == "too_many_dms" and pulled["error"] == "they are in 1 direct messages, the limit"
    assert open_dm(bob, a)["ok"]


def test_seed_clients_never_see_a_dm(three, socket_client):
    """Keep DMs from clients of the original protocol."""
    (alice, bob, _), (a, b, c) = three
    seed = socket_client()
    received(seed)
    dm = open_dm(alice, b)["dm"]["id"]
    alice.emit("send-message", {"room": dm, "text": "x"}, callback=True)
    assert received(seed) == []
    assert seed.emit("open-dm", {"person": a["id"]}, callback=True)["code"] == "unknown_event"


def test_the_event_length_bound_admits_a_handshake_full_of_dms():
    """Keep MAX_EVENT_LENGTH's derived bound above a handshake of every room and as many DMs, escaped at worst.

    The bound counts room names at 12 characters a code point (an escaped emoji); being ASCII,
    they take 6 at most, and that share holds as many DM ids as rooms besides.
    """
    from chat import settings

    config = {**settings.DEFAULTS, "MAX_MESSAGE_LENGTH": 1, "ROOMS_PER_CONNECTION": 40}

    def worst(text):
        return '"' + "".join(f"\\u{ord(c):04x}" for c in text) + '"'

    rooms = [f"r{n:031d}" for n in range(40)] + [f"dm:{n:024x}" for n in range(40)]
    last_seen = ",".join(f"{worst(room)}:{2**53 - 1}" for room in rooms)
    auth = (
        f'{{"protocol":2,"name":{worst("x" * 32)},"rooms":[{",".join(worst(r) for r in rooms)}],'
        f'"lastSeen":{{{last_seen}}},"token":"{"t" * 4096}"}}'
    )
    assert len("0" + auth) <= settings.longest_packet(config)


def test_typing_in_a_dm_ends_for_the_other_when_it_runs_out(three, app, clock):
    """Tell the other person when a DM typing state expires, as in a room."""
    from chat import sweeper

    (alice, bob, carol), (a, b, c) = three
    dm = open_dm(alice, b)["dm"]["id"]
    received(bob)
    alice.emit("typing", {"room": dm}, callback=True)
    assert received(bob) == [("typing", {"room": dm, "user": a, "typing": True})]
    clock.advance(app.config["TYPING_TIMEOUT"] + 1)
    with app.app_context():
        sweeper.sweep()
    assert received(bob) == [("typing", {"room": dm, "user": a, "typing": False})]
    assert received(carol) == []


def test_when_a_guest_is_gone_for_good_the_other_keeps_the_dm(three, clock):
    """Keep a DM, its history and its list entry for the other person after the guest's tab is gone."""
    (alice, bob, _), (a, b, c) = three
    dm = open_dm(alice, b)["dm"]["id"]
    alice.emit("send-message", {"room": dm, "text": "before I go"}, callback=True)
    alice.disconnect()
    clock.advance(10_000)
    assert bob.emit("list-dms", callback=True)["dms"] == [{"id": dm, "with": a, "lastId": 1}]
    page = bob.emit("history", {"room": dm}, callback=True)
    assert [m["text"] for m in page["messages"]] == ["before I go"]
    assert bob.emit("send-message", {"room": dm, "text": "still here"}, callback=True)["ok"]


@pytest.mark.parametrize(
    "setting, value",
    [("DMS_PER_PERSON", 0), ("DMS_PER_PERSON", "many"), ("DM_SEEN_SECONDS", -1), ("DM_SEEN_SECONDS", "soon")],
)
def test_bad_dm_settings_stop_the_start(make_app, setting, value):
    """Refuse to start with a DM limit that makes no sense, naming the setting."""
    with pytest.raises(ValueError, match=f"CHAT_{setting}"):
        make_app(**{setting: value})


def test_a_refused_send_to_a_dm_costs_flood_allowance(make_app, full):
    """Charge a send to someone else's DM as a send, so guessing at DMs is rate limited like any flood."""
    app = make_app(FLOOD_BURST=2)
    carol = full("Carol", target_app=app)
    nowhere = "dm:" + "0" * 24
    codes = [
        carol.emit("send-message", {"room": nowhere, "text": "x", "clientId": f"c{n}"}, callback=True)["code"]
        for n in range(3)
    ]
    assert codes == ["not_found", "not_found", "rate_limited"]
