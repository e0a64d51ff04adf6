"""What every store does, written down once: presence, rooms, typing, limits, history, delivery and the rest.

Each class here declares one store's API, with the rules every backend keeps, and holds the
logic they share: the live stores in live.py (implemented in chat/stores/local/ for one
process and chat/stores/redis/ for several sharing one Redis server), the durable ones in
durable.py (implemented once in SQL, chat/stores/sql/), delivery in delivery.py (local or
through Redis). Nothing here knows which backend runs, nor anything of Flask or Socket.IO;
chat/stores/__init__.py picks the backends from the settings.

People, rooms and messages are the types of chat/model.py. A departure is a
(room, member) pair: the member left the room, and the room is to be told.
"""

from .delivery import Delivery
from .durable import Changes, DirectMessages, History, Moderation, Reads
from .live import (
    UNIMPLEMENTED,
    Clock,
    ConnectionLimit,
    Departure,
    FloodControl,
    Presence,
    RateLimit,
    Resumed,
    Rooms,
    Typing,
)

__all__ = [
    "UNIMPLEMENTED",
    "Changes",
    "Clock",
    "ConnectionLimit",
    "Delivery",
    "Departure",
    "DirectMessages",
    "FloodControl",
    "History",
    "Moderation",
    "Presence",
    "RateLimit",
    "Reads",
    "Resumed",
    "Rooms",
    "Typing",
]
