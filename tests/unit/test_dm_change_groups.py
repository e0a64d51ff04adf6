"""Where a change goes: to the groups it is given (a DM's two people's) or its room's own, on both databases.

The changes store emits each change (with several processes, Flask-SocketIO's emit puts it
on the message queue); each test reads the group from what it emitted.
"""

import pytest

from chat.model import Member, full_person_group, room_group

ALICE, BOB = Member("p1", "Alice"), Member("p2", "Bob")
DM = "dm:" + "ab" * 12
GROUPS = [full_person_group(ALICE.id), full_person_group(BOB.id)]


class Sent:
    """What the changes store emitted, as (event, data, group), oldest first."""

    def __init__(self, emitted):
        self.emitted = emitted

    def next(self):
        """Return the next delivery."""
        return self.emitted.pop(0)


@pytest.fixture
def changes(durable):
    """Return (history, changes, sent): the stores opened on an empty database (sqlite, postgresql)."""
    opened = durable(MAX_REACTIONS_PER_MESSAGE=3, CHANGE_RETENTION=5)
    return opened.history, opened.changes, Sent(durable.emitted)


def test_every_kind_of_change_goes_to_the_groups_given(changes):
    """Deliver an edit, a reaction and a deletion in a DM to its two people's groups, never to room:<dm>."""
    history, store, sent = changes
    history.append(DM, ALICE, "helo")
    store.edit(DM, 1, ALICE.id, "hello", GROUPS)
    store.react(DM, 1, BOB.id, "👍", True, GROUPS)
    store.delete(DM, 1, ALICE.id, groups=GROUPS)
    delivered = [sent.next() for _ in range(3)]
    assert [(event, data["change"]) for event, data, _ in delivered] == [
        ("message-edited", 1),
        ("reaction", 2),
        ("message-deleted", 3),
    ]
    assert all(group == GROUPS for _, _, group in delivered)


def test_without_groups_a_change_goes_to_its_room(changes):
    """Deliver a room's change to room:<room>, as before groups were given."""
    history, store, sent = changes
    history.append("general", ALICE, "helo")
    store.edit("general", 1, ALICE.id, "hello")
    assert sent.next()[2] == room_group("general")
