"""Direct messages on real servers: one process, and two processes on one Redis with the people spread over both."""

import pytest

from chat.identity import issue_token

SECRET = "live-test-secret-of-thirty-two-bytes"


@pytest.fixture(params=["one process", "two processes on redis"])
def servers(request, live_server):
    """Return two servers to connect to: the same one twice, or two gevent processes sharing a Redis."""

    def start(**settings):
        if request.param == "one process":
            server = live_server("gevent", **settings)
            return server, server
        redis_url = request.getfixturevalue("redis_server").url
        return tuple(live_server("gevent", REDIS_URL=redis_url, **settings) for _ in range(2))

    return start


def full(peer, server, name=None, **auth):
    client = peer(server, auth={"protocol": 2, **({"name": name} if name else {}), **auth})
    client.wait_for("history")
    return client


def test_two_people_chat_in_a_dm_and_a_third_cannot_read_it(servers, peer):
    """Alice opens a DM with Bob and they chat; Carol's join-room, history and send with its id get not_found."""
    a, b = servers()
    alice, bob, carol = full(peer, a, "Alice"), full(peer, b, "Bob"), full(peer, b, "Carol")
    bob_user = bob.received("welcome")[0]["user"]
    opened = alice.send({"person": bob_user["id"]}, event="open-dm")
    assert opened["ok"] and opened["dm"]["with"] == bob_user
    dm = opened["dm"]["id"]
    assert bob.wait_for("dm-opened")[0]["dm"]["id"] == dm
    first = alice.send({"room": dm, "text": "hi Bob"}, event="send-message")["message"]
    second = bob.send({"room": dm, "text": "hi Alice"}, event="send-message")["message"]
    assert (first["id"], second["id"]) == (1, 2)
    for client in (alice, bob):
        assert [m["text"] for m in client.wait_for("room-message", 2)] == ["hi Bob", "hi Alice"]
    assert bob.send({"room": dm, "typing": True}, event="typing") == {"ok": True}
    assert alice.wait_for("typing")[0] == {"room": dm, "user": bob_user, "typing": True}

    for event, payload in (
        ("join-room", {"room": dm, "lastSeen": 0}),
        ("history", {"room": dm}),
        ("send-message", {"room": dm, "text": "let me in"}),
        ("typing", {"room": dm}),
        ("open-dm", {"person": "not-anyone"}),
    ):
        refused = carol.send(payload, event=event)
        assert refused["ok"] is False and refused["code"] == "not_found", (event, refused)
    # Everyone hears this after all of the above: by then Carol would have had any of the DM.
    alice.send({"room": "general", "text": "to everyone"}, event="send-message")
    carol.wait_for("room-message")
    assert [m["room"] for m in carol.received("room-message")] == ["general"]
    assert not carol.received("dm-opened") and not carol.received("typing")
    assert bob.send({"room": dm, "lastSeen": 1}, event="join-room")["ok"]
    assert [m["text"] for m in bob.wait_for("history", 2)[1]["messages"]] == ["hi Alice"]


def test_with_tokens_a_dm_belongs_to_the_two_people_on_every_device(servers, peer):
    """Deliver a DM to each device of both token users, on whichever process, and list it on a new device."""
    a, b = servers(TOKENS=True)
    token = {person: issue_token(SECRET, person, person.title()) for person in ("alice", "bob")}
    alice = full(peer, a, token=token["alice"])
    bob_phone, bob_laptop = full(peer, a, token=token["bob"]), full(peer, b, token=token["bob"])
    bob_seed = peer(a, auth={"token": token["bob"]})  # Bob again, with a client of the original protocol
    dm = alice.send({"person": "bob"}, event="open-dm")["dm"]["id"]
    for device in (bob_phone, bob_laptop):
        assert device.wait_for("dm-opened")[0]["dm"]["with"]["id"] == "alice"
    alice.send({"room": dm, "text": "to both your devices"}, event="send-message")
    for device in (bob_phone, bob_laptop):
        assert [m["text"] for m in device.wait_for("room-message")] == ["to both your devices"]
    alice.send("after the DM")
    assert bob_seed.wait_for("message") == ["after the DM"]
    assert [name for name, _ in bob_seed.events] == ["message"]
    alice_again = full(peer, b, token=token["alice"])
    assert alice_again.send({}, event="list-dms")["dms"] == [
        {"id": dm, "with": {"id": "bob", "name": "Bob", "guest": False}, "lastId": 1}
    ]
