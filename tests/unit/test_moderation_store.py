"""Room owners, bans, mutes and the moderation record, without sockets: every test runs twice,
through open_stores on a SQLite file and on a PostgreSQL database (the ``durable`` fixture)."""

import pytest
import sqlalchemy as sa

from chat.model import ChatError
from chat.stores.sql.schema import restrictions


@pytest.fixture
def moderation(durable):
    """Return the moderation store of stores opened on an empty database, keeping 3 actions a room."""
    return durable(MODERATION_LOG_KEEP=3).moderation


def test_a_room_has_the_owner_recorded_and_none_otherwise(moderation):
    """Return the recorded owner of a room, None for a room without one."""
    moderation.set_owner("team", "p1")
    assert moderation.owner("team") == "p1"
    assert moderation.owner("other") is None


@pytest.mark.parametrize("kind", ["ban", "mute"])
def test_a_restriction_holds_until_its_time_then_counts_as_none(moderation, wall_clock, kind):
    """Return a ban's or mute's end while it is in force, None once that time has come."""
    moderation.restrict(kind, "team", "p2", wall_clock.now + 60)
    assert moderation.until(kind, "team", "p2") == wall_clock.now + 60
    assert moderation.until(kind, "team", "p1") is None
    assert moderation.until(kind, "other", "p2") is None
    wall_clock.now += 60
    assert moderation.until(kind, "team", "p2") is None


def test_bans_and_mutes_are_apart(moderation, wall_clock):
    """Keep a person's ban and mute in one room apart from each other."""
    moderation.restrict("mute", "team", "p2", wall_clock.now + 60)
    assert moderation.until("ban", "team", "p2") is None
    moderation.restrict("ban", "team", "p2", wall_clock.now + 30)
    assert moderation.until("mute", "team", "p2") == wall_clock.now + 60


def test_a_new_restriction_replaces_the_earlier_one(moderation, wall_clock):
    """Take the latest ban's end, even when it is sooner than the earlier one's."""
    moderation.restrict("ban", "team", "p2", wall_clock.now + 600)
    moderation.restrict("ban", "team", "p2", wall_clock.now + 10)
    assert moderation.until("ban", "team", "p2") == wall_clock.now + 10


def test_lifting_says_whether_one_was_in_force(moderation, wall_clock):
    """Return True when a ban in force is lifted, False for none or one that had ended."""
    moderation.restrict("ban", "team", "p2", wall_clock.now + 60)
    assert moderation.lift("ban", "team", "p2") is True
    assert moderation.until("ban", "team", "p2") is None
    assert moderation.lift("ban", "team", "p2") is False
    moderation.restrict("mute", "team", "p2", wall_clock.now + 5)
    wall_clock.now += 5
    assert moderation.lift("mute", "team", "p2") is False


def test_the_record_keeps_a_rooms_latest_actions_in_order(moderation):
    """Return a room's actions oldest first, its latest ``keep`` only, apart from other rooms'."""
    for number in range(5):
        moderation.record("team", {"action": "mute", "n": number})
    moderation.record("other", {"action": "ban"})
    assert moderation.log("team") == [
        {"action": "mute", "n": 2},
        {"action": "mute", "n": 3},
        {"action": "mute", "n": 4},
    ]
    assert moderation.log("team", limit=1) == [{"action": "mute", "n": 4}]
    assert moderation.log("other") == [{"action": "ban"}]


def test_removing_a_room_forgets_its_owner_restrictions_and_record(moderation, wall_clock):
    """Let a room of the same name made later start with no owner, ban, mute or record: its maker reads only their own."""
    moderation.set_owner("team", "p1")
    moderation.restrict("ban", "team", "p2", wall_clock.now + 60)
    moderation.restrict("mute", "team", "p3", wall_clock.now + 60)
    moderation.record("team", {"action": "ban"})
    moderation.set_owner("other", "p1")
    moderation.remove_room("team")
    assert moderation.owner("team") is None
    assert moderation.until("ban", "team", "p2") is None
    assert moderation.until("mute", "team", "p3") is None
    assert moderation.log("team") == []
    assert moderation.owner("other") == "p1"


def test_a_room_holds_a_bounded_number_of_restrictions_in_force(durable, wall_clock):
    """Refuse one more ban or mute past MAX_RESTRICTIONS_PER_ROOM; a replacement, another room or an ended one is fine."""
    moderation = durable(MAX_RESTRICTIONS_PER_ROOM=2).moderation
    moderation.restrict("ban", "team", "p1", wall_clock.now + 60)
    moderation.restrict("mute", "team", "p2", wall_clock.now + 10)
    with pytest.raises(ChatError) as refused:
        moderation.restrict("ban", "team", "p3", wall_clock.now + 60)
    assert refused.value.code == "too_many_restrictions"
    assert moderation.until("ban", "team", "p3") is None
    moderation.restrict("ban", "team", "p1", wall_clock.now + 120)  # a replacement
    moderation.restrict("ban", "other", "p3", wall_clock.now + 60)
    wall_clock.now += 10  # p2's mute has ended: it counts no more
    moderation.restrict("ban", "team", "p3", wall_clock.now + 60)
    assert moderation.until("ban", "team", "p3") == wall_clock.now + 60


def test_ended_restrictions_are_deleted_when_they_expire(moderation, wall_clock):
    """Delete every ban and mute whose time has come, in every room, keeping those in force."""
    moderation.restrict("ban", "team", "p1", wall_clock.now + 10)
    moderation.restrict("mute", "other", "p2", wall_clock.now + 10)
    moderation.restrict("ban", "team", "p3", wall_clock.now + 60)
    assert moderation.expire() == 0
    wall_clock.now += 10
    assert moderation.expire() == 2
    kept = moderation.database.read(lambda db: db.execute(sa.select(restrictions.c.person)).scalars().all())
    assert kept == ["p3"] and moderation.until("ban", "team", "p3") == wall_clock.now + 50
