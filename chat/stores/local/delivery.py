"""Delivery in one process: a message is numbered, stored and emitted under its room's lock.

Holding the lock from numbering to emitting queues every room's messages for all their
recipients in id order, whichever connection each came from; a connection entering the
room joins its group under the same lock, so its history and its live messages meet.
"""

from ...model import SEED, room_group
from .. import base


class LocalDelivery(base.Delivery):
    """Deliver a room's messages to this process's connections, in id order, from the local history."""

    def post(self, room, member, text, client_id=None, to_seed=False, groups=None, mentions=()):
        with self.room_lock(room):
            message, new = self.history.append(room, member, text, client_id, mentions)
            if new:
                self._emit("room-message", message.as_dict(), to=groups or room_group(room))
                if to_seed:
                    self._emit("message", text, to=SEED)
            return message, new

    def enter(self, room, join, send_history):
        with self.room_lock(room):
            join()
            send_history(None)

    def enter_together(self, rooms, join, send_history):
        with self.room_locks(rooms):
            join()
            for room in rooms:
                send_history(room, None)

    def repair(self):
        """Do nothing: in one process live delivery loses nothing."""
