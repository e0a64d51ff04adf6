"""Moderation through the test client: who may moderate, each event's refusals, bans and mutes in effect."""

import jwt
import pytest

from chat.identity import Tokens, issue_token
from support import TEST_SECRET
from support.clients import only, received


def ask(client, event, **payload):
    """Send ``event`` with ``payload`` and return the acknowledgement."""
    return client.emit(event, payload, callback=True)


@pytest.fixture
def tokens_app(make_app):
    """Return an app that requires signed tokens, the demo issuer on, short moderation limits."""
    return make_app(TOKENS=True, DEMO_TOKENS=True, MAX_BAN_SECONDS=600, MAX_MUTE_SECONDS=300, MAX_MODERATION_REASON=20)


@pytest.fixture
def signed(tokens_app, socket_client):
    """Return a factory of full-protocol clients signed as ``sub`` (an administrator with ``admin``)."""

    def connect(sub, name, admin=False, protocol=2, rooms=None):
        token = issue_token(TEST_SECRET, sub, name, roles=["admin"] if admin else ())
        auth = {"token": token}
        if protocol == 2:
            auth["protocol"] = 2
        if rooms is not None:
            auth["rooms"] = rooms
        return socket_client(tokens_app, auth=auth)

    return connect


@pytest.fixture
def team(signed):
    """Return (Alice, who created the room "team" and is in it, Bob in it too, Carol in general only), drained."""
    alice, bob, carol = signed("alice", "Alice"), signed("bob", "Bob"), signed("carol", "Carol")
    assert ask(alice, "create-room", room="team")["ok"]
    ask(alice, "join-room", room="team")
    ask(bob, "join-room", room="team")
    ask(bob, "send-message", room="team", text="one")
    for client in (alice, bob, carol):
        received(client)
    return alice, bob, carol


def test_the_owner_removes_anyones_message_and_the_room_sees_the_notice(team):
    """Delete Bob's message for everyone in the room, then show the notice; Carol, outside, hears nothing."""
    alice, bob, carol = team
    ack = ask(alice, "remove-message", room="team", id=1)
    assert ack["ok"] and ack["id"] == 1
    for client in (alice, bob):
        deleted, notice = only(client, "message-deleted", "moderation")
        assert deleted["id"] == 1
        assert notice == {
            "room": "team",
            "action": "remove-message",
            "id": 1,
            "by": {"id": "alice", "name": "Alice", "guest": False},
        }
    assert ask(bob, "history", room="team")["messages"][0]["deleted"] is True
    assert received(carol) == []


def test_a_mute_refuses_the_persons_sends_saying_until_when(team):
    """Refuse Bob's sends in the room as muted, with the time; his sends elsewhere still go."""
    alice, bob, _ = team
    ack = ask(alice, "mute", room="team", person="bob", seconds=120, reason="calm down")
    assert ack["notice"]["person"]["name"] == "Bob" and ack["notice"]["seconds"] == 120
    assert only(bob, "moderation")["action"] == "mute"
    refused = ask(bob, "send-message", room="team", text="two")
    assert refused["code"] == "muted"
    assert ack["notice"]["until"] in refused["error"] and "s left" in refused["error"]
    assert only(bob, "chat-error")["code"] == "muted"
    assert only(alice, "moderation")["person"]["id"] == "bob"
    assert ask(bob, "send-message", room="general", text="elsewhere")["ok"]
    assert ask(alice, "unmute", room="team", person="bob")["ok"]
    assert ask(bob, "send-message", room="team", text="two")["ok"]


def test_a_ban_removes_the_person_and_refuses_their_return(team):
    """Take Bob out of the room (member-left to the others), refuse his join-room as banned until it is lifted."""
    alice, bob, _ = team
    ack = ask(alice, "ban", room="team", person="bob", seconds=60)
    assert ack["ok"]
    assert only(bob, "moderation")["action"] == "ban"
    notice, left = only(alice, "moderation", "member-left")
    assert notice["person"]["id"] == "bob" and left == {"room": "team", "user": notice["person"]}
    assert ask(bob, "send-message", room="team", text="x")["code"] == "not_in_room"
    received(bob)
    refused = ask(bob, "join-room", room="team")
    assert refused["code"] == "banned" and "until" in refused["error"]
    assert ask(alice, "unban", room="team", person="bob")["ok"]
    assert ask(bob, "join-room", room="team")["ok"]


