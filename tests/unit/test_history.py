"""The history, without sockets: every test runs twice, through open_stores on a SQLite file
and on a PostgreSQL database (the ``durable`` fixture)."""

import threading

import pytest
import sqlalchemy as sa

from chat.model import Member
from chat.stores.sql.schema import rooms
from support.databases import first_release_history

ALICE = Member("p1", "Alice")
BOB = Member("p2", "Bob")


@pytest.fixture
def clock(wall_clock):
    """Return the durable stores' fake wall clock."""
    return wall_clock


@pytest.fixture
def history(durable):
    """Return the history of stores opened on an empty database."""
    return durable().history


def texts(messages):
    return [message.text for message in messages]


def test_ids_count_up_per_room_with_server_time(history, clock):
    """Number each room's messages 1, 2, 3, ... and stamp them in milliseconds."""
    ids = [history.append(room, ALICE, "x")[0].id for room in ("a", "b", "a", "a", "b")]
    assert ids == [1, 1, 2, 3, 2]
    assert history.append("a", ALICE, "x")[0].ts == 1_800_000_000_000


def test_ids_stay_gap_free_under_concurrent_writers(history):
    """Give every message of many threads a distinct id, together 1..N."""

    def write():
        for _ in range(50):
            history.append("a", ALICE, "x")

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    messages, more = history.after("a", 0, 1000)
    assert [m.id for m in messages] == list(range(1, 401)) and not more


def test_latest_and_pages_of_older_messages(history):
    """Return the latest messages oldest first, then older pages before an id."""
    for n in range(1, 8):
        history.append("a", ALICE, f"m{n}")
    latest, more = history.latest("a", 3)
    assert texts(latest) == ["m5", "m6", "m7"] and more
    older, more = history.before("a", latest[0].id, 3)
    assert texts(older) == ["m2", "m3", "m4"] and more
    oldest, more = history.before("a", older[0].id, 3)
    assert texts(oldest) == ["m1"] and not more


def test_everything_after_an_id(history):
    """Return every message after an id, in order, in bounded chunks."""
    for n in range(1, 6):
        history.append("a", ALICE, f"m{n}")
    chunk, more = history.after("a", 1, 2)
    assert texts(chunk) == ["m2", "m3"] and more
    chunk, more = history.after("a", 3, 10)
    assert texts(chunk) == ["m4", "m5"] and not more


def test_a_resent_client_id_returns_the_original(history):
    """Store a client id once per room and sender; a resend gets the original back, nothing new stored."""
    first, new = history.append("a", ALICE, "hello", client_id="uuid-1")
    assert new
    again, new = history.append("a", ALICE, "hello again", client_id="uuid-1")
    assert not new and again == first
    assert history.append("b", ALICE, "elsewhere", client_id="uuid-1")[1]
    assert history.last_id("a") == 1
    assert history.find("a", ALICE.id, "uuid-1") == first


def test_a_client_id_is_recognised_per_sender(history):
    """Store a message whose client id another sender used in the room; find each by its own sender."""
    alices, _ = history.append("a", ALICE, "from Alice", client_id="c-1")
    bobs, new = history.append("a", BOB, "from Bob", client_id="c-1")
    assert new and bobs.text == "from Bob" and bobs.id == 2
    assert history.find("a", ALICE.id, "c-1") == alices and history.find("a", BOB.id, "c-1") == bobs
    assert history.find("a", "p3", "c-1") is None
    assert history.append("a", BOB, "from Bob", client_id="c-1") == (bobs, False)


def test_messages_survive_reopening(durable):
    """Keep messages and numbering across a restart."""
    store = durable().history
    store.append("a", ALICE, "before the restart", client_id="u1")
    store.close()
    reopened = durable().history
    assert texts(reopened.latest("a", 10)[0]) == ["before the restart"]
    assert reopened.append("a", ALICE, "after")[0].id == 2
    assert reopened.find("a", ALICE.id, "u1").text == "before the restart"


