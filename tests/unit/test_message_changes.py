"""Edits, deletions and reactions, without sockets: every test through open_stores on a SQLite
file and on a PostgreSQL database (the ``durable`` fixture), which must behave the same."""

import pytest

from chat.model import ChatError, Member
from support.databases import first_release_history

ALICE, BOB = Member("p1", "Alice"), Member("p2", "Bob")


class Emitted:
    """What the stores emitted: ``sent``, a list of (event, data, to)."""

    def __init__(self, sent):
        self.sent = sent


@pytest.fixture
def emitted(durable):
    """Return what the stores of ``durable`` emitted."""
    return Emitted(durable.emitted)


@pytest.fixture
def stores(durable):
    """Return (history, changes) opened on an empty database, keeping 5 change records and 3 emoji a message."""
    opened = durable(MAX_REACTIONS_PER_MESSAGE=3, CHANGE_RETENTION=5)
    return opened.history, opened.changes


def one(history, room, message_id):
    (message,), _ = history.after(room, message_id - 1, 1)
    return message


def test_an_edit_rewrites_the_message_in_place_with_the_next_change_number(stores):
    """Keep the id, the sender and the time; mark it edited; number the change 1, 2, ..."""
    history, changes = stores
    first, _ = history.append("a", ALICE, "helo")
    history.append("a", BOB, "hi")
    change = changes.edit("a", 1, ALICE.id, "hello")
    assert change == {"room": "a", "id": 1, "text": "hello", "editedAt": 1_800_000_000_000, "change": 1}
    edited = one(history, "a", 1)
    assert (edited.id, edited.ts, edited.user, edited.text) == (1, first.ts, ALICE, "hello")
    assert edited.as_dict()["edited"] is True and edited.as_dict()["editedAt"] == 1_800_000_000_000
    assert changes.edit("a", 1, ALICE.id, "hello!")["change"] == 2
    assert changes.last_change("a") == 2 and changes.last_change("b") == 0
    assert [m.id for m in history.latest("a", 10)[0]] == [1, 2]


def test_only_the_sender_may_change_a_message_and_only_one_that_exists(stores):
    """Refuse someone else's message as forbidden, an unknown or deleted one as not_found; number nothing."""
    history, changes = stores
    history.append("a", ALICE, "mine")
    for attempt in (lambda: changes.edit("a", 1, BOB.id, "x"), lambda: changes.delete("a", 1, BOB.id)):
        with pytest.raises(ChatError) as refused:
            attempt()
        assert refused.value.code == "forbidden"
    for attempt in (
        lambda: changes.edit("a", 2, ALICE.id, "x"),
        lambda: changes.delete("b", 1, ALICE.id),
        lambda: changes.react("a", 7, ALICE.id, "👍", True),
    ):
        with pytest.raises(ChatError) as refused:
            attempt()
        assert refused.value.code == "not_found"
    assert changes.last_change("a") == 0 and one(history, "a", 1).text == "mine"


def test_a_deletion_leaves_a_tombstone_in_place(stores):
    """Keep the id and sender, empty the text, drop the reactions; refuse further changes to it."""
    history, changes = stores
    for text in ("one", "two", "three"):
        history.append("a", ALICE, text)
    changes.react("a", 2, BOB.id, "👍", True)
    assert changes.delete("a", 2, ALICE.id) == {"room": "a", "id": 2, "change": 2}
    messages, _ = history.latest("a", 10)
    assert [(m.id, m.text, m.deleted, m.reactions) for m in messages] == [
        (1, "one", False, None),
        (2, "", True, None),
        (3, "three", False, None),
    ]
    assert messages[1].user == ALICE and messages[1].as_dict()["deleted"] is True
    with pytest.raises(ChatError) as refused:
        changes.edit("a", 2, ALICE.id, "back")
    assert refused.value.code == "not_found"
    assert changes.delete("a", 3)["change"] == 3  # without a person: anyone's, for moderation


