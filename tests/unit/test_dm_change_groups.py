"""Where a change goes: to the groups it is given (a DM's two people's) or its room's own, on both backends.

In one process the changes store emits; on Redis its script publishes Flask-SocketIO's
queue message, which every process then emits. Each test reads the group from whichever.
"""

import json
import threading
import uuid

import pytest

from chat.model import Member, full_person_group, room_group
from chat.stores.local.changes import LocalChanges
from chat.stores.local.history import LocalHistory
from chat.stores.redis.changes import RedisChanges
from chat.stores.redis.history import RedisHistory

ALICE, BOB = Member("p1", "Alice"), Member("p2", "Bob")
DM = "dm:" + "ab" * 12
GROUPS = [full_person_group(ALICE.id), full_person_group(BOB.id)]


class Sent:
    """What the changes store delivered, as (event, data, group): emitted, or published on Redis."""

    def __init__(self):
        self.emitted = []
        self.subscription = None

    def __call__(self, event, data, to):
        self.emitted.append((event, data, to))

    def next(self):
        """Return the next delivery."""
        if self.subscription is None:
            return self.emitted.pop(0)
        while True:
            # A published change is on the channel already when the store returns: no waiting on a timer.
            message = self.subscription.get_message(timeout=5)
            assert message is not None, "nothing was published"
            if message["type"] == "message":
                queued = json.loads(message["data"])
                return queued["event"], queued["data"][0], queued["room"]


@pytest.fixture(params=["in-process", "redis"])
def changes(request, tmp_path):
    """Return (history, changes, sent): the stores on SQLite, or on an emptied Redis publishing on a channel."""
    lock = threading.Lock()
    sent = Sent()
    if request.param == "redis":
        redis = request.getfixturevalue("redis_db")
        channel = f"dm-changes-{uuid.uuid4().hex}"
        sent.subscription = redis.pubsub()
        sent.subscription.subscribe(channel)
        history = RedisHistory(redis)
        store = RedisChanges(history, sent, lambda room: lock, 3, 5, redis, channel)
    else:
        history = LocalHistory(str(tmp_path / "chat.sqlite3"))
        store = LocalChanges(history, sent, lambda room: lock, 3, 5)
    yield history, store, sent
    if sent.subscription is not None:
        sent.subscription.close()
    history.close()


def test_every_kind_of_change_goes_to_the_groups_given(changes):
    """Deliver an edit, a reaction and a deletion in a DM to its two people's groups, never to room:<dm>."""
    history, store, sent = changes
    history.append(DM, ALICE, "helo")
    store.edit(DM, 1, ALICE.id, "hello", GROUPS)
    store.react(DM, 1, BOB.id, "👍", True, GROUPS)
    store.delete(DM, 1, ALICE.id, groups=GROUPS)
    delivered = [sent.next() for _ in range(3)]
    assert [(event, data["change"]) for event, data, _ in delivered] == [
        ("message-edited", 1), ("reaction", 2), ("message-deleted", 3)]
    assert all(group == GROUPS for _, _, group in delivered)


def test_without_groups_a_change_goes_to_its_room(changes):
    """Deliver a room's change to room:<room>, as before groups were given."""
    history, store, sent = changes
    history.append("general", ALICE, "helo")
    store.edit("general", 1, ALICE.id, "hello")
    assert sent.next()[2] == room_group("general")
