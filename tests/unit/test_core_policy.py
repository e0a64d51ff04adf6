"""The access policy (chat/core/policy.py), through the core's operations, without a socket.

The tests marked xfail(strict=True) name today's known holes: each fails now for the reason
in its name, and a later change makes it pass.
"""

import pytest

from chat.model import ChatError
from support.core import full, signed, token

# A hole shows as a refusal that does not come, or an assertion that fails: never as another error.
HOLE = (AssertionError, pytest.fail.Exception)


def refusal(call, *args):
    """Return the code of the ChatError ``call(*args)`` raises."""
    with pytest.raises(ChatError) as refused:
        call(*args)
    return refused.value.code


def team_with_bob(chat):
    """Make Alice (owner) and Bob (member) of the room ``team``, signed; return Bob's message id there."""
    signed(chat, "a1", "alice", "Alice")
    signed(chat, "b1", "bob", "Bob")
    chat.rooms.create("a1", "team")
    chat.rooms.enter("a1", True, "team")
    chat.rooms.enter("b1", True, "team")
    return chat.messages.send("b1", "team", "hello", None, []).message.id


def test_reading_a_room_needs_being_in_it(core):
    """Refuse history and typing in a room to a connection not in it: not_in_room."""
    chat, _ = core
    full(chat, "a1", "Alice")
    full(chat, "c1", "Carol", rooms=[])
    assert chat.messages.history_page("a1", "general", None, 10) == ([], False)
    assert refusal(chat.messages.history_page, "c1", "general", None, 10) == "not_in_room"
    assert refusal(chat.messages.typing, "c1", "general", True) == "not_in_room"
    assert refusal(chat.messages.send, "c1", "general", "hi", None, []) == "not_in_room"


def test_a_dm_is_its_two_peoples_alone(core):
    """Refuse a DM's history, sends, changes and reads to a third person as not_found, as for no DM at all."""
    chat, _ = core
    alice, bob = full(chat, "a1", "Alice"), full(chat, "b1", "Bob")
    full(chat, "c1", "Carol")
    dm = chat.dms.open("a1", bob.id)["id"]
    sent = chat.messages.send("b1", dm, "psst", None, []).message
    assert chat.messages.history_page("a1", dm, None, 10)[0] == [sent]
    for call, args in [
        (chat.messages.history_page, (dm, None, 10)),
        (chat.messages.send, (dm, "x", None, [])),
        (chat.changes.react, (dm, sent.id, "👍", True)),
        (chat.reads.mark, (dm, sent.id)),
        (chat.reads.seen_by, (dm, sent.id)),
        (chat.rooms.leave, (dm,)),
    ]:
        assert refusal(call, "c1", *args) == "not_found", call
    assert alice.id in [m["with"]["id"] for m in chat.dms.mine("b1")]


def test_a_muted_person_may_not_send(signed_core):
    """Refuse a muted person's sends to the room with muted; their other rooms are untouched."""
    chat, _ = signed_core
    team_with_bob(chat)
    chat.moderation.mute("a1", False, "team", "bob", 60, "")
    assert refusal(chat.messages.send, "b1", "team", "more", None, []) == "muted"
    assert chat.messages.send("b1", "general", "still here", None, []).new


def test_a_banned_person_may_not_enter(signed_core):
    """Refuse joining a room one is banned from, and connecting while banned from the default room."""
    chat, port = signed_core
    team_with_bob(chat)
    chat.moderation.ban("a1", False, "team", "bob", 60, "spam")
    assert "b1" not in port.groups["room:team"]
    assert refusal(chat.rooms.enter, "b1", True, "team") == "banned"
    signed(chat, "root", "root", "Root", roles=["admin"])
    chat.moderation.ban("root", True, "general", "bob", 60, "")
    assert port.disconnected == ["b1"]
    assert refusal(chat.connections.handshake, {"protocol": 2, "token": token("bob", "Bob")}) == "banned"


