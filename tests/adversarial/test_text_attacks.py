"""Text as an attacker sends it: look-alike names, invisible characters, lone surrogates and NUL, odd HTTP bodies.

Through real clients against a real server, on both SQL backends (PostgreSQL refuses U+0000
in text; UTF-8 cannot encode a lone surrogate): each attack gets a clear code, nothing of it
reaches anyone else, and the server logs no traceback. Message text alone is kept exactly as
sent, whatever it holds.
"""

import jwt
import pytest
import requests

from chat.identity import issue_token
from support import TIMEOUT
from support.clients import connect_error

SECRET = "live-test-secret-of-thirty-two-bytes"  # support.servers.LiveServer's SECRET_KEY
ODD = {"lone surrogate": "\ud800", "NUL": "\x00"}
INVISIBLE = ["\u034f", "\ufe0f", "\u180b", "\u17b4", "\u115f", "\u3164"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request):
    """Return the settings of a server's history: a SQLite file (the default) or a PostgreSQL database."""
    return {} if request.param == "sqlite" else {"DATABASE_URL": request.getfixturevalue("postgres").database()}


def guest(peer, server, name=None, **auth):
    """Connect a full-protocol guest (named ``name``) and wait for its history; return it."""
    client = peer(server, auth={"protocol": 2, **({"name": name} if name else {}), **auth})
    client.wait_for("history")
    return client


def signed(peer, server, sub, name):
    """Connect ``sub`` with a token and wait for its history; return it."""
    client = peer(server, auth={"protocol": 2, "token": issue_token(SECRET, sub, name)})
    client.wait_for("history")
    return client


def no_traceback(server):
    """Assert the server logged no traceback and answered nothing ``internal``."""
    log = server.log()
    assert "Traceback" not in log and "internal" not in log, log[-3000:]


def test_a_look_alike_of_an_online_name_is_that_name(live_server, peer):
    """Number Cyrillic "Аlice" and Greek "ΑLICE" when Alice is online, on connecting and on renaming."""
    server = live_server("production")
    alice = guest(peer, server, "Alice")
    cyrillic = guest(peer, server, "\u0410lice")
    assert cyrillic.received("welcome")[0]["user"]["name"] == "\u0410lice 2"
    greek = guest(peer, server, "Bob")
    assert greek.send({"name": "\u0391LICE"}, event="rename")["user"]["name"] == "\u0391LICE 3"
    joined = [event["user"]["name"] for event in alice.wait_for("member-joined", 2)]
    assert joined == ["\u0410lice 2", "Bob"]
    no_traceback(server)


@pytest.mark.parametrize("invisible", INVISIBLE, ids=lambda char: f"U+{ord(char):04X}")
def test_a_name_with_an_invisible_character_is_refused(live_server, peer, invisible):
    """Refuse "Alice" plus an invisible character, connecting or renaming, with bad_name; Alice is not doubled."""
    server = live_server("production")
    alice = guest(peer, server, "Alice")
    assert connect_error(server, {"protocol": 2, "name": f"Alice{invisible}"})["code"] == "bad_name"
    refused = alice.send({"name": f"Al{invisible}ice"}, event="rename")
    assert refused["code"] == "bad_name" and "does not show" in refused["error"]
    no_traceback(server)


@pytest.mark.parametrize("odd", ODD.values(), ids=ODD.keys())
def test_every_field_but_message_text_refuses_lone_surrogates_and_nul(live_server, peer, backend, odd):
    """Refuse the odd character in every non-message field with a clear code; keep it in message text exactly."""
    server = live_server("production", **backend)
    mallory, bob = guest(peer, server, "Mallory"), guest(peer, server, "Bob")
    sent = mallory.send({"room": "general", "text": "hello"}, event="send-message")["message"]
    attacks = [
        ("send-message", {"room": "general", "text": "hi", "clientId": f"c{odd}"}, "bad_text"),
        ("send-message", {"room": "general", "text": "hi", "mentions": [f"p{odd}"]}, "bad_text"),
        ("react", {"room": "general", "id": sent["id"], "emoji": f"x{odd}"}, "bad_emoji"),
        ("open-dm", {"person": f"p{odd}"}, "bad_text"),
        ("rename", {"name": f"M{odd}"}, "bad_name"),
        ("join-room", {"room": f"r{odd}"}, "bad_room"),
        ("create-room", {"room": f"r{odd}"}, "bad_room"),
        ("history", {"room": f"dm:{odd}"}, "bad_room"),
    ]
    for event, payload, code in attacks:
        assert mallory.send(payload, event=event)["code"] == code, (event, payload)
    assert connect_error(server, {"protocol": 2, "guest": f"x{odd}"})["code"] == "bad_handshake"
    assert connect_error(server, {"protocol": 2, "name": f"N{odd}"})["code"] == "bad_name"
    # Message text is kept exactly as sent, the odd character included, and comes back so.
    kept = mallory.send({"room": "general", "text": f"a{odd}b"}, event="send-message")["message"]
    assert kept["text"] == f"a{odd}b"
    assert [message["text"] for message in bob.wait_for("room-message", 2)] == ["hello", f"a{odd}b"]
    assert bob.received("reactions") == [] and len(bob.received("room-message")) == 2
    no_traceback(server)


