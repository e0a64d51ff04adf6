"""The seed contract, held for the real socket.io JavaScript client (4.8.4) on every transport.

Each test starts the app as a real server process, runs tests/js/seed_clients.js with a
scenario (socket.io-client sockets in Node) and checks everything those sockets received.
The Node packages come from tests/js/package-lock.json: scripts/test.sh installs them.
"""

import json
import shutil
import subprocess
from collections import Counter

import pytest

from chat.settings import flood_allowance_bytes
from support import ROOT

JS_DIR = ROOT / "tests" / "js"
SCRIPT = JS_DIR / "seed_clients.js"
CLIENT_VERSION = json.loads((JS_DIR / "package.json").read_text())["dependencies"]["socket.io-client"]
RUN_TIMEOUT_MS = 20_000  # bound on one scenario run; the script ends itself after it

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}

TRANSPORTS = {"websocket": ["websocket"], "polling": ["polling"], "default": None}
every_transport = pytest.mark.parametrize("transport", list(TRANSPORTS))


@pytest.fixture(scope="module", autouse=True)
def js_client():
    """Fail (not skip) every test here when Node or the installed JS client is missing."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: these tests run the socket.io JavaScript client in Node 20")
    installed = JS_DIR / "node_modules" / "socket.io-client" / "package.json"
    if not installed.exists():
        pytest.fail(f"{installed.parent} is missing: run scripts/test.sh (it runs `npm ci` in tests/js)")
    version = json.loads(installed.read_text())["version"]
    if version != CLIENT_VERSION:
        pytest.fail(
            f"tests/js/node_modules has socket.io-client {version}, not {CLIENT_VERSION}: "
            "run scripts/test.sh to reinstall from the lock file"
        )


def run_clients(server, transport, clients, steps, auth=None):
    """Run the scenario with Node; return one Seen per client, failing with the server log on a timeout.

    ``auth`` lists each client's handshake auth (None: none); see seed_clients.js for its "sign".
    """
    scenario = {
        "url": server.url,
        "transports": TRANSPORTS[transport],
        "clients": clients,
        "timeoutMs": RUN_TIMEOUT_MS,
        "steps": steps,
        "auth": auth,
    }
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(scenario),
        capture_output=True,
        text=True,
        cwd=JS_DIR,
        timeout=RUN_TIMEOUT_MS / 1000 + 15,
    )
    try:
        result = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"seed_clients.js exited with {done.returncode} and no result:\n{done.stderr}")
    if not result["ok"]:
        seen = [f"client {c['id']}: {Counter(e['event'] for e in c['events'])}" for c in result["clients"]]
        pytest.fail(
            f"seed_clients.js: {result['error']}\n" + "\n".join(seen) + f"\nserver log (tail):\n{server.log()[-3000:]}"
        )
    return [Seen(c) for c in result["clients"]]


class Seen:
    """What one JS client received, in order."""

    def __init__(self, record):
        self.events = [(e["event"], e["args"]) for e in record["events"]]
        self.acks = record["acks"]
        self.posts = record["posts"]

    def args(self, event):
        """Return the argument lists of every ``event`` received, in order."""
        return [args for name, args in self.events if name == event]

    def messages(self):
        """Return the ``message`` payloads, checking that each is one bare string."""
        for args in self.args("message"):
            assert len(args) == 1 and isinstance(args[0], str), f"message is not one bare string: {args!r}"
        return [args[0] for args in self.args("message")]

    def disconnects(self):
        return [args[0] for args in self.args("disconnect")]


def emits(client, texts, ack=False, event="newMessage"):
    return [{"client": client, "event": event, "args": [text], "ack": ack} for text in texts]


def wait(clients, event, count):
    return {"wait": {"clients": list(clients), "event": event, "count": count}}


def wait_acks(clients, count):
    return {"wait": {"clients": list(clients), "acks": count}}


def assert_sender_order(received, sent_by):
    """Every sender's messages appear in ``received`` exactly once each, in the order sent."""
    assert Counter(received) == Counter(text for texts in sent_by.values() for text in texts)
    sender = {text: who for who, texts in sent_by.items() for text in texts}
    for who, texts in sent_by.items():
        assert [text for text in received if sender[text] == who] == texts, f"sender {who} out of order"


