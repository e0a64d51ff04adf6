"""The delivery store, without the app: every test runs twice, on the in-process delivery and
on the Redis one, each behind a real python-socketio server whose outgoing packets are
recorded (with Redis, through a real redis-server and the server's message queue)."""

import json
import logging
import queue
import threading
import time
import uuid

import pytest
import socketio

from chat.model import SEED, Member, full_person_group, room_group
from chat.stores.local.delivery import LocalDelivery
from chat.stores.redis.delivery import ChatRedisManager, RedisDelivery
from chat.stores.sql import Database
from chat.stores.sql.history import SqlHistory
from chat.stores.sql.migrate import upgrade
from support import TIMEOUT
from support.postgres import empty_database

ALICE = Member("p1", "Alice")


class Deliveries:
    """A python-socketio server with a delivery store; records what it sends to each connection."""

    def __init__(self, history, manager=None):
        self.server = socketio.Server(async_mode="threading", client_manager=manager)
        self.history = history
        if manager is None:
            self.delivery = LocalDelivery(history, self.server.emit)
        else:
            self.delivery = RedisDelivery(history, manager, self.server.emit)
        self._sent = {}  # Engine.IO session -> queue of (event, data) sent to it
        self.server._send_eio_packet = self._record

    def _record(self, eio_sid, packet):
        event, data = json.loads(packet.data[1:])  # "2" + '["event", data]': a Socket.IO EVENT
        self._sent[eio_sid].put((event, data))

    def connection(self, *groups):
        """Return a new connection (its Engine.IO session id), in ``groups``."""
        eio_sid = uuid.uuid4().hex
        self._sent[eio_sid] = queue.Queue()
        sid = self.server.manager.connect(eio_sid, "/")
        for group in groups:
            self.server.manager.enter_room(sid, "/", group)
        return eio_sid

    def join(self, eio_sid, group):
        """Put an existing connection in ``group``."""
        self.server.manager.enter_room(self.server.manager.sid_from_eio_sid(eio_sid, "/"), "/", group)

    def next(self, eio_sid):
        """Return the next (event, data) sent to the connection, waiting for it."""
        return self._sent[eio_sid].get(timeout=TIMEOUT)

    def post(self, text, room="general", client_id=None, to_seed=False):
        return self.delivery.post(room, ALICE, text, client_id, to_seed)


def sql_history(url):
    """Return a history on the database at ``url``, upgraded."""
    database = Database(url)
    upgrade(database)
    return SqlHistory(database)


def redis_process(request, url, channel):
    """Return the recorded deliveries of one process on Redis (its message queue on ``channel``) and ``url``."""
    client = request.getfixturevalue("redis_db")
    port = request.getfixturevalue("shared_redis").port
    manager = ChatRedisManager(f"redis://127.0.0.1:{port}/0", channel)
    recorded = Deliveries(sql_history(url), manager)
    subscribed = client.pubsub_numsub(channel)[0][1]
    manager.initialize()
    deadline = time.monotonic() + TIMEOUT
    while client.pubsub_numsub(channel)[0][1] <= subscribed:  # Redis says nothing else when the listener subscribed
        assert time.monotonic() < deadline, "the message queue never subscribed"
        time.sleep(0.01)
    return recorded


def quiet(recorded):
    """Keep a process's listener thread, which runs on until the test process ends, from logging Redis's end."""
    recorded.delivery._manager.logger = logging.getLogger("tests.deliveries.finished")
    recorded.delivery._manager.logger.disabled = True


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.postgres)])
def deliveries(request, tmp_path):
    """Return the recorded deliveries of one process: alone on SQLite, or on an emptied Redis and PostgreSQL."""
    if request.param == "in-process":
        history = sql_history(str(tmp_path / "chat.sqlite3"))
        yield Deliveries(history)
        history.close()
        return
    url = request.getfixturevalue("postgres_database")
    empty_database(url)
    recorded = redis_process(
        request, url, f"deliveries-{uuid.uuid4().hex}"
    )  # its own channel: earlier tests' listeners hear nothing
    yield recorded
    recorded.history.close()
    quiet(recorded)


