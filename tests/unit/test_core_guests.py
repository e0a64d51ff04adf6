"""Guests in the core: a credential with a lifetime, and what a guest leaves deleted when it ends."""

import pytest

from support.clock import WALL_CLOCK_START, Clock
from support.core import full, make_chat

DAY = 86400


@pytest.fixture
def wall():
    """Return a fake wall clock: guest credentials and their lifetime run on it."""
    return Clock(WALL_CLOCK_START)


@pytest.fixture
def guests_core(tmp_path, clock, wall):
    """Return (chat, fake port) with guests lasting 2 days after their last connection."""
    return make_chat(tmp_path, clock, wall, GUEST_LIFETIME_DAYS=2)


def test_a_guest_credential_lasts_its_lifetime_from_the_last_connect(guests_core, wall):
    """Come back as the same guest within GUEST_LIFETIME_DAYS of the credential's issue; a new guest after it."""
    chat, port = guests_core
    alice = full(chat, "a1", "Alice")
    credential = port.heard("a1", "welcome")[0]["guest"]
    chat.connections.disconnect("a1", True)
    wall.advance(2 * DAY - 10)
    assert full(chat, "a2", "Alice", guest=credential).id == alice.id
    renewed = port.heard("a2", "welcome")[0]["guest"]
    chat.connections.disconnect("a2", True)
    wall.advance(20)
    assert full(chat, "a3", "Alice", guest=credential).id != alice.id  # the first one expired
    chat.connections.disconnect("a3", True)
    assert full(chat, "a4", "Alice", guest=renewed).id == alice.id  # the one issued at the last connect did not


def test_an_expired_guest_leaves_no_dm_marker_or_mention(guests_core, wall, clock):
    """Delete a gone guest's DMs (both people's), read markers and mentions; keep their room messages and the others'."""
    chat, _ = guests_core
    alice, bob = full(chat, "a1", "Alice"), full(chat, "b1", "Bob")
    dm = chat.dms.open("a1", bob.id)["id"]
    chat.messages.send("a1", dm, "psst", None, [])
    chat.messages.send("a1", "general", "hello @Bob", None, [bob.id])
    chat.reads.mark("a1", "general", 1)
    chat.reads.mark("b1", "general", 1)
    chat.connections.disconnect("a1", True)
    clock.advance(60)  # past the presence grace: Alice is gone
    chat.expiry.sweep()
    wall.advance(2 * DAY - 60)
    assert chat.connections.expire_guests() == []  # her credential still works
    wall.advance(120)
    assert chat.connections.expire_guests() == [alice.id]
    stores = chat.stores
    assert stores.dms.people(dm) is None and stores.dms.of_person(bob.id) == []
    assert stores.history.after(dm, 0, 10)[0] == []
    assert stores.reads.marker(alice.id, "general") == 0
    assert stores.reads.marker(bob.id, "general") == 1  # Bob is connected: nothing of his goes
    assert [m.text for m in stores.history.after("general", 0, 10)[0]] == ["hello @Bob"]
    assert chat.connections.expire_guests() == []


def test_a_guest_connected_longer_than_the_lifetime_is_kept(guests_core, wall):
    """Keep a guest whose connection outlasts the lifetime: seen now, they go only a lifetime after it ends."""
    chat, _ = guests_core
    alice, bob = full(chat, "a1", "Alice"), full(chat, "b1", "Bob")
    dm = chat.dms.open("a1", bob.id)["id"]
    wall.advance(3 * DAY)
    assert chat.connections.expire_guests() == []
    assert chat.stores.dms.people(dm) is not None
    assert alice.id not in chat.stores.dms.expired_guests(wall() - DAY, 10)  # seen again at the sweep