# ---------------------------------------------------------------------------
# a) the contract


def contract_texts(i):
    """Messages that must come back byte for byte: unicode, emoji, whitespace, HTML, JSON look-alikes."""
    return [
        f"hello from {i}",
        f"  padded {i}\t\n ",
        f"héllo wörld 👋🏽 {i} — 中文 ✓ \u200b",
        f"control \u0001 and \u007f {i}",  # JSON.stringify escapes \u0001
        f"<script>alert({i})</script> &amp; <b>bold</b> &lt;",
        f"\"quoted\" 'single' \\ back{i} %s {{}}",
        f'{{"message": "not an object {i}"}}',
        str(i) * 3,
    ]


@every_transport
def test_contract_joined_messages_left(live_server, transport):
    server = live_server()
    n = 4
    sent_by = {i: contract_texts(i) for i in range(n)}
    per_client = len(sent_by[0])
    gone, others = 1, [0, 2, 3]
    seen = run_clients(
        server,
        transport,
        n,
        [
            {"connect": list(range(n))},  # one after another
            {"emit": [e for i in range(n) for e in emits(i, sent_by[i], ack=True)]},
            wait(range(n), "message", n * per_client),
            wait_acks(range(n), per_client),
            {"disconnect": [gone]},
            wait(others, "user-left", 1),
            # A barrier: anything the server sent before this message arrives before it.
            {"emit": emits(0, ["barrier"])},
            wait(others, "message", n * per_client + 1),
        ],
    )

    for i, client in enumerate(seen):
        # Client i hears of each later client exactly once, and never of itself.
        assert client.args("user-joined") == [[USER_JOINED]] * (n - 1 - i), f"client {i}"
        assert client.events[0][0] == "connect"
        received = client.messages()
        if i != gone:
            assert received[-1] == "barrier"
            received = received[:-1]
        assert_sender_order(received, sent_by)
        assert [ack["reply"] for ack in client.acks] == [[{"ok": True}]] * per_client
        assert client.args("chat-error") == []
    for i in others:
        assert seen[i].args("user-left") == [[USER_LEFT]], f"client {i}"
    assert seen[gone].args("user-left") == []
    assert seen[gone].disconnects() == ["io client disconnect"]


@every_transport
def test_lone_surrogate_comes_back(live_server, transport):
    """Broadcast a string holding half a surrogate pair exactly as sent."""
    # A JavaScript string may hold half a surrogate pair (an emoji cut in two); it is still a
    # string, and the original gateway broadcast any string as it was.
    server = live_server()
    text = "half an emoji: \ud83d"
    seen = run_clients(
        server,
        transport,
        2,
        [
            {"connect": [0, 1]},
            {"emit": emits(0, [text], ack=True)},
            wait_acks([0], 1),
            {"emit": emits(0, ["barrier"])},
            {"wait": {"clients": [0, 1], "event": "message", "args": ["barrier"]}},
        ],
    )
    assert seen[0].acks[0]["reply"] == [{"ok": True}]
    for client in seen:
        assert client.messages() == [text, "barrier"]


# ---------------------------------------------------------------------------
# b) per-sender order under bursts