@pytest.mark.postgres
def test_two_processes_posting_at_once_deliver_in_id_order_everywhere(request, postgres_database):
    """Deliver once and in id order on both processes, though each publishes after its commit and may be overtaken."""
    empty_database(postgres_database)
    channel = f"deliveries-{uuid.uuid4().hex}"
    processes = [redis_process(request, postgres_database, channel) for _ in range(2)]
    receivers = [(process, process.connection(room_group("general"))) for process in processes]
    for process in processes:
        process.delivery.enter("general", lambda: None, lambda upto: None)  # each process watches the room

    def send(process, n):
        for m in range(50):
            process.post(f"{n}-{m}")

    senders = [threading.Thread(target=send, args=(process, n)) for n, process in enumerate(processes * 2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    for process, receiver in receivers:
        assert [process.next(receiver)[1]["id"] for _ in range(200)] == list(range(1, 201))
    for process in processes:
        process.history.close()
        quiet(process)


def test_every_receiver_gets_a_room_s_messages_once_in_id_order(deliveries):
    """Deliver the messages of several simultaneous senders once each, in id order, to every receiver."""
    first, second = deliveries.connection(room_group("general")), deliveries.connection(room_group("general"))
    seed = deliveries.connection(SEED)

    def send(n):
        for m in range(25):
            deliveries.post(f"{n}-{m}", to_seed=True)

    senders = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    for receiver in (first, second):
        messages = [deliveries.next(receiver) for _ in range(100)]
        assert {event for event, _ in messages} == {"room-message"}
        assert [data["id"] for _, data in messages] == list(range(1, 101))
    in_order = [message.text for message in deliveries.history.after("general", 0, 100)[0]]
    assert [deliveries.next(seed) for _ in range(100)] == [("message", text) for text in in_order]


def test_a_room_s_messages_reach_only_its_group_and_the_seed_only_when_asked(deliveries):
    """Send a room's message to that room's group alone, and its bare text to the seed only with to_seed."""
    games, general, seed = (
        deliveries.connection(group) for group in (room_group("games"), room_group("general"), SEED)
    )
    deliveries.post("in games", room="games")
    deliveries.post("in general", to_seed=True)
    assert deliveries.next(games)[1]["text"] == "in games"
    assert deliveries.next(general)[1]["text"] == "in general"
    assert deliveries.next(seed) == ("message", "in general")
    deliveries.post("games again", room="games")
    assert deliveries.next(games)[1]["text"] == "games again"
    deliveries.post("general again")  # not to the seed
    assert deliveries.next(general)[1]["text"] == "general again"
    deliveries.post("last", to_seed=True)
    assert deliveries.next(seed) == ("message", "last")  # the first thing the seed got since "in general"


def test_a_resend_is_acknowledged_with_the_original_and_not_delivered_again(deliveries):
    """Return (the original, False) for a stored clientId, and deliver nothing for it."""
    receiver = deliveries.connection(room_group("general"))
    original, new = deliveries.post("hello", client_id="c-1")
    assert new
    again, new = deliveries.post("hello, edited", client_id="c-1")
    assert not new and again == original
    deliveries.post("after")
    assert [deliveries.next(receiver)[1]["text"] for _ in range(2)] == ["hello", "after"]


def test_history_and_live_delivery_meet_on_entering(deliveries):
    """Give a connection entering a busy room every message once: in its history or live after it."""
    for n in range(20):
        deliveries.post(f"before {n}")
    sending = threading.Event()

    def send():
        for n in range(200):
            deliveries.post(f"during {n}")
            sending.set()

    sender = threading.Thread(target=send)
    sender.start()
    sending.wait(TIMEOUT)
    newcomer = deliveries.connection()
    history = []
    deliveries.delivery.enter(
        "general",
        lambda: deliveries.join(newcomer, room_group("general")),
        lambda upto: history.extend(deliveries.history.after("general", 0, 1000, upto)[0]),
    )
    sender.join()
    seen = [message.id for message in history]
    while not seen or seen[-1] < 220:
        event, data = deliveries.next(newcomer)
        assert event == "room-message"
        seen.append(data["id"])
    assert seen == list(range(1, 221))


@pytest.mark.postgres
def test_histories_of_several_dms_meet_their_live_delivery_on_one_join(deliveries):
    """Give a connection joining its person's DM audience every message of two busy DMs once: in a history or live."""
    dms, audience = ["dm:1", "dm:2"], [full_person_group("a"), full_person_group("b")]
    for dm in dms:
        for n in range(10):
            deliveries.delivery.post(dm, ALICE, f"before {n}", groups=audience)
    sending = threading.Event()

    def send():
        for n in range(100):
            for dm in dms:
                deliveries.delivery.post(dm, ALICE, f"during {n}", groups=audience)
            sending.set()

    sender = threading.Thread(target=send)
    sender.start()
    sending.wait(TIMEOUT)
    newcomer = deliveries.connection()
    seen = {dm: [] for dm in dms}
    deliveries.delivery.enter_together(
        dms,
        lambda: deliveries.join(newcomer, full_person_group("b")),
        lambda dm, upto: seen[dm].extend(m.id for m in deliveries.history.after(dm, 0, 1000, upto)[0]),
    )
    sender.join()
    while any(not ids or ids[-1] < 110 for ids in seen.values()):
        event, data = deliveries.next(newcomer)
        assert event == "room-message"
        seen[data["room"]].append(data["id"])
    assert seen == {dm: list(range(1, 111)) for dm in dms}


def test_a_dm_s_messages_reach_its_two_people_s_groups_once(deliveries):
    """Send a message posted with groups to each of them, once to a connection in both, and not to the room's own."""
    alice, bob, both, room = (
        deliveries.connection(*groups)
        for groups in (
            [full_person_group("a")],
            [full_person_group("b")],
            [full_person_group("a"), full_person_group("b")],
            [room_group("dm:1")],
        )
    )
    deliveries.delivery.post("dm:1", ALICE, "just us", groups=[full_person_group("a"), full_person_group("b")])
    deliveries.post("after", room="dm:1")
    for receiver in (alice, bob, both):
        assert deliveries.next(receiver)[1]["text"] == "just us"
    assert deliveries.next(room)[1]["text"] == "after"  # the first thing the room's own group got
    deliveries.delivery.post("dm:1", ALICE, "again", groups=[full_person_group("a"), full_person_group("b")])
    assert deliveries.next(both)[1]["text"] == "again"  # not "just us" a second time


# Redis alone: in one process live delivery loses nothing, so there is no gap to repair.
@pytest.mark.parametrize("deliveries", ["redis"], indirect=True)
def test_with_redis_a_gap_in_a_dm_is_repaired_to_its_people(deliveries):
    """Deliver a DM's messages the queue lost to its people's groups, before the next one, in id order."""
    groups = [full_person_group("a"), full_person_group("b")]
    deliveries.delivery._manager.audience = lambda room: groups if room == "dm:1" else None
    bob = deliveries.connection(full_person_group("b"))
    deliveries.delivery.post("dm:1", ALICE, "one", groups=groups)
    deliveries.history.append("dm:1", ALICE, "lost")  # stored, never published: as if the queue lost it
    deliveries.delivery.post("dm:1", ALICE, "three", groups=groups)
    assert [deliveries.next(bob)[1]["text"] for _ in range(3)] == ["one", "lost", "three"]


@pytest.mark.parametrize("deliveries", ["redis"], indirect=True)
def test_with_redis_a_newcomer_gets_nothing_live_it_had_from_its_history(deliveries):
    """Deliver what is committed but not yet delivered here before a newcomer joins: nothing it has comes again live."""
    first = deliveries.connection(room_group("general"))
    deliveries.post("one")
    assert deliveries.next(first)[1]["text"] == "one"
    deliveries.history.append("general", ALICE, "lost")  # stored, not (yet) delivered here
    newcomer = deliveries.connection()
    history = []
    deliveries.delivery.enter(
        "general",
        lambda: deliveries.join(newcomer, room_group("general")),
        lambda upto: history.extend(m.id for m in deliveries.history.after("general", 0, 1000, upto)[0]),
    )
    deliveries.post("three")
    assert history == [1, 2]
    assert deliveries.next(newcomer)[1]["id"] == 3  # not 2, which its history had
    assert [deliveries.next(first)[1]["id"] for _ in range(2)] == [2, 3]
