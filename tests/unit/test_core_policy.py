"""The access policy (chat/core/policy.py), through the core's operations, without a socket."""

import pytest

from chat.model import ChatError
from support.core import full, signed, token


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


# --- Access before data; a mute covers every way of speaking; a ban ends belonging ------------


def test_resend_lookup_after_membership_check(core):
    """Refuse an outsider who guesses a member's clientId not_in_room, instead of handing them the message."""
    chat, _ = core
    full(chat, "a1", "Alice")
    full(chat, "c1", "Carol", rooms=[])
    chat.rooms.create("a1", "team")
    chat.rooms.enter("a1", True, "team")
    chat.messages.send("a1", "team", "secret", "c-1", [])
    assert refusal(chat.messages.send, "c1", "team", "guess", "c-1", []) == "not_in_room"


def test_muted_person_cannot_edit(signed_core):
    """Refuse a muted person's edit of their own message in the room: muted."""
    chat, _ = signed_core
    message_id = team_with_bob(chat)
    chat.moderation.mute("a1", False, "team", "bob", 60, "")
    assert refusal(chat.changes.edit, "b1", "team", message_id, "edited") == "muted"


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


def test_banned_person_gets_no_unread_counts(signed_core, clock):
    """Leave a room one is banned from out of the welcome's unread counts."""
    chat, port = signed_core
    banned_while_offline(chat, clock)
    welcome = port.heard("b2", "welcome")[0]
    assert "team" not in welcome["unread"]


def test_banned_person_cannot_see_seen_by(signed_core, clock):
    """Refuse seen-by in a room one is banned from."""
    chat, _ = signed_core
    banned_while_offline(chat, clock)
    assert refusal(chat.reads.seen_by, "b2", "team", 1) in ("banned", "not_in_room")


def test_banned_person_cannot_mark_read(signed_core, clock):
    """Refuse mark-read in a room one is banned from."""
    chat, _ = signed_core
    banned_while_offline(chat, clock)
    assert refusal(chat.reads.mark, "b2", "team", 1) in ("banned", "not_in_room")


def test_resend_lookup_after_the_mute_check(signed_core):
    """Refuse a muted person's resend of a stored clientId muted, as any send, before the history is read."""
    chat, _ = signed_core
    team_with_bob(chat)
    chat.messages.send("b1", "team", "before the mute", "c-9", [])
    chat.moderation.mute("a1", False, "team", "bob", 60, "")
    assert refusal(chat.messages.send, "b1", "team", "before the mute", "c-9", []) == "muted"


def test_a_banned_person_cannot_fetch_their_old_message_by_clientid(signed_core):
    """Refuse a banned person's send with a clientId of theirs stored in the room: not_in_room, no message back."""
    chat, _ = signed_core
    team_with_bob(chat)
    chat.messages.send("b1", "team", "mine", "c-7", [])
    chat.moderation.ban("a1", False, "team", "bob", 60, "")
    assert refusal(chat.messages.send, "b1", "team", "mine", "c-7", []) == "not_in_room"


def test_a_client_id_is_its_senders_own(core):
    """Store another sender's message with a clientId someone used already; each resend returns its own sender's."""
    chat, port = core
    full(chat, "a1", "Alice")
    full(chat, "b1", "Bob")
    alices = chat.messages.send("a1", "general", "from Alice", "c-1", []).message
    port.clear()
    bobs = chat.messages.send("b1", "general", "from Bob", "c-1", [])
    assert bobs.new and not bobs.duplicate and bobs.message.text == "from Bob" and bobs.message.id == alices.id + 1
    assert [m["text"] for m in port.heard("a1", "room-message")] == ["from Bob"]
    assert chat.messages.send("a1", "general", "from Alice", "c-1", []).message == alices
    assert chat.messages.send("b1", "general", "from Bob", "c-1", []).message == bobs.message


def test_muted_person_cannot_type(signed_core):
    """Refuse a muted person's typing in the room (muted): typing is speaking; stopping is not, and passes."""
    chat, port = signed_core
    team_with_bob(chat)
    chat.moderation.mute("a1", False, "team", "bob", 60, "")
    port.clear()
    assert refusal(chat.messages.typing, "b1", "team", True) == "muted"
    chat.messages.typing("b1", "team", False)
    assert port.events("typing") == []


def test_muted_person_may_take_words_back(signed_core):
    """Let a muted person take back a reaction and delete their own message: that adds no words, so a mute allows it."""
    chat, _ = signed_core
    message_id = team_with_bob(chat)
    chat.changes.react("b1", "team", message_id, "👍", True)
    chat.moderation.mute("a1", False, "team", "bob", 60, "")
    assert chat.changes.react("b1", "team", message_id, "👍", False)["users"] == []
    assert chat.changes.delete("b1", "team", message_id)["id"] == message_id