def test_retention_by_count_and_age(history, clock):
    """Keep the newest N per room and nothing older than the age limit; ids carry on."""
    for n in range(1, 6):
        history.append("a", ALICE, f"m{n}")
    history.append("b", ALICE, "old")
    assert history.retain(per_room=3, max_age_seconds=0) == 2
    assert texts(history.after("a", 0, 10)[0]) == ["m3", "m4", "m5"]
    assert history.first_id("a") == 3
    clock.now += 3600
    history.append("b", ALICE, "new")
    assert history.retain(per_room=0, max_age_seconds=1800) == 4
    assert texts(history.after("b", 0, 10)[0]) == ["new"]
    assert history.append("a", ALICE, "next")[0].id == 6


def test_rooms_are_kept_and_removal_keeps_numbering(history):
    """Record rooms; a removed room loses its messages but not its numbering."""
    history.add_room("games")
    history.append("games", ALICE, "x")
    assert "games" in history.rooms()
    history.remove_room("games")
    assert "games" not in history.rooms() and history.latest("games", 10) == ([], False)
    history.add_room("games")
    assert history.append("games", ALICE, "y")[0].id == 2


def test_text_is_kept_exactly_even_with_a_lone_surrogate(history):
    """Keep text a JavaScript string can hold but UTF-8 cannot: half an emoji."""
    text = "half \ud83d an emoji"
    assert history.append("a", ALICE, text)[0].text == text
    assert history.latest("a", 1)[0][0].text == text


def test_text_and_client_ids_are_kept_exactly_with_nul_and_surrogates(history):
    """Keep U+0000 (which PostgreSQL's text refuses) and lone surrogates, in the text and the clientId."""
    text, client_id = "nul \x00 here, \udc00 low and \ud83d\ude00 a pair kept apart", "id\x00\ud800"
    message, _ = history.append("a", ALICE, text, client_id)
    assert (message.text, message.client_id) == (text, client_id)
    assert history.after("a", 0, 10)[0][0].text == text
    assert history.find("a", ALICE.id, client_id) == message
    assert history.append("a", ALICE, "again", client_id) == (message, False)


def test_mentions_are_kept_with_the_message(history):
    """Return a message's mentioned person ids wherever the message is read back."""
    message, _ = history.append("a", ALICE, "hi @Bob and @Carol", "c1", mentions=("p2", "p 3"))
    plain, _ = history.append("a", ALICE, "no one")
    assert message.mentions == ("p2", "p 3") and message.as_dict()["mentions"] == ["p2", "p 3"]
    assert "mentions" not in plain.as_dict()
    assert [m.mentions for m in history.latest("a", 10)[0]] == [("p2", "p 3"), ()]
    assert history.find("a", ALICE.id, "c1").mentions == ("p2", "p 3")


def test_an_older_database_gains_the_mentions_column(tmp_path, make_durable):
    """Open a database made before mentions existed, keeping its messages and adding the column."""
    path = first_release_history(str(tmp_path / "old.sqlite3"), ts=0)
    history = make_durable(path).history
    assert [(m.text, m.mentions) for m in history.latest("a", 10)[0]] == [("old", ())]
    message, _ = history.append("a", ALICE, "new", mentions=("p2",))
    assert (message.id, history.latest("a", 10)[0][-1].mentions) == (2, ("p2",))


ODD_TEXTS = [
    "half \ud83d an emoji",
    "\udc00",
    "nul \x00 inside",
    '{"not": "json", "unclosed": [',
    '"\\ud800" escaped, \\u0000 too',
    "x" * 100_000,
    "\ufffe\uffff noncharacters \U0010ffff",
]


def test_retention_trims_every_room_whatever_its_messages_hold(durable, wall_clock):
    """Trim every room by count and by age, past messages holding lone surrogates, NUL, odd JSON, huge text."""
    stores = durable()
    history, changes = stores.history, stores.changes
    rooms = [f"room{n}" for n in range(4)] + ["dm:odd"]
    for room in rooms:
        for text in ODD_TEXTS:
            message, _ = history.append(room, ALICE, text, client_id=text[:40], mentions=("p\ud800",))
        changes.react(room, message.id, "p\udc00", "\ud83d", True)
        changes.edit(room, message.id, ALICE.id, text + "\ud800")
    assert history.retain(per_room=2, max_age_seconds=0) == len(rooms) * (len(ODD_TEXTS) - 2)
    for room in rooms:
        assert [m.id for m in history.after(room, 0, 100)[0]] == [len(ODD_TEXTS) - 1, len(ODD_TEXTS)]
    wall_clock.now += 3600
    history.append("room0", ALICE, "new \ud800")
    assert history.retain(per_room=2, max_age_seconds=60) == len(rooms) * 2
    assert texts(history.after("room0", 0, 100)[0]) == ["new \ud800"]


