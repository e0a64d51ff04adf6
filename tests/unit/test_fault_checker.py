"""The fault suite's checker: quiet on a clean run, and flags each promise broken in a planted run."""

import copy

import pytest

from support.faults.checker import PROMISES, Connection, FullClient, OriginalClient, Run, Sent, Stored, check


def clean_run():
    """Return a recorded run that keeps every promise: two conversations, a resend, a reconnect, both protocols."""
    general = ["alice:1", "o1:1", "alice:2", "o1:2"]
    games = ["alice:3", "bob:1"]
    run = Run(seed=7)
    run.stored = [Stored("general", n, text) for n, text in enumerate(general, 1)]
    run.stored += [Stored("games", n, text) for n, text in enumerate(games, 1)]
    run.sent = [
        Sent("alice", "general", "alice:1", acked=True, id=1),
        Sent("o1", "general", "o1:1", acked=True),
        Sent("alice", "general", "alice:2", acked=True, id=3),
        Sent("o1", "general", "o1:2", acked=False),  # cut before its ack: stored or not, nothing promised
        Sent("alice", "games", "alice:3", acked=False),  # its ack lost; the resend below is acknowledged
        Sent("alice", "games", "alice:3", acked=True, id=1),
        Sent("bob", "games", "bob:1", acked=True, id=2),
    ]
    first = Connection(["guest-a"], last_seen={"general": 0, "games": 0}, arrived={"general": [1, 2], "games": [1]})
    again = Connection(["guest-a"], last_seen={"general": 2, "games": 1}, arrived={"general": [3, 4], "games": [2]})
    alice = FullClient("alice", connections=[first, again])
    # Its first connection saw general up to 2; the reconnect's catch-up brought the rest.
    alice.received = {"general": list(enumerate(general, 1)), "games": list(enumerate(games, 1))}
    bob = FullClient("bob", connections=[Connection(["guest-b"])])
    bob.received = {"general": list(enumerate(general, 1)), "games": list(enumerate(games, 1))}
    run.full = [alice, bob]
    # An original-protocol client that missed a message while cut: at most once, in order.
    run.original = [OriginalClient("o1", received=["alice:1", "o1:1", "o1:2"])]
    return run


def plant(change):
    """Return a clean run changed by ``change`` (which edits it in place)."""
    run = copy.deepcopy(clean_run())
    change(run)
    return run


def alice(run):
    return run.full[0]


def store_twice(run):
    """Store bob:1 again as games 3, and deliver it so to every full client."""
    run.stored.append(Stored("games", 3, "bob:1"))
    for client in run.full:
        client.received["games"].append((3, "bob:1"))


def skip_an_id(run):
    """Number bob:1 games 3 instead of 2, everywhere: its acknowledgement and every view agree, the gap stays."""
    run.stored[-1] = Stored("games", 3, "bob:1")
    run.sent[-1].id = 3
    for client in run.full:
        client.received["games"][-1] = (3, "bob:1")


PLANTED = {
    "ack-not-stored": lambda run: run.sent.append(Sent("bob", "games", "bob:2", acked=True, id=3)),
    "stored-twice": store_twice,
    "ids-not-gap-free": skip_an_id,
    "view-duplicate": lambda run: alice(run).received["general"].insert(2, (1, "alice:1")),
    "view-out-of-order": lambda run: alice(run).received["games"].reverse(),
    "view-incomplete": lambda run: alice(run).received["general"].pop(1),
    "view-content": lambda run: alice(run).received["games"].__setitem__(1, (2, "bob:one")),
    "welcome-twice": lambda run: alice(run).connections[1].welcomes.append("guest-a"),
    "connection-duplicate": lambda run: alice(run).connections[1].arrived["general"].append(4),
    "below-last-seen": lambda run: alice(run).connections[1].arrived["games"].insert(0, 1),
    "event-before-connect": lambda run: setattr(alice(run).connections[0], "before_connect", 3),
    "guest-changed": lambda run: alice(run).connections[1].welcomes.__setitem__(0, "guest-a2"),
    "original-duplicate": lambda run: run.original[0].received.append("o1:2"),
    "original-out-of-order": lambda run: run.original[0].received.reverse(),
    "phantom": lambda run: run.original[0].received.append("o1:3"),
    "left-offline": lambda run: setattr(run.original[0], "left_offline", 1),
    "unserved": lambda run: setattr(alice(run), "unserved", 1),
}


def test_a_clean_run_keeps_every_promise():
    """Find nothing in a run with a resend, an unacknowledged message, a reconnect and a missed live message."""
    assert check(clean_run()) == []


def test_every_promise_has_a_planted_violation():
    """Plant a violation of each promise the checker states: a promise never planted is never shown to fail."""
    assert set(PLANTED) == set(PROMISES)


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_planted_violation_is_flagged(kind):
    """Flag a run with one promise broken, by that promise alone."""
    found = check(plant(PLANTED[kind]))
    assert {violation.kind for violation in found} == {kind}, [str(violation) for violation in found]


def test_a_full_client_that_missed_the_tail_is_incomplete():
    """Flag a client whose view stops short of the conversation's last id, though in order and without duplicates."""
    found = check(plant(lambda run: run.full[1].received["games"].pop()))
    assert [(violation.kind, violation.who) for violation in found] == [("view-incomplete", "bob in games")]


def test_a_resend_acknowledged_at_another_id_is_flagged():
    """Flag an acknowledgement whose id holds another message: the resend was stored again elsewhere."""
    found = check(plant(lambda run: run.sent.append(Sent("alice", "games", "alice:3", acked=True, id=2))))
    assert [violation.kind for violation in found] == ["ack-not-stored"]