def test_an_admin_bans_from_the_default_room_ending_and_refusing_connections(signed, tokens_app, socket_client):
    """Disconnect Bob's connections, seed ones too, and refuse new ones, full or seed, while the ban lasts."""
    admin = signed("admin-1", "Admin", admin=True)
    bob_full, bob_seed = signed("bob", "Bob"), signed("bob", "Bob", protocol=1)
    received(admin)
    assert ask(admin, "ban", room="general", person="bob", seconds=60, reason="spam")["ok"]
    assert not bob_full.is_connected() and not bob_seed.is_connected()
    assert not signed("bob", "Bob").is_connected()
    assert not signed("bob", "Bob", protocol=1).is_connected()
    assert signed("carol", "Carol").is_connected()


def test_a_ban_from_the_default_room_says_why_before_it_disconnects(signed):
    """Send each of Bob's connections a chat-error banned, then the disconnect: a client told to stay away knows why."""
    admin = signed("admin-1", "Admin", admin=True)
    bob_full, bob_seed = signed("bob", "Bob"), signed("bob", "Bob", protocol=1)
    received(bob_full), received(bob_seed)
    assert ask(admin, "ban", room="general", person="bob", seconds=60, reason="spam")["ok"]
    for bob in (bob_full, bob_seed):
        assert not bob.is_connected()
        # What reached it before the disconnect (the test client refuses get_received once disconnected).
        refusal = [item["args"][0] for item in bob.queue if item["name"] == "chat-error"]
        assert [(r["event"], r["code"]) for r in refusal] == [("ban", "banned")] and "general" in refusal[0]["error"]


def test_a_muted_protocol_1_client_is_refused_with_the_code(signed):
    """Refuse newMessage from a muted seed client with chat-error muted; tell the seed clients nothing of it."""
    admin = signed("admin-1", "Admin", admin=True)
    bob_seed, other_seed = signed("bob", "Bob", protocol=1), signed("dan", "Dan", protocol=1)
    received(bob_seed), received(other_seed)
    assert ask(admin, "mute", room="general", person="bob", seconds=30)["ok"]
    assert received(bob_seed) == [] and received(other_seed) == []
    assert bob_seed.emit("newMessage", "hi", callback=True)["code"] == "muted"
    assert only(bob_seed, "chat-error")["code"] == "muted"
    assert received(other_seed) == []
    assert other_seed.emit("newMessage", "hi", callback=True) == {"ok": True}


ACTIONS = [
    ("remove-message", {"id": 1}),
    ("ban", {"person": "bob", "seconds": 60}),
    ("mute", {"person": "bob", "seconds": 60}),
    ("unban", {"person": "bob"}),
    ("unmute", {"person": "bob"}),
    ("moderation-log", {}),
]


@pytest.mark.parametrize("event, payload", ACTIONS)
def test_a_non_owner_may_not_moderate_a_room(team, event, payload):
    """Refuse every moderation action from someone who is neither the room's owner nor an administrator."""
    alice, bob, carol = team
    for someone in (bob, carol):
        refused = ask(someone, event, room="team", **payload)
        assert refused["code"] == "forbidden" and "owner" in refused["error"]
    assert received(alice) == []


@pytest.mark.parametrize("event, payload", ACTIONS)
def test_only_an_administrator_may_moderate_the_default_room(team, event, payload):
    """Refuse a room owner moderating the default room, which only administrators may."""
    alice, _, _ = team
    refused = ask(alice, event, room="general", **payload)
    assert refused["code"] == "forbidden" and "administrator" in refused["error"]


@pytest.mark.parametrize("event, payload", ACTIONS)
def test_guests_have_no_moderation_rights(full, event, payload):
    """Refuse every moderation action without signed identities, even in a room the guest created."""
    alice = full("Alice")
    assert ask(alice, "create-room", room="mine")["ok"]
    refused = ask(alice, event, room="mine", **payload)
    assert refused["code"] == "forbidden" and "signed identities" in refused["error"]