def test_retention_takes_a_messages_mentions_and_change_records_with_it(durable):
    """Count no mention of a message retention removed, and keep no change record of it."""
    stores = durable()
    history, changes, reads = stores.history, stores.changes, stores.reads
    for n in range(1, 6):
        message, _ = history.append("a", ALICE, f"@Bob {n}", mentions=("p2",))
        reads.mention("a", message.id, ["p2"])
        changes.react("a", message.id, "p2", "👍", True)
    history.append("b", ALICE, "@Bob elsewhere", mentions=("p2",))
    reads.mention("b", 1, ["p2"])
    assert reads.mentions_after("p2", "a", 0) == 5
    history.retain(per_room=2, max_age_seconds=0)
    assert reads.mentions_after("p2", "a", 0) == 2 and reads.mentions_after("p2", "b", 0) == 1
    records, _, lost = changes.after("a", 0)
    assert [r["id"] for r in records] == [4, 5] and lost
    assert changes.after("a", 3) == (records, False, False)


def test_removed_rooms_numbering_is_kept_for_a_bounded_number_and_new_rooms_number_past_the_forgotten(
    durable, wall_clock
):
    """Keep REMOVED_ROOMS_KEPT removed rooms' counters; forget the oldest, and number new rooms past them."""
    stores = durable(REMOVED_ROOMS_KEPT=2)
    history, changes = stores.history, stores.changes
    for room, count in (("r1", 5), ("r2", 2), ("r3", 1)):
        history.add_room(room)
        for _ in range(count):
            history.append(room, ALICE, "x")
        wall_clock.now += 1
    for _ in range(3):
        changes.edit("r1", 1, ALICE.id, "y")
    for room in ("r1", "r2", "r3"):
        history.remove_room(room)
        changes.remove_room(room)
        wall_clock.now += 1
    count_removed = sa.select(sa.func.count()).select_from(rooms).where(rooms.c.removed == 1)
    assert history.database.read(lambda db: db.execute(count_removed).scalar()) == 2
    assert history.last_id("r1") == 0 and changes.last_change("r1") == 0  # forgotten
    for room in ("r1", "fresh"):
        history.add_room(room)
        assert history.append(room, ALICE, "new")[0].id == 6
        assert changes.edit(room, 6, ALICE.id, "z")["change"] == 4
    history.add_room("r2")
    assert history.append("r2", ALICE, "new")[0].id == 3


def test_a_room_that_exists_keeps_its_numbering_when_added_again(durable, wall_clock):
    """Leave an existing room's counters as they are when it is added again (every start adds the rooms it knows)."""
    stores = durable(REMOVED_ROOMS_KEPT=0)
    history, changes = stores.history, stores.changes
    history.add_room("gone")
    history.append("gone", ALICE, "x")
    changes.edit("gone", 1, ALICE.id, "y")
    history.add_room("general")
    history.remove_room("gone")  # forgotten at once: the floors rise to 1 and 1
    history.add_room("general")
    assert changes.last_change("general") == 0 and history.last_id("general") == 0
    history.add_room("fresh")
    assert changes.last_change("fresh") == 1 and history.last_id("fresh") == 1


def test_retention_moves_read_markers_past_what_it_removed(durable, wall_clock):
    """Count no message retention removed as unread: a marker behind the oldest kept moves up to just before it."""
    stores = durable()
    history, reads = stores.history, stores.reads
    for _ in range(10):
        history.append("a", ALICE, "x")
    history.append("b", ALICE, "old")
    for person, upto in (("p1", 1), ("p2", 9)):
        reads.mark(Member(person, person), "a", upto)
    reads.start("p1", "b", 0)
    history.retain(per_room=3, max_age_seconds=0)
    assert (reads.marker("p1", "a"), reads.marker("p2", "a"), reads.marker("p1", "b")) == (7, 9, 0)
    assert [m.id for m in reads.readers("a", 7, 10)[0]] == ["p1", "p2"]
    wall_clock.now += 3600
    history.retain(per_room=0, max_age_seconds=60)  # every message goes
    assert (reads.marker("p1", "a"), reads.marker("p1", "b")) == (10, 1)
