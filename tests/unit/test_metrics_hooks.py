"""The metrics hooks without an app: the timed history on both databases, deliveries counted once per emit."""

import pytest
from sqlalchemy.exc import ResourceClosedError

from chat import metrics
from chat.model import Member

ALICE = Member("p1", "Alice")


@pytest.fixture
def counting(monkeypatch):
    """Turn the hooks on for one test."""
    monkeypatch.setattr(metrics, "enabled", True)


@pytest.fixture
def history(durable):
    """Return the history of stores opened with METRICS on an empty database, timed by chat/metrics.py."""
    return durable(METRICS=True).history


def _count(operation):
    """Return how many calls ``chat_history_seconds`` has observed for ``operation``."""
    return sum(bucket.get() for bucket in metrics.HISTORY_SECONDS.labels(operation)._buckets)


def test_a_timed_history_behaves_as_before_and_is_timed(history):
    """Return what the store returns, and observe one append or read for each call."""
    appends, reads = _count("append"), _count("read")
    message, new = history.append("a", ALICE, "hello", "c1")
    assert new and message.text == "hello"
    assert history.append("a", ALICE, "hello", "c1") == (message, False)
    assert history.find("a", ALICE.id, "c1") == message
    assert history.before("a", None, 10) == ([message], False)
    assert history.after("a", 0, 10)[0] == [message]
    assert history.latest("a", 10)[0] == [message]
    assert _count("append") - appends == 2
    assert _count("read") - reads == 4


def test_a_timed_history_still_times_a_failing_call(history):
    """Observe a call that raises, and let the error through."""
    store = history
    reads = _count("read")
    store.close()
    with pytest.raises(ResourceClosedError):
        store.before("a", None, 10)
    assert _count("read") - reads == 1


class Participants:
    """A stand-in for python-socketio's client manager: the participants of a room."""

    def __init__(self, rooms):
        self.rooms = rooms

    def get_participants(self, namespace, room):
        yield from self.rooms.get(room, {}).items()


def test_deliveries_count_each_emit_once_with_its_recipients(counting):
    """Add an emit's number of participants in one increment; an empty room adds nothing."""
    manager = Participants({"seed": {"s1": "e1", "s2": "e2", "s3": "e3"}})
    metrics.count_deliveries(manager)
    before = metrics.DELIVERIES._value.get()
    assert list(manager.get_participants("/", "seed")) == [("s1", "e1"), ("s2", "e2"), ("s3", "e3")]
    assert list(manager.get_participants("/", "nobody")) == []
    assert metrics.DELIVERIES._value.get() - before == 3


def test_hooks_count_nothing_while_metrics_are_off(monkeypatch):
    """Leave every counter alone while no app has METRICS on."""
    monkeypatch.setattr(metrics, "enabled", False)
    before = (
        metrics.DELIVERIES._value.get(),
        metrics.SLOW_CLIENTS_CUT._value.get(),
        metrics.QUEUE_PUBLISH_FAILURES._value.get(),
        metrics.MESSAGES_ACCEPTED._value.get(),
    )
    metrics.delivered(10)
    metrics.slow_client_cut()
    metrics.publish_failed()
    metrics.message_accepted()
    assert (
        metrics.DELIVERIES._value.get(),
        metrics.SLOW_CLIENTS_CUT._value.get(),
        metrics.QUEUE_PUBLISH_FAILURES._value.get(),
        metrics.MESSAGES_ACCEPTED._value.get(),
    ) == before