@every_transport
def test_bursts_keep_each_senders_order(live_server, transport):
    server = live_server()  # FLOOD_BURST 30: a burst of 25 is allowed
    n, per_sender = 20, 25
    sent_by = {i: [f"{i}:{k}" for k in range(per_sender)] for i in range(n)}
    seen = run_clients(
        server,
        transport,
        n,
        [
            {"connect": list(range(n)), "parallel": True},
            # All 500 in one synchronous loop: each client's 25 leave together, all clients at once.
            {"emit": [e for i in range(n) for e in emits(i, sent_by[i])]},
            wait(range(n), "message", n * per_sender),
        ],
    )
    for i, client in enumerate(seen):
        received = client.messages()
        assert len(received) == len(set(received)) == n * per_sender, f"client {i}"
        assert_sender_order(received, sent_by)
        assert client.args("chat-error") == []
    if transport == "polling":
        # The burst really was batched: each sender's first message goes alone (the transport
        # is idle), the other 24 wait for it and leave together in the next POST.
        for i, client in enumerate(seen):
            assert max(post["packets"] for post in client.posts) >= per_sender - 1, f"client {i}"


# ---------------------------------------------------------------------------
# c) refusals reach the sender alone, with or without a callback


REFUSED = [(42, "not_text"), ("", "empty"), ("y" * 2001, "too_long")]


@every_transport
def test_refusals_reach_the_sender_alone(live_server, transport):
    server = live_server()  # MAX_MESSAGE_LENGTH 2000
    bad = [value for value, _ in REFUSED]
    codes = [code for _, code in REFUSED]
    seen = run_clients(
        server,
        transport,
        3,
        [
            {"connect": [0, 1, 2]},
            {"emit": emits(0, bad)},  # no callback: the chat-error event is all the client gets
            wait([0], "chat-error", len(bad)),
            {"emit": emits(0, bad, ack=True)},
            wait_acks([0], len(bad)),
            wait([0], "chat-error", 2 * len(bad)),
            {"emit": emits(0, ["barrier"])},
            wait([0, 1, 2], "message", 1),
        ],
    )
    sender = seen[0]
    errors = sender.args("chat-error")
    assert [len(args) for args in errors] == [1] * 2 * len(bad)
    errors = [args[0] for args in errors]
    assert [(e["event"], e["code"]) for e in errors] == [("newMessage", code) for code in codes] * 2
    assert all(set(e) == {"event", "error", "code"} and isinstance(e["error"], str) and e["error"] for e in errors)
    acks = {json.dumps(ack["sent"]): ack["reply"] for ack in sender.acks}
    for (value, code), error in zip(REFUSED, errors[len(bad) :], strict=True):
        assert acks[json.dumps([value])] == [{"ok": False, "error": error["error"], "code": code}]
    for client in seen:
        assert client.messages() == ["barrier"]  # nothing refused was broadcast
    for client in seen[1:]:
        assert client.args("chat-error") == []


# ---------------------------------------------------------------------------
# d) the flood limit on the wire


@every_transport
def test_flood_limit_refuses_the_sixth(live_server, transport):
    server = live_server(FLOOD_BURST=5, FLOOD_RATE=0.01)  # no refill during the test
    texts = [f"burst {k}" for k in range(6)]
    seen = run_clients(
        server,
        transport,
        2,
        [
            {"connect": [0, 1]},
            {"emit": emits(0, texts, ack=True)},
            wait_acks([0], 6),
            wait([0], "chat-error", 1),
            {"emit": emits(1, ["barrier"])},
            wait([0, 1], "message", 6),
        ],
    )
    for client in seen:
        assert client.messages() == texts[:5] + ["barrier"]
    replies = {ack["sent"][0]: ack["reply"] for ack in seen[0].acks}
    assert all(replies[text] == [{"ok": True}] for text in texts[:5])
    [refusal] = replies[texts[5]]
    assert refusal["ok"] is False and refusal["code"] == "rate_limited"
    assert seen[0].args("chat-error") == [[{"event": "newMessage", "error": refusal["error"], "code": "rate_limited"}]]
    assert seen[1].args("chat-error") == []


