"""Edits, reactions and read markers in a direct message on two real processes sharing one Redis."""


def full(peer, server, name):
    client = peer(server, auth={"protocol": 2, "name": name})
    client.wait_for("history")
    return client


def test_an_edit_a_reaction_and_a_receipt_in_a_dm_reach_the_other_person_on_the_other_process(
    live_server, redis_server, peer
):
    """Alice on one process, Bob on the other: each hears the other's changes to their DM; Carol hears none."""
    a, b = (live_server("gevent", REDIS_URL=redis_server.url) for _ in range(2))
    alice, bob, carol = full(peer, a, "Alice"), full(peer, b, "Bob"), full(peer, b, "Carol")
    bob_user = bob.received("welcome")[0]["user"]
    dm = alice.send({"person": bob_user["id"]}, event="open-dm")["dm"]["id"]
    alice.send({"room": dm, "text": "helo"}, event="send-message")
    bob.wait_for("room-message")

    edit = alice.send({"room": dm, "id": 1, "text": "hello"}, event="edit-message")
    assert edit["ok"] and edit["change"] == 1
    [edited] = bob.wait_for("message-edited")
    assert edited == {key: edit[key] for key in ("room", "id", "text", "editedAt", "change")}
    reaction = bob.send({"room": dm, "id": 1, "emoji": "👍"}, event="react")
    assert reaction["ok"] and reaction["change"] == 2
    [reacted] = alice.wait_for("reaction")
    assert reacted == {"room": dm, "id": 1, "emoji": "👍", "count": 1, "users": [bob_user["id"]], "change": 2}
    assert bob.send({"room": dm, "id": 1}, event="mark-read")["moved"] is True
    assert alice.wait_for("receipt") == [{"room": dm, "id": 1, "by": bob_user}]

    refused = carol.send({"room": dm, "id": 1, "emoji": "👍"}, event="react")
    assert refused["ok"] is False and refused["code"] == "not_found"
    # Everyone hears this after all of the above: by then Carol would have had any of the DM's changes.
    alice.send({"room": "general", "text": "to everyone"}, event="send-message")
    carol.wait_for("room-message")
    assert not carol.received("message-edited") and not carol.received("reaction") and not carol.received("receipt")
    assert [m["text"] for m in bob.send({"room": dm}, event="history")["messages"]] == ["hello"]