def test_reactions_toggle_per_person_with_a_bound_on_distinct_emoji(stores):
    """Add and take away each person's reaction; a toggle that changes nothing is None; refuse a 4th emoji."""
    history, changes = stores
    history.append("a", ALICE, "x")
    assert changes.react("a", 1, ALICE.id, "👍", True)["users"] == [ALICE.id]
    assert changes.react("a", 1, BOB.id, "👍", True) == {
        "room": "a",
        "id": 1,
        "emoji": "👍",
        "count": 2,
        "users": [ALICE.id, BOB.id],
        "change": 2,
    }
    assert changes.react("a", 1, BOB.id, "👍", True) is None
    changes.react("a", 1, BOB.id, "🎉", True)
    changes.react("a", 1, BOB.id, "❤️", True)
    with pytest.raises(ChatError) as refused:
        changes.react("a", 1, BOB.id, "😀", True)
    assert refused.value.code == "too_many_reactions"
    assert one(history, "a", 1).reactions == {"👍": [ALICE.id, BOB.id], "🎉": [BOB.id], "❤️": [BOB.id]}
    assert changes.react("a", 1, BOB.id, "🎉", False) == {
        "room": "a",
        "id": 1,
        "emoji": "🎉",
        "count": 0,
        "users": [],
        "change": 5,
    }
    assert changes.react("a", 1, BOB.id, "🎉", False) is None
    changes.react("a", 1, ALICE.id, "👍", False)
    changes.react("a", 1, BOB.id, "👍", False)
    changes.react("a", 1, BOB.id, "❤️", False)
    assert one(history, "a", 1).reactions is None and "reactions" not in one(history, "a", 1).as_dict()


def test_catching_up_returns_the_changes_after_a_number_to_messages_already_had(stores):
    """Return change records in order, with their event, for ids up to the one given; signal lost ones."""
    history, changes = stores
    for text in ("one", "two", "three"):
        history.append("a", ALICE, text)
    changes.edit("a", 1, ALICE.id, "uno")
    changes.edit("a", 3, ALICE.id, "tres")
    changes.delete("a", 2, ALICE.id)
    records, more, lost = changes.after("a", 1, upto_id=2)
    assert records == [{"event": "message-deleted", "room": "a", "id": 2, "change": 3}]
    assert (more, lost) == (False, False)
    records, _, _ = changes.after("a", 0)
    assert [(r["event"], r["change"]) for r in records] == [
        ("message-edited", 1),
        ("message-edited", 2),
        ("message-deleted", 3),
    ]
    assert changes.after("a", 3) == ([], False, False)
    records, more, _ = changes.after("a", 0, limit=2)
    assert [r["change"] for r in records] == [1, 2] and more


def test_old_change_records_go_under_retention_and_the_loss_is_signalled(stores):
    """Keep the newest ``retention`` (5) records of a room; a catch-up from before them is told of a gap."""
    history, changes = stores
    history.append("a", ALICE, "x")
    for n in range(8):
        changes.edit("a", 1, ALICE.id, f"x{n}")
    records, _, lost = changes.after("a", 0)
    assert [r["change"] for r in records] == [4, 5, 6, 7, 8] and lost
    assert changes.after("a", 3)[2] is False
    assert changes.after("a", 2)[2] is True


def test_a_deleted_message_no_longer_counts_as_a_mention(durable):
    """Take a deleted message's mentions away with its text, so the unread mentions count it no more."""
    opened = durable()
    message, _ = opened.history.append("a", ALICE, "@Bob look", mentions=("p2",))
    opened.reads.mention("a", message.id, ["p2"])
    opened.changes.delete("a", message.id, ALICE.id)
    assert opened.reads.mentions_after("p2", "a", 0) == 0
    assert one(opened.history, "a", message.id).mentions == ()


def test_removing_a_room_forgets_its_change_records_and_keeps_its_numbering(stores):
    """Send a room made again under the name none of the old room's changes; number its next change on."""
    history, changes = stores
    history.add_room("a")
    history.append("a", ALICE, "x")
    changes.edit("a", 1, ALICE.id, "old edit")
    changes.react("a", 1, BOB.id, "👍", True)
    history.append("b", ALICE, "y")
    changes.edit("b", 1, ALICE.id, "kept")
    history.remove_room("a")
    changes.remove_room("a")
    history.add_room("a")
    assert changes.after("a", 0)[0] == [] and changes.last_change("a") == 2
    history.append("a", ALICE, "new")
    assert changes.edit("a", 2, ALICE.id, "new edit")["change"] == 3
    assert [r["text"] for r in changes.after("b", 0)[0]] == ["kept"]