def test_moderating_is_for_owners_and_administrators(signed_core, core):
    """Let a room's owner and an administrator moderate; refuse a member, and the default room to an owner."""
    chat, _ = signed_core
    team_with_bob(chat)
    assert refusal(chat.moderation.mute, "b1", False, "team", "alice", 60, "") == "forbidden"
    assert refusal(chat.moderation.mute, "a1", False, "general", "bob", 60, "") == "forbidden"
    assert refusal(chat.moderation.mute, "a1", False, "team", "alice", 60, "") == "bad_arguments"
    assert chat.moderation.mute("b1", True, "team", "alice", 60, "")["action"] == "mute"  # an administrator
    guests, _ = core
    full(guests, "g1", "Gail")
    assert refusal(guests.moderation.log, "g1", True, "general", 10) == "forbidden"  # no signed identities


def test_a_signed_person_belongs_to_rooms_they_joined_while_offline(signed_core, clock):
    """Count a room a signed person joined and did not leave as theirs after they go: unread, mark-read."""
    chat, _ = signed_core
    team_with_bob(chat)
    chat.connections.disconnect("a1", True)
    clock.advance(60)
    chat.expiry.sweep()
    signed(chat, "a2", "alice", "Alice")
    assert chat.reads.mark("a2", "team", 1)["moved"] is True
    chat.rooms.leave("b1", "team")
    assert refusal(chat.reads.mark, "b1", "team", 1) == "not_in_room"


# --- Known holes: today's decisions, each failing its test until a later change -----------------


@pytest.mark.xfail(
    strict=True, raises=HOLE, reason="send-message looks a clientId up before the room's membership check"
)
def test_resend_lookup_after_membership_check(core):
    """Refuse an outsider who guesses a member's clientId not_in_room, instead of handing them the message."""
    chat, _ = core
    full(chat, "a1", "Alice")
    full(chat, "c1", "Carol", rooms=[])
    chat.rooms.create("a1", "team")
    chat.rooms.enter("a1", True, "team")
    chat.messages.send("a1", "team", "secret", "c-1", [])
    assert refusal(chat.messages.send, "c1", "team", "guess", "c-1", []) == "not_in_room"


@pytest.mark.xfail(strict=True, raises=HOLE, reason="edits make no mute check")
def test_muted_person_cannot_edit(signed_core):
    """Refuse a muted person's edit of their own message in the room: muted."""
    chat, _ = signed_core
    message_id = team_with_bob(chat)
    chat.moderation.mute("a1", False, "team", "bob", 60, "")
    assert refusal(chat.changes.edit, "b1", "team", message_id, "edited") == "muted"


@pytest.mark.xfail(strict=True, raises=HOLE, reason="reactions make no mute check")
def test_muted_person_cannot_react(signed_core):
    """Refuse a muted person's reaction in the room: muted."""
    chat, _ = signed_core
    message_id = team_with_bob(chat)
    chat.moderation.mute("a1", False, "team", "bob", 60, "")
    assert refusal(chat.changes.react, "b1", "team", message_id, "👍", True) == "muted"


def banned_while_offline(chat, clock):
    """Ban Bob from ``team`` while he is offline (his belonging stays); return his new connection's welcome."""
    team_with_bob(chat)
    chat.connections.disconnect("b1", True)
    clock.advance(60)
    chat.expiry.sweep()
    chat.moderation.ban("a1", False, "team", "bob", 600, "")
    signed(chat, "b2", "bob", "Bob")


@pytest.mark.xfail(strict=True, raises=HOLE, reason="a ban leaves the Reads store's belonging of an offline person")
def test_banned_person_gets_no_unread_counts(signed_core, clock):
    """Leave a room one is banned from out of the welcome's unread counts."""
    chat, port = signed_core
    banned_while_offline(chat, clock)
    welcome = port.heard("b2", "welcome")[0]
    assert "team" not in welcome["unread"]


@pytest.mark.xfail(strict=True, raises=HOLE, reason="a ban leaves the Reads store's belonging of an offline person")
def test_banned_person_cannot_see_seen_by(signed_core, clock):
    """Refuse seen-by in a room one is banned from."""
    chat, _ = signed_core
    banned_while_offline(chat, clock)
    assert refusal(chat.reads.seen_by, "b2", "team", 1) in ("banned", "not_in_room")


@pytest.mark.xfail(strict=True, raises=HOLE, reason="a ban leaves the Reads store's belonging of an offline person")
def test_banned_person_cannot_mark_read(signed_core, clock):
    """Refuse mark-read in a room one is banned from."""
    chat, _ = signed_core
    banned_while_offline(chat, clock)
    assert refusal(chat.reads.mark, "b2", "team", 1) in ("banned", "not_in_room")