def test_an_administrator_may_moderate_a_room_without_an_owner(signed, tokens_app):
    """Let an administrator mute in a room whose owner is gone from the store (as a guest's room has none)."""
    admin, bob = signed("admin-1", "Admin", admin=True), signed("bob", "Bob")
    ask(bob, "create-room", room="bobs")
    tokens_app.extensions["chat"].stores.moderation.remove_room("bobs")
    assert ask(admin, "mute", room="bobs", person="bob", seconds=5)["ok"]


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"room": 7}, "bad_room"),
        ({"room": "team", "person": 3, "seconds": 10}, "bad_arguments"),
        ({"room": "team", "person": "", "seconds": 10}, "bad_arguments"),
        ({"room": "team", "person": "x" * 257, "seconds": 10}, "bad_arguments"),
        ({"room": "team", "person": "bob"}, "bad_arguments"),
        ({"room": "team", "person": "bob", "seconds": 0}, "bad_arguments"),
        ({"room": "team", "person": "bob", "seconds": 301}, "bad_arguments"),
        ({"room": "team", "person": "bob", "seconds": 1.5}, "bad_arguments"),
        ({"room": "team", "person": "bob", "seconds": True}, "bad_arguments"),
        ({"room": "team", "person": "bob", "seconds": 10, "reason": 5}, "bad_arguments"),
        ({"room": "team", "person": "bob", "seconds": 10, "reason": "r" * 21}, "too_long"),
        ({"room": "team", "person": "alice", "seconds": 10}, "bad_arguments"),
        ({"room": "nowhere", "person": "bob", "seconds": 10}, "no_such_room"),
    ],
)
def test_bad_mutes_are_refused_and_tell_nobody(team, payload, code):
    """Refuse a mute with a bad room, person, duration or reason, or of oneself; broadcast nothing."""
    alice, bob, _ = team
    assert ask(alice, "mute", **payload)["code"] == code
    assert only(alice, "chat-error")["code"] == code
    assert received(bob) == []


def test_a_ban_longer_than_its_setting_is_refused(team):
    """Refuse a ban of more than MAX_BAN_SECONDS, which is apart from the mutes' limit."""
    alice, _, _ = team
    assert ask(alice, "ban", room="team", person="bob", seconds=600)["ok"]
    assert ask(alice, "ban", room="team", person="bob", seconds=601)["code"] == "bad_arguments"


@pytest.mark.parametrize("payload", [{"room": "team"}, {"room": "team", "id": "1"}, {"room": "team", "id": -1}])
def test_bad_message_removals_are_refused(team, payload):
    """Refuse a removal without a message id."""
    alice, _, _ = team
    assert ask(alice, "remove-message", **payload)["code"] == "bad_arguments"


def test_removing_an_unknown_message_is_not_found(team):
    """Refuse a removal of a message the room does not have."""
    alice, _, _ = team
    assert ask(alice, "remove-message", room="team", id=9)["code"] == "not_found"


def test_lifting_what_is_not_in_force_is_not_found(team):
    """Refuse an unban or unmute of someone not banned or muted."""
    alice, _, _ = team
    assert ask(alice, "unban", room="team", person="bob")["code"] == "not_found"
    assert ask(alice, "unmute", room="team", person="bob")["code"] == "not_found"


def test_every_action_is_recorded(team, tokens_app):
    """Keep each action in the room's moderation record, with who did it and when."""
    alice, _, _ = team
    ask(alice, "mute", room="team", person="bob", seconds=10, reason="why")
    ask(alice, "remove-message", room="team", id=1)
    log = tokens_app.extensions["chat"].stores.moderation.log("team")
    assert [(a["action"], a["by"]["id"]) for a in log] == [("mute", "alice"), ("remove-message", "alice")]
    assert log[0]["reason"] == "why" and isinstance(log[0]["ts"], int)


def test_the_moderation_events_need_the_full_protocol(signed):
    """Refuse a moderation event from a seed client as unknown_event."""
    seed = signed("admin-1", "Admin", admin=True, protocol=1)
    assert (
        seed.emit("mute", {"room": "general", "person": "bob", "seconds": 5}, callback=True)["code"] == "unknown_event"
    )


def test_the_demo_token_route_never_grants_admin(tokens_app, signed):
    """Issue demo tokens without roles, so their bearer may not moderate the default room."""
    token = tokens_app.test_client().post("/token", json={"name": "Mallory"}).json["token"]
    assert "roles" not in jwt.decode(token, TEST_SECRET, algorithms=["HS256"])
    assert Tokens.with_secret(TEST_SECRET).verify(token).admin is False


