"""Read markers, memberships and mentions, without sockets: every test runs twice, through
open_stores on a SQLite file and on a PostgreSQL database (the ``durable`` fixture)."""

import pytest

from chat.model import Member

ALICE = Member("p1", "Alice")
BOB = Member("p2", "Bob")


@pytest.fixture
def reads(durable):
    """Return the read markers of stores opened on an empty database."""
    return durable().reads


def test_a_marker_only_moves_forward(reads):
    """Return the previous marker when it moves, None when asked to stay or go back."""
    assert reads.marker("p1", "general") == 0
    assert reads.mark(ALICE, "general", 5) == 0
    assert reads.mark(ALICE, "general", 3) is None
    assert reads.mark(ALICE, "general", 5) is None
    assert reads.mark(ALICE, "general", 9) == 5
    assert reads.marker("p1", "general") == 9
    assert reads.marker("p1", "other") == 0
    assert reads.marker("p2", "general") == 0


def test_start_sets_a_marker_only_for_someone_without_one(reads):
    """Count what came before a first join as read; never move an existing marker."""
    reads.start("p1", "general", 7)
    assert reads.marker("p1", "general") == 7
    reads.start("p1", "general", 20)
    assert reads.marker("p1", "general") == 7
    assert reads.mark(ALICE, "general", 8) == 7


def test_readers_are_those_past_an_id_bounded(reads):
    """List who has read up to an id or past it, at most ``limit``, saying whether more have."""
    carol = Member("p3", "Carol", guest=True)
    reads.mark(ALICE, "general", 4)
    reads.mark(BOB, "general", 10)
    reads.mark(carol, "general", 6)
    reads.start("p4", "general", 50)  # never read anything here: not a reader
    assert reads.readers("general", 5, 10) == ([carol, BOB], False)
    assert reads.readers("general", 1, 2) == ([ALICE, carol], True)
    assert reads.readers("general", 11, 10) == ([], False)
    assert reads.readers("other", 1, 10) == ([], False)


def test_a_reader_is_shown_as_they_were_when_they_last_marked(reads):
    """Keep the reader's latest name."""
    reads.mark(ALICE, "general", 1)
    reads.mark(Member("p1", "Alicia"), "general", 2)
    assert reads.readers("general", 1, 10) == ([Member("p1", "Alicia")], False)


def test_mentions_are_counted_after_a_marker(reads):
    """Count the messages that mention a person newer than an id, per room."""
    reads.mention("general", 3, ["p1", "p2"])
    reads.mention("general", 8, ["p1"])
    reads.mention("other", 9, ["p1"])
    assert reads.mentions_after("p1", "general", 0) == 2
    assert reads.mentions_after("p1", "general", 3) == 1
    assert reads.mentions_after("p1", "general", 8) == 0
    assert reads.mentions_after("p2", "general", 0) == 1
    assert reads.mentions_after("p3", "general", 0) == 0


def test_membership_lasts_until_the_person_leaves(reads):
    """Keep the rooms a person joined, sorted, until they leave each."""
    reads.join("p1", "general")
    reads.join("p1", "books")
    reads.join("p1", "books")
    reads.join("p2", "general")
    assert reads.belongs("p1") == ["books", "general"]
    reads.leave("p1", "general")
    assert reads.belongs("p1") == ["books"]
    assert reads.belongs("p2") == ["general"]
    assert reads.belongs("p3") == []


def test_removing_a_room_forgets_its_markers_members_and_mentions(reads):
    """Leave nothing of a removed room, and nothing of the others gone."""
    for room in ("books", "general"):
        reads.join("p1", room)
        reads.mark(ALICE, room, 4)
        reads.mention(room, 4, ["p1"])
    reads.remove_room("books")
    assert reads.belongs("p1") == ["general"]
    assert reads.marker("p1", "books") == 0
    assert reads.mentions_after("p1", "books", 0) == 0
    assert reads.readers("books", 1, 10) == ([], False)
    assert reads.marker("p1", "general") == 4
    assert reads.mentions_after("p1", "general", 0) == 1


def test_markers_survive_a_restart(durable):
    """Keep markers and memberships in the database, as the history is."""
    first = durable().reads
    first.mark(ALICE, "general", 3)
    first.join("p1", "general")
    first.close()
    again = durable().reads
    assert again.marker("p1", "general") == 3
    assert again.belongs("p1") == ["general"]