def test_edits_keep_any_text_exactly(stores):
    """Store quotes, backslashes, slashes, emoji and newlines in an edit exactly as sent."""
    history, changes = stores
    history.append("a", ALICE, "x", client_id="c1")
    text = 'say "hi" \\ / <b>é</b> 👍\nnext'
    changes.edit("a", 1, ALICE.id, text)
    assert one(history, "a", 1).text == text
    assert history.find("a", ALICE.id, "c1").text == text


def test_a_change_is_emitted_to_the_room_in_one_process(durable, emitted):
    """Emit each change to the room's group as its live event, in change order."""
    opened = durable(MAX_REACTIONS_PER_MESSAGE=20, CHANGE_RETENTION=0)
    history, changes = opened.history, opened.changes
    history.append("a", ALICE, "x")
    changes.edit("a", 1, ALICE.id, "y")
    changes.react("a", 1, BOB.id, "👍", True)
    changes.delete("a", 1, ALICE.id)
    assert [(event, data["change"], to) for event, data, to in emitted.sent] == [
        ("message-edited", 1, "room:a"),
        ("reaction", 2, "room:a"),
        ("message-deleted", 3, "room:a"),
    ]


def test_an_older_database_gains_the_new_columns(tmp_path, make_durable):
    """Open a history file made before edits and reactions: its messages read unchanged, and can be edited."""
    path = first_release_history(str(tmp_path / "old.sqlite3"), ts=5)
    opened = make_durable(path)
    history = opened.history
    assert one(history, "a", 1).as_dict() == {"room": "a", "id": 1, "ts": 5, "user": ALICE.as_dict(), "text": "old"}
    opened.changes.edit("a", 1, "p1", "new")
    assert one(history, "a", 1).text == "new"


@pytest.mark.postgres
def test_two_processes_emit_a_rooms_changes_in_change_order(postgres, make_durable):
    """Emit every change, from two processes reacting at once, in change order, with the users' empty list as []."""
    import threading

    url = postgres.database()
    first, second = make_durable(url), make_durable(url)
    first.history.append("a", ALICE, "x")
    start = threading.Barrier(2)

    def react(stores, person):
        start.wait()
        for _ in range(10):
            stores.changes.react("a", 1, person, "👍", True)
            stores.changes.react("a", 1, person, "👍", False)

    threads = [threading.Thread(target=react, args=pair) for pair in ((first, "p1"), (second, "p2"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = make_durable.emitted
    assert [data["change"] for _, data, _ in sent] == list(range(1, 41))
    assert all(event == "reaction" and to == "room:a" for event, _, to in sent)
    assert sent[-1][1]["users"] == [] or sent[-2][1]["users"] == []


def test_half_an_emoji_survives_edits_and_reactions(stores):
    """Keep a lone surrogate (which a JavaScript string can hold) in an edit, and in a message reacted to."""
    history, changes = stores
    history.append("a", ALICE, "half \ud83d")
    changes.react("a", 1, BOB.id, "👍", True)
    assert one(history, "a", 1).text == "half \ud83d"
    changes.edit("a", 1, ALICE.id, "\ude00 other half")
    assert one(history, "a", 1).text == "\ude00 other half"
    assert one(history, "a", 1).reactions == {"👍": [BOB.id]}


def test_simultaneous_reactions_are_all_kept_with_distinct_change_numbers(stores):
    """Keep every person's reaction when many react to one message at once; number the changes 1..N."""
    import threading

    history, changes = stores
    history.append("a", ALICE, "x")
    numbers = []
    start = threading.Barrier(8)

    def react(person):
        start.wait()
        for emoji in ("👍", "🎉"):
            numbers.append(changes.react("a", 1, person, emoji, True)["change"])

    threads = [threading.Thread(target=react, args=(f"p{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 17))
    assert {emoji: sorted(users) for emoji, users in one(history, "a", 1).reactions.items()} == {
        "👍": sorted(f"p{n}" for n in range(8)),
        "🎉": sorted(f"p{n}" for n in range(8)),
    }