@pytest.mark.parametrize("conversation", ["room", "dm"])
def test_a_refusal_says_nothing_of_the_message(core, conversation):
    """Refuse an outsider the same way for a message that exists and one that does not: nothing is read first."""
    chat, _ = core
    full(chat, "a1", "Alice")
    bob = full(chat, "b1", "Bob")
    full(chat, "c1", "Carol", rooms=[])
    if conversation == "room":
        chat.rooms.create("a1", "team")
        chat.rooms.enter("a1", True, "team")
        chat.rooms.enter("b1", True, "team")
        where = "team"
    else:
        where = chat.dms.open("a1", bob.id)["id"]
    message_id = chat.messages.send("b1", where, "hello", "c-1", []).message.id

    def refused(call, *args):
        with pytest.raises(ChatError) as error:
            call("c1", where, *args)
        return error.value.as_dict()

    for call, existing, missing in [
        (chat.changes.edit, (message_id, "x"), (999, "x")),
        (chat.changes.delete, (message_id,), (999,)),
        (chat.changes.react, (message_id, "👍", True), (999, "👍", True)),
        (chat.reads.mark, (message_id,), (999,)),
        (chat.reads.seen_by, (message_id,), (999,)),
        (chat.messages.send, ("guess", "c-1", []), ("guess", "c-2", [])),
    ]:
        assert refused(call, *existing) == refused(call, *missing), call


def test_banned_person_naming_the_room_at_connect_gets_no_unread_count(signed_core, clock):
    """Leave a room one is banned from out of welcome even when the handshake names it; start no marker there."""
    chat, port = signed_core
    team_with_bob(chat)
    chat.connections.disconnect("b1", True)
    clock.advance(60)
    chat.expiry.sweep()
    chat.moderation.ban("a1", False, "team", "bob", 600, "")
    chat.stores.reads.leave("bob", "team")  # even with no belonging left, naming the room must not count it
    chat.messages.send("a1", "team", "while he is away", None, [])
    signed(chat, "b2", "bob", "Bob", rooms=["general", "team"])
    welcome = port.heard("b2", "welcome")[0]
    assert "team" not in welcome["unread"] and "general" in welcome["unread"]
    assert [error["code"] for error in port.heard("b2", "chat-error")] == ["banned"]


def test_a_ban_ends_belonging_for_good(signed_core, clock):
    """Drop an offline person's belonging at the ban: once it is lifted, they belong again only by joining."""
    chat, port = signed_core
    banned_while_offline(chat, clock)
    chat.moderation.lift("ban", "a1", False, "team", "bob")
    signed(chat, "b3", "bob", "Bob")
    assert "team" not in port.heard("b3", "welcome")[0]["unread"]
    assert refusal(chat.reads.mark, "b3", "team", 1) == "not_in_room"
    chat.rooms.enter("b3", True, "team")
    assert chat.reads.mark("b3", "team", 1)["id"] == 1


def test_a_belonging_kept_through_a_ban_counts_for_nothing(signed_core, clock):
    """Refuse belonging a store still holds for a banned person (a ban made by an earlier release kept it)."""
    chat, port = signed_core
    banned_while_offline(chat, clock)
    chat.stores.reads.join("bob", "team")
    signed(chat, "b3", "bob", "Bob")
    assert "team" not in port.heard("b3", "welcome")[0]["unread"]
    assert refusal(chat.reads.seen_by, "b3", "team", 1) in ("banned", "not_in_room")
    assert refusal(chat.reads.mark, "b3", "team", 1) in ("banned", "not_in_room")


def test_an_owner_banned_from_their_room_may_not_moderate_it(signed_core):
    """Refuse a room's owner banned from it (by an administrator) every moderation there: banned."""
    chat, _ = signed_core
    message_id = team_with_bob(chat)
    signed(chat, "root", "root", "Root", roles=["admin"])
    chat.moderation.ban("root", True, "team", "alice", 60, "")
    for call, args in [
        (chat.moderation.mute, ("team", "bob", 60, "")),
        (chat.moderation.ban, ("team", "bob", 60, "")),
        (chat.moderation.remove_message, ("team", message_id)),
        (chat.moderation.log, ("team", 10)),
    ]:
        assert refusal(call, "a1", False, *args) == "banned", call
    assert chat.moderation.lift("ban", "root", True, "team", "alice")["action"] == "unban"
    assert chat.moderation.log("a1", False, "team", 10)[-1]["action"] == "unban"