@pytest.mark.parametrize("odd", ODD.values(), ids=ODD.keys())
def test_signed_fields_refuse_lone_surrogates_and_nul(live_server, peer, backend, odd):
    """Refuse the odd character in a token, a token's sub, a moderated person and a reason, clearly."""
    server = live_server("production", TOKENS=True, **backend)
    owner = signed(peer, server, "owner", "Owner")
    assert owner.send({"room": "team"}, event="create-room")["ok"]
    assert owner.send({"room": "team"}, event="join-room")["ok"]
    for event in ("ban", "mute"):
        bad_person = {"room": "team", "person": f"p{odd}", "seconds": 60}
        assert owner.send(bad_person, event=event)["code"] == "bad_text"
        bad_reason = {"room": "team", "person": "someone", "seconds": 60, "reason": f"r{odd}"}
        assert owner.send(bad_reason, event=event)["code"] == "bad_text"
    assert owner.send({"room": "team", "person": f"p{odd}"}, event="unban")["code"] == "bad_text"
    assert connect_error(server, {"protocol": 2, "token": f"eyJ{odd}.e30.x"})["code"] == "bad_token"
    forged = jwt.encode({"sub": f"u{odd}", "name": "Eve", "exp": 2**40}, SECRET, algorithm="HS256")
    assert connect_error(server, {"protocol": 2, "token": forged})["code"] == "bad_token"
    no_traceback(server)


BODIES = {
    "an array": b"[]",
    "an array of one": b'[{"name": "Eve"}]',
    "a number": b"5",
    "a string": b'"Eve"',
    "null": b"null",
    "a boolean": b"true",
    "a nested name": b'{"name": {"first": "Eve"}}',
    "a list name": b'{"name": ["Eve"]}',
    "a lone surrogate": b'{"name": "Eve\\ud800"}',
    "NUL": b'{"name": "Eve\\u0000"}',
    "an invisible name": b'{"name": "Eve\\u3164"}',
    "not JSON": b"{name: Eve",
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "nested within the size limit": b"[" * 2000 + b"]" * 2000,
}


def test_odd_bodies_to_the_token_route_get_a_clear_refusal(live_server):
    """Answer every body /token cannot use with a JSON refusal (400, or 413 past its size), never a 500."""
    server = live_server("production", TOKENS=True, DEMO_TOKENS=True)
    url = server.url + "/token"
    assert requests.post(url, json={"name": "Eve"}, timeout=TIMEOUT).json()["ok"]
    for kind, body in BODIES.items():
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
        assert response.status_code in (400, 413), (kind, response.status_code)
        assert response.json()["ok"] is False and response.json()["code"], kind
    huge = requests.post(url, json={"name": "x" * 1_000_000}, timeout=TIMEOUT)
    assert (huge.status_code, huge.json()["code"]) == (413, "too_long")
    no_traceback(server)


def test_message_text_crosses_processes_exactly(live_server, peer, redis_server):
    """Deliver a message holding a lone surrogate and NUL, sent to one process, exactly to a client of another."""
    a, b = (live_server("production", REDIS_URL=redis_server.url) for _ in range(2))
    sender, reader = guest(peer, a, "Sender"), guest(peer, b, "Reader")
    text = "a\ud800b\x00c\udfff"
    assert sender.send({"room": "general", "text": text}, event="send-message")["message"]["text"] == text
    assert reader.wait_for("room-message")[0]["text"] == text
    assert reader.send({"room": "general"}, event="history")["messages"][-1]["text"] == text
    for server in (a, b):
        no_traceback(server)


@pytest.mark.parametrize("odd", ODD.values(), ids=ODD.keys())
def test_an_event_name_holding_odd_characters_is_unknown(live_server, peer, odd):
    """Answer an event whose name holds a lone surrogate or NUL unknown_event, as any unknown event."""
    server = live_server("production")
    mallory, bob = guest(peer, server, "Mallory"), guest(peer, server, "Bob")
    assert mallory.send({"room": "general", "text": "hi"}, event=f"send-message{odd}")["code"] == "unknown_event"
    assert bob.received("room-message") == []
    no_traceback(server)
