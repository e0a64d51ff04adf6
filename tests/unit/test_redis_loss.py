"""A Redis that loses everything (a restart without persistence): the live stores notice and rebuild."""

from chat.stores.redis.presence import RedisPresence
from chat.stores.redis.rooms import RedisRooms


def test_a_process_learns_that_redis_lost_its_connections(redis_db, clock):
    """Report a heartbeat after Redis lost everything as a drop, so the process's clients reconnect."""
    presence = RedisPresence(redis_db, "host-a", 5, clock=clock)
    presence.connect("c1", "p1", "Alice")
    assert presence.heartbeat() and presence.heartbeat()
    redis_db.flushall()
    assert presence.heartbeat() is False
    assert presence.heartbeat() is True


def test_the_rooms_the_database_holds_come_back_after_redis_lost_them(redis_db, clock):
    """Restore the default room and every room the database holds at the next expiry, empty from then."""
    durable = ["games", "books"]
    rooms = RedisRooms(redis_db, "general", max_rooms=5, idle_seconds=60, clock=clock, durable_rooms=lambda: durable)
    rooms.create("games")
    redis_db.flushall()
    assert "general" not in rooms
    assert rooms.expire() == []
    assert rooms.names() == ["books", "games", "general"]
    clock.now += 60
    assert rooms.expire() == ["books", "games"]


def test_a_loss_before_the_first_heartbeat_is_learned_even_after_a_new_connection(redis_db, clock):
    """Report the loss at the first heartbeat, though a connection made since put this process back among the hosts."""
    presence = RedisPresence(redis_db, "host-a", 5, clock=clock)
    presence.connect("c1", "p1", "Alice")
    redis_db.flushall()
    presence.connect("c2", "p2", "Bob")
    assert presence.heartbeat() is False
    assert presence.heartbeat() is True