def test_the_issue_token_command_prints_an_admin_token(tokens_app):
    """Print an HS256 token with roles ["admin"] only when --admin is given, valid for --lifetime."""
    runner = tokens_app.test_cli_runner()
    result = runner.invoke(args=["issue-token", "--admin", "--name", "Admin", "--sub", "admin-1", "--lifetime", "120"])
    assert result.exit_code == 0, result.output
    identity = Tokens.with_secret(TEST_SECRET).verify(result.output.strip())
    assert (identity.id, identity.name, identity.admin) == ("admin-1", "Admin", True)
    claims = jwt.decode(result.output.strip(), TEST_SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 120
    plain = runner.invoke(args=["issue-token", "--name", "Bob", "--sub", "bob"])
    assert Tokens.with_secret(TEST_SECRET).verify(plain.output.strip()).admin is False
    assert runner.invoke(args=["issue-token", "--name", "Bob", "--sub", ""]).exit_code != 0


@pytest.mark.parametrize(
    "setting, value",
    [
        ("MAX_BAN_SECONDS", 0),
        ("MAX_MUTE_SECONDS", "60"),
        ("MAX_MODERATION_REASON", -1),
        ("MODERATION_LOG_KEEP", -1),
        ("MODERATION_LOG_KEEP", 2.5),
    ],
)
def test_moderation_settings_that_make_no_sense_stop_the_start(make_app, setting, value):
    """Refuse a longest ban, mute or reason below one, and a record size that is not a whole number, naming it."""
    with pytest.raises(ValueError, match=f"CHAT_{setting}"):
        make_app(**{setting: value})


def test_a_long_reason_setting_raises_the_longest_event_allowed(make_app):
    """Derive MAX_EVENT_LENGTH long enough for a ban with the longest reason, however long that is set."""
    from chat.validation import PERSON_ID_MAX

    app = make_app(MAX_MODERATION_REASON=100_000)
    assert app.config["MAX_EVENT_LENGTH"] > 100_000 + PERSON_ID_MAX
    assert make_app().config["MAX_EVENT_LENGTH"] == 53648  # the default, as before


def test_the_page_learns_who_may_moderate(signed):
    """Say admin in an administrator's welcome only, and a room's owner in its presence snapshot."""
    admin = signed("admin-1", "Admin", admin=True)
    assert only(admin, "welcome", "presence", "history")[0]["admin"] is True
    alice = signed("alice", "Alice")
    welcome, presence, _ = only(alice, "welcome", "presence", "history")
    assert "admin" not in welcome and "owner" not in presence
    ask(alice, "create-room", room="team")
    received(alice)
    ask(alice, "join-room", room="team")
    assert only(alice, "presence", "history")[0]["owner"] == "alice"


def test_a_room_removed_when_idle_takes_its_owner_and_bans_with_it(make_app, socket_client, clock):
    """Make a room of the same name, created again after the first was removed, its new creator's, with no bans."""
    from chat import sweeper

    app = make_app(TOKENS=True, ROOM_IDLE_SECONDS=10)

    def connect(sub, name):
        return socket_client(app, auth={"protocol": 2, "token": issue_token(TEST_SECRET, sub, name)})

    alice, bob = connect("alice", "Alice"), connect("bob", "Bob")
    ask(alice, "create-room", room="books")
    assert ask(alice, "ban", room="books", person="bob", seconds=600)["ok"]
    clock.advance(11)
    with app.app_context():
        sweeper.sweep()  # nobody entered it: removed
    assert ask(bob, "create-room", room="books")["ok"]
    assert ask(bob, "join-room", room="books")["ok"]
    assert ask(alice, "mute", room="books", person="bob", seconds=5)["code"] == "forbidden"
    assert ask(bob, "mute", room="books", person="alice", seconds=5)["ok"]


def test_a_moderator_reads_the_rooms_record(team):
    """Acknowledge the owner's moderation-log with the room's latest actions, oldest first, within the page limits."""
    alice, _, _ = team
    ask(alice, "mute", room="team", person="bob", seconds=10)
    ask(alice, "unmute", room="team", person="bob")
    log = ask(alice, "moderation-log", room="team")
    assert [a["action"] for a in log["actions"]] == ["mute", "unmute"] and log["room"] == "team"
    assert [a["action"] for a in ask(alice, "moderation-log", room="team", limit=1)["actions"]] == ["unmute"]
    assert ask(alice, "moderation-log", room="team", limit=0)["code"] == "bad_arguments"
    assert ask(alice, "moderation-log", room="team", limit=10_000)["code"] == "bad_arguments"