@every_transport
def test_flood_limit_off_broadcasts_everything(live_server, transport):
    server = live_server(FLOOD_BURST=0)
    texts = [f"unlimited {k}" for k in range(40)]  # more than the default burst of 30
    seen = run_clients(
        server,
        transport,
        2,
        [
            {"connect": [0, 1]},
            {"emit": emits(0, texts, ack=True)},
            wait_acks([0], 40),
            wait([0, 1], "message", 40),
        ],
    )
    for client in seen:
        assert client.messages() == texts
        assert client.args("chat-error") == []
    assert [ack["reply"] for ack in seen[0].acks] == [[{"ok": True}]] * 40


# ---------------------------------------------------------------------------
# e) the engine limit: a full flood allowance fits in one request, an oversized packet does not


LIMITS = {"MAX_MESSAGE_LENGTH": 2000, "FLOOD_BURST": 30}
PACKET_LIMIT = flood_allowance_bytes(LIMITS)


def test_full_flood_allowance_fits_one_polling_request(live_server):
    server = live_server(**LIMITS, MAX_PACKET_BYTES=PACKET_LIMIT)
    worst = "\u0001" * LIMITS["MAX_MESSAGE_LENGTH"]  # JSON.stringify writes each as \u0001: 6 bytes
    burst = LIMITS["FLOOD_BURST"]
    seen = run_clients(
        server,
        "polling",
        2,
        [
            {"connect": [0, 1]},
            # The unknown event (ignored, not counted as a message) goes out alone in a POST; the
            # messages emitted meanwhile wait for it and leave together in the next one, unless the
            # client must split them to stay under the maxPayload the server announced.
            {"emit": [{"client": 0, "event": "batch-primer"}] + emits(0, [worst] * burst, ack=True)},
            wait_acks([0], burst),
            wait([0, 1], "message", burst),
        ],
    )
    for client in seen:
        assert client.messages() == [worst] * burst
        assert client.args("chat-error") == []
        assert client.disconnects() == ["io client disconnect"]  # only the script's own, at the end
    assert [ack["reply"] for ack in seen[0].acks] == [[{"ok": True}]] * burst
    batches = [post for post in seen[0].posts if post["bytes"] > 6 * len(worst)]
    assert len(batches) == 1, f"the burst was split over several requests: {batches}"
    assert batches[0]["packets"] >= burst
    assert burst * 6 * len(worst) < batches[0]["bytes"] <= PACKET_LIMIT


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_oversized_packet_costs_only_its_sender(live_server, transport):
    server = live_server(**LIMITS, MAX_PACKET_BYTES=PACKET_LIMIT)
    seen = run_clients(
        server,
        transport,
        3,
        [
            {"connect": [0, 1, 2]},
            {"emit": emits(0, ["x" * (PACKET_LIMIT + 1000)])},
            wait([0], "disconnect", 1),
            wait([1, 2], "user-left", 1),
            {"emit": emits(1, ["still chatting"], ack=True)},
            wait_acks([1], 1),
            wait([1, 2], "message", 1),
        ],
    )
    big, chatter, listener = seen
    assert big.disconnects()[0] != "io client disconnect"  # the server ended it
    assert big.messages() == [] and big.args("chat-error") == []
    for client in (chatter, listener):
        assert client.messages() == ["still chatting"]
        assert client.args("user-left") == [[USER_LEFT]]
        assert client.disconnects() == ["io client disconnect"]  # only the script's own, at the end
    assert chatter.acks[0]["reply"] == [{"ok": True}]


# ---------------------------------------------------------------------------
# Signed identities: a site in Node issues the tokens with jsonwebtoken


LIVE_SECRET = "live-test-secret-of-thirty-two-bytes"  # the live servers' SECRET_KEY, so their HS256 secret
SITE = {"audience": "chat", "issuer": "https://site.example"}


def signed_by_node(payload, key, **options):
    """Return a handshake entry whose token seed_clients.js signs with jsonwebtoken's sign(payload, key, options).

    An option given as None is left out.
    """
    options = {name: value for name, value in {"expiresIn": "10m", **SITE, **options}.items() if value is not None}
    return {"sign": {"payload": payload, "key": key, "options": options}}


