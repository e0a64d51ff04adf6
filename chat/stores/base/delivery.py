"""How a stored message reaches its receivers: in this process, or through Redis to every process."""

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from .live import UNIMPLEMENTED


class Delivery:
    """Number, store and deliver each room's messages so every receiver gets them once, in id order.

    The one real difference between one process and several: alone, a process delivers
    what it stores under the room's lock; with several, each process publishes what it
    stored to Redis after the commit, and each process delivers what comes back, in id
    order, repairing from the history any id that arrives late or never.
    ``emit(event, data, to=group)`` sends to a Socket.IO group (Flask-SocketIO's
    ``socketio.emit``); a room's messages go to ``room:<room>`` as ``room-message``, and
    the default room's also to ``seed`` as ``message`` with the bare text.
    """

    LOCKS = 64  # rooms share a fixed set of locks, so the set does not grow with every room ever made

    def __init__(self, history: Any, emit: Any) -> None:
        self.history = history
        self._emit = emit
        self._room_locks = tuple(threading.Lock() for _ in range(self.LOCKS))

    def room_lock(self, room: Any) -> Any:
        """Return the lock that keeps ``room``'s messages numbered and delivered in one order."""
        return self._room_locks[hash(room) % len(self._room_locks)]

    @contextlib.contextmanager
    def room_locks(self, rooms: Iterable[Any]) -> Iterator[None]:
        """Hold the locks of all ``rooms``: each lock once, taken in one order, so two holders never deadlock.

        Everyone else holds one room's lock at a time and waits for no other under it.
        """
        indices = sorted({hash(room) % len(self._room_locks) for room in rooms})
        with contextlib.ExitStack() as held:
            for index in indices:
                held.enter_context(self._room_locks[index])
            yield

    def post(
        self,
        room: Any,
        member: Any,
        text: Any,
        client_id: Any = None,
        to_seed: Any = False,
        groups: Any = None,
        mentions: Any = (),
    ) -> Any:
        """Number, store and deliver ``member``'s ``text`` in ``room`` (mentioning ``mentions``); return (message, True).

        The message goes to the room's connections (or, given ``groups``, to those Socket.IO
        groups instead: a direct message's two people) and, with ``to_seed``, its bare text
        to the seed clients, in id order for every receiver. A resend of a ``client_id``
        ``member`` stored for the room is neither stored nor delivered again: return (the
        original, False).
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def enter(self, room: Any, join: Any, send_history: Any) -> Any:
        """Meet a connection's history of ``room`` with its live delivery: nothing twice, nothing missed.

        Call ``join()`` (the connection joins the room's group) and ``send_history(upto)``
        (it is sent the history up to id ``upto``, None for all there is) so that every
        message is either in that history or delivered live after it.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def enter_together(self, rooms: Any, join: Any, send_history: Any) -> Any:
        """Meet a connection's histories of several ``rooms`` with their live delivery, with one ``join()`` for all.

        As ``enter`` does for one room, where one group carries the messages of every one
        of ``rooms`` (a person's DMs): ``join()`` and each ``send_history(room, upto)`` run
        under all their locks, so every message of each is either in its history or
        delivered live after it.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def repair(self) -> Any:
        """Deliver what live delivery lost, from the history; call it every second or so."""
        raise NotImplementedError(UNIMPLEMENTED)
