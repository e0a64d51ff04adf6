"""Creation limits, attacked from one address: room squatting, a DM opening flood, a victim pulled into DMs.

Against the production command (gunicorn, gevent) at the default limits; the server trusts one
proxy, so a test speaks from several client addresses with ``X-Forwarded-For``, as clients behind
a reverse proxy do.
"""

from chat.settings import DEFAULTS

ATTACKER, OTHERS = "203.0.113.66", ("198.51.100.1", "198.51.100.2", "198.51.100.3")


def guest(peer, server, address, name=None):
    """Connect a full-protocol guest from ``address``; return it once its room's history came."""
    client = peer(
        server, headers={"X-Forwarded-For": address}, auth={"protocol": 2, **({"name": name} if name else {})}
    )
    client.wait_for("history")
    return client


def me(client):
    """Return the person ``client`` connected as."""
    return client.received("welcome")[0]["user"]


def test_guests_of_one_address_cannot_squat_every_room(live_server, peer):
    """Four guests of one address trying 30 rooms each create ROOMS_CREATED_PER_ADDRESS; someone else still can."""
    server = live_server("gevent", TRUSTED_PROXIES=1)
    squatters = [guest(peer, server, ATTACKER) for _ in range(4)]
    answers = [
        s.send({"room": f"squat-{i}-{n}"}, event="create-room") for i, s in enumerate(squatters) for n in range(30)
    ]
    created = [a for a in answers if a["ok"]]
    assert len(created) == DEFAULTS["ROOMS_CREATED_PER_ADDRESS"]
    refusals = [a for a in answers if not a["ok"]]
    assert {a["code"] for a in refusals} == {"rate_limited"} and all("rooms created" in a["error"] for a in refusals)
    other = guest(peer, server, OTHERS[0])
    assert other.send({"room": "mine"}, event="create-room") == {"ok": True, "room": "mine"}
    assert len(other.send({}, event="list-rooms")["rooms"]) == DEFAULTS["ROOMS_CREATED_PER_ADDRESS"] + 2


def test_one_address_opens_at_most_its_hourly_dms(live_server, peer):
    """Guests of one address opening DMs with many people: DMS_OPENED_PER_ADDRESS open, the rest `rate_limited`."""
    server = live_server("gevent", TRUSTED_PROXIES=1)
    allowed = DEFAULTS["DMS_OPENED_PER_ADDRESS"]
    targets = []
    for n in range(allowed + 10):  # people of two other addresses, within their connection limits
        target = guest(peer, server, OTHERS[n % 2])
        targets.append(me(target))
        target.close()  # gone, but seen within DM_SEEN_SECONDS: a DM may still be opened with them
    openers = [guest(peer, server, ATTACKER) for _ in range(6)]  # each within its flood allowance
    answers = [openers[n % 6].send({"person": t["id"]}, event="open-dm") for n, t in enumerate(targets)]
    assert sum(a["ok"] for a in answers) == allowed
    refusals = [a for a in answers if not a["ok"]]
    assert {a["code"] for a in refusals} == {"rate_limited"} and all("direct messages" in a["error"] for a in refusals)
    reopened = openers[0].send({"person": targets[0]["id"]}, event="open-dm")
    assert reopened["ok"]  # reopening one is not a new DM


def test_a_victim_is_not_pulled_past_dms_per_person(live_server, peer):
    """People of several addresses each open a DM with one victim: DMS_PER_PERSON get in, then `too_many_dms`."""
    server = live_server("gevent", TRUSTED_PROXIES=1, DMS_PER_PERSON=20)
    victim = guest(peer, server, OTHERS[2], "Victim")
    answers = []
    for n in range(25):
        opener = guest(peer, server, OTHERS[n % 2])
        answers.append(opener.send({"person": me(victim)["id"]}, event="open-dm"))
        opener.close()
    assert sum(a["ok"] for a in answers) == 20
    assert [a["error"] for a in answers if not a["ok"]] == ["they are in 20 direct messages, the limit"] * 5
    assert len(victim.send({}, event="list-dms")["dms"]) == 20