@every_transport
def test_a_token_issued_with_jsonwebtoken_is_accepted(live_server, transport):
    """Connect with HS256 tokens that jsonwebtoken signed; refuse a foreign, expired or unsigned one."""
    server = live_server(TOKENS=True, JWT_AUDIENCE=SITE["audience"], JWT_ISSUER=SITE["issuer"])
    alice = {"sub": "user-42", "name": "Alice", "roles": ["admin"]}
    seen = run_clients(
        server,
        transport,
        5,
        [
            {"connect": [0, 1, 2, 3, 4]},
            {"emit": emits(1, ["hi from a signed seed client"], ack=True)},
            wait_acks([1], 1),
            wait([1], "message", 1),
            wait([0], "room-message", 1),
        ],
        auth=[
            {"protocol": 2, "name": "Mallory", **signed_by_node(alice, LIVE_SECRET)},
            signed_by_node({"sub": "user-7", "name": "Bob"}, LIVE_SECRET),  # the original protocol, with a token
            signed_by_node(alice, "another-secret-of-thirty-two-bytes"),
            signed_by_node({**alice, "exp": 1_700_000_000}, LIVE_SECRET, expiresIn=None),
            signed_by_node(alice, None, algorithm="none"),
        ],
    )

    welcome = seen[0].args("welcome")[0][0]
    assert welcome["user"] == {"id": "user-42", "name": "Alice", "guest": False}
    assert seen[0].args("room-message")[0][0]["user"]["name"] == "Bob"
    assert seen[1].messages() == ["hi from a signed seed client"]
    assert seen[1].acks[0]["reply"] == [{"ok": True}]
    assert seen[1].args("user-joined") == []  # refused clients never joined
    assert [client.args("connect_error") for client in seen[2:]] == [
        [["the token is not valid: Signature verification failed"]],
        [["the token has expired: get a new one"]],
        [["the token is not valid: The specified alg value is not allowed"]],
    ]


def test_rs256_and_es256_tokens_from_jsonwebtoken_are_chosen_by_kid(live_server, tmp_path):
    """Accept RS256 and ES256 tokens signed in Node, each checked with the JWKS key its kid names."""
    from support.jwt_keys import ec_key, jwk, private_pem, rsa_key, write_jwks

    rsa, ec = rsa_key(), ec_key()
    jwks = write_jwks(tmp_path / "jwks.json", [jwk(rsa, "site-rsa"), jwk(ec, "site-ec")])
    server = live_server(TOKENS=True, JWT_JWKS_FILE=jwks, JWT_AUDIENCE=SITE["audience"], JWT_ISSUER=SITE["issuer"])
    seen = run_clients(
        server,
        "default",
        4,
        [
            {"connect": [0, 1, 2, 3]},
        ],
        auth=[
            {
                "protocol": 2,
                **signed_by_node({"sub": "u1", "name": "Rosa"}, private_pem(rsa), algorithm="RS256", keyid="site-rsa"),
            },
            {
                "protocol": 2,
                **signed_by_node({"sub": "u2", "name": "Ella"}, private_pem(ec), algorithm="ES256", keyid="site-ec"),
            },
            signed_by_node({"sub": "u3", "name": "Eve"}, private_pem(rsa), algorithm="RS256", keyid="site-ec"),
            signed_by_node({"sub": "u4", "name": "Eve"}, LIVE_SECRET),  # HS256: off when public keys check tokens
        ],
    )

    assert seen[0].args("welcome")[0][0]["user"] == {"id": "u1", "name": "Rosa", "guest": False}
    assert seen[1].args("welcome")[0][0]["user"] == {"id": "u2", "name": "Ella", "guest": False}
    assert [client.args("connect_error")[0][0] for client in seen[2:]] == [
        "the token is not valid: The specified alg value is not allowed",
        "the token is not valid: the token names no key (kid)",
    ]
