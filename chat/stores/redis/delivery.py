"""Delivery for several processes: each room's messages whole and in id order, on every process.

With several server processes every broadcast goes through Redis, Flask-SocketIO's message
queue (python-socketio's RedisManager, through the hooks of chat/transport/message_queue.py).
Room messages are numbered and stored in one transaction of the SQL database
(chat/stores/sql/history.py) and published after the commit: two processes posting to one
room at once may publish id n + 1 before id n (each process publishes its own in order,
under the room's lock). ``ChatRedisManager``, the client manager the Socket.IO server is
given, also keeps, per room, the last id it delivered here (the watermark):

- a connection entering a room gets the history up to the watermark and everything after
  it live, under the room's lock: nothing twice, nothing missed; what the room has committed
  beyond the watermark is delivered here first, so nothing live comes at or below an id the
  client may have had from another process;
- a message whose id jumps past the watermark (another process's publication of an earlier
  id is still to come, or the queue lost some, as Redis pub/sub does while a subscriber
  reconnects) is preceded by the missing ones, read from the history, where they are
  committed already (the database commits a room's ids in order); the late publication is
  then dropped as delivered;
- ``repair_lagging`` does the same for a room whose history moved on while nothing arrived.
"""

import uuid

from ... import metrics, transport
from ...model import SEED, room_group
from .. import base

SYNC_EVENT = "chat-sync"

# The host id of the publisher: no server process has it, so every process, the sender's
# included, delivers these messages when they come back from Redis.
PUBLISHER = "chat-history"


def queue_message(event, data, room):
    """Return Flask-SocketIO's queue message that has every process emit ``event`` with ``data`` to ``room``."""
    return transport.emit_message(event, data, room, PUBLISHER)


class RedisDelivery(base.Delivery):
    """Deliver through Redis: the history sends each message out as it numbers it; each process delivers it."""

    def __init__(self, history, manager, emit):
        """Use the SQL history ``history`` and the ChatRedisManager ``manager`` of this process."""
        super().__init__(history, emit)
        self._manager = manager
        manager.attach(history, self.room_lock)

    def post(self, room, member, text, client_id=None, to_seed=False, groups=None, mentions=()):
        # The database numbers and commits; only then is the message published. Under the
        # room's lock this process publishes its own messages in id order; another process's
        # may overtake them on the queue, and the receiving process repairs that from the
        # history (receive_emit), where every id below a published one is committed already.
        with self.room_lock(room):
            message, new = self.history.append(room, member, text, client_id, mentions)
            if new:
                self._manager.publish(queue_message("room-message", message.as_dict(), groups or room_group(room)))
                if to_seed:
                    self._manager.publish(queue_message("message", text, SEED))
            return message, new

    def enter(self, room, join, send_history):
        # The watermark waits for the room's lock to deliver what is in flight: not under it.
        self._manager.watermark(room)
        with self.room_lock(room):
            self._deliver_committed(room)
            join()
            # What this process has delivered so far comes from the history; the rest
            # arrives live from the queue, which waits for this lock.
            send_history(self._manager.delivered[room])

    def enter_together(self, rooms, join, send_history):
        for room in rooms:  # not under the locks, as in enter
            self._manager.watermark(room)
        with self.room_locks(rooms):
            for room in rooms:
                self._deliver_committed(room)
            join()
            for room in rooms:
                send_history(room, self._manager.delivered[room])

    def _deliver_committed(self, room):
        """Deliver here, from the history, what ``room`` has committed beyond the watermark; under its lock.

        A client reconnecting here may have had those ids from another process: delivered
        before it joins, they are in its history, and nothing live comes at or below them.
        Their publications, when they arrive, are dropped as delivered.
        """
        newest, delivered = self.history.last_id(room), self._manager.delivered[room]
        if newest > delivered:
            self._manager._deliver_missing(room, delivered, newest)

    def repair(self):
        self._manager.repair_lagging()


class ChatRedisManager(transport.QueueManager):
    """A RedisManager that delivers each room's messages exactly once, in id order, in this process."""

    def __init__(self, url, channel="flask-socketio"):
        super().__init__(url, channel=channel)
        self.delivered = {}  # room -> last message id delivered to this process's clients
        self._syncs = {}
        self._lagging = {}
        # room -> the groups its messages go to, or None for its own room:<room> (set by open_stores: a DM's people)
        self.audience = lambda room: None
        self.history = None
        self.room_lock = None

    def attach(self, history, room_lock):
        """Give the manager the shared history and the per-room locks of the delivery."""
        self.history = history
        self.room_lock = room_lock

    def publish_failed(self):
        """Count a publication to the queue that failed."""
        metrics.publish_failed()

    def receive_emit(self, event, data, message):
        """Deliver an emit here: a room message once, in id order, after any it skipped; a sync wakes its waiter."""
        if event == SYNC_EVENT:
            waiting = self._syncs.pop(data, None)
            if waiting is not None:
                waiting.set()
            return
        if event != "room-message" or self.history is None:
            return self.deliver(message)
        room = data["room"]
        with self.room_lock(room):
            last = self.delivered.get(room)
            if last is not None and data["id"] <= last:
                return  # a repair delivered it already
            if last is not None and data["id"] > last + 1:
                self._deliver_missing(room, last, data["id"] - 1)
            self.deliver(message)
            self.delivered[room] = data["id"]

    def _deliver_missing(self, room, after, upto):
        while after < upto:
            messages, _ = self.history.after(room, after, 500, upto)
            if not messages:
                break
            for missing in messages:
                self.emit(
                    "room-message",
                    missing.as_dict(),
                    namespace="/",
                    room=self.audience(room) or room_group(room),
                    ignore_queue=True,
                )
            after = messages[-1].id
        self.delivered[room] = upto

    def watermark(self, room, timeout=5):
        """Return the last id of ``room`` delivered here, once everything published before now is.

        Call it without holding the room's lock: the delivery it waits for takes it.
        """
        if room in self.delivered:
            return self.delivered[room]
        last = self.history.last_id(room)
        token = uuid.uuid4().hex
        arrived = self.create_event()
        self._syncs[token] = arrived
        self.publish(queue_message(SYNC_EVENT, token, SYNC_EVENT))
        arrived.wait(timeout)  # the queue delivers in order: after this, all up to `last` has been through
        self._syncs.pop(token, None)
        with self.room_lock(room):
            self.delivered[room] = max(self.delivered.get(room, 0), last)
            return self.delivered[room]

    def repair_lagging(self):
        """Deliver what the history has beyond a room's watermark for two checks in a row."""
        for room, delivered in list(self.delivered.items()):
            newest = self.history.last_id(room)
            behind = newest > delivered
            if behind and self._lagging.get(room) == delivered:
                with self.room_lock(room):
                    if self.delivered[room] < newest:
                        self._deliver_missing(room, self.delivered[room], newest)
            self._lagging[room] = delivered if behind else None
