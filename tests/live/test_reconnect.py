"""No loss across restarts and network cuts, against real server processes."""

import pytest

from support import TIMEOUT


def seen(client, room="general"):
    """Return the messages ``client`` has of ``room``, live and from history, in the order received."""
    messages = []
    for event, payload in list(client.events):
        if event == "room-message" and payload["room"] == room:
            messages.append(payload)
        elif event == "history" and payload["room"] == room:
            messages.extend(payload["messages"])
    return messages


def catching_up(client_box, name):
    """Return a handshake auth callable that asks for what the client missed."""

    def auth():
        auth = {"protocol": 2, "name": name}
        if client_box:
            last = seen(client_box[0])
            if last:
                auth["lastSeen"] = {"general": last[-1]["id"]}
        return auth

    return auth


def wait_for_messages(client, count):
    with client._changed:
        assert client._changed.wait_for(lambda: len(seen(client)) >= count, TIMEOUT), seen(client)
    return seen(client)


@pytest.mark.parametrize("kind", ["flask", "gevent"])
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_cut_connection_catches_up_with_every_message_once(live_server, peer, proxy, kind, transport):
    """Cut a client's connection for real while others send; after it reconnects it has every message once, in order."""
    server = live_server(kind)
    relay = proxy(server)
    alice = peer(server, auth={"protocol": 2, "name": "Alice"})
    box = []
    bob = peer(
        relay,
        transport,
        auth=catching_up(box, "Bob"),
        reconnection=True,
        reconnection_delay=0.1,
        reconnection_delay_max=0.5,
    )
    box.append(bob)
    for n in range(1, 6):
        alice.send({"room": "general", "text": f"m{n}"}, event="send-message")
    wait_for_messages(bob, 5)

    relay.cut()
    bob.wait_for("disconnect")
    for n in range(6, 16):
        alice.send({"room": "general", "text": f"m{n}"}, event="send-message")
    relay.restore()
    bob.wait_for("history", 2)
    for n in range(16, 21):
        alice.send({"room": "general", "text": f"m{n}"}, event="send-message")

    messages = wait_for_messages(bob, 20)
    assert [m["text"] for m in messages] == [f"m{n}" for n in range(1, 21)]
    assert [m["id"] for m in messages] == list(range(1, 21))


@pytest.mark.parametrize("kind", ["flask", "gevent"])
def test_a_restart_loses_no_acknowledged_message(live_server, peer, kind):
    """Keep every acknowledged message across a kill -9 and a restart of the server."""
    server = live_server(kind)
    alice = peer(server, auth={"protocol": 2, "name": "Alice"})
    acks = [alice.send({"room": "general", "text": f"m{n}"}, event="send-message") for n in range(1, 21)]
    assert all(ack["ok"] for ack in acks)
    assert alice.send({"room": "history-kept"}, event="create-room")["ok"]
    server.stop(kill=True)
    alice.wait_for("disconnect")
    server.start()
    bob = peer(server, auth={"protocol": 2, "name": "Bob", "lastSeen": {"general": 0}})
    history = bob.wait_for("history")[0]
    assert [m["text"] for m in history["messages"]] == [f"m{n}" for n in range(1, 21)]
    assert history["messages"] == [ack["message"] for ack in acks]
    assert bob.wait_for("welcome")[0]["rooms"] == ["general", "history-kept"]
    assert bob.send({"room": "general", "text": "after"}, event="send-message")["message"]["id"] == 21
